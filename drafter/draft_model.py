"""draft.json: the one canonical record of a draft. draft.md (and later the review page) are
renderings of it, and with evidence.json beside it a reviewer can check every cited fact
without asking any source again. Nothing in it depends on the clock or the machine, so the
offline writer gives a byte-identical draft for the same inputs and as_of."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, Field

from drafter.facts import Fact
from drafter.framing import Framing
from drafter.models import Gap
from drafter.section_models import EvidenceGrade, ParagraphKind

SectionStatus = Literal["written", "needs_editor", "computed"]


class CitedParagraph(BaseModel):
    text: str
    cites: list[str] = Field(description="fact ids (the prompt's handles mapped back)")
    kind: ParagraphKind
    grade: EvidenceGrade


class SectionDraft(BaseModel):
    key: str
    heading: str
    status: SectionStatus
    paragraphs: list[CitedParagraph] = Field(default_factory=list)
    reason: str | None = Field(
        default=None, description="why the section needs an editor: the problems that remained"
    )
    attempts: int = 0
    writer: str


class ConflictNote(BaseModel):
    topic: str
    facts: list[str]
    note: str
    kind: Literal["dispute", "history"] = Field(
        default="dispute", description="two sources disagree, or the record was updated"
    )


class CallRecord(BaseModel):
    """One ask of a writer, as the draft reports it (the call log holds the prompts too)."""

    section: str
    attempt: int
    writer: str
    model: str
    problems: list[str] = Field(default_factory=list)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None
    latency_seconds: float = 0.0
    request_id: str | None = None


class MrsRow(BaseModel):
    heading: str
    points: float
    maximum: int
    fact: str
    maximum_fact: str


class MrsSection(BaseModel):
    total: int
    scale: int
    band: str
    rows: list[MrsRow]
    summary: str = Field(description="the counts sentence, every number a cited fact")
    summary_cites: list[str]
    most_informative: str | None = Field(description="headline or key of that claim")
    most_informative_cites: list[str] = Field(
        default_factory=list, description="the claim key fact and its headline fact"
    )
    facts: list[str] = Field(description="the score's facts: total, band, components, counts")


class SourceEntry(BaseModel):
    number: int
    record: str
    source: str
    request: str
    url: str | None
    sha256: str
    pages: list[str] = Field(
        default_factory=list,
        description="the public pages behind the cited facts (the trial's page, a press "
        "article), besides the API request drafter read",
    )


class RelatedClaim(BaseModel):
    key: str
    headline: str | None
    drug: str
    target: str
    disease: str
    event_date: str | None
    status: str
    fact: str = Field(description="the related: fact naming this claim")
    mrs: int | None = Field(
        default=None, description="its pair's MRS, where its pair's evidence was looked up"
    )
    mrs_note: str | None = Field(
        default=None,
        description="why no MRS is shown (e.g. not scored offline: evidence not recorded)",
    )

    @property
    def title(self) -> str | None:
        """What its related-claims line names it by: the headline, else its NCT id. A claim
        keyed drug|target|disease without a headline has neither: its key, lower-cased, only
        repeated the drug / target / disease the line gives next."""
        return self.headline or (self.key if self.key.startswith("NCT") else None)


class RelatedGroup(BaseModel):
    key: str
    heading: str
    claims: list[RelatedClaim]
    total: int


class Provenance(BaseModel):
    drafter_version: str
    writer: str
    model: str
    endpoint: str | None = Field(description="host of the model endpoint, no credentials")
    templates: dict[str, str] = Field(description="template path → sha256 of its source")
    mrs_params_hash: str | None
    sources: dict[str, str] = Field(description="source record id → sha256 of its body")
    as_of: str
    offline: bool
    stop_classifier: str = Field(
        default="rules",
        description='who classified the stop reason: "rules", "model <name>", or "rules '
        '(model fallback: <why>)" (drafter.classify_model; --classify-with-model)',
    )


class Draft(BaseModel):
    schema_version: Literal[1] = 1
    nct_id: str
    as_of: str
    headline: str
    dek: str
    headline_cites: list[str]
    headline_status: SectionStatus
    framing: Framing
    conflicts: list[ConflictNote]
    sections: list[SectionDraft]
    mrs: MrsSection | None
    sources: list[SourceEntry]
    related: list[RelatedGroup]
    facts: list[Fact] = Field(description="every fact the draft cites, with their inputs")
    gaps: list[Gap]
    calls: list[CallRecord]
    provenance: Provenance

    @property
    def needs_editor(self) -> list[str]:
        keys = [s.key for s in self.sections if s.status == "needs_editor"]
        return (["headline"] if self.headline_status == "needs_editor" else []) + keys


class SourceNumbers:
    """Which numbered sources each fact of a draft rests on: its own record's, and those of
    the facts it was computed from, transitively. draft.md prints them after a paragraph
    (" [1][3]") and `drafter verify` reads them back, so both use this one lookup."""

    def __init__(self, draft: Draft) -> None:
        self._number = {source.record: source.number for source in draft.sources}
        self._facts = {fact.id: fact for fact in draft.facts}
        self._known: dict[str, frozenset[int]] = {}

    def of_fact(self, fact_id: str) -> frozenset[int]:
        """The source numbers of one fact; a cycle of derived_from is walked once."""
        if fact_id in self._known:
            return self._known[fact_id]
        found: set[int] = set()
        seen: set[str] = set()
        pending = [fact_id]
        while pending:
            current = pending.pop()
            fact = self._facts.get(current)
            if current in seen or fact is None:
                continue
            seen.add(current)
            if fact.record in self._number:
                found.add(self._number[fact.record])
            pending += fact.derived_from
        self._known[fact_id] = frozenset(found)
        return self._known[fact_id]

    def of(self, fact_ids: Iterable[str]) -> list[int]:
        """The sorted source numbers of some facts: what the markers after a paragraph show."""
        return sorted({n for fact_id in fact_ids for n in self.of_fact(fact_id)})

    def facts_within(self, numbers: Iterable[int]) -> list[str]:
        """The facts, in the draft's order, whose sources are all among `numbers`: every fact
        whose citation could have printed those markers (facts of no source never qualify)."""
        allowed = set(numbers)
        return [
            fact_id
            for fact_id in self._facts
            if (found := self.of_fact(fact_id)) and found <= allowed
        ]
