"""The evidence Bundle: typed records for one trial plus the flat table of citable Facts."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from drafter.classify import StopClassification
from drafter.facts import Fact
from drafter.models import Claim, Gap
from drafter.mrs import MrsResult, MrsSummary
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
    synonyms: list[str] = Field(default_factory=list)
    mechanisms: list[str] = Field(default_factory=list)


class TargetRecord(BaseModel):
    symbol: str | None = None
    ensembl_id: str | None = None
    name: str | None = None
    resolved_by: str


class DiseaseRecord(BaseModel):
    """The disease of the pair. `query` is the name or id as it was asked for (the trial's
    condition or --disease): ids of pair facts are built from it, so they do not change when
    an ontology lookup succeeds or fails."""

    name: str
    query: str
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


Origin = Literal["network", "cache", "snapshot", "bundled", "claims table"]


class SourceRecord(BaseModel):
    """One answer the bundle's facts were read from: an upstream answer (what was asked, where
    it came from, its hash and, for snapshot answers, how the body was obtained), drafter's
    bundled reference facts, or the rows of the claims table. The id is derived from what was
    asked, so it never changes when another step is added."""

    id: str
    source: str
    request: str
    url: str | None = None
    status: int | None = None
    origin: Origin
    fetched_at: str
    sha256: str
    provenance: str | None = None


def local_record_id(kind: str, *parts: Any) -> str:
    """Id of a record that is not an HTTP answer, from what it holds ("claims-1a2b3c4d5e6f")."""
    canonical = json.dumps([kind, *parts], sort_keys=True, separators=(",", ":"))
    return f"{kind}-{hashlib.sha256(canonical.encode()).hexdigest()[:12]}"


class FactTable(BaseModel):
    """Facts with unique ids and a dict lookup; what both a Bundle and a pair score carry."""

    facts: list[Fact] = Field(default_factory=list)
    _index: dict[str, Fact] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique_ids(self) -> FactTable:
        index: dict[str, Fact] = {}
        for fact in self.facts:
            if fact.id in index:
                raise ValueError(f"fact id {fact.id} appears twice")
            index[fact.id] = fact
        self._index = index
        return self

    def fact(self, fact_id: str) -> Fact | None:
        """The fact with this id (a dict lookup)."""
        if len(self._index) != len(self.facts):  # the list was changed in place
            self._index = {f.id: f for f in self.facts}
        return self._index.get(fact_id)

    def fact_value(self, fact_id: str) -> object:
        found = self.fact(fact_id)
        return found.value if found else None

    def facts_with_prefix(self, prefix: str) -> list[Fact]:
        """The elements of one list ("ctgov:NCT05591222:conditions.") in list order."""
        return [f for f in self.facts if f.id.startswith(prefix)]


class RelatedClaims(BaseModel):
    """Claim keys of documented failures related to the trial, grouped as the published
    post-mortems group them, newest first and cut to a few each; `totals` before the cut."""

    same_target: list[str] = Field(default_factory=list)
    same_indication: list[str] = Field(default_factory=list)
    same_failure_type: list[str] = Field(default_factory=list)
    totals: dict[str, int] = Field(default_factory=dict)
    not_scored: dict[str, str] = Field(
        default_factory=dict,
        description="claim key → why its pair's MRS is not shown (e.g. not scored offline: "
        "evidence not recorded)",
    )


class PairScore(FactTable):
    """The MRS of one target–disease pair with what a reader needs to check it: the result,
    its sentence, the claims it used, the record they were read from, and the facts."""

    pair: str = Field(description="the pair entity of the score's fact ids")
    result: MrsResult
    summary: MrsSummary
    claims: list[Claim]
    record: SourceRecord = Field(description="the claims-table rows the score read")
    parameters: SourceRecord = Field(description="the date and parameters it was computed with")
    gaps: list[Gap] = Field(default_factory=list, description="facts that could not be kept")


class Assessment(BaseModel):
    """What drafter computed for the bundle (drafter.assessment); its facts are in the
    bundle's fact table."""

    classification: StopClassification
    mrs: PairScore | None = None
    related: RelatedClaims = Field(default_factory=RelatedClaims)
    claims: list[Claim] = Field(default_factory=list, description="every claim the facts cite")


class Bundle(FactTable):
    schema_version: Literal[2] = 2
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
    gaps: list[Gap] = Field(default_factory=list)
    sources: list[SourceRecord] = Field(default_factory=list)
    assessment: Assessment | None = None
    # The parsed body of each record, for checking a fact against its field; not serialised.
    _bodies: dict[str, Any] = PrivateAttr(default_factory=dict)

    def record_body(self, record_id: str) -> Any:
        """The body the record's facts were read from (only in the process that built it)."""
        return self._bodies.get(record_id)
