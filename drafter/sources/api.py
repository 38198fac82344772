"""Request and response records shared by the HTTP layer, its cache and the offline snapshot."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drafter import strict_json
from drafter.errors import MalformedResponse, first_problem
from drafter.lone_surrogates import repaired

ModelT = TypeVar("ModelT", bound=BaseModel)

Source = Literal["ctgov", "opentargets", "chembl", "openfda", "pubmed"]

SOURCE_NAMES: dict[str, str] = {
    "ctgov": "ClinicalTrials.gov",
    "opentargets": "Open Targets Platform",
    "chembl": "ChEMBL",
    "openfda": "openFDA",
    "pubmed": "PubMed E-utilities",
}


# Page sizes only change how recorded pages were cut, not what they answer: the snapshot serves
# its pages as recorded, whatever size a caller asks for.
SNAPSHOT_IGNORED_PARAMS = frozenset({"pageSize", "countTotal"})


class ApiRequest(BaseModel):
    """A request described relative to its source's base URL, so the same request keys the
    cache and the offline snapshot whichever host (production or a local test server) serves it.
    Secrets are never part of it: keys are added only when the request is sent."""

    model_config = ConfigDict(frozen=True)

    source: Source
    method: Literal["GET", "POST"] = "GET"
    path: str = ""
    params: dict[str, str] = Field(default_factory=dict)
    json_body: dict[str, Any] | None = None

    def canonical(self, *, for_snapshot: bool = False) -> str:
        """Stable text form. For the snapshot a GraphQL body is matched on its operation name
        and variables, so a query may gain fields without invalidating recorded answers, and
        paging sizes are ignored."""
        body = self.json_body
        params = self.params
        if for_snapshot:
            if body is not None and "operationName" in body:
                body = {k: v for k, v in body.items() if k != "query"}
            params = {k: v for k, v in params.items() if k not in SNAPSHOT_IGNORED_PARAMS}
        return json.dumps(
            [self.source, self.method, self.path, sorted(params.items()), body],
            sort_keys=True,
            separators=(",", ":"),
        )

    def record_id(self) -> str:
        """Stable id of the answer to this request inside a bundle ("ctgov-1a2b3c4d5e6f"):
        derived from what was asked, not from the order it was asked in, so adding a step never
        renames another step's source. Matched like the snapshot (GraphQL by operation and
        variables, page sizes ignored), so a query that gains a field keeps its id."""
        digest = hashlib.sha256(self.canonical(for_snapshot=True).encode()).hexdigest()
        return f"{self.source}-{digest[:12]}"

    def cache_key(self, base_url: str) -> str:
        """Keyed by host too: answers cached from a test server or mirror never stand in for
        another host's."""
        return hashlib.sha256(f"{base_url}\n{self.canonical()}".encode()).hexdigest()

    def describe(self) -> str:
        """Human form for messages: never contains a secret, since the request holds none.
        Each value is cut at SHOWN_VALUE_CHARS: a page token an upstream made two megabytes
        long once made every error line about its page two megabytes long."""
        text = f"{self.method} {SOURCE_NAMES[self.source]} {_shown(self.path or '/')}"
        if self.params:
            text += "?" + "&".join(f"{k}={_shown(v)}" for k, v in sorted(self.params.items()))
        if self.json_body is not None:
            operation = self.json_body.get("operationName")
            variables = json.dumps(self.json_body.get("variables", {}), sort_keys=True)
            text += f" {_shown(str(operation or 'body'))} {_shown(variables)}"
        return text


SHOWN_VALUE_CHARS = 200  # the longest value drafter sends (a search's filter) is some 130


def _shown(value: str) -> str:
    """A value as a message shows it: whole, or its start and how long it was."""
    if len(value) <= SHOWN_VALUE_CHARS:
        return value
    return f"{value[: SHOWN_VALUE_CHARS - 40]}… ({len(value):,} characters)"


class ApiResponse(BaseModel):
    """What a client gets back: the status, body text and where it came from."""

    status: int
    content_type: str = ""
    text: str
    url: str
    origin: Literal["network", "cache", "snapshot"] = "network"
    fetched_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat())
    provenance: str | None = None

    def json_body(self, request: ApiRequest) -> Any:
        """Parse the body as JSON or fail as an upstream error naming the source. A lone
        surrogate escape becomes U+FFFD (drafter.lone_surrogates): one damaged character,
        not a str that no file or terminal takes."""
        try:
            return json.loads(repaired(self.text), parse_int=_int_or_infinity)
        except json.JSONDecodeError as error:
            raise MalformedResponse(
                f"{SOURCE_NAMES[request.source]} sent a malformed or truncated body for "
                f"{request.describe()}: {error.msg} at character {error.pos}"
            ) from error
        except RecursionError:
            raise MalformedResponse(
                f"{SOURCE_NAMES[request.source]} sent JSON nested too deeply to read for "
                f"{request.describe()}"
            ) from None


def _int_or_infinity(digits: str) -> int | float:
    """An integer of an answer, or ±inf when no float can hold it, as json already reads
    1e999. int() refuses more than 4,300 digits (a ValueError no parser caller expects), and
    float() of an integer beyond 1.8e308 raises OverflowError wherever a fact's value is read;
    ±inf fails validation like any unusable number, so the field becomes a gap."""
    value = strict_json.float_sized(digits)
    if value is not None:
        return value
    return -math.inf if digits.startswith("-") else math.inf


def parse_model(model: type[ModelT], body: Any, request: ApiRequest) -> ModelT:
    """Validate a response body into its model, or fail naming the source and the field."""
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise MalformedResponse(
            f"{SOURCE_NAMES[request.source]} answered {request.describe()} in an unexpected "
            f"shape ({first_problem(error, 'body')})"
        ) from error
    except RecursionError:
        raise MalformedResponse(
            f"{SOURCE_NAMES[request.source]} answered {request.describe()} with a body nested "
            "too deeply to validate"
        ) from None


def parse_json_model(model: type[ModelT], response: ApiResponse, request: ApiRequest) -> ModelT:
    """The JSON body of `response` validated into `model` (the common `parse` of a client)."""
    return parse_model(model, response.json_body(request), request)


def excerpt(text: str, limit: int = 120) -> str:
    """Upstream or user text for a one-line message: whitespace folded, cut at `limit`
    characters, so a 100 KB body or id is never echoed whole."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
