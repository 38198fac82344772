"""What a writer returns for one section: paragraphs that cite facts by short handles.

Shaped for OpenAI's strict json_schema mode: every field required, closed objects, categories
as Literals, no free-form dicts. The model never states a number, date, phase or identifier
on its own: a paragraph cites the facts that hold them (handles such as "F3", mapped back to
fact ids per prompt), and drafter.validate checks each one against what the paragraph cites.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# documented: a cited fact states it; inferred: follows from cited facts; speculative: rests on
# general knowledge (background) only.
EvidenceGrade = Literal["documented", "inferred", "speculative"]
# fact: every statement rests on the cited facts; background: general knowledge the editor must
# check, allowed only in analytic sections and never holding a number, date, phase or id;
# editor: a note to the editor saying what they must write or check (never published as is).
ParagraphKind = Literal["fact", "background", "editor"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Paragraph(_Strict):
    text: str = Field(
        description="the paragraph; every number, date, phase or id in it must "
        "come from a fact it cites"
    )
    cites: list[str] = Field(description="handles of the facts the paragraph rests on, e.g. F3")
    kind: ParagraphKind
    grade: EvidenceGrade


class SectionText(_Strict):
    """A model-written section body."""

    paragraphs: list[Paragraph]


class HeadlineText(_Strict):
    """The headline and the dek (the one-paragraph summary under it)."""

    headline: str
    dek: str
    cites: list[str] = Field(description="handles of the facts the headline and dek rest on")
