"""`drafter draft NCT_ID`: the evidence, the score and every section, written to
OUT/NCT_ID/{evidence.json, draft.json, draft.md, review.html} (the review page: every anchor
of the draft checked by drafter.verify, coloured by status, with its fact and source).

Order: fetch the bundle, classify the stop, file the trial as a draft claim (so its own score
counts it), compute the score and the related claims, write the sections, validate them, and
write the four files atomically. Exit 0 when every section validated and verified, 1 when
some need an editor or an anchor fails verification, 2 on bad input, 3 when a source or the
model is unavailable.
"""

from __future__ import annotations

import argparse
import os
import uuid
from pathlib import Path

from drafter.assessment import assess
from drafter.atomic_write import write_all_atomically
from drafter.bundle import Bundle
from drafter.calllog import CallLog
from drafter.calllog import CallRecord as LoggedCall
from drafter.claims import open_store
from drafter.classify import classify_stop_reason
from drafter.commands.common import (
    DEADLINE,
    add_as_of_flag,
    add_offline_flag,
    non_blank,
    today_or,
    write_json,
    write_stdout,
)
from drafter.config import Settings, load_settings
from drafter.draft import CallEntry, CallHook, draft_trial
from drafter.draft_files import DRAFT_JSON, DRAFT_MD, EVIDENCE_JSON, REVIEW_HTML
from drafter.draft_model import Draft
from drafter.errors import EXIT_FINDINGS, EXIT_OK
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.render import render_markdown
from drafter.review_page import render_review_page
from drafter.sources import deadline as budgets
from drafter.sources.ctgov import normalise_nct_id
from drafter.sources.http import HttpClient
from drafter.terminal import json_text, tell
from drafter.trial_claim import claim_for_trial, record_trial, withdraw_trial
from drafter.verify import verify_draft
from drafter.verify_model import FAILING, VerifyReport
from drafter.writers.base import Writer
from drafter.writers.offline import OfflineWriter
from drafter.writers.openai_writer import OpenAIWriter, writer_settings_present
from drafter.writers.pricing import cost_usd

WRITERS = ("auto", "openai", "offline")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("nct_id", metavar="NCT_ID", help="ClinicalTrials.gov id, e.g. NCT05591222")
    parser.add_argument(
        "--out", type=Path, default=Path("out"), help="drafts go to OUT/NCT_ID/ (default: out)"
    )
    parser.add_argument(
        "--writer",
        choices=WRITERS,
        default="auto",
        help="auto: the model when OPENAI_API_KEY or OPENAI_BASE_URL is set, else offline",
    )
    parser.add_argument("--model", type=non_blank, help="model name (also DRAFTER_MODEL)")
    add_offline_flag(parser)
    add_as_of_flag(parser)
    parser.add_argument("--target", type=non_blank, help="target symbol or Ensembl id")
    parser.add_argument("--disease", type=non_blank, help="disease name or ontology id")
    parser.add_argument("--db", help="claims database (default: DRAFTER_DB or the user data dir)")
    parser.add_argument("--json", action="store_true", help="print a JSON summary")


def run(args: argparse.Namespace) -> int:
    nct_id = normalise_nct_id(args.nct_id)
    settings = load_settings({"offline": args.offline, "db_path": args.db, "model": args.model})
    writer = choose_writer(args.writer, settings)
    query = EvidenceQuery(
        nct_id=nct_id, as_of=today_or(args.as_of), target=args.target, disease=args.disease
    )
    with HttpClient(settings) as client, client.deadline(settings.command_deadline, DEADLINE):
        evidence = build_bundle(client, query)
    with open_store(settings) as store:
        claim = claim_for_trial(evidence, classify_stop_reason(evidence.trial.status.why_stopped))
        filed = record_trial(store, claim) if claim is not None else None
        bundle = assess(evidence, store)
    folder = args.out / nct_id
    try:
        # the drafting stage has its own total budget: every model call, retry and re-ask
        with budgets.within(settings.model_deadline, "drafting deadline"):
            draft = _write(bundle, writer, settings, nct_id)
        report = verify_draft(draft, bundle, path=str(folder / DRAFT_JSON))
        write_all_atomically(
            {
                folder / EVIDENCE_JSON: json_text(bundle.model_dump(mode="json")) + "\n",
                folder / DRAFT_JSON: json_text(draft.model_dump(mode="json")) + "\n",
                folder / DRAFT_MD: render_markdown(draft),
                folder / REVIEW_HTML: render_review_page(draft, report),
            },
            create_parents=True,
        )
    except BaseException:
        if claim is not None and filed is not None:  # no draft: the claim it was filed for goes
            with open_store(settings) as store:
                withdraw_trial(store, claim, filed)
        raise
    summary = _summary(draft, folder, report)
    if args.json:
        write_json(summary)
    else:
        write_stdout(_human(summary))
    # findings: a section an editor must write, or an anchor verify cannot trace or match
    return EXIT_FINDINGS if draft.needs_editor or report.failed else EXIT_OK


def _write(bundle: Bundle, writer: Writer, settings: Settings, nct_id: str) -> Draft:
    if writer.name == "offline":  # no model was asked: nothing to log, nothing to price
        return draft_trial(bundle, writer, concurrency=settings.model_concurrency)
    with CallLog(settings.call_log_path) as log:
        return draft_trial(
            bundle,
            writer,
            concurrency=settings.model_concurrency,
            on_call=call_logger(writer, log, nct_id),
            pricing=cost_usd,
        )


def choose_writer(choice: str, settings: Settings) -> Writer:
    """The writer asked for; `auto` takes the model only when one is configured (an API key
    or a base URL) and the run is not --offline, and says which it took on stderr."""
    configured = writer_settings_present(os.environ, settings)
    if choice == "auto" and settings.offline:  # offline asks no one, a model included
        tell("writing with the offline writer (--offline: no model is asked; --writer openai to)")
        return OfflineWriter()
    if choice == "offline" or (choice == "auto" and not configured):
        if choice == "auto":
            tell("writing with the offline writer (no OPENAI_API_KEY or OPENAI_BASE_URL set)")
        return OfflineWriter()
    writer = OpenAIWriter(settings)
    if choice == "auto":
        tell(f"writing with the model {writer.model} at {writer.endpoint}")
    return writer


def call_logger(writer: Writer, log: CallLog, nct_id: str) -> CallHook:
    """Every ask of a model written to the call log (prompts, reply, problems, tokens)."""
    draft_id = f"{nct_id}-{uuid.uuid4().hex[:12]}"

    def record(entry: CallEntry) -> None:
        sections = [h for name, h in entry.template_hashes.items() if name.startswith("sections/")]
        log.add(
            LoggedCall.of(
                writer,
                entry.request,
                entry.result,
                draft_id=draft_id,
                nct_id=nct_id,
                template_hash=sections[0] if sections else None,
                validation_errors=entry.problems,
            )
        )

    return record


def _summary(draft: Draft, folder: Path, report: VerifyReport) -> dict[str, object]:
    cited = {c for s in draft.sections for p in s.paragraphs for c in p.cites}
    return {
        "nct_id": draft.nct_id,
        "folder": str(folder),
        "draft": str(folder / DRAFT_MD),
        "review": str(folder / REVIEW_HTML),
        "verified": report.counts.model_dump(),
        "sections": len(draft.sections),
        "facts_cited": len(cited | set(draft.headline_cites)),
        "needs_editor": draft.needs_editor,
        "mrs": f"{draft.mrs.total}/{draft.mrs.scale} ({draft.mrs.band})" if draft.mrs else None,
        "conflicts": sum(c.kind == "dispute" for c in draft.conflicts),
        "record_history": sum(c.kind == "history" for c in draft.conflicts),
        "writer": draft.provenance.writer,
        "model": draft.provenance.model,
    }


def _human(summary: dict[str, object]) -> str:
    needs = summary["needs_editor"]
    lines = [
        f"draft written: {summary['draft']}",
        f"  {summary['sections']} sections · {summary['facts_cited']} facts cited · "
        f"{len(needs) if isinstance(needs, list) else 0} need an editor"
        + (f" ({', '.join(needs)})" if isinstance(needs, list) and needs else ""),
        f"  MRS {summary['mrs'] or 'not computed'} · {summary['conflicts']} conflicting-evidence "
        f"notes · {summary['record_history']} record-history notes · writer {summary['writer']} "
        f"({summary['model']})",
        f"  verified: {_verified_line(summary['verified'])} · review page: {summary['review']}",
    ]
    return "\n".join(lines) + "\n"


def _verified_line(counts: object) -> str:
    """ "219 anchors, 0 failing (coverage 1.00)": what `drafter verify` would say."""
    assert isinstance(counts, dict)
    by_status = counts["by_status"]
    failing = sum(by_status[s] for s in FAILING)
    return (
        f"{counts['anchors']} anchors, {failing} failing (coverage {counts['anchor_coverage']:.2f})"
    )
