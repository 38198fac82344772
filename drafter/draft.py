"""One draft from an assessed Bundle: every model-written section asked of the writer in a
bounded thread pool, validated against its own facts, re-asked with the problems at most twice,
else marked needs_editor; the computed sections read off the facts; everything assembled into
the canonical Draft.

The writer is never trusted: what it returns is checked (drafter.validate), its citations are
mapped from the prompt's handles back to fact ids, and a section that keeps failing still
leaves the rest of the draft intact. Every ask is reported to `on_call` (the call log).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import wait
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from pydantic import BaseModel

from drafter import __version__
from drafter.bundle import Bundle
from drafter.computed_sections import mrs_section, related_groups, sources_of, with_inputs
from drafter.conflicts import Conflict, find_conflicts
from drafter.draft_model import (
    CallRecord,
    CitedParagraph,
    ConflictNote,
    Draft,
    Provenance,
    SectionDraft,
)
from drafter.facts import Fact
from drafter.framing import Framing, framing_of
from drafter.prompting import Fence, render_section
from drafter.prose import category_text
from drafter.section_models import HeadlineText, SectionText
from drafter.sections import SECTIONS, FactSelector, SectionSpec, handles, model_sections
from drafter.validate import (
    MAX_DEK_CHARS,
    MAX_HEADLINE_CHARS,
    MAX_PARAGRAPH_CHARS,
    MAX_PARAGRAPHS,
    problems_of,
)
from drafter.worker_pool import DaemonPool
from drafter.writers.base import (
    Message,
    ModelUnavailable,
    Usage,
    Writer,
    WriteRequest,
    WriteResult,
)

MAX_ATTEMPTS = 3  # the first ask and at most two re-asks
# A re-ask repeats the previous reply; a run-away one is cut so the next prompt stays bounded.
REASK_REPLY_CHARS = 20_000
DEFAULT_CONCURRENCY = 8  # every model-written section at once (Settings.model_concurrency)


@dataclass(frozen=True)
class CallEntry:
    """Everything about one ask, for the call log (the prompts included)."""

    section: str
    attempt: int
    writer: str
    request: WriteRequest
    result: WriteResult
    problems: list[str]
    template_hashes: dict[str, str]


CallHook = Callable[[CallEntry], None]
Pricing = Callable[[str, Usage], float | None]


@dataclass
class _Run:
    """A model-written section once the writer is done with it."""

    spec: SectionSpec
    section: SectionDraft
    headline: HeadlineText | None
    calls: list[CallRecord] = field(default_factory=list)
    templates: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Shared:
    """What every section's prompt shares."""

    bundle: Bundle
    writer: Writer
    framing: Framing
    conflicts: list[ConflictNote]
    stop: str
    on_call: CallHook | None
    pricing: Pricing | None
    selector: FactSelector  # the bundle's facts indexed once for every section's selection
    # why the model cannot answer at all, once it could not: sections not yet asked are not
    # asked, and each stops with the first cause (list.append is atomic across threads)
    failures: list[ModelUnavailable] = field(default_factory=list)


def draft_trial(
    bundle: Bundle,
    writer: Writer,
    *,
    concurrency: int = DEFAULT_CONCURRENCY,
    on_call: CallHook | None = None,
    pricing: Pricing | None = None,
    section_pool: DaemonPool | None = None,
) -> Draft:
    """The draft of an assessed bundle (drafter.assessment.assess ran on it).

    Sections are written `concurrency` at a time in a pool of this draft's own, or in
    `section_pool`, a pool a batch shares among its drafts: starting and joining ten threads
    for every draft cost about a millisecond of CPU per draft."""
    facts = {f.id: f for f in bundle.facts}
    conflicts = [_note(c, facts) for c in find_conflicts(bundle)]
    shared = _Shared(
        bundle,
        writer,
        framing_of(bundle),
        conflicts,
        _stop_words(bundle),
        on_call,
        pricing,
        FactSelector(bundle),
    )
    specs = model_sections()
    # each section runs in a copy of this context, so deadlines and recorders carry over
    pool = section_pool
    if pool is None:
        pool = DaemonPool(max(1, min(concurrency, len(specs))), "drafter-section")
    try:
        runs = _write_sections(specs, shared, pool)
    finally:
        if pool is not section_pool:
            pool.close()
    return _assemble(bundle, shared, runs)


def _write_sections(specs: list[SectionSpec], shared: _Shared, pool: DaemonPool) -> dict[str, _Run]:
    """Every section written in `pool`; returns once none of them is running."""
    futures = [pool.submit(partial(_write_section, spec, shared)) for spec in specs]
    try:
        return {run.spec.key: run for run in (future.result() for future in futures)}
    except BaseException:
        # no section can be written (ModelUnavailable, or the batch stopping): the ones not
        # started are not asked at all, and those under way end before the draft does
        for future in futures:
            future.cancel()
        wait(futures)
        raise


# --- one section ---------------------------------------------------------------------------------


def _write_section(spec: SectionSpec, shared: _Shared) -> _Run:
    handled = handles(shared.selector.select(spec))
    assert spec.template is not None and spec.output is not None  # model sections have both
    context = prompt_context(
        spec, shared.bundle.nct_id, shared.framing, shared.stop, _conflicts_of(handled, shared)
    )
    prompt = render_section(spec.template, context, handled, Fence.new())
    messages = list(prompt.messages)
    run = _Run(
        spec,
        SectionDraft(
            key=spec.key, heading=spec.heading, status="needs_editor", writer=shared.writer.name
        ),
        None,
        templates=prompt.template_hashes,
    )
    problems: list[str] = []
    last: BaseModel | None = None
    for attempt in range(1, MAX_ATTEMPTS + 1):
        request = WriteRequest(
            section=spec.key,
            heading=spec.heading,
            messages=messages,
            output=spec.output,
            facts=handled,
            analytic=spec.analytic,
            attempt=attempt,
            framing=shared.framing,
        )
        if shared.failures:  # whichever section is reported first, the message is the cause
            raise ModelUnavailable(str(shared.failures[0]))
        try:
            result = shared.writer.write(request)
        except ModelUnavailable as error:
            shared.failures.append(error)
            raise ModelUnavailable(str(shared.failures[0])) from None
        problems = _problems(result, handled, spec, shared.framing)
        last = result.output or last
        run.calls.append(_call_record(spec, attempt, shared, result, problems))
        if shared.on_call is not None:
            shared.on_call(
                CallEntry(
                    spec.key,
                    attempt,
                    shared.writer.name,
                    request,
                    result,
                    problems,
                    prompt.template_hashes,
                )
            )
        if not problems and result.output is not None:
            return _finished(run, result.output, handled, attempt, "written", None)
        messages += [
            Message(
                role="assistant", content=_clipped(result.raw or "(no answer)", REASK_REPLY_CHARS)
            ),
            Message(role="user", content=_reask(problems)),
        ]
    reason = _with_fact_ids("; ".join(problems), handled) or "no usable answer"
    if last is None:
        run.section = run.section.model_copy(update={"reason": reason, "attempts": MAX_ATTEMPTS})
        return run
    return _finished(run, last, handled, MAX_ATTEMPTS, "needs_editor", reason)


def prompt_context(
    spec: SectionSpec, nct_id: str, framing: Framing, stop: str, conflicts: list[str]
) -> dict[str, Any]:
    """The values a section's templates are rendered with (besides its facts and the fence)."""
    return {
        "heading": spec.heading,
        "nct": nct_id,
        "brief": spec.editor_brief,
        "framing": framing,
        "stop": stop,
        "analytic": spec.analytic,
        "conflicts": conflicts,
    }


def _conflicts_of(handled: dict[str, Fact], shared: _Shared) -> list[str]:
    """The conflict notes a section is told of: those about facts it has. A section that cannot
    cite either side cannot settle it, and a note about other facts only costs tokens."""
    ids = {fact.id for fact in handled.values()}
    return [c.note for c in shared.conflicts if ids.intersection(c.facts)]


def _problems(
    result: WriteResult, handled: dict[str, Fact], spec: SectionSpec, framing: Framing
) -> list[str]:
    if result.output is None:
        what = result.problem or "no output"
        return [f"the answer could not be used ({what}): {result.detail or 'no detail'}"]
    return problems_of(result.output, handled, analytic=spec.analytic, framing=framing)


def _reask(problems: list[str]) -> str:
    listed = "\n".join(f"- {p}" for p in problems)
    return (
        "Your previous answer could not be used:\n"
        f"{listed}\n"
        "Answer again with the same JSON shape. Cite only the listed handles, and state every "
        "number, date, phase and identifier exactly as a cited fact holds it (or coarser)."
    )


def _finished(
    run: _Run,
    output: BaseModel,
    handled: dict[str, Fact],
    attempts: int,
    status: str,
    reason: str | None,
) -> _Run:
    def ids(cites: list[str]) -> list[str]:
        return list(dict.fromkeys(handled[c].id for c in cites if c in handled))  # each once

    if isinstance(output, HeadlineText):
        run.headline = output.model_copy(
            update={
                "cites": ids(output.cites),
                "headline": _clipped(output.headline, MAX_HEADLINE_CHARS),
                "dek": _clipped(output.dek, MAX_DEK_CHARS),
            }
        )
        paragraphs: list[CitedParagraph] = []
    else:
        assert isinstance(output, SectionText)
        # unverified text kept for the editor is bounded like verified text (which validation
        # already held to these bounds, so clipping changes only needs_editor sections)
        paragraphs = [
            CitedParagraph(
                text=_clipped(p.text, MAX_PARAGRAPH_CHARS),
                cites=ids(p.cites),
                kind=p.kind,
                grade=p.grade,
            )
            for p in output.paragraphs[:MAX_PARAGRAPHS]
        ]
    run.section = run.section.model_copy(
        update={"status": status, "paragraphs": paragraphs, "attempts": attempts, "reason": reason}
    )
    return run


_HANDLE = re.compile(r"\bF\d+\b")


def _with_fact_ids(reason: str, handled: dict[str, Fact]) -> str:
    """A reason as the editor reads it: each prompt handle ("F3") followed by the fact id it
    stood for, since handles mean nothing outside the prompt."""

    def named(found: re.Match[str]) -> str:
        fact = handled.get(found.group(0))
        return f"{found.group(0)} [{fact.id}]" if fact else found.group(0)

    return _HANDLE.sub(named, reason)


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _call_record(
    spec: SectionSpec, attempt: int, shared: _Shared, result: WriteResult, problems: list[str]
) -> CallRecord:
    cost = shared.pricing(result.model, result.usage) if shared.pricing else None
    return CallRecord(
        section=spec.key,
        attempt=attempt,
        writer=shared.writer.name,
        model=result.model,
        problems=problems,
        prompt_tokens=result.usage.prompt_tokens,
        completion_tokens=result.usage.completion_tokens,
        cost_usd=cost,
        latency_seconds=round(result.latency_seconds, 3) if shared.writer.name != "offline" else 0,
        request_id=result.request_id,
    )


# --- the whole draft -----------------------------------------------------------------------------


def _assemble(bundle: Bundle, shared: _Shared, runs: dict[str, _Run]) -> Draft:
    headline_run = runs.get("headline")
    headline = headline_run.headline if headline_run else None
    sections: list[SectionDraft] = []
    for spec in SECTIONS:
        if spec.key == "headline":
            continue
        if spec.kind == "model":
            sections.append(runs[spec.key].section)
        else:
            sections.append(
                SectionDraft(
                    key=spec.key, heading=spec.heading, status="computed", writer="drafter"
                )
            )
    mrs = mrs_section(bundle)
    related = related_groups(bundle)
    cited = [c for s in sections for p in s.paragraphs for c in p.cites]
    cited += headline.cites if headline else []
    cited += mrs.facts + mrs.summary_cites + mrs.most_informative_cites if mrs else []
    cited += [claim.fact for group in related for claim in group.claims]
    cited += [f for c in shared.conflicts for f in c.facts]
    cited += [f.id for f in bundle.facts if f.id.startswith(("classify:", "related:"))]
    facts = with_inputs(bundle, cited)
    templates = {name: digest for run in runs.values() for name, digest in run.templates.items()}
    score = bundle.assessment.mrs if bundle.assessment else None
    return Draft(
        nct_id=bundle.nct_id,
        as_of=bundle.as_of,
        headline=headline.headline if headline else f"{bundle.nct_id}: headline for the editor",
        dek=headline.dek if headline else "",
        headline_cites=headline.cites if headline else [],
        headline_status=headline_run.section.status if headline_run else "needs_editor",
        framing=shared.framing,
        conflicts=shared.conflicts,
        sections=sections,
        mrs=mrs,
        sources=sources_of(bundle, facts),
        related=related,
        facts=facts,
        gaps=bundle.gaps,
        calls=[call for run in runs.values() for call in run.calls],
        provenance=Provenance(
            drafter_version=__version__,
            writer=shared.writer.name,
            model=shared.writer.model,
            endpoint=shared.writer.endpoint,
            templates=dict(sorted(templates.items())),
            mrs_params_hash=score.result.params_hash if score else None,
            sources={s.id: s.sha256 for s in bundle.sources},
            as_of=bundle.as_of,
            offline=bundle.offline,
            stop_classifier=(
                bundle.assessment.classification.classifier if bundle.assessment else "rules"
            ),
        ),
    )


def _note(conflict: Conflict, facts: dict[str, Fact]) -> ConflictNote:
    return ConflictNote(
        topic=conflict.topic, facts=conflict.facts, note=conflict.note(facts), kind=conflict.kind
    )


def _stop_words(bundle: Bundle) -> str:
    if bundle.assessment is None:
        return "unknown"
    stop = bundle.assessment.classification
    kinds = ", ".join(category_text(c) for c in stop.categories)
    return f"{stop.archetype} ({kinds})"
