"""`drafter batch` end to end, on 127.0.0.1 only: the bundled snapshot offline (or served by a
local server as the live APIs), a local chat-completions server for the model, and real
subprocesses for SIGINT and SIGKILL."""

from __future__ import annotations

import gc
import io
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from drafter import batch as batch_module
from drafter import bundled, draft_run
from drafter.batch import Batch, BatchOptions, StopRequest
from drafter.batch_manifest import RunParameters, check
from drafter.batch_progress import PlainProgress
from drafter.batch_report import ReportFiles, TrialOutcome
from drafter.claims import ClaimsStore
from drafter.cli import main
from drafter.config import Settings
from drafter.draft_model import Draft
from drafter.sources.http import HttpClient
from drafter.writers.base import Writer, WriteRequest, WriteResult
from drafter.writers.bounded import BatchStopped
from drafter.writers.offline import OfflineWriter
from tests.conftest import SNAPSHOT_DIR, fast_settings
from tests.drafting_model import model
from tests.http_helpers import assert_spaced
from tests.openai_server import OpenAIServer, insufficient_quota
from tests.servers import Reply, SnapshotServer
from tests.subprocesses import LinesOf, start_drafter, wait_for_lines, wait_until

AS_OF = "2026-05-20"
# What discovery finds in the snapshot for stopped drug/biological trials since 2010-01-01,
# oldest update first (NCT00973089 is of type OTHER; NCT02576665's record omits its types).
STOPPED = [
    "NCT00184067",
    "NCT02971839",
    "NCT05591222",
    "NCT05540665",
]
# Six trials of the snapshot for the runs that need more than the search finds (a model down
# for five trials in a row, an interrupt landing mid-way), listed in an --nct-file.
SIX = [*STOPPED, "NCT00973089", "NCT02576665"]
DRAFT_FILES = ("draft.json", "draft.md", "evidence.json", "review.html")
FILES = (*DRAFT_FILES, "manifest.json")
CLONE = "NCT05591299"  # a second trial of NCT05591222's pair (LILRA4, discoid lupus)


def batch(out: Path, *argv: str) -> int:
    return main(["batch", "--offline", "--as-of", AS_OF, "--out", str(out), *argv])


def lines(out: Path) -> list[dict[str, Any]]:
    text = (out / "batch.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def by_trial(out: Path) -> dict[str, dict[str, Any]]:
    return {line["nct_id"]: line for line in lines(out)}


def complete(out: Path, nct: str, writer: str = "offline", model_name: str = "none") -> bool:
    writer_ = OfflineWriter() if writer == "offline" else _Named(writer, model_name)
    return check(out / nct, nct, RunParameters.of(writer_, AS_OF)).complete


class _Named(OfflineWriter):
    def __init__(self, name: str, model_name: str) -> None:
        self.name = name
        self.model = model_name


def drafts(out: Path) -> dict[str, bytes]:
    return {p.parent.name: p.read_bytes() for p in sorted(out.glob("NCT*/draft.json"))}


def claims_of(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT key FROM claims ORDER BY key")]


# --- offline, over the bundled snapshot ----------------------------------------------------------


def test_an_offline_batch_drafts_every_stopped_trial_the_search_lists(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = batch(out, "--since", "2010-01-01", "--writer", "offline")
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert [line["nct_id"] for line in lines(out)] == STOPPED
    assert {line["status"] for line in lines(out)} == {"drafted"}
    for nct in STOPPED:
        assert sorted(p.name for p in (out / nct).iterdir()) == sorted(FILES), nct
        Draft.model_validate_json((out / nct / "draft.json").read_text())
        assert complete(out, nct)
    # the summary table on stdout, progress on stderr, the report in OUT
    assert captured.out.splitlines()[0].split() == [
        "trial",
        "status",
        "detail",
        "tokens",
        "cost",
        "seconds",
    ]
    assert all(nct in captured.out for nct in STOPPED)
    assert "4 trials, 4 drafted, 0 need an editor, 0 failed, 0 skipped" in captured.out
    assert "batch: 4/4 done, 0 failed" in captured.err
    report = (out / "batch.md").read_text()
    assert report.startswith("# Batch report") and report.count("| drafted |") == 4


def test_the_collector_is_set_for_the_batch_and_set_back_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch freezes what is alive and collects the young generation less often while it
    drafts; whoever called it (a test session, an embedding program) gets the collector back as
    it was."""
    seen: list[tuple[tuple[int, int, int], int]] = []
    real_run = Batch.run

    def observed(self: Batch, ids: list[str]) -> Any:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))
        return real_run(self, ids)

    monkeypatch.setattr(Batch, "run", observed)
    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    listed = tmp_path / "ids.txt"
    listed.write_text("NCT05591222\n")
    assert batch(tmp_path / "out", "--nct-file", str(listed), "--writer", "offline") == 0
    ((during, frozen_during),) = seen
    assert during[0] > before[0] and frozen_during > frozen_before
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen_before


def test_json_prints_one_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = batch(out, "--since", "2010-01-01", "--writer", "offline", "--limit", "2", "--json")
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["candidates"] == 2 and summary["counts"]["drafted"] == 2
    assert [t["nct_id"] for t in summary["trials"]] == STOPPED[:2]
    assert summary["exit_code"] == 0 and summary["tokens"] == 0 and summary["cost_usd"] is None


def test_drafts_do_not_depend_on_concurrency(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The order rule: every draft of a run sees the claims of every trial of the run, so
    one worker and four give byte-identical drafts."""
    outs = []
    for workers in ("1", "4"):
        monkeypatch.setenv("DRAFTER_DB", str(tmp_path / f"claims-{workers}.sqlite3"))
        out = tmp_path / f"out-{workers}"
        assert (
            batch(out, "--since", "2010-01-01", "--writer", "offline", "--concurrency", workers)
            == 0
        )
        outs.append(drafts(out))
    assert outs[0] == outs[1] and len(outs[0]) == len(STOPPED)


def test_a_rerun_skips_complete_trials_and_redoes_broken_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert batch(out, "--since", "2010-01-01", "--writer", "offline") == 0
    first = {nct: {f: (out / nct / f).read_bytes() for f in DRAFT_FILES} for nct in STOPPED}
    assert batch(out, "--since", "2010-01-01", "--writer", "offline") == 0
    assert {line["status"] for line in lines(out)} == {"skipped"}
    assert {line["earlier"] for line in lines(out)} == {"drafted"}
    # one draft.json deleted, one evidence.json cut half-way, litter of a killed write
    (out / STOPPED[1] / "draft.json").unlink()
    evidence = out / STOPPED[2] / "evidence.json"
    evidence.write_bytes(evidence.read_bytes()[:1000])
    litter = out / STOPPED[3] / ".draft.json.x1y2.tmp"
    litter.write_text("{")
    (out / STOPPED[3] / "manifest.json").unlink()
    capsys.readouterr()
    assert batch(out, "--since", "2010-01-01", "--writer", "offline") == 0
    found = by_trial(out)
    redone = {nct for nct, line in found.items() if line["status"] == "drafted"}
    assert redone == set(STOPPED[1:4])
    assert "draft.json is missing" in found[STOPPED[1]]["reason"]
    assert "evidence.json is not the file the draft wrote" in found[STOPPED[2]]["reason"]
    assert "no finished draft" in found[STOPPED[3]]["reason"]
    assert not litter.exists()
    for nct in STOPPED:
        assert {f: (out / nct / f).read_bytes() for f in DRAFT_FILES} == first[nct], nct
    # another analysis date: every draft is stale
    assert batch(out, "--since", "2010-01-01", "--writer", "offline", "--as-of", "2026-06-01") == 0
    reasons = {line["reason"] for line in lines(out)}
    assert reasons == {
        "drafted again: drafted with other parameters (as_of 2026-05-20 → 2026-06-01)"
    }


def test_refresh_redoes_only_trials_whose_sources_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = tmp_path / "snapshot"
    copy_snapshot(snapshot)
    monkeypatch.setenv("DRAFTER_SNAPSHOT_DIR", str(snapshot))
    out = tmp_path / "out"
    assert batch(out, "--since", "2010-01-01", "--writer", "offline") == 0
    assert batch(out, "--since", "2010-01-01", "--writer", "offline", "--refresh") == 0
    assert {line["reason"] for line in lines(out)} == {"sources unchanged since its draft"}
    changed = "NCT00184067"  # no target: its claim is no one else's input
    edit_study(
        snapshot,
        changed,
        lambda s: s["protocolSection"]["statusModule"].update(
            whyStopped="The sponsor ran out of funding."
        ),
    )
    assert batch(out, "--since", "2010-01-01", "--writer", "offline", "--refresh") == 0
    statuses = {nct: line["status"] for nct, line in by_trial(out).items()}
    assert statuses == {nct: "drafted" if nct == changed else "skipped" for nct in STOPPED}
    assert "ran out of funding" in (out / changed / "draft.md").read_text()
    assert complete(out, changed)


# --- failures and bad input ----------------------------------------------------------------------


def test_a_trial_that_fails_is_reported_and_the_others_complete(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = tmp_path / "trials.txt"
    listed.write_text(
        "# trials to draft\n"
        "NCT05591222\n"
        "not-an-id\n"
        "\n"
        "nct00184067\n"  # any case
        "NCT12345678\n"  # the snapshot has no answer for it
        "NCT123\n"
        "NCT05591222\n"  # once is enough
    )
    out = tmp_path / "out"
    code = batch(out, "--nct-file", str(listed), "--writer", "offline", "--json")
    captured = capsys.readouterr()
    assert code == 1
    summary = json.loads(captured.out)
    assert summary["input_problems"] == [
        f"{listed}:3: not an NCT id (NCT followed by 8 digits): 'not-an-id'",
        f"{listed}:7: not an NCT id (NCT followed by 8 digits): 'NCT123'",
        f"{listed}:8: NCT05591222 repeats line 2",
    ]
    assert f"{listed}:3: not an NCT id" in captured.err
    found = by_trial(out)
    assert list(found) == ["NCT05591222", "NCT00184067", "NCT12345678"]
    failed = found["NCT12345678"]
    assert (failed["status"], failed["stage"]) == ("failed", "fetch")
    assert "offline: no cached or snapshot response" in failed["reason"]
    assert found["NCT05591222"]["status"] == found["NCT00184067"]["status"] == "drafted"
    assert not (out / "NCT12345678").exists()
    report = (out / "batch.md").read_text()
    assert "| NCT12345678 | failed | fetch: offline: no cached" in report
    assert "## Unusable input" in report


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "2021-01-01", "--until", "2020-12-31"], "is before --since"),
        ([], "give --since"),
        (["--until", "2020-12-31"], "give --since"),
        (["--since", "2021-01-01", "--nct-file", "x.txt"], "one of the two"),
        (["--since", "2021-13-01"], "not a YYYY-MM-DD date"),
        (["--since", "2021-01-01", "--concurrency", "0"], "at least 1"),
        (["--since", "2021-01-01", "--limit", "many"], "not a whole number"),
    ],
)
def test_bad_input_exits_2_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    out = tmp_path / "out"
    assert batch(out, *argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not out.exists() and not (tmp_path / "claims.sqlite3").exists()


def test_an_nct_file_without_ids_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = tmp_path / "trials.txt"
    listed.write_text("# nothing yet\nfoo\n")
    assert batch(tmp_path / "out", "--nct-file", str(listed)) == 2
    err = capsys.readouterr().err
    assert f"{listed}:2: not an NCT id" in err and "holds no NCT id" in err


def test_an_nct_file_that_is_a_pipe_is_read_once(tmp_path: Path) -> None:
    """`--nct-file <(grep NCT list.txt)` names a pipe, which gives its lines to one reader:
    read twice, the second read found nothing and the batch drafted 0 trials, exit 0."""
    reader, writer = os.pipe()
    os.write(writer, b"NCT05591222\n")
    os.close(writer)
    try:
        code = batch(tmp_path / "out", "--nct-file", f"/dev/fd/{reader}", "--writer", "offline")
    finally:
        os.close(reader)
    assert code == 0
    assert [line["nct_id"] for line in lines(tmp_path / "out")] == ["NCT05591222"]


def test_an_unwritable_out_is_bad_input_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    for out in (blocker, blocker / "out"):
        assert batch(out, "--since", "2010-01-01") == 2
        assert "--out" in capsys.readouterr().err
    assert not (tmp_path / "claims.sqlite3").exists() and not (tmp_path / "cache").exists()


def test_one_batch_at_a_time_per_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import fcntl

    out = tmp_path / "out"
    out.mkdir()
    with (out / ".drafter-batch.lock").open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)  # another batch is running
        assert batch(out, "--since", "2010-01-01", "--writer", "offline") == 3
        assert "another drafter batch is writing to" in capsys.readouterr().err
    assert batch(out, "--since", "2010-01-01", "--writer", "offline", "--limit", "1") == 0


def test_a_search_that_cannot_be_answered_exits_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert batch(tmp_path / "out", "--since", "2011-01-01") == 3  # not in the snapshot
    assert "offline: no cached or snapshot response" in capsys.readouterr().err


# --- claims: the order rule ----------------------------------------------------------------------


def test_every_draft_of_a_run_counts_the_claims_of_the_whole_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = tmp_path / "snapshot"
    copy_snapshot(snapshot)
    add_clone(snapshot, "NCT05591222", CLONE)
    monkeypatch.setenv("DRAFTER_SNAPSHOT_DIR", str(snapshot))
    listed = tmp_path / "trials.txt"
    listed.write_text(f"NCT05591222\n{CLONE}\n")
    out = tmp_path / "out"
    db = tmp_path / "claims.sqlite3"
    assert batch(out, "--nct-file", str(listed), "--writer", "offline", "--concurrency", "1") == 0
    for nct in ("NCT05591222", CLONE):
        evidence = json.loads((out / nct / "evidence.json").read_text())
        counted = {c["nct_id"]: c["status"] for c in evidence["assessment"]["mrs"]["claims"]}
        # the first drafted trial counts the second: it was filed before any draft began
        assert counted == {"NCT05591222": "published", CLONE: "draft"}, nct
        assert evidence["assessment"]["mrs"]["result"]["total"] == 50
    keys = claims_of(db)
    assert keys.count(CLONE) == 1
    # a resumed run, and a run that redoes both, file nothing twice
    assert batch(out, "--nct-file", str(listed), "--writer", "offline") == 0
    assert (
        batch(out, "--nct-file", str(listed), "--writer", "offline", "--as-of", "2026-06-01") == 0
    )
    assert claims_of(db) == keys


# --- sharing: one model bound, one rate limit ----------------------------------------------------


class Counting:
    """A responder that holds each answer `seconds` and counts the answers in progress."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.answer = model()
        self.now = 0
        self.peak = 0
        self.lock = threading.Lock()

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(self.seconds)
            return self.answer(body)
        finally:
            with self.lock:
                self.now -= 1


class Holding(Counting):
    """Like Counting, but holds the headline call of these trials' post-mortems (its prompt
    names the trial) until `release` is set: those trials stay unfinished however fast the
    machine runs the others (a loaded one finished whole batches before the test's signal
    landed). One call each, so the held calls take few of the batch's model-call slots."""

    def __init__(self, ncts: list[str], seconds: float) -> None:
        super().__init__(seconds)
        self.markers = [f"headline and dek of the post-mortem of {nct}" for nct in ncts]
        self.release = threading.Event()
        self.held = 0

    def __call__(self, body: dict[str, Any]) -> Reply:
        asked = json.dumps(body)
        if any(marker in asked for marker in self.markers):
            with self.lock:
                self.held += 1
            self.release.wait(60)
        return super().__call__(body)

    def wait_held(self, process: subprocess.Popen[str]) -> None:
        """Until one held call has arrived: lines in the report alone do not say the held
        trial has reached its calls yet (CI once killed the batch just before it had)."""
        wait_until(process, lambda: self.held > 0, "a held call")


@pytest.fixture
def model_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    server = OpenAIServer()
    server.start()
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-batch-0000")
    yield server
    server.stop()


def test_one_bound_on_model_calls_holds_for_the_whole_batch(
    tmp_path: Path,
    model_server: OpenAIServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    counting = Counting(0.05)
    model_server.responder = counting
    monkeypatch.setenv("DRAFTER_MODEL_CONCURRENCY", "3")
    out = tmp_path / "out"
    code = batch(out, "--since", "2010-01-01", "--writer", "openai", "--concurrency", "4", "--json")
    summary = json.loads(capsys.readouterr().out)
    # the careful stand-in model writes every section of the bundled trials
    assert code == 0 and summary["counts"]["failed"] == 0
    assert summary["counts"]["drafted"] + summary["counts"]["needs_editor"] == len(STOPPED)
    assert 2 <= counting.peak <= 3 and summary["model_calls_peak"] <= 3
    asked = len(model_server.requests)
    assert asked >= 8 * len(STOPPED)
    assert summary["tokens"] == asked * 160  # the server reports 120 + 40 a call
    assert summary["cost_usd"] == pytest.approx(asked * (120 * 0.15 + 40 * 0.60) / 1e6)
    with sqlite3.connect(tmp_path / "calls.sqlite3") as conn:
        assert conn.execute("SELECT COUNT(*) FROM calls").fetchone()[0] == asked
    assert all(complete(out, nct, "openai", "gpt-4o-mini") for nct in STOPPED)


@contextmanager
def open_batch(
    settings: Settings,
    writer: Writer,
    options: BatchOptions,
    *,
    db: Path | None = None,
    stop: StopRequest | None = None,
) -> Iterator[Batch]:
    """A Batch over the settings' sources and a seeded claims table (settings.db_path unless
    `db`); its client and store stay open while it is used."""
    with (
        HttpClient(settings) as client,
        ClaimsStore(db or settings.db_path, seed=bundled.SEED_CLAIMS) as store,
    ):
        yield Batch(
            settings,
            writer,
            options,
            client=client,
            store=store,
            progress=PlainProgress(io.StringIO()),
            stop=stop,
        )


def stopping_options(tmp_path: Path, *, abandon_seconds: float) -> BatchOptions:
    """Two at a time, a short grace after a stop, then `abandon_seconds` more."""
    return BatchOptions(
        out=tmp_path / "out",
        as_of=date(2026, 5, 20),
        concurrency=2,
        grace_seconds=0.2,
        abandon_seconds=abandon_seconds,
    )


def test_the_workers_share_each_sources_rate_limit(
    tmp_path: Path, snapshot_server: SnapshotServer
) -> None:
    interval = 0.15  # wide enough that a loaded machine's delivery jitter stays inside it
    settings = fast_settings(
        tmp_path,
        **snapshot_server.base_urls(),
        min_interval={"ctgov": interval, "opentargets": interval, "chembl": interval},
    )
    options = BatchOptions(out=tmp_path / "out", as_of=date(2026, 5, 20), concurrency=4)
    since = time.monotonic()
    with open_batch(settings, OfflineWriter(), options) as job:
        run = job.run(STOPPED)
    # (online, the offline writer leaves NCT05591222's "What actually happened" to an editor,
    # as `drafter draft` does: a paragraph names the NCT id without citing it)
    assert {o.status for o in run.outcomes} <= {"drafted", "needs_editor"}
    assert len(run.outcomes) == len(STOPPED)
    for source in ("ctgov", "opentargets", "chembl"):
        times = sorted(r.at for r in snapshot_server.received if r.path.startswith(f"/{source}"))
        assert len(times) >= 4, source
        assert_spaced(times, since, interval)
        # Unshared limits would let four workers send at once: three gaps near 0 or more. The
        # server sees arrival times, and a request held up after its slot on a loaded machine
        # lands next to the one after it: one short gap is jitter, two are not.
        short = [b - a for a, b in itertools.pairwise(times) if b - a < interval - 0.1]
        assert len(short) <= 1, (source, short)


def test_the_batch_runs_against_the_live_api_urls(
    tmp_path: Path,
    snapshot_server: SnapshotServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Not offline: every source at its configured URL (here the snapshot, served locally)."""
    for name, url in snapshot_server.base_urls().items():
        monkeypatch.setenv(f"DRAFTER_{name.upper()}", url)
    out = tmp_path / "out"
    code = main(["batch", "--since", "2010-01-01", "--as-of", AS_OF, "--out", str(out)])
    assert code in (0, 1), capsys.readouterr().err  # 1: see the rate-limit test
    assert {line["status"] for line in lines(out)} <= {"drafted", "needs_editor"}
    assert len(lines(out)) == len(STOPPED)
    assert any(r.path == "/ctgov/studies" for r in snapshot_server.received)


def test_a_model_that_is_unavailable_stops_the_batch(
    tmp_path: Path, model_server: OpenAIServer, capsys: pytest.CaptureFixture[str]
) -> None:
    model_server.default = insufficient_quota()
    out = tmp_path / "out"
    six = six_file(tmp_path)
    code = batch(out, "--nct-file", str(six), "--writer", "openai", "--concurrency", "1", "--json")
    summary = json.loads(capsys.readouterr().out)
    assert code == 3
    assert summary["counts"]["failed"] == 5 and summary["not_started"] == 1
    assert "model was unavailable for 5 trials in a row" in summary["stopped"]
    failed = lines(out)[0]
    assert failed["stage"] == "draft" and "quota" in failed["reason"]
    assert not any(out.glob("NCT*/draft.json"))


HUNG = "NCT00184067"  # no target: no other trial's prompt names it


class Hanging(OfflineWriter):
    """The offline writer, except that every call about one trial hangs until released."""

    def __init__(self, nct: str) -> None:
        self.nct = nct
        self.release = threading.Event()
        self.hung = threading.Event()

    def write(self, request: WriteRequest) -> WriteResult:
        if any(self.nct in m.content for m in request.messages):
            self.hung.set()
            self.release.wait(30)
        return super().write(request)


def test_a_stopped_batch_leaves_a_hung_trial_behind_unwritten(tmp_path: Path) -> None:
    """The other trial under way ends at its next model call (interrupted) or finishes; the
    hung one is left, recorded once, and its late draft is never written."""
    settings = fast_settings(tmp_path, offline=True)
    options = stopping_options(tmp_path, abandon_seconds=1.5)
    writer = Hanging(HUNG)
    stop = StopRequest()
    threading.Thread(
        target=lambda: writer.hung.wait(30) and stop.request("test", interrupt=True)
    ).start()
    ended = threading.Event()
    draft = Batch._draft

    def watched(self: Batch, nct: str, *args: Any) -> bool:
        try:
            return draft(self, nct, *args)
        finally:
            if nct == HUNG:
                ended.set()

    started = time.monotonic()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Batch, "_draft", watched)
        try:
            with open_batch(settings, writer, options, stop=stop) as job:
                run = job.run(STOPPED)
            took = time.monotonic() - started
        finally:
            writer.release.set()  # the hung calls return: their draft finds the gate closed
        assert took < 10 and run.interrupted and run.abandoned == 1
        outcome = {o.nct_id: o for o in run.outcomes}[HUNG]
        assert (outcome.status, outcome.stage) == ("interrupted", "draft")
        assert len(run.outcomes) + len(run.not_started) == len(STOPPED)
        # the late draft has run to its end (a fixed 0.5 s sleep could end before it did,
        # and the checks below then proved nothing)
        assert ended.wait(30), "the hung trial's draft never ended"
    assert not (options.out / HUNG / "draft.json").exists()
    assert [
        json.loads(line)["nct_id"]
        for line in (options.out / "batch.jsonl").read_text().splitlines()
    ].count(HUNG) == 1


def test_a_trial_abandoned_before_its_sections_ends_once_it_goes_on(tmp_path: Path) -> None:
    """A trial still being assessed when the batch gives up on it goes on to draft after the
    run ended and closed the pool its sections are written in: they are refused at once
    (the batch stopped), so its thread ends instead of waiting on sections no worker will
    ever run."""
    settings = fast_settings(tmp_path, offline=True)
    options = stopping_options(tmp_path, abandon_seconds=0.5)
    release, hung, ended = threading.Event(), threading.Event(), threading.Event()
    assess, draft_one = draft_run.assess, draft_run.draft_one
    errors: list[BaseException] = []

    def held_assess(evidence: Any, *args: Any, **kwargs: Any) -> Any:
        bundle = assess(evidence, *args, **kwargs)
        if bundle.nct_id == HUNG:
            hung.set()
            release.wait(30)
        return bundle

    def watched(query: Any, **kwargs: Any) -> Any:
        try:
            return draft_one(query, **kwargs)
        except BaseException as error:
            errors.append(error)
            raise
        finally:
            if query.nct_id == HUNG:
                ended.set()

    stop = StopRequest()
    threading.Thread(
        target=lambda: hung.wait(30) and stop.request("test", interrupt=True), daemon=True
    ).start()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(draft_run, "assess", held_assess)
        patch.setattr(batch_module, "draft_one", watched)
        with open_batch(settings, OfflineWriter(), options, stop=stop) as job:
            try:
                assert job.run(STOPPED).abandoned == 1
            finally:
                release.set()  # the abandoned trial goes on to its drafting stage
            assert ended.wait(5), "the abandoned draft never ended"
            assert any(isinstance(e, BatchStopped) for e in errors)
    assert not (options.out / HUNG / "draft.json").exists()


# --- interrupts and kills, in a subprocess -------------------------------------------------------


def six_file(folder: Path) -> Path:
    listed = folder / "six.txt"
    listed.write_text("\n".join(SIX) + "\n")
    return listed


def start_batch(out: Path, *argv: str) -> subprocess.Popen[str]:
    six = six_file(out.parent)
    return start_drafter(
        "batch", "--offline", "--as-of", AS_OF, "--out", str(out), "--nct-file", str(six), *argv
    )


def assert_all_complete(out: Path, db: Path) -> None:
    assert {line["status"] for line in lines(out)} <= {"drafted", "needs_editor", "skipped"}
    for nct in STOPPED:
        assert complete(out, nct, "openai", "gpt-4o-mini"), nct
        Draft.model_validate_json((out / nct / "draft.json").read_text())
        assert not [p.name for p in (out / nct).iterdir() if p.name.startswith(".")], nct
    keys = claims_of(db)
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])  # TERM: kill, timeout(1)
def test_an_interrupt_stops_cleanly_and_a_rerun_completes(
    tmp_path: Path, model_server: OpenAIServer, signum: signal.Signals
) -> None:
    out = tmp_path / "out"
    held = Holding(SIX[1:3], 0.15)  # both workers stay on these until the interrupt lands
    model_server.responder = held
    process = start_batch(out, "--writer", "openai", "--concurrency", "2")
    stdout, stderr = LinesOf(process.stdout), LinesOf(process.stderr)
    try:
        wait_for_lines(out, 1, process)
        held.wait_held(process)
        process.send_signal(signum)
        # released only once the child has heard it: sent is not yet heard, and a child slow
        # to run its handler would go on to the trials not started
        wait_until(process, lambda: stderr.has("interrupted: no new trials"), "the interrupt")
    finally:
        held.release.set()
    process.wait(timeout=30)
    assert process.returncode == 130, stderr.text()
    assert held.held > 0
    assert "not started" in stdout.text()  # the summary is printed all the same
    report = (out / "batch.md").read_text()
    assert "not started" in report and "Run the same command again" in report
    finished = [line["nct_id"] for line in lines(out) if line["status"] != "interrupted"]
    assert 1 <= len(finished) < len(SIX)
    assert all(complete(out, nct, "openai", "gpt-4o-mini") for nct in finished)
    model_server.responder = model()
    rerun = start_batch(out, "--writer", "openai")
    _, stderr = rerun.communicate(timeout=60)
    assert rerun.returncode in (0, 1), stderr  # 1: a draft needs an editor (the stand-in model)
    assert {n for n, line in by_trial(out).items() if line["status"] == "skipped"} == set(finished)
    assert_all_complete(out, tmp_path / "claims.sqlite3")


class StallingAfter(Counting):
    """Answers the first `quick` calls at once, then holds every answer `seconds`: once a trial
    is done the others are surely mid-call, whatever the machine's load."""

    def __init__(self, quick: int, seconds: float) -> None:
        super().__init__(seconds)
        self.quick, self.calls = quick, 0

    def __call__(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.calls += 1
            if self.calls <= self.quick:
                return self.answer(body)
        return super().__call__(body)


def test_a_second_interrupt_exits_at_once(tmp_path: Path, model_server: OpenAIServer) -> None:
    # one trial's calls answered at once, the rest held: the first interrupt finds calls in
    # flight that last far longer than the gap before the second
    stalling = StallingAfter(quick=20, seconds=20.0)
    model_server.responder = stalling
    out = tmp_path / "out"
    process = start_batch(out, "--writer", "openai", "--concurrency", "1")
    stderr = LinesOf(process.stderr)
    wait_for_lines(out, 1, process)
    wait_until(process, lambda: stalling.now > 0, "a held call")  # the next trial's calls
    process.send_signal(signal.SIGINT)
    # the second only once the first was heard: two SIGINTs that both arrive before the
    # child's handler runs are heard as one (a loaded machine can take longer than a fixed
    # 0.2 s to run it), and the batch then waits out the stalled calls
    wait_until(process, lambda: stderr.has("interrupted: no new trials"), "the first heard")
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    process.wait(timeout=30)
    assert process.stdout is not None
    process.stdout.close()  # nothing to read: stderr says how it ended
    assert process.returncode == 130 and time.monotonic() - started < 3
    assert "aborted" in stderr.text()


def test_a_killed_batch_resumes_to_complete_valid_drafts(
    tmp_path: Path, model_server: OpenAIServer
) -> None:
    out = tmp_path / "out"
    held = Holding([STOPPED[-1]], 0.1)  # the kill always lands mid-way
    model_server.responder = held
    process = start_batch(out, "--writer", "openai", "--concurrency", "3")
    try:
        wait_for_lines(out, 2, process)
        held.wait_held(process)
        process.kill()
        process.communicate(timeout=30)
    finally:
        held.release.set()
    assert process.returncode == -signal.SIGKILL
    assert held.held > 0 and not complete(out, STOPPED[-1], "openai", "gpt-4o-mini")
    model_server.responder = model()
    rerun = start_batch(out, "--writer", "openai")
    _, stderr = rerun.communicate(timeout=60)
    assert rerun.returncode in (0, 1), stderr  # 1: a draft needs an editor (the stand-in model)
    assert_all_complete(out, tmp_path / "claims.sqlite3")


# --- the pieces ----------------------------------------------------------------------------------


def test_report_lines_are_appended_whole(tmp_path: Path) -> None:
    files = ReportFiles(tmp_path)
    files.start()
    outcome = TrialOutcome(nct_id="NCT05591222", status="failed", stage="fetch", reason="x\ny|z")
    files.append(outcome)
    files.append(outcome)
    assert [json.loads(line)["reason"] for line in files.jsonl.read_text().splitlines()] == [
        "x\ny|z"
    ] * 2


# --- helpers -------------------------------------------------------------------------------------


def copy_snapshot(target: Path) -> None:
    import shutil

    shutil.copytree(SNAPSHOT_DIR, target)


def edit_study(snapshot: Path, nct: str, change: Callable[[dict[str, Any]], None]) -> None:
    manifest = json.loads((snapshot / "ctgov" / "manifest.json").read_text())
    entry = next(e for e in manifest["entries"] if e["request"]["path"] == f"/studies/{nct}")
    path = snapshot / "ctgov" / entry["file"]
    study = json.loads(path.read_text())
    change(study)
    path.write_text(json.dumps(study))


def add_clone(snapshot: Path, original: str, clone: str) -> None:
    """A second record of the original's drug, target and disease under another NCT id."""
    folder = snapshot / "ctgov"
    manifest = json.loads((folder / "manifest.json").read_text())
    entry = next(e for e in manifest["entries"] if e["request"]["path"] == f"/studies/{original}")
    text = (folder / entry["file"]).read_text().replace(original, clone)
    (folder / f"study_{clone}.json").write_text(text)
    copy = json.loads(json.dumps(entry))
    copy["request"]["path"] = f"/studies/{clone}"
    copy["file"] = f"study_{clone}.json"
    copy["provenance"] = f"test double: {original} under another id"
    manifest["entries"].append(copy)
    (folder / "manifest.json").write_text(json.dumps(manifest))
