"""Shared fixtures: isolated settings (no user dirs touched) and local servers on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from drafter import bundled
from drafter.assessment import assess
from drafter.bundle import Bundle
from drafter.claims import ClaimsStore
from drafter.config import Settings
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.sources.http import HttpClient
from tests.servers import ScriptedServer, SnapshotServer

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
SNAPSHOT_DIR = Path(str(bundled.SNAPSHOT))
SEED_CLAIMS = Path(str(bundled.SEED_CLAIMS))


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's config, cache or claims store, or the network."""
    for variable in (
        "DRAFTER_OFFLINE",
        "DRAFTER_DB",
        "DRAFTER_CACHE_DIR",
        "DRAFTER_SNAPSHOT_DIR",
        "DRAFTER_RECORDED_DIR",
        "DRAFTER_CTGOV_URL",
        "DRAFTER_OPENTARGETS_URL",
        "DRAFTER_CHEMBL_URL",
        "DRAFTER_OPENFDA_URL",
        "DRAFTER_PUBMED_URL",
        "NCBI_API_KEY",
        "OPENFDA_API_KEY",
        "OPENAI_API_KEY",
        "DRAFTER_DEADLINE",
        "DRAFTER_OPTIONAL_DEADLINE",
        "DRAFTER_REQUEST_DEADLINE",
        "OPENAI_BASE_URL",
        "DRAFTER_MODEL",
        "DRAFTER_STRUCTURED_OUTPUT",
        "DRAFTER_MODEL_TIMEOUT",
        "DRAFTER_MODEL_CONCURRENCY",
    ):
        monkeypatch.delenv(variable, raising=False)
    empty_config = tmp_path / "empty-config.toml"
    empty_config.write_text("")
    monkeypatch.setenv("DRAFTER_CONFIG", str(empty_config))
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DRAFTER_DB", str(tmp_path / "claims.sqlite3"))
    monkeypatch.setenv("DRAFTER_RECORDED_DIR", str(tmp_path / "recorded"))
    unreachable = "http://127.0.0.1:9"  # discard port: any accidental live call fails fast
    for name in ("CTGOV", "OPENTARGETS", "CHEMBL", "OPENFDA", "PUBMED"):
        monkeypatch.setenv(f"DRAFTER_{name}_URL", f"{unreachable}/{name.lower()}")


def fast_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings with tiny backoffs so retry tests take milliseconds."""
    values: dict[str, Any] = {
        "cache_dir": tmp_path / "cache",
        "db_path": tmp_path / "claims.sqlite3",
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
        "retry_after_cap": 0.2,
        "min_interval": {},
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def bundle_of(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Bundle]:
    """Any bundled trial built offline and assessed against the seed claims (as of 2026-05-20)."""
    built: dict[str, Bundle] = {}

    def build(nct_id: str) -> Bundle:
        if nct_id not in built:
            tmp = tmp_path_factory.mktemp(f"bundle-{nct_id}")
            settings = fast_settings(tmp, offline=True)
            with (
                HttpClient(settings) as client,
                ClaimsStore(tmp / "claims.sqlite3", seed=bundled.SEED_CLAIMS) as store,
            ):
                query = EvidenceQuery(nct_id=nct_id, as_of=date(2026, 5, 20))
                evidence = build_bundle(client, query)
                built[nct_id] = assess(evidence, store, client=client)
        return built[nct_id]

    return build


@pytest.fixture(scope="session")
def reference_bundle(bundle_of: Callable[[str], Bundle]) -> Bundle:
    """NCT05591222 built offline and assessed against the seed claims, as of the date of the
    published post-mortem (2026-05-20); shared read-only by the tests that only read it."""
    return bundle_of("NCT05591222")


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    server = ScriptedServer().start()
    try:
        yield server  # type: ignore[misc]
    finally:
        server.stop()


@pytest.fixture
def snapshot_server() -> Iterator[SnapshotServer]:
    server = SnapshotServer(SNAPSHOT_DIR).start()
    try:
        yield server  # type: ignore[misc]
    finally:
        server.stop()
