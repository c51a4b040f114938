"""Test options. `pytest --profile full` runs every notebook at the lecture's settings and
asserts the lecture-level ranges (CI does this through `python -m lecture_utils run
--profile full`); the default quick profile keeps the suite to a few minutes."""

import nbformat
import pytest

from lecture_utils.course.catalog import PROFILES
from lecture_utils.course.colab import SETUP_CELL


def pytest_addoption(parser):
    parser.addoption("--profile", default="quick", choices=PROFILES,
                     help="profile for the notebook executions (default: quick)")


@pytest.fixture(scope="session")
def profile(request):
    return request.config.getoption("--profile")


@pytest.fixture
def make_notebook(tmp_path):
    """Write a small notebook: the setup cell, a parameters cell, then the given cells."""

    def make(name, parameters, *cells):
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        parameters_cell = nbformat.v4.new_code_cell(parameters)
        parameters_cell.metadata["tags"] = ["parameters"]
        nb.cells = [nbformat.v4.new_code_cell(SETUP_CELL), parameters_cell]
        nb.cells += [nbformat.v4.new_code_cell(source) for source in cells]
        path = tmp_path / f"{name}.ipynb"
        nbformat.write(nb, str(path))
        return path

    return make
