"""One bound on model calls in flight for a whole process: every trial of a batch drafts its
sections concurrently, and without a shared bound N trials would put N × 8 calls on the
endpoint at once (and into its rate limit). A BoundedWriter wraps the writer every trial
shares; each call takes one of `Settings.model_concurrency` slots (DRAFTER_MODEL_CONCURRENCY).

The time a call waits for a slot is not counted against the draft's own budget (the drafting
deadline): it is other trials' work, not this draft's model being slow. Once the batch is
stopping, no new call starts: the draft ends with BatchStopped at its next ask.
"""

from __future__ import annotations

import threading
import time

from drafter.sources import deadline as budgets
from drafter.writers.base import ModelUnavailable, Writer, WriteRequest, WriteResult


class BatchStopped(ModelUnavailable):
    """The batch is stopping (an interrupt): no more model calls are started. A subclass of
    ModelUnavailable so a draft stops asking at once, as it does when the model is gone."""


class _StopFlag(threading.Event):
    """The batch's stop flag: setting it also wakes every call waiting for a slot."""

    def __init__(self, on_set: threading.Condition) -> None:
        super().__init__()
        self._on_set = on_set

    def set(self) -> None:
        super().set()
        with self._on_set:
            self._on_set.notify_all()


class CallSlots:
    """The process-wide slots, with the peak number in use (for tests and the report). A call
    waiting for a slot sleeps until one is released or the batch stops: it polled the stop
    flag every 50 ms, and a batch keeping 100 calls waiting woke 2,000 times a second."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"at least one model call slot is needed, not {slots}")
        self.size = slots
        self._changed = threading.Condition()
        self.stopping: threading.Event = _StopFlag(self._changed)
        self.in_use = 0
        self.peak = 0

    def acquire(self) -> float:
        """Wait for a slot; the seconds waited (the caller's budget is postponed by as much).
        Raises BatchStopped once the batch stops, waiting or not."""
        started = time.monotonic()
        with self._changed:
            self._changed.wait_for(lambda: self.stopping.is_set() or self.in_use < self.size)
            if self.stopping.is_set():
                raise BatchStopped("the batch is stopping: no new model call was started")
            self.in_use += 1
            self.peak = max(self.peak, self.in_use)
        return time.monotonic() - started

    def release(self) -> None:
        with self._changed:
            self.in_use -= 1
            self._changed.notify()


class BoundedWriter:
    """A Writer (drafter.writers.base) that asks `inner` only while holding a slot."""

    def __init__(self, inner: Writer, slots: CallSlots) -> None:
        self.inner = inner
        self.slots = slots
        self.name = inner.name
        self.model = inner.model
        self.endpoint = inner.endpoint

    def write(self, request: WriteRequest) -> WriteResult:
        if self.slots.stopping.is_set():
            raise BatchStopped("the batch is stopping: no new model call was started")
        waited = self.slots.acquire()
        try:
            with budgets.postponed(waited):
                return self.inner.write(request)
        finally:
            self.slots.release()
