"""Settings that tell the truth: a config file and the environment set only the documented user
settings; internal knobs are refused by name, and bounded even when set in code."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from drafter.cli import main
from drafter.config import ENVIRONMENT, USER_SETTINGS, Settings, load_settings
from drafter.errors import BadInput
from drafter.sources.http import HttpClient


def with_config(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return {"DRAFTER_CONFIG": str(path)}


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("max_attempts = 1000000", "max_attempts"),
        ("min_interval = {ctgov = -1}", "min_interval"),
        ("min_interval = {}", "min_interval"),
        ("backoff_initial = 0", "backoff_initial"),
        ("retry_after_cap = 100000", "retry_after_cap"),
        ("max_body_bytes = 1", "max_body_bytes"),
        ("read_timeout = 1", "read_timeout"),
        ("ctgov_ulr = 'http://127.0.0.1/x'", "ctgov_ulr"),  # a typo is refused the same way
    ],
)
def test_internal_knobs_are_refused_from_the_config_file_by_name(
    line: str, key: str, tmp_path: Path
) -> None:
    with pytest.raises(BadInput) as error:
        load_settings(environ=with_config(tmp_path, line + "\n"))
    message = str(error.value)
    assert f"{key!r} is not a setting drafter reads from a config file" in message
    assert "\n" not in message


def test_the_cli_refuses_an_internal_knob_with_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text("max_attempts = 1000000\n")
    monkeypatch.setenv("DRAFTER_CONFIG", str(config))
    assert main(["fetch", "NCT05591222", "--offline"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'max_attempts'" in err


def test_user_settings_are_the_documented_ones() -> None:
    assert {
        "offline",
        "db_path",
        "cache_dir",
        "snapshot_dir",
        "recorded_dir",
        "cache_ttl_seconds",
        "ctgov_url",
        "opentargets_url",
        "chembl_url",
        "openfda_url",
        "pubmed_url",
        "model",
        "structured_output",
        "model_timeout",
        "model_concurrency",
        "openai_api_key",
        "openai_base_url",
        "ncbi_api_key",
        "openfda_api_key",
        "request_deadline",
        "optional_deadline",
        "command_deadline",
        "discovery_deadline",
    } == USER_SETTINGS


def test_deadlines_come_from_the_config_file_and_the_environment(tmp_path: Path) -> None:
    environ = with_config(
        tmp_path, "request_deadline = 5\noptional_deadline = 7.5\ncommand_deadline = 60\n"
    )
    settings = load_settings(environ=environ)
    assert (settings.request_deadline, settings.optional_deadline) == (5, 7.5)
    assert settings.command_deadline == 60
    environ |= {"DRAFTER_DEADLINE": "90", "DRAFTER_REQUEST_DEADLINE": "2"}
    settings = load_settings(environ=environ)
    assert (settings.command_deadline, settings.request_deadline) == (90, 2)
    assert ENVIRONMENT["DRAFTER_OPTIONAL_DEADLINE"] == "optional_deadline"


def test_a_config_file_saved_with_a_bom_is_read(tmp_path: Path) -> None:
    environ = with_config(tmp_path, "\ufeffrequest_deadline = 5\n")
    assert load_settings(environ=environ).request_deadline == 5


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "100000", "soon"])
def test_a_deadline_out_of_bounds_is_bad_input(value: str, tmp_path: Path) -> None:
    environ = with_config(tmp_path, "") | {"DRAFTER_DEADLINE": value}
    with pytest.raises(BadInput, match="command_deadline"):
        load_settings(environ=environ)


@pytest.mark.parametrize(
    "values",
    [
        {"max_attempts": 0},
        {"max_attempts": 11},
        {"min_interval": {"ctgov": -0.1}},
        {"min_interval": {"ctgov": float("nan")}},
        {"backoff_initial": -1},
        {"retry_after_cap": float("inf")},
        {"request_deadline": 0},
        {"max_body_bytes": 10},
    ],
)
def test_internal_knobs_are_bounded_when_set_in_code(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(**values)  # type: ignore[arg-type]


def test_default_rate_limits_stay_under_the_published_ones() -> None:
    """Exactly at a limit, a send a few ms late puts one request too many in a second (NCBI's
    429 counts 4 against 3): each published limit is kept with a margin."""
    intervals = Settings().min_interval
    assert intervals["ctgov"] > 1.0  # robots.txt: Crawl-delay: 1
    assert 1 / intervals["pubmed"] < 3 * 0.95
    assert 1 / intervals["openfda"] < 240 / 60 * 0.95
    keyed = HttpClient._intervals(Settings(ncbi_api_key="0123456789abcdef"))
    assert 1 / keyed["pubmed"] < 10 * 0.95
