"""Small numpy helpers shared by several steps (no dedup imports)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

__all__ = ["edges_of", "found_in_sorted", "range_positions", "sorted_distinct"]

_Int = TypeVar("_Int", bound=np.integer[Any])


def sorted_distinct(values: NDArray[_Int]) -> NDArray[_Int]:
    """Sorted distinct values, as ``np.unique`` gives them but by sorting.

    ~5x faster than ``np.unique``'s hashing on a few hundred integers, and faster on
    millions of int64 codes too; used for shingles, candidate pairs and specifics.

    Examples
    --------
    >>> sorted_distinct(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    values = np.sort(values)
    keep = np.empty(len(values), dtype=bool)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def edges_of(sizes: Sequence[int] | NDArray[Any]) -> NDArray[np.int64]:
    """Where consecutive parts of these sizes start and end: ``[0, s0, s0 + s1, ...]``.

    Examples
    --------
    >>> edges_of([2, 0, 3]).tolist()
    [0, 2, 2, 5]
    """
    out = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=out[1:])
    return out


def found_in_sorted(ordered: NDArray[Any], values: NDArray[Any]) -> NDArray[np.bool_]:
    """Which of ``values`` occur in ``ordered`` (sorted; repeats allowed), by binary search.

    Examples
    --------
    >>> found_in_sorted(np.array([2, 2, 5, 9]), np.array([9, 3, 2])).tolist()
    [True, False, True]
    """
    if not len(ordered):
        return np.zeros(len(values), dtype=bool)
    # A value past the end is compared with the last (smaller) one, so it is never found.
    return np.asarray(ordered.take(np.searchsorted(ordered, values), mode="clip") == values)


def range_positions(starts: NDArray[np.int64], sizes: NDArray[np.int64]) -> NDArray[np.int64]:
    """The positions of consecutive ranges, one after another: ``starts[k] .. starts[k] + sizes[k] - 1``.

    Examples
    --------
    >>> range_positions(np.array([10, 3, 7]), np.array([2, 0, 3])).tolist()
    [10, 11, 7, 8, 9]
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    return np.repeat(np.asarray(starts, dtype=np.int64) - edges_of(sizes)[:-1], sizes) + np.arange(int(sizes.sum()))
