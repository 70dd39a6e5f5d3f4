"""Writing a report to a file (``dedup check -o FILE``) without harming what is there.

:func:`write_file` writes bytes to a path the way ``> FILE`` would, but atomically
where it can; :func:`open_output` does the same for a report written piece by piece
(nothing is renamed before its last piece is written):

- a new file, or a regular file with one name: written to a temporary file in the
  same directory (a random name, created with ``O_EXCL | O_NOFOLLOW``, so nothing
  planted there is followed), flushed to disk and renamed over the target. The
  existing file's permission bits (and owner, where allowed) are kept; a new file
  gets ``0666`` less the umask, as with ``>``. On any failure the temporary file is
  removed and the target is untouched.
- a regular file with several hard links: rewritten in place, so that every name
  still shows the same file (a rename would silently split them, leaving the other
  names with the old report). This is what ``cp`` and ``>`` do; the price is that a
  failure part-way leaves that file incomplete (the error says so).
- a symbolic link: followed; its final target is written by these rules, and the
  link stays a link. ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N`` and
  ``/proc/self/fd/N`` write to the process's open descriptor N.
- a character device (``/dev/null``, a terminal) or a FIFO: written through.
- a directory, block device or socket: refused.
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import IO, Any

from dedup.exceptions import OutputError

__all__ = ["OutputFile", "open_output", "write_file", "write_report"]

_MAX_LINKS = 40  # as the kernel's ELOOP limit
# Where a process's own descriptors appear once the directory is resolved: /dev/fd and
# /proc/self/fd resolve to /proc/<pid>/fd, /proc/thread-self/fd to /proc/<pid>/task/<tid>/fd.
_FD_DIR = re.compile(r"/proc/(\d+)(?:/task/\d+)?/fd")


def write_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` (see the module docstring for each kind of file).

    Parameters
    ----------
    path : str or path
        The file to write.
    data : bytes
        Its new content.

    Raises
    ------
    OutputError
        The file cannot be written (an ``OSError``: no space left, no permission, a
        directory ...); the message names the file and the reason on one line.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "report.json"
    >>> write_file(target, b"{}")
    >>> target.read_bytes()
    b'{}'
    """
    with open_output(path) as out:
        out.write(data)


class OutputFile:
    """A report being written to a file by :func:`open_output`, piece by piece.

    ``write`` bytes as they are made, then leave the ``with`` block: a plain file is
    then flushed to disk and renamed over the target. Leaving it by an exception (or
    calling :meth:`abort`) removes the temporary file and leaves the target untouched.
    Writes are gathered into blocks of ``buffer_size`` bytes.
    """

    def __init__(
        self,
        name: str,
        fd: int,
        *,
        replace: tuple[str, str] | None = None,
        own_fd: bool = True,
        in_place: bool = False,
        buffer_size: int = 1 << 20,
    ) -> None:
        self.name = name
        self._fd = fd
        self._replace = replace
        self._own_fd = own_fd
        self._in_place = in_place
        self._buffer = bytearray()
        self._buffer_size = buffer_size
        self._closed = False

    def __enter__(self) -> OutputFile:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if exc is None:
            self.close()
        else:
            self.abort()

    def write(self, data: bytes) -> None:
        """Add ``data`` to the file.

        Raises
        ------
        OutputError
            The file cannot be written (the temporary file is then removed).
        """
        self._buffer += data
        if len(self._buffer) >= self._buffer_size:
            self._flush()

    def close(self) -> None:
        """Finish the file: write what is buffered, then (a plain file) sync it and rename it over the target.

        Raises
        ------
        OutputError
            The file cannot be finished (the temporary file is then removed).
        """
        if self._closed:
            return
        self._flush()
        try:
            if self._replace is not None:
                os.fsync(self._fd)
        except OSError as exc:
            self.abort()
            raise _error(self.name, exc) from None
        self._closed = True
        try:
            if self._own_fd:
                os.close(self._fd)
            if self._replace is not None:
                os.replace(*self._replace)
        except OSError as exc:
            if self._replace is not None:
                _remove(self._replace[0])
            raise _error(self.name, exc) from None

    def abort(self) -> None:
        """Stop writing: a temporary file is removed, the target left as it was."""
        if self._closed:
            return
        self._closed = True
        if self._own_fd:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        if self._replace is not None:
            _remove(self._replace[0])

    def _flush(self) -> None:
        if not self._buffer:
            return
        try:
            _write_all(self._fd, self._buffer)
        except OSError as exc:
            self.abort()
            if self._in_place:
                exc.strerror = f"{exc.strerror or exc}; the file is incomplete"
            raise _error(self.name, exc) from None
        self._buffer.clear()


def open_output(path: str | os.PathLike[str]) -> OutputFile:
    """Open ``path`` to write a report into it piece by piece, as :func:`write_file` writes it whole.

    Parameters
    ----------
    path : str or path
        The file to write (see the module docstring for each kind of file).

    Returns
    -------
    OutputFile
        Use it in a ``with`` block: ``write`` pieces; the file is finished when the
        block ends, and a plain file's target is left untouched if it ends by an error.

    Raises
    ------
    OutputError
        The file cannot be written (a directory, a missing folder, no permission ...).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "report.json"
    >>> with open_output(target) as out:
    ...     out.write(b'{"stories": [')
    ...     out.write(b"]}")
    >>> target.read_bytes()
    b'{"stories": []}'
    """
    name = os.fspath(path)
    try:
        target, fd = _resolve(name)
        if fd is not None:
            return OutputFile(name, fd, own_fd=False)
        try:
            st: os.stat_result | None = os.stat(target)
        except FileNotFoundError:
            st = None
        if st is None or (stat.S_ISREG(st.st_mode) and st.st_nlink == 1):
            tmp, fd = _temporary(target, st)
            return OutputFile(name, fd, replace=(tmp, target))
        if stat.S_ISREG(st.st_mode) or stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            # Written into the existing file (a device, a FIFO, or a file with several names).
            truncate = stat.S_ISREG(st.st_mode)
            fd = os.open(target, os.O_WRONLY | os.O_CLOEXEC | (os.O_TRUNC if truncate else 0))
            return OutputFile(name, fd, in_place=truncate)
        kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file, terminal or FIFO"
        msg = f"cannot write {name}: it is {kind}"
        raise OutputError(msg, path=name, errno=errno.EISDIR if stat.S_ISDIR(st.st_mode) else errno.EINVAL)
    except OutputError:
        raise
    except OSError as exc:
        raise _error(name, exc) from None


def _error(name: str, exc: OSError) -> OutputError:
    reason = exc.strerror or str(exc)
    return OutputError(f"cannot write {name}: {reason}", path=name, errno=exc.errno)


def write_report(
    pieces: Iterable[str], output: str | os.PathLike[str] | None, stdout: IO[str], *, encoding: str = "utf-8"
) -> None:
    """Write a report as its pieces are made: to ``output`` (see :func:`open_output`) or to ``stdout``.

    Parameters
    ----------
    pieces : iterable of str
        The report, e.g. :func:`dedup.report.iter_render`; each is encoded and written
        as it comes (to standard output in blocks of 64 KiB).
    output : str or path, optional
        The file to write; None writes to ``stdout`` (its binary buffer when it has one).
    stdout : text stream
        Standard output. A reader that leaves early (``| head``) is no error: the rest
        of the report is not made, and ``stdout`` is pointed at ``/dev/null``.
    encoding : str
        ``utf-8-sig`` writes one byte order mark at the start; characters that cannot
        be encoded (lone surrogates) are replaced.

    Raises
    ------
    OutputError
        The file or standard output cannot be written.
    """
    # One encoder for the whole report: a BOM (utf-8-sig) only at its start.
    encoder = codecs.getincrementalencoder(encoding)(errors="replace")
    if output is not None:
        with open_output(output) as out:  # atomic for a plain file; through a device, FIFO or /dev/stdout
            for piece in pieces:
                out.write(encoder.encode(piece))
            out.write(encoder.encode("", final=True))
        return
    buffer = getattr(stdout, "buffer", None)
    if buffer is None:  # a text stream (tests, embedding): the BOM, if any, as a character
        head = "\ufeff" if encoding == "utf-8-sig" else ""
        for piece in pieces:
            if not _to_stdout(stdout, stdout.write, head + piece):
                return
            head = ""
        if head:
            _to_stdout(stdout, stdout.write, head)
        return
    # Bytes, so Chinese survives a C/POSIX locale; gathered into blocks of 64 KiB.
    if not _to_stdout(stdout, lambda _: stdout.flush(), ""):
        return
    block = bytearray()
    for piece in pieces:
        block += encoder.encode(piece)
        if len(block) >= 1 << 16:
            if not _to_stdout(stdout, buffer.write, block):
                return
            block = bytearray()
    block += encoder.encode("", final=True)
    if _to_stdout(stdout, buffer.write, block):
        _to_stdout(stdout, lambda _: buffer.flush(), b"")


def _to_stdout(stdout: IO[str], write: Callable[[Any], object], data: Any) -> bool:
    """``write(data)`` to standard output; False when the reader has left (the rest is not wanted)."""
    try:
        write(data)
    except BrokenPipeError:
        # The reader left (dedup check ... | head): not an error, and the exit status
        # still says whether duplicates were found.
        _discard_stdout(stdout)
        return False
    except OSError as exc:
        msg = f"cannot write to standard output: {exc.strerror or exc}"
        raise OutputError(msg, errno=exc.errno) from None
    return True


def _discard_stdout(stdout: IO[str]) -> None:
    """Point standard output at /dev/null, so that flushing it at exit cannot fail again."""
    try:
        fd = stdout.fileno()
    except (AttributeError, OSError, ValueError):  # not a file (tests, embedding)
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)


def _resolve(path: str) -> tuple[str, int | None]:
    """Follow the symbolic links of ``path`` to the file they name.

    Returns the final path, or the descriptor number when the path names one of this
    process's open descriptors (``/dev/stdout``, ``/dev/fd/1``, ``/proc/self/fd/1``).
    """
    current = os.path.abspath(path)
    for _ in range(_MAX_LINKS):
        parent = os.path.realpath(os.path.dirname(current))
        base = os.path.basename(current)
        fd_dir = _FD_DIR.fullmatch(parent)
        if fd_dir is not None and int(fd_dir.group(1)) == os.getpid() and base.isdigit():
            return os.path.join(parent, base), int(base)
        current = os.path.join(parent, base)
        try:
            link = os.readlink(current)
        except OSError:  # not a link (EINVAL), or missing: stat tells which
            return current, None
        current = os.path.join(parent, link)  # an absolute link replaces the parent
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))


def _temporary(target: str, st: os.stat_result | None) -> tuple[str, int]:
    """Create a temporary file next to ``target`` (to be renamed over it), with its mode."""
    directory, base = os.path.split(target)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(8)}.tmp")
        try:
            # A new file: 0666 less the umask, as ``>`` creates it. An existing one:
            # private until it is given the mode of the file it replaces.
            fd = os.open(tmp, flags, 0o666 if st is None else 0o600)
        except FileExistsError:
            continue
        break
    try:
        if st is not None:
            _keep_owner_and_mode(fd, st)
    except BaseException:
        os.close(fd)
        _remove(tmp)
        raise
    return tmp, fd


def _keep_owner_and_mode(fd: int, st: os.stat_result) -> None:
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        # Before chmod: chown may clear set-id bits. When we may not give the file
        # away, it becomes ours; the mode is still kept.
        with contextlib.suppress(PermissionError):
            os.fchown(fd, st.st_uid, st.st_gid)
    os.fchmod(fd, stat.S_IMODE(st.st_mode))


def _write_all(fd: int, data: bytes | bytearray) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
