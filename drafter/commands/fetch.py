"""`drafter fetch NCT_ID`: the evidence Bundle as JSON, or a readable summary."""

from __future__ import annotations

import argparse
import sys

from drafter.assessment import assess
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
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.fetch_summary import Style, summarise
from drafter.sources.ctgov import normalise_nct_id
from drafter.sources.http import HttpClient
from drafter.terminal import colour_wanted, output_width


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
    add_db_flag(parser)


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
        # every source value in it has been through one_line; only the summary's own colour
        # codes (on a terminal, without NO_COLOR) are escape sequences
        sys.stdout.write(summarise(bundle, terminal_style()))
        sys.stdout.flush()
    return 0


def terminal_style() -> Style:
    """The width of drafter.terminal.output_width (a pipe or a file: 100), and colour by its
    colour_wanted (a terminal, never with NO_COLOR or TERM=dumb)."""
    width = output_width(sys.stdout) or 100
    return Style(width=width, colour=colour_wanted(sys.stdout))
