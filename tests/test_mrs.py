"""MRS: the calibration case of MRS.md exactly, its other checks, and its properties."""

from __future__ import annotations

import gc
import json
import random
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from drafter.claims import ClaimsStore
from drafter.models import PHASE_ORDER, Claim
from drafter.mrs import (
    COMPONENTS,
    DEFAULT_PARAMS,
    MrsParams,
    MrsResult,
    ProgramRef,
    compute_mrs,
    compute_mrs_table,
    compute_mrs_table_rows,
    count_programs,
    headline,
    mrs_input,
    pair_key,
    summarize,
    target_key,
)
from drafter.rulebook import (
    ARCHETYPES,
    CATEGORIES,
    Archetype,
    allowed_archetypes,
)
from tests.factories import FAILURE_CATEGORY

AS_OF = date(2026, 5, 20)
TARGET = "LILRA4"
DISEASE = "discoid lupus erythematosus"
DAX_OT = ProgramRef(chembl_id="CHEMBL4594330", name="DAXDILIMAB")


def claim(**fields: Any) -> Claim:
    base: dict[str, Any] = {
        "drug": "daxdilimab",
        "target_symbol": TARGET,
        "disease_name": DISEASE,
        "phase": "PHASE2",
        "archetype": "operational",
    }
    base.update(fields)
    base.setdefault("category", FAILURE_CATEGORY[base["archetype"]])
    return Claim(**base)


def fresh(phase: str, archetype: str, drug: str = "daxdilimab") -> Claim:
    return claim(drug=drug, phase=phase, archetype=archetype, termination_posted=AS_OF.isoformat())


DAXDILIMAB = claim(
    nct_id="NCT05591222",
    drug_chembl_id="CHEMBL4594330",
    primary_completion="2025-05-08",
    termination_posted="2026-05-14",
    headline="Daxdilimab in discoid lupus: Amgen walks away from the ILT7 chair",
    status="published",  # as in the seed file
    sources=["https://clinicaltrials.gov/study/NCT05591222"],
)


def raw(result: MrsResult, key: Any) -> float:
    return result.component(key).raw


# --- MRS.md calibration and checks ---------------------------------------------------------


def test_calibration_case_reproduces_exactly() -> None:
    result = compute_mrs([DAXDILIMAB], 0.092, [DAX_OT], AS_OF)
    points = [c.points for c in result.components]
    assert points == [10.7, 2.0, 4.3, 13.6, 2.5]
    raws = [c.raw for c in result.components]
    assert raws == pytest.approx([10.667, 2.000, 4.266, 13.62, 2.5], abs=1e-3)
    assert result.sum_raw == pytest.approx(33.05, abs=1e-2)
    assert (result.total, result.band) == (33, "YELLOW")
    assert result.n_programs.n_t == 1
    assert result.components[2].inputs["delta_t_years"][0] == pytest.approx(0.01643, abs=1e-5)
    assert [(c.key, c.heading, c.max) for c in result.components] == [
        (k, h, m) for k, h, m in COMPONENTS
    ]
    assert result.notes == []
    assert headline(result) == "MRS 33/100 (YELLOW)"


def test_calibration_without_open_targets_uses_claims_alone() -> None:
    result = compute_mrs([DAXDILIMAB], 0.092, None, AS_OF)
    assert result.total == 33
    assert result.n_programs.n_t == 1
    assert result.n_programs.from_opentargets is None
    assert result.n_programs.sources == ["claims"]
    assert any("claims table alone" in note for note in result.notes)


@pytest.mark.parametrize(
    ("phase", "archetype", "total", "band"),
    [("PHASE3", "efficacy", 92, "RED"), ("PHASE2", "efficacy", 38, "YELLOW")],
)
def test_fresh_failures(phase: str, archetype: str, total: int, band: str) -> None:
    result = compute_mrs([fresh(phase, archetype)], 0.092, [DAX_OT], AS_OF)
    assert (result.total, result.band) == (total, band)
    assert result.n_programs.n_t == 1


@pytest.mark.parametrize(
    ("phase", "s", "n_t", "total"),
    [("PHASE1", 0.83, 40, 16), ("PHASE2", 0.6, 3, 27)],  # BG-60366/EGFR, zodasiran/ANGPTL3
)
def test_consistent_with_the_seeds_other_published_scores(
    phase: str, s: float, n_t: int, total: int
) -> None:
    ot = [ProgramRef(name=f"drug {i}") for i in range(n_t - 1)]
    result = compute_mrs([fresh(phase, "operational")], s, ot, AS_OF)
    assert result.n_programs.n_t == n_t
    assert result.total == total


def test_no_failures_no_programs_is_green() -> None:
    result = compute_mrs([], 0.092, [], AS_OF)
    assert (result.total, result.band) == (14, "GREEN")
    assert result.n_programs.n_t == 0
    assert result.most_informative_failure is None
    assert result.counts == []


def test_json_dump_has_the_contract_fields() -> None:
    dumped = compute_mrs([DAXDILIMAB], 0.092, [DAX_OT], AS_OF).model_dump(mode="json")
    json.dumps(dumped)
    assert dumped["total"] == 33 and dumped["band"] == "YELLOW"
    assert {"key", "heading", "points", "raw", "max", "inputs"} <= set(dumped["components"][0])
    assert dumped["counts"] == [{"phase": "PHASE2", "archetype": "operational", "count": 1}]
    assert dumped["as_of"] == "2026-05-20"
    assert dumped["params"]["phase_weights"]["PHASE2"] == 0.2
    assert MrsResult.model_validate(dumped).total == 33


# --- inputs the spec leaves open -------------------------------------------------------------


def test_missing_association_score_is_zero_with_a_note() -> None:
    result = compute_mrs([DAXDILIMAB], None, [DAX_OT], AS_OF)
    assert result.association_score is None
    assert result.component("genetic_deficit").raw == 15.0
    assert result.component("genetic_deficit").inputs["s"] == 0.0
    assert any("s treated as 0" in note for note in result.notes)


@pytest.mark.parametrize("s", [-0.1, 1.5, float("nan")])
def test_association_score_out_of_range_is_refused(s: float) -> None:
    with pytest.raises(ValueError):
        compute_mrs([], s, [], AS_OF)


def test_unknown_archetype_counts_as_operational_with_a_note() -> None:
    unknown = compute_mrs(
        [claim(archetype="unknown", termination_posted="2026-01-01")], 0.5, [], AS_OF
    )
    operational = compute_mrs([claim(termination_posted="2026-01-01")], 0.5, [], AS_OF)
    assert raw(unknown, "archetype_severity") == raw(operational, "archetype_severity")
    assert any("unknown archetype" in note for note in unknown.notes)


def test_unknown_phase_is_counted_but_carries_no_burden() -> None:
    result = compute_mrs(
        [claim(phase=None, archetype="efficacy", termination_posted="2026-05-01")], 0.5, [], AS_OF
    )
    for key in ("phase_burden", "archetype_severity", "temporal_recency"):
        assert raw(result, key) == 0.0
    assert result.n_claims == 1 and result.n_programs.n_t == 1
    assert result.counts[0].phase is None
    assert any("no phase" in note for note in result.notes)


def test_undated_claim_adds_burden_but_no_recency() -> None:
    result = compute_mrs([claim(archetype="efficacy")], 0.5, [], AS_OF)
    assert raw(result, "phase_burden") > 0 and raw(result, "archetype_severity") > 0
    assert raw(result, "temporal_recency") == 0.0
    assert any("no event date" in note for note in result.notes)


def test_partial_date_uses_its_latest_day() -> None:
    as_of = date(2026, 6, 10)
    month = compute_mrs([claim(termination_posted="2026-05")], 0.5, [], as_of)
    last_day = compute_mrs([claim(termination_posted="2026-05-31")], 0.5, [], as_of)
    assert raw(month, "temporal_recency") == raw(last_day, "temporal_recency")
    assert month.component("temporal_recency").inputs["event_day"][0] == "2026-05-31"
    year = compute_mrs([claim(termination_posted="2026")], 0.5, [], as_of)
    assert year.component("temporal_recency").inputs["delta_t_years"][0] == 0.0
    assert not any("after the analysis date" in note for note in year.notes)


def test_event_after_as_of_never_gives_negative_delta_t() -> None:
    result = compute_mrs([claim(termination_posted="2026-07-01")], 0.5, [], AS_OF)
    assert result.component("temporal_recency").inputs["delta_t_years"][0] == 0.0
    assert any("after the analysis date" in note for note in result.notes)


def test_rounding_is_half_up_despite_float_noise() -> None:
    # 15 × (1 − 0.9) is 1.4999999999999996 in binary floating point.
    result = compute_mrs([], 0.9, [], AS_OF)
    assert result.component("genetic_deficit").points == 1.5
    assert result.total == 2


# --- non-failures and drafts ----------------------------------------------------------------


def success(category: str = "Endpoint_Met", phase: str = "PHASE3", **fields: Any) -> Claim:
    return claim(
        nct_id="NCT09999999",
        drug="winner-mab",
        phase=phase,
        category=category,
        termination_posted=AS_OF.isoformat(),
        **fields,
    )


def test_a_phase3_trial_that_met_its_endpoint_is_not_a_failure() -> None:
    result = compute_mrs([success()], 0.092, [DAX_OT], AS_OF)
    assert result.band != "RED"
    for key in BURDENS:
        assert raw(result, key) == 0.0
    assert result.non_failures == ["NCT09999999"]
    assert result.n_claims == 0 and result.counts == []
    assert result.most_informative_failure is None
    assert result.n_programs.n_t == 2  # a program is a program: it still counts in n_t
    assert any("NCT09999999" in note and "not failures" in note for note in result.notes)


@pytest.mark.parametrize("category", ["Success", "Endpoint_Met"])
def test_non_failures_add_nothing_to_a_failure(category: str) -> None:
    alone = compute_mrs([DAXDILIMAB], 0.092, [DAX_OT], AS_OF)
    both = compute_mrs([DAXDILIMAB, success(category)], 0.092, [DAX_OT], AS_OF)
    assert [raw(both, key) for key in BURDENS] == [raw(alone, key) for key in BURDENS]
    assert both.most_informative_failure == alone.most_informative_failure
    assert both.n_claims == 1 and both.non_failures == ["NCT09999999"]
    summary = summarize(both, TARGET, DISEASE)
    assert summary.n_programs == 1
    assert summary.text.endswith(
        "1 operational. 1 further program stopped for success or a met endpoint is not "
        "counted as a failure."
    )


def test_draft_claims_count_like_published_ones_and_are_named() -> None:
    draft = DAXDILIMAB.model_copy(update={"status": "draft"})
    published = compute_mrs([DAXDILIMAB], 0.092, [DAX_OT], AS_OF)
    drafted = compute_mrs([draft], 0.092, [DAX_OT], AS_OF)
    assert drafted.total == published.total == 33
    assert (published.draft_claims, drafted.draft_claims) == ([], ["NCT05591222"])
    assert "1 of 1 claims are drafts (not yet published): NCT05591222" in drafted.notes[-1]
    two = compute_mrs(
        [draft, success(status="published", sources=DAXDILIMAB.sources)], 0.5, [], AS_OF
    )
    assert "1 of 2 claims are drafts (not yet published)" in two.notes[-1]


# --- n_t ---------------------------------------------------------------------------------


def test_programs_deduplicate_by_chembl_id() -> None:
    ot = [DAX_OT, ProgramRef(chembl_id="chembl4594330", name="HZN-7734"), ProgramRef(name="other")]
    counted = count_programs(ot, [DAXDILIMAB])
    assert counted.n_t == 2
    assert (counted.from_opentargets, counted.from_claims) == (2, 1)
    assert counted.sources == ["opentargets", "claims"]


def test_programs_deduplicate_by_normalised_name() -> None:
    ot = [ProgramRef(name="ARO-ANG3"), ProgramRef(name="aro ang3")]
    claims = [claim(drug="AroAng3"), claim(drug="Aro\u2010ANG 3"), claim(drug="zodasiran")]
    counted = count_programs(ot, claims)
    assert counted.n_t == 2
    assert counted.programs == ["ARO-ANG3", "zodasiran"]


def test_name_only_entry_joins_an_id_but_two_ids_never_merge() -> None:
    ot = [
        ProgramRef(chembl_id="CHEMBL1", name="Drug A"),
        ProgramRef(chembl_id="CHEMBL2", name="drug a"),
    ]
    assert count_programs(ot, [claim(drug="DRUG-A")]).n_t == 2
    assert (
        count_programs(
            [ProgramRef(name="drug a")],
            [
                claim(drug="x", drug_chembl_id="CHEMBL9"),
                claim(drug="Drug A", drug_chembl_id="CHEMBL1"),
            ],
        ).n_t
        == 2
    )


def test_target_claims_in_other_indications_count_towards_n_t() -> None:
    elsewhere = claim(drug="other-mab", disease_name="systemic lupus erythematosus")
    result = compute_mrs(
        [DAXDILIMAB], 0.092, [DAX_OT], AS_OF, target_claims=[elsewhere, DAXDILIMAB]
    )
    assert result.n_programs.n_t == 2
    assert result.component("programmatic_saturation").raw == pytest.approx(5 * 2 / 3)


# --- most informative failure --------------------------------------------------------------


def test_most_informative_failure_is_the_largest_weighted_term() -> None:
    old_phase3 = claim(
        nct_id="NCT00000003", phase="PHASE3", archetype="efficacy", termination_posted="2016-01-01"
    )
    recent_phase2 = claim(
        nct_id="NCT00000002", phase="PHASE2", archetype="efficacy", termination_posted="2026-05-01"
    )
    best = compute_mrs([old_phase3, recent_phase2], 0.5, [], AS_OF).most_informative_failure
    # 0.7·2^(−10.4/2.5) ≈ 0.039 < 0.2·2^(−0.05/2.5) ≈ 0.197
    assert best is not None and best.key == "NCT00000002"
    assert best.headline is None and best.event_date == "2026-05-01"


def test_most_informative_failure_tie_goes_to_the_latest_event() -> None:
    # Both events lie after as_of (Δt = 0), so the scores tie exactly; the later event wins.
    early = claim(nct_id="NCT00000001", termination_posted="2026-06-01")
    late = claim(nct_id="NCT00000009", termination_posted="2026-07-01")
    for order in ([early, late], [late, early]):
        best = compute_mrs(order, 0.5, [], AS_OF).most_informative_failure
        assert best is not None and best.key == "NCT00000009"


def test_most_informative_failure_of_the_calibration_case() -> None:
    best = compute_mrs([DAXDILIMAB], 0.092, [DAX_OT], AS_OF).most_informative_failure
    assert best is not None
    assert (best.nct_id, best.drug) == ("NCT05591222", "daxdilimab")
    assert best.headline is not None and best.headline.startswith("Daxdilimab in discoid lupus")


# --- summary -------------------------------------------------------------------------------


def test_summary_sentence_of_the_calibration_case() -> None:
    summary = summarize(compute_mrs([DAXDILIMAB], 0.092, [DAX_OT], AS_OF), TARGET, DISEASE)
    assert summary.text == (
        "1 program has been documented for LILRA4 in discoid lupus erythematosus: "
        "0 Phase 3, 1 Phase 2, 0 Phase 1 — of which 0 efficacy, 0 safety, 0 biomarker, "
        "1 operational."
    )
    assert summary.headline == "MRS 33/100 (YELLOW)"
    assert summary.phase_buckets == {
        "Phase 4": 0,
        "Phase 3": 0,
        "Phase 2": 1,
        "Phase 1": 0,
        "unknown": 0,
    }
    assert summary.archetypes["operational"] == 1 and summary.n_programs == 1


def test_summary_plurals() -> None:
    none = summarize(compute_mrs([], 0.5, [], AS_OF), TARGET, DISEASE)
    assert none.text == "0 programs have been documented for LILRA4 in discoid lupus erythematosus."
    two = summarize(
        compute_mrs([DAXDILIMAB, fresh("PHASE3", "efficacy")], 0.5, [], AS_OF), TARGET, DISEASE
    )
    assert two.text.startswith("2 programs have been documented for LILRA4")
    assert "1 Phase 3, 1 Phase 2, 0 Phase 1 — of which 1 efficacy, 0 safety" in two.text


def test_summary_buckets_and_optional_mentions() -> None:
    claims = [
        fresh("PHASE2/PHASE3", "safety"),
        fresh("PHASE1/PHASE2", "biomarker"),
        fresh("EARLY_PHASE1", "efficacy"),
        fresh("PHASE4", "unknown"),
        claim(phase=None),
    ]
    summary = summarize(compute_mrs(claims, 0.5, [], AS_OF), TARGET, DISEASE)
    assert summary.phase_buckets == {
        "Phase 4": 1,
        "Phase 3": 1,
        "Phase 2": 1,
        "Phase 1": 1,
        "unknown": 1,
    }
    assert summary.text == (
        "5 programs have been documented for LILRA4 in discoid lupus erythematosus: "
        "1 Phase 4, 1 Phase 3, 1 Phase 2, 1 Phase 1, 1 of unknown phase — of which "
        "1 efficacy, 1 safety, 1 biomarker, 1 operational, 1 of unknown archetype."
    )


# --- parameters ----------------------------------------------------------------------------


def test_params_hash_is_stable_and_follows_the_parameters() -> None:
    first = compute_mrs([DAXDILIMAB], 0.092, [DAX_OT], AS_OF)
    again = compute_mrs([DAXDILIMAB], 0.092, [DAX_OT], AS_OF, params=MrsParams())
    assert first.params_hash == again.params_hash == DEFAULT_PARAMS.digest()
    assert len(first.params_hash) == 64
    changed = MrsParams(half_life_years=3.0)
    assert changed.digest() != DEFAULT_PARAMS.digest()
    weights = {**DEFAULT_PARAMS.phase_weights, "PHASE4": 0.9}
    assert MrsParams(phase_weights=weights).digest() != DEFAULT_PARAMS.digest()
    result = compute_mrs([DAXDILIMAB], 0.092, [DAX_OT], AS_OF, params=changed)
    assert result.params_hash == changed.digest() and result.params.half_life_years == 3.0


def test_params_that_break_the_properties_are_refused() -> None:
    with pytest.raises(ValidationError):
        MrsParams(phase_weights={**DEFAULT_PARAMS.phase_weights, "PHASE3": 0.1})
    with pytest.raises(ValidationError):
        MrsParams(archetype_severity={**DEFAULT_PARAMS.archetype_severity, "operational": 2.0})
    with pytest.raises(ValidationError):
        MrsParams(unknown_phase_weight=0.06)
    with pytest.raises(ValidationError):
        MrsParams(yellow_from=60)
    with pytest.raises(ValidationError):
        MrsParams(archetype_severity={"efficacy": 1.0})
    with pytest.raises(ValidationError):
        DEFAULT_PARAMS.half_life_years = 1.0  # type: ignore[misc]


def test_the_library_never_switches_the_garbage_collector(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The collector is process-wide: a library that pauses it surprises every other thread."""

    def refuse(*args: object) -> None:
        raise AssertionError("library code switched the garbage collector")

    for name in ("disable", "enable", "freeze", "unfreeze", "set_threshold"):
        monkeypatch.setattr(gc, name, refuse)
    with ClaimsStore(tmp_path / "gc.sqlite3") as store:
        store.upsert_many([DAXDILIMAB])
        claims = store.all()
        rows = store.mrs_inputs()
    assert compute_mrs_table(claims, AS_OF) == compute_mrs_table_rows(rows, AS_OF)
    compute_mrs(claims, 0.092, [DAX_OT], AS_OF)


def test_store_rows_are_what_the_score_reads_from_claims(tmp_path: Path) -> None:
    """The whole-table path reads compact rows from the store, not Claim models; both say
    the same thing about every claim."""
    varied = [
        DAXDILIMAB,
        success(),
        claim(nct_id="NCT00000005", archetype="efficacy", primary_completion="2024-02"),
        claim(drug="undated", phase=None, archetype="safety", disease_name="SLE"),
        claim(drug="year", target_symbol="IFNAR1", event_date_override="2019"),
    ]
    with ClaimsStore(tmp_path / "rows.sqlite3") as store:
        store.upsert_many(varied)
        rows = store.mrs_inputs()
        stored = store.all()
    assert sorted(rows) == sorted(mrs_input(c) for c in varied)
    assert compute_mrs_table_rows(rows, AS_OF) == compute_mrs_table(stored, AS_OF)


def test_table_agrees_with_single_pairs() -> None:
    other = claim(
        drug="zodasiran",
        target_symbol="ANGPTL3",
        disease_name="HoFH",
        phase="PHASE2",
        termination_posted="2026-05-01",
    )
    elsewhere = claim(drug="other-mab", disease_name="SLE", termination_posted="2020-01-01")
    table = compute_mrs_table(
        [DAXDILIMAB, other, elsewhere],
        AS_OF,
        association_scores={pair_key(TARGET, DISEASE): 0.092},
        target_programs={target_key(TARGET): [DAX_OT]},
    )
    assert set(table) == {
        pair_key(TARGET, DISEASE),
        pair_key("ANGPTL3", "hofh"),
        pair_key(TARGET, "sle"),
    }
    single = compute_mrs([DAXDILIMAB], 0.092, [DAX_OT], AS_OF, target_claims=[elsewhere])
    row = table[pair_key(TARGET, DISEASE)]
    assert (row.total, row.band, row.n_claims) == (single.total, single.band, single.n_claims)
    assert list(row.points) == [c.points for c in single.components]
    assert row.params_hash == single.params_hash
    assert table[pair_key("angptl3", "HoFH")].points[3] == 15.0  # no score given: s = 0


# --- properties (MRS.md "Properties") -------------------------------------------------------

PHASES: tuple[str | None, ...] = (None, *PHASE_ORDER)  # None carries the lowest weight
BURDENS = ("phase_burden", "archetype_severity", "temporal_recency")


@st.composite
def partial_dates(draw: st.DrawFn) -> str:
    day = draw(st.dates(date(2000, 1, 1), date(2030, 12, 31)))
    return draw(st.sampled_from([day.isoformat(), day.isoformat()[:7], str(day.year)]))


@st.composite
def claims(draw: st.DrawFn) -> Claim:
    category = draw(st.sampled_from(CATEGORIES))
    return Claim(
        nct_id=draw(st.none() | st.integers(0, 99_999_999).map(lambda n: f"NCT{n:08d}")),
        drug=draw(
            st.sampled_from(["daxdilimab", "Dax-dilimab", "litifilimab", "zodasiran", "X 1"])
        ),
        drug_chembl_id=draw(st.none() | st.sampled_from(["CHEMBL1", "CHEMBL2"])),
        target_symbol=TARGET,
        disease_name=DISEASE,
        phase=draw(st.sampled_from(PHASES)),
        category=category,
        archetype=draw(st.sampled_from(allowed_archetypes(category))),
        termination_posted=draw(st.none() | partial_dates()),
        primary_completion=draw(st.none() | partial_dates()),
    )


claim_lists = st.lists(claims(), max_size=8)
scores = st.none() | st.floats(0.0, 1.0)
programs = st.none() | st.lists(
    st.builds(
        ProgramRef,
        chembl_id=st.none() | st.sampled_from(["CHEMBL1", "CHEMBL3"]),
        name=st.sampled_from(["a", "B-1", "b1", "c"]),
    ),
    max_size=5,
)
as_of_dates = st.dates(date(2000, 1, 1), date(2030, 12, 31))


def replaced(items: Sequence[Claim], index: int, **update: Any) -> list[Claim]:
    items = list(items)
    items[index] = Claim.model_validate({**items[index].model_dump(), **update})
    return items


def failure(items: Sequence[Claim], index: int, archetype: Archetype) -> list[Claim]:
    """The claims with one of them made a failure of this archetype."""
    return replaced(items, index, archetype=archetype, category=FAILURE_CATEGORY[archetype])


def assert_not_lower(before: MrsResult, after: MrsResult, keys: Sequence[str]) -> None:
    for key in keys:
        b, a = before.component(key), after.component(key)  # type: ignore[arg-type]
        assert a.raw >= b.raw, key
        assert a.points >= b.points, key


@given(claim_lists, scores, programs, as_of_dates, st.lists(claims(), max_size=3))
def test_each_component_lies_in_its_range(
    pair: list[Claim],
    s: float | None,
    ot: list[ProgramRef] | None,
    as_of: date,
    target: list[Claim],
) -> None:
    result = compute_mrs(pair, s, ot, as_of, target_claims=target)
    for component in result.components:
        assert 0.0 <= component.raw <= component.max
        assert 0.0 <= component.points <= component.max
    assert 0 <= result.total <= 100
    assert result.band == (
        "RED" if result.total >= 50 else "YELLOW" if result.total >= 25 else "GREEN"
    )


@given(claim_lists, claims(), st.integers(0, 8), scores, programs, as_of_dates)
def test_adding_a_failure_never_lowers_the_burden(
    pair: list[Claim],
    extra: Claim,
    at: int,
    s: float | None,
    ot: list[ProgramRef] | None,
    as_of: date,
) -> None:
    before = compute_mrs(pair, s, ot, as_of)
    after = compute_mrs([*pair[:at], extra, *pair[at:]], s, ot, as_of)
    assert_not_lower(before, after, BURDENS)


@given(st.lists(claims(), min_size=1, max_size=8), st.data(), as_of_dates)
def test_a_later_phase_never_lowers_the_burden(
    pair: list[Claim], data: st.DataObject, as_of: date
) -> None:
    index = data.draw(st.integers(0, len(pair) - 1))
    low, high = sorted(data.draw(st.lists(st.integers(0, len(PHASES) - 1), min_size=2, max_size=2)))
    before = compute_mrs(replaced(pair, index, phase=PHASES[low]), 0.5, [], as_of)
    after = compute_mrs(replaced(pair, index, phase=PHASES[high]), 0.5, [], as_of)
    assert_not_lower(before, after, BURDENS)


@given(st.lists(claims(), min_size=1, max_size=8), st.data(), as_of_dates)
def test_a_more_severe_archetype_never_lowers_severity(
    pair: list[Claim], data: st.DataObject, as_of: date
) -> None:
    ranked = ARCHETYPES  # most severe first; unknown weighs as operational
    index = data.draw(st.integers(0, len(pair) - 1))
    severe, mild = sorted(
        data.draw(st.lists(st.integers(0, len(ranked) - 1), min_size=2, max_size=2))
    )
    before = compute_mrs(failure(pair, index, ranked[mild]), 0.5, [], as_of)
    after = compute_mrs(failure(pair, index, ranked[severe]), 0.5, [], as_of)
    assert_not_lower(before, after, ("archetype_severity",))


@given(st.lists(claims(), min_size=1, max_size=8), st.data(), as_of_dates)
def test_a_more_recent_event_never_lowers_recency(
    pair: list[Claim], data: st.DataObject, as_of: date
) -> None:
    index = data.draw(st.integers(0, len(pair) - 1))
    earlier = data.draw(st.dates(date(2000, 1, 1), date(2030, 12, 31)))
    later = earlier + timedelta(days=data.draw(st.integers(0, 4000)))
    before = compute_mrs(
        replaced(pair, index, event_date_override=earlier.isoformat()), 0.5, [], as_of
    )
    after = compute_mrs(
        replaced(pair, index, event_date_override=later.isoformat()), 0.5, [], as_of
    )
    assert_not_lower(before, after, ("temporal_recency",))
    # and a dated event never contributes less than an undated one
    undated = compute_mrs(
        replaced(pair, index, termination_posted=None, primary_completion=None), 0.5, [], as_of
    )
    assert_not_lower(undated, before, ("temporal_recency",))


@given(claim_lists, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_a_higher_association_score_never_raises_the_deficit(
    pair: list[Claim], a: float, b: float
) -> None:
    low, high = sorted((a, b))
    at_low = compute_mrs(pair, low, [], AS_OF).component("genetic_deficit")
    at_high = compute_mrs(pair, high, [], AS_OF).component("genetic_deficit")
    assert at_high.raw <= at_low.raw and at_high.points <= at_low.points
    assert compute_mrs(pair, None, [], AS_OF).component("genetic_deficit").raw >= at_low.raw


new_programs = st.lists(
    st.builds(
        ProgramRef,
        chembl_id=st.none() | st.integers(100, 999).map(lambda n: f"CHEMBL{n}"),
        name=st.text(min_size=1, max_size=6),
    ),
    max_size=5,
)


@given(claim_lists, programs, new_programs, st.data())
def test_more_programs_never_lower_saturation(
    pair: list[Claim], ot: list[ProgramRef] | None, more: list[ProgramRef], data: st.DataObject
) -> None:
    """More programs: entries with a ChEMBL id not yet on file, or with no id at all. (A known
    id under a new name is not another program but an alias, and rightly merges two.)"""
    known = {c.drug_chembl_id for c in pair} | {p.chembl_id for p in ot or []}
    more = [p for p in more if p.chembl_id not in known or p.chembl_id is None]
    elsewhere = [
        claim(drug=p.name, drug_chembl_id=p.chembl_id, disease_name="elsewhere")
        for p in data.draw(new_programs)
        if p.chembl_id not in known or p.chembl_id is None
    ]
    before = compute_mrs(pair, 0.5, ot, AS_OF)
    after = compute_mrs(pair, 0.5, [*(ot or []), *more], AS_OF, target_claims=elsewhere)
    assert_not_lower(before, after, ("programmatic_saturation",))
    assert after.n_programs.n_t >= before.n_programs.n_t
    no_ot = compute_mrs(pair, 0.5, None, AS_OF)
    assert_not_lower(no_ot, before, ("programmatic_saturation",))


@given(claim_lists, programs, st.randoms(use_true_random=False))
def test_n_t_does_not_depend_on_the_order_of_the_entries(
    pair: list[Claim], ot: list[ProgramRef] | None, rng: random.Random
) -> None:
    shuffled_pair, shuffled_ot = list(pair), None if ot is None else list(ot)
    rng.shuffle(shuffled_pair)
    if shuffled_ot is not None:
        rng.shuffle(shuffled_ot)
    first, second = count_programs(ot, pair), count_programs(shuffled_ot, shuffled_pair)
    assert first.model_dump(exclude={"programs"}) == second.model_dump(exclude={"programs"})
    assert len(first.programs) == len(second.programs) == first.n_t


@given(claim_lists, scores, programs, as_of_dates)
def test_table_rows_agree_with_full_results(
    pair: list[Claim], score: float | None, ot: list[ProgramRef] | None, as_of: date
) -> None:
    """The compact whole-table path and the full single-pair result never disagree."""
    table = compute_mrs_table(
        pair,
        as_of,
        association_scores={pair_key(TARGET, DISEASE): score},
        target_programs={target_key(TARGET): ot},
    )
    single = compute_mrs(pair, score, ot, as_of)
    if not pair:
        assert table == {}
        return
    row = table[pair_key(TARGET, DISEASE)]
    assert (row.total, row.band, row.n_claims) == (single.total, single.band, single.n_claims)
    assert list(row.points) == [c.points for c in single.components]
