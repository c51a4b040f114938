"""Linear and Tanh from notebook 05 (lecture_utils.layers) against torch.nn on the same weights."""

import pytest
import torch
import torch.nn.functional as F

from lecture_utils.layers import Linear, Tanh


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
