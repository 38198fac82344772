"""ClinicalTrials.gov API v2: one study, and searches of stopped studies by last-update date."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any, ClassVar, Literal, get_args

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic.alias_generators import to_camel

from drafter.errors import BadInput, MalformedResponse, NotFound
from drafter.models import PartialDate
from drafter.sources.api import ApiRequest, ApiResponse, excerpt, parse_json_model, parse_model
from drafter.sources.http import HttpClient

NCT_PATTERN = re.compile(r"^NCT[0-9]{8}$")
STOPPED_STATUSES = ("TERMINATED", "WITHDRAWN", "SUSPENDED")
# Statuses of a trial still under way: its dek speaks in the present tense.
ONGOING_STATUSES = (
    "RECRUITING",
    "NOT_YET_RECRUITING",
    "ACTIVE_NOT_RECRUITING",
    "ENROLLING_BY_INVITATION",
)
# Whole modules, so a listed study holds everything a discovery candidate shows: id and title
# (identification), status, whyStopped and last update (status), lead sponsor and its class,
# conditions, study type and phases (design) and intervention types (arms/interventions).
SEARCH_FIELDS = (
    "IdentificationModule,StatusModule,SponsorCollaboratorsModule,ConditionsModule,"
    "DesignModule,ArmsInterventionsModule"
)
# Value sets of the search filters. Phases and the intervention types: API-NOTES.md §1 "Field
# paths" (designModule.phases [rec]; interventions[].type DRUG|BIOLOGICAL|DEVICE|OTHER|… [rec]).
# Sponsor classes: API-NOTES.md names INDUSTRY, OTHER, NIH, "…"; the whole AgencyClass enum is
# that of the v2 data structure (clinicaltrials.gov/data-api/about-api/study-data-structure
# #enum-AgencyClass, as quoted by public API clients [3p]).
Phase = Literal["EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"]
PHASES: tuple[Phase, ...] = get_args(Phase)
SponsorClass = Literal[
    "NIH", "FED", "OTHER_GOV", "INDIV", "INDUSTRY", "NETWORK", "AMBIG", "OTHER", "UNKNOWN"
]
SPONSOR_CLASSES: tuple[SponsorClass, ...] = get_args(SponsorClass)
DRUG_INTERVENTION_TYPES = ("DRUG", "BIOLOGICAL")
# 2,000 pages (200,000 studies at 100 a page) is more than any search of stopped trials lists;
# a server that keeps sending fresh page tokens beyond it is broken, not generous.
MAX_SEARCH_PAGES = 2000
# Pages in a row that list no study the search had not listed, each with a fresh token: a server
# paging in circles (the same studies under new tokens) or through nothing. A real search may end
# on an empty page; it never sends four of them, nor repeats a whole page.
MAX_PAGES_WITHOUT_NEWS = 3
# `otherNames` packs codes and brands into one string: "ivacaftor; VX-770", "A or B", "X/Y".
_OTHER_NAME_SEPARATORS = re.compile(r"\s*(?:;|,|/|\bor\b)\s*", re.IGNORECASE)


def study_page_url(nct_id: str) -> str:
    """The public page a reviewer opens to check a ClinicalTrials.gov fact."""
    return f"https://clinicaltrials.gov/study/{nct_id}"


def normalise_nct_id(text: str) -> str:
    """Accept any case and surrounding space; reject everything that is not NCT + 8 digits."""
    candidate = text.strip().upper()
    if not NCT_PATTERN.match(candidate):
        raise BadInput(
            f"not a ClinicalTrials.gov id (NCT followed by 8 digits): {excerpt(text, 40)!r}"
        )
    return candidate


# A registry list (conditions, interventions, outcomes, references) holds dozens of items; a
# hostile record's 100,000 are cut before validation, which costs a Python call per field of
# every item (3 s for 300,000). The evidence reads its facts from the raw body, and says there
# when it cuts a list (drafter.evidence.trial).
MAX_LIST_ITEMS = 1_000


class _Record(BaseModel):
    """camelCase on the wire, snake_case in Python; unknown fields are ignored, absent ones
    stay None because `fields=` subsets leave whole modules out.

    Best effort below the identity: registry records carry odd values ("2021-13", a number
    where a condition should be, an unknown enum), and one of them must not cost the whole
    trial. A field that does not validate takes its default (None, an empty list); a list
    keeps the items that validate. Only a field with no default (the NCT id, a date struct's
    date, an intervention's name) fails its parent, which then falls back in turn. The
    evidence layer reads facts from the raw body, so each odd value still shows as a gap."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")
    # optional fields that fail their parent all the same when they do not validate
    strict_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="wrap")
    @classmethod
    def _best_effort(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        if isinstance(value, list) and len(value) > MAX_LIST_ITEMS:
            value = value[:MAX_LIST_ITEMS]
        try:
            return handler(value)
        except ValidationError:
            field = cls.model_fields[info.field_name or ""]
            if field.is_required() or info.field_name in cls.strict_fields:
                raise
            if isinstance(value, list):
                return handler([item for item in value if _validates(handler, item)])
            return field.get_default(call_default_factory=True)


def _validates(handler: ValidatorFunctionWrapHandler, item: Any) -> bool:
    """Whether one item of a list field validates on its own."""
    try:
        handler([item])
    except ValidationError:
        return False
    return True


class DateStruct(_Record):
    date: PartialDate
    type: Literal["ACTUAL", "ESTIMATED"] | None = None


class Organization(_Record):
    full_name: str | None = None
    class_: str | None = Field(default=None, alias="class")


class SecondaryId(_Record):
    id: str
    type: str | None = None
    domain: str | None = None


class OrgStudyId(_Record):
    id: str | None = None


class IdentificationModule(_Record):
    nct_id: str
    brief_title: str | None = None
    official_title: str | None = None
    acronym: str | None = None
    org_study_id_info: OrgStudyId | None = None
    secondary_id_infos: list[SecondaryId] = Field(default_factory=list)
    organization: Organization | None = None


class StatusModule(_Record):
    status_verified_date: PartialDate | None = None
    overall_status: str | None = None
    why_stopped: str | None = None
    start_date_struct: DateStruct | None = None
    primary_completion_date_struct: DateStruct | None = None
    completion_date_struct: DateStruct | None = None
    study_first_submit_date: PartialDate | None = None
    study_first_post_date_struct: DateStruct | None = None
    results_first_post_date_struct: DateStruct | None = None
    last_update_submit_date: PartialDate | None = None
    last_update_post_date_struct: DateStruct | None = None


class Sponsor(_Record):
    name: str
    class_: str | None = Field(default=None, alias="class")


class SponsorCollaboratorsModule(_Record):
    lead_sponsor: Sponsor | None = None
    collaborators: list[Sponsor] = Field(default_factory=list)


class ConditionsModule(_Record):
    conditions: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)


class MaskingInfo(_Record):
    masking: str | None = None
    who_masked: list[str] = Field(default_factory=list)


class DesignInfo(_Record):
    allocation: str | None = None
    intervention_model: str | None = None
    primary_purpose: str | None = None
    masking_info: MaskingInfo | None = None


class EnrollmentInfo(_Record):
    count: int | None = None
    type: Literal["ACTUAL", "ESTIMATED"] | None = None


class DesignModule(_Record):
    study_type: str | None = None
    phases: list[str] = Field(default_factory=list)
    design_info: DesignInfo | None = None
    enrollment_info: EnrollmentInfo | None = None


class ArmGroup(_Record):
    label: str
    type: str | None = None
    description: str | None = None
    intervention_names: list[str] = Field(default_factory=list)


class Intervention(_Record):
    type: str | None = None
    name: str
    description: str | None = None
    arm_group_labels: list[str] = Field(default_factory=list)
    other_names: list[str] = Field(default_factory=list)

    @property
    def aliases(self) -> list[str]:
        """Every other name, with packed strings split, duplicates and blanks dropped."""
        seen: dict[str, str] = {}
        for packed in self.other_names:
            for part in _OTHER_NAME_SEPARATORS.split(packed):
                cleaned = part.strip(" .")
                if cleaned and cleaned.lower() != self.name.lower():
                    seen.setdefault(cleaned.lower(), cleaned)
        return list(seen.values())


class ArmsInterventionsModule(_Record):
    arm_groups: list[ArmGroup] = Field(default_factory=list)
    interventions: list[Intervention] = Field(default_factory=list)


class Outcome(_Record):
    measure: str
    description: str | None = None
    time_frame: str | None = None


class OutcomesModule(_Record):
    primary_outcomes: list[Outcome] = Field(default_factory=list)
    secondary_outcomes: list[Outcome] = Field(default_factory=list)


class DescriptionModule(_Record):
    brief_summary: str | None = None
    detailed_description: str | None = None


class EligibilityModule(_Record):
    minimum_age: str | None = None
    maximum_age: str | None = None
    sex: str | None = None


class Reference(_Record):
    pmid: str | None = None
    type: str | None = None
    citation: str | None = None


class ReferencesModule(_Record):
    references: list[Reference] = Field(default_factory=list)


class ProtocolSection(_Record):
    identification_module: IdentificationModule
    status_module: StatusModule = Field(default_factory=StatusModule)
    sponsor_collaborators_module: SponsorCollaboratorsModule | None = None
    conditions_module: ConditionsModule | None = None
    design_module: DesignModule | None = None
    arms_interventions_module: ArmsInterventionsModule | None = None
    outcomes_module: OutcomesModule | None = None
    description_module: DescriptionModule | None = None
    eligibility_module: EligibilityModule | None = None
    references_module: ReferencesModule | None = None


class Mesh(_Record):
    id: str
    term: str


class BrowseModule(_Record):
    meshes: list[Mesh] = Field(default_factory=list)


class MiscInfoModule(_Record):
    version_holder: str | None = None


class DerivedSection(_Record):
    misc_info_module: MiscInfoModule | None = None
    condition_browse_module: BrowseModule | None = None
    intervention_browse_module: BrowseModule | None = None


class Study(_Record):
    """One study as API v2 returns it (modules not requested are simply absent)."""

    protocol_section: ProtocolSection
    derived_section: DerivedSection | None = None
    has_results: bool | None = None

    @property
    def nct_id(self) -> str:
        return self.protocol_section.identification_module.nct_id

    @property
    def status(self) -> StatusModule:
        return self.protocol_section.status_module

    @property
    def design(self) -> DesignModule:
        return self.protocol_section.design_module or DesignModule()

    @property
    def interventions(self) -> list[Intervention]:
        module = self.protocol_section.arms_interventions_module
        return module.interventions if module else []

    @property
    def conditions(self) -> list[str]:
        module = self.protocol_section.conditions_module
        return module.conditions if module else []

    @property
    def title(self) -> str | None:
        return self.protocol_section.identification_module.brief_title

    @property
    def lead_sponsor(self) -> str | None:
        module = self.protocol_section.sponsor_collaborators_module
        return module.lead_sponsor.name if module and module.lead_sponsor else None

    @property
    def lead_sponsor_class(self) -> str | None:
        module = self.protocol_section.sponsor_collaborators_module
        return module.lead_sponsor.class_ if module and module.lead_sponsor else None


class StudyPage(_Record):
    # a token that is no text would otherwise end the search silently, pages early
    strict_fields = frozenset({"next_page_token"})

    studies: list[Study]  # always sent, empty for no hits: a page without it is no answer
    next_page_token: str | None = None
    total_count: int | None = Field(default=None, validation_alias=AliasChoices("totalCount"))


def study_request(nct_id: str) -> ApiRequest:
    return ApiRequest(source="ctgov", path=f"/studies/{normalise_nct_id(nct_id)}")


def get_study(client: HttpClient, nct_id: str) -> Study:
    """The full record of one study; an unknown id is bad input (exit 2), not an outage."""
    nct_id = normalise_nct_id(nct_id)
    request = study_request(nct_id)
    study = client.fetch(request, lambda response: _parse_study(response, request, nct_id))
    if study is None:
        raise NotFound(f"{nct_id} not found on ClinicalTrials.gov")
    return study


def _parse_study(response: ApiResponse, request: ApiRequest, nct_id: str) -> Study | None:
    """The study, or None for the API's own "not found" (a 404 saying "NCT number <id> not
    found", API-NOTES.md §1); anything else, including another trial's record or a proxy's
    404 page that merely echoes the path ("The requested URL /studies/<id> was not found"),
    is a malformed answer and never cached."""
    if response.status == 404:
        if f"nct number {nct_id.lower()} not found" not in " ".join(response.text.lower().split()):
            raise MalformedResponse(
                f"ClinicalTrials.gov answered {request.describe()} with HTTP 404 that does not "
                f"say {nct_id} was not found: {excerpt(response.text)}"
            )
        return None
    study: Study = parse_model(Study, response.json_body(request), request)
    if study.nct_id != nct_id:
        raise MalformedResponse(
            f"ClinicalTrials.gov answered {request.describe()} with the record of another "
            f"study ({excerpt(study.nct_id)})"
        )
    return study


def stopped_search_request(
    since: date,
    until: date | None = None,
    page_token: str | None = None,
    page_size: int = 100,
    *,
    phases: Sequence[Phase] = (),
    condition: str | None = None,
    sponsor_class: SponsorClass | None = None,
    intervention_types: Sequence[str] = DRUG_INTERVENTION_TYPES,
) -> ApiRequest:
    """Interventional studies that are terminated, withdrawn or suspended and whose last update
    was posted in [since, until] (inclusive; no until: up to now). Oldest update first
    (`sort=LastUpdatePostDate:asc`, the documented `:desc` reversed [3p]): with a limit, the
    earliest stops are drafted first and paging can stop once they are known.

    By default only studies testing a drug or a biological; `intervention_types=()` takes every
    kind. The Essie search areas of filter.advanced: LastUpdatePostDate with RANGE[a,MAX] and
    Phase (API-NOTES.md §1: "query.term=AREA[LastUpdatePostDate]RANGE[2023-01-15,MAX]" [rec],
    "no filter.phase; use filter.advanced=AREA[Phase]PHASE2" [3p]); StudyType, InterventionType
    and LeadSponsorClass are not in API-NOTES.md: they are the data structure's names of
    designModule.studyType, interventions[].type and leadSponsor.class, used as AREA names by
    public API clients [3p]. The condition is the query.cond search area (API-NOTES.md §1,
    "Text queries"). Filter values are validated enums, so none can change the expression."""
    upper = until.isoformat() if until else "MAX"
    clauses = [
        f"AREA[LastUpdatePostDate]RANGE[{since.isoformat()},{upper}]",
        "AREA[StudyType]INTERVENTIONAL",
    ]
    if intervention_types:
        clauses.append(f"AREA[InterventionType]{_any_of(intervention_types)}")
    if phases:
        clauses.append(f"AREA[Phase]{_any_of(phases)}")
    if sponsor_class:
        clauses.append(f"AREA[LeadSponsorClass]{sponsor_class}")
    params = {
        "filter.overallStatus": ",".join(STOPPED_STATUSES),
        "filter.advanced": " AND ".join(clauses),
        "fields": SEARCH_FIELDS,
        "sort": "LastUpdatePostDate:asc",
        "pageSize": str(page_size),
    }
    if condition:
        params["query.cond"] = condition
    if page_token:
        params["pageToken"] = page_token
    else:
        params["countTotal"] = "true"  # answered on the first page only
    return ApiRequest(source="ctgov", path="/studies", params=params)


def _any_of(values: Sequence[str]) -> str:
    """One value as is, several as an Essie OR group: PHASE2, (PHASE2 OR PHASE3)."""
    return values[0] if len(values) == 1 else "(" + " OR ".join(values) + ")"


def search_stopped_page(client: HttpClient, request: ApiRequest) -> StudyPage:
    return client.fetch(request, lambda response: parse_json_model(StudyPage, response, request))


def iter_search_pages(
    client: HttpClient,
    request_for: Callable[[str | None], ApiRequest],
    max_pages: int = MAX_SEARCH_PAGES,
) -> Iterator[StudyPage]:
    """Every page of a search, `request_for(token)` asking for each (None: the first page),
    following nextPageToken until a page has none. A token sent twice would loop forever, and
    so would a server minting new ones, for the same studies or none: all malformed answers."""
    token: str | None = None
    seen_tokens: set[str] = set()
    listed: set[str] = set()
    without_news = 0
    for _ in range(max_pages):
        page = search_stopped_page(client, request_for(token))
        yield page
        token = page.next_page_token
        if not token:
            return
        if token in seen_tokens:
            raise MalformedResponse(
                f"ClinicalTrials.gov repeated page token {excerpt(token, 60)!r}"
            )
        seen_tokens.add(token)
        before = len(listed)
        listed.update(study.nct_id for study in page.studies)
        without_news = without_news + 1 if len(listed) == before else 0
        if without_news > MAX_PAGES_WITHOUT_NEWS:
            raise MalformedResponse(
                f"ClinicalTrials.gov sent {without_news} pages in a row listing no study it had "
                "not listed before, each with a new page token; stopped paging"
            )
    raise MalformedResponse(
        f"ClinicalTrials.gov sent more than {max_pages} pages for one search; stopped reading"
    )


def iter_stopped_studies(
    client: HttpClient, since: date, until: date | None = None, page_size: int = 100
) -> Iterator[Study]:
    """Every stopped study the default search lists (see stopped_search_request), page by
    page, as the registry sends them (unchecked: drafter.discovery checks each)."""
    for page in iter_search_pages(
        client, lambda token: stopped_search_request(since, until, token, page_size)
    ):
        yield from page.studies
