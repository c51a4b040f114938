"""build_vocab, sample_name (notebook 02), build_dataset and the seeded 80/10/10 split (notebook 04)
of lecture_utils/names.py.

Sampled names are random: these tests check their statistics, never exact strings."""

import math
import random

import pytest
import torch

from lecture_utils.course.data import load_words
from lecture_utils.names import build_dataset, build_vocab, sample_name, split_words

LETTERS = set("abcdefghijklmnopqrstuvwxyz")


@pytest.fixture(scope="module")
def words():
    return load_words()


@pytest.fixture(scope="module")
def count_model(words):
    """The +1-smoothed bigram table of notebook 02, as a next_char_probs function."""
    stoi, itos = build_vocab(words)
    counts = torch.ones(27, 27)
    for word in words:
        chars = "." + word + "."
        for a, b in zip(chars, chars[1:], strict=False):
            counts[stoi[a], stoi[b]] += 1
    table = counts / counts.sum(1, keepdim=True)
    return (lambda context: table[context[0, -1]]), itos


def test_stoi_and_itos_are_inverse():
    stoi, itos = build_vocab(["bob", "zed", "ann"])
    assert sorted(stoi.values()) == list(range(len(stoi)))
    assert all(itos[i] == ch for ch, i in stoi.items())
    assert all(stoi[ch] == i for i, ch in itos.items())
    assert stoi == {".": 0, "a": 1, "b": 2, "d": 3, "e": 4, "n": 5, "o": 6, "z": 7}


def test_sample_name_feeds_a_context_of_block_size():
    seen = []

    def recorder(context):
        seen.append(context)
        probs = torch.zeros(27)
        probs[0 if len(seen) == 4 else 5] = 1.0  # 'e' three times, then end
        return probs

    _, itos = build_vocab(["abcdefghijklmnopqrstuvwxyz"])
    name = sample_name(recorder, itos, 3, torch.Generator().manual_seed(0))
    assert name == "eee"
    assert all(c.shape == (1, 3) and c.dtype == torch.int64 for c in seen)
    assert [c.tolist() for c in seen] == [[[0, 0, 0]], [[0, 0, 5]], [[0, 5, 5]], [[5, 5, 5]]]


def test_uniform_model_lengths_and_characters():
    _, itos = build_vocab(["abcdefghijklmnopqrstuvwxyz"])
    generator = torch.Generator().manual_seed(2147483647)
    names = [sample_name(lambda c: torch.full((1, 27), 1 / 27), itos, 1, generator, max_length=50)
             for _ in range(1000)]
    lengths = torch.tensor([len(n) for n in names], dtype=torch.float64)
    # '.' has probability 1/27 at every step: E[min(length, 50)] = 26 (1 - (26/27)^50) = 22.06
    expected = 26 * (1 - (26 / 27) ** 50)
    assert abs(lengths.mean().item() - expected) < 1.0
    assert lengths.max().item() == 50  # some names run to max_length and are cut there
    letters = "".join(names)
    assert set(letters) <= LETTERS
    frequencies = torch.tensor([letters.count(ch) for ch in sorted(LETTERS)], dtype=torch.float64)
    frequencies /= frequencies.sum()
    assert (frequencies - 1 / 26).abs().max().item() < 0.01  # every letter about equally likely


def test_count_model_names_have_the_data_length_on_average(words, count_model):
    next_char_probs, itos = count_model
    generator = torch.Generator().manual_seed(2147483647)
    names = [sample_name(next_char_probs, itos, 1, generator) for _ in range(2000)]
    assert all(set(n) <= LETTERS for n in names)
    lengths = torch.tensor([len(n) for n in names], dtype=torch.float64)
    # Every name ends well before max_length=50, and the fitted chain's expected length is
    # the data's mean length (smoothing changes it only slightly).
    assert lengths.max().item() < 50
    data_mean = sum(map(len, words)) / len(words)
    standard_error = lengths.std().item() / math.sqrt(len(lengths))
    assert abs(lengths.mean().item() - data_mean) < 4 * standard_error
    # the first letter follows the data's first-letter frequencies: 'a' is the most common
    first = [n[0] for n in names if n]
    assert max(set(first), key=first.count) == "a"


def test_same_generator_seed_gives_the_same_names(count_model):
    next_char_probs, itos = count_model

    def draw(seed):
        generator = torch.Generator().manual_seed(seed)
        return [sample_name(next_char_probs, itos, 1, generator) for _ in range(20)]

    assert draw(5) == draw(5)
    assert draw(5) != draw(6)


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
    assert X.shape == (sum(len(w) + 1 for w in words), 3) and Y.shape == (len(X),)
    assert int(X.max()) == len(stoi) - 1 and int(X.min()) == 0
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
