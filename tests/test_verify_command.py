"""`drafter verify PATH`: which file it checks, its table, JSON and review page, its exit codes,
and bad input in one line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from drafter.cli import main
from drafter.draft_model import Draft
from tests.test_draft import draft


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One offline draft of the reference trial, copied by each test that changes it."""
    tmp = tmp_path_factory.mktemp("verify-command")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DRAFTER_DB", str(tmp / "claims.sqlite3"))
        patch.setenv("DRAFTER_CACHE_DIR", str(tmp / "cache"))
        code, folder = draft(tmp, "--writer", "offline")
    assert code == 0
    return folder


@pytest.fixture
def folder(drafted: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "NCT05591222"
    shutil.copytree(drafted, copy)
    return copy


def verify(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main(["verify", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_drafter_draft_writes_a_review_page_and_the_draft_verifies(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (folder / "review.html").read_text().startswith("<!doctype html>")
    code, out, err = verify(capsys, folder)
    assert code == 0, out
    assert "checked draft.json" in out  # draft.md is unedited: the canonical file is checked
    assert "0 MISMATCH" not in out and "passed" in out.splitlines()[-1]
    assert err == ""


def test_an_edited_draft_md_is_checked_and_fails_naming_fact_and_line(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    markdown = folder / "draft.md"
    text = markdown.read_text()
    assert "It enrolled 72 participants" in text
    markdown.write_text(text.replace("It enrolled 72 participants", "It enrolled 27 participants"))
    code, out, _ = verify(capsys, folder)
    assert code == 1
    assert "checked draft.md" in out
    row = next(line for line in out.splitlines() if line.startswith("what_was_tried:"))
    line = int(row.split()[0].split(":")[1])
    assert "27" in markdown.read_text().splitlines()[line - 1]
    assert "MISMATCH" in row and "ctgov:NCT05591222:enrollment" in row
    assert "https://clinicaltrials.gov/study/NCT05591222" in row
    assert out.splitlines()[-1].startswith("FAILED: 1 anchors")
    # the same file named directly
    assert verify(capsys, markdown)[0] == 1


def test_json_is_the_whole_report(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = verify(capsys, folder, "--json")
    report = json.loads(out)
    assert code == 0
    assert report["checked"] == "draft.json" and report["nct_id"] == "NCT05591222"
    assert report["counts"]["anchors"] == sum(len(p["anchors"]) for p in report["paragraphs"])
    assert report["counts"]["by_status"]["mismatch"] == 0
    assert report["facts"]["ctgov:NCT05591222:why_stopped"]["source_url"]


def test_html_writes_the_review_page_for_the_edited_draft(
    folder: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    markdown = folder / "draft.md"
    markdown.write_text(markdown.read_text().replace("Amgen ran", "Pfizer ran"))
    (folder / "review.html").unlink()
    code, _, _ = verify(capsys, folder, "--html")
    page = (folder / "review.html").read_text()
    assert code == 1
    assert "Pfizer" in page and "Content-Security-Policy" in page
    elsewhere = tmp_path / "page.html"
    assert verify(capsys, markdown, "--html", elsewhere)[0] == 1
    assert "Pfizer" in elsewhere.read_text()


def test_all_lists_every_anchor(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, quiet, _ = verify(capsys, folder)
    _, every, _ = verify(capsys, folder, "--all")
    report = json.loads(verify(capsys, folder, "--json")[1])
    assert len(every.splitlines()) > report["counts"]["anchors"] > len(quiet.splitlines())


def test_a_renamed_heading_and_a_new_section_are_reported(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    markdown = folder / "draft.md"
    text = markdown.read_text().replace("## What was tried", "## What Was Tried?")
    text += "\n## Editor's aside\n\nThe trial ran at 14 sites.\n"
    markdown.write_text(text)
    code, out, _ = verify(capsys, folder)
    assert code == 1  # 14 sites: no source holds it
    assert 'heading not in draft.json (checked without citations): "Editor\'s aside"' in out
    assert "what_was_tried:" not in out  # the renamed section still aligns and verifies


def bad(folder: Path, tmp_path: Path) -> dict[str, list[str]]:
    other = tmp_path / "other"
    shutil.copytree(folder, other)
    evidence = json.loads((other / "evidence.json").read_text())
    evidence["nct_id"] = "NCT05540665"
    (other / "evidence.json").write_text(json.dumps(evidence))
    broken = tmp_path / "broken"
    shutil.copytree(folder, broken)
    (broken / "draft.json").write_text("{ not json")
    lonely = tmp_path / "lonely.md"
    lonely.write_text("# A draft\n")
    huge = tmp_path / "huge" / "draft.md"
    shutil.copytree(folder, huge.parent)
    huge.write_text("x" * (5 * 2**20))
    return {
        "missing": [str(tmp_path / "nowhere")],
        "no draft.json": [str(lonely)],
        "two trials": [str(other)],
        "invalid json": [str(broken)],
        "not a draft file": [str(folder / "review.html")],
        "too large": [str(huge)],
    }


@pytest.mark.parametrize(
    "case",
    ["missing", "no draft.json", "two trials", "invalid json", "not a draft file", "too large"],
)
def test_bad_input_is_one_line_and_exit_2(
    case: str, folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = verify(capsys, *bad(folder, tmp_path)[case])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err


def test_the_draft_json_is_left_unchanged(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    verify(capsys, folder, "--json")
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    Draft.model_validate_json(before["draft.json"])
