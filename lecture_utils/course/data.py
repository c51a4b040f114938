"""The course's two data sets: where they come from, and how to get them safely.

`load_text("names")` returns the file's text; `data_path("names")` the path of a copy
whose sha256 matches the registry below.

Set LECTURE_DATA_DIR to a folder that already holds the files (CI points it at
../shared/data) and nothing is downloaded; that folder is only ever read.

Otherwise the files live in a cache folder: LECTURE_CACHE_DIR, else the checkout's data/,
else ~/.cache/zero-to-hero. The cache only ever creates a file where nothing is; it never
deletes or overwrites one. A missing file is downloaded into memory, checked, and only
then written (to a temporary file in the same folder, renamed into place, mode 0644), so a
wrong or interrupted download leaves nothing behind. Whatever already sits at a data
set's name (a learner's own names.txt, an older version, a damaged copy, a folder, a
symlink) is checked and left alone: if it fails, the error names the path and says to
move it aside or to set LECTURE_DATA_DIR. Every file-system failure (permissions, a cache
path that is a file, a full disk) is a DataError that names the path and what to do.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .files import write_atomically
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


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _mismatch(actual: str, ds: Dataset) -> str:
    return f"failed its checksum (sha256 {actual[:12]}..., expected {ds.sha256[:12]}...)"


def _verify(path: Path, ds: Dataset, what_to_do: str) -> None:
    """Raise a DataError naming `path` unless it is a readable, matching copy of `ds`."""
    try:
        actual = sha256_of(path)
    except OSError as exc:
        raise DataError(f"Could not read {path} ({_reason(exc)}). {what_to_do}") from exc
    if actual != ds.sha256:
        raise DataError(
            f"{path} {_mismatch(actual, ds)}: it is damaged, a different version, or another "
            f"file of the same name. {what_to_do}"
        )


def _download(ds: Dataset, target: Path) -> None:
    """Fetch `ds`, check it, and only then write it to `target` (which does not exist)."""
    offline_hint = f"put {ds.filename} in a folder and set {MIRROR_ENV} to that folder"
    try:
        with urllib.request.urlopen(ds.url, timeout=30) as response:
            content = response.read()
    except (OSError, http.client.HTTPException) as exc:  # URLError and timeouts are OSErrors
        raise DataError(
            f"Could not download {ds.filename} from {ds.url} ({exc}). If this machine is "
            f"offline, {offline_hint}."
        ) from exc
    actual = hashlib.sha256(content).hexdigest()
    if actual != ds.sha256:
        raise DataError(
            f"The download of {ds.url} {_mismatch(actual, ds)}; nothing was saved. "
            f"Try again later, or {offline_hint}."
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, content)
    except OSError as exc:
        raise DataError(
            f"Could not save {ds.filename} in the cache folder {target.parent} "
            f"({_reason(exc)}). Make it a folder you can write to, with free disk space, "
            f"or set {CACHE_ENV} to another folder."
        ) from exc


def data_path(name: str) -> Path:
    """The local path of a verified copy of data set `name`, downloading it if needed."""
    ds = dataset(name)
    mirror = os.environ.get(MIRROR_ENV)
    if mirror:
        path = Path(mirror).expanduser() / ds.filename
        if not os.path.lexists(path):
            raise DataError(
                f"{MIRROR_ENV} is set to {mirror!r}, but {ds.filename} is not in it. Copy "
                f"{ds.url} there, or unset {MIRROR_ENV} to download into the cache."
            )
        _verify(path, ds, f"Replace it with a fresh copy of {ds.url}, or unset {MIRROR_ENV}.")
        return path
    path = cache_dir() / ds.filename
    # Anything at that name, even a broken symlink, may be the learner's: check, never replace.
    if os.path.lexists(path):
        _verify(
            path, ds,
            f"It was left as it is. Move it aside or delete it yourself, and the next load "
            f"downloads a fresh copy of {ds.url}; offline, set {MIRROR_ENV} to a folder "
            f"that holds a good {ds.filename} instead.",
        )
    else:
        _download(ds, path)
    return path


def load_text(name: str) -> str:
    """The whole text of data set `name` ("names" or "shakespeare")."""
    return data_path(name).read_text(encoding="utf-8")


def load_words() -> list[str]:
    """The names data set as a list of lowercase names."""
    return load_text("names").splitlines()
