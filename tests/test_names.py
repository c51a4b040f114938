"""build_vocab and sample_name (lecture_utils/names.py, taught in notebook 02).

Sampled names are random: these tests check their statistics, never exact strings."""

import math

import pytest
import torch

from lecture_utils.data import load_words
from lecture_utils.names import build_vocab, sample_name

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


def test_vocab_of_the_names_data(words):
    stoi, itos = build_vocab(words)
    assert len(stoi) == len(itos) == 27
    assert stoi["."] == 0 and itos[0] == "."
    assert set(stoi) == LETTERS | {"."}
    assert [itos[i] for i in range(1, 27)] == sorted(LETTERS)  # letters in alphabetical order


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
