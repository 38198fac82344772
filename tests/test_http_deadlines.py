"""Time budgets and the body size cap. Deadlines are tiny and the assertions are about behaviour
(the error, how many requests went out, whether a wait was slept), never about speed."""

from __future__ import annotations

import threading
import tracemalloc
import zlib
from collections import Counter
from pathlib import Path

import pytest

from drafter.bundle import Bundle
from drafter.cli import main
from drafter.errors import DeadlineExceeded, MalformedResponse
from drafter.sources.http import HttpClient
from tests.conftest import fast_settings
from tests.http_helpers import OK, SleepRecorder, as_is, get
from tests.servers import Reply, ScriptedServer, SnapshotServer


def client_for(server: ScriptedServer, tmp_path: Path, **overrides: object) -> HttpClient:
    sleep = overrides.pop("sleep", SleepRecorder())
    settings = fast_settings(tmp_path, ctgov_url=server.url, **overrides)
    return HttpClient(settings, sleep=sleep)  # type: ignore[arg-type]


def test_a_drip_fed_body_stops_at_the_request_deadline(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    """One byte every 0.2 s never trips the 1 s read timeout, which is per read."""
    scripted.script("/drip", Reply(200, '{"studies": []}' * 10, drip=0.2))
    client = client_for(scripted, tmp_path, request_deadline=0.8, read_timeout=1.0)
    with pytest.raises(DeadlineExceeded, match=r"0\.8 s request deadline: the body was still"):
        client.fetch(get("/drip"), as_is)
    assert scripted.count("/drip") == 1


def test_a_retry_after_longer_than_the_deadline_fails_at_once(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/r", Reply(429, "", headers={"Retry-After": "100000"}), Reply(200, OK))
    sleep = SleepRecorder()
    client = client_for(scripted, tmp_path, sleep=sleep, retry_after_cap=3600)
    with pytest.raises(DeadlineExceeded, match="HTTP 429, Retry-After 100000 s after 1 attempt"):
        client.fetch(get("/r"), as_is)
    assert scripted.count("/r") == 1
    assert sleep.calls == [] and client.waits == []


def test_a_backoff_longer_than_what_is_left_fails_at_once(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/r", Reply(503, "down"))
    sleep = SleepRecorder()
    client = client_for(
        scripted, tmp_path, sleep=sleep, backoff_initial=5, backoff_max=10, request_deadline=2
    )
    with pytest.raises(DeadlineExceeded, match="HTTP 503 after 1 attempt"):
        client.fetch(get("/r"), as_is)
    assert scripted.count("/r") == 1 and sleep.calls == []


def test_a_server_that_never_answers_costs_one_deadline_not_four_read_timeouts(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/hang", Reply(200, OK, delay=5.0))
    client = client_for(scripted, tmp_path, request_deadline=0.5, read_timeout=30)
    with pytest.raises(DeadlineExceeded, match=r"0\.5 s request deadline: timed out"):
        client.fetch(get("/hang"), as_is)
    assert scripted.count("/hang") == 1


def test_the_step_deadline_bounds_the_request_and_nested_ones_only_shorten(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/hang", Reply(200, OK, delay=5.0))
    client = client_for(scripted, tmp_path, request_deadline=30, read_timeout=30)
    with (
        client.deadline(0.4, "optional-step deadline") as outer,
        client.deadline(100, "command deadline") as inner,
    ):
        assert inner is outer  # a longer nested budget does not extend the step's
        with pytest.raises(DeadlineExceeded, match=r"the 0\.4 s optional-step deadline"):
            client.fetch(get("/hang"), as_is)


def test_a_passed_deadline_sends_nothing_but_still_serves_the_cache(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/c", Reply(200, OK))
    scripted.script("/n", Reply(200, OK))
    client = client_for(scripted, tmp_path)
    client.fetch(get("/c"), as_is)
    with client.deadline(0.05):
        threading.Event().wait(0.1)  # local work used up the step's budget
        assert client.fetch(get("/c"), as_is).origin == "cache"
        with pytest.raises(DeadlineExceeded, match="no time left to send it"):
            client.fetch(get("/n"), as_is)
    assert scripted.count("/n") == 0


def test_a_rate_limit_wait_longer_than_the_deadline_fails_at_once(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/p", Reply(200, OK))
    sleep = SleepRecorder()
    client = client_for(
        scripted, tmp_path, sleep=sleep, min_interval={"ctgov": 50}, cache_ttl_seconds=0
    )
    client.fetch(get("/p"), as_is)
    with pytest.raises(DeadlineExceeded, match="rate limit outlasts it"):
        client.fetch(get("/p"), as_is)
    assert scripted.count("/p") == 1 and sleep.calls == []


def test_a_pause_from_a_429_says_so_when_it_outlasts_the_deadline(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    """A later command, even in another process, learns why it may not ask yet."""
    scripted.script("/p", Reply(429, "slow down", headers={"Retry-After": "100000"}))
    client = client_for(scripted, tmp_path, cache_ttl_seconds=0, retry_after_cap=60)
    with pytest.raises(DeadlineExceeded):
        client.fetch(get("/p"), as_is)
    later = client_for(scripted, tmp_path, cache_ttl_seconds=0)
    with pytest.raises(DeadlineExceeded, match=r"HTTP 429 Retry-After.*to wait \d+ s more"):
        later.fetch(get("/p"), as_is)
    assert scripted.count("/p") == 1


def test_deadlines_belong_to_their_thread(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/ok", Reply(200, OK, delay=0.2))
    client = client_for(scripted, tmp_path, cache_ttl_seconds=0)
    outcome: list[str] = []
    with client.deadline(0.05):
        worker = threading.Thread(
            target=lambda: outcome.append(client.fetch(get("/ok"), as_is).text)
        )
        worker.start()
        worker.join()
    assert outcome == [OK]


def test_an_invalid_deadline_is_refused(tmp_path: Path) -> None:
    client = HttpClient(fast_settings(tmp_path))
    for seconds in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError), client.deadline(seconds):
            pass


# --- size cap ------------------------------------------------------------------------------------


def gzip_of_zeros(megabytes: int) -> bytes:
    """A gzip body expanding to `megabytes` MiB, built without holding the expansion."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: gzip framing
    block = bytes(2**20)
    return b"".join(compressor.compress(block) for _ in range(megabytes)) + compressor.flush()


def test_a_gzip_bomb_is_stopped_at_the_cap_of_decoded_bytes(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    bomb = gzip_of_zeros(50)
    assert len(bomb) < 100_000
    scripted.script("/bomb", Reply(200, bomb, gzip=True))
    client = client_for(scripted, tmp_path, max_body_bytes=2**20)
    tracemalloc.start()
    try:
        with pytest.raises(MalformedResponse, match=r"sent more than 1 MiB for GET .* /bomb"):
            client.fetch(get("/bomb"), as_is)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2**20  # a few chunks beyond the cap, not the 50 MiB expansion
    assert scripted.count("/bomb") == 1  # an oversized answer is not retried


def test_a_body_within_the_cap_is_read_whole(scripted: ScriptedServer, tmp_path: Path) -> None:
    body = '{"x": "' + "a" * 200_000 + '"}'
    scripted.script("/big", Reply(200, body))
    client = client_for(scripted, tmp_path, max_body_bytes=2**20)
    assert client.fetch(get("/big"), as_is).text == body


def test_a_gzip_body_is_decoded(scripted: ScriptedServer, tmp_path: Path) -> None:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    scripted.script(
        "/z", Reply(200, compressor.compress(OK.encode()) + compressor.flush(), gzip=True)
    )
    assert client_for(scripted, tmp_path).fetch(get("/z"), as_is).text == OK


def test_a_fetch_whose_optional_sources_are_all_throttled_fails_them_at_once(
    snapshot_server: SnapshotServer,
    scripted: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: each 429 with a long Retry-After slept and retried, over ten minutes in all.
    Now each throttled source is asked once and its step becomes a gap at once."""
    scripted.fallback = Reply(429, "", headers={"Retry-After": "100000"})
    monkeypatch.setenv("DRAFTER_CTGOV_URL", snapshot_server.base_urls()["ctgov_url"])
    for source in ("opentargets", "chembl", "openfda", "pubmed"):
        monkeypatch.setenv(f"DRAFTER_{source.upper()}_URL", f"{scripted.url}/{source}")
    code = main(["fetch", "NCT05591222", "--json", "--as-of", "2026-05-20"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    bundle = Bundle.model_validate_json(captured.out)
    failed = [g.reason for g in bundle.gaps if "could not answer" in g.reason]
    assert {reason.split()[0] for reason in failed} == {"ChEMBL", "Open", "openFDA", "PubMed"}
    assert all("HTTP 429, Retry-After 100000 s after 1 attempt" in r for r in failed), failed
    asked = Counter(r.path.split("/")[1] for r in scripted.received)
    assert set(asked.values()) == {1}
