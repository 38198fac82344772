"""One trial from its NCT id to its draft files: the steps `drafter draft` runs once and
`drafter batch` runs per trial, in one place so the two cannot drift apart.

Stages, in order (a failure names the stage it happened in, see `stage_of`):
  fetch   build the evidence bundle (under the fetch budget, DRAFTER_DEADLINE)
  claims  classify the stop, file the trial as a draft claim (drafter.trial_claim), and
          assess the bundle against the claims table (MRS, related claims)
  draft   every model-written section (under the drafting budget, Settings.model_deadline)
  verify  every anchor of the draft checked against the bundle
  write   evidence.json, draft.json, draft.md and review.html, as one atomic set

Errors leave unchanged (the same type and message `drafter draft` always gave), marked with
their stage. When no draft is written the trial's claim is withdrawn, leaving the claims table
as it was before this call.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from drafter.assessment import assess
from drafter.atomic_write import require_own_directory, write_all_atomically
from drafter.bundle import Bundle
from drafter.calllog import CallLog
from drafter.calllog import CallRecord as LoggedCall
from drafter.claims import ClaimsStore
from drafter.classify import DEFAULT_CLASSIFIER, StopReasonClassifier
from drafter.config import Settings
from drafter.draft import CallEntry, CallHook, draft_trial
from drafter.draft_files import DRAFT_JSON, DRAFT_MD, EVIDENCE_JSON, REVIEW_HTML
from drafter.draft_model import Draft
from drafter.evidence import EvidenceQuery, build_bundle
from drafter.evidence.related import PairMemo
from drafter.models import Claim
from drafter.render import render_markdown
from drafter.review_page import render_review_page
from drafter.sources import deadline as budgets
from drafter.sources.http import HttpClient
from drafter.terminal import model_json
from drafter.trial_claim import Filed, claim_for_trial, record_trial, withdraw_trial
from drafter.verify import verify_draft
from drafter.verify_model import VerifyReport
from drafter.worker_pool import DaemonPool
from drafter.writers.base import Writer
from drafter.writers.pricing import cost_usd

Stage = Literal["fetch", "claims", "draft", "verify", "write"]
DRAFT_FILES = (EVIDENCE_JSON, DRAFT_JSON, DRAFT_MD, REVIEW_HTML)
# What a fetch budget is called when it runs out, unless the caller names it.
FETCH_DEADLINE = "command deadline (DRAFTER_DEADLINE)"
_STAGE_ATTRIBUTE = "drafter_stage"


def stage_of(error: BaseException) -> str:
    """The stage an error of `draft_one` or `file_trial` happened in ('unknown' otherwise)."""
    stage = getattr(error, _STAGE_ATTRIBUTE, None)
    return stage if isinstance(stage, str) else "unknown"


@contextmanager
def _stage(name: Stage) -> Iterator[None]:
    """Mark an error leaving this stage with the stage's name; the error is not changed
    otherwise, so `drafter draft` reports exactly what it reported before batches existed."""
    try:
        yield
    except Exception as error:
        if getattr(error, _STAGE_ATTRIBUTE, None) is None:
            setattr(error, _STAGE_ATTRIBUTE, name)
        raise


@dataclass(frozen=True)
class TrialQuery:
    """Which trial, as of when, and the target and disease when the caller names them."""

    nct_id: str
    as_of: date
    target: str | None = None
    disease: str | None = None

    def evidence(self) -> EvidenceQuery:
        return EvidenceQuery(
            nct_id=self.nct_id, as_of=self.as_of, target=self.target, disease=self.disease
        )


@dataclass(frozen=True)
class Filing:
    """A trial's fetched (not yet assessed) evidence and what filing its claim did."""

    evidence: Bundle
    claim: Claim | None
    filed: Filed | None

    def withdraw(self, store: ClaimsStore) -> None:
        """Undo the filing (see drafter.trial_claim.withdraw_trial)."""
        if self.filed is not None:
            withdraw_trial(store, self.filed)


@dataclass(frozen=True)
class DraftResult:
    """A written draft: the draft, verify's report of it, where it is, the sha256 of each
    file as written, the model's token and dollar counts, and the seconds it took."""

    draft: Draft
    report: VerifyReport
    folder: Path
    files: dict[str, str]
    seconds: float

    @property
    def tokens(self) -> int:
        return sum(
            (call.prompt_tokens or 0) + (call.completion_tokens or 0) for call in self.draft.calls
        )

    @property
    def cost_usd(self) -> float | None:
        """The summed cost, or None when the price of some call is unknown (or none cost)."""
        costs = [call.cost_usd for call in self.draft.calls if call.writer != "offline"]
        if not costs or any(cost is None for cost in costs):
            return None
        return sum(cost for cost in costs if cost is not None)


def file_trial(
    query: TrialQuery,
    *,
    client: HttpClient,
    store: ClaimsStore,
    settings: Settings,
    fetch_label: str = FETCH_DEADLINE,
    classifier: StopReasonClassifier = DEFAULT_CLASSIFIER,
) -> Filing:
    """Fetch the trial's evidence and file it as a draft claim (unless a published claim holds
    its key, or it makes no claim: not stopped, no target or disease)."""
    with _stage("fetch"), client.deadline(settings.command_deadline, fetch_label):
        evidence = build_bundle(client, query.evidence())
    with _stage("claims"):
        claim = claim_for_trial(evidence, classifier.classify(evidence.trial.status.why_stopped))
        filed = record_trial(store, claim) if claim is not None else None
    return Filing(evidence, claim, filed)


def draft_one(
    query: TrialQuery,
    *,
    client: HttpClient,
    store: ClaimsStore,
    settings: Settings,
    writer: Writer,
    out_dir: Path,
    call_log: CallLog | None = None,
    fetch_label: str = FETCH_DEADLINE,
    unchanged: Callable[[Bundle], bool] | None = None,
    writing: Callable[[], AbstractContextManager[object]] = nullcontext,
    finish: Callable[[DraftResult], None] | None = None,
    classifier: StopReasonClassifier = DEFAULT_CLASSIFIER,
    filing: Filing | None = None,
    pair_memo: PairMemo | None = None,
    section_pool: DaemonPool | None = None,
) -> DraftResult | None:
    """Draft one trial into OUT/NCT_ID/ and return what was written.

    `filing`: the trial's evidence as `file_trial` fetched and filed it already (a batch's
    fetching phase), so it is not fetched again; when no draft is written, its withdraw()
    runs as a filing of this call's would (a batch hands one that keeps the claim).

    `unchanged(bundle)` (a batch's --refresh) is asked once the bundle is assessed: when it
    says the inputs are those of the draft on disk, nothing is drafted or written and the
    result is None. `writing()` is entered around the write stage (a batch refuses new writes
    once it is stopping, and waits for those under way); `finish(result)` runs inside it, after
    the four files are written (a batch writes its manifest there, last). `classifier` reads
    the stop reason (the rules unless the user asked for the model: `--classify-with-model`);
    it is asked twice, to file the claim and to assess, and a model's answers it remembers.
    `pair_memo`: related pairs' evidence kept across a batch's drafts (drafter.evidence.related);
    `section_pool`: the threads a batch's drafts write their sections in (drafter.draft)."""
    started = time.monotonic()
    filing = filing or file_trial(
        query,
        client=client,
        store=store,
        settings=settings,
        fetch_label=fetch_label,
        classifier=classifier,
    )
    folder = out_dir / query.nct_id
    try:
        with _stage("claims"):
            bundle = assess(filing.evidence, store, classifier, client=client, pair_memo=pair_memo)
        if unchanged is not None and unchanged(bundle):
            return None
        with _stage("draft"), budgets.within(settings.model_deadline, "drafting deadline"):
            # the drafting stage has its own total budget: every model call, retry and re-ask
            draft = _draft(bundle, writer, settings, call_log, section_pool)
        with _stage("verify"):
            report = verify_draft(draft, bundle, path=str(folder / DRAFT_JSON))
            texts = {
                EVIDENCE_JSON: model_json(bundle) + "\n",
                DRAFT_JSON: model_json(draft) + "\n",
                DRAFT_MD: render_markdown(draft),
                REVIEW_HTML: render_review_page(draft, report),
            }
        with _stage("write"), writing():
            require_own_directory(folder)
            write_all_atomically(
                {folder / name: text for name, text in texts.items()}, create_parents=True
            )
            result = DraftResult(
                draft=draft,
                report=report,
                folder=folder,
                files={name: sha256_text(text) for name, text in texts.items()},
                seconds=time.monotonic() - started,
            )
            if finish is not None:
                finish(result)
    except BaseException:
        # no draft: the claim it was filed for goes
        filing.withdraw(store)
        raise
    return result


def sha256_text(text: str) -> str:
    """The sha256 of a file written from `text` (UTF-8, line endings as given)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _draft(
    bundle: Bundle,
    writer: Writer,
    settings: Settings,
    call_log: CallLog | None,
    section_pool: DaemonPool | None,
) -> Draft:
    offline = writer.name == "offline"
    on_call = None  # no model asked, or no log wanted
    if not offline and call_log is not None:
        on_call = call_logger(writer, call_log, bundle.nct_id)
    return draft_trial(
        bundle,
        writer,
        concurrency=settings.model_concurrency,
        on_call=on_call,
        pricing=None if offline else cost_usd,
        section_pool=section_pool,
    )


def call_logger(writer: Writer, log: CallLog, nct_id: str) -> CallHook:
    """Every ask of a model written to the call log (prompts, reply, problems, tokens)."""
    draft_id = f"{nct_id}-{uuid.uuid4().hex[:12]}"

    def record(entry: CallEntry) -> None:
        sections = [h for name, h in entry.template_hashes.items() if name.startswith("sections/")]
        log.add(
            LoggedCall.of(
                writer,
                entry.request,
                entry.result,
                draft_id=draft_id,
                nct_id=nct_id,
                template_hash=sections[0] if sections else None,
                validation_errors=entry.problems,
            )
        )

    return record
