"""Where things are: the one place that knows the layout of a checkout.

The package runs from a checkout (`pip install -e .`) or from site-packages (Colab's
`pip install --no-deps`); only a checkout has notebooks/, runs/ and data/ beside it.
"""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = PACKAGE_DIR.parent
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
SOLUTIONS_DIR = REPO_ROOT / "solutions"
RUNS_DIR = REPO_ROOT / "runs"
CHECKOUT_DATA_DIR = REPO_ROOT / "data"
CHECKPOINT_DIR = REPO_ROOT / "checkpoints"


def in_checkout() -> bool:
    """True when the package runs from a clone of the repository, False when installed."""
    return (REPO_ROOT / "pyproject.toml").is_file() and NOTEBOOK_DIR.is_dir()
