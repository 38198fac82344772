"""Every real recorded API response (copies in tests/data/api-examples, see its README) served
byte for byte, with its recorded status and content type, from a local server to the REAL source
clients; the parsed values are checked against the recording.

Recorded bodies whose query differs from ours (another GraphQL selection, another `fields=`
subset, another search) are served at our client's path anyway: the models must parse what the
real APIs returned.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from drafter.errors import (
    EXIT_BAD_INPUT,
    EXIT_UPSTREAM,
    MalformedResponse,
    NotFound,
    UpstreamRejected,
)
from drafter.sources import chembl, ctgov, openfda, opentargets, pubmed
from drafter.sources.http import HttpClient
from tests.conftest import fast_settings
from tests.servers import Reply, ScriptedServer

EXAMPLES = Path(__file__).resolve().parent / "data" / "api-examples"
GRAPHQL = "/graphql"  # Open Targets requests are POSTs to the base URL itself
SINCE = date(2026, 1, 1)

# Recorded responses no client function requests (kept so the inventory below is complete).
NO_CLIENT_FOR = {
    "clinicaltrials/m37_version": "GET /version: drafter never asks for the API version",
    "opentargets/m37_meta_api_26.6.3": "meta{…}: drafter never asks for the API version",
}

Connect = Callable[[str], HttpClient]


# --- helpers -----------------------------------------------------------------------------------


def raw(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def body_file(wrapper: str) -> Path | None:
    """The raw body saved next to an m37 `*.fixture.json` wrapper, if there is one."""
    for suffix in (".body.json", ".body.txt"):
        path = EXAMPLES / wrapper.replace(".fixture.json", suffix)
        if path.exists():
            return path
    return None


def recorded(name: str) -> Reply:
    """The recorded answer as a reply. An m37 `*.fixture.json` wrapper gives the status, the
    content type and other headers, and the body (its raw `.body.*` sibling, else its `text`);
    every other file is a raw JSON body that was answered with 200."""
    if not name.endswith(".fixture.json"):
        return Reply(200, raw(name))
    wrapper = json.loads(raw(name))
    headers = dict(wrapper["headers"])
    content_type = headers.pop("content-type")
    sibling = body_file(name)
    body = sibling.read_bytes() if sibling else wrapper["text"].encode()
    return Reply(wrapper["status"], body, headers=headers, content_type=content_type)


def studies_in(name: str) -> list[dict[str, Any]]:
    """The raw study objects of a recorded single-study body or search page."""
    document = json.loads(raw(name.replace(".fixture.json", ".body.json")))
    return [document] if "protocolSection" in document else list(document["studies"])


def protocol(study: dict[str, Any], module: str) -> dict[str, Any]:
    section: dict[str, Any] = study["protocolSection"].get(module, {})
    return section


@pytest.fixture(scope="module")
def module_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def scripted(module_server: ScriptedServer) -> ScriptedServer:
    """The conftest `scripted`, but one server for the whole module, emptied before each test:
    stopping a server waits for its 0.5 s poll, which would dominate this file's run time."""
    module_server.routes.clear()
    module_server.received.clear()
    return module_server


@pytest.fixture
def connect(scripted: ScriptedServer, tmp_path: Path) -> Iterator[Connect]:
    """An HttpClient whose base URL for one source is the scripted server."""
    opened: list[HttpClient] = []

    def make(source: str) -> HttpClient:
        base = scripted.url + GRAPHQL if source == "opentargets" else scripted.url
        client = HttpClient(fast_settings(tmp_path, **{f"{source}_url": base}))
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


def sent_graphql(scripted: ScriptedServer) -> dict[str, Any]:
    received = scripted.received[-1]
    assert (received.method, received.path) == ("POST", GRAPHQL)
    body: dict[str, Any] = json.loads(received.body)
    return body


# --- the copies themselves ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "wrapper",
    sorted(p.relative_to(EXAMPLES).as_posix() for p in EXAMPLES.rglob("*.fixture.json")),
)
def test_m37_raw_body_is_the_recorded_text(wrapper: str) -> None:
    """Serving a `.body.*` file is serving what the wrapper recorded."""
    recording = json.loads(raw(wrapper))
    sibling = body_file(wrapper)
    if sibling is None:
        assert recording["text"] == ""  # the ChEMBL 404: an empty HTML body
    elif recording["text"] is not None:
        assert sibling.read_text(encoding="utf-8") == recording["text"]
    else:  # PubMed wrappers keep the parsed body only
        assert json.loads(sibling.read_bytes()) == recording["body"]


def test_every_copied_example_is_exercised_or_explained() -> None:
    source = Path(__file__).read_text(encoding="utf-8")
    copied = {
        p.relative_to(EXAMPLES).as_posix()
        for p in EXAMPLES.rglob("*")
        if p.is_file() and p.parent != EXAMPLES
    }
    stems = {
        name.removesuffix(".fixture.json").removesuffix(".body.json").removesuffix(".body.txt")
        for name in copied
    }
    assert len(copied) == 70
    assert sorted(stem for stem in stems if stem.split("/")[1] not in source) == []


# --- ClinicalTrials.gov: single studies -------------------------------------------------------


WITHDRAWN_WHY = "recruiting or enrolling participants has halted prematurely and will not resume"

# file in clinicaltrials/, NCT id, overallStatus, whyStopped (a `fields=` subset may leave it out:
# NCT02576665 is TERMINATED but WhyStopped was not requested).
STUDIES = [
    ("biomcp_get_nct02576665_20260811.json", "NCT02576665", "TERMINATED", None),
    ("biomcp_get_nct06382129_20260811.json", "NCT06382129", "ACTIVE_NOT_RECRUITING", None),
    ("biomcp_get_nct06604689_20260811.json", "NCT06604689", "RECRUITING", None),
    (
        "m37_study_NCT02971839_terminated_fields_subset.fixture.json",
        "NCT02971839",
        "TERMINATED",
        "Decision by Sponsor.",
    ),
    (
        "study_NCT00184067_terminated_cyanheads.json",
        "NCT00184067",
        "TERMINATED",
        "Primary PI left institution",
    ),
    ("study_NCT00973089_withdrawn_aact.json", "NCT00973089", "WITHDRAWN", WITHDRAWN_WHY),
    ("study_NCT02210780_phase2_completed_with_results_aact.json", "NCT02210780", "COMPLETED", None),
    ("study_NCT03418623_phase2_completed_no_results_aact.json", "NCT03418623", "COMPLETED", None),
    ("study_NCT03934567_active_cyanheads.json", "NCT03934567", "ACTIVE_NOT_RECRUITING", None),
    ("study_NCT06171568_not_yet_recruiting_aact.json", "NCT06171568", "NOT_YET_RECRUITING", None),
]

# NCT id: phases, (enrollment count, type), (start date, its precision, its type)
DESIGN_AND_START = {
    "NCT02576665": (["PHASE1"], (21, None), ("2016-07", "month", None)),
    "NCT06382129": (["PHASE3"], (698, None), ("2024-05-17", "day", None)),
    "NCT06604689": ([], (800, None), ("2024-09-30", "day", None)),  # observational: no phases
    "NCT02971839": (["PHASE2"], (11, "ACTUAL"), ("2016-12", "month", "ACTUAL")),
    "NCT00184067": (["PHASE2"], (23, "ACTUAL"), ("2004-05", "month", None)),  # struct w/o type
    "NCT00973089": (["NA"], (0, "ACTUAL"), ("2010-05", "month", None)),  # withdrawn: 0 enrolled
    "NCT02210780": (["PHASE2"], (194, "ACTUAL"), ("2014-08-05", "day", "ACTUAL")),
    "NCT03418623": (["PHASE2"], (24, "ACTUAL"), ("2018-03-08", "day", "ACTUAL")),
    "NCT03934567": (["PHASE2"], (87, "ACTUAL"), ("2020-04-22", "day", "ACTUAL")),
    "NCT06171568": ([], (400, "ESTIMATED"), ("2024-02-01", "day", "ESTIMATED")),
}

# NCT id: lead sponsor, hasResults (absent from `fields=` subsets)
SPONSOR_AND_RESULTS = {
    "NCT02576665": ("Tocagen Inc.", None),
    "NCT06382129": ("Sichuan Baili Pharmaceutical Co., Ltd.", None),
    "NCT06604689": ("Fudan University", None),
    "NCT02971839": ("Vertex Pharmaceuticals Incorporated", True),
    "NCT00184067": ("University of Southern California", False),
    "NCT00973089": ("Hadassah Medical Organization", False),
    "NCT02210780": ("Regeneron Pharmaceuticals", True),
    "NCT03418623": ("Laboratorio Farmaceutico Ct S.r.l.", False),
    "NCT03934567": ("Xynomic Pharmaceuticals, Inc.", False),
    "NCT06171568": ("Assistance Publique - Hôpitaux de Paris", False),  # UTF-8, no charset
}


@pytest.mark.parametrize(("name", "nct_id", "status", "why_stopped"), STUDIES)
def test_get_study_parses_recorded_study(
    scripted: ScriptedServer,
    connect: Connect,
    name: str,
    nct_id: str,
    status: str,
    why_stopped: str | None,
) -> None:
    name = f"clinicaltrials/{name}"
    scripted.script(f"/studies/{nct_id}", recorded(name))
    study = ctgov.get_study(connect("ctgov"), f" {nct_id.lower()} ")

    assert scripted.received[0].path == f"/studies/{nct_id}"
    assert study.nct_id == nct_id
    assert study.status.overall_status == status
    assert study.status.why_stopped == why_stopped
    phases, enrollment, start = DESIGN_AND_START[nct_id]
    assert study.design.phases == phases
    assert study.design.enrollment_info is not None
    assert (study.design.enrollment_info.count, study.design.enrollment_info.type) == enrollment
    struct = study.status.start_date_struct
    assert struct is not None
    assert (struct.date.value, struct.date.precision, struct.type) == start
    assert (study.lead_sponsor, study.has_results) == SPONSOR_AND_RESULTS[nct_id]

    (expected,) = studies_in(name)
    identification = protocol(expected, "identificationModule")
    assert study.protocol_section.identification_module.brief_title == identification["briefTitle"]
    assert study.conditions == protocol(expected, "conditionsModule")["conditions"]
    recorded_interventions = protocol(expected, "armsInterventionsModule")["interventions"]
    assert [(i.name, i.type) for i in study.interventions] == [
        (i["name"], i.get("type")) for i in recorded_interventions
    ]
    completion = study.status.completion_date_struct
    assert completion is not None
    assert (
        str(completion.date) == protocol(expected, "statusModule")["completionDateStruct"]["date"]
    )


def test_terminated_study_keeps_date_precision_aliases_and_mesh(
    scripted: ScriptedServer, connect: Connect
) -> None:
    scripted.script(
        "/studies/NCT02971839",
        recorded("clinicaltrials/m37_study_NCT02971839_terminated_fields_subset.fixture.json"),
    )
    study = ctgov.get_study(connect("ctgov"), "NCT02971839")
    status = study.status

    assert status.start_date_struct is not None
    assert str(status.start_date_struct.date) == "2016-12"
    assert status.start_date_struct.date.earliest() == date(2016, 12, 1)
    assert status.start_date_struct.date.latest() == date(2016, 12, 31)
    assert status.study_first_submit_date is not None
    assert status.study_first_submit_date.precision == "day"
    assert status.study_first_submit_date.value == "2016-11-21"
    assert status.status_verified_date is not None
    assert status.status_verified_date.precision == "month"
    assert status.study_first_post_date_struct is not None
    assert status.study_first_post_date_struct.type == "ESTIMATED"
    assert status.results_first_post_date_struct is not None
    assert status.results_first_post_date_struct.date.value == "2020-08-26"
    assert status.last_update_post_date_struct is not None
    assert status.last_update_post_date_struct.date.value == "2020-08-26"

    aliases = {i.name: i.aliases for i in study.interventions}
    assert aliases == {
        "VX-561": ["CTP-656"],
        "Placebo": [],
        "IVA": ["ivacaftor", "VX-770", "Kalydeco"],  # "ivacaftor; VX-770" is two names
    }
    assert [i.type for i in study.interventions] == ["DRUG", "DRUG", "DRUG"]
    identification = study.protocol_section.identification_module
    assert identification.org_study_id_info is not None
    assert identification.org_study_id_info.id == "CP656.2001"
    assert identification.organization is not None
    assert identification.organization.class_ == "INDUSTRY"
    design = study.design.design_info
    assert design is not None
    assert design.masking_info is not None
    assert (design.allocation, design.masking_info.masking) == ("RANDOMIZED", "QUADRUPLE")
    outcomes = study.protocol_section.outcomes_module
    assert outcomes is not None
    assert (
        outcomes.primary_outcomes[0].measure == "Change From Baseline in Sweat Chloride at Day 28"
    )
    eligibility = study.protocol_section.eligibility_module
    assert eligibility is not None
    assert (eligibility.minimum_age, eligibility.sex) == ("18 Years", "ALL")
    derived = study.derived_section
    assert derived is not None
    assert derived.misc_info_module is not None
    assert derived.misc_info_module.version_holder == "2026-09-11"
    assert derived.condition_browse_module is not None
    assert [(m.id, m.term) for m in derived.condition_browse_module.meshes] == [
        ("D003550", "Cystic Fibrosis")
    ]
    assert derived.intervention_browse_module is not None
    assert [(m.id, m.term) for m in derived.intervention_browse_module.meshes] == [
        ("C545203", "ivacaftor")
    ]


def test_drug_code_other_names_split_into_aliases(
    scripted: ScriptedServer, connect: Connect
) -> None:
    scripted.script(
        "/studies/NCT02210780",
        recorded("clinicaltrials/study_NCT02210780_phase2_completed_with_results_aact.json"),
    )
    scripted.script(
        "/studies/NCT02576665", recorded("clinicaltrials/biomcp_get_nct02576665_20260811.json")
    )
    client = connect("ctgov")
    dupilumab = ctgov.get_study(client, "NCT02210780")
    toca = ctgov.get_study(client, "NCT02576665")

    assert dupilumab.interventions[0].aliases == ["REGN668", "SAR231893", "Dupixent"]
    assert toca.interventions[1].name == "Toca FC"
    assert toca.interventions[1].aliases == ["Flucytosine", "5-FC", "5-Fluorocytosine"]


def test_withdrawn_study_references_and_unknown_struct_types(
    scripted: ScriptedServer, connect: Connect
) -> None:
    scripted.script(
        "/studies/NCT00973089", recorded("clinicaltrials/study_NCT00973089_withdrawn_aact.json")
    )
    study = ctgov.get_study(connect("ctgov"), "NCT00973089")

    references = study.protocol_section.references_module
    assert references is not None
    assert [(r.pmid, r.type) for r in references.references] == [("18519994", "BACKGROUND")]
    assert study.interventions[0].aliases == ["Indirect pulp capping"]
    assert study.status.last_update_post_date_struct is not None
    assert study.status.last_update_post_date_struct.type == "ESTIMATED"
    assert study.status.last_update_submit_date is not None
    assert study.status.last_update_submit_date.precision == "day"


def test_unknown_study_recorded_404_is_not_found(
    scripted: ScriptedServer, connect: Connect
) -> None:
    reply = recorded("clinicaltrials/m37_study_NCT99999999_404.fixture.json")
    assert (reply.status, reply.content_type) == (404, "text/plain; charset=UTF-8")
    assert reply.body == b"NCT number NCT99999999 not found"
    scripted.script("/studies/NCT99999999", reply)

    with pytest.raises(
        NotFound, match=re.escape("NCT99999999 not found on ClinicalTrials.gov")
    ) as error:
        ctgov.get_study(connect("ctgov"), "NCT99999999")
    assert error.value.exit_code == EXIT_BAD_INPUT


# --- ClinicalTrials.gov: search pages ---------------------------------------------------------


# file in clinicaltrials/, totalCount (only on a first page, and only with countTotal=true),
# whether a nextPageToken follows, number of studies
PAGES = [
    ("biomcp_search_age_count_20260811.json", 598101, True, 1),
    ("biomcp_search_keytruda_limit3_20260811.json", 2924, True, 3),
    ("biomcp_search_melanoma_recruiting_limit3_20260811.json", 480, True, 3),
    ("biomcp_search_nsclc_egfr_l858r_20260811.json", 2, False, 2),
    ("biomcp_search_phelan_limit50_20260811.json", 3, False, 3),
    ("biomcp_search_phelan_limit5_20260811.json", 21, True, 5),
    ("biomcp_search_phelan_next_20260811.json", None, True, 5),  # page 2: no totalCount
    ("m37_search_no_hits_totalCount0.fixture.json", 0, False, 0),
    ("studies_list_single_NCT06388018_aact.json", None, False, 1),
    ("studies_search_page_cyanheads_1.json", None, True, 1),
    ("studies_search_page_cyanheads_2_with_terminated.json", None, True, 2),
]


@pytest.mark.parametrize(("name", "total", "has_next", "size"), PAGES)
def test_search_page_parses_recorded_page(
    scripted: ScriptedServer,
    connect: Connect,
    name: str,
    total: int | None,
    has_next: bool,
    size: int,
) -> None:
    name = f"clinicaltrials/{name}"
    scripted.script("/studies", recorded(name))
    page = ctgov.search_stopped_page(connect("ctgov"), ctgov.stopped_search_request(SINCE))

    assert isinstance(page, ctgov.StudyPage)
    assert page.total_count == total
    assert (page.next_page_token is not None) is has_next
    assert len(page.studies) == size
    document = json.loads(raw(name.replace(".fixture.json", ".body.json")))
    assert page.next_page_token == document.get("nextPageToken")
    expected = studies_in(name)
    assert [s.nct_id for s in page.studies] == [
        protocol(s, "identificationModule")["nctId"] for s in expected
    ]
    assert [s.status.overall_status for s in page.studies] == [
        protocol(s, "statusModule")["overallStatus"] for s in expected
    ]
    assert [s.status.why_stopped for s in page.studies] == [
        protocol(s, "statusModule").get("whyStopped") for s in expected
    ]
    assert [s.design.phases for s in page.studies] == [
        protocol(s, "designModule").get("phases", []) for s in expected
    ]
    assert [
        s.design.enrollment_info.count if s.design.enrollment_info else None for s in page.studies
    ] == [protocol(s, "designModule")["enrollmentInfo"]["count"] for s in expected]
    assert [
        str(s.status.start_date_struct.date) for s in page.studies if s.status.start_date_struct
    ] == [protocol(s, "statusModule")["startDateStruct"]["date"] for s in expected]
    assert [s.lead_sponsor for s in page.studies] == [
        protocol(s, "sponsorCollaboratorsModule")["leadSponsor"]["name"] for s in expected
    ]


def test_cyanheads_page_terminated_study(scripted: ScriptedServer, connect: Connect) -> None:
    scripted.script(
        "/studies",
        recorded("clinicaltrials/studies_search_page_cyanheads_2_with_terminated.json"),
    )
    page = ctgov.search_stopped_page(connect("ctgov"), ctgov.stopped_search_request(SINCE))
    terminated, active = page.studies

    assert terminated.status.overall_status == "TERMINATED"
    assert terminated.status.why_stopped == "Primary PI left institution"
    assert terminated.status.start_date_struct is not None
    assert terminated.status.start_date_struct.date.precision == "month"
    assert terminated.status.start_date_struct.type is None
    assert terminated.status.primary_completion_date_struct is not None
    assert terminated.status.primary_completion_date_struct.type == "ACTUAL"
    assert active.status.completion_date_struct is not None
    assert active.status.completion_date_struct.type == "ESTIMATED"
    assert active.conditions == ["Lymphoma, Follicular"]


def test_aact_list_wrapper_study(scripted: ScriptedServer, connect: Connect) -> None:
    scripted.script(
        "/studies", recorded("clinicaltrials/studies_list_single_NCT06388018_aact.json")
    )
    page = ctgov.search_stopped_page(connect("ctgov"), ctgov.stopped_search_request(SINCE))
    (study,) = page.studies

    assert study.status.overall_status == "RECRUITING"
    assert study.design.enrollment_info is not None
    assert (study.design.enrollment_info.count, study.design.enrollment_info.type) == (
        325,
        "ESTIMATED",
    )
    assert study.status.start_date_struct is not None
    assert study.status.start_date_struct.type == "ESTIMATED"
    assert study.status.status_verified_date is not None
    assert study.status.status_verified_date.value == "2024-07"
    assert study.lead_sponsor == "NRG Oncology"
    ct = next(i for i in study.interventions if i.name == "Computed Tomography")
    assert ct.type == "PROCEDURE"
    assert "CT Scan" in ct.aliases
    assert "Computerized axial tomography (procedure)" in ct.aliases
    assert len(study.interventions) == 8


def test_iter_stopped_studies_follows_recorded_page_token(
    scripted: ScriptedServer, connect: Connect
) -> None:
    first = "clinicaltrials/biomcp_search_phelan_limit5_20260811.json"
    second = "clinicaltrials/biomcp_search_phelan_next_20260811.json"
    scripted.script("/studies", recorded(first), recorded(second))
    studies = list(itertools.islice(ctgov.iter_stopped_studies(connect("ctgov"), SINCE), 10))

    expected = [protocol(s, "identificationModule")["nctId"] for s in studies_in(first)]
    expected += [protocol(s, "identificationModule")["nctId"] for s in studies_in(second)]
    assert [s.nct_id for s in studies] == expected
    assert len(set(expected)) == 10
    page_one, page_two = (r.query for r in scripted.received)
    assert page_one["countTotal"] == "true"
    assert "pageToken" not in page_one
    assert page_two["pageToken"] == "ZVt07cGHkvI2wRk2CJf6_LLq14bEL8swd7KrgP4dnDeTsPkw"
    assert "countTotal" not in page_two
    assert page_two["filter.overallStatus"] == page_one["filter.overallStatus"]
    assert page_two["filter.advanced"] == page_one["filter.advanced"]


def test_iter_stopped_studies_stops_on_a_repeated_recorded_token(
    scripted: ScriptedServer, connect: Connect
) -> None:
    scripted.script(
        "/studies",
        recorded("clinicaltrials/biomcp_search_phelan_limit5_20260811.json"),
        recorded("clinicaltrials/biomcp_search_phelan_next_20260811.json"),  # then repeats
    )
    with pytest.raises(MalformedResponse, match="repeated page token"):
        list(ctgov.iter_stopped_studies(connect("ctgov"), SINCE))
    assert scripted.count("/studies") == 3


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("clinicaltrials/biomcp_search_phelan_limit50_20260811.json", 3),
        ("clinicaltrials/m37_search_no_hits_totalCount0.fixture.json", 0),
    ],
)
def test_iter_stopped_studies_ends_on_recorded_last_page(
    scripted: ScriptedServer, connect: Connect, name: str, count: int
) -> None:
    scripted.script("/studies", recorded(name))
    assert len(list(ctgov.iter_stopped_studies(connect("ctgov"), SINCE))) == count
    assert scripted.count("/studies") == 1


# --- Open Targets -----------------------------------------------------------------------------


CASSETTE = "opentargets/otmcp_graphql_cassette_v26.03.json"


def cassette_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(raw(CASSETTE))["records"]
    return records


def cassette_data(variables: dict[str, Any]) -> bytes:
    """A cassette `response` (the gql `data` payload) with its `{"data": …}` envelope back."""
    (record,) = [r for r in cassette_records() if r["request"]["variables"] == variables]
    return json.dumps({"data": record["response"]}).encode()


def cassette_errors() -> list[dict[str, Any]]:
    """The cassette's GraphQL errors, stored as a Python repr of `{'message', 'locations'}`."""
    return [
        ast.literal_eval(r["response"]["_error"])
        for r in cassette_records()
        if isinstance(r["response"], dict) and "_error" in r["response"]
    ]


def test_get_target_parses_recorded_cftr_profile(
    scripted: ScriptedServer, connect: Connect
) -> None:
    scripted.script(GRAPHQL, recorded("opentargets/m37_target_CFTR_profile.fixture.json"))
    target = opentargets.get_target(connect("opentargets"), "ENSG00000001626")

    assert target is not None
    assert target.id == "ENSG00000001626"
    assert target.approved_symbol == "CFTR"
    assert target.approved_name == "CF transmembrane conductance regulator"
    assert target.biotype == "protein_coding"
    sent = sent_graphql(scripted)
    assert sent["operationName"] == "Target"
    assert sent["variables"] == {"ensemblId": "ENSG00000001626"}


@pytest.mark.parametrize(
    ("ensembl_id", "symbol", "name"),
    [
        ("ENSG00000139618", "BRCA2", "BRCA2 DNA repair associated"),
        ("ENSG00000141510", "TP53", "tumor protein p53"),
    ],
)
def test_get_target_parses_cassette_target(
    scripted: ScriptedServer, connect: Connect, ensembl_id: str, symbol: str, name: str
) -> None:
    scripted.script(GRAPHQL, Reply(200, cassette_data({"ensemblId": ensembl_id})))
    target = opentargets.get_target(connect("opentargets"), ensembl_id)

    assert target is not None
    assert (target.id, target.approved_symbol, target.approved_name) == (ensembl_id, symbol, name)
    assert target.biotype is None  # not selected by the recorded query


@pytest.mark.parametrize(
    ("reply", "ensembl_id"),
    [
        pytest.param(
            "opentargets/m37_target_unknown_null.fixture.json", "ENSG00000000000", id="m37"
        ),
        pytest.param(None, "ENSG_UNKNOWN_DOES_NOT_EXIST", id="cassette"),
    ],
)
def test_get_target_unknown_id_is_none(
    scripted: ScriptedServer, connect: Connect, reply: str | None, ensembl_id: str
) -> None:
    if reply is None:
        scripted.script(GRAPHQL, Reply(200, cassette_data({"ensemblId": ensembl_id})))
    else:
        scripted.script(GRAPHQL, recorded(reply))
    assert opentargets.get_target(connect("opentargets"), ensembl_id) is None
    assert scripted.count(GRAPHQL) == 1


def test_get_disease_parses_recorded_cystic_fibrosis(
    scripted: ScriptedServer, connect: Connect
) -> None:
    scripted.script(
        GRAPHQL, recorded("opentargets/m37_disease_MONDO_0009061_cystic_fibrosis.fixture.json")
    )
    disease = opentargets.get_disease(connect("opentargets"), "MONDO_0009061")

    assert disease is not None
    assert (disease.id, disease.name) == ("MONDO_0009061", "cystic fibrosis")
    assert disease.description is not None
    assert disease.description.startswith("Autosomal recessive disorder caused by")
    assert "MESH:D003550" in disease.db_x_refs
    assert len(disease.db_x_refs) == 19
    assert sent_graphql(scripted)["variables"] == {"efoId": "MONDO_0009061"}


def test_get_disease_unknown_id_is_none(scripted: ScriptedServer, connect: Connect) -> None:
    scripted.script(GRAPHQL, recorded("opentargets/m37_disease_unknown_null.fixture.json"))
    assert opentargets.get_disease(connect("opentargets"), "MONDO_9999999") is None


def test_map_ids_parses_recorded_hit(scripted: ScriptedServer, connect: Connect) -> None:
    scripted.script(GRAPHQL, recorded("opentargets/m37_mapIds_CFTR.fixture.json"))
    result = opentargets.map_ids(connect("opentargets"), ["CFTR"], "target")

    assert result.total == 1
    (mapping,) = result.mappings
    assert mapping.term == "CFTR"
    (hit,) = mapping.hits
    assert (hit.id, hit.entity, hit.name, hit.score) == ("ENSG00000001626", "target", "CFTR", 1.0)
    assert sent_graphql(scripted)["variables"] == {"terms": ["CFTR"], "entities": ["target"]}


def test_map_ids_parses_recorded_no_hits(scripted: ScriptedServer, connect: Connect) -> None:
    scripted.script(GRAPHQL, recorded("opentargets/m37_mapIds_no_hits.fixture.json"))
    result = opentargets.map_ids(connect("opentargets"), ["NOTAREALGENEXYZ"], "target")

    assert result.total == 0
    assert [(m.term, m.hits) for m in result.mappings] == [("NOTAREALGENEXYZ", [])]


def test_get_associations_parses_recorded_cftr_rows(
    scripted: ScriptedServer, connect: Connect
) -> None:
    scripted.script(
        GRAPHQL, recorded("opentargets/m37_target_CFTR_associatedDiseases_size5.fixture.json")
    )
    target = opentargets.get_associations(
        connect("opentargets"), "ENSG00000001626", disease_name="Cystic Fibrosis"
    )

    assert target is not None
    assert target.id == "ENSG00000001626"
    associations = target.associated_diseases
    assert associations is not None
    assert associations.count == 1987
    assert [row.disease.id for row in associations.rows] == [
        "MONDO_0009061",
        "MONDO_0010178",
        "MONDO_0008185",
        "MONDO_0008887",
        "MONDO_0018801",
    ]
    top = associations.rows[0]
    assert top.disease.name == "cystic fibrosis"
    assert top.score == pytest.approx(0.9182039330240603)
    scores = {s.id: s.score for s in top.datatype_scores}
    assert scores["clinical"] == pytest.approx(0.993501369004063)
    assert set(scores) == {
        "clinical",
        "genetic_literature",
        "affected_pathway",
        "literature",
        "genetic_association",
        "animal_model",
    }
    assert [row.score for row in associations.rows] == sorted(
        (row.score for row in associations.rows), reverse=True
    )
    variables = sent_graphql(scripted)["variables"]
    assert variables["nameFilter"] == "cystic fibrosis"
    assert variables["enableIndirect"] is False


@pytest.mark.parametrize(
    ("name", "first_disease", "drug_count", "first_drug"),
    [
        (
            "biomcp_clinical_braf_20260811.json",
            ("MONDO_0015280", "cardiofaciocutaneous syndrome"),
            18,
            "BELVARAFENIB",
        ),
        ("biomcp_clinical_brca1_20260811.json", ("MONDO_0007254", "breast cancer"), 0, None),
        (
            "biomcp_clinical_egfr_20260811.json",
            ("MONDO_0005233", "non-small cell lung carcinoma"),
            82,
            "RUSERONTINIB",
        ),
        (
            "biomcp_clinical_erbb2_20260811.json",
            ("MONDO_0005233", "non-small cell lung carcinoma"),
            48,
            "MM-111",
        ),
    ],
)
def test_recorded_clinical_context_parses_as_associations_and_drugs(
    scripted: ScriptedServer,
    connect: Connect,
    name: str,
    first_disease: tuple[str, str],
    drug_count: int,
    first_drug: str | None,
) -> None:
    name = f"opentargets/{name}"
    scripted.script(GRAPHQL, recorded(name))
    client = connect("opentargets")
    recorded_target = json.loads(raw(name))["data"]["target"]

    associated = opentargets.get_associations(client, "ENSG-any", disease_id="MONDO-any")
    assert associated is not None
    assert associated.associated_diseases is not None
    rows = associated.associated_diseases.rows
    assert len(rows) == 5
    assert (rows[0].disease.id, rows[0].disease.name) == first_disease
    assert [r.score for r in rows] == [
        r["score"] for r in recorded_target["associatedDiseases"]["rows"]
    ]

    drugs = opentargets.get_target_drugs(client, "ENSG-any")
    assert drugs is not None
    assert drugs.drug_and_clinical_candidates is not None
    candidates = drugs.drug_and_clinical_candidates.rows
    assert len(candidates) == drug_count
    assert [c.drug.id for c in candidates] == [
        r["drug"]["id"] for r in recorded_target["drugAndClinicalCandidates"]["rows"]
    ]
    assert (candidates[0].drug.name if candidates else None) == first_drug
    assert drugs.drug_and_clinical_candidates.count is None  # not selected by biomcp
    assert scripted.count(GRAPHQL) == 2


def test_recorded_druggability_target_has_no_evidence_we_read(
    scripted: ScriptedServer, connect: Connect
) -> None:
    scripted.script(GRAPHQL, recorded("opentargets/biomcp_druggability_egfr_20260811.json"))
    target = opentargets.get_target_drugs(connect("opentargets"), "ENSG00000146648")

    assert target is not None
    assert (target.id, target.associated_diseases, target.drug_and_clinical_candidates) == (
        None,
        None,
        None,
    )


def test_get_drug_parses_recorded_pembrolizumab(scripted: ScriptedServer, connect: Connect) -> None:
    scripted.script(GRAPHQL, recorded("opentargets/biomcp_drug_pembrolizumab_20260811.json"))
    drug = opentargets.get_drug(connect("opentargets"), "CHEMBL3137343")

    assert drug is not None
    assert (drug.id, drug.name) == ("CHEMBL3137343", "PEMBROLIZUMAB")
    assert drug.mechanisms_of_action is not None
    assert [t.approved_symbol for r in drug.mechanisms_of_action.rows for t in r.targets] == [
        "PDCD1"
    ]


@pytest.mark.parametrize(
    ("query", "total", "first"),
    [
        ("BRCA1", 1552, ("ENSG00000012048", "target")),
        ("aspirin", 124, ("CHEMBL25", "drug")),
        ("ibuprofen", 85, ("CHEMBL521", "drug")),
    ],
)
def test_cassette_search_hits_fit_the_mapping_hit_model(
    query: str, total: int, first: tuple[str, str]
) -> None:
    """No client function sends `search` (name mapping uses `mapIds`); its hits have the same
    SearchResult type as mapIds hits, so they must fit `MappingHit`."""
    search = json.loads(cassette_data({"queryString": query}))["data"]["search"]
    hits = [opentargets.MappingHit.model_validate(h) for h in search["hits"]]

    assert search["total"] == total
    assert (hits[0].id, hits[0].entity) == first
    assert all(h.name is None and h.score is None for h in hits)  # not selected
    assert {h.entity for h in hits} <= {"target", "disease", "drug", "study", "variant"}


@pytest.mark.parametrize("error", cassette_errors(), ids=["bad-variable", "no-field", "int-var"])
def test_cassette_graphql_error_is_malformed_response(
    scripted: ScriptedServer, connect: Connect, error: dict[str, Any]
) -> None:
    """`errors` in a 200 answer (how Open Targets reports errors found while executing)."""
    body = {"errors": [{"message": error["message"], "locations": error["locations"]}]}
    scripted.script(GRAPHQL, Reply(200, json.dumps(body)))

    with pytest.raises(MalformedResponse) as raised:
        opentargets.get_target(connect("opentargets"), "12345")
    assert "Open Targets" in str(raised.value)
    # one line, and at most an excerpt of an upstream's text: its start is shown
    assert " ".join(error["message"].split())[:80] in str(raised.value)
    assert raised.value.exit_code == EXIT_UPSTREAM


@pytest.mark.parametrize("error", cassette_errors(), ids=["bad-variable", "no-field", "int-var"])
def test_cassette_graphql_error_with_http_400_is_rejected(
    scripted: ScriptedServer, connect: Connect, error: dict[str, Any]
) -> None:
    """Validation errors like these come with HTTP 400 from the live API (platform-api
    GraphQLController: QueryAnalysisError -> BadRequest); the HTTP layer rejects them."""
    body = {"errors": [{"message": error["message"], "locations": error["locations"]}]}
    scripted.script(GRAPHQL, Reply(400, json.dumps(body)))

    with pytest.raises(UpstreamRejected) as raised:
        opentargets.get_target(connect("opentargets"), "12345")
    text = str(raised.value)
    assert "Open Targets" in text
    assert "HTTP 400" in text
    assert " ".join(error["message"].split())[:50] in text
    assert scripted.count(GRAPHQL) == 1  # a 4xx is not retried


# --- ChEMBL -----------------------------------------------------------------------------------


LUMACAFTOR = "chembl/m37_molecule_CHEMBL2103870_lumacaftor_max_phase_4.0.fixture.json"
GALICAFTOR = "chembl/m37_molecule_CHEMBL4101487_galicaftor_max_phase_2.0.fixture.json"


@pytest.mark.parametrize(
    ("name", "chembl_id", "pref_name", "max_phase", "first_approval", "research_codes"),
    [
        (
            LUMACAFTOR,
            "CHEMBL2103870",
            "LUMACAFTOR",
            "4.0",
            2015,
            ["VRT 826809", "VRT-826809", "VRT826809", "VX 809", "VX-809", "VX809"],
        ),
        (
            GALICAFTOR,
            "CHEMBL4101487",
            "GALICAFTOR",
            "2.0",
            None,
            ["ABBV-2222", "GLPG-2222", "GLPG2222"],
        ),
    ],
)
def test_get_molecule_parses_recorded_molecule(
    scripted: ScriptedServer,
    connect: Connect,
    name: str,
    chembl_id: str,
    pref_name: str,
    max_phase: str,
    first_approval: int | None,
    research_codes: list[str],
) -> None:
    scripted.script(f"/molecule/{chembl_id}.json", recorded(name))
    molecule = chembl.get_molecule(connect("chembl"), chembl_id)

    assert molecule is not None
    assert molecule.molecule_chembl_id == chembl_id
    assert molecule.pref_name == pref_name
    assert molecule.max_phase == max_phase
    assert molecule.first_approval == first_approval
    assert molecule.molecule_type == "Small molecule"
    assert molecule.withdrawn_flag is False
    assert molecule.black_box_warning == 0
    assert molecule.parent_id == chembl_id
    assert [
        s.molecule_synonym for s in molecule.molecule_synonyms if s.syn_type == "RESEARCH_CODE"
    ] == research_codes
    recorded_synonyms = json.loads(raw(name.replace(".fixture.json", ".body.json")))
    assert len(molecule.molecule_synonyms) == len(recorded_synonyms["molecule_synonyms"])
    assert molecule.names()[0] == pref_name


def test_get_molecule_recorded_404_is_none(scripted: ScriptedServer, connect: Connect) -> None:
    reply = recorded("chembl/m37_molecule_CHEMBL999999999_404.fixture.json")
    assert (reply.status, reply.content_type, reply.body) == (404, "text/html; charset=utf-8", b"")
    scripted.script("/molecule/CHEMBL999999999.json", reply)

    assert chembl.get_molecule(connect("chembl"), "CHEMBL999999999") is None


def test_search_molecules_parses_recorded_molecule_records(
    scripted: ScriptedServer, connect: Connect
) -> None:
    """No molecule/search.json page was recorded: the two recorded molecule records are served
    in the `{"molecules": […], "page_meta": …}` envelope that endpoint answers with."""
    records = [raw(LUMACAFTOR.replace(".fixture.json", ".body.json"))]
    records.append(raw(GALICAFTOR.replace(".fixture.json", ".body.json")))
    page_meta = b'{"limit": 20, "next": null, "offset": 0, "previous": null, "total_count": 2}'
    body = b'{"molecules": [' + b", ".join(records) + b'], "page_meta": ' + page_meta + b"}"
    scripted.script("/molecule/search.json", Reply(200, body))
    molecules = chembl.search_molecules(connect("chembl"), "caftor")

    assert [m.molecule_chembl_id for m in molecules] == ["CHEMBL2103870", "CHEMBL4101487"]
    assert [m.max_phase for m in molecules] == ["4.0", "2.0"]
    assert scripted.received[0].query == {"q": "caftor", "limit": "20"}
    galicaftor = chembl.best_match(molecules, "GLPG-2222")
    assert galicaftor is not None
    assert galicaftor.pref_name == "GALICAFTOR"
    lumacaftor = chembl.best_match(molecules, "vx809")
    assert lumacaftor is not None
    assert lumacaftor.pref_name == "LUMACAFTOR"
    assert chembl.best_match(molecules, "Orkambi") is None  # only "… component of orkambi"


@pytest.mark.parametrize(
    ("name", "chembl_id", "expected"),
    [
        (
            "chembl/m37_mechanism_molecule_CHEMBL2103870.fixture.json",
            "CHEMBL2103870",
            [
                (
                    "Cystic fibrosis transmembrane conductance regulator stabiliser",
                    "STABILISER",
                    "CHEMBL4051",
                )
            ],
        ),
        (
            "chembl/biomcp_mechanism_CHEMBL3137343_pembrolizumab_20260811.json",
            "CHEMBL3137343",
            [("Programmed cell death protein 1 inhibitor", "INHIBITOR", "CHEMBL3307223")],
        ),
        ("chembl/m37_mechanism_molecule_CHEMBL999999999_empty.fixture.json", "CHEMBL999999999", []),
    ],
)
def test_get_mechanisms_parses_recorded_mechanisms(
    scripted: ScriptedServer,
    connect: Connect,
    name: str,
    chembl_id: str,
    expected: list[tuple[str, str, str]],
) -> None:
    scripted.script("/mechanism.json", recorded(name))
    mechanisms = chembl.get_mechanisms(connect("chembl"), chembl_id)

    assert [
        (m.mechanism_of_action, m.action_type, m.target_chembl_id) for m in mechanisms
    ] == expected
    for mechanism in mechanisms:
        assert mechanism.max_phase == "4.0"  # recorded as the integer 4
        assert mechanism.direct_interaction is True  # recorded as 1
        assert mechanism.molecule_chembl_id == mechanism.parent_molecule_chembl_id == chembl_id
    assert scripted.received[0].query["molecule_chembl_id"] == chembl_id


# --- openFDA ----------------------------------------------------------------------------------


FAERS_SEARCH = "openfda/rxcheck_drug_event_limit1_sudafed_2021-08-04.json"
FAERS_COUNT = "openfda/biomcp_faers_count_pembrolizumab_reaction_limit1_20260811.json"
# No NOT_FOUND body was ever recorded; this is its shape in the openFDA server source
# (FDA/openfda api/faers/api.js, see API-NOTES.md §4): HTTP 404, indented by 2 spaces.
NOT_FOUND = '{\n  "error": {\n    "code": "NOT_FOUND",\n    "message": "%s"\n  }\n}'


def test_count_reports_parses_recorded_search_and_count(
    scripted: ScriptedServer, connect: Connect
) -> None:
    scripted.script(openfda.EVENT_PATH, recorded(FAERS_SEARCH), recorded(FAERS_COUNT))
    summary = openfda.count_reports(connect("openfda"), ["pembrolizumab"], top=1)

    assert summary.total_reports == 10190
    assert summary.last_updated == "2021-08-04"
    assert [(r.term, r.count) for r in summary.top_reactions] == [
        ("MALIGNANT NEOPLASM PROGRESSION", 12016)
    ]
    total_query, count_query = (r.query for r in scripted.received)
    assert total_query["limit"] == "1"
    assert "count" not in total_query
    assert count_query["count"] == "patient.reaction.reactionmeddrapt.exact"
    assert count_query["limit"] == "1"
    assert count_query["search"] == total_query["search"] == summary.query
    assert 'patient.drug.medicinalproduct:"pembrolizumab"' in summary.query


def test_count_reports_rejects_recorded_count_as_total(
    scripted: ScriptedServer, connect: Connect
) -> None:
    """A count answer has no meta.results, so it can never pass for a report total."""
    scripted.script(openfda.EVENT_PATH, recorded(FAERS_COUNT))
    with pytest.raises(MalformedResponse, match=r"openFDA .* without a total"):
        openfda.count_reports(connect("openfda"), ["pembrolizumab"])


def test_count_reports_not_found_is_zero_reports(
    scripted: ScriptedServer, connect: Connect
) -> None:
    scripted.script(openfda.EVENT_PATH, Reply(404, NOT_FOUND % "No matches found!"))
    summary = openfda.count_reports(connect("openfda"), ["notadrugxyz"])

    assert (summary.total_reports, summary.top_reactions) == (0, [])
    assert scripted.count(openfda.EVENT_PATH) == 1


def test_count_reports_nothing_to_count_keeps_recorded_total(
    scripted: ScriptedServer, connect: Connect
) -> None:
    scripted.script(
        openfda.EVENT_PATH,
        recorded(FAERS_SEARCH),
        Reply(404, NOT_FOUND % "Nothing to count"),
    )
    summary = openfda.count_reports(connect("openfda"), ["sudafed"])

    assert (summary.total_reports, summary.top_reactions) == (10190, [])
    assert summary.last_updated == "2021-08-04"


# --- PubMed -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "count", "retmax", "first_ids", "not_found"),
    [
        (
            "pubmed/biomcp_esearch_apc_phrase_not_found_count40362.json",
            40362,
            100,
            ["42555032", "42553597"],
            ["p.E1317Q"],
        ),
        ("pubmed/biomcp_esearch_mlh1_g67e_count1.json", 1, 1, ["18033691"], []),
        (
            "pubmed/biomcp_esearch_pten_d326n_count3.json",
            3,
            3,
            ["32150788", "29373119", "17427195"],
            [],
        ),
    ],
)
def test_esearch_parses_recorded_search(
    scripted: ScriptedServer,
    connect: Connect,
    name: str,
    count: int,
    retmax: int,
    first_ids: list[str],
    not_found: list[str],
) -> None:
    scripted.script("/esearch.fcgi", recorded(name))
    result = pubmed.esearch(connect("pubmed"), "recorded term", retmax=retmax)

    assert result.count == count  # "40362" on the wire
    assert isinstance(result.count, int)
    assert (result.retmax, result.retstart) == (retmax, 0)
    assert result.idlist[: len(first_ids)] == first_ids
    assert len(result.idlist) == min(count, retmax)
    assert result.phrases_not_found == not_found
    query = scripted.received[0].query
    assert (query["db"], query["retmode"], query["tool"]) == ("pubmed", "json", "drafter")


ESUMMARY = "pubmed/m37_esummary_7647779.fixture.json"


def check_frosst_1995(summary: pubmed.Summary) -> None:
    assert summary.uid == "7647779"
    assert summary.title == (
        "A candidate genetic risk factor for vascular disease: a common mutation in "
        "methylenetetrahydrofolate reductase."
    )
    assert (summary.source, summary.fulljournalname) == ("Nat Genet", "Nature genetics")
    assert (summary.pubdate, summary.year) == ("1995 May", 1995)
    assert summary.doi == "10.1038/ng0595-111"
    assert len(summary.authors) == 10
    assert (summary.authors[0].name, summary.authors[-1].name) == ("Frosst P", "van den Heuvel LP")
    assert summary.error is None


def test_esummary_parses_recorded_summary(scripted: ScriptedServer, connect: Connect) -> None:
    reply = recorded(ESUMMARY)
    assert reply.headers == {"x-ratelimit-limit": "3", "x-ratelimit-remaining": "2"}
    scripted.script("/esummary.fcgi", reply)
    (summary,) = pubmed.esummary(connect("pubmed"), ["7647779"])

    check_frosst_1995(summary)
    assert scripted.received[0].query["id"] == "7647779"


def test_esummary_recorded_missing_uid_sets_error(
    scripted: ScriptedServer, connect: Connect
) -> None:
    scripted.script(
        "/esummary.fcgi", recorded("pubmed/m37_esummary_99999999_missing_uid.fixture.json")
    )
    (summary,) = pubmed.esummary(connect("pubmed"), ["99999999"])

    assert summary.uid == "99999999"
    assert summary.error == "cannot get document summary"
    assert (summary.title, summary.doi, summary.year) == (None, None, None)


RATE_LIMITED = "pubmed/biomcp_esummary_rate_limit_error_429.json"


def test_recorded_rate_limit_429_is_retried(scripted: ScriptedServer, connect: Connect) -> None:
    scripted.script("/esummary.fcgi", Reply(429, raw(RATE_LIMITED)), recorded(ESUMMARY))
    client = connect("pubmed")
    (summary,) = pubmed.esummary(client, ["7647779"])

    check_frosst_1995(summary)
    assert scripted.count("/esummary.fcgi") == 2
    assert client.network_requests == 2
    assert len(client.waits) == 1


def test_recorded_rate_limit_body_is_never_a_result(
    scripted: ScriptedServer, connect: Connect
) -> None:
    """Should the rate-limit body ever arrive with 200, it is refused, not read as no records."""
    scripted.script("/esummary.fcgi", Reply(200, raw(RATE_LIMITED)))
    with pytest.raises(MalformedResponse, match=r"PubMed refused .*API rate limit exceeded"):
        pubmed.esummary(connect("pubmed"), ["7647779"])
