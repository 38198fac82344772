"""JSON read strictly: a key given twice in one object is refused (json.loads keeps the last one
silently, so which value was meant is a guess), and nesting too deep for the parser is a
problem with the document, not a RecursionError. Callers turn `JsonProblem` into the error
their input deserves (bad input, a damaged bundled file).

With `float_sized_integers`, an integer a float cannot hold is refused too: Python will not
convert one of more than 4,300 digits at all (a ValueError), and any code that takes float()
of one beyond 1.8e308 (a fact's value, say) raises OverflowError. A file drafter wrote never
holds one; a file from anyone else may."""

from __future__ import annotations

import json
import sys
from typing import Any

# More digits than the largest float has (309), with room for a sign; checked before int() runs.
_MAX_INTEGER_DIGITS = 310


class JsonProblem(ValueError):
    """What is wrong with a JSON document, as one short phrase."""


def loads(text: str, *, float_sized_integers: bool = False) -> Any:
    try:
        if float_sized_integers:
            return json.loads(text, object_pairs_hook=_unique_keys, parse_int=_float_sized)
        return json.loads(text, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as error:
        raise JsonProblem(f"invalid JSON: {error.msg} (line {error.lineno})") from None
    except RecursionError:
        raise JsonProblem("invalid JSON: nested too deeply") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise JsonProblem(f"invalid JSON: duplicate key {key!r} in an object")
        found[key] = value
    return found


def float_sized(digits: str) -> int | None:
    """The integer JSON spells as `digits`, or None when no float could hold it (checked by
    length before int() runs, which refuses more than 4,300 digits with a ValueError)."""
    if len(digits) <= _MAX_INTEGER_DIGITS:
        value = int(digits)
        if abs(value) <= sys.float_info.max:
            return value
    return None


def _float_sized(digits: str) -> int:
    value = float_sized(digits)
    if value is not None:
        return value
    shown = digits if len(digits) <= 12 else f"{digits[:6]}…{digits[-3:]}"
    raise JsonProblem(
        f"invalid JSON: the integer {shown} ({len(digits.lstrip('-'))} digits) is out of range"
    )
