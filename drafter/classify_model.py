"""Why-stopped text → archetype and categories by a model: the StopReasonClassifier of
`drafter classify --with-model` and `drafter draft --classify-with-model`.

The model is asked through the drafting writer (drafter.writers: the OpenAI-compatible client,
its one retry layer, deadlines and structured output) with the prompt in
prompts/classify_system.j2 and prompts/classify_user.j2. Its answer is trusted only as far as
it can be checked:
* every category is one of drafter.rulebook's (the reply schema lists them; pydantic refuses
  any other name);
* every category comes with the words of the text that state it, and those words must be in
  the text verbatim (drafter.quotes: whitespace, quote marks and dashes normalised, case kept;
  words quoted without the negation in front of them are refused);
* the archetype agrees with the categories (`archetype_problem`).
An answer that fails a check is asked again with what was wrong (at most twice); after that,
or when the endpoint cannot answer at all, the rules decide (drafter.classify) and the result
says so in `classifier` and in its explanation. The rules stay the default everywhere: a
model's answer is not reproducible, a draft's classification should be.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from drafter.classify import (
    DEFAULT_CLASSIFIER,
    RuleMatch,
    StopClassification,
    StopReasonClassifier,
)
from drafter.config import Settings
from drafter.prompting import Fence, RenderedPrompt, render, template_hash
from drafter.quotes import text_quote_match
from drafter.rulebook import (
    CATEGORIES,
    CATEGORY_ARCHETYPE,
    Archetype,
    Category,
    allowed_archetypes,
    archetype_for,
    severity_rank,
)
from drafter.sources import deadline as budgets
from drafter.terminal import one_line
from drafter.worker_pool import DaemonPool
from drafter.writers.base import Message, ModelUnavailable, Writer, WriteRequest, WriteResult

SYSTEM_TEMPLATE = "classify_system.j2"
USER_TEMPLATE = "classify_user.j2"
# One ask and at most two re-asks, as for a section (drafter.draft).
MAX_ATTEMPTS = 3
# Categories that say the text gives no reason at all: they stand alone, as "unknown".
NO_REASON: frozenset[Category] = frozenset({"No_Context", "Invalid_Reason"})
# What of a bad reply is shown back to the model on a re-ask, and of its explanation kept.
_REPLY_CHARS = 2_000
_EXPLANATION_CHARS = 300
_RULE_ID = "model.quote"

# What each category is for, as the labelling guide defines it (tests/data/stop-reasons/
# GUIDE.md); the prompt lists them in the rulebook's order.
CATEGORY_USES: dict[Category, str] = {
    "Safety_Sideeffects": "adverse events, toxicity, deaths, a safety signal or concern, "
    "an unfavourable benefit-risk balance, a clinical hold for safety",
    "Negative": "lack of efficacy or benefit, futility, endpoint not met, negative, "
    "disappointing or inconclusive results",
    "Biomarker": "a biomarker, companion diagnostic, pharmacokinetic, exposure or "
    "target-engagement failure",
    "Success": "stopped early because it worked, overwhelming efficacy",
    "Endpoint_Met": "primary objective or endpoint reached",
    "Insufficient_Enrollment": "slow, low or no accrual or recruitment, eligible patients not "
    "found, too little power because too few patients could be enrolled",
    "Business_Administrative": "a business, strategic, portfolio, commercial, company or "
    "sponsor decision, administrative reasons, contracts",
    "Funding": "funding, a grant, the budget or money ended or was not obtained",
    "Logistics_Resources": "drug or device supply, manufacturing, expiry, resources, "
    "feasibility, site or equipment problems",
    "Study_Design": "a protocol or design change, an amendment, a redesign, a planned pause",
    "Study_Staff_Moved": "the PI or staff left, retired, died, went on leave, had no time",
    "Covid19": "the COVID-19 pandemic named as a cause of the stop",
    "Regulatory": "a regulator, IRB or ethics committee, approvals, licences, audits, "
    "compliance, an IND",
    "Another_Study": "another study, superseded, a new standard of care, results or "
    "information from elsewhere",
    "Insufficient_Data": "not enough evaluable data, data quality, samples lost",
    "Ethical_Reason": "ethical grounds not reducible to another reason",
    "Interim_Analysis": "an interim analysis or a review of the data decided or paused the trial",
    "Invalid_Reason": 'the text is not a reason to stop early ("study completed", "all '
    'patients enrolled")',
    "No_Context": 'no reason can be read (placeholders, "other", "on hold", "see publication")',
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StatedReason(_Strict):
    """One reason the text gives, with the words that give it."""

    category: Category
    quote: str = Field(
        description="the words of the text that state this reason, copied exactly: same "
        "spelling, same capitalisation, no paraphrase"
    )


class StopReasonAnswer(_Strict):
    """The model's reply (OpenAI strict json_schema: every field required, no defaults)."""

    reasons: list[StatedReason] = Field(description="every reason the text states")
    archetype: Archetype
    explanation: str = Field(description="one sentence: why this archetype")


def prompt_for(text: str, fence: Fence) -> RenderedPrompt:
    """The system and user messages that ask for one text's classification."""
    values: dict[str, Any] = {
        "fence": fence,
        "categories": [
            {"name": c, "archetype": CATEGORY_ARCHETYPE[c], "use": CATEGORY_USES[c]}
            for c in CATEGORIES
        ],
        "text": one_line(fence.scrub(text)),
    }
    return RenderedPrompt(
        messages=[
            Message(role="system", content=render(SYSTEM_TEMPLATE, values)),
            Message(role="user", content=render(USER_TEMPLATE, values)),
        ],
        template_hashes={name: template_hash(name) for name in (SYSTEM_TEMPLATE, USER_TEMPLATE)},
    )


def archetype_problem(archetype: Archetype, categories: Sequence[Category]) -> str | None:
    """Why an archetype does not go with these categories, or None when it does.

    The archetype is the most severe of the categories' own (rulebook.archetype_for); an
    undirected category (Interim_Analysis) may carry a more severe one
    (rulebook.allowed_archetypes: "stopped after the interim analysis" is read as efficacy by
    the labelling guide). No_Context and Invalid_Reason mean the text gives no reason: alone,
    and unknown."""
    given = list(dict.fromkeys(categories))
    if not given:
        return "no reason was listed: give at least one (No_Context when the text gives none)"
    without_reason = [c for c in given if c in NO_REASON]
    if without_reason and len(given) > 1:
        others = ", ".join(c for c in given if c != without_reason[0])
        return (
            f"{without_reason[0]} means the text gives no reason, so it cannot stand beside "
            f"{others}"
        )
    if without_reason:
        return None if archetype == "unknown" else f"{without_reason[0]} has archetype unknown"
    directed = [c for c in given if CATEGORY_ARCHETYPE[c] != "unknown"]
    own = archetype_for(directed)
    possible = {a for c in given for a in allowed_archetypes(c)}
    if archetype in possible and severity_rank(archetype) <= severity_rank(own):
        return None
    listed = ", ".join(given)
    return (
        f'archetype "{archetype}" does not go with the categories {listed}: it must be the '
        f'most severe archetype of the categories, "{own}"'
    )


def answer_problems(answer: StopReasonAnswer, text: str) -> list[str]:
    """What is wrong with a well-formed answer for this text (empty when nothing is)."""
    problems: list[str] = []
    for reason in answer.reasons:
        found = text_quote_match(reason.quote, text) if reason.quote.strip() else None
        if found == "verbatim":
            continue
        quoted = one_line(reason.quote, 120)
        if found == "cut":
            problems.append(
                f'the quote "{quoted}" for {reason.category} leaves out the negation in front '
                "of it in the text: a reason the text denies is not a reason"
            )
        elif found == "case":
            problems.append(
                f'the quote "{quoted}" for {reason.category} differs from the text in '
                "capitalisation: copy the words exactly as the text writes them"
            )
        else:
            problems.append(
                f'the quote "{quoted}" for {reason.category} is not in the text: quote the '
                "text's own words, exactly"
            )
    mismatch = archetype_problem(answer.archetype, [r.category for r in answer.reasons])
    return [*problems, *([mismatch] if mismatch else [])]


def _reask(problems: Sequence[str]) -> str:
    listed = "\n".join(f"- {p}" for p in problems)
    return (
        f"Your previous answer could not be used:\n{listed}\n"
        "Answer again with the same JSON shape: categories only from the list, each with "
        "words copied exactly from the text, and the archetype those categories give."
    )


def _result_problems(result: WriteResult, text: str) -> list[str]:
    if not isinstance(result.output, StopReasonAnswer):
        what = result.problem or "no output"
        return [f"the answer could not be used ({what}): {result.detail or 'no detail'}"]
    return answer_problems(result.output, text)


def _classification(answer: StopReasonAnswer, model: str) -> StopClassification:
    ranked = sorted(
        {r.category: r for r in answer.reasons}.values(),
        key=lambda r: CATEGORIES.index(r.category),
    )
    matched = [
        RuleMatch(rule=_RULE_ID, category=r.category, text=one_line(r.quote)) for r in ranked
    ]
    found = "; ".join(f'{m.category} "{m.text}"' for m in matched)
    said = one_line(answer.explanation, _EXPLANATION_CHARS)
    return StopClassification(
        archetype=answer.archetype,
        categories=[m.category for m in matched],
        explanation=f"{answer.archetype} (model {model}): {found}" + (f"; {said}" if said else ""),
        matched=matched,
        classifier=f"model {model}",
        decided_by=_RULE_ID,  # the model, on words checked to be in the text
    )


class ModelClassifier:
    """A StopReasonClassifier that asks a model and checks its answer; the rules decide when
    it gives no usable answer. One instance may serve many threads at once. It remembers its
    answer per text (a draft classifies its stop twice: to file the claim and to assess), and
    once the endpoint could not answer at all it asks no more: every later text goes to the
    rules at once instead of waiting out the same failure again."""

    def __init__(
        self,
        writer: Writer,
        *,
        deadline_seconds: float,
        fallback: StopReasonClassifier = DEFAULT_CLASSIFIER,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.writer = writer
        self.model = writer.model
        self.host = writer.endpoint or "an unnamed endpoint"
        self._deadline_seconds = deadline_seconds
        self._fallback = fallback
        self._max_attempts = max_attempts
        self._lock = threading.Lock()
        self._answers: dict[str, StopClassification] = {}
        self._unavailable: str | None = None

    @property
    def unavailable(self) -> str | None:
        """Why the endpoint could not answer at all, once it could not (the rules classified
        every text from then on); None while it answers."""
        return self._unavailable

    def classify(self, text: str | None) -> StopClassification:
        raw = text or ""
        if not raw.strip():  # nothing to ask about: the rules say "no reason given"
            return self._fallback.classify(text)
        with self._lock:
            known = self._answers.get(raw)
        if known is None:
            known = self._decide(raw)
            with self._lock:
                self._answers.setdefault(raw, known)
        return known

    def _decide(self, text: str) -> StopClassification:
        if self._unavailable is not None:
            return self._ruled(text, self._unavailable)
        try:
            # one budget for the ask and its re-asks (the writer's own per call is inside it)
            with budgets.within(self._deadline_seconds, "stop classification deadline"):
                answer, problems = self._ask(text)
        except ModelUnavailable as error:
            self._unavailable = one_line(str(error), _EXPLANATION_CHARS)
            return self._ruled(text, self._unavailable)
        if answer is not None:
            return _classification(answer, self.model)
        asks = f"{self._max_attempts} ask" + ("s" if self._max_attempts > 1 else "")
        return self._ruled(text, f"no usable answer after {asks}: {'; '.join(problems)}")

    def _ask(self, text: str) -> tuple[StopReasonAnswer | None, list[str]]:
        messages = list(prompt_for(text, Fence.new()).messages)
        problems: list[str] = []
        for attempt in range(1, self._max_attempts + 1):
            result = self.writer.write(
                WriteRequest(
                    section="stop_reason",
                    heading="Why the trial stopped",
                    messages=messages,
                    output=StopReasonAnswer,
                    facts={},
                    analytic=False,
                    attempt=attempt,
                )
            )
            problems = _result_problems(result, text)
            if not problems and isinstance(result.output, StopReasonAnswer):
                return result.output, []
            reply = result.raw or "(no answer)"
            messages += [
                Message(role="assistant", content=reply[:_REPLY_CHARS]),
                Message(role="user", content=_reask(problems)),
            ]
        return None, problems

    def _ruled(self, text: str, why: str) -> StopClassification:
        ruled = self._fallback.classify(text)
        reason = one_line(why, _EXPLANATION_CHARS)
        return ruled.model_copy(
            update={
                "classifier": f"{ruled.classifier} (model fallback: {reason})",
                "explanation": f"model {self.model} not used ({reason}); by the "
                f"{ruled.classifier}: {ruled.explanation}",
            }
        )


def model_classifier(settings: Settings) -> ModelClassifier:
    """The model classifier for these settings. Raises ModelUnavailable (exit 3, one line)
    when no model endpoint is configured."""
    # imported here: the openai SDK takes a quarter of a second to import, and every command
    # that could ask the model imports this module, asked or not
    from drafter.writers.openai_writer import OpenAIWriter

    return ModelClassifier(OpenAIWriter(settings), deadline_seconds=settings.model_deadline)


def classify_each(
    classifier: StopReasonClassifier, texts: Iterable[str | None], workers: int
) -> Iterator[StopClassification]:
    """Each text's classification, in order, with at most `workers` classified at once
    (Settings.model_concurrency for a model) and texts read only a little ahead of them.
    Daemon workers: an interrupted run exits without waiting for a call in flight."""
    pool = DaemonPool(workers, name="drafter-classify")
    pending: deque[Future[StopClassification]] = deque()
    try:
        for text in texts:
            pending.append(pool.submit(partial(classifier.classify, text)))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.close()
