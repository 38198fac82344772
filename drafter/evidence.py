"""Resolve trial → drug → ChEMBL molecule → target and condition → disease, and build the
Bundle. Only the trial record is required: every later step that fails becomes a Gap with its
reason, so a reviewer sees what is missing instead of a crash."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import ParamSpec, TypeVar

from pydantic import BaseModel, ValidationError

from drafter.bundle import (
    AssociationRecord,
    Bundle,
    DiseaseRecord,
    DrugRecord,
    Publication,
    SourceRecord,
    TargetProgram,
    TargetRecord,
)
from drafter.config import DEFAULT_CURATED_FACTS
from drafter.errors import BadInput, MalformedResponse, UpstreamError
from drafter.models import Fact, FactValue, Gap, PartialDate, Precision
from drafter.sources import chembl, ctgov, openfda, opentargets, pubmed
from drafter.sources.api import SOURCE_NAMES, ApiRequest, ApiResponse
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


class EvidenceQuery(BaseModel):
    nct_id: str
    as_of: date
    target: str | None = None
    disease: str | None = None


class CuratedFact(BaseModel):
    """A fact no API returns (an earlier record version, a press report), kept with its
    source so conflicting versions stay visible instead of being dropped."""

    subject: str
    fact: Fact


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def ontology_key(identifier: str) -> str:
    """Open Targets spells ontology ids with an underscore: MONDO_0009061, not MONDO:0009061."""
    return identifier.replace(":", "_")


class _BundleBuilder:
    """Accumulates facts and gaps while the resolution steps run."""

    def __init__(
        self,
        client: HttpClient,
        answers: list[tuple[ApiRequest, ApiResponse]],
        required: frozenset[str] = frozenset(),
    ) -> None:
        self.client = client
        self.answers = answers
        self.required = required  # steps whose upstream failure must fail the command
        self.facts: dict[str, Fact] = {}
        self.gaps: list[Gap] = []
        self._step_start = 0

    def begin_step(self) -> None:
        """Facts added from now on cite the answers fetched from now on."""
        self._step_start = len(self.answers)

    def _answer_ids(self) -> list[str]:
        return [source_id(i) for i in range(self._step_start, len(self.answers))]

    def add(
        self,
        fact_id: str,
        label: str,
        value: FactValue,
        url: str,
        source: str,
        *,
        precision: Precision | None = None,
        note: str | None = None,
    ) -> None:
        if value is None or value == [] or value == "":
            return
        self.facts[fact_id] = Fact(
            id=fact_id,
            label=label,
            value=value,
            precision=precision,
            source_url=url,
            source=source,
            note=note,
            derived_from=self._answer_ids(),
        )

    def add_date(
        self, fact_id: str, label: str, when: PartialDate | None, url: str, note: str | None = None
    ) -> None:
        if when is not None:
            self.add(
                fact_id,
                label,
                when.value,
                url,
                "ClinicalTrials.gov",
                precision=when.precision,
                note=note,
            )

    def attempt(
        self, step: str, action: Callable[P, T], *args: P.args, **kwargs: P.kwargs
    ) -> T | None:
        """Run one step; an upstream failure becomes a gap, never a crash, unless the step is
        required (then it propagates and the command exits 3)."""
        self.begin_step()
        if step in self.required:
            return action(*args, **kwargs)
        try:
            return action(*args, **kwargs)
        except UpstreamError as error:
            self.gaps.append(Gap(step=step, reason=" ".join(str(error).split())))
            return None

    def sorted_facts(self) -> list[Fact]:
        """Facts in id order, so the same inputs always serialise identically."""
        return sorted(self.facts.values(), key=lambda f: f.id)

    def gap(self, step: str, reason: str) -> None:
        self.gaps.append(Gap(step=step, reason=reason))


def build_bundle(
    client: HttpClient, query: EvidenceQuery, curated_path: Path = DEFAULT_CURATED_FACTS
) -> Bundle:
    """The one entry point: fetch everything for `query` and return the Bundle."""
    with client.recording() as answers:
        study = ctgov.get_study(client, query.nct_id)
        builder = _BundleBuilder(client, answers)
        _trial_facts(builder, study)
        drugs = [_resolve_drug(builder, i) for i in _drug_interventions(study)]
        target = _resolve_target(builder, drugs, query.target)
        disease = _resolve_disease(builder, study, query.disease)
        association = _resolve_association(builder, target, disease)
        programs = _target_programs(builder, target)
        safety = _safety(builder, drugs)
        publications = _publications(builder, study)
        _curated_facts(builder, curated_path, study, drugs, target)
    return Bundle(
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
        facts=builder.sorted_facts(),
        gaps=builder.gaps,
        sources=_source_records(answers),
    )


def _trial_facts(builder: _BundleBuilder, study: Study) -> None:
    nct = study.nct_id
    url = study_page_url(nct)
    ident = study.protocol_section.identification_module
    status = study.status
    design = study.design

    def add(field: str, label: str, value: FactValue, note: str | None = None) -> None:
        builder.add(f"ctgov:{nct}:{field}", label, value, url, "ClinicalTrials.gov", note=note)

    def add_date(field: str, label: str, struct: ctgov.DateStruct | None) -> None:
        if struct is not None:
            note = f"{struct.type.lower()} date" if struct.type else None
            builder.add_date(f"ctgov:{nct}:{field}", label, struct.date, url, note)

    add("nct_id", "ClinicalTrials.gov identifier", nct)
    add("brief_title", "Brief title", ident.brief_title)
    add("official_title", "Official title", ident.official_title)
    add("acronym", "Acronym", ident.acronym)
    add("secondary_ids", "Secondary ids", [s.id for s in ident.secondary_id_infos])
    add("overall_status", "Overall status", status.overall_status)
    add("why_stopped", "Why stopped (verbatim)", status.why_stopped)
    add_date("start_date", "Start date", status.start_date_struct)
    add_date(
        "primary_completion_date", "Primary completion date", status.primary_completion_date_struct
    )
    add_date("completion_date", "Completion date", status.completion_date_struct)
    add_date("first_posted", "First posted", status.study_first_post_date_struct)
    add_date("results_first_posted", "Results first posted", status.results_first_post_date_struct)
    add_date("last_update_posted", "Last update posted", status.last_update_post_date_struct)
    add("phases", "Phase", design.phases)
    add("study_type", "Study type", design.study_type)
    if design.enrollment_info and design.enrollment_info.count is not None:
        kind = design.enrollment_info.type
        add(
            "enrollment", "Enrollment", design.enrollment_info.count, kind.lower() if kind else None
        )
        add("enrollment_type", "Enrollment type", kind)
    info = design.design_info
    if info:
        add("allocation", "Allocation", info.allocation)
        add("intervention_model", "Intervention model", info.intervention_model)
        add("primary_purpose", "Primary purpose", info.primary_purpose)
        if info.masking_info:
            add("masking", "Masking", info.masking_info.masking)
    add("lead_sponsor", "Lead sponsor", study.lead_sponsor)
    sponsors = study.protocol_section.sponsor_collaborators_module
    if sponsors:
        add("collaborators", "Collaborators", [c.name for c in sponsors.collaborators])
    add("conditions", "Conditions", study.conditions)
    add("interventions", "Interventions", [i.name for i in study.interventions])
    outcomes = study.protocol_section.outcomes_module
    if outcomes:
        add(
            "primary_outcomes",
            "Primary outcome measures",
            [o.measure for o in outcomes.primary_outcomes],
        )
    if study.has_results is not None:
        add("has_results", "Results posted", study.has_results)


def _drug_interventions(study: Study) -> list[ctgov.Intervention]:
    return [
        i
        for i in study.interventions
        if i.type in DRUG_INTERVENTION_TYPES and not NOT_A_DRUG.search(i.name)
    ]


def _resolve_drug(builder: _BundleBuilder, intervention: ctgov.Intervention) -> DrugRecord:
    record = DrugRecord(
        intervention_name=intervention.name,
        intervention_type=intervention.type,
        aliases=intervention.aliases,
    )
    step = f"chembl molecule for {intervention.name}"
    molecule: chembl.Molecule | None = None
    for name in [intervention.name, *intervention.aliases]:
        hits = builder.attempt(step, chembl.search_molecules, builder.client, name)
        if hits is None:
            return record  # ChEMBL unreachable: the gap is recorded, later names would fail too
        molecule = chembl.best_match(hits, name)
        if molecule:
            record.matched_name = name
            break
    if molecule is None:
        names = ", ".join([intervention.name, *intervention.aliases])
        builder.gap(step, f"no ChEMBL molecule whose name or synonym equals any of: {names}")
        return record
    record.chembl_id = molecule.parent_id
    record.pref_name = molecule.pref_name
    record.molecule_type = molecule.molecule_type
    record.max_phase = molecule.max_phase
    url = chembl.compound_page_url(record.chembl_id)
    for field, label, value in (
        ("chembl_id", f"ChEMBL id of {intervention.name}", record.chembl_id),
        ("pref_name", "ChEMBL preferred name", molecule.pref_name),
        ("molecule_type", "Molecule type", molecule.molecule_type),
        ("max_phase", "ChEMBL max phase", molecule.max_phase),
    ):
        builder.add(f"chembl:{record.chembl_id}:{field}", label, value, url, "ChEMBL")
    mechanisms = builder.attempt(
        f"chembl mechanism for {record.chembl_id}",
        chembl.get_mechanisms,
        builder.client,
        record.chembl_id or "",
    )
    if mechanisms is not None:
        record.mechanisms = [m.mechanism_of_action for m in mechanisms if m.mechanism_of_action]
        builder.add(
            f"chembl:{record.chembl_id}:mechanisms",
            "Mechanism of action (ChEMBL)",
            record.mechanisms,
            url,
            "ChEMBL",
        )
    return record


def _resolve_target(
    builder: _BundleBuilder, drugs: list[DrugRecord], override: str | None
) -> TargetRecord | None:
    if override:
        return _target_from_override(builder, override)
    for drug in drugs:
        if not drug.chembl_id:
            continue
        chembl_id = drug.chembl_id
        found = builder.attempt(
            f"open targets mechanism of {chembl_id}",
            opentargets.get_drug,
            builder.client,
            chembl_id,
        )
        if found is None or found.mechanisms_of_action is None:
            continue
        targets = {t.id: t for row in found.mechanisms_of_action.rows for t in row.targets if t.id}
        if len(targets) > 1:
            builder.gap(
                "target", f"{chembl_id} acts on {len(targets)} targets; pass --target to choose"
            )
        if targets:
            first = targets[min(targets)]
            target = TargetRecord(
                symbol=first.approved_symbol,
                ensembl_id=first.id,
                resolved_by=f"Open Targets mechanism of action of {chembl_id}",
            )
            _target_facts(builder, target)
            return target
    builder.gap("target", "no drug resolved to a target; pass --target SYMBOL|ENSG")
    return None


def _target_from_override(builder: _BundleBuilder, override: str) -> TargetRecord:
    """--target wins over the mechanism; Open Targets confirms it, and a definite "no such
    target" is bad input while an unreachable Open Targets only leaves it unverified."""
    text = override.strip()
    builder.begin_step()
    try:
        if ENSEMBL_GENE.match(text.upper()):
            known = opentargets.get_target(builder.client, text.upper())
            if known is None:
                raise BadInput(f"unknown target: Open Targets has no {text.upper()}")
            record = TargetRecord(
                ensembl_id=known.id,
                symbol=known.approved_symbol,
                name=known.approved_name,
                resolved_by="--target",
            )
        else:
            hit = _best_hit(opentargets.map_ids(builder.client, [text], "target"), text, "target")
            if hit is None:
                raise BadInput(f"unknown target: Open Targets maps no target to {text!r}")
            record = TargetRecord(
                symbol=hit.name or text, ensembl_id=hit.id, resolved_by="--target"
            )
    except UpstreamError as error:
        if "target" in builder.required:
            raise
        builder.gap("target", f"--target {text} not verified: {error}")
        is_ensembl = bool(ENSEMBL_GENE.match(text.upper()))
        record = TargetRecord(
            ensembl_id=text.upper() if is_ensembl else None,
            symbol=None if is_ensembl else text,
            resolved_by="--target (unverified)",
        )
    _target_facts(builder, record)
    return record


def _best_hit(
    mapping: opentargets.MapIdsResult, term: str, entity: str
) -> opentargets.MappingHit | None:
    """An exact (case-insensitive) name or id match of the right entity, else the top hit."""
    hits = [h for m in mapping.mappings for h in m.hits if h.entity in (None, entity)]
    wanted = term.strip().lower()
    exact = [h for h in hits if (h.name or "").lower() == wanted or h.id.lower() == wanted]
    if exact:
        return exact[0]
    return hits[0] if hits else None


def _target_facts(builder: _BundleBuilder, target: TargetRecord) -> None:
    if not target.ensembl_id:
        return
    url = opentargets.target_page_url(target.ensembl_id)
    prefix = f"opentargets:{target.ensembl_id}"
    builder.add(
        f"{prefix}:ensembl_id",
        "Target Ensembl gene id",
        target.ensembl_id,
        url,
        "Open Targets Platform",
    )
    builder.add(
        f"{prefix}:approved_symbol", "Target symbol", target.symbol, url, "Open Targets Platform"
    )
    builder.add(f"{prefix}:approved_name", "Target name", target.name, url, "Open Targets Platform")


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
        return _disease_from_id(builder, ontology_key(text))
    return _map_disease_name(builder, text, "--disease")


def _disease_from_id(builder: _BundleBuilder, disease_id: str) -> DiseaseRecord:
    builder.begin_step()
    try:
        known = opentargets.get_disease(builder.client, disease_id)
    except UpstreamError as error:
        if "disease" in builder.required:
            raise
        builder.gap("disease", f"--disease {disease_id} not verified: {error}")
        return DiseaseRecord(name=disease_id, ontology_id=disease_id, resolved_by="--disease")
    if known is None:
        raise BadInput(f"unknown disease: Open Targets has no {disease_id}")
    return DiseaseRecord(name=known.name, ontology_id=known.id, resolved_by="--disease")


def _map_disease_name(builder: _BundleBuilder, name: str, how: str) -> DiseaseRecord:
    mapping = builder.attempt(
        "disease ontology id", opentargets.map_ids, builder.client, [name], "disease"
    )
    hit = _best_hit(mapping, name, "disease") if mapping else None
    if mapping is not None and hit is None:
        builder.gap("disease ontology id", f"Open Targets maps no disease to {name!r}")
    if hit is None:
        return DiseaseRecord(name=name, resolved_by=how)
    return DiseaseRecord(
        name=hit.name or name, ontology_id=hit.id, resolved_by=f"{how} via Open Targets mapIds"
    )


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
    row = _matching_row(rows, disease)
    if row is None:
        builder.gap(
            "association score",
            f"Open Targets lists no direct association of {target.symbol or ensembl_id} "
            f"with {disease.name}; the MRS treats the score as 0",
        )
        return None
    record = AssociationRecord(
        ensembl_id=ensembl_id,
        disease_name=row.disease.name or disease.name,
        disease_id=row.disease.id or disease.ontology_id,
        score=row.score,
        enable_indirect=False,
        datatype_scores={d.id: d.score for d in row.datatype_scores},
    )
    key = record.disease_id or slug(disease.name)
    builder.add(
        f"opentargets:{ensembl_id}:{key}:association_score",
        f"Open Targets overall association score, {target.symbol or ensembl_id} – {disease.name}",
        round(row.score, 6),
        opentargets.association_page_url(ensembl_id),
        "Open Targets Platform",
        note="direct evidence only (enableIndirect=false)",
    )
    return record


def _matching_row(
    rows: list[opentargets.AssociationRow], disease: DiseaseRecord
) -> opentargets.AssociationRow | None:
    wanted_name = disease.name.strip().lower()
    for row in rows:
        if disease.ontology_id and row.disease.id == disease.ontology_id:
            return row
    for row in rows:
        if (row.disease.name or "").strip().lower() == wanted_name:
            return row
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
    programs: dict[str, TargetProgram] = {}
    for row in answer.drug_and_clinical_candidates.rows:
        programs.setdefault(
            row.drug.id,
            TargetProgram(
                chembl_id=row.drug.id,
                name=row.drug.name,
                max_clinical_stage=row.max_clinical_stage or row.drug.maximum_clinical_stage,
            ),
        )
    listed = sorted(programs.values(), key=lambda p: p.chembl_id or "")
    builder.add(
        f"opentargets:{ensembl_id}:clinical_programs",
        f"Clinical-stage drugs on {target.symbol or ensembl_id} (Open Targets)",
        [p.name or p.chembl_id or "" for p in listed],
        opentargets.target_page_url(ensembl_id),
        "Open Targets Platform",
    )
    return listed


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
    url = builder.client.url_for(
        ApiRequest(source="openfda", path=openfda.EVENT_PATH, params={"search": summary.query})
    )
    builder.add(
        f"openfda:{slug(names[0])}:faers_reports",
        f"FAERS adverse-event reports naming {', '.join(names)}",
        summary.total_reports,
        url,
        "openFDA",
        note=f"data as of {summary.last_updated}" if summary.last_updated else None,
    )
    builder.add(
        f"openfda:{slug(names[0])}:top_reactions",
        "Most reported reactions (MedDRA PT)",
        [f"{r.term} ({r.count})" for r in summary.top_reactions],
        url,
        "openFDA",
    )
    return summary


def _publications(builder: _BundleBuilder, study: Study) -> list[Publication]:
    """Articles the record cites plus PubMed's own hits for the NCT id."""
    pmids: list[str] = []
    references = study.protocol_section.references_module
    if references:
        pmids += [r.pmid for r in references.references if r.pmid]
    found = builder.attempt(
        "pubmed search",
        pubmed.esearch,
        builder.client,
        f"{study.nct_id}[si] OR {study.nct_id}",
    )
    if found is not None:
        pmids += [p for p in found.idlist if p not in pmids]
        builder.add(
            f"pubmed:{study.nct_id}:article_count",
            f"PubMed articles mentioning {study.nct_id}",
            found.count,
            f"https://pubmed.ncbi.nlm.nih.gov/?term={study.nct_id}",
            "PubMed",
        )
    if not pmids:
        return []
    summaries = builder.attempt("pubmed summaries", pubmed.esummary, builder.client, pmids)
    publications: list[Publication] = []
    for summary in summaries or []:
        if summary.error:
            builder.gap(f"pubmed {summary.uid}", summary.error)
            continue
        publication = Publication(
            pmid=summary.uid,
            title=summary.title,
            journal=summary.source,
            year=summary.year,
            doi=summary.doi,
        )
        publications.append(publication)
        builder.add(
            f"pubmed:{summary.uid}:title",
            "Article title",
            summary.title,
            pubmed.article_url(summary.uid),
            "PubMed",
        )
    return publications


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


def pair_evidence(client: HttpClient, target: str, disease: str) -> PairEvidence:
    """Resolve a target (symbol or Ensembl id) and a disease (name or ontology id) and fetch
    the association score and the clinical programs on the target."""
    with client.recording() as answers:
        builder = _BundleBuilder(client, answers, required=PAIR_REQUIRED_STEPS)
        target_record = _target_from_override(builder, target)
        disease_record = _disease_from_override(builder, disease)
        association = _resolve_association(builder, target_record, disease_record)
        programs = _target_programs(builder, target_record)
    return PairEvidence(
        target=target_record,
        disease=disease_record,
        association=association,
        target_programs=programs,
        facts=builder.sorted_facts(),
        gaps=builder.gaps,
    )


def load_curated_facts(path: Path) -> list[CuratedFact]:
    if not path.is_file():
        return []
    curated: list[CuratedFact] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            curated.append(CuratedFact.model_validate_json(line))
        except ValidationError as error:
            raise MalformedResponse(f"{path}:{number}: invalid curated fact: {error}") from error
    return curated


def _curated_facts(
    builder: _BundleBuilder,
    path: Path,
    study: Study,
    drugs: Iterable[DrugRecord],
    target: TargetRecord | None,
) -> None:
    subjects = {study.nct_id}
    subjects |= {d.chembl_id for d in drugs if d.chembl_id}
    if target and target.ensembl_id:
        subjects.add(target.ensembl_id)
    for curated in load_curated_facts(path):
        if curated.subject in subjects:
            builder.facts.setdefault(curated.fact.id, curated.fact)


def source_id(index: int) -> str:
    """Stable id of the index-th answer of a fetch; facts cite it in `derived_from`."""
    return f"S{index + 1}"


def _source_records(answers: list[tuple[ApiRequest, ApiResponse]]) -> list[SourceRecord]:
    return [
        SourceRecord(
            id=source_id(index),
            provenance=response.provenance,
            source=SOURCE_NAMES[request.source],
            request=request.describe(),
            url=response.url,
            status=response.status,
            origin=response.origin,
            fetched_at=response.fetched_at,
            sha256=hashlib.sha256(response.text.encode()).hexdigest(),
        )
        for index, (request, response) in enumerate(answers)
    ]


def bundle_json(bundle: Bundle) -> str:
    return json.dumps(bundle.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"
