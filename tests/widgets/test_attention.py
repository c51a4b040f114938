"""The attention explorer of notebooks 08 and 09, driven through its controls, and the
widget-free `text_attention` it shares its validation with."""

import matplotlib.pyplot as plt
import pytest
import torch

from lecture_utils.attention import attention_weights, row_entropy
from lecture_utils.chars import CharTokenizer
from lecture_utils.widgets.attention import AttentionExplorer, text_attention

from . import shown_html, shown_images

TOKENIZER = CharTokenizer("abcdefgh ,.")
HEAD_SIZE = 8


class TinyModel:
    """Two layers of three random heads over token embeddings; records its calls."""

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.embedding = torch.randn(TOKENIZER.vocab_size, 12, generator=g)
        self.weights = torch.randn(2, 3, 2, 12, HEAD_SIZE, generator=g)
        self.calls = []

    def qk(self, idx, layer, head):
        assert idx.shape[0] == 1 and idx.dtype == torch.long
        self.calls.append((idx[0].tolist(), layer, head))
        x = self.embedding[idx[0]]
        return x @ self.weights[layer, head, 0], x @ self.weights[layer, head, 1]


@pytest.fixture
def model():
    return TinyModel()


@pytest.fixture
def explorer(model):
    return AttentionExplorer(TOKENIZER, model.qk, n_heads=3, n_layers=2, text="abc dea",
                             max_length=10, draw=False)


def expected_weights(model, text, layer, head, **options):
    idx = torch.tensor([TOKENIZER.encode(text)])
    q, k = model.qk(idx, layer, head)
    return attention_weights(q, k, **options)


def test_explorer_starts_with_the_defaults(explorer, model):
    assert explorer.message is None
    assert explorer.tokens == list("abc dea")
    torch.testing.assert_close(explorer.weights, expected_weights(model, "abc dea", 0, 0))
    assert "largest weight" in shown_html(explorer)
    assert shown_images(explorer) == []  # draw=False


def test_explorer_follows_its_controls(explorer, model):
    explorer.head.value = 2
    explorer.layer.value = 1
    torch.testing.assert_close(explorer.weights, expected_weights(model, "abc dea", 1, 2))
    explorer.causal.value = False
    explorer.scaled.value = False
    explorer.scale.value = 3.0
    torch.testing.assert_close(explorer.weights, expected_weights(
        model, "abc dea", 1, 2, causal=False, scaled=False, scale=3.0))
    assert explorer.weights[0, -1] > 0  # no mask: the first token reads the last one
    explorer.text.value = "hh,g."
    assert explorer.tokens == list("hh,g.")
    torch.testing.assert_close(explorer.weights, expected_weights(
        model, "hh,g.", 1, 2, causal=False, scaled=False, scale=3.0))


def test_changing_only_the_scale_does_not_call_the_model_again(explorer, model):
    calls = len(model.calls)
    explorer.scale.value = 10.0
    explorer.causal.value = False
    assert len(model.calls) == calls
    explorer.head.value = 1
    assert len(model.calls) == calls + 1


def test_a_larger_scale_saturates_the_rows(explorer):
    explorer.causal.value = False
    explorer.scale.value = 0.1
    soft = explorer.weights.max(-1).values.mean()
    explorer.scale.value = 30.0
    assert explorer.weights.max(-1).values.mean() > soft
    assert row_entropy(explorer.weights).mean() < 0.5


@pytest.mark.parametrize("control, value, message", [
    ("text", "", "The text is empty"),
    ("text", "abz!", "Characters not in the vocabulary: '!z'"),
    ("text", "abcdefgh abc", "has 12 tokens but the model sees at most 10"),
    ("head", 3, "head 3 does not exist: this model has 3 heads, numbered 0 to 2"),
    ("head", -1, "head -1 does not exist"),
    ("layer", 2, "layer 2 does not exist: this model has 2 layers, numbered 0 to 1"),
])
def test_bad_input_shows_a_message_not_a_traceback(explorer, control, value, message):
    getattr(explorer, control).value = value
    assert explorer.message is not None and message in explorer.message
    assert message in shown_html(explorer) and "largest weight" not in shown_html(explorer)
    assert explorer.tokens is None and explorer.weights is None
    # fixing the input brings the weights back
    getattr(explorer, control).value = {"text": "abc", "head": 1, "layer": 1}[control]
    assert explorer.message is None and explorer.weights is not None
    assert "largest weight" in shown_html(explorer)


@pytest.mark.parametrize("kwargs, message", [
    ({"text": ""}, "The text is empty. Type a few characters"),
    ({"text": "a?"}, "Characters not in the vocabulary: '?'. Use only characters"),
    ({"text": "abc", "head": 5}, "head 5 does not exist: this model has 3 heads, numbered 0 to 2."),
    ({"text": "abc", "layer": 1}, "layer 1 does not exist: this model has 1 layer, numbered 0 to 0."),
    ({"text": "abc", "scale": 0.0}, "scale must be a finite number greater than 0"),
])
def test_text_attention_raises_clear_value_errors(model, kwargs, message):
    with pytest.raises(ValueError) as info:
        text_attention(TOKENIZER, model.qk, n_heads=3, **kwargs)
    assert message in str(info.value)


def test_text_attention_rejects_a_qk_fn_with_the_wrong_shapes():
    def batched(idx, layer, head):  # returns (1, T, head_size) instead of (T, head_size)
        return torch.zeros(1, idx.shape[1], 4), torch.zeros(1, idx.shape[1], 4)

    with pytest.raises(ValueError, match=r"qk_fn must return q and k of shape \(T, head_size\)"):
        text_attention(TOKENIZER, batched, "abc")


def test_a_tokenizer_that_raises_key_error_is_handled(model):
    class DictTokenizer:
        stoi = {"a": 0, "b": 1}

        def encode(self, text):
            return [self.stoi[c] for c in text]

    with pytest.raises(ValueError, match="'x' is not in the tokenizer's vocabulary"):
        text_attention(DictTokenizer(), model.qk, "abx")


def test_explorer_draws_the_heat_map_and_the_saturation_curves(model):
    explorer = AttentionExplorer(TOKENIZER, model.qk, n_heads=3, text="abc")
    explorer.scale.value = 5.0
    assert len(shown_images(explorer)) == 1  # the new figure replaced the first one
    explorer.text.value = "abz!"
    assert shown_images(explorer) == []  # no stale heat map under the message
    explorer.text.value = "abc"
    _, figure = explorer.render()
    heat, curve, colorbar = figure.axes
    assert [t.get_text() for t in heat.get_xticklabels()] == ["a", "b", "c"]
    assert colorbar.get_ylabel() == "attention weight"
    assert len(curve.lines) == 3  # largest weight, entropy, current scale
    assert plt.get_fignums() == []  # outside pyplot: the inline backend shows nothing twice


def test_the_static_view_says_what_the_explorer_is(model):
    explorer = AttentionExplorer(TOKENIZER, model.qk, n_heads=3, n_layers=2, draw=False)
    assert repr(explorer) == ("AttentionExplorer: attention weights of 2 layers x 3 heads on a "
                              "text you type (run the notebook to use it)")


def test_explorer_rejects_a_bad_head_count(model):
    with pytest.raises(ValueError, match="n_heads must be a whole number of at least 1"):
        AttentionExplorer(TOKENIZER, model.qk, n_heads=0, draw=False)


def test_weights_that_round_to_one_are_labelled_1_not_00():
    from matplotlib.figure import Figure

    from lecture_utils.widgets.attention import plot_attention
    ax = Figure().subplots()
    plot_attention(ax, torch.tensor([[1.0, 0.0], [0.996, 0.004]]), ["a", "b"], annotate=True)
    assert [text.get_text() for text in ax.texts] == ["1", "1", ".00"]  # 0 weights stay empty
