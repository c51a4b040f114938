"""Linear, Tanh, BatchNorm1d, Embedding, FlattenConsecutive and Sequential (lecture_utils.layers,
notebooks 05 and 07) against torch.nn with the same weights."""

import pytest
import torch
import torch.nn.functional as F

from lecture_utils.layers import (
    BatchNorm1d,
    Embedding,
    FlattenConsecutive,
    Linear,
    Sequential,
    Tanh,
)


def randn(*shape, seed):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def channels_first(x):
    """Our (B, T, C) layout in torch.nn.BatchNorm1d's (B, C, T), and back (its own inverse)."""
    return x.transpose(1, 2) if x.ndim == 3 else x


def batchnorm_pair(dim, momentum=0.1, seed=0):
    """Our BatchNorm1d and torch's, with the same non-trivial gamma and beta."""
    ours = BatchNorm1d(dim, momentum=momentum)
    ours.gamma = 1 + 0.5 * randn(dim, seed=seed)
    ours.beta = randn(dim, seed=seed + 1)
    theirs = torch.nn.BatchNorm1d(dim, momentum=momentum)
    with torch.no_grad():
        theirs.weight.copy_(ours.gamma)
        theirs.bias.copy_(ours.beta)
    return ours, theirs


SHAPES = [(32, 7), (16, 4, 7)]  # (B, C) and (B, T, C)


@pytest.mark.parametrize("shape", SHAPES)
def test_batchnorm_training_forward_and_gradients_match_torch(shape):
    ours, theirs = batchnorm_pair(shape[-1])
    for p in ours.parameters():
        p.requires_grad_(True)
    x = randn(*shape, seed=2) * 3 + 2  # far from normalised already
    x_ours, x_theirs = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    out_ours = ours(x_ours)
    out_theirs = channels_first(theirs(channels_first(x_theirs)))
    assert out_ours.shape == shape
    assert torch.allclose(out_ours, out_theirs, atol=1e-5)
    assert ours.out is out_ours

    upstream = randn(*shape, seed=3)
    (out_ours * upstream).sum().backward()
    (out_theirs * upstream).sum().backward()
    assert torch.allclose(x_ours.grad, x_theirs.grad, atol=1e-4)
    assert torch.allclose(ours.gamma.grad, theirs.weight.grad, atol=1e-4)
    assert torch.allclose(ours.beta.grad, theirs.bias.grad, atol=1e-4)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("momentum", [0.1, 0.3])
def test_batchnorm_running_statistics_follow_torch(shape, momentum):
    ours, theirs = batchnorm_pair(shape[-1], momentum=momentum)
    for step in range(5):
        x = randn(*shape, seed=10 + step) * (step + 1) - step
        ours(x)
        theirs(channels_first(x))
    assert ours.running_mean.shape == ours.running_var.shape == (shape[-1],)
    assert torch.allclose(ours.running_mean, theirs.running_mean, atol=1e-5)
    # the unbiased variance (count - 1) feeds the running estimate, as in torch
    assert torch.allclose(ours.running_var, theirs.running_var, atol=1e-4)


def test_batchnorm_first_update_is_the_momentum_step_towards_the_batch():
    layer = BatchNorm1d(3, momentum=0.25)
    x = randn(10, 5, 3, seed=4)
    layer(x)
    flat = x.reshape(-1, 3)  # statistics over batch and time together: 50 values per feature
    assert torch.allclose(layer.running_mean, 0.25 * flat.mean(0), atol=1e-6)
    assert torch.allclose(layer.running_var, 0.75 + 0.25 * flat.var(0, unbiased=True), atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
def test_batchnorm_eval_mode_uses_running_statistics_like_torch(shape):
    ours, theirs = batchnorm_pair(shape[-1])
    for step in range(3):
        x = randn(*shape, seed=20 + step) * 2 + 1
        ours(x)
        theirs(channels_first(x))
    ours.training = False
    theirs.eval()
    running = ours.running_mean.clone(), ours.running_var.clone()
    x = randn(*shape, seed=30)
    assert torch.allclose(ours(x), channels_first(theirs(channels_first(x))), atol=1e-5)
    # evaluation leaves the statistics alone, and works on a single example
    assert torch.equal(ours.running_mean, running[0]) and torch.equal(ours.running_var, running[1])
    single = x[:1]
    assert torch.allclose(ours(single), ours(x)[:1], atol=1e-6)


def test_batchnorm_3d_statistics_are_over_batch_and_time():
    """The bug notebook 07 fixes: each feature is normalised over B and T together, so
    every feature of the output has mean 0 and variance 1 over (B, T), not per position."""
    layer = BatchNorm1d(5)
    x = randn(8, 4, 5, seed=5) + torch.arange(4.0).view(1, 4, 1)  # position-dependent shift
    out = layer(x)
    assert torch.allclose(out.mean((0, 1)), torch.zeros(5), atol=1e-5)
    assert torch.allclose(out.var((0, 1), unbiased=False), torch.ones(5), atol=1e-3)
    assert not torch.allclose(out.mean(0), torch.zeros(4, 5), atol=1e-2)  # per position it is not 0


def test_batchnorm_defaults_and_parameters():
    layer = BatchNorm1d(6)
    assert (layer.eps, layer.momentum, layer.training) == (1e-5, 0.1, True)
    assert layer.parameters() == [layer.gamma, layer.beta]
    assert torch.equal(layer.gamma, torch.ones(6)) and torch.equal(layer.beta, torch.zeros(6))
    assert torch.equal(layer.running_mean, torch.zeros(6))
    assert torch.equal(layer.running_var, torch.ones(6))


@pytest.mark.parametrize("shape", [(32, 6), (4, 3, 2, 7), (7,), (4, 3, 6)])
def test_batchnorm_rejects_bad_shapes_naming_the_expected_one(shape):
    with pytest.raises(ValueError, match=r"expects input of shape \(B, 7\) or \(B, T, 7\)"):
        BatchNorm1d(7)(torch.zeros(shape))


def test_batchnorm_training_needs_two_values_per_feature():
    with pytest.raises(ValueError, match="at least 2 values"):
        BatchNorm1d(3)(torch.ones(1, 3))
    BatchNorm1d(3)(randn(1, 2, 3, seed=6))  # one example, but two time steps: fine


def test_embedding_matches_nn_embedding_forward_and_gradient():
    layer = Embedding(27, 10, generator=torch.Generator().manual_seed(0))
    layer.weight.requires_grad_(True)
    module = torch.nn.Embedding(27, 10)
    with torch.no_grad():
        module.weight.copy_(layer.weight)
    ix = torch.tensor([[0, 5, 5, 26], [3, 3, 3, 0]])  # repeated indices must accumulate
    out = layer(ix)
    assert out.shape == (2, 4, 10)
    assert torch.equal(out, module(ix))
    upstream = randn(2, 4, 10, seed=7)
    (out * upstream).sum().backward()
    (module(ix) * upstream).sum().backward()
    assert torch.allclose(layer.weight.grad, module.weight.grad, atol=1e-6)
    assert layer.parameters() == [layer.weight]
    assert torch.equal(layer(ix.int()), out)  # int32 indices work too


def test_embedding_is_seeded_by_its_generator():
    a = Embedding(5, 3, generator=torch.Generator().manual_seed(1))
    b = Embedding(5, 3, generator=torch.Generator().manual_seed(1))
    c = Embedding(5, 3, generator=torch.Generator().manual_seed(2))
    assert torch.equal(a.weight, b.weight) and not torch.equal(a.weight, c.weight)


def test_embedding_rejects_float_indices():
    layer = Embedding(5, 3, generator=torch.Generator().manual_seed(0))
    with pytest.raises(TypeError, match=r"integer indices.*\.long\(\)"):
        layer(torch.tensor([1.0, 2.0]))


def test_flatten_consecutive_matches_reshape_and_pairs_neighbours():
    x = randn(4, 8, 3, seed=8)
    out = FlattenConsecutive(2)(x)
    assert out.shape == (4, 4, 6)
    assert torch.equal(out, x.reshape(4, 4, 6))
    assert torch.equal(out, torch.cat([x[:, ::2, :], x[:, 1::2, :]], dim=2))
    assert torch.equal(out[:, 1, 3:], x[:, 3, :])  # group 1 holds steps 2 and 3


def test_flatten_consecutive_drops_a_single_time_step():
    x = randn(4, 8, 3, seed=9)
    assert FlattenConsecutive(8)(x).shape == (4, 24)
    assert torch.equal(FlattenConsecutive(8)(x), x.reshape(4, 24))
    assert FlattenConsecutive(4)(x).shape == (4, 2, 12)
    assert FlattenConsecutive(2).parameters() == []


def test_flatten_consecutive_errors():
    with pytest.raises(ValueError, match=r"needs T divisible by 3.*\(4, 8, 3\)"):
        FlattenConsecutive(3)(torch.zeros(4, 8, 3))
    with pytest.raises(ValueError, match=r"expects input of shape \(B, T, C\), got \(4, 24\)"):
        FlattenConsecutive(2)(torch.zeros(4, 24))


def hierarchical(seed):
    g = torch.Generator().manual_seed(seed)
    return Sequential([
        Embedding(27, 6, generator=g),
        FlattenConsecutive(2), Linear(12, 10, bias=False, generator=g), BatchNorm1d(10), Tanh(),
        FlattenConsecutive(2), Linear(20, 10, bias=False, generator=g), BatchNorm1d(10), Tanh(),
        Linear(10, 27, generator=g),
    ])


class ChannelsLast(torch.nn.Module):
    """torch.nn.BatchNorm1d on (B, T, C) input, for the reference model."""

    def __init__(self, batchnorm):
        super().__init__()
        self.batchnorm = batchnorm

    def forward(self, x):
        return channels_first(self.batchnorm(channels_first(x)))


class Unflatten(torch.nn.Module):
    """The reference for FlattenConsecutive(n): an explicit reshape."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        B, T, C = x.shape
        out = x.reshape(B, T // self.n, C * self.n)
        return out.squeeze(1) if out.shape[1] == 1 else out


def torch_copy(model):
    """The same network built from torch.nn modules, with the same weights."""
    modules = []
    for layer in model.layers:
        if isinstance(layer, Embedding):
            module = torch.nn.Embedding(*layer.weight.shape)
            module.weight.data.copy_(layer.weight)
        elif isinstance(layer, FlattenConsecutive):
            module = Unflatten(layer.n)
        elif isinstance(layer, Linear):
            module = torch.nn.Linear(*layer.weight.shape, bias=layer.bias is not None)
            module.weight.data.copy_(layer.weight.T)
            if layer.bias is not None:
                module.bias.data.copy_(layer.bias)
        elif isinstance(layer, BatchNorm1d):
            module = ChannelsLast(torch.nn.BatchNorm1d(layer.gamma.shape[0]))
        else:
            module = torch.nn.Tanh()
        modules.append(module)
    return torch.nn.Sequential(*modules)


def test_sequential_matches_torch_sequential_in_training_and_eval():
    model = hierarchical(seed=0)
    reference = torch_copy(model)
    params = model.parameters()
    for p in params:
        p.requires_grad_(True)
    ix = torch.randint(0, 27, (16, 4), generator=torch.Generator().manual_seed(1))
    out, ref_out = model(ix), reference(ix)  # one training step each: same running stats
    assert out.shape == (16, 27) and model.out is out
    assert torch.allclose(out, ref_out, atol=1e-5)

    upstream = randn(16, 27, seed=2)
    (out * upstream).sum().backward()
    (ref_out * upstream).sum().backward()
    ref_params = list(reference.parameters())
    assert len(params) == len(ref_params)
    for ours, theirs in zip(params, ref_params, strict=True):
        theirs_grad = theirs.grad.T if ours.ndim == 2 and ours.shape != theirs.shape else theirs.grad
        assert torch.allclose(ours.grad, theirs_grad, atol=1e-4)

    assert model.eval() is model
    reference.eval()
    assert all(layer.training is False for layer in model.layers)
    assert torch.allclose(model(ix[:1]), reference(ix[:1]), atol=1e-5)
    model.train()
    assert all(layer.training is True for layer in model.layers)


def test_sequential_composes_layers_in_order_and_collects_parameters():
    model = hierarchical(seed=3)
    ix = torch.randint(0, 27, (5, 4), generator=torch.Generator().manual_seed(4))
    x = ix
    for layer in model.layers:
        x = layer(x)
    assert torch.allclose(model(ix), x, atol=1e-6)
    expected = [p for layer in model.layers for p in layer.parameters()]
    assert len(model.parameters()) == len(expected) == 9
    assert all(a is b for a, b in zip(model.parameters(), expected, strict=True))
    assert sum(p.nelement() for p in model.parameters()) == (
        27 * 6 + 12 * 10 + 2 * 10 + 20 * 10 + 2 * 10 + 10 * 27 + 27
    )


def test_sequential_passes_shape_errors_through():
    model = hierarchical(seed=5)
    with pytest.raises(ValueError, match="needs T divisible by 2"):
        model(torch.zeros(3, 5, dtype=torch.long))


def make_linear(fan_in=30, fan_out=20, bias=True, seed=0):
    layer = Linear(fan_in, fan_out, bias=bias, generator=torch.Generator().manual_seed(seed))
    if bias:  # a non-zero bias, so that the bias path is really tested
        layer.bias = torch.randn(fan_out, generator=torch.Generator().manual_seed(seed + 1))
    return layer


def test_linear_forward_matches_torch_functional_and_module():
    layer = make_linear()
    x = torch.randn((32, 30), generator=torch.Generator().manual_seed(2))
    # torch.nn.Linear keeps the weight as (fan_out, fan_in): ours transposed.
    assert torch.allclose(layer(x), F.linear(x, layer.weight.T, layer.bias), atol=1e-6)
    module = torch.nn.Linear(30, 20)
    with torch.no_grad():
        module.weight.copy_(layer.weight.T)
        module.bias.copy_(layer.bias)
    assert torch.allclose(layer(x), module(x), atol=1e-6)
    assert layer.out is not None and layer.out.shape == (32, 20)


def test_linear_gradients_match_nn_linear():
    layer = make_linear()
    for p in layer.parameters():
        p.requires_grad_(True)
    module = torch.nn.Linear(30, 20)
    with torch.no_grad():
        module.weight.copy_(layer.weight.T)
        module.bias.copy_(layer.bias)
    x = torch.randn((16, 30), generator=torch.Generator().manual_seed(3))
    x_ours, x_theirs = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    upstream = torch.randn((16, 20), generator=torch.Generator().manual_seed(4))
    (layer(x_ours) * upstream).sum().backward()
    (module(x_theirs) * upstream).sum().backward()
    assert torch.allclose(layer.weight.grad, module.weight.grad.T, atol=1e-5)
    assert torch.allclose(layer.bias.grad, module.bias.grad, atol=1e-5)
    assert torch.allclose(x_ours.grad, x_theirs.grad, atol=1e-5)


def test_linear_without_bias_and_on_3d_input():
    layer = make_linear(bias=False)
    assert layer.bias is None
    assert layer.parameters() == [layer.weight]
    x = torch.randn((4, 8, 30), generator=torch.Generator().manual_seed(5))
    out = layer(x)
    assert out.shape == (4, 8, 20)
    assert torch.allclose(out, F.linear(x, layer.weight.T), atol=1e-6)


def test_linear_parameters_and_shapes():
    layer = make_linear(7, 5)
    params = layer.parameters()
    assert [tuple(p.shape) for p in params] == [(7, 5), (5,)]
    assert params[0] is layer.weight and params[1] is layer.bias
    assert Linear(7, 5, generator=torch.Generator().manual_seed(0)).bias.abs().sum() == 0


def test_linear_init_is_seeded_and_scaled_by_fan_in():
    a = Linear(400, 300, generator=torch.Generator().manual_seed(7))
    b = Linear(400, 300, generator=torch.Generator().manual_seed(7))
    c = Linear(400, 300, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a.weight, b.weight)
    assert not torch.equal(a.weight, c.weight)
    assert abs(a.weight.std().item() - 400**-0.5) < 0.02 * 400**-0.5
    assert abs(a.weight.mean().item()) < 5 * 400**-0.5 / (400 * 300) ** 0.5  # 5 standard errors


def test_linear_needs_an_explicit_generator():
    with pytest.raises(TypeError):
        Linear(3, 4)


@pytest.mark.parametrize("shape", [(32, 27), (32,), (2, 3, 31)])
def test_linear_bad_input_shape_names_the_expected_shape(shape):
    layer = make_linear()
    with pytest.raises(ValueError) as error:
        layer(torch.zeros(shape))
    message = str(error.value)
    assert "(..., 30)" in message
    assert str(shape) in message


def test_tanh_matches_torch_values_and_gradient():
    x = torch.linspace(-6, 6, 101)
    x_ours, x_theirs = x.clone().requires_grad_(True), x.clone().requires_grad_(True)
    layer = Tanh()
    out = layer(x_ours)
    assert torch.equal(out, torch.tanh(x))
    assert layer.out is out
    out.sum().backward()
    torch.tanh(x_theirs).sum().backward()
    assert torch.allclose(x_ours.grad, x_theirs.grad)
    assert torch.allclose(x_ours.grad, 1 - torch.tanh(x) ** 2, atol=1e-6)
    assert layer.parameters() == []
