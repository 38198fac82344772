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
    """`workers` daemon threads taking jobs in submission order. Once closed, a job submitted
    fails at once with `refused()`: no worker is left to run it, and whoever waits for its
    result (a draft left running by a stopped batch) must not wait forever."""

    def __init__(
        self,
        workers: int,
        name: str = "drafter-worker",
        refused: Callable[[], BaseException] = lambda: RuntimeError("the pool is closed"),
    ) -> None:
        if workers < 1:
            raise ValueError(f"a pool needs at least one worker, not {workers}")
        self._refused = refused
        self._closed = False
        self._lock = threading.Lock()  # no job is queued behind the workers' stop markers
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
        with self._lock:
            if self._closed:
                future.set_exception(self._refused())
                return future
            self._jobs.put((future, lambda: context.run(fn)))
        return future

    def close(self) -> None:
        """No more jobs: each worker ends after the jobs already queued. Returns at once."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
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
