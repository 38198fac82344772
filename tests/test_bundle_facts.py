"""Every fact of every snapshot trial, checked against what it claims to come from.

A read fact's JSON pointer must resolve, in the body it names, to the fact's value; the bodies
are looked up here independently of the code that built the bundle (the snapshot files by their
request, the bundled curated facts file, the claims store). A computed fact must name inputs
that are in the bundle. Ids must not change between two builds, nor between offline and live.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from drafter import bundled
from drafter.assessment import (
    PARAMETERS_SOURCE,
    assess,
    claims_record_body,
    parameters_body,
)
from drafter.bundle import Bundle
from drafter.claims import ClaimsStore
from drafter.cli import main
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.facts import resolve_pointer, same_value
from drafter.models import Claim
from drafter.sources.api import ApiRequest
from drafter.sources.http import HttpClient
from drafter.sources.snapshot import SnapshotManifest
from tests.conftest import SEED_CLAIMS as DEFAULT_SEED_CLAIMS
from tests.conftest import SNAPSHOT_DIR, fast_settings
from tests.factories import BASE_CLAIM
from tests.servers import SnapshotServer
from tests.test_fetch import seed_trial_ids

AS_OF = date(2026, 5, 20)


def snapshot_bodies() -> dict[str, str]:
    """Record id → body text of every snapshot answer, straight from the manifests."""
    bodies: dict[str, str] = {}
    for manifest_path in SNAPSHOT_DIR.glob("*/manifest.json"):
        manifest = SnapshotManifest.model_validate_json(manifest_path.read_text())
        for entry in manifest.entries:
            request = ApiRequest(
                source=manifest_path.parent.name,  # type: ignore[arg-type]
                **entry.request.model_dump(),
            )
            bodies[request.record_id()] = (manifest_path.parent / entry.file).read_text()
    return bodies


SNAPSHOT_BODIES = snapshot_bodies()
CURATED = json.loads(bundled.CURATED_FACTS.read_text(encoding="utf-8"))


def build(tmp_path: Path, nct_id: str, **settings: Any) -> tuple[Bundle, ClaimsStore]:
    store = ClaimsStore(tmp_path / "claims.sqlite3", seed=DEFAULT_SEED_CLAIMS)
    with HttpClient(fast_settings(tmp_path, **settings)) as client:
        evidence = build_bundle(client, EvidenceQuery(nct_id=nct_id, as_of=AS_OF))
    return assess(evidence, store), store


def body_of(bundle: Bundle, store: ClaimsStore, record: str) -> Any:
    source = next(s for s in bundle.sources if s.id == record)
    if source.origin == "bundled":
        if source.source == PARAMETERS_SOURCE:
            assert bundle.assessment is not None and bundle.assessment.mrs is not None
            return parameters_body(bundle.assessment.mrs.result)
        return CURATED
    if source.origin == "claims table":
        assessment = bundle.assessment
        assert assessment is not None
        stored = [store.get(c.key) for c in assessment.claims]
        totals = {"pair": len(assessment.mrs.claims) if assessment.mrs else 0}
        totals |= assessment.related.totals
        return claims_record_body((c for c in stored if c is not None), totals)
    text = SNAPSHOT_BODIES[record]
    assert hashlib.sha256(text.encode()).hexdigest() == source.sha256
    return json.loads(text)


@pytest.mark.parametrize("nct_id", seed_trial_ids())
def test_every_fact_is_typed_and_traceable(nct_id: str, tmp_path: Path) -> None:
    bundle, store = build(tmp_path, nct_id, offline=True)
    ids = {f.id for f in bundle.facts}
    assert len(ids) == len(bundle.facts)
    assert any(f.id == f"ctgov:{nct_id}:nct_id" for f in bundle.facts)
    for fact in bundle.facts:
        assert fact.kind
        if fact.computed:
            assert fact.formula and fact.derived_from, fact.id
            assert set(fact.derived_from) <= ids, fact.id
            continue
        assert fact.record is not None and fact.field is not None
        raw = resolve_pointer(body_of(bundle, store, fact.record), fact.field)
        assert same_value(fact.value, raw), (fact.id, fact.value, raw)
        if fact.kind == "quote":
            assert fact.untrusted


@pytest.mark.parametrize("nct_id", seed_trial_ids())
def test_ids_and_values_are_stable_across_builds(nct_id: str, tmp_path: Path) -> None:
    first, _ = build(tmp_path / "one", nct_id, offline=True)
    second, _ = build(tmp_path / "two", nct_id, offline=True)
    assert [(f.id, f.value) for f in first.facts] == [(f.id, f.value) for f in second.facts]
    assert [s.id for s in first.sources] == [s.id for s in second.sources]


def test_live_and_offline_builds_give_the_same_facts(
    tmp_path: Path, snapshot_server: SnapshotServer
) -> None:
    """Live, the local server also answers what the snapshot lacks (PubMed's "no articles"):
    live facts are a superset, and every fact both have is identical, record id included."""
    offline, _ = build(tmp_path / "offline", "NCT05591222", offline=True)
    live, _ = build(tmp_path / "live", "NCT05591222", **snapshot_server.base_urls())
    assert {s.origin for s in live.sources} == {"network", "bundled", "claims table"}
    live_facts = {f.id: (f.value, f.record, f.field) for f in live.facts}
    for fact in offline.facts:
        assert live_facts.get(fact.id) == (fact.value, fact.record, fact.field), fact.id
    assert live.fact_value("pubmed:NCT05591222:article_count") == 0


def test_a_live_draft_by_the_offline_writer_needs_no_editor(
    tmp_path: Path, snapshot_server: SnapshotServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Live, PubMed answers (0 articles), and the offline writer lists that fact by its label
    in an 'On file' paragraph. The label read 'PubMed articles mentioning NCT05591222': an id
    no cited fact holds, so 'what actually happened' needed an editor in every live draft (and
    in every draft of a trial recorded with `drafter record`)."""
    for name, url in snapshot_server.base_urls().items():
        monkeypatch.setenv(f"DRAFTER_{name.upper()}", url)
    out = tmp_path / "out"
    argv = ["NCT05591222", "--writer", "offline", "--as-of", "2026-05-20", "--out", str(out)]
    code = main(["draft", *argv])
    draft = json.loads((out / "NCT05591222" / "draft.json").read_text("utf-8"))
    assert [s["key"] for s in draft["sections"] if s["status"] == "needs_editor"] == []
    assert code == 0
    evidence = Bundle.model_validate_json((out / "NCT05591222" / "evidence.json").read_bytes())
    assert evidence.fact_value("pubmed:NCT05591222:article_count") == 0  # it was drafted from


def test_lists_become_one_fact_per_element(tmp_path: Path) -> None:
    bundle, _ = build(tmp_path, "NCT05591222", offline=True)
    secondary = bundle.facts_with_prefix("ctgov:NCT05591222:secondary_ids.")
    assert [f.value for f in secondary] == ["HZNP-DAX-202", "2022-000831-21", "2023-509746-35-00"]
    assert all(f.kind == "id" for f in secondary)
    aliases = bundle.facts_with_prefix("reference:ENSG00000239961:aliases.")
    assert "ILT7" in [f.value for f in aliases]
    assert all(not isinstance(f.value, list) for f in bundle.facts)


def test_computed_facts_cite_their_inputs(tmp_path: Path) -> None:
    bundle, _ = build(tmp_path, "NCT05591222", offline=True)
    pair = "mrs:ENSG00000239961+discoid_lupus_erythematosus"
    total = bundle.fact(f"{pair}:total")
    assert total is not None and (total.value, total.kind, total.unit) == (33, "score", "points")
    assert bundle.fact_value(f"{pair}:band") == "YELLOW"
    expected = {
        "phase_burden": 10.7,
        "archetype_severity": 2.0,
        "temporal_recency": 4.3,
        "genetic_deficit": 13.6,
        "programmatic_saturation": 2.5,
    }
    for key, points in expected.items():
        assert bundle.fact_value(f"{pair}:components.{key}") == points
        assert f"{pair}:components.{key}" in total.derived_from
    deficit = bundle.fact(f"{pair}:components.genetic_deficit")
    assert deficit is not None and deficit.derived_from == [
        "opentargets:ENSG00000239961+discoid_lupus_erythematosus:association_score",
        f"{pair}:components.genetic_deficit.max",
    ]
    maximum = bundle.fact(f"{pair}:components.genetic_deficit.max")
    assert maximum is not None and (maximum.value, maximum.field) == (
        15,
        "/components/genetic_deficit/max",
    )
    recency = bundle.fact(f"{pair}:components.temporal_recency")
    assert recency is not None and "claims:NCT05591222:event_date" in recency.derived_from
    event = bundle.fact("claims:NCT05591222:event_date")
    assert event is not None and event.value == "2026-05-14"
    assert bundle.fact_value(f"{pair}:counts.PHASE2.operational") == 1
    assert bundle.fact_value(f"{pair}:most_informative_failure") == "NCT05591222"
    archetype = bundle.fact("classify:NCT05591222:archetype")
    assert archetype is not None and archetype.value == "operational"
    assert archetype.derived_from == ["ctgov:NCT05591222:why_stopped"]
    assert bundle.fact_value("classify:NCT05591222:categories.0") == "Business_Administrative"
    related = bundle.facts_with_prefix("related:NCT05591222:same_failure_type.")
    keys = {f.value for f in related if f.kind == "code"}
    assert "zodasiran|angptl3|homozygous familial hypercholesterolemia" in keys
    assert "NCT05591222" not in keys  # the trial's own claim is a score input, not related


def test_drafter_mrs_and_the_bundle_agree_on_the_score_facts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["fetch", "NCT05591222", "--offline", "--json", "--as-of", "2026-05-20"]) == 0
    bundle = Bundle.model_validate_json(capsys.readouterr().out)
    code = main(
        [
            "mrs",
            "--target",
            "LILRA4",
            "--disease",
            "discoid lupus erythematosus",
            "--offline",
            "--json",
            "--as-of",
            "2026-05-20",
        ]
    )
    assert code == 0
    scored = json.loads(capsys.readouterr().out)

    def score_facts(facts: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return sorted(
            (f["id"], f["kind"], f["value"], tuple(f["derived_from"]))
            for f in facts
            if f["id"].startswith("mrs:")
        )

    from_bundle = score_facts([f.model_dump(mode="json") for f in bundle.facts])
    assert len(from_bundle) > 20
    assert from_bundle == score_facts(scored["facts"])
    claim_records = {s.id for s in bundle.sources if s.request.startswith("claims where")}
    assert {s["id"] for s in scored["sources"]} & claim_records  # the same question, one record


def test_a_curated_fact_with_an_api_fact_id_is_a_visible_gap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    curated = json.loads(bundled.CURATED_FACTS.read_text(encoding="utf-8"))
    curated["facts"]["ctgov:NCT05591222:enrollment"] = {
        "subject": "NCT05591222",
        "kind": "count",
        "label": "Enrollment as a press page reports it",
        "value": 99,
        "unit": "participants",
        "source_url": "https://example.org/press",
    }
    path = tmp_path / "curated_facts.json"
    path.write_text(json.dumps(curated))
    monkeypatch.setattr(bundled, "CURATED_FACTS", path)
    bundle, _ = build(tmp_path, "NCT05591222", offline=True)
    assert bundle.fact_value("ctgov:NCT05591222:enrollment") == 72  # the source's value
    reasons = [g.reason for g in bundle.gaps if g.step == "curated facts"]
    assert any("ctgov:NCT05591222:enrollment" in r and "ClinicalTrials.gov" in r for r in reasons)


@pytest.mark.parametrize(
    "damage",
    [
        '{"note": "x", "facts": {"a": 1}}',
        "{not json",
        '{"note": "x", "note": "y", "facts": {}}',
        '{"note": "x", "facts": {"reference:NCT05591222:when": {"subject": "NCT05591222", '
        '"kind": "date", "label": "x", "value": "May 2025", "source_url": "https://a.org"}}}',
    ],
)
def test_a_damaged_bundled_file_is_an_internal_error_naming_it(
    damage: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "data" / "curated_facts.json"
    path.parent.mkdir()
    path.write_text(damage)
    monkeypatch.setattr(bundled, "CURATED_FACTS", path)
    assert main(["fetch", "NCT05591222", "--offline"]) == 4
    err = capsys.readouterr().err
    assert "curated_facts.json" in err and "reinstall" in err
    assert len(err.strip().splitlines()) == 1


def test_a_damaged_snapshot_manifest_is_an_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    copy = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT_DIR, copy)
    (copy / "ctgov" / "manifest.json").write_text('{"entries": [{"file": 3}]}')
    monkeypatch.setenv("DRAFTER_SNAPSHOT_DIR", str(copy))
    assert main(["fetch", "NCT05591222", "--offline"]) == 4
    err = capsys.readouterr().err
    assert "manifest.json" in err and "damaged" in err


def test_non_failures_and_drafts_are_facts_that_add_no_burden(tmp_path: Path) -> None:
    """A drug on the pair that stopped because it met its endpoint is listed, not scored; a
    draft claim is scored and named as a draft."""
    bundle, store = build(tmp_path, "NCT05591222", offline=True)
    pair = "mrs:ENSG00000239961+discoid_lupus_erythematosus"
    before = bundle.fact_value(f"{pair}:total")
    store.upsert(
        Claim.model_validate(
            {**BASE_CLAIM, "drug": "test-drug-met", "phase": "PHASE3", "category": "Endpoint_Met"}
        )
    )
    store.upsert(Claim.model_validate({**BASE_CLAIM, "drug": "test-drug-draft"}))
    with HttpClient(fast_settings(tmp_path / "again", offline=True)) as client:
        evidence = build_bundle(client, EvidenceQuery(nct_id="NCT05591222", as_of=AS_OF))
    after = assess(evidence, store)
    met = "test-drug-met|lilra4|discoid lupus erythematosus"
    draft = "test-drug-draft|lilra4|discoid lupus erythematosus"
    assert after.fact_value(f"{pair}:non_failures.0") == met
    assert after.fact_value(f"{pair}:non_failures.count") == 1
    assert after.fact_value(f"{pair}:draft_claims.count") == 2  # the two test claims
    assert draft in {after.fact_value(f"{pair}:draft_claims.{i}") for i in range(2)}
    assert after.fact_value(f"{pair}:n_claims") == 2  # the trial's own and the draft
    burden = after.fact(f"{pair}:components.phase_burden")
    assert burden is not None and burden.value == 21.3  # two PHASE2 failures, not PHASE3
    assert after.fact_value(f"{pair}:total") != before


def test_a_stop_for_benefit_is_a_non_failure_fact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    copy = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT_DIR, copy)
    study_path = copy / "ctgov" / "study_NCT05591222.json"
    study = json.loads(study_path.read_text())
    study["protocolSection"]["statusModule"]["whyStopped"] = (
        "Stopped early for overwhelming efficacy"
    )
    study_path.write_text(json.dumps(study))
    bundle, _ = build(tmp_path, "NCT05591222", offline=True, snapshot_dir=copy)
    fact = bundle.fact("classify:NCT05591222:non_failure")
    assert fact is not None and fact.value is True
    assert fact.derived_from == ["ctgov:NCT05591222:why_stopped"]


def test_a_damaged_curated_key_is_an_internal_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    curated = json.loads(bundled.CURATED_FACTS.read_text(encoding="utf-8"))
    curated["facts"]["no-colons-here"] = next(iter(curated["facts"].values()))
    path = tmp_path / "curated_facts.json"
    path.write_text(json.dumps(curated))
    monkeypatch.setattr(bundled, "CURATED_FACTS", path)
    assert main(["fetch", "NCT05591222", "--offline"]) == 4
    assert "is not a fact id" in capsys.readouterr().err


def test_claims_whose_keys_clean_alike_keep_their_own_facts(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """ "foo bar" and "foo_bar" are two drugs: each claim's facts keep their own ids, and the
    score's counts cite the claims they count (a hostile-review reproduction)."""
    for drug, archetype, category, phase in (
        ("foo bar", "efficacy", "Negative", "PHASE2"),
        ("foo_bar", "safety", "Safety_Sideeffects", "PHASE3"),
        ("抗体", "efficacy", "Negative", "PHASE1"),
        ("药物", "efficacy", "Negative", "PHASE1"),
    ):
        claim = {
            "drug": drug,
            "target_symbol": "LILRA4",
            "disease_name": "discoid lupus erythematosus",
            "archetype": archetype,
            "category": category,
            "phase": phase,
        }
        assert main(["claims", "add", "--json-claim", json.dumps(claim)]) == 0
    capsys.readouterr()
    argv = ["mrs", "--target", "LILRA4", "--disease", "discoid lupus erythematosus"]
    assert main([*argv, "--as-of", "2026-05-20", "--offline", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    facts = {f["id"]: f for f in document["facts"]}
    phases = sorted(
        v["value"] for k, v in facts.items() if k.startswith("claims:") and k.endswith(":phase")
    )
    assert phases == ["PHASE1", "PHASE1", "PHASE2", "PHASE2", "PHASE3"]
    [safety] = [f for i, f in facts.items() if i.endswith(":counts.PHASE3.safety")]
    assert [facts[i]["value"] for i in safety["derived_from"]] == ["PHASE3", "safety"]
    assert not [g for g in document["gaps"] if g["step"] == "facts"]


@pytest.mark.parametrize("argv", [["--disease", "红斑狼疮"], ["--target", "靶"]])
def test_non_latin_names_are_never_an_internal_error(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    claim = {
        "drug": "抗体",
        "target_symbol": "靶",
        "disease_name": "病",
        "archetype": "operational",
        "category": "Business_Administrative",
    }
    assert main(["claims", "add", "--json-claim", json.dumps(claim)]) == 0
    assert main(["fetch", "NCT05591222", "--offline", "--as-of", "2026-05-20"]) == 0
    code = main(["fetch", "NCT05591222", "--offline", "--as-of", "2026-05-20", *argv])
    assert code in (0, 2, 3)
    assert "internal error" not in capsys.readouterr().err
