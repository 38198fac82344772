"""Which stopped trials a batch drafts: a ClinicalTrials.gov search (`discover`) or a list of
NCT ids kept in a file (`drafter.nct_file.read_nct_file`, re-exported here).

The search asks for interventional trials that are terminated, withdrawn or suspended and whose
last update was posted in a date range (by default only drug or biological interventions). The
registry's answer is checked, not trusted, and every record left out is counted with its
reason, so a batch report can tell what it did not draft and why:
- what makes a trial worth a post-mortem (stopped, interventional, a drug or biological) each
  record must show itself: one that shows otherwise or does not say is dropped;
- the narrowing filters (date range, phases, sponsor class) drop a record that contradicts
  them; one that is silent on them (a sparse record) is kept on the registry's word, since the
  registry matched on its full record and drafting it is still drafting a stopped drug trial.
Candidates come in a stable order (last update, then NCT id) whatever order pages arrived in.
"""

from __future__ import annotations

import heapq
import re
from collections import Counter
from datetime import date
from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    computed_field,
    field_validator,
    model_validator,
)

from drafter.errors import BadInput, first_problem
from drafter.nct_file import NctDuplicate, NctLine, NctList, read_nct_file
from drafter.sources import ctgov
from drafter.sources.api import ApiRequest, excerpt
from drafter.sources.http import HttpClient
from drafter.terminal import one_line

__all__ = [
    "Candidate",
    "DiscoveryQuery",
    "DiscoveryResult",
    "DropReason",
    "Dropped",
    "NctDuplicate",
    "NctLine",
    "NctList",
    "discover",
    "read_nct_file",
    "scope_problem",
]

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# query.cond is a free-text search; a condition longer than this is not a condition.
MAX_CONDITION_CHARS = 200
PAGE_SIZE = 100


class DiscoveryQuery(BaseModel):
    """What to search for, validated before any request: dates exactly YYYY-MM-DD with
    since ≤ until (an until after today is allowed: it just finds nothing newer), phases and
    sponsor class from the registry's value sets (any case), a non-blank condition."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    since: date
    until: date | None = None
    phases: tuple[ctgov.Phase, ...] = ()
    condition: str | None = None
    sponsor_class: ctgov.SponsorClass | None = None
    all_interventions: bool = False

    @classmethod
    def checked(cls, **values: Any) -> DiscoveryQuery:
        """The query, or BadInput (exit 2) naming the first problem: for the CLI's options."""
        try:
            return cls(**values)
        except ValidationError as error:
            raise BadInput(f"invalid discovery query: {first_problem(error)}") from None

    @field_validator("since", "until", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        """YYYY-MM-DD only: pydantic alone would also take 20100101, a timestamp or a datetime."""
        if value is None or type(value) is date:
            return value
        if isinstance(value, str) and _DAY.fullmatch(value):
            return value
        raise ValueError(f"not a YYYY-MM-DD date: {excerpt(str(value), 40)!r}")

    @field_validator("phases", mode="before")
    @classmethod
    def _phases(cls, value: Any) -> Any:
        """ "phase2,PHASE3" or a list; upper-cased, duplicates dropped, in the registry's order,
        so the same phases always make the same request."""
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list | tuple):
            return value
        wanted = {str(item).strip().upper() for item in value if str(item).strip()}
        unknown = sorted(wanted - set(ctgov.PHASES))
        if unknown:
            raise ValueError(
                f"unknown phase {excerpt(unknown[0], 40)!r} (one of {', '.join(ctgov.PHASES)})"
            )
        return tuple(phase for phase in ctgov.PHASES if phase in wanted)

    @field_validator("sponsor_class", mode="before")
    @classmethod
    def _sponsor_class(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        upper = value.strip().upper()
        if upper not in ctgov.SPONSOR_CLASSES:
            raise ValueError(
                f"unknown sponsor class {excerpt(value, 40)!r} "
                f"(one of {', '.join(ctgov.SPONSOR_CLASSES)})"
            )
        return upper

    @field_validator("condition")
    @classmethod
    def _condition(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip()
        if not text:
            raise ValueError("the condition must not be blank")
        if one_line(text) != text:
            raise ValueError("the condition must be one line of text without control characters")
        if len(text) > MAX_CONDITION_CHARS:
            raise ValueError(f"the condition is longer than {MAX_CONDITION_CHARS} characters")
        return text

    @model_validator(mode="after")
    def _ordered(self) -> DiscoveryQuery:
        if self.until is not None and self.until < self.since:
            raise ValueError(f"since {self.since} is after until {self.until}")
        return self

    @property
    def intervention_types(self) -> tuple[str, ...]:
        """The intervention types searched for; () means every kind."""
        return () if self.all_interventions else ctgov.DRUG_INTERVENTION_TYPES

    def search_request(self, page_token: str | None = None) -> ApiRequest:
        """The ClinicalTrials.gov request for one page of this query."""
        return ctgov.stopped_search_request(
            self.since,
            self.until,
            page_token,
            PAGE_SIZE,
            phases=self.phases,
            condition=self.condition,
            sponsor_class=self.sponsor_class,
            intervention_types=self.intervention_types,
        )


class DropReason(StrEnum):
    """Why a listed record is not a candidate. The "not stated" reasons are records the
    registry matched on a value this record does not show (a fields subset, a sparse record):
    they may well be in scope, but nothing in hand says they are a stopped drug trial."""

    MALFORMED_ID = "malformed NCT id"
    DUPLICATE = "listed more than once"
    NOT_STOPPED = "status is not terminated, withdrawn or suspended"
    STATUS_NOT_STATED = "status not stated"
    NOT_INTERVENTIONAL = "not an interventional study"
    STUDY_TYPE_NOT_STATED = "study type not stated"
    NO_DRUG_OR_BIOLOGICAL = "no drug or biological intervention"
    INTERVENTION_TYPE_NOT_STATED = "intervention types not stated"
    OUTSIDE_DATES = "last update posted outside the date range"
    OTHER_PHASE = "not in a phase asked for"
    OTHER_SPONSOR_CLASS = "lead sponsor not of the class asked for"


NOT_STATED = frozenset(
    {
        DropReason.STATUS_NOT_STATED,
        DropReason.STUDY_TYPE_NOT_STATED,
        DropReason.INTERVENTION_TYPE_NOT_STATED,
    }
)


class Candidate(BaseModel):
    """One trial to draft, with what a batch report lists about it. Text fields are the
    registry's, untrusted: render them with drafter.terminal, never as markup."""

    nct_id: str
    status: Literal["TERMINATED", "WITHDRAWN", "SUSPENDED"]
    last_update_posted: date | None = Field(
        description="None when the record does not state it to the day (sorted last)"
    )
    title: str | None = None
    sponsor: str | None = None
    sponsor_class: str | None = None
    phases: list[str] = Field(default_factory=list)
    conditions: list[str] = Field(default_factory=list)
    intervention_types: list[str] = Field(default_factory=list)
    why_stopped: str | None = None

    @classmethod
    def of(cls, study: ctgov.Study, nct_id: str) -> Candidate:
        """The candidate of a record `scope_problem` found in scope."""
        return cls.model_validate(
            {
                "nct_id": nct_id,
                "status": study.status.overall_status,
                "last_update_posted": last_update_day(study),
                "title": study.title,
                "sponsor": study.lead_sponsor,
                "sponsor_class": study.lead_sponsor_class,
                "phases": study.design.phases,
                "conditions": study.conditions,
                "intervention_types": sorted({i.type for i in study.interventions if i.type}),
                "why_stopped": study.status.why_stopped,
            }
        )

    def sort_key(self) -> tuple[bool, date, str]:
        """Oldest update first, undated last, then by NCT id."""
        updated = self.last_update_posted
        return (updated is None, updated or date.min, self.nct_id)


class Dropped(BaseModel):
    """A listed record left out, with the reason; `nct_id` as listed (cut if overlong)."""

    nct_id: str
    reason: DropReason


class DiscoveryResult(BaseModel):
    query: DiscoveryQuery
    candidates: list[Candidate]
    dropped: list[Dropped]
    registry_total: int | None = Field(
        description="how many studies the registry said match (countTotal, first page)"
    )
    pages: int
    truncated: bool = Field(
        description="the limit cut the list: more trials in scope may exist after the last one"
    )

    @computed_field  # type: ignore[prop-decorator]
    @property
    def dropped_by_reason(self) -> dict[str, int]:
        counts = Counter(d.reason.value for d in self.dropped)
        return dict(sorted(counts.items()))


def last_update_day(study: ctgov.Study) -> date | None:
    """The last update's posting date, if the record states it to the day."""
    struct = study.status.last_update_post_date_struct
    if struct is None or struct.date.precision != "day":
        return None
    return struct.date.earliest()


def scope_problem(study: ctgov.Study, query: DiscoveryQuery) -> DropReason | None:
    """Why this record is out of the query's scope by its own fields, or None if it is in."""
    status = study.status.overall_status
    if status is None:
        return DropReason.STATUS_NOT_STATED
    if status not in ctgov.STOPPED_STATUSES:
        return DropReason.NOT_STOPPED
    study_type = study.design.study_type
    if study_type is None:
        return DropReason.STUDY_TYPE_NOT_STATED
    if study_type != "INTERVENTIONAL":
        return DropReason.NOT_INTERVENTIONAL
    if query.intervention_types:
        types = [i.type for i in study.interventions]
        if not set(types) & set(query.intervention_types):
            if not types or None in types:
                return DropReason.INTERVENTION_TYPE_NOT_STATED
            return DropReason.NO_DRUG_OR_BIOLOGICAL
    if _outside(study.status.last_update_post_date_struct, query):
        return DropReason.OUTSIDE_DATES
    phases = study.design.phases
    if query.phases and phases and not set(phases) & set(query.phases):
        return DropReason.OTHER_PHASE
    sponsor_class = study.lead_sponsor_class
    if query.sponsor_class and sponsor_class and sponsor_class != query.sponsor_class:
        return DropReason.OTHER_SPONSOR_CLASS
    return None


def _outside(posted: ctgov.DateStruct | None, query: DiscoveryQuery) -> bool:
    """Whether a stated last-update date is certainly outside [since, until]: a month-only
    date ("2010-01") is outside only if no day of it is in."""
    if posted is None:
        return False
    too_late = query.until is not None and posted.date.earliest() > query.until
    return posted.date.latest() < query.since or too_late


class _Sieve:
    """Sorts listed records into candidates and dropped ones, first listing of an id wins."""

    def __init__(self, query: DiscoveryQuery) -> None:
        self.query = query
        self.candidates: list[Candidate] = []
        self.dropped: list[Dropped] = []
        self._seen: set[str] = set()

    def take(self, study: ctgov.Study) -> None:
        listed = study.nct_id
        try:
            nct_id = ctgov.normalise_nct_id(listed)
        except BadInput:
            self.dropped.append(Dropped(nct_id=excerpt(listed, 40), reason=DropReason.MALFORMED_ID))
            return
        if nct_id in self._seen:
            self.dropped.append(Dropped(nct_id=nct_id, reason=DropReason.DUPLICATE))
            return
        self._seen.add(nct_id)
        reason = scope_problem(study, self.query)
        if reason is not None:
            self.dropped.append(Dropped(nct_id=nct_id, reason=reason))
            return
        self.candidates.append(Candidate.of(study, nct_id))

    def holds_first(self, limit: int) -> bool:
        """Whether the first `limit` candidates (in the final order) are already known. Pages
        come oldest update first, so once a candidate is newer than the limit-th oldest one,
        every later page is too; ties on that day still page on, their NCT ids may sort first."""
        dates = [c.last_update_posted for c in self.candidates if c.last_update_posted]
        if len(dates) < limit:
            return False
        return max(dates) > heapq.nsmallest(limit, dates)[-1]


def discover(
    client: HttpClient, query: DiscoveryQuery, limit: int | None = None
) -> DiscoveryResult:
    """The trials in scope of `query`, sorted by last update then NCT id, at most `limit`
    (the oldest updates first). Every page is read unless a limit lets paging stop early."""
    if limit is not None and limit < 1:
        raise BadInput(f"the limit must be at least 1, not {limit}")
    sieve = _Sieve(query)
    registry_total: int | None = None
    pages = 0
    stopped_early = False
    for page in ctgov.iter_search_pages(client, query.search_request):
        if pages == 0:
            registry_total = page.total_count
        pages += 1
        for study in page.studies:
            sieve.take(study)
        if limit is not None and page.next_page_token and sieve.holds_first(limit):
            stopped_early = True
            break
    candidates = sorted(sieve.candidates, key=Candidate.sort_key)
    truncated = stopped_early or (limit is not None and len(candidates) > limit)
    return DiscoveryResult(
        query=query,
        candidates=candidates[:limit],
        dropped=sieve.dropped,
        registry_total=registry_total,
        pages=pages,
        truncated=truncated,
    )
