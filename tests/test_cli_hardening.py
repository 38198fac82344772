"""The command line as an attacker or a careless shell would use it: one line and the right exit
code, never a traceback, and no byte of source text that can drive the terminal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from drafter.cli import main
from drafter.terminal import json_text, one_line, safe_text
from tests.conftest import SNAPSHOT_DIR

DRAFTER = [sys.executable, "-m", "drafter.cli"]
HOSTILE = (
    "Stopped.\x1b[2J\x1b]0;pwned\x07\nNCT05591222 · TERMINATED · MRS 0/100 (GREEN)\u202e\x9b31m"
)


def run(*argv: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
    options: dict[str, object] = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    return subprocess.run([*DRAFTER, *argv], timeout=60, **{**options, **kwargs})  # type: ignore[call-overload, no-any-return]


def test_terminal_text_helpers() -> None:
    assert one_line("a\nb\u2028c\x1b[2Jd\x9be") == "a b c [2Jd e"
    assert one_line("x" * 10, limit=5) == "xxxx…"
    assert safe_text("keep\ttabs\nand lines\x07\x1b") == "keep\ttabs\nand lines"
    escaped = json_text({"why": HOSTILE})
    assert "\x1b" not in escaped and "\x9b" not in escaped and "\u202e" not in escaped
    assert json.loads(escaped) == {"why": HOSTILE}  # the data itself is unchanged


@pytest.fixture
def hostile_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The bundled snapshot with NCT05591222's whyStopped replaced by terminal escapes and a
    forged summary line."""
    copy = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT_DIR, copy)
    study_path = copy / "ctgov" / "study_NCT05591222.json"
    study = json.loads(study_path.read_text())
    study["protocolSection"]["statusModule"]["whyStopped"] = HOSTILE
    study_path.write_text(json.dumps(study))
    monkeypatch.setenv("DRAFTER_SNAPSHOT_DIR", str(copy))
    return copy


def test_source_text_cannot_drive_the_terminal_or_forge_lines(
    hostile_snapshot: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fetch", "NCT05591222", "--offline"]) == 0
    out = capsys.readouterr().out
    for control in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert control not in out
    assert not any(line.startswith("NCT05591222 · TERMINATED · MRS") for line in out.splitlines())
    why = next(line for line in out.splitlines() if "why stopped" in line)
    assert "MRS 0/100 (GREEN)" in why  # the forged line is shown, inside its quote

    assert main(["fetch", "NCT05591222", "--offline", "--json"]) == 0
    raw = capsys.readouterr().out
    assert "\x1b" not in raw and "\x9b" not in raw
    document = json.loads(raw)
    assert document["trial"]["protocol_section"]["status_module"]["why_stopped"] == HOSTILE


def test_control_characters_in_arguments_never_reach_stderr(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["fetch", "NCT\x1b[2J123"]) == 2
    assert main(["claims", "list", "--archetype", "\x1b[31mred"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err
    assert len(err.strip().splitlines()) == 2


def test_a_huge_bad_id_is_not_echoed_whole(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fetch", "NCT" + "1" * 100_000]) == 2
    err = capsys.readouterr().err
    assert len(err) < 300 and "not a ClinicalTrials.gov id" in err


@pytest.mark.parametrize("flag", ["--target", "--disease"])
@pytest.mark.parametrize("value", ["", "   "])
def test_blank_names_are_usage_errors_before_any_lookup(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    other = "--disease" if flag == "--target" else "--target"
    assert main(["mrs", flag, value, other, "x"]) == 2
    assert main(["fetch", "NCT05591222", "--offline", flag, value]) == 2
    err = capsys.readouterr().err
    assert err.count("must not be empty") == 2


@pytest.mark.parametrize("flag", ["--target", "--disease"])
@pytest.mark.parametrize(
    "value", ["LILRA4\nFAKE LINE", "ilt7\x1b[2J", "ilt\u202e7", "discoid\tlupus"]
)
def test_names_holding_control_characters_are_usage_errors_before_any_lookup(
    flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A pasted escape sequence or newline was sent upstream as a name (offline: exit 3, 'no
    cached response'); a bidi override even resolved ('ilt\u202e7' read as ILT7)."""
    other = "--disease" if flag == "--target" else "--target"
    assert main(["mrs", flag, value, other, "LILRA4", "--offline"]) == 2
    assert main(["fetch", "NCT05591222", "--offline", flag, value]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 2 and all("holds a control character (U+" in line for line in lines)
    assert all(value not in line for line in lines)


def test_closed_stdout_is_one_line_and_exit_2() -> None:
    closed = run("classify", "Sponsor decision", stdout=None, preexec_fn=lambda: os.close(1))
    assert closed.returncode == 2
    assert closed.stderr.decode().strip() == (
        "drafter: standard output is closed; nothing can be written"
    )


def test_a_full_disk_on_stdout_is_one_line() -> None:
    with open("/dev/full", "wb") as full:
        result = run("fetch", "NCT05591222", "--offline", "--json", stdout=full)
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr
    assert result.stderr.decode().startswith("drafter: input/output error")


def test_a_reader_that_goes_away_is_not_an_error() -> None:
    process = subprocess.Popen(
        [*DRAFTER, "fetch", "NCT05591222", "--offline", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.read(10)
    process.stdout.close()  # like `| head -c 10`
    err = process.stderr.read()
    assert process.wait(timeout=60) == 0
    assert b"Traceback" not in err and b"Exception ignored" not in err


def test_an_unbounded_line_in_classify_file_is_bad_input(tmp_path: Path) -> None:
    big = tmp_path / "texts.txt"
    big.write_bytes(b"Lack of efficacy\n" + b"a" * 5_000_000 + b"\nSafety\n")
    result = run("classify", "--file", str(big), "--json")
    assert result.returncode == 2
    assert b"line 2 is longer than 65,536 characters" in result.stderr
    from_stdin = run("classify", "--file", "-", "--json", input=big.read_bytes())
    assert from_stdin.returncode == 2 and b"stdin line 2" in from_stdin.stderr


def test_a_fifo_no_one_writes_to_is_an_empty_classify_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Opening it waited forever."""
    os.mkfifo(tmp_path / "fifo")
    assert main(["classify", "--file", str(tmp_path / "fifo"), "--json"]) == 0
    assert capsys.readouterr().out == ""


def test_an_unexpected_error_is_an_internal_error_without_traceback_or_secret(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import drafter.commands.classify as command

    monkeypatch.setenv("NCBI_API_KEY", "sekrit-ncbi-key-123")

    def broken(args: object) -> int:
        raise RuntimeError("boom near https://user:pw@host/?api_key=sekrit-ncbi-key-123")

    monkeypatch.setattr(command, "run", broken)
    assert main(["classify", "x"]) == 4
    err = capsys.readouterr().err
    assert err.startswith("drafter: internal error (RuntimeError: boom")
    assert "sekrit" not in err and "user:pw" not in err
    assert len(err.strip().splitlines()) == 1


def test_claims_and_classify_output_cannot_drive_the_terminal(
    capsys: pytest.CaptureFixture[str],
) -> None:
    claim = {
        "drug": "evil\x1b[2J\ndrug",
        "target_symbol": "LILRA4",
        "disease_name": "Discoid lupus erythematosus\u202e",
        "archetype": "operational",
        "category": "Business_Administrative",
        "why_stopped": HOSTILE,
    }
    assert main(["claims", "add", "--json-claim", json.dumps(claim)]) == 0
    capsys.readouterr()
    for argv in (["claims", "list"], ["claims", "list", "--json"], ["claims", "export"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\u202e" not in out and "\x9b" not in out, argv
    assert main(["claims", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert HOSTILE in [c["why_stopped"] for c in listed]  # escaped, not altered
    for argv in (["classify", HOSTILE], ["classify", HOSTILE, "--json"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\x9b" not in out and out.count("\n") <= 30


@pytest.mark.parametrize(
    ("argv", "limit"),
    [
        (["claims", "add", "--json-claim", "-"], "1,048,576"),
        (["claims", "import", "-", "--format", "jsonl"], "134,217,728"),
        (["claims", "import", "/dev/zero", "--format", "jsonl"], "134,217,728"),
    ],
)
def test_endless_claims_input_is_refused_not_read_into_memory(
    argv: list[str], limit: str, tmp_path: Path
) -> None:
    with open("/dev/zero", "rb") as zeros:
        result = run(*argv, stdin=zeros, env={**os.environ, "DRAFTER_DB": str(tmp_path / "c.db")})
    assert result.returncode == 2
    assert f"larger than {limit} bytes" in result.stderr.decode()


def test_claims_notes_on_stderr_carry_no_control_characters(
    capsys: pytest.CaptureFixture[str],
) -> None:
    claim = {
        "drug": "x y z",
        "target_symbol": "T\x1b[31m",
        "disease_name": "d q",
        "archetype": "operational",
        "category": "Business_Administrative",
    }
    assert main(["claims", "add", "--json-claim", json.dumps(claim)]) == 0
    assert main(["claims", "delete", "x y z|t\x1b[31m|d q"]) == 0
    err = capsys.readouterr().err
    assert "\x1b" not in err and err.count("\n") == 2


def test_drafter_alone_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: drafter") and "fetch" in out and "claims" in out


def test_commands_that_ask_no_model_never_import_the_openai_sdk() -> None:
    """The SDK takes a quarter of a second of CPU to import: only a command that asks a model
    pays for it (every CLI start and every batch's CPU per draft did, through classify_model)."""
    probe = (
        "import sys\n"
        "from drafter.cli import main\n"
        "for argv in (['--version'], ['classify', 'Slow accrual'], ['config']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print('openai' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip().splitlines()[-1] == "False", done.stdout


@pytest.mark.parametrize("command", [["draft", "NCT05591222"], ["batch", "--since", "2010-01-01"]])
@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda p: p.symlink_to(p.parent / "nowhere"), "symbolic link to"),  # dangling
        (lambda p: p.symlink_to(p), "symbolic link to"),  # a loop
        (lambda p: p.write_text("a file\n"), "is not a directory"),
    ],
)
def test_an_unusable_out_is_refused_before_any_work(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: list[str],
    make: object,
    says: str,
) -> None:
    """A dangling --out symlink said "File exists" once the draft was made."""
    out = tmp_path / "out"
    make(out)  # type: ignore[operator]
    assert main([*command, "--offline", "--db", str(tmp_path / "c.db"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "c.db").exists()  # refused before the claims table was opened


def test_a_draft_that_fails_leaves_no_out_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "new" / "out"
    db = tmp_path / "c.db"
    assert main(["draft", "NCT09999999", "--offline", "--db", str(db), "--out", str(out)]) != 0
    assert not (tmp_path / "new").exists()
