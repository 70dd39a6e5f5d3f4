"""Writing a report to a file (``dedup check -o FILE``) without harming what is there.

:func:`write_file` writes bytes to a path the way ``> FILE`` would, but atomically
where it can:

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

import contextlib
import errno
import os
import re
import secrets
import stat

from dedup.exceptions import OutputError

__all__ = ["write_file"]

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
    name = os.fspath(path)
    try:
        target, fd = _resolve(name)
        if fd is not None:
            _write_all(fd, data)
            return
        try:
            st: os.stat_result | None = os.stat(target)
        except FileNotFoundError:
            st = None
        if st is None or (stat.S_ISREG(st.st_mode) and st.st_nlink == 1):
            _replace(target, data, st)
        elif stat.S_ISREG(st.st_mode) or stat.S_ISCHR(st.st_mode) or stat.S_ISFIFO(st.st_mode):
            _write_through(target, data, truncate=stat.S_ISREG(st.st_mode))
        else:
            kind = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file, terminal or FIFO"
            msg = f"cannot write {name}: it is {kind}"
            raise OutputError(msg, path=name, errno=errno.EISDIR if stat.S_ISDIR(st.st_mode) else errno.EINVAL)
    except OutputError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        msg = f"cannot write {name}: {reason}"
        raise OutputError(msg, path=name, errno=exc.errno) from None


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


def _replace(target: str, data: bytes, st: os.stat_result | None) -> None:
    """Write a temporary file next to ``target`` and rename it over ``target``."""
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
        try:
            if st is not None:
                _keep_owner_and_mode(fd, st)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise


def _keep_owner_and_mode(fd: int, st: os.stat_result) -> None:
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        # Before chmod: chown may clear set-id bits. When we may not give the file
        # away, it becomes ours; the mode is still kept.
        with contextlib.suppress(PermissionError):
            os.fchown(fd, st.st_uid, st.st_gid)
    os.fchmod(fd, stat.S_IMODE(st.st_mode))


def _write_through(target: str, data: bytes, *, truncate: bool) -> None:
    """Write into the existing file (a device, a FIFO, or a file with several names)."""
    flags = os.O_WRONLY | os.O_CLOEXEC | (os.O_TRUNC if truncate else 0)
    fd = os.open(target, flags)
    try:
        _write_all(fd, data)
    except OSError as exc:
        if truncate:
            exc.strerror = f"{exc.strerror or exc}; the file is incomplete"
        raise
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def _remove(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
