"""Crash points of the embedded runtime: what survives a ``kill -9`` of a job or of its control plane.

The control plane is played by a real process running an ``EmbeddedRuntimeAdapter`` (``OWNER`` below), killed
with SIGKILL; the next adapter over the same root is the restarted control plane. Job processes are counted
in the process table. Waits are bounded polls, never fixed sleeps.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

import pytest

from runtime_adapter.base import (
    CheckpointSettings,
    DisposeResult,
    JobCode,
    JobDisposer,
    JobSpec,
    JobState,
    JobStatus,
    RestorePoint,
    SavepointRequest,
    SavepointState,
    SavepointStatus,
    StartResult,
    StopMode,
    StopResult,
)
from runtime_adapter.embedded import EmbeddedRuntimeAdapter
from stream_runtime.process.model import SavepointProgress
from stream_runtime.process.registry import JobRegistry, SavepointTrigger, process_is

T = TypeVar("T")
WAIT_S = 60.0

UNBOUNDED_JOB = """
from stream_runtime import DiscardingSink, StreamExecutionEnvironment

env = StreamExecutionEnvironment.get_execution_environment()
env.from_sequence(0, None, records_per_second=500).uid("numbers").key_by(lambda n: n % 4).map(
    lambda n: n
).uid("count").add_sink(DiscardingSink())
env.execute("numbers")
"""

OWNER = """
import json, sys, time
from pathlib import Path
from runtime_adapter.base import CheckpointSettings, JobCode, JobSpec, JobState, SavepointRequest
from runtime_adapter.embedded import EmbeddedRuntimeAdapter

root, code, checkpoints, savepoints = sys.argv[1:5]
adapter = EmbeddedRuntimeAdapter(Path(root))
adapter.start(JobSpec(job_id="job-1", name="app", code=JobCode(root=Path(code)),
    checkpoints=CheckpointSettings(enabled=True, interval_ms=100, min_pause_ms=0),
    checkpoint_dir=checkpoints))
deadline = time.monotonic() + 60
while time.monotonic() < deadline and (
    adapter.status("job-1").state is not JobState.RUNNING
    or adapter.checkpoint_stats("job-1").latest_completed is None
):
    time.sleep(0.05)
adapter.trigger_savepoint("job-1", SavepointRequest("snap-1", savepoints))
def taking():
    return adapter.savepoint_status("job-1", "snap-1").state.value == "IN_PROGRESS"
while time.monotonic() < deadline and taking():
    time.sleep(0.05)
print(json.dumps({"ready": adapter.savepoint_status("job-1", "snap-1").state.value}), flush=True)
time.sleep(600)
"""


def eventually(check: Callable[[], T], done: Callable[[T], bool], timeout: float = WAIT_S) -> T:
    deadline = time.monotonic() + timeout
    value = check()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = check()
    return value


def until(adapter: EmbeddedRuntimeAdapter, job_id: str, done: Callable[[JobStatus], bool]) -> JobStatus:
    return eventually(lambda: adapter.status(job_id), done)


def savepoint(adapter: EmbeddedRuntimeAdapter, job_id: str, trigger: str) -> SavepointStatus:
    """The savepoint's status once it is no longer IN_PROGRESS."""
    return eventually(
        lambda: adapter.savepoint_status(job_id, trigger), lambda s: s.state is not SavepointState.IN_PROGRESS
    )


def terminal(status: JobStatus) -> bool:
    return status.state.is_terminal


def job_processes(root: Path) -> list[int]:
    """Pids of live ``stream_runtime run`` processes whose checkpoints go under ``root``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if b"stream_runtime" in argv and str(root).encode() in b" ".join(argv) and state != "Z":
            found.append(int(entry.name))
    return found


def spec(tmp_path: Path, source: str = UNBOUNDED_JOB, job_id: str = "job-1") -> JobSpec:
    code = tmp_path / "code" / job_id
    code.mkdir(parents=True, exist_ok=True)
    (code / "main.py").write_text(source)
    return JobSpec(
        job_id=job_id,
        name="app",
        code=JobCode(root=code),
        checkpoints=CheckpointSettings(enabled=True, interval_ms=100, min_pause_ms=0),
        checkpoint_dir=str(tmp_path / "checkpoints"),
    )


@pytest.fixture
def adapters(tmp_path: Path) -> Iterator[list[EmbeddedRuntimeAdapter]]:
    made: list[EmbeddedRuntimeAdapter] = []
    yield made
    for adapter in made:
        adapter.close()


def new_adapter(tmp_path: Path, made: list[EmbeddedRuntimeAdapter]) -> EmbeddedRuntimeAdapter:
    adapter = EmbeddedRuntimeAdapter(tmp_path / "runtime", cancel_timeout_s=10)
    made.append(adapter)
    return adapter


@pytest.fixture
def killed_owner(tmp_path: Path) -> Iterator[Callable[[], int]]:
    """Run a control plane (adapter) process with one job and one completed savepoint, then ``kill -9`` it."""
    processes: list[subprocess.Popen[str]] = []

    def run() -> int:
        code = spec(tmp_path).code.root
        owner = subprocess.Popen(
            [
                sys.executable,
                "-c",
                OWNER,
                str(tmp_path / "runtime"),
                str(code),
                str(tmp_path / "checkpoints"),
                str(tmp_path / "savepoints"),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(owner)
        assert owner.stdout is not None
        assert json.loads(owner.stdout.readline()) == {"ready": "COMPLETED"}
        [job_pid] = job_processes(tmp_path)
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        return job_pid

    yield run
    for owner in processes:
        if owner.poll() is None:
            owner.kill()
            owner.wait(10)


def test_a_job_process_dies_with_its_killed_control_plane_and_the_next_one_takes_it_over(
    tmp_path: Path, adapters: list[EmbeddedRuntimeAdapter], killed_owner: Callable[[], int]
) -> None:
    old_pid = killed_owner()
    assert eventually(lambda: job_processes(tmp_path), lambda pids: not pids, 10) == []  # not orphaned
    adapter = new_adapter(tmp_path, adapters)
    assert adapter.start(spec(tmp_path)).result is StartResult.ALREADY_EXISTS  # a repeated start: no new job
    running = eventually(lambda: adapter.status("job-1"), lambda s: s.state is JobState.RUNNING)
    assert (running.state, running.restarts) == (JobState.RUNNING, 1), running.error
    assert job_processes(tmp_path) == [adapter.registry.load("job-1").pid]  # type: ignore[union-attr]
    assert old_pid not in job_processes(tmp_path)
    assert adapter.savepoint_status("job-1", "snap-1").state is SavepointState.COMPLETED
    stats = adapter.checkpoint_stats("job-1")
    assert stats.latest_completed is not None and stats.latest_savepoint is not None
    assert stats.latest_savepoint.location == adapter.savepoint_status("job-1", "snap-1").location


def test_a_savepoint_that_completed_while_the_control_plane_was_down_is_learnt(
    tmp_path: Path, adapters: list[EmbeddedRuntimeAdapter], killed_owner: Callable[[], int]
) -> None:
    killed_owner()
    registry = JobRegistry(tmp_path / "runtime" / "jobs")
    record = registry.load("job-1")
    assert record is not None
    completed = record.savepoints["snap-1"]
    location = completed.outcome.location
    # the state on disk of a crash between the savepoint's _metadata and its answer: still IN_PROGRESS,
    # plus a stop-with-savepoint that never got written
    lost = replace(completed.outcome, state=SavepointProgress.IN_PROGRESS, location=None)
    never = replace(lost, request_id="stop-1", stop=True)
    registry.save(
        replace(
            record,
            savepoints={
                "snap-1": SavepointTrigger(lost, completed.expected_location),
                "stop-1": SavepointTrigger(never, str(tmp_path / "savepoints" / "savepoint-job-1-nowhere")),
            },
        )
    )
    adapter = new_adapter(tmp_path, adapters)
    learnt = adapter.savepoint_status("job-1", "snap-1")
    assert (learnt.state, learnt.location) == (SavepointState.COMPLETED, location)
    # the stop cut short by the crash is forgotten, as a JobManager failover forgets it; asked again, it ends
    assert adapter.savepoint_status("job-1", "stop-1").state is SavepointState.UNKNOWN
    assert eventually(lambda: adapter.status("job-1"), lambda s: s.state is JobState.RUNNING).restarts == 1
    request = SavepointRequest("stop-1", str(tmp_path / "savepoints"))
    assert adapter.stop("job-1", StopMode.SAVEPOINT, request).result is StopResult.ACCEPTED
    assert savepoint(adapter, "job-1", "stop-1").state is SavepointState.COMPLETED
    assert until(adapter, "job-1", terminal).state is JobState.FINISHED


def test_a_stop_whose_savepoint_completed_but_whose_end_was_not_recorded_is_not_restarted(
    tmp_path: Path, adapters: list[EmbeddedRuntimeAdapter], killed_owner: Callable[[], int]
) -> None:
    killed_owner()
    registry = JobRegistry(tmp_path / "runtime" / "jobs")
    record = registry.load("job-1")
    assert record is not None and not record.state.is_terminal
    completed = record.savepoints["snap-1"]
    # the crash fell between the stop's savepoint (recorded COMPLETED) and the job's end (not recorded)
    stop = replace(completed, outcome=replace(completed.outcome, stop=True))
    registry.save(replace(record, savepoints={"snap-1": stop}))
    adapter = new_adapter(tmp_path, adapters)
    assert adapter.status("job-1").state is JobState.FINISHED  # it ended there: no new attempt
    assert job_processes(tmp_path) == []


def test_a_second_adapter_on_the_same_directory_never_starts_a_second_process(
    tmp_path: Path, adapters: list[EmbeddedRuntimeAdapter]
) -> None:
    first = new_adapter(tmp_path, adapters)
    assert first.start(spec(tmp_path)).result is StartResult.STARTED
    assert (
        eventually(lambda: first.status("job-1"), lambda s: s.state is JobState.RUNNING).state
        is JobState.RUNNING
    )
    second = new_adapter(tmp_path, adapters)
    assert second.start(spec(tmp_path)).result is StartResult.ALREADY_EXISTS
    assert second.status("job-1").state is JobState.RUNNING
    refused = second.stop("job-1", StopMode.FORCE)
    assert refused.result is StopResult.REJECTED and "another live process" in (refused.error or "")
    assert len(job_processes(tmp_path)) == 1


def test_a_killed_job_restarts_from_its_latest_checkpoint(
    tmp_path: Path, adapters: list[EmbeddedRuntimeAdapter]
) -> None:
    adapter = new_adapter(tmp_path, adapters)
    adapter.start(spec(tmp_path))
    eventually(lambda: adapter.checkpoint_stats("job-1").latest_completed, lambda latest: latest is not None)
    [pid] = job_processes(tmp_path)
    os.kill(pid, signal.SIGKILL)
    restarted = eventually(
        lambda: adapter.status("job-1"), lambda s: s.state is JobState.RUNNING and s.restarts == 1
    )
    assert (restarted.state, restarted.restarts) == (JobState.RUNNING, 1), restarted.error
    assert pid not in job_processes(tmp_path) and len(job_processes(tmp_path)) == 1
    log = (tmp_path / "runtime" / "logs" / "job-1-attempt-1.log").read_text()
    assert "Restoring job job-1 from" in log
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ", log), log[:200]  # log lines carry the time


def test_a_job_killed_before_it_declared_its_restart_strategy_restarts_under_the_default(
    tmp_path: Path, adapters: list[EmbeddedRuntimeAdapter]
) -> None:
    adapter = new_adapter(tmp_path, adapters)
    adapter.start(spec(tmp_path, "import time\ntime.sleep(600)\n"))
    [pid] = eventually(lambda: job_processes(tmp_path), lambda pids: len(pids) == 1)
    os.kill(pid, signal.SIGKILL)
    restarted = eventually(lambda: adapter.status("job-1"), lambda s: s.restarts == 1)
    assert restarted.restarts == 1 and restarted.state is not JobState.FAILED, restarted.error


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("rename", "Cannot map the state of operator 'numbers'"),
        ("max_parallelism", "Key groups cannot be remapped"),
        ("missing", "No completed checkpoint or savepoint at"),
    ],
)
def test_an_incompatible_restore_fails_at_once_with_its_cause(
    tmp_path: Path, adapters: list[EmbeddedRuntimeAdapter], change: str, message: str
) -> None:
    adapter = new_adapter(tmp_path, adapters)
    adapter.start(spec(tmp_path))
    eventually(lambda: adapter.status("job-1"), lambda s: s.state is JobState.RUNNING)
    adapter.stop("job-1", StopMode.SAVEPOINT, SavepointRequest("stop", str(tmp_path / "savepoints")))
    stopped = savepoint(adapter, "job-1", "stop")
    assert stopped.location is not None, stopped
    source = {
        "rename": UNBOUNDED_JOB.replace('uid("numbers")', 'uid("sequence")'),
        "max_parallelism": UNBOUNDED_JOB.replace('uid("count")', 'uid("count").set_max_parallelism(64)'),
        "missing": UNBOUNDED_JOB,
    }[change]
    location = str(tmp_path / "nowhere") if change == "missing" else stopped.location
    adapter.start(replace(spec(tmp_path, source, "job-2"), restore=RestorePoint(location)))
    failed = eventually(lambda: adapter.status("job-2"), terminal, 15)
    assert (failed.state, failed.restarts) == (JobState.FAILED, 0), failed
    assert "StateRestoreError: " in (failed.error or "") and message in (failed.error or "")


def test_a_bounded_job_that_completes_is_finished(
    tmp_path: Path, adapters: list[EmbeddedRuntimeAdapter]
) -> None:
    bounded = """
from stream_runtime import DiscardingSink, EmbeddedRocksDBStateBackend, StreamExecutionEnvironment
import sys
env = StreamExecutionEnvironment.get_execution_environment()
env.set_state_backend(EmbeddedRocksDBStateBackend(local_dir=sys.argv[1]))
env.from_collection([1, 2, 3]).key_by(lambda n: n).map(lambda n: n).add_sink(DiscardingSink())
env.execute("bounded")
"""
    adapter = new_adapter(tmp_path, adapters)
    work = tmp_path / "rocksdb"
    job = spec(tmp_path, bounded.replace("sys.argv[1]", repr(str(work))))
    adapter.start(job)
    finished = until(adapter, "job-1", terminal)
    assert finished.state is JobState.FINISHED, finished.error
    assert work.is_dir() and [p for p in work.rglob("*") if p.is_dir() and p.parent != work] == []


def test_stop_between_restarts(tmp_path: Path, adapters: list[EmbeddedRuntimeAdapter]) -> None:
    flaky = """
import os, pathlib
from stream_runtime import DiscardingSink, RestartStrategies, StreamExecutionEnvironment
marker = pathlib.Path("failed-once")
def fail_once(n):
    if n == 300 and not marker.exists():
        marker.write_text("x")
        raise RuntimeError("boom")
    return n
env = StreamExecutionEnvironment.get_execution_environment()
env.set_restart_strategy(RestartStrategies.fixed_delay_restart(3, 2000))
env.from_sequence(0, None, records_per_second=1000).uid("numbers").map(fail_once).uid("m").add_sink(
    DiscardingSink())
env.execute("flaky")
"""
    adapter = new_adapter(tmp_path, adapters)
    adapter.start(spec(tmp_path, flaky))
    assert eventually(lambda: adapter.status("job-1"), lambda s: s.state is JobState.RESTARTING).state is (
        JobState.RESTARTING
    )
    stop = adapter.stop("job-1", StopMode.SAVEPOINT, SavepointRequest("stop", str(tmp_path / "savepoints")))
    assert stop.result is StopResult.ACCEPTED, stop.error
    assert adapter.status("job-1").state is JobState.STOPPING
    taken = eventually(
        lambda: adapter.savepoint_status("job-1", "stop"), lambda s: s.state.value != "IN_PROGRESS"
    )
    assert taken.state is SavepointState.COMPLETED, taken.error
    assert (
        eventually(lambda: adapter.status("job-1"), lambda s: s.state.is_terminal).state is JobState.FINISHED
    )

    adapter.start(spec(tmp_path, flaky, "job-2"))
    eventually(lambda: adapter.status("job-2"), lambda s: s.state is JobState.RESTARTING)
    assert adapter.stop("job-2", StopMode.FORCE).result is StopResult.ACCEPTED
    assert (
        eventually(lambda: adapter.status("job-2"), lambda s: s.state.is_terminal).state is JobState.CANCELED
    )


def test_an_ended_job_is_disposed_of(tmp_path: Path, adapters: list[EmbeddedRuntimeAdapter]) -> None:
    adapter = new_adapter(tmp_path, adapters)
    assert isinstance(adapter, JobDisposer)
    adapter.start(spec(tmp_path))
    eventually(lambda: adapter.checkpoint_stats("job-1").latest_completed, lambda latest: latest is not None)
    assert adapter.dispose_job("job-1").result is DisposeResult.FAILED  # still running
    adapter.stop("job-1", StopMode.SAVEPOINT, SavepointRequest("stop", str(tmp_path / "savepoints")))
    taken = savepoint(adapter, "job-1", "stop")
    assert taken.location is not None
    until(adapter, "job-1", terminal)
    assert adapter.dispose_job("job-1").result is DisposeResult.DISPOSED
    assert not Path(taken.location).exists()
    assert not (tmp_path / "checkpoints" / "job-1").exists()
    assert list((tmp_path / "runtime" / "logs").glob("job-1-*")) == []
    assert adapter.status("job-1").state is JobState.NOT_FOUND
    assert adapter.dispose_job("job-1").result is DisposeResult.NOT_FOUND


def test_identity_of_a_process_survives_pid_reuse() -> None:
    assert process_is(os.getpid(), None)
    started = Path(f"/proc/{os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()[19]
    assert process_is(os.getpid(), int(started)) and not process_is(os.getpid(), int(started) + 1)
