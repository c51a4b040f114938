"""The language a notebook speaks, as its setup cell sets it (os.environ["LECTURE_LANGUAGE"]
= "en" in the English notebooks, "zh" in notebooks/zh/), and what follows from it: the
widgets' labels and messages (`say`), and a font for Chinese text in plots (`use_font_for`).
"""

from __future__ import annotations

import os
import warnings
from functools import cache

from .colab import LANGUAGE_VARIABLE

LANGUAGES = {"en": "English", "zh": "简体中文"}

# Fonts with Chinese glyphs, by the name matplotlib knows them under, and the files to look for
# when matplotlib's font list predates their installation (it is cached on first use).
CHINESE_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                 "WenQuanYi Zen Hei", "Droid Sans Fallback", "SimHei", "Microsoft YaHei",
                 "PingFang SC", "Heiti SC", "Arial Unicode MS")
CHINESE_FONT_FILES = ("notosanscjk", "notosanssc", "sourcehansans", "wqy", "droidsansfallback",
                      "simhei", "msyh", "pingfang", "stheiti", "arial unicode")
FONT_ADVICE = ("No font with Chinese characters was found, so Chinese text in plots shows as "
               "boxes. Install one (Colab, Debian, Ubuntu: `!apt-get -qq install "
               "fonts-wqy-microhei`), then restart the kernel and run the notebook again.")


def language() -> str:
    """The notebook's language: "en" unless the setup cell set another."""
    value = os.environ.get(LANGUAGE_VARIABLE, "en")
    if value not in LANGUAGES:
        raise ValueError(f'{LANGUAGE_VARIABLE} is {value!r}; the course speaks '
                         + " and ".join(f'"{code}" ({name})' for code, name in LANGUAGES.items())
                         + ": set one of those in the setup cell, the notebook's first cell.")
    return value


def say(text: str, **fields) -> str:
    """`text`, an English template, in the notebook's language, its {fields} filled in."""
    from .messages import TRANSLATIONS

    return TRANSLATIONS.get(language(), {}).get(text, text).format(**fields)


@cache
def chinese_font() -> str | None:
    """The name of an installed font with Chinese glyphs, or None."""
    from matplotlib import font_manager

    def known():
        names = {font.name for font in font_manager.fontManager.ttflist}
        return next((name for name in CHINESE_FONTS if name in names), None)

    if known() is None:  # installed after matplotlib cached its font list: add the files
        for path in font_manager.findSystemFonts():
            if any(part in os.path.basename(path).lower().replace("-", "").replace("_", "")
                   for part in CHINESE_FONT_FILES):
                font_manager.fontManager.addfont(path)
    return known()


def use_font_for(code: str) -> None:
    """Make matplotlib draw this language's text. For Chinese: a font with Chinese glyphs after
    the default family, which matplotlib falls back to for each character the default font
    lacks (so Latin text and numbers look as in the English notebooks; matplotlib falls back
    along `font.family`, not within `font.sans-serif`); a warning that says what to install
    when there is none."""
    if code != "zh":
        return
    import matplotlib

    font = chinese_font()
    if font is None:
        warnings.warn(FONT_ADVICE, stacklevel=2)
        return
    families = list(matplotlib.rcParams["font.family"])
    if font not in families:
        matplotlib.rcParams["font.family"] = [*families, font]
