"""Reading a draft directory back (draft.json, evidence.json, draft.md), for the reviewer tools
(`drafter verify`, `drafter diff`).

Which is which: a directory means its draft.json; a file is a draft or an evidence bundle by
what it holds (a draft has a headline and sections, a bundle a trial and facts), so a renamed
copy works too. Every failure is one line and exit 2: a missing or unreadable file, one too
large (files are read in a bounded way: they may come from anyone), invalid JSON, JSON that is
not a draft or a bundle of this version, a draft and evidence of two different trials.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from drafter.bundle import Bundle
from drafter.claim_files import load_json, read_text_file
from drafter.draft_model import Draft
from drafter.errors import BadInput, first_problem

DRAFT_JSON = "draft.json"
EVIDENCE_JSON = "evidence.json"
DRAFT_MD = "draft.md"
REVIEW_HTML = "review.html"
MAX_MARKDOWN_BYTES = 4 * 2**20  # an article is tens of KB; an editor's file is bounded anyway

Model = TypeVar("Model", bound=BaseModel)
KINDS: dict[type[BaseModel], str] = {Draft: "draft", Bundle: "evidence bundle"}


def load_document(path: Path) -> Draft | Bundle:
    """A draft directory's draft.json, or a draft.json / evidence.json file by its content."""
    file = path / DRAFT_JSON if path.is_dir() else path
    if path.is_dir() and not file.is_file():
        raise BadInput(f"{path} holds no {DRAFT_JSON}")
    document = _read(file)
    kind = _kind_of(document)
    if kind is None:
        raise BadInput(f"{file}: neither a draft.json nor an evidence.json")
    return _validated(document, kind, file)


def load_as(file: Path, model: type[Model]) -> Model:
    """`file` as a draft or a bundle, or BadInput saying why it is not one."""
    return _validated(_read(file), model, file)


def same_trial(a: Draft | Bundle, b: Draft | Bundle, a_label: str, b_label: str) -> None:
    if a.nct_id != b.nct_id:
        raise BadInput(
            f"{a_label} is about {a.nct_id} but {b_label} about {b.nct_id}: "
            "compare two files of one trial"
        )


def draft_folder(path: Path) -> Path:
    """The directory a path names or lies in: a draft directory, or a file inside one."""
    if path.is_dir():
        return path
    if not path.exists():
        raise BadInput(f"no such draft directory or file: {path}")
    return path.parent


def load_pair(folder: Path) -> tuple[Draft, Bundle]:
    """draft.json and evidence.json of one directory, checked to be of one trial."""
    draft = load_as(folder / DRAFT_JSON, Draft)
    evidence = load_as(folder / EVIDENCE_JSON, Bundle)
    same_trial(draft, evidence, str(folder / DRAFT_JSON), str(folder / EVIDENCE_JSON))
    return draft, evidence


def read_markdown(path: Path) -> str:
    """An article an editor may have changed, read in a bounded way."""
    return read_text_file(path, str(path), MAX_MARKDOWN_BYTES)


def _read(file: Path) -> Any:
    return load_json(read_text_file(file, str(file)), str(file))


def _kind_of(document: Any) -> type[Draft] | type[Bundle] | None:
    if isinstance(document, dict):
        if {"headline", "sections"} <= document.keys():
            return Draft
        if {"trial", "facts"} <= document.keys():
            return Bundle
    return None


def _validated(document: Any, model: type[Model], file: Path) -> Model:
    try:
        return model.model_validate(document)
    except ValidationError as error:
        kind = KINDS.get(model, model.__name__)
        raise BadInput(f"{file}: not a valid {kind} ({first_problem(error)})") from None
