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
from drafter.classify import classify_stop_reason
from drafter.facts import fact_id
from drafter.rulebook import SCIENTIFIC_ARCHETYPES as FAILURE_ARCHETYPES

Framing = Literal["failure", "no_scientific_failure"]

# Words and phrases that call a trial a failure. "missed" and "did not meet" count only with an
# endpoint: a trial that "missed its enrollment target" stopped for an operational reason.
FAILURE_WORDS = re.compile(
    r"\b(?:fail(?:ed|s|ure|ing)?|flop(?:ped|s)?|flunk(?:ed|s)?|bust(?:ed)?|dead[\s-]end|fiasco|"
    r"(?:miss(?:ed|es|ing)?|did\s+not\s+(?:meet|achieve|reach|hit)|didn't\s+(?:meet|achieve|"
    r"reach|hit))\s+(?:\w+\s+){0,3}?(?:primary\s+|secondary\s+|co-primary\s+)?end[\s-]?points?|"
    r"(?:did\s+not|didn't|never|does\s+not|doesn't)\s+(?:work(?:ed|s)?|pan(?:ned)?\s+out)|"
    r"fell\s+short|came\s+up\s+short|ineffective|inefficacious|unsuccessful|setbacks?|"
    r"collapsed?|doomed|disappoint(?:ed|ing|ment)|underwhelm(?:ed|ing)?|futil(?:e|ity)|"
    r"(?:lack\s+of|no|without)\s+efficacy|not\s+(?:effective|efficacious)|"
    r"negative\s+(?:trial|result|results|data|readout|outcome)|"
    r"(?:results?|data|readout|outcome)\s+(?:was|were|is|are)\s+negative)\b",
    re.IGNORECASE,
)

# A failure word that is denied right before it: "no failure", "not a scientific failure",
# "did not fail", "never failed"; or that a denying frame of the same clause reports: "no
# evidence the trial failed", "nothing in the record shows the drug failed", "the record does
# not call this a failure", "wrong to call this a failure", "not due to futility". A bare
# negation further back is no denial: "no one doubts it failed".
_DENIED = re.compile(
    r"\b(?:no|not|never|without|nor|neither)\s+(?:(?:a|an|the|any|its)\s+)?"
    r"(?:(?:scientific|clinical|biological|efficacy|safety|mechanistic|documented|recorded|"
    r"evident|apparent|known)\s+)?$"
    r"|\b(?:did|does|do|has|have|had|was|is)\s*(?:not|n't)\s+$"
    r"|\b(?:no|nothing|not|never|neither)\b[^.;:!?]{0,60}\b(?:evidence|sign|indication|shows?|"
    r"showed|suggests?|suggested|says?|said|states?|stated|calls?|called|reports?|reported|"
    r"documents?|documented)\b[^.;:!?]{0,60}$"
    r"|\b(?:wrong|premature|unfounded|misleading)\s+to\s+(?:call|describe|label)\b[^.;:!?]{0,40}$"
    r"|\b(?:unrelated\s+to|not\s+(?:due\s+to|because\s+of|for)|rather\s+than|instead\s+of)"
    r"\b[^.;:!?]{0,40}$",
    re.IGNORECASE,
)
# A failure word about running the trial, not about the drug: "failure to recruit", "failed to
# enroll enough participants", "a business setback".
_OPERATIONAL_AFTER = re.compile(
    r"^\s+to\s+(?:recruit|enrol|enroll|accrue|meet\s+(?:its\s+|the\s+)?(?:enrol|enroll|accrual|"
    r"recruit))",
    re.IGNORECASE,
)
_OPERATIONAL_BEFORE = re.compile(
    r"\b(?:business|commercial|financial|strategic|regulatory|manufacturing|supply|"
    r"recruitment|enrol(?:l)?ment|accrual)\s+$",
    re.IGNORECASE,
)
# Uses of "failure" that name something other than this trial failing: the score's terms, the
# claims table, other programs counted in the plural, and organ failure as an indication.
_NOT_ABOUT_THE_TRIAL = re.compile(
    r"^(?:[\s-]+(?:burden|claims?|types?|archetypes?|modes?|records?|categor(?:y|ies)|"
    r"table|counts?|weight(?:ed|s)?|rates?|history|histories|database|index))\b",
    re.IGNORECASE,
)
_ORGAN_FAILURE = re.compile(
    r"\b(?:heart|cardiac|renal|kidney|liver|hepatic|respiratory|lung|organ|ovarian|"
    r"bone\s+marrow|intestinal|multi-?organ|graft|treatment)\s+$",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.!?](?=\s|$|[A-Z“\"])")
# A statement with a question tagged on is no question: "It failed, did it not?"
_TAG_QUESTION = re.compile(
    r",\s*(?:(?:did|does|is|was|has|had)(?:n't|\s+not)?\s+(?:it|they|he|she)(?:\s+not)?|right|"
    r"no|surely|correct)\s*\?$",
    re.IGNORECASE,
)


def framing_of(bundle: Bundle) -> Framing:
    """ "failure" only when something documents efficacy, safety or biomarker trouble (see
    `failure_evidence`); every other trial is framed as giving no scientific failure."""
    return "failure" if failure_evidence(bundle) else "no_scientific_failure"


def failure_evidence(bundle: Bundle) -> list[str]:
    """What documents a scientific failure of this trial: the stop classification; a claim
    of the claims table filed for this trial with a failure archetype; a curated report of
    its outcome ("Primary endpoint not met: ...") that the same classifier reads as a
    failure. A trial can complete and still fail (NCT02547922), and a registry's silence is
    not a success."""
    found: list[str] = []
    assessment = bundle.assessment
    if assessment is not None:
        stop = assessment.classification
        if not stop.non_failure and stop.archetype in FAILURE_ARCHETYPES:
            found.append(f"the stop reason is classified as {stop.archetype}")
        found += [
            f"claim {claim.key} files it as {claim.archetype}"
            for claim in assessment.claims
            if claim.nct_id == bundle.nct_id and claim.archetype in FAILURE_ARCHETYPES
        ]
    for fact in bundle.facts_with_prefix(fact_id("reference", bundle.nct_id, "outcome_reported")):
        if isinstance(fact.value, str):
            reported = classify_stop_reason(fact.value)
            if not reported.non_failure and reported.archetype in FAILURE_ARCHETYPES:
                found.append(f"{fact.label.lower()} reads as {reported.archetype}")
    return found


def failure_words(text: str) -> list[str]:
    """The words that call the trial a failure. Not counted: a denial right before the word,
    the score's and the claims table's terms ("failure burden", "failure claims"), organ
    failure, and anything in a sentence that ends in a question mark (an open question)."""
    text = text.replace("\u2019", "'").replace("\u2018", "'")  # "didn’t work" as "didn't work"
    words = []
    for match in FAILURE_WORDS.finditer(text):
        before, after = text[: match.start()], text[match.end() :]
        if _DENIED.search(before) or _ORGAN_FAILURE.search(before):
            continue
        if _OPERATIONAL_AFTER.match(after) or _OPERATIONAL_BEFORE.search(before):
            continue
        if match.group(0).lower().startswith("fail") and _NOT_ABOUT_THE_TRIAL.match(after):
            continue
        if _in_question(text, match.end()):
            continue
        words.append(match.group(0))
    return words


def _in_question(text: str, position: int) -> bool:
    end = _SENTENCE_END.search(text, position)
    if end is None or end.group(0) != "?":
        return False
    starts = [m.end() for m in _SENTENCE_END.finditer(text, 0, position)]
    asked = text[(starts[-1] if starts else 0) : end.end()]
    return not _TAG_QUESTION.search(asked)
