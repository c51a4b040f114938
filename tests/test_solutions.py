"""The exercises' solutions, proven: every `solutions/*.ipynb` runs top to bottom through the
course runner's `execute` (the machinery of tests/test_notebooks.py) and fails on any error,
so every `assert check.NAME(...)` in it holds. And the pairing with the lecture notebooks: a
solutions notebook per notebook with exercises, asserting every check the exercises call,
while the committed exercise cells are left unanswered ("not attempted yet")."""

import re
from pathlib import Path

import nbformat
import pytest

from lecture_utils.course.catalog import load_course, solutions_of
from lecture_utils.course.colab import SETUP_CELL
from lecture_utils.course.paths import NOTEBOOK_DIR, SOLUTIONS_DIR
from lecture_utils.course.runner import execute

SOLUTIONS = sorted(SOLUTIONS_DIR.glob("*.ipynb"))
CHECK_CALL = re.compile(r"^\s*(assert (?:not )?)?check\.(\w+)\(", re.M)
CHECK_OUTPUT = "# NBVAL_CHECK_OUTPUT"


def exercise_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The code cells after the notebook's `## Exercises` heading, and before it the cells
    marked `# NBVAL_CHECK_OUTPUT` that call a check: a lecture whose exercises are its steps
    (06_backprop_ninja) poses each where it arises, with its worked answer right after it."""
    starts = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "markdown"
              and cell.source.startswith("## Exercises")]
    end = starts[0] if starts else len(nb.cells)
    inline = [cell for cell in nb.cells[:end] if cell.cell_type == "code"
              and cell.source.startswith(CHECK_OUTPUT) and CHECK_CALL.search(cell.source)]
    return inline + [cell for cell in nb.cells[end:] if cell.cell_type == "code"]


def with_exercises() -> list[Path]:
    return [path for path in sorted(NOTEBOOK_DIR.glob("*.ipynb"))
            if exercise_cells(nbformat.read(str(path), as_version=4))]


def test_there_are_solutions_and_each_belongs_to_a_notebook_of_the_course():
    assert SOLUTIONS, f"no solutions notebook in {SOLUTIONS_DIR}"
    assert {path.stem for path in SOLUTIONS} <= set(load_course())


@pytest.mark.parametrize("path", SOLUTIONS, ids=[path.stem for path in SOLUTIONS])
def test_the_solutions_run_and_every_asserted_check_passes(path, profile, tmp_path):
    """In the solutions' own quick parameters (course.toml's `solutions_quick`) under quick."""
    result = execute(solutions_of(load_course()[path.stem]), profile, tmp_path, progress=False)
    assert result.passed, "\n".join(result.failures())


@pytest.mark.parametrize("path", SOLUTIONS, ids=[path.stem for path in SOLUTIONS])
def test_a_solutions_notebook_is_committed_executed_and_opens_on_colab(path):
    nb = nbformat.read(str(path), as_version=4)
    assert nb.cells[0].source == SETUP_CELL
    code = [cell for cell in nb.cells[1:] if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(2, len(code) + 2))
    assert not [out for cell in code for out in cell.outputs if out.output_type == "error"]
    assert "papermill" not in nb.metadata


@pytest.mark.parametrize("path", with_exercises(), ids=lambda path: path.stem)
def test_every_notebook_with_exercises_has_solutions_that_assert_each_check(path):
    solutions = SOLUTIONS_DIR / path.name
    assert solutions.is_file(), f"{path.name} has exercises but no {solutions}"
    called = {name for cell in exercise_cells(nbformat.read(str(path), as_version=4))
              for _, name in CHECK_CALL.findall(cell.source)}
    asserted = {name for cell in nbformat.read(str(solutions), as_version=4).cells
                if cell.cell_type == "code"
                for prefix, name in CHECK_CALL.findall(cell.source) if prefix == "assert "}
    assert called, f"the exercises of {path.name} call no check"
    assert called <= asserted, f"checks with no asserted solution: {sorted(called - asserted)}"


@pytest.mark.parametrize("path", with_exercises(), ids=lambda path: path.stem)
def test_the_committed_exercise_cells_are_left_for_the_learner(path):
    """Each exercise cell ends in a check and, as committed, prints that it is not attempted."""
    for cell in exercise_cells(nbformat.read(str(path), as_version=4)):
        assert CHECK_CALL.search(cell.source), f"an exercise cell calls no check:\n{cell.source}"
        printed = "".join(out.get("text", "") for out in cell.outputs)
        assert printed.startswith("not attempted yet: "), printed
