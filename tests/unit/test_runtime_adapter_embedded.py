"""The embedded adapter drives real stream_runtime job processes (bounded polling, no fixed sleeps)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from runtime_adapter.base import (
    CheckpointSettings,
    DisposeResult,
    JobCode,
    JobSpec,
    JobState,
    JobStatus,
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
from stream_runtime.storage.layout import STATS_FILE

UNBOUNDED_JOB = """
from stream_runtime import DiscardingSink, StreamExecutionEnvironment
from stream_runtime.properties import get_application_properties

env = StreamExecutionEnvironment.get_execution_environment()
rate = float(get_application_properties().get("Job", {}).get("rate", "500"))
env.from_sequence(0, None, records_per_second=rate).uid("numbers").map(lambda n: n).uid("id").add_sink(
    DiscardingSink()
)
env.execute("numbers")
"""


def wait_for(check: Callable[[], JobStatus], wanted: set[JobState], timeout: float = 60.0) -> JobStatus:
    deadline = time.monotonic() + timeout
    while True:
        status = check()
        if status.state in wanted or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


@pytest.fixture
def adapter(tmp_path: Path) -> Iterator[EmbeddedRuntimeAdapter]:
    runtime = EmbeddedRuntimeAdapter(tmp_path / "runtime", cancel_timeout_s=10)
    yield runtime
    runtime.close()


def job(tmp_path: Path, source: str, job_id: str = "job-1") -> JobSpec:
    code = tmp_path / "code" / job_id
    code.mkdir(parents=True)
    (code / "main.py").write_text(source)
    properties = tmp_path / "application_properties.json"
    properties.write_text('[{"PropertyGroupId": "Job", "PropertyMap": {"rate": "500"}}]')
    return JobSpec(
        job_id=job_id,
        name="app",
        code=JobCode(root=code),
        checkpoints=CheckpointSettings(enabled=True, interval_ms=100, min_pause_ms=0),
        properties_file=properties,
        checkpoint_dir=str(tmp_path / "checkpoints"),
    )


def test_embedded_adapter_satisfies_the_protocol(tmp_path: Path) -> None:
    assert isinstance(EmbeddedRuntimeAdapter(tmp_path), RuntimeAdapter)


def test_a_job_runs_checkpoints_and_is_cancelled(adapter: EmbeddedRuntimeAdapter, tmp_path: Path) -> None:
    spec = job(tmp_path, UNBOUNDED_JOB)
    assert adapter.start(spec).result is StartResult.STARTED
    assert adapter.start(spec).result is StartResult.ALREADY_EXISTS
    running = wait_for(lambda: adapter.status("job-1"), {JobState.RUNNING, JobState.FAILED})
    assert running.state is JobState.RUNNING, running.error
    deadline = time.monotonic() + 30
    while adapter.checkpoint_stats("job-1").latest_completed is None and time.monotonic() < deadline:
        time.sleep(0.05)
    stats = adapter.checkpoint_stats("job-1")
    assert stats.completed >= 1 and stats.latest_completed is not None
    assert Path(stats.latest_completed.location).is_dir()
    assert adapter.stop("job-1", StopMode.CANCEL).result is StopResult.ACCEPTED
    ended = wait_for(lambda: adapter.status("job-1"), {JobState.CANCELED})
    assert ended.state is JobState.CANCELED
    assert adapter.stop("job-1", StopMode.CANCEL).result is StopResult.NOT_RUNNING


def wait_savepoint(adapter: EmbeddedRuntimeAdapter, job_id: str, trigger: str) -> SavepointStatus:
    deadline = time.monotonic() + 60
    status = adapter.savepoint_status(job_id, trigger)
    while status.state is SavepointState.IN_PROGRESS and time.monotonic() < deadline:
        time.sleep(0.05)
        status = adapter.savepoint_status(job_id, trigger)
    return status


def test_savepoints_stop_with_savepoint_and_restore(adapter: EmbeddedRuntimeAdapter, tmp_path: Path) -> None:
    adapter.start(job(tmp_path, UNBOUNDED_JOB))
    assert wait_for(lambda: adapter.status("job-1"), {JobState.RUNNING}).state is JobState.RUNNING
    target = str(tmp_path / "savepoints")
    trigger = adapter.trigger_savepoint("job-1", SavepointRequest("snap-1", target))
    assert trigger.result is TriggerResult.ACCEPTED
    assert (
        adapter.trigger_savepoint("job-1", SavepointRequest("snap-1", target)).result
        is TriggerResult.ACCEPTED
    )
    taken = wait_savepoint(adapter, "job-1", "snap-1")
    assert taken.state is SavepointState.COMPLETED and taken.location is not None
    assert adapter.status("job-1").state is JobState.RUNNING  # a triggered savepoint keeps the job running
    stop = adapter.stop("job-1", StopMode.SAVEPOINT, SavepointRequest("stop-1", target))
    assert (stop.result, stop.trigger_id) == (StopResult.ACCEPTED, "stop-1")
    final = wait_savepoint(adapter, "job-1", "stop-1")
    assert final.state is SavepointState.COMPLETED and final.location is not None
    assert wait_for(lambda: adapter.status("job-1"), {JobState.FINISHED}).state is JobState.FINISHED
    assert adapter.savepoint_status("job-1", "unknown").state is SavepointState.UNKNOWN
    restored = job(tmp_path, UNBOUNDED_JOB, job_id="job-2")
    adapter.start(replace(restored, parallelism=2, restore=RestorePoint(final.location)))
    running = wait_for(lambda: adapter.status("job-2"), {JobState.RUNNING, JobState.FAILED})
    assert (running.state, running.restored_from) == (JobState.RUNNING, final.location), running.error
    assert adapter.checkpoint_stats("job-2").restored == 1


def test_savepoint_of_a_job_that_is_not_running(adapter: EmbeddedRuntimeAdapter, tmp_path: Path) -> None:
    request = SavepointRequest("t", str(tmp_path / "savepoints"))
    assert adapter.trigger_savepoint("nope", request).result is TriggerResult.NOT_RUNNING
    adapter.start(job(tmp_path, "import no_such_module_anywhere\n"))
    assert wait_for(lambda: adapter.status("job-1"), {JobState.FAILED}).state is JobState.FAILED
    assert adapter.trigger_savepoint("job-1", request).result is TriggerResult.NOT_RUNNING
    assert adapter.stop("job-1", StopMode.SAVEPOINT, request).result is StopResult.NOT_RUNNING


def test_a_job_whose_code_fails_reports_the_error(adapter: EmbeddedRuntimeAdapter, tmp_path: Path) -> None:
    adapter.start(job(tmp_path, "import no_such_module_anywhere\n"))
    failed = wait_for(lambda: adapter.status("job-1"), {JobState.FAILED})
    assert failed.state is JobState.FAILED
    assert "no_such_module_anywhere" in (failed.error or "")


def test_unknown_jobs_and_missing_entry_files(adapter: EmbeddedRuntimeAdapter, tmp_path: Path) -> None:
    assert adapter.status("nope").state is JobState.NOT_FOUND
    assert adapter.stop("nope", StopMode.FORCE).result is StopResult.NOT_FOUND
    assert adapter.checkpoint_stats("nope").found is False
    spec = job(tmp_path, UNBOUNDED_JOB)
    (spec.code.root / "main.py").unlink()
    outcome = adapter.start(spec)
    assert outcome.result is StartResult.REJECTED and "main.py" in (outcome.error or "")


def test_close_ends_every_job(tmp_path: Path) -> None:
    adapter = EmbeddedRuntimeAdapter(tmp_path / "runtime")
    adapter.start(job(tmp_path, UNBOUNDED_JOB))
    assert wait_for(lambda: adapter.status("job-1"), {JobState.RUNNING}).state is JobState.RUNNING
    adapter.close()
    assert adapter.status("job-1").state is JobState.CANCELED


def test_dispose_savepoint_deletes_only_savepoint_directories(tmp_path: Path) -> None:
    adapter = EmbeddedRuntimeAdapter(tmp_path)
    savepoint = tmp_path / "savepoint-1"
    savepoint.mkdir()
    (savepoint / "_metadata").write_bytes(b"{}")
    other = tmp_path / "not-a-savepoint"
    other.mkdir()
    assert adapter.dispose_savepoint(str(other)).result is DisposeResult.FAILED and other.exists()
    assert adapter.dispose_savepoint(f"file://{savepoint}").result is DisposeResult.DISPOSED
    assert not savepoint.exists()
    assert adapter.dispose_savepoint(str(savepoint)).result is DisposeResult.NOT_FOUND


def test_checkpoints_of_a_job_from_a_previous_process_are_found(tmp_path: Path) -> None:
    first = EmbeddedRuntimeAdapter(tmp_path / "runtime")
    first.start(job(tmp_path, UNBOUNDED_JOB))
    assert wait_for(lambda: first.status("job-1"), {JobState.RUNNING}).state is JobState.RUNNING
    deadline = time.monotonic() + 30
    while first.checkpoint_stats("job-1").latest_completed is None and time.monotonic() < deadline:
        time.sleep(0.05)
    first.close()
    last = first.checkpoint_stats("job-1").latest_completed
    second = EmbeddedRuntimeAdapter(tmp_path / "runtime")  # a restarted control plane
    assert second.status("job-1").state is JobState.NOT_FOUND
    retained = second.checkpoint_stats("job-1")
    assert retained.found and retained.latest_completed is not None
    assert last is not None and retained.latest_completed.checkpoint_id >= last.checkpoint_id
    assert Path(retained.latest_completed.location).is_dir()
    assert second.checkpoint_stats("never-started").found is False

    # a job process killed right after a checkpoint's _metadata, before its statistics file caught up
    (tmp_path / "checkpoints" / "job-1" / STATS_FILE).write_text("[]")
    behind = EmbeddedRuntimeAdapter(tmp_path / "runtime").checkpoint_stats("job-1").latest_completed
    assert behind is not None
    assert (behind.checkpoint_id, behind.location) == (
        retained.latest_completed.checkpoint_id,
        retained.latest_completed.location,
    )
