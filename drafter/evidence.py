"""Resolve trial → drug → ChEMBL molecule → target and condition → disease, and build the
Bundle. Only the trial record is required: every later step that fails becomes a Gap with its
reason, so a reviewer sees what is missing instead of a crash.

Every fact is read from one recorded answer at a JSON pointer (`_Reader.add`): the value is
taken from the body itself, so the fact and its `field` can never disagree.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, ParamSpec, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from drafter import bundled
from drafter.bundle import (
    AssociationRecord,
    Bundle,
    DiseaseRecord,
    DrugRecord,
    Publication,
    SourceRecord,
    TargetProgram,
    TargetRecord,
    local_record_id,
)
from drafter.errors import BadInput, InternalError, UpstreamError
from drafter.facts import (
    Fact,
    FactKind,
    FactSet,
    FactValue,
    Unit,
    fact_id,
    json_pointer,
    pair_entity,
    resolve_pointer,
    slug,
)
from drafter.models import Gap, PartialDate, Precision
from drafter.sources import chembl, ctgov, openfda, opentargets, pubmed
from drafter.sources.api import SOURCE_NAMES, ApiRequest, ApiResponse, excerpt
from drafter.sources.ctgov import Study, study_page_url
from drafter.sources.http import HttpClient

T = TypeVar("T")
P = ParamSpec("P")

ENSEMBL_GENE = re.compile(r"^ENSG[0-9]{11}$")
ONTOLOGY_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*[_:][0-9]+$")
DRUG_INTERVENTION_TYPES = {"DRUG", "BIOLOGICAL", "GENETIC", "COMBINATION_PRODUCT", None}
NOT_A_DRUG = re.compile(
    r"\b(placebo|saline|vehicle|sham|standard of care|best supportive care)\b", re.IGNORECASE
)
OPEN_TARGETS = SOURCE_NAMES["opentargets"]
CTGOV = SOURCE_NAMES["ctgov"]


class EvidenceQuery(BaseModel):
    nct_id: str
    as_of: date
    target: str | None = None
    disease: str | None = None


def ontology_key(identifier: str) -> str:
    """Open Targets spells ontology ids with an underscore: MONDO_0009061, not MONDO:0009061."""
    return identifier.replace(":", "_")


# --- reading facts from recorded answers -----------------------------------------------------


class _Reader:
    """Adds the facts of one recorded answer: each value is read from the body at its pointer."""

    def __init__(
        self, builder: _BundleBuilder, source: str, record: str, body: Any, url: str | None
    ) -> None:
        self._builder = builder
        self.source = source  # fact id namespace: ctgov, chembl, ...
        self.record = record
        self.body = body
        self.url = url

    def value(self, pointer: str) -> Any:
        """The raw value at `pointer`, or None when the answer does not hold it."""
        try:
            return resolve_pointer(self.body, pointer)
        except KeyError:
            return None

    def length(self, pointer: str) -> int:
        found = self.value(pointer)
        return len(found) if isinstance(found, list) else 0

    def add(
        self,
        entity: str,
        field: str,
        pointer: str,
        kind: FactKind,
        label: str,
        *,
        unit: Unit | None = None,
        qualifier: str | None = None,
        note: str | None = None,
        url: str | None = None,
        convert: Callable[[Any], FactValue] | None = None,
    ) -> Fact | None:
        """The fact at `pointer`, unless the answer leaves the field out or empty."""
        raw = self.value(pointer)
        if raw is None or raw == "" or isinstance(raw, dict | list):
            return None
        try:
            value: FactValue = convert(raw) if convert is not None else raw
            fact = Fact(
                id=fact_id(self.source, entity, field),
                kind=kind,
                label=label,
                value=value,
                unit=unit,
                qualifier=qualifier,
                precision=_date_precision(kind, value),
                source=_SOURCE_LABELS[self.source],
                source_url=url or self.url,
                record=self.record,
                field=pointer,
                untrusted=kind == "quote",
                note=note,
            )
        except (ValueError, TypeError) as error:  # pydantic's ValidationError is a ValueError
            self._builder.gap(
                "facts",
                f"{self.record}{pointer} is not a usable {kind}: {excerpt(str(raw), 60)} "
                f"({excerpt(str(error).splitlines()[-1], 80)})",
            )
            return None
        return self._builder.add(fact)


def _date_precision(kind: FactKind, value: FactValue) -> Precision | None:
    """A date fact's precision, from the value itself (ValueError when it is no date)."""
    if kind != "date":
        return None
    if not isinstance(value, str):
        raise ValueError(f"a date is YYYY[-MM[-DD]] text, not {value!r}")
    return PartialDate.parse(value).precision


_SOURCE_LABELS = {
    "ctgov": CTGOV,
    "chembl": SOURCE_NAMES["chembl"],
    "opentargets": OPEN_TARGETS,
    "openfda": SOURCE_NAMES["openfda"],
    "pubmed": "PubMed",
    "reference": "drafter reference facts (curated)",
}


class _BundleBuilder:
    """Accumulates facts, gaps and the bodies of the answers they were read from."""

    def __init__(
        self,
        client: HttpClient,
        answers: list[tuple[ApiRequest, ApiResponse]],
        required: frozenset[str] = frozenset(),
    ) -> None:
        self.client = client
        self.answers = answers
        self.required = required  # steps whose upstream failure must fail the command
        self.facts = FactSet()
        self.gaps: list[Gap] = []
        self.bodies: dict[str, Any] = {}
        self.local_records: list[SourceRecord] = []

    def reader(self, request: ApiRequest, url: str | None) -> _Reader:
        """A reader of the (validated, recorded) answer to `request`."""
        record = request.record_id()
        if record not in self.bodies:
            response = next((r for q, r in reversed(self.answers) if q.record_id() == record), None)
            if response is None:  # a client answered without going through the recorder
                raise InternalError(f"no recorded answer for {request.describe()}")
            self.bodies[record] = json.loads(response.text) if response.text else None
        return _Reader(self, request.source, record, self.bodies[record], url)

    def add(self, fact: Fact) -> Fact:
        return self.facts.add(fact)

    def computed(
        self,
        source: str,
        entity: str,
        field: str,
        kind: FactKind,
        label: str,
        value: FactValue,
        derived_from: list[Fact],
        formula: str,
        *,
        unit: Unit | None = None,
        url: str | None = None,
    ) -> Fact:
        return self.add(
            Fact(
                id=fact_id(source, entity, field),
                kind=kind,
                label=label,
                value=value,
                unit=unit,
                precision=_date_precision(kind, value),
                source=_SOURCE_LABELS.get(source, "drafter (computed)"),
                source_url=url,
                derived_from=[f.id for f in derived_from],
                formula=formula,
            )
        )

    def attempt(
        self, step: str, action: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T | None:
        """Run one step; an upstream failure becomes a gap, never a crash, unless the step is
        required (then it propagates and the command exits 3)."""
        if step in self.required:
            return action(*args, **kwargs)
        try:
            return action(*args, **kwargs)
        except UpstreamError as error:
            self.gap(step, " ".join(str(error).split()))
            return None

    def gap(self, step: str, reason: str) -> None:
        self.gaps.append(Gap(step=step, reason=reason))

    def conflict_gaps(self) -> list[Gap]:
        return [
            Gap(
                step="facts",
                reason=f"{c.id}: {c.refused.source} says {c.refused.value!r} but "
                f"{c.kept.source} says {c.kept.value!r}; the first is kept",
            )
            for c in self.facts.conflicts
        ]

    def source_records(self) -> list[SourceRecord]:
        """One record per distinct answer the facts can cite, in the order first asked."""
        records: dict[str, SourceRecord] = {}
        for request, response in self.answers:
            records.setdefault(request.record_id(), _source_record(request, response))
        for record in self.local_records:
            records.setdefault(record.id, record)
        return list(records.values())


def _source_record(request: ApiRequest, response: ApiResponse) -> SourceRecord:
    return SourceRecord(
        id=request.record_id(),
        provenance=response.provenance,
        source=SOURCE_NAMES[request.source],
        request=request.describe(),
        url=response.url,
        status=response.status,
        origin=response.origin,
        fetched_at=response.fetched_at,
        sha256=hashlib.sha256(response.text.encode()).hexdigest(),
    )


@contextmanager
def _building(
    client: HttpClient, required: frozenset[str] = frozenset()
) -> Iterator[_BundleBuilder]:
    with client.recording() as answers:
        yield _BundleBuilder(client, answers, required)


# --- the bundle --------------------------------------------------------------------------------


def build_bundle(client: HttpClient, query: EvidenceQuery) -> Bundle:
    """The one entry point: fetch everything for `query` and return the Bundle."""
    with _building(client) as builder:
        study = ctgov.get_study(client, query.nct_id)
        _trial_facts(builder, study)
        drugs = [_resolve_drug(builder, i) for i in _drug_interventions(study)]
        target = _resolve_target(builder, drugs, query.target)
        disease = _resolve_disease(builder, study, query.disease)
        association = _resolve_association(builder, target, disease)
        programs = _target_programs(builder, target)
        safety = _safety(builder, drugs)
        publications = _publications(builder, study)
        _curated_facts(builder, study, drugs, target)
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
_PROTOCOL = "/protocolSection"
_IDENT = f"{_PROTOCOL}/identificationModule"
_STATUS = f"{_PROTOCOL}/statusModule"
_DESIGN = f"{_PROTOCOL}/designModule"
_SPONSORS = f"{_PROTOCOL}/sponsorCollaboratorsModule"
_ARMS = f"{_PROTOCOL}/armsInterventionsModule"
_OUTCOMES = f"{_PROTOCOL}/outcomesModule"

_DATE_STRUCTS = (
    ("start_date", "startDateStruct", "Start date"),
    ("primary_completion_date", "primaryCompletionDateStruct", "Primary completion date"),
    ("completion_date", "completionDateStruct", "Completion date"),
    ("first_posted", "studyFirstPostDateStruct", "First posted"),
    ("results_first_posted", "resultsFirstPostDateStruct", "Results first posted"),
    ("last_update_posted", "lastUpdatePostDateStruct", "Last update posted"),
)
_PLAIN_DATES = (
    ("first_submitted", "studyFirstSubmitDate", "First submitted"),
    ("last_update_submitted", "lastUpdateSubmitDate", "Last update submitted"),
    ("status_verified", "statusVerifiedDate", "Status verified"),
)
_DESIGN_CODES = (
    ("allocation", "designInfo/allocation", "Allocation"),
    ("intervention_model", "designInfo/interventionModel", "Intervention model"),
    ("primary_purpose", "designInfo/primaryPurpose", "Primary purpose"),
    ("masking", "designInfo/maskingInfo/masking", "Masking"),
    ("study_type", "studyType", "Study type"),
)


def _trial_facts(builder: _BundleBuilder, study: Study) -> None:
    nct = study.nct_id
    read = builder.reader(ctgov.study_request(nct), study_page_url(nct))

    def add(field: str, pointer: str, kind: FactKind, label: str, **extra: Any) -> Fact | None:
        return read.add(nct, field, pointer, kind, label, **extra)

    def each(field: str, pointer: str, kind: FactKind, label: str) -> list[Fact]:
        """One fact per element of a list of values."""
        found = [
            add(f"{field}.{i}", f"{pointer}/{i}", kind, label) for i in range(read.length(pointer))
        ]
        return [f for f in found if f is not None]

    add("nct_id", f"{_IDENT}/nctId", "id", "ClinicalTrials.gov identifier")
    add("org_study_id", f"{_IDENT}/orgStudyIdInfo/id", "id", "Sponsor's study id")
    for i in range(read.length(f"{_IDENT}/secondaryIdInfos")):
        add(f"secondary_ids.{i}", f"{_IDENT}/secondaryIdInfos/{i}/id", "id", "Secondary id")
    add("brief_title", f"{_IDENT}/briefTitle", "quote", "Brief title")
    add("official_title", f"{_IDENT}/officialTitle", "quote", "Official title")
    add("acronym", f"{_IDENT}/acronym", "text", "Acronym")
    add("overall_status", f"{_STATUS}/overallStatus", "code", "Overall status")
    add("why_stopped", f"{_STATUS}/whyStopped", "quote", "Why stopped (verbatim)")
    for field, struct, label in _DATE_STRUCTS:
        qualifier = read.value(f"{_STATUS}/{struct}/type")
        add(field, f"{_STATUS}/{struct}/date", "date", label, qualifier=qualifier)
    for field, key, label in _PLAIN_DATES:
        add(field, f"{_STATUS}/{key}", "date", label)
    phases = each("phases", f"{_DESIGN}/phases", "phase", "Phase")
    if phases:
        builder.computed(
            "ctgov",
            nct,
            "phase",
            "phase",
            "Phase (as one label)",
            "/".join(str(f.value) for f in phases),
            phases,
            "the record's phases joined with '/' (PHASE1/PHASE2 is a Phase 1/2 trial)",
            url=read.url,
        )
    for field, pointer, label in _DESIGN_CODES:
        add(field, f"{_DESIGN}/{pointer}", "code", label)
    each("who_masked", f"{_DESIGN}/designInfo/maskingInfo/whoMasked", "code", "Masked role")
    add(
        "enrollment",
        f"{_DESIGN}/enrollmentInfo/count",
        "count",
        "Enrollment",
        unit="participants",
        qualifier=read.value(f"{_DESIGN}/enrollmentInfo/type"),
    )
    add("lead_sponsor", f"{_SPONSORS}/leadSponsor/name", "text", "Lead sponsor")
    add("lead_sponsor_class", f"{_SPONSORS}/leadSponsor/class", "code", "Lead sponsor class")
    for i in range(read.length(f"{_SPONSORS}/collaborators")):
        add(f"collaborators.{i}", f"{_SPONSORS}/collaborators/{i}/name", "text", "Collaborator")
    each("conditions", f"{_PROTOCOL}/conditionsModule/conditions", "text", "Condition")
    _arms_and_interventions(read, nct)
    for i in range(read.length(f"{_OUTCOMES}/primaryOutcomes")):
        base = f"{_OUTCOMES}/primaryOutcomes/{i}"
        add(f"primary_outcomes.{i}.measure", f"{base}/measure", "quote", "Primary outcome")
        add(
            f"primary_outcomes.{i}.time_frame",
            f"{base}/timeFrame",
            "quote",
            "Primary outcome time frame",
        )
    add(
        "brief_summary",
        f"{_PROTOCOL}/descriptionModule/briefSummary",
        "quote",
        "Brief summary",
    )
    add("has_results", "/hasResults", "code", "Results posted")


def _arms_and_interventions(read: _Reader, nct: str) -> None:
    arms = f"{_ARMS}/armGroups"
    for i in range(read.length(arms)):
        read.add(nct, f"arm_groups.{i}.label", f"{arms}/{i}/label", "text", "Arm")
        read.add(nct, f"arm_groups.{i}.type", f"{arms}/{i}/type", "code", "Arm type")
    interventions = f"{_ARMS}/interventions"
    for i in range(read.length(interventions)):
        base = f"{interventions}/{i}"
        read.add(nct, f"interventions.{i}.name", f"{base}/name", "text", "Intervention")
        read.add(nct, f"interventions.{i}.type", f"{base}/type", "code", "Intervention type")
        for j in range(read.length(f"{base}/otherNames")):
            read.add(
                nct,
                f"interventions.{i}.other_names.{j}",
                f"{base}/otherNames/{j}",
                "text",
                "Intervention other name (as the record packs it)",
            )


def _drug_interventions(study: Study) -> list[ctgov.Intervention]:
    return [
        i
        for i in study.interventions
        if i.type in DRUG_INTERVENTION_TYPES and not NOT_A_DRUG.search(i.name)
    ]


# --- drug, target, disease --------------------------------------------------------------------


def _resolve_drug(builder: _BundleBuilder, intervention: ctgov.Intervention) -> DrugRecord:
    record = DrugRecord(
        intervention_name=intervention.name,
        intervention_type=intervention.type,
        aliases=intervention.aliases,
    )
    step = f"chembl molecule for {intervention.name}"
    for name in [intervention.name, *intervention.aliases]:
        hits = builder.attempt(step, chembl.search_molecules, builder.client, name)
        if hits is None:
            return record  # ChEMBL unreachable: the gap is recorded, later names would fail too
        molecule = chembl.best_match(hits, name)
        if molecule is not None:
            record.matched_name = name
            _molecule_facts(builder, record, name, hits.index(molecule), molecule)
            _mechanisms(builder, record)
            return record
    names = ", ".join([intervention.name, *intervention.aliases])
    builder.gap(step, f"no ChEMBL molecule whose name or synonym equals any of: {names}")
    return record


def _molecule_facts(
    builder: _BundleBuilder, record: DrugRecord, name: str, index: int, molecule: chembl.Molecule
) -> None:
    record.chembl_id = molecule.parent_id
    record.pref_name = molecule.pref_name
    record.molecule_type = molecule.molecule_type
    record.max_phase = molecule.max_phase
    record.synonyms = [s.molecule_synonym for s in molecule.molecule_synonyms]
    chembl_id = molecule.parent_id
    read = builder.reader(chembl.search_request(name), chembl.compound_page_url(chembl_id))
    base = f"/molecules/{index}"
    id_pointer = (
        f"{base}/molecule_hierarchy/parent_chembl_id"
        if read.value(f"{base}/molecule_hierarchy/parent_chembl_id")
        else f"{base}/molecule_chembl_id"
    )
    read.add(chembl_id, "chembl_id", id_pointer, "id", f"ChEMBL id of {record.intervention_name}")
    read.add(chembl_id, "pref_name", f"{base}/pref_name", "text", "ChEMBL preferred name")
    read.add(chembl_id, "molecule_type", f"{base}/molecule_type", "code", "Molecule type")
    read.add(chembl_id, "max_phase", f"{base}/max_phase", "phase", "ChEMBL max phase")
    for j in range(read.length(f"{base}/molecule_synonyms")):
        read.add(
            chembl_id,
            f"synonyms.{j}",
            f"{base}/molecule_synonyms/{j}/molecule_synonym",
            "text",
            "ChEMBL synonym",
        )


_MECHANISM_FIELDS: tuple[tuple[str, FactKind, str], ...] = (
    ("mechanism_of_action", "text", "Mechanism of action (ChEMBL)"),
    ("action_type", "code", "Action type (ChEMBL)"),
    ("target_chembl_id", "id", "Target ChEMBL id"),
)


def _mechanisms(builder: _BundleBuilder, record: DrugRecord) -> None:
    chembl_id = record.chembl_id or ""
    found = builder.attempt(
        f"chembl mechanism for {chembl_id}", chembl.get_mechanisms, builder.client, chembl_id
    )
    if found is None:
        return
    record.mechanisms = [m.mechanism_of_action for m in found if m.mechanism_of_action]
    read = builder.reader(chembl.mechanisms_request(chembl_id), chembl.compound_page_url(chembl_id))
    for i in range(read.length("/mechanisms")):
        base = f"/mechanisms/{i}"
        for field, kind, label in _MECHANISM_FIELDS:
            read.add(chembl_id, f"mechanisms.{i}.{field}", f"{base}/{field}", kind, label)


def _resolve_target(
    builder: _BundleBuilder, drugs: list[DrugRecord], override: str | None
) -> TargetRecord | None:
    if override:
        return _target_from_override(builder, override)
    for drug in drugs:
        if drug.chembl_id:
            found = _target_of_drug(builder, drug.chembl_id)
            if found is not None:
                return found
    builder.gap("target", "no drug resolved to a target; pass --target SYMBOL|ENSG")
    return None


def _target_of_drug(builder: _BundleBuilder, chembl_id: str) -> TargetRecord | None:
    found = builder.attempt(
        f"open targets mechanism of {chembl_id}", opentargets.get_drug, builder.client, chembl_id
    )
    if found is None or found.mechanisms_of_action is None:
        return None
    places: dict[str, tuple[int, int, opentargets.TargetRef]] = {}
    for i, row in enumerate(found.mechanisms_of_action.rows):
        for j, target in enumerate(row.targets):
            if target.id:
                places.setdefault(target.id, (i, j, target))
    if len(places) > 1:
        builder.gap("target", f"{chembl_id} acts on {len(places)} targets; pass --target to choose")
    if not places:
        return None
    i, j, first = places[min(places)]
    ensembl_id = first.id or ""
    read = builder.reader(
        opentargets.drug_request(chembl_id), opentargets.target_page_url(ensembl_id)
    )
    base = f"/data/drug/mechanismsOfAction/rows/{i}/targets/{j}"
    _target_facts(read, ensembl_id, f"{base}/id", f"{base}/approvedSymbol", None)
    for k in range(read.length("/data/drug/mechanismsOfAction/rows")):
        read.add(
            chembl_id,
            f"mechanisms.{k}.mechanism_of_action",
            f"/data/drug/mechanismsOfAction/rows/{k}/mechanismOfAction",
            "text",
            "Mechanism of action (Open Targets)",
        )
    return TargetRecord(
        symbol=first.approved_symbol,
        ensembl_id=ensembl_id,
        resolved_by=f"Open Targets mechanism of action of {chembl_id}",
    )


def _target_facts(
    read: _Reader, ensembl_id: str, id_at: str, symbol_at: str | None, name_at: str | None
) -> None:
    read.add(ensembl_id, "ensembl_id", id_at, "id", "Target Ensembl gene id")
    if symbol_at:
        read.add(ensembl_id, "approved_symbol", symbol_at, "text", "Target symbol")
    if name_at:
        read.add(ensembl_id, "approved_name", name_at, "text", "Target name")


def _target_from_override(builder: _BundleBuilder, override: str) -> TargetRecord:
    """--target wins over the mechanism; Open Targets confirms it, and a definite "no such
    target" is bad input while an unreachable Open Targets only leaves it unverified."""
    text = override.strip()
    is_ensembl = bool(ENSEMBL_GENE.match(text.upper()))
    try:
        if is_ensembl:
            return _target_by_id(builder, text.upper())
        return _target_by_name(builder, text)
    except UpstreamError as error:
        if "target" in builder.required:
            raise
        builder.gap("target", f"--target {text} not verified: {error}")
        return TargetRecord(
            ensembl_id=text.upper() if is_ensembl else None,
            symbol=None if is_ensembl else text,
            resolved_by="--target (unverified)",
        )


def _target_by_id(builder: _BundleBuilder, ensembl_id: str) -> TargetRecord:
    known = opentargets.get_target(builder.client, ensembl_id)
    if known is None:
        raise BadInput(f"unknown target: Open Targets has no {ensembl_id}")
    read = builder.reader(
        opentargets.target_request(ensembl_id), opentargets.target_page_url(ensembl_id)
    )
    _target_facts(
        read,
        known.id,
        "/data/target/id",
        "/data/target/approvedSymbol",
        "/data/target/approvedName",
    )
    return TargetRecord(
        ensembl_id=known.id,
        symbol=known.approved_symbol,
        name=known.approved_name,
        resolved_by="--target",
    )


def _target_by_name(builder: _BundleBuilder, text: str) -> TargetRecord:
    found = _best_hit(opentargets.map_ids(builder.client, [text], "target"), text, "target")
    if found is None:
        raise BadInput(f"unknown target: Open Targets maps no target to {text!r}")
    pointer, hit = found
    read = builder.reader(
        opentargets.map_ids_request([text], "target"), opentargets.target_page_url(hit.id)
    )
    _target_facts(read, hit.id, f"{pointer}/id", f"{pointer}/name", None)
    return TargetRecord(symbol=hit.name or text, ensembl_id=hit.id, resolved_by="--target")


def _best_hit(
    mapping: opentargets.MapIdsResult, term: str, entity: str
) -> tuple[str, opentargets.MappingHit] | None:
    """An exact (case-insensitive) name or id match of the right entity, else the top hit,
    with the hit's JSON pointer in the mapIds answer."""
    hits = [
        (json_pointer("data", "mapIds", "mappings", m, "hits", h), hit)
        for m, mapped in enumerate(mapping.mappings)
        for h, hit in enumerate(mapped.hits)
        if hit.entity in (None, entity)
    ]
    wanted = term.strip().lower()
    exact = [
        (pointer, hit)
        for pointer, hit in hits
        if (hit.name or "").lower() == wanted or hit.id.lower() == wanted
    ]
    if exact:
        return exact[0]
    return hits[0] if hits else None


def _resolve_disease(
    builder: _BundleBuilder, study: Study, override: str | None
) -> DiseaseRecord | None:
    if override:
        return _disease_from_override(builder, override)
    if not study.conditions:
        builder.gap("disease", "the trial lists no condition; pass --disease NAME|ID")
        return None
    return _map_disease_name(builder, study.conditions[0], "first listed condition")


def _disease_from_override(builder: _BundleBuilder, override: str) -> DiseaseRecord:
    text = override.strip()
    if ONTOLOGY_ID.match(text):
        return _disease_from_id(builder, ontology_key(text), text)
    return _map_disease_name(builder, text, "--disease")


def _disease_from_id(builder: _BundleBuilder, disease_id: str, query: str) -> DiseaseRecord:
    try:
        known = opentargets.get_disease(builder.client, disease_id)
    except UpstreamError as error:
        if "disease" in builder.required:
            raise
        builder.gap("disease", f"--disease {disease_id} not verified: {error}")
        return DiseaseRecord(
            name=disease_id, query=query, ontology_id=disease_id, resolved_by="--disease"
        )
    if known is None:
        raise BadInput(f"unknown disease: Open Targets has no {disease_id}")
    read = builder.reader(opentargets.disease_request(disease_id), _disease_page_url(known.id))
    read.add(known.id, "ontology_id", "/data/disease/id", "id", "Disease ontology id")
    read.add(known.id, "name", "/data/disease/name", "text", "Disease name (Open Targets)")
    return DiseaseRecord(
        name=known.name, query=query, ontology_id=known.id, resolved_by="--disease"
    )


def _disease_page_url(disease_id: str) -> str:
    return f"https://platform.opentargets.org/disease/{disease_id}"


def _map_disease_name(builder: _BundleBuilder, name: str, how: str) -> DiseaseRecord:
    mapping = builder.attempt(
        "disease ontology id", opentargets.map_ids, builder.client, [name], "disease"
    )
    found = _best_hit(mapping, name, "disease") if mapping else None
    if mapping is not None and found is None:
        builder.gap("disease ontology id", f"Open Targets maps no disease to {name!r}")
    if found is None:
        return DiseaseRecord(name=name, query=name, resolved_by=how)
    pointer, hit = found
    read = builder.reader(opentargets.map_ids_request([name], "disease"), _disease_page_url(hit.id))
    read.add(hit.id, "ontology_id", f"{pointer}/id", "id", "Disease ontology id")
    read.add(hit.id, "name", f"{pointer}/name", "text", "Disease name (Open Targets)")
    return DiseaseRecord(
        name=hit.name or name,
        query=name,
        ontology_id=hit.id,
        resolved_by=f"{how} via Open Targets mapIds",
    )


# --- association, programs, safety, publications ---------------------------------------------


def _resolve_association(
    builder: _BundleBuilder, target: TargetRecord | None, disease: DiseaseRecord | None
) -> AssociationRecord | None:
    if target is None or target.ensembl_id is None or disease is None:
        builder.gap("association score", "needs both a target Ensembl id and a disease")
        return None
    ensembl_id = target.ensembl_id
    gaps_before = len(builder.gaps)
    answer = builder.attempt(
        "association score",
        opentargets.get_associations,
        builder.client,
        ensembl_id,
        disease_id=disease.ontology_id,
        disease_name=disease.name,
        enable_indirect=False,
    )
    if answer is None and len(builder.gaps) > gaps_before:
        return None  # the source failed; the gap says why
    rows = answer.associated_diseases.rows if answer and answer.associated_diseases else []
    index = _matching_row(rows, disease)
    if index is None:
        builder.gap(
            "association score",
            f"Open Targets lists no direct association of {target.symbol or ensembl_id} "
            f"with {disease.name}; the MRS treats the score as 0",
        )
        return None
    row = rows[index]
    read = builder.reader(
        opentargets.association_request(
            ensembl_id, disease_id=disease.ontology_id, disease_name=disease.name
        ),
        opentargets.association_page_url(ensembl_id),
    )
    pair = pair_entity(ensembl_id, disease.query)
    base = f"/data/target/associatedDiseases/rows/{index}"
    read.add(
        pair,
        "association_score",
        f"{base}/score",
        "score",
        f"Open Targets overall association score, {target.symbol or ensembl_id} – {disease.name}",
        qualifier="overall, direct",
        note="direct evidence only (enableIndirect=false)",
    )
    for k, datatype in enumerate(row.datatype_scores):
        read.add(
            pair,
            f"datatype_scores.{slug(datatype.id)}",
            f"{base}/datatypeScores/{k}/score",
            "score",
            f"Open Targets {datatype.id.replace('_', ' ')} score",
            qualifier="direct",
        )
    read.add(pair, "disease_name", f"{base}/disease/name", "text", "Disease (Open Targets)")
    return AssociationRecord(
        ensembl_id=ensembl_id,
        disease_name=row.disease.name or disease.name,
        disease_id=row.disease.id or disease.ontology_id,
        score=row.score,
        enable_indirect=False,
        datatype_scores={d.id: d.score for d in row.datatype_scores},
    )


def _matching_row(rows: list[opentargets.AssociationRow], disease: DiseaseRecord) -> int | None:
    wanted_name = disease.name.strip().lower()
    for index, row in enumerate(rows):
        if disease.ontology_id and row.disease.id == disease.ontology_id:
            return index
    for index, row in enumerate(rows):
        if (row.disease.name or "").strip().lower() == wanted_name:
            return index
    return None


def _target_programs(
    builder: _BundleBuilder, target: TargetRecord | None
) -> list[TargetProgram] | None:
    if target is None or target.ensembl_id is None:
        return None
    ensembl_id = target.ensembl_id
    answer = builder.attempt(
        "programs on target", opentargets.get_target_drugs, builder.client, ensembl_id
    )
    if answer is None or answer.drug_and_clinical_candidates is None:
        return None
    read = builder.reader(
        opentargets.target_drugs_request(ensembl_id), opentargets.target_page_url(ensembl_id)
    )
    programs: dict[str, TargetProgram] = {}
    id_facts: list[Fact] = []
    for i, row in enumerate(answer.drug_and_clinical_candidates.rows):
        if row.drug.id in programs:
            continue
        programs[row.drug.id] = TargetProgram(
            chembl_id=row.drug.id,
            name=row.drug.name,
            max_clinical_stage=row.max_clinical_stage or row.drug.maximum_clinical_stage,
        )
        base = f"/data/target/drugAndClinicalCandidates/rows/{i}"
        field = f"clinical_programs.{i}"
        found = read.add(
            ensembl_id, f"{field}.chembl_id", f"{base}/drug/id", "id", "Drug on target"
        )
        id_facts += [found] if found else []
        read.add(ensembl_id, f"{field}.name", f"{base}/drug/name", "text", "Drug on target")
        read.add(
            ensembl_id,
            f"{field}.max_clinical_stage",
            f"{base}/maxClinicalStage",
            "phase",
            "Highest clinical stage of the drug on the target",
        )
    builder.computed(
        "opentargets",
        ensembl_id,
        "clinical_programs.count",
        "count",
        f"Clinical-stage drugs on {target.symbol or ensembl_id} (Open Targets)",
        len(programs),
        id_facts,
        "distinct drugs in Open Targets' drugAndClinicalCandidates for the target",
        unit="programs",
        url=read.url,
    )
    return sorted(programs.values(), key=lambda p: p.chembl_id or "")


def _safety(builder: _BundleBuilder, drugs: list[DrugRecord]) -> openfda.FaersSummary | None:
    names: list[str] = []
    for drug in drugs:
        for name in [drug.intervention_name, *drug.aliases]:
            if name.lower() not in {n.lower() for n in names}:
                names.append(name)
    if not names:
        return None
    summary = builder.attempt("FAERS reports", openfda.count_reports, builder.client, names)
    if summary is None:
        return None
    entity = slug(names[0]) or "drug"
    total = openfda.total_request(names)
    read = builder.reader(total, builder.client.url_for(total))
    label = f"FAERS adverse-event reports naming {', '.join(names)}"
    status = read.add(entity, "search_status", "/error/code", "code", "openFDA search status")
    if status is not None:
        builder.computed(
            "openfda",
            entity,
            "reports",
            "count",
            label,
            0,
            [status],
            "openFDA answers NOT_FOUND when no report matches the search: zero reports",
            unit="reports",
            url=read.url,
        )
        return summary
    read.add(entity, "reports", "/meta/results/total", "count", label, unit="reports")
    read.add(entity, "data_last_updated", "/meta/last_updated", "date", "FAERS data as of")
    if summary.top_reactions:
        reactions = openfda.reactions_request(names)
        counted = builder.reader(reactions, builder.client.url_for(reactions))
        for i in range(counted.length("/results")):
            counted.add(
                entity, f"reactions.{i}.term", f"/results/{i}/term", "text", "Reaction (MedDRA PT)"
            )
            counted.add(
                entity,
                f"reactions.{i}.count",
                f"/results/{i}/count",
                "count",
                "FAERS reports with this reaction",
                unit="reports",
            )
    return summary


def _publications(builder: _BundleBuilder, study: Study) -> list[Publication]:
    """Articles the record cites plus PubMed's own hits for the NCT id."""
    pmids: list[str] = []
    references = study.protocol_section.references_module
    if references:
        pmids += [r.pmid for r in references.references if r.pmid]
    term = f"{study.nct_id}[si] OR {study.nct_id}"
    found = builder.attempt("pubmed search", pubmed.esearch, builder.client, term)
    if found is not None:
        pmids += [p for p in found.idlist if p not in pmids]
        read = builder.reader(
            pubmed.esearch_request(term), f"https://pubmed.ncbi.nlm.nih.gov/?term={study.nct_id}"
        )
        read.add(
            study.nct_id,
            "article_count",
            "/esearchresult/count",
            "count",
            f"PubMed articles mentioning {study.nct_id}",
            unit="articles",
            convert=int,
        )
    if not pmids:
        return []
    summaries = builder.attempt("pubmed summaries", pubmed.esummary, builder.client, pmids)
    if summaries is None:
        return []
    read = builder.reader(pubmed.esummary_request(pmids), None)
    publications: list[Publication] = []
    for summary in summaries:
        if summary.error:
            builder.gap(f"pubmed {summary.uid}", summary.error)
            continue
        publications.append(
            Publication(
                pmid=summary.uid,
                title=summary.title,
                journal=summary.source,
                year=summary.year,
                doi=summary.doi,
            )
        )
        url = pubmed.article_url(summary.uid)
        base = json_pointer("result", summary.uid)
        read.add(summary.uid, "title", f"{base}/title", "quote", "Article title", url=url)
        read.add(summary.uid, "journal", f"{base}/source", "text", "Journal", url=url)
        read.add(summary.uid, "pubdate", f"{base}/pubdate", "text", "Publication date", url=url)
        for k, article_id in enumerate(summary.articleids):
            if article_id.idtype == "doi":
                read.add(summary.uid, "doi", f"{base}/articleids/{k}/value", "id", "DOI", url=url)
    return publications


# --- curated reference facts ------------------------------------------------------------------


class CuratedEntry(BaseModel):
    """A fact no API returns (an earlier record version, a press report), kept with its source
    so conflicting versions stay visible instead of being dropped."""

    model_config = ConfigDict(extra="forbid")

    subject: str
    kind: FactKind
    label: str
    value: FactValue | list[FactValue]
    unit: Unit | None = None
    qualifier: str | None = None
    source_url: str
    also: list[str] = []
    note: str | None = None


class CuratedFacts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str
    facts: dict[str, CuratedEntry]


def load_curated_facts() -> tuple[CuratedFacts, str]:
    """The bundled curated facts and the sha256 of the file they were read from."""
    text = bundled.read_text(bundled.CURATED_FACTS)
    try:
        curated = CuratedFacts.model_validate(bundled.read_json(bundled.CURATED_FACTS))
    except ValidationError as error:
        raise InternalError(
            f"bundled file {bundled.display_name(bundled.CURATED_FACTS)} is damaged "
            f"({error.errors()[0]['msg']}); reinstall drafter"
        ) from None
    return curated, hashlib.sha256(text.encode()).hexdigest()


def _curated_facts(
    builder: _BundleBuilder, study: Study, drugs: list[DrugRecord], target: TargetRecord | None
) -> None:
    subjects = {study.nct_id} | {d.chembl_id for d in drugs if d.chembl_id}
    if target and target.ensembl_id:
        subjects.add(target.ensembl_id)
    curated, sha256 = load_curated_facts()
    chosen = {k: e for k, e in curated.facts.items() if e.subject in subjects}
    if not chosen:
        return
    record = local_record_id("reference", sorted(subjects))
    builder.bodies[record] = curated.model_dump(mode="json")
    builder.local_records.append(
        SourceRecord(
            id=record,
            source=_SOURCE_LABELS["reference"],
            request=f"curated facts about {', '.join(sorted(subjects))}",
            origin="bundled",
            fetched_at="bundled",
            sha256=sha256,
            provenance=curated.note,
        )
    )
    for key, entry in chosen.items():
        values = entry.value if isinstance(entry.value, list) else [entry.value]
        listed = isinstance(entry.value, list)
        for i, value in enumerate(values):
            source, subject, field = key.split(":", 2)
            the_id = fact_id(source, subject, f"{field}.{i}" if listed else field)
            pointer = json_pointer("facts", key, "value", *([i] if listed else []))
            held = builder.facts.get(the_id)
            if held is not None:
                builder.gap(
                    "curated facts",
                    f"curated fact {the_id} has the id of a fact read from {held.source}; "
                    "the source's value is kept",
                )
                continue
            also = f"also: {', '.join(entry.also)}" if entry.also else None
            builder.add(
                Fact(
                    id=the_id,
                    kind=entry.kind,
                    label=entry.label,
                    value=value,
                    unit=entry.unit,
                    qualifier=entry.qualifier,
                    precision=_date_precision(entry.kind, value),
                    source=_SOURCE_LABELS["reference"],
                    source_url=entry.source_url,
                    record=record,
                    field=pointer,
                    untrusted=entry.kind == "quote",
                    note="; ".join(x for x in (entry.note, also) if x) or None,
                )
            )


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
    with _building(client, PAIR_REQUIRED_STEPS) as builder:
        target_record = _target_from_override(builder, target)
        disease_record = _disease_from_override(builder, disease)
        association = _resolve_association(builder, target_record, disease_record)
        programs = _target_programs(builder, target_record)
    return PairEvidence(
        target=target_record,
        disease=disease_record,
        association=association,
        target_programs=programs,
        facts=list(builder.facts),
        gaps=builder.gaps + builder.conflict_gaps(),
        sources=builder.source_records(),
    )


def bundle_json(bundle: Bundle) -> str:
    return json.dumps(bundle.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
