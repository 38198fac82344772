"""What a failed model request means: worth another attempt, or over at once — and the one line
a user reads, which names the endpoint's host and never the key.

Retried: connection errors, timeouts (also HTTP 408), 429 rate limits and 5xx. Over at once:
a redirect (3xx, never followed), a rejected key (401/403), a 429 with code insufficient_quota
(no retry can mend an empty account, though the SDK would retry it: openai-python#1671), an
unknown model (404) and every other 4xx, which would fail the same way again.
"""

from __future__ import annotations

from typing import Any

import openai

from drafter.sources.deadline import Deadline
from drafter.writers.replies import one_line

_RETRIED_STATUSES = frozenset({408, 429})
_MESSAGE_LIMIT = 200


def is_transient(error: BaseException) -> bool:
    """Worth another attempt after a wait."""
    if isinstance(error, openai.APIConnectionError):  # APITimeoutError included
        return True
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        if error_code(error) == "insufficient_quota":
            return False
        return status in _RETRIED_STATUSES or status >= 500
    return False


def error_code(error: openai.APIStatusError) -> str | None:
    """The `error.code` of an OpenAI-style error body ({"error": {"code": ...}}), if any."""
    body = error.body
    code = body.get("code") if isinstance(body, dict) else None
    return str(code) if code else None


def _server_message(error: openai.APIStatusError) -> str:
    body: Any = error.body
    message = body.get("message") if isinstance(body, dict) else body
    return one_line(str(message), _MESSAGE_LIMIT) if message else ""


def describe(error: BaseException | None) -> str:
    """A short reason for the last failure of a retried request, e.g. "HTTP 503"."""
    if isinstance(error, openai.APITimeoutError):
        return "timed out"
    if isinstance(error, openai.APIConnectionError):
        return "connection failed"
    if isinstance(error, openai.APIStatusError):
        code = error_code(error)
        return f"HTTP {error.status_code}" + (f" {code}" if code else "")
    return type(error).__name__ if error is not None else "no answer"


def stop_message(error: openai.OpenAIError, host: str, model: str) -> str:
    """The one line for a failure no retry can mend."""
    if not isinstance(error, openai.APIStatusError):
        return f"model endpoint {host} cannot be used: {one_line(str(error), _MESSAGE_LIMIT)}"
    said = _server_message(error)
    tail = f": {said}" if said else ""
    status, code = error.status_code, error_code(error)
    why = describe(error)
    if code == "insufficient_quota":
        return (
            f"model endpoint {host} has no quota left for this API key ({why}); check the "
            f"account's plan and billing{tail}"
        )
    if 300 <= status < 400:
        return (
            f"model endpoint {host} redirected the request ({why}), and drafter follows no "
            f"redirect of a model endpoint; set OPENAI_BASE_URL to the URL that answers"
        )
    if status in (401, 403):
        return f"model endpoint {host} rejected the API key ({why}); check OPENAI_API_KEY{tail}"
    if status == 404:
        return (
            f"model {model!r} or its API was not found at {host} ({why}); check DRAFTER_MODEL "
            f"and OPENAI_BASE_URL{tail}"
        )
    return f"model endpoint {host} refused the request ({why}){tail}"


def exhausted_message(
    host: str, error: BaseException | None, attempts: int, limit: int, deadline: Deadline
) -> str:
    """The one line after retrying gave up: out of time (before the attempt limit, or with no
    time left), else out of attempts."""
    why = describe(error)
    if attempts >= limit and deadline.remaining() > 0:
        return f"model endpoint {host} unavailable after {attempts} attempts ({why})"
    counted = f"{attempts} attempt" + ("s" if attempts > 1 else "")
    within = deadline.describe()
    return f"model endpoint {host} could not answer within {within}: {why} after {counted}"
