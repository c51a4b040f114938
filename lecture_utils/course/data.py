"""The course's two data sets: where they come from, and how to get them safely.

`load_text("names")` returns the file's text. The first call downloads it into a cache
folder (a temporary file renamed into place, so an interrupted download never leaves half
a file) and checks its sha256; later calls read the cached copy, checked again.

Set LECTURE_DATA_DIR to a folder that already holds the files (CI points it at
../shared/data) and nothing is downloaded. LECTURE_CACHE_DIR moves the cache.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .paths import CHECKOUT_DATA_DIR

MIRROR_ENV = "LECTURE_DATA_DIR"
CACHE_ENV = "LECTURE_CACHE_DIR"


@dataclass(frozen=True)
class Dataset:
    filename: str
    url: str
    size: int
    sha256: str
    description: str


DATASETS = {
    "names": Dataset(
        filename="names.txt",
        url="https://raw.githubusercontent.com/karpathy/makemore/master/names.txt",
        size=228_145,
        sha256="0a30b5557f192f32ab962680889aac5f6fda0f4cecf40a6d0b5694f58ea8cc4d",
        description="32,033 first names, one a line (makemore)",
    ),
    "shakespeare": Dataset(
        filename="input.txt",
        url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        size=1_115_394,
        sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        description="tiny shakespeare, 1,115,394 characters (char-rnn)",
    ),
}


class DataError(RuntimeError):
    """A data set could not be provided; the message says what to do."""


def dataset(name: str) -> Dataset:
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise DataError(f"Unknown data set {name!r}. Known data sets: {known}.") from None


def cache_dir() -> Path:
    """Where downloads go: LECTURE_CACHE_DIR, else the repository's data/ folder when the
    package runs from a checkout, else ~/.cache/zero-to-hero."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    if CHECKOUT_DATA_DIR.is_dir() and os.access(CHECKOUT_DATA_DIR, os.W_OK):
        return CHECKOUT_DATA_DIR
    return Path.home() / ".cache" / "zero-to-hero"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check(path: Path, ds: Dataset) -> None:
    actual = sha256_of(path)
    if actual != ds.sha256:
        raise DataError(
            f"{ds.filename} failed its checksum (sha256 {actual[:12]}..., expected "
            f"{ds.sha256[:12]}...). The file is damaged or a different version. "
            f"Replace it with a fresh copy of {ds.url}."
        )


def _download(ds: Dataset, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{ds.filename}.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(ds.url, timeout=30) as response:
            while block := response.read(1 << 16):
                out.write(block)
        _check(tmp, ds)  # a bad download is deleted below, never renamed into the cache
        os.replace(tmp, target)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DataError(
            f"Could not download {ds.filename} from {ds.url} ({exc}). If this machine is "
            f"offline, put {ds.filename} in a folder and set {MIRROR_ENV} to that folder."
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)


def data_path(name: str) -> Path:
    """The local path of a verified copy of data set `name`, downloading it if needed."""
    ds = dataset(name)
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        path = Path(mirror).expanduser() / ds.filename
        if not path.is_file():
            raise DataError(
                f"{MIRROR_ENV} is set to {mirror!r}, but {ds.filename} is not in it. Copy "
                f"{ds.url} there, or unset {MIRROR_ENV} to download into the cache."
            )
        _check(path, ds)
        return path
    path = cache_dir() / ds.filename
    if path.is_file():
        try:
            _check(path, ds)
            return path
        except DataError:
            path.unlink()  # a damaged cached copy is replaced by a fresh download
    _download(ds, path)
    return path


def load_text(name: str) -> str:
    """The whole text of data set `name` ("names" or "shakespeare")."""
    return data_path(name).read_text(encoding="utf-8")


def load_words() -> list[str]:
    """The names data set as a list of lowercase names."""
    return load_text("names").splitlines()
