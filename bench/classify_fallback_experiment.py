"""Does a learned fallback earn its place next to the stop-reason rules? (issue 10, item 3)

A logistic regression on character 2-5-grams (TF-IDF, balanced classes) over efficacy / safety /
operational is trained on four fifths of the dev split and, on the fifth left out, may overrule
the rules only where they decided by a low-confidence stance (a reason no rule names, or any
stance), flipping operational to efficacy or safety when its probability reaches a threshold.
Five folds, several thresholds; it prints macro-F1 of rules alone and of rules + model. The test
split is never read. Needs scikit-learn, which drafter does not depend on:

    .venv/bin/pip install scikit-learn && .venv/bin/python bench/classify_fallback_experiment.py

Results (2026-11-29). On the first 400 dev texts the model overruled at most one answer in the
five folds and macro-F1 stayed 0.897 = rules alone. On all 1,200 dev texts it overrules 2 to 25
answers and lowers macro-F1 at every threshold (rules alone 0.921; rules + model 0.890 to
0.917). It does not earn its place, so no learned fallback is shipped.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from drafter.classify import StopClassification, classify_stop_reason  # noqa: E402
from drafter.classify_eval import SCORED_ARCHETYPES, class_scores, macro_f1  # noqa: E402
from drafter.stop_stance import UNNAMED_REASON  # noqa: E402


def dev_macro_f1(gold: list[str], predicted: list[str]) -> float:
    return macro_f1(class_scores(gold, predicted))


def overrulable(answer: StopClassification, mode: str) -> bool:
    if mode == "unnamed-reason":
        return answer.decided_by == UNNAMED_REASON.rule
    return answer.confidence < 1.0 and answer.archetype != "unknown"


def main() -> None:
    try:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold
    except ImportError:
        raise SystemExit("this experiment needs scikit-learn: pip install scikit-learn") from None
    path = REPO / "tests" / "data" / "stop-reasons" / "labels.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    dev = [row for row in rows if row["split"] == "dev"]
    texts = np.array([row["text"] for row in dev])
    gold = [row["archetype"] for row in dev]
    three = np.array([label if label in SCORED_ARCHETYPES else "operational" for label in gold])
    rules = [classify_stop_reason(text) for text in texts]
    alone = dev_macro_f1(gold, [answer.archetype for answer in rules])
    print(f"rules alone, dev macro-F1 {alone:.3f}")
    for mode in ("unnamed-reason", "any-stance"):
        for threshold in (0.4, 0.5, 0.6, 0.7):
            predicted = [answer.archetype for answer in rules]
            flipped = 0
            folds = StratifiedKFold(5, shuffle=True, random_state=0)
            for train, held in folds.split(texts, three):
                vectoriser = TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True
                )
                model = LogisticRegression(C=10, max_iter=2000, class_weight="balanced")
                model.fit(vectoriser.fit_transform(texts[train]), three[train])
                for index, probabilities in zip(
                    held, model.predict_proba(vectoriser.transform(texts[held])), strict=True
                ):
                    best = int(np.argmax(probabilities))
                    label = str(model.classes_[best])
                    if (
                        overrulable(rules[index], mode)
                        and label != "operational"
                        and probabilities[best] >= threshold
                    ):
                        predicted[index] = label
                        flipped += 1
            combined = dev_macro_f1(gold, predicted)
            print(
                f"{mode:>15} threshold {threshold:.1f}: rules + model {combined:.3f}"
                f" ({flipped} answers overruled)"
            )


if __name__ == "__main__":
    main()
