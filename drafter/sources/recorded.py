"""Trials recorded by `drafter record`: every upstream answer a draft of one trial needed, kept
in the user's recorded directory (Settings.recorded_dir) so offline mode can draft the trial
later. Offline reads them after the response cache and the bundled snapshot.

Layout: one file per trial, `NCT05591222.json`, holding a `TrialRecording`: when it was recorded
and each answer with its provenance (the request, the URL it came from, when it was fetched,
whether from the network or drafter's response cache, and the sha256 of the body, which is kept
verbatim). One file per trial is written with one rename, so a trial is recorded whole or not at
all, and recording one trial never rewrites another's answers.

A file that does not parse, or whose body no longer matches its sha256, is skipped with a
warning naming it: the user's files are not drafter's, and one damaged recording must not stop
every offline command.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from drafter.errors import first_problem
from drafter.sources.api import ApiRequest, ApiResponse

log = logging.getLogger(__name__)

RECORDING_FILE = re.compile(r"^NCT[0-9]{8}\.json$")


class RecordedAnswer(BaseModel):
    """One validated upstream answer and where it came from."""

    model_config = ConfigDict(extra="forbid")

    request: ApiRequest
    status: int
    content_type: str
    url: str
    fetched_at: str
    origin: Literal["network", "cache", "snapshot"]
    sha256: str
    body: str

    def intact(self) -> bool:
        return hashlib.sha256(self.body.encode()).hexdigest() == self.sha256

    @classmethod
    def of(cls, request: ApiRequest, response: ApiResponse) -> RecordedAnswer:
        return cls(
            request=request,
            status=response.status,
            content_type=response.content_type,
            url=response.url,
            fetched_at=response.fetched_at,
            origin=response.origin,
            sha256=hashlib.sha256(response.text.encode()).hexdigest(),
            body=response.text,
        )


class TrialRecording(BaseModel):
    """Everything recorded for one trial, in the order the answers were asked for."""

    model_config = ConfigDict(extra="forbid")

    format: Literal[1] = 1
    nct_id: str
    recorded_at: str
    drafter_version: str
    answers: list[RecordedAnswer]


def recording_path(root: Path, nct_id: str) -> Path:
    return root / f"{nct_id}.json"


def recording_files(root: Path) -> list[Path]:
    """The recording files in `root`, by name (a missing directory holds none; one that
    cannot be read is told once and holds none: recorded trials are an addition, offline
    work without them goes on)."""
    try:
        return sorted(p for p in root.iterdir() if RECORDING_FILE.match(p.name) and p.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as error:
        log.warning(
            "drafter: warning: recorded trials in %s cannot be read (%s); continuing without them",
            root,
            error.strerror or error,
        )
        return []


def read_recording(path: Path) -> TrialRecording:
    """A recording file, validated; ValueError (naming what is wrong) when it is damaged."""
    try:
        recording = TrialRecording.model_validate_json(path.read_bytes())
    except OSError as error:
        raise ValueError(f"cannot be read: {error.strerror or error}") from None
    except ValidationError as error:  # one line, not pydantic's report with the raw bytes
        raise ValueError(f"not a recording: {first_problem(error, 'the file')}") from None
    if recording.nct_id != path.stem:
        raise ValueError(f"it records {recording.nct_id}, not {path.stem}")
    damaged = next((a for a in recording.answers if not a.intact()), None)
    if damaged is not None:
        raise ValueError(f"the body of {damaged.request.describe()} does not match its sha256")
    return recording


class RecordedSnapshot:
    """Read-only lookup of the answers recorded in `root`, indexed on first use. Requests are
    matched as the bundled snapshot matches them (ApiRequest.canonical for the snapshot); when
    two recordings hold the same request, the later recording's answer is served."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._index: dict[str, tuple[TrialRecording, RecordedAnswer]] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, tuple[TrialRecording, RecordedAnswer]]:
        recordings: list[TrialRecording] = []
        for path in recording_files(self.root):
            try:
                recordings.append(read_recording(path))
            except ValueError as problem:
                log.warning(
                    "drafter: warning: recorded trial %s is damaged and was skipped (%s); "
                    "record the trial again",
                    path,
                    problem,
                )
        index: dict[str, tuple[TrialRecording, RecordedAnswer]] = {}
        for recording in sorted(recordings, key=lambda r: r.recorded_at):
            for answer in recording.answers:
                index[answer.request.canonical(for_snapshot=True)] = (recording, answer)
        return index

    def get(self, request: ApiRequest) -> ApiResponse | None:
        with self._lock:
            if self._index is None:
                self._index = self._load()
            found = self._index.get(request.canonical(for_snapshot=True))
        if found is None:
            return None
        recording, answer = found
        return ApiResponse(
            status=answer.status,
            content_type=answer.content_type,
            text=answer.body,
            url=answer.url,
            origin="snapshot",
            fetched_at=answer.fetched_at,
            provenance=(
                f"recorded by `drafter record {recording.nct_id}` at {recording.recorded_at} "
                f"(fetched from the {'response cache' if answer.origin == 'cache' else 'network'}"
                f" at {answer.fetched_at}; sha256 {answer.sha256[:12]}…)"
            ),
        )
