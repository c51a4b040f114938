"""nbval re-executes each committed notebook and compares the outputs of the cells marked
`# NBVAL_CHECK_OUTPUT` (data statistics, shapes, parameter counts, toy examples).

The committed outputs come from the full profile; the re-execution uses the quick profile's
parameters (papermill injects them without touching the outputs), so the check costs a
quick run. The marked cells must therefore not depend on the profile."""

import subprocess
import sys

import papermill
import pytest

from lecture_utils.course.catalog import load_course

WRITTEN = [nb for nb in load_course().values() if nb.path.exists()]


@pytest.mark.parametrize("notebook", WRITTEN, ids=[nb.name for nb in WRITTEN])
def test_deterministic_outputs_match_a_re_execution(notebook, tmp_path):
    prepared = tmp_path / notebook.path.name
    papermill.execute_notebook(str(notebook.path), str(prepared), prepare_only=True,
                               parameters=notebook.parameters("quick"), progress_bar=False)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p",
         "no:cacheprovider", "-q", "--rootdir", str(tmp_path), str(prepared)],
        capture_output=True, text=True, cwd=notebook.path.parent, timeout=1200,
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
