"""A third round of a hostile upstream, met through the CLI as a user meets it (see
tests/test_hostile_upstream.py for the first rounds and its fixtures): answers that are valid
JSON with a poisoned character, interim 1xx responses, searches that page forever, answers far
larger than what was asked for, and model replies that are valid but absurd. Each ends in a
draft with a gap or an editor's note, or in exit 3 with one line: never exit 4, never a hang,
never a file of a hundred megabytes."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from drafter import bundled
from drafter.bundle import Bundle
from drafter.cli import main
from drafter.draft_model import Draft
from drafter.errors import EXIT_FINDINGS, EXIT_OK, EXIT_UPSTREAM
from drafter.sources import ctgov
from drafter.terminal import safe_text
from tests import openai_server as replies
from tests.openai_server import OpenAIServer
from tests.servers import LocalServer, Received, Reply, ScriptedServer, SnapshotServer
from tests.test_hostile_model import endpoint
from tests.test_hostile_upstream import NCT, assert_one_line_failure, hostile, point, study_with

__all__ = ["endpoint", "hostile"]  # fixtures shared with the first rounds

STATUS = "protocolSection.statusModule"


def study_json() -> dict[str, object]:
    study: dict[str, object] = bundled.read_json(
        bundled.DATA / "snapshot" / "ctgov" / f"study_{NCT}.json"
    )
    return study


def draft(out: Path, *extra: str) -> int:
    return main(["draft", NCT, "--writer", "offline", "--out", str(out), *extra])


def draft_with_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Path]:
    """`drafter draft --writer openai --offline` (the sources from the bundled snapshot)."""
    out = tmp_path / "drafts"
    code = main(["draft", NCT, "--writer", "openai", "--offline", "--out", str(out)])
    return code, capsys.readouterr().err, out


# --- a lone surrogate escaped in JSON ------------------------------------------------------------

# JSON may escape half of a UTF-16 pair; json.loads then yields a str that no UTF-8 file takes.
LONE_SURROGATES = {
    "why-stopped-high-half": study_with(f"{STATUS}.whyStopped", r'"Halted \ud800 early"'),
    "why-stopped-low-half": study_with(f"{STATUS}.whyStopped", r'"Halted \udfff early"'),
    "title-half-an-emoji": study_with(
        "protocolSection.identificationModule.briefTitle", r'"A trial \ud83d"'
    ),
    "condition": study_with("protocolSection.conditionsModule.conditions", r'["Lupus \udc00"]'),
    "sponsor": study_with(
        "protocolSection.sponsorCollaboratorsModule.leadSponsor", r'{"name": "Sp\ud800"}'
    ),
}


@pytest.mark.parametrize("reply", LONE_SURROGATES.values(), ids=LONE_SURROGATES.keys())
def test_a_lone_surrogate_in_the_trial_record_is_one_replaced_character_not_exit_4(
    reply: Reply,
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Before: UnicodeEncodeError writing evidence.json (exit 4, 'a bug in drafter'), and
    `drafter fetch` failed the same way printing it."""
    point(monkeypatch, "ctgov", hostile, reply)
    out = tmp_path / "drafts"
    code = draft(out)
    err = capsys.readouterr().err
    assert code in (EXIT_OK, EXIT_FINDINGS), err
    for name in ("draft.md", "review.html", "evidence.json", "draft.json"):
        text = (out / NCT / name).read_text(encoding="utf-8")
        assert safe_text(text) == text, name
    assert "\ufffd" in (out / NCT / "evidence.json").read_text(encoding="utf-8")
    assert main(["fetch", NCT]) == EXIT_OK  # the human output, of the cached answer
    assert "\ufffd" in capsys.readouterr().out


def test_a_lone_surrogate_in_an_open_targets_answer_is_not_exit_4(
    snapshot_server: SnapshotServer,
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """The target's symbol ends in half an emoji."""
    symbol = '"approvedSymbol": "LILRA4"'
    with proxy(
        snapshot_server, "opentargets", lambda text: text.replace(symbol, symbol[:-1] + '\\ud800"')
    ) as proxied:
        monkeypatch.setenv("DRAFTER_OPENTARGETS_URL", proxied.url)
        out = tmp_path / "drafts"
        code = draft(out)
    err = capsys.readouterr().err
    assert code in (EXIT_OK, EXIT_FINDINGS), err
    assert "LILRA4\ufffd" in (out / NCT / "evidence.json").read_text(encoding="utf-8")


class ProxyServer(LocalServer):
    """One source of the snapshot server, the text of its answers passed through `change`."""

    def __init__(self, upstream: SnapshotServer, source: str, change: Callable[[str], str]) -> None:
        super().__init__()
        self.upstream = upstream
        self.source = source
        self.change = change

    def reply_for(self, received: Received) -> Reply:
        reply = self.upstream.reply_for(replace(received, path=f"/{self.source}{received.path}"))
        text = reply.body.decode() if isinstance(reply.body, bytes) else reply.body
        return replace(reply, body=self.change(json.dumps(json.loads(text))) if text else text)


@contextmanager
def proxy(
    upstream: SnapshotServer, source: str, change: Callable[[str], str]
) -> Iterator[ProxyServer]:
    server = ProxyServer(upstream, source, change)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# --- model replies -----------------------------------------------------------------------------


def with_lone_surrogate(reply: Reply) -> Reply:
    """The reply with half an emoji escaped in its JSON, inside the paragraph's text."""
    body = reply.body.decode() if isinstance(reply.body, bytes) else reply.body
    return replace(reply, body=body.replace("enrolled", r"enrolled \ud83d", 1))


@pytest.mark.parametrize("inner", [False, True], ids=["in-the-completion", "in-the-content"])
def test_a_lone_surrogate_in_a_model_reply_is_one_replaced_character(
    inner: bool, endpoint: OpenAIServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: pydantic's JSON parser refused the whole completion, and the draft failed with
    'not a chat completion; check OPENAI_BASE_URL' (exit 3); inside the content, every section
    was re-asked, then left to the editor as malformed JSON."""
    section = json.dumps(replies.SECTION)
    if inner:  # the content's own JSON escapes it: the completion holds "\\ud83d"
        section = section.replace("enrolled", r"enrolled \ud83d", 1)
        endpoint.default = replies.completion(section)
    else:
        endpoint.default = with_lone_surrogate(replies.completion(section))
    code, err, out = draft_with_model(tmp_path, capsys)
    assert code in (EXIT_OK, EXIT_FINDINGS), err
    written = Draft.model_validate_json((out / NCT / "draft.json").read_text("utf-8"))
    texts = [p.text for s in written.sections for p in s.paragraphs]
    assert any("enrolled \ufffd" in text for text in texts), texts


# --- interim (1xx) responses before the answer -------------------------------------------------


def after_interim(*interim: bytes) -> Reply:
    """The trial's record, after these interim responses (status line and headers each)."""
    record = json.dumps(study_json()).encode()
    final = (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(record)}\r\n\r\n".encode()
        + record
    )
    return Reply(raw=b"".join(interim) + final)


EARLY_HINTS = b"HTTP/1.1 103 Early Hints\r\nLink: </studies.css>; rel=preload\r\n\r\n"
INTERIM = {
    "103-early-hints": after_interim(EARLY_HINTS),
    "102-processing": after_interim(b"HTTP/1.1 102 Processing\r\n\r\n"),
    "100-then-103": after_interim(b"HTTP/1.1 100 Continue\r\n\r\n", EARLY_HINTS),
    "a-thousand-103s": after_interim(*[EARLY_HINTS] * 1000),
}


@pytest.mark.parametrize("reply", INTERIM.values(), ids=INTERIM.keys())
def test_interim_responses_before_the_answer_are_skipped(
    reply: Reply,
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Before: http.client skips 100 Continue only, so a CDN's 103 Early Hints (or a 102) was
    taken for the answer: 'rejected ... with HTTP 103' (exit 3)."""
    point(monkeypatch, "ctgov", hostile, reply)
    code = main(["fetch", NCT, "--json"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert Bundle.model_validate_json(captured.out).nct_id == NCT


def test_interim_responses_that_never_end_fail_in_one_line(
    hostile: ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """200,000 Early Hints and no answer: the connection fails, not drafter."""
    host = point(monkeypatch, "ctgov", hostile, Reply(raw=EARLY_HINTS * 200_000))
    code = main(["fetch", NCT, "--json"])
    assert_one_line_failure(code, capsys.readouterr().err, host)


# --- searches that page without end ------------------------------------------------------------


class EndlessSearch(LocalServer):
    """ClinicalTrials.gov's search as a broken server runs it: every page lists the same
    `studies` under a fresh nextPageToken, until `patience` pages, then a 400 (so that a client
    without a stop of its own still ends, late)."""

    def __init__(self, studies: list[dict[str, object]], patience: int = 30) -> None:
        super().__init__()
        self.studies = studies
        self.patience = patience

    def reply_for(self, received: Received) -> Reply:
        if len(self.received) > self.patience:
            return Reply(400, "enough", content_type="text/plain")
        page = {"studies": self.studies, "nextPageToken": f"token-{len(self.received)}"}
        return Reply(200, json.dumps(page))


def listed_study(nct_id: str) -> dict[str, object]:
    study = json.loads(json.dumps(study_json()))
    study["protocolSection"]["identificationModule"]["nctId"] = nct_id  # type: ignore[index]
    return study


def batch_searching(server: LocalServer, monkeypatch: pytest.MonkeyPatch, out: Path) -> int:
    """`drafter batch --since 2020-01-01` with this server as ClinicalTrials.gov."""
    server.start()
    try:
        monkeypatch.setenv("DRAFTER_CTGOV_URL", server.url)
        return main(["batch", "--since", "2020-01-01", "--writer", "offline", "--out", str(out)])
    finally:
        server.stop()


@pytest.mark.parametrize("listed", [[NCT], []], ids=["the-same-study", "no-study"])
def test_a_search_paging_on_without_a_new_study_is_stopped(
    listed: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Before: a fresh token each page is no repeated token, so the batch paged on until the
    2,000-page cap (some 11 minutes at the registry's rate limit) or the server gave up."""
    server = EndlessSearch([listed_study(nct_id) for nct_id in listed])
    code = batch_searching(server, monkeypatch, tmp_path / "drafts")
    err = capsys.readouterr().err
    assert code == EXIT_UPSTREAM, err
    assert "listing no study it had not listed" in err, err
    assert len(server.received) <= 2 + ctgov.MAX_PAGES_WITHOUT_NEWS


def test_a_page_token_that_is_not_text_fails_the_search_not_truncates_it(
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """Before: a nextPageToken of 12345 became None (the record's best effort), so the batch
    drafted the first page's trials and said nothing of the pages it never asked for."""
    page = {"studies": [listed_study(NCT)], "totalCount": 3, "nextPageToken": 12345}
    host = point(monkeypatch, "ctgov", hostile, Reply(200, json.dumps(page)))
    out = tmp_path / "drafts"
    code = main(["batch", "--since", "2020-01-01", "--writer", "offline", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == EXIT_UPSTREAM, err
    assert host in err and "nextPageToken" in err, err
    assert not (out / NCT).exists()


# --- answers far larger than what was asked for ------------------------------------------------


def test_an_openfda_count_of_twenty_thousand_reactions_yields_the_ten_asked_for(
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """limit=10 asked, 20,000 terms sent (a 1 MB answer, well within the size cap). Before: a
    fact per term and count, 40,000 facts; 600,000 terms took 88 s, past every deadline."""
    many = 20_000
    answer = {
        "meta": {"last_updated": "2026-05-01", "results": {"skip": 0, "limit": 1, "total": 5}},
        "results": [{"term": f"REACTION {i}", "count": many - i} for i in range(many)],
    }
    host = point(monkeypatch, "openfda", hostile, Reply(200, json.dumps(answer)))
    assert main(["fetch", NCT, "--json"]) == EXIT_OK
    bundle = Bundle.model_validate_json(capsys.readouterr().out)
    assert bundle.safety is not None
    assert [t.term for t in bundle.safety.top_reactions] == [f"REACTION {i}" for i in range(10)]
    reactions = [f for f in bundle.facts if ":reactions." in f.id]
    assert len(reactions) == 2 * 10, len(reactions)
    assert any(f"lists {many} elements; the first 10" in g.reason for g in bundle.gaps)
    assert any(host in s.url for s in bundle.sources if s.url)


def test_pubmed_ids_beyond_retmax_are_not_all_summarised(
    hostile: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """retmax=20 asked, 5,000 ids sent. Before: one esummary request naming all 5,000 (a URL
    of 45 KB; a million ids made one of 9 MB, refused, and its gap quoted it whole)."""
    ids = [str(30_000_000 + i) for i in range(5_000)]
    found = {"esearchresult": {"count": "5000", "retmax": "20", "retstart": "0", "idlist": ids}}
    point(monkeypatch, "pubmed", hostile, Reply(200, json.dumps(found)))
    hostile.script("/esummary.fcgi", Reply(200, json.dumps({"result": {"uids": []}})))
    assert main(["fetch", NCT, "--json"]) == EXIT_OK
    capsys.readouterr()
    [summaries] = [r for r in hostile.received if r.path == "/esummary.fcgi"]
    asked = summaries.query["id"].split(",")
    assert ids[:20] == [i for i in asked if i in ids]


def paragraph(cites: list[str]) -> dict[str, object]:
    return {**replies.SECTION["paragraphs"][0], "cites": cites}  # type: ignore[index]


@pytest.mark.parametrize(
    "cites",
    [[f"F{i}" for i in range(50_000)], ["F1"] * 50_000],
    ids=["fifty-thousand-handles", "one-handle-fifty-thousand-times"],
)
def test_a_paragraph_citing_fifty_thousand_handles_leaves_a_draft_of_normal_size(
    cites: list[str], endpoint: OpenAIServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Valid JSON, well within the reply cap. Before: a problem line per unknown handle, kept
    in each section's reason, its re-ask prompt and the call log: a draft.json of 105 MB, a
    draft.md of 23 MB; and F1 fifty thousand times was published as fifty thousand citations
    (a draft.json of 17 MB)."""
    endpoint.default = replies.completion(json.dumps({"paragraphs": [paragraph(cites)]}))
    code, err, out = draft_with_model(tmp_path, capsys)
    assert code in (EXIT_OK, EXIT_FINDINGS), err
    assert (out / NCT / "draft.json").stat().st_size < 2 * 2**20
    assert (out / NCT / "draft.md").stat().st_size < 100_000
    assert (out / NCT / "review.html").stat().st_size < 500_000
    written = Draft.model_validate_json((out / NCT / "draft.json").read_text("utf-8"))
    for section in written.sections:
        for cited in section.paragraphs:
            assert len(cited.cites) == len(set(cited.cites))
        assert len(section.reason or "") < 2_000, section.reason


def with_usage(usage: object) -> Reply:
    body = json.loads(str(replies.completion(json.dumps(replies.SECTION)).body))
    body["usage"] = usage
    return Reply(200, json.dumps(body).replace('"@big@"', "1" * 400))


ODD_USAGE = {
    "negative": {"prompt_tokens": -5, "completion_tokens": -7, "total_tokens": -12},
    "fractional": {"prompt_tokens": 12.5, "completion_tokens": 40},
    "words": {"prompt_tokens": "many", "completion_tokens": 40},
    "a-list": [120, 40],
    "400-digits": {"prompt_tokens": "@big@", "completion_tokens": 40},
    "NaN": {"prompt_tokens": float("nan"), "completion_tokens": 40},
}


@pytest.mark.parametrize("usage", ODD_USAGE.values(), ids=ODD_USAGE.keys())
def test_a_reply_with_unusable_usage_is_drafted_with_its_tokens_unknown(
    usage: object, endpoint: OpenAIServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The content is a good section; only the token counts are nonsense. Before: the whole
    reply was 'not a chat completion; check OPENAI_BASE_URL' (exit 3, no draft)."""
    endpoint.default = with_usage(usage)
    code, err, out = draft_with_model(tmp_path, capsys)
    assert code in (EXIT_OK, EXIT_FINDINGS), err
    written = Draft.model_validate_json((out / NCT / "draft.json").read_text("utf-8"))
    tried = next(s for s in written.sections if s.key == "what_was_tried")
    assert tried.status != "needs_editor", tried.reason
    for call in written.calls:
        assert call.prompt_tokens is None or 0 <= call.prompt_tokens <= 10**9
        assert call.cost_usd is None or call.cost_usd >= 0


# --- the body's bytes ---------------------------------------------------------------------------


def test_a_json_answer_opening_with_a_byte_order_mark_is_read(
    hostile: ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """RFC 8259 §8.1 lets a parser ignore a BOM, and some servers (IIS, a proxy rewriting the
    body) send one. Before: 'Unexpected UTF-8 BOM' (exit 3)."""
    record = b"\xef\xbb\xbf" + json.dumps(study_json()).encode()
    point(monkeypatch, "ctgov", hostile, Reply(200, record))
    code = main(["fetch", NCT, "--json"])
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert Bundle.model_validate_json(captured.out).nct_id == NCT


class EverNewSearch(LocalServer):
    """A search that lists a study it never listed before on every page, slowly, and never
    ends: the stop for pages without news does not apply."""

    def reply_for(self, received: Received) -> Reply:
        study = listed_study(f"NCT9{len(self.received):07d}")  # the test fleet's NCT9… range
        page = {"studies": [study], "nextPageToken": f"token-{len(self.received)}"}
        return Reply(200, json.dumps(page), delay=0.2)


def test_a_search_that_pages_on_slowly_ends_at_the_discovery_deadline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Before: each page kept within the request deadline, so discovery ran until the
    2,000-page cap, some forty minutes at the registry's rate limit, before any draft."""
    server = EverNewSearch()
    monkeypatch.setenv("DRAFTER_DISCOVERY_DEADLINE", "1.5")
    out = tmp_path / "drafts"
    code = batch_searching(server, monkeypatch, out)
    err = capsys.readouterr().err
    assert code == EXIT_UPSTREAM, err
    assert "the search for trials did not finish within the 1.5 s discovery deadline" in err
    assert "narrow it (--since, --until" in err and "raise DRAFTER_DISCOVERY_DEADLINE" in err
    assert "try again later" not in err and len(err.strip().splitlines()) == 1, err
    assert 1 <= len(server.received) <= 8
    assert not out.exists() or not any(out.glob("NCT*"))
