"""Several drafter processes at once, as a newsroom runs them: batches and drafts sharing one
claims database (DRAFTER_DB) and one cache directory (DRAFTER_CACHE_DIR), editors changing
claims while drafts file theirs, a batch killed with SIGKILL while others write, a cache entry
read while another process rewrites it. Threads inside one process are covered by
test_concurrency.py, test_http_concurrency.py and test_batch*.py.

Processes are ordered by events and files (a model call held until the test releases it, a
barrier file), never by sleeps; nothing asserts how long anything took."""

from __future__ import annotations

import sqlite3
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drafter.bundle import Bundle
from drafter.claims import ClaimsStore
from drafter.classify import DEFAULT_CLASSIFIER
from drafter.models import Claim
from drafter.sources.ctgov import study_page_url
from drafter.trial_claim import claim_for_trial, record_trial, withdraw_trial
from tests.openai_server import OpenAIServer, invalid_api_key
from tests.servers import Reply
from tests.subprocesses import start_drafter, wait_until

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
