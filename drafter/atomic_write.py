"""Write a file so readers see the old content or the new, never half of it, and never replace
anything but a regular file.

A temp file in the same directory, fsync, then rename: the rename replaces whatever directory
entry has the name, so a symlink, a FIFO or a device node there (/dev/null, as root) would be
swapped for a plain file. The path is therefore checked with lstat before writing and again
right before the rename.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import stat
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from drafter.errors import BadInput

_KINDS = (
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)
_HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)
RENAME_LOCK_WAIT = 10.0  # seconds; another writer's renames take milliseconds


def write_atomically(path: Path, text: str, *, create_parents: bool = False) -> None:
    """Write `text` (UTF-8, line endings as given) to `path`, a new path or a regular file,
    keeping an existing file's permission bits. A missing directory is an error (a mistyped
    path should not quietly grow a tree) unless the caller owns the layout (`create_parents`)."""
    write_all_atomically({path: text}, create_parents=create_parents)


def write_all_atomically(files: Mapping[Path, str], *, create_parents: bool = False) -> None:
    """Write several files as one set: every temp file is written and synced before any is
    renamed, and each file replaced is first kept as a hard link, so a full disk, a refused
    path, a failed rename or an interrupt leaves all the old files as they were (never a new
    evidence.json beside an old draft.md), and no directory the set would have made. Two
    processes writing sets into one directory take turns for their renames, so neither
    leaves the other's draft.md beside its own draft.json."""
    with _signals_held():
        _write_set(files, create_parents)


def _write_set(files: Mapping[Path, str], create_parents: bool) -> None:
    staged: list[tuple[str, Path]] = []
    kept: list[tuple[str | None, Path]] = []  # (the old file's backup, or None: it was new)
    made = _missing_directories(files) if create_parents else []
    try:
        for path, text in files.items():
            staged.append((_staged(path, text, create_parents), path))
        with _renames_locked({path.parent for path in files}):
            for _, path in staged:
                _replaceable(path)  # again: something may have appeared there meanwhile
            several = len(staged) > 1  # one rename alone is atomic: nothing to undo, no backup
            for tmp, path in staged:
                if several:
                    kept.append((_backup(path), path))
                os.replace(tmp, path)
    except BaseException as error:
        _restore(kept)
        for tmp, _ in staged:
            with suppress(OSError):
                os.unlink(tmp)
        for directory in reversed(made):  # only if still empty: never another's files
            with suppress(OSError):
                os.rmdir(directory)
        if isinstance(error, OSError):
            where = error.filename or next(iter(files), "")
            raise BadInput(f"cannot write {where}: {error.strerror or error}") from error
        raise
    for backup, _ in kept:
        if backup is not None:
            with suppress(OSError):
                os.unlink(backup)
    _sweep_leftovers(files)


def _sweep_leftovers(files: Mapping[Path, str]) -> None:
    """Remove the temp and backup files of these names that a killed writer left (SIGKILL,
    a second Ctrl-C): each name carries its writer's pid, and only a pid no longer running
    is swept. The set just written replaced whatever they were meant for."""
    by_directory: dict[Path, set[str]] = {}
    for path in files:
        by_directory.setdefault(path.parent, set()).add(path.name)
    for directory, names in by_directory.items():
        with suppress(OSError), os.scandir(directory) as entries:
            for entry in entries:
                if _left_by_a_dead_writer(entry.name, names):
                    with suppress(OSError):
                        os.unlink(entry.path)


def leftover_tag(name: str, targets: Iterable[str]) -> str | None:
    """The tag after the target's name in a temp or backup file this module writes for one of
    `targets` (".draft.json.4242.k3j9.tmp" → "4242", its writer's pid; an older drafter's temp
    files carry a random tag), None when `name` is no such file."""
    if not name.startswith(".") or not name.endswith((".tmp", ".bak")):
        return None
    for target in targets:
        prefix = f".{target}."
        if name.startswith(prefix):
            return name[len(prefix) :].split(".", 1)[0]
    return None


def _left_by_a_dead_writer(name: str, written: set[str]) -> bool:
    pid = leftover_tag(name, written)
    return pid is not None and pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid))


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (EPERM): it runs
        return True
    return True


def absent_chain(path: Path) -> list[Path]:
    """`path` and its ancestors that do not exist (not even as a dangling link), innermost
    first: what creating `path` as a directory would make. Its last element's parent exists
    (or is the root)."""
    chain = []
    while not os.path.lexists(path) and path != path.parent:
        chain.append(path)
        path = path.parent
    return chain


def _missing_directories(files: Mapping[Path, str]) -> list[Path]:
    """The directories writing `files` would create, outermost first."""
    missing: dict[Path, None] = {}
    for path in files:
        missing.update(dict.fromkeys(reversed(absent_chain(path.parent))))
    return list(missing)


@contextmanager
def _renames_locked(directories: set[Path]) -> Iterator[None]:
    """An advisory lock (flock) on each directory, in one order, for the renames of a set:
    another process's set into the same directory waits the milliseconds they take. Released
    by the system however the process ends. The wait is bounded (a holder stopped with Ctrl-Z
    must not hang this process, whose Ctrl-C is held meanwhile): past it, and where a
    directory cannot be locked (not POSIX, a file system without flock), the renames go ahead
    unlocked, as they did before there was a lock."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    held: list[int] = []
    try:
        for directory in sorted(directories):
            try:
                fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
            except OSError:
                continue  # the renames themselves say what is wrong with it
            held.append(fd)
            _lock_within(fd, fcntl, RENAME_LOCK_WAIT)
        yield
    finally:
        for fd in held:
            os.close(fd)  # closing releases the lock


def _lock_within(fd: int, fcntl: Any, seconds: float) -> bool:
    """flock(LOCK_EX) on `fd`, tried until it is had or `seconds` have passed."""
    gives_up = time.monotonic() + seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= gives_up:
                return False
            time.sleep(0.005)
        except OSError:  # this file system does not lock
            return False


@contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the set is written (or undone), then act as they would
    have: Ctrl-C between two renames left a backup file beside the set, and SIGTERM's default
    ends the process on the spot, leaving temp files or a new evidence.json beside an old
    draft.md. Writing a set takes milliseconds. Only the main thread may set handlers; a
    batch's worker threads are never interrupted (the batch's own handler stops them)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    heard: list[int] = []
    previous = {
        signum: signal.signal(signum, lambda number, _frame: heard.append(number))
        for signum in _HELD_SIGNALS
    }
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, signal.SIG_DFL if handler is None else handler)
        for number in dict.fromkeys(heard):
            signal.raise_signal(number)


def require_own_directory(path: Path) -> None:
    """Refuse `path`, a directory drafter creates and fills (OUT/NCT_ID/), when something else
    is there: a symbolic link planted in a shared OUT (to /etc, to another user's files) would
    carry every file written into it elsewhere. OUT itself is the user's choice and may be one."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as error:
        raise BadInput(f"cannot write into {path}: {error.strerror or error}") from error
    if not stat.S_ISDIR(found.st_mode):
        kind = next((name for test, name in _KINDS if test(found.st_mode)), "a regular file")
        raise BadInput(
            f"refusing to write into {path}: it is {kind}, not a directory drafter made;"
            " remove it or give another --out"
        )


def _backup(path: Path) -> str | None:
    """A hard link to the file at `path` beside it (None when there is none): the old content
    survives the rename, at no copying cost."""
    if not os.path.lexists(path):
        return None
    backup = str(path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.bak")
    try:
        os.link(path, backup)
    except OSError:  # a file system without hard links: a copy keeps the old content too
        shutil.copy2(path, backup)
    return backup


def _restore(kept: list[tuple[str | None, Path]]) -> None:
    """Undo the renames done so far: old files back, files that were new removed."""
    for backup, path in reversed(kept):
        with suppress(OSError):  # a backup that cannot be put back is left for the user
            if backup is None:
                os.unlink(path)
                continue
            os.replace(backup, path)
            if os.path.lexists(backup):  # renaming a hard link onto its own file does nothing
                os.unlink(backup)


def _staged(path: Path, text: str, create_parents: bool) -> str:
    """A synced temp file beside `path` holding `text`, with the mode `path` will keep."""
    existing = _replaceable(path)
    mode = stat.S_IMODE(existing.st_mode) if existing is not None else 0o644
    if not create_parents and not path.parent.is_dir():
        raise BadInput(f"cannot write {path}: directory {path.parent} does not exist")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
        )
    except OSError as error:
        raise BadInput(f"cannot write {path}: {error.strerror or error}") from error
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
    except BaseException as error:
        with suppress(OSError):
            os.unlink(tmp)
        if isinstance(error, OSError):
            raise BadInput(f"cannot write {path}: {error.strerror or error}") from error
        raise
    return tmp


def _replaceable(path: Path) -> os.stat_result | None:
    """The regular file at `path`, None when nothing is there; anything else is refused."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise BadInput(f"cannot write {path}: {error.strerror or error}") from error
    if stat.S_ISREG(found.st_mode):
        return found
    kind = next((name for test, name in _KINDS if test(found.st_mode)), "not a regular file")
    raise BadInput(
        f"refusing to replace {path}: it is {kind}, not a regular file; give a new path or a"
        " regular file"
    )
