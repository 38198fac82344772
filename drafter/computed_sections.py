"""The parts of a draft no writer writes: the Mechanism Risk Score table and its sentence, the
numbered sources, and the related failure claims. Each is read off the bundle's computed facts
(drafter.assessment), so the draft shows exactly what the fact table holds and cites."""

from __future__ import annotations

from collections.abc import Iterable

from drafter.bundle import Bundle, FactTable
from drafter.draft_model import MrsRow, MrsSection, RelatedClaim, RelatedGroup, SourceEntry
from drafter.facts import Fact, entity_key, fact_id
from drafter.mrs import COMPONENTS

RELATED_HEADINGS = {
    "same_target": "Same target",
    "same_indication": "Same indication",
    "same_failure_type": "Same failure type",
}


def mrs_section(bundle: Bundle) -> MrsSection | None:
    score = bundle.assessment.mrs if bundle.assessment else None
    if score is None:
        return None
    prefix = f"mrs:{score.pair}:"

    def fact(field: str) -> Fact:
        found = bundle.fact(prefix + field)
        assert found is not None, field  # built by drafter.assessment for every score
        return found

    rows = [
        MrsRow(
            heading=heading,
            points=float(fact(f"components.{key}").value),
            maximum=maximum,
            fact=fact(f"components.{key}").id,
            maximum_fact=fact(f"components.{key}.max").id,
        )
        for key, heading, maximum in COMPONENTS
    ]
    summary_facts = [
        fact("n_claims"),
        *bundle.facts_with_prefix(prefix + "phase_buckets."),
        *bundle.facts_with_prefix(prefix + "archetypes."),
    ]
    best = score.result.most_informative_failure
    best_cites = []
    if best is not None:
        told = [bundle.fact(prefix + "most_informative_failure")]
        told.append(bundle.fact(fact_id("claims", entity_key(best.key), "headline")))
        best_cites = [f.id for f in told if f is not None]
    return MrsSection(
        total=int(fact("total").value),
        scale=int(fact("total.max").value),
        band=str(fact("band").value),
        rows=rows,
        summary=score.summary.text,
        summary_cites=[f.id for f in summary_facts],
        most_informative=(best.headline or best.key) if best else None,
        most_informative_cites=best_cites,
        facts=[f.id for f in bundle.facts_with_prefix(prefix)],
    )


def related_groups(bundle: Bundle) -> list[RelatedGroup]:
    """The related claims as the published post-mortems group them, each claim named by the
    related: fact the draft cites for it."""
    assessment = bundle.assessment
    if assessment is None:
        return []
    claims = {c.key: c for c in assessment.claims}
    groups: list[RelatedGroup] = []
    for key, heading in RELATED_HEADINGS.items():
        keys: list[str] = getattr(assessment.related, key)
        members = []
        for i, claim_key in enumerate(keys):
            claim = claims[claim_key]
            event = claim.event_date
            named = fact_id("related", bundle.nct_id, f"{key}.{i}")
            members.append(
                RelatedClaim(
                    key=claim.key,
                    headline=claim.headline,
                    drug=claim.drug,
                    target=claim.target_symbol,
                    disease=claim.disease_name,
                    event_date=event.value if event else None,
                    status=claim.status,
                    fact=named,
                    mrs=_int(bundle.fact_value(f"{named}.mrs")),
                    mrs_note=assessment.related.not_scored.get(claim.key),
                )
            )
        groups.append(
            RelatedGroup(
                key=key,
                heading=heading,
                claims=members,
                total=assessment.related.totals.get(key, len(members)),
            )
        )
    return groups


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) else None


def with_inputs(table: FactTable, ids: Iterable[str]) -> list[Fact]:
    """The facts named and, transitively, the facts they were computed from, in table order."""
    wanted: set[str] = set()
    pending = [i for i in ids]
    by_id = {f.id: f for f in table.facts}  # (table.fact's own index, read once: hundreds of ids)
    while pending:
        fact = by_id.get(pending.pop())
        if fact is None or fact.id in wanted:
            continue
        wanted.add(fact.id)
        pending += fact.derived_from
    return [f for f in table.facts if f.id in wanted]


def sources_of(bundle: Bundle, facts: Iterable[Fact]) -> list[SourceEntry]:
    """The records the draft's facts were read from, numbered in the bundle's order."""
    cited = list(facts)
    used = {f.record for f in cited if f.record}
    records = [s for s in bundle.sources if s.id in used]
    return [
        SourceEntry(
            number=n,
            record=record.id,
            source=record.source,
            request=record.request,
            url=record.url,
            sha256=record.sha256,
            pages=[page for page in _pages(record.id, cited) if page != record.url],
        )
        for n, record in enumerate(records, start=1)
    ]


def _pages(record: str, facts: list[Fact]) -> list[str]:
    """The public pages behind the cited facts of one record, each once: what a reader opens
    (the trial's page on ClinicalTrials.gov, a press article), where the API request is what
    drafter read."""
    return list(dict.fromkeys(f.source_url for f in facts if f.record == record and f.source_url))
