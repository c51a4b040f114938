"""Every notebook runs top to bottom and reaches its metrics (quick profile by default;
`pytest --profile full` for the lecture's settings and ranges)."""

import nbformat
import pytest

from lecture_utils.course.catalog import load_course
from lecture_utils.course.runner import execute

WRITTEN = [nb for nb in load_course().values() if nb.path.exists()]


@pytest.mark.parametrize("notebook", WRITTEN, ids=[nb.name for nb in WRITTEN])
def test_notebook_runs_and_reaches_its_metrics(notebook, profile, tmp_path):
    result = execute(notebook, profile, tmp_path, progress=False)
    assert result.error is None, result.error
    assert result.passed, "\n".join(result.failures())
    executed = nbformat.read(str(result.output), as_version=4)
    errors = [out for cell in executed.cells for out in cell.get("outputs", [])
              if out.output_type == "error"]
    assert errors == []
