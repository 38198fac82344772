"""A section's output checked against its facts, beyond its schema.

Every cited handle must be a fact of the section; every number, date, phase and id in a fact
paragraph must be supported by a fact it cites, at the text's precision (drafter.anchors);
a background or editor paragraph holds none of them, and background appears only in analytic
sections; grades must agree with kinds; and a draft that may not tell a failure story does not
call the trial a failure in its headline. Text quoted verbatim from a cited fact is the
source's words: the numbers inside it are the source's and are not checked again.

The problems come back as one-line messages the model can act on; the pipeline re-asks with
them, and marks the section needs_editor when they remain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel

from drafter.anchors import check_text, extract_anchors
from drafter.facts import Fact
from drafter.framing import Framing, failure_words
from drafter.section_models import HeadlineText, SectionText

# A quotation in either style; its content is exempt when a cited fact holds it verbatim.
_QUOTED = re.compile(r"“([^”]{3,})”|\"([^\"]{3,})\"")
_SPACES = re.compile(r"\s+")


class _Piece(BaseModel):
    where: str
    text: str
    cites: list[str]
    kind: str
    grade: str | None


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
    handle_of = {fact.id: handle for handle, fact in handled.items()}
    problems: list[str] = []
    for piece in pieces:
        unknown = [c for c in piece.cites if c not in handled]
        problems += [
            f"{piece.where} cites {c}, which is not one of this section's facts" for c in unknown
        ]
        cited = [handled[c] for c in piece.cites if c in handled]
        problems += _kind_problems(piece, analytic)
        text = without_verbatim_quotes(piece.text, cited)
        if piece.kind == "fact":
            problems += [f"{piece.where}: {p.message}" for p in check_text(text, cited, handle_of)]
        else:
            problems += [
                f"{piece.where} is a {piece.kind} paragraph but states {a.text!r}; a number, date,"
                " phase or id belongs in a fact paragraph that cites the fact holding it"
                for a in extract_anchors(text)
            ]
    if isinstance(output, HeadlineText) and framing == "no_scientific_failure":
        said = failure_words(f"{output.headline} {output.dek}")
        if said:
            problems.append(
                f"the headline or dek calls the trial a failure ({', '.join(said)}), but the "
                "record documents no scientific failure"
            )
    return problems


def _pieces(output: BaseModel) -> list[_Piece]:
    if isinstance(output, HeadlineText):
        return [
            _Piece(
                where="the headline",
                text=output.headline,
                cites=output.cites,
                kind="fact",
                grade=None,
            ),
            _Piece(where="the dek", text=output.dek, cites=output.cites, kind="fact", grade=None),
        ]
    if isinstance(output, SectionText):
        return [
            _Piece(
                where=f"paragraph {i}",
                text=p.text,
                cites=p.cites,
                kind=p.kind,
                grade=p.grade,
            )
            for i, p in enumerate(output.paragraphs, start=1)
        ]
    return []


def _kind_problems(piece: _Piece, analytic: bool) -> list[str]:
    problems = []
    if piece.kind == "background" and not analytic:
        problems.append(
            f"{piece.where} is background, but this section is fact-first: every paragraph "
            "rests on its cited facts"
        )
    if piece.kind == "background" and piece.grade != "speculative":
        problems.append(f"{piece.where} is background, so its grade is speculative")
    if piece.kind == "fact" and piece.grade == "documented" and not piece.cites:
        problems.append(f"{piece.where} is graded documented but cites no fact")
    if piece.kind == "fact" and piece.grade == "speculative":
        problems.append(
            f"{piece.where} is speculative: make it a background paragraph, or cite the facts "
            "it rests on and grade it documented or inferred"
        )
    return problems


def without_verbatim_quotes(text: str, cited: Sequence[Fact]) -> str:
    """`text` with each quotation that a cited fact holds verbatim blanked out (same length,
    so offsets keep their meaning): the source's own numbers are not drafter's claims."""
    sources = [_normal(str(fact.value)) for fact in cited if isinstance(fact.value, str)]

    def blank(match: re.Match[str]) -> str:
        inside = _normal(match.group(1) or match.group(2) or "")
        return " " * len(match.group(0)) if any(inside in s for s in sources) else match.group(0)

    return _QUOTED.sub(blank, text)


def _normal(text: str) -> str:
    return _SPACES.sub(" ", text.replace("’", "'").replace("‘", "'")).strip()
