"""Answers that parse but are not the answer to what was asked, or come in shapes the API notes
do not describe: each is a malformed answer (exit 3, or a gap for an optional step), never a
wrong bundle and never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drafter.cli import main
from drafter.errors import MalformedResponse
from drafter.sources import chembl, ctgov, openfda, opentargets, pubmed
from drafter.sources.http import HttpClient
from tests.conftest import SNAPSHOT_DIR, fast_settings
from tests.servers import Reply, ScriptedServer

NCT = "NCT05591222"
OTHER_STUDY = (SNAPSHOT_DIR / "ctgov" / "study_NCT05633355.json").read_text()


def client_for(scripted: ScriptedServer, tmp_path: Path, source: str) -> HttpClient:
    return HttpClient(fast_settings(tmp_path, **{f"{source}_url": scripted.url}))


def test_another_trials_record_is_never_accepted(
    scripted: ScriptedServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    scripted.script(f"/studies/{NCT}", Reply(200, OTHER_STUDY))
    with pytest.raises(MalformedResponse, match="another study"):
        ctgov.get_study(client_for(scripted, tmp_path, "ctgov"), NCT)

    monkeypatch.setenv("DRAFTER_CTGOV_URL", scripted.url)
    assert main(["fetch", NCT, "--json"]) == 3
    captured = capsys.readouterr()
    assert captured.out == "" and "another study" in captured.err
    assert "NCT05633355" in captured.err


def test_a_404_that_does_not_name_the_trial_is_not_not_found(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script(f"/studies/{NCT}", Reply(404, "<html>Gateway</html>", content_type="text/html"))
    with pytest.raises(MalformedResponse, match="404"):
        ctgov.get_study(client_for(scripted, tmp_path, "ctgov"), NCT)


@pytest.mark.parametrize(
    "body",
    [
        {"error": "NOT_FOUND"},
        {"error": None},
        {"error": {"code": "SERVER_ERROR", "message": "x"}},
        {"meta": {"results": None}},
        [],
    ],
)
def test_openfda_error_bodies_of_unknown_shape_are_malformed(
    body: object, scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script(openfda.EVENT_PATH, Reply(404, json.dumps(body)))
    with pytest.raises(MalformedResponse):
        openfda.count_reports(client_for(scripted, tmp_path, "openfda"), ["daxdilimab"])


def test_openfda_not_found_is_zero_reports(scripted: ScriptedServer, tmp_path: Path) -> None:
    body = {"error": {"code": "NOT_FOUND", "message": "No matches found!"}}
    scripted.script(openfda.EVENT_PATH, Reply(404, json.dumps(body)))
    summary = openfda.count_reports(client_for(scripted, tmp_path, "openfda"), ["daxdilimab"])
    assert summary.total_reports == 0


@pytest.mark.parametrize("uids", [[7647779], [["7647779"]], [{"a": 1}], "7647779", None])
def test_pubmed_uids_that_are_not_strings_are_malformed(
    uids: object, scripted: ScriptedServer, tmp_path: Path
) -> None:
    body = {"result": {"uids": uids, "7647779": {"uid": "7647779", "title": "x"}}}
    scripted.script("/esummary.fcgi", Reply(200, json.dumps(body)))
    with pytest.raises(MalformedResponse):
        pubmed.esummary(client_for(scripted, tmp_path, "pubmed"), ["7647779"])


def test_open_targets_answering_about_another_target_is_malformed(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    body = {"data": {"target": {"id": "ENSG00000001626", "approvedSymbol": "CFTR"}}}
    scripted.script("/", Reply(200, json.dumps(body)))
    with pytest.raises(MalformedResponse, match="another target"):
        opentargets.get_target(client_for(scripted, tmp_path, "opentargets"), "ENSG00000239961")


def test_chembl_answering_with_another_molecule_is_malformed(
    scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script(
        "/molecule/CHEMBL4594330.json",
        Reply(200, json.dumps({"molecule_chembl_id": "CHEMBL25", "pref_name": "ASPIRIN"})),
    )
    with pytest.raises(MalformedResponse, match="another molecule"):
        chembl.get_molecule(client_for(scripted, tmp_path, "chembl"), "CHEMBL4594330")


@pytest.mark.parametrize("depth", [5_000, 200_000])
def test_deeply_nested_json_is_malformed_not_a_crash(
    depth: int, scripted: ScriptedServer, tmp_path: Path
) -> None:
    scripted.script(f"/studies/{NCT}", Reply(200, "[" * depth + "]" * depth))
    with pytest.raises(MalformedResponse):
        ctgov.get_study(client_for(scripted, tmp_path, "ctgov"), NCT)


def test_an_optional_source_answering_garbage_is_a_gap_not_a_failure(
    scripted: ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The trial answers; openFDA answers with an error body of an unknown shape."""
    scripted.script(
        f"/studies/{NCT}", Reply(200, (SNAPSHOT_DIR / "ctgov" / f"study_{NCT}.json").read_text())
    )
    scripted.script(openfda.EVENT_PATH, Reply(404, json.dumps({"error": "NOT_FOUND"})))
    monkeypatch.setenv("DRAFTER_CTGOV_URL", scripted.url)
    monkeypatch.setenv("DRAFTER_OPENFDA_URL", scripted.url)
    monkeypatch.setenv("DRAFTER_CHEMBL_URL", scripted.url)
    monkeypatch.setenv("DRAFTER_OPENTARGETS_URL", scripted.url)
    monkeypatch.setenv("DRAFTER_PUBMED_URL", scripted.url)
    assert main(["fetch", NCT, "--json", "--as-of", "2026-05-20"]) == 0
    document = json.loads(capsys.readouterr().out)
    steps = {gap["step"]: gap["reason"] for gap in document["gaps"]}
    assert "FAERS reports" in steps
    assert "openFDA" in steps["FAERS reports"]


def use_for_every_source(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    for source in ("CTGOV", "OPENTARGETS", "CHEMBL", "OPENFDA", "PUBMED"):
        monkeypatch.setenv(f"DRAFTER_{source}_URL", url)


def test_slow_optional_sources_cost_their_budget_not_the_command(
    scripted: ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The trial answers at once; every other source drips its answer for minutes. Each
    optional step gives up at its own budget and becomes a gap; the draft's evidence survives."""
    study = (SNAPSHOT_DIR / "ctgov" / f"study_{NCT}.json").read_text()
    scripted.script(f"/studies/{NCT}", Reply(200, study))
    scripted.fallback = Reply(200, '{"molecules": []}' + " " * 600, drip=0.2)
    use_for_every_source(monkeypatch, scripted.url)
    monkeypatch.setenv("DRAFTER_OPTIONAL_DEADLINE", "0.5")
    assert main(["fetch", NCT, "--json", "--as-of", "2026-05-20"]) == 0
    document = json.loads(capsys.readouterr().out)
    timed_out = [g for g in document["gaps"] if "optional-step deadline" in g["reason"]]
    assert {g["step"] for g in timed_out} >= {"chembl molecule for Daxdilimab", "FAERS reports"}
    assert document["facts"][0]["id"] == f"ctgov:{NCT}:nct_id"


def test_a_command_that_outlives_its_deadline_exits_3(
    scripted: ScriptedServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    scripted.fallback = Reply(200, "{}" + " " * 600, drip=0.2)
    use_for_every_source(monkeypatch, scripted.url)
    monkeypatch.setenv("DRAFTER_DEADLINE", "0.5")
    assert main(["fetch", NCT]) == 3
    err = capsys.readouterr().err
    assert "command deadline (DRAFTER_DEADLINE)" in err and err.count("\n") == 1
    assert len(scripted.received) == 1


@pytest.mark.parametrize(
    "body",
    [{"error": "NOT_FOUND"}, {"path": "/x"}, json.loads(OTHER_STUDY), {"studies": []}],
)
def test_a_chembl_body_without_its_list_is_never_a_no_hits_answer(
    body: object, scripted: ScriptedServer, tmp_path: Path
) -> None:
    """A 200 object that is not a ChEMBL page must not pass as "no molecules" and be cached
    (it hid the drug, the target and the score until the cache expired)."""
    good = (SNAPSHOT_DIR / "chembl" / "molecule_search_daxdilimab.json").read_text()
    path = "/molecule/search.json"
    scripted.script(path, Reply(200, json.dumps(body)), Reply(200, good))
    with client_for(scripted, tmp_path, "chembl") as client:
        with pytest.raises(MalformedResponse):
            chembl.search_molecules(client, "Daxdilimab")
        assert [m.molecule_chembl_id for m in chembl.search_molecules(client, "Daxdilimab")] == [
            "CHEMBL4594330"
        ]
    offline = HttpClient(fast_settings(tmp_path, offline=True, chembl_url=scripted.url))
    with offline:
        assert chembl.search_molecules(offline, "Daxdilimab")  # the good answer was cached
    for mechanisms in ({"error": "x"}, {}):
        scripted.script("/mechanism.json", Reply(200, json.dumps(mechanisms)))
        with (
            client_for(scripted, tmp_path / "m", "chembl") as client,
            pytest.raises(MalformedResponse),
        ):
            chembl.get_mechanisms(client, "CHEMBL4594330")


def test_odd_values_in_a_trial_record_are_gaps_not_a_lost_trial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Registry records carry odd values; each becomes a gap naming its field, and everything
    else of the trial is kept (a hostile-review reproduction: each used to cost the trial)."""
    import shutil

    copy = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT_DIR, copy)
    path = copy / "ctgov" / f"study_{NCT}.json"
    study = json.loads(path.read_text())
    protocol = study["protocolSection"]
    protocol["statusModule"]["startDateStruct"]["date"] = "2021-13"
    protocol["statusModule"]["primaryCompletionDateStruct"]["date"] = "2025-05-08\n"
    protocol["conditionsModule"]["conditions"] = [5, "Discoid Lupus Erythematosus"]
    protocol["designModule"]["phases"] = ["PHASE2", "PHASE9", "PHASE2"]
    protocol["designModule"]["enrollmentInfo"]["count"] = -5
    path.write_text(json.dumps(study))
    monkeypatch.setenv("DRAFTER_SNAPSHOT_DIR", str(copy))
    assert main(["fetch", NCT, "--offline", "--json", "--as-of", "2026-05-20"]) == 0
    document = json.loads(capsys.readouterr().out)
    facts = {f["id"]: f["value"] for f in document["facts"]}
    reasons = " | ".join(g["reason"] for g in document["gaps"] if g["step"] == "facts")
    for odd in ("startDateStruct/date", "conditions/0", "phases/1", "enrollmentInfo/count"):
        assert odd in reasons, odd
    assert "errors.pydantic.dev" not in reasons
    assert f"ctgov:{NCT}:start_date" not in facts
    assert facts[f"ctgov:{NCT}:primary_completion_date"] == "2025-05-08"
    assert facts[f"ctgov:{NCT}:conditions.1"] == "Discoid Lupus Erythematosus"
    assert facts[f"ctgov:{NCT}:phase"] == "PHASE2"
    assert facts[f"ctgov:{NCT}:why_stopped"].startswith("Sponsor business decision")
