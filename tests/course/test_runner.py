"""The course runner on small notebooks made for the test."""

import nbformat
import pytest

from lecture_utils.course.catalog import Metric, Notebook
from lecture_utils.course.cli import main
from lecture_utils.course.runner import execute, run_course, table, write_back

RECORD = "from lecture_utils.course.metrics import record\nrecord('loss', 1.0 / steps)"


def toy(path, low=0.1, high=0.3):
    metric = Metric("loss", "1/steps", {"quick": (low, high), "full": (0.009, 0.011)})
    return Notebook(path.stem, "toy", {"steps": 5}, (metric,), path.parent)


def test_quick_profile_injects_parameters_and_checks_the_range(make_notebook, tmp_path):
    notebook = toy(make_notebook("00_toy", "steps = 100", RECORD))
    result = execute(notebook, "quick", tmp_path / "out", progress=False)
    assert result.passed, result.failures()
    assert [(c.metric, c.value) for c in result.checks] == [("loss", 0.2)]
    assert result.output.exists()


def test_full_profile_uses_the_notebooks_own_defaults(make_notebook, tmp_path):
    notebook = toy(make_notebook("00_toy", "steps = 100", RECORD))
    result = execute(notebook, "full", tmp_path / "out", progress=False)
    assert result.checks[0].value == pytest.approx(0.01)
    assert result.passed


def test_a_value_outside_its_range_fails_with_the_numbers(make_notebook, tmp_path):
    notebook = toy(make_notebook("00_toy", "steps = 100", RECORD), low=0.5, high=0.6)
    result = execute(notebook, "quick", tmp_path / "out", progress=False)
    assert not result.passed
    assert result.failures() == ["loss = 0.2000 is outside [0.5, 0.6]"]
    assert "FAIL" in table([result])


def test_a_metric_never_recorded_fails(make_notebook, tmp_path):
    notebook = toy(make_notebook("00_toy", "steps = 100", "x = 1"))
    result = execute(notebook, "quick", tmp_path / "out", progress=False)
    assert result.failures() == ["loss was not recorded"]
    assert "missing" in table([result])


def test_a_cell_that_raises_is_reported_with_its_error(make_notebook, tmp_path):
    notebook = toy(make_notebook("00_toy", "steps = 100", "raise ValueError('bad step size')"))
    result = execute(notebook, "quick", tmp_path / "out", progress=False)
    assert not result.passed
    assert "ValueError: bad step size" in result.error


def test_write_back_drops_run_metadata_and_keeps_outputs(make_notebook, tmp_path):
    path = make_notebook("00_toy", "steps = 100", RECORD)
    result = execute(toy(path), "full", tmp_path / "out", progress=False)
    write_back(result)
    nb = nbformat.read(str(path), as_version=4)
    assert "papermill" not in nb.metadata
    assert all("papermill" not in cell.metadata for cell in nb.cells)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3]


def test_write_back_is_refused_for_the_quick_profile(make_notebook):
    notebook = toy(make_notebook("00_toy", "steps = 100", RECORD))
    with pytest.raises(ValueError, match="--write-back needs --profile full"):
        run_course([notebook], "quick", write=True)


@pytest.mark.parametrize("argv, message", [
    (["run", "99_missing"], "Unknown notebook '99_missing'"),
    (["run", "--profile", "slow"], "invalid choice: 'slow'"),
    (["run", "--write-back"], "--write-back needs --profile full"),
])
def test_cli_errors_are_clear(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_write_back_shows_each_progress_bar_finished(make_notebook, tmp_path):
    path = make_notebook("00_toy", "steps = 100",
                         "from tqdm.auto import trange\nfor _ in trange(steps, desc='training'):\n    pass",
                         RECORD)
    write_back(execute(toy(path), "full", tmp_path / "out", progress=False))
    nb = nbformat.read(str(path), as_version=4)
    (bar,) = [out for out in nb.cells[2].outputs if "application/vnd.jupyter.widget-view+json" in out.data]
    assert bar.data["text/plain"].startswith("training: 100%|██████████| 100/100 [")


def test_a_cell_that_never_finishes_is_reported_not_waited_on(make_notebook, tmp_path, monkeypatch):
    monkeypatch.setattr("lecture_utils.course.runner.CELL_TIMEOUT_SECONDS", 2)
    notebook = toy(make_notebook("00_toy", "steps = 100", "import time\ntime.sleep(60)"))
    result = execute(notebook, "quick", tmp_path / "out", progress=False)
    assert result.error.startswith("CellTimeoutError")
    assert result.seconds < 50
