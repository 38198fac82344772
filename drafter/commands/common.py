"""Flags and helpers shared by the commands that read upstream sources."""

from __future__ import annotations

import argparse
import os
import re
import sys
from datetime import date
from pathlib import Path

from drafter.atomic_write import absent_chain
from drafter.config import Settings, load_settings
from drafter.errors import BadInput
from drafter.terminal import control_character, json_text, safe_text

# How a command's overall time budget is named when it runs out (DRAFTER_DEADLINE).
DEADLINE = "command deadline (DRAFTER_DEADLINE)"
DISCOVERY_DEADLINE = "discovery deadline (DRAFTER_DISCOVERY_DEADLINE)"


def add_offline_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--offline",
        action="store_true",
        default=None,
        help="serve only from the cache, the bundled snapshot and the trials recorded with "
        "`drafter record` (also DRAFTER_OFFLINE=1)",
    )


def check_out_directory(out: Path) -> None:
    """OUT is a directory, or can be made one, that this user can write in: known before any
    work (a draft's model calls, a batch's discovery), and without creating anything, so a
    command that then fails leaves no empty OUT behind. The writes still check for
    themselves (a disk fills, a mount turns read-only)."""
    if out.is_symlink() and not out.exists():  # dangling, or a loop
        target = safe_text(os.readlink(out))
        raise BadInput(f"--out {out} is a symbolic link to {target}, which leads to no directory")
    absent = absent_chain(out)
    existing = absent[-1].parent if absent else out
    if not existing.is_dir():
        where = "" if existing == out else f": {existing} is not a directory"
        raise BadInput(f"--out {out} is not a directory{where}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BadInput(f"cannot write to --out {out}: {existing} is not writable")


def add_db_flag(
    parser: argparse.ArgumentParser,
    meaning: str = "claims database (default: DRAFTER_DB or the user data dir)",
) -> None:
    """--db, a path: `--db ''` is a usage error like every other empty path argument."""
    parser.add_argument("--db", type=given_path, metavar="PATH", help=meaning)


def add_as_of_flag(parser: argparse.ArgumentParser, default: str = "today") -> None:
    """--as-of; `default` says what a command takes when it is not given."""
    parser.add_argument(
        "--as-of",
        type=parse_day,
        default=None,
        help=f"analysis date YYYY-MM-DD (default: {default})",
    )


def parse_day(text: str) -> date:
    """Exactly YYYY-MM-DD (Python 3.11's fromisoformat would also take 20260520)."""
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None


def settings_from_args(args: argparse.Namespace) -> Settings:
    return load_settings({"offline": getattr(args, "offline", None)})


def today_or(as_of: date | None) -> date:
    return as_of or date.today()


def write_stdout(text: str) -> None:
    """Human output: control characters a source may carry are removed before printing."""
    sys.stdout.write(safe_text(text))
    sys.stdout.flush()


def write_json(document: object) -> None:
    """Exactly one JSON document, with terminal controls escaped (the data is unchanged)."""
    sys.stdout.write(json_text(document) + "\n")
    sys.stdout.flush()


def non_blank(text: str) -> str:
    """argparse type for names: an empty or blank --target or --disease is a usage error,
    not a query for the empty string, and so is one holding a control character (a pasted
    escape sequence or newline is no name, and would be sent upstream as one)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    control = control_character(text.strip())  # a pasted trailing newline or tab is fine
    if control is not None:
        raise argparse.ArgumentTypeError(
            f"holds a control character (U+{ord(control):04X}): type the name as plain text"
        )
    return text


def given_path(text: str) -> Path:
    """argparse type for paths: an empty one (`--out ''`, an unset shell variable) is a usage
    error, not the current directory, which `.` names when it is meant."""
    if not text:
        raise argparse.ArgumentTypeError("must not be empty (. names the current directory)")
    return Path(text)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise BadInput(message)
