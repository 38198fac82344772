"""Where a batch draft's CPU time goes, stage by stage: `drafter batch --writer openai` over
the fleet, as bench/bench_batch.py runs it (same fleet, model server and warm cache), in a
child process whose stage functions are wrapped to add up the CPU time (time.thread_time) of
every thread that runs them: waiting for the model or a socket costs nothing.

Prints, per draft, the CPU milliseconds of start-up, of the whole process after its imports,
and of each stage (inclusive: a stage's callees count in it, nested stages overlap). With
--cprofile, a second run profiles every thread with cProfile on the same CPU clock and prints
the functions with the most CPU time of their own; cProfile slows Python code several times
over (the JSON encoder most), so read its shares, not its totals. It asserts nothing. From the
repo root:

    .venv/bin/python bench/profile_batch.py [--trials 60] [--concurrency 1]
                                            [--cprofile [--top 40] [--save FILE]]
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import importlib
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

REPO = Path(__file__).resolve().parent.parent

# Stage → where its function is looked up when called (module or class, attribute). Each is
# wrapped to add the calling thread's CPU time (time.thread_time) to its stage: a stage run in
# worker threads (a draft's sections) is summed over them. Inclusive: nested stages overlap.
TIMED: list[tuple[str, str, str]] = [
    ("phase 1: fetch + file claim", "drafter.batch:Batch", "_fetch"),
    ("phase 2: draft_one (all)", "drafter.batch", "draft_one"),
    ("  fetch again + file claim", "drafter.draft_run", "file_trial"),
    ("  assess", "drafter.draft_run", "assess"),
    ("  draft_trial (its thread)", "drafter.draft_run", "draft_trial"),
    ("  sections (their threads)", "drafter.draft", "_write_section"),
    ("    select_facts", "drafter.draft", "select_facts"),
    ("    prompt (render_section)", "drafter.draft", "render_section"),
    ("    model call (writer.write)", "drafter.writers.openai_writer:OpenAIWriter", "write"),
    ("      openai SDK (_send)", "drafter.writers.openai_writer:OpenAIWriter", "_send"),
    ("      reply (judge)", "drafter.writers.openai_writer", "judge"),
    ("    validation", "drafter.draft", "_problems"),
    ("    call log", "drafter.calllog:CallLog", "add"),
    ("  assess: score_pair", "drafter.assessment", "score_pair"),
    ("  assess: related claims", "drafter.assessment", "_related"),
    ("  verify_draft", "drafter.draft_run", "verify_draft"),
    ("    Verifier built", "drafter.verify:Verifier", "__init__"),
    ("    NameFinder.find", "drafter.names:NameFinder", "find"),
    ("  model_dump (draft)", "drafter.draft_model:Draft", "model_dump"),
    ("  model_dump (bundle)", "drafter.bundle:Bundle", "model_dump"),
    ("  JSON of the files", "drafter.draft_run", "json_text"),  # (before model_json)
    ("  JSON of the files", "drafter.draft_run", "model_json"),
    ("  render_markdown", "drafter.draft_run", "render_markdown"),
    ("  render_review_page", "drafter.draft_run", "render_review_page"),
    ("  write files", "drafter.draft_run", "write_all_atomically"),
    ("  write manifest", "drafter.batch", "write_manifest"),
]


class StageClock:
    """CPU seconds per stage, from every thread; a stage re-entered in one thread counts once.
    Garbage collection is a stage too (gc.callbacks): it runs inside whichever stage
    allocated when a generation filled up."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()
        self._depth = threading.local()
        self._collecting = 0.0

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._collecting = time.thread_time()
        else:
            spent = time.thread_time() - self._collecting
            stage = f"garbage collection (gen {info['generation']})"
            self.seconds[stage] = self.seconds.get(stage, 0.0) + spent

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            depth: dict[str, int] = self._depth.__dict__.setdefault("d", {})
            if depth.get(stage):
                return function(*args, **kwargs)
            depth[stage] = 1
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.thread_time() - started
                depth[stage] = 0
                with self._lock:
                    self.seconds[stage] = self.seconds.get(stage, 0.0) + spent

        return timed

    def install(self) -> None:
        gc.callbacks.append(self._gc)
        for stage, where, attribute in TIMED:
            module_name, _, class_name = where.partition(":")
            holder: Any = importlib.import_module(module_name)
            if class_name:
                holder = getattr(holder, class_name)
            if hasattr(holder, attribute):  # (a stage another version of drafter lacks)
                setattr(holder, attribute, self.wrap(stage, getattr(holder, attribute)))


def child(stats_file: Path, argv: list[str]) -> int:
    """Run `drafter ARGV` here: with a stats file, every thread under its own profiler, merged
    into it; without, the stage clock. Prints the process's CPU seconds after imports, and the
    stages, as JSON on stderr's last line."""
    from drafter import cli

    if str(stats_file) == "-":
        clock = StageClock()
        clock.install()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        before = usage.ru_utime + usage.ru_stime
        code = cli.main(argv)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        after = usage.ru_utime + usage.ru_stime
        report = {"cpu": after - before, "system": usage.ru_stime, "stages": clock.seconds}
        sys.stderr.write("\n" + json.dumps(report) + "\n")
        return code

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()
    original = threading.Thread.run

    def profiled_run(self: threading.Thread) -> None:
        profile = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(profile)
        profile.enable()
        try:
            original(self)
        finally:
            profile.disable()

    threading.Thread.run = profiled_run  # type: ignore[method-assign]
    usage = resource.getrusage(resource.RUSAGE_SELF)
    before = usage.ru_utime + usage.ru_stime
    main_profile = cProfile.Profile(time.thread_time)
    main_profile.enable()
    try:
        code = cli.main(argv)
    finally:
        main_profile.disable()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - before
    sys.stderr.write("\n" + json.dumps({"cpu": cpu, "stages": {}}) + "\n")
    stats = pstats.Stats(main_profile)
    for profile in profiles:
        stats.add(profile)
    stats.dump_stats(str(stats_file))
    return code


def startup_cpu() -> float:
    """CPU seconds of `python -m drafter.cli --version` (interpreter start and imports)."""
    best = float("inf")
    for _ in range(3):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(
            [sys.executable, "-m", "drafter.cli", "--version"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        spent = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        best = min(best, spent)
    return best


def run_child(bench: Any, name: str, stats: str, concurrency: int) -> dict[str, Any]:
    """One profiled `drafter batch --writer openai` over the fleet, in its own OUT and
    claims database; what the child reported (CPU seconds after imports, stages)."""
    from bench.bench_batch import AS_OF

    env = {**bench.env, "DRAFTER_DB": str(bench.work / f"{name}-claims.sqlite3")}
    command = [sys.executable, __file__, "--child", stats, "batch", "--since", "2010-01-01"]
    command += ["--as-of", AS_OF, "--out", str(bench.work / name), "--json"]
    command += ["--writer", "openai", "--concurrency", str(concurrency)]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{name}: exit {done.returncode}: {done.stderr[-2000:]}")
    if not done.stdout.strip():
        raise SystemExit(f"{name}: no summary: {done.stderr[-3000:]}")
    drafted = json.loads(done.stdout)["counts"]
    report: dict[str, Any] = json.loads(done.stderr.strip().splitlines()[-1])
    report["drafts"] = drafted["drafted"] + drafted["needs_editor"]
    return report


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        raise SystemExit(child(Path(sys.argv[2]), sys.argv[3:]))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--cprofile", action="store_true", help="also a cProfile run")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--save", type=Path, help="keep the cProfile run's profile (pstats)")
    args = parser.parse_args()

    from bench.bench_batch import bench_environment

    stats = None
    with bench_environment(args.trials, args.latency) as bench, tempfile.TemporaryDirectory() as t:
        timed = run_child(bench, "stages", "-", args.concurrency)
        if args.cprofile:
            stats_file = Path(t) / "batch.prof"
            profiled = run_child(bench, "cprofile", str(stats_file), args.concurrency)
            stats = pstats.Stats(str(stats_file))
            if args.save:
                stats.dump_stats(str(args.save))
    startup = startup_cpu()
    drafts = timed["drafts"]
    print(f"\n{drafts} fleet drafts, --concurrency {args.concurrency}, CPU ms per draft")
    print(f"{'stage':<32} {'CPU ms/draft':>12}")
    print("-" * 45)
    print(f"{'start-up (--version, once)':<32} {startup * 1000:>12.1f}")
    print(f"{'process CPU after imports':<32} {timed['cpu'] / drafts * 1000:>12.1f}")
    print(f"{'  of which system (whole run)':<32} {timed['system'] / drafts * 1000:>12.1f}")
    collections = sorted(s for s in timed["stages"] if s.startswith("garbage"))
    for stage in dict.fromkeys([*(stage for stage, _, _ in TIMED), *collections]):
        seconds = timed["stages"].get(stage, 0.0)
        print(f"{stage:<32} {seconds / drafts * 1000:>12.1f}")
    if stats is None:
        return
    print(f"\ncProfile run (slower: read the shares): {profiled['cpu'] / drafts * 1000:.0f} ms")
    print(f"\nthe {args.top} functions with the most CPU time of their own:")
    stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
