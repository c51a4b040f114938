"""Writing files so that no interruption leaves half of one: the text goes to a temporary
file in the same folder, is flushed to disk, and is renamed over the target in one step.
A full disk, a crash or Ctrl-C leaves the old file whole and no temporary behind."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# Files the tools write are read by other users of a shared checkout or cache.
FILE_MODE = 0o644


def write_atomically(path: str | Path, content: str | bytes) -> None:
    """Replace `path` with `content` (text is written as UTF-8) in one rename."""
    path = Path(path)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        move_into_place(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def move_into_place(finished: str | Path, path: str | Path) -> None:
    """Rename the complete file `finished` (in the same folder) over `path`. It is synced to
    disk first, so that a crash just after the rename cannot leave `path` empty."""
    with open(finished, "rb+") as written:
        os.fsync(written.fileno())
    os.chmod(finished, FILE_MODE)
    os.replace(finished, path)
