"""What a user trying drafter from a fresh install ran into: each test is a command as an editor,
a reviewer or a batch run types it, and what they should see."""

from __future__ import annotations

import subprocess
import sys

import pytest

from drafter.errors import EXIT_INTERRUPTED

# The `drafter` console script as pip installs it (its entry point, loaded and called), in a
# process that sends itself SIGINT the moment the module named by argv[1] starts loading: a
# Ctrl-C during the third of a second Python spends importing drafter, at a known moment.
_CTRL_C_WHILE_LOADING = """
import importlib.abc, os, signal, sys
from importlib.metadata import entry_points

class CtrlC(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == WHEN:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

WHEN, sys.argv = sys.argv[1], ["drafter", *sys.argv[2:]]
sys.meta_path.insert(0, CtrlC())
(script,) = entry_points(group="console_scripts", name="drafter")
sys.exit(script.load()())
"""


@pytest.mark.parametrize(
    "loading",
    [
        "pydantic",  # the models every module stands on
        "drafter.commands.draft",  # the subcommands, while the parser is built
    ],
)
def test_ctrl_c_while_drafter_loads_is_one_line_and_exit_130(loading: str) -> None:
    argv = ["draft", "NCT05591222", "--offline", "--as-of", "2026-05-20", "--out", "unused"]
    ended = subprocess.run(
        [sys.executable, "-c", _CTRL_C_WHILE_LOADING, loading, *argv],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ended.returncode == EXIT_INTERRUPTED, ended.stderr
    assert ended.stderr.splitlines()[-1:] == ["drafter: interrupted"], ended.stderr
    assert "Traceback" not in ended.stderr and ended.stdout == ""
