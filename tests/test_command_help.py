"""Help that teaches and cannot rot: every command (and subcommand) has an entry in
drafter.command_help, its --help shows the examples, exit codes and environment variables of
that entry, every example parses with the real parser, and every example marked offline runs
against the bundled snapshot, in order, from the text the user reads."""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from drafter import command_help
from drafter.cli import build_parser, main
from drafter.command_help import HELP, subcommands
from drafter.config import ENVIRONMENT
from drafter.errors import (
    EXIT_BAD_INPUT,
    EXIT_FINDINGS,
    EXIT_INTERNAL,
    EXIT_OK,
    EXIT_UPSTREAM,
)

REPO = Path(__file__).resolve().parents[1]
KNOWN_CODES = {EXIT_OK, EXIT_FINDINGS, EXIT_BAD_INPUT, EXIT_UPSTREAM, EXIT_INTERNAL, 130}
# Read outside config.ENVIRONMENT: by config.config_file_path and by cli.main.
OTHER_VARIABLES = {"DRAFTER_CONFIG", "DRAFTER_DEBUG"}


def command_parsers() -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every parser of the real CLI with its path ("" for drafter, "claims add")."""

    def walk(
        path: str, parser: argparse.ArgumentParser
    ) -> Iterator[tuple[str, argparse.ArgumentParser]]:
        yield path, parser
        for name, child in subcommands(parser):
            yield from walk(f"{path} {name}".strip(), child)

    return walk("", build_parser())


PARSERS = dict(command_parsers())


def shown_examples(help_text: str) -> list[str]:
    """The example commands as --help prints them: the lines after each `# ...` line of the
    examples block, continuation lines (indented further) joined with their newline."""
    block = help_text.split("examples:\n", 1)[-1].split("start here:\n", 1)[-1]
    block = block.split("\n\n", 1)[0]
    examples: list[list[str]] = []
    for line in block.splitlines():
        if line.startswith("  # "):
            if not examples or examples[-1]:  # else: the comment's wrapped second line
                examples.append([])
        else:  # the command's first line, or one of its continuation lines
            examples[-1].append(line.strip())
    return ["\n".join(lines) for lines in examples]


def shown_comments(help_text: str) -> list[str]:
    """The `# ...` comment over each example, its wrapped lines joined."""
    block = help_text.split("examples:\n", 1)[-1].split("start here:\n", 1)[-1]
    comments: list[str] = []
    after_comment = False
    for line in block.split("\n\n", 1)[0].splitlines():
        if line.startswith("  # "):
            said = line.removeprefix("  # ")
            comments[-1:] = [f"{comments[-1]} {said}"] if after_comment else [*comments[-1:], said]
            after_comment = True
        else:
            after_comment = False
    return comments


def split_example(command: str) -> tuple[dict[str, str], list[str]]:
    """VAR=value words before `drafter`, and the arguments after it."""
    words = shlex.split(command)
    env: dict[str, str] = {}
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    assert words[0] == "drafter", command
    return env, words[1:]


def test_every_command_and_subcommand_has_an_entry_and_no_entry_is_stale() -> None:
    assert set(PARSERS) == set(HELP)
    assert "config" in PARSERS and "claims add" in PARSERS


@pytest.mark.parametrize("path", sorted(HELP))
def test_help_shows_the_examples_exit_codes_and_environment_of_its_entry(path: str) -> None:
    entry = HELP[path]
    text = PARSERS[path].format_help()
    assert 2 <= len(entry.examples) <= 3
    assert shown_examples(text) == [e.command for e in entry.examples]
    assert shown_comments(text) == [e.says for e in entry.examples]
    codes = text.split("exit codes:\n", 1)[1].split("\n\n", 1)[0]
    assert sorted(int(line.split()[0]) for line in codes.splitlines() if line[2] != " ") == sorted(
        entry.exit_codes
    )
    environment = text.split("\nenvironment", 1)[1]
    for group in entry.environment:
        for name in group.names:
            assert re.search(rf"\b{name}\b", environment), name


@pytest.mark.parametrize("path", sorted(HELP))
def test_help_fits_80_columns_but_for_the_example_commands_and_urls(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """record's description was one 600-character line, and two example comments ran past
    120 columns: the help is read in a terminal."""
    monkeypatch.setenv("COLUMNS", "80")
    text = build_parser_at(path).format_help()
    commands = {line for example in shown_examples(text) for line in example.splitlines()}
    for line in text.splitlines():
        if line.strip() in commands or "://" in line:
            continue
        assert len(line) <= 80, line


def build_parser_at(path: str) -> argparse.ArgumentParser:
    """A parser built after COLUMNS is set (argparse reads the width when it formats)."""
    return dict(command_parsers())[path]


@pytest.mark.parametrize("path", sorted(HELP))
def test_exit_codes_are_drafters_and_every_command_documents_ok_bad_input_and_bugs(
    path: str,
) -> None:
    codes = set(HELP[path].exit_codes)
    assert codes <= KNOWN_CODES
    assert {EXIT_OK, EXIT_BAD_INPUT, EXIT_INTERNAL} <= codes


def test_bad_usage_of_every_command_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for path in HELP:
        assert main([*path.split(), "--no-such-flag"]) == EXIT_BAD_INPUT
        assert capsys.readouterr().err.count("\n") == 1


def documented_variables() -> set[str]:
    return {name for entry in HELP.values() for group in entry.environment for name in group.names}


def variables_read_in_source() -> set[str]:
    """Every literal environment variable name drafter's code reads."""
    pattern = re.compile(r"""environ(?:\.get)?[(\[]\s*["']([A-Z][A-Z0-9_]+)["']""")
    found: set[str] = set()
    for path in (REPO / "drafter").rglob("*.py"):
        found |= set(pattern.findall(path.read_text(encoding="utf-8")))
    return found


def test_the_documented_variables_are_exactly_those_drafter_reads() -> None:
    read = set(ENVIRONMENT) | OTHER_VARIABLES | variables_read_in_source()
    assert read - documented_variables() == set(), "read but documented by no command"
    assert documented_variables() - read == set(), "documented but never read"


def test_commands_that_load_settings_document_the_config_file() -> None:
    for path, entry in HELP.items():
        names = {name for group in entry.environment for name in group.names}
        assert "DRAFTER_DEBUG" in names, path  # cli.main reads it for every command
        if names & set(ENVIRONMENT):
            assert "DRAFTER_CONFIG" in names, path


@pytest.mark.parametrize("path", sorted(HELP))
def test_every_example_parses_with_the_real_parser(path: str) -> None:
    parser = build_parser()
    for example in HELP[path].examples:
        env, argv = split_example(example.command)
        assert set(env) <= set(ENVIRONMENT) | OTHER_VARIABLES
        if path:  # an example of `claims add` is a `drafter claims add ...` command
            assert argv[: len(path.split())] == path.split(), example.command
        parser.parse_args(argv)  # a usage error raises SystemExit and fails the test


def test_every_offline_example_runs_against_the_bundled_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """In the table's order, in one directory and one claims database, from the help text:
    `drafter verify out/NCT05591222` checks the draft the `draft` example wrote."""
    monkeypatch.chdir(tmp_path)
    ran = 0
    for path, entry in HELP.items():
        shown = shown_examples(PARSERS[path].format_help())
        for example, command in zip(entry.examples, shown, strict=True):
            if not example.offline:
                continue
            env, argv = split_example(command)
            with monkeypatch.context() as scoped:
                for name, value in env.items():
                    scoped.setenv(name, value)
                code = main(argv)
            out, err = capsys.readouterr()
            assert code in {EXIT_OK, EXIT_FINDINGS} & set(entry.exit_codes), (command, err)
            assert out.strip() or err.strip(), command  # every example says something
            ran += 1
    assert ran >= 25
    assert (tmp_path / "out" / "NCT05591222" / "draft.md").is_file()
    assert (tmp_path / "drafts" / "batch.md").is_file()


def test_drafter_alone_prints_help_that_starts_somewhere(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == EXIT_OK
    out = capsys.readouterr().out
    assert out.startswith("usage: drafter")
    assert "start here:" in out
    for example in HELP[""].examples:
        assert example.command in out
    assert "drafter COMMAND --help" in out.replace("`", "")
    assert "Command-line entry point" not in out  # the module docstring is not the help


def test_claims_add_help_lists_every_allowed_value_from_the_rulebook_and_the_model() -> None:
    from typing import get_args

    from drafter.models import Claim, ClaimStatus, Phase
    from drafter.rulebook import CATEGORY_ARCHETYPE, Archetype, Category

    text = PARSERS["claims add"].format_help()
    words = set(re.findall(r"[A-Za-z0-9_/]+", text))
    for literal in (Archetype, Category, Phase, ClaimStatus):
        assert set(get_args(literal)) <= words, literal
    fields = set(Claim.model_fields) - set(command_help.STORE_OWNED)
    assert set(command_help.CLAIM_MEANINGS) == fields  # a new field needs its meaning
    for name in fields:
        assert re.search(rf"^  {name}\b", text, re.MULTILINE), name
    # each category sits on the line of the archetype it means
    guide = text.split("claim fields", 1)[1].split("rules:", 1)[0]
    for category, archetype in CATEGORY_ARCHETYPE.items():
        row = next(line for line in _category_rows(guide) if category in line.split())
        assert row.split()[0] in (archetype, "any"), (category, row)


def _category_rows(guide: str) -> list[str]:
    """The archetype rows of the category table, continuation lines joined to their row."""
    rows: list[str] = []
    for line in guide.split("one of (the archetype each means):\n", 1)[1].splitlines():
        if not line.startswith(" " * 24):
            break
        if line[24] != " ":
            rows.append(line.strip())
        else:
            rows[-1] += " " + line.strip()
    return rows
