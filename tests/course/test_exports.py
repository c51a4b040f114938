"""Code a notebook teaches and the package keeps must be the same code (the notebook is
the source of truth: `python -m lecture_utils sync` updates the package)."""

import pytest

from lecture_utils.course.catalog import NOTEBOOK_DIR
from lecture_utils.course.exports import module_definitions, notebook_exports

EXPORTS = notebook_exports()


@pytest.mark.parametrize("module", sorted(EXPORTS))
def test_package_module_matches_its_notebooks(module):
    in_notebooks = dict(EXPORTS[module])
    in_package = dict(module_definitions(module))
    assert len(in_notebooks) == len(EXPORTS[module]), "a definition is saved twice"
    assert sorted(in_package) == sorted(in_notebooks), "run `python -m lecture_utils sync`"
    for name, source in in_notebooks.items():
        assert in_package[name] == source, f"{module}: {name} differs from its notebook"


TAUGHT_IN = {
    "lecture_utils/micrograd.py": "01_micrograd",
    "lecture_utils/micrograd_nn.py": "01_micrograd",
    "lecture_utils/names.py": "02_bigram_counts",
    "lecture_utils/layers.py": "05_batchnorm",
    "lecture_utils/chars.py": "07_attention",
    "lecture_utils/gpt.py": "08_gpt",
}


@pytest.mark.parametrize("module, notebook", sorted(TAUGHT_IN.items()))
def test_every_taught_module_is_saved_from_its_notebook(module, notebook):
    if not (NOTEBOOK_DIR / f"{notebook}.ipynb").exists():
        pytest.skip(f"{notebook} is not written yet")
    assert module in EXPORTS, f"no cell of the notebooks is `# Saved in {module}`"
