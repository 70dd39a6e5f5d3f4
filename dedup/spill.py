"""A batch's normalized bodies and features kept in a temporary file rather than in memory: :class:`SpillFile`.

Besides the articles, what a large check holds is the batch's normalized bodies (kept
from normalizing until they are tokenized) and its features: at a million posts,
gigabytes of text, word sequences and shingle hashes (the ragged columns of
:class:`~dedup.columns.FeatureColumns`). With a spill directory, each chunk's normalized
bodies and each block of feature columns are written to one temporary file as they
come back from the workers, and let go; the file is mapped read-only once the batch is
normalized (the bodies) and once it is extracted (the features), and they are read from
the mapping. Tokenizing and verification then read them from the page cache, which the
operating system fills as they are read and empties under memory pressure, instead of
from memory the process owns: a batch larger than the machine's memory still runs (more
slowly, as pages are read again). Forked workers share the mapping.

The file is created unlinked in the directory (nothing is left behind, even when the
check is killed), and its space is given back when the last mapping goes. Results do
not depend on spilling.
"""

from __future__ import annotations

import dataclasses
import mmap
import os
import tempfile
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dedup.columns import FeatureColumns
from dedup.exceptions import OutputError

__all__ = ["SpillFile"]

_ALIGN = 8  # every array starts at a multiple of its item size (at most 8 bytes)

# Where one array was written: (offset, dtype, length).
_Place = tuple[int, np.dtype[Any], int]


class SpillFile:
    """Normalized bodies and feature columns written to one unlinked temporary file, then mapped.

    Parameters
    ----------
    directory : str or path
        Where the file is made (a local disk with room for the batch's bodies and
        features: about 4.5 KB per post of ordinary news).

    Raises
    ------
    OutputError
        The directory does not exist or a file cannot be made or written in it.

    Examples
    --------
    >>> import tempfile
    >>> from dedup import Article, DedupConfig
    >>> from dedup.features import FeatureExtractor
    >>> feats = FeatureExtractor(DedupConfig()).extract_many([Article(id="1", text="社区开展垃圾分类宣传活动。")])
    >>> block = FeatureColumns.pack(feats)
    >>> with tempfile.TemporaryDirectory() as d, SpillFile(d) as spill:
    ...     (mapped,) = spill.mapped([spill.write(block)])
    ...     left = os.listdir(d)
    >>> mapped.unpack()[0].sequence.tolist() == feats[0].sequence.tolist(), left
    (True, [])
    """

    __slots__ = ("_directory", "_file", "_places", "_size")

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self._directory = os.fspath(directory)
        try:
            # Closed by close() (or mapped()): it outlives this call.
            self._file = tempfile.TemporaryFile(dir=self._directory, prefix="dedup-spill-")  # noqa: SIM115
        except OSError as exc:
            raise self._error(exc) from exc
        self._size = 0
        # For each block written, in order: its start, and where each ragged column's
        # values and offsets went.
        self._places: list[tuple[int, dict[str, tuple[_Place, _Place]]]] = []

    def close(self) -> None:
        """Give the file back unless mapped (its mapping lives as long as the arrays read from it)."""
        self._file.close()

    def __enter__(self) -> SpillFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _error(self, exc: OSError) -> OutputError:
        reason = exc.strerror or str(exc)
        msg = f"cannot write a spill file in {self._directory}: {reason}"
        return OutputError(msg, path=self._directory, errno=exc.errno)

    def _put(self, array: NDArray[Any]) -> _Place:
        data = np.ascontiguousarray(array)
        pad = -self._size % _ALIGN
        try:
            if pad:
                self._file.write(b"\0" * pad)
            self._file.write(data.data)
        except OSError as exc:
            raise self._error(exc) from exc
        offset = self._size + pad
        self._size = offset + data.nbytes
        return offset, data.dtype, len(data)

    def write_bytes(self, data: bytes) -> tuple[int, int]:
        """Write ``data``; where it went, ``(offset, length)``, to slice :meth:`view` with."""
        offset, _, length = self._put(np.frombuffer(data, dtype=np.uint8))
        return offset, length

    def view(self) -> memoryview:
        """What was written so far, mapped read-only (the mapping lives as long as its views)."""
        try:
            self._file.flush()
            if not self._size:  # (an empty file cannot be mapped)
                return memoryview(b"")
            return memoryview(mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ))
        except OSError as exc:
            raise self._error(exc) from exc

    def write(self, block: FeatureColumns) -> FeatureColumns:
        """Write ``block``'s ragged columns; the block without them (until :meth:`mapped`)."""
        places = {name: (self._put(values), self._put(offsets)) for name, (values, offsets) in block.ragged.items()}
        self._places.append((block.start, places))
        return dataclasses.replace(block, ragged={})

    def mapped(self, blocks: list[FeatureColumns]) -> list[FeatureColumns]:
        """The blocks :meth:`write` returned (all of them, in order), their ragged columns read from the mapped file."""
        if [b.start for b in blocks] != [start for start, _ in self._places]:
            msg = "give mapped() the blocks write() returned, in the order they were written"
            raise ValueError(msg)
        try:
            view = self.view()
        finally:
            self._file.close()  # the mapping keeps the file's pages; its name is gone already

        def read(place: _Place) -> NDArray[Any]:
            offset, dtype, length = place
            return np.frombuffer(view, dtype=dtype, count=length, offset=offset)

        out = []
        for block, (_, places) in zip(blocks, self._places, strict=True):
            out.append(
                dataclasses.replace(
                    block, ragged={name: (read(values), read(offsets)) for name, (values, offsets) in places.items()}
                )
            )
        return out
