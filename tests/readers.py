"""Run a drafter command as a user who may read, but not write, a claims database.

Tests run as root, and chmod does not restrict root. So as root the command runs in a forked
child that has become `nobody` (the venv's interpreter lives under /root, which nobody cannot
enter, so the child is forked rather than exec'd); as anyone else the files are chmod-ed and
the command runs in a forked child all the same. Either way the real permission checks of the
kernel and SQLite decide, and the test never skips.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from drafter.cli import build_parser, main

NOBODY = 65534
AS_ROOT = os.geteuid() == 0


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


@contextmanager
def reader_tree() -> Iterator[Path]:
    """A fresh directory every user may enter and read (0755), in /tmp rather than pytest's
    tmp_path, whose parent only root may enter."""
    root = Path(tempfile.mkdtemp(prefix="drafter-ro-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        for path in [root, *root.rglob("*")]:
            with suppress(OSError):
                path.chmod(0o777 if path.is_dir() else 0o666)
        shutil.rmtree(root, ignore_errors=True)


def make_read_only(*paths: Path) -> None:
    """Nobody but root may write these files or directories; everyone may read them."""
    for path in paths:
        if AS_ROOT:
            os.chown(path, 0, 0)
        path.chmod(0o555 if path.is_dir() else 0o444)


def make_writable_by_reader(*paths: Path) -> None:
    for path in paths:
        if AS_ROOT:
            os.chown(path, NOBODY, NOBODY)
        path.chmod(0o777 if path.is_dir() else 0o666)


def run_as_reader(argv: Sequence[str], env: Mapping[str, str]) -> Result:
    """`drafter argv` in a forked child with `env` set, as nobody when we are root."""
    build_parser()  # import every command module before dropping privileges
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through its files and exit code
            _child(argv, env, out.fileno(), err.fileno())
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return Result(os.waitstatus_to_exitcode(status), out.read().decode(), err.read().decode())


def _child(argv: Sequence[str], env: Mapping[str, str], out_fd: int, err_fd: int) -> None:
    code = 70
    stdout = open(out_fd, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    stderr = open(err_fd, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.stdout, sys.stderr = stdout, stderr
    try:
        os.environ.update(env)
        if AS_ROOT:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
        code = main(list(argv))
    except BaseException as error:  # the test must see what went wrong
        stderr.write(f"child failed: {error!r}\n")
    finally:
        with suppress(BaseException):
            stdout.flush()
            stderr.flush()
        os._exit(code)
