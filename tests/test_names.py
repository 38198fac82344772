"""Names as editors type them (drafter/evidence/aliases.py): case variants, synonyms and
abbreviations of targets and diseases resolve offline from the curated reference facts and the
recorded Open Targets answers, live through the local Open Targets-shaped server, and in
`claims list`; an ambiguous name lists its candidates and exits 2, an unknown one says so."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from drafter.cli import main
from drafter.errors import EXIT_BAD_INPUT, EXIT_UPSTREAM
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.evidence.aliases import (
    AmbiguousName,
    KnownEntity,
    KnownName,
    NameIndex,
    name_index,
    name_key,
)
from drafter.evidence.entities import _typed_hit
from drafter.sources import opentargets
from drafter.sources.http import HttpClient
from tests.conftest import SNAPSHOT_DIR, fast_settings
from tests.servers import SnapshotServer

LILRA4 = "ENSG00000239961"
DLE = "Discoid lupus erythematosus"
AS_OF = ("--as-of", "2026-05-20")


def mrs_json(capsys: pytest.CaptureFixture[str], target: str, disease: str) -> dict[str, Any]:
    code = main(["mrs", "--target", target, "--disease", disease, *AS_OF, "--offline", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document: dict[str, Any] = json.loads(captured.out)
    return document


def failing(
    capsys: pytest.CaptureFixture[str], *argv: str
) -> tuple[int, str]:  # the exit code and the one line on stderr
    code = main(list(argv))
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and "Traceback" not in captured.err, captured.err
    return code, lines[0]


# --- the index -------------------------------------------------------------------------------


def test_the_index_holds_curated_and_recorded_names() -> None:
    names = name_index(None)
    lilra4 = names.resolve("target", "cd85g")
    assert lilra4 is not None
    assert (lilra4.entity.name, lilra4.entity.id) == ("LILRA4", LILRA4)
    assert lilra4.name.source == "http://www.uniprot.org/uniprot/P59901.txt"  # UniProt P59901
    # recorded Open Targets answers: the mapIds hit of CFTR, the exact synonyms of MONDO_0009061
    cftr = names.resolve("target", "cftr")
    assert cftr is not None and cftr.entity.id == "ENSG00000001626"
    cf = names.resolve("disease", "mucoviscidosis")
    assert cf is not None and (cf.entity.name, cf.entity.id) == ("cystic fibrosis", "MONDO_0009061")
    assert "Open Targets Disease answer" in cf.name.source
    dle = names.resolve("disease", "dle")
    assert dle is not None and dle.entity.name == DLE and dle.entity.id is None
    assert "withpower.com" in dle.name.source


@pytest.mark.parametrize(
    ("typed", "key"),
    [("ILT-7", "ilt7"), ("  Discoid  Lupus-Erythematosus ", "discoidlupuserythematosus")],
)
def test_names_compare_without_case_spaces_or_punctuation(typed: str, key: str) -> None:
    assert name_key(typed) == key


def test_a_name_of_two_entities_is_ambiguous_and_lists_both() -> None:
    """Two entries that share a name (as a gene symbol can be another gene's old alias)."""
    first = KnownEntity("target", "GENE-A", None, [KnownName("GENE-A", "page a")])
    second = KnownEntity(
        "target", "GENE-B", None, [KnownName("GENE-B", "page b"), KnownName("gene-a", "page b")]
    )
    with pytest.raises(AmbiguousName) as raised:
        NameIndex([first, second]).resolve("target", "Gene A")
    assert raised.value.candidates == ["GENE-A (page a)", "GENE-B (page b)"]
    assert "is ambiguous" in str(raised.value)


def test_several_open_targets_hits_without_an_exact_one_are_ambiguous() -> None:
    """The hits of the two recorded mapIds answers (LILRA4, CFTR) as one answer to a term that
    names neither exactly: no hit is guessed."""
    recorded = [
        json.loads((SNAPSHOT_DIR / "opentargets" / name).read_text())["data"]["mapIds"]
        for name in ("mapids_target_LILRA4.json", "m37_mapIds_CFTR.body.json")
    ]
    hits = [hit for answer in recorded for hit in answer["mappings"][0]["hits"]]
    mapping = opentargets.MapIdsResult.model_validate({"mappings": [{"term": "x", "hits": hits}]})
    with pytest.raises(AmbiguousName) as raised:
        _typed_hit(mapping, "receptor", "target", None)
    assert raised.value.candidates == [f"LILRA4 ({LILRA4})", "CFTR (ENSG00000001626)"]
    # an exact name among the hits, or the one drafter knows the typed name belongs to, wins
    exact = _typed_hit(mapping, "cftr", "target", None)
    assert exact is not None and exact[1].id == "ENSG00000001626"
    known = _typed_hit(mapping, "ILT7", "target", name_index(None).resolve("target", "ILT7"))
    assert known is not None and known[1].id == LILRA4


# --- drafter mrs offline -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "disease"),
    [
        ("ilt7", "DLE"),
        ("ILT7", "dle"),
        ("lilra4", "discoid lupus erythematosus"),
        ("Lilra4", "DISCOID LUPUS ERYTHEMATOSUS"),
        ("ILT-7", "Discoid Lupus-Erythematosus"),
        ("cd85g", "DLE"),
        ("immunoglobulin-like transcript 7", "DLE"),
        (LILRA4, "DLE"),
    ],
)
def test_case_variants_synonyms_and_abbreviations_give_the_calibration_score(
    target: str, disease: str, capsys: pytest.CaptureFixture[str]
) -> None:
    canonical = mrs_json(capsys, "LILRA4", "discoid lupus erythematosus")
    typed = mrs_json(capsys, target, disease)
    assert (typed["total"], typed["band"]) == (33, "YELLOW")
    assert typed["components"] == canonical["components"]
    assert typed["target"]["ensembl_id"] == LILRA4
    assert typed["disease"]["name"] == DLE
    assert typed["gaps"] == []  # no mapping that was never recorded is asked for


def test_an_alias_says_which_name_it_is_and_where_that_is_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = mrs_json(capsys, "ilt7", "DLE")
    target, disease = document["target"], document["disease"]
    assert target["resolved_by"] == (
        "--target 'ilt7' = ILT7, a name of LILRA4 (http://www.uniprot.org/uniprot/P59901.txt)"
    )
    assert disease["resolved_by"].startswith(
        f"--disease 'DLE', a name of {DLE} (https://withpower.com/"
    )
    # the typed name as drafter names it is resolved as before
    plain = mrs_json(capsys, "LILRA4", "discoid lupus erythematosus")
    assert (plain["target"]["resolved_by"], plain["disease"]["resolved_by"]) == (
        "--target",
        "--disease",
    )


def test_an_ambiguous_name_lists_the_candidates_and_exits_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, line = failing(capsys, "mrs", "--target", "ilt7", "--disease", "lupus", "--offline")
    assert code == EXIT_BAD_INPUT
    assert line.startswith("drafter: disease 'lupus' is not a name drafter knows")
    for candidate in (
        "Cutaneous lupus erythematosus",
        DLE,
        "Lupus nephritis",
        "Systemic lupus erythematosus",
    ):
        assert candidate in line
    code, line = failing(capsys, "mrs", "--target", "ilt", "--disease", "DLE", "--offline")
    assert code == EXIT_BAD_INPUT
    assert f"LILRA4 ({LILRA4}) — pass it" in line


def test_an_unknown_name_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    # Open Targets' recorded answer maps nothing to it: no such target
    code, line = failing(
        capsys, "mrs", "--target", "NOTAREALGENEXYZ", "--disease", "DLE", "--offline"
    )
    assert code == EXIT_BAD_INPUT
    assert line == "drafter: unknown target: Open Targets maps no target to 'NOTAREALGENEXYZ'"
    # nothing recorded and no name like it: offline cannot tell, and says what it knows
    code, line = failing(capsys, "mrs", "--target", "FOO1", "--disease", "DLE", "--offline")
    assert code == EXIT_UPSTREAM
    # what to do first; the request that missed (a GraphQL body) last, for whoever records
    assert line.startswith(
        "drafter: target 'FOO1' is not a name drafter knows offline (it knows CFTR, LILRA4): "
        "run without --offline to ask Open Targets (offline: no cached or snapshot response "
        "for POST Open Targets Platform / MapIds "
    )
    code, line = failing(capsys, "mrs", "--target", "ilt7", "--disease", "Foo bar", "--offline")
    assert code == EXIT_UPSTREAM
    assert line.startswith("drafter: disease 'Foo bar' is not a name drafter knows offline (")


def test_a_disease_synonym_from_a_recorded_answer_resolves_to_its_ontology_id(
    tmp_path: Path,
) -> None:
    """'mucoviscidosis' is an exact synonym in Open Targets' recorded answer for MONDO_0009061:
    the draft's disease is that record, read from the answer."""
    with HttpClient(fast_settings(tmp_path, offline=True)) as client:
        query = EvidenceQuery(
            nct_id="NCT05591222", as_of=date(2026, 5, 20), disease="Mucoviscidosis"
        )
        bundle = build_bundle(client, query)
    assert bundle.disease is not None
    assert (bundle.disease.name, bundle.disease.ontology_id) == ("cystic fibrosis", "MONDO_0009061")
    assert bundle.disease.resolved_by.startswith("--disease 'Mucoviscidosis' = mucoviscidosis")
    assert bundle.fact_value("opentargets:MONDO_0009061:ontology_id") == "MONDO_0009061"


# --- live: the local Open Targets-shaped server -------------------------------------------------


def live(monkeypatch: pytest.MonkeyPatch, server: SnapshotServer) -> None:
    for setting, url in server.base_urls().items():
        monkeypatch.setenv(f"DRAFTER_{setting.upper()}", url)


def mapped_terms(server: SnapshotServer) -> list[list[str]]:
    bodies = [json.loads(r.body) for r in server.received if r.path == "/opentargets"]
    return [b["variables"]["terms"] for b in bodies if b["operationName"] == "MapIds"]


def test_live_open_targets_is_asked_first_and_the_known_names_stand_in(
    snapshot_server: SnapshotServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The server maps nothing to "ilt7" or "DLE" (it holds no such answer): drafter then asks
    for the names they are aliases of, and scores the pair as offline."""
    live(monkeypatch, snapshot_server)
    code = main(["mrs", "--target", "ilt7", "--disease", "DLE", *AS_OF, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document = json.loads(captured.out)
    assert (document["total"], document["band"]) == (33, "YELLOW")
    assert document["target"]["ensembl_id"] == LILRA4
    assert mapped_terms(snapshot_server) == [["ilt7"], ["LILRA4"], ["DLE"], [DLE]]
    # Open Targets answered for the disease name without a hit: said, as for any name
    assert [g["reason"] for g in document["gaps"]] == [f"Open Targets maps no disease to '{DLE}'"]


def test_live_unknown_name_is_bad_input(
    snapshot_server: SnapshotServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    live(monkeypatch, snapshot_server)
    code, line = failing(capsys, "mrs", "--target", "NOSUCHGENE1", "--disease", "DLE")
    assert code == EXIT_BAD_INPUT
    assert line == "drafter: unknown target: Open Targets maps no target to 'NOSUCHGENE1'"


# --- claims list ---------------------------------------------------------------------------------


def listed(capsys: pytest.CaptureFixture[str], *filters: str) -> list[str]:
    code = main(["claims", "list", *filters, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return [c["nct_id"] or c["drug"] for c in json.loads(captured.out)]


@pytest.mark.parametrize(
    "filters",
    [
        ("--target", "LILRA4"),
        ("--target", "ilt7"),
        ("--target", "CD85G"),
        ("--target", LILRA4.lower()),
        ("--disease", "dle"),
        ("--target", "ILT-7", "--disease", "DLE"),
    ],
)
def test_claims_list_matches_names_as_mrs_does(
    filters: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    assert listed(capsys, *filters) == ["NCT05591222"]


def test_claims_list_keeps_names_it_does_not_know_and_refuses_ambiguous_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert listed(capsys, "--target", "egfr") == ["BG-60366"]  # a seed claim's own name
    assert listed(capsys, "--disease", "SLE") == []  # known, but no claim in it
    code, line = failing(capsys, "claims", "list", "--disease", "lupus")
    assert code == EXIT_BAD_INPUT
    assert "Lupus nephritis" in line and "Systemic lupus erythematosus" in line
