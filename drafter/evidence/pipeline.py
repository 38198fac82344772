"""The entry points: the Bundle of one trial, and the evidence of one target–disease pair."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from drafter.bundle import (
    AssociationRecord,
    Bundle,
    DiseaseRecord,
    SourceRecord,
    TargetProgram,
    TargetRecord,
)
from drafter.evidence.curated import curated_facts
from drafter.evidence.entities import (
    disease_from_override,
    resolve_disease,
    resolve_drug,
    resolve_target,
    target_from_override,
)
from drafter.evidence.reading import building
from drafter.evidence.signals import (
    find_publications,
    resolve_association,
    safety_signal,
    target_programs,
)
from drafter.evidence.trial import drugs_to_resolve, trial_facts
from drafter.facts import Fact
from drafter.models import Gap
from drafter.sources import ctgov
from drafter.sources.http import HttpClient


class EvidenceQuery(BaseModel):
    nct_id: str
    as_of: date
    target: str | None = None
    disease: str | None = None


def build_bundle(client: HttpClient, query: EvidenceQuery) -> Bundle:
    """The one entry point: fetch everything for `query` and return the Bundle."""
    with building(client) as builder:
        study = ctgov.get_study(client, query.nct_id)
        trial_facts(builder, study)
        drugs = [resolve_drug(builder, i) for i in drugs_to_resolve(builder, study)]
        target = resolve_target(builder, drugs, query.target)
        disease = resolve_disease(builder, study, query.disease)
        association = resolve_association(builder, target, disease)
        programs = target_programs(builder, target)
        safety = safety_signal(builder, drugs)
        publications = find_publications(builder, study)
        curated_facts(builder, study, drugs, target)
    bundle = Bundle(
        nct_id=study.nct_id,
        as_of=query.as_of.isoformat(),
        offline=client.settings.offline,
        trial=study,
        drugs=drugs,
        target=target,
        disease=disease,
        association=association,
        target_programs=programs,
        safety=safety,
        publications=publications,
        facts=list(builder.facts),
        gaps=builder.gaps + builder.conflict_gaps(),
        sources=builder.source_records(),
    )
    bundle._bodies = builder.bodies
    return bundle


# ClinicalTrials.gov v2 field paths, as JSON pointers into a study record.
# --- a target–disease pair (drafter mrs) -------------------------------------------------------

# A score must not silently change because a source was down: the target, a disease given by
# id and the association score must come from an answer. A disease name Open Targets cannot
# map is fine (claims and the association's name filter still match it), and so are missing
# programs on the target (MRS.md: the claims table alone, and the result says so).
PAIR_REQUIRED_STEPS = frozenset({"target", "disease", "association score"})


class PairEvidence(BaseModel):
    """What the MRS needs from the sources for one target–disease pair."""

    target: TargetRecord
    disease: DiseaseRecord
    association: AssociationRecord | None
    target_programs: list[TargetProgram] | None
    facts: list[Fact]
    gaps: list[Gap]
    sources: list[SourceRecord]


def pair_evidence(client: HttpClient, target: str, disease: str) -> PairEvidence:
    """Resolve a target (symbol or Ensembl id) and a disease (name or ontology id) and fetch
    the association score and the clinical programs on the target."""
    with building(client, PAIR_REQUIRED_STEPS) as builder:
        target_record = target_from_override(builder, target)
        disease_record = disease_from_override(builder, disease)
        association = resolve_association(builder, target_record, disease_record)
        programs = target_programs(builder, target_record)
    return PairEvidence(
        target=target_record,
        disease=disease_record,
        association=association,
        target_programs=programs,
        facts=list(builder.facts),
        gaps=builder.gaps + builder.conflict_gaps(),
        sources=builder.source_records(),
    )
