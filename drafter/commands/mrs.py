"""`drafter mrs --target T --disease D`: the Mechanism Risk Score, recomputed live from the
claims table and the association score the evidence layer fetches. Names are taken as editors
type them (evidence/aliases.py); the human report shows what the score rests on
(mrs_report.py), --json the same data in full."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from drafter.assessment import score_pair
from drafter.claim_files import claim_record
from drafter.claims import open_store
from drafter.commands.common import (
    DEADLINE,
    add_as_of_flag,
    add_db_flag,
    add_offline_flag,
    non_blank,
    today_or,
    write_json,
)
from drafter.config import load_settings
from drafter.evidence import pair_evidence
from drafter.models import Claim
from drafter.mrs_report import render_mrs
from drafter.sources.http import HttpClient
from drafter.terminal import colour_wanted, coloured, output_width, safe_text


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target", required=True, type=non_blank, help="target symbol or Ensembl gene id"
    )
    parser.add_argument(
        "--disease", required=True, type=non_blank, help="disease name or ontology id"
    )
    add_as_of_flag(parser)
    add_offline_flag(parser)
    add_db_flag(parser)
    parser.add_argument("--json", action="store_true", help="print the result as one JSON document")


def run(args: argparse.Namespace) -> int:
    settings = load_settings({"offline": args.offline, "db_path": args.db})
    as_of = today_or(args.as_of)
    with HttpClient(settings) as client, client.deadline(settings.command_deadline, DEADLINE):
        evidence = pair_evidence(client, args.target, args.disease)
    with open_store(settings) as store:
        score = score_pair(
            store,
            evidence.target,
            evidence.disease,
            evidence.association,
            evidence.target_programs,
            as_of,
            evidence.facts,
        )
    result = score.result
    if args.json:
        document = {
            "target": evidence.target.model_dump(mode="json"),
            "disease": evidence.disease.model_dump(mode="json"),
            **result.model_dump(mode="json"),
            "summary": score.summary.model_dump(mode="json"),
            "facts": [f.model_dump(mode="json") for f in [*evidence.facts, *score.facts]],
            "sources": [
                s.model_dump(mode="json")
                for s in [*evidence.sources, score.record, score.parameters]
            ],
            "gaps": [gap.model_dump(mode="json") for gap in [*evidence.gaps, *score.gaps]],
            "claims": [_claim_used(claim) for claim in score.claims],
        }
        write_json(document)
        return 0
    report = safe_text(
        render_mrs(
            evidence, score, as_of_given=args.as_of is not None, width=output_width(sys.stdout)
        )
    )
    if colour_wanted(sys.stdout):
        report = _band_in_colour(report, result.band)
    sys.stdout.write(report)
    sys.stdout.flush()
    return 0


def _claim_used(claim: Claim) -> dict[str, Any]:
    """A claim the score read, with its key and the event date the score dated it by."""
    event = claim.event_date
    return {"key": claim.key, **claim_record(claim), "event_date": event.value if event else None}


_BAND_COLOURS = {"GREEN": "green", "YELLOW": "yellow", "RED": "red"}


def _band_in_colour(report: str, band: str) -> str:
    """The band of the first line in its colour: added after the text was made safe, so the
    only escape codes on screen are drafter's own."""
    first, _, rest = report.partition("\n")
    marked = first.replace(f"({band})", f"({coloured(band, _BAND_COLOURS[band])})", 1)
    return f"{marked}\n{rest}"
