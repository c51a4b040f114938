"""The course runner on small notebooks made for the test (never the committed ones)."""

import errno
import gc
import os
import time
from pathlib import Path

import nbformat
import pytest

from lecture_utils.course.catalog import CourseError, Metric, Notebook
from lecture_utils.course.runner import (
    Interrupted,
    Result,
    check_output_dir,
    execute,
    run_course,
    table,
    write_back,
)
from tests.course.test_files import disk_full_after

RECORD = "from lecture_utils.course.metrics import record\nrecord('loss', 1.0 / steps)"


def toy(path, low=0.1, high=0.3):
    metric = Metric("loss", "1/steps", {"quick": (low, high), "full": (0.009, 0.011)})
    return Notebook(path.stem, "toy", path, {"steps": 5}, (metric,))


def snapshot(folder):
    """Every file under `folder` and its bytes: to show that nothing there changed."""
    return {path: path.read_bytes() for path in folder.rglob("*") if path.is_file()}


def test_quick_profile_injects_parameters_and_checks_the_range(make_notebook, tmp_path):
    notebook = toy(make_notebook("00_toy", "steps = 100", RECORD))
    result = execute(notebook, "quick", tmp_path / "out", progress=False)
    assert result.passed, result.failures()
    assert [(c.metric, c.value) for c in result.checks] == [("loss", 0.2)]
    assert os.listdir(tmp_path / "out") == ["00_toy.ipynb"]  # the executed copy, no temporary
    assert result.output == tmp_path / "out" / "00_toy.ipynb"


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


def test_a_cell_that_raises_is_reported_and_its_executed_copy_kept(make_notebook, tmp_path):
    notebook = toy(make_notebook("00_toy", "steps = 100", "raise ValueError('bad step size')"))
    result = execute(notebook, "quick", tmp_path / "out", progress=False)
    assert not result.passed
    assert "ValueError: bad step size" in result.error
    assert os.listdir(tmp_path / "out") == ["00_toy.ipynb"]
    executed = nbformat.read(str(result.output), as_version=4)
    errors = [out.ename for cell in executed.cells for out in cell.get("outputs", [])
              if out.output_type == "error"]
    assert errors == ["ValueError"]  # the copy shows where the run failed


def test_a_notebook_missing_on_disk_fails_and_the_others_still_run(make_notebook, tmp_path):
    present = toy(make_notebook("01_toy", "steps = 100", RECORD))
    missing = toy(tmp_path / "02_gone.ipynb")
    results = run_course([missing, present], "quick", tmp_path / "out")
    assert [r.passed for r in results] == [False, True]
    assert results[0].error == f"{missing.path} does not exist"
    assert "02_gone" in table(results)


@pytest.mark.parametrize("content", ["", "not json", "[1]", '{"cells": 3}', "{}"])
def test_a_file_that_is_not_a_notebook_fails_without_raising(tmp_path, content):
    path = tmp_path / "00_toy.ipynb"
    path.write_text(content)
    result = execute(toy(path), "quick", tmp_path / "out", progress=False)
    assert not result.passed and result.error
    assert not (tmp_path / "out").exists() or os.listdir(tmp_path / "out") == []


def test_a_notebook_in_a_folder_with_braces_runs(make_notebook, tmp_path):
    folder = tmp_path / "{steps} and {}"
    folder.mkdir()
    path = make_notebook("00_toy", "steps = 100", RECORD).rename(folder / "00_toy.ipynb")
    result = execute(toy(path), "quick", folder / "out", progress=False)
    assert result.passed, result.failures()


def test_write_back_drops_run_metadata_and_keeps_outputs(make_notebook, tmp_path):
    path = make_notebook("00_toy", "steps = 100", RECORD)
    result = execute(toy(path), "full", tmp_path / "out", progress=False)
    write_back(result)
    nb = nbformat.read(str(path), as_version=4)
    assert "papermill" not in nb.metadata
    assert all("papermill" not in cell.metadata for cell in nb.cells)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3]
    assert path.read_text().endswith("}\n")


def test_write_back_on_a_full_disk_leaves_the_notebook_whole(make_notebook, tmp_path):
    path = make_notebook("00_toy", "steps = 100", RECORD)
    committed = path.read_bytes()
    result = execute(toy(path), "full", tmp_path / "out", progress=False)
    with disk_full_after(len(committed) // 2), pytest.raises(OSError):
        write_back(result)
    assert path.read_bytes() == committed
    assert sorted(os.listdir(tmp_path)) == ["00_toy.ipynb", "out"]  # no temporary left


def test_a_write_back_that_fails_fails_the_run_and_leaves_the_notebook(make_notebook, tmp_path,
                                                                      monkeypatch):
    path = make_notebook("00_toy", "steps = 100", RECORD)
    committed = path.read_bytes()

    def disk_full(path, content):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("lecture_utils.course.runner.write_atomically", disk_full)
    (result,) = run_course([toy(path)], "full", tmp_path / "out", write=True)
    assert result.error == f"not written back to {path}: No space left on device"
    assert not result.passed
    assert path.read_bytes() == committed


def test_write_back_writes_only_notebooks_whose_metrics_all_passed(make_notebook, tmp_path):
    passing = make_notebook("01_pass", "steps = 100", RECORD)
    out_of_range = make_notebook("02_range", "steps = 10", RECORD)
    raising = make_notebook("03_raise", "steps = 100", RECORD, "1 / 0")
    before = snapshot(tmp_path)
    results = run_course([toy(p) for p in (passing, out_of_range, raising)], "full",
                         tmp_path / "out", write=True)
    assert [r.passed for r in results] == [True, False, False]
    assert passing.read_bytes() != before[passing]
    assert nbformat.read(str(passing), as_version=4).cells[2].outputs  # the executed outputs
    assert out_of_range.read_bytes() == before[out_of_range]
    assert raising.read_bytes() == before[raising]


def test_a_run_without_write_back_changes_nothing_beside_the_notebooks(make_notebook, tmp_path):
    (tmp_path / "course").mkdir()
    path = make_notebook("00_toy", "steps = 100", RECORD).rename(tmp_path / "course" / "00_toy.ipynb")
    before = snapshot(tmp_path / "course")
    run_course([toy(path)], "full", tmp_path / "out")
    assert snapshot(tmp_path / "course") == before


def test_write_back_is_refused_for_the_quick_profile(make_notebook, tmp_path):
    notebook = toy(make_notebook("00_toy", "steps = 100", RECORD))
    with pytest.raises(CourseError, match="--write-back needs --profile full"):
        run_course([notebook], "quick", tmp_path / "out", write=True)


@pytest.fixture
def committed_notebooks(tmp_path, monkeypatch):
    """A stand-in for the checkout's notebooks/ folder, with one notebook in it."""
    folder = tmp_path / "notebooks"
    folder.mkdir()
    monkeypatch.setattr("lecture_utils.course.runner.NOTEBOOK_DIR", folder)
    (folder / "00_toy.ipynb").write_text("{}")
    (tmp_path / "runs").mkdir()
    (tmp_path / "link").symlink_to(folder)
    monkeypatch.chdir(tmp_path)
    return folder


@pytest.mark.parametrize("output_dir", [
    "notebooks", "notebooks/", "notebooks/quick", "./notebooks", "runs/../notebooks",
    "runs/new/../../notebooks/deeper", "link", "link/quick", "{tmp}/notebooks", "{tmp}/link/x",
])
def test_executed_copies_never_go_into_the_committed_notebooks(committed_notebooks, tmp_path,
                                                               output_dir, make_notebook):
    notebook = toy(make_notebook("00_toy", "steps = 100", RECORD))
    before = snapshot(committed_notebooks)
    with pytest.raises(CourseError, match="never go among the committed notebooks"):
        run_course([notebook], "quick", Path(output_dir.format(tmp=tmp_path)))
    assert snapshot(committed_notebooks) == before


def test_an_executed_copy_never_replaces_the_notebook_it_ran(tmp_path, make_notebook):
    notebook = toy(make_notebook("00_toy", "steps = 100", RECORD))
    before = notebook.path.read_bytes()
    for output_dir in [tmp_path, tmp_path / "sub" / ".."]:
        with pytest.raises(CourseError, match="its executed copy would replace it"):
            run_course([notebook], "quick", output_dir)
    assert notebook.path.read_bytes() == before


def test_an_output_folder_that_cannot_be_made_is_a_clear_error(tmp_path, make_notebook):
    (tmp_path / "a_file").write_text("")
    notebook = toy(make_notebook("00_toy", "steps = 100", RECORD))
    with pytest.raises(CourseError, match="Cannot create the output folder .*a_file/runs"):
        run_course([notebook], "quick", tmp_path / "a_file" / "runs")


@pytest.mark.parametrize("output_dir", ["runs", "runs/quick", "notebooks_old", "notebooks-runs"])
def test_other_output_folders_are_accepted(committed_notebooks, tmp_path, output_dir):
    check_output_dir(tmp_path / output_dir, [toy(committed_notebooks / "00_toy.ipynb")])


@pytest.mark.parametrize("rest_of_cell", ["time.sleep(60)", "pass"])
def test_ctrl_c_stops_the_notebook_and_leaves_nothing_behind(make_notebook, tmp_path, capfd, caplog,
                                                             rest_of_cell):
    """Ctrl-C (the kernel signals the runner, its parent) during a cell or just after it."""
    ctrl_c = f"import os, signal, time\nos.kill(os.getppid(), signal.SIGINT)\n{rest_of_cell}"
    path = make_notebook("00_toy", "steps = 100", ctrl_c, "open('next_cell_ran', 'w').close()")
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        execute(toy(path), "quick", tmp_path / "out", progress=False)
    assert time.monotonic() - start < 50
    assert not (tmp_path / "next_cell_ran").exists()
    assert os.listdir(tmp_path / "out") == []  # no half-written executed copy
    again = execute(toy(make_notebook("01_toy", "steps = 100", RECORD)), "quick", tmp_path / "out",
                    progress=False)
    assert again.passed, again.failures()  # the event loop was left clean for the next notebook
    gc.collect()  # a task left failed behind reports itself when collected
    assert "Task exception was never retrieved" not in capfd.readouterr().err + caplog.text


def test_ctrl_c_stops_the_run_with_the_results_so_far(make_notebook, tmp_path, monkeypatch):
    first, second, third = (toy(make_notebook(f"0{i}_toy", "steps = 100", RECORD)) for i in (1, 2, 3))
    ran = []

    def execute_until_ctrl_c(notebook, profile, output_dir):
        if notebook is second:
            raise KeyboardInterrupt
        ran.append(notebook)
        return Result(notebook, output_dir / notebook.path.name, 0.0)

    monkeypatch.setattr("lecture_utils.course.runner.execute", execute_until_ctrl_c)
    with pytest.raises(Interrupted) as stop:
        run_course([first, second, third], "quick", tmp_path / "out")
    assert stop.value.notebook is second
    assert [r.notebook for r in stop.value.results] == [first] == ran


def test_a_cell_that_never_finishes_is_reported_not_waited_on(make_notebook, tmp_path, monkeypatch):
    monkeypatch.setattr("lecture_utils.course.runner.CELL_TIMEOUT_SECONDS", 2)
    notebook = toy(make_notebook("00_toy", "steps = 100", "import time\ntime.sleep(60)"))
    result = execute(notebook, "quick", tmp_path / "out", progress=False)
    assert result.error.startswith("CellTimeoutError")
    assert result.seconds < 50
