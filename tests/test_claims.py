"""Claims store, seed claims and `drafter claims`: offline, every database under tmp_path."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from drafter.claim_files import (
    CLAIM_FIELDS,
    claim_record,
    parse_claims,
    read_claims_file,
    write_claims,
)
from drafter.claims import (
    MIGRATIONS,
    SCHEMA_VERSION,
    ClaimsStore,
    count_by_phase_archetype,
    open_store,
)
from drafter.cli import main
from drafter.config import load_settings
from drafter.errors import BadInput
from drafter.models import Claim
from tests.conftest import REPO as REPO_ROOT
from tests.conftest import SEED_CLAIMS as DEFAULT_SEED_CLAIMS
from tests.subprocesses import wait_until

SEED_KEYS = {
    "NCT05591222",
    "NCT02547922",
    "zodasiran|angptl3|homozygous familial hypercholesterolemia",
    "bg-60366|egfr|egfr-mutant non-small cell lung carcinoma",
    "ds-2325a|klk5|netherton syndrome",
    "rocatinlimab|ox40|atopic dermatitis",
}


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may read the user's config file or write the real user data dir (conftest
    already points DRAFTER_CONFIG at an empty file)."""
    monkeypatch.setenv("DRAFTER_DB", str(tmp_path / "env-default" / "claims.sqlite3"))


def make_claim(**fields: Any) -> Claim:
    base: dict[str, Any] = {
        "drug": "daxdilimab",
        "target_symbol": "LILRA4",
        "target_ensembl_id": "ENSG00000239961",
        "disease_name": "Discoid lupus erythematosus",
        "disease_id": "EFO_0000001",
        "phase": "PHASE2",
        "archetype": "operational",
        "category": "Business_Administrative",
        "sources": ["https://example.org/a"],
    }
    base.update(fields)
    return Claim.model_validate(base)


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ClaimsStore]:
    with ClaimsStore(tmp_path / "db" / "claims.sqlite3") as opened:
        yield opened


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[ClaimsStore]:
    with ClaimsStore(tmp_path / "seeded.sqlite3", seed=DEFAULT_SEED_CLAIMS) as opened:
        yield opened


def table(path: Path) -> list[dict[str, Any]]:
    with ClaimsStore(path) as opened:
        return [claim.model_dump() for claim in opened.all()]


# --- schema and migrations ----------------------------------------------------------------------


def test_new_database_has_current_schema_wal_and_indexes(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dirs" / "claims.sqlite3"
    with ClaimsStore(path) as opened:
        assert opened.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    columns = {row[1] for row in conn.execute("PRAGMA table_info(claims)")}
    assert set(CLAIM_FIELDS) | {"key", "event_date", "event_date_precision"} <= columns
    indexes = {row[1] for row in conn.execute("PRAGMA index_list(claims)")}
    assert {"claims_target_norm", "claims_disease_norm", "claims_disease_id_norm"} <= indexes
    plan = " ".join(
        str(row[3])
        for row in conn.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM claims WHERE (target_norm = 'x' OR "
            "target_ensembl_norm = 'x') AND (disease_norm = 'y' OR disease_id_norm = 'y')"
        )
    )
    assert "INDEX" in plan
    conn.close()


def test_v1_database_is_migrated_without_seeding(tmp_path: Path) -> None:
    path = tmp_path / "v1.sqlite3"
    conn = sqlite3.connect(path)
    MIGRATIONS[0](conn)
    conn.execute(
        "INSERT INTO claims (key, nct_id, drug, target_symbol, target_ensembl_id, disease_name,"
        " disease_id, phase, archetype, category, termination_posted, event_date,"
        " event_date_precision, status, sources, created, updated) VALUES ('NCT00000001',"
        " 'NCT00000001', 'old drug', 'LILRA4', 'ENSG00000239961', 'Old Disease', 'EFO:0000001',"
        " 'PHASE3', 'efficacy', 'Negative', '2020-03', '2020-03', 'month', 'published',"
        " '[\"https://example.org/old\"]', '2020-01-01T00:00:00+00:00',"
        " '2020-01-01T00:00:00+00:00')"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()

    with ClaimsStore(path, seed=DEFAULT_SEED_CLAIMS) as opened:
        assert opened.schema_version == SCHEMA_VERSION
        (claim,) = opened.all()  # migrated, and an existing database is never seeded
        assert claim.drug == "old drug"
        assert claim.termination_posted is not None
        assert claim.termination_posted.precision == "month"
        assert opened.for_pair("ensg00000239961", "EFO_0000001") == [claim]
        assert opened.for_pair("lilra4", "old disease") == [claim]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    with ClaimsStore(path):
        pass
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(BadInput, match=rf"schema version {SCHEMA_VERSION + 1}, newer"):
        ClaimsStore(path)


def test_foreign_or_corrupt_files_are_bad_input(tmp_path: Path) -> None:
    foreign = tmp_path / "foreign.sqlite3"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE other (x)")
    conn.commit()
    conn.close()
    with pytest.raises(BadInput, match="not a drafter claims store"):
        ClaimsStore(foreign)
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database at all, just text " * 100)
    with pytest.raises(BadInput, match=r"garbage\.sqlite3"):
        ClaimsStore(garbage)
    with pytest.raises(BadInput, match="is a directory"):
        ClaimsStore(tmp_path)


# --- upsert -------------------------------------------------------------------------------------


def test_upsert_keeps_created_bumps_updated_and_replaces_fields(tmp_path: Path) -> None:
    clock = FakeClock()
    with ClaimsStore(tmp_path / "c.sqlite3", clock=clock) as opened:
        first = opened.upsert(make_claim(nct_id="NCT05591222", headline="old"))
        assert first.created == first.updated == "2026-05-20T12:00:01.000000+00:00"
        second = opened.upsert(
            make_claim(nct_id="NCT05591222", headline="new", phase="PHASE3", sources=[])
        )
        assert second.created == first.created
        assert second.updated == "2026-05-20T12:00:02.000000+00:00"
        assert (second.headline, second.phase, second.sources) == ("new", "PHASE3", [])
        assert len(opened.all()) == 1


def test_upsert_ignores_caller_timestamps_and_derives_event_date(store: ClaimsStore) -> None:
    claim = make_claim(
        nct_id="NCT00000002",
        termination_posted="2024-07",
        primary_completion="2024-06-30",
        created="1999-01-01T00:00:00+00:00",
    )
    stored = store.upsert(claim)
    assert stored.created != "1999-01-01T00:00:00+00:00"
    conn = sqlite3.connect(store.path)
    row = conn.execute(
        "SELECT event_date, event_date_precision FROM claims WHERE key = 'NCT00000002'"
    ).fetchone()
    conn.close()
    assert row == ("2024-07", "month")


def test_key_without_nct_and_get_normalises_the_key(store: ClaimsStore) -> None:
    store.upsert(make_claim(drug="Zodasiran", target_symbol="ANGPTL3", disease_name="HoFH  X"))
    assert store.get("zodasiran|angptl3|hofh x") is not None
    assert store.get(" ZODASIRAN | angptl3 | HoFH x ") is not None
    store.upsert(make_claim(nct_id="NCT05591222"))
    assert store.get("nct05591222") is not None
    assert store.get("NCT99999999") is None


def test_upsert_many_is_all_or_nothing(store: ClaimsStore) -> None:
    good = make_claim(nct_id="NCT00000003")
    bad = Claim.model_construct(**{**make_claim(nct_id="NCT00000004").__dict__, "status": "x"})
    with pytest.raises(BadInput):
        store.upsert_many([good, bad])
    assert store.all() == []
    assert store.upsert_many([good, make_claim(nct_id="NCT00000004")]) == 2


# --- queries ------------------------------------------------------------------------------------


@pytest.fixture
def populated(store: ClaimsStore) -> ClaimsStore:
    store.upsert_many(
        [
            make_claim(nct_id="NCT00000010", termination_posted="2026-05-14"),
            make_claim(
                nct_id="NCT00000011",
                disease_name="Systemic lupus erythematosus",
                disease_id="MONDO:0007915",
                phase="PHASE3",
                archetype="efficacy",
                category="Negative",
                primary_completion="2023",
            ),
            make_claim(
                nct_id="NCT00000012",
                drug="other",
                target_symbol="IFNAR1",
                target_ensembl_id=None,
                disease_id="EFO:0000001",
                archetype="safety",
                category="Safety_Sideeffects",
            ),
        ]
    )
    return store


def keys(claims: list[Claim]) -> list[str]:
    return [claim.key for claim in claims]


def test_for_pair_matches_symbol_or_ensembl_and_name_or_ontology_id(populated: ClaimsStore) -> None:
    expected = ["NCT00000010"]
    for target in ("LILRA4", "lilra4", " LilRA4 ", "ENSG00000239961", "ensg00000239961.7"):
        for disease in ("Discoid lupus erythematosus", "DISCOID  lupus erythematosus"):
            assert keys(populated.for_pair(target, disease)) == expected
    assert keys(populated.for_pair("LILRA4", "efo:0000001")) == expected
    assert keys(populated.for_pair("LILRA4", "EFO_0000001")) == expected
    assert keys(populated.for_pair("ifnar1", "EFO_0000001")) == ["NCT00000012"]
    assert populated.for_pair("LILRA4", "asthma") == []


def test_for_target_for_disease_for_archetype(populated: ClaimsStore) -> None:
    # newest event first, undated last
    assert keys(populated.for_target("lilra4")) == ["NCT00000010", "NCT00000011"]
    assert keys(populated.for_disease("efo:0000001")) == ["NCT00000010", "NCT00000012"]
    assert keys(populated.for_disease("mondo_0007915")) == ["NCT00000011"]
    assert keys(populated.for_disease("systemic LUPUS erythematosus")) == ["NCT00000011"]
    assert keys(populated.for_archetype("Efficacy")) == ["NCT00000011"]
    assert keys(populated.for_archetype("biomarker")) == []
    assert len(populated.all()) == 3


def test_counts_by_phase_archetype(populated: ClaimsStore) -> None:
    assert populated.counts_by_phase_archetype() == {
        ("PHASE2", "operational"): 1,
        ("PHASE2", "safety"): 1,
        ("PHASE3", "efficacy"): 1,
    }
    assert populated.counts_by_phase_archetype(target="ENSG00000239961") == {
        ("PHASE2", "operational"): 1,
        ("PHASE3", "efficacy"): 1,
    }
    claims = populated.for_disease("EFO_0000001")
    assert populated.counts_by_phase_archetype(claims) == count_by_phase_archetype(claims)
    assert count_by_phase_archetype([make_claim(phase=None)]) == {(None, "operational"): 1}


# --- seed claims --------------------------------------------------------------------------------


def test_seed_file_rows_all_validate_and_cite_sources() -> None:
    lines = DEFAULT_SEED_CLAIMS.read_text(encoding="utf-8").splitlines()
    claims = read_claims_file(DEFAULT_SEED_CLAIMS)
    assert len(claims) == len(lines) == len(SEED_KEYS)
    assert {claim.key for claim in claims} == SEED_KEYS
    for claim in claims:
        assert claim.sources, claim.key
        assert all(url.startswith(("https://", "http://")) for url in claim.sources)
        assert claim.created is None and claim.updated is None


def test_seed_calibration_claim_and_unknowns_left_empty() -> None:
    by_key = {claim.key: claim for claim in read_claims_file(DEFAULT_SEED_CLAIMS)}
    dax = by_key["NCT05591222"]
    assert (dax.phase, dax.archetype, dax.category) == (
        "PHASE2",
        "operational",
        "Business_Administrative",
    )
    assert dax.why_stopped == "Sponsor business decision, not related to safety concerns."
    assert dax.event_date is not None and dax.event_date.value == "2026-05-14"
    assert "https://clinicaltrials.gov/study/NCT05591222" in dax.sources
    assert any("fiercebiotech.com" in url for url in dax.sources)  # the conflicting report
    for key in SEED_KEYS - {"NCT05591222", "NCT02547922"}:
        claim = by_key[key]
        assert claim.nct_id is None and claim.target_ensembl_id is None, key
        assert claim.termination_posted is None and claim.primary_completion is None, key
    assert by_key["zodasiran|angptl3|homozygous familial hypercholesterolemia"].phase == "PHASE2"
    assert by_key["ds-2325a|klk5|netherton syndrome"].disease_id == "MONDO_0009735"
    roca = by_key["rocatinlimab|ox40|atopic dermatitis"]
    assert roca.event_date is not None and roca.event_date.value == "2026-01-30"
    ani = by_key["NCT02547922"]
    assert (ani.archetype, ani.category, ani.phase) == ("efficacy", "Negative", "PHASE2")


def test_seed_loads_on_first_use_only(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "claims.sqlite3"
    settings = load_settings({"db_path": path})
    with open_store(settings) as opened:
        assert {claim.key for claim in opened.all()} == SEED_KEYS
        for claim in opened.all():
            assert claim.created == claim.updated
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM claims WHERE key = 'NCT05591222'")
    conn.commit()
    conn.close()
    with open_store(settings) as opened:
        assert {claim.key for claim in opened.all()} == SEED_KEYS - {"NCT05591222"}


def test_open_store_uses_drafter_db(tmp_path: Path) -> None:
    with open_store() as opened:
        assert opened.path == tmp_path / "env-default" / "claims.sqlite3"
        assert len(opened.all()) == len(SEED_KEYS)


# --- import / export ----------------------------------------------------------------------------


def good_line(nct: str) -> str:
    return json.dumps(claim_record(make_claim(nct_id=nct)))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "bad-json.jsonl",
            f"{good_line('NCT00000021')}\n{good_line('NCT00000022')}\n{{not json\n",
            r"line 3: invalid JSON",
        ),
        (
            "bad-row.jsonl",
            f"{good_line('NCT00000021')}\n"
            + json.dumps({**claim_record(make_claim(nct_id="NCT00000022")), "phase": "PHASE9"})
            + f"\n{good_line('NCT00000023')}\n",
            r"line 2: phase: Input should be 'EARLY_PHASE1'",
        ),
        (
            "dupe.jsonl",
            f"{good_line('NCT00000021')}\n\n{good_line('NCT00000021')}\n",
            r"line 3: duplicate claim key NCT00000021 \(first on line 1\)",
        ),
        (
            "bad.csv",
            "nct_id,drug,target_symbol,disease_name,archetype,category\n"
            "NCT00000021,d,T,D,efficacy,Negative\n"
            "NCT00000022,d,T,D,not-an-archetype,Negative\n",
            r"line 3: archetype",
        ),
        (
            "bad-header.csv",
            "nct_id,drug,colour\nNCT00000021,d,red\n",
            r"line 1: unknown column\(s\): colour",
        ),
        (
            "too-many-cells.csv",
            'nct_id,drug,target_symbol,disease_name,archetype,category\nNCT00000021,"a\nb",T,D,efficacy,Negative\n'
            "NCT00000022,d,T,D,efficacy,Negative,extra\n",
            r"line 4: 7 cells but 6 columns",
        ),
    ],
)
def test_bad_import_names_the_line_and_changes_nothing(
    seeded: ClaimsStore, tmp_path: Path, name: str, content: str, message: str
) -> None:
    before = [claim.model_dump() for claim in seeded.all()]
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(BadInput, match=message):
        read_claims_file(path)
    code = main(["claims", "--db", str(seeded.path), "import", str(path)])
    assert code == 2
    assert [claim.model_dump() for claim in seeded.all()] == before


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_import_round_trip(seeded: ClaimsStore, tmp_path: Path, fmt: str) -> None:
    seeded.upsert(
        make_claim(
            nct_id="NCT00000031",
            why_stopped='Multi-line, "quoted";\nreason',
            sources=["https://example.org/a;b", "https://example.org/c"],
            event_date_override="2025",
        )
    )
    out = tmp_path / f"export.{fmt}"
    assert main(["claims", "--db", str(seeded.path), "export", "--out", str(out)]) == 0
    original = seeded.all()
    assert parse_claims(out.read_text(encoding="utf-8"), "csv" if fmt == "csv" else "jsonl") == [
        claim for claim in original
    ]
    fresh = tmp_path / "fresh.sqlite3"
    assert main(["claims", "import", str(out), "--db", str(fresh)]) == 0
    with ClaimsStore(fresh) as reopened:
        assert reopened.all() == original


def test_restore_keeps_the_earliest_created_and_normalises_timestamps(
    seeded: ClaimsStore, tmp_path: Path
) -> None:
    record = claim_record(seeded.get("NCT05591222") or make_claim())
    record |= {"created": "2020-01-02T03:04:05Z", "updated": "2021-01-01T00:00:00"}
    path = tmp_path / "restore.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    (claim,) = read_claims_file(path)
    assert claim.created == "2020-01-02T03:04:05.000000+00:00"
    seeded.upsert_many([claim], keep_timestamps=True)
    stored = seeded.get("NCT05591222")
    assert stored is not None
    assert (stored.created, stored.updated) == (claim.created, "2021-01-01T00:00:00.000000+00:00")
    path.write_text(json.dumps(record | {"created": "last week"}) + "\n", encoding="utf-8")
    with pytest.raises(BadInput, match="line 1: created: not an ISO 8601 timestamp"):
        read_claims_file(path)


def test_csv_import_accepts_semicolon_joined_sources(store: ClaimsStore, tmp_path: Path) -> None:
    path = tmp_path / "hand.csv"
    path.write_text(
        "nct_id,drug,target_symbol,disease_name,archetype,category,sources,phase\n"
        "NCT00000041,d,T,D,efficacy,Negative, https://a.example ; https://b.example ,\n",
        encoding="utf-8",
    )
    (claim,) = read_claims_file(path)
    assert claim.sources == ["https://a.example", "https://b.example"]
    assert claim.phase is None


def test_write_claims_jsonl_is_one_object_per_line(populated: ClaimsStore) -> None:
    import io

    buffer = io.StringIO()
    assert write_claims(populated.all(), buffer, "jsonl") == 3
    rows = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert [Claim.model_validate(row) for row in rows] == populated.all()


# --- concurrency --------------------------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from drafter.claims import ClaimsStore
    from drafter.models import Claim

    db, seed, go, name, first, last = sys.argv[1:7]
    Path(go).with_name(f"ready-{name}").touch()
    while not Path(go).exists():
        time.sleep(0.001)

    def claim(i, round):
        return Claim(
            nct_id=f"NCT{i:08d}", drug=f"drug {i}", target_symbol="T", disease_name="D",
            phase="PHASE2", archetype="efficacy", category="Negative",
            sources=[f"https://example.org/{name}/{round}"],
        )

    with ClaimsStore(Path(db), seed=Path(seed)) as store:
        for round in range(3):
            for i in range(int(first), int(last)):
                store.upsert(claim(i, round))
            store.upsert_many([claim(i, round) for i in range(int(first), int(last))])
    print("done", name)
    """
)


def test_concurrent_writers_leave_a_consistent_table(tmp_path: Path) -> None:
    db = tmp_path / "shared" / "claims.sqlite3"
    go = tmp_path / "go"
    ranges = {"a": (0, 60), "b": (30, 90)}  # 30 keys overlap
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(db), str(DEFAULT_SEED_CLAIMS), str(go), name]
            + [str(n) for n in span],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, span in ranges.items()
    ]
    # both interpreters started and wait at the barrier: a fixed 0.3 s let a slow start
    # miss it, and the writers ran one after the other
    ready = [tmp_path / f"ready-{name}" for name in ranges]
    wait_until(procs[0], lambda: all(path.exists() for path in ready), "both writers ready", 60)
    go.touch()
    results = [proc.communicate(timeout=90) for proc in procs]
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err and out.startswith("done"), err
    with ClaimsStore(db) as opened:
        claims = opened.all()  # every row re-validated as a Claim on read
        written = [c for c in claims if c.key not in SEED_KEYS]
        assert len(written) == 90
        assert {c.key for c in written} == {f"NCT{i:08d}" for i in range(90)}
        seeds = [c for c in claims if c.key in SEED_KEYS]
        assert len(seeds) == len(SEED_KEYS)
        assert all(c.created == c.updated for c in seeds)  # seeded exactly once
        for c in written:
            assert c.sources[0].endswith("/2"), c  # each row's last write was a whole claim


# --- CLI ----------------------------------------------------------------------------------------


def test_cli_list_json_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "cli.sqlite3"
    args = ["claims", "--db", str(db), "list", "--target", "lilra4", "--json"]
    assert main(args) == 0
    document = json.loads(capsys.readouterr().out)
    assert isinstance(document, list)
    assert [row["nct_id"] for row in document] == ["NCT05591222"]
    assert main(["claims", "list", "--archetype", "efficacy", "--json", "--db", str(db)]) == 0
    assert [row["drug"] for row in json.loads(capsys.readouterr().out)] == ["anifrolumab"]


def test_cli_list_human_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["claims", "--db", str(tmp_path / "t.sqlite3"), "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == [
        "NCT",
        "DRUG",
        "TARGET",
        "DISEASE",
        "PHASE",
        "ARCHETYPE",
        "CATEGORY",
        "EVENT",
        "STATUS",
    ]
    assert len(out) == 1 + len(SEED_KEYS)
    assert out[1].index("daxdilimab") == out[0].index("DRUG")  # aligned columns


def test_cli_list_keeps_cells_whole_when_piped_and_fits_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Piped, every cell whole (a 41-character disease of the seed claims was cut at 40); on a
    terminal too narrow for the table, one wrapped line a claim, no NCT id cut."""
    db = str(tmp_path / "t.sqlite3")
    monkeypatch.delenv("COLUMNS", raising=False)
    assert main(["claims", "--db", db, "list"]) == 0
    captured = capsys.readouterr()
    assert "EGFR-mutant non-small cell lung carcinoma" in captured.out
    assert "…" not in captured.out
    assert captured.err == f"drafter: {len(SEED_KEYS)} claims in {db}\n"
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["claims", "--db", db, "list"]) == 0
    narrow = capsys.readouterr().out
    assert all(len(line) <= 80 for line in narrow.splitlines())
    assert "NCT05591222: drug daxdilimab, target LILRA4, disease Discoid lupus" in narrow
    assert "…" not in narrow
    assert main(["claims", "--db", db, "list", "--target", "LILRA4"]) == 0
    assert capsys.readouterr().err == f"drafter: 1 claim in {db}\n"


def test_cli_uses_drafter_db_when_no_flag(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["claims", "list", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == len(SEED_KEYS)
    assert (tmp_path / "env-default" / "claims.sqlite3").exists()


def test_cli_import_bad_file_exit_2_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(f"{good_line('NCT00000051')}\n\n{{oops\n", encoding="utf-8")
    assert main(["claims", "--db", str(tmp_path / "x.sqlite3"), "import", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "line 3" in err and err.startswith("drafter: ")
    assert not (tmp_path / "x.sqlite3").exists()  # the file is checked before the database


def test_cli_import_good_file_and_add(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "y.sqlite3")
    path = tmp_path / "good.jsonl"
    path.write_text(f"{good_line('NCT00000061')}\n{good_line('NCT00000062')}\n", encoding="utf-8")
    assert main(["claims", "--db", db, "import", str(path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["imported"] == 2
    claim = json.dumps({"nct_id": "NCT00000063", **claim_record(make_claim())} | {"nct_id": None})
    assert main(["claims", "--db", db, "add", "--json-claim", claim, "--json"]) == 0
    added = json.loads(capsys.readouterr().out)
    assert added["drug"] == "daxdilimab" and added["created"]
    assert main(["claims", "--db", db, "add", "--json-claim", '{"drug": "x"}']) == 2
    assert "--json-claim" in capsys.readouterr().err
    with ClaimsStore(Path(db)) as opened:
        assert len(opened.all()) == len(SEED_KEYS) + 3


def test_cli_export_stdout_jsonl_and_csv_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "z.sqlite3")
    assert main(["claims", "--db", db, "export"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(SEED_KEYS)
    assert all(Claim.model_validate_json(line) for line in lines)
    out = tmp_path / "exports" / "claims.csv"
    out.parent.mkdir()
    out.write_text("old content", encoding="utf-8")
    assert main(["claims", "--db", db, "export", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("nct_id,drug,")
    assert [p.name for p in out.parent.iterdir()] == ["claims.csv"]  # no temp file left
    assert main(["claims", "--db", db, "export", "--format", "xml"]) == 2
    assert "invalid choice: 'xml'" in capsys.readouterr().err
