"""The GPT pieces of notebook 08 against torch.nn oracles, with tiny shapes: the batched
attention against the per-head modules and F.scaled_dot_product_attention, LayerNorm
against nn.LayerNorm, the causal mask, parameter counts, a short seeded training run, the
learning-rate schedule, and checkpoints (round trip, missing, corrupt, other config)."""

import math
from dataclasses import replace

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from lecture_utils.gpt import (
    CONFIGS,
    GPT,
    BigramLanguageModel,
    CausalSelfAttention,
    CheckpointError,
    GPTConfig,
    LayerNorm,
    MultiHeadAttention,
    count_parameters,
    estimate_loss,
    init_weights,
    learning_rate_at,
    load_checkpoint,
    save_checkpoint,
    train,
)

TINY = GPTConfig(block_size=8, n_embd=16, n_heads=4, n_layers=2, dropout=0.0, batch_size=8,
                 learning_rate=1e-2, max_iters=60, eval_interval=20, eval_iters=4, vocab_size=5)


def generator(seed=0):
    return torch.Generator().manual_seed(seed)


def per_head_module(n_embd=16, n_heads=4, block_size=8, seed=0):
    module = MultiHeadAttention(n_embd, n_heads, block_size)
    init_weights(module, generator(seed), std=0.3)
    return module


@pytest.mark.parametrize("n_heads", [1, 2, 4])
def test_batched_attention_equals_per_head_modules(n_heads):
    per_head = per_head_module(n_heads=n_heads)
    x = torch.randn(3, 8, 16, generator=generator(1))
    expected = per_head(x)
    for fused in (False, True):
        batched = CausalSelfAttention(16, n_heads, block_size=8, fused=fused)
        batched.copy_from(per_head)
        torch.testing.assert_close(batched(x), expected, atol=1e-6, rtol=1e-5)
    # shorter sequences than block_size use the top-left corner of the mask
    torch.testing.assert_close(batched(x[:, :5]), per_head(x[:, :5]), atol=1e-6, rtol=1e-5)


def test_batched_attention_equals_scaled_dot_product_attention():
    batched = CausalSelfAttention(16, 4, block_size=8, fused=False)
    init_weights(batched, generator(2), std=0.3)
    x = torch.randn(2, 8, 16, generator=generator(3))
    q, k, v = (t.view(2, 8, 4, 4).transpose(1, 2) for t in batched.qkv(x).split(16, dim=2))
    attended = F.scaled_dot_product_attention(q, k, v, is_causal=True)
    expected = batched.proj(attended.transpose(1, 2).reshape(2, 8, 16))
    torch.testing.assert_close(batched(x), expected, atol=1e-6, rtol=1e-5)


def test_heads_must_divide_the_embedding():
    with pytest.raises(ValueError, match=r"n_embd \(10\) must be divisible by n_heads \(4\)"):
        CausalSelfAttention(10, 4, block_size=8)
    with pytest.raises(ValueError, match="divisible"):
        GPT(replace(TINY, n_heads=3), generator())


def test_layer_norm_matches_torch():
    ours, theirs = LayerNorm(16), nn.LayerNorm(16)
    with torch.no_grad():
        ours.weight.copy_(torch.randn(16, generator=generator(4)))
        ours.bias.copy_(torch.randn(16, generator=generator(5)))
    theirs.load_state_dict(ours.state_dict())
    x = torch.randn(2, 8, 16, generator=generator(6)) * 5 + 3
    torch.testing.assert_close(ours(x), theirs(x), atol=1e-5, rtol=1e-5)
    x.requires_grad_(True)
    grad_ours = torch.autograd.grad(ours(x).pow(2).sum(), x)[0]
    grad_theirs = torch.autograd.grad(theirs(x).pow(2).sum(), x)[0]
    torch.testing.assert_close(grad_ours, grad_theirs, atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("fused", [True, False])
def test_future_tokens_do_not_change_earlier_logits(fused):
    model = GPT(replace(TINY, fused_attention=fused), generator(7))
    idx = torch.randint(0, 5, (2, 8), generator=generator(8))
    changed = idx.clone()
    changed[:, 5] = (changed[:, 5] + 1) % 5
    with torch.no_grad():
        before, after = model(idx)[0], model(changed)[0]
    torch.testing.assert_close(before[:, :5], after[:, :5], atol=0, rtol=0)
    assert not torch.allclose(before[:, 5:], after[:, 5:])


def test_context_longer_than_block_size_is_a_clear_error():
    with pytest.raises(ValueError, match="at most 8 .*Crop it"):
        GPT(TINY, generator())(torch.zeros((1, 9), dtype=torch.long))


def test_parameter_counts_of_the_lecture_configs():
    assert count_parameters(CONFIGS["lecture"]) == 10_788_929
    assert count_parameters(CONFIGS["small"]) == 209_729  # the lecture's 0.2097M
    model = GPT(TINY, generator())
    assert count_parameters(TINY) == sum(p.numel() for p in model.parameters())


def test_init_weights_is_fixed_by_the_generator():
    a, b = GPT(TINY, generator(9)), GPT(TINY, generator(9))
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(p, q), name
    assert not torch.equal(GPT(TINY, generator(10)).lm_head.weight, a.lm_head.weight)


def test_untrained_bigram_loss_is_above_uniform():
    bigram = BigramLanguageModel(65, generator(11))
    idx = torch.randint(0, 65, (16, 8), generator=generator(12))
    _, loss = bigram(idx, torch.randint(0, 65, (16, 8), generator=generator(13)))
    assert math.log(65) + 0.3 < loss.item() < math.log(65) + 1.2  # N(0, 1) logits: about 4.9


def test_generate_extends_and_crops_the_context():
    model = GPT(TINY, generator(14))
    out = model.generate(torch.zeros((2, 3), dtype=torch.long), 12, generator(15))
    assert out.shape == (2, 15) and out.max() < 5 and model.training
    again = model.generate(torch.zeros((2, 3), dtype=torch.long), 12, generator(15))
    assert torch.equal(out, again)


def test_learning_rate_schedule():
    constant = replace(TINY, max_iters=100)
    assert learning_rate_at(0, constant) == learning_rate_at(99, constant) == 1e-2
    schedule = replace(TINY, max_iters=100, warmup_iters=10, min_lr=1e-3)
    assert learning_rate_at(0, schedule) == pytest.approx(1e-3)
    assert learning_rate_at(9, schedule) == pytest.approx(1e-2)
    assert learning_rate_at(55, schedule) == pytest.approx((1e-2 + 1e-3) / 2)
    assert learning_rate_at(100, schedule) == pytest.approx(1e-3)
    rates = [learning_rate_at(step, schedule) for step in range(10, 101)]
    assert all(a >= b for a, b in zip(rates, rates[1:], strict=False))


def pattern_data(length=2000):
    """A repeating 5-symbol text: a model with context learns it almost perfectly."""
    return torch.tensor([0, 1, 2, 3, 4, 2, 1] * (length // 7), dtype=torch.long)


def test_seeded_training_run_learns_the_pattern_and_keeps_the_best():
    data = pattern_data()
    model = GPT(TINY, generator(16))
    untrained = estimate_loss(model, data, TINY, generator(0))
    history = train(model, TINY, data, data, generator(17), progress=False)
    assert 1.3 < untrained < 2.0  # about ln(5) = 1.61
    assert history["step"] == [0, 20, 40, 60]
    assert history["best_val"] == min(history["val"]) < 0.3
    assert history["best_step"] == history["step"][history["val"].index(history["best_val"])]
    assert history["seconds"] > 0
    # the model holds the best weights: re-estimating on the same batches gives best_val
    assert estimate_loss(model, data, TINY, generator(0)) == pytest.approx(history["best_val"])
    again = GPT(TINY, generator(16))
    assert train(again, TINY, data, data, generator(17), progress=False)["val"] == history["val"]


def test_estimate_loss_restores_training_mode():
    model = GPT(replace(TINY, dropout=0.5), generator(18))
    estimate_loss(model, pattern_data(), TINY, generator(0))
    assert model.training
    model.eval()
    estimate_loss(model, pattern_data(), TINY, generator(0))
    assert not model.training


def test_checkpoint_round_trip(tmp_path):
    path = tmp_path / "gpt.pt"
    model = GPT(TINY, generator(19))
    history = {"step": [0, 10], "train": [1.6, 1.2], "val": [1.6, 1.3], "best_val": 1.3,
               "best_step": 10, "seconds": 1.5}
    save_checkpoint(path, model, TINY, 1337, history)
    assert torch.load(path, weights_only=True)["config"]["n_embd"] == 16  # plain data only
    restored = GPT(TINY, generator(20))
    assert load_checkpoint(path, restored, TINY, 1337) == history
    for name, tensor in model.state_dict().items():
        assert torch.equal(restored.state_dict()[name], tensor), name


def test_missing_corrupt_and_mismatched_checkpoints_are_clear_errors(tmp_path):
    model = GPT(TINY, generator(21))
    with pytest.raises(CheckpointError, match="No checkpoint missing.pt yet"):
        load_checkpoint(tmp_path / "missing.pt", model, TINY, 1337)
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"\x00not a checkpoint")
    with pytest.raises(CheckpointError, match="corrupt.pt cannot be read"):
        load_checkpoint(corrupt, model, TINY, 1337)
    good = tmp_path / "good.pt"
    save_checkpoint(good, model, TINY, 1337, {"best_val": 1.0})
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CheckpointError, match="truncated.pt cannot be read"):
        load_checkpoint(truncated, model, TINY, 1337)
    with pytest.raises(CheckpointError, match=r"another configuration: n_layers 2 instead of 3"):
        load_checkpoint(good, GPT(replace(TINY, n_layers=3), generator()),
                        replace(TINY, n_layers=3), 1337)
    with pytest.raises(CheckpointError, match="seed 1337 instead of 7"):
        load_checkpoint(good, model, TINY, 7)
