"""Text that reaches a terminal. Source text is untrusted: a whyStopped holding an ANSI escape
can clear the screen, and one holding a newline can forge a line of a summary. Every human
rendering passes its values through `one_line` (or `safe_text` for whole blocks), and JSON is
written with the same characters escaped, so the data is unchanged but inert."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from drafter.errors import mask_secrets

# C0 controls except tab and newline, DEL, C1 controls (U+009B is a one-byte CSI), and the
# bidirectional overrides and isolates that reorder what a reader sees.
_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE_RE = re.compile(f"[{_UNSAFE}]")
_UNSAFE_IN_JSON = re.compile(f"[{_UNSAFE}\u2028\u2029]")


def control_character(text: str) -> str | None:
    """The first control character of `text` (a newline or tab included), if any: a name,
    an id or a flag's value never holds one, and an echo of it could drive the terminal."""
    found = _UNSAFE_RE.search(text) or re.search("[\t\n]", text)
    return found.group() if found else None


def safe_text(text: str) -> str:
    """A block of text with every control character except tab and newline removed."""
    return _UNSAFE_RE.sub("", text)


def one_line(text: str, limit: int | None = None) -> str:
    """A value for one line of output: controls removed, all whitespace (newlines, U+2028)
    folded to single spaces, optionally cut at `limit` characters."""
    flat = " ".join(_UNSAFE_RE.sub(" ", text).split())
    if limit is not None and len(flat) > limit:
        return flat[: limit - 1] + "…"
    return flat


def json_text(document: Any, *, indent: int | None = 2) -> str:
    """JSON as drafter prints it: UTF-8 kept readable, but every character `safe_text` would
    drop escaped as \\uXXXX, so the data is intact and a terminal shows it as text."""
    text = json.dumps(document, indent=indent, ensure_ascii=False)
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def tell(message: str) -> None:
    """One line on stderr for the user (an error, a warning, a progress note): secrets
    masked, control characters and newlines removed, length bounded."""
    sys.stderr.write(f"drafter: {one_line(mask_secrets(message), 2000)}\n")
    sys.stderr.flush()


def text_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], *, width: int | None = None
) -> str:
    """An aligned plain-text table, one row a line, every cell on one line. With `width`, the
    widest columns are cut (with "…") until a line fits, so a table never wraps."""
    table = [tuple(one_line(cell) for cell in header)]
    table += [tuple(one_line(cell) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    if width is not None:
        gaps = 2 * (len(widths) - 1)
        while sum(widths) + gaps > width and max(widths) > 8:
            widest = widths.index(max(widths))
            widths[widest] -= 1
    return "".join(
        "  ".join(
            _fit(cell, size).ljust(size) for cell, size in zip(row, widths, strict=True)
        ).rstrip()
        + "\n"
        for row in table
    )


def _fit(cell: str, size: int) -> str:
    return cell if len(cell) <= size else cell[: size - 1] + "…"


def fitted_table(header: Sequence[str], rows: Sequence[Sequence[str]], width: int | None) -> str:
    """An aligned table when it fits `width` whole (or `width` is None: a pipe or a file);
    else one wrapped line a row ("KEY: drug …, phase …"), so a narrow terminal loses no key
    or figure to a cut."""
    table = text_table(header, rows)
    if width is None or all(len(line) <= width for line in table.splitlines()):
        return table
    return "".join(
        wrapped(
            f"{row[0]}: "
            + ", ".join(
                f"{name.lower()} {cell}" for name, cell in zip(header[1:], row[1:], strict=True)
            ),
            width,
        )
        for row in rows
    )


def wrapped(text: str, width: int | None) -> str:
    """One line of prose folded to one line, wrapped at `width` with an indent (a URL is never
    broken, so it may pass the width alone on its line); whole when `width` is None."""
    flat = one_line(text)
    if width is None:
        return flat + "\n"
    return (
        textwrap.fill(
            flat,
            width,
            subsequent_indent="  ",
            break_long_words=False,
            break_on_hyphens=False,
        )
        + "\n"
    )


# --- width and colour of human output --------------------------------------------------------

_MIN_WIDTH = 40
_COLOURS = {"red": "31", "green": "32", "yellow": "33", "bold": "1"}


def output_width(stream: TextIO) -> int | None:
    """Columns human output may fill: COLUMNS when set (a user or a test fixes it), the
    terminal's when `stream` is one, else None (a pipe or a file keeps whole lines)."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return max(_MIN_WIDTH, int(columns))
    if _is_terminal(stream):
        return max(_MIN_WIDTH, shutil.get_terminal_size().columns)
    return None


def colour_wanted(stream: TextIO) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return _is_terminal(stream)


def coloured(text: str, colour: str) -> str:
    """`text` in one of _COLOURS; callers add it only after the text was made safe, and only
    when colour_wanted."""
    return f"\x1b[{_COLOURS[colour]}m{text}\x1b[0m"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False
