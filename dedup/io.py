"""Reading batches of articles: JSONL (optionally gzip), CSV, plain text, directories.

:class:`ArticleReader` streams :class:`~dedup.Article` records from files or standard
input. A bad record raises :class:`~dedup.InputError` naming the file, line and field;
with ``skip_bad=True`` it is recorded in :attr:`ArticleReader.skipped` instead and the
good records around it are all kept.

Field names (JSONL keys, CSV header): ``id`` (required; string or integer, always
returned as a string), ``title``, ``text`` (or ``content`` / ``body``), ``account``,
``published_at`` (ISO 8601, ``2024-06-12 08:30``, ``2024/06/12``, ``2024年6月12日 08:30``
or a Unix timestamp). Other fields are kept in ``Article.extra``.

Encodings: UTF-8 (with or without BOM), GB18030 (which covers GBK and GB2312), Big5 and
UTF-16/UTF-32 (with a BOM, as Excel's "Unicode text" writes them), detected per file;
``encoding=`` overrides.

Limits, with ``max_length`` set: a text longer than ``max_length`` characters is a bad
record; a line (or, in a directory, a file) longer than :func:`max_line_bytes` bytes is
not even read into memory, so one giant or binary line cannot exhaust memory. Such a
line is skipped by reading on to its end for at most
:data:`~dedup.io_decode.SKIP_FACTOR` times that bound; a file with no line break
within it (``/dev/zero``) is given up there. A ``.gz`` file is inflated to at most
:func:`~dedup.io_decode.max_inflated_bytes` (100 times its size, at least 64 line
bounds); a gzip bomb is given up there. Without ``max_length`` nothing is bounded.

The work is split by job: :mod:`dedup.io_decode` (encodings, bounded line reading),
:mod:`dedup.io_formats` (JSONL, CSV and text parsers), :mod:`dedup.io_fields` (the one
record validator: ids, text fields, dates) and :mod:`dedup.io_dir` (directories).
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, cast

from dedup.exceptions import DuplicateIdError, InputError
from dedup.io_decode import (
    SNIFF_BYTES,
    WIDE_ENCODINGS,
    Bounded,
    Prefixed,
    ToUtf8,
    decoded_lines,
    detect_encoding,
    gzip_reason,
    max_inflated_bytes,
    max_line_bytes,
    unicode_reason,
)
from dedup.io_dir import NotRead, dir_records
from dedup.io_fields import clean_id, parse_datetime, record_to_article
from dedup.io_formats import BadRecord, Parsed, csv_records, jsonl_records, txt_records
from dedup.models import Article

__all__ = [
    "ArticleReader",
    "InputFormat",
    "NotRead",
    "SkippedRecord",
    "detect_encoding",
    "max_line_bytes",
    "parse_datetime",
    "read_articles",
    "record_to_article",
]

InputFormat = Literal["auto", "jsonl", "csv", "txt", "dir"]


@dataclass(frozen=True, slots=True)
class SkippedRecord:
    """A record left out under ``skip_bad``, with where and why."""

    path: str
    lineno: int | None
    field: str | None
    reason: str
    id: str | None = None

    def __str__(self) -> str:
        return str(InputError(self.reason, path=self.path, lineno=self.lineno, field=self.field))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {"path": self.path, "lineno": self.lineno, "field": self.field, "reason": self.reason, "id": self.id}


class ArticleReader:
    """Stream articles from files, directories or standard input.

    Parameters
    ----------
    sources : str or path, or an iterable of them
        Files (``.jsonl``, ``.jsonl.gz``, ``.csv``, ``.txt``), directories, or ``"-"``
        for standard input.
    input_format : {"auto", "jsonl", "csv", "txt", "dir"}
        ``auto`` decides by extension (and by content for standard input).
    encoding : str, optional
        Force one encoding (e.g. ``"gb18030"``) instead of detecting it per file.
    skip_bad : bool
        Skip bad records (listed in :attr:`skipped`) instead of raising. A file that
        cannot be read to its end (a truncated gzip, an unreadable CSV header) keeps the
        records read before the fault and is listed once, with the line it stopped at.
        A missing file is still an error.
    max_length : int, optional
        Largest accepted text, in characters (>= 1). Also bounds what one line may
        take in memory (:func:`max_line_bytes`), how far an over-long line is read
        to find its end, and how much a ``.gz`` file may inflate (see above).
    follow_links : bool
        In a directory, also follow symbolic links that lead out of it (by default
        they are listed in :attr:`not_read`; links inside it are followed).
    stdin : binary file, optional
        What ``"-"`` reads (standard input by default; for tests).

    Attributes
    ----------
    skipped : list of SkippedRecord
        Bad records left out under ``skip_bad``, in input order.
    not_read : list of NotRead
        Entries of directory inputs left out on purpose: hidden ones, files of other
        types, links out of the directory, second names of a file already read.
    count : int
        Articles read so far.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> lines = ['{"id": 1, "text": "正文"}', '{"id": 1, "text": "x"}']
    >>> _ = path.write_text(chr(10).join(lines) + chr(10), encoding="utf-8")
    >>> reader = ArticleReader(path, skip_bad=True)
    >>> [a.id for a in reader], [s.reason for s in reader.skipped]
    (['1'], ["duplicate id '1' (first seen at line 1)"])
    """

    def __init__(
        self,
        sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        *,
        input_format: InputFormat = "auto",
        encoding: str | None = None,
        skip_bad: bool = False,
        max_length: int | None = None,
        follow_links: bool = False,
        stdin: IO[bytes] | None = None,
    ) -> None:
        if isinstance(sources, str | os.PathLike):
            sources = [sources]
        self.sources = [os.fspath(s) for s in sources]
        if input_format not in ("auto", "jsonl", "csv", "txt", "dir"):
            msg = f"input_format must be auto, jsonl, csv, txt or dir, got {input_format!r}"
            raise InputError(msg)
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError:
                msg = f"unknown encoding {encoding!r}"
                raise InputError(msg) from None
        if max_length is not None and (
            isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1
        ):
            msg = f"max_length must be an integer >= 1 or None, got {max_length!r}"
            raise InputError(msg)
        self.input_format = input_format
        self.encoding = encoding
        self.skip_bad = skip_bad
        self.max_length = max_length
        self._max_line = None if max_length is None else max_line_bytes(max_length)
        self.follow_links = follow_links
        self._stdin = stdin
        self.skipped: list[SkippedRecord] = []
        self.not_read: list[NotRead] = []
        self._seen: dict[str, tuple[str, int | None]] = {}
        self.count = 0

    def __iter__(self) -> Iterator[Article]:
        for source in self.sources:
            if source != "-" and not os.path.exists(source):
                # A mistyped name is a usage error, even under skip_bad.
                msg = "no such file or directory"
                raise InputError(msg, path=source)
            if not self.skip_bad:
                yield from self._read_source(source)
                continue
            try:
                yield from self._read_source(source)
            except InputError as exc:
                # Record errors were already listed; this is the file failing as a
                # whole. What was read before stays; the next source is read.
                self._bad(exc)

    # -- dispatch ----------------------------------------------------------------------
    def _read_source(self, source: str) -> Iterator[Article]:
        if source == "-":
            stream = self._stdin if self._stdin is not None else sys.stdin.buffer
            yield from self._read_stream(stream, "-", self.input_format)
            return
        path = Path(source)
        if path.is_dir():
            if self.input_format not in ("auto", "dir"):
                msg = f"is a directory, but --input-format is {self.input_format}"
                raise InputError(msg, path=source)
            records = dir_records(
                path, encoding=self.encoding, max_length=self.max_length, follow_links=self.follow_links
            )
            yield from self._take(records)
            return
        if not path.exists():
            msg = "no such file or directory"
            raise InputError(msg, path=source)
        fmt: str = self.input_format
        if fmt == "auto":
            fmt = _format_from_name(path.name)
        try:
            # Closed by the ``with raw`` below.
            raw: IO[bytes] = self._open_gzip(path) if path.name.endswith(".gz") else path.open("rb")
        except OSError as exc:
            msg = f"cannot open: {exc.strerror}"
            raise InputError(msg, path=source) from None
        with raw:
            yield from self._read_stream(raw, source, fmt)

    def _open_gzip(self, path: Path) -> IO[bytes]:
        """Open a ``.gz`` file; with ``max_length``, reading fails past :func:`max_inflated_bytes`."""
        compressed = path.stat().st_size
        stream = cast(IO[bytes], gzip.open(path, "rb"))  # noqa: SIM115 (the caller closes it)
        if self.max_length is None:
            return stream
        return cast(IO[bytes], Bounded(stream, max_inflated_bytes(compressed, self.max_length)))

    def _read_stream(self, raw: IO[bytes], name: str, fmt: str) -> Iterator[Article]:
        try:
            head = raw.read(SNIFF_BYTES)
        except (OSError, EOFError, zlib.error) as exc:
            msg = f"cannot read: {gzip_reason(exc)}"
            raise InputError(msg, path=name) from None
        encoding = self.encoding or detect_encoding(head)
        if codecs.lookup(encoding).name in WIDE_ENCODINGS:
            # UTF-16/32 lines are not split at the byte b"\n": read them as UTF-8.
            wide: IO[bytes] = io.BufferedReader(ToUtf8(Prefixed(head, raw), encoding))
            try:
                head = wide.read(SNIFF_BYTES)
            except UnicodeError as exc:  # UnicodeDecodeError, or a missing UTF-16/32 BOM
                msg = f"not valid {encoding} ({unicode_reason(exc)})"
                raise InputError(msg, path=name, lineno=1) from None
            raw, encoding = wide, "utf-8"
        if fmt == "auto":  # standard input, or an unknown extension
            fmt = _format_from_content(head)
        lines = decoded_lines(head, raw, encoding, name, self._max_line)
        if fmt == "jsonl":
            yield from self._take(jsonl_records(lines, name))
        elif fmt == "csv":
            yield from self._take(csv_records(lines, name, max_length=self.max_length))
        elif fmt == "txt":
            yield from self._take(txt_records(lines, name))
        else:
            msg = f"input format {fmt!r} cannot be read from a stream"
            raise InputError(msg, path=name)

    # -- record handling -------------------------------------------------------------
    def _take(self, records: Iterator[Parsed | NotRead]) -> Iterator[Article]:
        """Yield the good articles of a parser; list (or raise) its bad records."""
        for item in records:
            if isinstance(item, BadRecord):
                self._bad(item.error, item.id)
                continue
            if isinstance(item, NotRead):
                self.not_read.append(item)
                continue
            accepted = self._accept(item)
            if accepted is not None:
                yield accepted

    def _bad(self, error: InputError, record_id: str | None = None) -> None:
        if not self.skip_bad:
            raise error
        self.skipped.append(
            SkippedRecord(
                path=error.path or "",
                lineno=error.lineno,
                field=error.field,
                reason=error.reason,
                id=clean_id(record_id),
            )
        )

    def _accept(self, article: Article) -> Article | None:
        first = self._seen.get(article.id)
        if first is not None:
            path, lineno = first
            label = (f"line {lineno}" if path == article.source else f"{path}:{lineno}") if lineno else path
            msg = f"duplicate id {article.id!r} (first seen at {label})"
            self._bad(DuplicateIdError(msg, path=article.source, lineno=article.lineno, field="id"), article.id)
            return None
        if self.max_length is not None and len(article.text) > self.max_length:
            msg = f"text is {len(article.text):,} characters, more than the limit of {self.max_length:,}"
            self._bad(InputError(msg, path=article.source, lineno=article.lineno, field="text"), article.id)
            return None
        self._seen[article.id] = (article.source or "", article.lineno)
        self.count += 1
        return article


def _format_from_name(name: str) -> str:
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".txt", ".md")):
        return "txt"
    return "auto"


def _format_from_content(head: bytes) -> str:
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
    if stripped.startswith(b"{"):
        return "jsonl"
    first_line = stripped.split(b"\n", 1)[0]
    cells = [c.strip().strip(b'"').lower() for c in first_line.split(b",")]
    if b"id" in cells and len(cells) > 1:
        return "csv"
    return "txt"


def read_articles(
    sources: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    input_format: InputFormat = "auto",
    encoding: str | None = None,
) -> list[Article]:
    """Read every article from ``sources``; the first bad record raises.

    Parameters
    ----------
    sources : path or iterable of paths
        Files, directories or ``"-"``.
    input_format : {"auto", "jsonl", "csv", "txt", "dir"}
        Format, decided by extension under ``auto``.
    encoding : str, optional
        Force an encoding.

    Returns
    -------
    list of Article

    Raises
    ------
    InputError
        Naming the file, line and field of the first bad record.
    """
    return list(ArticleReader(sources, input_format=input_format, encoding=encoding))
