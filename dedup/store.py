"""A persistent index of published posts: add, query, remove; in memory, on disk or in Redis.

:class:`DedupIndex` answers, for one new post, what ``dedup check`` would answer for it
against everything already indexed: the same normalization (including the account
boilerplate learned from the indexed posts plus the query), the same candidates (the
full-text MinHash LSH, and leads against leads and paragraph leads), the same
verification and threshold. A query returns the verified pairs (:class:`IndexMatch`):
the indexed posts that are the same story as the query. Template pairs (same wording,
conflicting specifics: a different event) are left out unless asked for with
``templates=True``, when they come back with kind ``"template"``.

Where the index lives:

* in memory: ``DedupIndex(config)``; :meth:`DedupIndex.save` writes it to one file
  and :meth:`DedupIndex.load` reads it back;
* in Redis: ``DedupIndex.connect("redis://host:6379/0?index=news")``. Several worker
  processes share one index: one adds while the others query. The LSH indexes are
  datasketch's ``MinHashLSH`` with its Redis storage; features and articles are Redis
  hashes next to them, under the key prefix ``dedup:<index>:``.

File format (version :data:`FORMAT_VERSION`): a ZIP archive, like numpy's ``.npz``.
``manifest.json`` holds the format name and version, the dedup version that wrote it,
the config the index was built with (tokenizer, seed, hashing scheme, thresholds,
normalization, learned-boilerplate rule, LSH bands) and the number of posts.
``posts.jsonl`` holds one line per post: id, account and specifics. The other members
are numpy ``.npy`` arrays (never pickles): per-post lengths, word counts, digests, body
keys and flags; concatenated arrays with ``*_offsets`` (post ``i`` is
``values[offsets[i]:offsets[i+1]]``) of shingle, lead, word-sequence, paragraph-lead,
paragraph-bound and boilerplate-sentence hashes and of the articles (``docs``:
zlib-compressed UTF-8 JSON with title, text and published_at); and the LSH band keys of
the full texts, the leads and the paragraph leads. ZIP's CRC-32 of each member catches
corruption; a truncated file has no ZIP directory. Either gives an
:class:`~dedup.exceptions.IndexFileError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import math
import os
import re
import stat
import struct
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from numpy.typing import NDArray

from dedup import features as _features
from dedup.boilerplate import AccountBoilerplate, post_keys, strip_keys
from dedup.config import DedupConfig, NormalizeConfig
from dedup.exceptions import (
    ConfigError,
    DuplicateIdError,
    IndexConnectionError,
    IndexFileError,
    InputError,
    UnknownIdError,
)
from dedup.features import FeatureExtractor, Features
from dedup.index import lsh_params
from dedup.models import Article, Evidence, MatchKind
from dedup.pipeline import _LEAD_PERM  # the pipeline's lead signature length: must be the same
from dedup.signature import minhash_signatures
from dedup.verify import Passages, Verdict, build_evidence, compare

if TYPE_CHECKING:
    import redis

__all__ = ["FORMAT_VERSION", "DedupIndex", "IndexMatch"]

logger = logging.getLogger(__name__)

#: Version of the on-disk format (and of the Redis layout) this module writes.
FORMAT_VERSION = 1
_FORMAT_NAME = "dedup-index"
_REDIS_SCHEMES = ("redis", "rediss", "unix")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
# Articles processed per step of add(): each step is atomic and takes the lock once.
_CHUNK = 1000
_U64 = np.uint64
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_EMPTY_U64: NDArray[np.uint64] = np.zeros(0, dtype=np.uint64)
_EMPTY_I64: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
_SEP = "\x00"  # normalization removes control characters: never inside a specific
_ELIGIBLE = 1
_SENSITIVE = 2
# A save's temporary file unwritten for this long, and not locked, is a killed save's leftover.
_STALE_TEMP_AGE = 60.0

# The options a query's answer depends on; any difference from the recorded value is an error.
_RECORDED = (
    "tokenizer",
    "seed",
    "scheme",
    "num_perm",
    "ngram_size",
    "threshold",
    "lsh_threshold",
    "lead_threshold",
    "min_length",
    "cross_account_only",
    "learn_boilerplate",
    "user_dict",
)


# ---------------------------------------------------------------------------
# results


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexMatch:
    """An indexed post that a query matched.

    Parameters
    ----------
    id : str
        The indexed post's id.
    score : float
        Pair score in [0, 1] (as in ``dedup check``).
    kind : MatchKind
        ``exact``, ``near``, ``contained`` or ``rewritten``; ``template`` only when a
        query asked for template pairs.
    account : str
        The indexed post's account.
    evidence : Evidence, optional
        Shared passages and specifics; ``a`` is the query, ``b`` the indexed post.
    """

    id: str
    score: float
    kind: MatchKind
    account: str = ""
    evidence: Evidence | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``id``, ``score``, ``kind`` and, when present, ``evidence``)."""
        d: dict[str, Any] = {"id": self.id, "score": round(self.score, 4), "kind": self.kind}
        if self.evidence is not None:
            d["evidence"] = self.evidence.to_dict()
        return d


# ---------------------------------------------------------------------------
# config record


@dataclass(frozen=True, slots=True)
class _Bands:
    """LSH bands ``(b, r)``: of whole posts, and of leads and paragraph leads."""

    full: tuple[int, int]
    lead: tuple[int, int]


def _user_dict_digest(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        msg = f"user_dict {path!r} cannot be read: {exc.strerror}"
        raise ConfigError(msg) from None


def _lsh_bands(config: DedupConfig) -> _Bands:
    """Return the bands ``dedup check`` uses for this config (datasketch's choice)."""
    return _Bands(
        full=lsh_params(config.lsh_threshold, config.num_perm),
        lead=lsh_params(config.lead_threshold, _LEAD_PERM),
    )


def _config_record(config: DedupConfig, bands: _Bands) -> dict[str, Any]:
    """Record the config: everything a query's answer depends on."""
    rec: dict[str, Any] = {name: getattr(config, name) for name in _RECORDED}
    rec["user_dict_sha256"] = _user_dict_digest(config.user_dict)
    norm = config.normalize
    rec["normalize"] = {f.name: list(v) if isinstance(v := getattr(norm, f.name), tuple) else v for f in fields(norm)}
    bp = AccountBoilerplate()
    rec["boilerplate"] = {"min_posts": bp.min_posts, "min_share": bp.min_share}
    rec["features"] = {
        "lead_words": _features.LEAD_WORDS,
        "min_paragraph_words": _features.MIN_PARAGRAPH_WORDS,
        "max_paragraphs": _features.MAX_PARAGRAPHS,
        "lead_perm": _LEAD_PERM,
    }
    rec["lsh_bands"] = list(bands.full)
    rec["lead_bands"] = list(bands.lead)
    return rec


def _bands_of(rec: dict[str, Any]) -> _Bands:
    return _Bands(
        full=(int(rec["lsh_bands"][0]), int(rec["lsh_bands"][1])),
        lead=(int(rec["lead_bands"][0]), int(rec["lead_bands"][1])),
    )


def _config_from_record(rec: dict[str, Any], base: DedupConfig | None) -> DedupConfig:
    options = {name: rec[name] for name in _RECORDED}
    norm = dict(rec["normalize"])
    norm["extra_boilerplate"] = tuple(norm.get("extra_boilerplate", ()))
    options["normalize"] = NormalizeConfig(**norm)
    if base is not None:  # options that do not change answers come from the caller
        for name in ("backend", "cache_dir", "workers", "evidence", "max_length"):
            options[name] = getattr(base, name)
    return DedupConfig(**options)


def _check_record(recorded: dict[str, Any], wanted: dict[str, Any], where: str) -> None:
    diffs = [
        f"{key}: index has {recorded.get(key)!r}, requested {wanted.get(key)!r}"
        for key in sorted(set(recorded) | set(wanted))
        if recorded.get(key) != wanted.get(key)
    ]
    if diffs:
        msg = f"{where} was built with a different config ({'; '.join(diffs)})"
        raise ConfigError(msg)


# ---------------------------------------------------------------------------
# hashing helpers


def _mix64(h: NDArray[np.uint64]) -> NDArray[np.uint64]:
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xFF51AFD7ED558CCD)
    h = h ^ (h >> _U64(33))
    h = h * _U64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> _U64(33))


def _band_keys(signatures: NDArray[np.unsignedinteger], *, b: int, r: int) -> NDArray[np.uint64]:
    """One 64-bit key per LSH band and row: equal keys for equal bands (datasketch's buckets).

    With one row per band, or two rows of 32 bits, the key is the band itself, so
    collisions are exactly datasketch's; otherwise it is a 64-bit mix of the band
    (two different bands then share a key with probability ~2**-64, which only adds a
    candidate for verification to reject).
    """
    n = signatures.shape[0]
    s = signatures[:, : b * r].reshape(n, b, r)
    if r == 1:
        return np.ascontiguousarray(s[:, :, 0].astype(np.uint64))
    if r == 2 and signatures.dtype == np.uint32:
        return np.ascontiguousarray((s[:, :, 0].astype(np.uint64) << _U64(32)) | s[:, :, 1].astype(np.uint64))
    h = s[:, :, 0].astype(np.uint64)
    with np.errstate(over="ignore"):
        for j in range(1, r):
            h = _mix64(h * _GOLDEN + s[:, :, j].astype(np.uint64))
    return np.ascontiguousarray(h)


def _bytes(value: Any) -> bytes:
    """Return a Redis reply as bytes (the client is created without ``decode_responses``)."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


def _text(value: Any) -> str:
    return _bytes(value).decode("utf-8", "surrogatepass")


def _account_key(account: str) -> str:
    return hashlib.blake2b(account.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def _u8(key: int) -> bytes:
    return int(key).to_bytes(8, "little")


# ---------------------------------------------------------------------------
# stored records


@dataclass(slots=True)
class _Sigs:
    """MinHash signatures of one post: whole text, lead, paragraph leads (one row each)."""

    full: NDArray[Any]
    lead: NDArray[Any]
    paras: NDArray[Any]


@dataclass(slots=True)
class _Keys:
    """LSH band keys of one post (see :func:`_band_keys`)."""

    full: NDArray[np.uint64]
    lead: NDArray[np.uint64]
    paras: NDArray[np.uint64]  # (paragraphs, lead bands)

    def collides(self, other: _Keys) -> bool:
        """Tell whether ``dedup check`` makes the two posts a candidate pair.

        Whole texts in one band, or a lead with the other's lead or one of its
        paragraph leads (two paragraph leads alone do not count).
        """
        if (self.full == other.full).any() or (self.lead == other.lead).any():
            return True
        if len(other.paras) and (other.paras == self.lead[None, :]).any(axis=1).any():
            return True
        return bool(len(self.paras) and (self.paras == other.lead[None, :]).any(axis=1).any())


@dataclass(slots=True)
class _Record:
    """One indexed post: its features and (compressed) article."""

    id: str
    account: str
    length: int
    n_words: int
    digest: bytes
    shingles: NDArray[Any]
    lead: NDArray[Any]
    sequence: NDArray[np.uint32]
    specifics: str  # sorted, joined with NUL (one string: far smaller than a set of strings)
    paragraphs: NDArray[Any]
    paragraph_bounds: NDArray[np.uint32]
    sentences: NDArray[np.uint64]  # sorted boilerplate sentence keys of the body
    body_key: int  # key of the whole normalized body (identical posts learn once)
    flags: int
    doc: bytes  # zlib-compressed JSON: title, text, published_at

    @property
    def eligible(self) -> bool:
        return bool(self.flags & _ELIGIBLE)

    @property
    def sensitive(self) -> bool:
        return bool(self.flags & _SENSITIVE)

    @property
    def n_paragraphs(self) -> int:
        return max(len(self.paragraph_bounds) - 1, 0)

    def specifics_tuple(self) -> tuple[str, ...]:
        return tuple(self.specifics.split(_SEP)) if self.specifics else ()

    def features(self) -> Features:
        return Features(
            index=0,
            id=self.id,
            account=self.account,
            length=self.length,
            n_words=self.n_words,
            digest=self.digest,
            shingles=self.shingles,
            lead=self.lead,
            specifics=self.specifics_tuple(),
            sequence=self.sequence,
            paragraphs=self.paragraphs,
            paragraph_bounds=self.paragraph_bounds,
        )

    def paragraph_leads(self) -> list[NDArray[Any]]:
        b = self.paragraph_bounds.tolist()
        return [self.paragraphs[b[k] : b[k + 1]] for k in range(len(b) - 1)]

    def article(self) -> Article:
        return _article_from_doc(self.id, self.account, self.doc)


def _doc_bytes(article: Article) -> bytes:
    doc = {
        "title": article.title,
        "text": article.text,
        "published_at": article.published_at.isoformat() if article.published_at else None,
    }
    return zlib.compress(json.dumps(doc, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def _article_from_doc(id_: str, account: str, doc: bytes) -> Article:
    d = json.loads(zlib.decompress(doc).decode("utf-8", "surrogatepass"))
    when = d.get("published_at")
    return Article(
        id=id_,
        text=d["text"],
        title=d.get("title", ""),
        account=account,
        published_at=datetime.fromisoformat(when) if when else None,
    )


_BLOB_MAGIC = b"DXR2"
# magic, length, n_words, shingles, lead, sequence, paragraphs, bounds, sentences,
# flags, hash width (4 or 8 bytes), digest, body key
_BLOB_HEAD = struct.Struct("<4sIIIIIIIIBB16sQ")


def _pack_record(rec: _Record) -> bytes:
    """Binary form of a record's features (Redis values): fixed header, arrays, JSON tail."""
    width = rec.shingles.dtype.itemsize if len(rec.shingles) else (8 if rec.lead.dtype.itemsize == 8 else 4)
    hashes = f"<u{width}"
    tail = json.dumps({"account": rec.account, "specifics": list(rec.specifics_tuple())}, ensure_ascii=False)
    head = _BLOB_HEAD.pack(
        _BLOB_MAGIC,
        rec.length,
        rec.n_words,
        len(rec.shingles),
        len(rec.lead),
        len(rec.sequence),
        len(rec.paragraphs),
        len(rec.paragraph_bounds),
        len(rec.sentences),
        rec.flags,
        width,
        rec.digest,
        rec.body_key,
    )
    return b"".join(
        (
            head,
            rec.shingles.astype(hashes).tobytes(),
            rec.lead.astype(hashes).tobytes(),
            rec.sequence.astype("<u4").tobytes(),
            rec.paragraphs.astype(hashes).tobytes(),
            rec.paragraph_bounds.astype("<u4").tobytes(),
            rec.sentences.astype("<u8").tobytes(),
            tail.encode("utf-8", "surrogatepass"),
        )
    )


def _unpack_record(id_: str, blob: bytes, doc: bytes = b"") -> _Record:
    if len(blob) < _BLOB_HEAD.size or blob[:4] != _BLOB_MAGIC:
        msg = f"stored features of {id_!r} are not in this dedup's format"
        raise IndexFileError(msg)
    _, length, n_words, ns, nl, nq, npar, nb, nt, flags, width, digest, body_key = _BLOB_HEAD.unpack_from(blob)
    pos = _BLOB_HEAD.size

    def take(count: int, dtype: str) -> NDArray[Any]:
        nonlocal pos
        arr = np.frombuffer(blob, dtype=dtype, count=count, offset=pos)
        pos += count * np.dtype(dtype).itemsize
        return arr.astype(dtype[1:])

    hashes = f"<u{width}"
    try:
        shingles = take(ns, hashes)
        lead = take(nl, hashes)
        sequence = take(nq, "<u4")
        paragraphs = take(npar, hashes)
        bounds = take(nb, "<u4")
        sentences = take(nt, "<u8")
        tail = json.loads(blob[pos:].decode("utf-8", "surrogatepass"))
    except (ValueError, UnicodeDecodeError, TypeError) as exc:
        msg = f"stored features of {id_!r} are corrupted ({exc})"
        raise IndexFileError(msg) from None
    return _Record(
        id=id_,
        account=sys.intern(tail["account"]),
        length=length,
        n_words=n_words,
        digest=digest,
        shingles=shingles,
        lead=lead,
        sequence=sequence,
        specifics=_SEP.join(tail["specifics"]),
        paragraphs=paragraphs,
        paragraph_bounds=bounds,
        sentences=sentences,
        body_key=body_key,
        flags=flags,
        doc=doc,
    )


# ---------------------------------------------------------------------------
# LSH bands in sorted numpy arrays (the in-memory backend)


class _BandTable:
    """MinHash LSH buckets as sorted arrays of band keys: one row of ``b`` keys per slot.

    A query returns the slots sharing at least one band key with it, exactly the keys
    datasketch's ``MinHashLSH`` would return for the same signatures and ``(b, r)``,
    at a small fraction of its memory. Slots added since the last rebuild are scanned
    directly; removed slots are masked out and dropped at the next rebuild.
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
        for s in slots:
            if s < len(self._live):
                self._live[s] = False

    def rows(self, slots: NDArray[np.int64]) -> NDArray[np.uint64]:
        return self._rows[slots]

    def rebuild(self) -> None:
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
        """Slots sharing a band key with ``keys``: one row of ``b`` keys, or several rows."""
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


@dataclass(slots=True)
class _AccountSentences:
    """Boilerplate statistics of one account.

    Identical posts of an account count once (as in ``dedup check``): ``bodies`` maps a
    body key to the ids of the posts with that body, and the sentence multiset holds
    one entry per (distinct body, sentence), owned by the body key.
    """

    bodies: dict[int, set[str]] = field(default_factory=dict)
    sensitive: set[str] = field(default_factory=set)
    sentences: NDArray[np.uint64] = field(default_factory=lambda: _EMPTY_U64)  # sorted
    owners: NDArray[np.uint64] = field(default_factory=lambda: _EMPTY_U64)  # body key of each entry
    learned: int = 0

    def counts(self, hashes: NDArray[np.uint64]) -> NDArray[np.int64]:
        left = np.searchsorted(self.sentences, hashes, side="left")
        right = np.searchsorted(self.sentences, hashes, side="right")
        return (right - left).astype(np.int64)


@dataclass(slots=True)
class _BpState:
    """An account's boilerplate figures as stored (before a change)."""

    posts: int  # distinct bodies
    learned: int  # learned sentences
    counts: dict[int, int]  # posts containing each asked sentence
    copies: dict[int, int]  # posts with each asked body


# ---------------------------------------------------------------------------
# backends


class _Backend(Protocol):
    """Storage of an index: records, LSH and boilerplate statistics."""

    location: str
    kind: str

    def load_meta(self) -> dict[str, Any] | None: ...
    def store_meta(self, meta: dict[str, Any]) -> dict[str, Any]: ...
    def setup(self, config: DedupConfig, bands: _Bands) -> None: ...
    def writing(self) -> contextlib.AbstractContextManager[None]: ...
    def errors(self) -> contextlib.AbstractContextManager[None]: ...
    def count(self) -> int: ...
    def contains(self, ids: Sequence[str]) -> list[bool]: ...
    def records(self, ids: Sequence[str], *, docs: bool = False) -> list[_Record | None]: ...
    def docs(self, ids: Sequence[str]) -> list[bytes | None]: ...
    def candidates(self, sigs: _Sigs, keys: _Keys) -> set[str]: ...
    def bp_state(self, account: str, hashes: Sequence[int], bodies: Sequence[int]) -> _BpState: ...
    def bp_count_range(self, account: str, lo: int, hi: int) -> NDArray[np.uint64]: ...
    def bp_posts_with(self, account: str, hashes: NDArray[np.uint64]) -> set[str]: ...
    def bp_sensitive(self, account: str) -> set[str]: ...
    def write(
        self,
        *,
        insert: Sequence[tuple[_Record, _Sigs, _Keys]],
        replace: Sequence[tuple[_Record, _Sigs, _Keys]],
        delete: Sequence[_Record],
        changes: Sequence[_Change],
    ) -> None: ...
    def snapshot(self) -> Iterator[_Record]: ...
    def band_rows(self, records: Sequence[_Record]) -> list[_Keys] | None: ...
    def accounts(self) -> int: ...
    def clear(self) -> None: ...
    def close(self) -> None: ...


class _MemoryBackend:
    """Everything in this process: records in a dict, LSH in :class:`_BandTable`.

    Three tables share the slot numbering of posts: whole texts and leads (one row
    per post), and paragraph leads (one row per paragraph, with its post's slot).
    """

    kind = "memory"

    def __init__(self, location: str = "memory") -> None:
        self.location = location
        self._meta: dict[str, Any] | None = None
        self._records: dict[str, _Record] = {}
        self._accounts: dict[str, _AccountSentences] = {}
        self._bands = _Bands((1, 1), (1, 1))
        self._reset_tables()

    def _reset_tables(self) -> None:
        self._full = _BandTable(self._bands.full[0])
        self._lead = _BandTable(self._bands.lead[0])
        self._para = _BandTable(self._bands.lead[0])
        self._slot_of: dict[str, int] = {}
        self._slot_ids: list[str | None] = []
        self._para_owner = array("q")  # paragraph slot -> post slot
        self._para_owner_array: NDArray[np.int64] | None = None
        self._paras_of: dict[int, range] = {}  # post slot -> its paragraph slots

    # -- setup -------------------------------------------------------------------
    def load_meta(self) -> dict[str, Any] | None:
        return self._meta

    def store_meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        self._meta = meta
        return meta

    def setup(self, config: DedupConfig, bands: _Bands) -> None:
        self._bands = bands
        self._reset_tables()

    def writing(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def errors(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def close(self) -> None:
        pass

    # -- reads -------------------------------------------------------------------
    def count(self) -> int:
        return len(self._records)

    def accounts(self) -> int:
        return len({r.account for r in self._records.values()})

    def contains(self, ids: Sequence[str]) -> list[bool]:
        return [i in self._records for i in ids]

    def records(self, ids: Sequence[str], *, docs: bool = False) -> list[_Record | None]:
        return [self._records.get(i) for i in ids]

    def docs(self, ids: Sequence[str]) -> list[bytes | None]:
        out = []
        for i in ids:
            rec = self._records.get(i)
            out.append(rec.doc if rec is not None else None)
        return out

    def candidates(self, sigs: _Sigs, keys: _Keys) -> set[str]:
        found = [self._full.query(keys.full), self._lead.query(keys.lead)]
        paras = self._para.query(keys.lead)
        if len(paras):
            if self._para_owner_array is None or len(self._para_owner_array) != len(self._para_owner):
                self._para_owner_array = np.array(self._para_owner, dtype=np.int64)
            found.append(self._para_owner_array[paras])
        if len(keys.paras):
            found.append(self._lead.query(keys.paras))
        out = set()
        for s in np.unique(np.concatenate(found)).tolist():
            key = self._slot_ids[s]
            if key is not None:
                out.add(key)
        return out

    def bp_state(self, account: str, hashes: Sequence[int], bodies: Sequence[int]) -> _BpState:
        acc = self._accounts.get(account)
        if acc is None:
            return _BpState(0, 0, dict.fromkeys(hashes, 0), dict.fromkeys(bodies, 0))
        counts = acc.counts(np.asarray(hashes, dtype=np.uint64)).tolist() if len(hashes) else []
        return _BpState(
            posts=len(acc.bodies),
            learned=acc.learned,
            counts=dict(zip(hashes, counts, strict=True)),
            copies={b: len(acc.bodies.get(b, ())) for b in bodies},
        )

    def bp_count_range(self, account: str, lo: int, hi: int) -> NDArray[np.uint64]:
        acc = self._accounts.get(account)
        if acc is None or not len(acc.sentences):
            return _EMPTY_U64
        values, counts = np.unique(acc.sentences, return_counts=True)
        return values[(counts >= lo) & (counts < hi)]

    def bp_posts_with(self, account: str, hashes: NDArray[np.uint64]) -> set[str]:
        acc = self._accounts.get(account)
        if acc is None or not len(hashes):
            return set()
        out: set[str] = set()
        for body in np.unique(acc.owners[np.isin(acc.sentences, hashes)]).tolist():
            out |= acc.bodies.get(body, set())
        return out

    def bp_sensitive(self, account: str) -> set[str]:
        acc = self._accounts.get(account)
        return set(acc.sensitive) if acc is not None else set()

    def band_rows(self, records: Sequence[_Record]) -> list[_Keys] | None:
        out = []
        empty = np.zeros((0, self._bands.lead[0]), dtype=np.uint64)
        for rec in records:
            slot = self._slot_of.get(rec.id)
            if slot is None:
                out.append(
                    _Keys(
                        np.zeros(self._bands.full[0], dtype=np.uint64),
                        np.zeros(self._bands.lead[0], dtype=np.uint64),
                        empty,
                    )
                )
                continue
            one = np.array([slot], dtype=np.int64)
            paras = np.asarray(self._paras_of[slot], dtype=np.int64)
            out.append(_Keys(self._full.rows(one)[0], self._lead.rows(one)[0], self._para.rows(paras)))
        return out

    def snapshot(self) -> Iterator[_Record]:
        yield from list(self._records.values())

    # -- writes ------------------------------------------------------------------
    def _unindex(self, rec: _Record) -> None:
        slot = self._slot_of.pop(rec.id, None)
        if slot is not None:
            self._full.drop([slot])
            self._lead.drop([slot])
            self._para.drop(self._paras_of.pop(slot, range(0)))
            self._slot_ids[slot] = None

    def _bp_remove(self, rec: _Record) -> None:
        acc = self._accounts.get(rec.account)
        if acc is None:
            return
        acc.sensitive.discard(rec.id)
        same = acc.bodies.get(rec.body_key)
        if same is not None:
            same.discard(rec.id)
            if not same:
                del acc.bodies[rec.body_key]
                keep = acc.owners != np.uint64(rec.body_key)
                acc.sentences, acc.owners = acc.sentences[keep], acc.owners[keep]
        if not acc.bodies:
            del self._accounts[rec.account]

    def _bp_add(self, recs: Sequence[_Record]) -> None:
        by_account: dict[str, list[_Record]] = {}
        for rec in recs:
            if rec.account:
                by_account.setdefault(rec.account, []).append(rec)
        for account, group in by_account.items():
            acc = self._accounts.get(account)
            if acc is None:
                acc = self._accounts[account] = _AccountSentences()
            parts, owners = [acc.sentences], [acc.owners]
            for rec in group:
                if rec.sensitive:
                    acc.sensitive.add(rec.id)
                same = acc.bodies.setdefault(rec.body_key, set())
                if not same:  # a new body: its sentences count
                    parts.append(rec.sentences)
                    owners.append(np.full(len(rec.sentences), rec.body_key, dtype=np.uint64))
                same.add(rec.id)
            if len(parts) > 1:
                sentences = np.concatenate(parts)
                order = np.argsort(sentences, kind="stable")
                acc.sentences = sentences[order]
                acc.owners = np.concatenate(owners)[order]

    def _index(self, items: Sequence[tuple[_Record, _Keys]], *, rebuild: bool = True) -> None:
        eligible = [(rec, k) for rec, k in items if rec.eligible]
        if not eligible:
            return
        start = len(self._slot_ids)
        slots = np.arange(start, start + len(eligible), dtype=np.int64)
        para_rows: list[NDArray[np.uint64]] = []
        para_slots: list[int] = []
        for slot, (rec, k) in zip(slots.tolist(), eligible, strict=True):
            self._slot_of[rec.id] = slot
            self._slot_ids.append(rec.id)
            first = len(self._para_owner)
            self._para_owner.extend([slot] * len(k.paras))
            self._paras_of[slot] = range(first, first + len(k.paras))
            para_slots.extend(self._paras_of[slot])
            para_rows.append(k.paras)
        self._full.put(slots, np.stack([k.full for _, k in eligible]), rebuild=rebuild)
        self._lead.put(slots, np.stack([k.lead for _, k in eligible]), rebuild=rebuild)
        if para_slots:
            self._para.put(np.asarray(para_slots, dtype=np.int64), np.concatenate(para_rows), rebuild=rebuild)

    def write(
        self,
        *,
        insert: Sequence[tuple[_Record, _Sigs, _Keys]],
        replace: Sequence[tuple[_Record, _Sigs, _Keys]],
        delete: Sequence[_Record],
        changes: Sequence[_Change],
    ) -> None:
        for rec in delete:
            self._unindex(rec)
            self._bp_remove(rec)
            del self._records[rec.id]
        for rec, _, _ in replace:
            self._unindex(self._records[rec.id])
            self._records[rec.id] = rec
        for rec, _, _ in insert:
            self._records[rec.id] = rec
        self._bp_add([rec for rec, _, _ in insert])
        for ch in changes:
            acc = self._accounts.get(ch.account)
            if acc is not None:
                acc.learned = ch.learned
        self._index([(rec, k) for rec, _, k in [*replace, *insert]])
        self._maybe_compact()

    def load_bulk(self, records: list[_Record], keys: list[_Keys]) -> None:
        """Fill an empty backend from a file (band keys already computed)."""
        self._records = {rec.id: rec for rec in records}
        self._bp_add(records)
        bp = AccountBoilerplate()
        for acc in self._accounts.values():
            _, counts = np.unique(acc.sentences, return_counts=True)
            acc.learned = int((counts >= bp.min_count(len(acc.bodies))).sum())
        self._index(list(zip(records, keys, strict=True)), rebuild=False)
        for table in (self._full, self._lead, self._para):
            table.rebuild()

    def _maybe_compact(self) -> None:
        live = len(self._slot_of)
        if len(self._slot_ids) <= 2 * live + 65536:
            return
        recs = [self._records[i] for i in self._slot_of]
        keys = self.band_rows(recs)
        assert keys is not None
        self._reset_tables()
        self._index(list(zip(recs, keys, strict=True)), rebuild=False)
        for table in (self._full, self._lead, self._para):
            table.rebuild()

    def clear(self) -> None:
        self._records = {}
        self._accounts = {}
        self._reset_tables()


class _RedisBackend:
    """A shared index in Redis: datasketch's Redis-backed MinHashLSH plus hashes of records.

    Keys, all under ``dedup:<index>:``: ``meta`` (JSON manifest), ``feat``, ``doc`` and
    ``sent`` (hashes id -> packed features / compressed article / boilerplate sentence
    keys), ``acct:learned`` (hash account -> learned sentence count), per account
    ``acct:<h>:ids`` and ``acct:<h>:sens`` (sets of ids), ``acct:<h>:bodies`` (hash body
    key -> posts with that body) and ``acct:<h>:sents`` (hash sentence key -> distinct
    bodies containing it), and three LSH indexes (datasketch ``basename``):
    ``lsh:full`` and ``lsh:lead`` keyed by id, ``lsh:para`` keyed by id, NUL and the
    paragraph's number. Writers serialize on the lock ``lock``; readers never block.
    """

    kind = "redis"

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError:  # pragma: no cover - the extra is installed in tests
            msg = "a redis:// index needs the redis package: pip install 'dedup[redis]'"
            raise ConfigError(msg) from None
        self._redis_mod = redis
        client_url, name, kwargs = _parse_redis_url(url)
        self.location = url
        self.name = name
        self.prefix = f"dedup:{name}:"
        self._kwargs = kwargs
        self._client: redis.Redis = redis.Redis.from_url(client_url)
        try:
            self._client.ping()
        except redis.RedisError as exc:
            self._client.close()
            msg = f"cannot reach Redis at {_redact(url)}: {exc}"
            raise IndexConnectionError(msg) from None
        self._config: DedupConfig | None = None
        self._lsh: dict[str, Any] = {}
        self._unreleased: Any = None  # this object's writer lock, if releasing it failed

    def _k(self, suffix: str) -> str:
        return self.prefix + suffix

    def _acct(self, account: str, what: str) -> str:
        return f"{self.prefix}acct:{_account_key(account)}:{what}"

    # -- setup -------------------------------------------------------------------
    def load_meta(self) -> dict[str, Any] | None:
        raw = self._client.get(self._k("meta"))
        if raw is None:
            return None
        try:
            meta = json.loads(_bytes(raw))
        except ValueError:
            msg = f"{_redact(self.location)}: the index manifest is not valid JSON"
            raise IndexFileError(msg) from None
        if not isinstance(meta, dict):
            msg = f"{_redact(self.location)}: the index manifest is not an object"
            raise IndexFileError(msg)
        return meta

    def store_meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        # SET NX: when two workers create one index at once, the first manifest wins.
        self._client.set(self._k("meta"), json.dumps(meta, ensure_ascii=False), nx=True)
        stored = self.load_meta()
        assert stored is not None
        return stored

    def setup(self, config: DedupConfig, bands: _Bands) -> None:
        from datasketch import MinHashLSH

        self._config = config
        # Buffered writes (insertion sessions) go out as plain pipelines: a query may see
        # part of an add either way, and MULTI/EXEC doubles the replies to parse.
        storage = {"type": "redis", "redis": dict(self._kwargs), "redis_buffer": {"transaction": False}}
        shapes = {
            "full": (config.lsh_threshold, config.num_perm, bands.full),
            "lead": (config.lead_threshold, _LEAD_PERM, bands.lead),
            "para": (config.lead_threshold, _LEAD_PERM, bands.lead),
        }
        self._lsh = {
            part: MinHashLSH(
                threshold=threshold,
                num_perm=num_perm,
                params=params,
                storage_config={**storage, "basename": self._k(f"lsh:{part}").encode()},
                prepickle=False,
            )
            for part, (threshold, num_perm, params) in shapes.items()
        }

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        lock = self._unreleased
        if lock is not None and lock.owned():
            # Still ours: a step's release failed (Redis went away and came back with
            # its data). Take it up again rather than wait up to 600 s for it to expire.
            lock.reacquire()
        else:
            # Not thread-local: the token must survive for the retry by another thread.
            lock = self._client.lock(self._k("lock"), timeout=600, blocking_timeout=600, thread_local=False)
            if not lock.acquire():
                msg = f"{_redact(self.location)}: another writer held the index lock for more than 600 s"
                raise IndexConnectionError(msg)
        self._unreleased = None
        try:
            self._check_present(bool(self._client.exists(self._k("meta"))))
            yield
        finally:
            token = lock.local.token  # release() forgets it even when it fails
            try:
                lock.release()
            except self._redis_mod.RedisError as exc:
                # The step is written, or the error that ended it is on its way up: never
                # mask that. The lock expires on its own, or this object takes it up again.
                lock.local.token = token
                self._unreleased = lock
                logger.warning("%s: could not release the writer lock: %s", _redact(self.location), exc)

    @contextlib.contextmanager
    def errors(self) -> Iterator[None]:
        """Turn the Redis client's errors into an :class:`IndexConnectionError` naming the server."""
        try:
            yield
        except self._redis_mod.RedisError as exc:
            where = _redact(self.location)
            detail = " ".join(str(exc).split()) or type(exc).__name__
            if isinstance(exc, (self._redis_mod.ConnectionError, self._redis_mod.TimeoutError)):
                msg = f"lost the connection to Redis at {where}: {detail}"
            else:
                msg = f"Redis at {where} failed: {detail}"
            raise IndexConnectionError(msg) from None

    def _check_present(self, present: bool) -> None:
        """Raise if the manifest is missing: the index was deleted, or Redis lost its data.

        Checked by every read that could otherwise answer "nothing" (count, membership,
        candidates, snapshot) and by every write step, in the same round trip where it
        can be: a server that restarted empty must not look like an empty index.
        """
        if not present:
            msg = (
                f"{_redact(self.location)}: the index is gone (its keys were deleted, "
                "or Redis restarted without its data)"
            )
            raise IndexFileError(msg)

    def close(self) -> None:
        self._client.close()

    # -- reads -------------------------------------------------------------------
    def count(self) -> int:
        pipe = self._client.pipeline(transaction=False)
        pipe.exists(self._k("meta"))
        pipe.hlen(self._k("feat"))
        present, n = pipe.execute()
        self._check_present(bool(present))
        return int(n)

    def accounts(self) -> int:
        return int(self._client.hlen(self._k("acct:learned")))

    def contains(self, ids: Sequence[str]) -> list[bool]:
        if not ids:
            return []
        pipe = self._client.pipeline(transaction=False)
        pipe.exists(self._k("meta"))
        for i in ids:
            pipe.hexists(self._k("feat"), i)
        present, *there = pipe.execute()
        self._check_present(bool(present))
        return [bool(x) for x in there]

    def records(self, ids: Sequence[str], *, docs: bool = False) -> list[_Record | None]:
        if not ids:
            return []
        blobs = self._client.hmget(self._k("feat"), list(ids))
        texts = self._client.hmget(self._k("doc"), list(ids)) if docs else [b""] * len(ids)
        out: list[_Record | None] = []
        for i, blob, doc in zip(ids, blobs, texts, strict=True):
            out.append(_unpack_record(i, _bytes(blob), _bytes(doc or b"")) if blob is not None else None)
        return out

    def docs(self, ids: Sequence[str]) -> list[bytes | None]:
        if not ids:
            return []
        return [_bytes(d) if d is not None else None for d in self._client.hmget(self._k("doc"), list(ids))]

    def _minhash(self, signature: NDArray[Any]) -> Any:
        from datasketch import LeanMinHash

        assert self._config is not None
        return LeanMinHash(seed=self._config.seed, hashvalues=signature, scheme=self._config.scheme)

    def candidates(self, sigs: _Sigs, keys: _Keys) -> set[str]:
        # What MinHashLSH.query reads (one SMEMBERS per band) for every lookup a query
        # makes, in one pipelined round trip instead of one round trip per band.
        pipe = self._client.pipeline(transaction=False)
        pipe.exists(self._k("meta"))
        lookups = [("full", sigs.full), ("lead", sigs.lead), ("para", sigs.lead)]
        lookups += [("lead", row) for row in sigs.paras]
        parts = []
        for part, sig in lookups:
            lsh = self._lsh[part]
            hashvalues = self._minhash(sig).hashvalues
            for (start, end), table in zip(lsh.hashranges, lsh.hashtables, strict=True):
                pipe.smembers(table.redis_key(lsh._H(hashvalues[start:end])))
                parts.append(part)
        present, *replies = pipe.execute()
        self._check_present(bool(present))
        out: set[str] = set()
        for part, members in zip(parts, replies, strict=True):
            for key in members:
                key = _bytes(key)
                out.add(_text(key.rsplit(b"\x00", 1)[0] if part == "para" else key))
        return out

    def bp_state(self, account: str, hashes: Sequence[int], bodies: Sequence[int]) -> _BpState:
        pipe = self._client.pipeline(transaction=False)
        pipe.hlen(self._acct(account, "bodies"))
        pipe.hget(self._k("acct:learned"), _account_key(account))
        if hashes:
            pipe.hmget(self._acct(account, "sents"), [_u8(h) for h in hashes])
        if bodies:
            pipe.hmget(self._acct(account, "bodies"), [_u8(b) for b in bodies])
        res = pipe.execute()
        counts = [int(c or 0) for c in res[2]] if hashes else []
        copies = [int(c or 0) for c in res[-1]] if bodies else []
        return _BpState(
            posts=int(res[0]),
            learned=int(res[1] or 0),
            counts=dict(zip(hashes, counts, strict=True)),
            copies=dict(zip(bodies, copies, strict=True)),
        )

    def bp_count_range(self, account: str, lo: int, hi: int) -> NDArray[np.uint64]:
        out = [
            int.from_bytes(_bytes(k), "little")
            for k, v in self._client.hgetall(self._acct(account, "sents")).items()
            if lo <= int(v) < hi
        ]
        return np.array(sorted(out), dtype=np.uint64)

    def bp_posts_with(self, account: str, hashes: NDArray[np.uint64]) -> set[str]:
        if not len(hashes):
            return set()
        ids = [_text(i) for i in self._client.smembers(self._acct(account, "ids"))]
        if not ids:
            return set()
        out = set()
        for id_, blob in zip(ids, self._client.hmget(self._k("sent"), ids), strict=True):
            if blob is not None and np.isin(np.frombuffer(_bytes(blob), dtype="<u8"), hashes).any():
                out.add(id_)
        return out

    def bp_sensitive(self, account: str) -> set[str]:
        return {_text(i) for i in self._client.smembers(self._acct(account, "sens"))}

    def band_rows(self, records: Sequence[_Record]) -> list[_Keys] | None:
        return None

    def snapshot(self) -> Iterator[_Record]:
        self._check_present(bool(self._client.exists(self._k("meta"))))
        batch: list[tuple[str, bytes]] = []
        for key, blob in self._client.hscan_iter(self._k("feat"), count=1000):
            batch.append((_text(key), _bytes(blob)))
            if len(batch) >= 1000:
                yield from self._with_docs(batch)
                batch = []
        yield from self._with_docs(batch)

    def _with_docs(self, batch: list[tuple[str, bytes]]) -> Iterator[_Record]:
        if not batch:
            return
        docs = self._client.hmget(self._k("doc"), [i for i, _ in batch])
        for (id_, blob), doc in zip(batch, docs, strict=True):
            if doc is not None:
                yield _unpack_record(id_, blob, _bytes(doc))

    # -- writes ------------------------------------------------------------------
    def write(
        self,
        *,
        insert: Sequence[tuple[_Record, _Sigs, _Keys]],
        replace: Sequence[tuple[_Record, _Sigs, _Keys]],
        delete: Sequence[_Record],
        changes: Sequence[_Change],
    ) -> None:
        # One step is one MULTI/EXEC transaction: Redis applies all of it, or (when the
        # connection, the server or this process goes away before EXEC) none of it. A
        # failed step thus never leaves posts counted but missing from the LSH buckets,
        # or old posts taken out of the buckets and not put back (a silently incomplete
        # index). Concurrent queries see the index before or after the step. What the
        # LSH removal must read (bucket of each band, bucket sizes) is read first: the
        # writer lock keeps it valid until EXEC. Every command is idempotent (absolute
        # values, sets, a list deleted before it is filled), as redis-py may send the
        # transaction again when the connection breaks while EXEC's reply is on its way.
        gone = [rec.id.encode("utf-8", "surrogatepass") for rec in [*delete, *(r for r, _, _ in replace)]]
        para_gone = [key + b"\x00%d" % k for key in gone for k in range(_features.MAX_PARAGRAPHS)]
        removals = [
            *self._lsh_removal(self._lsh["full"], gone),
            *self._lsh_removal(self._lsh["lead"], gone),
            *self._lsh_removal(self._lsh["para"], para_gone),
        ]
        pipe = self._client.pipeline(transaction=True)
        for command, args in removals:
            getattr(pipe, command)(*args)
        for rec in delete:
            pipe.hdel(self._k("feat"), rec.id)
            pipe.hdel(self._k("doc"), rec.id)
            pipe.hdel(self._k("sent"), rec.id)
            if rec.account:
                pipe.srem(self._acct(rec.account, "ids"), rec.id)
                pipe.srem(self._acct(rec.account, "sens"), rec.id)
        for rec, _, _ in replace:
            pipe.hset(self._k("feat"), rec.id, _pack_record(rec))
        for rec, _, _ in insert:
            pipe.hset(self._k("feat"), rec.id, _pack_record(rec))
            pipe.hset(self._k("doc"), rec.id, rec.doc)
            if rec.account:
                pipe.hset(self._k("sent"), rec.id, rec.sentences.astype("<u8").tobytes())
                pipe.sadd(self._acct(rec.account, "ids"), rec.id)
                if rec.sensitive:
                    pipe.sadd(self._acct(rec.account, "sens"), rec.id)
        # Boilerplate figures: the new values, computed under the writer lock.
        for ch in changes:
            for what, values in (("bodies", ch.copies_after), ("sents", ch.counts_after)):
                key = self._acct(ch.account, what)
                for k, v in values.items():
                    if v > 0:
                        pipe.hset(key, _u8(k), v)
                    else:
                        pipe.hdel(key, _u8(k))
            if ch.posts_after > 0:
                pipe.hset(self._k("acct:learned"), _account_key(ch.account), ch.learned)
            else:
                pipe.hdel(self._k("acct:learned"), _account_key(ch.account))
        for rec, sigs, _ in [*replace, *insert]:
            if not rec.eligible:
                continue
            id_key = rec.id.encode("utf-8", "surrogatepass")
            self._lsh_insert(pipe, self._lsh["full"], id_key, sigs.full)
            self._lsh_insert(pipe, self._lsh["lead"], id_key, sigs.lead)
            for k, row in enumerate(sigs.paras):
                self._lsh_insert(pipe, self._lsh["para"], id_key + b"\x00%d" % k, row)
        pipe.execute()

    def _lsh_insert(self, pipe: Any, lsh: Any, key: bytes, signature: NDArray[Any]) -> None:
        """Queue what ``MinHashLSH.insert`` writes to its Redis storage for one key.

        datasketch's layout: the key's list of band hashes (``<basename>_keys``, with
        its registry hash), and the key in the bucket set of each band (each band has a
        registry hash of its buckets).
        """
        hashvalues = self._minhash(signature).hashvalues
        hs = [lsh._H(hashvalues[start:end]) for start, end in lsh.hashranges]
        listed = lsh.keys.redis_key(key)
        pipe.hset(lsh.keys._name, key, listed)
        pipe.delete(listed)  # a repeated transaction must not list the bands twice
        pipe.rpush(listed, *hs)
        for h, table in zip(hs, lsh.hashtables, strict=True):
            bucket = table.redis_key(h)
            pipe.hset(table._name, h, bucket)
            pipe.sadd(bucket, key)

    def _lsh_removal(self, lsh: Any, keys: list[bytes]) -> list[tuple[str, tuple[Any, ...]]]:
        """Plan ``MinHashLSH.remove`` for many keys: read in two round trips, write later.

        The same changes datasketch makes (take the key out of its bucket in every band,
        drop buckets left empty from the band's registry, forget the key), as
        ``(pipeline method, arguments)`` to queue in the step's transaction; keys that
        are not indexed are skipped. A bucket is left empty when all its members are
        among the removed keys (read under the writer lock, so still true at EXEC).
        """
        if not keys:
            return []
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.lrange(lsh.keys.redis_key(key), 0, -1)
        bands = pipe.execute()
        ops: list[tuple[str, tuple[Any, ...]]] = []
        taken: Counter[tuple[int, bytes]] = Counter()
        for key, hs in zip(keys, bands, strict=True):
            for band, (h, table) in enumerate(zip(hs, lsh.hashtables, strict=False)):
                ops.append(("srem", (table.redis_key(h), key)))
                taken[band, h] += 1
        if taken:
            touched = list(taken)
            pipe = self._client.pipeline(transaction=False)
            for band, h in touched:
                pipe.scard(lsh.hashtables[band].redis_key(h))
            for (band, h), size in zip(touched, pipe.execute(), strict=True):
                if int(size) <= taken[band, h]:
                    table = lsh.hashtables[band]
                    ops.append(("hdel", (table._name, h)))  # the band's bucket registry
        present = [key for key, hs in zip(keys, bands, strict=True) if hs]
        if present:
            ops.append(("hdel", (lsh.keys._name, *present)))
            ops.append(("delete", tuple(lsh.keys.redis_key(key) for key in present)))
        return ops

    def clear(self) -> None:
        # The config stays, and so does the writer lock that this clear runs under.
        keep = {self._k("meta").encode(), self._k("lock").encode()}
        batch: list[bytes] = []
        for key in self._client.scan_iter(match=self.prefix + "*", count=1000):
            if _bytes(key) not in keep:
                batch.append(_bytes(key))
            if len(batch) >= 1000:
                self._client.delete(*batch)
                batch = []
        if batch:
            self._client.delete(*batch)


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def _parse_redis_url(url: str) -> tuple[str, str, dict[str, Any]]:
    """Split ``redis://...?index=NAME`` into a client URL, the index name and datasketch kwargs."""
    from redis.connection import parse_url

    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    names = [v for k, v in query if k == "index"]
    name = names[-1] if names else "dedup"
    if not _NAME_RE.match(name):
        msg = f"index name must be 1-64 letters, digits, '_', '.' or '-', got {name!r}"
        raise ConfigError(msg)
    client_url = urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in query if k != "index"])))
    try:
        kwargs: dict[str, Any] = parse_url(client_url)  # type: ignore[no-untyped-call]
    except ValueError as exc:
        msg = f"not a valid Redis URL {_redact(url)!r}: {exc}"
        raise ConfigError(msg) from None
    connection_class = kwargs.pop("connection_class", None)
    if connection_class is not None:
        if connection_class.__name__ == "SSLConnection":
            kwargs["ssl"] = True
        elif "path" in kwargs:
            kwargs["unix_socket_path"] = kwargs.pop("path")
    return client_url, name, kwargs


def is_redis_url(location: str | os.PathLike[str]) -> bool:
    """Tell whether ``location`` names a Redis index (``redis://``, ``rediss://``, ``unix://``).

    Examples
    --------
    >>> is_redis_url("redis://localhost:6379/0?index=news"), is_redis_url("posts.dedup")
    (True, False)
    """
    if not isinstance(location, str) or "://" not in location:
        return False
    return location.split("://", 1)[0].lower() in _REDIS_SCHEMES


# ---------------------------------------------------------------------------
# the index


@dataclass(slots=True)
class _Prepared:
    """An article normalized, with what learned boilerplate needs to know of it."""

    article: Article
    title: str
    body: str
    body_key: int
    sentences: NDArray[np.uint64]
    sensitive: bool


@dataclass(slots=True)
class _Change:
    """How one account's learned boilerplate changes when posts come and go.

    ``deltas`` are the changes in sentence counts; ``need`` the posts a sentence must
    then appear in; ``flipped`` the sentences already in the index whose status
    changes; ``before``/``after`` whether the account has any learned sentence;
    ``learned`` how many it has afterwards; ``counts_after``, ``copies_after`` and
    ``posts_after`` the stored figures afterwards (for the Redis backend).
    """

    account: str
    need: float
    deltas: Counter[int]
    flipped: NDArray[np.uint64]
    before: bool
    after: bool
    learned: int
    counts_after: dict[int, int]
    copies_after: dict[int, int]
    posts_after: int


class DedupIndex:
    r"""An index of published posts that new posts are checked against.

    Parameters
    ----------
    config : DedupConfig, optional
        Every option; recorded in saved files and in Redis, and checked when loading.

    Notes
    -----
    **What a query answers.** ``index.query(article)`` returns the indexed posts that
    ``dedup check`` run on *the indexed posts plus this article* pairs with it as one
    story: same normalization and learned account boilerplate, the same candidates
    (whole texts in the full-text LSH; leads against leads and paragraph leads), the
    same verification (score, kind) and threshold, ``min_length`` and
    ``cross_account_only``. These are verified pairs; the grouping step of
    ``dedup check`` (which may leave one of two conflicting pairs out of a story) is not
    applied, nor are its caps for huge batches (at most 100 candidates per post, 200
    posts per LSH bucket): a query checks every candidate. If the article's id is
    already indexed, the query stands for that post: it is compared with the *other*
    indexed posts. Posts of one query batch are not compared with each other.

    **Learned boilerplate.** Sentences recurring in many posts of one account are
    ignored, as in ``dedup check`` (identical posts of an account count once). Adding
    or removing posts can change what an account has learned; the affected indexed
    posts are then re-extracted, so the stored features always equal those
    ``dedup check`` would compute for the whole indexed set. A query whose own post
    would change what its account learned (say, the third post with a new footer)
    compares against those posts as re-extracted for it; such queries are slower, the
    index is not changed.

    **Threads.** Every method takes one lock, so an index object may be shared by
    threads: each ``add`` step (up to 1,000 articles), ``remove``, ``query`` and
    ``save`` sees and leaves the index in a consistent state, as if the calls ran one
    after another. A long ``add`` lets queries in between its steps.

    **Processes (Redis).** Writers (``add`` steps, ``remove``) of all processes take a
    lock in Redis and run one at a time. Queries never take the lock: a query that runs
    while another process adds may see some of that add's steps and not others. Each
    step is written as one Redis transaction (MULTI/EXEC), whole or not at all, even
    when Redis or the writer goes away; Redis answers queries before or after it (it
    runs a 1,000-post step in a few tenths of a second on loopback).

    **Faults.** When Redis cannot be reached, or goes away mid-run, every method raises
    :class:`~dedup.exceptions.IndexConnectionError` naming the server (an ``add``
    that fails after some steps says how many posts were added); an index whose keys
    are gone (say Redis restarted without its data) raises
    :class:`~dedup.exceptions.IndexFileError` rather than answering as if empty.

    Examples
    --------
    >>> from dedup import Article, DedupIndex
    >>> text = ("6月12日上午，荷叶塘社区在文化广场开展垃圾分类宣传活动，"
    ...         "志愿者向居民讲解分类知识，发放宣传资料200余份。")
    >>> index = DedupIndex()
    >>> index.add([Article(id="1", text=text, account="荷叶塘社区")])
    1
    >>> [(m.id, m.kind) for m in index.query(Article(id="2", text="关注我们\n" + text))]
    [('1', 'exact')]
    >>> index.remove(["1"]), len(index)
    (1, 0)
    """

    def __init__(self, config: DedupConfig | None = None) -> None:
        self._setup(_MemoryBackend(), config, create=True)

    def _setup(self, backend: _Backend, config: DedupConfig | None, *, create: bool) -> None:
        self._lock = threading.RLock()
        self._backend = backend
        meta = backend.load_meta()
        if meta is None:
            if not create:
                msg = f"no index at {_redact(backend.location)}"
                raise IndexFileError(msg)
            cfg: object = config if config is not None else DedupConfig()
            if not isinstance(cfg, DedupConfig):
                msg = f"config must be a DedupConfig, got {type(cfg).__name__}"
                raise TypeError(msg)
            meta = backend.store_meta(_manifest(cfg, _lsh_bands(cfg)))
        self._meta = meta
        recorded = _validate_manifest(meta, _redact(backend.location))
        bands = _bands_of(recorded)
        if config is not None:
            _check_record(recorded, _config_record(config, bands), _redact(backend.location))
            self.config = config
        else:
            self.config = _config_from_record(recorded, None)
            if _user_dict_digest(self.config.user_dict) != recorded["user_dict_sha256"]:
                msg = (
                    f"{_redact(backend.location)} was built with a different config (user_dict_sha256: "
                    f"the user dictionary {self.config.user_dict!r} has changed since)"
                )
                raise ConfigError(msg)
            _check_record(recorded, _config_record(self.config, bands), _redact(backend.location))
        current = _lsh_bands(self.config)
        if current != bands:
            msg = (
                f"{_redact(backend.location)} was built with LSH bands {bands}, but this dedup "
                f"and datasketch pick {current}"
            )
            raise ConfigError(msg)
        self._bands = bands
        backend.setup(self.config, bands)
        self._extractor = FeatureExtractor(self.config)
        self._boilerplate = AccountBoilerplate()

    # -- constructors --------------------------------------------------------------
    @classmethod
    def connect(cls, url: str, *, config: DedupConfig | None = None, create: bool = True) -> DedupIndex:
        """Open (or create) an index shared through Redis.

        Parameters
        ----------
        url : str
            ``redis://[:password@]host[:port][/db][?index=NAME]`` (also ``rediss://``,
            ``unix://``). ``index`` names the index (default ``dedup``); its keys start
            with ``dedup:NAME:``.
        config : DedupConfig, optional
            For a new index, its config (default ``DedupConfig()``); for an existing one,
            checked against the recorded config (``None`` takes the recorded one).
        create : bool
            Create the index when it does not exist yet.

        Returns
        -------
        DedupIndex

        Raises
        ------
        IndexConnectionError
            Redis cannot be reached.
        ConfigError
            ``config`` differs from the one the index was built with.
        IndexFileError
            ``create=False`` and there is no such index.
        """
        self = cls.__new__(cls)
        backend = _RedisBackend(url)
        try:
            with backend.errors():
                self._setup(backend, config, create=create)
        except BaseException:
            backend.close()
            raise
        return self

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, config: DedupConfig | None = None) -> DedupIndex:
        """Read an index saved with :meth:`save` into memory.

        Parameters
        ----------
        path : path
            The file.
        config : DedupConfig, optional
            Checked against the recorded config; ``None`` takes the recorded one.

        Returns
        -------
        DedupIndex

        Raises
        ------
        IndexFileError
            The file is missing, not an index, truncated, corrupted or of a newer format.
        ConfigError
            ``config`` differs from the one the index was built with.

        Examples
        --------
        >>> import os, tempfile
        >>> from dedup import Article, DedupIndex
        >>> path = os.path.join(tempfile.mkdtemp(), "posts.dedup")
        >>> DedupIndex().save(path)
        >>> len(DedupIndex.load(path))
        0
        """
        name = os.fspath(path)
        try:
            zf = zipfile.ZipFile(name)
        except FileNotFoundError:
            msg = f"{name}: no such index file"
            raise IndexFileError(msg) from None
        except IsADirectoryError:
            msg = f"{name}: is a directory, not an index file"
            raise IndexFileError(msg) from None
        except (zipfile.BadZipFile, OSError) as exc:
            msg = f"{name}: not a dedup index, or the file is truncated ({exc})"
            raise IndexFileError(msg) from None
        with zf:
            try:
                return cls._read(zf, name, config)
            except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                msg = f"{name}: the index file is corrupted ({exc})"
                raise IndexFileError(msg) from None
            except KeyError as exc:
                msg = f"{name}: the index file lacks member {exc.args[0]!r}"
                raise IndexFileError(msg) from None

    @classmethod
    def open(
        cls,
        location: str | os.PathLike[str],
        *,
        config: DedupConfig | None = None,
        create: bool = False,
    ) -> DedupIndex:
        """Open an index by path or ``redis://`` URL (what the command line does).

        A path that does not exist gives a new, empty index with ``create=True``, and an
        :class:`~dedup.exceptions.IndexFileError` otherwise; see :meth:`connect` and
        :meth:`load` for the rest.
        """
        if is_redis_url(location):
            return cls.connect(str(location), config=config, create=create)
        if create and not os.path.exists(location):
            index = cls(config)
            index._backend.location = os.fspath(location)
            return index
        return cls.load(location, config=config)

    @classmethod
    def exists(cls, location: str | os.PathLike[str]) -> bool:
        """Tell whether an index exists at ``location`` (a path or a Redis URL).

        Raises
        ------
        IndexConnectionError
            Redis cannot be reached.

        Examples
        --------
        >>> DedupIndex.exists("/nonexistent/posts.dedup")
        False
        """
        if is_redis_url(location):
            backend = _RedisBackend(str(location))
            try:
                with backend.errors():
                    return backend.load_meta() is not None
            finally:
                backend.close()
        return os.path.exists(location)

    @classmethod
    def _read(cls, zf: zipfile.ZipFile, name: str, config: DedupConfig | None) -> DedupIndex:
        try:
            meta = json.loads(zf.read("manifest.json"))
        except ValueError:
            msg = f"{name}: the index manifest is not valid JSON"
            raise IndexFileError(msg) from None
        if not isinstance(meta, dict):
            msg = f"{name}: the index manifest is not an object"
            raise IndexFileError(msg)
        backend = _MemoryBackend(name)
        _validate_manifest(meta, name)
        backend.store_meta(meta)
        self = cls.__new__(cls)
        self._setup(backend, config, create=False)
        bf, bl = self._bands.full[0], self._bands.lead[0]
        width = "uint32" if self.config.scheme == "affine32" else "uint64"

        def array(member: str, dtype: str, shape: tuple[int, ...] | None = None) -> NDArray[Any]:
            with zf.open(member + ".npy") as fh:
                try:
                    arr = np.lib.format.read_array(fh, allow_pickle=False)
                except ValueError as exc:
                    msg = f"{name}: member {member}.npy is not a valid array ({exc})"
                    raise IndexFileError(msg) from None
            if arr.dtype != np.dtype(dtype) or (shape is not None and arr.shape != shape):
                msg = (
                    f"{name}: member {member}.npy has dtype {arr.dtype} and shape {arr.shape}, expected {dtype} {shape}"
                )
                raise IndexFileError(msg)
            return arr

        n = meta.get("count")
        if not isinstance(n, int) or n < 0:
            msg = f"{name}: the manifest's count is not a number of posts: {n!r}"
            raise IndexFileError(msg)

        def offsets(member: str, total: int) -> list[int]:
            off = array(member + "_offsets", "int64", (n + 1,))
            if off[0] != 0 or off[-1] != total or (np.diff(off) < 0).any():
                msg = f"{name}: offsets of {member} do not match its values"
                raise IndexFileError(msg)
            return [int(x) for x in off]

        def ragged(member: str, dtype: str) -> list[NDArray[Any]]:
            values = array(member, dtype)
            off = offsets(member, len(values))
            return [values[off[i] : off[i + 1]] for i in range(n)]

        length = array("length", "int64", (n,))
        n_words = array("n_words", "int64", (n,))
        digest = array("digest", "uint8", (n, 16))
        body_keys = array("body_keys", "uint64", (n,))
        flags = array("flags", "uint8", (n,))
        shingles = ragged("shingles", width)
        lead = ragged("lead", width)
        sequence = ragged("sequence", "uint32")
        paragraphs = ragged("paragraphs", width)
        bounds = ragged("paragraph_bounds", "uint32")
        sentences = ragged("sentences", "uint64")
        docs = ragged("docs", "uint8")
        full_bands = array("full_bands", "uint64", (n, bf))
        lead_bands = array("lead_bands", "uint64", (n, bl))
        para_bands = array("para_bands", "uint64")
        if para_bands.ndim != 2 or para_bands.shape[1] != bl:
            msg = f"{name}: member para_bands.npy has shape {para_bands.shape}, expected (*, {bl})"
            raise IndexFileError(msg)
        para_off = offsets("para_bands", len(para_bands))
        records: list[_Record] = []
        keys: list[_Keys] = []
        seen: set[str] = set()
        with zf.open("posts.jsonl") as fh:
            for lineno, line in enumerate(io.TextIOWrapper(fh, encoding="utf-8", errors="surrogatepass"), 1):
                if lineno > n:
                    msg = f"{name}: posts.jsonl has more lines than the {n} posts in the manifest"
                    raise IndexFileError(msg)
                try:
                    d = json.loads(line)
                    id_, account, specifics = d["id"], d["account"], _SEP.join(d["specifics"])
                    if not isinstance(id_, str) or not isinstance(account, str):
                        problem = "id and account must be strings"
                        raise TypeError(problem)
                except (ValueError, KeyError, TypeError) as exc:
                    msg = f"{name}: posts.jsonl line {lineno} is not a valid post ({exc})"
                    raise IndexFileError(msg) from None
                if id_ in seen:
                    msg = f"{name}: posts.jsonl line {lineno}: duplicate id {id_!r}"
                    raise IndexFileError(msg)
                seen.add(id_)
                i = lineno - 1
                rec = _Record(
                    id=id_,
                    account=sys.intern(account),
                    length=int(length[i]),
                    n_words=int(n_words[i]),
                    digest=digest[i].tobytes(),
                    shingles=shingles[i],
                    lead=lead[i],
                    sequence=sequence[i],
                    specifics=specifics,
                    paragraphs=paragraphs[i],
                    paragraph_bounds=bounds[i],
                    sentences=sentences[i],
                    body_key=int(body_keys[i]),
                    flags=int(flags[i]),
                    doc=docs[i].tobytes(),
                )
                rows = para_bands[para_off[i] : para_off[i + 1]]
                if rec.eligible and len(rows) != rec.n_paragraphs:
                    msg = f"{name}: post {id_!r} has {rec.n_paragraphs} paragraph leads, {len(rows)} band rows"
                    raise IndexFileError(msg)
                records.append(rec)
                keys.append(_Keys(full_bands[i], lead_bands[i], rows))
        if len(records) != n:
            msg = f"{name}: posts.jsonl has {len(records)} posts, the manifest says {n}"
            raise IndexFileError(msg)
        assert isinstance(self._backend, _MemoryBackend)
        self._backend.load_bulk(records, keys)
        return self

    # -- properties ------------------------------------------------------------------
    @property
    def location(self) -> str:
        """Where the index lives: a file path, a Redis URL or ``"memory"``."""
        return self._backend.location

    @property
    def backend(self) -> str:
        """``"memory"`` or ``"redis"``."""
        return self._backend.kind

    def __len__(self) -> int:
        with self._lock, self._backend.errors():
            return self._backend.count()

    def __contains__(self, id_: object) -> bool:
        if not isinstance(id_, str):
            return False
        with self._lock, self._backend.errors():
            return self._backend.contains([id_])[0]

    def __repr__(self) -> str:
        return f"DedupIndex({_redact(self.location)!r}, backend={self.backend!r})"

    def __enter__(self) -> DedupIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release connections (Redis); the object must not be used afterwards."""
        self._backend.close()

    def info(self) -> dict[str, Any]:
        """Location, backend, format version, number of posts and accounts, recorded config.

        Examples
        --------
        >>> DedupIndex().info()["posts"]
        0
        """
        with self._lock, self._backend.errors():
            return {
                "location": _redact(self.location),
                "backend": self.backend,
                "format": self._meta.get("format"),
                "format_version": self._meta.get("version"),
                "dedup_version": self._meta.get("dedup_version"),
                "posts": self._backend.count(),
                "accounts": self._backend.accounts(),
                "config": self._meta.get("config"),
            }

    # -- feature extraction ----------------------------------------------------------
    def _prepare(self, article: Article) -> _Prepared:
        title, body = self._extractor.normalize(article)
        if not (self.config.learn_boilerplate and article.account):
            return _Prepared(article, title, body, 0, _EMPTY_U64, False)
        body_key, keys = post_keys(body)
        # Once its account has learned boilerplate, a post's lines are split into
        # sentences and joined again; "sensitive" posts come out different.
        sensitive = strip_keys(body, ()) != body
        return _Prepared(article, title, body, body_key, np.array(sorted(keys), dtype=np.uint64), sensitive)

    def _extract(self, p: _Prepared, change: _Change | None, *, keep_doc: bool = True) -> _Record:
        body = p.body
        if change is not None and change.after:
            learned: set[int] = set()
            if len(p.sentences):
                keys = p.sentences.tolist()
                counts = self._backend.bp_state(change.account, keys, ()).counts
                learned = {k for k in keys if counts[k] + change.deltas.get(k, 0) >= change.need}
            body = strip_keys(body, learned)
        f = self._extractor.extract(p.article, index=0, body=body, title=p.title)
        eligible = f.length >= self.config.min_length and f.n_words > 0
        return _Record(
            id=p.article.id,
            account=sys.intern(p.article.account),
            length=f.length,
            n_words=f.n_words,
            digest=f.digest,
            shingles=f.shingles,
            lead=f.lead,
            sequence=f.sequence,
            specifics=_SEP.join(f.specifics),
            paragraphs=f.paragraphs,
            paragraph_bounds=f.paragraph_bounds,
            sentences=p.sentences,
            body_key=p.body_key,
            flags=(_SENSITIVE if p.sensitive else 0) | (_ELIGIBLE if eligible else 0),
            doc=_doc_bytes(p.article) if keep_doc else b"",
        )

    def _signatures(self, records: Sequence[_Record]) -> list[_Sigs]:
        """Signatures as ``dedup check`` computes them (one batch call per length)."""
        cfg = self.config
        kw: dict[str, Any] = {"seed": cfg.seed, "scheme": cfg.scheme}
        full = minhash_signatures([r.shingles for r in records], num_perm=cfg.num_perm, **kw)
        paras = [r.paragraph_leads() for r in records]
        short = minhash_signatures(
            [r.lead for r in records] + [p for ps in paras for p in ps], num_perm=_LEAD_PERM, **kw
        )
        out = []
        pos = len(records)
        for i, ps in enumerate(paras):
            out.append(_Sigs(full[i], short[i], short[pos : pos + len(ps)]))
            pos += len(ps)
        return out

    def _keys(self, sigs: _Sigs) -> _Keys:
        (bf, rf), (bl, rl) = self._bands.full, self._bands.lead
        return _Keys(
            _band_keys(sigs.full[None, :], b=bf, r=rf)[0],
            _band_keys(sigs.lead[None, :], b=bl, r=rl)[0],
            _band_keys(sigs.paras, b=bl, r=rl) if len(sigs.paras) else np.zeros((0, bl), dtype=np.uint64),
        )

    # -- learned boilerplate -------------------------------------------------------
    def _changes(
        self,
        added: Sequence[tuple[str, int, NDArray[np.uint64]]],
        removed: Sequence[tuple[str, int, NDArray[np.uint64]]],
    ) -> dict[str, _Change]:
        """Per account, how learned boilerplate changes when ``added`` come and ``removed`` go.

        Each post is ``(account, body key, sentence keys)``; identical bodies of one
        account count once, so only a body's first copy in or last copy out counts.
        """
        if not self.config.learn_boilerplate:
            return {}
        copies: dict[str, Counter[int]] = {}
        sentences_of: dict[str, dict[int, NDArray[np.uint64]]] = {}
        for sign, group in ((1, added), (-1, removed)):
            for account, body_key, sentences in group:
                if not account:
                    continue
                copies.setdefault(account, Counter())[body_key] += sign
                sentences_of.setdefault(account, {})[body_key] = sentences
        return {account: self._change(account, copies[account], sentences_of[account]) for account in copies}

    def _change(self, account: str, copies: Counter[int], sentences_of: dict[int, NDArray[np.uint64]]) -> _Change:
        bodies = sorted(copies)
        involved = sorted({int(k) for b in bodies for k in sentences_of[b].tolist()})
        state = self._backend.bp_state(account, involved, bodies)
        dposts = 0
        deltas: Counter[int] = Counter()
        copies_after = {}
        for body in bodies:
            before = state.copies[body]
            after = before + copies[body]
            copies_after[body] = after
            sign = 1 if before == 0 < after else -1 if before > 0 == after else 0
            if sign:
                dposts += sign
                for k in sentences_of[body].tolist():
                    deltas[k] += sign
        p0, p1 = state.posts, state.posts + dposts
        need0 = self._boilerplate.min_count(p0)
        need1 = self._boilerplate.min_count(p1)
        keys = sorted(k for k, d in deltas.items() if d)
        c0 = np.array([state.counts[k] for k in keys], dtype=np.int64)
        c1 = c0 + np.array([deltas[k] for k in keys], dtype=np.int64)
        st0 = (c0 >= need0) & (c0 > 0)
        st1 = (c1 >= need1) & (c1 > 0)
        karr = np.array(keys, dtype=np.uint64)
        flipped = [karr[(st0 != st1) & (c0 > 0)]]
        gained = int((~st0 & st1).sum())
        lost = int((st0 & ~st1).sum())
        lo, hi = math.ceil(min(need0, need1)), math.ceil(max(need0, need1))
        if lo != hi and p0 > 0:
            # The share rule moved: sentences whose count lies between the two needs
            # change status although no post with them came or went.
            others = self._backend.bp_count_range(account, max(lo, 1), hi)
            others = others[~np.isin(others, karr)]
            flipped.append(others)
            if need1 > need0:
                lost += len(others)
            else:
                gained += len(others)
        learned1 = state.learned + gained - lost
        return _Change(
            account=account,
            need=need1,
            deltas=deltas,
            flipped=np.concatenate(flipped),
            before=state.learned > 0,
            after=learned1 > 0,
            learned=learned1,
            counts_after={k: int(c) for k, c in zip(keys, c1.tolist(), strict=True)},
            copies_after=copies_after,
            posts_after=p1,
        )

    def _affected(self, changes: dict[str, _Change]) -> dict[str, str]:
        """Indexed posts whose features change with ``changes``: id -> account."""
        out: dict[str, str] = {}
        for account, ch in changes.items():
            ids = self._backend.bp_posts_with(account, ch.flipped)
            if ch.before != ch.after:
                ids |= self._backend.bp_sensitive(account)
            for i in ids:
                out[i] = account
        return out

    def _reextract(self, ids: Sequence[str], changes: dict[str, _Change]) -> list[_Record]:
        """Features of indexed posts under ``changes`` (from their stored articles)."""
        out = []
        for rec in self._backend.records(list(ids), docs=True):
            if rec is None:
                continue
            p = self._prepare(rec.article())
            out.append(self._extract(p, changes.get(rec.account)))
        return out

    # -- writes ----------------------------------------------------------------------
    def add(self, articles: Iterable[Article]) -> int:
        """Index posts.

        Parameters
        ----------
        articles : iterable of Article
            New posts; ids must be new to the index and unique.

        Returns
        -------
        int
            The number of posts added.

        Raises
        ------
        DuplicateIdError
            An id is already indexed or repeated (nothing is added).
        InputError
            An article is longer than ``max_length`` (nothing is added).
        """
        batch = list(articles)
        seen: set[str] = set()
        limit = self.config.max_length
        for a in batch:
            if not isinstance(cast(object, a), Article):
                msg = f"expected Article, got {type(a).__name__}"
                raise TypeError(msg)
            if a.id in seen:
                msg = f"duplicate id {a.id!r} in the batch"
                raise DuplicateIdError(msg, path=a.source, lineno=a.lineno, field="id")
            seen.add(a.id)
            if len(a.text) > limit:
                msg = f"article is {len(a.text):,} characters, more than max_length {limit:,}"
                raise InputError(msg, path=a.source, lineno=a.lineno, field="text")
        with self._lock, self._backend.errors():
            self._check_new(batch)
        added = 0
        try:
            for start in range(0, len(batch), _CHUNK):
                chunk = batch[start : start + _CHUNK]
                with self._lock, self._backend.errors(), self._backend.writing():
                    self._check_new(chunk)
                    self._add_chunk(chunk)
                added += len(chunk)
        except IndexConnectionError as exc:
            if not added:
                raise
            # Earlier steps are in the index: say which posts the caller must add again.
            msg = (
                f"{exc}; {added} of {len(batch)} post(s) were added, those from id {batch[added].id!r} "
                f"on may be missing (each step of up to {_CHUNK:,} posts is added whole or not at all)"
            )
            raise IndexConnectionError(msg) from None
        return len(batch)

    def _check_new(self, batch: Sequence[Article]) -> None:
        present = self._backend.contains([a.id for a in batch])
        for a, there in zip(batch, present, strict=True):
            if there:
                msg = f"id {a.id!r} is already in the index"
                raise DuplicateIdError(msg, path=a.source, lineno=a.lineno, field="id")

    def _add_chunk(self, batch: Sequence[Article]) -> None:
        prepared = [self._prepare(a) for a in batch]
        changes = self._changes([(p.article.account, p.body_key, p.sentences) for p in prepared], [])
        affected = self._affected(changes)
        new = [self._extract(p, changes.get(p.article.account)) for p in prepared]
        redone = self._reextract(sorted(affected), changes)
        self._write(insert=new, replace=redone, delete=[], changes=changes)

    def _write(
        self,
        *,
        insert: list[_Record],
        replace: list[_Record],
        delete: list[_Record],
        changes: dict[str, _Change],
    ) -> None:
        todo = [*insert, *replace]
        sigs = self._signatures(todo)
        items = [(rec, s, self._keys(s)) for rec, s in zip(todo, sigs, strict=True)]
        self._backend.write(
            insert=items[: len(insert)],
            replace=items[len(insert) :],
            delete=delete,
            changes=list(changes.values()),
        )

    def remove(self, ids: Iterable[str], *, missing_ok: bool = False) -> int:
        """Remove posts by id.

        Parameters
        ----------
        ids : iterable of str
            Ids of indexed posts.
        missing_ok : bool
            Skip ids that are not indexed instead of raising.

        Returns
        -------
        int
            The number of posts removed.

        Raises
        ------
        UnknownIdError
            An id is not indexed (nothing is removed) and ``missing_ok`` is false.
        """
        wanted = list(dict.fromkeys(ids))
        with self._lock, self._backend.errors(), self._backend.writing():
            records = self._backend.records(wanted, docs=True)
            missing = [i for i, rec in zip(wanted, records, strict=True) if rec is None]
            if missing and not missing_ok:
                shown = ", ".join(repr(i) for i in missing[:5]) + (" ..." if len(missing) > 5 else "")
                msg = f"{len(missing)} id(s) not in the index: {shown}"
                raise UnknownIdError(msg)
            gone = [rec for rec in records if rec is not None]
            if not gone:
                return 0
            changes = self._changes([], [(r.account, r.body_key, r.sentences) for r in gone])
            affected = self._affected(changes)
            for rec in gone:
                affected.pop(rec.id, None)
            redone = self._reextract(sorted(affected), changes)
            self._write(insert=[], replace=redone, delete=gone, changes=changes)
            return len(gone)

    def clear(self) -> None:
        """Remove every post; the index keeps its config."""
        with self._lock, self._backend.errors(), self._backend.writing():
            self._backend.clear()

    # -- queries ---------------------------------------------------------------------
    def query(
        self,
        article: Article,
        *,
        k: int | None = 10,
        evidence: bool | None = None,
        templates: bool = False,
    ) -> list[IndexMatch]:
        """Find the indexed posts that are the same story as ``article``.

        Parameters
        ----------
        article : Article
            The new post (it is not added).
        k : int or None
            At most this many matches, best first; ``None`` for all.
        evidence : bool, optional
            Attach shared passages and specifics (default: ``config.evidence``).
        templates : bool
            Also return template pairs (same wording, conflicting specifics) with kind
            ``"template"``; they are left out by default, as they are not one story.

        Returns
        -------
        list of IndexMatch
            Sorted by score (highest first), then id.
        """
        if not isinstance(cast(object, article), Article):
            msg = f"expected Article, got {type(article).__name__}"
            raise TypeError(msg)
        if k is not None and (isinstance(k, bool) or not isinstance(k, int) or k < 1):
            msg = f"k must be a positive integer or None, got {k!r}"
            raise ConfigError(msg)
        limit = self.config.max_length
        if len(article.text) > limit:
            msg = f"article is {len(article.text):,} characters, more than max_length {limit:,}"
            raise InputError(msg, path=article.source, lineno=article.lineno, field="text")
        want_evidence = self.config.evidence if evidence is None else evidence
        with self._lock, self._backend.errors():
            return self._query(article, k=k, evidence=want_evidence, templates=templates)

    def _query(self, article: Article, *, k: int | None, evidence: bool, templates: bool) -> list[IndexMatch]:
        cfg = self.config
        p = self._prepare(article)
        old = self._backend.records([article.id])[0]
        removed = [(old.account, old.body_key, old.sentences)] if old is not None else []
        changes = self._changes([(article.account, p.body_key, p.sentences)], removed)
        rec = self._extract(p, changes.get(article.account), keep_doc=False)
        if not rec.eligible:
            return []
        sigs = self._signatures([rec])[0]
        keys = self._keys(sigs)
        candidates = self._backend.candidates(sigs, keys)
        candidates.discard(article.id)
        affected = self._affected(changes)
        affected.pop(article.id, None)
        if cfg.cross_account_only and article.account:
            affected = {i: a for i, a in affected.items() if a != article.account}
        others: list[_Record] = []
        if affected:
            # Posts whose learned boilerplate would change with this query: compare the
            # query with them as dedup check would see them, not as stored.
            candidates -= set(affected)
            redone = [r for r in self._reextract(sorted(affected), changes) if r.eligible]
            for other, osigs in zip(redone, self._signatures(redone), strict=True):
                if keys.collides(self._keys(osigs)):
                    others.append(other)
        stored = [x for x in self._backend.records(sorted(candidates)) if x is not None and x.eligible]
        qf = rec.features()
        scored: list[tuple[_Record, Verdict]] = []
        for other in [*stored, *others]:
            if cfg.cross_account_only and _same_account(article.account, other.account):
                continue
            v = compare(qf, other.features(), threshold=cfg.threshold)
            if v.is_match or (templates and v.kind == "template"):
                scored.append((other, v))
        scored.sort(key=lambda item: (-item[1].score, item[0].id))
        if k is not None:
            scored = scored[:k]
        docs = self._backend.docs([o.id for o, _ in scored]) if evidence and scored else []
        mine = Passages(article.text, cfg.normalize) if evidence and scored else None
        out = []
        for n, (other, v) in enumerate(scored):
            ev = None
            doc = docs[n] or other.doc if mine is not None else None
            if mine is not None and doc:
                text = _article_from_doc(other.id, other.account, doc).text
                ev = build_evidence(mine, Passages(text, cfg.normalize), qf.specifics, other.specifics_tuple())
            assert v.kind is not None
            out.append(IndexMatch(id=other.id, score=v.score, kind=v.kind, account=other.account, evidence=ev))
        return out

    # -- persistence -----------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to one file, atomically.

        The file is written under a temporary name in the same directory, flushed to
        disk, and renamed over ``path``: a crash or an error while saving leaves the
        previous file (if any) as it was. A process killed while saving leaves its
        temporary file (``.NAME.XXXXXXXX.tmp``) behind; the next save to ``path``
        removes such leftovers once no process holds them (on POSIX systems, where
        each save locks its temporary file) and they are a minute old.

        Parameters
        ----------
        path : path
            Destination; any suffix (``.dedup`` is customary).
        """
        target = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(target))
        base = os.path.basename(target)
        with self._lock, self._backend.errors():
            records = list(self._backend.snapshot())
            keys = self._backend.band_rows(records)
            if keys is None:
                keys = [self._keys(s) for s in self._signatures(records)]
            meta = dict(self._meta)
            meta["count"] = len(records)
            meta["dedup_version"] = _dedup_version()
            fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
            try:
                with os.fdopen(fd, "wb") as fh:
                    # Locked until renamed: another save never takes this file for a leftover.
                    locked = _lock_file(fh.fileno())
                    _remove_stale_temps(directory, base, keep=tmp)
                    _write_zip(fh, meta, records, keys, self._bands)
                    fh.flush()
                    os.fsync(fh.fileno())
                    if locked:  # POSIX: renaming an open file is fine
                        os.replace(tmp, target)
                if not locked:
                    os.replace(tmp, target)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
                raise
            _fsync_dir(directory)


def _same_account(a: str, b: str) -> bool:
    return bool(a) and a == b


def _dedup_version() -> str:
    from dedup import __version__

    return __version__


def _manifest(config: DedupConfig, bands: _Bands) -> dict[str, Any]:
    return {
        "format": _FORMAT_NAME,
        "version": FORMAT_VERSION,
        "dedup_version": _dedup_version(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": _config_record(config, bands),
    }


def _validate_manifest(meta: dict[str, Any], where: str) -> dict[str, Any]:
    if meta.get("format") != _FORMAT_NAME:
        msg = f"{where}: not a dedup index (format {meta.get('format')!r})"
        raise IndexFileError(msg)
    version = meta.get("version")
    if not isinstance(version, int) or version < 1:
        msg = f"{where}: invalid index format version {version!r}"
        raise IndexFileError(msg)
    if version > FORMAT_VERSION:
        msg = (
            f"{where}: index format version {version} is newer than this dedup reads ({FORMAT_VERSION}); upgrade dedup"
        )
        raise IndexFileError(msg)
    config = meta.get("config")
    required = (
        *_RECORDED,
        "normalize",
        "lsh_bands",
        "lead_bands",
        "boilerplate",
        "features",
        "user_dict_sha256",
    )
    if not isinstance(config, dict) or any(key not in config for key in required):
        msg = f"{where}: the index manifest lacks the recorded config (written by another dedup version?)"
        raise IndexFileError(msg)
    return config


def _lock_file(fd: int) -> bool:
    """Take an exclusive ``flock`` on ``fd`` without waiting; False if held, failing or absent (Windows).

    The kernel drops the lock when its process dies, however it dies: a temporary file
    nobody holds locked is a leftover of a killed save.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _remove_stale_temps(directory: str, base: str, *, keep: str) -> None:
    """Delete the temporary files that killed saves to ``base`` left in ``directory``.

    Only names :meth:`DedupIndex.save` makes for this target (``.BASE.XXXXXXXX.tmp``),
    only regular files, only when no process holds their lock (a save holds it until
    its rename) and they have not been written for :data:`_STALE_TEMP_AGE` seconds (a
    save writes its file all the time). Without ``flock`` (Windows) nothing is removed.
    Errors are ignored: this is housekeeping, and the save goes on.
    """
    pattern = re.compile(rf"\.{re.escape(base)}\.[a-z0-9_]{{8}}\.tmp")
    try:
        names = [n for n in os.listdir(directory) if pattern.fullmatch(n)]
    except OSError:
        return
    now = time.time()
    for name in names:
        path = os.path.join(directory, name)
        if os.path.abspath(path) == os.path.abspath(keep):
            continue
        with contextlib.suppress(OSError):
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
            try:
                st = os.fstat(fd)
                if stat.S_ISREG(st.st_mode) and now - st.st_mtime > _STALE_TEMP_AGE and _lock_file(fd):
                    os.unlink(path)
                    logger.info("removed %s, left by a save that did not finish", path)
            finally:
                os.close(fd)


def _fsync_dir(directory: str) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _npy(arr: NDArray[Any]) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def _write_zip(fh: Any, meta: dict[str, Any], records: Sequence[_Record], keys: Sequence[_Keys], bands: _Bands) -> None:
    width = np.dtype(np.uint32 if meta["config"]["scheme"] == "affine32" else np.uint64)

    def ragged(arrays: list[NDArray[Any]], dtype: Any) -> tuple[NDArray[Any], NDArray[np.int64]]:
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        if arrays:
            offsets[1:] = np.cumsum([len(a) for a in arrays])
            return np.concatenate(arrays).astype(dtype), offsets
        return np.zeros(0, dtype=dtype), offsets

    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr("manifest.json", json.dumps(meta, ensure_ascii=False, indent=1))
        lines = [
            json.dumps({"id": r.id, "account": r.account, "specifics": list(r.specifics_tuple())}, ensure_ascii=False)
            for r in records
        ]
        data = ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8", "surrogatepass")
        zf.writestr("posts.jsonl", data, compress_type=zipfile.ZIP_DEFLATED)
        bf, bl = bands.full[0], bands.lead[0]
        columns: dict[str, NDArray[Any]] = {
            "length": np.array([r.length for r in records], dtype=np.int64),
            "n_words": np.array([r.n_words for r in records], dtype=np.int64),
            "digest": np.frombuffer(b"".join(r.digest for r in records), dtype=np.uint8).reshape(len(records), 16),
            "body_keys": np.array([r.body_key for r in records], dtype=np.uint64),
            "flags": np.array([r.flags for r in records], dtype=np.uint8),
            "full_bands": np.stack([k.full for k in keys]) if keys else np.zeros((0, bf), dtype=np.uint64),
            "lead_bands": np.stack([k.lead for k in keys]) if keys else np.zeros((0, bl), dtype=np.uint64),
        }
        paras = [k.paras if r.eligible else k.paras[:0] for r, k in zip(records, keys, strict=True)]
        para_off = np.zeros(len(paras) + 1, dtype=np.int64)
        para_off[1:] = np.cumsum([len(p) for p in paras])
        columns["para_bands"] = np.concatenate(paras) if paras else np.zeros((0, bl), dtype=np.uint64)
        columns["para_bands_offsets"] = para_off
        for member, attr, dtype in (
            ("shingles", "shingles", width),
            ("lead", "lead", width),
            ("sequence", "sequence", np.dtype(np.uint32)),
            ("paragraphs", "paragraphs", width),
            ("paragraph_bounds", "paragraph_bounds", np.dtype(np.uint32)),
            ("sentences", "sentences", np.dtype(np.uint64)),
            ("docs", "doc", np.dtype(np.uint8)),
        ):
            arrays = [getattr(r, attr) for r in records]
            if attr == "doc":
                arrays = [np.frombuffer(d, dtype=np.uint8) for d in arrays]
            values, offsets = ragged(arrays, dtype)
            columns[member] = values
            columns[member + "_offsets"] = offsets
        for member, arr in columns.items():
            zf.writestr(member + ".npy", _npy(arr))
