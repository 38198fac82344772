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

import pydantic_core
from pydantic import BaseModel

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


# pydantic-core writes a float below 1e-4 unlike Python's repr (what json.dumps writes):
# 0.000042 for 4.2e-05 (a model call's cost), 1e-9 for 1e-09; anywhere else its text is
# repr's, and both are the shortest text that reads back as the same float. Hints of such a
# float, each found by its literal start (one pattern of both would try every character), and
# the line of indented JSON that holds a number: strings hold no raw newline, so a number
# stands alone on its line, after its key if it has one.
_FLOAT_HINTS = (re.compile(r"0\.0000"), re.compile(r"e-\d(?!\d)"))
_NUMBER_LINE = re.compile(
    r' *(?:"(?:[^"\\\n]|\\.)*": )?(?P<number>-?\d+(?:\.\d+)?(?:e[-+]?\d+)?),?'
)


def json_text(document: Any, *, indent: int | None = 2) -> str:
    """JSON as drafter prints it: UTF-8 kept readable, but every character `safe_text` would
    drop escaped as \\uXXXX, so the data is intact and a terminal shows it as text."""
    text = json.dumps(document, indent=indent, ensure_ascii=False)
    return _inert(text)


def model_json(model: BaseModel) -> str:
    """`json_text(model.model_dump(mode="json"))`, byte for byte, several times faster: with an
    indent, json.dumps runs its pure-Python encoder, which costs a large draft or bundle
    milliseconds. The dumped data is written by pydantic-core instead (same layout, same string
    escapes, NaN and Infinity as Python writes them), and a float below 1e-4 is rewritten as
    repr writes it; data pydantic-core cannot write goes to json.dumps as before."""
    document = model.model_dump(mode="json")
    try:
        text = pydantic_core.to_json(document, indent=2, inf_nan_mode="constants").decode()
    except (pydantic_core.PydanticSerializationError, UnicodeDecodeError):
        return json_text(document)
    return _inert(_floats_as_repr(text))


def _floats_as_repr(text: str) -> str:
    """Indented JSON with every float of a hinted line written as repr writes it (each line
    is looked at once per hint, however many it holds: a hostile text stays linear)."""
    fixes: dict[int, tuple[int, str]] = {}  # where a number starts: where it ends, its repr
    for hints in _FLOAT_HINTS:
        at = 0
        while (hint := hints.search(text, at)) is not None:
            start = text.rfind("\n", 0, hint.start()) + 1
            end = text.find("\n", hint.end())
            end = len(text) if end < 0 else end
            line = _NUMBER_LINE.fullmatch(text, start, end)
            if line is not None and not line["number"].lstrip("-").isdigit():
                fixes[line.start("number")] = (line.end("number"), repr(float(line["number"])))
            at = end
    if not fixes:
        return text
    pieces, at = [], 0
    for start, (end, number) in sorted(fixes.items()):
        pieces += [text[at:start], number]
        at = end
    pieces.append(text[at:])
    return "".join(pieces)


def _inert(text: str) -> str:
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
