"""MRS benchmark: a synthetic 100,000-claim table, timed for one pair and for every pair.

Targets (from the project brief): one pair in < 50 ms including fetching its claims; the whole table
recomputed in < 5 s. Prints measured/target ratios from this one run and never asserts a timing
(a shared CI machine is not a stopwatch). Run from the repo root:

    .venv/bin/python bench/bench_mrs.py [--claims 100000] [--sample 300]

Claims are fetched through `drafter.claims.ClaimsStore` (a temporary SQLite file) when that
module is importable; otherwise from an in-memory grouping, and the output says which. A single
pair reads validated Claim models (`for_pair`); the whole table reads compact rows
(`mrs_inputs`) and scores them with `compute_mrs_table_rows`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drafter.models import Claim
from drafter.mrs import (
    DEFAULT_PARAMS,
    MrsInput,
    PairKey,
    ProgramRef,
    compute_mrs,
    compute_mrs_table_rows,
    mrs_input,
    pair_key,
    target_key,
)

SEED = 20260520
AS_OF = date(2026, 5, 20)
PAIR_TARGET_MS = 50.0
TABLE_TARGET_S = 5.0

PHASES: dict[str | None, float] = {
    "EARLY_PHASE1": 0.04,
    "PHASE1": 0.25,
    "PHASE1/PHASE2": 0.08,
    "PHASE2": 0.35,
    "PHASE2/PHASE3": 0.04,
    "PHASE3": 0.15,
    "PHASE4": 0.04,
    None: 0.05,
}
ARCHETYPES: dict[str, float] = {
    "operational": 0.40,
    "efficacy": 0.30,
    "safety": 0.12,
    "biomarker": 0.05,
    "unknown": 0.13,
}
CATEGORIES = {
    "operational": "Business_Administrative",
    "efficacy": "Negative",
    "safety": "Safety_Sideeffects",
    "biomarker": "Biomarker",
    "unknown": "No_Context",
}


def zipf_weights(n: int, exponent: float) -> list[float]:
    return [1.0 / (rank**exponent) for rank in range(1, n + 1)]


def drug_of(rng: random.Random, target_index: int) -> tuple[str, str | None]:
    """A handful of drugs per target, a few of them far more often tried than the rest."""
    k = min(40, int(rng.paretovariate(1.2)))
    number = target_index * 100 + k
    chembl = f"CHEMBL{number}" if number % 10 < 7 else None
    return f"T{target_index:04d}-d{k}", chembl


def partial(day: date, rng: random.Random) -> str:
    roll = rng.random()
    return day.isoformat() if roll < 0.85 else day.isoformat()[:7] if roll < 0.97 else str(day.year)


def generate(
    n_claims: int, n_targets: int, n_diseases: int, rng: random.Random
) -> tuple[list[Claim], dict[str, list[ProgramRef] | None], dict[PairKey, float | None]]:
    """Claims with Zipf-ish targets and diseases (so a few pairs carry hundreds of claims),
    plus Open Targets-like drug lists per target and association scores per pair."""
    targets = rng.choices(range(1, n_targets + 1), zipf_weights(n_targets, 0.8), k=n_claims)
    diseases = rng.choices(range(1, n_diseases + 1), zipf_weights(n_diseases, 0.8), k=n_claims)
    phases = rng.choices(list(PHASES), list(PHASES.values()), k=n_claims)
    archetypes = rng.choices(list(ARCHETYPES), list(ARCHETYPES.values()), k=n_claims)
    start, span = date(2000, 1, 1), (AS_OF - date(2000, 1, 1)).days
    claims = []
    for i in range(n_claims):
        drug, chembl = drug_of(rng, targets[i])
        completion = start + timedelta(days=rng.randrange(span))
        posted = completion + timedelta(days=rng.randrange(0, 900))
        undated = rng.random() < 0.03
        has_nct = rng.random() < 0.95
        claims.append(
            Claim(
                nct_id=f"NCT{i:08d}" if has_nct else None,
                drug=drug if has_nct else f"{drug} program {i}",
                drug_chembl_id=chembl,
                target_symbol=f"T{targets[i]:04d}",
                disease_name=f"disease {diseases[i]:03d}",
                phase=phases[i],
                archetype=archetypes[i],
                category=CATEGORIES[archetypes[i]],
                primary_completion=None if undated else partial(completion, rng),
                termination_posted=None if undated else partial(min(posted, AS_OF), rng),
            )
        )
    programs: dict[str, list[ProgramRef] | None] = {}
    for t in range(1, n_targets + 1):
        if rng.random() < 0.1:
            programs[target_key(f"T{t:04d}")] = None  # Open Targets did not answer
            continue
        refs = {drug_of(rng, t) for _ in range(rng.randrange(0, 13))}
        programs[target_key(f"T{t:04d}")] = [
            ProgramRef(chembl_id=c, name=name.upper()) for name, c in sorted(refs, key=str)
        ]
    scores: dict[PairKey, float | None] = {}
    for claim in claims:
        key = pair_key(claim.target_symbol, claim.disease_name)
        if key not in scores:
            scores[key] = None if rng.random() < 0.15 else round(rng.random(), 3)
    return claims, programs, scores


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = fn()
    return time.perf_counter() - started, value


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Source:
    """Where the benchmark reads claims from: the real store when it exists, else memory."""

    def __init__(self, claims: list[Claim], directory: Path) -> None:
        self.pairs: dict[PairKey, list[Claim]] = {}
        self.by_target: dict[str, list[Claim]] = {}
        self.names: dict[PairKey, tuple[str, str]] = {}
        for claim in claims:
            key = pair_key(claim.target_symbol, claim.disease_name)
            self.pairs.setdefault(key, []).append(claim)
            self.by_target.setdefault(key[0], []).append(claim)
            self.names.setdefault(key, (claim.target_symbol, claim.disease_name))
        self.claims = claims
        self.store: Any = None
        try:
            from drafter.claims import ClaimsStore
        except ImportError:
            self.description = "in-memory grouping (drafter.claims.ClaimsStore not importable)"
            return
        self.store = ClaimsStore(directory / "claims.sqlite3")
        load_s, _ = timed(lambda: self.store.upsert_many(claims))
        self.description = (
            f"ClaimsStore, temporary SQLite file ({len(claims):,} upserts in {load_s:.1f} s)"
        )

    def for_pair(self, key: PairKey) -> list[Claim]:
        if self.store is None:
            return self.pairs[key]
        return list(self.store.for_pair(*self.names[key]))

    def target_drugs(self, key: PairKey) -> list[ProgramRef]:
        """What n_t needs from the table: the distinct drugs on the target."""
        if self.store is None:
            pairs = {(c.drug, c.drug_chembl_id) for c in self.by_target[key[0]]}
        else:
            pairs = set(self.store.drugs_for_target(self.names[key][0]))
        return [ProgramRef(name=name, chembl_id=chembl_id) for name, chembl_id in pairs]

    def all(self) -> list[MrsInput]:
        """The whole table as the MRS reads it (compact rows, no Claim models)."""
        if self.store is None:
            return [mrs_input(claim) for claim in self.claims]
        return self.store.mrs_inputs()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def one_pair(
    source: Source,
    key: PairKey,
    scores: dict[PairKey, float | None],
    programs: dict[str, list[ProgramRef] | None],
    digest: str,
) -> tuple[float, float, float]:
    """Seconds to fetch the pair's claims, the target's drugs (for n_t), and compute."""
    pair_s, pair = timed(lambda: source.for_pair(key))
    target_s, target = timed(lambda: source.target_drugs(key))
    compute_s, _ = timed(
        lambda: compute_mrs(
            pair,
            scores.get(key),
            programs.get(key[0]),
            AS_OF,
            target_drugs=target,
            params_hash=digest,
        )
    )
    return pair_s, target_s, compute_s


def ms(values: Sequence[float]) -> str:
    return f"median {statistics.median(values):.2f} ms, p95 {percentile(values, 0.95):.2f} ms"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--claims", type=int, default=100_000)
    parser.add_argument("--targets", type=int, default=2_000)
    parser.add_argument("--diseases", type=int, default=500)
    parser.add_argument("--sample", type=int, default=300, help="single pairs to time")
    args = parser.parse_args(argv)
    rng = random.Random(SEED)

    gen_s, (claims, programs, scores) = timed(
        lambda: generate(args.claims, args.targets, args.diseases, rng)
    )
    with tempfile.TemporaryDirectory() as tmp:
        source = Source(claims, Path(tmp))
        try:
            report(source, programs, scores, rng, args.sample, gen_s)
        finally:
            source.close()
    return 0


def report(
    source: Source,
    programs: dict[str, list[ProgramRef] | None],
    scores: dict[PairKey, float | None],
    rng: random.Random,
    n_sample: int,
    gen_s: float,
) -> None:
    sizes = sorted(len(v) for v in source.pairs.values())
    print(
        f"MRS benchmark: {len(source.claims):,} claims, {len(source.by_target):,} targets,"
        f" {len(source.pairs):,} pairs (seed {SEED}, generated in {gen_s:.1f} s); claims per"
        f" pair median {statistics.median(sizes):g}, p95 {percentile(sizes, 0.95):g}, max"
        f" {sizes[-1]}; claims per target max {max(map(len, source.by_target.values())):,}"
    )
    print(f"claims source: {source.description}; load average {os.getloadavg()[0]:.1f}")
    print("garbage collector: Python's defaults (neither drafter nor this script changes them)")
    digest = DEFAULT_PARAMS.digest()
    sample = rng.sample(sorted(source.pairs), min(n_sample, len(source.pairs)))
    one_pair(source, sample[0], scores, programs, digest)  # warm-up, not timed

    runs = [[1000 * t for t in one_pair(source, k, scores, programs, digest)] for k in sample]
    totals = [sum(run) for run in runs]
    median, p95 = statistics.median(totals), percentile(totals, 0.95)
    over = sum(1 for t in totals if t > PAIR_TARGET_MS)
    print(
        f"(a) one pair, {len(sample)} random pairs, fetch + compute: {ms(totals)}, max"
        f" {max(totals):.1f} ms ({over} over {PAIR_TARGET_MS:g} ms) → ratio to the"
        f" {PAIR_TARGET_MS:g} ms target: median {median / PAIR_TARGET_MS:.3f},"
        f" p95 {p95 / PAIR_TARGET_MS:.3f}"
    )
    print(
        f"    pair claims {ms([r[0] for r in runs])}; target claims (n_t)"
        f" {ms([r[1] for r in runs])}; compute {ms([r[2] for r in runs])}"
    )
    for key in sorted(source.pairs, key=lambda k: len(source.pairs[k]), reverse=True)[:3]:
        pair_ms, target_ms, compute_ms = (
            1000 * t for t in one_pair(source, key, scores, programs, digest)
        )
        total_ms = pair_ms + target_ms + compute_ms
        print(
            f"    heavy pair {' / '.join(source.names[key])}: {len(source.pairs[key])} claims,"
            f" {len(source.by_target[key[0]]):,} on the target: {total_ms:.1f} ms (pair"
            f" {pair_ms:.1f} + target {target_ms:.1f} + compute {compute_ms:.1f}) → ratio"
            f" {total_ms / PAIR_TARGET_MS:.2f}"
        )

    fetch_s, everything = timed(source.all)
    cpu = time.process_time()
    compute_s, table = timed(
        lambda: compute_mrs_table_rows(
            everything, AS_OF, association_scores=scores, target_programs=programs
        )
    )
    cpu_s = time.process_time() - cpu
    total_s = fetch_s + compute_s
    print(
        f"(b) all {len(table):,} pairs recomputed: fetch all {fetch_s:.2f} s + compute"
        f" {compute_s:.2f} s (CPU {cpu_s:.2f} s) = {total_s:.2f} s → ratio to the"
        f" {TABLE_TARGET_S:g} s target: {total_s / TABLE_TARGET_S:.2f} (compute alone"
        f" {compute_s / TABLE_TARGET_S:.2f})"
    )
    bands: dict[str, int] = {}
    for result in table.values():
        bands[result.band] = bands.get(result.band, 0) + 1
    print(f"    bands: {dict(sorted(bands.items()))}")


if __name__ == "__main__":
    raise SystemExit(main())
