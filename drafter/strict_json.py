"""JSON read strictly: a key given twice in one object is refused (json.loads keeps the last one
silently, so which value was meant is a guess), and nesting too deep for the parser is a
problem with the document, not a RecursionError. Callers turn `JsonProblem` into the error
their input deserves (bad input, a damaged bundled file)."""

from __future__ import annotations

import json
from typing import Any


class JsonProblem(ValueError):
    """What is wrong with a JSON document, as one short phrase."""


def loads(text: str) -> Any:
    try:
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
