"""The one rulebook of stop reasons: archetypes, categories, which archetype a category means,
which archetype is most severe, and which stops are not failures at all.

Claim validation, the classifier and the MRS all read these tables from here, so a claim can
never be stored with a meaning the score or the classifier would read differently.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

Archetype = Literal["efficacy", "safety", "biomarker", "operational", "unknown"]

# Open Targets' stop-reason categories (Razuvayevskaya et al., Nat Genet 2024), with Funding
# split from Business_Administrative and Biomarker added.
Category = Literal[
    "Safety_Sideeffects",
    "Negative",
    "Biomarker",
    "Success",
    "Endpoint_Met",
    "Insufficient_Enrollment",
    "Business_Administrative",
    "Funding",
    "Logistics_Resources",
    "Study_Design",
    "Study_Staff_Moved",
    "Covid19",
    "Regulatory",
    "Another_Study",
    "Insufficient_Data",
    "Ethical_Reason",
    "Interim_Analysis",
    "Invalid_Reason",
    "No_Context",
]

# Most severe first, as MRS.md weighs them (efficacy 1.0 > safety 0.8 > biomarker 0.5 >
# operational 0.3): a drug that does not work says more against a mechanism than one whose
# dose was badly tolerated. The classifier's "most severe archetype wins" uses the same order.
SEVERITY_ORDER: tuple[Archetype, ...] = ("efficacy", "safety", "biomarker", "operational")
# Every archetype, most severe first; "unknown" last: it wins only when nothing else is known.
ARCHETYPES: tuple[Archetype, ...] = (*SEVERITY_ORDER, "unknown")
# The archetypes that say something against the science (not the business or the record).
SCIENTIFIC_ARCHETYPES: frozenset[Archetype] = frozenset(SEVERITY_ORDER[:3])

# The one category → archetype table. Its order is the order a text's categories are reported.
# * Success / Endpoint_Met → operational: a trial stopped because it worked is no evidence
#   against the mechanism; NON_FAILURE_CATEGORIES keeps them out of failure counts.
# * Interim_Analysis → unknown: "stopped after the interim analysis" does not say which way it
#   went; an editor (or a directed category next to it) decides.
# * Invalid_Reason / No_Context → unknown: the text gives no reason to map.
CATEGORY_ARCHETYPE: dict[Category, Archetype] = {
    "Safety_Sideeffects": "safety",
    "Negative": "efficacy",
    "Biomarker": "biomarker",  # drafter addition: biomarker / CDx / PK / target-engagement failure
    "Success": "operational",
    "Endpoint_Met": "operational",
    "Insufficient_Enrollment": "operational",
    "Business_Administrative": "operational",
    "Funding": "operational",  # drafter addition: split out of Business_Administrative
    "Logistics_Resources": "operational",
    "Study_Design": "operational",
    "Study_Staff_Moved": "operational",
    "Covid19": "operational",
    "Regulatory": "operational",
    "Another_Study": "operational",
    "Insufficient_Data": "operational",
    "Ethical_Reason": "operational",
    "Interim_Analysis": "unknown",
    "Invalid_Reason": "unknown",
    "No_Context": "unknown",
}
CATEGORIES: tuple[Category, ...] = tuple(CATEGORY_ARCHETYPE)

# Stops that report a success (it worked, met its endpoint, or was stopped early for benefit):
# never a failure burden in the MRS, and flagged by the classifier.
NON_FAILURE_CATEGORIES: frozenset[Category] = frozenset({"Success", "Endpoint_Met"})
# Categories that say when or whether, not which way: they carry no direction of their own.
UNDIRECTED_CATEGORIES: frozenset[Category] = frozenset(
    c for c, a in CATEGORY_ARCHETYPE.items() if a == "unknown"
)

_SEVERITY_RANK: dict[Archetype, int] = {a: rank for rank, a in enumerate(ARCHETYPES)}


def allowed_archetypes(category: Category) -> tuple[Archetype, ...]:
    """The archetypes a claim of this category may carry: the category's own, or any for an
    undirected category (an editor may know which way an interim analysis went)."""
    own = CATEGORY_ARCHETYPE[category]
    return ARCHETYPES if own == "unknown" else (own,)


def archetype_for(categories: Iterable[Category]) -> Archetype:
    """The archetype of a set of categories: the most severe one; "unknown" when empty."""
    archetypes = [CATEGORY_ARCHETYPE[category] for category in categories]
    return min(archetypes, key=_SEVERITY_RANK.__getitem__, default="unknown")


def severity_rank(archetype: Archetype) -> int:
    """0 for the most severe archetype; "unknown" ranks last."""
    return _SEVERITY_RANK[archetype]


def is_non_failure(categories: Iterable[Category]) -> bool:
    """True when the stop reports a success: at least one non-failure category and nothing but
    undirected ones beside it ("primary endpoint met at interim analysis"). Any failure
    category (futility, toxicity, slow accrual) makes the stop a failure."""
    found = set(categories)
    return bool(found & NON_FAILURE_CATEGORIES) and found <= (
        NON_FAILURE_CATEGORIES | UNDIRECTED_CATEGORIES
    )
