"""What verification remembers between drafts (a bundle's compiled alias alternations, keyed
by the alias set; normalised names) answers for the bundle at hand, never for the last one;
and the second name pass, which skips the aliases the first pass claimed, finds what a pass
over everything finds."""

from __future__ import annotations

from collections.abc import Callable

from drafter.bundle import Bundle
from drafter.draft import draft_trial
from drafter.names import NameFinder, Occupied
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
