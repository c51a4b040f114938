"""lecture_utils.check.bigram (the exercises of notebooks 02 and 03), fed the answers learners
give: each right answer is accepted, each kind of wrong answer rejected with the hint that names
its fault (and without the reference number), and an answer left as the notebook gives it is
"not attempted yet", without raising."""

import math
import random

import pytest
import torch
import torch.nn.functional as F

from lecture_utils import check
from lecture_utils.check import NOT_ATTEMPTED, RIGHT, WRONG
from lecture_utils.course.data import load_words
from lecture_utils.names import build_vocab, split_words
from tests.check.verdict import verdict

WORDS = load_words()
STOI, ITOS = build_vocab(WORDS)


def ngrams(words, n, starts=None, ends=1):
    """Index tensors of the n-grams of `words`, padded with `starts` '.' (n - 1 by default)."""
    starts = n - 1 if starts is None else starts
    columns = [[] for _ in range(n)]
    for w in words:
        chs = [0] * starts + [STOI[ch] for ch in w] + [0] * ends
        for gram in zip(*(chs[i:] for i in range(n))):
            for column, ix in zip(columns, gram):
                column.append(ix)
    return tuple(torch.tensor(column) for column in columns)


def counts(index):
    N = torch.zeros((27,) * len(index))
    N.index_put_(index, torch.ones(len(index[0])), accumulate=True)
    return N


def normalised(N, k=1.0):
    return (N + k) / (N + k).sum(-1, keepdim=True)


def nll(P, index):
    return -P[index].log().mean().item()


TRIGRAMS = ngrams(WORDS, 3)
N3 = counts(TRIGRAMS)
P3 = normalised(N3)
LOSS3 = -P3[TRIGRAMS].log().mean()  # a float32 tensor, as a learner computes it
REFERENCE = nll(P3.double(), TRIGRAMS)


def no_reference(line, *values):
    """The printed line gives none of the reference numbers away."""
    for value in values:
        assert f"{value:.4f}" not in line, line


# ---------------------------------------------------------------------------------------------
# trigram_counts (notebook 02, E01)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("P, loss", [(P3, LOSS3), (P3.view(729, 27), LOSS3.item()),
                                     (P3.double(), REFERENCE)],
                         ids=["tensor loss", "(729, 27) and a float", "float64"])
def test_trigram_counts_accepts_the_right_table_and_loss(capsys, P, loss):
    verdict(capsys, check.trigram_counts(P, loss), RIGHT, "228,146 trigrams")


def test_trigram_counts_left_unanswered_is_not_attempted(capsys):
    verdict(capsys, check.trigram_counts(None, None), NOT_ATTEMPTED, "still None")
    verdict(capsys, check.trigram_counts(P3, None), NOT_ATTEMPTED, "table is right",
            "loss is still None")


def one_start_token():
    return normalised(counts(ngrams(WORDS, 3, starts=1)))


@pytest.mark.parametrize("P, hints", [
    (normalised(counts(ngrams(WORDS, 2))), ["(27, 27)", "bigram table"]),
    (P3.view(729, 27).T, ["(27, 729)", "Transposed"]),
    (torch.ones(28, 28, 28) / 28, ["<S> and <E>"]),
    (torch.ones(27, 27) / 27, ["(27, 27)"]),
    ((N3 + 1).int(), ["integers", "counts"]),
    (N3 + 1, ["these are counts"]),
    (N3 / N3.sum(-1, keepdim=True), ["NaN", "never occur together", "+1 smoothing"]),
    (torch.nan_to_num(N3 / N3.sum(-1, keepdim=True)), ["unsmoothed"]),
    ((N3 + 1) / (N3 + 1).sum(2), ["keepdim", "(1, 27, 27)"]),
    ((N3 + 1) / (N3 + 1).sum(0, keepdim=True), ["normalised along dimension 0"]),
    (P3.permute(1, 0, 2).reshape(729, 27), ["row a + 27 * b", "27 * a + b"]),
    (P3.permute(2, 0, 1), ["another order"]),
    (one_start_token(), ["two '.' at the start"]),
    (normalised(counts(ngrams(WORDS, 3, ends=2))), ["one '.' ends a name"]),
    (normalised(counts(ngrams(WORDS, 3, ends=0))), ["predicts the end"]),
    (normalised(counts(ngrams(WORDS, 3, starts=0))), ["first two letters"]),
    (normalised(N3, 0.5), ["add-k smoothing with k = 0.5", "+1"]),
    (normalised(counts(ngrams(WORDS, 2))).expand(27, 27, 27), ["plays no part"]),
    (P3.flip(0), ["differs most in the row"]),
], ids=["bigram", "transposed", "28 tokens", "27x27", "int counts", "float counts", "NaN rows",
        "unsmoothed", "keepdim bug", "columns", "flat swapped", "permuted", "one start token",
        "two end tokens", "no end token", "no start token", "k 0.5", "bigram rows", "other"])
def test_trigram_counts_names_what_is_wrong_with_the_table(capsys, P, hints):
    line = verdict(capsys, check.trigram_counts(P, LOSS3), WRONG, *hints)
    no_reference(line, REFERENCE)


def per_name_mean():
    per_trigram = -P3.double()[TRIGRAMS].log()
    sizes = [len(w) + 1 for w in WORDS]
    return sum(chunk.mean().item() for chunk in per_trigram.split(sizes)) / len(sizes)


@pytest.mark.parametrize("loss, hints", [
    (LOSS3 * len(TRIGRAMS[0]), ["summed over the 228,146 trigrams"]),
    (LOSS3 / math.log(10), ["ln 10", "log10"]),
    (-LOSS3, ["wrong sign"]),
    (per_name_mean(), ["each name's average"]),
    (nll(P3.double(), ngrams(WORDS, 3, starts=1)), ["first letter", "two '.'"]),
    (nll(normalised(N3.double(), 0.0), TRIGRAMS), ["unsmoothed counts"]),
    (nll(normalised(counts(ngrams(WORDS, 2)).double()), ngrams(WORDS, 2)),
     ["bigram model's loss (section 7)"]),
    (math.inf, ["infinite"]),
    (math.nan, ["NaN"]),
    (-P3[TRIGRAMS].log(), ["not one number", ".mean()"]),
    ("2.2", ["not a number"]),
    (2.3, ["is not the average negative log likelihood"]),
], ids=["sum", "log10", "sign", "per name", "one start", "unsmoothed", "bigram", "inf", "NaN",
        "vector", "string", "other"])
def test_trigram_counts_names_what_is_wrong_with_the_loss(capsys, loss, hints):
    line = verdict(capsys, check.trigram_counts(P3, loss), WRONG, "the table is right", *hints)
    no_reference(line, REFERENCE)


# ---------------------------------------------------------------------------------------------
# split_losses (notebook 02, E02)
# ---------------------------------------------------------------------------------------------

SPLITS = split_words(WORDS, 42)
TRAIN, DEV, TEST = SPLITS


def split_table(model, words, k=1.0):
    return normalised(counts(ngrams(words, 2 if model == "bigram" else 3)).double(), k)


def model_losses(splits, trained_on=None, k=1.0):
    trained_on = splits[0] if trained_on is None else trained_on
    return {model: {name: nll(split_table(model, trained_on, k),
                              ngrams(words, 2 if model == "bigram" else 3))
                    for name, words in zip(("train", "dev", "test"), splits)}
            for model in ("bigram", "trigram")}


LOSSES = model_losses(SPLITS)


def changed(losses, model, split, value):
    out = {m: dict(v) for m, v in losses.items()}
    out[model][split] = value
    return out


def test_split_losses_accepts_the_right_answer_on_any_shuffle(capsys):
    verdict(capsys, check.split_losses(SPLITS, LOSSES), RIGHT, "trained on train only")
    other = split_words(WORDS, 7)
    as_tuples = {model: tuple(v.values()) for model, v in model_losses(other).items()}
    verdict(capsys, check.split_losses(list(other), as_tuples), RIGHT)


def test_split_losses_left_unanswered_is_not_attempted(capsys):
    verdict(capsys, check.split_losses(None, None), NOT_ATTEMPTED, "splits is still None")
    empty = {"bigram": {"train": None, "dev": None, "test": None},
             "trigram": {"train": None, "dev": None, "test": None}}
    verdict(capsys, check.split_losses((None, None, None), empty), NOT_ATTEMPTED,
            "three splits are still None")
    verdict(capsys, check.split_losses(SPLITS, None), NOT_ATTEMPTED, "losses is still None")
    verdict(capsys, check.split_losses(SPLITS, empty), NOT_ATTEMPTED, "every loss")
    verdict(capsys, check.split_losses(SPLITS, changed(LOSSES, "trigram", "test", None)),
            NOT_ATTEMPTED, "still None: trigram test")


def test_split_losses_rejects_splits_that_are_not_a_shuffled_80_10_10_partition(capsys):
    n1, n2 = int(0.8 * len(WORDS)), int(0.9 * len(WORDS))
    unshuffled = (WORDS[:n1], WORDS[n1:n2], WORDS[n2:])
    verdict(capsys, check.split_losses(unshuffled, LOSSES), WRONG, "shuffle first")
    verdict(capsys, check.split_losses((TRAIN[1:], DEV, TEST), LOSSES), WRONG, "exactly once")
    shuffled = list(WORDS)
    random.Random(1).shuffle(shuffled)
    m1, m2 = int(0.7 * len(WORDS)), int(0.85 * len(WORDS))
    verdict(capsys, check.split_losses((shuffled[:m1], shuffled[m1:m2], shuffled[m2:]), LOSSES),
            WRONG, "80% and 90%")
    verdict(capsys, check.split_losses((torch.zeros(3), DEV, TEST), LOSSES), WRONG, "tensor")
    verdict(capsys, check.split_losses((TRAIN, DEV), LOSSES), WRONG, "three lists")
    verdict(capsys, check.split_losses((TRAIN, DEV, "abc"), LOSSES), WRONG, "list of names")


def test_split_losses_rejects_a_malformed_answer(capsys):
    verdict(capsys, check.split_losses(SPLITS, {"bigram": LOSSES["bigram"]}), WRONG,
            'losses must be {"bigram"')
    verdict(capsys, check.split_losses(SPLITS, {"bigram": {"train": 1.0}, "trigram": {}}), WRONG,
            "no train, dev and test")


@pytest.mark.parametrize("model, split, value, hints", [
    ("trigram", "dev", LOSSES["trigram"]["train"], ["trigram dev loss", "train split",
                                                    "5 of 6 right"]),
    ("bigram", "test", LOSSES["bigram"]["dev"], ["bigram test loss", "dev split"]),
    ("trigram", "dev", LOSSES["bigram"]["dev"], ["swapped"]),
    ("trigram", "dev", model_losses(SPLITS, trained_on=WORDS)["trigram"]["dev"],
     ["trained on every name"]),
    ("trigram", "test", model_losses(SPLITS, trained_on=TRAIN + DEV)["trigram"]["test"],
     ["train and dev"]),
    ("bigram", "train", model_losses(SPLITS, k=0.0)["bigram"]["train"], ["unsmoothed"]),
    ("trigram", "dev", math.inf, ["infinite or NaN", "+1"]),
    ("trigram", "dev", math.nan, ["infinite or NaN", "0 / 0"]),
    ("trigram", "dev", LOSSES["trigram"]["dev"] / math.log(10), ["ln 10"]),
    ("bigram", "test", LOSSES["bigram"]["test"] * len(ngrams(TEST, 2)[0]), ["summed over the"]),
    ("bigram", "dev", 2.0, ["is not the average NLL over the dev split"]),
], ids=["dev is train", "test is dev", "models swapped", "trained on all", "train+dev",
        "unsmoothed", "inf", "NaN", "log10", "sum", "other"])
def test_split_losses_names_the_wrong_loss(capsys, model, split, value, hints):
    line = verdict(capsys, check.split_losses(SPLITS, changed(LOSSES, model, split, value)),
                   WRONG, *hints)
    no_reference(line, LOSSES[model][split])


def test_split_losses_an_unsmoothed_trigram_is_infinite_on_dev():
    """The data fact behind the "infinite" hint: dev has trigrams that train never shows."""
    assert math.isnan(model_losses(SPLITS, k=0.0)["trigram"]["dev"])  # 0 / 0 for unseen contexts
    assert math.isinf(-torch.nan_to_num(split_table("trigram", TRAIN, 0.0))[DEV3].log().mean())


# ---------------------------------------------------------------------------------------------
# tuned_smoothing (notebook 02, E03)
# ---------------------------------------------------------------------------------------------

TRAIN3, DEV3, TEST3 = (ngrams(words, 3) for words in SPLITS)
N_TRAIN = counts(TRAIN3).double()
KS = [0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.3, 1, 3, 10]


def losses_at(k, trained=N_TRAIN):
    P = normalised(trained, k)
    return nll(P, TRAIN3), nll(P, DEV3), nll(P, TEST3)


SWEEP = {k: losses_at(k)[:2] for k in KS}
BEST = min(KS, key=lambda k: SWEEP[k][1])
TEST_LOSS = losses_at(BEST)[2]


def test_tuned_smoothing_accepts_the_right_answer(capsys):
    verdict(capsys, check.tuned_smoothing(SPLITS, SWEEP, BEST, TEST_LOSS), RIGHT,
            f"k = {BEST:g} is chosen on dev")
    with_zero = {0: (losses_at(0)[0], math.inf), **SWEEP}  # k = 0: 0 / 0, or inf without NaN
    assert math.isnan(losses_at(0)[1])
    verdict(capsys, check.tuned_smoothing(SPLITS, with_zero, torch.tensor(BEST, dtype=torch.float64),
                                          torch.tensor(TEST_LOSS)), RIGHT)


def test_tuned_smoothing_left_unanswered_is_not_attempted(capsys):
    blank = (None, None, None)
    verdict(capsys, check.tuned_smoothing(blank, {}, None, None), NOT_ATTEMPTED,
            "the sweep is empty")
    verdict(capsys, check.tuned_smoothing(blank, SWEEP, BEST, TEST_LOSS), NOT_ATTEMPTED,
            "splits of E02")
    verdict(capsys, check.tuned_smoothing(SPLITS, {}, BEST, None), NOT_ATTEMPTED, "sweep is empty")
    verdict(capsys, check.tuned_smoothing(SPLITS, SWEEP, None, None), NOT_ATTEMPTED,
            "best_k is still None")
    verdict(capsys, check.tuned_smoothing(SPLITS, SWEEP, BEST, None), NOT_ATTEMPTED,
            "test_loss is still None")


def test_tuned_smoothing_needs_the_splits_of_e02_right(capsys):
    n1, n2 = int(0.8 * len(WORDS)), int(0.9 * len(WORDS))
    verdict(capsys, check.tuned_smoothing((WORDS[:n1], WORDS[n1:n2], WORDS[n2:]), SWEEP, BEST,
                                          TEST_LOSS), WRONG, "Fix E02 first", "shuffle")


def sweep_with(split_index):
    """The sweep with the 'dev' column taken from another split (0 train, 2 test)."""
    return {k: (losses_at(k)[0], losses_at(k)[split_index]) for k in KS}


@pytest.mark.parametrize("sweep, best_k, hints", [
    (dict(list(SWEEP.items())[:3]), BEST, ["3 value(s)", "at least 5"]),
    (sweep_with(2), BEST, ["dev loss is the test loss", "tune on dev"]),
    (sweep_with(0), BEST, ["dev loss is the train loss"]),
    ({k: (v[1], v[0]) for k, v in SWEEP.items()}, BEST, ["train loss is the dev loss"]),
    ({k: (v[0], v[1] * 2) for k, v in SWEEP.items()}, BEST, ["dev loss is off by a factor of 2"]),
    ({k: (v[0],) for k, v in SWEEP.items()}, BEST, ["a pair (train_loss, dev_loss)"]),
    ({-1: (1.0, 1.0), **SWEEP}, BEST, ["not a smoothing strength"]),
    ([1, 2, 3], BEST, ["must be a dict"]),
    (SWEEP, KS[0], ["lowest training loss", "prefers less smoothing"]),
    (SWEEP, 1, ["not the k with the lowest dev loss"]),
    (SWEEP, 0.15, ["not one of the k in your sweep"]),
    (SWEEP, "0.1", ["not a number"]),
    ({k: losses_at(k)[:2] for k in [1, 2, 3, 5, 10]}, 1, ["smallest k", "Extend it"]),
    ({k: losses_at(k)[:2] for k in [1e-4, 1e-3, 1, 10, 100]}, 1, ["finer sweep"]),
], ids=["too few", "dev is test", "dev is train", "swapped", "factor", "no pair", "negative k",
        "not a dict", "best on train", "not the best", "not tried", "string", "edge", "coarse"])
def test_tuned_smoothing_names_what_is_wrong_with_the_sweep(capsys, sweep, best_k, hints):
    verdict(capsys, check.tuned_smoothing(SPLITS, sweep, best_k, TEST_LOSS), WRONG, *hints)


def test_tuned_smoothing_says_when_k_was_picked_on_test(capsys):
    """A sweep where the lowest test loss and the lowest dev loss fall on different k."""
    ks = [0.05 + 0.01 * i for i in range(26)]
    sweep = {k: losses_at(k)[:2] for k in ks}
    on_dev = min(ks, key=lambda k: sweep[k][1])
    on_test = min(ks, key=lambda k: losses_at(k)[2])
    assert on_dev != on_test
    verdict(capsys, check.tuned_smoothing(SPLITS, sweep, on_test, losses_at(on_test)[2]), WRONG,
            "lowest test loss", "choose on dev")
    verdict(capsys, check.tuned_smoothing(SPLITS, sweep, on_dev, losses_at(on_dev)[2]), RIGHT)


@pytest.mark.parametrize("test_loss, hints", [
    (losses_at(BEST)[1], ["dev loss of your best k"]),
    (losses_at(BEST)[0], ["training loss of your best k"]),
    (nll(normalised(counts(ngrams(TRAIN + DEV, 3)).double(), BEST), TEST3), ["train and dev"]),
    (losses_at(1)[2], ["+1 model's"]),
    (TEST_LOSS * len(TEST3[0]), ["summed over the"]),
    (TEST_LOSS / math.log(10), ["ln 10"]),
], ids=["dev", "train", "train+dev", "+1", "sum", "log10"])
def test_tuned_smoothing_names_what_is_wrong_with_the_test_loss(capsys, test_loss, hints):
    line = verdict(capsys, check.tuned_smoothing(SPLITS, SWEEP, BEST, test_loss), WRONG, *hints)
    no_reference(line, TEST_LOSS)


# ---------------------------------------------------------------------------------------------
# neural_trigram (notebook 03, E01)
# ---------------------------------------------------------------------------------------------

A, B, C = TRIGRAMS


def logits_54(W, a, b):
    return W[a] + W[27 + b]


def logits_729(W, a, b):
    return W[27 * a + b]


def trained(shape, steps, lr=50.0):
    """Full-batch gradient descent from the lecture's seed, on the count table (the same loss
    as on every trigram, notebook 03 section 6)."""
    W = torch.randn(shape, generator=torch.Generator().manual_seed(2147483647), requires_grad=True)
    pairs = torch.cartesian_prod(torch.arange(27), torch.arange(27))
    table = N3.view(729, 27)
    fn = logits_54 if shape[0] == 54 else logits_729
    for _ in range(steps):
        loss = -(table * F.log_softmax(fn(W, pairs[:, 0], pairs[:, 1]), 1)).sum() / table.sum()
        W.grad = None
        (loss + 0.01 * (W**2).mean()).backward()
        with torch.no_grad():
            W -= lr * W.grad
    return W.detach()


W729 = trained((729, 27), 300)
W54 = trained((54, 27), 100)
LOSS729 = F.cross_entropy(logits_729(W729, A, B), C)
LOSS54 = F.cross_entropy(logits_54(W54, A, B), C)


def test_neural_trigram_accepts_both_encodings(capsys):
    verdict(capsys, check.neural_trigram(W729, LOSS729), RIGHT, "(729, 27)", "below the best bigram")
    verdict(capsys, check.neural_trigram(W54.requires_grad_(), LOSS54.item()), RIGHT, "(54, 27)")
    verdict(capsys, check.neural_trigram(W729.view(27, 27, 27), LOSS729), RIGHT, "W[a, b]")
    swapped = W729.view(27, 27, 27).transpose(0, 1).reshape(729, 27)  # row a + 27 b
    verdict(capsys, check.neural_trigram(swapped, LOSS729), RIGHT, "row a + 27 * b")


def test_neural_trigram_left_unanswered_is_not_attempted(capsys):
    verdict(capsys, check.neural_trigram(None, None), NOT_ATTEMPTED, "W is still None")
    verdict(capsys, check.neural_trigram(W729, None), NOT_ATTEMPTED, "loss is still None")


@pytest.mark.parametrize("W, hints", [
    (torch.randn(27, 27), ["(27, 27)", "bigram's W"]),
    (W729.T, ["(27, 729)", "transposed"]),
    (torch.randn(100, 27), ["(100, 27)", "(54, 27) or (729, 27)"]),
    (torch.full((729, 27), math.nan), ["NaN", "diverged"]),
    (torch.zeros(729, 27, dtype=torch.long), ["integers"]),
    ([[0.0] * 27] * 54, ["not a tensor"]),
], ids=["bigram", "transposed", "other shape", "NaN", "int", "list"])
def test_neural_trigram_rejects_a_wrong_W(capsys, W, hints):
    verdict(capsys, check.neural_trigram(W, LOSS729), WRONG, *hints)


def test_neural_trigram_rejects_a_network_no_better_than_a_bigram(capsys):
    W = torch.randn((54, 27), generator=torch.Generator().manual_seed(1))
    verdict(capsys, check.neural_trigram(W, F.cross_entropy(logits_54(W, A, B), C)), WRONG,
            "no better than the best bigram", "train longer")


def shifted_into_target():
    """The contexts of the slip that reads the target: (b, c) predicting c."""
    return B, C, C


@pytest.mark.parametrize("loss, hints", [
    (LOSS729 + 0.02, ["a little above", "regulariser"]),
    (LOSS729 - 0.05, ["a little below"]),
    (F.cross_entropy(logits_729(W729, *ngrams(WORDS, 3, starts=1)[:2]), ngrams(WORDS, 3, starts=1)[2]),
     ["one '.' at the start", "pad with two"]),
    (F.cross_entropy(logits_729(W729, *ngrams(WORDS, 3, ends=2)[:2]), ngrams(WORDS, 3, ends=2)[2]),
     ["after the end"]),
    (1.2, ["lower than any model of the two previous characters"]),
    (LOSS729 * math.log(10), ["ln 10"]),
    (LOSS729 * len(C), ["summed over the 228,146 examples"]),
    (math.nan, ["NaN"]),
    (3.5, ["not the average NLL of your W"]),
], ids=["regulariser", "below", "one start", "two ends", "too low", "log10", "sum", "NaN",
        "other"])
def test_neural_trigram_names_what_is_wrong_with_the_loss(capsys, loss, hints):
    verdict(capsys, check.neural_trigram(W729, loss), WRONG, *hints)


def test_neural_trigram_names_a_context_that_holds_the_target(capsys):
    a, b, y = shifted_into_target()
    W = torch.zeros(729, 27)
    W[27 * a + b, y] = 8.0  # a network that learned to copy the last character of its context
    loss = F.cross_entropy(logits_729(W, a, b), y)
    verdict(capsys, check.neural_trigram(W, loss), WRONG, "character to predict inside the context")


# ---------------------------------------------------------------------------------------------
# logits_by_indexing (notebook 03, E04)
# ---------------------------------------------------------------------------------------------


def rows(W, X):
    if W.shape[0] == 54:
        return W[X[:, 0]] + W[27 + X[:, 1]]
    return W[27 * X[:, 0] + X[:, 1]]


def one_hot_54(W, X):
    xenc = torch.cat([F.one_hot(X[:, 0], 27), F.one_hot(X[:, 1], 27)], 1).float()
    return xenc @ W


def eye_729(W, X):
    return torch.eye(729)[27 * X[:, 0] + X[:, 1]] @ W


@pytest.mark.parametrize("fn, words", [
    (rows, "(54, 27)"),
    (lambda W, X: W[27 * X[:, 0] + X[:, 1]], "(729, 27)"),
    (lambda W, X: W[X[:, 0], X[:, 1]], "(27, 27, 27)"),
    (lambda W, X: W[X[:, 1]] + W[27 + X[:, 0]], "the second character first"),
], ids=["54", "729", "table", "54 swapped"])
def test_logits_by_indexing_accepts_every_layout(capsys, fn, words):
    verdict(capsys, check.logits_by_indexing(fn), RIGHT, words, "without F.one_hot")


def test_logits_by_indexing_left_unanswered_is_not_attempted(capsys):
    def stub(W, X):
        raise NotImplementedError("your answer")

    verdict(capsys, check.logits_by_indexing(stub), NOT_ATTEMPTED, "NotImplementedError")
    verdict(capsys, check.logits_by_indexing(lambda W, X: None), NOT_ATTEMPTED, "returns None")
    verdict(capsys, check.logits_by_indexing(None), NOT_ATTEMPTED)


@pytest.mark.parametrize("fn, hints", [
    (one_hot_54, ["right", "F.one_hot"]),
    (eye_729, ["matrix product"]),
    (lambda W, X: rows(W, X).detach(), ["detached"]),
    (lambda W, X: rows(W.data, X), ["detached"]),
    (lambda W, X: rows(W, X).detach() + 0 * W.sum(), ["gradient", "is not"]),
    (lambda W, X: W[X[:, 0]] + W[X[:, 1]], ["(54, 27)", "rows start at 27"]),
    (lambda W, X: W[X[:, 0]], ["only the first character's row"]),
    (lambda W, X: W[27 + X[:, 1]] * 1 + 0 * W[X[:, 0]], ["not one-hot @ W"]),
    (lambda W, X: W[X[:, 0] * X[:, 1]], ["(729, 27)", "27 * a + b"]),
    (lambda W, X: torch.stack([W[X[:, 0]], W[27 + X[:, 1]]], 1), ["(n, 2, 27)", "added"]),
    (lambda W, X: rows(W, X).tolist(), ["not a tensor"]),
    (lambda W, X: rows(W, X)[:10], ["shape (10, 27)"]),
    (lambda W, X: W[X[:, 0]].sum(1), ["index the table with both"]),
], ids=["one_hot", "eye matmul", "detach", "W.data", "no gradient", "no offset", "first only",
        "second only", "a times b", "stacked", "list", "too few", "table summed"])
def test_logits_by_indexing_names_the_fault(capsys, fn, hints):
    verdict(capsys, check.logits_by_indexing(fn), WRONG, *hints)


def test_logits_by_indexing_reports_an_error_that_is_not_about_the_shape(capsys):
    def broken(W, X):
        raise ValueError("oops")

    verdict(capsys, check.logits_by_indexing(broken), WRONG, "ValueError: oops")


# ---------------------------------------------------------------------------------------------
# cross_entropy_loss (notebook 03, E05)
# ---------------------------------------------------------------------------------------------


def ce(W, X, Y):
    return F.cross_entropy(rows(W, X), Y)


def by_hand(W, X, Y):
    counts = rows(W, X).exp()
    probs = counts / counts.sum(1, keepdim=True)
    return -probs[torch.arange(len(Y)), Y].log().mean()


@pytest.mark.parametrize("fn", [
    ce,
    lambda W, X, Y: torch.nn.CrossEntropyLoss()(W[27 * X[:, 0] + X[:, 1]], Y),
    lambda W, X, Y: F.cross_entropy(F.log_softmax(rows(W, X), 1), Y),
], ids=["54", "729 module", "log-probabilities"])
def test_cross_entropy_loss_accepts_the_right_answer(capsys, fn):
    verdict(capsys, check.cross_entropy_loss(fn), RIGHT, "logits in the hundreds")


def test_cross_entropy_loss_left_unanswered_is_not_attempted(capsys):
    def stub(W, X, Y):
        raise NotImplementedError("your answer")

    verdict(capsys, check.cross_entropy_loss(stub), NOT_ATTEMPTED, "NotImplementedError")
    verdict(capsys, check.cross_entropy_loss(lambda W, X, Y: None), NOT_ATTEMPTED, "returns None")


@pytest.mark.parametrize("fn, hints", [
    (by_hand, ["does not call F.cross_entropy"]),
    (lambda W, X, Y: ce(W, X, Y).item(), ["a float, not a tensor"]),
    (lambda W, X, Y: torch.tensor(ce(W, X, Y).item()), ["detached"]),
    (lambda W, X, Y: F.cross_entropy(rows(W, X), Y, reduction="sum"), ["summed"]),
    (lambda W, X, Y: F.cross_entropy(rows(W, X), Y, reduction="none"), ["one value per example"]),
    (lambda W, X, Y: F.cross_entropy(rows(W, X).softmax(1), Y), ["probabilities",
                                                                 "takes the logits"]),
    (lambda W, X, Y: F.nll_loss(rows(W, X).softmax(1), Y), ["F.nll_loss of the softmax"]),
    (lambda W, X, Y: ce(W, X, Y) + 0.01 * (W**2).mean(), ["regulariser", "0.01"]),
    (lambda W, X, Y: F.cross_entropy(by_hand_probs(W, X).log(), Y), ["60 times larger", "NaN"]),
    (lambda W, X, Y: ce(W, X, Y) / math.log(10), ["ln 10"]),
    (lambda W, X, Y: ce(W, X, Y.flip(0)), ["is not the average NLL"]),
    (lambda W, X, Y: ce(W, X, Y).detach() + 0 * W.sum(), ["gradient", "is not"]),
], ids=["by hand", "item", "new tensor", "sum", "none", "probabilities", "nll of probs",
        "regulariser", "exp first", "log10", "other", "no gradient"])
def test_cross_entropy_loss_names_the_fault(capsys, fn, hints):
    verdict(capsys, check.cross_entropy_loss(fn), WRONG, *hints)


def by_hand_probs(W, X):
    counts = rows(W, X).exp()
    return counts / counts.sum(1, keepdim=True)


# ---------------------------------------------------------------------------------------------
# most_likely_name (notebook 03, E06)
# ---------------------------------------------------------------------------------------------


def log_prob(P, name):
    context, total = (0, 0), 0.0
    for ix in [STOI[ch] for ch in name] + [0]:
        total += math.log(P[context + (ix,)].item())
        context = (context[1], ix)
    return total


def brute_force_best(P, max_length=4):
    """The most probable name of at most `max_length` letters, by scoring them all."""
    logP = P.double().log()
    best_score, best_name = logP[0, 0, 0].item(), ""
    a = b = torch.zeros(1, dtype=torch.long)  # the context of every name so far
    scores = torch.zeros(1, dtype=torch.float64)
    names = torch.zeros(1, 0, dtype=torch.long)
    for _ in range(max_length):
        letters = torch.arange(1, 27)
        scores = (scores.unsqueeze(1) + logP[a, b][:, 1:]).flatten()
        names = torch.cat([names.repeat_interleave(26, 0), letters.repeat(len(names)).unsqueeze(1)], 1)
        a, b = b.repeat_interleave(26), letters.repeat(len(a))
        ended = scores + logP[a, b, 0]
        i = int(ended.argmax())
        if ended[i] > best_score:
            best_score, best_name = ended[i].item(), "".join(ITOS[int(c)] for c in names[i])
    return best_name


def test_most_likely_name_finds_what_a_brute_force_finds(capsys):
    name = brute_force_best(P3)
    verdict(capsys, check.most_likely_name(P3, name), RIGHT, "most probable name")
    verdict(capsys, check.most_likely_name(P3.view(729, 27), "." + name + "."), RIGHT)


def test_most_likely_name_accepts_a_bigram_table_and_a_network(capsys):
    bigram = normalised(counts(ngrams(WORDS, 2)))
    verdict(capsys, check.most_likely_name(bigram, "a"), RIGHT)  # greedy is the best here
    P_net = torch.softmax(W729, 1).view(27, 27, 27)
    verdict(capsys, check.most_likely_name(P_net, brute_force_best(P_net)), RIGHT)


def test_most_likely_name_left_unanswered_is_not_attempted(capsys):
    verdict(capsys, check.most_likely_name(None, None), NOT_ATTEMPTED, "still None")
    verdict(capsys, check.most_likely_name(P3, None), NOT_ATTEMPTED, "name is still None")


def greedy_name(P):
    context, out = (0, 0), ""
    while len(out) < 30:
        ix = int(P[context].argmax())
        if ix == 0:
            return out
        out += ITOS[ix]
        context = (context[1], ix)
    return out


@pytest.mark.parametrize("name, hints", [
    (greedy_name(P3), ["greedy decoding", "discard a prefix"]),
    ("a", ["most probable name of 1 letter,", "another length"]),
    ("emma", ["a more probable name than 'emma'", "probability"]),
    ("n.a", ["letters a to z"]),
    ("Emma", ["letters a to z"]),
    (3, ["as a string"]),
], ids=["greedy", "best of its length", "other", "dot inside", "capital", "int"])
def test_most_likely_name_names_the_fault_without_the_answer(capsys, name, hints):
    best = brute_force_best(P3)
    assert log_prob(P3, greedy_name(P3)) < log_prob(P3, best)  # greedy misses it on this table
    line = verdict(capsys, check.most_likely_name(P3, name), WRONG, *hints)
    assert f"'{best}'" not in line


@pytest.mark.parametrize("P, hints", [
    (W729, ["negative entries", "softmax"]),
    (N3 + 1, ["do not sum to 1"]),
    (torch.ones(27, 27, 27), ["do not sum to 1"]),
    (P3.index_put((torch.tensor(0), torch.tensor(0), torch.tensor(5)), torch.tensor(math.nan)),
     ["contains NaN"]),
    (torch.ones(5, 27) / 27, ["shape (5, 27)"]),
], ids=["logits", "counts", "ones", "NaN", "shape"])
def test_most_likely_name_rejects_a_table_that_is_not_one(capsys, P, hints):
    verdict(capsys, check.most_likely_name(P, "na"), WRONG, *hints)


def test_most_likely_name_treats_the_rows_of_unseen_contexts_as_unreachable(capsys):
    unsmoothed = N3 / N3.sum(-1, keepdim=True)  # NaN rows: contexts that never occur
    name = brute_force_best(torch.nan_to_num(unsmoothed))
    verdict(capsys, check.most_likely_name(unsmoothed, name), RIGHT)
    verdict(capsys, check.most_likely_name(unsmoothed, "qz"), WRONG, "probability 0")
