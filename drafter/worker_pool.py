"""A fixed number of daemon worker threads returning concurrent.futures Futures.

Why not ThreadPoolExecutor: its threads are joined when the interpreter exits, so a batch that
stops while a trial is stuck in a model call could not exit until that call returned. Daemon
threads can be left behind; the batch makes sure none of them is writing files when it exits
(drafter.batch's write gate).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextvars import copy_context
from typing import Any, TypeVar

T = TypeVar("T")

_Job = tuple["Future[Any]", Callable[[], Any]]


class DaemonPool:
    """`workers` daemon threads taking jobs in submission order."""

    def __init__(self, workers: int, name: str = "drafter-worker") -> None:
        if workers < 1:
            raise ValueError(f"a pool needs at least one worker, not {workers}")
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Run `fn` on a worker, in a copy of the caller's context (deadlines, recorders)."""
        future: Future[T] = Future()
        context = copy_context()
        self._jobs.put((future, lambda: context.run(fn)))
        return future

    def close(self) -> None:
        """No more jobs: each worker ends after the jobs already queued. Returns at once."""
        for _ in self._threads:
            self._jobs.put(None)

    def alive(self) -> int:
        return sum(thread.is_alive() for thread in self._threads)

    def _work(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            future, fn = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn()
            except BaseException as error:
                future.set_exception(error)
            else:
                future.set_result(result)
