"""The fleet server of tests/ctgov_fleet.py is what a batch test will trust: its search pages
and study records parse with the real clients, its trials vary, and a draft of a fleet trial
completes (resolved, or with gaps)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from drafter.cli import main
from drafter.discovery import DiscoveryQuery, discover
from drafter.errors import NotFound, UpstreamError
from drafter.sources import ctgov
from drafter.sources.http import HttpClient
from tests.conftest import fast_settings
from tests.ctgov_fleet import CtgovFleet, running_fleet, snapshot_templates
from tests.servers import Reply

SIZE = 200


@pytest.fixture(scope="module")
def fleet() -> Iterator[CtgovFleet]:
    with running_fleet(SIZE) as server:
        yield server


@pytest.fixture
def client(fleet: CtgovFleet, tmp_path: Path) -> Iterator[HttpClient]:
    fleet.received.clear()
    with HttpClient(fast_settings(tmp_path, **fleet.base_urls())) as opened:
        yield opened


def test_discovery_pages_through_the_whole_fleet(fleet: CtgovFleet, client: HttpClient) -> None:
    result = discover(client, DiscoveryQuery(since=date(2010, 1, 1)))

    assert [c.nct_id for c in result.candidates] == fleet.nct_ids
    assert (result.registry_total, result.pages, result.dropped) == (SIZE, 4, [])
    assert len(set(fleet.nct_ids)) == SIZE
    assert all(nct_id.startswith("NCT9") and len(nct_id) == 11 for nct_id in fleet.nct_ids)
    searches = [r.query for r in fleet.received]
    assert [q.get("pageToken") for q in searches] == [None, "fleet-50", "fleet-100", "fleet-150"]
    first_page = requests.get(f"{fleet.url}/ctgov/studies", params=searches[0], timeout=5).json()
    modules = set(first_page["studies"][0]["protocolSection"])
    assert modules == {m[0].lower() + m[1:] for m in ctgov.SEARCH_FIELDS.split(",")}


def test_the_search_honours_the_date_range(fleet: CtgovFleet, client: HttpClient) -> None:
    middle = ctgov.get_study(client, fleet.nct_ids[100]).status.last_update_post_date_struct
    assert middle is not None
    since = middle.date.earliest()
    query = DiscoveryQuery(since=since, until=date(2023, 12, 31))
    result = discover(client, query)

    assert result.candidates, "the fleet's dates should reach into the window"
    assert all(
        c.last_update_posted and since <= c.last_update_posted <= date(2023, 12, 31)
        for c in result.candidates
    )
    assert result.candidates[0].nct_id == fleet.nct_ids[100]  # pairs share a day: 100 and 101
    assert result.registry_total == len(result.candidates) < SIZE


def test_a_fleet_study_parses_and_agrees_with_its_listing(
    fleet: CtgovFleet, client: HttpClient
) -> None:
    listed = {
        c.nct_id: c for c in discover(client, DiscoveryQuery(since=date(2010, 1, 1))).candidates
    }
    for nct_id in fleet.nct_ids[:12]:
        study = ctgov.get_study(client, nct_id)
        candidate = listed[nct_id]
        assert study.nct_id == nct_id
        assert study.status.overall_status == candidate.status
        assert study.status.why_stopped == candidate.why_stopped
        assert study.design.phases == candidate.phases
        assert study.lead_sponsor == candidate.sponsor
        assert study.interventions and study.conditions
        identification = study.protocol_section.identification_module
        assert identification.secondary_id_infos == [] and identification.acronym is None
    with pytest.raises(NotFound):
        ctgov.get_study(client, f"NCT9{SIZE + 1:07d}")


def test_fleet_trials_vary(fleet: CtgovFleet) -> None:
    records = [s["protocolSection"] for s in fleet.studies.values()]
    whys = {r["statusModule"]["whyStopped"] for r in records}
    assert len(whys) == SIZE
    assert {r["statusModule"]["overallStatus"] for r in records} == set(ctgov.STOPPED_STATUSES)
    assert len({r["sponsorCollaboratorsModule"]["leadSponsor"]["name"] for r in records}) >= 5
    assert len({r["sponsorCollaboratorsModule"]["leadSponsor"]["class"] for r in records}) >= 4
    assert len({tuple(r["designModule"]["phases"]) for r in records}) >= 5
    assert len({r["conditionsModule"]["conditions"][0] for r in records}) >= 5
    assert len({r["designModule"]["enrollmentInfo"]["count"] for r in records}) >= 50
    withdrawn = [r for r in records if r["statusModule"]["overallStatus"] == "WITHDRAWN"]
    assert {r["designModule"]["enrollmentInfo"]["count"] for r in withdrawn} == {0}
    template_ids = {
        t["protocolSection"]["identificationModule"]["nctId"] for t in snapshot_templates()
    }
    assert len(template_ids) >= 3 and not template_ids & set(fleet.nct_ids)


def test_an_override_injects_a_fault(fleet: CtgovFleet, client: HttpClient) -> None:
    nct_id = fleet.nct_ids[5]
    fleet.override(fleet.study_path(nct_id), Reply(500, "boom"), Reply(503, "still down"))
    try:
        with pytest.raises(UpstreamError, match="HTTP 50"):
            ctgov.get_study(client, nct_id)
    finally:
        fleet.override(fleet.study_path(nct_id))  # no replies: the fleet's own answer again
    assert ctgov.get_study(client, nct_id).nct_id == nct_id


def test_an_unknown_page_token_is_rejected(fleet: CtgovFleet, client: HttpClient) -> None:
    request = DiscoveryQuery(since=date(2010, 1, 1)).search_request("not-a-fleet-token")
    with pytest.raises(UpstreamError, match="HTTP 400"):
        ctgov.search_stopped_page(client, request)


@pytest.mark.parametrize(
    ("index", "resolved"),
    [
        (3, True),  # daxdilimab in discoid lupus: drug, target, association from the snapshot
        (1, False),  # VX-561: ChEMBL finds no molecule, so no target
    ],
)
def test_a_fleet_trial_drafts(
    fleet: CtgovFleet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    index: int,
    resolved: bool,
) -> None:
    for name, value in fleet.environment().items():
        monkeypatch.setenv(name, value)
    nct_id = fleet.nct_ids[index]
    out = tmp_path / "out"
    code = main(
        ["draft", nct_id, "--writer", "offline", "--as-of", "2026-05-20", "--out", str(out)]
    )
    err = capsys.readouterr().err

    assert code in (0, 1), err  # 1: a section needs an editor, never a failed draft
    assert (out / nct_id / "draft.json").is_file() and (out / nct_id / "draft.md").is_file()
    evidence = json.loads((out / nct_id / "evidence.json").read_text())
    assert (evidence["target"] is not None) is resolved
    steps = {gap["step"] for gap in evidence["gaps"]}
    assert ("target" in steps) is not resolved
    why_stopped = evidence["trial"]["protocol_section"]["status_module"]["why_stopped"]
    assert why_stopped == fleet.studies[nct_id]["protocolSection"]["statusModule"]["whyStopped"]
