"""What a reviewer asks when something changed: two drafts of one trial compared word by word,
two evidence bundles compared fact by fact, and a draft's evidence against a fresh fetch, with
the paragraphs that cite what changed (the stale paragraphs). Pure: models in, report out.

Rules (the tests pin each one):

* Two drafts are compared as their articles read (drafter.edited_draft): a draft.json as its own
  draft.md shows it, an editor's draft.md as they left it, so either side may be either. The
  parts: the headline, the dek, the conflict notes (when either side has any), each section's
  paragraphs, and the computed sections line by line as render.py prints them: each row of the
  score table (points / maximum) and its total (with the band), the sentence under it (with
  the most informative claim), each numbered source, each related failure claim (led by its
  group). Parts are matched by key; a section only one side has was added or removed.
* Text is compared as a sequence of whitespace-separated words with difflib.SequenceMatcher
  (autojunk off: with it, frequent words such as "the" in a paragraph of 200 words or more are
  ignored as junk and the diff jumps around them). Whitespace alone is no change: Markdown
  folds it. Changes come in hunks with up to CONTEXT unchanged words either side.
* Paragraphs of a part are paired first, by word similarity as draft_markdown pairs an
  edited draft.md with draft.json (at least MATCH_SIMILARITY, best pairs first, the nearer
  position breaking ties): a paragraph inserted anywhere is one addition, and an edited
  paragraph is diffed against its original even when a new one now stands before it. A pair
  out of A's order (not in the longest run that keeps it) is "moved"; a paragraph no longer
  similar enough to its original shows as removed and added. An edited draft.md is anyone's
  file, so the work is bounded (MAX_PAIRING_WORK, MAX_WORD_DIFF_WORK): past it, paragraphs
  pair in order and a word diff shows the middle of a paragraph replaced whole.
* A fact changed when its value (with its JSON type), its qualifier (ACTUAL, ESTIMATED) or its
  precision differs, or when it is in one bundle only. Facts come grouped: the trial's key
  fields first (KEY_FIELDS, in that order), then every other fact read from a source (or
  computed from source facts alone, like ctgov:…:phase), then the derived facts.
* Derived facts are those of DERIVED_SOURCES (classify:, mrs:, related:, claims:): drafter
  derives them from its rules and from the claims table the run reads, so they can differ
  when only the claims table differs (another --db, claims added since).
* Stale (refetch): a place of the draft that cites a fact which changed. A source fact counts
  when it changed in any way or was removed. A derived fact counts only when it is in both
  bundles with a different value: one that appears or disappears, or changes only its
  qualifier or precision, is reported but stale-free, because which claims are listed depends
  on the claims table, not on the trial's sources.
* Places that cite facts: the headline (headline_cites, also behind the dek), every section
  paragraph, the Mechanism Risk Score (its sentence, its most informative claim, its table
  rows), each conflict note, and each related claim; of an edited draft.md (an ArticleDraft),
  its own headline, notes and paragraphs with the cites alignment gave them.
"""

from __future__ import annotations

import bisect
import difflib
from collections.abc import Iterable, Iterator, Sequence
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field

from drafter.bundle import Bundle, SourceRecord
from drafter.draft_markdown import match_texts
from drafter.draft_model import CitedParagraph, Draft
from drafter.edited_draft import ArticleDraft, ReadFrom, article_draft
from drafter.facts import Fact, FactValue, fact_id
from drafter.models import Precision

CONTEXT = 4  # unchanged words shown on each side of a change
EXCERPT_WORDS = 8  # words quoted to say which paragraph is meant
# Bounds on the work an edited draft.md (anyone's file, up to 2 MiB) can cause, in words x
# words (difflib's worst case); a real article needs a small fraction of either. Pairing the
# paragraphs of a part that are not identical past MAX_PAIRING_WORK: they pair in order. A
# word diff past MAX_WORD_DIFF_WORK: the words between the shared start and end are one
# replacement.
MAX_PAIRING_WORK = 40_000_000
MAX_WORD_DIFF_WORK = 4_000_000

# The trial fields a reviewer checks first, as ctgov fact fields, in the order they are shown.
KEY_FIELDS = (
    "overall_status",
    "why_stopped",
    "enrollment",
    "start_date",
    "primary_completion_date",
    "completion_date",
    "first_posted",
    "last_update_posted",
    "has_results",
    "results_first_posted",
)
DERIVED_SOURCES = frozenset({"classify", "mrs", "related", "claims"})

Change = Literal["edited", "added", "removed"]
ParagraphChange = Literal["edited", "moved", "added", "removed"]
FactChangeKind = Literal["changed", "added", "removed"]
FactGroup = Literal["key", "source", "derived"]
FactField = Literal["value", "qualifier", "precision"]


# --- drafts, word by word ----------------------------------------------------------------------


class Segment(BaseModel):
    op: Literal["equal", "delete", "insert"]
    text: str


class Hunk(BaseModel):
    """Changed words with up to CONTEXT unchanged words either side."""

    segments: list[Segment]
    at_start: bool = Field(description="the hunk starts at the paragraph's first word")
    at_end: bool = Field(description="the hunk ends at the paragraph's last word")


class ParagraphDiff(BaseModel):
    change: ParagraphChange
    a: int | None = Field(description="1-based number of the paragraph in A (None: added)")
    b: int | None = Field(description="1-based number of the paragraph in B (None: removed)")
    text: str | None = Field(default=None, description="the whole paragraph, when added/removed")
    hunks: list[Hunk] = Field(default_factory=list)
    cites_added: list[str] = Field(default_factory=list)
    cites_removed: list[str] = Field(default_factory=list)
    marked: tuple[str, str] | None = Field(
        default=None,
        description="how the article marks it (a fact paragraph's evidence grade, or "
        "background / editor note), before and after, when that changed",
    )


class SectionDiff(BaseModel):
    key: str
    heading: str
    change: Change
    status_a: str | None
    status_b: str | None
    paragraphs: list[ParagraphDiff]


class DraftDiff(BaseModel):
    kind: Literal["drafts"] = "drafts"
    nct_id: str
    a: str
    b: str
    a_read_from: ReadFrom = Field(description="the file of A compared: draft.json or draft.md")
    b_read_from: ReadFrom
    changed: list[SectionDiff]
    unchanged: list[str] = Field(description="keys of the parts with no change")

    @property
    def differs(self) -> bool:
        return bool(self.changed)


class _Paragraph(NamedTuple):
    words: tuple[str, ...]
    cites: tuple[str, ...]
    text: str
    mark: str | None = None  # how the article marks it: its grade, or background / editor note


class _Part(NamedTuple):
    """A headline, a dek or a section, as a list of paragraphs."""

    key: str
    heading: str
    status: str
    paragraphs: list[_Paragraph]


def _paragraph(text: str, cites: Iterable[str] = (), mark: str | None = None) -> _Paragraph:
    return _Paragraph(tuple(text.split()), tuple(cites), text, mark)


def _mark(paragraph: CitedParagraph) -> str:
    """What draft.md prints beside a section paragraph's words: a fact paragraph's evidence
    grade, or the kind of a background paragraph or an editor note."""
    if paragraph.kind == "fact":
        return f"fact ({paragraph.grade})"
    return "background" if paragraph.kind == "background" else "editor note"


CONFLICTS_HEADING = "Conflicting evidence and record history"


def _parts(article: ArticleDraft) -> list[_Part]:
    """Everything the article shows, as drafter.edited_draft reads it: the headline, the dek,
    the conflict notes (when there are any), each section's paragraphs and each computed
    section's lines (score table rows, the score's sentence with its most informative claim,
    the numbered sources, the related failure claims). Paragraphs without a word are none."""

    def paragraphs(
        texts: Iterable[str], cites: Iterable[str], mark: str | None = None
    ) -> list[_Paragraph]:
        kept = [text for whole in texts for text in whole.split("\n\n") if text.split()]
        return [_paragraph(text, cites, mark) for text in kept]

    status = article.headline_status
    parts = [
        _Part(
            "headline", "Headline", status, paragraphs([article.headline], article.headline_cites)
        ),
        _Part("dek", "Dek", status, paragraphs([article.dek], article.headline_cites)),
    ]
    if article.conflicts:
        notes = [p for c in article.conflicts for p in paragraphs([c.note], c.facts)]
        parts.append(_Part("conflicts", CONFLICTS_HEADING, "written", notes))
    for section in article.sections:
        computed = section.status == "computed"
        texts = [
            p
            for paragraph in section.paragraphs
            for p in paragraphs(
                [paragraph.text], paragraph.cites, None if computed else _mark(paragraph)
            )
        ]
        parts.append(_Part(section.key, section.heading, section.status, texts))
    return parts


def compare_drafts(a: Draft, b: Draft, a_label: str, b_label: str) -> DraftDiff:
    """Word-level changes of every part of the two articles, matched by key; unchanged parts
    listed by key. A Draft from draft.json is compared as its draft.md shows it
    (edited_draft.article_draft); an ArticleDraft (an editor's draft.md) as it is."""
    article_a, article_b = article_draft(a), article_draft(b)
    parts_a = {p.key: p for p in _parts(article_a)}
    parts_b = {p.key: p for p in _parts(article_b)}
    keys = list(parts_b) + [k for k in parts_a if k not in parts_b]
    changed: list[SectionDiff] = []
    unchanged: list[str] = []
    for key in keys:
        found = _compare_parts(parts_a.get(key), parts_b.get(key))
        if found is None:
            unchanged.append(key)
        else:
            changed.append(found)
    return DraftDiff(
        nct_id=b.nct_id,
        a=a_label,
        b=b_label,
        a_read_from=article_a.read_from,
        b_read_from=article_b.read_from,
        changed=changed,
        unchanged=unchanged,
    )


def _compare_parts(a: _Part | None, b: _Part | None) -> SectionDiff | None:
    """None when both are the same (status included)."""
    shown = b or a
    assert shown is not None
    if a is None or b is None:
        side: Literal["a", "b"] = "b" if a is None else "a"
        paragraphs = [_whole(p, i, side) for i, p in enumerate(shown.paragraphs, 1)]
        change: Change = "added" if a is None else "removed"
    else:
        paragraphs = list(_compare_paragraphs(a.paragraphs, b.paragraphs))
        if not paragraphs and a.status == b.status:
            return None
        change = "edited"
    return SectionDiff(
        key=shown.key,
        heading=shown.heading,
        change=change,
        status_a=a.status if a else None,
        status_b=b.status if b else None,
        paragraphs=paragraphs,
    )


def _compare_paragraphs(
    a: Sequence[_Paragraph], b: Sequence[_Paragraph]
) -> Iterator[ParagraphDiff]:
    """Paragraphs paired by word similarity (draft_markdown.match_texts: best pairs first, so
    an edited paragraph finds its original even with a new one inserted before it); a pair
    that differs is edited, one out of order moved; the rest were added or removed. In B's
    order, each removed paragraph where it stood in A."""
    partner = match_texts([p.text for p in b], [p.text for p in a], max_work=MAX_PAIRING_WORK)
    in_order = _in_order(partner)
    paired = {i for i in partner if i is not None}
    next_a = 0
    for j, i in enumerate(partner):
        if i is None:
            yield _whole(b[j], j + 1, "b")
            continue
        if j in in_order:
            yield from (_whole(a[k], k + 1, "a") for k in range(next_a, i) if k not in paired)
            next_a = i + 1
        found = _edited(a[i], b[j], i + 1, j + 1, moved=j not in in_order)
        edited = found.hunks or found.cites_added or found.cites_removed or found.marked
        if found.change == "moved" or edited:
            yield found
    yield from (_whole(a[k], k + 1, "a") for k in range(next_a, len(a)) if k not in paired)


def _in_order(partner: Sequence[int | None]) -> set[int]:
    """The B indices of the longest run of pairs that keeps A's order (a longest increasing
    subsequence of the partners); the other pairs moved."""
    tails: list[int] = []  # tails[k]: the B index ending the best run of length k + 1
    ends: list[int] = []  # ends[k]: its A index
    previous: dict[int, int | None] = {}
    for j, i in enumerate(partner):
        if i is None:
            continue
        k = bisect.bisect_left(ends, i)
        previous[j] = tails[k - 1] if k else None
        if k == len(tails):
            tails.append(j)
            ends.append(i)
        else:
            tails[k], ends[k] = j, i
    kept: set[int] = set()
    at = tails[-1] if tails else None
    while at is not None:
        kept.add(at)
        at = previous[at]
    return kept


def _whole(paragraph: _Paragraph, number: int, side: Literal["a", "b"]) -> ParagraphDiff:
    """A paragraph only one side has: removed from A, or added in B."""
    if side == "a":
        return ParagraphDiff(change="removed", a=number, b=None, text=paragraph.text)
    return ParagraphDiff(change="added", a=None, b=number, text=paragraph.text)


def _edited(
    a: _Paragraph, b: _Paragraph, number_a: int, number_b: int, *, moved: bool = False
) -> ParagraphDiff:
    return ParagraphDiff(
        change="moved" if moved else "edited",
        a=number_a,
        b=number_b,
        hunks=word_hunks(a.words, b.words),
        cites_added=[c for c in b.cites if c not in a.cites],
        cites_removed=[c for c in a.cites if c not in b.cites],
        marked=(a.mark, b.mark) if a.mark and b.mark and a.mark != b.mark else None,
    )


def word_hunks(a: Sequence[str], b: Sequence[str]) -> list[Hunk]:
    """The changed words of two word lists, each hunk with its context (difflib's grouped
    opcodes: changes closer than twice the context share a hunk)."""
    if len(a) * len(b) > MAX_WORD_DIFF_WORK:
        matcher: difflib.SequenceMatcher[str] = _Replaced(a, b)
    else:
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    hunks = []
    for group in matcher.get_grouped_opcodes(CONTEXT):
        segments: list[Segment] = []
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                segments.append(Segment(op="equal", text=" ".join(a[i1:i2])))
                continue
            if i2 > i1:
                segments.append(Segment(op="delete", text=" ".join(a[i1:i2])))
            if j2 > j1:
                segments.append(Segment(op="insert", text=" ".join(b[j1:j2])))
        first, last = group[0], group[-1]
        hunks.append(
            Hunk(
                segments=segments,
                at_start=first[1] == 0 and first[3] == 0,
                at_end=last[2] == len(a) and last[4] == len(b),
            )
        )
    return hunks


_Op = Literal["replace", "delete", "insert", "equal"]


class _Replaced(difflib.SequenceMatcher[str]):
    """Two word lists too long to diff word by word: their shared start and end, and the rest
    replaced as a whole."""

    def __init__(self, a: Sequence[str], b: Sequence[str]) -> None:
        super().__init__(None, a, b, autojunk=False)
        self._a, self._b = a, b

    def get_opcodes(self) -> list[tuple[_Op, int, int, int, int]]:
        a, b = self._a, self._b
        shortest = min(len(a), len(b))
        start = 0
        while start < shortest and a[start] == b[start]:
            start += 1
        end = 0
        while end < shortest - start and a[-1 - end] == b[-1 - end]:
            end += 1
        stop_a, stop_b = len(a) - end, len(b) - end
        codes: list[tuple[_Op, int, int, int, int]] = []
        if start:
            codes.append(("equal", 0, start, 0, start))
        if start < stop_a or start < stop_b:
            op: _Op = "replace" if start < stop_a and start < stop_b else "delete"
            codes.append(("insert" if start == stop_a else op, start, stop_a, start, stop_b))
        if end:
            codes.append(("equal", stop_a, len(a), stop_b, len(b)))
        return codes


# --- evidence, fact by fact --------------------------------------------------------------------


class FactState(BaseModel):
    value: FactValue
    qualifier: str | None = None
    precision: Precision | None = None
    record: str | None = Field(default=None, description="the source record it was read from")


class Citation(BaseModel):
    """A place of the draft that cites a fact."""

    section: str = Field(description="section key, or headline, mrs, conflicts, related_claims")
    paragraph: int | None = Field(default=None, description="1-based paragraph or note number")
    excerpt: str = Field(description="its first words")


class FactChange(BaseModel):
    id: str
    label: str
    group: FactGroup
    change: FactChangeKind
    fields: list[FactField] = Field(description="what differs, for a changed fact")
    before: FactState | None
    after: FactState | None
    cited_by: list[Citation] = Field(default_factory=list)
    stale: bool = Field(default=False, description="the draft's text may now be wrong")


class RecordChange(BaseModel):
    """A source answer whose content (sha256 of its body) changed, appeared or went away."""

    id: str
    source: str
    request: str
    change: FactChangeKind
    before: str | None = Field(description="sha256 before")
    after: str | None = Field(description="sha256 after")
    facts: list[str] = Field(description="ids of the facts read from it")


class EvidenceDiff(BaseModel):
    kind: Literal["evidence"] = "evidence"
    nct_id: str
    a: str
    b: str
    facts: list[FactChange]
    key_unchanged: list[str] = Field(description="ids of the key trial facts that did not change")
    records: list[RecordChange]

    @property
    def differs(self) -> bool:
        return bool(self.facts or self.records)


def group_of(fact_id_: str, key_ids: Sequence[str]) -> FactGroup:
    if fact_id_ in key_ids:
        return "key"
    return "derived" if fact_id_.split(":", 1)[0] in DERIVED_SOURCES else "source"


def _key_ids(nct_id: str) -> list[str]:
    return [fact_id("ctgov", nct_id, field) for field in KEY_FIELDS]


def _state(fact: Fact) -> FactState:
    return FactState(
        value=fact.value, qualifier=fact.qualifier, precision=fact.precision, record=fact.record
    )


def _same(a: FactValue, b: FactValue) -> bool:
    """Equal values of the same JSON type (True is not 1, 72 is not 72.0 or "72")."""
    return type(a) is type(b) and a == b


def _differing(a: Fact, b: Fact) -> list[FactField]:
    fields: list[FactField] = []
    if not _same(a.value, b.value):
        fields.append("value")
    if a.qualifier != b.qualifier:
        fields.append("qualifier")
    if a.precision != b.precision:
        fields.append("precision")
    return fields


def _fact_change(key_ids: Sequence[str], a: Fact | None, b: Fact | None) -> FactChange | None:
    shown = b or a
    assert shown is not None
    fields = _differing(a, b) if a is not None and b is not None else []
    if a is not None and b is not None and not fields:
        return None
    kind: FactChangeKind = "added" if a is None else "removed" if b is None else "changed"
    return FactChange(
        id=shown.id,
        label=shown.label,
        group=group_of(shown.id, key_ids),
        change=kind,
        fields=fields,
        before=_state(a) if a else None,
        after=_state(b) if b else None,
    )


_GROUP_ORDER: dict[FactGroup, int] = {"key": 0, "source": 1, "derived": 2}


def compare_bundles(a: Bundle, b: Bundle, a_label: str, b_label: str) -> EvidenceDiff:
    """Every fact whose value, qualifier or precision differs, or that one side lacks, key
    trial fields first (in KEY_FIELDS order), then the rest in B's order; and the source
    records whose content differs."""
    facts_a = {f.id: f for f in a.facts}
    facts_b = {f.id: f for f in b.facts}
    ids = list(facts_b) + [i for i in facts_a if i not in facts_b]
    key_ids = _key_ids(b.nct_id)
    found = [_fact_change(key_ids, facts_a.get(i), facts_b.get(i)) for i in ids]
    changes = [c for c in found if c is not None]
    changes.sort(
        key=lambda c: (_GROUP_ORDER[c.group], key_ids.index(c.id) if c.group == "key" else 0)
    )
    changed_ids = {c.id for c in changes}
    key_unchanged = [i for i in key_ids if i in facts_b and i in facts_a and i not in changed_ids]
    return EvidenceDiff(
        nct_id=b.nct_id,
        a=a_label,
        b=b_label,
        facts=changes,
        key_unchanged=key_unchanged,
        records=compare_records(a, b),
    )


def compare_records(a: Bundle, b: Bundle) -> list[RecordChange]:
    """Source records by id whose sha256 differs or that one side lacks, each with the ids of
    the facts read from it (from B, or from A for a record B lacks)."""
    records_a = {r.id: r for r in a.sources}
    records_b = {r.id: r for r in b.sources}
    changes = []
    for record_id in list(records_b) + [i for i in records_a if i not in records_b]:
        old, new = records_a.get(record_id), records_b.get(record_id)
        if old is not None and new is not None and old.sha256 == new.sha256:
            continue
        changes.append(_record_change(old, new, b if new is not None else a))
    return changes


def _record_change(
    old: SourceRecord | None, new: SourceRecord | None, holder: Bundle
) -> RecordChange:
    shown = new or old
    assert shown is not None
    kind: FactChangeKind = "added" if old is None else "removed" if new is None else "changed"
    return RecordChange(
        id=shown.id,
        source=shown.source,
        request=shown.request,
        change=kind,
        before=old.sha256 if old else None,
        after=new.sha256 if new else None,
        facts=[f.id for f in holder.facts if f.record == shown.id],
    )


# --- stale paragraphs ----------------------------------------------------------------------------


class StaleParagraph(Citation):
    facts: list[str] = Field(description="the changed facts it cites")


class RefetchReport(BaseModel):
    kind: Literal["refetch"] = "refetch"
    nct_id: str
    draft: str = Field(description="the draft directory, as given")
    read_from: ReadFrom = Field(description="the file whose places are listed")
    draft_as_of: str
    as_of: str = Field(description="the date the evidence was rebuilt for")
    offline: bool
    evidence: EvidenceDiff = Field(description="A: the draft's evidence.json, B: fetched now")
    stale: list[StaleParagraph]

    @property
    def stale_facts(self) -> list[FactChange]:
        return [c for c in self.evidence.facts if c.stale]


def excerpt(text: str, words: int = EXCERPT_WORDS) -> str:
    """The first words of a text, enough to find it again."""
    split = text.split()
    return " ".join(split[:words]) + (" …" if len(split) > words else "")


def citations(draft: Draft) -> dict[str, list[Citation]]:
    """Fact id → every place of the draft that cites it, in the draft's order."""
    cited: dict[str, list[Citation]] = {}
    for fact_ids, place in _citing_places(draft):
        for cited_id in dict.fromkeys(fact_ids):
            cited.setdefault(cited_id, []).append(place)
    return cited


def _citing_places(draft: Draft) -> Iterator[tuple[list[str], Citation]]:
    yield draft.headline_cites, Citation(section="headline", excerpt=excerpt(draft.headline))
    if draft.mrs is not None:
        mrs = draft.mrs
        rows = [i for row in mrs.rows for i in (row.fact, row.maximum_fact)]
        cites = mrs.summary_cites + mrs.most_informative_cites + rows
        yield cites, Citation(section="mrs", excerpt=excerpt(mrs.summary))
    for number, note in enumerate(draft.conflicts, 1):
        yield (
            note.facts,
            Citation(section="conflicts", paragraph=number, excerpt=excerpt(note.note)),
        )
    for section in draft.sections:
        if section.status == "computed":
            continue  # the score and the related claims are the places above and below
        for number, paragraph in enumerate(section.paragraphs, 1):
            place = Citation(section=section.key, paragraph=number, excerpt=excerpt(paragraph.text))
            yield paragraph.cites, place
    for group in draft.related:
        for claim in group.claims:
            told = excerpt(claim.headline or claim.key)
            yield [claim.fact], Citation(section="related_claims", excerpt=told)


def is_stale(change: FactChange) -> bool:
    """Whether a change of a cited fact makes the citing text suspect (module docstring)."""
    if change.group != "derived":
        return True
    return change.change == "changed" and "value" in change.fields


def refetch_report(
    draft: Draft, saved: Bundle, fresh: Bundle, *, label: str, offline: bool
) -> RefetchReport:
    """The draft's evidence against the evidence built now: every change, each with the places
    that cite it, and the places whose cited facts changed (stale)."""
    diff = compare_bundles(saved, fresh, "evidence.json", "refetched")
    cited = citations(draft)
    facts = []
    for change in diff.facts:
        places = cited.get(change.id, [])
        stale = bool(places) and is_stale(change)
        facts.append(change.model_copy(update={"cited_by": places, "stale": stale}))
    return RefetchReport(
        nct_id=draft.nct_id,
        draft=label,
        read_from=draft.read_from if isinstance(draft, ArticleDraft) else "draft.json",
        draft_as_of=draft.as_of,
        as_of=fresh.as_of,
        offline=offline,
        evidence=diff.model_copy(update={"facts": facts}),
        stale=_stale_places(draft, {c.id for c in facts if c.stale}),
    )


def _stale_places(draft: Draft, stale_ids: set[str]) -> list[StaleParagraph]:
    """Each place citing a stale fact, once, in the draft's order, with the stale facts it cites."""
    found = []
    for fact_ids, place in _citing_places(draft):
        hit = [i for i in dict.fromkeys(fact_ids) if i in stale_ids]
        if hit:
            found.append(StaleParagraph(**place.model_dump(), facts=hit))
    return found
