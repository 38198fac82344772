"""The only module that touches the network.

Every upstream call goes through `HttpClient.fetch(request, parse)`: the response cache and the
offline snapshot (only answers that parse are served, stored or listed as sources), per-source
rate limits shared across threads and processes, time budgets (headers and body included),
tenacity retries (honouring Retry-After), redirects (a few, http/https only, never from https to
plain http nor to a link-local address), a cap on decoded body size, secret handling, and the
mapping of every failure to a one-line typed error of `drafter.errors`.
"""

from __future__ import annotations

import base64
import email.utils
import ipaddress
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

import requests
import urllib3
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
)
from tenacity.stop import stop_base

from drafter import __version__
from drafter.config import LIMIT_MARGIN, Settings
from drafter.errors import (
    DeadlineExceeded,
    DrafterError,
    MalformedResponse,
    OfflineMiss,
    UpstreamError,
    UpstreamRejected,
)
from drafter.sources import deadline as budgets
from drafter.sources.api import SOURCE_NAMES, ApiRequest, ApiResponse
from drafter.sources.cache import ResponseCache
from drafter.sources.deadline import Deadline
from drafter.sources.ratelimit import RateLimiter
from drafter.sources.recorded import RecordedSnapshot
from drafter.sources.redact import mask, register_secrets
from drafter.sources.snapshot import Snapshot
from drafter.sources.watched import WatchedAdapter

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_AGENT = f"drafter/{__version__} (clinical-trial post-mortem drafting tool)"

# Statuses whose body is a definitive answer worth caching; clients interpret 404 themselves
# (ClinicalTrials.gov: unknown trial; ChEMBL: unknown molecule; openFDA: zero reports).
ANSWER_STATUSES = frozenset({200, 404})

# The API key a source takes, named when the source rejects a request as unauthorised.
_KEY_VARIABLES = {"pubmed": "NCBI_API_KEY", "openfda": "OPENFDA_API_KEY"}

# Real APIs redirect once or twice (http → https, a moved path); more is a loop.
MAX_REDIRECTS = 5
# Read size: small enough that a drip-fed body is checked against its deadline often.
_CHUNK = 64 * 1024

# Answers that parsed in the current fetch (per thread / task), so a bundle can list its sources;
# recorders nest (`drafter record` keeps every answer of a draft, whose bundle keeps its own).
_RECORDER: ContextVar[tuple[list[tuple[ApiRequest, ApiResponse]], ...]] = ContextVar(
    "drafter_http_recorder", default=()
)


class _RetryableStatus(Exception):
    """A 429 or 5xx: worth another attempt, after Retry-After if the server gave one."""

    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


_TRANSIENT = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
    _RetryableStatus,
)


class _Session(requests.Session):
    """A Session that never resolves redirects itself: `HttpClient._open` follows them, so it
    can refuse non-HTTP targets and cap their number. (With allow_redirects=False requests
    still prepares the next hop, reading the redirect's whole body, bombs included.)"""

    def resolve_redirects(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        return iter(())


class HttpClient:
    """One door to the network for every source client. Safe to share between threads: each
    thread gets its own requests.Session (a Session is not thread-safe), counters are locked,
    and the rate limiter is shared with every other client and process using the cache dir."""

    def __init__(self, settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.settings = settings
        self._sleep = sleep
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        # Credentials in a base URL travel as Basic auth, never in a URL anyone sees.
        self._bases = {s: _split_credentials(settings.base_url(s)) for s in SOURCE_NAMES}
        self._limiter = RateLimiter(
            self._intervals(settings), settings.cache_dir / "rate-limits.sqlite3", sleep=sleep
        )
        self._cache = ResponseCache(settings.cache_dir / "http-cache.sqlite3")
        self._snapshot = Snapshot(settings.snapshot_dir)
        self._recorded = RecordedSnapshot(settings.recorded_dir)
        keys = [
            k.get_secret_value() for k in (settings.ncbi_api_key, settings.openfda_api_key) if k
        ]
        credentials = [auth for _, auth in self._bases.values() if auth]
        if settings.openfda_api_key is not None:
            credentials.append((settings.openfda_api_key.get_secret_value(), ""))
        register_secrets(
            _secret_forms(keys + [password for _, password in credentials], credentials)
        )
        self.network_requests = 0
        self.waits: list[float] = []

    @staticmethod
    def _intervals(settings: Settings) -> dict[str, float]:
        intervals = dict(settings.min_interval)
        if settings.ncbi_api_key is not None:
            with_key = LIMIT_MARGIN / 10  # 10 req/s with a key
            intervals["pubmed"] = min(intervals.get("pubmed", with_key), with_key)
        return intervals

    def close(self) -> None:
        with self._lock:
            sessions, self._sessions = self._sessions, []
        for session in sessions:
            session.close()
        self._cache.close()
        self._limiter.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = _Session()
            for prefix in ("http://", "https://"):  # headers, too, arrive within the deadline
                session.mount(prefix, WatchedAdapter())
            session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
            with self._lock:
                self._sessions.append(session)
            self._local.session = session
        return session

    def url_for(self, request: ApiRequest) -> str:
        """The public URL of a request (no key, no credentials): what a reviewer can open."""
        url = self._bases[request.source][0] + request.path
        if request.params:
            url += "?" + requests.compat.urlencode(sorted(request.params.items()))
        return url

    @staticmethod
    def deadline(seconds: float, label: str = "deadline") -> AbstractContextManager[Deadline]:
        """Every request inside must finish within `seconds` (or an enclosing, earlier budget)
        or fail with DeadlineExceeded naming "the {seconds} s {label}". Per thread / task."""
        return budgets.within(seconds, label)

    @contextmanager
    def recording(self) -> Iterator[list[tuple[ApiRequest, ApiResponse]]]:
        """Collect every (request, answer) that parsed in this context, whatever its origin
        (an enclosing recording collects them too)."""
        answers: list[tuple[ApiRequest, ApiResponse]] = []
        token = _RECORDER.set((*_RECORDER.get(), answers))
        try:
            yield answers
        finally:
            _RECORDER.reset(token)

    def fetch(self, request: ApiRequest, parse: Callable[[ApiResponse], T]) -> T:
        """Answer `request` and return `parse(answer)`: the one entry point of the source
        clients. `parse` validates the body into its model (or returns None for a definitive
        "no such record") and raises MalformedResponse for anything else; only answers it
        accepts are cached, served offline and recorded. Errors leave with secrets masked and
        no chained exception (which could hold a URL with the key)."""
        try:
            value, response = self._answer(request, parse)
        except DrafterError as error:
            failure = type(error)(mask(self._with_host_and_advice(request, error)))
        else:
            for answers in _RECORDER.get():
                answers.append((request, response))
            return value
        raise failure

    def _with_host_and_advice(self, request: ApiRequest, error: DrafterError) -> str:
        """The message of an upstream failure, ending with the host that failed (the base URL
        may point at a mirror or a proxy) and what the user can do; other errors as they are."""
        if not isinstance(error, UpstreamError) or isinstance(error, OfflineMiss):
            return str(error)
        host = urlsplit(self._bases[request.source][0]).netloc
        setting = f"DRAFTER_{request.source.upper()}_URL"
        if isinstance(error, UpstreamRejected | MalformedResponse):
            advice = f"check that {setting} points at the API"
        else:
            advice = f"try again later, or check {setting}"
        return f"{error} [{host}: {advice}]"

    def _answer(
        self, request: ApiRequest, parse: Callable[[ApiResponse], T]
    ) -> tuple[T, ApiResponse]:
        key = request.cache_key(self._bases[request.source][0])
        if self.settings.offline:
            return self._offline(request, key, parse)
        cached = self._cache.get(key, max_age=self.settings.cache_ttl_seconds)
        if cached is not None:
            try:
                return parse(cached), cached
            except MalformedResponse:
                log.debug("cached answer to %s no longer parses; asking again", request.describe())
        response = self._from_network(request)
        value = parse(response)
        self._cache.put(key, request.describe(), response)
        return value, response

    def _offline(
        self, request: ApiRequest, key: str, parse: Callable[[ApiResponse], T]
    ) -> tuple[T, ApiResponse]:
        """The cached answer if it parses, else the snapshot's, else the one recorded by
        `drafter record`, else why not."""
        problem: MalformedResponse | None = None
        loaders: list[Callable[[], ApiResponse | None]] = [
            lambda: self._cache.get(key, max_age=None),
            lambda: self._snapshot.get(request, url=self.url_for(request)),
            lambda: self._recorded.get(request),
        ]
        for load in loaders:
            candidate = load()
            if candidate is None:
                continue
            try:
                return parse(candidate), candidate
            except MalformedResponse as error:
                problem = error
        if problem is not None:
            raise problem
        raise OfflineMiss(
            f"offline: no cached or snapshot response for {request.describe()} "
            f"({self._snapshot_name()}; none recorded by drafter record)"
        )

    def _snapshot_name(self) -> str:
        """The bundled snapshot by name (its absolute path differs per checkout); a user's
        snapshot as the user gave it."""
        given = self.settings.snapshot_dir
        return "bundled snapshot" if given is None else f"snapshot {given}"

    def _from_network(self, request: ApiRequest) -> ApiResponse:
        """Attempts with backoff until an answer, the attempt limit or the deadline: the
        request's own or an enclosing step's or command's, whichever ends first."""
        deadline = budgets.earliest(
            Deadline.starting_now(self.settings.request_deadline, "request deadline"),
            budgets.active(),
        )
        retrying = Retrying(
            retry=retry_if_exception_type(_TRANSIENT),
            stop=stop_after_attempt(self.settings.max_attempts) | _OutOfTime(deadline),
            wait=self._wait_strategy(),
            sleep=self._record_and_sleep,
            reraise=False,
        )
        try:
            response: ApiResponse = retrying(self._attempt, request, deadline)
            return response
        except RetryError as error:
            attempts = error.last_attempt.attempt_number
            why = _explain(error.last_attempt.exception())
        if attempts < self.settings.max_attempts or deadline.remaining() <= 0:
            plural = "s" if attempts > 1 else ""
            raise _late(request, deadline, f"{why} after {attempts} attempt{plural}")
        raise UpstreamError(
            f"{SOURCE_NAMES[request.source]} unavailable after {attempts} attempts ({why}) "
            f"for {request.describe()}"
        )

    def _wait_strategy(self) -> Callable[[RetryCallState], float]:
        initial = self.settings.backoff_initial
        ceiling = self.settings.backoff_max
        cap = self.settings.retry_after_cap

        def wait(state: RetryCallState) -> float:
            """Retry-After when the server sent one (capped), else exponential backoff from
            `initial`, doubled per attempt up to `backoff_max`, plus up to `initial` of jitter."""
            retry_after = _retry_after_of(state)
            if retry_after is not None:
                return min(retry_after, cap)
            exponential = min(ceiling, initial * 2.0 ** (state.attempt_number - 1))
            return exponential + random.uniform(0, initial)

        return wait

    def _record_and_sleep(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
        self._sleep(seconds)

    def _attempt(self, request: ApiRequest, deadline: Deadline) -> ApiResponse:
        """One request on the wire, after the source's rate-limit slot."""
        if deadline.remaining() <= 0:
            raise _late(request, deadline, "no time left to send it")
        if self._limiter.wait(request.source, time.time() + deadline.remaining()) is None:
            paused = self._limiter.paused_until(request.source) - time.time()
            reason = (
                f"the source asked drafter (HTTP 429 Retry-After, shared by every drafter "
                f"process) to wait {paused:.0f} s more"
                if paused > 0
                else "the source's rate limit outlasts it"
            )
            raise _late(request, deadline, reason)
        with self._lock:
            self.network_requests += 1
        log.debug("%s (attempt)", request.describe())
        response = self._open(request, deadline)
        with response:
            status = response.status_code
            if status == 429 or status >= 500:
                retry_after = _retry_after_seconds(response.headers)
                if retry_after is not None:  # hold every worker on this source, not only us
                    self._limiter.pause(
                        request.source, min(retry_after, self.settings.retry_after_cap)
                    )
                raise _RetryableStatus(status, retry_after)
            content_type = response.headers.get("Content-Type", "")
            text = mask(_decode(self._read_body(response, request, deadline), content_type))
        if status not in ANSWER_STATUSES and not 200 <= status < 300:
            key = _KEY_VARIABLES.get(request.source) if status in (401, 403) else None
            check = f"; check {key}" if key else ""
            raise UpstreamRejected(
                f"{SOURCE_NAMES[request.source]} rejected {request.describe()} with HTTP "
                f"{status}{check}: {' '.join(text.split())[:200]}"
            )
        return ApiResponse(
            status=status, content_type=content_type, text=text, url=self.url_for(request)
        )

    def _open(self, request: ApiRequest, deadline: Deadline) -> requests.Response:
        """Send and follow up to MAX_REDIRECTS redirects to http(s) URLs, reading no body
        (a redirect's body could be a bomb too). Credentials go only to the original host."""
        session = self._session()
        base, auth = self._bases[request.source]
        auth = self._auth(request.source) or auth
        url = base + request.path
        params: dict[str, str] | None = {**request.params, **self._secret_params(request.source)}
        method, body = request.method, request.json_body
        for _ in range(MAX_REDIRECTS + 1):
            remaining = deadline.remaining()
            if remaining <= 0:
                raise _late(request, deadline, "still following redirects")
            timeout = (
                min(self.settings.connect_timeout, remaining),
                min(self.settings.read_timeout, remaining),
            )
            try:
                with budgets.request_ends_by(deadline.expires):
                    response = session.request(
                        method,
                        url,
                        params=params or None,
                        auth=auth,
                        json=body,
                        timeout=timeout,
                        allow_redirects=False,
                        stream=True,
                    )
            except _TRANSIENT as error:
                if deadline.remaining() <= 0 and not isinstance(error, requests.Timeout):
                    # the watchdog cut a response whose headers were drip-fed past the deadline
                    why = "timed out waiting for the response headers"
                    raise _late(request, deadline, why) from None
                raise
            except (requests.RequestException, ValueError) as error:
                raise _refused(request, _explain(error)) from None
            location = _location(session, response, request)
            if location is None:
                return response
            response.close()
            target = _redirect_target(response.url, location, request)
            if not _keeps_credentials(url, target):
                auth = None
            url, params = target, None
            status = response.status_code
            if status == 303 or (status in (301, 302) and method == "POST"):
                method, body = "GET", None
        raise _refused(request, f"more than {MAX_REDIRECTS} redirects")

    def _read_body(
        self, response: requests.Response, request: ApiRequest, deadline: Deadline
    ) -> bytes:
        """The decoded body, read in chunks so that a drip-fed body meets its deadline and a
        compressed bomb is stopped at `max_body_bytes` decoded bytes."""
        cap = self.settings.max_body_bytes
        raw = response.raw
        chunks: list[bytes] = []
        size = 0
        while True:
            remaining = deadline.remaining()
            if remaining <= 0:
                raise _late(request, deadline, "the body was still arriving")
            _set_read_timeout(raw, min(self.settings.read_timeout, remaining))
            chunk = _read_chunk(raw)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > cap:
                raise MalformedResponse(
                    f"{SOURCE_NAMES[request.source]} sent more than {_bytes(cap)} for "
                    f"{request.describe()}; stopped reading"
                )
            chunks.append(chunk)

    def _secret_params(self, source: str) -> dict[str, str]:
        if source == "pubmed":
            params = {"tool": "drafter"}
            if self.settings.ncbi_api_key is not None:
                params["api_key"] = self.settings.ncbi_api_key.get_secret_value()
            return params
        return {}

    def _auth(self, source: str) -> tuple[str, str] | None:
        """openFDA takes its key as the Basic-auth user name, which keeps it out of URLs."""
        if source == "openfda" and self.settings.openfda_api_key is not None:
            return (self.settings.openfda_api_key.get_secret_value(), "")
        return None


def _secret_forms(secrets: list[str], credentials: list[tuple[str, str]]) -> list[str]:
    """Each secret as a server may echo it: as is, percent-encoded (a URL's query) and, for
    Basic-auth credentials, as the base64 of "user:password" (an Authorization header)."""
    forms = [form for secret in secrets for form in (secret, quote(secret, safe=""))]
    for user, password in credentials:
        forms.append(base64.b64encode(f"{user}:{password}".encode()).decode())
    return forms


def _split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """A base URL without its user:password part, and that part as Basic-auth credentials."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    public = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return public, (unquote(parts.username or ""), unquote(parts.password or ""))


def _redirect_target(current: str, location: str, request: ApiRequest) -> str:
    """The absolute URL a redirect points to, if it is one drafter may follow. The message
    never repeats the URL: it is the server's text and may echo the request's key."""
    try:
        target = urljoin(current, location.strip())
        parts = urlsplit(target)
        parts.port  # noqa: B018 - raises on a port that is not a number in range
    except ValueError:
        raise _refused(request, "a redirect to an unreadable Location") from None
    if parts.scheme not in ("http", "https"):
        raise _refused(request, f"a redirect to a non-HTTP URL ({parts.scheme or 'no'} scheme)")
    if not parts.hostname:
        raise _refused(request, "a redirect to a URL without a host")
    if urlsplit(current).scheme == "https" and parts.scheme == "http":
        raise _refused(request, "a redirect from https to plain http")
    if _is_metadata_host(parts.hostname):
        raise _refused(request, "a redirect to a link-local or cloud metadata address")
    return target


def _location(
    session: requests.Session, response: requests.Response, request: ApiRequest
) -> str | None:
    """Where a redirect points, if the response is one. requests reads the Location header's
    bytes as UTF-8 and raises UnicodeDecodeError on any other: a server's bad header, not ours."""
    try:
        return session.get_redirect_target(response)
    except UnicodeDecodeError:
        response.close()
        raise _refused(request, "a redirect to an unreadable Location") from None


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _keeps_credentials(current: str, target: str) -> bool:
    """Whether a redirect may carry the request's credentials: only to the same origin
    (scheme, host and port: another port on the host is another service, whoever runs it);
    the one change allowed is http to https on the default ports, as requests allows."""
    before, after = _origin(current), _origin(target)
    upgrade = before == ("http", after[1], 80) and after == ("https", before[1], 443)
    return before == after or upgrade


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or _DEFAULT_PORTS.get(parts.scheme)


# Cloud instance-metadata services answer on link-local addresses (169.254.169.254, fd00:ec2::254)
# and these names: a redirect there reads credentials, never an API answer.
_METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "instance-data"})


def _is_metadata_host(hostname: str) -> bool:
    name = hostname.lower().rstrip(".")
    if name in _METADATA_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_link_local or str(address) == "fd00:ec2::254"


def _read_chunk(raw: Any) -> bytes:
    """Up to _CHUNK decoded bytes, returning as soon as any arrive (read1, not read: read
    would wait for a full chunk, and a drip-fed body would never meet its deadline). urllib3
    failures become the requests errors the retry policy knows."""
    try:
        chunk: bytes = raw.read1(_CHUNK, decode_content=True)
    except urllib3.exceptions.ReadTimeoutError as error:
        raise requests.Timeout(str(error)) from None
    except urllib3.exceptions.DecodeError as error:
        raise requests.exceptions.ContentDecodingError(str(error)) from None
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise requests.exceptions.ChunkedEncodingError(str(error)) from None
    return chunk


def _set_read_timeout(raw: Any, seconds: float) -> None:
    """Shorten the socket's read timeout to what is left of the deadline, so one blocked read
    cannot outlast it (urllib3 resets it for the next request on this connection)."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def _decode(body: bytes, content_type: str) -> str:
    """The body as text: the declared charset, else UTF-8 (every source's JSON is UTF-8),
    without a leading byte order mark (which JSON parsers may ignore, RFC 8259 §8.1, and
    Python's refuses)."""
    charset = None
    if "charset" in content_type.lower():
        charset = requests.utils.get_encoding_from_headers({"content-type": content_type})
    try:
        text = body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name
        text = body.decode("utf-8", errors="replace")
    return text.removeprefix("\ufeff")


def _bytes(count: int) -> str:
    return f"{count / 2**20:g} MiB" if count % 2**20 == 0 else f"{count} bytes"


def _late(request: ApiRequest, deadline: Deadline, reason: str) -> DeadlineExceeded:
    return DeadlineExceeded(
        f"{SOURCE_NAMES[request.source]} could not answer {request.describe()} within "
        f"{deadline.describe()}: {reason}"
    )


def _refused(request: ApiRequest, reason: str) -> UpstreamError:
    return UpstreamError(
        f"{SOURCE_NAMES[request.source]} could not be asked {request.describe()}: {reason}"
    )


class _OutOfTime(stop_base):
    """Stop at once when the next wait (or the server's Retry-After, even above our cap) would
    end after the deadline: sleeping only to fail later helps no one."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        wait = max(retry_state.upcoming_sleep, _retry_after_of(retry_state) or 0.0)
        return wait >= self.deadline.remaining()


def _retry_after_of(state: RetryCallState) -> float | None:
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    return error.retry_after if isinstance(error, _RetryableStatus) else None


def _explain(error: BaseException | None) -> str:
    """Describe a failure without echoing URLs, which could carry an api_key."""
    if isinstance(error, _RetryableStatus):
        if error.retry_after is not None:
            return f"{error}, Retry-After {error.retry_after:g} s"
        return str(error)
    if isinstance(error, requests.Timeout):
        return "timed out"
    if isinstance(
        error,
        requests.exceptions.ChunkedEncodingError | requests.exceptions.ContentDecodingError,
    ):
        return "truncated or undecodable body"
    if isinstance(error, requests.ConnectionError):
        return "connection failed"
    if isinstance(error, requests.exceptions.InvalidSchema):
        return "a URL that is not http(s)"
    if isinstance(error, requests.exceptions.InvalidHeader):
        return "invalid headers (two Content-Lengths that disagree, or a malformed header)"
    if isinstance(error, ValueError):
        return "an invalid URL"
    return type(error).__name__ if error else "unknown error"


_DELTA_SECONDS = re.compile(r"[0-9]+")


def _retry_after_seconds(headers: Any) -> float | None:
    """Retry-After as seconds: either delta-seconds (ASCII digits only: "²" or "١٢" are
    digits to str.isdigit but not to RFC 9110) or an HTTP date. Anything else is ignored."""
    value = headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value) if len(value) < 12 else math.inf
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
