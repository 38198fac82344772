"""Running drafter in a child process, for the tests that interrupt or kill it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def start_drafter(*argv: str) -> subprocess.Popen[str]:
    """`python -m drafter.cli ARGV` from the repository, with this process's environment."""
    return subprocess.Popen(
        [sys.executable, "-m", "drafter.cli", *argv],
        cwd=REPO,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_until(
    process: subprocess.Popen[str], reached: Callable[[], bool], what: str, timeout: float = 30
) -> None:
    """Until `reached()` holds (or the process ends, or the timeout passes: a failure)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if reached():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached in time: {process.poll()}")


def wait_for_lines(
    out: Path, count: int, process: subprocess.Popen[str], timeout: float = 30
) -> None:
    """Until OUT/batch.jsonl holds `count` finished trials (or the process ends: a failure)."""
    report = out / "batch.jsonl"
    wait_until(
        process,
        lambda: report.exists() and len(report.read_text().splitlines()) >= count,
        f"{count} finished trials",
        timeout,
    )
