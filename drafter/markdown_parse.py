"""An editor's draft.md read back into paragraphs of plain prose, each with where it stands.

The reader knows the shapes drafter.render writes (templates/article.md.j2): front matter, a
"# " headline, the dek, conflict blockquotes, "## " sections, fact paragraphs ending in source
markers " [1][3]" and a grade " _(documented)_", background and editor blockquotes, NEEDS EDITOR
blocks, the MRS table and lists. It is a small line-based reader, not a CommonMark engine: the
file is editor-supplied, so it must take any text (CRLF or lone CR line ends, tabs, NUL bytes, a
front matter never closed, no heading at all) without failing, and every pattern is linear in
the text so a hostile file costs no more than a long one. What it cannot know (setext headings,
code blocks, HTML blocks) is read as prose.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from drafter.errors import MarkdownTooLarge
from drafter.section_models import EvidenceGrade

# A real article has about two hundred lines and a hundred paragraphs. Paragraphs are aligned
# pairwise within a section, so both are bounded (the text's size is, by its caller): a file
# past either bound is refused, which keeps the worst file under a second or so.
MAX_LINES = 50_000
MAX_PARAGRAPHS = 2_000

BlockKind = Literal["heading", "prose", "quote", "item", "row"]
# What a paragraph is in the article, as its Markdown shows it.
MarkdownKind = Literal[
    "headline",  # the "# " title
    "fact",  # prose: a fact paragraph, the dek, or any paragraph the editor added
    "background",  # "> _Background, for the editor to check:_ …"
    "editor",  # "> **EDITOR: …**"
    "conflict",  # a conflicting-evidence or record-history note above the first section
    "needs_editor",  # any paragraph of a "> **NEEDS EDITOR** — …" block
    "table",  # a row of a table
    "list",  # a list item (nested items and continuation lines belong to it)
    "computed",  # prose of a computed section (the MRS sentence), set when aligned
]

_NEWLINE = re.compile(r"\r\n|\r|\n")
_HEADING = re.compile(r" {0,3}(#{1,6})(?=[ \t]|$)")  # the title and a closing "##": _heading_of
_QUOTE = re.compile(r"^(?: {0,3}>[ \t]?)+")  # nested quotes are read as one level
_ITEM = re.compile(r"^([ \t]*)(?:[-+*]|\d{1,9}[.)])(?:[ \t]+|$)")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_ROW = re.compile(r"^[ \t]*\|")
_DELIMITER_ROW_CHARACTERS = " \t|:-"
_CELL_SPLIT = re.compile(r"(?<!\\)\|")
_ROW_ENDS = re.compile(r"^[ \t]*\||(?<!\\)\|[ \t]*$")
_FENCE_OF_FRONT_MATTER = ("---", "...")
_MARKUP_OPENINGS = frozenset("#>|-+*_0123456789")

# A character Markdown lets a backslash escape (CommonMark: any ASCII punctuation), and an HTML
# entity (the semicolon required: "&not=1" in a URL is text). Entities are undone before the
# backslashes of the same text, because markdown_text escapes Markdown first and HTML second:
# a source's "> x" is printed "\&gt; x".
_ENTITY = r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});"
_LITERAL = re.compile(rf"\\({_ENTITY}|[!-/:-@\[-`{{-~])|({_ENTITY})")
_MASKED = "\x00"  # stands for a literal character where markup is looked for

# Inline markup, looked for where no literal character stands, each kept part named "keep".
# Every pattern stops at its own delimiter character, so none backtracks over the whole text.
_INLINE_MARKUP = (
    re.compile(r"`(?P<keep>[^`]+)`"),
    re.compile(r"!?\[(?P<keep>[^\[\]]*)\]\([^()\s]*(?:[ \t]+\"[^\"]*\")?\)"),
    re.compile(r"<(?P<keep>[A-Za-z][A-Za-z0-9+.-]{1,31}:[^<>\s]*)>"),
    re.compile(r"\*\*(?=\S)(?P<keep>[^*]+?)(?<=\S)\*\*"),
    re.compile(r"(?<!\w)__(?=\S)(?P<keep>[^_]+?)(?<=\S)__(?!\w)"),
    re.compile(r"~~(?P<keep>[^~]+)~~"),
    re.compile(r"\*(?=[^\s*])(?P<keep>[^*]+?)(?<=[^\s*])\*"),
    re.compile(r"(?<!\w)_(?=[^\s_])(?P<keep>[^_]+?)(?<=[^\s_])_(?!\w)"),
)

# The grade after a fact paragraph, and source markers: "[1][3]" standing alone (the renderer
# escapes every bracket of prose, so an unescaped one is markup).
_GRADE = re.compile(r"(?<!\\)([_*])\((documented|inferred|speculative)\)\1")
_MARKERS = re.compile(r"(?<![\\\]\w])((?:\[\d{1,6}\])+)(?![(\[:\w])")
_MARKER_NUMBER = re.compile(r"\d+")

# How the renderer marks the blockquotes it writes.
_NEEDS_EDITOR = re.compile(r"^\s*\*\*NEEDS EDITOR\*\*", re.IGNORECASE)
_BACKGROUND = re.compile(r"^\s*([_*])Background\b[^_*]*\1\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    """One line of the file: its 1-based number, the character (not byte) offsets [start, end)
    of the line without its line break, and its text (inside a quote, without the ">")."""

    number: int
    start: int
    end: int
    text: str


@dataclass
class _Block:
    kind: BlockKind
    lines: list[Line]
    level: int = 0  # a heading's level; a list item's indentation


@dataclass
class ParsedParagraph:
    """A paragraph of the edited article, in plain prose, with the markup that told its
    kind, sources and grade taken off and returned beside it."""

    region: int  # -1 before the first section heading, else the index into ParsedArticle.headings
    subheading: str | None
    kind: MarkdownKind
    text: str
    grade: EvidenceGrade | None
    markers: list[int]
    first: Line
    last: Line


@dataclass(frozen=True)
class ParsedHeading:
    text: str
    level: int
    line: Line


@dataclass
class ParsedArticle:
    headline: ParsedParagraph | None = None
    headings: list[ParsedHeading] = field(default_factory=list)
    paragraphs: list[ParsedParagraph] = field(default_factory=list)


# --- lines and blocks ----------------------------------------------------------------------------


def lines_of(text: str) -> list[Line]:
    """Every line, whatever ends it ("\\r\\n", "\\r" or "\\n"), a byte order mark left out."""
    breaks = text.count("\n") + text.count("\r") - text.count("\r\n")
    if breaks >= MAX_LINES:
        raise MarkdownTooLarge(f"draft.md has more than {MAX_LINES:,} lines, more than an article")
    found: list[Line] = []
    start = 1 if text.startswith("\ufeff") else 0
    for number, end in enumerate(_line_ends(text, start), start=1):
        found.append(Line(number, start, end[0], text[start : end[0]]))
        start = end[1]
    return found


def _line_ends(text: str, start: int) -> Iterator[tuple[int, int]]:
    for match in _NEWLINE.finditer(text, start):
        yield match.span()
    yield len(text), len(text)


def body_lines(lines: list[Line]) -> list[Line]:
    """The lines after the YAML front matter. Front matter never closed is no front matter:
    its lines are read as the article, so nothing the editor wrote is silently dropped."""
    end = front_matter_end(lines)
    return lines if end is None else lines[end + 1 :]


def opens_front_matter(lines: list[Line]) -> bool:
    """Whether the first line opens YAML front matter (a '---' line, spaces after it allowed)."""
    return bool(lines) and lines[0].text.rstrip() == "---"


def front_matter_end(lines: list[Line]) -> int | None:
    """The index of the line closing the front matter ('---' or '...'); None when none is
    opened on the first line, or it is never closed."""
    if not opens_front_matter(lines):
        return None
    for i, line in enumerate(lines[1:], start=1):
        if line.text.rstrip() in _FENCE_OF_FRONT_MATTER:
            return i
    return None


def _blocks(lines: list[Line], quotes: bool = True) -> list[_Block]:
    """The file cut into headings, prose paragraphs, blockquotes, list items and table rows."""
    blocks: list[_Block] = []
    current: _Block | None = None
    for line in lines:
        kind = _line_kind(line.text, quotes)
        if kind is None:  # blank line or thematic break: ends whatever was open
            current = None
        elif _continues(current, kind, line):
            assert current is not None
            current.lines.append(line)
        else:
            current = _Block(kind, [line], _level(kind, line.text))
            blocks.append(current)
            if kind in ("heading", "row"):
                current = None
    return blocks


def _line_kind(text: str, quotes: bool) -> BlockKind | None:
    opening = text.lstrip()[:1]
    if not opening:
        return None
    if opening not in _MARKUP_OPENINGS:  # most lines: prose, without trying every pattern
        return "prose"
    if _BREAK.match(text):
        return None
    if _heading_of(text) is not None:
        return "heading"
    if quotes and _QUOTE.match(text):
        return "quote"
    if _ROW.match(text):
        return "row"
    return "item" if _ITEM.match(text) else "prose"


def _continues(current: _Block | None, kind: BlockKind, line: Line) -> bool:
    """Whether a line belongs to the open block: a quote's next line, a lazy continuation of
    prose, a quote or an item, or a nested list item (indented past its parent's marker)."""
    if current is None:
        return False
    if kind == "quote":
        return current.kind == "quote"
    if kind == "prose":
        if current.kind == "quote":  # lazy, unless the quote's last line was an empty ">"
            return bool(_QUOTE.sub("", current.lines[-1].text, count=1).strip())
        return current.kind in ("prose", "item")
    if kind == "item" and current.kind == "item":
        return _level(kind, line.text) >= current.level + 2
    return False


def _level(kind: BlockKind, text: str) -> int:
    if kind == "heading":
        heading = _heading_of(text)
        return heading[0] if heading else 0
    if kind == "item":
        found = _ITEM.match(text)
        return len(found.group(1).expandtabs(4)) if found else 0
    return 0


# --- the article ---------------------------------------------------------------------------------


def parse_article(text: str) -> ParsedArticle:
    """The headline, the section headings and every paragraph of an edited draft.md."""
    article = ParsedArticle()
    subheading: str | None = None
    for block in _blocks(body_lines(lines_of(text))):
        region = len(article.headings) - 1
        if block.kind == "heading":
            subheading = _heading(block, article, subheading)
            continue
        for paragraph in _paragraphs(block, region, subheading):
            if paragraph.text:
                article.paragraphs.append(paragraph)
        if len(article.paragraphs) > MAX_PARAGRAPHS:
            raise MarkdownTooLarge(
                f"draft.md has more than {MAX_PARAGRAPHS:,} paragraphs, more than an article "
                f"(line {block.lines[0].number})"
            )
    return article


def _heading(block: _Block, article: ParsedArticle, subheading: str | None) -> str | None:
    """Record a heading; the subheading in force after it. The first level-1 heading above
    every section is the headline; other level 1 and 2 headings open sections; deeper ones
    are subheadings of the section they stand in."""
    line = block.lines[0]
    heading = _heading_of(line.text)
    title = plain_text(heading[1] if heading else line.text)
    if block.level == 1 and article.headline is None and not article.headings:
        article.headline = ParsedParagraph(-1, None, "headline", title, None, [], line, line)
        return subheading
    if block.level <= 2:
        article.headings.append(ParsedHeading(title, block.level, line))
        return None
    return title


def _heading_of(text: str) -> tuple[int, str] | None:
    """An ATX heading's level and title, its closing run of "#" dropped; None for other lines.
    Plain string work: a pattern for the closing run would backtrack over a long line."""
    found = _HEADING.match(text)
    if found is None:
        return None
    title = text[found.end() :].strip(" \t")
    unclosed = title.rstrip("#")
    if unclosed != title and (not unclosed or unclosed[-1] in " \t"):
        title = unclosed.rstrip(" \t")
    return len(found.group(1)), title


def _paragraphs(block: _Block, region: int, subheading: str | None) -> list[ParsedParagraph]:
    if block.kind == "quote":
        return _quote(block, region, subheading)
    if block.kind == "row":
        row = _row(block.lines[0].text)
        return [] if row is None else [_paragraph(row, "table", block.lines, region, subheading)]
    raw = " ".join(_content(block.kind, line.text) for line in block.lines)
    kind: MarkdownKind = "list" if block.kind == "item" else "fact"
    return [_paragraph(raw, kind, block.lines, region, subheading)]


def _content(kind: BlockKind, text: str) -> str:
    """A line's text with its list marker taken off (a nested item's too)."""
    return _ITEM.sub("", text, count=1).strip() if kind == "item" else text.strip()


def _row(text: str) -> str | None:
    """A table row as its cells joined by " | "; None for the delimiter row under the header."""
    if "-" in text and not text.strip(_DELIMITER_ROW_CHARACTERS):
        return None
    cells = _CELL_SPLIT.split(_ROW_ENDS.sub("", text))
    return " | ".join(cell.strip() for cell in cells)


def _quote(block: _Block, region: int, subheading: str | None) -> list[ParsedParagraph]:
    """The paragraphs and items of a blockquote. A NEEDS EDITOR block is one unit; above the
    first section a quote holds conflict notes; in a section each paragraph of it says its own
    kind (background, an editor note, or prose the editor quoted)."""
    inner = [Line(x.number, x.start, x.end, _QUOTE.sub("", x.text, count=1)) for x in block.lines]
    blocks = _blocks(inner, quotes=False)
    if not blocks:
        return []
    first = " ".join(line.text for line in blocks[0].lines)
    whole: MarkdownKind | None = None
    if _NEEDS_EDITOR.match(first):
        whole = "needs_editor"
    elif region < 0:
        whole = "conflict"
    found: list[ParsedParagraph] = []
    for part in blocks:
        for paragraph in _paragraphs(part, region, subheading):
            if whole is not None:
                paragraph.kind = whole
            elif paragraph.kind == "fact":
                paragraph = _quoted_kind(part, paragraph)
            found.append(paragraph)
    return found


def _quoted_kind(part: _Block, paragraph: ParsedParagraph) -> ParsedParagraph:
    """A quoted paragraph in a section: background under its label, an editor note all in
    bold, else prose the editor quoted."""
    raw = " ".join(line.text.strip() for line in part.lines)
    kind: MarkdownKind
    label = _BACKGROUND.match(raw)
    if label:
        raw, kind = raw[label.end() :], "background"
    elif len(raw) > 4 and raw.startswith("**") and raw.endswith("**") and "**" not in raw[2:-2]:
        raw, kind = raw[2:-2], "editor"
    else:
        return paragraph
    return _paragraph(raw, kind, part.lines, paragraph.region, paragraph.subheading)


def _paragraph(
    raw: str, kind: MarkdownKind, lines: list[Line], region: int, subheading: str | None
) -> ParsedParagraph:
    grade, raw = _grade(raw)
    markers, raw = _markers(raw)
    return ParsedParagraph(
        region, subheading, kind, plain_text(raw), grade, markers, lines[0], lines[-1]
    )


def _grade(raw: str) -> tuple[EvidenceGrade | None, str]:
    """The evidence grade the paragraph ends with (the last one written), and the text
    without any grade mark."""
    grades = _GRADE.findall(raw)
    if not grades:
        return None, raw
    grade: EvidenceGrade = grades[-1][1]
    return grade, _GRADE.sub(" ", raw)


def _markers(raw: str) -> tuple[list[int], str]:
    """The source numbers of every marker in the text (the MRS sentence has them inside it,
    not only at the end), and the text without them."""
    numbers = {int(n) for run in _MARKERS.findall(raw) for n in _MARKER_NUMBER.findall(run)}
    return sorted(numbers), _MARKERS.sub("", raw) if numbers else raw


# --- inline markup -------------------------------------------------------------------------------


def plain_text(raw: str) -> str:
    """Markdown prose as plain text, on one line: entities and backslash escapes undone (the
    inverse of drafter.render.markdown_text) and emphasis, code, link and autolink markup
    taken off where it is markup, never where it was escaped."""
    shown, mask = _literals(raw)
    for pattern in _INLINE_MARKUP:
        shown, mask = _without_markup(pattern, shown, mask)
    return " ".join(shown.split())


def _literals(raw: str) -> tuple[str, str]:
    """The text with escapes and entities undone, and beside it a mask of the same length in
    which every character that was escaped stands as NUL, so no markup pattern sees it."""
    shown: list[str] = []
    mask: list[str] = []

    def add(text: str, literal: bool) -> None:
        shown.append(text)
        mask.append(_MASKED * len(text) if literal else text)

    last = 0
    for found in _LITERAL.finditer(raw):
        add(raw[last : found.start()], literal=False)
        escaped, entity = found.group(1), found.group(2)
        written = entity or escaped
        value = html.unescape(written) if len(written) > 1 else written
        if value != written or len(written) == 1:
            add(value, literal=True)
        elif escaped:  # "\&foo;": an escaped "&", then text
            add("&", literal=True)
            add(written[1:], literal=False)
        else:  # "&foo;" is no entity Python knows: text as written
            add(written, literal=False)
        last = found.end()
    add(raw[last:], literal=False)
    return "".join(shown), "".join(mask)


def _without_markup(pattern: re.Pattern[str], shown: str, mask: str) -> tuple[str, str]:
    kept_shown: list[str] = []
    kept_mask: list[str] = []
    last = 0
    for found in pattern.finditer(mask):
        start, end = found.span("keep")
        kept_shown += [shown[last : found.start()], shown[start:end]]
        kept_mask += [mask[last : found.start()], mask[start:end]]
        last = found.end()
    kept_shown.append(shown[last:])
    kept_mask.append(mask[last:])
    return "".join(kept_shown), "".join(kept_mask)
