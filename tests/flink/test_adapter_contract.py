"""The RuntimeAdapter contract, run against every implementation (fake, embedded, flink): no drift.

Each implementation runs an unbounded counting job of its own kind: the fake's in-memory job, a
``stream_runtime`` Python job, and the Java ``CountingJob`` on the session's real Flink cluster.
Waits are bounded polls; nothing sleeps for behaviour.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TypeVar

import pytest

from runtime_adapter.base import (
    CheckpointSettings,
    CodeLanguage,
    DisposeOutcome,
    DisposeResult,
    JobCode,
    JobSpec,
    JobState,
    RestorePoint,
    RuntimeAdapter,
    SavepointRequest,
    SavepointState,
    SavepointStatus,
    StartResult,
    StopMode,
    StopResult,
    TriggerResult,
)
from runtime_adapter.embedded import EmbeddedRuntimeAdapter
from runtime_adapter.fake import FakeRuntimeAdapter
from runtime_adapter.flink.adapter import FlinkRuntimeAdapter

T = TypeVar("T")

pytestmark = pytest.mark.flink_jvm  # its "flink" runtime is a real local cluster

EMBEDDED_JOB = """
from stream_runtime import DiscardingSink, StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
env.from_sequence(0, None, records_per_second=200).uid("numbers").map(lambda n: n).uid("id").add_sink(
    DiscardingSink()
)
env.execute("numbers")
"""


@dataclass
class Runtime:
    """One implementation under test: its adapter and how to describe a long-running job for it."""

    adapter: RuntimeAdapter
    code: JobCode
    root: Path
    program_args: tuple[str, ...] = ()
    started: list[str] = field(default_factory=list)

    def spec(self, restore: RestorePoint | None = None, parallelism: int = 1) -> JobSpec:
        job_id = uuid.uuid4().hex
        self.started.append(job_id)
        return JobSpec(
            job_id=job_id,
            name="contract",
            code=self.code,
            parallelism=parallelism,
            checkpoints=CheckpointSettings(enabled=True, interval_ms=500, min_pause_ms=100),
            restore=restore,
            checkpoint_dir=str(self.root / "checkpoints"),
            program_args=self.program_args,
        )

    def savepoint_dir(self) -> str:
        return str(self.root / "savepoints")


def eventually(read: Callable[[], T], done: Callable[[T], bool], timeout: float = 120.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = read()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def settled(runtime: Runtime, job_id: str, trigger_id: str) -> SavepointStatus:
    return eventually(
        lambda: runtime.adapter.savepoint_status(job_id, trigger_id),
        lambda s: s.state not in (SavepointState.IN_PROGRESS, SavepointState.UNKNOWN),
    )


def running(runtime: Runtime, spec: JobSpec) -> None:
    assert runtime.adapter.start(spec).result is StartResult.STARTED
    status = eventually(lambda: runtime.adapter.status(spec.job_id), lambda s: s.state is JobState.RUNNING)
    assert status.state is JobState.RUNNING, status


@pytest.fixture(params=["fake", "embedded", "flink"])
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    if request.param == "fake":
        fake = FakeRuntimeAdapter()
        yield Runtime(fake, JobCode(root=tmp_path), tmp_path)
        return
    if request.param == "embedded":
        (tmp_path / "code").mkdir()
        (tmp_path / "code" / "main.py").write_text(EMBEDDED_JOB)
        embedded = EmbeddedRuntimeAdapter(tmp_path / "runtime", cancel_timeout_s=10)
        yield Runtime(embedded, JobCode(root=tmp_path / "code"), tmp_path)
        embedded.close()
        return
    cluster = request.getfixturevalue("flink_cluster")
    jar = request.getfixturevalue("counting_jar")
    (tmp_path / "code").mkdir()
    shutil.copy(jar, tmp_path / "code" / "job.jar")
    launcher = request.getfixturevalue("flink_launcher")
    flink = FlinkRuntimeAdapter(
        cluster.rest_url, tmp_path / "state", launcher=launcher, slots=cluster.ensure_slots
    )
    code = JobCode(root=tmp_path / "code", entry="job.jar", language=CodeLanguage.JAR)
    runtime = Runtime(flink, code, tmp_path, ("200", "10", "100", str(tmp_path / "out")))
    yield runtime
    for job_id in runtime.started:
        flink.stop(job_id, StopMode.FORCE)
    for job_id in runtime.started:
        eventually(partial(flink.status, job_id), lambda s: s.state is not JobState.STOPPING, 30)
    flink.close()


def test_start_is_idempotent_per_job_id_and_reaches_running(runtime: Runtime) -> None:
    spec = runtime.spec()

    running(runtime, spec)

    assert runtime.adapter.start(spec).result is StartResult.ALREADY_EXISTS


def test_unknown_jobs_are_not_found(runtime: Runtime) -> None:
    job_id = uuid.uuid4().hex

    assert runtime.adapter.status(job_id).state is JobState.NOT_FOUND
    assert runtime.adapter.stop(job_id, StopMode.CANCEL).result is StopResult.NOT_FOUND
    request = SavepointRequest(uuid.uuid4().hex, runtime.savepoint_dir())
    assert runtime.adapter.trigger_savepoint(job_id, request).result is TriggerResult.NOT_RUNNING
    assert runtime.adapter.savepoint_status(job_id, request.trigger_id).state is SavepointState.UNKNOWN
    assert not runtime.adapter.checkpoint_stats(job_id).found


def test_a_savepoint_trigger_is_idempotent_and_the_job_keeps_running(runtime: Runtime) -> None:
    spec = runtime.spec()
    running(runtime, spec)
    request = SavepointRequest("snapshot-1", runtime.savepoint_dir())

    first = runtime.adapter.trigger_savepoint(spec.job_id, request)
    second = runtime.adapter.trigger_savepoint(spec.job_id, request)
    savepoint = settled(runtime, spec.job_id, "snapshot-1")

    assert (first.result, second.result) == (TriggerResult.ACCEPTED, TriggerResult.ACCEPTED)
    assert savepoint.state is SavepointState.COMPLETED and savepoint.location
    assert runtime.adapter.status(spec.job_id).state is JobState.RUNNING


def test_stop_with_savepoint_finishes_and_a_new_job_restores_from_it(runtime: Runtime) -> None:
    spec = runtime.spec()
    running(runtime, spec)
    trigger = uuid.uuid4().hex

    stop = runtime.adapter.stop(
        spec.job_id, StopMode.SAVEPOINT, SavepointRequest(trigger, runtime.savepoint_dir())
    )
    savepoint = settled(runtime, spec.job_id, trigger)
    final = eventually(lambda: runtime.adapter.status(spec.job_id), lambda s: s.state.is_terminal)

    assert stop.result is StopResult.ACCEPTED and stop.trigger_id == trigger
    assert savepoint.state is SavepointState.COMPLETED and savepoint.location
    assert final.state is JobState.FINISHED
    assert runtime.adapter.stop(spec.job_id, StopMode.CANCEL).result is StopResult.NOT_RUNNING

    restored = runtime.spec(RestorePoint(savepoint.location))
    running(runtime, restored)
    assert runtime.adapter.status(restored.job_id).restored_from == savepoint.location


def test_cancel_ends_the_job_canceled(runtime: Runtime) -> None:
    spec = runtime.spec()
    running(runtime, spec)

    assert runtime.adapter.stop(spec.job_id, StopMode.CANCEL).result is StopResult.ACCEPTED
    final = eventually(lambda: runtime.adapter.status(spec.job_id), lambda s: s.state.is_terminal)

    assert final.state is JobState.CANCELED


def test_restoring_from_a_missing_savepoint_fails_naming_it(runtime: Runtime) -> None:
    missing = f"file:{runtime.root}/savepoints/savepoint-000000-missing"
    spec = runtime.spec(RestorePoint(missing))

    outcome = runtime.adapter.start(spec)
    if outcome.result is StartResult.REJECTED:
        error = outcome.error
    else:
        status = eventually(lambda: runtime.adapter.status(spec.job_id), lambda s: s.state.is_terminal, 30)
        assert status.state is JobState.FAILED
        error = status.error

    assert error is not None and "savepoint-000000-missing" in error


def test_a_disposed_savepoint_is_gone(runtime: Runtime) -> None:
    spec = runtime.spec()
    running(runtime, spec)
    trigger = uuid.uuid4().hex
    runtime.adapter.trigger_savepoint(spec.job_id, SavepointRequest(trigger, runtime.savepoint_dir()))
    location = settled(runtime, spec.job_id, trigger).location
    assert location is not None

    def dispose() -> DisposeOutcome:
        return runtime.adapter.dispose_savepoint(location)

    assert (
        eventually(dispose, lambda o: o.result is not DisposeResult.IN_PROGRESS).result
        is DisposeResult.DISPOSED
    )
    assert dispose().result is DisposeResult.NOT_FOUND
