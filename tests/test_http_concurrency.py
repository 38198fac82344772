"""One HttpClient shared by 8 threads, and 2 processes sharing a cache dir, keep each source's
minimum spacing on the wire; a Retry-After heard by one worker pauses all of them."""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from drafter.sources.http import HttpClient
from tests.conftest import fast_settings
from tests.http_helpers import CLOCKS, OK, as_is, assert_spaced, get
from tests.servers import Reply, ScriptedServer

INTERVAL = 0.1


def arrivals(server: ScriptedServer) -> list[float]:
    return [r.at for r in server.received]


def spaced_client(server: ScriptedServer, tmp_path: Path, **overrides: object) -> HttpClient:
    settings = fast_settings(
        tmp_path,
        ctgov_url=server.url,
        min_interval={"ctgov": INTERVAL},
        cache_ttl_seconds=0,
        **overrides,
    )
    return HttpClient(settings)


def test_eight_threads_sharing_one_client_keep_the_spacing(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/p", Reply(200, OK))
    since = time.monotonic()
    with spaced_client(scripted, tmp_path) as client, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: client.fetch(get("/p"), as_is).text, range(24)))
        assert client.network_requests == 24
    assert answers == [OK] * 24
    assert len(scripted.received) == 24
    assert_spaced(arrivals(scripted), since, INTERVAL)


WORKER = """
import sys, time
from pathlib import Path
from drafter.config import Settings
from drafter.sources.api import ApiRequest
from drafter.sources.http import HttpClient

cache_dir, url, interval, name, ready, go, count = sys.argv[1:]
settings = Settings(
    cache_dir=Path(cache_dir),
    ctgov_url=url,
    min_interval={"ctgov": float(interval)},
    cache_ttl_seconds=0,
)
with HttpClient(settings) as client:
    Path(ready).touch()
    while not Path(go).exists():
        time.sleep(0.01)
    for _ in range(int(count)):
        client.fetch(ApiRequest(source="ctgov", path="/p", params={"worker": name}), lambda r: r)
"""


def test_two_processes_sharing_a_cache_dir_keep_the_spacing(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/p", Reply(200, OK))
    go = tmp_path / "go"
    workers = []
    for name in ("a", "b"):
        ready = tmp_path / f"ready-{name}"
        argv = [
            str(tmp_path / "cache"),
            scripted.url,
            str(INTERVAL),
            name,
            str(ready),
            str(go),
            "8",
        ]
        process = subprocess.Popen(
            [sys.executable, "-c", WORKER, *argv], stderr=subprocess.PIPE, text=True
        )
        workers.append((ready, process))
    deadline = time.monotonic() + 60
    while not all(ready.exists() for ready, _ in workers) and time.monotonic() < deadline:
        time.sleep(0.01)
    since = time.monotonic()
    go.touch()
    errors = [process.communicate(timeout=60)[1] for _, process in workers]
    assert [process.returncode for _, process in workers] == [0, 0]
    assert errors == ["", ""]  # no "rate-limit store unusable" fallback in either
    in_order = sorted(scripted.received, key=lambda r: r.at)
    assert len(in_order) == 16
    names = [r.query["worker"] for r in in_order]
    assert sum(a != b for a, b in itertools.pairwise(names)) >= 1  # they did overlap
    assert_spaced(arrivals(scripted), since, INTERVAL)


@pytest.mark.parametrize("shared", [True, False], ids=["one-client", "a-client-each"])
def test_a_retry_after_heard_by_one_worker_pauses_every_worker(
    shared: bool, scripted: ScriptedServer, tmp_path: Path
) -> None:
    """A client each stands for separate processes: the pause travels through the store."""
    scripted.script("/busy", Reply(429, "", headers={"Retry-After": "1"}), Reply(200, OK))
    scripted.script("/p", Reply(200, OK))
    first = HttpClient(fast_settings(tmp_path, ctgov_url=scripted.url, retry_after_cap=5))
    other = first if shared else HttpClient(first.settings)
    throttled = threading.Thread(target=first.fetch, args=(get("/busy"), as_is))
    throttled.start()
    while scripted.count("/busy") == 0:
        time.sleep(0.005)
    heard_at = scripted.received[0].at
    # requests already in flight cannot know of a pause: the others start once the 429 has
    # reached the client and its pause is where `other` reads it (a fixed 0.3 s sleep only
    # hoped so: on a loaded machine the 429 can take longer to arrive)
    while other._limiter.paused_until("ctgov") == 0:
        time.sleep(0.01)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda i: other.fetch(get("/p", n=str(i)), as_is), range(4)))
    throttled.join()
    later = [r.at for r in scripted.received if r.path == "/p"]
    assert len(later) == 4
    assert min(later) >= heard_at + 1 - CLOCKS
    first.close()
    other.close()


def test_an_unusable_rate_limit_store_warns_once_and_still_spaces_requests(
    scripted: ScriptedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    in_the_way = tmp_path / "not-a-dir"
    in_the_way.write_text("x")
    scripted.script("/p", Reply(200, OK))
    since = time.monotonic()
    with spaced_client(scripted, tmp_path, cache_dir=in_the_way) as client:
        for _ in range(4):
            client.fetch(get("/p"), as_is)
    warnings = [r for r in caplog.records if "rate-limit store" in r.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert_spaced(arrivals(scripted), since, INTERVAL)
