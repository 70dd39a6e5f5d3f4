"""Candidate search: a typed wrapper over datasketch's ``MinHashLSH``.

:class:`LSHIndex` stores signature rows (from :func:`dedup.signature.minhash_signatures`)
under string keys and returns the keys whose signatures collide with a query in at
least one LSH band: the candidate pairs that verification then checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from dedup.exceptions import ConfigError, DuplicateIdError

__all__ = ["LSHIndex", "candidate_pairs"]


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


def candidate_pairs(
    signatures: NDArray[np.unsignedinteger],
    *,
    threshold: float,
    seed: int = 1,
    scheme: Literal["affine32", "affine64"] = "affine32",
    subset: Iterable[int] | None = None,
) -> set[tuple[int, int]]:
    """All pairs ``(i, j)``, ``i < j``, of rows that collide in an LSH band.

    Parameters
    ----------
    signatures : ndarray, shape (n, num_perm)
        One row per document.
    threshold : float
        Jaccard similarity the banding is tuned for.
    seed, scheme
        As the signatures were made.
    subset : iterable of int, optional
        Only these rows take part (e.g. articles long enough to compare).

    Returns
    -------
    set of (int, int)
        Row positions; independent of row order.
    """
    rows = sorted(set(subset)) if subset is not None else list(range(len(signatures)))
    if len(rows) < 2:
        return set()
    index = LSHIndex(threshold=threshold, num_perm=signatures.shape[1], seed=seed, scheme=scheme)
    index.add_many([str(r) for r in rows], signatures[rows])
    pairs: set[tuple[int, int]] = set()
    for r in rows:
        for key in index.query(signatures[r]):
            other = int(key)
            if other != r:
                pairs.add((r, other) if r < other else (other, r))
    return pairs
