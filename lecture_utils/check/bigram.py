"""Checks for notebook 02 and 03 (makemore part 1: bigrams and trigrams, counts and neural) exercises.

Notebook 02 (counting): `trigram_counts` (E01), `split_losses` (E02), `tuned_smoothing` (E03).
Notebook 03 (neural): `neural_trigram` (E01), `logits_by_indexing` (E04), `cross_entropy_loss`
(E05), `most_likely_name` (E06). Every reference is recomputed here from names.txt, in double
precision; the learner's numbers are compared with it and with the numbers the usual slips
give (one start token, the training split where dev is meant, a sum for a mean, log10...).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache

import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

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

__all__ = ["cross_entropy_loss", "logits_by_indexing", "most_likely_name", "neural_trigram",
           "split_losses", "trigram_counts", "tuned_smoothing"]

V = 27  # '.' and the 26 letters
SPLIT_NAMES = ("train", "dev", "test")
MODEL_NAMES = ("bigram", "trigram")

# ---------------------------------------------------------------------------------------------
# The data, as notebook 02 builds it
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _words() -> tuple[str, ...]:
    from lecture_utils.course.data import load_words

    return tuple(load_words())


@lru_cache(maxsize=1)
def _stoi() -> dict[str, int]:
    from lecture_utils.names import build_vocab

    return build_vocab(_words())[0]


def _itos() -> dict[int, str]:
    return {i: ch for ch, i in _stoi().items()}


def _ngrams(words: Sequence[str], n: int, starts: int | None = None, ends: int = 1,
            target_in_context: bool = False) -> tuple[torch.Tensor, ...]:
    """Index tensors (one per position) of every n-gram of `words`, each name padded with
    `starts` '.' before it (n - 1 by default) and `ends` after it. `target_in_context` gives
    the slip where the context window is shifted one step on, over the character to predict."""
    starts = n - 1 if starts is None else starts
    stoi = _stoi()
    columns = [[] for _ in range(n)]
    for w in words:
        chs = [0] * starts + [stoi[ch] for ch in w] + [0] * ends
        for gram in zip(*(chs[i:] for i in range(n))):
            for column, ix in zip(columns, gram):
                column.append(ix)
    out = tuple(torch.tensor(column, dtype=torch.long) for column in columns)
    if target_in_context:  # the context ends with the character it predicts
        out = (*out[1:], out[-1])
    return out


@lru_cache(maxsize=32)
def _ngrams_of(words: tuple[str, ...], n: int) -> tuple[torch.Tensor, ...]:
    """`_ngrams` of a split, kept: E02 and E03 check the same splits again and again."""
    return _ngrams(words, n)


@lru_cache(maxsize=16)
def _all_ngrams(n: int, starts: int | None = None, ends: int = 1,
                target_in_context: bool = False) -> tuple[torch.Tensor, ...]:
    return _ngrams(_words(), n, starts, ends, target_in_context)


def _counts(index: tuple[torch.Tensor, ...]) -> torch.Tensor:
    """The count table of the n-grams `index`, shape (27,) * n, in float64."""
    flat = torch.zeros((), dtype=torch.long)
    for column in index:
        flat = flat * V + column
    n = len(index)
    return torch.bincount(flat, minlength=V**n).view((V,) * n).double()


def _normalise(counts: torch.Tensor, k: float) -> torch.Tensor:
    smoothed = counts + k
    return smoothed / smoothed.sum(-1, keepdim=True)


def _nll(table: torch.Tensor, index: tuple[torch.Tensor, ...]) -> float:
    """Average negative log likelihood of the n-grams `index` under the probability table."""
    return -table[index].log().mean().item()


def _same_loss(yours: float, reference: float, atol: float = 2e-4) -> bool:
    """Equal to a float32 computation's precision. A loss that is not finite matches one that
    is not finite: an unsmoothed model gives a context it never saw 0 / 0 = NaN, or inf once
    the NaN is replaced by 0, and both are a right answer to "what is its loss"."""
    if not (math.isfinite(reference) and math.isfinite(yours)):
        return not (math.isfinite(reference) or math.isfinite(yours))
    return abs(yours - reference) <= atol


def _loss_how_off(yours: float, expected: float, n: int) -> str:
    """how_off, and the sum of n losses where their average belongs."""
    if expected > 0 and yours > 0 and close(yours / expected, n, 1e-3, 0):
        return (f"is summed over the {n:,} examples: the loss is their average, so that it does "
                "not grow with the size of the data")
    return how_off(yours, expected)


# ---------------------------------------------------------------------------------------------
# Reading the learner's answers
# ---------------------------------------------------------------------------------------------


def _tensor(value, what: str) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach()
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            return torch.from_numpy(value)
    except ImportError:  # pragma: no cover
        pass
    raise Wrong(f"{what} is a {type(value).__name__}, not a tensor.")


def _loss_number(loss, what: str = "your loss") -> float:
    if isinstance(loss, torch.Tensor) and loss.numel() != 1:
        raise Wrong(f"{what} is a tensor of shape {tuple(loss.shape)}, not one number: average "
                    "the negative log likelihoods over all the examples (.mean()).")
    number = as_number(loss)
    if number is None:
        raise Wrong(f"{what} is {loss!r}, not a number.")
    return number


def _probability_table(P, order: int | None = None) -> tuple[torch.Tensor, bool]:
    """The learner's table as (27,) * n float64, and whether it came as (729, 27).
    `order` 3 asks for a trigram table, None accepts a bigram or a trigram table."""
    table = _tensor(P, "P")
    shape = tuple(table.shape)
    flat = False
    if shape == (V * V, V):
        table, flat = table.reshape(V, V, V), True
    elif shape == (V, V) and order == 3:
        raise Wrong("P has shape (27, 27): that is a bigram table, one row per previous "
                    "character. A trigram model needs a row per pair of previous characters: "
                    "shape (27, 27, 27), or (729, 27).")
    elif shape in ((V, V * V), (V, V, V * V)):
        raise Wrong(f"P has shape {shape}: rows are the contexts and the last dimension the next "
                    "character, (27, 27, 27) or (729, 27). Transposed?")
    elif shape in ((28, 28, 28), (28, 28)):
        raise Wrong(f"P has shape {shape}: separate <S> and <E> tokens? This course uses one "
                    "'.' at index 0 for both, 27 characters (section 3).")
    elif shape not in ((V, V, V),) + (((V, V),) if order is None else ()):
        wanted = "(27, 27, 27) or (729, 27)" if order == 3 else "(27, 27) or (27, 27, 27)"
        raise Wrong(f"P has shape {shape}; a table of next-character probabilities has shape "
                    f"{wanted}.")
    if not table.is_floating_point():
        raise Wrong("P holds integers: those are counts. Normalise each row into probabilities "
                    "(convert to float first).")
    return table.double(), flat


def _contexts_never_seen(counts: torch.Tensor) -> torch.Tensor:
    return counts.sum(-1) == 0


# ---------------------------------------------------------------------------------------------
# E01 (notebook 02): the trigram model by counting
# ---------------------------------------------------------------------------------------------

_TABLE_ATOL = 1e-6


def _diagnose_trigram_table(table: torch.Tensor, flat: bool, reference: torch.Tensor,
                            counts: torch.Tensor) -> str:
    """Why the learner's trigram table is not the +1-smoothed one: a hint."""

    def same(a, b):
        return a.shape == b.shape and torch.allclose(torch.nan_to_num(a, nan=-1.0),
                                                     torch.nan_to_num(b, nan=-1.0),
                                                     rtol=1e-5, atol=_TABLE_ATOL)

    unsmoothed = counts / counts.sum(-1, keepdim=True)
    if torch.isnan(table).any():
        nan_rows = torch.isnan(table).any(-1)
        if torch.equal(nan_rows, _contexts_never_seen(counts)):
            return ("P has NaN in the rows of the pairs of characters that never occur together "
                    "(0 / 0 when the row is normalised): add the +1 smoothing of section 7, "
                    "which gives every row a total of at least 27.")
        return "P contains NaN."
    if same(table, torch.nan_to_num(unsmoothed)) or same(table, unsmoothed):
        return ("these are the unsmoothed counts, normalised: the exercise adds 1 to every count "
                "first, as section 7 did.")
    if same(table, counts + 1) or same(table, counts):
        return "these are counts: divide each row by its sum to get probabilities."
    if same(table, (counts + 1) / (counts + 1).sum(2)):
        return ("the keepdim bug of section 5: without keepdim=True the (27, 27) table of row "
                "sums is broadcast as (1, 27, 27), so P[a, b, c] is divided by the sum of the row "
                "(b, c) instead of (a, b). Use .sum(-1, keepdim=True).")
    for perm in itertools.permutations(range(3)):
        if perm != (0, 1, 2) and same(table.permute(*perm), reference):
            if flat and perm == (1, 0, 2):
                return ("your row for the pair (a, b) is row a + 27 * b; this exercise's layout "
                        "is row 27 * a + b (so that P.view(27, 27, 27)[a, b] is that row).")
            return ("the right numbers, with the dimensions in another order: P[a, b, c] must be "
                    "the probability of c after a then b (a the first of the two characters).")
    sums = table.sum(-1)
    if not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
        for dim in (0, 1):
            other = table.sum(dim)
            if torch.allclose(other, torch.ones_like(other), atol=1e-4):
                return (f"P is normalised along dimension {dim}, but the rows P[a, b] (the last "
                        "dimension, the next character) must each sum to 1: sum over the last "
                        "dimension, keepdim=True.")
        return ("the rows P[a, b] do not sum to 1: divide each row by its own sum "
                "(.sum(-1, keepdim=True)).")
    variants = {
        (1, 1): "the first letter of a name is never predicted from '..': a trigram model pads "
                "each name with two '.' at the start (the context of its first letter is '..'), "
                "and one at the end",
        (2, 2): "with two '.' at the end there is a trigram after the name has ended: one '.' "
                "ends a name",
        (2, 0): "nothing ever predicts the end of a name: add one '.' at the end",
        (0, 1): "the first two letters of a name are never predicted: pad with two '.' at the "
                "start",
    }
    for (starts, ends), hint in variants.items():
        if same(table, _normalise(_counts(_all_ngrams(3, starts, ends)), 1.0)):
            return hint + "."
    if same(table, _normalise(_counts(_all_ngrams(2)), 1.0).unsqueeze(0).expand(V, V, V)):
        return ("every row P[a, b] is the bigram row of b: the first character of the context "
                "plays no part. Count triples of characters.")
    seen = ~_contexts_never_seen(counts)
    zero = (counts == 0) & seen.unsqueeze(-1)
    totals = counts.sum(-1, keepdim=True).expand_as(counts)
    if zero.any() and (table[zero] > 0).all():
        p, total = table[zero], totals[zero]
        ks = p * total / (1 - V * p)
        k = ks.median().item()
        if k > 0 and same(table, _normalise(counts, k)):
            return (f"this is add-k smoothing with k = {k:.3g}; the exercise uses the +1 of "
                    "section 7 (E03 tunes k).")
    gap = (table - reference).abs().amax(-1)
    a, b = divmod(int(gap.argmax()), V)
    itos = _itos()
    return (f"P is not the +1-smoothed trigram table of the names; it differs most in the row "
            f"of the pair '{itos[a]}{itos[b]}'. Count every triple (a, b, c) of every name padded "
            "as '..name.', add 1, and normalise each row.")


def trigram_counts(P, loss) -> Result:
    """E01 of notebook 02: your trigram model by counting, `P[a, b, c]` the probability that
    character c follows a then b (shape (27, 27, 27), or (729, 27) with row 27 * a + b), with
    the +1 smoothing of section 7, and `loss`, its average negative log likelihood over every
    trigram of every name (each name padded as '..name.')."""

    def body() -> str:
        if P is None:
            raise NotAttempted("your table is still None: count the trigrams, add 1, normalise "
                               "each row, then run the cell again.")
        table, flat = _probability_table(P, order=3)
        index = _all_ngrams(3)
        counts = _counts(index)
        reference = _normalise(counts, 1.0)
        if not torch.allclose(table, reference, rtol=1e-5, atol=_TABLE_ATOL):
            raise Wrong(_diagnose_trigram_table(table, flat, reference, counts))
        if loss is None:
            raise NotAttempted("the table is right; its loss is still None: the average NLL of "
                               "every trigram of every name.")
        try:
            yours = _loss_number(loss)
        except Wrong as exc:
            raise Wrong(f"the table is right, but {exc}") from None
        expected = _nll(reference, index)
        if _same_loss(yours, expected):
            return (f"the +1-smoothed trigram table is right, and so is its average NLL over all "
                    f"{len(index[0]):,} trigrams. Compare it with the bigram model's (section 7).")
        raise Wrong("the table is right, but the loss "
                    + _diagnose_count_loss(yours, expected, reference))

    return run_check("trigram_counts", body)


def _diagnose_count_loss(yours: float, expected: float, reference: torch.Tensor) -> str:
    index = _all_ngrams(3)
    n = len(index[0])
    if math.isinf(yours):
        return "is infinite: some trigram got probability 0. Evaluate the smoothed P."
    if yours > 0 and close(yours / expected, n, 1e-3, 0):
        return (f"is summed over the {n:,} trigrams: the loss is the average, so that it does not "
                "grow with the size of the data.")
    sizes = torch.tensor([len(w) + 1 for w in _words()])  # a name of L letters has L + 1 trigrams
    name_of = torch.repeat_interleave(torch.arange(len(sizes)), sizes)
    per_trigram = -reference[index].log()
    per_name = torch.zeros(len(sizes), dtype=torch.float64).index_add_(0, name_of, per_trigram)
    variants = [
        ((per_name / sizes).mean().item(), "is the mean of each name's average: average over all "
                                        "the trigrams at once (long names have more of them)"),
        (_nll(reference, _all_ngrams(3, 1, 1)), "leaves out the trigram of each name's first "
                                                "letter: pad each name with two '.' at the start"),
        (_nll(_normalise(_counts(index), 0.0), index), "is the loss of the unsmoothed counts: "
                                                       "evaluate the +1-smoothed P"),
        (_nll(_normalise(_counts(_all_ngrams(2)), 1.0), _all_ngrams(2)),
         "is the bigram model's loss (section 7): evaluate the trigram table P"),
        (_nll(_normalise(_counts(_all_ngrams(2)), 0.0), _all_ngrams(2)),
         "is the bigram model's loss (section 6): evaluate the trigram table P"),
    ]
    for value, hint in variants:
        if _same_loss(yours, value):
            return hint + "."
    how = how_off(yours, expected)
    if how == "is not right":
        how = ("is not the average negative log likelihood of P over every trigram of every name "
               "(each name padded as '..name.')")
    return how + "."


# ---------------------------------------------------------------------------------------------
# E02 (notebook 02): train, dev and test
# ---------------------------------------------------------------------------------------------


def _split_sizes(n: int) -> tuple[int, int, int]:
    n1, n2 = int(0.8 * n), int(0.9 * n)
    return n1, n2 - n1, n - n2


def _read_splits(splits) -> tuple[list[str], list[str], list[str]]:
    """The learner's (train, dev, test) word lists, checked: a shuffled 80/10/10 partition of
    the names."""
    if splits is None:
        raise NotAttempted("splits is still None: shuffle the names, cut them 80/10/10 into "
                           "(train_words, dev_words, test_words), then run the cell again.")
    if isinstance(splits, Mapping):
        splits = tuple(splits.get(name) for name in SPLIT_NAMES)
    if isinstance(splits, str) or not isinstance(splits, Sequence) or len(splits) != 3:
        raise Wrong("splits must be three lists of names: (train_words, dev_words, test_words).")
    if all(part is None for part in splits):
        raise NotAttempted("the three splits are still None: shuffle the names, cut them "
                           "80/10/10, then run the cell again.")
    parts = []
    for name, part in zip(SPLIT_NAMES, splits):
        if isinstance(part, torch.Tensor):
            raise Wrong(f"the {name} split is a tensor: split the names (lists of strings) first, "
                        "then build each split's examples from its own names.")
        if part is None or isinstance(part, str) or not isinstance(part, Sequence) \
                or not all(isinstance(w, str) for w in part):
            raise Wrong(f"the {name} split must be a list of names (strings).")
        parts.append(list(part))
    words = _words()
    if Counter(itertools.chain(*parts)) != Counter(words):
        total = sum(len(part) for part in parts)
        raise Wrong(f"the three splits hold {total:,} names; together they must hold each of the "
                    f"{len(words):,} names of names.txt exactly once (as often as it occurs).")
    sizes = tuple(len(part) for part in parts)
    expected = _split_sizes(len(words))
    if any(abs(a - b) > 1 for a, b in zip(sizes, expected)):
        raise Wrong(f"the splits have {sizes[0]:,} / {sizes[1]:,} / {sizes[2]:,} names: cut at "
                    "80% and 90% of the shuffled list, int(0.8 * n) and int(0.9 * n).")
    if parts[0] == list(words[:len(parts[0])]):
        raise Wrong("the train split is the first 80% of names.txt as it comes: shuffle first. "
                    "The file has an order (its most common names come first), so the last 20% "
                    "are not like the rest.")
    return parts[0], parts[1], parts[2]


def _read_model_losses(losses) -> dict[tuple[str, str], float]:
    if losses is None:
        raise NotAttempted("losses is still None: train both models on the train split, "
                           "evaluate them on each split, then run the cell again.")
    layout = ('losses must be {"bigram": {"train": ..., "dev": ..., "test": ...}, '
              '"trigram": {...}}')
    if not isinstance(losses, Mapping) or set(losses) != set(MODEL_NAMES):
        raise Wrong(layout + ".")
    out = {}
    for model in MODEL_NAMES:
        per_split = losses[model]
        if isinstance(per_split, Sequence) and not isinstance(per_split, str) and len(per_split) == 3:
            per_split = dict(zip(SPLIT_NAMES, per_split))
        if not isinstance(per_split, Mapping) or set(per_split) != set(SPLIT_NAMES):
            raise Wrong(layout + f": the {model} entry has no train, dev and test.")
        for split in SPLIT_NAMES:
            out[model, split] = per_split[split]
    if all(value is None for value in out.values()):
        raise NotAttempted("every loss is still None.")
    missing = [f"{model} {split}" for (model, split), value in out.items() if value is None]
    if missing:
        raise NotAttempted(f"still None: {', '.join(missing)}.")
    return {key: _loss_number(value, f"the {key[0]} {key[1]} loss") for key, value in out.items()}


def _model_table(model: str, words: Sequence[str], k: float) -> torch.Tensor:
    return _normalise(_counts(_ngrams_of(tuple(words), 2 if model == "bigram" else 3)), k)


def split_losses(splits, losses) -> Result:
    """E02 of notebook 02: `splits` = (train_words, dev_words, test_words), a shuffled 80/10/10
    split of the names, and `losses` = {"bigram": {"train": ..., "dev": ..., "test": ...},
    "trigram": {...}}: each model, with +1 smoothing, trained on the train split only, its
    average NLL on each split. Any shuffle is accepted; the losses are recomputed on yours."""

    def body() -> str:
        parts = _read_splits(splits)
        yours = _read_model_losses(losses)
        train, dev, _ = parts
        everything = list(_words())
        index = {(model, split): _ngrams_of(tuple(words), 2 if model == "bigram" else 3)
                 for model in MODEL_NAMES for split, words in zip(SPLIT_NAMES, parts)}
        tables = {model: _model_table(model, train, 1.0) for model in MODEL_NAMES}
        expected = {key: _nll(tables[key[0]], idx) for key, idx in index.items()}
        wrong = []
        for (model, split), value in yours.items():
            if _same_loss(value, expected[model, split]):
                continue
            wrong.append(f"the {model} {split} loss " + _diagnose_split_loss(
                model, split, value, expected, index, train, dev, everything))
        if not wrong:
            return ("both models trained on train only, and their losses on train, dev and test "
                    "are right. What do the gaps between train and dev tell you?")
        right = len(yours) - len(wrong)
        raise Wrong(wrong[0] + (f" ({right} of 6 right)" if right else "") + ".")

    return run_check("split_losses", body)


def _diagnose_split_loss(model, split, value, expected, index, train, dev, everything) -> str:
    for other in SPLIT_NAMES:
        if other != split and _same_loss(value, expected[model, other]):
            return f"is the loss on the {other} split: evaluate on the {split} split"
    other_model = MODEL_NAMES[1 - MODEL_NAMES.index(model)]
    if _same_loss(value, expected[other_model, split]):
        return f"is the {other_model} model's: bigram and trigram swapped?"
    idx = index[model, split]
    if not math.isfinite(value):
        return ("is infinite or NaN: a pair or triple of the split never occurs in train, so "
                "the unsmoothed model gives it probability 0 (or 0 / 0 for a context it never "
                "saw). Smooth with +1")
    variants = [
        (everything, 1.0, "comes from a model trained on every name: train on the train split "
                          "only, or the dev and test losses measure memory, not generalisation"),
        (train + dev, 1.0, "comes from a model trained on train and dev: train on train only"),
        (train, 0.0, "comes from the unsmoothed counts: this exercise smooths with +1"),
    ]
    for words, k, hint in variants:
        if _same_loss(value, _nll(_model_table(model, words, k), idx)):
            return hint
    how = _loss_how_off(value, expected[model, split], len(idx[0]))
    if how == "is not right":
        how = (f"is not the average NLL over the {split} split's examples of the +1-smoothed "
               f"{model} model counted on train")
    return how


# ---------------------------------------------------------------------------------------------
# E03 (notebook 02): the smoothing strength, tuned on dev
# ---------------------------------------------------------------------------------------------

# How far above the best dev loss any k can give the chosen k's dev loss may be.
DEV_TOLERANCE = 2e-3
MIN_SWEEP = 5


def _best_dev_loss(counts: torch.Tensor, dev_index) -> float:
    """The lowest dev loss of add-k smoothing over k, by a golden-section search on log k."""

    def f(log_k: float) -> float:
        return _nll(_normalise(counts, 10.0**log_k), dev_index)

    low, high = -5.0, 3.0
    ratio = (math.sqrt(5) - 1) / 2
    a, b = high - ratio * (high - low), low + ratio * (high - low)
    fa, fb = f(a), f(b)
    for _ in range(50):
        if fa < fb:
            high, b, fb = b, a, fa
            a = high - ratio * (high - low)
            fa = f(a)
        else:
            low, a, fa = a, b, fb
            b = low + ratio * (high - low)
            fb = f(b)
    return min(fa, fb)


def _finite_or_inf(x: float) -> float:
    return x if math.isfinite(x) else math.inf


def tuned_smoothing(splits, sweep, best_k, test_loss) -> Result:
    """E03 of notebook 02: the trigram model's add-k smoothing tuned on the dev split of E02.
    `sweep` = {k: (train_loss, dev_loss)} for every k you tried (the model counted on train,
    k added to every count); `best_k` the k with the lowest dev loss; `test_loss` that model's
    loss on test, evaluated once, at the end."""

    def body() -> str:
        empty = sweep is None or (isinstance(sweep, Mapping) and not sweep)
        if empty and best_k is None and test_loss is None:
            raise NotAttempted("the sweep is empty, best_k and test_loss are None: try many k "
                               "on the train and dev names, then run the cell again.")
        try:
            train, dev, test = _read_splits(splits)
        except NotAttempted:
            raise NotAttempted("this exercise uses the splits of E02: do that one first.") from None
        except Wrong as exc:
            raise Wrong(f"the splits of E02 are not right yet ({exc}) Fix E02 first.") from None
        if empty:
            raise NotAttempted("the sweep is empty: {k: (train loss, dev loss)} for every k you "
                               "tried.")
        if not isinstance(sweep, Mapping):
            raise Wrong("sweep must be a dict {k: (train_loss, dev_loss)}.")
        if len(sweep) < MIN_SWEEP:
            raise Wrong(f"sweep has {len(sweep)} value(s) of k: try many (at least {MIN_SWEEP}), "
                        "spread over several powers of 10.")
        index = {"train": _ngrams_of(tuple(train), 3), "dev": _ngrams_of(tuple(dev), 3),
                 "test": _ngrams_of(tuple(test), 3)}
        counts = _counts(index["train"])
        losses_at = {}
        for key, pair in sweep.items():
            k = as_number(key)
            if k is None or k < 0 or math.isnan(k):
                raise Wrong(f"the sweep's key {key!r} is not a smoothing strength: a number >= 0.")
            if isinstance(pair, str) or not isinstance(pair, Sequence) or len(pair) != 2:
                raise Wrong(f"sweep[{key!r}] must be a pair (train_loss, dev_loss).")
            given = [_loss_number(v, f"a loss of sweep[{key!r}]") for v in pair]
            table = _normalise(counts, k)
            truth = {split: _nll(table, idx) for split, idx in index.items()}
            losses_at[k] = truth
            for split, value in zip(("train", "dev"), given):
                if _same_loss(value, truth[split]):
                    continue
                if split == "dev" and _same_loss(value, truth["test"]):
                    raise Wrong(f"at k = {k:g} your dev loss is the test loss: tune on dev. A test "
                                "loss used to choose k is no longer an unbiased estimate of "
                                "how the model does on new names.")
                for other in ("train", "dev", "test"):
                    if other != split and _same_loss(value, truth[other]):
                        raise Wrong(f"at k = {k:g} your {split} loss is the {other} loss.")
                how = _loss_how_off(value, truth[split], len(index[split][0]))
                if how == "is not right":
                    how = ("is not the average NLL of the trigram model counted on train with "
                           f"k added to every count, on the {split} split")
                raise Wrong(f"at k = {k:g} your {split} loss {how}.")
        ks = sorted(losses_at)

        def lowest(split):  # NaN (0 / 0 at k = 0) ranks as an infinite loss
            return min(ks, key=lambda k: _finite_or_inf(losses_at[k][split]))

        if best_k is None:
            raise NotAttempted("the sweep is right; best_k is still None.")
        chosen = as_number(best_k)
        if chosen is None:
            raise Wrong(f"best_k is {best_k!r}, not a number.")
        tried = [k for k in ks if close(chosen, k, 1e-6, 0)]
        if not tried:
            raise Wrong(f"best_k = {chosen:g} is not one of the k in your sweep: choose among "
                        "the values you measured on dev.")
        chosen = tried[0]
        dev_best = lowest("dev")
        if chosen != dev_best:
            if chosen == lowest("train"):
                raise Wrong(f"best_k = {chosen:g} has the lowest training loss of your sweep, "
                            "but the training loss always prefers less smoothing: choose the k "
                            "with the lowest dev loss.")
            if chosen == lowest("test"):
                raise Wrong(f"best_k = {chosen:g} has the lowest test loss of your sweep, not the "
                            "lowest dev loss: choose on dev, and look at test only once, at "
                            "the end.")
            raise Wrong(f"best_k = {chosen:g} is not the k with the lowest dev loss in your sweep.")
        if dev_best in (ks[0], ks[-1]) and len(ks) > 1:
            edge = "smallest" if dev_best == ks[0] else "largest"
            raise Wrong(f"the lowest dev loss of your sweep is at its {edge} k, {dev_best:g}: "
                        "the best k may lie beyond the range you tried. Extend it.")
        best_possible = _best_dev_loss(counts, index["dev"])
        if losses_at[chosen]["dev"] > best_possible + DEV_TOLERANCE:
            raise Wrong(f"k = {chosen:g} is the best of your sweep, but a finer sweep around it "
                        f"finds a dev loss more than {DEV_TOLERANCE} lower: try values between "
                        "its neighbours.")
        if test_loss is None:
            raise NotAttempted(f"k = {chosen:g} is well chosen; test_loss is still None.")
        yours = _loss_number(test_loss, "test_loss")
        truth = losses_at[chosen]
        if _same_loss(yours, truth["test"]):
            return (f"k = {chosen:g} is chosen on dev (within {DEV_TOLERANCE} of the best dev loss "
                    "any k gives), and its test loss is right.")
        if _same_loss(yours, truth["dev"]):
            raise Wrong("test_loss is the dev loss of your best k: evaluate that model on test.")
        if _same_loss(yours, truth["train"]):
            raise Wrong("test_loss is the training loss of your best k: evaluate it on test.")
        if _same_loss(yours, _nll(_normalise(_counts(_ngrams_of(tuple(train + dev), 3)), chosen),
                                  index["test"])):
            raise Wrong("test_loss comes from a model counted on train and dev: this exercise "
                        "keeps the model of the sweep, counted on train only.")
        if _same_loss(yours, _nll(_normalise(counts, 1.0), index["test"])):
            raise Wrong("test_loss is the +1 model's: evaluate the model with your best k.")
        how = _loss_how_off(yours, truth["test"], len(index["test"][0]))
        if how == "is not right":
            how = "is not the test loss of the trigram model counted on train with your best k"
        raise Wrong(f"test_loss {how}.")

    return run_check("tuned_smoothing", body)


# ---------------------------------------------------------------------------------------------
# Neural trigram layouts (notebook 03): how W of each shape turns a context (a, b) into logits
# ---------------------------------------------------------------------------------------------

# name: (shape, logits from W and the two context columns, how the layout is described)
_LAYOUTS: dict[str, tuple[tuple[int, ...], Callable, str]] = {
    "two one-hots": ((2 * V, V), lambda W, a, b: W[a] + W[V + b],
                     "two one-hots side by side, W of shape (54, 27)"),
    "two one-hots, swapped": ((2 * V, V), lambda W, a, b: W[b] + W[V + a],
                              "two one-hots side by side (the second character first), W (54, 27)"),
    "one-hot of the pair": ((V * V, V), lambda W, a, b: W[V * a + b],
                            "one one-hot per pair (row 27 * a + b), W of shape (729, 27)"),
    "one-hot of the pair, swapped": ((V * V, V), lambda W, a, b: W[a + V * b],
                                     "one one-hot per pair (row a + 27 * b), W of shape (729, 27)"),
    "table": ((V, V, V), lambda W, a, b: W[a, b], "a table of logits W[a, b], shape (27, 27, 27)"),
    "table, swapped": ((V, V, V), lambda W, a, b: W[b, a],
                       "a table of logits W[b, a], shape (27, 27, 27)"),
}
_SHAPES = [(2 * V, V), (V * V, V), (V, V, V)]


def _layouts_of(shape: tuple[int, ...]) -> list[str]:
    return [name for name, (s, _, _) in _LAYOUTS.items() if s == shape]


def _check_W_shape(W: torch.Tensor) -> None:
    shape = tuple(W.shape)
    if shape in _SHAPES:
        return
    if shape == (V, V):
        raise Wrong("W has shape (27, 27): that is the bigram's W, one row per previous "
                    "character. Two characters need (54, 27) (two one-hots side by side) or "
                    "(729, 27) (one one-hot per pair).")
    if shape in ((V, 2 * V), (V, V * V)):
        raise Wrong(f"W has shape {shape}: transposed? W maps a one-hot input (rows) to 27 "
                    f"logits (columns): ({shape[1]}, {shape[0]}).")
    raise Wrong(f"W has shape {shape}; a trigram network's W has shape (54, 27) or (729, 27).")


def _nll_of_logits(logits: torch.Tensor, y: torch.Tensor) -> float:
    return F.cross_entropy(logits.double(), y).item()


# ---------------------------------------------------------------------------------------------
# E01 (notebook 03): the trigram network, trained
# ---------------------------------------------------------------------------------------------

LOSS_ATOL = 1e-3  # a float32 loss of a full pass, against the check's float64 one


def neural_trigram(W, loss) -> Result:
    """E01 of notebook 03: your trained trigram network's weights `W` (shape (54, 27) for two
    one-hot vectors side by side, row a and row 27 + b; or (729, 27) for one one-hot per pair,
    row 27 * a + b) and `loss`, the average NLL of the trained W over every trigram of every
    name (each padded as '..name.'), without the regulariser. The check evaluates W itself,
    and asks for a loss below the best bigram model's."""

    def body() -> str:
        if W is None:
            raise NotAttempted("W is still None: train the network, then run the cell again.")
        weights = _tensor(W, "W")
        _check_W_shape(weights)
        if not weights.is_floating_point():
            raise Wrong("W holds integers: weights are floats (torch.randn).")
        if not torch.isfinite(weights).all():
            raise Wrong("W contains NaN or inf: the training diverged (a learning rate too "
                        "large?).")
        a, b, y = _all_ngrams(3)
        nlls = {name: _nll_of_logits(_LAYOUTS[name][1](weights.double(), a, b), y)
                for name in _layouts_of(tuple(weights.shape))}
        if loss is None:
            raise NotAttempted("W is there; loss is still None: the average NLL of your trained "
                               "W over every trigram.")
        yours = _loss_number(loss)
        matched = [name for name, nll in nlls.items() if abs(yours - nll) <= LOSS_ATOL]
        if not matched:
            raise Wrong(_diagnose_neural_loss(yours, weights, nlls))
        name = matched[0]
        nll = nlls[name]
        bigram_best = _nll(_normalise(_counts(_all_ngrams(2)), 0.0), _all_ngrams(2))
        if nll >= bigram_best:
            raise Wrong(f"your loss matches your W, but it is no better than the best bigram "
                        f"model ({bigram_best:.4f}, the counts of notebook 02): train longer, or "
                        "make sure both characters reach W.")
        return (f"your W ({_LAYOUTS[name][2]}) has the loss you report, {yours:.4f}, on all "
                f"{len(y):,} trigrams, below the best bigram model's {bigram_best:.4f}.")

    return run_check("neural_trigram", body)


def _diagnose_neural_loss(yours: float, weights: torch.Tensor, nlls: dict[str, float]) -> str:
    shape = tuple(weights.shape)
    primary = _layouts_of(shape)[0]
    nll = nlls[primary]
    lowest = _nll(_normalise(_counts(_all_ngrams(3)), 0.0), _all_ngrams(3))
    if math.isnan(yours):
        return "your loss is NaN: the training diverged (a learning rate too large?)."
    fn = _LAYOUTS[primary][1]
    variants = [
        (_all_ngrams(3, 1, 1), "your loss is that of your W on trigrams padded with one '.' at "
                               "the start: a name's first letter follows the context '..', so "
                               "pad with two (and train again)"),
        (_all_ngrams(3, target_in_context=True), "your examples put the character to predict "
                                                 "inside the context: the context is the two "
                                                 "characters before it"),
        (_all_ngrams(3, 2, 2), "your loss counts a trigram after the end of each name: pad "
                               "with one '.' at the end"),
    ]
    for (a, b, y), hint in variants:
        if abs(yours - _nll_of_logits(fn(weights.double(), a, b), y)) <= LOSS_ATOL:
            return hint + "."
    if yours < lowest - LOSS_ATOL:
        return ("your loss is lower than any model of the two previous characters can reach on "
                "the names' trigrams (the unsmoothed counts' loss): does your context include "
                "the character it predicts?")
    if 0 < yours - nll < 0.1:
        return ("your loss is a little above the average NLL of your W: a loss that includes the "
                "regulariser, or one computed before the last update? Evaluate the final W "
                "once more, without the regulariser.")
    if 0 < nll - yours < 0.1:
        return ("your loss is a little below the average NLL of your W on all the trigrams: "
                "computed on a part of the data, or with another layout of W? Evaluate the "
                "final W on every trigram of every name.")
    how = _loss_how_off(yours, nll, len(_all_ngrams(3)[0]))
    if how == "is not right":
        return (f"your loss is not the average NLL of your W on the names' trigrams (read as "
                f"{_LAYOUTS[primary][2]}).")
    return f"your loss {how} (compared with the average NLL of your W)."


# ---------------------------------------------------------------------------------------------
# E04 and E05 (notebook 03): rows instead of one-hots, F.cross_entropy
# ---------------------------------------------------------------------------------------------

_MATMULS = {"matmul", "mm", "__matmul__", "__rmatmul__", "einsum", "linear", "bmm", "tensordot",
            "dot", "mv", "addmm", "inner"}


class _Recorder(TorchFunctionMode):
    """Notes the torch functions the learner's code calls (top level only) and the shapes of
    their tensor arguments."""

    def __init__(self):
        super().__init__()
        self.calls: list[tuple[str, list[tuple[int, ...]]]] = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        shapes = [tuple(x.shape) for x in itertools.chain(args, kwargs.values())
                  if isinstance(x, torch.Tensor)]
        self.calls.append((getattr(func, "__name__", str(func)), shapes))
        return func(*args, **kwargs)

    def called(self, name: str) -> bool:
        return any(call == name for call, _ in self.calls)

    def multiplied(self, shape: tuple[int, ...]) -> bool:
        transposed = tuple(reversed(shape))
        return any(call in _MATMULS and (shape in shapes or transposed in shapes)
                   for call, shapes in self.calls)


def _contexts(seed: int = 1234) -> tuple[torch.Tensor, torch.Tensor]:
    """Every one of the 729 contexts once, in a shuffled order, as (729, 2); random targets."""
    g = torch.Generator().manual_seed(seed)
    pairs = torch.cartesian_prod(torch.arange(V), torch.arange(V))
    X = pairs[torch.randperm(len(pairs), generator=g)]
    Y = torch.randint(0, V, (len(X),), generator=g)
    return X, Y


def _weights(shape: tuple[int, ...], scale: float = 1.0, seed: int = 99) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (scale * torch.randn(shape, generator=g)).requires_grad_()


def _call_with_layouts(fn: Callable, what: str, make_args: Callable, reference: Callable,
                       compare: Callable, mismatch: Callable):
    """Call the learner's fn with a W of each shape a trigram network may have, until its
    answer matches the reference of one layout of that shape. Returns the layout, the W, the
    answer and what fn called; raises Wrong with the most telling failure otherwise: a slip
    the mismatch function recognises (it returns (3, hint)), then any other wrong answer
    (2, hint), then an exception that is not an index out of range, which only says that fn
    expects another shape of W."""
    failures: list[tuple[int, str]] = []
    for shape in _SHAPES:
        W = _weights(shape)
        args = make_args(W)
        recorder = _Recorder()
        try:
            with recorder:
                out = call_learner(what, fn, W, *args)
        except Wrong as exc:
            text = str(exc)
            out_of_range = "IndexError" in text or "out of bounds" in text or "out of range" in text
            failures.append((0 if out_of_range else 1, f"with W of shape {shape}, {text}"))
            continue
        if out is None:
            raise NotAttempted(f"{what} returns None: write it, then run the cell again.")
        for name in _layouts_of(shape):
            if compare(out, reference(name, W, *args)):
                return name, W, out, recorder
        failures.append(mismatch(out, shape, W, *args))
    failures.sort(key=lambda f: -f[0])
    raise Wrong(failures[0][1])


def _combined_rows(W: torch.Tensor, shape, a, b) -> dict[str, torch.Tensor]:
    """The logits of the usual slips in combining the two characters' rows, for W of `shape`."""
    if shape == (V, V, V):
        return {"W[a] summed over b, or the like: index the table with both characters, W[a, b]":
                W[a].sum(1)}
    slips = {"only the first character's row: the second character must reach the logits too":
             W[a], "only the second character's row: the first character must reach the "
                   "logits too": W[b]}
    if shape == (2 * V, V):
        slips["row a plus row b, both among the first 27 rows: the second character's one-hot "
              "sits after the first's, so its rows start at 27"] = W[a] + W[b]
    else:
        slips["row a * b: the row of the pair (a, b) is 27 * a + b"] = W[a * b]
        slips["row a + b: the row of the pair (a, b) is 27 * a + b"] = W[a + b]
    return slips


def logits_by_indexing(trigram_logits: Callable) -> Result:
    """E04 of notebook 03: your `trigram_logits(W, X)`, the logits of the trigram network for
    the contexts X (an (n, 2) tensor of character indices), computed by picking rows of W
    instead of multiplying one-hot vectors by it. Tried with W of shape (54, 27), (729, 27)
    and (27, 27, 27) on all 729 contexts: the logits must match one-hot @ W (for one layout
    of the two characters), the gradient must reach W, and neither F.one_hot nor a matrix
    product with W may be used on the way."""
    X, _ = _contexts()

    def reference(name, W, X):
        return _LAYOUTS[name][1](W, X[:, 0], X[:, 1])

    def compare(out, expected):
        return (isinstance(out, torch.Tensor) and out.shape == expected.shape
                and torch.allclose(out.detach().double(), expected.detach().double(),
                                   rtol=1e-5, atol=1e-5))

    def mismatch(out, shape, W, X):
        if not isinstance(out, torch.Tensor):
            return 2, (f"with W of shape {shape}, trigram_logits returned a "
                       f"{type(out).__name__}, not a tensor of logits.")
        if tuple(out.shape) != (len(X), V):
            if tuple(out.shape) == (len(X), 2, V):
                return 3, (f"with W of shape {shape} the logits have shape (n, 2, 27): the two "
                           "characters' rows, not yet added together.")
            return 2, (f"with W of shape {shape} the logits have shape {tuple(out.shape)}; for "
                       "n contexts they have shape (n, 27).")
        got = out.detach().double()
        for hint, value in _combined_rows(W.detach().double(), shape, X[:, 0], X[:, 1]).items():
            if value.shape == got.shape and torch.allclose(got, value, atol=1e-5):
                return 3, f"with W of shape {shape}, the logits are {hint}."
        return 2, (f"with W of shape {shape}, the logits are not one-hot @ W for any layout of "
                   "the two characters (row a and row 27 + b of a (54, 27) W, or row 27 * a + b "
                   "of a (729, 27) W).")

    def body() -> str:
        if trigram_logits is None:
            raise NotAttempted("trigram_logits is None: write the function, then run the cell "
                               "again.")
        name, W, out, recorder = _call_with_layouts(trigram_logits, "trigram_logits(W, X)",
                                                    lambda W: (X,), reference, compare, mismatch)
        if recorder.called("one_hot"):
            raise Wrong("the logits are right, but trigram_logits still calls F.one_hot: pick "
                        "the rows of W by indexing (W[...]) instead.")
        if recorder.multiplied(tuple(W.shape)):
            raise Wrong("the logits are right, but they still come from a matrix product with "
                        "W (a one-hot matrix made by hand?): pick the rows of W by indexing.")
        if not out.requires_grad or out.grad_fn is None:
            raise Wrong("the logits are right, but detached from W (W.data, .detach(), or a new "
                        "tensor made from them?): no gradient can reach W through them.")
        G = torch.randn(out.shape, generator=torch.Generator().manual_seed(7))
        call_learner("backward() through your logits", (out * G).sum().backward)
        W_ref = W.detach().clone().requires_grad_()
        (reference(name, W_ref, X) * G).sum().backward()
        if W.grad is None or not torch.allclose(W.grad, W_ref.grad, rtol=1e-5, atol=1e-6):
            raise Wrong("the logits are right, but the gradient that reaches W through them is "
                        "not.")
        return (f"{_LAYOUTS[name][2]}: the same logits and gradient as one-hot @ W, by picking "
                "rows, without F.one_hot or a matrix product.")

    return run_check("logits_by_indexing", body)


def cross_entropy_loss(trigram_loss: Callable) -> Result:
    """E05 of notebook 03: your `trigram_loss(W, X, Y)`, the average negative log likelihood
    of the targets Y (n indices) given the contexts X ((n, 2) indices) under the trigram
    network W, computed with F.cross_entropy. Tried with W of shape (54, 27), (729, 27) and
    (27, 27, 27): the value and the gradient against exp / normalise / log / mean, the call to
    F.cross_entropy, and weights large enough that exp() of the logits overflows."""
    X, Y = _contexts()

    def reference(name, W, X, Y):
        return F.cross_entropy(_LAYOUTS[name][1](W, X[:, 0], X[:, 1]).double(), Y)

    def compare(out, expected):
        if isinstance(out, torch.Tensor) and out.numel() != 1:
            return False
        number = as_number(out)
        return number is not None and close(number, expected.item(), 1e-5, 1e-6)

    def mismatch(out, shape, W, X, Y):
        if isinstance(out, torch.Tensor) and out.numel() != 1:
            if tuple(out.shape) == (len(X),):
                return 3, (f"with W of shape {shape} the loss has one value per example "
                           "(reduction='none'?): the loss is their average.")
            return 2, (f"with W of shape {shape} the loss has shape {tuple(out.shape)}, not one "
                       "number.")
        number = as_number(out)
        if number is None:
            return 2, f"with W of shape {shape}, trigram_loss returned {out!r}, not a loss."
        W = W.detach().double()
        for name in _layouts_of(shape):
            logits = _LAYOUTS[name][1](W, X[:, 0], X[:, 1])
            expected = F.cross_entropy(logits, Y).item()
            extra = (number - expected) / (W**2).mean().item()
            slips = [
                (F.cross_entropy(logits, Y, reduction="sum").item(),
                 "is summed over the examples (reduction='sum'?): the loss is their average"),
                (F.cross_entropy(logits.softmax(1), Y).item(),
                 "is F.cross_entropy of probabilities: it takes the logits themselves and does "
                 "the softmax inside"),
                (F.nll_loss(logits.softmax(1), Y).item(),
                 "uses the probabilities where their logarithm belongs (F.nll_loss of the "
                 "softmax?): F.cross_entropy takes the logits"),
            ]
            for value, hint in slips:
                if close(number, value, 1e-5, 1e-6):
                    return 3, f"with W of shape {shape}, the loss {hint}."
            for strength in (1e-3, 1e-2, 0.1, 1.0):
                if close(extra, strength, 1e-3, 0):
                    return 3, (f"with W of shape {shape}, the loss includes a regulariser "
                               f"({strength:g} * (W**2).mean()): leave it out here, the loss is "
                               "the average NLL alone.")
        how = how_off(number, F.cross_entropy(_LAYOUTS[_layouts_of(shape)[0]][1](
            W, X[:, 0], X[:, 1]), Y).item(), 1e-5)
        if how == "is not right":
            return 2, (f"with W of shape {shape}, the loss is not the average NLL of the targets "
                       "under the network's logits, for any layout of the two characters.")
        return 3, f"with W of shape {shape}, the loss {how}."

    def body() -> str:
        if trigram_loss is None:
            raise NotAttempted("trigram_loss is None: write the function, then run the cell "
                               "again.")
        name, W, out, recorder = _call_with_layouts(trigram_loss, "trigram_loss(W, X, Y)",
                                                    lambda W: (X, Y), reference, compare, mismatch)
        if not isinstance(out, torch.Tensor):
            raise Wrong(f"the value is right, but it is a {type(out).__name__}, not a tensor "
                        "(.item()?): backward() needs the loss as a tensor.")
        if not out.requires_grad or out.grad_fn is None:
            raise Wrong("the value is right, but the loss is detached from W (W.data, "
                        ".detach(), or torch.tensor(...) of a number?): backward() cannot reach "
                        "W from it.")
        if not recorder.called("cross_entropy"):
            raise Wrong("the value is right, but trigram_loss does not call F.cross_entropy: "
                        "this exercise replaces the hand-written softmax and log with it.")
        call_learner("loss.backward()", out.backward)
        W_ref = W.detach().clone().requires_grad_()
        reference(name, W_ref, X, Y).backward()
        if W.grad is None or not torch.allclose(W.grad.double(), W_ref.grad.double(),
                                                rtol=1e-4, atol=1e-7):
            raise Wrong("the value is right, but the gradient that reaches W is not.")
        big = _weights(tuple(W.shape), scale=60.0, seed=3)
        loud = call_learner("trigram_loss with large weights", trigram_loss, big, X, Y)
        expected = reference(name, big, X, Y).item()
        number = as_number(loud) if isinstance(loud, torch.Tensor) and loud.numel() == 1 else None
        if number is None or not math.isfinite(number) or not close(number, expected, 1e-4, 1e-5):
            shown = "NaN or inf" if number is not None and not math.isfinite(number) else "wrong"
            raise Wrong(f"right on ordinary weights, but with weights 60 times larger (logits in "
                        f"the hundreds) your loss is {shown}: does it exponentiate the logits "
                        "before F.cross_entropy? Give F.cross_entropy the logits themselves.")
        return ("F.cross_entropy on your logits: the same loss and gradient as the softmax by "
                "hand, and still right with logits in the hundreds, where exp() overflows.")

    return run_check("cross_entropy_loss", body)


# ---------------------------------------------------------------------------------------------
# E06 (notebook 03): the most probable name, which greedy decoding misses
# ---------------------------------------------------------------------------------------------


def _name_logprob(costs: torch.Tensor, indices: list[int]) -> float:
    order = costs.dim() - 1
    context = (0,) * order
    total = 0.0
    for ix in indices + [0]:
        total += costs[context + (ix,)].item()
        context = context[1:] + (ix,)
    return -total


def _most_probable(costs: torch.Tensor) -> tuple[list[int], float]:
    """The name of lowest total cost (-log probability, end included), by Dijkstra's search
    over the contexts: costs are never negative, so the first time a context is taken from
    the heap its cheapest prefix is known."""
    order = costs.dim() - 1
    start = (0,) * order
    dist = {start: 0.0}
    previous: dict[tuple, tuple | None] = {start: None}
    heap = [(0.0, start)]
    done = set()
    while heap:
        d, state = heapq.heappop(heap)
        if state in done:
            continue
        done.add(state)
        step = costs[state].tolist()
        for ix in range(1, V):
            if math.isinf(step[ix]):
                continue
            following = state[1:] + (ix,)
            if d + step[ix] < dist.get(following, math.inf):
                dist[following] = d + step[ix]
                previous[following] = (state, ix)
                heapq.heappush(heap, (dist[following], following))
    best = min(dist, key=lambda s: dist[s] + costs[s + (0,)].item())
    indices = []
    state = best
    while previous[state] is not None:
        state, ix = previous[state]
        indices.append(ix)
    indices.reverse()
    return indices, -(dist[best] + costs[best + (0,)].item())


def _greedy(costs: torch.Tensor, max_length: int = 30) -> list[int]:
    order = costs.dim() - 1
    context, out = (0,) * order, []
    while len(out) < max_length:
        ix = int(costs[context].argmin())
        if ix == 0:
            break
        out.append(ix)
        context = context[1:] + (ix,)
    return out


def _best_of_length(costs: torch.Tensor, length: int) -> float:
    """The highest log probability of a name of exactly `length` characters (end included)."""
    order = costs.dim() - 1
    best = {(0,) * order: 0.0}
    for _ in range(length):
        following: dict[tuple, float] = {}
        for state, d in best.items():
            step = costs[state].tolist()
            for ix in range(1, V):
                key = state[1:] + (ix,)
                if d + step[ix] < following.get(key, math.inf):
                    following[key] = d + step[ix]
        best = following
    return -min(d + costs[s + (0,)].item() for s, d in best.items())


def _letters(n: int) -> str:
    return f"{n} letter" + ("" if n == 1 else "s")


def most_likely_name(P, name) -> Result:
    """E06 of notebook 03: `name`, the single most probable name under the model `P` (its
    next-character probabilities: shape (27, 27, 27) or (729, 27) for a trigram model, (27, 27)
    for a bigram one), the end '.' included in its probability. The check finds that name by an
    exact search on your P and compares their probabilities (ties are right)."""

    def body() -> str:
        if P is None:
            raise NotAttempted("the probability table is still None: your network's "
                               "next-character probabilities for every context, then run the "
                               "cell again.")
        table, _ = _probability_table(P)
        rows = table.reshape(-1, V)
        nan_rows = torch.isnan(rows).all(1)
        if torch.isnan(rows[~nan_rows]).any():
            raise Wrong("P contains NaN.")
        rows = torch.where(nan_rows.unsqueeze(1), torch.zeros_like(rows), rows)
        if (rows < 0).any():
            raise Wrong("P has negative entries: probabilities, not logits (take the softmax).")
        sums = rows[~nan_rows].sum(1)
        if not torch.allclose(sums, torch.ones_like(sums), atol=1e-4):
            raise Wrong("the rows of P do not sum to 1: probabilities of the next character for "
                        "each context (normalised counts, or the softmax of the logits).")
        if name is None:
            raise NotAttempted("the table is a probability table; the name is still None.")
        if not isinstance(name, str):
            raise Wrong(f"name is a {type(name).__name__}: give the name as a string.")
        word = name.strip(".")
        stoi = _stoi()
        if "." in word or any(ch not in stoi for ch in word):
            raise Wrong(f"{name!r} is not a name of the letters a to z (the '.' start and end "
                        "tokens are implied).")
        costs = -rows.view(table.shape).log()
        indices = [stoi[ch] for ch in word]
        yours = _name_logprob(costs, indices)
        best_indices, best = _most_probable(costs)
        if math.isinf(yours):
            raise Wrong(f"P gives {word!r} probability 0.")
        if yours >= best - 1e-9 * abs(best):
            return (f"{word!r} is the most probable name under P (probability {math.exp(yours):.3g}, "
                    "end included): no other name is more likely.")
        if indices == _greedy(costs):
            raise Wrong(f"{word!r} is what greedy decoding gives (the likeliest character at each "
                        "step), but a more probable name exists: a first step that is not the "
                        "likeliest can lead to a likelier whole name. Search instead: a prefix is "
                        "always at least as probable as any name it starts, so you can discard "
                        "a prefix as soon as it is less probable than the best whole name so far.")
        if yours >= _best_of_length(costs, len(indices)) - 1e-9 * abs(best):
            raise Wrong(f"{word!r} is the most probable name of {_letters(len(indices))}, but a "
                        "name of another length is more probable.")
        raise Wrong(f"a more probable name than {word!r} exists under P (yours has probability "
                    f"{math.exp(yours):.3g}). Search every name that could still win: a prefix is "
                    "always at least as probable as any name it starts.")

    return run_check("most_likely_name", body)
