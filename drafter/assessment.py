"""What drafter computes on top of the evidence: the stop classification, the Mechanism Risk
Score of the target–disease pair and the related failure claims, each turned into Facts whose
`derived_from` names their inputs, so prose can cite a score or a count like any source fact.

The claims the score and the related claims use are facts too, read from one record: the rows
of the claims table as `claims_record_body` lays them out. `drafter fetch` (the bundle) and
`drafter mrs` build a pair's facts with the same `score_pair`, so they always agree.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from drafter.bundle import (
    Assessment,
    AssociationRecord,
    Bundle,
    DiseaseRecord,
    Origin,
    PairScore,
    RelatedClaims,
    SourceRecord,
    TargetProgram,
    TargetRecord,
    local_record_id,
)
from drafter.claim_files import claim_record
from drafter.claims import ClaimsStore, StoredClaim
from drafter.classify import (
    LEARNED_FALLBACK,
    StopClassification,
    StopReasonClassifier,
    classify_stop_reason,
)
from drafter.evidence.pipeline import PairEvidence
from drafter.evidence.related import PairMemo, RelatedPairs, pair_key
from drafter.facts import (
    Fact,
    FactKind,
    FactSet,
    FactValue,
    Unit,
    computed_fact,
    conflict_gaps,
    fact_id,
    json_pointer,
    pair_entity,
    read_fact,
    slug,
)
from drafter.models import Claim, Gap, PartialDate, fold_text
from drafter.mrs import COMPONENTS, MrsResult, MrsSummary, ProgramRef, compute_mrs, summarize
from drafter.prose import phase_text
from drafter.sources.http import HttpClient

CLAIMS_SOURCE = "drafter claims table"
PARAMETERS_SOURCE = "drafter MRS parameters"
RELATED_LIMIT = 5  # per group, newest first: about what a published post-mortem lists

COMPONENT_FORMULAS: dict[str, str] = {
    "phase_burden": "40 · min(1, Σ w(phase) / 0.75)",
    "archetype_severity": "25 · min(1, Σ w(phase)·σ(archetype) / 0.75)",
    "temporal_recency": "15 · min(1, Σ w(phase)·2^(−Δt / 2.5 years) / 0.70)",
    "genetic_deficit": "15 · (1 − Open Targets association score)",
    "programmatic_saturation": "5 · n_t / (n_t + 1)",
}
RELATED_GROUPS: dict[str, str] = {
    "same_target": "claims on the same target in another indication",
    "same_indication": "claims in the same indication on another target",
    "same_failure_type": "other claims of the same failure archetype",
}


# --- the claims record -------------------------------------------------------------------------


def as_evidence(claims: Iterable[Claim]) -> list[Claim]:
    """Claims as evidence: without the store's own created/updated stamps, which say when a
    row was written, not anything about the failure (and would make two drafts of the same
    inputs differ)."""
    return [c.model_copy(update={"created": None, "updated": None}) for c in claims]


def claims_record_body(
    claims: Iterable[Claim], totals: dict[str, int] | None = None
) -> dict[str, Any]:
    """Claims as one record, {"claims": {key: row}} (and how many each query found, when the
    record lists only some): claim facts point into it."""
    body: dict[str, Any] = {"claims": {claim.key: claim_record(claim) for claim in claims}}
    if totals is not None:
        body["totals"] = totals
    return body


def claims_source_record(query: dict[str, Any], body: dict[str, Any]) -> SourceRecord:
    """The claims table as a source: the id comes from the query, the hash from the rows."""
    words = "; ".join(
        f"{k} is {' or '.join(v) if isinstance(v, list) else v}" for k, v in query.items()
    )
    return _local_record("claims", CLAIMS_SOURCE, f"claims where {words}", query, body)


def query_names(names: Iterable[str]) -> list[str]:
    """Names as the claims table matches them (case and spacing folded), each once: the same
    question asked by `drafter fetch` and `drafter mrs` is the same record."""
    return sorted(dict.fromkeys(fold_text(name) for name in names))


def parameters_body(result: MrsResult) -> dict[str, Any]:
    """What a score was computed with: the analysis date, the parameters and their hash, and
    each component's maximum. The score's constants are read from it, like any source."""
    return {
        "version": result.params.version,
        "as_of": result.as_of.isoformat(),
        "params_hash": result.params_hash,
        "params": result.params.model_dump(mode="json"),
        "scale": {"min": 0, "max": 100},
        "components": {key: {"heading": heading, "max": top} for key, heading, top in COMPONENTS},
    }


def parameters_record(result: MrsResult) -> SourceRecord:
    identity = [result.params_hash, result.as_of.isoformat()]
    request = f"MRS parameters {result.params.version}, as of {result.as_of.isoformat()}"
    return _local_record("mrs", PARAMETERS_SOURCE, request, identity, parameters_body(result))


def _local_record(
    kind: str, source: str, request: str, identity: Any, body: dict[str, Any]
) -> SourceRecord:
    """A record drafter holds itself (claims rows, score parameters): its id from what was
    asked, its hash from what it holds."""
    text = json.dumps(body, sort_keys=True, ensure_ascii=False)
    origin: Origin = "claims table" if kind == "claims" else "bundled"
    return SourceRecord(
        id=local_record_id(kind, identity),
        source=source,
        request=request,
        origin=origin,
        fetched_at=origin,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


_CLAIM_FIELDS: tuple[tuple[str, FactKind, str], ...] = (
    ("nct_id", "id", "Trial of the failure claim"),
    ("drug", "text", "Drug of the failure claim"),
    ("drug_chembl_id", "id", "ChEMBL id of the claim's drug"),
    ("target_symbol", "text", "Target of the failure claim"),
    ("disease_name", "text", "Indication of the failure claim"),
    ("phase", "phase", "Phase of the failed program"),
    ("archetype", "code", "Failure archetype"),
    ("category", "code", "Stop-reason category"),
    ("status", "code", "Claim status (draft or published)"),
    ("sponsor", "text", "Sponsor of the failed program"),
    ("termination_posted", "date", "Termination posted"),
    ("primary_completion", "date", "Primary completion"),
    ("event_date_override", "date", "Program-level event date"),
    ("headline", "quote", "Headline of the published claim"),
    ("why_stopped", "quote", "Why stopped (as the claim records it)"),
)
_EVENT_INPUTS = ("termination_posted", "primary_completion", "event_date_override")


def claim_facts(claim: Claim, record: str) -> dict[str, Fact]:
    """A claim's fields as facts read from the claims record, plus its MRS event date."""
    row = claim_record(claim)
    event = claim.event_date
    frozen = tuple(
        (name, type(value), tuple(value) if isinstance(value, list) else value)
        for name, value in row.items()
    )
    when = (event.value, event.precision) if event is not None else None
    return dict(_claim_facts(record, claim.key, when, frozen))


@functools.lru_cache(maxsize=4096)
def _claim_facts(
    record: str,
    key: str,
    event: tuple[str, str] | None,
    frozen_row: tuple[tuple[str, type, Any], ...],
) -> dict[str, Fact]:
    """`claim_facts` remembered: a batch's drafts list the same related claims again and
    again. Keyed by everything the facts are made of (the record id, the claim's key and
    event date, every field of its row with its type), so a changed claim is a new key; the
    facts are frozen models, and each caller gets a dict of its own."""
    row = {name: value for name, _, value in frozen_row}
    sources = row.get("sources") or ()
    url = sources[0] if sources else None
    facts: dict[str, Fact] = {}
    for field_name, kind, label in _CLAIM_FIELDS:
        value = row.get(field_name)
        if value is None or value == "":
            continue
        facts[field_name] = read_fact(
            "claims",
            key,
            field_name,
            kind,
            label,
            value,
            said_by=CLAIMS_SOURCE,
            record=record,
            pointer=json_pointer("claims", key, field_name),
            url=url,
        )
    if event is not None:
        facts["event_date"] = computed_fact(
            "claims",
            key,
            "event_date",
            "date",
            "Event date of the failure (MRS)",
            event[0],
            [facts[f] for f in _EVENT_INPUTS if f in facts],
            "the program-level event date if given, else the later of termination posted "
            "and primary completion (MRS.md)",
        )
    return facts


# --- the score of a pair -----------------------------------------------------------------------


def score_pair(
    store: ClaimsStore,
    target: TargetRecord,
    disease: DiseaseRecord,
    association: AssociationRecord | None,
    programs: Sequence[TargetProgram] | None,
    as_of: date,
    evidence: Iterable[Fact],
) -> PairScore:
    """The MRS of the pair and its facts. `evidence` holds the source facts it reads (the
    association score, the drugs on the target); their ids become `derived_from`."""
    inputs = pair_inputs(store, target, disease)
    target_names, disease_names, claims = inputs.target_names, inputs.disease_names, inputs.claims
    result = inputs.compute(association, programs, as_of)
    target_name = target.symbol or target.ensembl_id or "?"
    summary = summarize(result, target_name, disease.name)
    pair = pair_entity(target.ensembl_id or target_name, disease.query)
    query = {"target": query_names(target_names), "disease": query_names(disease_names)}
    record = claims_source_record(query, claims_record_body(claims, {"pair": len(claims)}))
    per_claim = {c.key: claim_facts(c, record.id) for c in claims}
    facts = FactSet(f for found in per_claim.values() for f in found.values())
    found = read_fact(
        "mrs",
        pair,
        "claims_found",
        "count",
        "Claims on the pair in the claims table (failures and non-failures)",
        len(claims),
        said_by=CLAIMS_SOURCE,
        record=record.id,
        pointer="/totals/pair",
        url=None,
        unit="programs",
    )
    facts.add(found)
    parameters = parameters_record(result)
    by_id = {f.id: f for f in evidence}
    built = _ScoreFacts(
        pair, result, summary, per_claim, found, by_id, target, parameters.id
    ).build()
    for fact in built:
        facts.add(fact)
    return PairScore(
        pair=pair,
        result=result,
        summary=summary,
        claims=claims,
        record=record,
        parameters=parameters,
        facts=list(facts),
        gaps=conflict_gaps(facts),
    )


@dataclass(frozen=True)
class PairInputs:
    """What the claims table holds for a pair known under several names (symbol and Ensembl
    id; disease name, ontology id and the name asked for)."""

    target_names: list[str]
    disease_names: list[str]
    claims: list[Claim]
    target_drugs: list[ProgramRef]

    def compute(
        self,
        association: AssociationRecord | None,
        programs: Sequence[TargetProgram] | None,
        as_of: date,
    ) -> MrsResult:
        refs = None
        if programs is not None:
            refs = [
                ProgramRef(chembl_id=p.chembl_id, name=p.name or p.chembl_id or "unnamed")
                for p in programs
            ]
        score = association.score if association else None
        return compute_mrs(self.claims, score, refs, as_of, target_drugs=self.target_drugs)


def pair_inputs(store: ClaimsStore, target: TargetRecord, disease: DiseaseRecord) -> PairInputs:
    target_names = [n for n in (target.symbol, target.ensembl_id) if n]
    disease_names = [
        n for n in dict.fromkeys((disease.name, disease.ontology_id, disease.query)) if n
    ]
    return PairInputs(
        target_names,
        disease_names,
        as_evidence(store.for_pair_names(target_names, disease_names)),
        [
            ProgramRef(name=name, chembl_id=chembl_id)
            for name, chembl_id in store.drugs_for_targets(target_names)
        ],
    )


def source_inputs(
    evidence: Mapping[str, Fact], target: TargetRecord, pair: str
) -> tuple[list[Fact], list[Fact]]:
    """The association score fact of the pair and the Open Targets program id facts of the
    target, where the evidence holds them."""
    ensembl = target.ensembl_id
    if not ensembl:
        return [], []
    association = evidence.get(fact_id("opentargets", pair, "association_score"))
    prefix = fact_id("opentargets", ensembl, "clinical_programs") + "."
    programs = [f for i, f in evidence.items() if i.startswith(prefix) and i.endswith(".chembl_id")]
    return ([association] if association else []), programs


@dataclass
class _ScoreFacts:
    """The score's facts, each derived from the claim and source facts it reads."""

    pair: str
    result: MrsResult
    summary: MrsSummary
    per_claim: dict[str, dict[str, Fact]]
    found: Fact  # how many claims the pair's query returned: every claim-set count rests on it
    evidence: dict[str, Fact]
    target: TargetRecord
    parameters: str  # id of the MRS parameters record
    facts: list[Fact] = field(default_factory=list)

    def of(self, fields: Sequence[str], keys: Iterable[str] | None = None) -> list[Fact]:
        """The named facts of the given claims. Without `keys` it is a statement about the
        whole claim set, which also rests on how many claims the query found (so a pair with
        no claims still cites where its zero came from)."""
        if keys is None:
            every = [self.found]
            every += [facts[f] for facts in self.per_claim.values() for f in fields if f in facts]
            return every
        return [self.per_claim[k][f] for k in keys for f in fields if f in self.per_claim[k]]

    def scored(self) -> list[str]:
        """Keys of the claims the score counts: every claim but the non-failures."""
        excluded = set(self.result.non_failures)
        return [key for key in self.per_claim if key not in excluded]

    def add(
        self,
        field_name: str,
        kind: FactKind,
        label: str,
        value: FactValue,
        inputs: Iterable[Fact],
        formula: str,
        unit: Unit | None = None,
    ) -> Fact:
        fact = computed_fact(
            "mrs", self.pair, field_name, kind, label, value, inputs, formula, unit=unit
        )
        self.facts.append(fact)
        return fact

    def parameter(
        self, field_name: str, pointer: str, kind: FactKind, label: str, value: FactValue
    ) -> Fact:
        """A fact read from the MRS parameters record (a maximum, the analysis date, ...)."""
        fact = read_fact(
            "mrs",
            self.pair,
            field_name,
            kind,
            label,
            value,
            said_by=PARAMETERS_SOURCE,
            record=self.parameters,
            pointer=pointer,
            url=None,
            unit="points" if kind == "number" else None,
        )
        self.facts.append(fact)
        return fact

    def source_inputs(self) -> tuple[list[Fact], list[Fact]]:
        """The association score fact and the Open Targets program id facts, if fetched."""
        return source_inputs(self.evidence, self.target, self.pair)

    def build(self) -> list[Fact]:
        result = self.result
        association, programs = self.source_inputs()
        as_of = self.parameter(
            "as_of", "/as_of", "date", "Analysis date of the score", result.as_of.isoformat()
        )
        self.parameter(
            "params_hash", "/params_hash", "code", "MRS parameters (sha256)", result.params_hash
        )
        n_programs = self.add(
            "n_programs",
            "count",
            "Clinical-stage programs on the target (n_t)",
            result.n_programs.n_t,
            [*programs, *self.of(["drug", "drug_chembl_id"])],
            "distinct drugs on the target in Open Targets and the claims table, one per "
            "ChEMBL id, else per normalised name (MRS.md n_t)",
            "programs",
        )
        inputs: dict[str, list[Fact]] = {
            "phase_burden": self.of(["phase", "category"]),
            "archetype_severity": self.of(["phase", "archetype", "category"]),
            "temporal_recency": [*self.of(["phase", "event_date", "category"]), as_of],
            "genetic_deficit": association,
            "programmatic_saturation": [n_programs],
        }
        components = []
        for key, heading, maximum in COMPONENTS:
            most = self.parameter(
                f"components.{key}.max",
                json_pointer("components", key, "max"),
                "number",
                f"{heading}: maximum points",
                maximum,
            )
            components.append(
                self.add(
                    f"components.{key}",
                    "score",
                    heading,
                    result.component(key).points,
                    [*inputs[key], most],
                    f"{COMPONENT_FORMULAS[key]}, shown to one decimal (MRS v1)",
                    "points",
                )
            )
        total = self.add(
            "total",
            "score",
            "Mechanism Risk Score",
            result.total,
            components,
            "round half up of the sum of the unrounded components (MRS v1)",
            "points",
        )
        self.add("band", "code", "MRS band", result.band, [total], "GREEN < 25 ≤ YELLOW < 50 ≤ RED")
        self.parameter("total.max", "/scale/max", "number", "Mechanism Risk Score: maximum", 100)
        self.add(
            "n_claims",
            "count",
            "Failure claims scored on the pair",
            result.n_claims,
            [self.found, *self.of(["drug", "category"], self.scored())],
            "claims on the target in this indication, successes and met endpoints excepted",
            "programs",
        )
        self._listed(
            "non_failures",
            "Claim stopped for success or a met endpoint (not scored)",
            result.non_failures,
            "category",
            "claims whose category is Success or Endpoint_Met: listed, never a failure burden",
        )
        self._listed(
            "draft_claims",
            "Draft claim (not yet published)",
            result.draft_claims,
            "status",
            "claims whose status is draft: scored like published ones, reported as drafts",
        )
        self._counts()
        best = result.most_informative_failure
        if best is not None:
            self.add(
                "most_informative_failure",
                "code",
                "Most informative claim (claim key)",
                best.key,
                self.of(["phase", "archetype", "event_date"], [best.key]),
                "the claim with the largest w(phase)·σ(archetype)·2^(−Δt/h) (MRS.md)",
            )
        return self.facts

    def _listed(self, group: str, label: str, keys: Sequence[str], field: str, why: str) -> None:
        """A group of claim keys the result lists: its count and one fact per member."""
        self.add(
            f"{group}.count",
            "count",
            f"{label}: count",
            len(keys),
            self.of([field]),
            why,
            "programs",
        )
        for i, key in enumerate(keys):
            self.add(f"{group}.{i}", "code", label, key, self.of([field], [key]), why)

    def _counts(self) -> None:
        """The numbers of the summary sentence and the phase × archetype table."""
        scored = self.scored()
        for cell in self.result.counts:
            keys = [
                key
                for key in scored
                if _value(self.per_claim[key], "phase") == cell.phase
                and _value(self.per_claim[key], "archetype") == cell.archetype
            ]
            phase = (cell.phase or "unknown").replace("/", "_")
            words = phase_text(cell.phase) if cell.phase else "unknown phase"
            self.add(
                f"counts.{phase}.{cell.archetype}",
                "count",
                f"Documented failures, {words}, {cell.archetype}",
                cell.count,
                self.of(["phase", "archetype"], keys),
                "claims counted by phase and archetype",
                "programs",
            )
        for bucket, count in self.summary.phase_buckets.items():
            self.add(
                f"phase_buckets.{slug(bucket)}",
                "count",
                f"Documented failures in {bucket}",
                count,
                [self.found, *self.of(["phase"], scored)],
                "claims by phase; a combined phase counts in its higher phase",
                "programs",
            )
        for archetype, count in self.summary.archetypes.items():
            self.add(
                f"archetypes.{archetype}",
                "count",
                f"Documented {archetype} failures",
                count,
                [self.found, *self.of(["archetype"], scored)],
                "claims by archetype",
                "programs",
            )


def _value(facts: dict[str, Fact], name: str) -> FactValue | None:
    found = facts.get(name)
    return found.value if found else None


# --- the bundle's assessment -------------------------------------------------------------------


def assess(
    bundle: Bundle,
    store: ClaimsStore,
    classifier: StopReasonClassifier | None = None,
    *,
    client: HttpClient | None = None,
    pair_memo: PairMemo | None = None,
) -> Bundle:
    """The bundle with what drafter computes from it: classification, MRS, related claims.
    With a `client`, each related claim's own pair is looked up (live, cached or recorded) and
    scored; without one, or where its evidence cannot be had, the claim says why it is not.
    `pair_memo` keeps pairs' evidence between the assessments of one run (a batch's)."""
    facts = FactSet(bundle.facts)
    gaps = list(bundle.gaps)
    classification = (classifier.classify if classifier else classify_stop_reason)(
        bundle.trial.status.why_stopped
    )
    # the reason as the record states it; a record that states none is classified from the
    # record itself (its status), which is what "no reason given" rests on
    stated = [
        bundle.fact(fact_id("ctgov", bundle.nct_id, field))
        for field in ("why_stopped", "overall_status", "nct_id")
    ]
    why = next((f for f in stated if f is not None), None)
    for fact in _classification_facts(bundle.nct_id, classification, why):
        facts.add(fact)
    score: PairScore | None = None
    if bundle.target is None or bundle.disease is None:
        gaps.append(
            Gap(step="mrs", reason="needs a target and a disease; pass --target and --disease")
        )
    else:
        score = score_pair(
            store,
            bundle.target,
            bundle.disease,
            bundle.association,
            bundle.target_programs,
            date.fromisoformat(bundle.as_of),
            bundle.facts,
        )
    related = _related(store, bundle, classification, score, RelatedPairs(client, pair_memo))
    bodies = dict(bundle._bodies)
    sources = list(bundle.sources)
    known = {s.id for s in sources}
    for record in related.sources:
        if record.id not in known:
            known.add(record.id)
            sources.append(record)
    for fact in [*(score.facts if score else []), *related.facts]:
        facts.add(fact)
    records: list[tuple[SourceRecord, dict[str, Any]]] = []
    if score is not None:
        records += [
            (score.record, claims_record_body(score.claims)),
            (score.parameters, parameters_body(score.result)),
        ]
    records.append((related.record, related.body))
    for record, body in records:
        if record.id not in bodies:
            sources.append(record)
            bodies[record.id] = body
    gaps += (score.gaps if score else []) + conflict_gaps(facts)
    cited = {c.key: c for c in [*(score.claims if score else []), *related.claims]}
    assessment = Assessment(
        classification=classification,
        mrs=score,
        related=related.related,
        claims=sorted(cited.values(), key=lambda c: c.key),
    )
    updated = bundle.model_copy(
        update={"facts": list(facts), "gaps": gaps, "sources": sources, "assessment": assessment}
    )
    updated._bodies = bodies
    return updated


def _archetype_derivation(rules: str, classification: StopClassification) -> str:
    """How the archetype was reached: a rule naming the reason, or one of the classifier's
    low-confidence stances (drafter.stop_stance), which an editor should confirm."""
    if classification.decided_by == LEARNED_FALLBACK:
        return (
            f"{rules}: the learned fallback read a failure where the rules read operational"
            f" (probability {classification.confidence:.2f}; an editor should confirm)"
        )
    if classification.confidence < 1.0:
        return (
            f"{rules}: stance {classification.decided_by} (confidence"
            f" {classification.confidence:.2f}; an editor should confirm)"
        )
    return f"{rules}: the most severe archetype of the categories the text states"


def _classification_facts(
    nct: str, classification: StopClassification, why: Fact | None
) -> list[Fact]:
    inputs = [why] if why else []
    rules = _classified_by(classification)
    facts = [
        computed_fact(
            "classify",
            nct,
            "archetype",
            "code",
            "Stop archetype",
            classification.archetype,
            inputs,
            _archetype_derivation(rules, classification),
            note=classification.explanation,
        )
    ]
    facts += [
        computed_fact(
            "classify",
            nct,
            f"categories.{i}",
            "code",
            "Stop-reason category",
            category,
            inputs,
            rules,
        )
        for i, category in enumerate(classification.categories)
    ]
    facts.append(
        computed_fact(
            "classify",
            nct,
            "non_failure",
            "code",
            "Stop reason states a success or a met endpoint",
            classification.non_failure,
            inputs,
            f"{rules}: a success or met-endpoint category and no failure category",
        )
    )
    return facts


def _classified_by(classification: StopClassification) -> str:
    """Who decided, as the classification facts' formula says it."""
    if classification.classifier.startswith("model"):
        return f"stop-reason {classification.classifier} (drafter.classify_model)"
    unused = "; the model's answer was not used" if classification.classifier not in _OWN else ""
    if classification.classifier.startswith("rules+learned"):
        return f"stop-reason rules with their learned fallback (drafter.classify_learned{unused})"
    return f"stop-reason rules (drafter.classify{unused})"


_OWN = ("rules", "rules+learned")  # what the rules and their fallback call themselves


@dataclass
class _Related:
    related: RelatedClaims
    body: dict[str, Any]
    claims: list[Claim]
    facts: list[Fact]
    record: SourceRecord
    sources: list[SourceRecord]  # the answers the related pairs' scores read


def _related(
    store: ClaimsStore,
    bundle: Bundle,
    classification: StopClassification,
    score: PairScore | None,
    pairs: RelatedPairs,
) -> _Related:
    """Claims on the same target (other indications), in the same indication (other targets)
    and of the same failure type (elsewhere), newest first; the pair's own claims are the
    score's inputs, not related claims."""
    taken = {c.key for c in score.claims} if score else set()
    target, disease = bundle.target, bundle.disease
    target_names = [n for n in (target.symbol, target.ensembl_id) if n] if target else []
    disease_names = (
        [n for n in dict.fromkeys((disease.name, disease.ontology_id, disease.query)) if n]
        if disease
        else []
    )
    archetype = classification.archetype
    queries = {
        "same_target": [store.query_stored(target=n) for n in target_names],
        "same_indication": [store.query_stored(disease=n) for n in disease_names],
        "same_failure_type": (
            [store.query_stored(archetype=archetype)] if archetype != "unknown" else []
        ),
    }
    groups: dict[str, list[StoredClaim]] = {}
    for group, answers in queries.items():
        found: dict[str, StoredClaim] = {}
        for stored in (c for answer in answers for c in answer):
            if stored.key not in taken:
                found.setdefault(stored.key, stored)
        groups[group] = sorted(found.values(), key=_newest_first)
        taken |= set(found)
    # only those shown are built, and as evidence (the order and the totals do not read the
    # stamps it drops)
    shown = {
        group: as_evidence([stored.claim() for stored in members[:RELATED_LIMIT]])
        for group, members in groups.items()
    }
    as_of = date.fromisoformat(bundle.as_of)
    related = RelatedClaims(
        same_target=[c.key for c in shown["same_target"]],
        same_indication=[c.key for c in shown["same_indication"]],
        same_failure_type=[c.key for c in shown["same_failure_type"]],
        totals={group: len(claims) for group, claims in groups.items()},
    )
    claims = [c for group in shown.values() for c in group]
    query = {
        "target": query_names(target_names),
        "disease": query_names(disease_names),
        "archetype": archetype,
    }
    body = claims_record_body(claims, related.totals)
    record = claims_source_record(query, body)
    facts: list[Fact] = []
    sources: list[SourceRecord] = []
    # a pair's score and the facts it rests on, computed once however many shown claims share it
    scored: dict[tuple[str, str], tuple[int, list[Fact]]] = {}
    for group, members in shown.items():
        description = RELATED_GROUPS[group]
        if group == "same_failure_type":
            description += f" ({archetype})"
        facts.append(
            read_fact(
                "related",
                bundle.nct_id,
                f"{group}.count",
                "count",
                f"Related failure claims, {group.replace('_', ' ')} ({description})",
                related.totals[group],
                said_by=CLAIMS_SOURCE,
                record=record.id,
                pointer=json_pointer("totals", group),
                url=None,
                unit="programs",
            )
        )
        for i, claim in enumerate(members):
            cited = claim_facts(claim, record.id)
            facts += cited.values()
            named = computed_fact(
                "related",
                bundle.nct_id,
                f"{group}.{i}",
                "code",
                f"Related failure claim, {group.replace('_', ' ')}",
                claim.key,
                cited.values(),
                f"{description}, newest first",
            )
            facts.append(named)
            pair_found = pairs.lookup(claim.target_symbol, claim.disease_name)
            if isinstance(pair_found, str):
                related.not_scored[claim.key] = pair_found
                continue
            key = pair_key(claim.target_symbol, claim.disease_name)
            if key not in scored:
                facts += pair_found.facts
                sources += [s for s in pair_found.sources if s not in sources]
                scored[key] = _pair_score(store, pair_found, as_of)
            total, inputs = scored[key]
            field_name = f"{group}.{i}.mrs"
            facts.append(_related_score(total, [named, *inputs], bundle.nct_id, field_name))
    return _Related(related, body, claims, facts, record, sources)


def _pair_score(store: ClaimsStore, evidence: PairEvidence, as_of: date) -> tuple[int, list[Fact]]:
    """The MRS of a related claim's own pair, as `drafter mrs` computes it (the claims table
    for the pair and the association score and programs its evidence holds), and the facts of
    that evidence it rests on."""
    target, disease = evidence.target, evidence.disease
    association, programs = evidence.association, evidence.target_programs
    # remembered by everything it reads besides the table (drafts of a batch score the same
    # related pairs): the names pair_inputs looks the table up by, the association score,
    # the programs on the target and the date
    key = (
        "related pair MRS",
        (target.symbol, target.ensembl_id),
        (disease.name, disease.ontology_id, disease.query),
        association.score if association else None,
        None if programs is None else tuple((p.chembl_id, p.name) for p in programs),
        as_of,
    )
    total = store.remembered(
        key,
        lambda: pair_inputs(store, target, disease).compute(association, programs, as_of).total,
    )
    pair = pair_entity(target.ensembl_id or target.symbol or "?", disease.query)
    association_facts, program_facts = source_inputs(
        {f.id: f for f in evidence.facts}, target, pair
    )
    return total, [*association_facts, *program_facts]


def _related_score(total: int, inputs: list[Fact], nct_id: str, field_name: str) -> Fact:
    """A related claim's pair's MRS as a fact, resting on the claim and its pair's inputs."""
    return computed_fact(
        "related",
        nct_id,
        field_name,
        "score",
        "MRS of the related claim's pair",
        total,
        inputs,
        "MRS v1 over the claims table for the claim's target and indication, with the Open "
        "Targets association score of the pair (0 where Open Targets lists none) and the "
        "clinical-stage programs on the target",
        unit="points",
    )


def _newest_first(stored: StoredClaim) -> tuple[int, int, str]:
    try:
        day = _latest_day(stored.event_date) if stored.event_date else None
    except ValueError:
        # a row edited outside drafter: building its claim says what is wrong and how to
        # correct it (BadInput); a claim that still reads sorts by its own date
        dated = stored.claim().event_date
        day = dated.latest().toordinal() if dated else None
    return (1, 0, stored.key) if day is None else (0, -day, stored.key)


@functools.lru_cache(maxsize=4096)
def _latest_day(event_date: str) -> int:
    """The last day a stored event date can denote (a claim's PartialDate), as an ordinal."""
    return PartialDate.parse(event_date).latest().toordinal()
