"""`drafter record NCT_ID…`: fetch live (or from the response cache) every upstream answer a
draft of each trial needs, and keep them with their provenance (URL, request, fetched-at,
sha256) in the recorded directory, which offline mode reads after the bundled snapshot.
`drafter record --list` shows what is recorded.

Exit 0 when every trial was recorded; 1 when some were not (each failure is named on stderr
and nothing of that trial is written); 2 on bad input (a malformed NCT id, no id), or when
every trial failed for bad input (an unknown trial); 3 when a source was unavailable for every
trial."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from drafter.claims import open_store
from drafter.commands.common import DEADLINE, add_db_flag, given_path, write_json, write_stdout
from drafter.config import Settings, load_settings
from drafter.errors import EXIT_FINDINGS, EXIT_OK, BadInput
from drafter.snapshot_record import (
    RecordedTrial,
    RecordFailed,
    RecordingClient,
    check_writable,
    list_recordings,
    record_trial,
    save_recording,
)
from drafter.sources.api import SOURCE_NAMES
from drafter.sources.ctgov import normalise_nct_id
from drafter.terminal import output_width, tell, text_table


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "nct_ids", nargs="*", metavar="NCT_ID", help="ClinicalTrials.gov ids, e.g. NCT05591222"
    )
    parser.add_argument(
        "--snapshot",
        type=given_path,
        metavar="DIR",
        help="the recorded directory (default: DRAFTER_RECORDED_DIR or the user data dir)",
    )
    parser.add_argument("--list", action="store_true", help="show the trials recorded so far")
    add_db_flag(parser, "claims database the related claims are read from (default: DRAFTER_DB)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")


def run(args: argparse.Namespace) -> int:
    if args.list:
        if args.nct_ids:
            raise BadInput("--list takes no NCT ids: it shows every recorded trial")
        settings = load_settings({"recorded_dir": args.snapshot})
        if settings.recorded_dir.exists() and not settings.recorded_dir.is_dir():
            raise BadInput(f"the recorded directory {settings.recorded_dir} is not a directory")
        return _list(settings.recorded_dir, args.json)
    if not args.nct_ids:
        raise BadInput("name at least one NCT id to record (or --list to see what is recorded)")
    nct_ids = list(dict.fromkeys(normalise_nct_id(t) for t in args.nct_ids))  # all, before work
    settings = load_settings({"recorded_dir": args.snapshot, "db_path": args.db})
    if settings.offline:
        raise BadInput(
            "drafter record fetches from the sources; unset DRAFTER_OFFLINE (or set it to 0)"
        )
    check_writable(settings.recorded_dir)  # before any request, not after every fetch
    return _record(settings, nct_ids, args.json)


def _record(settings: Settings, nct_ids: list[str], as_json: bool) -> int:
    results: list[dict[str, object]] = []
    failures: list[RecordFailed] = []
    client = RecordingClient(settings)
    with client, open_store(settings) as store:
        for nct_id in nct_ids:
            try:
                with client.deadline(settings.command_deadline, DEADLINE):
                    recording = record_trial(client, store, nct_id, date.today())
            except RecordFailed as failure:
                failures.append(failure)
                tell(f"{nct_id} not recorded: {failure}")
                results.append({"nct_id": nct_id, "recorded": False, "error": str(failure)})
                continue
            path = save_recording(settings.recorded_dir, recording)
            sources: dict[str, int] = {}
            for answer in recording.answers:
                sources[answer.request.source] = sources.get(answer.request.source, 0) + 1
            results.append(
                {
                    "nct_id": nct_id,
                    "recorded": True,
                    "path": str(path),
                    "recorded_at": recording.recorded_at,
                    "answers": len(recording.answers),
                    "sources": sources,
                    "bytes": path.stat().st_size,
                }
            )
            if not as_json:
                write_stdout(
                    f"recorded {nct_id}: {len(recording.answers)} answers "
                    f"({_by_source(sources)}), {_size(path.stat().st_size)} → {path}\n"
                )
    if as_json:
        write_json({"recorded_dir": str(settings.recorded_dir), "trials": results})
    return _exit_code(len(nct_ids), failures)


def _exit_code(asked: int, failures: list[RecordFailed]) -> int:
    if not failures:
        return EXIT_OK
    codes = {f.exit_code for f in failures}
    if len(failures) == asked and len(codes) == 1:
        return codes.pop()  # every trial failed the same way: that way's code (2 or 3)
    return EXIT_FINDINGS


def _list(root: Path, as_json: bool) -> int:
    recorded = list_recordings(root)
    if as_json:
        write_json(
            {
                "recorded_dir": str(root),
                "trials": [
                    {
                        "nct_id": r.nct_id,
                        "recorded_at": r.recorded_at,
                        "answers": r.answers,
                        "sources": r.sources,
                        "bytes": r.size,
                        "path": str(r.path),
                        "problem": r.problem,
                    }
                    for r in recorded
                ],
            }
        )
        return EXIT_OK
    if not recorded:
        write_stdout(f"no trials recorded in {root}\n")
        return EXIT_OK
    # fitted to a terminal (or COLUMNS); piped or redirected, every cell whole
    rows = [_row(r) for r in recorded]
    header = ["trial", "recorded (UTC)", "answers", "size", "sources"]
    table = text_table(header, rows, width=output_width(sys.stdout))
    total = sum(r.size for r in recorded)
    intact = sum(1 for r in recorded if not r.problem)
    damaged = len(recorded) - intact
    skipped = f"; {damaged} damaged, skipped offline" if damaged else ""
    heading = f"{intact} trial{'s' * (intact != 1)} recorded in {root} ({_size(total)}{skipped})"
    write_stdout(f"{heading}\n{table}")
    for r in recorded:
        if r.problem:
            tell(f"warning: {r.path} is damaged ({r.problem}); record {r.nct_id} again")
    return EXIT_OK


def _row(trial: RecordedTrial) -> list[str]:
    if trial.problem:
        return [trial.nct_id, "damaged", "-", _size(trial.size), trial.problem]
    when = (trial.recorded_at or "").replace("T", " ").removesuffix("+00:00")
    return [trial.nct_id, when, str(trial.answers), _size(trial.size), _by_source(trial.sources)]


def _by_source(sources: dict[str, int]) -> str:
    return ", ".join(f"{SOURCE_NAMES[s]} {n}" for s, n in sources.items())


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / 1024 / 1024:.1f} MB"
