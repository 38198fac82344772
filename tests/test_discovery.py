"""Discovery of stopped trials for batch drafting (drafter.discovery), against local servers on
127.0.0.1: the exact search parameters, paging, a repeated token, an empty answer, records the
registry should not have listed, the offline snapshot, and --nct-file lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from drafter.discovery import (
    DiscoveryQuery,
    DropReason,
    discover,
    read_nct_file,
)
from drafter.errors import EXIT_BAD_INPUT, EXIT_UPSTREAM, BadInput, MalformedResponse
from drafter.sources import ctgov
from drafter.sources.http import HttpClient
from tests.conftest import fast_settings
from tests.servers import Reply, ScriptedServer

FIELDS = (
    "IdentificationModule,StatusModule,SponsorCollaboratorsModule,ConditionsModule,"
    "DesignModule,ArmsInterventionsModule"
)


def listed(
    nct_id: str,
    updated: str | None = "2024-03-01",
    *,
    status: str | None = "TERMINATED",
    study_type: str | None = "INTERVENTIONAL",
    types: tuple[str | None, ...] = ("DRUG",),
    phases: tuple[str, ...] = ("PHASE2",),
    sponsor_class: str | None = "INDUSTRY",
) -> dict[str, Any]:
    """A study as a search page lists it; None leaves a value out, as sparse records do."""
    status_module: dict[str, Any] = {"whyStopped": "Sponsor decision"}
    if status is not None:
        status_module["overallStatus"] = status
    if updated is not None:
        status_module["lastUpdatePostDateStruct"] = {"date": updated, "type": "ACTUAL"}
    design: dict[str, Any] = {"phases": list(phases)}
    if study_type is not None:
        design["studyType"] = study_type
    sponsor: dict[str, Any] = {"name": f"Sponsor of {nct_id}"}
    if sponsor_class is not None:
        sponsor["class"] = sponsor_class
    interventions = [
        {"name": f"drug {i}", **({"type": kind} if kind else {})} for i, kind in enumerate(types)
    ]
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct_id, "briefTitle": f"Trial {nct_id}"},
            "statusModule": status_module,
            "sponsorCollaboratorsModule": {"leadSponsor": sponsor},
            "conditionsModule": {"conditions": ["Lupus"]},
            "designModule": design,
            "armsInterventionsModule": {"interventions": interventions},
        }
    }


def page(*studies: dict[str, Any], token: str | None = None, total: int | None = None) -> Reply:
    body: dict[str, Any] = {"studies": list(studies)}
    if token:
        body["nextPageToken"] = token
    if total is not None:
        body["totalCount"] = total
    return Reply(200, json.dumps(body))


@pytest.fixture
def client(scripted: ScriptedServer, tmp_path: Path) -> Iterator[HttpClient]:
    with HttpClient(fast_settings(tmp_path, ctgov_url=scripted.url)) as opened:
        yield opened


SINCE = date(2024, 1, 1)


# --- the request ------------------------------------------------------------------------------


def test_default_search_parameters(scripted: ScriptedServer, client: HttpClient) -> None:
    scripted.script("/studies", page(total=0))
    discover(client, DiscoveryQuery(since=SINCE))

    (request,) = scripted.received
    assert request.method == "GET"
    assert request.query == {
        "filter.overallStatus": "TERMINATED,WITHDRAWN,SUSPENDED",
        "filter.advanced": "AREA[LastUpdatePostDate]RANGE[2024-01-01,MAX]"
        " AND AREA[StudyType]INTERVENTIONAL"
        " AND AREA[InterventionType](DRUG OR BIOLOGICAL)",
        "fields": FIELDS,
        "sort": "LastUpdatePostDate:asc",
        "pageSize": "100",
        "countTotal": "true",
    }


def test_every_filter_in_the_request(scripted: ScriptedServer, client: HttpClient) -> None:
    scripted.script("/studies", page(total=0))
    query = DiscoveryQuery.checked(
        since="2024-01-01",
        until="2024-06-30",
        phases="phase3, PHASE2,phase3",
        condition="  discoid lupus ",
        sponsor_class="industry",
        all_interventions=True,
    )
    discover(client, query)

    (request,) = scripted.received
    assert request.query == {
        "filter.overallStatus": "TERMINATED,WITHDRAWN,SUSPENDED",
        "filter.advanced": "AREA[LastUpdatePostDate]RANGE[2024-01-01,2024-06-30]"
        " AND AREA[StudyType]INTERVENTIONAL"
        " AND AREA[Phase](PHASE2 OR PHASE3)"
        " AND AREA[LeadSponsorClass]INDUSTRY",
        "query.cond": "discoid lupus",
        "fields": FIELDS,
        "sort": "LastUpdatePostDate:asc",
        "pageSize": "100",
        "countTotal": "true",
    }


def test_one_phase_is_not_grouped(scripted: ScriptedServer, client: HttpClient) -> None:
    scripted.script("/studies", page())
    discover(client, DiscoveryQuery(since=SINCE, phases=("PHASE3",)))
    assert scripted.received[0].query["filter.advanced"].endswith(" AND AREA[Phase]PHASE3")


# --- paging -----------------------------------------------------------------------------------


def test_pages_are_followed_and_candidates_sorted(
    scripted: ScriptedServer, client: HttpClient
) -> None:
    scripted.script(
        "/studies",
        page(listed("NCT00000003", "2024-02-01"), listed("NCT00000009"), token="t2", total=5),
        page(listed("NCT00000002", "2024-02-01"), token="t3"),
        page(listed("NCT00000001", "2024-05-05"), listed("NCT00000004", "2024-01-15")),
    )
    result = discover(client, DiscoveryQuery(since=SINCE))

    assert [c.nct_id for c in result.candidates] == [
        "NCT00000004",
        "NCT00000002",
        "NCT00000003",
        "NCT00000009",
        "NCT00000001",
    ]
    assert (result.registry_total, result.pages, result.truncated) == (5, 3, False)
    first, second, third = (r.query for r in scripted.received)
    assert (second["pageToken"], third["pageToken"]) == ("t2", "t3")
    assert "pageToken" not in first and first["countTotal"] == "true"
    for later in (second, third):
        assert "countTotal" not in later
        assert {k: v for k, v in later.items() if k != "pageToken"} == {
            k: v for k, v in first.items() if k != "countTotal"
        }
    candidate = result.candidates[0]
    assert candidate.model_dump(mode="json") == {
        "nct_id": "NCT00000004",
        "status": "TERMINATED",
        "last_update_posted": "2024-01-15",
        "title": "Trial NCT00000004",
        "sponsor": "Sponsor of NCT00000004",
        "sponsor_class": "INDUSTRY",
        "phases": ["PHASE2"],
        "conditions": ["Lupus"],
        "intervention_types": ["DRUG"],
        "why_stopped": "Sponsor decision",
    }


def test_a_repeated_page_token_is_a_malformed_answer(
    scripted: ScriptedServer, client: HttpClient
) -> None:
    scripted.script(
        "/studies",
        page(listed("NCT00000001"), token="again"),
        page(listed("NCT00000002"), token="again"),
    )
    with pytest.raises(MalformedResponse, match="repeated page token 'again'") as raised:
        discover(client, DiscoveryQuery(since=SINCE))
    assert raised.value.exit_code == EXIT_UPSTREAM
    assert scripted.count("/studies") == 2


def test_endless_fresh_tokens_stop_at_the_page_cap(
    scripted: ScriptedServer, client: HttpClient
) -> None:
    scripted.script("/studies", *(page(token=f"t{i}") for i in range(10)))
    query = DiscoveryQuery(since=SINCE)
    with pytest.raises(MalformedResponse, match="more than 3 pages"):
        list(ctgov.iter_search_pages(client, query.search_request, max_pages=3))
    assert scripted.count("/studies") == 3


def test_an_empty_result(scripted: ScriptedServer, client: HttpClient) -> None:
    scripted.script("/studies", page(total=0))
    result = discover(client, DiscoveryQuery(since=SINCE), limit=10)
    assert result.candidates == [] and result.dropped == []
    assert (result.registry_total, result.pages, result.truncated) == (0, 1, False)
    assert result.dropped_by_reason == {}


def test_a_page_without_studies_is_malformed(scripted: ScriptedServer, client: HttpClient) -> None:
    scripted.script("/studies", Reply(200, json.dumps({"totalCount": 3})))
    with pytest.raises(MalformedResponse, match="unexpected shape"):
        discover(client, DiscoveryQuery(since=SINCE))


# --- records out of scope ---------------------------------------------------------------------


def test_records_out_of_scope_are_dropped_and_counted(
    scripted: ScriptedServer, client: HttpClient
) -> None:
    query = DiscoveryQuery(
        since=SINCE, until=date(2024, 12, 31), phases=("PHASE2",), sponsor_class="INDUSTRY"
    )
    scripted.script(
        "/studies",
        page(
            listed("NCT00000001"),  # in scope
            listed("NCT00000002", status="COMPLETED"),
            listed("NCT00000003", status=None),
            listed("NCT00000004", study_type="OBSERVATIONAL"),
            listed("NCT00000005", study_type=None),
            listed("NCT00000006", types=("DEVICE", "OTHER")),
            listed("NCT00000007", types=(None, "DEVICE")),
            listed("NCT00000008", types=()),
            token="p2",
        ),
        page(
            listed("NCT00000009", "2023-12-31"),
            listed("NCT00000010", "2025-01-01"),
            listed("NCT00000011", "2023-12"),  # a month wholly before since
            listed("NCT00000012", phases=("PHASE3",)),
            listed("NCT00000013", sponsor_class="NIH"),
            listed("nct00000001"),  # the first one again, in another case
            listed("NCT123"),
            listed("NCT00000014", types=("BIOLOGICAL", None), status="SUSPENDED"),
            # silent on the narrowing filters: kept on the registry's word
            listed("NCT00000015", None, phases=(), sponsor_class=None, status="WITHDRAWN"),
            listed("NCT00000016", "2024-01"),
        ),
    )
    result = discover(client, query)

    assert [c.nct_id for c in result.candidates] == [
        "NCT00000001",
        "NCT00000014",
        "NCT00000015",
        "NCT00000016",
    ]
    assert result.candidates[2].last_update_posted is None  # undated: last
    assert result.candidates[3].last_update_posted is None  # not stated to the day
    assert {d.nct_id: d.reason for d in result.dropped} == {
        "NCT00000002": DropReason.NOT_STOPPED,
        "NCT00000003": DropReason.STATUS_NOT_STATED,
        "NCT00000004": DropReason.NOT_INTERVENTIONAL,
        "NCT00000005": DropReason.STUDY_TYPE_NOT_STATED,
        "NCT00000006": DropReason.NO_DRUG_OR_BIOLOGICAL,
        "NCT00000007": DropReason.INTERVENTION_TYPE_NOT_STATED,
        "NCT00000008": DropReason.INTERVENTION_TYPE_NOT_STATED,
        "NCT00000009": DropReason.OUTSIDE_DATES,
        "NCT00000010": DropReason.OUTSIDE_DATES,
        "NCT00000011": DropReason.OUTSIDE_DATES,
        "NCT00000012": DropReason.OTHER_PHASE,
        "NCT00000013": DropReason.OTHER_SPONSOR_CLASS,
        "NCT00000001": DropReason.DUPLICATE,
        "NCT123": DropReason.MALFORMED_ID,
    }
    assert result.dropped_by_reason == {
        "intervention types not stated": 2,
        "last update posted outside the date range": 3,
        "lead sponsor not of the class asked for": 1,
        "listed more than once": 1,
        "malformed NCT id": 1,
        "no drug or biological intervention": 1,
        "not an interventional study": 1,
        "not in a phase asked for": 1,
        "status is not terminated, withdrawn or suspended": 1,
        "status not stated": 1,
        "study type not stated": 1,
    }
    document = result.model_dump(mode="json")
    assert document["dropped_by_reason"] == result.dropped_by_reason


def test_all_interventions_keeps_devices(scripted: ScriptedServer, client: HttpClient) -> None:
    scripted.script("/studies", page(listed("NCT00000006", types=("DEVICE",))))
    result = discover(client, DiscoveryQuery(since=SINCE, all_interventions=True))
    assert [c.intervention_types for c in result.candidates] == [["DEVICE"]]


# --- the limit --------------------------------------------------------------------------------


def test_limit_stops_paging_once_the_first_trials_are_known(
    scripted: ScriptedServer, client: HttpClient
) -> None:
    """Pages come oldest update first: a tie on the limit's last day may continue on the next
    page (NCT00000002 sorts before NCT00000003), a later day may not."""
    scripted.script(
        "/studies",
        page(listed("NCT00000001", "2024-01-01"), listed("NCT00000003", "2024-01-02"), token="b"),
        page(listed("NCT00000002", "2024-01-02"), listed("NCT00000004", "2024-01-03"), token="c"),
        page(listed("NCT00000000", "2024-01-04")),
    )
    result = discover(client, DiscoveryQuery(since=SINCE), limit=2)

    assert [c.nct_id for c in result.candidates] == ["NCT00000001", "NCT00000002"]
    assert (result.pages, result.truncated) == (2, True)
    assert scripted.count("/studies") == 2


def test_limit_larger_than_the_result(scripted: ScriptedServer, client: HttpClient) -> None:
    scripted.script("/studies", page(listed("NCT00000001"), listed("NCT00000002")))
    result = discover(client, DiscoveryQuery(since=SINCE), limit=2)
    assert (len(result.candidates), result.truncated) == (2, False)


def test_limit_cuts_the_last_page(scripted: ScriptedServer, client: HttpClient) -> None:
    scripted.script("/studies", page(listed("NCT00000002"), listed("NCT00000001")))
    result = discover(client, DiscoveryQuery(since=SINCE), limit=1)
    assert ([c.nct_id for c in result.candidates], result.truncated) == (["NCT00000001"], True)


@pytest.mark.parametrize("limit", [0, -3])
def test_a_limit_below_one_is_bad_input(client: HttpClient, limit: int) -> None:
    with pytest.raises(BadInput, match="at least 1"):
        discover(client, DiscoveryQuery(since=SINCE), limit=limit)


# --- the query --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"since": "2024-02-01", "until": "2024-01-31"}, "since 2024-02-01 is after until"),
        ({"since": "2024-1-1"}, "not a YYYY-MM-DD date"),
        ({"since": "20240101"}, "not a YYYY-MM-DD date"),
        ({"since": "2024-02-30"}, "since"),
        ({"since": 1704067200}, "not a YYYY-MM-DD date"),
        ({"since": "2024-01-01", "until": "next week"}, "not a YYYY-MM-DD date"),
        ({"since": "2024-01-01", "phases": "PHASE2,PHASE5"}, "unknown phase 'PHASE5'"),
        ({"since": "2024-01-01", "sponsor_class": "pharma"}, "unknown sponsor class 'pharma'"),
        ({"since": "2024-01-01", "condition": "   "}, "must not be blank"),
        ({"since": "2024-01-01", "condition": "lupus\nAND x"}, "one line"),
        ({"since": "2024-01-01", "condition": "x" * 201}, "longer than 200"),
        ({"since": "2024-01-01", "colour": "red"}, "colour"),
    ],
)
def test_invalid_queries_are_bad_input(values: dict[str, Any], problem: str) -> None:
    with pytest.raises(BadInput, match="invalid discovery query") as raised:
        DiscoveryQuery.checked(**values)
    assert problem in str(raised.value)
    assert raised.value.exit_code == EXIT_BAD_INPUT


def test_a_query_with_since_equal_until_and_a_future_until_is_fine() -> None:
    assert DiscoveryQuery.checked(since="2024-01-01", until="2024-01-01").until == SINCE
    assert DiscoveryQuery.checked(since="2024-01-01", until="2999-12-31").until is not None


# --- offline ----------------------------------------------------------------------------------


def test_offline_discovery_lists_the_stopped_drug_trials_of_the_snapshot(tmp_path: Path) -> None:
    with HttpClient(fast_settings(tmp_path, offline=True)) as client:
        result = discover(client, DiscoveryQuery(since=date(2010, 1, 1)))

    assert [(c.nct_id, c.status, c.last_update_posted) for c in result.candidates] == [
        ("NCT00184067", "TERMINATED", date(2014, 5, 21)),
        ("NCT02971839", "TERMINATED", date(2020, 8, 26)),
        ("NCT05591222", "TERMINATED", date(2026, 5, 14)),
        ("NCT05540665", "TERMINATED", None),  # its record states no last update
    ]
    # The withdrawn NCT00973089 tests an OTHER intervention: not listed at all. NCT02576665
    # was recorded with a fields= subset that left out its intervention types.
    assert [(d.nct_id, d.reason) for d in result.dropped] == [
        ("NCT02576665", DropReason.INTERVENTION_TYPE_NOT_STATED)
    ]
    assert (result.registry_total, result.pages) == (5, 2)


def test_offline_discovery_with_a_limit(tmp_path: Path) -> None:
    with HttpClient(fast_settings(tmp_path, offline=True)) as client:
        result = discover(client, DiscoveryQuery(since=date(2010, 1, 1)), limit=3)
    assert [c.nct_id for c in result.candidates] == ["NCT00184067", "NCT02971839", "NCT05591222"]
    assert result.truncated


# --- --nct-file -------------------------------------------------------------------------------


def test_nct_file_keeps_good_lines_and_reports_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "trials.txt"
    path.write_bytes(
        "\ufeff# trials to draft\r\n"  # 1: byte order mark and a comment
        "NCT05591222\r\n"  # 2
        "\r\n"  # 3: blank
        "  nct02971839   # lower case, trailing comment\n"  # 4
        "NCT0559122\n"  # 5: seven digits
        "NCT05591222\n"  # 6: repeats line 2
        "   \t \n"  # 7: blank
        "NCT00184067, NCT00973089\n"  # 8: two on one line
        "\x1b[2JNCT00973089\u202e\n"  # 9: a terminal escape and a bidi override
        "NCT00973089".encode()  # 10: no final newline
    )
    found = read_nct_file(path)

    assert found.ids == ["NCT05591222", "NCT02971839", "NCT00973089"]
    assert [(bad.line, bad.text) for bad in found.malformed] == [
        (5, "NCT0559122"),
        (8, "NCT00184067, NCT00973089"),
        (9, "\x1b[2JNCT00973089\u202e"),
    ]
    assert [(d.line, d.nct_id, d.first_line) for d in found.duplicates] == [(6, "NCT05591222", 2)]
    warnings = found.warnings()
    assert [w.split(":")[1] for w in warnings] == ["5", "6", "8", "9"]
    assert warnings[1] == f"{path}:6: NCT05591222 repeats line 2"
    assert warnings[0] == f"{path}:5: not an NCT id (NCT followed by 8 digits): 'NCT0559122'"
    assert "\x1b" not in warnings[3] and "\u202e" not in warnings[3]
    assert "\\x1b[2JNCT00973089\\u202e" in warnings[3]


def test_an_overlong_line_is_shown_cut(tmp_path: Path) -> None:
    path = tmp_path / "trials.txt"
    path.write_text("NCT05591222" + "9" * 10_000 + "\n")
    (bad,) = read_nct_file(path).malformed
    assert bad.line == 1 and len(bad.text) == 60 and bad.text.endswith("…")


def test_an_nct_file_of_comments_only_holds_no_ids(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("# nothing yet\n\n")
    found = read_nct_file(path)
    assert (found.ids, found.malformed, found.duplicates) == ([], [], [])


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot read"),
        (b"NCT05591222\n\xff\xfe\n", "not UTF-8"),
        ("directory", "cannot read"),
        (b"NCT05591222\n" * 400_000, "larger than"),
    ],
)
def test_an_unreadable_nct_file_is_bad_input(
    tmp_path: Path, content: bytes | str | None, problem: str
) -> None:
    path = tmp_path / "trials.txt"
    if content == "directory":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(BadInput, match=problem) as raised:
        read_nct_file(path)
    assert raised.value.exit_code == EXIT_BAD_INPUT
    assert str(path) in str(raised.value)
