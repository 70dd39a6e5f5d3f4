"""Faults of DedupIndex (dedup/index.py): a save killed midway, Redis going away mid-run.

The failures are real (a SIGKILLed process, a redis-server shut down or killed) and
happen at a chosen moment: the killed save signals from inside the save, and the Redis
server is killed by a hook on redis-py's socket writes when a given command goes out.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from cli_streams import Streams
from redis_server import RedisProcess, private_redis_server

import dedup.index
import dedup.index_file
from dedup import Article, DedupIndex, IndexConnectionError, IndexFileError

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
import dedup.index_file
from dedup import DedupIndex, read_articles

posts = read_articles(sys.argv[1])
index = DedupIndex()
index.add(posts[:6])
index.save(sys.argv[2])
index.add(posts[6:])
real, calls = dedup.index_file.npy_bytes, 0

def stalled(arr):
    global calls
    calls += 1
    if calls == 4:
        print("saving", flush=True)
        sys.stdin.read()  # until killed
    return real(arr)

dedup.index_file.npy_bytes = stalled
index.save(sys.argv[2])
print("saved", flush=True)
"""


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    return proc.stdout.readline() if ready else ""


def test_a_save_killed_midway_leaves_the_previous_index(news: list[Article], news_path: Path, tmp_path: Path) -> None:
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
    old = time.time() - dedup.index_file.STALE_TEMP_AGE - 5
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
    old = time.time() - dedup.index_file.STALE_TEMP_AGE - 5

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


# ---------------------------------------------------------------------------
# Redis going away


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisProcess]:
    """A redis-server of this test's own (it gets killed), with an fsync'ed append-only file."""
    yield from private_redis_server(tmp_path, persistent=True)


def _one_line_naming(exc: BaseException, url: str) -> str:
    msg = str(exc)
    assert "\n" not in msg
    assert url in msg, msg
    return msg


def test_redis_going_away_is_a_clear_error_for_every_call(
    news: list[Article], server: RedisProcess, tmp_path: Path
) -> None:
    import redis

    url = f"{server.url}?index=faults"
    index = DedupIndex.connect(url)
    index.add(news[:8])
    assert len(index) == 8 and answer(index, news[8])  # a working index first
    client = redis.Redis.from_url(server.url)
    client.shutdown(nosave=True)
    client.close()
    assert server.proc is not None
    server.proc.wait(timeout=10)
    calls: dict[str, Callable[[], object]] = {
        "len": lambda: len(index),
        "in": lambda: news[0].id in index,
        "query": lambda: index.query(news[8]),
        "add": lambda: index.add(news[9:]),
        "remove": lambda: index.remove([news[0].id]),
        "clear": index.clear,
        "info": index.info,
        "save": lambda: index.save(tmp_path / "copy.dedup"),
        "connect": lambda: DedupIndex.connect(url),
        "exists": lambda: DedupIndex.exists(url),
    }
    for what, call in calls.items():
        with pytest.raises(IndexConnectionError) as info:
            call()
        msg = _one_line_naming(info.value, server.url)
        assert re.match(r"(lost the connection to|cannot reach) Redis at redis://", msg), (what, msg)
    assert not (tmp_path / "copy.dedup").exists()
    index.close()


def test_redis_restarted_without_its_data_is_an_error_not_an_empty_index(
    news: list[Article], server: RedisProcess
) -> None:
    url = f"{server.url}?index=faults"
    index = DedupIndex.connect(url)
    index.add(news[:8])
    server.kill()
    for aof in server.workdir.iterdir():  # the data is lost
        if aof.is_dir():
            for part in aof.iterdir():
                part.unlink()
            aof.rmdir()
    server.start(required=True)
    calls: dict[str, Callable[[], object]] = {
        "len": lambda: len(index),
        "in": lambda: news[0].id in index,
        "query": lambda: index.query(news[1]),
        "add": lambda: index.add(news[9:]),
        "remove": lambda: index.remove([news[0].id], missing_ok=True),
        "info": index.info,
    }
    for call in calls.values():
        with pytest.raises(IndexFileError, match="the index is gone") as info:
            call()
        _one_line_naming(info.value, url)
    index.close()


class _KillOnSend:
    """Kill the Redis server just before redis-py sends the first command matching ``wanted``.

    A hook on redis-py's socket writes (``send_packed_command``), not on dedup: the
    server goes away at that moment whatever dedup is doing.
    """

    def __init__(self, server: RedisProcess, wanted: Callable[[bytes], bool]) -> None:
        self.server = server
        self.wanted = wanted
        self.fired = False

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from redis.connection import AbstractConnection

        real: Callable[..., None] = AbstractConnection.send_packed_command

        def send(conn: Any, command: Any, check_health: bool = True) -> None:
            if not self.fired:
                parts = [command] if isinstance(command, (bytes, str, memoryview)) else command
                data = b"".join(p.encode() if isinstance(p, str) else bytes(p) for p in parts)
                if self.wanted(data):
                    self.fired = True
                    self.server.kill()
            real(conn, command, check_health)

        monkeypatch.setattr(AbstractConnection, "send_packed_command", send)


def test_redis_going_away_during_an_add_leaves_whole_posts_only(
    news: list[Article], server: RedisProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Steps of 4 posts; stories spread over the steps (-01 posts first, then -02 ...).
    monkeypatch.setattr(dedup.index, "STEP", 4)
    posts = sorted(news, key=lambda a: (a.id.split("-")[1], a.id))
    assert [a.id for a in posts[8:12]] == ["lhz-02", "ssw-02", "yh-02", "hyt-03"]
    url = f"{server.url}?index=faults"
    index = DedupIndex.connect(url)
    # The server dies as the third step writes its LSH buckets (the "b:<table>:" keys)
    # for lhz-02: mid-step, after its matches were computed.
    killer = _KillOnSend(server, lambda data: b":b:f:" in data and b"lhz-02" in data)
    killer.install(monkeypatch)
    with pytest.raises(IndexConnectionError) as info:
        index.add(posts)
    assert killer.fired
    msg = _one_line_naming(info.value, server.url)
    assert "8 of 16 post(s) were added, those from id 'lhz-02' on may be missing" in msg
    monkeypatch.undo()
    # Back with every write Redis acknowledged: the index holds whole posts only, and
    # answers exactly as an index of those posts does (no post counted but unfindable).
    server.start(required=True)
    with DedupIndex.connect(url) as again:
        there = [a for a in posts if a.id in again]
        assert [a.id for a in there] == [a.id for a in posts[:8]]
        assert len(again) == 8
        reference = memory_index(there)
        answers = {q.id: answer(again, q) for q in news}
        assert answers == {q.id: answer(reference, q) for q in news}
        assert any(answers[q.id] for q in posts[8:12])
    # The writer adds the rest at once: the writer lock it could not release is its own
    # (another writer would wait for it to expire, up to 600 s).
    added: list[int] = []
    retry = threading.Thread(target=lambda: added.append(index.add(posts[8:])), daemon=True)
    retry.start()
    retry.join(timeout=60)
    assert not retry.is_alive(), "the writer waited for its own lock"
    assert added == [len(posts) - 8]
    complete = memory_index(posts)
    assert len(index) == len(news)
    assert {q.id: answer(index, q) for q in news} == {q.id: answer(complete, q) for q in news}
    index.close()


def test_cli_exits_2_when_redis_goes_away_mid_query(
    news_path: Path, server: RedisProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"{server.url}?index=faults"
    lines = news_path.read_text(encoding="utf-8").splitlines()
    assert Streams(stdin=("\n".join(lines[:8]) + "\n").encode()).run("index", "add", url, "-", "-q") == 0
    # The server dies as the third query looks up its candidates (SMEMBERS of LSH buckets).
    lookups = 0

    def third_lookup(data: bytes) -> bool:
        nonlocal lookups
        lookups += b"SMEMBERS" in data
        return lookups == 3

    _KillOnSend(server, third_lookup).install(monkeypatch)
    s = Streams(stdin=("\n".join(lines[8:]) + "\n").encode())
    assert s.run("index", "query", url, "-", "--format", "json") == 2
    assert s.stdout.getvalue() == ""  # no answers for the first two: nothing partial
    err = s.stderr.getvalue()
    assert err.startswith(f"dedup: error: lost the connection to Redis at {url}: ")
    assert err.count("\n") == 1 and err.endswith("\n")


def test_a_failing_redis_command_is_a_clear_error(news: list[Article], server: RedisProcess) -> None:
    import redis

    url = f"{server.url}?index=faults"
    index = DedupIndex.connect(url)
    index.add(news[:4])
    client = redis.Redis.from_url(server.url)
    client.config_set("maxmemory", 1)  # every write is now refused (OOM)
    try:
        with pytest.raises(
            IndexConnectionError, match=r"Redis at redis://\S+ failed: command not allowed when used memory"
        ) as info:
            index.add(news[4:8])
        _one_line_naming(info.value, url)
    finally:
        client.config_set("maxmemory", 0)
        client.close()
    assert len(index) == 4
    index.add(news[4:8])
    assert len(index) == 8
    index.close()
