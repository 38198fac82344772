"""The contract between the drafting pipeline and a writer.

The pipeline renders a section's prompt, asks the writer, validates what comes back against
the section's facts and, when validation fails, asks again with the problems appended to the
messages (at most twice). A writer only writes: it never validates facts, never decides
needs_editor and never logs; it reports what happened in a WriteResult. Transport failures it
retries itself; a failure no retry can mend (bad credentials, no quota, the endpoint down after
its retries) raises ModelUnavailable, which ends the draft with exit 3.
"""

from __future__ import annotations

from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from drafter.errors import UpstreamError
from drafter.facts import Fact

Role = Literal["system", "user", "assistant"]
# Why a reply carries no usable output. malformed_json: not JSON; schema: JSON that does not
# fit the output model; refusal: the model declined; length: cut off by the token limit;
# content_filter: withheld by the provider.
Problem = Literal["refusal", "length", "content_filter", "malformed_json", "schema"]


class ModelUnavailable(UpstreamError):
    """The model endpoint cannot answer at all: wrong key, no quota, unknown model, or down
    after retries. Exit 3, one line, the key never in it."""


class Message(BaseModel):
    model_config = ConfigDict(frozen=True)

    role: Role
    content: str


class WriteRequest(BaseModel):
    """One ask for one section."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    section: str = Field(description="registry key, e.g. what_was_tried")
    heading: str
    messages: list[Message] = Field(
        description="system and user prompt; on a re-ask also the previous reply and what was "
        "wrong with it"
    )
    output: type[BaseModel] = Field(description="the model the reply must validate as")
    facts: dict[str, Fact] = Field(description="handle (F1, F2, ...) → fact the section may cite")
    analytic: bool = Field(description="analytic sections may hold marked background statements")
    attempt: int = Field(ge=1, description="1 for the first ask, 2 and 3 for re-asks")
    framing: Literal["failure", "no_scientific_failure"] = Field(
        default="no_scientific_failure",
        description="drafter.framing's verdict: whether a failure story may be told at all "
        "(a model reads it in its prompt; the offline writer from here). The cautious default.",
    )


class Usage(BaseModel):
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class WriteResult(BaseModel):
    """What one ask produced: the parsed output, or why there is none, and what it cost."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    output: BaseModel | None = Field(description="validated as request.output, if it did")
    raw: str = Field(description="the reply's text as received ('' when there was none)")
    problem: Problem | None = None
    detail: str | None = Field(default=None, description="one line: what exactly was wrong")
    model: str
    request_id: str | None = None
    usage: Usage = Field(default_factory=Usage)
    latency_seconds: float = 0.0


class Writer(Protocol):
    """Anything that can write a section."""

    name: str  # "offline" or "openai"
    model: str  # the model asked ("none" for the offline writer)
    endpoint: str | None  # the endpoint's host without credentials, for provenance

    def write(self, request: WriteRequest) -> WriteResult: ...
