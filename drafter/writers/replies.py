"""What a chat-completions reply means for the pipeline: an output, or the one problem that
stops it (refusal, length, content_filter, malformed_json, schema), as a WriteResult.

The reply is read from the raw HTTP body with our own small pydantic models rather than the
SDK's parse(): parse() raises on length, content_filter and invalid JSON and so loses the text,
the usage and the request id that the call log and the re-ask need. Local servers vary in
what they add; only the fields below are read.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    ValidatorFunctionWrapHandler,
    field_validator,
)

from drafter.errors import first_problem
from drafter.lone_surrogates import repaired
from drafter.writers.base import Problem, Usage, WriteResult

DETAIL_LIMIT = 300

# Some local models wrap JSON in a Markdown fence or open with a reasoning block even in JSON
# mode; both are unwrapped before validation (raw keeps the reply as received).
_THINK = re.compile(r"\A\s*<think>.*?</think>", re.DOTALL)
_FENCE = re.compile(r"\A\s*```[A-Za-z]*\s*\n(.*?)\n?```\s*\Z", re.DOTALL)


class _Message(BaseModel):
    content: str | None = None
    refusal: str | None = None


class _Choice(BaseModel):
    message: _Message
    finish_reason: str | None = None


# No call holds a billion tokens; a count past it is no count, and one past 1.8e308 would make
# the cost (tokens × price, in floats) raise OverflowError.
MAX_TOKENS = 10**9


def _valid_or_none(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """The field's value as validated, or None (unknown) when it does not validate."""
    try:
        return handler(value)
    except ValidationError:
        return None


class _Usage(BaseModel):
    """Token counts as the endpoint reports them. A count that is none (negative, fractional,
    a word, NaN, past MAX_TOKENS) is unknown, as a missing one is: the reply's content is
    judged on its own, and the cost of an unknown count is unknown, never negative or
    infinite."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @field_validator("prompt_tokens", "completion_tokens", mode="wrap")
    @classmethod
    def _count_or_unknown(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> int | None:
        count: int | None = _valid_or_none(value, handler)
        return count if count is None or 0 <= count <= MAX_TOKENS else None


class ChatReply(BaseModel):
    """The part of a chat-completions response a writer reads."""

    model: str | None = None
    choices: list[_Choice] = Field(min_length=1)
    usage: _Usage | None = None

    @field_validator("usage", mode="wrap")
    @classmethod
    def _usage_or_unknown(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> _Usage | None:
        """A usage that is no object (a list, a number) is unknown too."""
        usage: _Usage | None = _valid_or_none(value, handler)
        return usage


def one_line(text: str, limit: int = DETAIL_LIMIT) -> str:
    """Whitespace collapsed, at most `limit` characters: a detail or message is one line."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def json_text(content: str) -> str:
    """The JSON inside a reply: without a leading <think> block or a Markdown code fence."""
    text = _THINK.sub("", content, count=1)
    fenced = _FENCE.match(text)
    return fenced.group(1) if fenced else text


def judge(
    reply: ChatReply,
    output: type[BaseModel],
    *,
    model: str,
    request_id: str | None,
    latency_seconds: float,
) -> WriteResult:
    """The WriteResult of one reply: a refusal or a cut-off reply before anything is parsed,
    then JSON that is not JSON, then JSON that does not fit `output`."""
    choice = reply.choices[0]
    raw = choice.message.content or ""
    problem, detail, parsed = _verdict(choice, raw, output)
    usage = reply.usage or _Usage()
    return WriteResult(
        output=parsed,
        raw=raw,
        problem=problem,
        detail=detail,
        model=reply.model or model,
        request_id=request_id,
        usage=Usage(prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens),
        latency_seconds=latency_seconds,
    )


def _verdict(
    choice: _Choice, raw: str, output: type[BaseModel]
) -> tuple[Problem | None, str | None, BaseModel | None]:
    if choice.message.refusal:
        return "refusal", one_line(choice.message.refusal), None
    if choice.finish_reason == "length":
        return "length", "the reply was cut off at the token limit before it was complete", None
    if choice.finish_reason == "content_filter":
        return "content_filter", "the provider withheld the reply (content filter)", None
    if not raw.strip():
        return "malformed_json", "the reply was empty", None
    try:
        return None, None, output.model_validate_json(repaired(json_text(raw)))
    except ValidationError as error:
        if error.errors()[0]["type"] == "json_invalid":
            return "malformed_json", one_line(error.errors()[0]["msg"]), None
        return "schema", one_line(first_problem(error, output.__name__)), None
