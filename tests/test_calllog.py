"""The call log: one row per model call, browsable with plain sqlite3, versioned, safe under
threads and processes, and never holding an API key."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from drafter.calllog import SCHEMA_VERSION, CallLog, CallRecord
from drafter.errors import BadInput
from drafter.section_models import SectionText
from drafter.sources.redact import register_secrets
from drafter.writers.base import Message, Usage, WriteRequest, WriteResult
from tests.conftest import REPO

KEY = "sk-calllog-test-9c2e71d04b5a"
OUTPUT = SectionText.model_validate(
    {
        "paragraphs": [
            {"text": "It stopped.", "cites": ["F1"], "kind": "fact", "grade": "documented"}
        ]
    }
)


@dataclass
class StubWriter:
    """The provenance a writer reports; the call log reads nothing else of it."""

    name: str = "openai"
    model: str = "gpt-4o-mini"
    endpoint: str | None = "api.openai.com"

    def write(self, request: WriteRequest) -> WriteResult:
        raise NotImplementedError


def request(
    section: str = "what_was_tried", attempt: int = 1, prompt: str = "Facts: F1"
) -> WriteRequest:
    return WriteRequest(
        section=section,
        heading="What was tried",
        messages=[
            Message(role="system", content="You draft."),
            Message(role="user", content=prompt),
        ],
        output=SectionText,
        facts={},
        analytic=False,
        attempt=attempt,
    )


def good_result() -> WriteResult:
    return WriteResult(
        output=OUTPUT,
        raw=OUTPUT.model_dump_json(),
        model="gpt-4o-mini-2024-07-18",
        request_id="req_7",
        usage=Usage(prompt_tokens=1000, completion_tokens=500),
        latency_seconds=1.25,
    )


def record(
    section: str = "what_was_tried", draft_id: str = "draft-1", **changes: object
) -> CallRecord:
    base = CallRecord.of(
        StubWriter(),
        request(section),
        good_result(),
        draft_id=draft_id,
        nct_id="NCT05591222",
        template_hash="sha256:abc",
        created=datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
    )
    return base.model_copy(update=changes)


def test_a_call_round_trips_with_its_prompt_output_usage_and_cost(tmp_path: Path) -> None:
    failed = WriteResult(
        output=None, raw="{", problem="malformed_json", detail="Invalid JSON", model="llama3.1:8b"
    )
    with CallLog(tmp_path / "calls.sqlite3") as log:
        first = log.add(record())
        second = log.add(
            CallRecord.of(
                StubWriter(endpoint="127.0.0.1:11434"),
                request(attempt=2),
                failed,
                draft_id="draft-1",
                nct_id="NCT05591222",
                template_hash=None,
                validation_errors=["F9 is not a fact of this section"],
            )
        )
        stored = log.records(draft_id="draft-1")
    assert second > first
    assert stored[0] == record()
    assert stored[0].cost_usd == pytest.approx((1000 * 0.15 + 500 * 0.60) / 1_000_000)
    assert SectionText.model_validate_json(stored[0].output or "") == OUTPUT
    assert stored[1].attempt == 2 and stored[1].problem == "malformed_json"
    assert stored[1].output is None and stored[1].cost_usd is None  # unpriced, not $0
    assert stored[1].validation_errors == ["F9 is not a fact of this section"]
    assert stored[1].endpoint == "127.0.0.1:11434"


def test_the_file_reads_with_plain_sqlite3(tmp_path: Path) -> None:
    path = tmp_path / "calls.sqlite3"
    with CallLog(path) as log:
        log.add(record())
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT nct_id, section, attempt, writer, model, endpoint, template_hash, prompt,"
            " raw_response, output, problem, validation_errors, prompt_tokens,"
            " completion_tokens, latency_seconds, request_id, created FROM calls"
        ).fetchone()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()
    assert row[:7] == (
        "NCT05591222",
        "what_was_tried",
        1,
        "openai",
        "gpt-4o-mini-2024-07-18",
        "api.openai.com",
        "sha256:abc",
    )
    assert json.loads(row[7]) == [
        {"role": "system", "content": "You draft."},
        {"role": "user", "content": "Facts: F1"},
    ]
    assert json.loads(row[9])["paragraphs"][0]["cites"] == ["F1"]
    assert row[10] is None and json.loads(row[11]) == []
    assert row[12:16] == (1000, 500, 1.25, "req_7")
    assert row[16] == "2026-11-28T12:00:00.000000+00:00"
    assert version == SCHEMA_VERSION


def test_records_filter_by_draft(tmp_path: Path) -> None:
    with CallLog(tmp_path / "calls.sqlite3") as log:
        log.add(record(draft_id="a"))
        log.add(record(draft_id="b"))
        assert [r.draft_id for r in log.records()] == ["a", "b"]
        assert [r.draft_id for r in log.records(draft_id="b")] == ["b"]


def test_an_api_key_is_never_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    from_config = "sk-from-config-file-55aa31"
    register_secrets([from_config])  # a key from the config file is known to the redactor
    leaky = record(
        messages=[Message(role="user", content=f"my key is {KEY} and {from_config}")],
        raw_response=f"echo {KEY}",
        detail=f"detail {from_config}",
        validation_errors=[f"error {KEY}"],
    )
    path = tmp_path / "calls.sqlite3"
    with CallLog(path) as log:
        log.add(leaky)
        stored = log.records()[0]
    assert stored.raw_response == "echo ***"
    for file in tmp_path.glob("calls.sqlite3*"):
        data = file.read_bytes()
        assert KEY.encode() not in data and from_config.encode() not in data


def newer_schema(path: Path) -> None:
    CallLog(path).close()
    with closing(sqlite3.connect(path)) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")


def foreign_tables(path: Path) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE something (x)")
        conn.commit()


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (newer_schema, "newer than this drafter supports"),
        (foreign_tables, "not a drafter call log"),
    ],
)
def test_a_file_that_is_no_call_log_of_ours_is_refused(
    tmp_path: Path, spoil: Callable[[Path], None], message: str
) -> None:
    path = tmp_path / "calls.sqlite3"
    spoil(path)
    with pytest.raises(BadInput, match=message):
        CallLog(path)


def test_reopening_keeps_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "calls.sqlite3"
    with CallLog(path) as log:
        log.add(record())
    with CallLog(path) as log:
        assert len(log.records()) == 1


def test_eight_threads_log_through_one_call_log(tmp_path: Path) -> None:
    with CallLog(tmp_path / "calls.sqlite3") as log:
        with ThreadPoolExecutor(max_workers=8) as pool:
            ids = list(pool.map(lambda n: log.add(record(section=f"s{n}")), range(200)))
        stored = log.records()
    assert len(set(ids)) == 200
    assert sorted(r.section for r in stored) == sorted(f"s{n}" for n in range(200))


WORKER = """
import sys
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from tests.test_calllog import record
from drafter.calllog import CallLog
with CallLog(Path(sys.argv[2])) as log:
    for n in range(int(sys.argv[4])):
        log.add(record(section=f"{sys.argv[3]}-{n}"))
"""


def test_several_processes_log_to_one_file(tmp_path: Path) -> None:
    path = tmp_path / "calls.sqlite3"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(REPO), str(path), f"p{index}", "60"],
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(3)
    ]
    for process in processes:
        _, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
    with CallLog(path) as log:
        sections = [r.section for r in log.records()]
    assert sorted(sections) == sorted(f"p{i}-{n}" for i in range(3) for n in range(60))
