"""Helpers shared by the Zero to Hero notebooks, in four kinds.

The modules at this level hold what the notebooks teach and later notebooks import
(`lecture_utils.micrograd`, `lecture_utils.gpt`, ...): generated from the notebooks by
`python -m lecture_utils sync`, except the hand-written helpers `attention` and `graph`.
`lecture_utils.check` holds the exercises' checks, hand-written, one module per lecture;
`lecture_utils.widgets` holds the interactive explorers; `lecture_utils.course` the course
machinery (the course file, the runner, sync, data sets, metrics, parameter checks, Colab).
"""

import os as _os

from .course.colab import LANGUAGE_VARIABLE as _LANGUAGE_VARIABLE
from .course.language import use_font_for as _use_font_for

# A Chinese notebook's plots need a font with Chinese glyphs. An unknown language is not an
# error here (the course's tools import this package too): the widgets that speak say so.
_use_font_for(_os.environ.get(_LANGUAGE_VARIABLE, "en"))
