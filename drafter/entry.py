"""The `drafter` console script. Python spends a third of a second loading drafter's modules
before cli.main can catch anything; a Ctrl-C then ends as it does later (one line, exit 130),
not with a traceback out of an import."""

from __future__ import annotations

import sys

from drafter.errors import EXIT_INTERRUPTED  # the standard library only: loads at once


def main() -> int:
    try:
        from drafter.cli import main as run_cli

        return run_cli()
    except KeyboardInterrupt:
        sys.stderr.write("drafter: interrupted\n")
        return EXIT_INTERRUPTED
