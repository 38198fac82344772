"""Per-source request spacing shared by every thread and process that uses one cache directory.

Each source has one row in a small SQLite file (`rate-limits.sqlite3`): the wall-clock time its
next request may start and, after a 429 or 503 with Retry-After, the time a pause ends. A request
books its slot in a `BEGIN IMMEDIATE` transaction (one writer at a time across processes), then
sleeps outside it; so N processes together never exceed a source's documented rate, and a pause
one worker was told about holds every other worker too.

Why not pyrate-limiter: its buckets count requests per window, which allows a burst of N at the
start of each window where the APIs ask for an even spacing; its SQLite bucket reads and writes
in separate statements under a thread lock (cross-process safety needs its optional `filelock`
dependency); it has no shared "paused until" for Retry-After; and its waiting is a fixed
`max_delay`, not our per-request deadline. The whole mechanism here is one row and one
transaction. If the file cannot be used, the limiter warns once and limits this process alone.
A file only busy for longer than the busy timeout (another process stopped while booking, a
stalled disk) is skipped for that one booking and used again for the next: giving it up for
good would let every process that met it send at the full rate on its own.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")

# A stored time further ahead than this is a clock that jumped back, not a real booking.
_MAX_AHEAD = 3600.0
BUSY_TIMEOUT_SECONDS = 10.0  # a booking holds the file for a millisecond

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    source TEXT PRIMARY KEY,
    next_allowed REAL NOT NULL,
    paused_until REAL NOT NULL
)
"""


@dataclass
class SourceState:
    """When the next request to a source may start, and until when the source is paused."""

    next_allowed: float = 0.0
    paused_until: float = 0.0

    def sane(self, now: float) -> SourceState:
        """Drop times a backwards clock jump pushed absurdly far into the future."""
        return SourceState(
            self.next_allowed if self.next_allowed <= now + _MAX_AHEAD else now,
            self.paused_until if self.paused_until <= now + _MAX_AHEAD else now,
        )


class _MemoryStore:
    """This process only: the fallback when the shared file is unusable, and for unit tests."""

    def __init__(self) -> None:
        self._states: dict[str, SourceState] = {}
        self._lock = threading.Lock()

    @contextmanager
    def update(self, source: str) -> Iterator[SourceState]:
        with self._lock:
            yield self._states.setdefault(source, SourceState())

    def close(self) -> None:
        return


class _SqliteStore:
    """Shared by processes: one row per source, changed inside BEGIN IMMEDIATE."""

    def __init__(self, path: Path, busy_timeout: float) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            # The default rollback journal, not WAL: switching a new file to WAL while another
            # process opens it fails with "database is locked" instead of waiting. Every
            # transaction here writes anyway; the state is worth no fsync.
            connection.execute("PRAGMA synchronous=OFF")
            connection.execute(_SCHEMA)
            self._connection = connection
        return self._connection

    @contextmanager
    def update(self, source: str) -> Iterator[SourceState]:
        with self._lock:
            connection = self._connect()
            connection.execute("BEGIN IMMEDIATE")
            try:
                row = connection.execute(
                    "SELECT next_allowed, paused_until FROM sources WHERE source = ?", (source,)
                ).fetchone()
                state = SourceState(*row) if row else SourceState()
                yield state
                connection.execute(
                    "INSERT OR REPLACE INTO sources VALUES (?, ?, ?)",
                    (source, state.next_allowed, state.paused_until),
                )
                connection.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


class RateLimiter:
    """Minimum interval between requests to one source, and shared Retry-After pauses."""

    def __init__(
        self,
        intervals: dict[str, float],
        path: Path | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        busy_timeout: float = BUSY_TIMEOUT_SECONDS,
    ) -> None:
        self._intervals = intervals
        self._clock = clock
        self._sleep = sleep
        self._shared = _SqliteStore(path, busy_timeout) if path is not None else None
        self._local = _MemoryStore()
        self._warned_busy = False

    def _with_state(self, source: str, change: Callable[[SourceState, float], T]) -> T:
        """Apply `change(state, now)` to the source's row: in the shared file, or in memory
        (with one warning) when the file is busy past the busy timeout (this time only) or
        has proved unusable (from now on)."""
        shared = self._shared
        if shared is not None:
            try:
                with shared.update(source) as state:
                    return change(state, self._clock())
            except sqlite3.OperationalError as error:
                if not _busy(error):
                    self._give_up(shared, error)
                elif not self._warned_busy:
                    self._warned_busy = True
                    log.warning(
                        "drafter: warning: rate-limit store %s busy for over %g s (%s); "
                        "requests that cannot book a slot there are spaced within this "
                        "process only",
                        shared.path,
                        shared.busy_timeout,
                        error,
                    )
            except (OSError, sqlite3.Error) as error:
                self._give_up(shared, error)
        with self._local.update(source) as state:
            return change(state, self._clock())

    def _give_up(self, shared: _SqliteStore, error: Exception) -> None:
        """The file is unusable (not a database, a directory in the way): this process only,
        from now on, with one warning."""
        if self._shared is shared:
            self._shared = None
            shared.close()
            log.warning(
                "drafter: warning: rate-limit store %s unusable (%s); limiting this process only",
                shared.path,
                error,
            )

    def wait(self, source: str, not_after: float = math.inf) -> float | None:
        """Block until `source` may be called; the seconds waited, or None (without waiting or
        booking) when the slot would start after `not_after` (a wall-clock time)."""
        interval = self._intervals.get(source, 0.0)

        def book(state: SourceState, now: float) -> tuple[float, float] | None:
            sane = state.sane(now)
            start = max(now, sane.next_allowed, sane.paused_until)
            if start > not_after:
                return None
            state.next_allowed, state.paused_until = start + interval, sane.paused_until
            return start, now

        waited = 0.0
        while True:
            booking = self._with_state(source, book)
            if booking is None:
                return None
            start, now = booking
            if start > now:
                self._sleep(start - now)
                waited += start - now
            # A pause announced while this worker slept holds it too: book again after it.
            if self.paused_until(source) <= start:
                return waited

    def pause(self, source: str, seconds: float) -> None:
        """Every worker on `source` waits `seconds` from now before its next request."""

        def extend(state: SourceState, now: float) -> None:
            state.paused_until = max(state.sane(now).paused_until, now + seconds)

        self._with_state(source, extend)

    def paused_until(self, source: str) -> float:
        return self._with_state(source, lambda state, now: state.sane(now).paused_until)

    def close(self) -> None:
        if self._shared is not None:
            self._shared.close()


def _busy(error: sqlite3.OperationalError) -> bool:
    """SQLite's "database is locked": another process held the file past the busy timeout."""
    name: str = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in str(error).lower()
