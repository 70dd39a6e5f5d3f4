"""The index file: a versioned ZIP of numpy arrays, written atomically, read as untrusted data.

Format (version :data:`FORMAT_VERSION`), like numpy's ``.npz``: ``manifest.json`` holds
the format name and version, the dedup version that wrote it, the config record
(:meth:`~dedup.DedupConfig.record`) and the number of posts; every other member is an
``.npy`` array (never a pickle), stored uncompressed: the stored posts' columns
(:func:`~dedup.index_storage.posts_to_arrays`: the features codec plus boilerplate
keys, flags and the compressed articles) and their LSH band keys (``full_bands``,
``lead_bands``, ``para_bands`` with offsets).

Reading trusts nothing in the file: members must be stored (no compression, no
encryption), every array's declared shape must match its member's size and the counts
the manifest and the offsets give before anything is allocated, and every failure is an
:class:`~dedup.exceptions.IndexFileError`. The manifest never names a file to open nor
a pattern to run (see :meth:`~dedup.DedupConfig.from_record`).
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import secrets
import stat
import time
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup.chrome import SKETCH_SIZE
from dedup.columns import RAGGED_FIELDS, join_ragged, split_ragged
from dedup.config import DedupConfig
from dedup.exceptions import IndexFileError
from dedup.index_storage import StoredPost, posts_from_arrays, posts_to_arrays
from dedup.lsh import PostBands

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "IndexFile", "locked", "manifest", "validate_manifest", "write_index"]

logger = logging.getLogger(__name__)

FORMAT_NAME = "dedup-index"
#: Version of the file format (and of the Redis layout) this module writes. Version 1
#: (dedup 0.1, datasketch's Redis layout) is refused: rebuild such an index. Version 4
#: changed the chrome body sketch (one-permutation hashing): older sketches do not compare.
#: Version 5 changed the stored event keys (amounts keep their 万/亿, a repost's credit is
#: attribution, a dateline's day is a key): older posts' keys would not compare with new ones.
#: Version 6 stores where each post's sentences start (a new feature column). Version 7 reads a
#: clock hour after 下午/晚上 on the 24-hour clock (下午1点 and 13时 are one key).
FORMAT_VERSION = 7
# A save's temporary file unwritten for this long, and not locked, is a killed save's leftover.
STALE_TEMP_AGE = 60.0
_MAX_MANIFEST = 1 << 20
_MAX_POSTS = 1 << 31


def manifest(config: DedupConfig) -> dict[str, Any]:
    """A new index's manifest: format, version, writer and the config record."""
    from dedup import __version__

    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "dedup_version": __version__,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "config": config.record(),
    }


def validate_manifest(meta: object, where: str) -> dict[str, Any]:
    """The recorded config of a manifest, or the :class:`IndexFileError` saying what is wrong."""
    if not isinstance(meta, dict):
        msg = f"{where}: the index manifest is not an object"
        raise IndexFileError(msg)
    if meta.get("format") != FORMAT_NAME:
        msg = f"{where}: not a dedup index (format {meta.get('format')!r})"
        raise IndexFileError(msg)
    version = meta.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        msg = f"{where}: invalid index format version {version!r}"
        raise IndexFileError(msg)
    if version != FORMAT_VERSION:
        newer = version > FORMAT_VERSION
        msg = (
            f"{where}: index format version {version} is {'newer' if newer else 'older'} than this dedup reads "
            f"({FORMAT_VERSION}); {'upgrade dedup' if newer else 'rebuild the index with this dedup'}"
        )
        raise IndexFileError(msg)
    config = meta.get("config")
    if not isinstance(config, dict):
        msg = f"{where}: the index manifest lacks the recorded config"
        raise IndexFileError(msg)
    return config


# -- writing ---------------------------------------------------------------------------


def npy_bytes(arr: NDArray[Any]) -> bytes:
    """One array in numpy's ``.npy`` format (no pickles)."""
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def _members(
    meta: dict[str, Any], posts: Sequence[StoredPost], bands: Sequence[PostBands], b: tuple[int, int]
) -> Iterator[tuple[str, bytes]]:
    yield "manifest.json", json.dumps(meta, ensure_ascii=False, indent=1).encode("utf-8")
    for name, arr in posts_to_arrays(posts).items():
        yield name + ".npy", npy_bytes(arr)
    bf, bl = b
    eligible = [p.eligible for p in posts]
    yield "full_bands.npy", npy_bytes(np.stack([x.full for x in bands]) if bands else np.zeros((0, bf), np.uint64))
    yield "lead_bands.npy", npy_bytes(np.stack([x.lead for x in bands]) if bands else np.zeros((0, bl), np.uint64))
    paras = [x.paragraphs if ok else x.paragraphs[:0] for x, ok in zip(bands, eligible, strict=True)]
    values, offsets = join_ragged(paras, np.uint64)
    yield "para_bands.npy", npy_bytes(values.reshape(-1, bl))
    yield "para_bands_offsets.npy", npy_bytes(offsets)


def write_index(
    path: str | os.PathLike[str],
    meta: dict[str, Any],
    posts: Sequence[StoredPost],
    bands: Sequence[PostBands],
    b: tuple[int, int],
) -> None:
    """Write an index file atomically: a new file in the same directory, renamed over ``path``.

    The temporary file has an unpredictable name and is created exclusively (never
    through a link). The file keeps the mode of the one it replaces (a new one: what
    the umask allows, as for any new file). A crash or an error leaves the previous file
    as it was; a killed save leaves its temporary file, which a later save removes.
    """
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    base = os.path.basename(target)
    mode = _mode_for(target)
    tmp = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(tmp, flags, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            # Locked until renamed: another save never takes this file for a leftover.
            locked_tmp = _lock(fh.fileno(), wait=False)
            remove_stale_temps(directory, base, keep=tmp)
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
                for name, data in _members(meta, posts, bands, b):
                    zf.writestr(name, data)
            os.fchmod(fh.fileno(), mode)
            fh.flush()
            os.fsync(fh.fileno())
            if locked_tmp:  # POSIX: renaming an open file is fine
                os.replace(tmp, target)
        if not locked_tmp:
            os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def _mode_for(target: str) -> int:
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return 0o666 & ~_umask()


def _lock(fd: int, *, wait: bool) -> bool:
    """Take an exclusive ``flock`` on ``fd``; False if held (``wait=False``), failing or absent (Windows).

    The kernel drops the lock when its process dies, however it dies.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except OSError:
        return False
    return True


def remove_stale_temps(directory: str, base: str, *, keep: str) -> None:
    """Delete the temporary files that killed saves to ``base`` left in ``directory``.

    Only names :func:`write_index` makes for this target (``.BASE.XXXXXXXX.tmp``), only
    regular files, only when no process holds their lock (a save holds it until its
    rename) and they have not been written for :data:`STALE_TEMP_AGE` seconds. Without
    ``flock`` (Windows) nothing is removed. Errors are ignored: this is housekeeping.
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
                if stat.S_ISREG(st.st_mode) and now - st.st_mtime > STALE_TEMP_AGE and _lock(fd, wait=False):
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


@contextlib.contextmanager
def locked(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the writers' lock of an index file (``.NAME.lock`` beside it) while editing it.

    Two processes that each load, change and save one file take turns, so neither
    loses the other's posts. Readers need no lock: a save replaces the file whole.
    """
    target = os.path.abspath(os.fspath(path))
    lock_path = os.path.join(os.path.dirname(target), f".{os.path.basename(target)}.lock")
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(lock_path, flags, 0o666 & ~_umask())
    except OSError as exc:
        msg = f"{os.fspath(path)}: cannot take the index lock {lock_path}: {exc.strerror}"
        raise IndexFileError(msg) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            msg = f"{lock_path} is not a regular file"
            raise IndexFileError(msg)
        _lock(fd, wait=True)
        yield
    finally:
        os.close(fd)


def _umask() -> int:
    """The process umask, read without changing it where Linux shows it (os.umask is process-wide)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


# -- reading ---------------------------------------------------------------------------


class _Reader:
    """Members of an index ZIP, read with every size checked before it is allocated."""

    def __init__(self, zf: zipfile.ZipFile, where: str) -> None:
        self.zf = zf
        self.where = where
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            if info.flag_bits & 0x1:
                msg = f"{where}: member {info.filename} is encrypted; index files never are"
                raise IndexFileError(msg)
            if info.compress_type != zipfile.ZIP_STORED or info.compress_size != info.file_size:
                msg = f"{where}: member {info.filename} is compressed; index files store members as they are"
                raise IndexFileError(msg)
            if info.filename in self.infos:
                msg = f"{where}: member {info.filename} appears twice"
                raise IndexFileError(msg)
            self.infos[info.filename] = info

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = self.infos.get(name)
        if info is None:
            msg = f"{self.where}: the index file lacks member {name!r}"
            raise IndexFileError(msg)
        return info

    def manifest(self) -> object:
        info = self._info("manifest.json")
        if info.file_size > _MAX_MANIFEST:
            msg = f"{self.where}: the manifest is {info.file_size:,} bytes, more than an index writes"
            raise IndexFileError(msg)
        try:
            return json.loads(self.zf.read(info))
        except ValueError:
            msg = f"{self.where}: the index manifest is not valid JSON"
            raise IndexFileError(msg) from None

    def array(self, name: str, dtype: str, shape: tuple[int | None, ...]) -> NDArray[Any]:
        """Member ``name.npy``: its header must declare ``dtype`` and ``shape`` (None: any) and fit the member."""
        info = self._info(name + ".npy")
        with self.zf.open(info) as fh:
            try:
                version = np.lib.format.read_magic(fh)
                header = (
                    np.lib.format.read_array_header_1_0(fh)
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0(fh)
                )
            except (ValueError, OSError, EOFError) as exc:
                msg = f"{self.where}: member {name}.npy is not a valid array ({exc})"
                raise IndexFileError(msg) from None
            declared, fortran, got = header
            ok = (
                got == np.dtype(dtype)
                and not fortran
                and len(declared) == len(shape)
                and all(want is None or want == have for want, have in zip(shape, declared, strict=True))
            )
            if not ok:
                msg = f"{self.where}: member {name}.npy has dtype {got} and shape {declared}, expected {dtype} {shape}"
                raise IndexFileError(msg)
            items = int(np.prod(declared, dtype=np.uint64)) if declared else 1
            size = items * got.itemsize
            if size != info.file_size - fh.tell():
                msg = f"{self.where}: member {name}.npy declares {items:,} items, which do not fit its size"
                raise IndexFileError(msg)
            data = fh.read(size)
        if len(data) != size:
            msg = f"{self.where}: member {name}.npy is truncated"
            raise IndexFileError(msg)
        return np.frombuffer(data, dtype=got).reshape(declared)


class IndexFile:
    """An index file opened for reading: its manifest first, the posts on demand.

    Parameters
    ----------
    path : path
        The file.

    Attributes
    ----------
    meta : dict
        The manifest.
    record : dict
        The recorded config (:meth:`~dedup.DedupConfig.record`).

    Raises
    ------
    IndexFileError
        Missing, not a regular file, not an index, truncated, corrupted, or of another
        format version.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.where = name = os.fspath(path)
        try:
            fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            msg = f"{name}: no such index file"
            raise IndexFileError(msg) from None
        except OSError as exc:
            msg = f"{name}: cannot open the index file: {exc.strerror}"
            raise IndexFileError(msg) from None
        self._fh = os.fdopen(fd, "rb")
        try:
            mode = os.fstat(fd).st_mode
            if stat.S_ISDIR(mode):
                msg = f"{name}: is a directory, not an index file"
                raise IndexFileError(msg)
            if not stat.S_ISREG(mode):
                msg = f"{name}: not a regular file, so not an index file"
                raise IndexFileError(msg)
            try:
                self._zf = zipfile.ZipFile(self._fh)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                msg = f"{name}: not a dedup index, or the file is truncated ({exc})"
                raise IndexFileError(msg) from None
            self._reader = _Reader(self._zf, name)
            meta = self._reader.manifest()
            self.record = validate_manifest(meta, name)
            assert isinstance(meta, dict)
            self.meta: dict[str, Any] = meta
        except BaseException:
            self._fh.close()
            raise

    def __enter__(self) -> IndexFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._zf.close()
        self._fh.close()

    def posts(self, *, width: str, bands: tuple[int, int]) -> tuple[list[StoredPost], list[PostBands]]:
        """The stored posts and their band keys (``width``: the scheme's hash dtype)."""
        where, reader = self.where, self._reader
        n = self.meta.get("count")
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= _MAX_POSTS:
            msg = f"{where}: the manifest's count is not a number of posts: {n!r}"
            raise IndexFileError(msg)
        try:
            arrays = _post_arrays(reader, n, width)
            bf, bl = bands
            full = reader.array("full_bands", "uint64", (n, bf))
            lead = reader.array("lead_bands", "uint64", (n, bl))
            offsets = reader.array("para_bands_offsets", "int64", (n + 1,))
            if offsets[0] != 0 or (np.diff(offsets) < 0).any():
                msg = "offsets of para_bands are malformed"
                raise IndexFileError(msg)
            paras = reader.array("para_bands", "uint64", (int(offsets[-1]), bl))
            posts = posts_from_arrays(arrays, width=width)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            msg = f"{where}: the index file is corrupted ({exc})"
            raise IndexFileError(msg) from None
        except IndexFileError as exc:
            text = str(exc)
            msg = text if text.startswith(f"{where}:") else f"{where}: {text}"
            raise IndexFileError(msg) from None
        if len({p.id for p in posts}) != n:
            msg = f"{where}: the index file holds a duplicate id"
            raise IndexFileError(msg)
        rows = split_ragged(paras, offsets)
        out = []
        for k, post in enumerate(posts):
            n_paragraphs = max(len(post.features.paragraph_bounds) - 1, 0)
            if post.eligible and len(rows[k]) != n_paragraphs:
                msg = f"{where}: post {post.id!r} has {n_paragraphs} paragraph leads, {len(rows[k])} band rows"
                raise IndexFileError(msg)
            out.append(PostBands(full[k], lead[k], rows[k]))
        return posts, out


def _post_arrays(reader: _Reader, n: int, width: str) -> dict[str, NDArray[Any]]:
    """The posts' columns, each offsets member read (and checked) before its values."""
    arrays: dict[str, NDArray[Any]] = {
        "length": reader.array("length", "int64", (n,)),
        "n_words": reader.array("n_words", "int64", (n,)),
        "published": reader.array("published", "float64", (n,)),
        "body_hash": reader.array("body_hash", "uint8", (n, 16)),
        "body_key": reader.array("body_key", "uint64", (n,)),
        "body_length": reader.array("body_length", "int64", (n,)),
        "body_sketch": reader.array("body_sketch", "uint32", (n, SKETCH_SIZE)),
        "body_grams": reader.array("body_grams", "int64", (n,)),
        "flags": reader.array("flags", "uint8", (n,)),
    }
    ragged = [("id", "uint8"), ("account", "uint8"), ("specifics", "uint8"), ("key_words", "uint8")]
    ragged += [("sentences", "uint64"), ("sentence_sizes", "int64"), ("doc", "uint8")]
    ragged += [(name, dtype or width) for name, dtype in RAGGED_FIELDS]
    for name, dtype in ragged:
        offsets = reader.array(name + "_offsets", "int64", (n + 1,))
        if offsets[0] != 0 or (np.diff(offsets) < 0).any():
            msg = f"offsets of column {name!r} are malformed"
            raise IndexFileError(msg)
        arrays[name + "_offsets"] = offsets
        arrays[name] = reader.array(name, dtype, (int(offsets[-1]),))
    return arrays
