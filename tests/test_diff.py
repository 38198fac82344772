"""`drafter diff`: two drafts word by word, two evidence bundles fact by fact, a draft's evidence
against the offline snapshot (stale paragraphs), and every bad input as exit 2 and one line.

One offline draft of the reference trial is made per session (from the shared reference
bundle) and copied where a test edits it; each refetch builds the bundle once."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from drafter.bundle import Bundle
from drafter.cli import main
from drafter.commands.diff import original_query
from drafter.diff import CONTEXT, citations, compare_bundles, compare_drafts, word_hunks
from drafter.draft import draft_trial
from drafter.draft_model import Draft
from drafter.terminal import json_text
from drafter.writers.offline import OfflineWriter
from tests.conftest import SNAPSHOT_DIR

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
    assert out.rstrip().endswith("4 of 12 parts changed.")


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
