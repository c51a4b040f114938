"""Character-level name data, as notebooks 02-04 build it: the vocabulary, the
context-window data set, the seeded 80/10/10 split, and sampling a name from a model.

The definitions below are saved from the notebooks (`python -m lecture_utils sync`);
edit them there, not here.
"""

import random

import torch


def build_vocab(words):
    """stoi and itos for the letters in `words`, with '.' (start and end of a name) at 0."""
    chars = sorted(set("".join(words)))
    stoi = {ch: i + 1 for i, ch in enumerate(chars)}
    stoi["."] = 0
    itos = {i: ch for ch, i in stoi.items()}
    return stoi, itos


def sample_name(next_char_probs, itos, block_size, generator, max_length=50):
    """Draw one name: feed the last `block_size` indices to `next_char_probs`, which returns
    the probabilities of the next character, until '.' (index 0) is drawn."""
    context = [0] * block_size
    out = []
    while len(out) < max_length:
        probs = next_char_probs(torch.tensor([context]))
        ix = torch.multinomial(probs.view(-1), num_samples=1, generator=generator).item()
        if ix == 0:
            break
        out.append(itos[ix])
        context = context[1:] + [ix]
    return "".join(out)


def build_dataset(words, block_size, stoi):
    """X holds every context of `block_size` characters, Y the character that follows it."""
    X, Y = [], []
    for word in words:
        context = [0] * block_size
        for ch in word + ".":
            ix = stoi[ch]
            X.append(context)
            Y.append(ix)
            context = context[1:] + [ix]
    return torch.tensor(X), torch.tensor(Y)


def split_words(words, seed=42):
    """Shuffle a copy of `words` with its own seeded generator; cut it 80/10/10."""
    words = list(words)
    random.Random(seed).shuffle(words)
    n1, n2 = int(0.8 * len(words)), int(0.9 * len(words))
    return words[:n1], words[n1:n2], words[n2:]
