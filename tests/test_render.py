"""draft.md: source text is printed as written, never read as Markdown or HTML."""

from __future__ import annotations

import re

import pytest

from drafter.bundle import Bundle
from drafter.draft import draft_trial
from drafter.render import markdown_text, render_markdown
from drafter.writers.offline import OfflineWriter


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("72 participants (Phase 2).", "72 participants (Phase 2)."),
        ("**bold** and _it_", "\\*\\*bold\\*\\* and \\_it\\_"),
        ("[click](https://x.test)", "\\[click\\](https://x.test)"),
        ("a | b", "a \\| b"),
        ("`code` ~~gone~~", "\\`code\\` \\~\\~gone\\~\\~"),
        ("back\\slash", "back\\\\slash"),
        ("# not a heading", "\\# not a heading"),
        ("> not a quote", "\\&gt; not a quote"),
        ("- not a list", "\\- not a list"),
        ("1. not a list", "1\\. not a list"),
        ("<img src=x onerror=alert(1)>", "&lt;img src=x onerror=alert(1)&gt;"),
        ("two\nlines", "two lines"),
    ],
)
def test_markdown_text(text: str, shown: str) -> None:
    assert markdown_text(text) == shown


def test_hostile_source_text_cannot_format_the_article(reference_bundle: Bundle) -> None:
    hostile = "Stopped | **FAILED** [see](javascript:alert(1)) <script>x</script>\n## Fake heading"
    facts = [
        f.model_copy(update={"value": hostile}) if f.id.endswith(":why_stopped") else f
        for f in reference_bundle.facts
    ]
    bundle = reference_bundle.model_copy(update={"facts": facts})
    article = render_markdown(draft_trial(bundle, OfflineWriter()))
    assert "<script>" not in article
    assert not re.search(r"(?<!\\)\]\(javascript:", article)  # only an escaped "\](" remains
    assert "**FAILED**" not in article
    assert not any(line.startswith("## Fake heading") for line in article.splitlines())
    assert "\\*\\*FAILED\\*\\*" in article  # shown, as written
