"""record() leaves metrics inside the notebook; read_metrics() gets them back."""

import math

import nbformat
import pytest

from lecture_utils.course import metrics


@pytest.fixture
def shown(monkeypatch):
    outputs = []
    monkeypatch.setattr("IPython.display.display", lambda obj, raw: outputs.append(obj))
    return outputs


def test_record_shows_text_and_stores_the_value(shown):
    metrics.record("dev_loss", 2.17034, note="after 200k steps")
    (bundle,) = shown
    assert bundle["text/plain"] == "recorded dev_loss = 2.1703  (after 200k steps)"
    assert bundle[metrics.METRIC_MIME] == {"name": "dev_loss", "value": 2.17034}


def test_integers_stay_integers(shown):
    metrics.record("parameters", 11897)
    assert shown[0]["text/plain"] == "recorded parameters = 11,897"
    assert isinstance(shown[0][metrics.METRIC_MIME]["value"], int)


@pytest.mark.parametrize("bad", [math.nan, math.inf, "2.1", None, True])
def test_record_rejects_what_is_not_a_finite_number(bad, shown):
    with pytest.raises(ValueError, match="must be a finite number"):
        metrics.record("loss", bad)
    assert shown == []


def test_read_metrics_collects_every_recorded_value_and_the_last_wins():
    def metric_output(name, value):
        return nbformat.v4.new_output(
            "display_data", data={"text/plain": "", metrics.METRIC_MIME: {"name": name, "value": value}}
        )

    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("", outputs=[metric_output("loss", 3.0), metric_output("steps", 10)]),
        nbformat.v4.new_markdown_cell("text"),
        nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output("stream", text="hi\n"),
                                               metric_output("loss", 2.5)]),
    ]
    assert metrics.read_metrics(nb) == {"loss": 2.5, "steps": 10}
