"""Whether a draft may tell a failure story at all.

A single trial usually stops for operational reasons, and reasoning from one NCT id straight to
"the mechanism failed" is wrong far more often than right: the published post-mortem this
project started from did exactly that for a stop its sponsor called a business decision, which
a press report says met its primary endpoint. So when the stop classification is operational,
unknown or a non-failure, and no fact documents an efficacy or safety problem, the analytic
sections must say the record gives no scientific failure, mechanisms appear only as open
questions, and the headline does not call the trial a failure.
"""

from __future__ import annotations

import re
from typing import Literal

from drafter.bundle import Bundle

Framing = Literal["failure", "no_scientific_failure"]

# Words that call a trial a failure; the headline and dek of a no-failure draft hold none.
FAILURE_WORDS = re.compile(
    r"\b(fail(?:ed|s|ure|ures|ing)?|flop(?:ped|s)?|miss(?:ed|es)?|did not work|"
    r"ineffective|unsuccessful|setback|collapse[ds]?|doomed)\b",
    re.IGNORECASE,
)


def framing_of(bundle: Bundle) -> Framing:
    """ "failure" only when the stop classification documents efficacy, safety or biomarker
    trouble; every other stop is framed as giving no scientific failure."""
    assessment = bundle.assessment
    if assessment is None:
        return "no_scientific_failure"
    stop = assessment.classification
    if stop.non_failure or stop.archetype in ("operational", "unknown"):
        return "no_scientific_failure"
    return "failure"


# A failure word that is denied or names the index, not the trial: "no scientific failure",
# "not a failure", "failure-burden index".
_DENIED = re.compile(r"\b(?:no|not|without|never)\s+(?:\w+\s+){0,2}$", re.IGNORECASE)


def failure_words(text: str) -> list[str]:
    """The words that call the trial a failure (denials and "failure-burden" excepted)."""
    words = []
    for match in FAILURE_WORDS.finditer(text):
        if _DENIED.search(text[: match.start()]) or text[match.end() :].startswith("-burden"):
            continue
        words.append(match.group(0))
    return words
