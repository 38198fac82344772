"""The human report of `drafter mrs` (drafter/mrs_report.py): a golden rendering at a fixed
terminal width without colour, what the score rests on (claims, association score and its
source, most informative failure, the caveat), widths, colour only on a terminal and never with
NO_COLOR, no control character from a source, and --json keeping its keys.

The golden file is regenerated with DRAFTER_UPDATE_GOLDEN=1 (then read the diff)."""

from __future__ import annotations

import io
import json
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from drafter.cli import main
from tests.conftest import DATA

GOLDEN = DATA / "golden" / "mrs_ilt7_dle_80cols.txt"
ARGV = ("mrs", "--target", "ilt7", "--disease", "DLE", "--offline", "--as-of", "2026-05-20")


class Terminal(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("TERM", raising=False)


def report(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    code = main(list(argv or ARGV))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def test_golden_report_at_80_columns_without_colour(capsys: pytest.CaptureFixture[str]) -> None:
    out = report(capsys)
    if os.environ.get("DRAFTER_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        GOLDEN.write_text(out, encoding="utf-8")
    assert out == GOLDEN.read_text(encoding="utf-8")


def test_the_report_names_what_the_score_rests_on(capsys: pytest.CaptureFixture[str]) -> None:
    out = report(capsys)
    assert out.startswith(
        "MRS 33/100 (YELLOW) — LILRA4 in Discoid lupus erythematosus, as of 2026-05-20\n"
    )
    flat = " ".join(out.split())
    assert "not a probability of approval" in flat
    assert "failure-burden index" in flat
    claim_row = next(line for line in out.splitlines() if line.startswith("NCT05591222 "))
    assert claim_row.split() == [
        "NCT05591222",
        "daxdilimab",
        "PHASE2",
        "operational",
        "2026-05-14",
        "published",
        "yes",
    ]
    for heading in ("Phase-weighted failure burden", "Archetype severity", "Temporal recency"):
        row = next(line for line in out.splitlines() if line.startswith(heading))
        assert row.endswith(": NCT05591222")
    assert (
        "Association score: 0.092 (Open Targets Platform, overall, direct) — "
        "https://platform.opentargets.org/target/ENSG00000239961/associations" in flat
    )
    assert "Most informative failure: NCT05591222 — daxdilimab, PHASE2, operational" in flat


def test_without_as_of_it_says_which_date_it_used(capsys: pytest.CaptureFixture[str]) -> None:
    out = report(capsys, *ARGV[:-2])
    heading = " ".join(out.split("\n\n")[0].split())
    assert f"as of {date.today().isoformat()} (today; --as-of YYYY-MM-DD fixes" in heading


@pytest.mark.parametrize("columns", [40, 50, 64, 120])
def test_tables_fit_the_width_and_prose_wraps(
    columns: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    for line in report(capsys).splitlines():
        # only a word longer than the width (a URL) may pass it, alone on its line
        assert len(line) <= columns or len(line.split()) == 1, line


def test_a_pipe_keeps_whole_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLUMNS")
    out = report(capsys)
    assert "…" not in out
    assert (
        "Target: LILRA4 (ENSG00000239961), from --target 'ilt7' = ILT7, a name of LILRA4 "
        "(http://www.uniprot.org/uniprot/P59901.txt)\n" in out
    )


def add_claim(capsys: pytest.CaptureFixture[str], **fields: Any) -> None:
    claim = {
        "target_symbol": "LILRA4",
        "disease_name": "Discoid lupus erythematosus",
        "status": "draft",
        **fields,
    }
    assert main(["claims", "add", "--json-claim", json.dumps(claim)]) == 0
    capsys.readouterr()


def test_drafts_non_failures_and_hostile_text_in_the_claims(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A draft claim, a success (listed, not scored) and a drug name and headline carrying
    terminal escapes: shown as text, and in colour only drafter's own codes remain."""
    add_claim(
        capsys,
        drug="evil\x1b[2Jdrug",
        phase="PHASE3",
        archetype="safety",
        category="Safety_Sideeffects",
        termination_posted="2025-01-10",
        headline="a\x1b]0;title\x07 headline\nwith a second line",
    )
    add_claim(
        capsys,
        drug="winner",
        phase="PHASE2",
        archetype="operational",
        category="Success",
        termination_posted="2025-02-10",
    )
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.delenv("NO_COLOR")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(list(ARGV)) == 0
    out = terminal.getvalue()
    assert out.startswith("MRS 93/100 (\x1b[31mRED\x1b[0m) — LILRA4")
    assert out.count("\x1b") == 2 and "\x07" not in out
    lines = out.splitlines()
    evil = next(line for line in lines if line.startswith("evil [2jdrug|lilra4|"))
    assert evil.split()[-6:] == ["[2Jdrug", "PHASE3", "safety", "2025-01-10", "draft", "yes"]
    winner = next(line for line in lines if line.startswith("winner|lilra4|"))
    assert winner.split()[-3:] == ["draft", "no:", "Success"]
    flat = " ".join(out.split())
    assert "a ]0;title headline with a second line" in flat
    assert "1 claim(s) stopped for success or a met endpoint (winner|lilra4|" in flat


def test_colour_only_on_a_terminal_and_never_with_no_color(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "\x1b" not in report(capsys)  # NO_COLOR=1 (the fixture)
    monkeypatch.delenv("NO_COLOR")
    assert "\x1b" not in report(capsys)  # not a terminal
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(list(ARGV)) == 0
    assert terminal.getvalue().startswith("MRS 33/100 (\x1b[33mYELLOW\x1b[0m)")
    monkeypatch.setenv("NO_COLOR", "1")
    terminal = Terminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert main(list(ARGV)) == 0
    assert "\x1b" not in terminal.getvalue()


KEYS_BEFORE = {
    "target",
    "disease",
    "total",
    "band",
    "sum_raw",
    "components",
    "counts",
    "n_claims",
    "non_failures",
    "draft_claims",
    "most_informative_failure",
    "as_of",
    "association_score",
    "n_programs",
    "notes",
    "params_hash",
    "params",
    "summary",
    "facts",
    "sources",
    "gaps",
}


def test_json_keeps_its_keys_and_adds_the_claims(capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(report(capsys, *ARGV, "--json"))
    assert set(document) == KEYS_BEFORE | {"claims"}
    (claim,) = document["claims"]
    assert (claim["key"], claim["status"], claim["event_date"]) == (
        "NCT05591222",
        "published",
        "2026-05-14",
    )


def test_golden_file_is_plain_text() -> None:
    text = Path(GOLDEN).read_text(encoding="utf-8")
    assert "\x1b" not in text and text.endswith("\n")
