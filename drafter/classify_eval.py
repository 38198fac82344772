"""How well a stop-reason classifier agrees with hand labels: per-class precision, recall and
F1, macro-F1, accuracy and a confusion matrix (bench/bench_classify.py prints them).

One-vs-rest per class: a row counts for class c as a true positive when gold and prediction are
both c, a false positive when only the prediction is, a false negative when only the gold is.
So rows whose gold is an archetype outside the scored classes (unknown, biomarker) are
negatives for every scored class, and a prediction outside them (unknown, biomarker) is a miss
of the row's gold class and a false positive of none. A ratio with nothing to divide by is 0.0
(scikit-learn's zero_division=0): a class never predicted has precision 0, a class never in the
gold has recall 0.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from drafter.rulebook import ARCHETYPES, Archetype

# The classes macro-F1 is taken over (issue 10): efficacy, safety and operational; biomarker
# has too few real rows to score (six of 800 labelled) and unknown is no reason at all.
SCORED_ARCHETYPES: tuple[Archetype, ...] = tuple(
    a for a in ARCHETYPES if a not in ("biomarker", "unknown")
)


def read_pool(path: Path) -> list[dict[str, str]]:
    """Every row of the pool of real why-stopped texts (ctcovidstop_why_stopped.tsv: nct_id,
    stop_date, stop_status, why_stopped, covid19_explicit), which the development set is drawn
    from and the Covid19 category is scored on."""
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


@dataclass(frozen=True)
class ClassScore:
    """Counts of one class; precision, recall and F1 from them."""

    label: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def support(self) -> int:
        """Rows whose gold is this class."""
        return self.true_positives + self.false_negatives

    @property
    def precision(self) -> float:
        return _ratio(self.true_positives, self.true_positives + self.false_positives)

    @property
    def recall(self) -> float:
        return _ratio(self.true_positives, self.support)

    @property
    def f1(self) -> float:
        # 2TP / (2TP + FP + FN): the harmonic mean of P and R, and 0.0 when both are
        return _ratio(
            2 * self.true_positives,
            2 * self.true_positives + self.false_positives + self.false_negatives,
        )


def _paired(gold: Sequence[object], predicted: Sequence[object]) -> None:
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold labels but {len(predicted)} predictions")


def binary_score(gold: Sequence[bool], predicted: Sequence[bool], label: str) -> ClassScore:
    """A yes/no label (a category present or not) scored as the class `label`."""
    _paired(gold, predicted)
    pairs = list(zip(gold, predicted, strict=True))
    return ClassScore(
        label=label,
        true_positives=sum(g and p for g, p in pairs),
        false_positives=sum(p and not g for g, p in pairs),
        false_negatives=sum(g and not p for g, p in pairs),
    )


def class_score(gold: Sequence[str], predicted: Sequence[str], label: str) -> ClassScore:
    """One class, one-vs-rest."""
    return binary_score([g == label for g in gold], [p == label for p in predicted], label)


def class_scores(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = SCORED_ARCHETYPES
) -> list[ClassScore]:
    return [class_score(gold, predicted, label) for label in labels]


def macro_f1(scores: Sequence[ClassScore]) -> float:
    """The unweighted mean of the classes' F1 (0.0 for no classes)."""
    return sum(s.f1 for s in scores) / len(scores) if scores else 0.0


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    _paired(gold, predicted)
    return _ratio(sum(g == p for g, p in zip(gold, predicted, strict=True)), len(gold))


def confusion(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = ARCHETYPES
) -> list[list[int]]:
    """Rows are gold labels, columns predictions, both in `labels` order."""
    _paired(gold, predicted)
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, predicted, strict=True):
        if g not in index or p not in index:
            raise ValueError(f"label outside {list(labels)}: {g if g not in index else p!r}")
        matrix[index[g]][index[p]] += 1
    return matrix
