"""`drafter fetch`'s human output: the golden rendering of NCT05591222 at a fixed width with
NO_COLOR, lines that fit narrower terminals, colour only on a terminal without NO_COLOR, and a
gap line for each kind of gap that says what to do."""

from __future__ import annotations

import sys

import pytest

from drafter.bundle import Bundle
from drafter.cli import main
from drafter.commands.fetch import terminal_style
from drafter.fetch_summary import Style, gap_advice, summarise
from drafter.models import Gap
from tests.conftest import DATA

NCT = "NCT05591222"
GOLDEN = DATA / "golden" / "fetch_NCT05591222_w100.txt"


def fetch_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, width: int
) -> str:
    """The output at `width` columns, with NO_COLOR, and the production base URLs (offline,
    nothing is asked of them; the openFDA block's source URL names its host)."""
    for name in ("CTGOV", "OPENTARGETS", "CHEMBL", "OPENFDA", "PUBMED"):
        monkeypatch.delenv(f"DRAFTER_{name}_URL")
    monkeypatch.setenv("COLUMNS", str(width))
    monkeypatch.setenv("NO_COLOR", "1")
    code = main(["fetch", NCT, "--offline", "--as-of", "2026-05-20"])
    captured = capsys.readouterr()
    assert (code, captured.err) == (0, "")
    return captured.out


def test_the_golden_rendering(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """To accept a deliberate change: COLUMNS=100 NO_COLOR=1 drafter fetch NCT05591222
    --offline --as-of 2026-05-20 > tests/data/golden/fetch_NCT05591222_w100.txt (with an empty
    cache, claims database and recorded dir), and read the diff."""
    assert fetch_text(capsys, monkeypatch, 100) == GOLDEN.read_text(encoding="utf-8")


def test_what_an_editor_checks_first_is_there_in_order(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = fetch_text(capsys, monkeypatch, 100)
    headings = [line for line in text.splitlines() if line and not line.startswith(" ")]
    assert headings[2].startswith("CONFLICTING EVIDENCE (2)")  # first, after the title
    assert headings[-1].startswith("Gaps (3)")  # last
    assert '  why stopped "Sponsor business decision, not related to safety concerns."' in text
    assert "  enrollment  72 participants (actual)" in text
    assert "  sponsor     Amgen" in text
    assert "  LILRA4 · ENSG00000239961 · " in text
    assert "  source: https://clinicaltrials.gov/study/NCT05591222" in text
    assert "overall score 0.092 (direct evidence)" in text
    assert "a failure-burden index, not a probability of approval" in " ".join(text.split())
    entries = " ".join(text.split("Gaps (3)")[1].splitlines()[1:]).split("  - ")[1:]
    assert len(entries) == 3
    assert all("not recorded offline → run without --offline, or `drafter" in e for e in entries)


@pytest.mark.parametrize("width", [60, 80, 140])
def test_lines_fit_the_terminal(
    width: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every line fits but a URL, which is printed whole so it stays usable."""
    for line in fetch_text(capsys, monkeypatch, width).splitlines():
        assert len(line) <= width or line.strip().startswith("source: http"), line


def test_colour_only_on_a_terminal_without_no_color(
    reference_bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert terminal_style().colour
    monkeypatch.setenv("NO_COLOR", "1")
    assert not terminal_style().colour
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    assert not terminal_style().colour
    coloured = summarise(reference_bundle, Style(width=100, colour=True))
    plain = summarise(reference_bundle, Style(width=100, colour=False))
    assert "\x1b[1;31mCONFLICTING EVIDENCE (2)" in coloured and "\x1b" not in plain
    assert (
        coloured.replace("\x1b[1;31m", "")
        .replace("\x1b[33m", "")
        .replace("\x1b[1m", "")
        .replace("\x1b[0m", "")
        == plain
    )


@pytest.mark.parametrize(
    ("gap", "advice"),
    [
        (
            Gap(step="pubmed search", reason="offline: no cached or snapshot response for …"),
            "run without --offline, or `drafter record NCT05591222`",
        ),
        (
            Gap(step="disease ontology id", reason="Open Targets maps no disease to 'DLE'"),
            "pass --disease with an ontology id",
        ),
        (
            Gap(step="mrs", reason="needs a target and a disease; pass --target and --disease"),
            "pass --target",
        ),
        (
            Gap(step="safety", reason="openFDA unavailable after 4 attempts (HTTP 503)"),
            "try again later",
        ),
    ],
)
def test_each_gap_says_what_to_do(gap: Gap, advice: str) -> None:
    missing, todo = gap_advice(gap, NCT)
    assert advice in todo and missing
