"""The character-level tokenizer, split and batches of notebook 08 (lecture_utils/chars.py)."""

import pytest
import torch

from lecture_utils.chars import CharTokenizer, get_batch, split_data
from lecture_utils.course.data import DataError, load_text


@pytest.fixture(scope="module")
def shakespeare():
    try:
        return load_text("shakespeare")
    except DataError as exc:
        pytest.skip(f"tiny shakespeare is not available: {exc}")


def test_round_trip_and_sorted_vocabulary():
    tok = CharTokenizer("hello world")
    assert tok.chars == [" ", "d", "e", "h", "l", "o", "r", "w"]
    assert tok.vocab_size == 8
    assert tok.encode("hello") == [3, 2, 4, 4, 5]
    assert tok.decode(tok.encode("world hello")) == "world hello"
    assert tok.decode(torch.tensor([7, 5])) == "wo"  # tensors of ids decode too


def test_unknown_characters_are_named_in_the_message():
    tok = CharTokenizer("abc")
    with pytest.raises(ValueError, match=r"Characters not in the vocabulary: 'xz'"):
        tok.encode("axbz")


def test_shakespeare_round_trips_and_its_split_loses_nothing(shakespeare):
    # Its vocabulary and split sizes are lecture figures: notebook 08 records them and
    # course.toml guards them.
    tok = CharTokenizer(shakespeare)
    ids = tok.encode(shakespeare)
    assert tok.decode(ids) == shakespeare
    data = torch.tensor(ids)
    train, val = split_data(data)
    assert torch.equal(torch.cat([train, val]), data)


def test_split_fraction():
    train, val = split_data(torch.arange(10), train_fraction=0.7)
    assert train.tolist() == [0, 1, 2, 3, 4, 5, 6] and val.tolist() == [7, 8, 9]


def test_batches_are_chunks_and_targets_are_shifted_by_one():
    data = torch.arange(1000)
    x, y = get_batch(data, block_size=8, batch_size=4, generator=torch.Generator().manual_seed(1))
    assert x.shape == y.shape == (4, 8)
    assert x.dtype == torch.long
    assert torch.equal(y[:, :-1], x[:, 1:])
    assert torch.equal(y[:, -1], x[:, -1] + 1)  # arange data: the next token is one more
    assert torch.equal(x[:, 1:] - x[:, :-1], torch.ones(4, 7, dtype=torch.long))  # contiguous


def test_batches_reproduce_with_the_same_seed_and_differ_with_another():
    data = torch.arange(10_000)
    first = get_batch(data, 8, 4, torch.Generator().manual_seed(1337))
    again = get_batch(data, 8, 4, torch.Generator().manual_seed(1337))
    other = get_batch(data, 8, 4, torch.Generator().manual_seed(1338))
    assert torch.equal(first[0], again[0]) and torch.equal(first[1], again[1])
    assert not torch.equal(first[0], other[0])


def test_every_start_position_is_reachable_and_none_overflows():
    data = torch.arange(12)
    x, y = get_batch(data, block_size=8, batch_size=2000, generator=torch.Generator().manual_seed(0))
    assert set(x[:, 0].tolist()) == {0, 1, 2, 3}  # len - block_size start positions
    assert y.max().item() == 11
