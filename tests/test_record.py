"""`drafter record`: a trial that is not in the bundled snapshot, recorded from local
ClinicalTrials.gov / Open Targets / ChEMBL / openFDA / PubMed-shaped servers (the fleet of
tests/ctgov_fleet.py), drafts fully offline afterwards with the servers stopped; what is
recorded carries its provenance; a failed trial writes nothing; --list; bad input."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from drafter.bundle import Bundle
from drafter.cli import main
from drafter.draft_model import Draft
from drafter.evidence.related import NOT_RECORDED
from drafter.sources.recorded import RecordedSnapshot, TrialRecording
from drafter.sources.snapshot import Snapshot
from tests.conftest import SNAPSHOT_DIR
from tests.ctgov_fleet import CtgovFleet, running_fleet
from tests.servers import Reply


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def fleet(monkeypatch: pytest.MonkeyPatch) -> Iterator[CtgovFleet]:
    with running_fleet(size=24) as served:
        for name, value in served.environment().items():
            monkeypatch.setenv(name, value)
        yield served


def daxdilimab_copy(fleet: CtgovFleet, *, own_condition: bool) -> str:
    """A fleet trial copied from NCT05591222 (so its drug, target and association resolve on
    the servers), in DLE itself or in another condition."""
    for nct_id, study in fleet.studies.items():
        protocol = study["protocolSection"]
        if "Daxdilimab" not in protocol["identificationModule"]["briefTitle"]:
            continue
        in_dle = protocol["conditionsModule"]["conditions"] == ["Discoid Lupus Erythematosus"]
        if in_dle == own_condition:
            return nct_id
    raise AssertionError("the fleet has no such trial")


def not_bundled(nct_id: str) -> None:
    paths = {entry.request.path for _, entry in Snapshot(SNAPSHOT_DIR).entries().values() if entry}
    assert f"/studies/{nct_id}" not in paths


def draft(
    capsys: pytest.CaptureFixture[str], out: Path, nct_id: str, *flags: str
) -> tuple[Bundle, Draft]:
    code, _, err = run_cli(
        capsys, "draft", nct_id, "--writer", "offline", "--out", str(out), *flags
    )
    assert code in (0, 1), err  # 1: a section an editor must write
    folder = out / nct_id
    bundle = Bundle.model_validate_json((folder / "evidence.json").read_text("utf-8"))
    return bundle, Draft.model_validate_json((folder / "draft.json").read_text("utf-8"))


def test_a_recorded_trial_drafts_offline_with_the_servers_stopped(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    recorded = tmp_path / "recorded"
    with running_fleet(size=24) as fleet:
        for name, value in fleet.environment().items():
            monkeypatch.setenv(name, value)
        nct_id = daxdilimab_copy(fleet, own_condition=False)
        not_bundled(nct_id)
        code, out, err = run_cli(capsys, "record", nct_id, "--snapshot", str(recorded))
        assert (code, err) == (0, "")
        assert out.startswith(f"recorded {nct_id}: ")
        asked = len(fleet.received)
        live_bundle, live_draft = draft(capsys, tmp_path / "live", nct_id)
    # the recording: one file, every answer with its provenance, bodies intact
    recording = TrialRecording.model_validate_json((recorded / f"{nct_id}.json").read_bytes())
    assert len(recording.answers) == asked  # each request the servers answered, once
    sources = {a.request.source for a in recording.answers}
    assert sources == {"ctgov", "chembl", "opentargets", "openfda", "pubmed"}
    for answer in recording.answers:
        assert answer.sha256 == hashlib.sha256(answer.body.encode()).hexdigest()
        assert answer.url.startswith("http://127.0.0.1:") and answer.fetched_at
    # offline now: servers stopped, a fresh cache, only the recording knows the trial
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "fresh-cache"))
    monkeypatch.setenv("DRAFTER_DB", str(tmp_path / "offline-claims.sqlite3"))
    monkeypatch.setenv("DRAFTER_RECORDED_DIR", str(recorded))
    offline_bundle, offline_draft = draft(capsys, tmp_path / "offline", nct_id, "--offline")
    assert [(f.id, f.value) for f in offline_bundle.facts] == [
        (f.id, f.value) for f in live_bundle.facts
    ]
    assert [g.reason for g in offline_bundle.gaps] == [g.reason for g in live_bundle.gaps]
    assert not any(g.reason.startswith("offline:") for g in offline_bundle.gaps)
    trial_source = next(s for s in offline_bundle.sources if s.source == "ClinicalTrials.gov")
    assert trial_source.origin == "snapshot"
    assert f"recorded by `drafter record {nct_id}`" in (trial_source.provenance or "")
    assert offline_draft.mrs == live_draft.mrs and offline_draft.mrs is not None
    # the related claim on the same target (daxdilimab in DLE) is scored from its evidence
    groups = {g.key: g for g in offline_draft.related}
    [same_target] = groups["same_target"].claims
    live_groups = {g.key: g for g in live_draft.related}
    assert same_target.mrs is not None and same_target.mrs_note is None
    assert same_target.mrs == live_groups["same_target"].claims[0].mrs
    # without the recording the same offline draft cannot start
    monkeypatch.setenv("DRAFTER_RECORDED_DIR", str(tmp_path / "nothing-recorded"))
    code, _, err = run_cli(capsys, "draft", nct_id, "--offline", "--out", str(tmp_path / "x"))
    assert code == 3 and "no cached or snapshot response" in err


def test_list_shows_what_is_recorded(
    fleet: CtgovFleet,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = fleet.nct_ids[0], fleet.nct_ids[9]
    code, out, err = run_cli(capsys, "record", first, second.lower())
    assert (code, err) == (0, "")
    assert [line.split(":")[0] for line in out.splitlines()] == [
        f"recorded {first}",
        f"recorded {second}",
    ]
    code, out, err = run_cli(capsys, "record", "--list", "--json")
    assert (code, err) == (0, "")
    listed = json.loads(out)["trials"]
    assert [t["nct_id"] for t in listed] == [first, second]
    for trial in listed:
        path = Path(trial["path"])
        recording = TrialRecording.model_validate_json(path.read_bytes())
        assert trial["answers"] == len(recording.answers) > 0
        assert trial["bytes"] == path.stat().st_size
        assert trial["recorded_at"] == recording.recorded_at and trial["problem"] is None
    monkeypatch.setenv("COLUMNS", "60")
    code, out, _ = run_cli(capsys, "record", "--list")
    lines = out.splitlines()
    assert lines[0].startswith("2 trials recorded in ")
    assert lines[1].split()[:4] == ["trial", "recorded", "(UTC)", "answers"]
    assert [line.split()[0] for line in lines[2:]] == [first, second]
    assert all(len(line) <= 60 for line in lines[1:])  # the table fits the terminal


def test_a_failed_trial_writes_nothing_and_is_named(
    fleet: CtgovFleet,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trial = daxdilimab_copy(fleet, own_condition=True)
    other = fleet.nct_ids[0]
    recorded = tmp_path / "recorded"
    code, _, err = run_cli(capsys, "record", trial)
    assert code == 0, err
    before = (recorded / f"{trial}.json").read_bytes()
    # openFDA refuses every request now, and nothing is cached: the answers are incomplete
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "cache-2"))
    fleet.override("/openfda/drug/event.json", Reply(400, "refused", content_type="text/plain"))
    code, out, err = run_cli(capsys, "record", trial)
    assert code == 3  # the only trial failed on a source
    assert out == "" and err.startswith(f"drafter: {trial} not recorded: openFDA rejected")
    assert err.count("\n") == 1
    assert (recorded / f"{trial}.json").read_bytes() == before  # the old recording stands
    # one trial recorded, one unknown: exit 1, the failure named, only the good file written
    fleet.override("/openfda/drug/event.json")
    unknown = "NCT90000999"
    code, out, err = run_cli(capsys, "record", other, unknown)
    assert code == 1
    assert out.startswith(f"recorded {other}: ")
    assert err == f"drafter: {unknown} not recorded: {unknown} not found on ClinicalTrials.gov\n"
    assert sorted(p.name for p in recorded.iterdir()) == sorted([f"{trial}.json", f"{other}.json"])


def test_bad_input_exits_2_before_any_request(
    fleet: CtgovFleet,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    good = fleet.nct_ids[0]
    for argv, message in (
        (["record", good, "NCT123"], "not a ClinicalTrials.gov id"),
        (["record"], "name at least one NCT id"),
        (["record", "--list", good], "--list takes no NCT ids"),
    ):
        code, out, err = run_cli(capsys, *argv)
        assert (code, out) == (2, ""), argv
        assert message in err and err.count("\n") == 1
    assert fleet.received == [] and not (tmp_path / "recorded").exists()
    monkeypatch.setenv("DRAFTER_OFFLINE", "1")
    code, _, err = run_cli(capsys, "record", good)
    assert code == 2 and "unset DRAFTER_OFFLINE" in err
    monkeypatch.delenv("DRAFTER_OFFLINE")
    code, _, err = run_cli(capsys, "record", "NCT99999998")  # no such trial: bad input
    assert code == 2 and "NCT99999998 not recorded: NCT99999998 not found" in err


def test_a_damaged_recording_is_skipped_and_listed(
    fleet: CtgovFleet, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    nct_id = fleet.nct_ids[0]
    assert run_cli(capsys, "record", nct_id)[0] == 0
    path = tmp_path / "recorded" / f"{nct_id}.json"
    document = json.loads(path.read_text("utf-8"))
    document["answers"][0]["body"] += " "  # no longer the body its sha256 names
    path.write_text(json.dumps(document))
    assert RecordedSnapshot(path.parent).get(TrialRecording(**document).answers[0].request) is None
    code, out, err = run_cli(capsys, "record", "--list")
    assert code == 0 and f"{nct_id}  damaged" in out
    assert "does not match its sha256" in err


def test_the_demo_related_claims_say_they_are_not_scored_offline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No evidence for the pairs of zodasiran (ANGPTL3), BG-60366 (EGFR) or DS-2325a (KLK5) is
    bundled (none exists in the shared API examples or reference facts), so the demo draft
    says so instead of showing a number."""
    _, offline_draft = draft(capsys, tmp_path, "NCT05591222", "--offline", "--as-of", "2026-05-20")
    related = {c.drug: c for g in offline_draft.related for c in g.claims}
    for drug in ("zodasiran", "BG-60366", "DS-2325a"):
        assert related[drug].mrs is None and related[drug].mrs_note == NOT_RECORDED
    markdown = (tmp_path / "NCT05591222" / "draft.md").read_text("utf-8")
    for line in [line for line in markdown.splitlines() if "zodasiran / ANGPTL3" in line]:
        assert line.endswith(f"— MRS {NOT_RECORDED}")
    assert "MRS ≤" not in markdown


def test_list_is_whole_when_piped_and_says_what_is_damaged_in_a_line(
    fleet: CtgovFleet,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Piped (capsys is no terminal) and without COLUMNS, every cell is whole, for grep; a
    damaged file's problem is one short line, not pydantic's report with the file's bytes."""
    monkeypatch.delenv("COLUMNS", raising=False)
    nct_id = fleet.nct_ids[0]
    assert run_cli(capsys, "record", nct_id)[0] == 0
    recorded = tmp_path / "recorded"
    truncated, not_an_object = fleet.nct_ids[1], fleet.nct_ids[2]
    (recorded / f"{truncated}.json").write_text('{"format": 1')
    (recorded / f"{not_an_object}.json").write_text("[]")
    code, out, err = run_cli(capsys, "record", "--list")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"1 trial recorded in {recorded} (")
    assert lines[0].endswith("; 2 damaged, skipped offline)")
    [row] = [line for line in lines if line.startswith(nct_id)]
    listed = json.loads(run_cli(capsys, "record", "--list", "--json")[1])["trials"]
    sources = next(t["sources"] for t in listed if t["nct_id"] == nct_id)
    assert "…" not in out and row.endswith(f"PubMed E-utilities {sources['pubmed']}")
    problems = {t["nct_id"]: t["problem"] for t in listed}
    assert problems[truncated].startswith("not a recording: the file: Invalid JSON: EOF")
    assert problems[not_an_object] == "not a recording: the file: Input should be an object"
    for noise in ("pydantic", "input_value", "For further information", "validation error"):
        assert noise not in out + err
    assert err.count("\n") == 2 and all(line.endswith("again") for line in err.splitlines())


def test_a_recorded_directory_that_cannot_be_written_is_refused_before_any_request(
    fleet: CtgovFleet, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A mistyped --snapshot used to cost every fetch of the trial before the write failed."""
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a directory\n")
    for folder in (a_file, a_file / "recorded"):
        code, out, err = run_cli(capsys, "record", fleet.nct_ids[0], "--snapshot", str(folder))
        assert (code, out) == (2, "")
        assert (
            err == f"drafter: the recorded directory {folder} cannot be made: {a_file} is a file\n"
        )
    assert fleet.received == []
    code, out, err = run_cli(capsys, "record", "--list", "--snapshot", str(a_file))
    assert (code, out) == (2, "")
    assert err == f"drafter: the recorded directory {a_file} is not a directory\n"
    new = tmp_path / "new" / "deeper"  # a folder that does not exist yet is made on saving
    code, _, err = run_cli(capsys, "record", fleet.nct_ids[0], "--snapshot", str(new))
    assert code == 0, err
    assert (new / f"{fleet.nct_ids[0]}.json").is_file()
