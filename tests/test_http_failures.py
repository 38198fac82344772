"""Every transport failure is one typed line (never a traceback) and no key or credential ever
leaves the HTTP layer: not in an error, its chained causes, a log record, a URL or the cache."""

from __future__ import annotations

import base64
import logging
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from drafter.bundle import Bundle
from drafter.cli import main
from drafter.errors import EXIT_UPSTREAM, DeadlineExceeded, UpstreamError
from drafter.sources import ctgov, pubmed
from drafter.sources.http import HttpClient
from drafter.sources.redact import LOGGERS_SEEING_URLS
from tests.conftest import SNAPSHOT_DIR, fast_settings
from tests.http_helpers import OK, as_is, get
from tests.servers import Reply, ScriptedServer, SnapshotServer

NCT = "NCT05591222"
KEY = "sekrit-ncbi-key-4f2a9c"


def redirect(location: str) -> Reply:
    return Reply(302, "", headers={"Location": location})


def chain(error: BaseException) -> Iterator[BaseException]:
    """The error and every exception chained to it, shown or suppressed."""
    seen: set[int] = set()
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending += [current.__cause__, current.__context__]


def everything_said(error: BaseException) -> str:
    """All a traceback, a logger or a debugger could print about the error."""
    parts = ["".join(traceback.format_exception(error))]
    for link in chain(error):
        parts += [str(link), repr(link), repr(vars(link)) if hasattr(link, "__dict__") else ""]
    return "\n".join(parts)


BROKEN_REDIRECTS = {
    "loop": ([redirect("/r")], "more than 5 redirects"),
    "file-scheme": ([redirect("file:///etc/passwd")], "non-HTTP URL (file scheme)"),
    "ftp-scheme": ([redirect("ftp://127.0.0.1/x")], "non-HTTP URL (ftp scheme)"),
    "no-host": ([redirect("http://:80/x")], "URL without a host"),
    "bad-port": ([redirect("http://127.0.0.1:99999/x")], "unreadable Location"),
    "bad-ipv6": ([redirect("http://[::1/x")], "unreadable Location"),
}


@pytest.mark.parametrize(
    ("replies", "message"), BROKEN_REDIRECTS.values(), ids=BROKEN_REDIRECTS.keys()
)
def test_broken_redirects_are_one_upstream_error(
    replies: list[Reply], message: str, scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/r", *replies)
    client = HttpClient(fast_settings(tmp_path, ctgov_url=scripted.url))
    with pytest.raises(UpstreamError) as error:
        client.fetch(get("/r"), as_is)
    assert message in str(error.value)
    assert str(error.value).startswith("ClinicalTrials.gov could not be asked GET")
    assert error.value.exit_code == EXIT_UPSTREAM
    assert scripted.count("/r") <= 6  # the first request and at most 5 redirects, no retries


def test_a_redirect_to_another_path_is_followed(scripted: ScriptedServer, tmp_path: Path) -> None:
    scripted.script("/old", Reply(301, "", headers={"Location": "/new?x=1"}))
    scripted.script("/new", Reply(200, OK))
    client = HttpClient(fast_settings(tmp_path, ctgov_url=scripted.url))
    answer = client.fetch(get("/old"), as_is)
    assert answer.text == OK
    assert answer.url == scripted.url + "/old"  # the URL asked for, as the bundle cites it
    assert scripted.received[-1].query == {"x": "1"}


def test_a_redirect_loop_in_an_optional_source_is_a_gap_not_a_failed_fetch(
    snapshot_server: SnapshotServer,
    scripted: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for setting, url in snapshot_server.base_urls().items():
        monkeypatch.setenv(f"DRAFTER_{setting.upper()}", url)
    monkeypatch.setenv("DRAFTER_PUBMED_URL", scripted.url)
    scripted.script("/esearch.fcgi", redirect("/esearch.fcgi"))
    code = main(["fetch", NCT, "--json", "--as-of", "2026-05-20"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    bundle = Bundle.model_validate_json(captured.out)
    [gap] = [g for g in bundle.gaps if g.step == "pubmed search"]
    assert "more than 5 redirects" in gap.reason


@pytest.mark.parametrize("value", ["١٢", "²", "12abc", "-5", "soon", "Wed, 21 Oct 99999 07:28 GMT"])
def test_a_retry_after_that_is_not_ascii_seconds_or_a_date_is_ignored(
    value: str, scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/r", Reply(429, "", headers={"Retry-After": value}), Reply(200, OK))
    settings = fast_settings(tmp_path, ctgov_url=scripted.url, backoff_initial=0.01)
    client = HttpClient(settings, sleep=lambda seconds: None)
    assert client.fetch(get("/r"), as_is).text == OK
    [wait] = client.waits
    assert wait <= 0.02  # the backoff, not a Retry-After read from the header


# --- secrets ------------------------------------------------------------------------------------


def pubmed_client(server: ScriptedServer, tmp_path: Path) -> HttpClient:
    settings = fast_settings(tmp_path, pubmed_url=server.url, ncbi_api_key=KEY, max_attempts=2)
    return HttpClient(settings, sleep=lambda seconds: None)


LEAKY_FAILURES = {
    "redirect-loop": redirect("/esearch.fcgi"),
    "redirect-to-file": redirect("file:///etc/passwd"),
    "redirect-to-ftp": redirect("ftp://127.0.0.1/esearch.fcgi"),
    "503": Reply(503, "down"),
    "400-echoing-the-key": Reply(400, f'{{"error": "API key invalid", "api-key": "{KEY}"}}'),
    "truncated": Reply(200, '{"esearchresult": {"count": "1"}}', truncate_to=5),
    "slow": Reply(200, OK, delay=2.0),
}


@pytest.mark.parametrize("reply", LEAKY_FAILURES.values(), ids=LEAKY_FAILURES.keys())
def test_the_ncbi_key_never_leaves_in_an_error_its_chain_or_a_log(
    reply: Reply, scripted: ScriptedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    scripted.script("/esearch.fcgi", reply)
    caplog.set_level(logging.DEBUG)
    client = pubmed_client(scripted, tmp_path)
    with client.deadline(1.0), pytest.raises(UpstreamError) as error:
        pubmed.esearch(client, NCT)
    client.close()
    assert scripted.received[0].query["api_key"] == KEY  # it was sent
    assert KEY not in everything_said(error.value)
    assert KEY not in caplog.text
    assert all(KEY not in record.getMessage() for record in caplog.records)


def test_a_connection_failure_does_not_chain_the_url_with_the_key(tmp_path: Path) -> None:
    settings = fast_settings(
        tmp_path, pubmed_url="http://127.0.0.1:9", ncbi_api_key=KEY, max_attempts=2
    )
    with pytest.raises(UpstreamError) as error:
        pubmed.esearch(HttpClient(settings), NCT)
    assert "connection failed" in str(error.value)
    assert KEY not in everything_said(error.value)
    assert error.value.__cause__ is None and error.value.__context__ is None


def test_the_log_redactor_is_installed_once_and_outlives_closed_clients(
    scripted: ScriptedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    scripted.script("/esearch.fcgi", Reply(200, '{"esearchresult": {"count": "0", "idlist": []}}'))
    caplog.set_level(logging.DEBUG)
    keeper = pubmed_client(scripted, tmp_path)
    for _ in range(3):
        pubmed_client(scripted, tmp_path).close()
    pubmed.esearch(keeper, NCT)
    assert KEY not in caplog.text
    assert "***" in caplog.text  # urllib3 logged the URL, masked
    for name in LOGGERS_SEEING_URLS:
        assert len(logging.getLogger(name).filters) == 1


def test_credentials_in_a_base_url_go_on_the_wire_and_nowhere_else(
    scripted: ScriptedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    password = "pw-8c1e77d0"
    host = scripted.url.removeprefix("http://")
    study = (SNAPSHOT_DIR / "ctgov" / "study_NCT05591222.json").read_text()
    scripted.script(f"/api/studies/{NCT}", Reply(200, study))
    scripted.script("/api/down", Reply(503, "down"))
    caplog.set_level(logging.DEBUG)
    settings = fast_settings(tmp_path, ctgov_url=f"http://editor:{password}@{host}/api")
    client = HttpClient(settings, sleep=lambda seconds: None)
    with client.recording() as answers:
        ctgov.get_study(client, NCT)
    with pytest.raises(UpstreamError) as error:
        client.fetch(get("/down"), as_is)
    client.close()
    expected = base64.b64encode(f"editor:{password}".encode()).decode()
    assert scripted.received[0].headers["Authorization"] == f"Basic {expected}"
    [(request, response)] = answers
    assert response.url == f"http://{host}/api/studies/{NCT}"
    assert client.url_for(request) == response.url
    assert password not in everything_said(error.value)
    assert password not in caplog.text
    stored = b"".join(p.read_bytes() for p in (tmp_path / "cache").iterdir() if p.is_file())
    assert b"http-cache" not in stored and password.encode() not in stored
    assert f"http://{host}/api/studies/{NCT}".encode() in stored  # the public URL was stored


def test_credentials_are_not_sent_to_another_host_after_a_redirect(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    other = ScriptedServer().start()
    try:
        other.script("/elsewhere", Reply(200, OK))
        scripted.script(
            "/api/r", redirect(other.url.replace("127.0.0.1", "localhost") + "/elsewhere")
        )
        host = scripted.url.removeprefix("http://")
        client = HttpClient(fast_settings(tmp_path, ctgov_url=f"http://u:pw-secret1@{host}/api"))
        assert client.fetch(get("/r"), as_is).text == OK
        assert "Authorization" in scripted.received[0].headers
        assert "Authorization" not in other.received[0].headers
    finally:
        other.stop()


def test_a_deadline_error_is_one_line_naming_source_and_request(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script("/slow", Reply(200, OK, delay=2.0))
    client = HttpClient(fast_settings(tmp_path, ctgov_url=scripted.url))
    with client.deadline(0.3, "test deadline"), pytest.raises(DeadlineExceeded) as error:
        client.fetch(get("/slow"), as_is)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith("ClinicalTrials.gov could not answer GET ClinicalTrials.gov /slow")
    assert "the 0.3 s test deadline" in message
    assert error.value.exit_code == EXIT_UPSTREAM
