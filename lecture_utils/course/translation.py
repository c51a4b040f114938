"""Editions of the course in other languages, built from the English notebooks.

The English notebooks are the source of truth. A translation file per notebook,
translations/<language>/<NN_name>.toml, holds the translated text of its cells, each under
the cell's id with a hash of the English source it translates:

    [cells.e0075f62]
    source = "3f2a9c1b7e44"  # source_hash() of the English cell
    text = '''
    ## 带检查点的训练
    ...'''

translations/<language>/common.toml holds the translations every notebook shares (the
setup cell), each under a name of its own, [shared.setup_cell], and used for any cell whose
English source has its hash. `python -m lecture_utils translate`
builds notebooks/<language>/<NN_name>.ipynb from the two: every Markdown cell translated,
code cells translated where they have an entry (their comments and strings; the code itself
must stay the same), the rest copied. A built notebook is then executed like an English one
(`python -m lecture_utils run --language zh --profile full --write-back`).

A translation goes stale when its English cell changes: the build refuses it, listing every
cell to look at again, and so do the tests.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .catalog import CourseError, read_toml
from .colab import LANGUAGE_VARIABLE
from .files import write_atomically
from .language import LANGUAGES
from .paths import NOTEBOOK_DIR, REPO_ROOT

EDITIONS = {code: name for code, name in LANGUAGES.items() if code != "en"}  # built from English
TRANSLATIONS_DIR = REPO_ROOT / "translations"
COMMON_FILE = "common.toml"  # the cells every notebook shares

# Comments the tools read: they stay exactly as in English.
DIRECTIVE = re.compile(r"^# (NBVAL_[A-Z_]+|Saved in \S+)\s*$", re.MULTILINE)
HAN = re.compile(r"[\u4e00-\u9fff]")
# What needs no translation in Markdown: code, math, links' targets, HTML tags.
LINK_TO_HEADING = re.compile(r"\]\(#([^)\s]+)\)")
UNTRANSLATED_MARKDOWN = re.compile(
    r"```.*?```|`[^`]*`|\$\$.*?\$\$|\$[^$]*\$|\]\([^)]*\)|<[^>]*>|https?://\S+", re.DOTALL)


class TranslationError(CourseError):
    """A translation file that cannot be used; the message says what to fix."""


def source_hash(source: str) -> str:
    """The hash a translation records of the English text it translates."""
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def edition_dir(language: str) -> Path:
    """notebooks/<language>/: where the built notebooks of an edition live."""
    return NOTEBOOK_DIR / language


def translation_dir(language: str) -> Path:
    return TRANSLATIONS_DIR / language


def check_language(language: str) -> str:
    if language not in EDITIONS:
        raise CourseError(f"Unknown language {language!r}: the course has English and "
                          + ", ".join(f"{code} ({name})" for code, name in EDITIONS.items()) + ".")
    return language


@dataclass(frozen=True)
class Translation:
    source: str  # source_hash of the English it translates
    text: str


def _entries(table, where: str) -> dict[str, Translation]:
    if not isinstance(table, dict):
        raise TranslationError(f"{where}: expected tables of `source` and `text`.")
    entries = {}
    for key, entry in table.items():
        if (not isinstance(entry, dict) or set(entry) != {"source", "text"}
                or not all(isinstance(entry[k], str) for k in entry)):
            raise TranslationError(f"{where}, {key}: needs exactly `source` (the English "
                                   "cell's hash) and `text` (its translation), both strings.")
        entries[key] = Translation(entry["source"], entry["text"])
    return entries


def read_file(path: Path, table: str) -> dict[str, Translation]:
    """The entries of one translation file: `cells` (by cell id) or `shared` (by hash)."""
    content = read_toml(path, "the translation file", TranslationError)
    if set(content) - {table}:
        raise TranslationError(f"{path}: holds {', '.join(sorted(set(content) - {table}))}; "
                               f"a translation file has only [{table}.<key>] tables.")
    return _entries(content.get(table, {}), path.name)


def translated_notebooks(language: str) -> list[str]:
    """The names of the notebooks that have a translation file in this language."""
    return sorted(path.stem for path in translation_dir(language).glob("*.toml")
                  if path.name != COMMON_FILE)


def code_shape(source: str) -> str:
    """The code of a cell without its comments and the text of its strings: what must stay the
    same when a cell is translated. f-strings keep their expressions, in any order (another
    language may need another word order)."""
    from IPython.core.inputtransformer2 import TransformerManager

    tree = ast.parse(TransformerManager().transform_cell(source))
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            node.values = sorted((v for v in node.values if isinstance(v, ast.FormattedValue)),
                                 key=ast.dump)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            node.value = ""
    return ast.dump(tree)


def heading_anchor(heading: str) -> str:
    """The id JupyterLab gives a Markdown heading: its rendered text (no backticks or
    emphasis marks) with spaces turned into hyphens."""
    text = re.sub(r"[`*]", "", heading.strip().lstrip("#").strip())
    return text.replace(" ", "-")


def broken_heading_links(markdown_cells: list[str]) -> list[str]:
    """The `](#anchor)` links of these Markdown cells that no heading among them has."""
    anchors = {heading_anchor(line) for text in markdown_cells for line in text.splitlines()
               if line.startswith("#")}
    return [link for text in markdown_cells for link in LINK_TO_HEADING.findall(text)
            if link not in anchors]


def needs_translation(markdown: str) -> bool:
    """Whether Markdown has words to translate (and not only code, math and links)."""
    return bool(re.search(r"[A-Za-z]{2,}", UNTRANSLATED_MARKDOWN.sub("", markdown)))


def _code_problem(english: str, translated: str) -> str | None:
    if translated == english:
        return "its translation is the English code unchanged: remove the entry"
    if DIRECTIVE.findall(translated) != DIRECTIVE.findall(english):
        return ("the translation changes a comment the tools read (# NBVAL_..., # Saved in ...): "
                "keep those lines in English")
    try:
        same = code_shape(translated) == code_shape(english)
    except SyntaxError as exc:
        return f"the translated code is not valid Python (line {exc.lineno}: {exc.msg})"
    if not same:
        return "the translated code differs from the English beyond comments and strings"
    return None


@dataclass
class Edition:
    """One notebook's translations in one language, checked against its English notebook."""

    language: str
    name: str
    english: nbformat.NotebookNode
    cells: dict[str, Translation]
    shared: dict[str, Translation]

    @classmethod
    def load(cls, language: str, name: str) -> Edition:
        english_path = NOTEBOOK_DIR / f"{name}.ipynb"
        if not english_path.is_file():
            raise TranslationError(f"translations/{language}/{name}.toml translates {english_path.name}, "
                                   "which notebooks/ does not have: rename or remove the file.")
        common = translation_dir(language) / COMMON_FILE
        return cls(language, name, nbformat.read(str(english_path), as_version=4),
                   read_file(translation_dir(language) / f"{name}.toml", "cells"),
                   read_file(common, "shared") if common.is_file() else {})

    def translation_of(self, cell) -> Translation | None:
        shared = {translation.source: translation for translation in self.shared.values()}
        return self.cells.get(cell.id) or shared.get(source_hash(cell.source))

    def problems(self) -> list[str]:
        """Everything that stops this notebook's translation from being built: Markdown
        without a translation, translations of changed or missing cells, translated code
        that is not the English code."""
        found = []
        ids = {cell.id for cell in self.english.cells}
        for key in sorted(set(self.cells) - ids):
            found.append(f"cell {key}: the English notebook has no such cell (any more); "
                         "remove its translation")
        for index, cell in enumerate(self.english.cells):
            where = f"cell {cell.id} (#{index}, {cell.cell_type}: {_first_line(cell.source)!r})"
            translation = self.translation_of(cell)
            if translation is None:
                if cell.cell_type == "markdown" and needs_translation(cell.source):
                    found.append(f"{where}: no translation")
                elif index == 0:
                    found.append(f"{where}: no translation of this setup cell in {COMMON_FILE} "
                                 f"(an entry with source = \"{source_hash(cell.source)}\")")
                continue
            if translation.source != source_hash(cell.source):
                found.append(f"{where}: stale, the English changed since it was translated "
                             f"(translated {translation.source}, now {source_hash(cell.source)})")
            elif cell.cell_type == "markdown":
                if needs_translation(cell.source) and not HAN.search(translation.text):
                    found.append(f"{where}: the translation holds no Chinese")
            elif problem := _code_problem(cell.source, translation.text):
                found.append(f"{where}: {problem}")
        markdown = [translation.text if (translation := self.translation_of(cell)) else cell.source
                    for cell in self.english.cells if cell.cell_type == "markdown"]
        for link in broken_heading_links(markdown):
            found.append(f"link to #{link}: no heading of the translated notebook has that anchor "
                         "(a heading's anchor is its text, without backticks and *, with spaces "
                         "turned into hyphens: link to the translated heading)")
        setup = self.translation_of(self.english.cells[0])
        wanted = f'os.environ["{LANGUAGE_VARIABLE}"] = "{self.language}"'
        if setup is not None and wanted not in setup.text:
            found.append(f"the setup cell's translation must set the widgets' language: {wanted}")
        return found

    def build(self) -> nbformat.NotebookNode:
        """The notebook in this language, without outputs; TranslationError listing every
        problem when there is one."""
        problems = self.problems()
        if problems:
            raise TranslationError(
                f"translations/{self.language}/{self.name}.toml cannot be built, "
                f"{len(problems)} problem(s):\n  " + "\n  ".join(problems))
        nb = copy.deepcopy(self.english)
        for cell in nb.cells:
            translation = self.translation_of(cell)
            if translation is not None:
                cell.source = translation.text
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        return nb


def _first_line(text: str, width: int = 50) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= width else line[:width - 3] + "..."


def same_code(a: nbformat.NotebookNode, b: nbformat.NotebookNode) -> bool:
    """Whether two notebooks have the same cells with the same code (their Markdown aside)."""
    return [(c.id, c.cell_type, c.source if c.cell_type == "code" else "") for c in a.cells] == \
           [(c.id, c.cell_type, c.source if c.cell_type == "code" else "") for c in b.cells]


def _without_empty_tags(metadata: dict) -> dict:
    return {key: value for key, value in metadata.items() if key != "tags" or value}


def build_edition(language: str, names: list[str] | None = None) -> list[str]:
    """Build notebooks/<language>/ from the translation files (all, or those of `names`).
    A notebook whose code is unchanged keeps the outputs of its last run (only its Markdown
    is replaced); one whose code changed loses them and needs a run. Returns one line per
    notebook saying what happened; TranslationError, before writing anything, when a
    translation has problems."""
    names = names or translated_notebooks(check_language(language))
    if not names:
        raise TranslationError(f"translations/{language}/ holds no translation file.")
    builds, problems = {}, []
    for name in names:
        try:
            builds[name] = Edition.load(language, name).build()
        except TranslationError as exc:
            problems.append(str(exc))
    if problems:
        raise TranslationError("\n".join(problems))
    edition_dir(language).mkdir(parents=True, exist_ok=True)
    report = []
    for name, built in builds.items():
        path = edition_dir(language) / f"{name}.ipynb"
        old = nbformat.read(str(path), as_version=4) if path.is_file() else None
        if old is not None and same_code(old, built):
            for new_cell, old_cell in zip(built.cells, old.cells, strict=True):
                if new_cell.cell_type == "code":
                    new_cell.outputs, new_cell.execution_count = old_cell.outputs, old_cell.execution_count
                if _without_empty_tags(old_cell.metadata) == _without_empty_tags(new_cell.metadata):
                    new_cell.metadata = old_cell.metadata  # papermill adds an empty tags list
            built.metadata = old.metadata
            state = "up to date" if nbformat.writes(built) == nbformat.writes(old) else "Markdown updated"
        else:
            state = ("built, needs a run: python -m lecture_utils run --language "
                     f"{language} --profile full --write-back {name}")
        write_atomically(path, nbformat.writes(built) + "\n")
        report.append(f"{language}/{name}: {state}")
    return report


def skeleton(name: str, language: str) -> str:
    """A translation file to start from: every Markdown cell, and every code cell with a
    comment or a string of words, with its hash and its English text to replace."""
    nb = nbformat.read(str(NOTEBOOK_DIR / f"{name}.ipynb"), as_version=4)
    parts = [f"# {name} in {EDITIONS[language]}: the English text of each cell, to translate. "
             "Remove the entries of code cells left unchanged.\n"]
    for index, cell in enumerate(nb.cells):
        if index == 0:
            continue  # the setup cell: translated once, in common.toml
        wanted = (needs_translation(cell.source) if cell.cell_type == "markdown"
                  else re.search(r"#.*[A-Za-z]{2}|[\"'][^\"'\n]*[A-Za-z]{2}", cell.source))
        if wanted:
            parts.append(entry("cells", cell.id, cell.source))
    return "\n".join(parts)


def entry(table: str, key: str, english: str, text: str | None = None) -> str:
    """One TOML table of a translation file, [table.key]; the text as a literal multi-line string (TOML
    trims the newline after the opening quotes), or escaped if it holds three quotes."""
    text = english if text is None else text
    if "'''" in text:
        body = '"""\n' + text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') + '"""'
    else:
        body = "'''\n" + text + "'''"
    return f'[{table}.{key}]\nsource = "{source_hash(english)}"\ntext = {body}\n'
