"""Render a section's prompt from prompts/ (installed as drafter.prompts) with Jinja2.

StrictUndefined: a template naming a value the pipeline does not pass fails at once instead of
printing nothing. Untrusted source text (whyStopped, titles, outcome measures, curated notes,
conflict notes) appears only inside a fence whose delimiter is random per request, so text in
the data cannot close the fence, and the system message declares everything inside it data.
Every rendering records the hash of each template it used.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from importlib.resources import files
from typing import Any

import jinja2
from pydantic import BaseModel

from drafter.errors import InternalError
from drafter.facts import Fact
from drafter.writers.base import Message

PROMPTS = files("drafter.prompts")
SYSTEM = "system.j2"


class Fence(BaseModel):
    """The per-request delimiters around untrusted data."""

    open: str
    close: str

    @classmethod
    def new(cls) -> Fence:
        token = secrets.token_hex(6)
        return cls(open=f"<<DATA {token}>>", close=f"<<END DATA {token}>>")

    def scrub(self, text: str) -> str:
        """Data never holds the delimiters (it cannot guess them, but be sure)."""
        return text.replace(self.open, "").replace(self.close, "")


class FactRow(BaseModel):
    """One line of a prompt's facts table."""

    handle: str
    label: str
    value: str
    unit: str | None
    qualifier: str | None
    precision: str | None
    source: str
    untrusted: bool


class RenderedPrompt(BaseModel):
    messages: list[Message]
    template_hashes: dict[str, str]  # template path → sha256 of its source


def _load(name: str) -> tuple[str, str, Any]:
    resource = PROMPTS.joinpath(*name.split("/"))
    try:
        source = resource.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InternalError(f"prompt template {name} is missing or unreadable: {error}") from None
    return source, name, lambda: True


_ENV = jinja2.Environment(
    loader=jinja2.FunctionLoader(_load),
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # plain text for a model, not HTML
    keep_trailing_newline=True,
)


@functools.lru_cache(maxsize=64)
def template_hash(name: str) -> str:
    """The sha256 of a template's source, read once a process, as Jinja reads the template
    itself once (its loader says every template stays up to date): the hash recorded is
    always that of the text rendered, and a draft's 24 renderings read no file."""
    return hashlib.sha256(_load(name)[0].encode("utf-8")).hexdigest()


def fenced(fact: Fact) -> bool:
    """Whether a fact's value goes inside the data fence: every quote, and every text value
    (a sponsor, drug or condition name is a source's free text too)."""
    return fact.untrusted or fact.kind == "text"


def _one_line(text: str) -> str:
    """Whitespace folded, so a value cannot start a line that looks like another fact row."""
    return " ".join(text.split())


def fact_rows(handled: dict[str, Fact], fence: Fence) -> list[FactRow]:
    # built unvalidated: every value is a validated Fact's, of the type FactRow declares
    # (a prompt's table is built for every section of every draft)
    return [
        FactRow.model_construct(
            handle=handle,
            label=_one_line(fact.label),
            value=_one_line(fence.scrub(str(fact.value))),
            unit=fact.unit,
            qualifier=_one_line(fact.qualifier) if fact.qualifier else None,
            precision=fact.precision,
            source=fact.source,
            untrusted=fenced(fact),
        )
        for handle, fact in handled.items()
    ]


def render(template: str, context: dict[str, Any]) -> str:
    try:
        return _ENV.get_template(template).render(**context)
    except jinja2.TemplateError as error:
        raise InternalError(f"prompt template {template}: {error}") from None


def templates_of(template: str) -> tuple[str, str, str]:
    """Every template a section's prompt is rendered from: the system message, the section's
    own (under sections/) and the facts table it includes."""
    return (SYSTEM, f"sections/{template}", "sections/_facts.j2")


def render_section(
    template: str, context: dict[str, Any], handled: dict[str, Fact], fence: Fence
) -> RenderedPrompt:
    """System and user message of one section; `context` holds the section's own values."""
    values = {
        **context,
        "fence": fence,
        "facts": fact_rows(handled, fence),
        "conflicts": [_one_line(fence.scrub(note)) for note in context.get("conflicts", [])],
    }
    used = templates_of(template)
    return RenderedPrompt(
        messages=[
            Message(role="system", content=render(SYSTEM, values)),
            Message(role="user", content=render(used[1], values)),
        ],
        template_hashes={name: template_hash(name) for name in used},
    )
