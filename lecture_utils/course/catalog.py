"""The course description in course.toml, read into plain objects."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .paths import NOTEBOOK_DIR

PROFILES = ("quick", "full")
COURSE_FILE = Path(__file__).with_name("course.toml")


class CourseError(ValueError):
    """A request the course cannot satisfy; the message lists what it can."""


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
    quick_parameters: dict = field(default_factory=dict)
    metrics: tuple[Metric, ...] = ()
    directory: Path = NOTEBOOK_DIR

    @property
    def path(self) -> Path:
        return self.directory / f"{self.name}.ipynb"

    def parameters(self, profile: str) -> dict:
        """papermill parameters: none for full (the lecture's defaults), overrides for quick."""
        check_profile(profile)
        return dict(self.quick_parameters) if profile == "quick" else {}


def check_profile(profile: str) -> None:
    if profile not in PROFILES:
        raise CourseError(f"Unknown profile {profile!r}. Choose one of: {', '.join(PROFILES)}.")


def _metric(name: str, spec: dict) -> Metric:
    ranges = {}
    for profile in PROFILES:
        low, high = spec.get(profile, spec.get("range", (None, None)))
        if low is not None:
            ranges[profile] = (float(low), float(high))
    return Metric(name=name, reference=spec.get("reference", ""), ranges=ranges)


def load_course(path: Path = COURSE_FILE) -> dict[str, Notebook]:
    """Every notebook of the course, in lecture order."""
    with open(path, "rb") as f:
        spec = tomllib.load(f)["notebooks"]
    return {
        name: Notebook(
            name=name,
            title=entry["title"],
            quick_parameters=entry.get("quick", {}),
            metrics=tuple(_metric(m, s) for m, s in entry.get("metrics", {}).items()),
        )
        for name, entry in sorted(spec.items())
    }


def find_notebooks(requested: list[str], course: dict[str, Notebook]) -> list[Notebook]:
    """Notebooks named by full name ("04_mlp"), number ("04" or "4") or path; all if none."""
    if not requested:
        return [nb for nb in course.values() if nb.path.exists()]
    chosen = []
    for request in requested:
        key = Path(request).stem
        matches = [nb for name, nb in course.items() if key in (name, name.split("_")[0])]
        if not matches and key.isdigit():
            matches = [nb for name, nb in course.items() if int(name.split("_")[0]) == int(key)]
        if not matches:
            raise CourseError(
                f"Unknown notebook {request!r}. The course has: {', '.join(course)}."
            )
        if not matches[0].path.exists():
            raise CourseError(f"Notebook {matches[0].name} is not written yet ({matches[0].path}).")
        chosen.extend(matches)
    return chosen
