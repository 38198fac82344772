"""Batch benchmark: `drafter batch --since 2010-01-01 --writer openai` over the 200-trial fleet
(tests/ctgov_fleet.py) and the local chat-completions server of the tests, which adds a fixed
latency to every call (200 ms by default) and answers with the careful stand-in model
(tests/drafting_model.py). Each run is a real subprocess, as a user runs it.

A warm-up run (the offline writer) fills a response cache that every measured run shares, so
the measured runs time drafting, not the sources' rate limits (ClinicalTrials.gov at 1 request/s
makes a cold fetch of 200 trials take about 4 minutes whatever the concurrency). Each measured
run has its own OUT and claims database.

Prints, per --concurrency: wall time, drafts per minute, model calls per draft, the drafter's
own CPU time per draft (user + system of the child process from resource.getrusage, startup
and cached fetches included, waiting excluded), the CPU time each draft after the first adds
(a one-trial run's CPU, the run's fixed cost, subtracted) and the throughput against two
ideals (explained in the output). One run's CPU time moves with the machine's load, so each
level runs --repeats times: its row is the run of median CPU, and "least" the least CPU of
its runs. It asserts nothing. From the repo root:

    .venv/bin/python bench/bench_batch.py [--trials 200] [--latency 0.2] [--levels 1,4,16,32]
                                          [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.ctgov_fleet import running_fleet
from tests.drafting_model import model
from tests.openai_server import OpenAIServer

REPO = Path(__file__).resolve().parent.parent
AS_OF = "2026-05-20"
MODEL_CONCURRENCY = 64  # the highest Settings allows: the model bound is not the limiter


@dataclass(frozen=True)
class BenchEnvironment:
    env: dict[str, str]  # the child's environment: fleet, model server, shared warm cache
    work: Path  # a temporary folder for OUT directories and claims databases
    server: OpenAIServer


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_batch(env: dict[str, str], work: Path, name: str, *argv: str) -> dict[str, Any]:
    out = work / name
    env = {**env, "DRAFTER_DB": str(work / f"{name}-claims.sqlite3")}
    command = [sys.executable, "-m", "drafter.cli", "batch", "--since", "2010-01-01"]
    command += ["--as-of", AS_OF, "--out", str(out), "--json", *argv]
    cpu = child_cpu()
    started = time.monotonic()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{name}: exit {done.returncode}: {done.stderr[-2000:]}")
    summary: dict[str, Any] = json.loads(done.stdout)
    summary["wall"] = wall
    summary["cpu"] = child_cpu() - cpu
    return summary


@contextmanager
def bench_environment(trials: int, latency: float) -> Iterator[BenchEnvironment]:
    """The fleet, the model server and a response cache warmed by an offline-writer run: what
    every measured run (and bench/profile_batch.py) shares."""
    with tempfile.TemporaryDirectory() as folder, running_fleet(size=trials) as fleet:
        work = Path(folder)
        config = work / "config.toml"
        config.write_text("")
        server = OpenAIServer(latency=latency, responder=model())
        server.start()
        env = {
            **os.environ,
            **fleet.environment(),
            "DRAFTER_CONFIG": str(config),
            "DRAFTER_CACHE_DIR": str(work / "cache"),
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": "sk-bench-0000",
            "DRAFTER_MODEL_CONCURRENCY": str(MODEL_CONCURRENCY),
        }
        for name in ("DRAFTER_OFFLINE", "DRAFTER_MODEL", "DRAFTER_MODEL_TIMEOUT"):
            env.pop(name, None)
        # as an installed drafter runs (pip compiles its modules): the warm-up run writes the
        # bytecode the measured runs load, instead of each compiling every module (~0.1 s)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        try:
            warm = run_batch(env, work, "warm-up", "--writer", "offline", "--concurrency", "16")
            print(
                f"warm-up (offline writer, cold cache, rate-limited fetch): "
                f"{warm['wall']:.0f} s for {trials} trials",
                flush=True,
            )
            yield BenchEnvironment(env, work, server)
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--levels", default="1,4,16,32")
    parser.add_argument(
        "--trials-at-1",
        type=int,
        default=None,
        help="fewer trials for concurrency 1 only (default: all of them)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs per level; the row is the run of median CPU time (default: 3)",
    )
    args = parser.parse_args()
    levels = [int(level) for level in args.levels.split(",")]

    rows = []
    with bench_environment(args.trials, args.latency) as bench:
        server = bench.server
        # what a run costs whatever its size (start-up and imports, discovery of the fleet's
        # trials, the report, exit) plus one draft: the least of two one-trial runs
        one_trial = min(
            run_batch(bench.env, bench.work, f"one-{i}", "--writer", "openai", "--limit", "1")[
                "cpu"
            ]
            for i in range(2)
        )
        print(f"  a one-trial run: {one_trial * 1000:.0f} ms CPU", flush=True)
        for level in levels:
            limit = args.trials_at_1 if level == 1 and args.trials_at_1 else args.trials
            runs = []
            for repeat in range(max(args.repeats, 1)):
                asked = len(server.completion_requests)
                summary = run_batch(
                    bench.env,
                    bench.work,
                    f"c{level}-{repeat}",
                    "--writer",
                    "openai",
                    "--concurrency",
                    str(level),
                    "--limit",
                    str(limit),
                )
                summary["calls"] = len(server.completion_requests) - asked
                runs.append(summary)
                print(
                    f"  concurrency {level}, run {repeat + 1}: {summary['wall']:.1f} s, "
                    f"{summary['cpu']:.2f} s CPU",
                    flush=True,
                )
            runs.sort(key=lambda run: run["cpu"])
            median = runs[len(runs) // 2]
            counts = median["counts"]
            drafts = counts["drafted"] + counts["needs_editor"]
            rows.append((level, limit, drafts, counts["failed"], median, runs[0]["cpu"]))

    latency = args.latency
    print()
    print(
        f"{args.trials} fleet trials, model latency {latency * 1000:.0f} ms a call, "
        f"DRAFTER_MODEL_CONCURRENCY={MODEL_CONCURRENCY}, cached sources"
    )
    header = (
        f"{'conc':>4} {'trials':>6} {'drafts':>6} {'failed':>6} {'wall s':>7} {'drafts/min':>10} "
        f"{'calls/draft':>11} {'CPU ms/draft':>12} {'least':>6} {'each more':>9} "
        f"{'ideal seq/min':>13} "
        f"{'ratio':>6} "
        f"{'ideal par/min':>13} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for level, limit, drafts, failed, summary, least in rows:
        rate = drafts / summary["wall"] * 60
        per_draft = summary["calls"] / drafts if drafts else 0.0
        cpu_ms = summary["cpu"] / drafts * 1000 if drafts else 0.0
        least_ms = least / drafts * 1000 if drafts else 0.0
        more_ms = (summary["cpu"] - one_trial) / (drafts - 1) * 1000 if drafts > 1 else 0.0
        # sequential: each worker's draft asks its K calls one after another
        sequential = level / (per_draft * latency) * 60 if per_draft else 0.0
        # parallel: a draft asks its sections together, so at most min(level * K, M) calls
        # are in flight, each taking `latency`
        in_flight = min(level * per_draft, MODEL_CONCURRENCY)
        parallel = in_flight / (per_draft * latency) * 60 if per_draft else 0.0
        print(
            f"{level:>4} {limit:>6} {drafts:>6} {failed:>6} {summary['wall']:>7.1f} "
            f"{rate:>10.1f} {per_draft:>11.2f} {cpu_ms:>12.1f} {least_ms:>6.1f} {more_ms:>9.1f} "
            f"{sequential:>13.1f} "
            f"{rate / sequential if sequential else 0:>6.2f} {parallel:>13.1f} "
            f"{rate / parallel if parallel else 0:>6.2f}"
        )
    print(
        "\nideal seq = c / (K x L) drafts/s: c workers, each draft's K model calls (K = calls "
        "per draft, measured) one after another at L = the model latency; the issue's "
        "formula.\n"
        "ideal par = min(c x K, M) / (K x L) drafts/s: drafter asks a draft's sections "
        "together, so c workers keep up to c x K calls in flight, capped by M = "
        "DRAFTER_MODEL_CONCURRENCY; the model-latency bound when CPU is free.\n"
        "CPU ms/draft: user + system time of the drafter process (getrusage of the child) "
        "over the run divided by drafts; includes interpreter start-up, the cached fetch "
        "phase, validation, rendering and writing; excludes time spent waiting. Target <= 50 ms. "
        "Each level runs --repeats times and its row is the run of median CPU time; least is "
        "the least CPU of its runs, the cost with the least interference from the machine.\n"
        "each more: the CPU time each draft after the first added, (CPU of the run - CPU of a "
        "one-trial run) / (drafts - 1): the run's fixed cost (start-up, discovery, report) "
        "left out. The machine's load moves one run's CPU by up to +-15% (runs made back to "
        "back here differed by 25%): hence the repeats."
    )


if __name__ == "__main__":
    main()
