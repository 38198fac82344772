"""openFDA drug adverse events (FAERS): report counts and the top reactions for a drug."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from drafter.errors import MalformedResponse
from drafter.sources.api import ApiRequest, ApiResponse, excerpt, parse_model
from drafter.sources.http import HttpClient

EVENT_PATH = "/drug/event.json"
REACTION_FIELD = "patient.reaction.reactionmeddrapt.exact"
# The reactions asked for (the count query's limit): the most frequent, which a draft names.
TOP_REACTIONS = 10


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ResultsMeta(_Record):
    skip: int | None = None
    limit: int | None = None
    total: int


class Meta(_Record):
    last_updated: str | None = None
    results: ResultsMeta | None = None


class SearchPage(_Record):
    meta: Meta
    results: list[dict[str, Any]] = Field(default_factory=list)


class TermCount(_Record):
    term: str | int
    count: int


class CountPage(_Record):
    meta: Meta
    results: list[TermCount] = Field(default_factory=list)


class FaersSummary(BaseModel):
    """What FAERS says about a drug; zero reports is an answer, not an error."""

    query: str
    total_reports: int
    top_reactions: list[TermCount] = Field(default_factory=list)
    last_updated: str | None = None


PageT = TypeVar("PageT", SearchPage, CountPage)


def drug_query(names: list[str]) -> str:
    """Search generic name, brand name and the free-text product field for every name."""
    fields = (
        "patient.drug.openfda.generic_name",
        "patient.drug.openfda.brand_name",
        "patient.drug.medicinalproduct",
    )
    clauses = [f'{field}:"{name}"' for name in names for field in fields]
    return "(" + " OR ".join(clauses) + ")"


def total_request(names: list[str]) -> ApiRequest:
    return ApiRequest(
        source="openfda", path=EVENT_PATH, params={"search": drug_query(names), "limit": "1"}
    )


def reactions_request(names: list[str], top: int = TOP_REACTIONS) -> ApiRequest:
    return ApiRequest(
        source="openfda",
        path=EVENT_PATH,
        params={"search": drug_query(names), "count": REACTION_FIELD, "limit": str(top)},
    )


def _is_not_found(body: Any) -> bool:
    """openFDA's "no matches" answer: {"error": {"code": "NOT_FOUND", ...}} (API notes §4)."""
    error = body.get("error") if isinstance(body, dict) else None
    return isinstance(error, dict) and error.get("code") == "NOT_FOUND"


def _answer(model: type[PageT], response: ApiResponse, request: ApiRequest) -> PageT | None:
    """The page, or None for openFDA's NOT_FOUND (zero matches is an answer). A 404 of any
    other shape, or a page without the fields we read, is malformed and never cached."""
    body = response.json_body(request)
    if _is_not_found(body):
        return None
    if response.status != 200:
        raise MalformedResponse(
            f"openFDA answered {request.describe()} with HTTP {response.status}: "
            f"{excerpt(response.text)}"
        )
    return parse_model(model, body, request)


def _search_page(response: ApiResponse, request: ApiRequest) -> SearchPage | None:
    page = _answer(SearchPage, response, request)
    if page is not None and page.meta.results is None:
        raise MalformedResponse(f"openFDA answered {request.describe()} without a total")
    return page


def count_reports(client: HttpClient, names: list[str], top: int = TOP_REACTIONS) -> FaersSummary:
    """Total reports naming the drug and the most frequent reactions (MedDRA PTs)."""
    query = drug_query(names)
    total = total_request(names)
    page = client.fetch(total, lambda response: _search_page(response, total))
    if page is None or page.meta.results is None:
        return FaersSummary(query=query, total_reports=0)
    reactions = reactions_request(names, top)
    counted = client.fetch(reactions, lambda response: _answer(CountPage, response, reactions))
    return FaersSummary(
        query=query,
        total_reports=page.meta.results.total,
        top_reactions=counted.results[:top] if counted else [],  # a server may send more
        last_updated=page.meta.last_updated,
    )
