"""Shared fixtures: live msf-local servers on free ports, boto3 clients for them, and the databases
behind them. Every test that starts a server runs twice: on SQLite and on a real PostgreSQL 15
server that this session starts (initdb/pg_ctl) and stops itself; each test gets a fresh database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import psycopg
import pytest
import uvicorn
from botocore.config import Config

from app.main import create_app
from app.settings import Settings

POSTGRES_BIN = Path(os.environ.get("MSF_TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
BACKENDS = ("sqlite", "postgresql")


FLINK_JVM_MARK = "flink_jvm"
JVM_FIXTURES = {"flink_cluster", "counting_jar", "flink_launcher"}


def starts_flink_jvms(path: Path) -> bool:
    """Whether the test file at ``path`` declares ``pytestmark = pytest.mark.flink_jvm``: its tests start
    Flink or Java processes (a cluster, javac, a PyFlink mini cluster)."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError:
        return False
    return f"pytest.mark.{FLINK_JVM_MARK}" in source


def scheduling_scope(nodeid: str, root: Path) -> str:
    """The unit ``make test`` hands to one worker: a test file whole, so its module fixtures start once,
    except that every file whose tests start Flink JVMs shares the one scope ``flink-jvm``, so two Flink
    clusters never compete for the machine's two cores (files that only talk to the fake Flink server
    are ordinary files)."""
    path = nodeid.split("::", 1)[0]
    return FLINK_JVM_MARK if starts_flink_jvms(root / path) else path


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """How ``pytest -n 2`` (``make test``) shares tests out, by :func:`scheduling_scope` (pytest-xdist's own
    ``--dist loadgroup`` does not group under pytest 9, which renamed the test-id field it rewrites)."""
    from xdist.scheduler import LoadScopeScheduling

    root = Path(str(config.rootpath))
    scopes: dict[str, str] = {}

    class FileOrFlinkJvm(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            if path not in scopes:
                scopes[path] = scheduling_scope(path, root)
            return scopes[path]

    return FileOrFlinkJvm(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test that uses a Flink JVM fixture must be in a file marked ``flink_jvm``, or ``make test`` could
    run two Flink clusters at once."""
    unmarked = sorted(
        {
            item.nodeid.split("::", 1)[0]
            for item in items
            if JVM_FIXTURES & set(getattr(item, "fixturenames", ()))
            and item.get_closest_marker(FLINK_JVM_MARK) is None
        }
    )
    if unmarked:
        mark = f"pytestmark = pytest.mark.{FLINK_JVM_MARK}"
        raise pytest.UsageError(f"these files use a Flink JVM fixture without `{mark}`: {unmarked}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def tmp_path(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """pytest's directory for this test, which jobs may write into as they would into ``/tmp``: a server
    that runs as root runs its jobs as ``nobody`` (docs/security.md, "Job sandbox"), and pytest makes its
    directories root-only. pytest's own directories above it become passable (not listable) and it becomes
    sticky and writable by all."""
    if os.geteuid() == 0:
        base = tmp_path_factory.getbasetemp()
        passable = [base, *[parent for parent in tmp_path.parents if base in parent.parents]]
        if base.parent.name.startswith("pytest-of-"):
            passable.append(base.parent)
        for directory in passable:
            directory.chmod(directory.stat().st_mode | 0o111)
        tmp_path.chmod(0o1777)
    return tmp_path


@dataclass
class LiveServer:
    """A running msf-local: its URL and settings."""

    url: str
    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread

    def client(
        self,
        service: str = "kinesisanalyticsv2",
        *,
        access_key: str = "AKIDEXAMPLE",
        region: str = "us-east-1",
        secret_key: str = "secret",
    ) -> Any:
        return aws_client(self.url, service, access_key=access_key, region=region, secret_key=secret_key)


def aws_client(
    url: str,
    service: str = "kinesisanalyticsv2",
    *,
    access_key: str = "AKIDEXAMPLE",
    region: str = "us-east-1",
    secret_key: str = "secret",
) -> Any:
    """A boto3 client for ``service`` at ``url`` that never retries (a test sees every answer)."""
    return boto3.client(
        service,
        endpoint_url=url,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(retries={"max_attempts": 1}),
    )


def start_server(settings: Settings) -> LiveServer:
    """Start ``create_app(settings)`` under uvicorn in a thread; bounded wait for readiness."""
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=settings.port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("msf-local did not start")
        time.sleep(0.02)
    return LiveServer(
        url=f"http://127.0.0.1:{settings.port}", settings=settings, server=server, thread=thread
    )


def stop_server(live: LiveServer) -> None:
    """Ask the server to exit and wait (bounded) until its lifespan has released the database."""
    live.server.should_exit = True
    live.thread.join(timeout=30)


def eventually(read: Callable[[], Any], wanted: Any, timeout: float = 60.0, interval: float = 0.05) -> Any:
    """Poll ``read`` every ``interval`` seconds until it returns ``wanted`` (bounded); the last value read."""
    deadline = time.monotonic() + timeout
    value = read()
    while value != wanted and time.monotonic() < deadline:
        time.sleep(interval)
        value = read()
    return value


# ---------------------------------------------------------------- PostgreSQL


@dataclass
class PostgresServer:
    """A throw-away PostgreSQL cluster listening on 127.0.0.1:``port`` (trust authentication)."""

    directory: Path
    port: int

    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def sqlalchemy_url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        name = f"msf_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.admin_url(), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.admin_url(), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the ``postgres`` user when we are root."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str]) -> None:
    result = subprocess.run(
        _as_postgres_user(command), capture_output=True, text=True, timeout=120, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Start a PostgreSQL 15 cluster for the session; fails loudly if the binaries are missing."""
    initdb, pg_ctl = POSTGRES_BIN / "initdb", POSTGRES_BIN / "pg_ctl"
    if not (initdb.is_file() and pg_ctl.is_file()):
        pytest.fail(
            f"PostgreSQL binaries not found in {POSTGRES_BIN} (set MSF_TEST_POSTGRES_BIN)", pytrace=False
        )
    directory = Path(tempfile.mkdtemp(prefix="msf-pg-"))
    if os.geteuid() == 0:
        shutil.chown(directory, "postgres", "postgres")
    data, log = directory / "data", directory / "server.log"
    port = free_port()
    _run(
        [
            str(initdb),
            "-D",
            str(data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ]
    )
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    _run([str(pg_ctl), "-D", str(data), "-l", str(log), "-o", options, "-w", "-t", "60", "start"])
    try:
        yield PostgresServer(directory=directory, port=port)
    finally:
        _run([str(pg_ctl), "-D", str(data), "-m", "fast", "-w", "-t", "60", "stop"])
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database behind the servers of this test: ``sqlite`` or ``postgresql``."""
    name: str = request.param
    return name


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh database for this test: a SQLite file in ``tmp_path`` or a new PostgreSQL database."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'msf-local.db'}"
        return
    postgres: PostgresServer = request.getfixturevalue("postgres_server")
    name = postgres.create_database()
    try:
        yield postgres.sqlalchemy_url(name)
    finally:
        postgres.drop_database(name)


# ---------------------------------------------------------------- live servers


@pytest.fixture
def make_server(tmp_path: Path, database_url: str) -> Iterator[Any]:
    """Factory for live servers with extra settings; all are stopped at teardown.

    Servers made in one test share the test's database (a second server sees what the first stored,
    as after a restart); each has its own data directory.
    """
    started: list[LiveServer] = []

    def make(**overrides: Any) -> LiveServer:
        values: dict[str, Any] = {
            "data_dir": tmp_path / f"data{len(started)}",
            "port": free_port(),
            "database_url": database_url,
        }
        values.update(overrides)
        live = start_server(Settings(**values))
        started.append(live)
        return live

    yield make
    for live in started:
        stop_server(live)


@pytest.fixture
def live_server(make_server: Any) -> LiveServer:
    server: LiveServer = make_server()
    return server


@pytest.fixture
def kav2(live_server: LiveServer) -> Any:
    """A boto3 kinesisanalyticsv2 client for the live server."""
    return live_server.client()
