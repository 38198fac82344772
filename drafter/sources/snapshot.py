"""The offline snapshot: recorded or reconstructed API answers, bundled in drafter/data/snapshot/
(or a directory of the same layout given as DRAFTER_SNAPSHOT_DIR).

Layout: one folder per source holding raw response bodies exactly as the API returns them, and a
`manifest.json` listing, per body, the request it answers and where its facts come from:

    {"entries": [{"request": {"method": "GET", "path": "/studies/NCT05591222", "params": {}},
                  "status": 200, "content_type": "application/json",
                  "file": "study_NCT05591222.json", "provenance": "…"}]}

GraphQL requests are matched on operation name and variables (`ApiRequest.canonical`).
"""

from __future__ import annotations

import threading
from importlib.resources.abc import Traversable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drafter import bundled
from drafter.errors import InternalError
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
    """Read-only lookup of recorded answers; manifests are parsed on first use. A damaged
    manifest or a missing body is an internal error naming the file: the snapshot ships with
    drafter (or was given by the user), it is not an upstream."""

    def __init__(self, root: Traversable | None = None) -> None:
        self.root: Traversable = root if root is not None else bundled.SNAPSHOT
        self._index: dict[str, tuple[Traversable, SnapshotEntry]] | None = None
        self._lock = threading.Lock()

    def describe(self, path: Traversable) -> str:
        """A snapshot file as messages name it: package-relative when bundled."""
        if self.root is bundled.SNAPSHOT:
            return bundled.display_name(path)
        return str(path)

    def entries(self) -> dict[str, tuple[Traversable, SnapshotEntry]]:
        with self._lock:
            if self._index is None:
                self._index = self._load()
            return self._index

    def _load(self) -> dict[str, tuple[Traversable, SnapshotEntry]]:
        index: dict[str, tuple[Traversable, SnapshotEntry]] = {}
        for source in SOURCE_NAMES:
            folder = self.root / source
            manifest_path = folder / "manifest.json"
            if not manifest_path.is_file():
                continue
            try:
                manifest = SnapshotManifest.model_validate_json(manifest_path.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, ValidationError) as error:
                raise InternalError(
                    f"snapshot manifest {self.describe(manifest_path)} is damaged: "
                    f"{' '.join(str(error).split())[:200]}"
                ) from None
            for entry in manifest.entries:
                request = ApiRequest(source=source, **entry.request.model_dump())
                index[request.canonical(for_snapshot=True)] = (folder, entry)
        return index

    def get(self, request: ApiRequest, url: str) -> ApiResponse | None:
        found = self.entries().get(request.canonical(for_snapshot=True))
        if found is None:
            return None
        folder, entry = found
        body_path = folder / entry.file
        try:
            text = body_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise InternalError(
                f"snapshot body {self.describe(body_path)} is missing or unreadable: {error}"
            ) from None
        return ApiResponse(
            status=entry.status,
            content_type=entry.content_type,
            text=text,
            url=url,
            origin="snapshot",
            fetched_at="snapshot",
            provenance=entry.provenance,
        )
