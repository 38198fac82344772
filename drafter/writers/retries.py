"""When to try a model request again: tenacity's policy for the one retry layer of model calls
(the SDK's own retries are off, so attempts never multiply: openai-cookbook PR #2812).

Waits are exponential with jitter, or what the server asked for in `retry-after-ms` (OpenAI)
or `Retry-After` (seconds or an HTTP date, RFC 9110), capped. Retrying stops at the attempt
limit, or at once when the next wait would end after the call's deadline.
"""

from __future__ import annotations

import email.utils
import math
import random
import re
import time
from collections.abc import Callable
from typing import Any

import openai
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt
from tenacity.stop import stop_base

from drafter.config import Settings
from drafter.sources.deadline import Deadline
from drafter.writers.failures import is_transient

_ASCII_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def server_wait(headers: Any, clock: Callable[[], float] = time.time) -> float | None:
    """Seconds the server asked us to wait, or None when it did not say (or said nonsense).
    Numbers are ASCII digits only: "²" is a digit to str.isdigit, not to RFC 9110."""
    milliseconds = (headers.get("retry-after-ms") or "").strip()
    if _ASCII_NUMBER.fullmatch(milliseconds):
        return float(milliseconds) / 1000
    value = (headers.get("retry-after") or "").strip()
    if _ASCII_NUMBER.fullmatch(value):
        seconds = float(value)  # 400 digits make inf, never an error
        return seconds if math.isfinite(seconds) else math.inf
    parsed = email.utils.parsedate_tz(value) if value else None
    if parsed is None:
        return None
    try:
        epoch = email.utils.mktime_tz(parsed)  # no zone given: UTC, as HTTP dates are
    except (OverflowError, ValueError):
        return None
    return max(0.0, epoch - clock())


def asked_wait(state: RetryCallState) -> float | None:
    """The server's requested wait after the attempt that just failed, if it named one."""
    error = state.outcome.exception() if state.outcome is not None else None
    if isinstance(error, openai.APIStatusError):
        return server_wait(error.response.headers)
    return None


def backoff(initial: float, ceiling: float, cap: float) -> Callable[[RetryCallState], float]:
    """tenacity's wait: the server's wish (at most `cap`), else `initial` doubled per attempt
    up to `ceiling`, plus up to `initial` of jitter so parallel workers spread out."""

    def wait(state: RetryCallState) -> float:
        asked = asked_wait(state)
        if asked is not None:
            return min(asked, cap)
        doubled = initial * 2.0 ** (state.attempt_number - 1)
        return min(ceiling, doubled) + random.uniform(0, initial)

    return wait


def policy(settings: Settings, deadline: Deadline, sleep: Callable[[float], None]) -> Retrying:
    """The retry policy of one model call: transient failures only (failures.is_transient),
    at most `max_attempts`, never past `deadline`, waits from `backoff`."""
    return Retrying(
        retry=retry_if_exception(is_transient),
        stop=stop_after_attempt(settings.max_attempts) | StopBeforeDeadline(deadline),
        wait=backoff(settings.backoff_initial, settings.backoff_max, settings.retry_after_cap),
        sleep=sleep,
        reraise=False,
    )


class StopBeforeDeadline(stop_base):
    """Stop when the coming wait (or a Retry-After longer than our cap) would outlast the
    deadline: sleeping only to fail afterwards helps no one."""

    def __init__(self, deadline: Deadline) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: RetryCallState) -> bool:
        coming = max(retry_state.upcoming_sleep, asked_wait(retry_state) or 0.0)
        return coming >= self.deadline.remaining()
