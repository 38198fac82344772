"""drafter verify's checks: every anchor type and every status, on the offline drafts of real
bundled trials and on one-paragraph edits of them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from drafter.bundle import Bundle
from drafter.draft import draft_trial
from drafter.draft_model import Draft
from drafter.facts import Fact
from drafter.names import NameFinder, build_groups, loose_name, normal_name
from drafter.quotes import find_quotations, quote_match
from drafter.verify import ParagraphInput, Verifier, paragraphs_of_draft, verify_draft
from drafter.verify_model import CheckedAnchor
from drafter.writers.offline import OfflineWriter

# Trials of the bundled snapshot with different shapes: the reference trial (MRS, conflicts,
# curated facts), a trial with a number in its drug's name (Montanide ISA 51), a withdrawn one.
TRIALS = ["NCT05591222", "NCT00184067", "NCT00973089", "NCT05540665", "NCT06171568"]


@pytest.fixture(scope="session")
def drafted(bundle_of: Callable[[str], Bundle]) -> Callable[[str], tuple[Draft, Bundle]]:
    made: dict[str, tuple[Draft, Bundle]] = {}

    def make(nct_id: str) -> tuple[Draft, Bundle]:
        if nct_id not in made:
            bundle = bundle_of(nct_id)
            made[nct_id] = (draft_trial(bundle, OfflineWriter()), bundle)
        return made[nct_id]

    return make


@pytest.fixture(scope="session")
def reference(drafted: Callable[[str], tuple[Draft, Bundle]]) -> tuple[Draft, Bundle, Verifier]:
    draft, bundle = drafted("NCT05591222")
    return draft, bundle, Verifier([*bundle.facts, *draft.facts], bundle.sources)


def edited(
    reference: tuple[Draft, Bundle, Verifier], section: str, index: int, old: str, new: str
) -> list[CheckedAnchor]:
    """The anchors of one paragraph of the reference draft after replacing `old` by `new`."""
    draft, _, verifier = reference
    paragraph = next(
        p for p in paragraphs_of_draft(draft) if p.section == section and p.index == index
    )
    assert old in paragraph.text, f"{old!r} is not in {section}[{index}]"
    changed = ParagraphInput(
        paragraph.section,
        paragraph.heading,
        paragraph.index,
        paragraph.text.replace(old, new, 1),
        paragraph.cites,
        paragraph.kind,
    )
    return verifier.check(changed).anchors


def flagged(anchors: list[CheckedAnchor]) -> list[tuple[str, str, str, str | None]]:
    return [(a.kind, a.text, a.status, a.fact_id) for a in anchors if a.status != "verified"]


# --- clean drafts ----------------------------------------------------------------------------


@pytest.mark.parametrize("nct_id", TRIALS)
def test_every_anchor_of_a_clean_offline_draft_is_verified_by_a_cited_fact(
    nct_id: str, drafted: Callable[[str], tuple[Draft, Bundle]]
) -> None:
    draft, bundle = drafted(nct_id)
    report = verify_draft(draft, bundle)
    assert report.counts.anchors > 10
    assert [(p.section, a.text, a.status, a.reason) for p, a in report.failing()] == []
    assert report.counts.anchor_coverage >= 0.95
    assert report.counts.citation_recall >= 0.95
    assert not report.failed


def test_the_reference_report_counts_every_kind_and_names_sources(
    reference: tuple[Draft, Bundle, Verifier],
) -> None:
    draft, bundle, _ = reference
    report = verify_draft(draft, bundle)
    assert set(report.counts.by_kind) >= {"number", "date", "phase", "id", "quote", "name"}
    enrollment = report.facts["ctgov:NCT05591222:enrollment"]
    assert enrollment.value == "72 participants" and enrollment.qualifier == "ACTUAL"
    assert enrollment.source_url and "NCT05591222" in enrollment.source_url
    assert enrollment.field and enrollment.field.startswith("/")
    assert enrollment.request and "NCT05591222" in enrollment.request
    assert 0 < report.counts.citation_precision <= 1
    assert report.known_limits  # negation is stated, not hidden


# --- typed values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "status", "fact"),
    [
        ("72 participants", "99 participants", "mismatch", "ctgov:NCT05591222:enrollment"),
        ("72 participants", "27 participants", "mismatch", "ctgov:NCT05591222:enrollment"),
        ("8 May 2025", "15 May 2025", "mismatch", "ctgov:NCT05591222:primary_completion_date"),
        # the start and primary completion dates swapped: the wording says which is which
        ("12 October 2022", "8 May 2025", "mismatch", "ctgov:NCT05591222:start_date"),
        ("(actual)", "(anticipated)", "mismatch", "ctgov:NCT05591222:enrollment"),
    ],
)
def test_a_changed_figure_is_a_mismatch_naming_the_cited_fact(
    reference: tuple[Draft, Bundle, Verifier], old: str, new: str, status: str, fact: str
) -> None:
    anchors = edited(reference, "what_was_tried", 1, old, new)
    assert (status, fact) in [(a.status, a.fact_id) for a in anchors if a.status != "verified"]


def test_a_date_more_precise_than_its_source_is_unsupported_precision(
    reference: tuple[Draft, Bundle, Verifier],
) -> None:
    anchors = edited(reference, "what_actually_happened", 3, "July 2024", "15 July 2024")
    assert [(a.text, a.status) for a in anchors if a.status != "verified"] == [
        ("15 July 2024", "unsupported_precision")
    ]


def test_phase_id_status_and_score_swaps_are_mismatches(
    reference: tuple[Draft, Bundle, Verifier],
) -> None:
    assert flagged(edited(reference, "what_was_tried", 0, "Phase 2", "Phase 3")) == [
        ("phase", "Phase 3", "mismatch", "ctgov:NCT05591222:phase")
    ]
    assert flagged(edited(reference, "what_was_tried", 0, "NCT05591222", "NCT05540665")) == [
        ("id", "NCT05540665", "mismatch", "ctgov:NCT05591222:nct_id")
    ]
    assert flagged(edited(reference, "headline", 0, "terminated", "withdrawn")) == [
        ("status", "withdrawn", "mismatch", "ctgov:NCT05591222:overall_status")
    ]
    pair = "ENSG00000239961+discoid_lupus_erythematosus"
    assert flagged(edited(reference, "dek", 0, "33/100", "38/100")) == [
        ("number", "38/100", "mismatch", f"mrs:{pair}:total")
    ]


def test_an_added_sentence_with_figures_no_source_holds_is_flagged(
    reference: tuple[Draft, Bundle, Verifier],
) -> None:
    anchors = edited(
        reference, "what_was_tried", 1, "It started on", "It ran at 14 sites. It started on"
    )
    assert [(a.text, a.status) for a in anchors if a.status != "verified"] == [("14", "mismatch")]


def test_an_uncited_true_value_is_verified_uncited_not_a_failure(
    reference: tuple[Draft, Bundle, Verifier],
) -> None:
    _, _, verifier = reference
    report = verifier.check(
        ParagraphInput("x", "X", 0, "The trial enrolled 72 participants.", [], "fact")
    )
    assert [(a.status, a.fact_id, a.cited) for a in report.anchors] == [
        ("verified_uncited", "ctgov:NCT05591222:enrollment", False)
    ]
    nothing = verifier.check(ParagraphInput("x", "X", 0, "It had 4,417 sites.", [], "fact"))
    assert [(a.status, a.fact_id) for a in nothing.anchors] == [("untraceable", None)]


@pytest.mark.parametrize(
    ("section", "index", "old", "new"),
    [
        ("what_was_tried", 1, "72 participants", "seventy-two participants"),
        ("what_was_tried", 1, "12 October 2022", "October 12, 2022"),
        ("what_was_tried", 1, "12 October 2022", "2022-10-12"),
        ("what_was_tried", 1, "8 May 2025", "May 2025"),
        ("what_was_tried", 0, "Phase 2", "Phase II"),
        ("what_was_tried", 0, "LILRA4", "ILT7"),
        ("what_was_tried", 0, "Daxdilimab (", "HZN-7734 ("),
        ("what_was_tried", 0, "Daxdilimab (", "daxdilimab ("),
        ("biological_hypothesis", 0, "0.092", "0.09"),
    ],
)
def test_benign_rewrites_are_not_flagged(
    reference: tuple[Draft, Bundle, Verifier], section: str, index: int, old: str, new: str
) -> None:
    anchors = edited(reference, section, index, old, new)
    assert [a for a in anchors if a.status in ("mismatch", "untraceable")] == []


def test_a_background_paragraph_is_not_checked(reference: tuple[Draft, Bundle, Verifier]) -> None:
    _, _, verifier = reference
    report = verifier.check(
        ParagraphInput(
            "x", "X", 0, "ILT7 agonists failed in 2019 in 40 patients.", [], "background"
        )
    )
    assert report.anchors and {a.status for a in report.anchors} == {"background"}


# --- quotations ------------------------------------------------------------------------------


def test_an_altered_termination_reason_is_a_mismatch_naming_why_stopped(
    reference: tuple[Draft, Bundle, Verifier],
) -> None:
    anchors = edited(reference, "what_was_tried", 2, "not related to safety", "related to safety")
    assert flagged(anchors) == [
        (
            "quote",
            "Sponsor business decision, related to safety concerns.",
            "mismatch",
            "ctgov:NCT05591222:why_stopped",
        )
    ]


def test_quotations_compare_after_normalising_marks_space_and_ellipsis() -> None:
    fact = Fact(
        id="ctgov:NCT00000001:why_stopped",
        kind="quote",
        label="Why stopped",
        value="Sponsor’s  decision —\nnot related to safety concerns.",
        source="ClinicalTrials.gov",
        record="ctgov-study-1",
        field="/protocolSection/statusModule/whyStopped",
        untrusted=True,
    )
    assert quote_match("Sponsor's decision - not related to safety concerns", fact) == "verbatim"
    assert quote_match("Sponsor's decision … not related to safety", fact) == "verbatim"
    # verbatim words that leave out the source's "not" say the opposite
    assert quote_match("Sponsor's decision … safety concerns.", fact) == "cut"
    assert quote_match("related to safety concerns", fact) == "cut"
    assert quote_match("safety concerns … Sponsor's decision", fact) is None  # out of order
    assert quote_match("SPONSOR'S DECISION", fact) == "case"
    assert quote_match("Sponsor's choice", fact) is None
    found = list(
        find_quotations('He said “one” and "two", „three four“ and ‘five six’, not ‘seven’.')
    )
    assert [q.text for q in found] == ["one", "two", "three four", "five six"]
    assert not list(find_quotations("the sponsor’s decision and the investigators’ view"))


def test_a_paraphrase_in_quotation_marks_is_flagged(
    reference: tuple[Draft, Bundle, Verifier],
) -> None:
    _, _, verifier = reference
    report = verifier.check(
        ParagraphInput(
            "x", "X", 0, "The sponsor called it “a strategic portfolio review”.", [], "fact"
        )
    )
    assert [a.status for a in report.anchors if a.kind == "quote"] == ["untraceable"]


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "fact"),
    [
        ("Amgen", "Horizon Therapeutics Ireland DAC", "ctgov:NCT05591222:lead_sponsor"),
        ("Amgen", "Pfizer", "ctgov:NCT05591222:lead_sponsor"),
        ("Daxdilimab (", "zodasiran (", "ctgov:NCT05591222:interventions.0.name"),
        ("Daxdilimab (", "pembrolizumab (", "ctgov:NCT05591222:interventions.0.name"),
        ("LILRA4", "EGFR", "opentargets:ENSG00000239961:approved_symbol"),
        ("LILRA4", "TYK2", "opentargets:ENSG00000239961:approved_symbol"),
        (
            "in Discoid Lupus Erythematosus",
            "in Systemic Lupus Erythematosus",
            "ctgov:NCT05591222:conditions.0",
        ),
    ],
)
def test_a_swapped_name_is_a_mismatch_naming_the_cited_one(
    reference: tuple[Draft, Bundle, Verifier], old: str, new: str, fact: str
) -> None:
    anchors = edited(reference, "what_was_tried", 0, old, new)
    assert [(a.kind, a.status, a.fact_id) for a in anchors if a.status != "verified"] == [
        ("name", "mismatch", fact)
    ]


def test_aliases_of_one_thing_form_one_group(reference: tuple[Draft, Bundle, Verifier]) -> None:
    _, bundle, _ = reference
    groups = {
        g.type: g
        for g in build_groups(bundle.facts)
        if "LILRA4" in g.aliases or "Daxdilimab" in g.aliases
    }
    assert {"ILT7", "ILT-7", "CD85g", "LILRA4"} <= groups["target"].aliases
    assert {"Daxdilimab", "DAXDILIMAB", "HZN-7734", "VIB7734"} <= groups["drug"].aliases


def test_names_normalise_case_separators_and_legal_suffixes() -> None:
    assert normal_name("HZN‐7734") == normal_name("hzn 7734") == "hzn 7734"
    assert loose_name("Amgen Inc.") == loose_name("AMGEN") == "amgen"
    assert loose_name("Johnson & Johnson") == "johnson and johnson"


def test_name_finder_reads_aliases_shapes_and_skips_sites(
    reference: tuple[Draft, Bundle, Verifier],
) -> None:
    _, bundle, _ = reference
    finder = NameFinder(bundle.facts)
    text = (
        "ClinicalTrials.gov says VIB-7734 (daxdilimab) hits ILT7; Acme Therapeutics tested "
        "BMS-986016 in Netherton syndrome; set aside the EGFR pathway."
    )
    hits = {(h.text, h.type, h.group is not None) for h in finder.find(text)}
    assert ("VIB-7734", "drug", True) in hits and ("daxdilimab", "drug", True) in hits
    assert ("ILT7", "target", True) in hits
    assert ("Acme Therapeutics", "sponsor", False) in hits
    assert ("BMS-986016", "drug", False) in hits
    assert ("Netherton syndrome", "disease", True) in hits
    assert not any(h[0] == "ClinicalTrials.gov" for h in hits)
    assert not any(h[0].casefold() == "set" for h in hits)  # short capitals match as written


def test_a_name_with_digits_is_a_name_not_a_number(
    drafted: Callable[[str], tuple[Draft, Bundle]],
) -> None:
    draft, bundle = drafted("NCT00184067")  # Montanide ISA 51
    report = verify_draft(draft, bundle)
    assert not [a for p in report.paragraphs for a in p.anchors if a.text == "51"]
    assert any(a.text == "Montanide ISA 51" for p in report.paragraphs for a in p.anchors)


def test_a_quoted_reason_must_be_whystopped_not_another_texts_words(
    reference: tuple[Draft, Bundle, Verifier],
) -> None:
    draft, _, verifier = reference
    paragraph = next(
        p for p in paragraphs_of_draft(draft) if p.section == "what_was_tried" and p.index == 2
    )
    other = "strategic portfolio prioritization by Amgen"  # a claim's reason, of another trial
    text = paragraph.text.replace(
        "Sponsor business decision, not related to safety concerns.", other
    )
    cites = [*paragraph.cites, "claims:rocatinlimab_ox40_atopic_dermatitis-f99c15f9:why_stopped"]
    report = verifier.check(ParagraphInput("x", "X", 0, text, cites, "fact"))
    quote = next(a for a in report.anchors if a.text == other)
    assert (quote.status, quote.fact_id) == ("mismatch", "ctgov:NCT05591222:why_stopped")
    assert "rocatinlimab" in quote.reason  # whose words they are


def test_a_labelled_value_binds_to_its_label(reference: tuple[Draft, Bundle, Verifier]) -> None:
    _, _, verifier = reference
    cites = ["ctgov:NCT05591222:enrollment", "reference:NCT05591222:enrollment_earlier_estimate"]
    swapped = "On file: Enrollment: 99 participants; Enrollment earlier estimate: 72 participants."
    report = verifier.check(ParagraphInput("x", "X", 0, swapped, cites, "fact"))
    assert [(a.text, a.status, a.fact_id) for a in report.anchors if a.kind == "number"] == [
        ("99", "mismatch", "ctgov:NCT05591222:enrollment"),
        ("72", "mismatch", "reference:NCT05591222:enrollment_earlier_estimate"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("(yellow band)", "(green band)", "band"),
        ("classified as operational", "classified as efficacy", "archetype"),
    ],
)
def test_score_bands_and_archetypes_in_words_are_checked(
    reference: tuple[Draft, Bundle, Verifier], old: str, new: str, field: str
) -> None:
    anchors = edited(reference, "dek", 0, old, new)
    assert [(a.kind, a.status) for a in anchors if a.status != "verified"] == [
        ("status", "mismatch")
    ]
    assert next(a.fact_id for a in anchors if a.status == "mismatch").endswith(f":{field}")


def test_results_posted_and_a_count_of_the_wrong_thing_are_mismatches(
    reference: tuple[Draft, Bundle, Verifier],
) -> None:
    posted = edited(
        reference, "what_was_tried", 2, "No results have been posted", "Results have been posted"
    )
    assert [(a.text, a.status) for a in posted if a.status != "verified"] == [
        ("Results", "mismatch")
    ]
    sites = edited(reference, "what_was_tried", 1, "72 participants", "72 sites")
    assert [(a.text, a.status) for a in sites if a.status != "verified"] == [("72", "mismatch")]


def test_another_trials_claim_does_not_support_an_uncited_sentence(
    reference: tuple[Draft, Bundle, Verifier],
) -> None:
    _, _, verifier = reference
    text = "It was a Phase 3 trial of rocatinlimab, with an MRS of 76."
    report = verifier.check(ParagraphInput("x", "X", 0, text, [], "fact"))
    statuses = {a.text: a.status for a in report.anchors}
    assert statuses == {
        "Phase 3": "untraceable",
        "rocatinlimab": "untraceable",
        "76": "untraceable",
    }
