"""The index file as untrusted data: crafted archives fail cleanly; saves keep modes; writers take turns."""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from dedup import Article, ConfigError, DedupConfig, DedupIndex, IndexFileError, NormalizeConfig


def _saved(news: list[Article], path: Path, config: DedupConfig | None = None) -> Path:
    index = DedupIndex(config)
    index.add(news)
    index.save(path)
    return path


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _write(path: Path, members: dict[str, bytes], **how: object) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, blob in members.items():
            info = zipfile.ZipInfo(name)
            for key, value in how.get(name, {}).items():  # type: ignore[attr-defined]
                setattr(info, key, value)
            zf.writestr(info, blob)


def _npy(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, allow_pickle=False)
    return buf.getvalue()


def test_a_compressed_member_is_refused_before_it_is_inflated(news: list[Article], tmp_path: Path) -> None:
    path = _saved(news, tmp_path / "posts.dedup")
    members = _members(path)
    # A zip bomb: a few KiB that would inflate to 64 MiB.
    members["doc.npy"] = _npy(np.zeros(64 << 20, dtype=np.uint8))
    _write(path, members, **{"doc.npy": {"compress_type": zipfile.ZIP_DEFLATED}})
    assert path.stat().st_size < 1 << 20
    with pytest.raises(IndexFileError, match="compressed"):
        DedupIndex.load(path)


def test_an_encrypted_member_or_an_unknown_method_is_an_index_file_error(news: list[Article], tmp_path: Path) -> None:
    path = _saved(news, tmp_path / "posts.dedup")
    data = bytearray(path.read_bytes())
    # Set the encryption flag, then compression method 9 (deflate64) in a central
    # directory entry: zipfile itself raises RuntimeError / NotImplementedError on these.
    entry = data.index(b"PK\x01\x02")
    flags = struct.unpack_from("<H", data, entry + 8)[0]
    struct.pack_into("<H", data, entry + 8, flags | 0x1)
    path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="encrypted"):
        DedupIndex.load(path)
    struct.pack_into("<H", data, entry + 8, flags)
    struct.pack_into("<H", data, entry + 10, 9)
    path.write_bytes(bytes(data))
    with pytest.raises(IndexFileError, match="compressed"):
        DedupIndex.load(path)


def test_a_huge_declared_shape_is_refused_without_allocating(news: list[Article], tmp_path: Path) -> None:
    path = _saved(news, tmp_path / "posts.dedup")
    members = _members(path)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<u4", "fortran_order": False, "shape": (10**13,)})
    offsets = np.load(io.BytesIO(members["shingles_offsets.npy"]))
    offsets[-1] = 10**13  # the offsets agree with the huge shape
    members["shingles_offsets.npy"] = _npy(offsets)
    members["shingles.npy"] = header.getvalue() + b"\x00" * 64
    _write(path, members)
    with pytest.raises(IndexFileError, match=r"do not fit its size|malformed"):
        DedupIndex.load(path)


def test_special_files_are_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.dedup"
    os.mkfifo(fifo)
    with pytest.raises(IndexFileError, match="not a regular file"):
        DedupIndex.load(fifo)  # returns at once: never blocks on the pipe
    with pytest.raises(IndexFileError, match="not a regular file"):
        DedupIndex.load("/dev/zero")


def test_a_file_never_makes_dedup_run_its_patterns(news: list[Article], tmp_path: Path) -> None:
    # A pattern that would hang a query (catastrophic backtracking) sits in the manifest.
    evil = NormalizeConfig(extra_boilerplate=(r"(?:.+)+$",))
    path = _saved(news[:2], tmp_path / "posts.dedup", DedupConfig(normalize=evil))
    with pytest.raises(ConfigError, match="extra_boilerplate"):
        DedupIndex.load(path)
    with pytest.raises(ConfigError, match="extra_boilerplate"):
        DedupIndex.load(path, config=DedupConfig())
    members = _members(path)
    meta = json.loads(members["manifest.json"])
    meta["config"]["user_dict"] = "/dev/zero"  # an injected path is data, never opened
    members["manifest.json"] = json.dumps(meta).encode()
    _write(path, members)
    with pytest.raises(ConfigError):
        DedupIndex.load(path)


def test_a_save_keeps_the_mode_of_the_file_it_replaces(news: list[Article], tmp_path: Path) -> None:
    path = _saved(news[:3], tmp_path / "posts.dedup")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()
    path.chmod(0o640)
    _saved(news, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert len(DedupIndex.load(path)) == len(news)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_EDITOR = r"""
import sys
from dedup import Article, DedupIndex

path, prefix = sys.argv[1], sys.argv[2]
posts = [Article(id=f"{prefix}{k}", text=f"第{k}期{prefix}社区开展主题活动，共有{k * 3 + 7}名居民参加，发放资料{k * 11}份。")
         for k in range(150)]
for start in range(0, 150, 30):
    with DedupIndex.editing(path) as index:
        index.add(posts[start : start + 30])
"""


def test_two_processes_editing_one_file_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "posts.dedup"
    procs = [
        subprocess.Popen([sys.executable, "-c", _EDITOR, str(path), prefix], stderr=subprocess.PIPE, text=True)
        for prefix in ("a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    assert len(DedupIndex.load(path)) == 300
