"""Every notebook of the course, executed once per test run (quick profile by default;
`pytest --profile full` for the lecture's settings and ranges), and three checks on that one
execution: it reaches its metrics, it shows no error, and its cells marked
`# NBVAL_CHECK_OUTPUT` show what the committed notebook shows.

The comparison reads what a learner reads: the stream text and the text/plain of each output
of a marked cell. Recorded metrics are left out (their ranges in course.toml guard them), and
so are widgets (random model ids) and images. The committed outputs come from the full
profile, so a marked cell must not depend on the profile."""

import difflib
from dataclasses import replace

import nbformat
import pytest

from lecture_utils.course.catalog import load_course
from lecture_utils.course.metrics import METRIC_MIME
from lecture_utils.course.paths import NOTEBOOK_DIR
from lecture_utils.course.runner import execute
from lecture_utils.course.translation import EDITIONS, edition_dir, translated_notebooks

COURSE = list(load_course().values())
# The English notebooks, then each edition's translated ones (notebooks/<language>/NN_name.ipynb).
NOTEBOOKS = COURSE + [replace(nb, path=edition_dir(code) / nb.path.name)
                      for code in EDITIONS for nb in COURSE if nb.name in translated_notebooks(code)]
CHECK_OUTPUT = "# NBVAL_CHECK_OUTPUT"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


# Session scope: one execution per notebook, shared by its three tests (which conftest.py
# keeps on one pytest-xdist worker).
def notebook_id(notebook):
    """04_mlp for the English notebook, zh/04_mlp for its Chinese edition."""
    folder = notebook.path.parent
    return notebook.name if folder == NOTEBOOK_DIR else f"{folder.name}/{notebook.name}"


@pytest.fixture(scope="session", params=NOTEBOOKS, ids=[notebook_id(nb) for nb in NOTEBOOKS])
def executed(request, profile, tmp_path_factory):
    notebook = request.param
    folder = tmp_path_factory.mktemp(notebook_id(notebook).replace("/", "-"))
    return execute(notebook, profile, folder, progress=False)


def test_it_runs_and_reaches_its_metrics(executed):
    assert executed.passed, "\n".join(executed.failures())


def test_it_shows_no_error_output(executed):
    nb = nbformat.read(str(executed.output), as_version=4)
    errors = [(i, out.ename) for i, cell in enumerate(nb.cells)
              for out in cell.get("outputs", []) if out.output_type == "error"]
    assert errors == []


def marked_cells(nb: nbformat.NotebookNode) -> list[tuple[int, nbformat.NotebookNode]]:
    return [(i, cell) for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and cell.source.startswith(CHECK_OUTPUT)]


def compared_lines(cell: nbformat.NotebookNode) -> list[str]:
    """A cell's stream text and text/plain outputs, in order, as lines."""
    text = ""
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            text += output.text  # one print may arrive in several chunks: compare the whole
        elif not {METRIC_MIME, WIDGET_VIEW} & output.get("data", {}).keys():
            text += output.get("data", {}).get("text/plain", "") + "\n"
    return text.splitlines()


def test_marked_cells_show_the_committed_outputs(executed):
    name = notebook_id(executed.notebook)
    committed = marked_cells(nbformat.read(str(executed.notebook.path), as_version=4))
    rerun = marked_cells(nbformat.read(str(executed.output), as_version=4))
    differences = []
    # papermill inserts a cell of injected parameters, so marked cells pair up by order.
    for (index, expected), (_, actual) in zip(committed, rerun, strict=True):
        diff = "\n".join(difflib.unified_diff(compared_lines(expected), compared_lines(actual),
                                              "committed", "executed", lineterm=""))
        if diff:
            differences.append(f"{name}, cell {index} (In [{expected.execution_count}]):\n{diff}")
    if differences:
        pytest.fail(f"{len(differences)} of {len(committed)} cells marked {CHECK_OUTPUT} in {name} "
                    "show other stream or text/plain output than the committed notebook:\n\n"
                    + "\n\n".join(differences), pytrace=False)
