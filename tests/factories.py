"""Test data builders shared by the claims, rules and MRS tests."""

from __future__ import annotations

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
