"""Resolve trial → drug → ChEMBL molecule → target and condition → disease, and build the
Bundle. Only the trial record is required: every later step that fails becomes a Gap with its
reason, so a reviewer sees what is missing instead of a crash.

Every fact is read from one recorded answer at a JSON pointer (reading.Reader): the value is
taken from the body itself, so a fact and its `field` can never disagree.
"""

from drafter.evidence.pipeline import (
    PAIR_REQUIRED_STEPS,
    EvidenceQuery,
    PairEvidence,
    build_bundle,
    pair_evidence,
)

__all__ = [
    "PAIR_REQUIRED_STEPS",
    "EvidenceQuery",
    "PairEvidence",
    "build_bundle",
    "pair_evidence",
]
