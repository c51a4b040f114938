"""Checks for notebook 05's exercises (initialisation and BatchNorm): which parameters a
zero-initialised MLP trains, the loss it ends at, and folding a BatchNorm into the Linear
layer before it."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import partial

import torch
import torch.nn.functional as F

from lecture_utils.check._core import NotAttempted, Result, Wrong, as_number, call_learner, run_check
from lecture_utils.layers import BatchNorm1d, Linear

__all__ = ["fold_batchnorm", "zero_init_loss", "zero_init_trained"]

# ---------------------------------------------------------------------------------------------
# E1: zero initialisation, what trains
# ---------------------------------------------------------------------------------------------

MLP_PARAMETERS = ("C", "W1", "b1", "W2", "b2")  # the names init_mlp gives them in notebook 05

# Why a parameter the learner names does not change: what its gradient is made of.
_WHY_NOT = {
    "W2": "W2's gradient is h.T @ dlogits: what is h = tanh(emb @ W1 + b1) while W1 and b1 are "
          "zero, and does anything ever change them?",
    "W1": "every gradient below the output layer arrives through dh = dlogits @ W2.T: what is "
          "it while W2 is zero, and does W2 ever get a gradient?",
    "b1": "b1's gradient is dh * (1 - h**2) summed over the batch, and dh = dlogits @ W2.T: "
          "what is it while W2 is zero?",
    "C": "C's gradient comes back through W1 and W2: what do zero matrices pass back?",
    "b2": "b2's gradient is dlogits summed over the batch",
}


def zero_init_changes(steps: int = 5, seed: int = 0) -> set[str]:
    """The parameters that SGD changes in the MLP of notebook 05 (embedding C, tanh hidden
    layer W1, b1, output layer W2, b2) when W1, b1, W2 and b2 start at zero and C is random:
    worked out by training a small one on random data."""
    g = torch.Generator().manual_seed(seed)
    vocab, n_embd, block, hidden = 27, 4, 3, 16
    params = {"C": torch.randn((vocab, n_embd), generator=g),
              "W1": torch.zeros((n_embd * block, hidden)), "b1": torch.zeros(hidden),
              "W2": torch.zeros((hidden, vocab)), "b2": torch.zeros(vocab)}
    start = {name: p.clone() for name, p in params.items()}
    for p in params.values():
        p.requires_grad_(True)
    for _ in range(steps):
        X = torch.randint(0, vocab, (32, block), generator=g)
        Y = torch.randint(0, vocab, (32,), generator=g)
        h = torch.tanh(params["C"][X].view(32, -1) @ params["W1"] + params["b1"])
        loss = F.cross_entropy(h @ params["W2"] + params["b2"], Y)
        for p in params.values():
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params.values():
                p -= 0.1 * p.grad
    return {name for name, p in params.items() if not torch.equal(p.detach(), start[name])}


def _names(answer) -> set[str]:
    if isinstance(answer, str):
        return {answer.strip()}
    if isinstance(answer, dict):
        return {str(name).strip() for name, changes in answer.items() if changes}
    if isinstance(answer, Iterable):
        names = list(answer)
        if not all(isinstance(name, str) for name in names):
            raise Wrong(f"your answer holds {names!r}: give the parameters by name, as strings "
                        f"({', '.join(MLP_PARAMETERS)}).")
        return {name.strip() for name in names}
    raise Wrong(f"your answer is a {type(answer).__name__}: give a set of parameter names, "
                "such as {\"W1\", \"b1\"}.")


def zero_init_trained(trained) -> Result:
    """Your claim about the MLP of notebook 05 with W1, b1, W2 and b2 initialised to zero (C
    random): `trained` is the set of the parameter names (C, W1, b1, W2, b2) that training
    changes. The check trains a small zero-initialised MLP of the same shape and compares."""

    def body() -> str:
        if trained is None or trained is Ellipsis:
            raise NotAttempted("your answer is still None: write the set of the parameters that "
                               "training changes, e.g. {\"W1\", \"b1\"}, and run the cell again.")
        claimed = _names(trained)
        unknown = sorted(claimed - set(MLP_PARAMETERS))
        if unknown:
            raise Wrong(f"{', '.join(map(repr, unknown))} is not a parameter of the MLP: its "
                        f"parameters are {', '.join(MLP_PARAMETERS)}.")
        truth = zero_init_changes()
        if not claimed:
            raise Wrong("the loss does go down from the uniform guess's, so something trains: "
                        "look at every parameter's .grad after one backward pass.")
        if claimed == set(MLP_PARAMETERS):
            raise Wrong("not everything trains: run one backward pass on the zero-initialised "
                        "MLP and look at which gradients are exactly zero.")
        extra = [name for name in MLP_PARAMETERS if name in claimed - truth]
        missing = [name for name in MLP_PARAMETERS if name in truth - claimed]
        if extra:
            name = extra[0]
            also = f" (and {', '.join(extra[1:])})" if len(extra) > 1 else ""
            raise Wrong(f"{name}{also} never changes: {_WHY_NOT[name]}")
        if missing:
            raise Wrong(f"you left out {len(missing)} parameter(s) that do change: the loss goes "
                        "down, so some gradient is not zero. Which one depends neither on h nor "
                        "on W2?")
        return ("only that one changes: with W1 and b1 zero, h = tanh(0) = 0 for every input, "
                "and with W2 zero no gradient gets below the output layer, at every step; a "
                "small zero-initialised MLP trained here confirms it.")

    return run_check("zero_init_trained", body)


# ---------------------------------------------------------------------------------------------
# E2: zero initialisation, where the loss ends
# ---------------------------------------------------------------------------------------------

VOCAB_SIZE = 27
_FLOOR_SLACK = 1e-4  # float32 rounding of a loss over a whole data set
_BAND = 0.01  # how far above the floor a trained run may end


def _entropy(Y: torch.Tensor) -> float:
    """The loss of predicting every target with its frequency in Y, whatever the context:
    the lowest a model that ignores its input can reach on Y (in nats)."""
    counts = torch.bincount(Y.flatten(), minlength=VOCAB_SIZE).double()
    p = counts[counts > 0] / counts.sum()
    return float(-(p * p.log()).sum())


def zero_init_loss(loss, Y) -> Result:
    """The training loss of your zero-initialised MLP after training, measured on all of the
    targets `Y` (Ytr). Right when it sits where a network that can only learn its output bias
    ends: within 0.01 above the loss of predicting every character with its frequency in `Y`."""

    def body() -> str:
        if loss is None or loss is Ellipsis:
            raise NotAttempted("your answer is still None: train the zero-initialised MLP, put "
                               "its loss on the whole training set in the cell, and run it again.")
        value = as_number(loss)
        if value is None:
            raise Wrong(f"your loss is {loss!r}, not a number (a tensor of one element, or "
                        "loss.item(), will do).")
        if math.isnan(value):
            raise Wrong("your loss is NaN: a division by zero or an overflow during training?")
        if math.isinf(value):
            raise Wrong("your loss is infinite: a probability of exactly zero somewhere?")
        if not isinstance(Y, torch.Tensor) or Y.dtype not in (torch.int64, torch.int32) or (
                Y.numel() < 2) or int(Y.min()) < 0 or int(Y.max()) >= VOCAB_SIZE:
            raise Wrong("pass the targets the loss was measured on as the second argument "
                        f"(Ytr): a tensor of character indices 0 to {VOCAB_SIZE - 1}.")
        floor, uniform = _entropy(Y), math.log(VOCAB_SIZE)
        if abs(value * math.log(10) - floor) <= _BAND:
            raise Wrong("your loss is off by a factor of ln 10: log10 where the natural log is "
                        "meant? (F.cross_entropy uses the natural log.)")
        if value < floor - _FLOOR_SLACK:
            raise Wrong("your loss is lower than any network that predicts the same thing for "
                        "every context can reach on these targets. Is it the zero-initialised "
                        "network's loss, measured on all of Y (not on one minibatch)?")
        if abs(value - uniform) <= _BAND:
            raise Wrong("your loss is the uniform guess's, -ln(1/27): the network has not "
                        "learned anything yet. Measure it after training.")
        if value > uniform:
            raise Wrong("your loss is above the uniform guess's, -ln(1/27): the training made it "
                        "worse. Is the learning rate the lecture's, and are the steps against "
                        "the gradient?")
        if value > floor + _BAND:
            raise Wrong("your loss is below the uniform guess's but not yet where this network "
                        "ends up: train for more steps, and measure on all of Y.")
        return ("the loss of predicting every next character with its frequency in the training "
                "set, whatever the context: all the output bias alone can learn.")

    return run_check("zero_init_loss", body)


# ---------------------------------------------------------------------------------------------
# E3: folding BatchNorm into the Linear before it
# ---------------------------------------------------------------------------------------------

# (fan_in, fan_out, the Linear has a bias, the BatchNorm's eps)
_FOLD_CASES = [(6, 6, True, 1e-5), (10, 4, False, 1e-5), (5, 8, True, 1e-2)]


def _affine(W, b):
    return lambda x: x @ W + (0 if b is None else b)


def _folded(W, b, gamma, beta, mean, var, eps, mistake=None):
    """The folded (W, b), right or with one of the mistakes learners make."""
    b = torch.zeros_like(mean) if b is None else b
    if mistake == "no eps":
        scale = gamma / var.sqrt()
    elif mistake == "variance":
        scale = gamma / (var + eps)
    elif mistake == "variance, no eps":
        scale = gamma / var
    elif mistake == "no gamma":
        scale = 1 / (var + eps).sqrt()
    else:
        scale = gamma / (var + eps).sqrt()
    W2 = W * scale
    b2 = (b - mean) * scale + beta
    if mistake == "rows":
        W2 = W * scale[:, None]
    elif mistake == "transposed":
        W2 = W2.T
    elif mistake == "weight unscaled":
        W2 = W
    elif mistake == "no mean":
        b2 = b * scale + beta
    elif mistake == "mean added":
        b2 = (b + mean) * scale + beta
    elif mistake == "mean unscaled":
        b2 = b * scale - mean + beta
    elif mistake == "bias unscaled":
        b2 = b - mean + beta
    elif mistake == "no beta":
        b2 = (b - mean) * scale
    elif mistake == "linear bias dropped":
        b2 = -mean * scale + beta
    elif mistake == "no bias":
        b2 = torch.zeros_like(b2)
    return W2, b2


_FOLD_HINTS = {
    "no eps": "it forgets eps: BatchNorm divides by sqrt(running_var + eps), and with a small "
              "running_var eps matters",
    "variance": "it divides by the variance: BatchNorm divides by the standard deviation",
    "variance, no eps": "it divides by the variance, and without eps: BatchNorm divides by the "
                        "standard deviation, sqrt(running_var + eps)",
    "no gamma": "it forgets gamma, the BatchNorm's trained gain",
    "rows": "it scales the rows of W. In this course's Linear, W is (fan_in, fan_out): each output "
            "unit, and so each BatchNorm channel, is a column",
    "transposed": "the weight is transposed, in torch.nn.Linear's layout (fan_out, fan_in): this "
                  "course's Linear keeps (fan_in, fan_out)",
    "weight unscaled": "the weight is the Linear's own: the BatchNorm's scale must go into it too",
    "no mean": "the bias misses the mean: BatchNorm subtracts running_mean before it scales",
    "mean added": "the mean has the wrong sign: BatchNorm subtracts running_mean",
    "mean unscaled": "running_mean is subtracted after the scaling, but BatchNorm subtracts it "
                     "before, so the scale applies to it too",
    "bias unscaled": "the bias is not scaled: everything that enters the BatchNorm, the Linear's "
                     "bias and the mean shift included, is multiplied by its scale",
    "no beta": "it forgets beta, the BatchNorm's trained bias",
    "linear bias dropped": "it ignores the Linear's own bias, which goes through the BatchNorm too",
    "no bias": "the folded layer has no bias, but BatchNorm's shift (the mean it subtracts, and "
               "beta) must go somewhere, even when the Linear had no bias",
    "eps 1e-5": "it uses eps = 1e-5, but this BatchNorm was built with another eps: use the "
                "layer's own bn.eps",
    "batch": "it folds the statistics of one batch (the last one seen in training, in .out?), "
             "not the running ones: at inference BatchNorm uses running_mean and running_var",
    "training mode": "it normalises with the statistics of the batch it is given, as BatchNorm "
                     "does in training mode: at inference it uses running_mean and running_var",
}

_LEARNER_ERROR_HINTS = [
    ("NoneType", "this Linear has no bias (bias=False, as before every BatchNorm in the lecture): "
                 "treat it as zero"),
    ("must match the size", "W is (fan_in, fan_out) in this course's Linear: the BatchNorm's "
                            "numbers, one per output unit, line up with its columns"),
]


def _contains_batchnorm(obj, depth: int = 0) -> bool:
    """A BatchNorm, or a Sequential-like object or a function that holds one."""
    if hasattr(obj, "running_mean") or hasattr(obj, "running_var"):
        return True
    if depth >= 3:
        return False
    children = [getattr(obj, attr, None) for attr in ("layers", "modules")]
    children = [child for group in children if isinstance(group, (list, tuple)) for child in group]
    for cell in getattr(obj, "__closure__", None) or ():
        try:
            children.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    return any(_contains_batchnorm(child, depth + 1) for child in children)


def _tensors(linear, bn) -> dict[str, torch.Tensor | None]:
    return {"the Linear's weight": linear.weight, "the Linear's bias": linear.bias,
            "the BatchNorm's gamma": bn.gamma, "the BatchNorm's beta": bn.beta,
            "the BatchNorm's running_mean": bn.running_mean,
            "the BatchNorm's running_var": bn.running_var}


def _snapshot(linear, bn) -> dict[str, torch.Tensor | None]:
    return {name: None if t is None else t.detach().clone() for name, t in _tensors(linear, bn).items()}


def fold_batchnorm(fold: Callable, linear_class: type = Linear,
                   batchnorm_class: type = BatchNorm1d) -> Result:
    """Your `fold(linear, bn)`: a trained Linear and the BatchNorm1d after it in, one layer
    out (a Linear, or a tuple (W, b)) that computes bn(linear(x)) as evaluation mode does,
    with no BatchNorm left. Tried on three pairs, made with `linear_class` and
    `batchnorm_class` (in a notebook, pass its own classes), with random weights, gains,
    biases and running statistics, with and without the Linear's bias, and a BatchNorm with
    another eps; the outputs are compared with torch.nn.BatchNorm1d in eval mode."""

    def body() -> str:
        g = torch.Generator().manual_seed(5)
        for case in _FOLD_CASES:
            _fold_one_pair(fold, linear_class, batchnorm_class, case, g)
        return ("the folded layer computes what Linear + BatchNorm1d compute in evaluation mode "
                "(compared with torch.nn.BatchNorm1d), on batches and single examples, with and "
                "without the Linear's bias, for an eps other than the default too.")

    return run_check("fold_batchnorm", body)


def _fold_one_pair(fold, linear_class, batchnorm_class, case, g) -> None:
    """Build one trained-looking Linear + BatchNorm pair, fold it, compare; raise Wrong."""
    fan_in, fan_out, has_bias, eps = case
    where = (f"for Linear({fan_in}, {fan_out}, bias={has_bias}) and BatchNorm1d({fan_out}"
             f"{'' if eps == 1e-5 else f', eps={eps:g}'})")
    linear = call_learner(f"{getattr(linear_class, '__name__', 'Linear')}({fan_in}, {fan_out}, "
                          f"bias={has_bias}, generator=...)",
                          partial(linear_class, fan_in, fan_out, bias=has_bias, generator=g))
    bn = call_learner(f"{getattr(batchnorm_class, '__name__', 'BatchNorm1d')}({fan_out}, "
                      f"eps={eps:g})", partial(batchnorm_class, fan_out, eps=eps))
    W = torch.randn((fan_in, fan_out), generator=g) / fan_in**0.5
    b = 0.5 * torch.randn(fan_out, generator=g) if has_bias else None
    gamma = 1 + 0.5 * torch.randn(fan_out, generator=g)
    beta = 0.5 * torch.randn(fan_out, generator=g)
    mean = torch.randn(fan_out, generator=g)
    var = torch.exp(torch.randn(fan_out, generator=g))
    var[::3] = 1e-3  # small variances, where eps matters
    linear.weight = W.clone().requires_grad_(True)
    linear.bias = None if b is None else b.clone().requires_grad_(True)
    bn.gamma, bn.beta = gamma.clone().requires_grad_(True), beta.clone().requires_grad_(True)
    # The last training batch: it leaves .out behind and moves the running statistics, which
    # are then set to values of their own (as after a long training). The layers stay in
    # training mode, as training leaves them.
    xb = 1.5 * torch.randn((32, fan_in), generator=g) + 0.3
    bn.training = True
    call_learner("your BatchNorm1d in training mode", lambda batch: bn(linear(batch)), xb)
    with torch.no_grad():
        bn.running_mean.copy_(mean)
        bn.running_var.copy_(var)

    x = torch.randn((16, fan_in), generator=g)
    oracle = torch.nn.BatchNorm1d(fan_out, eps=eps).eval()
    with torch.no_grad():
        oracle.weight.copy_(gamma)
        oracle.bias.copy_(beta)
        oracle.running_mean.copy_(mean)
        oracle.running_var.copy_(var)
        reference = oracle(_affine(W, b)(x))
        bn.training = False
        theirs = call_learner("your BatchNorm1d in evaluation mode", bn, _affine(W, b)(x))
        bn.training = True
    if not torch.allclose(theirs, reference, rtol=1e-4, atol=1e-5):
        raise Wrong(f"{where}: the BatchNorm1d you passed does not match torch.nn.BatchNorm1d in "
                    "evaluation mode: pass the notebook's own classes, Linear and BatchNorm1d.")

    before = _snapshot(linear, bn)
    try:
        folded = call_learner("your fold", fold, linear, bn)
    except Wrong as exc:
        hints = [hint for clue, hint in _LEARNER_ERROR_HINTS if clue in str(exc)]
        raise Wrong(f"{where}: {exc}" + (f" ({hints[0]})." if hints else ".")) from None
    if folded is None:
        raise NotAttempted("your fold returns None: return the folded layer (a Linear with the "
                           "BatchNorm folded into it), then run the cell again.")
    for name, old in before.items():
        new = _tensors(linear, bn)[name]
        if (old is None) != (new is None) or (old is not None and (
                new.shape != old.shape or not torch.equal(new.detach(), old))):
            raise Wrong(f"{where}: your fold changed {name} in place. Leave the trained network "
                        "as it is and build new tensors (W = linear.weight * ... makes a new one; "
                        "W = linear.weight followed by W *= ... changes the original).")
    if _contains_batchnorm(folded):
        raise Wrong(f"{where}: what your fold returns still contains a BatchNorm: fold it into "
                    "the weight and bias of one Linear, so that inference needs no BatchNorm "
                    "at all.")
    if isinstance(folded, (tuple, list)):
        if len(folded) != 2 or not isinstance(folded[0], torch.Tensor):
            raise Wrong(f"{where}: your fold returned a {type(folded).__name__} of "
                        f"{len(folded)}: return a Linear, or the tuple (W, b).")
        weight = folded[0]
        apply = _affine(*folded)
    elif callable(folded):
        weight = getattr(folded, "weight", None)
        apply = folded
    else:
        raise Wrong(f"{where}: your fold returned a {type(folded).__name__}: return the folded "
                    "layer (a Linear), or the tuple (W, b).")
    if (isinstance(weight, torch.Tensor) and fan_in != fan_out
            and tuple(weight.shape) == (fan_out, fan_in)):
        raise Wrong(f"{where}: the folded weight has shape {tuple(weight.shape)}, "
                    "torch.nn.Linear's layout: this course's Linear keeps it as "
                    f"(fan_in, fan_out) = ({fan_in}, {fan_out}).")
    with torch.no_grad():
        out = call_learner("your folded layer on a batch", apply, x)
    if not isinstance(out, torch.Tensor) or tuple(out.shape) != tuple(reference.shape):
        shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
        raise Wrong(f"{where}: on a batch of shape {tuple(x.shape)} your folded layer returns "
                    f"{shape}, not ({x.shape[0]}, {fan_out}).")
    out = out.detach().float()
    if torch.isnan(out).any():
        raise Wrong(f"{where}: your folded layer's output contains NaN (a division by zero, or "
                    "a square root of a negative number?).")
    scale = reference.abs().max().item()

    def same(a, ref=reference):
        return a.shape == ref.shape and torch.allclose(a, ref, rtol=1e-4, atol=1e-5 * scale)

    if not same(out):
        raise Wrong(f"{where}: " + _diagnose(out, apply, x, xb, W, b, gamma, beta, mean, var, eps,
                                             fan_in, same))
    with torch.no_grad():
        single = call_learner("your folded layer on one example", apply, x[:1])
    if not isinstance(single, torch.Tensor) or not same(single.detach().float(), reference[:1]):
        raise Wrong(f"{where}: right on a batch, but not on a single example: the folded layer "
                    "must not depend on the batch.")


def _diagnose(out, apply, x, xb, W, b, gamma, beta, mean, var, eps, fan_in, same) -> str:
    """Which mistake gives the learner's output, else which part (weight or bias) is wrong."""
    mistakes = ["no eps", "variance", "variance, no eps", "no gamma", "weight unscaled", "no mean",
                "mean added", "mean unscaled", "bias unscaled", "no beta", "no bias"]
    if W.shape[0] == W.shape[1]:
        mistakes += ["rows", "transposed"]
    if b is not None:
        mistakes.append("linear bias dropped")
    candidates = {mistake: _folded(W, b, gamma, beta, mean, var, eps, mistake)
                  for mistake in mistakes}
    if eps != 1e-5:
        candidates["eps 1e-5"] = _folded(W, b, gamma, beta, mean, var, 1e-5)
    pre = _affine(W, b)(xb)
    for batch_var in (pre.var(0, unbiased=False), pre.var(0)):
        candidates["batch"] = _folded(W, b, gamma, beta, pre.mean(0), batch_var, eps)
        if same(out, _affine(*candidates["batch"])(x)):
            return _FOLD_HINTS["batch"] + "."
    del candidates["batch"]
    for mistake, (W2, b2) in candidates.items():
        if same(out, _affine(W2, b2)(x)):
            return _FOLD_HINTS[mistake] + "."
    with torch.no_grad():
        training = F.batch_norm(_affine(W, b)(x), None, None, gamma, beta, training=True, eps=eps)
    if same(out, training):
        return _FOLD_HINTS["training mode"] + "."
    W_right, b_right = _folded(W, b, gamma, beta, mean, var, eps)
    with torch.no_grad():
        try:
            at_zero = apply(torch.zeros((1, fan_in))).detach().float()[0]
            columns = apply(torch.eye(fan_in)).detach().float() - at_zero
        except Exception:  # noqa: BLE001 - a layer that fails here failed the batch already
            at_zero = columns = None
    if at_zero is not None and at_zero.shape == b_right.shape and columns.shape == W_right.shape:
        weight_ok = torch.allclose(columns, W_right, rtol=1e-4, atol=1e-5 * W_right.abs().max())
        bias_ok = torch.allclose(at_zero, b_right, rtol=1e-4, atol=1e-5 * b_right.abs().max())
        if weight_ok and not bias_ok:
            return ("the folded weight is right, the bias is not: work out what BatchNorm does "
                    "to the Linear's output at x = 0.")
        if bias_ok and not weight_ok:
            return ("the folded bias is right, the weight is not: each column of W belongs to "
                    "one BatchNorm channel.")
    right = _affine(W_right, b_right)(x)
    worst = ((out - right).abs().max() / right.abs().max()).item()
    return (f"the folded layer's outputs differ from Linear + BatchNorm1d in evaluation mode (by "
            f"up to {worst:.2g} of the largest output): write BatchNorm's evaluation formula "
            "with the Linear's output substituted in, and collect what multiplies x and what "
            "does not.")
