"""The setup cell installs the course on Colab, and does nothing anywhere else."""

import subprocess
import sys
import types

import pytest

from lecture_utils.course import colab, data


@pytest.fixture
def calls(monkeypatch):
    seen = {"run": [], "data": []}
    monkeypatch.setattr(subprocess, "run", lambda cmd, check: seen["run"].append(cmd))
    monkeypatch.setattr(data, "data_path", lambda name: seen["data"].append(name))
    return seen


def test_on_colab_it_installs_the_package_without_touching_colabs_torch(calls, monkeypatch):
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    exec(colab.SETUP_CELL, {})
    (command,) = calls["run"]
    assert command[1:4] == ["-m", "pip", "install"]
    assert "--no-deps" in command
    assert command[-1] == f"git+{colab.REPOSITORY}"
    assert calls["data"] == ["names", "shakespeare"]


def test_elsewhere_it_does_nothing(calls, monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(colab.SETUP_CELL, {})
    assert calls == {"run": [], "data": []}


def test_colab_links_point_at_the_notebook_on_main():
    assert colab.colab_url("04_mlp") == (
        "https://colab.research.google.com/github/zero-to-hero-notebooks/course/blob/main/notebooks/04_mlp.ipynb"
    )
    assert colab.colab_url("04_mlp") in colab.colab_badge("04_mlp")
