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
not even read into memory, so one giant or binary line cannot exhaust memory.
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
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple, cast

from dedup.exceptions import DuplicateIdError, InputError
from dedup.models import Article

__all__ = [
    "ArticleReader",
    "InputFormat",
    "SkippedRecord",
    "detect_encoding",
    "max_line_bytes",
    "parse_datetime",
    "read_articles",
]

InputFormat = Literal["auto", "jsonl", "csv", "txt", "dir"]

TEXT_FIELDS = ("text", "content", "body")
KNOWN_FIELDS = frozenset({"id", "title", "account", "published_at", *TEXT_FIELDS})
DIR_SUFFIXES = (".txt", ".md", ".html", ".htm")
_SNIFF_BYTES = 1 << 16
# Characters that cannot be encoded: lone surrogates from a JSON escape such as "\ud800",
# and the U+DC80..U+DCFF stand-ins for undecodable bytes (surrogateescape).
_SURROGATE = re.compile("[\ud800-\udfff]")
_WIDE_ENCODINGS = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})
# csv's own limit is 131,072 characters per field: less than one long article.
_CSV_FIELD_CAP = 2**31 - 1


def max_line_bytes(max_length: int) -> int:
    r"""Longest input line (or directory file) read, in bytes, for a ``max_length``.

    Generous enough for a ``max_length`` text written as JSON ``\uXXXX`` escapes
    (up to 12 bytes per character for an escaped surrogate pair) plus other fields.

    Examples
    --------
    >>> max_line_bytes(1_000_000)
    13000000
    """
    return 12 * max_length + 1_000_000


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

    Returns ``"utf-8-sig"`` for a UTF-8 BOM, ``"utf-16"`` / ``"utf-32"`` for their
    BOMs (``"utf-16-le"`` / ``"utf-16-be"`` for BOM-less UTF-16, recognised by its
    zero bytes), ``"utf-8"`` when the sample decodes as UTF-8, else ``"gb18030"`` when
    it decodes as GB18030 (GBK, GB2312), else ``"big5"`` when it decodes as Big5, else
    ``"utf-8"`` (so the error names the bad byte). When both GB18030 and Big5 accept the
    bytes, the one that reads as more common Chinese characters wins.

    Examples
    --------
    >>> detect_encoding("社区".encode("utf-8")), detect_encoding("社区".encode("gbk"))
    ('utf-8', 'gb18030')
    >>> detect_encoding(codecs.BOM_UTF8 + "社区".encode("utf-8"))
    'utf-8-sig'
    >>> detect_encoding("臺灣".encode("big5")), detect_encoding("社区".encode("utf-16"))
    ('big5', 'utf-16')
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    wide = _bomless_utf16(sample)
    if wide is not None:
        return wide
    if _decodes(sample, "utf-8"):
        return "utf-8"
    big5_ok = _decodes(sample, "big5")
    gb_ok = _decodes(sample, "gb18030")
    if big5_ok and gb_ok:
        # Both accept the bytes; prefer the one that gives more common Chinese
        # characters, then the one that gives fewer rare ones.
        big5 = (_cjk_score(sample, "big5"), -_rare_count(sample, "big5"))
        gb = (_cjk_score(sample, "gb18030"), -_rare_count(sample, "gb18030"))
        return "big5" if big5 > gb else "gb18030"
    if gb_ok:
        return "gb18030"
    if big5_ok:
        return "big5"
    return "utf-8"


def _bomless_utf16(sample: bytes) -> str | None:
    # UTF-16 of mostly ASCII text (JSON keys, CSV headers, digits) has a zero byte in
    # every other position; UTF-8 text has none, except NUL padding (zeros everywhere).
    head = sample[:4096]
    if len(head) < 8 or b"\x00" not in head:
        return None
    even = head[0::2].count(0) / len(head[0::2])
    odd = head[1::2].count(0) / len(head[1::2])
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    # Chinese text has few zero bytes, but its line breaks are 0A 00 (LE) or 00 0A (BE)
    # at even offsets, while zero bytes at the other parity stay rare.
    le_breaks = sum(1 for i in range(0, len(head) - 1, 2) if head[i] == 0x0A and head[i + 1] == 0)
    be_breaks = sum(1 for i in range(0, len(head) - 1, 2) if head[i] == 0 and head[i + 1] == 0x0A)
    if le_breaks and even < 0.05 and 0x0A not in head[1::2]:
        return "utf-16-le"
    if be_breaks and odd < 0.05 and 0x0A not in head[0::2]:
        return "utf-16-be"
    return None


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


def _rare_count(sample: bytes, encoding: str) -> int:
    """Characters outside the encoding's block of frequent characters.

    GB2312 level 1 (lead bytes 0xB0-0xD7) holds the 3,755 most frequent simplified
    characters, Big5 0xA440-0xC67E the 5,401 most frequent traditional ones; the same
    bytes read with the wrong encoding mostly land outside them.
    """
    rare = 0
    for ch in sample.decode(encoding, errors="ignore"):
        if ord(ch) < 0x80 or ch in _COMMON:
            continue
        b = ch.encode(encoding)
        if len(b) != 2:
            rare += 1
        elif encoding == "gb18030":
            rare += not (0xA1 <= b[0] <= 0xD7 and b[1] >= 0xA1)
        else:
            code = (b[0] << 8) | b[1]
            rare += not (0xA140 <= code <= 0xC67E)
    return rare


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
            return datetime.fromtimestamp(float(value), tz=UTC)
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

    def fail(reason: str, *, field: str) -> InputError:
        return InputError(reason, path=source, lineno=lineno, field=field)

    if "id" not in record:
        problem = "missing (every record needs an id)"
        raise fail(problem, field="id")
    try:
        art_id = _coerce_id(record["id"])
    except ValueError as exc:
        problem = str(exc)
        raise fail(problem, field="id") from None
    text_key = next((k for k in TEXT_FIELDS if k in record and record[k] is not None), None)
    if text_key is None:
        problem = "missing (give the body as text, content or body)"
        raise fail(problem, field="text")
    try:
        text = _text_field(record[text_key], text_key)
        title = _text_field(record.get("title"), "title")
        account = _text_field(record.get("account"), "account")
    except _FieldError as exc:
        raise fail(str(exc), field=exc.field) from None
    for name, value in (("id", art_id), ("title", title), ("account", account)):
        bad = _SURROGATE.search(value)
        if bad is not None:
            # Echoed back in reports, so it must be encodable; in the text (only compared)
            # normalization drops such characters.
            reason = f"contains U+{ord(bad.group()):04X}, a lone surrogate that is not valid Unicode"
            raise fail(reason, field=name)
    published: datetime | None = None
    raw_time = record.get("published_at")
    if raw_time not in (None, ""):
        try:
            published = parse_datetime(raw_time)
        except ValueError as exc:
            problem = str(exc)
            raise fail(problem, field="published_at") from None
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
        Skip bad records (listed in :attr:`skipped`) instead of raising. A file that
        cannot be read to its end (a truncated gzip, an unreadable CSV header) keeps the
        records read before the fault and is listed once, with the line it stopped at.
        A missing file is still an error.
    max_length : int, optional
        Largest accepted text, in characters (>= 1). Also bounds what one line may
        take in memory (:func:`max_line_bytes`).
    stdin : binary file, optional
        What ``"-"`` reads (standard input by default; for tests).

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
        self._stdin = stdin
        self.skipped: list[SkippedRecord] = []
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
            yield from self._read_dir(path)
            return
        if not path.exists():
            msg = "no such file or directory"
            raise InputError(msg, path=source)
        fmt: str = self.input_format
        if fmt == "auto":
            fmt = _format_from_name(path.name)
        try:
            # Closed by the ``with raw`` below.
            raw: IO[bytes] = (
                cast(IO[bytes], gzip.open(path, "rb")) if path.name.endswith(".gz") else path.open("rb")  # noqa: SIM115
            )
        except OSError as exc:
            msg = f"cannot open: {exc.strerror}"
            raise InputError(msg, path=source) from None
        with raw:
            yield from self._read_stream(raw, source, fmt)

    def _read_stream(self, raw: IO[bytes], name: str, fmt: str) -> Iterator[Article]:
        try:
            head = raw.read(_SNIFF_BYTES)
        except (OSError, EOFError, zlib.error) as exc:
            msg = f"cannot read: {_gzip_reason(exc)}"
            raise InputError(msg, path=name) from None
        encoding = self.encoding or detect_encoding(head)
        if codecs.lookup(encoding).name in _WIDE_ENCODINGS:
            # UTF-16/32 lines are not split at the byte b"\n": read them as UTF-8.
            wide: IO[bytes] = io.BufferedReader(_ToUtf8(_Prefixed(head, raw), encoding))
            try:
                head = wide.read(_SNIFF_BYTES)
            except UnicodeError as exc:  # UnicodeDecodeError, or a missing UTF-16/32 BOM
                msg = f"not valid {encoding} ({_unicode_reason(exc)})"
                raise InputError(msg, path=name, lineno=1) from None
            raw, encoding = wide, "utf-8"
        if fmt == "auto":  # standard input, or an unknown extension
            fmt = _format_from_content(head)
        lines = _decoded_lines(head, raw, encoding, name, self._max_line)
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
                path=error.path or "",
                lineno=error.lineno,
                field=error.field,
                reason=error.reason,
                id=_clean_id(record_id),
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

    def _jsonl(self, lines: Iterator[_Line], name: str) -> Iterator[Article]:
        for line in lines:
            if line.text is None:
                assert line.error is not None
                self._bad(line.error)
                continue
            if not line.text.strip():
                continue
            try:
                record = json.loads(line.text, strict=False)
            except (ValueError, RecursionError) as exc:
                error = line.error or InputError(_json_reason(exc, line.text), path=name, lineno=line.lineno)
                self._bad(error, _leading_id(line.text))
                continue
            if not isinstance(record, dict):
                reason = f"expected a JSON object, got {type(record).__name__}"
                self._bad(line.error or InputError(reason, path=name, lineno=line.lineno))
                continue
            if line.error is not None:
                # Undecodable bytes inside a well-formed object: name the field.
                field = _field_with_surrogates(record)
                error = InputError(line.error.reason, path=name, lineno=line.lineno, field=field)
                self._bad(error, _maybe_id(record))
                continue
            try:
                article = record_to_article(record, source=name, lineno=line.lineno)
            except InputError as exc:
                self._bad(exc, _maybe_id(record))
                continue
            accepted = self._accept(article)
            if accepted is not None:
                yield accepted

    def _csv(self, lines: Iterator[_Line], name: str) -> Iterator[Article]:
        limit = _raise_csv_field_limit(self.max_length)
        consumed: list[_Line] = []  # the physical lines of the record being parsed

        def feed() -> Iterator[str]:
            for line in lines:
                consumed.append(line)
                if line.text is None:
                    assert line.error is not None
                    # Too long to hold: the record structure around it is lost.
                    msg = f"{line.error.reason}; the rest of the CSV file cannot be read"
                    raise InputError(msg, path=name, lineno=line.lineno)
                yield line.text + "\n"

        def parse_error(exc: csv.Error) -> InputError:
            first, last = consumed[0].lineno, consumed[-1].lineno
            span = f"line {first}" if first == last else f"lines {first}-{last}"
            if "field larger than field limit" in str(exc):
                reason = (
                    f"a field is longer than {limit:,} characters (a quote never closed?); "
                    "the rest of the CSV file cannot be read"
                )
                return InputError(reason, path=name, lineno=first)
            if str(exc) == "unexpected end of data":
                reason = f"not valid CSV: a quoted field is never closed; {span} (to the end) skipped"
            else:
                reason = f"not valid CSV ({exc}); {span} skipped"
            return InputError(reason, path=name, lineno=first)

        # strict: a stray quote is an error rather than a record that silently swallows
        # the records after it.
        reader = csv.reader(feed(), strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise parse_error(exc) from None
        if header is None:
            return
        bad_header = next((line.error for line in consumed if line.error is not None), None)
        if bad_header is not None:
            msg = f"the header row: {bad_header.reason}"
            raise InputError(msg, path=name, lineno=bad_header.lineno)
        consumed.clear()
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
        id_col = header.index("id")
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                error = parse_error(exc)
                if "cannot be read" in error.reason:
                    raise error from None
                self._bad(error)
                consumed.clear()
                # The parser resumes at the next physical line.
                reader = csv.reader(feed(), strict=True)
                continue
            record_lines = consumed[:]
            consumed.clear()
            start = record_lines[0].lineno
            if not row or all(not cell.strip() for cell in row):
                continue
            row_id = row[id_col] if len(row) > id_col else None
            if len(row) != len(header):
                reason = f"has {len(row)} fields, the header has {len(header)}"
                self._bad(InputError(reason, path=name, lineno=start), row_id)
                continue
            bad = next((line.error for line in record_lines if line.error is not None), None)
            if bad is not None:
                column = next((h for h, cell in zip(header, row, strict=True) if _SURROGATE.search(cell)), "")
                self._bad(InputError(bad.reason, path=name, lineno=bad.lineno, field=column or None), row_id)
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

    def _txt(self, lines: Iterator[_Line], name: str) -> Iterator[Article]:
        for line in lines:
            if line.error is not None:
                self._bad(line.error, str(line.lineno))
                continue
            assert line.text is not None
            if not line.text.strip():
                continue
            article = Article(id=str(line.lineno), text=line.text, source=name, lineno=line.lineno)
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
                size = path.stat().st_size
                if self._max_line is not None and size > self._max_line:
                    reason = (
                        f"file is {size:,} bytes, more than the limit of {self._max_line:,} bytes "
                        f"for max_length {self.max_length:,}"
                    )
                    self._bad(InputError(reason, path=name, field="text"), rel)
                    continue
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
            except UnicodeError as exc:  # e.g. UTF-16 without a BOM
                self._bad(InputError(f"not valid {encoding} ({exc})", path=name, lineno=1), rel)
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


def _clean_id(value: str | None) -> str | None:
    # Skipped ids are reported; one that cannot be encoded is left out.
    if value is None or _SURROGATE.search(value):
        return None
    return value


def _maybe_id(record: Mapping[str, Any]) -> str | None:
    try:
        return _clean_id(_coerce_id(record.get("id")))
    except ValueError:
        return None


# `{"id": ...` at the start of a line that is not valid JSON: its id, when it is the first key.
_LEADING_ID = re.compile(r'\s*\{\s*"id"\s*:\s*("(?:[^"\\\n]|\\.){1,1000}"|-?\d{1,40})\s*[,}]')


def _leading_id(line: str) -> str | None:
    m = _LEADING_ID.match(line)
    if m is None:
        return None
    try:
        return _clean_id(_coerce_id(json.loads(m.group(1))))
    except ValueError:
        return None


def _json_reason(exc: BaseException, line: str) -> str:
    if isinstance(exc, RecursionError):
        return "not valid JSON (nested too deeply)"
    if isinstance(exc, json.JSONDecodeError):
        reason = f"not valid JSON ({exc.msg} at column {exc.colno})"
        if "\x00" in line:
            reason += "; the line contains NUL bytes (a file cut short or padded by a crash?)"
        return reason
    if "integer string conversion" in str(exc):
        return f"not valid JSON here (a number with more than {sys.get_int_max_str_digits():,} digits)"
    return f"not valid JSON ({exc})"


def _field_with_surrogates(record: Mapping[str, Any]) -> str | None:
    for key, value in record.items():
        if _SURROGATE.search(key):
            return None
        if _has_surrogate(value):
            return key
    return None


def _has_surrogate(value: object) -> bool:
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    return False


def _raise_csv_field_limit(max_length: int | None) -> int:
    """Let csv read fields as long as an article may be; return the limit in force.

    csv keeps this limit module-wide (131,072 characters by default, less than one long
    article). It is only ever raised, never lowered, so other csv users are unaffected
    unless they relied on it to reject long fields.
    """
    wanted = _CSV_FIELD_CAP if max_length is None else min(2 * max_length + 1, _CSV_FIELD_CAP)
    current = csv.field_size_limit()
    if current < wanted:
        csv.field_size_limit(wanted)
        return wanted
    return current


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


def _unicode_reason(exc: UnicodeError) -> str:
    return exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)


class _Line(NamedTuple):
    """One physical line: ``text`` is None when it was too long to read."""

    lineno: int
    text: str | None
    error: InputError | None


def _decoded_lines(
    head: bytes, raw: IO[bytes], encoding: str, name: str, max_line: int | None = None
) -> Iterator[_Line]:
    """Yield each physical line, decoded.

    An undecodable line keeps its bad bytes as U+DC80..U+DCFF (``surrogateescape``, so
    the record structure around them can still be parsed) and carries an error naming
    the first one; a line longer than ``max_line`` bytes is skipped without being held
    in memory. A stream that fails (a truncated gzip) raises :class:`InputError`.
    """
    rest = io.BufferedReader(_Prefixed(head, raw))
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    lineno = 0
    first = True

    def failed(exc: BaseException) -> InputError:
        if isinstance(exc, UnicodeError):
            reason = f"not valid {encoding} ({_unicode_reason(exc)})"
        else:
            reason = _gzip_reason(exc)
        msg = f"{reason}; the file cannot be read from this line on"
        return InputError(msg, path=name, lineno=lineno + 1)

    while True:
        try:
            line = rest.readline() if max_line is None else rest.readline(max_line + 1)
        except (OSError, EOFError, zlib.error, UnicodeError) as exc:
            raise failed(exc) from None
        if not line:
            return
        lineno += 1
        if max_line is not None and len(line) > max_line and not line.endswith(b"\n"):
            size = len(line)
            try:
                while chunk := rest.readline(1 << 20):
                    size += len(chunk)
                    if chunk.endswith(b"\n"):
                        break
            except (OSError, EOFError, zlib.error, UnicodeError) as exc:
                raise failed(exc) from None
            reason = f"line is {size:,} bytes, more than the limit of {max_line:,} bytes (see max_length)"
            yield _Line(lineno, None, InputError(reason, path=name, lineno=lineno))
            first = False
            continue
        data = line.rstrip(b"\r\n")
        if first and encoding in ("utf-8", "utf-8-sig") and data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        first = False
        try:
            text = data.decode(codec)
        except UnicodeDecodeError as exc:
            where = f"byte 0x{data[exc.start]:02x} at column {exc.start + 1}"
            reason = f"{where} is not valid {encoding} (use --encoding)"
            error = InputError(reason, path=name, lineno=lineno)
            yield _Line(lineno, data.decode(codec, errors="surrogateescape"), error)
            continue
        yield _Line(lineno, text, None)


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


class _ToUtf8(io.RawIOBase):
    """A raw stream of UTF-8 bytes decoded incrementally from a UTF-16/32 stream.

    A decoding error surfaces as :class:`UnicodeError` from ``read``.
    """

    def __init__(self, raw: io.RawIOBase, encoding: str) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._out = b""
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._out and not self._done:
            chunk = self._raw.read(1 << 16) or b""
            self._done = not chunk
            self._out = self._decoder.decode(chunk, final=self._done).encode("utf-8")
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
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
