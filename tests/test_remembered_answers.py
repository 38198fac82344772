"""What drafting remembers between drafts answers for the draft at hand, never for the last
one: verification's compiled alias alternations (keyed by the alias set) and normalised names,
the sections' compiled fact globs, the prompt templates' hashes (of the text Jinja renders);
and verification's second name pass, which skips the aliases the first pass claimed, finds
what a pass over everything finds. (The claims table's remembered rows: test_claims_reads.py;
a batch's reused evidence: test_batch_evidence_reuse.py.) The curated facts and the name
index built from them are remembered per content of the curated file."""

from __future__ import annotations

import fnmatch
import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from drafter import bundled
from drafter.assessment import claim_facts
from drafter.bundle import Bundle
from drafter.claims import read_seed
from drafter.draft import draft_trial
from drafter.evidence.aliases import name_index
from drafter.evidence.curated import load_curated_facts
from drafter.models import PartialDate
from drafter.names import _NAME_FIELDS, NameFinder, Occupied, _compile
from drafter.prompting import PROMPTS, template_hash, templates_of
from drafter.sections import Placeholders, model_sections, select_facts
from drafter.verify import paragraphs_of_draft, verify_draft
from drafter.writers.offline import OfflineWriter


def named(finder: NameFinder, text: str) -> set[tuple[str, str, bool]]:
    return {(h.text, h.type, h.group is not None) for h in finder.find(text)}


def test_each_bundle_finds_its_own_aliases_whatever_was_built_before(
    bundle_of: Callable[[str], Bundle],
) -> None:
    # aliases each bundle has and the other lacks: VIB-7734 (NCT05591222's drug) and
    # Montanide ISA 51 (NCT00184067's), University of Southern California (its sponsor)
    text = "VIB-7734 and Montanide ISA 51, run by University of Southern California."
    daxdilimab, montanide = bundle_of("NCT05591222"), bundle_of("NCT00184067")
    first = named(NameFinder(daxdilimab.facts), text)
    other = named(NameFinder(montanide.facts), text)
    again = named(NameFinder(daxdilimab.facts), text)
    assert ("VIB-7734", "drug", True) in first
    assert ("VIB-7734", "drug", True) not in other
    assert ("Montanide ISA 51", "drug", True) in other
    assert ("Montanide ISA 51", "drug", True) not in first
    assert ("University of Southern California", "sponsor", True) in other
    assert ("University of Southern California", "sponsor", True) not in first
    assert first == again


def test_the_second_name_pass_finds_what_a_whole_pass_finds(
    bundle_of: Callable[[str], Bundle],
) -> None:
    for nct in ("NCT05591222", "NCT00184067", "NCT05540665"):
        bundle = bundle_of(nct)
        draft = draft_trial(bundle, OfflineWriter())
        finder = NameFinder([*bundle.facts, *draft.facts])
        for paragraph in paragraphs_of_draft(draft):
            text = paragraph.text
            skipping, whole = Occupied(len(text)), Occupied(len(text))
            first = finder.find(text, skipping, aliases_only=True)
            assert finder.find(text, whole, aliases_only=True) == first
            assert finder.find(text, skipping, aliases_found=True) == finder.find(text, whole)
        assert verify_draft(draft, bundle).counts.anchors > 0


def test_section_globs_select_what_fnmatch_selects(bundle_of: Callable[[str], Bundle]) -> None:
    for nct in ("NCT05591222", "NCT00184067", "NCT05540665"):
        bundle = bundle_of(nct)
        placeholders = Placeholders.of(bundle)
        for spec in model_sections():
            expected: dict[str, object] = {}
            for pattern in spec.selects:
                for glob in placeholders.expand(pattern):
                    for fact in bundle.facts:
                        if fnmatch.fnmatchcase(fact.id, glob):
                            expected.setdefault(fact.id, fact)
            assert select_facts(spec, bundle) == list(expected.values())


def test_template_hashes_are_of_the_templates_as_installed() -> None:
    for spec in model_sections():
        assert spec.template is not None
        for name in templates_of(spec.template):
            source = PROMPTS.joinpath(*name.split("/")).read_text(encoding="utf-8")
            assert template_hash(name) == hashlib.sha256(source.encode("utf-8")).hexdigest()


def test_the_name_index_follows_the_curated_file_it_was_built_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = name_index(None)
    assert name_index(None) is before  # remembered, not rebuilt
    match = before.resolve("target", "CD85g")
    assert match is not None and match.entity.name == "LILRA4"
    curated = json.loads(bundled.CURATED_FACTS.read_text(encoding="utf-8"))
    aliases = curated["facts"]["reference:ENSG00000239961:aliases"]
    aliases["value"] = [name for name in aliases["value"] if name != "CD85g"]
    edited = tmp_path / "curated_facts.json"
    edited.write_text(json.dumps(curated), encoding="utf-8")
    monkeypatch.setattr(bundled, "CURATED_FACTS", edited)
    after = name_index(None)
    assert after is not before
    assert after.resolve("target", "CD85g") is None
    assert after.resolve("target", "ILT7") is not None
    facts, sha256 = load_curated_facts()
    assert "CD85g" not in facts.facts["reference:ENSG00000239961:aliases"].value  # type: ignore[operator]
    assert sha256 == hashlib.sha256(edited.read_bytes()).hexdigest()
    monkeypatch.undo()
    assert name_index(None) is before


def test_each_kind_of_glob_matches_what_fnmatch_matches() -> None:
    """A glob is a literal id (tested by equality), a literal start and a final "*" (no test
    past the start), or anything else (fnmatch's own compiled pattern); each decides as
    fnmatchcase decides."""
    from drafter.sections import _glob

    ids = [
        "ctgov:NCT05591222:why_stopped",
        "ctgov:NCT05591222:design.phases",
        "ctgov:NCT055912220:x",
        "chembl:CHEMBL123:max_phase",
        "ctgov:NCT05591222:",
    ]
    globs = {
        "ctgov:NCT05591222:why_stopped": "equality",
        "ctgov:NCT05591222:*": "prefix",
        "ctgov:NCT05591222*": "prefix",
        "ctgov:*:why_stopped": "pattern",
        "ctgov:NCT05591222:design.*s": "pattern",
        "chembl:CHEMBL12?:max_phase": "pattern",
    }
    for glob, kind in globs.items():
        start, matches = _glob(glob)
        assert (matches is None) == (kind == "prefix")
        assert (getattr(matches, "__self__", None) == glob) == (kind == "equality")
        for fact_id in ids:
            ours = fact_id.startswith(start) and (matches is None or bool(matches(fact_id)))
            assert ours == fnmatch.fnmatchcase(fact_id, glob), (glob, fact_id)


def test_the_alias_pass_finds_what_the_whole_alternation_finds(
    bundle_of: Callable[[str], Bundle], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the alias pass compiles only the aliases whose first word a text holds: it must find
    # what the alternation of every alias of the bundle finds, in the draft's prose, in
    # capitals, and where a regex folds letters unlike str.lower() (long s, Kelvin sign)
    bundle = bundle_of("NCT05591222")
    draft = draft_trial(bundle, OfflineWriter())
    finder = NameFinder([*bundle.facts, *draft.facts])
    texts = [p.text for p in paragraphs_of_draft(draft)]
    texts += [t.upper() for t in texts] + [
        "VIB-7734 and daxdilimab; \u017fystemic lupus, \u212aIN; LUPUS ERYTHEMATOSUS"
    ]
    found = [finder.find(text) for text in texts]
    assert any(hit.group is not None for hits in found for hit in hits)

    def every_alias(self: NameFinder, text: str) -> object:
        for name_type in _NAME_FIELDS:
            aliases = frozenset(a for g in self.groups if g.type == name_type for a in g.aliases)
            yield name_type, _compile(aliases)

    monkeypatch.setattr(NameFinder, "_alias_patterns", every_alias)
    assert [finder.find(text) for text in texts] == found


def test_a_claims_facts_follow_the_claim_and_the_record() -> None:
    # claim_facts is remembered per record, claim key, event date and row: an edited claim
    # or another record is a new answer, and a caller's dict is its own
    claim = next(c for c in read_seed(bundled.SEED_CLAIMS) if c.sponsor and c.event_date)
    first = claim_facts(claim, "claims-a")
    first.pop("sponsor")
    again = claim_facts(claim, "claims-a")
    assert again["sponsor"].value == claim.sponsor
    edited = claim.model_copy(update={"sponsor": "Another Sponsor Ltd"})
    assert claim_facts(edited, "claims-a")["sponsor"].value == "Another Sponsor Ltd"
    assert claim_facts(claim, "claims-b")["sponsor"].record == "claims-b"
    moved = claim.model_copy(update={"event_date_override": PartialDate.parse("2001-02")})
    assert claim_facts(moved, "claims-a")["event_date"].value == "2001-02"
    assert again["event_date"].value == claim.event_date.value  # type: ignore[union-attr]
