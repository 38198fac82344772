"""Local HTTP servers on 127.0.0.1 for tests: a scripted one (statuses, delays, truncation,
drip-fed bodies and headers, encoded bodies, redirects via a Location header, raw bytes, resets,
silence) and one that serves the offline snapshot as if it were the live APIs."""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from drafter.sources.api import SOURCE_NAMES, ApiRequest
from drafter.sources.snapshot import Snapshot


@dataclass
class Reply:
    status: int = 200
    body: str | bytes = ""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    delay: float = 0.0
    truncate_to: int | None = None  # send a Content-Length larger than the bytes sent
    drip: float = 0.0  # seconds between single bytes of the body (a slow-drip upstream)
    gzip: bool = False  # the body is already gzip-compressed: say so in Content-Encoding
    encoding: str | None = None  # Content-Encoding to claim for an already-encoded body
    raw: bytes | None = None  # the whole response as given, status line included (then close)
    header_drip: float = 0.0  # seconds between single bytes of the status line and headers
    reset: bool = False  # after what is sent, close with a TCP reset (RST), not a clean FIN
    hang: bool = False  # read the request, then never answer (until the server stops)


@dataclass
class Received:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up mid-body (a size cap, a deadline) is expected, not news."""
        return


class LocalServer:
    """Base: starts a ThreadingHTTPServer on an ephemeral port and records every request."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.stopped = threading.Event()  # ends hanging and drip-feeding replies
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                received = Received(
                    method=self.command,
                    path=parts.path,
                    query=dict(parse_qsl(parts.query, keep_blank_values=True)),
                    headers={k: v for k, v in self.headers.items()},
                    body=body,
                    at=time.monotonic(),
                )
                outer.received.append(received)
                reply = outer.reply_for(received)
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.hang:
                    outer.stopped.wait()
                    self.close_connection = True
                    return
                if reply.raw is not None:
                    self._send_raw(reply.raw, reply.reset)
                    return
                payload = reply.body.encode() if isinstance(reply.body, str) else reply.body
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                encoding = "gzip" if reply.gzip else reply.encoding
                if encoding:
                    self.send_header("Content-Encoding", encoding)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                if reply.header_drip:
                    self._drip(b"".join(self._headers_buffer) + b"\r\n", reply.header_drip)
                    self._headers_buffer = []
                    return
                self.end_headers()
                if reply.truncate_to is not None:
                    payload = payload[: reply.truncate_to]
                    self._send_raw(payload, reply.reset)
                    return
                if reply.drip:
                    self._drip(payload, reply.drip)
                    return
                self.wfile.write(payload)

            def _send_raw(self, payload: bytes, reset: bool) -> None:
                """These bytes and no more, then hang up: cleanly, or with a reset."""
                self.close_connection = True
                try:
                    self.wfile.write(payload)
                    self.wfile.flush()
                    if reset:  # SO_LINGER 0: close() sends RST, discarding nothing we sent
                        linger = struct.pack("ii", 1, 0)
                        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                except OSError:
                    return

            def _drip(self, payload: bytes, interval: float) -> None:
                """One byte at a time until done or the client hangs up."""
                self.close_connection = True
                try:
                    for index in range(len(payload)):
                        if outer.stopped.is_set():
                            return
                        self.wfile.write(payload[index : index + 1])
                        self.wfile.flush()
                        time.sleep(interval)
                except OSError:
                    return

            do_GET = _handle
            do_POST = _handle

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reply_for(self, received: Received) -> Reply:
        raise NotImplementedError

    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self._server.shutdown()
        self._server.server_close()


class ScriptedServer(LocalServer):
    """Answers each path with a scripted sequence of replies; the last one repeats."""

    def __init__(self) -> None:
        super().__init__()
        self.routes: dict[str, list[Reply]] = {}
        self.fallback = Reply(404, "no route", content_type="text/plain")  # unscripted paths
        self._lock = threading.Lock()

    def script(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def reply_for(self, received: Received) -> Reply:
        with self._lock:
            replies = self.routes.get(received.path)
            if not replies:
                return self.fallback
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def count(self, path: str) -> int:
        return sum(1 for r in self.received if r.path == path)


class SnapshotServer(LocalServer):
    """Serves fixtures/snapshot as the five live APIs, one path prefix per source
    (`/ctgov`, `/opentargets`, …), so live-mode code paths run against real HTTP."""

    def __init__(self, snapshot_dir: Path) -> None:
        super().__init__()
        self.snapshot = Snapshot(snapshot_dir)

    def base_urls(self) -> dict[str, str]:
        return {f"{source}_url": f"{self.url}/{source}" for source in SOURCE_NAMES}

    def reply_for(self, received: Received) -> Reply:
        source, _, rest = received.path.lstrip("/").partition("/")
        if source not in SOURCE_NAMES:
            return Reply(404, "unknown source", content_type="text/plain")
        params = {k: v for k, v in received.query.items() if k not in ("api_key", "tool")}
        body = json.loads(received.body) if received.body else None
        request = ApiRequest(
            source=source,  # type: ignore[arg-type]
            method=received.method,  # type: ignore[arg-type]
            path=f"/{rest}" if rest else "",
            params=params,
            json_body=body,
        )
        answer = self.snapshot.get(request, url="")
        if answer is None:
            return empty_answer(request)
        return Reply(answer.status, answer.text, content_type=answer.content_type)


def empty_answer(request: ApiRequest) -> Reply:
    """What each API answers when it holds nothing for a request, in its own shapes (see the
    recorded API examples in tests/data/api-examples: the text/plain 404, ChEMBL's empty page,
    Open Targets' null and empty mapIds, openFDA's NOT_FOUND, PubMed's zero count). A test
    double, never fixture data."""
    empty_page = {"limit": 20, "next": None, "offset": 0, "previous": None, "total_count": 0}
    if request.source == "ctgov":
        if request.path.startswith("/studies/"):
            nct_id = request.path.rsplit("/", 1)[1]
            return Reply(404, f"NCT number {nct_id} not found", content_type="text/plain")
        return Reply(200, json.dumps({"studies": []}))
    if request.source == "chembl":
        if request.path == "/mechanism.json":
            return Reply(200, json.dumps({"mechanisms": [], "page_meta": empty_page}))
        if request.path == "/molecule/search.json":
            return Reply(200, json.dumps({"molecules": [], "page_meta": empty_page}))
        return Reply(404, "", content_type="text/html; charset=utf-8")
    if request.source == "opentargets":
        body = request.json_body or {}
        if body.get("operationName") == "MapIds":
            terms = body.get("variables", {}).get("terms", [])
            mappings = [{"term": term, "hits": []} for term in terms]
            return Reply(200, json.dumps({"data": {"mapIds": {"total": 0, "mappings": mappings}}}))
        root = {"Disease": "disease", "Drug": "drug"}.get(str(body.get("operationName")), "target")
        return Reply(200, json.dumps({"data": {root: None}}))
    if request.source == "openfda":
        return Reply(
            404, json.dumps({"error": {"code": "NOT_FOUND", "message": "No matches found!"}})
        )
    if request.path == "/esearch.fcgi":
        result = {"count": "0", "retmax": "0", "retstart": "0", "idlist": []}
        return Reply(200, json.dumps({"esearchresult": result}))
    return Reply(200, json.dumps({"result": {"uids": []}}))


def serve(server: LocalServer) -> Iterator[LocalServer]:
    server.start()
    try:
        yield server
    finally:
        server.stop()
