"""`python -m lecture_utils` on a toy course in a temporary folder: it runs exactly what was
named, refuses what it cannot do with exit status 2 and a message, and stops cleanly on Ctrl-C."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from lecture_utils.course import exports
from lecture_utils.course.catalog import CourseError
from lecture_utils.course.cli import main

from . import TOY_COURSE

RECORD = "from lecture_utils.course.metrics import record\nrecord('loss', 1.0 / steps)"
RECORD_COUNT = "from lecture_utils.course.metrics import record\nrecord('count', 41)"


@pytest.fixture
def course(tmp_path, make_notebook):
    """The toy course file beside its two notebooks, in tmp_path."""
    make_notebook("01_toy", "steps = 100", RECORD)
    make_notebook("02_other", "steps = 1", RECORD_COUNT)
    path = tmp_path / "course.toml"
    path.write_text(TOY_COURSE)
    return path


def run(course, *args):
    return main(["run", "--course", str(course), "--output-dir", str(course.parent / "runs"), *args])


def refused(capsys, course, *args):
    """The error message of a request the runner refuses; it must run nothing."""
    before = sorted(os.listdir(course.parent))
    with pytest.raises(SystemExit) as exit_info:
        run(course, *args)
    assert exit_info.value.code == 2
    assert sorted(os.listdir(course.parent)) == before  # no runs/ folder: nothing ran
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("args, message", [
    (["2.0"], "Unknown notebook '2.0'"),
    (["1.0"], "Unknown notebook '1.0'"),
    (["x/01.txt"], "x/01.txt is not a notebook"),
    (["01_toy.txt"], "Unknown notebook '01_toy.txt'"),
    (["elsewhere/01_toy.ipynb"], "No notebook file elsewhere/01_toy.ipynb"),
    (["01", "01"], "both name 01_toy"),
    (["01", "01_toy"], "both name 01_toy"),
    (["01", "{tmp}/01_toy.ipynb"], "both name 01_toy"),
    (["{tmp}/02_other.ipynb", "02_other"], "both name 02_other"),
    (["--profile", "quick", "--write-back"], "--write-back needs --profile full"),
    (["--language", "zh"], "--language runs the notebooks of an edition of this course; it does "
                           "not combine with --course or --solutions."),
])
def test_a_request_it_cannot_run_exactly_is_refused(course, capsys, args, message):
    args = [arg.format(tmp=course.parent) for arg in args]
    assert message in refused(capsys, course, *args)


def test_an_unknown_language_is_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--language", "fr"])
    assert exit_info.value.code == 2
    assert "Unknown language 'fr': the course has English and zh (简体中文)." in capsys.readouterr().err


def test_a_path_whose_name_the_course_does_not_have_is_refused(course, capsys, tmp_path):
    shutil.copy(tmp_path / "01_toy.ipynb", tmp_path / "03_draft.ipynb")
    assert "has no entry in the course" in refused(capsys, course, str(tmp_path / "03_draft.ipynb"))


@pytest.mark.parametrize("output_dir", [".", "./", "sub/.."])
def test_an_output_folder_on_the_notebooks_is_refused(course, capsys, tmp_path, monkeypatch, output_dir):
    monkeypatch.chdir(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.glob("*.ipynb")}
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--course", str(course), "--output-dir", output_dir])
    assert exit_info.value.code == 2
    assert "executed copy would replace it" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in tmp_path.glob("*.ipynb")} == before


def test_a_bad_course_file_is_refused_naming_notebook_and_metric(course, capsys):
    course.write_text(TOY_COURSE.replace("quick = [0.1, 0.3]", "quick = [0.3, 0.1]"))
    err = refused(capsys, course)
    assert "notebook 01_toy, metric loss: `quick` must be [low, high]" in err


def test_a_path_runs_that_file_not_the_course_notebook(course, capsys, tmp_path, make_notebook):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    broken = make_notebook("01_toy", "steps = 100", "raise RuntimeError('the copy')", RECORD)
    broken = broken.rename(elsewhere / "01_toy.ipynb")
    make_notebook("01_toy", "steps = 100", RECORD)  # the course's own, which passes
    assert run(course, str(broken)) == 1
    out = capsys.readouterr().out
    assert "RuntimeError: the copy" in out
    assert "0 passed, 1 failed" in out


def test_solutions_run_with_their_own_quick_parameters_and_write_back(course, capsys, make_notebook):
    (course.parent / "solutions").mkdir()
    solutions = make_notebook("01_toy", "steps = 100", "assert steps == 3, steps")
    solutions = solutions.rename(course.parent / "solutions" / "01_toy.ipynb")
    assert run(course, "--solutions", "--profile", "quick") == 0  # 02_other has none: skipped
    assert "1 passed, 0 failed" in capsys.readouterr().out
    assert run(course, "--solutions", "--profile", "full", "01") == 1  # steps stays 100
    assert "AssertionError: 100" in capsys.readouterr().out
    (course.parent / "solutions" / "01_toy.ipynb").write_text(
        solutions.read_text().replace("assert steps == 3, steps", "print(steps)"))
    assert run(course, "--solutions", "--profile", "full", "--write-back", "01") == 0
    assert "100" in solutions.read_text()  # the output, written back
    err = refused(capsys, course, "--solutions", "02")
    assert "No solutions notebook 02_other.ipynb" in err


def test_a_notebook_missing_on_disk_fails_the_run(course, capsys, tmp_path):
    (tmp_path / "02_other.ipynb").unlink()
    assert run(course) == 1
    out = capsys.readouterr().out
    assert f"{tmp_path / '02_other.ipynb'} does not exist" in out
    assert "1 passed, 1 failed" in out


def test_notebooks_the_course_does_not_name_are_reported(course, capsys, tmp_path):
    shutil.copy(tmp_path / "02_other.ipynb", tmp_path / "03_draft.ipynb")
    assert run(course, "02") == 0
    out = capsys.readouterr().out
    assert "not in the course file, not run: 03_draft.ipynb" in out
    assert "1 passed, 0 failed" in out


def test_sync_reports_what_it_updated(monkeypatch, capsys):
    monkeypatch.setattr(exports, "sync", lambda: ["lecture_utils/micrograd.py"])
    assert main(["sync"]) == 0
    assert capsys.readouterr().out == "updated: lecture_utils/micrograd.py\n"


def test_a_course_error_from_sync_is_a_message_not_a_traceback(monkeypatch, capsys):
    def refuse():
        raise CourseError("lecture_utils/data.py is not generated from notebooks")

    monkeypatch.setattr(exports, "sync", refuse)
    with pytest.raises(SystemExit) as exit_info:
        main(["sync"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "error: lecture_utils/data.py is not generated from notebooks\n"


def test_ctrl_c_stops_the_run_cleanly(tmp_path, make_notebook):
    make_notebook("01_toy", "steps = 100", RECORD)
    make_notebook("02_slow", "steps = 1",
                  "import pathlib, time\npathlib.Path('started').touch()\ntime.sleep(120)")
    make_notebook("03_never", "steps = 1")
    course = tmp_path / "course.toml"
    course.write_text(TOY_COURSE.replace("02_other", "02_slow") + '[notebooks.03_never]\ntitle = "t"\n')
    before = {p: p.read_bytes() for p in tmp_path.glob("*.ipynb")}
    runner = subprocess.Popen(
        [sys.executable, "-m", "lecture_utils", "run", "--course", str(course),
         "--output-dir", str(tmp_path / "runs")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not (tmp_path / "started").exists():  # 02_slow is in its sleeping cell
            assert runner.poll() is None and time.monotonic() < deadline, runner.communicate()
            time.sleep(0.2)
        runner.send_signal(signal.SIGINT)
        out, err = runner.communicate(timeout=60)
    finally:
        runner.kill()
    assert runner.returncode == 130, (out, err)
    assert "Traceback" not in err and "Task exception was never retrieved" not in err, err
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines if line.startswith("01_toy")] == [["01_toy", "loss"]]
    assert "interrupted: 02_slow (Ctrl-C); not run: 03_never" in lines
    assert "1 passed, 0 failed" in lines
    assert os.listdir(tmp_path / "runs") == ["01_toy.ipynb"]  # no half-written copy of 02
    assert {p: p.read_bytes() for p in tmp_path.glob("*.ipynb")} == before
