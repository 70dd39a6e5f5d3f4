"""Faults of DedupIndex (dedup/store.py): a save killed midway.

The failures are real (a SIGKILLed process) and happen at a chosen moment: the killed
save signals from inside the save.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

import dedup.store
from dedup import Article, DedupIndex, IndexFileError

Answer = dict[str, tuple[float, str]]


def answer(index: DedupIndex, query: Article) -> Answer:
    return {m.id: (m.score, m.kind) for m in index.query(query, k=None, evidence=False)}


def memory_index(posts: Sequence[Article]) -> DedupIndex:
    index = DedupIndex()
    index.add(posts)
    return index


def temporary_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.iterdir() if p.name.endswith(".tmp"))


# ---------------------------------------------------------------------------
# a save killed midway

# Saves the first six posts, adds the rest, and saves again; inside that second save
# (after three members of the new file are written) it says so and waits to be killed.
_KILLED_SAVE = r"""
import sys
import dedup.store
from dedup import DedupIndex, read_articles

posts = read_articles(sys.argv[1])
index = DedupIndex()
index.add(posts[:6])
index.save(sys.argv[2])
index.add(posts[6:])
real, calls = dedup.store._npy, 0

def stalled(arr):
    global calls
    calls += 1
    if calls == 4:
        print("saving", flush=True)
        sys.stdin.read()  # until killed
    return real(arr)

dedup.store._npy = stalled
index.save(sys.argv[2])
print("saved", flush=True)
"""


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else ""


def test_a_save_killed_midway_leaves_the_previous_index(
    news: list[Article], news_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "posts.dedup"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_SAVE, str(news_path), str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = _read_line(proc, timeout=120)
        assert line == "saving\n", proc.stderr.read() if proc.poll() is not None else line  # type: ignore[union-attr]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:  # pragma: no cover - only when the test failed above
            proc.kill()
            proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            assert stream is not None
            stream.close()
    assert proc.returncode == -signal.SIGKILL
    # The kill left the new file half-written under its temporary name ...
    (stray,) = temporary_files(tmp_path)
    assert stray.name.startswith(".posts.dedup.")
    with pytest.raises(IndexFileError):
        DedupIndex.load(stray)
    # ... and the previous index whole: it loads, has the previous posts and answers.
    loaded = DedupIndex.load(path)
    assert len(loaded) == 6
    reference = memory_index(news[:6])
    answers = {q.id: answer(loaded, q) for q in news}
    assert answers == {q.id: answer(reference, q) for q in news}
    assert any(answers.values())
    # The next save replaces the index and removes the dead save's file once it is old.
    loaded.add(news[6:])
    old = time.time() - dedup.store._STALE_TEMP_AGE - 5
    os.utime(stray, (old, old))
    loaded.save(path)
    assert temporary_files(tmp_path) == []
    again = DedupIndex.load(path)
    assert len(again) == len(news)
    assert answer(again, news[0]) == answer(memory_index(news), news[0])


@pytest.mark.skipif(sys.platform == "win32", reason="saves lock their temporary files with flock (POSIX)")
def test_a_save_removes_only_dead_saves_files(news: list[Article], tmp_path: Path) -> None:
    import fcntl

    index = memory_index(news[:3])
    old = time.time() - dedup.store._STALE_TEMP_AGE - 5

    def temp(name: str, *, age: float | None = old) -> Path:
        p = tmp_path / name
        p.write_bytes(b"PK\x03\x04 partial")
        if age is not None:
            os.utime(p, (age, age))
        return p

    dead = temp(".posts.dedup.dead0001.tmp")
    fresh = temp(".posts.dedup.fresh001.tmp", age=None)  # still being written, perhaps
    live = temp(".posts.dedup.live0001.tmp")  # another process is saving it
    other = temp(".other.dedup.dead0002.tmp")  # another index's
    unrelated = temp(".posts.dedup.notes.tmp")  # not a name save makes
    with live.open("rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        index.save(tmp_path / "posts.dedup")
    assert not dead.exists()
    assert fresh.exists() and live.exists() and other.exists() and unrelated.exists()
    assert len(DedupIndex.load(tmp_path / "posts.dedup")) == 3
