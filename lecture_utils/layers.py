"""The from-scratch layers of notebooks 05 and 06, with the torch.nn calling conventions:
Linear and Tanh (05); BatchNorm1d for 2-D and 3-D input, Embedding, FlattenConsecutive and
Sequential (06). Tests compare each with torch.nn on the same weights.

The definitions below are saved from the notebooks (`python -m lecture_utils sync`); edit
them there, not here.
"""

import torch


class Linear:
    """y = x @ weight + bias, as torch.nn.Linear computes it, but with the weight stored as
    (fan_in, fan_out) the way the lecture writes it (torch.nn.Linear keeps the transpose).
    Weights start as N(0, 1/fan_in), so the output has about the input's spread."""

    def __init__(self, fan_in, fan_out, bias=True, *, generator):
        self.weight = torch.randn((fan_in, fan_out), generator=generator) / fan_in**0.5
        self.bias = torch.zeros(fan_out) if bias else None

    def __call__(self, x):
        fan_in, fan_out = self.weight.shape
        if x.ndim < 1 or x.shape[-1] != fan_in:
            raise ValueError(
                f"Linear({fan_in}, {fan_out}) expects input of shape (..., {fan_in}), got "
                f"{tuple(x.shape)}. Its last dimension must be the layer's fan_in."
            )
        self.out = x @ self.weight
        if self.bias is not None:
            self.out = self.out + self.bias
        return self.out

    def parameters(self):
        return [self.weight] + ([] if self.bias is None else [self.bias])


class Tanh:
    """Elementwise tanh; like every layer here it keeps its output in .out for diagnostics."""

    def __call__(self, x):
        self.out = torch.tanh(x)
        return self.out

    def parameters(self):
        return []


class Embedding:
    """A lookup table (torch.nn.Embedding): row i of `weight` is the vector of token i.
    Input: integer indices of any shape; output: the same shape plus embedding_dim."""

    def __init__(self, num_embeddings, embedding_dim, *, generator):
        self.weight = torch.randn((num_embeddings, embedding_dim), generator=generator)

    def __call__(self, ix):
        if ix.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"Embedding expects a tensor of integer indices, got dtype {ix.dtype}. "
                            f"Convert it with .long().")
        self.out = self.weight[ix]
        return self.out

    def parameters(self):
        return [self.weight]


class Sequential:
    """Calls its layers in order (torch.nn.Sequential) and collects their parameters."""

    def __init__(self, layers):
        self.layers = list(layers)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        self.out = x
        return self.out

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]

    def train(self, mode=True):
        """Set every layer's `training` flag (only BatchNorm1d reads it); returns the model."""
        for layer in self.layers:
            layer.training = mode
        return self

    def eval(self):
        return self.train(False)


class FlattenConsecutive:
    """(B, T, C) -> (B, T // n, C * n): each run of n consecutive time steps side by side.
    When one time step is left, it is dropped: (B, 1, C * n) -> (B, C * n)."""

    def __init__(self, n):
        self.n = n

    def __call__(self, x):
        if x.ndim != 3:
            raise ValueError(f"FlattenConsecutive({self.n}) expects input of shape (B, T, C), "
                             f"got {tuple(x.shape)}.")
        B, T, C = x.shape
        if T % self.n:
            raise ValueError(f"FlattenConsecutive({self.n}) needs T divisible by {self.n}, got "
                             f"input of shape {tuple(x.shape)} (T = {T}). Use a context length "
                             f"that is a multiple of {self.n}.")
        x = x.reshape(B, T // self.n, C * self.n)  # a view of x when x is contiguous: no copy
        if x.shape[1] == 1:
            x = x.squeeze(1)
        self.out = x
        return self.out

    def parameters(self):
        return []


class BatchNorm1d:
    """Batch normalisation (torch.nn.BatchNorm1d with the channels last): for (B, C) input the
    statistics are over dimension 0, for (B, T, C) input over dimensions 0 and 1. The biased
    batch variance normalises, the unbiased one feeds running_var; in eval mode
    (training = False) the running statistics normalise."""

    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps = eps
        self.momentum = momentum
        self.training = True
        self.gamma = torch.ones(dim)
        self.beta = torch.zeros(dim)
        self.running_mean = torch.zeros(dim)
        self.running_var = torch.ones(dim)

    def __call__(self, x):
        dim = self.gamma.shape[0]
        if x.ndim not in (2, 3) or x.shape[-1] != dim:
            raise ValueError(f"BatchNorm1d({dim}) expects input of shape (B, {dim}) or "
                             f"(B, T, {dim}), got {tuple(x.shape)}.")
        if self.training:
            count = x.numel() // dim  # numbers behind each neuron's statistics
            if count < 2:
                raise ValueError("BatchNorm1d in training mode needs at least 2 values per "
                                 f"neuron, got input of shape {tuple(x.shape)}; set "
                                 ".training = False to evaluate single examples.")
            dims = (0,) if x.ndim == 2 else (0, 1)
            mean = x.mean(dims, keepdim=True)
            centred = x - mean
            var = (centred * centred).mean(dims, keepdim=True)  # biased: the batch's own spread
            with torch.no_grad():  # in place: the buffers keep their shape (dim,)
                self.running_mean.lerp_(mean.view(-1), self.momentum)
                self.running_var.lerp_(var.view(-1) * count / (count - 1), self.momentum)
        else:
            centred, var = x - self.running_mean, self.running_var
        self.out = self.gamma * centred * torch.rsqrt(var + self.eps) + self.beta
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]
