"""Files written as a set: all old or all new, whatever fails on the way."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from drafter import atomic_write
from drafter.atomic_write import write_all_atomically, write_atomically
from drafter.errors import BadInput


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    made = tmp_path / "out"
    made.mkdir()
    return made


def files_in(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def test_a_set_is_written_and_nothing_else_is_left(folder: Path) -> None:
    write_all_atomically({folder / n: f"{n}\n" for n in "abc"})
    assert files_in(folder) == {"a": "a\n", "b": "b\n", "c": "c\n"}
    write_all_atomically({folder / n: f"new {n}\n" for n in "abc"})
    assert files_in(folder) == {"a": "new a\n", "b": "new b\n", "c": "new c\n"}


@pytest.mark.parametrize("failing", [1, 2, 3])
def test_a_failed_rename_leaves_every_old_file(
    folder: Path, monkeypatch: pytest.MonkeyPatch, failing: int
) -> None:
    for name in "ab":
        (folder / name).write_text("old\n")
    real, calls = os.replace, []

    def flaky(source: str, target: str) -> None:
        calls.append(target)
        if len(calls) == failing:
            raise OSError(28, "No space left on device", str(target))
        real(source, target)

    monkeypatch.setattr(atomic_write.os, "replace", flaky)
    with pytest.raises(BadInput, match="No space left on device"):
        write_all_atomically({folder / n: "new\n" for n in "abc"})  # c is new
    monkeypatch.setattr(atomic_write.os, "replace", real)
    assert files_in(folder) == {"a": "old\n", "b": "old\n"}  # no c, no temp or backup files


def test_a_refused_path_writes_nothing(folder: Path) -> None:
    (folder / "a").write_text("old\n")
    (folder / "c").mkdir()
    with pytest.raises(BadInput, match="is a directory"):
        write_all_atomically({folder / n: "new\n" for n in "abc"})
    assert (folder / "a").read_text() == "old\n" and not (folder / "b").exists()
    assert sorted(p.name for p in folder.iterdir()) == ["a", "c"]


def test_permissions_are_kept(folder: Path) -> None:
    path = folder / "a"
    path.write_text("old\n")
    path.chmod(0o600)
    write_atomically(path, "new\n")
    assert path.read_text() == "new\n" and (path.stat().st_mode & 0o777) == 0o600


def test_without_hard_links_the_backup_is_a_copy(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "a").write_text("old\n")

    def no_links(*_: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(atomic_write.os, "link", no_links)
    write_all_atomically({folder / "a": "new\n", folder / "b": "new\n"})
    assert files_in(folder) == {"a": "new\n", "b": "new\n"}


def test_a_single_file_that_cannot_be_renamed_keeps_its_old_content(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "a").write_text("old\n")

    def failing(source: str, target: str) -> None:
        raise OSError(28, "No space left on device", str(target))

    monkeypatch.setattr(atomic_write.os, "replace", failing)
    with pytest.raises(BadInput, match="No space left on device"):
        write_atomically(folder / "a", "new\n")
    monkeypatch.undo()
    assert files_in(folder) == {"a": "old\n"}


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_way_is_heard_once_the_set_is_written(
    folder: Path, monkeypatch: pytest.MonkeyPatch, signum: signal.Signals
) -> None:
    """Ctrl-C (or SIGTERM, whose default ends the process on the spot) arriving between two
    renames left a backup file beside a half-new set."""
    for name in "ab":
        (folder / name).write_text("old\n")
    real = os.link

    def link_then_signal(source: str, target: str) -> None:
        real(source, target)
        signal.raise_signal(signum)

    heard: list[dict[str, str]] = []
    monkeypatch.setattr(atomic_write.os, "link", link_then_signal)
    previous = signal.signal(signum, lambda *_: heard.append(files_in(folder)))
    try:
        write_all_atomically({folder / n: "new\n" for n in "abc"})
    finally:
        signal.signal(signum, previous)
    assert heard == [{"a": "new\n", "b": "new\n", "c": "new\n"}]


def test_a_failed_set_leaves_no_directory_it_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk stopping the first draft of a trial left an empty OUT/NCT_ID/ behind."""
    (tmp_path / "out").mkdir()

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_write.os, "fsync", disk_full)
    target = tmp_path / "out" / "NCT1" / "deeper"
    with pytest.raises(BadInput, match="No space left on device"):
        write_all_atomically({target / n: "new\n" for n in "ab"}, create_parents=True)
    assert list((tmp_path / "out").iterdir()) == []  # out was there before: it stays


def test_a_directory_that_another_writer_filled_meanwhile_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "NCT1"
    real = os.fsync

    def others_file_then_disk_full(fd: int) -> None:
        (target / "theirs").write_text("theirs\n")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_write.os, "fsync", others_file_then_disk_full)
    with pytest.raises(BadInput):
        write_all_atomically({target / "a": "new\n"}, create_parents=True)
    monkeypatch.setattr(atomic_write.os, "fsync", real)
    assert files_in(target) == {"theirs": "theirs\n"}


def test_two_writers_into_one_directory_take_turns_for_their_renames(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two drafts of one trial at once could leave one's draft.md beside the other's
    draft.json: the renames of a set wait while another holds the directory's lock."""
    fcntl = pytest.importorskip("fcntl")
    tries = threading.Semaphore(0)
    real_flock = fcntl.flock

    def counted(fd: int, operation: int) -> None:
        tries.release()
        real_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", counted)
    other = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)  # another process's lock, in effect
    real_flock(other, fcntl.LOCK_EX)
    writer = threading.Thread(
        target=write_all_atomically, args=({folder / n: "mine\n" for n in "ab"},)
    )
    writer.start()
    try:
        for _ in range(2):  # a second try: the first found the lock held
            assert tries.acquire(timeout=30)
        assert not (folder / "a").exists() and not (folder / "b").exists()
    finally:
        os.close(other)  # the other writer is done
    writer.join(timeout=30)
    assert files_in(folder) == {"a": "mine\n", "b": "mine\n"}


def test_what_a_killed_writer_left_is_swept_once_the_set_is_written(folder: Path) -> None:
    """SIGKILL (or a second Ctrl-C) mid-set left temp and backup files that nothing removed."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    leftovers = {
        f".a.{dead.pid}.k3j9.tmp": True,  # swept: its writer is gone
        f".b.{dead.pid}.1f2e3d4c.bak": True,
        f".a.{os.getpid()}.zz.tmp": False,  # this process's own: not swept here
        ".a.1.q.tmp": False,  # a running process's (pid 1): it may still be writing
        f".c.{dead.pid}.q.tmp": False,  # not a name of this set
        ".a.notapid.tmp": False,
    }
    for name in leftovers:
        (folder / name).write_text("{")
    write_all_atomically({folder / n: "new\n" for n in "ab"})
    kept = {name for name, swept in leftovers.items() if not swept}
    assert set(files_in(folder)) == {"a", "b"} | kept
