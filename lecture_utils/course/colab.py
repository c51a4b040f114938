"""The first cell of every notebook, and the Colab links to each notebook.

On Colab nothing of the course is installed, so the first cell cannot import this
package: it carries its own few lines, and tests check that every notebook's first cell is
exactly SETUP_CELL. Colab already ships torch, matplotlib, ipywidgets and scikit-learn, so
the cell installs only the course package (no dependencies: Colab's torch stays, rather
than a multi-GB reinstall of the pinned one) and fetches both data sets.
"""

REPOSITORY = "https://github.com/zero-to-hero-notebooks/course"
# The release whose package the notebooks need: "v" + the version in pyproject.toml (a test
# checks). CONTRIBUTING.md says when to bump it and when to push the tag.
PACKAGE_REF = "v0.5.1"
# Installs another package instead (a wheel, a fork): CI's Colab test points it at a wheel.
SOURCE_VARIABLE = "LECTURE_UTILS_SOURCE"
# The language of the widgets' labels and messages, which the setup cell sets: "en" in the
# English notebooks, "zh" in notebooks/zh/ (a string, so the translated cell differs only there).
LANGUAGE_VARIABLE = "LECTURE_LANGUAGE"

SETUP_CELL = f"""\
# Setup for Google Colab: install the course's helper package and fetch the data sets.
# Anywhere else it only sets the widgets' language (`pip install -e .` already made
# lecture_utils importable).
import os
import subprocess
import sys

os.environ["{LANGUAGE_VARIABLE}"] = "en"  # the language of the widgets' labels and messages

if "google.colab" in sys.modules:
    source = os.environ.get("{SOURCE_VARIABLE}", "git+{REPOSITORY}@{PACKAGE_REF}")
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", source]
    installed = subprocess.run(pip, capture_output=True, text=True)
    if installed.returncode != 0:
        print(installed.stderr[-2000:])
        raise SystemExit(f"Installing the course package from {{source}} failed (pip's message is "
                         "above). Check the internet connection, then run this cell again.")
    try:
        from lecture_utils.course.data import data_path

        for dataset in ("names", "shakespeare"):
            data_path(dataset)
    except Exception as exc:  # the message says what to do; a traceback would bury it
        raise SystemExit(f"{{type(exc).__name__}}: {{exc}}") from None"""


def colab_url(notebook_name: str) -> str:
    """The address that opens `notebooks/<notebook_name>.ipynb` from GitHub in Colab."""
    repo = REPOSITORY.removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{repo}/blob/main/notebooks/{notebook_name}.ipynb"


def colab_badge(notebook_name: str) -> str:
    """The README's Markdown badge for one notebook."""
    image = "https://colab.research.google.com/assets/colab-badge.svg"
    return f"[![Open In Colab]({image})]({colab_url(notebook_name)})"
