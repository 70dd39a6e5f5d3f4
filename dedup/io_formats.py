"""Lines to records: the JSONL, CSV and plain-text parsers.

Internal to :mod:`dedup.io`. Each parser takes the decoded lines of one file
(:func:`dedup.io_decode.decoded_lines`) and yields, in input order, an
:class:`~dedup.Article` for each good record and a :class:`BadRecord` for each bad
one; :class:`dedup.io.ArticleReader` decides whether a bad record stops the run or is
listed. A parser raises :class:`~dedup.InputError` only when the rest of the file
cannot be read.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from typing import NamedTuple

from dedup.exceptions import InputError
from dedup.io_decode import Line
from dedup.io_fields import SURROGATE, field_with_surrogates, leading_id, maybe_id, record_to_article
from dedup.models import Article

__all__ = ["BadRecord", "Parsed", "csv_records", "jsonl_records", "txt_records"]

# csv's own limit is 131,072 characters per field: less than one long article.
_CSV_FIELD_CAP = 2**31 - 1
# strict=False: control characters inside strings (a raw tab or line break pasted into a
# body) are read, not refused.
_JSON = json.JSONDecoder(strict=False)


class BadRecord(NamedTuple):
    """A record that cannot be read: the error, and its id when it has a usable one."""

    error: InputError
    id: str | None = None


Parsed = Article | BadRecord


# ---------------------------------------------------------------------------
# JSONL


def jsonl_records(lines: Iterator[Line], name: str) -> Iterator[Parsed]:
    """Yield one article (or bad record) per non-blank line of JSON objects."""
    for line in lines:
        if line.text is None:
            assert line.error is not None
            yield BadRecord(line.error)
            continue
        if not line.text.strip():
            continue
        try:
            record = _json_value(line.text)
        except (ValueError, RecursionError) as exc:
            error = line.error or InputError(_json_reason(exc, line.text), path=name, lineno=line.lineno)
            yield BadRecord(error, leading_id(line.text))
            continue
        if not isinstance(record, dict):
            reason = f"expected a JSON object, got {type(record).__name__}"
            yield BadRecord(line.error or InputError(reason, path=name, lineno=line.lineno))
            continue
        if line.error is not None:
            # Undecodable bytes inside a well-formed object: name the field.
            field = field_with_surrogates(record)
            yield BadRecord(InputError(line.error.reason, path=name, lineno=line.lineno, field=field), maybe_id(record))
            continue
        try:
            yield record_to_article(record, source=name, lineno=line.lineno)
        except InputError as exc:
            yield BadRecord(exc, maybe_id(record))


def _json_value(text: str) -> object:
    """``json.loads(text, strict=False)`` with one decoder for every line.

    json.loads builds a decoder per call when given options: a tenth of reading a batch.
    """
    if text.startswith("\ufeff"):
        msg = "Unexpected UTF-8 BOM (decode using utf-8-sig)"  # json.loads's words for it
        raise json.JSONDecodeError(msg, text, 0)
    return _JSON.decode(text)


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


# ---------------------------------------------------------------------------
# plain text


def txt_records(lines: Iterator[Line], name: str) -> Iterator[Parsed]:
    """Yield one article per non-blank line; its id is the line number."""
    for line in lines:
        if line.error is not None:
            yield BadRecord(line.error, str(line.lineno))
            continue
        assert line.text is not None
        if line.text.strip():
            yield Article(id=str(line.lineno), text=line.text, source=name, lineno=line.lineno)


# ---------------------------------------------------------------------------
# CSV


def csv_records(lines: Iterator[Line], name: str, *, max_length: int | None = None) -> Iterator[Parsed]:
    """Yield one article (or bad record) per row after the header row.

    Parsed strictly: a stray or unclosed quote, or a line too long to read, is a bad
    record naming the lines it covers, and parsing resumes at the next line.
    """
    return _CsvFile(lines, name, max_length).records()


class _CsvFile:
    """One CSV file being parsed: its lines, and those of the record in progress."""

    def __init__(self, lines: Iterator[Line], name: str, max_length: int | None) -> None:
        self.lines = lines
        self.name = name
        self.limit = _raise_csv_field_limit(max_length)
        self.consumed: list[Line] = []  # the physical lines of the record being parsed

    def records(self) -> Iterator[Parsed]:
        reader = self._reader()
        header = self._header(reader)
        if header is None:
            return
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                error, fatal = self._parse_error(exc)
                if fatal:
                    raise error from None
                yield BadRecord(error)
                reader = self._reader()  # the parser resumes at the next physical line
                continue
            except _LineTooLong as exc:
                yield BadRecord(self._too_long(exc.line))
                reader = self._reader()
                continue
            record_lines = self.consumed[:]
            self.consumed.clear()
            if row and any(cell.strip() for cell in row):
                yield self._record(header, row, record_lines)

    def _reader(self) -> Iterator[list[str]]:
        self.consumed.clear()
        return csv.reader(self._feed(), strict=True)

    def _feed(self) -> Iterator[str]:
        for line in self.lines:
            self.consumed.append(line)
            if line.text is None:
                raise _LineTooLong(line)
            yield line.text + "\n"

    def _parse_error(self, exc: csv.Error) -> tuple[InputError, bool]:
        """The error for a record csv cannot parse, and whether the rest of the file is lost."""
        first, last = self.consumed[0].lineno, self.consumed[-1].lineno
        span = f"line {first}" if first == last else f"lines {first}-{last}"
        if "field larger than field limit" in str(exc):
            reason = (
                f"a field is longer than {self.limit:,} characters (a quote never closed?); "
                "the rest of the CSV file cannot be read"
            )
            return InputError(reason, path=self.name, lineno=first), True
        if str(exc) == "unexpected end of data":
            reason = f"not valid CSV: a quoted field is never closed; {span} (to the end) skipped"
        else:
            reason = f"not valid CSV ({exc}); {span} skipped"
        return InputError(reason, path=self.name, lineno=first), False

    def _too_long(self, line: Line) -> InputError:
        """The error for the record holding a line too long to read (the record is skipped)."""
        assert line.error is not None
        first = self.consumed[0].lineno
        if first == line.lineno:
            return line.error
        reason = line.error.reason.replace("line is", f"line {line.lineno} is", 1)
        return InputError(f"lines {first}-{line.lineno}: {reason}", path=self.name, lineno=first)

    def _header(self, reader: Iterator[list[str]]) -> list[str] | None:
        """Read and check the header row; None for an empty file."""
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise self._parse_error(exc)[0] from None
        except _LineTooLong as exc:
            msg = f"the header row: {self._too_long(exc.line).reason}"
            raise InputError(msg, path=self.name, lineno=1) from None
        if header is None:
            return None
        bad_header = next((line.error for line in self.consumed if line.error is not None), None)
        if bad_header is not None:
            msg = f"the header row: {bad_header.reason}"
            raise InputError(msg, path=self.name, lineno=bad_header.lineno)
        self.consumed.clear()
        header = [h.strip().lstrip("\ufeff") for h in header]
        if "id" not in header:
            msg = f"the header row has no id column (columns: {', '.join(header) or 'none'})"
            raise InputError(msg, path=self.name, lineno=1, field="id")
        counts: dict[str, int] = {}
        for h in header:
            counts[h] = counts.get(h, 0) + 1
        dupes = [h for h, c in counts.items() if c > 1 and h]
        if dupes:
            msg = f"the header row repeats column(s) {', '.join(dupes)}"
            raise InputError(msg, path=self.name, lineno=1)
        return header

    def _record(self, header: list[str], row: list[str], record_lines: list[Line]) -> Parsed:
        start = record_lines[0].lineno
        id_col = header.index("id")
        row_id = row[id_col] if len(row) > id_col else None
        if len(row) != len(header):
            reason = f"has {len(row)} fields, the header has {len(header)}"
            return BadRecord(InputError(reason, path=self.name, lineno=start), row_id)
        bad = next((line.error for line in record_lines if line.error is not None), None)
        if bad is not None:
            column = next((h for h, cell in zip(header, row, strict=True) if SURROGATE.search(cell)), "")
            return BadRecord(InputError(bad.reason, path=self.name, lineno=bad.lineno, field=column or None), row_id)
        record = {h: v for h, v in zip(header, row, strict=True) if h}
        try:
            return record_to_article(record, source=self.name, lineno=start)
        except InputError as exc:
            return BadRecord(exc, maybe_id(record))


class _LineTooLong(Exception):
    """A line too long to read, met while csv parses a record.

    A signal from ``_feed`` (inside csv's parser) to ``records``; it never leaves this module.
    """

    def __init__(self, line: Line) -> None:
        super().__init__(line.lineno)
        self.line = line


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
