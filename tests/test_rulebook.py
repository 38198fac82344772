"""The rulebook: one set of stop-reason tables that the classifier, claims and the MRS share."""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pytest

from drafter.mrs import DEFAULT_PARAMS
from drafter.rulebook import (
    ARCHETYPES,
    CATEGORIES,
    CATEGORY_ARCHETYPE,
    NON_FAILURE_CATEGORIES,
    SEVERITY_ORDER,
    UNDIRECTED_CATEGORIES,
    Category,
    allowed_archetypes,
    archetype_for,
    is_non_failure,
)

PACKAGE = Path(__file__).resolve().parents[1] / "drafter"


def test_the_classifier_precedence_is_the_mrs_severity_order() -> None:
    """ "Most severe archetype wins" and the MRS weights never disagree about what is severe."""
    weight = DEFAULT_PARAMS.archetype_severity
    assert [weight[a] for a in SEVERITY_ORDER] == sorted(weight.values(), reverse=True)
    assert SEVERITY_ORDER == ("efficacy", "safety", "biomarker", "operational")
    representative = {CATEGORY_ARCHETYPE[c]: c for c in reversed(CATEGORIES)}
    for severe, mild in combinations(SEVERITY_ORDER, 2):
        categories = [representative[mild], representative[severe]]
        assert archetype_for(categories) == severe
    assert archetype_for(["Interim_Analysis", "Funding"]) == "operational"
    assert archetype_for([]) == "unknown"


def test_the_tables_are_defined_once() -> None:
    """No module but the rulebook spells out the category → archetype table or the literals."""
    pair = re.compile(r"[\"']Negative[\"']\s*:\s*[\"']efficacy[\"']")
    literal = re.compile(r"Literal\[\s*[\"']efficacy[\"']|Literal\[\s*[\"']Safety_Sideeffects")
    order = re.compile(r"\(\s*[\"'](?:efficacy|safety)[\"'],\s*[\"'](?:safety|efficacy)[\"'],")
    for path in PACKAGE.rglob("*.py"):
        if path.name == "rulebook.py":
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in (pair, literal, order):
            assert not pattern.search(text), f"{path.name} repeats a rulebook table"


@pytest.mark.parametrize("category", CATEGORIES)
def test_allowed_archetypes(category: Category) -> None:
    allowed = allowed_archetypes(category)
    if category in UNDIRECTED_CATEGORIES:
        assert allowed == ARCHETYPES
    else:
        assert allowed == (CATEGORY_ARCHETYPE[category],)


def test_undirected_and_non_failure_categories() -> None:
    assert {"Interim_Analysis", "Invalid_Reason", "No_Context"} == UNDIRECTED_CATEGORIES
    assert {"Success", "Endpoint_Met"} == NON_FAILURE_CATEGORIES


@pytest.mark.parametrize(
    ("categories", "non_failure"),
    [
        (["Success"], True),
        (["Endpoint_Met"], True),
        (["Success", "Endpoint_Met"], True),
        (["Endpoint_Met", "Interim_Analysis"], True),  # met at the interim: still a success
        (["Success", "Safety_Sideeffects"], False),
        (["Success", "Insufficient_Enrollment"], False),
        (["Interim_Analysis"], False),
        (["No_Context"], False),
        ([], False),
    ],
)
def test_non_failure(categories: list[Category], non_failure: bool) -> None:
    assert is_non_failure(categories) is non_failure
