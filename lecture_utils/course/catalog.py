"""The course description in course.toml, read into plain objects and checked as it is read.

The course file is the list of notebooks: each entry names a notebook in the notebook
folder, its quick-profile parameters and the metrics it must reach, and the quick-profile
parameters of its exercises' solutions notebook (solutions/NN_name.ipynb), if it has one.
"""

from __future__ import annotations

import dataclasses
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .paths import NOTEBOOK_DIR, SOLUTIONS_DIR

PROFILES = ("quick", "full")
COURSE_FILE = Path(__file__).with_name("course.toml")

NOTEBOOK_NAME = re.compile(r"[0-9]+_[A-Za-z0-9_]+")  # its number, then a short name: 04_mlp
NOTEBOOK_KEYS = {"title", "quick", "metrics", "solutions_quick"}
METRIC_KEYS = {"reference", "range", *PROFILES}


class CourseError(ValueError):
    """A course file or a request the course cannot satisfy; the message says what it can."""


@dataclass(frozen=True)
class Metric:
    name: str
    reference: str
    ranges: dict[str, tuple[float, float]]

    def expected(self, profile: str) -> tuple[float, float] | None:
        return self.ranges.get(profile)


@dataclass(frozen=True)
class Notebook:
    name: str
    title: str
    path: Path
    quick_parameters: dict = field(default_factory=dict)
    metrics: tuple[Metric, ...] = ()
    solutions_quick_parameters: dict = field(default_factory=dict)

    def parameters(self, profile: str) -> dict:
        """papermill parameters: none for full (the lecture's defaults), overrides for quick."""
        return dict(self.quick_parameters) if profile == "quick" else {}


def _metric(name: str, spec, where: str) -> Metric:
    if not isinstance(spec, dict):
        raise CourseError(f"{where}: expected a table of reference and ranges, got {spec!r}.")
    _check_keys(spec, METRIC_KEYS, where)
    if not isinstance(spec.get("reference"), str) or not spec["reference"].strip():
        raise CourseError(f"{where}: needs a `reference`, the lecture's figure.")
    given = {key for key in spec if key != "reference"}
    if given not in (set(), {"range"}, set(PROFILES)):
        raise CourseError(f"{where}: give `range` (both profiles), or both `quick` and `full`, "
                          f"or none (information only); found {', '.join(sorted(given))}.")
    ranges = {}
    for profile in PROFILES:
        key = profile if profile in spec else "range"
        if key in spec:
            ranges[profile] = _range(spec[key], f"{where}: `{key}`")
    return Metric(name=name, reference=spec["reference"], ranges=ranges)


def _range(value, where: str) -> tuple[float, float]:
    numbers = isinstance(value, list) and len(value) == 2 and all(
        isinstance(v, int | float) and not isinstance(v, bool) and not math.isnan(v) for v in value)
    if not numbers or value[0] > value[1]:
        raise CourseError(f"{where} must be [low, high], two numbers with low <= high; got {value!r}.")
    return float(value[0]), float(value[1])


def _check_keys(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise CourseError(f"{where}: unknown key {', '.join(map(repr, unknown))}; "
                          f"the keys are {', '.join(sorted(allowed))}.")


def _notebook(name: str, entry, notebook_dir: Path, where: str) -> Notebook:
    if not NOTEBOOK_NAME.fullmatch(name):
        raise CourseError(f"{where}: a notebook's name is its number and a short name, like 04_mlp.")
    if not isinstance(entry, dict):
        raise CourseError(f"{where}: expected a table, got {entry!r}.")
    _check_keys(entry, NOTEBOOK_KEYS, where)
    if not isinstance(entry.get("title"), str) or not entry["title"].strip():
        raise CourseError(f"{where}: needs a `title`.")
    quick, metrics = entry.get("quick", {}), entry.get("metrics", {})
    solutions_quick = entry.get("solutions_quick", {})
    if not all(isinstance(table, dict) for table in (quick, metrics, solutions_quick)):
        raise CourseError(f"{where}: `quick`, `metrics` and `solutions_quick` must be tables.")
    return Notebook(
        name=name,
        title=entry["title"],
        path=notebook_dir / f"{name}.ipynb",
        quick_parameters=quick,
        metrics=tuple(_metric(m, spec, f"{where}, metric {m}") for m, spec in metrics.items()),
        solutions_quick_parameters=solutions_quick,
    )


def solutions_of(notebook: Notebook, solutions_dir: Path = SOLUTIONS_DIR) -> Notebook:
    """The solutions notebook of a notebook's exercises, to run like a notebook: its own
    quick-profile parameters, no metrics (its asserted checks are what it proves)."""
    return Notebook(name=notebook.name, title=f"{notebook.title}: solutions",
                    path=Path(solutions_dir) / notebook.path.name,
                    quick_parameters=notebook.solutions_quick_parameters)


def read_toml(path: Path, what: str, error: type[CourseError] = CourseError) -> dict:
    """The tables of a TOML file of the course; `error` naming `what` the file is when it
    cannot be read or is not TOML."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as exc:
        raise error(f"Cannot read {what} {path}: {exc.strerror}.") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path.name} is not valid TOML: {exc}.") from None


def load_course(path: Path = COURSE_FILE, notebook_dir: Path = NOTEBOOK_DIR) -> dict[str, Notebook]:
    """Every notebook of the course file at `path`, in lecture order, with its notebook in
    `notebook_dir`. A course file that is unreadable or incomplete is a CourseError naming the
    notebook and metric at fault."""
    path = Path(path)
    spec = read_toml(path, "the course file")
    _check_keys(spec, {"notebooks"}, path.name)
    if not isinstance(spec.get("notebooks"), dict) or not spec["notebooks"]:
        raise CourseError(f"{path.name}: lists no notebooks ([notebooks.NN_name] tables).")
    return {
        name: _notebook(name, entry, Path(notebook_dir), f"{path.name}: notebook {name}")
        for name, entry in sorted(spec["notebooks"].items())
    }


def unlisted_notebooks(course: dict[str, Notebook], notebook_dir: Path = NOTEBOOK_DIR) -> list[Path]:
    """Notebooks in the folder that the course does not name: never run, so worth a mention."""
    return sorted(path for path in Path(notebook_dir).glob("*.ipynb") if path.stem not in course)


def find_notebooks(requested: list[str], course: dict[str, Notebook]) -> list[Notebook]:
    """Exactly the notebooks requested, in that order; every one of the course if none.

    A request is a number ("04" or "4"), a name ("04_mlp"), or a path to a .ipynb file (it
    has a folder part or ends in .ipynb), which runs that file with the course entry of the
    same name. Anything else, or the same notebook twice, is a CourseError.
    """
    if not requested:
        return list(course.values())
    chosen: dict[str, str] = {}  # notebook name -> the request that named it
    notebooks = []
    for request in requested:
        notebook = _find(request, course)
        if notebook.name in chosen:
            raise CourseError(f"{request!r} and {chosen[notebook.name]!r} both name {notebook.name}: "
                              "name each notebook once.")
        chosen[notebook.name] = request
        notebooks.append(notebook)
    return notebooks


def _find(request: str, course: dict[str, Notebook]) -> Notebook:
    if Path(request).name != request or request.endswith(".ipynb"):  # it names a folder or a file
        return _find_path(Path(request), course)
    if request in course:
        return course[request]
    if re.fullmatch(r"[0-9]+", request):
        matches = [nb for name, nb in course.items() if int(name.split("_")[0]) == int(request)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise CourseError(f"Notebook {request!r} is ambiguous: "
                              f"{', '.join(nb.name for nb in matches)}. Give the full name.")
    raise CourseError(f"Unknown notebook {request!r}. The course has: {', '.join(course)}.")


def _find_path(path: Path, course: dict[str, Notebook]) -> Notebook:
    if path.suffix != ".ipynb":
        raise CourseError(f"{path} is not a notebook: give a .ipynb file, a number or a name.")
    if not path.is_file():
        raise CourseError(f"No notebook file {path}.")
    if path.stem not in course:
        raise CourseError(f"{path} has no entry in the course: a notebook file runs with the entry "
                          f"of the same name, one of {', '.join(course)}.")
    return dataclasses.replace(course[path.stem], path=path.resolve())
