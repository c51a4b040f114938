"""Character-level text data, as notebook 07 builds it for tiny shakespeare: a tokenizer
that maps each distinct character to an integer, the 90/10 split, and random batches of
training chunks.

The definitions below are saved from notebook 07 (`python -m lecture_utils sync`); edit them
there, not here.
"""

import torch


class CharTokenizer:
    """Maps each character seen in the training text to an integer and back."""

    def __init__(self, text):
        self.chars = sorted(set(text))
        self.stoi = {ch: i for i, ch in enumerate(self.chars)}
        self.itos = dict(enumerate(self.chars))

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, text):
        unknown = sorted(set(text) - self.stoi.keys())
        if unknown:
            raise ValueError(f"Characters not in the vocabulary: {''.join(unknown)!r}. "
                             f"Use only characters from the training text.")
        return [self.stoi[ch] for ch in text]

    def decode(self, ids):
        return "".join(self.itos[int(i)] for i in ids)


def split_data(data, train_fraction=0.9):
    """The first `train_fraction` of a 1-D tensor for training, the rest for validation."""
    n = int(train_fraction * len(data))
    return data[:n], data[n:]


def get_batch(data, block_size, batch_size, generator):
    """`batch_size` random chunks of `block_size` tokens (x) and the same shifted by one (y)."""
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.stack([data[i:i + block_size] for i in ix])
    y = torch.stack([data[i + 1:i + block_size + 1] for i in ix])
    return x, y
