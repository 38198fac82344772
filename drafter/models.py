"""Shared value types used across layers: partial dates, phases and the fact/gap records."""

from __future__ import annotations

import calendar
import functools
import re
from collections.abc import Mapping
from datetime import date
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from drafter.rulebook import (
    CATEGORY_ARCHETYPE,
    Archetype,
    Category,
    allowed_archetypes,
)

Precision = Literal["year", "month", "day"]

_PARTIAL_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2}))?(?:-([0-9]{2}))?\Z")  # \Z: no "\n"

# ClinicalTrials.gov phase spellings in the order a trial progresses.
Phase = Literal[
    "EARLY_PHASE1", "PHASE1", "PHASE1/PHASE2", "PHASE2", "PHASE2/PHASE3", "PHASE3", "PHASE4"
]
PHASE_ORDER: tuple[Phase, ...] = (
    "EARLY_PHASE1",
    "PHASE1",
    "PHASE1/PHASE2",
    "PHASE2",
    "PHASE2/PHASE3",
    "PHASE3",
    "PHASE4",
)


class PartialDate(BaseModel):
    """A date that keeps the precision its source gave (ClinicalTrials.gov mixes "2016-12" and
    "2016-11-21"); never silently promoted to a day."""

    model_config = ConfigDict(frozen=True)

    value: str
    precision: Precision

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        """Accept "2025-05" or {"value", "precision"}; one check for both, since a claims table
        of 100,000 rows validates some 200,000 dates."""
        if isinstance(data, str):
            text = data.strip()
            return {"value": text, "precision": _precision_of(text)}
        if isinstance(data, dict) and isinstance(data.get("value"), str):
            actual = _precision_of(data["value"])
            if data.get("precision", actual) != actual:
                raise ValueError(
                    f"date {data['value']!r} does not have {data['precision']} precision"
                )
        return data

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        return cls(value=text, precision=_precision_of(text))

    def earliest(self) -> date:
        """First day the date can denote."""
        year, month, day = self._parts()
        return date(year, month or 1, day or 1)

    def latest(self) -> date:
        """Last day the date can denote."""
        year, month, day = self._parts()
        if day is not None and month is not None:
            return date(year, month, day)
        if month is not None:
            return date(year, month, calendar.monthrange(year, month)[1])
        return date(year, 12, 31)

    def _parts(self) -> tuple[int, int | None, int | None]:
        return _date_parts(self.value)

    def __str__(self) -> str:
        return self.value


@functools.lru_cache(maxsize=1 << 16)
def _date_parts(text: str) -> tuple[int, int | None, int | None]:
    """Parsed once per distinct string: the MRS asks for earliest()/latest() many times."""
    match = _PARTIAL_DATE.match(text)
    assert match is not None  # guaranteed by validation
    year, month, day = match.groups()
    return int(year), int(month) if month else None, int(day) if day else None


@functools.lru_cache(maxsize=1 << 16)
def _precision_of(text: str) -> Precision:
    """The precision of an exact "YYYY", "YYYY-MM" or "YYYY-MM-DD" (no surrounding space: the
    value is stored as given, so it must already be clean), checked to be a real date."""
    match = _PARTIAL_DATE.match(text)
    if not match:
        raise ValueError(f"not a YYYY, YYYY-MM or YYYY-MM-DD date: {text!r}")
    year, month, day = match.groups()
    try:
        date(int(year), int(month or 1), int(day or 1))  # rejects year 0, month 13, 2025-02-30
    except ValueError as error:
        raise ValueError(f"not a real date: {text!r} ({error})") from None
    return "day" if day else "month" if month else "year"


class Gap(BaseModel):
    """A resolution step that did not succeed, kept in the bundle so a reviewer sees why."""

    step: str
    reason: str


ClaimStatus = Literal["draft", "published"]

# Length limits of a claim's text, so every stored claim survives an export and an import:
# Python's csv reader refuses a field over 131,072 characters, and the largest CSV cell, the
# JSON array of sources, stays under 50 × (2,048 + 4) characters.
MAX_TEXT = 10_000  # why_stopped, headline
MAX_NAME = 500  # drug, target, disease, disease id, sponsor
MAX_URL = 2_048  # one source URL (the longest URL common browsers and servers accept)
MAX_SOURCES = 50
MAX_TIMESTAMP = 64
# An absolute http(s) URL with nothing a URL must percent-encode that JSON or CSV would escape.
_SOURCE_URL = re.compile(r'https?://[^\s"\\\x00-\x1f\x7f]+')


class Claim(BaseModel):
    """One documented stopped program: a row of the claims table and an input to the MRS.

    Published claims do not always name a trial, a phase or a date (seed 000's related claims
    name none); those fields stay empty rather than being guessed, and the MRS says so.

    Rules every claim obeys, wherever it comes from (store, `claims add`, import, seed file):
    its archetype is the one its category means (`rulebook.allowed_archetypes`: an undirected
    category such as Interim_Analysis may carry any); a published claim cites at least one
    source URL; text fields stay within the MAX_* limits above."""

    model_config = ConfigDict(extra="forbid")

    nct_id: str | None = Field(default=None, pattern=r"^NCT[0-9]{8}$")
    drug: str = Field(min_length=1, max_length=MAX_NAME)
    drug_chembl_id: str | None = Field(default=None, pattern=r"^CHEMBL[0-9]{1,20}$")
    target_symbol: str = Field(min_length=1, max_length=MAX_NAME)
    target_ensembl_id: str | None = Field(default=None, pattern=r"^ENSG[0-9]{11}$")
    disease_name: str = Field(min_length=1, max_length=MAX_NAME)
    disease_id: str | None = Field(default=None, max_length=MAX_NAME)
    phase: Phase | None = None
    archetype: Archetype
    category: Category
    why_stopped: str | None = Field(default=None, max_length=MAX_TEXT)
    sponsor: str | None = Field(default=None, max_length=MAX_NAME)
    termination_posted: PartialDate | None = None
    primary_completion: PartialDate | None = None
    event_date_override: PartialDate | None = Field(
        default=None,
        description="For program-level failures with no trial termination (a partnership "
        "ended, a program dropped): the dated event itself.",
    )
    headline: str | None = Field(default=None, max_length=MAX_TEXT)
    status: ClaimStatus = "draft"
    sources: list[str] = Field(default_factory=list, max_length=MAX_SOURCES)
    created: str | None = Field(default=None, max_length=MAX_TIMESTAMP)
    updated: str | None = Field(default=None, max_length=MAX_TIMESTAMP)

    @field_validator("sources")
    @classmethod
    def _source_urls(cls, sources: list[str]) -> list[str]:
        for index, url in enumerate(sources):
            if len(url) > MAX_URL:
                raise ValueError(f"sources.{index}: longer than {MAX_URL} characters")
            if not _SOURCE_URL.fullmatch(url):
                raise ValueError(
                    f"sources.{index}: not an http(s) URL without spaces, quotes or "
                    f"backslashes: {url[:80]!r}"
                )
        return sources

    @model_validator(mode="after")
    def _consistent(self) -> Claim:
        problems = claim_rule_problems(self.archetype, self.category, self.status, self.sources)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def key(self) -> str:
        """Unique key of the row: the NCT id, else drug|target|disease normalised."""
        if self.nct_id:
            return self.nct_id
        return "|".join(fold_text(x) for x in (self.drug, self.target_symbol, self.disease_name))

    @property
    def event_date(self) -> PartialDate | None:
        """MRS.md: the later of the termination-posted and primary-completion dates (or the
        explicit program-level event date); None when the record gives no date."""
        if self.event_date_override is not None:
            return self.event_date_override
        posted, completed = self.termination_posted, self.primary_completion
        if posted is None or completed is None:
            return posted or completed
        later_or_same = (posted.latest(), posted.earliest()) >= (
            completed.latest(),
            completed.earliest(),
        )
        return posted if later_or_same else completed


def claim_rule_problems(
    archetype: Archetype | None,
    category: Category | None,
    status: ClaimStatus | None,
    sources: object,
) -> list[str]:
    """The rules across a claim's fields, each broken one a line; a value given as None (not
    given, or invalid on its own) is not checked against the others."""
    problems: list[str] = []
    if archetype and category and archetype not in allowed_archetypes(category):
        problems.append(
            f"archetype {archetype!r} contradicts category {category!r}, "
            f"which means {CATEGORY_ARCHETYPE[category]}"
        )
    if status == "published" and not sources:
        problems.append("a published claim needs at least one source URL")
    return problems


def claim_problems(data: Mapping[str, Any]) -> list[str]:
    """Every problem of a claim given as data, one line each: each field pydantic refuses and
    each rule broken (`claim_rule_problems`, on the values that are valid on their own), so an
    editor fixes them all in one go rather than one per attempt. Empty when it validates."""
    try:
        Claim.model_validate(data)
    except ValidationError as error:
        problems = [_field_problem(e) for e in error.errors() if e["loc"]]
    else:
        return []
    status = _valid(_STATUS, data.get("status", "draft"))
    archetype = _valid(_ARCHETYPE, data.get("archetype"))
    category = _valid(_CATEGORY, data.get("category"))
    return problems + claim_rule_problems(archetype, category, status, data.get("sources"))


_T = TypeVar("_T")
_ARCHETYPE: TypeAdapter[Archetype] = TypeAdapter(Archetype)
_CATEGORY: TypeAdapter[Category] = TypeAdapter(Category)
_STATUS: TypeAdapter[ClaimStatus] = TypeAdapter(ClaimStatus)


def _valid(adapter: TypeAdapter[_T], value: object) -> _T | None:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        return None


def _field_problem(error: ErrorDetails) -> str:
    """ "phase: Input should be 'EARLY_PHASE1', … (got 'PHASE9')": where, what, and the value
    given when it is short enough to read."""
    where = ".".join(str(part) for part in error["loc"])
    message = error["msg"].removeprefix("Value error, ")
    given = error.get("input")
    readable = isinstance(given, str | int | float) and len(str(given)) <= 60
    if error["type"] != "missing" and readable:
        message += f" (got {given!r})"
    return f"{where}: {message}"


def fold_text(text: str) -> str:
    """Case- and whitespace-insensitive form of a name ("Discoid  Lupus" == "discoid lupus")."""
    return " ".join(text.casefold().split())


_NAME_JOINERS = re.compile(r"[\s\-_\u2010-\u2015]+")


def drug_name_key(name: str) -> str:
    """Drug names the way registries vary them: case, spaces, hyphens and underscores ignored
    ("ARO-ANG3" == "aro ang3")."""
    return _NAME_JOINERS.sub("", name.casefold())
