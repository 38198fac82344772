"""The learned fallback of the stop-reason classifier: drafter's own arithmetic gives the
probabilities scikit-learn gave when the model was trained (fixtures/train_stop_reason_model.py
kept them for real dev texts), and the rules hand over only the answers the guide leaves open."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from drafter.classify import (
    DEFAULT_CLASSIFIER,
    LEARNED_FALLBACK,
    LEARNED_THRESHOLD,
    RuleClassifier,
    RulesWithLearnedFallback,
)
from drafter.classify_learned import LearnedModel, bundled_model

CHECK = Path(__file__).parent / "data" / "stop-reasons" / "learned_check.json"


def test_the_bundled_model_gives_scikit_learns_probabilities() -> None:
    checked = json.loads(CHECK.read_text(encoding="utf-8"))
    assert len(checked) >= 50
    model = bundled_model()
    for row in checked:
        mine = model.probabilities(row["text"])
        assert mine.keys() == row["probabilities"].keys()
        for label, expected in row["probabilities"].items():
            assert math.isclose(mine[label], expected, rel_tol=0, abs_tol=1e-8), row["text"]


def test_the_bundled_model_says_what_it_was_trained_on() -> None:
    model = bundled_model()
    assert model.classes == ["efficacy", "operational", "safety"]
    assert model.trained_on["rows"] == 3600  # the dev rows of all five draws
    assert "split dev" in str(model.trained_on["labels"])


def tiny_model(weights: dict[str, list[float]]) -> LearnedModel:
    """A model over whole words only: each word's [idf, efficacy, operational, safety]."""
    return LearnedModel(
        {
            "classes": ["efficacy", "operational", "safety"],
            "intercept": [0.0, 0.0, 0.0],
            "trained_on": {"rows": 3},
            "blocks": [{"analyzer": "word", "ngram_range": [1, 1], "terms": weights}],
        }
    )


# "zorbly" is no word any rule reads: the rules call its texts operational by a stance
FAILURE_WORD = {"zorbly": [1.0, 6.0, 0.0, 0.0], "hurtful": [1.0, 0.0, 0.0, 6.0]}


def test_an_operational_answer_becomes_the_failure_the_model_is_sure_of() -> None:
    classifier = RulesWithLearnedFallback(model=tiny_model(FAILURE_WORD))
    rules = RuleClassifier().classify("The results were zorbly")
    assert rules.archetype == "operational"
    answer = classifier.classify("The results were zorbly")
    assert answer.archetype == "efficacy"
    assert answer.categories[0] == "Negative"
    assert answer.decided_by == LEARNED_FALLBACK and answer.classifier == "rules+learned"
    assert LEARNED_THRESHOLD <= answer.confidence < 1.0
    assert '"zorbly"' in answer.explanation and rules.explanation in answer.explanation
    safety = classifier.classify("Hurtful reactions at the site")
    assert safety.archetype == "safety" and safety.categories[0] == "Safety_Sideeffects"


def test_an_unsure_model_leaves_the_rules_answer() -> None:
    unsure = tiny_model({"zorbly": [1.0, 0.2, 0.0, 0.0]})
    answer = RulesWithLearnedFallback(model=unsure).classify("The results were zorbly")
    assert answer == RuleClassifier().classify("The results were zorbly")


@pytest.mark.parametrize(
    "text",
    [
        "Terminated for business reasons, not for safety or lack of efficacy; zorbly",  # denial
        "Enrollment paused for the planned interim analysis; zorbly",  # a pause
        "Stopped because of the COVID-19 pandemic; zorbly",  # a pandemic reason
        "The primary endpoint was met early; zorbly",  # a success
        "Slow enrollment",  # the model knows no word of it
        "Adverse events were mild; study stopped for business reasons; zorbly",  # words the
        "Efficacy could not be assessed due to insufficient data; zorbly",  # rules read
        "Closed early on grounds of operational futility; zorbly",
        "The DSMB audit found compliance observations; zorbly",
    ],
)
def test_what_the_guide_settles_is_never_overruled(text: str) -> None:
    rules = RuleClassifier().classify(text)
    answer = RulesWithLearnedFallback(model=tiny_model(FAILURE_WORD)).classify(text)
    assert answer == rules


def test_failures_the_rules_read_are_left_to_them() -> None:
    text = "Serious adverse events in the treatment arm; zorbly"
    rules = RuleClassifier().classify(text)
    assert rules.archetype == "safety"
    assert RulesWithLearnedFallback(model=tiny_model(FAILURE_WORD)).classify(text) == rules


def test_the_bundled_fallback_reads_failures_the_rules_miss_on_real_texts() -> None:
    """Real why-stopped texts of the shared pool that no rule reads."""
    classifier = RulesWithLearnedFallback()
    for text in (
        "The effects are not good",
        "Dose was not therapeudic",
    ):
        assert RuleClassifier().classify(text).archetype == "operational"
        answer = classifier.classify(text)
        assert answer.archetype == "efficacy", answer.explanation
        assert answer.decided_by == LEARNED_FALLBACK


def test_the_default_agrees_with_the_rules_on_every_reviewed_case() -> None:
    """The reviewed cases (tests/data/classify_cases.jsonl) are read by the rules as labelled
    (tests/test_classify.py), and the default classifier, the rules and then the fallback,
    changes none. Before the failure-word guard it changed 13, among them "Adverse events were
    mild; study stopped for business reasons" to safety; before the guard kept it off the
    guide's Another_Study, it read "Results from a similar trial" (no direction: operational)
    as efficacy."""
    path = Path(__file__).parent / "data" / "classify_cases.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    rules, default = RuleClassifier(), RulesWithLearnedFallback()
    changed = [t for t in texts if default.classify(t).archetype != rules.classify(t).archetype]
    assert changed == []
    similar = DEFAULT_CLASSIFIER.classify("Results from a similar trial")
    assert similar.archetype == "operational" and "Another_Study" in similar.categories
    assert similar.decided_by != LEARNED_FALLBACK


def test_a_learned_answer_keeps_no_no_reason_category() -> None:
    """The rules' "no reason read" stance carries No_Context; once the model reads a failure,
    that category would contradict it."""
    answer = RulesWithLearnedFallback().classify("Dose was not therapeudic")
    assert answer.archetype == "efficacy" and answer.categories == ["Negative"]
