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
    assert out.splitlines()[-1].startswith("FAILED: 1 anchor ")
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
    code, _, err = verify(capsys, folder, "--html")
    page = (folder / "review.html").read_text()
    assert code == 1
    assert "Pfizer" in page and "Content-Security-Policy" in page
    assert err == f"drafter: review page written: {folder / 'review.html'}\n"  # it said nothing
    elsewhere = tmp_path / "page.html"
    code, _, err = verify(capsys, markdown, "--html", elsewhere)
    assert code == 1 and err == f"drafter: review page written: {elsewhere}\n"
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


def edit(folder: Path, *swaps: tuple[str, str]) -> None:
    markdown = folder / "draft.md"
    text = markdown.read_text()
    for old, new in swaps:
        assert old in text, old
        text = text.replace(old, new, 1)
    markdown.write_text(text)


def test_a_paragraph_turned_into_a_list_is_still_checked(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(
        folder,
        ("It enrolled 72 participants (actual).", "- It enrolled 500 participants (actual)."),
    )
    code, out, _ = verify(capsys, folder)
    assert code == 1 and "'500' in what_was_tried:" in out


def test_hand_edits_of_markers_front_matter_and_computed_lines_are_problems(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(
        folder,
        ("mrs: 33", "mrs: 95"),
        ("[1] _(documented)_", "[99] _(documented)_"),
        (
            "<https://clinicaltrials.gov/study/NCT05591222>",
            "<https://clinicaltrials.gov.evil.example/>",
        ),
    )
    code, out, _ = verify(capsys, folder)
    assert code == 1
    assert "source marker [99] names no entry of the Sources list" in out
    assert "front matter mrs: 95 where the draft says 33" in out
    assert "PROBLEM in sources:" in out and "changed by hand" in out
    assert out.splitlines()[-1] == "FAILED: 0 anchors MISMATCH/TOO PRECISE/UNTRACEABLE, 3 problems"
    assert verify(capsys, folder, "--html")[0] == 1
    page = (folder / "review.html").read_text()
    assert "names no entry of the Sources list" in page and "front matter mrs: 95" in page
    # paragraphs show their draft.md line: the enrollment sentence's, for one
    line = next(
        n
        for n, text in enumerate((folder / "draft.md").read_text().splitlines(), 1)
        if "It enrolled 72" in text
    )
    assert f"line {line}</span>" in page


def test_a_wrong_marker_on_an_aligned_paragraph_is_a_problem(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(
        folder,
        (
            "The last update was posted on 14 May 2026. [1]",
            "The last update was posted on 14 May 2026. [2]",
        ),
    )
    code, out, _ = verify(capsys, folder)
    assert code == 1 and "source markers [2] are not the sources of the facts it cites ([1])" in out


def test_a_failure_word_in_a_no_failure_draft_is_a_problem(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    swap = ("Phase 2 trial NCT05591222 terminated", "Phase 2 trial NCT05591222 failed")
    edit(folder, swap, swap)  # the front matter's title, then the headline
    code, out, _ = verify(capsys, folder)
    assert code == 1 and "calls the trial a failure (failed)" in out


def test_the_review_page_is_never_written_over_an_input(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    for target in ("draft.md", "draft.json", "evidence.json"):
        code, out, err = verify(capsys, folder, "--html", folder / target)
        assert (code, out) == (2, "") and "would overwrite an input" in err
    assert verify(capsys, folder, "--html", "")[0] == 2
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_an_empty_draft_md_is_refused_not_passed(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (folder / "draft.md").write_text("")
    code, out, err = verify(capsys, folder / "draft.md")
    assert (code, out) == (2, "") and "holds no article" in err


def test_the_json_says_whether_it_failed(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert json.loads(verify(capsys, folder, "--json")[1])["failed"] is False
    edit(folder, ("It enrolled 72 participants", "It enrolled 27 participants"))
    assert json.loads(verify(capsys, folder, "--json")[1])["failed"] is True


def test_offline_drafts_of_unseen_fleet_trials_verify_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Trials shaped like the snapshot's but with other sponsors, phases, packed other names
    ("ivacaftor; VX-770"), withdrawn ones (0 participants beside 0 reports) and real
    whyStopped texts (COVID-19): the offline writer's prose must verify without a false flag."""
    from tests.ctgov_fleet import running_fleet

    with running_fleet(size=10) as fleet:
        for key, value in fleet.environment().items():
            monkeypatch.setenv(key, value)
        for nct_id in fleet.nct_ids:
            out = tmp_path / "out"
            main(
                ["draft", nct_id, "--writer", "offline", "--as-of", "2026-05-20", "--out", str(out)]
            )
            capsys.readouterr()
            code, text, _ = verify(capsys, out / nct_id)
            assert code == 0, text


def test_deleted_source_markers_are_a_problem(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The paragraph keeps its draft.json citations by alignment, so every anchor still checks;
    but the article no longer shows a reader where it comes from."""
    edit(
        folder,
        (
            "The last update was posted on 14 May 2026. [1]",
            "The last update was posted on 14 May 2026.",
        ),
    )
    code, out, _ = verify(capsys, folder)
    assert code == 1
    assert "its source markers [1] were deleted: a reader sees no source for it" in out


def test_a_paragraph_cut_in_two_keeps_its_markers_on_one_half(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    markdown = folder / "draft.md"
    line = next(t for t in markdown.read_text().splitlines() if t.startswith("It enrolled 72"))
    cut = " Primary completion was"
    assert line.endswith("[1] _(documented)_") and cut in line
    edit(folder, (line, line.replace(cut, "\n\n" + cut.strip(), 1)))
    code, out, _ = verify(capsys, folder)
    assert "were deleted" not in out
    assert code == 0, out


def test_front_matter_never_closed_is_named_as_such(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    markdown = folder / "draft.md"
    lines = markdown.read_text().splitlines(keepends=True)
    assert lines[0] == "---\n"
    closing = lines.index("---\n", 1)
    markdown.write_text("".join(lines[:closing] + lines[closing + 1 :]))
    code, out, _ = verify(capsys, folder)
    assert code == 1
    assert "the front matter opened on line 1 is never closed by a '---' line" in out


def test_front_matter_closed_with_dots_is_still_checked(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """YAML's '...' ends a document: the article reader takes it as the closing line, and an
    edited score above it is an edited score."""
    markdown = folder / "draft.md"
    lines = markdown.read_text().splitlines(keepends=True)
    closing = lines.index("---\n", 1)
    mrs = next(i for i, line in enumerate(lines[:closing]) if line.startswith("mrs: "))
    drafted = lines[mrs].split(":")[1].strip()
    lines[closing], lines[mrs] = "...\n", "mrs: 99\n"
    markdown.write_text("".join(lines))
    code, out, _ = verify(capsys, folder)
    assert code == 1
    assert f"front matter mrs: 99 where the draft says {drafted}" in out


def test_front_matter_read_with_the_article_readers_line_ends(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A vertical tab is no line end to the article reader: a closing line behind one does not
    close the front matter, and verify says so rather than report a key ''."""
    markdown = folder / "draft.md"
    text = markdown.read_text()
    markdown.write_text(text.replace("\n---\n", "\n\x0b---\n", 1))
    code, out, _ = verify(capsys, folder)
    assert code == 1
    assert "front matter : where" not in out
    assert "the front matter opened on line 1 is never closed" in out


def test_a_blank_line_in_the_front_matter_is_no_edit(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    markdown = folder / "draft.md"
    text = markdown.read_text()
    markdown.write_text(text.replace("\nnct_id:", "\n\nnct_id:", 1))
    code, out, _ = verify(capsys, folder)
    assert "PROBLEM" not in out
    assert code == 0, out


def test_escaped_source_markers_are_named_as_escaped_not_deleted(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Markdown round trip (pandoc, a CMS's editor) writes every '[1]' as '\\[1\\]': a reader
    still sees [1], so telling the editor the markers were deleted and to put them back is
    wrong; the backslashes are what to remove."""
    markdown = folder / "draft.md"
    markdown.write_text(markdown.read_text().replace("[1]", "\\[1\\]"))
    code, out, _ = verify(capsys, folder)
    assert code == 1
    assert "were deleted" not in out
    assert "its source markers [1] are escaped" in out


def test_a_rule_that_closes_front_matter_left_open_is_one_problem(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The closing line deleted and a '---' rule added further down: the article reader takes
    all above the rule as front matter, and verify reported each line of prose as a front
    matter key the draft does not have."""
    markdown = folder / "draft.md"
    lines = markdown.read_text().splitlines(keepends=True)
    closing = lines.index("---\n", 1)
    section = next(i for i, line in enumerate(lines) if line.startswith("## What was tried"))
    edited = lines[:closing] + lines[closing + 1 : section] + ["---\n", "\n"] + lines[section:]
    markdown.write_text("".join(edited))
    code, out, _ = verify(capsys, folder)
    assert code == 1
    problems = [line for line in out.splitlines() if line.startswith("  PROBLEM:")]
    assert len(problems) == 1, out
    assert "the front matter opened on line 1 holds article text from line " in problems[0]
    assert "where the draft says" not in out


def test_an_indented_opening_line_is_named(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """' ---' opens no front matter: its lines are then article text, and their numbers
    failed as untraceable anchors with no word of why."""
    markdown = folder / "draft.md"
    text = markdown.read_text()
    assert text.startswith("---\n")
    markdown.write_text(" " + text)
    code, out, _ = verify(capsys, folder)
    assert code == 1
    assert "line 1 ('---' indented) does not open front matter" in out
