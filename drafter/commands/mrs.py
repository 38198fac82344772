"""`drafter mrs --target T --disease D`: the Mechanism Risk Score, recomputed live from the
claims table and the association score the evidence layer fetches."""

from __future__ import annotations

import argparse

from drafter.assessment import score_pair
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
from drafter.evidence import pair_evidence
from drafter.mrs import MrsResult
from drafter.sources.http import HttpClient
from drafter.terminal import one_line


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target", required=True, type=non_blank, help="target symbol or Ensembl gene id"
    )
    parser.add_argument(
        "--disease", required=True, type=non_blank, help="disease name or ontology id"
    )
    add_as_of_flag(parser)
    add_offline_flag(parser)
    parser.add_argument("--db", help="claims database (default: DRAFTER_DB or the user data dir)")
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
    target_name = evidence.target.symbol or evidence.target.ensembl_id or args.target
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
        }
        write_json(document)
    else:
        table = render_table(result, target_name, evidence.disease.name, score.summary.text)
        gaps = "".join(
            f"gap — {one_line(f'{gap.step}: {gap.reason}')}\n"
            for gap in [*evidence.gaps, *score.gaps]
        )
        write_stdout(table + gaps)
    return 0


def render_table(result: MrsResult, target: str, disease: str, sentence: str) -> str:
    target, disease, sentence = one_line(target), one_line(disease), one_line(sentence)
    lines = [
        f"MRS {result.total}/100 ({result.band}) — {target} in {disease}, as of {result.as_of}",
        "",
        "| Component | Points |",
        "|---|---|",
    ]
    lines += [f"| {c.heading} | {c.points:.1f} / {c.max} |" for c in result.components]
    lines += ["", sentence]
    lines += [f"note: {one_line(note)}" for note in result.notes]
    return "\n".join(lines) + "\n"
