"""Typed anchors in prose — numbers, dates, phases and identifiers — and their support by facts.

One job: find the places in a text that state a number, a date, a trial phase or an identifier
(`extract_anchors`), and say whether facts of the same type support them (`match`,
`FactIndex`, `check_text`). Quoted text and names are not anchors (issue 8 adds them).

Rules this module decides, so the drafting validator and `drafter verify` agree on them:

Numbers
* Digits are always numbers: "72", "1,204" = "1204", "0.092", ".03", "10.7", "8th", "24-week"
  (the digits of "72-participant"). Thousands are a comma with exactly three digits after it;
  "1 204" is two numbers and "1.204" is 1.204 (never merged, never read as a thousand).
* Digits inside codes are not numbers: NCT05591222, HZN-7734, CLASI-50, IgG1, CD85g, BIIB059,
  COVID-19, 2022-000831-21, URLs, DOIs, "95% CI", "type 2 diabetes".
* Number words are numbers: "seventy-two", "one hundred and five", "twenty", "two thousand"
  (exact, decimals 0; "two million" is a rounded figure, decimals -6, as "2 million" is).
  "one" alone never is (a pronoun: "one of", "no one"), nor are ordinals ("First,", "fourth").
  "two" to "ten" and "zero" are numbers unless the next two words name the text's own
  structure ("Two design moves", "three mechanisms", "two reasons"): prose about the trial
  ("nine randomized trials", "every four weeks") states facts an editor must see checked.
* "56 percent", "56 per cent" and "56%" are the number 56 with `percent` set; they are
  checked against fractions (0.56, or 0.558 rounded), never against a fact of 56: no fact
  holds a percentage (Fact has no percent unit), and reading 1.0 as "1 %" would let a
  fraction of 100 % support "1 percent".
* In a range with one percent sign ("70-85%", "8 to 16 percent") both numbers are
  percentages.
* "33/100" and "33 out of 100" are one anchor, 33, with `out_of` 100: the 100 is the scale of
  the score, not a claim. Any other slash ("10.7 / 40") is two numbers, each checked (40 is a
  component's maximum).
* "3.05 billion", "$3.05B", "1.2 million": the value is scaled, and `decimals` counts in the
  scaled value, so it can be negative ("3.05 billion" is written to 10**7: decimals -7).
* A sign is kept when it is one ("−3.2", "(-1)"), not when the dash is a range ("10-12").
  An unsigned number is also supported by a negative fact of that size ("fell by 3.2 points"
  against -3.2): prose says the direction in words.
* A number equal to a fact is supported. One that is the fact rounded to the written decimals
  ("0.09" for 0.092, "13.6" for 13.62, "56 percent" for 0.558) is fuzzy with `rounded` set,
  and `check_text` accepts it. One within a unit of its last written digit that is not the
  rounding ("13.7" for 13.62) is fuzzy, not accepted. Anything else is a mismatch.

Dates (own parser: no library that fills a missing day or month with today's)
* "8 May 2025", "8th May 2025", "the 8th of May, 2025", "May 8, 2025", "2025-05-08",
  "8-May-2025", "the eighth of May 2025", "08.05.2025" (dots: day first) → day;
  "May 2025", "2025-05" → month; "2025" → year. Month names must be capitalised ("may" is a
  verb); abbreviations ("Sept.", "Mar") count.
* A year is a four-digit 1900–2100 token standing alone, unless a count noun or "%" follows it
  ("2000 participants" is a number).
* "mid-2025", "early 2025", "late 2025" → the year 2025 at year precision (the hedge is not
  checkable; the year is). "Q2 2025", "second quarter of 2025", "H1 2025", "first half of
  2025" → month precision from the first month, `through` the last ("2025-04" .. "2025-06").
* "8 May" and "May 8" without a year are day anchors valued "--05-08" (ISO 8601's year-less
  form): the day is checkable even where the year is said elsewhere.
* Supported when equal at the anchor's precision and the anchor is not more precise than the
  fact ("May 2025" and "2026" by a day fact); "15 March 2021" against "2021-03" is
  unsupported_precision; any other difference is a mismatch. Dates are never fuzzy.

Phases
* "Phase 2", "phase II", "Phase-2", "Phase 2/3", "Phase II/III", "Phase 1-2", "Phase 1b" (→
  PHASE1), "Phase 2a", "Phase IIb/3", "early phase 1" and "Phase 0" (→ EARLY_PHASE1, as
  ClinicalTrials.gov renamed it), ChEMBL's style "phase 2.0". Values are ClinicalTrials.gov's:
  PHASE2, PHASE1/PHASE2, EARLY_PHASE1. A list ("Phase 2 and 3 trials", "phases 1, 2 and 3")
  is one anchor a phase: "Phase 2" (PHASE2), then "3" (PHASE3), never the combined 2/3.
* A fact's phase may be ClinicalTrials.gov's ("PHASE1/PHASE2"), ChEMBL's max_phase ("2.0" is
  Phase 2, "0.5" early phase 1, "-1" unknown, "0" preclinical: no phase) or prose.
* Equal → supported; sharing a phase ("Phase 2" against PHASE1/PHASE2) → fuzzy, never
  accepted by `check_text`; otherwise a mismatch.

Identifiers (case-insensitive, compared upper-cased)
* NCT…, CHEMBL…, ENSG… (a ".version" is read and dropped), EFO_/EFO:, MONDO_/MONDO:,
  Orphanet_, HP_, DOID_ (":" becomes "_"), HGNC:…, DOIs (10.xxxx/…), EudraCT and CTIS numbers
  (2022-000831-21, 2023-509746-35-00), and UniProt accessions only after the word "UniProt"
  (elsewhere "P59901"-shaped codes are too often something else). A malformed NCT id (seven
  digits) is still an anchor, so it is flagged rather than skipped. Supported only by an equal
  id; otherwise a mismatch.

Limits (known, left for later or for the editor)
* Anchors inside quotations are checked like any other ("Acquired from Horizon in 2024"
  needs a date fact); quotes and names are issue 8's.
* Comparison words are not read: "more than 70" is compared as 70, "fell by 3.2" as 3.2.
* "05/08/2025" (ambiguous day and month) is not a date; "10:30" and "2:1" are two numbers
  each; decades ("the 1990s") and "FY2025" are codes and give nothing; "1.204.000" gives
  nothing; a letter suffix means a magnitude only after a currency sign ("$3.05B").
* A sub-phase letter ("1b") is read but not checked (registries do not record it).
* Structure nouns after "two" to "ten" are a list; a count of something not on it ("two
  camps" is, "two sponsors" is not) is a number the cited facts must hold.
* Which fact a value matches is decided by value alone: "72 participants" is supported by any
  cited fact of 72, whatever its unit; the validator narrows by what a paragraph cites.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from drafter.facts import Fact, FactKind
from drafter.models import Precision

AnchorKind = Literal["number", "date", "phase", "id"]
SupportStatus = Literal["supported", "fuzzy", "mismatch", "unsupported_precision"]

# The fact kinds that can support each anchor kind.
FACT_KINDS: dict[AnchorKind, frozenset[FactKind]] = {
    "number": frozenset({"count", "number", "score"}),
    "date": frozenset({"date"}),
    "phase": frozenset({"phase"}),
    "id": frozenset({"id"}),
}


class Anchor(BaseModel):
    """One typed statement in a text, with where it stands and its value normalised.

    text, start, end: the prose exactly, and its offsets in the text given (text[start:end]).
    value: numbers as a float (the written figure, scaled by "million"; 56.0 for "56%");
    dates as "2025-05-08", "2025-05", "2025" or year-less "--05-08"; phases as
    ClinicalTrials.gov's "PHASE2", "PHASE1/PHASE2", "EARLY_PHASE1"; ids upper-cased.
    precision: dates only. decimals: numbers only, the decimals as written ("10.7" → 1, "72"
    → 0, "1.2 million" → -5). percent: written as a percentage. through: a quarter's or
    half's last month. out_of: the scale after a slash ("33/100" → 100)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: AnchorKind
    text: str
    start: int
    end: int
    value: str | float
    precision: Precision | None = None
    decimals: int | None = None
    percent: bool = False
    through: str | None = None
    out_of: float | None = None

    @property
    def signed(self) -> bool:
        """Whether a number was written with its sign ("-3.2", "+3.2")."""
        return self.kind == "number" and self.text[:1] in _SIGNS


class Support(BaseModel):
    """How one fact bears on one anchor; `reason` is one line for an editor."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    status: SupportStatus
    fact_id: str
    reason: str
    rounded: bool = False


class Problem(BaseModel):
    """An anchor that its paragraph's cited facts do not support, said so the model can fix it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    anchor: Anchor
    support: Support | None
    message: str


# --- character classes and shared patterns ---------------------------------------------------


def _words(text: str) -> tuple[str, ...]:
    """A word list written as prose, so long vocabularies stay readable."""
    return tuple(text.split())


_HYPHENS = "\\-\u2010\u2011"  # (for character classes) hyphen-minus, hyphen, non-breaking hyphen
_SIGNS = "-\u2212+"  # hyphen-minus, minus sign, plus
_CURRENCY = "$€£¥"
_YEAR = r"(?P<y>19\d\d|20\d\d|2100)"
_DAY = r"(?P<d>0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_MONTH_NAMES = {
    name: number
    for number, name in enumerate(_words("jan feb mar apr may jun jul aug sep oct nov dec"), 1)
}
# Capitalised only: "may" and "march" are also verbs.
_MONTH = (
    r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)(?![A-Za-z])\.?"
)
# Nouns after which a four-digit number counts things rather than naming a year.
_COUNT_NOUN = (
    r"(?:%|(?i:per\s?cent|participants?|patients?|subjects?|people|persons|individuals|adults"
    r"|children|volunteers|sites|centers|centres|cases|events|reports|doses|articles)\b)"
)

# --- masks: spans whose digits are not numbers -----------------------------------------------

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"]+")
# A hyphen-joined run of letters and digits with a digit in it ("HZN-7734", "72-participant"),
# read only from where the run starts (else a long hyphenated chain is read again at each part).
_RUN = re.compile(
    rf"(?<![A-Za-z0-9{_HYPHENS}_])(?:[A-Za-z]+[{_HYPHENS}_])*[A-Za-z]*\d[A-Za-z0-9]*"
    rf"(?:[{_HYPHENS}_][A-Za-z0-9]+)*"
)
_RUN_PARTS = re.compile(rf"[{_HYPHENS}_]")
_FIXED_PHRASE = re.compile(
    r"(?<![\w.])(?:90|95|99)\s?%\s?(?:CIs?\b|(?i:confidence))"
    r"|(?i:type)\s+[12]\s+(?i:diabetes|diabetic|inflammation|inflammatory|interferons?|IFN"
    r"|immunity|immune|helper)\b"
)
_UNIT_SUFFIX = re.compile(
    r"\d+(?:st|nd|rd|th|x|mg|mcg|g|kg|ml|mL|L|h|hr|hrs|min|d|wk|wks|mo|y|yr|yrs)"
)
_ISO_RUN = re.compile(r"\d{4}-\d{2}-\d{2}")
# A word joined to a number by a hyphen that leaves the number a number: "mid-2025", "Week-24".
_LABEL_WORDS = frozenset(
    {"mid", "early", "late", "pre", "post", "end", "start", "week", "day", "month", "year"}
    | {"cycle", "visit", "grade", "stage", "cohort", "part", "arm", "dose", "wave", "round"}
)


def _is_code(run: str) -> bool:
    """Whether a hyphen-joined run of letters and digits is a name or code ("HZN-7734",
    "IgG1", "2022-000831-21") rather than a number with a word ("72-participant", "8th")."""
    parts = _RUN_PARTS.split(run)
    if all(part.isdigit() for part in parts):
        return len(parts) >= 3 and not _ISO_RUN.fullmatch(run)
    first, rest = parts[0], parts[1:]
    if (first.isdigit() or _UNIT_SUFFIX.fullmatch(first)) and all(p.isalpha() for p in rest):
        return False
    return not (first.lower() in _LABEL_WORDS and len(parts) == 2 and parts[1].isdigit())


def _masks(text: str) -> tuple[bytearray, bytearray]:
    """Two maps of the text: `hard` marks URLs (nothing but ids is read inside one); `code`
    adds codes and fixed phrases, where digits are not numbers, years or ISO dates."""
    hard = bytearray(len(text))
    for found in _URL.finditer(text):
        hard[found.start() : found.end()] = b"\x01" * (found.end() - found.start())
    code = bytearray(hard)
    for found in _RUN.finditer(text):
        run = found.group()
        if not run.isdigit() and _is_code(run):
            code[found.start() : found.end()] = b"\x01" * len(run)
    for found in _FIXED_PHRASE.finditer(text):
        code[found.start() : found.end()] = b"\x01" * (found.end() - found.start())
    return hard, code


# --- candidates ------------------------------------------------------------------------------

# Which masks silence a candidate: ids are read everywhere; phases and written dates only
# outside URLs; numbers, years and ISO dates also not inside codes.
_UNMASKED, _HARD, _CODE = 0, 1, 2
# On an exact tie of span, the more specific reading wins.
_RANK: dict[AnchorKind, int] = {"id": 0, "phase": 1, "date": 2, "number": 3}


@dataclass(slots=True)
class _Candidate:
    kind: AnchorKind
    start: int
    end: int
    mask: int
    fields: dict[str, object] = field(default_factory=dict)


Finder = Callable[[str], Iterator[_Candidate]]


# --- identifiers -----------------------------------------------------------------------------

_ID = re.compile(
    r"(?<![A-Za-z0-9_])(?=[NnCcEeMmOoHhDd])(?:(?i:NCT)[\s-]?\d+|(?i:CHEMBL)\d+|(?i:ENSG)\d+(?:\.\d+)?"
    r"|(?i:EFO|MONDO|Orphanet|HP|DOID)[_:]\d+|(?i:HGNC):\d+)(?![A-Za-z0-9])"
    rf"|(?<![\w{_HYPHENS}])\d{{4}}-\d{{6}}-\d{{2}}(?:-\d{{2}})?(?![\w{_HYPHENS}])"
)
_DOI = re.compile(r"(?<![\w/.])10\.\d{4,9}/[^\s\"'<>]+")
_UNIPROT = re.compile(
    r"(?i:UniProt)(?:\s+(?i:accession|ID))?[\s:]*\(?"
    r"(?P<acc>[OPQ][0-9][A-Z0-9]{3}[0-9]|[A-NR-Z][0-9](?:[A-Z][A-Z0-9]{2}[0-9]){1,2})"
    r"(?![A-Za-z0-9])"
)
_ONTOLOGY_COLON = re.compile(r"^(EFO|MONDO|ORPHANET|HP|DOID):")
_NCT_SEPARATOR = re.compile(r"^NCT[\s-]+")
_ENSEMBL_VERSION = re.compile(r"^(ENSG\d+)\.\d+$")


def normalise_id(text: str) -> str:
    """The one form ids are compared in: upper-cased, ontology "X:1" as "X_1", no Ensembl
    version (a release detail, not a different gene)."""
    upper = text.strip().upper()
    upper = _NCT_SEPARATOR.sub("NCT", upper)  # "NCT-05591222" is NCT05591222 written loosely
    upper = _ONTOLOGY_COLON.sub(r"\1_", upper)
    return _ENSEMBL_VERSION.sub(r"\1", upper)


def _doi_end(text: str, start: int, end: int) -> int:
    """A DOI's end without the sentence's punctuation or a closing bracket it sits in."""
    while end > start and text[end - 1] in ".,;:":
        end -= 1
    while (
        end > start
        and text[end - 1] == ")"
        and text.count("(", start, end) < text.count(")", start, end)
    ):
        end -= 1
    return end


def _ids(text: str) -> Iterator[_Candidate]:
    for found in _ID.finditer(text):
        value = normalise_id(found.group())
        yield _Candidate("id", found.start(), found.end(), _UNMASKED, {"value": value})
    for found in _DOI.finditer(text):
        end = _doi_end(text, found.start(), found.end())
        value = normalise_id(text[found.start() : end])
        yield _Candidate("id", found.start(), end, _UNMASKED, {"value": value})
    for found in _UNIPROT.finditer(text):
        start, end = found.span("acc")
        yield _Candidate("id", start, end, _UNMASKED, {"value": found.group("acc")})


# --- phases ----------------------------------------------------------------------------------

_PHASE_NUMERAL = (
    r"(?:0\.5|[0-4](?:\.0)?(?![0-9]|\.\d)|IV|I{1,3}|(?i:one|two|three|four)(?![A-Za-z]))"
)
_PHASE = re.compile(
    rf"(?<![A-Za-z0-9])(?P<early>(?i:early)[\s{_HYPHENS}]+)?(?i:phase)[\s{_HYPHENS}]*"
    rf"(?P<a>{_PHASE_NUMERAL})[abcABC]?"
    rf"(?:\s*[/{_HYPHENS}\u2013]\s*(?:(?i:phase)[\s{_HYPHENS}]*)?(?P<b>{_PHASE_NUMERAL})"
    r"[abcABC]?)?(?![A-Za-z0-9])"
)
# "Phase 2 and 3 trials", "phases 1, 2 and 3": separate phases (not the combined PHASE2/PHASE3).
_PHASE_LIST = re.compile(
    rf"(?<![A-Za-z0-9])(?:(?i:phases)\s+{_PHASE_NUMERAL}[abcABC]?"
    rf"(?:(?:\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or|&)\s+){_PHASE_NUMERAL}[abcABC]?)+"
    rf"|(?i:phase)\s+{_PHASE_NUMERAL}[abcABC]?(?:\s+(?:and|or)\s+{_PHASE_NUMERAL}[abcABC]?)+)"
    r"(?![A-Za-z0-9/])"
)
_LISTED_NUMERAL = re.compile(rf"(?<![A-Za-z0-9.]){_PHASE_NUMERAL}[abcABC]?(?![A-Za-z0-9])")
_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "ONE": 1, "TWO": 2, "THREE": 3, "FOUR": 4}


def _phase_number(numeral: str) -> float:
    """1 for "1", "I" or ChEMBL's "1.0"; 0.5 for early phase 1 ("0", "0.5")."""
    if numeral.upper() in _ROMAN:  # "II", or a word: "phase three", "phase-two"
        return _ROMAN[numeral.upper()]
    number = float(numeral)
    return 0.5 if number in (0.0, 0.5) else number


def _phase_name(number: float) -> str:
    return "EARLY_PHASE1" if number == 0.5 else f"PHASE{int(number)}"


def _phase_label(numbers: Sequence[float]) -> str:
    """ClinicalTrials.gov's label for one phase or a combined one: PHASE2, PHASE1/PHASE2."""
    return "/".join(_phase_name(n) for n in sorted(set(numbers)))


def _phase_value(found: re.Match[str]) -> tuple[int, str]:
    """Where a written phase starts and its label: "early phase 1" is EARLY_PHASE1, but in
    "early Phase 2 data" the hedge is not part of the phase."""
    numbers = [_phase_number(found.group("a"))]
    if found.group("b"):
        numbers.append(_phase_number(found.group("b")))
    start = found.start()
    if found.group("early"):
        if numbers == [1]:
            numbers = [0.5]
        else:
            start += len(found.group("early"))
    return start, _phase_label(numbers)


def _phases(text: str) -> Iterator[_Candidate]:
    for found in _PHASE.finditer(text):
        start, value = _phase_value(found)
        yield _Candidate("phase", start, found.end(), _HARD, {"value": value})
    for found in _PHASE_LIST.finditer(text):
        numerals = list(_LISTED_NUMERAL.finditer(text, found.start(), found.end()))
        for index, numeral in enumerate(numerals):
            start = found.start() if index == 0 else numeral.start()  # "Phases 2", then "3"
            value = _phase_label([_phase_number(numeral.group().rstrip("abcABC"))])
            yield _Candidate("phase", start, numeral.end(), _HARD, {"value": value})


_FACT_PHASE = re.compile(
    r"^(?:EARLY_PHASE1|PHASE[0-4])(?:\s*[/,|]\s*(?:EARLY_PHASE1|PHASE[0-4]))*$"
)
_FACT_PHASE_PART = re.compile(r"EARLY_PHASE1|PHASE[0-4]")


def phase_of_fact(value: str) -> str | None:
    """A phase fact's value as ClinicalTrials.gov's label, or None when it names no phase:
    "PHASE1, PHASE2" → PHASE1/PHASE2; ChEMBL's "2.0" → PHASE2, "0.5" → EARLY_PHASE1, "-1"
    (unknown) and "0" (preclinical) → None; prose "Phase II" → PHASE2."""
    text = value.strip().upper()
    if _FACT_PHASE.match(text):
        parts = _FACT_PHASE_PART.findall(text)
        return _phase_label([0.5 if p == "EARLY_PHASE1" else float(p[5:]) for p in parts])
    try:
        number = float(text)
    except ValueError:
        found = _PHASE.search(value)
        return None if found is None else _phase_value(found)[1]
    if number == 0.5 or number in (1.0, 2.0, 3.0, 4.0):
        return _phase_name(number)
    return None


# --- dates -----------------------------------------------------------------------------------

_DAY_WORDS = {
    word: number
    for number, word in enumerate(
        _words(
            "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
            "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth "
            "twentieth"
        ),
        1,
    )
}
_DAY_WORDS |= {f"twenty-{w}": 20 + n for w, n in list(_DAY_WORDS.items())[:9]}
_DAY_WORDS |= {"thirtieth": 30, "thirty-first": 31}
_DAY_WORD = (
    r"(?P<dw>(?i:"
    + "|".join(w.replace("-", r"[\s\-]") for w in sorted(_DAY_WORDS, key=len, reverse=True))
    + r"))"
)
# "8 May 2025", "8th of May", "13-Oct-2022", "the thirteenth of October 2022"
_DAY_FIRST = re.compile(
    rf"(?<![\w.,])(?:{_DAY}|{_DAY_WORD})(?:\s+of\s+|\s+|[{_HYPHENS}]){_MONTH}"
    rf"(?:(?:,?\s+|[{_HYPHENS}]){_YEAR}(?!\d))?"
)
# "13.10.2022": day first, as the countries that write dates with dots do
_DOTTED_DATE = re.compile(
    rf"(?<![\w.])(?P<d>0?[1-9]|[12]\d|3[01])\.(?P<m>0?[1-9]|1[0-2])\.{_YEAR}(?![\w]|\.\d)"
)
_MONTH_FIRST = re.compile(
    rf"(?<![A-Za-z]){_MONTH}(?:\s+{_DAY}(?![\d:])(?!\s?{_COUNT_NOUN}))?"
    rf"(?:,?\s+(?:of\s+)?{_YEAR}(?!\d))?"
)
_ISO_DATE = re.compile(
    rf"(?<![\w{_HYPHENS}.]){_YEAR}-(?P<m>0[1-9]|1[0-2])(?:-(?P<d>0[1-9]|[12]\d|3[01]))?"
    rf"(?![\w{_HYPHENS}]|\.\d)"
)
_BARE_YEAR = re.compile(
    rf"(?<![^\W_])(?<![{_CURRENCY}])(?<![0-9][.,]){_YEAR}(?![0-9]|[.,]\d)(?!\s?{_COUNT_NOUN})"
)
_PERIOD = re.compile(
    r"(?<![A-Za-z0-9])(?:(?P<letter>[QH])(?P<n>[1-4])"
    r"|(?P<ordinal>(?i:first|second|third|fourth))\s+(?P<unit>(?i:quarter|half))(?:\s+of)?)"
    rf"[\s{_HYPHENS}]*(?:of\s+)?{_YEAR}(?!\d)"
)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4}


def _valid_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _written_date(found: re.Match[str]) -> _Candidate | None:
    """A date written with a month name; None for a month alone or a day that does not exist."""
    month = _MONTH_NAMES[found.group("mon")[:3].lower()]
    day, year = found.group("d"), found.group("y")
    written_day = found.groupdict().get("dw")
    if written_day:  # "thirteenth", "twenty first"
        day = str(_DAY_WORDS[re.sub(r"[\s\-]+", "-", written_day.lower())])
    if day is None and year is None:
        return None
    if year is None:  # "8 May": the day without its year (2000 allows 29 February)
        if not _valid_day(2000, month, int(day)):
            return None
        fields: dict[str, object] = {"value": f"--{month:02d}-{int(day):02d}", "precision": "day"}
    elif day is None:
        fields = {"value": f"{year}-{month:02d}", "precision": "month"}
    else:
        if not _valid_day(int(year), month, int(day)):
            return None
        fields = {"value": f"{year}-{month:02d}-{int(day):02d}", "precision": "day"}
    return _Candidate("date", found.start(), found.end(), _HARD, fields)


def _written_dates(text: str) -> Iterator[_Candidate]:
    for pattern in (_DAY_FIRST, _MONTH_FIRST):
        for found in pattern.finditer(text):
            candidate = _written_date(found)
            if candidate is not None:
                yield candidate


def _dotted_dates(text: str) -> Iterator[_Candidate]:
    for found in _DOTTED_DATE.finditer(text):
        year, month, day = (int(found.group(g)) for g in ("y", "m", "d"))
        if _valid_day(year, month, day):
            fields: dict[str, object] = {
                "value": f"{year}-{month:02d}-{day:02d}",
                "precision": "day",
            }
            yield _Candidate("date", found.start(), found.end(), _HARD, fields)


def _numeric_dates(text: str) -> Iterator[_Candidate]:
    yield from _dotted_dates(text)
    for found in _ISO_DATE.finditer(text):
        day = found.group("d")
        year, month = int(found.group("y")), int(found.group("m"))
        if day is not None and not _valid_day(year, month, int(day)):
            continue
        fields: dict[str, object] = {
            "value": found.group(),
            "precision": "month" if day is None else "day",
        }
        yield _Candidate("date", found.start(), found.end(), _CODE, fields)
    for found in _BARE_YEAR.finditer(text):
        fields = {"value": found.group(), "precision": "year"}
        yield _Candidate("date", found.start(), found.end(), _CODE, fields)


def _periods(text: str) -> Iterator[_Candidate]:
    """Quarters and halves: month precision, from their first month `through` their last."""
    for found in _PERIOD.finditer(text):
        if found.group("letter"):
            size = 3 if found.group("letter") == "Q" else 6
            index = int(found.group("n"))
        else:
            size = 3 if found.group("unit").lower() == "quarter" else 6
            index = _ORDINALS[found.group("ordinal").lower()]
        if index > 12 // size:
            continue
        year = found.group("y")
        first = (index - 1) * size + 1
        fields: dict[str, object] = {
            "value": f"{year}-{first:02d}",
            "precision": "month",
            "through": f"{year}-{first + size - 1:02d}",
        }
        yield _Candidate("date", found.start(), found.end(), _HARD, fields)


# --- numbers written in digits ---------------------------------------------------------------

_NUMBER = re.compile(
    # not inside a word of any script ("β2-agonist"), but after Markdown's "_" ("_72_")
    r"(?<![^\W_])(?<![0-9]\.)"
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|(?<![0-9])\.\d+)(?![0-9]|\.\d)"
    r"(?P<mag>\s(?i:thousand|million|billion)(?![A-Za-z]))?"
    r"(?P<pct>\s?%|\s?(?i:per\s?cent)(?![A-Za-z]))?"
    r"(?P<of>\s?/\s?100(?![0-9]|\.\d)|\s(?i:out\s+of)\s100(?![0-9]|\.\d))?"
)
_CURRENCY_SUFFIX = re.compile(r"(?:bn|mn|[kKMB])(?![A-Za-z0-9])")
_SCALE_SUFFIX = re.compile(r"(?:bn|mn|[kK])(?![A-Za-z0-9])")
_MAGNITUDE = {"thousand": 3, "k": 3, "million": 6, "mn": 6, "m": 6, "billion": 9, "bn": 9, "b": 9}


def _has_sign(text: str, start: int) -> bool:
    """Whether the character before a number is its sign: "−3.2", "(-1)", "by -3", but not
    the dash of a range ("10-12", "10 - 12") or of a code ("IL-6")."""
    if start == 0 or text[start - 1] not in _SIGNS:
        return False
    if start >= 2 and text[start - 2].isalnum():
        return False
    before = start - 2
    while before >= 0 and text[before].isspace():
        before -= 1
    return before < 0 or not (text[before].isdigit() or text[before] == "%")


def _number_fields(written: Decimal, magnitude: int, percent: bool) -> dict[str, object]:
    """Value and decimals of a written number: "10.70" → 10.7 with 2 decimals; "3.05 billion"
    → 3.05e9 written to 10**7 (decimals -7)."""
    exponent = written.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    value = written.scaleb(magnitude)
    return {"value": float(value), "decimals": decimals - magnitude, "percent": percent}


def _digit_numbers(text: str) -> Iterator[_Candidate]:
    for found in _NUMBER.finditer(text):
        start, end = found.start(), found.end()
        written = Decimal(found.group("num").replace(",", ""))
        magnitude = 0
        if found.group("mag"):
            magnitude = _MAGNITUDE[found.group("mag").strip().lower()]
        mask = _CODE
        if start > 0 and text[start - 1] in _CURRENCY:
            mask = _HARD  # "$3.05B" is an amount, whatever the code rule says of "05B"
            suffix = _CURRENCY_SUFFIX.match(text, found.end("num"))
            if suffix is not None and not found.group("mag") and not found.group("pct"):
                magnitude, end = _MAGNITUDE[suffix.group().lower()], suffix.end()
        elif not found.group("mag") and not found.group("pct"):
            # "72k participants": a scaled figure, not a code ("IgG1", "CD85g" stay codes)
            scaled = _SCALE_SUFFIX.match(text, found.end("num"))
            if scaled is not None:
                mask, magnitude, end = _HARD, _MAGNITUDE[scaled.group().lower()], scaled.end()
        if _has_sign(text, start):
            start -= 1
            if text[start] != "+":
                written = -written
        fields = _number_fields(written, magnitude, bool(found.group("pct")))
        if found.group("of") and end == found.end():
            fields["out_of"] = 100.0
        yield _Candidate("number", start, end, mask, fields)


# --- numbers written in words ----------------------------------------------------------------

_ONES = _words(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen"
)
_TENS = _words("twenty thirty forty fifty sixty seventy eighty ninety")
_WORD_VALUES = {w: i for i, w in enumerate(_ONES)} | {w: 20 + 10 * i for i, w in enumerate(_TENS)}
_SCALES = {word: 10 ** _MAGNITUDE[word] for word in ("thousand", "million", "billion")}
_NUMBER_WORD = "|".join([*_ONES, *_TENS, "hundred", *_SCALES])
_FRACTION = r"(?:thirds?|quarters?|halves|half|fifths?|sixths?|eighths?|tenths?)\b"
_WORDS = re.compile(
    rf"(?i)(?=[zotfsenhmba])(?<![A-Za-z{_HYPHENS}])(?:a\s+(?=(?:hundred|thousand|million|billion)\b))?"
    rf"(?:{_NUMBER_WORD})(?:(?:\s+and\s+|\s*[{_HYPHENS}]\s*|\s+)(?:{_NUMBER_WORD}))*"
    rf"(?![A-Za-z])(?![{_HYPHENS}]{_FRACTION})"
)
_ROUND_WORDS = frozenset({"million", "billion"})
_WORD_TOKEN = re.compile(r"[A-Za-z]+")
_PERCENT_AFTER = re.compile(r"\s?%|\s?(?i:per\s?cent)(?![A-Za-z])")
_NEXT_WORDS = re.compile(rf"[\s{_HYPHENS}]*([A-Za-z]+)(?:[\s{_HYPHENS}]+([A-Za-z]+))?")
# Nouns that count the text's own structure, not the trial: "Two design moves".
_STRUCTURE_NOUNS = frozenset(
    _words(
        "mechanisms moves reasons ways questions lessons steps options factors explanations "
        "hypotheses possibilities scenarios things aspects themes takeaways issues problems "
        "challenges approaches strategies paths routes levers ideas caveats observations "
        "conclusions implications considerations readings interpretations alternatives "
        "categories camps kinds sides sections paragraphs examples points"
    )
)
# "points" counts structure ("two points stand out"); MRS points are written in digits.


@dataclass(slots=True)
class _WordParse:
    """State of reading number words left to right ("one hundred and five")."""

    total: int = 0
    group: int = 0  # the part below the current scale
    last: str = ""  # what the previous word was: unit, teen, tens, hundred, scale, and
    scale: int = 10**12
    end: int = -1  # index after the last word that completes a number


def _word_fits(state: _WordParse, word: str, following: str | None) -> bool:
    """Whether `word` continues the number read so far (grammar of English cardinals)."""
    last = state.last
    if word == "and":
        return last in ("hundred", "scale") and following in _WORD_VALUES
    if word in _SCALES:
        return last in ("unit", "teen", "tens", "hundred", "a") and _SCALES[word] < state.scale
    if word == "hundred":
        return last in ("unit", "teen", "tens", "a") and 0 < state.group < 100
    value = _WORD_VALUES[word]
    if last == "":
        return True
    if value == 0:
        return False
    if last == "tens":
        return value < 10
    return last in ("hundred", "scale", "and") and (last != "hundred" or state.group % 100 == 0)


def _read_words(words: Sequence[str], first: int) -> tuple[int, int] | None:
    """The longest number that starts at words[first]: (value, index after it), or None."""
    state = _WordParse()
    index = first
    if words[first] == "a":
        state.group, state.last, index = 1, "a", first + 1
    while index < len(words):
        word = words[index]
        following = words[index + 1] if index + 1 < len(words) else None
        if not _word_fits(state, word, following):
            break
        if word in _SCALES:
            state.total += state.group * _SCALES[word]
            state.group, state.scale, state.last = 0, _SCALES[word], "scale"
        elif word == "hundred":
            state.group, state.last = state.group * 100, "hundred"
        elif word == "and":
            state.last = "and"
        else:
            value = _WORD_VALUES[word]
            state.group += value
            state.last = "unit" if value < 10 else "teen" if value < 20 else "tens"
            if value == 0:
                state.end = index + 1
                break
        index += 1
        if word != "and":
            state.end = index
    return None if state.end <= first else (state.total + state.group, state.end)


def _counts_structure(text: str, end: int) -> bool:
    found = _NEXT_WORDS.match(text, end)
    return found is not None and any((w or "").lower() in _STRUCTURE_NOUNS for w in found.groups())


def _word_numbers(text: str) -> Iterator[_Candidate]:
    for found in _WORDS.finditer(text):
        tokens = list(_WORD_TOKEN.finditer(text, found.start(), found.end()))
        words = [t.group().lower() for t in tokens]
        index = 0
        while index < len(words):
            read = _read_words(words, index)
            if read is None:
                index += 1
                continue
            value, after = read
            start, end = tokens[index].start(), tokens[after - 1].end()
            single = after - index == 1
            index = after
            percent = _PERCENT_AFTER.match(text, end)
            if percent is not None:
                end = percent.end()
            elif single and words[after - 1] == "one":
                continue  # a pronoun or determiner far more often than a count
            elif single and value <= 10 and _counts_structure(text, end):
                continue
            # "two thousand" is exact; "two million" is a rounded figure, as in digits
            magnitude = _MAGNITUDE[words[after - 1]] if words[after - 1] in _ROUND_WORDS else 0
            written = Decimal(value // 10**magnitude)
            fields = _number_fields(written, magnitude, percent is not None)
            yield _Candidate("number", start, end, _CODE, fields)


# --- extraction ------------------------------------------------------------------------------

_FINDERS: tuple[Finder, ...] = (
    _ids,
    _phases,
    _written_dates,
    _numeric_dates,
    _periods,
    _digit_numbers,
    _word_numbers,
)


_RANGE_JOIN = re.compile(r"\s?(?:[\-\u2010\u2011\u2013\u2014]|to|and)\s?")


def _shared_percent(text: str, anchors: list[Anchor]) -> list[Anchor]:
    """A range written with one percent sign ("70-85%", "8 to 16 percent") is two
    percentages: the first number gets the sign its range ends with."""
    shared = list(anchors)
    for index, (first, second) in enumerate(itertools.pairwise(anchors)):
        if (
            first.kind == second.kind == "number"
            and second.percent
            and not first.percent
            and _RANGE_JOIN.fullmatch(text, first.end, second.start)
        ):
            shared[index] = first.model_copy(update={"percent": True})
    return shared


def extract_anchors(text: str) -> list[Anchor]:
    """Every anchor of `text`, in text order, none overlapping: where readings compete the one
    that starts first wins, then the longest ("8 May 2025" over "8"), then the more specific
    (an id over a date over a number)."""
    hard, code = _masks(text)
    masks = (None, hard, code)
    candidates = [c for finder in _FINDERS for c in finder(text)]
    candidates.sort(key=lambda c: (c.start, c.start - c.end, _RANK[c.kind]))
    anchors: list[Anchor] = []
    taken_to = 0
    for candidate in candidates:
        if candidate.start < taken_to:
            continue
        mask = masks[candidate.mask]
        if mask is not None and mask.find(1, candidate.start, candidate.end) != -1:
            continue
        place = {"start": candidate.start, "end": candidate.end}
        anchors.append(
            Anchor.model_validate(
                {
                    "kind": candidate.kind,
                    "text": text[candidate.start : candidate.end],
                    **place,
                    **candidate.fields,
                }
            )
        )
        taken_to = candidate.end
    return _shared_percent(text, anchors)


# --- support: grading facts against an anchor ------------------------------------------------

_STATUS_RANK: dict[SupportStatus, int] = {
    "supported": 0,
    "fuzzy": 1,
    "unsupported_precision": 2,
    "mismatch": 3,
}
_PRECISION_RANK: dict[Precision, int] = {"year": 0, "month": 1, "day": 2}
_MONTH_FULL = _words(
    "January February March April May June July August September October November December"
)
_Num = TypeVar("_Num", float, Decimal)
# How a fact's number may be compared: as it is, by its size (the text gives no sign), as a
# percentage (a fraction written "56 percent"), or both.
_AS_IS, _SIZE, _PERCENT, _PERCENT_SIZE = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class _Grade:
    """One fact's standing against an anchor; `hint` is what the text should say instead."""

    status: SupportStatus
    fact: Fact
    reason: str
    hint: str = ""
    rounded: bool = False

    def support(self) -> Support:
        return Support(
            status=self.status, fact_id=self.fact.id, reason=self.reason, rounded=self.rounded
        )


def describe(fact: Fact, handle: str | None = None) -> str:
    """A fact as an editor reads it in one line: "F3 Enrollment = 72 participants"."""
    unit = f" {fact.unit}" if fact.unit else ""
    name = f"{handle} {fact.label}" if handle else fact.label
    return f"{name} = {fact.value}{unit}"


def _decimal_of(value: float | int) -> Decimal:
    """A number exactly as written in the source ("0.092", not its binary expansion)."""
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def _rounded(value: Decimal, decimals: int, computed: float) -> tuple[Decimal, ...] | None:
    """`value` rounded to `decimals` the ways people and programs round: half up, half to
    even, and as Python formats the float a program computed (f"{0.0295 * 100:.1f}" is
    "2.9", since 0.0295 * 100 is 2.9499999999999997)."""
    step = Decimal(1).scaleb(-decimals)
    try:
        return (
            value.quantize(step, ROUND_HALF_UP),
            value.quantize(step, ROUND_HALF_EVEN),
            Decimal(computed).quantize(step, ROUND_HALF_EVEN),
        )
    except InvalidOperation:  # more digits than a Decimal context holds: not a rounding
        return None


def _places(decimals: int) -> str:
    if decimals > 0:
        return f"{decimals} decimal{'s' if decimals > 1 else ''}"
    return "a whole number" if decimals == 0 else f"the nearest {10**-decimals:,}"


def phase_prose(label: str) -> str:
    """ClinicalTrials.gov's label as prose: PHASE1/PHASE2 → "Phase 1/2"."""
    if label == "EARLY_PHASE1":
        return "Early Phase 1"
    return "Phase " + "/".join(part.removeprefix("PHASE") for part in label.split("/"))


def _date_parts(value: str) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) of "2025-05-08", "2025-05", "2025" or the year-less "--05-08"."""
    if value.startswith("--"):
        month, day = value[2:].split("-")
        return None, int(month), int(day)
    parts = [int(p) for p in value.split("-")]
    parts += [0] * (3 - len(parts))
    return parts[0], parts[1] or None, parts[2] or None


def _date_in_words(value: str, precision: Precision) -> str:
    """How to write a fact's date at its own precision: "March 2021", "2021"."""
    year, month, _ = _date_parts(value)
    if precision == "month" and month is not None:
        return f"{_MONTH_FULL[month - 1]} {year}"
    if precision == "year":
        return str(year)
    return value


@dataclass(frozen=True, slots=True)
class _NumberKey:
    """One reading of a number fact (see _AS_IS ...): the value to compare, whose it is."""

    key: float
    position: int
    variant: int


def _reading(value: _Num, variant: int) -> _Num:
    """A fact's number read one way: as is, its size, as a percentage, or both."""
    size = abs(value) if variant in (_SIZE, _PERCENT_SIZE) else value
    return size * 100 if variant in (_PERCENT, _PERCENT_SIZE) else size


def _number_distance(anchor: Anchor, fact: Fact, allowed: frozenset[int]) -> float:
    """How far a fact is from a written number, read the nearest way the anchor allows."""
    written = float(anchor.value)
    return min(abs(_reading(float(fact.value), variant) - written) for variant in allowed)


class FactIndex:
    """The facts an anchor may be checked against, sorted by the type of anchor each can
    support, so that checking a paragraph's anchors costs a lookup each, not a scan."""

    def __init__(self, facts: Sequence[Fact]) -> None:
        self.facts = list(facts)
        self._by_kind: dict[AnchorKind, list[Fact]] = {
            kind: [f for f in self.facts if f.kind in kinds] for kind, kinds in FACT_KINDS.items()
        }
        keys: list[_NumberKey] = []  # every reading of every number fact, sorted by value
        for position, fact in enumerate(self._by_kind["number"]):
            value = float(fact.value)
            variants = (_AS_IS, _PERCENT, _SIZE, _PERCENT_SIZE) if value < 0 else (_AS_IS, _PERCENT)
            keys.extend(_NumberKey(_reading(value, v), position, v) for v in variants)
        keys.sort(key=lambda k: k.key)
        self._number_keys = keys
        self._number_values = [k.key for k in keys]
        self._dates = [_when(str(f.value), f.precision or "day") for f in self._by_kind["date"]]
        self._phases = [phase_of_fact(str(f.value)) for f in self._by_kind["phase"]]
        self._ids: dict[str, Fact] = {}
        for fact in reversed(self._by_kind["id"]):
            self._ids[normalise_id(str(fact.value))] = fact

    def of_kind(self, kind: AnchorKind) -> list[Fact]:
        """The facts that can support an anchor of `kind`, in the order they were given."""
        return self._by_kind[kind]

    def nearest_first(self, anchor: Anchor, first: Fact, limit: int) -> list[Fact]:
        """At most `limit` facts of the anchor's type: `first`, then numbers and dates by how
        near they are to the anchor, others in the order given (what an editor reads)."""
        others = [f for f in self.of_kind(anchor.kind) if f.id != first.id]
        if anchor.kind == "number":
            allowed = self._variants(anchor)
            others = heapq.nsmallest(
                limit, others, key=lambda f: _number_distance(anchor, f, allowed)
            )
        elif anchor.kind == "date":
            when = _anchor_when(anchor)
            others = heapq.nsmallest(
                limit,
                others,
                key=lambda f: _date_distance(when, _when(str(f.value), f.precision or "day")),
            )
        return [first, *others][:limit]

    def match(self, anchor: Anchor) -> Support | None:
        """The best support among the facts of the anchor's type (see `match`)."""
        grade = self._best(anchor)
        return None if grade is None else grade.support()

    def _best(self, anchor: Anchor) -> _Grade | None:
        """The best-graded fact of the anchor's type, with what to write instead."""
        if not self._by_kind[anchor.kind]:
            return None
        if anchor.kind == "number":
            return self._grade_number(anchor)
        if anchor.kind == "date":
            return self._grade_date(anchor)
        if anchor.kind == "phase":
            return self._grade_phase(anchor)
        return self._grade_id(anchor)

    # numbers

    def _variants(self, anchor: Anchor) -> frozenset[int]:
        """How the facts may be read for this anchor: a percentage against fractions only
        (no fact holds a percentage: Fact has no percent unit), an unsigned number also
        against the size of a negative fact."""
        if anchor.percent:
            return frozenset({_PERCENT} if anchor.signed else {_PERCENT, _PERCENT_SIZE})
        return frozenset({_AS_IS} if anchor.signed else {_AS_IS, _SIZE})

    def _grade_number(self, anchor: Anchor) -> _Grade:
        written = float(anchor.value)
        decimals = anchor.decimals or 0
        unit = 10.0**-decimals
        allowed = self._variants(anchor)
        low = bisect.bisect_left(self._number_values, written - unit * 1.000001)
        high = bisect.bisect_right(self._number_values, written + unit * 1.000001)
        best: tuple[tuple[float, ...], _NumberKey, SupportStatus, bool] | None = None
        for key in self._number_keys[low:high]:
            if key.variant not in allowed:
                continue
            graded = self._number_status(anchor, key)
            if graded is None:
                continue
            status, rounded = graded
            order = (_STATUS_RANK[status], not rounded, key.variant, abs(key.key - written))
            if best is None or (*order, key.position) < (*best[0], best[1].position):
                best = (order, key, status, rounded)
        if best is not None:
            return self._explain_number(anchor, best[1], best[2], best[3])
        return self._explain_number(anchor, self._nearest(written, allowed), "mismatch", False)

    def _number_status(self, anchor: Anchor, key: _NumberKey) -> tuple[SupportStatus, bool] | None:
        """supported (equal), fuzzy and rounded (the fact rounded to the written decimals),
        fuzzy (within a unit of the last written digit, the fact having more digits), None."""
        written = float(anchor.value)
        if math.isclose(written, key.key, rel_tol=1e-9, abs_tol=1e-12):
            return "supported", False
        if written == 0:  # "0" for 0.092 rounds every digit away: it says "none", not "about"
            return None
        decimals = anchor.decimals or 0
        exact = self._variant_value(key)
        roundings = _rounded(exact, decimals, key.key)
        if roundings is None:
            return None
        own = Decimal(repr(written)).quantize(roundings[0])
        if own in roundings:
            return "fuzzy", True
        finer = exact != roundings[0]
        if finer and abs(Decimal(repr(written)) - exact) < Decimal(1).scaleb(-decimals):
            return "fuzzy", False
        return None

    def _variant_value(self, key: _NumberKey) -> Decimal:
        """The reading of `key` computed exactly, as the source wrote the number."""
        value = self._by_kind["number"][key.position].value
        assert isinstance(value, int | float)
        return _reading(_decimal_of(value), key.variant)

    def _nearest(self, written: float, allowed: frozenset[int]) -> _NumberKey:
        """The fact value closest to `written` among the allowed readings (for a mismatch)."""
        middle = bisect.bisect_left(self._number_values, written)
        below = (k for k in reversed(self._number_keys[:middle]) if k.variant in allowed)
        above = (k for k in self._number_keys[middle:] if k.variant in allowed)
        found = [k for k in (next(below, None), next(above, None)) if k is not None]
        return min(found, key=lambda k: (abs(k.key - written), k.position))

    def _explain_number(
        self, anchor: Anchor, key: _NumberKey, status: SupportStatus, rounded: bool
    ) -> _Grade:
        fact = self._by_kind["number"][key.position]
        decimals = anchor.decimals or 0
        roundings = _rounded(self._variant_value(key), decimals, key.key)
        hint = "" if roundings is None else format(roundings[0], "f")
        reading = {_AS_IS: "", _SIZE: " (its size)", _PERCENT: " (as a percentage)"}
        how = reading.get(key.variant, " (its size, as a percentage)")
        if status == "supported":
            reason = f"equals {describe(fact)}{how}"
        elif rounded:
            reason = f"is {describe(fact)}{how} rounded to {_places(decimals)}"
        elif status == "fuzzy":
            reason = f"is near {describe(fact)}{how}, which rounds to {hint}, not to it"
        else:
            reason = f"no cited number equals it; the nearest is {describe(fact)}{how}"
        return _Grade(status, fact, reason, hint, rounded)

    # dates

    def _grade_date(self, anchor: Anchor) -> _Grade:
        written = _anchor_when(anchor)
        through = None if anchor.through is None else _when(anchor.through, "month")
        graded = []
        for position, (fact, when) in enumerate(
            zip(self._by_kind["date"], self._dates, strict=True)
        ):
            status = _date_status(written, through, when)
            graded.append(
                ((_STATUS_RANK[status], _date_distance(written, when), position), status, fact)
            )
        _, status, fact = min(graded, key=lambda g: g[0])
        fact_precision = fact.precision or "day"
        if status == "supported":
            reason = f"agrees with {describe(fact)} at the text's {anchor.precision} precision"
        elif status == "unsupported_precision":
            reason = f"gives a {anchor.precision}; {describe(fact)} gives only a {fact_precision}"
        else:
            reason = f"no cited date agrees; the nearest is {describe(fact)}"
        iso = anchor.text[:1].isdigit() and "-" in anchor.text
        hint = str(fact.value) if iso else _date_in_words(str(fact.value), fact_precision)
        return _Grade(status, fact, reason, hint)

    # phases

    def _grade_phase(self, anchor: Anchor) -> _Grade:
        written = set(str(anchor.value).split("/"))
        graded = []
        for position, (fact, label) in enumerate(
            zip(self._by_kind["phase"], self._phases, strict=True)
        ):
            status: SupportStatus = "mismatch"
            if label == anchor.value:
                status = "supported"
            elif label is not None and written & set(label.split("/")):
                status = "fuzzy"
            graded.append(((_STATUS_RANK[status], position), status, fact, label))
        _, status, fact, label = min(graded, key=lambda g: g[0])
        named = describe(fact) if label == str(fact.value) else f"{describe(fact)} ({label})"
        if label is None:
            named = f"{describe(fact)}, which names no phase"
        reason = {
            "supported": f"equals {named}",
            "fuzzy": f"shares a phase with {named}",
        }.get(status, f"differs from {named}")
        return _Grade(status, fact, reason, "" if label is None else phase_prose(label))

    # ids

    def _grade_id(self, anchor: Anchor) -> _Grade:
        fact = self._ids.get(str(anchor.value))
        if fact is not None:
            return _Grade("supported", fact, f"equals {describe(fact)}")
        prefix = _id_prefix(str(anchor.value))
        facts = self._by_kind["id"]
        same = [f for f in facts if _id_prefix(normalise_id(str(f.value))) == prefix]
        nearest = (same or facts)[0]
        return _Grade("mismatch", nearest, f"no cited id equals it; cited {describe(nearest)}")


def _id_prefix(value: str) -> str:
    """The kind of an id as its letters say: NCT, CHEMBL, ENSG, MONDO_ ..."""
    return value.rstrip("0123456789.")


@dataclass(frozen=True, slots=True)
class _When:
    """A date split once: (year, month, day) with None for what it does not give, and how
    precise it is (0 year, 1 month, 2 day)."""

    parts: tuple[int | None, int | None, int | None]
    rank: int

    def day_count(self, year: int | None = None) -> int:
        """Roughly days since year 0, to find the nearest date (a year-less date borrows one)."""
        own, month, day = self.parts
        return (own if own is not None else year or 0) * 372 + (month or 1) * 31 + (day or 1)


def _when(value: str, precision: Precision) -> _When:
    return _When(_date_parts(value), _PRECISION_RANK[precision])


def _anchor_when(anchor: Anchor) -> _When:
    assert isinstance(anchor.value, str) and anchor.precision is not None
    return _when(anchor.value, anchor.precision)


def _date_distance(written: _When, fact: _When) -> int:
    return abs(written.day_count(fact.parts[0]) - fact.day_count())


def _date_status(written: _When, through: _When | None, fact: _When) -> SupportStatus:
    """Equal at the anchor's precision and no more precise than the fact: supported; equal as
    far as the fact goes but more precise: unsupported_precision; otherwise mismatch."""
    if through is not None:  # a quarter or half: the months from `written` through `through`
        if fact.rank == 0:
            return "unsupported_precision" if fact.parts[0] == written.parts[0] else "mismatch"
        inside = written.parts[:2] <= fact.parts[:2] <= through.parts[:2]  # all give months
        return "supported" if inside else "mismatch"
    if written.parts[0] is None:  # "8 May": only the month and day can be checked
        if fact.parts[1 : fact.rank + 1] != written.parts[1 : fact.rank + 1]:
            return "mismatch"
        return "supported" if fact.rank == 2 else "unsupported_precision"
    common = min(written.rank, fact.rank) + 1
    if written.parts[:common] != fact.parts[:common]:
        return "mismatch"
    return "unsupported_precision" if written.rank > fact.rank else "supported"


def match(anchor: Anchor, facts: Sequence[Fact]) -> Support | None:
    """The best support for `anchor` among `facts` of its type (numbers: count, number and
    score facts; dates: date facts; phases: phase facts; ids: id facts), best first:
    supported > fuzzy > unsupported_precision > mismatch, then the nearest value, then the
    order given. None when no fact of that type is among `facts`."""
    return FactIndex(facts).match(anchor)


# --- the drafting validator's check ----------------------------------------------------------

_KIND_FACTS: dict[AnchorKind, str] = {
    "number": "count, number or score",
    "date": "date",
    "phase": "phase",
    "id": "id",
}
_LISTED = 3


def accepted(support: Support | None) -> bool:
    """Whether a support lets a drafted paragraph stand: equal, or an honest rounding."""
    return support is not None and (
        support.status == "supported" or (support.status == "fuzzy" and support.rounded)
    )


def _cited_list(
    index: FactIndex, anchor: Anchor, first: Fact, handle: Callable[[Fact], str]
) -> str:
    """The cited facts of the anchor's type, the nearest first, at most a few."""
    shown = index.nearest_first(anchor, first, _LISTED)
    more = len(index.of_kind(anchor.kind)) - len(shown)
    listing = "; ".join(describe(f, handle(f)) for f in shown)
    return listing + (f"; and {more} more" if more else "")


def _message(
    index: FactIndex, anchor: Anchor, grade: _Grade | None, handle: Callable[[Fact], str]
) -> str:
    """One line the model can act on: what is wrong and what to write or cite instead."""
    said = f'the {anchor.kind} "{anchor.text}"'
    if grade is None:
        return f"{said} is not in any cited fact (no {_KIND_FACTS[anchor.kind]} fact is cited)"
    named = describe(grade.fact, handle(grade.fact))
    if grade.status == "unsupported_precision":
        return (
            f"{said} is more precise than the cited fact ({named}): write "
            f'"{grade.hint}" or cite a fact that gives the {anchor.precision}'
        )
    if grade.status == "fuzzy" and anchor.kind == "number":
        return f'{said} is not in any cited fact: the nearest, {named}, rounds to "{grade.hint}"'
    if grade.status == "fuzzy":
        return f'{said} only overlaps the cited phase ({named}): write "{grade.hint}"'
    return (
        f"{said} is not in any cited fact (cited: {_cited_list(index, anchor, grade.fact, handle)})"
    )


def check_text(
    text: str, cited: Sequence[Fact], handles: Mapping[str, str] | None = None
) -> list[Problem]:
    """Every anchor of `text` that the `cited` facts do not support, with a message naming
    facts by their handle in `handles` (fact id → "F3") or else by id. An honest rounding
    ("0.09" for 0.092) passes; any other fuzzy support does not."""
    index = FactIndex(cited)

    def handle(fact: Fact) -> str:
        return (handles or {}).get(fact.id, fact.id)

    problems = []
    for anchor in extract_anchors(text):
        grade = index._best(anchor)
        support = None if grade is None else grade.support()
        if not accepted(support):
            message = _message(index, anchor, grade, handle)
            problems.append(Problem(anchor=anchor, support=support, message=message))
    return problems
