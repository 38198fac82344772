"""Typo-tolerant reading of the key words of why-stopped texts.

Registry texts are typed in a hurry ("recrutiment", "saftey", "pandemie", "feasability"). Rather
than listing misspellings, a token that is not itself a known word is mapped to a key word when
their optimal-string-alignment distance (an adjacent swap counts as one edit) is small for their
length: one edit for words of five to eight letters, two from nine on. Three guards keep real
words real:
* the first letter must agree (typos rarely hit it, and "utility" is not "futility");
* a token sharing the key word's first seven letters (all but its last two, for a shorter
  word) is an inflection, not a typo ("terminate", "administration", "participate", "safely"):
  the rules' word families read those;
* a short list of real words that sit one edit from a key word is never corrected.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

# The words the rules hinge on, in the form the rules spell them.
KEY_WORDS: tuple[str, ...] = (
    "accrual",
    "administrative",
    "adverse",
    "availability",
    "business",
    "coronavirus",
    "decision",
    "difficulties",
    "difficulty",
    "discontinued",
    "efficacy",
    "eligible",
    "enrolled",
    "enrollment",
    "enrolment",
    "feasibility",
    "feasible",
    "financial",
    "funding",
    "futility",
    "insufficient",
    "interim",
    "investigator",
    "logistics",
    "logistical",
    "manufacturing",
    "pandemic",
    "participants",
    "patients",
    "portfolio",
    "recruited",
    "recruiting",
    "recruitment",
    "regulatory",
    "safety",
    "sponsor",
    "strategic",
    "terminated",
    "tolerability",
    "toxicity",
)
# Real words one or two edits from a key word.
REAL_WORDS: frozenset[str] = frozenset(
    {
        "efficiency",
        "fertility",
        "finding",
        "findings",
        "insufficiency",
        "patience",
        "patents",
        "recruiter",
        "subjected",
        "tonicity",
        "topic",
        "topics",
        "adverts",
        "sponsors",
        "fending",
        "funding",
    }
)
_KNOWN = frozenset(KEY_WORDS) | REAL_WORDS
_BY_FIRST: dict[str, tuple[str, ...]] = {}
for _word in KEY_WORDS:
    _BY_FIRST[_word[0]] = (*_BY_FIRST.get(_word[0], ()), _word)


def _allowed_edits(token: str) -> int:
    return 1 if len(token) < 9 else 2


def _inflection_of(token: str, word: str) -> bool:
    shared = 0
    for a, b in zip(token, word, strict=False):
        if a != b:
            break
        shared += 1
    return shared >= min(len(word) - 2, 7)


@lru_cache(maxsize=1 << 16)
def correct(token: str) -> str:
    """The key word a misspelt token stands for, or the token itself."""
    if len(token) < 5 or token in _KNOWN or not token.isalpha():
        return token
    edits = _allowed_edits(token)
    candidates = [
        word
        for word in _BY_FIRST.get(token[0], ())
        if abs(len(word) - len(token)) <= edits and not _inflection_of(token, word)
    ]
    if not candidates:
        return token
    best = process.extractOne(token, candidates, scorer=OSA.distance, score_cutoff=edits)
    return best[0] if best is not None else token
