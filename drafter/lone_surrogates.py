"""JSON text with its lone surrogate escapes made U+FFFD, before it is parsed.

JSON may spell a character as a \\uXXXX escape, and nothing stops a server from escaping half
of a UTF-16 pair ("\\ud800" alone). Python's json then yields a str no UTF-8 file, terminal or
SQLite column accepts (UnicodeEncodeError wherever the text is written, far from the answer
that held it), and pydantic's JSON parser refuses the whole document. Either way one bad
character of one field cost the command; as U+FFFD (the replacement character, what a decoder
makes of any broken UTF-8) it is one visibly damaged character, and the answer is judged on
everything else. Escaped pairs ("\\ud83d\\ude00") are characters and stay as they are.
"""

from __future__ import annotations

import re

# Cheap test first: most answers hold no surrogate escape at all, and the rewrite below calls
# Python for every escape of the text.
_ANY_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
# Every escape from left to right (so an escaped backslash, "\\\\ud800", is consumed whole and
# never read as the start of an escape): a surrogate pair, a lone surrogate, or anything else.
_ESCAPE = re.compile(
    r"\\(?:(?P<pair>u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?P<lone>u[dD][89a-fA-F][0-9a-fA-F]{2})|.)",
    re.DOTALL,
)
REPLACEMENT_ESCAPE = "\\ufffd"


def repaired(text: str) -> str:
    """`text` (JSON) with each lone surrogate escape replaced by the escape of U+FFFD."""
    if _ANY_SURROGATE.search(text) is None:
        return text
    return _ESCAPE.sub(_replace, text)


def _replace(match: re.Match[str]) -> str:
    return REPLACEMENT_ESCAPE if match.group("lone") is not None else match.group(0)
