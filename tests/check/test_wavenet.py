"""lecture_utils.check.wavenet (notebook 07's check), fed the answers learners give: the
evaluation machinery is notebook 04's (tests/check/test_mlp.py feeds it every kind of wrong
answer); here it meets notebook 07's models, built from the package's layers, with the val
split's contexts of 8 characters."""

import pytest
import torch
import torch.nn.functional as F

from lecture_utils import check
from lecture_utils.check import NOT_ATTEMPTED, RIGHT, WRONG
from lecture_utils.check.mlp import split_data
from lecture_utils.layers import BatchNorm1d, Embedding, FlattenConsecutive, Linear, Sequential, Tanh
from tests.check.verdict import verdict

V = 27


def hierarchical(levels=3, embd=6, hidden=12, seed=42, steps=300):
    """Notebook 07's hierarchical model, small and briefly trained, still in training mode;
    `levels` below 3 leaves a time dimension."""
    g = torch.Generator().manual_seed(seed)
    layers = [Embedding(V, embd, generator=g)]
    fan_in = embd
    for _ in range(levels):
        layers += [FlattenConsecutive(2), Linear(2 * fan_in, hidden, bias=False, generator=g),
                   BatchNorm1d(hidden), Tanh()]
        fan_in = hidden
    layers.append(Linear(hidden, V, generator=g))
    model = Sequential(layers)
    with torch.no_grad():
        model.layers[-1].weight *= 0.1
    X, Y = split_data(8)[0]
    parameters = model.parameters()
    for p in parameters:
        p.requires_grad_(True)
    for ix in torch.randint(0, len(X), (steps, 32), generator=g):  # a short run of SGD
        loss = F.cross_entropy(model(X[ix]), Y[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in parameters:
                p.add_(p.grad, alpha=-0.2)
    return model


@torch.no_grad()
def val_loss(model, block_size=8):
    X, Y = split_data(block_size)[1]
    return F.cross_entropy(model(X), Y).item()


def test_a_model_in_evaluation_mode_that_beats_the_bar_is_accepted(capsys):
    model = hierarchical().eval()
    loss = val_loss(model)
    verdict(capsys, check.beat_val_loss(model, loss, bar=loss + 0.01), RIGHT,
            "22,655 val examples", "agrees")


def test_the_lectures_bar_is_the_default(capsys):
    model = hierarchical().eval()
    loss = val_loss(model)
    verdict(capsys, check.beat_val_loss(model, loss), WRONG, "short of the lecture's 1.993")
    verdict(capsys, check.beat_val_loss(None, None), NOT_ATTEMPTED, "still None", "1.993",
            "val split")


def test_a_model_left_in_training_mode_is_caught_without_touching_it(capsys):
    model = hierarchical()  # Sequential starts in training mode
    before = [layer.running_var.clone() for layer in model.layers if isinstance(layer, BatchNorm1d)]
    verdict(capsys, check.beat_val_loss(model, 3.0), WRONG, "layers[3] (BatchNorm1d)",
            "training mode", ".eval()")
    after = [layer.running_var for layer in model.layers if isinstance(layer, BatchNorm1d)]
    assert all(torch.equal(a, b) for a, b in zip(before, after))
    partly = hierarchical().eval()
    partly.layers[7].training = True  # one BatchNorm switched back by hand
    verdict(capsys, check.beat_val_loss(partly, 3.0), WRONG, "layers[7] (BatchNorm1d)")


def test_a_val_loss_measured_in_training_mode_on_minibatches_is_rejected(capsys):
    model = hierarchical()
    X, Y = split_data(8)[1]
    with torch.no_grad():
        measured = sum(F.cross_entropy(model(X[i:i + 32]), Y[i:i + 32]).item()
                       for i in range(0, 3200, 32)) / 100  # training mode, on 100 batches
    model.eval()
    verdict(capsys, check.beat_val_loss(model, measured, bar=3.5), WRONG, "val loss you give")


def test_a_loss_measured_on_train_is_named(capsys):
    model = hierarchical().eval()
    X, Y = split_data(8)[0]
    with torch.no_grad():
        train = F.cross_entropy(model(X), Y).item()
    assert abs(train - val_loss(model)) > 1e-3
    verdict(capsys, check.beat_val_loss(model, train, bar=3.5), WRONG, "on the train split")


def test_the_wrong_context_length_is_named(capsys):
    model = hierarchical().eval()
    verdict(capsys, check.beat_val_loss(model, 3.0, block_size=3), WRONG,
            "FlattenConsecutive(2) needs T divisible by 2", "block_size=3")
    verdict(capsys, check.beat_val_loss(model, 3.0, block_size=16), WRONG,
            "time dimension is left over")


def test_a_missing_level_leaves_a_time_dimension(capsys):
    verdict(capsys, check.beat_val_loss(hierarchical(levels=2, steps=0).eval(), 3.0), WRONG,
            "returned shape (64, 2, 27)", "time dimension")


@pytest.mark.parametrize("wrap, hint", [
    (lambda model: (lambda X: F.softmax(model(X), dim=1)), "probabilities"),
    (lambda model: (lambda X: model(X) / 0), "diverge"),
], ids=["probabilities", "inf"])
def test_wrapped_models_are_judged_by_their_output(capsys, wrap, hint):
    verdict(capsys, check.beat_val_loss(wrap(hierarchical().eval()), 3.0), WRONG, hint)
