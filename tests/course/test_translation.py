"""Building an edition in another language from the English notebooks and translation files."""

import nbformat
import pytest

from lecture_utils.course import translation
from lecture_utils.course.cli import main
from lecture_utils.course.colab import SETUP_CELL
from lecture_utils.course.translation import (
    Edition,
    TranslationError,
    build_edition,
    code_shape,
    entry,
    source_hash,
)

MARKDOWN = "## Training\n\nThe loss falls: see [below](#Training)."
CODE = 'loss = 2.5  # the starting loss\nprint(f"loss {loss:.2f} at step {0}")'
SETUP_ZH = SETUP_CELL.replace('"en"', '"zh"').replace("# Setup for Google Colab", "# Colab 的准备工作")


@pytest.fixture
def course(tmp_path, monkeypatch):
    """An English notebook 01_demo (setup, Markdown, code, Markdown) and a translations folder."""
    notebooks, translations = tmp_path / "notebooks", tmp_path / "translations"
    notebooks.mkdir()
    (translations / "zh").mkdir(parents=True)
    monkeypatch.setattr(translation, "NOTEBOOK_DIR", notebooks)
    monkeypatch.setattr(translation, "TRANSLATIONS_DIR", translations)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(SETUP_CELL), nbformat.v4.new_markdown_cell(MARKDOWN),
                nbformat.v4.new_code_cell(CODE), nbformat.v4.new_markdown_cell("`x = 1`, $x^2$")]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell{i}"
    nbformat.write(nb, str(notebooks / "01_demo.ipynb"))
    (translations / "zh" / "common.toml").write_text(
        entry("shared", "setup_cell", SETUP_CELL, SETUP_ZH), encoding="utf-8")
    return tmp_path


def write_translation(course, *entries):
    path = course / "translations" / "zh" / "01_demo.toml"
    path.write_text("\n".join(entries), encoding="utf-8")


GOOD_MARKDOWN = entry("cells", "cell1", MARKDOWN, "## 训练\n\n损失下降：见[下文](#训练)。")
GOOD_CODE = entry("cells", "cell2", CODE, 'loss = 2.5  # 初始损失\nprint(f"第 {0} 步的损失 {loss:.2f}")')


def test_a_complete_translation_builds_the_notebook_in_chinese(course):
    write_translation(course, GOOD_MARKDOWN, GOOD_CODE)
    assert build_edition("zh") == ["zh/01_demo: built, needs a run: python -m lecture_utils run "
                                   "--language zh --profile full --write-back 01_demo"]
    built = nbformat.read(str(course / "notebooks" / "zh" / "01_demo.ipynb"), as_version=4)
    assert [cell.source for cell in built.cells] == [
        SETUP_ZH, "## 训练\n\n损失下降：见[下文](#训练)。",
        'loss = 2.5  # 初始损失\nprint(f"第 {0} 步的损失 {loss:.2f}")', "`x = 1`, $x^2$"]
    assert [cell.id for cell in built.cells] == ["cell0", "cell1", "cell2", "cell3"]


def test_a_markdown_change_keeps_the_outputs_of_the_last_run(course):
    write_translation(course, GOOD_MARKDOWN, GOOD_CODE)
    build_edition("zh")
    path = course / "notebooks" / "zh" / "01_demo.ipynb"
    run = nbformat.read(str(path), as_version=4)
    run.cells[2].outputs = [nbformat.v4.new_output("stream", text="第 0 步的损失 2.50\n")]
    run.cells[2].execution_count = 2
    run.cells[1].metadata["tags"] = []  # papermill's doing, on cells without tags
    nbformat.write(run, str(path))
    assert build_edition("zh") == ["zh/01_demo: up to date"]
    write_translation(course, GOOD_MARKDOWN.replace("损失下降", "损失在下降"), GOOD_CODE)
    assert build_edition("zh") == ["zh/01_demo: Markdown updated"]
    rebuilt = nbformat.read(str(path), as_version=4)
    assert rebuilt.cells[2].outputs[0].text == "第 0 步的损失 2.50\n"
    assert "损失在下降" in rebuilt.cells[1].source


def test_a_code_change_clears_the_outputs(course):
    write_translation(course, GOOD_MARKDOWN, GOOD_CODE)
    build_edition("zh")
    write_translation(course, GOOD_MARKDOWN, GOOD_CODE.replace("# 初始损失", "# 起始损失"))
    assert "needs a run" in build_edition("zh")[0]


def test_a_missing_markdown_translation_is_listed(course):
    write_translation(course, GOOD_CODE)
    with pytest.raises(TranslationError, match=r"cell cell1 \(#1, markdown: '## Training'\): no translation"):
        build_edition("zh")
    assert not (course / "notebooks" / "zh").exists(), "nothing is written"


def test_a_changed_english_cell_makes_its_translation_stale(course):
    write_translation(course, GOOD_MARKDOWN, GOOD_CODE)
    path = course / "notebooks" / "01_demo.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[1].source = MARKDOWN.replace("falls", "drops")
    nbformat.write(nb, str(path))
    problems = Edition.load("zh", "01_demo").problems()
    assert problems == [f"cell cell1 (#1, markdown: '## Training'): stale, the English changed "
                        f"since it was translated (translated {source_hash(MARKDOWN)}, now "
                        f"{source_hash(nb.cells[1].source)})"]


@pytest.mark.parametrize("code, problem", [
    ('loss = 3.5  # 初始损失\nprint(f"loss {loss:.2f} at step {0}")',
     "the translated code differs from the English beyond comments and strings"),
    ('loss = 2.5  # 初始损失\nprint(f"loss {loss:.3f} at step {0}")', None),  # a format spec is a string
    ('loss = 2.5  # 初始损失\nprint(f"损失 {loss:.2f}，第 {1} 步")',
     "the translated code differs from the English beyond comments and strings"),
    ("loss = (2.5", "the translated code is not valid Python (line 1: '(' was never closed)"),
    (CODE, "its translation is the English code unchanged: remove the entry"),
])
def test_translated_code_must_be_the_english_code(course, code, problem):
    write_translation(course, GOOD_MARKDOWN, entry("cells", "cell2", CODE, code))
    where = "cell cell2 (#2, code: 'loss = 2.5  # the starting loss')"
    expected = [] if problem is None else [f"{where}: {problem}"]
    assert Edition.load("zh", "01_demo").problems() == expected


def test_the_comments_the_tools_read_stay_in_english():
    english = "# NBVAL_CHECK_OUTPUT\nprint('hi')"
    assert translation._code_problem(english, "# 检查输出\nprint('你好')").startswith(
        "the translation changes a comment the tools read")
    assert translation._code_problem(english, "# NBVAL_CHECK_OUTPUT\nprint('你好')") is None


def test_code_shape_ignores_comments_strings_and_placeholder_order_but_not_code():
    assert code_shape('x = f"{a} and {b}"  # c') == code_shape("x = f'{b} 和 {a}'")
    assert code_shape('x = f"{a} and {b}"') != code_shape('x = f"{a} and {a}"')
    assert code_shape("%matplotlib inline\nx = 1") == code_shape("%matplotlib inline\nx = 1  # 一")
    assert code_shape('"""Doc."""\nx = 1') == code_shape('"""文档。"""\nx = 1')
    assert code_shape("x = 1") != code_shape("y = 1")


def test_a_markdown_translation_without_chinese_is_not_a_translation(course):
    write_translation(course, entry("cells", "cell1", MARKDOWN, MARKDOWN), GOOD_CODE)
    assert Edition.load("zh", "01_demo").problems() == [
        "cell cell1 (#1, markdown: '## Training'): the translation holds no Chinese"]


def test_links_must_point_to_a_translated_heading(course):
    write_translation(course, entry("cells", "cell1", MARKDOWN, "## 训练\n\n见[下文](#Training)。"),
                      GOOD_CODE)
    assert Edition.load("zh", "01_demo").problems() == [
        "link to #Training: no heading of the translated notebook has that anchor (a heading's "
        "anchor is its text, without backticks and *, with spaces turned into hyphens: link to "
        "the translated heading)"]


def test_the_setup_cell_must_set_the_language(course):
    (course / "translations" / "zh" / "common.toml").write_text(
        entry("shared", "setup_cell", SETUP_CELL, SETUP_ZH.replace('"zh"', '"en"')), encoding="utf-8")
    write_translation(course, GOOD_MARKDOWN, GOOD_CODE)
    assert Edition.load("zh", "01_demo").problems() == [
        "the setup cell's translation must set the widgets' language: "
        'os.environ["LECTURE_LANGUAGE"] = "zh"']


def test_translations_of_cells_that_are_gone_are_listed(course):
    write_translation(course, GOOD_MARKDOWN, GOOD_CODE, entry("cells", "gone", "old", "旧"))
    assert Edition.load("zh", "01_demo").problems() == [
        "cell gone: the English notebook has no such cell (any more); remove its translation"]


def test_a_damaged_translation_file_is_a_clear_error(course):
    write_translation(course, "[cells.cell1]\nsource = 'x'\n")
    with pytest.raises(TranslationError, match=r"01_demo.toml, cell1: needs exactly `source`"):
        Edition.load("zh", "01_demo")
    write_translation(course, "[cells.cell1\n")
    with pytest.raises(TranslationError, match="01_demo.toml is not valid TOML"):
        Edition.load("zh", "01_demo")


def test_entry_round_trips_through_toml():
    import tomllib

    for text in ["plain", "back\\slash $\\frac{a}{b}$", "it's '''quoted'''", 'a """ b', "多行\n文本\n"]:
        parsed = tomllib.loads(entry("cells", "c", "english", text))
        assert parsed["cells"]["c"] == {"source": source_hash("english"), "text": text}


def test_the_command_lists_problems_and_exits_1(course, capsys):
    write_translation(course, GOOD_CODE)
    assert main(["translate", "--check"]) == 1
    assert "zh/01_demo: cell cell1 (#1, markdown: '## Training'): no translation" in capsys.readouterr().out


def test_an_unknown_language_is_refused(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["translate", "--language", "fr"])
    assert stop.value.code == 2
    assert "Unknown language 'fr': the course has English and zh (简体中文)." in capsys.readouterr().err
