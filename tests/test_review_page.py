"""review.html without a browser: every anchor is on the page, source text stays text, nothing
is loaded from anywhere, and the CSP allows exactly the page's own style and script blocks."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from drafter import review_page
from drafter.bundle import Bundle
from drafter.draft_model import Draft
from drafter.errors import BadInput, InternalError
from drafter.review_page import (
    anchor_refs,
    render_review_page,
    split_at_anchors,
    web_url,
    write_review_page,
)
from drafter.verify_model import VerifyReport
from tests.review_report import (
    HOSTILE_COMMENT,
    HOSTILE_FACT,
    HOSTILE_IMG,
    HOSTILE_SCRIPT,
    HOSTILE_URL,
    LINE_SEPARATOR,
    first_mismatch,
    hostile,
    reviewed,
)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""


class Page(HTMLParser):
    """The page as the HTML parser reads it: every element, and the text inside each anchor,
    <script> and <style> (raw text, as the browser hands it to JSON.parse or the CSS)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag in ("script", "style", "span", "a", "button"):
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1].tag == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text += data

    def find(self, tag: str, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if e.tag == tag and all(e.attrs.get(k) == v for k, v in attrs.items())
        ]

    def anchors(self) -> list[Element]:
        return [e for e in self.elements if "anchor" in e.attrs.get("class", "").split()]

    def data(self) -> dict:  # type: ignore[type-arg]
        return json.loads(self.find("script", type="application/json", id="facts")[0].text)


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page


@pytest.fixture(scope="module")
def plain(reference_bundle: Bundle) -> tuple[Draft, VerifyReport]:
    return reviewed(reference_bundle)


@pytest.fixture(scope="module")
def evil(plain: tuple[Draft, VerifyReport]) -> tuple[Draft, VerifyReport, str]:
    draft, report = hostile(*plain)
    return draft, report, render_review_page(draft, report)


def test_every_anchor_of_the_report_is_on_the_page_in_reading_order(
    plain: tuple[Draft, VerifyReport],
) -> None:
    draft, report = plain
    page = parse(render_review_page(draft, report))
    shown = page.anchors()
    expected = [a for p in report.paragraphs for a in p.anchors]
    assert len(expected) > 50
    assert [e.text for e in shown] == [a.text for a in expected]
    assert [e.attrs["data-fact"] for e in shown] == [a.fact_id or "" for a in expected]
    assert [e.attrs["data-status"] for e in shown] == [a.status for a in expected]
    assert len({e.attrs["id"] for e in shown}) == len(shown)
    for element in shown:  # focusable and announced as a control with its status
        assert element.attrs["tabindex"] == "0" and element.attrs["role"] == "button"
        assert element.attrs["aria-label"].startswith(element.text + ": ")
    assert set(page.data()["anchors"]) == {e.attrs["id"] for e in shown}


def test_the_top_lists_the_summary_conflicts_and_every_failing_anchor(
    plain: tuple[Draft, VerifyReport],
) -> None:
    draft, report = plain
    html = render_review_page(draft, report)
    page = parse(html)
    assert draft.headline in html and draft.nct_id in html and draft.as_of in html
    assert "Anchor coverage" in html and "Citation precision" in html and "Citation recall" in html
    assert all(c.note.split(":")[0] in html for c in draft.conflicts)
    jumps = page.find("a", **{"class": "jump"})
    failing = report.failing()
    assert len(jumps) == len(failing) and failing
    by_id = {e.attrs["id"]: e for e in page.anchors()}
    for jump, (_, anchor) in zip(jumps, failing, strict=True):
        target = by_id[jump.attrs["href"].removeprefix("#")]
        assert target.attrs["data-status"] == anchor.status and target.text == anchor.text
    mismatch = first_mismatch(report)
    assert any(f"“{mismatch.text}”" in jump.text for jump in jumps)
    assert page.find("a", **{"class": "skip", "href": "#failing"})
    assert page.find("html", lang="en")


def test_the_mrs_panel_shows_rows_total_summary_and_input_facts(
    plain: tuple[Draft, VerifyReport],
) -> None:
    draft, report = plain
    html = render_review_page(draft, report)
    assert draft.mrs is not None
    for row in draft.mrs.rows:
        assert f'{row.heading}</th><td class="num">{row.points:.1f} / {row.maximum}' in html
    assert f"{draft.mrs.total} / {draft.mrs.scale} ({draft.mrs.band})" in html
    assert draft.mrs.summary in html
    facts = {f.id: f for f in draft.facts}
    data = parse(html).data()
    for fact_id in draft.mrs.facts:
        assert f'data-fact="{fact_id}"' in html
        assert data["facts"][fact_id]["label"] == facts[fact_id].label


def test_headings_go_down_one_level_at_a_time(plain: tuple[Draft, VerifyReport]) -> None:
    levels = [
        int(e.tag[1])
        for e in parse(render_review_page(*plain)).elements
        if re.fullmatch(r"h[1-6]", e.tag)
    ]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))


def test_hostile_source_text_is_never_markup(evil: tuple[Draft, VerifyReport, str]) -> None:
    _, _, html = evil
    for raw in (HOSTILE_SCRIPT, HOSTILE_IMG, HOSTILE_COMMENT):
        assert raw not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text
    page = parse(html)
    assert not page.find("img") and len(page.find("script")) == 2
    assert not [(e.tag, k) for e in page.elements for k in e.attrs if k.startswith("on")]
    assert not re.search(r"""(href|src)\s*=\s*["']?\s*javascript:""", html, re.IGNORECASE)


def test_the_data_block_cannot_end_early_and_reads_back_exactly(
    evil: tuple[Draft, VerifyReport, str],
) -> None:
    _, report, html = evil
    page = parse(html)
    block = page.find("script", type="application/json", id="facts")[0].text
    assert block.isascii()  # U+2028 and every non-ASCII character as \\uXXXX
    assert "<" not in block and ">" not in block and "&" not in block
    assert "\\u003c/script\\u003e" in block
    fact = page.data()["facts"][HOSTILE_FACT]
    assert fact["value"] == HOSTILE_SCRIPT and fact["label"] == HOSTILE_IMG
    assert fact["source"] == f"{HOSTILE_COMMENT}{LINE_SEPARATOR}{HOSTILE_SCRIPT}"
    assert fact["source_url"] == HOSTILE_URL and fact["link"] is None  # text, never a link
    for script in page.find("script"):
        assert LINE_SEPARATOR not in script.text
    linked = [f for f in page.data()["facts"].values() if f["link"]]
    assert linked and all(f["link"] == report.facts[f["id"]].source_url for f in linked)


def test_the_csp_allows_only_the_pages_own_blocks(evil: tuple[Draft, VerifyReport, str]) -> None:
    page = parse(evil[2])
    (meta,) = page.find("meta", **{"http-equiv": "Content-Security-Policy"})
    # directive → its sources
    policy = dict(part.partition(" ")[::2] for part in meta.attrs["content"].split("; "))
    assert "unsafe-inline" not in meta.attrs["content"]
    assert "unsafe-eval" not in meta.attrs["content"]
    assert policy["default-src"] == "'none'" and policy["img-src"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["form-action"] == "'none'"

    def sha256(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    (style,) = page.find("style")
    inline = [s for s in page.find("script") if "type" not in s.attrs]
    assert policy["style-src"] == sha256(style.text)
    assert [policy["script-src"]] == [sha256(s.text) for s in inline]
    assert page.find("meta", name="referrer", content="no-referrer")
    assert not [e for e in page.elements if "style" in e.attrs]  # the CSP would refuse them


def test_nothing_on_the_page_loads_or_links_anywhere(
    evil: tuple[Draft, VerifyReport, str],
) -> None:
    """Fact source links are made by the script on a click, from the data block; the markup
    itself has in-page links only, and nothing with a src."""
    html = evil[2]
    page = parse(html)
    assert not [e for e in page.elements if "src" in e.attrs]
    hrefs = [e.attrs["href"] for e in page.elements if "href" in e.attrs]
    assert hrefs and all(h.startswith("#") for h in hrefs)
    assert not page.find("link") and not page.find("iframe") and not page.find("base")
    (style,) = page.find("style")
    assert "url(" not in style.text and "@import" not in style.text
    script = next(s for s in page.find("script") if "type" not in s.attrs).text
    for call in ("fetch(", "XMLHttpRequest", "innerHTML", "outerHTML", "eval(", "import("):
        assert call not in script


def test_sections_needing_an_editor_are_listed_with_their_reason(
    evil: tuple[Draft, VerifyReport, str],
) -> None:
    draft, _, html = evil
    assert "open_questions" in draft.needs_editor
    heading = next(s.heading for s in draft.sections if s.key == "open_questions")
    assert f"<strong>{heading}</strong>: &lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("url", "linked"),
    [
        ("https://clinicaltrials.gov/study/NCT05591222", True),
        ("http://example.org/a?b=c", True),
        ("javascript:alert(1)", False),
        ("JavaScript:alert(1)", False),
        ("data:text/html,<script>alert(1)</script>", False),
        (" https://example.org", False),
        ("https:///no-host", False),
        ("//example.org/relative", False),
        ("/etc/passwd", False),
        ("http://[::1", False),
        (None, False),
    ],
)
def test_only_http_urls_become_links(url: str | None, linked: bool) -> None:
    assert web_url(url) == (url if linked else None)


def test_anchors_whose_offsets_do_not_fit_are_still_shown(
    plain: tuple[Draft, VerifyReport],
) -> None:
    draft, report = plain
    index, paragraph = next((i, p) for i, p in enumerate(report.paragraphs) if len(p.anchors) > 1)
    first, second = paragraph.anchors[:2]
    broken = [
        first,
        second.model_copy(update={"start": first.start, "end": first.end + 1}),  # overlaps
        second.model_copy(update={"start": len(paragraph.text), "end": len(paragraph.text) + 3}),
    ]
    paragraphs = [*report.paragraphs]
    paragraphs[index] = paragraph.model_copy(update={"anchors": broken})
    odd = report.model_copy(update={"paragraphs": paragraphs})
    total = sum(len(p.anchors) for p in paragraphs)
    assert len(parse(render_review_page(draft, odd)).anchors()) == total


def test_split_at_anchors_keeps_the_text_whole(plain: tuple[Draft, VerifyReport]) -> None:
    _, report = plain
    refs = anchor_refs(report)
    for paragraph in report.paragraphs:
        pieces, unplaced = split_at_anchors(
            paragraph.text, [refs[id(a)] for a in paragraph.anchors]
        )
        assert "".join(p.text for p in pieces) == paragraph.text and not unplaced
        assert [p.text for p in pieces if p.anchor] == [a.text for a in paragraph.anchors]


def test_the_page_is_byte_identical_for_the_same_inputs(
    plain: tuple[Draft, VerifyReport],
) -> None:
    assert render_review_page(*plain) == render_review_page(*plain)


def test_a_report_of_another_trial_is_refused(plain: tuple[Draft, VerifyReport]) -> None:
    draft, report = plain
    with pytest.raises(BadInput, match="NCT00000000"):
        render_review_page(draft, report.model_copy(update={"nct_id": "NCT00000000"}))


def test_write_review_page_writes_the_rendered_page(
    plain: tuple[Draft, VerifyReport], tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "review.html"
    path.write_text("old")
    write_review_page(path, *plain)
    assert path.read_text(encoding="utf-8") == render_review_page(*plain)
    assert [p.name for p in folder.iterdir()] == ["review.html"]  # no temp file left


def test_an_asset_that_would_end_its_element_early_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(review_page, "_asset", lambda name: "a { } </style><script>x</script>")
    review_page.inline_block.cache_clear()
    try:
        with pytest.raises(InternalError, match="cannot be inlined"):
            review_page.inline_block("review.css")
    finally:
        review_page.inline_block.cache_clear()
