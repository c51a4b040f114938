"""Command line: `python -m lecture_utils run --help`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .catalog import PROFILES, CourseError, find_notebooks, load_course
from .runner import run_course, table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lecture_utils")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="execute notebooks and check the metrics they record")
    run.add_argument("notebooks", nargs="*", metavar="NOTEBOOK",
                     help="names like 04_mlp, numbers like 04, or paths; default: all")
    run.add_argument("--profile", default="quick", choices=PROFILES,
                     help="quick: ~30 s a notebook on a CPU; full: the lecture's settings")
    run.add_argument("--output-dir", type=Path, help="where executed copies go (runs/<profile>)")
    run.add_argument("--write-back", action="store_true",
                     help="with --profile full: replace the committed notebooks with passing runs")
    commands.add_parser("sync", help="rewrite the package modules that notebooks save code to")
    args = parser.parse_args(argv)

    if args.command == "sync":
        from .exports import sync

        changed = sync()
        print("updated: " + ", ".join(changed) if changed else "every saved module is up to date")
        return 0

    try:
        notebooks = find_notebooks(args.notebooks, load_course())
        results = run_course(notebooks, args.profile, args.output_dir, args.write_back)
    except (CourseError, ValueError) as exc:
        parser.error(str(exc))
    print()
    print(table(results))
    failed = [r.notebook.name for r in results if not r.passed]
    print(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
