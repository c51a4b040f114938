"""lecture_utils.check.batchnorm (notebook 05's checks), fed the answers learners give: each
right answer is accepted, each kind of wrong answer rejected with the hint that names its
fault, and an answer left as the notebook gives it is "not attempted yet", without raising."""

import math
from collections import Counter

import pytest
import torch
import torch.nn.functional as F

from lecture_utils import check
from lecture_utils.check import NOT_ATTEMPTED, RIGHT, WRONG
from lecture_utils.check import batchnorm as checks
from lecture_utils.layers import BatchNorm1d, Linear, Sequential
from tests.check.verdict import verdict

# ---------------------------------------------------------------------------------------------
# zero_init_trained
# ---------------------------------------------------------------------------------------------


def test_only_the_output_bias_of_a_zero_initialised_mlp_changes():
    """The claim the check holds learners to, worked out by training: with W1, b1, W2, b2 zero,
    h = tanh(0) = 0 and W2 = 0 stop every gradient but b2's, at every step."""
    assert checks.zero_init_changes() == {"b2"}
    assert checks.zero_init_changes(steps=20, seed=3) == {"b2"}


@pytest.mark.parametrize("answer", [{"b2"}, ["b2"], ("b2",), "b2", {" b2 "},
                                    {"C": False, "W1": False, "b1": False, "W2": False, "b2": True}],
                         ids=["set", "list", "tuple", "string", "spaces", "dict"])
def test_zero_init_trained_accepts_the_right_answer_in_any_form(capsys, answer):
    verdict(capsys, check.zero_init_trained(answer), RIGHT, "only that one changes")


def test_zero_init_trained_left_unanswered_is_not_attempted(capsys):
    verdict(capsys, check.zero_init_trained(None), NOT_ATTEMPTED, "None")


@pytest.mark.parametrize("answer, hints", [
    ({"b2", "W2"}, ["W2 never changes", "what is h"]),
    ({"W2"}, ["W2 never changes"]),
    ({"b2", "W1", "b1"}, ["W1 (and b1) never changes", "W2 is zero"]),
    ({"b1", "b2"}, ["b1 never changes"]),
    ({"C", "b2"}, ["C never changes", "zero matrices"]),
])
def test_zero_init_trained_names_a_parameter_that_never_changes(capsys, answer, hints):
    line = verdict(capsys, check.zero_init_trained(answer), WRONG, *hints)
    assert "b2 never" not in line


def test_zero_init_trained_rejects_nothing_and_everything(capsys):
    verdict(capsys, check.zero_init_trained(set()), WRONG, "something trains")
    verdict(capsys, check.zero_init_trained({"C", "W1", "b1", "W2", "b2"}), WRONG,
            "not everything trains")


def test_zero_init_trained_rejects_unknown_names_and_non_names(capsys):
    verdict(capsys, check.zero_init_trained({"b2", "W3"}), WRONG, "'W3' is not a parameter",
            "C, W1, b1, W2, b2")
    verdict(capsys, check.zero_init_trained({"bnbias"}), WRONG, "'bnbias' is not a parameter")
    verdict(capsys, check.zero_init_trained([1, 2]), WRONG, "as strings")
    verdict(capsys, check.zero_init_trained(2.0), WRONG, "give a set of parameter names")


def test_zero_init_trained_names_a_missing_parameter_without_naming_it(capsys, monkeypatch):
    monkeypatch.setattr(checks, "zero_init_changes", lambda: {"W2", "b2"})
    line = verdict(capsys, check.zero_init_trained({"b2"}), WRONG, "left out 1 parameter")
    assert "W2" in line  # the question names W2 as a clue, but not as the missing one
    assert "W2 never" not in line


# ---------------------------------------------------------------------------------------------
# zero_init_loss
# ---------------------------------------------------------------------------------------------

# Targets with a skewed frequency, like the next characters of names.
_FREQ = torch.tensor([0.12, 0.1, 0.08, 0.07, 0.06] + [0.03] * 19 + [0.0, 0.0, 0.0])
Y = torch.multinomial(_FREQ / _FREQ.sum(), 5000, replacement=True,
                      generator=torch.Generator().manual_seed(0))


def entropy(targets):
    counts = Counter(targets.tolist())
    n = sum(counts.values())
    return -sum(c / n * math.log(c / n) for c in counts.values())


FLOOR = entropy(Y)


@pytest.mark.parametrize("loss", [FLOOR, FLOOR + 0.005, FLOOR - 5e-5, torch.tensor(FLOOR + 0.002)],
                         ids=["at the floor", "a little above", "float32 rounding", "tensor"])
def test_zero_init_loss_accepts_a_loss_at_the_frequency_floor(capsys, loss):
    verdict(capsys, check.zero_init_loss(loss, Y), RIGHT, "frequency")


def test_zero_init_loss_left_unanswered_is_not_attempted(capsys):
    verdict(capsys, check.zero_init_loss(None, Y), NOT_ATTEMPTED, "None")


@pytest.mark.parametrize("loss, hints", [
    (FLOOR - 0.3, ["lower than any network", "one minibatch"]),  # a network that uses the context
    (math.log(27), ["uniform guess", "not learned anything"]),  # untrained
    (3.6, ["above the uniform guess"]),
    (FLOOR + 0.1, ["train for more steps"]),  # stopped too early
    (FLOOR / math.log(10), ["factor of ln 10"]),
    (math.nan, ["NaN"]),
    (math.inf, ["infinite"]),
    ("2.8", ["not a number"]),
])
def test_zero_init_loss_rejects_wrong_losses_with_their_hint(capsys, loss, hints):
    line = verdict(capsys, check.zero_init_loss(loss, Y), WRONG, *hints)
    assert f"{FLOOR:.3f}" not in line and f"{FLOOR:.2f}" not in line  # the floor is never shown


@pytest.mark.parametrize("targets", [Y.float(), Y.tolist(), Y + 27, None],
                         ids=["floats", "list", "out of range", "None"])
def test_zero_init_loss_wants_the_targets(capsys, targets):
    verdict(capsys, check.zero_init_loss(FLOOR, targets), WRONG, "pass the targets")


# ---------------------------------------------------------------------------------------------
# fold_batchnorm
# ---------------------------------------------------------------------------------------------


def parts(linear, bn, eps=None):
    eps = bn.eps if eps is None else eps
    b = torch.zeros_like(bn.running_mean) if linear.bias is None else linear.bias
    return b, bn.gamma / torch.sqrt(bn.running_var + eps)


def fold_tuple(linear, bn):
    b, scale = parts(linear, bn)
    return linear.weight * scale, (b - bn.running_mean) * scale + bn.beta


def fold_linear(linear, bn):
    fan_in, fan_out = linear.weight.shape
    folded = Linear(fan_in, fan_out, generator=torch.Generator().manual_seed(0))
    folded.weight, folded.bias = fold_tuple(linear, bn)
    return folded


class BatchNorm1d2D:
    """Notebook 05's BatchNorm1d: 2-D input only, training flag, running statistics."""

    def __init__(self, dim, eps=1e-5, momentum=0.1):
        self.eps, self.momentum, self.training = eps, momentum, True
        self.gamma, self.beta = torch.ones(dim), torch.zeros(dim)
        self.running_mean, self.running_var = torch.zeros(dim), torch.ones(dim)

    def __call__(self, x):
        if self.training:
            n = x.shape[0]
            mean, var = x.mean(0), x.var(0, unbiased=False)
            with torch.no_grad():
                self.running_mean.lerp_(mean, self.momentum)
                self.running_var.lerp_(var * n / (n - 1), self.momentum)
        else:
            mean, var = self.running_mean, self.running_var
        self.out = self.gamma * (x - mean) * torch.rsqrt(var + self.eps) + self.beta
        return self.out

    def parameters(self):
        return [self.gamma, self.beta]


@pytest.mark.parametrize("fold", [fold_tuple, fold_linear], ids=["tuple", "Linear"])
@pytest.mark.parametrize("bn_class", [BatchNorm1d, BatchNorm1d2D], ids=["package", "notebook 05"])
def test_fold_batchnorm_accepts_a_right_fold(capsys, fold, bn_class):
    verdict(capsys, check.fold_batchnorm(fold, Linear, bn_class), RIGHT,
            "torch.nn.BatchNorm1d", "single examples")


def test_fold_batchnorm_left_unanswered_is_not_attempted(capsys):
    def unanswered(linear, bn):
        raise NotImplementedError("your answer")

    verdict(capsys, check.fold_batchnorm(lambda linear, bn: None), NOT_ATTEMPTED, "returns None")
    verdict(capsys, check.fold_batchnorm(unanswered), NOT_ATTEMPTED, "NotImplementedError")


def folds_with(mistake):
    """A fold with one mistake (parts the learner writes differently from fold_tuple)."""

    def fold(linear, bn):
        W, gamma, beta = linear.weight, bn.gamma, bn.beta
        mean, var, eps = bn.running_mean, bn.running_var, bn.eps
        b = torch.zeros_like(mean) if linear.bias is None else linear.bias
        scale = gamma / torch.sqrt(var + eps)
        W2, b2 = W * scale, (b - mean) * scale + beta
        if mistake == "no eps":
            scale = gamma / torch.sqrt(var)
            W2, b2 = W * scale, (b - mean) * scale + beta
        elif mistake == "variance":
            scale = gamma / (var + eps)
            W2, b2 = W * scale, (b - mean) * scale + beta
        elif mistake == "variance, no eps":
            scale = gamma / var
            W2, b2 = W * scale, (b - mean) * scale + beta
        elif mistake == "eps 1e-5":
            scale = gamma / torch.sqrt(var + 1e-5)
            W2, b2 = W * scale, (b - mean) * scale + beta
        elif mistake == "no gamma":
            scale = 1 / torch.sqrt(var + eps)
            W2, b2 = W * scale, (b - mean) * scale + beta
        elif mistake == "rows":
            W2 = W * scale[:, None]
        elif mistake == "transposed":
            W2 = (W * scale).T
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
            return W2, None
        elif mistake == "batch statistics":  # the last training batch, kept in linear.out
            batch = linear.out
            scale = gamma / torch.sqrt(batch.var(0) + eps)
            W2, b2 = W * scale, (b - batch.mean(0)) * scale + beta
        elif mistake == "bias off":
            b2 = b2 + 0.3
        elif mistake == "weight off":
            W2 = W2 * 1.05
        elif mistake == "both off":
            W2, b2 = W2 * 1.05, b2 + 0.3
        return W2, b2

    return fold


@pytest.mark.parametrize("mistake, hints", [
    ("no eps", ["forgets eps"]),
    ("variance", ["divides by the variance"]),
    ("variance, no eps", ["divides by the variance, and without eps"]),
    ("eps 1e-5", ["eps=0.01", "bn.eps"]),
    ("no gamma", ["forgets gamma"]),
    ("rows", ["rows of W", "(fan_in, fan_out)"]),
    ("transposed", ["transposed"]),
    ("weight unscaled", ["the weight is the Linear's own"]),
    ("no mean", ["misses the mean"]),
    ("mean added", ["wrong sign"]),
    ("mean unscaled", ["after the scaling"]),
    ("bias unscaled", ["bias is not scaled"]),
    ("no beta", ["forgets beta"]),
    ("linear bias dropped", ["ignores the Linear's own bias"]),
    ("no bias", ["has no bias", "even when the Linear had no bias"]),
    ("batch statistics", ["one batch", "running"]),
    ("bias off", ["weight is right, the bias is not"]),
    ("weight off", ["bias is right, the weight is not"]),
    ("both off", ["differ", "collect what multiplies x"]),
])
def test_fold_batchnorm_names_each_mistake(capsys, mistake, hints):
    verdict(capsys, check.fold_batchnorm(folds_with(mistake), Linear, BatchNorm1d), WRONG, *hints)


def test_fold_batchnorm_rejects_a_fold_that_keeps_the_batchnorm(capsys):
    verdict(capsys, check.fold_batchnorm(lambda linear, bn: Sequential([linear, bn])), WRONG,
            "still contains a BatchNorm")

    def eval_closure(linear, bn):
        bn.training = False
        return lambda x: bn(linear(x))

    verdict(capsys, check.fold_batchnorm(eval_closure), WRONG, "still contains a BatchNorm")


def test_fold_batchnorm_names_batch_statistics_in_training_mode(capsys):
    def training_mode(linear, bn):
        W2, b2 = linear.weight, linear.bias
        gamma, beta, eps = bn.gamma, bn.beta, bn.eps
        return lambda x: F.batch_norm(x @ W2 + (0 if b2 is None else b2), None, None, gamma, beta,
                                      training=True, eps=eps)

    verdict(capsys, check.fold_batchnorm(training_mode), WRONG, "training mode",
            "running_mean and running_var")


def test_fold_batchnorm_rejects_a_fold_in_place(capsys):
    def in_place(linear, bn):
        W = linear.weight.detach()
        W *= bn.gamma.detach() / torch.sqrt(bn.running_var + bn.eps)  # changes linear.weight too
        return W, fold_tuple(linear, bn)[1]

    verdict(capsys, check.fold_batchnorm(in_place), WRONG, "changed the Linear's weight in place",
            "W *=")

    def resets_the_batchnorm(linear, bn):
        folded = fold_tuple(linear, bn)
        bn.running_mean.zero_()
        return folded

    verdict(capsys, check.fold_batchnorm(resets_the_batchnorm), WRONG, "running_mean in place")


def test_fold_batchnorm_names_a_missing_linear_bias_and_row_broadcasting(capsys):
    def bias_assumed(linear, bn):
        b, scale = parts(linear, bn)
        return linear.weight * scale, (linear.bias - bn.running_mean) * scale + bn.beta

    verdict(capsys, check.fold_batchnorm(bias_assumed), WRONG, "bias=False", "TypeError",
            "treat it as zero")

    def rows_everywhere(linear, bn):  # passes the square case? no: it is caught there first
        b, scale = parts(linear, bn)
        return linear.weight * scale[:, None], (b - bn.running_mean) * scale + bn.beta

    verdict(capsys, check.fold_batchnorm(rows_everywhere), WRONG, "rows of W")

    def torch_layout(linear, bn):
        W, b = fold_tuple(linear, bn)
        if W.shape[0] == W.shape[1]:
            return W, b  # right on the square pair, so the next pair shows the layout
        return W.T.contiguous(), b

    verdict(capsys, check.fold_batchnorm(torch_layout), WRONG, "(4, 10)",
            "(fan_in, fan_out) = (10, 4)")

    def rows_when_not_square(linear, bn):
        W, b = fold_tuple(linear, bn)
        if W.shape[0] == W.shape[1]:
            return W, b
        return linear.weight * parts(linear, bn)[1][:, None], b

    verdict(capsys, check.fold_batchnorm(rows_when_not_square), WRONG, "RuntimeError",
            "line up with its columns")


def test_fold_batchnorm_rejects_nan_wrong_shapes_errors_and_non_layers(capsys):
    def nan(linear, bn):
        W, b = fold_tuple(linear, bn)
        return W * math.nan, b

    verdict(capsys, check.fold_batchnorm(nan), WRONG, "NaN")

    def too_narrow(linear, bn):
        W, b = fold_tuple(linear, bn)
        return W[:, :-1], b[:-1]

    verdict(capsys, check.fold_batchnorm(too_narrow), WRONG, "returns (16, 5), not (16, 6)")
    verdict(capsys, check.fold_batchnorm(lambda linear, bn: 1 / 0), WRONG, "ZeroDivisionError")
    verdict(capsys, check.fold_batchnorm(lambda linear, bn: "W2"), WRONG, "returned a str")
    verdict(capsys, check.fold_batchnorm(lambda linear, bn: (1, 2, 3)), WRONG, "tuple of 3")


def test_fold_batchnorm_rejects_a_layer_that_needs_a_batch(capsys):
    def batch_only(linear, bn):
        W, b = fold_tuple(linear, bn)

        def layer(x):
            if x.shape[0] < 2:
                raise ValueError("needs a batch")
            return x @ W + b

        return layer

    verdict(capsys, check.fold_batchnorm(batch_only), WRONG, "on one example raised ValueError")


def test_fold_batchnorm_wants_the_notebooks_own_classes(capsys):
    class NoEpsBatchNorm(BatchNorm1d2D):
        def __call__(self, x):
            if self.training:
                return super().__call__(x)
            return self.gamma * (x - self.running_mean) / self.running_var.sqrt() + self.beta

    verdict(capsys, check.fold_batchnorm(fold_tuple, Linear, NoEpsBatchNorm), WRONG,
            "does not match torch.nn.BatchNorm1d", "notebook's own classes")
