"""Where the facts of a bundle disagree: an earlier version of the record against the current
one, a press report against the registry. A draft shows each conflict to the editor with both
facts and their sources, and no writer may state one side as settled."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel

from drafter.bundle import Bundle
from drafter.facts import Fact, fact_id
from drafter.prose import fact_text

# (curated field, registry field, what the disagreement is, kind): the curated side is a fact no
# API record holds (drafter's reference facts), the registry side is ClinicalTrials.gov's record.
# A "dispute" is two sources saying different things about what happened; "history" is an
# earlier version of the record, which the current one may simply have updated. Both are shown
# to the editor and neither is stated as settled, but history is not called a disagreement.
ConflictKind = Literal["dispute", "history"]
RULES: tuple[tuple[str, str, str, ConflictKind], ...] = (
    ("enrollment_earlier_estimate", "enrollment", "enrollment", "history"),
    ("lead_sponsor_earlier", "lead_sponsor", "lead sponsor", "history"),
    (
        "primary_completion_date_earlier_estimate",
        "primary_completion_date",
        "primary completion",
        "history",
    ),
    ("completion_date_earlier_estimate", "completion_date", "completion", "history"),
    (
        "outcome_reported_in_press",
        "why_stopped",
        "outcome: a press report of the result against the registry's stop reason",
        "dispute",
    ),
    (
        "why_stopped_press_paraphrase",
        "why_stopped",
        "reason for stopping: the sponsor's words to the press against the registry's",
        "dispute",
    ),
)


class Conflict(BaseModel):
    topic: str
    facts: list[str]  # fact ids, the registry's first
    kind: ConflictKind = "dispute"

    def note(self, facts: dict[str, Fact]) -> str:
        """One sentence for the editor: each side's value and who says it."""
        if self.kind == "history":
            current, earlier = (facts[i] for i in self.facts)
            return (
                f"{self.topic}: {who_says(current)} now says {fact_text(current)}; "
                f"{who_says(earlier)} shows an earlier {fact_text(earlier)}. An update of the "
                "record, not a dispute: confirm the current value before stating it."
            )
        sides = [
            f"{who_says(facts[i])} says {fact_text(facts[i])}" for i in self.facts if i in facts
        ]
        return f"{self.topic}: " + "; ".join(sides) + ". Neither side is settled by the record."


def who_says(fact: Fact) -> str:
    """The source an editor would name: an API by name, a curated fact by the site it was read
    from (the press page, not drafter's file)."""
    if fact.id.startswith("reference:") and fact.source_url:
        host = urlsplit(fact.source_url).hostname or fact.source_url
        return host.removeprefix("www.")
    return fact.source


def find_conflicts(bundle: Bundle) -> list[Conflict]:
    """Every rule whose two facts are both in the bundle and differ."""
    return conflicts_among({f.id: f for f in bundle.facts}, bundle.nct_id)


def conflicts_among(facts: Mapping[str, Fact], nct_id: str) -> list[Conflict]:
    """The conflicts whose two facts are both in `facts` (a section sees only some facts)."""
    found: list[Conflict] = []
    for curated, registry, topic, kind in RULES:
        earlier = facts.get(fact_id("reference", nct_id, curated))
        current = facts.get(fact_id("ctgov", nct_id, registry))
        if earlier is not None and current is not None and earlier.value != current.value:
            found.append(Conflict(topic=topic, facts=[current.id, earlier.id], kind=kind))
    return found
