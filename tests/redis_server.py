"""A Redis server for the shared-index tests (imported by test_store.py and test_cli_index.py).

``DEDUP_TEST_REDIS_URL`` names a running server (``.ci/run`` starts one). Without it a
private ``redis-server`` is started on a free loopback port for the test session. The
tests skip, with the reason, only when neither works; with ``DEDUP_REQUIRE_REDIS=1`` or
``CI`` set they fail instead, so CI never skips them silently.
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

import pytest


def _required() -> bool:
    return os.environ.get("DEDUP_REQUIRE_REDIS") == "1" or bool(os.environ.get("CI"))


def _unavailable(reason: str) -> None:
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
        _unavailable(
            "redis-server is not installed (apt-get install redis-server) and DEDUP_TEST_REDIS_URL is unset"
        )
    workdir: Path = tmp_path_factory.mktemp("redis")
    port = _free_port()
    proc = subprocess.Popen(
        [
            exe,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        error = _ping(url)
        while error is not None and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
            error = _ping(url)
        if error is not None:
            _unavailable(f"a local redis-server did not start on port {port}: {error}")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


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
