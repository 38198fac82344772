"""`drafter fetch` end to end: the NCT05591222 bundle offline, every seed trial, bad input and
upstream failures as exit codes, and a second live run served entirely from the cache."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from drafter.bundle import Bundle
from drafter.cli import main
from drafter.discovery import NOT_STATED, DiscoveryQuery, scope_problem
from drafter.sources import ctgov
from drafter.sources.http import HttpClient
from tests.conftest import DATA, REPO, SNAPSHOT_DIR, fast_settings
from tests.servers import Reply, ScriptedServer, SnapshotServer

NCT = "NCT05591222"


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def fast_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **values: object) -> None:
    """A 1 s request deadline via the config file, the way a user would set it: a retry whose
    backoff would pass it fails at once, so failure tests take milliseconds."""
    settings = {"request_deadline": 1, **values}
    lines = [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("DRAFTER_CONFIG", str(path))


@pytest.fixture
def dle_bundle(capsys: pytest.CaptureFixture[str]) -> Bundle:
    code, out, err = run_cli(capsys, "fetch", NCT, "--offline", "--json", "--as-of", "2026-05-20")
    assert code == 0, err
    return Bundle.model_validate_json(out)


def test_nct05591222_bundle_facts(dle_bundle: Bundle) -> None:
    value = dle_bundle.fact_value
    assert value(f"ctgov:{NCT}:phases.0") == "PHASE2"
    assert value(f"ctgov:{NCT}:phase") == "PHASE2"
    enrollment = dle_bundle.fact(f"ctgov:{NCT}:enrollment")
    assert enrollment is not None
    assert (enrollment.value, enrollment.kind, enrollment.unit, enrollment.qualifier) == (
        72,
        "count",
        "participants",
        "ACTUAL",
    )
    assert value(f"ctgov:{NCT}:overall_status") == "TERMINATED"
    assert (
        value(f"ctgov:{NCT}:why_stopped")
        == "Sponsor business decision, not related to safety concerns."
    )
    assert value(f"ctgov:{NCT}:lead_sponsor") == "Amgen"
    assert value("chembl:CHEMBL4594330:chembl_id") == "CHEMBL4594330"
    assert value("opentargets:ENSG00000239961:approved_symbol") == "LILRA4"
    assert dle_bundle.target is not None
    assert (dle_bundle.target.symbol, dle_bundle.target.ensembl_id) == ("LILRA4", "ENSG00000239961")
    assert dle_bundle.association is not None
    assert dle_bundle.association.score == pytest.approx(0.092)
    assert dle_bundle.association.enable_indirect is False
    assert dle_bundle.safety is not None and dle_bundle.safety.total_reports == 0
    assert dle_bundle.target_programs is not None
    assert [p.chembl_id for p in dle_bundle.target_programs] == ["CHEMBL4594330"]


def test_dates_keep_their_precision_and_facts_cite_sources(dle_bundle: Bundle) -> None:
    completion = dle_bundle.fact(f"ctgov:{NCT}:primary_completion_date")
    assert completion is not None
    assert (completion.value, completion.precision) == ("2025-05-08", "day")
    posted = dle_bundle.fact(f"ctgov:{NCT}:last_update_posted")
    assert posted is not None and posted.value == "2026-05-14"
    assert completion.source_url == f"https://clinicaltrials.gov/study/{NCT}"
    answers = {s.id for s in dle_bundle.sources if s.origin == "snapshot"}
    read = [f for f in dle_bundle.facts if f.record in answers]
    assert read and all(f.source_url and f.source_url.startswith("http") for f in read)
    assert len({f.id for f in dle_bundle.facts}) == len(dle_bundle.facts)


def test_conflicting_versions_are_kept_as_facts(dle_bundle: Bundle) -> None:
    """The press report that the trial met its primary endpoint, the earlier enrollment of 99
    and the earlier sponsor stay visible beside the current record."""
    earlier = dle_bundle.fact(f"reference:{NCT}:enrollment_earlier_estimate")
    assert earlier is not None and earlier.value == 99
    assert (earlier.kind, earlier.unit, earlier.qualifier) == ("count", "participants", "ESTIMATED")
    sponsor = dle_bundle.fact(f"reference:{NCT}:lead_sponsor_earlier")
    assert sponsor is not None and sponsor.value == "Horizon Therapeutics Ireland DAC"
    press = dle_bundle.fact(f"reference:{NCT}:outcome_reported_in_press")
    assert press is not None and "met primary endpoint" in str(press.value)
    assert (press.kind, press.untrusted) == ("quote", True)
    assert press.source_url is not None and "fiercebiotech.com" in press.source_url


def test_unresolved_steps_are_gaps_with_reasons(dle_bundle: Bundle) -> None:
    steps = {gap.step: gap.reason for gap in dle_bundle.gaps}
    assert "disease ontology id" in steps
    assert "MapIds" in steps["disease ontology id"]
    assert dle_bundle.disease is not None
    assert dle_bundle.disease.ontology_id is None
    origins = {source.origin for source in dle_bundle.sources}
    assert origins == {"snapshot", "bundled", "claims table"}
    assert all(len(source.sha256) == 64 for source in dle_bundle.sources)


def test_offline_bundle_is_reproducible(capsys: pytest.CaptureFixture[str]) -> None:
    outputs = {
        run_cli(capsys, "fetch", NCT, "--offline", "--json", "--as-of", "2026-05-20")[1]
        for _ in range(2)
    }
    assert len(outputs) == 1


def test_readable_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "fetch", NCT, "--offline")
    assert code == 0
    assert "LILRA4 · ENSG00000239961" in out
    assert "overall score 0.092" in out
    assert "enrollment  72 participants (actual)" in out


def seed_trial_ids() -> list[str]:
    manifest = json.loads((SNAPSHOT_DIR / "ctgov" / "manifest.json").read_text())
    return sorted(
        e["request"]["path"].rsplit("/", 1)[1]
        for e in manifest["entries"]
        if e["request"]["path"].startswith("/studies/NCT") and e["status"] == 200
    )


@pytest.mark.parametrize("nct_id", seed_trial_ids())
def test_every_snapshot_trial_resolves_offline(
    nct_id: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_cli(capsys, "fetch", nct_id, "--offline", "--json")
    assert code == 0, err
    bundle = Bundle.model_validate_json(out)
    assert bundle.nct_id == nct_id
    assert bundle.fact_value(f"ctgov:{nct_id}:nct_id") == nct_id


def test_daxdilimab_lupus_nephritis_resolves_the_same_target(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(capsys, "fetch", "NCT05540665", "--offline", "--json")
    bundle = Bundle.model_validate_json(out)
    assert code == 0
    assert bundle.target is not None and bundle.target.ensembl_id == "ENSG00000239961"
    assert bundle.fact_value("ctgov:NCT05540665:enrollment") == 19


def test_target_override_is_resolved_through_open_targets(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_cli(capsys, "fetch", NCT, "--offline", "--json", "--target", "LILRA4")
    bundle = Bundle.model_validate_json(out)
    assert code == 0
    assert bundle.target is not None
    assert (bundle.target.ensembl_id, bundle.target.resolved_by) == ("ENSG00000239961", "--target")


def test_unknown_target_override_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "fetch", NCT, "--offline", "--target", "ENSG00000000000")
    assert code == 2
    assert err.strip() == "drafter: unknown target: Open Targets has no ENSG00000000000"


@pytest.mark.parametrize("bad", ["NCT123", "12345678", "NCT0559122X", "NCT055912222", ""])
def test_malformed_id_exits_2_with_one_line(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "fetch", bad, "--offline")
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "NCT followed by 8 digits" in err


def test_unknown_trial_exits_2_not_found(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "fetch", "NCT99999999", "--offline")
    assert code == 2
    assert err == "drafter: NCT99999999 not found on ClinicalTrials.gov\n"


def test_offline_miss_exits_3_naming_the_request(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "fetch", "NCT01234567", "--offline")
    assert code == 3
    assert "offline: no cached or snapshot response for GET ClinicalTrials.gov" in err
    assert "/studies/NCT01234567" in err
    assert err.count("\n") == 1


def test_network_down_exits_3(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fast_config(tmp_path, monkeypatch)
    code, out, err = run_cli(capsys, "fetch", NCT)
    assert code == 3
    assert out == ""
    assert "ClinicalTrials.gov could not answer GET ClinicalTrials.gov /studies/" in err
    assert "connection failed after 1 attempt" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        (Reply(200, '{"protocolSection": {"ident', truncate_to=10), "truncated"),
        (
            Reply(200, '{"protocolSection": {"statusModule": {}}}'),
            "answered GET ClinicalTrials.gov /studies/NCT05591222 in an unexpected shape",
        ),
        (Reply(200, "<html>maintenance</html>"), "sent a malformed or truncated body"),
    ],
    ids=["truncated", "wrong-shape", "not-json"],
)
def test_bad_upstream_body_exits_3_naming_the_source(
    reply: Reply,
    expected: str,
    scripted: ScriptedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fast_config(tmp_path, monkeypatch)
    monkeypatch.setenv("DRAFTER_CTGOV_URL", scripted.url)
    scripted.script(f"/studies/{NCT}", reply)
    code, out, err = run_cli(capsys, "fetch", NCT)
    assert code == 3
    assert out == ""
    assert err.startswith("drafter: ClinicalTrials.gov") and expected in err
    assert err.count("\n") == 1


def test_second_live_fetch_makes_zero_upstream_requests(
    snapshot_server: SnapshotServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Live mode against local servers that serve the snapshot: the first run fills the cache,
    the second is answered entirely from it."""
    fast_config(tmp_path, monkeypatch)
    for setting, url in snapshot_server.base_urls().items():
        monkeypatch.setenv(f"DRAFTER_{setting.upper()}", url)
    code, first_out, err = run_cli(capsys, "fetch", NCT, "--json", "--as-of", "2026-05-20")
    assert code == 0, err
    first_count = len(snapshot_server.received)
    assert first_count >= 6
    first = Bundle.model_validate_json(first_out)
    assert {s.origin for s in first.sources} == {"network", "bundled", "claims table"}
    code, second_out, _ = run_cli(capsys, "fetch", NCT, "--json", "--as-of", "2026-05-20")
    assert code == 0
    assert len(snapshot_server.received) == first_count  # zero new upstream requests
    second = Bundle.model_validate_json(second_out)
    assert {s.origin for s in second.sources} == {"cache", "bundled", "claims table"}
    assert second.facts == first.facts
    assert second.association is not None and second.association.score == pytest.approx(0.092)


def test_stopped_search_pages_list_every_stopped_snapshot_trial(tmp_path: Path) -> None:
    """The one search the snapshot answers (discovery since 2010-01-01, default filters) lists
    every snapshot study whose record shows it stopped and nothing out of scope; a value a
    record leaves out is not held against it (discover drops or keeps it, see test_discovery)."""
    client = HttpClient(fast_settings(tmp_path, offline=True))
    studies = list(ctgov.iter_stopped_studies(client, date(2010, 1, 1)))
    ids = [s.nct_id for s in studies]
    assert len(ids) == len(set(ids))
    assert {"NCT05591222", "NCT05540665", "NCT02971839", "NCT00184067"} <= set(ids)
    assert "NCT00973089" not in ids  # withdrawn, but its one intervention is of type OTHER
    assert all(s.status.overall_status in ctgov.STOPPED_STATUSES for s in studies)
    query = DiscoveryQuery(since=date(2010, 1, 1))
    expected = set()
    for nct_id in seed_trial_ids():
        study = ctgov.get_study(client, nct_id)
        problem = scope_problem(study, query)
        if study.status.overall_status in ctgov.STOPPED_STATUSES and (
            problem is None or problem in NOT_STATED
        ):
            expected.add(nct_id)
    assert set(ids) == expected


def test_bundled_data_is_what_the_builder_produces(tmp_path: Path) -> None:
    """The bundled snapshot and curated facts match fixtures/build_snapshot.py run over the
    inputs kept in tests/data (no file outside the repository is needed)."""
    import subprocess
    import sys

    tmp_path = tmp_path / "built"

    subprocess.run(
        [
            sys.executable,
            str(REPO / "fixtures" / "build_snapshot.py"),
            "--inputs",
            str(DATA),
            "--out",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    built_files = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    bundled_root = SNAPSHOT_DIR.parent
    assert len(built_files) > 50
    for built in built_files:
        committed = bundled_root / built.relative_to(tmp_path)
        assert committed.read_bytes() == built.read_bytes(), committed
    committed_files = {
        p.relative_to(bundled_root)
        for p in bundled_root.rglob("*")
        # the seed claims and the classifier's learned weights have builders of their own
        # (fixtures/train_stop_reason_model.py; tests/test_classify_learned.py checks those)
        if p.is_file() and p.name not in ("seed_claims.jsonl", "stop_reason_model.json")
    }
    assert committed_files == {p.relative_to(tmp_path) for p in built_files}


def test_facts_cite_the_answers_they_were_read_from(dle_bundle: Bundle) -> None:
    """A reviewer can follow a fact to the answer it came from and see how that answer was
    obtained: here, a record reconstructed from the published post-mortem."""
    records = {s.id: s for s in dle_bundle.sources}
    why = dle_bundle.fact(f"ctgov:{NCT}:why_stopped")
    assert why is not None and why.record is not None
    assert why.field == "/protocolSection/statusModule/whyStopped"
    study = records[why.record]
    assert study.request == f"GET ClinicalTrials.gov /studies/{NCT}"
    assert study.provenance is not None and "claidex.com" in study.provenance
    score = dle_bundle.fact(
        "opentargets:ENSG00000239961+discoid_lupus_erythematosus:association_score"
    )
    assert score is not None and score.value == pytest.approx(0.092)
    assert (score.kind, score.qualifier) == ("score", "overall, direct")
    association = records[score.record or ""]
    assert "Association" in association.request
    assert association.provenance is not None and "0.092" in association.provenance
    assert {f.record for f in dle_bundle.facts if f.record} <= set(records)
