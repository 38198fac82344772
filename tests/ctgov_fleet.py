"""A fleet of synthetic stopped trials served as ClinicalTrials.gov v2 on 127.0.0.1, for batch
tests: a search listing N trials (50 a page, pageToken, countTotal on the first page), each
trial's /studies/NCT9xxxxxxx record, and, for every other source, what SnapshotServer serves
(the bundled snapshot's answer, else that API's own "nothing found" shape), so a draft of
every fleet trial completes: fully resolved, or with gaps where a lookup finds nothing.

Use it from a test:

    with running_fleet(size=200) as fleet:
        for name, value in fleet.environment().items():
            monkeypatch.setenv(name, value)          # DRAFTER_CTGOV_URL, … point at the fleet
        fleet.override(fleet.study_path(fleet.nct_ids[7]), Reply(500))   # inject a fault
        … drafter batch / discover / draft …
        fleet.received                               # every request, in order

Each trial is a copy of one of the bundled snapshot's stopped interventional drug or biological
trials (its design, arms, interventions, outcomes), with its own NCT id in NCT90000001… (a
range no real trial uses; never another trial's id), and varied status, why-stopped text,
sponsor and sponsor class, condition, phases, enrollment and dates. Identifiers of the template
trial (secondary ids, acronym, official title, references, results, MeSH) are left out, so no
fleet record carries a real trial's identity. Trials copied from NCT05591222 (daxdilimab) in
its own condition resolve a drug, target and association from the snapshot; the others draft
with gaps.

Why-stopped texts: tests/data/why-stopped/sample.tsv, real texts from B. G. Carlisle, "Clinical
Trials Stopped by Covid-19", R package ctcovidstop 1.1.1 (github.com/bgcarlisle/ctcovidstop),
licensed CC BY 4.0; see tests/data/why-stopped/PROVENANCE.md (attribution kept with the data).
"""

from __future__ import annotations

import copy
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

from drafter.discovery import DiscoveryQuery, scope_problem
from drafter.sources import ctgov
from tests.conftest import DATA, SNAPSHOT_DIR
from tests.servers import Received, Reply, SnapshotServer

WHY_STOPPED = DATA / "why-stopped" / "sample.tsv"
FIRST_ID = 90_000_001
PAGE_SIZE = 50
FIRST_UPDATE = date(2023, 1, 2)

# Invented sponsors (labelled as test data) with the classes the registry uses.
SPONSORS = (
    ("Fleet Test Pharma A, Inc.", "INDUSTRY"),
    ("Fleet Test Biologics B GmbH", "INDUSTRY"),
    ("Fleet Test University Hospital C", "OTHER"),
    ("Fleet Test Institute D (NIH)", "NIH"),
    ("Fleet Test Cooperative Group E", "NETWORK"),
    ("Fleet Test Therapeutics F Ltd", "INDUSTRY"),
    ("Fleet Test Ministry of Health G", "OTHER_GOV"),
)
PHASE_SETS = (
    ["PHASE2"],
    ["PHASE3"],
    ["PHASE1"],
    ["PHASE1", "PHASE2"],
    ["PHASE2", "PHASE3"],
    ["EARLY_PHASE1"],
    ["PHASE4"],
)
# Modules of a template trial copied as they are; everything else is set per fleet trial or
# left out (identifiers, references, results and MeSH belong to the real template trial).
KEPT_MODULES = (
    "descriptionModule",
    "armsInterventionsModule",
    "outcomesModule",
    "eligibilityModule",
)
_RANGE = re.compile(
    r"AREA\[LastUpdatePostDate\]RANGE\[([0-9]{4}-[0-9]{2}-[0-9]{2}),"
    r"([0-9]{4}-[0-9]{2}-[0-9]{2}|MAX)\]"
)


def why_stopped_sample() -> list[tuple[str, str]]:
    """(status in the API's spelling, text) pairs of the sample, in file order."""
    lines = WHY_STOPPED.read_text(encoding="utf-8").splitlines()[1:]
    pairs = [line.split("\t", 1) for line in lines if line]
    return [(status.upper(), text) for status, text in pairs]


def snapshot_templates() -> list[dict[str, Any]]:
    """The bundled snapshot's full study records of stopped interventional drug or biological
    trials (whatever discovery would draft from it), by NCT id."""
    manifest = json.loads((SNAPSHOT_DIR / "ctgov" / "manifest.json").read_text("utf-8"))
    query = DiscoveryQuery(since=date(1900, 1, 1))
    templates = []
    for entry in sorted(manifest["entries"], key=lambda e: e["request"]["path"]):
        if not entry["request"]["path"].startswith("/studies/NCT") or entry["status"] != 200:
            continue
        record = json.loads((SNAPSHOT_DIR / "ctgov" / entry["file"]).read_text("utf-8"))
        if scope_problem(ctgov.Study.model_validate(record), query) is None:
            templates.append(record)
    return templates


def fleet_study(
    index: int,
    template: dict[str, Any],
    why: tuple[str, str],
    conditions: list[str],
) -> dict[str, Any]:
    """Fleet trial number `index` (from 0), shaped like `template`."""
    nct_id = f"NCT{FIRST_ID + index}"
    status, why_stopped = why
    source = template["protocolSection"]
    drug = source["armsInterventionsModule"]["interventions"][0]["name"]
    # Half of each template's copies keep its condition (the daxdilimab ones then resolve).
    own = (index // 8) % 2 == 0
    condition = (
        source["conditionsModule"]["conditions"][0] if own else conditions[index % len(conditions)]
    )
    updated = FIRST_UPDATE + timedelta(days=5 * (index // 2))  # pairs share a day
    started = updated - timedelta(days=700 + 13 * (index % 40))
    sponsor, sponsor_class = SPONSORS[index % len(SPONSORS)]
    enrollment = 0 if status == "WITHDRAWN" else 8 + (index * 37) % 480
    protocol: dict[str, Any] = {
        "identificationModule": {
            "nctId": nct_id,
            "orgStudyIdInfo": {"id": f"FLEET-{index + 1:04d}"},
            "organization": {"fullName": sponsor, "class": sponsor_class},
            "briefTitle": f"Fleet test trial {index + 1} of {drug} in {condition}",
        },
        "statusModule": {
            "statusVerifiedDate": updated.isoformat()[:7],
            "overallStatus": status,
            "whyStopped": why_stopped,
            "startDateStruct": {"date": started.isoformat()[:7], "type": "ACTUAL"},
            "primaryCompletionDateStruct": {
                "date": (updated - timedelta(days=40)).isoformat(),
                "type": "ACTUAL",
            },
            "completionDateStruct": {
                "date": (updated - timedelta(days=30)).isoformat(),
                "type": "ACTUAL",
            },
            "studyFirstSubmitDate": (started - timedelta(days=60)).isoformat(),
            "studyFirstPostDateStruct": {
                "date": (started - timedelta(days=55)).isoformat(),
                "type": "ACTUAL",
            },
            "lastUpdateSubmitDate": (updated - timedelta(days=3)).isoformat(),
            "lastUpdatePostDateStruct": {"date": updated.isoformat(), "type": "ACTUAL"},
        },
        "sponsorCollaboratorsModule": {
            "responsibleParty": {"type": "SPONSOR"},
            "leadSponsor": {"name": sponsor, "class": sponsor_class},
        },
        "conditionsModule": {"conditions": [condition]},
        "designModule": {
            **copy.deepcopy(source["designModule"]),
            "studyType": "INTERVENTIONAL",
            "phases": PHASE_SETS[index % len(PHASE_SETS)],
            "enrollmentInfo": {"count": enrollment, "type": "ACTUAL"},
        },
    }
    for module in KEPT_MODULES:
        if module in source:
            protocol[module] = copy.deepcopy(source[module])
    return {"protocolSection": protocol, "hasResults": False}


def build_fleet(size: int) -> list[dict[str, Any]]:
    templates = snapshot_templates()
    whys = why_stopped_sample()
    if size > len(whys):
        raise ValueError(f"the fleet has {len(whys)} why-stopped texts, not {size}")
    conditions = sorted(
        {c for t in templates for c in t["protocolSection"]["conditionsModule"]["conditions"]}
        | {"Atopic Dermatitis", "Lupus Nephritis", "Alopecia Areata", "Melanoma"}
        | {"Systemic Lupus Erythematosus", "Idiopathic Inflammatory Myositis"}
    )
    return [fleet_study(i, templates[i % len(templates)], whys[i], conditions) for i in range(size)]


class CtgovFleet(SnapshotServer):
    """The fleet on 127.0.0.1: ClinicalTrials.gov under /ctgov, the other sources under their
    own prefixes (see SnapshotServer). The search honours filter.overallStatus and the
    LastUpdatePostDate range of filter.advanced; other filters are not applied (every fleet
    trial is an interventional drug or biological trial anyway). pageSize is capped at
    `page_size`, as the real API caps it at 1000."""

    def __init__(self, size: int = 200, page_size: int = PAGE_SIZE) -> None:
        super().__init__(SNAPSHOT_DIR)
        self.page_size = page_size
        self.studies = {
            s["protocolSection"]["identificationModule"]["nctId"]: s for s in build_fleet(size)
        }
        self._overrides: dict[str, list[Reply]] = {}
        self._lock = threading.Lock()

    @property
    def nct_ids(self) -> list[str]:
        """Every fleet trial's id, in the search's order (oldest update first)."""
        return list(self.studies)

    def environment(self) -> dict[str, str]:
        """DRAFTER_*_URL for every source, pointing at this server."""
        return {f"DRAFTER_{name.upper()}": url for name, url in self.base_urls().items()}

    @staticmethod
    def study_path(nct_id: str) -> str:
        return f"/ctgov/studies/{nct_id}"

    def override(self, path: str, *replies: Reply) -> None:
        """Answer `path` (e.g. study_path(id), "/ctgov/studies" for the search) with these
        replies in turn, the last one repeating, instead of the fleet's own answer."""
        with self._lock:
            self._overrides[path] = list(replies)

    def reply_for(self, received: Received) -> Reply:
        with self._lock:
            scripted = self._overrides.get(received.path)
            if scripted:
                return scripted.pop(0) if len(scripted) > 1 else scripted[0]
        if received.path == "/ctgov/studies":
            return self._search(received.query)
        if received.path.startswith("/ctgov/studies/NCT9"):
            nct_id = received.path.rsplit("/", 1)[1]
            study = self.studies.get(nct_id)
            if study is None:
                return Reply(404, f"NCT number {nct_id} not found", content_type="text/plain")
            return Reply(200, json.dumps(study))
        return super().reply_for(received)

    def _search(self, query: dict[str, str]) -> Reply:
        matching = [s for s in self.studies.values() if _matches(s, query)]
        token = query.get("pageToken")
        start = 0
        if token is not None:
            if not re.fullmatch(r"fleet-[0-9]+", token):
                return Reply(400, "invalid pageToken", content_type="text/plain")
            start = int(token.removeprefix("fleet-"))
        asked = query.get("pageSize", "10")  # the API's default page size is 10
        if not asked.isdigit() or int(asked) < 1:
            return Reply(400, "invalid pageSize", content_type="text/plain")
        size = min(int(asked), self.page_size)
        modules = {m[0].lower() + m[1:] for m in query.get("fields", "").split(",") if m}
        body: dict[str, Any] = {
            "studies": [_listed(s, modules) for s in matching[start : start + size]]
        }
        if query.get("countTotal") == "true" and token is None:
            body["totalCount"] = len(matching)
        if start + size < len(matching):
            body["nextPageToken"] = f"fleet-{start + size}"
        return Reply(200, json.dumps(body))


def _matches(study: dict[str, Any], query: dict[str, str]) -> bool:
    status = study["protocolSection"]["statusModule"]
    statuses = query.get("filter.overallStatus")
    if statuses and status["overallStatus"] not in statuses.split(","):
        return False
    window = _RANGE.search(query.get("filter.advanced", ""))
    if window is None:
        return True
    updated = status["lastUpdatePostDateStruct"]["date"]
    since, until = window.groups()
    return since <= updated and (until == "MAX" or updated <= until)


def _listed(study: dict[str, Any], modules: set[str]) -> dict[str, Any]:
    """A study as a search lists it: only the modules `fields=` names (all, if none)."""
    if not modules:
        return study
    protocol = study["protocolSection"]
    return {"protocolSection": {k: v for k, v in protocol.items() if k in modules}}


@contextmanager
def running_fleet(size: int = 200, page_size: int = PAGE_SIZE) -> Iterator[CtgovFleet]:
    fleet = CtgovFleet(size, page_size)
    fleet.start()
    try:
        yield fleet
    finally:
        fleet.stop()
