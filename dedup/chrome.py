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
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup.arrays import edges_of
from dedup.boilerplate import strip_keys

__all__ = [
    "ChromeModel",
    "PostSentences",
    "block_keys",
    "body_mix",
    "chrome_decision",
    "distinct_sentences",
    "learn_chrome",
    "minor_occurrences",
    "recurring",
]

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

    Composed of the pieces a distributed driver uses too (:func:`distinct_sentences`,
    :func:`body_mix`, :func:`recurring`, :func:`block_keys`, :func:`minor_occurrences`,
    :func:`chrome_decision`): only the grouping (by sentence, by post) is done here with
    numpy sorting, there with shuffles.

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
    owner, keys, sizes = distinct_sentences(owner[keep], posts.keys[keep], posts.sizes[keep])
    # Per sentence: the distinct posts holding it, and an order-free hash of which.
    by_key = np.argsort(keys, kind="stable")
    sorted_keys = keys[by_key]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    counts = np.diff(np.r_[starts, len(sorted_keys)])
    with np.errstate(over="ignore"):
        hashes = np.add.reduceat(body_mix(posts.body_keys[owner[by_key]]), starts) if len(starts) else _EMPTY
    candidate = recurring(counts, min_posts)
    if not candidate.any():
        return ChromeModel(_EMPTY)
    # Each occurrence's block: the sentences of its post held by exactly the same posts.
    group = np.repeat(np.arange(len(starts)), counts)
    occurrence_group = np.empty(len(keys), dtype=np.int64)
    occurrence_group[by_key] = group
    on = candidate[occurrence_group]
    group_on = occurrence_group[on]
    block_on = block_keys(hashes[group_on], counts[group_on])
    owner_on = owner[on]
    minor = minor_occurrences(owner_on, block_on, sizes[on], posts.lengths[owner_on])
    votes = np.bincount(group_on, weights=minor, minlength=len(starts))
    chrome = chrome_decision(counts, votes, min_posts)
    return ChromeModel(np.sort(sorted_keys[starts[chrome]]))


def distinct_sentences(
    owner: NDArray[np.int64], keys: NDArray[np.uint64], sizes: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.uint64], NDArray[np.int64]]:
    """Each sentence once per post, with its longest occurrence's size (sorted by post, key).

    Examples
    --------
    >>> o, k, z = distinct_sentences(np.array([0, 0, 0]), np.array([5, 3, 5], dtype=np.uint64), np.array([4, 9, 7]))
    >>> o.tolist(), k.tolist(), z.tolist()
    ([0, 0], [3, 5], [9, 7])
    """
    order = np.lexsort((-sizes, keys, owner))
    owner, keys, sizes = owner[order], keys[order], sizes[order]
    first_in_post = np.ones(len(keys), dtype=bool)
    first_in_post[1:] = (owner[1:] != owner[:-1]) | (keys[1:] != keys[:-1])
    return owner[first_in_post], keys[first_in_post], sizes[first_in_post]


def body_mix(body_keys: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """Each post's term of its sentences' hashes: a sentence's hash is the sum (mod 2**64) over its posts.

    Two sentences held by the same posts have the same sum (an order-free hash of the set).
    """
    return _mix(np.asarray(body_keys, dtype=np.uint64))


def recurring(counts: NDArray[np.int64], min_posts: int) -> NDArray[np.bool_]:
    """Sentences held by enough distinct posts to be chrome candidates."""
    return np.asarray(counts) >= min_posts


def block_keys(hashes: NDArray[np.uint64], counts: NDArray[np.int64]) -> NDArray[np.uint64]:
    """The block of a candidate sentence: equal for sentences held by exactly the same posts."""
    return np.asarray(hashes, dtype=np.uint64) ^ _mix(np.asarray(counts).astype(np.uint64))


def minor_occurrences(
    owner: NDArray[np.int64], block: NDArray[np.uint64], sizes: NDArray[np.int64], lengths: NDArray[np.int64]
) -> NDArray[np.bool_]:
    """For each candidate occurrence, whether its block is at most half of its post.

    ``owner``, ``block`` and ``sizes`` describe the occurrences (each sentence once per
    post); ``lengths`` is the length of each occurrence's post (in characters).

    Examples
    --------
    >>> minor_occurrences(np.array([0, 0, 1]), np.array([7, 7, 7], dtype=np.uint64), np.array([20, 20, 20]),
    ...                   np.array([60, 60, 50])).tolist()
    [False, False, True]
    """
    pb = np.lexsort((block, owner))
    o, bl, sz = owner[pb], block[pb], sizes[pb]
    run = np.flatnonzero(np.r_[True, (o[1:] != o[:-1]) | (bl[1:] != bl[:-1])])
    chars = np.add.reduceat(sz, run) if len(run) else sz[:0]
    run_of = np.repeat(np.arange(len(run)), np.diff(np.r_[run, len(o)]))
    share = chars[run_of] / np.maximum(np.asarray(lengths)[pb], 1)
    minor = np.zeros(len(owner), dtype=bool)
    minor[pb] = share <= 0.5
    return minor


def chrome_decision(counts: NDArray[np.int64], votes: NDArray[Any], min_posts: int) -> NDArray[np.bool_]:
    """Which sentences are chrome: recurring, and a minor block in at least half of their posts.

    ``votes`` counts, per sentence, the posts where :func:`minor_occurrences` holds.
    """
    counts = np.asarray(counts)
    return recurring(counts, min_posts) & (np.asarray(votes) >= 0.5 * counts)


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
