"""Reading batches of articles: JSONL (optionally gzip), CSV, plain text, directories.

:class:`ArticleReader` streams :class:`~dedup.Article` records from files or standard
input. A bad record raises :class:`~dedup.InputError` naming the file, line and field;
with ``skip_bad=True`` it is recorded in :attr:`ArticleReader.skipped` instead and the
good records around it are all kept.

Field names (JSONL keys, CSV header): ``id`` (required; string or integer, always
returned as a string), ``title``, ``text`` (or ``content`` / ``body``), ``account``,
``published_at`` (ISO 8601, ``2024-06-12 08:30``, ``2024/06/12``, ``2024年6月12日 08:30``
or a Unix timestamp). Other fields are kept in ``Article.extra``.

Encodings: UTF-8 (with or without BOM), GB18030 (which covers GBK and GB2312) and Big5,
detected per file; ``encoding=`` overrides.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Literal

from dedup.exceptions import DuplicateIdError, InputError
from dedup.models import Article

__all__ = [
    "ArticleReader",
    "InputFormat",
    "SkippedRecord",
    "detect_encoding",
    "parse_datetime",
    "read_articles",
]

InputFormat = Literal["auto", "jsonl", "csv", "txt", "dir"]

TEXT_FIELDS = ("text", "content", "body")
KNOWN_FIELDS = frozenset({"id", "title", "account", "published_at", *TEXT_FIELDS})
DIR_SUFFIXES = (".txt", ".md", ".html", ".htm")
_SNIFF_BYTES = 1 << 16


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


# ---------------------------------------------------------------------------
# encodings


def detect_encoding(sample: bytes) -> str:
    """Guess the encoding of a file from its first bytes.

    Returns ``"utf-8-sig"`` for a UTF-8 BOM, ``"utf-8"`` when the sample decodes as
    UTF-8, else ``"gb18030"`` when it decodes as GB18030 (GBK, GB2312), else ``"big5"``
    when it decodes as Big5, else ``"utf-8"`` (so the error names the bad byte).

    Examples
    --------
    >>> detect_encoding("社区".encode("utf-8")), detect_encoding("社区".encode("gbk"))
    ('utf-8', 'gb18030')
    >>> detect_encoding(codecs.BOM_UTF8 + "社区".encode("utf-8"))
    'utf-8-sig'
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if _decodes(sample, "utf-8"):
        return "utf-8"
    big5_ok = _decodes(sample, "big5")
    gb_ok = _decodes(sample, "gb18030")
    if big5_ok and gb_ok:
        # Both accept the bytes; prefer the one that gives more common Chinese characters.
        return "big5" if _cjk_score(sample, "big5") > _cjk_score(sample, "gb18030") else "gb18030"
    if gb_ok:
        return "gb18030"
    if big5_ok:
        return "big5"
    return "utf-8"


def _decodes(sample: bytes, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        decoder.decode(sample, final=False)  # a character cut at the sample's end is fine
    except UnicodeDecodeError:
        return False
    return True


# A few hundred of the most frequent characters in news text, in simplified and
# traditional forms: a wrong decoding produces rare characters instead.
_COMMON = frozenset(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    "十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相"
    "全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果"
    "料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任"
    "取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场"
    "們這個來為國說對時會後發過說學經開與將還體現進動實業當從點實應種區義長問產動間軍東會議辦發"
)


def _cjk_score(sample: bytes, encoding: str) -> int:
    text = sample.decode(encoding, errors="ignore")
    return sum(1 for ch in text if ch in _COMMON)


# ---------------------------------------------------------------------------
# field parsing

_DATE_PATTERNS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日\s*(?:(\d{1,2})[:：时](\d{2})分?(?::(\d{2}))?)?$"),
)


def parse_datetime(value: object) -> datetime:
    """Parse a publication time.

    Accepts ISO 8601 (``2024-06-12T08:30:00+08:00``), ``2024-06-12 08:30``,
    ``2024/06/12``, ``2024年6月12日 08:30`` and Unix timestamps (seconds, read as UTC).
    Times without a zone stay naive (read as China Standard Time when ordering).

    Raises
    ------
    ValueError
        With a message saying which forms are accepted.

    Examples
    --------
    >>> parse_datetime("2024-06-12 08:30")
    datetime.datetime(2024, 6, 12, 8, 30)
    >>> parse_datetime("2024年6月12日").date().isoformat()
    '2024-06-12'
    """
    if isinstance(value, bool):
        msg = f"expected a date and time, got {value!r}"
        raise ValueError(msg)
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            msg = f"timestamp {value!r} is out of range"
            raise ValueError(msg) from None
    if not isinstance(value, str):
        msg = f"expected a date and time string, got {type(value).__name__}"
        raise ValueError(msg)
    text = value.strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        pass
    for pattern in _DATE_PATTERNS:
        m = pattern.match(text)
        if m:
            y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
            try:
                return datetime(y, mo, d, h, mi, s)
            except ValueError as exc:
                msg = f"{text!r} is not a valid date: {exc}"
                raise ValueError(msg) from None
    msg = f"{text!r} is not a date; use ISO 8601 such as 2024-06-12T08:30:00+08:00 or 2024-06-12 08:30"
    raise ValueError(msg)


def _coerce_id(value: object) -> str:
    if isinstance(value, bool) or value is None:
        msg = f"must be a string or an integer, got {json.dumps(value)}"
        raise ValueError(msg)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        msg = f"must be a string or an integer, got {value!r}"
        raise ValueError(msg)
    if isinstance(value, str):
        if not value.strip():
            msg = "is empty"
            raise ValueError(msg)
        return value
    msg = f"must be a string or an integer, got {type(value).__name__}"
    raise ValueError(msg)


def _text_field(value: object, name: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    msg = f"must be a string, got {type(value).__name__}"
    raise _FieldError(name, msg)


class _FieldError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def record_to_article(record: Mapping[str, Any], *, source: str | None = None, lineno: int | None = None) -> Article:
    """Build an :class:`Article` from a mapping of input fields.

    Raises
    ------
    InputError
        Naming ``source``, ``lineno`` and the bad field.

    Examples
    --------
    >>> record_to_article({"id": 7, "content": "正文", "published_at": "2024-06-12 08:30"}).id
    '7'
    """

    def fail(field: str, reason: str) -> InputError:
        return InputError(reason, path=source, lineno=lineno, field=field)

    if "id" not in record:
        raise fail("id", "missing (every record needs an id)")
    try:
        art_id = _coerce_id(record["id"])
    except ValueError as exc:
        raise fail("id", str(exc)) from None
    text_key = next((k for k in TEXT_FIELDS if k in record and record[k] is not None), None)
    if text_key is None:
        raise fail("text", "missing (give the body as text, content or body)")
    try:
        text = _text_field(record[text_key], text_key)
        title = _text_field(record.get("title"), "title")
        account = _text_field(record.get("account"), "account")
    except _FieldError as exc:
        raise fail(exc.field, str(exc)) from None
    published: datetime | None = None
    raw_time = record.get("published_at")
    if raw_time not in (None, ""):
        try:
            published = parse_datetime(raw_time)
        except ValueError as exc:
            raise fail("published_at", str(exc)) from None
    extra = {k: v for k, v in record.items() if k not in KNOWN_FIELDS}
    return Article(
        id=art_id,
        text=text,
        title=title,
        account=account.strip(),
        published_at=published,
        source=source,
        lineno=lineno,
        extra=extra,
    )


# ---------------------------------------------------------------------------
# the reader


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
        Skip bad records (listed in :attr:`skipped`) instead of raising.
    max_length : int, optional
        Largest accepted text, in characters.
    stdin : binary file, optional
        What ``"-"`` reads (standard input by default; for tests).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.jsonl"
    >>> _ = path.write_text('{"id": 1, "text": "正文"}' + chr(10) + '{"id": 1, "text": "x"}' + chr(10), encoding="utf-8")
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
        self.input_format = input_format
        self.encoding = encoding
        self.skip_bad = skip_bad
        self.max_length = max_length
        self._stdin = stdin
        self.skipped: list[SkippedRecord] = []
        self._seen: dict[str, tuple[str, int | None]] = {}
        self.count = 0

    def __iter__(self) -> Iterator[Article]:
        for source in self.sources:
            yield from self._read_source(source)

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
            yield from self._read_dir(path)
            return
        if not path.exists():
            raise InputError("no such file or directory", path=source)
        fmt = self.input_format
        if fmt == "auto":
            fmt = _format_from_name(path.name)
        try:
            raw: IO[bytes] = gzip.open(path, "rb") if path.name.endswith(".gz") else path.open("rb")
        except OSError as exc:
            raise InputError(f"cannot open: {exc.strerror}", path=source) from None
        with raw:
            yield from self._read_stream(raw, source, fmt)

    def _read_stream(self, raw: IO[bytes], name: str, fmt: str) -> Iterator[Article]:
        try:
            head = raw.read(_SNIFF_BYTES)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"cannot read: {_gzip_reason(exc)}", path=name) from None
        if fmt == "auto":  # standard input, or an unknown extension
            fmt = _format_from_content(head)
        encoding = self.encoding or detect_encoding(head)
        lines = _decoded_lines(head, raw, encoding, name)
        if fmt == "jsonl":
            yield from self._jsonl(lines, name)
        elif fmt == "csv":
            yield from self._csv(lines, name)
        elif fmt == "txt":
            yield from self._txt(lines, name)
        else:
            msg = f"input format {fmt!r} cannot be read from a stream"
            raise InputError(msg, path=name)

    # -- record handling -------------------------------------------------------------
    def _bad(self, error: InputError, record_id: str | None = None) -> None:
        if not self.skip_bad:
            raise error
        self.skipped.append(
            SkippedRecord(
                path=error.path or "", lineno=error.lineno, field=error.field, reason=error.reason, id=record_id
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

    def _jsonl(self, lines: Iterator[tuple[int, str | InputError]], name: str) -> Iterator[Article]:
        for lineno, line in lines:
            if isinstance(line, InputError):
                self._bad(line)
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line, strict=False)
            except json.JSONDecodeError as exc:
                self._bad(InputError(f"not valid JSON ({exc.msg} at column {exc.colno})", path=name, lineno=lineno))
                continue
            if not isinstance(record, dict):
                reason = f"expected a JSON object, got {type(record).__name__}"
                self._bad(InputError(reason, path=name, lineno=lineno))
                continue
            try:
                article = record_to_article(record, source=name, lineno=lineno)
            except InputError as exc:
                self._bad(exc, _maybe_id(record))
                continue
            accepted = self._accept(article)
            if accepted is not None:
                yield accepted

    def _csv(self, lines: Iterator[tuple[int, str | InputError]], name: str) -> Iterator[Article]:
        physical: list[int] = []

        def feed() -> Iterator[str]:
            for lineno, line in lines:
                if isinstance(line, InputError):
                    # An undecodable line inside a CSV cannot be resynchronised safely.
                    raise line
                physical.append(lineno)
                yield line + "\n"

        reader = csv.reader(feed())
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise InputError(f"not valid CSV: {exc}", path=name, lineno=1) from None
        if header is None:
            return
        header = [h.strip().lstrip("\ufeff") for h in header]
        if "id" not in header:
            msg = f"the header row has no id column (columns: {', '.join(header) or 'none'})"
            raise InputError(msg, path=name, lineno=1, field="id")
        counts: dict[str, int] = {}
        for h in header:
            counts[h] = counts.get(h, 0) + 1
        dupes = [h for h, c in counts.items() if c > 1 and h]
        if dupes:
            msg = f"the header row repeats column(s) {', '.join(dupes)}"
            raise InputError(msg, path=name, lineno=1)
        prev_end = 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                start = prev_end + 1
                raise InputError(f"not valid CSV: {exc}", path=name, lineno=start) from None
            start = prev_end + 1
            prev_end = physical[-1] if physical else start
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                reason = f"has {len(row)} fields, the header has {len(header)}"
                id_col = header.index("id")
                self._bad(InputError(reason, path=name, lineno=start), row[id_col] if len(row) > id_col else None)
                continue
            record = {h: v for h, v in zip(header, row, strict=True) if h}
            try:
                article = record_to_article(record, source=name, lineno=start)
            except InputError as exc:
                self._bad(exc, _maybe_id(record))
                continue
            accepted = self._accept(article)
            if accepted is not None:
                yield accepted

    def _txt(self, lines: Iterator[tuple[int, str | InputError]], name: str) -> Iterator[Article]:
        for lineno, line in lines:
            if isinstance(line, InputError):
                self._bad(line, str(lineno))
                continue
            if not line.strip():
                continue
            article = Article(id=str(lineno), text=line, source=name, lineno=lineno)
            accepted = self._accept(article)
            if accepted is not None:
                yield accepted

    def _read_dir(self, root: Path) -> Iterator[Article]:
        files = sorted(
            p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in DIR_SUFFIXES and not _hidden(p, root)
        )
        for path in files:
            rel = path.relative_to(root).as_posix()
            name = str(path)
            try:
                data = path.read_bytes()
            except OSError as exc:
                self._bad(InputError(f"cannot read: {exc.strerror}", path=name), rel)
                continue
            encoding = self.encoding or detect_encoding(data[:_SNIFF_BYTES] if len(data) > _SNIFF_BYTES else data)
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                lineno = data[: exc.start].count(b"\n") + 1
                reason = f"byte 0x{data[exc.start]:02x} is not valid {encoding} (use --encoding)"
                self._bad(InputError(reason, path=name, lineno=lineno), rel)
                continue
            title = ""
            if path.suffix.lower() in (".html", ".htm"):
                m = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
                title = m.group(1).strip() if m else ""
            article = Article(id=rel, text=text.lstrip("\ufeff"), title=title, source=name)
            accepted = self._accept(article)
            if accepted is not None:
                yield accepted


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _maybe_id(record: Mapping[str, Any]) -> str | None:
    try:
        return _coerce_id(record.get("id"))
    except ValueError:
        return None


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


def _gzip_reason(exc: BaseException) -> str:
    if isinstance(exc, EOFError):
        return "the gzip file is truncated (compressed stream ended early)"
    if isinstance(exc, gzip.BadGzipFile | zlib.error):
        return f"not a valid gzip file ({exc})"
    return str(exc)


def _decoded_lines(
    head: bytes, raw: IO[bytes], encoding: str, name: str
) -> Iterator[tuple[int, str | InputError]]:
    """Yield ``(lineno, text)`` per physical line; an undecodable line yields an error."""
    rest = io.BufferedReader(_Prefixed(head, raw))  # type: ignore[arg-type]
    lineno = 0
    first = True
    while True:
        try:
            line = rest.readline()
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"cannot read after line {lineno}: {_gzip_reason(exc)}", path=name) from None
        if not line:
            return
        lineno += 1
        data = line.rstrip(b"\r\n")
        if first and encoding in ("utf-8", "utf-8-sig") and data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        first = False
        try:
            text = data.decode("utf-8" if encoding == "utf-8-sig" else encoding)
        except UnicodeDecodeError as exc:
            reason = f"byte 0x{data[exc.start]:02x} at column {exc.start + 1} is not valid {encoding} (use --encoding)"
            yield lineno, InputError(reason, path=name, lineno=lineno)
            continue
        yield lineno, text


class _Prefixed(io.RawIOBase):
    """A raw stream that replays ``head`` and then continues with ``raw``."""

    def __init__(self, head: bytes, raw: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


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
