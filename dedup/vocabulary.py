"""Token vocabulary: raw tokens to word ids, specifics and paragraph starts, a chunk at a time.

:class:`Vocabulary` caches what each distinct raw token stands for, so that a chunk of
posts is encoded with one dictionary lookup per token and numpy indexing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain

import numpy as np
from numpy.typing import NDArray

from dedup.arrays import edges_of, sorted_distinct
from dedup.signature import TokenHasher
from dedup.specifics import specific_form
from dedup.tokenizer import JiebaTokenizer, is_word

__all__ = ["Encoded", "Vocabulary"]


@dataclass(frozen=True, slots=True)
class Encoded:
    """Several texts encoded: word ids one text after another, and where each ends.

    Text ``k`` has words ``ids[bounds[k]:bounds[k + 1]]``, paragraphs starting at the
    word positions ``starts[start_bounds[k]:start_bounds[k + 1]]`` and the specifics
    ``specifics[k]``.
    """

    ids: NDArray[np.uint64]
    bounds: NDArray[np.int64]
    starts: NDArray[np.int64]
    start_bounds: NDArray[np.int64]
    specifics: list[set[str]]

    @staticmethod
    def join(parts: Sequence[Encoded]) -> Encoded:
        """Consecutive encoded parts as one."""
        return Encoded(
            ids=np.concatenate([p.ids for p in parts]) if parts else np.zeros(0, dtype=np.uint64),
            bounds=edges_of([len(p.ids) for p in parts]),
            starts=np.concatenate([p.starts for p in parts]) if parts else np.zeros(0, dtype=np.int64),
            start_bounds=edges_of([len(p.starts) for p in parts]),
            specifics=[s for p in parts for s in p.specifics],
        )


# Vocabulary code of a line break (paragraph boundary); never a word id or a -k index.
_NEWLINE = -(2**62)


class _Slots(dict[str, int]):
    """Token → vocabulary slot; a token looked up for the first time is learned then."""

    __slots__ = ("_learn",)

    def __init__(self, learn: Callable[[str], int]) -> None:
        super().__init__()
        self._learn = learn

    def __missing__(self, token: str) -> int:
        slot = self._learn(token)
        self[token] = slot
        return slot


class Vocabulary:
    """Per-extractor cache of what each distinct raw token stands for.

    Every distinct token is re-split, filtered (punctuation, stop words), hashed and
    checked for specifics once, and given a slot. A chunk of posts is then encoded
    with C-level iteration (one ``dict`` lookup per token inside ``numpy.fromiter``,
    new tokens learned as they are met) and numpy indexing by slot.

    ``codes[slot]`` is the token's word id (a positive 63-bit integer), ``0`` when the
    token carries no content, :data:`_NEWLINE`, or ``-k`` when it splits into several
    words (``self._multi[k]``, rare: runs of letters and digits). ``flags[slot]`` says
    whether it carries specifics (``self._specs[slot]``).
    """

    # Bound on cached tokens; the cache is emptied (between chunks) when it grows past it.
    MAX_ENTRIES = 2_000_000

    def __init__(self, tokenizer: JiebaTokenizer) -> None:
        self._tokenizer = tokenizer
        self._stop = tokenizer.stopwords
        self._tag = tokenizer.tagger()
        self._hasher = TokenHasher()
        self._reset()

    def _reset(self) -> None:
        self._slots = _Slots(self._learn)
        self._codes = np.zeros(1 << 12, dtype=np.int64)
        self._flags = np.zeros(1 << 12, dtype=bool)
        self._specs: dict[int, tuple[str, ...]] = {}
        self._multi: list[list[int]] = [[]]

    def __len__(self) -> int:
        return len(self._slots)

    def _learn(self, token: str) -> int:
        words = []
        specs = []
        for word in self._tokenizer.resplit(token):
            if word in self._stop or not is_word(word):
                continue
            words.append(self._hasher.token_id(word))
            spec = specific_form(word, self._tag)
            if spec is not None:
                # Interned so that the specifics of many posts share one string object.
                specs.append(sys.intern(spec))
        if "\n" in token:
            code = _NEWLINE
        elif len(words) == 1:
            code = words[0]
        elif not words:
            code = 0
        else:
            self._multi.append(words)
            code = -(len(self._multi) - 1)
        slot = len(self._slots)  # the token is added under this slot once learned
        if slot == len(self._codes):
            self._codes = np.concatenate((self._codes, np.zeros_like(self._codes)))
            self._flags = np.concatenate((self._flags, np.zeros_like(self._flags)))
        self._codes[slot] = code
        if specs:
            self._flags[slot] = True
            self._specs[slot] = tuple(specs)
        return slot

    def encode_many(self, token_lists: Sequence[list[str]]) -> Encoded:
        """Word ids, specifics and paragraph starts of many token lists."""
        if len(self._slots) > self.MAX_ENTRIES:
            self._reset()
        lengths = [len(tokens) for tokens in token_lists]
        bounds = edges_of(lengths)
        slots = np.fromiter(
            map(self._slots.__getitem__, chain.from_iterable(token_lists)), dtype=np.int64, count=int(bounds[-1])
        )
        # (read after the lookups: learning may have grown the arrays)
        specifics = self._post_specifics(slots, bounds)
        codes, bounds = self._expand(self._codes[slots], bounds)
        is_word = codes > 0
        before = edges_of(is_word)  # words before each position
        word_bounds = before[bounds]
        # A paragraph starts at the number of words its post has before each line
        # break; consecutive breaks (no words between) start it once.
        breaks = np.flatnonzero(codes == _NEWLINE)
        post = np.searchsorted(bounds, breaks, side="right") - 1
        at = before[breaks] - word_bounds[post]
        first = np.ones(len(breaks), dtype=bool)
        first[1:] = (post[1:] != post[:-1]) | (at[1:] != at[:-1])
        post, at = post[first], at[first]
        return Encoded(
            ids=codes[is_word].view(np.uint64),
            bounds=word_bounds,
            starts=at,
            start_bounds=np.searchsorted(post, np.arange(len(token_lists) + 1)).astype(np.int64),
            specifics=specifics,
        )

    def _post_specifics(self, slots: NDArray[np.int64], bounds: NDArray[np.int64]) -> list[set[str]]:
        n = len(bounds) - 1
        at = np.flatnonzero(self._flags[slots])
        if not len(at):
            return [set() for _ in range(n)]
        post = np.searchsorted(bounds, at, side="right") - 1
        # Each (post, slot) once, sorted by post; few tokens carry specifics.
        pairs = sorted_distinct((post << 32) | slots[at])
        cuts = np.searchsorted(pairs >> 32, np.arange(n + 1)).tolist()
        found = (pairs & 0xFFFFFFFF).tolist()
        get = self._specs.__getitem__
        return [set().union(*map(get, found[cuts[k] : cuts[k + 1]])) for k in range(n)]

    def _expand(
        self, codes: NDArray[np.int64], bounds: NDArray[np.int64]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Replace each several-word token by its words (rare), moving the bounds."""
        multi = np.flatnonzero((codes < 0) & (codes != _NEWLINE))
        if not len(multi):
            return codes, bounds
        parts = [self._multi[-c] for c in codes[multi].tolist()]
        sizes = np.array([len(p) for p in parts], dtype=np.int64)
        reps = np.ones(len(codes), dtype=np.int64)
        reps[multi] = sizes
        ends = np.cumsum(reps)
        out = np.repeat(codes, reps)
        # Position of every filled word: its token's first position plus its rank in it.
        firsts = np.repeat(ends[multi] - sizes, sizes)
        ranks = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        out[firsts + ranks] = np.fromiter(chain.from_iterable(parts), dtype=np.int64, count=int(sizes.sum()))
        return out, np.concatenate(([0], ends))[bounds]
