"""The report of a batch run in OUT: `batch.jsonl` (one line per trial) and `batch.md` (a table
and the totals), and the same as one JSON document for `--json`.

batch.jsonl starts empty with each run and gets each trial's line as the trial ends, appended
with one write() of the whole line (O_APPEND), so a run that is killed still leaves the lines of
the trials it finished; at the end both files are rewritten atomically, in candidate order.
(Only a kill in the middle of one append, with the disk full, could cut a line: a reader skips
a line that does not parse.)
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from drafter.atomic_write import write_atomically
from drafter.terminal import fitted_table, json_text, one_line

BATCH_JSONL = "batch.jsonl"
BATCH_MD = "batch.md"
REASON_CHARS = 500  # a reason is one line; a source's text inside it is cut

Status = Literal["drafted", "needs_editor", "failed", "skipped", "interrupted"]
STATUSES: tuple[Status, ...] = ("drafted", "needs_editor", "failed", "skipped", "interrupted")


class TrialOutcome(BaseModel):
    """One trial of a batch: a line of batch.jsonl."""

    nct_id: str
    status: Status
    stage: str | None = Field(default=None, description="where a failed trial stopped")
    reason: str | None = Field(
        default=None, description="why it failed, was skipped, or was drafted again"
    )
    needs_editor: list[str] = Field(default_factory=list, description="sections an editor writes")
    anchors_failing: int = Field(default=0, description="anchors verify could not trace or match")
    earlier: Literal["drafted", "needs_editor"] | None = Field(
        default=None, description="a skipped trial: how its draft came out in the earlier run"
    )
    tokens: int = 0
    cost_usd: float | None = None
    seconds: float = 0.0
    folder: str | None = None

    @property
    def finding(self) -> bool:
        """A failed trial, or a draft an editor must look at (now or from an earlier run)."""
        return self.status in ("failed", "needs_editor") or self.earlier == "needs_editor"


class BatchSummary(BaseModel):
    """The whole run: what --json prints and batch.md sums up."""

    out: str
    candidates: int
    counts: dict[str, int]
    not_started: int = Field(description="candidates no worker took (an interrupt, a stop)")
    input_problems: list[str] = Field(description="unusable lines of --nct-file")
    stopped: str | None = Field(description="why the batch stopped early, if it did")
    tokens: int
    cost_usd: float | None
    seconds: float = Field(description="wall-clock time of the run")
    model_calls_peak: int = Field(description="most model calls in flight at once")
    exit_code: int
    trials: list[TrialOutcome]


def summarise(
    outcomes: list[TrialOutcome],
    *,
    out: str,
    candidates: int,
    input_problems: list[str],
    stopped: str | None,
    seconds: float,
    peak: int,
    exit_code: int,
) -> BatchSummary:
    counts = Counter(o.status for o in outcomes)
    priced = [o.cost_usd for o in outcomes if o.tokens]
    return BatchSummary(
        out=out,
        candidates=candidates,
        counts={status: counts.get(status, 0) for status in STATUSES},
        not_started=candidates - len(outcomes),
        input_problems=input_problems,
        stopped=stopped,
        tokens=sum(o.tokens for o in outcomes),
        cost_usd=None
        if not priced or any(c is None for c in priced)
        else round(sum(filter(None, priced)), 6),
        seconds=round(seconds, 3),
        model_calls_peak=peak,
        exit_code=exit_code,
        trials=outcomes,
    )


class ReportFiles:
    """batch.jsonl and batch.md in OUT."""

    def __init__(self, out: Path) -> None:
        self.jsonl = out / BATCH_JSONL
        self.markdown = out / BATCH_MD

    def start(self) -> None:
        write_atomically(self.jsonl, "", create_parents=True)

    def append(self, outcome: TrialOutcome) -> None:
        line = (json_text(outcome.model_dump(mode="json"), indent=None) + "\n").encode("utf-8")
        fd = os.open(self.jsonl, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)  # one write: appended whole (a regular file takes it in one go)
        finally:
            os.close(fd)

    def finish(self, summary: BatchSummary) -> None:
        lines = [json_text(t.model_dump(mode="json"), indent=None) + "\n" for t in summary.trials]
        write_atomically(self.jsonl, "".join(lines))
        write_atomically(self.markdown, markdown(summary))


def detail(outcome: TrialOutcome) -> str:
    """What a reader needs next to a trial's status, in a few words."""
    if outcome.status in ("failed", "interrupted"):
        where = f"{outcome.stage}: " if outcome.stage else ""
        return one_line(f"{where}{outcome.reason or 'no reason given'}", REASON_CHARS)
    parts: list[str] = []
    if outcome.needs_editor:
        parts.append("needs an editor: " + ", ".join(outcome.needs_editor))
    if outcome.anchors_failing:
        parts.append(f"{outcome.anchors_failing} anchors fail verification")
    if outcome.reason:
        parts.insert(0, outcome.reason)
    return one_line("; ".join(parts), REASON_CHARS)


def _cost(cost: float | None, tokens: int) -> str:
    if not tokens:
        return "-"
    return "unknown" if cost is None else f"${cost:.4f}"


def rows(summary: BatchSummary) -> list[tuple[str, ...]]:
    return [
        (
            t.nct_id,
            t.status,
            detail(t) or "-",
            f"{t.tokens:,}",
            _cost(t.cost_usd, t.tokens),
            f"{t.seconds:.1f}",
        )
        for t in summary.trials
    ]


HEADER = ("trial", "status", "detail", "tokens", "cost", "seconds")


def totals_line(summary: BatchSummary) -> str:
    counts = summary.counts
    parts = [
        f"{summary.candidates} trials",
        f"{counts['drafted']} drafted",
        f"{counts['needs_editor']} need an editor",
        f"{counts['failed']} failed",
        f"{counts['skipped']} skipped",
    ]
    if counts["interrupted"]:
        parts.append(f"{counts['interrupted']} interrupted")
    if summary.not_started:
        parts.append(f"{summary.not_started} not started")
    spent = f"{summary.tokens:,} tokens, cost {_cost(summary.cost_usd, summary.tokens)}"
    return f"{', '.join(parts)} · {spent} · {summary.seconds:.1f} s"


def human(summary: BatchSummary, width: int | None) -> str:
    """The summary table for stdout, fitted to `width` on a terminal (too narrow: one wrapped
    line a trial, its id whole)."""
    lines = [fitted_table(HEADER, rows(summary), width).rstrip("\n"), totals_line(summary)]
    lines += [f"unusable input: {problem}" for problem in summary.input_problems]
    if summary.stopped:
        lines.append(f"stopped early: {summary.stopped}")
    lines.append(f"report: {summary.out}/{BATCH_MD}, {summary.out}/{BATCH_JSONL}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return one_line(text).replace("\\", "\\\\").replace("|", "\\|") or "-"


def markdown(summary: BatchSummary) -> str:
    """batch.md: the table and the totals, Markdown-escaped (source text may hold a pipe)."""
    lines = [
        "# Batch report",
        "",
        totals_line(summary),
        "",
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows(summary)]
    if summary.input_problems:
        lines += ["", "## Unusable input", ""]
        lines += [f"- {_cell(p)}" for p in summary.input_problems]
    if summary.stopped:
        lines += ["", f"**Stopped early:** {_cell(summary.stopped)}"]
    if summary.not_started or summary.counts["interrupted"] or summary.counts["failed"]:
        lines += ["", "Run the same command again to redo what is not finished."]
    return "\n".join(lines) + "\n"
