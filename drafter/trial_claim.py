"""The drafted trial as a claim of the claims table, so its score (and the next drafts' scores)
count it. Rule: a stopped trial is upserted as a *draft* claim before the score is computed;
a claim already published under the same key is never replaced by a draft (an editor's
published claim outranks an automatic one), and a trial that did not stop is no failure claim.
"""

from __future__ import annotations

from typing import NamedTuple

from pydantic import ValidationError

from drafter.bundle import Bundle
from drafter.claims import ClaimsStore
from drafter.classify import StopClassification
from drafter.models import PHASE_ORDER, Claim
from drafter.rulebook import allowed_archetypes
from drafter.sources.ctgov import STOPPED_STATUSES, study_page_url


def claim_for_trial(bundle: Bundle, stop: StopClassification) -> Claim | None:
    """The claim this trial makes, or None when it cannot be one (not stopped, no target or
    disease to file it under, a value the claims table refuses)."""
    study = bundle.trial
    status = study.status
    if status.overall_status not in STOPPED_STATUSES or bundle.target is None:
        return None
    if bundle.disease is None or not (bundle.target.symbol or bundle.target.ensembl_id):
        return None
    # the registry's name for what was tested: ChEMBL's name is drafter's resolution of it,
    # kept as drug_chembl_id, and may be wrong where the registry's words are not
    tested = next(iter(bundle.drugs), None)
    if tested is None:
        return None
    drug = tested.intervention_name
    phase = "/".join(dict.fromkeys(study.design.phases))
    category = next(
        (c for c in stop.categories if stop.archetype in allowed_archetypes(c)), "No_Context"
    )
    posted = status.last_update_post_date_struct
    completed = status.primary_completion_date_struct
    try:
        return Claim(
            nct_id=bundle.nct_id,
            drug=drug,
            drug_chembl_id=tested.chembl_id,
            target_symbol=bundle.target.symbol or bundle.target.ensembl_id or "",
            target_ensembl_id=bundle.target.ensembl_id,
            disease_name=bundle.disease.name,
            disease_id=bundle.disease.ontology_id,
            phase=phase if phase in PHASE_ORDER else None,
            archetype=stop.archetype,
            category=category,
            why_stopped=status.why_stopped,
            sponsor=study.lead_sponsor,
            termination_posted=posted.date if posted else None,
            primary_completion=completed.date if completed else None,
            status="draft",
            sources=[study_page_url(bundle.nct_id)],
        )
    except ValidationError:
        # a registry value past the claims table's limits (a whyStopped of 400,000 characters,
        # a 600-character sponsor) makes no claim: the table keeps its rules, and the draft is
        # still written from the evidence
        return None


class Filed(NamedTuple):
    """What record_trial did, so that withdraw_trial can undo it."""

    written: Claim | None  # the claim as stored; None when a published claim kept the key
    previous: Claim | None  # the claim the key held before, if any


def record_trial(store: ClaimsStore, claim: Claim) -> Filed:
    """Upsert the draft claim unless a published claim holds its key (decided in the write
    transaction, so an editor publishing meanwhile in another process is never overwritten)."""
    previous, written = store.upsert_unless_published(claim)
    return Filed(written=written, previous=previous)


def withdraw_trial(store: ClaimsStore, filed: Filed) -> None:
    """Undo record_trial when the draft it was filed for was never written (the model was
    unavailable, the output could not be written): the claims table is left as it was, the
    deletion of a new claim kept in its audit trail. Only while the row is still the one this
    filing wrote: a claim another process wrote since (an editor's published claim, another
    draft of the same trial that was written) is theirs, and stays."""
    if filed.written is not None:
        store.undo_upsert(filed.written, filed.previous)
