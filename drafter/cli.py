"""Command-line entry point: parses arguments, dispatches to drafter.commands.*, maps errors
to one-line messages and the exit codes of DESIGN.md."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from contextlib import suppress

from drafter import __version__, command_help
from drafter.errors import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    DrafterError,
)
from drafter.output_encoding import fit_output_to_encoding
from drafter.terminal import one_line, tell

# Subcommand name → module under drafter.commands exposing configure(parser) and run(args) -> int.
COMMANDS: dict[str, str] = {
    "draft": "Draft the post-mortem of a trial: evidence, score, sections, validated.",
    "fetch": "Fetch a trial and its target evidence as one Bundle.",
    "classify": "Classify why-stopped text into an archetype and fine categories.",
    "mrs": "Compute the Mechanism Risk Score for a target–disease pair.",
    "claims": "List, add, delete, import or export documented failure claims.",
    "verify": "Check every number, date, id, quote and name of a draft against its sources.",
    "diff": "Compare two drafts or two evidence bundles, or a draft with its sources now.",
    "batch": "Draft every trial stopped since a date (or listed in a file), resumably.",
    "record": "Record the upstream answers a draft of a trial needs, for offline work.",
    "config": "Show every setting in effect and where it came from; keys only as set / not set.",
}


class _Parser(argparse.ArgumentParser):
    """argparse that exits with code 2 and one line, as every other bad input does."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"drafter: error: {one_line(message, 500)}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="drafter", description=command_help.ABOUT)
    parser.add_argument("--version", action="version", version=f"drafter {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for name, help_text in COMMANDS.items():
        module = importlib.import_module(f"drafter.commands.{name}")
        command_parser = sub.add_parser(name, help=help_text, description=help_text)
        module.configure(command_parser)
        command_parser.set_defaults(_run=module.run)
    command_help.attach(parser, "")  # examples, exit codes, environment (drafter.command_help)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if sys.stdout is None:  # started with file descriptor 1 closed
        _error("standard output is closed; nothing can be written")
        return EXIT_BAD_INPUT
    fit_output_to_encoding()  # an ASCII or Latin-1 terminal: readable text, not a crash
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments:  # `drafter` alone: what it can do, not a usage error
        parser.print_help()
        return EXIT_OK
    try:
        args = parser.parse_args(arguments)
    except SystemExit as exit_:  # usage errors (code 2), --help and --version (code 0)
        return exit_.code if isinstance(exit_.code, int) else EXIT_BAD_INPUT
    if _writes_json(args):
        fit_output_to_encoding(json_stdout=True)
    try:
        code: int = args._run(args)
        sys.stdout.flush()
    except DrafterError as error:
        _error(str(error))
        return error.exit_code
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # the reader went away (`| head`): not an error of ours
        _silence_stdout()
        return EXIT_OK
    except OSError as error:
        if os.environ.get("DRAFTER_DEBUG"):
            raise
        _error(f"input/output error: {error.strerror or error}")
        return EXIT_BAD_INPUT
    except Exception as error:  # a bug: one line, never a traceback (DRAFTER_DEBUG=1 shows it)
        if os.environ.get("DRAFTER_DEBUG"):
            raise
        _error(f"internal error ({type(error).__name__}: {error}); this is a bug in drafter")
        return EXIT_INTERNAL
    return code


def _writes_json(args: argparse.Namespace) -> bool:
    """Whether stdout carries JSON: --json, or claims export's default JSON lines."""
    exporting = getattr(args, "claims_command", None) == "export" and args.format != "csv"
    return bool(getattr(args, "json", False)) or exporting


def _error(message: str) -> None:
    tell(message)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    with suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    raise SystemExit(main())
