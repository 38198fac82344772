"""Shared value types used across layers: partial dates, phases and the fact/gap records."""

from __future__ import annotations

import calendar
import functools
import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from drafter.rulebook import Archetype, Category

Precision = Literal["year", "month", "day"]

_PARTIAL_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2}))?(?:-([0-9]{2}))?$")

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


FactValue = str | int | float | bool | list[str] | None


class Fact(BaseModel):
    """One citable statement: a stable id a draft can cite, its value and where it came from."""

    id: str = Field(pattern=r"^[a-z0-9_]+:[^\s]+$")
    label: str
    value: FactValue
    precision: Precision | None = None
    source_url: str
    source: str
    note: str | None = None
    derived_from: list[str] = Field(
        default_factory=list,
        description="ids of the bundle's source records (upstream answers) the value was read "
        "from; a snapshot answer's record says how its body was obtained",
    )

    @field_validator("source_url")
    @classmethod
    def _absolute_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"source_url must be an absolute URL: {url!r}")
        return url


class Gap(BaseModel):
    """A resolution step that did not succeed, kept in the bundle so a reviewer sees why."""

    step: str
    reason: str


ClaimStatus = Literal["draft", "published"]


class Claim(BaseModel):
    """One documented failed program: a row of the claims table and an input to the MRS.

    Published claims do not always name a trial, a phase or a date (seed 000's related claims
    name none); those fields stay empty rather than being guessed, and the MRS says so."""

    model_config = ConfigDict(extra="forbid")

    nct_id: str | None = Field(default=None, pattern=r"^NCT[0-9]{8}$")
    drug: str = Field(min_length=1)
    drug_chembl_id: str | None = Field(default=None, pattern=r"^CHEMBL[0-9]+$")
    target_symbol: str = Field(min_length=1)
    target_ensembl_id: str | None = Field(default=None, pattern=r"^ENSG[0-9]{11}$")
    disease_name: str = Field(min_length=1)
    disease_id: str | None = None
    phase: Phase | None = None
    archetype: Archetype
    category: Category
    why_stopped: str | None = None
    sponsor: str | None = None
    termination_posted: PartialDate | None = None
    primary_completion: PartialDate | None = None
    event_date_override: PartialDate | None = Field(
        default=None,
        description="For program-level failures with no trial termination (a partnership "
        "ended, a program dropped): the dated event itself.",
    )
    headline: str | None = None
    status: ClaimStatus = "draft"
    sources: list[str] = Field(default_factory=list)
    created: str | None = None
    updated: str | None = None

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


def fold_text(text: str) -> str:
    """Case- and whitespace-insensitive form of a name ("Discoid  Lupus" == "discoid lupus")."""
    return " ".join(text.casefold().split())


_NAME_JOINERS = re.compile(r"[\s\-_\u2010-\u2015]+")


def drug_name_key(name: str) -> str:
    """Drug names the way registries vary them: case, spaces, hyphens and underscores ignored
    ("ARO-ANG3" == "aro ang3")."""
    return _NAME_JOINERS.sub("", name.casefold())
