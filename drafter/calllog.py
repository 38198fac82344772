"""The call log: every model call, one row per ask (first ask and each re-ask), in an SQLite
file beside the claims store (`Settings.call_log_path`), browsable with the sqlite3 CLI:

    sqlite3 calls.sqlite3 "SELECT nct_id, section, attempt, problem, cost_usd FROM calls"

A row holds what was sent (every message, as JSON), what came back (raw and parsed), what was
wrong with it, what it cost and how long it took: enough to audit a draft or replay a prompt.
Text is masked before it is stored, so an API key never reaches the file.

Connections, WAL, the busy timeout and BEGIN IMMEDIATE come from drafter.sqlite_db, so a
thread pool and several processes may log at once. The schema is versioned with
`PRAGMA user_version`; `MIGRATIONS[n]` takes version n to n + 1.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from drafter.errors import BadInput, DrafterError, StoreUnavailable, secret_masker
from drafter.sources.redact import mask
from drafter.sqlite_db import Database, connect, enable_wal, file_target, immediate
from drafter.writers.base import Message, Problem, Writer, WriteRequest, WriteResult
from drafter.writers.pricing import cost_usd

BUSY_TIMEOUT_SECONDS = 30.0

Migration = Callable[[sqlite3.Connection], None]


def _create_calls_table(conn: sqlite3.Connection) -> None:
    """v0 → v1: one row per model call."""
    conn.execute(
        """
        CREATE TABLE calls (
            id INTEGER PRIMARY KEY,
            created TEXT NOT NULL,
            draft_id TEXT NOT NULL,
            nct_id TEXT NOT NULL,
            section TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            writer TEXT NOT NULL,
            model TEXT NOT NULL,
            endpoint TEXT,
            template_hash TEXT,
            prompt TEXT NOT NULL,
            raw_response TEXT NOT NULL,
            output TEXT,
            problem TEXT,
            detail TEXT,
            validation_errors TEXT NOT NULL DEFAULT '[]',
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            cost_usd REAL,
            latency_seconds REAL NOT NULL,
            request_id TEXT
        )
        """
    )
    conn.execute("CREATE INDEX calls_draft ON calls (draft_id)")
    conn.execute("CREATE INDEX calls_trial_section ON calls (nct_id, section)")


MIGRATIONS: tuple[Migration, ...] = (_create_calls_table,)
SCHEMA_VERSION = len(MIGRATIONS)


class CallRecord(BaseModel):
    """One row of the call log."""

    model_config = ConfigDict(frozen=True)

    draft_id: str
    nct_id: str
    section: str
    attempt: int = Field(ge=1, description="1 for the first ask, 2 and 3 for re-asks")
    writer: str
    model: str = Field(description="the model as the endpoint reported it")
    endpoint: str | None = Field(description="host[:port], never credentials")
    template_hash: str | None
    messages: list[Message] = Field(description="the rendered prompt, every message")
    raw_response: str
    output: str | None = Field(description="the parsed output as JSON, None when it failed")
    problem: Problem | None
    detail: str | None
    validation_errors: list[str] = Field(description="what drafter.validate found wrong")
    prompt_tokens: int | None
    completion_tokens: int | None
    cost_usd: float | None = Field(description="None when the model's price is unknown")
    latency_seconds: float
    request_id: str | None
    created: str = Field(description="UTC, ISO 8601")

    @classmethod
    def of(
        cls,
        writer: Writer,
        request: WriteRequest,
        result: WriteResult,
        *,
        draft_id: str,
        nct_id: str,
        template_hash: str | None,
        validation_errors: Iterable[str] = (),
        created: datetime | None = None,
    ) -> CallRecord:
        """The row for one ask: what the pipeline sent, what the writer reported, what
        validation found."""
        when = created or datetime.now(UTC)
        return cls(
            draft_id=draft_id,
            nct_id=nct_id,
            section=request.section,
            attempt=request.attempt,
            writer=writer.name,
            model=result.model,
            endpoint=writer.endpoint,
            template_hash=template_hash,
            messages=request.messages,
            raw_response=result.raw,
            output=result.output.model_dump_json() if result.output is not None else None,
            problem=result.problem,
            detail=result.detail,
            validation_errors=list(validation_errors),
            prompt_tokens=result.usage.prompt_tokens,
            completion_tokens=result.usage.completion_tokens,
            cost_usd=cost_usd(result.model, result.usage),
            latency_seconds=result.latency_seconds,
            request_id=result.request_id,
            created=when.astimezone(UTC).isoformat(timespec="microseconds"),
        )


_COLUMNS = (
    "created",
    "draft_id",
    "nct_id",
    "section",
    "attempt",
    "writer",
    "model",
    "endpoint",
    "template_hash",
    "prompt",
    "raw_response",
    "output",
    "problem",
    "detail",
    "validation_errors",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "latency_seconds",
    "request_id",
)
_INSERT = f"INSERT INTO calls ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"


def _row(record: CallRecord) -> tuple[Any, ...]:
    """The record's columns as they may be stored: every known secret masked in every text."""
    values = record.model_dump(mode="json")
    values["prompt"] = json.dumps(values.pop("messages"), ensure_ascii=False)
    values["validation_errors"] = json.dumps(values["validation_errors"], ensure_ascii=False)
    masked = secret_masker()
    return tuple(
        masked(mask(value)) if isinstance(value, str) else value
        for value in (values[column] for column in _COLUMNS)
    )


def _record(row: sqlite3.Row) -> CallRecord:
    values = {column: row[column] for column in _COLUMNS}
    values["messages"] = json.loads(values.pop("prompt"))
    values["validation_errors"] = json.loads(values["validation_errors"])
    return CallRecord.model_validate(values)


class CallLog:
    """The call log in one SQLite file, shared by the threads of a process (a connection per
    thread) and by other processes (WAL, busy timeout, BEGIN IMMEDIATE)."""

    def __init__(self, path: Path, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.path = Path(path)
        self._busy = busy_timeout
        self._db = self._open()

    def __enter__(self) -> CallLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every thread's connection."""
        self._db.close()

    def add(self, record: CallRecord) -> int:
        """Store one call; returns its row id."""
        try:
            with self._db.transaction() as conn:
                cursor = conn.execute(_INSERT, _row(record))
        except sqlite3.Error as error:
            raise self._unusable(error) from error
        assert cursor.lastrowid is not None  # an INSERT into a rowid table
        return cursor.lastrowid

    def records(self, *, draft_id: str | None = None) -> list[CallRecord]:
        """Stored calls in the order they were logged, optionally of one draft only."""
        where, params = (" WHERE draft_id = ?", (draft_id,)) if draft_id else ("", ())
        try:
            rows = self._db.conn.execute(f"SELECT * FROM calls{where} ORDER BY id", params)
            return [_record(row) for row in rows.fetchall()]
        except sqlite3.Error as error:
            raise self._unusable(error) from error

    def _open(self) -> Database:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreUnavailable(
                f"cannot create the directory of call log {self.path}: {error.strerror}"
            ) from error
        target = file_target(self.path)
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(target, self._busy)
            enable_wal(conn, self._busy)
            self._migrate(conn)
        except sqlite3.Error as error:
            if conn is not None:
                conn.close()
            raise self._unusable(error) from error
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        return Database(self.path, target, self._busy, conn)

    def _migrate(self, conn: sqlite3.Connection) -> None:
        if self._version(conn) == SCHEMA_VERSION:
            return
        with immediate(conn):
            version = self._version(conn)  # another process may have migrated meanwhile
            if version == 0 and conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
                raise BadInput(f"{self.path} is an SQLite database but not a drafter call log")
            for migration in MIGRATIONS[version:]:
                migration(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _version(self, conn: sqlite3.Connection) -> int:
        version: int = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise BadInput(
                f"call log {self.path} has schema version {version}, newer than this drafter "
                f"supports ({SCHEMA_VERSION}); upgrade drafter or point DRAFTER_DB elsewhere"
            )
        return version

    def _unusable(self, error: sqlite3.Error) -> DrafterError:
        text = str(error)
        if "locked" in text.lower() or "busy" in text.lower():
            return StoreUnavailable(
                f"call log {self.path} is locked by another process (waited {self._busy:g} s); "
                "try again when it is done"
            )
        return StoreUnavailable(f"cannot use call log {self.path} ({text})")
