"""The classifier metrics (drafter.classify_eval) on tiny confusion cases worked out by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from drafter.classify_eval import (
    ClassScore,
    accuracy,
    binary_score,
    class_score,
    class_scores,
    confusion,
    macro_f1,
)

# Seven rows: one right per scored class, an efficacy row called operational, an operational
# row called unknown, an unknown row called efficacy, a biomarker row called operational.
GOLD = ["efficacy", "efficacy", "safety", "operational", "operational", "unknown", "biomarker"]
PREDICTED = [
    "efficacy",
    "operational",
    "safety",
    "operational",
    "unknown",
    "efficacy",
    "operational",
]


def test_per_class_counts_are_one_versus_rest() -> None:
    efficacy, safety, operational = class_scores(GOLD, PREDICTED)
    # efficacy: row 0 right; row 5 (gold unknown) a false positive; row 1 a miss
    assert (efficacy.true_positives, efficacy.false_positives, efficacy.false_negatives) == (
        1,
        1,
        1,
    )
    assert (safety.true_positives, safety.false_positives, safety.false_negatives) == (1, 0, 0)
    # operational: row 3 right; rows 1 and 6 (gold biomarker) false positives; row 4 (predicted
    # unknown) a miss that is no other class's false positive
    assert (operational.true_positives, operational.false_positives) == (1, 2)
    assert operational.false_negatives == 1
    assert [s.support for s in (efficacy, safety, operational)] == [2, 1, 2]


def test_precision_recall_and_f1() -> None:
    efficacy, safety, operational = class_scores(GOLD, PREDICTED)
    assert (efficacy.precision, efficacy.recall, efficacy.f1) == (0.5, 0.5, 0.5)
    assert (safety.precision, safety.recall, safety.f1) == (1.0, 1.0, 1.0)
    assert operational.precision == pytest.approx(1 / 3)
    assert operational.recall == 0.5
    # harmonic mean of 1/3 and 1/2 = 2 * (1/6) / (5/6) = 0.4
    assert operational.f1 == pytest.approx(0.4)
    assert macro_f1([efficacy, safety, operational]) == pytest.approx((0.5 + 1.0 + 0.4) / 3)


def test_accuracy_counts_every_archetype() -> None:
    assert accuracy(GOLD, PREDICTED) == pytest.approx(3 / 7)
    assert accuracy([], []) == 0.0


def test_confusion_rows_are_gold_and_columns_predictions() -> None:
    # order: efficacy, safety, biomarker, operational, unknown
    assert confusion(GOLD, PREDICTED) == [
        [1, 0, 0, 1, 0],
        [0, 1, 0, 0, 0],
        [0, 0, 0, 1, 0],
        [0, 0, 0, 1, 1],
        [1, 0, 0, 0, 0],
    ]
    assert sum(map(sum, confusion(GOLD, PREDICTED))) == len(GOLD)


def test_zero_divisions_are_zero() -> None:
    never = class_score(["operational", "unknown"], ["operational", "unknown"], "safety")
    assert (never.precision, never.recall, never.f1, never.support) == (0.0, 0.0, 0.0, 0)
    # predicted but never gold: every prediction wrong, nothing to recall
    wrong = class_score(["operational"], ["safety"], "safety")
    assert (wrong.precision, wrong.recall, wrong.f1) == (0.0, 0.0, 0.0)
    # gold but never predicted: precision has nothing to divide, recall is 0
    missed = class_score(["safety"], ["unknown"], "safety")
    assert (missed.precision, missed.recall, missed.f1, missed.support) == (0.0, 0.0, 0.0, 1)
    assert macro_f1([]) == 0.0


def test_a_binary_label() -> None:
    covid = binary_score(
        [True, True, False, False, True], [True, False, True, False, True], "Covid19"
    )
    assert covid == ClassScore("Covid19", true_positives=2, false_positives=1, false_negatives=1)
    assert covid.f1 == pytest.approx(2 / 3)
    assert binary_score([False], [False], "Covid19").f1 == 0.0


def test_mismatched_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="2 gold labels but 1 predictions"):
        class_scores(["safety", "safety"], ["safety"])
    with pytest.raises(ValueError, match="label outside"):
        confusion(["safety"], ["Negative"])


# --- the benchmark script on a small real subset -------------------------------------------------

REPO = Path(__file__).resolve().parent.parent
LABELS = REPO / "tests" / "data" / "stop-reasons" / "labels.jsonl"


def run_bench(*argv: str) -> str:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "bench_classify.py"), *argv],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def test_the_benchmark_prints_both_splits_the_pool_and_the_targets(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()[:40]]
    labels = tmp_path / "labels.jsonl"
    labels.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    # a pool in the shared TSV's shape, from the same real rows (stop_date left empty)
    pool = tmp_path / "pool.tsv"
    lines = ["nct_id\tstop_date\tstop_status\twhy_stopped\tcovid19_explicit"] + [
        f"{r['nct_id']}\t\t{r['stop_status']}\t{r['text']}\t{r['covid19_explicit']}" for r in rows
    ]
    pool.write_text("\n".join(lines) + "\n", encoding="utf-8")
    printed = run_bench("--labels", str(labels), "--pool", str(pool))
    splits = {split: sum(r["split"] == split for r in rows) for split in ("dev", "test")}
    for split, count in splits.items():
        assert f"{split} split: {count} texts" in printed
    assert printed.count("macro-F1 (efficacy, safety, operational): ") == 2
    assert f"Covid19 on the whole pool: {len(rows)} texts" in printed
    assert f"throughput (the rules): {len(rows)} texts in " in printed
    for target in ("(target ≥ 0.900)", "(target ≥ 0.950)", "(target ≥ 5,000)"):
        line = next(line for line in printed.splitlines() if target in line)
        assert line.endswith((" met", " NOT met"))


def test_the_benchmark_says_when_the_pool_is_missing(tmp_path: Path) -> None:
    printed = run_bench("--labels", str(tmp_path / "none.jsonl"), "--pool", str(tmp_path / "no"))
    assert "no labelled set at" in printed
    assert f"the pool is not there ({tmp_path / 'no'})" in printed
    assert "Covid19 F1 on the pool: not measured" in printed
