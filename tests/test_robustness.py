"""Bad settings, files and upstream answers give one-line errors (or a warning and carry on for
the cache), never tracebacks; API keys never come back out."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from drafter.bundle import Bundle
from drafter.cli import main
from drafter.errors import MalformedResponse
from drafter.sources import opentargets, pubmed
from drafter.sources.api import ApiResponse
from drafter.sources.cache import ResponseCache
from drafter.sources.http import HttpClient
from drafter.sources.ratelimit import RateLimiter
from tests.conftest import fast_settings
from tests.servers import Reply, ScriptedServer, SnapshotServer

NCT = "NCT05591222"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line_error(code: int, expected_code: int, out: str, err: str) -> None:
    assert code == expected_code
    assert out == ""
    assert err.startswith("drafter: ") and err.count("\n") == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv",
    [
        ["fetch", "NCT0559122\uff12", "--offline"],  # a full-width digit is not a digit here
        ["fetch", NCT, "--offline", "--as-of", "20260520"],
        ["fetch", NCT, "--offline", "--as-of", "2026-13-40"],
        ["mrs", "--target", "LILRA4", "--disease", "x", "--as-of", "yesterday", "--offline"],
        ["draft", NCT, "--offline", "--out", ""],  # not the current directory: `.` says that
        ["batch", "--since", "2010-01-01", "--offline", "--out", ""],
        ["verify", ""],
        ["draft", NCT, "--offline", "--db", ""],  # every command's --db, not only claims'
        ["fetch", NCT, "--offline", "--db", ""],
        ["mrs", "--target", "LILRA4", "--disease", "x", "--offline", "--db", ""],
        ["batch", "--since", "2010-01-01", "--offline", "--db", ""],
        ["record", NCT, "--db", ""],
        ["diff", "draft.json", "--db", ""],
    ],
)
def test_bad_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert_one_line_error(code, 2, out, err)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("DRAFTER_OFFLINE", "maybe", "DRAFTER_OFFLINE must be"),
        ("DRAFTER_CTGOV_URL", "ftp://example.org", "must be an http(s) URL"),
        ("DRAFTER_CTGOV_URL", "127.0.0.1/api", "must be an http(s) URL"),
        ("DRAFTER_CTGOV_URL", "http://127.0.0.1:99999/api", "bad port"),
        ("DRAFTER_CONFIG", "/nonexistent/drafter.toml", "does not exist"),
        ("DRAFTER_CACHE_TTL", "1e309", "cache_ttl_seconds"),  # infinity: never expiring
    ],
)
def test_bad_settings_exit_2(
    variable: str,
    value: str,
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(variable, value)
    code, out, err = run(capsys, "fetch", NCT)
    assert_one_line_error(code, 2, out, err)
    assert message in err


@pytest.mark.parametrize(
    "content",
    [
        b'model = "\xff"\n',
        b"model = [unclosed\n",
        b"connect_timeout = -1\n",
        b'read_timeout = "fast"\n',
        b"model = " + b"[" * 100_000 + b"]" * 100_000 + b"\n",  # RecursionError: exit 4
        b"# " + b"x" * 2**20 + b"\n",  # read whole: a 1 GB file took 2 GB of memory
    ],
)
def test_bad_config_file_exits_2(
    content: bytes,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = tmp_path / "bad.toml"
    config.write_bytes(content)
    monkeypatch.setenv("DRAFTER_CONFIG", str(config))
    code, out, err = run(capsys, "fetch", NCT, "--offline")
    assert_one_line_error(code, 2, out, err)


def test_unusable_cache_warns_and_carries_on(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    snapshot_server: SnapshotServer,
) -> None:
    """Live mode with a file where the cache directory should be: the fetch still works."""
    in_the_way = tmp_path / "not-a-dir"
    in_the_way.write_text("x")
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(in_the_way))
    for setting, url in snapshot_server.base_urls().items():
        monkeypatch.setenv(f"DRAFTER_{setting.upper()}", url)
    code, out, _ = run(capsys, "fetch", NCT, "--json")
    assert code == 0
    assert Bundle.model_validate_json(out).nct_id == NCT
    assert "response cache" in caplog.text and "continuing without it" in caplog.text


def test_corrupt_cache_database_warns_and_carries_on(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "http-cache.sqlite3").write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(cache))
    code, _, _ = run(capsys, "fetch", NCT, "--offline")
    assert code == 0
    assert "continuing without it" in caplog.text


@pytest.mark.parametrize("score", ["1.5", "-0.1", "NaN"])
def test_out_of_range_association_score_is_malformed(
    score: str, scripted: ScriptedServer, tmp_path: Path
) -> None:
    body = (
        '{"data": {"target": {"id": "ENSG00000239961", "associatedDiseases": {"rows": '
        f'[{{"score": {score}, "disease": {{"name": "x"}}}}]}}}}}}}}'
    )
    scripted.script("/graphql", Reply(200, body))
    client = HttpClient(fast_settings(tmp_path, opentargets_url=scripted.url + "/graphql"))
    with pytest.raises(MalformedResponse, match="Open Targets Platform answered"):
        opentargets.get_associations(client, "ENSG00000239961", disease_name="x")


def test_claim_dates_are_cleaned_or_refused_on_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = {
        "drug": "x3",
        "target_symbol": "Y3",
        "disease_name": "z3",
        "archetype": "efficacy",
        "category": "Negative",
        "phase": "PHASE2",
    }
    spaced = tmp_path / "spaced.jsonl"
    spaced.write_text(json.dumps({**base, "termination_posted": " 2025-05-14 "}) + "\n")
    assert run(capsys, "claims", "import", str(spaced))[0] == 0
    code, out, err = run(capsys, "claims", "list", "--target", "Y3", "--json")
    assert code == 0, err
    [stored] = json.loads(out)
    assert stored["termination_posted"] == "2025-05-14"
    year_zero = tmp_path / "zero.jsonl"
    year_zero.write_text(json.dumps({**base, "drug": "x4", "primary_completion": "0000"}) + "\n")
    code, out, err = run(capsys, "claims", "import", str(year_zero))
    assert_one_line_error(code, 2, out, err)
    assert "line 1" in err and "not a real date" in err


def test_a_key_echoed_by_the_upstream_never_comes_back_out(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    """NCBI's invalid-key answer echoes the key; it must not reach errors, gaps or bodies."""
    secret = "NCBISECRET123"
    echo = json.dumps({"error": "API key invalid", "api-key": secret, "type": "api-key"})
    scripted.script("/esearch.fcgi", Reply(400, echo))
    scripted.script(
        "/esummary.fcgi",
        Reply(200, json.dumps({"result": {"uids": ["1"], "1": {"uid": "1", "title": secret}}})),
    )
    client = HttpClient(fast_settings(tmp_path, pubmed_url=scripted.url, ncbi_api_key=secret))
    with pytest.raises(Exception) as error:
        pubmed.esearch(client, "NCT05591222")
    assert secret not in str(error.value)
    assert "***" in str(error.value)
    [summary] = pubmed.esummary(client, ["1"])
    assert summary.title == "***"


@contextmanager
def locked_for_a_moment(path: Path, seconds: float = 0.3) -> Iterator[None]:
    """Another process creating the same database file: it holds the write lock a moment."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("CREATE TABLE IF NOT EXISTS other (x)")
    release = threading.Timer(seconds, lambda: holder.execute("COMMIT"))
    release.start()
    try:
        yield
    finally:
        release.join()
        holder.close()


def test_a_cache_file_being_created_by_another_process_is_waited_for(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Switching a new file to WAL fails at once while another process holds it; before, that
    disabled the cache of every batch process but the first."""
    path = tmp_path / "http-cache.sqlite3"
    cache = ResponseCache(path)
    with locked_for_a_moment(path):
        cache.put("k", "GET x", ApiResponse(status=200, text="{}", url="http://x"))
    assert cache.get("k", max_age=None) is not None
    assert "unusable" not in caplog.text


def test_a_rate_limit_file_being_created_by_another_process_is_waited_for(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rate-limits.sqlite3"
    with locked_for_a_moment(path):
        assert RateLimiter({"ctgov": 0.01}, path).wait("ctgov") is not None
    assert "unusable" not in caplog.text
