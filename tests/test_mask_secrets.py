"""URL credentials are masked wherever "user:pw@" follows a scheme's "://" (the pattern is
matched from the "://" for speed: it must mask exactly what the definition masks)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from drafter.errors import mask_secrets

DEFINITION = re.compile(r"(?<=://)[^/@\s]+@")
PIECES = st.sampled_from(["://", ":", "/", "@", " ", "\n", "user", "pw", "x.org", "https"])


@settings(max_examples=1000, deadline=None)
@given(st.lists(PIECES, max_size=16).map("".join) | st.text(max_size=40))
def test_url_credentials_are_masked_as_the_definition_says(text: str) -> None:
    assert mask_secrets(text) == DEFINITION.sub("***@", text)


def test_credentials_of_every_url_in_a_long_text_are_masked() -> None:
    text = "see https://user:pw@x.org/a and ftp://me@y.org, not a@b.org\n" * 500
    masked = mask_secrets(text)
    assert "user:pw@" not in masked and "me@" not in masked and "a@b.org" in masked
    assert masked.count("://***@") == 1000
