"""Spark for the tests: a local session and a real standalone cluster on loopback.

Loaded as a pytest plugin by the repository's root ``conftest.py``, so its fixtures serve
``tests/`` and the doctests of ``dedup/spark*.py`` alike:

- ``spark_local``: the test process's ``SparkSession`` on ``local[2]`` (1 GiB driver, no web
  UI, four shuffle partitions); the doctests of the Spark modules see it as ``spark``.
- ``spark_cluster``: the ``spark://127.0.0.1:PORT`` URL of a standalone master with two
  workers (one core, 1 GiB each) for the test session, started from pyspark's own
  ``bin/spark-class`` on free loopback ports, each in its own process group, with logs and
  scratch space in a temporary directory; all of it is killed and removed afterwards, also
  when a test or the start fails. A CLI test can pass it as ``--master`` to a subprocess.
- ``spark_on_cluster``: the test process's ``SparkSession`` on that cluster, one executor
  (a JVM forked by its worker, with Python workers of this interpreter) on each worker, so
  the work crosses process boundaries.

A process holds one SparkContext at a time: ``spark_local`` and ``spark_on_cluster`` stop
the other's context when they start (the driver's JVM stays up, so a switch costs a second
or two).

Without pyspark or Java these fixtures skip, with the reason; with ``DEDUP_REQUIRE_SPARK=1``
or ``CI`` set they fail instead, so CI never skips them silently (``.ci/run`` installs both).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

START_TIMEOUT = 120.0  # seconds for the master and both workers (JVM start on a busy 2-core machine)
WORKERS = 2

# Test JVMs do little work each: the client compiler alone and the serial collector start
# them faster and leave more of the two cores to the work (about 40 % off the tests' time).
TEST_JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"

SESSION_CONF = {
    "spark.driver.memory": "1g",
    "spark.driver.extraJavaOptions": TEST_JVM_OPTIONS,
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
}
"""Spark settings of every test session."""

CLUSTER_CONF = {
    "spark.executor.memory": "512m",
    "spark.executor.extraJavaOptions": TEST_JVM_OPTIONS,
    "spark.executor.cores": "1",
    "spark.cores.max": str(WORKERS),
    # The first job waits until an executor runs on each worker, so every test's work is spread.
    "spark.scheduler.minRegisteredResourcesRatio": "1.0",
    "spark.scheduler.maxRegisteredResourcesWaitingTime": f"{START_TIMEOUT:.0f}s",
}
"""Spark settings of a session on the standalone cluster, besides ``SESSION_CONF``: one executor per worker."""


def _required() -> bool:
    return os.environ.get("DEDUP_REQUIRE_SPARK") == "1" or bool(os.environ.get("CI"))


def _unavailable(reason: str) -> NoReturn:
    if _required():
        pytest.fail(f"Spark is required here (DEDUP_REQUIRE_SPARK/CI) but {reason}")
    pytest.skip(f"Spark is not available for these tests: {reason}")


def spark_home() -> Path:
    """pyspark's installation, which carries Spark's jars and ``bin/spark-class``; skips or fails without it."""
    try:
        import pyspark
    except ImportError:
        _unavailable("pyspark is not installed (pip install '.[spark]')")
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and shutil.which("java") is None:
        _unavailable("java is not on PATH and JAVA_HOME is unset (apt-get install default-jre-headless)")
    return Path(pyspark.__file__).parent


def spark_env(scratch: Path) -> dict[str, str]:
    """Environment for Spark processes: loopback only, scratch space under ``scratch``, this Python."""
    conf_dir = scratch / "conf"  # empty: no spark-env.sh or spark-defaults.conf from the machine
    conf_dir.mkdir(parents=True, exist_ok=True)
    local_dirs = scratch / "local"
    local_dirs.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.update(
        SPARK_HOME=str(spark_home()),
        SPARK_CONF_DIR=str(conf_dir),
        SPARK_LOCAL_IP="127.0.0.1",
        SPARK_LOCAL_HOSTNAME="127.0.0.1",
        SPARK_LOCAL_DIRS=str(local_dirs),
        PYSPARK_PYTHON=sys.executable,
        PYSPARK_DRIVER_PYTHON=sys.executable,
    )
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class _Daemon:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path


@dataclass
class StandaloneCluster:
    """A standalone Spark master and its workers on 127.0.0.1, started with :meth:`start`."""

    scratch: Path
    port: int = field(default_factory=_free_port)
    ui_port: int = field(default_factory=_free_port)
    daemons: list[_Daemon] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def _launch(self, name: str, *args: str) -> None:
        env = spark_env(self.scratch)
        env["SPARK_DAEMON_MEMORY"] = "512m"
        env["SPARK_DAEMON_JAVA_OPTS"] = TEST_JVM_OPTIONS
        env["SPARK_MASTER_OPTS"] = "-Dspark.master.rest.enabled=false"  # it would take port 6066
        log = self.scratch / f"{name}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [str(spark_home() / "bin" / "spark-class"), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group: stop() kills the JVM and the executors it forks
            )
        self.daemons.append(_Daemon(name, proc, log))

    def start(self) -> None:
        """Start the master, then the workers, and wait until every worker has registered."""
        deadline = time.monotonic() + START_TIMEOUT
        self._launch(
            "master",
            "org.apache.spark.deploy.master.Master",
            *("--host", "127.0.0.1", "--port", str(self.port), "--webui-port", str(self.ui_port)),
        )
        # A worker that finds no master retries only after 5 to 15 s: start them once it answers.
        self._wait(deadline, lambda: self._master_state() is not None, "the Spark master did not start")
        for i in range(WORKERS):
            work_dir = self.scratch / f"worker-{i}"
            work_dir.mkdir()
            self._launch(
                f"worker-{i}",
                "org.apache.spark.deploy.worker.Worker",
                *("--host", "127.0.0.1", "--webui-port", str(_free_port())),
                *("--cores", "1", "--memory", "1g", "--work-dir", str(work_dir)),
                self.url,
            )
        self._wait(deadline, lambda: self._alive_workers() == WORKERS, f"not all {WORKERS} workers registered")

    def _wait(self, deadline: float, done: Callable[[], bool], failure: str) -> None:
        while not done():
            dead = [d for d in self.daemons if d.proc.poll() is not None]
            if dead:
                self._fail(f"the Spark {dead[0].name} exited with status {dead[0].proc.returncode}")
            if time.monotonic() > deadline:
                self._fail(f"{failure} within {START_TIMEOUT:.0f} s ({self.url})")
            time.sleep(0.2)

    def _master_state(self) -> dict[str, Any] | None:
        """The master's state from its web UI's JSON, ``None`` while it does not answer."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=2) as response:
                state: dict[str, Any] = json.load(response)
        except (OSError, urllib.error.URLError, ValueError):
            return None
        return state

    def _alive_workers(self) -> int:
        state = self._master_state() or {}
        return sum(1 for worker in state.get("workers", []) if worker.get("state") == "ALIVE")

    def _fail(self, reason: str) -> NoReturn:
        logs = "\n".join(f"--- {d.name} ({d.log}):\n{_tail(d.log)}" for d in self.daemons)
        self.stop()
        _unavailable(f"{reason}\n{logs}")

    def stop(self) -> None:
        """Kill every daemon's process group (SIGTERM, then SIGKILL after 10 s)."""
        for daemon in reversed(self.daemons):
            _kill_group(daemon.proc, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for daemon in reversed(self.daemons):
            with contextlib.suppress(subprocess.TimeoutExpired):
                daemon.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            _kill_group(daemon.proc, signal.SIGKILL)  # also executors that outlived their worker
            daemon.proc.wait()
        self.daemons.clear()


def _kill_group(proc: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)  # start_new_session=True: the group id is the daemon's pid


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


def session(master: str, scratch: Path, conf: dict[str, str] | None = None) -> SparkSession:
    """The process's ``SparkSession`` on ``master``, after stopping one on another master.

    A process holds one SparkContext at a time, but its JVM outlives it: moving between
    ``local[2]`` and the cluster costs a new context (a second or two), not a new JVM.
    """
    os.environ.update({k: v for k, v in spark_env(scratch).items() if k.startswith(("SPARK_", "PYSPARK_"))})
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        if active.sparkContext.master == master:
            return active
        active.stop()
    builder = SparkSession.builder.master(master).appName("dedup-tests")
    for key, value in {**SESSION_CONF, **(conf or {})}.items():
        builder = builder.config(key, value)
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM did not start (Java missing or broken) or the master is unreachable
        _unavailable(f"a SparkSession on {master} did not start: {exc}")


@pytest.fixture(scope="session", name="_spark_scratch")
def _spark_scratch_fixture() -> Iterator[Path]:
    """Scratch space of the test process's Spark driver; its session is stopped at the end."""
    spark_home()  # skip or fail before anything else
    scratch = Path(tempfile.mkdtemp(prefix="dedup-spark-"))
    try:
        yield scratch
    finally:
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(name="spark_local")
def spark_local_fixture(_spark_scratch: Path) -> SparkSession:
    """The test process's ``SparkSession`` on ``local[2]`` (started once, or again after a cluster test)."""
    return session("local[2]", _spark_scratch)


@pytest.fixture(scope="session", name="spark_cluster")
def spark_cluster_fixture(_spark_scratch: Path) -> Iterator[str]:
    """``spark://127.0.0.1:PORT`` of a standalone master with two registered workers, stopped afterwards."""
    scratch = Path(tempfile.mkdtemp(prefix="dedup-spark-cluster-"))
    cluster = StandaloneCluster(scratch)
    try:
        cluster.start()
        yield cluster.url
    finally:
        cluster.stop()
        shutil.rmtree(scratch, ignore_errors=True)


@pytest.fixture(name="spark_on_cluster")
def spark_on_cluster_fixture(spark_cluster: str, _spark_scratch: Path) -> Iterator[SparkSession]:
    """The test process's ``SparkSession`` on the standalone cluster, one executor on each worker."""
    on_cluster = session(spark_cluster, _spark_scratch, CLUSTER_CONF)
    try:
        yield on_cluster
    finally:
        on_cluster.stop()  # the next spark_local starts a local context again


@pytest.fixture(autouse=True)
def _spark_for_doctests(request: pytest.FixtureRequest, doctest_namespace: dict[str, object]) -> None:
    """The doctests of ``dedup.spark*`` modules find the ``spark_local`` session as ``spark``."""
    if isinstance(request.node, pytest.DoctestItem) and request.node.name.startswith("dedup.spark"):
        doctest_namespace["spark"] = request.getfixturevalue("spark_local")
