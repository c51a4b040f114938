"""The README's promises: two Quickstart commands that CI really runs, and a Colab badge
for every notebook of the course."""

import re
from pathlib import Path

from lecture_utils.course.catalog import load_course
from lecture_utils.course.colab import colab_badge

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def section(heading: str) -> str:
    return README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]


def commands_in(text: str) -> list[str]:
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def quickstart_commands() -> list[str]:
    return commands_in(section("Quickstart"))


def test_quickstart_is_two_commands_one_for_the_course_one_for_the_tests():
    run_course, run_tests = quickstart_commands()
    assert run_course.endswith("python -m lecture_utils run")
    assert run_tests.endswith("python -m pytest")
    for command in (run_course, run_tests):
        assert command.startswith("python3.11 -m venv .venv && ")


def test_ci_runs_the_readme_test_command_word_for_word():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert quickstart_commands()[1] in ci


def test_every_notebook_has_a_link_and_a_colab_badge():
    for name in load_course():
        assert f"(notebooks/{name}.ipynb)" in README
        assert colab_badge(name) in README


def test_a_language_switch_leads_to_the_chinese_section_and_back():
    assert README.splitlines()[2] == "**English** | [中文](#中文版)"
    assert section("中文版").lstrip().startswith("**[English](#zero-to-hero-as-notebooks)** | 中文")


def test_the_chinese_section_has_the_same_two_commands():
    assert commands_in(section("中文版")) == quickstart_commands()


def test_every_chinese_notebook_has_a_link_and_a_colab_badge():
    chinese = section("中文版")
    for name in load_course():
        assert f"(notebooks/zh/{name}.ipynb)" in chinese
        assert colab_badge(f"zh/{name}") in chinese
    assert "(notebooks/zh/术语表.md)" in chinese and (ROOT / "notebooks" / "zh" / "术语表.md").is_file()
