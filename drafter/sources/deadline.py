"""Time budgets for network work: one per request, one per optional evidence step, one per command.

The active budget lives in a context variable, so each thread or task has its own and a nested
budget can only shorten, never extend, the one around it (`postponed` excepted: waiting in a queue
shared with other work is not this work's time). (A thread started inside a budget does
not inherit it; run the thread's work through `contextvars.copy_context().run` to pass it on.)
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock, and how to name it in a message."""

    expires: float
    seconds: float
    label: str

    @classmethod
    def starting_now(cls, seconds: float, label: str) -> Deadline:
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"a deadline needs a positive number of seconds, not {seconds!r}")
        return cls(time.monotonic() + seconds, seconds, label)

    def remaining(self) -> float:
        return self.expires - time.monotonic()

    def describe(self) -> str:
        return f"the {self.seconds:g} s {self.label}"


_ACTIVE: ContextVar[Deadline | None] = ContextVar("drafter_deadline", default=None)


def active() -> Deadline | None:
    """The innermost (earliest) budget of this thread or task, if any."""
    return _ACTIVE.get()


def earliest(first: Deadline, other: Deadline | None) -> Deadline:
    return first if other is None or first.expires <= other.expires else other


@contextmanager
def within(seconds: float, label: str) -> Iterator[Deadline]:
    """Run the body under a budget of `seconds`, or under the enclosing one if that ends first."""
    chosen = earliest(Deadline.starting_now(seconds, label), _ACTIVE.get())
    token = _ACTIVE.set(chosen)
    try:
        yield chosen
    finally:
        _ACTIVE.reset(token)


@contextmanager
def postponed(seconds: float) -> Iterator[Deadline | None]:
    """Run the body under the active budget moved `seconds` later: the one way a budget grows,
    for time spent queueing for a slot shared with other work (a batch's model calls), which
    is not this work's own. The body's own budgets still start from now."""
    current = _ACTIVE.get()
    if current is None or seconds <= 0:
        yield current
        return
    moved = Deadline(current.expires + seconds, current.seconds, current.label)
    token = _ACTIVE.set(moved)
    try:
        yield moved
    finally:
        _ACTIVE.reset(token)


# When the request on the wire must be done by (time.monotonic): the connections under both HTTP
# libraries read it (drafter.sources.watched under requests, drafter.writers.model_transport
# under the openai SDK), since neither library passes a whole-request deadline down to them.
_REQUEST_ENDS: ContextVar[float | None] = ContextVar("drafter_request_ends", default=None)


@contextmanager
def request_ends_by(expires: float) -> Iterator[None]:
    """The requests sent inside must be done by `expires` (time.monotonic)."""
    token = _REQUEST_ENDS.set(expires)
    try:
        yield
    finally:
        _REQUEST_ENDS.reset(token)


def request_end() -> float | None:
    """When the request under way in this thread or task must be done by, if it is bounded."""
    return _REQUEST_ENDS.get()
