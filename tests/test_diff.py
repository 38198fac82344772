"""`drafter diff`: two drafts word by word, two evidence bundles fact by fact, a draft's evidence
against the offline snapshot (stale paragraphs), and every bad input as exit 2 and one line.

One offline draft of the reference trial is made per session (from the shared reference
bundle) and copied where a test edits it; each refetch builds the bundle once."""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from drafter import bundled
from drafter.assessment import assess
from drafter.bundle import Bundle
from drafter.claims import ClaimsStore
from drafter.cli import main
from drafter.commands.diff import draft_text, original_query
from drafter.diff import (
    CONTEXT,
    MAX_WORD_DIFF_WORK,
    citations,
    compare_bundles,
    compare_drafts,
    word_hunks,
)
from drafter.draft import draft_trial
from drafter.draft_files import load_document
from drafter.draft_markdown import match_texts
from drafter.draft_model import CitedParagraph, Draft, SourceNumbers
from drafter.edited_draft import ArticleDraft, article_draft
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.render import render_markdown
from drafter.sources.http import HttpClient
from drafter.terminal import json_text
from drafter.writers.offline import OfflineWriter
from tests.conftest import SNAPSHOT_DIR, fast_settings

NCT = "NCT05591222"
ENROLLMENT = f"ctgov:{NCT}:enrollment"
ARCHETYPE = f"classify:{NCT}:archetype"


@pytest.fixture(scope="session")
def drafted(
    tmp_path_factory: pytest.TempPathFactory, reference_bundle: Bundle
) -> tuple[Path, Draft]:
    """The offline draft of the reference trial as `drafter draft` writes it (draft.json and
    evidence.json in OUT/NCT), made once; tests copy it before changing anything."""
    draft = draft_trial(reference_bundle, OfflineWriter())
    folder = tmp_path_factory.mktemp("drafted") / NCT
    folder.mkdir()
    for name, model in (("draft.json", draft), ("evidence.json", reference_bundle)):
        (folder / name).write_text(json_text(model.model_dump(mode="json")) + "\n")
    return folder, draft


def copy_of(folder: Path, tmp_path: Path, name: str = "copy") -> Path:
    target = tmp_path / name / NCT
    shutil.copytree(folder, target)
    return target


def edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))


def diff(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main(["diff", *(str(a) for a in argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def section(document: dict[str, Any], key: str) -> dict[str, Any]:
    return next(s for s in document["sections"] if s["key"] == key)


# --- two drafts ----------------------------------------------------------------------------------


def _edit_draft(document: dict[str, Any]) -> None:
    """An editor's pass: one sentence reworded, a paragraph added on top of a section, the
    last paragraph of another dropped, the headline changed."""
    document["headline"] = document["headline"].replace("terminated", "stopped early")
    tried = section(document, "what_was_tried")["paragraphs"][1]
    assert tried["text"].startswith("It enrolled 72 participants")
    tried["text"] = tried["text"].replace(
        "It enrolled 72 participants", "It enrolled just 72 people"
    )
    new = {"text": "A new opening question.", "cites": [], "kind": "editor", "grade": "speculative"}
    section(document, "open_questions")["paragraphs"].insert(0, new)
    section(document, "prevention")["paragraphs"].pop()


def test_two_drafts_report_word_changes_per_section(
    drafted: tuple[Path, Draft], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = drafted
    edited = copy_of(folder, tmp_path)
    edit_json(edited / "draft.json", _edit_draft)

    code, out, err = diff(capsys, folder, edited / "draft.json", "--json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert report["kind"] == "drafts" and report["nct_id"] == NCT
    changed = {part["key"]: part for part in report["changed"]}
    assert set(changed) == {"headline", "what_was_tried", "open_questions", "prevention"}
    assert {"dek", "mrs", "biological_hypothesis", "what_actually_happened"} <= set(
        report["unchanged"]
    )
    [reworded] = changed["what_was_tried"]["paragraphs"]
    assert (reworded["change"], reworded["a"], reworded["b"]) == ("edited", 2, 2)
    [hunk] = reworded["hunks"]
    assert [(s["op"], s["text"]) for s in hunk["segments"]] == [
        ("equal", "It enrolled"),
        ("insert", "just"),
        ("equal", "72"),
        ("delete", "participants"),
        ("insert", "people"),
        ("equal", "(actual). It started on"),
    ]
    assert hunk["at_start"] and not hunk["at_end"]
    # the inserted paragraph is one addition: the others are aligned, not all "edited"
    [added] = changed["open_questions"]["paragraphs"]
    assert (added["change"], added["b"], added["text"]) == ("added", 1, "A new opening question.")
    [removed] = changed["prevention"]["paragraphs"]
    assert removed["change"] == "removed" and removed["a"] == 3 and removed["text"]

    code, out, _ = diff(capsys, folder, edited)
    assert code == 1
    assert "what_was_tried — What was tried: edited" in out
    assert (
        "¶2: It enrolled {+just+} 72 [-participants-] {+people+} (actual). It started on …" in out
    )
    assert "¶1 added: “A new opening question.”" in out
    assert "[-terminated-] {+stopped early+}" in out
    assert out.rstrip().endswith("4 of 13 parts changed.")


def test_the_same_draft_twice_is_no_difference(
    drafted: tuple[Path, Draft], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = drafted
    code, out, _ = diff(capsys, folder, folder / "draft.json")
    assert code == 0 and out.rstrip().endswith("No differences.")


def test_whitespace_is_no_change_but_a_changed_citation_is(drafted: tuple[Path, Draft]) -> None:
    _, draft = drafted
    sections = [s.model_copy(deep=True) for s in draft.sections]
    tried = next(s for s in sections if s.key == "what_was_tried")
    first = tried.paragraphs[0]
    tried.paragraphs[0] = first.model_copy(update={"text": first.text.replace(" ", "  \n")})
    second = tried.paragraphs[1]
    tried.paragraphs[1] = second.model_copy(update={"cites": [*second.cites[1:], ARCHETYPE]})
    edited = draft.model_copy(update={"sections": sections, "dek": draft.dek + "  "})
    report = compare_drafts(draft, edited, "a", "b")
    [part] = report.changed
    [paragraph] = part.paragraphs
    assert part.key == "what_was_tried" and paragraph.a == 2 and paragraph.hunks == []
    assert paragraph.cites_added == [ARCHETYPE]
    assert paragraph.cites_removed == [second.cites[0]]


def test_a_hunk_keeps_a_little_context_on_each_side() -> None:
    before = [f"w{i}" for i in range(30)]
    after = [*before[:15], "new", *before[16:]]
    [hunk] = word_hunks(before, after)
    equal = [s.text.split() for s in hunk.segments if s.op == "equal"]
    assert equal == [before[15 - CONTEXT : 15], before[16 : 16 + CONTEXT]]
    assert not hunk.at_start and not hunk.at_end
    far_apart = word_hunks(before, ["x", *before[1:29], "y"])
    assert len(far_apart) == 2 and far_apart[0].at_start and far_apart[1].at_end


def test_a_paragraph_inserted_before_an_edited_one_leaves_the_edit_a_word_change(
    drafted: tuple[Path, Draft],
) -> None:
    """72 → 73 in What was tried ¶2, with a new paragraph inserted before it: the new one is
    an addition and the edited one is diffed against its original, not against the new one."""
    _, draft = drafted
    sections = [s.model_copy(deep=True) for s in draft.sections]
    tried = next(s for s in sections if s.key == "what_was_tried")
    enrolled = tried.paragraphs[1]
    assert enrolled.text.startswith("It enrolled 72 participants (actual).")
    tried.paragraphs[1] = enrolled.model_copy(update={"text": enrolled.text.replace("72", "73")})
    new = "Amgen took the trial over when it bought Horizon Therapeutics."
    tried.paragraphs.insert(1, CitedParagraph(text=new, cites=[], kind="fact", grade="inferred"))
    report = compare_drafts(draft, draft.model_copy(update={"sections": sections}), "a", "b")
    [part] = report.changed
    added, edited = part.paragraphs
    assert (added.change, added.a, added.b, added.text) == ("added", None, 2, new)
    assert (edited.change, edited.a, edited.b) == ("edited", 2, 3)
    [hunk] = edited.hunks
    assert [(s.op, s.text) for s in hunk.segments] == [
        ("equal", "It enrolled"),
        ("delete", "72"),
        ("insert", "73"),
        ("equal", "participants (actual). It started"),
    ]
    assert "  ¶2→¶3: It enrolled [-72-] {+73+} participants (actual). It started …" in draft_text(
        report
    )


def test_a_paragraph_moved_is_reported_as_moved_not_as_unchanged(
    drafted: tuple[Path, Draft],
) -> None:
    _, draft = drafted
    sections = [s.model_copy(deep=True) for s in draft.sections]
    questions = next(s for s in sections if s.key == "open_questions")
    questions.paragraphs.insert(0, questions.paragraphs.pop(3))
    report = compare_drafts(draft, draft.model_copy(update={"sections": sections}), "a", "b")
    [part] = report.changed
    [moved] = part.paragraphs
    assert (moved.change, moved.a, moved.b, moved.hunks) == ("moved", 4, 1, [])
    assert "  ¶4→¶1 moved\n" in draft_text(report)


@pytest.fixture(scope="session")
def drafted_later(tmp_path_factory: pytest.TempPathFactory) -> Draft:
    """The offline draft of the reference trial as of 2027-06-30 (the claims table seeded as
    for `drafted`): the score's temporal recency has decayed."""
    tmp = tmp_path_factory.mktemp("later")
    with (
        HttpClient(fast_settings(tmp, offline=True)) as client,
        ClaimsStore(tmp / "claims.sqlite3", seed=bundled.SEED_CLAIMS) as store,
    ):
        evidence = build_bundle(client, EvidenceQuery(nct_id=NCT, as_of=date(2027, 6, 30)))
        return draft_trial(assess(evidence, store, client=client), OfflineWriter())


def test_the_computed_parts_are_compared_line_by_line(
    drafted: tuple[Path, Draft], drafted_later: Draft
) -> None:
    """Two as-of dates: the score table and the Sources changed, and say so word by word as
    draft.md prints them (the related claims show no score offline, so they stay as they were)."""
    _, draft = drafted
    report = compare_drafts(draft, drafted_later, "2026-05-20", "2027-06-30")
    changed = {part.key: part for part in report.changed}
    assert {"mrs", "sources"} <= set(changed)
    assert {"headline", "what_was_tried", "open_questions"} <= set(report.unchanged)
    text = draft_text(report)
    assert "  ¶4: Temporal recency | [-4.3-] {+3.1+} / 15\n" in text
    assert "  ¶7: Mechanism Risk Score | [-33-] {+32+} / 100 (YELLOW)\n" in text
    assert "  ¶9: … parameters mrs-v1, as of [-2026-05-20-] {+2027-06-30+}\n" in text
    [row, total] = changed["mrs"].paragraphs
    assert (row.a, row.b, total.a, total.b) == (4, 4, 7, 7)


def test_the_most_informative_claim_a_source_and_a_related_claim_are_text_too(
    drafted: tuple[Path, Draft],
) -> None:
    _, draft = drafted
    assert draft.mrs is not None and draft.mrs.most_informative is not None
    mrs = draft.mrs.model_copy(update={"most_informative": "Another claim on file"})
    sources = [s.model_copy() for s in draft.sources]
    sources[0] = sources[0].model_copy(update={"request": "GET ClinicalTrials.gov /studies/X"})
    related = [g.model_copy(deep=True) for g in draft.related]
    claim = next(g for g in related if g.claims).claims[1]
    claim.drug = "BG-99999"
    changed = draft.model_copy(update={"mrs": mrs, "sources": sources, "related": related})
    text = draft_text(compare_drafts(draft, changed, "a", "b"))
    assert (
        "  ¶8: … informative claim on file: [-“Daxdilimab in discoid lupus: Amgen walks away "
        "from the ILT7 chair”.-] {+“Another claim on file”.+} The score is a …\n" in text
    )
    assert "  ¶1: ClinicalTrials.gov — GET ClinicalTrials.gov [-/studies/NCT05591222-] " in text
    assert (
        "  ¶3: … a saturated landscape — [-BG-60366-] {+BG-99999+} / EGFR / EGFR-mutant …" in text
    )
    assert text.rstrip().endswith("3 of 13 parts changed.")


# --- an editor's draft.md ------------------------------------------------------------------------


def _with_markdown(folder: Path, tmp_path: Path, name: str, edit: Callable[[str], str]) -> Path:
    """A copy of the drafted directory with its draft.md as `drafter draft` writes it, then
    edited."""
    copy = copy_of(folder, tmp_path, name)
    draft = Draft.model_validate_json((copy / "draft.json").read_text())
    (copy / "draft.md").write_text(edit(render_markdown(draft)))
    return copy


def _seventy_three(markdown: str) -> str:
    """The README's example: an editor spells a number out and corrects a date."""
    assert markdown.count("enrolled 72 participants") == 2  # the dek and What was tried
    edited = markdown.replace("enrolled 72 participants", "enrolled seventy-three participants")
    return edited.replace("started on 12 October 2022", "started on 13 October 2022")


def test_the_draft_md_an_editor_changed_is_what_diff_compares(
    drafted: tuple[Path, Draft], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = drafted
    original = _with_markdown(folder, tmp_path, "original", lambda text: text)
    edited = _with_markdown(folder, tmp_path, "edited", _seventy_three)

    code, out, err = diff(capsys, original, edited)
    assert (code, err) == (1, "")
    assert "  read from: draft.json → draft.md (edited)\n" in out
    assert "what_was_tried — What was tried: edited\n" in out
    assert (
        "  ¶2: It enrolled [-72-] {+seventy-three+} participants (actual). It started on "
        "[-12-] {+13+} October 2022. Primary completion …\n" in out
    )
    assert "  ¶1: … Lupus Erythematosus that enrolled [-72-] {+seventy-three+} participants" in out
    assert out.rstrip().endswith("2 of 13 parts changed.")

    # the files named: each draft.md against the draft.json beside it
    code, out, _ = diff(capsys, original / "draft.md", edited / "draft.md", "--json")
    report = json.loads(out)
    assert (code, report["a_read_from"], report["b_read_from"]) == (
        1,
        "draft.md",
        "draft.md (edited)",
    )
    assert [p["key"] for p in report["changed"]] == ["dek", "what_was_tried"]
    # an explicit draft.json is that file, whatever draft.md says
    code, out, _ = diff(capsys, edited / "draft.json", original)
    assert code == 0 and "  read from: draft.json → draft.json\n" in out
    assert out.rstrip().endswith("No differences.")


def test_an_edited_paragraph_keeps_its_citations(
    drafted: tuple[Path, Draft], tmp_path: Path
) -> None:
    folder, draft = drafted
    edited = _with_markdown(folder, tmp_path, "edited", _seventy_three)
    article = load_document(edited)
    assert isinstance(article, ArticleDraft) and article.read_from == "draft.md (edited)"
    tried = next(s for s in article.sections if s.key == "what_was_tried")
    original = next(s for s in draft.sections if s.key == "what_was_tried")
    assert tried.paragraphs[1].text.startswith("It enrolled seventy-three participants")
    assert [p.cites for p in tried.paragraphs] == [p.cites for p in original.paragraphs]
    assert article.headline_cites == draft.headline_cites
    # an unedited draft.md reads back as its draft.json: every part the same
    assert compare_drafts(draft, article_draft(draft), "a", "b").changed == []
    assert not compare_drafts(draft, load_document(folder), "a", "b").differs


def _rework(markdown: str) -> str:
    """An editor's bigger pass: a new paragraph with source markers, a section heading
    deleted (its paragraphs join the section above), a section of their own, the score table
    and a related claim changed, a conflict note deleted."""
    markdown = markdown.replace(
        "\n## What was tried\n\n",
        "\n## What was tried\n\nAmgen took the trial over with Horizon in 2023. [1]\n\n",
    )
    markdown = markdown.replace("\n## Failure mechanism, best guess\n", "\n")
    markdown = markdown.replace(
        "| Temporal recency | 4.3 / 15 |", "| Temporal recency | 4.4 / 15 |"
    )
    markdown = markdown.replace(
        "Homozygous familial hypercholesterolemia — MRS not scored offline",
        "Homozygous familial hypercholesterolaemia — MRS not scored offline",
    )
    start = markdown.index("> - lead sponsor:")
    markdown = markdown[:start] + markdown[markdown.index("> - primary completion:") :]
    return markdown + "\n## Editor's notes\n\nCheck the 2023 acquisition date with Amgen.\n"


def test_an_editors_rework_of_draft_md_part_by_part(
    drafted: tuple[Path, Draft], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, draft = drafted
    edited = _with_markdown(folder, tmp_path, "edited", _rework)
    code, out, err = diff(capsys, folder, edited, "--json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    changed = {part["key"]: part for part in report["changed"]}
    assert set(changed) == {
        "conflicts",
        "mrs",
        "what_was_tried",
        "what_actually_happened",
        "failure_mechanism",
        "related_claims",
        "Editor's notes",
    }
    [new] = changed["what_was_tried"]["paragraphs"]
    assert (new["change"], new["b"]) == ("added", 1)
    assert new["text"] == "Amgen took the trial over with Horizon in 2023."
    assert changed["failure_mechanism"]["change"] == "removed"
    pooled = changed["what_actually_happened"]["paragraphs"]
    assert [p["change"] for p in pooled] == ["added"] * 4  # Failure mechanism's, under it now
    [note] = changed["conflicts"]["paragraphs"]
    assert note["change"] == "removed" and note["text"].startswith("lead sponsor:")
    assert changed["Editor's notes"]["change"] == "added"
    [[row]] = [p["hunks"] for p in changed["mrs"]["paragraphs"]]
    assert [(s["op"], s["text"]) for s in row["segments"]] == [
        ("equal", "Temporal recency |"),
        ("delete", "4.3"),
        ("insert", "4.4"),
        ("equal", "/ 15"),
    ]
    # the new paragraph cites the facts of the source its marker names
    article = load_document(edited)
    assert isinstance(article, Draft)
    tried = next(s for s in article.sections if s.key == "what_was_tried")
    assert tried.paragraphs[0].cites == SourceNumbers(draft).facts_within([1])
    assert f"ctgov:{NCT}:nct_id" in tried.paragraphs[0].cites
    assert len(draft.conflicts) - 1 == len(article.conflicts)


def test_a_changed_grade_or_an_editor_note_made_prose_is_a_change(
    drafted: tuple[Path, Draft], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = drafted
    note = "> **EDITOR: write design choices that would have made the readout more informative"

    def regrade(markdown: str) -> str:
        assert markdown.count(note) == 1
        markdown = markdown.replace("_(documented)_", "_(inferred)_", 1)
        start = markdown.index(note)
        end = markdown.index("**", start + len(note))
        return markdown[:start] + markdown[start + 4 : end] + markdown[end + 2 :]

    edited = _with_markdown(folder, tmp_path, "edited", regrade)
    code, out, _ = diff(capsys, folder, edited)
    assert code == 1
    assert "What was tried: edited\n  ¶1 marked: fact (documented) → fact (inferred)\n" in out
    assert "  ¶3 marked: editor note → fact (speculative)\n" in out
    assert out.rstrip().endswith("2 of 13 parts changed.")


def test_an_unedited_draft_md_in_the_directory_is_read_as_draft_json(
    drafted: tuple[Path, Draft], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = drafted
    original = _with_markdown(folder, tmp_path, "original", lambda text: text)
    code, out, _ = diff(capsys, folder, original)
    assert code == 0 and "  read from: draft.json → draft.json\n" in out
    code, out, _ = diff(capsys, original / "draft.md", folder)
    assert code == 0 and "  read from: draft.md → draft.json\n" in out


def test_past_the_work_bounds_paragraphs_pair_in_order_and_words_replace_whole() -> None:
    """An edited draft.md is anyone's file: difflib's quadratic worst case is bounded."""
    assert match_texts(["a b c d", "w x y"], ["w x y z", "a b c e"]) == [1, 0]
    assert match_texts(["a b c d", "w x y"], ["w x y z", "a b c e"], max_work=0) == [0, 1]
    assert match_texts(["a b", "c d"], ["c d", "e f"], max_work=0) == [1, 0]  # identical first
    long = [f"w{i % 7}" for i in range(3000)]  # few distinct words: difflib's slowest case
    assert len(long) ** 2 > MAX_WORD_DIFF_WORK
    changed = [*long[:1500], "new", *long[1501:]]
    [hunk] = word_hunks(long, changed)
    assert [(s.op, s.text) for s in hunk.segments] == [
        ("equal", " ".join(long[1496:1500])),
        ("delete", long[1500]),
        ("insert", "new"),
        ("equal", " ".join(long[1501:1505])),
    ]


def test_a_hostile_draft_md_is_compared_in_bounded_time(
    drafted: tuple[Path, Draft], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """1,500 paragraphs of the same few words on each side: measured pair by pair, minutes."""
    folder, _ = drafted
    vocabulary = [f"w{i}" for i in range(12)]

    def flood(seed: int) -> Callable[[str], str]:
        chosen = random.Random(seed)
        paragraphs = [" ".join(chosen.choices(vocabulary, k=60)) for _ in range(1500)]
        heading = "\n## What was tried\n\n"
        return lambda text: text.replace(heading, heading + "\n\n".join(paragraphs) + "\n\n")

    first = _with_markdown(folder, tmp_path, "first", flood(1))
    second = _with_markdown(folder, tmp_path, "second", flood(2))
    started = time.monotonic()
    code, out, err = diff(capsys, first, second)
    assert (code, err) == (1, "") and out.rstrip().endswith("1 of 13 parts changed.")
    assert time.monotonic() - started < 60


# --- two evidence bundles ------------------------------------------------------------------------


def _alter_facts(document: dict[str, Any], changes: dict[str, dict[str, Any] | None]) -> None:
    """Facts changed in place (None: removed)."""
    kept = []
    for fact in document["facts"]:
        if fact["id"] in changes:
            update = changes[fact["id"]]
            if update is None:
                continue
            fact.update(update)
        kept.append(fact)
    document["facts"] = kept


EVIDENCE_EDITS: dict[str, dict[str, Any] | None] = {
    ENROLLMENT: {"value": 99, "qualifier": "ESTIMATED"},
    f"ctgov:{NCT}:why_stopped": {"value": "Slow enrollment."},
    f"ctgov:{NCT}:start_date": {"value": "2022-10", "precision": "month"},
    f"ctgov:{NCT}:overall_status": {"value": "COMPLETED"},
    f"ctgov:{NCT}:acronym": None,
    ARCHETYPE: {"value": "efficacy"},
}


def test_two_bundles_report_changed_facts_key_fields_first(
    drafted: tuple[Path, Draft], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = drafted
    edited = copy_of(folder, tmp_path)

    def alter(document: dict[str, Any]) -> None:
        _alter_facts(document, EVIDENCE_EDITS)
        document["sources"][0]["sha256"] = "0" * 64

    edit_json(edited / "evidence.json", alter)
    code, out, err = diff(capsys, folder / "evidence.json", edited / "evidence.json", "--json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    assert report["kind"] == "evidence"
    by_id = {c["id"]: c for c in report["facts"]}
    enrollment = by_id[ENROLLMENT]
    assert enrollment["fields"] == ["value", "qualifier"]
    assert (enrollment["before"]["value"], enrollment["before"]["qualifier"]) == (72, "ACTUAL")
    assert (enrollment["after"]["value"], enrollment["after"]["qualifier"]) == (99, "ESTIMATED")
    assert by_id[f"ctgov:{NCT}:start_date"]["fields"] == ["value", "precision"]
    assert by_id[f"ctgov:{NCT}:acronym"]["change"] == "removed"
    # key fields first, in their order, then the other source facts, then the derived ones
    assert [(c["id"].rsplit(":", 1)[1], c["group"]) for c in report["facts"]] == [
        ("overall_status", "key"),
        ("why_stopped", "key"),
        ("enrollment", "key"),
        ("start_date", "key"),
        ("acronym", "source"),
        ("archetype", "derived"),
    ]
    assert f"ctgov:{NCT}:primary_completion_date" in report["key_unchanged"]
    [record] = report["records"]
    assert record["change"] == "changed" and record["after"] == "0" * 64
    assert ENROLLMENT in record["facts"]

    code, out, _ = diff(capsys, folder / "evidence.json", edited / "evidence.json")
    assert code == 1
    assert f"~ Enrollment [{ENROLLMENT}]: 72 (ACTUAL) → 99 (ESTIMATED)" in out
    assert out.index("Trial record") < out.index("Other source facts") < out.index("Derived")
    assert out.rstrip().endswith("6 facts and 1 record differ.")


def test_identical_bundles_differ_in_nothing(
    drafted: tuple[Path, Draft], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = drafted
    code, out, _ = diff(capsys, folder / "evidence.json", folder / "evidence.json")
    assert code == 0 and "unchanged: overall_status, why_stopped, enrollment" in out


def test_a_value_of_another_type_is_a_change(reference_bundle: Bundle) -> None:
    length = "reference:ENSG00000239961:protein_length_aa"
    assert reference_bundle.fact_value(length) == 499
    document = reference_bundle.model_dump(mode="json")
    _alter_facts(document, {length: {"value": 499.0}})
    report = compare_bundles(reference_bundle, Bundle.model_validate(document), "a", "b")
    assert [(c.id, c.fields) for c in report.facts] == [(length, ["value"])]


# --- refetch -------------------------------------------------------------------------------------


def test_a_draft_whose_evidence_is_unchanged_is_not_stale(
    drafted: tuple[Path, Draft], capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = drafted
    code, out, err = diff(capsys, folder, "--refetch", "--offline")
    assert (code, err) == (0, "")
    assert f"{NCT}: the evidence of the draft in {folder} (as of 2026-05-20)" in out
    assert out.rstrip().endswith("No fact the draft cites changed.")
    # the rebuilt evidence is the saved one: no fact, derived or not, and no answer differs
    assert "facts (" not in out and "Other source facts" not in out and "Source records" not in out


def test_a_changed_cited_fact_lists_the_stale_paragraphs(
    drafted: tuple[Path, Draft], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, draft = drafted
    cited = {c for s in draft.sections for p in s.paragraphs for c in p.cites}
    uncited = next(
        f for f in fact_ids(folder) if f.startswith("ctgov:") and f not in citations(draft)
    )
    claim_fact = next(c for c in cited if c.startswith("claims:") and c.endswith(":drug"))
    saved = copy_of(folder, tmp_path)
    edit_json(
        saved / "evidence.json",
        lambda d: _alter_facts(
            d,
            {
                ENROLLMENT: {"value": 99, "qualifier": "ESTIMATED"},  # cited source fact
                ARCHETYPE: {"value": "efficacy"},  # cited derived fact, value changed
                claim_fact: None,  # cited derived fact the refetch adds: reported, not stale
                uncited: {"value": "something else"},  # not cited: reported, not stale
            },
        ),
    )
    code, out, err = diff(capsys, saved, "--refetch", "--offline", "--json")
    assert (code, err) == (1, "")
    report = json.loads(out)
    changes = {c["id"]: c for c in report["evidence"]["facts"]}
    assert set(changes) == {ENROLLMENT, ARCHETYPE, claim_fact, uncited}
    assert {i for i, c in changes.items() if c["stale"]} == {ENROLLMENT, ARCHETYPE}
    assert changes[claim_fact]["change"] == "added" and changes[claim_fact]["cited_by"]
    assert changes[uncited]["cited_by"] == []
    enrollment = changes[ENROLLMENT]
    assert (enrollment["before"]["value"], enrollment["after"]["value"]) == (99, 72)
    places = {(p["section"], p["paragraph"]) for p in enrollment["cited_by"]}
    assert {("headline", None), ("what_was_tried", 2)} <= places
    stale = {(p["section"], p["paragraph"]): p for p in report["stale"]}
    assert stale[("what_was_tried", 2)]["facts"] == [ENROLLMENT]
    assert stale[("what_was_tried", 2)]["excerpt"].startswith("It enrolled 72 participants")
    assert set(stale[("headline", None)]["facts"]) == {ENROLLMENT, ARCHETYPE}
    assert report["evidence"]["records"] == []  # the answers themselves did not change

    code, out, _ = diff(capsys, saved, "--refetch", "--offline")
    assert code == 1
    assert f"~ Enrollment [{ENROLLMENT}]: 99 (ESTIMATED) → 72 (ACTUAL)   STALE" in out
    assert "  what_was_tried ¶2 “It enrolled 72 participants (actual). It started on …”" in out
    assert out.rstrip().endswith("2 cited facts changed.")


def test_the_refetch_lists_the_places_of_the_edited_draft_md(
    drafted: tuple[Path, Draft], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, _ = drafted
    saved = _with_markdown(folder, tmp_path, "edited", _seventy_three)
    edit_json(saved / "evidence.json", lambda d: _alter_facts(d, {ENROLLMENT: {"value": 99}}))
    code, out, err = diff(capsys, saved, "--refetch", "--offline")
    assert (code, err) == (1, "")
    assert f"{NCT}: the evidence of the edited draft.md in {saved} (as of 2026-05-20)" in out
    assert (
        "  what_was_tried ¶2 “It enrolled seventy-three participants (actual). It started on …”"
        in out
    )
    code, out, _ = diff(capsys, saved, "--refetch", "--offline", "--json")
    assert json.loads(out)["read_from"] == "draft.md (edited)"


def test_one_stale_place_is_counted_in_the_singular(
    drafted: tuple[Path, Draft], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, draft = drafted
    purpose = f"ctgov:{NCT}:primary_purpose"
    assert [(p.section, p.paragraph) for p in citations(draft)[purpose]] == [("what_was_tried", 1)]
    saved = copy_of(folder, tmp_path)
    edit_json(saved / "evidence.json", lambda d: _alter_facts(d, {purpose: {"value": "OTHER"}}))
    code, out, _ = diff(capsys, saved, "--refetch", "--offline")
    assert code == 1
    assert "      cited by 1 place: what_was_tried ¶1\n" in out
    assert "Stale: 1 place cites a changed fact; re-check\n" in out
    assert out.rstrip().endswith("1 cited fact changed.")
    code, out, _ = diff(capsys, saved / "evidence.json", folder / "evidence.json")
    assert code == 1 and out.rstrip().endswith("1 fact and 0 records differ.")


def fact_ids(folder: Path) -> list[str]:
    return [f["id"] for f in json.loads((folder / "evidence.json").read_text())["facts"]]


def test_a_changed_source_answer_is_noted_with_its_facts(
    drafted: tuple[Path, Draft],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, _ = drafted
    snapshot = tmp_path / "snapshot"
    shutil.copytree(SNAPSHOT_DIR, snapshot)
    study = snapshot / "ctgov" / f"study_{NCT}.json"
    edit_json(
        study,
        lambda d: d["protocolSection"]["statusModule"].update(
            {"whyStopped": "Futility at the interim analysis."}
        ),
    )
    monkeypatch.setenv("DRAFTER_SNAPSHOT_DIR", str(snapshot))
    code, out, _ = diff(capsys, folder, "--refetch", "--offline", "--json")
    report = json.loads(out)
    assert code == 1
    [ctgov] = [r for r in report["evidence"]["records"] if r["source"] == "ClinicalTrials.gov"]
    assert ctgov["change"] == "changed" and ENROLLMENT in ctgov["facts"]
    why = next(c for c in report["evidence"]["facts"] if c["id"] == f"ctgov:{NCT}:why_stopped")
    assert why["stale"] and why["after"]["value"] == "Futility at the interim analysis."
    assert ENROLLMENT not in {c["id"] for c in report["evidence"]["facts"]}


def test_an_unavailable_source_during_the_refetch_is_exit_3(
    drafted: tuple[Path, Draft],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, _ = drafted
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("DRAFTER_SNAPSHOT_DIR", str(tmp_path / "empty"))
    code, out, err = diff(capsys, folder, "--refetch", "--offline")
    assert code == 3 and out == "" and err.count("\n") == 1 and "offline" in err


def test_the_refetch_asks_for_the_target_and_disease_that_were_given(
    reference_bundle: Bundle,
) -> None:
    assert reference_bundle.target is not None and reference_bundle.disease is not None
    plain = original_query(reference_bundle, date(2026, 6, 1))
    assert (plain.nct_id, plain.target, plain.disease) == (NCT, None, None)
    given = reference_bundle.model_copy(
        update={
            "target": reference_bundle.target.model_copy(update={"resolved_by": "--target"}),
            "disease": reference_bundle.disease.model_copy(
                update={"resolved_by": "--disease via Open Targets mapIds", "query": "DLE"}
            ),
        }
    )
    query = original_query(given, date(2026, 6, 1))
    assert (query.target, query.disease) == (reference_bundle.target.ensembl_id, "DLE")


# --- bad input -----------------------------------------------------------------------------------


def _other_trial(folder: Path) -> Path:
    edit_json(folder / "draft.json", lambda d: d.update({"nct_id": "NCT00000001"}))
    return folder


BAD_INPUTS: dict[str, tuple[Callable[[Path, Path], list[str | Path]], str]] = {
    "missing path": (lambda f, t: [f, t / "nowhere"], "cannot read"),
    "invalid JSON": (lambda f, t: [f, _write(t / "draft.json", "{not json")], "invalid JSON"),
    "no draft.json in the directory": (lambda f, t: [f, t], "holds no draft.json"),
    "neither kind": (lambda f, t: [f, _write(t / "x.json", "[]")], "neither a draft.json"),
    "invalid draft": (
        lambda f, t: [f, _write(t / "d.json", '{"headline": 1, "sections": []}')],
        "not a valid draft",
    ),
    "different trials": (
        lambda f, t: [f, _other_trial(copy_of(f, t))],
        "compare two files of one trial",
    ),
    "a draft and a bundle": (lambda f, t: [f, f / "evidence.json"], "compare two drafts or two"),
    "one path": (lambda f, t: [f], "compares two files"),
    "--offline without --refetch": (lambda f, t: [f, f, "--offline"], "only with --refetch"),
    "two paths with --refetch": (lambda f, t: [f, f, "--refetch"], "one draft directory"),
    "refetch of a file": (lambda f, t: [f / "draft.json", "--refetch"], "needs a draft directory"),
    "refetch without evidence": (
        lambda f, t: [_without_evidence(f, t), "--refetch", "--offline"],
        "cannot read",
    ),
    # an integer a float cannot hold: no OverflowError (400 digits) or ValueError (> 4,300)
    "an integer of 400 digits in evidence.json": (
        lambda f, t: [f / "evidence.json", _huge_value(f, t, "evidence.json", 400)],
        "(400 digits) is out of range",
    ),
    "an integer of 5,000 digits in evidence.json": (
        lambda f, t: [f / "evidence.json", _huge_value(f, t, "evidence.json", 5000)],
        "(5000 digits) is out of range",
    ),
    "an integer of 400 digits in draft.json": (
        lambda f, t: [f, _huge_value(f, t, "draft.json", 400)],
        "(400 digits) is out of range",
    ),
    "an integer of 5,000 digits in draft.json": (
        lambda f, t: [f, _huge_value(f, t, "draft.json", 5000)],
        "(5000 digits) is out of range",
    ),
    # a FIFO no one writes to would block the read forever
    "a FIFO given as draft.json": (
        lambda f, t: [f, _fifo(t / "draft.json")],
        "not a regular file (a FIFO)",
    ),
    "a FIFO given as evidence.json": (
        lambda f, t: [f / "evidence.json", _fifo(t / "evidence.json")],
        "not a regular file (a FIFO)",
    ),
    "a FIFO as the draft.json of a directory": (
        lambda f, t: [f, _fifo(t / "fifo" / "draft.json").parent],
        "not a regular file (a FIFO)",
    ),
    "a FIFO as evidence.json of a refetch": (
        lambda f, t: [_with_fifo_evidence(f, t), "--refetch", "--offline"],
        "not a regular file (a FIFO)",
    ),
    "a link to /proc/self/environ": (
        lambda f, t: [f, _link(t / "draft.json", "/proc/self/environ")],
        "under /proc: not a draft file",
    ),
    "a link to /dev/zero": (
        lambda f, t: [f / "evidence.json", _link(t / "evidence.json", "/dev/zero")],
        "under /dev: not a draft file",
    ),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _huge_value(folder: Path, tmp_path: Path, name: str, digits: int) -> Path:
    """A copy of `name` whose association score (a fact of kind score) has `digits` digits."""
    text = (folder / name).read_text()
    assert text.count('"value": 0.092,') == 1
    return _write(tmp_path / name, text.replace('"value": 0.092,', f'"value": {"9" * digits},'))


def _fifo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    return path


def _link(path: Path, target: str) -> Path:
    path.symlink_to(target)
    return path


def _with_fifo_evidence(folder: Path, tmp_path: Path) -> Path:
    copy = _without_evidence(folder, tmp_path)
    _fifo(copy / "evidence.json")
    return copy


def _without_evidence(folder: Path, tmp_path: Path) -> Path:
    copy = copy_of(folder, tmp_path, "no-evidence")
    (copy / "evidence.json").unlink()
    return copy


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_is_exit_2_and_one_line(
    case: str, drafted: tuple[Path, Draft], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments, expected = BAD_INPUTS[case]
    code, out, err = diff(capsys, *arguments(drafted[0], tmp_path))
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err, err


def test_a_huge_integer_built_in_python_is_compared_not_a_crash(reference_bundle: Bundle) -> None:
    """Read from a file such a number is refused; built in code, a fact of 400 digits is still
    valid (no float() of it overflows) and compares as any other value."""
    score = "opentargets:ENSG00000239961+discoid_lupus_erythematosus:association_score"
    document = reference_bundle.model_dump(mode="json")
    _alter_facts(document, {score: {"value": 10**400}})
    report = compare_bundles(reference_bundle, Bundle.model_validate(document), "a", "b")
    assert [(c.id, c.fields) for c in report.facts] == [(score, ["value"])]
