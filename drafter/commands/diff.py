"""`drafter diff`: what changed, for a reviewer (the rules are drafter.diff's).

    drafter diff A B [--json]
        two drafts of one trial (a draft directory or a draft.json), word by word per part;
        or two evidence bundles (evidence.json), fact by fact, key trial fields first
    drafter diff DIR --refetch [--offline] [--as-of DATE] [--db PATH] [--json]
        the draft's evidence.json against the trial's evidence built now, with the places of
        the draft that cite what changed (the stale paragraphs)

Which is which: a directory means its draft as the article stands: its draft.md when an editor
changed it (it no longer renders from draft.json), else its draft.json; a draft.md (any *.md) is
that file, aligned to the draft.json beside it; any other file is a draft or a bundle by what
it holds (a draft has a headline and sections, a bundle a trial and facts), so a renamed copy
works too. The report says which file each side was read from ("draft.json", "draft.md",
"draft.md (edited)"). Only regular files are read (drafter.draft_files).

The refetch builds the evidence as `drafter draft` does (build_bundle for the draft's trial,
with the --target / --disease the saved evidence shows were given, then assessed against the
claims table), but never files the trial into the claims table: diff writes nothing. The
analysis date is the draft's as_of unless --as-of says otherwise, so a fact differs because a
source changed, not because the clock moved. The places citing a changed fact are those of the
article as it stands: the edited draft.md when there is one (its paragraphs cite what
alignment gives them), else draft.json.

Exit codes: A B — 0 identical, 1 anything differs (like diff(1)); --refetch — 0 when no fact
the draft cites changed (other changes are still reported), 1 when one did; 2 bad input
(missing or unreadable file, invalid JSON, not a draft or a bundle, two trials, a draft and a
bundle); 3 a source unavailable during the refetch (network, snapshot miss, deadline).
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from drafter.assessment import assess
from drafter.bundle import Bundle
from drafter.claims import open_store
from drafter.commands.common import (
    DEADLINE,
    add_as_of_flag,
    add_db_flag,
    add_offline_flag,
    require,
    write_json,
    write_stdout,
)
from drafter.config import load_settings
from drafter.diff import (
    Citation,
    DraftDiff,
    EvidenceDiff,
    FactChange,
    FactState,
    Hunk,
    ParagraphDiff,
    RecordChange,
    RefetchReport,
    compare_bundles,
    compare_drafts,
    refetch_report,
)
from drafter.draft_files import load_as, load_document, load_draft_directory, same_trial
from drafter.draft_model import Draft
from drafter.errors import EXIT_FINDINGS, EXIT_OK, BadInput
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.sources.http import HttpClient
from drafter.terminal import one_line

DiffReport = DraftDiff | EvidenceDiff


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="A B: two drafts (a directory, a draft.json or an edited draft.md) or two "
        "evidence.json files; with --refetch: one draft directory",
    )
    parser.add_argument(
        "--refetch",
        action="store_true",
        help="build the trial's evidence again and list the paragraphs citing changed facts",
    )
    add_offline_flag(parser)
    add_as_of_flag(parser, default="the draft's as_of")
    add_db_flag(parser, "claims database for --refetch (default: DRAFTER_DB or the user data dir)")
    parser.add_argument("--json", action="store_true", help="print the report as one JSON document")


def run(args: argparse.Namespace) -> int:
    if args.refetch:
        return _refetch(args)
    require(len(args.paths) == 2, "diff compares two files: drafter diff A B (or DIR --refetch)")
    given = (("--offline", args.offline), ("--as-of", args.as_of), ("--db", args.db))
    misplaced = [flag for flag, value in given if value]
    require(not misplaced, f"{', '.join(misplaced)}: only with --refetch")
    first, second = (load_document(Path(p)) for p in args.paths)
    report = _compare(first, second, *args.paths)
    _print(report, args.json)
    return EXIT_FINDINGS if report.differs else EXIT_OK


def _compare(a: Draft | Bundle, b: Draft | Bundle, a_label: str, b_label: str) -> DiffReport:
    """Two of a kind, of one trial; anything else is refused."""
    if isinstance(a, Draft) is not isinstance(b, Draft):
        raise BadInput(
            f"cannot compare a draft with an evidence bundle ({a_label}, {b_label}): "
            "compare two drafts or two evidence bundles"
        )
    same_trial(a, b, a_label, b_label)
    if isinstance(a, Draft) and isinstance(b, Draft):
        return compare_drafts(a, b, a_label, b_label)
    assert isinstance(a, Bundle) and isinstance(b, Bundle)
    return compare_bundles(a, b, a_label, b_label)


# --- the refetch ---------------------------------------------------------------------------------


def _refetch(args: argparse.Namespace) -> int:
    require(len(args.paths) == 1, "--refetch takes one draft directory")
    folder = Path(args.paths[0])
    require(folder.is_dir(), f"{folder}: --refetch needs a draft directory")
    draft = load_draft_directory(folder)
    saved = load_as(folder / "evidence.json", Bundle)
    same_trial(draft, saved, str(folder / "draft.json"), str(folder / "evidence.json"))
    settings = load_settings({"offline": args.offline, "db_path": args.db})
    query = original_query(saved, args.as_of or _day(saved.as_of, folder / "evidence.json"))
    with HttpClient(settings) as client, open_store(settings) as store:
        with client.deadline(settings.command_deadline, DEADLINE):
            evidence = build_bundle(client, query)
        fresh = assess(evidence, store, client=client)
    report = refetch_report(draft, saved, fresh, label=str(folder), offline=settings.offline)
    _print(report, args.json)
    return EXIT_FINDINGS if report.stale_facts else EXIT_OK


def original_query(saved: Bundle, as_of: date) -> EvidenceQuery:
    """The query the saved evidence was built for, as far as it shows: a target or a disease
    resolved "--target" / "--disease" was given. The target is asked again by its Ensembl id
    (what it resolved to) when it has one, else as it was typed; the disease as it was asked."""
    target, disease = saved.target, saved.disease
    given_target = target if target and target.resolved_by.startswith("--target") else None
    given_disease = disease if disease and disease.resolved_by.startswith("--disease") else None
    return EvidenceQuery(
        nct_id=saved.nct_id,
        as_of=as_of,
        target=(given_target.ensembl_id or given_target.symbol) if given_target else None,
        disease=given_disease.query if given_disease else None,
    )


def _day(text: str, file: Path) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{file}: as_of is not a YYYY-MM-DD date: {text!r}") from None


# --- output --------------------------------------------------------------------------------------


def _print(report: DiffReport | RefetchReport, as_json: bool) -> None:
    if as_json:
        write_json(report.model_dump(mode="json"))
    elif isinstance(report, DraftDiff):
        write_stdout(draft_text(report))
    elif isinstance(report, EvidenceDiff):
        write_stdout(evidence_text(report))
    else:
        write_stdout(refetch_text(report))


def draft_text(report: DraftDiff) -> str:
    """Per changed part its paragraphs, changes marked as wdiff marks them: [-gone-] {+new+}."""
    legend = "   ([-removed-] {+added+})" if report.differs else ""
    lines = [
        f"Drafts of {report.nct_id}: {report.a} → {report.b}{legend}",
        f"  read from: {report.a_read_from} → {report.b_read_from}",
    ]
    for part in report.changed:
        status = (
            f" (status {part.status_a} → {part.status_b})"
            if part.status_a and part.status_b and part.status_a != part.status_b
            else ""
        )
        lines.append(f"{part.key} — {part.heading}: {part.change}{status}")
        lines += [f"  {line}" for p in part.paragraphs for line in _paragraph_lines(p)]
    if report.unchanged:
        lines.append(f"unchanged: {', '.join(report.unchanged)}")
    total = len(report.changed) + len(report.unchanged)
    changed = f"{len(report.changed)} of {_count(total, 'part')} changed."
    lines.append(changed if report.differs else "No differences.")
    return "\n".join(lines) + "\n"


def _paragraph_lines(paragraph: ParagraphDiff) -> list[str]:
    if paragraph.change in ("added", "removed"):
        number = paragraph.b if paragraph.change == "added" else paragraph.a
        return [f"¶{number} {paragraph.change}: “{one_line(paragraph.text or '')}”"]
    where = f"¶{paragraph.b}" if paragraph.a == paragraph.b else f"¶{paragraph.a}→¶{paragraph.b}"
    lines = [f"{where} moved"] if paragraph.change == "moved" else []
    lines += [f"{where}: {_hunk_text(h)}" for h in paragraph.hunks]
    cites = [f"+{c}" for c in paragraph.cites_added] + [f"-{c}" for c in paragraph.cites_removed]
    if cites:
        lines.append(f"{where} cites: {' '.join(cites)}")
    if paragraph.marked is not None:
        lines.append(f"{where} marked: {paragraph.marked[0]} → {paragraph.marked[1]}")
    return lines


def _hunk_text(hunk: Hunk) -> str:
    marks = {"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}
    words = [marks[s.op].format(one_line(s.text)) for s in hunk.segments]
    return ("" if hunk.at_start else "… ") + " ".join(words) + ("" if hunk.at_end else " …")


def evidence_text(report: EvidenceDiff) -> str:
    lines = [f"Evidence of {report.nct_id}: {report.a} → {report.b}"]
    lines += _fact_lines(report)
    facts, records = _count(len(report.facts), "fact"), _count(len(report.records), "record")
    lines.append(f"{facts} and {records} differ." if report.differs else "No differences.")
    return "\n".join(lines) + "\n"


def refetch_text(report: RefetchReport) -> str:
    where = "the offline snapshot" if report.offline else "the sources now"
    which = "the edited draft.md" if report.read_from == "draft.md (edited)" else "the draft"
    lines = [
        f"{report.nct_id}: the evidence of {which} in {report.draft} (as of "
        f"{report.draft_as_of}) against {where} (as of {report.as_of})"
    ]
    lines += _fact_lines(report.evidence)
    if report.stale:
        places = _count(len(report.stale), "place")
        verb = "cites" if len(report.stale) == 1 else "cite"
        lines.append(f"Stale: {places} {verb} a changed fact; re-check")
        lines += [
            f"  {_place(s)} “{one_line(s.excerpt)}” — {', '.join(s.facts)}" for s in report.stale
        ]
        lines.append(f"{_count(len(report.stale_facts), 'cited fact')} changed.")
    else:
        lines.append("No fact the draft cites changed.")
    return "\n".join(lines) + "\n"


GROUP_HEADINGS = {
    "key": "Trial record",
    "source": "Other source facts",
    "derived": "Derived facts (classification, score, claims table)",
}


def _fact_lines(report: EvidenceDiff) -> list[str]:
    lines: list[str] = []
    for group, heading in GROUP_HEADINGS.items():
        changes = [c for c in report.facts if c.group == group]
        unchanged = report.key_unchanged if group == "key" else []
        if not changes and not unchanged:
            continue
        lines.append(heading)
        lines += [line for c in changes if not _collapsible(c) for line in _change_lines(c)]
        lines += _collapsed([c for c in changes if _collapsible(c)])
        if unchanged:
            lines.append(f"  unchanged: {', '.join(i.rsplit(':', 1)[1] for i in unchanged)}")
    if report.records:
        lines.append("Source records with other content")
        lines += [f"  {_record_line(r)}" for r in report.records]
    return lines


SIGNS = {"changed": "~", "added": "+", "removed": "-"}


def _change_lines(change: FactChange) -> list[str]:
    values = {
        "changed": f"{_state(change.before)} → {_state(change.after)}",
        "added": _state(change.after),
        "removed": f"{_state(change.before)} (removed)",
    }[change.change]
    mark = "   STALE" if change.stale else ""
    lines = [f"  {SIGNS[change.change]} {change.label} [{change.id}]: {values}{mark}"]
    if change.cited_by:
        places = list(dict.fromkeys(_place(c) for c in change.cited_by))
        lines.append(f"      cited by {_count(len(places), 'place')}: {', '.join(places)}")
    return lines


def _collapsible(change: FactChange) -> bool:
    """A derived fact that came or went without making the draft stale: one line per record
    entity (a claim, say) instead of one per fact; --json lists each."""
    return change.group == "derived" and change.change != "changed" and not change.stale


def _collapsed(changes: list[FactChange]) -> list[str]:
    groups: dict[tuple[str, str], list[FactChange]] = {}
    for change in changes:
        groups.setdefault((change.id.rsplit(":", 1)[0], change.change), []).append(change)
    lines = []
    for (entity, kind), members in groups.items():
        if len(members) == 1:
            lines += _change_lines(members[0])
            continue
        places = dict.fromkeys(_place(c) for m in members for c in m.cited_by)
        cited = f"; cited by {', '.join(places)}" if places else ""
        lines.append(f"  {SIGNS[kind]} {entity}:… — {_count(len(members), 'fact')} {kind}{cited}")
    return lines


def _state(state: FactState | None) -> str:
    if state is None:
        return "none"
    value = state.value
    if isinstance(value, bool):
        shown = str(value).lower()
    elif isinstance(value, str):
        shown = f"“{one_line(value, 120)}”"
    else:
        shown = str(value)
    return shown + (f" ({state.qualifier})" if state.qualifier else "")


def _record_line(record: RecordChange) -> str:
    hashes = f"{(record.before or 'none')[:12]} → {(record.after or 'none')[:12]}"
    read = _count(len(record.facts), "fact")
    return f"{SIGNS[record.change]} {record.id} ({record.source}): {hashes}; {read} read from it"


def _place(place: Citation) -> str:
    return place.section + (f" ¶{place.paragraph}" if place.paragraph is not None else "")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
