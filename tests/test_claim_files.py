"""Claims files in and out: unusual line breaks, strict JSON, byte order marks, out-of-range
timestamps, and an export that only ever replaces a regular file."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from drafter import claim_files
from drafter.claim_files import claim_record, parse_claims, read_claims_file
from drafter.claims import ClaimsStore
from drafter.cli import main
from drafter.errors import BadInput
from drafter.models import Claim
from tests.factories import BASE_CLAIM


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert err.startswith("drafter: ") and err.count("\n") == 1 and "Traceback" not in err
    for word in words:
        assert word in err, err


def stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    """A real stdin: text over a byte buffer, as a terminal or a pipe gives."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


# --- line separators inside text ---------------------------------------------------------------

ODD_BREAKS = "line\u2028separator, paragraph\u2029separator, next line\u0085end; cr\r and crlf\r\n"


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "json"])
def test_unicode_line_separators_round_trip(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    claims = [
        Claim.model_validate({**BASE_CLAIM, "nct_id": "NCT00000001", "why_stopped": ODD_BREAKS}),
        Claim.model_validate({**BASE_CLAIM, "nct_id": "NCT00000002", "headline": ODD_BREAKS * 2}),
    ]
    db = tmp_path / "odd.sqlite3"
    with ClaimsStore(db) as store:
        store.upsert_many(claims)
        stored = store.all()
    out = tmp_path / f"export.{'csv' if fmt == 'csv' else 'json'}"
    argv = ["claims", "--db", str(db), "export", "--out", str(out), "--format", fmt]
    assert run(capsys, *argv)[0] == 0
    assert read_claims_file(out) == stored
    fresh = tmp_path / "fresh.sqlite3"
    code, _, err = run(capsys, "claims", "--db", str(fresh), "import", str(out))
    assert code == 0, err
    with ClaimsStore(fresh) as store:
        assert [store.get(claim.key) for claim in stored] == stored


def test_csv_from_stdin_keeps_line_breaks_inside_cells(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (
        "nct_id,drug,target_symbol,disease_name,archetype,category,why_stopped\r\n"
        'NCT00000003,d,T,D,efficacy,Negative,"one\r\ntwo\rthree\u2028four"\r\n'
    )
    stdin(monkeypatch, text.encode())
    db = tmp_path / "stdin.sqlite3"
    code, _, err = run(capsys, "claims", "--db", str(db), "import", "-", "--format", "csv")
    assert code == 0, err
    with ClaimsStore(db) as store:
        stored = store.get("NCT00000003")
    assert stored is not None and stored.why_stopped == "one\r\ntwo\rthree\u2028four"


# --- strict JSON ---------------------------------------------------------------------------------


def test_a_duplicate_key_in_an_imported_object_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps({**BASE_CLAIM, "nct_id": "NCT00000004"})
    twice = json.dumps({**BASE_CLAIM, "nct_id": "NCT00000005"})[:-1] + ', "archetype": "efficacy"}'
    path = tmp_path / "dupe.jsonl"
    path.write_text(f"{good}\n{twice}\n", encoding="utf-8")
    code, _, err = run(capsys, "claims", "--db", str(tmp_path / "x.sqlite3"), "import", str(path))
    assert_one_line(code, err, "line 2", "duplicate key 'archetype'")
    array = tmp_path / "dupe.json"
    array.write_text(f"[{good}, {twice}]", encoding="utf-8")
    code, _, err = run(capsys, "claims", "--db", str(tmp_path / "x.sqlite3"), "import", str(array))
    assert_one_line(code, err, str(array), "duplicate key 'archetype'")


def test_a_duplicate_key_in_json_claim_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twice = json.dumps(BASE_CLAIM)[:-1] + ', "drug": "another"}'
    code, _, err = run(
        capsys, "claims", "--db", str(tmp_path / "x.sqlite3"), "add", "--json-claim", twice
    )
    assert_one_line(code, err, "--json-claim", "duplicate key 'drug'")


DEEP = "[" * 100_000


@pytest.mark.parametrize(
    "content",
    [
        DEEP,
        DEEP + "]" * 100_000,
        '{"drug": ' + DEEP,
        json.dumps({**BASE_CLAIM, "nct_id": "NCT00000011"}) + "\n" + DEEP,
        '{"a": ' * 100_000,
    ],
    ids=["open", "closed", "in-object", "second-line", "objects"],
)
def test_deeply_nested_json_is_bad_input_not_a_recursion_error(
    content: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "deep.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = run(capsys, "claims", "--db", str(tmp_path / "x.sqlite3"), "import", str(path))
    assert_one_line(code, err, "nested too deeply")


def test_deeply_nested_json_claim_and_csv_sources(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "x.sqlite3")
    code, _, err = run(capsys, "claims", "--db", db, "add", "--json-claim", DEEP)
    assert_one_line(code, err, "--json-claim", "nested too deeply")
    path = tmp_path / "deep.csv"
    path.write_text(
        f'drug,target_symbol,disease_name,archetype,category,sources\nd,T,D,efficacy,Negative,"{DEEP}"\n',
        encoding="utf-8",
    )
    code, _, err = run(capsys, "claims", "--db", db, "import", str(path))
    assert_one_line(code, err, "line 2", "sources", "nested too deeply")


# --- byte order marks ------------------------------------------------------------------------


def test_a_bom_is_accepted_from_stdin_as_from_a_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = json.dumps({**BASE_CLAIM, "nct_id": "NCT00000006"}) + "\n"
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + line.encode())
    db = str(tmp_path / "bom.sqlite3")
    assert run(capsys, "claims", "--db", db, "import", str(path))[0] == 0
    stdin(monkeypatch, b"\xef\xbb\xbf" + line.replace("6", "7").encode())
    code, _, err = run(capsys, "claims", "--db", db, "import", "-")
    assert code == 0, err
    stdin(monkeypatch, b"\xef\xbb\xbf" + line.replace("6", "8").encode())
    code, _, err = run(capsys, "claims", "--db", db, "add", "--json-claim", "-")
    assert code == 0, err
    with ClaimsStore(Path(db)) as store:
        for key in ("NCT00000006", "NCT00000007", "NCT00000008"):
            assert store.get(key) is not None, key


def test_stdin_that_is_not_utf8_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin(monkeypatch, b'{"drug": "\xff"}\n')
    code, _, err = run(capsys, "claims", "--db", str(tmp_path / "x.sqlite3"), "import", "-")
    assert_one_line(code, err, "<stdin>", "UTF-8")


# --- timestamps ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stamp", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"], ids=["over", "under"]
)
def test_an_out_of_range_timestamp_is_bad_input_naming_the_line(
    stamp: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = json.dumps({**BASE_CLAIM, "nct_id": "NCT00000009"})
    bad = json.dumps({**BASE_CLAIM, "nct_id": "NCT00000010", "created": stamp})
    path = tmp_path / "stamps.jsonl"
    path.write_text(f"{good}\n{bad}\n", encoding="utf-8")
    code, _, err = run(capsys, "claims", "--db", str(tmp_path / "x.sqlite3"), "import", str(path))
    assert_one_line(code, err, "line 2", "created", "out of range")
    with pytest.raises(BadInput, match="line 1: updated"):
        parse_claims(json.dumps({**BASE_CLAIM, "updated": stamp}), "jsonl")


# --- export never replaces anything but a regular file ---------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "export.sqlite3"
    ClaimsStore(path).close()
    return str(path)


KEPT = "keep me"


def kept_file(tmp_path: Path) -> Path:
    """A file a symlink points at, which an export must never overwrite."""
    victim = tmp_path / "victim.txt"
    victim.write_text(KEPT, encoding="utf-8")
    return victim


def refused_export(capsys: pytest.CaptureFixture[str], db: str, out: Path, what: str) -> None:
    code, stdout, err = run(capsys, "claims", "--db", db, "export", "--out", str(out))
    assert_one_line(code, err, str(out), what)
    assert stdout == ""
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


def test_export_refuses_to_replace_a_symlink(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    victim = kept_file(tmp_path)
    link = tmp_path / "link.jsonl"
    link.symlink_to(victim)
    refused_export(capsys, db, link, "symbolic link")
    assert link.is_symlink() and victim.read_text(encoding="utf-8") == KEPT


def test_export_refuses_to_replace_a_fifo(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    refused_export(capsys, db, fifo, "FIFO")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_export_refuses_to_replace_a_device(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    device = tmp_path / "null.jsonl"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD, which this user lacks")
    refused_export(capsys, db, device, "device")
    assert stat.S_ISCHR(os.lstat(device).st_mode)


def test_export_refuses_a_path_that_turns_into_a_symlink_before_the_rename(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked again right before the rename: a symlink planted while the file is written."""
    victim = kept_file(tmp_path)
    out = tmp_path / "claims.jsonl"
    real_fsync = os.fsync

    def plant_then_fsync(fd: int) -> None:
        out.symlink_to(victim)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", plant_then_fsync)
    refused_export(capsys, db, out, "symbolic link")
    assert out.is_symlink() and victim.read_text(encoding="utf-8") == KEPT


def test_export_replaces_a_regular_file_or_creates_a_new_one(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "old.jsonl"
    existing.write_text("old", encoding="utf-8")
    existing.chmod(0o600)
    assert run(capsys, "claims", "--db", db, "export", "--out", str(existing))[0] == 0
    assert (
        existing.read_text(encoding="utf-8") == ""
        and stat.S_IMODE(existing.stat().st_mode) == 0o600
    )
    new = tmp_path / "new" / "claims.csv"
    code, _, err = run(capsys, "claims", "--db", db, "export", "--out", str(new))
    assert code == 2 and "does not exist" in err and not new.parent.exists()  # a typo, no tree
    new.parent.mkdir()
    assert run(capsys, "claims", "--db", db, "export", "--out", str(new))[0] == 0
    assert new.read_text(encoding="utf-8").startswith("nct_id,")
    assert [claim_record(c) for c in read_claims_file(new)] == []


def test_opening_without_waiting_leaves_no_descriptor_when_the_file_object_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "list.txt").write_text("NCT05591222\n")
    closed: list[int] = []
    real_close = claim_files.os.close

    def failing_fdopen(*_: object, **__: object) -> None:
        raise OSError(24, "Too many open files")

    def noted_close(fd: int) -> None:
        closed.append(fd)
        real_close(fd)

    monkeypatch.setattr(claim_files.os, "fdopen", failing_fdopen)
    monkeypatch.setattr(claim_files.os, "close", noted_close)
    with pytest.raises(OSError, match="Too many open files"):
        claim_files.open_without_waiting(tmp_path / "list.txt")
    assert len(closed) == 1
