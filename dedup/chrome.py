"""Page chrome learned across a batch: what recurs around many different posts.

Scraped pages and reposts carry text that is no story: a site's sign-in block or
navigation, a reprint disclaimer, a platform's footer, an advertiser's blurb pasted on
many pages. It recurs across many posts of many sites and accounts, so learned account
boilerplate (:mod:`dedup.boilerplate`) does not see it, and two unrelated pages that
share it look alike.

A story copied to many accounts recurs too. What tells the two apart is what surrounds
the recurring text: chrome sits beside content that differs from post to post, a
story's sentences beside more of the same story (its copies are edited, so not every
sentence recurs). A post *votes* for its recurring sentences (those in at least
``min_posts`` distinct posts) being chrome when

* they are at most half of it (its *recurring share*), and
* it is unrelated to the sentence's other posts: with each of up to eight of them (the
  same eight whatever the order), it shares less than ``related`` of the text that is
  not recurring. Two posts' shared text is estimated from small MinHash sketches of
  their character trigrams (:func:`body_sketch`).

A sentence is chrome when at least half of its posts vote for it. Identical posts
count once.

The statistic is built from three pieces every driver shares:

* :class:`SentenceStats`: per sentence, the number of distinct posts holding it;
* :func:`chrome_votes`: for the candidates (sentences in at least ``min_posts`` posts)
  of some posts, how many of those posts vote for them (its pieces, for drivers that
  group occurrences otherwise: :func:`recurring_share`, :func:`reference_rank`,
  :func:`occurrence_votes`);
* :func:`chrome_decision`: candidates whose votes reach half their posts.

:func:`learn_chrome` composes them for a batch; the index applies them to the posts
around what changed (:func:`plan_chrome`). A post whose body is nothing but chrome is left without text,
too short to compare.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from dedup.arrays import edges_of, found_in_sorted
from dedup.boilerplate import strip_keys

__all__ = [
    "SKETCH_SIZE",
    "BodyRun",
    "ChromeChange",
    "ChromeCounts",
    "ChromeModel",
    "PostSentences",
    "SentenceStats",
    "body_sketch",
    "body_sketches",
    "chrome_decision",
    "chrome_votes",
    "learn_chrome",
    "occurrence_votes",
    "plan_chrome",
    "post_sentences",
    "recurring_share",
    "reference_rank",
    "runs_to_posts",
    "sentence_stats",
    "voting_posts",
]

SKETCH_SIZE = 32  # MinHash values per body: an estimate within about 0.1 of the true share
_REFERENCES = 8  # the other posts of a sentence a post is compared with
_U64 = np.uint64
_EMPTY: NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
_EMPTY_I64: NDArray[np.int64] = np.zeros(0, dtype=np.int64)


def _mix(values: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """A 64-bit mixer (splitmix64's finalizer): well-spread hashes of structured integers."""
    x = np.asarray(values, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> _U64(33))) * _U64(0xFF51AFD7ED558CCD)
        x = (x ^ (x >> _U64(33))) * _U64(0xC4CEB9FE1A85EC53)
        return x ^ (x >> _U64(33))


# One-permutation hashing: a trigram's hash picks its bucket (top bits) and its value
# (low 32 bits); bucket k of the sorted keys starts at k << 32.
_BUCKET_SHIFT = _U64(64 - (SKETCH_SIZE - 1).bit_length())
_BUCKET_EDGES = np.arange(SKETCH_SIZE + 1, dtype=np.uint64) << _U64(32)
_LOW32 = _U64(0xFFFFFFFF)
# An empty bucket borrows the next filled one's value, shifted by a step per bucket of distance.
_BORROW_STEP = np.arange(SKETCH_SIZE, dtype=np.uint64) * _U64(0x9E3779B9)
_POSITIONS = np.arange(SKETCH_SIZE, dtype=np.int64)


def body_sketch(body: str) -> tuple[NDArray[np.uint32], int]:
    """A MinHash sketch of a body's distinct character trigrams, and their number.

    One hash per trigram (one-permutation hashing): its top bits choose one of
    ``SKETCH_SIZE`` buckets, and a bucket keeps its smallest low 32 bits. An empty
    bucket (short bodies) takes the next filled bucket's value, shifted by the distance
    (rotation densification), so equal bodies have equal sketches and the share of
    equal values still estimates the Jaccard similarity. A sort of the trigrams' keys is
    all it costs: a sketch with one hash function per value cost 2.6 times as much.

    Examples
    --------
    >>> a, n = body_sketch("社区开展垃圾分类宣传活动")
    >>> b, _ = body_sketch("社区开展垃圾分类宣传活动")
    >>> len(a), n, bool((a == b).all())
    (32, 10, True)
    """
    codes = np.frombuffer(body.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64)
    if len(codes) < 3:
        return np.full(SKETCH_SIZE, 0xFFFFFFFF, dtype=np.uint32), 0
    hashed = _mix((codes[:-2] << _U64(42)) ^ (codes[1:-1] << _U64(21)) ^ codes[2:])
    # Sorting, not np.unique's hashing: its per-call hash table costs four times as much
    # in a process whose heap holds a large batch.
    keyed = np.sort(((hashed >> _BUCKET_SHIFT) << _U64(32)) | (hashed & _LOW32))
    distinct = 1 + int(np.count_nonzero(keyed[1:] != keyed[:-1]))
    starts = np.searchsorted(keyed, _BUCKET_EDGES)
    values = keyed[np.minimum(starts[:-1], len(keyed) - 1)] & _LOW32
    filled = starts[:-1] < starts[1:]
    if not filled.all():
        at = np.flatnonzero(filled)
        borrowed = at[np.searchsorted(at, _POSITIONS) % len(at)]
        values = (values[borrowed] + _BORROW_STEP[(borrowed - _POSITIONS) % SKETCH_SIZE]) & _LOW32
    return values.astype(np.uint32), distinct


def body_sketches(bodies: Sequence[str]) -> tuple[NDArray[np.uint32], NDArray[np.int64]]:
    """:func:`body_sketch` of each body: the sketches (one row each) and their trigram counts.

    Examples
    --------
    >>> sketches, grams = body_sketches(["社区开展垃圾分类宣传活动", "居民"])
    >>> sketches.shape, grams.tolist()
    ((2, 32), [10, 0])
    """
    sketches = np.empty((len(bodies), SKETCH_SIZE), dtype=np.uint32)
    grams = np.empty(len(bodies), dtype=np.int64)
    for k, body in enumerate(bodies):
        sketches[k], grams[k] = body_sketch(body)
    return sketches, grams


def _unrelated_sketches(body_keys: NDArray[np.uint64]) -> NDArray[np.uint32]:
    """Sketches no two bodies share a value of (for made-up posts without text)."""
    base = _mix(np.asarray(body_keys, dtype=np.uint64))[:, None] + np.arange(SKETCH_SIZE, dtype=np.uint64)[None, :]
    return (_mix(base) >> _U64(32)).astype(np.uint32)


@dataclass(frozen=True, slots=True)
class PostSentences:
    """The sentences of many posts as flat arrays.

    Post ``i`` has the body key ``body_keys[i]``, the body length ``lengths[i]`` (in
    characters), the sentences ``keys[bounds[i]:bounds[i + 1]]`` with their lengths
    ``sizes`` (repeats allowed: each counts once, at its longest), and the
    :func:`body_sketch` ``sketches[i]`` of ``grams[i]`` trigrams; ``sketches`` and
    ``grams`` are ``None`` when not computed yet (:func:`learn_chrome` then has the
    posts that vote sketched).
    """

    body_keys: NDArray[np.uint64]
    lengths: NDArray[np.int64]
    keys: NDArray[np.uint64]
    sizes: NDArray[np.int64]
    bounds: NDArray[np.int64]
    sketches: NDArray[np.uint32] | None
    grams: NDArray[np.int64] | None

    def firsts(self) -> NDArray[np.int64]:
        """Each body's first post, in post order: the posts :meth:`distinct` keeps."""
        _, first = np.unique(self.body_keys, return_index=True)
        return np.sort(first).astype(np.int64)

    def distinct(self, firsts: NDArray[np.int64] | None = None) -> PostSentences:
        """Each body once (its first post) and each sentence once per post (its longest).

        ``firsts`` are the posts kept, as :meth:`firsts` gives them (found when not given).
        """
        n = len(self.body_keys)
        keep_post = np.zeros(n, dtype=bool)
        keep_post[self.firsts() if firsts is None else firsts] = True
        owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.bounds))
        keep = keep_post[owner]
        owner, keys, sizes = owner[keep], self.keys[keep], self.sizes[keep]
        # Sorted by post and key; a repeated sentence keeps its longest size (sorting by
        # size too, a third key, cost a third more at a million posts).
        order = np.lexsort((keys, owner))
        owner, keys, sizes = owner[order], keys[order], sizes[order]
        first_in_post = np.ones(len(keys), dtype=bool)
        first_in_post[1:] = (owner[1:] != owner[:-1]) | (keys[1:] != keys[:-1])
        starts = np.flatnonzero(first_in_post)
        longest = np.maximum.reduceat(sizes, starts) if len(starts) else sizes[:0]
        owner, keys, sizes = owner[starts], keys[starts], longest
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
            sketches=None if self.sketches is None else self.sketches[posts],
            grams=None if self.grams is None else self.grams[posts],
        )


@dataclass(frozen=True, slots=True)
class SentenceStats:
    """Per sentence key (sorted): the distinct posts holding it."""

    keys: NDArray[np.uint64]
    counts: NDArray[np.int64]

    def lookup(self, keys: NDArray[np.uint64]) -> NDArray[np.int64]:
        """Counts of ``keys`` (0 for unknown keys)."""
        if not len(self.keys):
            return np.zeros(len(keys), dtype=np.int64)
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[at] == keys, self.counts[at], 0).astype(np.int64)

    def at_least(self, keys: NDArray[np.uint64], min_posts: int) -> NDArray[np.bool_]:
        """Which of ``keys`` are in at least ``min_posts`` posts.

        Only the frequent keys are searched: a few hundred thousand fit in the CPU's
        cache where a million posts' seven million sentences do not (binary searches
        over all of them took 9 s of a 1M batch's chrome learning; these take 1 s).
        """
        return found_in_sorted(self.keys[self.counts >= min_posts], keys)


def sentence_stats(posts: PostSentences) -> SentenceStats:
    """:class:`SentenceStats` of distinct posts (:meth:`PostSentences.distinct`)."""
    keys, counts = np.unique(posts.keys, return_counts=True)
    return SentenceStats(keys.astype(np.uint64), counts.astype(np.int64))


def chrome_votes(
    posts: PostSentences, stats: SentenceStats, *, min_posts: int, related: float
) -> tuple[NDArray[np.uint64], NDArray[np.int64]]:
    """For each candidate sentence of ``posts``: how many of them vote for it being chrome.

    ``posts`` are distinct and hold every post of each candidate whose votes are to be
    used; ``stats`` hold every sentence's true counts (over all posts, not only these).
    Returns candidate keys (sorted) and their votes (see the module docstring).
    """
    on, owner = _candidates(posts, stats, min_posts)
    if not len(owner):
        return _EMPTY, _EMPTY_I64
    if posts.sketches is None or posts.grams is None:
        msg = "the posts' votes need their body sketches"
        raise ValueError(msg)
    keys = posts.keys[on]
    share = recurring_share(owner, posts.sizes[on], posts.lengths)
    order = np.lexsort((reference_rank(posts.body_keys)[owner], keys))
    keys, owner = keys[order], owner[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    vote = occurrence_votes(starts, share[owner], posts.sketches[owner], posts.grams[owner], related=related)
    return keys[starts], np.add.reduceat(vote.astype(np.int64), starts)


def voting_posts(posts: PostSentences, stats: SentenceStats, *, min_posts: int) -> NDArray[np.int64]:
    """The posts (of distinct ``posts``) that vote on a candidate: those whose sketches :func:`chrome_votes` reads.

    A quarter of an ordinary batch's distinct bodies hold a sentence that recurs in
    ``min_posts`` of them; the others need no sketch.
    """
    return np.unique(_candidates(posts, stats, min_posts)[1])


def _candidates(
    posts: PostSentences, stats: SentenceStats, min_posts: int
) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """Which sentences of ``posts`` are candidates (in ``min_posts`` posts or more), and each one's post."""
    if not len(posts.keys):
        return np.zeros(0, dtype=bool), _EMPTY_I64
    on = stats.at_least(posts.keys, min_posts)
    return on, np.repeat(np.arange(len(posts.body_keys), dtype=np.int64), np.diff(posts.bounds))[on]


def recurring_share(
    owner: NDArray[np.int64], sizes: NDArray[np.int64], lengths: NDArray[np.int64]
) -> NDArray[np.float64]:
    """Each post's characters in candidate sentences (``owner``, ``sizes``) over its length."""
    recurring = np.bincount(owner, weights=sizes, minlength=len(lengths))
    return recurring / np.maximum(lengths, 1)


def reference_rank(body_keys: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The order of a sentence's posts, its references first: the same whatever the input order."""
    return _mix(body_keys)


def occurrence_votes(
    starts: NDArray[np.int64],
    share: NDArray[np.float64],
    sketches: NDArray[np.uint32],
    grams: NDArray[np.int64],
    *,
    related: float,
) -> NDArray[np.bool_]:
    """Each occurrence's vote, for occurrences grouped by sentence and ordered by :func:`reference_rank`.

    ``starts`` are the first occurrence of each sentence; ``share``, ``sketches`` and
    ``grams`` describe each occurrence's post. A post votes when its recurring share is
    at most half and it is related to none of the sentence's first eight posts (itself
    aside). Any driver that groups occurrences this way gets the same votes.
    """
    n = len(share)
    size = np.diff(np.r_[starts, n])
    first = np.repeat(starts, size)
    refs = np.minimum(np.repeat(size, size), _REFERENCES)
    unrelated = np.ones(n, dtype=bool)
    slot = np.arange(_REFERENCES)[None, :]
    for lo in range(0, n, 65536):  # bounded memory: chunks of occurrences
        hi = min(lo + 65536, n)
        ref = first[lo:hi, None] + slot
        valid = (slot < refs[lo:hi, None]) & (ref != np.arange(lo, hi)[:, None])
        q = np.where(valid, ref, lo)
        jaccard = (sketches[lo:hi][:, None, :] == sketches[q]).mean(axis=2)
        gp, gq = grams[lo:hi][:, None].astype(np.float64), grams[q].astype(np.float64)
        contained = jaccard * (gp + gq) / ((1 + jaccard) * np.maximum(np.minimum(gp, gq), 1))
        # Related: sharing ``related`` of what the smaller post has beyond recurring text.
        small = np.where(gp <= gq, share[lo:hi][:, None], share[q])
        unrelated[lo:hi] = ~(valid & (contained >= small + (1 - small) * related)).any(axis=1)
    return (share <= 0.5) & unrelated


def chrome_decision(
    keys: NDArray[np.uint64], votes: NDArray[np.int64], counts: NDArray[np.int64]
) -> NDArray[np.uint64]:
    """The candidates that are chrome: at least half their posts vote for them."""
    return np.sort(keys[votes >= 0.5 * counts])


@dataclass(frozen=True, slots=True)
class ChromeModel:
    """The chrome sentence keys (sorted).

    Examples
    --------
    >>> from dedup.boilerplate import sentence_key
    >>> model = ChromeModel(np.array([sentence_key("点击关注.")], dtype=np.uint64))
    >>> model.strip("社区开展活动.点击关注.\\n点击关注.")
    '社区开展活动.'
    """

    keys: NDArray[np.uint64]
    # The keys as a set, built on the first strip: every post carrying chrome is stripped
    # with it, and building it per post cost O(keys) each (a quarter of a million-post run).
    _members: frozenset[int] | None = field(default=None, init=False, repr=False, compare=False)

    def __reduce__(self) -> tuple[type[ChromeModel], tuple[NDArray[np.uint64]]]:
        # Sent to the workers as its keys alone: each builds its own set.
        return ChromeModel, (self.keys,)

    def __len__(self) -> int:
        return len(self.keys)

    def touches(self, keys: NDArray[np.uint64]) -> bool:
        """Tell whether any of ``keys`` is chrome."""
        return bool(len(self.keys) and len(keys) and np.isin(keys, self.keys).any())

    def strip(self, body: str) -> str:
        """Remove the chrome sentences from a normalized body (all of them: no share is kept)."""
        if not len(self.keys):
            return body
        members = self._members
        if members is None:
            members = frozenset(self.keys.tolist())
            object.__setattr__(self, "_members", members)
        return strip_keys(body, members, min_kept=0.0)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, int) or not len(self.keys):
            return False
        at = int(np.searchsorted(self.keys, np.uint64(key)))
        return at < len(self.keys) and int(self.keys[at]) == key


def learn_chrome(
    posts: PostSentences,
    *,
    min_posts: int,
    related: float = 0.5,
    sketch: Callable[[NDArray[np.int64]], tuple[NDArray[np.uint32], NDArray[np.int64]]] | None = None,
) -> ChromeModel:
    """Learn the chrome of a batch (see the module docstring).

    ``posts`` without sketches need ``sketch``: given positions in ``posts``, their
    :func:`body_sketches`. Only the posts that vote are sketched (:func:`voting_posts`);
    the chrome is the same as with every post sketched up front.

    Examples
    --------
    >>> footer = 77
    >>> sentences = [[1, 2, footer], [3, 4, footer], [5, 6, footer], [7, 8, footer]]
    >>> posts = post_sentences([10, 11, 12, 13], [60] * 4, sentences, [[20, 20, 20]] * 4)
    >>> learn_chrome(posts, min_posts=3).keys.tolist()
    [77]
    """
    if not min_posts or not len(posts.body_keys):
        return ChromeModel(_EMPTY)
    firsts = posts.firsts()
    distinct = posts.distinct(firsts)
    stats = sentence_stats(distinct)
    if distinct.sketches is None or distinct.grams is None:
        if sketch is None:
            msg = "posts without sketches need a sketch function"
            raise ValueError(msg)
        voters = voting_posts(distinct, stats, min_posts=min_posts)
        values, grams = sketch(firsts[voters])
        sketches = np.zeros((len(distinct.body_keys), SKETCH_SIZE), dtype=np.uint32)
        counts = np.zeros(len(distinct.body_keys), dtype=np.int64)
        sketches[voters], counts[voters] = values, grams
        distinct = replace(distinct, sketches=sketches, grams=counts)
    keys, votes = chrome_votes(distinct, stats, min_posts=min_posts, related=related)
    return ChromeModel(chrome_decision(keys, votes, stats.lookup(keys)))


def post_sentences(
    body_keys: Sequence[int],
    lengths: Sequence[int],
    keys: Sequence[Sequence[int]],
    sizes: Sequence[Sequence[int]],
    *,
    sketches: NDArray[np.uint32] | None = None,
    grams: Sequence[int] | None = None,
) -> PostSentences:
    """Build :class:`PostSentences` from per-post lists.

    Without ``sketches``, the posts are unrelated (no two share a sketch value) and
    ``grams`` default to the lengths.
    """
    body_array = np.asarray(body_keys, dtype=np.uint64)
    return PostSentences(
        body_keys=body_array,
        lengths=np.asarray(lengths, dtype=np.int64),
        keys=np.fromiter((k for ks in keys for k in ks), dtype=np.uint64),
        sizes=np.fromiter((z for zs in sizes for z in zs), dtype=np.int64),
        bounds=edges_of([len(ks) for ks in keys]),
        sketches=sketches if sketches is not None else _unrelated_sketches(body_array),
        grams=np.asarray(grams if grams is not None else lengths, dtype=np.int64),
    )


# ---------------------------------------------------------------------------
# incremental: how the chrome changes as posts come and go (DedupIndex)


@dataclass(frozen=True, slots=True)
class BodyRun:
    """A distinct body as chrome sees it.

    Its key, sorted distinct sentence keys with their lengths, its length, and its
    :func:`body_sketch` (``sketch`` of ``grams`` trigrams).
    """

    body_key: int
    keys: NDArray[np.uint64]
    sizes: NDArray[np.int64]
    length: int
    sketch: NDArray[np.uint32]
    grams: int


class ChromeCounts(Protocol):
    """What the incremental chrome reads of a storage (identical bodies counted once)."""

    def body_refs(self, body_keys: Sequence[int]) -> list[int]:
        """Posts stored with each body."""
        ...

    def body_runs(self, body_keys: Sequence[int]) -> list[BodyRun]:
        """The stored runs of these (stored) bodies."""
        ...

    def sentence_counts(self, keys: NDArray[np.uint64]) -> NDArray[np.int64]:
        """Stored bodies holding each of ``keys``."""
        ...

    def bodies_with(self, keys: NDArray[np.uint64]) -> set[int]:
        """The stored bodies holding any of ``keys``."""
        ...

    def chrome_keys(self) -> NDArray[np.uint64]:
        """The chrome keys as they stand (sorted)."""
        ...


@dataclass(frozen=True, slots=True)
class ChromeChange:
    """How the chrome changes with a step: bodies that come and go, and the keys that flip.

    ``refs`` are the bodies' post counts afterwards (0: the body is gone), ``runs`` the
    bodies new to the storage, ``on`` / ``off`` the keys that become / stop being chrome.
    """

    refs: dict[int, int]
    runs: tuple[BodyRun, ...]
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
    related: float = 0.5,
    max_bodies: int = 50_000,
) -> ChromeChange:
    """How the chrome changes when posts with bodies ``added`` come and bodies ``removed`` go.

    The result equals what :func:`learn_chrome` learns from the stored posts after the
    change: a post's votes depend on which of its sentences are candidates, and on the
    sentence's posts; so only the candidates in posts that share a sentence whose count
    changed can change status, and those are decided again over all their posts. A
    neighbourhood of more than ``max_bodies`` posts (one sentence on a large share of a
    big index) keeps the statuses it has: one post more or less moves such a
    sentence's share of votes by a negligible amount.
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
        return ChromeChange(refs, new_runs, _EMPTY, _EMPTY)
    touched = np.unique(np.concatenate([r.keys for r, _ in changed]))
    old_n = counts.sentence_counts(touched)
    new_n = old_n.copy()
    at = {int(k): i for i, k in enumerate(touched.tolist())}
    for run, s in changed:
        new_n[np.fromiter((at[int(k)] for k in run.keys.tolist()), dtype=np.int64, count=len(run.keys))] += s
    moved = {int(k): int(n) for k, n in zip(touched.tolist(), new_n.tolist(), strict=True)}
    relevant = touched[(old_n >= min_posts) | (new_n >= min_posts)]
    if not len(relevant):
        return ChromeChange(refs, new_runs, _EMPTY, _EMPTY)
    # The posts around what changed, their candidates, and all posts of those.
    near = _after(counts.bodies_with(relevant), changed)
    if len(near) > max_bodies:
        return ChromeChange(refs, new_runs, _EMPTY, _EMPTY)
    near_runs = _runs(counts, near, runs)
    cand = np.unique(np.concatenate([r.keys for r in near_runs])) if near_runs else _EMPTY
    cand = cand[_counts(counts, cand, moved) >= min_posts]
    bodies = _after(counts.bodies_with(cand), changed) | near if len(cand) else near
    if len(bodies) > max_bodies:
        return ChromeChange(refs, new_runs, _EMPTY, _EMPTY)
    posts = runs_to_posts(_runs(counts, bodies, runs))
    present = np.unique(posts.keys)
    stats = SentenceStats(present, _counts(counts, present, moved))
    keys, votes = chrome_votes(posts, stats, min_posts=min_posts, related=related)
    is_chrome = chrome_decision(keys, votes, stats.lookup(keys))
    current = counts.chrome_keys()
    examined = np.union1d(cand, relevant)
    was = examined[np.isin(examined, current)]
    now = is_chrome[np.isin(is_chrome, examined)]
    return ChromeChange(refs, new_runs, np.setdiff1d(now, was), np.setdiff1d(was, now))


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


def _counts(counts: ChromeCounts, keys: NDArray[np.uint64], moved: dict[int, int]) -> NDArray[np.int64]:
    """Counts after the change: stored counts, with the moved ones replaced."""
    n = counts.sentence_counts(keys)
    for i, k in enumerate(keys.tolist()):
        if k in moved:
            n[i] = moved[k]
    return n


def runs_to_posts(runs: Sequence[BodyRun]) -> PostSentences:
    """:class:`PostSentences` of distinct bodies' runs."""
    return PostSentences(
        body_keys=np.array([r.body_key for r in runs], dtype=np.uint64),
        lengths=np.array([r.length for r in runs], dtype=np.int64),
        keys=np.concatenate([r.keys for r in runs]) if runs else _EMPTY,
        sizes=np.concatenate([r.sizes for r in runs]) if runs else _EMPTY_I64,
        bounds=edges_of([len(r.keys) for r in runs]),
        sketches=np.stack([r.sketch for r in runs]) if runs else np.zeros((0, SKETCH_SIZE), dtype=np.uint32),
        grams=np.array([r.grams for r in runs], dtype=np.int64),
    )
