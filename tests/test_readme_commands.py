"""The README's command syntax says what the commands accept: every flag it shows exists on
that command (with the same choices), every flag a command has is shown, every command has a
syntax line, and every example line parses with the real parser."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from drafter.cli import build_parser
from tests.test_command_help import PARSERS

README = Path(__file__).resolve().parents[1] / "README.md"
FLAG = re.compile(r"(--[a-z][a-z-]*)(?: ([a-z0-9]+(?:\|[a-z0-9]+)+))?")
NOT_SHOWN = {"-h", "--help", "--version"}


def code_blocks_after(heading: str) -> list[str]:
    text = README.read_text(encoding="utf-8").split(f"\n{heading}\n", 1)[1]
    return re.findall(r"```\n(.*?)```", text.split("\n## ", 1)[0], re.DOTALL)


def syntax_entries() -> list[str]:
    """The syntax lines of `## Commands`, continuation lines joined, comments dropped, and
    `A | drafter B` alternatives split."""
    entries: list[str] = []
    for line in code_blocks_after("## Commands")[0].splitlines():
        line = line.split("  #", 1)[0].rstrip()
        if line.startswith("drafter"):
            entries.append(line)
        elif line.strip():
            entries[-1] += " " + line.strip()
    return [part for entry in entries for part in re.split(r" \| (?=drafter )", entry)]


def path_of(entry: str) -> str:
    """The longest command path the entry starts with ("claims add", "draft", "")."""
    words = entry.split()[1:]
    path = ""
    for word in words:
        longer = f"{path} {word}".strip()
        if longer not in PARSERS:
            break
        path = longer
    return path


def options(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {
        flag: action
        for action in parser._actions
        for flag in action.option_strings
        if flag.startswith("--") and flag not in NOT_SHOWN
    }


ENTRIES = syntax_entries()


def test_every_command_has_a_syntax_line() -> None:
    shown = {path_of(entry) for entry in ENTRIES}
    assert set(PARSERS) - {"claims"} <= shown  # `claims` alone is its subcommands
    assert "config" in shown


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_flag_of_a_syntax_line_exists_with_the_choices_it_shows(entry: str) -> None:
    accepted = options(PARSERS[path_of(entry)])
    if " claims " in f" {entry} ":  # --db is the claims group's, given before or after
        accepted |= options(PARSERS["claims"])
    for flag, shown_choices in FLAG.findall(entry):
        assert flag in accepted, f"{flag} in {entry!r}"
        choices = accepted[flag].choices
        if shown_choices and choices is not None:
            assert set(shown_choices.split("|")) == set(choices), entry


@pytest.mark.parametrize("path", sorted(p for p in PARSERS if p))
def test_every_flag_of_a_command_is_on_its_syntax_lines(path: str) -> None:
    lines = [entry for entry in ENTRIES if path_of(entry) in (path, *_children(path))]
    shown = {flag for entry in lines for flag, _ in FLAG.findall(entry)}
    missing = set(options(PARSERS[path])) - shown
    assert not missing, f"README syntax of `drafter {path}` lacks {sorted(missing)}"


def _children(path: str) -> list[str]:
    return [p for p in PARSERS if p.startswith(f"{path} ")]


def example_commands() -> list[str]:
    """Each `drafter ...` of the README's example block, cut at shell operators."""
    commands: list[str] = []
    for block in code_blocks_after("## Commands")[1:]:
        for line in block.splitlines():
            line = line.split("  #", 1)[0]
            for part in line.split("&&"):
                command = re.split(r"\s[>|]\s", part)[0].strip()
                if command.startswith("drafter "):
                    commands.append(command)
    return commands


def test_the_readme_shows_examples() -> None:
    assert len(example_commands()) >= 10


@pytest.mark.parametrize("command", example_commands())
def test_every_readme_example_parses_with_the_real_parser(command: str) -> None:
    build_parser().parse_args(shlex.split(command)[1:])
