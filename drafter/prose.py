"""Facts written as prose, the same way everywhere (the offline writer, the computed sections,
draft.md): dates at their own precision ("8 May 2025", "May 2025", "2025"), phases as editors
write them ("Phase 2", "Phase 1/2"), counts with their unit and qualifier, registry codes in
words, and source text in quotation marks so it is never mistaken for drafter's own words."""

from __future__ import annotations

import calendar
import re

from drafter.facts import Fact, FactValue
from drafter.models import PartialDate

_PHASE_WORDS = {
    "EARLY_PHASE1": "Early Phase 1",
    "PHASE1": "Phase 1",
    "PHASE2": "Phase 2",
    "PHASE3": "Phase 3",
    "PHASE4": "Phase 4",
    "NA": "not applicable",
}
# ChEMBL's numeric max_phase ("2.0"): the phase it stands for.
_CHEMBL_PHASES = {
    "0.5": "Early Phase 1",
    "1.0": "Phase 1",
    "2.0": "Phase 2",
    "3.0": "Phase 3",
    "4.0": "Phase 4",
}
# ClinicalTrials.gov codes in plain words (unknown codes are shown lower-cased).
_CODE_WORDS = {
    "RANDOMIZED": "randomized",
    "NON_RANDOMIZED": "non-randomized",
    "PARALLEL": "parallel-group",
    "CROSSOVER": "crossover",
    "SINGLE_GROUP": "single-group",
    "FACTORIAL": "factorial",
    "SEQUENTIAL": "sequential",
    "NONE": "open-label",
    "SINGLE": "single-blind",
    "DOUBLE": "double-blind",
    "TRIPLE": "triple-blind",
    "QUADRUPLE": "quadruple-blind",
    "TREATMENT": "treatment",
    "PREVENTION": "prevention",
    "TERMINATED": "terminated",
    "WITHDRAWN": "withdrawn",
    "SUSPENDED": "suspended",
    "COMPLETED": "completed",
    "ACTUAL": "actual",
    "ESTIMATED": "estimated",
    "INTERVENTIONAL": "interventional",
}


_ENUM = re.compile(r"[A-Z][A-Z_]*[A-Z]")  # an enum code such as ACTIVE_NOT_RECRUITING


def date_text(value: str) -> str:
    """A YYYY[-MM[-DD]] value at its own precision: "8 May 2025", "May 2025", "2025"."""
    date = PartialDate.parse(value)
    year, month, day = (int(part) for part in [*value.split("-"), "0", "0"][:3])
    if date.precision == "day":
        return f"{day} {calendar.month_name[month]} {year}"
    if date.precision == "month":
        return f"{calendar.month_name[month]} {year}"
    return str(year)


def phase_text(value: str) -> str:
    """ "PHASE2" → "Phase 2", "PHASE1/PHASE2" → "Phase 1/2", ChEMBL "2.0" → "Phase 2"."""
    if value in _CHEMBL_PHASES:
        return _CHEMBL_PHASES[value]
    parts = [p for p in value.split("/") if p]
    if len(parts) > 1 and all(p.startswith("PHASE") for p in parts):
        return "Phase " + "/".join(p.removeprefix("PHASE") for p in parts)
    return " and ".join(_PHASE_WORDS.get(p, p) for p in parts) or value


def code_text(value: FactValue) -> str:
    """A registry code in words ("DOUBLE" → "double-blind"); other values (a claim key, an
    NCT id) as they are."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text in _CODE_WORDS:
        return _CODE_WORDS[text]
    return text.replace("_", " ").lower() if _ENUM.fullmatch(text) else text


# Stop-reason categories (drafter.rulebook) as an editor would say them.
_CATEGORY_WORDS = {
    "Safety_Sideeffects": "safety or side effects",
    "Negative": "lack of efficacy",
    "Biomarker": "a biomarker or pharmacology problem",
    "Success": "success",
    "Endpoint_Met": "an endpoint met",
    "Insufficient_Enrollment": "insufficient enrollment",
    "Business_Administrative": "a business or administrative decision",
    "Funding": "funding",
    "Logistics_Resources": "logistics or resources",
    "Study_Design": "the study design",
    "Study_Staff_Moved": "staff leaving",
    "Covid19": "COVID-19",
    "Regulatory": "a regulatory matter",
    "Another_Study": "another study",
    "Insufficient_Data": "insufficient data",
    "Ethical_Reason": "an ethical reason",
    "Interim_Analysis": "an interim analysis",
    "Invalid_Reason": "no usable reason",
    "No_Context": "no classifiable reason",
}
_SINGULAR = {
    "participants": "participant",
    "sites": "site",
    "arms": "arm",
    "reports": "report",
    "articles": "article",
    "programs": "program",
    "claims": "claim",
    "years": "year",
    "points": "point",
}


def unit_text(value: FactValue, unit: str | None) -> str | None:
    """The unit as it reads after `value`: "1 program", "2 programs"."""
    return _SINGULAR.get(unit or "", unit) if value == 1 else unit


def category_text(value: FactValue) -> str:
    return _CATEGORY_WORDS.get(str(value), code_text(value))


def sentence(text: str) -> str:
    """`text` ended with a full stop, unless it already ends a sentence (a quotation ending
    in "." keeps its own)."""
    stripped = text.rstrip()
    return stripped if stripped.endswith((".", "!", "?", ".”", "?”", "!”")) else stripped + "."


def quoted(text: str) -> str:
    """Source text as a quotation: never mistaken for drafter's words, and exempt from the
    number checks when it is the cited fact's text verbatim."""
    return f"“{' '.join(text.split())}”"


def fact_text(fact: Fact) -> str:
    """A fact's value as prose, by its kind."""
    value = fact.value
    if fact.kind == "date" and isinstance(value, str):
        return date_text(value)
    if fact.kind == "phase" and isinstance(value, str):
        return phase_text(value)
    if fact.kind == "code":
        text = code_text(value)
        # a code that is not a registry enum (a claim key, an id) is the source's own text
        return quoted(text) if text == str(value) and not isinstance(value, bool) else text
    if fact.kind == "id" and str(value).isdigit():
        return quoted(str(value))  # "2896" is an identifier, not a quantity
    if fact.kind in ("quote", "text"):
        return quoted(str(value))
    if fact.kind == "count":
        unit = unit_text(value, fact.unit)
        words = [str(value)] + ([unit] if unit else [])
        if fact.qualifier:
            words.append(f"({code_text(fact.qualifier)})")
        return " ".join(words)
    return str(value)
