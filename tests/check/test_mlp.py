"""lecture_utils.check.mlp (notebook 04's checks), fed the answers learners give: each right
answer is accepted, each kind of wrong answer rejected with the hint that names its fault, and
an answer left as the notebook gives it is "not attempted yet", without raising.

No model here is trained: the models that must beat a bar are count tables (a bigram, or a
table of whole contexts) written as functions or as notebook 04's five tensors, and the bar is
set where they land."""

import functools
import math

import pytest
import torch
import torch.nn.functional as F

from lecture_utils import check
from lecture_utils.check import NOT_ATTEMPTED, RIGHT, WRONG
from lecture_utils.check.mlp import split_data
from lecture_utils.course.data import load_words
from lecture_utils.layers import BatchNorm1d, Embedding, Linear, Sequential, Tanh
from lecture_utils.names import build_dataset, build_vocab, split_words
from tests.check.verdict import verdict

V = 27


@functools.cache
def splits(block_size=3):
    """(X, Y) of train, dev and test, built here as notebook 04 builds them."""
    words = load_words()
    stoi, _ = build_vocab(words)
    return [build_dataset(part, block_size, stoi) for part in split_words(words, 42)]


def counts_table(X, Y, columns, smoothing=1.0):
    """Log-probabilities of the next character given the characters X[:, columns], by counting
    (+`smoothing`), as a (27 ** len(columns), 27) table and the row index of each context."""
    def index(X):
        ix = torch.zeros(len(X), dtype=torch.long)
        for c in columns:
            ix = ix * V + X[:, c]
        return ix

    counts = torch.full((V ** len(columns), V), smoothing)
    counts.index_put_((index(X), Y), torch.ones(len(Y)), accumulate=True)
    return (counts / counts.sum(1, keepdim=True)).log(), index


def table_model(columns=(-1,), split=0, block_size=3, smoothing=1.0):
    """A count model of the next character given context positions `columns`, from `split`."""
    X, Y = splits(block_size)[split]
    table, index = counts_table(X, Y, columns, smoothing)
    return lambda X: table[index(X)]


BIGRAM = table_model()


@torch.no_grad()
def loss_of(model, split, block_size=3):
    X, Y = splits(block_size)[split]
    return F.cross_entropy(model(X), Y).item()


def bigram_params(block_size=3):
    """Notebook 04's five tensors wired to compute BIGRAM: one-hot embeddings, a hidden unit per
    character that fires (tanh(±10)) when it is the last of the context, W2 the table."""
    table, _ = counts_table(*splits(block_size)[0], (-1,))
    C = torch.eye(V)
    W1 = torch.zeros(block_size * V, V)
    W1[(block_size - 1) * V:] = 20 * torch.eye(V)
    b1 = -10 * torch.ones(V)
    W2 = table / 2
    b2 = W2.sum(0)
    return [C, W1, b1, W2, b2]


def lecture_params(n_embd=10, n_hidden=200, block_size=3, seed=2147483647):
    """Notebook 04's make_params: standard normal everywhere."""
    g = torch.Generator().manual_seed(seed)
    return [torch.randn((V, n_embd), generator=g), torch.randn((block_size * n_embd, n_hidden), generator=g),
            torch.randn(n_hidden, generator=g), torch.randn((n_hidden, V), generator=g),
            torch.randn(V, generator=g)]


# ---------------------------------------------------------------------------------------------
# beat_dev_loss
# ---------------------------------------------------------------------------------------------

BAR = 2.5  # the bigram lands near 2.45 on dev


def test_the_data_are_the_notebooks():
    assert [len(X) for X, _ in split_data(3)] == [182_625, 22_655, 22_866]
    for (X, Y), (X2, Y2) in zip(split_data(3), splits(3)):
        assert torch.equal(X, X2) and torch.equal(Y, Y2)


def test_a_model_that_beats_the_bar_is_accepted_as_a_function_or_five_tensors(capsys):
    dev = loss_of(BIGRAM, 1)
    assert dev < BAR
    verdict(capsys, check.beat_dev_loss(BIGRAM, dev, bar=BAR), RIGHT, "22,655 dev examples",
            "the bar 2.500", "agrees")
    params = bigram_params()
    verdict(capsys, check.beat_dev_loss(params, torch.tensor(dev), bar=BAR), RIGHT)


def test_a_model_that_misses_the_lecture_bar_is_told_by_how_much(capsys):
    dev = loss_of(BIGRAM, 1)
    line = verdict(capsys, check.beat_dev_loss(BIGRAM, dev), WRONG, f"{dev:.4f}",
                   f"{dev - 2.170:.4f} short of the lecture's 2.170", "underfits")
    assert "2.17 " not in line


def test_an_overfitting_model_is_told_so(capsys):
    memoriser = table_model(columns=(0, 1, 2), smoothing=0.01)  # far better on train
    dev = loss_of(memoriser, 1)
    verdict(capsys, check.beat_dev_loss(memoriser, dev, bar=2.0), WRONG, "short of the bar",
            "overfits")


@pytest.mark.parametrize("split, words", [(0, "on the train split"), (2, "on the test split")])
def test_a_loss_measured_on_another_split_is_named(capsys, split, words):
    verdict(capsys, check.beat_dev_loss(BIGRAM, loss_of(BIGRAM, split), bar=BAR), WRONG, words)


def test_a_loss_measured_on_a_minibatch_or_another_model_is_rejected(capsys):
    X, Y = splits()[1]
    minibatch = F.cross_entropy(BIGRAM(X[:32]), Y[:32]).item()
    dev = loss_of(BIGRAM, 1)
    assert 0.001 < abs(minibatch - dev)
    line = verdict(capsys, check.beat_dev_loss(BIGRAM, dev + 0.02, bar=BAR), WRONG, "off by 0.0200",
                   "part of the split")
    assert f"{dev:.4f}" not in line
    verdict(capsys, check.beat_dev_loss(BIGRAM, 1.5, bar=BAR), WRONG, "not your model's")


def test_the_placeholder_and_a_missing_loss_are_not_attempted(capsys):
    verdict(capsys, check.beat_dev_loss(None, None), NOT_ATTEMPTED, "still None", "2.170")
    verdict(capsys, check.beat_dev_loss(BIGRAM, None), NOT_ATTEMPTED, "no loss")
    verdict(capsys, check.beat_dev_loss(lambda X: None, 2.0), NOT_ATTEMPTED, "returns None")


def test_a_loss_that_is_not_a_number_is_rejected(capsys):
    verdict(capsys, check.beat_dev_loss(BIGRAM, "2.1", bar=BAR), WRONG, "not a number")


def batchnorm_model(generator):
    return Sequential([Embedding(V, 4, generator=generator), torch.nn.Flatten(),
                       Linear(12, 16, bias=False, generator=generator), BatchNorm1d(16), Tanh(),
                       Linear(16, V, generator=generator)])


def test_a_model_left_in_training_mode_is_caught_before_it_is_run(capsys):
    model = batchnorm_model(torch.Generator().manual_seed(0))
    before = model.layers[3].running_mean.clone()
    verdict(capsys, check.beat_dev_loss(model, 3.3), WRONG, "layers[3] (BatchNorm1d)",
            "training mode", ".eval()")
    verdict(capsys, check.beat_dev_loss(lambda X: model(X), 3.3), WRONG, "model.layers[3]",
            "training mode")
    assert torch.equal(model.layers[3].running_mean, before)  # the check changed nothing


def test_a_torch_module_in_training_mode_is_caught(capsys):
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Embedding(V, 4), torch.nn.Flatten(), torch.nn.Linear(12, 16),
                              torch.nn.BatchNorm1d(16), torch.nn.Tanh(), torch.nn.Linear(16, V))
    verdict(capsys, check.beat_dev_loss(net, 3.3), WRONG, "(BatchNorm1d)", "training mode")
    net.eval()
    dev = loss_of(net, 1)
    verdict(capsys, check.beat_dev_loss(net, dev, bar=3.6), RIGHT)


class Hidden:
    """A model whose layers the check cannot see: its output depends on the batch, or is random."""

    def __init__(self, kind):
        self.kind = kind
        self.g = torch.Generator().manual_seed(0)

    def __call__(self, X):
        logits = BIGRAM(X)
        if self.kind == "batch":
            return logits - logits.mean(0) + torch.randn(1, generator=self.g) * 0
        return logits + torch.randn(logits.shape, generator=self.g)


@pytest.mark.parametrize("kind, hint", [("batch", "other contexts in its batch"),
                                        ("random", "asked twice")])
def test_a_hidden_training_mode_is_caught_by_its_behaviour(capsys, kind, hint):
    verdict(capsys, check.beat_dev_loss(Hidden(kind), 2.4, bar=BAR), WRONG, hint)


@pytest.mark.parametrize("model, hints", [
    (lambda X: F.softmax(BIGRAM(X), 1), ["probabilities", "logits"]),
    (lambda X: BIGRAM(X).T, ["transposed"]),
    (lambda X: BIGRAM(X).argmax(1), ["one number per context"]),
    (lambda X: BIGRAM(X)[:, None].expand(-1, 2, -1), ["time dimension"]),
    (lambda X: BIGRAM(X).sum(), ["a single number"]),
    (lambda X: BIGRAM(X)[:, :26], ["not (64, 27)"]),
    (lambda X: BIGRAM(X).tolist(), ["not a tensor"]),
    (lambda X: BIGRAM(X) * math.nan, ["NaN", "diverge"]),
    (lambda X: BIGRAM(X).view(32, -1), ["(32, 54)", "written into your code"]),
    (lambda X: BIGRAM(X).view(32, 81), ["raised RuntimeError", "any number of rows"]),
], ids=["probabilities", "transposed", "argmax", "time left", "scalar", "26 columns", "list",
        "NaN", "hard-coded 32", "hard-coded 32, failing"])
def test_wrong_outputs_are_named(capsys, model, hints):
    verdict(capsys, check.beat_dev_loss(model, 2.4, bar=BAR), WRONG, *hints)


def test_contexts_shifted_by_one_are_named(capsys):
    """A model trained with the target inside its context, or one character late."""
    X, Y = splits()[0]
    inside = table_model(columns=(-1,))  # uses the last character...
    table, index = counts_table(torch.cat([X[:, 1:], Y[:, None]], 1), Y, (-1,))  # ...as the target
    inside = lambda X: table[index(X)]  # noqa: E731
    verdict(capsys, check.beat_dev_loss(inside, loss_of(inside, 1), bar=BAR), WRONG,
            "already the last one of its context")
    late = torch.cat([torch.zeros_like(X[:, :1]), X[:, :-1]], 1)  # the latest character missing
    table2, index2 = counts_table(late, Y, (-1, -2))
    late_model = lambda X: table2[index2(X)]  # noqa: E731
    verdict(capsys, check.beat_dev_loss(late_model, loss_of(late_model, 1), bar=BAR), WRONG,
            "ends one character early")


def test_a_block_size_that_is_not_the_models_is_named(capsys):
    verdict(capsys, check.beat_dev_loss(bigram_params(4), 2.4, bar=BAR), WRONG,
            "block_size is 3", "108 rows, 4 characters of 27 numbers")
    model = batchnorm_model(torch.Generator().manual_seed(0)).eval()
    verdict(capsys, check.beat_dev_loss(model, 2.4, block_size=4), WRONG,
            "block_size=4 the context length")
    verdict(capsys, check.beat_dev_loss(BIGRAM, 2.4, block_size=0), WRONG, "positive whole number")


@pytest.mark.parametrize("model, hint", [
    (bigram_params()[:4], "list of 4 tensors"),
    ([1.0, 2.0], "list of float, float"),
    ("C, W1, b1, W2, b2", "is a str"),
    (bigram_params()[:3] + [bigram_params()[3][:, :26], bigram_params()[4]], "one column per character"),
    (bigram_params()[:2] + [torch.zeros(5)] + bigram_params()[3:], "hidden layer's sizes"),
    ([p.reshape(-1) for p in bigram_params()], "notebook 04's order"),
], ids=["four", "floats", "string", "transposed", "b1 size", "flat"])
def test_a_malformed_list_of_tensors_is_named(capsys, model, hint):
    verdict(capsys, check.beat_dev_loss(model, 2.4, bar=BAR), WRONG, hint)


def test_a_model_that_saw_the_dev_names_is_caught(capsys):
    cheat = table_model(columns=(0, 1, 2), split=1)  # counted on dev itself
    dev = loss_of(cheat, 1)
    verdict(capsys, check.beat_dev_loss(cheat, dev, bar=BAR), WRONG,
            "better on the dev names", "part of its training data")


# ---------------------------------------------------------------------------------------------
# uniform_guess_loss
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [math.log(27), -math.log(1 / 27), torch.tensor(27.0).log(), 3.2958],
                         ids=["ln 27", "-ln(1/27)", "tensor", "four decimals"])
def test_the_uniform_loss_is_accepted(capsys, answer):
    line = verdict(capsys, check.uniform_guess_loss(answer), RIGHT)
    assert "3.29" not in line


def close_to_ln27(answer):
    """The learner's own answer may show these digits; the check must not add them."""
    return isinstance(answer, str) or abs(abs(float(answer)) - math.log(27)) < 0.01


@pytest.mark.parametrize("answer, hint", [
    (1 / 27, "probability"),
    (math.log(26), "'.' is one of the guesses"),
    (math.log2(27), "base 2"),
    (math.log10(27), "factor of 1/ln 10"),
    (27, "number of characters"),
    (-math.log(27), "wrong sign"),
    (3.3, "rounded"),
    (1.0, "negative log"),
    (math.nan, "NaN"),
    ("3.2958", "not a number"),
], ids=["probability", "26", "log2", "log10", "27", "sign", "rounded", "other", "NaN", "string"])
def test_wrong_uniform_losses_are_named(capsys, answer, hint):
    line = verdict(capsys, check.uniform_guess_loss(answer), WRONG, hint)
    if not close_to_ln27(answer):
        assert "3.29" not in line


def test_the_uniform_loss_left_unanswered_is_not_attempted(capsys):
    verdict(capsys, check.uniform_guess_loss(None), NOT_ATTEMPTED, "still None")


# ---------------------------------------------------------------------------------------------
# starting_loss
# ---------------------------------------------------------------------------------------------


def scaled_params(w2=0.01, b2=0.0, seed=2147483647):
    C, W1, b1, W2, b2_ = lecture_params(seed=seed)
    return [C, W1 * 0.2, b1 * 0.01, W2 * w2, b2_ * b2]


def test_a_small_output_layer_starts_near_the_uniform_loss(capsys):
    verdict(capsys, check.starting_loss(scaled_params()), RIGHT, "182,625 training examples",
            "within 0.05")
    verdict(capsys, check.starting_loss(scaled_params(w2=0.0)), RIGHT)  # W2 = 0 still learns


def test_the_lectures_initialisation_is_too_confident(capsys):
    verdict(capsys, check.starting_loss(lecture_params()), WRONG, "above a uniform guess",
            "how large")
    verdict(capsys, check.starting_loss(scaled_params(w2=0.01, b2=1.0)), WRONG, "above")


def test_an_all_zero_network_is_uniform_but_cannot_learn(capsys):
    zeros = [torch.zeros_like(p) for p in lecture_params()]
    verdict(capsys, check.starting_loss(zeros), WRONG, "every hidden unit computes the same")
    alike = scaled_params(w2=0.0)
    alike[1] = torch.ones_like(alike[1]) * 0.1
    alike[2] = torch.zeros_like(alike[2])
    verdict(capsys, check.starting_loss(alike), WRONG, "same gradient and stay alike")


def test_a_trained_network_or_a_frequency_bias_is_not_a_start(capsys):
    verdict(capsys, check.starting_loss(bigram_params()), WRONG, "well below", "trained")
    X, Y = splits()[0]
    frequencies = torch.bincount(Y, minlength=V).float() / len(Y)
    informed = scaled_params(w2=0.0)
    informed[4] = frequencies.log()
    verdict(capsys, check.starting_loss(informed), WRONG, "well below", "frequencies")


def test_starting_loss_takes_a_function_and_names_nan_and_block_size(capsys):
    verdict(capsys, check.starting_loss(lambda X: torch.zeros(len(X), V)), RIGHT)
    nan = scaled_params()
    nan[3] = nan[3] * math.nan
    verdict(capsys, check.starting_loss(nan), WRONG, "NaN")
    verdict(capsys, check.starting_loss(scaled_params(), block_size=4), WRONG, "block_size is 4")


def test_starting_loss_left_unanswered_is_not_attempted(capsys):
    verdict(capsys, check.starting_loss(None), NOT_ATTEMPTED, "still None")


# ---------------------------------------------------------------------------------------------
# direct_connections
# ---------------------------------------------------------------------------------------------


def direct(params, X):
    C, W1, b1, W2, b2, Wd = params
    x = C[X].view(len(X), -1)
    return b2 + x @ Wd + torch.tanh(x @ W1 + b1) @ W2


def test_the_papers_equation_is_accepted(capsys):
    verdict(capsys, check.direct_connections(direct), RIGHT, "every parameter's gradient")


def test_direct_connections_left_unanswered_are_not_attempted(capsys):
    def stub(params, X):
        raise NotImplementedError("your answer")

    verdict(capsys, check.direct_connections(stub), NOT_ATTEMPTED, "NotImplementedError")
    verdict(capsys, check.direct_connections(lambda params, X: None), NOT_ATTEMPTED, "None")


def lecture_part(params, X):
    C, W1, b1, W2, b2, _ = params
    return torch.tanh(C[X].view(len(X), -1) @ W1 + b1) @ W2 + b2


@pytest.mark.parametrize("fn, hints", [
    (lecture_part, ["forward", "Wd plays no part"]),
    (lambda p, X: p[4] + p[0][X].view(len(X), -1) @ p[5], ["hidden layer's term", "missing"]),
    (lambda p, X: lecture_part(p, X) + torch.tanh(p[0][X].view(len(X), -1) @ p[5]),
     ["forward", "not the paper's"]),
    (lambda p, X: lecture_part(p, X) + p[0][X].view(len(X), -1).detach() @ p[5],
     ["backward wrong", "gradient of C"]),
    (lambda p, X: lecture_part(p, X) + p[0][X].view(len(X), -1) @ p[5].detach(),
     ["backward wrong", "Wd gets no gradient"]),
    (lambda p, X: direct(p, X).T, ["shape (27, 11)"]),
    (lambda p, X: direct(p, X) * math.nan, ["NaN"]),
    (lambda p, X: lecture_part(p, X) + p[0][X].view(-1, 15) @ p[5],
     ["block_size 4", "raised RuntimeError"]),
    (lambda p, X: lecture_part(p, X) + (p[0][X].view(len(X), -1) @ p[5]).tolist()[0][0],
     ["forward"]),
    (lambda p, X: direct(p, X).detach().numpy(), ["not a tensor"]),
], ids=["no direct term", "only direct", "tanh on direct", "embeddings detached", "Wd detached",
        "transposed", "NaN", "sizes in the code", "a number", "numpy"])
def test_wrong_direct_connections_are_named(capsys, fn, hints):
    verdict(capsys, check.direct_connections(fn), WRONG, *hints)


# ---------------------------------------------------------------------------------------------
# Arguments and dropout
# ---------------------------------------------------------------------------------------------


class Dropout:
    """A learner's dropout layer, with the training flag that Sequential.train() sets."""

    def __init__(self, p):
        self.p, self.training = p, True

    def __call__(self, x):
        return F.dropout(x, self.p, self.training)

    def parameters(self):
        return []


def test_a_dropout_layer_left_in_training_mode_is_named(capsys):
    model = batchnorm_model(torch.Generator().manual_seed(0)).eval()
    model.layers.insert(5, Dropout(0.2))
    verdict(capsys, check.beat_dev_loss(model, 3.3), WRONG, "layers[5] (Dropout)",
            "drops units at random", ".eval()")
    model.eval()
    verdict(capsys, check.beat_dev_loss(model, loss_of(model, 1), bar=3.6), RIGHT)


def test_a_bar_or_a_loss_that_is_not_a_number_is_refused(capsys):
    verdict(capsys, check.beat_dev_loss(BIGRAM, math.nan, bar=BAR), WRONG, "not a number")
    verdict(capsys, check.beat_dev_loss(BIGRAM, 2.4, bar="2.17"), WRONG, "bar must be a number")
