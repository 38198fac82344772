"""draft.md read back: an editor's edited article re-aligned to draft.json, paragraph by
paragraph, with the facts each one rests on; and an editor-supplied file that cannot be trusted
to be Markdown, small, or sane."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drafter import bundled
from drafter.bundle import Bundle
from drafter.draft import draft_trial
from drafter.draft_markdown import (
    MAX_MARKDOWN_BYTES,
    AlignedMarkdown,
    MarkdownParagraph,
    align_markdown,
)
from drafter.draft_model import CitedParagraph, Draft, SourceNumbers
from drafter.errors import EXIT_BAD_INPUT, DrafterError, MarkdownTooLarge
from drafter.markdown_parse import MAX_LINES, MAX_PARAGRAPHS, plain_text
from drafter.render import markdown_text, render_markdown
from drafter.terminal import safe_text
from drafter.writers.offline import OfflineWriter

NCT = "NCT05591222"
Drafted = Callable[[str], tuple[Draft, str]]


def bundled_trials() -> list[str]:
    """Every trial the offline snapshot answers for (a 200 for /studies/NCT…)."""
    manifest = bundled.read_json(bundled.SNAPSHOT / "ctgov" / "manifest.json")
    paths = [e["request"]["path"] for e in manifest["entries"] if e["status"] == 200]
    return sorted({p.rsplit("/", 1)[1] for p in paths if re.fullmatch(r"/studies/NCT\d{8}", p)})


@pytest.fixture(scope="session")
def drafted(bundle_of: Callable[[str], Bundle]) -> Drafted:
    """A trial's offline draft and its draft.md, made once a session."""
    made: dict[str, tuple[Draft, str]] = {}

    def make(nct_id: str) -> tuple[Draft, str]:
        if nct_id not in made:
            draft = draft_trial(bundle_of(nct_id), OfflineWriter())
            made[nct_id] = draft, render_markdown(draft)
        return made[nct_id]

    return make


@pytest.fixture(scope="session")
def reference(drafted: Drafted) -> tuple[Draft, str]:
    return drafted(NCT)


def flat(text: str) -> str:
    return " ".join(text.split())


def in_section(result: AlignedMarkdown, key: str) -> list[MarkdownParagraph]:
    return [p for p in result.paragraphs if p.section_key == key]


def matched(result: AlignedMarkdown, key: str, index: int) -> list[MarkdownParagraph]:
    return [p for p in in_section(result, key) if p.matched_index == index]


def section(draft: Draft, key: str) -> list[CitedParagraph]:
    return next(s for s in draft.sections if s.key == key).paragraphs


# --- an unedited draft.md reads back as draft.json -----------------------------------------------


def test_every_bundled_trial_is_tried() -> None:
    assert len(bundled_trials()) >= 28 and NCT in bundled_trials()


@pytest.mark.parametrize("nct_id", bundled_trials())
def test_an_unedited_draft_reads_back_exactly(drafted: Drafted, nct_id: str) -> None:
    draft, markdown = drafted(nct_id)
    result = align_markdown(markdown, draft)
    assert result.unaligned_headings == [] and result.missing_sections == []
    expected = {
        "headline": [(draft.headline, draft.headline_cites)],
        "dek": [(draft.dek, draft.headline_cites)] if draft.dek else [],
        "conflicts": [(c.note, c.facts) for c in draft.conflicts],
    }
    expected |= {s.key: [(p.text, p.cites) for p in s.paragraphs] for s in draft.sections}
    for key, paragraphs in expected.items():
        for index, (text, cites) in enumerate(paragraphs):
            found = matched(result, key, index)
            assert len(found) == 1, (key, index)
            assert (found[0].text, found[0].cites) == (flat(text), cites), (key, index)
            assert found[0].cites_from == "aligned" and found[0].similarity == 1
    numbers = SourceNumbers(draft)
    for paragraph in result.paragraphs:
        if paragraph.kind == "fact" and paragraph.section_key != "dek":
            assert paragraph.markers == numbers.of(paragraph.cites), paragraph
    # everything else the template adds (conflict labels, the table header, the related-claims
    # intro, "No score") is no paragraph of draft.json, and cites nothing
    for paragraph in result.paragraphs:
        if paragraph.cites_from != "aligned":
            assert paragraph.kind in ("conflict", "table", "computed") and not paragraph.markers
            assert paragraph.cites == [] and paragraph.cites_from == "none"


def test_the_computed_sections_keep_the_drafts_cites(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    result = align_markdown(markdown, draft)
    assert draft.mrs is not None
    mrs = {p.matched_index: p for p in in_section(result, "mrs") if p.matched_index is not None}
    for index, row in enumerate(draft.mrs.rows):
        assert mrs[index].cites == [row.fact, row.maximum_fact] and mrs[index].kind == "table"
    total = mrs[len(draft.mrs.rows)]
    assert total.text == "Mechanism Risk Score | 33 / 100 (YELLOW)"
    assert any(c.endswith(":total") for c in total.cites)
    sentence = mrs[len(draft.mrs.rows) + 1]
    assert sentence.kind == "computed" and set(draft.mrs.summary_cites) <= set(sentence.cites)
    assert sentence.markers == [8] and "[8]" not in sentence.text
    sources = in_section(result, "sources")
    assert [p.matched_index for p in sources] == list(range(len(draft.sources)))
    assert all(p.kind == "list" and p.cites for p in sources)
    assert sources[0].text.startswith("ClinicalTrials.gov — GET ")
    claims = [c for group in draft.related for c in group.claims]
    related = [p for p in in_section(result, "related_claims") if p.kind == "list"]
    assert [p.cites for p in related] == [[c.fact] for c in claims]
    assert related[0].subheading == "Same failure type"


def test_where_each_paragraph_stands(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    result = align_markdown(markdown, draft)
    lines = markdown.split("\n")
    for paragraph in result.paragraphs:
        assert markdown[paragraph.start : paragraph.end] == "\n".join(
            lines[paragraph.line - 1 : paragraph.end_line]
        )
    first = matched(result, "what_was_tried", 0)[0]
    assert lines[first.line - 1].startswith("NCT05591222 was a Phase 2")
    assert first.heading == "What was tried" and first.grade == "documented"


# --- edits ---------------------------------------------------------------------------------------


def test_a_changed_number_keeps_the_paragraphs_cites(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    edited = markdown.replace("It enrolled 72 participants", "It enrolled 27 participants")
    assert edited != markdown
    found = matched(align_markdown(edited, draft), "what_was_tried", 1)
    assert len(found) == 1 and found[0].text.startswith("It enrolled 27 participants")
    assert found[0].cites == section(draft, "what_was_tried")[1].cites
    assert found[0].cites_from == "aligned" and 0.9 < found[0].similarity < 1


def test_swapped_paragraphs_keep_their_own_cites(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    first, second = (markdown_text(p.text) for p in section(draft, "what_was_tried")[:2])
    start, end = markdown.index(first), markdown.index(second)
    first_block = markdown[start : markdown.index("\n", start)]
    second_block = markdown[end : markdown.index("\n", end)]
    edited = markdown.replace(first_block, "\0").replace(second_block, first_block)
    result = align_markdown(edited.replace("\0", second_block), draft)
    written = in_section(result, "what_was_tried")
    assert [p.matched_index for p in written] == [1, 0, 2]
    originals = section(draft, "what_was_tried")
    assert [p.cites for p in written] == [
        originals[1].cites,
        originals[0].cites,
        originals[2].cites,
    ]


def test_a_renamed_heading_still_names_its_section(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    result = align_markdown(markdown.replace("## What was tried", "## What Was Tried?"), draft)
    heading = next(h for h in result.headings if h.heading == "What Was Tried?")
    assert heading.section_key == "what_was_tried" and 0.8 <= heading.similarity < 1
    assert result.unaligned_headings == [] and result.missing_sections == []
    written = in_section(result, "what_was_tried")
    assert [p.cites for p in written] == [p.cites for p in section(draft, "what_was_tried")]
    assert {p.heading for p in written} == {"What Was Tried?"}


def test_a_new_paragraph_is_cited_by_its_markers(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    added = "Analysts expected a readout in the spring, said a source. [7] _(inferred)_"
    edited = markdown.replace("## What was tried\n", f"## What was tried\n\n{added}\n", 1)
    result = align_markdown(edited, draft)
    new = next(p for p in in_section(result, "what_was_tried") if p.text.startswith("Analysts"))
    assert new.text == "Analysts expected a readout in the spring, said a source."
    assert new.markers == [7] and new.grade == "inferred" and new.kind == "fact"
    assert new.cites_from == "markers" and new.matched_index is None and new.cites
    numbers = SourceNumbers(draft)
    assert all(numbers.of([fact]) == [7] for fact in new.cites)
    # the draft's own paragraphs are still matched, one each
    assert [p.matched_index for p in in_section(result, "what_was_tried")] == [None, 0, 1, 2]


def test_a_new_paragraph_without_markers_cites_nothing(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    edited = markdown.replace("## Open questions\n", "## Open questions\n\nA new thought.\n", 1)
    new = next(p for p in align_markdown(edited, draft).paragraphs if p.text == "A new thought.")
    assert (new.cites, new.cites_from, new.section_key) == ([], "none", "open_questions")


def test_a_deleted_section_is_reported_missing(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    start = markdown.index("## How to prevent this next time")
    end = markdown.index("## What this means for similar programs")
    result = align_markdown(markdown[:start] + markdown[end:], draft)
    assert result.missing_sections == ["prevention"]
    assert in_section(result, "prevention") == [] and result.unaligned_headings == []


def test_an_unknown_heading_is_reported(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    edited = markdown.replace(
        "## Sources\n", "## A word from the editor\n\nShort. [1]\n\n## Sources\n"
    )
    result = align_markdown(edited, draft)
    assert [(h.heading, h.section_key) for h in result.unaligned_headings] == [
        ("A word from the editor", None)
    ]
    assert edited.split("\n")[result.unaligned_headings[0].line - 1] == "## A word from the editor"
    aside = next(p for p in result.paragraphs if p.heading == "A word from the editor")
    assert aside.section_key is None and aside.cites_from == "markers" and aside.markers == [1]
    assert result.missing_sections == []


def test_a_split_paragraph_keeps_its_cites_in_both_halves(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    edited = markdown.replace(
        "It started on 12 October 2022. Primary completion",
        "It started on 12 October 2022. [1] _(documented)_\n\nPrimary completion",
    )
    written = in_section(align_markdown(edited, draft), "what_was_tried")
    cites = section(draft, "what_was_tried")[1].cites
    assert [p.matched_index for p in written] == [0, 1, 1, 2]
    assert written[1].cites == written[2].cites == cites


def test_merged_paragraphs_keep_both_cites(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    first, second = (markdown_text(p.text) for p in section(draft, "what_was_tried")[1:3])
    edited = re.sub(
        re.escape(first) + r" \[1\] _\(documented\)_\n\n" + re.escape(second),
        lambda _: f"{first} {second}",
        markdown,
    )
    assert edited != markdown
    written = in_section(align_markdown(edited, draft), "what_was_tried")
    assert len(written) == 2
    originals = section(draft, "what_was_tried")
    assert {written[1].matched_index, *written[1].merged_indices} == {1, 2}
    assert set(written[1].cites) == set(originals[1].cites) | set(originals[2].cites)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("Ratio 2 \\* 3 \\[sic\\] &lt;5 &amp; \\_x\\_", "Ratio 2 * 3 [sic] <5 & _x_"),
        ("**Bold** and _italic_ and `code`", "Bold and italic and code"),
        (
            "[a link](https://example.org) and <https://example.org/x>",
            "a link and https://example.org/x",
        ),
        ("\\&gt; quoted, 1\\. listed, \\# hashed", "> quoted, 1. listed, # hashed"),
        ("snake_case stays, so does 2*3", "snake_case stays, so does 2*3"),
        # entities need their ";"; "\\&lt;" is how markdown_text prints a "<" it escaped
        ("&not=1 &unknown; \\&lt;", "&not=1 &unknown; <"),
    ],
)
def test_markdown_is_read_as_plain_text(written: str, read: str) -> None:
    assert plain_text(written) == read


def test_escapes_in_an_edited_paragraph_are_undone(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    original = markdown_text(section(draft, "what_was_tried")[1].text)
    edited = markdown.replace(original, original + " Dose \\*2\\* \\[per arm\\] &lt;10 mg.")
    found = matched(align_markdown(edited, draft), "what_was_tried", 1)[0]
    assert found.text.endswith("Dose *2* [per arm] <10 mg.") and found.markers == [1]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_plain_text_undoes_markdown_text(text: str) -> None:
    """All but the control characters and bidi overrides, which the article never shows."""
    assert plain_text(markdown_text(text)) == flat(safe_text(text))


# --- kinds ---------------------------------------------------------------------------------------


def test_each_kind_of_paragraph_is_told_apart(reference: tuple[Draft, str]) -> None:
    draft, _ = reference
    tried = next(s for s in draft.sections if s.key == "what_was_tried")
    background = CitedParagraph(
        text="Anti-X agents *often* fail.", cites=[], kind="background", grade="speculative"
    )
    hypothesis = next(s for s in draft.sections if s.key == "biological_hypothesis")
    variant = draft.model_copy(
        update={
            "headline_status": "needs_editor",
            "sections": [
                hypothesis.model_copy(update={"paragraphs": [*hypothesis.paragraphs, background]})
                if s.key == "biological_hypothesis"
                else tried.model_copy(update={"status": "needs_editor", "reason": "73 ≠ 72"})
                if s is tried
                else s
                for s in draft.sections
            ],
        }
    )
    result = align_markdown(render_markdown(variant), variant)
    assert result.missing_sections == []
    read = matched(result, "biological_hypothesis", len(hypothesis.paragraphs))[0]
    assert (read.kind, read.text, read.draft_kind) == ("background", background.text, "background")
    editor = [p for p in in_section(result, "biological_hypothesis") if p.kind == "editor"]
    assert len(editor) == 1 and editor[0].text.startswith("EDITOR: write the biological")
    written = in_section(result, "what_was_tried")
    assert {p.kind for p in written} == {"needs_editor"}
    assert written[0].text == "NEEDS EDITOR — 73 ≠ 72" and written[0].cites_from == "none"
    for index, paragraph in enumerate(tried.paragraphs):
        found = matched(result, "what_was_tried", index)
        assert len(found) == 1 and found[0].cites == paragraph.cites
        assert found[0].draft_kind == "fact"
    headline = in_section(result, "headline")
    assert [p.kind for p in headline] == ["headline", "needs_editor"]
    assert {p.kind for p in in_section(result, "conflicts")} == {"conflict"}
    assert {p.kind for p in in_section(result, "sources")} == {"list"}


# --- hostile input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param(lambda md: md.replace("\n", "\r\n"), id="crlf"),
        pytest.param(lambda md: md.replace("\n", "\r"), id="lone-cr"),
        pytest.param(lambda md: "\ufeff" + md, id="byte-order-mark"),
        pytest.param(lambda md: md.replace("\n> ", "\n>\t"), id="tabs"),
    ],
)
def test_line_ends_and_tabs_change_nothing(
    reference: tuple[Draft, str], edit: Callable[[str], str]
) -> None:
    draft, markdown = reference
    plain = align_markdown(markdown, draft)
    edited = edit(markdown)
    result = align_markdown(edited, draft)
    assert [(p.text, p.cites, p.kind, p.line) for p in result.paragraphs] == [
        (p.text, p.cites, p.kind, p.line) for p in plain.paragraphs
    ]
    for paragraph in result.paragraphs:
        assert edited[paragraph.start : paragraph.end].lstrip("\ufeff")[:1] not in ("\r", "\n")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "---\ntitle: x\n",  # front matter never closed
        "---\n",
        "no heading at all, just words [1] _(documented)_",
        "\x00\x00# \x00\n\n\x00 [1]\x00\n> \x00",
        "\t# x\n\t\t- y\n|\t|\n> > > deep\n>\n",
        "####### seven\n# \n##\n### only a subheading\n\ntext",
        "| a | b |\n|---|\n| **x** | y |",
        "> **NEEDS EDITOR**\n" * 3,
        "[1][2](x) [a][1] \\[3\\] [99999999]",
        "_(documented)_ _(inferred)_ *(speculative)*",
        "\r\n\r\n\r",
    ],
)
def test_odd_markdown_never_fails(reference: tuple[Draft, str], text: str) -> None:
    draft, _ = reference
    result = align_markdown(text, draft)
    assert "what_was_tried" in result.missing_sections
    for paragraph in result.paragraphs:
        assert 0 <= paragraph.start <= paragraph.end <= len(text)


def test_front_matter_never_closed_is_read_as_text(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    unclosed = markdown.replace("\n---\n", "\n", 1)
    result = align_markdown(unclosed, draft)
    stray = [p for p in result.paragraphs if p.section_key is None]
    assert len(stray) == 1 and stray[0].text.startswith("title:") and stray[0].line == 2
    assert matched(result, "headline", 0)[0].cites == draft.headline_cites


def test_no_headings_leaves_every_section_missing(reference: tuple[Draft, str]) -> None:
    draft, markdown = reference
    result = align_markdown(markdown.replace("#", ""), draft)
    assert result.missing_sections == ["headline", *[s.key for s in draft.sections]]
    assert all(p.section_key in ("dek", "conflicts") for p in result.paragraphs)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("#>|-*_`[]()<&;:\\ 1.\t\r\n\0ab"), max_size=200))
def test_any_text_is_read_without_failing(reference: tuple[Draft, str], text: str) -> None:
    result = align_markdown(text, reference[0])
    assert all(0 <= p.start <= p.end <= len(text) for p in result.paragraphs)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("x" * (MAX_MARKDOWN_BYTES + 1), "bytes"),
        ("é" * (MAX_MARKDOWN_BYTES // 2 + 1), "bytes"),  # two bytes each in UTF-8
        ("\n" * MAX_LINES, "lines"),
        ("x\n\n" * (MAX_PARAGRAPHS + 1), "paragraphs"),
    ],
)
def test_an_oversized_file_is_refused_as_bad_input(
    reference: tuple[Draft, str], text: str, says: str
) -> None:
    draft, _ = reference
    with pytest.raises(MarkdownTooLarge, match=says) as raised:
        align_markdown(text, draft)
    assert isinstance(raised.value, DrafterError) and raised.value.exit_code == EXIT_BAD_INPUT


def test_a_related_claim_without_a_headline_is_named_once(reference: tuple[Draft, str]) -> None:
    """rocatinlimab's seed claim has no headline: its line showed the claim key in its place,
    lower-cased with escaped bars ('rocatinlimab\\|ox40\\|atopic dermatitis — rocatinlimab /
    OX40 / Atopic dermatitis'). It is named by its drug / target / disease alone, and the line
    still aligns to the claim's fact."""
    draft, markdown = reference
    related = markdown.split("## Related failure claims", 1)[1]
    [line] = [line for line in related.splitlines() if "rocatinlimab" in line]
    assert line.startswith("- 2026-01-30 — rocatinlimab / OX40 / Atopic dermatitis — ")
    assert "|" not in line and line.count("rocatinlimab") == 1
    [claim] = [c for g in draft.related for c in g.claims if c.drug == "rocatinlimab"]
    listed = [
        p
        for p in align_markdown(markdown, draft).paragraphs
        if p.section_key == "related_claims" and "rocatinlimab" in p.text
    ]
    assert [p.cites for p in listed] == [[claim.fact]]
    headlined = [c for g in draft.related for c in g.claims if c.headline]
    assert headlined and all(f"— {c.headline} — " in markdown for c in headlined)
