"""Sentence by sentence: how much of one post's text the other post holds.

A copy, a truncated copy and a rewrite keep the source's sentences: each sentence of
the smaller post has a counterpart in the other, perhaps reworded. A follow-up that
recaps an earlier report (the reactions the day after, the cremation notice after the
death notice, the next segment of a campaign) shares a run of the report's words, often
enough to pass shingle containment, but most of its own sentences are new. The share
of sentences with a counterpart tells the two apart where the share of shingles cannot.

Sentences are word spans of :attr:`~dedup.features.Features.sequence` (content words,
cut at line breaks and sentence-end marks), so nothing but their starts is stored.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dedup.arrays import range_positions, sorted_distinct
from dedup.features import Features

__all__ = ["SentenceSets", "held_sentence_share"]

# Sentence pairs up to which shared words are counted in a dense matrix.
_DENSE_CELLS = 1 << 16
# (word, sentence, sentence) matches at most: bounds the memory of degenerate posts.
_MAX_SHARED = 1 << 22


class SentenceSets:
    """The distinct words of each long enough sentence of one post.

    Attributes
    ----------
    count : int
        Sentences of at least ``min_words`` content words.
    words, sentence : ndarray
        The (word, sentence number) pairs, distinct, sorted by word.
    sizes : ndarray of int64
        Distinct words per sentence.
    """

    __slots__ = ("count", "sentence", "sizes", "words")

    def __init__(self, features: Features, min_words: int) -> None:
        edges = features.sentence_edges()
        lengths = np.diff(edges)
        long = lengths >= min_words
        self.count = int(np.count_nonzero(long))
        # Each word labelled with its sentence's number among the long ones (-1: short).
        label = np.repeat(np.where(long, np.cumsum(long) - 1, -1), lengths)
        keys = (features.sequence.astype(np.uint64) << np.uint64(32)) | label.astype(np.uint64)
        if self.count < len(lengths):
            keys = keys[label >= 0]
        # One key per (word, sentence): distinct and sorted by word in one step.
        pairs = sorted_distinct(keys)
        self.words: NDArray[np.uint64] = pairs >> np.uint64(32)
        self.sentence: NDArray[np.int64] = (pairs & np.uint64(0xFFFFFFFF)).astype(np.int64)
        self.sizes: NDArray[np.int64] = np.bincount(self.sentence, minlength=self.count)


def held_sentence_share(x: SentenceSets, y: SentenceSets, *, held: float) -> float | None:
    """Share of one post's sentences that the other post holds, the larger of the two ways.

    A sentence is held by the other post when at least ``held`` of its distinct words
    are in one sentence of it. A copy or an excerpt has its sentences held one way
    (the shorter text's in the longer, or a text without sentence marks, one long
    sentence, holds the other's); a follow-up that recaps an earlier report has few
    held either way.

    Parameters
    ----------
    x, y : SentenceSets
        The sentences of the two posts (shorter ones, a dateline, 记者 张三, left out).
    held : float
        Share of a sentence's words, in [0, 1], that one sentence of the other post must have.

    Returns
    -------
    float or None
        In [0, 1]; ``None`` when either post has no sentence long enough, or when the
        posts repeat their words across so many sentences that the comparison would
        match over ``2**22`` word occurrences (degenerate text).

    Examples
    --------
    >>> from dedup import Article, DedupConfig
    >>> from dedup.features import FeatureExtractor
    >>> fx = FeatureExtractor(DedupConfig())
    >>> report = "荷叶塘社区开展垃圾分类宣传活动。志愿者向居民讲解垃圾分类知识。现场发放宣传资料两百余份。"
    >>> a = fx.extract(Article(id="a", text=report))
    >>> b = fx.extract(Article(id="b", text=report + "活动受到居民的广泛欢迎和好评。"))
    >>> c = fx.extract(Article(id="c", text="荷叶塘社区宣传活动结束以后，居民纷纷表示今后将自觉分类投放。"))
    >>> sa, sb, sc = (SentenceSets(f, 3) for f in (a, b, c))
    >>> held_sentence_share(sa, sb, held=0.8), held_sentence_share(sa, sc, held=0.8)
    (1.0, 0.0)
    """
    if not x.count or not y.count:
        return None
    lo = np.searchsorted(y.words, x.words, side="left")
    hits = np.searchsorted(y.words, x.words, side="right") - lo
    if int(hits.sum()) > _MAX_SHARED:
        return None  # a post repeating its sentences thousands of times: not a text to read this way
    # (a share of a sentence's words, in float: a hair under it is at it)
    x_need, y_need = held * x.sizes - 1e-9, held * y.sizes - 1e-9
    # Words shared by each pair of sentences: a dense matrix for the usual few dozen
    # sentences a side, sparse for long posts.
    pair = np.repeat(x.sentence, hits) * y.count + y.sentence[range_positions(lo, hits)]
    if x.count * y.count <= _DENSE_CELLS:
        shared = np.bincount(pair, minlength=x.count * y.count).reshape(x.count, y.count)
        x_held = int(np.count_nonzero((shared >= x_need[:, None]).any(axis=1))) / x.count
        y_held = int(np.count_nonzero((shared >= y_need[None, :]).any(axis=0))) / y.count
        return max(x_held, y_held)
    if not len(pair):
        return 0.0
    pair.sort()
    first = np.flatnonzero(np.concatenate(([True], pair[1:] != pair[:-1])))
    counts = np.diff(np.append(first, len(pair)))
    xs, ys = np.divmod(pair[first], y.count)
    x_held = len(sorted_distinct(xs[counts >= x_need[xs]])) / x.count
    y_held = len(sorted_distinct(ys[counts >= y_need[ys]])) / y.count
    return max(x_held, y_held)
