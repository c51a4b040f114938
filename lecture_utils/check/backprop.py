"""Checks for the exercises of notebook 06_backprop_ninja (the backward pass by hand): the
gradient of every intermediate of the step-by-step MLP, the cross-entropy backward and the
BatchNorm backward each in one expression, and the whole backward pass used for training.

Each check runs the learner's function on forward passes of its own (the notebook's sizes,
then other ones), computes PyTorch's gradients of the same forward pass with autograd, and
compares. When a gradient is wrong it says how, as far as it can without giving the answer: the
wrong sign, off by a factor (the 1/n of the mean, Bessel's n - 1), a missing sum over a
broadcast dimension, repeated embedding rows overwritten instead of added, NaN, a wrong shape.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from lecture_utils.backprop import INTERMEDIATES, PARAM_NAMES, forward_ops, init_params, torch_gradients
from lecture_utils.check._core import NotAttempted, Result, Wrong, call_learner, run_check

__all__ = ["backward_by_hand", "batchnorm_backward", "cross_entropy_backward", "manual_backward"]

# The gradients of exercise 1, in the order the backward pass computes them.
BACKWARD_ORDER = ("logprobs", "probs", "counts_sum_inv", "counts_sum", "counts", "norm_logits",
                  "logit_maxes", "logits", "h", "W2", "b2", "hpreact", "bngain", "bnbias", "bnraw",
                  "bnvar_inv", "bnvar", "bndiff2", "bndiff", "bnmeani", "hprebn", "embcat", "W1",
                  "b1", "emb", "C")
assert sorted(BACKWARD_ORDER) == sorted(INTERMEDIATES + PARAM_NAMES)

# The forward passes a check runs the learner's code on: the notebook's sizes first, then
# others, so that a fixed 32 (or 64, or 10) in the answer shows.
# (batch n, n_embd, block_size, n_hidden, seed)
CASES = [(32, 10, 3, 64, 1), (7, 4, 2, 16, 2)]
VOCAB = 27


def _rtol_close(yours: torch.Tensor, ref: torch.Tensor) -> bool:
    """Equal up to float32 rounding of a differently ordered computation."""
    scale = ref.abs().max().item()
    return torch.allclose(yours, ref, rtol=1e-4, atol=1e-5 * scale + 1e-7)


def _forward(case, requires_grad: bool):
    """A forward pass of the notebook's network for a case, with PyTorch's gradients."""
    n, n_embd, block_size, n_hidden, seed = case
    g = torch.Generator().manual_seed(seed)
    params = init_params(VOCAB, n_embd, block_size, n_hidden, g)
    Xb = torch.randint(0, VOCAB, (n, block_size), generator=g)
    Xb[0, 0] = Xb[1, 0] = Xb[2, 1 % block_size] = 0  # a row of C used several times, always
    Yb = torch.randint(0, VOCAB, (n,), generator=g)
    f, grads = torch_gradients(params, Xb, Yb)
    if not requires_grad:
        with torch.no_grad():
            f = forward_ops(params, Xb, Yb)
    return f, grads


def _as_tensor(name: str, value) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach()
    raise Wrong(f"the gradient of {name} is a {type(value).__name__}, not a tensor.")


def _factor_hint(name: str, k: float, n: int) -> str | None:
    """What a constant factor between the learner's gradient and the right one suggests."""
    named = [(n, f"n = {n} times too large: a 1/n missing (the loss is the mean over the n "
                  "examples of the batch)"),
             (1 / n, f"n = {n} times too small: a 1/n too many"),
             ((n - 1) / n, "too small by a factor (n - 1)/n: a 1/n where the forward pass divides "
                           "by n - 1 (Bessel's correction)"),
             (n / (n - 1), "too large by a factor n/(n - 1): the forward pass's variance divides "
                           "by n - 1 (Bessel's correction), not by n"),
             (2.0, "twice too large"), (0.5, "half what it should be"),
             (n * n, "n squared times too large: the 1/n missing twice")]
    for factor, hint in named:
        if math.isclose(k, factor, rel_tol=1e-3):
            return hint
        if math.isclose(k, -factor, rel_tol=1e-3):
            return hint + ", and it has the wrong sign"
    return None


def diagnose(name: str, yours, ref: torch.Tensor, f) -> str | None:
    """None when `yours` is PyTorch's gradient `ref` of `name` (up to rounding), else what is
    wrong with it, without giving it away."""
    if yours is None:
        raise Wrong(f"the gradient of {name} is None.")
    yours = _as_tensor(name, yours)
    n = f.n
    shape, want = tuple(yours.shape), tuple(ref.shape)
    if shape != want:
        if yours.numel() > ref.numel() and _broadcasts(want, shape):
            return (f"it has shape {shape}, but {name} has shape {want}: {name} was broadcast "
                    "(stretched) in the forward pass, so its gradient is the sum over the "
                    "dimension(s) it was stretched along (.sum(dim, keepdim=True)).")
        if yours.numel() == ref.numel():
            return (f"it has shape {shape}, but {name} has shape {want}: a gradient has the shape "
                    f"of its tensor (view it as {name}'s shape; keepdim=True keeps a summed "
                    "dimension).")
        return f"it has shape {shape}, but {name} has shape {want}: a gradient has the shape of its tensor."
    if not yours.is_floating_point():
        return f"it is a tensor of {yours.dtype}: gradients are floating-point numbers."
    yours = yours.to(ref.dtype)
    if torch.isnan(yours).any():
        return "it contains NaN (a 0/0, or the log or power of a negative number?)."
    if torch.isinf(yours).any():
        return "it contains inf (a division by zero?)."
    if _rtol_close(yours, ref):
        return None
    if _rtol_close(-yours, ref):
        return "it has the wrong sign."
    if name == "C":
        hint = _embedding_hint(yours, ref, f)
        if hint:
            return hint
    if not yours.abs().max().item():
        return "it is all zeros, and it should not be."
    denom = (ref * ref).sum().item()
    if denom > 0:
        k = (yours * ref).sum().item() / denom
        if _rtol_close(yours, k * ref):
            hint = _factor_hint(name, k, n)
            if hint:
                return f"it is {hint}."
            return f"it is proportional to the right gradient, but off by a factor of {k:.3g}."
    return (
        "it differs from PyTorch's gradient: write the local derivative of the operation that "
        f"uses {name}, times the gradient arriving there; add up the shares if {name} is used "
        "more than once, and sum over what was broadcast.")


def _broadcasts(small: tuple, big: tuple) -> bool:
    """Whether a tensor of shape `small` broadcasts to shape `big`."""
    if len(small) > len(big):
        return False
    for s, b in zip(reversed(small), reversed(big)):
        if s not in (1, b):
            return False
    return True


def _embedding_hint(yours: torch.Tensor, ref: torch.Tensor, f) -> str | None:
    """Right on the rows of C used once in the batch, wrong on rows used several times: the
    copies were assigned (=) instead of added."""
    uses = torch.bincount(f.Xb.reshape(-1), minlength=ref.shape[0])
    row_ok = torch.tensor([_rtol_close(yours[i], ref[i]) if ref[i].abs().max() > 0
                           else bool((yours[i] == 0).all()) for i in range(ref.shape[0])])
    repeated = uses > 1
    if row_ok[~repeated].all() and not row_ok[repeated].all():
        return ("it is right for the characters used once in the batch and wrong for those used "
                "several times: each use of a row of C adds its gradient, so the copies must be "
                "summed. An assignment dC[Xb] = demb (or dC[Xb] += demb) keeps only one of them; "
                "use index_add_, or a loop with dC[ix] += demb[k, j].")
    return None


def _describe_error(what: str, exc: Wrong) -> Wrong:
    message = str(exc)
    if "does not require grad" in message or "does not have a grad_fn" in message:
        message += (" (under torch.no_grad() there is no graph: compute every gradient by hand, "
                    "without .backward() or .grad)")
    return Wrong(f"{what}: {message}")


# ---------------------------------------------------------------------------------------------
# Exercise 1: every intermediate
# ---------------------------------------------------------------------------------------------


def backward_by_hand(fn: Callable) -> Result:
    """Your function `fn(f)` of a forward pass's namespace (`lecture_utils.backprop.forward_ops`)
    returns a dict of gradients by name ("logprobs", ..., "C"). Each is compared with PyTorch's,
    in backward order; the first wrong one is named, with a hint."""

    def body() -> str:
        if fn is None:
            raise NotAttempted("your function is still None: write backward_by_hand(f), then run "
                               "the cell again.")
        checked = []
        for case_number, case in enumerate(CASES):
            f, grads = _forward(case, requires_grad=False)
            answer = call_learner("your backward_by_hand(f)", fn, f)
            if answer is None:
                raise NotAttempted("your function returns None: return the dict of gradients "
                                   "(d = {...}; d[\"logprobs\"] = ...; return d).")
            if not isinstance(answer, dict):
                raise Wrong(f"your function returns a {type(answer).__name__}: return a dict of "
                            "gradients by name, {\"logprobs\": dlogprobs, ...}.")
            unknown = sorted(str(key) for key in answer if key not in BACKWARD_ORDER)
            if unknown:
                key = unknown[0]
                fix = (f" (name it {key[1:]!r}: by the tensor, without the d)"
                       if key.startswith("d") and key[1:] in BACKWARD_ORDER else "")
                raise Wrong(f"{key!r} is not a tensor of the forward pass{fix}; the names are "
                            f"{', '.join(BACKWARD_ORDER)}.")
            given = [name for name in BACKWARD_ORDER if answer.get(name) is not None]
            if not given:
                raise NotAttempted("your function returns no gradients yet: start with "
                                   "d[\"logprobs\"], then run the cell again.")
            for name in given:
                hint = diagnose(name, answer[name], grads[name], f)
                if hint:
                    right = given[:given.index(name)]
                    so_far = f" ({len(right)} before it right)" if right else ""
                    where = "" if case_number == 0 else (
                        f" on a forward pass of other sizes (batch {case[0]}, {case[3]} hidden "
                        "units; right on the notebook's sizes: use f.n and the tensors' own "
                        "shapes, not fixed numbers)")
                    raise Wrong(f"the gradient of {name}{where}{so_far}: {hint}")
            checked = given
        missing = [name for name in BACKWARD_ORDER if name not in checked]
        if missing:
            raise Wrong(f"the {len(checked)} gradients you gave are right, but {len(missing)} are "
                        f"still missing, the next being {missing[0]!r}.")
        return (f"all {len(BACKWARD_ORDER)} gradients equal PyTorch's, on forward passes of the "
                "notebook's sizes and of other sizes.")

    return run_check("backward_by_hand", body)


# ---------------------------------------------------------------------------------------------
# Exercise 2: the cross-entropy backward in one expression
# ---------------------------------------------------------------------------------------------

_CE_CASES = [(32, 27, 11), (5, 27, 12), (8, 6, 13)]


def _ce_candidates(logits: torch.Tensor, Yb: torch.Tensor) -> dict[str, torch.Tensor]:
    """The wrong answers learners give, by hint."""
    n, classes = logits.shape
    probs = F.softmax(logits, 1)
    onehot = F.one_hot(Yb, classes).to(logits.dtype)
    return {
        "it is the softmax alone (over n): the correct character's logit also gets -1/n, from "
        "the -log p of its own probability (subtract the one-hot target)": probs / n,
        "it subtracts 1 from every logit of a row: only the correct character's gets the -1 "
        "(a one-hot)": (probs - 1) / n,
        "it divides by the number of classes, not by the batch size n: the loss is the mean over "
        "the n examples": (probs - onehot) / classes,
        "it is the one-hot minus the log-softmax: the derivative of log-softmax is the softmax, "
        "not its log": (torch.log_softmax(logits, 1) - onehot) / n,
    }


def cross_entropy_backward(fn: Callable) -> Result:
    """Your function `fn(logits, Yb)` returns the gradient of F.cross_entropy(logits, Yb) with
    respect to logits; it is compared with PyTorch's on logits of the check's own."""

    def body() -> str:
        if fn is None:
            raise NotAttempted("your function is still None: write cross_entropy_backward(logits, "
                               "Yb), then run the cell again.")
        for case_number, (n, classes, seed) in enumerate(_CE_CASES):
            g = torch.Generator().manual_seed(seed)
            logits = 2 * torch.randn((n, classes), generator=g)
            Yb = torch.randint(0, classes, (n,), generator=g)
            leaf = logits.clone().requires_grad_(True)
            F.cross_entropy(leaf, Yb).backward()
            ref = leaf.grad
            yours = call_learner("your cross_entropy_backward(logits, Yb)", fn, logits.clone(), Yb)
            if yours is None:
                raise NotAttempted("your function returns None: return dlogits, then run the cell "
                                   "again.")
            f = _Batch(n, Yb)
            hint = diagnose("logits", yours, ref, f)
            if hint is None:
                continue
            hint = _known_mistake(yours, ref, _ce_candidates, logits, Yb) or hint
            where = "" if case_number == 0 else (
                f" on a batch of {n} with {classes} classes (right on the notebook's 32 x 27: use "
                "the shapes of logits, not fixed numbers)")
            raise Wrong(f"your dlogits{where}: {hint}")
        return ("dlogits equals PyTorch's gradient of F.cross_entropy: the softmax minus the "
                "one-hot target, over n; each row sums to zero.")

    return run_check("cross_entropy_backward", body)


def _known_mistake(yours, ref: torch.Tensor, candidates: Callable, *args) -> str | None:
    """The hint of the first wrong formula of `candidates(*args)` ({hint: tensor}) that `yours`
    equals, or None."""
    if not isinstance(yours, torch.Tensor) or tuple(yours.shape) != tuple(ref.shape):
        return None
    for why, candidate in candidates(*args).items():
        if _rtol_close(yours.detach().to(ref.dtype), candidate):
            return why + "."
    return None


class _Batch:
    """The little of a forward pass that `diagnose` needs for a lone gradient."""

    def __init__(self, n: int, Yb: torch.Tensor):
        self.n, self.Yb = n, Yb


# ---------------------------------------------------------------------------------------------
# Exercise 3: the BatchNorm backward in one expression
# ---------------------------------------------------------------------------------------------


def _bn_candidates(f, g: torch.Tensor) -> dict[str, torch.Tensor]:
    """The wrong BatchNorm backward passes learners write, by hint."""
    n, gain, s, xhat = f.n, f.bngain, f.bnvar_inv, f.bnraw
    return {
        "it has the biased variance's formula (n where the forward pass divides by n - 1): with "
        "Bessel's correction the variance term carries a factor n/(n - 1)":
            gain * s / n * (n * g - g.sum(0) - xhat * (g * xhat).sum(0)),
        "it is only the direct path: every input also moves its column's mean and variance, "
        "which moves every output of the column (two more terms)": gain * s * g,
        "it misses the path through the mean (every input shifts the mean, which shifts every "
        "output of its column)": gain * s / n * (n * g - n / (n - 1) * xhat * (g * xhat).sum(0)),
        "it misses the path through the variance": gain * s / n * (n * g - g.sum(0)),
        "it sums over dimension 1 (the units): BatchNorm's statistics, and so the sums of its "
        "backward pass, run over the batch, dimension 0":
            gain * s / n * (n * g - g.sum(1, keepdim=True)
                            - n / (n - 1) * xhat * (g * xhat).sum(1, keepdim=True)),
        "it forgets the gain bngain": s / n * (n * g - g.sum(0) - n / (n - 1) * xhat * (g * xhat).sum(0)),
    }


def batchnorm_backward(fn: Callable) -> Result:
    """Your function `fn(f, dhpreact)` returns dhprebn, the gradient at BatchNorm's input, from
    dhpreact, the one at its output, for the forward pass `f` (lecture_utils.backprop's
    forward_ops: the variance divided by n - 1)."""

    def body() -> str:
        if fn is None:
            raise NotAttempted("your function is still None: write batchnorm_backward(f, dhpreact), "
                               "then run the cell again.")
        for case_number, case in enumerate(CASES):
            params_f, _ = _forward(case, requires_grad=False)
            g = torch.Generator().manual_seed(case[-1] + 100)
            dhpreact = torch.randn(params_f.hpreact.shape, generator=g) * 0.01
            leaves = {name: getattr(params_f, name).clone().requires_grad_(True)
                      for name in PARAM_NAMES}
            f = forward_ops(leaves, params_f.Xb, params_f.Yb)
            f.hprebn.retain_grad()
            f.hpreact.backward(dhpreact)
            ref = f.hprebn.grad
            f = params_f  # the learner's function gets the forward pass without a graph
            yours = call_learner("your batchnorm_backward(f, dhpreact)", fn, f, dhpreact.clone())
            if yours is None:
                raise NotAttempted("your function returns None: return dhprebn, then run the cell "
                                   "again.")
            hint = diagnose("hprebn", yours, ref, f)
            if hint is None:
                continue
            hint = _known_mistake(yours, ref, _bn_candidates, f, dhpreact) or hint
            where = "" if case_number == 0 else (
                f" on a batch of {case[0]} with {case[3]} units (right on the notebook's sizes: use "
                "f.n and the tensors' shapes, not fixed numbers)")
            raise Wrong(f"your dhprebn{where}: {hint}")
        return ("dhprebn equals PyTorch's gradient through BatchNorm (with Bessel's n - 1), on "
                "batches of two sizes.")

    return run_check("batchnorm_backward", body)


# ---------------------------------------------------------------------------------------------
# Exercise 4: the backward pass for training, without autograd
# ---------------------------------------------------------------------------------------------


def manual_backward(fn: Callable) -> Result:
    """Your function `fn(f)` returns the gradients of the seven parameters, {"C": dC, ...,
    "bnbias": dbnbias}, from a forward pass computed under torch.no_grad() (no graph, so no
    .backward()); each is compared with PyTorch's."""

    def body() -> str:
        if fn is None:
            raise NotAttempted("your function is still None: write manual_backward(f), then run "
                               "the cell again.")
        for case_number, case in enumerate(CASES):
            f, grads = _forward(case, requires_grad=False)
            try:
                with torch.no_grad():
                    answer = call_learner("your manual_backward(f)", fn, f)
            except Wrong as exc:
                raise _describe_error("under torch.no_grad()", exc) from None
            if answer is None:
                raise NotAttempted("your function returns None: return the dict of the seven "
                                   "gradients, {\"C\": dC, \"W1\": dW1, ...}, then run the cell "
                                   "again.")
            if not isinstance(answer, dict):
                raise Wrong(f"your function returns a {type(answer).__name__}: return a dict of the "
                            "seven gradients by name, {\"C\": dC, \"W1\": dW1, ...}.")
            if all(value is None for value in answer.values()):
                raise NotAttempted("your gradients are all None: compute them, then run the cell "
                                   "again.")
            unknown = sorted(str(key) for key in answer if key not in PARAM_NAMES)
            if unknown:
                key = unknown[0]
                fix = (f" (name it {key[1:]!r}: by the parameter, without the d)"
                       if key.startswith("d") and key[1:] in PARAM_NAMES else "")
                raise Wrong(f"{key!r} is not a parameter{fix}; the parameters are "
                            f"{', '.join(PARAM_NAMES)}.")
            missing = [name for name in PARAM_NAMES if answer.get(name) is None]
            if missing:
                raise Wrong(f"the gradient of {missing[0]} is missing: training updates all seven "
                            f"parameters ({', '.join(PARAM_NAMES)}).")
            for name in ("b2", "W2", "bngain", "bnbias", "b1", "W1", "C"):
                hint = diagnose(name, answer[name], grads[name], f)
                if hint:
                    where = "" if case_number == 0 else (
                        f" on a batch of {case[0]} with {case[3]} units (right on the notebook's "
                        "sizes: use f.n and the tensors' shapes, not fixed numbers)")
                    raise Wrong(f"the gradient of {name}{where}: {hint}")
        return ("all seven gradients equal PyTorch's, computed without autograd, on batches of two "
                "sizes: ready to train.")

    return run_check("manual_backward", body)

