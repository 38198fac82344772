"""OpenAIWriter driving the real openai client against a local OpenAI-compatible server: reply
handling, the one retry layer, the three structured-output modes, and the key kept out of
everything drafter prints, logs or stores."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from drafter.calllog import CallLog, CallRecord
from drafter.config import Settings, load_settings
from drafter.errors import BadInput
from drafter.section_models import HeadlineText, SectionText
from drafter.sources import deadline as budgets
from drafter.writers.base import Message, ModelUnavailable, Usage, WriteRequest, WriteResult
from drafter.writers.endpoint import endpoint_host, writer_settings_present
from drafter.writers.openai_writer import MAX_REPLY_BYTES, PLACEHOLDER_KEY, OpenAIWriter
from drafter.writers.pricing import PRICES, cost_usd
from drafter.writers.retries import server_wait
from drafter.writers.structured import chat_messages, output_schema, response_format
from tests import openai_server as replies
from tests.conftest import fast_settings
from tests.http_helpers import SleepRecorder
from tests.openai_server import HEADLINE, SECTION, OpenAIServer, header
from tests.servers import Reply

KEY = "sk-drafter-test-4f1c9a7b2e6d0835"
MODEL_VARIABLES = (
    "OPENAI_BASE_URL",
    "DRAFTER_MODEL",
    "DRAFTER_STRUCTURED_OUTPUT",
    "DRAFTER_MODEL_TIMEOUT",
)


@pytest.fixture(autouse=True)
def _no_model_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No developer's model endpoint leaks into a test (conftest clears OPENAI_API_KEY)."""
    for variable in MODEL_VARIABLES:
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def server() -> Iterator[OpenAIServer]:
    running = OpenAIServer().start()
    try:
        yield running  # type: ignore[misc]
    finally:
        running.stop()


def make_writer(
    server: OpenAIServer,
    tmp_path: Path,
    sleep: SleepRecorder | None = None,
    **overrides: Any,
) -> OpenAIWriter:
    values: dict[str, Any] = {
        "openai_api_key": KEY,
        "openai_base_url": server.base_url,
        "model_timeout": 5.0,
    }
    values.update(overrides)
    return OpenAIWriter(fast_settings(tmp_path, **values), sleep=sleep or SleepRecorder())


def ask(
    output: type[BaseModel] = SectionText,
    *,
    section: str = "what_was_tried",
    system: bool = True,
    attempt: int = 1,
) -> WriteRequest:
    messages = [Message(role="user", content="Facts you may cite:\nF1 enrollment: 42")]
    if system:
        messages.insert(0, Message(role="system", content="You draft one section."))
    return WriteRequest(
        section=section,
        heading=section.replace("_", " ").capitalize(),
        messages=messages,
        output=output,
        facts={},
        analytic=False,
        attempt=attempt,
    )


# --- replies ------------------------------------------------------------------------------------


def test_a_good_reply_is_parsed_with_its_usage_request_id_and_reported_model(
    server: OpenAIServer, tmp_path: Path
) -> None:
    writer = make_writer(server, tmp_path)
    result = writer.write(ask())
    assert result.problem is None and result.detail is None
    assert result.output == SectionText.model_validate(SECTION)
    assert json.loads(result.raw) == SECTION
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (120, 40)
    assert result.request_id == "req_1"
    assert result.model == replies.REPORTED_MODEL
    assert result.latency_seconds >= 0
    (sent,) = server.requests
    assert sent["model"] == "gpt-4o-mini"
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert sent["messages"][1]["content"] == "Facts you may cite:\nF1 enrollment: 42"
    assert header(server.completion_requests[0], "Authorization") == f"Bearer {KEY}"
    assert (writer.name, writer.model, writer.endpoint) == (
        "openai",
        "gpt-4o-mini",
        endpoint_of(server),
    )


def endpoint_of(server: OpenAIServer) -> str:
    return server.url.removeprefix("http://")


def test_a_headline_reply_validates_as_the_requested_model(
    server: OpenAIServer, tmp_path: Path
) -> None:
    server.script(replies.completion(json.dumps(HEADLINE)))
    result = make_writer(server, tmp_path).write(ask(HeadlineText, section="headline"))
    assert result.output == HeadlineText.model_validate(HEADLINE)


@pytest.mark.parametrize(
    ("reply", "problem", "detail"),
    [
        (replies.malformed_json(), "malformed_json", "Invalid JSON"),
        (replies.schema_violation(), "schema", "paragraphs.0.cites: Field required"),
        (replies.refusal(), "refusal", "I'm sorry, I can't help with that request."),
        (replies.cut_off(), "length", "cut off at the token limit"),
        (replies.content_filtered(), "content_filter", "content filter"),
        (replies.completion(""), "malformed_json", "empty"),
    ],
)
def test_a_reply_without_usable_output_is_reported_not_raised(
    server: OpenAIServer, tmp_path: Path, reply: Reply, problem: str, detail: str
) -> None:
    server.script(reply)
    result = make_writer(server, tmp_path).write(ask())
    assert result.output is None
    assert result.problem == problem
    assert result.detail is not None and detail in result.detail and "\n" not in result.detail
    sent = json.loads(reply.body)["choices"][0]["message"]["content"] or ""
    assert result.raw == sent  # the text as received, for the re-ask and the call log
    assert result.usage.completion_tokens == 40 and result.request_id == "req_1"
    assert len(server.requests) == 1  # a bad reply is the pipeline's to re-ask, not retried


def test_a_multi_line_refusal_becomes_a_one_line_detail(
    server: OpenAIServer, tmp_path: Path
) -> None:
    server.script(replies.refusal("I can't.\n\nThis asks for\tmedical advice."))
    result = make_writer(server, tmp_path).write(ask())
    assert result.detail == "I can't. This asks for medical advice."


@pytest.mark.parametrize(
    "content",
    [
        "```json\n" + json.dumps(SECTION) + "\n```",
        "<think>which facts?</think>\n" + json.dumps(SECTION),
    ],
)
def test_a_fenced_or_thinking_reply_is_unwrapped_and_kept_raw(
    server: OpenAIServer, tmp_path: Path, content: str
) -> None:
    server.script(replies.completion(content))
    result = make_writer(server, tmp_path, structured_output="json_object").write(ask())
    assert result.output == SectionText.model_validate(SECTION)
    assert result.raw == content


def test_a_reply_without_usage_has_unknown_tokens(server: OpenAIServer, tmp_path: Path) -> None:
    server.script(replies.completion(json.dumps(SECTION), usage=None, model="llama3.1:8b"))
    result = make_writer(server, tmp_path).write(ask())
    assert result.usage.prompt_tokens is None and result.model == "llama3.1:8b"


def test_an_answer_that_is_no_chat_completion_is_model_unavailable(
    server: OpenAIServer, tmp_path: Path
) -> None:
    server.script(Reply(200, "<html>Open WebUI</html>", content_type="text/html"))
    with pytest.raises(ModelUnavailable, match="not a chat completion; check OPENAI_BASE_URL"):
        make_writer(server, tmp_path).write(ask())


# --- structured-output modes --------------------------------------------------------------------


def strict_schema_problems(schema: dict[str, Any]) -> list[str]:
    """Where a JSON schema breaks OpenAI's strict Structured Outputs rules: the root is an
    object; every object lists all its properties as required and sets additionalProperties
    false; no `default`; refs are local ($defs); at most 10 levels of nesting."""
    problems: list[str] = []
    if schema.get("type") != "object" or "anyOf" in schema:
        problems.append("root: must be an object, not anyOf")

    def visit(node: Any, where: str, depth: int) -> None:
        if isinstance(node, list):
            for index, item in enumerate(node):
                visit(item, f"{where}[{index}]", depth)
            return
        if not isinstance(node, dict):
            return
        if depth > 10:
            problems.append(f"{where}: nested deeper than 10 levels")
        if "default" in node:
            problems.append(f"{where}: has a default")
        reference = node.get("$ref")
        if reference is not None and not str(reference).startswith(("#/$defs/", "#")):
            problems.append(f"{where}: non-local $ref {reference}")
        if node.get("type") == "object" or "properties" in node:
            if node.get("additionalProperties") is not False:
                problems.append(f"{where}: additionalProperties is not false")
            if set(node.get("required", [])) != set(node.get("properties", {})):
                problems.append(f"{where}: not every property is required")
        for key, value in node.items():
            nested = key in ("properties", "$defs")
            for name, child in value.items() if nested and isinstance(value, dict) else []:
                visit(child, f"{where}.{key}.{name}", depth + 1)
            if not nested:
                visit(value, f"{where}.{key}", depth + 1)

    visit(schema, "$", 0)
    return problems


@pytest.mark.parametrize("output", [SectionText, HeadlineText])
def test_strict_mode_sends_a_schema_that_keeps_openais_strict_rules(
    server: OpenAIServer, tmp_path: Path, output: type[BaseModel]
) -> None:
    server.script(replies.completion(json.dumps(SECTION if output is SectionText else HEADLINE)))
    make_writer(server, tmp_path, structured_output="strict").write(ask(output))
    (sent,) = server.requests
    response_format = sent["response_format"]
    assert response_format["type"] == "json_schema"
    assert response_format["json_schema"]["strict"] is True
    assert response_format["json_schema"]["name"] == output.__name__
    assert strict_schema_problems(response_format["json_schema"]["schema"]) == []
    assert sent["messages"][0]["content"] == "You draft one section."


@pytest.mark.parametrize("mode", ["strict", "json_schema", "json_object"])
def test_the_request_is_the_json_the_sdks_own_calls_send(
    server: OpenAIServer, tmp_path: Path, mode: str
) -> None:
    """The writer hands messages and response_format to the SDK untransformed (extra_body) and
    builds the strict format once per model: the JSON on the wire must still be, key for key,
    what the SDK's parse() (strict) or create() sends for the same request."""
    import openai

    writer = make_writer(server, tmp_path, structured_output=mode)
    writer.write(ask(SectionText))
    writer.write(ask(SectionText))  # the remembered format, second time round
    client = openai.OpenAI(api_key="k", base_url=server.base_url, max_retries=0)
    request = ask(SectionText)
    messages = chat_messages(mode, request.messages, SectionText)  # type: ignore[arg-type]
    if mode == "strict":
        client.chat.completions.parse(
            model=writer.model, messages=messages, response_format=SectionText
        )
    else:
        wanted = response_format(mode, SectionText)  # type: ignore[arg-type]
        client.chat.completions.create(
            model=writer.model, messages=messages, response_format=wanted, stream=False
        )
    first, second, by_the_sdk = server.requests
    assert first == second == by_the_sdk


def test_the_strict_rule_check_catches_what_openai_rejects() -> None:
    class Loose(BaseModel):
        text: str = "x"
        note: str | None = None

    problems = strict_schema_problems(Loose.model_json_schema())
    assert any("default" in p for p in problems)
    assert any("required" in p for p in problems)
    assert any("additionalProperties" in p for p in problems)


def test_json_schema_mode_sends_the_schema_inlined_and_not_strict(
    server: OpenAIServer, tmp_path: Path
) -> None:
    make_writer(server, tmp_path, structured_output="json_schema").write(ask())
    (sent,) = server.requests
    assert sent["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "SectionText",
            "schema": output_schema(SectionText),
            "strict": False,
        },
    }
    assert "$ref" not in json.dumps(sent["response_format"])
    assert "$defs" not in json.dumps(sent["response_format"])
    assert sent["messages"][0]["content"] == "You draft one section."


def test_json_object_mode_puts_the_schema_in_the_system_message(
    server: OpenAIServer, tmp_path: Path
) -> None:
    make_writer(server, tmp_path, structured_output="json_object").write(ask())
    (sent,) = server.requests
    assert sent["response_format"] == {"type": "json_object"}
    system = sent["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("You draft one section.\n\n")
    schema = json.loads(system["content"].rsplit("\n", 1)[1])
    assert schema == output_schema(SectionText)
    assert sent["messages"][1:] == [
        {"role": "user", "content": "Facts you may cite:\nF1 enrollment: 42"}
    ]


def test_json_object_mode_adds_a_system_message_when_there_is_none(
    server: OpenAIServer, tmp_path: Path
) -> None:
    make_writer(server, tmp_path, structured_output="json_object").write(ask(system=False))
    roles = [m["role"] for m in server.requests[0]["messages"]]
    assert roles == ["system", "user"]
    assert "JSON schema" in server.requests[0]["messages"][0]["content"]


def test_a_re_ask_sends_the_previous_reply_as_an_assistant_message(
    server: OpenAIServer, tmp_path: Path
) -> None:
    request = ask(attempt=2)
    messages = [
        *request.messages,
        Message(role="assistant", content='{"paragraphs": []}'),
        Message(role="user", content="F9 is not a fact you were given."),
    ]
    make_writer(server, tmp_path).write(request.model_copy(update={"messages": messages}))
    assert [m["role"] for m in server.requests[0]["messages"]] == [
        "system",
        "user",
        "assistant",
        "user",
    ]


# --- transport retries --------------------------------------------------------------------------


def test_a_429_waits_as_long_as_retry_after_says_then_succeeds(
    server: OpenAIServer, tmp_path: Path
) -> None:
    sleep = SleepRecorder()
    server.script(replies.rate_limited("2"))
    result = make_writer(server, tmp_path, sleep, retry_after_cap=60.0).write(ask())
    assert result.output is not None
    assert sleep.calls == [2.0]
    assert len(server.requests) == 2


def test_retry_after_ms_is_honoured_and_a_long_wait_is_capped(
    server: OpenAIServer, tmp_path: Path
) -> None:
    sleep = SleepRecorder()
    server.script(replies.rate_limited("1500", header="retry-after-ms"), replies.rate_limited("45"))
    make_writer(server, tmp_path, sleep, retry_after_cap=30.0).write(ask())
    assert sleep.calls == [1.5, 30.0]


def test_a_retry_after_beyond_the_deadline_stops_at_once(
    server: OpenAIServer, tmp_path: Path
) -> None:
    sleep = SleepRecorder()
    server.script(replies.rate_limited("600"))
    writer = make_writer(server, tmp_path, sleep, model_deadline=30.0, retry_after_cap=60.0)
    with pytest.raises(ModelUnavailable, match="within the 30 s model call deadline"):
        writer.write(ask())
    assert sleep.calls == [] and len(server.requests) == 1


def test_an_enclosing_budget_shortens_the_call(server: OpenAIServer, tmp_path: Path) -> None:
    server.script(replies.rate_limited("20"))
    writer = make_writer(server, tmp_path, retry_after_cap=60.0)
    with (
        budgets.within(10, "command deadline"),
        pytest.raises(ModelUnavailable, match="10 s command deadline"),
    ):
        writer.write(ask())


def test_a_500_is_retried_with_backoff_then_succeeds(server: OpenAIServer, tmp_path: Path) -> None:
    sleep = SleepRecorder()
    server.script(replies.server_error())
    result = make_writer(server, tmp_path, sleep).write(ask())
    assert result.output is not None
    assert len(sleep.calls) == 1 and len(server.requests) == 2


def test_repeated_503s_end_in_model_unavailable_after_the_attempts(
    server: OpenAIServer, tmp_path: Path
) -> None:
    server.default = replies.api_error(503, None, "overloaded", kind="server_error")
    with pytest.raises(ModelUnavailable) as raised:
        make_writer(server, tmp_path, max_attempts=3).write(ask())
    assert str(raised.value) == (
        f"model endpoint {endpoint_of(server)} unavailable after 3 attempts (HTTP 503)"
    )
    assert len(server.requests) == 3


def test_a_stalled_reply_times_out_and_the_next_attempt_succeeds(
    server: OpenAIServer, tmp_path: Path
) -> None:
    server.script(replies.stalled(3.0))
    result = make_writer(server, tmp_path, model_timeout=0.3).write(ask())
    assert result.output is not None
    assert len(server.requests) == 2


def test_a_reply_that_always_stalls_ends_in_model_unavailable(
    server: OpenAIServer, tmp_path: Path
) -> None:
    server.default = replies.stalled(3.0)
    with pytest.raises(ModelUnavailable, match=r"after 2 attempts \(timed out\)"):
        make_writer(server, tmp_path, model_timeout=0.3, max_attempts=2).write(ask())


def test_a_drip_fed_reply_cannot_outlast_the_call_deadline(
    server: OpenAIServer, tmp_path: Path
) -> None:
    # one byte every 50 ms never trips the read timeout; the call's deadline still ends it
    server.default = replace(replies.valid_section(), drip=0.05)
    writer = make_writer(server, tmp_path, model_timeout=1.0, model_deadline=1.5, max_attempts=3)
    started = time.monotonic()
    with pytest.raises(ModelUnavailable, match=r"timed out|deadline"):
        writer.write(ask())
    assert time.monotonic() - started < 5


def test_an_oversized_reply_is_not_read_into_memory(server: OpenAIServer, tmp_path: Path) -> None:
    padding = "x" * (MAX_REPLY_BYTES + 10)
    server.script(replies.completion(json.dumps({"paragraphs": [], "padding": padding})))
    result = make_writer(server, tmp_path).write(ask())
    assert (result.output, result.problem, result.raw) == (None, "length", "")
    assert "larger than 1,048,576 bytes" in (result.detail or "")


def test_a_body_cut_short_is_retried_as_a_connection_failure(
    server: OpenAIServer, tmp_path: Path
) -> None:
    server.script(replace(replies.valid_section(), truncate_to=40))
    result = make_writer(server, tmp_path).write(ask())
    assert result.output is not None
    assert len(server.requests) == 2


def test_a_refused_connection_is_retried_then_model_unavailable(tmp_path: Path) -> None:
    settings = fast_settings(
        tmp_path, openai_base_url="http://127.0.0.1:9/v1", max_attempts=2, model_timeout=1.0
    )
    sleep = SleepRecorder()
    with pytest.raises(ModelUnavailable, match=r"127\.0\.0\.1:9 unavailable after 2 attempts"):
        OpenAIWriter(settings, sleep=sleep).write(ask())
    assert len(sleep.calls) == 1


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (
            replies.insufficient_quota(),
            "has no quota left for this API key (HTTP 429 insufficient_quota)",
        ),
        (
            replies.invalid_api_key(),
            "rejected the API key (HTTP 401 invalid_api_key); check OPENAI_API_KEY",
        ),
        (replies.model_not_found(), "model 'gpt-4o-mini' or its API was not found"),
        (
            replies.api_error(400, "invalid_value", "Invalid 'messages'."),
            "refused the request (HTTP 400 invalid_value): Invalid 'messages'.",
        ),
        (replies.api_error(403, None, "Country not supported."), "rejected the API key (HTTP 403)"),
    ],
)
def test_failures_no_retry_can_mend_stop_at_once_in_one_line(
    server: OpenAIServer, tmp_path: Path, reply: Reply, message: str
) -> None:
    sleep = SleepRecorder()
    server.script(reply)
    with pytest.raises(ModelUnavailable) as raised:
        make_writer(server, tmp_path, sleep).write(ask())
    text = str(raised.value)
    assert message in text
    assert "\n" not in text and KEY not in text
    assert len(server.requests) == 1 and sleep.calls == []
    assert raised.value.exit_code == 3
    assert raised.value.__cause__ is None and raised.value.__context__ is None


# --- configuration ------------------------------------------------------------------------------


def test_without_a_key_a_local_server_gets_a_placeholder(
    server: OpenAIServer, tmp_path: Path
) -> None:
    writer = make_writer(server, tmp_path, openai_api_key=None)
    assert writer.write(ask()).output is not None
    assert header(server.completion_requests[0], "Authorization") == f"Bearer {PLACEHOLDER_KEY}"


def test_without_key_or_base_url_there_is_no_endpoint(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailable, match=r"set OPENAI_API_KEY .* or OPENAI_BASE_URL"):
        OpenAIWriter(fast_settings(tmp_path))


def test_the_base_url_without_v1_also_answers(server: OpenAIServer, tmp_path: Path) -> None:
    writer = make_writer(server, tmp_path, openai_base_url=server.url)
    assert writer.write(ask()).output is not None
    assert server.completion_requests[0].path == "/chat/completions"


def test_an_injected_client_is_used_with_its_retries_off(
    server: OpenAIServer, tmp_path: Path
) -> None:
    import openai

    client = openai.OpenAI(api_key=KEY, base_url=server.base_url, max_retries=5)
    writer = OpenAIWriter(fast_settings(tmp_path), sleep=SleepRecorder(), client=client)
    server.script(replies.insufficient_quota())
    with pytest.raises(ModelUnavailable):
        writer.write(ask())
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("environ", "present"),
    [
        ({}, False),
        ({"OPENAI_API_KEY": ""}, False),
        ({"OPENAI_API_KEY": "sk-x"}, True),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:11434/v1"}, True),
        ({"DRAFTER_MODEL": "llama3.1"}, False),
    ],
)
def test_writer_settings_present(environ: dict[str, str], present: bool) -> None:
    assert writer_settings_present(environ) is present


def test_writer_settings_present_counts_the_config_file() -> None:
    settings = Settings(openai_base_url="http://127.0.0.1:11434/v1")
    assert writer_settings_present({}, settings)
    assert not writer_settings_present({}, Settings())


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://api.openai.com/v1", "api.openai.com"),
        ("http://user:secret@127.0.0.1:11434/v1", "127.0.0.1:11434"),
        ("http://[::1]:8000/v1/", "[::1]:8000"),
    ],
)
def test_the_endpoint_is_a_host_without_credentials(url: str, host: str) -> None:
    assert endpoint_host(url) == host


def test_model_settings_come_from_the_config_file_and_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'structured_output = "json_object"\nmodel_timeout = 20\n'
        'openai_base_url = "http://127.0.0.1:11434/v1"\n'
    )
    environ = {"DRAFTER_CONFIG": str(config)}
    settings = load_settings(environ=environ)
    assert (settings.structured_output, settings.model_timeout) == ("json_object", 20)
    assert settings.openai_base_url == "http://127.0.0.1:11434/v1"
    environ |= {"DRAFTER_STRUCTURED_OUTPUT": "json_schema", "OPENAI_API_KEY": KEY}
    settings = load_settings(environ=environ)
    assert settings.structured_output == "json_schema"
    assert settings.openai_api_key is not None and KEY not in repr(settings)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DRAFTER_STRUCTURED_OUTPUT", "tools"),
        ("DRAFTER_MODEL_TIMEOUT", "0"),
        ("DRAFTER_MODEL_TIMEOUT", "100000"),
        ("OPENAI_BASE_URL", "localhost:11434"),
        ("OPENAI_BASE_URL", "http://user:pw-secret@127.0.0.1:11434/v1"),
    ],
)
def test_a_bad_model_setting_is_bad_input(variable: str, value: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("")
    with pytest.raises(BadInput, match="invalid setting") as raised:
        load_settings(environ={"DRAFTER_CONFIG": str(config), variable: value})
    assert "pw-secret" not in str(raised.value)


def test_model_internal_knobs_stay_out_of_the_config_file(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("model_deadline = 100000\n")
    with pytest.raises(BadInput, match="'model_deadline' is not a setting"):
        load_settings(environ={"DRAFTER_CONFIG": str(config)})


def test_the_call_log_lives_beside_the_claims_store(tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "data" / "claims.sqlite3")
    assert settings.call_log_path == tmp_path / "data" / "calls.sqlite3"


# --- the key stays out of everything ------------------------------------------------------------


def test_the_key_never_appears_in_results_errors_logs_or_the_call_log(
    server: OpenAIServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    echoed = dict(SECTION)
    echoed["paragraphs"] = [{**SECTION["paragraphs"][0], "text": f"key {replies.AUTHORIZATION}"}]
    server.script(
        replies.completion(json.dumps(echoed)),
        replies.completion(f"not json {replies.AUTHORIZATION}"),
        replies.refusal(f"I will not repeat {replies.AUTHORIZATION}"),
        replies.invalid_api_key(),
    )
    writer = make_writer(server, tmp_path)
    results: list[WriteResult] = []
    errors: list[str] = []
    for _ in range(4):
        try:
            results.append(writer.write(ask()))
        except ModelUnavailable as error:
            errors.append(str(error))
    assert header(server.completion_requests[0], "Authorization") == f"Bearer {KEY}"
    assert [r.problem for r in results] == [None, "malformed_json", "refusal"]
    assert len(errors) == 1
    assert results[0].output is not None and "***" in results[0].raw
    log_path = tmp_path / "calls.sqlite3"
    with CallLog(log_path) as log:
        for result in results:
            log.add(
                CallRecord.of(
                    writer, ask(), result, draft_id="d1", nct_id="NCT05591222", template_hash=None
                )
            )
    texts = [r.model_dump_json() for r in results] + errors + [caplog.text]
    texts += [record.getMessage() for record in caplog.records]
    assert all(KEY not in text for text in texts)
    for path in tmp_path.glob("calls.sqlite3*"):
        assert KEY.encode() not in path.read_bytes()


# --- many threads, one writer -------------------------------------------------------------------


def test_eight_threads_share_one_writer_and_one_call_log(tmp_path: Path) -> None:
    server = OpenAIServer(latency=0.02).start()
    try:
        writer = make_writer(server, tmp_path)
        sections = [f"section_{index}" for index in range(40)]
        with CallLog(tmp_path / "calls.sqlite3") as log:

            def draft(section: str) -> WriteResult:
                request = ask(section=section)
                result = writer.write(request)
                log.add(
                    CallRecord.of(
                        writer,
                        request,
                        result,
                        draft_id="d",
                        nct_id="NCT00000001",
                        template_hash="t",
                    )
                )
                return result

            with ThreadPoolExecutor(max_workers=8) as pool:
                results = list(pool.map(draft, sections))
            logged = log.records(draft_id="d")
    finally:
        server.stop()
    assert all(result.output is not None for result in results)
    assert sorted(record.section for record in logged) == sorted(sections)
    assert len({result.request_id for result in results}) == 40
    assert len(server.requests) == 40


# --- the pieces ---------------------------------------------------------------------------------

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": " 0.5 "}, 0.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": "Sat, 28 Nov 2026 12:00:30 GMT"}, 30.0),
        ({"retry-after": "Sat, 28 Nov 2026 11:00:00 GMT"}, 0.0),  # already past
        ({"retry-after": "soon"}, None),
        ({"retry-after": "²"}, None),  # a digit to str.isdigit, not to RFC 9110
        ({"retry-after": "-3"}, None),
        ({"retry-after": "Sat, 28 Nov 2026 13:00:00 +0100"}, 0.0),  # a zone is honoured
        ({"retry-after": "Sat, 28 Nov 2026 12:01:00"}, 60.0),  # no zone: UTC
        ({}, None),
    ],
)
def test_the_servers_wait_is_read_from_retry_after(
    headers: dict[str, str], seconds: float | None
) -> None:
    assert server_wait(headers, clock=lambda: NOW) == seconds


def test_a_huge_retry_after_is_infinite_not_an_error() -> None:
    assert server_wait({"retry-after": "9" * 400}) == math.inf


@pytest.mark.parametrize(
    ("model", "usage", "cost"),
    [
        ("gpt-4o-mini", Usage(prompt_tokens=1_000_000, completion_tokens=1_000_000), 0.75),
        ("gpt-4o-mini-2024-07-18", Usage(prompt_tokens=2000, completion_tokens=0), 0.0003),
        ("GPT-4.1", Usage(prompt_tokens=0, completion_tokens=1000), 0.008),
        ("gpt-4o-2024-05-13", Usage(prompt_tokens=10, completion_tokens=10), None),
        ("llama3.1:8b", Usage(prompt_tokens=10, completion_tokens=10), None),
        ("gpt-4o-mini", Usage(prompt_tokens=10), None),
    ],
)
def test_cost_is_known_only_for_priced_models(model: str, usage: Usage, cost: float | None) -> None:
    if cost is None:
        assert cost_usd(model, usage) is None
    else:
        assert cost_usd(model, usage) == pytest.approx(cost)


def test_every_price_is_positive_and_output_costs_more() -> None:
    for price in PRICES.values():
        assert 0 < price.input_per_million < price.output_per_million


def test_a_recursive_output_model_cannot_be_inlined() -> None:
    class Node(BaseModel):
        children: list[Node]

    with pytest.raises(ValueError, match="recursive"):
        output_schema(Node)
