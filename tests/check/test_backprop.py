"""lecture_utils.check.backprop (the checks of notebook 06_backprop_ninja), fed the answers
learners give: each right answer is accepted, each kind of wrong answer rejected with the hint
that names its fault, and an answer left as the notebook gives it is "not attempted yet",
without raising."""

import math

import pytest
import torch
import torch.nn.functional as F

from lecture_utils import check
from lecture_utils.backprop import forward_ops, init_params, torch_gradients
from lecture_utils.check import NOT_ATTEMPTED, RIGHT, WRONG
from lecture_utils.check import backprop as checks
from tests.check.verdict import verdict

# ---------------------------------------------------------------------------------------------
# Exercise 1: every intermediate, with the mistakes learners make as switches
# ---------------------------------------------------------------------------------------------


def make_backward(mistake=None, stop_after=None):
    """The step-by-step backward pass of the notebook's worked answer, with one mistake."""

    def backward(f):
        n = 32 if mistake == "fixed n" else f.n
        d = {}
        d["logprobs"] = torch.zeros_like(f.logprobs)
        d["logprobs"][torch.arange(f.n), f.Yb] = {"sign": 1.0 / n, "no 1/n": -1.0}.get(mistake, -1.0 / n)
        d["probs"] = (1.0 / f.probs) * d["logprobs"]
        if mistake == "nan":
            d["probs"] = d["probs"] * math.nan
        dcounts_sum_inv = f.counts * d["probs"]
        d["counts_sum_inv"] = (dcounts_sum_inv if mistake == "no broadcast sum"
                               else dcounts_sum_inv.sum(1, keepdim=True))
        d["counts_sum"] = (-f.counts_sum**-2) * dcounts_sum_inv.sum(1, keepdim=True)
        d["counts"] = f.counts_sum_inv * d["probs"] + d["counts_sum"]
        d["norm_logits"] = f.counts * d["counts"]
        d["logit_maxes"] = (-d["norm_logits"]).sum(1, keepdim=True)
        d["logits"] = d["norm_logits"] + F.one_hot(f.logits.max(1).indices, f.logits.shape[1]) \
            * d["logit_maxes"]
        if stop_after == "logits":
            return {name: d[name] for name in ("logprobs", "probs", "counts_sum_inv", "counts_sum",
                                                "counts")}
        d["h"] = d["logits"] @ f.W2.T
        d["W2"] = f.h.T @ d["logits"]
        d["b2"] = d["logits"].sum(0, keepdim=mistake == "shape")
        d["hpreact"] = (1.0 - f.h**2) * d["h"]
        d["bngain"] = (f.bnraw * d["hpreact"]).sum(0, keepdim=True)
        d["bnbias"] = d["hpreact"].sum(0, keepdim=True)
        d["bnraw"] = f.bngain * d["hpreact"]
        d["bnvar_inv"] = (f.bndiff * d["bnraw"]).sum(0, keepdim=True)
        d["bnvar"] = (-0.5 * (f.bnvar + 1e-5) ** -1.5) * d["bnvar_inv"]
        bessel = n if mistake == "bessel" else n - 1
        d["bndiff2"] = (1.0 / bessel) * torch.ones_like(f.bndiff2) * d["bnvar"]
        d["bndiff"] = f.bnvar_inv * d["bnraw"] + 2 * f.bndiff * d["bndiff2"]
        d["bnmeani"] = (-d["bndiff"]).sum(0, keepdim=True)
        d["hprebn"] = d["bndiff"] + 1.0 / n * d["bnmeani"]
        d["embcat"] = d["hprebn"] @ f.W1.T
        d["W1"] = f.embcat.T @ d["hprebn"]
        d["b1"] = d["hprebn"].sum(0)
        d["emb"] = d["embcat"].view(f.emb.shape)
        d["C"] = torch.zeros_like(f.C)
        if mistake == "assign C":
            d["C"][f.Xb] = d["emb"]
        elif mistake == "+= C":
            d["C"][f.Xb] += d["emb"]
        else:
            d["C"].index_add_(0, f.Xb.view(-1), d["emb"].view(-1, d["emb"].shape[-1]))
        if mistake == "d names":
            d = {"d" + name: value for name, value in d.items()}
        return d

    return backward


def test_the_worked_answer_is_right(capsys):
    verdict(capsys, check.backward_by_hand(make_backward()), RIGHT, "all 26 gradients")


def test_the_lecture_loop_for_dC_is_right_too(capsys):
    right = make_backward()

    def with_loop(f):
        d = right(f)
        dC = torch.zeros_like(f.C)
        for k in range(f.Xb.shape[0]):
            for j in range(f.Xb.shape[1]):
                dC[f.Xb[k, j]] += d["emb"][k, j]
        d["C"] = dC
        return d

    verdict(capsys, check.backward_by_hand(with_loop), RIGHT)


@pytest.mark.parametrize("answer", [lambda f: {}, lambda f: None, None,
                                    lambda f: {"logprobs": None}],
                         ids=["the placeholder", "None returned", "None", "all None"])
def test_backward_by_hand_left_unanswered_is_not_attempted(capsys, answer):
    verdict(capsys, check.backward_by_hand(answer), NOT_ATTEMPTED)


@pytest.mark.parametrize("mistake, hints", [
    ("sign", ["gradient of logprobs", "wrong sign"]),
    ("no 1/n", ["gradient of logprobs", "32 times too large", "mean"]),
    ("no broadcast sum", ["gradient of counts_sum_inv", "shape (32, 27)", "broadcast", "sum"]),
    ("bessel", ["gradient of bndiff2", "(n - 1)/n", "Bessel"]),
    ("assign C", ["gradient of C", "used several times", "index_add_"]),
    ("+= C", ["gradient of C", "used several times", "index_add_"]),
    ("shape", ["gradient of b2", "shape (1, 27)", "(27,)"]),
    ("nan", ["gradient of probs", "NaN"]),
    ("fixed n", ["other sizes", "batch 7", "f.n"]),
    ("d names", ["'dC' is not a tensor", "name it 'C'"]),
])
def test_backward_by_hand_names_the_first_wrong_gradient(capsys, mistake, hints):
    verdict(capsys, check.backward_by_hand(make_backward(mistake)), WRONG, *hints)


def test_backward_by_hand_counts_the_gradients_still_missing(capsys):
    line = verdict(capsys, check.backward_by_hand(make_backward(stop_after="logits")), WRONG,
                   "the 5 gradients you gave are right", "21 are still missing", "'norm_logits'")
    assert "right:" not in line


def test_backward_by_hand_reports_an_exception_and_a_non_dict(capsys):
    verdict(capsys, check.backward_by_hand(lambda f: f.nothing), WRONG, "raised AttributeError")
    verdict(capsys, check.backward_by_hand(lambda f: [f.logprobs]), WRONG, "returns a list")
    verdict(capsys, check.backward_by_hand(lambda f: {"logprobs": 1.0}), WRONG, "not a tensor")


def test_a_gradient_of_zeros_where_one_is_expected_is_named(capsys):
    right = make_backward()

    def zero_probs(f):
        d = right(f)
        d["probs"] = torch.zeros_like(d["probs"])
        return d

    verdict(capsys, check.backward_by_hand(zero_probs), WRONG, "gradient of probs", "all zeros")


# ---------------------------------------------------------------------------------------------
# Exercise 2: the cross-entropy backward
# ---------------------------------------------------------------------------------------------


def dlogits_right(logits, Yb):
    dlogits = F.softmax(logits, 1)
    dlogits[torch.arange(logits.shape[0]), Yb] -= 1
    return dlogits / logits.shape[0]


def fixed_n(logits, Yb):
    dlogits = F.softmax(logits, 1)
    dlogits[torch.arange(logits.shape[0]), Yb] -= 1
    return dlogits / 32


def test_cross_entropy_backward_accepts_the_right_answer(capsys):
    verdict(capsys, check.cross_entropy_backward(dlogits_right), RIGHT, "softmax minus the one-hot")
    onehot = lambda logits, Yb: (F.softmax(logits, 1) - F.one_hot(Yb, logits.shape[1])) / len(Yb)  # noqa: E731
    verdict(capsys, check.cross_entropy_backward(onehot), RIGHT)


@pytest.mark.parametrize("answer", [lambda logits, Yb: None, None], ids=["placeholder", "None"])
def test_cross_entropy_backward_left_unanswered_is_not_attempted(capsys, answer):
    verdict(capsys, check.cross_entropy_backward(answer), NOT_ATTEMPTED, "None")


@pytest.mark.parametrize("answer, hints", [
    (lambda l, y: -dlogits_right(l, y), ["wrong sign"]),
    (lambda l, y: dlogits_right(l, y) * len(y), ["32 times too large", "mean"]),
    (lambda l, y: F.softmax(l, 1) / len(y), ["softmax alone", "one-hot"]),
    (lambda l, y: (F.softmax(l, 1) - 1) / len(y), ["every logit of a row", "one-hot"]),
    (lambda l, y: dlogits_right(l, y) * len(y) / l.shape[1], ["number of classes"]),
    (lambda l, y: (torch.log_softmax(l, 1) - F.one_hot(y, l.shape[1])) / len(y), ["log-softmax"]),
    (fixed_n, ["batch of 5", "shapes of logits"]),
    (lambda l, y: dlogits_right(l, y).sum(1), ["shape (32,)", "(32, 27)"]),
    (lambda l, y: dlogits_right(l, y) * math.nan, ["NaN"]),
    (lambda l, y: dlogits_right(l, y).T, ["shape (27, 32)"]),
], ids=["sign", "no 1/n", "no one-hot", "minus one everywhere", "over classes", "log-softmax",
        "fixed n", "summed rows", "nan", "transposed"])
def test_cross_entropy_backward_rejects_wrong_answers_with_their_hint(capsys, answer, hints):
    verdict(capsys, check.cross_entropy_backward(answer), WRONG, *hints)


# ---------------------------------------------------------------------------------------------
# Exercise 3: the BatchNorm backward
# ---------------------------------------------------------------------------------------------


def bn_backward(mistake=None):
    def backward(f, g):
        n = 32 if mistake == "fixed n" else f.n
        bessel = 1.0 if mistake == "bessel" else n / (n - 1)
        out = f.bngain * f.bnvar_inv / n * (n * g - g.sum(0) - bessel * f.bnraw * (g * f.bnraw).sum(0))
        if mistake == "sign":
            out = -out
        elif mistake == "direct only":
            out = f.bngain * f.bnvar_inv * g
        elif mistake == "no mean":
            out = f.bngain * f.bnvar_inv / n * (n * g - n / (n - 1) * f.bnraw * (g * f.bnraw).sum(0))
        elif mistake == "no variance":
            out = f.bngain * f.bnvar_inv / n * (n * g - g.sum(0))
        elif mistake == "dim 1":
            out = f.bngain * f.bnvar_inv / n * (n * g - g.sum(1, keepdim=True) - n / (n - 1) * f.bnraw
                                                * (g * f.bnraw).sum(1, keepdim=True))
        elif mistake == "no gain":
            out = out / f.bngain
        elif mistake == "summed":
            out = out.sum(0)
        elif mistake == "nan":
            out = out * math.nan
        return out

    return backward


def test_batchnorm_backward_accepts_the_right_answer(capsys):
    verdict(capsys, check.batchnorm_backward(bn_backward()), RIGHT, "Bessel")


def test_batchnorm_backward_accepts_autograd_through_its_own_forward(capsys):
    """An answer that differs from the reference only by float32 rounding is right."""

    def by_formula_in_steps(f, g):
        n = f.n
        dxhat = f.bngain * g
        return f.bnvar_inv * (dxhat - dxhat.mean(0) - f.bnraw * (dxhat * f.bnraw).sum(0) / (n - 1))

    verdict(capsys, check.batchnorm_backward(by_formula_in_steps), RIGHT)


@pytest.mark.parametrize("answer", [lambda f, g: None, None], ids=["placeholder", "None"])
def test_batchnorm_backward_left_unanswered_is_not_attempted(capsys, answer):
    verdict(capsys, check.batchnorm_backward(answer), NOT_ATTEMPTED, "None")


@pytest.mark.parametrize("mistake, hints", [
    ("bessel", ["biased variance", "n/(n - 1)"]),
    ("sign", ["wrong sign"]),
    ("direct only", ["only the direct path"]),
    ("no mean", ["path through the mean"]),
    ("no variance", ["path through the variance"]),
    ("dim 1", ["dimension 1", "dimension 0"]),
    ("no gain", ["bngain"]),
    ("summed", ["shape (64,)", "(32, 64)"]),
    ("nan", ["NaN"]),
    ("fixed n", ["batch of 7", "f.n"]),
])
def test_batchnorm_backward_rejects_wrong_answers_with_their_hint(capsys, mistake, hints):
    verdict(capsys, check.batchnorm_backward(bn_backward(mistake)), WRONG, *hints)


# ---------------------------------------------------------------------------------------------
# Exercise 4: the backward pass for training, without autograd
# ---------------------------------------------------------------------------------------------


def manual(mistake=None):
    def backward(f):
        if mistake == "autograd":
            f.loss.backward()
            return {"C": f.C.grad}
        dlogits = dlogits_right(f.logits, f.Yb)
        dh = dlogits @ f.W2.T
        dW2 = f.h.T @ dlogits
        db2 = dlogits.sum(0)
        dhpreact = (1.0 - f.h**2) * dh
        dbngain = (f.bnraw * dhpreact).sum(0, keepdim=mistake != "bngain shape")
        dbnbias = dhpreact.sum(0, keepdim=True)
        dhprebn = bn_backward()(f, dhpreact)
        dembcat = dhprebn @ f.W1.T
        dW1 = f.embcat.T @ dhprebn
        db1 = dhprebn.sum(0)
        demb = dembcat.view(f.emb.shape)
        dC = torch.zeros_like(f.C)
        if mistake == "assign C":
            dC[f.Xb] = demb
        else:
            dC.index_add_(0, f.Xb.view(-1), demb.view(-1, demb.shape[-1]))
        grads = {"C": dC, "W1": dW1, "b1": db1, "W2": -dW2 if mistake == "sign W2" else dW2,
                 "b2": db2, "bngain": dbngain, "bnbias": dbnbias}
        if mistake == "missing":
            del grads["bnbias"]
        if mistake == "d names":
            grads = {"d" + name: value for name, value in grads.items()}
        if mistake == "all None":
            grads = dict.fromkeys(grads)
        return grads

    return backward


def test_manual_backward_accepts_the_right_answer(capsys):
    verdict(capsys, check.manual_backward(manual()), RIGHT, "without autograd")


@pytest.mark.parametrize("answer", [lambda f: None, None, manual("all None")],
                         ids=["placeholder", "None", "all None"])
def test_manual_backward_left_unanswered_is_not_attempted(capsys, answer):
    verdict(capsys, check.manual_backward(answer), NOT_ATTEMPTED)


@pytest.mark.parametrize("mistake, hints", [
    ("autograd", ["torch.no_grad()", "without .backward()"]),
    ("assign C", ["gradient of C", "used several times"]),
    ("sign W2", ["gradient of W2", "wrong sign"]),
    ("missing", ["bnbias is missing"]),
    ("d names", ["'dC' is not a parameter", "name it 'C'"]),
    ("bngain shape", ["gradient of bngain", "shape (64,)", "(1, 64)"]),
])
def test_manual_backward_rejects_wrong_answers_with_their_hint(capsys, mistake, hints):
    verdict(capsys, check.manual_backward(manual(mistake)), WRONG, *hints)


def test_manual_backward_rejects_a_non_dict(capsys):
    verdict(capsys, check.manual_backward(lambda f: (f.C, f.W1)), WRONG, "returns a tuple")


# ---------------------------------------------------------------------------------------------
# The references themselves
# ---------------------------------------------------------------------------------------------


def test_the_check_forward_passes_repeat_a_row_of_C():
    """The embedding trap shows only when a character occurs more than once in a batch."""
    for case in checks.CASES:
        f, _ = checks._forward(case, requires_grad=False)
        assert torch.bincount(f.Xb.view(-1)).max() > 1


def test_the_forward_pass_is_cross_entropy_and_batchnorm_with_bessel():
    g = torch.Generator().manual_seed(0)
    params = init_params(27, 10, 3, 64, g)
    Xb = torch.randint(0, 27, (32, 3), generator=g)
    Yb = torch.randint(0, 27, (32,), generator=g)
    f = forward_ops(params, Xb, Yb)
    assert torch.allclose(f.loss, F.cross_entropy(f.logits, Yb), atol=1e-6)
    expected = params["bngain"] * (f.hprebn - f.hprebn.mean(0)) / torch.sqrt(
        f.hprebn.var(0, correction=1) + 1e-5) + params["bnbias"]
    assert torch.allclose(f.hpreact, expected, atol=1e-5)
    _, grads = torch_gradients(params, Xb, Yb)
    assert set(grads) == set(checks.BACKWARD_ORDER)
    assert all(grads[name].shape == getattr(f, name).shape for name in grads)
