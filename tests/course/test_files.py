"""Writing files whole or not at all: a failure half-way leaves the old file and no temporary."""

import os
import resource
import signal
import stat
from contextlib import contextmanager

import pytest

from lecture_utils.course.files import move_into_place, write_atomically


@contextmanager
def disk_full_after(size):
    """Writes beyond `size` bytes fail with EFBIG, as on a full disk (RLIMIT_FSIZE)."""
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an error, not a killed process
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, limits[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)


def test_a_write_replaces_the_file_readable_by_all_with_no_temporary_left(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("old")
    private = os.umask(0o077)
    try:
        write_atomically(target, "new ünïcode")
    finally:
        os.umask(private)
    assert target.read_text(encoding="utf-8") == "new ünïcode"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["notes.txt"]


@pytest.mark.parametrize("old_size", [0, 10, 5000])
def test_a_full_disk_leaves_the_old_file_whole(tmp_path, old_size):
    target = tmp_path / "notebook.ipynb"
    target.write_bytes(b"x" * old_size)
    with disk_full_after(1000), pytest.raises(OSError):
        write_atomically(target, b"y" * 100_000)
    assert target.read_bytes() == b"x" * old_size
    assert os.listdir(tmp_path) == ["notebook.ipynb"]


def test_an_interrupted_write_leaves_the_old_file_whole(tmp_path, monkeypatch):
    target = tmp_path / "notebook.ipynb"
    target.write_text("old")

    def ctrl_c(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, "new")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["notebook.ipynb"]


def test_a_finished_file_moves_into_place_over_a_symlink_not_through_it(tmp_path):
    precious = tmp_path / "precious.ipynb"
    precious.write_text("committed")
    link = tmp_path / "out.ipynb"
    link.symlink_to(precious)
    finished = tmp_path / ".out.ipynb.partial"
    finished.write_text("executed")
    move_into_place(finished, link)
    assert precious.read_text() == "committed"
    assert not link.is_symlink() and link.read_text() == "executed"
    assert stat.S_IMODE(link.stat().st_mode) == 0o644
