"""`drafter batch`: draft every trial stopped in a date range (or listed in a file) into
OUT/NCT_ID/, a few at a time, resumable; a report in OUT/batch.jsonl and OUT/batch.md and a
summary table on stdout (one JSON document with --json).

Exit codes: 0 every trial drafted (or complete from an earlier run) with nothing for an editor;
1 findings: a trial failed, a draft has sections that need an editor or anchors that fail
verification (this run's or, for a skipped trial, the earlier run's: the exit code describes
OUT as it stands), or a line of --nct-file was unusable; 2 bad input before any work (dates,
an --nct-file without ids, an unwritable --out); 3 the search or the model is unavailable (the
model for several trials in a row stops the batch); 130 interrupted (run it again to resume).
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from types import FrameType

from drafter.batch import DEFAULT_CONCURRENCY, Batch, BatchOptions, StopRequest
from drafter.batch_candidates import (
    CandidateQuery,
    Candidates,
    batch_candidates,
    read_nct_file,
)
from drafter.batch_progress import Progress, progress_for
from drafter.batch_report import BatchSummary, ReportFiles, TrialOutcome, human, summarise
from drafter.calllog import CallLog
from drafter.claims import open_store
from drafter.commands.common import (
    DISCOVERY_DEADLINE,
    add_as_of_flag,
    add_db_flag,
    add_offline_flag,
    check_out_directory,
    given_path,
    non_blank,
    parse_day,
    today_or,
    write_json,
    write_stdout,
)
from drafter.config import load_settings
from drafter.discovery import DiscoveryQuery
from drafter.errors import (
    EXIT_FINDINGS,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UPSTREAM,
    BadInput,
    DeadlineExceeded,
    StoreUnavailable,
)
from drafter.sources.http import HttpClient
from drafter.terminal import output_width, tell
from drafter.writer_choice import WRITERS, choose_writer

LOCK_FILE = ".drafter-batch.lock"
MAX_CONCURRENCY = 64


def _candidates(
    client: HttpClient, query: CandidateQuery, limit: int | None, seconds: float
) -> Candidates:
    """The run's trials, the search for them inside its own budget. When that budget (not
    one request's) runs out, the source's advice ("try again later") would not help: a
    search this long is too wide or the budget too short, and the message says so."""
    with client.deadline(seconds, DISCOVERY_DEADLINE) as budget:
        try:
            return batch_candidates(client, query, limit)
        except DeadlineExceeded as error:
            # the search's budget, spent or about to be (a rate limit's wait that outlasts it
            # ends the request early), not a single slow request's own
            if budget.label != DISCOVERY_DEADLINE or budget.describe() not in str(error):
                raise
    raise DeadlineExceeded(
        f"the search for trials did not finish within {budget.describe()}: narrow it "
        "(--since, --until, --phase, --condition, --sponsor-class) or raise "
        "DRAFTER_DISCOVERY_DEADLINE"
    )


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--since",
        type=parse_day,
        metavar="DATE",
        help="stopped trials whose record changed since YYYY-MM-DD",
    )
    parser.add_argument(
        "--until", type=parse_day, metavar="DATE", help="... and until YYYY-MM-DD (default: now)"
    )
    parser.add_argument(
        "--phase",
        action="append",
        metavar="PHASE",
        help="only these phases (PHASE1 … PHASE4, EARLY_PHASE1; repeat or comma-separate)",
    )
    parser.add_argument("--condition", metavar="TEXT", help="only trials of this condition")
    parser.add_argument(
        "--sponsor-class", metavar="CLASS", help="only this lead sponsor class (INDUSTRY, NIH, …)"
    )
    parser.add_argument(
        "--all-interventions",
        action="store_true",
        help="every intervention type (default: drug and biological only)",
    )
    parser.add_argument(
        "--nct-file",
        type=given_path,
        metavar="FILE",
        help="draft these trials instead: one NCT id a line (# comments, blank lines skipped)",
    )
    parser.add_argument(
        "--out",
        type=given_path,
        default=Path("out"),
        metavar="DIR",
        help="drafts go to DIR/NCT_ID/ (default: out)",
    )
    parser.add_argument(
        "--concurrency",
        type=_count(MAX_CONCURRENCY),
        metavar="N",
        default=DEFAULT_CONCURRENCY,
        help=f"trials drafted at once (default {DEFAULT_CONCURRENCY}); model calls in flight "
        "are bounded for the whole run by DRAFTER_MODEL_CONCURRENCY (default 8)",
    )
    parser.add_argument(
        "--limit", type=_count(None), metavar="N", help="only the first N trials found"
    )
    parser.add_argument(
        "--refresh",
        action="store_true",
        help="fetch complete trials again and redo those whose sources changed",
    )
    parser.add_argument(
        "--writer",
        choices=WRITERS,
        default="auto",
        help="auto: the model when OPENAI_API_KEY or OPENAI_BASE_URL is set, else offline",
    )
    parser.add_argument(
        "--model", type=non_blank, metavar="M", help="model name (also DRAFTER_MODEL)"
    )
    add_offline_flag(parser)
    add_as_of_flag(parser)
    add_db_flag(parser)
    parser.add_argument(
        "--json", action="store_true", help="print the summary as one JSON document"
    )


def _count(maximum: int | None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < 1 or (maximum is not None and value > maximum):
            bound = f" and at most {maximum}" if maximum is not None else ""
            raise argparse.ArgumentTypeError(f"must be at least 1{bound}, not {value}")
        return value

    return parse


def run(args: argparse.Namespace) -> int:
    query = _query(args)
    listed = read_nct_file(query.nct_file) if query.nct_file is not None else None
    if listed is not None:
        for problem in listed.problems:
            tell(f"warning: {problem}")
        if not listed.ids:
            raise BadInput(f"{query.nct_file} holds no NCT id")
        query = replace(query, listed=listed)
    _check_writable(args.out)
    with _only_batch_in(args.out):
        return _run(args, query)


def _run(args: argparse.Namespace, query: CandidateQuery) -> int:
    settings = load_settings({"offline": args.offline, "db_path": args.db, "model": args.model})
    writer = choose_writer(args.writer, settings)
    options = BatchOptions(
        out=args.out,
        as_of=today_or(args.as_of),
        concurrency=args.concurrency,
        refresh=args.refresh,
    )
    stop = StopRequest()
    progress = progress_for(sys.stderr)
    log = nullcontext() if writer.name == "offline" else CallLog(settings.call_log_path)
    try:
        with HttpClient(settings) as client, open_store(settings) as store, log as call_log:
            candidates = _candidates(client, query, args.limit, settings.discovery_deadline)
            ids = candidates.nct_ids
            for reason, count in candidates.dropped.items():
                tell(f"search: {count} record{'s' * (count != 1)} left out ({reason})")
            batch = Batch(
                settings,
                writer,
                options,
                client=client,
                store=store,
                progress=progress,
                call_log=call_log,
                stop=stop,
                report=ReportFiles(args.out),
            )
            with _collector_for_batch(), _interrupts(stop, progress, options.grace_seconds):
                done = batch.run(ids)
            code = _exit_code(done.outcomes, candidates.problems, stop)
            summary = summarise(
                done.outcomes,
                out=str(args.out),
                candidates=len(ids),
                input_problems=candidates.problems,
                stopped=done.stopped,
                seconds=done.seconds,
                peak=done.model_calls_peak,
                exit_code=code,
            )
            batch.report.finish(summary)
    finally:
        progress.close()
    _print(summary, args.json)
    if done.abandoned:  # a worker is still inside a model call: do not wait for it
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


@contextmanager
def _collector_for_batch() -> Iterator[None]:
    """The garbage collector set for a batch, and set back after it.

    Everything alive when a batch starts (modules, the SDK's types, pydantic's schemas) lives as
    long as the process: frozen, the collector stops re-scanning it as every draft's allocations
    fill a generation (a full collection cost the most). A draft allocates ~10^5 objects, nearly
    all freed by reference counting; at the default 700 allocations per young collection the
    survivors of each draft's in-flight work were promoted and re-scanned over and over (5.7 ms
    CPU a draft at 16 workers, 1.8 ms with these thresholds). Cyclic garbage waits a little
    longer."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def _query(args: argparse.Namespace) -> CandidateQuery:
    if (args.since is None) == (args.nct_file is None):
        raise BadInput(
            "give --since YYYY-MM-DD (stopped trials from ClinicalTrials.gov) or --nct-file "
            "FILE (these trials), one of the two"
        )
    if args.until is not None and args.since is None:
        raise BadInput("--until needs --since")
    if args.until is not None and args.until < args.since:
        raise BadInput(f"--until {args.until} is before --since {args.since}: an empty range")
    if args.nct_file is not None:
        return CandidateQuery(nct_file=args.nct_file)
    search = DiscoveryQuery.checked(
        since=args.since,
        until=args.until,
        phases=",".join(args.phase) if args.phase else (),
        condition=args.condition,
        sponsor_class=args.sponsor_class,
        all_interventions=args.all_interventions,
    )
    return CandidateQuery(search=search)


def _check_writable(out: Path) -> None:
    """OUT exists or can be created, and a file can be written in it: known before any work
    (a batch makes OUT at once: its lock and reports live there)."""
    check_out_directory(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".drafter-write-check-"):
            pass
    except OSError as error:
        raise BadInput(f"cannot write to --out {out}: {error.strerror or error}") from None


@contextmanager
def _only_batch_in(out: Path) -> Iterator[None]:
    """One batch at a time per OUT: two would draft the same trials and each write manifests
    over the other's files. An advisory lock on OUT/.drafter-batch.lock, held for the run and
    released by the system however the process ends (a kill included)."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before there were batches
        yield
        return
    handle = (out / LOCK_FILE).open("a")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise StoreUnavailable(
                f"another drafter batch is writing to {out}; wait for it, or give another --out"
            ) from None
        yield
    finally:
        handle.close()


def _exit_code(outcomes: list[TrialOutcome], problems: list[str], stop: StopRequest) -> int:
    if stop.interrupted:
        return EXIT_INTERRUPTED
    if stop.requested:
        return EXIT_UPSTREAM
    if problems or any(outcome.finding for outcome in outcomes):
        return EXIT_FINDINGS
    return EXIT_OK


@contextmanager
def _interrupts(stop: StopRequest, progress: Progress, grace: float) -> Iterator[None]:
    """SIGINT once: stop taking trials, let those under way finish (see drafter.batch);
    twice: exit at once (every file is whole; the unfinished trials are redone next time)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    heard = 0

    def handle(signum: int, frame: FrameType | None) -> None:
        nonlocal heard
        heard += 1
        if heard == 1:
            stop.request("interrupted", interrupt=True)
            stop.interrupted = True
            progress.note(
                f"interrupted: no new trials; those under way get {grace:g} s to finish "
                "(Ctrl-C again to stop at once)"
            )
            return
        tell("aborted: the trials not finished are redone when the batch runs again")
        sys.stderr.flush()
        os._exit(EXIT_INTERRUPTED)

    # SIGTERM (kill, timeout(1), a service manager) too: its default ends the process on the
    # spot, leaving the temp files of the trials being written
    previous = {signum: signal.signal(signum, handle) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        # once interrupted, a Ctrl-C while the report is written or the process ends still
        # means "stop at once" (exit 130), never a KeyboardInterrupt at interpreter shutdown
        if not heard:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


def _print(summary: BatchSummary, as_json: bool) -> None:
    if as_json:
        write_json(summary.model_dump(mode="json"))
        return
    write_stdout(human(summary, output_width(sys.stdout)))
