"""`drafter batch` over 200 trials and a model that misbehaves (issue 9), all on 127.0.0.1:
the fleet server (tests/ctgov_fleet.py) as ClinicalTrials.gov and the other sources, and a
local chat-completions server whose answers are, at fixed seeded rates, HTTP 500, malformed
JSON, a stall past the model call timeout, or a 429 with a short Retry-After, else the careful
answer of tests/drafting_model.py.

The fault a request gets is drawn from a random generator seeded by (SEED, the request's
content without its random fence tokens, how many times that content was asked before): the
same trial, section and attempt get the same faults whatever order the concurrent workers ask
in, so a run's outcome does not depend on thread timing, and a retried request draws afresh.

DRAFTER_FAULT_TRIALS sets the fleet size (default 200, the issue's size; smaller only for a
quick local look).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drafter.cli import main
from drafter.draft_model import Draft
from tests.ctgov_fleet import CtgovFleet, running_fleet
from tests.drafting_model import model
from tests.openai_server import (
    OpenAIServer,
    malformed_json,
    rate_limited,
    server_error,
    stalled,
)
from tests.servers import Reply
from tests.subprocesses import start_drafter, wait_for_lines
from tests.test_batch import AS_OF, complete

SIZE = int(os.environ.get("DRAFTER_FAULT_TRIALS", "200"))
SEED = 20260520
CONCURRENCY = "16"
# A model call is abandoned (and retried) after MODEL_TIMEOUT; a stalled answer starts later.
MODEL_TIMEOUT = "1.5"
STALL_SECONDS = 3.0
# Cumulative thresholds of one draw in [0, 1): 500 (10 %), malformed JSON (5 %), stall (2 %),
# 429 with Retry-After 0 or 1 s (5 %); the remaining 78 % answer carefully.
RATES = (("server_error", 0.10), ("malformed_json", 0.05), ("stall", 0.02), ("rate_limited", 0.05))
FENCE_TOKEN = re.compile(r"DATA [0-9a-f]{12}>>")
FINISHED = {"drafted", "needs_editor"}


class Faulty:
    """A responder for OpenAIServer: a seeded fault, or the careful model's answer."""

    def __init__(self, seed: int = SEED) -> None:
        self.seed = seed
        self.careful = model()
        self.seen: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.lock = threading.Lock()

    def draw(self, body: dict[str, Any]) -> tuple[str, random.Random]:
        text = FENCE_TOKEN.sub("DATA >>", json.dumps(body["messages"], sort_keys=True))
        key = hashlib.sha256(text.encode()).hexdigest()
        with self.lock:
            asked = self.seen[key]
            self.seen[key] += 1
        rng = random.Random(f"{self.seed}:{key}:{asked}")
        roll = rng.random()
        for kind, rate in RATES:
            if roll < rate:
                return kind, rng
            roll -= rate
        return "answer", rng

    def __call__(self, body: dict[str, Any]) -> Reply:
        kind, rng = self.draw(body)
        with self.lock:
            self.faults[kind] += 1
        if kind == "server_error":
            return server_error()
        if kind == "malformed_json":
            return malformed_json()
        if kind == "stall":
            return stalled(STALL_SECONDS, self.careful(body))
        if kind == "rate_limited":
            return rate_limited(retry_after=str(rng.randint(0, 1)))
        return self.careful(body)

    def mix(self) -> str:
        total = sum(self.faults.values())
        shares = ", ".join(f"{k} {n} ({n / total:.1%})" for k, n in self.faults.most_common())
        return f"{total} model requests: {shares}"


@pytest.fixture(scope="module")
def fleet() -> Iterator[CtgovFleet]:
    with running_fleet(size=SIZE) as server:
        yield server


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One response cache for the module: the first run fetches every trial (at the sources'
    real rate limits, about four minutes for 200), later runs and tests read it back."""
    return tmp_path_factory.mktemp("fault-cache")


@pytest.fixture
def faulty(
    fleet: CtgovFleet, shared_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Faulty]:
    responder = Faulty()
    server = OpenAIServer(responder=responder)
    server.start()
    for name, value in fleet.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(shared_cache))
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-faults-0000")
    monkeypatch.setenv("DRAFTER_MODEL_TIMEOUT", MODEL_TIMEOUT)
    monkeypatch.setenv("DRAFTER_MODEL_CONCURRENCY", CONCURRENCY)
    yield responder
    server.stop()


def command(out: Path) -> list[str]:
    return [
        "batch",
        "--since",
        "2010-01-01",
        "--writer",
        "openai",
        "--out",
        str(out),
        "--as-of",
        AS_OF,
        "--concurrency",
        CONCURRENCY,
        "--json",
    ]


def report(out: Path) -> dict[str, dict[str, Any]]:
    """The last line of batch.jsonl per trial (a run rewrites the report)."""
    found: dict[str, dict[str, Any]] = {}
    for line in (out / "batch.jsonl").read_text().splitlines():
        entry = json.loads(line)
        found[entry["nct_id"]] = entry
    return found


def assert_reported(out: Path, fleet: CtgovFleet) -> list[str]:
    """Every trial has one line: finished, skipped or failed with a stage and a reason.
    Returns the failed ones."""
    lines = (out / "batch.jsonl").read_text().splitlines()
    assert len(lines) == len(fleet.nct_ids)
    found = report(out)
    assert sorted(found) == sorted(fleet.nct_ids)
    failed = []
    for nct, line in found.items():
        assert line["status"] in FINISHED | {"skipped", "failed"}, line
        if line["status"] == "failed":
            assert line["stage"] and line["reason"], line
            failed.append(nct)
    return failed


def assert_all_complete(out: Path, db: Path, fleet: CtgovFleet) -> None:
    for nct in fleet.nct_ids:
        assert complete(out, nct, "openai", "gpt-4o-mini"), nct
        Draft.model_validate_json((out / nct / "draft.json").read_text())
        assert not [p.name for p in (out / nct).iterdir() if p.name.startswith(".")], nct
    # one claim per trial that files one (a trial whose target resolved), never two
    targeted = {
        nct
        for nct in fleet.nct_ids
        if json.loads((out / nct / "evidence.json").read_text())["target"] is not None
    }
    with sqlite3.connect(db) as conn:
        counts = dict(
            conn.execute(
                "SELECT nct_id, COUNT(*) FROM claims WHERE nct_id LIKE 'NCT9%' GROUP BY nct_id"
            ).fetchall()
        )
    assert targeted and counts == dict.fromkeys(targeted, 1)


@pytest.mark.timeout(600)
def test_a_faulty_model_leaves_every_trial_drafted_or_failed_and_a_rerun_completes(
    tmp_path: Path,
    fleet: CtgovFleet,
    faulty: Faulty,
    capsys: pytest.CaptureFixture[str],
) -> None:
    responder = faulty
    out = tmp_path / "out"
    started = time.monotonic()
    code = main(command(out))
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    first = time.monotonic() - started
    assert code in (0, 1), captured.err
    assert summary["stopped"] is None and summary["not_started"] == 0
    failed = assert_reported(out, fleet)
    assert summary["counts"]["failed"] == len(failed)
    for nct in failed:  # a model that failed every attempt of one call: the draft stage
        line = report(out)[nct]
        assert line["stage"] == "draft", line
        assert not (out / nct / "manifest.json").exists()
    mix = responder.mix()
    # every fault kind happened, at about its rate
    shares = {k: n / sum(responder.faults.values()) for k, n in responder.faults.items()}
    for kind, rate in RATES:
        assert rate / 2 < shares.get(kind, 0) < rate * 2, mix

    # the second run skips the finished trials and redoes the failed ones (faults still on;
    # with this seed none fails twice)
    started = time.monotonic()
    code = main(command(out))
    captured = capsys.readouterr()
    second = time.monotonic() - started
    assert code in (0, 1), captured.err
    assert assert_reported(out, fleet) == []
    redone = {n for n, line in report(out).items() if line["status"] != "skipped"}
    assert redone == set(failed)
    assert_all_complete(out, tmp_path / "claims.sqlite3", fleet)
    print(
        f"\nfaults: {mix}; first run {first:.0f} s, {len(failed)} failed {failed}; "
        f"second run {second:.0f} s"
    )


def start_batch(out: Path) -> subprocess.Popen[str]:
    return start_drafter(*command(out))


@pytest.mark.timeout(600)
def test_a_batch_killed_mid_way_resumes_to_200_complete_drafts(
    tmp_path: Path, fleet: CtgovFleet, faulty: Faulty
) -> None:
    responder = faulty
    out = tmp_path / "out"
    process = start_batch(out)
    wait_for_lines(out, len(fleet.nct_ids) // 4, process, timeout=300)  # a cold fetch is slow
    process.kill()
    process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL
    done = [n for n in fleet.nct_ids if complete(out, n, "openai", "gpt-4o-mini")]
    assert 0 < len(done) < len(fleet.nct_ids)
    # resume with the model still faulty; a trial whose call failed every attempt is reported
    # failed, and the next run redoes it (at most two more runs)
    runs = []
    for _ in range(3):
        rerun = start_batch(out)
        stdout, stderr = rerun.communicate(timeout=600)
        assert rerun.returncode in (0, 1), stderr
        summary = json.loads(stdout)
        runs.append(summary["counts"])
        failed = assert_reported(out, fleet)
        if not failed:
            break
    else:
        raise AssertionError(f"still failing after 3 resumed runs: {runs}")
    first_resume = runs[0]
    # the resumed run skipped what the killed one finished, and redid no trial twice
    assert first_resume["skipped"] >= len(done)
    assert_all_complete(out, tmp_path / "claims.sqlite3", fleet)
    print(f"\nkilled after {len(done)} complete; resumed runs {runs}; {responder.mix()}")
