"""The trial's own facts, read from its ClinicalTrials.gov v2 record."""

from __future__ import annotations

import re
from typing import Any

from drafter.evidence.reading import BundleBuilder, Reader
from drafter.facts import Fact, FactKind, computed_fact
from drafter.sources import ctgov
from drafter.sources.ctgov import Study, study_page_url

# ClinicalTrials.gov v2's phase values (NA: a study to which phases do not apply).
REGISTRY_PHASES = frozenset({"EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA"})
DRUG_INTERVENTION_TYPES = {"DRUG", "BIOLOGICAL", "GENETIC", "COMBINATION_PRODUCT", None}
NOT_A_DRUG = re.compile(
    r"\b(placebo|saline|vehicle|sham|standard of care|best supportive care)\b", re.IGNORECASE
)


# How many elements of one registry list become facts, and how many drug interventions are
# looked up: real records list a few dozen at most. A record listing 100,000 (a hostile or
# broken upstream) was read element by element past every deadline; past these, the list is
# cut and a gap says so.
MAX_LISTED = 100
MAX_DRUGS_RESOLVED = 20

_PROTOCOL = "/protocolSection"
_IDENT = f"{_PROTOCOL}/identificationModule"
_STATUS = f"{_PROTOCOL}/statusModule"
_DESIGN = f"{_PROTOCOL}/designModule"
_SPONSORS = f"{_PROTOCOL}/sponsorCollaboratorsModule"
_ARMS = f"{_PROTOCOL}/armsInterventionsModule"
_OUTCOMES = f"{_PROTOCOL}/outcomesModule"

_DATE_STRUCTS = (
    ("start_date", "startDateStruct", "Start date"),
    ("primary_completion_date", "primaryCompletionDateStruct", "Primary completion date"),
    ("completion_date", "completionDateStruct", "Completion date"),
    ("first_posted", "studyFirstPostDateStruct", "First posted"),
    ("results_first_posted", "resultsFirstPostDateStruct", "Results first posted"),
    ("last_update_posted", "lastUpdatePostDateStruct", "Last update posted"),
)
_PLAIN_DATES = (
    ("first_submitted", "studyFirstSubmitDate", "First submitted"),
    ("last_update_submitted", "lastUpdateSubmitDate", "Last update submitted"),
    ("status_verified", "statusVerifiedDate", "Status verified"),
)
_DESIGN_CODES = (
    ("allocation", "designInfo/allocation", "Allocation"),
    ("intervention_model", "designInfo/interventionModel", "Intervention model"),
    ("primary_purpose", "designInfo/primaryPurpose", "Primary purpose"),
    ("masking", "designInfo/maskingInfo/masking", "Masking"),
    ("study_type", "studyType", "Study type"),
)


def trial_facts(builder: BundleBuilder, study: Study) -> None:
    nct = study.nct_id
    read = builder.reader(ctgov.study_request(nct), study_page_url(nct), at_most=MAX_LISTED)

    def add(field: str, pointer: str, kind: FactKind, label: str, **extra: Any) -> Fact | None:
        return read.add(nct, field, pointer, kind, label, **extra)

    def each(field: str, pointer: str, kind: FactKind, label: str, **extra: Any) -> list[Fact]:
        """One fact per element of a list of values."""
        count = read.length(pointer)
        found = [add(f"{field}.{i}", f"{pointer}/{i}", kind, label, **extra) for i in range(count)]
        return [f for f in found if f is not None]

    add("nct_id", f"{_IDENT}/nctId", "id", "ClinicalTrials.gov identifier")
    add("org_study_id", f"{_IDENT}/orgStudyIdInfo/id", "id", "Sponsor's study id")
    for i in range(read.length(f"{_IDENT}/secondaryIdInfos")):
        add(f"secondary_ids.{i}", f"{_IDENT}/secondaryIdInfos/{i}/id", "id", "Secondary id")
    add("brief_title", f"{_IDENT}/briefTitle", "quote", "Brief title")
    add("official_title", f"{_IDENT}/officialTitle", "quote", "Official title")
    add("acronym", f"{_IDENT}/acronym", "text", "Acronym")
    add("overall_status", f"{_STATUS}/overallStatus", "code", "Overall status")
    add("why_stopped", f"{_STATUS}/whyStopped", "quote", "Why stopped (verbatim)")
    for field, struct, label in _DATE_STRUCTS:
        qualifier = read.value(f"{_STATUS}/{struct}/type")
        add(field, f"{_STATUS}/{struct}/date", "date", label, qualifier=qualifier)
    for field, key, label in _PLAIN_DATES:
        add(field, f"{_STATUS}/{key}", "date", label)
    phases = each("phases", f"{_DESIGN}/phases", "phase", "Phase", allowed=REGISTRY_PHASES)
    if phases:
        builder.add(
            computed_fact(
                "ctgov",
                nct,
                "phase",
                "phase",
                "Phase (as one label)",
                "/".join(dict.fromkeys(str(f.value) for f in phases)),
                phases,
                "the record's phases joined with '/' (PHASE1/PHASE2 is a Phase 1/2 trial)",
                url=read.url,
            )
        )
    for field, pointer, label in _DESIGN_CODES:
        add(field, f"{_DESIGN}/{pointer}", "code", label)
    each("who_masked", f"{_DESIGN}/designInfo/maskingInfo/whoMasked", "code", "Masked role")
    add(
        "enrollment",
        f"{_DESIGN}/enrollmentInfo/count",
        "count",
        "Enrollment",
        unit="participants",
        qualifier=read.value(f"{_DESIGN}/enrollmentInfo/type"),
    )
    add("lead_sponsor", f"{_SPONSORS}/leadSponsor/name", "text", "Lead sponsor")
    add("lead_sponsor_class", f"{_SPONSORS}/leadSponsor/class", "code", "Lead sponsor class")
    for i in range(read.length(f"{_SPONSORS}/collaborators")):
        add(f"collaborators.{i}", f"{_SPONSORS}/collaborators/{i}/name", "text", "Collaborator")
    each("conditions", f"{_PROTOCOL}/conditionsModule/conditions", "text", "Condition")
    _arms_and_interventions(read, nct)
    for i in range(read.length(f"{_OUTCOMES}/primaryOutcomes")):
        base = f"{_OUTCOMES}/primaryOutcomes/{i}"
        add(f"primary_outcomes.{i}.measure", f"{base}/measure", "quote", "Primary outcome")
        add(
            f"primary_outcomes.{i}.time_frame",
            f"{base}/timeFrame",
            "quote",
            "Primary outcome time frame",
        )
    add(
        "brief_summary",
        f"{_PROTOCOL}/descriptionModule/briefSummary",
        "quote",
        "Brief summary",
    )
    add("has_results", "/hasResults", "code", "Results posted")


def _arms_and_interventions(read: Reader, nct: str) -> None:
    arms = f"{_ARMS}/armGroups"
    for i in range(read.length(arms)):
        read.add(nct, f"arm_groups.{i}.label", f"{arms}/{i}/label", "text", "Arm")
        read.add(nct, f"arm_groups.{i}.type", f"{arms}/{i}/type", "code", "Arm type")
    interventions = f"{_ARMS}/interventions"
    for i in range(read.length(interventions)):
        base = f"{interventions}/{i}"
        read.add(nct, f"interventions.{i}.name", f"{base}/name", "text", "Intervention")
        read.add(nct, f"interventions.{i}.type", f"{base}/type", "code", "Intervention type")
        for j in range(read.length(f"{base}/otherNames")):
            read.add(
                nct,
                f"interventions.{i}.other_names.{j}",
                f"{base}/otherNames/{j}",
                "text",
                "Intervention other name (as the record packs it)",
            )


def drug_interventions(study: Study) -> list[ctgov.Intervention]:
    return [
        i
        for i in study.interventions
        if i.type in DRUG_INTERVENTION_TYPES and not NOT_A_DRUG.search(i.name)
    ]


def drugs_to_resolve(builder: BundleBuilder, study: Study) -> list[ctgov.Intervention]:
    """The drug interventions looked up in ChEMBL: the first MAX_DRUGS_RESOLVED (a gap says
    how many more the record lists)."""
    drugs = drug_interventions(study)
    if len(drugs) > MAX_DRUGS_RESOLVED:
        builder.gap(
            "drug",
            f"the record lists more than {MAX_DRUGS_RESOLVED} drug interventions; the first "
            f"{MAX_DRUGS_RESOLVED} were looked up",
        )
    return drugs[:MAX_DRUGS_RESOLVED]
