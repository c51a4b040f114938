"""The assertion every check test makes about a check's answer."""

from lecture_utils.check import RIGHT


def verdict(capsys, result, status, *hints):
    """The result has this status, printed exactly its one line, and the line has the hints."""
    line = capsys.readouterr().out
    assert line == str(result) + "\n" and line.count("\n") == 1, line
    assert result.status == status, line
    assert bool(result) == (status == RIGHT)
    for hint in hints:
        assert hint in line, f"{hint!r} not in {line!r}"
    return line
