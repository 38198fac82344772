"""The pieces a batch shares between its workers, each under concurrency before it is shared:
the bound on model calls (and the budget it does not eat), the write gate, the daemon pool;
and the small parts: the --nct-file reader, the progress lines, the manifest check."""

from __future__ import annotations

import io
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from drafter.batch import StopRequest, WriteGate
from drafter.batch_candidates import read_nct_file
from drafter.batch_manifest import RunParameters
from drafter.batch_progress import PlainProgress, RichProgress, duration, eta_seconds, progress_for
from drafter.errors import BadInput
from drafter.sources import deadline as budgets
from drafter.worker_pool import DaemonPool
from drafter.writers.base import WriteRequest, WriteResult
from drafter.writers.bounded import BatchStopped, BoundedWriter, CallSlots
from drafter.writers.offline import OfflineWriter


class Slow(OfflineWriter):
    """Answers after `seconds`, counting the calls in progress and what budget each saw."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.now = 0
        self.peak = 0
        self.remaining: list[float] = []
        self.lock = threading.Lock()

    def write(self, request: WriteRequest) -> WriteResult:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
            active = budgets.active()
            if active is not None:
                self.remaining.append(active.remaining())
        time.sleep(self.seconds)
        with self.lock:
            self.now -= 1
        return WriteResult(output=None, raw="", model="none")


def request() -> WriteRequest:
    from drafter.section_models import SectionText

    return WriteRequest(
        section="open_questions",
        heading="Open questions",
        messages=[],
        output=SectionText,
        facts={},
        analytic=True,
        attempt=1,
    )


def test_sixteen_threads_through_one_bound_never_exceed_it() -> None:
    inner = Slow(0.02)
    writer = BoundedWriter(inner, CallSlots(3))
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda _: writer.write(request()), range(48)))
    assert inner.peak == 3 and writer.slots.peak == 3 and writer.slots.in_use == 0
    assert (writer.name, writer.model, writer.endpoint) == ("offline", "none", None)


def test_waiting_for_a_slot_does_not_eat_the_drafts_budget() -> None:
    """Eight threads through one slot: the last waits ~7 × 0.05 s, longer than its 0.2 s
    budget, and still finds its budget nearly whole when it gets the slot."""
    inner = Slow(0.05)
    writer = BoundedWriter(inner, CallSlots(1))

    def ask(_: int) -> None:
        with budgets.within(0.2, "drafting deadline"):
            writer.write(request())

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(ask, range(8)))
    assert len(inner.remaining) == 8 and min(inner.remaining) > 0.15


def test_postponed_moves_only_the_active_budget() -> None:
    with budgets.postponed(5) as none:
        assert none is None  # no budget: nothing to move
    with budgets.within(1, "outer") as outer:
        with budgets.postponed(5) as moved:
            assert moved is not None and moved.expires == outer.expires + 5
            assert budgets.active() is moved
        assert budgets.active() is outer


def test_no_model_call_starts_once_the_batch_stops() -> None:
    inner = Slow(0.3)
    slots = CallSlots(1)
    writer = BoundedWriter(inner, slots)
    first = threading.Thread(target=writer.write, args=(request(),))
    first.start()
    while slots.in_use == 0:
        time.sleep(0.005)
    waiting: list[BaseException] = []

    def wait_for_slot() -> None:
        try:
            writer.write(request())
        except BatchStopped as error:
            waiting.append(error)

    second = threading.Thread(target=wait_for_slot)
    second.start()
    time.sleep(0.05)
    slots.stopping.set()  # the waiting call gives up; the one under way finishes
    second.join(2)
    first.join(2)
    assert len(waiting) == 1 and inner.peak == 1
    with pytest.raises(BatchStopped):
        writer.write(request())
    assert slots.in_use == 0


def test_closing_the_write_gate_waits_for_writes_under_way_and_refuses_new_ones(
    tmp_path: Path,
) -> None:
    gate = WriteGate()
    entered = threading.Event()
    finished: list[float] = []

    def write() -> None:
        with gate.writing(tmp_path / "NCT00000001"):
            entered.set()
            time.sleep(0.2)
            finished.append(time.monotonic())

    writer = threading.Thread(target=write)
    writer.start()
    assert entered.wait(30)  # a write is under way (2 s unchecked let a slow start close first)
    assert gate.close(timeout=5)
    closed_at = time.monotonic()
    assert finished and finished[0] <= closed_at
    with pytest.raises(BatchStopped), gate.writing(tmp_path / "NCT00000002"):
        pass
    writer.join()


def test_the_write_gate_removes_a_stale_manifest_and_write_litter(tmp_path: Path) -> None:
    folder = tmp_path / "NCT00000001"
    folder.mkdir()
    for name in ("manifest.json", ".draft.json.ab12.tmp", ".review.html.9.cd.bak", "notes.txt"):
        (folder / name).write_text("x")
    with WriteGate().writing(folder):
        pass
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_a_stop_request_keeps_its_first_reason() -> None:
    stop = StopRequest()
    assert not stop.requested
    stop.request("the model is gone")
    stop.request("interrupted", interrupt=True)
    assert stop.requested and stop.reason == "the model is gone" and not stop.interrupted


def test_the_daemon_pool_runs_jobs_and_reports_their_errors() -> None:
    pool = DaemonPool(3)
    futures = [pool.submit(lambda i=i: i * i) for i in range(10)]
    failing = pool.submit(lambda: 1 // 0)
    assert [f.result(timeout=5) for f in futures] == [i * i for i in range(10)]
    with pytest.raises(ZeroDivisionError):
        failing.result(timeout=5)
    pool.close()
    deadline = time.monotonic() + 5
    while pool.alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert pool.alive() == 0


def test_a_closed_daemon_pool_refuses_work_at_once() -> None:
    """Its workers are gone or going: a job submitted now would never run, and its waiter
    (a draft a stopped batch left running) would wait forever."""
    pool = DaemonPool(2, refused=lambda: BatchStopped("stopped"))
    queued = [pool.submit(lambda: time.sleep(0.05)) for _ in range(4)]
    pool.close()
    pool.close()  # a second close changes nothing
    late = pool.submit(lambda: 1)
    with pytest.raises(BatchStopped, match="stopped"):
        late.result(timeout=1)
    assert [f.result(timeout=5) for f in queued] == [None] * 4  # queued before: they ran
    with pytest.raises(RuntimeError, match="closed"):
        closed = DaemonPool(1)
        closed.close()
        closed.submit(lambda: 1).result(timeout=1)


def test_the_daemon_pool_carries_the_callers_budget() -> None:
    pool = DaemonPool(1)
    with budgets.within(30, "a budget") as budget:
        seen = pool.submit(budgets.active).result(timeout=5)
    pool.close()
    assert seen == budget


# --- --nct-file ----------------------------------------------------------------------------------


def test_an_nct_file_is_read_line_by_line(tmp_path: Path) -> None:
    listed = tmp_path / "trials.txt"
    listed.write_bytes(
        "\ufeffNCT05591222\r\n  nct00184067  \n# a comment\n\nNCT 0000\nNCT05591222\n".encode()
    )
    found = read_nct_file(listed)
    assert found.ids == ["NCT05591222", "NCT00184067"]
    assert found.problems == [
        f"{listed}:5: not an NCT id (NCT followed by 8 digits): 'NCT 0000'",
        f"{listed}:6: NCT05591222 repeats line 1",
    ]


def test_an_nct_file_that_cannot_be_read_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot read"):
        read_nct_file(tmp_path / "missing.txt")
    (tmp_path / "binary.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(BadInput):
        read_nct_file(tmp_path / "binary.txt")


def test_a_fifo_no_one_writes_to_reads_as_empty_instead_of_waiting(tmp_path: Path) -> None:
    """Opening a FIFO without a writer waited forever; a pipe with one (`<(grep NCT list)`)
    is still read to its end."""
    os.mkfifo(tmp_path / "fifo")
    assert read_nct_file(tmp_path / "fifo").ids == []


# --- progress ------------------------------------------------------------------------------------


def test_eta_and_durations() -> None:
    assert eta_seconds(0, 10, 5.0) is None
    assert eta_seconds(12, 188, 24.0) == pytest.approx(376.0)
    assert [duration(s) for s in (None, 0.4, 42, 190, 3725)] == ["?", "0s", "42s", "3m10s", "1h02m"]


def test_plain_progress_is_a_line_every_few_seconds_and_at_the_end() -> None:
    now = [0.0]
    stream = io.StringIO()
    progress = PlainProgress(stream, interval=5.0, clock=lambda: now[0])
    progress.phase("drafting", 4)
    for step, failed in ((1.0, False), (2.0, True), (10.0, False), (11.0, False)):
        now[0] = step
        progress.advance(failed)
    assert stream.getvalue().splitlines() == [
        "batch: 1/4 done, 0 failed, ETA 3s",
        "batch: 3/4 done, 1 failed, ETA 3s",
        "batch: 4/4 done, 1 failed",
    ]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_the_rich_bar_and_a_pipe_plain_lines() -> None:
    assert isinstance(progress_for(io.StringIO()), PlainProgress)
    screen = Terminal()
    progress = progress_for(screen)
    assert isinstance(progress, RichProgress)
    progress.phase("drafting", 2)
    progress.advance(False)
    progress.note("interrupted: [bold]not markup[/]")
    progress.advance(True)
    progress.close()
    shown = screen.getvalue()
    assert "2/2" in shown and "1 failed" in shown and "[bold]not markup[/]" in shown


# --- the manifest's parameters -------------------------------------------------------------------


def test_run_parameters_name_what_changed() -> None:
    offline = RunParameters.of(OfflineWriter(), "2026-05-20")
    assert offline.difference(offline) is None
    later = offline.model_copy(update={"as_of": "2026-06-01"})
    assert later.difference(offline) == "as_of 2026-05-20 → 2026-06-01"
    edited = dict(offline.templates, **{"system.j2": "0" * 64})
    assert offline.model_copy(update={"templates": edited}).difference(offline) == (
        "prompt template system.j2 changed"
    )
    assert "system.j2" in offline.templates and "sections/_facts.j2" in offline.templates
    retrained = offline.model_copy(update={"classifier_hash": "0" * 64})
    assert retrained.difference(offline) == "the stop-reason classifier changed"


def test_the_classifier_hash_follows_the_weights_and_the_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retrained model or a changed rule decides archetypes differently: a batch redoes
    the drafts it framed, as it does for a changed prompt."""
    from drafter import batch_manifest, classify_learned

    shipped = batch_manifest.classifier_digest()
    assert shipped == RunParameters.of(OfflineWriter(), "2026-05-20").classifier_hash
    weights = tmp_path / "stop_reason_model.json"
    weights.write_bytes(classify_learned.MODEL_FILE.read_bytes() + b"\n")
    monkeypatch.setattr(classify_learned, "MODEL_FILE", weights)
    batch_manifest.classifier_digest.cache_clear()
    try:
        assert batch_manifest.classifier_digest() != shipped
    finally:
        monkeypatch.undo()
        batch_manifest.classifier_digest.cache_clear()
    assert batch_manifest.classifier_digest() == shipped


def test_run_parameters_hold_every_template_a_draft_records(reference_bundle: object) -> None:
    from drafter.bundle import Bundle
    from drafter.draft import draft_trial

    assert isinstance(reference_bundle, Bundle)
    draft = draft_trial(reference_bundle, OfflineWriter())
    parameters = RunParameters.of(OfflineWriter(), reference_bundle.as_of)
    assert parameters.templates == draft.provenance.templates
    assert parameters.mrs_params_hash == draft.provenance.mrs_params_hash
