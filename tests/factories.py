"""Test data builders shared by the claims, rules and MRS tests."""

from __future__ import annotations

from typing import Any

from drafter.rulebook import Archetype, Category

# A failure category for each archetype, so a test that picks an archetype gets a claim the
# rulebook accepts (the reverse of rulebook.CATEGORY_ARCHETYPE is not a function).
FAILURE_CATEGORY: dict[Archetype, Category] = {
    "efficacy": "Negative",
    "safety": "Safety_Sideeffects",
    "biomarker": "Biomarker",
    "operational": "Business_Administrative",
    "unknown": "No_Context",
}

# The smallest valid claim (a draft, so it needs no source), for tests to extend.
BASE_CLAIM: dict[str, Any] = {
    "drug": "daxdilimab",
    "target_symbol": "LILRA4",
    "disease_name": "Discoid lupus erythematosus",
    "phase": "PHASE2",
    "archetype": "operational",
    "category": "Business_Administrative",
}
