"""An editor's hand-edited draft.md re-aligned to the draft.json it was rendered from, so
`drafter verify` can check each edited paragraph against the facts its original cited.

Sections are matched by heading: equal once case and spacing are ignored, else the most similar
unclaimed heading at a character similarity of at least HEADING_SIMILARITY (difflib, so a
"What Was Tried?" is still "What was tried"). The headline, the dek and the conflict notes above
the first section are the pseudo-sections "headline", "dek" and "conflicts". Two headings that
name the same section pool their paragraphs.

Within a section each edited paragraph is matched to a draft paragraph by the similarity of
their word lists (difflib's ratio), best pairs first, the nearer position breaking ties:
  * one-to-one at a similarity of at least MATCH_SIMILARITY;
  * a split: a paragraph left over whose words (at least PIECE_MIN_WORDS) are, in order, at
    least PIECE_SHARE a part of one draft paragraph takes that paragraph too, so both halves of
    a paragraph the editor cut in two keep its cites;
  * a merge: a draft paragraph left over whose words are, in the same sense, a part of one
    edited paragraph adds its cites to it (merged_indices), so a joined paragraph keeps both.
A matched paragraph takes its original's cites ("aligned"). One that matches nothing takes
every fact whose sources are all among its markers " [1][3]" ("markers"), else none ("none").
The computed sections are matched the same way, against text built from draft.json, and
matched_index counts in these lists: "mrs" the rows of draft.mrs, then the total row, then the
sentence under the table (cites: summary_cites and most_informative_cites); "sources"
draft.sources (cites: the facts read from that record); "related_claims" the claims of
draft.related, group after group (cites: the claim's related: fact). "headline" and "dek" have
one paragraph each (cites: headline_cites); "conflicts" counts in draft.conflicts.

Template text that is no draft.json paragraph (the conflict labels, the table header, the
NEEDS EDITOR line, "No score", the related-claims intro) matches nothing and says so.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from pydantic import BaseModel, Field

from drafter.draft_model import Draft, MrsSection, SourceNumbers
from drafter.errors import MarkdownTooLarge
from drafter.markdown_parse import MarkdownKind, ParsedArticle, ParsedParagraph, parse_article
from drafter.section_models import EvidenceGrade

# An editor's article is a few tens of KB; the bound refuses a runaway file before any work.
MAX_MARKDOWN_BYTES = 2 * 2**20
HEADING_SIMILARITY = 0.8
# Below this, an edited paragraph is a new one. A paragraph with a number or a name changed
# scores above 0.9; two different paragraphs of one section of the bundled drafts score 0.08
# (median), 0.55 (99th percentile), at most 0.83 for templated siblings ("The record was
# updated on enrollment: …" / "… on lead sponsor: …"). Pairs are taken best first, so a
# sibling only wins a paragraph whose own original is gone.
MATCH_SIMILARITY = 0.5
PIECE_SHARE = 0.8
PIECE_MIN_WORDS = 4

HEADLINE = "headline"
DEK = "dek"
CONFLICTS = "conflicts"
CitesFrom = Literal["aligned", "markers", "none"]
_WORD = re.compile(r"\w+(?:[.,/:-]\w+)*")


class MarkdownParagraph(BaseModel):
    section_key: str | None = Field(
        description="the draft section, or 'headline', 'dek', 'conflicts'; None under a "
        "heading matching no section, or above the headline"
    )
    heading: str | None = Field(description="the section heading as the editor wrote it")
    subheading: str | None = Field(description="the '### ' heading it stands under, if any")
    index: int = Field(
        description="its position in its section (for no section: under its heading)"
    )
    text: str = Field(description="plain prose: markup, markers and grade taken off")
    kind: MarkdownKind = Field(description="what the Markdown makes it")
    grade: EvidenceGrade | None
    markers: list[int] = Field(description="the source numbers printed with it")
    cites: list[str] = Field(description="fact ids it rests on")
    cites_from: CitesFrom
    matched_index: int | None = Field(
        description="the draft paragraph it was matched to: an index into the section's "
        "paragraphs (pseudo and computed sections: see the module docstring)"
    )
    merged_indices: list[int] = Field(
        default_factory=list, description="draft paragraphs merged into it, cites added"
    )
    draft_kind: MarkdownKind | None = Field(description="the kind of the matched draft paragraph")
    similarity: float = Field(description="word-level similarity to it; 0 when unmatched")
    line: int = Field(description="1-based line of its first line")
    end_line: int
    start: int = Field(description="character offset of its first line in the text")
    end: int = Field(description="character offset just after its last line")


class MarkdownHeading(BaseModel):
    heading: str
    line: int
    section_key: str | None
    similarity: float = Field(description="1 for an equal heading, else difflib's ratio")


class AlignedMarkdown(BaseModel):
    paragraphs: list[MarkdownParagraph]
    headings: list[MarkdownHeading]
    unaligned_headings: list[MarkdownHeading]
    missing_sections: list[str] = Field(description="keys of draft sections not in the article")


def align_markdown(markdown: str, draft: Draft) -> AlignedMarkdown:
    """The edited article's paragraphs, each tied to the draft paragraph and facts it came from."""
    _check_size(markdown)
    article = parse_article(markdown)
    headings = _headings(article, draft)
    groups = _groups(article, headings)
    targets = _targets(draft)
    sources = SourceNumbers(draft)
    computed = {s.key for s in draft.sections if s.status == "computed"}
    paragraphs: list[MarkdownParagraph] = []
    for (key, _), members in groups.items():
        at = _Section(key, targets.get(key, []) if key else [], key in computed, headings, sources)
        matches = _align(members, at.targets) if at.targets else [_NO_MATCH] * len(members)
        paragraphs += [
            _result(piece, match, index, at)
            for index, (piece, match) in enumerate(zip(members, matches, strict=True))
        ]
    paragraphs.sort(key=lambda p: p.start)
    present = {p.section_key for p in paragraphs} | {h.section_key for h in headings}
    return AlignedMarkdown(
        paragraphs=paragraphs,
        headings=headings,
        unaligned_headings=[h for h in headings if h.section_key is None],
        missing_sections=[key for key in _expected(draft) if key not in present],
    )


def _check_size(markdown: str) -> None:
    """Refuse a text over MAX_MARKDOWN_BYTES of UTF-8 (counted without encoding a huge one)."""
    if len(markdown) > MAX_MARKDOWN_BYTES or (
        len(markdown) * 4 > MAX_MARKDOWN_BYTES
        and len(markdown.encode("utf-8", "surrogatepass")) > MAX_MARKDOWN_BYTES
    ):
        raise MarkdownTooLarge(
            f"draft.md is larger than {MAX_MARKDOWN_BYTES:,} bytes, more than an article can be"
        )


# --- sections ------------------------------------------------------------------------------------


def _normal(heading: str) -> str:
    return " ".join(heading.casefold().split())


def _headings(article: ParsedArticle, draft: Draft) -> list[MarkdownHeading]:
    """Each heading of the article with the draft section it names: equal ones first, then
    the remaining ones to the most similar section no heading named yet."""
    keys = {_normal(s.heading): s.key for s in draft.sections}
    found = [keys.get(_normal(h.text)) for h in article.headings]
    similarity = [1.0 if key else 0.0 for key in found]
    named = set(found)
    pairs = sorted(
        (-ratio, i, section.key)
        for i, heading in enumerate(article.headings)
        if found[i] is None
        for section in draft.sections
        if section.key not in named
        and (ratio := _heading_similarity(heading.text, section.heading)) >= HEADING_SIMILARITY
    )
    for negative, i, key in pairs:
        if found[i] is None and key not in named:
            found[i], similarity[i] = key, -negative
            named.add(key)
    return [
        MarkdownHeading(
            heading=h.text, line=h.line.number, section_key=key, similarity=round(ratio, 4)
        )
        for h, key, ratio in zip(article.headings, found, similarity, strict=True)
    ]


def _heading_similarity(written: str, heading: str) -> float:
    matcher = SequenceMatcher(None, _normal(written), _normal(heading), autojunk=False)
    if matcher.real_quick_ratio() < HEADING_SIMILARITY:
        return 0.0  # lengths too far apart: a long text is no renamed heading
    return matcher.ratio()


_Group = tuple[str | None, int]  # a section key; for no section, the heading's index as well


def _groups(
    article: ParsedArticle, headings: list[MarkdownHeading]
) -> dict[_Group, list[ParsedParagraph]]:
    """The paragraphs by the section they are aligned within, in the article's order;
    paragraphs of no section are grouped by the heading they stand under."""
    groups: dict[_Group, list[ParsedParagraph]] = {}
    if article.headline is not None:
        groups[HEADLINE, 0] = [article.headline]
    for paragraph in article.paragraphs:
        if paragraph.region >= 0:
            key = headings[paragraph.region].section_key
        else:
            key = _preamble_key(paragraph, article)
        groups.setdefault((key, 0 if key else paragraph.region), []).append(paragraph)
    return groups


def _preamble_key(paragraph: ParsedParagraph, article: ParsedArticle) -> str | None:
    """Above the first section: a NEEDS EDITOR block belongs to the headline, quotes are the
    conflict notes, prose after the headline (or anywhere, without one) is the dek; prose above
    the headline belongs to no section."""
    if paragraph.kind == "needs_editor":
        return HEADLINE
    if paragraph.kind == "conflict":
        return CONFLICTS
    headline = article.headline
    if headline is not None and paragraph.first.start < headline.first.start:
        return None
    return DEK


def _expected(draft: Draft) -> list[str]:
    keys = [HEADLINE] + ([DEK] if draft.dek.strip() else [])
    keys += [CONFLICTS] if draft.conflicts else []
    return keys + [section.key for section in draft.sections]


# --- what each section is aligned against --------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """A paragraph of draft.json: its text (for computed sections, the words the article
    prints for a row, source or claim), the facts it cites and its kind."""

    text: str
    cites: list[str]
    kind: MarkdownKind


def _targets(draft: Draft) -> dict[str, list[_Target]]:
    targets = {
        HEADLINE: [_Target(draft.headline, draft.headline_cites, "headline")],
        DEK: [_Target(draft.dek, draft.headline_cites, "fact")] if draft.dek.strip() else [],
        CONFLICTS: [_Target(c.note, c.facts, "conflict") for c in draft.conflicts],
    }
    for section in draft.sections:
        targets[section.key] = [_Target(p.text, p.cites, p.kind) for p in section.paragraphs]
    targets["mrs"] = _mrs_targets(draft.mrs) if draft.mrs else []
    targets["sources"] = _source_targets(draft)
    targets["related_claims"] = [
        _Target(
            " ".join(
                part
                for part in (c.event_date or "undated", c.title, c.drug, c.target, c.disease)
                if part
            ),
            [c.fact],
            "list",
        )
        for group in draft.related
        for c in group.claims
    ]
    return targets


def _mrs_targets(mrs: MrsSection) -> list[_Target]:
    """The rows of the score table, its total, then the sentence under it (the counts and the
    most informative claim, so both sentences' facts)."""
    rows = [
        _Target(f"{r.heading} {r.points:.1f} / {r.maximum}", [r.fact, r.maximum_fact], "table")
        for r in mrs.rows
    ]
    total_facts = [f for f in mrs.facts if f.endswith((":total", ":total.max", ":band"))]
    total = f"Mechanism Risk Score {mrs.total} / {mrs.scale} ({mrs.band})"
    sentence = f"{mrs.summary} {mrs.most_informative or ''}"
    cites = list(dict.fromkeys(mrs.summary_cites + mrs.most_informative_cites))
    return [*rows, _Target(total, total_facts, "table"), _Target(sentence, cites, "computed")]


def _source_targets(draft: Draft) -> list[_Target]:
    """Each numbered source, citing the facts read from its record."""
    read_from: dict[str, list[str]] = {}
    for fact in draft.facts:
        if fact.record:
            read_from.setdefault(fact.record, []).append(fact.id)
    return [
        _Target(
            " ".join([s.source, s.request, s.url or "", *s.pages]),
            read_from.get(s.record, []),
            "list",
        )
        for s in draft.sources
    ]


# --- matching paragraphs -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Match:
    index: int | None  # the draft paragraph matched
    similarity: float
    merged: tuple[int, ...] = ()  # draft paragraphs merged into the edited one


_NO_MATCH = _Match(None, 0.0)


@dataclass(frozen=True)
class _Overlap:
    """How much two word lists share, in order: difflib's ratio, and the share of each."""

    ratio: float
    of_edited: float
    of_draft: float


def _words(text: str) -> list[str]:
    """Words and numbers as a reader sees them: "10.7", "2026-05-20" and "NCT05591222" are one
    word each; case and punctuation around words do not count."""
    folded = text.casefold()
    return _WORD.findall(folded) or folded.split()  # a paragraph of marks only: its marks


def _align(pieces: list[ParsedParagraph], targets: list[_Target]) -> list[_Match]:
    edited = [_words(p.text) for p in pieces]
    drafted = [_words(t.text) for t in targets]
    matched = _identical(edited, drafted)
    taken = {m.index for m in matched.values() if m.index is not None}
    # every pair a later rule may look at: a paragraph left over against all the others
    rows = [i for i in range(len(edited)) if i not in matched]
    columns = [j for j in range(len(drafted)) if j not in taken]
    overlaps = _overlaps(edited, drafted, rows, range(len(drafted)))
    overlaps |= _overlaps(edited, drafted, matched, columns)
    _one_to_one(overlaps, matched, taken)
    _split_pieces(edited, overlaps, matched, taken)
    _merged_paragraphs(drafted, overlaps, matched, taken)
    return [matched.get(i, _NO_MATCH) for i in range(len(pieces))]


def match_texts(
    edited: list[str], drafted: list[str], *, max_work: int | None = None
) -> list[int | None]:
    """For each edited text, the index of the drafted text it is paired with, or None: the
    one-to-one rule of the module docstring alone (word similarity of at least
    MATCH_SIMILARITY, best pairs first, the nearer position breaking ties), no splits or
    merges. `drafter diff` pairs the paragraphs of two versions of a part with it.

    Identical texts pair without measuring anything. Measuring the rest costs up to the
    product of their word counts; past `max_work` (words × words) they pair in order instead
    (the first left over with the first left over, and so on)."""
    words_edited = [_words(t) for t in edited]
    words_drafted = [_words(t) for t in drafted]
    matched = _identical(words_edited, words_drafted)
    taken = {m.index for m in matched.values() if m.index is not None}
    rows = [i for i in range(len(edited)) if i not in matched]
    columns = [j for j in range(len(drafted)) if j not in taken]
    work = sum(len(words_edited[i]) for i in rows) * sum(len(words_drafted[j]) for j in columns)
    if max_work is None or work <= max_work:
        _one_to_one(_overlaps(words_edited, words_drafted, rows, columns), matched, taken)
    else:
        matched |= {i: _Match(j, 0.0) for i, j in zip(rows, columns, strict=False)}
    return [matched[i].index if i in matched else None for i in range(len(edited))]


def _identical(edited: list[list[str]], drafted: list[list[str]]) -> dict[int, _Match]:
    """The pairs of equal word lists (the pairs of similarity 1), nearest first: what the
    one-to-one rule takes first, found by hashing instead of measuring every pair."""
    where: dict[tuple[str, ...], list[int]] = {}
    for j, words in enumerate(drafted):
        if words:
            where.setdefault(tuple(words), []).append(j)
    pairs = sorted(
        (abs(i - j), i, j) for i, words in enumerate(edited) for j in where.get(tuple(words), [])
    )
    matched: dict[int, _Match] = {}
    taken: set[int] = set()
    for _, i, j in pairs:
        if i not in matched and j not in taken:
            matched[i] = _Match(j, 1.0)
            taken.add(j)
    return matched


def _one_to_one(
    overlaps: dict[tuple[int, int], _Overlap], matched: dict[int, _Match], taken: set[int]
) -> None:
    """Pairs at or above MATCH_SIMILARITY, best first, the nearer position breaking ties,
    added to `matched` (edited index → match) and `taken` (drafted indices)."""
    ranked = sorted(
        overlaps.items(), key=lambda kv: (-kv[1].ratio, abs(kv[0][0] - kv[0][1]), kv[0])
    )
    for (i, j), overlap in ranked:
        if overlap.ratio >= MATCH_SIMILARITY and i not in matched and j not in taken:
            matched[i] = _Match(j, overlap.ratio)
            taken.add(j)


def _overlaps(
    edited: list[list[str]],
    drafted: list[list[str]],
    rows: Iterable[int],
    columns: Iterable[int],
) -> dict[tuple[int, int], _Overlap]:
    """The overlap of every pair (rows × columns) that could pass any threshold; the others
    are not measured (their shared-word count, an upper bound of the in-order one, is
    already too small)."""
    columns = list(columns)
    counts = {j: Counter(drafted[j]) for j in columns}
    found: dict[tuple[int, int], _Overlap] = {}
    for i in rows:
        a = edited[i]
        count_a = Counter(a)
        for j in columns:
            b = drafted[j]
            shared = sum((count_a & counts[j]).values()) if a and b else 0
            if shared and (
                _overlap_of(shared, a, b).ratio >= MATCH_SIMILARITY
                or shared >= PIECE_SHARE * min(len(a), len(b))
            ):
                blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
                found[i, j] = _overlap_of(sum(block.size for block in blocks), a, b)
    return found


def _overlap_of(shared: int, a: list[str], b: list[str]) -> _Overlap:
    return _Overlap(2 * shared / (len(a) + len(b)), shared / len(a), shared / len(b))


def _split_pieces(
    edited: list[list[str]],
    overlaps: dict[tuple[int, int], _Overlap],
    matched: dict[int, _Match],
    taken: set[int],
) -> None:
    """An edited paragraph left over that is a piece of one draft paragraph takes it too."""
    best: dict[int, tuple[float, float, int]] = {}
    for (i, j), o in overlaps.items():
        if i not in matched and len(edited[i]) >= PIECE_MIN_WORDS and o.of_edited >= PIECE_SHARE:
            candidate = (o.of_edited, o.ratio, -j)  # the largest share, then ratio, then first
            best[i] = max(best[i], candidate) if i in best else candidate
    for i, (_, ratio, negative_j) in best.items():
        matched[i] = _Match(-negative_j, ratio)
        taken.add(-negative_j)


def _merged_paragraphs(
    drafted: list[list[str]],
    overlaps: dict[tuple[int, int], _Overlap],
    matched: dict[int, _Match],
    taken: set[int],
) -> None:
    """A draft paragraph left over that is a piece of one edited paragraph joins it: it is
    merged into that paragraph's match, or is its match if it had none."""
    best: dict[int, tuple[float, float, int]] = {}
    for (i, j), o in overlaps.items():
        if j not in taken and len(drafted[j]) >= PIECE_MIN_WORDS and o.of_draft >= PIECE_SHARE:
            candidate = (o.of_draft, o.ratio, -i)
            best[j] = max(best[j], candidate) if j in best else candidate
    for j, (_, ratio, negative_i) in sorted(best.items()):
        before = matched.get(-negative_i)
        if before is None:
            matched[-negative_i] = _Match(j, ratio)
        else:
            matched[-negative_i] = _Match(before.index, before.similarity, (*before.merged, j))


# --- the result ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Section:
    """What the paragraphs of one section are read with."""

    key: str | None
    targets: list[_Target]
    computed: bool
    headings: list[MarkdownHeading]
    sources: SourceNumbers


def _result(piece: ParsedParagraph, match: _Match, index: int, at: _Section) -> MarkdownParagraph:
    matched = [at.targets[j] for j in (match.index, *match.merged) if j is not None]
    cites = list(dict.fromkeys(c for target in matched for c in target.cites))
    cites_from: CitesFrom = "aligned" if matched else "markers" if piece.markers else "none"
    if cites_from == "markers":
        cites = at.sources.facts_within(piece.markers)
    kind = piece.kind
    if at.computed and kind not in ("table", "list"):
        kind = "computed"  # prose drafter wrote from facts (the MRS sentence), not a writer
    return MarkdownParagraph(
        section_key=at.key,
        heading=at.headings[piece.region].heading if piece.region >= 0 else None,
        subheading=piece.subheading,
        index=index,
        text=piece.text,
        kind=kind,
        grade=piece.grade,
        markers=piece.markers,
        cites=cites,
        cites_from=cites_from,
        matched_index=match.index,
        merged_indices=list(match.merged),
        draft_kind=matched[0].kind if matched else None,
        similarity=round(match.similarity, 4),
        line=piece.first.number,
        end_line=piece.last.number,
        start=piece.first.start,
        end=piece.last.end,
    )
