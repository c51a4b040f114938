"""environment.yml (conda) and pyproject.toml (pip) must pin the same versions."""

import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def pip_pins() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    pins = dict(req.split("==") for req in requirements)
    assert len(pins) == len(requirements), "every requirement is pinned with =="
    return pins


def conda_spec() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def test_every_requirement_is_pinned_exactly():
    for name, version in pip_pins().items():
        assert version and version[0].isdigit(), f"{name} needs an exact pin"


def test_torch_is_pinned_to_the_cpu_file_version():
    assert pip_pins()["torch"] == "2.13.0"


def test_environment_yml_lists_the_same_pins():
    dependencies = conda_spec()["dependencies"]
    pip_section = next(d["pip"] for d in dependencies if isinstance(d, dict))
    conda_pins = dict(line.split("==") for line in pip_section if "==" in line)
    assert conda_pins == pip_pins()
    assert "-e ." in pip_section, "the conda environment installs the course package too"


def test_environment_yml_uses_python_3_11_and_provides_graphviz():
    dependencies = conda_spec()["dependencies"]
    assert "python=3.11" in dependencies
    assert "graphviz" in dependencies


def test_the_package_installs_on_any_python_from_3_11():
    # Colab moves to each new Python within months: no upper bound, or its setup cell is refused
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11"
