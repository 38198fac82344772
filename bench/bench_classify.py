"""Stop-reason classifier benchmark (issue 10): agreement with the hand-labelled development set,
the Covid19 category on the whole pool of real texts, and the rules' throughput.

    .venv/bin/python bench/bench_classify.py [--labels FILE] [--pool TSV]
                                             [--classifier default|rules|learned|model]

Prints, for the dev and the test split separately (tests/data/stop-reasons/labels.jsonl):
precision, recall and F1 of efficacy, safety and operational (one-vs-rest: a gold unknown or
biomarker row is a negative for all three, a predicted unknown or biomarker is a miss;
drafter.classify_eval), their macro-F1, accuracy over all five archetypes and the confusion
matrix (gold rows × predicted columns). Then the Covid19 F1 over every text of the pool (gold:
its covid19_explicit column, B. G. Carlisle's coding; prediction: Covid19 among the categories)
and the rules' texts per second over the same texts (one run, time.perf_counter). Then the
targets and whether each is met. It asserts nothing: a benchmark reports.

--classifier: default (drafter.classify.DEFAULT_CLASSIFIER, what drafter uses), rules (the rules
alone), learned (the rules with their learned fallback, drafter.classify_learned) or model.
Whatever the choice, a section then sets the learned fallback against the rules alone on each
split (macro-F1 of both, the answers it changed and how many of those the labels confirm): the
fallback must beat the rules alone on the test split to be drafter's default (issue 10, item 3).

--classifier model classifies the two splits with the configured model (drafter.classify_model,
at most DRAFTER_MODEL_CONCURRENCY at once); the pool's Covid19 F1 and the throughput stay the
rules' (12,103 model calls are not a benchmark), and say so.

Data: B. G. Carlisle, "Clinical Trials Stopped by Covid-19", R package ctcovidstop 1.1.1,
CC BY 4.0 (see tests/data/stop-reasons/PROVENANCE.md).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drafter.classify import (
    DEFAULT_CLASSIFIER,
    RuleClassifier,
    RulesWithLearnedFallback,
    StopClassification,
    StopReasonClassifier,
)
from drafter.classify_eval import (
    SCORED_ARCHETYPES,
    ClassScore,
    accuracy,
    binary_score,
    class_scores,
    confusion,
    macro_f1,
)
from drafter.classify_eval import read_pool as pool_rows
from drafter.rulebook import ARCHETYPES

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "tests" / "data" / "stop-reasons" / "labels.jsonl"
# the shared pool beside the repository checkout (../shared)
POOL = REPO.parent / "shared" / "data" / "why-stopped-pool" / "ctcovidstop_why_stopped.tsv"
SPLITS = ("dev", "test")
MACRO_F1_TARGET = 0.90  # on the test split
COVID_F1_TARGET = 0.95  # on the whole pool
THROUGHPUT_TARGET = 5_000.0  # texts per second, the rules


def read_labels(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                row = json.loads(line)
                if row.get("split") not in SPLITS or row.get("archetype") not in ARCHETYPES:
                    raise SystemExit(f"{path} line {number}: no split or archetype")
                rows.append(row)
    return rows


def read_pool(path: Path) -> list[tuple[str, bool]]:
    """(text, covid19_explicit) of every row of the pool TSV."""
    return [(row["why_stopped"], row["covid19_explicit"] == "TRUE") for row in pool_rows(path)]


def classify_all(
    classifier: StopReasonClassifier, texts: Sequence[str], workers: int
) -> list[StopClassification]:
    if workers <= 1:
        return [classifier.classify(text) for text in texts]
    from drafter.classify_model import classify_each

    return list(classify_each(classifier, texts, workers))


def print_split(name: str, rows: Sequence[dict[str, Any]], results: Sequence[Any]) -> float:
    gold = [row["archetype"] for row in rows]
    predicted = [result.archetype for result in results]
    scores = class_scores(gold, predicted)
    macro = macro_f1(scores)
    print(f"\n{name} split: {len(rows)} texts")
    print(f"  {'class':<12} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}")
    for score in scores:
        print(_score_line(score))
    print(f"  macro-F1 ({', '.join(SCORED_ARCHETYPES)}): {macro:.3f}")
    print(f"  accuracy (all five archetypes): {accuracy(gold, predicted):.3f}")
    print("  confusion (rows gold, columns predicted):")
    width = max(len(a) for a in ARCHETYPES) + 1
    print("  " + " " * width + "".join(f"{a:>{width}}" for a in ARCHETYPES))
    for archetype, counts in zip(ARCHETYPES, confusion(gold, predicted), strict=True):
        print(f"  {archetype:<{width}}" + "".join(f"{c:>{width}}" for c in counts))
    fallbacks = sum("fallback" in result.classifier for result in results)
    if fallbacks:
        print(f"  the rules stood in for the model on {fallbacks} of {len(rows)} texts")
    return macro


def _score_line(score: ClassScore) -> str:
    return (
        f"  {score.label:<12} {score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f} "
        f"{score.support:>8}"
    )


def _named(classifier: StopReasonClassifier) -> str:
    if isinstance(classifier, RulesWithLearnedFallback):
        return "the rules with their learned fallback (drafter.classify, drafter.classify_learned)"
    return "the rules (drafter.classify)"


def _fallback_line(
    split: str,
    rows: Sequence[dict[str, Any]],
    rules: StopReasonClassifier,
    learned: StopReasonClassifier,
) -> str:
    gold = [row["archetype"] for row in rows]
    alone = [rules.classify(row["text"]).archetype for row in rows]
    helped = [learned.classify(row["text"]).archetype for row in rows]
    changed = [(g, b) for g, a, b in zip(gold, alone, helped, strict=True) if a != b]
    right = sum(g == b for g, b in changed)
    return (
        f"  {split}: rules alone {macro_f1(class_scores(gold, alone)):.3f}, with the fallback "
        f"{macro_f1(class_scores(gold, helped)):.3f}; {len(changed)} answers changed, "
        f"{right} of them to the label"
    )


def _met(value: float, target: float) -> str:
    return "met" if value >= target else "NOT met"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=LABELS, help=f"default: {LABELS}")
    parser.add_argument("--pool", type=Path, default=POOL, help=f"default: {POOL}")
    parser.add_argument(
        "--classifier", choices=("default", "rules", "learned", "model"), default="default"
    )
    args = parser.parse_args()

    rules, learned = RuleClassifier(), RulesWithLearnedFallback()
    chosen_by_name: dict[str, StopReasonClassifier] = {
        "default": DEFAULT_CLASSIFIER,
        "rules": rules,
        "learned": learned,
    }
    classifier = chosen_by_name.get(args.classifier, DEFAULT_CLASSIFIER)
    workers = 1
    if args.classifier == "model":
        from drafter.classify_model import model_classifier
        from drafter.config import load_settings
        from drafter.errors import DrafterError

        try:
            settings = load_settings()
            built = model_classifier(settings)
        except DrafterError as error:
            print(f"bench_classify: {error}", file=sys.stderr)
            return 3
        classifier, workers = built, settings.model_concurrency
        print(f"classifier: the model {built.model} at {built.host} (rules as fallback)")
    else:
        print(f"classifier: {_named(classifier)}")

    test_macro: float | None = None
    if not args.labels.is_file():
        print(f"\nno labelled set at {args.labels}: the dev and test tables are skipped")
    else:
        rows = read_labels(args.labels)
        print(f"labels: {args.labels} ({len(rows)} rows)")
        for split in SPLITS:
            chosen = [row for row in rows if row["split"] == split]
            results = classify_all(classifier, [row["text"] for row in chosen], workers)
            macro = print_split(split, chosen, results)
            if split == "test":
                test_macro = macro
        print("\nthe learned fallback against the rules alone:")
        for split in SPLITS:
            chosen = [row for row in rows if row["split"] == split]
            print(_fallback_line(split, chosen, rules, learned))

    covid_f1: float | None = None
    throughput: float | None = None
    if not args.pool.is_file():
        print(f"\nthe pool is not there ({args.pool}): no Covid19 F1 and no throughput")
    else:
        pool = read_pool(args.pool)
        texts = [text for text, _ in pool]
        started = time.perf_counter()
        ruled = [rules.classify(text) for text in texts]
        seconds = time.perf_counter() - started
        throughput = len(texts) / seconds if seconds > 0 else float("inf")
        started = time.perf_counter()
        with_fallback = [learned.classify(text) for text in texts]
        fallback_seconds = time.perf_counter() - started
        covid = binary_score(
            [explicit for _, explicit in pool],
            ["Covid19" in r.categories for r in ruled],
            "Covid19",
        )
        covid_f1 = covid.f1
        by = " (the rules)" if args.classifier == "model" else ""
        print(f"\nCovid19 on the whole pool{by}: {len(pool)} texts, {args.pool}")
        print(f"  {'class':<12} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}")
        print(_score_line(covid))
        print(f"  false positives {covid.false_positives}, false negatives {covid.false_negatives}")
        print(
            f"\nthroughput (the rules): {len(texts)} texts in {seconds:.2f} s = {throughput:,.0f}/s"
        )
        changed = sum(a.archetype != b.archetype for a, b in zip(ruled, with_fallback, strict=True))
        print(
            f"throughput (the rules with the learned fallback): {fallback_seconds:.2f} s = "
            f"{len(texts) / fallback_seconds:,.0f}/s; it changed {changed} of the pool's answers"
        )

    print("\ntargets:")
    lines = [
        ("macro-F1 on the test split", test_macro, MACRO_F1_TARGET, "{:.3f}"),
        ("Covid19 F1 on the pool", covid_f1, COVID_F1_TARGET, "{:.3f}"),
        ("rules throughput, texts/s", throughput, THROUGHPUT_TARGET, "{:,.0f}"),
    ]
    for label, value, target, shape in lines:
        if value is None:
            print(f"  {label}: not measured (target ≥ {shape.format(target)})")
        else:
            shown, wanted = shape.format(value), shape.format(target)
            print(f"  {label}: {shown} (target ≥ {wanted}) {_met(value, target)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
