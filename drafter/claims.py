"""Claims store: one SQLite row per documented stopped program, the table the MRS reads.

SQLite (stdlib) because the table is small, must survive between runs, and several drafter
processes and threads (batch workers, an editor adding a claim) may use it at once; how the
connections, locks and SQLite's errors are handled lives in `drafter.sqlite_db`.
The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[n]` takes version n to n + 1.

Exchange formats (import/export and the seed file) live in `drafter.claim_files`.
"""

from __future__ import annotations

import errno
import functools
import json
import re
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.resources.abc import Traversable
from pathlib import Path
from types import TracebackType
from typing import Any, NamedTuple, TypeVar, cast

from pydantic import ValidationError

from drafter import bundled
from drafter.claim_files import (
    CLAIM_FIELDS,
    TIMESTAMP_FIELDS,
    claim_record,
    normalise_timestamp,
    parse_claims,
    reason_of,
)
from drafter.config import Settings, load_settings
from drafter.errors import BadInput, InternalError, StoreUnavailable
from drafter.models import PHASE_ORDER, Claim, fold_text
from drafter.mrs import MrsInput
from drafter.sqlite_db import (
    ELSEWHERE,
    Database,
    check_intact,
    connect,
    enable_wal,
    file_target,
    immediate,
    is_read_only,
    memory_target,
    read_only_error,
    read_only_targets,
    translate,
)
from drafter.terminal import tell

PhaseArchetypeCounts = dict[tuple[str | None, str], int]
# A filter: one name, or the names one target or disease is known by (any of them matches).
Names = str | Sequence[str]


class Deletion(NamedTuple):
    """One row of the audit trail: the claim's key, when it was deleted (UTC), the claim."""

    key: str
    deleted_at: str
    claim: dict[str, Any]


Migration = Callable[[sqlite3.Connection], None]

BUSY_TIMEOUT_SECONDS = 30.0
REMEMBERED_VALUES = 4096  # ClaimsStore.remembered's, least recently used dropped first
T = TypeVar("T")
_NOT_PERMITTED = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})
_NCT = re.compile(r"^nct[0-9]{8}$", re.IGNORECASE)
_ENSEMBL_VERSION = re.compile(r"^(ens[a-z]*[0-9]{11})\.[0-9]+$")


# --- schema -------------------------------------------------------------------------------------


def _create_claims_table(conn: sqlite3.Connection) -> None:
    """v0 → v1: the table, one column per Claim field plus the derived event date."""
    conn.execute(
        """
        CREATE TABLE claims (
            key TEXT PRIMARY KEY,
            nct_id TEXT,
            drug TEXT NOT NULL,
            drug_chembl_id TEXT,
            target_symbol TEXT NOT NULL,
            target_ensembl_id TEXT,
            disease_name TEXT NOT NULL,
            disease_id TEXT,
            phase TEXT,
            archetype TEXT NOT NULL,
            category TEXT NOT NULL,
            why_stopped TEXT,
            sponsor TEXT,
            termination_posted TEXT,
            primary_completion TEXT,
            event_date_override TEXT,
            event_date TEXT,
            event_date_precision TEXT CHECK (event_date_precision IN ('year', 'month', 'day')),
            headline TEXT,
            status TEXT NOT NULL CHECK (status IN ('draft', 'published')),
            sources TEXT NOT NULL DEFAULT '[]',
            created TEXT NOT NULL,
            updated TEXT NOT NULL
        )
        """
    )


def _add_search_keys(conn: sqlite3.Connection) -> None:
    """v1 → v2: normalised lookup columns and their indexes, so the MRS queries (target by symbol
    or Ensembl id, disease by name or ontology id, any case) are index lookups, not scans."""
    for column in ("target_norm", "target_ensembl_norm", "disease_norm", "disease_id_norm"):
        conn.execute(f"ALTER TABLE claims ADD COLUMN {column} TEXT")
    rows = conn.execute(
        "SELECT key, target_symbol, target_ensembl_id, disease_name, disease_id FROM claims"
    ).fetchall()
    for key, symbol, ensembl, disease, disease_id in rows:
        conn.execute(
            "UPDATE claims SET target_norm = ?, target_ensembl_norm = ?, disease_norm = ?,"
            " disease_id_norm = ? WHERE key = ?",
            (*_search_keys(symbol, ensembl, disease, disease_id), key),
        )
    for name, columns in _INDEXES.items():
        conn.execute(f"CREATE INDEX {name} ON claims ({columns})")


_INDEXES: dict[str, str] = {
    "claims_target_norm": "target_norm",
    "claims_target_ensembl_norm": "target_ensembl_norm",
    "claims_disease_norm": "disease_norm",
    "claims_disease_id_norm": "disease_id_norm",
    "claims_archetype": "archetype",
}


def _add_deletions_table(conn: sqlite3.Connection) -> None:
    """v2 → v3: the audit trail of `delete`: which claim, when (UTC), and the claim itself."""
    conn.execute(
        """
        CREATE TABLE claim_deletions (
            key TEXT NOT NULL,
            deleted_at TEXT NOT NULL,
            claim TEXT NOT NULL
        )
        """
    )
    conn.execute("CREATE INDEX claim_deletions_key ON claim_deletions (key)")


MIGRATIONS: tuple[Migration, ...] = (_create_claims_table, _add_search_keys, _add_deletions_table)
SCHEMA_VERSION = len(MIGRATIONS)
# The oldest schema the queries can read (v2 added the lookup columns). A read-only database
# cannot be migrated, so one older than this cannot be read at all.
READABLE_VERSION = 2

_ROW_COLUMNS: tuple[str, ...] = (
    "key",
    *CLAIM_FIELDS,
    "event_date",
    "event_date_precision",
    "target_norm",
    "target_ensembl_norm",
    "disease_norm",
    "disease_id_norm",
)
_UPSERT = (
    f"INSERT INTO claims ({', '.join(_ROW_COLUMNS)})"
    f" VALUES ({', '.join(':' + c for c in _ROW_COLUMNS)})"
    " ON CONFLICT(key) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in _ROW_COLUMNS if c not in ("key", "created"))
    # A row keeps the earliest `created` it has seen: its own on a normal upsert (now is later),
    # the file's when an export is restored over freshly seeded rows.
    + ", created = min(claims.created, excluded.created)"
)
_ORDER = " ORDER BY event_date IS NULL, event_date DESC, key"


# --- normalisation ------------------------------------------------------------------------------


def normalise_ensembl_id(text: str) -> str:
    """Ensembl ids compare without case and without a version suffix (ENSG…961.5 == ensg…961)."""
    value = text.strip().lower()
    match = _ENSEMBL_VERSION.match(value)
    return match.group(1) if match else value


def normalise_ontology_id(text: str) -> str:
    """Open Targets writes EFO_0000001, OBO and most papers EFO:0000001; a full IRI ends in it."""
    value = text.strip().rstrip("/").rsplit("/", 1)[-1]
    return value.replace(":", "_").lower()


def normalise_key(key: str) -> str:
    """The form `Claim.key` has, so `get` accepts "nct05591222" or "Zodasiran | ANGPTL3 | …"."""
    key = key.strip()
    if _NCT.match(key):
        return key.upper()
    return "|".join(" ".join(part.lower().split()) for part in key.split("|"))


def _search_keys(
    symbol: str, ensembl: str | None, disease: str, disease_id: str | None
) -> tuple[str, str | None, str, str | None]:
    return (
        fold_text(symbol),
        normalise_ensembl_id(ensembl) if ensembl else None,
        fold_text(disease),
        normalise_ontology_id(disease_id) if disease_id else None,
    )


# --- the store ----------------------------------------------------------------------------------


def utc_now() -> datetime:
    return datetime.now(UTC)


class ClaimsStore:
    """The claims table in one SQLite file, safe to share between the threads of a process
    (a connection per thread) and with other processes (WAL, busy timeout, BEGIN IMMEDIATE).

    Opening creates or migrates the file; a brand-new database is filled from `seed` (if given)
    in the same transaction, so the seed loads exactly once even when two processes open a new
    file at the same moment. When the file or its directory cannot be written, reads still
    work: an existing file is opened read-only, and a file that cannot be created is replaced
    by the seed claims in memory (`notice` says so); writes then raise StoreUnavailable.
    `in_memory=True` asks for that in-memory seed directly."""

    def __init__(
        self,
        path: Path,
        *,
        seed: Traversable | None = None,
        clock: Callable[[], datetime] = utc_now,
        busy_timeout: float | None = None,
        in_memory: bool = False,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._writes = 0  # committed through this store (see remembered)
        self._remembered: OrderedDict[Hashable, Any] = OrderedDict()
        self._memo_lock = threading.Lock()
        busy = BUSY_TIMEOUT_SECONDS if busy_timeout is None else busy_timeout
        if in_memory:
            reason = "the seed claims are held in memory"
            self._db, self.schema_version = self._open_seed(seed, busy, reason, fallback=False)
        else:
            self._db, self.schema_version = self._open(seed, busy)

    @property
    def read_only(self) -> str | None:
        """Why writes are refused, or None when the store is writable."""
        return self._db.target.read_only

    @property
    def notice(self) -> str | None:
        """A one-line warning for the user about how the store was opened, if any."""
        return self._db.target.notice

    # context manager
    def __enter__(self) -> ClaimsStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every thread's connection."""
        self._db.close()

    # writes
    def upsert(self, claim: Claim) -> Claim:
        """Insert or update the claim with this key; `created` survives, `updated` is now."""
        self.upsert_many([claim])
        stored = self.get(claim.key)
        assert stored is not None  # just written in a committed transaction
        return stored

    def upsert_many(self, claims: Iterable[Claim], *, keep_timestamps: bool = False) -> int:
        """Upsert all claims in one transaction (all or nothing). `keep_timestamps` restores
        the `created`/`updated` a claim carries (import of an export); by default the store
        stamps both. An existing row keeps the earlier of its own and the incoming `created`."""
        rows = list(claims)
        with self._db.write() as conn:
            _upsert_rows(conn, rows, self._now(), keep_timestamps=keep_timestamps)
        self._wrote()
        return len(rows)

    def upsert_unless_published(self, claim: Claim) -> tuple[Claim | None, Claim | None]:
        """Upsert `claim` unless a published claim holds its key, deciding and writing in one
        transaction: a claim another process publishes meanwhile is never overwritten (a read
        before the write let one through). Returns (the claim held before, None when none;
        the claim as stored, None when a published claim kept the key)."""
        with self._db.write() as conn:
            held = _held(conn, claim.key)
            if held is not None and held.status == "published":
                return held, None
            _upsert_rows(conn, [claim], self._now(), keep_timestamps=False)
            written = _held(conn, claim.key)
        self._wrote()
        return held, written

    def undo_upsert(self, written: Claim, previous: Claim | None) -> bool:
        """Undo an upsert that stored `written`: put `previous` back as it was (None: delete
        the claim, kept in the audit trail), in one transaction, and only while the row is
        still `written`. A row another process changed since (an editor's published claim,
        another run's filing of the same trial) is left alone: False."""
        with self._db.write() as conn:
            if _held(conn, written.key) != written:
                return False
            if previous is None:
                self._delete_row(conn, written.key)
            else:
                _upsert_rows(conn, [previous], self._now(), keep_timestamps=True)
        self._wrote()
        return True

    def delete(self, key: str) -> dict[str, Any] | None:
        """Delete the claim with this key and record it in `claim_deletions` (key, UTC time,
        the claim as JSON) in the same transaction. Returns the deleted claim's record, None
        when no claim has this key. The row is not validated first, so a row that breaks
        today's rules can still be removed."""
        with self._db.write() as conn:
            record = self._delete_row(conn, normalise_key(key))
        if record is not None:
            self._wrote()
        return record

    def _delete_row(self, conn: sqlite3.Connection, key: str) -> dict[str, Any] | None:
        """Inside a write transaction: the row's deletion and its audit row."""
        row = _row(conn, key)
        if row is None:
            return None
        record = _record_of_row(row)
        conn.execute(
            "INSERT INTO claim_deletions (key, deleted_at, claim) VALUES (?, ?, ?)",
            (row["key"], self._now(), json.dumps(record, ensure_ascii=False)),
        )
        conn.execute("DELETE FROM claims WHERE key = ?", (row["key"],))
        return record

    def _wrote(self) -> None:
        """Counted once committed: a reader that sees the new count reads the new rows."""
        with self._memo_lock:
            self._writes += 1

    def remembered(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`, a value read from this table, remembered under `key` while the table
        is unchanged: a batch's drafts score the same related pairs over and over. The table
        is unchanged while no write was committed through this store (its own count) and no
        other connection committed to the file (SQLite's data_version on the connection this
        thread reads through). `compute` must return a value nobody changes."""
        with self._memo_lock:
            writes = self._writes
        version = (self._db.data_version(), writes, key)
        with self._memo_lock:
            if version in self._remembered:
                self._remembered.move_to_end(version)
                return cast(T, self._remembered[version])
        value = compute()
        with self._memo_lock:
            self._remembered[version] = value
            while len(self._remembered) > REMEMBERED_VALUES:
                self._remembered.popitem(last=False)
        return value

    # reads
    def deletions(self) -> list[Deletion]:
        """The audit trail of deleted claims, oldest first."""
        rows = self._db.rows("SELECT key, deleted_at, claim FROM claim_deletions ORDER BY rowid")
        return [Deletion(key, at, json.loads(claim)) for key, at, claim in rows]

    def get(self, key: str) -> Claim | None:
        rows = self._db.rows("SELECT * FROM claims WHERE key = ?", (normalise_key(key),))
        return _claim_from_row(rows[0]) if rows else None

    def all(self) -> list[Claim]:
        return self.query()

    def for_pair(self, target: str, disease: str) -> list[Claim]:
        """Claims on this target in this indication (the MRS's input)."""
        return self.query(target=target, disease=disease)

    def for_target(self, target: str) -> list[Claim]:
        """Claims on this target in any indication (programmatic saturation, related claims)."""
        return self.query(target=target)

    def drugs_for_target(self, target: str) -> list[tuple[str, str | None]]:
        """Distinct (drug, ChEMBL id) on this target in any indication: all n_t needs, and
        far cheaper than loading every claim on a crowded target."""
        where, params = _filters(target, None, None)
        sql = f"SELECT DISTINCT drug, drug_chembl_id FROM claims{where} ORDER BY drug"
        return [(drug, chembl_id) for drug, chembl_id in self._db.rows(sql, params)]

    def for_pair_names(
        self, targets: Iterable[str | None], diseases: Iterable[str | None]
    ) -> list[Claim]:
        """Claims on a pair known under several names (symbol and Ensembl id; disease name
        and ontology id), each once, in key order."""
        found: dict[str, Claim] = {}
        disease_names = [d for d in dict.fromkeys(diseases) if d]
        for target in (t for t in dict.fromkeys(targets) if t):
            for disease in disease_names:
                for claim in self.for_pair(target, disease):
                    found.setdefault(claim.key, claim)
        return sorted(found.values(), key=lambda c: c.key)

    def drugs_for_targets(self, targets: Iterable[str | None]) -> list[tuple[str, str | None]]:
        """Distinct (drug, ChEMBL id) on a target known under several names."""
        drugs: dict[tuple[str, str | None], None] = {}
        for target in (t for t in dict.fromkeys(targets) if t):
            drugs.update(dict.fromkeys(self.drugs_for_target(target)))
        return list(drugs)

    def for_disease(self, disease: str) -> list[Claim]:
        """Claims in this indication on any target."""
        return self.query(disease=disease)

    def for_archetype(self, archetype: str) -> list[Claim]:
        return self.query(archetype=archetype)

    def query(
        self,
        *,
        target: Names | None = None,
        disease: Names | None = None,
        archetype: str | None = None,
    ) -> list[Claim]:
        """Claims matching every filter given; target = symbol or Ensembl id, disease = name or
        ontology id (EFO_… or EFO:…), all case-insensitive, each one name or any of several
        (the names of one entity). Newest event first, undated last."""
        stored = self.query_stored(target=target, disease=disease, archetype=archetype)
        return [row.claim() for row in stored]

    def query_stored(
        self,
        *,
        target: Names | None = None,
        disease: Names | None = None,
        archetype: str | None = None,
    ) -> list[StoredClaim]:
        """`query`'s claims as stored rows, each built into a Claim only when asked: related
        claims count and sort every match (a draft's failure type matches a third of a
        batch's table) and show five of them."""
        where, params = _filters(target, disease, archetype)
        rows = self._db.rows(f"SELECT * FROM claims{where}{_ORDER}", params)
        return [StoredClaim(row["key"], row["event_date"], row) for row in rows]

    def mrs_inputs(self) -> list[MrsInput]:
        """Every claim as the MRS reads it, straight from the rows: they were validated when
        written, so the whole-table recompute skips building 100,000 Claim models."""
        sql = f"SELECT {', '.join(MrsInput._fields)} FROM claims ORDER BY key"
        return list(map(MrsInput._make, self._db.rows(sql, tuples=True)))

    def counts_by_phase_archetype(
        self,
        claims: Iterable[Claim] | None = None,
        *,
        target: str | None = None,
        disease: str | None = None,
        archetype: str | None = None,
    ) -> PhaseArchetypeCounts:
        """(phase, archetype) → number of claims, for the given claims or the filtered table.
        Phase None means the record names no phase; it is counted, not guessed."""
        if claims is not None:
            return count_by_phase_archetype(claims)
        where, params = _filters(target, disease, archetype)
        rows = self._db.rows(
            f"SELECT phase, archetype, COUNT(*) FROM claims{where} GROUP BY phase, archetype",
            params,
        )
        return _sorted_counts({(phase, arch): count for phase, arch, count in rows})

    # internals
    def _now(self) -> str:
        return self._clock().astimezone(UTC).isoformat(timespec="microseconds")

    def _open(self, seed: Traversable | None, busy: float) -> tuple[Database, int]:
        """Read-write if possible; else read-only, or the seed in memory for a new file."""
        existed = _exists(self.path)
        if existed and self.path.is_dir():
            raise BadInput(f"claims database path {self.path} is a directory")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            if error.errno in _NOT_PERMITTED:
                reason = f"its directory cannot be created ({error.strerror})"
                return self._open_seed(seed, busy, reason)
            raise BadInput(
                f"cannot create the directory for claims database {self.path}: {error.strerror}"
            ) from error
        target = file_target(self.path)
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(target, busy)
            if existed:
                check_intact(conn)
            enable_wal(conn, busy)
            version = self._prepare(conn, seed)
        except sqlite3.Error as error:
            if conn is not None:
                conn.close()
            if not is_read_only(error):
                raise translate(self.path, error, busy) from error
            if not existed:
                return self._open_seed(
                    seed, busy, f"it does not exist and cannot be created ({error})"
                )
            return self._open_read_only(busy, str(error))
        except BaseException:
            if conn is not None:
                conn.close()
            raise
        return Database(self.path, target, busy, conn), version

    def _open_read_only(self, busy: float, reason: str) -> tuple[Database, int]:
        """An existing file this user may read but not write (or whose directory is read-only,
        so the WAL index cannot be created): read it without migrating it."""
        failure: sqlite3.Error | None = None
        for target in read_only_targets(self.path, reason):
            try:
                conn = connect(target, busy)
            except sqlite3.Error as error:
                failure = error
                continue
            try:
                version = _user_version(conn)
                _check_version(self.path, version)
                if version < READABLE_VERSION:
                    raise read_only_error(
                        self.path, f"schema version {version} needs an upgrade to be read"
                    )
                conn.execute("SELECT 1 FROM claims LIMIT 1").fetchall()
                check_intact(conn)
            except sqlite3.Error as error:
                conn.close()
                failure = error
                continue
            except BaseException:
                conn.close()
                raise
            return Database(self.path, target, busy, conn), version
        assert failure is not None
        raise translate(self.path, failure, busy) from failure

    def _open_seed(
        self, seed: Traversable | None, busy: float, reason: str, *, fallback: bool = True
    ) -> tuple[Database, int]:
        """The seed claims in a shared in-memory database, read-only: what read commands get
        when the database does not exist and cannot be created (a `fallback`, said in the
        notice)."""
        if seed is None:
            raise read_only_error(self.path, reason)
        notice = (
            f"claims database {self.path}: {reason}; reading the bundled seed claims in memory"
            " instead (read-only)"
            if fallback
            else None
        )
        target = memory_target(reason, notice)
        conn = connect(target, busy)
        try:
            version = self._prepare(conn, seed)
        except BaseException:
            conn.close()
            raise
        return Database(self.path, target, busy, conn), version

    def _prepare(self, conn: sqlite3.Connection, seed: Traversable | None) -> int:
        version = _user_version(conn)
        _check_version(self.path, version)
        if version == SCHEMA_VERSION:
            return version
        with immediate(conn):
            version = _user_version(conn)  # another process may have migrated meanwhile
            _check_version(self.path, version)
            fresh = version == 0
            if fresh and conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
                raise BadInput(f"{self.path} is an SQLite database but not a drafter claims store")
            for migration in MIGRATIONS[version:]:
                migration(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            if fresh and seed is not None:
                _upsert_rows(conn, read_seed(seed), self._now(), keep_timestamps=False)
        return SCHEMA_VERSION


def open_store(
    settings: Settings | None = None, *, warn: Callable[[str], None] | None = None
) -> ClaimsStore:
    """The store every command uses: `Settings.db_path` (user data dir, DRAFTER_DB or --db),
    seeded from the bundled seed claims the first time the database is created. How it had to
    be opened (read-only, or the seed in memory) is told once through `warn`, by default as a
    one-line warning on stderr."""
    settings = settings if settings is not None else load_settings()
    store = ClaimsStore(settings.db_path, seed=bundled.SEED_CLAIMS)
    if store.notice:
        (warn or _warn_on_stderr)(store.notice)
    return store


def read_seed(seed: Traversable) -> list[Claim]:
    """The seed claims (JSON Lines). The bundled seed ships with drafter, so a damaged one is
    an internal error naming the file, not the user's bad input."""
    name = bundled.display_name(seed)
    try:
        return parse_claims(bundled.read_text(seed).lstrip("\ufeff"), "jsonl", name)
    except BadInput as error:
        raise InternalError(f"{error}; reinstall drafter") from None


def _warn_on_stderr(message: str) -> None:
    tell(f"warning: {message}")


def count_by_phase_archetype(claims: Iterable[Claim]) -> PhaseArchetypeCounts:
    counts: PhaseArchetypeCounts = {}
    for claim in claims:
        cell = (claim.phase, claim.archetype)
        counts[cell] = counts.get(cell, 0) + 1
    return _sorted_counts(counts)


def _sorted_counts(counts: PhaseArchetypeCounts) -> PhaseArchetypeCounts:
    def order(cell: tuple[str | None, str]) -> tuple[int, str]:
        phase, archetype = cell
        rank = PHASE_ORDER.index(phase) if phase in PHASE_ORDER else len(PHASE_ORDER)
        return rank, archetype

    return {cell: counts[cell] for cell in sorted(counts, key=order)}


def _exists(path: Path) -> bool:
    """Whether the database file exists; a path we may not even look at is an error."""
    try:
        return path.stat() is not None
    except FileNotFoundError:
        return False
    except OSError as error:
        raise StoreUnavailable(
            f"cannot reach claims database {path} ({error.strerror}); check the permissions of"
            f" its directories, or {ELSEWHERE}"
        ) from error


def _user_version(conn: sqlite3.Connection) -> int:
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    return version


def _check_version(path: Path, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise BadInput(
            f"claims database {path} has schema version {version}, newer than this drafter "
            f"supports ({SCHEMA_VERSION}); upgrade drafter or use another --db"
        )


def _filters(
    target: Names | None, disease: Names | None, archetype: str | None
) -> tuple[str, list[str]]:
    clauses: list[str] = []
    params: list[str] = []
    if target is not None:
        names = _listed(target)
        marks = ", ".join("?" * len(names))
        clauses.append(f"(target_norm IN ({marks}) OR target_ensembl_norm IN ({marks}))")
        params += [fold_text(n) for n in names] + [normalise_ensembl_id(n) for n in names]
    if disease is not None:
        names = _listed(disease)
        marks = ", ".join("?" * len(names))
        clauses.append(f"(disease_norm IN ({marks}) OR disease_id_norm IN ({marks}))")
        params += [fold_text(n) for n in names] + [normalise_ontology_id(n) for n in names]
    if archetype is not None:
        clauses.append("archetype = ?")
        params.append(archetype.strip().lower())
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _listed(names: Names) -> list[str]:
    """One name, or every name of one entity (a symbol, its aliases and its id): an empty
    list would match nothing and is refused as a programming error."""
    listed = [names] if isinstance(names, str) else list(dict.fromkeys(names))
    if not listed:
        raise ValueError("a filter needs at least one name")
    return listed


def _upsert_rows(
    conn: sqlite3.Connection, claims: Sequence[Claim], now: str, *, keep_timestamps: bool
) -> None:
    conn.executemany(_UPSERT, [_row_of(c, now, keep_timestamps) for c in claims])


def _row_of(claim: Claim, now: str, keep_timestamps: bool) -> dict[str, Any]:
    record = claim_record(claim)
    row: dict[str, Any] = {name: record[name] for name in CLAIM_FIELDS}
    row["sources"] = json.dumps(claim.sources, ensure_ascii=False)
    for name in TIMESTAMP_FIELDS:
        given: str | None = getattr(claim, name) if keep_timestamps else None
        try:
            row[name] = normalise_timestamp(given) if given else now
        except ValueError as error:
            raise BadInput(f"claim {claim.key}: {name}: {error}") from error
    event = claim.event_date
    row["key"] = claim.key
    row["event_date"] = event.value if event else None
    row["event_date_precision"] = event.precision if event else None
    keys = _search_keys(
        claim.target_symbol, claim.target_ensembl_id, claim.disease_name, claim.disease_id
    )
    names = ("target_norm", "target_ensembl_norm", "disease_norm", "disease_id_norm")
    row.update(zip(names, keys, strict=True))
    return row


def _record_of_row(row: sqlite3.Row | dict[str, Any]) -> dict[str, Any]:
    """The row as a claim record (the shape of `claim_record`), unvalidated."""
    record = {name: row[name] for name in CLAIM_FIELDS}
    with suppress(ValueError):
        record["sources"] = json.loads(row["sources"])
    return record


@dataclass(frozen=True)
class StoredClaim:
    """A row of the claims table: its key and event date as stored (the claim's own, written
    from it), and the claim itself on demand, validated as `query` validates it."""

    key: str
    event_date: str | None  # Claim.event_date's value
    row: sqlite3.Row = field(repr=False)

    def claim(self) -> Claim:
        return _claim_from_row(self.row)


def _row(conn: sqlite3.Connection, key: str) -> sqlite3.Row | None:
    """The row under `key` (as `Claim.key` normalises it), read on `conn`."""
    found: sqlite3.Row | None = conn.execute(
        "SELECT * FROM claims WHERE key = ?", (key,)
    ).fetchone()
    return found


def _held(conn: sqlite3.Connection, key: str) -> Claim | None:
    """The claim under `key`, read on `conn`."""
    row = _row(conn, key)
    return _claim_from_row(row) if row is not None else None


def _claim_from_row(row: sqlite3.Row) -> Claim:
    try:
        values = tuple(row)  # every column: the claim's own and what is derived from them
        claim = _validated(tuple(row.keys()), values, tuple(map(type, values)))
    except ValidationError as error:
        key = row["key"]
        raise BadInput(
            f"claims database row {key}: {reason_of(error)}; correct it with `drafter claims"
            f" add` or remove it with `drafter claims delete {key}`"
        ) from error
    # a copy of its own for each caller (its one list too): the remembered model stays as read
    return claim.model_copy(update={"sources": list(claim.sources)})


@functools.lru_cache(maxsize=8192)
def _validated(columns: tuple[str, ...], values: tuple[Any, ...], types: tuple[type, ...]) -> Claim:
    """The Claim of one row, remembered: every draft of a batch reads the claims the run filed
    (related claims, the pair's claims) and validated each again. Keyed by every column of
    the row, its value and its type (1, 1.0 and True stay apart), so a changed row is a new
    key, never a stale claim."""
    return Claim.model_validate(_record_of_row(dict(zip(columns, values, strict=True))))
