"""`drafter batch`: many trials drafted by a bounded pool of workers, resumable, surviving the
failure of any one trial.

Sharing (each piece is tested under concurrency before it is shared):
* one HttpClient for every worker: per-source rate limits and Retry-After pauses are global
  (drafter.sources.ratelimit; a thread-local Session each);
* one ClaimsStore and one CallLog (a SQLite connection per thread, BEGIN IMMEDIATE writes);
* one writer behind a BoundedWriter: at most Settings.model_concurrency model calls in flight
  for the whole process (DRAFTER_MODEL_CONCURRENCY), however many trials draft at once.

Order rule for claims, in two phases. Phase 1 (fetching) fetches every trial to be drafted and
files it as a draft claim; phase 2 (drafting) assesses and drafts them. So every draft of a run
is scored against the same claims table: the claims there before the run plus every trial of
the run whose evidence could be fetched. The result does not depend on --concurrency, on the
order trials finish in, or on a resume (trials skipped as complete were filed by the run that
drafted them). Claims are keyed by NCT id, so filing again never duplicates one. A trial whose
draft then fails keeps its draft claim: other drafts of the run counted it, and the re-run that
redoes the trial files it again.

Phase 2 fetches each trial's evidence again (from the response cache phase 1 filled) and files
its claim again, unless fetching again would read back exactly what phase 1 read: every record
from the response cache (and young enough to be read from it again), the bundled snapshot or
drafter's own data. Then phase 2 drafts from phase 1's evidence itself, the same Bundle object,
and nothing is fetched, classified or filed twice. Records fetched from the network would come
back as the cache's ("origin": "cache"), so their evidence is fetched again: a draft's files
are the same bytes either way. At most KEPT_EVIDENCE bundles are kept (a bundle is a few
hundred KB in memory); beyond that, trials are fetched again.

Resume: see drafter.batch_manifest (a trial is complete when its manifest, written last,
matches this run's parameters and its files).

Stopping: a first interrupt (SIGINT) stops taking new trials; trials under way get
`grace_seconds` to finish, then start no new model call; trials still running after a further
`ABANDON_SECONDS` are abandoned unwritten. No draft file is being written when the batch
returns (the write gate waits for writes under way and refuses new ones). The report is written
and the command exits 130; running it again resumes. When the model is unavailable for
MODEL_DOWN_TRIALS trials in a row (a bad key, no quota), the batch stops the same way: exit 3.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path

from drafter.batch_manifest import (
    Manifest,
    ManifestOutcome,
    RunParameters,
    check,
    forget,
    input_hash,
    sources_of,
    write_manifest,
)
from drafter.batch_progress import Progress
from drafter.batch_report import ReportFiles, TrialOutcome
from drafter.bundle import Bundle, SourceRecord
from drafter.calllog import CallLog
from drafter.claims import ClaimsStore
from drafter.config import Settings
from drafter.draft_run import DraftResult, Filing, TrialQuery, draft_one, file_trial, stage_of
from drafter.errors import DrafterError, mask_secrets
from drafter.evidence.related import PairMemo
from drafter.sections import model_sections
from drafter.sources.http import HttpClient
from drafter.terminal import one_line
from drafter.verify_model import FAILING
from drafter.worker_pool import DaemonPool
from drafter.writers.base import ModelUnavailable, Writer
from drafter.writers.bounded import BatchStopped, BoundedWriter, CallSlots

DEFAULT_CONCURRENCY = 4
GRACE_SECONDS = 15.0  # after an interrupt, trials under way may finish this long
ABANDON_SECONDS = 10.0  # then, with no new model call, this long more before they are left
MODEL_DOWN_TRIALS = 5  # trials in a row failing because the model is unavailable: stop
KEPT_EVIDENCE = 256  # phase 1's bundles kept for phase 2 (0.2-0.7 MB each in memory)
# A record's origins that fetching again reads back unchanged (a network answer is read back
# from the cache, so its origin would change); a cached answer, unless it is about to expire.
REREAD_UNCHANGED = frozenset({"cache", "snapshot", "bundled", "claims table"})
EXPIRY_MARGIN_SECONDS = 60.0
FETCH_DEADLINE = "trial fetch deadline (DRAFTER_DEADLINE)"
_POLL_SECONDS = 0.1
REASON_CHARS = 500


@dataclass(frozen=True)
class BatchOptions:
    out: Path
    as_of: date
    concurrency: int = DEFAULT_CONCURRENCY
    refresh: bool = False
    grace_seconds: float = GRACE_SECONDS
    abandon_seconds: float = ABANDON_SECONDS


class StopRequest:
    """Why and since when the batch is stopping; set from a signal handler or a worker."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None
        self.interrupted = False
        self.at = 0.0

    def request(self, reason: str, *, interrupt: bool = False) -> None:
        if self._event.is_set():
            return
        self.reason, self.interrupted, self.at = reason, interrupt, time.monotonic()
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()


class WriteGate:
    """Draft files are written only through the gate: once it is closed no write starts, and
    closing waits for the writes under way, so the process can exit between two writes."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._active = 0
        self._closed = False

    @contextmanager
    def writing(self, folder: Path) -> Iterator[None]:
        with self._changed:
            if self._closed:
                raise BatchStopped("the batch stopped before this draft was written")
            self._active += 1
        try:
            forget(folder)  # the old manifest goes before any file of the new draft is written
            yield
        finally:
            with self._changed:
                self._active -= 1
                self._changed.notify_all()

    def close(self, timeout: float) -> bool:
        """Refuse new writes; True once none is under way (False if `timeout` passed first)."""
        with self._changed:
            self._closed = True
            return self._changed.wait_for(lambda: self._active == 0, timeout)


@dataclass
class BatchRun:
    """What a run did: an outcome per trial it reached (candidate order), those it did not."""

    outcomes: list[TrialOutcome]
    not_started: list[str]
    stopped: str | None
    interrupted: bool
    abandoned: int
    model_calls_peak: int
    seconds: float


@dataclass
class _Plan:
    skipped: dict[str, TrialOutcome] = field(default_factory=dict)
    todo: list[str] = field(default_factory=list)
    # --refresh: the input hash of a complete draft, to skip it when its sources are unchanged
    previous: dict[str, Manifest] = field(default_factory=dict)
    # why a trial with files from an earlier run is drafted again
    redo: dict[str, str] = field(default_factory=dict)


class Batch:
    """One run over a list of NCT ids (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        writer: Writer,
        options: BatchOptions,
        *,
        client: HttpClient,
        store: ClaimsStore,
        progress: Progress,
        call_log: CallLog | None = None,
        stop: StopRequest | None = None,
        report: ReportFiles | None = None,
    ) -> None:
        self.settings = settings
        self.options = options
        self.client = client
        self.store = store
        self.progress = progress
        self.call_log = call_log
        self.stop = stop or StopRequest()
        self.report = report or ReportFiles(options.out)
        self.parameters = RunParameters.of(writer, options.as_of.isoformat())
        self.slots = CallSlots(settings.model_concurrency)
        self.writer = BoundedWriter(writer, self.slots)
        self.gate = WriteGate()
        self._outcomes: dict[str, TrialOutcome] = {}
        self._fetch_seconds: dict[str, float] = {}
        self._filings: dict[str, Filing] = {}  # phase 1's, until phase 2 drafts the trial
        # related claims' pairs' evidence, reused across drafts while it reads back unchanged
        self._pair_memo = PairMemo(self._sources_read_back)
        self._model_down = 0
        self._abandoned: set[str] = set()
        self._sections: DaemonPool | None = None  # the drafting phase's (_section_pool)
        self._lock = threading.Lock()

    # --- the run -------------------------------------------------------------------------------

    def run(self, nct_ids: list[str]) -> BatchRun:
        started = time.monotonic()
        self.report.start()
        plan = self._plan(nct_ids)
        for outcome in plan.skipped.values():
            self._record(outcome)
        pool = DaemonPool(self.options.concurrency, name="drafter-batch")
        try:
            fetched = self._phase("fetching", "fetch", plan.todo, pool, self._fetch)
            filed = [nct for nct in plan.todo if fetched.get(nct)]
            if filed:
                self._sections = self._section_pool()
            self._phase("drafting", "draft", filed, pool, lambda nct: self._draft(nct, plan))
        finally:
            pool.close()
            if self._sections is not None:
                self._sections.close()
            self.gate.close(timeout=max(self.options.abandon_seconds, 5.0))
        return BatchRun(
            outcomes=[self._outcomes[nct] for nct in nct_ids if nct in self._outcomes],
            not_started=[nct for nct in nct_ids if nct not in self._outcomes],
            stopped=self.stop.reason,
            interrupted=self.stop.interrupted,
            abandoned=len(self._abandoned),
            model_calls_peak=self.slots.peak,
            seconds=time.monotonic() - started,
        )

    def _plan(self, nct_ids: list[str]) -> _Plan:
        """Which trials are complete (skipped, no source asked) and which are (re)done."""
        plan = _Plan()
        for nct in nct_ids:
            found = check(self.options.out / nct, nct, self.parameters)
            if found.complete and found.manifest is not None:
                if self.options.refresh:
                    plan.previous[nct] = found.manifest
                    plan.todo.append(nct)
                else:
                    plan.skipped[nct] = _skipped(nct, found.manifest, str(self._folder(nct)))
                continue
            if found.reason is not None and self._folder(nct).is_dir():
                plan.redo[nct] = f"drafted again: {found.reason}"
            plan.todo.append(nct)
        self.progress.note(
            f"{len(nct_ids)} trials: {len(plan.skipped)} complete from an earlier run, "
            f"{len(plan.todo)} to {'fetch again' if self.options.refresh else 'draft'}; "
            f"{self.options.concurrency} at a time, at most {self.slots.size} model calls at once"
        )
        return plan

    def _phase(
        self,
        name: str,
        stage: str,
        items: list[str],
        pool: DaemonPool,
        work: Callable[[str], bool],
    ) -> dict[str, bool]:
        """Run `work` on every item, at most `concurrency` at once, until done or stopped.
        Returns what each item that ran returned (True: on to the next phase); `work` records
        a failed item's outcome itself."""
        results: dict[str, bool] = {}
        if not items or self.stop.requested:
            return results
        self.progress.phase(name, len(items))
        pending = deque(items)
        running: dict[Future[bool], str] = {}
        while pending or running:
            while pending and len(running) < self.options.concurrency and not self.stop.requested:
                nct = pending.popleft()
                running[pool.submit(partial(work, nct))] = nct
            if not running:
                break
            done, _ = wait(running, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                nct = running.pop(future)
                results[nct] = future.result()
                self.progress.advance(failed=not results[nct] and self._ended_badly(nct))
            if self.stop.requested and running and self._past_grace():
                self.slots.stopping.set()  # no new model call: drafts end at their next ask
                if self._past_abandon():
                    for nct in running.values():
                        reason = "still running when the batch stopped; left unwritten"
                        self._record(_interrupted(nct, stage, reason))
                        self._abandoned.add(nct)
                    break
        return results

    def _ended_badly(self, nct: str) -> bool:
        outcome = self._outcomes.get(nct)
        return outcome is not None and outcome.status in ("failed", "interrupted")

    def _past_grace(self) -> bool:
        return time.monotonic() - self.stop.at >= self.options.grace_seconds

    def _past_abandon(self) -> bool:
        limit = self.options.grace_seconds + self.options.abandon_seconds
        return time.monotonic() - self.stop.at >= limit

    # --- one trial -----------------------------------------------------------------------------

    def _query(self, nct: str) -> TrialQuery:
        return TrialQuery(nct, self.options.as_of)

    def _folder(self, nct: str) -> Path:
        return self.options.out / nct

    def _fetch(self, nct: str) -> bool:
        """Phase 1: fetch and file the claim. False (and a failed outcome) when it failed."""
        started = time.monotonic()
        try:
            filing = file_trial(
                self._query(nct),
                client=self.client,
                store=self.store,
                settings=self.settings,
                fetch_label=FETCH_DEADLINE,
            )
        except Exception as error:
            self._record(self._failed(nct, error, time.monotonic() - started))
            return False
        with self._lock:
            self._fetch_seconds[nct] = time.monotonic() - started
            if len(self._filings) < KEPT_EVIDENCE and self._reads_back(filing.evidence):
                # kept without its undo: a draft that fails keeps its claim (see above)
                self._filings[nct] = replace(filing, filed=None)
        return True

    def _reads_back(self, evidence: Bundle) -> bool:
        """Whether fetching `evidence` again now would read back every record unchanged (see
        the module docstring): phase 2 then drafts from it rather than fetching it again."""
        return self._sources_read_back(evidence.sources)

    def _sources_read_back(self, sources: list[SourceRecord]) -> bool:
        """Whether asking again now would read back each of these answers unchanged: each
        from the cache (not about to expire), the snapshot or a recording. Rules the reuse of
        phase 1's evidence and of related pairs' evidence (PairMemo) alike."""
        ttl = None if self.settings.offline else self.settings.cache_ttl_seconds
        now = datetime.now(UTC)
        for record in sources:
            if record.origin not in REREAD_UNCHANGED:
                return False
            if record.origin == "cache" and ttl is not None:
                try:
                    fetched = datetime.fromisoformat(record.fetched_at)
                    age = (now - fetched).total_seconds()
                except (ValueError, TypeError):  # (TypeError: a time without its zone)
                    return False
                if age > ttl - EXPIRY_MARGIN_SECONDS:
                    return False
        return True

    def _draft(self, nct: str, plan: _Plan) -> bool:
        """Phase 2: draft, write, and write the manifest last."""
        started = time.monotonic()
        folder = self._folder(nct)
        previous = plan.previous.get(nct)
        finished: list[Manifest] = []

        def unchanged(bundle: Bundle) -> bool:
            return previous is not None and previous.input_hash == input_hash(
                self.parameters, sources_of(bundle)
            )

        def finish(result: DraftResult) -> None:
            manifest = self._manifest(nct, result, time.monotonic() - started)
            write_manifest(folder, manifest)
            finished.append(manifest)

        with self._lock:
            kept = self._filings.pop(nct, None)
        if kept is not None and not self._reads_back(kept.evidence):
            kept = None  # a cached answer expired since phase 1: fetched again, as it was
        try:
            result = draft_one(
                self._query(nct),
                client=self.client,
                store=self.store,
                settings=self.settings,
                writer=self.writer,
                out_dir=self.options.out,
                call_log=self.call_log,
                fetch_label=FETCH_DEADLINE,
                unchanged=unchanged if previous is not None else None,
                writing=lambda: self.gate.writing(folder),
                finish=finish,
                filing=kept,
                pair_memo=self._pair_memo,
                section_pool=self._sections,
            )
        except Exception as error:
            self._record(self._failed(nct, error, self._seconds(nct, started)))
            return False
        if result is None:
            assert previous is not None
            skipped = _skipped(nct, previous, str(folder), "sources unchanged since its draft")
            self._record(skipped)
            return True
        with self._lock:
            self._model_down = 0
        outcome = finished[0].outcome
        self._record(
            TrialOutcome(
                nct_id=nct,
                status=outcome.status,
                reason=plan.redo.get(nct),
                needs_editor=outcome.needs_editor,
                anchors_failing=outcome.anchors_failing,
                tokens=outcome.tokens,
                cost_usd=outcome.cost_usd,
                seconds=round(self._seconds(nct, started), 3),
                folder=str(folder),
            )
        )
        return True

    def _section_pool(self) -> DaemonPool:
        """The threads every draft of the run writes its sections in: as many as
        `concurrency` drafts ask at once (each asks every section at once, up to
        Settings.model_concurrency of them, as a draft alone does)."""
        per_draft = min(self.settings.model_concurrency, len(model_sections()))
        return DaemonPool(
            self.options.concurrency * per_draft,
            name="drafter-section",
            # a draft left running when the run ended (abandoned) ends at its sections
            refused=lambda: BatchStopped("the batch stopped before this draft was written"),
        )

    def _seconds(self, nct: str, started: float) -> float:
        return self._fetch_seconds.get(nct, 0.0) + time.monotonic() - started

    def _manifest(self, nct: str, result: DraftResult, seconds: float) -> Manifest:
        failing = sum(result.report.counts.by_status.get(s, 0) for s in FAILING)
        findings = bool(result.draft.needs_editor) or result.report.failed
        return Manifest(
            nct_id=nct,
            input_hash=input_hash(self.parameters, result.draft.provenance.sources),
            parameters=self.parameters,
            sources=result.draft.provenance.sources,
            files=result.files,
            outcome=ManifestOutcome(
                status="needs_editor" if findings else "drafted",
                needs_editor=result.draft.needs_editor,
                anchors_failing=failing,
                tokens=result.tokens,
                cost_usd=result.cost_usd,
                seconds=round(self._fetch_seconds.get(nct, 0.0) + seconds, 3),
            ),
        )

    def _failed(self, nct: str, error: Exception, seconds: float) -> TrialOutcome:
        stage = stage_of(error)
        if isinstance(error, BatchStopped):
            return _interrupted(nct, stage, str(error), seconds)
        if isinstance(error, ModelUnavailable):
            with self._lock:
                self._model_down += 1
                down = self._model_down
            if down >= MODEL_DOWN_TRIALS:
                self.stop.request(
                    f"the model was unavailable for {down} trials in a row "
                    f"({one_line(mask_secrets(str(error)), 200)})"
                )
        if isinstance(error, DrafterError):
            reason = str(error)
        else:  # a bug: the trial fails, the batch goes on, the report says so
            reason = f"internal error ({type(error).__name__}: {error}); this is a bug in drafter"
        return TrialOutcome(
            nct_id=nct,
            status="failed",
            stage=stage,
            reason=one_line(mask_secrets(reason), REASON_CHARS),
            seconds=round(seconds, 3),
        )

    def _record(self, outcome: TrialOutcome) -> None:
        """Keep the outcome and append its line to batch.jsonl (from workers too: the lock
        keeps lines whole). An abandoned trial's own late outcome is not recorded."""
        with self._lock:
            if outcome.nct_id in self._abandoned:
                return
            self._outcomes[outcome.nct_id] = outcome
            self.report.append(outcome)


def _skipped(
    nct: str, manifest: Manifest, folder: str, reason: str = "complete from an earlier run"
) -> TrialOutcome:
    earlier = manifest.outcome
    return TrialOutcome(
        nct_id=nct,
        status="skipped",
        reason=reason,
        earlier=earlier.status,
        needs_editor=earlier.needs_editor,
        anchors_failing=earlier.anchors_failing,
        folder=folder,
    )


def _interrupted(nct: str, stage: str, reason: str, seconds: float = 0.0) -> TrialOutcome:
    return TrialOutcome(
        nct_id=nct, status="interrupted", stage=stage, reason=reason, seconds=round(seconds, 3)
    )
