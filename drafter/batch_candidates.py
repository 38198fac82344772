"""Which trials a batch drafts.

SEAM: drafter.discovery (`discover(client, DiscoveryQuery)` and `read_nct_file(path)`) replaces
this module; until it lands, `batch_candidates` is the one place the batch gets its trial list
from. It asks ClinicalTrials.gov for the stopped studies of a date range (the existing
`iter_stopped_studies`) or reads an --nct-file with a minimal reader, and returns the NCT ids in
order, each once, with one problem per unusable line of the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from drafter.claim_files import read_text_file
from drafter.errors import BadInput
from drafter.sources.ctgov import iter_stopped_studies, normalise_nct_id
from drafter.sources.http import HttpClient
from drafter.terminal import one_line

MAX_NCT_FILE_BYTES = 4 * 2**20  # 300,000 ids; a list of trials is not larger


@dataclass(frozen=True)
class CandidateQuery:
    """A date range to search, or a file of NCT ids (exactly one of them)."""

    since: date | None = None
    until: date | None = None
    nct_file: Path | None = None


@dataclass
class NctFile:
    """The usable ids of an --nct-file, in order and each once, and the unusable lines."""

    ids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Candidates:
    nct_ids: list[str]
    problems: list[str] = field(default_factory=list)


def batch_candidates(client: HttpClient, query: CandidateQuery) -> Candidates:
    """SEAM (drafter.discovery.discover replaces it): the trials of the query, in order."""
    if query.nct_file is not None:
        listed = read_nct_file(query.nct_file)
        return Candidates(listed.ids, listed.problems)
    assert query.since is not None
    ids = [study.nct_id for study in iter_stopped_studies(client, query.since, query.until)]
    return Candidates(list(dict.fromkeys(ids)))


def read_nct_file(path: Path) -> NctFile:
    """One NCT id a line; blank lines and lines starting with # are skipped, a repeated id is
    kept once, and every other unusable line is a problem naming its line number."""
    text = read_text_file(path, str(path), MAX_NCT_FILE_BYTES).removeprefix("\ufeff")
    found = NctFile()
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        content = line.strip()
        if not content or content.startswith("#"):
            continue
        try:
            nct_id = normalise_nct_id(content)
        except BadInput:
            found.problems.append(
                f"{path}:{number}: not an NCT id (NCT followed by 8 digits): "
                f"{one_line(content, 40)!r}"
            )
            continue
        if nct_id not in seen:
            seen.add(nct_id)
            found.ids.append(nct_id)
    return found
