"""The taught modules are generated whole from the notebooks (`python -m lecture_utils sync`),
and sync writes nothing else: each fault it must refuse is tried on temporary notebooks and
a temporary package, never on the real ones."""

import ast
import random
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from lecture_utils.course.catalog import CourseError
from lecture_utils.course.exports import (
    GENERATED_MODULES,
    HEADER,
    ExportError,
    generate,
    is_generated,
    premature_imports,
    sync,
)
from lecture_utils.course.paths import PACKAGE_DIR, REPO_ROOT

# --- The real package ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def generated():
    return generate()


@pytest.mark.parametrize("module", GENERATED_MODULES)
def test_generated_module_is_exactly_what_its_notebooks_generate(module, generated):
    path = REPO_ROOT / module
    if module not in generated:
        assert not path.exists(), f"no notebook saves to {module} any more: delete it"
        pytest.skip(f"no notebook saves to {module} yet")
    assert path.exists(), f"{module} is missing: run `python -m lecture_utils sync`"
    assert path.read_text(encoding="utf-8") == generated[module], (
        f"{module} differs from its notebooks: edit the notebook, then run "
        f"`python -m lecture_utils sync`")


@pytest.mark.parametrize("path", sorted(PACKAGE_DIR.glob("[!_]*.py")), ids=lambda p: p.name)
def test_every_module_is_generated_or_says_it_is_hand_written(path):
    module = path.relative_to(REPO_ROOT).as_posix()
    if is_generated(path):
        assert module in GENERATED_MODULES, f"{module} has the generated header but is not declared"
    else:
        assert module not in GENERATED_MODULES, f"{module} is declared generated but has no header"
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        assert "hand-written" in docstring.lower(), f"{module}'s docstring must say it is hand-written"


def test_notebooks_import_only_what_they_or_earlier_notebooks_saved():
    assert premature_imports() == []


# --- Temporary notebooks and package ------------------------------------------------------


@pytest.fixture
def course(tmp_path):
    """A notebook folder and a package root with an empty lecture_utils/."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "lecture_utils").mkdir()
    return tmp_path


def write_notebook(course, name, *sources):
    """notebooks/<name>.ipynb with a markdown title, then one code cell per source."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}")]
    nb.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nb, str(course / "notebooks" / f"{name}.ipynb"))


def run_sync(course):
    return sync(course / "notebooks", course)


def files(course):
    """Every file under the package root with its content, to show that nothing changed."""
    return {path: path.read_bytes() for path in sorted((course / "lecture_utils").rglob("*"))
            if path.is_file()}


def ruff_problems(modules):
    """ruff's findings (pyproject.toml's rules) on modules given as {name: text}."""
    problems = []
    for name, text in modules.items():
        run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--quiet",
                              "--stdin-filename", f"lecture_utils/{name}.py", "-"],
                             input=text, capture_output=True, text=True, cwd=REPO_ROOT)
        if run.returncode != 0:
            problems.append(f"{name}:\n{text}\n{run.stdout}{run.stderr}")
    return problems


SOFTMAX_CELL = '''# Saved in lecture_utils/softmax.py
import math


def exp_all(xs):
    """e to each x."""
    return [math.exp(x) for x in xs]
'''


def test_sync_writes_the_whole_module(course):
    write_notebook(course, "03_softmax", "import torch\nimport time", SOFTMAX_CELL + '''

# the scale every caller uses
SCALE = 2.0


def as_tensor(xs):
    return torch.tensor(exp_all(xs)) * SCALE
''')
    assert run_sync(course) == ["lecture_utils/softmax.py"]
    text = (course / "lecture_utils/softmax.py").read_text(encoding="utf-8")
    assert text.splitlines()[0] == HEADER
    docstring = ast.get_docstring(ast.parse(text))
    assert docstring.startswith(GENERATED_MODULES["lecture_utils/softmax.py"][:40])
    assert "Generated from notebook 03_softmax" in docstring
    assert "import math\n\nimport torch\n" in text  # what the code uses; not `time`
    provenance = "# Generated from notebook 03_softmax, cell 2; edit the notebook, not this file.\n"
    for start in ("def exp_all", "# the scale", "def as_tensor"):  # comments go with what follows
        assert provenance + start in text
    assert ruff_problems({"softmax": text}) == []
    assert run_sync(course) == []  # a second run changes nothing


def test_imports_come_from_the_notebook_or_another_generated_module(course):
    write_notebook(course, "01_micrograd", "import math as m", '''# Saved in lecture_utils/micrograd.py
class Value:
    def __init__(self, data):
        self.data = m.fsum([data])
''')
    nets = '''# Saved in lecture_utils/micrograd_nn.py
def neuron(rng: random.Random):
    m = 3  # a local: the module needs no import for it
    return Value(rng.uniform(-1, 1) * m)
'''
    write_notebook(course, "02_nets", nets, "import random")
    with pytest.raises(ExportError, match=r"02_nets, cell 1 uses `random`"):
        run_sync(course)  # imported only in a later cell
    write_notebook(course, "02_nets", "import random", nets)
    run_sync(course)
    text = (course / "lecture_utils/micrograd_nn.py").read_text(encoding="utf-8")
    assert '"""\n\nimport random\n\nfrom lecture_utils.micrograd import Value\n\n\n# Generated' in text
    assert "import math as m\n" in (course / "lecture_utils/micrograd.py").read_text(encoding="utf-8")


def test_a_future_import_of_a_saved_cell_is_kept(course):
    write_notebook(course, "03_softmax", "# Saved in lecture_utils/softmax.py\n"
                                         "from __future__ import annotations\n\n\n"
                                         "def identity(x: float) -> float:\n    return x\n")
    run_sync(course)
    text = (course / "lecture_utils/softmax.py").read_text(encoding="utf-8")
    assert '"""\n\nfrom __future__ import annotations\n\n\n# Generated' in text


# Imports a notebook may make, from every section isort knows, with aliases, constants,
# classes and functions, and enough names from one module to need wrapping.
IMPORT_POOL = [
    ("import os", "os"), ("import os.path", "os"), ("import sys as system", "system"),
    ("from collections import Counter", "Counter"), ("from collections import defaultdict", "defaultdict"),
    ("from collections import OrderedDict as OD", "OD"), ("from math import pi as PI", "PI"),
    ("from typing import TYPE_CHECKING", "TYPE_CHECKING"), ("from typing import Any", "Any"),
    ("from dataclasses import dataclass", "dataclass"), ("from dataclasses import asdict", "asdict"),
    ("import torch", "torch"), ("import torch.nn as nn", "nn"),
    ("from torch.nn import functional as F", "F"), ("from torch import Tensor", "Tensor"),
    ("import numpy as np", "np"), ("from tqdm.auto import tqdm", "tqdm"),
    ("from tqdm.auto import trange", "trange"), ("import matplotlib.pyplot as plt", "plt"),
    ("from IPython.display import Markdown", "Markdown"), ("from IPython.display import display", "display"),
    ("import lecture_utils", "lecture_utils"), ("from lecture_utils.chars import get_batch", "get_batch"),
    ("from lecture_utils.chars import CharTokenizer", "CharTokenizer"),
    ("from lecture_utils.course.paths import REPO_ROOT", "REPO_ROOT"),
] + [(f"from torch.nn.functional import {name}", name) for name in
     ("cross_entropy", "log_softmax", "one_hot", "scaled_dot_product_attention", "softmax", "tanh",
      "layer_norm", "dropout", "embedding", "gelu")]


def test_generated_imports_pass_ruff_whatever_the_notebook_imports(course):
    rng = random.Random(0)
    modules = {}
    for trial in range(12):
        chosen = rng.sample(IMPORT_POOL, rng.randint(1, len(IMPORT_POOL)))
        imports = "\n".join(line for line, _ in reversed(chosen))
        uses = "".join(f"        {name},\n" for _, name in chosen)
        write_notebook(course, "07_pool", imports, f"# Saved in lecture_utils/chars.py\n"
                                                    f"def uses():\n    return [\n{uses}    ]\n")
        modules[f"chars_{trial}"] = generate(course / "notebooks")["lecture_utils/chars.py"]
    assert ruff_problems(modules) == []


@pytest.mark.parametrize("target", [
    "lecture_utils/course/data.py",  # course machinery
    "lecture_utils/attention.py",  # a hand-written module
    "lecture_utils/widgets/softmax.py",
    "lecture_utils/new_module.py",  # not declared
    "lecture_utils/../setup.py",
    "lecture_utils/softmax",  # a typo
    "",
])
def test_sync_refuses_a_cell_saved_to_a_module_that_is_not_generated(course, target):
    for path in ("course/data.py", "attention.py", "widgets/softmax.py"):
        (course / "lecture_utils" / path).parent.mkdir(exist_ok=True)
        (course / "lecture_utils" / path).write_text('"""Hand-written."""\n', encoding="utf-8")
    write_notebook(course, "03_softmax", SOFTMAX_CELL, f"# Saved in {target}\ndef helper():\n    pass\n")
    before = files(course)
    with pytest.raises(ExportError, match=r"notebook 03_softmax, cell 2 is marked .* is not a "
                                          r"generated module") as error:
        run_sync(course)
    assert isinstance(error.value, CourseError)  # the command line turns it into a message
    assert files(course) == before  # softmax.py, which was fine, is not written either


@pytest.mark.parametrize("content", ['"""Hand-written."""\n', "", "\n" + HEADER + "\n",
                                     HEADER.upper() + "\n"])
def test_sync_refuses_to_replace_a_file_it_did_not_write(course, content):
    (course / "lecture_utils/names.py").write_text(content, encoding="utf-8")
    write_notebook(course, "02_names", "# Saved in lecture_utils/names.py\nVOCAB = 27\n", SOFTMAX_CELL)
    with pytest.raises(ExportError, match="lecture_utils/names.py exists and was not written by sync"):
        run_sync(course)
    assert files(course) == {course / "lecture_utils/names.py": content.encode()}


@pytest.mark.parametrize("source", [
    "def f(:\n    pass",
    "def f():\nreturn 1",
    "x = (1 +",
    "def f():\n    nonlocal x",  # only the compiler finds this one
    "%timeit f()",  # IPython syntax does not belong in the package
])
def test_a_syntax_error_names_the_notebook_and_cell(course, source):
    write_notebook(course, "05_layers", "import torch", f"# Saved in lecture_utils/layers.py\n{source}\n")
    with pytest.raises(ExportError, match=r"notebook 05_layers, cell 2 cannot be saved: syntax error"):
        run_sync(course)


@pytest.mark.parametrize("statement", ["print('hello')", "for i in range(3):\n    pass",
                                       "if True:\n    X = 1", "del x", "x += 1"])
def test_a_saved_cell_holds_only_imports_and_definitions(course, statement):
    write_notebook(course, "05_layers", f"# Saved in lecture_utils/layers.py\nX = 0\n{statement}\n")
    with pytest.raises(ExportError, match=r"notebook 05_layers, cell 1 may hold only imports and defin"):
        run_sync(course)


def test_a_name_saved_twice_to_one_module_is_refused(course):
    write_notebook(course, "05_layers", "# Saved in lecture_utils/layers.py\nclass Linear:\n    pass\n")
    write_notebook(course, "06_more", "# Saved in lecture_utils/layers.py\nTanh = Linear = None\n")
    with pytest.raises(ExportError, match=r"Linear is saved to lecture_utils/layers.py twice: by "
                                          r"notebook 05_layers, cell 1 and by notebook 06_more, cell 1"):
        run_sync(course)


@pytest.mark.parametrize("use", ["stoi[ch]", "helper()", "torch.zeros(1)", "Later()"])
def test_a_name_the_module_would_not_have_is_refused(course, use):
    write_notebook(course, "04_mlp",
                   "stoi = {'a': 1}\n\ndef helper():\n    pass",  # notebook globals, not saved
                   f"# Saved in lecture_utils/names.py\ndef encode(ch):\n    return {use}\n")
    write_notebook(course, "05_later", "# Saved in lecture_utils/layers.py\nclass Later:\n    pass\n")
    with pytest.raises(ExportError, match=r"notebook 04_mlp, cell 2 uses `\w+`, which neither"):
        run_sync(course)


def test_a_declared_module_no_notebook_saves_to_is_skipped(course):
    write_notebook(course, "03_softmax", SOFTMAX_CELL)
    assert run_sync(course) == ["lecture_utils/softmax.py"]
    assert sorted(files(course)) == [course / "lecture_utils/softmax.py"]


def test_premature_imports_are_found(course):
    write_notebook(course, "02_counts", "# Saved in lecture_utils/names.py\ndef build_vocab(w):\n    pass\n")
    write_notebook(course, "03_neural",
                   "from lecture_utils.names import build_dataset, build_vocab",
                   "def f():\n    from lecture_utils.layers import Linear",
                   "from lecture_utils.course.data import load_words",  # not a generated module
                   "from lecture_utils.names import sample_name")
    write_notebook(course, "04_mlp", "# Saved in lecture_utils/names.py\ndef build_dataset(w):\n    pass\n",
                   "from lecture_utils.names import build_dataset")
    assert premature_imports(course / "notebooks") == [
        "notebook 03_neural, cell 1 imports build_dataset from lecture_utils.names, which 04_mlp saves",
        "notebook 03_neural, cell 2 imports Linear from lecture_utils.layers, which no notebook saves",
        "notebook 03_neural, cell 4 imports sample_name from lecture_utils.names, which no notebook saves",
    ]


def test_sync_writes_with_write_atomically(course, monkeypatch):
    """A failure while writing leaves the old module whole (files.write_atomically)."""
    write_notebook(course, "03_softmax", SOFTMAX_CELL)
    run_sync(course)
    before = files(course)
    write_notebook(course, "03_softmax", SOFTMAX_CELL.replace("e to each x", "exp of each x"))

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        run_sync(course)
    assert files(course) == before
    assert not list(Path(course / "lecture_utils").glob(".*.tmp"))
