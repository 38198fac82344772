"""The OpenAI-compatible writer: one section's messages to a chat-completions endpoint
(api.openai.com, or Ollama, vLLM, llama.cpp, LM Studio at OPENAI_BASE_URL), one WriteResult back.

The openai SDK does the HTTP, auth and, in strict mode, the schema (its
type_to_response_format_param); everything else is ours, on purpose:
* one retry layer (tenacity, drafter.writers.retries) with the SDK's max_retries at 0, and a
  deadline per call that an enclosing budget (drafter.sources.deadline) can only shorten;
* an HTTP client (drafter.writers.model_transport) that ends each attempt, headers and body
  however slowly they come, at DRAFTER_MODEL_TIMEOUT, and follows no redirect;
* the reply read from the raw body and judged by drafter.writers.replies, so a refusal, a
  cut-off or invalid reply keeps its text, usage and request id for the call log and re-ask;
* every failure that no retry mends is ModelUnavailable with one line naming the host, never
  the key; the key is registered with the process-wide redactor and masked in replies too.

instructor was considered and not used: its retry loop re-asks on any exception by default
(transport errors end up in the prompt, 567-labs/instructor#1907), it nests with the SDK's
retries, and the pipeline owns the re-ask (drafter.validate checks facts, which instructor
cannot); the SDK alone plus pydantic covers the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx2 as httpx
import openai
from pydantic import BaseModel, ValidationError
from tenacity import RetryError

from drafter.config import Settings
from drafter.errors import mask_secrets
from drafter.lone_surrogates import repaired
from drafter.sources import deadline as budgets
from drafter.sources.deadline import Deadline
from drafter.sources.redact import mask, register_secrets
from drafter.writers import failures, model_transport, retries
from drafter.writers.base import ModelUnavailable, WriteRequest, WriteResult
from drafter.writers.endpoint import endpoint_host
from drafter.writers.replies import ChatReply, judge
from drafter.writers.structured import chat_messages, response_format

OPENAI_URL = "https://api.openai.com/v1"
# A section's JSON is a few KiB; a reply past this is not a section, whatever the endpoint.
MAX_REPLY_BYTES = 1 << 20
# Sent when no key is configured: local servers want some bearer token and check none.
PLACEHOLDER_KEY = "drafter-no-key"  # not a secret


class _RawResponse(BaseModel):
    """What is kept of one HTTP reply: its body (at most MAX_REPLY_BYTES), status and id."""

    text: str
    status_code: int
    request_id: str | None
    oversized: bool = False


class OpenAIWriter:
    """A Writer (drafter.writers.base) over the openai SDK. One instance may serve many threads
    at once: it holds no per-call state, and the SDK's client pools its connections."""

    name = "openai"

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        client: openai.OpenAI | None = None,
    ) -> None:
        self.model = settings.model
        self.mode = settings.structured_output
        self._settings = settings
        self._sleep = sleep
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        register_secrets([key] if key else [])
        if client is None:
            if key is None and settings.openai_base_url is None:
                raise ModelUnavailable(
                    "no model endpoint is configured: set OPENAI_API_KEY for api.openai.com, or "
                    "OPENAI_BASE_URL for an OpenAI-compatible server (Ollama, vLLM, llama.cpp)"
                )
            client = openai.OpenAI(
                api_key=key or PLACEHOLDER_KEY,
                base_url=settings.openai_base_url or OPENAI_URL,
                timeout=settings.model_timeout,
                max_retries=0,
                http_client=model_transport.http_client(settings.model_timeout),
            )
        # One retry layer: ours. The SDK's would multiply attempts and retry insufficient_quota.
        self._client = client.with_options(max_retries=0)
        self._host = endpoint_host(str(self._client.base_url))
        self.endpoint: str | None = self._host

    def write(self, request: WriteRequest) -> WriteResult:
        """Ask once (with transport retries) and report what came back; raises only
        ModelUnavailable. latency_seconds is the whole call, retries and waits included: what
        the pipeline waited."""
        started = time.monotonic()
        deadline = budgets.earliest(
            Deadline.starting_now(self._settings.model_deadline, "model call deadline"),
            budgets.active(),
        )
        response = self._send_with_retries(request, deadline)
        if response.oversized:
            return WriteResult(
                output=None,
                raw="",
                problem="length",
                detail=f"the reply was larger than {MAX_REPLY_BYTES:,} bytes; not read further",
                model=self.model,
                request_id=response.request_id,
                latency_seconds=time.monotonic() - started,
            )
        try:
            reply = ChatReply.model_validate_json(repaired(mask_secrets(mask(response.text))))
        except ValidationError:
            raise ModelUnavailable(
                f"model endpoint {self._host} answered HTTP {response.status_code} with something "
                "that is not a chat completion; check OPENAI_BASE_URL (it usually ends in /v1)"
            ) from None
        return judge(
            reply,
            request.output,
            model=self.model,
            request_id=response.request_id,
            latency_seconds=time.monotonic() - started,
        )

    def _send_with_retries(self, request: WriteRequest, deadline: Deadline) -> _RawResponse:
        try:
            response: _RawResponse = retries.policy(self._settings, deadline, self._sleep)(
                self._send, request, deadline
            )
            return response
        except RetryError as gave_up:
            last = gave_up.last_attempt
            message = failures.exhausted_message(
                self._host,
                last.exception(),
                last.attempt_number,
                self._settings.max_attempts,
                deadline,
            )
        except openai.OpenAIError as error:
            message = failures.stop_message(error, self._host, self.model)
        # Outside the except blocks: the SDK's exception (its request holds the key) is dropped.
        raise ModelUnavailable(mask_secrets(mask(message)))

    def _send(self, request: WriteRequest, deadline: Deadline) -> _RawResponse:
        """One attempt on the wire. Returns the SDK's raw response (body unparsed)."""
        remaining = deadline.remaining()
        if remaining <= 0:
            raise ModelUnavailable(
                f"model endpoint {self._host} could not answer within {deadline.describe()}: "
                "no time left to send the request"
            )
        # DRAFTER_MODEL_TIMEOUT bounds the whole attempt, headers and body included, however
        # slowly they come (model_transport); the call's deadline bounds every attempt.
        attempt = budgets.earliest(
            Deadline.starting_now(self._settings.model_timeout, "model request timeout"), deadline
        )
        with budgets.request_ends_by(attempt.expires):
            return self._send_once(request, attempt, min(self._settings.model_timeout, remaining))

    def _send_once(self, request: WriteRequest, attempt: Deadline, timeout: float) -> _RawResponse:
        # The client's own post() (the SDK's documented way to send a body as given), not
        # chat.completions.create(): create() first walks its ~45 arguments, and each message,
        # against the SDK's TypedDicts to rename aliased keys and encode files, which plain-text
        # messages and a JSON schema never have (a fifth of its CPU per call). Auth, headers,
        # timeouts and errors are the client's as before, and the JSON on the wire is what
        # parse() / create() send (tests/test_openai_writer.py). Streamed (stream=True, the
        # raw response): the body is read in bounded pieces under the deadline, not at once.
        body = {
            "model": self.model,
            "messages": chat_messages(self.mode, request.messages, request.output),
            "stream": False,
            "response_format": response_format(self.mode, request.output),
        }
        reply = self._client.post(
            "/chat/completions",
            cast_to=httpx.Response,
            body=body,
            options={"timeout": timeout},
            stream=True,
            stream_cls=None,
        )
        try:
            return _read_reply(reply, attempt)
        finally:
            reply.close()


def _read_reply(streamed: httpx.Response, deadline: Deadline) -> _RawResponse:
    """The body of a reply, read until MAX_REPLY_BYTES or the deadline, whichever is first: a
    drip-fed body cannot outlast the call, and a bomb is not held in memory."""
    body = bytearray()
    oversized = False
    try:
        for chunk in streamed.iter_bytes():  # each network read as it comes
            body += chunk
            if len(body) > MAX_REPLY_BYTES:
                oversized = True
                break
            if deadline.remaining() <= 0:
                raise openai.APITimeoutError(request=streamed.request)
    except openai.APIError:
        raise
    except Exception as error:  # the SDK's HTTP library (httpx or httpx2) failed mid-body
        if "timeout" in type(error).__name__.lower():
            raise openai.APITimeoutError(request=streamed.request) from None
        raise openai.APIConnectionError(request=streamed.request) from None
    return _RawResponse(
        text="" if oversized else body.decode("utf-8", errors="replace"),
        status_code=streamed.status_code,
        request_id=streamed.headers.get("x-request-id"),
        oversized=oversized,
    )
