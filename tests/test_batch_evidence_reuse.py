"""A batch drafts from the evidence its fetching phase read, instead of fetching it again, only
when fetching again would read back the same records: the draft files are the same bytes
either way, and evidence that would read back otherwise (answers from the network, cached
answers about to expire) is fetched again, never reused stale."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from drafter import batch as batch_module
from drafter import draft_run
from drafter.batch import BatchOptions
from drafter.config import Settings
from drafter.evidence import related
from drafter.sections import model_sections
from drafter.sources.http import HttpClient
from drafter.writers.offline import OfflineWriter
from tests.conftest import fast_settings
from tests.servers import SnapshotServer
from tests.test_batch import open_batch

STOPPED = ["NCT00184067", "NCT02971839", "NCT05591222", "NCT05540665"]
DRAFT_FILES = ("evidence.json", "draft.json", "draft.md", "review.html")


def run_batch(settings: Settings, out: Path, *, kept: int | None = None) -> dict[str, int]:
    """One batch over STOPPED into `out` (its own claims table, seeded); how many times each
    trial's evidence was built."""
    built: dict[str, int] = {}
    build = draft_run.build_bundle

    def counting(client: HttpClient, query: Any) -> Any:
        built[query.nct_id] = built.get(query.nct_id, 0) + 1
        return build(client, query)

    options = BatchOptions(out=out, as_of=date(2026, 5, 20), concurrency=2)
    with (
        pytest.MonkeyPatch.context() as patch,
        open_batch(
            settings, OfflineWriter(), options, db=out.parent / f"{out.name}.sqlite3"
        ) as job,
    ):
        patch.setattr(draft_run, "build_bundle", counting)
        if kept is not None:
            patch.setattr(batch_module, "KEPT_EVIDENCE", kept)
        run = job.run(STOPPED)
    assert {o.status for o in run.outcomes} <= {"drafted", "needs_editor"}
    return built


def files(out: Path) -> dict[str, bytes]:
    return {f"{n}/{f}": (out / n / f).read_bytes() for n in STOPPED for f in DRAFT_FILES}


def test_offline_evidence_is_drafted_from_once_and_the_files_are_the_same(
    tmp_path: Path,
) -> None:
    settings = fast_settings(tmp_path, offline=True)
    again = run_batch(settings, tmp_path / "fetched-again", kept=0)
    reused = run_batch(settings, tmp_path / "reused")
    assert again == dict.fromkeys(STOPPED, 2)
    assert reused == dict.fromkeys(STOPPED, 1)
    assert files(tmp_path / "reused") == files(tmp_path / "fetched-again")


def test_cached_evidence_is_reused_and_network_evidence_fetched_again(
    tmp_path: Path, snapshot_server: SnapshotServer
) -> None:
    settings = fast_settings(tmp_path, **snapshot_server.base_urls())
    # a cold cache: phase 1 reads the network, so phase 2 fetches again (from the cache now)
    cold = run_batch(settings, tmp_path / "cold")
    assert cold == dict.fromkeys(STOPPED, 2)
    origins = (tmp_path / "cold" / "NCT05591222" / "evidence.json").read_text()
    assert '"origin": "cache"' in origins and '"origin": "network"' not in origins
    # a warm cache: what phase 1 read, phase 2 would read back unchanged
    asked = len(snapshot_server.received)
    warm = run_batch(settings, tmp_path / "warm")
    assert warm == dict.fromkeys(STOPPED, 1)
    assert len(snapshot_server.received) == asked
    again = run_batch(settings, tmp_path / "warm-fetched-again", kept=0)
    assert again == dict.fromkeys(STOPPED, 2)
    assert files(tmp_path / "warm") == files(tmp_path / "warm-fetched-again")


def test_cached_answers_about_to_expire_are_fetched_again(
    tmp_path: Path, snapshot_server: SnapshotServer
) -> None:
    warm_up = fast_settings(tmp_path, **snapshot_server.base_urls())
    run_batch(warm_up, tmp_path / "warm-up")
    # still fresh for phase 1, but within a minute of expiring: phase 2 might not find it
    expiring = warm_up.model_copy(
        update={"cache_ttl_seconds": batch_module.EXPIRY_MARGIN_SECONDS - 1}
    )
    asked = len(snapshot_server.received)
    built = run_batch(expiring, tmp_path / "expiring")
    assert built == dict.fromkeys(STOPPED, 2)
    assert len(snapshot_server.received) == asked  # phase 1 and 2 both read the cache


def test_related_pairs_evidence_is_looked_up_once_per_batch_while_it_reads_back(
    tmp_path: Path, snapshot_server: SnapshotServer
) -> None:
    """A related claim's pair is the same for many drafts of a batch: its evidence is looked up
    once and reused while it reads back unchanged (cached, not expiring), with the same files
    as looking it up for every draft; evidence that would not read back is looked up again."""
    settings = fast_settings(tmp_path, **snapshot_server.base_urls())
    run_batch(settings, tmp_path / "warm-up")
    looked_up: list[tuple[str, str]] = []
    lookup = related.pair_evidence

    def counting(client: HttpClient, target: str, disease: str) -> Any:
        looked_up.append((target, disease))
        return lookup(client, target, disease)

    def lookups(out: Path, *, reuse: bool, run_with: Settings = settings) -> list[tuple[str, str]]:
        looked_up.clear()
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(related, "pair_evidence", counting)
            if not reuse:
                patch.setattr(related.PairMemo, "get", lambda self, key: None)
            run_batch(run_with, out)
        return list(looked_up)

    reused = lookups(tmp_path / "reused", reuse=True)
    every_time = lookups(tmp_path / "every-time", reuse=False)
    assert len(set(every_time)) < len(every_time)  # the same pairs, draft after draft
    assert sorted(set(reused)) == sorted(set(every_time))
    assert len(reused) < len(every_time)
    assert files(tmp_path / "reused") == files(tmp_path / "every-time")
    expiring = settings.model_copy(
        update={"cache_ttl_seconds": batch_module.EXPIRY_MARGIN_SECONDS - 1}
    )
    expired = lookups(tmp_path / "expiring", reuse=True, run_with=expiring)
    assert len(expired) == len(every_time)  # nothing would read back: nothing reused


def test_reuse_is_decided_by_every_record_of_the_evidence(
    tmp_path: Path, reference_bundle: Any
) -> None:
    settings = fast_settings(tmp_path)
    options = BatchOptions(out=tmp_path / "out", as_of=date(2026, 5, 20))
    with open_batch(settings, OfflineWriter(), options, db=tmp_path / "unused.sqlite3") as job:
        pass  # its reuse rule, asked below, reads no source and no claim
    now = datetime.now(UTC).isoformat()
    fresh = reference_bundle.model_copy(
        update={
            "sources": [
                r.model_copy(update={"origin": "cache", "fetched_at": now})
                if r.origin == "snapshot"
                else r
                for r in reference_bundle.sources
            ]
        }
    )
    assert job._reads_back(fresh)
    network = _with_first(fresh, lambda r: r.model_copy(update={"origin": "network"}))
    assert not job._reads_back(network)
    old = _with_first(fresh, lambda r: r.model_copy(update={"fetched_at": "2020-01-01T00:00Z"}))
    assert not job._reads_back(old)
    unreadable = _with_first(fresh, lambda r: r.model_copy(update={"fetched_at": "yesterday"}))
    assert not job._reads_back(unreadable)


def _with_first(bundle: Any, change: Callable[[Any], Any]) -> Any:
    cached = [i for i, r in enumerate(bundle.sources) if r.origin == "cache"]
    sources = list(bundle.sources)
    sources[cached[0]] = change(sources[cached[0]])
    return bundle.model_copy(update={"sources": sources})


def test_a_batchs_drafts_write_their_sections_in_one_pool_of_threads(tmp_path: Path) -> None:
    """Sections are written in threads the batch starts once, not ten new threads a draft:
    at most concurrency x sections of them, reused from one draft to the next."""
    threads: set[str] = set()
    write = OfflineWriter.write

    def recording(self: OfflineWriter, request: Any) -> Any:
        threads.add(threading.current_thread().name)
        return write(self, request)

    settings = fast_settings(tmp_path, offline=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(OfflineWriter, "write", recording)
        run_batch(settings, tmp_path / "out")
    per_draft = min(settings.model_concurrency, len(model_sections()))
    assert threads and all(name.startswith("drafter-section-") for name in threads)
    assert len(threads) <= 2 * per_draft < len(STOPPED) * len(model_sections())
    assert _ended_soon("drafter-section-")  # the run closed its pool


def _ended_soon(prefix: str) -> bool:
    """Whether the batch's closed pool's threads have all ended within a second."""
    deadline = time.monotonic() + 1.0
    while any(t.name.startswith(prefix) for t in threading.enumerate()):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
