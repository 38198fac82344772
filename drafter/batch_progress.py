"""How far a batch is, on stderr: a live `rich` progress bar when stderr is a terminal, plain
lines otherwise ("batch: 12/200 done, 1 failed, ETA 3m10s"), at most one every few seconds so
a log file stays readable. Results never go here: stdout holds only the summary.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO

PLAIN_INTERVAL = 5.0  # seconds between plain progress lines


def eta_seconds(done: int, remaining: int, elapsed: float) -> float | None:
    """Seconds left at the pace so far (trials finished per second of wall-clock time);
    None before the first trial ends."""
    if done <= 0 or elapsed <= 0:
        return None
    return remaining * elapsed / done


def duration(seconds: float | None) -> str:
    """'3m10s', '1h02m', '42s'; '?' when unknown."""
    if seconds is None:
        return "?"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class Progress(Protocol):
    """What the batch tells about itself while it runs."""

    def phase(self, name: str, total: int) -> None:
        """A phase begins: `name` ('fetching' or 'drafting') over `total` trials."""

    def advance(self, failed: bool) -> None:
        """One trial of the phase ended."""

    def note(self, message: str) -> None:
        """A line for the user (an interrupt, a stop)."""

    def close(self) -> None: ...


class _Counts:
    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.name = ""
        self.total = 0
        self.done = 0
        self.failed = 0
        self.started = clock()

    def reset(self, name: str, total: int) -> None:
        self.name, self.total, self.done, self.failed = name, total, 0, 0
        self.started = self.clock()

    def line(self) -> str:
        remaining = self.total - self.done
        eta = eta_seconds(self.done, remaining, self.clock() - self.started)
        what = "done" if self.name == "drafting" else "fetched"
        text = f"batch: {self.done}/{self.total} {what}, {self.failed} failed"
        return text + (f", ETA {duration(eta)}" if remaining else "")


class PlainProgress:
    """Periodic plain lines, for a log file or a pipe."""

    def __init__(
        self,
        stream: TextIO,
        *,
        interval: float = PLAIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.interval = interval
        self.counts = _Counts(clock)
        self._last = -float("inf")

    def phase(self, name: str, total: int) -> None:
        self.counts.reset(name, total)
        self._last = -float("inf")

    def advance(self, failed: bool) -> None:
        self.counts.done += 1
        self.counts.failed += failed
        now = self.counts.clock()
        if now - self._last >= self.interval or self.counts.done == self.counts.total:
            self._last = now
            self._write(self.counts.line())

    def note(self, message: str) -> None:
        self._write(f"batch: {message}")

    def close(self) -> None:
        return

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


class RichProgress:
    """A live bar on a terminal: phase, bar, done/total, failed, elapsed and ETA."""

    def __init__(self, stream: TextIO) -> None:
        # imported here: only a terminal run pays for it
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._bar: Any = Progress(
            TextColumn("[bold]batch[/] {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=False,
        )
        self._task: Any = None
        self._failed = 0
        self._bar.start()

    def phase(self, name: str, total: int) -> None:
        if self._task is not None:
            self._bar.stop_task(self._task)
        self._failed = 0
        self._task = self._bar.add_task(name, total=total, failed=0)

    def advance(self, failed: bool) -> None:
        self._failed += failed
        self._bar.update(self._task, advance=1, failed=self._failed)

    def note(self, message: str) -> None:
        self._bar.console.print(f"batch: {message}", markup=False, highlight=False)

    def close(self) -> None:
        self._bar.stop()


def progress_for(stream: TextIO | None = None) -> Progress:
    """Rich on a terminal, plain lines elsewhere."""
    stream = stream or sys.stderr
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return RichProgress(stream)
    return PlainProgress(stream)
