"""A directory of article files: each ``.txt`` / ``.md`` / ``.html`` file is one article.

Internal to :mod:`dedup.io`. :func:`dir_records` walks a directory and yields, like the
parsers of :mod:`dedup.io_formats`, an :class:`~dedup.Article` per file read (its id is
the path relative to the directory) or a :class:`~dedup.io_formats.BadRecord`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from dedup.exceptions import InputError
from dedup.io_decode import SNIFF_BYTES, detect_encoding, max_line_bytes
from dedup.io_formats import BadRecord, Parsed
from dedup.models import Article

__all__ = ["DIR_SUFFIXES", "dir_records"]

#: The files of a directory that are read, one article each.
DIR_SUFFIXES = (".txt", ".md", ".html", ".htm")

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def dir_records(root: Path, *, encoding: str | None = None, max_length: int | None = None) -> Iterator[Parsed]:
    """Yield the article files under ``root`` in path order, one article (or bad record) each.

    Parameters
    ----------
    root : Path
        The directory.
    encoding : str, optional
        Force one encoding instead of detecting it per file.
    max_length : int, optional
        With it, a file larger than :func:`~dedup.io_decode.max_line_bytes` bytes is
        a bad record, not read.
    """
    max_bytes = None if max_length is None else max_line_bytes(max_length)
    files = sorted(
        p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in DIR_SUFFIXES and not _hidden(p, root)
    )
    for path in files:
        rel = path.relative_to(root).as_posix()
        name = str(path)
        try:
            size = path.stat().st_size
            if max_bytes is not None and size > max_bytes:
                reason = (
                    f"file is {size:,} bytes, more than the limit of {max_bytes:,} bytes for max_length {max_length:,}"
                )
                yield BadRecord(InputError(reason, path=name, field="text"), rel)
                continue
            data = path.read_bytes()
        except OSError as exc:
            yield BadRecord(InputError(f"cannot read: {exc.strerror}", path=name), rel)
            continue
        yield _file_article(data, path, rel, encoding)


def _file_article(data: bytes, path: Path, rel: str, encoding: str | None) -> Parsed:
    name = str(path)
    encoding = encoding or detect_encoding(data[:SNIFF_BYTES] if len(data) > SNIFF_BYTES else data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        lineno = data[: exc.start].count(b"\n") + 1
        reason = f"byte 0x{data[exc.start]:02x} is not valid {encoding} (use --encoding)"
        return BadRecord(InputError(reason, path=name, lineno=lineno), rel)
    except UnicodeError as exc:  # e.g. UTF-16 without a BOM
        return BadRecord(InputError(f"not valid {encoding} ({exc})", path=name, lineno=1), rel)
    title = ""
    if path.suffix.lower() in (".html", ".htm"):
        m = _TITLE.search(text)
        title = m.group(1).strip() if m else ""
    return Article(id=rel, text=text.lstrip("\ufeff"), title=title, source=name)


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)
