"""On-disk response cache (SQLite, stdlib).

Why not requests-cache: drafter's keys are built from `ApiRequest` (host, source, path, params,
body), which never holds an API key, so secrets stay out of keys and stored requests by
construction rather than by an ignore-list; only definitive answers (200, and the 404s that mean
"no such record") are stored; offline mode must read entries past their TTL; and batch threads
and concurrent processes share one file (WAL, busy timeout). That is one table and a few lines.

The cache is an optimisation: if its file cannot be opened or read (a directory in the way, a
corrupt database), drafter warns once and carries on without it.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from drafter.sources.api import ApiResponse

log = logging.getLogger(__name__)
T = TypeVar("T")

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
        self._broken = False

    def _guarded(self, action: Callable[[], T], fallback: T) -> T:
        """Run a cache operation; on a file or database error disable the cache for this
        process with one warning instead of failing the command."""
        if self._broken:
            return fallback
        try:
            return action()
        except (OSError, sqlite3.Error) as error:
            self._broken = True
            log.warning(
                "drafter: warning: response cache %s unusable (%s); continuing without it",
                self.path,
                error,
            )
            return fallback

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            # Another process creating the file may be switching it to WAL: that switch fails
            # with "database is locked" instead of waiting, and the file ends up WAL anyway.
            with contextlib.suppress(sqlite3.OperationalError):
                connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
            connection.commit()
            self._connection = connection
        return self._connection

    def get(self, key: str, max_age: float | None) -> ApiResponse | None:
        """The stored answer, if younger than `max_age` seconds (None: any age)."""
        return self._guarded(lambda: self._get(key, max_age), None)

    def put(self, key: str, description: str, response: ApiResponse) -> None:
        self._guarded(lambda: self._put(key, description, response), None)

    def _get(self, key: str, max_age: float | None) -> ApiResponse | None:
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

    def _put(self, key: str, description: str, response: ApiResponse) -> None:
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
