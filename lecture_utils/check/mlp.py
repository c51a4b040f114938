"""Checks for notebook 04's exercises (the MLP language model of Bengio et al. 2003): a trained
model's loss on the held-out split against the lecture's (`beat_dev_loss`; notebook 07's
`beat_val_loss` uses the same machinery, `held_out_loss`), the loss of a uniform guess and an
initialisation that starts there, and the paper's direct connections.

A model is evaluated the way the notebooks evaluate it: the split rebuilt exactly as they build
it (`split_words` with seed 42, `build_dataset` with the model's block size), every example of
it, under `torch.no_grad()`, with nothing of the model changed. Nothing is trained here."""

from __future__ import annotations

import functools
import inspect
import math
import types
from collections.abc import Callable

import torch
import torch.nn.functional as F

from lecture_utils.check._core import (
    NotAttempted,
    Result,
    Wrong,
    as_number,
    call_learner,
    close,
    how_off,
    run_check,
)
from lecture_utils.course.data import load_words
from lecture_utils.names import build_dataset, build_vocab, split_words

__all__ = ["beat_dev_loss", "direct_connections", "starting_loss", "uniform_guess_loss"]

VOCAB_SIZE = 27
LECTURE_DEV_LOSS = 2.170  # notebook 04's lecture: train 2.126, dev 2.170 (curriculum)
_SPLITS = {"train": 0, "dev": 1, "val": 1, "test": 2}  # val is notebook 07's name for dev
_CHUNK = 10_000  # rows per forward pass when a whole split is evaluated
_PROBE = 64  # rows of the small batches that probe the model before the whole split


# ---------------------------------------------------------------------------------------------
# The data, as the notebooks build it
# ---------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def split_data(block_size: int) -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
    """(X, Y) of the train, dev (val) and test splits for contexts of `block_size`
    characters: split_words(words, 42) and build_dataset, as notebooks 04 to 07 do."""
    words = load_words()
    stoi, _ = build_vocab(words)
    return tuple(build_dataset(part, block_size, stoi) for part in split_words(words, 42))


def _block_size(block_size) -> int:
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 1:
        raise Wrong(f"block_size must be a positive whole number (the context length your model "
                    f"reads), got {block_size!r}.")
    return block_size


# ---------------------------------------------------------------------------------------------
# The learner's model: five tensors or a function of X
# ---------------------------------------------------------------------------------------------

_NAMES = ("C", "W1", "b1", "W2", "b2")


def _lecture_forward(tensors: list[torch.Tensor], block_size: int) -> Callable:
    """Notebook 04's forward pass on the learner's C, W1, b1, W2, b2, after checking that their
    shapes fit together and fit `block_size`."""
    shapes = ", ".join(f"{name} {tuple(t.shape)}" for name, t in zip(_NAMES, tensors))
    C, W1, b1, W2, b2 = tensors
    if [t.ndim for t in tensors] != [2, 2, 1, 2, 1]:
        raise Wrong(f"the tensors should be C, W1, b1, W2, b2 in notebook 04's order (matrices, "
                    f"except the biases b1 and b2), got {shapes}.")
    if C.shape[0] != VOCAB_SIZE or W2.shape[1] != VOCAB_SIZE or b2.shape[0] != VOCAB_SIZE:
        raise Wrong(f"C needs one row per character and W2, b2 one column per character "
                    f"({VOCAB_SIZE}), got {shapes}.")
    if W1.shape[1] != b1.shape[0] or W2.shape[0] != W1.shape[1]:
        raise Wrong(f"the hidden layer's sizes do not fit together (W1's columns, b1 and W2's "
                    f"rows must agree), got {shapes}.")
    n_embd = C.shape[1]
    if W1.shape[0] != block_size * n_embd:
        context = W1.shape[0] / n_embd
        reads = (f"{int(context)} characters of {n_embd} numbers" if context.is_integer()
                 else "no whole number of embeddings")
        raise Wrong(f"block_size is {block_size}, but your W1 has {W1.shape[0]} rows, "
                    f"{reads}: pass the context length your model was trained with.")

    def forward(X):
        h = torch.tanh(C[X].view(len(X), -1) @ W1 + b1)
        return h @ W2 + b2

    return forward


def as_forward(model, block_size: int, what: str = "your model") -> Callable:
    """A function X -> logits from the learner's answer: the list [C, W1, b1, W2, b2] of
    notebook 04, or anything callable on a batch of contexts (a function, a Sequential of the
    course's layers, a torch.nn.Module)."""
    if isinstance(model, (list, tuple)):
        tensors = list(model)
        if not all(isinstance(t, torch.Tensor) for t in tensors):
            kinds = ", ".join(type(t).__name__ for t in tensors)
            raise Wrong(f"{what} is a list of {kinds}: give the five tensors C, W1, b1, W2, b2, "
                        "or a function that maps a batch of contexts to logits.")
        if len(tensors) != len(_NAMES):
            raise Wrong(f"{what} is a list of {len(tensors)} tensors: a list must hold notebook "
                        "04's five, C, W1, b1, W2, b2. For another architecture pass a function "
                        "that maps a batch of contexts X to logits.")
        return _lecture_forward(tensors, block_size)
    if callable(model):
        return model
    raise Wrong(f"{what} is a {type(model).__name__}: give the list [C, W1, b1, W2, b2], or a "
                "function (or model object) that maps a batch of contexts X to logits.")


def _is_batchnorm(obj) -> bool:
    if isinstance(obj, torch.nn.modules.batchnorm._BatchNorm):
        return True
    return not isinstance(obj, torch.nn.Module) and hasattr(obj, "running_mean")


def _is_dropout(obj) -> bool:
    return "dropout" in type(obj).__name__.lower()


def layers_in_training_mode(model) -> list[str]:
    """The BatchNorm and dropout layers reachable from `model` whose `training` flag is still
    True: the model itself, its `.layers` (a Sequential), its torch submodules, and the objects
    a function's code names (its globals and closure), a few levels deep."""
    found: list[str] = []
    seen: set[int] = set()

    def describe(obj, name):
        return f"{name} ({type(obj).__name__})"

    def visit(obj, name: str, depth: int) -> None:
        if id(obj) in seen or depth > 4 or isinstance(obj, (types.ModuleType, type, str, bytes,
                                                              int, float, torch.Tensor)):
            return
        seen.add(id(obj))
        if isinstance(obj, torch.nn.Module):
            for sub, module in obj.named_modules():
                if module.training and (_is_batchnorm(module) or _is_dropout(module)):
                    found.append(describe(module, f"{name}.{sub}" if sub else name))
            return
        if (_is_batchnorm(obj) or _is_dropout(obj)) and getattr(obj, "training", False) is True:
            found.append(describe(obj, name))
        layers = getattr(obj, "layers", None)
        if isinstance(layers, (list, tuple)):
            for i, layer in enumerate(layers):
                visit(layer, f"{name}.layers[{i}]", depth + 1)
        if isinstance(obj, (list, tuple)) and len(obj) <= 1000:
            for i, item in enumerate(obj):
                visit(item, f"{name}[{i}]", depth + 1)
        if isinstance(obj, functools.partial):
            visit(obj.func, name, depth + 1)
        function = obj.__func__ if inspect.ismethod(obj) else obj
        if inspect.isfunction(function):
            try:
                names = inspect.getclosurevars(function)
            except (TypeError, ValueError):
                return
            for var, value in {**names.globals, **names.nonlocals}.items():
                visit(value, var, depth + 1)

    visit(model, "model", 0)
    return found


def _logits(forward: Callable, X: torch.Tensor, block_size: int) -> torch.Tensor:
    """The learner's logits for the contexts X, checked for type and shape."""
    try:
        out = call_learner(f"your model, on a batch of {len(X)} contexts of {block_size} "
                           "characters,", forward, X)
    except Wrong as exc:
        raise Wrong(f"{exc} (Does it take any number of rows, and is block_size={block_size} the "
                    "context length it was trained with?)") from None
    if out is None:
        raise NotAttempted("your model returns None: make it return the logits of every "
                           "context, then run the cell again.")
    if not isinstance(out, torch.Tensor):
        raise Wrong(f"your model returned a {type(out).__name__}, not a tensor of logits.")
    n = len(X)
    if tuple(out.shape) == (n, VOCAB_SIZE):
        return out
    shape = tuple(out.shape)
    if shape == (VOCAB_SIZE, n):
        hint = "transposed: one row per context, one column per character"
    elif out.ndim == 3 and shape[0] == n and shape[-1] == VOCAB_SIZE:
        hint = ("a time dimension is left over: the model must reduce each context to one row of "
                "logits (does its last Flatten or FlattenConsecutive take all the positions "
                "left, and is block_size right?)")
    elif shape == (n,):
        hint = ("one number per context: return the 27 scores of each context (the logits), not "
                "the predicted character or a loss per example")
    elif out.numel() == 1:
        hint = "a single number: the loss? Return the logits, the check computes the loss"
    elif out.numel() == n * VOCAB_SIZE:
        hint = ("the right numbers, perhaps, in the wrong shape: is a batch size written into "
                "your code (view(32, -1))? Use len(X) or -1 for the number of rows")
    else:
        hint = "expected one row of 27 logits per context"
    raise Wrong(f"for {n} contexts your model returned shape {shape}, not ({n}, {VOCAB_SIZE}): "
                f"{hint}.")


def probe(forward: Callable, X: torch.Tensor, block_size: int) -> None:
    """Run the model on small batches first: its output is logits, finite, the same when asked
    twice, and an example's logits do not depend on the rest of its batch."""
    first = _logits(forward, X[:_PROBE], block_size).detach().float()
    if not torch.isfinite(first).all():
        what = "NaN" if first.isnan().any() else "infinite values"
        raise Wrong(f"your model's logits contain {what}: did training diverge (a learning rate "
                    "too large), or does the forward pass divide by zero?")
    if (first >= 0).all() and torch.allclose(first.sum(1), torch.ones(len(first)), atol=1e-4):
        raise Wrong("every row of your model's output is positive and sums to 1: these are "
                    "probabilities. Return the logits, the scores before softmax: the loss "
                    "(F.cross_entropy) applies the softmax itself, and would apply it twice.")
    again = _logits(forward, X[:_PROBE], block_size).detach().float()
    if not torch.allclose(first, again, rtol=1e-4, atol=1e-5):
        raise Wrong("your model gives different logits for the same contexts when asked twice: "
                    "is a dropout layer still in training mode? Switch the model to evaluation "
                    "mode before measuring its loss.")
    in_bigger_batch = _logits(forward, X[:2 * _PROBE], block_size).detach().float()[:_PROBE]
    if not torch.allclose(first, in_bigger_batch, rtol=1e-4, atol=1e-5):
        raise Wrong("the logits of a context change with the other contexts in its batch: a "
                    "BatchNorm still in training mode normalises with each batch's own "
                    "statistics. Set training = False in it (model.eval()) before measuring.")


@torch.no_grad()
def loss_on(forward: Callable, X: torch.Tensor, Y: torch.Tensor, block_size: int) -> float:
    """Mean cross-entropy of the learner's model over all of (X, Y), in chunks."""
    total = 0.0
    for i in range(0, len(X), _CHUNK):
        logits = _logits(forward, X[i:i + _CHUNK], block_size).detach().double()
        total += F.cross_entropy(logits, Y[i:i + _CHUNK], reduction="sum").item()
    return total / len(X)


# ---------------------------------------------------------------------------------------------
# A trained model against a bar, on the held-out split (04's dev, 07's val)
# ---------------------------------------------------------------------------------------------

_STATED_TOLERANCE = 1e-3  # the learner's own measurement may differ by float rounding only
_SHIFT_GAIN = 0.25  # a model this much better on shifted contexts was trained on shifted ones
_SEEN_HELD_OUT = 0.03  # held-out loss this far below train: the held-out names were trained on


def held_out_loss(exercise: str, model, loss, block_size: int, bar: float, split: str,
                  lecture_bar: float) -> Result:
    """The machinery of beat_dev_loss (04) and beat_val_loss (07): `model`'s loss on every
    example of the held-out `split` ("dev" or "val", the same names), with the contexts built
    for `block_size`, must be below `bar`, and `loss`, the learner's own measurement of it,
    must agree. The model is never put in another mode or changed: one left in training mode
    is a wrong answer."""
    bar_words = (f"the lecture's {lecture_bar:.3f}" if bar == lecture_bar
                 else f"the bar {as_number(bar):.3f}" if as_number(bar) is not None else "the bar")

    def body() -> str:
        if model is None or model is Ellipsis:
            raise NotAttempted(f"your model is still None: train one that beats {bar_words} on "
                               f"the {split} split, pass it and the {split} loss you measured, "
                               "then run the cell again.")
        size = _block_size(block_size)
        forward = as_forward(model, size)
        if loss is None:
            raise NotAttempted(f"you gave a model but no loss: measure its loss on the {split} "
                               "split yourself, pass that number too, then run the cell again.")
        stated = as_number(loss)
        if stated is None or math.isnan(stated):
            raise Wrong(f"the {split} loss you give is {loss!r}, not a number (a one-element "
                        "tensor or a float).")
        threshold = as_number(bar)
        if threshold is None:
            raise Wrong(f"bar must be a number, got {bar!r}.")
        training = layers_in_training_mode(model)
        if training:
            what = ("drops units at random" if "dropout" in training[0].lower()
                    else "normalises each batch with that batch's own statistics, so a "
                         "context's logits depend on its neighbours")
            raise Wrong(f"{training[0]} is still in training mode (training = True): it {what}. "
                        "Call .eval() on the model (or set training = False in each such layer) "
                        "before you measure, then run the cell again.")
        data = split_data(size)
        X, Y = data[_SPLITS[split]]
        probe(forward, X, size)
        held_out = loss_on(forward, X, Y, size)
        if not math.isfinite(held_out):
            raise Wrong(f"your model's {split} loss {how_off(held_out, threshold)}: some logits on the "
                        f"{split} split are not finite.")
        if not close(stated, held_out, 0, _STATED_TOLERANCE):
            off = abs(stated - held_out)
            for other in ("train", "test"):
                if close(stated, loss_on(forward, *data[_SPLITS[other]], size), 0,
                         _STATED_TOLERANCE):
                    raise Wrong(f"the loss you give is your model's loss on the {other} split, "
                                f"not on {split}: measure it on X and Y built from the {split} "
                                "names.")
            if off < 0.05:
                raise Wrong(f"the {split} loss you give is off by {off:.4f} from your model's "
                            f"loss on all {len(X):,} {split} examples: measured on part of the "
                            "split (a minibatch?), or before the model's last change?")
            raise Wrong(f"the {split} loss you give is not your model's (off by {off:.3f}): is it "
                        f"the loss of another model, of a minibatch, or of the {split} split built "
                        f"with another block size than {size}?")
        if held_out >= threshold:
            shifted = {
                "the character to predict is already the last one of its context (the target "
                "inside the context: contexts shifted by one)":
                    torch.cat([X[:, 1:], Y[:, None]], 1),
                "its context ends one character early (the latest character missing: contexts "
                "shifted by one)": torch.cat([torch.zeros_like(X[:, :1]), X[:, :-1]], 1),
            }
            for words, X_shifted in shifted.items():
                if loss_on(forward, X_shifted, Y, size) < held_out - _SHIFT_GAIN:
                    raise Wrong(f"your model predicts much better when {words}: it was trained "
                                "on contexts built differently from the notebook's "
                                "build_dataset.")
            train = loss_on(forward, *data[_SPLITS["train"]], size)
            if held_out - train > 0.1:
                advice = (f"it fits the training names much better ({train:.4f}): it overfits, so "
                          "a longer run alone will not help; try a smaller model, or a larger one "
                          "trained with the learning rate decayed later")
            else:
                advice = (f"its training loss is close ({train:.4f}): it underfits; a bigger "
                          "model, a longer run, or a better learning-rate schedule can help")
            raise Wrong(f"your model's {split} loss is {held_out:.4f}, {held_out - threshold:.4f} short "
                        f"of {bar_words}: {advice}.")
        train = loss_on(forward, *data[_SPLITS["train"]], size)
        if held_out < train - _SEEN_HELD_OUT:
            raise Wrong(f"your model does better on the {split} names ({held_out:.4f}) than on "
                        f"the names it was trained on ({train:.4f}): were the {split} names part "
                        "of its training data (all the names, or a split with another seed)?")
        return (f"{split} loss {held_out:.4f} on all {len(X):,} {split} examples, "
                f"{threshold - held_out:.4f} below {bar_words}; the loss you measured agrees.")

    return run_check(exercise, body)


def beat_dev_loss(model, loss, block_size: int = 3, bar: float = LECTURE_DEV_LOSS) -> Result:
    """Your trained model beats the lecture's dev loss (2.170, notebook 04's E1).

    `model` is the list [C, W1, b1, W2, b2] of notebook 04's architecture, or any function (or
    model object) mapping a batch of contexts X, shape (n, block_size), to logits (n, 27);
    `loss` is the dev loss you measured; `block_size` the context length the model reads.
    The check rebuilds the dev split as the notebook does, evaluates every example under
    torch.no_grad() without changing the model, and compares with `bar` (default: the
    lecture's figure; a sized-down exercise may lower the bar it sets)."""
    return held_out_loss("beat_dev_loss", model, loss, block_size, bar, "dev", LECTURE_DEV_LOSS)


# ---------------------------------------------------------------------------------------------
# The loss at step 0: E2
# ---------------------------------------------------------------------------------------------


def uniform_guess_loss(value) -> Result:
    """Your number for the loss of a model whose predicted probabilities are perfectly uniform
    over the 27 characters (notebook 04's E2, part 1)."""
    reference = math.log(VOCAB_SIZE)

    def body() -> str:
        if value is None or value is Ellipsis:
            raise NotAttempted("your answer is still None: work out the number, then run the "
                               "cell again.")
        number = as_number(value)
        if number is None:
            raise Wrong(f"your answer is {value!r}, not a number.")
        if close(number, reference, 0, 5e-5):  # four decimals are enough
            return ("the loss of a uniform guess over the 27 characters, whatever the context: "
                    "the number a network should start near.")
        named = {
            1 / VOCAB_SIZE: "that is the probability a uniform guess gives each character; the "
                            "loss is the negative log of the probability of the right one",
            math.log(VOCAB_SIZE - 1): "26 letters, but the vocabulary has 27 characters: '.' "
                                      "is one of the guesses too",
            math.log2(VOCAB_SIZE): "a logarithm to base 2 (bits): the loss, like "
                                   "F.cross_entropy, uses the natural logarithm",
            float(VOCAB_SIZE): "that is the number of characters; the loss is a negative log "
                               "probability",
        }
        for wrong, hint in named.items():
            if close(number, wrong, 1e-4, 0):
                raise Wrong(f"{number:g}: {hint}.")
        if close(number, reference, 2e-3, 0):
            raise Wrong(f"{number:g} is a rounded value: give at least four decimals, or compute "
                        "it with math.log.")
        raise Wrong(f"{number:g} {how_off(number, reference)}: a uniform guess gives every "
                    "character the same probability; what is the negative log of it?")

    return run_check("uniform_guess_loss", body)


STARTING_BAND = 0.05  # how close to the uniform guess the loss before training must be


def starting_loss(model, block_size: int = 3) -> Result:
    """Your network, as initialised and before any training step, has a loss within 0.05 of a
    uniform guess's, on the whole training split (notebook 04's E2, part 2). `model` is the
    list [C, W1, b1, W2, b2] or a function mapping contexts X to logits. With the list the
    check also makes sure the hidden units differ: an initialisation that makes them all alike
    (all zeros, say) reaches the uniform loss with a network that cannot learn."""
    uniform = math.log(VOCAB_SIZE)

    def body() -> str:
        if model is None or model is Ellipsis:
            raise NotAttempted("your parameters are still None: initialise the network your "
                               "way, pass it before training, then run the cell again.")
        size = _block_size(block_size)
        forward = as_forward(model, size, "your network")
        X, Y = split_data(size)[_SPLITS["train"]]
        probe(forward, X, size)
        start = loss_on(forward, X, Y, size)
        if not math.isfinite(start):
            raise Wrong(f"the loss before training {how_off(start, uniform)}.")
        if start > uniform + STARTING_BAND:
            raise Wrong(f"the loss before training is {start:.4f}, {start - uniform:.4f} above a "
                        "uniform guess's: the logits still differ a lot between characters, and "
                        "the network is confidently wrong. Which parameters make the logits, "
                        "and how large are they at the start?")
        if start < uniform - STARTING_BAND:
            raise Wrong(f"the loss before training is {start:.4f}, well below a uniform guess's: "
                        "a network before its first step cannot know which characters are "
                        "likely, unless it was trained already (pass it as initialised) or its "
                        "output bias holds the letters' frequencies (a good idea, but not this "
                        "exercise: aim at the uniform guess).")
        if isinstance(model, (list, tuple)):
            C, W1, b1, _, _ = model
            with torch.no_grad():
                h = torch.tanh(C[X[:1000]].view(1000, -1) @ W1 + b1)
            if torch.allclose(h, h[:, :1].expand_as(h), atol=1e-7):
                raise Wrong("the loss is right, but every hidden unit computes the same thing "
                            "(all weights zero, or all equal?): units that start alike get the "
                            "same gradient and stay alike, so the network cannot learn. Keep "
                            "random weights in the hidden layer; shrink the ones that make the "
                            "logits.")
        return (f"the loss before training is {start:.4f} on the {len(X):,} training examples, "
                f"within {STARTING_BAND} of a uniform guess's.")

    return run_check("starting_loss", body)


# ---------------------------------------------------------------------------------------------
# Bengio et al.'s direct connections: E3
# ---------------------------------------------------------------------------------------------

# (block_size, n_embd, n_hidden, rows): sizes that differ from each other, so a term that reads
# the wrong tensor fails on its shape; the second case catches sizes written into the code.
_DIRECT_CASES = [(3, 5, 7, 11), (4, 2, 6, 9)]
_DIRECT_NAMES = ("C", "W1", "b1", "W2", "b2", "Wd")


def _direct_reference(params, X):
    C, W1, b1, W2, b2, Wd = params
    x = C[X].view(len(X), -1)
    return b2 + x @ Wd + torch.tanh(x @ W1 + b1) @ W2


def _concatenated(values, X):
    """The concatenated embeddings of the contexts X (the paper's x)."""
    return values[0][X].view(len(X), -1)


def direct_connections(logits_fn: Callable) -> Result:
    """Your `logits_fn(params, X)` for the paper's model with direct connections (Bengio et al.
    2003, equation 1: y = b + Wx + U tanh(d + Hx)), with params = [C, W1, b1, W2, b2, Wd]:
    notebook 04's five and Wd, of shape (block_size * n_embd, 27), from the concatenated
    embeddings straight to the logits. Compared with a reference, forward and backward (every
    parameter's gradient), on two sets of sizes."""

    def body() -> str:
        for case, (block_size, n_embd, n_hidden, rows) in enumerate(_DIRECT_CASES):
            g = torch.Generator().manual_seed(1234 + case)
            shapes = [(VOCAB_SIZE, n_embd), (block_size * n_embd, n_hidden), (n_hidden,),
                      (n_hidden, VOCAB_SIZE), (VOCAB_SIZE,), (block_size * n_embd, VOCAB_SIZE)]
            values = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
            X = torch.randint(0, VOCAB_SIZE, (rows, block_size), generator=g)
            where = (f"with block_size {block_size}, n_embd {n_embd}, {n_hidden} hidden units "
                     f"and {rows} contexts")
            params = [v.clone().requires_grad_() for v in values]
            out = call_learner(f"your function {where}", logits_fn, params, X)
            if out is None:
                raise NotAttempted("your function returns None: return the logits, then run the "
                                   "cell again.")
            if not isinstance(out, torch.Tensor):
                raise Wrong(f"your function returned a {type(out).__name__}, not a tensor.")
            if tuple(out.shape) != (rows, VOCAB_SIZE):
                raise Wrong(f"{where}, your logits have shape {tuple(out.shape)}, not "
                            f"({rows}, {VOCAB_SIZE}).")
            reference = [v.clone().requires_grad_() for v in values]
            expected = _direct_reference(reference, X)
            if not torch.allclose(out.detach().double(), expected.detach(), rtol=1e-6, atol=1e-8):
                if out.isnan().any():
                    raise Wrong(f"forward: your logits contain NaN {where}.")
                without = _direct_reference(values[:5] + [torch.zeros_like(values[5])], X)
                only_direct = values[4] + _concatenated(values, X) @ values[5]
                if torch.allclose(out.detach().double(), without, rtol=1e-6, atol=1e-8):
                    hint = ("these are the logits of notebook 04's model: Wd plays no part. Add "
                            "the direct term, the concatenated embeddings times Wd")
                elif torch.allclose(out.detach().double(), only_direct, rtol=1e-6, atol=1e-8):
                    hint = ("only the direct path (b2 + x @ Wd): the hidden layer's term "
                            "tanh(x @ W1 + b1) @ W2 is missing")
                else:
                    hint = ("the logits are b2 + x @ Wd + tanh(x @ W1 + b1) @ W2, with x the "
                            "concatenated embeddings of the context")
                raise Wrong(f"forward: {where}, your logits are not the paper's: {hint}.")
            weights = torch.linspace(-1, 1, rows * VOCAB_SIZE, dtype=torch.float64).view(rows, -1)
            call_learner("backward() through your logits", (out.double() * weights).sum().backward)
            (expected * weights).sum().backward()
            for name, mine, ref in zip(_DIRECT_NAMES, params, reference):
                if mine.grad is None or not mine.grad.abs().sum():
                    raise Wrong(f"forward right, backward wrong: {name} gets no gradient. Is it "
                                "used through .data, .detach() or a copy made outside the "
                                "graph?")
                if not torch.allclose(mine.grad, ref.grad, rtol=1e-6, atol=1e-8):
                    raise Wrong(f"forward right, backward wrong: the gradient of {name} is not "
                                "the reference's. Does every use of the embeddings keep them in "
                                "the graph (no .detach() or .data on the way to the direct "
                                "term)?")
        return ("the paper's logits with direct connections, forward and every parameter's "
                "gradient, for two sets of sizes.")

    return run_check("direct_connections", body)
