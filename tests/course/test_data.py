"""The data registry: download once, verify, and fail with a message that says what to do."""

import hashlib
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


def test_first_load_downloads_and_verifies_then_reads_the_cache(fake_source, tmp_path):
    assert data.load_text("tiny") == CONTENT.decode()
    cached = tmp_path / "cache" / "tiny.txt"
    assert cached.read_bytes() == CONTENT
    fake_source.unlink()  # a second load must not need the source any more
    assert data.load_text("tiny") == CONTENT.decode()


def test_a_corrupt_download_is_not_kept(fake_source, tmp_path):
    fake_source.write_bytes(b"tampered\n")
    with pytest.raises(DataError, match="failed its checksum"):
        data.load_text("tiny")
    assert list((tmp_path / "cache").iterdir()) == []  # neither the file nor a temporary


def test_a_damaged_cached_copy_is_replaced(fake_source, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "tiny.txt").write_bytes(b"half a fi")
    assert data.load_text("tiny") == CONTENT.decode()


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
        path = data.data_path(name)
        assert path.stat().st_size == data.DATASETS[name].size
    words = data.load_words()
    assert len(words) == 32_033
    assert min(map(len, words)) == 2 and max(map(len, words)) == 15
    assert len(set(data.load_text("shakespeare"))) == 65


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(data.CACHE_ENV, str(tmp_path))
    assert data.cache_dir() == Path(tmp_path)
