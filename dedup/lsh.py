"""Locality-sensitive hashing: band keys, the candidate rule, and its two lookups.

A post is a candidate partner of another when their signatures agree on a whole band
(datasketch's ``MinHashLSH`` banding, :func:`lsh_params`). Every driver uses the same
three pieces defined here:

* :func:`band_keys`: one 64-bit key per band of a signature row; two rows share a
  bucket exactly when their keys are equal;
* the candidate rule (:class:`PostBands.collides` for one pair, :func:`candidate_pairs`
  for a whole batch): the whole texts share a bucket in the full-text LSH, or one
  post's *lead* shares a bucket with the other's lead or with one of its paragraph
  leads (a truncated copy, an excerpt, a copy with paragraphs reordered). The
  full-text bands are the shingle MinHash's bands followed by one band per MinHash
  value of the post's set of long sentences (:func:`band_widths`): two posts holding a
  long sentence word for word share one of those with a probability that grows with
  the share of sentences in common, wherever the sentence stands (an excerpt from
  the middle of a paragraph, a truncated copy with sentences dropped);
* lookups: :func:`colliding_rows` finds every colliding pair of a batch by sorting,
  and :class:`BandTable` answers one post at a time against an incremental table
  (the in-memory index; the Redis index keeps the same keys in Redis sets).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from dedup.arrays import range_positions, sorted_distinct

if TYPE_CHECKING:
    from dedup.config import DedupConfig
    from dedup.signature import Signatures

__all__ = [
    "BandKeys",
    "BandTable",
    "PostBands",
    "band_keys",
    "band_widths",
    "candidate_pairs",
    "colliding_rows",
    "lsh_params",
    "unique_pairs",
]

_U64 = np.uint64
_MIX = _U64(0x9E3779B97F4A7C15)
_EMPTY_I64: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
_NO_PAIRS: NDArray[np.int64] = np.zeros((0, 2), dtype=np.int64)


@lru_cache(maxsize=32)
def lsh_params(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(b, r)``: the bands and rows per band datasketch's ``MinHashLSH`` picks.

    The same choice as ``MinHashLSH(threshold, num_perm)`` (equal weights of false
    positives and negatives), computed here so that a run does not import datasketch
    (and SciPy with it: half a second of every start). The probabilities are integrals
    of polynomials of degree at most ``num_perm``, which Gauss-Legendre quadrature with
    ``num_perm // 2 + 1`` nodes gives exactly. Where datasketch refuses one band (a
    high threshold with few permutations), one band is the answer here.

    Examples
    --------
    >>> lsh_params(0.5, 128)
    (25, 5)
    """
    x, w = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
    below = threshold / 2 * (x + 1)  # nodes on [0, threshold]
    above = threshold + (1 - threshold) / 2 * (x + 1)  # on [threshold, 1]
    opt, least = (0, 0), float("inf")
    for b in range(1, num_perm + 1):
        r = np.arange(1, num_perm // b + 1, dtype=np.float64)[:, None]
        # P(a pair of similarity s shares a band) = 1 - (1 - s**r)**b
        false_pos = threshold / 2 * ((1 - (1 - below**r) ** b) @ w)
        false_neg = (1 - threshold) / 2 * (((1 - above**r) ** b) @ w)
        error = 0.5 * false_pos + 0.5 * false_neg
        k = int(np.argmin(error))  # the first of equal errors, as datasketch's loop keeps it
        if error[k] < least:
            least, opt = float(error[k]), (b, k + 1)
    return opt


def band_widths(config: DedupConfig) -> tuple[int, int]:
    """Band keys per post of the whole text (shingle and sentence bands) and of a lead.

    Examples
    --------
    >>> from dedup import DedupConfig
    >>> band_widths(DedupConfig())
    (53, 8)
    """
    full = lsh_params(config.lsh_threshold, config.num_perm)[0] + config.params.sentence_bands
    return full, lsh_params(config.lead_threshold, config.params.lead_perm)[0]


def band_keys(signatures: NDArray[np.unsignedinteger], *, b: int, r: int) -> NDArray[np.uint64]:
    """One 64-bit key per band of each signature row: equal bands, equal keys.

    Bands of 8 bytes or less are their own key; wider bands are mixed into 64 bits
    (two different bands then share a key with probability about 2**-64 per pair,
    which only adds a candidate for verification to reject).

    Parameters
    ----------
    signatures : ndarray, shape (n, num_perm)
        MinHash rows (uint32 or uint64); only the first ``b * r`` columns are used.
    b, r : int
        Bands and rows per band (:func:`lsh_params`).

    Returns
    -------
    ndarray of uint64, shape (n, b)

    Examples
    --------
    >>> sig = np.array([[1, 2, 3, 4], [1, 2, 9, 9]], dtype=np.uint32)
    >>> keys = band_keys(sig, b=2, r=2)
    >>> bool(keys[0, 0] == keys[1, 0]), bool(keys[0, 1] == keys[1, 1])
    (True, False)
    """
    n = signatures.shape[0]
    out = np.empty((n, b), dtype=np.uint64)
    for band in range(b):
        part = np.ascontiguousarray(signatures[:, band * r : (band + 1) * r])
        width = r * part.itemsize
        if width == 8:
            out[:, band] = part.view(np.uint64).ravel()
        elif width == 4:
            out[:, band] = part.view(np.uint32).ravel()
        else:
            key = np.zeros(n, dtype=np.uint64)
            with np.errstate(over="ignore"):
                for col in range(r):
                    key = (key ^ part[:, col].astype(np.uint64)) * _MIX
                    key ^= key >> _U64(29)
            out[:, band] = key
    return out


@dataclass(frozen=True, slots=True)
class PostBands:
    """The band keys of one post: whole text, lead, and each paragraph lead.

    Attributes
    ----------
    full : ndarray of uint64, shape (b_full,)
        The shingle bands, then the sentence bands (:func:`band_widths`).
    lead : ndarray of uint64, shape (b_lead,)
    paragraphs : ndarray of uint64, shape (k, b_lead)
    """

    full: NDArray[np.uint64]
    lead: NDArray[np.uint64]
    paragraphs: NDArray[np.uint64]

    def collides(self, other: PostBands) -> bool:
        """Tell whether the candidate rule makes the two posts a candidate pair.

        Whole texts in one bucket, or a lead with the other's lead or with one of its
        paragraph leads (two paragraph leads alone do not count).
        """
        if (self.full == other.full).any() or (self.lead == other.lead).any():
            return True
        if len(other.paragraphs) and (other.paragraphs == self.lead[None, :]).any(axis=1).any():
            return True
        return bool(len(self.paragraphs) and (self.paragraphs == other.lead[None, :]).any(axis=1).any())


@dataclass(frozen=True, slots=True)
class BandKeys:
    """The band keys of a batch (see :class:`PostBands` for one post).

    Attributes
    ----------
    full : ndarray of uint64, shape (n, b_full)
    lead : ndarray of uint64, shape (n, b_lead)
    paragraphs : ndarray of uint64, shape (m, b_lead)
        One row per paragraph lead, of the post ``owners[k]``.
    owners : ndarray of int64, shape (m,)
    full_tie, lead_tie, paragraph_tie : ndarray of uint64
        An order-free key per row (its first MinHash value): with the post's id, it
        orders the members of an oversized bucket and breaks ties when a row's
        candidates are capped, so that neither depends on input order.
    post_order : ndarray of int64, shape (n,)
        Rank of each post's id among the batch's ids.
    """

    full: NDArray[np.uint64]
    lead: NDArray[np.uint64]
    paragraphs: NDArray[np.uint64]
    owners: NDArray[np.int64]
    full_tie: NDArray[np.uint64]
    lead_tie: NDArray[np.uint64]
    paragraph_tie: NDArray[np.uint64]
    post_order: NDArray[np.int64]

    @staticmethod
    def of(sigs: Signatures, config: DedupConfig, ids: Sequence[str] | None = None) -> BandKeys:
        """The band keys of a batch's signatures under ``config``'s banding (``ids``: the posts' ids)."""
        bf, rf = lsh_params(config.lsh_threshold, config.num_perm)
        bl, rl = lsh_params(config.lead_threshold, config.params.lead_perm)
        # The whole text's bands: its shingles', then one per sentence-set MinHash value.
        full = band_keys(sigs.full, b=bf, r=rf)
        if sigs.sentences.shape[1]:
            full = np.concatenate((full, band_keys(sigs.sentences, b=sigs.sentences.shape[1], r=1)), axis=1)
        return BandKeys(
            full=full,
            lead=band_keys(sigs.lead, b=bl, r=rl),
            paragraphs=band_keys(sigs.paragraphs, b=bl, r=rl),
            owners=sigs.owners,
            full_tie=sigs.full[:, 0].astype(np.uint64) if sigs.full.shape[1] else np.zeros(len(sigs.full), np.uint64),
            lead_tie=sigs.lead[:, 0].astype(np.uint64) if sigs.lead.shape[1] else np.zeros(len(sigs.lead), np.uint64),
            paragraph_tie=sigs.paragraphs[:, 0].astype(np.uint64)
            if sigs.paragraphs.shape[1]
            else np.zeros(len(sigs.paragraphs), np.uint64),
            post_order=_ranks(np.array(ids if ids is not None else range(len(sigs.full)), dtype=object)),
        )

    @staticmethod
    def join(parts: Sequence[BandKeys], ids: Sequence[str]) -> BandKeys:
        """The band keys of consecutive parts of a batch, as one; ``ids`` are the whole batch's.

        Examples
        --------
        >>> from dedup import Article, DedupConfig
        >>> from dedup.features import FeatureExtractor
        >>> from dedup.signature import sign
        >>> config = DedupConfig()
        >>> fx = FeatureExtractor(config)
        >>> a = fx.extract_many([Article(id="b", text="社区开展垃圾分类宣传活动。")])
        >>> b = [fx.extract(Article(id="a", text="街道举办消防安全演练。"), position=1)]
        >>> parts = [BandKeys.of(sign(a, config), config), BandKeys.of(sign(b, config), config)]
        >>> both = BandKeys.join(parts, ["b", "a"])
        >>> both.full.shape[0], both.post_order.tolist()
        (2, [1, 0])
        """
        if not parts:
            msg = "no band keys to join"
            raise ValueError(msg)
        return BandKeys(
            full=np.concatenate([p.full for p in parts]),
            lead=np.concatenate([p.lead for p in parts]),
            paragraphs=np.concatenate([p.paragraphs for p in parts]),
            owners=np.concatenate([p.owners for p in parts]),
            full_tie=np.concatenate([p.full_tie for p in parts]),
            lead_tie=np.concatenate([p.lead_tie for p in parts]),
            paragraph_tie=np.concatenate([p.paragraph_tie for p in parts]),
            post_order=_ranks(np.array(ids, dtype=object)),
        )

    def with_copies(self, source: NDArray[np.int64]) -> BandKeys:
        """The band keys with each post ``i`` taking post ``source[i]``'s rows.

        A post whose body is an identical copy of an earlier one's is signed once, as
        its source; its rows are the source's, its paragraph rows placed as if it had
        been signed itself (rows grouped by post, in post order).
        """
        copies = np.flatnonzero(source != np.arange(len(source)))
        if not len(copies):
            return self
        sources = source[copies]
        full, lead = self.full.copy(), self.lead.copy()
        full_tie, lead_tie = self.full_tie.copy(), self.lead_tie.copy()
        full[copies], lead[copies] = self.full[sources], self.lead[sources]
        full_tie[copies], lead_tie[copies] = self.full_tie[sources], self.lead_tie[sources]
        # Paragraph rows of each source, again under its copies.
        order = np.argsort(self.owners, kind="stable")
        owners_sorted = self.owners[order]
        lo = np.searchsorted(owners_sorted, sources, side="left")
        counts = np.searchsorted(owners_sorted, sources, side="right") - lo
        rows = order[range_positions(lo, counts)]
        owners = np.concatenate((self.owners, np.repeat(copies, counts)))
        placed = np.argsort(owners, kind="stable")
        return BandKeys(
            full=full,
            lead=lead,
            paragraphs=np.concatenate((self.paragraphs, self.paragraphs[rows]))[placed],
            owners=owners[placed],
            full_tie=full_tie,
            lead_tie=lead_tie,
            paragraph_tie=np.concatenate((self.paragraph_tie, self.paragraph_tie[rows]))[placed],
            post_order=self.post_order,
        )

    def post(self, position: int) -> PostBands:
        """The band keys of the post at ``position``."""
        return PostBands(self.full[position], self.lead[position], self.paragraphs[self.owners == position])

    def posts(self) -> list[PostBands]:
        """:meth:`post` of every post, in order (paragraph rows must be grouped by owner)."""
        edges = np.searchsorted(self.owners, np.arange(len(self.full) + 1)).tolist()
        return [
            PostBands(self.full[i], self.lead[i], self.paragraphs[edges[i] : edges[i + 1]])
            for i in range(len(self.full))
        ]


def _bucket_pairs(
    order: NDArray[np.int64],
    starts: NDArray[np.int64],
    sizes: NDArray[np.int64],
    rank: NDArray[np.int64],
    max_bucket: int,
) -> NDArray[np.int64]:
    """Pair each member of the oversized buckets with the ``max_bucket - 1`` members that follow it.

    Bucket ``k`` holds the rows ``order[starts[k] : starts[k] + sizes[k]]``; its members
    follow each other by ``rank``. All pairs of its members would be quadratic. Every
    bucket of a band at once: a template-heavy batch has thousands of them.
    """
    bucket = np.repeat(np.arange(len(starts), dtype=np.int64), sizes)
    members = order[range_positions(starts, sizes)]
    members = members[np.lexsort((rank[members], bucket))]  # by bucket, then by rank
    parts = []
    for k in range(1, min(max_bucket, int(sizes.max()))):
        same = bucket[:-k] == bucket[k:]
        parts.append(np.stack((members[:-k][same], members[k:][same]), axis=1))
    return np.concatenate(parts) if parts else _NO_PAIRS


# Bands' pairs merged into the distinct ones at least this many at a time (see colliding_rows).
_MIN_MERGE = 1 << 20


def colliding_rows(
    keys: NDArray[np.uint64],
    *,
    max_bucket: int,
    max_per_row: int | None = None,
    order: NDArray[np.int64] | None = None,
    anchors: int | None = None,
) -> NDArray[np.int64]:
    """All pairs of rows sharing at least one band key, for a whole batch.

    The pairs ``MinHashLSH.query`` would return for every row, computed with numpy
    sorting instead of one dict lookup per row and band.

    Parameters
    ----------
    keys : ndarray of uint64, shape (n, b)
        Band keys (:func:`band_keys`).
    max_bucket : int
        A bucket with more members than this (thousands of near-identical posts)
        pairs each member with the next ``max_bucket`` members (in ``order``) rather
        than with all of them, which bounds the work at ``O(n * max_bucket)``.
    max_per_row : int, optional
        Keep for each row only this many partners, those sharing the most bands (a
        batch of thousands of notices from one template would otherwise make nearly
        every pair a candidate). ``None`` keeps all.
    order : ndarray of int64, shape (n,), optional
        A distinct, order-free rank of each row (not its position): it orders the
        members of oversized buckets and breaks ties between equally strong partners,
        so the pairs do not depend on input order. Default: row positions.
    anchors : int, optional
        Only pairs with a row below ``anchors`` are wanted (a post's lead against
        paragraph leads: two paragraph leads are no pair); the others are dropped
        before they take a place under ``max_per_row``. ``None``: all rows.

    Returns
    -------
    ndarray of int64, shape (k, 2)
        Row pairs ``i < j``, sorted.

    Examples
    --------
    >>> keys = np.array([[1, 2], [1, 3], [4, 3], [5, 6]], dtype=np.uint64)
    >>> colliding_rows(keys, max_bucket=200).tolist()
    [[0, 1], [1, 2]]
    """
    n, b = keys.shape
    if n < 2:
        return _NO_PAIRS
    rows = np.arange(n, dtype=np.int64)
    rank = rows if order is None else order
    # Distinct pairs so far and the bands each shares. Bands' pairs wait until they are as
    # many as the distinct ones, then are merged in: holding every band's pairs at once
    # would peak at their sum (a template-heavy batch repeats most pairs in many bands),
    # and merging band by band rewrites the distinct pairs once per band.
    acc_codes: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
    acc_shared: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
    waiting: list[NDArray[np.int64]] = []
    n_waiting = 0
    for band in range(b):
        codes: list[NDArray[np.int64]] = []
        column = keys[:, band]
        order = np.argsort(column)
        sorted_keys = column[order]
        starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
        sizes = np.diff(np.r_[starts, len(sorted_keys)])
        found: list[NDArray[np.int64]] = []
        for size in np.unique(sizes[(sizes > 1) & (sizes <= max_bucket)]):
            group_starts = starts[sizes == size]
            members = rows[order[group_starts[:, None] + np.arange(size)[None, :]]]
            iu, ju = np.triu_indices(int(size), k=1)
            found.append(np.stack((members[:, iu].ravel(), members[:, ju].ravel()), axis=1))
        oversized = sizes > max_bucket
        if oversized.any():
            found.append(_bucket_pairs(order, starts[oversized], sizes[oversized], rank, max_bucket))
        for pairs in found:
            lo = np.minimum(pairs[:, 0], pairs[:, 1])
            hi = np.maximum(pairs[:, 0], pairs[:, 1])
            if anchors is not None:
                wanted = lo < anchors
                lo, hi = lo[wanted], hi[wanted]
            codes.append(lo * n + hi)
        waiting.extend(codes)
        n_waiting += sum(len(c) for c in codes)
        if waiting and (n_waiting >= max(len(acc_codes), _MIN_MERGE) or band == b - 1):
            acc_codes, acc_shared = _merge_counts(acc_codes, acc_shared, np.concatenate(waiting))
            waiting, n_waiting = [], 0
    if not len(acc_codes):
        return _NO_PAIRS
    pairs = _decode_pairs(acc_codes, n)
    if max_per_row is None:
        return pairs
    # Bands shared by each pair: the more, the more similar the two rows.
    return _cap_per_row(pairs, acc_shared, rank, max_per_row)


def _merge_counts(
    codes: NDArray[np.int64], counts: NDArray[np.int64], more: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Sorted distinct ``codes`` with their ``counts``, plus each code of ``more`` as often as it occurs there."""
    more, times = np.unique(more, return_counts=True)
    # Where each new code falls among the sorted ones: counted there, or inserted.
    at = np.searchsorted(codes, more)
    known = at < len(codes)
    known[known] = codes[at[known]] == more[known]
    counts = counts.copy()
    counts[at[known]] += times[known]  # distinct codes: no place is counted twice
    fresh = ~known
    # Inserted in one pass (np.insert would sort the already sorted places again).
    placed = at[fresh] + np.arange(int(fresh.sum()))
    old = np.ones(len(codes) + len(placed), dtype=bool)
    old[placed] = False
    merged = np.empty(len(old), dtype=np.int64)
    merged[placed], merged[old] = more[fresh], codes
    merged_counts = np.empty(len(old), dtype=np.int64)
    merged_counts[placed], merged_counts[old] = times[fresh], counts
    return merged, merged_counts


def _cap_per_row(
    pairs: NDArray[np.int64], shared: NDArray[np.int64], rank: NDArray[np.int64], limit: int
) -> NDArray[np.int64]:
    """Keep, for every row, its ``limit`` partners sharing the most bands.

    A pair stays when either of its rows keeps it. Ties go by the partner's rank,
    not by its position, so the choice does not depend on input order.
    """
    degree = np.bincount(pairs.ravel(), minlength=len(rank))
    if not len(pairs) or degree.max() <= limit:
        return pairs
    m = len(pairs)
    # Each pair once from either end, ordered by (row, most bands first, partner's rank):
    # one int64 key per end when the three fit in 63 bits (sorting one array instead of
    # three takes a third of the memory of a lexsort of a template-heavy batch).
    rank_bits = max(1, int(len(rank) - 1).bit_length())
    most = int(shared.max())
    band_bits = max(1, most.bit_length())
    src = np.concatenate((pairs[:, 0], pairs[:, 1]))
    index_bits = max(1, int(2 * m - 1).bit_length())
    if 2 * rank_bits + band_bits <= 63:
        key = src << (rank_bits + band_bits)
        key |= np.concatenate((most - shared, most - shared)) << rank_bits
        key |= np.concatenate((rank[pairs[:, 1]], rank[pairs[:, 0]]))
        if 2 * rank_bits + band_bits + index_bits <= 63:
            # Each end's index in the key's low bits: a sort, which is faster than an
            # argsort, gives the order (the keys are distinct, so either is stable).
            key <<= index_bits
            key |= np.arange(2 * m, dtype=np.int64)
            key.sort()
            order = key & ((1 << index_bits) - 1)
        else:
            order = np.argsort(key)
        del key
    else:
        dst_rank = np.concatenate((rank[pairs[:, 1]], rank[pairs[:, 0]]))
        order = np.lexsort((dst_rank, -np.concatenate((shared, shared)), src))
        del dst_rank
    src_sorted = src[order]
    del src
    group_start = np.flatnonzero(np.r_[True, src_sorted[1:] != src_sorted[:-1]])
    place = np.arange(len(order)) - np.repeat(group_start, np.diff(np.r_[group_start, len(order)]))
    kept = np.zeros(m, dtype=bool)
    kept[order[place < limit] % m] = True
    return pairs[kept]


def candidate_pairs(
    bands: BandKeys,
    subset: Iterable[int] | NDArray[np.integer[Any]],
    *,
    max_bucket: int,
    max_per_row: int | None,
) -> NDArray[np.int64]:
    """The candidate rule over a whole batch: every pair of posts it makes candidates.

    Parameters
    ----------
    bands : BandKeys
        The batch's band keys.
    subset : iterable of int
        Positions of the posts taking part (comparable ones).
    max_bucket, max_per_row : int
        Caps, as for :func:`colliding_rows` (applied to each LSH separately).

    Returns
    -------
    ndarray of int64, shape (k, 2)
        Sorted distinct position pairs ``i < j``.
    """
    local = np.unique(np.fromiter(subset, dtype=np.int64))
    if len(local) < 2:
        return _NO_PAIRS
    n = len(bands.full)
    order = bands.post_order[local]
    pairs = local[
        colliding_rows(
            bands.full[local],
            max_bucket=max_bucket,
            max_per_row=max_per_row,
            order=_ranks(bands.full_tie[local].astype(np.int64), order),
        )
    ]
    # Leads against paragraph leads: a truncated copy, an excerpt or a copy with
    # paragraphs reordered starts where some paragraph of the other post starts.
    taking = np.zeros(n, dtype=bool)
    taking[local] = True
    keep = taking[bands.owners]
    owners = np.concatenate((local, bands.owners[keep]))
    # A paragraph lead ranks after its post's lead, in paragraph order.
    para_owner = bands.owners[keep]
    para_number = 1 + np.arange(len(para_owner)) - np.searchsorted(para_owner, para_owner, side="left")
    rows = colliding_rows(
        np.concatenate((bands.lead[local], bands.paragraphs[keep])),
        max_bucket=max_bucket,
        max_per_row=max_per_row,
        order=_ranks(
            np.concatenate((bands.lead_tie[local], bands.paragraph_tie[keep])).astype(np.int64),
            np.concatenate((order, bands.post_order[para_owner])),
            np.concatenate((np.zeros(len(local), np.int64), para_number)),
        ),
        anchors=len(local),
    )
    # Keep pairs with at least one post's own lead, between two different posts.
    rows = rows[rows[:, 0] < len(local)]
    lead_pairs = owners[rows]
    lead_pairs = lead_pairs[lead_pairs[:, 0] != lead_pairs[:, 1]]
    lead_pairs.sort(axis=1)
    return unique_pairs(np.concatenate((pairs, lead_pairs)), n)


def _ranks(*keys: NDArray[Any]) -> NDArray[np.int64]:
    """The rank of each row ordered by ``keys`` (the first is the primary key); distinct if the keys are."""
    if len(keys) == 1 and keys[0].dtype == object:
        order = np.argsort(keys[0], kind="stable")
    else:
        order = np.lexsort(tuple(reversed(keys)))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order), dtype=np.int64)
    return rank


def _encode_pairs(pairs: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    return pairs[:, 0] * n + pairs[:, 1]


def _decode_pairs(codes: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    return np.stack((codes // n, codes % n), axis=1)


def unique_pairs(pairs: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Distinct rows of an array of position pairs below ``n``, sorted.

    Examples
    --------
    >>> unique_pairs(np.array([[1, 2], [0, 1], [1, 2]]), 3).tolist()
    [[0, 1], [1, 2]]
    """
    if not len(pairs):
        return pairs
    return _decode_pairs(sorted_distinct(_encode_pairs(pairs, n)), n)


class BandTable:
    """An incremental LSH table: one row of ``b`` band keys per slot, kept sorted.

    A query returns the slots sharing at least one band key with it, the same slots
    datasketch's ``MinHashLSH`` would return for the same signatures and ``(b, r)``, at
    a small fraction of its memory. Slots added since the last rebuild are scanned
    directly; removed slots are masked out and dropped at the next rebuild.

    Examples
    --------
    >>> table = BandTable(2)
    >>> table.put(np.array([0, 1]), np.array([[1, 2], [3, 4]], dtype=np.uint64))
    >>> table.query(np.array([9, 4], dtype=np.uint64)).tolist()
    [1]
    """

    _MIN_PENDING = 2048

    def __init__(self, b: int) -> None:
        self.b = b
        self._rows: NDArray[np.uint64] = np.zeros((0, b), dtype=np.uint64)
        self._live: NDArray[np.bool_] = np.zeros(0, dtype=bool)
        self._keys: NDArray[np.uint64] = np.zeros((b, 0), dtype=np.uint64)
        self._slots: NDArray[np.int32] = np.zeros((b, 0), dtype=np.int32)
        self._pending: list[int] = []
        self._pending_cache: tuple[NDArray[np.int64], NDArray[np.uint64]] | None = None

    def _grow(self, size: int) -> None:
        if size <= len(self._live):
            return
        cap = max(size, len(self._live) + len(self._live) // 2, 1024)
        rows = np.zeros((cap, self.b), dtype=np.uint64)
        rows[: len(self._rows)] = self._rows
        live = np.zeros(cap, dtype=bool)
        live[: len(self._live)] = self._live
        self._rows, self._live = rows, live

    def put(self, slots: NDArray[np.int64], keys: NDArray[np.uint64], *, rebuild: bool = True) -> None:
        """Store the rows ``keys`` under ``slots`` (new slots)."""
        if len(slots) == 0:
            return
        self._grow(int(slots.max()) + 1)
        self._rows[slots] = keys
        self._live[slots] = True
        self._pending.extend(int(s) for s in slots)
        self._pending_cache = None
        if rebuild and len(self._pending) > max(self._MIN_PENDING, self._keys.shape[1] // 16):
            self.rebuild()

    def drop(self, slots: Iterable[int]) -> None:
        """Forget ``slots`` (they are never returned again)."""
        for s in slots:
            if s < len(self._live):
                self._live[s] = False

    def rows(self, slots: NDArray[np.int64]) -> NDArray[np.uint64]:
        """The stored keys of ``slots``."""
        return self._rows[slots]

    def rebuild(self) -> None:
        """Sort every stored live row into the lookup arrays."""
        live = np.flatnonzero(self._live).astype(np.int64)
        rows = self._rows[live]
        keys = np.empty((self.b, len(live)), dtype=np.uint64)
        slots = np.empty((self.b, len(live)), dtype=np.int32)
        for band in range(self.b):
            order = np.argsort(rows[:, band], kind="stable")
            keys[band] = rows[order, band]
            slots[band] = live[order]
        self._keys, self._slots = keys, slots
        self._pending = []
        self._pending_cache = None

    def query(self, keys: NDArray[np.uint64]) -> NDArray[np.int64]:
        """Live slots sharing a band key with ``keys``: one row of ``b`` keys, or several rows."""
        queries = keys.reshape(-1, self.b)
        if not len(queries):
            return _EMPTY_I64
        found: list[NDArray[Any]] = []
        if self._keys.shape[1]:
            for band in range(self.b):
                row = self._keys[band]
                wanted = queries[:, band]
                lo = np.searchsorted(row, wanted, side="left")
                inside = lo < len(row)
                inside[inside] = row[lo[inside]] == wanted[inside]
                if inside.any():
                    hi = np.searchsorted(row, wanted[inside], side="right")
                    for a, z in zip(lo[inside].tolist(), hi.tolist(), strict=True):
                        found.append(self._slots[band, a:z])
        if self._pending:
            if self._pending_cache is None:
                pending = np.asarray(self._pending, dtype=np.int64)
                self._pending_cache = (pending, self._rows[pending])
            pending, rows = self._pending_cache
            hit = np.zeros(len(pending), dtype=bool)
            for q in queries:
                hit |= (rows == q[None, :]).any(axis=1)
            found.append(pending[hit])
        if not found:
            return _EMPTY_I64
        slots = np.unique(np.concatenate(found).astype(np.int64))
        return slots[self._live[slots]]
