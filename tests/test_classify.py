"""Stop-reason classifier: the acceptance case, real whyStopped texts, every taxonomy category,
negation scope, typos and capitals, placeholders, the CLI, and properties that hold for any text.

tests/data/classify_cases.jsonl holds hand-reviewed cases, each with its source: the Open Targets
curated examples (Razuvayevskaya et al., Nat Genet 2024), real texts from the recorded API
examples and the reference facts in tests/data, and examples
written for each rule.
"""

from __future__ import annotations

import dataclasses
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drafter.classify import (
    RULES,
    RuleClassifier,
    StopClassification,
    StopReasonClassifier,
)
from drafter.cli import main
from drafter.rulebook import (
    ARCHETYPES,
    CATEGORIES,
    CATEGORY_ARCHETYPE,
    NON_FAILURE_CATEGORIES,
    Category,
    archetype_for,
)
from drafter.stop_stance import STANCES

# These tests read the rules. drafter's default classifier adds the learned fallback after them
# (drafter.classify.DEFAULT_CLASSIFIER; its own tests are in tests/test_classify_learned.py).
classify_stop_reason = RuleClassifier().classify

CASES_FILE = Path(__file__).parent / "data" / "classify_cases.jsonl"
CASES: list[dict[str, Any]] = [
    json.loads(line) for line in CASES_FILE.read_text(encoding="utf-8").splitlines() if line
]

# The 17 classes of the Open Targets taxonomy (research/stop-reasons.md, section 1).
OPEN_TARGETS_CLASSES = {
    "Insufficient_Enrollment",
    "Business_Administrative",
    "Negative",
    "Logistics_Resources",
    "Study_Design",
    "Invalid_Reason",
    "Study_Staff_Moved",
    "Covid19",
    "Regulatory",
    "Safety_Sideeffects",
    "Another_Study",
    "No_Context",
    "Interim_Analysis",
    "Insufficient_Data",
    "Success",
    "Endpoint_Met",
    "Ethical_Reason",
}
CONCERNS = {"Safety_Sideeffects", "Negative"}
ACCEPTANCE = "Sponsor business decision, not related to safety concerns"


def categories_of(text: str | None) -> list[Category]:
    return classify_stop_reason(text).categories


# --- acceptance -------------------------------------------------------------------------------


def test_acceptance_case() -> None:
    result = classify_stop_reason(ACCEPTANCE)
    dumped = result.model_dump(mode="json")
    assert dumped["archetype"] == "operational"
    assert dumped["categories"] == ["Business_Administrative"]
    assert '"sponsor business decision"' in dumped["explanation"]
    # The safety words were seen and deliberately ignored, not simply missed.
    assert [(m.category, m.negated_by) for m in result.negated] == [("Safety_Sideeffects", "not")]


def test_acceptance_case_through_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", ACCEPTANCE, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["archetype"] == "operational"
    assert document["categories"] == ["Business_Administrative"]
    assert "business.decision" in document["explanation"]


# --- real texts -------------------------------------------------------------------------------

REAL_TEXTS = [
    # tests/data/api-examples/clinicaltrials/study_NCT00184067_terminated_cyanheads.json
    ("Primary PI left institution", "operational", ["Study_Staff_Moved"]),
    # tests/data/api-examples/clinicaltrials/
    #   m37_study_NCT02971839_terminated_fields_subset.body.json
    ("Decision by Sponsor.", "operational", ["Business_Administrative"]),
    # tests/data/api-examples/clinicaltrials/study_NCT00973089_withdrawn_aact.json: the registry's
    # definition of the status, which names no reason.
    (
        "recruiting or enrolling participants has halted prematurely and will not resume",
        "unknown",
        ["No_Context"],
    ),
    # the API notes of the recorded examples (quoted as a typical vague whyStopped)
    ("Strategic considerations", "operational", ["Business_Administrative"]),
    # the published post-mortem of NCT05591222 (app.claidex.com), NCT05591222
    (ACCEPTANCE, "operational", ["Business_Administrative"]),
    # the published post-mortem of NCT05591222 (app.claidex.com), the dek's paraphrase
    ("citing a non-safety business decision", "operational", ["Business_Administrative"]),
    # tests/data/reference/seed-programs.json: Fierce's paraphrase names the event, not a reason
    ("recruitment was stopped early", "unknown", ["No_Context"]),
    # tests/data/reference/seed-programs.json, why_stopped_press_paraphrase: a success
    (
        "Amgen spokesperson (via Fierce Biotech, 2026-02-04): record is coded 'terminated' "
        "because recruitment was stopped early, but the trial was in fact completed; "
        "daxdilimab met the primary endpoint in 72 patients.",
        "operational",
        ["Endpoint_Met"],
    ),
    # tests/data/reference/seed-programs.json, rocatinlimab collaboration
    (
        "reason: strategic portfolio prioritization by Amgen",
        "operational",
        ["Business_Administrative"],
    ),
]


@pytest.mark.parametrize(("text", "archetype", "categories"), REAL_TEXTS)
def test_real_why_stopped_texts(text: str, archetype: str, categories: list[str]) -> None:
    result = classify_stop_reason(text)
    assert (result.archetype, result.categories) == (archetype, categories)


# --- the reviewed cases file ------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case["text"][:50] for case in CASES])
def test_reviewed_case(case: dict[str, Any]) -> None:
    result = classify_stop_reason(case["text"])
    assert (result.archetype, result.categories) == (case["archetype"], case["categories"])


def test_cases_cover_every_category_and_rule() -> None:
    results = [classify_stop_reason(case["text"]) for case in CASES]
    seen_categories = {c for result in results for c in result.categories}
    fired = {m.rule for result in results for m in [*result.matched, *result.negated]}
    assert seen_categories == set(CATEGORIES)
    assert {rule.id for rule in RULES if rule.category is not None} <= fired
    assert all(case["source"] for case in CASES)


def test_cases_for_every_open_targets_example_are_present() -> None:
    sources = [case for case in CASES if "Open Targets stop-reason curated" in case["source"]]
    assert len(sources) == 18  # every curated example the Open Targets paper quotes


# --- taxonomy and archetype table -------------------------------------------------------------


def test_taxonomy_is_open_targets_plus_funding_and_biomarker() -> None:
    assert set(CATEGORIES) == OPEN_TARGETS_CLASSES | {"Funding", "Biomarker"}
    assert set(CATEGORY_ARCHETYPE.values()) == set(ARCHETYPES)


@pytest.mark.parametrize(
    ("categories", "archetype"),
    [
        (["Insufficient_Enrollment", "Safety_Sideeffects"], "safety"),
        (["Negative", "Safety_Sideeffects"], "efficacy"),  # MRS.md: efficacy 1.0 > safety 0.8
        (["Biomarker", "Negative"], "efficacy"),
        (["Funding", "Biomarker"], "biomarker"),
        (["Interim_Analysis", "Business_Administrative"], "operational"),
        (["Success"], "operational"),
        (["Endpoint_Met", "Interim_Analysis"], "operational"),
        (["Interim_Analysis"], "unknown"),
        (["No_Context"], "unknown"),
        ([], "unknown"),
    ],
)
def test_archetype_precedence(categories: list[Category], archetype: str) -> None:
    assert archetype_for(categories) == archetype


def test_success_is_never_counted_as_a_failure_archetype() -> None:
    for category in NON_FAILURE_CATEGORIES:
        assert CATEGORY_ARCHETYPE[category] == "operational"
    result = classify_stop_reason("Stopped early for overwhelming efficacy at interim")
    assert result.archetype == "operational"
    assert "Success" in result.categories
    assert "Negative" not in result.categories
    assert result.non_failure


# An early stop because the drug worked, across the ways registries phrase it: the stop word
# (stopped, terminated, halted, early termination, ...), the link (for, due to, because of,
# owing to, ...) and the good news (efficacy, benefit, superiority, positive results, ...).
STOPPED_FOR_BENEFIT = [
    "Stopped early for overwhelming efficacy",
    "Stopped early for overwhelming efficacy at interim",
    "terminated early due to positive efficacy results",
    "stopped early for benefit",
    "Stopped early due to benefit",
    "The trial was terminated early because of clear benefit",
    "Trial stopped early for efficacy",
    "DSMB recommended early termination for efficacy",
    "Early termination due to efficacy",
    "Early stopping for efficacy at the interim analysis",
    "Early stopping for benefit",
    "Terminated early owing to overwhelming evidence of efficacy",
    "Terminated because of early evidence of benefit",
    "Stopped prematurely because efficacy was demonstrated",
    "Study halted early after positive interim results",
    "Terminated early: positive results at interim analysis",
    "The IDMC recommended stopping the trial early for benefit",
    "Stopped early: efficacy boundary crossed at interim",
    "The prespecified efficacy stopping boundary was crossed",
    "Stopped early because of a significant survival benefit",
    "Study stopped early due to positive efficacy findings",
    "early termination for superiority",
    "Discontinued early on the basis of demonstrated superiority",
    "Trial stopped after interim analysis showed a clear benefit",
    "The interim analysis demonstrated efficacy",
    "Study terminated early because efficacy endpoint was achieved",
    "The study was stopped early as the primary endpoint was met",
    "STOPPED EARLY FOR EFFICACY",
    "Trial stopped early (efficacy)",
    "Early termination: efficacy",
    "Clear benefit in the treatment arm led to early termination",
    "Positive interim results led to the early termination of the study",
    "Stopped early for efficacy; no safety concerns",
]


@pytest.mark.parametrize("text", STOPPED_FOR_BENEFIT)
def test_an_early_stop_for_benefit_is_not_a_failure(text: str) -> None:
    result = classify_stop_reason(text)
    assert result.non_failure, result.explanation
    assert set(result.categories) & NON_FAILURE_CATEGORIES
    assert result.archetype == "operational"


# The same words with a failure in them stay failures.
STOPPED_FOR_FAILURE = [
    ("stopped early for lack of benefit", "Negative"),
    ("Stopped early for futility", "Negative"),
    ("terminated early due to lack of efficacy", "Negative"),
    ("stopped early due to no benefit", "Negative"),
    ("Early termination due to insufficient efficacy", "Negative"),
    ("terminated early due to negative efficacy results", "Negative"),
    ("Interim analysis showed no benefit", "Negative"),
    ("The interim analysis did not show a benefit", "Negative"),
    ("Stopped early (futility)", "Negative"),
    ("Benefit was not shown, early termination", "Negative"),
    ("Stopped early for harm", "Safety_Sideeffects"),
    ("Stopped early for efficacy reasons and safety concerns", "Safety_Sideeffects"),
    ("Stopped early for benefit but enrollment was slow", "Insufficient_Enrollment"),
]


@pytest.mark.parametrize(("text", "category"), STOPPED_FOR_FAILURE)
def test_a_failure_next_to_success_words_stays_a_failure(text: str, category: str) -> None:
    result = classify_stop_reason(text)
    assert category in result.categories, result.explanation
    assert not result.non_failure


def test_non_failure_is_in_json_and_human_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", "Stopped early for overwhelming efficacy", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["non_failure"] is True
    assert document["categories"] == ["Success"]
    assert main(["classify", "Stopped early for overwhelming efficacy"]) == 0
    assert capsys.readouterr().out.startswith(
        "archetype: operational (a stop for success: not a failure)\n"
    )
    assert main(["classify", "Slow accrual", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["non_failure"] is False
    assert main(["classify", "Slow accrual"]) == 0
    assert "not a failure" not in capsys.readouterr().out


# --- negation ---------------------------------------------------------------------------------

NEGATED = [
    "not related to safety concerns",
    "Not related to safety",
    "not due to safety concerns",
    "no safety issues",
    "unrelated to efficacy",
    "not because of any safety signal",
    "no safety or efficacy concerns",
    "neither safety nor efficacy concerns led to this decision",
    "Not related to safety, efficacy or quality",
    "The study was not terminated due to safety",
    "The decision was not based on any safety or efficacy concerns.",
    "There were no new safety signals",
    "Termination wasn't due to toxicity",
    "without any safety issue",
    "NOT RELATED TO SAFTEY",
    # "no X concerns": the noun after "efficacy" makes it a denied worry, and the coordination
    # carries the denial to every member.
    "There were no efficacy or safety concerns.",
    "no efficacy issues",
    "No efficacy, safety or tolerability problems",
    "without any efficacy or safety issues",
    # Negation after the noun, in the same clause.
    "Safety concerns were not the reason",
    "Safety was not a factor in this decision",
    "Toxicity played no role in the decision",
    "Adverse events were not the cause of termination",
    "Efficacy was not an issue",
    "Safety and efficacy were not the reasons for stopping",
    "Safety signals were not observed",
    "Safety concerns had nothing to do with it",
    "Safety did not factor into the decision",
]


@pytest.mark.parametrize("text", NEGATED)
def test_negated_concerns_do_not_count(text: str) -> None:
    result = classify_stop_reason(text)
    assert not CONCERNS & set(result.categories)
    assert result.archetype not in {"safety", "efficacy"}
    assert result.negated, "the concern words must be seen and negated, not missed"
    assert all(m.category in CONCERNS and m.negated_by for m in result.negated)


@pytest.mark.parametrize(
    ("text", "present", "absent"),
    [
        # A clause boundary or a new cause ends the scope.
        ("No safety concerns, low enrollment", "Insufficient_Enrollment", "Safety_Sideeffects"),
        ("The study was not completed due to slow accrual", "Insufficient_Enrollment", None),
        ("Not due to safety, but due to lack of efficacy", "Negative", "Safety_Sideeffects"),
        ("no safety issues; efficacy was insufficient", "Negative", "Safety_Sideeffects"),
        # The scope is positional: the same words swap roles with the cue.
        ("Funding issues, not safety", "Funding", "Safety_Sideeffects"),
        ("Safety issues, not funding", "Safety_Sideeffects", "Funding"),
        # "non-" negates the next word only.
        ("non-safety business decision", "Business_Administrative", "Safety_Sideeffects"),
        # Absence words are reasons for operational categories, negations for concerns.
        ("No funding", "Funding", None),
        ("no patients were enrolled", "Insufficient_Enrollment", None),
        # Too far from the cue: the window is five words.
        ("Not enrolled as planned in the first year owing to toxicity", "Safety_Sideeffects", None),
        # Inability phrases are not negations.
        ("It was not possible to recruit enough patients", "Insufficient_Enrollment", None),
        ("No longer a priority for the sponsor", "Business_Administrative", None),
        # A predicate after the noun negates only its own subject, in its own clause.
        ("Enrollment was slow and safety was not an issue", "Insufficient_Enrollment", None),
        ("Grant ended, safety was not a factor", "Funding", "Safety_Sideeffects"),
        ("Funding was not an issue; the PI left", "Study_Staff_Moved", "Funding"),
        ("Safety was not the only reason", "Safety_Sideeffects", None),  # affirms, not denies
        # "Not observed / found" denies only concerns, like absence words before a noun.
        ("Funding could not be found", "Funding", None),
        # "lack of X and Y concerns" lists two reasons; "no X or Y concerns" denies both.
        ("Lack of efficacy or safety concerns", "Negative", None),
        ("Lack of efficacy or safety concerns", "Safety_Sideeffects", None),
    ],
)
def test_negation_scope(text: str, present: str, absent: str | None) -> None:
    categories = categories_of(text)
    assert present in categories
    assert absent is None or absent not in categories


@pytest.mark.parametrize(
    ("text", "negative"),
    [
        # The word after "efficacy" decides: an outcome that was missing is a failure, a worry
        # that was missing is not.
        ("no efficacy", True),
        ("no efficacy observed", True),
        ("no efficacy signal", True),  # an efficacy signal is the hoped-for outcome
        ("no evidence of efficacy", True),
        ("no efficacy concerns", False),
        ("no efficacy issues", False),
        ("no efficacy problems", False),
        ("no efficacy or safety concerns", False),
        ("no efficacy or safety signals", False),
        ("no efficacy data available", False),  # missing data: Insufficient_Data
    ],
)
def test_what_follows_no_efficacy_decides(text: str, negative: bool) -> None:
    assert ("Negative" in categories_of(text)) is negative


@pytest.mark.parametrize(
    ("text", "archetype", "categories"),
    [
        # Bare "efficacy" names no direction: read as efficacy by a low-confidence stance (a
        # stop for benefit says so); a negative context decides by a rule.
        ("Efficacy", "efficacy", ["Negative"]),
        ("Terminated for efficacy", "efficacy", ["Negative"]),
        ("Efficacy; sponsor decision", "operational", ["Business_Administrative"]),
        ("Efficacy concerns", "efficacy", ["Negative"]),
        ("Efficacy was insufficient", "efficacy", ["Negative"]),
        ("efficacy could not be established", "efficacy", ["Negative"]),
        ("The drug was not effective", "efficacy", ["Negative"]),
        # Efficacy that could not be measured is missing data, not a failed drug.
        ("efficacy not evaluated", "operational", ["Insufficient_Data"]),
        ("Efficacy could not be assessed", "operational", ["Insufficient_Data"]),
        ("Unable to evaluate the primary endpoint", "operational", ["Insufficient_Data"]),
        ("Patients not evaluable", "operational", ["Insufficient_Data"]),
        ("Insufficient number of evaluable patients", "operational", ["Insufficient_Data"]),
    ],
)
def test_efficacy_needs_a_negative_context(
    text: str, archetype: str, categories: list[str]
) -> None:
    result = classify_stop_reason(text)
    assert (result.archetype, result.categories) == (archetype, categories)


def test_bare_efficacy_is_read_by_a_stance_not_a_rule() -> None:
    result = classify_stop_reason("Efficacy")
    assert result.matched == [] and result.negated == []
    assert result.decided_by == "efficacy.undirected" and result.confidence < 0.9
    assert "efficacy.undirected" in result.explanation and '"efficacy"' in result.explanation
    assert classify_stop_reason("Efficacy concerns").confidence == 1.0


@pytest.mark.parametrize(
    ("text", "safety"),
    [
        ("Adverse events were mild", False),
        ("mild adverse events", False),
        ("Mild to moderate AEs only", False),
        ("non-serious adverse events", False),
        ("Toxicity was manageable", False),
        ("AEs were not drug related", False),
        ("Deaths were unrelated to study drug", False),
        ("Safety profile was acceptable", False),
        ("Serious adverse events", True),
        ("Severe adverse events were reported", True),
        ("Adverse events were severe", True),
        ("Unexpected serious adverse reactions", True),
        ("Deaths related to study drug", True),
    ],
)
def test_mild_or_unrelated_adverse_events_are_not_a_safety_reason(text: str, safety: bool) -> None:
    assert ("Safety_Sideeffects" in categories_of(text)) is safety


# The reviewer's true positives: they must survive the fixes above, exactly.
TRUE_POSITIVES = [
    ("terminated due to lack of efficacy", "efficacy", ["Negative"]),
    ("futility at interim analysis", "efficacy", ["Negative", "Interim_Analysis"]),
    ("DSMB recommended stopping for futility", "efficacy", ["Negative", "Interim_Analysis"]),
    ("serious adverse events", "safety", ["Safety_Sideeffects"]),
    ("safety concerns", "safety", ["Safety_Sideeffects"]),
    ("unacceptable toxicity", "safety", ["Safety_Sideeffects"]),
    ("no efficacy observed", "efficacy", ["Negative"]),
    ("did not meet primary endpoint", "efficacy", ["Negative"]),
    (ACCEPTANCE, "operational", ["Business_Administrative"]),
]


@pytest.mark.parametrize(("text", "archetype", "categories"), TRUE_POSITIVES)
def test_true_positives_survive(text: str, archetype: str, categories: list[str]) -> None:
    result = classify_stop_reason(text)
    assert (result.archetype, result.categories) == (archetype, categories)


# --- multi-reason, overlap, vague texts -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "categories", "archetype"),
    [
        (
            "slow accrual and sponsor decision",
            ["Insufficient_Enrollment", "Business_Administrative"],
            "operational",
        ),
        ("Lack of efficacy and safety concerns", ["Safety_Sideeffects", "Negative"], "efficacy"),
        (
            "Terminated due to poor recruitment and lack of funding",
            ["Insufficient_Enrollment", "Funding"],
            "operational",
        ),
        ("PI left and funding ended", ["Funding", "Study_Staff_Moved"], "operational"),
        (
            "DSMB recommended stopping for futility",
            ["Negative", "Interim_Analysis"],
            "efficacy",
        ),
        (
            "Insufficient target engagement; enrollment also slow",
            ["Biomarker", "Insufficient_Enrollment"],
            "biomarker",
        ),
    ],
)
def test_multiple_reasons(text: str, categories: list[str], archetype: str) -> None:
    result = classify_stop_reason(text)
    assert (result.categories, result.archetype) == (categories, archetype)
    assert len(result.matched) >= len(categories)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("death of the PI", "Study_Staff_Moved"),  # not a safety death
        ("Data Safety Monitoring Board recommendation", "Interim_Analysis"),  # not safety
        ("Lack of financial resources", "Funding"),  # money, not general resources
    ],
)
def test_longest_match_wins(text: str, category: str) -> None:
    assert categories_of(text) == [category]


@pytest.mark.parametrize(
    "text", ["Sponsor decision", "Per sponsor request", "Sponsor", "Company decision"]
)
def test_vague_sponsor_texts_are_business_not_unknown(text: str) -> None:
    result = classify_stop_reason(text)
    assert (result.archetype, result.categories) == ("operational", ["Business_Administrative"])


def test_funding_is_separate_from_business_decisions() -> None:
    assert categories_of("Grant ended") == ["Funding"]
    assert categories_of("Sponsor withdrew funding") == ["Funding"]
    assert categories_of("Portfolio prioritization") == ["Business_Administrative"]


def test_an_actor_does_not_crowd_out_the_reason() -> None:
    assert categories_of("Sponsor terminated the study due to slow accrual") == [
        "Insufficient_Enrollment"
    ]
    assert categories_of("Sponsor terminated the study") == ["Business_Administrative"]


# --- typos, capitals, placeholders ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("SPONSOR DECISION", "Business_Administrative"),
        ("buisness decision", "Business_Administrative"),
        ("Bussiness reasons", "Business_Administrative"),
        ("lack of enrolment", "Insufficient_Enrollment"),
        ("Low enrolement", "Insufficient_Enrollment"),
        ("recruitement too slow", "Insufficient_Enrollment"),
        ("recrutiment problems", "Insufficient_Enrollment"),  # difflib typo fix
        ("POOR ACCRUAL", "Insufficient_Enrollment"),
        ("saftey concerns", "Safety_Sideeffects"),
        ("Efficasy concerns", "Negative"),
        ("Toxicty", "Safety_Sideeffects"),
        ("  Lack   of\tFUNDING!!  ", "Funding"),
        ("Sponsor’s decision", "Business_Administrative"),
        ("Enrôlement insuffisant", "Insufficient_Enrollment"),
    ],
)
def test_typos_and_capitals(text: str, category: str) -> None:
    assert category in categories_of(text)


def test_real_words_near_key_words_are_not_corrected() -> None:
    assert "Funding" not in categories_of("Safety findings")  # finding ≠ funding
    assert "Negative" not in categories_of("Utility of the device was limited to one site")
    assert categories_of("Sufficient data collected") != ["Insufficient_Data"]


@pytest.mark.parametrize("case", CASES, ids=[case["text"][:50] for case in CASES])
def test_upper_case_gives_the_same_answer(case: dict[str, Any]) -> None:
    assert classify_stop_reason(case["text"].upper()) == classify_stop_reason(case["text"])


@pytest.mark.parametrize(
    "text", [None, "", "   ", "\t\n", "N/A", "n/a", "NA", "none", "-", "None."]
)
def test_placeholders_are_no_context(text: str | None) -> None:
    result = classify_stop_reason(text)
    assert (result.archetype, result.categories, result.matched) == ("unknown", ["No_Context"], [])
    assert result.explanation


def test_a_reason_no_rule_names_is_operational_with_low_confidence() -> None:
    result = classify_stop_reason("Changes to cardiac surgery program")
    assert (result.archetype, result.categories) == ("operational", ["No_Context"])
    assert result.decided_by == "default.stated_reason" and result.confidence < 0.9
    assert "no rule matched" in result.explanation


@pytest.mark.parametrize(
    "text",
    [
        "Temporary on hold.",
        "The study was never started",
        "Study halted prematurely",
        "Other",
        "Recruitment has been suspended and will not resume",
        "Not related to safety",
        "Terminated 2021-03-04",
        # real pool texts: a postponement or a start that did not happen is no reason
        "Study is postponed",
        "cancelled before initiation",
        "Delayed initiation",
        "The study did not begin.",
        # real pool texts: the registry's definition of a status, pasted in
        "Study halted prematurely and will not resume; participants are no longer being examined"
        " or receiving intervention",
        "Intervention never conducted",
        # real pool texts: enrolment as what was stopped, and a date, are no reason
        "Temporarily closed to enrollment",
        "Study was closed to accrual on January 15, 2020.",
        # a pause expected to end, or a decision still pending, gives no reason either
        "Enrolment paused, expected to resume in the autumn",
        "Suspended but will possibly restart",
        "Pending a decision whether the trial will proceed",
        "Closed (suspended) to enrolment",
    ],
)
def test_unknown_only_when_the_text_gives_no_reason(text: str) -> None:
    result = classify_stop_reason(text)
    assert (result.archetype, result.categories, result.decided_by) == (
        "unknown",
        ["No_Context"],
        "no_reason",
    )


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # real pool texts: the negated start is the event, what follows is why
        ("study did not start by logistic reasons", "Logistics_Resources"),
        ("the study never opened for pandemic reasons", "Covid19"),
        ("The study was never started and the PI is retiring.", "Study_Staff_Moved"),
        # "not have" reports an absence: a reason, unless it is a concern ("no safety issues")
        ("The trial did not have funding to continue", "Funding"),
        ("Did not meet target enrollment", "Insufficient_Enrollment"),
        ("We did not have enough eligible patients", "Insufficient_Enrollment"),
    ],
)
def test_a_reason_after_a_negated_start_or_have_is_read(text: str, category: str) -> None:
    result = classify_stop_reason(text)
    assert result.archetype == "operational"
    assert category in result.categories and result.decided_by != "default.stated_reason"


def test_people_withdrawing_is_a_reason_but_a_withdrawn_study_is_not() -> None:
    assert classify_stop_reason("Patients withdrew before the expected end").archetype == (
        "operational"
    )
    assert classify_stop_reason("Study withdrawn, expected to restart").archetype == "unknown"


def test_enrolment_as_a_point_in_time_is_no_reason() -> None:
    for text in (
        "The study was cancelled before enrolling its first participant",
        "Halted prematurely prior to enrollment of first participant",  # real pool text
    ):
        assert classify_stop_reason(text).archetype == "unknown", text
    funded = classify_stop_reason("Withdrawn prior to participant enrollment due to funding status")
    assert funded.categories == ["Funding"]
    # real pool text: a goal of enrolment is not a point in time
    goal = "Terminated prior to enrollment goals due to difficulty with recruiting subjects"
    assert classify_stop_reason(goal).categories == ["Insufficient_Enrollment"]


def test_a_reason_beside_a_stopped_enrolment_is_still_read() -> None:
    slow = classify_stop_reason("Closed to accrual due to slow accrual")
    assert slow.categories == ["Insufficient_Enrollment"]
    stopped = classify_stop_reason("Inclusion of patients was stopped by the sponsor")
    assert stopped.categories == ["Business_Administrative"]


def test_a_bare_project_is_the_study_but_a_development_project_is_a_programme() -> None:
    assert classify_stop_reason("The project was terminated.").archetype == "unknown"
    assert classify_stop_reason("Abandonment of the research project").archetype == "unknown"
    programme = classify_stop_reason("The development project was discontinued")
    assert programme.categories == ["Business_Administrative"]
    assert classify_stop_reason("Program terminated").categories == ["Business_Administrative"]


@pytest.mark.parametrize(
    "text",
    [
        "It was not possible to reach the target sample size",
        "The trial failed to meet its target enrollment",
        "Unable to reach the target number of participants",
    ],
)
def test_an_enrolment_target_missed_is_not_an_efficacy_target(text: str) -> None:
    assert classify_stop_reason(text).categories == ["Insufficient_Enrollment"]


@pytest.mark.parametrize(
    "text",
    [
        "Target sample size reached",
        "We reached the planned sample size",
        "Completed accrual of the first cohort",
        "The trial met its accrual goals",
        "Full enrolment",
        "The recruitment period has ended",
        "We are done",
    ],
)
def test_an_enrolment_target_reached_is_no_reason_to_stop_early(text: str) -> None:
    result = classify_stop_reason(text)
    assert (result.archetype, result.categories) == ("unknown", ["Invalid_Reason"])


def test_an_enrolment_target_not_reached_or_as_a_point_in_time_is_not_a_completion() -> None:
    for text in (
        "Unable to complete enrolment",
        "The trial did not reach full accrual",
        "Stopped before full enrolment because a better device came out",
        "No participant met the enrolment criteria",
    ):
        assert classify_stop_reason(text).archetype == "operational", text


@pytest.mark.parametrize(
    "text",
    [
        "The objective response rate failed to reach the prespecified level",
        "Efficacy did not exceed placebo",
        "Results favoured the placebo group",
        "Inferior outcomes in the experimental arm",
        "Stopped for absence of statistically meaningful benefit",
        "Inability to achieve primary or secondary study objectives",  # real pool text
        # evidence against the treatment, here or from elsewhere
        "Growing evidence against the vaccine",
        "Recent results not in favour of the combination",
        "Two meta-analyses questioned the efficacy of the procedure",
        "Its clinical benefit remains doubtful",
        "The pilot did not provide convincing evidence of a treatment effect",
        "The chance of a durable response with this regimen was small",
        "Uneffective",
        "The device proved non-effective",
        "Uneffectiveness of the regimen",
    ],
)
def test_outcome_data_against_the_drug_are_efficacy(text: str) -> None:
    result = classify_stop_reason(text)
    assert (result.archetype, result.categories) == ("efficacy", ["Negative"])


def test_a_low_chance_of_benefit_outranks_a_harm_beside_it() -> None:
    text = "Stopped for adverse events and as the probability of success was judged to be low"
    result = classify_stop_reason(text)
    assert result.archetype == "efficacy"
    assert result.categories == ["Safety_Sideeffects", "Negative"]


def test_a_denied_doubt_about_efficacy_is_no_reason() -> None:
    result = classify_stop_reason("No doubt about the benefit; stopped as the grant ended")
    assert result.categories == ["Funding"]


def test_a_negation_between_good_news_and_the_effect_is_a_failure() -> None:
    result = classify_stop_reason("The analysis demonstrated no benefit over placebo")
    assert (result.archetype, result.categories) == ("efficacy", ["Negative"])
    assert not result.non_failure
    assert classify_stop_reason("The analysis demonstrated clear benefit").non_failure


def test_benefit_risk_is_one_compound_read_from_either_side() -> None:
    # real pool text: a denied benefit-risk impact is not "no benefit"
    denied = classify_stop_reason(
        "Decision to discontinue the study based on broader development and strategic"
        " prioritisation. The Sponsor concludes there is no benefit-risk impact on the study."
    )
    assert denied.archetype == "operational"
    assert "Negative" not in denied.categories
    balance = classify_stop_reason("The benefits of the drug no longer outweigh its risks")
    assert balance.archetype == "safety"


def test_an_efficacy_criterion_met_is_success_and_in_favour_of_a_protocol_is_not_control() -> None:
    met = classify_stop_reason("The prespecified criteria for superiority were met")
    assert met.archetype == "operational" and met.non_failure
    moved = classify_stop_reason("Study closed in favour of a new protocol")
    assert moved.categories == ["Another_Study"]


def test_staff_safety_is_not_the_drugs_safety() -> None:
    text = "Visits stopped during the pandemic to protect patient and staff safety"
    assert classify_stop_reason(text).categories == ["Covid19"]
    staff = classify_stop_reason("The safety of our research staff could not be ensured")
    assert staff.archetype == "operational"
    assert classify_stop_reason("Patient safety concerns").archetype == "safety"


@pytest.mark.parametrize(
    "text",
    [
        # real pool texts: the pandemic named as a cause, safety in general words only
        "Study withdrawn due to logistical and safety concerns relating to Covid-19.",
        "COVID-19 pandemic makes it unsafe for older adults to participate in the study",
        "In light of the evolving Covid19 pandemic ongoing study recruitment was felt to pose an"
        " unacceptable risk to patient safety.",
    ],
)
def test_safety_in_general_words_beside_the_pandemic_is_the_pandemics_risk(text: str) -> None:
    result = classify_stop_reason(text)
    assert result.archetype == "operational" and "Covid19" in result.categories
    assert "the pandemic's risk" in result.explanation


def test_a_regulators_hold_is_safety_unless_it_is_the_pandemics() -> None:
    for text in ("EMA hold", "Put on hold by the FDA", "The FDA put the study on partial hold"):
        result = classify_stop_reason(text)
        assert result.archetype == "safety", text
        assert result.decided_by == "safety.regulator_hold" and "Regulatory" in result.categories
    for text in ("FDA hold due to the pandemic", "Regulatory hold of all research during COVID-19"):
        assert classify_stop_reason(text).archetype == "operational", text
    assert classify_stop_reason("The FDA did not put a hold; funding ended").archetype == (
        "operational"
    )


def test_a_named_harm_beside_the_pandemic_stays_safety() -> None:
    text = "Stopped during the COVID-19 pandemic after serious adverse events and safety concerns"
    assert classify_stop_reason(text).archetype == "safety"
    assert classify_stop_reason("Increased risk to participants").archetype == "safety"


def test_mortality_the_treatment_is_to_lower_is_an_outcome_not_a_death() -> None:
    # real pool text
    text = "due to significant decrease of perinatal mortality in the cerclage group"
    assert classify_stop_reason(text).archetype == "operational"
    assert classify_stop_reason("Increased mortality in the treatment arm").archetype == "safety"


def test_safety_watched_after_a_stop_is_no_safety_reason() -> None:
    text = "Enrollment ended early because of slow accrual; patients will be followed for safety"
    assert classify_stop_reason(text).categories == ["Insufficient_Enrollment"]
    # real pool text: the product's safety watched elsewhere
    moved = classify_stop_reason(
        "The study will be stopped. The vaccine's safety continues to be monitored through"
        " other studies and through established safety reporting platforms across Europe."
    )
    assert moved.categories == ["Another_Study"]
    kept = "Due to an SAE, dosing is suspended; patients will be monitored for safety"
    assert classify_stop_reason(kept).archetype == "safety"


@pytest.mark.parametrize(
    ("text", "categories"),
    [
        ("Its aim, to evaluate the long-term safety of the drug, was met elsewhere", []),
        ("No more data are needed to demonstrate the safety of the device", []),
        ("Sponsor chose another study to investigate safety and efficacy", ["Another_Study"]),
    ],
)
def test_safety_as_an_objective_to_study_is_no_harm(text: str, categories: list[str]) -> None:
    result = classify_stop_reason(text)
    assert "Safety_Sideeffects" not in result.categories
    assert set(categories) <= set(result.categories)


def test_a_comma_list_of_denied_concerns_is_denied() -> None:
    result = classify_stop_reason("Slow accrual. No scientific, safety issues.")
    assert (result.archetype, result.categories) == ("operational", ["Insufficient_Enrollment"])
    assert [m.category for m in result.negated] == ["Safety_Sideeffects"]
    kept = classify_stop_reason("No safety issues, toxicity in two patients")
    assert kept.archetype == "safety"


@pytest.mark.parametrize(
    "text",
    [
        "Enrollment paused: a quality issue was found in one lot of the implant",
        "The vaccine batch was out of specification",
        "The devices did not meet the approved specifications",
    ],
)
def test_a_quality_defect_of_the_product_is_safety(text: str) -> None:
    assert classify_stop_reason(text).archetype == "safety"


def test_data_quality_and_a_denied_quality_issue_are_not_safety() -> None:
    assert classify_stop_reason("Data quality issues").categories == ["Insufficient_Data"]
    denied = classify_stop_reason(
        "Business decision. Not due to any patient safety, patient welfare, or quality issues."
    )
    assert denied.archetype == "operational"
    assert {m.category for m in denied.negated} == {"Safety_Sideeffects"}
    verb = "The study did not enroll enough patients and two patients had serious adverse events"
    assert classify_stop_reason(verb).archetype == "safety"


def test_a_shift_of_effort_elsewhere_is_a_business_reason() -> None:
    text = "Part 1 was completed; Part 2 was cancelled to focus on another indication"
    result = classify_stop_reason(text)
    assert result.archetype == "operational" and "Business_Administrative" in result.categories


def test_not_have_still_denies_a_concern_and_implementation_issues_are_a_reason() -> None:
    denied = classify_stop_reason("The study did not have any safety issues")
    assert denied.archetype == "unknown" and denied.negated[0].category == "Safety_Sideeffects"
    assert classify_stop_reason("Study was not stopped for safety reasons").archetype == "unknown"
    assert classify_stop_reason("implementation issues").archetype == "operational"


@pytest.mark.parametrize(
    ("text", "archetype"),
    [
        ("Terminated after the interim analysis", "efficacy"),
        ("Study was stopped on the recommendation of the DSMB", "efficacy"),
        ("The sponsor closed the study after Data Monitoring Committee (DMC) guidance", "efficacy"),
        ("Ended on the opinion of the IDMC", "efficacy"),
        ("Enrollment on hold pending the interim analysis", "operational"),
        ("Scheduled interim monitoring", "operational"),
    ],
)
def test_an_undirected_interim_stop_is_efficacy_but_a_pause_is_not(
    text: str, archetype: str
) -> None:
    result = classify_stop_reason(text)
    assert result.archetype == archetype
    assert "Interim_Analysis" in result.categories
    stance = "interim.undirected_stop" if archetype == "efficacy" else "interim.pause"
    assert result.decided_by == stance and result.confidence < 0.9


# --- output model and interface ---------------------------------------------------------------


def test_output_names_rule_and_words() -> None:
    result = classify_stop_reason("Slow accrual and drug supply issues")
    dumped = result.model_dump(mode="json")
    assert {"archetype", "categories", "explanation"} <= dumped.keys()
    assert result.categories == ["Insufficient_Enrollment", "Logistics_Resources"]
    assert [(m.rule, m.text) for m in result.matched] == [
        ("enrollment.poor", "slow accrual"),
        ("logistics.supply", "drug supply"),
    ]
    for match in result.matched:
        assert match.rule in result.explanation and match.text in result.explanation


class _FakeLlmClassifier:
    """Stands in for a future LLM classifier: it only picks categories."""

    def classify(self, text: str | None) -> StopClassification:
        categories: list[Category] = ["Funding", "Negative"]
        return StopClassification(
            archetype=archetype_for(categories), categories=categories, explanation="model said so"
        )


@pytest.mark.parametrize("classifier", [RuleClassifier(), _FakeLlmClassifier()])
def test_classifiers_share_one_protocol(classifier: StopReasonClassifier) -> None:
    result = classifier.classify("Lack of efficacy; grant ended")
    assert result.archetype == "efficacy"
    assert set(result.categories) == {"Funding", "Negative"}


def test_rules_are_injectable() -> None:
    without_safety = RuleClassifier(
        [rule for rule in RULES if rule.category != "Safety_Sideeffects"]
    )
    assert without_safety.classify("Unacceptable toxicity").categories == ["No_Context"]
    assert RuleClassifier().classify("Unacceptable toxicity").categories == ["Safety_Sideeffects"]


# --- properties -------------------------------------------------------------------------------

_VOCABULARY = [
    "safety", "efficacy", "not", "no", "non", "related", "to", "due", "sponsor", "decision",
    "slow", "accrual", "lack", "of", "funding", "futility", "and", "or", "but", ",", ";", ".",
    "interim", "analysis", "PI", "left", "covid-19", "toxicity", "endpoint", "met", "the",
    "study", "was", "terminated", "business", "target", "engagement", "grant", "ended", "DSMB",
]  # fmt: skip
# Words near the guarded rules and the negation after a noun.
_GUARD_WORDS = [
    "adverse", "events", "AEs", "were", "mild", "drug", "related", "deaths", "unrelated",
    "response", "rate", "benefit", "insufficient", "could", "be", "assessed", "evaluated",
    "reason", "a", "factor", "played", "role", "nothing", "with", "concerns", "issues",
    "data", "monitoring", "committee", "dose", "limiting", "DLT", "observed", "signal",
]  # fmt: skip


def _check_valid(result: StopClassification) -> None:
    assert result.archetype in ARCHETYPES
    assert result.categories, "never empty: No_Context when nothing matched"
    assert len(set(result.categories)) == len(result.categories)
    assert result.categories == sorted(result.categories, key=CATEGORIES.index)
    if result.decided_by in STANCES:  # a stance decides only where the categories give no direction
        # a decision beside an interim look gives no direction of its own
        undirected = [c for c in result.categories if c != "Business_Administrative"]
        assert archetype_for(undirected) in {"unknown", result.archetype}
        assert result.confidence < 1.0
    else:
        assert result.archetype == archetype_for(result.categories)
    assert result.explanation and "\n" not in result.explanation


@given(st.one_of(st.none(), st.text(max_size=400)))
def test_any_text_gives_a_valid_answer(text: str | None) -> None:
    _check_valid(classify_stop_reason(text))


@given(st.lists(st.sampled_from(_VOCABULARY), min_size=1, max_size=14).map(" ".join))
def test_phrases_give_valid_case_insensitive_answers(text: str) -> None:
    result = classify_stop_reason(text)
    _check_valid(result)
    assert classify_stop_reason(text.upper()) == result
    assert classify_stop_reason(text.lower()) == result


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=200))
def test_ascii_text_is_case_insensitive(text: str) -> None:
    assert classify_stop_reason(text.upper()) == classify_stop_reason(text.lower())


_UNGUARDED = RuleClassifier([dataclasses.replace(rule, guard=()) for rule in RULES])


@pytest.mark.parametrize("case", CASES, ids=[case["text"][:50] for case in CASES])
def test_speed_guards_never_change_an_answer(case: dict[str, Any]) -> None:
    assert any(rule.guard for rule in RULES)
    assert _UNGUARDED.classify(case["text"]) == classify_stop_reason(case["text"])


def test_speed_guards_never_change_an_answer_on_real_texts() -> None:
    """The 800 real texts of the development set, read with and without the guards."""
    path = Path(__file__).parent / "data" / "stop-reasons" / "sample.jsonl"
    texts = [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(texts) == 800
    changed = [t for t in texts if _UNGUARDED.classify(t) != classify_stop_reason(t)]
    assert changed == []


@given(st.lists(st.sampled_from(_VOCABULARY + _GUARD_WORDS), min_size=1, max_size=14).map(" ".join))
def test_speed_guards_never_change_an_answer_on_phrases(text: str) -> None:
    assert _UNGUARDED.classify(text) == classify_stop_reason(text)


def test_fast_on_many_texts_and_on_a_pathological_one() -> None:
    texts = [case["text"] for case in CASES] * 10
    started = time.perf_counter()
    for text in texts:
        classify_stop_reason(text)
    assert time.perf_counter() - started < 2.0, "expected well over 1,000 texts/second"
    long_text = " ".join(["not no safety lack of efficacy , or slow accrual due to"] * 500)
    started = time.perf_counter()
    _check_valid(classify_stop_reason(long_text))
    assert time.perf_counter() - started < 2.0


# --- CLI --------------------------------------------------------------------------------------


def test_cli_single_text_explains_its_decision(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", "Slow accrual, not related to safety"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:4] == [
        "archetype: operational",
        "categories: Insufficient_Enrollment",
        "confidence: 1.00",
        "decided by: enrollment.poor",
    ]
    assert 'matched: Insufficient_Enrollment by enrollment.poor: "slow accrual"' in lines
    assert 'set aside: Safety_Sideeffects by safety.word: "safety" (negated by "not")' in lines
    assert main(["classify", "Terminated after the interim analysis"]) == 0
    out = capsys.readouterr().out
    assert "confidence: 0.60 (a stance decided: an editor should confirm)" in out
    assert "decided by: interim.undirected_stop" in out


def test_cli_file_human_output_is_one_line_a_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "reasons.txt"
    path.write_text("Slow accrual\nPlaced on hold\n", encoding="utf-8")
    assert main(["classify", "--file", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(
        "operational [Insufficient_Enrollment] (confidence 1.00, enrollment.poor)"
    )
    assert lines[1].startswith("unknown [No_Context] (confidence 1.00, no_reason)")
    assert len(lines) == 2


def test_cli_file_json_lines_keep_order_and_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "reasons.txt"
    path.write_bytes(
        b"Slow accrual\r\n\nSAFTEY CONCERNS\n\xff\xfe toxicity\nDecision by Sponsor.\n   \n"
        b"no safety issues, sponsor decision"
    )
    assert main(["classify", "--file", str(path), "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(row["archetype"], row["categories"]) for row in rows] == [
        ("operational", ["Insufficient_Enrollment"]),
        ("unknown", ["No_Context"]),
        ("safety", ["Safety_Sideeffects"]),
        ("safety", ["Safety_Sideeffects"]),
        ("operational", ["Business_Administrative"]),
        ("unknown", ["No_Context"]),
        ("operational", ["Business_Administrative"]),
    ]
    assert all({"archetype", "categories", "explanation"} <= row.keys() for row in rows)


def test_cli_file_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(b"Grant ended\n\nFutility\n"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["classify", "--file", "-", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [row["categories"] for row in rows] == [["Funding"], ["No_Context"], ["Negative"]]


def test_cli_file_human_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "reasons.txt"
    path.write_text("Futility\n\nCOVID-19\n", encoding="utf-8")
    assert main(["classify", "--file", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["efficacy", "unknown", "operational"]


@pytest.mark.parametrize(
    "argv",
    [["classify"], ["classify", "Slow accrual", "--file", "reasons.txt"], ["classify", "--json"]],
)
def test_cli_text_xor_file(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("drafter: ") and captured.err.count("\n") == 1


def test_cli_unreadable_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["classify", "--file", str(tmp_path / "missing.txt"), "--json"]) == 2
    assert "cannot read" in capsys.readouterr().err
    assert main(["classify", "--file", str(tmp_path), "--json"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_stance_is_named_in_the_archetype_fact_of_a_draft() -> None:
    from drafter.assessment import _archetype_derivation

    stance = _archetype_derivation("rules", classify_stop_reason("Stopped after interim analysis"))
    assert "interim.undirected_stop" in stance and "editor should confirm" in stance
    rule = _archetype_derivation("rules", classify_stop_reason("Slow accrual"))
    assert "stance" not in rule


def test_cli_file_that_is_binary_is_refused_not_classified(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A binary file's lines were classified: random bytes read as 'operational: the text
    states a reason'. A NUL byte is in no text: the file is refused, naming the line, and
    the lines before it are not answered (no partial output with exit 2)."""
    path = tmp_path / "model.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    assert main(["classify", "--file", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"drafter: {path} line 3 holds NUL bytes: not a text file\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"Futility\x00\n")))
    assert main(["classify", "--file", "-"]) == 2
    assert capsys.readouterr().err == "drafter: stdin line 1 holds NUL bytes: not a text file\n"


def test_cli_file_with_a_bad_line_late_prints_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "reasons.txt"
    path.write_text("Slow accrual\nFutility\n" + "x" * 70_000 + "\n", encoding="utf-8")
    assert main(["classify", "--file", str(path), "--json"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"drafter: {path} line 3 is longer than 65,536 characters\n"


def test_an_adjective_before_a_concern_noun_is_that_nouns() -> None:
    # real pool text: "limited" was read with "enrollment and" as poor enrolment
    text = "Protracted enrollment and limited efficacy in the first three subjects"
    assert classify_stop_reason(text).archetype == "efficacy"
    assert classify_stop_reason("Enrollment was limited").categories == ["Insufficient_Enrollment"]
    assert classify_stop_reason("Enrollment was slow").archetype == "operational"
