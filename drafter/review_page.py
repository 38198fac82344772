"""review.html: one static page where a reviewer reads the draft anchor by anchor, sees which
anchors failed verification, and opens, for any anchor, the fact and the exact field of the
source answer it was checked against.

The page carries text copied from sources (a sponsor's stop reason, a press quote) and is
opened from disk, so it is locked down rather than trusted to be clean:

* one file that asks for nothing: inline CSS and JS, no font, image, script or frame from
  anywhere, links to sources only on a click, with no referrer;
* every text escaped by Jinja's autoescape; the facts the script shows travel in a JSON data
  block with <, > and & written as \\u003c, \\u003e, \\u0026 (Jinja's `tojson`), read with
  JSON.parse and written with textContent, never as HTML;
* a Content-Security-Policy that lets nothing load and only the page's own style and script
  blocks apply, named by their sha256 (computed here over the exact blocks), not a nonce: the
  page stays byte-identical for the same draft and report, as draft.md does.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict

from drafter.atomic_write import write_atomically
from drafter.draft_model import Draft
from drafter.errors import BadInput, InternalError
from drafter.terminal import safe_text
from drafter.verify_model import (
    STATUSES,
    CheckedAnchor,
    FactView,
    ParagraphReport,
    VerifyReport,
    value_text,
)

TEMPLATES = files("drafter") / "templates"
PAGE = "review.html.j2"
STYLE = "review.css"
SCRIPT = "review.js"


class StatusLabel(BaseModel):
    """How a status is named on the page and what it means, for the legend and the panel."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    meaning: str


LABELS: dict[str, StatusLabel] = {
    "verified": StatusLabel(name="verified", meaning="a fact the paragraph cites supports it"),
    "verified_uncited": StatusLabel(
        name="verified, uncited", meaning="a fact supports it, but the paragraph cites none"
    ),
    "fuzzy": StatusLabel(name="fuzzy", meaning="a near match: a rounding, an alias, a case"),
    "mismatch": StatusLabel(name="mismatch", meaning="a cited fact says something else"),
    "untraceable": StatusLabel(name="untraceable", meaning="no fact of its type holds it"),
    "unsupported_precision": StatusLabel(
        name="unsupported precision", meaning="more precise than its fact"
    ),
    "background": StatusLabel(name="background", meaning="background text, not checked"),
}


def _asset(name: str) -> str:
    """A file of drafter/templates, read through importlib.resources so it works from a wheel
    as from the source tree."""
    try:
        return TEMPLATES.joinpath(name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InternalError(f"template {name} is missing or unreadable: {error}") from None


def _inert(value: object) -> object:
    """What every {{ }} prints, before escaping: text without the characters safe_text drops
    (a bidi override in a source's text would reorder what the reviewer reads; a NUL or an
    escape sequence is no text); drafter's own Markup blocks as they are."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return safe_text(value)
    return value


_ENV = jinja2.Environment(
    loader=jinja2.FunctionLoader(_asset),
    undefined=jinja2.StrictUndefined,
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    finalize=_inert,
)


# --- the inline blocks and the policy that allows exactly them ---------------------------------


@dataclass(frozen=True)
class InlineBlock:
    """The text of an inline <style> or <script> and its CSP source expression."""

    text: Markup
    csp_source: str


def csp_hash(text: str) -> str:
    """The CSP source expression that allows one inline block: 'sha256-<base64>' of its UTF-8
    text exactly as it stands between the tags."""
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


@cache
def inline_block(name: str) -> InlineBlock:
    """One of drafter's own assets, to be placed verbatim inside its element. It is drafter's
    code, not source text, so it goes in unescaped; it must not hold what would end the element
    early (the hash would then cover less than the browser runs)."""
    text = _asset(name)
    if "</" in text or "<!--" in text:
        raise InternalError(f"{name} holds '</' or '<!--': it cannot be inlined as one block")
    return InlineBlock(text=Markup(text), csp_source=csp_hash(text))


def content_security_policy(style: InlineBlock, script: InlineBlock) -> str:
    """Nothing may load; only the page's own style and script blocks apply (by hash); no
    <base> and no form can send anything anywhere."""
    return "; ".join(
        (
            "default-src 'none'",
            f"style-src {style.csp_source}",
            f"script-src {script.csp_source}",
            "img-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )


# --- what the script reads: the anchors and facts, as JSON --------------------------------------


class AnchorDetail(BaseModel):
    """What the detail panel shows about an anchor (by its element id)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: str
    status_label: str
    reason: str
    text: str
    kind: str
    section: str
    fact: str | None
    cited: bool


class FactDetail(FactView):
    """A fact as the panel shows it; `link` is its source URL when, and only when, it is an
    http(s) URL that may become a link (the script checks again before making one)."""

    link: str | None


class PageData(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    statuses: list[str]
    anchors: dict[str, AnchorDetail]
    facts: dict[str, FactDetail]


def web_url(url: str | None) -> str | None:
    """`url` when a browser may follow it: http or https with a host; anything else
    (javascript:, data:, a relative path) stays text."""
    if url is None or url != url.strip():
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def fact_views(draft: Draft, fact_ids: Iterable[str]) -> dict[str, FactView]:
    """The draft's facts among `fact_ids` as the report shows facts: the page names facts the
    report may not hold (MRS inputs, the facts of a conflict), and shows them the same way."""
    sources = {source.record: source for source in draft.sources}
    facts = {fact.id: fact for fact in draft.facts}
    views = {}
    for fact in (facts[i] for i in dict.fromkeys(fact_ids) if i in facts):
        source = sources.get(fact.record or "")
        views[fact.id] = FactView.of(
            fact, source.request if source else None, source.url if source else None
        )
    return views


def _fact_details(draft: Draft, report: VerifyReport, named: list[str]) -> dict[str, FactDetail]:
    """The report's facts, and the draft's facts among `named` that the report lacks."""
    views = fact_views(draft, (i for i in named if i not in report.facts)) | report.facts
    return {
        fact_id: FactDetail(**view.model_dump(), link=web_url(view.source_url))
        for fact_id, view in views.items()
    }


# --- what the template lays out ------------------------------------------------------------------


@dataclass(frozen=True)
class AnchorRef:
    """An anchor with its element id and the heading of its section."""

    id: str
    anchor: CheckedAnchor
    heading: str

    def detail(self) -> AnchorDetail:
        return AnchorDetail(
            status=self.anchor.status,
            status_label=_label(self.anchor.status).name,
            reason=self.anchor.reason,
            text=self.anchor.text,
            kind=self.anchor.kind,
            section=self.heading,
            fact=self.anchor.fact_id,
            cited=self.anchor.cited,
        )


@dataclass(frozen=True)
class Piece:
    """A run of a paragraph's text, an anchor's or the plain text between anchors."""

    text: str
    anchor: AnchorRef | None = None


@dataclass(frozen=True)
class FactLink:
    """A fact a paragraph cites, named by its label: a button that opens it in the panel."""

    id: str
    label: str


@dataclass(frozen=True)
class ParagraphView:
    report: ParagraphReport
    pieces: list[Piece]
    unplaced: list[AnchorRef]  # offsets outside the text or overlapping an earlier anchor
    cites: list[FactLink]  # every fact it cites, those no anchor points at included


@dataclass(frozen=True)
class SectionView:
    id: str
    heading: str
    paragraphs: list[ParagraphView]
    needs_editor: str | None = None  # why it failed validation, shown where it stands


@dataclass(frozen=True)
class EditorNote:
    heading: str
    reason: str


@dataclass(frozen=True)
class MrsInput:
    id: str
    label: str
    value: str


def _label(status: str) -> StatusLabel:
    return LABELS.get(status, StatusLabel(name=status, meaning=""))


def split_at_anchors(text: str, refs: list[AnchorRef]) -> tuple[list[Piece], list[AnchorRef]]:
    """The paragraph cut at its anchors' offsets, and the anchors that cannot be placed (out
    of the text, empty, or overlapping one before): those are still shown, apart, so that no
    anchor of the report is missing from the page."""
    pieces: list[Piece] = []
    unplaced: list[AnchorRef] = []
    at = 0
    for ref in sorted(refs, key=lambda r: (r.anchor.start, r.anchor.end)):
        start, end = ref.anchor.start, ref.anchor.end
        if start < at or end > len(text) or start >= end:
            unplaced.append(ref)
            continue
        if start > at:
            pieces.append(Piece(text[at:start]))
        pieces.append(Piece(text[start:end], ref))
        at = end
    if at < len(text):
        pieces.append(Piece(text[at:]))
    return pieces, unplaced


def anchor_refs(report: VerifyReport) -> dict[int, AnchorRef]:
    """Every anchor's element id ("a1", "a2", … in reading order), keyed by the anchor
    object's identity: report.failing() hands back the same objects, so the list of failures
    links to exactly the elements of the text, whatever failing() decides fails."""
    anchors = ((p, a) for p in report.paragraphs for a in p.anchors)
    return {
        id(anchor): AnchorRef(id=f"a{number}", anchor=anchor, heading=paragraph.heading)
        for number, (paragraph, anchor) in enumerate(anchors, start=1)
    }


def _sections(
    draft: Draft, report: VerifyReport, refs: dict[int, AnchorRef], facts: dict[str, FactDetail]
) -> list[SectionView]:
    """Paragraphs grouped by section, in the report's order; a section that needs an editor
    is marked with its reason, and shown in its place even when it has no paragraph."""
    groups = itertools.groupby(report.paragraphs, key=lambda p: (p.section, p.heading))
    shown: list[tuple[str, str, list[ParagraphView]]] = []
    for (key, heading), paragraphs in groups:
        views = []
        for paragraph in paragraphs:
            pieces, unplaced = split_at_anchors(
                paragraph.text, [refs[id(a)] for a in paragraph.anchors]
            )
            cites = [
                FactLink(c, facts[c].label if c in facts else c)
                for c in dict.fromkeys(paragraph.cites)
            ]
            views.append(ParagraphView(paragraph, pieces, unplaced, cites))
        shown.append((key, heading, views))
    reasons = {
        s.key: s.reason or "no usable text" for s in draft.sections if s.status == "needs_editor"
    }
    if "headline" in draft.needs_editor:
        reasons["headline"] = "the headline and dek failed validation"
    order = [s.key for s in draft.sections]
    for section in draft.sections:
        if section.key in reasons and all(key != section.key for key, _, _ in shown):
            at = _place(shown, order, order.index(section.key))
            shown.insert(at, (section.key, section.heading, []))
    return [
        SectionView(f"s{number}", heading, views, reasons.get(key))
        for number, (key, heading, views) in enumerate(shown, start=1)
    ]


def _place(shown: list[tuple[str, str, list[ParagraphView]]], order: list[str], at: int) -> int:
    """Where the section `order[at]` goes among those shown: after the last shown section
    the draft puts before it, else before the first it puts after it, else at the end."""
    before, after = set(order[:at]), set(order[at + 1 :])
    last_before = max((i for i, (key, _, _) in enumerate(shown) if key in before), default=None)
    if last_before is not None:
        return last_before + 1
    return next((i for i, (key, _, _) in enumerate(shown) if key in after), len(shown))


def _needs_editor(draft: Draft, report: VerifyReport) -> list[EditorNote]:
    """The draft's sections that failed validation, with why, and any the report adds."""
    sections = {section.key: section for section in draft.sections}
    notes = []
    for key in dict.fromkeys([*draft.needs_editor, *report.needs_editor]):
        if key == "headline":
            notes.append(
                EditorNote(
                    heading="Headline and dek",
                    reason="they failed validation; check them against the sources",
                )
            )
        elif key in sections:
            section = sections[key]
            notes.append(EditorNote(section.heading, section.reason or "no usable text"))
        else:
            notes.append(EditorNote(key, "reported by the verification"))
    return notes


def _mrs_inputs(draft: Draft) -> list[MrsInput]:
    """The score's facts with their values, in the draft's order (unknown ids shown as such)."""
    if draft.mrs is None:
        return []
    facts = {fact.id: fact for fact in draft.facts}
    return [
        MrsInput(fact_id, facts[fact_id].label, value_text(facts[fact_id]))
        if fact_id in facts
        else MrsInput(fact_id, "(not in the draft's facts)", "—")
        for fact_id in draft.mrs.facts
    ]


def _status_counts(report: VerifyReport) -> list[tuple[str, int]]:
    """Every known status with its count (zeros included), then any other the report has."""
    by_status = report.counts.by_status
    extra = [s for s in by_status if s not in STATUSES]
    return [(status, by_status.get(status, 0)) for status in (*STATUSES, *extra)]


def _percent(rate: float) -> str:
    return f"{rate:.0%}"


# --- the page -------------------------------------------------------------------------------------


def _text_of(report: VerifyReport, section: str, drafted: str) -> str:
    """The headline or dek as checked: an editor's draft.md wording when that was checked."""
    return next((p.text for p in report.paragraphs if p.section == section), drafted)


def render_review_page(draft: Draft, report: VerifyReport) -> str:
    """The review page of `draft` and its verification `report`, as one HTML document."""
    if report.nct_id != draft.nct_id:
        raise BadInput(f"the report is of {report.nct_id}, the draft of {draft.nct_id}")
    refs = anchor_refs(report)
    style, script = inline_block(STYLE), inline_block(SCRIPT)
    named = [
        *(f for c in draft.conflicts for f in c.facts),
        *(draft.mrs.facts if draft.mrs else []),
        *(c for p in report.paragraphs for c in p.cites),
        *(claim.fact for group in draft.related for claim in group.claims),
    ]
    facts = _fact_details(draft, report, named)
    data = PageData(
        statuses=list(STATUSES),
        anchors={ref.id: ref.detail() for ref in refs.values()},
        facts=facts,
    )
    context = {
        "draft": draft,
        "report": report,
        "csp": content_security_policy(style, script),
        "style": style.text,
        "script": script.text,
        "data": data.model_dump(mode="json"),
        "labels": {status: _label(status) for status in (*STATUSES, *report.counts.by_status)},
        "statuses": STATUSES,
        "status_counts": _status_counts(report),
        "rates": {
            "coverage": _percent(report.counts.anchor_coverage),
            "precision": _percent(report.counts.citation_precision),
            "recall": _percent(report.counts.citation_recall),
        },
        "headline": _text_of(report, "headline", draft.headline),
        "dek": _text_of(report, "dek", draft.dek),
        "problems": [
            *(
                (f"{p.section}" + (f", line {p.line}" if p.line else ""), problem)
                for p in report.paragraphs
                for problem in p.problems
            ),
            *(("the article", problem) for problem in report.problems),
        ],
        "disputes": [c for c in draft.conflicts if c.kind == "dispute"],
        "history": [c for c in draft.conflicts if c.kind == "history"],
        "needs_editor": _needs_editor(draft, report),
        "failing": [refs[id(anchor)] for _, anchor in report.failing()],
        "sections": _sections(draft, report, refs, facts),
        "sources": draft.sources,
        "related": [group for group in draft.related if group.claims],
        "mrs": draft.mrs,
        "mrs_inputs": _mrs_inputs(draft),
    }
    try:
        return _ENV.get_template(PAGE).render(context)
    except jinja2.TemplateError as error:
        raise InternalError(f"template {PAGE}: {error}") from None


def write_review_page(path: Path, draft: Draft, report: VerifyReport) -> None:
    """review.html at `path`, replaced whole or not at all (see drafter.atomic_write)."""
    write_atomically(path, render_review_page(draft, report))
