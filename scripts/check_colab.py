"""Run the course as Colab does, as far as this machine can: the package installed by the
notebooks' own setup cell, `--no-deps`, on top of Colab's versions of what it uses.

    LECTURE_DATA_DIR=... python scripts/check_colab.py [--work DIR]

1. Builds a wheel from the checkout; it stands in for the setup cell's git address
   (LECTURE_UTILS_SOURCE, see lecture_utils/course/colab.py).
2. Makes a Python 3.11 environment with Colab's ipywidgets, numpy and matplotlib, this
   machine's torch, and what papermill needs to run a kernel, but not the package. A
   `google.colab` stand-in module is imported at start-up, so the setup cell takes its Colab
   branch: it installs the wheel and fetches the data. Notebooks 03, 08 and 09 then run in
   the quick profile there, and their metrics are checked against course.toml.
3. Installs the wheel `--no-deps` into Python 3.12 and 3.13 (with the package's other
   dependencies, not torch, which PyPI only has as a multi-GB CUDA build) and imports every
   module of the package that does not need torch.

Exit status 0 when everything passed, 1 otherwise. It installs from PyPI, with pip's cache.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import yaml

from lecture_utils.course.catalog import load_course
from lecture_utils.course.colab import SOURCE_VARIABLE
from lecture_utils.course.metrics import read_metrics
from lecture_utils.course.paths import REPO_ROOT
from lecture_utils.course.runner import check_metrics

# What Colab ships (checked on Colab, 2026): its versions replace our pins in the test.
COLAB_VERSIONS = {"ipywidgets": "7.7.1", "numpy": "2.1.3", "matplotlib": "3.10.0"}
NOTEBOOKS = ("03_neural_bigram", "08_attention", "09_gpt")
NEWER_PYTHONS = ("3.12", "3.13")
# The modules that import torch: on 3.12 and 3.13 they fail for that reason only.
NEEDS_TORCH = re.compile(r"No module named 'torch'")
STANDIN = '"""Stands in for Colab\'s module: the setup cell only asks whether it is imported."""\n'


def pinned_dependencies() -> dict[str, str]:
    """pyproject.toml's dependencies, name -> requirement string."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    return {re.split(r"[=<>!~ ;\[]", spec, maxsplit=1)[0].lower(): spec.split("#")[0].strip()
            for spec in project["dependencies"]}


def run(command: list, **kwargs) -> None:
    print("$", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, **kwargs)


def python_for(version: str) -> str | None:
    """An interpreter of `version`: pythonX.Y on the PATH, else one of pyenv's (its shims only
    answer for the versions selected, so look in its versions folder)."""
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = [shutil.which(f"python{version}"),
                  *sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "--version"], capture_output=True).returncode == 0:
            return str(candidate)
    return None


def make_env(python: str, folder: Path, requirements: list[str]) -> Path:
    run([python, "-m", "venv", folder])
    run([folder / "bin" / "python", "-m", "pip", "install", "-q", *requirements])
    return folder / "bin" / "python"


def build_wheel(work: Path) -> Path:
    wheels = work / "wheel"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, REPO_ROOT])
    (wheel,) = wheels.glob("lecture_utils-*.whl")
    return wheel


def colab_runs(work: Path, wheel: Path) -> list[str]:
    """Notebooks 03, 08 and 09 in a Colab-like environment; the problems found."""
    pins = pinned_dependencies()
    colab = {**pins, **{name: f"{name}=={version}" for name, version in COLAB_VERSIONS.items()}}
    for skipped in ("jupyterlab", "scikit-learn"):  # not used by these notebooks or the kernel
        colab.pop(skipped)
    python = make_env(sys.executable, work / "colab", list(colab.values()))
    versions = subprocess.run(
        [python, "-c", "import sys, torch, numpy, matplotlib, ipywidgets; print(sys.version.split()[0], "
         "torch.__version__, numpy.__version__, matplotlib.__version__, ipywidgets.__version__)"],
        capture_output=True, text=True, check=True).stdout.split()
    print("Colab-like environment: Python {}, torch {}, numpy {}, matplotlib {}, ipywidgets {}"
          .format(*versions), flush=True)

    standin = work / "standin"
    (standin / "google" / "colab").mkdir(parents=True)
    (standin / "google" / "colab" / "__init__.py").write_text(STANDIN)
    (standin / "sitecustomize.py").write_text("import google.colab  # noqa: F401\n")
    env = {**os.environ, "PYTHONPATH": str(standin), SOURCE_VARIABLE: str(wheel)}
    # a copy of the notebooks, run where a Colab user's files would be: not in a checkout
    folder = work / "content"
    folder.mkdir()
    course = load_course()
    problems = []
    for name in NOTEBOOKS:
        notebook = course[name]
        source = folder / notebook.path.name
        shutil.copy(notebook.path, source)
        parameters = folder / f"{name}.yaml"
        parameters.write_text(yaml.safe_dump(notebook.parameters("quick")))
        output = folder / f"{name}.executed.ipynb"
        try:
            run([python, "-m", "papermill", "--no-progress-bar", "-k", "python3", "--cwd", folder,
                 "-f", parameters, source, output], env=env)
        except subprocess.CalledProcessError:
            problems.append(f"{name} failed on the Colab-like environment (its traceback is above)")
            continue
        for check in check_metrics(notebook, "quick", read_metrics(output)):
            print(f"  {name} {check.metric} = {check.value} (expected {check.expected})")
            if not check.passed:
                problems.append(f"{name}: {check.metric} = {check.value}, expected {check.expected}")
    installed = subprocess.run([python, "-m", "pip", "show", "lecture-utils"], capture_output=True,
                               text=True).stdout
    if "Version:" not in installed:
        problems.append("the setup cell did not install the package")
    return problems


def imports_on(version: str, work: Path, wheel: Path) -> list[str]:
    """The wheel on a newer Python: every module that needs no torch imports."""
    python = python_for(version)
    if python is None:
        return [f"no python{version} on this machine"]
    others = [spec for name, spec in pinned_dependencies().items()
              if name not in ("torch", "jupyterlab", "scikit-learn")]
    venv_python = make_env(python, work / f"py{version}", others)
    run([venv_python, "-m", "pip", "install", "-q", "--no-deps", wheel])
    script = (
        "import importlib, pkgutil, lecture_utils\n"
        "for info in pkgutil.walk_packages(lecture_utils.__path__, 'lecture_utils.'):\n"
        "    if info.name.endswith('__main__'):\n"
        "        continue  # importing it runs the command line\n"
        "    try:\n"
        "        importlib.import_module(info.name)\n"
        "        print('ok', info.name)\n"
        "    except Exception as exc:\n"
        "        print('failed', info.name, type(exc).__name__, exc)\n"
    )
    lines = subprocess.run([venv_python, "-c", script], capture_output=True, text=True,
                           check=True, cwd=work).stdout.splitlines()
    print(f"Python {version}:", *lines, sep="\n  ", flush=True)
    problems = [f"Python {version}: {line}" for line in lines
                if line.startswith("failed") and not NEEDS_TORCH.search(line)]
    if not any(line == "ok lecture_utils.course.runner" for line in lines):
        problems.append(f"Python {version}: the course runner did not import")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", type=Path, help="folder for the environments (default: a temporary one)")
    args = parser.parse_args(argv)
    if not os.environ.get("LECTURE_DATA_DIR"):
        parser.error("set LECTURE_DATA_DIR to a folder holding names.txt and input.txt")
    with tempfile.TemporaryDirectory() as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        wheel = build_wheel(work)
        problems = colab_runs(work, wheel)
        for version in NEWER_PYTHONS:
            problems += imports_on(version, work, wheel)
    for problem in problems:
        print("FAILED:", problem)
    print("Colab check:", "failed" if problems else "passed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
