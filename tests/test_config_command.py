"""`drafter config`: each setting's value and where it came from (default, config file,
environment), from the same loader every command uses; secrets only as set / not set."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from drafter.cli import main
from drafter.config import ENVIRONMENT, is_secret, load_effective_settings, load_settings

# Made-up credentials: none of them may appear in any output.
FAKE_OPENAI_KEY = "sk-fake-0123456789abcdef"
FAKE_NCBI_KEY = "ncbi-fake-key-5550123"
FAKE_OPENFDA_KEY = "openfda-fake-key-in-a-file-42"
FAKE_URL_PASSWORD = "hunter2-fake-password"


def write_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("DRAFTER_CONFIG", str(path))
    return path


def run_config(capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    code = main(["config", *flags])
    out, err = capsys.readouterr()
    return code, out, err


def rows_of(out: str) -> dict[str, dict[str, object]]:
    return {row["name"]: row for row in json.loads(out)["settings"]}


def test_each_setting_says_whether_it_is_a_default_from_the_file_or_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(
        tmp_path, monkeypatch, 'model = "llama3.1"\ncommand_deadline = 60\nmodel_timeout = 30\n'
    )
    monkeypatch.setenv("DRAFTER_MODEL_TIMEOUT", "45")  # the environment outranks the file
    monkeypatch.setenv("DRAFTER_OFFLINE", "1")
    code, out, err = run_config(capsys, "--json")
    assert code == 0 and err == ""
    document = json.loads(out)
    assert document["config_file"] == {"path": str(path), "from": "environment", "found": True}
    rows = rows_of(out)
    assert set(rows) == set(ENVIRONMENT.values())
    assert rows["model"]["value"] == "llama3.1" and rows["model"]["origin"] == "config file"
    assert rows["command_deadline"]["value"] == 60 and rows["command_deadline"]["origin"] == (
        "config file"
    )
    assert rows["model_timeout"]["value"] == 45 and rows["model_timeout"]["origin"] == (
        "environment"
    )
    assert rows["offline"]["value"] is True and rows["offline"]["origin"] == "environment"
    assert rows["request_deadline"]["value"] == 30 and rows["request_deadline"]["origin"] == (
        "default"
    )
    for name, row in rows.items():
        assert row["variable"] == {v: n for n, v in ENVIRONMENT.items()}[name]


def test_the_origins_are_those_of_the_loader_every_command_uses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    path.write_text('ctgov_url = "http://127.0.0.1:8000/api/v2"\n', encoding="utf-8")
    environ = {"DRAFTER_CONFIG": str(path), "DRAFTER_DB": str(tmp_path / "c.sqlite3")}
    effective = load_effective_settings({"model": "from-a-flag"}, environ)
    assert effective.settings == load_settings({"model": "from-a-flag"}, environ)
    assert effective.origins["ctgov_url"] == "config file"
    assert effective.origins["db_path"] == "environment"
    assert effective.origins["model"] == "command line"
    assert effective.origins["cache_dir"] == "default"
    assert effective.config_file == path and effective.config_file_found


def test_the_human_table_names_the_file_and_each_origin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(tmp_path, monkeypatch, 'model = "llama3.1"\n')
    code, out, _ = run_config(capsys)
    assert code == 0
    assert out.startswith(f"config file: {path} (DRAFTER_CONFIG; read)\n")
    lines = {line.split()[0]: line.split() for line in out.splitlines()[2:] if line.strip()}
    assert lines["model"][1:] == ["llama3.1", "config", "file", "DRAFTER_MODEL"]
    assert lines["db_path"][-2:] == ["environment", "DRAFTER_DB"]  # set by tests/conftest.py
    assert lines["snapshot_dir"][1:] == ["(none)", "default", "DRAFTER_SNAPSHOT_DIR"]
    assert lines["openai_api_key"][1:] == ["not", "set", "default", "OPENAI_API_KEY"]


def test_without_a_config_file_it_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.delenv("DRAFTER_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "nowhere"))
    code, out, _ = run_config(capsys)
    assert code == 0 and "(the default; not found, so nothing is from a file)" in out
    code, out, _ = run_config(capsys, "--json")
    assert json.loads(out)["config_file"]["found"] is False
    assert json.loads(out)["config_file"]["from"] == "default"


@pytest.mark.parametrize("flags", [(), ("--json",)])
def test_secrets_from_the_environment_and_the_file_are_only_set_or_not_set(
    flags: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(tmp_path, monkeypatch, f'openfda_api_key = "{FAKE_OPENFDA_KEY}"\n')
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)
    monkeypatch.setenv("NCBI_API_KEY", FAKE_NCBI_KEY)
    monkeypatch.setenv("DRAFTER_CTGOV_URL", f"http://editor:{FAKE_URL_PASSWORD}@127.0.0.1:9/v2")
    code, out, err = run_config(capsys, *flags)
    assert code == 0
    for secret in (FAKE_OPENAI_KEY, FAKE_NCBI_KEY, FAKE_OPENFDA_KEY, FAKE_URL_PASSWORD):
        assert secret not in out and secret not in err
    # no fragment either: none of the fakes' distinctive parts shows
    for fragment in ("0123456789abcdef", "5550123", "in-a-file-42", "hunter2"):
        assert fragment not in out + err
    if flags:
        rows = rows_of(out)
        for name, origin in (
            ("openai_api_key", "environment"),
            ("ncbi_api_key", "environment"),
            ("openfda_api_key", "config file"),
        ):
            assert rows[name] == {
                "name": name,
                "value": None,
                "set": True,
                "origin": origin,
                "variable": rows[name]["variable"],
                "secret": True,
            }
        assert rows["ctgov_url"]["value"] == "http://***@127.0.0.1:9/v2"
    else:
        assert re.search(r"^openai_api_key +set ", out, re.MULTILINE), out
        assert re.search(r"^openfda_api_key +set ", out, re.MULTILINE), out
        assert "http://***@127.0.0.1:9/v2" in out


def test_a_setting_named_like_a_credential_is_a_secret_whatever_its_type() -> None:
    assert {n for n in ENVIRONMENT.values() if is_secret(n)} == {
        "openai_api_key",
        "ncbi_api_key",
        "openfda_api_key",
    }
    for name in ("some_token", "client_secret", "proxy_password", "vendor_api_key"):
        assert is_secret(name)
    assert not is_secret("model") and not is_secret("ctgov_url")


def test_a_bad_config_file_is_one_line_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_config(tmp_path, monkeypatch, f'modle = "x"\nopenai_api_key = "{FAKE_OPENAI_KEY}"\n')
    code, out, err = run_config(capsys)
    assert code == 2 and out == "" and err.count("\n") == 1 and "'modle'" in err
    assert FAKE_OPENAI_KEY not in err
    monkeypatch.setenv("DRAFTER_CONFIG", str(tmp_path / "missing.toml"))
    code, out, err = run_config(capsys, "--json")
    assert code == 2 and out == "" and "does not exist" in err


def test_an_invalid_value_names_the_variable_or_the_file_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """'invalid setting model_timeout' alone left the user to guess which of the environment,
    the config file or a flag held it; pydantic's 'Value error, ' prefix is not for users."""
    monkeypatch.setenv("DRAFTER_MODEL_TIMEOUT", "soon")
    code, out, err = run_config(capsys)
    assert (code, out) == (2, "")
    assert err == (
        "drafter: invalid setting model_timeout: Input should be a valid number, unable to "
        "parse string as a number (from DRAFTER_MODEL_TIMEOUT in the environment)\n"
    )
    monkeypatch.delenv("DRAFTER_MODEL_TIMEOUT")
    monkeypatch.setenv("DRAFTER_CTGOV_URL", "ftp://mirror.example")
    code, _, err = run_config(capsys)
    assert code == 2
    assert err == (
        "drafter: invalid setting ctgov_url: must be an http(s) URL with a host: "
        "'ftp://mirror.example' (from DRAFTER_CTGOV_URL in the environment)\n"
    )
    monkeypatch.delenv("DRAFTER_CTGOV_URL")
    path = write_config(tmp_path, monkeypatch, 'offline = "yes"\n')
    code, _, err = run_config(capsys, "--json")
    assert code == 2
    assert err == (
        f"drafter: invalid setting offline: Input should be a valid boolean "
        f"(from the config file {path})\n"
    )
