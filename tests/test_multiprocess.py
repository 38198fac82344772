"""Several drafter processes at once, as a newsroom runs them: batches and drafts sharing one
claims database (DRAFTER_DB) and one cache directory (DRAFTER_CACHE_DIR), editors changing
claims while drafts file theirs, a batch killed with SIGKILL while others write, a cache entry
read while another process rewrites it. Threads inside one process are covered by
test_concurrency.py, test_http_concurrency.py and test_batch*.py.

Processes are ordered by events and files (a model call held until the test releases it, a
barrier file), never by sleeps; nothing asserts how long anything took."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from drafter.bundle import Bundle
from drafter.calllog import CallLog
from drafter.claims import ClaimsStore
from drafter.classify import DEFAULT_CLASSIFIER
from drafter.models import Claim
from drafter.sources.ctgov import study_page_url
from drafter.sources.ratelimit import RateLimiter
from drafter.trial_claim import claim_for_trial, record_trial, withdraw_trial
from tests.ctgov_fleet import CtgovFleet
from tests.drafting_model import model
from tests.openai_server import OpenAIServer, invalid_api_key
from tests.servers import Received, Reply
from tests.subprocesses import REPO, SQLITE_LOCK_HOLDER, child_ready, start_drafter, wait_until
from tests.test_batch import complete

AS_OF = "2026-05-20"
# A stopped trial of the bundled snapshot that files a new draft claim (not a seed claim).
FILED = "NCT05540665"
HOLD_SECONDS = 60.0  # the longest a held model call waits for the test's release


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=300)
    return process.returncode, out, err


def assert_clean(err: str) -> None:
    """What a user sees on stderr: no traceback, no lock failure."""
    assert "Traceback" not in err, err
    assert "locked" not in err, err


def drafter_run(*argv: str) -> tuple[int, str, str]:
    return finish(start_drafter(*argv))


def published(bundle: Bundle) -> Claim:
    """The claim the trial files, as an editor publishes it (the registry page as source)."""
    why = bundle.trial.status.why_stopped
    claim = claim_for_trial(bundle, DEFAULT_CLASSIFIER.classify(why))
    assert claim is not None
    return Claim.model_validate(
        claim.model_dump() | {"status": "published", "sources": [study_page_url(claim.key)]}
    )


def claim_json(claim: Claim) -> str:
    return claim.model_dump_json(exclude={"created", "updated"})


class HeldModel:
    """A model whose first call waits until the test releases it, then every call answers
    401: the draft that asked fails as 'model unavailable' and writes nothing."""

    def __init__(self) -> None:
        self.arrived = threading.Event()
        self.release = threading.Event()

    def __call__(self, body: dict[str, Any]) -> Reply:
        self.arrived.set()
        self.release.wait(HOLD_SECONDS)
        return invalid_api_key()


@pytest.fixture
def held_model(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldModel]:
    held = HeldModel()
    server = OpenAIServer(responder=held)
    server.start()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-multiprocess-0000")
    try:
        yield held
    finally:
        held.release.set()
        server.stop()


def start_held_draft(held: HeldModel, out: Path) -> subprocess.Popen[str]:
    """`drafter draft FILED --writer openai`, once it has filed its claim and its first model
    call is held."""
    process = start_drafter(
        "draft", FILED, "--offline", "--writer", "openai", "--out", str(out), "--as-of", AS_OF
    )
    wait_until(process, held.arrived.is_set, "the draft's first model call", 120)
    return process


def stored(db: Path, key: str) -> Claim | None:
    with ClaimsStore(db) as store:
        return store.get(key)


# --- claims filed by a draft, and changed meanwhile by other processes ---------------------------


def test_a_failed_draft_still_undoes_its_filing_when_nobody_else_wrote(
    tmp_path: Path, bundle_of: Callable[[str], Bundle]
) -> None:
    """The control of the races below: alone, a withdrawn filing leaves the table as it was,
    a new claim deleted (kept in the audit trail) and a replaced one put back."""
    bundle = bundle_of(FILED)
    claim = claim_for_trial(bundle, DEFAULT_CLASSIFIER.classify(bundle.trial.status.why_stopped))
    assert claim is not None
    with ClaimsStore(tmp_path / "claims.sqlite3") as store:
        withdraw_trial(store, record_trial(store, claim))
        assert store.get(FILED) is None
        assert [d.key for d in store.deletions()] == [FILED]

        before = store.upsert(claim.model_copy(update={"headline": "an earlier run's"}))
        filed = record_trial(store, claim)
        assert filed.previous == before and store.get(FILED) == filed.written
        withdraw_trial(store, filed)
        assert store.get(FILED) == before

        editor = store.upsert(published(bundle))
        filed = record_trial(store, claim)
        assert filed.written is None and filed.previous == editor  # a published claim stays
        withdraw_trial(store, filed)
        assert store.get(FILED) == editor


def test_a_claim_published_by_an_editor_during_a_draft_survives_the_drafts_failure(
    tmp_path: Path, held_model: HeldModel, bundle_of: Callable[[str], Bundle]
) -> None:
    """The draft filed a draft claim, an editor published the trial's claim while the model
    was thinking, then the draft failed: its undo must not delete the editor's claim."""
    db = tmp_path / "claims.sqlite3"
    draft = start_held_draft(held_model, tmp_path / "out")
    filed = stored(db, FILED)
    assert filed is not None and filed.status == "draft"

    editor = published(bundle_of(FILED))
    code, _, err = drafter_run("claims", "add", "--json-claim", claim_json(editor))
    assert code == 0, err
    held_model.release.set()

    code, _, err = finish(draft)
    assert code == 3 and "401" in err, err  # model unavailable: no draft written
    assert_clean(err)
    assert not (tmp_path / "out" / FILED / "draft.json").exists()
    kept = stored(db, FILED)
    assert kept is not None, "the editor's published claim was deleted"
    assert kept.status == "published" and kept.sources == editor.sources


def test_a_claim_another_draft_filed_and_drafted_with_survives_a_failed_draft(
    tmp_path: Path, held_model: HeldModel
) -> None:
    """Two drafts of one trial: the first files the claim and waits for its model, the second
    files it again and writes its draft (scored with that claim), then the first fails. The
    second draft's claim stays."""
    db = tmp_path / "claims.sqlite3"
    first = start_held_draft(held_model, tmp_path / "first")
    code, _, err = drafter_run(
        "draft", FILED, "--offline", "--writer", "offline", "--out", str(tmp_path / "second")
    )
    assert code in (0, 1), err
    assert (tmp_path / "second" / FILED / "draft.json").exists()
    second = stored(db, FILED)
    assert second is not None
    held_model.release.set()

    code, _, err = finish(first)
    assert code == 3, err
    assert_clean(err)
    assert stored(db, FILED) == second, "the written draft's claim was withdrawn by another run"


def test_a_claim_published_while_a_draft_waits_to_file_is_not_overwritten(
    tmp_path: Path, bundle_of: Callable[[str], Bundle]
) -> None:
    """An editor's transaction publishing the trial's claim holds the write lock while a
    draft files its claim: the draft waits for the lock, and must then see the published
    claim and leave it, not overwrite it with the draft it read the table for before."""
    bundle = bundle_of(FILED)
    draft = claim_for_trial(bundle, DEFAULT_CLASSIFIER.classify(bundle.trial.status.why_stopped))
    assert draft is not None
    db = tmp_path / "claims.sqlite3"
    staged = tmp_path / "staged.sqlite3"  # the editor's row, prepared by the store itself
    with ClaimsStore(staged) as other:
        other.upsert(published(bundle))
    ClaimsStore(db).close()

    editor = sqlite3.connect(db, isolation_level=None)
    editor.execute("ATTACH DATABASE ? AS staged", (str(staged),))
    editor.execute("BEGIN IMMEDIATE")
    editor.execute("INSERT INTO claims SELECT * FROM staged.claims")
    waiting = threading.Event()
    outcome: list[object] = []

    def file_draft() -> None:
        with ClaimsStore(db) as store:
            # told when the draft's connection starts a write (which waits for the editor)
            store._db.conn.set_trace_callback(
                lambda sql: waiting.set() if sql.startswith("BEGIN IMMEDIATE") else None
            )
            try:
                outcome.append(record_trial(store, draft))
            except Exception as error:  # reported below, with the test's assertion
                outcome.append(error)

    filing = threading.Thread(target=file_draft)
    filing.start()
    try:
        assert waiting.wait(60), "the draft never tried to write"
        editor.execute("COMMIT")
    finally:
        if editor.in_transaction:
            editor.execute("ROLLBACK")
        filing.join(60)
        editor.close()
    assert len(outcome) == 1 and not isinstance(outcome[0], Exception), outcome
    kept = stored(db, FILED)
    assert kept is not None and kept.status == "published", kept


# --- batches, drafts and editors on one database and one cache ----------------------------------

FLEET = 16  # trials; about 10 s of ClinicalTrials.gov's rate limit shared by every process


class GatedFleet(CtgovFleet):
    """The fleet, holding one trial's record until the test opens the gate: the batch that
    asks for it is then known to be in its fetching phase, with earlier trials filed."""

    def __init__(self, size: int, gated: int) -> None:
        super().__init__(size)
        self.gated = self.study_path(self.nct_ids[gated])
        self.reached = threading.Event()
        self.opened = threading.Event()

    def reply_for(self, received: Received) -> Reply:
        if received.path == self.gated:
            self.reached.set()
            self.opened.wait(HOLD_SECONDS)
        return super().reply_for(received)


@dataclass
class Newsroom:
    fleet: GatedFleet  # every source
    llm: OpenAIServer  # a careful model


@pytest.fixture
def newsroom(monkeypatch: pytest.MonkeyPatch) -> Iterator[Newsroom]:
    """The gated fleet and the model, for every drafter process the test starts."""
    fleet = GatedFleet(FLEET, gated=FLEET // 2)
    fleet.start()
    llm = OpenAIServer(responder=model())
    llm.start()
    for name, value in fleet.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("OPENAI_BASE_URL", llm.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-multiprocess-0000")
    try:
        yield Newsroom(fleet, llm)
    finally:
        fleet.opened.set()
        llm.stop()
        fleet.stop()


def start_batch(out: Path) -> subprocess.Popen[str]:
    return start_drafter(
        "batch", "--since", "2010-01-01", "--writer", "openai", "--out", str(out),
        "--as-of", AS_OF, "--json",
    )  # fmt: skip


def assert_batch_complete(out: Path, fleet: CtgovFleet) -> None:
    for nct in fleet.nct_ids:
        assert complete(out, nct, "openai", "gpt-4o-mini"), nct
        assert not [p.name for p in (out / nct).iterdir() if p.name.startswith(".")], nct


def targeted(out: Path, fleet: CtgovFleet) -> set[str]:
    """The fleet trials whose target resolved: each files one claim."""
    return {
        nct
        for nct in fleet.nct_ids
        if json.loads((out / nct / "evidence.json").read_text())["target"] is not None
    }


def fleet_claims(db: Path) -> dict[str, int]:
    """How many claims each fleet trial has, once the database is checked whole."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = conn.execute(
            "SELECT nct_id, COUNT(*) FROM claims WHERE nct_id LIKE 'NCT9%' GROUP BY nct_id"
        ).fetchall()
    return dict(rows)


def assert_clean_run(code: int, err: str) -> None:
    assert code in (0, 1), err  # 1: some draft has a section for an editor
    assert_clean(err)
    assert "unusable" not in err, err  # no cache or rate-limit store given up on


def test_two_batches_and_two_drafts_share_one_database_and_one_cache(
    tmp_path: Path, newsroom: Newsroom
) -> None:
    """Two batches (different --out) and two single drafts of trials in them start together
    on a new database and a new cache directory: every draft set complete in each output,
    one claim per trial, every model call in the call log, nothing locked or given up."""
    fleet = newsroom.fleet
    fleet.opened.set()
    db = tmp_path / "claims.sqlite3"
    outs = [tmp_path / "first", tmp_path / "second"]
    singles = [fleet.nct_ids[0], fleet.nct_ids[-1]]
    processes = [start_batch(out) for out in outs] + [
        start_drafter(
            "draft", nct, "--writer", "openai", "--out", str(tmp_path / "single"), "--as-of", AS_OF
        )
        for nct in singles
    ]
    for process in processes:
        assert_clean_run(*finish(process)[::2])
    for out in outs:
        assert_batch_complete(out, fleet)
        assert fleet_claims(db) == dict.fromkeys(targeted(out, fleet), 1)
    for nct in singles:
        assert (tmp_path / "single" / nct / "draft.json").exists()
    with CallLog(tmp_path / "calls.sqlite3") as log:
        logged = len(log.records())
    assert logged == len(newsroom.llm.completion_requests) > 0


def editor_claim(index: int) -> str:
    """A claim an editor adds by hand: test data on the fleet's invented id range's
    neighbour (NCT8…), never a real trial's id."""
    return json.dumps(
        {
            "nct_id": f"NCT8{index:07d}",
            "drug": f"editor test drug {index}",
            "target_symbol": "LILRA4",
            "disease_name": "Systemic Lupus Erythematosus",
            "archetype": "efficacy",
            "category": "Negative",
            "status": "published",
            "sources": [f"https://example.org/editor-test/{index}"],
        }
    )


def test_editors_and_readers_work_while_a_batch_files_and_drafts(
    tmp_path: Path, newsroom: Newsroom
) -> None:
    """While a batch is in its fetching phase (held on one trial, half its trials filed),
    other processes import, add, delete and list claims and compute an MRS; then the batch
    goes on. Every command succeeds, and the table holds every claim of each writer."""
    fleet = newsroom.fleet
    db = tmp_path / "claims.sqlite3"
    out = tmp_path / "out"
    imported = tmp_path / "import.jsonl"
    imported.write_text("\n".join(editor_claim(i) for i in range(1000, 1500)) + "\n")
    batch = start_batch(out)
    wait_until(batch, fleet.reached.is_set, "the batch's fetching phase", 120)
    rounds = 3
    for index in range(rounds):
        commands = [
            ("claims", "import", str(imported)),
            ("claims", "add", "--json-claim", editor_claim(index)),
            ("claims", "list", "--target", "LILRA4", "--json"),
            ("mrs", "--target", "LILRA4", "--disease", "Systemic Lupus Erythematosus",
             "--as-of", AS_OF, "--json"),
        ]  # fmt: skip
        if index:
            commands.append(("claims", "delete", f"NCT8{index - 1:07d}"))
        editors = [start_drafter(*command) for command in commands]
        if index == 1:
            fleet.opened.set()  # the batch files and drafts the rest among the editors
        for command, process in zip(commands, editors, strict=True):
            code, stdout, err = finish(process)
            assert code == 0, (command, err)
            assert_clean(err)
            if "--json" in command:
                json.loads(stdout)
    assert_clean_run(*finish(batch)[::2])
    assert_batch_complete(out, fleet)
    assert fleet_claims(db) == dict.fromkeys(targeted(out, fleet), 1)
    with ClaimsStore(db) as store:
        editors_keys = {c.key for c in store.all() if c.key.startswith("NCT8")}
        deleted = [d.key for d in store.deletions()]
    assert editors_keys == {f"NCT8{i:07d}" for i in [rounds - 1, *range(1000, 1500)]}
    assert deleted == [f"NCT8{i:07d}" for i in range(rounds - 1)]


# A writer that changes the claims table (deletes every claim) inside a transaction it never
# commits, and says so; the test then kills it with SIGKILL.
_DYING_WRITER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("DELETE FROM claims")
print("holding", flush=True)
sys.stdin.read()
"""


def test_processes_killed_mid_run_and_mid_transaction_leave_a_database_others_keep_using(
    tmp_path: Path, newsroom: Newsroom
) -> None:
    """A batch killed with SIGKILL in its fetching phase, and a writer killed holding the
    write lock over an uncommitted change: the batch run again (resuming) and an import
    alongside it both work, nothing of the dead writer's change is applied, and every claim
    is there once."""
    fleet = newsroom.fleet
    db = tmp_path / "claims.sqlite3"
    out = tmp_path / "out"
    killed = start_batch(out)
    wait_until(killed, fleet.reached.is_set, "the batch's fetching phase", 120)
    with ClaimsStore(db) as store:
        before = {c.key for c in store.all()}  # the seed claims and the trials filed so far
    assert any(key.startswith("NCT9") for key in before)
    dying = child_ready(_DYING_WRITER, db, "holding")
    for process in (killed, dying):
        process.kill()
        process.communicate(timeout=30)
        assert process.returncode == -signal.SIGKILL
    fleet.opened.set()

    imported = tmp_path / "import.jsonl"
    imported.write_text("\n".join(editor_claim(i) for i in range(500)) + "\n")
    again = start_batch(out)
    code, _, err = drafter_run("claims", "import", str(imported))
    assert code == 0, err
    assert_clean_run(*finish(again)[::2])
    assert_batch_complete(out, fleet)
    assert fleet_claims(db) == dict.fromkeys(targeted(out, fleet), 1)
    with ClaimsStore(db) as store:
        after = {c.key for c in store.all()}
    assert before <= after  # the dead writer's DELETE was never applied
    assert {f"NCT8{i:07d}" for i in range(500)} <= after


# --- the response cache: one process rewrites an entry while another reads it -------------------

_CACHE_WRITER = """
import json, sys
from pathlib import Path
from drafter.sources.api import ApiResponse
from drafter.sources.cache import ResponseCache

path, start, done, versions, size = sys.argv[1:]
cache = ResponseCache(Path(path))
Path(start).with_suffix(".writer").touch()
while not Path(start).exists():
    pass
for n in range(int(versions)):
    body = json.dumps({"version": n, "pad": "abcdefghij"[n % 10] * int(size)})
    cache.put("the-key", "GET /the-key", ApiResponse(status=200, text=body, url=f"u{n}"))
cache.close()
Path(done).touch()
"""

_CACHE_READER = """
import json, sys
from pathlib import Path
from drafter.sources.cache import ResponseCache

path, start, done, size = sys.argv[1:]
cache = ResponseCache(Path(path))
Path(start).with_suffix(".reader").touch()
while not Path(start).exists():
    pass
seen, reads, torn = set(), 0, []
for _ in range(100000):
    finished = Path(done).exists()
    answer = cache.get("the-key", max_age=None)
    if answer is not None:
        reads += 1
        try:
            body = json.loads(answer.text)
            whole = (
                body["pad"] == "abcdefghij"[body["version"] % 10] * int(size)
                and answer.url == f"u{body['version']}"
            )
        except ValueError:
            whole = False
        if whole:
            seen.add(body["version"])
        else:
            torn.append(answer.text[:80])
    if finished:
        break
cache.close()
print(json.dumps({"reads": reads, "versions": len(seen), "torn": torn}))
"""


def test_a_cache_entry_rewritten_by_one_process_is_read_whole_by_another(tmp_path: Path) -> None:
    """One process rewrites one entry (1 MB each time) while another reads it in a loop:
    every read is one whole version, its body and its URL from the same write."""
    path = tmp_path / "cache" / "http-cache.sqlite3"
    start, done, size = tmp_path / "start", tmp_path / "done", str(2**20)
    writer = subprocess.Popen(
        [sys.executable, "-c", _CACHE_WRITER, str(path), str(start), str(done), "60", size],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    reader = subprocess.Popen(
        [sys.executable, "-c", _CACHE_READER, str(path), str(start), str(done), size],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    ready = [start.with_suffix(".writer"), start.with_suffix(".reader")]
    wait_until(reader, lambda: all(p.exists() for p in ready), "both processes ready", 60)
    start.touch()
    out, err = reader.communicate(timeout=300)
    assert reader.returncode == 0 and err == "", err  # no "cache unusable" warning either
    assert writer.communicate(timeout=300)[1] == "" and writer.returncode == 0
    result = json.loads(out)
    assert result["torn"] == [] and result["reads"] > 0
    print(f"\ncache: {result['reads']} reads during 60 writes, {result['versions']} versions")


# --- the per-source rate limits, shared through a file in the cache directory --------------------


def booked(path: Path, source: str) -> float | None:
    """The next slot the shared rate-limit file holds for `source`."""
    with sqlite3.connect(path) as conn:
        row = conn.execute("SELECT next_allowed FROM sources WHERE source = ?", (source,))
        found = row.fetchone()
    return None if found is None else float(found[0])


def test_a_rate_limit_file_busy_for_a_while_is_shared_again_once_free(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds the shared rate-limit file past the busy timeout (stopped with
    Ctrl-Z while booking, a stalled disk): that booking is spaced in this process alone, with
    a warning, and the next is booked in the shared file again. Giving the file up for good
    let each process that met the lock send at the source's full rate on its own."""
    path = tmp_path / "cache" / "rate-limits.sqlite3"
    RateLimiter({"chembl": 0.01}, path).wait("chembl")  # the file, as another process made it
    holder = child_ready(SQLITE_LOCK_HOLDER, path, "locked")
    limiter = RateLimiter({"ctgov": 0.01}, path, busy_timeout=0.2)
    try:
        assert limiter.wait("ctgov") is not None  # spaced in this process, not refused
    finally:
        holder.communicate(timeout=30)
    assert booked(path, "ctgov") is None
    warnings = [r.getMessage() for r in caplog.records if "rate-limit store" in r.getMessage()]
    assert len(warnings) == 1 and "busy" in warnings[0], warnings

    limiter.wait("ctgov")
    limiter.close()
    assert booked(path, "ctgov") is not None, "the shared file was given up for good"
