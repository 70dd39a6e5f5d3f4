"""One record validator: the fields of an input record to an :class:`~dedup.Article`.

Internal to :mod:`dedup.io` (the names here are not part of dedup's public API, except
:func:`parse_datetime`, which :mod:`dedup.io` re-exports). Every format (JSONL objects,
CSV rows) goes through :func:`record_to_article`, so ids, text fields and dates are
checked the same way everywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from dedup.exceptions import InputError
from dedup.models import Article

__all__ = [
    "KNOWN_FIELDS",
    "SURROGATE",
    "TEXT_FIELDS",
    "clean_id",
    "coerce_id",
    "field_with_surrogates",
    "leading_id",
    "maybe_id",
    "parse_datetime",
    "record_to_article",
]

TEXT_FIELDS = ("text", "content", "body")
KNOWN_FIELDS = frozenset({"id", "title", "account", "published_at", *TEXT_FIELDS})

# Characters that cannot be encoded: lone surrogates from a JSON escape such as "\ud800",
# and the U+DC80..U+DCFF stand-ins for undecodable bytes (surrogateescape).
SURROGATE = re.compile("[\ud800-\udfff]")

# Floats below 2**53 in magnitude that are whole numbers are exactly the integer written.
_EXACT_FLOAT = 2.0**53

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


def coerce_id(value: object) -> str:
    """Return an input id as a string; raise ValueError (the reason) for a bad one."""
    if isinstance(value, bool) or value is None:
        msg = f"must be a string or an integer, got {json.dumps(value)}"
        raise ValueError(msg)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_FLOAT:
            return str(int(value))
        msg = f"must be a string or an integer, got {value!r}"
        if value.is_integer():
            # Past 2**53 a float holds no exact integer: 1.2345678901234567e22 reads as
            # 12345678901234567741440, another number than the one written.
            msg += " (a float this large is not exact; write the id as a string or an integer)"
        raise ValueError(msg)
    if isinstance(value, str):
        if not value.strip():
            msg = "is empty"
            raise ValueError(msg)
        return value
    msg = f"must be a string or an integer, got {type(value).__name__}"
    raise ValueError(msg)


def _text_key(record: Mapping[str, Any]) -> str | None:
    """The field holding the body: the first of text, content, body that is not blank.

    When all that are given are blank, the first of them (the text is empty); None
    when none is given. A CSV row has every column, so an empty ``text`` cell must not
    hide the ``content`` column.
    """
    given = [k for k in TEXT_FIELDS if record.get(k) is not None]
    filled = (k for k in given if not isinstance(record[k], str) or record[k].strip())
    return next(filled, given[0] if given else None)


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
        art_id = coerce_id(record["id"])
    except ValueError as exc:
        problem = str(exc)
        raise fail(problem, field="id") from None
    text_key = _text_key(record)
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
        bad = SURROGATE.search(value)
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


def clean_id(value: str | None) -> str | None:
    """The id to report for a skipped record: None when it cannot be encoded."""
    if value is None or SURROGATE.search(value):
        return None
    return value


def maybe_id(record: Mapping[str, Any]) -> str | None:
    """The id of a bad record, when it has a usable one."""
    try:
        return clean_id(coerce_id(record.get("id")))
    except ValueError:
        return None


# `{"id": ...` at the start of a line that is not valid JSON: its id, when it is the first key.
_LEADING_ID = re.compile(r'\s*\{\s*"id"\s*:\s*("(?:[^"\\\n]|\\.){1,1000}"|-?\d{1,40})\s*[,}]')


def leading_id(line: str) -> str | None:
    """The id of a line that is not valid JSON, when the object starts with it."""
    m = _LEADING_ID.match(line)
    if m is None:
        return None
    try:
        return clean_id(coerce_id(json.loads(m.group(1))))
    except ValueError:
        return None


def field_with_surrogates(record: Mapping[str, Any]) -> str | None:
    """The field holding undecodable bytes (surrogate stand-ins), if one does."""
    for key, value in record.items():
        if SURROGATE.search(key):
            return None
        if _has_surrogate(value):
            return key
    return None


def _has_surrogate(value: object) -> bool:
    if isinstance(value, str):
        return SURROGATE.search(value) is not None
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    return False
