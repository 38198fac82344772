"""Anchor benchmark: extract and check a 1,000-word article against 200 facts.

Target (issue 7's validator runs on every drafted paragraph): well under 20 ms for the whole
article. Prints measured/target ratios from this one run and never asserts a timing (a shared
CI machine is not a stopwatch). Run from the repo root:

    .venv/bin/python bench/bench_anchors.py [--words 1000] [--facts 200] [--runs 200]

The article is the reference post-mortem's prose (tests/data/anchors/seed_000.txt) cut to
`--words` words (repeated if asked for more); the facts are the real facts of NCT05591222
(tests/data/anchors/facts_NCT05591222.json) padded with synthetic counts, scores, dates,
phases and ids up to `--facts`.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drafter.anchors import check_text, extract_anchors
from drafter.facts import Fact, FactKind, FactValue, precision_of
from drafter.models import PHASE_ORDER

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "anchors"
TARGET_MS = 20.0
SEED = 20260520


def article(words: int) -> str:
    """The reference article's paragraphs, cut (or repeated) to `words` words."""
    paragraphs = [p for p in (DATA / "seed_000.txt").read_text("utf-8").splitlines() if p]
    out: list[str] = []
    count = 0
    while count < words:
        for paragraph in paragraphs:
            taken = paragraph.split()[: words - count]
            out.append(" ".join(taken))
            count += len(taken)
            if count >= words:
                break
    return "\n".join(out)


def synthetic(index: int, rng: random.Random) -> Fact:
    """One made-up fact of a type anchors are checked against."""
    kind: FactKind = rng.choice(["count", "score", "date", "phase", "id"])
    value: FactValue
    if kind == "count":
        value = rng.randrange(0, 5000)
    elif kind == "score":
        value = round(rng.uniform(0, 100), rng.randrange(0, 4))
    elif kind == "date":
        day = date(2000, 1, 1) + timedelta(days=rng.randrange(0, 9000))
        value = day.isoformat()[: rng.choice([4, 7, 10])]
    elif kind == "phase":
        value = rng.choice(PHASE_ORDER)
    else:
        value = f"NCT{rng.randrange(10**8):08d}"
    return Fact(
        id=f"bench:synthetic:f{index}",
        kind=kind,
        label=f"synthetic {kind}",
        value=value,
        precision=precision_of(kind, value),
        source="bench",
        formula="synthetic",
    )


def facts(total: int) -> list[Fact]:
    real = [Fact(**f) for f in json.loads((DATA / "facts_NCT05591222.json").read_text("utf-8"))]
    rng = random.Random(SEED)
    return (real + [synthetic(i, rng) for i in range(max(0, total - len(real)))])[:total]


def timed(runs: int, work: Callable[[], object]) -> list[float]:
    """Milliseconds per call, after one warm-up call."""
    work()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def report(name: str, samples: list[float]) -> None:
    median = statistics.median(samples)
    p95 = sorted(samples)[int(len(samples) * 0.95) - 1]
    print(
        f"{name:<34} median {median:6.2f} ms  p95 {p95:6.2f} ms  "
        f"median/target {median / TARGET_MS:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1000)
    parser.add_argument("--facts", type=int, default=200)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    text, cited = article(args.words), facts(args.facts)
    anchors = extract_anchors(text)
    problems = check_text(text, cited)
    print(
        f"article: {len(text.split())} words, {len(text)} characters, {len(anchors)} anchors; "
        f"{len(cited)} facts; {len(problems)} anchors unsupported; target {TARGET_MS:.0f} ms"
    )
    report("extract_anchors", timed(args.runs, lambda: extract_anchors(text)))
    report("check_text (extract + match all)", timed(args.runs, lambda: check_text(text, cited)))


if __name__ == "__main__":
    main()
