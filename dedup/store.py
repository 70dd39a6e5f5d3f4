"""A persistent index of published posts: add, query, remove; in memory, on disk or in Redis.

:class:`DedupIndex` answers, for one new post, what ``dedup check`` would answer for it
against everything already indexed: the same normalization (including the account
boilerplate learned from the indexed posts plus the query), candidates from the
full-text **and** the lead MinHash LSH, the same verification and threshold. A query
returns the verified pairs (:class:`IndexMatch`): the indexed posts that are the same
story as the query. Template pairs (same wording, conflicting specifics: a different
event) are left out unless asked for with ``templates=True``, when they come back with
kind ``"template"``.

Where the index lives:

* in memory: ``DedupIndex(config)``; :meth:`DedupIndex.save` writes it to one file
  and :meth:`DedupIndex.load` reads it back;
* in Redis: ``DedupIndex.connect("redis://host:6379/0?index=news")``. Several worker
  processes share one index: one adds while the others query. The LSH is datasketch's
  ``MinHashLSH`` with its Redis storage; features and articles are Redis hashes next
  to it, under the key prefix ``dedup:<index>:``.

File format (version :data:`FORMAT_VERSION`): a ZIP archive, like numpy's ``.npz``.
``manifest.json`` holds the format name and version, the dedup version that wrote it
and the config the index was built with (tokenizer, seed, hashing scheme, thresholds,
normalization, learned-boilerplate rule, LSH bands) and the number of posts.
``posts.jsonl`` holds one line per post: id, account and specifics. The other members
are numpy ``.npy`` arrays (never pickles): per-post lengths, word counts, digests and
flags; concatenated arrays with ``*_offsets`` (post ``i`` is ``values[offsets[i]:offsets[i+1]]``)
of shingle, lead, word-sequence and boilerplate-sentence hashes and of the articles
(``docs``: zlib-compressed UTF-8 JSON with title, text and published_at); and the LSH
band keys of the full text and the lead. ZIP's CRC-32 of each
member catches corruption; a truncated file has no ZIP directory. Either gives an
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
import struct
import sys
import tempfile
import threading
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from numpy.typing import NDArray

from dedup.boilerplate import AccountBoilerplate, countable_sentences, strip_sentences
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
from dedup.models import Article, Evidence, MatchKind
from dedup.normalize import normalize_with_offsets
from dedup.signature import minhash_signatures
from dedup.verify import Verdict, build_evidence, compare

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

# The options a query's answer depends on; any difference from the recorded value is an error.
_RECORDED = (
    "tokenizer",
    "seed",
    "scheme",
    "num_perm",
    "ngram_size",
    "threshold",
    "lsh_threshold",
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


def _user_dict_digest(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError as exc:
        msg = f"user_dict {path!r} cannot be read: {exc.strerror}"
        raise ConfigError(msg) from None


def _config_record(config: DedupConfig, bands: tuple[int, int]) -> dict[str, Any]:
    """Record the config: everything a query's answer depends on."""
    rec: dict[str, Any] = {name: getattr(config, name) for name in _RECORDED}
    rec["user_dict_sha256"] = _user_dict_digest(config.user_dict)
    norm = config.normalize
    rec["normalize"] = {
        f.name: list(v) if isinstance(v := getattr(norm, f.name), tuple) else v for f in fields(norm)
    }
    bp = AccountBoilerplate()
    rec["boilerplate"] = {"min_posts": bp.min_posts, "min_share": bp.min_share}
    rec["lsh_bands"] = list(bands)
    return rec


def _config_from_record(rec: dict[str, Any], base: DedupConfig | None) -> DedupConfig:
    options = {name: rec[name] for name in _RECORDED}
    norm = dict(rec["normalize"])
    norm["extra_boilerplate"] = tuple(norm.get("extra_boilerplate", ()))
    options["normalize"] = NormalizeConfig(**norm)
    if base is not None:  # options that do not change answers come from the caller
        for name in ("backend", "cache_dir", "workers", "evidence", "max_length"):
            options[name] = getattr(base, name)
    return DedupConfig(**options)


def _lsh_bands(config: DedupConfig) -> tuple[int, int]:
    """``(b, r)`` that datasketch's MinHashLSH picks for the config (as ``dedup check`` uses)."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=config.lsh_threshold, num_perm=config.num_perm)
    return int(lsh.b), int(lsh.r)


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
    """One 64-bit key per LSH band: equal keys for equal band values (datasketch's buckets).

    For the ``affine32`` scheme with two rows per band (the default: 28 bands of 2 for
    ``lsh_threshold=0.2``) and for one row per band the key is the band itself, so
    collisions are exactly datasketch's; otherwise it is a 64-bit mix of the band.
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


def _sentence_hash(sentence: str) -> int:
    digest = hashlib.blake2b(sentence.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _bytes(value: Any) -> bytes:
    """Return a Redis reply as bytes (the client is created without ``decode_responses``)."""
    return value if isinstance(value, bytes) else str(value).encode("utf-8", "surrogatepass")


def _text(value: Any) -> str:
    return _bytes(value).decode("utf-8", "surrogatepass")


def _account_key(account: str) -> str:
    return hashlib.blake2b(account.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


# ---------------------------------------------------------------------------
# stored records


@dataclass(slots=True)
class _Record:
    """One indexed post: its features and (compressed) article."""

    id: str
    account: str
    length: int
    n_words: int
    digest: bytes
    shingles: NDArray[np.uint64]
    lead: NDArray[np.uint64]
    sequence: NDArray[np.uint32]
    specifics: str  # sorted, joined with NUL (one string: far smaller than a set of strings)
    sentences: NDArray[np.uint64]  # sorted distinct hashes of countable sentences (boilerplate)
    flags: int
    doc: bytes  # zlib-compressed JSON: title, text, published_at

    @property
    def eligible(self) -> bool:
        return bool(self.flags & _ELIGIBLE)

    @property
    def sensitive(self) -> bool:
        return bool(self.flags & _SENSITIVE)

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
            specifics=frozenset(self.specifics_list()),
            sequence=self.sequence,
        )

    def specifics_list(self) -> list[str]:
        return self.specifics.split(_SEP) if self.specifics else []

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


_BLOB_MAGIC = b"DXR1"
_BLOB_HEAD = struct.Struct("<4sIIIIIIB16s")


def _pack_record(rec: _Record) -> bytes:
    """Binary form of a record's features (Redis values): fixed header, arrays, JSON tail."""
    tail = json.dumps({"account": rec.account, "specifics": rec.specifics_list()}, ensure_ascii=False)
    head = _BLOB_HEAD.pack(
        _BLOB_MAGIC,
        rec.length,
        rec.n_words,
        len(rec.shingles),
        len(rec.lead),
        len(rec.sequence),
        len(rec.sentences),
        rec.flags,
        rec.digest,
    )
    return b"".join(
        (
            head,
            rec.shingles.astype("<u8").tobytes(),
            rec.lead.astype("<u8").tobytes(),
            rec.sequence.astype("<u4").tobytes(),
            rec.sentences.astype("<u8").tobytes(),
            tail.encode("utf-8", "surrogatepass"),
        )
    )


def _unpack_record(id_: str, blob: bytes, doc: bytes = b"") -> _Record:
    if len(blob) < _BLOB_HEAD.size or blob[:4] != _BLOB_MAGIC:
        msg = f"stored features of {id_!r} are not in dedup's format"
        raise IndexFileError(msg)
    _, length, n_words, ns, nl, nq, nt, flags, digest = _BLOB_HEAD.unpack_from(blob)
    pos = _BLOB_HEAD.size

    def take(count: int, dtype: str) -> NDArray[Any]:
        nonlocal pos
        size = count * np.dtype(dtype).itemsize
        arr = np.frombuffer(blob, dtype=dtype, count=count, offset=pos)
        pos += size
        return arr.astype(dtype[1:] if dtype[0] == "<" else dtype)

    try:
        shingles = take(ns, "<u8")
        lead = take(nl, "<u8")
        sequence = take(nq, "<u4")
        sentences = take(nt, "<u8")
        tail = json.loads(blob[pos:].decode("utf-8", "surrogatepass"))
    except (ValueError, UnicodeDecodeError) as exc:
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
        sentences=sentences,
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
        self._pending_rows: NDArray[np.uint64] | None = None

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
        self._pending_rows = None
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
        self._pending_rows = None

    def query(self, keys: NDArray[np.uint64]) -> NDArray[np.int64]:
        found: list[NDArray[Any]] = []
        if self._keys.shape[1]:
            for band in range(self.b):
                row = self._keys[band]
                key = keys[band]
                lo = int(np.searchsorted(row, key, side="left"))
                if lo < len(row) and row[lo] == key:
                    hi = int(np.searchsorted(row, key, side="right"))
                    found.append(self._slots[band, lo:hi])
        if self._pending:
            pending = np.asarray(self._pending, dtype=np.int64)
            if self._pending_rows is None:
                self._pending_rows = self._rows[pending]
            hit = (self._pending_rows == keys[None, :]).any(axis=1)
            found.append(pending[hit])
        if not found:
            return _EMPTY_I64
        slots = np.unique(np.concatenate(found).astype(np.int64))
        return slots[self._live[slots]]


@dataclass(slots=True)
class _AccountSentences:
    """Boilerplate statistics of one account: which posts contain which sentences."""

    ids: set[str]
    sensitive: set[str]
    sentences: NDArray[np.uint64]  # sorted, one entry per (post, sentence)
    owners: NDArray[np.int64]  # serial number of the post of each entry
    learned: int = 0

    def counts(self, hashes: NDArray[np.uint64]) -> NDArray[np.int64]:
        left = np.searchsorted(self.sentences, hashes, side="left")
        right = np.searchsorted(self.sentences, hashes, side="right")
        return (right - left).astype(np.int64)


# ---------------------------------------------------------------------------
# backends


class _Backend(Protocol):
    """Storage of an index: records, LSH and boilerplate statistics."""

    location: str
    kind: str

    def load_meta(self) -> dict[str, Any] | None: ...
    def store_meta(self, meta: dict[str, Any]) -> dict[str, Any]: ...
    def setup(self, config: DedupConfig, bands: tuple[int, int]) -> None: ...
    def writing(self) -> contextlib.AbstractContextManager[None]: ...
    def count(self) -> int: ...
    def contains(self, ids: Sequence[str]) -> list[bool]: ...
    def records(self, ids: Sequence[str], *, docs: bool = False) -> list[_Record | None]: ...
    def docs(self, ids: Sequence[str]) -> list[bytes | None]: ...
    def candidates(self, full: NDArray[Any], lead: NDArray[Any]) -> set[str]: ...
    def bp_state(self, account: str, hashes: NDArray[np.uint64]) -> tuple[int, int, NDArray[np.int64]]: ...
    def bp_count_range(self, account: str, lo: int, hi: int) -> NDArray[np.uint64]: ...
    def bp_posts_with(self, account: str, hashes: NDArray[np.uint64]) -> set[str]: ...
    def bp_sensitive(self, account: str) -> set[str]: ...
    def write(
        self,
        *,
        insert: Sequence[tuple[_Record, NDArray[Any], NDArray[Any]]],
        replace: Sequence[tuple[_Record, NDArray[Any], NDArray[Any]]],
        delete: Sequence[_Record],
        learned: dict[str, int],
    ) -> None: ...
    def snapshot(self) -> Iterator[_Record]: ...
    def band_rows(self, records: Sequence[_Record]) -> tuple[NDArray[Any], NDArray[Any]] | None: ...
    def accounts(self) -> int: ...
    def clear(self) -> None: ...
    def close(self) -> None: ...


class _MemoryBackend:
    """Everything in this process: records in a dict, LSH in :class:`_BandTable`."""

    kind = "memory"

    def __init__(self, location: str = "memory") -> None:
        self.location = location
        self._meta: dict[str, Any] | None = None
        self._records: dict[str, _Record] = {}
        self._slot_of: dict[str, int] = {}
        self._slot_ids: list[str | None] = []
        self._serial_of: dict[str, int] = {}
        self._serial_ids: dict[int, str] = {}
        self._next_serial = 0
        self._accounts: dict[str, _AccountSentences] = {}
        self._bands = (1, 1)
        self._full = _BandTable(1)
        self._lead = _BandTable(1)

    # -- setup -------------------------------------------------------------------
    def load_meta(self) -> dict[str, Any] | None:
        return self._meta

    def store_meta(self, meta: dict[str, Any]) -> dict[str, Any]:
        self._meta = meta
        return meta

    def setup(self, config: DedupConfig, bands: tuple[int, int]) -> None:
        self._bands = bands
        self._full = _BandTable(bands[0])
        self._lead = _BandTable(bands[0])

    def writing(self) -> contextlib.AbstractContextManager[None]:
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

    def candidates(self, full: NDArray[Any], lead: NDArray[Any]) -> set[str]:
        b, r = self._bands
        keys = _band_keys(np.stack([full, lead]), b=b, r=r)
        slots = np.union1d(self._full.query(keys[0]), self._lead.query(keys[1]))
        out = set()
        for s in slots.tolist():
            key = self._slot_ids[s]
            if key is not None:
                out.add(key)
        return out

    def bp_state(self, account: str, hashes: NDArray[np.uint64]) -> tuple[int, int, NDArray[np.int64]]:
        acc = self._accounts.get(account)
        if acc is None:
            return 0, 0, np.zeros(len(hashes), dtype=np.int64)
        return len(acc.ids), acc.learned, acc.counts(hashes)

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
        owners = acc.owners[np.isin(acc.sentences, hashes)]
        return {self._serial_ids[int(o)] for o in np.unique(owners)}

    def bp_sensitive(self, account: str) -> set[str]:
        acc = self._accounts.get(account)
        return set(acc.sensitive) if acc is not None else set()

    def band_rows(self, records: Sequence[_Record]) -> tuple[NDArray[Any], NDArray[Any]] | None:
        b = self._bands[0]
        full = np.zeros((len(records), b), dtype=np.uint64)
        lead = np.zeros((len(records), b), dtype=np.uint64)
        slots = np.array([self._slot_of.get(rec.id, -1) for rec in records], dtype=np.int64)
        have = np.flatnonzero(slots >= 0)
        full[have] = self._full.rows(slots[have])
        lead[have] = self._lead.rows(slots[have])
        return full, lead

    def snapshot(self) -> Iterator[_Record]:
        yield from list(self._records.values())

    # -- writes ------------------------------------------------------------------
    def _unindex(self, rec: _Record) -> None:
        slot = self._slot_of.pop(rec.id, None)
        if slot is not None:
            self._full.drop([slot])
            self._lead.drop([slot])
            self._slot_ids[slot] = None

    def _bp_remove(self, rec: _Record) -> None:
        acc = self._accounts.get(rec.account)
        serial = self._serial_of.pop(rec.id, None)
        if serial is not None:
            del self._serial_ids[serial]
        if acc is None:
            return
        acc.ids.discard(rec.id)
        acc.sensitive.discard(rec.id)
        if serial is not None and len(acc.owners):
            keep = acc.owners != serial
            acc.sentences, acc.owners = acc.sentences[keep], acc.owners[keep]
        if not acc.ids:
            del self._accounts[rec.account]

    def _bp_add(self, recs: Sequence[_Record]) -> None:
        by_account: dict[str, list[_Record]] = {}
        for rec in recs:
            serial = self._next_serial
            self._next_serial += 1
            self._serial_of[rec.id] = serial
            self._serial_ids[serial] = rec.id
            if rec.account:
                by_account.setdefault(rec.account, []).append(rec)
        for account, group in by_account.items():
            acc = self._accounts.get(account)
            if acc is None:
                acc = self._accounts[account] = _AccountSentences(set(), set(), _EMPTY_U64, _EMPTY_I64)
            parts = [acc.sentences]
            owners = [acc.owners]
            for rec in group:
                acc.ids.add(rec.id)
                if rec.sensitive:
                    acc.sensitive.add(rec.id)
                parts.append(rec.sentences)
                owners.append(np.full(len(rec.sentences), self._serial_of[rec.id], dtype=np.int64))
            sentences = np.concatenate(parts)
            order = np.argsort(sentences, kind="stable")
            acc.sentences = sentences[order]
            acc.owners = np.concatenate(owners)[order]

    def _index(self, items: Sequence[tuple[_Record, NDArray[Any], NDArray[Any]]]) -> None:
        eligible = [(rec, f, ld) for rec, f, ld in items if rec.eligible]
        if not eligible:
            return
        start = len(self._slot_ids)
        slots = np.arange(start, start + len(eligible), dtype=np.int64)
        for rec, _, _ in eligible:
            self._slot_of[rec.id] = len(self._slot_ids)
            self._slot_ids.append(rec.id)
        b, r = self._bands
        full = _band_keys(np.stack([f for _, f, _ in eligible]), b=b, r=r)
        lead = _band_keys(np.stack([ld for _, _, ld in eligible]), b=b, r=r)
        self._full.put(slots, full)
        self._lead.put(slots, lead)

    def write(
        self,
        *,
        insert: Sequence[tuple[_Record, NDArray[Any], NDArray[Any]]],
        replace: Sequence[tuple[_Record, NDArray[Any], NDArray[Any]]],
        delete: Sequence[_Record],
        learned: dict[str, int],
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
        for account, n in learned.items():
            acc = self._accounts.get(account)
            if acc is not None:
                acc.learned = n
        self._index([*replace, *insert])
        self._maybe_compact()

    def load_bulk(self, records: list[_Record], full: NDArray[np.uint64], lead: NDArray[np.uint64]) -> None:
        """Fill an empty backend from a file (band keys already computed)."""
        self._records = {rec.id: rec for rec in records}
        self._bp_add(records)
        for account, acc in self._accounts.items():
            need = AccountBoilerplate().min_count(len(acc.ids))
            _, counts = np.unique(acc.sentences, return_counts=True)
            acc.learned = int((counts >= need).sum())
            del account
        mask = np.array([rec.eligible for rec in records], dtype=bool)
        idx = np.flatnonzero(mask)
        slots = np.arange(len(idx), dtype=np.int64)
        self._slot_ids = [records[i].id for i in idx]
        self._slot_of = {records[i].id: int(s) for s, i in zip(slots, idx, strict=True)}
        self._full.put(slots, full[idx], rebuild=False)
        self._lead.put(slots, lead[idx], rebuild=False)
        self._full.rebuild()
        self._lead.rebuild()

    def _maybe_compact(self) -> None:
        live = len(self._slot_of)
        if len(self._slot_ids) <= 2 * live + 65536:
            return
        old = np.array(sorted(self._slot_of.values()), dtype=np.int64)
        full_rows = self._full.rows(old)
        lead_rows = self._lead.rows(old)
        ids = [self._slot_ids[s] for s in old.tolist()]
        self._full = _BandTable(self._bands[0])
        self._lead = _BandTable(self._bands[0])
        slots = np.arange(len(old), dtype=np.int64)
        self._slot_ids = list(ids)
        self._slot_of = {i: int(s) for s, i in zip(slots, ids, strict=True) if i is not None}
        self._full.put(slots, full_rows, rebuild=False)
        self._lead.put(slots, lead_rows, rebuild=False)
        self._full.rebuild()
        self._lead.rebuild()

    def clear(self) -> None:
        meta, bands = self._meta, self._bands
        self.__init__(self.location)  # type: ignore[misc]
        self._meta, self._bands = meta, bands
        self._full = _BandTable(bands[0])
        self._lead = _BandTable(bands[0])


class _RedisBackend:
    """A shared index in Redis: datasketch's Redis-backed MinHashLSH plus hashes of records.

    Keys, all under ``dedup:<index>:``: ``meta`` (JSON manifest), ``feat``, ``doc`` and
    ``sent`` (hashes id -> packed features / compressed article / boilerplate sentence
    hashes), ``acct:learned`` (hash
    account -> learned sentence count), per account ``acct:<h>:ids``, ``acct:<h>:sens``
    (sets of ids) and ``acct:<h>:sents`` (hash sentence -> posts containing it), and the
    two LSH indexes ``lsh:full`` and ``lsh:lead`` (datasketch ``basename``). Writers
    serialize on the lock ``lock``; readers never block.
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
        self._bands = (1, 1)
        self._config: DedupConfig | None = None
        self._lsh: tuple[Any, Any] | None = None

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
            meta = json.loads(raw)
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

    def setup(self, config: DedupConfig, bands: tuple[int, int]) -> None:
        from datasketch import MinHashLSH

        self._bands = bands
        self._config = config
        # Buffered writes (insertion sessions) go out as plain pipelines: a query may see
        # part of an add either way, and MULTI/EXEC doubles the replies to parse.
        storage = {"type": "redis", "redis": dict(self._kwargs), "redis_buffer": {"transaction": False}}
        self._lsh = tuple(
            MinHashLSH(
                threshold=config.lsh_threshold,
                num_perm=config.num_perm,
                params=bands,
                storage_config={**storage, "basename": self._k(f"lsh:{part}").encode()},
                prepickle=False,
            )
            for part in ("full", "lead")
        )

    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        lock = self._client.lock(self._k("lock"), timeout=600, blocking_timeout=600)
        if not lock.acquire():
            msg = f"{_redact(self.location)}: another writer held the index lock for more than 600 s"
            raise IndexConnectionError(msg)
        try:
            yield
        finally:
            with contextlib.suppress(self._redis_mod.exceptions.LockError):
                lock.release()

    def close(self) -> None:
        self._client.close()

    # -- reads -------------------------------------------------------------------
    def count(self) -> int:
        return int(self._client.hlen(self._k("feat")))

    def accounts(self) -> int:
        return int(self._client.hlen(self._k("acct:learned")))

    def contains(self, ids: Sequence[str]) -> list[bool]:
        if not ids:
            return []
        pipe = self._client.pipeline(transaction=False)
        for i in ids:
            pipe.hexists(self._k("feat"), i)
        return [bool(x) for x in pipe.execute()]

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

    def _minhash(self, signature: NDArray[np.unsignedinteger]) -> Any:
        from datasketch import LeanMinHash

        assert self._config is not None
        return LeanMinHash(seed=self._config.seed, hashvalues=signature, scheme=self._config.scheme)

    def candidates(self, full: NDArray[Any], lead: NDArray[Any]) -> set[str]:
        assert self._lsh is not None
        # What MinHashLSH.query reads (one SMEMBERS per band), for both indexes in one
        # pipelined round trip instead of one round trip per band.
        pipe = self._client.pipeline(transaction=False)
        for lsh, sig in zip(self._lsh, (full, lead), strict=True):
            hashvalues = self._minhash(sig).hashvalues
            for (start, end), table in zip(lsh.hashranges, lsh.hashtables, strict=True):
                pipe.smembers(table.redis_key(lsh._H(hashvalues[start:end])))
        keys: set[bytes] = set()
        for members in pipe.execute():
            keys.update(members)
        return {_text(k) for k in keys}

    def bp_state(self, account: str, hashes: NDArray[np.uint64]) -> tuple[int, int, NDArray[np.int64]]:
        pipe = self._client.pipeline(transaction=False)
        pipe.scard(self._acct(account, "ids"))
        pipe.hget(self._k("acct:learned"), _account_key(account))
        if len(hashes):
            pipe.hmget(self._acct(account, "sents"), [int(h).to_bytes(8, "little") for h in hashes])
        res = pipe.execute()
        counts = np.array([int(c or 0) for c in res[2]], dtype=np.int64) if len(hashes) else _EMPTY_I64
        return int(res[0]), int(res[1] or 0), counts

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

    def band_rows(self, records: Sequence[_Record]) -> tuple[NDArray[Any], NDArray[Any]] | None:
        return None

    def snapshot(self) -> Iterator[_Record]:
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
        insert: Sequence[tuple[_Record, NDArray[Any], NDArray[Any]]],
        replace: Sequence[tuple[_Record, NDArray[Any], NDArray[Any]]],
        delete: Sequence[_Record],
        learned: dict[str, int],
    ) -> None:
        assert self._lsh is not None
        # LSH entries go first on removal and last on insertion, so a concurrent
        # query never gets a candidate whose features are missing.
        gone = [rec.id.encode("utf-8", "surrogatepass") for rec in [*delete, *(r for r, _, _ in replace)]]
        for lsh in self._lsh:
            self._lsh_remove(lsh, gone)
        pipe = self._client.pipeline(transaction=True)
        for rec in delete:
            pipe.hdel(self._k("feat"), rec.id)
            pipe.hdel(self._k("doc"), rec.id)
            pipe.hdel(self._k("sent"), rec.id)
            if rec.account:
                pipe.srem(self._acct(rec.account, "ids"), rec.id)
                pipe.srem(self._acct(rec.account, "sens"), rec.id)
                for h in rec.sentences.tolist():
                    pipe.hincrby(self._acct(rec.account, "sents"), h.to_bytes(8, "little"), -1)
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
                for h in rec.sentences.tolist():
                    pipe.hincrby(self._acct(rec.account, "sents"), h.to_bytes(8, "little"), 1)
        for account, n in learned.items():
            pipe.hset(self._k("acct:learned"), _account_key(account), n)
        pipe.execute()
        self._tidy_accounts({rec.account for rec in delete if rec.account})
        items = [(r, f, ld) for r, f, ld in [*replace, *insert] if r.eligible]
        if items:
            for lsh, col in zip(self._lsh, (1, 2), strict=True):
                with lsh.insertion_session(buffer_size=10000) as session:
                    for rec, full, lead in items:
                        session.insert(
                            rec.id.encode("utf-8", "surrogatepass"),
                            self._minhash(full if col == 1 else lead),
                            check_duplication=False,
                        )

    def _lsh_remove(self, lsh: Any, keys: list[bytes]) -> None:
        """``MinHashLSH.remove`` for many keys, in four pipelined round trips.

        The same changes datasketch makes (take the key out of its bucket in every band,
        drop buckets left empty from the band's registry, forget the key), without one
        round trip per band and key.
        """
        if not keys:
            return
        pipe = self._client.pipeline(transaction=False)
        for key in keys:
            pipe.lrange(lsh.keys.redis_key(key), 0, -1)
        bands = pipe.execute()
        touched: list[tuple[Any, bytes]] = []
        pipe = self._client.pipeline(transaction=False)
        for key, hs in zip(keys, bands, strict=True):
            for h, table in zip(hs, lsh.hashtables, strict=False):
                pipe.srem(table.redis_key(h), key)
                touched.append((table, h))
        pipe.execute()
        if touched:
            pipe = self._client.pipeline(transaction=False)
            for table, h in touched:
                pipe.exists(table.redis_key(h))
            alive = pipe.execute()
            pipe = self._client.pipeline(transaction=False)
            for (table, h), there in zip(touched, alive, strict=True):
                if not there:
                    pipe.hdel(table._name, h)  # the band's bucket registry (datasketch layout)
            pipe.execute()
        present = [key for key, hs in zip(keys, bands, strict=True) if hs]
        if present:
            lsh.keys.remove(*present)

    def _tidy_accounts(self, accounts: set[str]) -> None:
        """Drop zero counts and the statistics of accounts left without posts."""
        for account in accounts:
            sents = self._acct(account, "sents")
            zero = [k for k, v in self._client.hgetall(sents).items() if int(v) <= 0]
            if zero:
                self._client.hdel(sents, *zero)
            if not self._client.scard(self._acct(account, "ids")):
                self._client.delete(sents, self._acct(account, "ids"), self._acct(account, "sens"))
                self._client.hdel(self._k("acct:learned"), _account_key(account))

    def clear(self) -> None:
        keep = self._k("meta").encode()
        batch: list[bytes] = []
        for key in self._client.scan_iter(match=self.prefix + "*", count=1000):
            if key != keep:
                batch.append(key)
            if len(batch) >= 1000:
                self._client.delete(*batch)
                batch = []
        if batch:
            self._client.delete(*batch)

    def drop(self) -> None:
        self.clear()
        self._client.delete(self._k("meta"))


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
    """An article normalized, with its boilerplate-countable sentences."""

    article: Article
    title: str
    body: str
    sentences: NDArray[np.uint64]
    by_hash: dict[int, str]
    sensitive: bool


@dataclass(slots=True)
class _Change:
    """How one account's learned boilerplate changes when posts come and go.

    ``deltas`` are the pending changes in sentence counts; ``need`` the posts a sentence
    must then appear in; ``flipped`` the sentences already in the index whose status
    changes; ``before``/``after`` whether the account has any learned sentence;
    ``learned`` how many it has afterwards.
    """

    account: str
    need: float
    deltas: Counter[int]
    flipped: NDArray[np.uint64]
    before: bool
    after: bool
    learned: int


class DedupIndex:
    r"""An index of published posts that new posts are checked against.

    Parameters
    ----------
    config : DedupConfig, optional
        Every option; recorded in saved files and in Redis, and checked when loading.

    Notes
    -----
    **What a query answers.** ``index.query(article)`` returns the indexed posts that
    ``dedup check`` run on *the indexed posts plus this article* would pair with it as
    one story: same normalization and learned account boilerplate, candidates from the
    full-text and the lead LSH, the same verification (score, kind) and threshold,
    ``min_length`` and ``cross_account_only``. These are verified pairs; the grouping
    step of ``dedup check`` (which may leave one of two conflicting pairs out of a
    story) is not applied. If the article's id is already indexed, the query stands
    for that post: it is compared with the *other* indexed posts. Posts of one query
    batch are not compared with each other.

    **Learned boilerplate.** Sentences recurring in many posts of one account are
    ignored, as in ``dedup check``. Adding or removing posts can change what an
    account has learned; the affected indexed posts are then re-extracted, so the
    stored features always equal those ``dedup check`` would compute for the whole
    indexed set. A query whose own post would change what its account learned (say,
    the third post with a new footer) compares against those posts as re-extracted for
    it; such queries are slower, the index is not changed.

    **Threads.** Every method takes one lock, so an index object may be shared by
    threads: each ``add`` step (up to 1,000 articles), ``remove``, ``query`` and
    ``save`` sees and leaves the index in a consistent state, as if the calls ran one
    after another. A long ``add`` lets queries in between its steps.

    **Processes (Redis).** Writers (``add`` steps, ``remove``) of all processes take a
    lock in Redis and run one at a time. Queries never wait: a query that runs while
    another process adds may see some of that add's posts and not others.

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
                msg = f"no index at {backend.location}"
                raise IndexFileError(msg)
            cfg: object = config if config is not None else DedupConfig()
            if not isinstance(cfg, DedupConfig):
                msg = f"config must be a DedupConfig, got {type(cfg).__name__}"
                raise TypeError(msg)
            bands = _lsh_bands(cfg)
            meta = backend.store_meta(_manifest(cfg, bands))
        self._meta = meta
        recorded = _validate_manifest(meta, _redact(backend.location))
        bands = (int(recorded["lsh_bands"][0]), int(recorded["lsh_bands"][1]))
        if config is not None:
            _check_record(recorded, _config_record(config, bands), _redact(backend.location))
            self.config = config
        else:
            self.config = _config_from_record(recorded, None)
            digest = _user_dict_digest(self.config.user_dict)
            if digest != recorded["user_dict_sha256"]:
                msg = (
                    f"{_redact(backend.location)} was built with a different config (user_dict_sha256: "
                    f"the user dictionary {self.config.user_dict!r} has changed since)"
                )
                raise ConfigError(msg)
        current = _lsh_bands(self.config)
        if current != bands:
            msg = (
                f"{_redact(backend.location)} was built with LSH bands {bands}, but this datasketch "
                f"picks {current} for lsh_threshold={self.config.lsh_threshold}"
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
        b = self._bands[0]

        def array(member: str, dtype: str, shape: tuple[int, ...] | None = None) -> NDArray[Any]:
            with zf.open(member + ".npy") as fh:
                try:
                    arr = np.lib.format.read_array(fh, allow_pickle=False)
                except ValueError as exc:
                    msg = f"{name}: member {member}.npy is not a valid array ({exc})"
                    raise IndexFileError(msg) from None
            if arr.dtype != np.dtype(dtype) or (shape is not None and arr.shape != shape):
                msg = (
                    f"{name}: member {member}.npy has dtype {arr.dtype} and shape {arr.shape}, "
                    f"expected {dtype} {shape}"
                )
                raise IndexFileError(msg)
            return arr

        n = meta.get("count")
        if not isinstance(n, int) or n < 0:
            msg = f"{name}: the manifest's count is not a number of posts: {n!r}"
            raise IndexFileError(msg)
        length = array("length", "int64", (n,))
        n_words = array("n_words", "int64", (n,))
        digest = array("digest", "uint8", (n, 16))
        flags = array("flags", "uint8", (n,))

        def ragged(member: str, dtype: str) -> list[NDArray[Any]]:
            values = array(member, dtype)
            offsets = array(member + "_offsets", "int64", (n + 1,))
            if n + 1 and (offsets[0] != 0 or offsets[-1] != len(values) or (np.diff(offsets) < 0).any()):
                msg = f"{name}: offsets of {member} do not match its values"
                raise IndexFileError(msg)
            return [values[offsets[i] : offsets[i + 1]] for i in range(n)]

        shingles = ragged("shingles", "uint64")
        lead = ragged("lead", "uint64")
        sequence = ragged("sequence", "uint32")
        sentences = ragged("sentences", "uint64")
        full_bands = array("full_bands", "uint64", (n, b))
        lead_bands = array("lead_bands", "uint64", (n, b))
        docs = ragged("docs", "uint8")
        records: list[_Record] = []
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
                records.append(
                    _Record(
                        id=id_,
                        account=sys.intern(account),
                        length=int(length[i]),
                        n_words=int(n_words[i]),
                        digest=digest[i].tobytes(),
                        shingles=shingles[i],
                        lead=lead[i],
                        sequence=sequence[i],
                        specifics=specifics,
                        sentences=sentences[i],
                        flags=int(flags[i]),
                        doc=docs[i].tobytes(),
                    )
                )
        if len(records) != n:
            msg = f"{name}: posts.jsonl has {len(records)} posts, the manifest says {n}"
            raise IndexFileError(msg)
        assert isinstance(self._backend, _MemoryBackend)
        self._backend.load_bulk(records, full_bands, lead_bands)
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
        with self._lock:
            return self._backend.count()

    def __contains__(self, id_: object) -> bool:
        if not isinstance(id_, str):
            return False
        with self._lock:
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
        with self._lock:
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
        by_hash: dict[int, str] = {}
        if self.config.learn_boilerplate and article.account:
            by_hash = {_sentence_hash(s): s for s in countable_sentences(body)}
        sentences = np.array(sorted(by_hash), dtype=np.uint64)
        # Once its account has learned boilerplate, a post's lines are split into
        # sentences and joined again; "sensitive" posts come out different.
        sensitive = (
            self.config.learn_boilerplate
            and bool(article.account)
            and strip_sentences(body, lambda s: False) != body
        )
        return _Prepared(article, title, body, sentences, by_hash, sensitive)

    def _extract(self, p: _Prepared, change: _Change | None, *, keep_doc: bool = True) -> _Record:
        body = p.body
        if change is not None and change.after:
            learned: set[str] = set()
            if len(p.sentences):
                _, _, counts = self._backend.bp_state(change.account, p.sentences)
                for h, c in zip(p.sentences.tolist(), counts.tolist(), strict=True):
                    if c + change.deltas.get(h, 0) >= change.need:
                        learned.add(p.by_hash[h])
            body = strip_sentences(body, learned.__contains__)
        f = self._extractor.extract(p.article, index=0, body=body, title=p.title)
        flags = (_SENSITIVE if p.sensitive else 0) | (
            _ELIGIBLE if f.length >= self.config.min_length and f.n_words > 0 else 0
        )
        return _Record(
            id=p.article.id,
            account=sys.intern(p.article.account),
            length=f.length,
            n_words=f.n_words,
            digest=f.digest,
            shingles=f.shingles,
            lead=f.lead,
            sequence=f.sequence,
            specifics=_SEP.join(sorted(f.specifics)),
            sentences=p.sentences,
            flags=flags,
            doc=_doc_bytes(p.article) if keep_doc else b"",
        )

    def _signatures(self, records: Sequence[_Record]) -> tuple[NDArray[Any], NDArray[Any]]:
        cfg = self.config
        kw: dict[str, Any] = {"num_perm": cfg.num_perm, "seed": cfg.seed, "scheme": cfg.scheme}
        # One call for both: the batch path amortizes its setup.
        both = minhash_signatures([r.shingles for r in records] + [r.lead for r in records], **kw)
        return both[: len(records)], both[len(records) :]

    # -- learned boilerplate -------------------------------------------------------
    def _changes(
        self,
        added: Sequence[tuple[str, NDArray[np.uint64]]],
        removed: Sequence[tuple[str, NDArray[np.uint64]]],
    ) -> dict[str, _Change]:
        """Per account, how learned boilerplate changes when ``added`` come and ``removed`` go."""
        if not self.config.learn_boilerplate:
            return {}
        posts: Counter[str] = Counter()
        deltas: dict[str, Counter[int]] = {}
        for sign, group in ((1, added), (-1, removed)):
            for account, sentences in group:
                if not account:
                    continue
                posts[account] += sign
                d = deltas.setdefault(account, Counter())
                for h in sentences.tolist():
                    d[h] += sign
        out = {}
        for account, d in deltas.items():
            out[account] = self._change(account, posts[account], d)
        return out

    def _change(self, account: str, dposts: int, deltas: Counter[int]) -> _Change:
        keys = np.array(sorted(deltas), dtype=np.uint64)
        p0, learned0, c0 = self._backend.bp_state(account, keys)
        p1 = p0 + dposts
        need0 = self._boilerplate.min_count(p0)
        need1 = self._boilerplate.min_count(p1)
        d = np.array([deltas[int(k)] for k in keys], dtype=np.int64)
        c1 = c0 + d
        st0 = (c0 >= need0) & (c0 > 0)
        st1 = (c1 >= need1) & (c1 > 0)
        flipped = [keys[(st0 != st1) & (c0 > 0)]]
        gained = int((~st0 & st1).sum())
        lost = int((st0 & ~st1).sum())
        lo, hi = math.ceil(min(need0, need1)), math.ceil(max(need0, need1))
        if lo != hi and p0 > 0:
            others = self._backend.bp_count_range(account, max(lo, 1), hi)
            others = others[~np.isin(others, keys)]
            flipped.append(others)
            if need1 > need0:
                lost += len(others)
            else:
                gained += len(others)
        learned1 = learned0 + gained - lost
        return _Change(
            account=account,
            need=need1,
            deltas=deltas,
            flipped=np.concatenate(flipped),
            before=learned0 > 0,
            after=learned1 > 0,
            learned=learned1,
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
        for a in batch:
            if not isinstance(cast(object, a), Article):
                msg = f"expected Article, got {type(a).__name__}"
                raise TypeError(msg)
            if a.id in seen:
                msg = f"duplicate id {a.id!r} in the batch"
                raise DuplicateIdError(msg, path=a.source, lineno=a.lineno, field="id")
            seen.add(a.id)
            if len(a.text) > self.config.max_length:
                msg = (
                    f"article is {len(a.text):,} characters, more than max_length {self.config.max_length:,}"
                )
                raise InputError(msg, path=a.source, lineno=a.lineno, field="text")
        with self._lock:
            self._check_new(batch)
        for start in range(0, len(batch), _CHUNK):
            chunk = batch[start : start + _CHUNK]
            with self._lock, self._backend.writing():
                self._check_new(chunk)
                self._add_chunk(chunk)
        return len(batch)

    def _check_new(self, batch: Sequence[Article]) -> None:
        present = self._backend.contains([a.id for a in batch])
        for a, there in zip(batch, present, strict=True):
            if there:
                msg = f"id {a.id!r} is already in the index"
                raise DuplicateIdError(msg, path=a.source, lineno=a.lineno, field="id")

    def _add_chunk(self, batch: Sequence[Article]) -> None:
        prepared = [self._prepare(a) for a in batch]
        changes = self._changes([(p.article.account, p.sentences) for p in prepared], [])
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
        full, lead = self._signatures(todo)
        items = [(rec, full[i], lead[i]) for i, rec in enumerate(todo)]
        self._backend.write(
            insert=items[: len(insert)],
            replace=items[len(insert) :],
            delete=delete,
            learned={a: ch.learned for a, ch in changes.items()},
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
        with self._lock, self._backend.writing():
            records = self._backend.records(wanted, docs=True)
            missing = [i for i, rec in zip(wanted, records, strict=True) if rec is None]
            if missing and not missing_ok:
                shown = ", ".join(repr(i) for i in missing[:5]) + (" ..." if len(missing) > 5 else "")
                msg = f"{len(missing)} id(s) not in the index: {shown}"
                raise UnknownIdError(msg)
            gone = [rec for rec in records if rec is not None]
            if not gone:
                return 0
            changes = self._changes([], [(r.account, r.sentences) for r in gone])
            affected = self._affected(changes)
            for rec in gone:
                affected.pop(rec.id, None)
            redone = self._reextract(sorted(affected), changes)
            self._write(insert=[], replace=redone, delete=gone, changes=changes)
            return len(gone)

    def clear(self) -> None:
        """Remove every post; the index keeps its config."""
        with self._lock, self._backend.writing():
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
        with self._lock:
            return self._query(article, k=k, evidence=want_evidence, templates=templates)

    def _query(self, article: Article, *, k: int | None, evidence: bool, templates: bool) -> list[IndexMatch]:
        cfg = self.config
        p = self._prepare(article)
        old = self._backend.records([article.id])[0]
        removed = [(old.account, old.sentences)] if old is not None else []
        changes = self._changes([(article.account, p.sentences)], removed)
        rec = self._extract(p, changes.get(article.account), keep_doc=False)
        if not rec.eligible:
            return []
        full, lead = self._signatures([rec])
        candidates = self._backend.candidates(full[0], lead[0])
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
            if redone:
                b, r = self._bands
                rfull, rlead = self._signatures(redone)
                qkeys = _band_keys(np.concatenate([full, lead]), b=b, r=r)
                rkeys_full = _band_keys(rfull, b=b, r=r)
                rkeys_lead = _band_keys(rlead, b=b, r=r)
                hit = (rkeys_full == qkeys[0]).any(axis=1) | (rkeys_lead == qkeys[1]).any(axis=1)
                others = [x for x, h in zip(redone, hit.tolist(), strict=True) if h]
        ids = sorted(candidates)
        stored = [x for x in self._backend.records(ids) if x is not None and x.eligible]
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
        out = []
        qnorm = normalize_with_offsets(article.text, cfg.normalize) if evidence and scored else None
        for n, (other, v) in enumerate(scored):
            ev = None
            if qnorm is not None:
                doc = docs[n] or other.doc
                if doc:
                    text = _article_from_doc(other.id, other.account, doc).text
                    ev = build_evidence(
                        qnorm,
                        normalize_with_offsets(text, cfg.normalize),
                        qf.specifics,
                        frozenset(other.specifics_list()),
                    )
            assert v.kind is not None
            out.append(
                IndexMatch(id=other.id, score=v.score, kind=v.kind, account=other.account, evidence=ev)
            )
        return out

    # -- persistence -----------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index to one file, atomically.

        The file is written under a temporary name in the same directory, flushed to
        disk, and renamed over ``path``: a crash or an error while saving leaves the
        previous file (if any) as it was.

        Parameters
        ----------
        path : path
            Destination; any suffix (``.dedup`` is customary).
        """
        target = os.fspath(path)
        directory = os.path.dirname(os.path.abspath(target))
        with self._lock:
            records = list(self._backend.snapshot())
            bands = self._backend.band_rows(records)
            if bands is None:
                full, lead = self._signatures(records)
                b, r = self._bands
                bands = (_band_keys(full, b=b, r=r), _band_keys(lead, b=b, r=r))
            meta = dict(self._meta)
            meta["count"] = len(records)
            meta["dedup_version"] = _dedup_version()
            fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=directory)
            try:
                with os.fdopen(fd, "wb") as fh:
                    _write_zip(fh, meta, records, bands)
                    fh.flush()
                    os.fsync(fh.fileno())
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


def _manifest(config: DedupConfig, bands: tuple[int, int]) -> dict[str, Any]:
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
            f"{where}: index format version {version} is newer than this dedup reads "
            f"({FORMAT_VERSION}); upgrade dedup"
        )
        raise IndexFileError(msg)
    config = meta.get("config")
    required = (*_RECORDED, "normalize", "lsh_bands", "boilerplate", "user_dict_sha256")
    if not isinstance(config, dict) or any(key not in config for key in required):
        msg = f"{where}: the index manifest lacks the recorded config"
        raise IndexFileError(msg)
    return config


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


def _write_zip(
    fh: Any,
    meta: dict[str, Any],
    records: Sequence[_Record],
    bands: tuple[NDArray[np.uint64], NDArray[np.uint64]],
) -> None:
    def ragged(arrays: list[NDArray[Any]], dtype: str) -> tuple[NDArray[Any], NDArray[np.int64]]:
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        if arrays:
            offsets[1:] = np.cumsum([len(a) for a in arrays])
            return np.concatenate(arrays).astype(dtype), offsets
        return np.zeros(0, dtype=dtype), offsets

    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        zf.writestr("manifest.json", json.dumps(meta, ensure_ascii=False, indent=1))
        lines = [
            json.dumps(
                {"id": r.id, "account": r.account, "specifics": r.specifics_list()}, ensure_ascii=False
            )
            for r in records
        ]
        data = ("\n".join(lines) + ("\n" if lines else "")).encode("utf-8", "surrogatepass")
        zf.writestr("posts.jsonl", data, compress_type=zipfile.ZIP_DEFLATED)
        columns: dict[str, NDArray[Any]] = {
            "length": np.array([r.length for r in records], dtype=np.int64),
            "n_words": np.array([r.n_words for r in records], dtype=np.int64),
            "digest": np.frombuffer(b"".join(r.digest for r in records), dtype=np.uint8).reshape(
                len(records), 16
            ),
            "flags": np.array([r.flags for r in records], dtype=np.uint8),
            "full_bands": bands[0],
            "lead_bands": bands[1],
        }
        for member, attr, dtype in (
            ("shingles", "shingles", "uint64"),
            ("lead", "lead", "uint64"),
            ("sequence", "sequence", "uint32"),
            ("sentences", "sentences", "uint64"),
            ("docs", "doc", "uint8"),
        ):
            arrays = [getattr(r, attr) for r in records]
            if attr == "doc":
                arrays = [np.frombuffer(d, dtype=np.uint8) for d in arrays]
            values, offsets = ragged(arrays, dtype)
            columns[member] = values
            columns[member + "_offsets"] = offsets
        for member, arr in columns.items():
            zf.writestr(member + ".npy", _npy(arr))
