"""The HTTP layer against local servers: retries and their waits, timeouts, truncation, 404s,
4xx without retry, the cache, offline misses, rate limits and secret handling."""

from __future__ import annotations

import base64
import logging
import time
from pathlib import Path

import pytest

from drafter import __version__
from drafter.errors import (
    EXIT_BAD_INPUT,
    EXIT_UPSTREAM,
    MalformedResponse,
    NotFound,
    OfflineMiss,
    UpstreamError,
    UpstreamRejected,
)
from drafter.sources import ctgov, openfda, pubmed
from drafter.sources.api import ApiRequest
from drafter.sources.http import HttpClient
from drafter.sources.ratelimit import RateLimiter
from tests.conftest import fast_settings
from tests.http_helpers import OK, SleepRecorder, as_is, assert_spaced, get
from tests.servers import Reply, ScriptedServer


def client_for(server: ScriptedServer, tmp_path: Path, **overrides: object) -> HttpClient:
    settings = fast_settings(tmp_path, ctgov_url=server.url, pubmed_url=server.url, **overrides)
    return HttpClient(settings, sleep=overrides.pop("sleep", SleepRecorder()))  # type: ignore[arg-type]


def test_429_waits_exactly_retry_after(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/r", Reply(429, "slow down", headers={"Retry-After": "3"}), Reply(200, OK))
    sleep = SleepRecorder()
    client = HttpClient(
        fast_settings(tmp_path, ctgov_url=scripted.url, retry_after_cap=10), sleep=sleep
    )
    response = client.fetch(get("/r"), as_is)
    assert response.status == 200
    assert scripted.count("/r") == 2
    assert client.waits == [3.0]


def test_retry_after_is_capped(scripted: ScriptedServer, tmp_path: Path) -> None:
    """Within the request deadline (30 s) a long Retry-After waits at most the cap; one longer
    than the deadline fails at once (tests/test_http_deadlines.py)."""
    scripted.script("/r", Reply(429, "", headers={"Retry-After": "20"}), Reply(200, OK))
    sleep = SleepRecorder()
    client = HttpClient(
        fast_settings(tmp_path, ctgov_url=scripted.url, retry_after_cap=2), sleep=sleep
    )
    client.fetch(get("/r"), as_is)
    assert client.waits == [2.0]


def test_retry_after_as_http_date(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script(
        "/r",
        Reply(503, "", headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
        Reply(200, OK),
    )
    client = HttpClient(fast_settings(tmp_path, ctgov_url=scripted.url), sleep=SleepRecorder())
    client.fetch(get("/r"), as_is)
    assert client.waits == [0.0]  # a date in the past means "now"


def test_500_then_200_backs_off_with_jitter(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/r", Reply(500, "boom"), Reply(502, "boom"), Reply(200, OK))
    client = HttpClient(
        fast_settings(tmp_path, ctgov_url=scripted.url, backoff_initial=1.0, backoff_max=30),
        sleep=SleepRecorder(),
    )
    assert client.fetch(get("/r"), as_is).json_body(get("/r")) == {"ok": True}
    assert scripted.count("/r") == 3
    first, second = client.waits
    assert 1.0 <= first <= 2.0  # initial 1 s plus up to 1 s of jitter
    assert 2.0 <= second <= 3.0  # doubled, plus jitter


def test_persistent_5xx_gives_upstream_error_after_max_attempts(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/r", Reply(503, "down"))
    client = HttpClient(
        fast_settings(tmp_path, ctgov_url=scripted.url, max_attempts=3), sleep=SleepRecorder()
    )
    with pytest.raises(UpstreamError) as error:
        client.fetch(get("/r"), as_is)
    assert scripted.count("/r") == 3
    assert len(client.waits) == 2
    assert "ClinicalTrials.gov unavailable after 3 attempts (HTTP 503)" in str(error.value)
    assert error.value.exit_code == EXIT_UPSTREAM


def test_stalled_response_times_out_and_retries(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/slow", Reply(200, OK, delay=1.0))
    settings = fast_settings(tmp_path, ctgov_url=scripted.url, read_timeout=0.2, max_attempts=2)
    client = HttpClient(settings, sleep=SleepRecorder())
    with pytest.raises(UpstreamError, match="timed out"):
        client.fetch(get("/slow"), as_is)
    assert scripted.count("/slow") == 2


def test_truncated_body_is_retried_then_succeeds(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/t", Reply(200, '{"studies": [1, 2, 3]}', truncate_to=7), Reply(200, OK))
    client = client_for(scripted, tmp_path)
    assert client.fetch(get("/t"), as_is).text == OK
    assert scripted.count("/t") == 2


def test_always_truncated_body_fails_naming_the_source(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/t", Reply(200, '{"studies": [1, 2, 3]}', truncate_to=7))
    client = client_for(scripted, tmp_path, max_attempts=2)
    with pytest.raises(UpstreamError, match=r"ClinicalTrials\.gov .*truncated"):
        client.fetch(get("/t"), as_is)


def test_malformed_json_names_the_source(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/studies/NCT05591222", Reply(200, '{"protocolSection": {"identif'))
    client = client_for(scripted, tmp_path)
    with pytest.raises(MalformedResponse, match=r"ClinicalTrials\.gov sent a malformed"):
        ctgov.get_study(client, "NCT05591222")
    assert scripted.count("/studies/NCT05591222") == 1


def test_text_plain_404_is_not_found(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script(
        "/studies/NCT99999999",
        Reply(404, "NCT number NCT99999999 not found", content_type="text/plain"),
    )
    client = client_for(scripted, tmp_path)
    with pytest.raises(NotFound, match="NCT99999999 not found") as error:
        ctgov.get_study(client, "nct99999999")
    assert error.value.exit_code == EXIT_BAD_INPUT
    assert scripted.count("/studies/NCT99999999") == 1  # a 404 is an answer, not retried


def test_other_4xx_is_not_retried(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/bad", Reply(400, '{"message": "bad parameter"}'))
    client = client_for(scripted, tmp_path)
    with pytest.raises(UpstreamRejected, match=r"HTTP 400: .*bad parameter"):
        client.fetch(get("/bad"), as_is)
    assert scripted.count("/bad") == 1


def test_connection_refused_is_upstream_unavailable(tmp_path: Path) -> None:
    settings = fast_settings(tmp_path, ctgov_url="http://127.0.0.1:9", max_attempts=2)
    client = HttpClient(settings, sleep=SleepRecorder())
    with pytest.raises(UpstreamError, match="connection failed") as error:
        client.fetch(get("/studies/NCT05591222"), as_is)
    assert error.value.exit_code == EXIT_UPSTREAM


def test_user_agent_names_drafter_and_version(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/ua", Reply(200, OK))
    client_for(scripted, tmp_path).fetch(get("/ua"), as_is)
    assert scripted.received[0].headers["User-Agent"].startswith(f"drafter/{__version__}")


def test_second_request_is_served_from_cache(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/c", Reply(200, OK))
    first = client_for(scripted, tmp_path)
    assert first.fetch(get("/c"), as_is).origin == "network"
    first.close()
    again = client_for(scripted, tmp_path)  # a new process would open the same cache file
    answer = again.fetch(get("/c"), as_is)
    assert answer.origin == "cache"
    assert answer.text == OK
    assert scripted.count("/c") == 1
    assert again.network_requests == 0


def test_expired_cache_entry_is_refetched(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/c", Reply(200, OK))
    client = client_for(scripted, tmp_path, cache_ttl_seconds=0)
    client.fetch(get("/c"), as_is)
    client.fetch(get("/c"), as_is)
    assert scripted.count("/c") == 2


def test_errors_are_not_cached(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/e", Reply(500, "x"), Reply(500, "x"), Reply(200, OK))
    client = client_for(scripted, tmp_path, max_attempts=2)
    with pytest.raises(UpstreamError):
        client.fetch(get("/e"), as_is)
    assert client.fetch(get("/e"), as_is).text == OK


def test_offline_serves_expired_cache_then_snapshot_and_names_misses(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/c", Reply(200, OK))
    client_for(scripted, tmp_path, cache_ttl_seconds=0).fetch(get("/c"), as_is)
    offline = client_for(scripted, tmp_path, offline=True)
    assert offline.fetch(get("/c"), as_is).origin == "cache"
    recorded = offline.fetch(get("/studies/NCT05591222"), as_is)
    assert recorded.origin == "snapshot"
    with pytest.raises(OfflineMiss) as error:
        offline.fetch(ApiRequest(source="chembl", path="/molecule/CHEMBL1.json"), as_is)
    assert "GET ChEMBL /molecule/CHEMBL1.json" in str(error.value)
    assert error.value.exit_code == EXIT_UPSTREAM
    assert scripted.count("/c") == 1


def test_rate_limiter_spaces_requests_per_source() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = RateLimiter({"pubmed": 1 / 3, "openfda": 0.25}, clock=lambda: now[0], sleep=sleep)
    waits = [limiter.wait("pubmed") for _ in range(3)]
    assert waits == pytest.approx([0.0, 1 / 3, 1 / 3])
    assert limiter.wait("openfda") == 0.0  # another source has its own clock
    assert limiter.wait("chembl") == 0.0  # no interval configured


def test_rate_limit_is_applied_on_the_wire(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/p", Reply(200, OK))
    client = HttpClient(
        fast_settings(
            tmp_path, ctgov_url=scripted.url, min_interval={"ctgov": 0.15}, cache_ttl_seconds=0
        )
    )
    since = time.monotonic()
    for _ in range(3):
        client.fetch(get("/p"), as_is)
    assert_spaced([r.at for r in scripted.received], since, 0.15)


def test_api_key_is_sent_but_never_cached_logged_or_echoed(
    scripted: ScriptedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "sekrit-ncbi-key-123"
    scripted.script(
        "/esearch.fcgi",
        Reply(200, '{"esearchresult": {"count": "1", "idlist": ["7647779"]}}'),
    )
    scripted.script("/esummary.fcgi", Reply(503, "down"))
    caplog.set_level(logging.DEBUG)
    client = client_for(scripted, tmp_path, ncbi_api_key=secret, max_attempts=2)
    result = pubmed.esearch(client, "NCT05591222")
    assert result.count == 1 and result.idlist == ["7647779"]
    assert scripted.received[0].query["api_key"] == secret
    assert scripted.received[0].query["tool"] == "drafter"
    with pytest.raises(UpstreamError) as error:
        pubmed.esummary(client, ["7647779"])
    client.close()
    assert secret not in str(error.value)
    assert secret not in caplog.text
    cache_bytes = b"".join(p.read_bytes() for p in (tmp_path / "cache").iterdir())
    assert secret.encode() not in cache_bytes
    assert "api_key" not in client.url_for(ApiRequest(source="pubmed", path="/esearch.fcgi"))


def test_openfda_key_travels_as_basic_auth_not_in_the_url(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    secret = "sekrit-fda-key"
    scripted.script("/drug/event.json", Reply(404, '{"error": {"code": "NOT_FOUND"}}'))
    settings = fast_settings(tmp_path, openfda_url=scripted.url, openfda_api_key=secret)
    summary = openfda.count_reports(HttpClient(settings), ["daxdilimab"])
    assert summary.total_reports == 0
    received = scripted.received[0]
    assert "api_key" not in received.query
    assert secret not in received.path
    expected = base64.b64encode(f"{secret}:".encode()).decode()
    assert received.headers["Authorization"] == f"Basic {expected}"


def test_a_huge_value_is_cut_in_a_requests_description() -> None:
    """An upstream's two-megabyte page token once made every error line about its page two
    megabytes long; the usual values are shown whole."""
    token = "t" * 2_000_000
    request = ApiRequest(
        source="ctgov", path="/studies", params={"pageToken": token, "pageSize": "100"}
    )
    described = request.describe()
    assert len(described) < 400
    assert "pageSize=100" in described and "(2,000,000 characters)" in described
    usual = ApiRequest(source="ctgov", path="/studies", params={"filter.advanced": "A" * 150})
    assert usual.describe().endswith("filter.advanced=" + "A" * 150)
