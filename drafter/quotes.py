"""Quoted text in prose and whether a source says it verbatim.

A quotation is text between “ ” or between straight double quotes (« » too). It is verbatim
when, after normalising (NFKC, one space for any run of whitespace, one form of quote marks,
apostrophes and dashes, case kept), it is a substring of a fact's text; an ellipsis ("..." or
"…") inside it means ordered parts, each a substring, in order. Trailing punctuation that
prose adds at the end of a quotation (". , ; :") is not part of the comparison. A quotation
equal to a fact only when case is folded is a near match (fuzzy), never verbatim; anything
else put in quotation marks is not the source's words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from drafter.facts import Fact

_QUOTE = re.compile(r"“([^“”\n]{1,2000})”|«([^«»\n]{1,2000})»|(?<![\w\"])\"([^\"\n]{1,2000})\"")
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
        group = next(g for g in (1, 2, 3) if found.group(g) is not None)
        inner = found.group(group)
        if not inner.strip():
            continue
        yield Quotation(found.start(), found.end(), found.start(group), found.end(group), inner)


def normal_quote(text: str) -> str:
    """Text as quotations are compared: NFKC, one form of marks and dashes, one space."""
    flat = unicodedata.normalize("NFKC", text).translate(_MARKS)
    return _SPACE.sub(" ", flat).strip()


def _parts(quoted: str) -> list[str]:
    return [p for p in (normal_quote(x).strip(" .,;:") for x in _ELLIPSIS.split(quoted)) if p]


def _in_order(parts: Sequence[str], source: str) -> bool:
    position = 0
    for part in parts:
        found = source.find(part, position)
        if found < 0:
            return False
        position = found + len(part)
    return True


def quote_match(quoted: str, fact: Fact) -> str | None:
    """ "verbatim", "case" (equal only with case folded) or None, for one fact's text."""
    if fact.kind not in QUOTABLE_KINDS or not isinstance(fact.value, str | bool):
        return None
    source = normal_quote(str(fact.value))
    parts = _parts(quoted)
    if not parts:
        return None
    if _in_order(parts, source):
        return "verbatim"
    if _in_order([p.casefold() for p in parts], source.casefold()):
        return "case"
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
