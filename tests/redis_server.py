"""A Redis server for the shared-index tests (imported by test_store*.py and test_cli_index.py).

``DEDUP_TEST_REDIS_URL`` names a running server (``.ci/run`` starts one). Without it a
private ``redis-server`` is started on a free loopback port for the test session. The
tests skip, with the reason, only when neither works; with ``DEDUP_REQUIRE_REDIS=1`` or
``CI`` set they fail instead, so CI never skips them silently.

Tests that stop or kill their server (test_store_faults.py) start one of their own with
:func:`private_redis_server`, also when ``DEDUP_TEST_REDIS_URL`` is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import pytest


def _required() -> bool:
    return os.environ.get("DEDUP_REQUIRE_REDIS") == "1" or bool(os.environ.get("CI"))


def _unavailable(reason: str) -> NoReturn:
    if _required():
        pytest.fail(f"Redis is required here (DEDUP_REQUIRE_REDIS/CI) but {reason}")
    pytest.skip(f"no Redis server for the shared-index tests: {reason}")


def _ping(url: str) -> str | None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        return str(exc)
    finally:
        client.close()
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisProcess:
    """A private ``redis-server`` on a free loopback port, which a test may stop and start again.

    ``persistent=True`` keeps the data in an append-only file (fsync on every write) in
    ``workdir``, so a server killed with SIGKILL comes back with every write it acknowledged.
    """

    def __init__(self, exe: str, workdir: Path, *, persistent: bool = False) -> None:
        self.exe = exe
        self.workdir = workdir
        self.port = _free_port()
        self.persistent = persistent
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, required: bool = False) -> None:
        """Start the server and wait until it answers (``required``: fail instead of skipping)."""
        aof = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        self.proc = subprocess.Popen(
            [
                self.exe,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                *aof,
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        error = _ping(self.url)
        while error is not None and time.monotonic() < deadline and self.proc.poll() is None:
            time.sleep(0.05)
            error = _ping(self.url)
        if error is not None:
            self.stop()
            reason = f"a local redis-server did not start on port {self.port}: {error}"
            if required:
                pytest.fail(reason)
            _unavailable(reason)

    def kill(self) -> None:
        """SIGKILL: the server goes away at once, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
                self.kill()


def private_redis_server(tmp_path: Path, *, persistent: bool = False) -> Iterator[RedisProcess]:
    """A :class:`RedisProcess` of the test's own (also under CI, where it must start)."""
    try:
        import redis  # noqa: F401
    except ImportError:
        _unavailable("the redis package is not installed (pip install '.[test]')")
    exe = shutil.which("redis-server")
    if exe is None:
        _unavailable("redis-server is not installed (apt-get install redis-server)")
    workdir = tmp_path / "redis"
    workdir.mkdir()
    server = RedisProcess(exe, workdir, persistent=persistent)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", name="redis_server")
def redis_server_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """URL of a Redis server (database 0) for the session."""
    try:
        import redis  # noqa: F401
    except ImportError:
        _unavailable("the redis package is not installed (pip install '.[test]')")
    url = os.environ.get("DEDUP_TEST_REDIS_URL")
    if url:
        error = _ping(url)
        if error is not None:
            _unavailable(f"DEDUP_TEST_REDIS_URL={url} cannot be reached: {error}")
        yield url
        return
    exe = shutil.which("redis-server")
    if exe is None:
        _unavailable("redis-server is not installed (apt-get install redis-server) and DEDUP_TEST_REDIS_URL is unset")
    server = RedisProcess(exe, tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(name="redis_url")
def redis_url_fixture(redis_server: str) -> Iterator[str]:
    """A fresh index name on the session's server; its keys are deleted afterwards."""
    import redis

    name = f"test-{uuid.uuid4().hex[:12]}"
    yield f"{redis_server}?index={name}"
    client = redis.Redis.from_url(redis_server)
    try:
        keys = list(client.scan_iter(match=f"dedup:{name}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
