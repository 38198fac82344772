"""The evidence of the related claims' own pairs (each claim's target and indication), so a
draft can show each related claim's MRS with the association score it rests on. Looked up
through the same client as the trial's evidence: live, from the cache, or offline from the
bundled snapshot and the trials `drafter record` recorded. When a pair's evidence cannot be
had, the lookup says why in words a reader sees instead of a number."""

from __future__ import annotations

import threading
from collections.abc import Callable

from drafter.bundle import SourceRecord
from drafter.errors import DrafterError, InternalError, OfflineMiss
from drafter.evidence.pipeline import PairEvidence, pair_evidence
from drafter.sources.http import HttpClient
from drafter.terminal import one_line

NOT_RECORDED = "not scored offline: evidence not recorded"
NOT_LOOKED_UP = "not scored: its pair's evidence was not looked up"


def pair_key(target: str, disease: str) -> tuple[str, str]:
    """One pair however its names are cased."""
    return (target.casefold(), disease.casefold())


class PairMemo:
    """Pairs' evidence kept from one assessment to the next within a run: a batch's drafts ask
    for the same few pairs (the newest claims) again and again. Kept evidence is handed out
    only while `reusable(its sources)` says a lookup now would read back the very same answers
    (a batch: every answer from the cache, the snapshot or a recording, none about to expire),
    so reusing it changes nothing a draft shows. Shared by a batch's worker threads."""

    def __init__(self, reusable: Callable[[list[SourceRecord]], bool]) -> None:
        self._reusable = reusable
        self._kept: dict[tuple[str, str], PairEvidence] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> PairEvidence | None:
        with self._lock:
            kept = self._kept.get(key)
        return kept if kept is not None and self._reusable(kept.sources) else None

    def keep(self, key: tuple[str, str], evidence: PairEvidence) -> None:
        with self._lock:
            self._kept[key] = evidence


class RelatedPairs:
    """Each pair looked up once per assessment (through `memo`, once per run while its answers
    read back unchanged); `client=None` looks nothing up."""

    def __init__(self, client: HttpClient | None, memo: PairMemo | None = None) -> None:
        self.client = client
        self._memo = memo if client is not None else None
        self._found: dict[tuple[str, str], PairEvidence | str] = {}

    def lookup(self, target: str, disease: str) -> PairEvidence | str:
        """The pair's evidence, or why it is not scored (one short line)."""
        key = pair_key(target, disease)
        if key not in self._found:
            # the run-wide memo is keyed by the names as given: the evidence records the
            # requests as asked ("Discoid Lupus Erythematosus" is another request than
            # "Discoid lupus erythematosus"), so whichever draft asked first must not decide
            exact = (target, disease)
            kept = self._memo.get(exact) if self._memo else None
            found = kept or self._fetch(target, disease)
            if self._memo and kept is None and isinstance(found, PairEvidence):
                self._memo.keep(exact, found)
            self._found[key] = found
        return self._found[key]

    def _fetch(self, target: str, disease: str) -> PairEvidence | str:
        client = self.client
        if client is None:
            return NOT_LOOKED_UP
        try:
            with client.deadline(client.settings.optional_deadline, "optional-step deadline"):
                evidence = pair_evidence(client, target, disease)
        except OfflineMiss:
            return NOT_RECORDED
        except InternalError:
            raise
        except DrafterError as error:  # unreachable, or Open Targets knows no such target
            return f"not scored: {one_line(str(error), 160)}"
        if any(gap.reason.startswith("offline:") for gap in evidence.gaps):
            return NOT_RECORDED  # part of it (the programs on the target) was not recorded
        return evidence
