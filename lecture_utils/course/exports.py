"""Keeping the package's copy of taught code identical to the notebook that teaches it.

A notebook cell whose first line is `# Saved in lecture_utils/<module>.py` holds code that
later notebooks import from the package. The notebook is the source of truth:

    python -m lecture_utils sync     # rewrite those modules from the notebooks

keeps each module's own header (docstring and imports) and replaces its definitions with
the notebook's, in notebook order. tests/test_exports.py fails when the two differ.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from .paths import NOTEBOOK_DIR, REPO_ROOT

MARKER = re.compile(r"^# Saved in (lecture_utils/[\w/]+\.py)")


def _definitions(source: str, where: str) -> list[tuple[str, str]]:
    """(name, source) of each top-level def, class or assignment; imports are skipped."""
    tree = ast.parse(source)
    found = []
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            continue
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            name = node.name
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            name = ast.unparse(target)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and not found:
            continue  # a module docstring
        else:
            raise ValueError(f"{where}: only imports and definitions may be saved to the "
                             f"package, found `{ast.unparse(node)[:60]}`")
        start = node.decorator_list[0].lineno if getattr(node, "decorator_list", None) else node.lineno
        lines = source.splitlines()[start - 1:node.end_lineno]
        found.append((name, "\n".join(lines)))
    return found


def notebook_exports(notebook_dir: Path = NOTEBOOK_DIR) -> dict[str, list[tuple[str, str]]]:
    """For each module path, the definitions the notebooks save to it, in course order."""
    exports: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(notebook_dir.glob("*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        for index, cell in enumerate(nb.cells):
            match = MARKER.match(cell.source) if cell.cell_type == "code" else None
            if match:
                where = f"{path.name} cell {index}"
                exports.setdefault(match.group(1), []).extend(_definitions(cell.source, where))
    return exports


def module_definitions(module: str) -> list[tuple[str, str]]:
    path = REPO_ROOT / module
    return _definitions(path.read_text(encoding="utf-8"), module)


def sync(notebook_dir: Path = NOTEBOOK_DIR) -> list[str]:
    """Rewrite every saved-to module from its notebooks; returns the modules changed."""
    changed = []
    for module, definitions in notebook_exports(notebook_dir).items():
        path = REPO_ROOT / module
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        tree = ast.parse(old)
        first_def = next((node for node in tree.body
                          if not isinstance(node, ast.Import | ast.ImportFrom | ast.Expr)), None)
        if first_def is None:
            header_lines = old.splitlines()
        else:
            start = min([first_def.lineno] + [d.lineno for d in getattr(first_def, "decorator_list", [])])
            header_lines = old.splitlines()[: start - 1]
        header = "\n".join(header_lines).rstrip()
        body = "\n\n\n".join(source for _, source in definitions)
        new = (header + "\n\n\n" if header else "") + body + "\n"
        if new != old:
            path.write_text(new, encoding="utf-8")
            changed.append(module)
    return changed
