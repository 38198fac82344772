"""Small helpers shared by the tests of the HTTP layer."""

from __future__ import annotations

from drafter.sources.api import ApiRequest, ApiResponse

OK = '{"ok": true}'


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
