"""Attention weights against PyTorch's scaled_dot_product_attention, and the explorer widget
driven through its controls without a browser."""

import math

import pytest
import torch
import torch.nn.functional as F

from lecture_utils.attention import attention, attention_weights, causal_mask, row_entropy
from lecture_utils.chars import CharTokenizer
from lecture_utils.widgets.attention import attention_explorer, text_attention


def randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("shape", [(7, 16), (3, 7, 16), (2, 4, 7, 16)])
@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("scaled", [True, False])
@pytest.mark.parametrize("scale", [1.0, 3.5])
def test_matches_scaled_dot_product_attention(shape, causal, scaled, scale):
    q, k, v = randn(*shape, seed=1), randn(*shape, seed=2), randn(*shape[:-1], 5, seed=3)
    head_size = shape[-1]
    sdpa_scale = scale * (head_size ** -0.5 if scaled else 1.0)
    expected = F.scaled_dot_product_attention(q, k, v, is_causal=causal, scale=sdpa_scale)
    out = attention(q, k, v, causal=causal, scaled=scaled, scale=scale)
    assert out.shape == (*shape[:-1], 5)
    torch.testing.assert_close(out, expected)
    # the weights are what SDPA applies: identity values give them back
    eye = torch.eye(shape[-2], dtype=torch.float64).expand(*shape[:-1], shape[-2])
    weights = F.scaled_dot_product_attention(q, k, eye, is_causal=causal, scale=sdpa_scale)
    torch.testing.assert_close(attention_weights(q, k, causal, scaled, scale), weights)


def test_cross_attention_with_different_lengths():
    q, k, v = randn(2, 3, 8, seed=1), randn(2, 5, 8, seed=2), randn(2, 5, 4, seed=3)
    expected = F.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(attention(q, k, v, causal=False), expected)


def test_causal_rows_ignore_the_future_and_sum_to_one():
    q, k = randn(4, 6, 8, seed=1), randn(4, 6, 8, seed=2)
    w = attention_weights(q, k)
    assert torch.all(w.triu(diagonal=1) == 0)
    torch.testing.assert_close(w.sum(-1), torch.ones(4, 6, dtype=torch.float64))
    assert torch.all(w[:, 0, 0] == 1)  # the first token can only read itself
    assert torch.equal(causal_mask(3), torch.tensor([[1, 0, 0], [1, 1, 0], [1, 1, 1]]).bool())


def test_unscaled_scores_make_softmax_saturate():
    q, k = randn(64, 16, 256, seed=1), randn(64, 16, 256, seed=2)
    scaled = attention_weights(q, k, causal=False, scaled=True)
    unscaled = attention_weights(q, k, causal=False, scaled=False)
    assert unscaled.max(-1).values.mean() > 0.9  # nearly one-hot rows
    assert scaled.max(-1).values.mean() < 0.5
    assert row_entropy(unscaled).mean() < row_entropy(scaled).mean()


def test_row_entropy_of_uniform_and_one_hot_rows():
    rows = torch.tensor([[0.25, 0.25, 0.25, 0.25], [0.0, 1.0, 0.0, 0.0]])
    torch.testing.assert_close(row_entropy(rows), torch.tensor([math.log(4), 0.0]))


@pytest.mark.parametrize("scale", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_scale_is_rejected(scale):
    with pytest.raises(ValueError, match="scale must be a finite number greater than 0"):
        attention_weights(randn(3, 4), randn(3, 4), scale=scale)


def test_mismatched_shapes_are_rejected():
    with pytest.raises(ValueError, match="same head_size"):
        attention_weights(randn(3, 4), randn(3, 5))
    with pytest.raises(ValueError, match="same number of positions"):
        attention(randn(3, 4), randn(3, 4), randn(2, 4))


# --- the explorer -----------------------------------------------------------------------

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
    return attention_explorer(TOKENIZER, model.qk, n_heads=3, n_layers=2, text="abc dea",
                              max_length=10, draw=False)


def expected_weights(model, text, layer, head, **options):
    idx = torch.tensor([TOKENIZER.encode(text)])
    q, k = model.qk(idx, layer, head)
    return attention_weights(q, k, **options)


def test_explorer_starts_with_the_defaults(explorer, model):
    assert explorer.message is None
    assert explorer.tokens == list("abc dea")
    torch.testing.assert_close(explorer.weights, expected_weights(model, "abc dea", 0, 0))
    assert "largest weight" in explorer.status.value


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
    assert message.split(":")[0] in explorer.status.value.replace("&#x27;", "'")
    assert explorer.weights is None
    # fixing the input brings the heat map back
    getattr(explorer, control).value = {"text": "abc", "head": 1, "layer": 1}[control]
    assert explorer.message is None and explorer.weights is not None


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


def test_explorer_draws_without_error(model, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    explorer = attention_explorer(TOKENIZER, model.qk, n_heads=3, text="abc", draw=True)
    explorer.scale.value = 5.0
    assert len(shown) == 2
    heat, curve = shown[-1].axes
    assert [t.get_text() for t in heat.get_xticklabels()] == ["a", "b", "c"]
    assert len(curve.lines) == 3  # largest weight, entropy, current scale


def test_explorer_rejects_a_bad_head_count(model):
    with pytest.raises(ValueError, match="n_heads must be a whole number of at least 1"):
        attention_explorer(TOKENIZER, model.qk, n_heads=0, draw=False)
