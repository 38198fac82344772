"""`drafter draft NCT_ID`: the evidence, the score and every section, written to
OUT/NCT_ID/{evidence.json, draft.json, draft.md, review.html} (the review page: every anchor
of the draft checked by drafter.verify, coloured by status, with its fact and source).

Order (drafter.draft_run, which `drafter batch` runs per trial): fetch the bundle, classify
the stop, file the trial as a draft claim (so its own score counts it), compute the score and
the related claims, write the sections, validate them, and write the four files atomically.
Exit 0 when every section validated and verified, 1 when some need an editor or an anchor
fails verification, 2 on bad input, 3 when a source or the model is unavailable.

The stop reason is classified by the rules (deterministic: the same record, the same draft);
--classify-with-model asks the configured model instead (drafter.classify_model), and
draft.json's provenance.stop_classifier records which decided.
"""

from __future__ import annotations

import argparse
from contextlib import nullcontext
from pathlib import Path

from drafter.calllog import CallLog
from drafter.claims import open_store
from drafter.classify import DEFAULT_CLASSIFIER, StopReasonClassifier
from drafter.classify_model import model_classifier
from drafter.commands.common import (
    DEADLINE,
    add_as_of_flag,
    add_db_flag,
    add_offline_flag,
    check_out_directory,
    given_path,
    non_blank,
    today_or,
    write_json,
    write_stdout,
)
from drafter.config import Settings, load_settings
from drafter.draft_files import DRAFT_MD, REVIEW_HTML
from drafter.draft_model import Draft
from drafter.draft_run import TrialQuery, draft_one
from drafter.errors import EXIT_FINDINGS, EXIT_OK
from drafter.sources.ctgov import normalise_nct_id
from drafter.sources.http import HttpClient
from drafter.terminal import tell
from drafter.verify_model import FAILING, VerifyReport
from drafter.writer_choice import WRITERS, choose_writer
from drafter.writers.base import Writer
from drafter.writers.offline import OfflineWriter


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("nct_id", metavar="NCT_ID", help="ClinicalTrials.gov id, e.g. NCT05591222")
    parser.add_argument(
        "--out",
        type=given_path,
        default=Path("out"),
        help="drafts go to OUT/NCT_ID/ (default: out)",
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
    add_db_flag(parser)
    parser.add_argument("--json", action="store_true", help="print a JSON summary")
    parser.add_argument(
        "--classify-with-model",
        action="store_true",
        help="classify the stop reason with the configured model, not the rules (recorded in "
        "draft.json; the rules decide when the model's answer cannot be used)",
    )


def run(args: argparse.Namespace) -> int:
    nct_id = normalise_nct_id(args.nct_id)
    check_out_directory(args.out)
    settings = load_settings({"offline": args.offline, "db_path": args.db, "model": args.model})
    writer = choose_writer(args.writer, settings)
    classifier = _stop_classifier(args.classify_with_model, settings)
    query = TrialQuery(nct_id, today_or(args.as_of), target=args.target, disease=args.disease)
    with (
        HttpClient(settings) as client,
        open_store(settings) as store,
        _log(writer, settings) as log,
    ):
        result = draft_one(
            query,
            client=client,
            store=store,
            settings=settings,
            writer=writer,
            out_dir=args.out,
            call_log=log,
            fetch_label=DEADLINE,
            classifier=classifier,
        )
    assert result is not None  # None only when asked whether the inputs are unchanged
    summary = _summary(result.draft, result.folder, result.report)
    if args.json:
        write_json(summary)
    else:
        write_stdout(_human(summary))
    # findings: a section an editor must write, or an anchor verify cannot trace or match
    return EXIT_FINDINGS if result.draft.needs_editor or result.report.failed else EXIT_OK


def _stop_classifier(with_model: bool, settings: Settings) -> StopReasonClassifier:
    """The rules, or the model when asked (exit 3 when none is configured)."""
    if not with_model:
        return DEFAULT_CLASSIFIER
    classifier = model_classifier(settings)
    tell(f"classifying the stop reason with the model {classifier.model} at {classifier.host}")
    return classifier


def _log(writer: Writer, settings: Settings) -> CallLog | nullcontext[None]:
    """The call log, when a model is asked (the offline writer asks none)."""
    return nullcontext() if writer.name == "offline" else CallLog(settings.call_log_path)


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
        "stop_classifier": draft.provenance.stop_classifier,
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
        f"({_model_named(summary['model'])})",
        f"  verified: {_verified_line(summary['verified'])} · review page: {summary['review']}",
    ]
    if summary["stop_classifier"] != "rules":
        lines.append(f"  stop reason classified by the {summary['stop_classifier']}")
    return "\n".join(lines) + "\n"


def _model_named(model: object) -> str:
    """The model asked, or "no model" for the offline writer (its provenance says "none")."""
    return "no model" if model == OfflineWriter.model else str(model)


def _verified_line(counts: object) -> str:
    """ "219 anchors, 0 failing (coverage 1.00)": what `drafter verify` would say."""
    assert isinstance(counts, dict)
    by_status = counts["by_status"]
    failing = sum(by_status[s] for s in FAILING)
    return (
        f"{counts['anchors']} anchors, {failing} failing (coverage {counts['anchor_coverage']:.2f})"
    )
