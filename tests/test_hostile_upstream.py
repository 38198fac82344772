"""A hostile upstream, met the way a user meets it: `drafter fetch`, `drafter draft --writer
offline` and `drafter mrs` with one source's base URL pointed at a local server that answers
badly (the other sources at the snapshot server). Each must end in exit 3 and one stderr line
that names the host and what to do (no traceback, no key), nothing of the bad answer cached, no
output file, and the command finished within its deadlines (bounded here by a subprocess timeout
for the cases that would otherwise hang). Deadlines are 1 s, so each case takes about that."""

from __future__ import annotations

import base64
import json
import sqlite3
import subprocess
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from drafter import bundled
from drafter.bundle import Bundle
from drafter.cli import main
from drafter.errors import EXIT_FINDINGS, EXIT_OK, EXIT_UPSTREAM, UpstreamError
from drafter.evidence.trial import MAX_DRUGS_RESOLVED, MAX_LISTED
from drafter.sources import http
from drafter.sources.api import ApiRequest
from drafter.terminal import safe_text
from tests.servers import Reply, ScriptedServer, SnapshotServer

NCT = "NCT05591222"
NCBI_KEY = "sekrit-ncbi-key-4f2a9c"
FDA_KEY = "sekrit-fda-key-77aa01"
HTML = (
    "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    "<body><h1>Bad Gateway</h1><p>The proxy could not reach the upstream.</p></body></html>"
)
STUDIES = '{"studies": []}' * 40
# Apache's default 404 page: it names the path, so it names the trial too
PROXY_404 = (
    "<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested "
    f"URL /api/v2/studies/{NCT} was not found on this server.</p></body></html>"
)


def bomb(gigabytes: int, wbits: int) -> bytes:
    """A compressed stream of `gigabytes` GiB of zeros in about 1 MB per GiB, built in
    milliseconds: one full-flushed 1 MiB block repeated (no trailer: no reader gets there)."""
    zeros = b"\0" * 2**20
    head = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = head.compress(zeros) + head.flush(zlib.Z_FULL_FLUSH)
    raw = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = raw.compress(zeros) + raw.flush(zlib.Z_FULL_FLUSH)
    return first + block * (gigabytes * 1024 - 1)


def raw(head: str, body: bytes = b"") -> Reply:
    return Reply(raw=head.replace("\n", "\r\n").encode() + b"\r\n" + body)


def redirect(location: str) -> Reply:
    return Reply(302, "", headers={"Location": location})


# Answers that arrive whole but are no answer: the body is judged, found wanting, not cached.
BAD_ANSWERS = {
    "html-200": Reply(200, HTML, content_type="text/html"),
    "html-200-as-json": Reply(200, HTML),
    "empty-200": Reply(200, ""),
    "no-content-204": Reply(204, ""),
    "empty-object": Reply(200, "{}"),
    "a-list": Reply(200, "[1, 2, 3]"),
    "null": Reply(200, "null"),
    "wrong-fields": Reply(200, '{"protocolSection": {"statusModule": 7}}'),
    "truncated-json": Reply(200, '{"protocolSection": {"identificationModule": {"nctId": "NCT'),
    "invalid-utf8": Reply(200, b'{"protocolSection": "\xff\xfe\xc3\x28"}'),
    "nul-bytes": Reply(200, b"\0" * 4096),
    "huge-body": Reply(200, b'{"x": "' + b"a" * (33 * 2**20) + b'"}'),
    "gzip-bomb": Reply(200, bomb(2, 31), encoding="gzip"),
    "deflate-bomb": Reply(200, bomb(2, 15), encoding="deflate"),
    "html-404": Reply(404, HTML, content_type="text/html"),
    "proxy-404-naming-the-trial": Reply(404, PROXY_404, content_type="text/html"),
    "integer-of-5000-digits": Reply(200, '{"protocolSection": {"x": ' + "1" * 5000 + "}}"),
    "html-500": Reply(500, HTML, content_type="text/html"),
    "html-503-retry-after-garbage": Reply(503, HTML, headers={"Retry-After": "soon"}),
    "429-retry-after-seconds": Reply(429, "", headers={"Retry-After": "2"}),
    "429-retry-after-days": Reply(429, "", headers={"Retry-After": "864000"}),
    "503-retry-after-date": Reply(503, "", headers={"Retry-After": "Sun, 06 Nov 2124 08:49 GMT"}),
    "429-retry-after-negative": Reply(429, "", headers={"Retry-After": "-30"}),
    "401": Reply(401, '{"error": "unauthorised"}'),
    "403-html": Reply(403, HTML, content_type="text/html"),
    "status-999": raw("HTTP/1.1 999 Whatever\nContent-Length: 2\n", b"{}"),
    "two-content-lengths": raw("HTTP/1.1 200 OK\nContent-Length: 2\nContent-Length: 5\n", b"{}"),
    "not-http": Reply(raw=b"SSH-2.0-OpenSSH_9.6\r\n\r\n"),
    "content-length-beyond-the-body": Reply(200, STUDIES, truncate_to=20),
    "reset-mid-body": Reply(200, STUDIES, truncate_to=20, reset=True),
    "chunked-garbage-size": raw(
        "HTTP/1.1 200 OK\nContent-Type: application/json\nTransfer-Encoding: chunked\n",
        b'5\r\n{"stu\r\nZZ\r\nxx\r\n',
    ),
    "chunked-cut-short": raw(
        "HTTP/1.1 200 OK\nContent-Type: application/json\nTransfer-Encoding: chunked\n",
        b'5\r\n{"stu\r\n',
    ),
    "redirect-loop": redirect(f"/studies/{NCT}"),
    "redirect-to-file": redirect("file:///etc/passwd"),
    "redirect-to-cloud-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
    "redirect-to-metadata-by-name": redirect("http://metadata.google.internal/computeMetadata/"),
    "redirect-to-a-dead-host": redirect("http://127.0.0.1:9/studies"),
    "redirect-to-a-location-not-utf8": redirect("http://\u00ff.example/studies"),  # byte 0xff
}

# Answers that never end: the request deadline, not the server, ends them.
ENDLESS_ANSWERS = {
    "silent-after-accepting": Reply(hang=True),
    "body-drip-fed": Reply(200, STUDIES, drip=0.3),
    "headers-drip-fed": Reply(200, STUDIES, header_drip=0.3),
}


def study_with(path: str, value: str) -> Reply:
    """The bundled record of NCT, with the JSON text `value` at `path` (dot-separated)."""
    study = bundled.read_json(bundled.DATA / "snapshot" / "ctgov" / f"study_{NCT}.json")
    *parents, last = path.split(".")
    node = study
    for key in parents:
        node = node[key]
    node[last] = "@value@"
    return Reply(200, json.dumps(study).replace('"@value@"', value))


# Answers that are the trial, with one odd value: a gap or a plain text at most, never a crash.
STATUS = "protocolSection.statusModule"
ODD_STUDIES = {
    "count-of-400-digits": study_with(
        "protocolSection.designModule.enrollmentInfo.count", "1" * 400
    ),
    "count-of-5000-digits": study_with(
        "protocolSection.designModule.enrollmentInfo.count", "1" * 5000
    ),
    "why-stopped-of-20000-characters": study_with(
        f"{STATUS}.whyStopped", json.dumps("why " * 5_000)
    ),
    "why-stopped-with-escapes-and-bidi": study_with(
        f"{STATUS}.whyStopped", json.dumps("Halted \u202e\x1b]0;pwned\x07\x1b[2J\x00 <b>x</b>")
    ),
}


@pytest.fixture
def hostile(
    snapshot_server: SnapshotServer, scripted: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ScriptedServer]:
    """Every source at the snapshot server, 1 s request and step deadlines, keys set; the test
    points one source at `scripted` and sets its answer as the fallback for every path."""
    for setting, url in snapshot_server.base_urls().items():
        monkeypatch.setenv(f"DRAFTER_{setting.upper()}", url)
    for variable, value in {
        "DRAFTER_REQUEST_DEADLINE": "1",
        "DRAFTER_OPTIONAL_DEADLINE": "1",
        "DRAFTER_DEADLINE": "8",
        "NCBI_API_KEY": NCBI_KEY,
        "OPENFDA_API_KEY": FDA_KEY,
    }.items():
        monkeypatch.setenv(variable, value)
    yield scripted


def point(
    monkeypatch: pytest.MonkeyPatch, source: str, server: ScriptedServer, reply: Reply
) -> str:
    monkeypatch.setenv(f"DRAFTER_{source.upper()}_URL", server.url)
    server.fallback = reply
    return server.url.removeprefix("http://")


def assert_one_line_failure(code: int, err: str, host: str) -> None:
    assert code == EXIT_UPSTREAM, err
    assert err.startswith("drafter: ") and err.count("\n") == 1, err
    assert host in err and ("try again later" in err or "check " in err), err
    assert "Traceback" not in err
    assert NCBI_KEY not in err and FDA_KEY not in err


def cached_from(tmp_path: Path, server: ScriptedServer) -> int:
    """How many cached answers came from `server`."""
    database = tmp_path / "cache" / "http-cache.sqlite3"
    if not database.exists():
        return 0
    with sqlite3.connect(database) as connection:
        query = "SELECT count(*) FROM responses WHERE url LIKE ?"
        count: int = connection.execute(query, (server.url + "%",)).fetchone()[0]
    return count


@pytest.mark.parametrize("name", BAD_ANSWERS)
def test_a_bad_ctgov_answer_fails_fetch_in_one_line_and_caches_nothing(
    name: str,
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    host = point(monkeypatch, "ctgov", hostile, BAD_ANSWERS[name])
    code = main(["fetch", NCT, "--json"])
    captured = capsys.readouterr()
    assert_one_line_failure(code, captured.err, host)
    assert captured.out == ""
    assert cached_from(tmp_path, hostile) == 0
    if not name.startswith("redirect"):  # the message names what was wrong, not a URL
        assert "invalid URL" not in captured.err, captured.err


@pytest.mark.parametrize(
    "reply",
    [BAD_ANSWERS[name] for name in ("html-200", "gzip-bomb", "a-list", "chunked-cut-short")],
    ids=["html-200", "gzip-bomb", "a-list", "chunked-cut-short"],
)
def test_a_bad_ctgov_answer_leaves_no_draft_behind(
    reply: Reply,
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    host = point(monkeypatch, "ctgov", hostile, reply)
    out = tmp_path / "drafts"
    code = main(["draft", NCT, "--writer", "offline", "--out", str(out)])
    assert_one_line_failure(code, capsys.readouterr().err, host)
    assert not out.exists() or not any(out.rglob("*"))


@pytest.mark.parametrize("reply", ODD_STUDIES.values(), ids=ODD_STUDIES.keys())
def test_a_trial_with_an_odd_value_is_drafted_with_inert_text(
    reply: Reply,
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Not a crash (OverflowError, a claim too long to file), and no escape sequence, bidi
    override or NUL of the record in the article or the review page."""
    point(monkeypatch, "ctgov", hostile, reply)
    out = tmp_path / "drafts"
    code = main(["draft", NCT, "--writer", "offline", "--out", str(out)])
    err = capsys.readouterr().err
    assert code in (EXIT_OK, EXIT_FINDINGS), err
    for name in ("draft.md", "review.html"):
        text = (out / NCT / name).read_text(encoding="utf-8")
        assert safe_text(text) == text, name


def test_a_record_listing_thousands_is_cut_and_drafted_within_its_deadline(
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """20,000 conditions, drug interventions and primary outcomes: before the cut, 8,000
    interventions alone took 70 s (a FAERS name list deduplicated in quadratic time, a ChEMBL
    lookup for each). Now the first MAX_LISTED of each list are facts, the first
    MAX_DRUGS_RESOLVED drugs are looked up, and gaps say so."""
    many = 20_000
    lists = {
        "conditionsModule": {"conditions": [f"condition {i}" for i in range(many)]},
        "armsInterventionsModule": {
            "interventions": [{"type": "DRUG", "name": f"drug {i}"} for i in range(many)]
        },
        "outcomesModule": {
            "primaryOutcomes": [{"measure": f"m {i}", "timeFrame": "1 y"} for i in range(many)]
        },
    }
    study = json.loads(study_with(f"{STATUS}.whyStopped", '"Futility"').body)
    for module, values in lists.items():
        study["protocolSection"][module] = values
    point(monkeypatch, "ctgov", hostile, Reply(200, json.dumps(study)))
    out = tmp_path / "drafts"
    code = main(["draft", NCT, "--writer", "offline", "--out", str(out)])
    err = capsys.readouterr().err
    assert code in (EXIT_OK, EXIT_FINDINGS), err
    bundle = Bundle.model_validate_json((out / NCT / "evidence.json").read_text())
    reasons = [gap.reason for gap in bundle.gaps]
    # the facts of three lists (conditions, interventions, outcomes), and the drug lookups
    assert len([r for r in reasons if f"lists {many} elements" in r]) == 3, reasons
    assert f"more than {MAX_DRUGS_RESOLVED} drug interventions" in " ".join(reasons)
    listed = [f for f in bundle.facts if f.id.startswith(f"ctgov:{NCT}:conditions.")]
    assert len(listed) == MAX_LISTED
    assert len(bundle.drugs) == MAX_DRUGS_RESOLVED


@pytest.mark.parametrize(
    "name",
    [
        *("html-200", "empty-object", "a-list", "truncated-json", "gzip-bomb", "401"),
        *("integer-of-5000-digits", "redirect-to-a-location-not-utf8"),
    ],
)
def test_a_bad_open_targets_answer_fails_mrs_in_one_line(
    name: str,
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    host = point(monkeypatch, "opentargets", hostile, BAD_ANSWERS[name])
    code = main(["mrs", "--target", "EGFR", "--disease", "non-small cell lung carcinoma"])
    captured = capsys.readouterr()
    assert_one_line_failure(code, captured.err, host)
    assert captured.out == "" and cached_from(tmp_path, hostile) == 0


def test_a_graphql_200_with_errors_fails_mrs_naming_the_error(
    hostile: ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    errors = '{"errors": [{"message": "Field \'mapIds\' is not defined"}], "data": null}'
    host = point(monkeypatch, "opentargets", hostile, Reply(200, errors))
    code = main(["mrs", "--target", "EGFR", "--disease", "non-small cell lung carcinoma"])
    err = capsys.readouterr().err
    assert_one_line_failure(code, err, host)
    assert "mapIds' is not defined" in err


@pytest.mark.parametrize("source", ["pubmed", "openfda", "chembl"])
@pytest.mark.parametrize(
    "name",
    [
        *("html-200", "a-list", "gzip-bomb", "401", "html-404"),
        *("integer-of-5000-digits", "redirect-to-a-location-not-utf8"),
    ],
)
def test_a_bad_optional_source_is_a_gap_that_names_the_host_not_the_key(
    source: str,
    name: str,
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    host = point(monkeypatch, source, hostile, BAD_ANSWERS[name])
    code = main(["fetch", NCT, "--json"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    bundle = Bundle.model_validate_json(captured.out)
    reasons = [gap.reason for gap in bundle.gaps if host in gap.reason]
    assert reasons, bundle.gaps
    said = captured.out + captured.err
    assert NCBI_KEY not in said and FDA_KEY not in said and "Traceback" not in said
    assert cached_from(tmp_path, hostile) == 0


def test_a_401_from_pubmed_says_which_key_to_check(
    hostile: ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    echo = Reply(401, f'{{"error": "API key invalid", "api_key": "{NCBI_KEY}"}}')
    host = point(monkeypatch, "pubmed", hostile, echo)
    assert main(["fetch", NCT, "--json"]) == EXIT_OK
    bundle = Bundle.model_validate_json(capsys.readouterr().out)
    [reason] = {gap.reason for gap in bundle.gaps if host in gap.reason}
    assert "HTTP 401; check NCBI_API_KEY" in reason and NCBI_KEY not in reason


def test_a_no_results_404_is_an_answer_and_a_real_404_is_not(
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """openFDA's NOT_FOUND 404 means zero reports (cached, no gap); an HTML 404 is a gap."""
    not_found = '{"error": {"code": "NOT_FOUND", "message": "No matches found!"}}'
    host = point(monkeypatch, "openfda", hostile, Reply(404, not_found))
    assert main(["fetch", NCT, "--json"]) == EXIT_OK
    bundle = Bundle.model_validate_json(capsys.readouterr().out)
    assert not [gap for gap in bundle.gaps if host in gap.reason]
    hostile.fallback = BAD_ANSWERS["html-404"]
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "fresh-cache"))
    assert main(["fetch", NCT, "--json"]) == EXIT_OK
    bundle = Bundle.model_validate_json(capsys.readouterr().out)
    assert [gap for gap in bundle.gaps if host in gap.reason]


@pytest.mark.parametrize("reply", ENDLESS_ANSWERS.values(), ids=ENDLESS_ANSWERS.keys())
def test_an_answer_that_never_ends_stops_at_the_request_deadline(
    reply: Reply, hostile: ScriptedServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Run as a user runs it, in its own process: if the deadline did not hold, the
    subprocess timeout (far above the 1 s deadline) would fail the test instead of hanging."""
    host = point(monkeypatch, "ctgov", hostile, reply)
    out = tmp_path / "drafts"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "drafter.cli",
            "draft",
            NCT,
            "--writer",
            "offline",
            "--out",
            f"{out}",
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert_one_line_failure(result.returncode, result.stderr, host)
    assert "1 s request deadline" in result.stderr
    assert not out.exists() or not any(out.rglob("*"))


def test_an_echoed_basic_auth_header_is_masked_like_the_key(
    hostile: ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """openFDA's key travels as the Basic-auth user; a server echoing the header echoes it
    in base64, which is masked too."""
    echoed = base64.b64encode(f"{FDA_KEY}:".encode()).decode()
    reply = Reply(403, f'{{"error": "forbidden", "authorization": "Basic {echoed}"}}')
    host = point(monkeypatch, "openfda", hostile, reply)
    assert main(["fetch", NCT, "--json"]) == EXIT_OK
    out = capsys.readouterr().out
    assert echoed not in out and FDA_KEY not in out
    bundle = Bundle.model_validate_json(out)
    [reason] = {gap.reason for gap in bundle.gaps if host in gap.reason}
    assert "HTTP 403; check OPENFDA_API_KEY" in reason


@pytest.mark.parametrize(
    ("current", "location", "refused"),
    [
        ("https://api.fda.gov/drug/event.json", "http://api.fda.gov/drug/event.json", True),
        ("https://api.fda.gov/a", "http://[::ffff:169.254.169.254]/", True),
        ("http://127.0.0.1:8080/a", "http://[fe80::1]/latest", True),
        ("http://127.0.0.1:8080/a", "https://127.0.0.1:8443/a", False),
        ("https://api.fda.gov/a", "/b?x=1", False),
    ],
)
def test_a_redirect_to_plain_http_or_a_link_local_address_is_refused(
    current: str, location: str, refused: bool
) -> None:
    """(No local TLS server here: the https cases are judged where the redirect is read.)"""
    request = ApiRequest(source="openfda", path="/drug/event.json")
    if refused:
        with pytest.raises(UpstreamError, match=r"a redirect (from https to plain http|to a link)"):
            http._redirect_target(current, location, request)
    else:
        assert http._redirect_target(current, location, request).startswith(("http", "https"))


def test_the_openfda_key_does_not_follow_a_redirect_to_another_port(
    hostile: ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Same host, another port: another service, whoever runs it. The key (Basic auth) is
    sent to the configured origin only."""
    elsewhere = ScriptedServer().start()
    try:
        elsewhere.fallback = BAD_ANSWERS["a-list"]
        point(monkeypatch, "openfda", hostile, redirect(f"{elsewhere.url}/drug/event.json"))
        assert main(["fetch", NCT, "--json"]) == EXIT_OK
        capsys.readouterr()
        sent = [r.headers.get("Authorization") for r in hostile.received]
        followed = [r.headers.get("Authorization") for r in elsewhere.received]
    finally:
        elsewhere.stop()
    assert sent and all(sent) and followed == [None] * len(followed) and followed


@pytest.mark.parametrize(
    ("current", "target", "keeps"),
    [
        ("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b?x=1", True),
        ("http://127.0.0.1:8080/a", "http://127.0.0.1:8081/a", False),
        ("http://api.fda.gov/a", "https://api.fda.gov/a", True),
        ("https://api.fda.gov/a", "https://api.fda.gov:443/b", True),
        ("https://api.fda.gov/a", "https://api.fda.gov:8443/a", False),
        ("https://api.fda.gov/a", "http://api.fda.gov/a", False),
        ("https://api.fda.gov/a", "https://fda.gov.example/a", False),
    ],
)
def test_credentials_follow_a_redirect_to_the_same_origin_only(
    current: str, target: str, keeps: bool
) -> None:
    assert http._keeps_credentials(current, target) is keeps
