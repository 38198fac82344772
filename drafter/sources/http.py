"""The only module that touches the network.

Every upstream call goes through `HttpClient.send`: per-source rate limits, timeouts, tenacity
retries (honouring Retry-After), an on-disk response cache, the offline snapshot, secret
handling and the mapping of failures to the typed errors of `drafter.errors`.
"""

from __future__ import annotations

import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
from tenacity import (
    RetryCallState,
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
)

from drafter import __version__
from drafter.config import Settings
from drafter.errors import DrafterError, OfflineMiss, UpstreamError, UpstreamRejected
from drafter.sources.api import SOURCE_NAMES, ApiRequest, ApiResponse
from drafter.sources.cache import ResponseCache
from drafter.sources.snapshot import Snapshot

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_AGENT = f"drafter/{__version__} (clinical-trial post-mortem drafting tool)"

# Statuses whose body is a definitive answer worth caching; clients interpret 404 themselves
# (ClinicalTrials.gov: unknown trial; ChEMBL: unknown molecule; openFDA: zero reports).
ANSWER_STATUSES = frozenset({200, 404})


# Answers seen by the current fetch (per thread / task), so a bundle can list its sources.
_RECORDER: ContextVar[list[tuple[ApiRequest, ApiResponse]] | None] = ContextVar(
    "drafter_http_recorder", default=None
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


# Loggers that may print a full request URL (and so NCBI's key) at DEBUG.
_LOGGERS_SEEING_URLS = ("urllib3.connectionpool", "urllib3", __name__)


class _RedactSecrets(logging.Filter):
    """urllib3 logs full request URLs at DEBUG; NCBI's key can only travel in the URL, so its
    value is masked in every record that passes through the HTTP loggers."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


class RateLimiter:
    """Minimum interval between requests to one source, shared by every thread of a batch."""

    def __init__(
        self,
        intervals: dict[str, float],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._intervals = intervals
        self._clock = clock
        self._sleep = sleep
        self._next_allowed: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, source: str) -> float:
        """Block until `source` may be called again; returns the seconds waited."""
        interval = self._intervals.get(source, 0.0)
        with self._lock:
            now = self._clock()
            start = max(now, self._next_allowed.get(source, now))
            self._next_allowed[source] = start + interval
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return max(delay, 0.0)


class HttpClient:
    """One door to the network for every source client."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._session = session or requests.Session()
        self._session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self._limiter = RateLimiter(self._intervals(settings), sleep=sleep)
        self._cache = ResponseCache(settings.cache_dir / "http-cache.sqlite3")
        self._snapshot = Snapshot(settings.snapshot_dir)
        self._redactor = _RedactSecrets(
            [k.get_secret_value() for k in (settings.ncbi_api_key, settings.openfda_api_key) if k]
        )
        for name in _LOGGERS_SEEING_URLS:
            logging.getLogger(name).addFilter(self._redactor)
        self.network_requests = 0
        self.waits: list[float] = []

    @staticmethod
    def _intervals(settings: Settings) -> dict[str, float]:
        intervals = dict(settings.min_interval)
        if settings.ncbi_api_key is not None:
            intervals["pubmed"] = min(intervals.get("pubmed", 0.1), 0.1)  # 10 req/s with a key
        return intervals

    def close(self) -> None:
        for name in _LOGGERS_SEEING_URLS:
            logging.getLogger(name).removeFilter(self._redactor)
        self._session.close()
        self._cache.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url_for(self, request: ApiRequest) -> str:
        """The public URL of a request (no secrets): what a reviewer can open."""
        url = self.settings.base_url(request.source) + request.path
        if request.params:
            url += "?" + requests.compat.urlencode(sorted(request.params.items()))
        return url

    @contextmanager
    def recording(self) -> Iterator[list[tuple[ApiRequest, ApiResponse]]]:
        """Collect every (request, answer) sent in this context, whatever its origin."""
        answers: list[tuple[ApiRequest, ApiResponse]] = []
        token = _RECORDER.set(answers)
        try:
            yield answers
        finally:
            _RECORDER.reset(token)

    def fetch(self, request: ApiRequest, parse: Callable[[ApiResponse], T]) -> T:
        """Answer `request` and return `parse(answer)`: the one entry point of the source
        clients. `parse` validates the body into its model (or returns None for a definitive
        "no such record") and raises MalformedResponse for anything else."""
        return parse(self.send(request))

    def send(self, request: ApiRequest) -> ApiResponse:
        """Answer from the cache, the snapshot (offline) or the network, in that order.
        Secrets are masked in every error message and body that leaves this module: some
        upstreams echo the key they were sent (NCBI's invalid-key answer does)."""
        try:
            response = self._answer(request)
        except DrafterError as error:
            masked = self._redactor.mask(str(error))
            if masked == str(error):
                raise
            raise type(error)(masked) from None
        answers = _RECORDER.get()
        if answers is not None:
            answers.append((request, response))
        return response

    def _answer(self, request: ApiRequest) -> ApiResponse:
        key = request.cache_key(self.settings.base_url(request.source))
        if self.settings.offline:
            cached = self._cache.get(key, max_age=None)
            if cached is not None:
                return cached
            recorded = self._snapshot.get(request, url=self.url_for(request))
            if recorded is not None:
                return recorded
            where = self.settings.snapshot_dir or "the bundled snapshot"
            raise OfflineMiss(
                f"offline: no cached or snapshot response for {request.describe()} "
                f"(snapshot: {where})"
            )
        cached = self._cache.get(key, max_age=self.settings.cache_ttl_seconds)
        if cached is not None:
            log.debug("cache hit %s", request.describe())
            return cached
        response = self._fetch_with_retries(request)
        if response.status in ANSWER_STATUSES:
            self._cache.put(key, request.describe(), response)
        return response

    def _fetch_with_retries(self, request: ApiRequest) -> ApiResponse:
        retrying = Retrying(
            retry=retry_if_exception_type(_TRANSIENT),
            stop=stop_after_attempt(self.settings.max_attempts),
            wait=self._wait_strategy(),
            sleep=self._record_and_sleep,
            reraise=False,
        )
        try:
            response: ApiResponse = retrying(self._fetch_once, request)
        except RetryError as error:
            last = error.last_attempt.exception()
            raise UpstreamError(
                f"{SOURCE_NAMES[request.source]} unavailable after "
                f"{self.settings.max_attempts} attempts ({self._explain(last)}) "
                f"for {request.describe()}"
            ) from None
        return response

    def _wait_strategy(self) -> Callable[[RetryCallState], float]:
        initial = self.settings.backoff_initial
        ceiling = self.settings.backoff_max
        cap = self.settings.retry_after_cap

        def wait(state: RetryCallState) -> float:
            """Retry-After when the server sent one (capped), else exponential backoff from
            `initial`, doubled per attempt up to `backoff_max`, plus up to `initial` of jitter."""
            outcome = state.outcome
            error = outcome.exception() if outcome is not None else None
            if isinstance(error, _RetryableStatus) and error.retry_after is not None:
                return min(error.retry_after, cap)
            exponential = min(ceiling, initial * 2.0 ** (state.attempt_number - 1))
            return exponential + random.uniform(0, initial)

        return wait

    def _record_and_sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self._sleep(seconds)

    def _fetch_once(self, request: ApiRequest) -> ApiResponse:
        self._limiter.wait(request.source)
        self.network_requests += 1
        params = {**request.params, **self._secret_params(request.source)}
        url = self.settings.base_url(request.source) + request.path
        log.debug("%s (attempt)", request.describe())
        response = self._session.request(
            request.method,
            url,
            params=params or None,
            auth=self._auth(request.source),
            json=request.json_body,
            timeout=(self.settings.connect_timeout, self.settings.read_timeout),
            allow_redirects=True,
        )
        status = response.status_code
        if status == 429 or status >= 500:
            raise _RetryableStatus(status, _retry_after_seconds(response.headers))
        content_type = response.headers.get("Content-Type", "")
        if "charset" not in content_type.lower():
            response.encoding = "utf-8"
        text = response.text  # reading the body may raise ChunkedEncodingError (truncated)
        if status not in ANSWER_STATUSES and not 200 <= status < 300:
            raise UpstreamRejected(
                f"{SOURCE_NAMES[request.source]} rejected {request.describe()} with HTTP "
                f"{status}: {' '.join(text.split())[:200]}"
            )
        return ApiResponse(
            status=status,
            content_type=content_type,
            text=self._redactor.mask(text),
            url=self.url_for(request),
        )

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

    def _explain(self, error: BaseException | None) -> str:
        """Describe a failure without echoing URLs, which could carry an api_key."""
        if isinstance(error, _RetryableStatus):
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
        return type(error).__name__ if error else "unknown error"


def _retry_after_seconds(headers: Any) -> float | None:
    """Retry-After as seconds: either delta-seconds or an HTTP date (RFC 9110)."""
    value = headers.get("Retry-After")
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
