"""`claims add` reports every problem of a bad claim at once, one line each, then exits 2 and
stores nothing: the field errors and the rules across fields, so an editor fixes them all in
one go."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from drafter.cli import main
from drafter.models import Claim, claim_problems
from tests.factories import BASE_CLAIM


def add(capsys: pytest.CaptureFixture[str], db: Path, claim: dict[str, Any]) -> tuple[int, str]:
    code = main(["claims", "--db", str(db), "add", "--json-claim", json.dumps(claim)])
    return code, capsys.readouterr().err


def stored_keys(capsys: pytest.CaptureFixture[str], db: Path) -> set[str]:
    assert main(["claims", "--db", str(db), "export", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    return {Claim.model_validate(r).key for r in records}


def test_a_claim_with_many_problems_lists_each_on_its_own_line_then_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "claims.sqlite3"
    before = stored_keys(capsys, db)
    bad = {
        "nct_id": "NCT123",  # not NCT + 8 digits
        "drug": "",  # empty
        # target_symbol and disease_name missing
        "phase": "PHASE9",
        "archetype": "efficacy",  # contradicts Funding, which means operational
        "category": "Funding",
        "status": "published",  # without a source
        "termination_posted": "2025-02-30",
        "colour": "red",  # no such field
    }
    code, err = add(capsys, db, bad)
    assert code == 2
    lines = err.splitlines()
    assert all(line.startswith("drafter: --json-claim: ") for line in lines)
    problems = [line.removeprefix("drafter: --json-claim: ") for line in lines[:-1]]
    expected_starts = [
        "nct_id: String should match pattern",
        "drug: String should have at least 1 character",
        "target_symbol: Field required",
        "disease_name: Field required",
        "phase: Input should be 'EARLY_PHASE1'",
        "termination_posted: not a real date: '2025-02-30'",
        "colour: Extra inputs are not permitted",
        "archetype 'efficacy' contradicts category 'Funding', which means operational",
        "a published claim needs at least one source URL",
    ]
    assert len(problems) == len(expected_starts)
    for start in expected_starts:
        assert sum(problem.startswith(start) for problem in problems) == 1, start
    assert "(got 'PHASE9')" in err and "(got 'NCT123')" in err
    assert lines[-1].endswith(
        f"{len(expected_starts)} problems, nothing stored "
        "(`drafter claims add --help` lists the fields and their values)"
    )
    assert stored_keys(capsys, db) == before


def test_both_rules_are_reported_when_every_field_is_valid_on_its_own() -> None:
    claim = {**BASE_CLAIM, "archetype": "safety", "status": "published", "sources": []}
    problems = claim_problems(claim)
    assert len(problems) == 2
    assert problems[0].startswith("archetype 'safety' contradicts category")
    assert problems[1] == "a published claim needs at least one source URL"


def test_a_rule_is_not_checked_against_a_value_that_is_itself_invalid() -> None:
    """An unknown category is one problem, not also a contradiction with the archetype."""
    problems = claim_problems({**BASE_CLAIM, "category": "Futility"})
    assert len(problems) == 1 and problems[0].startswith("category: Input should be")


def test_a_valid_claim_has_no_problems_and_is_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert claim_problems(BASE_CLAIM) == []
    db = tmp_path / "claims.sqlite3"
    # a real trial of the bundled snapshot: daxdilimab (LILRA4) in lupus nephritis, Phase 2
    trial = {**BASE_CLAIM, "nct_id": "NCT05540665", "disease_name": "Lupus nephritis"}
    code, err = add(capsys, db, {**trial, "archetype": "unknown", "category": "No_Context"})
    assert code == 0 and "added claim NCT05540665" in err
    assert "NCT05540665" in stored_keys(capsys, db)


def test_a_long_or_structured_input_is_not_echoed() -> None:
    """Only short scalars are quoted back (a 10,000-character reason would drown the line)."""
    problems = claim_problems({**BASE_CLAIM, "sponsor": "x" * 600, "phase": ["PHASE2"]})
    assert len(problems) == 2
    assert all("(got" not in problem for problem in problems)
