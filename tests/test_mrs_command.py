"""`drafter mrs` end to end offline: the calibration pair from the seeded claims table and the
snapshot's association score, plus how unresolvable inputs are reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drafter.cli import main
from tests.servers import SnapshotServer

DLE = ("--target", "LILRA4", "--disease", "discoid lupus erythematosus")


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code = main(["mrs", *argv, "--as-of", "2026-05-20", "--offline", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document: dict[str, object] = json.loads(captured.out)
    return document


def points(document: dict[str, object]) -> list[float]:
    components = document["components"]
    assert isinstance(components, list)
    return [c["points"] for c in components]


def test_calibration_pair_reproduces_exactly(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(capsys, *DLE)
    assert document["total"] == 33
    assert document["band"] == "YELLOW"
    assert points(document) == [10.7, 2.0, 4.3, 13.6, 2.5]
    components = document["components"]
    assert isinstance(components, list)
    assert [c["key"] for c in components] == [
        "phase_burden",
        "archetype_severity",
        "temporal_recency",
        "genetic_deficit",
        "programmatic_saturation",
    ]
    assert all({"key", "heading", "points", "max", "inputs"} <= set(c) for c in components)
    assert document["association_score"] == pytest.approx(0.092)
    summary = document["summary"]
    assert isinstance(summary, dict)
    assert summary["text"].startswith("1 program has been documented for LILRA4")


def test_ensembl_id_gives_the_same_score(capsys: pytest.CaptureFixture[str]) -> None:
    by_symbol = run_json(capsys, *DLE)
    by_id = run_json(
        capsys, "--target", "ENSG00000239961", "--disease", "Discoid Lupus Erythematosus"
    )
    assert points(by_id) == points(by_symbol)
    assert by_id["total"] == 33


def test_readable_table(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["mrs", *DLE, "--as-of", "2026-05-20", "--offline"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0] == (
        "MRS 33/100 (YELLOW) — LILRA4 in Discoid lupus erythematosus, as of 2026-05-20"
    )
    assert component_row(out, "Phase-weighted failure burden")[:2] == ["10.7", "/"]


def component_row(out: str, heading: str) -> list[str]:
    """The words after a component's heading in the human table."""
    line = next(line for line in out.splitlines() if line.startswith(heading))
    return line[len(heading) :].split()


def test_unknown_target_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["mrs", "--target", "ENSG00000000000", "--disease", "x", "--offline"])
    assert code == 2
    assert "unknown target" in capsys.readouterr().err


def test_unverifiable_target_offline_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    """EGFR is not in the snapshot: no score is printed rather than one computed from guesses."""
    code = main(["mrs", "--target", "EGFR", "--disease", "x", "--offline", "--json"])
    captured = capsys.readouterr()
    assert code == 3
    assert captured.out == ""
    assert "MapIds" in captured.err and "EGFR" in captured.err


def live(monkeypatch: pytest.MonkeyPatch, server: SnapshotServer) -> None:
    for setting, url in server.base_urls().items():
        monkeypatch.setenv(f"DRAFTER_{setting.upper()}", url)


def test_open_targets_down_exits_3_instead_of_a_wrong_score(
    snapshot_server: SnapshotServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    config = tmp_path / "fast.toml"
    config.write_text("request_deadline = 1\n")  # a retry that would pass it fails at once
    monkeypatch.setenv("DRAFTER_CONFIG", str(config))
    live(monkeypatch, snapshot_server)
    monkeypatch.setenv("DRAFTER_OPENTARGETS_URL", "http://127.0.0.1:9/graphql")
    code = main(["mrs", *DLE, "--as-of", "2026-05-20"])
    captured = capsys.readouterr()
    assert code == 3
    assert captured.out == ""
    assert "Open Targets Platform could not answer" in captured.err


def test_no_association_row_is_scored_as_zero_and_said(
    snapshot_server: SnapshotServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Open Targets answers but lists no association of LILRA4 with lupus nephritis."""
    live(monkeypatch, snapshot_server)
    code = main(
        ["mrs", "--target", "LILRA4", "--disease", "lupus nephritis", "--as-of", "2026-05-20"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert component_row(out, "Genetic evidence deficit")[:3] == ["15.0", "/", "15"]
    assert "gap — association score: Open Targets lists no direct association" in out
    document = run_json_live(capsys, "--target", "LILRA4", "--disease", "lupus nephritis")
    assert document["association_score"] is None
    notes = document["notes"]
    assert isinstance(notes, list) and any("association" in n.lower() for n in notes)


def run_json_live(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    code = main(["mrs", *argv, "--as-of", "2026-05-20", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document: dict[str, object] = json.loads(captured.out)
    return document
