"""Quoted text in prose and whether a source says it verbatim.

A quotation is text between “ ” or between straight double quotes (« » too). It is verbatim
when, after normalising (NFKC, one space for any run of whitespace, one form of quote marks,
apostrophes and dashes, case kept), it is a substring of a fact's text; an ellipsis ("..." or
"…") inside it means ordered parts, each a substring, in order. Trailing punctuation that
prose adds at the end of a quotation (". , ; :") is not part of the comparison. A quotation
equal to a fact only when case is folded is a near match (fuzzy), never verbatim; one that is
verbatim but leaves out a negation the source puts right before it or inside an ellipsis ("related
to safety concerns" from "not related to safety concerns") says the opposite and is refused;
anything else put in quotation marks is not the source's words. Quotation marks: “ ”, « », „ “,
straight double quotes, and ‘ ’ around words with a space between (a lone ’ is an apostrophe).
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from drafter.facts import Fact

_QUOTE = re.compile(
    r"“([^“”\n]{1,2000})”|«([^«»\n]{1,2000})»|(?<![\w\"])\"([^\"\n]{1,2000})\""
    r"|„([^„“”\n]{1,2000})[“”]"
    # single quotes only around words with a space between: ’ alone is an apostrophe
    r"|(?<!\w)‘([^‘’\n]{0,2000}\s[^‘’\n]{0,2000})’(?!\w)"
)
_NEGATION = re.compile(r"(?i)\b(?:not|no|never|without|non|nor|neither|cannot|n't)\b|n't\b")
_MARKS = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "′": "'",
        "`": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "″": '"',
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
    }
)
_ELLIPSIS = re.compile(r"\s*(?:\.\s?\.\s?\.|…|\[\.\.\.\]|\[…\])\s*")
_SPACE = re.compile(r"\s+")
QUOTABLE_KINDS = frozenset({"quote", "text", "code", "id"})


@dataclass(frozen=True)
class Quotation:
    start: int  # the opening mark
    end: int  # after the closing mark
    inner_start: int
    inner_end: int
    text: str  # between the marks


def find_quotations(text: str) -> Iterator[Quotation]:
    for found in _QUOTE.finditer(text):
        group = next(g for g in range(1, 6) if found.group(g) is not None)
        inner = found.group(group)
        if not inner.strip():
            continue
        yield Quotation(found.start(), found.end(), found.start(group), found.end(group), inner)


@functools.lru_cache(maxsize=16384)
def normal_quote(text: str) -> str:
    """Text as quotations are compared: NFKC, one form of marks and dashes, one space."""
    flat = unicodedata.normalize("NFKC", text).translate(_MARKS)
    return _SPACE.sub(" ", flat).strip()


@functools.lru_cache(maxsize=4096)
def quote_parts(quoted: str) -> tuple[str, ...]:
    """The quotation's normalised pieces between ellipses (each quotation is compared with
    every quotable fact: split it once)."""
    return tuple(p for p in (normal_quote(x).strip(" .,;:") for x in _ELLIPSIS.split(quoted)) if p)


def _in_order(parts: Sequence[str], source: str) -> bool:
    return _spans(parts, source) is not None


def _spans(parts: Sequence[str], source: str) -> list[tuple[int, int]] | None:
    """Where each part stands in `source`, in order, or None."""
    position, spans = 0, []
    for part in parts:
        found = source.find(part, position)
        if found < 0:
            return None
        spans.append((found, found + len(part)))
        position = found + len(part)
    return spans


def _drops_negation(parts: Sequence[str], source: str) -> bool:
    """Whether the quoted words leave out a negation the source puts right before them or
    between them: "related to safety concerns" out of "not related to safety concerns"."""
    spans = _spans(parts, source)
    if not spans:
        return False
    # the last three words before (split from the right: a long source is not split whole)
    before = " ".join(source[: spans[0][0]].rsplit(None, 3)[-3:])
    gaps = [source[a[1] : b[0]] for a, b in itertools.pairwise(spans)]
    return any(_NEGATION.search(text) for text in [before, *gaps])


def _verbatim_cut_or_case(parts: Sequence[str], source: str) -> str | None:
    if _in_order(parts, source):
        return "cut" if _drops_negation(parts, source) else "verbatim"
    if _in_order([p.casefold() for p in parts], source.casefold()):
        return "case"
    return None


def text_quote_match(quoted: str, text: str) -> str | None:
    """As quote_match, for a quotation of a plain text rather than a fact's: the stop-reason
    model's quoted words are checked against the why-stopped text with it."""
    parts = quote_parts(quoted)
    return _verbatim_cut_or_case(parts, normal_quote(text)) if parts else None


def quote_match(quoted: str, fact: Fact) -> str | None:
    """ "verbatim", "cut" (verbatim, but leaving out a negation right before or inside it),
    "case" (equal only with case folded) or None, for one fact's text."""
    if fact.kind not in QUOTABLE_KINDS or not isinstance(fact.value, str | bool):
        return None
    source = normal_quote(str(fact.value))
    parts = quote_parts(quoted)
    if not parts:
        return None
    found = _verbatim_cut_or_case(parts, source)
    if found is not None:
        return found
    if fact.kind == "code" and _in_order(
        [p.casefold().replace(" ", "_") for p in parts], source.casefold()
    ):
        return "case"  # a code written as words: "active, not recruiting" for ACTIVE_NOT_...
    return None


def nearest_quote(quoted: str, facts: Sequence[Fact]) -> tuple[Fact, float] | None:
    """The fact whose text is most like the quotation (partial ratio, 0–100, scaled down for a
    text shorter than the quotation), for a mismatch."""
    best: tuple[Fact, float] | None = None
    wanted = normal_quote(quoted).casefold()
    for fact in facts:
        if fact.kind not in QUOTABLE_KINDS or not isinstance(fact.value, str):
            continue
        source = normal_quote(fact.value).casefold()
        # a short text inside a long quotation matches it partly but is not what it altered
        score = fuzz.partial_ratio(wanted, source) * min(1.0, 2 * len(source) / max(1, len(wanted)))
        if best is None or score > best[1]:
            best = (fact, score)
    return best
