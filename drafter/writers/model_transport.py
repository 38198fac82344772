"""The HTTP client under the openai SDK: every network operation of a model request ends by the
request's deadline, and redirects are not followed.

httpx's timeouts bound each read, not a response: an endpoint that drip-feeds its headers or
body a byte at a time never trips them, so one request could outlast DRAFTER_MODEL_TIMEOUT and
the drafting budget. Here the network backend caps the timeout of every connect, read and write
to what is left of the deadline set around the request (drafter.sources.deadline's
request_ends_by, which drafter.sources.watched reads too), and fails once none is left. A
chat-completions endpoint has no reason to redirect (a POST may not be replayed elsewhere, nor
the bearer key be sent to a metadata address), so a 3xx is an answer.
"""

from __future__ import annotations

import time
from typing import Any

import httpcore2 as httpcore
import httpx2 as httpx
import openai

from drafter.sources.deadline import request_end


def _capped(timeout: float | None, expired: type[Exception]) -> float | None:
    expires = request_end()
    if expires is None:
        return timeout
    remaining = expires - time.monotonic()
    if remaining <= 0:
        raise expired("the model request's deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _capped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _capped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        if "timeout" in kwargs:
            kwargs["timeout"] = _capped(kwargs["timeout"], httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(*args, **kwargs))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        kwargs["timeout"] = _capped(kwargs.get("timeout"), httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(*args, **kwargs))

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        kwargs["timeout"] = _capped(kwargs.get("timeout"), httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(*args, **kwargs))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def http_client(timeout: float) -> httpx.Client:
    """The SDK's default client (its limits and timeouts), not following redirects, over a
    transport whose network operations end by the deadline of `request_ends_by`."""
    transport = httpx.HTTPTransport(limits=httpx.Limits(max_connections=1000))
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if isinstance(backend, httpcore.NetworkBackend):  # else: bounded per chunk read only
        pool._network_backend = _Backend(backend)  # type: ignore[union-attr]
    client: httpx.Client = openai.DefaultHttpxClient(
        transport=transport, follow_redirects=False, timeout=timeout
    )
    return client
