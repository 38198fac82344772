"""Anchors in prose (numbers, dates, phases, ids) and their support by facts of the same type.

Cases are real prose forms, most from the reference article (tests/data/anchors/seed_000.txt)
and the facts `drafter fetch NCT05591222 --offline` builds (facts_NCT05591222.json).
"""

from __future__ import annotations

import itertools
import json
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from drafter.anchors import (
    Anchor,
    FactIndex,
    Support,
    accepted,
    check_text,
    extract_anchors,
    match,
    normalise_id,
    phase_of_fact,
    phase_prose,
)
from drafter.facts import Fact, FactKind, FactValue, Unit, precision_of
from drafter.models import PHASE_ORDER
from tests.anchor_listing import listing, paragraphs

DATA = Path(__file__).resolve().parent / "data" / "anchors"
REAL_FACTS = [
    Fact(**f) for f in json.loads((DATA / "facts_NCT05591222.json").read_text(encoding="utf-8"))
]
REAL = {f.id: f for f in REAL_FACTS}
MRS = "mrs:ENSG00000239961+discoid_lupus_erythematosus:"


def make_fact(
    kind: FactKind,
    value: FactValue,
    name: str = "f",
    *,
    label: str | None = None,
    unit: Unit | None = None,
) -> Fact:
    """A computed fact of any kind (a formula makes it traceable without a source record)."""
    return Fact(
        id=f"test:entity:{name}",
        kind=kind,
        label=label or name,
        value=value,
        unit=unit,
        precision=precision_of(kind, value),
        source="test",
        formula="given by the test",
    )


def only(text: str) -> Anchor:
    anchors = extract_anchors(text)
    assert len(anchors) == 1, listing(text)
    return anchors[0]


def summary(text: str) -> list[tuple[str, str, str | float]]:
    return [(a.kind, a.text, a.value) for a in extract_anchors(text)]


def status(text: str, *facts: Fact) -> str | None:
    support = match(only(text), facts)
    return None if support is None else support.status


# --- extraction: numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written", "value", "decimals"),
    [
        ("The trial randomized 72 participants.", "72", 72.0, 0),
        ("enrolled 1,204 patients", "1,204", 1204.0, 0),
        ("enrolled 1204 patients", "1204", 1204.0, 0),
        ("enrolled 12,000,000 patients", "12,000,000", 12_000_000.0, 0),
        ("an association score of 0.092, low", "0.092", 0.092, 3),
        ("| Phase-weighted failure burden | 10.7", "10.7", 10.7, 1),
        ("a threshold of 0.30 at", "0.30", 0.3, 2),
        ("significant (p=.03)", ".03", 0.03, 2),
        ("a 72-participant trial", "72", 72.0, 0),
        ("a 24-week endpoint", "24", 24.0, 0),
        ("the 8th patient", "8", 8.0, 0),
        ("at Week-24 the", "24", 24.0, 0),
        ("a 2x rise", "2", 2.0, 0),
        ("(n=72)", "72", 72.0, 0),
        ("in “72” cases", "72", 72.0, 0),
        ("enrolled **72** participants", "72", 72.0, 0),
        ("enrolled _72_ participants", "72", 72.0, 0),
        ("seventy-two participants", "seventy-two", 72.0, 0),
        ("Seventy two participants", "Seventy two", 72.0, 0),
        ("seventy\u2011two participants", "seventy\u2011two", 72.0, 0),
        ("one hundred and five sites", "one hundred and five", 105.0, 0),
        ("one hundred five sites", "one hundred five", 105.0, 0),
        ("a hundred sites", "a hundred", 100.0, 0),
        ("a thousand sites", "a thousand", 1000.0, 0),
        ("twelve hundred patients", "twelve hundred", 1200.0, 0),
        ("twenty sites", "twenty", 20.0, 0),
        ("eleven sites", "eleven", 11.0, 0),
        ("zero events", "zero", 0.0, 0),
        ("Of nine randomized cutaneous lupus drug trials", "nine", 9.0, 0),
        ("dosed every four weeks", "four", 4.0, 0),
        ("two thousand participants", "two thousand", 2000.0, 0),
        ("two million participants", "two million", 2_000_000.0, -6),
        ("1.2 million participants", "1.2 million", 1_200_000.0, -5),
        ("for 3.05 billion dollars", "3.05 billion", 3_050_000_000.0, -7),
        ("about 72k participants", "72k", 72_000.0, -3),
        ("a 1.5bn programme", "1.5bn", 1_500_000_000.0, -8),
        ("a 40mn budget", "40mn", 40_000_000.0, -6),
    ],
)
def test_numbers_as_written(text: str, written: str, value: float, decimals: int) -> None:
    anchor = only(text)
    assert (anchor.kind, anchor.text, anchor.value, anchor.decimals) == (
        "number",
        written,
        value,
        decimals,
    )
    assert not anchor.percent and anchor.out_of is None


@pytest.mark.parametrize(
    ("text", "written", "value"),
    [
        ("at approximately 56 percent, higher", "56 percent", 56.0),
        ("at 56% of", "56%", 56.0),
        ("at 56 % of", "56 %", 56.0),
        ("at 56 per cent of", "56 per cent", 56.0),
        ("at 56 Percent of", "56 Percent", 56.0),
        ("dermatology overall (~38 percent)", "38 percent", 38.0),
        ("at 12.5% of", "12.5%", 12.5),
        ("fifty percent of", "fifty percent", 50.0),
        ("one percent of", "one percent", 1.0),
        ("ninety-nine percent of", "ninety-nine percent", 99.0),
    ],
)
def test_percentages(text: str, written: str, value: float) -> None:
    anchor = only(text)
    assert (anchor.text, anchor.value, anchor.percent) == (written, value, True)


@pytest.mark.parametrize("text", ["70-85%", "70–85%", "70 to 85 percent", "70 and 85%"])
def test_a_range_shares_its_percent_sign(text: str) -> None:
    anchors = extract_anchors(f"However, {text} of lupus patients")
    assert [(a.value, a.percent) for a in anchors] == [(70.0, True), (85.0, True)]


def test_only_a_range_shares_a_percent_sign() -> None:
    anchors = extract_anchors("in 70 patients, 85% responded; 70, 85%")
    assert [(a.value, a.percent) for a in anchors] == [
        (70.0, False),
        (85.0, True),
        (70.0, False),
        (85.0, True),
    ]


def test_percentage_points_are_not_percentages() -> None:
    anchor = only("a gain of 5 percentage points")
    assert (anchor.text, anchor.percent) == ("5", False)


@pytest.mark.parametrize("text", ["33/100", "33 / 100", "33 out of 100"])
def test_a_score_out_of_100_is_one_anchor(text: str) -> None:
    anchor = only(f"the Mechanism Risk Score is {text} (yellow band)")
    assert (anchor.text, anchor.value, anchor.out_of) == (text, 33.0, 100.0)


def test_other_slashes_are_two_numbers() -> None:
    assert summary("| 10.7 / 40 | 2.0 / 25 | 1/2 |") == [
        ("number", "10.7", 10.7),
        ("number", "40", 40.0),
        ("number", "2.0", 2.0),
        ("number", "25", 25.0),
        ("number", "1", 1.0),
        ("number", "2", 2.0),
    ]
    assert summary("33/1000") == [("number", "33", 33.0), ("number", "1000", 1000.0)]


def test_thousands_separators_are_never_guessed() -> None:
    assert summary("1 204 and 1\u202f204") == [
        ("number", "1", 1.0),
        ("number", "204", 204.0),
        ("number", "1", 1.0),
        ("number", "204", 204.0),
    ]
    assert summary("a value of 1.204 here") == [("number", "1.204", 1.204)]
    assert summary("1,5 and 1,2345") == [
        ("number", "1", 1.0),
        ("number", "5", 5.0),
        ("number", "1", 1.0),
        ("number", "2345", 2345.0),
    ]


@pytest.mark.parametrize(
    ("text", "written", "value"),
    [
        ("fell to −3.2 points", "−3.2", -3.2),
        ("a change of (-1)", "-1", -1.0),
        ("a change of -0.5", "-0.5", -0.5),
        ("moved by +4.5", "+4.5", 4.5),
        ("it fell by 3.2 points", "3.2", 3.2),
    ],
)
def test_signs(text: str, written: str, value: float) -> None:
    anchor = only(text)
    assert (anchor.text, anchor.value, anchor.signed) == (written, value, written[0] in "-−+")


@pytest.mark.parametrize("text", ["10-12", "10 - 12", "10–12", "10 to 12", "10\u201412"])
def test_ranges_are_two_unsigned_numbers(text: str) -> None:
    assert [(a.value, a.signed) for a in extract_anchors(f"roughly {text} points")] == [
        (10.0, False),
        (12.0, False),
    ]


def test_amounts_with_a_currency_and_a_suffix() -> None:
    assert [(a.text, a.value, a.decimals) for a in extract_anchors("$3.05B, €200M, US$1bn")] == [
        ("3.05B", 3_050_000_000.0, -7),
        ("200M", 200_000_000.0, -6),
        ("1bn", 1_000_000_000.0, -9),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Daxdilimab (HZN-7734) is a humanized IgG1 monoclonal antibody",
        "also known as CD85g and ILT7",
        "Litifilimab (BIIB059) met its CLASI-50 endpoint",
        "unlike COVID-19, IL-6 and 4-1BB",
        "anti-IFNAR1 with a JAK1 inhibitor; IRF5, STAT4, IFIH1",
        "Sci Transl Med, eabh1568",
        "see https://clinicaltrials.gov/ct2/show/study?id=12&year=2024 and www.example.org/7",
        "the HZNP-DAX-202 protocol, VIB7734 and MEDI-7734",
        "patients with type 2 diabetes",
        "(HR 0.72; 95% CI",
        "the p53 and H2O pathways",
        "the phase_buckets.phase_3 field and x_2025",
        "a β2-agonist and IFN-α2b",
    ],
)
def test_digits_inside_codes_are_not_numbers(text: str) -> None:
    numbers = [a.text for a in extract_anchors(text) if a.kind == "number"]
    assert numbers == (["0.72"] if "0.72" in text else []), listing(text)


@pytest.mark.parametrize(
    "text",
    [
        "Two design moves would have de-risked the readout.",
        "Three mechanisms are compatible with the available data.",
        "There are two reasons, and three ways out.",
        "LILRA4 (ILT7) is one of the cleanest markers",
        "a single Phase III readout",
        "First, depletion-pace asymmetry. Second, redundant sources.",
        "the asset's fourth corporate home",
        "two-thirds of patients and one-half of sites",
        "no one expected it; someone did, often",
        "the type I interferon signature",
    ],
)
def test_prose_counting_is_not_a_number(text: str) -> None:
    assert [a for a in extract_anchors(text) if a.kind == "number"] == [], listing(text)


def test_number_words_split_where_grammar_ends() -> None:
    assert summary("five met their endpoint and four missed; five and four") == [
        ("number", "five", 5.0),
        ("number", "four", 4.0),
        ("number", "five", 5.0),
        ("number", "four", 4.0),
    ]
    assert summary("twenty five thirty") == [
        ("number", "twenty five", 25.0),
        ("number", "thirty", 30.0),
    ]


# --- extraction: dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written", "value", "precision"),
    [
        ("with primary completion on 8 May 2025.", "8 May 2025", "2025-05-08", "day"),
        ("on May 8, 2025, the", "May 8, 2025", "2025-05-08", "day"),
        ("on May 8 2025 the", "May 8 2025", "2025-05-08", "day"),
        ("on May 8th, 2025 the", "May 8th, 2025", "2025-05-08", "day"),
        ("on Thursday, 8 May 2025", "8 May 2025", "2025-05-08", "day"),
        ("posted _2026_", "2026", "2026", "year"),
        ("on 8th May 2025 the", "8th May 2025", "2025-05-08", "day"),
        ("on the 8th of May, 2025", "8th of May, 2025", "2025-05-08", "day"),
        ("on 13-Oct-2022", "13-Oct-2022", "2022-10-13", "day"),
        ("on 13.10.2022", "13.10.2022", "2022-10-13", "day"),
        ("on the thirteenth of October 2022", "thirteenth of October 2022", "2022-10-13", "day"),
        ("the twenty-first of May", "twenty-first of May", "--05-21", "day"),
        ("posted 2025-05-08.", "2025-05-08", "2025-05-08", "day"),
        ("on Sept. 3, 2024", "Sept. 3, 2024", "2024-09-03", "day"),
        ("on 3 Mar 2021", "3 Mar 2021", "2021-03-03", "day"),
        ("on 14\u00a0May\u00a02026", "14\u00a0May\u00a02026", "2026-05-14", "day"),
        ("in May 2025 the", "May 2025", "2025-05", "month"),
        ("in May, 2025 the", "May, 2025", "2025-05", "month"),
        ("in early May 2025", "May 2025", "2025-05", "month"),
        ("since 2025-05 the", "2025-05", "2025-05", "month"),
        ("via the Horizon acquisition in 2023, which", "2023", "2023", "year"),
        ("in mid-2025", "2025", "2025", "year"),
        ("in early 2025", "2025", "2025", "year"),
        ("pre-2020 trials", "2020", "2020", "year"),
        ("on 8 May the", "8 May", "--05-08", "day"),
        ("on May 8 the", "May 8", "--05-08", "day"),
        ("on 29 February 2024", "29 February 2024", "2024-02-29", "day"),
    ],
)
def test_dates_with_precision(text: str, written: str, value: str, precision: str) -> None:
    anchor = only(text)
    assert (anchor.kind, anchor.text, anchor.value, anchor.precision) == (
        "date",
        written,
        value,
        precision,
    )
    assert anchor.through is None


@pytest.mark.parametrize(
    ("text", "value", "through"),
    [
        ("Q2 2025", "2025-04", "2025-06"),
        ("Q4-2024", "2024-10", "2024-12"),
        ("H1 2025", "2025-01", "2025-06"),
        ("H2 2024", "2024-07", "2024-12"),
        ("the second quarter of 2025", "2025-04", "2025-06"),
        ("the first half of 2026", "2026-01", "2026-06"),
    ],
)
def test_quarters_and_halves_are_month_ranges(text: str, value: str, through: str) -> None:
    anchor = only(f"expected in {text}.")
    assert (anchor.value, anchor.precision, anchor.through) == (value, "month", through)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2000 participants", [("number", "2000", 2000.0)]),
        ("1999 patients", [("number", "1999", 1999.0)]),
        ("in 1999", [("date", "1999", "1999")]),
        ("1899 and 2101", [("number", "1899", 1899.0), ("number", "2101", 2101.0)]),
        ("2025.5", [("number", "2025.5", 2025.5)]),
        ("$2020", [("number", "2020", 2020.0)]),
        ("2021–2023", [("date", "2021", "2021"), ("date", "2023", "2023")]),
        ("FY2025 and the 1990s", []),
        ("we may 2025", [("date", "2025", "2025")]),
        ("31 February 2025", [("number", "31", 31.0), ("date", "February 2025", "2025-02")]),
        ("March 15 participants", [("number", "15", 15.0)]),
        ("2025-13-01", [("date", "2025", "2025"), ("number", "13", 13.0), ("number", "01", 1.0)]),
    ],
)
def test_years_and_non_dates(text: str, expected: list[tuple[str, str, str | float]]) -> None:
    assert summary(text) == expected


def test_ids_with_date_shapes_stay_ids() -> None:
    assert summary("EudraCT 2022-000831-21 and CTIS 2023-509746-35-00") == [
        ("id", "2022-000831-21", "2022-000831-21"),
        ("id", "2023-509746-35-00", "2023-509746-35-00"),
    ]


# --- extraction: phases ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written", "value"),
    [
        ("a Phase 2 trial", "Phase 2", "PHASE2"),
        ("a Phase II trial", "Phase II", "PHASE2"),
        ("a phase 2 trial", "phase 2", "PHASE2"),
        ("a PHASE 2 trial", "PHASE 2", "PHASE2"),
        ("a Phase-2 trial", "Phase-2", "PHASE2"),
        ("a Phase\u00a02 trial", "Phase\u00a02", "PHASE2"),
        ("a Phase 2/3 trial", "Phase 2/3", "PHASE2/PHASE3"),
        ("a Phase II/III trial", "Phase II/III", "PHASE2/PHASE3"),
        ("a Phase 1/2 trial", "Phase 1/2", "PHASE1/PHASE2"),
        ("a Phase 1-2 trial", "Phase 1-2", "PHASE1/PHASE2"),
        ("a Phase I/Phase II trial", "Phase I/Phase II", "PHASE1/PHASE2"),
        ("a Phase 1b in SLE", "Phase 1b", "PHASE1"),
        ("a Phase 2a trial", "Phase 2a", "PHASE2"),
        ("a Phase IIb/3 trial", "Phase IIb/3", "PHASE2/PHASE3"),
        ("a Phase 1b/2 trial", "Phase 1b/2", "PHASE1/PHASE2"),
        ("an early phase 1 trial", "early phase 1", "EARLY_PHASE1"),
        ("an Early Phase I trial", "Early Phase I", "EARLY_PHASE1"),
        ("a Phase 0 trial", "Phase 0", "EARLY_PHASE1"),
        ("a Phase IV study", "Phase IV", "PHASE4"),
        ("is advancing in Phase 3.", "Phase 3", "PHASE3"),
        ("(antibody, max phase 2.0)", "phase 2.0", "PHASE2"),
        ("early Phase 2 data", "Phase 2", "PHASE2"),
        ("a phase three trial", "phase three", "PHASE3"),
        ("a phase-two trial", "phase-two", "PHASE2"),
        ("a Phase One study", "Phase One", "PHASE1"),
        ("in phase four", "phase four", "PHASE4"),
    ],
)
def test_phases(text: str, written: str, value: str) -> None:
    anchor = only(text)
    assert (anchor.kind, anchor.text, anchor.value) == ("phase", written, value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("in Phase 2 and 3 trials", [("Phase 2", "PHASE2"), ("3", "PHASE3")]),
        ("in Phase II or III trials", [("Phase II", "PHASE2"), ("III", "PHASE3")]),
        ("in phases 1, 2 and 3.", [("phases 1", "PHASE1"), ("2", "PHASE2"), ("3", "PHASE3")]),
        ("in Phases 1b & 2a", [("Phases 1b", "PHASE1"), ("2a", "PHASE2")]),
        ("a Phase 2, 3 sites", [("Phase 2", "PHASE2")]),
        ("a Phase 1/2 and 3 program", [("Phase 1/2", "PHASE1/PHASE2")]),
    ],
)
def test_phase_lists_are_one_anchor_a_phase(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(a.text, a.value) for a in extract_anchors(text) if a.kind == "phase"] == expected


@pytest.mark.parametrize(
    "text", ["Phase-weighted failure burden", "the phase in which", "a phase is", "Phases"]
)
def test_words_about_phases_are_not_phases(text: str) -> None:
    assert extract_anchors(text) == []


# --- extraction: ids -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written", "value"),
    [
        ("Amgen ran NCT05591222 as a", "NCT05591222", "NCT05591222"),
        ("Amgen ran nct05591222 as a", "nct05591222", "NCT05591222"),
        ("(CHEMBL4594330, antibody", "CHEMBL4594330", "CHEMBL4594330"),
        ("(also known as ILT7, ENSG00000239961)", "ENSG00000239961", "ENSG00000239961"),
        ("gene ENSG00000239961.12 here", "ENSG00000239961.12", "ENSG00000239961"),
        ("disease EFO_0000540.", "EFO_0000540", "EFO_0000540"),
        ("disease EFO:0000540.", "EFO:0000540", "EFO_0000540"),
        ("disease MONDO:0005102.", "MONDO:0005102", "MONDO_0005102"),
        ("disease mondo_0005102.", "mondo_0005102", "MONDO_0005102"),
        ("gene HGNC:15503.", "HGNC:15503", "HGNC:15503"),
        ("disease Orphanet_586.", "Orphanet_586", "ORPHANET_586"),
        ("protein (UniProt: P59901)", "P59901", "P59901"),
        ("doi:10.1056/NEJMoa2118024.", "10.1056/NEJMoa2118024", "10.1056/NEJMOA2118024"),
        ("(doi 10.1084/jem.20051837)", "10.1084/jem.20051837", "10.1084/JEM.20051837"),
        ("a mistyped NCT0559122 here", "NCT0559122", "NCT0559122"),
        ("https://clinicaltrials.gov/study/NCT05591222", "NCT05591222", "NCT05591222"),
        ("Amgen ran NCT-05591222 as a", "NCT-05591222", "NCT05591222"),
        ("Amgen ran NCT 05591222 as a", "NCT 05591222", "NCT05591222"),
    ],
)
def test_ids(text: str, written: str, value: str) -> None:
    anchor = only(text)
    assert (anchor.kind, anchor.text, anchor.value) == ("id", written, value)


def test_uniprot_shapes_need_the_word_uniprot() -> None:
    assert extract_anchors("codes P59901 and Q9Y6K9 alone") == []


def test_normalise_id() -> None:
    assert normalise_id(" mondo:0005102 ") == "MONDO_0005102"
    assert normalise_id("ENSG00000239961.5") == "ENSG00000239961"
    assert normalise_id("HGNC:15503") == "HGNC:15503"


# --- extraction: the text around anchors -----------------------------------------------------


def test_offsets_point_at_the_text_and_anchors_do_not_overlap() -> None:
    text = "\n".join(paragraphs())
    anchors = extract_anchors(text)
    assert anchors == sorted(anchors, key=lambda a: a.start)
    for anchor in anchors:
        assert text[anchor.start : anchor.end] == anchor.text
    for before, after in itertools.pairwise(anchors):
        assert before.end <= after.start


def test_quotes_brackets_and_dashes_do_not_break_extraction() -> None:
    text = "«72» [72] (72) '72' “Phase 2” — 8 May 2025 – {0.092}; 72…"
    assert [a.value for a in extract_anchors(text)] == [
        72.0,
        72.0,
        72.0,
        72.0,
        "PHASE2",
        "2025-05-08",
        0.092,
        72.0,
    ]


PIECES = [
    *"0123456789 ,.-/%$()–—\u00a0\u2011\u2212:_+\n",
    "May ",
    "Q2 ",
    "Phase ",
    "Phases ",
    " or ",
    ", ",
    "II",
    "1b",
    "early ",
    "NCT",
    "ENSG",
    "MONDO:",
    "HGNC:",
    "10.1056/",
    "UniProt P",
    "twenty",
    "-two",
    " hundred",
    " and ",
    "one",
    " percent",
    "th ",
    "of ",
    "mid-",
    "https://x.org/",
    "β",
    "IgG",
    "million",
]


def assert_well_formed(text: str, anchors: list[Anchor]) -> None:
    for anchor in anchors:
        assert text[anchor.start : anchor.end] == anchor.text
        assert (anchor.precision is not None) == (anchor.kind == "date")
        assert (anchor.decimals is not None) == (anchor.kind == "number")
    for before, after in itertools.pairwise(anchors):
        assert before.end <= after.start


@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_any_text_gives_well_formed_anchors_and_checks(text: str) -> None:
    anchors = extract_anchors(text)
    assert_well_formed(text, anchors)
    problems = check_text(text, REAL_FACTS)
    assert [p.anchor for p in problems] == [
        a for a in anchors if not accepted(match(a, REAL_FACTS))
    ]


@pytest.mark.parametrize(
    "text",
    [
        "-".join(["ab"] * 3000),
        "a" * 50_000,
        "1" * 5_000,
        ",".join(["123"] * 5000),
        " ".join(["twenty"] * 2000),
        " and ".join(["one hundred"] * 1000),
        "Phase " * 5000,
        "May " * 5000,
        "33/" * 5000,
        "10.1234/" * 2000,
    ],
)
def test_adversarial_text_is_read_without_trouble(text: str) -> None:
    assert_well_formed(text, extract_anchors(text))
    check_text(text, REAL_FACTS)


def test_no_text_no_anchors() -> None:
    assert extract_anchors("") == []
    assert extract_anchors("No numbers here at all.") == []


def test_anchors_are_frozen() -> None:
    anchor = only("72")
    with pytest.raises(ValueError):
        anchor.text = "73"  # type: ignore[misc]


# --- the reference article -------------------------------------------------------------------

SEED = paragraphs()


def seed_paragraph(opening: str) -> str:
    (found,) = [p for p in SEED if p.startswith(opening)]
    return found


SEED_EXPECTED: dict[str, list[str]] = {
    "Amgen terminated a 72-participant": [
        'number "72" = 72.0 (0 decimals)',
        'phase "Phase 2" = PHASE2',
    ],
    "| Phase-weighted failure burden": [
        'number "10.7" = 10.7 (1 decimals)',
        'number "40" = 40.0 (0 decimals)',
    ],
    "For LILRA4 in Discoid": ['number "33/100" = 33.0 (0 decimals, out of 100)'],
    "Amgen ran NCT05591222": [
        'id "NCT05591222" = NCT05591222',
        'phase "Phase 2" = PHASE2',
        'id "ENSG00000239961" = ENSG00000239961',
        'number "72" = 72.0 (0 decimals)',
        'number "four" = 4.0 (0 decimals)',
        'date "8 May 2025" = 2025-05-08 (day)',
        'date "14 May 2026" = 2026-05-14 (day)',
        'date "2023" = 2023 (year)',
        'phase "Phase 2" = PHASE2',
    ],
    "LILRA4 (ILT7) is one of": [
        'date "2006" = 2006 (year)',
        'date "2016" = 2016 (year)',
        'phase "Phase 1b" = PHASE1',
        'date "2021" = 2021 (year)',
        'number "0.092" = 0.092 (3 decimals)',
    ],
    "Three mechanisms are compatible": [
        'number "two" = 2.0 (0 decimals)',
        'date "2018" = 2018 (year)',
        'number "24" = 24.0 (0 decimals)',
    ],
    "Two design moves": [],
    "Of nine randomized": [
        'number "nine" = 9.0 (0 decimals)',
        'date "2018" = 2018 (year)',
        'number "five" = 5.0 (0 decimals)',
        'number "four" = 4.0 (0 decimals)',
        'date "2024" = 2024 (year)',
        'phase "Phase 2" = PHASE2',
        'number "56 percent" = 56.0 (0 decimals, percent)',
        'number "38 percent" = 38.0 (0 decimals, percent)',
    ],
    "Will Amgen publish": ['phase "Phase 1b" = PHASE1', 'number "six" = 6.0 (0 decimals)'],
}


@pytest.mark.parametrize("opening", sorted(SEED_EXPECTED))
def test_reference_article_paragraphs(opening: str) -> None:
    assert listing(seed_paragraph(opening)) == SEED_EXPECTED[opening]


def test_reference_article_sources_and_related_claims() -> None:
    sources = listing(seed_paragraph("- ClinicalTrials.gov NCT05591222"))
    for expected in [
        'date "2026-05-14" = 2026-05-14 (day)',
        'id "CHEMBL4594330" = CHEMBL4594330',
        'phase "phase 2.0" = PHASE2',
        'date "2026-05-20" = 2026-05-20 (day)',
    ]:
        assert expected in sources
    assert not any("7734" in entry for entry in sources)  # openFDA's "HZN-7734 search"
    related = listing(seed_paragraph("Sponsor- May 24, 2026ARO-ANG3"))
    assert related[:2] == ['date "May 24, 2026" = 2026-05-24 (day)', 'phase "Phase 2" = PHASE2']


def test_reference_article_is_supported_where_facts_exist() -> None:
    """Every number, date, phase and id the article takes from the trial, the target, the
    drug and the MRS is supported by the real facts."""
    text = "\n".join(SEED[:27])
    supported = {a.text for a in extract_anchors(text) if accepted(match(a, REAL_FACTS))}
    for written in [
        "72",
        "Phase 2",
        "NCT05591222",
        "ENSG00000239961",
        "8 May 2025",
        "14 May 2026",
        "33/100",
        "10.7",
        "40",
        "2.0",
        "25",
        "4.3",
        "15",
        "13.6",
        "2.5",
        "5",
        "0.092",
        "0.09",
    ]:
        assert written in supported, written
    for unsupported in ["2006", "2016", "2021", "Phase 1b", "0.30", "56 percent", "1.7"]:
        assert unsupported not in supported, unsupported


# --- matching: numbers -----------------------------------------------------------------------

ENROLLMENT = REAL["ctgov:NCT05591222:enrollment"]
ASSOCIATION = REAL["opentargets:ENSG00000239961+discoid_lupus_erythematosus:association_score"]


@pytest.mark.parametrize(
    ("text", "value", "expected", "rounded"),
    [
        ("72 participants", 72, "supported", False),
        ("seventy-two participants", 72, "supported", False),
        ("1,204 participants", 1204, "supported", False),
        ("1204 participants", 1204, "supported", False),
        ("73 participants", 72, "mismatch", False),
        ("0.092", 0.092, "supported", False),
        ("0.0920", 0.092, "supported", False),
        ("0.09", 0.092, "fuzzy", True),
        ("0.1", 0.092, "fuzzy", True),
        ("0.08", 0.092, "mismatch", False),
        ("0", 0.092, "mismatch", False),
        ("0.0", 0.04, "mismatch", False),
        ("0%", 0.004, "mismatch", False),
        ("0", 0, "supported", False),
        ("13.6", 13.62, "fuzzy", True),
        ("13.7", 13.62, "fuzzy", False),
        ("13.6", 13.66, "fuzzy", False),
        ("2.0", 2.0, "supported", False),
        ("2", 2.0, "supported", False),
        ("2.68", 2.675, "fuzzy", True),
        ("2.67", 2.675, "fuzzy", True),
        ("1.2 million", 1_234_567, "fuzzy", True),
        ("1.3 million", 1_234_567, "fuzzy", False),
        ("1.4 million", 1_234_567, "mismatch", False),
        ("$3.05B", 3_050_000_000, "supported", False),
        ("56 percent", 0.56, "supported", False),
        ("56 percent", 56, "mismatch", False),
        ("1 percent", 1.0, "mismatch", False),
        ("100 percent", 1.0, "supported", False),
        ("56%", 0.558, "fuzzy", True),
        ("56", 0.56, "mismatch", False),
        ("0.56", 56, "mismatch", False),
        ("9.2%", 0.092, "supported", False),
        ("fell by 3.2 points", -3.2, "supported", False),
        ("fell to −3.2 points", -3.2, "supported", False),
        ("rose to +3.2 points", -3.2, "mismatch", False),
        ("fell to −3.2 points", 3.2, "mismatch", False),
        ("33/100", 33, "supported", False),
    ],
)
def test_number_support(text: str, value: int | float, expected: str, rounded: bool) -> None:
    kind: FactKind = "count" if isinstance(value, int) and value >= 0 else "score"
    support = match(only(text), [make_fact(kind, value)])
    assert support is not None
    assert (support.status, support.rounded) == (expected, rounded), support.reason


def test_numbers_are_matched_against_count_number_and_score_facts_only() -> None:
    anchor = only("72 participants")
    assert match(anchor, [make_fact("text", "72"), make_fact("id", "72")]) is None
    assert match(anchor, []) is None
    for kind in ("count", "number", "score"):
        support = match(anchor, [make_fact(kind, 72)])
        assert support is not None and support.status == "supported"


def test_the_best_support_wins_whatever_the_order() -> None:
    anchor = only("0.09")
    facts = [
        make_fact("score", 0.5, "far"),
        make_fact("score", 0.092, "rounded"),
        make_fact("score", 0.09, "equal"),
        make_fact("score", 0.0951, "near"),
    ]
    for ordering in (facts, facts[::-1]):
        support = match(anchor, ordering)
        assert support is not None
        assert (support.status, support.fact_id) == ("supported", "test:entity:equal")
    support = match(anchor, [facts[0], facts[3]])
    assert support is not None and support.status == "fuzzy" and not support.rounded
    assert support.fact_id == "test:entity:near"
    support = match(anchor, [facts[0], make_fact("score", 0.2, "nearer")])
    assert support is not None and support.status == "mismatch"
    assert support.fact_id == "test:entity:nearer"


def test_a_mismatch_names_the_nearest_fact() -> None:
    facts = [make_fact("count", v, f"n{v}") for v in (3, 40, 99, 1000)]
    support = match(only("73 participants"), facts)
    assert support == Support(
        status="mismatch",
        fact_id="test:entity:n99",
        reason="no cited number equals it; the nearest is n99 = 99",
    )


def test_reasons_say_what_was_compared() -> None:
    support = match(only("0.09"), [ASSOCIATION])
    assert support is not None and support.reason == (
        "is Open Targets overall association score, LILRA4 – Discoid Lupus Erythematosus = "
        "0.092 rounded to 2 decimals"
    )
    support = match(only("9.2%"), [ASSOCIATION])
    assert support is not None and support.reason.endswith("= 0.092 (as a percentage)")


def test_mrs_scores_and_maxima() -> None:
    """The MRS table's "10.7 / 40" and the headline "33/100" rest on the MRS facts."""
    facts = [f for f in REAL_FACTS if f.id.startswith(MRS)]
    row = extract_anchors("| Phase-weighted failure burden | 10.7 / 40 |")
    supports = [match(a, facts) for a in row]
    assert [s.fact_id if s else None for s in supports] == [
        MRS + "components.phase_burden",
        MRS + "components.phase_burden.max",
    ]
    total = match(only("the Mechanism Risk Score is 33/100"), facts)
    assert total is not None and total.fact_id == MRS + "total"


# --- matching: dates -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fact_value", "expected"),
    [
        ("8 May 2025", "2025-05-08", "supported"),
        ("May 8, 2025", "2025-05-08", "supported"),
        ("2025-05-08", "2025-05-08", "supported"),
        ("May 2025", "2025-05-08", "supported"),
        ("2025-05", "2025-05-08", "supported"),
        ("2025", "2025-05-08", "supported"),
        ("2026", "2026-05-14", "supported"),
        ("mid-2025", "2025-05-08", "supported"),
        ("9 May 2025", "2025-05-08", "mismatch"),
        ("June 2025", "2025-05-08", "mismatch"),
        ("2024", "2025-05-08", "mismatch"),
        ("15 March 2021", "2021-03", "unsupported_precision"),
        ("15 March 2021", "2021-04", "mismatch"),
        ("March 2021", "2021-03", "supported"),
        ("March 2021", "2021", "unsupported_precision"),
        ("15 March 2021", "2021", "unsupported_precision"),
        ("15 March 2021", "2022", "mismatch"),
        ("Q2 2025", "2025-05-08", "supported"),
        ("Q2 2025", "2025-06", "supported"),
        ("Q2 2025", "2025-07-01", "mismatch"),
        ("Q2 2025", "2025", "unsupported_precision"),
        ("Q2 2025", "2024", "mismatch"),
        ("H1 2025", "2025-05-08", "supported"),
        ("on 8 May the", "2025-05-08", "supported"),
        ("on 8 May the", "2024-05-09", "mismatch"),
        ("on 8 May the", "2025-05", "unsupported_precision"),
        ("on 8 May the", "2025-06", "mismatch"),
        ("on 8 May the", "2025", "unsupported_precision"),
    ],
)
def test_date_support(text: str, fact_value: str, expected: str) -> None:
    assert status(text, make_fact("date", fact_value)) == expected


def test_dates_prefer_support_then_the_nearest() -> None:
    facts = [
        make_fact("date", "2021", "year"),
        make_fact("date", "2021-03-16", "other_day"),
        make_fact("date", "2021-03-15", "day"),
    ]
    support = match(only("15 March 2021"), facts)
    assert support is not None and support.fact_id == "test:entity:day"
    support = match(only("15 March 2021"), facts[:2])
    assert support is not None
    assert (support.status, support.fact_id) == ("unsupported_precision", "test:entity:year")
    support = match(
        only("2019"), [make_fact("date", "2010", "far"), make_fact("date", "2020", "near")]
    )
    assert support is not None and support.fact_id == "test:entity:near"
    assert match(only("2019"), [make_fact("count", 2019)]) is None


# --- matching: phases ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fact_value", "expected"),
    [
        ("Phase 2", "PHASE2", "supported"),
        ("Phase II", "PHASE2", "supported"),
        ("Phase 2", "2.0", "supported"),
        ("Phase 2", "2", "supported"),
        ("Phase 4", "4.0", "supported"),
        ("Phase 3", "PHASE2", "mismatch"),
        ("Phase 3", "2.0", "mismatch"),
        ("Phase 1/2", "PHASE1/PHASE2", "supported"),
        ("Phase I/II", "PHASE1, PHASE2", "supported"),
        ("Phase 2", "PHASE1/PHASE2", "fuzzy"),
        ("Phase 2/3", "PHASE2", "fuzzy"),
        ("Phase 1b", "PHASE1", "supported"),
        ("early phase 1", "EARLY_PHASE1", "supported"),
        ("early phase 1", "0.5", "supported"),
        ("Phase 0", "EARLY_PHASE1", "supported"),
        ("Phase 1", "EARLY_PHASE1", "mismatch"),
        ("Phase 2", "-1", "mismatch"),
        ("Phase 2", "0", "mismatch"),
        ("Phase 2", "Phase 2", "supported"),
        ("Phase 2", "NA", "mismatch"),
    ],
)
def test_phase_support(text: str, fact_value: str, expected: str) -> None:
    assert status(text, make_fact("phase", fact_value)) == expected


def test_real_phase_facts() -> None:
    phase_facts = [f for f in REAL_FACTS if f.kind == "phase"]
    support = match(only("a Phase 2 trial"), [REAL["chembl:CHEMBL4594330:max_phase"]])
    assert support is not None and support.reason == "equals ChEMBL max phase = 2.0 (PHASE2)"
    support = match(only("a Phase 2 trial"), phase_facts)
    assert support is not None and support.fact_id == "ctgov:NCT05591222:phases.0"


@pytest.mark.parametrize(
    ("value", "label"),
    [
        ("PHASE2", "PHASE2"),
        ("phase1/phase2", "PHASE1/PHASE2"),
        ("PHASE2, PHASE1", "PHASE1/PHASE2"),
        ("EARLY_PHASE1", "EARLY_PHASE1"),
        ("3.0", "PHASE3"),
        ("0.5", "EARLY_PHASE1"),
        ("-1", None),
        ("0", None),
        ("2.5", None),
        ("NA", None),
        ("Phase II/III", "PHASE2/PHASE3"),
        ("", None),
    ],
)
def test_phase_of_fact(value: str, label: str | None) -> None:
    assert phase_of_fact(value) == label


def test_phase_prose() -> None:
    assert [phase_prose(p) for p in ("PHASE2", "PHASE1/PHASE2", "EARLY_PHASE1")] == [
        "Phase 2",
        "Phase 1/2",
        "Early Phase 1",
    ]


# --- matching: ids ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "fact_value", "expected"),
    [
        ("NCT05591222", "NCT05591222", "supported"),
        ("nct05591222", "NCT05591222", "supported"),
        ("NCT05591223", "NCT05591222", "mismatch"),
        ("MONDO:0005102", "MONDO_0005102", "supported"),
        ("EFO_0000540", "EFO:0000540", "supported"),
        ("ENSG00000239961.12", "ENSG00000239961", "supported"),
        ("HGNC:15503", "HGNC:15503", "supported"),
        ("2022-000831-21", "2022-000831-21", "supported"),
        ("CHEMBL4594330", "CHEMBL459433", "mismatch"),
    ],
)
def test_id_support(text: str, fact_value: str, expected: str) -> None:
    assert status(text, make_fact("id", fact_value)) == expected


def test_an_id_mismatch_names_an_id_of_the_same_kind() -> None:
    facts = [make_fact("id", "ENSG00000239961", "gene"), make_fact("id", "NCT05591222", "trial")]
    support = match(only("NCT05591223"), facts)
    assert support is not None and support.fact_id == "test:entity:trial"


# --- check_text: the drafting validator ------------------------------------------------------

HANDLES = {
    "ctgov:NCT05591222:enrollment": "F3",
    "ctgov:NCT05591222:primary_completion_date": "F4",
    "ctgov:NCT05591222:phases.0": "F5",
}


def test_check_text_passes_a_supported_paragraph() -> None:
    cited = [REAL[i] for i in HANDLES]
    text = (
        "The trial randomized 72 participants in a Phase II study, with primary completion "
        "on 8 May 2025."
    )
    assert check_text(text, cited, HANDLES) == []


def test_check_text_names_the_cited_facts() -> None:
    (problem,) = check_text("The trial randomized 73 participants.", [ENROLLMENT], HANDLES)
    assert problem.message == (
        'the number "73" is not in any cited fact (cited: F3 Enrollment = 72 participants)'
    )
    assert problem.anchor.text == "73" and problem.support is not None
    assert problem.support.status == "mismatch"


def test_check_text_without_handles_uses_fact_ids() -> None:
    (problem,) = check_text("73 participants", [ENROLLMENT])
    assert "ctgov:NCT05591222:enrollment Enrollment = 72 participants" in problem.message


def test_check_text_when_nothing_of_the_type_is_cited() -> None:
    (problem,) = check_text("on 8 May 2025", [ENROLLMENT], HANDLES)
    assert problem.support is None
    assert (
        problem.message == 'the date "8 May 2025" is not in any cited fact (no date fact is cited)'
    )


def test_check_text_accepts_honest_rounding_only() -> None:
    assert check_text("a score of 0.09", [ASSOCIATION]) == []
    assert check_text("approximately 9 percent", [ASSOCIATION]) == []
    (problem,) = check_text("a score of 13.7", [make_fact("score", 13.62, "deficit")])
    assert problem.support is not None and problem.support.status == "fuzzy"
    assert problem.message == (
        'the number "13.7" is not in any cited fact: the nearest, test:entity:deficit deficit = '
        '13.62, rounds to "13.6"'
    )


def test_check_text_says_how_to_write_a_date_at_the_facts_precision() -> None:
    started = make_fact("date", "2021-03", "start", label="Start date")
    handles = {started.id: "F2"}
    (problem,) = check_text("The trial started on 15 March 2021.", [started], handles)
    assert problem.support is not None and problem.support.status == "unsupported_precision"
    assert problem.message == (
        'the date "15 March 2021" is more precise than the cited fact (F2 Start date = 2021-03): '
        'write "March 2021" or cite a fact that gives the day'
    )
    (problem,) = check_text("started 2021-03-15", [started], handles)
    assert 'write "2021-03"' in problem.message


def test_check_text_says_how_to_write_a_partial_phase() -> None:
    combined = make_fact("phase", "PHASE1/PHASE2", "phase", label="Phase")
    (problem,) = check_text("a Phase 2 trial", [combined], {combined.id: "F1"})
    assert problem.message == (
        'the phase "Phase 2" only overlaps the cited phase (F1 Phase = PHASE1/PHASE2): '
        'write "Phase 1/2"'
    )
    single = make_fact("phase", "2.0", "max_phase", label="ChEMBL max phase")
    (problem,) = check_text("a Phase 2/3 trial", [single], {single.id: "F2"})
    assert problem.message == (
        'the phase "Phase 2/3" only overlaps the cited phase (F2 ChEMBL max phase = 2.0): '
        'write "Phase 2"'
    )


def test_check_text_lists_a_few_cited_facts_nearest_first() -> None:
    cited = [make_fact("count", v, f"c{v}") for v in (1, 50, 70, 75, 1000)]
    (problem,) = check_text("73 participants", cited)
    assert problem.message == (
        'the number "73" is not in any cited fact (cited: test:entity:c75 c75 = 75; '
        "test:entity:c70 c70 = 70; test:entity:c50 c50 = 50; and 2 more)"
    )


def test_a_percentage_lists_fractions_nearest_first() -> None:
    cited = [make_fact("count", 50, "count"), make_fact("score", 0.55, "rate"), ASSOCIATION]
    (problem,) = check_text("at 50 percent enrollment", cited)
    assert problem.support is not None and problem.support.fact_id == "test:entity:rate"
    assert problem.message.startswith(
        'the number "50 percent" is not in any cited fact (cited: test:entity:rate rate = 0.55; '
        "opentargets:"
    )


def test_check_text_on_the_reference_article() -> None:
    """With every real fact cited, what is left is what the article says beyond the facts:
    publication years, other trials' phases, design numbers."""
    handles = {f.id: f"F{i}" for i, f in enumerate(REAL_FACTS)}
    problems = check_text(seed_paragraph("Amgen ran NCT05591222"), REAL_FACTS, handles)
    assert [p.anchor.text for p in problems] == ["2023"]
    problems = check_text(seed_paragraph("LILRA4 (ILT7) is one of"), REAL_FACTS, handles)
    assert [p.anchor.text for p in problems] == ["2006", "2016", "Phase 1b", "2021"]


def test_fact_index_answers_like_match() -> None:
    index = FactIndex(REAL_FACTS)
    for anchor in extract_anchors("\n".join(SEED)):
        assert index.match(anchor) == match(anchor, REAL_FACTS)


# --- property: rendered facts are found and supported by their own fact only ---------------

ONES = [
    *("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
    *("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"),
    *("eighteen", "nineteen"),
]
TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def in_words(n: int) -> str:
    """English words for 0..9999, as prose writes them ("one hundred and five")."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10 - 2] + (f"-{ONES[n % 10]}" if n % 10 else "")
    if n < 1000:
        rest = f" and {in_words(n % 100)}" if n % 100 else ""
        return f"{ONES[n // 100]} hundred{rest}"
    rest = n % 1000
    tail = "" if not rest else f" and {in_words(rest)}" if rest < 100 else f" {in_words(rest)}"
    return f"{in_words(n // 1000)} thousand{tail}"


def rounded(value: float, decimals: int) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_UP)


def assert_only_own_fact_supports(text: str, own: Fact, other: Fact) -> None:
    anchors = extract_anchors(text)
    assert len(anchors) == 1, listing(text)
    assert check_text(text, [own]) == [], (text, own.value)
    problems = check_text(text, [other])
    assert [p.anchor for p in problems] == anchors, (text, own.value, other.value)


@given(
    value=st.integers(min_value=0, max_value=2_000_000),
    other=st.integers(min_value=0, max_value=2_000_000),
    style=st.sampled_from(["digits", "grouped", "words"]),
)
def test_counts_render_and_match(value: int, other: int, style: str) -> None:
    assume(value != other)
    if style == "words":
        assume(1 < value < 10_000)
        written = in_words(value)
    else:
        written = f"{value:,}" if style == "grouped" else str(value)
    assume(not (style == "digits" and 1900 <= value <= 2100))  # a bare year-like number
    text = f"The trial randomized {written} participants."
    assert_only_own_fact_supports(text, make_fact("count", value), make_fact("count", other))


@given(
    value=st.floats(min_value=-1000, max_value=1000, allow_nan=False),
    other=st.floats(min_value=-1000, max_value=1000, allow_nan=False),
    decimals=st.integers(min_value=0, max_value=3),
    signed=st.booleans(),
)
def test_scores_render_rounded_and_match(
    value: float, other: float, decimals: int, signed: bool
) -> None:
    written = rounded(abs(value) if not signed else value, decimals)
    assume(written != 0 or value == 0)  # "0" for a non-zero value is never support
    assume(abs(rounded(abs(other), decimals) - abs(written)) > Decimal(1).scaleb(-decimals))
    text = f"The score was {format(written, 'f').replace('-', '−')} points."
    assert_only_own_fact_supports(text, make_fact("score", value), make_fact("score", other))


@given(
    value=st.floats(min_value=0, max_value=1, allow_nan=False),
    other=st.floats(min_value=0, max_value=1, allow_nan=False),
    decimals=st.integers(min_value=0, max_value=1),
    form=st.sampled_from(["{} percent", "{}%", "{} per cent"]),
)
def test_fractions_render_as_percentages_and_match(
    value: float, other: float, decimals: int, form: str
) -> None:
    written = rounded(value * 100, decimals)
    assume(written != 0 or value == 0)
    assume(abs(rounded(other * 100, decimals) - written) > Decimal(1).scaleb(-decimals))
    text = "The success rate sits at approximately " + form.format(written) + "."
    assert_only_own_fact_supports(text, make_fact("score", value), make_fact("score", other))


MONTHS = [date(2000, m, 1).strftime("%B") for m in range(1, 13)]


def render_date(day: date, precision: str, style: int) -> str:
    month = MONTHS[day.month - 1]
    if precision == "year":
        return [f"{day.year}", f"mid-{day.year}"][style % 2]
    if precision == "month":
        return [f"{month} {day.year}", f"{day:%Y-%m}", f"{month[:3]} {day.year}"][style % 3]
    return [
        f"{day.day} {month} {day.year}",
        f"{month} {day.day}, {day.year}",
        f"{day:%Y-%m-%d}",
        f"the {day.day}th of {month}, {day.year}",
    ][style % 4]


@given(
    day=st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31)),
    shift=st.integers(min_value=1, max_value=4000),
    fact_precision=st.sampled_from(["year", "month", "day"]),
    text_precision=st.sampled_from(["year", "month", "day"]),
    style=st.integers(min_value=0, max_value=11),
)
def test_dates_render_at_any_precision_the_fact_has(
    day: date, shift: int, fact_precision: str, text_precision: str, style: int
) -> None:
    order = ["year", "month", "day"]
    assume(order.index(text_precision) <= order.index(fact_precision))
    width = {"year": 4, "month": 7, "day": 10}
    own = make_fact("date", day.isoformat()[: width[fact_precision]])
    other_day = day + timedelta(days=shift)
    cut = width[text_precision]
    assume(other_day.isoformat()[:cut] != day.isoformat()[:cut])
    other = make_fact("date", other_day.isoformat()[: width[fact_precision]])
    text = f"The trial was posted in {render_date(day, text_precision, style)}; see above."
    assert_only_own_fact_supports(text, own, other)


PHASE_FORMS: dict[str, list[str]] = {
    "EARLY_PHASE1": ["early phase 1", "Early Phase I", "Phase 0"],
    "PHASE1": ["Phase 1", "Phase I", "phase 1b"],
    "PHASE1/PHASE2": ["Phase 1/2", "Phase I/II", "Phase 1b/2"],
    "PHASE2": ["Phase 2", "Phase II", "phase 2a", "Phase-2"],
    "PHASE2/PHASE3": ["Phase 2/3", "Phase II/III", "Phase 2b/3"],
    "PHASE3": ["Phase 3", "Phase III"],
    "PHASE4": ["Phase 4", "Phase IV"],
}
CHEMBL_PHASE = {"EARLY_PHASE1": "0.5", "PHASE1": "1.0", "PHASE2": "2.0", "PHASE3": "3.0"}


@given(
    phase=st.sampled_from(PHASE_ORDER),
    other=st.sampled_from(PHASE_ORDER),
    style=st.integers(min_value=0, max_value=3),
    chembl=st.booleans(),
)
def test_phases_render_and_match(phase: str, other: str, style: int, chembl: bool) -> None:
    assume(phase != other)
    forms = PHASE_FORMS[phase]
    value = CHEMBL_PHASE.get(phase, phase) if chembl else phase
    text = f"Amgen ran it as a {forms[style % len(forms)]} study."
    assert_only_own_fact_supports(text, make_fact("phase", value), make_fact("phase", other))


ID_FORMS: dict[str, tuple[str, int]] = {
    "NCT{}": ("nct{}", 8),
    "CHEMBL{}": ("chembl{}", 7),
    "ENSG{}": ("ENSG{}.3", 11),
    "MONDO_{}": ("MONDO:{}", 7),
    "EFO_{}": ("efo_{}", 7),
    "HGNC:{}": ("hgnc:{}", 5),
}


@given(
    form=st.sampled_from(sorted(ID_FORMS)),
    digits=st.integers(min_value=0, max_value=10**11 - 1),
    other_digits=st.integers(min_value=0, max_value=10**11 - 1),
    variant=st.booleans(),
)
def test_ids_render_and_match(form: str, digits: int, other_digits: int, variant: bool) -> None:
    written_form, width = ID_FORMS[form]
    number, other_number = (f"{d % 10**width:0{width}d}" for d in (digits, other_digits))
    assume(number != other_number)
    written = (written_form if variant else form).format(number)
    text = f"The record ({written}) lists it."
    own = make_fact("id", form.format(number))
    assert_only_own_fact_supports(text, own, make_fact("id", form.format(other_number)))


def test_in_words_renders_like_prose() -> None:
    assert {n: in_words(n) for n in (9, 72, 105, 1204, 2000, 9999)} == {
        9: "nine",
        72: "seventy-two",
        105: "one hundred and five",
        1204: "one thousand two hundred and four",
        2000: "two thousand",
        9999: "nine thousand nine hundred and ninety-nine",
    }
