"""The evidence of the related claims' own pairs (each claim's target and indication), so a
draft can show each related claim's MRS with the association score it rests on. Looked up
through the same client as the trial's evidence: live, from the cache, or offline from the
bundled snapshot and the trials `drafter record` recorded. When a pair's evidence cannot be
had, the lookup says why in words a reader sees instead of a number."""

from __future__ import annotations

from drafter.errors import DrafterError, InternalError, OfflineMiss
from drafter.evidence.pipeline import PairEvidence, pair_evidence
from drafter.sources.http import HttpClient
from drafter.terminal import one_line

NOT_RECORDED = "not scored offline: evidence not recorded"
NOT_LOOKED_UP = "not scored: its pair's evidence was not looked up"


def pair_key(target: str, disease: str) -> tuple[str, str]:
    """One pair however its names are cased."""
    return (target.casefold(), disease.casefold())


class RelatedPairs:
    """Each pair looked up once per assessment; `client=None` looks nothing up."""

    def __init__(self, client: HttpClient | None) -> None:
        self.client = client
        self._found: dict[tuple[str, str], PairEvidence | str] = {}

    def lookup(self, target: str, disease: str) -> PairEvidence | str:
        """The pair's evidence, or why it is not scored (one short line)."""
        key = pair_key(target, disease)
        if key not in self._found:
            self._found[key] = self._fetch(target, disease)
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
