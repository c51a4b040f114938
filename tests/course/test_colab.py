"""The setup cell installs the course on Colab, and does nothing anywhere else."""

import subprocess
import sys
import tomllib
import types

import pytest

from lecture_utils.course import colab, data
from lecture_utils.course.paths import REPO_ROOT


class Pip:
    """Stands in for subprocess.run: records the command and exits with `returncode`."""

    def __init__(self, returncode=0, stderr=""):
        self.commands, self.returncode, self.stderr = [], returncode, stderr

    def __call__(self, command, **kwargs):
        self.commands.append(command)
        return subprocess.CompletedProcess(command, self.returncode, "", self.stderr)


@pytest.fixture
def on_colab(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.delenv(colab.SOURCE_VARIABLE, raising=False)
    fetched = []
    monkeypatch.setattr(data, "data_path", fetched.append)
    return fetched


def test_on_colab_it_installs_this_release_without_touching_colabs_torch(on_colab, monkeypatch):
    pip = Pip()
    monkeypatch.setattr(subprocess, "run", pip)
    exec(colab.SETUP_CELL, {})
    (command,) = pip.commands
    assert command[1:4] == ["-m", "pip", "install"]
    assert "--no-deps" in command
    assert command[-1] == f"git+{colab.REPOSITORY}@{colab.PACKAGE_REF}"
    assert on_colab == ["names", "shakespeare"]


def test_the_source_can_be_a_wheel(on_colab, monkeypatch):
    pip = Pip()
    monkeypatch.setattr(subprocess, "run", pip)
    monkeypatch.setenv(colab.SOURCE_VARIABLE, "/tmp/lecture_utils-0.2.0-py3-none-any.whl")
    exec(colab.SETUP_CELL, {})
    assert pip.commands[0][-1] == "/tmp/lecture_utils-0.2.0-py3-none-any.whl"


def test_a_failed_install_says_what_failed_and_what_to_do(on_colab, monkeypatch, capsys):
    monkeypatch.setattr(subprocess, "run", Pip(1, "ERROR: Could not find a version that satisfies"))
    with pytest.raises(SystemExit, match="Installing the course package from git\\+https.* failed.*"
                                         "internet connection"):
        exec(colab.SETUP_CELL, {})
    assert "Could not find a version" in capsys.readouterr().out
    assert on_colab == []  # nothing fetched with no package


def test_a_failed_download_ends_in_its_message_not_a_traceback(on_colab, monkeypatch):
    monkeypatch.setattr(subprocess, "run", Pip())

    def offline(name):
        raise data.DataError("No network: cannot download names.txt. Set LECTURE_DATA_DIR ...")

    monkeypatch.setattr(data, "data_path", offline)
    with pytest.raises(SystemExit, match="^DataError: No network"):
        exec(colab.SETUP_CELL, {})


def test_elsewhere_it_does_nothing(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    pip = Pip()
    monkeypatch.setattr(subprocess, "run", pip)
    exec(colab.SETUP_CELL, {})
    assert pip.commands == []


def test_the_release_installed_is_this_version():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    assert colab.PACKAGE_REF == f"v{project['version']}", (
        "pyproject.toml's version changed: set PACKAGE_REF to match and rewrite the notebooks' "
        "first cells (see CONTRIBUTING.md, Releases)")


def test_colab_links_point_at_the_notebook_on_main():
    assert colab.colab_url("04_mlp") == (
        "https://colab.research.google.com/github/zero-to-hero-notebooks/course/blob/main/notebooks/04_mlp.ipynb"
    )
    assert colab.colab_url("04_mlp") in colab.colab_badge("04_mlp")
