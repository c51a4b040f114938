"""An interactive look at attention weights (notebook 08 on a fresh head, 09 on the trained GPT),
hand-written on `widgets.base.Explorer` (controls on top, one output below).

    AttentionExplorer(tokenizer, qk_fn, n_heads, n_layers=1, text="To be, or not to be")

`qk_fn(idx, layer, head)` receives the encoded text as a LongTensor of shape (1, T) and
returns that head's queries and keys, each of shape (T, head_size). The explorer shows the
weights `attention_weights(q, k, ...)` as a heat map with the tokens on both axes (rows: the
token that asks, columns: the tokens it reads), and next to it how the softmax saturates
as the scores grow: the largest weight and the entropy of the last token's row over the
whole range of the scale slider. Controls: the text, head (and layer) numbers, the causal
mask, the 1/sqrt(head_size) scaling, and an extra scale on the scores.

Only core ipywidgets (Text, IntText, Checkbox, FloatLogSlider, Output) and matplotlib, so
JupyterLab and Colab both render it. Bad input (empty text, characters outside the
vocabulary, a head or layer number out of range, a text longer than the model's context)
shows a message in the widget instead of a traceback. `text_attention` does the same
validation and computation without any widget, raising ValueError; `plot_attention` draws
the heat map on any matplotlib axes.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from ..attention import attention_weights, row_entropy
from ..course.language import say
from .base import Explorer, note

QKFunction = Callable[[torch.Tensor, int, int], tuple[torch.Tensor, torch.Tensor]]

SCALE_RANGE = (0.1, 30.0)  # the scale slider's ends; the saturation plot spans the same range


def show_token(token: str) -> str:
    """A token as an axis label: whitespace made visible."""
    return {" ": "\u2423", "\n": "\\n", "\t": "\\t", "": "\u2205"}.get(token, token)


def encode_text(tokenizer, text: str, max_length: int | None = None) -> torch.Tensor:
    """The text as a (1, T) LongTensor, or ValueError saying what is wrong with it."""
    if not isinstance(text, str) or not text:
        raise ValueError(say("The text is empty. Type a few characters to see their attention."))
    try:
        ids = tokenizer.encode(text)
    except KeyError as exc:  # tokenizers built on a plain dict lookup
        raise ValueError(say("{character} is not in the tokenizer's vocabulary. Use only "
                             "characters from the training text.", character=exc)) from None
    if max_length is not None and len(ids) > max_length:
        raise ValueError(say("The text has {count} tokens but the model sees at most "
                             "{max_length} (its block_size). Shorten the text.",
                             count=len(ids), max_length=max_length))
    return torch.tensor([ids], dtype=torch.long)


def check_index(name: str, value, count: int) -> None:
    """`value` is a whole number in range(count), else ValueError naming the valid range."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < count:
        raise ValueError(say(
            "{name} {value!r} does not exist: this model has {count} {name}s, numbered 0 to "
            "{last}." if count != 1 else
            "{name} {value!r} does not exist: this model has 1 {name}, numbered 0 to 0.",
            name=name, value=value, count=count, last=count - 1))


def query_keys(tokenizer, qk_fn: QKFunction, text: str, *, layer: int = 0, head: int = 0,
               n_layers: int = 1, n_heads: int = 1, max_length: int | None = None):
    """Validate everything, then (tokens, q, k) for one head: token labels and (T, head_size)
    queries and keys."""
    check_index(say("layer"), layer, n_layers)
    check_index(say("head"), head, n_heads)
    idx = encode_text(tokenizer, text, max_length)
    with torch.no_grad():
        q, k = qk_fn(idx, layer, head)
    T = idx.shape[1]
    if q.dim() != 2 or q.shape != k.shape or q.shape[0] != T:
        raise ValueError(f"qk_fn must return q and k of shape (T, head_size) with T = {T}; "
                         f"got q {tuple(q.shape)} and k {tuple(k.shape)}.")
    tokens = [tokenizer.decode([i]) for i in idx[0].tolist()]
    return tokens, q.float(), k.float()


def text_attention(tokenizer, qk_fn: QKFunction, text: str, *, layer: int = 0, head: int = 0,
                   n_layers: int = 1, n_heads: int = 1, causal: bool = True,
                   scaled: bool = True, scale: float = 1.0, max_length: int | None = None):
    """Validate the input and compute one head's attention on `text`, without a widget.

    Returns (tokens, weights): the token strings and the (T, T) weights. Raises ValueError
    with a message for the learner on empty text, unknown characters, a text longer than
    `max_length`, a layer or head number out of range, or a scale that is not > 0.
    """
    tokens, q, k = query_keys(tokenizer, qk_fn, text, layer=layer, head=head,
                              n_layers=n_layers, n_heads=n_heads, max_length=max_length)
    return tokens, attention_weights(q, k, causal=causal, scaled=scaled, scale=scale)


def saturation_curve(q: torch.Tensor, k: torch.Tensor, scales: torch.Tensor,
                     causal: bool = True, scaled: bool = True):
    """For each scale: the largest weight and the entropy (nats) of the last query's row."""
    rows = torch.stack([attention_weights(q, k, causal=causal, scaled=scaled,
                                          scale=float(s))[-1] for s in scales])
    return rows.max(-1).values, row_entropy(rows)


def plot_attention(ax, weights: torch.Tensor, tokens: list[str], title: str = "",
                   annotate: bool | None = None):
    """A heat map of (T, T) weights with the tokens on both axes (rows ask, columns answer);
    returns the image, for a colorbar."""
    labels = [show_token(t) for t in tokens]
    T = len(labels)
    image = ax.imshow(weights.detach().numpy(), cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(T), labels)
    ax.set_yticks(range(T), labels)
    ax.set_xlabel(say("key: the token being read"))
    ax.set_ylabel(say("query: the token reading"))
    ax.set_title(title)
    if annotate if annotate is not None else T <= 12:
        for i in range(T):
            for j in range(T):
                w = weights[i, j].item()
                if w == 0:  # masked: leave the cell empty
                    continue
                label = f"{w:.2f}"  # ".94"; a weight that rounds to 1.00 shows as "1"
                ax.text(j, i, "1" if label == "1.00" else label[1:], ha="center", va="center",
                        fontsize=7, color="white" if w > 0.6 else "black")
    return image


class AttentionExplorer(Explorer):
    """One head's attention on a text, with its controls (see the module docstring).

    tokenizer: has encode(str) -> list[int] (ValueError or KeyError on unknown characters)
        and decode(list[int]) -> str, like lecture_utils.chars.CharTokenizer.
    qk_fn: qk_fn(idx, layer, head) -> (q, k), idx a (1, T) LongTensor, q and k (T, head_size).
    max_length: the longest text the model accepts (its block_size), or None.
    draw: False skips the plots (tests); the weights and messages are computed all the same.

    After every change `tokens` and `weights` ((T, T) tensor) hold what is on screen (None
    while the input is bad, `message` then says why), so it can be tested without a browser.
    """

    results = ("tokens", "weights")

    def __init__(self, tokenizer, qk_fn: QKFunction, n_heads: int, n_layers: int = 1,
                 text: str = "To be, or not to be", max_length: int | None = None,
                 draw: bool = True):
        for name, count in (("n_heads", n_heads), ("n_layers", n_layers)):
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ValueError(say("{name} must be a whole number of at least 1, got {count!r}.",
                                     name=name, count=count))
        self.tokenizer, self.qk_fn = tokenizer, qk_fn
        self.n_heads, self.n_layers, self.max_length = n_heads, n_layers, max_length
        self.draw = draw
        self._cache: dict = {}

        wide = {"description_width": "initial"}
        self.text = widgets.Text(value=text, description=say("text"), continuous_update=False,
                                 layout=widgets.Layout(width="28em"))
        self.head = widgets.IntText(value=0, description=say("head (0-{last})", last=n_heads - 1), style=wide,
                                    layout=widgets.Layout(width="9em"))
        self.layer = widgets.IntText(value=0, description=say("layer (0-{last})", last=n_layers - 1),
                                     style=wide, layout=widgets.Layout(width="9em"))
        self.causal = widgets.Checkbox(value=True, description=say("causal mask (decoder)"))
        self.scaled = widgets.Checkbox(value=True, description=say("scale by 1/sqrt(head_size)"))
        self.scale = widgets.FloatLogSlider(value=1.0, base=10, min=math.log10(SCALE_RANGE[0]),
                                            max=math.log10(SCALE_RANGE[1]), step=0.05,
                                            description=say("extra scale"), style=wide,
                                            continuous_update=False, readout_format=".2f")
        selectors = [self.head] + ([self.layer] if n_layers > 1 else [])
        rows = [widgets.HBox([self.text, *selectors]),
                widgets.HBox([self.causal, self.scaled]),
                self.scale]
        super().__init__([self.text, self.head, self.layer, self.causal, self.scaled, self.scale],
                         rows)

    def summary(self) -> str:
        if self.n_layers > 1:
            return say("attention weights of {layers} layers x {heads} heads on a text you type",
                       layers=self.n_layers, heads=self.n_heads)
        return say("attention weights of {heads} heads on a text you type", heads=self.n_heads)

    def _query_keys(self):
        key = (self.text.value, self.layer.value, self.head.value)
        if key not in self._cache:  # a new text, head or layer: ask the model again
            self._cache = {key: query_keys(
                self.tokenizer, self.qk_fn, self.text.value, layer=self.layer.value,
                head=self.head.value, n_layers=self.n_layers, n_heads=self.n_heads,
                max_length=self.max_length)}
        return self._cache[key]

    def render(self) -> list:
        tokens, q, k = self._query_keys()
        causal, scaled, scale = self.causal.value, self.scaled.value, self.scale.value
        self.tokens = tokens
        self.weights = attention_weights(q, k, causal=causal, scaled=scaled, scale=scale)
        last = self.weights[-1]
        factor = scale * (q.shape[-1] ** -0.5 if scaled else 1.0)
        readout = note(say(
            "scores multiplied by {factor:.3g} (head_size {head_size}). Row of the last token "
            "{token!r}: largest weight {largest:.2f}, entropy {entropy:.2f} nats (uniform over "
            "{count} tokens: {uniform:.2f}; one-hot: 0).",
            factor=factor, head_size=q.shape[-1], token=show_token(tokens[-1]),
            largest=last.max().item(), entropy=row_entropy(last).item(), count=len(tokens),
            uniform=math.log(len(tokens))))
        return [readout, self._figure(tokens, q, k)] if self.draw else [readout]

    def _figure(self, tokens, q, k) -> Figure:
        causal, scaled = self.causal.value, self.scaled.value
        scales = torch.logspace(math.log10(SCALE_RANGE[0]), math.log10(SCALE_RANGE[1]), 60)
        top, entropy = saturation_curve(q, k, scales, causal=causal, scaled=scaled)
        # a Figure outside pyplot: the inline backend never shows it a second time; margins
        # fixed by hand, because a layout engine measures every label first and doubles the time
        fig = Figure(figsize=(12, 5))
        heat, curve = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.3, 1]})
        fig.subplots_adjust(left=0.06, right=0.98, bottom=0.14, top=0.92, wspace=0.3)
        where = say("layer {layer}, head {head}", layer=self.layer.value, head=self.head.value) \
            if self.n_layers > 1 else say("head {head}", head=self.head.value)
        mode = say("causal" if causal else "no mask") + say(", scaled" if scaled else ", unscaled")
        image = plot_attention(heat, self.weights, tokens,
                               say("Attention weights ({where}; {mode})", where=where, mode=mode))
        fig.colorbar(image, ax=heat, fraction=0.046, pad=0.04, label=say("attention weight"))
        curve.semilogx(scales, top, label=say("largest weight"))
        curve.semilogx(scales, entropy / math.log(len(tokens)),
                       label=say("entropy / ln(T)  (1 = uniform)"))
        curve.axvline(self.scale.value, color="grey", linestyle="--", label=say("current scale"))
        curve.set_ylim(-0.02, 1.02)
        curve.set_xlabel(say("extra scale on the scores (log axis)"))
        curve.set_ylabel(say("value"))
        curve.set_title(say("Softmax saturation, last token's row"))
        curve.legend(loc="center left")
        return fig
