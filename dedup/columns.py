"""The one codec of :class:`~dedup.features.Features`: many posts as a few flat arrays.

Features cross process boundaries (workers send them back), go into index files and
into Redis. All three use :class:`FeatureColumns`: the features of consecutive posts
as a handful of large arrays (one per field; variable-length fields as values plus
offsets), which pickle and write as a few buffers rather than thousands of small
objects. :meth:`FeatureColumns.to_arrays` gives named numpy arrays (members of an index
file), :func:`arrays_to_bytes` one compact blob (a Redis value), and the ``from_``
methods read them back, validating everything: stored data is untrusted.

The field list lives here once (:data:`RAGGED_FIELDS` and the scalar fields); adding a
feature means adding it here and in :class:`~dedup.features.Features`.
"""

from __future__ import annotations

import math
import struct
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup.arrays import edges_of
from dedup.exceptions import IndexFileError
from dedup.features import Features

__all__ = [
    "RAGGED_FIELDS",
    "FeatureColumns",
    "arrays_from_bytes",
    "arrays_to_bytes",
    "join_ragged",
    "split_ragged",
    "strings_from_column",
    "strings_to_column",
]

#: Variable-length fields of Features and their dtype (``None``: the MinHash scheme's
#: hash width, uint32 for affine32 and uint64 for affine64).
RAGGED_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("shingles", None),
    ("lead", None),
    ("sequence", "uint32"),
    ("paragraphs", None),
    ("paragraph_bounds", "uint32"),
    ("key_positions", "uint32"),
    ("key_kinds", "uint8"),
    ("title_words", "uint32"),
    ("sentence_starts", "uint32"),
)
# Separates the specifics of one post in a text column (normalization removes control
# characters, so it never occurs inside a specific).
_SEP = "\x00"


def join_ragged(parts: Sequence[NDArray[Any]], dtype: Any) -> tuple[NDArray[Any], NDArray[np.int64]]:
    """Concatenate arrays into ``(values, offsets)``: part ``k`` is ``values[offsets[k]:offsets[k + 1]]``.

    Examples
    --------
    >>> values, offsets = join_ragged([np.arange(2), np.arange(3)], np.int64)
    >>> values.tolist(), offsets.tolist()
    ([0, 1, 0, 1, 2], [0, 2, 5])
    """
    offsets = edges_of([len(p) for p in parts])
    if not parts:
        return np.zeros(0, dtype=dtype), offsets
    return np.concatenate(parts).astype(dtype, copy=False), offsets


def split_ragged(values: NDArray[Any], offsets: NDArray[np.int64]) -> list[NDArray[Any]]:
    """Inverse of :func:`join_ragged` (views into ``values``)."""
    return [values[a:b] for a, b in pairwise(offsets.tolist())]


def strings_to_column(strings: Sequence[str]) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """Strings as one UTF-8 byte column with offsets."""
    encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
    offsets = edges_of([len(e) for e in encoded])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8).copy(), offsets


def strings_from_column(values: NDArray[np.uint8], offsets: NDArray[np.int64]) -> list[str]:
    """Inverse of :func:`strings_to_column`."""
    blob = values.tobytes()
    return [blob[a:b].decode("utf-8", "surrogatepass") for a, b in pairwise(offsets.tolist())]


@dataclass(frozen=True, slots=True)
class FeatureColumns:
    """The features of consecutive posts, field by field.

    Attributes
    ----------
    start : int
        Position of the first post.
    ids, accounts : list of str, or None
        Left out (``None``) where the receiver has them already (a worker sending
        features of articles the parent holds).
    length, n_words : ndarray of int64, shape (n,)
    published : ndarray of float64, shape (n,)
    body_hash : ndarray of uint8, shape (n, 16)
    specifics, key_words : list of tuple of str
    ragged : dict
        ``name -> (values, offsets)`` for each of :data:`RAGGED_FIELDS`.
    """

    start: int
    ids: list[str] | None
    accounts: list[str] | None
    length: NDArray[np.int64]
    n_words: NDArray[np.int64]
    published: NDArray[np.float64]
    body_hash: NDArray[np.uint8]
    specifics: list[tuple[str, ...]]
    key_words: list[tuple[str, ...]]
    ragged: dict[str, tuple[NDArray[Any], NDArray[np.int64]]]

    def __len__(self) -> int:
        return len(self.length)

    @staticmethod
    def pack(feats: Sequence[Features], *, start: int = 0, names: bool = True) -> FeatureColumns:
        """The columns of ``feats`` (``names=False`` leaves ids and accounts out).

        Examples
        --------
        >>> from dedup import Article, DedupConfig
        >>> from dedup.features import FeatureExtractor
        >>> feats = FeatureExtractor(DedupConfig()).extract_many([Article(id="1", text="社区开展垃圾分类宣传活动。")])
        >>> FeatureColumns.pack(feats).unpack()[0].id
        '1'
        """
        width = _width_of(feats)
        ragged = {}
        for name, dtype in RAGGED_FIELDS:
            ragged[name] = join_ragged([getattr(f, name) for f in feats], dtype or width)
        return FeatureColumns(
            start=start,
            ids=[f.id for f in feats] if names else None,
            accounts=[f.account for f in feats] if names else None,
            length=np.array([f.length for f in feats], dtype=np.int64),
            n_words=np.array([f.n_words for f in feats], dtype=np.int64),
            published=np.array([f.published for f in feats], dtype=np.float64),
            body_hash=np.frombuffer(b"".join(f.body_hash for f in feats), dtype=np.uint8).reshape(len(feats), 16),
            specifics=[f.specifics for f in feats],
            key_words=[f.key_words for f in feats],
            ragged=ragged,
        )

    def unpack(self, ids: Sequence[str] | None = None, accounts: Sequence[str] | None = None) -> list[Features]:
        """The :class:`Features` again, as views into the columns.

        ``ids`` and ``accounts`` give the names when the columns left them out.
        """
        ids = self.ids if ids is None else ids
        accounts = self.accounts if accounts is None else accounts
        if ids is None or accounts is None:
            msg = "these columns carry no ids or accounts: pass them"
            raise ValueError(msg)
        return [self.row(k, ids[k], accounts[k]) for k in range(len(self))]

    def row(
        self,
        k: int,
        post_id: str,
        account: str,
        *,
        body: tuple[FeatureColumns, int] | None = None,
        specifics: tuple[str, ...] | None = None,
    ) -> Features:
        """The :class:`Features` of row ``k`` (views into the columns), named ``post_id`` of ``account``.

        ``body`` gives the columns and row the body fields come from instead (a post
        whose body is an identical copy of another's); the headline's words and the
        publication time stay row ``k``'s. ``specifics`` replaces the row's own.
        """
        cols, b = body if body is not None else (self, k)
        ragged = cols.ragged

        def part(name: str, at: dict[str, tuple[NDArray[Any], NDArray[np.int64]]] = ragged, r: int = b) -> NDArray[Any]:
            values, offsets = at[name]
            return values[int(offsets[r]) : int(offsets[r + 1])]

        return Features(
            position=self.start + k,
            id=post_id,
            account=account,
            length=int(cols.length[b]),
            n_words=int(cols.n_words[b]),
            body_hash=cols.body_hash[b].tobytes(),
            specifics=self.specifics[k] if specifics is None else specifics,
            shingles=part("shingles"),
            lead=part("lead"),
            sequence=part("sequence"),
            paragraphs=part("paragraphs"),
            paragraph_bounds=part("paragraph_bounds"),
            key_positions=part("key_positions"),
            key_kinds=part("key_kinds"),
            key_words=cols.key_words[b],
            title_words=part("title_words", self.ragged, k),
            sentence_starts=part("sentence_starts"),
            published=float(self.published[k]),
        )

    def to_arrays(self) -> dict[str, NDArray[Any]]:
        """Every column as a named numpy array (text columns as UTF-8 bytes + offsets)."""
        if self.ids is None or self.accounts is None:
            msg = "columns without ids and accounts cannot be stored"
            raise ValueError(msg)
        out: dict[str, NDArray[Any]] = {
            "length": self.length,
            "n_words": self.n_words,
            "published": self.published,
            "body_hash": self.body_hash,
        }
        for name, strings in (
            ("id", self.ids),
            ("account", self.accounts),
            ("specifics", [_SEP.join(s) for s in self.specifics]),
            ("key_words", [_SEP.join(s) for s in self.key_words]),
        ):
            out[name], out[name + "_offsets"] = strings_to_column(strings)
        for name, (values, offsets) in self.ragged.items():
            out[name], out[name + "_offsets"] = values, offsets
        return out

    @staticmethod
    def from_arrays(arrays: Mapping[str, NDArray[Any]], *, width: str, start: int = 0) -> FeatureColumns:
        """Read :meth:`to_arrays` back, checking every shape, dtype and offset.

        Parameters
        ----------
        arrays : mapping of str to ndarray
            The named columns.
        width : {"uint32", "uint64"}
            The hash width of the MinHash scheme the features were made for.
        start : int
            Position of the first post.

        Raises
        ------
        IndexFileError
            A column is missing or inconsistent.
        """
        length = _column(arrays, "length", "int64", 1)
        n = len(length)
        n_words = _column(arrays, "n_words", "int64", 1, n)
        published = _column(arrays, "published", "float64", 1, n)
        body_hash = _column(arrays, "body_hash", "uint8", 2, n)
        if body_hash.shape != (n, 16) or (length < 0).any() or (n_words < 0).any():
            msg = "body_hash, length or n_words columns are malformed"
            raise IndexFileError(msg)
        texts = {}
        for name in ("id", "account", "specifics", "key_words"):
            values = _column(arrays, name, "uint8", 1)
            texts[name] = _strings(values, _offsets(arrays, name, n, len(values)), name)
        ragged = {}
        for name, dtype in RAGGED_FIELDS:
            values = _column(arrays, name, dtype or width, 1)
            ragged[name] = (values, _offsets(arrays, name, n, len(values)))
        for k, b in enumerate(split_ragged(*ragged["paragraph_bounds"])):
            sizes = ragged["paragraphs"][1]
            if len(b) == 0 or b[0] != 0 or (np.diff(b.astype(np.int64)) < 0).any() or b[-1] != sizes[k + 1] - sizes[k]:
                msg = f"paragraph bounds of post {k} do not match its paragraphs"
                raise IndexFileError(msg)
        n_words_of = n_words.tolist()
        if np.diff(ragged["sequence"][1]).tolist() != n_words_of:
            msg = "n_words does not match the stored word sequences"
            raise IndexFileError(msg)
        for k, starts in enumerate(split_ragged(*ragged["sentence_starts"])):
            if len(starts) and (
                starts[0] == 0 or starts[-1] >= n_words_of[k] or (np.diff(starts.astype(np.int64)) <= 0).any()
            ):
                msg = f"sentence starts of post {k} are not increasing inside its words"
                raise IndexFileError(msg)
        intern = sys.intern
        return FeatureColumns(
            start=start,
            ids=texts["id"],
            accounts=[intern(a) for a in texts["account"]],
            length=length,
            n_words=n_words,
            published=published,
            body_hash=body_hash,
            specifics=[tuple(intern(x) for x in s.split(_SEP)) if s else () for s in texts["specifics"]],
            key_words=[tuple(intern(x) for x in s.split(_SEP)) if s else () for s in texts["key_words"]],
            ragged=ragged,
        )


def _width_of(feats: Sequence[Features]) -> str:
    for f in feats:
        if len(f.lead):
            return str(f.lead.dtype)
        if len(f.shingles):
            return str(f.shingles.dtype)
    return "uint32"


def _column(arrays: Mapping[str, NDArray[Any]], name: str, dtype: str, ndim: int, n: int | None = None) -> NDArray[Any]:
    arr = arrays.get(name)
    if arr is None:
        msg = f"column {name!r} is missing"
        raise IndexFileError(msg)
    if arr.dtype != np.dtype(dtype) or arr.ndim != ndim or (n is not None and len(arr) != n):
        msg = f"column {name!r} has dtype {arr.dtype} and shape {arr.shape}, expected {dtype} of {ndim} dimension(s)"
        raise IndexFileError(msg)
    return arr


def _offsets(arrays: Mapping[str, NDArray[Any]], name: str, n: int, total: int) -> NDArray[np.int64]:
    off = _column(arrays, name + "_offsets", "int64", 1, n + 1)
    if off[0] != 0 or off[-1] != total or (np.diff(off) < 0).any():
        msg = f"offsets of column {name!r} do not match its values"
        raise IndexFileError(msg)
    return off


def _strings(values: NDArray[np.uint8], offsets: NDArray[np.int64], name: str) -> list[str]:
    try:
        return strings_from_column(values, offsets)
    except UnicodeDecodeError:
        msg = f"column {name!r} is not valid UTF-8"
        raise IndexFileError(msg) from None


# -- one blob ---------------------------------------------------------------------------

_MAGIC = b"DXC1"
_HEAD = struct.Struct("<4sH")
_ENTRY = struct.Struct("<HBB")  # name length, dtype code, ndim
_DTYPES = ("uint8", "uint32", "uint64", "int64", "float64")
# (stored little-endian, native) of each code, made once: a blob of one post is decoded in
# tens of microseconds, where building dtypes and numpy products per array took a millisecond.
_DECODE = tuple((np.dtype(d).newbyteorder("<"), np.dtype(d)) for d in _DTYPES)


def arrays_to_bytes(arrays: Mapping[str, NDArray[Any]]) -> bytes:
    """Named arrays as one compact blob (a Redis value): names, dtypes, shapes, data.

    Examples
    --------
    >>> blob = arrays_to_bytes({"a": np.arange(3, dtype=np.int64)})
    >>> arrays_from_bytes(blob)["a"].tolist()
    [0, 1, 2]
    """
    parts = [_HEAD.pack(_MAGIC, len(arrays))]
    for name, arr in arrays.items():
        raw = name.encode()
        code = _DTYPES.index(str(arr.dtype))
        parts.append(_ENTRY.pack(len(raw), code, arr.ndim) + raw + struct.pack(f"<{arr.ndim}Q", *arr.shape))
        parts.append(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<"), copy=False).tobytes())
    return b"".join(parts)


def arrays_from_bytes(blob: bytes, *, max_items: int = 1 << 28) -> dict[str, NDArray[Any]]:
    """Inverse of :func:`arrays_to_bytes`; a malformed blob is an :class:`IndexFileError`.

    ``max_items`` bounds any one array's declared size.
    """
    try:
        magic, count = _HEAD.unpack_from(blob)
        if magic != _MAGIC:
            msg = "not a dedup column blob"
            raise IndexFileError(msg)
        pos = _HEAD.size
        out: dict[str, NDArray[Any]] = {}
        for _ in range(count):
            size, code, ndim = _ENTRY.unpack_from(blob, pos)
            pos += _ENTRY.size
            name = blob[pos : pos + size].decode()
            pos += size
            shape = struct.unpack_from(f"<{ndim}Q", blob, pos)
            pos += 8 * ndim
            dtype, native = _DECODE[code]
            items = math.prod(shape)
            if items > max_items or pos + items * dtype.itemsize > len(blob):
                msg = f"column {name!r} declares {items} items, more than the blob holds"
                raise IndexFileError(msg)
            arr = np.frombuffer(blob, dtype=dtype, count=items, offset=pos).reshape(shape)
            out[name] = arr.astype(native)
            pos += items * dtype.itemsize
        if pos != len(blob):
            msg = "trailing bytes after the last column"
            raise IndexFileError(msg)
    except (struct.error, IndexError, UnicodeDecodeError, ValueError) as exc:
        msg = f"a stored record is corrupted ({type(exc).__name__}: {exc})"
        raise IndexFileError(msg) from None
    return out
