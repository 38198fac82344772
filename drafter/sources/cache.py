"""On-disk response cache (SQLite, stdlib).

Why not requests-cache: its keys are full URLs, while drafter keys a request by source and path
(`ApiRequest.cache_key`) so the cache and the offline snapshot answer the same question, secrets
are excluded by construction (they are never in an `ApiRequest`), and offline mode can read
entries past their TTL. One table, WAL mode and a busy timeout make it safe for batch threads
and concurrent processes.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from drafter.sources.api import ApiResponse

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    request TEXT NOT NULL,
    status INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    body TEXT NOT NULL,
    url TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    stored_at REAL NOT NULL
)
"""


class ResponseCache:
    """Answers keyed by `ApiRequest.cache_key()`; opened lazily so read-only commands that
    never fetch do not create a cache directory."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
            connection.commit()
            self._connection = connection
        return self._connection

    def get(self, key: str, max_age: float | None) -> ApiResponse | None:
        """The stored answer, if younger than `max_age` seconds (None: any age)."""
        if self._connection is None and not self.path.exists():
            return None
        with self._lock:
            row = (
                self._connect()
                .execute(
                    "SELECT status, content_type, body, url, fetched_at, stored_at "
                    "FROM responses WHERE key = ?",
                    (key,),
                )
                .fetchone()
            )
        if row is None:
            return None
        status, content_type, body, url, fetched_at, stored_at = row
        if max_age is not None and time.time() - stored_at > max_age:
            return None
        return ApiResponse(
            status=status,
            content_type=content_type,
            text=body,
            url=url,
            origin="cache",
            fetched_at=fetched_at,
        )

    def put(self, key: str, description: str, response: ApiResponse) -> None:
        with self._lock:
            connection = self._connect()
            connection.execute(
                "INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    key,
                    description,
                    response.status,
                    response.content_type,
                    response.text,
                    response.url,
                    response.fetched_at,
                    time.time(),
                ),
            )
            connection.commit()

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
