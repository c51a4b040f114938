"""The editions in other languages (notebooks/zh/): complete, current translations of the
English notebooks, built by `python -m lecture_utils translate`, and links that lead somewhere.
What every committed notebook must be (executed once, no errors, the lecture's ranges) is
tested for them in test_committed_notebooks.py, and their quick runs in test_notebooks.py."""

import json
import re

import nbformat
import pytest

from lecture_utils.course.catalog import load_course
from lecture_utils.course.paths import NOTEBOOK_DIR
from lecture_utils.course.translation import (
    EDITIONS,
    Edition,
    edition_dir,
    heading_anchor,
    translated_notebooks,
)

COURSE = list(load_course())
TRANSLATED = [(code, name) for code in EDITIONS for name in translated_notebooks(code)]
LINK_INTO_NOTEBOOK = re.compile(r"\]\(([0-9]+_\w+)\.ipynb#([^)\s]+)\)")


@pytest.mark.parametrize("code", EDITIONS)
def test_every_notebook_of_the_course_is_translated(code):
    assert [name for name in COURSE if name not in translated_notebooks(code)] == []


@pytest.mark.parametrize("code, name", TRANSLATED, ids=[f"{c}/{n}" for c, n in TRANSLATED])
def test_the_translation_is_complete_and_current(code, name):
    """No Markdown cell without its translation, none translating an English cell that has
    changed since, no translated code cell whose code is not the English code."""
    assert Edition.load(code, name).problems() == []


@pytest.mark.parametrize("code, name", TRANSLATED, ids=[f"{c}/{n}" for c, n in TRANSLATED])
def test_the_committed_notebook_is_the_build_of_its_translation(code, name):
    built = Edition.load(code, name).build()
    committed = nbformat.read(str(edition_dir(code) / f"{name}.ipynb"), as_version=4)
    assert [(c.id, c.cell_type, c.source) for c in committed.cells] == \
           [(c.id, c.cell_type, c.source) for c in built.cells], \
        f"run `python -m lecture_utils translate --language {code} {name}`, then run the notebook"


def headings(path):
    nb = nbformat.read(str(path), as_version=4)
    return {heading_anchor(line) for cell in nb.cells if cell.cell_type == "markdown"
            for line in cell.source.splitlines() if line.startswith("#")}


@pytest.mark.parametrize("folder", [NOTEBOOK_DIR, *(edition_dir(code) for code in EDITIONS)],
                         ids=["en", *EDITIONS])
def test_links_into_another_notebook_reach_one_of_its_headings(folder):
    broken = []
    for path in sorted(folder.glob("*.ipynb")):
        for cell in nbformat.read(str(path), as_version=4).cells:
            if cell.cell_type != "markdown":
                continue
            for target, anchor in LINK_INTO_NOTEBOOK.findall(cell.source):
                linked = folder / f"{target}.ipynb"
                if not linked.is_file() or anchor not in headings(linked):
                    broken.append(f"{path.name}: {target}.ipynb#{anchor}")
    assert broken == []


@pytest.mark.parametrize("code, name", TRANSLATED, ids=[f"{c}/{n}" for c, n in TRANSLATED])
def test_no_output_warns_of_a_missing_glyph(code, name):
    """A plot's Chinese text drawn without a Chinese font shows boxes and warns "Glyph ...
    missing from font(s)" (CI installs fonts-wqy-microhei)."""
    nb = nbformat.read(str(edition_dir(code) / f"{name}.ipynb"), as_version=4)
    outputs = json.dumps([cell.get("outputs", []) for cell in nb.cells if cell.cell_type == "code"])
    assert "missing from font" not in outputs


GLOSSARY_ROW = re.compile(r"^\| (?!术语 \|)(.+?) \| (.+?) \| (.+?) \| \[(\d+)\]\((\d+_\w+)\.ipynb\) \|$")


def test_the_glossary_names_terms_the_notebooks_use():
    """Each row of notebooks/zh/术语表.md: a term, its English original, a line of explanation,
    and the notebook that introduces it, which uses the term (each of its parts, for a row
    like 训练集 / 验证集 / 测试集)."""
    lines = [line for line in (edition_dir("zh") / "术语表.md").read_text(encoding="utf-8").splitlines()
             if line.startswith("| ") and not line.startswith("| 术语") and not line.startswith("|---")]
    assert len(lines) > 80
    unused = []
    for line in lines:
        row = GLOSSARY_ROW.match(line)
        assert row, f"not a row of four columns ending in a notebook link: {line}"
        term, _, _, number, name = row.groups()
        assert name.startswith(number) and name in COURSE, line
        text = (edition_dir("zh") / f"{name}.ipynb").read_text(encoding="utf-8")
        unused += [f"{part} ({name})" for part in term.split(" / ") if part not in text]
    assert unused == []
