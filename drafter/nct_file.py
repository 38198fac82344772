"""`--nct-file FILE`: the trials a user wants drafted, one NCT id a line.

Blank lines and `#` comments (whole-line or after an id) are allowed; ids are normalised
("nct05591222 " → NCT05591222). A bad line does not cost the good ones: it is reported by
line number, with its text cut and escaped so a control character in the file cannot forge
output, and the valid ids are kept. A repeated id is kept once and the repeat reported. Only a
file that cannot be read at all (missing, unreadable, too large, not UTF-8) is bad input.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from drafter.claim_files import BOM, read_text_file
from drafter.errors import BadInput
from drafter.sources.api import excerpt
from drafter.sources.ctgov import normalise_nct_id

# ~300,000 lines of ids: far more than a batch drafts, small enough to read at once.
MAX_NCT_FILE_BYTES = 4 * 2**20
# Line breaks as editors count them (str.splitlines would also split on \v, \f, U+2028…,
# and the line numbers reported would not match the ones a user sees).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
SHOWN_CHARS = 60


class NctLine(BaseModel):
    """A line that holds no valid NCT id: its number (from 1), its text as read (cut at
    SHOWN_CHARS, whitespace folded) and why it was refused."""

    line: int
    text: str
    reason: str


class NctDuplicate(BaseModel):
    line: int
    nct_id: str
    first_line: int


class NctList(BaseModel):
    """The valid ids in file order, and every line left out."""

    path: str
    ids: list[str]
    malformed: list[NctLine]
    duplicates: list[NctDuplicate]

    def warnings(self) -> list[str]:
        """One line per left-out line, "FILE:LINE: …", in line order, for stderr."""
        notes = [
            (bad.line, f"{self.path}:{bad.line}: {bad.reason}: {bad.text!r}")
            for bad in self.malformed
        ]
        notes += [
            (dup.line, f"{self.path}:{dup.line}: {dup.nct_id} repeats line {dup.first_line}")
            for dup in self.duplicates
        ]
        return [text for _, text in sorted(notes)]


def read_nct_file(path: Path) -> NctList:
    """The ids of an NCT list file; BadInput (exit 2) only if the file cannot be read."""
    text = read_text_file(path, str(path), MAX_NCT_FILE_BYTES).removeprefix(BOM)
    ids: list[str] = []
    first_seen: dict[str, int] = {}
    malformed: list[NctLine] = []
    duplicates: list[NctDuplicate] = []
    for number, line in enumerate(_LINE_BREAK.split(text), start=1):
        content = line.split("#", 1)[0].strip()
        if not content:
            continue
        try:
            nct_id = normalise_nct_id(content)
        except BadInput:
            malformed.append(
                NctLine(
                    line=number,
                    text=excerpt(content, SHOWN_CHARS),
                    reason="not an NCT id (NCT followed by 8 digits)",
                )
            )
            continue
        if nct_id in first_seen:
            duplicates.append(
                NctDuplicate(line=number, nct_id=nct_id, first_line=first_seen[nct_id])
            )
            continue
        first_seen[nct_id] = number
        ids.append(nct_id)
    return NctList(path=str(path), ids=ids, malformed=malformed, duplicates=duplicates)
