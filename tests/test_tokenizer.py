"""The byte-pair encoding tokenizers of notebook 10 (lecture_utils/tokenizer.py): any string
round-trips, training is deterministic, merges stay inside the pre-split's chunks, special
tokens are encoded only when allowed, invalid UTF-8 decodes to U+FFFD, and bad input is a
clear error."""

import functools

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from lecture_utils.tokenizer import (
    GPT2_SPLIT_PATTERN,
    GPT4_SPLIT_PATTERN,
    BasicTokenizer,
    RegexTokenizer,
    get_stats,
    merge,
)

# A small multilingual training text: merges of ASCII letters, accents and Korean syllables.
TEXT = ("The theatre thought the three brothers threw the thing there. "
        "Café déjà vu, naïve señor. 안녕하세요 세상. Да, мир! 123 + 4567 = 4690.\n\n") * 4
VOCAB_SIZE = 256 + 50


@functools.cache
def trained(kind: str, pattern: str = GPT4_SPLIT_PATTERN):
    tok = BasicTokenizer() if kind == "basic" else RegexTokenizer(pattern)
    tok.train(TEXT, VOCAB_SIZE)
    return tok


# ---------------------------------------------------------------------------------------------
# The two building blocks


def test_get_stats_counts_overlapping_pairs_and_adds_with_a_weight():
    assert get_stats([1, 1, 1]) == {(1, 1): 2}
    assert get_stats([5, 6, 7, 6, 7, 1]) == {(5, 6): 1, (6, 7): 2, (7, 6): 1, (7, 1): 1}
    assert get_stats([]) == {} and get_stats([3]) == {}
    counts = get_stats([1, 2])
    assert get_stats([1, 2, 3], counts, weight=3) == {(1, 2): 4, (2, 3): 3}


def test_merge_goes_left_to_right_and_skips_past_a_replaced_pair():
    assert merge([5, 6, 7, 6, 7, 1], (6, 7), 99) == [5, 99, 99, 1]
    assert merge([1, 1, 1], (1, 1), 4) == [4, 1]
    assert merge([1, 1, 1, 1], (1, 1), 4) == [4, 4]
    assert merge([3, 1, 2], (1, 2), 9) == [3, 9]  # a pair at the end
    assert merge([], (1, 2), 9) == [] and merge([1], (1, 1), 9) == [1]
    ids = [1, 2, 1, 2]
    merge(ids, (1, 2), 9)
    assert ids == [1, 2, 1, 2], "the input is not changed"


# ---------------------------------------------------------------------------------------------
# Round trips on any string


@settings(max_examples=300, deadline=None)
@given(text=st.text())
def test_basic_tokenizer_round_trips_any_string(text):
    tok = trained("basic")
    ids = tok.encode(text)
    assert all(0 <= i < VOCAB_SIZE for i in ids)
    assert tok.decode(ids) == text


@settings(max_examples=300, deadline=None)
@given(text=st.text(), pattern=st.sampled_from([GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN]))
def test_regex_tokenizer_round_trips_any_string(text, pattern):
    tok = trained("regex", pattern)
    ids = tok.encode(text, allowed_special="none")
    assert tok.decode(ids) == text
    # the chunks are encoded one by one: their ids joined are the text's ids
    assert ids == [i for chunk in regex.findall(pattern, text) for i in tok.encode_ordinary(chunk)]


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(sorted(set(TEXT))), max_size=80))
def test_encode_applies_the_merges_in_the_order_they_were_learned(text):
    """One pass through the merges in the learned order gives encode's ids (for the basic
    tokenizer), and the encoded text is never longer than its bytes."""
    tok = trained("basic")
    ids = list(text.encode("utf-8"))
    for pair, idx in tok.merges.items():
        ids = merge(ids, pair, idx)
    assert tok.encode(text) == ids
    assert len(ids) <= len(text.encode("utf-8"))


def test_training_compresses_its_text():
    for tok in trained("basic"), trained("regex"):
        assert len(tok.encode(TEXT)) < len(TEXT.encode("utf-8")) / 2


# ---------------------------------------------------------------------------------------------
# Training


@pytest.mark.parametrize("kind", ["basic", "regex"])
def test_training_is_deterministic(kind):
    first, second = (BasicTokenizer() if kind == "basic" else RegexTokenizer() for _ in range(2))
    first.train(TEXT, VOCAB_SIZE)
    second.train(TEXT, VOCAB_SIZE)
    assert list(first.merges.items()) == list(second.merges.items())
    assert first.vocab == second.vocab
    assert list(first.merges.values()) == list(range(256, VOCAB_SIZE))


@pytest.mark.parametrize("kind", ["basic", "regex"])
def test_a_shorter_run_learns_the_first_merges_of_a_longer_one(kind):
    short, long = (BasicTokenizer() if kind == "basic" else RegexTokenizer() for _ in range(2))
    short.train(TEXT, 280)
    long.train(TEXT, 300)
    assert list(short.merges.items()) == list(long.merges.items())[:24]


def test_retraining_starts_afresh():
    tok = RegexTokenizer()
    tok.train("aaaa bbbb", 258)
    tok.train(TEXT, 270)
    assert len(tok.merges) == 14 and len(tok.vocab) == 270
    fresh = RegexTokenizer()
    fresh.train(TEXT, 270)
    assert tok.merges == fresh.merges
    assert tok.encode("the theatre") == fresh.encode("the theatre")


def test_the_regex_tokenizer_counts_the_same_pairs_as_the_whole_text():
    """Weighting each distinct chunk by its count learns the merges that counting every chunk
    of the text one by one would: replay them on the chunk list itself."""
    tok = trained("regex")
    words = [list(chunk.encode("utf-8")) for chunk in regex.findall(GPT4_SPLIT_PATTERN, TEXT)]
    for pair, idx in tok.merges.items():
        stats = {}
        for ids in words:
            get_stats(ids, stats)
        assert stats[pair] == max(stats.values())
        words = [merge(ids, pair, idx) for ids in words]


def test_no_regex_token_crosses_a_chunk():
    """Every learned token's bytes lie inside one chunk of the training text (bytes, not text:
    a token may end in the middle of a character)."""
    for pattern in GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN:
        tok = trained("regex", pattern)
        chunks = {chunk.encode("utf-8") for chunk in regex.findall(pattern, TEXT)}
        for idx in tok.merges.values():
            assert any(tok.vocab[idx] in chunk for chunk in chunks), tok.vocab[idx]


def test_the_basic_tokenizer_does_merge_across_categories():
    tok = trained("basic")
    texts = [tok.vocab[idx].decode("utf-8", errors="replace") for idx in tok.merges.values()]
    assert any(len(regex.findall(GPT4_SPLIT_PATTERN, text)) > 1 for text in texts)


@pytest.mark.parametrize("vocab_size", [255, 0, -1, 256.0, "300", None, True])
@pytest.mark.parametrize("cls", [BasicTokenizer, RegexTokenizer])
def test_a_bad_vocab_size_is_a_clear_error(cls, vocab_size):
    with pytest.raises(ValueError, match=r"vocab_size must be a whole number of at least 256"):
        cls().train(TEXT, vocab_size)


def test_vocab_size_256_learns_nothing_and_still_round_trips():
    tok = BasicTokenizer()
    tok.train(TEXT, 256)
    assert tok.merges == {} and tok.encode("hé") == list("hé".encode())


@pytest.mark.parametrize("cls", [BasicTokenizer, RegexTokenizer])
def test_a_text_too_short_for_the_vocabulary_is_a_clear_error(cls):
    with pytest.raises(ValueError, match=r"too short for vocab_size 300"):
        cls().train("ab", 300)


# ---------------------------------------------------------------------------------------------
# Decoding


def test_invalid_utf8_decodes_to_the_replacement_character():
    tok = trained("basic")
    assert tok.decode([128]) == "\ufffd"  # a lone continuation byte
    assert tok.decode([0xC3]) == "\ufffd"  # the first byte of é without its second
    assert tok.decode([0xC3, 0xA9]) == "é"  # together: bytes are joined before decoding
    assert tok.decode([104, 128, 105]) == "h\ufffdi"


def test_decoding_an_unknown_id_is_a_clear_error():
    tok = trained("regex")
    with pytest.raises(ValueError, match=r"not a token id of this tokenizer"):
        tok.decode([VOCAB_SIZE + 5])


# ---------------------------------------------------------------------------------------------
# Special tokens


@pytest.fixture
def with_special():
    tok = RegexTokenizer()
    tok.train(TEXT, VOCAB_SIZE)
    tok.register_special_tokens({"<|endoftext|>": VOCAB_SIZE, "<|pad|>": VOCAB_SIZE + 1})
    return tok


def test_allowed_special_tokens_are_encoded_as_their_ids(with_special):
    tok = with_special
    text = "the end<|endoftext|>the start<|pad|>"
    ids = tok.encode(text, allowed_special="all")
    assert ids == [*tok.encode("the end"), VOCAB_SIZE, *tok.encode("the start"), VOCAB_SIZE + 1]
    assert tok.decode(ids) == text
    only_end = tok.encode(text, allowed_special={"<|endoftext|>"})
    assert only_end.count(VOCAB_SIZE) == 1 and VOCAB_SIZE + 1 not in only_end
    assert tok.decode(only_end) == text


def test_special_tokens_as_plain_text_with_none(with_special):
    tok = with_special
    ids = tok.encode("a<|endoftext|>b", allowed_special="none")
    assert VOCAB_SIZE not in ids and tok.decode(ids) == "a<|endoftext|>b"


def test_a_special_token_not_allowed_raises_a_clear_error(with_special):
    with pytest.raises(ValueError, match=r"contains the special token '<\|endoftext\|>'.*allowed_special"):
        with_special.encode("a<|endoftext|>b")
    assert with_special.encode("no marker here") == with_special.encode_ordinary("no marker here")


def test_bad_allowed_special_values_are_clear_errors(with_special):
    with pytest.raises(ValueError, match=r"not special tokens of this tokenizer"):
        with_special.encode("x", allowed_special={"<|unknown|>"})
    with pytest.raises(ValueError, match=r"allowed_special must be"):
        with_special.encode("x", allowed_special="some")


def test_a_special_token_may_not_take_a_learned_id():
    tok = trained("regex")
    with pytest.raises(ValueError, match=r"already uses"):
        RegexTokenizer().register_special_tokens({"<|x|>": 10})
    assert tok.special_tokens == {}
