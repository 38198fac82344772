"""`drafter claims list|add|delete KEY|import FILE|export [--json]`: read and maintain the
claims table the MRS uses.

Data goes to stdout (the table, JSON, an export); progress notes go to stderr, so
`drafter claims export > backup.jsonl` stays a clean file.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import get_args

from drafter.atomic_write import write_atomically
from drafter.claim_files import (
    FORMATS,
    MAX_CLAIM_BYTES,
    Format,
    claim_record,
    format_for,
    load_json,
    parse_claims,
    read_claims_file,
    read_stdin,
    write_claims,
)
from drafter.claims import ClaimsStore, normalise_key, open_store
from drafter.commands.common import given_path
from drafter.config import load_settings
from drafter.errors import BadInput
from drafter.evidence.aliases import EntityKind, name_index
from drafter.models import Claim, claim_problems
from drafter.rulebook import Archetype
from drafter.terminal import fitted_table, json_text, output_width, tell


def configure(parser: argparse.ArgumentParser) -> None:
    db_help = "claims database file (default: DRAFTER_DB, the config file, or the user data dir)"
    parser.add_argument("--db", type=given_path, default=None, metavar="PATH", help=db_help)
    sub = parser.add_subparsers(dest="claims_command", required=True, metavar="SUBCOMMAND")

    listing = sub.add_parser("list", help="Show claims, optionally filtered.")
    listing.add_argument("--target", help="target symbol or Ensembl id (any case)")
    listing.add_argument("--disease", help="disease name or ontology id (EFO_… or EFO:…)")
    listing.add_argument(
        "--archetype",
        choices=get_args(Archetype),
        metavar="ARCHETYPE",  # the choices in the help, so the usage line fits 80 columns
        help=f"only this archetype: {', '.join(get_args(Archetype))}",
    )
    listing.add_argument("--json", action="store_true", help="one JSON list on stdout")

    add = sub.add_parser("add", help="Add or update one claim (upsert by its key).")
    add.add_argument(
        "--json-claim",
        required=True,
        metavar="JSON",
        help="the claim as a JSON object with Claim's fields; '-' reads it from stdin",
    )
    add.add_argument("--json", action="store_true", help="print the stored claim as JSON")

    delete = sub.add_parser("delete", help="Delete one claim (kept in the audit table).")
    delete.add_argument("key", metavar="KEY", help="NCT id, or drug|target|disease")
    delete.add_argument("--json", action="store_true", help="print the deleted claim as JSON")

    imports = sub.add_parser(
        "import", help="Upsert every claim of a JSONL, JSON-array or CSV file, or none."
    )
    imports.add_argument("file", metavar="FILE", help="claims file; '-' reads stdin")
    imports.add_argument("--format", choices=FORMATS, help="default: from the file extension")
    imports.add_argument("--json", action="store_true", help="print a JSON summary")

    export = sub.add_parser("export", help="Write every claim as JSONL (default), CSV or JSON.")
    export.add_argument("--format", choices=FORMATS, help="default: from --out, else jsonl")
    export.add_argument("--json", action="store_true", help="one JSON array (--format json)")
    export.add_argument("--out", type=given_path, metavar="FILE", help="write here (atomically)")

    for child in (listing, add, delete, imports, export):
        # SUPPRESS: an unset --db after the subcommand must not overwrite one given before it.
        child.add_argument(
            "--db", type=given_path, default=argparse.SUPPRESS, metavar="PATH", help=db_help
        )


def run(args: argparse.Namespace) -> int:
    command: str = args.claims_command
    if command == "import":
        # Validate the whole file before touching the database: a bad file changes nothing.
        claims = _read_import(args.file, args.format)
        with _open(args) as store:
            count = store.upsert_many(claims, keep_timestamps=True)
            _note(f"imported {_counted(count)} into {store.path}")
            if args.json:
                _print_json({"imported": count, "db": str(store.path)})
        return 0
    with _open(args) as store:
        if command == "list":
            return _list(store, args)
        if command == "add":
            return _add(store, args)
        if command == "delete":
            return _delete(store, args)
        return _export(store, args)


def _open(args: argparse.Namespace) -> ClaimsStore:
    return open_store(load_settings({"db_path": args.db}))


def _list(store: ClaimsStore, args: argparse.Namespace) -> int:
    claims = _filtered(store, args)
    if args.json:
        write_claims(claims, sys.stdout, "json")
        return 0
    if claims:
        sys.stdout.write(render_table(claims, width=output_width(sys.stdout)))
    _note(f"{_counted(len(claims))} in {store.path}")
    return 0


def _filtered(store: ClaimsStore, args: argparse.Namespace) -> list[Claim]:
    """Claims of the --target and --disease as editors type them, matched the way `drafter
    mrs` resolves them: a symbol, synonym or abbreviation stands for every name (and the id)
    of what it names. A name that matches nothing but resembles known names lists them."""
    given: tuple[tuple[EntityKind, str | None], ...] = (
        ("target", args.target),
        ("disease", args.disease),
    )
    typed = {kind: text for kind, text in given if text is not None}
    if not typed:
        return store.query(archetype=args.archetype)
    names = name_index(load_settings({"db_path": args.db}).snapshot_dir)
    wanted = {kind: names.names_for(kind, text) for kind, text in typed.items()}
    claims = store.query(
        target=wanted.get("target"), disease=wanted.get("disease"), archetype=args.archetype
    )
    for kind, text in typed.items():
        if not claims and names.resolve(kind, text) is None:
            resembling = names.not_a_name(kind, text)
            if resembling is not None:
                raise resembling
    return claims


def _add(store: ClaimsStore, args: argparse.Namespace) -> int:
    text = read_stdin(limit=MAX_CLAIM_BYTES) if args.json_claim == "-" else args.json_claim
    data = load_json(text, "--json-claim")
    if not isinstance(data, dict):
        raise BadInput("--json-claim must be a JSON object")
    data = {k: v for k, v in data.items() if k not in ("created", "updated")}  # store-owned
    problems = claim_problems(data)
    if len(problems) == 1:
        raise BadInput(f"--json-claim: {problems[0]}")
    if problems:  # every one, a line each, so the editor fixes them in one go
        for problem in problems:
            tell(f"--json-claim: {problem}")
        raise BadInput(
            f"--json-claim: {len(problems)} problems, nothing stored (`drafter claims add "
            "--help` lists the fields and their values)"
        )
    claim = Claim.model_validate(data)
    existed = store.get(claim.key) is not None
    stored = store.upsert(claim)
    _note(f"{'updated' if existed else 'added'} claim {stored.key}")
    if args.json:
        _print_json(claim_record(stored))
    return 0


def _delete(store: ClaimsStore, args: argparse.Namespace) -> int:
    record = store.delete(args.key)
    if record is None:
        raise BadInput(f"no claim with key {args.key!r} in {store.path}")
    _note(f"deleted claim {normalise_key(args.key)} (kept in the audit table claim_deletions)")
    if args.json:
        _print_json(record)
    return 0


def _export(store: ClaimsStore, args: argparse.Namespace) -> int:
    out: Path | None = args.out
    if args.json and args.format not in (None, "json"):
        raise BadInput(f"--json and --format {args.format} ask for two formats; give one")
    fmt: Format = "jsonl"
    if args.json:
        fmt = "json"
    elif args.format is not None:
        fmt = format_for(Path("-"), args.format)
    elif out is not None and out.suffix.lower() == ".csv":
        fmt = "csv"
    buffer = io.StringIO(newline="")
    count = write_claims(store.all(), buffer, fmt)
    if out is None:
        sys.stdout.write(buffer.getvalue())
    else:
        write_atomically(out, buffer.getvalue())
        _note(f"exported {_counted(count)} to {out}")
    return 0


def _read_import(file: str, fmt_flag: str | None) -> list[Claim]:
    if file == "-":
        fmt = format_for(Path("-"), fmt_flag or "jsonl")
        return parse_claims(read_stdin(), fmt, "<stdin>")
    path = Path(file)
    return read_claims_file(path, format_for(path, fmt_flag))


def render_table(claims: Sequence[Claim], *, width: int | None = None) -> str:
    """Aligned plain-text table, one claim a line, every cell whole; when it does not fit
    `width` (a terminal's), one wrapped line a claim instead, so no key is cut."""
    header = (
        "NCT",
        "DRUG",
        "TARGET",
        "DISEASE",
        "PHASE",
        "ARCHETYPE",
        "CATEGORY",
        "EVENT",
        "STATUS",
    )
    rows: list[tuple[str, ...]] = []
    for claim in claims:
        event = claim.event_date
        cells = (
            claim.nct_id or "-",
            claim.drug,
            claim.target_symbol,
            claim.disease_name,
            claim.phase or "-",
            claim.archetype,
            claim.category or "-",
            event.value if event else "-",
            claim.status,
        )
        rows.append(cells)
    return fitted_table(header, rows, width)


def _counted(count: int) -> str:
    return f"{count} claim" if count == 1 else f"{count} claims"


def _print_json(document: object) -> None:
    sys.stdout.write(json_text(document) + "\n")


def _note(message: str) -> None:
    tell(message)
