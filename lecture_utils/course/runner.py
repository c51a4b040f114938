"""The course runner: execute notebooks with papermill and check what they recorded.

    python -m lecture_utils run [--profile quick|full] [--write-back] [NOTEBOOK ...]

Each notebook runs in a fresh kernel; the executed copy lands in runs/<profile>/, its
metrics are read back from it and compared with the ranges in course.toml, and one table
sums everything up. The exit status is non-zero if any notebook failed.
"""

from __future__ import annotations

import html
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from .catalog import Notebook, check_profile
from .metrics import read_metrics
from .paths import RUNS_DIR

# No lecture cell runs this long on a 2-core CPU; a cell that does is reported, not waited on.
CELL_TIMEOUT_SECONDS = 1800


@dataclass
class Check:
    metric: str
    value: float | None
    expected: tuple[float, float] | None
    reference: str

    @property
    def passed(self) -> bool:
        if self.value is None:
            return False
        return self.expected is None or self.expected[0] <= self.value <= self.expected[1]


@dataclass
class Result:
    notebook: Notebook
    profile: str
    output: Path
    seconds: float
    error: str | None = None
    checks: list[Check] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.error is None and all(check.passed for check in self.checks)

    def failures(self) -> list[str]:
        problems = [self.error] if self.error else []
        for check in self.checks:
            if check.value is None:
                problems.append(f"{check.metric} was not recorded")
            elif not check.passed:
                low, high = check.expected
                problems.append(f"{check.metric} = {check.value:.4f} is outside [{low}, {high}]")
        return problems


def check_metrics(notebook: Notebook, profile: str, recorded: dict[str, float]) -> list[Check]:
    """One check per metric course.toml expects, then the extra ones the notebook recorded."""
    checks = [
        Check(m.name, recorded.get(m.name), m.expected(profile), m.reference)
        for m in notebook.metrics
    ]
    expected_names = {m.name for m in notebook.metrics}
    checks += [Check(name, value, None, "") for name, value in recorded.items()
               if name not in expected_names]
    return checks


def execute(notebook: Notebook, profile: str, output_dir: Path, progress: bool = True) -> Result:
    """Run one notebook in a fresh kernel and check its metrics; never raises on a bad run."""
    import papermill

    check_profile(profile)
    output_dir.mkdir(parents=True, exist_ok=True)
    output = output_dir / notebook.path.name
    start = time.perf_counter()
    error = None
    try:
        papermill.execute_notebook(
            str(notebook.path),
            str(output),
            parameters=notebook.parameters(profile),
            cwd=str(notebook.path.parent),
            kernel_name="python3",
            progress_bar=progress,
            execution_timeout=CELL_TIMEOUT_SECONDS,
        )
    except papermill.PapermillExecutionError as exc:
        error = f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}"
    except (CellTimeoutError, DeadKernelError) as exc:
        error = f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    seconds = time.perf_counter() - start
    result = Result(notebook, profile, output, seconds, error)
    if output.exists():
        result.checks = check_metrics(notebook, profile, read_metrics(output))
    return result


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def final_progress_text(model_id: str, widgets: dict) -> str | None:
    """The last state of a tqdm.notebook bar (an HBox of label, bar, counts) as tqdm's text,
    or None for any other widget."""
    box = widgets.get(model_id, {})
    children = [widgets.get(child.removeprefix("IPY_MODEL_"), {})
                for child in box.get("state", {}).get("children", [])]
    if [child.get("model_name") for child in children] != ["HTMLModel", "FloatProgressModel", "HTMLModel"]:
        return None
    left, bar, right = (child["state"] for child in children)
    filled = round(10 * bar["value"] / bar["max"]) if bar.get("max") else 0
    text = f"{left['value']}|{'█' * filled}{' ' * (10 - filled)}|{right['value']}"
    return html.unescape(text).replace("\u2007", " ")  # tqdm pads with figure spaces


def clean_for_commit(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop papermill's run metadata (machine paths, timestamps) before committing, and give
    each progress bar the text of its final state, which the saved widget state holds: a
    viewer without widgets (GitHub, nbviewer) then shows the finished bar, not 0%."""
    nb.metadata.pop("papermill", None)
    widgets = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            text = view and final_progress_text(view["model_id"], widgets)
            if text:
                output.data["text/plain"] = text
    return nb


def write_back(result: Result) -> None:
    """Replace the committed notebook with the outputs of this (full, passing) run."""
    nb = clean_for_commit(nbformat.read(str(result.output), as_version=4))
    nbformat.write(nb, str(result.notebook.path))


def shown(number: float) -> str:
    """Counts in full with thousands separators (1,003,854), losses to 6 significant digits."""
    return f"{int(number):,}" if float(number).is_integer() else f"{number:.6g}"


def table(results: list[Result]) -> str:
    from tabulate import tabulate

    rows = []
    for result in results:
        status = "pass" if result.passed else "FAIL"
        wall = f"{result.seconds:.0f} s"
        if result.error:
            rows.append([result.notebook.name, "(run)", "", "", result.error, wall, "FAIL"])
        for check in result.checks:
            value = "missing" if check.value is None else shown(check.value)
            expected = "" if check.expected is None else "[{}, {}]".format(*map(shown, check.expected))
            if check.expected is None and check.value is not None:
                verdict = "(info)"
            else:
                verdict = "pass" if check.passed else "FAIL"
            rows.append([result.notebook.name, check.metric, value, expected, check.reference,
                         wall, verdict])
        if not result.error and not result.checks:
            rows.append([result.notebook.name, "(no metrics)", "", "", "", wall, status])
    headers = ["notebook", "metric", "value", "expected", "lecture reference", "wall", "result"]
    return tabulate(rows, headers=headers, disable_numparse=True)


def run_course(notebooks: list[Notebook], profile: str, output_dir: Path | None = None,
               write: bool = False) -> list[Result]:
    check_profile(profile)
    if write and profile != "full":
        raise ValueError("--write-back needs --profile full: committed outputs come from the "
                         "lecture's settings.")
    output_dir = output_dir or RUNS_DIR / profile
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiets a debugger warning in kernels
    results = []
    for index, notebook in enumerate(notebooks, 1):
        print(f"[{index}/{len(notebooks)}] {notebook.name} ({profile} profile)", flush=True)
        result = execute(notebook, profile, output_dir)
        results.append(result)
        for problem in result.failures():
            print(f"    {notebook.name}: {problem}", flush=True)
        if write and result.passed:
            write_back(result)
            print(f"    wrote outputs back to notebooks/{notebook.path.name}", flush=True)
        elif write:
            print(f"    not written back: {notebook.name} failed", flush=True)
    return results
