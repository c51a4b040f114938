"""course.toml: every notebook and metric is described completely, and lookups work."""

import ast

import nbformat
import pytest

from lecture_utils.course.catalog import PROFILES, CourseError, check_profile, find_notebooks, load_course

COURSE = load_course()
WRITTEN = [nb for nb in COURSE.values() if nb.path.exists()]


def test_notebooks_are_numbered_in_lecture_order():
    numbers = [int(name.split("_")[0]) for name in COURSE]
    assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.parametrize("notebook", COURSE.values(), ids=list(COURSE))
def test_every_metric_has_a_reference_and_a_range_for_each_profile_or_none(notebook):
    for metric in notebook.metrics:
        assert metric.reference, f"{metric.name} needs the lecture reference"
        if not metric.ranges:
            continue  # shown for information (a training time), never asserted
        for profile in PROFILES:
            assert metric.expected(profile), f"{metric.name} has no {profile} range"
            low, high = metric.expected(profile)
            assert low <= high, f"{metric.name}: empty {profile} range"


@pytest.mark.parametrize("notebook", WRITTEN, ids=[nb.name for nb in WRITTEN])
def test_quick_parameters_exist_in_the_parameters_cell(notebook):
    nb = nbformat.read(str(notebook.path), as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "exactly one cell tagged `parameters`"
    assigned = {target.id for node in ast.parse(cells[0].source).body
                if isinstance(node, ast.Assign) for target in node.targets}
    assert set(notebook.quick_parameters) <= assigned


def test_notebooks_are_found_by_name_number_or_path():
    first = next(iter(COURSE))
    assert find_notebooks([first], COURSE)[0].name == first
    assert find_notebooks(["1"], COURSE)[0].name == first
    assert find_notebooks([f"notebooks/{first}.ipynb"], COURSE)[0].name == first


def test_unknown_notebooks_and_profiles_are_clear_errors():
    with pytest.raises(CourseError, match="Unknown notebook 'nine'. The course has: 01_micrograd"):
        find_notebooks(["nine"], COURSE)
    with pytest.raises(CourseError, match="Choose one of: quick, full"):
        check_profile("medium")
