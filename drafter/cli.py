"""Command-line entry point: parses arguments, dispatches to drafter.commands.*, maps errors
to one-line messages and the exit codes of DESIGN.md."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from drafter import __version__
from drafter.errors import EXIT_BAD_INPUT, DrafterError

# Subcommand name → module under drafter.commands exposing configure(parser) and run(args) -> int.
COMMANDS: dict[str, str] = {
    "fetch": "Fetch a trial and its target evidence as one Bundle.",
    "classify": "Classify why-stopped text into an archetype and fine categories.",
    "mrs": "Compute the Mechanism Risk Score for a target–disease pair.",
    "claims": "List, add, import or export documented failure claims.",
}


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and one line, as every other bad input does."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"drafter: error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="drafter", description=__doc__)
    parser.add_argument("--version", action="version", version=f"drafter {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_text in COMMANDS.items():
        module = importlib.import_module(f"drafter.commands.{name}")
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.configure(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # usage errors (code 2), --help and --version (code 0)
        return exit_.code if isinstance(exit_.code, int) else EXIT_BAD_INPUT
    try:
        code: int = args._run(args)
    except DrafterError as error:
        sys.stderr.write(f"drafter: {_one_line(str(error))}\n")
        return error.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("drafter: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    return code


def _one_line(message: str) -> str:
    return " ".join(message.split())


if __name__ == "__main__":
    raise SystemExit(main())
