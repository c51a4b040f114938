"""lecture_utils.check.tokenizer (notebook 10's checks), fed the answers learners give: each
right answer is accepted, each kind of wrong answer rejected with the hint that names its
fault, and an answer left as the notebook gives it is "not attempted yet", without raising."""

from collections import Counter

import pytest
import regex

from lecture_utils import check
from lecture_utils.check import NOT_ATTEMPTED, RIGHT, WRONG
from lecture_utils.tokenizer import GPT4_SPLIT_PATTERN, BasicTokenizer, RegexTokenizer, get_stats, merge
from tests.check.verdict import verdict

# ---------------------------------------------------------------------------------------------
# E1: counting pairs


def stats_by_counter(ids):
    return Counter(zip(ids, ids[1:]))


@pytest.mark.parametrize("answer", [get_stats, stats_by_counter], ids=["reference", "Counter"])
def test_pair_counts_accepts_right_answers(capsys, answer):
    verdict(capsys, check.pair_counts(answer), RIGHT, "overlaps")


def test_pair_counts_placeholder_is_not_attempted(capsys):
    verdict(capsys, check.pair_counts(None), NOT_ATTEMPTED)
    verdict(capsys, check.pair_counts(lambda ids: None), NOT_ATTEMPTED, "returns None")


def stats_missing_the_last_pair(ids):
    return Counter(zip(ids, ids[1:-1]))


def stats_missing_the_first_pair(ids):
    return Counter(zip(ids[1:], ids[2:]))


def stats_running_off_the_end(ids):
    counts = {}
    for i in range(len(ids)):  # off by one: ids[i + 1] at the last i
        counts[ids[i], ids[i + 1]] = counts.get((ids[i], ids[i + 1]), 0) + 1
    return counts


def stats_without_overlaps(ids):
    counts, i = {}, 0
    while i + 1 < len(ids):  # jumps past a counted pair as merge does: overlaps count once
        pair = (ids[i], ids[i + 1])
        counts[pair] = counts.get(pair, 0) + 1
        i += 2 if ids[i] == ids[i + 1] else 1
    return counts


def stats_with_string_keys(ids):
    return Counter(f"{a},{b}" for a, b in zip(ids, ids[1:]))


def stats_as_a_list(ids):
    return list(zip(ids, ids[1:]))


def stats_that_pop(ids):
    counts = Counter(zip(ids, ids[1:]))
    ids.clear()
    return counts


@pytest.mark.parametrize("answer, hints", [
    (stats_missing_the_last_pair, ["last pair is not counted", "off-by-one"]),
    (stats_missing_the_first_pair, ["first pair is not counted"]),
    (stats_running_off_the_end, ["raised IndexError"]),
    (stats_without_overlaps, ["Overlapping pairs count each time"]),
    (stats_with_string_keys, ["keys should be pairs"]),
    (stats_as_a_list, ["returned a list", "dict"]),
    (stats_that_pop, ["changed the list it was given"]),
], ids=lambda x: getattr(x, "__name__", ""))
def test_pair_counts_rejects_wrong_answers_with_their_hint(capsys, answer, hints):
    verdict(capsys, check.pair_counts(answer), WRONG, *hints)


# ---------------------------------------------------------------------------------------------
# E2: merging a pair


def merge_with_slices(ids, pair, idx):
    out = list(ids)
    i = 0
    while i < len(out) - 1:
        if (out[i], out[i + 1]) == tuple(pair):
            out[i:i + 2] = [idx]
        i += 1
    return out


def merge_without_skipping(ids, pair, idx):
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
            out.append(idx)
        else:
            out.append(ids[i])
        i += 1  # the pair's second id is looked at again
    return out


def merge_dropping_the_last(ids, pair, idx):
    out, i = [], 0
    while i < len(ids) - 1:
        if (ids[i], ids[i + 1]) == pair:
            out.append(idx)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def merge_missing_the_end(ids, pair, idx):
    out, i = [], 0
    while i < len(ids):
        if i + 2 < len(ids) and (ids[i], ids[i + 1]) == pair:  # off by one: i + 1 < len(ids)
            out.append(idx)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def merge_right_to_left(ids, pair, idx):
    return merge(ids[::-1], pair[::-1], idx)[::-1]


def merge_in_place(ids, pair, idx):
    ids[:] = merge(ids, pair, idx)
    return ids


def merge_as_a_string(ids, pair, idx):
    return " ".join(map(str, merge(ids, pair, idx)))


@pytest.mark.parametrize("answer", [merge, merge_with_slices], ids=["reference", "slices"])
def test_merge_pair_accepts_right_answers(capsys, answer):
    verdict(capsys, check.merge_pair(answer), RIGHT, "left to right")


def test_merge_pair_placeholder_is_not_attempted(capsys):
    verdict(capsys, check.merge_pair(None), NOT_ATTEMPTED)
    verdict(capsys, check.merge_pair(lambda ids, pair, idx: None), NOT_ATTEMPTED, "returns None")


@pytest.mark.parametrize("answer, hints", [
    (merge_without_skipping, ["keeps an id too many", "skip past both"]),
    (merge_dropping_the_last, ["drops the last id"]),
    (merge_missing_the_end, ["misses the pair at the end"]),
    (merge_right_to_left, ["overlapping pairs", "left to right"]),
    (merge_in_place, ["changed the list it was given"]),
    (merge_as_a_string, ["returned a str"]),
], ids=lambda x: getattr(x, "__name__", ""))
def test_merge_pair_rejects_wrong_answers_with_their_hint(capsys, answer, hints):
    verdict(capsys, check.merge_pair(answer), WRONG, *hints)


# ---------------------------------------------------------------------------------------------
# E3: BasicTokenizer


class Placeholder:
    def __init__(self):
        self.merges, self.vocab = {}, {i: bytes([i]) for i in range(256)}

    def train(self, text, vocab_size):
        raise NotImplementedError("your answer")

    def encode(self, text):
        raise NotImplementedError("your answer")

    def decode(self, ids):
        raise NotImplementedError("your answer")


class TieBreakLast(BasicTokenizer):
    """Right, with another tie-break: of the most frequent pairs, the last one seen."""

    def train(self, text, vocab_size):
        ids = list(text.encode("utf-8"))
        self.merges, self.vocab = {}, {i: bytes([i]) for i in range(256)}
        for idx in range(256, vocab_size):
            stats = get_stats(ids)
            best = max(stats.values())
            pair = [p for p, c in stats.items() if c == best][-1]
            ids = merge(ids, pair, idx)
            self._add_merge(pair, idx, best, False)


def trainer_with(stats_fn=get_stats, merge_fn=merge, extra=0):
    class Trained(BasicTokenizer):
        def train(self, text, vocab_size):
            ids = list(text.encode("utf-8"))
            self.merges, self.vocab = {}, {i: bytes([i]) for i in range(256)}
            for idx in range(256, vocab_size + extra):
                stats = stats_fn(ids)
                pair = max(stats, key=stats.get)
                ids = merge_fn(ids, pair, idx)
                self._add_merge(pair, idx, stats[pair], False)

    return Trained


SkippingCounts = trainer_with(stats_fn=lambda ids: Counter(zip(ids, ids[2:])))  # pairs two apart
NoSkipMerge = trainer_with(merge_fn=merge_without_skipping)
OneMergeTooMany = trainer_with(extra=1)


class JoinsStrings(BasicTokenizer):
    def decode(self, ids):
        return "".join(self.vocab[i].decode("utf-8", errors="replace") for i in ids)


class StrictDecode(BasicTokenizer):
    def decode(self, ids):
        return b"".join(self.vocab[i] for i in ids).decode("utf-8")


class ReversedOrderEncode(BasicTokenizer):
    def encode(self, text):
        ids = list(text.encode("utf-8"))
        for pair, idx in reversed(list(self.merges.items())):
            ids = merge(ids, pair, idx)
        return ids


class LeftmostPairEncode(BasicTokenizer):
    def encode(self, text):
        ids = list(text.encode("utf-8"))
        while True:
            at = next((i for i in range(len(ids) - 1) if (ids[i], ids[i + 1]) in self.merges), None)
            if at is None:
                return ids
            ids[at:at + 2] = [self.merges[ids[at], ids[at + 1]]]


class MostFrequentPairEncode(BasicTokenizer):
    """Merges, at each step, the known pair most frequent in the text being encoded."""

    def encode(self, text):
        ids = list(text.encode("utf-8"))
        while True:
            stats = {p: c for p, c in get_stats(ids).items() if p in self.merges}
            if not stats:
                return ids
            pair = max(stats, key=stats.get)
            ids = merge(ids, pair, self.merges[pair])


class StringVocab(BasicTokenizer):
    def train(self, text, vocab_size):
        super().train(text, vocab_size)
        self.vocab = {i: token.decode("utf-8", errors="replace") for i, token in self.vocab.items()}


@pytest.mark.parametrize("answer", [BasicTokenizer, TieBreakLast], ids=["reference", "other tie-break"])
def test_basic_tokenizer_accepts_right_answers(capsys, answer):
    verdict(capsys, check.basic_tokenizer(answer), RIGHT, "most frequent pair")


@pytest.mark.parametrize("answer", [None, Placeholder])
def test_basic_tokenizer_placeholder_is_not_attempted(capsys, answer):
    verdict(capsys, check.basic_tokenizer(answer), NOT_ATTEMPTED)


@pytest.mark.parametrize("answer, hints", [
    (SkippingCounts, ["learned 1 merges"]),
    (NoSkipMerge, ["merge", "most frequent"]),
    (OneMergeTooMany, ["learned 61 merges", "256 bytes plus 60 merges"]),
    (JoinsStrings, ["join the bytes of all tokens first"]),
    (StrictDecode, ["UnicodeDecodeError", "errors='replace'"]),
    (ReversedOrderEncode, ["order they were learned"]),
    (LeftmostPairEncode, ["order they were learned"]),
    (MostFrequentPairEncode, ["order they were learned"]),
    (StringVocab, ["holds str: keep bytes"]),
], ids=lambda x: getattr(x, "__name__", ""))
def test_basic_tokenizer_rejects_wrong_answers_with_their_hint(capsys, answer, hints):
    verdict(capsys, check.basic_tokenizer(answer), WRONG, *hints)


def test_basic_tokenizer_wants_the_class(capsys):
    verdict(capsys, check.basic_tokenizer(BasicTokenizer()), WRONG, "pass the class itself")


# ---------------------------------------------------------------------------------------------
# E4: RegexTokenizer


class Placeholder4:
    def __init__(self, pattern):
        self.pattern = pattern

    def train(self, text, vocab_size):
        raise NotImplementedError("your answer")


class NoSplit(RegexTokenizer):
    """Trains and encodes on the whole text, ignoring the pattern."""

    def __init__(self, pattern):
        super().__init__(r"(?s).+")


class EncodeWithoutSplit(RegexTokenizer):
    def encode_ordinary(self, text):
        return self.encode_bytes(text.encode("utf-8"))


class SpecialAlwaysAllowed(RegexTokenizer):
    def encode(self, text, allowed_special="all"):
        allowed = "all" if allowed_special == "none_raise" else allowed_special
        return super().encode(text, allowed_special=allowed)


class NoneStillSpecial(RegexTokenizer):
    def encode(self, text, allowed_special="none_raise"):
        return super().encode(text, allowed_special="all" if allowed_special == "none" else allowed_special)


class SpecialDecodesToNothing(RegexTokenizer):
    def token_bytes(self, idx):
        return b"" if idx in self.special_tokens.values() else super().token_bytes(idx)


class NoSpecialMethod:
    def __init__(self, pattern):
        self.inner = RegexTokenizer(pattern)

    def train(self, text, vocab_size):
        self.inner.train(text, vocab_size)
        self.merges, self.vocab = self.inner.merges, self.inner.vocab

    def encode(self, text):
        return self.inner.encode(text)

    def decode(self, ids):
        return self.inner.decode(ids)


def test_regex_tokenizer_accepts_the_right_answer(capsys):
    verdict(capsys, check.regex_tokenizer(RegexTokenizer, GPT4_SPLIT_PATTERN), RIGHT, "no merge crosses")
    verdict(capsys, check.regex_tokenizer(RegexTokenizer), RIGHT)


@pytest.mark.parametrize("answer", [None, Placeholder4])
def test_regex_tokenizer_placeholder_is_not_attempted(capsys, answer):
    verdict(capsys, check.regex_tokenizer(answer), NOT_ATTEMPTED)


@pytest.mark.parametrize("answer, hints", [
    (NoSplit, ["spans two chunks", "split the text with the pattern first"]),
    (EncodeWithoutSplit, ["does not split the text first"]),
    (SpecialAlwaysAllowed, ["should raise a ValueError"]),
    (NoneStillSpecial, ["allowed_special='none'", "ordinary text"]),
    (SpecialDecodesToNothing, ["decodes to its string"]),
    (NoSpecialMethod, ["no register_special_tokens"]),
    (BasicTokenizer, ["BasicTokenizer(pattern) raised TypeError"]),
], ids=lambda x: getattr(x, "__name__", ""))
def test_regex_tokenizer_rejects_wrong_answers_with_their_hint(capsys, answer, hints):
    verdict(capsys, check.regex_tokenizer(answer), WRONG, *hints)


def test_the_check_text_exercises_the_chunks():
    """The check's text has merges the basic tokenizer learns across chunks (so a tokenizer that
    ignores the pattern is caught), and strings that encode differently without the split."""
    from lecture_utils.check.tokenizer import ENCODE_STRINGS, TEXT, VOCAB_SIZE, _reference_encode

    basic = BasicTokenizer()
    basic.train(TEXT, VOCAB_SIZE)
    texts = [basic.vocab[idx].decode("utf-8", errors="replace") for idx in basic.merges.values()]
    assert any(len(regex.findall(GPT4_SPLIT_PATTERN, text)) > 1 for text in texts[:10])
    tok = RegexTokenizer()
    tok.train(TEXT, VOCAB_SIZE)
    split = [_reference_encode(tok.merges, text, GPT4_SPLIT_PATTERN) for text in ENCODE_STRINGS]
    assert [_reference_encode(tok.merges, text, None) for text in ENCODE_STRINGS] != split
