"""A local OpenAI-compatible chat-completions server on 127.0.0.1 for tests and the writer
benchmark: scripted replies in the real response shape, every request body recorded.

It speaks POST /v1/chat/completions and /chat/completions. Each request takes the next
scripted Reply (then `default`), after an optional added latency. A reply body may hold the
placeholder AUTHORIZATION, replaced by the request's Authorization header: a hostile server
echoing the key, to prove drafter masks it.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tests.servers import LocalServer, Received, Reply

COMPLETIONS_PATHS = ("/v1/chat/completions", "/chat/completions")
AUTHORIZATION = "{authorization}"
REPORTED_MODEL = "gpt-4o-mini-2024-07-18"

SECTION = {
    "paragraphs": [
        {
            "text": "The trial enrolled the participants its record states.",
            "cites": ["F1"],
            "kind": "fact",
            "grade": "documented",
        }
    ]
}
HEADLINE = {"headline": "A trial that stopped early", "dek": "What its record says.", "cites": []}


def completion(
    content: str | None,
    *,
    finish_reason: str = "stop",
    refusal: str | None = None,
    model: str = REPORTED_MODEL,
    usage: tuple[int, int] | None = (120, 40),
    delay: float = 0.0,
) -> Reply:
    """A 200 chat completion as api.openai.com shapes it."""
    body: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_764_000_000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "system_fingerprint": "fp_test",
    }
    if usage is not None:
        prompt, completion_tokens = usage
        body["usage"] = {
            "prompt_tokens": prompt,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt + completion_tokens,
        }
    return Reply(200, json.dumps(body), delay=delay)


def api_error(
    status: int,
    code: str | None,
    message: str,
    *,
    kind: str = "invalid_request_error",
    headers: dict[str, str] | None = None,
) -> Reply:
    """An error as api.openai.com shapes it: {"error": {"message", "type", "param", "code"}}."""
    error = {"message": message, "type": kind, "param": None, "code": code}
    return Reply(status, json.dumps({"error": error}), headers=headers or {})


def valid_section() -> Reply:
    return completion(json.dumps(SECTION))


def malformed_json() -> Reply:
    return completion('{"paragraphs": [{"text": "cut')


def schema_violation() -> Reply:
    return completion(json.dumps({"paragraphs": [{"text": "no citations", "kind": "fact"}]}))


def refusal(text: str = "I'm sorry, I can't help with that request.") -> Reply:
    return completion(None, refusal=text)


def cut_off() -> Reply:
    return completion('{"paragraphs": [{"text": "The trial', finish_reason="length")


def content_filtered() -> Reply:
    return completion(None, finish_reason="content_filter")


def rate_limited(retry_after: str | None = "2", header: str = "Retry-After") -> Reply:
    headers = {header: retry_after} if retry_after is not None else {}
    return api_error(
        429,
        "rate_limit_exceeded",
        "Rate limit reached for gpt-4o-mini on requests per min (RPM).",
        kind="requests",
        headers=headers,
    )


def insufficient_quota() -> Reply:
    return api_error(
        429,
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details.",
        kind="insufficient_quota",
    )


def invalid_api_key() -> Reply:
    """A 401 that echoes the whole key (api.openai.com shows only its ends)."""
    return api_error(401, "invalid_api_key", f"Incorrect API key provided: {AUTHORIZATION}.")


def model_not_found() -> Reply:
    return api_error(
        404, "model_not_found", "The model `gpt-nonexistent` does not exist or you lack access."
    )


def server_error() -> Reply:
    return api_error(
        500, None, "The server had an error while processing your request.", kind="server_error"
    )


def stalled(seconds: float, reply: Reply | None = None) -> Reply:
    """A reply that starts only after `seconds`: past a client's timeout."""
    base = reply or valid_section()
    return replace(base, delay=base.delay + seconds)


def header(received: Received, name: str) -> str:
    """A request header by name, whatever its case on the wire ('' when absent)."""
    wanted = name.lower()
    return next((v for k, v in received.headers.items() if k.lower() == wanted), "")


class OpenAIServer(LocalServer):
    """Scripted chat completions; `requests` holds every JSON body received, in order."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        default: Reply | None = None,
        responder: Callable[[dict[str, Any]], Reply] | None = None,
    ) -> None:
        super().__init__()
        self.latency = latency
        self.default = default or valid_section()
        # answers computed from the request body, when the script is empty: sections are
        # asked concurrently, so a draft's tests answer by what is asked, not by order
        self.responder = responder
        self._script: list[Reply] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)

    @property
    def base_url(self) -> str:
        """What OPENAI_BASE_URL would be."""
        return f"{self.url}/v1"

    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order; then `default`."""
        with self._lock:
            self._script.extend(replies)

    @property
    def completion_requests(self) -> list[Received]:
        return [r for r in self.received if r.path in COMPLETIONS_PATHS]

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of the chat-completion requests received."""
        return [json.loads(r.body) for r in self.completion_requests]

    def reply_for(self, received: Received) -> Reply:
        if received.method != "POST" or received.path not in COMPLETIONS_PATHS:
            return api_error(404, "unknown_url", f"Unknown request URL: {received.path}")
        with self._lock:
            scripted = self._script.pop(0) if self._script else None
            request_id = f"req_{next(self._ids)}"
        if scripted is not None:
            reply = scripted
        elif self.responder is not None:
            reply = self.responder(json.loads(received.body))
        else:
            reply = self.default
        authorization = header(received, "Authorization").removeprefix("Bearer ")
        body = reply.body  # bytes (a bomb, invalid UTF-8) go out as they are
        if isinstance(body, str):
            body = body.replace(AUTHORIZATION, authorization)
        return replace(
            reply,
            body=body,
            delay=reply.delay + self.latency,
            headers={"x-request-id": request_id, **reply.headers},
        )
