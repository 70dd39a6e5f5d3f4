"""MinHash signatures of word shingles, computed for a whole batch at once.

Tokens get stable 64-bit ids (BLAKE2b of their UTF-8 bytes, so they do not depend on
``PYTHONHASHSEED``); a shingle of ``ngram_size`` consecutive tokens is a 64-bit mix
of those ids. Signatures are datasketch's own MinHash: the ``affine32`` (or
``affine64``) permutation scheme with the permutations datasketch draws from ``seed``,
applied with numpy to all shingles of many documents in one go. A row of
:func:`minhash_signatures` equals ``datasketch.MinHash(num_perm, seed=seed,
scheme=scheme, hashfunc=...)`` updated with the same shingles (see
:func:`datasketch_minhash`), so it can feed ``MinHashLSH`` directly.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from numpy.typing import NDArray

from dedup.arrays import sorted_distinct
from dedup.exceptions import ConfigError

if TYPE_CHECKING:
    from dedup.config import DedupConfig
    from dedup.features import Features

__all__ = [
    "Signatures",
    "TokenHasher",
    "datasketch_minhash",
    "minhash_signatures",
    "permutations",
    "sentence_hashes",
    "sentence_hashes_many",
    "shingle_hashes",
    "shingle_hashes_many",
    "sign",
    "to_lean_minhash",
    "token_id",
]

Scheme = Literal["affine32", "affine64"]

_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
# The base of sentence hashes (odd, so invertible modulo 2**64) and its inverse.
_POLY = _U64(0xC2B2AE3D27D4EB4F)
_POLY_INVERSE = _U64(pow(int(_POLY), -1, 1 << 64))
_EMPTY = np.zeros(0, dtype=np.uint64)
_EMPTY32 = np.zeros(0, dtype=np.uint32)
# Rows of shingles permuted per numpy step: bounds the temporary (rows x num_perm).
# 8192 x 128 (4 MiB for affine32) was fastest here: 37 ms per 2,000 posts against
# 57 ms at 16384 rows and 48 ms at 4096 (best of 4); at 32 permutations it ties 16384.
_CHUNK_ROWS = 8192


def _fmix64(h: NDArray[np.uint64]) -> NDArray[np.uint64]:
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


def _fmix32(h: NDArray[np.uint32]) -> NDArray[np.uint32]:
    # datasketch's pre-mix for the affine32 scheme (MurmurHash3 finalizer).
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def token_id(token: str) -> int:
    """The stable id of one token: a positive integer below 2**63 (BLAKE2b of its UTF-8 bytes).

    Examples
    --------
    >>> token_id("社区") == token_id("社区") != token_id("活动")
    True
    """
    digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    # 63 bits, never 0: ids fit a signed int64 and 0 can mean "no word".
    return (int.from_bytes(digest, "little") >> 1) or 1


class TokenHasher:
    """Stable 63-bit ids for tokens (BLAKE2b of the UTF-8 bytes), cached.

    Examples
    --------
    >>> h = TokenHasher()
    >>> ids = h.ids(["社区", "活动", "社区"])
    >>> ids.dtype.name, int(ids[0]) == int(ids[2])
    ('uint64', True)
    """

    def __init__(self) -> None:
        self._cache: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._cache)

    def token_id(self, token: str) -> int:
        """Return the id of one token: a positive integer below 2**63."""
        value = self._cache.get(token)
        if value is None:
            value = self._cache[token] = token_id(token)
        return value

    def ids(self, tokens: Sequence[str]) -> NDArray[np.uint64]:
        """Return the ids of ``tokens`` as a uint64 array, in order."""
        cache = self._cache
        get = cache.get
        out = [get(t) for t in tokens]
        if None in out:
            out = [v if v is not None else self.token_id(t) for v, t in zip(out, tokens, strict=True)]
        return np.array(out, dtype=np.uint64)


def shingle_hashes(
    token_ids: NDArray[np.uint64], *, ngram_size: int, bits: Literal[32, 64] = 64
) -> NDArray[np.unsignedinteger]:
    """Return the distinct hashes of the ``ngram_size``-token shingles.

    A document shorter than ``ngram_size`` tokens gives one shingle of all its tokens;
    an empty one gives none.

    Parameters
    ----------
    token_ids : ndarray of uint64
        Token ids in document order (from :class:`TokenHasher`).
    ngram_size : int
        Tokens per shingle, >= 1.
    bits : {32, 64}
        Width of the hashes. 32 is what the ``affine32`` MinHash scheme hashes (the
        64-bit value folded, as :func:`minhash_signatures` does), at half the memory.

    Returns
    -------
    ndarray of uint64 or uint32
        Sorted, distinct shingle hashes.

    Examples
    --------
    >>> ids = TokenHasher().ids(["a", "b", "a", "b"])
    >>> len(shingle_hashes(ids, ngram_size=2))  # "a b", "b a"
    2
    """
    return shingle_hashes_many(token_ids, np.array([0, len(token_ids)]), ngram_size=ngram_size, bits=bits)[0]


def _window_hashes(token_ids: NDArray[np.uint64], n: int) -> NDArray[np.uint64]:
    """Hash of each run of ``n`` consecutive ids, one per start position."""
    count = len(token_ids) - n + 1
    h = token_ids[:count].copy()
    with np.errstate(over="ignore"):
        for i in range(1, n):
            h = _fmix64(h * _GOLDEN + token_ids[i : i + count])
    return h


def shingle_hashes_many(
    token_ids: NDArray[np.uint64], bounds: NDArray[np.int64], *, ngram_size: int, bits: Literal[32, 64] = 64
) -> list[NDArray[np.unsignedinteger]]:
    """:func:`shingle_hashes` of many documents whose ids are concatenated.

    The shingles of all documents are hashed in one pass over ``token_ids``; windows
    that run across a document boundary are computed and left out.

    Parameters
    ----------
    token_ids : ndarray of uint64
        The ids of all documents, one after another.
    bounds : ndarray of int
        Document ``k`` is ``token_ids[bounds[k]:bounds[k + 1]]``.
    ngram_size, bits
        As for :func:`shingle_hashes`.

    Returns
    -------
    list of ndarray
        ``shingle_hashes`` of each document.

    Examples
    --------
    >>> ids = TokenHasher().ids(["a", "b", "a", "b", "c"])
    >>> [len(s) for s in shingle_hashes_many(ids, np.array([0, 4, 5]), ngram_size=2)]
    [2, 1]
    """
    if ngram_size < 1:
        msg = f"ngram_size must be >= 1, got {ngram_size}"
        raise ConfigError(msg)
    empty = _EMPTY32 if bits == 32 else _EMPTY
    windows = _window_hashes(token_ids, ngram_size) if len(token_ids) >= ngram_size else _EMPTY
    every = _fold32(windows) if bits == 32 else windows
    out: list[NDArray[np.unsignedinteger]] = []
    edges = np.asarray(bounds).tolist()
    for a, b in pairwise(edges):
        if b - a >= ngram_size:
            out.append(sorted_distinct(every[a : b - ngram_size + 1]))
        elif b > a:
            # Shorter than one shingle: one shingle of all its tokens.
            short = _window_hashes(token_ids[a:b], b - a)
            out.append(_fold32(short) if bits == 32 else short)
        else:
            out.append(empty)
    return out


def _fold32(h: NDArray[np.unsignedinteger]) -> NDArray[np.uint32]:
    if h.dtype == np.uint32:
        return h
    return (h ^ (h >> _U64(32))).astype(np.uint32)


@lru_cache(maxsize=16)
def permutations(num_perm: int, seed: int, scheme: Scheme) -> tuple[NDArray[np.unsignedinteger], ...]:
    """Return datasketch's permutation parameters ``(a, b)`` for these settings.

    Examples
    --------
    >>> a, b = permutations(4, 1, "affine32")
    >>> a.dtype.name, bool((a % 2 == 1).all())
    ('uint32', True)
    """
    # datasketch's draw (MinHash._init_permutations), made here so that a run does not
    # import datasketch and SciPy with it: an odd multiplier and an offset per value.
    width, dtype = (32, np.uint32) if scheme == "affine32" else (64, np.uint64)
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << (width - 1), num_perm, dtype=dtype) * dtype(2) + dtype(1)
    b = gen.randint(0, 1 << width, num_perm, dtype=dtype)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def _input_hashes(shingles: NDArray[np.unsignedinteger], scheme: Scheme) -> NDArray[np.unsignedinteger]:
    """The value datasketch's ``hashfunc`` returns for each shingle, pre-mixed."""
    if scheme == "affine32":
        return _fmix32(_fold32(shingles))
    if shingles.dtype != np.uint64:
        msg = "the affine64 scheme needs 64-bit shingle hashes (shingle_hashes(..., bits=64))"
        raise ConfigError(msg)
    return _fmix64(shingles)


def minhash_signatures(
    shingle_sets: Sequence[NDArray[np.unsignedinteger]],
    *,
    num_perm: int = 128,
    seed: int = 1,
    scheme: Scheme = "affine32",
) -> NDArray[np.unsignedinteger]:
    """Compute the MinHash signatures of many shingle sets at once.

    Parameters
    ----------
    shingle_sets : sequence of ndarray of uint64
        One array of shingle hashes per document (:func:`shingle_hashes`).
    num_perm : int
        Signature length.
    seed : int
        datasketch permutation seed; the same on every worker.
    scheme : {"affine32", "affine64"}
        datasketch permutation scheme (uint32 or uint64 signatures).

    Returns
    -------
    ndarray, shape (n_documents, num_perm)
        Row ``i`` equals ``datasketch_minhash(shingle_sets[i], ...).hashvalues``.
        An empty set gives the scheme's maximum value everywhere, as datasketch does.

    Examples
    --------
    >>> ids = TokenHasher().ids(["社区", "开展", "垃圾", "分类"])
    >>> sig = minhash_signatures([shingle_hashes(ids, ngram_size=2)], num_perm=8, seed=1)
    >>> sig.shape, sig.dtype.name
    ((1, 8), 'uint32')
    >>> bool((sig[0] == datasketch_minhash(shingle_hashes(ids, ngram_size=2), num_perm=8).hashvalues).all())
    True
    """
    if scheme not in ("affine32", "affine64"):
        msg = f"scheme must be 'affine32' or 'affine64', got {scheme!r}"
        raise ConfigError(msg)
    a, b = permutations(num_perm, seed, scheme)
    dtype = np.uint32 if scheme == "affine32" else np.uint64
    n_docs = len(shingle_sets)
    out = np.full((n_docs, num_perm), np.iinfo(dtype).max, dtype=dtype)
    if n_docs == 0:
        return out
    lengths = np.fromiter((len(s) for s in shingle_sets), dtype=np.int64, count=n_docs)
    # Process documents in groups whose shingles fit one chunk; a huge document is
    # processed alone, in slices.
    start_doc = 0
    while start_doc < n_docs:
        end_doc = start_doc
        rows = 0
        while end_doc < n_docs and (rows == 0 or rows + lengths[end_doc] <= _CHUNK_ROWS):
            rows += int(lengths[end_doc])
            end_doc += 1
        group = [s for s in shingle_sets[start_doc:end_doc]]
        group_lengths = lengths[start_doc:end_doc]
        nonempty = group_lengths > 0
        if nonempty.any():
            hv = _input_hashes(np.concatenate([g for g in group if len(g)]), scheme)
            with np.errstate(over="ignore"):
                # Permutation-major layout (num_perm, rows): the min-reduction then runs
                # over contiguous memory, ~10x faster than the row-major broadcast.
                if len(hv) <= _CHUNK_ROWS:
                    phv = np.multiply.outer(a, hv)
                    phv += b[:, None]
                    offsets = np.concatenate(([0], np.cumsum(group_lengths[nonempty])[:-1]))
                    mins = np.minimum.reduceat(phv, offsets, axis=1).T
                else:  # a single document larger than a chunk
                    mins = np.full((1, num_perm), np.iinfo(dtype).max, dtype=dtype)
                    for s in range(0, len(hv), _CHUNK_ROWS):
                        part = np.multiply.outer(a, hv[s : s + _CHUNK_ROWS])
                        part += b[:, None]
                        mins = np.minimum(mins, part.min(axis=1)[None, :])
            out[start_doc:end_doc][nonempty] = mins
        start_doc = end_doc
    return out


def datasketch_minhash(
    shingles: NDArray[np.unsignedinteger], *, num_perm: int = 128, seed: int = 1, scheme: Scheme = "affine32"
) -> object:
    """Build the same signature with datasketch itself (slow; for checks and interop).

    Returns
    -------
    datasketch.MinHash
        Updated with ``shingles`` through a ``hashfunc`` that gives each shingle the
        value :func:`minhash_signatures` uses.
    """
    from datasketch import MinHash

    def hashfunc(value: int) -> int:
        v = int(value)
        return ((v ^ (v >> 32)) & 0xFFFFFFFF) if scheme == "affine32" else v

    m = MinHash(num_perm=num_perm, seed=seed, scheme=scheme, hashfunc=hashfunc)
    m.update_batch([int(s) for s in shingles])
    return m


def to_lean_minhash(signature: NDArray[np.unsignedinteger], *, seed: int, scheme: Scheme) -> object:
    """Wrap one signature row as a ``datasketch.LeanMinHash`` (for ``MinHashLSH``).

    Examples
    --------
    >>> sig = minhash_signatures([np.array([1, 2, 3], dtype=np.uint64)], num_perm=16)
    >>> to_lean_minhash(sig[0], seed=1, scheme="affine32").scheme
    'affine32'
    """
    from datasketch import LeanMinHash

    return LeanMinHash(seed=seed, hashvalues=signature, scheme=scheme)


def sentence_hashes(features: Features, *, min_words: int) -> NDArray[np.uint64]:
    """Distinct 64-bit hashes of a post's sentences of at least ``min_words`` content words.

    A sentence is a span of :attr:`~dedup.features.Features.sequence` between sentence
    starts; its hash depends on its words and their order. Two posts holding one long
    sentence word for word (an excerpt, a truncated copy with sentences dropped) share
    its hash wherever it stands in either.

    Examples
    --------
    >>> from dedup import Article, DedupConfig
    >>> from dedup.features import FeatureExtractor
    >>> fx = FeatureExtractor(DedupConfig())
    >>> long = "荷叶塘社区志愿者在文化广场向过往居民讲解垃圾分类知识并发放宣传资料。"
    >>> a = fx.extract(Article(id="a", text="今天天气晴。" + long), position=0)
    >>> b = fx.extract(Article(id="b", text=long + "活动持续了两个小时，居民纷纷点赞。"), position=1)
    >>> ha, hb = sentence_hashes(a, min_words=8), sentence_hashes(b, min_words=8)
    >>> len(ha), len(hb), len(set(ha.tolist()) & set(hb.tolist()))
    (1, 1, 1)
    """
    return sorted_distinct(sentence_hashes_many([features], min_words=min_words)[0])


def sentence_hashes_many(feats: Sequence[Features], *, min_words: int) -> list[NDArray[np.uint64]]:
    """:func:`sentence_hashes` of many posts at once, one array per post (a repeated sentence repeated).

    Each sentence's hash is its polynomial hash ``sum(w[i] * P**(i - start))`` modulo 2**64,
    read off prefix sums of the whole concatenation (``P`` is odd, so invertible modulo
    2**64), then mixed with the sentence's length: a few passes over the words, no
    per-sentence loop.
    """
    if not feats:
        return []
    sequences = [f.sequence for f in feats]
    words = np.concatenate(sequences).astype(_U64)
    # Every post's sentence edges in the concatenation: [0, *starts] per post.
    inner = [f.sentence_starts for f in feats]
    counts = np.fromiter(map(len, inner), dtype=np.int64, count=len(feats)) + 1
    offsets = np.zeros(len(feats) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, sequences), dtype=np.int64, count=len(feats)), out=offsets[1:])
    firsts = np.cumsum(counts) - counts
    edges = np.zeros(int(counts.sum()), dtype=np.int64)
    inside = np.ones(len(edges), dtype=bool)
    inside[firsts] = False
    edges[inside] = np.concatenate(inner)
    edges += np.repeat(offsets[:-1], counts)
    ends = np.empty_like(edges)
    ends[:-1] = edges[1:]
    ends[firsts + counts - 1] = offsets[1:]  # a post's last sentence runs to its end
    lengths = ends - edges
    kept = lengths >= min_words
    if not kept.any():
        return [_EMPTY] * len(feats)
    n = len(words)
    with np.errstate(over="ignore"):
        powers = np.ones(n + 1, dtype=_U64)  # P**i
        np.cumprod(np.full(n, _POLY, dtype=_U64), out=powers[1:])
        prefix = np.zeros(n + 1, dtype=_U64)
        np.cumsum((words + _U64(1)) * powers[:-1], out=prefix[1:])
        lo, hi = edges[kept], ends[kept]
        # (sum of w[i] * P**i over the sentence) * P**-lo: the same wherever the sentence stands.
        powers[1:] = np.cumprod(np.full(n, _POLY_INVERSE, dtype=_U64))  # now P**-i
        hashes = _fmix64(((prefix[hi] - prefix[lo]) * powers[lo]) ^ lengths[kept].astype(_U64))
    post = np.repeat(np.arange(len(feats)), counts)[kept]
    cuts = np.searchsorted(post, np.arange(len(feats) + 1)).tolist()
    return [hashes[cuts[k] : cuts[k + 1]] if cuts[k] < cuts[k + 1] else _EMPTY for k in range(len(feats))]


@dataclass(frozen=True, slots=True)
class Signatures:
    """MinHash signatures of a batch: whole posts, their long sentences, leads, and paragraph leads.

    Attributes
    ----------
    full : ndarray, shape (n, num_perm)
    sentences : ndarray, shape (n, params.sentence_bands)
        Of each post's long sentences (:func:`sentence_hashes`); a post without one has
        values of its own (its body's hash), shared only with identical bodies.
    lead : ndarray, shape (n, lead_perm)
    paragraphs : ndarray, shape (m, lead_perm)
        One row per paragraph lead, of the post at position ``owners[k]``.
    owners : ndarray of int64, shape (m,)
    """

    full: NDArray[np.unsignedinteger]
    sentences: NDArray[np.unsignedinteger]
    lead: NDArray[np.unsignedinteger]
    paragraphs: NDArray[np.unsignedinteger]
    owners: NDArray[np.int64]

    @staticmethod
    def join(parts: Sequence[Signatures]) -> Signatures:
        """The signatures of consecutive parts of a batch, as one."""
        return Signatures(
            full=np.concatenate([p.full for p in parts]),
            sentences=np.concatenate([p.sentences for p in parts]),
            lead=np.concatenate([p.lead for p in parts]),
            paragraphs=np.concatenate([p.paragraphs for p in parts]),
            owners=np.concatenate([p.owners for p in parts]),
        )


def _own_values(body_hash: bytes, n: int) -> NDArray[np.uint64]:
    """``n`` pseudo-random values of one body: a signature row shared by identical bodies only."""
    seed = _U64(int.from_bytes(body_hash[:8], "little"))
    with np.errstate(over="ignore"):
        return _fmix64(seed + (np.arange(1, n + 1, dtype=_U64) * _GOLDEN))


def sign(feats: Sequence[Features], config: DedupConfig) -> Signatures:
    """The signatures of posts' features: whole text, long sentences, lead and paragraph leads.

    Paragraph rows are owned by each post's ``position``; the sentence signatures have
    ``params.sentence_bands`` columns (none when it is 0).

    Examples
    --------
    >>> from dedup import Article, DedupConfig
    >>> from dedup.features import FeatureExtractor
    >>> config = DedupConfig()
    >>> f = FeatureExtractor(config).extract(Article(id="1", text="社区开展垃圾分类宣传活动。"), position=0)
    >>> sign([f], config).full.shape
    (1, 128)
    """
    kw: dict[str, Any] = {"seed": config.seed, "scheme": config.scheme}
    lead_perm = config.params.lead_perm
    paragraph_sets = [p for f in feats for p in f.paragraph_leads()]
    owners = np.repeat(
        np.fromiter((f.position for f in feats), dtype=np.int64, count=len(feats)),
        [len(f.paragraph_bounds) - 1 for f in feats],
    )
    p = config.params
    sentences = np.zeros((len(feats), 0), dtype=np.uint32 if config.scheme == "affine32" else np.uint64)
    if p.sentence_bands:
        sentence_sets = sentence_hashes_many(feats, min_words=p.sentence_band_words)
        sentences = minhash_signatures(sentence_sets, num_perm=p.sentence_bands, **kw)
        # A post without a long sentence: values of its own, not the empty set's
        # (which every such post would share), equal for identical bodies.
        for k in (k for k, hashes in enumerate(sentence_sets) if not len(hashes)):
            own = _own_values(feats[k].body_hash, p.sentence_bands)
            sentences[k] = own if sentences.dtype == np.uint64 else own >> _U64(32)
    return Signatures(
        full=minhash_signatures([f.shingles for f in feats], num_perm=config.num_perm, **kw),
        sentences=sentences,
        lead=minhash_signatures([f.lead for f in feats], num_perm=lead_perm, **kw),
        paragraphs=minhash_signatures(paragraph_sets, num_perm=lead_perm, **kw),
        owners=owners.astype(np.int64),
    )
