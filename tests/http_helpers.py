"""Small helpers shared by the tests of the HTTP layer."""

from __future__ import annotations

from drafter.sources.api import ApiRequest, ApiResponse

OK = '{"ok": true}'
# The rate limiter books slots on time.time(), the local servers stamp arrivals with
# time.monotonic(): the two may read a little apart.
CLOCKS = 0.001


class SleepRecorder:
    """Injected sleep: records each wait without spending it, so waits are asserted exactly."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def as_is(response: ApiResponse) -> ApiResponse:
    """A parse that accepts every answer, for tests of the transport itself."""
    return response


def get(path: str, **params: str) -> ApiRequest:
    """A GET to ClinicalTrials.gov (whose base URL the tests point at a local server)."""
    return ApiRequest(source="ctgov", path=path, params=params)


def assert_spaced(arrivals: list[float], since: float, interval: float) -> None:
    """The k-th request to arrive (time.monotonic() at the server) came no sooner than k
    intervals after `since`, a moment before the first could be sent.

    A gap between two neighbouring arrivals proves nothing on a loaded machine: a request
    held up after its slot (a thread woken late, the loopback, the server's busy GIL) lands
    next to the following one, which left on time. But no request leaves before its slot and
    the slots are `interval` apart, so the k-th arrival is at least k intervals after `since`,
    however late any request was; requests let through together break it at once."""
    for k, at in enumerate(sorted(arrivals)):
        assert at >= since + k * interval - CLOCKS, (k, at - since)
