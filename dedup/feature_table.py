"""The features of a whole batch, held as flat columns: :class:`FeatureTable`.

A batch's features stay in the :class:`~dedup.columns.FeatureColumns` blocks the
workers send back (a few large arrays per block of posts), and one post's
:class:`~dedup.features.Features` is built, as views into them, only when a step asks
for it. Per post nothing but a few slots of shared arrays is held: at a million posts
this is gigabytes less than a list of Features objects (each with nine array headers
and two tuples), and forked workers that read the table touch a handful of large
objects rather than copying every page that holds a post's reference counts.

A repost whose body is an identical copy of an earlier post's is extracted once: its
row carries its own title's features, and :meth:`FeatureTable.with_copies` points its
body fields at the source's row (``body_of``) and gives it its merged specifics.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Mapping, Sequence
from itertools import accumulate
from typing import overload

import numpy as np
from numpy.typing import NDArray

from dedup.columns import FeatureColumns
from dedup.config import DedupConfig
from dedup.features import Features
from dedup.steps import enough_text

__all__ = ["FeatureTable"]


class FeatureTable(Sequence[Features]):
    """A batch's features: consecutive column blocks, read post by post on demand.

    Parameters
    ----------
    blocks : sequence of FeatureColumns
        Consecutive blocks: the first starts at 0, each where the previous ends.
    ids, accounts : sequence of str
        Every post's id and account (the blocks may leave them out).
    body_of : ndarray of int64, optional
        For each post, the post whose row holds its body features (itself unless the
        body is an identical copy of an earlier post's).
    specifics : mapping of int to tuple of str, optional
        Specifics that replace a row's own (a copy's title specifics joined with its
        source's body specifics).

    Examples
    --------
    >>> from dedup import Article, DedupConfig
    >>> from dedup.features import FeatureExtractor
    >>> feats = FeatureExtractor(DedupConfig()).extract_many([Article(id="1", text="社区开展垃圾分类宣传活动。")])
    >>> table = FeatureTable.of(feats)
    >>> len(table), table[0].id, table[0].n_words == feats[0].n_words
    (1, '1', True)
    """

    __slots__ = ("_blocks", "_body_of", "_specifics", "_starts", "accounts", "ids", "length", "n_words")

    def __init__(
        self,
        blocks: Sequence[FeatureColumns],
        ids: Sequence[str],
        accounts: Sequence[str],
        *,
        body_of: NDArray[np.int64] | None = None,
        specifics: Mapping[int, tuple[str, ...]] | None = None,
    ) -> None:
        n = len(ids)
        starts = [b.start for b in blocks]
        if starts != list(accumulate((len(b) for b in blocks[:-1]), initial=0))[: len(blocks)]:
            msg = "feature blocks must be consecutive from position 0"
            raise ValueError(msg)
        if sum(len(b) for b in blocks) != n or len(accounts) != n:
            msg = f"{n} ids, {len(accounts)} accounts and {sum(len(b) for b in blocks)} feature rows"
            raise ValueError(msg)
        self._blocks = tuple(blocks)
        self._starts = starts
        self.ids = ids
        self.accounts = accounts
        self._body_of = np.arange(n, dtype=np.int64) if body_of is None else np.asarray(body_of, dtype=np.int64)
        if self._body_of.shape != (n,) or (n and (self._body_of.min() < 0 or self._body_of.max() >= n)):
            msg = "body_of must name one post of the table for each post"
            raise ValueError(msg)
        self._specifics = dict(specifics or {})
        rows = self._body_of
        #: Characters and content words of each post's body (its body row's).
        self.length: NDArray[np.int64] = _joined([b.length for b in blocks])[rows]
        self.n_words: NDArray[np.int64] = _joined([b.n_words for b in blocks])[rows]

    @staticmethod
    def of(feats: Sequence[Features]) -> FeatureTable:
        """A table of features built one by one (``feats[i].position == i``)."""
        if isinstance(feats, FeatureTable):
            return feats
        if any(f.position != k for k, f in enumerate(feats)):
            msg = "features must be in position order from 0"
            raise ValueError(msg)
        blocks = [FeatureColumns.pack(feats, names=False)] if feats else []
        return FeatureTable(blocks, [f.id for f in feats], [f.account for f in feats])

    def with_copies(self, body_of: NDArray[np.int64], specifics: Mapping[int, tuple[str, ...]]) -> FeatureTable:
        """The same rows, each post's body read from ``body_of[i]`` and ``specifics`` replacing its own."""
        return FeatureTable(self._blocks, self.ids, self.accounts, body_of=body_of, specifics=specifics)

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, index: int) -> Features: ...

    @overload
    def __getitem__(self, index: slice) -> list[Features]: ...

    def __getitem__(self, index: int | slice) -> Features | list[Features]:
        if isinstance(index, slice):
            return [self._post(i) for i in range(*index.indices(len(self)))]
        n = len(self)
        i = index + n if index < 0 else index
        if not 0 <= i < n:
            msg = f"position {index} out of range for {n} posts"
            raise IndexError(msg)
        return self._post(i)

    def __iter__(self) -> Iterator[Features]:
        return (self._post(i) for i in range(len(self)))

    def comparable(self, config: DedupConfig) -> NDArray[np.bool_]:
        """Which posts have enough text to be compared (:func:`~dedup.steps.is_comparable`)."""
        return np.asarray(enough_text(self.length, self.n_words, config), dtype=bool)

    def body_hashes(self) -> list[bytes]:
        """Each post's :func:`~dedup.features.body_hash` (its body row's)."""
        hashes = b"".join(b.body_hash.tobytes() for b in self._blocks)
        return [hashes[16 * r : 16 * r + 16] for r in self._body_of.tolist()]

    def specifics(self) -> list[tuple[str, ...]]:
        """Every post's specifics, in position order."""
        out = [s for b in self._blocks for s in b.specifics]
        for i, found in self._specifics.items():
            out[i] = found
        return out

    def _locate(self, i: int) -> tuple[FeatureColumns, int]:
        k = bisect.bisect_right(self._starts, i) - 1
        block = self._blocks[k]
        return block, i - block.start

    def _post(self, i: int) -> Features:
        own, r = self._locate(i)
        j = int(self._body_of[i])
        body = None if j == i else self._locate(j)
        return own.row(r, self.ids[i], self.accounts[i], body=body, specifics=self._specifics.get(i))


def _joined(parts: Sequence[NDArray[np.int64]]) -> NDArray[np.int64]:
    return np.concatenate(parts).astype(np.int64, copy=False) if parts else np.zeros(0, dtype=np.int64)
