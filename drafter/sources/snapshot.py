"""The bundled offline snapshot: recorded or reconstructed API answers under fixtures/snapshot/.

Layout: one folder per source holding raw response bodies exactly as the API returns them, and a
`manifest.json` listing, per body, the request it answers and where its facts come from:

    {"entries": [{"request": {"method": "GET", "path": "/studies/NCT05591222", "params": {}},
                  "status": 200, "content_type": "application/json",
                  "file": "study_NCT05591222.json", "provenance": "…"}]}

GraphQL requests are matched on operation name and variables (`ApiRequest.canonical`).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drafter.errors import MalformedResponse
from drafter.sources.api import SOURCE_NAMES, ApiRequest, ApiResponse


class SnapshotRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["GET", "POST"] = "GET"
    path: str = ""
    params: dict[str, str] = Field(default_factory=dict)
    json_body: dict[str, Any] | None = None


class SnapshotEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request: SnapshotRequest
    status: int = 200
    content_type: str = "application/json"
    file: str
    provenance: str


class SnapshotManifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = ""
    entries: list[SnapshotEntry]


class Snapshot:
    """Read-only lookup of recorded answers; manifests are parsed on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._index: dict[str, tuple[Path, SnapshotEntry]] | None = None
        self._lock = threading.Lock()

    def entries(self) -> dict[str, tuple[Path, SnapshotEntry]]:
        with self._lock:
            if self._index is None:
                self._index = self._load()
            return self._index

    def _load(self) -> dict[str, tuple[Path, SnapshotEntry]]:
        index: dict[str, tuple[Path, SnapshotEntry]] = {}
        for source in SOURCE_NAMES:
            manifest_path = self.root / source / "manifest.json"
            if not manifest_path.is_file():
                continue
            try:
                manifest = SnapshotManifest.model_validate_json(manifest_path.read_text("utf-8"))
            except (OSError, ValidationError) as error:
                raise MalformedResponse(
                    f"snapshot manifest {manifest_path} is invalid: {error}"
                ) from error
            for entry in manifest.entries:
                request = ApiRequest(source=source, **entry.request.model_dump())
                index[request.canonical(for_snapshot=True)] = (manifest_path.parent, entry)
        return index

    def get(self, request: ApiRequest, url: str) -> ApiResponse | None:
        found = self.entries().get(request.canonical(for_snapshot=True))
        if found is None:
            return None
        folder, entry = found
        body_path = folder / entry.file
        try:
            text = body_path.read_text(encoding="utf-8")
        except OSError as error:
            raise MalformedResponse(f"snapshot body {body_path} unreadable: {error}") from error
        return ApiResponse(
            status=entry.status,
            content_type=entry.content_type,
            text=text,
            url=url,
            origin="snapshot",
            fetched_at="snapshot",
            provenance=entry.provenance,
        )
