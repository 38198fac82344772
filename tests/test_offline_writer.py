"""The offline writer on the reference trial: fact-first prose, deterministic, every citation a
handle of the section, analytic sections as digests plus EDITOR notes, and no failure story for
a business-decision stop."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from drafter.bundle import Bundle
from drafter.facts import Fact
from drafter.framing import failure_evidence, failure_words, framing_of
from drafter.section_models import HeadlineText, SectionText
from drafter.sections import handles, model_sections, section, select_facts
from drafter.validate import MAX_PARAGRAPH_CHARS, MAX_PARAGRAPHS, problems_of
from drafter.writers.base import WriteRequest, WriteResult
from drafter.writers.offline import OfflineWriter


def write(key: str, bundle: Bundle) -> tuple[WriteResult, dict[str, object]]:
    result, handled = write_facts(key, select_facts(section(key), bundle))
    return result, dict(handled)


def write_facts(key: str, facts: list[Fact]) -> tuple[WriteResult, dict[str, Fact]]:
    """The offline writer's answer for one section given these facts, and their handles."""
    spec = section(key)
    handled = handles(facts)
    assert spec.output is not None
    request = WriteRequest(
        section=key,
        heading=spec.heading,
        messages=[],
        output=spec.output,
        facts=handled,
        analytic=spec.analytic,
        attempt=1,
    )
    return OfflineWriter().write(request), handled


def test_the_headline_and_dek_state_the_record_and_call_nothing_a_failure(
    reference_bundle: Bundle,
) -> None:
    result, handled = write("headline", reference_bundle)
    assert isinstance(result.output, HeadlineText)
    headline, dek = result.output.headline, result.output.dek
    assert (
        headline
        == "Daxdilimab in Discoid Lupus Erythematosus: Phase 2 trial NCT05591222 terminated"
    )
    assert "72 participants (actual)" in dek and "Amgen" in dek
    assert "“Sponsor business decision, not related to safety concerns.”" in dek
    assert "33/100" in dek and "not a probability of approval" in dek
    assert failure_words(headline + " " + dek) == []
    assert set(result.output.cites) <= set(handled)


def test_what_was_tried_is_fact_first(reference_bundle: Bundle) -> None:
    result, handled = write("what_was_tried", reference_bundle)
    assert isinstance(result.output, SectionText)
    text = " ".join(p.text for p in result.output.paragraphs)
    for expected in (
        "Phase 2 randomized, double-blind, parallel-group treatment study",
        "CHEMBL4594330",
        "LILRA4 (ENSG00000239961)",
        "enrolled 72 participants (actual)",
        "started on 12 October 2022",
        "Primary completion was on 8 May 2025",
        "No results have been posted",
    ):
        assert expected in text, expected
    for paragraph in result.output.paragraphs:
        assert paragraph.kind == "fact" and paragraph.grade == "documented"
        assert paragraph.cites and set(paragraph.cites) <= set(handled)


@pytest.mark.parametrize("spec", [s for s in model_sections() if s.analytic], ids=lambda s: s.key)
def test_analytic_sections_are_digests_with_an_editor_note(
    spec: object, reference_bundle: Bundle
) -> None:
    result, handled = write(spec.key, reference_bundle)  # type: ignore[attr-defined]
    assert isinstance(result.output, SectionText)
    *body, note = result.output.paragraphs
    assert note.kind == "editor" and note.text.startswith("EDITOR: write ") and not note.cites
    assert body and all(p.kind == "fact" and set(p.cites) <= set(handled) for p in body)
    if spec.key == "similar_programs":  # it is about other programs' documented failures
        return
    told = " ".join(p.text for p in body if p.grade in ("documented", "inferred"))
    assert not re.search(r"\b(failed|fails|mechanism of failure|failed because)\b", told)


def test_conflicting_reports_are_told_without_settling_them(reference_bundle: Bundle) -> None:
    result, _ = write("what_actually_happened", reference_bundle)
    assert isinstance(result.output, SectionText)
    conflicts = [p.text for p in result.output.paragraphs if p.text.startswith("Conflicting")]
    outcome = next(t for t in conflicts if "outcome" in t)
    assert "met primary endpoint" in outcome and "Sponsor business decision" in outcome
    assert outcome.endswith("The record settles neither.")


def test_the_offline_writer_is_deterministic(reference_bundle: Bundle) -> None:
    for spec in model_sections():
        first, _ = write(spec.key, reference_bundle)
        again, _ = write(spec.key, reference_bundle)
        assert first.raw == again.raw


# --- beyond the reference trial ------------------------------------------------------------------


def test_a_completed_trial_whose_reported_outcome_is_a_failure_is_framed_as_one(
    bundle_of: Callable[[str], Bundle],
) -> None:
    # NCT02547922 completed; a curated literature report says its primary endpoint was not met
    bundle = bundle_of("NCT02547922")
    evidence = failure_evidence(bundle)
    assert framing_of(bundle) == "failure"
    assert any("reads as efficacy" in e for e in evidence), evidence


def test_a_met_endpoint_reported_in_the_press_is_no_failure(reference_bundle: Bundle) -> None:
    assert failure_evidence(reference_bundle) == []


@pytest.mark.parametrize(
    ("nct", "headline", "dek_opening"),
    [
        # no status, drug or sponsor on record: no "stopped", no invented "The drug"
        ("NCT05704738", "Phase 3 trial NCT05704738", "NCT05704738 is a Phase 3 trial."),
        (
            "NCT04895241",
            "Systemic Lupus Erythematosus: Phase 3 trial NCT04895241",
            "NCT04895241 is a Phase 3 trial in Systemic Lupus Erythematosus.",
        ),
        # an estimated enrollment of a trial not yet recruiting is a plan, in the present
        (
            "NCT06171568",
            "Tests and questionnaires in Brain Injuries: trial NCT06171568 not yet recruiting",
            "Assistance Publique - Hôpitaux de Paris runs NCT06171568, a trial of Tests and "
            "questionnaires in Brain Injuries that plans to enroll 400 participants (estimated).",
        ),
        # terminated without a stated reason
        (
            "NCT05540665",
            "Daxdilimab in Lupus Nephritis: Phase 2 trial NCT05540665 terminated",
            "Amgen ran NCT05540665, a Phase 2 trial of Daxdilimab in Lupus Nephritis that enrolled "
            "19 participants (actual). The registry lists it as terminated. The record states no "
            "reason for stopping.",
        ),
    ],
)
def test_headline_and_dek_say_only_what_the_record_holds(
    bundle_of: Callable[[str], Bundle], nct: str, headline: str, dek_opening: str
) -> None:
    result, _ = write("headline", bundle_of(nct))
    output = result.output
    assert isinstance(output, HeadlineText)
    assert output.headline == headline
    assert output.dek.startswith(dek_opening), output.dek
    assert "stopped" not in output.headline and "The drug" not in output.dek


def test_record_history_is_told_as_an_update_not_a_dispute(reference_bundle: Bundle) -> None:
    result, _ = write("what_actually_happened", reference_bundle)
    assert isinstance(result.output, SectionText)
    texts = [p.text for p in result.output.paragraphs]
    assert any(t.startswith("The record was updated on enrollment:") for t in texts)
    assert not any(t.startswith("Conflicting evidence on enrollment") for t in texts)
    assert any(t.startswith("Conflicting evidence on outcome") for t in texts)


def test_list_elements_are_told_once_under_their_label(reference_bundle: Bundle) -> None:
    result, _ = write("biological_hypothesis", reference_bundle)
    assert isinstance(result.output, SectionText)
    digest = " ".join(p.text for p in result.output.paragraphs)
    assert "Aliases: “ILT7”, “ILT-7”, “CD85g”" in digest
    assert digest.count("Aliases:") == 1


def test_open_questions_are_questions_tied_to_their_facts(reference_bundle: Bundle) -> None:
    result, handled = write("open_questions", reference_bundle)
    assert isinstance(result.output, SectionText)
    asked = [p for p in result.output.paragraphs if p.text.endswith("?")]
    assert len(asked) == 4
    assert all(p.kind == "fact" and p.cites for p in asked)
    outcome = next(p for p in asked if "account of the outcome" in p.text)
    cited = {handled[c].id for c in outcome.cites}  # type: ignore[attr-defined]
    assert cited == {
        "ctgov:NCT05591222:why_stopped",
        "reference:NCT05591222:outcome_reported_in_press",
    }


@pytest.mark.parametrize("copies", [0, 1, 12, 40])
def test_many_claims_on_file_stay_within_the_sections_bounds(
    copies: int, reference_bundle: Bundle
) -> None:
    """A pair with forty claims on file (a batch over one program's trials) once gave forty
    paragraphs: validation refused them three times and the section lost its editor's note.
    What does not fit beside the note is left out, and the note says so."""
    spec = section("similar_programs")
    facts = select_facts(spec, reference_bundle)
    claim_facts = [f for f in facts if f.id.startswith("claims:")]
    assert claim_facts, "the reference pair has claims on file"
    # the same claims again under other entity keys, as further trials of the program would be
    copied = [
        f.model_copy(update={"id": f.id.replace("claims:", f"claims:copy{n}-", 1)})
        for n in range(copies)
        for f in claim_facts
    ]
    bundle = reference_bundle.model_copy(update={"facts": [*reference_bundle.facts, *copied]})
    result, handled = write_facts(spec.key, facts + copied)
    output = result.output
    assert isinstance(output, SectionText)
    assert problems_of(output, handled, analytic=True, framing=framing_of(bundle)) == []
    *body, note = output.paragraphs
    assert note.kind == "editor" and note.text.startswith("EDITOR: write ")
    claims = [p for p in body if p.text.startswith("Claim on file: ")]
    entities = {f.id.split(":")[1] for f in facts + copied if f.id.startswith("claims:")}
    # a paragraph each, citing that claim's facts alone, as many as fit beside the note
    assert len(claims) == min(len(entities), MAX_PARAGRAPHS - 1)
    assert all(len({handled[c].id.split(":")[1] for c in p.cites}) == 1 for p in claims)
    said = "Not every claim and fact on file is told above" in note.text
    assert said == (copies > 0)  # the reference pair alone fits
    assert len(body) == MAX_PARAGRAPHS - 1 if said else len(body) < MAX_PARAGRAPHS - 1


def test_long_values_split_the_digest_within_the_paragraph_bound(
    reference_bundle: Bundle,
) -> None:
    """Twelve labels to a digest paragraph fit the usual values; long ones (a claim's drug
    name may be 500 characters) once made a paragraph of 5,000 that validation refused."""
    spec = section("biological_hypothesis")
    facts = select_facts(spec, reference_bundle)
    texts = [f for f in facts if f.kind == "text" and not f.id.startswith("claims:")]
    assert len(texts) >= 5
    long = {f.id: f.model_copy(update={"value": f"{f.value} " + "word " * 80}) for f in texts}
    lengthened = [long.get(f.id, f) for f in facts]
    result, handled = write_facts(spec.key, lengthened)
    output = result.output
    assert isinstance(output, SectionText)
    digest = [p for p in output.paragraphs if p.text.startswith("On file: ")]
    assert len(digest) >= 2
    assert all(len(p.text) <= MAX_PARAGRAPH_CHARS for p in output.paragraphs)
    bundle = reference_bundle.model_copy(update={"facts": lengthened})
    assert problems_of(output, handled, analytic=True, framing=framing_of(bundle)) == []
