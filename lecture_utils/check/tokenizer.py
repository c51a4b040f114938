"""Checks for notebook 10's exercises (minbpe's "build your own GPT-4 tokenizer"): counting
pairs (`pair_counts`), merging a pair (`merge_pair`), a BasicTokenizer class (`basic_tokenizer`)
and a RegexTokenizer class with special tokens (`regex_tokenizer`).

A tokenizer class is trained here on a short text of the check's own (English, with accents, a
few other scripts and an emoji). Its merges are replayed step by step against the pair counts
of the text at that step, so any tie-break between equally frequent pairs is accepted; its
encode is compared with the tokens its own merges give when applied in the order they were
learned; its decode with the bytes of the ids."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Mapping

import regex

from lecture_utils.check._core import NotAttempted, Result, Wrong, call_learner, run_check
from lecture_utils.tokenizer import GPT4_SPLIT_PATTERN, get_stats, merge

__all__ = ["basic_tokenizer", "merge_pair", "pair_counts", "regex_tokenizer"]

# The check's training text: the merges it leads to are exercised by the encode strings below.
TEXT = (
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox does not. "
    "Then the other fox, the brown one, thinks: is the dog there? There it is! "
    "In the theatre, the three brothers thought the thing through, and then they threw it. "
    "Café, naïve, déjà vu: the French words keep their accents. Ça va? Très bien. "
    "안녕하세요, 세상! Привет, мир! 😉 12345 + 678 = 13023. "
) * 3
VOCAB_SIZE = 256 + 60
ENCODE_STRINGS = (
    "The three brothers thought the theatre was there.",
    "Then the other dog, the lazy one, sleeps: is the fox there?",
    "Très naïve café! 안녕 мир 😉 2024",
    "the the the thethe   the\n\nthe",
    "the other fox, the brown one, thinks: is",
    "3023. The quick brown fox jumps over the",
    "",
)
SPECIAL = "<|endoftext|>"


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _is_placeholder(answer) -> bool:
    return answer is None


def _id_list(value, what: str) -> list[int]:
    """The learner's list of ids, or a Wrong naming what it is instead."""
    if not isinstance(value, (list, tuple)):
        if value is None:
            raise Wrong(f"{what} returned None: return the list of ids (forgot `return`?).")
        raise Wrong(f"{what} returned a {type(value).__name__}: return a list of ids.")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        kinds = sorted({type(i).__name__ for i in value})
        raise Wrong(f"{what} returned a list of {', '.join(kinds)}: it should hold ids (ints).")
    return list(value)


def _encode_chunk(merges: Mapping, data: bytes) -> list[int]:
    """The tokens of some bytes with these merges, applied lowest new id first."""
    ids = list(data)
    while len(ids) >= 2:
        stats = get_stats(ids)
        pair = min(stats, key=lambda p: merges.get(p, float("inf")))
        if pair not in merges:
            break
        ids = merge(ids, pair, merges[pair])
    return ids


def _reference_encode(merges: Mapping, text: str, pattern: str | None) -> list[int]:
    chunks = regex.findall(pattern, text) if pattern else [text]
    return [i for chunk in chunks for i in _encode_chunk(merges, chunk.encode("utf-8"))]


# ---------------------------------------------------------------------------------------------
# E1: counting pairs
# ---------------------------------------------------------------------------------------------

_STATS_CASES = ([1, 2, 3, 4], [1, 2, 3, 1, 2], [1, 1, 1], [5, 6, 6, 7, 9, 1], [4], [], [7, 8])


def pair_counts(get_stats_fn: Callable | None) -> Result:
    """Your get_stats(ids): {(a, b): how often the pair of neighbours occurs}, against a
    reference on short lists (overlaps, one id, none) and a longer random one."""

    def body() -> str:
        if _is_placeholder(get_stats_fn):
            raise NotAttempted("write the function, then run the cell again.")
        rng = random.Random(0)
        cases = [*_STATS_CASES, [rng.randrange(6) for _ in range(200)]]
        for ids in cases:
            given = list(ids)
            yours = call_learner(f"get_stats({ids})", get_stats_fn, given)
            if given != ids:
                raise Wrong("your function changed the list it was given: only read it.")
            expected = get_stats(ids)
            if yours is None and expected:
                raise NotAttempted("your function returns None: return the dict of counts.")
            if not isinstance(yours, Mapping):
                raise Wrong(f"get_stats returned a {type(yours).__name__}: return a dict from "
                            "each pair (a, b) to its count.")
            yours = dict(yours)
            if yours == expected:
                continue
            shown = ids if len(ids) <= 10 else "a random list of 200 ids"
            if any(not isinstance(key, tuple) or len(key) != 2 for key in yours):
                raise Wrong(f"the keys should be pairs, tuples (a, b) of neighbouring ids; on "
                            f"{shown} yours include {next(iter(yours))!r}.")
            pairs = list(zip(ids, ids[1:]))
            overlapping = any(a == b == c for a, b, c in zip(ids, ids[1:], ids[2:]))
            if overlapping and set(yours) == set(expected):
                wrong_pair = next(p for p in expected if yours[p] != expected[p])
                raise Wrong(f"on {shown} your count of {wrong_pair} is {yours[wrong_pair]}, which "
                            "is not right. Overlapping pairs count each time: [1, 1, 1] holds "
                            "(1, 1) twice.")
            if pairs and dict(Counter(pairs[:-1])) == yours:
                raise Wrong(f"on {shown} the last pair is not counted: an off-by-one at the end "
                            "(the last pair is ids[-2], ids[-1]).")
            if pairs and dict(Counter(pairs[1:])) == yours:
                raise Wrong(f"on {shown} the first pair is not counted: start at ids[0], ids[1].")
            if set(yours) == set(expected):
                wrong_pair = next(p for p in expected if yours[p] != expected[p])
                raise Wrong(f"on {shown} your count of {wrong_pair} is {yours[wrong_pair]}, "
                            "which is not right.")
            raise Wrong(f"on {shown} your pairs are not the pairs of neighbours (yours: "
                        f"{sorted(yours)[:6]}).")
        return "every pair of neighbours counted, overlaps and the last pair included."

    return run_check("E1 counting pairs", body)


# ---------------------------------------------------------------------------------------------
# E2: merging a pair
# ---------------------------------------------------------------------------------------------

_MERGE_CASES = (
    ([5, 6, 6, 7, 9, 1], (6, 7), 99),
    ([1, 2, 3, 1, 2], (1, 2), 4),
    ([1, 1, 1], (1, 1), 4),
    ([1, 1, 1, 1], (1, 1), 4),
    ([3, 1, 2], (1, 2), 9),
    ([1, 2, 1], (2, 1), 9),
    ([7], (7, 7), 8),
    ([], (1, 2), 3),
    ([2, 1], (1, 2), 3),
)


def merge_pair(merge_fn: Callable | None) -> Result:
    """Your merge(ids, pair, idx): a new list with every occurrence of `pair`, left to right,
    replaced by `idx`, against a reference (overlaps, a pair at either end, no pair)."""

    def body() -> str:
        if _is_placeholder(merge_fn):
            raise NotAttempted("write the function, then run the cell again.")
        rng = random.Random(0)
        cases = [*_MERGE_CASES, ([rng.randrange(4) for _ in range(300)], (1, 2), 256)]
        for ids, pair, idx in cases:
            given = list(ids)
            shown = f"merge({ids}, {pair}, {idx})" if len(ids) <= 10 else "a random list of 300 ids"
            yours = call_learner(shown, merge_fn, given, pair, idx)
            if given != ids:
                raise Wrong(f"{shown} changed the list it was given: build a new list instead.")
            if yours is None and ids:
                raise NotAttempted("your function returns None: return the merged list.")
            yours = _id_list(yours, shown)
            expected = merge(ids, pair, idx)
            if yours == expected:
                continue
            replaced = expected.count(idx) - ids.count(idx)
            if len(yours) == len(expected) + replaced and yours.count(idx) >= replaced:
                raise Wrong(f"{shown} keeps an id too many for each pair it replaces: after "
                            "replacing a pair, skip past both of its ids (i += 2).")
            if yours == expected[:-1]:
                raise Wrong(f"{shown} drops the last id: the loop stops one step early (keep "
                            "the last id when there is no pair left to look at).")
            if ids[-2:] == list(pair) and yours[-2:] == list(pair) and len(yours) == len(expected) + 1:
                raise Wrong(f"{shown} misses the pair at the end of the list: the loop must "
                            "still look at ids[-2], ids[-1].")
            if len(ids) >= 3 and pair[0] == pair[1]:
                raise Wrong(f"{shown} handles overlapping pairs wrongly: go left to right, and "
                            "a replaced pair's ids are used up ([1, 1, 1] becomes [4, 1]).")
            raise Wrong(f"{shown} is not right: every occurrence of the pair, from left to "
                        "right, becomes the one id idx; everything else stays in order.")
        return "every occurrence replaced left to right, overlaps and both ends included."

    return run_check("E2 merging a pair", body)


# ---------------------------------------------------------------------------------------------
# E3 and E4: tokenizer classes
# ---------------------------------------------------------------------------------------------


def _new_tokenizer(cls, pattern):
    if _is_placeholder(cls):
        raise NotAttempted("write the class, then run the cell again.")
    if not isinstance(cls, type):
        raise Wrong(f"pass the class itself (got a {type(cls).__name__}): the check makes its "
                    "own tokenizer from it and trains it.")
    return call_learner(f"{cls.__name__}({'pattern' if pattern else ''})", cls,
                        *((pattern,) if pattern else ()))


def _learned_merges(tok, vocab_size: int) -> list[tuple[tuple[int, int], int]]:
    merges = getattr(tok, "merges", None)
    if not isinstance(merges, Mapping):
        raise Wrong("after train, your tokenizer's `merges` should be a dict {(a, b): new id}, "
                    f"got {type(merges).__name__}.")
    items = list(merges.items())
    if len(items) != vocab_size - 256:
        raise Wrong(f"train(text, {vocab_size}) learned {len(items)} merges: a vocabulary of "
                    f"{vocab_size} is the 256 bytes plus {vocab_size - 256} merges.")
    for k, (pair, idx) in enumerate(items):
        if idx != 256 + k:
            raise Wrong(f"merge number {k + 1} got the id {idx!r}: the new ids count up from "
                        "256, in the order the merges are learned.")
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(isinstance(i, int) for i in pair)):
            raise Wrong(f"the keys of `merges` should be pairs of ids (a, b), got {pair!r}.")
    return items


def _replay(items, text: str, pattern: str | None) -> None:
    """Each learned merge must be a most frequent pair of the text (inside the chunks) at its
    step; a pair that does not occur there, or a less frequent one, is named."""
    chunks = Counter(regex.findall(pattern, text) if pattern else [text])
    words = [list(chunk.encode("utf-8")) for chunk in chunks]
    weights = list(chunks.values())
    for k, (pair, idx) in enumerate(items):
        stats: dict = {}
        for ids, weight in zip(words, weights):
            get_stats(ids, stats, weight)
        best = max(stats.values())
        count = stats.get(pair, 0)
        if count == 0:
            if pattern:
                raise Wrong(f"merge {k + 1}, {pair}, occurs inside no chunk of the split pattern "
                            "at that step (it spans two chunks, or does not occur): split the text "
                            "with the pattern first and count pairs only inside each chunk.")
            raise Wrong(f"merge {k + 1}, {pair}, does not occur in the text at that step: merge "
                        "the most frequent pair of the current ids.")
        if count < best:
            raise Wrong(f"merge {k + 1}, {pair}, occurs {count} times at that step, but another "
                        f"pair occurs {best} times: merge the most frequent pair (are the pairs "
                        "counted right, and the ids updated after each merge?).")
        words = [merge(ids, pair, idx) for ids in words]


def _check_vocab(tok, items) -> dict:
    vocab = getattr(tok, "vocab", None)
    if not isinstance(vocab, Mapping):
        raise Wrong(f"your tokenizer's `vocab` should be a dict {{id: bytes}}, got {type(vocab).__name__}.")
    if any(isinstance(token, str) for token in vocab.values()):
        raise Wrong("your `vocab` holds str: keep bytes (a token can hold part of a character; "
                    "decode joins the bytes, then decodes once).")
    for i in range(256):
        if vocab.get(i) != bytes([i]):
            raise Wrong(f"vocab[{i}] should be the single byte bytes([{i}]), got {vocab.get(i)!r}.")
    for pair, idx in items:
        token = vocab.get(idx)
        if token != vocab.get(pair[0], b"") + vocab.get(pair[1], b""):
            raise Wrong(f"vocab[{idx}] should be the bytes of its pair {pair} joined, got {token!r}.")
    return vocab


def _check_encode(tok, items, pattern: str | None) -> None:
    merges = dict(items)
    for text in ENCODE_STRINGS:
        yours = _id_list(call_learner(f"encode({text!r})", tok.encode, text), f"encode({text!r})")
        expected = _reference_encode(merges, text, pattern)
        if yours == expected:
            continue
        if pattern and yours == _reference_encode(merges, text, None):
            raise Wrong(f"encode({text!r}) does not split the text first: encode each chunk of "
                        "the pattern on its own, then join the ids.")
        raise Wrong(f"encode({text!r}) gives {len(yours)} tokens that differ from the tokens "
                    "training would give: apply the merges in the order they were learned "
                    "(at each step the pair with the lowest new id), until none applies.")


def _check_decode(tok, ids_of_text) -> None:
    def decode(ids, why):
        try:
            return tok.decode(ids)
        except NotImplementedError:
            raise
        except UnicodeDecodeError as exc:
            raise Wrong(f"decode({ids}) raised UnicodeDecodeError ({exc.reason}): {why}") from None
        except Exception as exc:
            raise Wrong(f"decode({ids}) raised {type(exc).__name__}: {exc}") from None

    split_char = decode([0xC3, 0xA9], "join the bytes of all tokens first, then decode once (é is "
                        "two bytes, here two tokens).")
    if split_char != "é":
        raise Wrong(f"decode([0xC3, 0xA9]) gives {split_char!r}, not 'é': join the bytes of all "
                    "tokens first, then decode once; a character's bytes can be split across tokens.")
    invalid = decode([128], "some ids are not valid UTF-8 (a model can emit byte 0x80 alone): "
                     "decode with errors='replace'.")
    if invalid != "\ufffd":
        raise Wrong(f"decode([128]) gives {invalid!r}: invalid UTF-8 should become the replacement "
                    "character U+FFFD (errors='replace').")
    for text, ids in ids_of_text:
        back = decode(ids, "join the bytes, then decode with errors='replace'.")
        if back != text:
            raise Wrong(f"decode(encode({text!r})) gives {back!r}: decode should give the text back.")


def _train(tok, text: str, vocab_size: int) -> None:
    call_learner(f"train(text, {vocab_size})", tok.train, text, vocab_size)


def basic_tokenizer(cls) -> Result:
    """Your BasicTokenizer class: train(text, vocab_size), encode(text), decode(ids), with
    `merges` {(a, b): id} and `vocab` {id: bytes}; trained here on a short text, each merge
    replayed, encode and decode compared with a reference."""

    def body() -> str:
        tok = _new_tokenizer(cls, None)
        _train(tok, TEXT, VOCAB_SIZE)
        items = _learned_merges(tok, VOCAB_SIZE)
        _replay(items, TEXT, None)
        _check_vocab(tok, items)
        _check_encode(tok, items, None)
        _check_decode(tok, [(text, tok.encode(text)) for text in ENCODE_STRINGS])
        return (f"{VOCAB_SIZE - 256} merges, each a most frequent pair; encode gives the tokens "
                "training would; decode round-trips and replaces invalid UTF-8.")

    return run_check("E3 BasicTokenizer", body)


def regex_tokenizer(cls, pattern: str = GPT4_SPLIT_PATTERN) -> Result:
    """Your RegexTokenizer class, made with `cls(pattern)`: merges only inside the pattern's
    chunks, encode and decode against a reference, and special tokens registered with
    register_special_tokens({string: id}) and encoded according to `allowed_special`."""

    def body() -> str:
        tok = _new_tokenizer(cls, pattern)
        _train(tok, TEXT, VOCAB_SIZE)
        items = _learned_merges(tok, VOCAB_SIZE)
        _replay(items, TEXT, pattern)
        _check_vocab(tok, items)
        _check_encode(tok, items, pattern)
        _check_decode(tok, [(text, tok.encode(text)) for text in ENCODE_STRINGS])

        if not callable(getattr(tok, "register_special_tokens", None)):
            raise Wrong("your tokenizer has no register_special_tokens({string: id}) method.")
        call_learner("register_special_tokens", tok.register_special_tokens, {SPECIAL: VOCAB_SIZE})
        text = f"the fox.{SPECIAL}The dog"
        before, after = text.split(SPECIAL)
        merges = dict(items)
        plain = _reference_encode(merges, text, pattern)
        with_special = [*_reference_encode(merges, before, pattern), VOCAB_SIZE,
                        *_reference_encode(merges, after, pattern)]
        for allowed in ("all", {SPECIAL}):
            yours = _id_list(call_learner(f"encode(text, allowed_special={allowed!r})",
                                          lambda a=allowed: tok.encode(text, allowed_special=a)),
                             "encode")
            if yours != with_special:
                raise Wrong(f"encode({text!r}, allowed_special={allowed!r}) should encode "
                            f"{SPECIAL} as its id {VOCAB_SIZE} and the text around it as usual.")
        yours = _id_list(call_learner("encode(text, allowed_special='none')",
                                      lambda: tok.encode(text, allowed_special="none")), "encode")
        if yours != plain:
            raise Wrong(f"with allowed_special='none', {SPECIAL} should be encoded as ordinary "
                        "text, not as its id.")
        try:
            got = tok.encode(text)
        except ValueError:
            pass
        except Exception as exc:
            raise Wrong(f"encode of a text holding {SPECIAL}, not allowed, raised "
                        f"{type(exc).__name__}: raise a ValueError that says how to allow it.") from None
        else:
            raise Wrong(f"encode({text!r}) without allowed_special returned {len(got)} ids: a "
                        "special token the call does not allow should raise a ValueError.")
        back = call_learner(f"decode([{VOCAB_SIZE}])", tok.decode, [VOCAB_SIZE])
        if back != SPECIAL:
            raise Wrong(f"decode([{VOCAB_SIZE}]) gives {back!r}: a special token's id decodes "
                        "to its string.")
        return ("no merge crosses a chunk; encode and decode agree with a reference; special "
                "tokens are encoded only when allowed.")

    return run_check("E4 RegexTokenizer", body)
