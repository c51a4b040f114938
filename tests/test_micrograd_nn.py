"""lecture_utils.micrograd_nn (notebook 01): Neuron, Layer and MLP against torch, their
parameter counts, reproducible initialisation and clear errors."""

import random

import pytest
import torch

from lecture_utils.micrograd_nn import MLP, Layer, Neuron


def test_mlp_parameter_counts():
    assert len(MLP(3, [4, 4, 1], rng=random.Random(0)).parameters()) == 41
    moons = MLP(2, [16, 16, 1], rng=random.Random(0), nonlin="relu", output_nonlin="linear",
                random_bias=False)
    assert len(moons.parameters()) == 337
    assert all(n.b.data == 0.0 for layer in moons.layers for n in layer.neurons)
    assert [n.nonlin for n in (moons.layers[0].neurons[0], moons.layers[-1].neurons[0])] == [
        "relu", "linear"]


def test_mlp_is_reproducible_from_its_rng():
    first = MLP(3, [4, 1], rng=random.Random(7))
    second = MLP(3, [4, 1], rng=random.Random(7))
    assert [p.data for p in first.parameters()] == [p.data for p in second.parameters()]
    assert all(-1 <= p.data <= 1 for p in first.parameters())


def test_mlp_forward_and_gradients_match_torch():
    model = MLP(3, [4, 4, 1], rng=random.Random(1))
    x = [2.0, 3.0, -1.0]
    out = model(x)
    out.backward()
    weights = [torch.tensor([[p.data for p in n.w] for n in layer.neurons], dtype=torch.float64,
                            requires_grad=True) for layer in model.layers]
    biases = [torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                           requires_grad=True) for layer in model.layers]
    h = torch.tensor(x, dtype=torch.float64)
    for W, b in zip(weights, biases, strict=True):
        h = torch.tanh(W @ h + b)
    h.sum().backward()
    assert out.data == pytest.approx(h.item(), abs=1e-12)
    for layer, W, b in zip(model.layers, weights, biases, strict=True):
        for neuron, row in zip(layer.neurons, W.grad.tolist(), strict=True):
            assert [p.grad for p in neuron.w] == pytest.approx(row)
        assert [n.b.grad for n in layer.neurons] == pytest.approx(b.grad.tolist())


def test_bad_network_arguments_are_clear_errors():
    with pytest.raises(TypeError, match="random.Random"):
        Neuron(2, rng=1337)
    with pytest.raises(ValueError, match="nonlin must be one of"):
        Layer(2, 3, rng=random.Random(0), nonlin="sigmoid")
    with pytest.raises(ValueError, match="takes 2 inputs, got 3"):
        Neuron(2, rng=random.Random(0))([1.0, 2.0, 3.0])


