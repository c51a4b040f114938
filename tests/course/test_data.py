"""The data registry: download once, verify, and fail with a message that says what to do."""

import errno
import hashlib
import os
import stat
from pathlib import Path

import pytest

from lecture_utils.course import data
from lecture_utils.course.data import DataError, Dataset

CONTENT = b"emma\nolivia\nava\n"


@pytest.fixture
def fake_source(tmp_path, monkeypatch):
    """A registry with one small data set served from a file:// URL, and an empty cache."""
    source = tmp_path / "source" / "tiny.txt"
    source.parent.mkdir()
    source.write_bytes(CONTENT)
    ds = Dataset("tiny.txt", source.as_uri(), len(CONTENT),
                 hashlib.sha256(CONTENT).hexdigest(), "three names")
    monkeypatch.setitem(data.DATASETS, "tiny", ds)
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path / "cache"))
    return source


def _contents(folder):
    """Every entry under `folder` and what it holds, symlinks not followed ({} if missing)."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            entry = Path(root, name)
            if entry.is_symlink():
                found[entry] = ("symlink", os.readlink(entry))
            else:
                found[entry] = ("folder",) if entry.is_dir() else ("file", entry.read_bytes())
    return found


def test_first_load_downloads_and_verifies_then_reads_the_cache(fake_source, tmp_path):
    assert data.load_text("tiny") == CONTENT.decode()
    cached = tmp_path / "cache" / "tiny.txt"
    assert _contents(tmp_path / "cache") == {cached: ("file", CONTENT)}  # no temporary left
    fake_source.unlink()  # a second load must not need the source any more
    assert data.load_text("tiny") == CONTENT.decode()


def test_a_corrupt_download_is_not_kept(fake_source, tmp_path):
    fake_source.write_bytes(b"tampered\n")
    with pytest.raises(DataError, match="failed its checksum"):
        data.load_text("tiny")
    assert _contents(tmp_path / "cache") == {}  # neither the file nor a temporary


def test_downloads_are_readable_by_everyone(fake_source, tmp_path):
    private = os.umask(0o077)  # one user's private umask must not make a shared cache private
    try:
        data.load_text("tiny")
    finally:
        os.umask(private)
    assert stat.S_IMODE((tmp_path / "cache" / "tiny.txt").stat().st_mode) == 0o644


def _damaged_file(path):
    path.write_bytes(b"half a fi")


def _learners_own_file(path):
    path.write_bytes(b"my own list of names\n")


def _folder(path):
    path.mkdir()
    (path / "notes.txt").write_bytes(b"mine")


def _symlink_to_a_damaged_file(path):
    (path.parent / "mine.txt").write_bytes(b"half a fi")
    path.symlink_to(path.parent / "mine.txt")


def _broken_symlink(path):
    path.symlink_to(path.parent / "missing.txt")


@pytest.mark.parametrize("make", [_damaged_file, _learners_own_file, _folder,
                                  _symlink_to_a_damaged_file, _broken_symlink])
@pytest.mark.parametrize("online", [True, False], ids=["online", "offline"])
def test_whatever_is_in_the_cache_is_reported_and_never_removed(fake_source, tmp_path,
                                                                 make, online):
    cached = tmp_path / "cache" / "tiny.txt"
    cached.parent.mkdir()
    make(cached)
    before = _contents(cached.parent)
    if not online:
        fake_source.unlink()
    with pytest.raises(DataError) as error:
        data.load_text("tiny")
    message = str(error.value)
    # Names the file, how to get a fresh copy, and the way out when offline.
    assert str(cached) in message
    assert "Move it aside or delete it yourself" in message and data.MIRROR_ENV in message
    assert _contents(cached.parent) == before


@pytest.mark.parametrize("inside_the_file", [False, True], ids=["is-a-file", "under-a-file"])
def test_a_cache_folder_that_cannot_be_made_is_named(fake_source, tmp_path, monkeypatch,
                                                     inside_the_file):
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"mine")
    cache = blocker / "cache" if inside_the_file else blocker
    monkeypatch.setenv(data.CACHE_ENV, str(cache))
    with pytest.raises(DataError) as error:
        data.load_text("tiny")
    assert str(cache) in str(error.value) and data.CACHE_ENV in str(error.value)
    assert blocker.read_bytes() == b"mine"


@pytest.mark.parametrize(("failing", "code"), [
    ("tempfile.mkstemp", errno.EACCES),  # a read-only cache folder
    ("tempfile.mkstemp", errno.EROFS),   # a read-only file system
    ("os.fsync", errno.ENOSPC),          # the disk fills up while the file is written
], ids=["read-only-folder", "read-only-file-system", "disk-full"])
def test_a_cache_folder_that_cannot_be_written_is_named(fake_source, tmp_path, monkeypatch,
                                                        failing, code):
    # Simulated, because the tests may run as root, which ignores permission bits.
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(failing, refuse)
    with pytest.raises(DataError) as error:
        data.load_text("tiny")
    message = str(error.value)
    assert str(tmp_path / "cache") in message and os.strerror(code) in message
    assert data.CACHE_ENV in message
    assert _contents(tmp_path / "cache") == {}  # no half-written file or temporary


def test_offline_without_a_mirror_says_how_to_use_one(monkeypatch, tmp_path):
    unreachable = Dataset("x.txt", "http://127.0.0.1:9/x.txt", 1, "0" * 64, "nowhere")
    monkeypatch.setitem(data.DATASETS, "nowhere", unreachable)
    monkeypatch.delenv(data.MIRROR_ENV, raising=False)
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    with pytest.raises(DataError, match=f"set {data.MIRROR_ENV}"):
        data.load_text("nowhere")
    assert list(tmp_path.iterdir()) == []


def test_the_mirror_folder_is_used_and_never_modified(fake_source, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "tiny.txt").write_bytes(CONTENT)
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    fake_source.unlink()
    assert data.load_text("tiny") == CONTENT.decode()
    assert not (tmp_path / "cache").exists()


def test_a_corrupt_mirror_file_is_reported_and_left_in_place(fake_source, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "tiny.txt").write_bytes(b"wrong")
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    with pytest.raises(DataError, match="failed its checksum"):
        data.load_text("tiny")
    assert (mirror / "tiny.txt").read_bytes() == b"wrong"


def test_a_mirror_entry_that_cannot_be_read_is_named(fake_source, tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "tiny.txt").mkdir(parents=True)
    monkeypatch.setenv(data.MIRROR_ENV, str(mirror))
    with pytest.raises(DataError, match="Could not read") as error:
        data.load_text("tiny")
    assert str(mirror / "tiny.txt") in str(error.value)
    assert (mirror / "tiny.txt").is_dir()


def test_a_mirror_without_the_file_names_the_folder(fake_source, tmp_path, monkeypatch):
    monkeypatch.setenv(data.MIRROR_ENV, str(tmp_path / "empty"))
    with pytest.raises(DataError, match="tiny.txt is not in it"):
        data.load_text("tiny")


def test_unknown_data_set_lists_the_known_ones():
    with pytest.raises(DataError, match="Known data sets: names, shakespeare"):
        data.load_text("imagenet")


def test_registry_matches_the_published_sizes():
    assert data.DATASETS["names"].size == 228_145
    assert data.DATASETS["shakespeare"].size == 1_115_394


def test_the_real_data_sets_load_and_match_their_registry():
    for name in data.DATASETS:
        assert data.data_path(name).stat().st_size == data.DATASETS[name].size
    # Their statistics (how many names, how long, how many characters) are lecture figures:
    # notebooks 02 and 08 record them and course.toml guards them.
    words = data.load_words()
    assert words and all(word.isalpha() and word.islower() for word in words)


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    assert data.cache_dir() == Path(tmp_path)
