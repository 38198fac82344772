"""openFDA drug adverse events (FAERS): report counts and the top reactions for a drug."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from drafter.errors import MalformedResponse
from drafter.sources.api import ApiRequest, parse_model
from drafter.sources.http import HttpClient

EVENT_PATH = "/drug/event.json"
REACTION_FIELD = "patient.reaction.reactionmeddrapt.exact"


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


def drug_query(names: list[str]) -> str:
    """Search generic name, brand name and the free-text product field for every name."""
    fields = (
        "patient.drug.openfda.generic_name",
        "patient.drug.openfda.brand_name",
        "patient.drug.medicinalproduct",
    )
    clauses = [f'{field}:"{name}"' for name in names for field in fields]
    return "(" + " OR ".join(clauses) + ")"


def _is_not_found(body: Any) -> bool:
    return isinstance(body, dict) and body.get("error", {}).get("code") == "NOT_FOUND"


def count_reports(client: HttpClient, names: list[str], top: int = 10) -> FaersSummary:
    """Total reports naming the drug and the most frequent reactions (MedDRA PTs)."""
    query = drug_query(names)
    total_request = ApiRequest(
        source="openfda", path=EVENT_PATH, params={"search": query, "limit": "1"}
    )
    total_body = client.send(total_request).json_body(total_request)
    if _is_not_found(total_body):
        return FaersSummary(query=query, total_reports=0)
    page: SearchPage = parse_model(SearchPage, total_body, total_request)
    if page.meta.results is None:
        raise MalformedResponse(f"openFDA answered {total_request.describe()} without a total")
    reactions_request = ApiRequest(
        source="openfda",
        path=EVENT_PATH,
        params={"search": query, "count": REACTION_FIELD, "limit": str(top)},
    )
    reactions_body = client.send(reactions_request).json_body(reactions_request)
    reactions: list[TermCount] = []
    if not _is_not_found(reactions_body):
        reactions = parse_model(CountPage, reactions_body, reactions_request).results
    return FaersSummary(
        query=query,
        total_reports=page.meta.results.total,
        top_reactions=reactions,
        last_updated=page.meta.last_updated,
    )
