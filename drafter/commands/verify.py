"""`drafter verify PATH`: every number, date, phase, id, quotation and name of a draft checked
against the evidence it was drafted from, with the fact and source URL behind each.

PATH is a draft directory (draft.json and evidence.json inside) or a draft.md in one. Given a
directory, the draft.md in it is checked when an editor has changed it (it no longer renders
from draft.json), else draft.json; given a draft.md, that file. Exit 0 when no anchor is a
mismatch, untraceable or more precise than its source, 1 when one is, 2 on bad input.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from drafter.bundle import Bundle
from drafter.commands.common import DEADLINE, given_path, write_json, write_stdout
from drafter.config import load_settings
from drafter.draft_files import (
    DRAFT_JSON,
    DRAFT_MD,
    EVIDENCE_JSON,
    REVIEW_HTML,
    draft_folder,
    load_pair,
    read_markdown,
)
from drafter.draft_markdown import AlignedMarkdown, align_markdown
from drafter.draft_model import Draft, SourceNumbers
from drafter.errors import EXIT_FINDINGS, EXIT_OK, BadInput
from drafter.markdown_parse import Line, front_matter_end, lines_of, opens_front_matter
from drafter.render import render_markdown
from drafter.review_page import write_review_page
from drafter.sources import deadline
from drafter.terminal import one_line, tell, text_table
from drafter.verify import ParagraphInput, verify_draft, verify_paragraphs
from drafter.verify_model import FAILING, ParagraphReport, VerifyReport

_MARKS = {
    "verified": "ok",
    "verified_uncited": "uncited",
    "fuzzy": "near",
    "mismatch": "MISMATCH",
    "untraceable": "UNTRACEABLE",
    "unsupported_precision": "TOO PRECISE",
    "background": "background",
}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "path",
        metavar="PATH",
        type=given_path,
        help="a draft directory, or an edited draft.md in one",
    )
    parser.add_argument("--json", action="store_true", help="print the full report as JSON")
    parser.add_argument(
        "--html",
        nargs="?",
        const=True,
        default=None,
        metavar="FILE",
        help="also write the review page (default: review.html beside draft.md)",
    )
    parser.add_argument(
        "--all", action="store_true", help="list every anchor, not only those to look at"
    )


def run(args: argparse.Namespace) -> int:
    settings = load_settings({})
    target = _review_target(args.html, args.path) if args.html is not None else None
    with deadline.within(settings.command_deadline, DEADLINE):
        try:
            report, draft = check(args.path)
        except OverflowError:  # a number too large for a float in the files
            raise BadInput(
                f"{args.path}: a number in the draft or its evidence is too large"
            ) from None
    if target is not None:
        write_review_page(target, draft, report)
        tell(f"review page written: {target}")  # stderr: the report on stdout stays as it is
    elif report.checked == "draft.md" and (draft_folder(args.path) / REVIEW_HTML).exists():
        page = draft_folder(args.path) / REVIEW_HTML
        tell(f"{page} shows draft.json, not the edited draft.md: add --html to refresh it")
    if args.json:
        write_json(report.model_dump(mode="json"))
    else:
        write_stdout(human_report(report, every=args.all))
    return EXIT_FINDINGS if report.failed else EXIT_OK


def _review_target(html: str | bool, path: Path) -> Path:
    """Where the review page goes: FILE, or review.html in a directory or beside draft.md;
    never over one of the files it is made from."""
    if html == "":
        raise BadInput("--html needs a file name, or no value for review.html beside draft.md")
    target = Path(html) if isinstance(html, str) else draft_folder(path)
    if target.is_dir():
        target = target / REVIEW_HTML
    folder = draft_folder(path)
    inputs = {folder / name for name in (DRAFT_JSON, EVIDENCE_JSON, DRAFT_MD)} | {path}
    if any(_same_file(target, source) for source in inputs):
        raise BadInput(f"--html {target} would overwrite an input of the check: name another file")
    return target


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def check(path: Path) -> tuple[VerifyReport, Draft]:
    """The report for PATH (see the module docstring for which file is checked)."""
    folder = draft_folder(path)
    if not (folder / DRAFT_JSON).is_file():
        raise BadInput(
            f"{folder} holds no {DRAFT_JSON}: verify a draft directory, or a draft.md inside one "
            f"(beside {DRAFT_JSON} and {EVIDENCE_JSON})"
        )
    draft, evidence = load_pair(folder)
    markdown_path = path if path.is_file() else folder / DRAFT_MD
    if path.is_file() and path.suffix.casefold() not in (".md", ".markdown"):
        if path.name in (DRAFT_JSON, EVIDENCE_JSON):
            return verify_draft(draft, evidence, path=str(folder / DRAFT_JSON)), draft
        raise BadInput(f"not a draft directory or a draft.md: {path}")
    if path.is_file() or markdown_path.exists():
        markdown, unedited = read_markdown(markdown_path), render_markdown(draft)
        if path.is_file() or markdown != unedited:
            return verify_markdown(markdown, unedited, draft, evidence, markdown_path), draft
    return verify_draft(draft, evidence, path=str(folder / DRAFT_JSON)), draft


def verify_markdown(
    markdown: str, unedited: str, draft: Draft, evidence: Bundle, path: Path
) -> VerifyReport:
    """An edited draft.md, its paragraphs re-aligned to draft.json's sections by heading;
    `unedited` is the article draft.json renders (what the editor started from)."""
    if "\x00" in markdown:
        raise BadInput(f"{path} holds NUL bytes: not a text file")
    aligned = align_markdown(markdown, draft)
    if not any(p.text.strip() for p in aligned.paragraphs):
        raise BadInput(f"{path} holds no article: nothing to check")
    numbers = SourceNumbers(draft)
    known = {source.number for source in draft.sources}
    original = align_markdown(unedited, draft)
    rendered = {" ".join(p.text.split()) for p in original.paragraphs if p.section_key in _LISTINGS}
    deleted = _deleted_markers(aligned, original)
    paragraphs: list[ParagraphInput] = []
    problems: dict[int, list[str]] = {}
    for position, p in enumerate(aligned.paragraphs):
        if p.section_key in _LISTINGS:  # rendered from facts: any change is a hand edit
            if p.text.strip() and " ".join(p.text.split()) not in rendered:
                problems[len(paragraphs)] = [_HAND_EDIT]
            else:
                continue
        cites, cites_from = p.cites, p.cites_from
        if p.section_key in ("headline", "dek"):  # one each: their citations, however reworded
            cites, cites_from = draft.headline_cites, "aligned"
        paragraphs.append(
            ParagraphInput(
                section=p.section_key or "(no section)",
                heading=p.heading or p.section_key or "(before the headline)",
                index=p.index,
                text=p.text,
                cites=cites,
                kind=_checked_as(p.kind, p.cites_from),
                cites_from=cites_from,
                line=p.line,
            )
        )
        marker_problems = _marker_problems(p.markers, cites, cites_from, numbers, known)
        if position in deleted:
            marker_problems.append(_deleted_problem(deleted[position], p.text))
        if marker_problems:
            problems.setdefault(len(paragraphs) - 1, []).extend(marker_problems)
    report = verify_paragraphs(
        draft,
        evidence,
        paragraphs,
        checked="draft.md",
        path=str(path),
        unaligned_headings=[h.heading for h in aligned.unaligned_headings],
        missing_sections=aligned.missing_sections,
    )
    for index, found in problems.items():
        report.paragraphs[index].problems.extend(found)
    report.problems.extend(_front_matter_edits(markdown, unedited))
    return report


_LISTINGS = ("sources", "related_claims")
_HAND_EDIT = (
    "a line drafter computes from the facts was changed by hand: change the facts "
    "(claims table, evidence) and draft again, or say it in prose"
)


def _deleted_markers(edited: AlignedMarkdown, original: AlignedMarkdown) -> dict[int, list[int]]:
    """Edited paragraphs (by position) shown with no source marker although the paragraph
    they were aligned to was printed with some: their citations still come from draft.json,
    so every check passes while the article shows a reader no source. A paragraph cut in two
    keeps its markers on one half: the other half is not flagged."""
    printed: dict[tuple[str | None, int | None], list[int]] = {
        (p.section_key, p.matched_index): p.markers
        for p in original.paragraphs
        if p.markers and p.matched_index is not None
    }
    marked = {(p.section_key, p.matched_index) for p in edited.paragraphs if p.markers}
    return {
        position: printed[(p.section_key, p.matched_index)]
        for position, p in enumerate(edited.paragraphs)
        if p.cites_from == "aligned"
        and not p.markers
        and (p.section_key, p.matched_index) in printed
        and (p.section_key, p.matched_index) not in marked
    }


def _deleted_problem(printed: list[int], text: str) -> str:
    """What became of a paragraph's markers. A Markdown round trip (pandoc, a CMS's editor)
    writes "[1]" as "\\[1\\]": a reader still sees it, but it is text, as the renderer
    writes a source's own brackets; saying the markers were deleted would send the editor to
    add them a second time."""
    shown = "".join(f"[{n}]" for n in printed)
    if set(printed) <= {int(n) for n in _SHOWN_MARKER.findall(text)}:
        return (
            f"its source markers {shown} are escaped (\\[{printed[0]}\\]): a reader sees them, "
            "but drafter reads them as text, their numbers as anchors; remove the backslashes"
        )
    return f"its source markers {shown} were deleted: a reader sees no source for it; put them back"


_SHOWN_MARKER = re.compile(r"\[(\d{1,6})\]")


def _front_matter_edits(markdown: str, unedited: str) -> list[str]:
    """Front-matter lines an editor changed (title, nct_id, mrs, mrs_band ... a CMS reads them),
    or, when the draft had front matter, what keeps the edited file's from being read as such."""
    lines = lines_of(markdown)
    end = front_matter_end(lines)
    drafted = _front_matter(lines_of(unedited))
    broken = _front_matter_problem(lines, end) if drafted else None
    if broken is not None:
        return [broken]
    written = _front_matter(lines, end)
    return [
        f"front matter {key}: {written[key]} where the draft says {drafted.get(key, '(nothing)')}"
        for key in written
        if key != "title" and written[key] != drafted.get(key)
    ]


def _front_matter_problem(lines: list[Line], end: int | None) -> str | None:
    """Why the article reader (drafter.markdown_parse) does not take the file's front matter
    as the draft had it: an indented opening line, no closing line (its lines are then read
    as the article, and their numbers fail as untraceable anchors), or a closing line deleted
    and a '---' rule further down the article closing it instead (the headline, dek and score
    above the rule were each reported as a front matter key)."""
    if lines and not opens_front_matter(lines) and lines[0].text.strip() == "---":
        return (
            "line 1 ('---' indented) does not open front matter, which starts with '---' at "
            "the start of the line: the front matter is read and checked as article text"
        )
    if opens_front_matter(lines) and end is None:
        return (
            "the front matter opened on line 1 is never closed by a '---' line: its lines are "
            "read and checked as article text; put the closing line back"
        )
    if end is None:
        return None
    # the first line that is no YAML (no "key:", list item, comment, indented or blank line)
    prose = next((line for line in lines[1:end] if not _YAML_LINE.match(line.text)), None)
    if prose is None:
        return None
    return (
        f"the front matter opened on line 1 holds article text from line {prose.number} "
        f"({one_line(prose.text, 60)!r}): its closing '---' line is missing before it, and "
        f"line {lines[end].number} ({lines[end].text.strip()!r}) closes it; put the closing "
        "line back"
    )


_YAML_LINE = re.compile(r"\s*$|[A-Za-z_][\w.-]*[ \t]*:(?:\s|$)|[ \t]|- |#|\.\.\.$|---$")


def _front_matter(lines: list[Line], end: int | None = None) -> dict[str, str]:
    """The front matter's "key: value" lines, its lines and fences as the article reader
    takes them (a '...' line closes it too; only "\\r\\n", "\\r" and "\\n" end a line);
    `end`: front_matter_end(lines), when the caller has it."""
    end = front_matter_end(lines) if end is None else end
    if end is None:
        return {}
    values: dict[str, str] = {}
    for line in lines[1:end]:
        if not line.text.strip():
            continue  # YAML allows blank lines: no key an editor changed
        key, _, value = line.text.partition(":")
        values[key.strip()] = value.strip()
    return values


def _marker_problems(
    markers: list[int],
    cites: list[str],
    cites_from: str,
    numbers: SourceNumbers,
    known: set[int],
) -> list[str]:
    """Source markers [n] that name no source, or not the sources of the paragraph's facts."""
    unknown = [n for n in markers if n not in known]
    if unknown:
        shown = "".join(f"[{n}]" for n in unknown)
        return [f"source marker {shown} names no entry of the Sources list"]
    expected = numbers.of(cites)
    if cites_from == "aligned" and markers and markers != expected:
        said = "".join(f"[{n}]" for n in markers)
        right = "".join(f"[{n}]" for n in expected) or "none"
        return [f"source markers {said} are not the sources of the facts it cites ({right})"]
    return []


def _where(paragraph: ParagraphReport) -> str:
    """section:line in draft.md (section alone for draft.json)."""
    return paragraph.section + (f":{paragraph.line}" if paragraph.line else "")


def _checked_as(kind: str, cites_from: str) -> str:
    """How a paragraph of draft.md is checked: as the draft.json paragraph it was aligned to,
    a table row or the score's sentence as a summary, a NEEDS EDITOR block's text of the last
    attempt as a fact (its reason line, aligned to nothing, is a note)."""
    if kind in ("table", "computed"):
        return "summary"
    if kind == "headline":
        return "fact"
    if kind == "needs_editor":
        return "fact" if cites_from == "aligned" else "editor"
    return kind


def human_report(report: VerifyReport, *, every: bool = False) -> str:
    """The table a reviewer reads: section, anchor, status, fact and its source URL; the
    anchors to look at (not verified by a cited fact) unless `every`."""
    # fitted to a terminal; piped or redirected, every cell whole (for grep and diff)
    width = max(60, shutil.get_terminal_size().columns) if sys.stdout.isatty() else None
    rows = []
    for paragraph in report.paragraphs:
        for anchor in paragraph.anchors:
            if not every and anchor.status in ("verified", "background"):
                continue
            fact = report.facts.get(anchor.fact_id or "")
            where = _where(paragraph)
            rows.append(
                (
                    where,
                    one_line(anchor.text, 60),
                    _MARKS[anchor.status],
                    anchor.fact_id or "-",
                    (fact.source_url if fact else None) or "-",
                )
            )
    counts = report.counts
    lines = [f"{report.nct_id}: checked {report.checked} ({one_line(report.path)})"]
    if rows:
        lines.append(
            text_table(("SECTION", "ANCHOR", "STATUS", "FACT", "SOURCE URL"), rows, width=width)
        )
    failing = report.failing()
    cut = 200 if width else None  # whole when piped
    for paragraph, anchor in failing[:20]:
        lines.append(
            f"  {_MARKS[anchor.status]}: {one_line(anchor.text, 60)!r} in "
            f"{_where(paragraph)}: {one_line(anchor.reason, cut)}"
        )
    if len(failing) > 20:
        lines.append(f"  … and {len(failing) - 20} more (--json lists all)")
    for paragraph in report.paragraphs:
        for problem in paragraph.problems:
            lines.append(f"  PROBLEM in {_where(paragraph)}: {one_line(problem, cut)}")
    for problem in report.problems:
        lines.append(f"  PROBLEM: {one_line(problem, cut)}")
    by_status = counts.by_status
    summary = ", ".join(f"{by_status[s]} {_MARKS[s]}" for s in by_status if by_status[s])
    lines.append(
        f"{counts.anchors} anchors: {summary or 'none'}; coverage {counts.anchor_coverage:.2f}, "
        f"citation precision {counts.citation_precision:.2f}, recall {counts.citation_recall:.2f}"
    )
    for heading in report.unaligned_headings:
        lines.append(f"  heading not in draft.json (checked without citations): {heading!r}")
    for key in report.missing_sections:
        lines.append(f"  section of draft.json missing from draft.md: {key}")
    if report.needs_editor:
        lines.append(f"  needs an editor: {', '.join(report.needs_editor)}")
    problems = len(report.problems) + sum(len(p.problems) for p in report.paragraphs)
    lines.append(
        "not checked, read them: claims without a number, date, id, quotation or name, and "
        "negation ('met' and 'did not meet' check the same)"
    )
    if failing or problems:
        lines.append(
            f"FAILED: {len(failing)} anchor{'s' * (len(failing) != 1)} "
            f"{'/'.join(sorted(_MARKS[s] for s in FAILING))}, "
            f"{problems} problem{'s' * (problems != 1)}"
        )
    else:
        lines.append("passed: no anchor contradicts its sources or lacks one")
    return "\n".join(lines) + "\n"
