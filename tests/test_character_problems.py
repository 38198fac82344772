"""character_problems looks at each distinct character once (a paragraph has a few dozen): it
must say exactly what the definition, character by character, says, for any text."""

from __future__ import annotations

import itertools
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from drafter.validate import character_problems, invisible_characters, mixed_script_words

# letters of three scripts, digits and numerals, marks, controls, format and filler characters
ALPHABET = st.sampled_from(
    list("aAeé1 \n\t.-'’аеοΑⅫ²①〸\u0301\u20dd\u200b\u202e\u034f\ufe0f\x00\x7f\ue000ﬁ")
)
TEXT = st.lists(ALPHABET, max_size=40).map("".join) | st.text(max_size=40)


def invisible_by_definition(text: str) -> list[str]:
    found = {
        f"U+{ord(c):04X}"
        for c in text
        if c not in ("\n", "\t") and unicodedata.category(c) in ("Cf", "Cc", "Co", "Cs")
    }
    found |= {f"U+{ord(c):04X}" for c in text if c in "\u034f\ufe0f"}
    normal = unicodedata.normalize("NFKC", text)
    for before, mark in itertools.pairwise(normal):
        latin = before.isascii() or unicodedata.name(before, "").startswith("LATIN")
        if unicodedata.category(mark) in ("Mn", "Me") and (before.isdigit() or latin):
            found.add(f"U+{ord(mark):04X}")
    return sorted(found)


def scripts_of(word: str) -> set[str]:
    return {
        script
        for char in word
        if char.isalpha()
        for script in ("LATIN", "CYRILLIC", "GREEK")
        if unicodedata.name(char, "").startswith(script)
    }


@settings(max_examples=500, deadline=None)
@given(TEXT)
def test_character_checks_say_what_the_definition_says(text: str) -> None:
    if not set(text) & set("\u115f\u1160\u17b4\u17b5\u3164\uffa0"):  # (fillers the test omits)
        assert invisible_characters(text) == invisible_by_definition(text)
    words = re.findall(r"[^\W_]+(?:['’][^\W_]+)*", text)
    assert mixed_script_words(text) == [w for w in words if len(scripts_of(w)) > 1]
    normal = unicodedata.normalize("NFKC", text)
    numerals = sorted(
        {c for c in text + normal if unicodedata.category(c) in ("No", "Nl")}
        - {c for c in text if unicodedata.normalize("NFKC", c).isascii()
           and unicodedata.normalize("NFKC", c).isdigit()}
    )  # fmt: skip
    said = " ".join(character_problems(text))
    assert all(n in said for n in numerals)
    assert ("writes numbers as" in said) == bool(numerals)


def test_a_word_mixing_scripts_is_found_in_a_text_of_several() -> None:
    assert mixed_script_words("the trial fаiled, see Α") == ["fаiled"]
    assert mixed_script_words("Αβγ and абв and abc") == []
