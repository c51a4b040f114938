"""Attention weights against PyTorch's scaled_dot_product_attention."""

import math

import pytest
import torch
import torch.nn.functional as F

from lecture_utils.attention import attention, attention_weights, causal_mask, row_entropy


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
