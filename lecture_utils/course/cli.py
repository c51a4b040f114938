"""Command line: `python -m lecture_utils run --help`.

Exit status: 0 when everything passed, 1 when a notebook failed, 2 for a request or a
course file the tools refuse (the message says why), 130 when Ctrl-C stopped the run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from .catalog import (
    COURSE_FILE,
    PROFILES,
    CourseError,
    Notebook,
    find_notebooks,
    load_course,
    solutions_of,
    unlisted_notebooks,
)
from .files import write_atomically
from .paths import NOTEBOOK_DIR, RUNS_DIR, SOLUTIONS_DIR
from .translation import (
    Edition,
    TranslationError,
    build_edition,
    check_language,
    edition_dir,
    skeleton,
    translated_notebooks,
    translation_dir,
)

if TYPE_CHECKING:
    from .runner import Result

INTERRUPTED_EXIT_STATUS = 130  # the shell's status for a program stopped by Ctrl-C (128 + SIGINT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lecture_utils")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "run", help="execute notebooks and check the metrics they record",
        description="Execute notebooks in fresh kernels and check the metrics they record against "
                    "course.toml. Exit status: 0 all passed, 1 a notebook failed, 2 a refused "
                    "request, 130 stopped by Ctrl-C.")
    run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                     help="a number (04), a name (04_mlp), or a path to a .ipynb file, which runs "
                          "that file with the course entry of the same name; default: every "
                          "notebook of the course")
    run.add_argument("--profile", default="quick", choices=PROFILES,
                     help="quick: ~30 s a notebook on a CPU; full: the lecture's settings")
    run.add_argument("--output-dir", type=Path,
                     help="where executed copies go (default: runs/<profile>); never in notebooks/")
    run.add_argument("--write-back", action="store_true",
                     help="with --profile full: replace each notebook whose metrics all passed "
                          "with its executed copy")
    run.add_argument("--solutions", action="store_true",
                     help="run the exercises' solutions notebooks (solutions/NN_name.ipynb) of the "
                          "notebooks named, or all of them, instead of the lecture notebooks")
    run.add_argument("--language", default="en", metavar="CODE",
                     help="en (default), or zh: the Chinese edition's notebooks in notebooks/zh/, "
                          "their executed copies in runs/<profile>/zh")
    run.add_argument("--course", type=Path, metavar="FILE",
                     help="run another course file, whose notebooks are the .ipynb files in its "
                          "folder (default: lecture_utils/course/course.toml, notebooks in notebooks/)")
    commands.add_parser("sync", help="rewrite the package modules that notebooks save code to")
    translate = commands.add_parser(
        "translate", help="build another language's notebooks from the English ones and the "
                          "translation files",
        description="Build notebooks/<language>/NN_name.ipynb from notebooks/NN_name.ipynb and "
                    "translations/<language>/NN_name.toml. Nothing is written while any "
                    "translation is stale or incomplete: the list of what to fix is printed.")
    translate.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                           help="a number or a name; default: every notebook with a translation file")
    translate.add_argument("--language", default="zh", metavar="CODE", help="default: zh")
    translate.add_argument("--check", action="store_true",
                           help="only list the problems (stale, missing, changed code); build nothing")
    translate.add_argument("--start", action="store_true",
                           help="write a new translation file for each notebook named, holding the "
                                "English text to translate")
    args = parser.parse_args(argv)
    commands_run = {"sync": sync_modules, "run": run_notebooks, "translate": translate_notebooks}
    try:
        return commands_run[args.command](args)
    except CourseError as exc:
        parser.exit(2, f"error: {exc}\n")
    except KeyboardInterrupt:  # while loading the tools (the runner imports for seconds)
        print("interrupted (Ctrl-C)", file=sys.stderr)
        return INTERRUPTED_EXIT_STATUS


def sync_modules(args: argparse.Namespace) -> int:
    from .exports import sync

    changed = sync()
    print("updated: " + ", ".join(changed) if changed else "every saved module is up to date")
    return 0


def translate_notebooks(args: argparse.Namespace) -> int:
    language = check_language(args.language)
    names = [notebook.name for notebook in find_notebooks(args.notebooks, load_course())] \
        if args.notebooks else []
    if args.start:
        if not names:
            raise CourseError("--start needs the notebooks to start translating.")
        for name in names:
            path = translation_dir(language) / f"{name}.toml"
            if path.exists():
                raise CourseError(f"{path} exists already: it would be overwritten. Edit it instead.")
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, skeleton(name, language))
            print(f"wrote {path}: replace each English text with its translation")
        return 0
    try:
        if args.check:
            problems = [f"{language}/{name}: {problem}" for name in names or translated_notebooks(language)
                        for problem in Edition.load(language, name).problems()]
            print("\n".join(problems) if problems else "every translation is complete and up to date")
            return 1 if problems else 0
        print("\n".join(build_edition(language, names)))
    except TranslationError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def run_notebooks(args: argparse.Namespace) -> int:
    from .runner import Interrupted, run_course  # seconds of imports: inside main's Ctrl-C guard

    notebook_dir = args.course.parent if args.course else NOTEBOOK_DIR
    output_dir = args.output_dir
    if args.language != "en":
        if args.course or args.solutions:
            raise CourseError("--language runs the notebooks of an edition of this course; "
                              "it does not combine with --course or --solutions.")
        notebook_dir = edition_dir(check_language(args.language))
        output_dir = output_dir or RUNS_DIR / args.profile / args.language
    course = load_course(args.course or COURSE_FILE, notebook_dir)
    if args.language != "en" and not args.notebooks:  # an edition may not cover the course yet
        course = {name: nb for name, nb in course.items() if nb.path.is_file()}
    notebooks = find_notebooks(args.notebooks, course)
    if args.solutions:
        solutions_dir = args.course.parent / "solutions" if args.course else SOLUTIONS_DIR
        notebooks = solutions_to_run(notebooks, solutions_dir, named=bool(args.notebooks))
    try:
        results = run_course(notebooks, args.profile, output_dir, args.write_back)
    except Interrupted as stop:
        summarise(stop.results, notebook_dir, course)
        not_run = [nb.name for nb in notebooks[len(stop.results) + 1:]]
        print(f"interrupted: {stop.notebook.name} (Ctrl-C)"
              + (f"; not run: {', '.join(not_run)}" if not_run else ""))
        return INTERRUPTED_EXIT_STATUS
    failed = summarise(results, notebook_dir, course)
    return 1 if failed else 0


def solutions_to_run(notebooks: list[Notebook], solutions_dir: Path, named: bool) -> list[Notebook]:
    """The solutions notebooks of these notebooks: all that exist, and a notebook named on
    the command line without one is a refused request."""
    solutions = [solutions_of(notebook, solutions_dir) for notebook in notebooks]
    missing = [s.path.name for s in solutions if not s.path.is_file()]
    if named and missing:
        raise CourseError(f"No solutions notebook {', '.join(missing)} in {solutions_dir}.")
    return [s for s in solutions if s.path.is_file()]


def summarise(results: list[Result], notebook_dir: Path, course: dict) -> int:
    """Print the table of results and the counts; returns how many notebooks failed."""
    from .runner import table

    if results:
        print()
        print(table(results))
    for path in unlisted_notebooks(course, notebook_dir):
        print(f"not in the course file, not run: {path.name}")
    failed = sum(not result.passed for result in results)
    print(f"\n{len(results) - failed} passed, {failed} failed")
    return failed
