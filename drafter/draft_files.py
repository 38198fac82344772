"""Reading a draft directory back (draft.json, evidence.json, draft.md), for the reviewer tools
(`drafter verify`, `drafter diff`).

Which is which (`load_document`): a directory means its draft as the article stands (the
draft.md an editor changed, read back by drafter.edited_draft, else draft.json); a *.md file
that draft.md, against the draft.json beside it; any other file is a draft or an evidence
bundle by what it holds (a draft has a headline and sections, a bundle a trial and facts), so
a renamed copy works too. Every failure is one line and exit 2: a missing or unreadable file,
one too large (files are read in a bounded way: they may come from anyone), invalid JSON (an
integer no float can hold included: drafter.strict_json), JSON that is not a draft or a bundle
of this version, a draft and evidence of two different trials, a draft.md with no draft.json
beside it.

Only regular files are read, symlinks followed: a FIFO, a socket or a device is refused before
it is opened (reading a FIFO no one writes to waits forever, whatever the deadline), and so is
any path that resolves under /proc, /sys or /dev (a link to /proc/self/environ would put the
environment, secrets included, into a report). The file is opened without blocking and checked
again once open, so swapping it for a FIFO between the check and the open does not help.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from drafter import strict_json
from drafter.bundle import Bundle
from drafter.claim_files import MAX_FILE_BYTES, read_text_stream
from drafter.draft_model import Draft
from drafter.edited_draft import ArticleDraft, edited_draft
from drafter.errors import BadInput, first_problem

DRAFT_JSON = "draft.json"
EVIDENCE_JSON = "evidence.json"
DRAFT_MD = "draft.md"
REVIEW_HTML = "review.html"
MAX_MARKDOWN_BYTES = 4 * 2**20  # an article is tens of KB; an editor's file is bounded anyway
# Pseudo-filesystems: what resolves under them is the machine's state, never a draft file.
REFUSED_ROOTS = (Path("/proc"), Path("/sys"), Path("/dev"))

Model = TypeVar("Model", bound=BaseModel)
KINDS: dict[type[BaseModel], str] = {Draft: "draft", Bundle: "evidence bundle"}


def load_document(path: Path) -> Draft | Bundle:
    """What a path names, for a reviewer: a draft directory's draft as its article stands (the
    draft.md an editor changed, else draft.json), a draft.md (aligned to the draft.json beside
    it), or a draft.json / evidence.json file by its content. A draft read from draft.md is an
    ArticleDraft (drafter.edited_draft), whose read_from says so."""
    if path.is_dir():
        return load_draft_directory(path)
    if is_markdown(path):
        return load_markdown(path)
    document = _read(path)
    kind = _kind_of(document)
    if kind is None:
        raise BadInput(f"{path}: neither a draft.json nor an evidence.json")
    return _validated(document, kind, path)


def is_markdown(path: Path) -> bool:
    return path.suffix.casefold() in (".md", ".markdown")


def load_draft_directory(folder: Path) -> Draft:
    """The draft of a directory as its article stands: when its draft.md is no longer what
    draft.json renders to, an editor changed it, and that is the draft (an ArticleDraft read
    from it); else (or without a draft.md) draft.json."""
    file = folder / DRAFT_JSON
    if not os.path.lexists(file):
        raise BadInput(f"{folder} holds no {DRAFT_JSON}")
    draft = load_as(file, Draft)
    markdown_file = folder / DRAFT_MD
    if not os.path.lexists(markdown_file):
        return draft
    article = edited_draft(read_markdown(markdown_file), draft)
    return article if article.read_from == "draft.md (edited)" else draft


def load_markdown(path: Path) -> ArticleDraft:
    """A draft.md (edited or not), read as the Draft it holds: aligned to the draft.json of its
    directory, whose citations its paragraphs keep."""
    file = path.parent / DRAFT_JSON
    if not os.path.lexists(file):
        raise BadInput(
            f"{path}: no {DRAFT_JSON} beside it; a draft.md is read against the draft.json it "
            "was rendered from"
        )
    markdown = read_markdown(path)
    return edited_draft(markdown, load_as(file, Draft))


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
    return read_regular_file(path, MAX_MARKDOWN_BYTES)


def read_regular_file(path: Path, limit: int = MAX_FILE_BYTES) -> str:
    """A regular file's UTF-8 text, at most `limit` bytes, or BadInput saying why not (see the
    module docstring for what is refused)."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop (Python 3.11)
        raise BadInput(f"cannot read {path}: {_reason(error)}") from None
    for root in REFUSED_ROOTS:
        if resolved.is_relative_to(root):
            raise BadInput(f"{path}: resolves to {resolved}, under {root}: not a draft file")
    try:
        _require_regular(path, os.stat(path).st_mode)
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
        with os.fdopen(descriptor, "rb") as handle:
            _require_regular(path, os.fstat(descriptor).st_mode)
            return read_text_stream(handle, str(path), limit)
    except OSError as error:
        raise BadInput(f"cannot read {path}: {_reason(error)}") from None


def _require_regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        raise BadInput(f"{path}: not a regular file ({_file_type(mode)}); drafter reads files only")


def _file_type(mode: int) -> str:
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((name for test, name in kinds if test(mode)), "not a file")


def _reason(error: BaseException) -> str:
    return (error.strerror if isinstance(error, OSError) else None) or str(error)


def _read(file: Path) -> Any:
    text = read_regular_file(file)
    try:
        return strict_json.loads(text, float_sized_integers=True)
    except strict_json.JsonProblem as error:
        raise BadInput(f"{file}: {error}") from None


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
        raise BadInput(f"{file}: not a valid {_kind(model)} ({first_problem(error)})") from None
    except OverflowError:  # a validator's float() of a number (integers are bounded on reading)
        raise BadInput(f"{file}: not a valid {_kind(model)} (a number out of range)") from None


def _kind(model: type[BaseModel]) -> str:
    return KINDS.get(model, model.__name__)
