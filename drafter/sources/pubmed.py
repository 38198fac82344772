"""NCBI E-utilities for PubMed: esearch (ids for a term) and esummary (citation records)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from drafter.errors import MalformedResponse
from drafter.sources.api import ApiRequest, ApiResponse, excerpt, parse_model
from drafter.sources.http import HttpClient


class _Record(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ErrorList(_Record):
    phrasesnotfound: list[str] = Field(default_factory=list)
    fieldsnotfound: list[str] = Field(default_factory=list)


class SearchResult(_Record):
    """esearch counts arrive as strings; pydantic turns them into ints here."""

    count: int
    retmax: int | None = None
    retstart: int | None = None
    idlist: list[str] = Field(default_factory=list)
    errorlist: ErrorList | None = None

    @property
    def phrases_not_found(self) -> list[str]:
        """PubMed silently drops unknown phrases and widens the search: check before trusting."""
        return self.errorlist.phrasesnotfound if self.errorlist else []


class ArticleId(_Record):
    idtype: str
    value: str


class Author(_Record):
    name: str


class Summary(_Record):
    uid: str
    title: str | None = None
    source: str | None = None
    fulljournalname: str | None = None
    pubdate: str | None = None
    sortpubdate: str | None = None
    authors: list[Author] = Field(default_factory=list)
    articleids: list[ArticleId] = Field(default_factory=list)
    error: str | None = None

    @property
    def doi(self) -> str | None:
        return next((a.value for a in self.articleids if a.idtype == "doi"), None)

    @property
    def year(self) -> int | None:
        """From sortpubdate ("YYYY/MM/DD HH:MM"); pubdate is free text."""
        if self.sortpubdate and self.sortpubdate[:4].isdigit():
            return int(self.sortpubdate[:4])
        return None


def article_url(pmid: str) -> str:
    return f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/"


def esearch_request(term: str, retmax: int = 20) -> ApiRequest:
    return ApiRequest(
        source="pubmed",
        path="/esearch.fcgi",
        params={"db": "pubmed", "term": term, "retmode": "json", "retmax": str(retmax)},
    )


def esummary_request(pmids: list[str]) -> ApiRequest:
    return ApiRequest(
        source="pubmed",
        path="/esummary.fcgi",
        params={"db": "pubmed", "id": ",".join(pmids), "retmode": "json"},
    )


class SummaryResult(_Record):
    """esummary's `result`: `uids` lists the records in order; each uid keys its record."""

    model_config = ConfigDict(extra="allow")

    uids: list[str]


def _body(response: ApiResponse, request: ApiRequest) -> dict[str, Any]:
    if response.status != 200:
        raise MalformedResponse(f"PubMed answered {request.describe()} with HTTP {response.status}")
    body = response.json_body(request)
    if not isinstance(body, dict):
        raise MalformedResponse(f"PubMed answered {request.describe()} with a non-object")
    if "error" in body and "result" not in body and "esearchresult" not in body:
        raise MalformedResponse(
            f"PubMed refused {request.describe()}: {excerpt(str(body['error']))}"
        )
    return body


def esearch(client: HttpClient, term: str, retmax: int = 20) -> SearchResult:
    """The first `retmax` ids PubMed finds for `term` (never more, whatever a server sends:
    each is summarised, all in one request's URL)."""
    request = esearch_request(term, retmax)
    found = client.fetch(
        request,
        lambda response: parse_model(
            SearchResult, _body(response, request).get("esearchresult"), request
        ),
    )
    return found.model_copy(update={"idlist": found.idlist[:retmax]})


def esummary(client: HttpClient, pmids: list[str]) -> list[Summary]:
    """Records in the order of `result.uids`, of the PMIDs asked for only; a missing PMID comes
    back with `error` set."""
    if not pmids:
        return []
    request = esummary_request(pmids)
    asked = set(pmids)

    def parse(response: ApiResponse) -> list[Summary]:
        result = parse_model(SummaryResult, _body(response, request).get("result"), request)
        extra = result.model_extra or {}
        uids = [uid for uid in dict.fromkeys(result.uids) if uid in asked]  # no others, once
        return [parse_model(Summary, extra.get(uid), request) for uid in uids]

    return client.fetch(request, parse)
