"""Helpers for runtime tests: a fake clock, a supervised-run fixture and output readers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from stream_runtime import serde
from stream_runtime.config import RuntimeOverrides
from stream_runtime.engine.control import InProcessControlChannel, Message
from stream_runtime.engine.executor import JobExecutionResult
from stream_runtime.environment import StreamExecutionEnvironment
from stream_runtime.process.launch import LaunchOptions, launch_options
from stream_runtime.process.model import JobProcessSpec
from stream_runtime.process.supervisor import Supervisor
from stream_runtime.restart import RestartStrategy
from stream_runtime.state.backends import KeyedBackendContext, StateBackend
from stream_runtime.state.incremental import bind_restore_storage
from stream_runtime.state.keygroups import KeyGroupAssigner, KeyGroupRange
from stream_runtime.storage.base import CheckpointStorage
from stream_runtime.storage.layout import METADATA_FILE
from stream_runtime.storage.local import LocalCheckpointStorage
from stream_runtime.storage.metadata import CheckpointMetadata

JOBS = Path(__file__).parent / "jobs"


class FakeClock:
    """A clock that only moves when the supervisor 'sleeps'."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


SupervisorFactory = Callable[..., Supervisor]


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def supervised(tmp_path: Path, fake_clock: FakeClock) -> SupervisorFactory:
    """Build a supervisor for a job file under tests/runtime/jobs with a fake clock and logs in tmp_path."""

    def build(
        job: str,
        *,
        env: dict[str, str] | None = None,
        overrides: RuntimeOverrides | None = None,
        restart_strategy: RestartStrategy | None = None,
        job_id: str = "job",
    ) -> Supervisor:
        spec = JobProcessSpec(
            job_file=str(JOBS / job),
            job_id=job_id,
            checkpoint_dir=str(tmp_path / "checkpoints"),
            overrides=overrides or RuntimeOverrides(),
            env={"OUT_DIR": str(tmp_path / "out"), "WORK_DIR": str(tmp_path), **(env or {})},
        )
        return Supervisor(
            spec,
            restart_strategy=restart_strategy,
            clock=fake_clock.time,
            sleeper=fake_clock.sleep,
            log_dir=str(tmp_path / "logs"),
        )

    return build


def read_logs(tmp_path: Path) -> str:
    """All job-process logs of a test, attempt by attempt."""
    folder = tmp_path / "logs"
    if not folder.is_dir():
        return ""
    return "\n".join((folder / name).read_text() for name in sorted(os.listdir(folder)))


def wait_until(predicate: Callable[[], object], timeout: float, what: str) -> None:
    """Poll ``predicate`` until it is truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """A moto server on a free loopback port, started as a subprocess for the whole session (real HTTP)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # moto's server with Kinesis resharding as msf-local's gateway serves it (app/moto_state/kinesis.py)
    server = [sys.executable, "-m", "app.moto_state.kinesis", "-H", "127.0.0.1", "-p", str(port)]
    process = subprocess.Popen(server, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                return True
        except (urllib.error.URLError, OSError):
            return process.poll() is not None

    try:
        deadline = time.monotonic() + 30
        while not answers():
            if time.monotonic() > deadline:
                pytest.fail("moto_server did not start within 30 s")
            time.sleep(0.05)
        if process.poll() is not None:
            pytest.fail(f"moto_server exited with {process.returncode}")
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def kinesis_env(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Environment for boto3 in the test and in job processes: the moto server, fake credentials."""
    env = {**MOTO_ENV, "AWS_DEFAULT_REGION": MOTO_ENV["AWS_REGION"], "AWS_ENDPOINT_URL": moto_endpoint}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


def create_kinesis_stream(prefix: str, shards: int) -> str:
    """Create a Kinesis stream ``<prefix>-<random>`` with ``shards`` shards and wait until it is active."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    client = boto3.client("kinesis")
    client.create_stream(StreamName=name, ShardCount=shards)
    wait_until(
        lambda: (
            client.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamStatus"]
            == "ACTIVE"
        ),
        30,
        "the stream to become active",
    )
    return name


@pytest.fixture
def s3_env(moto_endpoint: str) -> dict[str, str]:
    """Environment that points boto3 (in the test and in job processes) at the moto server."""
    return {**MOTO_ENV, "AWS_ENDPOINT_URL": moto_endpoint}


@pytest.fixture
def s3_bucket(s3_env: dict[str, str], request: pytest.FixtureRequest) -> str:
    """A fresh bucket on the moto server, named after the test."""
    from stream_runtime.storage.s3 import make_s3_client

    readable = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:40].strip("-")
    name = f"t-{readable}-{uuid.uuid4().hex[:8]}"
    make_s3_client(s3_env).create_bucket(Bucket=name)
    return name


class InProcessJob:
    """Runs ``env.execute()`` on a thread of the test process, commanded through an in-process channel."""

    def __init__(self, env: StreamExecutionEnvironment, options: LaunchOptions) -> None:
        self.env = env
        self.channel = InProcessControlChannel()
        self.logs: list[str] = []
        options.channel = self.channel
        options.log = self.logs.append
        self.options = options
        self.result: JobExecutionResult | None = None
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="in-process-job", daemon=True)

    def _run(self) -> None:
        try:
            with launch_options(self.options):
                self.result = self.env.execute("in-process")
        except BaseException as exc:  # reported to the test by join()
            self.error = exc

    def start(self) -> InProcessJob:
        """Start the job thread."""
        self._thread.start()
        return self

    def command(self, command: str, timeout: float = 30.0, **fields: object) -> Message:
        """Send a command and wait (bounded) for the job's response."""
        return self.channel.wait_response(self.channel.submit(command, **fields), timeout)

    def join(self, timeout: float = 30.0) -> JobExecutionResult:
        """Wait (bounded) for the job to end; re-raise its error."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            pytest.fail(f"in-process job still running after {timeout} s")
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


def load_keyed_state(
    checkpoint: CheckpointStorage, uid: str, backend: StateBackend, parallelism: int
) -> dict[str, dict[Any, Any]]:
    """Keyed state of operator ``uid`` in a checkpoint or savepoint folder, restored through ``backend`` at
    ``parallelism`` subtasks and merged: ``{state name: {key: value}}``."""
    metadata = CheckpointMetadata.from_bytes(checkpoint.read(METADATA_FILE))
    entry = metadata.operators[uid]
    parts = []
    for name in entry["files"]:
        header, *chunks = serde.loads_stream(checkpoint.read(name))
        parts.append((tuple(header["key_group_range"]), bind_restore_storage(chunks, checkpoint)))
    merged: dict[str, dict[Any, Any]] = {}
    scratch = LocalCheckpointStorage(tempfile.mkdtemp(prefix="verify-"))
    assigner = KeyGroupAssigner(entry["max_parallelism"], parallelism)
    for index in range(parallelism):
        key_range = KeyGroupRange.for_subtask(entry["max_parallelism"], parallelism, index)
        keyed = backend.create_keyed_backend(
            assigner, key_range, KeyedBackendContext(uid, index, "verify", scratch, False)
        )
        keyed.restore(parts)  # type: ignore[arg-type]
        for name, table in keyed.copy_for_savepoint()["tables"].items():
            merged.setdefault(name, {}).update(table.items())
    return merged
