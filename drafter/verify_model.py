"""The verification report: what `drafter verify` found for every anchor of a draft.

Kept apart from drafter.verify (which computes it) so that the review page and the JSON output
depend on the shape of a report, not on how anchors are found and matched.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from drafter.facts import Fact
from drafter.prose import unit_text

# number, date, phase, id: typed values (drafter.anchors); quote: text in quotation marks;
# name: a drug, sponsor, target or disease name; status: a trial status word ("terminated");
# qualifier: actual / estimated (anticipated, planned) said of an enrollment figure.
VerifyAnchorKind = Literal["number", "date", "phase", "id", "quote", "name", "status", "qualifier"]
NameType = Literal["drug", "sponsor", "target", "disease"]
VerifyStatus = Literal[
    "verified",  # a fact the paragraph cites supports it
    "verified_uncited",  # some fact supports it, but the paragraph cites none of its type
    "fuzzy",  # a near match: a rounding, an alias, a case-only difference in a quote
    "mismatch",  # the paragraph cites a fact of its type that says something else
    "untraceable",  # no fact of its type holds it
    "unsupported_precision",  # more precise than the fact ("15 March 2021" for "2021-03")
    "background",  # inside a paragraph marked background: for the editor, not checked
]
CitesFrom = Literal["draft", "aligned", "markers", "none"]
Checked = Literal["draft.json", "draft.md"]
# The statuses that make `drafter verify` exit 1.
FAILING: frozenset[str] = frozenset({"mismatch", "untraceable", "unsupported_precision"})
STATUSES: tuple[str, ...] = (
    "verified",
    "verified_uncited",
    "fuzzy",
    "mismatch",
    "untraceable",
    "unsupported_precision",
    "background",
)


def value_text(fact: Fact) -> str:
    """A fact's value as a reviewer reads it: "72 participants", "1 program", "2025-05-08"."""
    unit = unit_text(fact.value, fact.unit)
    return f"{fact.value} {unit}" if unit else str(fact.value)


class FactView(BaseModel):
    """A fact as a reviewer needs to see it beside an anchor: what it says and where from."""

    model_config = ConfigDict(extra="forbid")

    id: str
    label: str
    value: str = Field(
        description="the value as text, with its unit (dates as the source gives them)"
    )
    kind: str
    qualifier: str | None = None
    source: str
    source_url: str | None = Field(description="the page a reviewer opens to check it")
    field: str | None = Field(description="JSON pointer into the recorded answer")
    request: str | None = Field(default=None, description="the API request it was read from")
    formula: str | None = None
    derived_from: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, fact: Fact, request: str | None, record_url: str | None) -> FactView:
        """The view of a fact read from (or computed over) a record with this request and URL."""
        return cls(
            id=fact.id,
            label=fact.label,
            value=value_text(fact),
            kind=fact.kind,
            qualifier=fact.qualifier,
            source=fact.source,
            source_url=fact.source_url or record_url,
            field=fact.field,
            request=request,
            formula=fact.formula,
            derived_from=list(fact.derived_from),
        )


class CheckedAnchor(BaseModel):
    """One anchor in one paragraph and its verdict."""

    model_config = ConfigDict(extra="forbid")

    kind: VerifyAnchorKind
    name_type: NameType | None = None
    text: str = Field(description="the prose exactly (paragraph text[start:end])")
    start: int
    end: int
    value: str = Field(description="the anchor's normalised value")
    status: VerifyStatus
    fact_id: str | None = Field(
        description="the fact that supports it, or the cited fact it contradicts"
    )
    cited: bool = Field(description="whether fact_id is among the paragraph's citations")
    reason: str = Field(description="one line for the reviewer")


class ParagraphReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    section: str = Field(description="section key; headline, dek, conflicts and mrs included")
    heading: str
    index: int
    text: str
    kind: str = Field(description="fact, background, editor, conflict or summary")
    cites: list[str]
    cites_from: CitesFrom = Field(
        default="draft",
        description="where the citations came from: draft.json, the paragraph of draft.json an "
        "edited paragraph was aligned to, its source markers [n], or nowhere",
    )
    line: int | None = Field(default=None, description="line in draft.md, when verified there")
    anchors: list[CheckedAnchor]
    unused_cites: list[str] = Field(
        default_factory=list,
        description="cited facts of a checkable kind that no anchor of the paragraph binds to",
    )
    problems: list[str] = Field(
        default_factory=list,
        description="what is wrong with the paragraph itself: a source marker [n] that names "
        "no source or not the sources of its facts, a computed line changed by hand",
    )


class VerifyCounts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    anchors: int
    by_status: dict[str, int]
    by_kind: dict[str, int]
    anchor_coverage: float = Field(
        description="verified (by a cited fact) or fuzzy, over every anchor but background"
    )
    citation_recall: float = Field(
        description="fact paragraphs whose every anchor a cited fact supports, over those "
        "with anchors (ALCE's recall, per paragraph)"
    )
    citation_precision: float = Field(
        description="cited facts of a checkable kind that support an anchor of their paragraph, "
        "over all such citations (ALCE's precision)"
    )


class VerifyReport(BaseModel):
    """Every anchor of a draft checked against the evidence it was drafted from."""

    model_config = ConfigDict(extra="forbid")

    nct_id: str
    checked: Checked
    path: str
    paragraphs: list[ParagraphReport]
    facts: dict[str, FactView] = Field(
        description="every fact an anchor names or a paragraph cites, by id"
    )
    counts: VerifyCounts
    unaligned_headings: list[str] = Field(default_factory=list)
    missing_sections: list[str] = Field(default_factory=list)
    needs_editor: list[str] = Field(default_factory=list)
    conflicts: list[str] = Field(default_factory=list, description="conflict notes, as drafted")
    problems: list[str] = Field(
        default_factory=list,
        description="what is wrong with the article as a whole (an edited front matter value)",
    )
    known_limits: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def failed(self) -> bool:
        """An anchor fails, or a paragraph or the article has a problem: exit 1."""
        return (
            any(self.counts.by_status.get(status, 0) for status in FAILING)
            or bool(self.problems)
            or any(p.problems for p in self.paragraphs)
        )

    def failing(self) -> list[tuple[ParagraphReport, CheckedAnchor]]:
        """Every anchor with a failing status, in reading order."""
        return [(p, a) for p in self.paragraphs for a in p.anchors if a.status in FAILING]
