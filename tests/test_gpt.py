"""The GPT model of notebook 09 against torch.nn oracles, with tiny shapes: the batched
attention against the per-head modules and F.scaled_dot_product_attention, LayerNorm
against nn.LayerNorm, the causal mask, parameter counts from the shape alone, and sampling
with a temperature and top-k; the later changes (rotary positions, QK-norm, RMSNorm, ReLU
squared, zero-initialised projections, tied embeddings) against their defining properties
and torch.nn. Training and checkpoints: test_gpt_training.py."""

import math
from dataclasses import replace

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from lecture_utils.gpt import (
    ACTIVATIONS,
    GPT,
    BigramLanguageModel,
    CausalSelfAttention,
    GPTConfig,
    LayerNorm,
    MultiHeadAttention,
    RMSNorm,
    RotaryEmbedding,
    count_parameters,
    init_weights,
)

TINY = GPTConfig(block_size=8, n_layers=2, n_heads=4, n_embd=16, vocab_size=5)


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


@pytest.mark.parametrize("config", [
    TINY,
    replace(TINY, n_layers=3, vocab_size=7),
    replace(TINY, block_size=4, n_heads=2, n_embd=8),
    replace(TINY, dropout=0.3, fused_attention=False),
])
def test_count_parameters_from_the_shape_equals_a_real_model(config):
    model = GPT(config, generator())
    assert count_parameters(config) == sum(p.numel() for p in model.parameters())


def test_count_parameters_depends_on_the_shape_only():
    assert count_parameters(replace(TINY, dropout=0.5, fused_attention=False)) == count_parameters(TINY)
    assert count_parameters(replace(TINY, n_heads=2)) == count_parameters(TINY)  # same matrices
    assert count_parameters(replace(TINY, block_size=9)) == count_parameters(TINY) + 16


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


def sample_as_before(model, idx, max_new_tokens, sampler):
    """generate as it was before it had a temperature and top-k: the defaults must match it."""
    model.eval()
    with torch.no_grad():
        for _ in range(max_new_tokens):
            probs = F.softmax(model(idx[:, -model.block_size:])[0][:, -1, :], dim=-1)
            idx = torch.cat((idx, torch.multinomial(probs, num_samples=1, generator=sampler)), dim=1)
    return idx


def greedy(model, idx, max_new_tokens):
    model.eval()
    with torch.no_grad():
        for _ in range(max_new_tokens):
            next_ids = model(idx[:, -model.block_size:])[0][:, -1, :].argmax(-1, keepdim=True)
            idx = torch.cat((idx, next_ids), dim=1)
    return idx


@pytest.mark.parametrize("seed", [16, 17])
def test_generate_defaults_sample_exactly_as_before(seed):
    model, start = GPT(TINY, generator(seed)), torch.zeros((3, 1), dtype=torch.long)
    ours, reference = generator(seed), generator(seed)
    out = model.generate(start, 20, ours, temperature=1.0, top_k=None)
    assert torch.equal(out, sample_as_before(model, start, 20, reference))
    assert torch.equal(ours.get_state(), reference.get_state())  # the same random draws used


def test_top_k_1_and_a_temperature_near_0_are_greedy():
    model = GPT(replace(TINY, vocab_size=65), generator(18))
    init_weights(model, generator(18), std=0.5)  # distinct logits: no ties for the argmax
    start = torch.randint(0, 65, (4, 2), generator=generator(19))
    expected = greedy(model, start, 15)
    assert torch.equal(model.generate(start, 15, generator(20), top_k=1), expected)
    assert torch.equal(model.generate(start, 15, generator(21), temperature=1e-5), expected)
    assert not torch.equal(model.generate(start, 15, generator(22)), expected)  # sampling differs


def test_top_k_samples_among_the_k_likeliest_only():
    bigram = BigramLanguageModel(65, generator(23))  # the next character's logits: one table row
    out = bigram.generate(torch.zeros((8, 1), dtype=torch.long), 40, generator(24), top_k=3)
    allowed = bigram.token_embedding_table.weight.topk(3, dim=-1).indices  # (65, 3)
    for previous, following in zip(out[:, :-1].flatten(), out[:, 1:].flatten()):
        assert following in allowed[previous]
    assert len(out[:, 1:].unique()) > 3  # not the same three characters everywhere


@pytest.mark.parametrize("temperature", [0, -1.0])
def test_temperature_must_be_positive(temperature):
    with pytest.raises(ValueError, match=f"temperature must be positive .*got {temperature}"):
        GPT(TINY, generator()).generate(torch.zeros((1, 1), dtype=torch.long), 3, generator(),
                                        temperature=temperature)


@pytest.mark.parametrize("top_k", [0, -2])
def test_top_k_must_be_at_least_1(top_k):
    with pytest.raises(ValueError, match=f"top_k must be None .*or at least 1, got {top_k}"):
        GPT(TINY, generator()).generate(torch.zeros((1, 1), dtype=torch.long), 3, generator(),
                                        top_k=top_k)


# The later changes of "What later GPTs changed": rotary positions, QK-norm, RMSNorm, ReLU
# squared, zero-initialised projections and tied embeddings.

LATER = replace(TINY, positions="rotary", qk_norm=True, activation="relu2", norm="rmsnorm",
                zero_init_projections=True)


def at_position(rotary, vector, t):
    return rotary(vector.expand(1, t + 1, -1))[0, t]


def test_rotary_scores_depend_on_the_offset_only():
    rotary = RotaryEmbedding(head_size=8, block_size=32)
    q, k = torch.randn(2, 8, generator=generator(30))
    scores = {(tq, tk): at_position(rotary, q, tq) @ at_position(rotary, k, tk)
              for tq, tk in [(5, 2), (31, 28), (3, 0), (5, 1)]}
    assert scores[(5, 2)] == pytest.approx(scores[(31, 28)].item(), abs=1e-5)
    assert scores[(5, 2)] == pytest.approx(scores[(3, 0)].item(), abs=1e-5)
    assert abs(scores[(5, 2)] - scores[(5, 1)]) > 1e-3  # another offset, another score


def test_rotary_turns_without_stretching_and_leaves_position_0_alone():
    rotary = RotaryEmbedding(head_size=8, block_size=16)
    x = torch.randn(3, 16, 2, 8, generator=generator(31))  # (B, T, heads, head_size)
    turned = rotary(x)
    assert torch.allclose(turned.norm(dim=-1), x.norm(dim=-1), atol=1e-5)
    assert torch.equal(turned[:, 0], x[:, 0])
    assert not torch.allclose(turned[:, 1], x[:, 1])



def test_rotary_turns_each_pair_of_channels_by_its_angle():
    """The oracle: a 2 x 2 rotation of channels (2i, 2i + 1) by t * 10000 ** (-2i / head_size)."""
    head_size, T = 6, 5
    x = torch.randn(2, T, head_size, generator=generator(42))
    turned = RotaryEmbedding(head_size, block_size=8)(x)
    for t in range(T):
        for i in range(head_size // 2):
            angle = torch.tensor(t * 10_000 ** (-2 * i / head_size))
            a, b = x[:, t, 2 * i], x[:, t, 2 * i + 1]
            expected = torch.stack((a * angle.cos() - b * angle.sin(), a * angle.sin() + b * angle.cos()), -1)
            torch.testing.assert_close(turned[:, t, 2 * i:2 * i + 2], expected, atol=1e-5, rtol=1e-5)


def test_rotary_needs_an_even_head_size():
    with pytest.raises(ValueError, match="head_size must be even, got 5"):
        RotaryEmbedding(head_size=5, block_size=8)

def test_qk_norm_bounds_every_score():
    attention = CausalSelfAttention(16, 4, block_size=8, fused=False, qk_norm=True)
    init_weights(attention, generator(32), std=0.3)
    q, k, _ = attention.queries_keys_values(50 * torch.randn(2, 8, 16, generator=generator(33)))
    assert torch.allclose(q.pow(2).mean(-1), torch.ones(()), atol=1e-4)
    scores = q @ k.transpose(-2, -1) * q.shape[-1] ** -0.5
    assert scores.abs().max() <= q.shape[-1] ** 0.5 + 1e-4


def test_rotary_and_qk_norm_give_the_same_attention_fused_or_spelled_out():
    x = torch.randn(2, 8, 16, generator=generator(34))
    outputs = []
    for fused in (True, False):
        attention = CausalSelfAttention(16, 4, 8, fused=fused, rotary=RotaryEmbedding(4, 8),
                                        qk_norm=True)
        init_weights(attention, generator(35), std=0.3)
        outputs.append(attention(x))
    assert torch.allclose(*outputs, atol=1e-5)


def test_rms_norm_matches_torch():
    x = 3 * torch.randn(4, 5, 16, generator=generator(36)) + 1
    ours, pytorch = RMSNorm(16), nn.RMSNorm(16, eps=1e-5)
    with torch.no_grad():
        ours.weight.copy_(torch.linspace(0.5, 2, 16))
        pytorch.weight.copy_(torch.linspace(0.5, 2, 16))
    assert torch.allclose(ours(x), pytorch(x), atol=1e-5)
    x.requires_grad_(True)
    ours(x).sum().backward()
    ours_grad, x.grad = x.grad, None
    pytorch(x).sum().backward()
    assert torch.allclose(ours_grad, x.grad, atol=1e-5)


def test_relu_squared():
    x = torch.tensor([-2.0, -0.5, 0.0, 0.5, 3.0])
    assert torch.equal(ACTIVATIONS["relu2"]()(x), torch.tensor([0.0, 0.0, 0.0, 0.25, 9.0]))


def test_zero_initialised_projections_make_every_block_the_identity():
    model = GPT(LATER, generator(37))
    x = torch.randn(2, 8, 16, generator=generator(38))
    for block in model.blocks:
        assert torch.equal(block(x), x)
    assert not torch.equal(GPT(replace(LATER, zero_init_projections=False), generator(37)).blocks[0](x), x)


def test_rotary_model_has_no_position_table_and_reads_no_future():
    model = GPT(LATER, generator(39))
    assert not hasattr(model, "position_embedding_table")
    assert count_parameters(LATER) == sum(p.numel() for p in model.parameters())
    idx = torch.randint(5, (1, 8), generator=generator(40))
    changed = idx.clone()
    changed[0, -1] = (idx[0, -1] + 1) % 5
    assert torch.equal(model(idx)[0][:, :-1], model(changed)[0][:, :-1])


def test_tied_embeddings_share_one_table():
    tied = replace(TINY, tied_embeddings=True)
    model = GPT(tied, generator(41))
    assert model.lm_head.weight is model.token_embedding_table.weight
    assert count_parameters(TINY) - count_parameters(tied) == 5 * 16


@pytest.mark.parametrize(("field", "value"), [("positions", "sinusoidal"), ("activation", "tanh"),
                                              ("norm", "batchnorm")])
def test_an_unknown_option_is_a_clear_error(field, value):
    with pytest.raises(ValueError, match=f"GPTConfig.{field} must be one of .* got '{value}'"):
        replace(TINY, **{field: value})
