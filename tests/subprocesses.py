"""Running drafter in a child process, for the tests that interrupt or kill it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

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


class LinesOf:
    """A child's output stream, read line by line in a thread as the child writes it: a test
    can wait for a line while the child runs (communicate() reads only once it has ended)."""

    def __init__(self, stream: IO[str] | None) -> None:
        assert stream is not None
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        with stream:
            for line in stream:
                self.lines.append(line)

    def has(self, text: str) -> bool:
        return any(text in line for line in list(self.lines))

    def text(self) -> str:
        """Everything, once the stream has ended (the child has exited)."""
        self._reader.join(30)
        return "".join(self.lines)


# Holds the write lock of an SQLite file until its stdin closes.
SQLITE_LOCK_HOLDER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


def child_ready(script: str, path: Path, ready: str) -> subprocess.Popen[str]:
    """`python -c SCRIPT PATH`, returned once it printed the line `ready` (it then holds what
    it holds until its stdin closes: `communicate()` releases it)."""
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline() == f"{ready}\n"
    return child
