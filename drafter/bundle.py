"""The evidence Bundle: typed records for one trial plus the flat table of citable Facts."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from drafter.models import Fact, Gap
from drafter.sources.ctgov import Study
from drafter.sources.openfda import FaersSummary


class DrugRecord(BaseModel):
    """One tested intervention and the ChEMBL molecule it resolved to (if any)."""

    intervention_name: str
    intervention_type: str | None = None
    aliases: list[str] = Field(default_factory=list)
    chembl_id: str | None = None
    pref_name: str | None = None
    molecule_type: str | None = None
    max_phase: str | None = None
    matched_name: str | None = None
    mechanisms: list[str] = Field(default_factory=list)


class TargetRecord(BaseModel):
    symbol: str | None = None
    ensembl_id: str | None = None
    name: str | None = None
    resolved_by: str


class DiseaseRecord(BaseModel):
    name: str
    ontology_id: str | None = None
    resolved_by: str


class AssociationRecord(BaseModel):
    """The Open Targets overall association score of the target–disease pair."""

    ensembl_id: str
    disease_name: str | None = None
    disease_id: str | None = None
    score: float = Field(ge=0, le=1)
    enable_indirect: bool
    datatype_scores: dict[str, float] = Field(default_factory=dict)


class TargetProgram(BaseModel):
    """A clinical-stage drug on the target, as Open Targets lists it."""

    chembl_id: str | None = None
    name: str | None = None
    max_clinical_stage: str | None = None


class Publication(BaseModel):
    pmid: str
    title: str | None = None
    journal: str | None = None
    year: int | None = None
    doi: str | None = None


class SourceRecord(BaseModel):
    """One upstream answer the bundle used: what was asked, where it came from, its hash, and
    for snapshot answers how the recorded or reconstructed body was obtained."""

    id: str
    source: str
    request: str
    url: str
    status: int
    origin: Literal["network", "cache", "snapshot"]
    fetched_at: str
    sha256: str
    provenance: str | None = None


class Bundle(BaseModel):
    schema_version: Literal[1] = 1
    nct_id: str
    as_of: str
    offline: bool
    trial: Study
    drugs: list[DrugRecord] = Field(default_factory=list)
    target: TargetRecord | None = None
    disease: DiseaseRecord | None = None
    association: AssociationRecord | None = None
    target_programs: list[TargetProgram] | None = None
    safety: FaersSummary | None = None
    publications: list[Publication] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    gaps: list[Gap] = Field(default_factory=list)
    sources: list[SourceRecord] = Field(default_factory=list)

    def fact(self, fact_id: str) -> Fact | None:
        return next((f for f in self.facts if f.id == fact_id), None)

    def fact_value(self, fact_id: str) -> object:
        found = self.fact(fact_id)
        return found.value if found else None
