"""The design every explorer shares: controls on top, one output redrawn on every change,
bad input as a message in place of the result, the explorer itself as the displayed object."""

import ipywidgets as widgets
from IPython.core.formatters import DisplayFormatter
from matplotlib.figure import Figure

from lecture_utils.widgets.base import Explorer, fitted_slider, note

from . import shown_html, shown_images

MESSAGE = "x must not be 0: 1 / 0 is undefined."


class Reciprocal(Explorer):
    """The smallest explorer: one number, its reciprocal as a note and a bar."""

    results = ("value",)

    def __init__(self, x=2.0):
        self.x = widgets.FloatText(value=x, description="x")
        super().__init__([self.x])

    def summary(self):
        return "the reciprocal of a number"

    def render(self):
        if self.x.value == 0:
            raise ValueError(MESSAGE)
        self.value = 1 / self.x.value
        fig = Figure()
        fig.subplots().bar(["1 / x"], [self.value])
        return [note(f"1 / {self.x.value:g} = {self.value:g} <exactly>"), fig]


def test_controls_on_top_and_the_first_state_drawn_below():
    explorer = Reciprocal()
    assert explorer.children == (explorer.x, explorer.output)
    assert explorer.message is None and explorer.value == 0.5
    assert "1 / 2 = 0.5 <exactly>" in shown_html(explorer)  # notes are escaped text
    assert len(shown_images(explorer)) == 1


def test_a_change_replaces_what_is_shown():
    explorer = Reciprocal()
    first = shown_images(explorer)
    explorer.x.value = 4.0
    assert explorer.value == 0.25
    assert "0.25" in shown_html(explorer) and "0.5" not in shown_html(explorer)
    assert len(shown_images(explorer)) == 1 and shown_images(explorer) != first


def test_a_bad_value_shows_its_message_in_place_of_the_result():
    explorer = Reciprocal()
    explorer.x.value = 0.0
    assert explorer.message == MESSAGE and explorer.value is None
    assert shown_images(explorer) == []  # the previous plot is gone, not left stale
    assert len(explorer.output.outputs) == 1 and MESSAGE in shown_html(explorer)
    explorer.x.value = 5.0  # the next good value clears the message
    assert explorer.message is None and explorer.value == 0.2
    assert MESSAGE not in shown_html(explorer) and len(shown_images(explorer)) == 1


def test_a_bad_first_value_is_a_message_too():
    explorer = Reciprocal(x=0.0)
    assert explorer.message == MESSAGE and explorer.value is None


def test_the_explorer_itself_is_what_a_cell_displays():
    explorer = Reciprocal()
    data, _ = DisplayFormatter().format(explorer)
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.model_id
    # a view without a kernel (GitHub, nbviewer) shows this line instead of the widget
    assert data["text/plain"] == repr(explorer) == (
        "Reciprocal: the reciprocal of a number (run the notebook to use it)")


def test_snapshot_shows_the_current_state_as_plain_outputs(monkeypatch):
    explorer = Reciprocal(4.0)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda data, raw: shown.append(data))
    explorer.snapshot()
    assert [sorted(data) for data in shown] == [["text/html"], ["image/png"]]
    assert "1 / 4 = 0.25" in shown[0]["text/html"]
    assert shown[1]["image/png"] == shown_images(explorer)[0]


def test_a_widened_slider_holds_the_value_and_says_so():
    slider, text = fitted_slider(widgets.FloatSlider, 12.5, -5.0, 5.0, "logit a")
    assert (slider.value, slider.min, slider.max) == (12.5, -5.0, 12.5)
    assert text == ("logit a = 12.5 lies outside the slider's usual range, -5 to 5: the slider "
                    "was widened to show it exactly.")
    assert slider.style.description_width == "initial"  # the label is never cut short
    inside, no_text = fitted_slider(widgets.FloatSlider, 1.0, -5.0, 5.0, "logit b")
    assert (inside.min, inside.max, no_text) == (-5.0, 5.0, None)


def test_notes_stay_above_the_result_until_a_control_moves():
    class Noted(Reciprocal):
        def __init__(self):
            self.x = widgets.FloatText(value=2.0, description="x")
            Explorer.__init__(self, [self.x], notes=["x was 1e9; showing 2", None])

    explorer = Noted()
    assert explorer.notes == ["x was 1e9; showing 2"]
    assert shown_html(explorer).index("x was 1e9") < shown_html(explorer).index("1 / 2 = 0.5")
    explorer.x.value = 3.0
    assert explorer.notes == [] and "x was 1e9" not in shown_html(explorer)
