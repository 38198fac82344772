"""`drafter claims delete KEY` with its audit trail, and the JSON documents of `claims list
--json` / `claims export --json`, which `claims import` reads back."""

from __future__ import annotations

import io
import json
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from drafter.claim_files import claim_record
from drafter.claims import MIGRATIONS, SCHEMA_VERSION, ClaimsStore
from drafter.cli import main
from tests.conftest import SEED_CLAIMS as DEFAULT_SEED_CLAIMS

KEY = "NCT05591222"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "claims.sqlite3"
    ClaimsStore(path, seed=DEFAULT_SEED_CLAIMS).close()
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def deletions(db: Path) -> list[tuple[str, str, dict[str, Any]]]:
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT key, deleted_at, claim FROM claim_deletions ORDER BY rowid")
    found = [(key, at, json.loads(claim)) for key, at, claim in rows]
    conn.close()
    return found


# --- delete -------------------------------------------------------------------------------------


def test_delete_removes_the_claim_and_keeps_it_in_the_audit_table(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with ClaimsStore(db) as store:
        before = store.get(KEY)
    assert before is not None
    code, out, err = run(capsys, "claims", "--db", str(db), "delete", "nct05591222", "--json")
    assert code == 0, err
    assert json.loads(out) == claim_record(before)  # one JSON document: the deleted claim
    assert KEY in err
    with ClaimsStore(db) as store:
        assert store.get(KEY) is None
    [(key, deleted_at, claim)] = deletions(db)
    assert key == KEY and claim == claim_record(before)
    moment = datetime.fromisoformat(deleted_at)
    assert moment.utcoffset() is not None and moment.utcoffset().total_seconds() == 0  # type: ignore[union-attr]


def test_delete_of_a_missing_key_is_exit_2_and_one_line(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "claims", "--db", str(db), "delete", "NCT99999999")
    assert (code, out) == (2, "")
    assert err.startswith("drafter: ") and err.count("\n") == 1 and "NCT99999999" in err
    assert deletions(db) == []


def test_delete_and_its_audit_row_are_one_transaction(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE TRIGGER refuse BEFORE DELETE ON claims BEGIN SELECT RAISE(ABORT, 'no'); END"
    )
    conn.commit()
    conn.close()
    with ClaimsStore(db) as store, pytest.raises(Exception, match="no"):
        store.delete(KEY)
    assert deletions(db) == []  # the audit row was rolled back with the failed delete
    with ClaimsStore(db) as store:
        assert store.get(KEY) is not None


def test_a_row_that_breaks_todays_rules_names_the_way_out_and_can_be_deleted(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    conn = sqlite3.connect(db)
    conn.execute("UPDATE claims SET archetype = 'efficacy' WHERE key = ?", (KEY,))
    conn.commit()
    conn.close()
    code, _, err = run(capsys, "claims", "--db", str(db), "list")
    assert code == 2 and KEY in err and f"drafter claims delete {KEY}" in err
    code, out, err = run(capsys, "claims", "--db", str(db), "delete", KEY, "--json")
    assert code == 0, err
    assert json.loads(out)["archetype"] == "efficacy"
    assert run(capsys, "claims", "--db", str(db), "list")[0] == 0


def test_the_deletions_table_comes_with_a_migration(tmp_path: Path) -> None:
    path = tmp_path / "v2.sqlite3"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:2]:
        migration(conn)
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with ClaimsStore(path) as store:
        assert store.schema_version == SCHEMA_VERSION == 3
        assert store.deletions() == []
    conn = sqlite3.connect(path)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "claim_deletions" in tables


# --- one JSON document out, and back in ----------------------------------------------------------


def test_list_and_export_json_print_one_document_that_imports_again(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, listed, _ = run(capsys, "claims", "--db", str(db), "list", "--json")
    assert code == 0
    code, exported, _ = run(capsys, "claims", "--db", str(db), "export", "--json")
    assert code == 0
    records = json.loads(exported)
    assert isinstance(records, list) and len(records) == 6
    assert {r["nct_id"] for r in records} == {r["nct_id"] for r in json.loads(listed)}
    backup = tmp_path / "backup.json"
    backup.write_text(exported, encoding="utf-8")
    fresh = tmp_path / "fresh.sqlite3"
    code, _, err = run(capsys, "claims", "--db", str(fresh), "import", str(backup))
    assert code == 0, err
    code, again, _ = run(capsys, "claims", "--db", str(fresh), "export", "--json")
    assert json.loads(again) == records  # timestamps too: an export restores exactly


def test_export_json_to_a_file_and_import_from_stdin(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "claims.json"
    assert run(capsys, "claims", "--db", str(db), "export", "--json", "--out", str(out))[0] == 0
    records = json.loads(out.read_text(encoding="utf-8"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(out.read_text(encoding="utf-8")))
    fresh = tmp_path / "fresh.sqlite3"
    code, _, err = run(capsys, "claims", "--db", str(fresh), "import", "-")
    assert code == 0, err
    with ClaimsStore(fresh) as store:
        assert [claim_record(c) for c in store.all()] == records


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"drug": "x"}]', "item 1"),
        ("[1, 2]", "item 1: expected a JSON object"),
        ('{"drug": "x"}\n[', "line 1"),
        ("[", "invalid JSON"),
    ],
)
def test_a_bad_json_array_names_the_item(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "claims", "--db", str(tmp_path / "x.sqlite3"), "import", str(path))
    assert code == 2 and err.count("\n") == 1 and message in err, err


def test_export_json_conflicts_with_another_format(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "claims", "--db", str(db), "export", "--json", "--format", "csv")
    assert (code, out) == (2, "") and "--json" in err
