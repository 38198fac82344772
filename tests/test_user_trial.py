"""What a user trying drafter from a fresh install ran into: each test is a command as an editor,
a reviewer or a batch run types it, and what they should see."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys
from contextlib import suppress
from html import escape, unescape
from pathlib import Path

import pytest

from drafter.cli import main
from drafter.draft_model import Draft
from drafter.errors import EXIT_INTERRUPTED
from tests.openai_server import OpenAIServer, malformed_json
from tests.test_review_page import Page, parse

# The `drafter` console script as pip installs it (its entry point, loaded and called), in a
# process that sends itself SIGINT the moment the module named by argv[1] starts loading: a
# Ctrl-C during the third of a second Python spends importing drafter, at a known moment.
_CTRL_C_WHILE_LOADING = """
import importlib.abc, os, signal, sys
from importlib.metadata import entry_points

class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == WHEN:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

WHEN, sys.argv = sys.argv[1], ["drafter", *sys.argv[2:]]
sys.meta_path.insert(0, CtrlC())
(script,) = entry_points(group="console_scripts", name="drafter")
sys.exit(script.load()())
"""


@pytest.mark.parametrize(
    "loading",
    [
        "pydantic",  # the models every module stands on
        "drafter.commands.draft",  # the subcommands, while the parser is built
    ],
)
def test_ctrl_c_while_drafter_loads_is_one_line_and_exit_130(loading: str) -> None:
    argv = ["draft", "NCT05591222", "--offline", "--as-of", "2026-05-20", "--out", "unused"]
    ended = subprocess.run(
        [sys.executable, "-c", _CTRL_C_WHILE_LOADING, loading, *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ended.returncode == EXIT_INTERRUPTED, ended.stderr
    assert ended.stderr.splitlines()[-1:] == ["drafter: interrupted"], ended.stderr
    assert "Traceback" not in ended.stderr and ended.stdout == ""


# --- the reviewer's page, as `drafter draft` writes it ---------------------------------------


@pytest.fixture
def drafted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Draft, Page, str]:
    """The demo draft, written by the command an editor runs, and its review.html parsed."""
    out = tmp_path / "out"
    assert (
        main(["draft", "NCT05591222", "--offline", "--as-of", "2026-05-20", "--out", str(out)]) == 0
    )
    capsys.readouterr()
    folder = out / "NCT05591222"
    draft = Draft.model_validate_json((folder / "draft.json").read_text())
    html = (folder / "review.html").read_text()
    return draft, parse(html), html


def test_every_citation_of_a_paragraph_is_on_the_page_and_opens_a_fact_with_its_source(
    drafted: tuple[Draft, Page, str],
) -> None:
    """A reviewer checks a paragraph against what it cites, not only against the words the
    checker marked: a cited fact no anchor points at was nowhere on the page."""
    draft, page, _ = drafted
    shown = [e.attrs["data-fact"] for e in page.find("button", **{"class": "fact-ref"})]
    data = page.data()["facts"]
    for section in draft.sections:
        for paragraph in section.paragraphs:
            assert set(paragraph.cites) <= set(shown), (section.key, paragraph.text[:60])
    for fact_id in shown:  # a page to open, else how drafter computed or recorded it
        fact = data[fact_id]
        assert fact["source_url"] or fact["formula"] or fact["request"], fact_id


def test_the_page_shows_the_sources_and_the_related_claims(
    drafted: tuple[Draft, Page, str],
) -> None:
    draft, page, html = drafted
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    headings = [unescape(h) for h in re.findall(r"<h[23][^>]*>([^<]*)</h[23]>", html)]
    assert "Sources" in headings and "Related failure claims" in headings
    for source in draft.sources:
        assert source.source in text
        for url in [source.url, *source.pages]:
            assert url is None or url in text
    shown = {e.attrs["data-fact"] for e in page.find("button", **{"class": "fact-ref"})}
    assert any(group.claims for group in draft.related)
    for group in (g for g in draft.related if g.claims):
        assert group.heading in headings
        assert {claim.fact for claim in group.claims} <= shown


def test_a_count_of_one_reads_in_the_singular_on_the_page(drafted: tuple[Draft, Page, str]) -> None:
    """'1 programs' in the score's inputs: the draft says '1 program'."""
    draft, page, _ = drafted
    facts = page.data()["facts"]
    ones = [f for f in draft.facts if f.kind == "count" and f.value == 1 and f.unit == "programs"]
    assert ones
    for fact in ones:
        assert facts[fact.id]["value"] == "1 program"


def test_a_section_that_needs_an_editor_is_marked_where_it_stands_in_the_draft(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every answer of the model unusable: the sections are empty and need an editor. The
    reviewer walking the draft must meet each one in its place, not find it gone."""
    server = OpenAIServer(default=malformed_json())
    server.start()
    try:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-user-trial")
        out = tmp_path / "out"
        argv = ["draft", "NCT05591222", "--writer", "openai", "--offline", "--out", str(out)]
        assert main([*argv, "--as-of", "2026-05-20"]) == 1
    finally:
        server.stop()
    capsys.readouterr()
    folder = out / "NCT05591222"
    draft = Draft.model_validate_json((folder / "draft.json").read_text())
    html = (folder / "review.html").read_text()
    walk = html[html.index('id="h-draft"') :]
    empty = [s for s in draft.sections if s.status == "needs_editor" and not s.paragraphs]
    assert empty
    for section in empty:
        heading = walk.index(f">{escape(section.heading)}</h3>")
        mark = walk.index("NEEDS EDITOR", heading)
        assert escape(section.reason or "") in walk[mark : walk.index("</p>", mark)]
    order = [s.heading for s in draft.sections if s.key not in ("sources", "related_claims")]
    shown = [unescape(h) for h in re.findall(r'<h3 id="s\d+">([^<]*)</h3>', walk)]
    assert [h for h in shown if h in order] == order


# --- a terminal that is not UTF-8 ------------------------------------------------------------

ASCII_TERMINAL = {"PYTHONIOENCODING": "ascii", "NO_COLOR": "1"}


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "drafter.cli", *argv],
        capture_output=True,
        env={**os.environ, **env},
        timeout=120,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["mrs", "--target", "LILRA4", "--disease", "DLE", "--offline", "--as-of", "2026-05-20"],
        ["fetch", "NCT05591222", "--offline", "--as-of", "2026-05-20"],
    ],
)
def test_an_ascii_terminal_gets_readable_text_not_an_internal_error(argv: list[str]) -> None:
    ended = _run(argv, ASCII_TERMINAL)
    assert ended.returncode == 0, ended.stderr.decode(errors="replace")
    out = ended.stdout.decode("ascii")  # nothing the terminal cannot show
    assert "Traceback" not in ended.stderr.decode("ascii") and out.strip()
    if argv[0] != "--help":
        assert "MRS 33/100" in out and " - " in out  # an em dash as the terminal can show it


def test_json_on_an_ascii_terminal_is_the_same_document_escaped() -> None:
    argv = ["fetch", "NCT05591222", "--offline", "--as-of", "2026-05-20", "--json"]
    ascii_run, utf8_run = _run(argv, ASCII_TERMINAL), _run(argv, {"PYTHONIOENCODING": "utf-8"})
    assert ascii_run.returncode == 0 == utf8_run.returncode, ascii_run.stderr
    as_utf8 = utf8_run.stdout.decode("utf-8")
    assert not as_utf8.isascii()  # the bundle holds text beyond ASCII (dashes, quotes)
    assert json.loads(ascii_run.stdout.decode("ascii")) == json.loads(as_utf8)


# --- a narrow terminal -------------------------------------------------------------------------


def _on_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    """drafter with its stdout on a pseudo-terminal (a table is fitted only on a terminal);
    what it printed there."""
    leader, follower = pty.openpty()
    try:
        ended = subprocess.run(
            [sys.executable, "-m", "drafter.cli", *argv],
            stdout=follower,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **env},
            timeout=120,
        )
        os.close(follower)
        follower = -1
        printed = b""
        with suppress(OSError):  # EIO: the terminal's other side is closed and drained
            while chunk := os.read(leader, 65536):
                printed += chunk
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert ended.returncode == 0
    return printed.decode().replace("\r\n", "\n")


def test_a_narrow_terminal_keeps_each_trial_id_of_the_batch_table_whole(tmp_path: Path) -> None:
    """COLUMNS=20: the table cut 'NCT05591222' to 'NCT0559…', so no row named its trial."""
    trials = ["NCT05591222", "NCT05540665"]
    listed = tmp_path / "trials.txt"
    listed.write_text("\n".join(trials) + "\n")
    argv = ["batch", "--nct-file", str(listed), "--offline", "--as-of", "2026-05-20"]
    shown = _on_a_terminal([*argv, "--out", str(tmp_path / "out")], {"COLUMNS": "20"})
    for nct in trials:
        assert re.search(rf"^{nct}\b.*\bdrafted\b", shown, re.MULTILINE), shown
    assert "…" not in shown


def test_the_draft_summary_names_the_writer_without_a_placeholder_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """'writer offline (none)': the offline writer asks no model, so there is none to name."""
    argv = ["draft", "NCT05591222", "--offline", "--as-of", "2026-05-20"]
    assert main([*argv, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "writer offline (no model)" in out and "(none)" not in out
