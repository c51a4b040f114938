"""The committed notebooks: what a learner opens must come from one real full-profile run
made by the runner, start with the Colab setup cell, and show no machine paths."""

import json
import re
from dataclasses import replace

import nbformat
import pytest

from lecture_utils.course.catalog import load_course
from lecture_utils.course.colab import LANGUAGE_VARIABLE, SETUP_CELL
from lecture_utils.course.metrics import read_metrics
from lecture_utils.course.paths import NOTEBOOK_DIR
from lecture_utils.course.runner import check_metrics
from lecture_utils.course.translation import (
    EDITIONS,
    LINK_TO_HEADING,
    code_shape,
    edition_dir,
    heading_anchor,
    translated_notebooks,
)

COURSE = list(load_course().values())
# Every committed notebook: the English ones, and those of each edition in another language.
NOTEBOOKS = [("en", nb) for nb in COURSE] + [
    (code, replace(nb, path=edition_dir(code) / nb.path.name))
    for code in EDITIONS for nb in COURSE if nb.name in translated_notebooks(code)]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
MACHINE_PATH = re.compile(r"/(root|tmp|home|work|Users)/|site-packages|\\Users\\")


def test_the_course_and_the_notebooks_folder_agree():
    missing = [str(nb.path) for nb in COURSE if not nb.path.is_file()]
    assert missing == [], "course.toml names notebooks that are missing"
    unnamed = sorted({path.stem for path in NOTEBOOK_DIR.glob("*.ipynb")} - {nb.name for nb in COURSE})
    assert unnamed == [], "notebooks/ holds notebooks that course.toml does not name"


@pytest.fixture(params=NOTEBOOKS, ids=[nb.name if code == "en" else f"{code}/{nb.name}"
                                       for code, nb in NOTEBOOKS])
def committed(request):
    _, notebook = request.param
    return notebook, nbformat.read(str(notebook.path), as_version=4)


def language_of(notebook):
    return "en" if notebook.path.parent == NOTEBOOK_DIR else notebook.path.parent.name


def test_the_first_cell_is_the_colab_setup_cell(committed):
    notebook, nb = committed
    if language_of(notebook) == "en":
        assert nb.cells[0].source == SETUP_CELL
    else:  # its translation: the same code, setting the notebook's language
        assert code_shape(nb.cells[0].source) == code_shape(SETUP_CELL)
        assert f'os.environ["{LANGUAGE_VARIABLE}"] = "{language_of(notebook)}"' in nb.cells[0].source


def test_it_was_executed_once_from_top_to_bottom(committed):
    _, nb = committed
    counts = [cell.execution_count for cell in nb.cells if cell.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1))


def test_it_holds_no_error_outputs(committed):
    _, nb = committed
    errors = [(i, out.ename) for i, cell in enumerate(nb.cells)
              for out in cell.get("outputs", []) if out.output_type == "error"]
    assert errors == []


def test_no_output_shows_a_machine_path(committed):
    _, nb = committed
    leaks = [i for i, cell in enumerate(nb.cells)
             for out in cell.get("outputs", []) if MACHINE_PATH.search(json.dumps(out))]
    assert leaks == [], f"cells {leaks} show a machine path"


def test_papermill_run_metadata_was_removed(committed):
    _, nb = committed
    assert "papermill" not in nb.metadata
    assert not [cell for cell in nb.cells if "papermill" in cell.metadata]
    assert nb.metadata.kernelspec.name == "python3"


def test_the_committed_outputs_reach_the_lecture_ranges(committed):
    notebook, nb = committed
    checks = check_metrics(notebook, "full", read_metrics(nb))
    failures = [(c.metric, c.value, c.expected) for c in checks if not c.passed]
    assert failures == [], "committed outputs must come from a passing full-profile run"


def test_every_code_cell_is_introduced_by_prose(committed):
    _, nb = committed
    lonely = [i for i, (before, cell) in enumerate(zip(nb.cells, nb.cells[1:]), 1)
              if cell.cell_type == "code" and before.cell_type == "code" and i > 2]
    assert len(lonely) <= len(nb.cells) // 10, f"code cells {lonely} follow code without a word"


def test_progress_bars_show_their_finished_state(committed):
    _, nb = committed
    bars = [out.data["text/plain"] for cell in nb.cells for out in cell.get("outputs", [])
            if "application/vnd.jupyter.widget-view+json" in out.get("data", {})
            and "it/s]" in out.data["text/plain"]]
    stale = [bar for bar in bars if "?it/s]" in bar]
    assert stale == [], "write back with the runner so bars show their final state"


def test_every_explorer_is_followed_by_a_picture_of_it(committed):
    """A reader without a kernel (GitHub, nbviewer) sees an explorer as one line of text; the
    next code cell shows its first state as plain HTML or images (`snapshot()`)."""
    _, nb = committed
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    for i, cell in enumerate(code):
        explorer = [out for out in cell.get("outputs", []) if WIDGET_VIEW in out.get("data", {})
                    and "run the notebook to use it" in out["data"].get("text/plain", "")]
        if not explorer:
            continue
        following = code[i + 1] if i + 1 < len(code) else None
        pictures = [out for out in (following.get("outputs", []) if following else [])
                    if {"text/html", "image/png"} & set(out.get("data", {}))
                    and WIDGET_VIEW not in out.get("data", {})]
        assert pictures, f"the explorer of cell {cell.execution_count} has no picture after it"


PRECISE = re.compile(r"(?<![\w.])-?\d+\.\d{3,}(?!\d)")  # 3 or more decimals: a measured figure
OUTPUT_NUMBER = re.compile(r"-?\d+\.\d+(?:e-?\d+)?")
# Precise numbers the prose may state without an output showing them, and why.
NOT_FROM_OUTPUTS = {
    ("01_micrograd", "6.8813735870195432"): "the lecture's bias, quoted as the lecture's",
    ("02_bigram_counts", "0.037"): "1/27, worked out in the sentence",
    ("02_bigram_counts", "3.2958"): "-log(1/27), worked out in the sentence",
    ("02_bigram_counts", "2.476470470428467"): "the lecture notebook's saved output, quoted",
    ("02_bigram_counts", "-564996.8125"): "the lecture notebook's saved output, quoted",
    ("03_neural_bigram", "0.037"): "1/27, worked out in the sentence",
    ("03_neural_bigram", "3.2958"): "-ln(1/27), worked out in the sentence",
    ("04_mlp", "0.001"): "a learning rate, a setting",
    ("05_batchnorm", "0.001"): "the lecture's BatchNorm momentum, a setting",
    ("07_wavenet", "1.994"): "the lecture's final val loss, said as the lecture's",
    ("09_gpt", "1.886"): "nanoGPT's CPU recipe measured on the course's machine, said as such",
    ("09_gpt", "1.6029"): "scripts/benchmark_gpt.py in float32 on the same machine, said as such",
    ("09_gpt", "1.5980"): "the same run with oneDNN's AVX-512 kernels (benchmark_gpt.py), said as such",
    ("09_gpt", "0.0074"): "1.6054 - 1.5980, worked out in the sentence",
    ("09_gpt", "0.999"): "AdamW's default beta2, a setting",
    ("10_tokenizer", "0.99995"): "sentencepiece's character_coverage setting, quoted from the code",
}


def test_every_precise_number_in_the_prose_comes_from_an_output(committed):
    """A figure with 3 or more decimals in a Markdown cell is some output's number (rounded as
    the prose rounds it), or a quoted fact listed in NOT_FROM_OUTPUTS with its reason."""
    notebook, nb = committed
    printed = json.dumps([cell.get("outputs", []) for cell in nb.cells if cell.cell_type == "code"])
    values = {float(number) for number in OUTPUT_NUMBER.findall(printed)}
    unsupported = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for number in PRECISE.findall(cell.source):
            decimals = len(number.partition(".")[2])
            if (notebook.name, number) not in NOT_FROM_OUTPUTS and not any(
                    round(value, decimals) == float(number) for value in values):
                unsupported.append(f"cell {i}: {number}")
    assert unsupported == [], "prose states figures no output shows"


CHANGES_TITLE = {"en": "> **What changed since the video**", "zh": "> **与视频相比的改动**"}


def test_a_box_at_the_top_says_what_changed_since_the_video(committed):
    """Right after the title, a quoted box lists what the notebook corrects or adds to the
    lecture; each item links to the heading of the section where it happens."""
    notebook, nb = committed
    title = CHANGES_TITLE[language_of(notebook)]
    box = nb.cells[2]
    assert box.cell_type == "markdown" and box.source.startswith(title), \
        f"cell 2 must start with {title!r}"
    items = [line for line in box.source.splitlines() if line.startswith("> - ")]
    assert items, "the box lists its changes as '> - ' items"
    anchors = {heading_anchor(line) for cell in nb.cells if cell.cell_type == "markdown"
               for line in cell.source.splitlines() if line.startswith("#")}
    for item in items:
        links = LINK_TO_HEADING.findall(item)
        assert links, f"this item points to no section: {item}"
        assert set(links) <= anchors, f"no heading has the anchor {set(links) - anchors}"
