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
it recurs in at least ``min_posts`` distinct posts and, in at least half of them, its
block is at most half of the post. Identical posts count once.

The statistic is built from three pieces every driver shares:

* :class:`SentenceStats`: per sentence, the number of distinct posts holding it and an
  order-free hash of which (XOR of a mix of their body keys: a post added or removed
  changes it the same way, so an index can keep it up to date);
* :func:`block_votes`: for the candidates (sentences in at least ``min_posts`` posts)
  of some posts, in how many of those posts their block is a small part;
* :func:`chrome_decision`: candidates whose votes reach half their posts.

:func:`learn_chrome` composes them for a batch; the index applies them to the posts
around what changed. A post whose body is nothing but chrome is left without text,
too short to compare.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from dedup.arrays import edges_of
from dedup.boilerplate import strip_keys

__all__ = [
    "BodyRun",
    "ChromeChange",
    "ChromeCounts",
    "ChromeModel",
    "PostSentences",
    "SentenceStats",
    "block_votes",
    "body_token",
    "chrome_decision",
    "learn_chrome",
    "plan_chrome",
    "sentence_stats",
]

_U64 = np.uint64
_EMPTY: NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
_EMPTY_I64: NDArray[np.int64] = np.zeros(0, dtype=np.int64)


def body_token(body_keys: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The mixed body keys whose XOR names a set of posts (for :class:`SentenceStats`)."""
    x = np.asarray(body_keys, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> _U64(33))) * _U64(0xFF51AFD7ED558CCD)
        x = (x ^ (x >> _U64(33))) * _U64(0xC4CEB9FE1A85EC53)
        return x ^ (x >> _U64(33))


@dataclass(frozen=True, slots=True)
class PostSentences:
    """The sentences of many posts as flat arrays.

    Post ``i`` has the body key ``body_keys[i]``, the body length ``lengths[i]`` (in
    characters) and the sentences ``keys[bounds[i]:bounds[i + 1]]`` with their lengths
    ``sizes`` (repeats allowed: each counts once, at its longest).
    """

    body_keys: NDArray[np.uint64]
    lengths: NDArray[np.int64]
    keys: NDArray[np.uint64]
    sizes: NDArray[np.int64]
    bounds: NDArray[np.int64]

    def distinct(self) -> PostSentences:
        """Each body once (its first post) and each sentence once per post (its longest)."""
        n = len(self.body_keys)
        _, first = np.unique(self.body_keys, return_index=True)
        keep_post = np.zeros(n, dtype=bool)
        keep_post[first] = True
        owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.bounds))
        keep = keep_post[owner]
        owner, keys, sizes = owner[keep], self.keys[keep], self.sizes[keep]
        order = np.lexsort((-sizes, keys, owner))
        owner, keys, sizes = owner[order], keys[order], sizes[order]
        first_in_post = np.ones(len(keys), dtype=bool)
        first_in_post[1:] = (owner[1:] != owner[:-1]) | (keys[1:] != keys[:-1])
        owner, keys, sizes = owner[first_in_post], keys[first_in_post], sizes[first_in_post]
        posts = np.flatnonzero(keep_post)
        renumber = np.full(n, -1, dtype=np.int64)
        renumber[posts] = np.arange(len(posts))
        owner = renumber[owner]
        return PostSentences(
            body_keys=self.body_keys[posts],
            lengths=self.lengths[posts],
            keys=keys,
            sizes=sizes,
            bounds=np.searchsorted(owner, np.arange(len(posts) + 1)).astype(np.int64),
        )


@dataclass(frozen=True, slots=True)
class SentenceStats:
    """Per sentence key (sorted): distinct posts holding it, and the XOR of their tokens."""

    keys: NDArray[np.uint64]
    counts: NDArray[np.int64]
    tokens: NDArray[np.uint64]

    def lookup(self, keys: NDArray[np.uint64]) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
        """Counts and tokens of ``keys`` (0 for unknown keys)."""
        at = np.searchsorted(self.keys, keys)
        at = np.minimum(at, max(len(self.keys) - 1, 0))
        found = (len(self.keys) > 0) & (self.keys[at] == keys) if len(self.keys) else np.zeros(len(keys), bool)
        counts = np.where(found, self.counts[at] if len(self.keys) else 0, 0)
        tokens = np.where(found, self.tokens[at] if len(self.keys) else 0, 0).astype(np.uint64)
        return counts.astype(np.int64), tokens


def sentence_stats(posts: PostSentences) -> SentenceStats:
    """:class:`SentenceStats` of distinct posts (:meth:`PostSentences.distinct`)."""
    if not len(posts.keys):
        return SentenceStats(_EMPTY, _EMPTY_I64, _EMPTY)
    owner = np.repeat(np.arange(len(posts.body_keys)), np.diff(posts.bounds))
    order = np.argsort(posts.keys, kind="stable")
    keys = posts.keys[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    tokens = np.bitwise_xor.reduceat(body_token(posts.body_keys[owner[order]]), starts)
    return SentenceStats(keys[starts], np.diff(np.r_[starts, len(keys)]).astype(np.int64), tokens)


def block_votes(
    posts: PostSentences, stats: SentenceStats, *, min_posts: int
) -> tuple[NDArray[np.uint64], NDArray[np.int64]]:
    """For each candidate sentence of ``posts``: in how many of them its block is a small part.

    ``posts`` are distinct; ``stats`` hold every sentence's true figures (over all
    posts, not only these). Returns candidate keys (sorted) and their votes.
    """
    if not len(posts.keys):
        return _EMPTY, _EMPTY_I64
    counts, tokens = stats.lookup(posts.keys)
    on = counts >= min_posts
    if not on.any():
        return _EMPTY, _EMPTY_I64
    owner = np.repeat(np.arange(len(posts.body_keys)), np.diff(posts.bounds))[on]
    keys, sizes = posts.keys[on], posts.sizes[on]
    # A block: the sentences of a post held by exactly the same posts.
    block = tokens[on] ^ body_token(counts[on].astype(np.uint64))
    pb = np.lexsort((block, owner))
    o, bl = owner[pb], block[pb]
    run = np.flatnonzero(np.r_[True, (o[1:] != o[:-1]) | (bl[1:] != bl[:-1])])
    chars = np.add.reduceat(sizes[pb], run)
    run_of = np.repeat(np.arange(len(run)), np.diff(np.r_[run, len(o)]))
    minor = np.zeros(len(keys), dtype=np.int64)
    minor[pb] = chars[run_of] <= 0.5 * np.maximum(posts.lengths[o], 1)
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.flatnonzero(np.r_[True, sk[1:] != sk[:-1]])
    return sk[starts], np.add.reduceat(minor[order], starts)


def chrome_decision(
    keys: NDArray[np.uint64], votes: NDArray[np.int64], counts: NDArray[np.int64]
) -> NDArray[np.uint64]:
    """The candidates that are chrome: a small part of at least half their posts."""
    return np.sort(keys[votes >= 0.5 * counts])


@dataclass(frozen=True, slots=True)
class ChromeModel:
    """The chrome sentence keys (sorted)."""

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
        return strip_keys(body, frozenset(self.keys.tolist()), min_kept=0.0)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, int) or not len(self.keys):
            return False
        at = int(np.searchsorted(self.keys, np.uint64(key)))
        return at < len(self.keys) and int(self.keys[at]) == key


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
    if not min_posts or not len(posts.body_keys):
        return ChromeModel(_EMPTY)
    distinct = posts.distinct()
    stats = sentence_stats(distinct)
    keys, votes = block_votes(distinct, stats, min_posts=min_posts)
    counts, _ = stats.lookup(keys)
    return ChromeModel(chrome_decision(keys, votes, counts))


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


# ---------------------------------------------------------------------------
# incremental: how the chrome changes as posts come and go (DedupIndex)


@dataclass(frozen=True, slots=True)
class BodyRun:
    """A distinct body as chrome sees it: its key, sorted distinct sentence keys, their lengths, its length."""

    body_key: int
    keys: NDArray[np.uint64]
    sizes: NDArray[np.int64]
    length: int


class ChromeCounts(Protocol):
    """What the incremental chrome reads of a storage (identical bodies counted once)."""

    def body_refs(self, body_keys: Sequence[int]) -> list[int]:
        """Posts stored with each body."""
        ...

    def body_runs(self, body_keys: Sequence[int]) -> list[BodyRun]:
        """The stored runs of these (stored) bodies."""
        ...

    def sentence_figures(self, keys: NDArray[np.uint64]) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
        """:class:`SentenceStats` figures (count, token) of ``keys`` over the stored bodies."""
        ...

    def bodies_with(self, keys: NDArray[np.uint64]) -> set[int]:
        """The stored bodies holding any of ``keys``."""
        ...

    def chrome_keys(self) -> NDArray[np.uint64]:
        """The chrome keys as they stand (sorted)."""
        ...


@dataclass(frozen=True, slots=True)
class ChromeChange:
    """How the chrome changes with a step: new figures, new bodies, and the keys that flip.

    ``refs`` are the bodies' post counts afterwards (0: the body is gone), ``runs`` the
    bodies new to the storage, ``figures`` the sentences' (count, token) afterwards,
    ``on`` / ``off`` the keys that become / stop being chrome.
    """

    refs: dict[int, int]
    runs: tuple[BodyRun, ...]
    figures: dict[int, tuple[int, int]]
    on: NDArray[np.uint64]
    off: NDArray[np.uint64]

    @property
    def flipped(self) -> NDArray[np.uint64]:
        """Keys whose status changes."""
        return np.concatenate((self.on, self.off))

    def model(self, current: NDArray[np.uint64]) -> ChromeModel:
        """The chrome after the change, from the chrome before it."""
        keys = np.union1d(current, self.on)
        return ChromeModel(keys[~np.isin(keys, self.off)] if len(self.off) else keys)


def plan_chrome(
    counts: ChromeCounts,
    added: Sequence[BodyRun],
    removed: Sequence[int],
    *,
    min_posts: int,
    max_bodies: int = 50_000,
) -> ChromeChange:
    """How the chrome changes when posts with bodies ``added`` come and bodies ``removed`` go.

    The result equals what :func:`learn_chrome` learns from the stored posts after the
    change: only the candidates in posts that share a sentence with what changed can
    change status, and those are decided again over all their posts, with every
    sentence's true figures. A neighbourhood of more than ``max_bodies`` posts (one
    sentence on a large share of a big index) keeps the statuses it has: one post more
    or less moves such a sentence's share of votes by a negligible amount.
    """
    refs: dict[int, int] = {}
    runs: dict[int, BodyRun] = {}
    sign: dict[int, int] = {}
    wanted = sorted({r.body_key for r in added} | set(removed))
    before = dict(zip(wanted, counts.body_refs(wanted), strict=True))
    for run in added:
        refs[run.body_key] = refs.get(run.body_key, before[run.body_key]) + 1
        runs.setdefault(run.body_key, run)
    for key in removed:
        refs[key] = refs.get(key, before[key]) - 1
    for key, after in refs.items():
        if before[key] == 0 < after:
            sign[key] = 1
        elif before[key] > 0 == after:
            sign[key] = -1
    gone = [k for k, s in sign.items() if s < 0]
    runs_of = {r.body_key: r for r in counts.body_runs(gone)} if gone else {}
    changed = [(runs[k] if s > 0 else runs_of[k], s) for k, s in sign.items()]
    new_runs = tuple(runs[k] for k, s in sign.items() if s > 0)
    if not changed:
        return ChromeChange(refs, new_runs, {}, _EMPTY, _EMPTY)
    touched_keys = np.unique(np.concatenate([r.keys for r, _ in changed]))
    old_n, old_t = counts.sentence_figures(touched_keys)
    new_n, new_t = old_n.copy(), old_t.copy()
    at = {int(k): i for i, k in enumerate(touched_keys.tolist())}
    for run, s in changed:
        idx = np.fromiter((at[int(k)] for k in run.keys.tolist()), dtype=np.int64, count=len(run.keys))
        new_n[idx] += s
        new_t[idx] ^= body_token(np.array([run.body_key], dtype=np.uint64))[0]
    figures = {int(k): (int(n), int(t)) for k, n, t in zip(touched_keys.tolist(), new_n, new_t, strict=True)}
    relevant = touched_keys[(old_n >= min_posts) | (new_n >= min_posts)]
    if not len(relevant):
        return ChromeChange(refs, new_runs, figures, _EMPTY, _EMPTY)
    # The posts around what changed, their candidates, and all posts of those.
    near = _after(counts.bodies_with(relevant), changed)
    if len(near) > max_bodies:
        return ChromeChange(refs, new_runs, figures, _EMPTY, _EMPTY)
    near_runs = _runs(counts, near, runs)
    cand = np.unique(np.concatenate([r.keys for r in near_runs])) if near_runs else _EMPTY
    cand_n, _ = _figures(counts, cand, figures)
    cand = cand[cand_n >= min_posts]
    bodies = _after(counts.bodies_with(cand), changed) | near if len(cand) else near
    if len(bodies) > max_bodies:
        return ChromeChange(refs, new_runs, figures, _EMPTY, _EMPTY)
    posts = _as_posts(_runs(counts, bodies, runs))
    all_n, all_t = _figures(counts, np.unique(posts.keys), figures)
    stats = SentenceStats(np.unique(posts.keys), all_n, all_t)
    keys, votes = block_votes(posts, stats, min_posts=min_posts)
    decided_n, _ = stats.lookup(keys)
    is_chrome = chrome_decision(keys, votes, decided_n)
    current = counts.chrome_keys()
    examined = np.union1d(cand, relevant)
    was = examined[np.isin(examined, current)]
    now = is_chrome[np.isin(is_chrome, examined)]
    return ChromeChange(refs, new_runs, figures, np.setdiff1d(now, was), np.setdiff1d(was, now))


def _after(stored: set[int], changed: Sequence[tuple[BodyRun, int]]) -> set[int]:
    out = set(stored)
    for run, s in changed:
        if s > 0:
            out.add(run.body_key)
        else:
            out.discard(run.body_key)
    return out


def _runs(counts: ChromeCounts, bodies: set[int], new: dict[int, BodyRun]) -> list[BodyRun]:
    fresh = [new[b] for b in sorted(bodies) if b in new]
    stored = [b for b in sorted(bodies) if b not in new]
    return fresh + counts.body_runs(stored)


def _figures(
    counts: ChromeCounts, keys: NDArray[np.uint64], changed: dict[int, tuple[int, int]]
) -> tuple[NDArray[np.int64], NDArray[np.uint64]]:
    n, t = counts.sentence_figures(keys)
    for i, k in enumerate(keys.tolist()):
        if k in changed:
            n[i], t[i] = changed[k]
    return n, t


def _as_posts(runs: Sequence[BodyRun]) -> PostSentences:
    return PostSentences(
        body_keys=np.array([r.body_key for r in runs], dtype=np.uint64),
        lengths=np.array([r.length for r in runs], dtype=np.int64),
        keys=np.concatenate([r.keys for r in runs]) if runs else _EMPTY,
        sizes=np.concatenate([r.sizes for r in runs]) if runs else _EMPTY_I64,
        bounds=edges_of([len(r.keys) for r in runs]),
    )
