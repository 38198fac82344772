"""draft.md rendered from the Draft with Jinja2: YAML front matter for a CMS, the article in the
reference's order, every fact paragraph followed by the numbers of the sources its cited facts
come from and its evidence grade, background and editor notes visibly marked."""

from __future__ import annotations

import html
import json
import re
from importlib.resources import files

import jinja2

from drafter.draft_model import Draft, SourceNumbers
from drafter.errors import InternalError
from drafter.terminal import safe_text

TEMPLATES = files("drafter") / "templates"


def _load(name: str) -> tuple[str, str, object]:
    try:
        return TEMPLATES.joinpath(name).read_text(encoding="utf-8"), name, lambda: True
    except (OSError, UnicodeDecodeError) as error:
        raise InternalError(f"template {name} is missing or unreadable: {error}") from None


_ENV = jinja2.Environment(
    loader=jinja2.FunctionLoader(_load),  # type: ignore[arg-type]
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # Markdown, escaped by the `md` filter where source text goes in
    keep_trailing_newline=True,
    trim_blocks=False,
)


# Characters that Markdown (CommonMark and GFM tables) would read as markup inside a line.
_MARKUP = re.compile(r"([\\`*_\[\]|~])")
# What would open a heading, quote, list or rule at the start of a line.
_LINE_START = re.compile(r"^(#|>|[-+=])")
_LIST_NUMBER = re.compile(r"^(\d+)([.)])")  # "1." opens a list; "1\." does not


def markdown_text(text: str) -> str:
    """Prose for Markdown, on one line: HTML shown as text, never markup, and every Markdown
    markup character escaped, so a source's "**" or "[link](…)" or "|" is printed as
    written and can neither format the article nor break the MRS table. Control characters
    and bidi overrides are dropped (drafter.terminal.safe_text): `cat draft.md` must not run
    a source's or a model's escape sequences, nor a NUL make the file binary to grep and git."""
    flat = " ".join(safe_text(str(text)).split())
    escaped = _LINE_START.sub(r"\\\1", _MARKUP.sub(r"\\\1", flat))
    escaped = _LIST_NUMBER.sub(r"\1\\\2", escaped)
    return html.escape(escaped, quote=False)


def yaml_value(value: object) -> str:
    """A front-matter value: JSON is valid YAML, and quoting makes any string safe."""
    return json.dumps(value, ensure_ascii=False)


_ENV.filters["md"] = markdown_text
_ENV.filters["yaml"] = yaml_value


def render_markdown(draft: Draft) -> str:
    """The article; `cite(ids)` appends the source numbers of the cited facts: " [1][3]"."""
    sources = SourceNumbers(draft)

    def cite(ids: list[str]) -> str:
        numbers = sources.of(ids)
        return (" " + "".join(f"[{n}]" for n in numbers)) if numbers else ""

    try:
        return _ENV.get_template("article.md.j2").render(draft=draft, cite=cite)
    except jinja2.TemplateError as error:
        raise InternalError(f"template article.md.j2: {error}") from None
