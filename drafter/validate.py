"""A section's output checked against its facts, beyond its schema.

Every cited handle must be a fact of the section; every fact paragraph cites, and every number,
date, phase and id in it must be supported by a fact it cites, at the text's precision
(drafter.anchors); a background or editor paragraph holds none of them, and background appears
only in analytic sections; grades must agree with kinds; lengths are bounded; no invisible
characters (bidi overrides, zero-width joiners) hide text from the editor; source text is
quoted, not passed off as drafter's words; and a draft that may not tell a failure story calls
the trial a failure nowhere but in an open question.

What is exempt: a quotation that a cited fact holds verbatim (the whole value, or three words
or more of it on word boundaries) is the source's words, so the numbers inside it are not
checked again; a name that a cited fact holds verbatim ("Toca 511", "Montanide ISA 51") is a
name, not a number. Text is checked in its NFKC form, so fullwidth or styled digits are read
as the digits they show.

The problems come back as one-line messages the model can act on; the pipeline re-asks with
them, and marks the section needs_editor when they remain.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence

from pydantic import BaseModel

from drafter.anchors import check_text, extract_anchors
from drafter.facts import Fact
from drafter.framing import Framing, failure_words
from drafter.section_models import HeadlineText, SectionText

# Bounds on what a section may be: an editor reads all of it, and a run-away answer is not a
# section (the schema cannot say so: strict json_schema has no length keywords everywhere).
MAX_PARAGRAPHS = 12
MAX_PARAGRAPH_CHARS = 3000
MAX_HEADLINE_CHARS = 200
MAX_DEK_CHARS = 1500
ECHO_WORDS = 6  # this many words of untrusted source text in a row, outside quotes, is an echo

# A quotation in either style; its content is exempt when a cited fact holds it verbatim.
_QUOTED = re.compile(r"“([^”]{1,})”|\"([^\"]{1,})\"")
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_ALLOWED_CONTROLS = {"\n", "\t"}
_HAS_LETTER = re.compile(r"[^\W\d_]")
_HAS_DIGIT = re.compile(r"\d")


class _Piece(BaseModel):
    where: str
    text: str
    cites: list[str]
    kind: str
    grade: str | None
    limit: int


def problems_of(
    output: BaseModel,
    handled: dict[str, Fact],
    *,
    analytic: bool,
    framing: Framing,
) -> list[str]:
    """Every problem of one section's output, as messages for a re-ask (empty when valid)."""
    pieces = _pieces(output)
    if not pieces:
        return ["the section has no paragraphs"]
    problems: list[str] = []
    if isinstance(output, SectionText) and len(output.paragraphs) > MAX_PARAGRAPHS:
        problems.append(
            f"the section has {len(output.paragraphs)} paragraphs; write at most {MAX_PARAGRAPHS}"
        )
    handle_of = {fact.id: handle for handle, fact in handled.items()}
    runs = source_runs(f for f in handled.values() if _echo_source(f))
    for piece in pieces:
        problems += _piece_problems(piece, handled, handle_of, runs, analytic, framing)
    return problems


def _piece_problems(
    piece: _Piece,
    handled: dict[str, Fact],
    handle_of: dict[str, str],
    runs: frozenset[tuple[str, ...]],
    analytic: bool,
    framing: Framing,
) -> list[str]:
    problems = _unknown_cites(piece, handled)
    if len(piece.text) > piece.limit:
        size = len(piece.text)
        problems.append(f"{piece.where} has {size:,} characters; at most {piece.limit:,}")
        return problems  # not worth reading further
    problems += [f"{piece.where} {p}" for p in character_problems(piece.text)]
    problems += _kind_problems(piece, analytic)
    cited = [handled[c] for c in piece.cites if c in handled]
    normal = unicodedata.normalize("NFKC", piece.text)
    text = without_verbatim_names(without_verbatim_quotes(normal, cited), cited)
    if piece.kind == "fact":
        problems += [f"{piece.where}: {p.message}" for p in check_text(text, cited, handle_of)]
    else:
        problems += [
            f"{piece.where} is a {piece.kind} paragraph but states {a.text!r}; a number, date,"
            " phase or id belongs in a fact paragraph that cites the fact holding it"
            for a in extract_anchors(text)
        ]
    echoed = _echo(text, runs)
    if echoed:
        problems.append(
            f"{piece.where} repeats source text ({echoed!r}…) outside quotation marks: quote "
            "the source verbatim in double quotes, or say it in drafter's own words"
        )
    if framing == "no_scientific_failure" and piece.kind != "editor":
        said = failure_words(text)
        if said:
            problems.append(
                f"{piece.where} calls the trial a failure ({', '.join(said)}), but the record "
                "documents no scientific failure: say so, or raise a mechanism only as a question"
            )
    return problems


# Unknown handles named in one problem: a reply may cite fifty thousand, and each problem goes
# into the section's reason, its re-ask prompt and the call log.
SHOWN_UNKNOWN_CITES = 5


def _unknown_cites(piece: _Piece, handled: dict[str, Fact]) -> list[str]:
    """One problem naming the handles a piece cites that are none of the section's facts."""
    unknown = list(dict.fromkeys(c for c in piece.cites if c not in handled))
    if not unknown:
        return []
    if len(unknown) == 1:
        return [f"{piece.where} cites {unknown[0]}, which is not one of this section's facts"]
    shown = ", ".join(unknown[:SHOWN_UNKNOWN_CITES])
    more = len(unknown) - SHOWN_UNKNOWN_CITES
    if more > 0:
        shown += f" and {more:,} more"
    return [f"{piece.where} cites {shown}, which are not among this section's facts"]


def _pieces(output: BaseModel) -> list[_Piece]:
    if isinstance(output, HeadlineText):
        return [
            _Piece(
                where="the headline",
                text=output.headline,
                cites=output.cites,
                kind="fact",
                grade=None,
                limit=MAX_HEADLINE_CHARS,
            ),
            _Piece(
                where="the dek",
                text=output.dek,
                cites=output.cites,
                kind="fact",
                grade=None,
                limit=MAX_DEK_CHARS,
            ),
        ]
    if isinstance(output, SectionText):
        return [
            _Piece(
                where=f"paragraph {i}",
                text=p.text,
                cites=p.cites,
                kind=p.kind,
                grade=p.grade,
                limit=MAX_PARAGRAPH_CHARS,
            )
            for i, p in enumerate(output.paragraphs, start=1)
        ]
    return []


def _kind_problems(piece: _Piece, analytic: bool) -> list[str]:
    problems = []
    if not piece.text.strip():
        problems.append(f"{piece.where} is empty")
    if piece.kind == "background" and not analytic:
        problems.append(
            f"{piece.where} is background, but this section is fact-first: every paragraph "
            "rests on its cited facts"
        )
    if piece.kind == "background" and piece.grade != "speculative":
        problems.append(f"{piece.where} is background, so its grade is speculative")
    if piece.kind == "fact" and not piece.cites:
        problems.append(f"{piece.where} is a fact paragraph but cites no fact")
    if piece.kind == "fact" and piece.grade == "speculative":
        problems.append(
            f"{piece.where} is speculative: make it a background paragraph, or cite the facts "
            "it rests on and grade it documented or inferred"
        )
    return problems


def character_problems(text: str) -> list[str]:
    """What in a text's characters could show an editor one thing and the checks another:
    invisible code points, numerals the number checks cannot read, and words that mix
    look-alike letters of several scripts ("fаiled" with a Cyrillic а)."""
    problems = []
    hidden = invisible_characters(text)
    if hidden:
        problems.append(
            f"holds invisible or control characters ({', '.join(hidden)}); write plain text"
        )
    if text.isascii():  # no numeral but digits, one script, NFKC changes nothing: done
        return problems
    normal = unicodedata.normalize("NFKC", text)
    # as written and after NFKC: "Ⅻ" becomes the letters "XII", "〸" the ideograph 十
    # (each distinct character looked at once: a paragraph has a few dozen of them)
    written = set(text)
    numerals = sorted(
        {c for c in written | set(normal) if unicodedata.category(c) in ("No", "Nl")}
        - {c for c in written if _ascii_digits(unicodedata.normalize("NFKC", c))}
    )
    if numerals:
        problems.append(f"writes numbers as {' '.join(numerals)}; write them in digits")
    mixed = mixed_script_words(normal)
    if mixed:
        problems.append(f"mixes look-alike letters of several alphabets in {mixed[0]!r}")
    return problems


# Code points that render as nothing though they are not format characters (Unicode's
# Default_Ignorable_Code_Point, the parts outside category Cf).
_IGNORABLE = re.compile(
    "[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u3164\ufe00-\ufe0f\uffa0\U000e0100-\U000e01ef]"
)


def invisible_characters(text: str) -> list[str]:
    """The code points (as U+XXXX) that an editor cannot see: format characters such as bidi
    overrides and zero-width joiners, controls other than newline and tab, private use,
    default-ignorable fillers and variation selectors, and combining marks left on a Latin
    letter or a digit after NFKC (which composes every real accent of those)."""
    found = {
        f"U+{ord(c):04X}"
        for c in set(text)
        if c not in _ALLOWED_CONTROLS and unicodedata.category(c) in ("Cf", "Cc", "Co", "Cs")
    }
    if text.isascii():  # of ASCII only controls are invisible; NFKC leaves it as it is
        return sorted(found)
    found.update(f"U+{ord(m.group()):04X}" for m in _IGNORABLE.finditer(text))
    normal = unicodedata.normalize("NFKC", text)
    marks = {c for c in set(normal) if unicodedata.category(c) in ("Mn", "Me")}
    for before, mark in itertools.pairwise(normal) if marks else ():
        if mark in marks and (before.isdigit() or _latin(before)):
            found.add(f"U+{ord(mark):04X}")
    return sorted(found)


def _ascii_digits(text: str) -> bool:
    """ "²" and "①" become "2" and "1" under NFKC, which the number checks read."""
    return text.isascii() and text.isdigit()


def _latin(char: str) -> bool:
    return char.isascii() or unicodedata.name(char, "").startswith("LATIN")


_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def mixed_script_words(text: str) -> list[str]:
    """Words that mix Latin, Cyrillic and Greek letters: no real word does."""
    if len(_scripts(set(text))) < 2:  # (a text of one script has no word of two)
        return []
    mixed = []
    for word in _WORD.findall(text):
        if len(_scripts(word)) > 1:
            mixed.append(word)
    return mixed


def _scripts(chars: Iterable[str]) -> set[str]:
    """Which of Latin, Cyrillic and Greek the letters are written in."""
    return {
        script
        for char in chars
        if char.isalpha()
        for script in _SCRIPTS
        if unicodedata.name(char, "").startswith(script)
    }


def without_verbatim_quotes(text: str, cited: Sequence[Fact]) -> str:
    """`text` with each quotation that a cited fact holds verbatim blanked out (same length,
    so offsets keep their meaning): the source's own numbers are not drafter's claims. A
    quotation counts when it is the whole value or at least three words of it, on word
    boundaries: a quoted "1,204" is drafter writing a number, not quoting."""
    sources = [_normal(str(fact.value)) for fact in cited if isinstance(fact.value, str)]

    def blank(match: re.Match[str]) -> str:
        inside = _normal(match.group(1) or match.group(2) or "")
        quoted = any(_is_verbatim_quote(inside, source) for source in sources)
        return " " * len(match.group(0)) if quoted else match.group(0)

    return _QUOTED.sub(blank, text)


def _is_verbatim_quote(inside: str, source: str) -> bool:
    inside = inside.strip(" .,;:…")
    if not inside:
        return False
    if inside.casefold() == source.strip(" .").casefold():
        return True
    return len(_WORD.findall(inside)) >= 3 and _on_word_boundaries(inside, source)


def _on_word_boundaries(part: str, whole: str) -> bool:
    return _bounded(part).search(whole) is not None


def _bounded(part: str) -> re.Pattern[str]:
    """`part` as written, any case, not inside a longer word."""
    return re.compile(rf"(?<![^\W_]){re.escape(part)}(?![^\W_])", re.IGNORECASE)


def without_verbatim_names(text: str, cited: Sequence[Fact]) -> str:
    """`text` with each name a cited fact holds verbatim blanked (same length): "Toca 511" and
    "Montanide ISA 51" are names whose digits are not numbers. Only short text, code and id
    values with letters and digits count, on word boundaries."""
    names = sorted(
        {
            _normal(str(f.value))
            for f in cited
            if f.kind in ("text", "code", "id")
            and not f.untrusted  # source text is quoted, never passed off as a name
            and isinstance(f.value, str)
            and len(f.value) <= 80
            and _HAS_LETTER.search(f.value)
            and _HAS_DIGIT.search(f.value)
        },
        key=len,
        reverse=True,
    )
    for name in names:
        text = _bounded(name).sub(lambda m: " " * len(m.group(0)), text)
    return text


def echoed_source(text: str, untrusted: Iterable[Fact]) -> str | None:
    """The first run of ECHO_WORDS words of untrusted source text in `text` (quotations that
    a cited fact holds are blanked before this is asked), or None."""
    return _echo(text, source_runs(untrusted))


def source_runs(untrusted: Iterable[Fact]) -> frozenset[tuple[str, ...]]:
    """Every run of ECHO_WORDS words of the facts' text, case-folded: made once a section."""
    return frozenset(
        run
        for fact in untrusted
        for run in _runs([w.casefold() for w in _WORD.findall(str(fact.value))])
    )


def _echo(text: str, runs: frozenset[tuple[str, ...]]) -> str | None:
    found = _WORD.findall(text)
    for i, run in enumerate(_runs([w.casefold() for w in found])):
        if run in runs:
            return " ".join(found[i : i + ECHO_WORDS])
    return None


def _echo_source(fact: Fact) -> bool:
    """Whether repeating this fact's words is an echo: untrusted free text (a stop reason, a
    press quote, a note), not a title, whose stock registry phrasing ("a Phase 2 randomized,
    double-blind study in moderate-to-severe atopic dermatitis") plain prose shares."""
    return (
        fact.untrusted and isinstance(fact.value, str) and "title" not in fact.id.rsplit(":", 1)[-1]
    )


def _runs(words: Sequence[str]) -> Iterable[tuple[str, ...]]:
    return (tuple(words[i : i + ECHO_WORDS]) for i in range(len(words) - ECHO_WORDS + 1))


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return _SPACES.sub(" ", text.replace("’", "'").replace("‘", "'")).strip()
