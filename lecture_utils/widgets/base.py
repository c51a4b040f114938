"""The one design every explorer widget of the course follows (hand-written, not derived in a
notebook).

An `Explorer` is an ipywidgets VBox: its controls on top, one Output below. Whenever a
control's value changes, `render()` recomputes the result from the controls and returns what
to show, in order: HTML strings (`note(text)` makes a line of plain text) and matplotlib
figures. The Output is then replaced as a whole, so nothing of the previous state stays on
screen. Bad input is a ValueError raised in `render()` with a message for the learner: the
Output then shows that message alone, `message` holds it (None after a good value) and the
attributes named in `results` are None: bad input never puts a traceback in the log.

A notebook shows an explorer by making it the last expression of a cell. A view without a
kernel (GitHub, nbviewer) shows its repr instead: the class name, `summary()` and "run the
notebook to use it"; so the next cell calls `snapshot()`, which shows the explorer's first
state as ordinary outputs (the same HTML and figures), a picture any viewer draws.

A value given to the constructor that a control cannot hold is never changed silently: the
control is widened to hold it (`fitted_slider`), or, when no control can (a temperature of
0), set to the nearest value it can hold, and a note above the output says so until a
control is moved.

Only what ipywidgets 7.7.1 (Colab) has as well as 8 is used: VBox, Output and its `outputs`
trait, `observe(names="value")`. Writing `outputs` directly, rather than capturing with
`with output:`, needs no kernel (the tests drive explorers without one), and JupyterLab,
Notebook and Colab all draw an Output from that trait.
"""

from __future__ import annotations

import base64
import html
import io

import ipywidgets as widgets

from ..course.language import say

ERROR_STYLE = "color:#b00020;font-weight:bold"
NOTE_STYLE = "color:#8a5a00"
WIDE = {"description_width": "initial"}  # labels in full ("temperature", not "temperat...")


def note(text: str, style: str = "") -> str:
    """A line of plain text (escaped) to show among an explorer's parts."""
    return f"<p style='{style}'>{html.escape(text)}</p>"


def _display_data(part) -> dict:
    """One output of the Output widget: HTML for a string, a PNG for a matplotlib figure."""
    if isinstance(part, str):
        data = {"text/html": part}
    else:
        png = io.BytesIO()
        part.savefig(png, format="png")  # the figure lays itself out (layout="tight"): one draw
        data = {"image/png": base64.b64encode(png.getvalue()).decode("ascii")}
    return {"output_type": "display_data", "data": data, "metadata": {}}


def fitted_slider(slider_class, value: float, low: float, high: float, description: str,
                  **options):
    """A slider from `low` to `high`, widened to hold `value` if it lies outside, and the note
    saying so (None when it did not have to be widened)."""
    note_text = None
    if not low <= value <= high:
        note_text = say("{description} = {value:g} lies outside the slider's usual range, "
                        "{low:g} to {high:g}: the slider was widened to show it exactly.",
                        description=description, value=value, low=low, high=high)
        low, high = min(low, value), max(high, value)
    slider = slider_class(value=value, min=low, max=high, description=description, style=WIDE,
                          **options)
    return slider, note_text


class Explorer(widgets.VBox):
    """Controls on top, one Output below, redrawn on every change (see the module docstring).

    A subclass creates its controls, calls `super().__init__(controls, rows)` (which draws
    the first state), and implements `render()` and `summary()`.
    """

    results: tuple[str, ...] = ()  # attributes render() sets; None while the input is bad

    def __init__(self, controls: list, rows: list | None = None, notes=()):
        """controls: the widgets whose values the result depends on. rows: how they are laid
        out above the output (by default one under another). notes: what the constructor had
        to change in the values it was given; shown above the output until a control moves."""
        self.output = widgets.Output()
        self.message: str | None = None
        self.notes = [text for text in notes if text]
        super().__init__(children=[*(rows if rows is not None else controls), self.output])
        for control in controls:
            control.observe(self._moved, names="value")
        self.refresh()

    def _moved(self, _change) -> None:
        self.notes = []  # the values on screen are now the learner's own
        self.refresh()

    def render(self) -> list:
        """The parts to show for the controls' current values (HTML strings and matplotlib
        figures); raise ValueError with a message for the learner when the input is bad."""
        raise NotImplementedError

    def summary(self) -> str:
        """What the explorer shows, in a few words, for views without a kernel."""
        raise NotImplementedError

    def refresh(self) -> None:
        """Recompute from the controls and replace what the output shows."""
        try:
            parts = self.render()
            self.message = None
        except ValueError as exc:  # bad input: the message takes the result's place
            self.message = str(exc)
            for name in self.results:
                setattr(self, name, None)
            parts = [note(self.message, ERROR_STYLE)]
        parts = [note(text, NOTE_STYLE) for text in self.notes] + parts
        self.output.outputs = tuple(_display_data(part) for part in parts)

    def snapshot(self) -> None:
        """Show what the output shows now as ordinary outputs (HTML, PNG images), which every
        viewer draws, without a kernel too."""
        from IPython.display import display

        for output in self.output.outputs:
            display(output["data"], raw=True)

    def __repr__(self) -> str:  # the text/plain fallback a view without a kernel shows
        return f"{type(self).__name__}: {self.summary()}" + say(" (run the notebook to use it)")
