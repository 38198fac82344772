"""Output through a stream whose encoding is not UTF-8 (PYTHONIOENCODING=ascii, a Latin-1
locale, a legacy console): a character it cannot hold must not end a finished command with an
internal error, nor break `--help`.

Human text gets the nearest characters the stream can show (a hyphen for a dash, straight
quotes for curly ones), else "?". JSON gets each such character as a \\uXXXX escape: beyond
ASCII a JSON document holds characters only inside strings, where the escape reads back as the
same character, so the document stays exactly what it was."""

from __future__ import annotations

import codecs
import sys
from contextlib import suppress
from typing import TextIO

TEXT_ERRORS = "drafter-nearest"
JSON_ERRORS = "drafter-json-escape"

_NEAREST = {
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u00b7": "-",
    "\u2022": "*",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u2026": "...",
    "\u2192": "->",
    "\u2190": "<-",
    "\u2264": "<=",
    "\u2265": ">=",
    "\u2248": "~",
    "\u00d7": "x",
    "\u00b1": "+/-",
    "\u00a0": " ",
    "\u00b6": "#",
    "\u03a3": "sum ",
}


def _nearest(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    unshown = error.object[error.start : error.end]
    return "".join(_NEAREST.get(c, "?") for c in unshown), error.end


def _json_escape(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    escapes = []
    for character in error.object[error.start : error.end]:
        code = ord(character)
        if code > 0xFFFF:  # beyond the BMP: a surrogate pair, as JSON spells it
            code -= 0x10000
            escapes.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            escapes.append(f"\\u{code:04x}")
    return "".join(escapes), error.end


codecs.register_error(TEXT_ERRORS, _nearest)
codecs.register_error(JSON_ERRORS, _json_escape)


def fit_output_to_encoding(*, json_stdout: bool = False) -> None:
    """Let stdout and stderr write any text whatever their encoding: stdout as JSON escapes
    when it carries a JSON document (or JSON lines), else the nearest characters. A UTF
    stream is left as it is."""
    fit(sys.stdout, JSON_ERRORS if json_stdout else TEXT_ERRORS)
    fit(sys.stderr, TEXT_ERRORS)


def fit(stream: TextIO | None, errors: str) -> None:
    if stream is None or _holds_any_character(stream):
        return
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None:
        with suppress(ValueError, OSError):  # a closed or detached stream: nothing to fit
            reconfigure(errors=errors)


def _holds_any_character(stream: TextIO) -> bool:
    try:
        return codecs.lookup(stream.encoding).name.startswith("utf")
    except (AttributeError, LookupError, TypeError):
        return True  # not a text stream with a known codec: leave it as it is
