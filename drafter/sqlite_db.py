"""One SQLite database shared by the threads of a process and by other processes, and SQLite's
errors turned into one-line messages that say which file and what to do.

* A connection per thread at a time (sqlite3 connections are not meant to be used by two
  threads at once), lent from a pool and handed back when the thread ends, all of them closed
  by `Database.close()`, from any thread.
* WAL mode, a busy timeout and `BEGIN IMMEDIATE` for writes, so concurrent writers wait for the
  lock instead of failing half-way, and readers are never blocked by a writer.
* A database can also be opened read-only (`?mode=ro`), as an immutable file (`?immutable=1`,
  when even the WAL index cannot be created) or as a shared in-memory database; a write to any
  of them is refused with the reason.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drafter.errors import BadInput, DrafterError, InternalError, StoreUnavailable

ELSEWHERE = "point DRAFTER_DB (or --db) at another file"
_MEMORY_NAMES = itertools.count()
_CONNECTION_SERIALS = itertools.count(1)  # never reused, unlike id()


@dataclass(frozen=True)
class Target:
    """How to open the database: its name for sqlite3.connect and what may be done with it."""

    database: str
    uri: bool = False
    read_only: str | None = None  # why writes are refused; None: writable
    notice: str | None = None  # something the user should be told once


def file_target(path: Path) -> Target:
    return Target(str(path))


def read_only_targets(path: Path, reason: str) -> list[Target]:
    """Read-only ways to open an existing file, gentlest first. `mode=ro` still needs the WAL
    index (-shm) to exist or be creatable; `immutable=1` needs nothing but read access, and
    does not see changes still in a -wal file, which the notice then says."""
    uri = path.absolute().as_uri()
    wal = Path(f"{path}-wal")
    unseen = wal.exists() and wal.stat().st_size > 0
    notice = (
        f"claims database {path} opened as an immutable file: changes still in {wal.name} are "
        "not visible"
        if unseen
        else None
    )
    return [
        Target(f"{uri}?mode=ro", uri=True, read_only=reason),
        Target(f"{uri}?immutable=1", uri=True, read_only=reason, notice=notice),
    ]


def memory_target(reason: str, notice: str | None) -> Target:
    """A private in-memory database every thread of this process shares while it is open."""
    name = f"file:drafter-memory-{next(_MEMORY_NAMES)}?mode=memory&cache=shared"
    return Target(name, uri=True, read_only=reason, notice=notice)


def connect(target: Target, busy_timeout: float) -> sqlite3.Connection:
    """A connection in autocommit mode (isolation_level=None: writes take BEGIN IMMEDIATE
    themselves, so a writer waits for the lock up front rather than failing mid-way)."""
    conn = sqlite3.connect(
        target.database,
        uri=target.uri,
        timeout=busy_timeout,
        isolation_level=None,
        check_same_thread=False,  # close() may run on another thread; use stays per thread
    )
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        if target.read_only is None:
            conn.execute("PRAGMA synchronous = NORMAL")  # durable enough in WAL mode
    except BaseException:
        conn.close()
        raise
    return conn


def enable_wal(conn: sqlite3.Connection, busy_timeout: float) -> None:
    """WAL lets readers and a writer work at once. Switching a new file to WAL needs an exclusive
    lock and SQLite reports "locked" at once instead of using the busy timeout, so two processes
    opening a new database together must retry here (the mode then persists in the file)."""
    deadline = time.monotonic() + busy_timeout
    delay = 0.002
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if _kind(error) != "locked" or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[None]:
    """One write transaction, all or nothing."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        with suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise


def is_read_only(error: sqlite3.Error) -> bool:
    """The file, its directory or its WAL index cannot be written or created."""
    return _kind(error) in ("read-only", "cannot-open")


def translate(path: Path, error: sqlite3.Error, busy_timeout: float) -> DrafterError:
    """The one-line error a user sees for an SQLite error on this database."""
    kind = _kind(error)
    if kind == "locked":
        return StoreUnavailable(
            f"claims database {path} is locked by another process (waited {busy_timeout:g} s);"
            f" try again when it is done, or {ELSEWHERE}"
        )
    if kind == "read-only":
        return read_only_error(path, str(error))
    if kind == "damaged":
        return BadInput(
            f"claims database {path} is damaged ({error}); restore it from a backup made with"
            f" `drafter claims export` (`drafter claims import FILE --db NEW`), or {ELSEWHERE}"
        )
    return StoreUnavailable(
        f"cannot use claims database {path} ({error}); check the file, its directory and the"
        f" disk, or {ELSEWHERE}"
    )


def check_intact(conn: sqlite3.Connection) -> None:
    """PRAGMA quick_check, once at open: a damaged page (an index's included) is reported as
    a damaged database instead of quietly answering a query wrongly. About 80 ms for a
    100,000-claim database; the seeded table takes about a millisecond."""
    problems = [str(row[0]) for row in conn.execute("PRAGMA quick_check(3)").fetchall()]
    if problems != ["ok"]:
        raise sqlite3.DatabaseError(f"database disk image is malformed: {'; '.join(problems)}")


def read_only_error(path: Path, reason: str) -> StoreUnavailable:
    return StoreUnavailable(
        f"claims database {path} is read-only ({reason}); make it and its directory writable"
        f" for this user, or {ELSEWHERE}"
    )


def _kind(error: sqlite3.Error) -> str:
    name: str = getattr(error, "sqlite_errorname", "") or ""
    text = str(error).lower()
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return "locked"
    if name.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        return "read-only"
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return "cannot-open"
    if name.startswith(("SQLITE_IOERR", "SQLITE_FULL", "SQLITE_PERM", "SQLITE_NOMEM")):
        return "unavailable"
    # SQLITE_CORRUPT, SQLITE_NOTADB, and a schema someone else changed ("no such table")
    return "damaged"


class Database:
    """Connections to one target: each thread uses its own, lent from a pool and handed back
    when the thread ends, and `close()` closes them all.

    Threads come and go (a draft's sections each get one): a connection per thread kept until
    close() held two file descriptors per thread ever seen, so a batch of a few hundred drafts
    ran out of them. A lent connection comes back when its thread's local storage is freed, at
    thread exit; at most MAX_IDLE wait to be lent again, the rest are closed. The first
    connection is never closed before close() (an in-memory database lives as long as one
    connection to it)."""

    MAX_IDLE = 32

    def __init__(
        self, path: Path, target: Target, busy_timeout: float, first: sqlite3.Connection
    ) -> None:
        self.path = path
        self.target = target
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._lock = threading.RLock()  # a lease may come back while its thread holds the lock
        # This process's writers queue here, one write transaction at a time, rather than in
        # SQLite's busy handler, which polls the file lock with sleeps of up to 100 ms: ten
        # threads logging their calls at once spent their time sleeping and retrying. Reentrant,
        # so a nested write still gets SQLite's own error. Other processes: the busy timeout.
        self._writer = threading.RLock()
        # every open connection (lent or idle), with its serial number (see data_version)
        self._open = {first: next(_CONNECTION_SERIALS)}
        self._idle: list[sqlite3.Connection] = []
        self._first = first
        self._closed = False
        self._local.lease = _Lease(self, first)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection: lent on first use, kept until the thread ends."""
        lease: _Lease | None = getattr(self._local, "lease", None)
        if lease is None:
            with self._lock:
                self._check_open()
                conn = self._idle.pop() if self._idle else None
                if conn is None:
                    try:
                        conn = connect(self.target, self.busy_timeout)
                    except sqlite3.Error as error:
                        raise translate(self.path, error, self.busy_timeout) from error
                    self._open[conn] = next(_CONNECTION_SERIALS)
            lease = self._local.lease = _Lease(self, conn)
        self._check_open()
        return lease.conn

    @property
    def open_connections(self) -> int:
        """How many connections are open now (lent or idle)."""
        with self._lock:
            return len(self._open)

    def give_back(self, conn: sqlite3.Connection) -> None:
        """A thread is done with `conn`: lend it again, or close it when enough wait already,
        when a transaction was left open on it, or when the database is closed."""
        with self._lock:
            keep = not self._closed and (
                conn is self._first or (len(self._idle) < self.MAX_IDLE and not conn.in_transaction)
            )
            if keep:
                self._idle.append(conn)
                return
            self._open.pop(conn, None)
        conn.close()  # (the first connection reaches here only once the database is closed)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            connections, self._open, self._idle = list(self._open), {}, []
        for conn in connections:
            conn.close()

    def data_version(self) -> tuple[int, int]:
        """This thread's connection (a serial number) and SQLite's `PRAGMA data_version` on
        it, which changes whenever another connection (another thread's or process's) commits
        to the file. A commit on the connection itself does not change it."""
        conn = self.conn
        try:
            (version,) = conn.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error as error:
            raise translate(self.path, error, self.busy_timeout) from error
        with self._lock:
            self._check_open()
            return self._open[conn], int(version)

    def rows(self, sql: str, params: Sequence[Any] = (), *, tuples: bool = False) -> list[Any]:
        """Every row of a query (sqlite3.Row, or plain tuples: cheaper for bulk reads)."""
        try:
            cursor = self.conn.cursor()
            if tuples:
                cursor.row_factory = None
            return cursor.execute(sql, params).fetchall()
        except sqlite3.Error as error:
            raise translate(self.path, error, self.busy_timeout) from error

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction on this thread's connection; refused on a read-only target."""
        if self.target.read_only is not None:
            raise read_only_error(self.path, self.target.read_only)
        try:
            with self.transaction() as conn:
                yield conn
        except sqlite3.Error as error:
            raise translate(self.path, error, self.busy_timeout) from error

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT on this thread's connection, once no other thread of
        this process is writing. SQLite's errors pass through: the caller words them. A wait
        here longer than the busy timeout is SQLite's "locked", as the wait in SQLite was."""
        conn = self.conn
        if not self._writer.acquire(timeout=self.busy_timeout):
            raise sqlite3.OperationalError("database is locked")
        try:
            with immediate(conn):
                yield conn
        finally:
            self._writer.release()

    def _check_open(self) -> None:
        if self._closed:
            raise InternalError(f"claims database {self.path} used after close()")


class _Lease:
    """One thread's hold on a connection. Only that thread's local storage refers to it, so it
    is freed when the thread ends, and hands the connection back then."""

    __slots__ = ("_database", "conn")

    def __init__(self, database: Database, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._database = database

    def __del__(self) -> None:
        try:
            self._database.give_back(self.conn)
        except Exception:
            self.conn.close()
