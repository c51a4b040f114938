"""The first cell of every notebook, and the Colab links to each notebook.

On Colab nothing of the course is installed, so the first cell cannot import this
package: it carries its own few lines, and tests check that every notebook's first cell is
exactly SETUP_CELL. Colab already ships torch, matplotlib, ipywidgets and scikit-learn, so
the cell installs only the course package (no dependencies: Colab's torch stays, rather
than a multi-GB reinstall of the pinned one) and fetches both data sets.
"""

REPOSITORY = "https://github.com/zero-to-hero-notebooks/course"

SETUP_CELL = f"""\
# Setup for Google Colab: install the course's helper package and fetch the data sets.
# Anywhere else this cell does nothing (`pip install -e .` already made lecture_utils importable).
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "git+{REPOSITORY}"],
        check=True,
    )
    from lecture_utils.course.data import data_path

    for dataset in ("names", "shakespeare"):
        data_path(dataset)"""


def colab_url(notebook_name: str) -> str:
    """The address that opens `notebooks/<notebook_name>.ipynb` from GitHub in Colab."""
    repo = REPOSITORY.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{repo}/blob/main/notebooks/{notebook_name}.ipynb"


def colab_badge(notebook_name: str) -> str:
    """The README's Markdown badge for one notebook."""
    image = "https://colab.research.google.com/assets/colab-badge.svg"
    return f"[![Open In Colab]({image})]({colab_url(notebook_name)})"
