"""Reading the claims table remembers the Claim each row's values validated to (a batch reads
the claims its run filed in every draft): a changed row reads back changed, never stale, and
each read hands out a claim of its own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from drafter.claims import ClaimsStore
from tests.test_claims import FakeClock, make_claim


def test_a_changed_row_reads_back_changed(tmp_path: Path) -> None:
    with ClaimsStore(tmp_path / "c.sqlite3", clock=FakeClock()) as store:
        store.upsert(make_claim(nct_id="NCT05591222", headline="old"))
        assert [c.headline for c in store.query(target="LILRA4")] == ["old"]
        store.upsert(make_claim(nct_id="NCT05591222", headline="new", phase="PHASE3"))
        [claim] = store.query(target="LILRA4")
        assert (claim.headline, claim.phase) == ("new", "PHASE3")
        # changed behind the store's back, by another process: the row is read as it is
        with sqlite3.connect(store.path) as other:
            other.execute("UPDATE claims SET headline = 'edited' WHERE key = 'NCT05591222'")
        assert store.get("NCT05591222").headline == "edited"  # type: ignore[union-attr]
        assert [c.headline for c in store.query(disease="Discoid lupus erythematosus")] == [
            "edited"
        ]


def test_each_read_hands_out_a_claim_of_its_own(tmp_path: Path) -> None:
    with ClaimsStore(tmp_path / "c.sqlite3", clock=FakeClock()) as store:
        store.upsert(make_claim(nct_id="NCT05591222"))
        first = store.get("NCT05591222")
        assert first is not None
        first.sources.append("https://example.org/changed-by-a-caller")
        first.headline = "changed by a caller"
        again = store.get("NCT05591222")
        assert again is not None and again is not first
        assert again.sources == ["https://example.org/a"]
        assert again.headline is None
