"""softmax_with_temperature (lecture_utils/softmax.py, saved from notebook 03)."""

import math

import pytest
import torch

from lecture_utils.softmax import softmax_with_temperature


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0, 2.0, 7.5])
def test_matches_torch_softmax_of_scaled_logits(temperature):
    logits = torch.randn(6, 27, generator=torch.Generator().manual_seed(0)) * 3
    expected = torch.softmax(logits / temperature, dim=-1)
    torch.testing.assert_close(softmax_with_temperature(logits, temperature), expected)


def test_dim_argument_normalises_that_dimension():
    logits = torch.randn(4, 5, generator=torch.Generator().manual_seed(1))
    probs = softmax_with_temperature(logits, 1.0, dim=0)
    torch.testing.assert_close(probs, torch.softmax(logits, dim=0))
    torch.testing.assert_close(probs.sum(0), torch.ones(5))


def test_huge_logits_give_no_nan():
    logits = torch.tensor([1000.0, 999.0, -1000.0])
    naive = logits.exp() / logits.exp().sum()  # inf / inf: what the stable version avoids
    assert torch.isnan(naive).any()
    probs = softmax_with_temperature(logits)
    assert torch.isfinite(probs).all()
    torch.testing.assert_close(probs, torch.tensor([1 / (1 + math.exp(-1)), 1 / (1 + math.e), 0.0]))
    extreme = softmax_with_temperature(torch.tensor([3e38, -3e38, 0.0]), 0.5)
    assert torch.equal(extreme, torch.tensor([1.0, 0.0, 0.0]))


def test_small_temperature_approaches_argmax():
    logits = torch.tensor([[0.3, 2.0, 1.9, -4.0], [5.0, 0.0, 4.0, 1.0]])
    one_hot = torch.nn.functional.one_hot(logits.argmax(-1), 4).float()
    previous_gap = None
    for temperature in [1.0, 0.3, 0.1, 0.03]:
        gap = (softmax_with_temperature(logits, temperature) - one_hot).abs().max().item()
        assert previous_gap is None or gap < previous_gap
        previous_gap = gap
    assert torch.equal(softmax_with_temperature(logits, 1e-30), one_hot)


def test_large_temperature_approaches_uniform():
    probs = softmax_with_temperature(torch.tensor([3.0, -2.0, 0.5, 1.0]), 1e6)
    torch.testing.assert_close(probs, torch.full((4,), 0.25))


def test_ties_share_the_argmax_and_minus_inf_means_zero():
    probs = softmax_with_temperature(torch.tensor([2.0, 2.0, -math.inf]), 1e-9)
    assert torch.equal(probs, torch.tensor([0.5, 0.5, 0.0]))


def test_integer_logits_are_accepted():
    torch.testing.assert_close(softmax_with_temperature([1, 2, 3]),
                               torch.softmax(torch.tensor([1.0, 2.0, 3.0]), 0))


@pytest.mark.parametrize("temperature", [0, -1.0, math.inf, -math.inf, math.nan])
def test_bad_temperature_is_a_clear_error(temperature):
    with pytest.raises(ValueError, match="temperature must be a finite number greater than 0"):
        softmax_with_temperature(torch.zeros(3), temperature)


@pytest.mark.parametrize("temperature", ["1.0", None, True, torch.tensor(1.0)])
def test_temperature_that_is_not_a_number_is_a_clear_error(temperature):
    with pytest.raises(ValueError, match="temperature must be a number.*e.g. 1.0"):
        softmax_with_temperature(torch.zeros(3), temperature)


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_nan_or_plus_inf_logits_are_a_clear_error(bad):
    with pytest.raises(ValueError, match="must not contain NaN or \\+inf"):
        softmax_with_temperature(torch.tensor([0.0, bad]))


def test_all_minus_inf_is_a_clear_error():
    with pytest.raises(ValueError, match="every logit .* is -inf"):
        softmax_with_temperature(torch.tensor([[0.0, 1.0], [-math.inf, -math.inf]]))
