"""The human rendering of `drafter fetch`: what an editor checks first, each block with the
source it was read from. Conflicting evidence comes first and loudly; gaps come last, one short
line each saying what is missing and what to do. Every value is also a Fact in --json.

Lines are wrapped to the terminal width at spaces (a verbatim quote is never cut, only folded
onto the next line; a URL longer than the terminal is printed whole so it stays clickable).
Source text passes through `one_line`, so no value can break a line or reach the terminal as a
control sequence; colour is used only when asked for (a TTY without NO_COLOR).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from drafter.bundle import Bundle
from drafter.conflicts import find_conflicts
from drafter.facts import Fact, fact_id
from drafter.models import Gap
from drafter.prose import code_text, phase_text
from drafter.sources.ctgov import study_page_url
from drafter.terminal import one_line

_BOLD_RED = "\x1b[1;31m"
_YELLOW = "\x1b[33m"
_BOLD = "\x1b[1m"
_RESET = "\x1b[0m"
LABEL_WIDTH = 12  # "enrollment  " … the labels of the trial block


@dataclass(frozen=True)
class Style:
    """How the summary is laid out: the terminal's width and whether to colour headings."""

    width: int = 100
    colour: bool = False

    def paint(self, text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if self.colour else text

    def wrap(self, text: str, indent: str, hanging: str | None = None) -> list[str]:
        """`text` (one line of source-safe text) folded at spaces to the width."""
        return textwrap.wrap(
            one_line(text),
            width=max(self.width, 40),
            initial_indent=indent,
            subsequent_indent=hanging if hanging is not None else indent + "  ",
            break_long_words=False,
            break_on_hyphens=False,
        ) or [indent.rstrip()]


def summarise(bundle: Bundle, style: Style | None = None) -> str:
    style = style or Style()
    out = _Lines(style)
    title = _value(bundle, "brief_title") or ""
    out.text(f"{bundle.nct_id} — {title}", "")
    out.text(
        f"evidence as of {bundle.as_of} · {'offline' if bundle.offline else 'live'} · "
        f"{len(bundle.facts)} facts from {len(bundle.sources)} sources (all in --json)",
        "",
    )
    _conflicts(bundle, out)
    _trial(bundle, out)
    _entities(bundle, out)
    _assessment(bundle, out)
    _gaps(bundle, out)
    return out.render()


class _Lines:
    def __init__(self, style: Style) -> None:
        self.style = style
        self.lines: list[str] = []

    def blank(self) -> None:
        if self.lines and self.lines[-1] != "":
            self.lines.append("")

    def heading(self, text: str, source: str | None = None, code: str = _BOLD) -> None:
        """A block's heading and, below it, where the block was read from."""
        self.blank()
        self.lines += [self.style.paint(line, code) for line in self.style.wrap(text, "")]
        if source:
            self.lines.append(f"  source: {one_line(source)}")

    def text(self, text: str, indent: str = "  ", hanging: str | None = None) -> None:
        self.lines += self.style.wrap(text, indent, hanging)

    def sources(self, facts: Iterable[Fact]) -> None:
        """The public page of each side, one a line (a URL is never folded)."""
        for url in dict.fromkeys(f.source_url for f in facts if f.source_url):
            self.lines.append(f"    source: {one_line(url)}")

    def field(self, label: str, value: str) -> None:
        indent = "  " + label.ljust(LABEL_WIDTH)
        self.text(value, indent, " " * len(indent))

    def render(self) -> str:
        return "\n".join(self.lines).rstrip("\n") + "\n"


def _fact(bundle: Bundle, field: str) -> Fact | None:
    return bundle.fact(fact_id("ctgov", bundle.nct_id, field))


def _value(bundle: Bundle, field: str) -> str | None:
    found = _fact(bundle, field)
    return None if found is None else str(found.value)


def _qualified(fact: Fact | None) -> str | None:
    """A registry value with its ACTUAL / ESTIMATED label, as the registry gives it."""
    if fact is None:
        return None
    label = f" ({fact.qualifier.lower()})" if fact.qualifier else ""
    unit = f" {fact.unit}" if fact.unit else ""
    return f"{fact.value}{unit}{label}"


def _conflicts(bundle: Bundle, out: _Lines) -> None:
    facts = {f.id: f for f in bundle.facts}
    conflicts = find_conflicts(bundle)
    disputes = [c for c in conflicts if c.kind == "dispute"]
    history = [c for c in conflicts if c.kind == "history"]
    blocks = (
        (disputes, "CONFLICTING EVIDENCE", "the sources disagree; state neither side as settled",
         _BOLD_RED, "!"),
        (history, "Record history", "earlier versions of the record differ; confirm the "
         "current value", _YELLOW, "-"),
    )  # fmt: skip
    for group, title, advice, code, mark in blocks:
        if not group:
            continue
        out.heading(f"{title} ({len(group)}): {advice}", code=code)
        for conflict in group:
            out.text(f"{mark} {conflict.note(facts)}", "  ", "    ")
            out.sources(facts[i] for i in conflict.facts)


def _trial(bundle: Bundle, out: _Lines) -> None:
    out.heading("Trial (ClinicalTrials.gov)", study_page_url(bundle.nct_id))
    status = _value(bundle, "overall_status") or "status not stated"
    out.field("status", code_text(status) if status else status)
    why = _value(bundle, "why_stopped")
    out.field("why stopped", f'"{why}"' if why is not None else "not stated in the record")
    phase = _value(bundle, "phase")
    design = [phase_text(phase) if phase else "phase not stated"]
    for field in ("study_type", "allocation", "intervention_model", "masking", "primary_purpose"):
        value = _value(bundle, field)
        if value:
            design.append(code_text(value))
    out.field("design", " · ".join(design))
    out.field("enrollment", _qualified(_fact(bundle, "enrollment")) or "not stated")
    dates = []
    for field, label in (
        ("start_date", "start"),
        ("primary_completion_date", "primary completion"),
        ("completion_date", "completion"),
        ("last_update_posted", "last update posted"),
    ):
        value = _qualified(_fact(bundle, field))
        if value:
            dates.append(f"{label} {value}")
    out.field("dates", " · ".join(dates) or "none stated")
    sponsor = _value(bundle, "lead_sponsor")
    sponsor_class = _value(bundle, "lead_sponsor_class")
    out.field(
        "sponsor",
        (sponsor or "not stated") + (f" ({code_text(sponsor_class)})" if sponsor_class else ""),
    )
    conditions = [str(f.value) for f in bundle.facts_with_prefix(_fact_prefix(bundle))]
    out.field("conditions", "; ".join(conditions) or "none stated")


def _fact_prefix(bundle: Bundle) -> str:
    return fact_id("ctgov", bundle.nct_id, "conditions") + "."


def _first_url(bundle: Bundle, prefix: str) -> str | None:
    """The public page behind the first fact whose id starts with `prefix`."""
    return next((f.source_url for f in bundle.facts if f.id.startswith(prefix)), None)


def _entities(bundle: Bundle, out: _Lines) -> None:
    for drug in bundle.drugs:
        url = _first_url(bundle, f"chembl:{drug.chembl_id}:") if drug.chembl_id else None
        out.heading(f"Drug: {drug.intervention_name} (ChEMBL)", url)
        if drug.chembl_id:
            out.text(
                f"{drug.chembl_id} {drug.pref_name or ''} · {drug.molecule_type or 'type unknown'}"
                f" · max phase {drug.max_phase or 'unknown'}"
            )
        else:
            out.text("no ChEMBL molecule matched")
    target, disease = bundle.target, bundle.disease
    target_url = _first_url(bundle, f"opentargets:{target.ensembl_id}:") if target else None
    out.heading("Target (Open Targets)", target_url)
    if target is not None:
        out.text(
            f"{target.symbol or '?'} · {target.ensembl_id or 'no Ensembl id'}"
            f"{f' · {target.name}' if target.name else ''} · resolved from {target.resolved_by}"
        )
    else:
        out.text("not resolved")
    out.heading("Disease", _disease_url(bundle))
    if disease is not None:
        out.text(
            f"{disease.name} · {disease.ontology_id or 'no ontology id'} · "
            f"resolved from {disease.resolved_by}"
        )
    else:
        out.text("not resolved")
    if bundle.association is not None:
        association = bundle.association
        url = _first_url(bundle, f"opentargets:{association.ensembl_id}")
        out.heading("Association (Open Targets)", _association_url(bundle) or url)
        out.text(
            f"overall score {association.score:.3f} "
            f"({'indirect' if association.enable_indirect else 'direct'} evidence) · "
            f"{association.disease_name or disease.name if disease else ''}"
        )
    if bundle.target_programs is not None:
        names = ", ".join(p.name or p.chembl_id or "?" for p in bundle.target_programs)
        out.heading(
            "Clinical programs on the target (Open Targets)",
            target_url,
        )
        out.text(f"{len(bundle.target_programs)}: {names or 'none'}")
    if bundle.safety is not None:
        out.heading("Safety (openFDA FAERS)", _first_url(bundle, "openfda:"))
        out.text(f"{bundle.safety.total_reports} adverse-event reports name the drug")
    if bundle.publications:
        out.heading("Publications (PubMed)", _first_url(bundle, "pubmed:"))
        for publication in bundle.publications:
            out.text(
                f"PMID {publication.pmid} · {publication.title or 'untitled'}"
                f"{f' ({publication.year})' if publication.year else ''}"
            )


def _disease_url(bundle: Bundle) -> str | None:
    """Open Targets' disease page, or the trial's page when the disease is only the trial's
    condition as the registry names it."""
    disease = bundle.disease
    if disease is None:
        return None
    if disease.ontology_id is None:
        return study_page_url(bundle.nct_id) if "condition" in disease.resolved_by else None
    return _first_url(bundle, f"opentargets:{disease.ontology_id}:")


def _association_url(bundle: Bundle) -> str | None:
    return next(
        (f.source_url for f in bundle.facts if f.id.endswith(":association_score")),
        None,
    )


def _assessment(bundle: Bundle, out: _Lines) -> None:
    assessment = bundle.assessment
    if assessment is None:
        return
    out.heading("Assessment (drafter, from the facts above and the claims table)")
    stop = assessment.classification
    out.field("stop", f"{stop.archetype} ({', '.join(stop.categories) or 'no category'})")
    score = assessment.mrs
    if score is not None:
        out.field(
            "score",
            f"{score.summary.headline}, as of {score.result.as_of.isoformat()}: a "
            "failure-burden index, not a probability of approval",
        )


def _gaps(bundle: Bundle, out: _Lines) -> None:
    if not bundle.gaps:
        return
    out.heading(f"Gaps ({len(bundle.gaps)}): what is missing and what to do", code=_YELLOW)
    for gap in bundle.gaps:
        missing, todo = gap_advice(gap, bundle.nct_id)
        out.text(f"- {gap.step}: {missing} → {todo}", "  ", "    ")


def gap_advice(gap: Gap, nct_id: str) -> tuple[str, str]:
    """What a gap is missing, shortly, and what the user can do about it."""
    reason = one_line(gap.reason)
    if reason.startswith("offline:"):
        return "not recorded offline", f"run without --offline, or `drafter record {nct_id}`"
    step = gap.step
    if step == "disease ontology id":
        return reason, "pass --disease with an ontology id (e.g. MONDO_0009061)"
    if step in ("target", "mrs") or step.startswith("chembl molecule"):
        return reason, "pass --target with a gene symbol or Ensembl id"
    if step == "association score":
        return reason, "check the target and disease, or pass --target / --disease"
    if "unavailable" in reason or "could not answer" in reason or "timed out" in reason:
        return reason, "try again later"
    return reason, "see --json for the facts this step would have added"
