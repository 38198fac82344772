"""A stand-in for a careful model, for drafting tests over the local chat-completions server:
it reads the section and the facts table from the prompt and answers in the section's output
shape, citing what it states. Per-section overrides script misbehaviour (bad numbers, unknown
handles, refusals) by attempt, so tests do not depend on the order concurrent sections ask in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from tests.openai_server import completion
from tests.servers import Reply

_ROW = re.compile(r"^- (F\d+) · ([^:]+): (\S+)")
_SECTION = re.compile(r'^Section: (?:"([^"]+)"|(headline))')
_PLAIN = re.compile(
    r"^(?:[0-9.]+|[0-9]{4}(?:-[0-9]{2}){0,2}|NCT[0-9]{8}|CHEMBL[0-9]+|ENSG[0-9]{11})$"
)

Override = Callable[[int], Reply | None]  # attempt → a reply, or None for the careful answer


def section_of(body: Mapping[str, Any]) -> str:
    """The section a request asks for: "headline" or the section's heading."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    found = _SECTION.match(user)
    assert found is not None, user[:80]
    return found.group(1) or found.group(2)


def attempt_of(body: Mapping[str, Any]) -> int:
    """1 for the first ask; a re-ask appends the previous answer and the problems."""
    return 1 + sum(1 for m in body["messages"] if m["role"] == "assistant")


def rows(body: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(handle, label, value) of the facts whose value is a plain number, date or id, from
    the first user message (the facts table)."""
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    found = [_ROW.match(line) for line in user.splitlines()]
    return [
        (m.group(1), m.group(2), m.group(3))
        for m in found
        if m and _PLAIN.match(m.group(3)) and not re.search(r"[0-9]|Phase", m.group(2))
    ]


def careful(body: Mapping[str, Any]) -> dict[str, Any]:
    """An answer that states only what the facts table holds, and cites it."""
    facts = rows(body)
    if section_of(body) == "headline":
        nct = next((r for r in facts if r[2].startswith("NCT")), None)
        cites = [nct[0]] if nct else []
        name = nct[2] if nct else "The trial"
        return {
            "headline": f"{name} stopped early",
            "dek": f"{name}: what its record says.",
            "cites": cites,
        }
    chosen = facts[:3]
    if not chosen:
        # nothing plain to state and cite: a careful model says so as background (speculative,
        # citing nothing), which the prompt allows in an analytic section, rather than a fact
        # paragraph that cites no fact (validation refuses that, and three asks were spent)
        return {
            "paragraphs": [
                {
                    "text": "The record gives nothing more to state here.",
                    "cites": [],
                    "kind": "background",
                    "grade": "speculative",
                }
            ]
        }
    text = " ".join(f"The record gives {label.lower()} as {value}." for _, label, value in chosen)
    return {
        "paragraphs": [
            {
                "text": text,
                "cites": [handle for handle, _, _ in chosen],
                "kind": "fact",
                "grade": "documented",
            }
        ]
    }


def model(overrides: Mapping[str, Override] | None = None) -> Callable[[dict[str, Any]], Reply]:
    """The responder: the careful answer, unless an override for the section says otherwise
    for this attempt."""

    def respond(body: dict[str, Any]) -> Reply:
        override = (overrides or {}).get(section_of(body))
        reply = override(attempt_of(body)) if override else None
        return reply or completion(json.dumps(careful(body)))

    return respond
