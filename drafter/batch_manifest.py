"""OUT/NCT_ID/manifest.json: the record that a batch finished a trial, and with what inputs.

It is written last, after the four draft files (drafter.draft_run writes them as one atomic
set), so a manifest that is present, valid and matching its files means the trial is complete;
anything else means it is redone. A kill at any moment leaves no half-written file (every file
is a temp file renamed into place) and at worst a trial without a manifest.

Resume rule (what `drafter batch` run again skips, without asking any source):
* the manifest parses and is about this trial;
* its run parameters equal this run's: drafter version, writer, model, as_of, the sha256 of
  every prompt template and the MRS parameter hash (`RunParameters`);
* draft.json and evidence.json have the sha256 it recorded (a deleted, truncated or replaced
  file is redone), and draft.md and review.html exist (an editor may have edited draft.md:
  that is not a reason to overwrite it).
Sources are not re-read for that check. With --refresh a trial is fetched and assessed again
and redone only when its input hash (the run parameters and the sha256 of every source record
of its evidence, the claims it was scored with included) differs from the manifest's.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drafter import __version__, classify, classify_learned, rulebook, stop_stance, stop_words_fuzzy
from drafter.atomic_write import leftover_tag, write_atomically
from drafter.bundle import Bundle
from drafter.draft_files import DRAFT_JSON, EVIDENCE_JSON
from drafter.draft_run import DRAFT_FILES
from drafter.mrs import DEFAULT_PARAMS
from drafter.prompting import template_hash, templates_of
from drafter.sections import model_sections
from drafter.terminal import json_text
from drafter.writers.base import Writer

MANIFEST = "manifest.json"
# Files whose bytes must be as written (the canonical record and its evidence); the renderings
# need only exist.
HASHED_FILES = (DRAFT_JSON, EVIDENCE_JSON)
MAX_MANIFEST_BYTES = 1 << 20


class RunParameters(BaseModel):
    """What a draft depends on besides its sources, known before any trial is fetched."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    drafter_version: str
    writer: str
    model: str
    as_of: str
    templates: dict[str, str] = Field(description="prompt template path → sha256")
    mrs_params_hash: str
    classifier_hash: str = Field(
        description="sha256 of the stop-reason rules and learned weights (classifier_digest)"
    )

    @classmethod
    def of(cls, writer: Writer, as_of: str) -> RunParameters:
        names = sorted(
            {n for s in model_sections() if s.template for n in templates_of(s.template)}
        )
        return cls(
            drafter_version=__version__,
            writer=writer.name,
            model=writer.model,
            as_of=as_of,
            templates={name: template_hash(name) for name in names},
            mrs_params_hash=DEFAULT_PARAMS.digest(),
            classifier_hash=classifier_digest(),
        )

    def difference(self, other: RunParameters) -> str | None:
        """The first parameter that differs, as 'as_of 2026-05-20 → 2026-06-01'; None if none."""
        mine, theirs = self.model_dump(), other.model_dump()
        for name in type(self).model_fields:
            if mine[name] != theirs[name]:
                if name == "templates":
                    changed = sorted(set(mine[name].items()) ^ set(theirs[name].items()))
                    return f"prompt template {changed[0][0]} changed"
                if name == "classifier_hash":
                    return "the stop-reason classifier changed"
                return f"{name} {theirs[name]} → {mine[name]}"
        return None


@functools.cache
def classifier_digest() -> str:
    """sha256 of what decides a stop's archetype besides the text: the learned weights and the
    rules' own source (drafter.classify and the modules it reads), so a retrained model or a
    changed rule is a changed parameter, as a changed prompt is."""
    digest = hashlib.sha256(classify_learned.MODEL_FILE.read_bytes())
    for module in (classify, rulebook, stop_stance, stop_words_fuzzy):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()


def input_hash(parameters: RunParameters, sources: dict[str, str]) -> str:
    """sha256 over the run parameters and every source record's sha256."""
    document = {"parameters": parameters.model_dump(), "sources": dict(sorted(sources.items()))}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def sources_of(bundle: Bundle) -> dict[str, str]:
    """Source record id → sha256, as draft.json's provenance lists them."""
    return {source.id: source.sha256 for source in bundle.sources}


TrialStatus = Literal["drafted", "needs_editor"]


class ManifestOutcome(BaseModel):
    """How the trial's draft came out, so a later run that skips it can still report it."""

    status: TrialStatus
    needs_editor: list[str] = Field(default_factory=list)
    anchors_failing: int = 0
    tokens: int = 0
    cost_usd: float | None = None
    seconds: float = 0.0


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    schema_version: Literal[1] = 1
    nct_id: str
    input_hash: str
    parameters: RunParameters
    sources: dict[str, str] = Field(description="source record id → sha256 of its body")
    files: dict[str, str] = Field(description="file name → sha256 of the bytes written")
    outcome: ManifestOutcome


@dataclass(frozen=True)
class Completeness:
    """Whether a trial's folder holds a finished draft for this run, and if not, why not."""

    manifest: Manifest | None
    reason: str | None  # None: complete

    @property
    def complete(self) -> bool:
        return self.manifest is not None and self.reason is None


def check(folder: Path, nct_id: str, parameters: RunParameters) -> Completeness:
    """The resume rule of this module's docstring, for one trial folder."""
    manifest = read_manifest(folder / MANIFEST, nct_id)
    if manifest is None:
        return Completeness(None, "no finished draft")
    changed = parameters.difference(manifest.parameters)
    if changed is not None:
        return Completeness(manifest, f"drafted with other parameters ({changed})")
    for name in DRAFT_FILES:
        if not (folder / name).is_file():
            return Completeness(manifest, f"{name} is missing")
    for name in HASHED_FILES:
        if file_sha256(folder / name) != manifest.files.get(name):
            return Completeness(manifest, f"{name} is not the file the draft wrote")
    return Completeness(manifest, None)


def read_manifest(path: Path, nct_id: str) -> Manifest | None:
    """The manifest at `path` if it is one of this trial; None when absent or unusable."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_MANIFEST_BYTES:
        return None
    try:
        manifest = Manifest.model_validate_json(data)
    except ValidationError:
        return None
    return manifest if manifest.nct_id == nct_id else None


def file_sha256(path: Path) -> str | None:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 16), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def write_manifest(folder: Path, manifest: Manifest) -> None:
    write_atomically(folder / MANIFEST, json_text(manifest.model_dump(mode="json")) + "\n")


def forget(folder: Path) -> None:
    """Before a trial is drafted again: its manifest goes first (until the new one is written
    the trial counts as unfinished, whatever happens), and so do temp and backup files an
    earlier run killed mid-write left beside the draft files."""
    with suppress(FileNotFoundError):
        os.unlink(folder / MANIFEST)
    if not folder.is_dir():
        return
    names = (*DRAFT_FILES, MANIFEST)
    for entry in folder.iterdir():
        litter = leftover_tag(entry.name, names) is not None  # whoever left it: OUT is ours
        if litter and entry.is_file() and not entry.is_symlink():
            with suppress(OSError):
                entry.unlink()
