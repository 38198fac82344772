"""Connections whose wait for a response's headers ends at the request's deadline.

A read timeout bounds each read, not a response: a server that drip-feeds its status line and
headers a byte a second never trips it, and requests gives no hook between sending a request and
the end of its headers. So the urllib3 connections that requests uses here arm a timer for the
deadline while they wait for headers; when it fires it shuts the socket down, the blocked read
ends, and the HTTP layer reports the deadline. (Bodies are read by drafter.sources.http in
chunks, each checked against the deadline.)

The same connections skip every interim (1xx) response before the answer, as RFC 9110 §15.2
asks of a client: http.client skips only 100 Continue, and took a CDN's 103 Early Hints (or a
102 Processing) for the answer itself, leaving the real one unread on the connection.
"""

from __future__ import annotations

import http.client
import socket
import threading
import time
from contextlib import suppress
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from drafter.sources.deadline import request_end


class _FinalResponse(http.client.HTTPResponse):
    """A response whose status is the first final one: interim responses (102, 103, ...) are
    read past with their headers. 100 is left to http.client, which skips it; 101 (Switching
    Protocols) ends the exchange, and drafter never asks for it, so it is an answer refused."""

    def _read_status(self) -> tuple[str, int, str]:
        while True:
            version, status, reason = super()._read_status()  # type: ignore[misc]
            if not 101 < status < 200:
                return version, status, reason
            http.client.parse_headers(self.fp)


class _Watched:
    """Mixin for urllib3 connections: getresponse under a timer that cuts the socket, and
    interim responses skipped."""

    sock: socket.socket | None

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        expires = request_end()
        if expires is None:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]
        timer = threading.Timer(max(expires - time.monotonic(), 0.0), self._cut)
        timer.daemon = True
        timer.start()
        try:
            return super().getresponse(*args, **kwargs)  # type: ignore[misc]
        finally:
            timer.cancel()

    def _cut(self) -> None:
        sock = self.sock
        if sock is not None:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    response_class = _FinalResponse


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    response_class = _FinalResponse


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class WatchedAdapter(HTTPAdapter):
    """requests' adapter with the watched connections (mount it for http:// and https://)."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _WatchedHTTPPool,
            "https": _WatchedHTTPSPool,
        }
