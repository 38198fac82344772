"""Which trials a batch drafts: the search of drafter.discovery for a date range (with its
scope checks and filters), or an --nct-file read by drafter.nct_file, as one list of NCT ids in
order, each once, with one problem per unusable line of the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from drafter.discovery import DiscoveryQuery, discover
from drafter.nct_file import read_nct_file as read_nct_list
from drafter.sources.http import HttpClient


@dataclass(frozen=True)
class CandidateQuery:
    """A search, or a file of NCT ids (exactly one of them)."""

    search: DiscoveryQuery | None = None
    nct_file: Path | None = None
    # the file's lines once read: a pipe (`--nct-file <(grep NCT list)`) gives them only once
    listed: NctFile | None = None


@dataclass
class NctFile:
    """The usable ids of an --nct-file, in order and each once, and the unusable lines."""

    ids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Candidates:
    nct_ids: list[str]
    problems: list[str] = field(default_factory=list)
    dropped: dict[str, int] = field(default_factory=dict)  # search hits out of scope, by reason


def batch_candidates(
    client: HttpClient, query: CandidateQuery, limit: int | None = None
) -> Candidates:
    """The trials of the query, in order (the search's: oldest update first), at most `limit`."""
    if query.nct_file is not None:
        listed = query.listed or read_nct_file(query.nct_file)
        return Candidates(listed.ids[:limit] if limit else listed.ids, listed.problems)
    assert query.search is not None
    found = discover(client, query.search, limit)
    return Candidates([c.nct_id for c in found.candidates], dropped=found.dropped_by_reason)


def read_nct_file(path: Path) -> NctFile:
    """One NCT id a line (drafter.nct_file): blank lines and # comments skipped, a repeated
    id kept once, every unusable line a problem naming its line number."""
    listed = read_nct_list(path)
    return NctFile(list(listed.ids), listed.warnings())
