"""Neural networks on micrograd's `Value`, as notebook 01 builds them: `Neuron`, `Layer`
and `MLP`, each with `parameters()`. The weight initialisation draws from an explicit
`random.Random`, so a network is the same on every run.

The definitions below are saved from notebook 01 (`python -m lecture_utils sync`); edit
them there, not here.
"""

import random

from lecture_utils.micrograd import Value


def _check_init_args(rng, nonlin):
    if not isinstance(rng, random.Random):
        raise TypeError(f"rng must be a random.Random instance (e.g. random.Random(1337)), got "
                        f"{type(rng).__name__}: pass one explicitly so the weights are reproducible.")
    if nonlin not in NONLINEARITIES:
        raise ValueError(f"nonlin must be one of {', '.join(NONLINEARITIES)}, got {nonlin!r}.")


NONLINEARITIES = ("tanh", "relu", "linear")


class Neuron:
    """w . x + b, then a nonlinearity. Weights start uniform in [-1, 1]; the bias too, or 0."""

    def __init__(self, nin, *, rng, nonlin="tanh", random_bias=True):
        _check_init_args(rng, nonlin)
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(rng.uniform(-1, 1) if random_bias else 0.0)
        self.nonlin = nonlin

    def __call__(self, x):
        if len(x) != len(self.w):
            raise ValueError(f"this neuron takes {len(self.w)} inputs, got {len(x)}")
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        if self.nonlin == "tanh":
            return act.tanh()
        return act.relu() if self.nonlin == "relu" else act

    def parameters(self):
        return self.w + [self.b]

    def __repr__(self):
        return f"Neuron({len(self.w)}, {self.nonlin})"


class Layer:
    """`nout` independent neurons that all read the same inputs."""

    def __init__(self, nin, nout, *, rng, nonlin="tanh", random_bias=True):
        self.nin, self.nout, self.nonlin = nin, nout, nonlin
        self.neurons = [Neuron(nin, rng=rng, nonlin=nonlin, random_bias=random_bias)
                        for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs  # a single output as a Value, not a list

    def parameters(self):
        return [p for neuron in self.neurons for p in neuron.parameters()]

    def __repr__(self):
        return f"Layer({self.nin} -> {self.nout}, {self.nonlin})"


class MLP:
    """Layers of sizes nin -> nouts[0] -> ... -> nouts[-1].

    The lecture's network is all tanh with random biases (the defaults). The moons demo uses
    nonlin="relu", output_nonlin="linear", random_bias=False: relu hidden layers, a raw score
    out, biases starting at 0.
    """

    def __init__(self, nin, nouts, *, rng, nonlin="tanh", output_nonlin=None, random_bias=True):
        output_nonlin = nonlin if output_nonlin is None else output_nonlin
        sizes = [nin] + list(nouts)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], rng=rng, random_bias=random_bias,
                  nonlin=output_nonlin if i == len(nouts) - 1 else nonlin)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def zero_grad(self):
        for p in self.parameters():
            p.grad = 0.0

    def __repr__(self):
        return f"MLP[{', '.join(repr(layer) for layer in self.layers)}]"
