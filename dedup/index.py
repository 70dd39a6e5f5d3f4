"""Candidate search: a typed wrapper over datasketch's ``MinHashLSH``.

:class:`LSHIndex` stores signature rows (from :func:`dedup.signature.minhash_signatures`)
under string keys and returns the keys whose signatures collide with a query in at
least one LSH band: the candidate pairs that verification then checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from dedup.exceptions import ConfigError, DuplicateIdError
from dedup.signature import sorted_distinct

__all__ = ["LSHIndex", "candidate_pairs", "lsh_params"]


class LSHIndex:
    """MinHash LSH over signature rows, keyed by article id.

    Parameters
    ----------
    threshold : float
        Jaccard similarity in (0, 1) the banding is tuned for.
    num_perm : int
        Signature length; every row added or queried must have it.
    seed : int
        MinHash seed the signatures were made with (checked by datasketch on query).
    scheme : {"affine32", "affine64"}
        MinHash permutation scheme the signatures were made with.
    storage_config : dict, optional
        datasketch storage (e.g. ``{"type": "redis", ...}``); in memory by default.

    Examples
    --------
    >>> import numpy as np
    >>> from dedup.signature import minhash_signatures
    >>> sets = [np.arange(50, dtype=np.uint64), np.arange(5, 55, dtype=np.uint64), np.arange(900, 950, dtype=np.uint64)]
    >>> sig = minhash_signatures(sets, num_perm=64)
    >>> index = LSHIndex(threshold=0.5, num_perm=64)
    >>> index.add_many(["a", "b", "c"], sig)
    >>> sorted(index.query(sig[0]))
    ['a', 'b']
    >>> len(index), "c" in index
    (3, True)
    """

    def __init__(
        self,
        *,
        threshold: float,
        num_perm: int,
        seed: int = 1,
        scheme: Literal["affine32", "affine64"] = "affine32",
        storage_config: dict[str, Any] | None = None,
    ) -> None:
        from datasketch import MinHashLSH

        if not 0.0 < threshold < 1.0:
            msg = f"threshold must be a Jaccard similarity in (0, 1), got {threshold!r}"
            raise ConfigError(msg)
        self.threshold = threshold
        self.num_perm = num_perm
        self.seed = seed
        self.scheme = scheme
        self._lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, storage_config=storage_config)
        self._count = 0

    @property
    def bands(self) -> tuple[int, int]:
        """``(b, r)``: number of bands and rows per band chosen for ``threshold``."""
        return int(self._lsh.b), int(self._lsh.r)

    def _minhash(self, signature: NDArray[np.unsignedinteger]) -> Any:
        from datasketch import LeanMinHash

        if signature.shape != (self.num_perm,):
            msg = f"signature must have shape ({self.num_perm},), got {signature.shape}"
            raise ConfigError(msg)
        return LeanMinHash(seed=self.seed, hashvalues=signature, scheme=self.scheme)

    def add(self, key: str, signature: NDArray[np.unsignedinteger]) -> None:
        """Index one signature under ``key`` (a new key)."""
        if key in self._lsh:
            msg = f"id {key!r} is already in the index"
            raise DuplicateIdError(msg)
        self._lsh.insert(key, self._minhash(signature), check_duplication=False)
        self._count += 1

    def add_many(self, keys: Sequence[str], signatures: NDArray[np.unsignedinteger]) -> None:
        """Index many signatures at once (datasketch insertion session)."""
        if len(keys) != len(signatures):
            msg = f"got {len(keys)} keys for {len(signatures)} signatures"
            raise ConfigError(msg)
        seen: set[str] = set()
        for key in keys:
            if key in seen or key in self._lsh:
                msg = f"id {key!r} is already in the index"
                raise DuplicateIdError(msg)
            seen.add(key)
        with self._lsh.insertion_session() as session:
            for key, row in zip(keys, signatures, strict=True):
                session.insert(key, self._minhash(row), check_duplication=False)
        self._count += len(keys)

    def query(self, signature: NDArray[np.unsignedinteger]) -> list[str]:
        """Keys whose signatures share at least one band with ``signature`` (unordered)."""
        return list(self._lsh.query(self._minhash(signature)))

    def remove(self, key: str) -> None:
        """Remove ``key``; ``KeyError`` if it is not indexed."""
        if key not in self._lsh:
            raise KeyError(key)
        self._lsh.remove(key)
        self._count -= 1

    def __contains__(self, key: object) -> bool:
        return key in self._lsh

    def __len__(self) -> int:
        return self._count


@lru_cache(maxsize=32)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(b, r)``: the bands and rows per band datasketch's ``MinHashLSH`` picks.

    Examples
    --------
    >>> lsh_params(0.5, 128)
    (25, 5)
    """
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


_MIX = np.uint64(0x9E3779B97F4A7C15)


def _band_keys(band: NDArray[np.unsignedinteger]) -> NDArray[np.uint64]:
    """One 64-bit key per row of one band: equal rows, equal keys.

    Rows of 8 bytes or less are their own key; wider rows are mixed into 64 bits
    (different rows then share a key with probability about 2**-64 per pair, which
    only adds a candidate for verification to reject).
    """
    band = np.ascontiguousarray(band)
    width = band.shape[1] * band.itemsize
    if width == 8:
        return band.view(np.uint64).ravel()
    if width == 4:
        return band.view(np.uint32).ravel().astype(np.uint64)
    key = np.zeros(len(band), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for col in range(band.shape[1]):
            key = (key ^ band[:, col].astype(np.uint64)) * _MIX
            key ^= key >> np.uint64(29)
    return key


def _bucket_pairs(members: NDArray[np.int64], max_bucket: int) -> NDArray[np.int64]:
    """Pair each member of an oversized bucket with the ``max_bucket`` members that follow it.

    All pairs of its members would be quadratic.
    """
    parts = [np.stack((members[:-k], members[k:]), axis=1) for k in range(1, min(max_bucket, len(members)))]
    return np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64)


def candidate_pairs(
    signatures: NDArray[np.unsignedinteger],
    *,
    threshold: float,
    subset: Iterable[int] | NDArray[np.integer] | None = None,
    max_bucket: int = 200,
    max_per_row: int | None = None,
) -> NDArray[np.int64]:
    """All pairs of rows that collide in at least one LSH band, for a whole batch.

    The bands are datasketch's (:func:`lsh_params`), and two rows collide in a band when
    their values there are equal, as in ``MinHashLSH``: the pairs are those
    ``MinHashLSH.query`` would return for every row (bands wider than 8 bytes are keyed
    by a 64-bit mix, which may add a pair with probability ~2**-64), computed with numpy
    sorting instead of one dict lookup per row and band.

    Parameters
    ----------
    signatures : ndarray, shape (n, num_perm)
        One row per document.
    threshold : float
        Jaccard similarity the banding is tuned for.
    subset : iterable of int, optional
        Only these rows take part (e.g. articles long enough to compare).
    max_bucket : int
        A band bucket with more members than this (thousands of near-identical
        posts) pairs each member with the next ``max_bucket`` members in row order
        rather than with all of them, which bounds the work at ``O(n * max_bucket)``.
    max_per_row : int, optional
        Keep for each row only this many partners, those sharing the most bands (a
        batch of thousands of notices from one template would otherwise make nearly
        every pair a candidate). ``None`` keeps all.

    Returns
    -------
    ndarray of int64, shape (k, 2)
        Row pairs ``i < j``, sorted; independent of row order.

    Examples
    --------
    >>> from dedup.signature import minhash_signatures
    >>> sets = [np.arange(100, dtype=np.uint64), np.arange(10, 110, dtype=np.uint64)]
    >>> sets.append(np.arange(500, 600, dtype=np.uint64))
    >>> candidate_pairs(minhash_signatures(sets, num_perm=128), threshold=0.5).tolist()
    [[0, 1]]
    """
    n = len(signatures)
    rows = np.arange(n, dtype=np.int64) if subset is None else np.unique(np.fromiter(subset, dtype=np.int64))
    if len(rows) < 2:
        return np.zeros((0, 2), dtype=np.int64)
    b, r = lsh_params(threshold, signatures.shape[1])
    sig = signatures[rows]
    codes: list[NDArray[np.int64]] = []
    for band in range(b):
        keys = _band_keys(sig[:, band * r : (band + 1) * r])
        order = np.argsort(keys)
        sorted_keys = keys[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, len(sorted_keys)])
        for size in np.unique(sizes[sizes > 1]):
            group_starts = starts[sizes == size]
            members = rows[order[group_starts[:, None] + np.arange(size)[None, :]]]
            if size > max_bucket:
                pairs = np.concatenate([_bucket_pairs(np.sort(m), max_bucket) for m in members])
            else:
                iu, ju = np.triu_indices(int(size), k=1)
                pairs = np.stack((members[:, iu].ravel(), members[:, ju].ravel()), axis=1)
            lo = np.minimum(pairs[:, 0], pairs[:, 1])
            hi = np.maximum(pairs[:, 0], pairs[:, 1])
            codes.append(lo * n + hi)
    if not codes:
        return np.zeros((0, 2), dtype=np.int64)
    all_codes = np.sort(np.concatenate(codes))
    firsts = np.flatnonzero(np.r_[True, all_codes[1:] != all_codes[:-1]])
    unique = all_codes[firsts]
    if max_per_row is None:
        return decode_pairs(unique, n)
    # Bands shared by each pair: the more, the more similar the two rows.
    shared = np.diff(np.r_[firsts, len(all_codes)])
    return _cap_per_row(decode_pairs(unique, n), shared, signatures, max_per_row)


def _cap_per_row(
    pairs: NDArray[np.int64],
    shared: NDArray[np.int64],
    signatures: NDArray[np.unsignedinteger],
    limit: int,
) -> NDArray[np.int64]:
    """Keep, for every row, its ``limit`` partners sharing the most bands.

    A pair stays when either of its rows keeps it. Ties go by the partner's signature,
    not by its position, so the choice does not depend on input order.
    """
    degree = np.bincount(pairs.ravel(), minlength=len(signatures))
    if not len(pairs) or degree.max() <= limit:
        return pairs
    src = np.concatenate((pairs[:, 0], pairs[:, 1]))
    dst = np.concatenate((pairs[:, 1], pairs[:, 0]))
    strength = np.concatenate((shared, shared))
    tie = signatures[dst, 0].astype(np.int64)
    order = np.lexsort((tie, -strength, src))
    src_sorted = src[order]
    group_start = np.flatnonzero(np.r_[True, src_sorted[1:] != src_sorted[:-1]])
    rank = np.arange(len(order)) - np.repeat(group_start, np.diff(np.r_[group_start, len(order)]))
    kept = np.zeros(len(pairs), dtype=bool)
    kept[order[rank < limit] % len(pairs)] = True
    return pairs[kept]


def encode_pairs(pairs: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Pairs ``(i, j)`` of positions below ``n`` as single int64 codes ``i * n + j``."""
    return pairs[:, 0] * n + pairs[:, 1]


def decode_pairs(codes: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Inverse of :func:`encode_pairs`."""
    return np.stack((codes // n, codes % n), axis=1)


def unique_pairs(pairs: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Distinct rows of a pair array, sorted (faster than ``np.unique(axis=0)``)."""
    if not len(pairs):
        return pairs
    return decode_pairs(sorted_distinct(encode_pairs(pairs, n)), n)
