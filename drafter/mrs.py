"""The Mechanism Risk Score (MRS, spec v1 in MRS.md) as a pure function, plus the
sentence-ready summary a draft renders.

Pure on purpose: the score is recomputed "live" from the claims table for an analysis date, so
the same inputs and `as_of` must always give the same JSON — no clock, no I/O, no hidden state.

Decisions the spec leaves open (all live in `MrsParams`, so every draft records them):

* archetype "unknown" → severity 0.3, the operational weight (a failure nobody has classified
  is counted, but not presumed to be an efficacy or safety failure); a note names the claims.
* phase None → weight 0: the claim is counted (summary, counts, n_t) but carries no phase
  burden, and since every other term is multiplied by w(p) no severity or recency either.
* partial event dates ("2025-05") → the LATEST day they can denote, so Δt is never overstated
  and recency never understated; an event after `as_of` gives Δt = 0 with a note.
* no event date → decay 0: the claim adds burden and severity but nothing to recency.
* non-failures (category Success or Endpoint_Met: the trial worked, met its endpoint or was
  stopped early for benefit) → no burden, severity or recency and no "most informative
  failure"; they are listed in `non_failures`, named in a note, and still count in n_t.
* draft claims (not yet published) → counted like published ones, listed in `draft_claims` and
  named in a note, so a draft never shows a score without saying what it rests on.
* rounding → every value is first snapped to 1e-9 so float noise at an exact half
  (15 × (1 − 0.9) = 1.4999999999999996) rounds half up the way the arithmetic says.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any, Literal, NamedTuple, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from drafter.models import (
    PHASE_ORDER,
    Claim,
    ClaimStatus,
    PartialDate,
    Phase,
    drug_name_key,
    fold_text,
)
from drafter.rulebook import (
    ARCHETYPES,
    NON_FAILURE_CATEGORIES,
    SEVERITY_ORDER,
    Archetype,
    Category,
    severity_rank,
)

Band = Literal["GREEN", "YELLOW", "RED"]
ComponentKey = Literal[
    "phase_burden",
    "archetype_severity",
    "temporal_recency",
    "genetic_deficit",
    "programmatic_saturation",
]

# Display order and maxima of the components (MRS.md table).
COMPONENTS: tuple[tuple[ComponentKey, str, int], ...] = (
    ("phase_burden", "Phase-weighted failure burden", 40),
    ("archetype_severity", "Archetype severity", 25),
    ("temporal_recency", "Temporal recency", 15),
    ("genetic_deficit", "Genetic evidence deficit", 15),
    ("programmatic_saturation", "Programmatic saturation", 5),
)

# Summary buckets: a combined phase counts in its higher phase (a Phase 2/3 program did reach
# Phase 3), Early Phase 1 counts as Phase 1, Phase 4 has its own bucket (shown when non-zero).
PHASE_BUCKET: dict[str | None, str] = {
    "EARLY_PHASE1": "Phase 1",
    "PHASE1": "Phase 1",
    "PHASE1/PHASE2": "Phase 2",
    "PHASE2": "Phase 2",
    "PHASE2/PHASE3": "Phase 3",
    "PHASE3": "Phase 3",
    "PHASE4": "Phase 4",
    None: "unknown",
}
BUCKET_ORDER: tuple[str, ...] = ("Phase 4", "Phase 3", "Phase 2", "Phase 1", "unknown")

_PHASE_RANK: dict[str | None, int] = {p: i for i, p in enumerate((*PHASE_ORDER, None))}


class MrsParams(BaseModel):
    """Every number the score uses, in one frozen object whose hash each draft records."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = "mrs-v1"
    # Declared before phase_weights: the phase check below compares against it.
    unknown_phase_weight: float = Field(default=0.0, ge=0)
    phase_weights: dict[str, float] = Field(
        validate_default=True,  # so a lone unknown_phase_weight is checked against it
        default_factory=lambda: {
            "EARLY_PHASE1": 0.05,
            "PHASE1": 0.10,
            "PHASE1/PHASE2": 0.15,
            "PHASE2": 0.20,
            "PHASE2/PHASE3": 0.50,
            "PHASE3": 0.70,
            "PHASE4": 0.80,
        },
    )
    archetype_severity: dict[str, float] = Field(
        default_factory=lambda: {
            "efficacy": 1.0,
            "safety": 0.8,
            "biomarker": 0.5,
            "operational": 0.3,
        }
    )
    unknown_archetype_severity: float = Field(default=0.3, ge=0)
    half_life_years: float = Field(default=2.5, gt=0)
    days_per_year: float = Field(default=365.25, gt=0)
    burden_saturation: float = Field(default=0.75, gt=0)
    severity_saturation: float = Field(default=0.75, gt=0)
    recency_saturation: float = Field(default=0.70, gt=0)
    yellow_from: int = Field(default=25, gt=0)
    red_from: int = Field(default=50, validate_default=True)

    # The spec's properties (a later phase / a more severe archetype never lowers a component)
    # only hold if the weights are ordered, so parameters that break them are refused. Field
    # validators, not a model validator: pydantic re-runs model validators every time a params
    # instance is embedded in a result, which cost ~8% of a whole-table recompute.

    @field_validator("phase_weights")
    @classmethod
    def _phases_ordered(cls, weights: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        if set(weights) != set(PHASE_ORDER):
            raise ValueError(f"must cover exactly {', '.join(PHASE_ORDER)}")
        ordered = [info.data.get("unknown_phase_weight", 0.0), *(weights[p] for p in PHASE_ORDER)]
        if any(b < a for a, b in pairwise(ordered)):
            raise ValueError("must not decrease along PHASE_ORDER (unknown_phase_weight first)")
        return weights

    @field_validator("archetype_severity")
    @classmethod
    def _archetypes_ordered(cls, severity: dict[str, float]) -> dict[str, float]:
        if set(severity) != set(SEVERITY_ORDER):
            raise ValueError(f"must cover exactly {', '.join(SEVERITY_ORDER)}")
        ordered = [severity[a] for a in SEVERITY_ORDER]
        if min(ordered) < 0 or any(b > a for a, b in pairwise(ordered)):
            raise ValueError("must be >= 0 and not increase from efficacy to operational")
        return severity

    @field_validator("red_from")
    @classmethod
    def _bands_ordered(cls, red_from: int, info: ValidationInfo) -> int:
        if red_from < info.data.get("yellow_from", 0):
            raise ValueError("must not be below yellow_from")
        return red_from

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def digest(self) -> str:
        """sha256 of the canonical JSON: two drafts with the same hash used the same numbers."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


DEFAULT_PARAMS = MrsParams()


class ProgramRef(BaseModel):
    """A clinical-stage drug on the target, as Open Targets (or the claims table) names it."""

    model_config = ConfigDict(frozen=True)

    chembl_id: str | None = None
    name: str = Field(min_length=1)


class ProgramCount(BaseModel):
    """n_t and where it came from, so the draft can say which sources answered."""

    n_t: int
    from_opentargets: int | None = Field(
        description="distinct programs Open Targets listed; None when it did not answer"
    )
    from_claims: int = Field(description="distinct drugs on the target in the claims table")
    sources: list[str]
    programs: list[str] = Field(description="one display name per distinct program")


class Component(BaseModel):
    key: ComponentKey
    heading: str
    points: float = Field(description="display value, one decimal, half up")
    raw: float
    max: int
    inputs: dict[str, Any]


class PhaseArchetypeCount(BaseModel):
    phase: str | None
    archetype: str
    count: int


class InformativeFailure(BaseModel):
    key: str
    nct_id: str | None
    drug: str
    headline: str | None
    phase: str | None
    archetype: str
    event_date: str | None
    score: float = Field(description="w(p)·σ(a)·2^(−Δt/h)")


class MrsResult(BaseModel):
    total: int
    band: Band
    sum_raw: float
    components: list[Component]
    counts: list[PhaseArchetypeCount]
    n_claims: int = Field(description="documented failures scored (non-failures excluded)")
    non_failures: list[str] = Field(
        description="keys of claims that stopped for success or a met endpoint: not scored"
    )
    draft_claims: list[str] = Field(description="keys of scored or listed claims not published")
    most_informative_failure: InformativeFailure | None
    as_of: date
    association_score: float | None
    n_programs: ProgramCount
    notes: list[str]
    params_hash: str
    params: MrsParams

    def component(self, key: ComponentKey) -> Component:
        return next(c for c in self.components if c.key == key)


class MrsScore(NamedTuple):
    """One pair's score without its inputs: what a whole-table recompute returns."""

    total: int
    band: Band
    points: tuple[float, ...]  # in COMPONENTS order
    n_claims: int  # documented failures scored, as MrsResult.n_claims
    params_hash: str


class MrsSummary(BaseModel):
    """What a template needs to write the MRS paragraph without recounting anything."""

    target: str
    disease: str
    n_programs: int
    phase_buckets: dict[str, int] = Field(description=f"keys in order {BUCKET_ORDER}")
    archetypes: dict[str, int] = Field(description=f"keys in order {ARCHETYPES}")
    headline: str
    text: str


# --- computation -------------------------------------------------------------------------


class MrsInput(NamedTuple):
    """What the score reads from one claim, as a plain tuple. The whole-table path builds
    100,000 of these straight from database rows (validated when they were written), which
    costs a fraction of building validated Claim models and leaves the collector little to
    track."""

    key: str
    drug: str
    drug_chembl_id: str | None
    target_symbol: str
    disease_name: str
    phase: Phase | None
    archetype: Archetype
    category: Category
    status: ClaimStatus
    event_date: str | None  # Claim.event_date's value


def mrs_input(claim: Claim) -> MrsInput:
    event = claim.event_date
    return MrsInput(
        claim.key,
        claim.drug,
        claim.drug_chembl_id,
        claim.target_symbol,
        claim.disease_name,
        claim.phase,
        claim.archetype,
        claim.category,
        claim.status,
        None if event is None else event.value,
    )


class _NamedDrug(Protocol):
    """A claim or an MrsInput: all n_t needs from a claim."""

    @property
    def drug(self) -> str: ...

    @property
    def drug_chembl_id(self) -> str | None: ...


@dataclass(slots=True)
class _Term:
    """One claim's contribution; kept so the components and the notes read the same numbers."""

    claim: MrsInput
    w: float
    sigma: float
    event_day: date | None  # the latest day the event date can denote
    dt: float | None
    decay: float


@functools.lru_cache(maxsize=1 << 16)
def _event_days(value: str) -> tuple[date, date]:
    """Earliest and latest day of a partial date, parsed once per distinct string."""
    event = PartialDate.parse(value)
    return event.earliest(), event.latest()


def count_programs(
    target_programs: Sequence[ProgramRef] | None,
    claims: Iterable[_NamedDrug],
    claim_drugs: Sequence[ProgramRef] = (),
) -> ProgramCount:
    """n_t: Open Targets' programs united with the claims' drugs, one per ChEMBL id; an entry
    without an id is the program whose id-bearing entry has the same normalised name, else a
    program of its own. Two different ids never merge.

    Defined on the set of entries, not by merging in arrival order, so the same entries always
    give the same n_t whatever order the sources list them in."""
    entries: list[tuple[str | None, str, str, str]] = [
        (_chembl(ref.chembl_id), ref.name, drug_name_key(ref.name), "opentargets")
        for ref in target_programs or ()
    ]
    entries += [
        (_chembl(c.drug_chembl_id), c.drug, drug_name_key(c.drug), "claims") for c in claims
    ]
    entries += [
        (_chembl(d.chembl_id), d.name, drug_name_key(d.name), "claims") for d in claim_drugs
    ]
    id_of_name: dict[str, str] = {}
    for cid, _, norm, _ in entries:
        if cid is not None and (norm not in id_of_name or cid < id_of_name[norm]):
            id_of_name[norm] = cid  # a name shared by two ids resolves to the smaller, stably
    names: dict[str, str] = {}  # program key → first display name seen
    by_source: dict[str, set[str]] = {"opentargets": set(), "claims": set()}
    for cid, name, norm, source in entries:
        key = cid if cid is not None else id_of_name.get(norm, "name:" + norm)
        names.setdefault(key, name)
        by_source[source].add(key)
    return ProgramCount(
        n_t=len(names),
        from_opentargets=None if target_programs is None else len(by_source["opentargets"]),
        from_claims=len(by_source["claims"]),
        sources=(["opentargets"] if target_programs is not None else []) + ["claims"],
        programs=list(names.values()),
    )


def _chembl(chembl_id: str | None) -> str | None:
    cleaned = (chembl_id or "").strip().upper()
    return cleaned or None


def compute_mrs(
    pair_claims: Sequence[Claim],
    association_score: float | None,
    target_programs: Sequence[ProgramRef] | None,
    as_of: date,
    params: MrsParams = DEFAULT_PARAMS,
    *,
    target_claims: Sequence[Claim] = (),
    target_drugs: Sequence[ProgramRef] = (),
    params_hash: str | None = None,
) -> MrsResult:
    """The MRS of one target–disease pair.

    `target_programs` is Open Targets' drug list for the target (None: it did not answer);
    `target_claims` are the claims on the target in any indication (for n_t only);
    `target_drugs` gives the same as distinct (drug, ChEMBL id) pairs, which a store can
    answer without loading every claim on a crowded target.
    `params_hash` lets a batch caller pass `params.digest()` once instead of per pair."""
    programs = count_programs(target_programs, [*target_claims, *pair_claims], target_drugs)
    return _score(
        pair_claims,
        association_score,
        programs,
        ot_answered=target_programs is not None,
        as_of=as_of,
        params=params,
        params_hash=params_hash or params.digest(),
    )


PairKey = tuple[str, str]


def target_key(target: str) -> str:
    """How the table groups claims by target: case- and whitespace-insensitive symbol."""
    return fold_text(target)


def pair_key(target: str, disease: str) -> PairKey:
    """How the table groups claims into pairs: case- and whitespace-insensitive names."""
    return (fold_text(target), fold_text(disease))


def compute_mrs_table(
    claims: Iterable[Claim],
    as_of: date,
    params: MrsParams = DEFAULT_PARAMS,
    *,
    association_scores: Mapping[PairKey, float | None] | None = None,
    target_programs: Mapping[str, Sequence[ProgramRef] | None] | None = None,
) -> dict[PairKey, MrsScore]:
    """Every pair of these claims at once, as compact scores (the numbers a claim card or
    a nightly refresh shows); `compute_mrs` gives the full result with inputs and notes for
    one pair, and the two always agree. n_t is counted once per target, not per pair.

    `association_scores` is keyed by `pair_key`, `target_programs` by `target_key`;
    a pair or target missing from a mapping is treated as "the source did not answer"."""
    return compute_mrs_table_rows(
        map(mrs_input, claims),
        as_of,
        params,
        association_scores=association_scores,
        target_programs=target_programs,
    )


def compute_mrs_table_rows(
    rows: Iterable[MrsInput],
    as_of: date,
    params: MrsParams = DEFAULT_PARAMS,
    *,
    association_scores: Mapping[PairKey, float | None] | None = None,
    target_programs: Mapping[str, Sequence[ProgramRef] | None] | None = None,
) -> dict[PairKey, MrsScore]:
    """`compute_mrs_table` for rows as `ClaimsStore.mrs_inputs` reads them: the whole-table
    recompute without building a Claim model per row."""
    pairs: dict[PairKey, list[MrsInput]] = {}
    by_target: dict[str, list[MrsInput]] = {}
    seen: dict[tuple[str, str], PairKey] = {}  # raw names → key: most rows repeat a pair
    for row in rows:
        raw = (row.target_symbol, row.disease_name)
        key = seen.get(raw) or seen.setdefault(raw, pair_key(*raw))
        pairs.setdefault(key, []).append(row)
        by_target.setdefault(key[0], []).append(row)
    scores = association_scores or {}
    ot = target_programs or {}
    digest = params.digest()
    counted = {t: count_programs(ot.get(t), members).n_t for t, members in by_target.items()}
    return {
        key: _compact_score(members, scores.get(key), counted[key[0]], as_of, params, digest)
        for key, members in pairs.items()
    }


def _compact_score(
    claims: Sequence[MrsInput],
    association_score: float | None,
    n_t: int,
    as_of: date,
    params: MrsParams,
    params_hash: str,
) -> MrsScore:
    """The same arithmetic as `_score`, without the per-claim inputs, counts and notes: a
    table of 100,000 claims would otherwise build millions of objects nobody reads."""
    s = _genetic_score(association_score)
    terms = _terms(claims, as_of, params)
    raws = _raw_components(*_sums(terms), s, n_t, params)
    total, band = _total_and_band(math.fsum(raws.values()), params)
    points = tuple(_half_up(raws[key], 1) for key, _, _ in COMPONENTS)
    return MrsScore(total, band, points, len(terms), params_hash)


def _terms(claims: Sequence[MrsInput], as_of: date, params: MrsParams) -> list[_Term]:
    """One term per documented failure; non-failures carry no burden and get none."""
    terms = []
    for claim in claims:
        if claim.category in NON_FAILURE_CATEGORIES:
            continue
        w = (
            params.phase_weights[claim.phase]
            if claim.phase is not None
            else params.unknown_phase_weight
        )
        sigma = params.archetype_severity.get(claim.archetype, params.unknown_archetype_severity)
        if claim.event_date is None:
            terms.append(_Term(claim, w, sigma, None, None, 0.0))
            continue
        day = _event_days(claim.event_date)[1]
        dt = max(0, (as_of - day).days) / params.days_per_year
        decay = 2.0 ** (-dt / params.half_life_years)
        terms.append(_Term(claim, w, sigma, day, dt, decay))
    return terms


def _score(
    claims: Sequence[Claim],
    association_score: float | None,
    programs: ProgramCount,
    *,
    ot_answered: bool,
    as_of: date,
    params: MrsParams,
    params_hash: str,
) -> MrsResult:
    """The result is assembled as plain data and validated once: one validation in pydantic-core
    is cheaper than building the nested models one by one, and keeps the shapes checked. The
    per-claim inputs are columns (lists shared between components) for the same reason: a
    whole-table recompute allocates a few lists per pair instead of a dict per claim."""
    s = _genetic_score(association_score)
    rows = [mrs_input(claim) for claim in claims]
    terms = _terms(rows, as_of, params)
    non_failures = [c.key for c in rows if c.category in NON_FAILURE_CATEGORIES]
    drafts = [c.key for c in rows if c.status == "draft"]
    n_t = programs.n_t
    keys = [t.claim.key for t in terms]
    ws = [t.w for t in terms]
    sigmas = [t.sigma for t in terms]
    decays = [t.decay for t in terms]
    sum_w, sum_ws, sum_wd = _sums(terms)
    raws = _raw_components(sum_w, sum_ws, sum_wd, s, n_t, params)
    inputs: dict[ComponentKey, dict[str, Any]] = {
        "phase_burden": {
            "claims": keys,
            "phase": [t.claim.phase for t in terms],
            "w": ws,
            "sum_w": sum_w,
            "saturation": params.burden_saturation,
        },
        "archetype_severity": {
            "claims": keys,
            "archetype": [t.claim.archetype for t in terms],
            "w": ws,
            "sigma": sigmas,
            "sum_w_sigma": sum_ws,
            "saturation": params.severity_saturation,
        },
        "temporal_recency": {
            "claims": keys,
            "w": ws,
            "event_date": [t.claim.event_date for t in terms],
            "event_day": [None if t.event_day is None else t.event_day.isoformat() for t in terms],
            "delta_t_years": [t.dt for t in terms],
            "decay": decays,
            "sum_w_decay": sum_wd,
            "half_life_years": params.half_life_years,
            "days_per_year": params.days_per_year,
            "saturation": params.recency_saturation,
        },
        "genetic_deficit": {"s": s, "association_score": association_score},
        "programmatic_saturation": {
            "n_t": n_t,
            "from_opentargets": programs.from_opentargets,
            "from_claims": programs.from_claims,
        },
    }
    sum_raw = math.fsum(raws.values())
    total, band = _total_and_band(sum_raw, params)
    return MrsResult.model_validate(
        {
            "total": total,
            "band": band,
            "sum_raw": sum_raw,
            "components": [
                {
                    "key": key,
                    "heading": heading,
                    "points": _half_up(raws[key], 1),
                    "raw": raws[key],
                    "max": maximum,
                    "inputs": inputs[key],
                }
                for key, heading, maximum in COMPONENTS
            ],
            "counts": _counts(terms),
            "n_claims": len(terms),
            "non_failures": non_failures,
            "draft_claims": drafts,
            "most_informative_failure": _most_informative(terms, claims),
            "as_of": as_of,
            "association_score": association_score,
            "n_programs": programs,
            "notes": [
                *_notes(terms, association_score, ot_answered, as_of),
                *_status_notes(non_failures, drafts, len(claims)),
            ],
            "params_hash": params_hash,
            "params": params,
        }
    )


def _genetic_score(association_score: float | None) -> float:
    """s for the genetic deficit: a missing score counts as 0 (the notes say so)."""
    if association_score is None:
        return 0.0
    if not 0.0 <= association_score <= 1.0:
        raise ValueError(f"association score must lie in [0, 1]: {association_score!r}")
    return association_score


def _sums(terms: Sequence[_Term]) -> tuple[float, float, float]:
    """Σw, Σw·σ and Σw·decay: the only per-claim aggregates the components use."""
    return (
        math.fsum([t.w for t in terms]),
        math.fsum([t.w * t.sigma for t in terms]),
        math.fsum([t.w * t.decay for t in terms]),
    )


def _raw_components(
    sum_w: float, sum_ws: float, sum_wd: float, s: float, n_t: int, params: MrsParams
) -> dict[ComponentKey, float]:
    """The five unrounded components of MRS.md, in display order."""
    return {
        "phase_burden": 40 * min(1.0, sum_w / params.burden_saturation),
        "archetype_severity": 25 * min(1.0, sum_ws / params.severity_saturation),
        "temporal_recency": 15 * min(1.0, sum_wd / params.recency_saturation),
        "genetic_deficit": 15 * (1.0 - s),
        "programmatic_saturation": 5 * n_t / (n_t + 1),
    }


def _total_and_band(sum_raw: float, params: MrsParams) -> tuple[int, Band]:
    total = int(_half_up(sum_raw, 0))
    band: Band = (
        "RED" if total >= params.red_from else "YELLOW" if total >= params.yellow_from else "GREEN"
    )
    return total, band


def _half_up(value: float, places: int) -> float:
    """Half up at `places` decimals, on the value first snapped to 1e-9 (round(x, 9) is exact
    decimal rounding in Python), so binary noise at an exact half does not flip the display:
    15 × (1 − 0.9) = 1.4999999999999996 shows as 1.5. The 1e-9 slack in scaled units absorbs
    the product's rounding error and is far below the snapping step."""
    scale = 10.0**places
    return math.floor(round(value, 9) * scale + 0.5 + 1e-9) / scale


def _counts(terms: Sequence[_Term]) -> list[dict[str, Any]]:
    """Non-zero cells of phase × archetype, in trial order then severity order."""
    tally: dict[tuple[str | None, Archetype], int] = {}
    for t in terms:
        cell = (t.claim.phase, t.claim.archetype)
        tally[cell] = tally.get(cell, 0) + 1
    return [
        {"phase": phase, "archetype": archetype, "count": count}
        for (phase, archetype), count in sorted(
            tally.items(), key=lambda item: (_PHASE_RANK[item[0][0]], severity_rank(item[0][1]))
        )
    ]


def _most_informative(terms: Sequence[_Term], claims: Sequence[Claim]) -> dict[str, Any] | None:
    """Largest w·σ·decay; ties → latest event, then larger w·σ (undated ties), then key, so the
    choice never depends on the order the store returned the claims."""
    if not terms:
        return None
    best = min(
        terms,
        key=lambda t: (
            -round(t.w * t.sigma * t.decay, 12),
            -(t.event_day.toordinal() if t.event_day else 0),
            -round(t.w * t.sigma, 12),
            t.claim.key,
        ),
    )
    claim = next(c for c in claims if c.key == best.claim.key)
    return {
        "key": claim.key,
        "nct_id": claim.nct_id,
        "drug": claim.drug,
        "headline": claim.headline,
        "phase": claim.phase,
        "archetype": claim.archetype,
        "event_date": best.claim.event_date,
        "score": best.w * best.sigma * best.decay,
    }


def _notes(
    terms: Sequence[_Term], association_score: float | None, ot_answered: bool, as_of: date
) -> list[str]:
    notes: list[str] = []
    if association_score is None:
        notes.append(
            "No Open Targets association score for this pair: s treated as 0 "
            "(genetic evidence deficit at its maximum)."
        )
    if not ot_answered:
        notes.append(
            "Open Targets did not answer for the target's drugs: n_t counts the claims table alone."
        )
    if not terms:
        notes.append("No documented failures on this pair: burden, severity and recency are 0.")

    unknown_arch: list[_Term] = []
    no_phase: list[_Term] = []
    undated: list[_Term] = []
    future: list[_Term] = []
    for t in terms:
        if t.claim.archetype not in SEVERITY_ORDER:
            unknown_arch.append(t)
        if t.claim.phase is None:
            no_phase.append(t)
        if t.claim.event_date is None:
            undated.append(t)
        elif _event_days(t.claim.event_date)[0] > as_of:
            future.append(t)
    if unknown_arch:
        notes.append(
            f"{len(unknown_arch)} claim(s) with an unknown archetype ({_listed(unknown_arch)}): "
            f"severity {unknown_arch[0].sigma:g} (unknown_archetype_severity; by default the "
            "operational weight), not presumed efficacy or safety."
        )
    if no_phase:
        notes.append(
            f"{len(no_phase)} claim(s) with no phase ({_listed(no_phase)}): counted, but weight "
            f"{no_phase[0].w:g}, so no phase burden, severity or recency."
        )
    if undated:
        notes.append(
            f"{len(undated)} claim(s) with no event date ({_listed(undated)}): "
            "no recency contribution."
        )
    if future:
        notes.append(
            f"{len(future)} claim(s) with an event after the analysis date {as_of.isoformat()} "
            f"({_listed(future)}): Δt set to 0."
        )
    return notes


def _status_notes(non_failures: list[str], drafts: list[str], n_claims: int) -> list[str]:
    """What the score rests on: successes left out, and claims nobody has published yet."""
    notes: list[str] = []
    if non_failures:
        notes.append(
            f"{len(non_failures)} claim(s) stopped for success or a met endpoint "
            f"({_listed_keys(non_failures)}): not failures, so no burden, severity or recency "
            "(still counted as programs in n_t)."
        )
    if drafts:
        notes.append(
            f"{len(drafts)} of {n_claims} claims are drafts (not yet published): "
            f"{_listed_keys(drafts)}; counted like published claims."
        )
    return notes


def _listed(selected: list[_Term]) -> str:
    return _listed_keys([t.claim.key for t in selected])


def _listed_keys(keys: Sequence[str]) -> str:
    """At most five claim keys: a note names its claims without flooding a 400-claim pair."""
    return ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")


# --- sentences -----------------------------------------------------------------------------


def headline(result: MrsResult) -> str:
    """One line for titles and cards, e.g. "MRS 33/100 (YELLOW)"."""
    return f"MRS {result.total}/100 ({result.band})"


def summarize(result: MrsResult, target: str, disease: str) -> MrsSummary:
    """The counts sentence of the MRS paragraph, with its numbers for a template.

    One claim is one documented failed program; phases are bucketed by `PHASE_BUCKET`; Phase 4
    and the unknown phase/archetype counts are mentioned only when non-zero; programs that
    stopped for success are named after the failures, never counted among them."""
    buckets = dict.fromkeys(BUCKET_ORDER, 0)
    archetypes: dict[str, int] = dict.fromkeys(ARCHETYPES, 0)
    for cell in result.counts:
        buckets[PHASE_BUCKET[cell.phase]] += cell.count
        archetypes[cell.archetype] += cell.count
    n = result.n_claims
    lead = f"{n} {_plural(n, 'program')} {'has' if n == 1 else 'have'} been documented"
    lead += f" for {target} in {disease}"
    if n == 0:
        text = lead + "."
    else:
        phases = [f"{buckets['Phase 4']} Phase 4"] if buckets["Phase 4"] else []
        phases += [f"{buckets[b]} {b}" for b in ("Phase 3", "Phase 2", "Phase 1")]
        if buckets["unknown"]:
            phases.append(f"{buckets['unknown']} of unknown phase")
        kinds = [f"{archetypes[a]} {a}" for a in SEVERITY_ORDER]
        if archetypes["unknown"]:
            kinds.append(f"{archetypes['unknown']} of unknown archetype")
        text = f"{lead}: {', '.join(phases)} — of which {', '.join(kinds)}."
    if result.non_failures:
        k = len(result.non_failures)
        text += (
            f" {k} further {_plural(k, 'program')} stopped for success or a met endpoint "
            f"{'is' if k == 1 else 'are'} not counted as {'a failure' if k == 1 else 'failures'}."
        )
    return MrsSummary(
        target=target,
        disease=disease,
        n_programs=n,
        phase_buckets=buckets,
        archetypes=archetypes,
        headline=headline(result),
        text=text,
    )


def _plural(n: int, noun: str) -> str:
    return noun if n == 1 else noun + "s"
