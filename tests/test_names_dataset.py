"""The context-window data set and the seeded 80/10/10 split of notebook 04."""

import random

import pytest
import torch

from lecture_utils.data import load_words
from lecture_utils.names import build_dataset, build_vocab, split_words


@pytest.fixture(scope="module")
def words():
    return load_words()


@pytest.fixture(scope="module")
def vocab(words):
    return build_vocab(words)


def decode(row, itos):
    return "".join(itos[int(i)] for i in row)


def test_contexts_of_emma(vocab):
    stoi, itos = vocab
    X, Y = build_dataset(["emma"], 3, stoi)
    assert X.shape == (5, 3) and Y.shape == (5,)
    assert X.dtype == Y.dtype == torch.int64
    pairs = [(decode(x, itos), itos[int(y)]) for x, y in zip(X, Y, strict=True)]
    assert pairs == [("...", "e"), ("..e", "m"), (".em", "m"), ("emm", "a"), ("mma", ".")]


@pytest.mark.parametrize("block_size", [1, 2, 3, 5, 8])
def test_context_slides_by_one_and_restarts_at_each_word(vocab, block_size):
    stoi, _ = vocab
    words = ["ava", "isabella", "x"]
    X, Y = build_dataset(words, block_size, stoi)
    assert X.shape == (sum(len(w) + 1 for w in words), block_size)
    row = 0
    for word in words:
        assert X[row].tolist() == [0] * block_size, "each word starts from a padded context"
        for step in range(len(word)):
            expected_next = X[row + step].tolist()[1:] + [Y[row + step].item()]
            assert X[row + step + 1].tolist() == expected_next
        assert Y[row + len(word)].item() == 0, "each word ends with the '.' target"
        row += len(word) + 1


def test_targets_spell_the_words(vocab):
    stoi, itos = vocab
    words = ["sophia", "olivia"]
    _, Y = build_dataset(words, 4, stoi)
    assert "".join(itos[int(i)] for i in Y) == "sophia.olivia."


def test_whole_names_data_set(words, vocab):
    stoi, _ = vocab
    X, Y = build_dataset(words, 3, stoi)
    assert X.shape == (228_146, 3) and Y.shape == (228_146,)
    assert int(X.max()) == 26 and int(X.min()) == 0
    assert int((Y == 0).sum()) == len(words)  # one end-of-name target per name


def test_split_sizes_are_80_10_10():
    words = [f"w{i}" for i in range(1001)]
    train, dev, test = split_words(words)
    assert (len(train), len(dev), len(test)) == (800, 100, 101)


def test_split_is_disjoint_and_covers_every_word():
    words = [f"w{i}" for i in range(500)]
    train, dev, test = split_words(words, seed=7)
    assert not set(train) & set(dev) and not set(train) & set(test) and not set(dev) & set(test)
    assert sorted(train + dev + test) == sorted(words)


def test_split_is_deterministic_and_depends_on_the_seed():
    words = [f"w{i}" for i in range(500)]
    assert split_words(words, seed=3) == split_words(words, seed=3)
    assert split_words(words, seed=3) != split_words(words, seed=4)


def test_split_leaves_the_input_and_global_random_state_alone():
    words = [f"w{i}" for i in range(100)]
    original = list(words)
    state = random.getstate()
    split_words(words)
    assert words == original
    assert random.getstate() == state


def test_split_matches_the_lectures_global_shuffle(words):
    state = random.getstate()
    try:
        random.seed(42)
        shuffled = list(words)
        random.shuffle(shuffled)
    finally:
        random.setstate(state)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    assert split_words(words, 42) == (shuffled[:n1], shuffled[n1:n2], shuffled[n2:])


def test_lecture_split_sizes_in_examples(words, vocab):
    stoi, _ = vocab
    train, dev, test = split_words(words, 42)
    # a name gives one example per character plus one for its end
    assert sum(len(w) + 1 for w in train) == 182_625
    assert len(build_dataset(dev, 3, stoi)[0]) == 22_655
    assert len(build_dataset(test, 3, stoi)[0]) == 22_866
