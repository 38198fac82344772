"""Running drafter in a child process, for the tests that interrupt or kill it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
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


def wait_for_lines(
    out: Path, count: int, process: subprocess.Popen[str], timeout: float = 30
) -> None:
    """Until OUT/batch.jsonl holds `count` finished trials (or the process ends: a failure)."""
    deadline = time.monotonic() + timeout
    report = out / "batch.jsonl"
    while time.monotonic() < deadline and process.poll() is None:
        if report.exists() and len(report.read_text().splitlines()) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"no {count} finished trials in time: {process.poll()}")
