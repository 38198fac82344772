"""drafter.validate beyond the anchors: what a section may hold besides supported numbers."""

from __future__ import annotations

import pytest

from drafter.facts import Fact, FactKind, FactValue, precision_of
from drafter.framing import failure_words
from drafter.section_models import HeadlineText, Paragraph, SectionText
from drafter.validate import (
    MAX_PARAGRAPH_CHARS,
    MAX_PARAGRAPHS,
    echoed_source,
    invisible_characters,
    problems_of,
    without_verbatim_names,
    without_verbatim_quotes,
)

WHY = "Sponsor business decision, not related to safety concerns."


def fact(name: str, kind: FactKind, value: FactValue) -> Fact:
    return Fact(
        id=f"test:trial:{name}",
        kind=kind,
        label=name.replace("_", " "),
        value=value,
        precision=precision_of(kind, value),
        source="test",
        formula="given by the test",
        untrusted=kind == "quote",
    )


FACTS = {
    "F1": fact("enrollment", "count", 72),
    "F2": fact("why_stopped", "quote", WHY),
    "F3": fact("intervention", "text", "Toca 511"),
    "F4": fact("association", "score", 0.092),
    "F5": fact("brief_title", "quote", "A Study of Daxdilimab in Participants With Discoid Lupus"),
}


def section(*paragraphs: tuple[str, list[str], str, str]) -> SectionText:
    return SectionText(
        paragraphs=[
            Paragraph.model_validate({"text": text, "cites": cites, "kind": kind, "grade": grade})
            for text, cites, kind, grade in paragraphs
        ]
    )


def problems(output: SectionText | HeadlineText, *, framing: str = "failure") -> list[str]:
    return problems_of(output, FACTS, analytic=True, framing=framing)  # type: ignore[arg-type]


def test_a_valid_section_has_no_problems() -> None:
    assert (
        problems(section(("The trial enrolled 72 participants.", ["F1"], "fact", "documented")))
        == []
    )


def test_a_fact_paragraph_must_cite() -> None:
    found = problems(section(("The sponsor ended the trial.", [], "fact", "inferred")))
    assert found == ["paragraph 1 is a fact paragraph but cites no fact"]


def test_empty_paragraphs_are_refused() -> None:
    assert "paragraph 1 is empty" in problems(section(("  ", ["F1"], "fact", "documented")))


@pytest.mark.parametrize(
    "hidden",
    ["\u202e", "\u200b", "\u200d", "\u2066", "\x1b", "\ue000"],
    ids=["rtl-override", "zero-width-space", "zwj", "isolate", "escape", "private-use"],
)
def test_invisible_characters_are_refused(hidden: str) -> None:
    text = f"The trial enrolled 72{hidden} participants."
    assert invisible_characters(text) == [f"U+{ord(hidden):04X}"]
    found = problems(section((text, ["F1"], "fact", "documented")))
    assert any("invisible or control characters" in p for p in found)


def test_newlines_and_tabs_are_not_invisible() -> None:
    assert invisible_characters("line one\n\tline two") == []


def test_fullwidth_digits_are_read_as_digits() -> None:
    found = problems(
        section(("The trial enrolled ７３ participants.", ["F1"], "fact", "documented"))
    )
    assert any('"73"' in p for p in found), found
    ok = problems(section(("The trial enrolled ７２ participants.", ["F1"], "fact", "documented")))
    assert ok == []


def test_lengths_are_bounded() -> None:
    long = "The trial enrolled 72 participants. " * (MAX_PARAGRAPH_CHARS // 30)
    assert any(
        "characters; at most" in p for p in problems(section((long, ["F1"], "fact", "documented")))
    )
    many = section(*[("72 participants.", ["F1"], "fact", "documented")] * (MAX_PARAGRAPHS + 1))
    assert any("paragraphs; write at most" in p for p in problems(many))
    headline = HeadlineText(
        headline="x" * 201, dek="The trial enrolled 72 participants.", cites=["F1"]
    )
    assert any(p.startswith("the headline has 201 characters") for p in problems(headline))


# --- quotations --------------------------------------------------------------------------------


def test_a_verbatim_quotation_is_the_sources_words() -> None:
    text = f"The registry says “{WHY}”"
    assert without_verbatim_quotes(text, [FACTS["F2"]]).strip() == "The registry says"
    three_words = "The sponsor called it a “business decision, not” matter."
    assert "business" not in without_verbatim_quotes(three_words, [FACTS["F2"]])


@pytest.mark.parametrize(
    "quoted",
    ["“72”", "“safety”", "“decision, not”", "“ness decision, not rel”"],
    ids=["a-number", "one-word", "two-words", "not-on-word-boundaries"],
)
def test_short_or_partial_quotations_are_drafters_words(quoted: str) -> None:
    text = f"The sponsor wrote {quoted} here."
    assert without_verbatim_quotes(text, [FACTS["F2"], fact("n", "quote", "enrolled 72")]) == text


def test_a_number_inside_a_short_quotation_is_still_checked() -> None:
    quote = fact("note", "quote", "the trial enrolled 1,204 patients in 2019")
    handled = {"F1": FACTS["F1"], "F9": quote}
    text = "The note says “1,204”."
    found = problems_of(
        section((text, ["F9"], "fact", "documented")), handled, analytic=True, framing="failure"
    )
    assert any('"1,204"' in p for p in found), found


# --- names with digits -------------------------------------------------------------------------


def test_a_cited_name_with_digits_is_a_name() -> None:
    text = "The trial tested Toca 511 in 72 participants."
    assert "511" not in without_verbatim_names(text, [FACTS["F3"]])
    assert problems(section((text, ["F1", "F3"], "fact", "documented"))) == []


def test_an_uncited_name_is_still_read_as_numbers() -> None:
    found = problems(section(("The trial tested Toca 511.", ["F1"], "fact", "documented")))
    assert any('"511"' in p for p in found), found


def test_names_count_only_on_word_boundaries() -> None:
    assert without_verbatim_names("Toca 5110 here", [FACTS["F3"]]) == "Toca 5110 here"


# --- echoes of source text ---------------------------------------------------------------------


def test_source_text_outside_quotes_is_an_echo() -> None:
    text = "The sponsor made a business decision, not related to safety concerns, it said."
    assert echoed_source(text, [FACTS["F2"]]) == "business decision not related to safety"
    found = problems(section((text, ["F2"], "fact", "documented")))
    assert any("repeats source text" in p for p in found), found


def test_quoted_source_text_is_no_echo() -> None:
    text = f"The registry gives the reason as “{WHY}”"
    assert problems(section((text, ["F2"], "fact", "documented"))) == []


def test_an_uncited_untrusted_fact_is_still_an_echo() -> None:
    text = "It ended with a business decision, not related to safety concerns, said Amgen."
    found = problems(section((text, ["F1"], "fact", "inferred")))
    assert any("repeats source text" in p for p in found), found


def test_a_titles_stock_phrasing_is_no_echo() -> None:
    # titles share registry phrasing with any plain description of the trial
    text = "It was a study of daxdilimab in participants with discoid lupus, the sponsor said."
    assert not [p for p in problems(section((text, ["F1"], "fact", "inferred"))) if "repeats" in p]


def test_five_shared_words_are_no_echo() -> None:
    assert echoed_source("a business decision, not related to it", [FACTS["F2"]]) is None


# --- failure framing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "The trial failed.",
        "Daxdilimab flunked in discoid lupus.",
        "The program hit a dead end.",
        "The drug was ineffective.",
        "It did not pan out.",
        "The study missed its primary endpoint.",
        "A disappointing readout ended the program.",
        "No one doubts that the mechanism failed.",
        "The failure of the trial is clear.",
    ],
)
def test_failure_words(text: str) -> None:
    assert failure_words(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The record documents no scientific failure.",
        "This was not a failure.",
        "The drug did not fail; the sponsor stopped it.",
        "It missed its enrollment target.",
        "A heart failure trial.",
        "The failure burden of the pair is low.",
        "Three documented failures sit on this target.",
        "Related failure claims share its failure type.",
        "Did the mechanism fail, or did the money run out?",
    ],
)
def test_not_failure_words(text: str) -> None:
    assert failure_words(text) == [], text


def test_no_failure_framing_covers_every_paragraph_but_editor_notes() -> None:
    body = section(
        ("The trial failed after enrolling 72 participants.", ["F1"], "fact", "inferred"),
        ("pDC depletion may have failed to matter.", [], "background", "speculative"),
        ("EDITOR: say whether the mechanism failed.", [], "editor", "speculative"),
    )
    found = problems(body, framing="no_scientific_failure")
    assert [p.split(" calls")[0] for p in found if "calls the trial a failure" in p] == [
        "paragraph 1",
        "paragraph 2",
    ]
    assert not [p for p in problems(body) if "calls the trial a failure" in p]


def test_a_failure_word_inside_a_verbatim_quote_is_the_sources() -> None:
    quote = fact("press", "quote", "the company said the trial failed to enroll enough patients")
    handled = {"F1": FACTS["F1"], "F9": quote}
    text = "A report says “the trial failed to enroll enough patients”."
    found = problems_of(
        section((text, ["F9"], "fact", "documented")),
        handled,
        analytic=True,
        framing="no_scientific_failure",
    )
    assert found == []


# --- found by a hostile review -----------------------------------------------------------------


def test_source_text_with_numbers_is_no_name() -> None:
    press = fact("press_quote", "quote", "Enrollment halted at 40 patients in 2023")
    handled = {**FACTS, "F6": press}
    text = "The trial enrolled 72 participants; enrollment halted at 40 patients in 2023, it said."
    found = problems_of(
        section((text, ["F1", "F6"], "fact", "documented")),
        handled,
        analytic=True,
        framing="failure",
    )
    assert any('"40"' in p for p in found), found
    quoted = "The trial enrolled 72 participants; “Enrollment halted at 40 patients in 2023”."
    assert (
        problems_of(
            section((quoted, ["F1", "F6"], "fact", "documented")),
            handled,
            analytic=True,
            framing="failure",
        )
        == []
    )


@pytest.mark.parametrize(
    "text",
    [
        "The trial fa\u034filed.",  # combining grapheme joiner
        "The trial fa\ufe0filed.",  # variation selector
        "The trial enrolled 72\u0338 participants.",  # a combining slash over a digit
    ],
)
def test_default_ignorable_and_stray_combining_marks_are_invisible(text: str) -> None:
    assert invisible_characters(text)


def test_look_alike_letters_of_another_alphabet_are_refused() -> None:
    found = problems(section(("The trial f\u0430iled.", [], "background", "speculative")))
    assert any("look-alike letters" in p for p in found), found


@pytest.mark.parametrize("numeral", ["፸፫", "Ⅻ", "〸"])
def test_numerals_the_checks_cannot_read_are_refused(numeral: str) -> None:
    text = f"The trial enrolled {numeral} participants."
    found = problems(section((text, ["F1"], "fact", "documented")))
    assert any("write them in digits" in p or "not in any cited fact" in p for p in found), found


@pytest.mark.parametrize(
    "text",
    [
        "The trial didn’t work.",
        "The trial didn’t pan out.",
        "The trial did not meet its primary endpoint.",
        "The drug showed no efficacy.",
        "The drug was not effective.",
        "The trial was a fiasco.",
        "The results were negative.",
        "The drug never worked.",
        "The trial failed, did it not?",
        "The drug failed.Why?",
    ],
)
def test_more_ways_of_calling_it_a_failure(text: str) -> None:
    assert failure_words(text), text


@pytest.mark.parametrize(
    "text",
    [
        "The trial stopped after a failure to recruit participants.",
        "The sponsor failed to enroll enough participants.",
        "There is no evidence the trial failed.",
        "Nothing in the record shows that the drug failed.",
        "The sponsor did not say the trial failed.",
        "The record does not call this a failure.",
        "It would be wrong to call this a failure.",
        "The stop was not due to futility.",
        "The sponsor said the stop was unrelated to safety or futility.",
        "The stop was a business setback, not a scientific one.",
    ],
)
def test_accurate_no_failure_prose_is_accepted(text: str) -> None:
    assert failure_words(text) == [], text
