"""Page chrome learned across a batch: what recurs around many different posts.

Scraped pages and reposts carry text that is no story: a site's sign-in block or
navigation, a reprint disclaimer, a platform's footer, an advertiser's blurb pasted on
many pages. It recurs across many posts of many sites and accounts, so learned account
boilerplate (:mod:`dedup.boilerplate`) does not see it, and two unrelated pages that
share it look alike.

A story copied to many accounts recurs too. What tells the two apart is what surrounds
the recurring text. Sentences that recur in exactly the same posts form one *block*
(a copied story's sentences, a two-sentence disclaimer). A copied story's block is
most of each post that carries it; a chrome block is a small part of most posts that
carry it, beside content that differs from post to post. So a sentence is chrome when
it recurs in at least ``params.chrome_min_posts`` distinct posts and, in at least half
of them, its block is at most half of the post. Identical posts count once.

A post whose body is nothing but chrome is left without text, too short to compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dedup.arrays import edges_of
from dedup.boilerplate import strip_keys

__all__ = ["ChromeModel", "PostSentences", "learn_chrome"]

_U64 = np.uint64
_EMPTY: NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)


def _mix(x: NDArray[np.uint64]) -> NDArray[np.uint64]:
    with np.errstate(over="ignore"):
        x = (x ^ (x >> _U64(33))) * _U64(0xFF51AFD7ED558CCD)
        x = (x ^ (x >> _U64(33))) * _U64(0xC4CEB9FE1A85EC53)
        return x ^ (x >> _U64(33))


@dataclass(frozen=True, slots=True)
class PostSentences:
    """The sentences of many posts, in order, as flat arrays.

    Post ``i`` has the body key ``body_keys[i]``, the body length ``lengths[i]`` (in
    characters) and the sentences ``keys[bounds[i]:bounds[i + 1]]`` (with their
    lengths ``sizes``), repeats included.
    """

    body_keys: NDArray[np.uint64]
    lengths: NDArray[np.int64]
    keys: NDArray[np.uint64]
    sizes: NDArray[np.int64]
    bounds: NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class ChromeModel:
    """The chrome sentence keys learned from a batch (sorted)."""

    keys: NDArray[np.uint64]

    def __len__(self) -> int:
        return len(self.keys)

    def touches(self, keys: NDArray[np.uint64]) -> bool:
        """Tell whether any of ``keys`` is chrome."""
        return bool(len(self.keys) and len(keys) and np.isin(keys, self.keys).any())

    def strip(self, body: str) -> str:
        """Remove the chrome sentences from a normalized body (all of them: no share is kept)."""
        if not len(self.keys):
            return body
        return strip_keys(body, _KeySet(self.keys), min_kept=0.0)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, int) or not len(self.keys):
            return False
        at = int(np.searchsorted(self.keys, np.uint64(key)))
        return at < len(self.keys) and int(self.keys[at]) == key


class _KeySet:
    """Membership in a sorted key array (what :func:`strip_keys` asks of learned keys)."""

    __slots__ = ("_keys",)

    def __init__(self, keys: NDArray[np.uint64]) -> None:
        self._keys = frozenset(keys.tolist())

    def __contains__(self, key: object) -> bool:
        return key in self._keys


def learn_chrome(posts: PostSentences, *, min_posts: int) -> ChromeModel:
    """Learn the chrome of a batch (see the module docstring).

    Examples
    --------
    >>> footer = 77
    >>> keys = [1, 2, footer, 3, 4, footer, 5, 6, footer, 7, 8, footer]
    >>> posts = PostSentences(
    ...     body_keys=np.array([10, 11, 12, 13], dtype=np.uint64),
    ...     lengths=np.array([60, 60, 60, 60]),
    ...     keys=np.array(keys, dtype=np.uint64),
    ...     sizes=np.full(12, 20),
    ...     bounds=np.array([0, 3, 6, 9, 12]),
    ... )
    >>> learn_chrome(posts, min_posts=3).keys.tolist()
    [77]
    """
    n_posts = len(posts.body_keys)
    if not n_posts or not len(posts.keys):
        return ChromeModel(_EMPTY)
    # Identical posts count once: keep the first post of each body.
    _, first = np.unique(posts.body_keys, return_index=True)
    keep_post = np.zeros(n_posts, dtype=bool)
    keep_post[first] = True
    owner = np.repeat(np.arange(n_posts, dtype=np.int64), np.diff(posts.bounds))
    keep = keep_post[owner]
    owner, keys, sizes = owner[keep], posts.keys[keep], posts.sizes[keep]
    # Each sentence once per post (its longest occurrence).
    order = np.lexsort((-sizes, keys, owner))
    owner, keys, sizes = owner[order], keys[order], sizes[order]
    first_in_post = np.ones(len(keys), dtype=bool)
    first_in_post[1:] = (owner[1:] != owner[:-1]) | (keys[1:] != keys[:-1])
    owner, keys, sizes = owner[first_in_post], keys[first_in_post], sizes[first_in_post]
    # Per sentence: the distinct posts holding it, and an order-free hash of which.
    by_key = np.argsort(keys, kind="stable")
    sorted_keys = keys[by_key]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    counts = np.diff(np.r_[starts, len(sorted_keys)])
    with np.errstate(over="ignore"):
        hashes = np.add.reduceat(_mix(posts.body_keys[owner[by_key]]), starts) if len(starts) else _EMPTY
    candidate = counts >= min_posts
    if not candidate.any():
        return ChromeModel(_EMPTY)
    # Each occurrence's block: the sentences of its post held by exactly the same posts.
    group = np.repeat(np.arange(len(starts)), counts)
    occurrence_group = np.empty(len(keys), dtype=np.int64)
    occurrence_group[by_key] = group
    block = np.where(
        candidate[occurrence_group],
        hashes[occurrence_group] ^ _mix(counts[occurrence_group].astype(np.uint64)),
        _U64(0),
    )
    on = candidate[occurrence_group]
    owner_on, block_on, sizes_on, group_on = owner[on], block[on], sizes[on], occurrence_group[on]
    # Characters of each (post, block), and the share of the post it covers.
    pb = np.lexsort((block_on, owner_on))
    o, bl, sz = owner_on[pb], block_on[pb], sizes_on[pb]
    run = np.flatnonzero(np.r_[True, (o[1:] != o[:-1]) | (bl[1:] != bl[:-1])])
    chars = np.add.reduceat(sz, run)
    run_of = np.repeat(np.arange(len(run)), np.diff(np.r_[run, len(o)]))
    share = chars[run_of] / np.maximum(posts.lengths[o], 1)
    minor = np.zeros(len(owner_on), dtype=bool)
    minor[pb] = share <= 0.5
    votes = np.bincount(group_on, weights=minor, minlength=len(starts))
    chrome = candidate & (votes >= 0.5 * counts)
    return ChromeModel(np.sort(sorted_keys[starts[chrome]]))


def post_sentences(
    body_keys: Sequence[int], lengths: Sequence[int], keys: Sequence[Sequence[int]], sizes: Sequence[Sequence[int]]
) -> PostSentences:
    """Build :class:`PostSentences` from per-post lists."""
    return PostSentences(
        body_keys=np.asarray(body_keys, dtype=np.uint64),
        lengths=np.asarray(lengths, dtype=np.int64),
        keys=np.fromiter((k for ks in keys for k in ks), dtype=np.uint64),
        sizes=np.fromiter((z for zs in sizes for z in zs), dtype=np.int64),
        bounds=edges_of([len(ks) for ks in keys]),
    )
