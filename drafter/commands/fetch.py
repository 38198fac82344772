"""`drafter fetch NCT_ID`: the evidence Bundle as JSON, or a readable summary."""

from __future__ import annotations

import argparse

from drafter.assessment import assess
from drafter.bundle import Bundle
from drafter.claims import open_store
from drafter.commands.common import (
    DEADLINE,
    add_as_of_flag,
    add_offline_flag,
    non_blank,
    today_or,
    write_json,
    write_stdout,
)
from drafter.config import load_settings
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.sources.ctgov import normalise_nct_id
from drafter.sources.http import HttpClient
from drafter.terminal import one_line


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("nct_id", metavar="NCT_ID", help="ClinicalTrials.gov id, e.g. NCT05591222")
    add_offline_flag(parser)
    parser.add_argument("--json", action="store_true", help="print the Bundle as one JSON document")
    parser.add_argument(
        "--target", type=non_blank, help="target symbol or Ensembl id (overrides the mechanism)"
    )
    parser.add_argument(
        "--disease", type=non_blank, help="disease name or ontology id (overrides the condition)"
    )
    add_as_of_flag(parser)
    parser.add_argument("--db", help="claims database (default: DRAFTER_DB or the user data dir)")


def run(args: argparse.Namespace) -> int:
    nct_id = normalise_nct_id(args.nct_id)  # bad ids fail before any settings or network work
    settings = load_settings({"offline": args.offline, "db_path": args.db})
    query = EvidenceQuery(
        nct_id=nct_id, as_of=today_or(args.as_of), target=args.target, disease=args.disease
    )
    with HttpClient(settings) as client, open_store(settings) as store:
        with client.deadline(settings.command_deadline, DEADLINE):
            evidence = build_bundle(client, query)
        bundle = assess(evidence, store, client=client)
    if args.json:
        write_json(bundle.model_dump(mode="json"))
    else:
        write_stdout(summarise(bundle))
    return 0


def summarise(bundle: Bundle) -> str:
    """A few lines an editor can read at a glance; every value is also a Fact in --json.
    Source text goes through `one_line`, so no value can break a line or the terminal."""
    trial = bundle.trial
    status = trial.status
    design = trial.design
    enrollment = design.enrollment_info
    title = trial.protocol_section.identification_module.brief_title or ""
    parts = (
        status.overall_status or "status unknown",
        "/".join(design.phases) or "phase unknown",
        f"enrollment {enrollment.count}" if enrollment and enrollment.count else "",
        f"sponsor {trial.lead_sponsor}" if trial.lead_sponsor else "",
    )
    lines = [f"{bundle.nct_id} — {title}", "  " + " · ".join(p for p in parts if p)]
    if status.why_stopped:
        lines.append(f'  why stopped: "{one_line(status.why_stopped)}"')
    for drug in bundle.drugs:
        molecule = (
            f"{drug.chembl_id} ({drug.molecule_type or 'type unknown'}, "
            f"max phase {drug.max_phase or 'unknown'})"
            if drug.chembl_id
            else "no ChEMBL molecule"
        )
        lines.append(f"  drug: {drug.intervention_name} → {molecule}")
    if bundle.target:
        target = bundle.target
        lines.append(
            f"  target: {target.symbol or '?'} ({target.ensembl_id or 'no Ensembl id'}), "
            f"from {target.resolved_by}"
        )
    if bundle.disease:
        disease = bundle.disease
        lines.append(f"  disease: {disease.name} ({disease.ontology_id or 'no ontology id'})")
    if bundle.association:
        lines.append(f"  Open Targets association score: {bundle.association.score:.3f}")
    if bundle.target_programs is not None:
        names = ", ".join(p.name or p.chembl_id or "?" for p in bundle.target_programs)
        lines.append(f"  clinical programs on target: {len(bundle.target_programs)} ({names})")
    if bundle.safety is not None:
        lines.append(f"  FAERS reports: {bundle.safety.total_reports}")
    if bundle.assessment is not None:
        stop = bundle.assessment.classification
        lines.append(f"  stop classification: {stop.archetype} ({', '.join(stop.categories)})")
        if bundle.assessment.mrs is not None:
            score = bundle.assessment.mrs
            lines.append(f"  {score.summary.headline}, as of {score.result.as_of.isoformat()}")
    origins = sorted({s.origin for s in bundle.sources})
    lines.append(
        f"  {len(bundle.facts)} facts · {len(bundle.gaps)} gaps · "
        f"{len(bundle.sources)} sources ({', '.join(origins)})"
    )
    lines += [f"  gap — {gap.step}: {gap.reason}" for gap in bundle.gaps]
    # every line is one line: a value holding a newline or an escape cannot forge another
    return "\n".join("  " * (line.startswith("  ")) + one_line(line) for line in lines) + "\n"
