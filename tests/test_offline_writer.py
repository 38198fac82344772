"""The offline writer on the reference trial: fact-first prose, deterministic, every citation a
handle of the section, analytic sections as digests plus EDITOR notes, and no failure story for
a business-decision stop."""

from __future__ import annotations

import re

import pytest

from drafter.bundle import Bundle
from drafter.framing import failure_words
from drafter.section_models import HeadlineText, SectionText
from drafter.sections import handles, model_sections, section, select_facts
from drafter.writers.base import WriteRequest, WriteResult
from drafter.writers.offline import OfflineWriter


def write(key: str, bundle: Bundle) -> tuple[WriteResult, dict[str, object]]:
    spec = section(key)
    handled = handles(select_facts(spec, bundle))
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
    return OfflineWriter().write(request), dict(handled)


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
