"""The course runner: execute notebooks with papermill and check what they recorded.

    python -m lecture_utils run [--profile quick|full] [--write-back] [NOTEBOOK ...]

Each notebook runs in a fresh kernel; the executed copy lands in runs/<profile>/, its
metrics are read back from it and compared with the ranges in course.toml, and one table
sums everything up. The exit status is non-zero if any notebook failed.

The profile is checked once, where it comes in (the command line, pytest's --profile);
the functions here take it as given.
"""

from __future__ import annotations

import asyncio
import html
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .catalog import CourseError, Notebook
from .files import move_into_place, write_atomically
from .metrics import read_metrics
from .paths import NOTEBOOK_DIR, RUNS_DIR

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


class Interrupted(KeyboardInterrupt):
    """Ctrl-C stopped a run of the course while `notebook` ran; `results` are the notebooks
    that finished before it."""

    def __init__(self, results: list[Result], notebook: Notebook):
        super().__init__(notebook.name)
        self.results = results
        self.notebook = notebook


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


class CtrlC:
    """Ctrl-C while papermill runs a notebook, stopped without leaving anything behind.

    A KeyboardInterrupt raised inside nbclient's event loop leaves its tasks pending (they
    fail later with ~100 lines of "Task exception was never retrieved"), and one raised during
    an import can be swallowed. So the first Ctrl-C only records the request; during a cell it
    also cancels the tasks waiting on the kernel, and otherwise no further cell starts. Either
    way papermill shuts the kernel down as after a failed cell, and `execute` raises
    KeyboardInterrupt when papermill returns. A second Ctrl-C raises at once."""

    def __init__(self):
        self.pressed = False
        self.in_cell = False  # the kernel runs a cell and the event loop waits for it

    @contextmanager
    def handled(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # only the main thread receives signals
            return
        previous = signal.signal(signal.SIGINT, self.on_signal)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)

    def on_signal(self, signum, frame) -> None:
        if self.pressed:
            raise KeyboardInterrupt
        self.pressed = True
        if self.in_cell:
            with suppress(RuntimeError):  # no loop running: the cell failed and papermill cleans up
                asyncio.get_running_loop().call_soon_threadsafe(self.cancel_tasks)

    @staticmethod
    def cancel_tasks() -> None:
        """Run by the event loop, once the cell's tasks all exist and wait on the kernel."""
        for task in asyncio.all_tasks():
            task.cancel()

    def on_cell_execute(self, **cell) -> None:  # nbclient's hook before each code cell
        if self.pressed:
            raise KeyboardInterrupt  # before any task waits on the kernel: none is left behind
        self.in_cell = True

    def on_cell_executed(self, **cell) -> None:  # nbclient's hook when the kernel replied
        self.in_cell = False


def _literal(path: Path) -> str:
    """papermill formats paths with the parameters (`{steps}`); a brace in a folder name is kept."""
    return str(path).replace("{", "{{").replace("}", "}}")


def _papermill(notebook: Notebook, profile: str, output: Path, progress: bool, ctrl_c: CtrlC) -> str | None:
    """Execute `notebook` into `output` with papermill; the error that stopped it, if any."""
    import papermill

    try:
        papermill.execute_notebook(
            _literal(notebook.path.resolve()),
            _literal(output.resolve()),
            parameters=notebook.parameters(profile),
            cwd=str(notebook.path.parent),
            kernel_name="python3",
            progress_bar=progress,
            execution_timeout=CELL_TIMEOUT_SECONDS,
            on_cell_execute=ctrl_c.on_cell_execute,
            on_cell_executed=ctrl_c.on_cell_executed,
        )
    except papermill.PapermillExecutionError as exc:
        return f"cell {exc.exec_count} raised {exc.ename}: {exc.evalue}"
    except Exception as exc:  # a timeout, a dead kernel, a file that is not a notebook
        return f"{type(exc).__name__}: {(str(exc).strip() or 'no message').splitlines()[0]}"
    except asyncio.CancelledError:  # by Ctrl-C, which `execute` raises
        if not ctrl_c.pressed:
            raise
    return None


def execute(notebook: Notebook, profile: str, output_dir: Path, progress: bool = True) -> Result:
    """Run one notebook in a fresh kernel and check its metrics. A notebook that is missing,
    unreadable or fails is a failed Result; only Ctrl-C raises (KeyboardInterrupt).

    papermill rewrites its output after every cell, so it writes to a temporary name beside
    the executed copy, which is renamed into place when papermill is done (a failed run's copy
    too: it shows where the notebook failed). Ctrl-C removes the temporary file."""
    output = Path(output_dir) / notebook.path.name
    if not notebook.path.is_file():
        return Result(notebook, output, 0.0, f"{notebook.path} does not exist")  # a failure, not a skip
    output.parent.mkdir(parents=True, exist_ok=True)
    running = output.with_name(f".{output.name}.running-{os.getpid()}.ipynb")
    start = time.perf_counter()
    ctrl_c = CtrlC()
    try:
        with ctrl_c.handled():
            error = _papermill(notebook, profile, running, progress, ctrl_c)
        if ctrl_c.pressed:
            raise KeyboardInterrupt
    except BaseException:
        running.unlink(missing_ok=True)
        raise
    result = Result(notebook, output, time.perf_counter() - start, error)
    if running.exists():
        move_into_place(running, output)
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
    """Replace the notebook that ran with the outputs of this (full, passing) run, in one
    rename: an interruption or a full disk leaves the committed notebook as it was."""
    nb = clean_for_commit(nbformat.read(str(result.output), as_version=4))
    write_atomically(result.notebook.path, nbformat.writes(nb) + "\n")  # nbformat.write's newline


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


def _same_file(a: Path, b: Path) -> bool:
    """The same file or folder, however spelt: relative, with `..`, through symlinks."""
    a, b = a.resolve(), b.resolve()
    return a.exists() and b.exists() and os.path.samefile(a, b)


def check_output_dir(output_dir: Path, notebooks: list[Notebook]) -> None:
    """Executed copies never land among the committed notebooks, nor on a notebook they run."""
    if any(_same_file(folder, NOTEBOOK_DIR) for folder in (output_dir, *output_dir.resolve().parents)):
        raise CourseError(f"The output folder {output_dir} is in {NOTEBOOK_DIR}: executed copies "
                          "never go among the committed notebooks (the default is runs/<profile>; "
                          "--write-back updates a committed notebook when every metric passes).")
    for notebook in notebooks:
        if _same_file(output_dir, notebook.path.parent):
            raise CourseError(f"The output folder {output_dir} holds {notebook.path.name}: its "
                              "executed copy would replace it. Choose another folder.")


def run_course(notebooks: list[Notebook], profile: str, output_dir: Path | None = None,
               write: bool = False) -> list[Result]:
    """Run the notebooks in turn, printing progress, and write each one that passed back when
    `write`. A request it refuses raises CourseError before anything runs; Ctrl-C raises
    Interrupted with the results so far."""
    if write and profile != "full":
        raise CourseError("--write-back needs --profile full: committed outputs come from the "
                          "lecture's settings.")
    output_dir = output_dir or RUNS_DIR / profile
    check_output_dir(output_dir, notebooks)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CourseError(f"Cannot create the output folder {output_dir}: {exc.strerror}.") from None
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiets a debugger warning in kernels
    results = []
    for index, notebook in enumerate(notebooks, 1):
        print(f"[{index}/{len(notebooks)}] {notebook.name} ({profile} profile)", flush=True)
        try:
            result = execute(notebook, profile, output_dir)
            if write and result.passed:
                try:
                    write_back(result)
                except OSError as exc:  # a read-only folder, a full disk: the notebook is as it was
                    result.error = f"not written back to {notebook.path}: {exc.strerror}"
        except KeyboardInterrupt:
            raise Interrupted(results, notebook) from None
        for problem in result.failures():
            print(f"    {notebook.name}: {problem}", flush=True)
        if write:
            print(f"    wrote the executed copy back to {notebook.path}" if result.passed
                  else f"    not written back: {notebook.name} failed", flush=True)
        results.append(result)
    return results
