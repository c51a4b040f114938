"""Test options and how the suite runs. `pytest --profile full` runs every notebook at the
lecture's settings and asserts the lecture-level ranges (CI does this through `python -m
lecture_utils run --profile full`); the default quick profile keeps the suite to a few
minutes, on as many pytest-xdist workers as there are cores."""

import nbformat
import pytest
import torch

from lecture_utils.course.catalog import PROFILES
from lecture_utils.course.colab import SETUP_CELL

# Unit tests work on tiny tensors, where a second thread buys nothing; on a busy 2-core machine
# (two xdist workers beside notebook kernels) waiting for it made a 6 s GPT test take 40-80 s.
# The notebooks run in their own kernels and keep their own settings.
torch.set_num_threads(1)


def pytest_addoption(parser):
    parser.addoption("--profile", default="quick", choices=PROFILES,
                     help="profile for the notebook executions (default: quick)")
    parser.addoption("--browser", action="store_true",
                     help="run the widget tests in JupyterLab and headless Chromium "
                          "(tests/browser; needs Debian's chromium and chromium-driver)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--browser"):
        return
    skip = pytest.mark.skip(reason="browser test: run with --browser (needs chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def profile(request):
    return request.config.getoption("--profile")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist (`-n auto` in pyproject.toml), send the tests of one notebook to one
    worker, so that they share its single execution; every other test goes alone. xdist's own
    `--dist loadgroup` would do this, but pytest 9.2 ignores the group it writes into the
    node id (pytest-xdist issue 1386). Larger groups start first: the notebooks, then the
    unit tests fill in."""
    from xdist.scheduler import LoadScopeScheduling

    class NotebookScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            if nodeid.startswith("tests/test_notebooks.py::"):
                return nodeid.rpartition("[")[2]  # the notebook's name, the test's parameter
            return nodeid

    return NotebookScheduling(config, log)


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
