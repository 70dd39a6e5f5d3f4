"""A directory of article files: each ``.txt`` / ``.md`` / ``.html`` file is one article.

Internal to :mod:`dedup.io`. :func:`dir_records` walks a directory in path order and
yields, like the parsers of :mod:`dedup.io_formats`, an :class:`~dedup.Article` per
file read (its id is the path relative to the directory) or a
:class:`~dedup.io_formats.BadRecord`, and a :class:`NotRead` for every entry it leaves
out on purpose, so that nothing is left out without a word:

- hidden entries (a name starting with ``.``; a hidden folder is reported once);
- files of records (``.jsonl``, ``.csv``, ...: give them as FILE arguments), files of
  other types (counted per extension), FIFOs, sockets and devices;
- symbolic links out of the directory, unless ``follow_links`` (a link to
  ``/proc/self/environ`` must not put the process environment into a report);
- links to files or folders inside it that are read under their own name, and second
  names (hard links, link cycles) of a file or folder already read.

Files are opened without following links (unless the entry is a link being followed)
and without blocking, and at most :func:`~dedup.io_decode.max_line_bytes` bytes are
read whatever size the file reports (files in ``/proc`` report 0).
"""

from __future__ import annotations

import os
import re
import stat
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dedup.exceptions import InputError
from dedup.io_decode import SNIFF_BYTES, detect_encoding, max_line_bytes
from dedup.io_formats import BadRecord, Parsed
from dedup.models import Article

__all__ = ["DIR_SUFFIXES", "NotRead", "dir_records"]

#: The files of a directory that are read, one article each.
DIR_SUFFIXES = (".txt", ".md", ".html", ".htm")
_RECORD_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv")
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class NotRead:
    """An entry of a directory input left out on purpose (never an error), and why."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"path": self.path, "reason": self.reason}


def dir_records(
    root: Path, *, encoding: str | None = None, max_length: int | None = None, follow_links: bool = False
) -> Iterator[Parsed | NotRead]:
    """Yield the article files under ``root`` in path order, and what is left out.

    Parameters
    ----------
    root : Path
        The directory.
    encoding : str, optional
        Force one encoding instead of detecting it per file.
    max_length : int, optional
        With it, a file of more than :func:`~dedup.io_decode.max_line_bytes` bytes is
        a bad record (only that much of it is read).
    follow_links : bool
        Also follow symbolic links that lead out of ``root``.
    """
    return _Walk(root, encoding, max_length, follow_links).records()


class _Walk:
    """One walk over a directory: what was read, and the files of other types."""

    def __init__(self, root: Path, encoding: str | None, max_length: int | None, follow_links: bool) -> None:
        self.root = root
        self.real_root = os.path.realpath(root)
        self.encoding = encoding
        self.max_length = max_length
        self.max_bytes = None if max_length is None else max_line_bytes(max_length)
        self.follow_links = follow_links
        self.seen: dict[tuple[int, int], str] = {}  # (device, inode) of folders and files read -> name
        self.other_types: Counter[str] = Counter()

    def records(self) -> Iterator[Parsed | NotRead]:
        st = os.stat(self.root)
        self.seen[(st.st_dev, st.st_ino)] = "."
        yield from self._folder(str(self.root), "")
        for suffix, count in sorted(self.other_types.items()):
            files = "1 file" if count == 1 else f"{count} files"
            ending = f"ending in {suffix}" if suffix else "without an extension"
            reason = f"{files} {ending}: only {', '.join(DIR_SUFFIXES[:-1])} and {DIR_SUFFIXES[-1]} files are read"
            yield NotRead(str(self.root), reason)

    def _folder(self, path: str, rel: str) -> Iterator[Parsed | NotRead]:
        try:
            with os.scandir(path) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError as exc:
            yield BadRecord(InputError(f"cannot read the folder: {exc.strerror}", path=path))
            return
        for name in names:
            yield from self._entry(os.path.join(path, name), f"{rel}{name}")

    def _entry(self, path: str, rel: str) -> Iterator[Parsed | NotRead]:
        if os.path.basename(path).startswith("."):
            yield NotRead(path, "hidden")
            return
        try:
            link = os.path.islink(path)
            if link:
                left_out = self._link(path)
                if left_out is not None:
                    yield NotRead(path, left_out)
                    return
            st = os.stat(path)
        except OSError as exc:
            yield BadRecord(InputError(f"cannot read: {exc.strerror}", path=path), rel)
            return
        key = (st.st_dev, st.st_ino)
        if stat.S_ISDIR(st.st_mode):
            if key in self.seen:
                yield NotRead(path, f"the same folder as {self.seen[key]} (read once)")
                return
            self.seen[key] = rel
            yield from self._folder(path, f"{rel}/")
        elif stat.S_ISREG(st.st_mode):
            suffix = _suffix(path)
            if suffix in DIR_SUFFIXES:
                if key in self.seen:
                    yield NotRead(path, f"the same file as {self.seen[key]} (read once)")
                    return
                self.seen[key] = rel
                yield self._file(path, rel, follow=link)
            elif suffix.removesuffix(".gz") in _RECORD_SUFFIXES:
                yield NotRead(path, "a file of records: give it as a FILE argument to read it")
            else:
                self.other_types[suffix] += 1
        else:
            yield NotRead(path, f"not a regular file ({_kind(st.st_mode)})")

    def _link(self, path: str) -> str | None:
        """Why a symbolic link is left out, or None to follow it."""
        target = os.path.realpath(path)
        if not os.path.exists(target):
            return "a broken symbolic link"
        if os.path.commonpath([self.real_root, target]) != self.real_root:
            if self.follow_links:
                return None
            return f"a symbolic link out of the folder (to {target}); --follow-links reads it"
        rel = os.path.relpath(target, self.real_root)
        walked = rel == "." or not any(part.startswith(".") for part in rel.split(os.sep))
        if walked and (os.path.isdir(target) or _suffix(target) in DIR_SUFFIXES):
            return f"a symbolic link to {Path(rel).as_posix()}, which is read under its own name"
        return None  # it leads to a file inside that is not read otherwise

    def _file(self, path: str, rel: str, *, follow: bool) -> Parsed | NotRead:
        # Not blocking (a FIFO swapped in), not following a link swapped in.
        flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow else os.O_NOFOLLOW)
        try:
            fd = os.open(path, flags)
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode):
                    return NotRead(path, f"not a regular file ({_kind(st.st_mode)})")
                if self.max_bytes is not None and st.st_size > self.max_bytes:
                    reason = (
                        f"file is {st.st_size:,} bytes, more than the limit of {self.max_bytes:,} bytes "
                        f"for max_length {self.max_length:,}"
                    )
                    return BadRecord(InputError(reason, path=path, field="text"), rel)
                data = _read_at_most(fd, self.max_bytes)
            finally:
                os.close(fd)
        except OSError as exc:
            return BadRecord(InputError(f"cannot read: {exc.strerror}", path=path), rel)
        if data is None:  # the size it reported was wrong (files in /proc report 0)
            reason = f"file is more than {self.max_bytes:,} bytes, the limit for max_length {self.max_length:,}"
            return BadRecord(InputError(reason, path=path, field="text"), rel)
        return _file_article(data, path, rel, self.encoding)


def _read_at_most(fd: int, limit: int | None) -> bytes | None:
    """All bytes of ``fd``; None (having read ``limit + 1``) when there are more than ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        want = _CHUNK if limit is None else min(_CHUNK, limit + 1 - size)
        chunk = os.read(fd, want)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if limit is not None and size > limit:
            return None


def _file_article(data: bytes, path: str, rel: str, encoding: str | None) -> Parsed:
    encoding = encoding or detect_encoding(data[:SNIFF_BYTES] if len(data) > SNIFF_BYTES else data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        lineno = data[: exc.start].count(b"\n") + 1
        reason = f"byte 0x{data[exc.start]:02x} is not valid {encoding} (use --encoding)"
        return BadRecord(InputError(reason, path=path, lineno=lineno), rel)
    except UnicodeError as exc:  # e.g. UTF-16 without a BOM
        return BadRecord(InputError(f"not valid {encoding} ({exc})", path=path, lineno=1), rel)
    title = ""
    if _suffix(path) in (".html", ".htm"):
        m = _TITLE.search(text)
        title = m.group(1).strip() if m else ""
    return Article(id=rel, text=text.lstrip("\ufeff"), title=title, source=path)


def _suffix(path: str) -> str:
    """The lower-case extension, ``.gz`` with the one before it (``.jsonl.gz``)."""
    name = os.path.basename(path).lower()
    suffix = os.path.splitext(name)[1]
    if suffix == ".gz":
        suffix = os.path.splitext(name[:-3])[1] + suffix
    return suffix


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"
