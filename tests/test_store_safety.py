"""ClaimsStore under threads and other processes, and errors that tell the truth: a damaged,
locked or read-only database, a read-only directory, a new database nobody may create."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from drafter.calllog import CallLog
from drafter.claim_files import claim_record
from drafter.claims import SCHEMA_VERSION, ClaimsStore
from drafter.cli import main
from drafter.errors import BadInput, InternalError, StoreUnavailable
from drafter.models import Claim
from tests.conftest import SEED_CLAIMS as DEFAULT_SEED_CLAIMS
from tests.readers import (
    Result,
    make_read_only,
    make_writable_by_reader,
    reader_tree,
    run_as_reader,
)
from tests.subprocesses import SQLITE_LOCK_HOLDER, child_ready
from tests.test_calllog import record as call_record

MRS_CALIBRATION = (
    *("mrs", "--target", "LILRA4", "--disease", "discoid lupus erythematosus"),
    *("--as-of", "2026-05-20"),
)
SEED_COUNT = len(DEFAULT_SEED_CLAIMS.read_text(encoding="utf-8").splitlines())


def make_claim(i: int, **fields: Any) -> Claim:
    base: dict[str, Any] = {
        "nct_id": f"NCT{i:08d}",
        "drug": f"drug {i % 7}",
        "target_symbol": f"T{i % 3}",
        "disease_name": f"D{i % 2}",
        "phase": "PHASE2",
        "archetype": "efficacy",
        "category": "Negative",
        "termination_posted": "2024-05-01",
    }
    return Claim.model_validate(base | fields)


def one_line(err: str) -> bool:
    return err.startswith("drafter: ") and err.count("\n") == 1 and "Traceback" not in err


# --- threads and processes ----------------------------------------------------------------------


def test_one_store_serves_a_pool_of_eight_threads(tmp_path: Path) -> None:
    db = tmp_path / "pool.sqlite3"
    store = ClaimsStore(db, seed=DEFAULT_SEED_CLAIMS)

    def work(i: int) -> int:
        if i % 3 == 0:
            store.upsert(make_claim(i))
            store.upsert_many([make_claim(i + 10_000), make_claim(i + 20_000)])
            return 3
        if i % 3 == 1:
            assert all(c.target_symbol == "T1" for c in store.for_pair("T1", f"D{i % 2}"))
            return 0
        assert store.get("NCT05591222") is not None
        store.counts_by_phase_archetype()
        store.mrs_inputs()
        return 0

    with ThreadPoolExecutor(max_workers=8) as pool:
        written = sum(pool.map(work, range(240)))
    keys = {claim.key for claim in store.all()}
    expected = {make_claim(i + k).key for i in range(0, 240, 3) for k in (0, 10_000, 20_000)}
    assert expected <= keys
    assert len(keys) == written + SEED_COUNT
    store.close()
    # Every thread's connection was closed: the last close checkpoints and removes the WAL.
    assert not Path(f"{db}-wal").exists()
    with pytest.raises(InternalError, match="after close"):
        store.all()


def test_threads_of_one_process_queue_for_the_write_lock_not_in_sqlite(tmp_path: Path) -> None:
    """Every connection's own busy timeout is 0: a write that met another thread's write in
    SQLite would fail at once ("locked"). None does, so the threads took turns before SQLite,
    in drafter, and every row of the claims table and of the call log lands."""
    store = ClaimsStore(tmp_path / "claims.sqlite3")
    log = CallLog(tmp_path / "calls.sqlite3")
    start = threading.Barrier(16)

    def work(n: int) -> None:
        for database in (store._db, log._db):
            database.conn.execute("PRAGMA busy_timeout = 0")
        start.wait()
        for k in range(10):
            store.upsert(make_claim(100 * n + k))
            log.add(call_record(draft_id=f"draft-{n}"))

    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(work, range(16)))
    assert len(store.all()) == 160
    assert len(log.records()) == 160
    store.close()
    log.close()


def test_a_wait_for_another_threads_write_ends_at_the_busy_timeout(tmp_path: Path) -> None:
    store = ClaimsStore(tmp_path / "claims.sqlite3", busy_timeout=0.2)
    writing, done = threading.Event(), threading.Event()

    def hold() -> None:
        with store._db.transaction():
            writing.set()
            done.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        writing.wait(30)
        with pytest.raises(StoreUnavailable, match="locked"):
            store.upsert(make_claim(1))
    finally:
        done.set()
        holder.join()
    store.upsert(make_claim(1))  # once the other write is over
    assert len(store.all()) == 1
    store.close()


@pytest.fixture
def locked_db(tmp_path: Path) -> Iterator[Path]:
    db = tmp_path / "locked.sqlite3"
    ClaimsStore(db, seed=DEFAULT_SEED_CLAIMS).close()
    holder = child_ready(SQLITE_LOCK_HOLDER, db, "locked")
    try:
        yield db
    finally:
        holder.communicate(timeout=30)


def test_a_database_locked_beyond_the_busy_timeout_is_unavailable(
    locked_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with ClaimsStore(locked_db, busy_timeout=0.2) as store:
        assert len(store.all()) == SEED_COUNT  # WAL: reading goes on while another writes
        with pytest.raises(StoreUnavailable, match="locked by another process"):
            store.upsert(make_claim(1))
    monkeypatch.setattr("drafter.claims.BUSY_TIMEOUT_SECONDS", 0.2)
    claim = json.dumps(claim_record(make_claim(1)))
    assert main(["claims", "--db", str(locked_db), "add", "--json-claim", claim]) == 3
    err = capsys.readouterr().err
    assert one_line(err) and str(locked_db) in err
    assert "locked by another process" in err and "try again" in err


# --- a damaged database ---------------------------------------------------------------------------


def damaged(tmp_path: Path) -> Path:
    """A database with garbage written over the middle of the file (its header intact)."""
    db = tmp_path / "damaged.sqlite3"
    with ClaimsStore(db) as store:
        store.upsert_many([make_claim(i, why_stopped=f"reason {i} " * 40) for i in range(400)])
    size = db.stat().st_size
    with db.open("r+b") as handle:
        handle.seek(size // 4)
        handle.write(b"\xde\xad\xbe\xef" * (size // 8))
    return db


@pytest.mark.parametrize(
    "argv",
    [["list"], ["list", "--json"], ["export"], ["list", "--target", "T1"]],
)
def test_a_damaged_database_is_bad_input_on_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    db = damaged(tmp_path)
    assert main(["claims", "--db", str(db), *argv]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert one_line(captured.err), captured.err
    assert str(db) in captured.err and "malformed" in captured.err
    assert "drafter claims export" in captured.err and "DRAFTER_DB" in captured.err


def test_a_damaged_database_is_refused_when_opened(tmp_path: Path) -> None:
    """Found when opened (PRAGMA quick_check), so no read can answer from a damaged file."""
    db = damaged(tmp_path)
    with pytest.raises(BadInput, match="is damaged"):
        ClaimsStore(db)


def test_a_damaged_index_is_not_a_silently_wrong_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Garbage in the target index's page left the table pages intact: `claims list --target`
    answered "0 claims", exit 0, before the check at open (a hostile-review reproduction)."""
    db = tmp_path / "claims.sqlite3"
    with ClaimsStore(db, seed=DEFAULT_SEED_CLAIMS):
        pass
    with sqlite3.connect(db) as conn:
        [(root,)] = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'claims_target_norm'"
        ).fetchall()
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    with db.open("r+b") as handle:
        handle.seek((root - 1) * page_size + 8)
        handle.write(bytes(range(200)))
    assert main(["claims", "--db", str(db), "list", "--target", "LILRA4"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "is damaged" in captured.err


# --- read-only files and directories --------------------------------------------------------------


def reader_env(root: Path, db: Path) -> dict[str, str]:
    config = root / "config.toml"
    config.write_text("")
    config.chmod(0o644)
    cache = root / "cache"
    cache.mkdir()
    make_writable_by_reader(cache)
    return {"DRAFTER_DB": str(db), "DRAFTER_CONFIG": str(config), "DRAFTER_CACHE_DIR": str(cache)}


def seeded_tree(root: Path) -> Path:
    db = root / "data" / "claims.sqlite3"
    ClaimsStore(db, seed=DEFAULT_SEED_CLAIMS).close()
    return db


def assert_lists_the_seed(result: Result) -> None:
    assert result.code == 0, result.err
    assert len(json.loads(result.out)) == SEED_COUNT


@pytest.mark.parametrize("writer_open", [False, True], ids=["closed", "writer-open"])
def test_a_read_only_directory_still_serves_reads(writer_open: bool) -> None:
    with reader_tree() as root:
        db = seeded_tree(root)
        env = reader_env(root, db)
        writer = sqlite3.connect(db) if writer_open else None
        try:
            if writer is not None:  # its -wal and -shm files exist, readable by all
                writer.execute("SELECT count(*) FROM claims").fetchone()
                make_read_only(*db.parent.glob("claims.sqlite3-*"))
            make_read_only(db, db.parent)
            before = sorted(p.name for p in db.parent.iterdir())
            assert_lists_the_seed(run_as_reader(["claims", "list", "--json"], env))
            exported = run_as_reader(["claims", "export"], env)
            assert exported.code == 0 and len(exported.out.splitlines()) == SEED_COUNT
            mrs = run_as_reader([*MRS_CALIBRATION, "--offline", "--json"], env)
            assert mrs.code == 0, mrs.err
            assert json.loads(mrs.out)["total"] == 33
            add = run_as_reader(
                ["claims", "add", "--json-claim", json.dumps(claim_record(make_claim(1)))], env
            )
            assert add.code == 3 and one_line(add.err), add.err
            assert str(db) in add.err and "read-only" in add.err
            assert sorted(p.name for p in db.parent.iterdir()) == before
        finally:
            if writer is not None:
                writer.close()


def test_a_read_only_database_file_refuses_writes_with_exit_3() -> None:
    with reader_tree() as root:
        db = seeded_tree(root)
        env = reader_env(root, db)
        make_writable_by_reader(db.parent)  # the directory is writable, the file is not
        make_read_only(db)
        assert_lists_the_seed(run_as_reader(["claims", "list", "--json"], env))
        add = run_as_reader(
            ["claims", "add", "--json-claim", json.dumps(claim_record(make_claim(2)))], env
        )
        assert add.code == 3 and one_line(add.err), add.err
        assert str(db) in add.err and "read-only" in add.err


def test_an_old_schema_in_a_read_only_directory_is_read_without_upgrading() -> None:
    with reader_tree() as root:
        db = seeded_tree(root)
        conn = sqlite3.connect(db)
        conn.execute("DROP TABLE claim_deletions")  # back to schema version 2
        conn.execute("PRAGMA user_version = 2")
        conn.commit()
        conn.close()
        env = reader_env(root, db)
        make_read_only(db, db.parent)
        assert_lists_the_seed(run_as_reader(["claims", "list", "--json"], env))
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 2 < SCHEMA_VERSION
        conn.close()


def test_a_new_database_in_a_read_only_directory_falls_back_to_the_seed() -> None:
    with reader_tree() as root:
        directory = root / "data"
        directory.mkdir()
        db = directory / "claims.sqlite3"
        env = reader_env(root, db)
        make_read_only(directory)
        result = run_as_reader(["claims", "list", "--json"], env)
        assert_lists_the_seed(result)
        assert result.err.count("\n") == 1 and result.err.startswith("drafter: warning: ")
        assert str(db) in result.err and "seed" in result.err
        add = run_as_reader(
            ["claims", "add", "--json-claim", json.dumps(claim_record(make_claim(3)))], env
        )
        assert add.code == 3 and str(db) in add.err, add.err
        assert list(directory.iterdir()) == []


def test_the_seed_fallback_serves_every_thread(tmp_path: Path) -> None:
    """The in-memory fallback is one shared database, not an empty one per thread."""
    directory = tmp_path / "ro"
    directory.mkdir()
    store = ClaimsStore(directory / "claims.sqlite3", seed=DEFAULT_SEED_CLAIMS, in_memory=True)
    with ThreadPoolExecutor(max_workers=4) as pool:
        counts = list(pool.map(lambda _: len(store.all()), range(8)))
    assert counts == [SEED_COUNT] * 8
    with pytest.raises(StoreUnavailable, match="read-only"):
        store.upsert(make_claim(4))
    store.close()


def test_short_lived_threads_do_not_pile_up_connections(tmp_path: Path) -> None:
    """A batch's sections each run in a thread of their own: a connection kept per thread ever
    seen held two file descriptors each until close(), and a few hundred drafts ran out."""
    store = ClaimsStore(tmp_path / "claims.sqlite3")
    database = store._db  # the pool is what is measured
    for n in range(300):  # one after another: each thread's connection is lent to the next
        thread = threading.Thread(target=lambda n=n: store.upsert(make_claim(n % 50 + 1)))
        thread.start()
        thread.join()
    assert database.open_connections <= 2
    for _ in range(5):  # 24 at once, five rounds: what is lent comes back and is lent again
        threads = [threading.Thread(target=store.all) for _ in range(24)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert database.open_connections <= 25
    assert len(store.all()) == 50
    store.close()
    assert database.open_connections == 0


def test_a_connection_is_never_lent_to_two_threads_at_once(tmp_path: Path) -> None:
    """Sixteen threads write and read in turn, each holding its connection across its own
    transaction while others start and end: every row lands once and no thread ever sees a
    connection another live thread holds."""
    store = ClaimsStore(tmp_path / "claims.sqlite3")
    database = store._db
    held: dict[int, int] = {}
    clash: list[str] = []
    guard = threading.Lock()

    def work(n: int) -> None:
        conn = database.conn
        with guard:
            if id(conn) in held.values():
                clash.append(f"thread {n}")
            held[threading.get_ident()] = id(conn)
        store.upsert(make_claim(n + 1))
        assert database.conn is conn  # the same connection for the thread's whole life
        with guard:
            del held[threading.get_ident()]

    for round_ in range(4):
        threads = [threading.Thread(target=work, args=(16 * round_ + i,)) for i in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert clash == []
    assert len(store.all()) == 64
    store.close()


def test_the_in_memory_fallback_outlives_the_threads_that_used_it(tmp_path: Path) -> None:
    """The fallback lives as long as one connection to it: the first is never closed early."""
    directory = tmp_path / "ro"
    directory.mkdir()
    opened: list[ClaimsStore] = []
    thread = threading.Thread(
        target=lambda: opened.append(
            ClaimsStore(directory / "claims.sqlite3", seed=DEFAULT_SEED_CLAIMS, in_memory=True)
        )
    )
    thread.start()
    thread.join()  # the thread that opened it has ended
    (store,) = opened
    with ThreadPoolExecutor(max_workers=40) as pool:
        counts = list(pool.map(lambda _: len(store.all()), range(80)))
    assert counts == [SEED_COUNT] * 80
    assert len(store.all()) == SEED_COUNT
    store.close()
