"""Recording a notebook's results inside the notebook itself.

`record("dev_loss", 2.17)` displays the value for the learner and stores it as a cell
output under its own MIME type, so the runner and the tests read the results back from
the executed .ipynb with `read_metrics`: there is no side file to get out of step.
"""

from __future__ import annotations

import math
from pathlib import Path

import nbformat

METRIC_MIME = "application/vnd.zero-to-hero.metric+json"


def record(name: str, value: float | int, note: str = "") -> None:
    """Show `name = value` and keep it in the notebook as a metric."""
    from IPython.display import display

    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"Metric {name!r} must be a finite number, got {value!r}.")
    value = int(value) if isinstance(value, int) else float(value)
    shown = f"{value:,}" if isinstance(value, int) else f"{value:.4f}"
    text = f"recorded {name} = {shown}" + (f"  ({note})" if note else "")
    display({"text/plain": text, METRIC_MIME: {"name": name, "value": value}}, raw=True)


def read_metrics(notebook: str | Path | nbformat.NotebookNode) -> dict[str, float]:
    """Every metric an executed notebook recorded; a later record of a name wins."""
    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else nbformat.read(
        str(notebook), as_version=4
    )
    found = {}
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            metric = output.get("data", {}).get(METRIC_MIME)
            if metric:
                found[metric["name"]] = metric["value"]
    return found
