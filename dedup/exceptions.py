"""Exceptions raised by dedup.

Every exception derives from :class:`DedupError` and also from the builtin that
matches its meaning, so callers can catch either::

    DedupError(Exception)
    ├── ConfigError(DedupError, ValueError)       an option is out of range
    ├── InputError(DedupError, ValueError)        a record cannot be read
    │   └── DuplicateIdError(InputError)          two records share an id
    ├── IndexFileError(DedupError, ValueError)    a saved index is corrupted, truncated or too new
    ├── UnknownIdError(DedupError, KeyError)      an id is not in the index
    ├── IndexConnectionError(DedupError, ConnectionError)  the index server cannot be reached or fails
    └── OutputError(DedupError, OSError)          a report cannot be written
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DedupError",
    "DuplicateIdError",
    "IndexConnectionError",
    "IndexFileError",
    "InputError",
    "OutputError",
    "UnknownIdError",
]


class DedupError(Exception):
    """Base class of every error dedup raises."""


class ConfigError(DedupError, ValueError):
    """An option is invalid; the message names it, its value and the valid range."""


class InputError(DedupError, ValueError):
    """A record of the input cannot be used.

    Parameters
    ----------
    message : str
        What is wrong, without the location.
    path : str, optional
        The file the record came from (``"-"`` for standard input).
    lineno : int, optional
        1-based line (JSONL, TXT) or record number (CSV rows count the header as line 1).
    field : str, optional
        The field that is wrong, when one is.

    Examples
    --------
    >>> str(InputError("not valid JSON", path="a.jsonl", lineno=3))
    'a.jsonl:3: not valid JSON'
    >>> str(InputError("missing", path="a.jsonl", lineno=3, field="id"))
    'a.jsonl:3: field id: missing'
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        lineno: int | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = message
        self.path = path
        self.lineno = lineno
        self.field = field
        super().__init__(self._format())

    def _format(self) -> str:
        where = ""
        if self.path is not None:
            where = self.path if self.lineno is None else f"{self.path}:{self.lineno}"
        elif self.lineno is not None:
            where = f"line {self.lineno}"
        what = self.reason if self.field is None else f"field {self.field}: {self.reason}"
        # One line, always: a message may quote user data containing newlines.
        text = f"{where}: {what}" if where else what
        return " ".join(text.split("\n"))

    def __reduce__(self) -> tuple[object, ...]:
        # Keep keyword-only attributes across pickling (worker processes).
        return (_rebuild_input_error, (type(self), self.reason, self.path, self.lineno, self.field))


def _rebuild_input_error(
    cls: type[InputError], reason: str, path: str | None, lineno: int | None, field: str | None
) -> InputError:
    return cls(reason, path=path, lineno=lineno, field=field)


class DuplicateIdError(InputError):
    """Two records of one batch carry the same id."""


class IndexFileError(DedupError, ValueError):
    """A saved index cannot be read: not an index, truncated, corrupted or a newer format.

    Examples
    --------
    >>> str(IndexFileError("index.dedup: truncated"))
    'index.dedup: truncated'
    """


class UnknownIdError(DedupError, KeyError):
    """An id asked for is not in the index.

    Examples
    --------
    >>> str(UnknownIdError("id 'x' is not in the index"))
    "id 'x' is not in the index"
    """

    def __str__(self) -> str:
        # KeyError quotes its argument; the message is already a sentence.
        return str(self.args[0]) if self.args else ""


class IndexConnectionError(DedupError, ConnectionError):
    """The server holding a shared index (Redis) cannot be reached, went away or failed.

    The message names the server, on one line.
    """


class OutputError(DedupError, OSError):
    """A report cannot be written to its file or stream (or a spill file to its directory).

    Parameters
    ----------
    message : str
        One line naming the file and the reason.
    path : str, optional
        The file (``filename``).
    errno : int, optional
        The operating system's error number, when there is one (``errno``).

    Examples
    --------
    >>> import errno
    >>> exc = OutputError("cannot write r.json: No space left on device", path="r.json", errno=errno.ENOSPC)
    >>> str(exc), exc.errno == errno.ENOSPC
    ('cannot write r.json: No space left on device', True)
    """

    def __init__(self, message: str, *, path: str | None = None, errno: int | None = None) -> None:
        super().__init__(message)
        self.filename = path
        self.errno = errno

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild_output_error, (str(self), self.filename, self.errno))


def _rebuild_output_error(message: str, path: str | None, errno: int | None) -> OutputError:
    return OutputError(message, path=path, errno=errno)
