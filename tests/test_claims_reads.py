"""Reading the claims table remembers the Claim each row's values validated to (a batch reads
the claims its run filed in every draft): a changed row reads back changed, never stale, and
each read hands out a claim of its own."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from drafter import bundled, claims
from drafter.assessment import _latest_day, _newest_first
from drafter.claims import ClaimsStore
from drafter.errors import BadInput
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


def test_stored_rows_carry_their_claims_key_and_event_date(tmp_path: Path) -> None:
    """Related claims sort and count stored rows and build a Claim only for those shown: each
    row's key and event date must be those of the claim it builds, whichever date decides."""
    dated = [
        make_claim(nct_id="NCT00000001"),  # no date
        make_claim(nct_id="NCT00000002", termination_posted="2021"),
        make_claim(nct_id="NCT00000003", termination_posted="2021-03", primary_completion="2021"),
        make_claim(nct_id="NCT00000004", primary_completion="2020-02-29"),
        make_claim(drug="a drug", event_date_override="2019-11"),  # a program-level claim
    ]
    with ClaimsStore(tmp_path / "c.sqlite3", seed=bundled.SEED_CLAIMS) as store:
        store.upsert_many(dated)
        stored = store.query_stored()
        assert len(stored) == len(store.query()) > len(dated)
        for row in stored:
            claim = row.claim()
            assert row.key == claim.key
            event = claim.event_date
            assert row.event_date == (event.value if event else None)
            if event is not None and row.event_date is not None:
                assert _latest_day(row.event_date) == event.latest().toordinal()


def test_a_remembered_value_lasts_while_the_table_is_unchanged(tmp_path: Path) -> None:
    """A batch's drafts score the same related pairs again and again: the score is computed
    once, and again after any change to the table, whoever made it."""
    with ClaimsStore(tmp_path / "c.sqlite3", clock=FakeClock()) as store:
        store.upsert(make_claim(nct_id="NCT05591222"))
        computed: list[int] = []

        def count() -> int:
            value = len(store.query(target="LILRA4"))
            computed.append(value)
            return value

        assert store.remembered("n", count) == store.remembered("n", count) == 1
        assert computed == [1]
        assert store.remembered("another key", count) == 1 and computed == [1, 1]

        store.upsert(make_claim(nct_id="NCT00000002"))  # through the store, this thread
        assert store.remembered("n", count) == 2 and computed == [1, 1, 2]

        # through the store, from another thread (and its own connection)
        writer = threading.Thread(target=store.upsert, args=(make_claim(nct_id="NCT00000003"),))
        writer.start()
        writer.join()
        assert store.remembered("n", count) == 3

        with sqlite3.connect(store.path) as other:  # another process, say
            other.execute("DELETE FROM claims WHERE key = 'NCT00000003'")
        assert store.remembered("n", count) == 2

        store.delete("NCT00000002")
        assert store.remembered("n", count) == 1
        assert store.remembered("n", count) == 1 and computed == [1, 1, 2, 3, 2, 1]


def test_remembered_values_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claims, "REMEMBERED_VALUES", 3)
    with ClaimsStore(tmp_path / "c.sqlite3", clock=FakeClock()) as store:
        for key in range(10):
            store.remembered(key, lambda: 0)
        assert len(store._remembered) == 3


def test_a_related_claims_row_with_a_broken_date_is_reported_as_that_row(tmp_path: Path) -> None:
    """A row edited outside drafter with an event date that is no date: the draft's related
    claims name the row and how to correct it, as reading the claim itself would."""
    with ClaimsStore(tmp_path / "c.sqlite3", clock=FakeClock()) as store:
        store.upsert(make_claim(nct_id="NCT05591222", termination_posted="2021-03"))
        with sqlite3.connect(store.path) as other:
            other.execute(
                "UPDATE claims SET event_date = '2021-13', termination_posted = '2021-13'"
            )
        [stored] = store.query_stored(target="LILRA4")
        with pytest.raises(BadInput, match="claims database row NCT05591222"):
            _newest_first(stored)
