"""Bytes to lines: encoding detection and bounded, decoded line reading.

Internal to :mod:`dedup.io` (the names here are not part of dedup's public API, except
:func:`detect_encoding` and :func:`max_line_bytes`, which :mod:`dedup.io` re-exports).

:func:`detect_encoding` guesses a file's encoding from its first bytes;
:func:`decoded_lines` yields its physical lines decoded, never holding more than
``max_line`` bytes of one line in memory.
"""

from __future__ import annotations

import codecs
import gzip
import io
import zlib
from collections.abc import Iterator
from typing import IO, Any, NamedTuple

from dedup.exceptions import InputError

__all__ = [
    "GZIP_FLOOR_LINES",
    "GZIP_RATIO",
    "SKIP_FACTOR",
    "SNIFF_BYTES",
    "WIDE_ENCODINGS",
    "Bounded",
    "Line",
    "Prefixed",
    "ToUtf8",
    "decoded_lines",
    "detect_encoding",
    "gzip_reason",
    "max_inflated_bytes",
    "max_line_bytes",
    "unicode_reason",
]

#: How much of a file :func:`detect_encoding` looks at.
SNIFF_BYTES = 1 << 16

#: Encodings whose lines are not split at the byte ``\n`` (read through :class:`ToUtf8`).
WIDE_ENCODINGS = frozenset({"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"})


#: An over-long line is skipped by reading on to its end, for at most this many times
#: the line bound (104 MB for the default max_length); past that, the file is given up.
SKIP_FACTOR = 8
#: A .gz input may inflate to this many times its size ...
GZIP_RATIO = 100
#: ... or, if more, to this many times the line bound (832 MB for the default max_length).
GZIP_FLOOR_LINES = 64


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


# encodings


def max_inflated_bytes(compressed: int, max_length: int) -> int:
    """Most bytes a ``.gz`` input of ``compressed`` bytes is inflated to, for a ``max_length``.

    News text inflates 2-5 times; a gzip bomb about 1,000 times.

    Examples
    --------
    >>> max_inflated_bytes(10_000_000, 1_000_000), max_inflated_bytes(1_000, 1_000_000)
    (1000000000, 832000000)
    """
    return max(GZIP_RATIO * compressed, GZIP_FLOOR_LINES * max_line_bytes(max_length))


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


def gzip_reason(exc: BaseException) -> str:
    """A one-line reason for an error raised while reading a gzip stream."""
    if isinstance(exc, EOFError):
        return "the gzip file is truncated (compressed stream ended early)"
    if isinstance(exc, gzip.BadGzipFile | zlib.error):
        return f"not a valid gzip file ({exc})"
    return str(exc)


def unicode_reason(exc: UnicodeError) -> str:
    """The reason of a decoding error, without the bytes it quotes."""
    return exc.reason if isinstance(exc, UnicodeDecodeError) else str(exc)


def _stream_reason(exc: BaseException, encoding: str) -> str:
    if isinstance(exc, UnicodeError):
        return f"not valid {encoding} ({unicode_reason(exc)})"
    return gzip_reason(exc)


class Line(NamedTuple):
    """One physical line: ``text`` is None when it was too long to read."""

    lineno: int
    text: str | None
    error: InputError | None


def decoded_lines(head: bytes, raw: IO[bytes], encoding: str, name: str, max_line: int | None = None) -> Iterator[Line]:
    """Yield each physical line, decoded.

    An undecodable line keeps its bad bytes as U+DC80..U+DCFF (``surrogateescape``, so
    the record structure around them can still be parsed) and carries an error naming
    the first one; a line longer than ``max_line`` bytes is skipped without being held
    in memory. A stream that fails (a truncated gzip) raises :class:`InputError`.
    """
    rest = io.BufferedReader(Prefixed(head, raw))
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    lineno = 0
    first = True

    def failed(exc: BaseException) -> InputError:
        msg = f"{_stream_reason(exc, encoding)}; the file cannot be read from this line on"
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
            try:
                size = _skip_line(rest, len(line), SKIP_FACTOR * max_line)
            except (OSError, EOFError, zlib.error, UnicodeError) as exc:
                raise failed(exc) from None
            if size is None:
                reason = (
                    f"line is more than {SKIP_FACTOR * max_line:,} bytes without a line break (binary data, or "
                    "an endless stream?); the file cannot be read from this line on"
                )
                raise InputError(reason, path=name, lineno=lineno)
            reason = f"line is {size:,} bytes, more than the limit of {max_line:,} bytes (see max_length)"
            yield Line(lineno, None, InputError(reason, path=name, lineno=lineno))
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
            yield Line(lineno, data.decode(codec, errors="surrogateescape"), error)
            continue
        yield Line(lineno, text, None)


def _skip_line(stream: IO[bytes], size: int, limit: int) -> int | None:
    """Read on to the end of a line without keeping it; its size, or None past ``limit`` bytes."""
    while size < limit:
        chunk = stream.readline(min(1 << 20, limit - size))
        size += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return size
    return None


class Prefixed(io.RawIOBase):
    """A raw stream that replays ``head`` and then continues with ``raw``."""

    def __init__(self, head: bytes, raw: IO[bytes]) -> None:
        self._head = memoryview(head)
        self._raw = raw

    def readable(self) -> bool:
        """Return True: the stream is read, never written."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from the head, then from the stream; return the bytes given."""
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n


class Bounded(io.RawIOBase):
    """A raw stream giving the bytes of ``raw`` up to ``limit``; past it, reading fails.

    Put around a gzip stream so that a small file cannot make the reader inflate an
    unbounded amount. Closing it closes ``raw``.
    """

    def __init__(self, raw: IO[bytes], limit: int) -> None:
        self._raw = raw
        self._limit = limit
        self._given = 0

    def readable(self) -> bool:
        """Return True: the stream is read, never written."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` from ``raw``; raise ``OSError`` past the limit."""
        data = self._raw.read(len(buffer))
        n = len(data)
        self._given += n
        if self._given > self._limit:
            msg = f"the gzip file inflates to more than {self._limit:,} bytes (a gzip bomb? gunzip it to read it all)"
            raise OSError(msg)
        buffer[:n] = data
        return n

    def close(self) -> None:
        """Close this stream and ``raw``."""
        try:
            self._raw.close()
        finally:
            super().close()


class ToUtf8(io.RawIOBase):
    """A raw stream of UTF-8 bytes decoded incrementally from a UTF-16/32 stream.

    A decoding error surfaces as :class:`UnicodeError` from ``read``.
    """

    def __init__(self, raw: io.RawIOBase, encoding: str) -> None:
        self._raw = raw
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._out = b""
        self._done = False

    def readable(self) -> bool:
        """Return True: the stream is read, never written."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with UTF-8 bytes; return how many (0 at the end)."""
        while not self._out and not self._done:
            chunk = self._raw.read(1 << 16) or b""
            self._done = not chunk
            self._out = self._decoder.decode(chunk, final=self._done).encode("utf-8")
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n
