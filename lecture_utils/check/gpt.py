"""Checks for notebook 09's exercises (the GPT): a GPT that adds numbers (EX2: the examples it
trains on, `adder_example`, and its accuracy on sums it never saw, `adder_accuracy`), and
pretraining on another corpus before fine-tuning on tiny shakespeare (EX3,
`pretraining_helps`).

The adder's data format, fixed by the checks. The vocabulary is "0123456789+=": digit d has id
d, "+" id 10, "=" id 11. An example for operands a and b of `digits` digits is the prompt
f"{a:0{digits}d}+{b:0{digits}d}=" followed by the digits + 1 digits of the sum, zero-padded and
written reversed, least significant digit first (the order in which carries flow): 3 * digits
+ 3 tokens. Its input x is the sequence without its last token, its targets y the sequence
without its first token, with the 2 * digits + 1 targets that are still part of the prompt (up
to and including "=") set to -1, the `ignore_index` given to F.cross_entropy, so that the model
is trained only to write the sum. With digits=2, 12 + 34 is "12+34=" then "640".

A model is evaluated the way notebook 09 evaluates it: tiny shakespeare's val split rebuilt as
the notebook builds it, every position of it in consecutive chunks of the model's block_size
(`lecture_utils.gpt_training.split_loss`), in float32 and evaluation mode, with nothing of the
model changed. Nothing is trained here."""

from __future__ import annotations

import functools
import math
import numbers

import torch
import torch.nn.functional as F

from lecture_utils.chars import CharTokenizer, split_data
from lecture_utils.check._core import NotAttempted, Result, Wrong, as_number, call_learner, run_check
from lecture_utils.course.data import load_text

__all__ = ["adder_accuracy", "adder_example", "pretraining_helps"]

PLUS, EQUALS, IGNORE = 10, 11, -1  # the ids of "+" and "=", and the masked targets' value
IDS = "digit d -> d, '+' -> 10, '=' -> 11"
_MIN_HELD_OUT = 50  # held-out pairs an accuracy needs to mean something
_SEED = 8  # the check's own generator: the pairs it tests


# ---------------------------------------------------------------------------------------------
# EX2: the adder's examples
# ---------------------------------------------------------------------------------------------


def _digits_of(n: int, width: int) -> list[int]:
    return [int(ch) for ch in f"{n:0{width}d}"]


def _sequence(a: int, b: int, digits: int, reverse: bool = True) -> list[int]:
    """The tokens of one example: the prompt, then the zero-padded sum (reversed by default)."""
    total = _digits_of(a + b, digits + 1)
    return (_digits_of(a, digits) + [PLUS] + _digits_of(b, digits) + [EQUALS]
            + (total[::-1] if reverse else total))


def _reference(a: int, b: int, digits: int) -> tuple[list[int], list[int]]:
    sequence = _sequence(a, b, digits)
    prompt_targets = 2 * digits + 1
    return sequence[:-1], [IGNORE] * prompt_targets + sequence[prompt_targets + 1:]


def _digits_arg(digits) -> int:
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise Wrong(f"digits must be a positive whole number (the operands' length), got {digits!r}.")
    return digits


def _ids(value, name: str, call: str) -> list[int]:
    """A learner's 1-D sequence of token ids (tensor, array or list of ints) as a list."""
    if isinstance(value, (list, tuple)):
        if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
            kinds = sorted({type(v).__name__ for v in value
                            if not isinstance(v, numbers.Integral) or isinstance(v, bool)})
            raise Wrong(f"{call} returns {name} holding {', '.join(kinds)}: token ids are whole "
                        "numbers (ints, or a LongTensor).")
        return [int(v) for v in value]
    try:
        tensor = torch.as_tensor(value)
    except (TypeError, ValueError, RuntimeError):
        raise Wrong(f"{call} returns {name} of type {type(value).__name__}: return two 1-D "
                    "LongTensors (or lists of ints).") from None
    if tensor.is_floating_point() or tensor.is_complex() or tensor.dtype == torch.bool:
        raise Wrong(f"{call} returns {name} of dtype {tensor.dtype}: token ids must be integers "
                    "(torch.long), they index the embedding table and are the loss's classes.")
    if tensor.ndim != 1:
        raise Wrong(f"{call} returns {name} of shape {tuple(tensor.shape)}: one example is a 1-D "
                    "sequence of token ids (the batch dimension comes later, from stacking).")
    return tensor.tolist()


def _padding_hint(a: int, b: int, digits: int, missing: int) -> str | None:
    """Which zero-padding is missing, if `missing` tokens are exactly what it would add."""
    sum_short = digits + 1 - len(str(a + b))
    operands_short = 2 * digits - len(str(a)) - len(str(b))
    if missing == sum_short > 0:
        return ("the sum is not zero-padded: write it with digits+1 digits (leading zeros) "
                "before reversing, so every example has the same length")
    if missing == operands_short > 0:
        return "the operands are not zero-padded: write each with exactly digits digits"
    if missing == sum_short + operands_short > 0:
        return ("neither the operands nor the sum are zero-padded: write the operands with digits "
                "digits and the sum with digits+1, leading zeros included")
    return None


def _diagnose(a: int, b: int, digits: int, x: list[int], y: list[int]) -> None:
    """Raise Wrong with what differs between the learner's (x, y) for a + b and the format."""
    call = f"make_example({a}, {b})"
    sequence = _sequence(a, b, digits)
    ref_x, ref_y = _reference(a, b, digits)
    length, prompt_targets = len(ref_x), 2 * digits + 1
    if len(x) != length or len(y) != length:
        hint = _padding_hint(a, b, digits, length - len(x)) if len(x) == len(y) else None
        if hint:
            raise Wrong(f"{call}: x has {len(x)} tokens, not 3*digits+2 = {length}: {hint}.")
        whole = " (is one of them the whole sequence?)" if length + 1 in (len(x), len(y)) else ""
        raise Wrong(f"{call}: x has {len(x)} tokens and y {len(y)}{whole}; x and y should both be "
                    f"3*digits+2 = {length} long: the sequence without its last / first token.")
    if IGNORE in x:
        raise Wrong(f"{call}: x holds -1: the masked targets belong in y, x is the model's input "
                    "(the sequence without its last token).")
    outside = sorted({v for v in x if not 0 <= v <= EQUALS})
    if outside:
        raise Wrong(f"{call}: x holds ids {outside} outside the vocabulary's 0..11 ({IDS}).")
    unreversed = _sequence(a, b, digits, reverse=False)
    if unreversed != sequence and y[-(digits + 1):] == unreversed[-(digits + 1):]:
        raise Wrong(f"{call}: the sum's digits are in the usual order: write them reversed, the "
                    "least significant digit first, so that every carry is known when it is needed.")
    if x != ref_x:
        if x == sequence[1:]:
            raise Wrong(f"{call}: x starts one token late: x is the sequence without its last "
                        "token, y the sequence without its first.")
        if x == [{PLUS: 0, EQUALS: 11}.get(t, t + 1) for t in ref_x]:
            raise Wrong(f"{call}: x uses another numbering of the characters (sorted, '+' first?): "
                        f"the checks fix it as {IDS}.")
        raise Wrong(f"{call}: x is not the example's tokens without its last one: check the ids "
                    f"({IDS}), the zero-padding and the order of the sum's digits.")
    if y == x:
        raise Wrong(f"{call}: y equals x: y holds the next token of each position, the sequence "
                    "shifted left by one (without its first token).")
    answer = slice(prompt_targets, None)
    if y[answer] != ref_y[answer]:
        if y[answer] == x[answer]:
            raise Wrong(f"{call}: y is not shifted: y[t] must be the token that follows x[t], the "
                        "sequence without its first token.")
        if y[answer] == sequence[prompt_targets - 1:-2]:
            raise Wrong(f"{call}: y is shifted the wrong way: y[t] is the token after x[t], not the "
                        "one before it.")
        if y[answer][1:] == ref_y[answer][1:] and y[prompt_targets] == IGNORE:
            raise Wrong(f"{call}: one target too many is masked: the one after '=' is the sum's "
                        "first digit, which the model must learn to write.")
        raise Wrong(f"{call}: y's targets for the sum are not right: y is the sequence without its "
                    "first token, with only the prompt's targets masked.")
    prompt = y[:prompt_targets]
    if prompt == sequence[1:prompt_targets + 1]:
        raise Wrong(f"{call}: the prompt's targets are not masked: set the 2*digits+1 targets up "
                    "to and including '=' to -1 and pass ignore_index=-1 to F.cross_entropy, so "
                    "the model is only trained to write the sum.")
    if prompt == [0] * prompt_targets:
        raise Wrong(f"{call}: the prompt's targets are masked with 0, but 0 is the digit 0's id: "
                    "the model would learn to write 0. Use -1, and ignore_index=-1 in the loss.")
    if prompt == [-100] * prompt_targets:
        raise Wrong(f"{call}: the prompt's targets are masked with -100 (PyTorch's default "
                    "ignore_index): the format of the checks uses -1 (ignore_index=-1).")
    if prompt[:-1] == [IGNORE] * (prompt_targets - 1) and prompt[-1] == EQUALS:
        raise Wrong(f"{call}: one target too few is masked: '=' is still part of the prompt, the "
                    "model never has to predict it.")
    raise Wrong(f"{call}: the prompt's targets should all be -1 (the 2*digits+1 targets up to and "
                "including '='), and only those.")


def _require_function(answer, name: str, todo: str, usage: str) -> None:
    """The learner's answer is a function: None (the notebook's placeholder) is not attempted,
    anything else that cannot be called is wrong."""
    if answer is None or answer is Ellipsis:
        raise NotAttempted(f"{name} is still None: {todo}, then run the cell again.")
    if not callable(answer):
        raise Wrong(f"{name} is a {type(answer).__name__}: give {usage}.")


def adder_example(make_example, digits: int = 2) -> Result:
    """Your `make_example(a, b)` builds one training example of the adder (notebook 09's EX2).

    It returns (x, y) for the operands a and b of `digits` digits: two 1-D LongTensors (or
    lists of ints) of 3 * digits + 2 token ids, in the format of this module's docstring: x the
    prompt and the reversed, zero-padded sum without the last token, y the same without the
    first, with the 2 * digits + 1 prompt targets set to -1. The check calls it on pairs with
    and without carries, 0 + 0 and the largest operands, and compares with its own examples."""

    def body() -> str:
        _require_function(make_example, "make_example",
                          todo="write the function that builds (x, y) for a + b",
                          usage="the function make_example(a, b) -> (x, y)")
        size = _digits_arg(digits)
        largest = 10 ** size - 1
        generator = torch.Generator().manual_seed(_SEED)
        pairs = [(0, 0), (largest, largest), (largest, 1), (1, 0)]
        pairs += [tuple(pair) for pair in torch.randint(0, largest + 1, (6, 2), generator=generator).tolist()]
        for a, b in pairs:
            call = f"make_example({a}, {b})"
            out = call_learner(call, make_example, a, b)
            if out is None:
                raise NotAttempted("make_example returns None: make it return (x, y), then run the "
                                   "cell again.")
            if not isinstance(out, (tuple, list)) or len(out) != 2:
                raise Wrong(f"{call} returned a {type(out).__name__}: return the pair (x, y).")
            x, y = (_ids(part, name, call) for part, name in zip(out, ("x", "y")))
            if (x, y) != _reference(a, b, size):
                _diagnose(a, b, size, x, y)
        return (f"(x, y) right for {len(pairs)} pairs (carries, 0+0, the largest operands): "
                f"{3 * size + 2} tokens each, the sum reversed, the prompt's targets masked with -1.")

    return run_check("adder_example", body)


# ---------------------------------------------------------------------------------------------
# EX2: the trained adder on pairs it never saw
# ---------------------------------------------------------------------------------------------


def _as_int(value, call: str) -> int:
    """The learner's predicted sum as an int; anything else is a wrong answer, named."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point() \
            and value.dtype != torch.bool:
        return int(value.item())
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        raise Wrong(f"{call} returned the string {value!r}: return the sum as an int (un-reverse "
                    "the decoded digits, then int(...)).")
    if isinstance(value, torch.Tensor):
        raise Wrong(f"{call} returned a tensor of shape {tuple(value.shape)} and dtype "
                    f"{value.dtype}: return the predicted sum as one int.")
    raise Wrong(f"{call} returned a {type(value).__name__} ({value!r}): return the predicted sum "
                "as an int.")


def _pairs(train_pairs, digits: int) -> set[tuple[int, int]]:
    """The learner's training pairs as a set of (a, b) ints."""
    if train_pairs is None or train_pairs is Ellipsis:
        return set()
    if isinstance(train_pairs, torch.Tensor):
        train_pairs = train_pairs.tolist()
    try:
        pairs = {(int(a), int(b)) for a, b in train_pairs}
    except (TypeError, ValueError):
        raise Wrong("train_pairs should be the (a, b) pairs you trained on: a list or set of "
                    "pairs of ints, or a tensor of shape (n, 2).") from None
    largest = 10 ** digits - 1
    if any(not (0 <= a <= largest and 0 <= b <= largest) for a, b in pairs):
        raise Wrong(f"train_pairs holds operands outside 0..{largest}: is digits={digits} the "
                    "operands' length you trained with?")
    return pairs


def _has_carry(a: int, b: int, digits: int) -> bool:
    return any(x + y >= 10 for x, y in zip(_digits_of(a, digits), _digits_of(b, digits)))


def _reversed_sum(a: int, b: int, digits: int) -> int:
    return int(f"{a + b:0{digits + 1}d}"[::-1])


def adder_accuracy(add, train_pairs, digits: int = 2, bar: float = 0.95,
                   n_test: int = 500) -> Result:
    """Your trained adder gets at least `bar` of the sums right on pairs it never saw (notebook
    09's EX2).

    `add(a, b)` is your model wrapped as a function that returns the predicted sum as an int:
    it greedily decodes digits + 1 tokens after the prompt and un-reverses them. `train_pairs`
    is the collection of (a, b) pairs you trained on. The check draws, with its own seeded
    generator, up to `n_test` pairs of `digits`-digit operands that are not in train_pairs,
    calls `add` once on each, and compares the accuracy with `bar`."""

    def body() -> str:
        _require_function(add, "add", todo="train the adder, wrap it as add(a, b) -> int",
                          usage="a function add(a, b) that returns the predicted sum as an int")
        size = _digits_arg(digits)
        threshold = as_number(bar)
        if threshold is None:
            raise Wrong(f"bar must be a number (a fraction such as 0.95), got {bar!r}.")
        seen = _pairs(train_pairs, size)
        if not seen:
            raise Wrong("train_pairs is empty: pass the (a, b) pairs you trained on, so that the "
                        "check tests on the others.")
        every = [(a, b) for a in range(10 ** size) for b in range(10 ** size)]
        held_out = [pair for pair in every if pair not in seen]
        if len(held_out) < min(_MIN_HELD_OUT, len(every) // 10):
            raise Wrong(f"only {len(held_out)} of the {len(every):,} pairs are not in train_pairs: "
                        "hold some pairs out (10-20%) and train on the rest, so that the accuracy "
                        "measures sums the model never saw.")
        order = torch.randperm(len(held_out), generator=torch.Generator().manual_seed(_SEED))
        tested = [held_out[i] for i in order[:max(1, int(n_test))].tolist()]
        wrong, reversed_answers = [], 0
        for a, b in tested:
            call = f"add({a}, {b})"
            answer = call_learner(call, add, a, b)
            if answer is None:
                raise NotAttempted("add returns None: make it return the predicted sum, then run "
                                   "the cell again.")
            predicted = _as_int(answer, call)
            if predicted != a + b:
                wrong.append((a, b))
                reversed_answers += predicted == _reversed_sum(a, b, size)
        accuracy = 1 - len(wrong) / len(tested)
        right = len(tested) - len(wrong)
        score = f"held-out accuracy {accuracy:.1%} ({right}/{len(tested)} pairs never trained on)"
        if accuracy >= threshold:
            return f"{score}, at least the bar {threshold:.0%}."
        if reversed_answers > len(wrong) / 2:
            raise Wrong(f"{score}: most wrong answers are the sum with its digits reversed: did you "
                        "un-reverse the decoded digits?")
        carry = sum(_has_carry(a, b, size) for a, b in wrong) / len(wrong)
        base = sum(_has_carry(a, b, size) for a, b in tested) / len(tested)
        hint = (f"{carry:.0%} of the errors are sums with a carry (against {base:.0%} of the "
                "pairs tested): carries are the hard part; train longer, or check that the sum is "
                "written least significant digit first" if carry >= 0.75 and carry > base
                else "train longer or with a larger model, and check the greedy decoding")
        raise Wrong(f"{score}, below the bar {threshold:.0%}: {hint}.")

    return run_check("adder_accuracy", body)


# ---------------------------------------------------------------------------------------------
# EX3: pretraining, then fine-tuning on tiny shakespeare
# ---------------------------------------------------------------------------------------------

_VOCAB_SIZE = 65
_STATED_TOLERANCE = 0.01  # the learner's numbers and the recomputed ones may differ this much


@functools.lru_cache(maxsize=1)
def shakespeare_val() -> torch.Tensor:
    """Tiny shakespeare's val split, as notebook 09 builds it."""
    text = load_text("shakespeare")
    data = torch.tensor(CharTokenizer(text).encode(text), dtype=torch.long)
    return split_data(data)[1]


def _block_size(model, what: str) -> int:
    size = getattr(model, "block_size", None)
    if size is None:
        size = getattr(getattr(model, "config", None), "block_size", None)
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise Wrong(f"{what} has no block_size (an attribute, or config.block_size): give the "
                    "package's GPT, or a module with its context length as block_size.")
    return size


@torch.no_grad()
def val_loss(model, what: str) -> float:
    """`model`'s mean loss on every position of the val split, in consecutive chunks of its
    block_size (split_loss's chunks), in float32 and evaluation mode, its mode restored."""
    data, T = shakespeare_val(), _block_size(model, what)
    n_chunks = (len(data) - 1) // T
    x, y = data[:n_chunks * T].view(n_chunks, T), data[1:n_chunks * T + 1].view(n_chunks, T)
    parameter = next(model.parameters(), None) if isinstance(model, torch.nn.Module) else None
    device = parameter.device if parameter is not None else torch.device("cpu")
    was_training = getattr(model, "training", False)
    if isinstance(model, torch.nn.Module):
        model.eval()
    try:
        total = 0.0
        rows = max(1, 32_768 // T)
        for start in range(0, n_chunks, rows):
            xs, ys = x[start:start + rows].to(device), y[start:start + rows]
            out = call_learner(f"{what}, on a batch of {len(xs)} chunks of {T} characters,", model, xs)
            logits = out[0] if isinstance(out, tuple) else out
            if not isinstance(logits, torch.Tensor) or logits.ndim != 3 \
                    or tuple(logits.shape[:2]) != tuple(xs.shape):
                shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
                raise Wrong(f"{what} returned {shape} for a batch of shape {tuple(xs.shape)}: its "
                            "forward(idx) should return logits (B, T, 65), or (logits, loss).")
            if logits.shape[-1] != _VOCAB_SIZE:
                raise Wrong(f"{what} has {logits.shape[-1]} logits per position, not tiny "
                            "shakespeare's 65: fine-tune with its 65-character vocabulary, and "
                            "map the pretraining corpus into it.")
            total += F.cross_entropy(logits.float().flatten(0, 1).cpu(), ys.flatten(),
                                     reduction="sum").item()
    finally:
        if isinstance(model, torch.nn.Module):
            model.train(was_training)
    return total / (n_chunks * T)


def pretraining_helps(finetuned, scratch, val_with, val_without) -> Result:
    """Pretraining on another corpus, then fine-tuning on tiny shakespeare, beats training the
    same model on tiny shakespeare alone with the same fine-tuning budget (notebook 09's EX3).

    `finetuned` is the pretrained and fine-tuned model, `scratch` the same shape trained from
    scratch; both the package's GPT, or any torch.nn.Module with a `block_size` (or
    config.block_size) whose forward(idx) returns logits (B, T, 65) or (logits, loss).
    `val_with` and `val_without` are their losses on the whole val split as you measured them
    (`split_loss`). The check recomputes both on every position of the val split, rebuilt as
    notebook 09 builds it, without changing the models."""

    def body() -> str:
        if finetuned is None or scratch is None:
            raise NotAttempted("a model is still None: train both, the fine-tuned one and the one "
                               "from scratch, then run the cell again.")
        if val_with is None or val_without is None:
            raise NotAttempted("a val loss is still None: measure both models on the whole val "
                               "split (split_loss), then run the cell again.")
        if finetuned is scratch:
            raise Wrong("finetuned and scratch are the same model object: train a second model "
                        "from scratch (a new GPT), not the pretrained one.")
        stated = {}
        for name, value in (("val_with", val_with), ("val_without", val_without)):
            number = as_number(value)
            if number is None or math.isnan(number):
                raise Wrong(f"{name} is {value!r}, not a number: give the loss you measured (a "
                            "float or a one-element tensor).")
            stated[name] = number
        real = {"val_with": val_loss(finetuned, "the fine-tuned model"),
                "val_without": val_loss(scratch, "the model trained from scratch")}
        for name, loss in real.items():
            if not math.isfinite(loss):
                raise Wrong(f"the model of {name} has a val loss that is not finite ({loss}): did "
                            "its training diverge (a learning rate too large)?")
        if all(abs(stated[name] - real[other]) <= _STATED_TOLERANCE < abs(stated[name] - real[name])
               for name, other in (("val_with", "val_without"), ("val_without", "val_with"))):
            raise Wrong("val_with and val_without are swapped: val_with is the fine-tuned "
                        "model's loss, val_without the one trained from scratch.")
        for name, loss in real.items():
            if abs(stated[name] - loss) > _STATED_TOLERANCE:
                raise Wrong(f"your {name} is {stated[name]:.4f} but the model scores {loss:.4f} on "
                            f"the whole val split ({len(shakespeare_val()):,} characters): measured "
                            "on a sample, or before the last step?")
        gain = real["val_without"] - real["val_with"]
        losses = (f"{real['val_with']:.4f} pretrained and fine-tuned against "
                  f"{real['val_without']:.4f} from scratch")
        if gain <= 0:
            raise Wrong(f"pretraining did not help: {losses}; try a lower fine-tuning rate, or "
                        "more pretraining.")
        return f"{losses} on the whole val split, {gain:.4f} better; your numbers agree."

    return run_check("pretraining_helps", body)
