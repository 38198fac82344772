"""A hostile model endpoint, met through `drafter draft --writer openai` (sources offline) and
through OpenAIWriter with fast retries: answers that are no chat completion, redirects (never
followed), bombs, and replies that never end (each attempt ends at DRAFTER_MODEL_TIMEOUT,
headers and body however slowly they come). Every failure is one stderr line naming the host,
never the key, and leaves no draft behind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from drafter.cli import main
from drafter.draft_model import Draft
from drafter.errors import EXIT_FINDINGS, EXIT_UPSTREAM
from drafter.section_models import SectionText
from drafter.writers.base import Message, ModelUnavailable, WriteRequest
from drafter.writers.openai_writer import OpenAIWriter
from tests import openai_server as replies
from tests.conftest import fast_settings
from tests.http_helpers import SleepRecorder
from tests.openai_server import COMPLETIONS_PATHS, OpenAIServer
from tests.servers import Reply
from tests.test_hostile_upstream import BAD_ANSWERS, bomb, redirect

NCT = "NCT05591222"
KEY = "sk-hostile-test-7d3e9a1c5b2f0468"

NOT_A_COMPLETION = {
    # the sources' bad answers that are as bad from a model endpoint
    **{name: BAD_ANSWERS[name] for name in ("html-200", "html-200-as-json", "empty-200", "a-list")},
    "invalid-json": Reply(200, '{"choices": [{"message": '),
    "json-not-a-completion": Reply(200, '{"object": "list", "data": []}'),
    "invalid-utf8": Reply(200, b'\xff\xfe{"choices"'),
    # (usage no count holds is unknown usage, not a failed reply: test_hostile_upstream_more)
}
REDIRECTS = {
    "to-another-path": replace(redirect("/v2/chat/completions"), status=307),
    "loop": replace(redirect("/v1/chat/completions"), status=307),
    "to-cloud-metadata": replace(redirect("http://169.254.169.254/latest/meta-data/"), status=307),
    "to-file": replace(redirect("file:///etc/passwd"), status=307),
}
REFUSALS = {
    "401-echoing-the-key": replies.invalid_api_key(),
    "429-retry-after-days": replies.rate_limited("864000"),
    "429-retry-after-in-2124": replies.rate_limited("Sun, 06 Nov 2124 08:49:37 GMT"),
}


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[OpenAIServer]:
    server = OpenAIServer().start()
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    try:
        yield server
    finally:
        server.stop()


def draft(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Path]:
    out = tmp_path / "drafts"
    code = main(["draft", NCT, "--writer", "openai", "--offline", "--out", str(out)])
    return code, capsys.readouterr().err, out


def assert_one_line(err: str, server: OpenAIServer) -> None:
    assert err.startswith("drafter: model endpoint ") and err.count("\n") == 1, err
    assert server.url.removeprefix("http://") in err
    assert KEY not in err and "Traceback" not in err


@pytest.mark.parametrize(
    "reply",
    [*NOT_A_COMPLETION.values(), *REDIRECTS.values(), *REFUSALS.values()],
    ids=[*NOT_A_COMPLETION, *(f"redirect-{name}" for name in REDIRECTS), *REFUSALS],
)
def test_an_unusable_model_answer_fails_draft_in_one_line_without_files(
    reply: Reply, endpoint: OpenAIServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.default = reply
    code, err, out = draft(tmp_path, capsys)
    assert code == EXIT_UPSTREAM, err
    assert_one_line(err, endpoint)
    assert not out.exists() or not any(out.rglob("*"))
    assert {r.path for r in endpoint.received} <= set(COMPLETIONS_PATHS)
    bodies = [r.body for r in endpoint.received]
    assert len(bodies) == len(set(bodies))  # each section asked once: no redirect, no retry


def test_a_redirect_is_named_as_one_and_not_followed(
    endpoint: OpenAIServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.default = REDIRECTS["to-cloud-metadata"]
    code, err, _ = draft(tmp_path, capsys)
    assert code == EXIT_UPSTREAM
    assert "redirected the request (HTTP 307)" in err and "OPENAI_BASE_URL" in err


def test_a_gzip_bomb_is_a_section_for_the_editor_not_gigabytes_in_memory(
    endpoint: OpenAIServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint.default = Reply(200, bomb(2, 31), encoding="gzip")
    code, err, out = draft(tmp_path, capsys)
    assert code == EXIT_FINDINGS, err
    written = Draft.model_validate_json((out / NCT / "draft.json").read_text())
    flagged = [s for s in written.sections if s.status == "needs_editor"]
    assert flagged and all("larger than" in (s.reason or "") for s in flagged), flagged


# --- replies that never end: each attempt stops at the model timeout ---------------------------


def writer_for(server: OpenAIServer, tmp_path: Path, **overrides: Any) -> OpenAIWriter:
    values: dict[str, Any] = {
        "openai_api_key": KEY,
        "openai_base_url": server.base_url,
        "model_timeout": 0.4,
        "max_attempts": 2,
    }
    values.update(overrides)
    return OpenAIWriter(fast_settings(tmp_path, **values), sleep=SleepRecorder())


def ask() -> WriteRequest:
    return WriteRequest(
        section="what_was_tried",
        heading="What was tried",
        messages=[Message(role="user", content="Facts you may cite:\nF1 enrollment: 42")],
        output=SectionText,
        facts={},
        analytic=False,
        attempt=1,
    )


ENDLESS = {
    "headers-drip-fed": replace(replies.valid_section(), header_drip=0.1),
    "body-drip-fed": replace(replies.valid_section(), drip=0.1),
    "silent-after-accepting": Reply(hang=True),
}


@pytest.mark.parametrize("reply", ENDLESS.values(), ids=ENDLESS.keys())
def test_a_reply_that_never_ends_is_cut_at_the_model_timeout_and_retried(
    reply: Reply, server: OpenAIServer, tmp_path: Path
) -> None:
    """The call deadline (300 s) is far away: only the per-attempt timeout can end these."""
    server.default = reply
    with pytest.raises(ModelUnavailable) as error:
        writer_for(server, tmp_path).write(ask())
    assert str(error.value).endswith("unavailable after 2 attempts (timed out)")
    assert len(server.completion_requests) == 2


def test_a_drip_fed_reply_then_a_good_one_succeeds(server: OpenAIServer, tmp_path: Path) -> None:
    server.script(ENDLESS["headers-drip-fed"])
    result = writer_for(server, tmp_path).write(ask())
    assert result.output is not None
    assert json.loads(result.raw) == replies.SECTION


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    running = OpenAIServer().start()
    try:
        yield running
    finally:
        running.stop()
