"""course.toml: checked as it is read, every notebook described completely, and requests for
notebooks resolved to exactly what was named."""

import ast
import shutil

import nbformat
import pytest

from lecture_utils.course.catalog import CourseError, find_notebooks, load_course, unlisted_notebooks

from . import TOY_COURSE

COURSE = load_course()  # the committed course file passes every check of the loader



def test_notebooks_are_numbered_in_lecture_order():
    numbers = [int(name.split("_")[0]) for name in COURSE]
    assert numbers == list(range(1, len(numbers) + 1))


@pytest.mark.parametrize("notebook", COURSE.values(), ids=list(COURSE))
def test_quick_parameters_exist_in_the_parameters_cell(notebook):
    nb = nbformat.read(str(notebook.path), as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, "exactly one cell tagged `parameters`"
    assigned = {target.id for node in ast.parse(cells[0].source).body
                if isinstance(node, ast.Assign) for target in node.targets}
    assert set(notebook.quick_parameters) <= assigned


def course_file(tmp_path, text):
    path = tmp_path / "course.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_course_file_reads_into_notebooks_and_metrics(tmp_path):
    course = load_course(course_file(tmp_path, TOY_COURSE), tmp_path)
    assert list(course) == ["01_toy", "02_other"]
    toy = course["01_toy"]
    assert toy.path == tmp_path / "01_toy.ipynb"
    assert toy.parameters("quick") == {"steps": 5} and toy.parameters("full") == {}
    assert toy.metrics[0].expected("quick") == (0.1, 0.3)
    assert course["02_other"].metrics[0].ranges == {"quick": (41.0, 41.0), "full": (41.0, 41.0)}


METRIC = '[notebooks.03_mlp]\ntitle = "MLP"\n[notebooks.03_mlp.metrics.dev_loss]\n'


@pytest.mark.parametrize("spec", [
    'reference = "2.17"\nrange = [2.1]',                      # too few values
    'reference = "2.17"\nrange = [2.1, 2.2, 2.3]',            # too many
    'reference = "2.17"\nrange = []',
    'reference = "2.17"\nrange = 2.1',                        # not a list
    'reference = "2.17"\nrange = ["2.1", "2.2"]',             # not numbers
    'reference = "2.17"\nrange = [true, false]',
    'reference = "2.17"\nrange = [nan, 2.2]',
    'reference = "2.17"\nrange = [2.2, 2.1]',                 # low > high
    'reference = "2.17"\nquick = [2.0, 2.5]\nfull = [2.3, 2.1]',
    'reference = "2.17"\nfull = [2.1, 2.2]',                  # one profile only
    'reference = "2.17"\nrange = [2.1, 2.2]\nquick = [2.0, 2.5]',  # range and a profile
    'range = [2.1, 2.2]',                                     # no reference
    'reference = ""\nrange = [2.1, 2.2]',
    'reference = 2.17\nrange = [2.1, 2.2]',
    'reference = "2.17"\nrnage = [2.1, 2.2]',                 # unknown key
    'reference = "2.17"\nrange = [2.1, 2.2]\nslow = [2.0, 2.5]',
])
def test_a_bad_metric_is_an_error_naming_the_notebook_and_metric(tmp_path, spec):
    with pytest.raises(CourseError, match=r"course\.toml: notebook 03_mlp, metric dev_loss"):
        load_course(course_file(tmp_path, METRIC + spec), tmp_path)


@pytest.mark.parametrize("text", [
    '[notebooks.03_mlp]\ntitel = "MLP"',                      # unknown key, no title
    '[notebooks.03_mlp]\ntitle = "MLP"\nquik = {steps = 1}',
    '[notebooks.03_mlp]\ntitle = ""',
    '[notebooks.03_mlp]\ntitle = "MLP"\nquick = 3',
    '[notebooks.03_mlp]\ntitle = "MLP"\nmetrics = {dev_loss = 2.17}',
    '[notebooks.mlp]\ntitle = "MLP"',                          # no number
    '[notebooks."03_../../mlp"]\ntitle = "MLP"',
    'notebooks.03_mlp = 1',
])
def test_a_bad_notebook_entry_is_an_error_naming_it(tmp_path, text):
    with pytest.raises(CourseError, match=r"course\.toml: notebook (03_)?\S*mlp"):
        load_course(course_file(tmp_path, text), tmp_path)


@pytest.mark.parametrize("text, message", [
    ("", "lists no notebooks"),
    ('[notebook.03_mlp]\ntitle = "MLP"', "unknown key 'notebook'"),
    ('[notebooks.03_mlp\ntitle = "MLP"', "not valid TOML"),
])
def test_a_bad_course_file_is_a_clear_error(tmp_path, text, message):
    with pytest.raises(CourseError, match=message):
        load_course(course_file(tmp_path, text), tmp_path)


def test_a_missing_course_file_is_a_clear_error(tmp_path):
    with pytest.raises(CourseError, match="Cannot read the course file .*missing.toml"):
        load_course(tmp_path / "missing.toml", tmp_path)


@pytest.fixture
def toy_course(tmp_path):
    """The toy course, with 01_toy written and 02_other missing on disk."""
    (tmp_path / "01_toy.ipynb").write_text("{}")
    return load_course(course_file(tmp_path, TOY_COURSE), tmp_path)


def names(notebooks):
    return [nb.name for nb in notebooks]


def test_no_request_is_every_notebook_the_course_names_even_missing_ones(toy_course):
    assert names(find_notebooks([], toy_course)) == ["01_toy", "02_other"]


@pytest.mark.parametrize("request_, expected", [
    (["01_toy"], ["01_toy"]), (["1"], ["01_toy"]), (["01"], ["01_toy"]), (["001"], ["01_toy"]),
    (["02", "01"], ["02_other", "01_toy"]),
])
def test_notebooks_are_found_by_name_or_number_in_the_order_given(toy_course, request_, expected):
    assert names(find_notebooks(request_, toy_course)) == expected


@pytest.mark.parametrize("request_", ["2.0", "1.0", "1e0", "+1", " 1", "١", "toy", "01_TOY", "",
                                      "01_toy.txt", "03"])
def test_an_unknown_name_is_an_error(toy_course, request_):
    with pytest.raises(CourseError, match="Unknown notebook .*The course has: 01_toy, 02_other"):
        find_notebooks([request_], toy_course)


def test_a_number_two_notebooks_share_is_ambiguous(tmp_path):
    text = '[notebooks.04_mlp]\ntitle = "MLP"\n[notebooks.04_mlp_zh]\ntitle = "MLP (zh)"'
    course = load_course(course_file(tmp_path, text), tmp_path)
    with pytest.raises(CourseError, match="'04' is ambiguous: 04_mlp, 04_mlp_zh"):
        find_notebooks(["04"], course)
    assert names(find_notebooks(["04_mlp_zh"], course)) == ["04_mlp_zh"]


def test_a_path_runs_that_file_with_the_course_entry_of_its_name(toy_course, tmp_path, monkeypatch):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    copy = elsewhere / "01_toy.ipynb"
    shutil.copy(tmp_path / "01_toy.ipynb", copy)
    monkeypatch.chdir(elsewhere)
    for request_ in [str(copy), "01_toy.ipynb", "./01_toy.ipynb", "../elsewhere/01_toy.ipynb"]:
        (found,) = find_notebooks([request_], toy_course)
        assert found.path == copy
        assert found.metrics == toy_course["01_toy"].metrics
        assert found.quick_parameters == {"steps": 5}


@pytest.mark.parametrize("request_, message", [
    ("x/01.txt", "is not a notebook"),
    ("x/01_toy.txt", "is not a notebook"),
    ("01_toy.py", "Unknown notebook"),
    ("./01_toy", "is not a notebook"),
    ("missing/01_toy.ipynb", "No notebook file"),
    ("folder.ipynb", "No notebook file"),
    ("notes/03_extra.ipynb", "has no entry in the course"),
    ("notes/01.ipynb", "has no entry in the course"),
])
def test_a_path_that_is_not_a_course_notebook_is_an_error(toy_course, tmp_path, monkeypatch,
                                                          request_, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "folder.ipynb").mkdir()
    (tmp_path / "x").mkdir()
    for name in ["01.txt", "01_toy.txt"]:
        (tmp_path / "x" / name).write_text("{}")
    (tmp_path / "notes").mkdir()
    for name in ["03_extra.ipynb", "01.ipynb"]:
        (tmp_path / "notes" / name).write_text("{}")
    with pytest.raises(CourseError, match=message):
        find_notebooks([request_], toy_course)


@pytest.mark.parametrize("requests", [
    ["01", "01"], ["01", "1"], ["01", "01_toy"], ["01_toy", "01_toy.ipynb"],
    ["01_toy", "./01_toy.ipynb"], ["02", "elsewhere/01_toy.ipynb", "01"],
])
def test_a_notebook_named_twice_is_an_error(toy_course, tmp_path, monkeypatch, requests):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(tmp_path / "01_toy.ipynb", tmp_path / "elsewhere")
    with pytest.raises(CourseError, match="both name 01_toy: name each notebook once"):
        find_notebooks(requests, toy_course)


def test_notebooks_the_course_does_not_name_are_listed(toy_course, tmp_path):
    (tmp_path / "09_draft.ipynb").write_text("{}")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    assert unlisted_notebooks(toy_course, tmp_path) == [tmp_path / "09_draft.ipynb"]
