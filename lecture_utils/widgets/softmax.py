"""The softmax explorers of notebook 03, hand-written on `widgets.base.Explorer` (controls on
top, one output below) from core ipywidgets only (sliders, text boxes), so they render in
JupyterLab, Jupyter Notebook and Colab alike.

- `SoftmaxExplorer`: a few logits and a temperature as sliders; shows each logit divided by
  the temperature, its exponential (the "count") and the resulting probability as a bar.
- `TemperatureSampler`: a trained bigram model's next-character distribution after a chosen
  previous character, at a chosen temperature, and a few names sampled at that temperature.

Both keep what they computed last (`probs`, and `names` for the sampler; None while the
input is bad), so tests can set the controls and check the result without a browser. A bad
value shows a message in the widget instead of raising.
"""

from __future__ import annotations

import html
import math

import ipywidgets as widgets
import torch

from ..course.language import say
from ..names import sample_name
from ..softmax import softmax_with_temperature
from .base import WIDE, Explorer, fitted_slider, note

BAR_WIDTH = 300  # pixels for probability 1


def _bars_html(labels, probs, columns=()) -> str:
    """An HTML table: one row per outcome with optional extra columns, a bar and the value.

    `columns` holds (heading, values) pairs shown before the bar."""
    head = "".join(f"<th style='padding:0 8px'>{html.escape(h)}</th>" for h, _ in columns)
    rows = []
    for i, (label, p) in enumerate(zip(labels, probs, strict=True)):
        cells = "".join(f"<td style='padding:0 8px;text-align:right'>{values[i]}</td>"
                        for _, values in columns)
        bar = (f"<div style='background:#4c72b0;height:12px;"
               f"width:{max(float(p) * BAR_WIDTH, 0.5):.1f}px'></div>")
        rows.append(f"<tr><td style='padding:0 8px'><b>{html.escape(str(label))}</b></td>"
                    f"{cells}<td>{bar}</td><td style='padding:0 8px'>{float(p):.4f}</td></tr>")
    return (f"<table><tr><th>{say('outcome')}</th>{head}<th>{say('probability')}</th><th></th></tr>"
            + "".join(rows) + "</table>")


TEMPERATURES = (0.01, 10.0)  # the temperature slider's usual ends


def _temperature_slider(value: float) -> tuple[widgets.FloatLogSlider, str | None]:
    """The temperature slider (log scale), widened for a value outside its usual range; a
    temperature of 0 or less, which no softmax takes, starts at the lowest and says so."""
    low, high = TEMPERATURES
    note_text = None
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        note_text = say("temperature = {value!r} cannot be used: the logits are divided by it, "
                        "so it must be a number above 0 (T -> 0 approaches the argmax). Showing "
                        "{low:g}, the slider's lowest.", value=value, low=low)
        value = low
    elif not low <= value <= high:
        note_text = say("{description} = {value:g} lies outside the slider's usual range, "
                        "{low:g} to {high:g}: the slider was widened to show it exactly.",
                        description=say("temperature"), value=value, low=low, high=high)
        low, high = min(low, value), max(high, value)
    slider = widgets.FloatLogSlider(value=value, base=10, min=math.log10(low),
                                    max=math.log10(high), step=0.05, description=say("temperature"),
                                    readout_format=".2f", style=WIDE)
    return slider, note_text


class SoftmaxExplorer(Explorer):
    """Sliders for a few logits and a temperature; the softmax as bars, with exp-counts."""

    results = ("probs",)

    def __init__(self, logits=(2.0, 1.0, 0.1, -1.0), labels=None, temperature=1.0):
        labels = list(labels) if labels is not None else [chr(ord("a") + i) for i in range(len(logits))]
        if len(labels) != len(logits) or not logits:
            raise ValueError(say("Give one label per logit (got {labels} labels for {logits} "
                                 "logits), and at least one logit.",
                                 labels=len(labels), logits=len(logits)))
        self.labels = labels
        fitted = [fitted_slider(widgets.FloatSlider, float(v), -5.0, 5.0,
                                say("logit {label}", label=label), step=0.1)
                  for label, v in zip(labels, logits, strict=True)]
        self.logit_sliders = [slider for slider, _ in fitted]
        self.temperature, temperature_note = _temperature_slider(temperature)
        super().__init__([*self.logit_sliders, self.temperature],
                         notes=[text for _, text in fitted] + [temperature_note])

    def summary(self) -> str:
        return say("sliders for {count} logits and a temperature", count=len(self.logit_sliders))

    def render(self) -> list:
        logits = torch.tensor([s.value for s in self.logit_sliders], dtype=torch.float64)
        temperature = self.temperature.value
        self.probs = softmax_with_temperature(logits, temperature)
        scaled = [x / temperature for x in logits.tolist()]
        # exp of logit/T in double precision, only for display; the softmax itself subtracts
        # the largest logit first and never forms these (possibly huge) numbers
        counts = [math.exp(x) if x < 709 else math.inf for x in scaled]
        return [
            _bars_html(self.labels, self.probs, columns=[
                ("logit / T", [f"{x:.2f}" for x in scaled]),
                ("exp(logit / T)", [f"{c:.4g}" for c in counts]),
            ]),
            note(say("sum of the exp-counts: {total:.4g}; probability = exp-count / sum.",
                     total=sum(counts))),
        ]


class TemperatureSampler(Explorer):
    """A bigram model's next-character distribution and sampled names at a temperature.

    `logits_table[i]` holds the logits of the character that follows character `i` (the
    trained W of notebook 03, or the log of a count table)."""

    results = ("probs", "names")

    def __init__(self, logits_table, itos, previous=".", temperature=1.0, num_names=5,
                 seed=2147483647, max_length=30):
        self.logits_table = torch.as_tensor(logits_table).detach()
        if self.logits_table.dim() != 2 or self.logits_table.shape[0] != self.logits_table.shape[1] \
                or self.logits_table.shape[0] != len(itos):
            raise ValueError(say("logits_table must be a square table with one row per "
                                 "character ({n} x {n}), got shape {shape}.",
                                 n=len(itos), shape=tuple(self.logits_table.shape)))
        self.itos = itos
        self.stoi = {ch: i for i, ch in itos.items()}
        self.max_length = max_length
        self.previous = widgets.Text(value=previous, description=say("previous"), style=WIDE)
        self.temperature, temperature_note = _temperature_slider(temperature)
        self.num_names, names_note = fitted_slider(widgets.IntSlider, num_names, 1, 20, say("names"))
        self.seed = widgets.IntText(value=seed, description=say("seed"), style=WIDE)
        super().__init__([self.previous, self.temperature, self.num_names, self.seed],
                         notes=[temperature_note, names_note])

    def summary(self) -> str:
        return say("next-character probabilities and sampled names at a temperature")

    def render(self) -> list:
        previous, temperature, seed = self.previous.value, self.temperature.value, self.seed.value
        if previous not in self.stoi:
            known = " ".join(self.itos[i] for i in sorted(self.itos))
            raise ValueError(say("Unknown previous character {previous!r}. Type exactly one "
                                 "of: {known} ('.' is the start of a name).",
                                 previous=previous, known=known))
        if seed < 0:
            raise ValueError(say("seed must be 0 or more, got {seed}.", seed=seed))
        self.probs = softmax_with_temperature(self.logits_table[self.stoi[previous]], temperature)

        def next_char_probs(context):
            return softmax_with_temperature(self.logits_table[context[0, -1]], temperature)

        generator = torch.Generator().manual_seed(seed)
        self.names = [sample_name(next_char_probs, self.itos, 1, generator, self.max_length)
                      for _ in range(self.num_names.value)]
        labels = [self.itos[i] for i in range(len(self.itos))]
        shown = [html.escape(n) + (say(" (cut at max_length)") if len(n) == self.max_length else "")
                 for n in self.names]
        return [  # the names first: the 27-row table would push them out of sight
            f"<p>{say('Names sampled at this temperature:')} <b>" + ", ".join(shown) + "</b></p>",
            note(say("Next character after {previous!r} at temperature {temperature:.2f}:",
                     previous=previous, temperature=temperature)),
            _bars_html(labels, self.probs),
        ]
