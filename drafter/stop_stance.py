"""The classifier's stances for texts no rule names a direction for (see the labelling guide,
tests/data/stop-reasons/GUIDE.md, which fixed them before any text was labelled).

* "unknown" only when the text gives no reason at all: every word is a status, a hold, a
  postponement, a not-started or cancelled report, a pointer elsewhere or filler ("Study
  halted", "Temporary on hold", "The study was never started", "Study did not begin",
  "Postponed to a later date", "Other"), or the registry's own definition of a status pasted
  in ("Study halted prematurely and will not resume; participants are no longer being examined
  or receiving intervention"). Anything more is a reason; an inability ("could not
  be implemented") is one (a feasibility problem), so "could" and "unable" are not listed.
* A reason no rule names ("Changes to cardiac surgery program", "NOL not obtained") is
  operational, with low confidence: most stated reasons for stopping are operational, and a
  failure of the drug is rarely stated without a word the efficacy and safety rules read.
* Efficacy named with no direction ("Efficacy", "terminated for efficacy") is efficacy, with
  low confidence: a stop for benefit says so ("overwhelming efficacy"), which the rules read.
* A trial stopped after or on an interim analysis or a monitoring committee's review with no
  direction stated is efficacy, with low confidence (a data-driven stop that names no harm is
  most often futility); a pause *for* an interim analysis ("pending", "on hold until") is not.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Stance:
    rule: str
    confidence: float
    why: str


UNNAMED_REASON = Stance(
    "default.stated_reason",
    0.55,
    "a stated reason that names no failure of the drug is read as operational",
)
UNDIRECTED_EFFICACY = Stance(
    "efficacy.undirected",
    0.5,
    "efficacy is named as the reason without a direction (for it, or for lack of it?); a stop"
    " for benefit would say so, so it is read as efficacy; an editor should confirm",
)
UNDIRECTED_INTERIM_STOP = Stance(
    "interim.undirected_stop",
    0.6,
    "a stop on an interim analysis or a committee's data review that states no direction is"
    " read as efficacy (most such stops are for futility); an editor should confirm",
)

INTERIM_PAUSE = Stance(
    "interim.pause",
    0.7,
    "a pause for an interim analysis or a review is a planned step of the design, not a failure",
)
STANCES: frozenset[str] = frozenset(
    stance.rule
    for stance in (UNNAMED_REASON, UNDIRECTED_EFFICACY, UNDIRECTED_INTERIM_STOP, INTERIM_PAUSE)
)

# Words that say that, or when, a trial stopped or never started, but not why.
_NO_REASON_WORDS = frozenset(
    """
    a an the this that it its is was were be been being has have had will would shall should
    not no never longer yet now currently still as of at on in per by for to and or up out
    study studies trial trials research project protocol clinical site sites center centre
    placed put on hold holds held temporary temporarily paused pause suspended suspend
    suspension halted halt stopped stop terminated terminate termination early prematurely
    premature withdrawn withdraw withdrawal cancelled canceled cancel cancellation abandoned
    closed close closure ended end discontinued discontinue started start begun began begin
    commenced commence initiated initiate opened open activated activate take place decided
    decision other others see above below description publication publications record delay
    delayed internal review administrative status current recruiting enrolling recruitment
    enrollment enrolment accrual participants patients subjects resume resumed resumption
    related unrelated due because any reason reasons concern concerns issue issues signal
    signals role played led factor neither nor patient participant subject results time moment
    further notice until indefinitely currently
    did does do postponed postpone postponement delays launched implemented initiation
    conducted beginning prior before first later date future abandonment
    are permanently examined treated receiving intervention interventions
    expected expect expects potentially possibly likely hopefully but
    again restart restarted reopen reopened reopening whether about proceed proceeding
    determination determine determined pending
    """.split()  # noqa: SIM905 - a word list reads better as words
) | frozenset(  # a date alone is no reason (the guide): "closed to accrual on January 15, 2020"
    """
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec spring summer autumn fall winter
    """.split()  # noqa: SIM905
)
# Two-letter words that carry a reason ("PI", "AE"); other one- and two-letter tokens are noise.
_SHORT_WORDS_WITH_MEANING = frozenset({"pi", "ae", "ip", "pk", "pd", "ec", "ct"})
_PAUSE_WORDS = frozenset(
    {
        "pending",
        "hold",
        "paused",
        "pause",
        "until",
        "awaiting",
        "await",
        "scheduled",
        "temporarily",
        "temporary",
        "resume",
        "resumed",
        "resumption",
    }
)


# "withdrawn" of the study is a status; of the people in it ("participants withdrew", "patient
# withdrawal") it is what happened to the enrolment, a reason.
_PEOPLE_WORDS = frozenset(
    {"participants", "participant", "patients", "patient", "subjects", "subject"}
)
_WITHDRAW_WORDS = frozenset({"withdraw", "withdrew", "withdrawn", "withdrawal", "withdrawals"})


def states_no_reason(tokens: Sequence[str]) -> bool:
    """True when no word of the text could be a reason: digits, noise and status words only."""
    previous = ""
    for token in tokens:
        if not token.isalpha():
            continue
        if len(token) <= 2 and token not in _SHORT_WORDS_WITH_MEANING:
            continue
        if token not in _NO_REASON_WORDS:
            return False
        if token in _WITHDRAW_WORDS and previous in _PEOPLE_WORDS:
            return False
        previous = token
    return True


def is_pause(tokens: Sequence[str]) -> bool:
    """The text reports a pause (for an analysis, until a review), not a stop on its result."""
    return any(token in _PAUSE_WORDS for token in tokens)
