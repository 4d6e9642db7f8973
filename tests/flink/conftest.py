"""A real local Flink 2.3 cluster, started once per test session, and a Java job compiled at test time.

The cluster binds 127.0.0.1 only, on free ports, with the fast heartbeat profile; it is stopped and its
directory deleted at the end of the session. The Java job is compiled with ``javac`` against the
distribution's ``lib/`` jars (no Maven): ``msflocal.CountingJob``, its entry class in the manifest.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from runtime_adapter.flink.adapter import FlinkRuntimeAdapter
from runtime_adapter.flink.cluster import LocalFlinkCluster
from runtime_adapter.flink.config import ClusterConfig
from runtime_adapter.flink.distribution import flink_home
from runtime_adapter.flink.launcher import Launcher
from tests.conftest import free_port
from tests.flink.fake_flink import FakeFlink

JOB_SOURCES = Path(__file__).parent / "jobs"
ENTRY_CLASS = "msflocal.CountingJob"


@pytest.fixture(scope="session", autouse=True)
def launcher_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """msf-local's compiled launcher goes to a session directory, not ``~/.cache``."""
    previous = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield
    if previous is None:
        os.environ.pop("XDG_CACHE_HOME", None)
    else:
        os.environ["XDG_CACHE_HOME"] = previous


@contextlib.contextmanager
def local_cluster() -> Iterator[LocalFlinkCluster]:
    """A local cluster (one TaskManager, up to two), stopped and removed on exit."""
    directory = Path(tempfile.mkdtemp(prefix="msf-flink-"))
    config = ClusterConfig(
        data_dir=directory, rest_port=free_port(), rpc_port=free_port(), task_managers=1, max_task_managers=2
    )
    cluster = LocalFlinkCluster(config)
    try:
        cluster.start(timeout_s=240)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="package")
def flink_cluster() -> Iterator[LocalFlinkCluster]:
    """One local cluster for tests/flink, stopped when they end (it would load the runtime tests after it)."""
    with local_cluster() as cluster:
        yield cluster


@pytest.fixture
def fake() -> Iterator[FakeFlink]:
    """The scriptable fake Flink REST server, stopped at the end of the test."""
    server = FakeFlink()
    yield server
    server.stop()


@pytest.fixture
def adapter(fake: FakeFlink, tmp_path: Path) -> Iterator[FlinkRuntimeAdapter]:
    """A Flink adapter talking to ``fake``."""
    runtime = FlinkRuntimeAdapter(fake.url, tmp_path / "state")
    yield runtime
    runtime.close()


@pytest.fixture(scope="session")
def counting_jar(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``counting-job.jar`` built from ``jobs/msflocal/CountingJob.java``."""
    build = tmp_path_factory.mktemp("java")
    classes = build / "classes"
    sources = sorted(str(path) for path in JOB_SOURCES.rglob("*.java"))
    classpath = f"{flink_home() / 'lib'}/*"
    subprocess.run(["javac", "-d", str(classes), "-cp", classpath, *sources], check=True, timeout=240)
    jar = build / "counting-job.jar"
    manifest = f"Manifest-Version: 1.0\nMain-Class: {ENTRY_CLASS}\n\n"
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", manifest)
        for path in sorted(classes.rglob("*.class")):
            archive.write(path, path.relative_to(classes).as_posix())
    return jar


@pytest.fixture(scope="session")
def flink_launcher(tmp_path_factory: pytest.TempPathFactory) -> Launcher:
    """msf-local's launcher, compiled once for the session."""
    launcher = Launcher(flink_home(), tmp_path_factory.mktemp("launcher"))
    assert launcher.available()
    return launcher
