"""Test-only: a verification report built by hand from a draft, for the review page's tests,
and a hostile variant of it (drafter verify, which computes real reports, is another branch).

The statuses come from drafter.anchors (number, date, phase and id anchors): supported by a
cited fact → verified, by some other fact → verified_uncited, else the cited facts' verdict
(fuzzy, mismatch, unsupported precision), else untraceable; background paragraphs are not
checked. One anchor is then forced to a mismatch, so every page has a failure to list.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from drafter.anchors import Anchor, FactIndex, Support, extract_anchors
from drafter.bundle import Bundle
from drafter.draft import draft_trial
from drafter.draft_model import Draft
from drafter.facts import Fact
from drafter.review_page import fact_views
from drafter.verify_model import (
    CheckedAnchor,
    FactView,
    ParagraphReport,
    VerifyCounts,
    VerifyReport,
)
from drafter.writers.offline import OfflineWriter

HOSTILE_SCRIPT = "</script><script>alert(1)</script>"
HOSTILE_IMG = "<img src=x onerror=alert(1)>"
HOSTILE_URL = "javascript:alert(1)"
LINE_SEPARATOR = "\u2028"
HOSTILE_COMMENT = "<!--"
# What a hostile source could say, all at once: the prefix put before one paragraph's text.
HOSTILE_PROSE = f"{HOSTILE_SCRIPT} {HOSTILE_IMG} {HOSTILE_COMMENT}{LINE_SEPARATOR} "
HOSTILE_FACT = "reference:NCT05591222:hostile_note"


@dataclass(frozen=True)
class _Paragraph:
    section: str
    heading: str
    index: int
    text: str
    kind: str
    cites: list[str]


def _paragraphs(draft: Draft) -> list[_Paragraph]:
    """Headline, dek, conflicts, sections and the MRS summary, in reading order."""
    found = [
        _Paragraph("headline", "Headline", 0, draft.headline, "fact", draft.headline_cites),
        _Paragraph("dek", "Dek", 0, draft.dek, "fact", draft.headline_cites),
    ]
    for index, conflict in enumerate(draft.conflicts):
        found.append(
            _Paragraph("conflicts", "Conflicts", index, conflict.note, "conflict", conflict.facts)
        )
    for section in draft.sections:
        if section.key == "mrs" and draft.mrs is not None:
            found.append(
                _Paragraph(
                    "mrs", section.heading, 0, draft.mrs.summary, "summary", draft.mrs.summary_cites
                )
            )
        for index, paragraph in enumerate(section.paragraphs):
            found.append(
                _Paragraph(
                    section.key,
                    section.heading,
                    index,
                    paragraph.text,
                    paragraph.kind,
                    paragraph.cites,
                )
            )
    return found


def _verdict(
    anchor: Anchor, cited: FactIndex, every: FactIndex, kind: str
) -> tuple[str, Support | None, bool]:
    """(status, the support it rests on, whether that fact is cited)."""
    if kind == "background":
        return "background", every.match(anchor), False
    own = cited.match(anchor)
    if own is not None and own.status == "supported":
        return "verified", own, True
    other = every.match(anchor)
    if other is not None and other.status == "supported":
        return "verified_uncited", other, False
    if own is not None:
        return own.status, own, True
    return "untraceable", None, False


def _checked(anchor: Anchor, cited: FactIndex, every: FactIndex, kind: str) -> CheckedAnchor:
    status, support, is_cited = _verdict(anchor, cited, every, kind)
    return CheckedAnchor(
        kind=anchor.kind,
        text=anchor.text,
        start=anchor.start,
        end=anchor.end,
        value=str(anchor.value),
        status=status,  # type: ignore[arg-type]
        fact_id=support.fact_id if support else None,
        cited=is_cited,
        reason=support.reason if support else f"no {anchor.kind} fact holds {anchor.text}",
    )


def _counts(paragraphs: list[ParagraphReport]) -> VerifyCounts:
    anchors = [a for p in paragraphs for a in p.anchors]
    statuses = Counter(a.status for a in anchors)
    checked = [a for a in anchors if a.status != "background"]
    good = [a for a in checked if a.status in ("verified", "fuzzy")]
    return VerifyCounts(
        anchors=len(anchors),
        by_status=dict(statuses),
        by_kind=dict(Counter(a.kind for a in anchors)),
        anchor_coverage=len(good) / len(checked) if checked else 1.0,
        citation_recall=0.75,
        citation_precision=0.875,
    )


def report_of(draft: Draft) -> VerifyReport:
    """The report of `draft`, with its first checked anchor forced to a mismatch."""
    facts: dict[str, Fact] = {fact.id: fact for fact in draft.facts}
    every = FactIndex(list(facts.values()))
    paragraphs = []
    for paragraph in _paragraphs(draft):
        cited = FactIndex([facts[c] for c in paragraph.cites if c in facts])
        paragraphs.append(
            ParagraphReport(
                section=paragraph.section,
                heading=paragraph.heading,
                index=paragraph.index,
                text=paragraph.text,
                kind=paragraph.kind,
                cites=paragraph.cites,
                anchors=[
                    _checked(a, cited, every, paragraph.kind)
                    for a in extract_anchors(paragraph.text)
                ],
            )
        )
    paragraphs = _with_a_mismatch(paragraphs)
    named = {a.fact_id for p in paragraphs for a in p.anchors if a.fact_id}
    named |= {c for p in paragraphs for c in p.cites}
    return VerifyReport(
        nct_id=draft.nct_id,
        checked="draft.json",
        path="draft.json",
        paragraphs=paragraphs,
        facts=fact_views(draft, sorted(named)),
        counts=_counts(paragraphs),
        needs_editor=draft.needs_editor,
    )


def _with_a_mismatch(paragraphs: list[ParagraphReport]) -> list[ParagraphReport]:
    """The same paragraphs, the first verified number anchor of a section turned mismatch."""
    for p_index, paragraph in enumerate(paragraphs):
        if paragraph.section in ("headline", "dek", "conflicts"):
            continue
        for a_index, anchor in enumerate(paragraph.anchors):
            if anchor.kind == "number" and anchor.status == "verified":
                wrong = anchor.model_copy(
                    update={
                        "status": "mismatch",
                        "reason": f'the cited fact says {anchor.value}, not "{anchor.text}"',
                    }
                )
                anchors = [*paragraph.anchors]
                anchors[a_index] = wrong
                changed = paragraph.model_copy(update={"anchors": anchors})
                return [*paragraphs[:p_index], changed, *paragraphs[p_index + 1 :]]
    raise AssertionError("the draft has no verified number anchor to turn into a mismatch")


def first_mismatch(report: VerifyReport) -> CheckedAnchor:
    return next(a for _, a in report.failing() if a.status == "mismatch")


def hostile(draft: Draft, report: VerifyReport) -> tuple[Draft, VerifyReport]:
    """The draft and report with source text that tries to break out of the page: a paragraph
    opening with script, markup, a comment and U+2028 (its anchors moved along), an anchor on
    a fact whose every text field is hostile and whose source URL is javascript:, and a
    conflict note and a section reason holding markup."""
    shift = len(HOSTILE_PROSE)
    target = next(i for i, p in enumerate(report.paragraphs) if p.section == "what_was_tried")
    paragraph = report.paragraphs[target]
    anchors = [
        a.model_copy(update={"start": a.start + shift, "end": a.end + shift})
        for a in paragraph.anchors
    ]
    anchors.append(
        CheckedAnchor(
            kind="quote",
            text=HOSTILE_SCRIPT,
            start=0,
            end=len(HOSTILE_SCRIPT),
            value=HOSTILE_SCRIPT,
            status="untraceable",
            fact_id=HOSTILE_FACT,
            cited=False,
            reason=f"no quote fact holds {HOSTILE_IMG}",
        )
    )
    moved = paragraph.model_copy(
        update={"text": HOSTILE_PROSE + paragraph.text, "anchors": anchors}
    )
    paragraphs = [*report.paragraphs]
    paragraphs[target] = moved
    evil = FactView.model_construct(
        id=HOSTILE_FACT,
        label=HOSTILE_IMG,
        value=HOSTILE_SCRIPT,
        kind="quote",
        qualifier=None,
        source=f"{HOSTILE_COMMENT}{LINE_SEPARATOR}{HOSTILE_SCRIPT}",
        source_url=HOSTILE_URL,
        field=f"/{HOSTILE_IMG}",
        request=HOSTILE_SCRIPT,
        formula=None,
        derived_from=[],
    )
    counts = report.counts.model_copy(
        update={"by_status": dict(Counter(a.status for p in paragraphs for a in p.anchors))}
    )
    bad_report = report.model_copy(
        update={
            "paragraphs": paragraphs,
            "facts": {**report.facts, HOSTILE_FACT: evil},
            "counts": counts,
        }
    )
    conflicts = [
        c.model_copy(update={"note": f"{HOSTILE_IMG} {c.note}"}) if i == 0 else c
        for i, c in enumerate(draft.conflicts)
    ]
    sections = [
        s.model_copy(update={"status": "needs_editor", "reason": HOSTILE_SCRIPT})
        if s.key == "open_questions"
        else s
        for s in draft.sections
    ]
    bad_draft = draft.model_copy(update={"conflicts": conflicts, "sections": sections})
    return bad_draft, bad_report


def reviewed(bundle: Bundle) -> tuple[Draft, VerifyReport]:
    """The offline draft of `bundle` and its hand-built report."""
    draft = draft_trial(bundle, OfflineWriter())
    return draft, report_of(draft)
