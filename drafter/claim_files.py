"""Exchange formats of the claims table: JSON Lines, CSV and the seed file.

Dates are written as their `YYYY[-MM[-DD]]` strings. In CSV, `sources` is a JSON array of URLs
(URLs may contain ";"); on import a cell not starting with "[" is also accepted as a ";"-joined
list, and an empty cell means "not given" (the field's default).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, AnyStr, BinaryIO, Literal, TextIO

from pydantic import ValidationError

from drafter import strict_json
from drafter.errors import BadInput, first_problem
from drafter.models import Claim
from drafter.terminal import json_text

Format = Literal["jsonl", "csv", "json"]
FORMATS: dict[str, Format] = {"jsonl": "jsonl", "csv": "csv", "json": "json"}
_SUFFIXES: dict[str, Format] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
}

CLAIM_FIELDS: tuple[str, ...] = tuple(Claim.model_fields)
DATE_FIELDS: tuple[str, ...] = ("termination_posted", "primary_completion", "event_date_override")
TIMESTAMP_FIELDS: tuple[str, ...] = ("created", "updated")
BOM = "\ufeff"


def normalise_timestamp(text: str) -> str:
    """One spelling for stored timestamps (UTC, microseconds), so they sort as text; a timestamp
    without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not an ISO 8601 timestamp: {text!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC).isoformat(timespec="microseconds")
    except OverflowError:  # 9999-12-31T23:59:59-05:00 is after year 9999 in UTC
        raise ValueError(f"out of range once converted to UTC: {text!r}") from None


def claim_record(claim: Claim) -> dict[str, Any]:
    """The claim as a flat JSON-ready dict: dates as "YYYY-MM-DD" strings, every field present."""
    record = claim.model_dump(mode="json")
    for name in DATE_FIELDS:
        if record[name] is not None:
            record[name] = record[name]["value"]
    return record


def format_for(path: Path, explicit: str | None = None) -> Format:
    """The exchange format: as given, else by file extension (".json" reads as JSON Lines or,
    when it starts with "[", as one JSON array: see `parse_claims`)."""
    if explicit is not None:
        if explicit not in FORMATS:
            raise BadInput(f"unknown format {explicit!r}; use {', '.join(FORMATS)}")
        return FORMATS[explicit]
    fmt = _SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise BadInput(
            f"cannot tell the format of {path} from its extension; pass --format jsonl|csv|json"
        )
    return fmt


def read_claims_file(path: Path, fmt: Format | None = None) -> list[Claim]:
    """Every row of a claims file, validated; the first bad row raises BadInput naming its line."""
    fmt = fmt or format_for(path)
    return parse_claims(read_text_file(path, f"claims file {path}"), fmt, str(path))


def parse_claims(text: str, fmt: Format, name: str = "<input>") -> list[Claim]:
    """Validate every row before returning any, so an import is all or nothing. A key repeated
    in one file is an error: which row should win is the author's call, not ours. JSON input
    that starts with "[" is one array of claim records (what `claims export --json` writes);
    otherwise it is JSON Lines."""
    text = text.removeprefix(BOM)  # a UTF-8 byte order mark, from a file or from stdin
    if fmt == "csv":
        rows = _csv_rows(text, name)
    elif fmt == "json" or text.lstrip().startswith("["):
        rows = _json_array_rows(text, name)
    else:
        rows = _jsonl_rows(text, name)
    claims: list[Claim] = []
    seen: dict[str, str] = {}
    for where, data in rows:
        try:
            claim = Claim.model_validate(data)
            claim = _with_normal_timestamps(claim)
        except (ValidationError, ValueError) as error:
            raise BadInput(f"{name} {where}: {reason_of(error)}") from error
        if claim.key in seen:
            raise BadInput(
                f"{name} {where}: duplicate claim key {claim.key} (first on {seen[claim.key]})"
            )
        seen[claim.key] = where
        claims.append(claim)
    return claims


def _with_normal_timestamps(claim: Claim) -> Claim:
    stamps: dict[str, str] = {}
    for field in TIMESTAMP_FIELDS:
        value: str | None = getattr(claim, field)
        if value:
            try:
                stamps[field] = normalise_timestamp(value)
            except ValueError as error:
                raise ValueError(f"{field}: {error}") from None
    return claim.model_copy(update=stamps)


def _jsonl_rows(text: str, name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    # "\n" only: str.splitlines() also splits on U+2028, U+2029, U+0085 and others, which JSON
    # strings may hold raw (json.dumps with ensure_ascii=False writes them so).
    for line, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        where = f"line {line}"
        yield where, _object(load_json(raw, f"{name} {where}"), f"{name} {where}")


def _json_array_rows(text: str, name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    document = load_json(text, name)
    if not isinstance(document, list):
        raise BadInput(f"{name}: expected a JSON array of claims, got {type(document).__name__}")
    for index, item in enumerate(document, start=1):
        where = f"item {index}"
        yield where, _object(item, f"{name} {where}")


def load_json(text: str, where: str) -> Any:
    """One JSON document read strictly (drafter.strict_json), or BadInput saying where and
    what is wrong with it."""
    try:
        return strict_json.loads(text, float_sized_integers=True)
    except strict_json.JsonProblem as error:
        raise BadInput(f"{where}: {error}") from None


# The most a claims file may hold: a 100,000-claim export is about 60 MB. Input is read in a
# bounded way, so /dev/zero or a runaway pipe is refused instead of filling memory.
MAX_FILE_BYTES = 128 * 2**20
MAX_CLAIM_BYTES = 2**20  # one claim: its longest legal form is well under 200 KB


def read_text_file(path: Path, name: str, limit: int = MAX_FILE_BYTES) -> str:
    """A UTF-8 file read in a bounded way, or BadInput naming it (`name`) and the problem."""
    try:
        # bytes, then UTF-8: a CSV cell keeps its own line breaks ("\r\n" inside quotes)
        with open_without_waiting(path) as handle:
            return read_text_stream(handle, name, limit)
    except OSError as error:
        raise BadInput(f"cannot read {name}: {error.strerror or error}") from error


def open_without_waiting(path: Path) -> BinaryIO:
    """`path` open for blocking binary reads, opened without blocking: opening a FIFO no one
    writes to waits forever, while reading it gives end of file at once. A pipe with a writer
    (`--nct-file <(grep NCT list)`) is still read to its end."""
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)  # not left open when the file object cannot be made
        raise


def read_text_stream(handle: BinaryIO, name: str, limit: int = MAX_FILE_BYTES) -> str:
    """An open binary file read as UTF-8 text, at most `limit` bytes, or BadInput."""
    return _decoded(_read_bounded(handle, limit, name), name)


def read_stdin(name: str = "<stdin>", limit: int = MAX_FILE_BYTES) -> str:
    """All of stdin as text: UTF-8, a byte order mark dropped, and line breaks exactly as sent
    (text-mode stdin would turn "\r\n" inside a CSV cell into "\n")."""
    buffer: BinaryIO | None = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text-only stdin (embedding, tests): already decoded
        return _bounded(sys.stdin.read(limit + 1), limit, name).removeprefix(BOM)
    return _decoded(_read_bounded(buffer, limit, name), name).removeprefix(BOM)


def _read_bounded(handle: BinaryIO, limit: int, name: str) -> bytes:
    try:
        return _bounded(handle.read(limit + 1), limit, name)
    except OSError as error:
        raise BadInput(f"cannot read {name}: {error.strerror or error}") from error


def _bounded(data: AnyStr, limit: int, name: str) -> AnyStr:
    if len(data) > limit:
        raise BadInput(f"{name} is larger than {limit:,} bytes, more than drafter reads")
    return data


def _decoded(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadInput(f"{name}: not UTF-8 text ({error.reason} at byte {error.start})") from error


def _object(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BadInput(f"{where}: expected a JSON object, got {type(data).__name__}")
    return data


def _csv_rows(text: str, name: str) -> Iterator[tuple[str, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return
        header = [column.strip() for column in header]
        unknown = [column for column in header if column not in CLAIM_FIELDS]
        if unknown:
            raise BadInput(f"{name} line 1: unknown column(s): {', '.join(unknown)}")
        while True:
            line = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                return
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                raise BadInput(f"{name} line {line}: {len(cells)} cells but {len(header)} columns")
            yield f"line {line}", _csv_record(dict(zip(header, cells, strict=False)), name, line)
    except csv.Error as error:
        raise BadInput(f"{name} line {reader.line_num}: malformed CSV: {error}") from error


def _csv_record(cells: dict[str, str], name: str, line: int) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for column, cell in cells.items():
        if cell == "":
            if Claim.model_fields[column].is_required():
                record[column] = cell  # let validation say what is wrong with it
            continue
        record[column] = _csv_sources(cell, name, line) if column == "sources" else cell
    return record


def _csv_sources(cell: str, name: str, line: int) -> Any:
    if cell.lstrip().startswith("["):
        return load_json(cell, f"{name} line {line}: sources")
    return [part.strip() for part in cell.split(";") if part.strip()]


def write_claims(claims: Iterable[Claim], stream: TextIO, fmt: Format) -> int:
    """Write claims in an exchange format; returns how many were written. "json" is one JSON
    array of claim records (`claim_record`), the document `claims list --json` prints."""
    count = 0
    if fmt == "json":
        records = [claim_record(claim) for claim in claims]
        stream.write(json_text(records) + "\n")
        return len(records)
    if fmt == "jsonl":
        for claim in claims:
            stream.write(json_text(claim_record(claim), indent=None) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(stream, fieldnames=CLAIM_FIELDS, lineterminator="\n")
    writer.writeheader()
    for claim in claims:
        record = claim_record(claim)
        record["sources"] = json.dumps(record["sources"], ensure_ascii=False)
        writer.writerow({k: "" if v is None else v for k, v in record.items()})
        count += 1
    return count


def reason_of(error: Exception) -> str:
    """One line for the first problem of a validation error."""
    if not isinstance(error, ValidationError):
        return str(error)
    return first_problem(error, "row")
