"""`drafter record`: fetch every upstream answer a draft of a trial needs and keep them, with
their provenance, as the trial's recording (drafter.sources.recorded), so the trial drafts
offline later.

The answers are gathered by running the evidence pipeline a draft runs (the bundle and the
assessment with the related claims' pairs) inside the HTTP client's recorder, which sees each
answer that parsed, from the network or the response cache. Any request that failed makes the
recording incomplete: the trial is then reported as failed and nothing of it is written.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

from drafter import __version__
from drafter.assessment import assess
from drafter.atomic_write import write_atomically
from drafter.claims import ClaimsStore
from drafter.config import Settings
from drafter.errors import BadInput, DrafterError, UpstreamError
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.sources.api import ApiRequest, ApiResponse
from drafter.sources.http import HttpClient
from drafter.sources.recorded import (
    RecordedAnswer,
    TrialRecording,
    read_recording,
    recording_files,
    recording_path,
)
from drafter.terminal import json_text

T = TypeVar("T")


class RecordingClient(HttpClient):
    """An HttpClient that also keeps every upstream failure, including those an optional
    evidence step turns into a gap: a recording with a gap a live draft would not have is
    not a recording of what the draft needs."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.failures: list[tuple[ApiRequest, UpstreamError]] = []
        self._failures_lock = threading.Lock()

    def fetch(self, request: ApiRequest, parse: Callable[[ApiResponse], T]) -> T:
        try:
            return super().fetch(request, parse)
        except UpstreamError as error:
            with self._failures_lock:
                self.failures.append((request, error))
            raise


class RecordFailed(DrafterError):
    """A trial could not be recorded whole; carries the exit code of its cause."""

    def __init__(self, message: str, cause: DrafterError) -> None:
        super().__init__(message)
        self.exit_code = cause.exit_code
        self.cause = cause


def record_trial(
    client: RecordingClient, store: ClaimsStore, nct_id: str, as_of: date
) -> TrialRecording:
    """Every answer a draft of `nct_id` asks for, or RecordFailed naming the first request that
    failed (or the error that stopped the pipeline)."""
    client.failures.clear()
    with client.recording() as answers:
        try:
            evidence = build_bundle(client, EvidenceQuery(nct_id=nct_id, as_of=as_of))
            assess(evidence, store, client=client)
        except DrafterError as error:
            raise RecordFailed(str(error), error) from None
    if client.failures:
        first = client.failures[0][1]
        more = len(client.failures) - 1
        also = f" (and {more} more failed request{'s' * (more > 1)})" if more else ""
        raise RecordFailed(f"{first}{also}", first)
    unique: dict[str, RecordedAnswer] = {}
    for request, response in answers:
        unique.setdefault(
            request.canonical(for_snapshot=True), RecordedAnswer.of(request, response)
        )
    return TrialRecording(
        nct_id=nct_id,
        recorded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        drafter_version=__version__,
        answers=list(unique.values()),
    )


def check_writable(root: Path) -> None:
    """BadInput unless recordings can be written in `root`: it, or the nearest folder above it
    that exists (the rest is created on the first save), is a directory drafter may write in.
    Checked before any request, so a mistyped --snapshot costs no fetch."""
    existing = root
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise BadInput(f"the recorded directory {root} cannot be made: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise BadInput(f"the recorded directory {root} cannot be written: {existing} is read-only")


def save_recording(root: Path, recording: TrialRecording) -> Path:
    """Write the recording as one file, atomically (a reader sees the old one or the new)."""
    path = recording_path(root, recording.nct_id)
    write_atomically(path, json_text(recording.model_dump(mode="json")) + "\n", create_parents=True)
    return path


@dataclass(frozen=True)
class RecordedTrial:
    """One line of `drafter record --list`."""

    nct_id: str
    recorded_at: str | None
    answers: int
    sources: dict[str, int]
    size: int
    path: Path
    problem: str | None = None


def list_recordings(root: Path) -> list[RecordedTrial]:
    """What `root` holds, one entry per recording file; a damaged one says what is wrong."""
    found = []
    for path in recording_files(root):
        size = path.stat().st_size
        try:
            recording = read_recording(path)
        except ValueError as problem:
            found.append(RecordedTrial(path.stem, None, 0, {}, size, path, str(problem)))
            continue
        sources: dict[str, int] = {}
        for answer in recording.answers:
            sources[answer.request.source] = sources.get(answer.request.source, 0) + 1
        found.append(
            RecordedTrial(
                recording.nct_id,
                recording.recorded_at,
                len(recording.answers),
                sources,
                size,
                path,
            )
        )
    return found
