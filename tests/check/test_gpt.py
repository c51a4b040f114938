"""lecture_utils.check.gpt (notebook 09's checks), fed the answers learners give: the adder's
examples built right and in each of the usual wrong ways, adders that are right, wrong, or
return the wrong kind of thing, and tiny GPTs, briefly trained, for pretraining_helps."""

import copy
import functools
from dataclasses import replace

import numpy as np
import pytest
import torch

from lecture_utils import check
from lecture_utils.chars import CharTokenizer, get_batch, split_data
from lecture_utils.check import NOT_ATTEMPTED, RIGHT, WRONG
from lecture_utils.check.gpt import shakespeare_val
from lecture_utils.course.data import load_text
from lecture_utils.gpt import GPT, GPTConfig
from lecture_utils.gpt_training import TrainConfig, split_loss
from tests.check.verdict import verdict

# ---------------------------------------------------------------------------------------------
# adder_example
# ---------------------------------------------------------------------------------------------


def make_example(a, b, digits=2, reverse=True, pad_sum=True, mask=-1, masked=None,
                 dtype=torch.long):
    """The format of the checks, with the usual mistakes as options."""
    total = f"{a + b:0{digits + 1}d}" if pad_sum else str(a + b)
    text = f"{a:0{digits}d}+{b:0{digits}d}=" + (total[::-1] if reverse else total)
    ids = torch.tensor(["0123456789+=".index(ch) for ch in text], dtype=dtype)
    x, y = ids[:-1], ids[1:].clone()
    y[:2 * digits + 1 if masked is None else masked] = mask
    return x, y


def not_shifted(a, b):
    x, _ = make_example(a, b)
    y = x.clone()
    y[:5] = -1
    return x, y


def sorted_ids(a, b):  # CharTokenizer("0123456789+="): '+' first, then the digits, then '='
    x, y = make_example(a, b)
    renumber = {10: 0, 11: 11}
    return (torch.tensor([renumber.get(t, t + 1) for t in x.tolist()]),
            torch.tensor([renumber.get(t, t + 1) if t >= 0 else t for t in y.tolist()]))


def late(a, b):
    x, y = make_example(a, b, masked=0)
    return y, torch.cat([x[1:], y[-1:]])


def whole_sequence(a, b):
    x, y = make_example(a, b)
    ids = torch.cat([x, y[-1:]])
    return ids, ids


def test_the_format_is_accepted_as_tensors_or_lists(capsys):
    verdict(capsys, check.adder_example(make_example), RIGHT, "8 tokens each", "masked with -1")
    as_lists = lambda a, b: tuple(part.tolist() for part in make_example(a, b))  # noqa: E731
    verdict(capsys, check.adder_example(as_lists), RIGHT)
    one_digit = functools.partial(make_example, digits=1)
    verdict(capsys, check.adder_example(one_digit, digits=1), RIGHT, "5 tokens each")
    verdict(capsys, check.adder_example(one_digit), WRONG)  # digits must match


def test_an_unanswered_exercise_is_not_attempted(capsys):
    verdict(capsys, check.adder_example(None), NOT_ATTEMPTED, "still None")

    def placeholder(a, b):
        raise NotImplementedError

    verdict(capsys, check.adder_example(placeholder), NOT_ATTEMPTED, "NotImplementedError")
    verdict(capsys, check.adder_example(lambda a, b: None), NOT_ATTEMPTED, "returns None")


@pytest.mark.parametrize("answer, hints", [
    (whole_sequence, ["3*digits+2 = 8", "whole sequence", "without its last / first token"]),
    (lambda a, b: (make_example(a, b)[0], make_example(a, b)[0]), ["y equals x"]),
    (not_shifted, ["y is not shifted"]),
    (lambda a, b: make_example(a, b)[::-1], ["x holds -1", "belong in y"]),
    (late, ["x starts one token late"]),
    (functools.partial(make_example, masked=0), ["not masked", "ignore_index=-1"]),
    (functools.partial(make_example, mask=0), ["masked with 0", "digit 0's id", "-1"]),
    (functools.partial(make_example, mask=-100), ["-100", "ignore_index=-1"]),
    (functools.partial(make_example, masked=6), ["one target too many"]),
    (functools.partial(make_example, masked=4), ["one target too few", "'='"]),
    (functools.partial(make_example, reverse=False), ["usual order", "least significant"]),
    (functools.partial(make_example, pad_sum=False), ["sum is not zero-padded"]),
    (functools.partial(make_example, dtype=torch.float32), ["dtype torch.float32", "integers"]),
    (sorted_ids, ["another numbering", "'+' -> 10"]),
    (lambda a, b: make_example(a, b)[0], ["return the pair (x, y)"]),
    (lambda a, b: make_example(a, b // 0), ["make_example(0, 0) raised ZeroDivisionError"]),
], ids=["whole", "y-is-x", "not-shifted", "swapped", "late", "not-masked", "masked-0", "masked-100",
        "one-too-many", "one-too-few", "unreversed", "unpadded", "float", "sorted-ids", "only-x",
        "raises"])
def test_each_mistake_is_named(capsys, answer, hints):
    verdict(capsys, check.adder_example(answer), WRONG, *hints)


def test_a_shift_the_wrong_way_is_named(capsys):
    def backwards(a, b):
        x, _ = make_example(a, b)
        y = torch.cat([torch.tensor([x[0]]), x[:-1]])
        y[:5] = -1
        return x, y

    verdict(capsys, check.adder_example(backwards), WRONG, "shifted the wrong way")


# ---------------------------------------------------------------------------------------------
# adder_accuracy
# ---------------------------------------------------------------------------------------------

EVERY = [(a, b) for a in range(100) for b in range(100)]
HELD_OUT = set(torch.randperm(len(EVERY), generator=torch.Generator().manual_seed(1))[:1500].tolist())
TRAIN_PAIRS = [pair for i, pair in enumerate(EVERY) if i not in HELD_OUT]


def carries(a, b):
    return a % 10 + b % 10 >= 10 or a // 10 + b // 10 + (a % 10 + b % 10 >= 10) >= 10


def test_a_right_adder_is_accepted_with_any_integer_type(capsys):
    verdict(capsys, check.adder_accuracy(lambda a, b: a + b, TRAIN_PAIRS), RIGHT,
            "100.0%", "500/500", "never trained on")
    verdict(capsys, check.adder_accuracy(lambda a, b: torch.tensor([a + b]), set(TRAIN_PAIRS)), RIGHT)
    verdict(capsys, check.adder_accuracy(lambda a, b: np.int64(a + b), torch.tensor(TRAIN_PAIRS)),
            RIGHT)


def test_the_bar_and_the_number_of_calls(capsys):
    calls = []

    def mostly(a, b):
        calls.append((a, b))
        return a + b + ((a * 7 + b) % 10 == 0)  # wrong on a tenth of the pairs, carry or not

    verdict(capsys, check.adder_accuracy(mostly, TRAIN_PAIRS, bar=0.85), RIGHT)
    assert len(calls) == 500 and not set(calls) & set(TRAIN_PAIRS)
    verdict(capsys, check.adder_accuracy(mostly, TRAIN_PAIRS), WRONG, "below the bar 95%",
            "train longer")
    calls.clear()
    check.adder_accuracy(mostly, TRAIN_PAIRS, n_test=100)
    capsys.readouterr()
    assert len(calls) == 100


@pytest.mark.parametrize("add, train_pairs, hints", [
    (lambda a, b: str(a + b), TRAIN_PAIRS, ["returned the string", "int"]),
    (lambda a, b: torch.tensor(float(a + b)), TRAIN_PAIRS, ["dtype torch.float32"]),
    (lambda a, b: int(f"{a + b:03d}"[::-1]), TRAIN_PAIRS, ["un-reverse"]),
    (lambda a, b: a + b + carries(a, b), TRAIN_PAIRS, ["100% of the errors", "carry"]),
    (lambda a, b: a + b, EVERY, ["only 0 of the 10,000 pairs", "hold some pairs out"]),
    (lambda a, b: a + b, [], ["train_pairs is empty"]),
    (lambda a, b: a + b, None, ["train_pairs is empty"]),
    (lambda a, b: a + b, [(1, 2, 3)], ["(a, b) pairs you trained on"]),
    (lambda a, b: a + b, [(100, 2)], ["outside 0..99"]),
    (lambda a, b: [a, b][2], TRAIN_PAIRS, ["raised IndexError"]),
], ids=["string", "float-tensor", "reversed", "carries", "no-held-out", "empty", "none",
        "triples", "3-digit", "raises"])
def test_each_wrong_adder_is_named(capsys, add, train_pairs, hints):
    verdict(capsys, check.adder_accuracy(add, train_pairs), WRONG, *hints)


def test_an_unanswered_adder_is_not_attempted(capsys):
    verdict(capsys, check.adder_accuracy(None, TRAIN_PAIRS), NOT_ATTEMPTED, "still None")
    verdict(capsys, check.adder_accuracy(lambda a, b: None, TRAIN_PAIRS), NOT_ATTEMPTED,
            "returns None")


# ---------------------------------------------------------------------------------------------
# pretraining_helps
# ---------------------------------------------------------------------------------------------

TINY = GPTConfig(block_size=8, n_layers=1, n_heads=2, n_embd=16)
MEASURE = TrainConfig(batch_size=32, learning_rate=1e-2, max_iters=0)


@functools.lru_cache(maxsize=4)
def trained(steps, seed=0, vocab_size=65):
    """A tiny GPT after `steps` AdamW steps on tiny shakespeare's train split."""
    text = load_text("shakespeare")
    train_data = split_data(torch.tensor(CharTokenizer(text).encode(text)))[0]
    generator = torch.Generator().manual_seed(seed)
    model = GPT(replace(TINY, vocab_size=vocab_size), generator)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    for _ in range(steps):
        _, loss = model(*get_batch(train_data, TINY.block_size, 32, generator))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model.eval()


def good_and_poor():
    good, poor = trained(150), trained(15)
    return good, poor, *(split_loss(model, shakespeare_val(), MEASURE) for model in (good, poor))


def test_a_model_that_gained_from_pretraining_is_accepted(capsys):
    good, poor, with_, without = good_and_poor()
    assert with_ < without - 0.3
    verdict(capsys, check.pretraining_helps(good, poor, with_, without), RIGHT, "better",
            "your numbers agree")


def test_the_models_are_left_as_they_were(capsys):
    good, poor, with_, without = good_and_poor()
    model = copy.deepcopy(good).train()
    weights = copy.deepcopy(model.state_dict())
    verdict(capsys, check.pretraining_helps(model, poor, with_, torch.tensor(without)), RIGHT)
    assert model.training
    assert all(torch.equal(weights[name], value) for name, value in model.state_dict().items())


def test_any_module_with_a_block_size_and_logits_will_do(capsys):
    good, poor, with_, without = good_and_poor()

    class LogitsOnly(torch.nn.Module):
        def __init__(self, gpt, block_size=8):
            super().__init__()
            self.gpt, self.block_size = gpt, block_size

        def forward(self, idx):
            return self.gpt(idx)[0]

    verdict(capsys, check.pretraining_helps(LogitsOnly(good), poor, with_, without), RIGHT)
    verdict(capsys, check.pretraining_helps(LogitsOnly(good, None), poor, with_, without), WRONG,
            "no block_size")


def test_pretraining_that_did_not_help_is_rejected(capsys):
    good, poor, with_, without = good_and_poor()
    verdict(capsys, check.pretraining_helps(poor, good, without, with_), WRONG,
            "pretraining did not help", "lower fine-tuning rate")


@pytest.mark.parametrize("change, hints", [
    (lambda m: (m[0], m[1], m[2] + 0.05, m[3]), ["your val_with is", "on the whole val split",
                                                 "sample"]),
    (lambda m: (m[0], m[1], m[3], m[2]), ["swapped"]),
    (lambda m: (m[0], m[0], m[2], m[2]), ["same model object"]),
    (lambda m: (trained(0, vocab_size=70), m[1], m[2], m[3]), ["70 logits", "65-character"]),
    (lambda m: (m[0], m[1], float("nan"), m[3]), ["val_with is nan", "not a number"]),
    (lambda m: (m[0], m[1], "1.9", m[3]), ["not a number"]),
], ids=["disagrees", "swapped", "same", "vocab", "nan-number", "string"])
def test_each_wrong_answer_is_named(capsys, change, hints):
    verdict(capsys, check.pretraining_helps(*change(good_and_poor())), WRONG, *hints)


def test_a_diverged_model_is_named(capsys):
    good, poor, with_, without = good_and_poor()
    broken = copy.deepcopy(good)
    with torch.no_grad():
        broken.lm_head.bias.fill_(float("nan"))
    verdict(capsys, check.pretraining_helps(broken, poor, with_, without), WRONG, "not finite",
            "diverge")


def test_unanswered_is_not_attempted(capsys):
    verdict(capsys, check.pretraining_helps(None, None, None, None), NOT_ATTEMPTED, "still None")
    good, poor, _, _ = good_and_poor()
    verdict(capsys, check.pretraining_helps(good, poor, None, None), NOT_ATTEMPTED, "split_loss")
