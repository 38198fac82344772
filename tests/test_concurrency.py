"""The whole evidence path under the concurrency a batch run will put it through: one HttpClient
and one ClaimsStore shared by a pool of 8 threads, and 2 processes sharing one cache directory
and one claims database. Every bundle must be exactly what a sequential run builds."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

from drafter.assessment import assess
from drafter.claims import ClaimsStore
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.sources.http import HttpClient
from tests.conftest import REPO, SEED_CLAIMS, fast_settings
from tests.servers import SnapshotServer
from tests.test_fetch import seed_trial_ids

AS_OF = date(2026, 5, 20)


def bundle_facts(client: HttpClient, store: ClaimsStore, nct_id: str) -> list[tuple[str, object]]:
    bundle = assess(build_bundle(client, EvidenceQuery(nct_id=nct_id, as_of=AS_OF)), store)
    return [(f.id, f.value) for f in bundle.facts]


def test_eight_threads_share_one_client_and_one_store(
    tmp_path: Path, snapshot_server: SnapshotServer
) -> None:
    trials = seed_trial_ids()
    settings = fast_settings(tmp_path, **snapshot_server.base_urls())
    with ClaimsStore(tmp_path / "claims.sqlite3", seed=SEED_CLAIMS) as store:
        with HttpClient(settings) as client:
            expected = {nct: bundle_facts(client, store, nct) for nct in trials}
        cold = fast_settings(tmp_path / "cold", **snapshot_server.base_urls())
        with HttpClient(cold) as client, ThreadPoolExecutor(max_workers=8) as pool:
            # every trial twice, so threads race for the same cache rows too
            jobs = [(nct, pool.submit(bundle_facts, client, store, nct)) for nct in trials * 2]
            results = [(nct, job.result()) for nct, job in jobs]
    for nct, facts in results:
        assert facts == expected[nct], nct


_WORKER = """
import json, sys
from datetime import date
from drafter.assessment import assess
from drafter.claims import ClaimsStore
from drafter.config import Settings
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.sources.http import HttpClient
from pathlib import Path

cache, db, seed, urls = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
settings = Settings(cache_dir=Path(cache), db_path=Path(db), backoff_initial=0.01, **urls)
out = {}
with ClaimsStore(Path(db), seed=Path(seed)) as store, HttpClient(settings) as client:
    for nct in sys.argv[5:]:
        query = EvidenceQuery(nct_id=nct, as_of=date(2026, 5, 20))
        bundle = assess(build_bundle(client, query), store)
        out[nct] = [[f.id, f.value] for f in bundle.facts]
print(json.dumps(out))
"""


def test_two_processes_share_one_cache_and_one_claims_database(
    tmp_path: Path, snapshot_server: SnapshotServer
) -> None:
    trials = seed_trial_ids()
    urls = json.dumps(snapshot_server.base_urls())
    argv = [str(tmp_path / "cache"), str(tmp_path / "claims.sqlite3"), str(SEED_CLAIMS), urls]
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, *argv, *order],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for order in (trials, list(reversed(trials)))
    ]
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err
        assert "warning" not in err, err  # the cache and the store stayed usable
        outputs.append(json.loads(out))
    first, second = outputs
    assert first.keys() == second.keys() == set(trials)
    for nct in trials:
        assert first[nct] == second[nct], nct
    with ClaimsStore(tmp_path / "claims.sqlite3") as store:
        assert len(store.all()) == len(SEED_CLAIMS.read_text().splitlines())  # seeded once
