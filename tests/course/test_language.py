"""The notebook's language: the setting, the widgets' messages in Chinese, the Chinese font."""

import ast
import io
import string
import warnings
from pathlib import Path

import matplotlib
import pytest
from matplotlib.figure import Figure

from lecture_utils.course import language as lang
from lecture_utils.course.colab import LANGUAGE_VARIABLE, SETUP_CELL
from lecture_utils.course.language import language, say, use_font_for
from lecture_utils.course.messages import TRANSLATIONS
from lecture_utils.widgets.attention import AttentionExplorer
from lecture_utils.widgets.softmax import SoftmaxExplorer, TemperatureSampler

PACKAGE = Path(lang.__file__).parents[1]


def templates_said() -> set[str]:
    """Every string literal passed to `say` anywhere in the package (both branches of an
    `a if c else b` too)."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "say" and node.args:
                found |= {sub.value for sub in ast.walk(node.args[0])
                          if isinstance(sub, ast.Constant) and isinstance(sub.value, str)}
    return found


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.fixture
def chinese(monkeypatch):
    monkeypatch.setenv(LANGUAGE_VARIABLE, "zh")


def test_english_unless_the_setup_cell_says_otherwise(monkeypatch):
    monkeypatch.delenv(LANGUAGE_VARIABLE, raising=False)
    assert language() == "en"
    exec(SETUP_CELL, {})  # outside Colab it only sets the language
    assert language() == "en"


def test_an_unknown_language_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(LANGUAGE_VARIABLE, "fr")
    with pytest.raises(ValueError, match=r"LECTURE_LANGUAGE is 'fr'; the course speaks \"en\" "
                                         r"\(English\) and \"zh\" \(简体中文\): set one of those "
                                         r"in the setup cell"):
        say("temperature")


def test_every_template_said_has_its_chinese_with_the_same_fields():
    said, catalog = templates_said(), TRANSLATIONS["zh"]
    assert len(said) > 40
    assert sorted(said - catalog.keys()) == [], "templates without a Chinese translation"
    assert sorted(catalog.keys() - said) == [], "translations of templates no code says"
    wrong = [t for t in said if fields(t) != fields(catalog[t])]
    assert wrong == [], "translations whose {fields} differ from the English template's"


def test_say_translates_and_fills_in(chinese):
    assert say("seed must be 0 or more, got {seed}.", seed=-1) == "随机种子必须大于等于 0，现在是 -1。"


def test_softmax_explorers_speak_chinese(chinese):
    explorer = SoftmaxExplorer(temperature=0)
    assert explorer.temperature.description == "温度"
    assert explorer.notes[0].startswith("温度 = 0 不能用")
    assert repr(explorer).endswith("（运行笔记本即可使用）")
    itos = {0: ".", 1: "a"}
    sampler = TemperatureSampler([[0.0, 1.0], [1.0, 0.0]], itos, previous="z")
    assert sampler.message == "未知的前一个字符 'z'。请只输入其中一个：. a（'.' 表示名字的开头）。"


def test_the_attention_explorer_speaks_chinese(chinese):
    import torch

    class Chars:
        def encode(self, text):
            return [ord(c) - ord("a") for c in text]

        def decode(self, ids):
            return "".join(chr(i + ord("a")) for i in ids)

    def qk(idx, layer, head):
        return torch.ones(idx.shape[1], 4), torch.ones(idx.shape[1], 4)

    explorer = AttentionExplorer(Chars(), qk, n_heads=2, n_layers=3, text="abc", draw=False)
    assert explorer.head.description == "注意力头 (0-1)"
    explorer.head.value = 2
    assert explorer.message == "注意力头 2 不存在：这个模型有 2 个注意力头，编号从 0 到 1。"
    explorer.head.value, explorer.text.value = 0, ""
    assert explorer.message == "文本是空的。输入几个字符，就能看到它们的注意力。"


def test_english_stays_english(monkeypatch):
    monkeypatch.setenv(LANGUAGE_VARIABLE, "en")
    assert SoftmaxExplorer().temperature.description == "temperature"
    assert say("seed must be 0 or more, got {seed}.", seed=-1) == "seed must be 0 or more, got -1."


def glyph_warnings() -> list[str]:
    """The warnings of rendering a figure with Chinese in its title (savefig draws it)."""
    fig = Figure()
    fig.subplots().set_title("损失 (loss) −1")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png")
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_chinese_plots_get_a_font_with_chinese_glyphs(monkeypatch):
    """CI installs fonts-wqy-microhei; without any Chinese font this fails and says so."""
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["sans-serif"])
    assert glyph_warnings(), "the default font has no Chinese glyphs: this test would prove nothing"
    font = lang.chinese_font()
    assert font is not None, lang.FONT_ADVICE
    use_font_for("zh")
    assert matplotlib.rcParams["font.family"] == ["sans-serif", font]
    assert glyph_warnings() == []


def test_no_chinese_font_is_a_warning_that_says_what_to_install(monkeypatch):
    monkeypatch.setattr(lang, "chinese_font", lambda: None)
    with pytest.warns(UserWarning, match="apt-get -qq install fonts-wqy-microhei"):
        use_font_for("zh")


def test_english_plots_keep_matplotlibs_fonts(monkeypatch):
    monkeypatch.setitem(matplotlib.rcParams, "font.family", ["sans-serif"])
    use_font_for("en")
    assert matplotlib.rcParams["font.family"] == ["sans-serif"]
