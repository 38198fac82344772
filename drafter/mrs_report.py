"""`drafter mrs` as a reader sees it: the score, what each component rests on (the claims behind
it, the association score and where it was read), the most informative failure, and what the
score is not. Plain text that fits the width it is given; every value a source or the claims
table supplied is folded to one line, so none can drive the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from drafter.bundle import PairScore, SourceRecord
from drafter.evidence import PairEvidence
from drafter.facts import Fact
from drafter.models import Claim
from drafter.mrs import Component, MrsResult
from drafter.terminal import fitted_table, one_line, wrapped

CAVEAT = (
    "The MRS is a failure-burden index for the target–disease pair (0–100: how much documented "
    "failure weighs on it), not a probability of approval."
)
_ORIGINS = {"snapshot": "recorded in the offline snapshot", "cache": "from the cache"}


def render_mrs(
    evidence: PairEvidence, score: PairScore, *, as_of_given: bool, width: int | None
) -> str:
    """The whole report; `width` None leaves every line whole (a pipe or a file)."""
    result = score.result
    blocks = [
        _heading(evidence, result, as_of_given, width),
        _names(evidence, width),
        _components(result, width),
        _claims(score.claims, result, width),
        _evidence_lines(evidence, score, width),
        _closing(score, evidence, width),
    ]
    return "\n".join(block for block in blocks if block)


def _heading(
    evidence: PairEvidence, result: MrsResult, as_of_given: bool, width: int | None
) -> str:
    target = evidence.target.symbol or evidence.target.ensembl_id or "?"
    when = result.as_of.isoformat()
    if not as_of_given:
        when += " (today; --as-of YYYY-MM-DD fixes the date)"
    first = f"MRS {result.total}/100 ({result.band}) — {target} in {evidence.disease.name}"
    return wrapped(f"{first}, as of {when}", width) + wrapped(CAVEAT, width)


def _names(evidence: PairEvidence, width: int | None) -> str:
    """What the typed names resolved to, and how (an alias names where it is written)."""
    target, disease = evidence.target, evidence.disease
    ids = ", ".join(x for x in (target.ensembl_id, target.name) if x)
    lines = [
        _labelled("Target", target.symbol or target.ensembl_id or "?", ids, target.resolved_by),
        _labelled("Disease", disease.name, disease.ontology_id or "", disease.resolved_by),
    ]
    return "".join(wrapped(line, width) for line in lines)


def _labelled(label: str, name: str, ids: str, how: str) -> str:
    text = f"{label}: {name}" + (f" ({ids})" if ids else "")
    if how not in ("--target", "--disease"):
        text += f", from {how}"
    return text


def _components(result: MrsResult, width: int | None) -> str:
    rows = [
        (c.heading, f"{c.points:.1f} / {c.max}", _rests_on(c, result)) for c in result.components
    ]
    params = result.params
    bands = {
        "GREEN": f"< {params.yellow_from}",
        "YELLOW": f"{params.yellow_from}–{params.red_from - 1}",
        "RED": f"≥ {params.red_from}",
    }
    others = ", ".join(f"{band} {span}" for band, span in bands.items() if band != result.band)
    legend = f"{result.band} ({bands[result.band]}); {others}"
    rows.append(("Total", f"{result.total} / 100", legend))
    return fitted_table(("COMPONENT", "POINTS", "RESTS ON"), rows, width)


def _rests_on(component: Component, result: MrsResult) -> str:
    """The inputs of one component in a phrase: the claims it sums, the association score,
    or the programs on the target."""
    inputs = component.inputs
    if component.key == "genetic_deficit":
        s = inputs.get("association_score")
        return "no association score: s taken as 0" if s is None else f"s = {s:g} (Open Targets)"
    if component.key == "programmatic_saturation":
        counts = result.n_programs
        programs = "program" if counts.n_t == 1 else "programs"
        return f"{counts.n_t} {programs}: {', '.join(counts.programs) or 'none'}"
    keys: list[str] = list(inputs.get("claims") or [])
    if not keys:
        return "no documented failures"
    total = {
        "phase_burden": ("Σw", inputs.get("sum_w")),
        "archetype_severity": ("Σw·σ", inputs.get("sum_w_sigma")),
        "temporal_recency": ("Σw·decay", inputs.get("sum_w_decay")),
    }.get(component.key)
    listed = ", ".join(keys)
    if total is None or total[1] is None:
        return listed
    return f"{total[0]} {_number(total[1])}: {listed}"


def _claims(claims: Sequence[Claim], result: MrsResult, width: int | None) -> str:
    if not claims:
        return "No claims on this pair in the claims table.\n"
    excluded = set(result.non_failures)
    rows = [
        (
            claim.key,
            claim.drug,
            claim.phase or "-",
            claim.archetype,
            claim.event_date.value if claim.event_date else "-",
            claim.status,
            f"no: {claim.category}" if claim.key in excluded else "yes",
        )
        for claim in claims
    ]
    title = wrapped(f"Claims behind the score ({len(claims)}, from the claims table):", width)
    header = ("KEY", "DRUG", "PHASE", "ARCHETYPE", "EVENT", "STATUS", "SCORED")
    return title + fitted_table(header, rows, width)


def _evidence_lines(evidence: PairEvidence, score: PairScore, width: int | None) -> str:
    lines = [_association(evidence, score.pair)]
    failure = score.result.most_informative_failure
    if failure is not None:
        said = [failure.drug, failure.phase or "no phase", failure.archetype]
        said.append(failure.event_date or "undated")
        text = f"Most informative failure: {failure.key} — {', '.join(said)}"
        text += f" (w·σ·decay {_number(failure.score)})"
        if failure.headline:
            text += f": {one_line(failure.headline)}"
        lines.append(text)
    return "".join(wrapped(line, width) for line in lines)


def _association(evidence: PairEvidence, pair: str) -> str:
    association = evidence.association
    if association is None:
        return "Association score: none on record for this pair (the genetic deficit takes s = 0)."
    fact = _fact(evidence.facts, f"opentargets:{pair}:association_score")
    text = f"Association score: {association.score:g}"
    if fact is not None:
        text += f" ({fact.source}, {fact.qualifier or 'overall'})"
        record = _record(evidence.sources, fact.record)
        if fact.source_url:
            text += f" — {fact.source_url}"
        if record is not None:
            text += f", {_ORIGINS.get(record.origin, f'fetched {record.fetched_at}')}"
    return text + "."


def _closing(score: PairScore, evidence: PairEvidence, width: int | None) -> str:
    lines = [score.summary.text]
    lines += [f"note: {note}" for note in score.result.notes]
    lines += [f"gap — {gap.step}: {gap.reason}" for gap in [*evidence.gaps, *score.gaps]]
    return "".join(wrapped(line, width) for line in lines)


def _fact(facts: Sequence[Fact], fact_id: str) -> Fact | None:
    return next((f for f in facts if f.id == fact_id), None)


def _record(sources: Sequence[SourceRecord], record_id: str | None) -> SourceRecord | None:
    return next((s for s in sources if s.id == record_id), None)


def _number(value: Any) -> str:
    """Sums and scores to three significant decimals: enough to check, short to read."""
    return f"{float(value):.3g}" if isinstance(value, int | float) else str(value)
