"""Data that ships inside the package (drafter/data/): the offline snapshot, the curated
reference facts and the seed claims. Read through importlib.resources, so an installed wheel
finds them wherever it lives; a damaged or missing file is drafter's fault (InternalError,
naming the file), never "upstream unavailable" or bad input."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from drafter import strict_json
from drafter.errors import InternalError

DATA: Traversable = files("drafter") / "data"
SNAPSHOT: Traversable = DATA / "snapshot"
CURATED_FACTS: Traversable = DATA / "curated_facts.json"
SEED_CLAIMS: Traversable = DATA / "seed_claims.jsonl"


def display_name(resource: Traversable) -> str:
    """How messages name a bundled file: relative to the package, never this machine's path."""
    return f"drafter/data/{_relative(resource)}"


def _relative(resource: Traversable) -> str:
    text = str(resource).replace("\\", "/")
    marker = "/drafter/data/"
    return text.split(marker, 1)[1] if marker in text else resource.name


def read_text(resource: Traversable) -> str:
    try:
        return resource.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InternalError(
            f"bundled file {display_name(resource)} is missing or unreadable ({error}); "
            "reinstall drafter"
        ) from None


def read_json(resource: Traversable) -> Any:
    try:
        return strict_json.loads(read_text(resource))
    except strict_json.JsonProblem as error:
        raise InternalError(
            f"bundled file {display_name(resource)} is damaged ({error}); reinstall drafter"
        ) from None
