"""Savepoints through the supervisor's control API, in job processes.

* Stop-with-savepoint at parallelism 2, then a restore at parallelism 3, commits exactly the output of an
  uninterrupted run (exactly-once file sink), with local and S3 storage and every available state backend.
* An intermediate savepoint commits nothing (its transaction stays pre-committed); a restore from it
  commits that transaction and the output is exact.
* Requests are idempotent per request id and fail cleanly when the job is not running.
* A process that dies while writing a savepoint (locally or on S3) leaves no complete-looking savepoint; the
  request fails with the reason.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

from stream_runtime.config import RuntimeOverrides
from stream_runtime.engine.faults import FAULT_ENV
from stream_runtime.process.model import JobProcessSpec, JobProcessStatus, SavepointProgress
from stream_runtime.process.supervisor import Supervisor
from stream_runtime.restart import NoRestartStrategy
from stream_runtime.sinks import read_committed_lines
from stream_runtime.storage import CheckpointMetadata, open_storage
from tests.runtime.conftest import JOBS, read_logs, wait_until

KEYS = 7
WAIT_S = 60


def _backends() -> list[str]:
    names = ["hashmap"]
    if "state_backend" in RuntimeOverrides.__dataclass_fields__ and importlib.util.find_spec(
        "stream_runtime.state.rocksdb"
    ):
        names.append("rocksdb")
    return names


def _expected(n: int) -> list[str]:
    sums = [0] * KEYS
    counts = [0] * KEYS
    lines = []
    for value in range(n):
        key = value % KEYS
        sums[key] += value
        counts[key] += 1
        lines.append(f"{key},{sums[key]},{counts[key]}")
    return sorted(lines)


def _committed(out: Path) -> list[str]:
    assert not [name for name in os.listdir(out) if name.startswith(".")], "uncommitted files left"
    return sorted(line for lines in read_committed_lines(str(out)).values() for line in lines)


def _supervisor(
    tmp_path: Path,
    job_id: str,
    checkpoint_dir: str,
    env: dict[str, str],
    *,
    parallelism: int,
    backend: str = "hashmap",
    restore: str | None = None,
) -> Supervisor:
    overrides = RuntimeOverrides(parallelism=parallelism)
    if backend != "hashmap":
        overrides = RuntimeOverrides(parallelism=parallelism, state_backend=backend)  # type: ignore[call-arg]
    spec = JobProcessSpec(
        str(JOBS / "savepoint_job.py"),
        job_id,
        checkpoint_dir,
        overrides=overrides,
        restore_path=restore,
        env={"OUT_DIR": str(tmp_path / "out"), "KEYS": str(KEYS), **env},
    )
    return Supervisor(spec, restart_strategy=NoRestartStrategy(), log_dir=str(tmp_path / "logs"))


@pytest.mark.parametrize("backend", _backends())
@pytest.mark.parametrize("storage", ["local", "s3"])
def test_stop_with_savepoint_then_rescaled_restore_equals_uninterrupted_run(
    tmp_path: Path, storage: str, backend: str, request: pytest.FixtureRequest
) -> None:
    n = 6000
    env = {"N": str(n), "RATE": "3000"}
    if storage == "s3":  # each checkpoint is a few HTTP requests to moto: checkpoint less often
        env.update(request.getfixturevalue("s3_env"), CHECKPOINT_MS="300")
        root = f"s3://{request.getfixturevalue('s3_bucket')}"
        checkpoints, savepoints = f"{root}/checkpoints", f"{root}/savepoints"
    else:
        checkpoints, savepoints = str(tmp_path / "checkpoints"), str(tmp_path / "savepoints")

    first = _supervisor(tmp_path, "first", checkpoints, env, parallelism=2, backend=backend)
    first.start()
    wait_until(
        lambda: any(s["status"] == "COMPLETED" for s in first.checkpoint_stats()) or first.status.is_terminal,
        WAIT_S,
        "a completed checkpoint",
    )
    requested = first.stop_with_savepoint(savepoints)
    assert requested.state is SavepointProgress.IN_PROGRESS and requested.stop
    again = first.stop_with_savepoint(savepoints, request_id=requested.request_id)  # idempotent per id
    assert again.request_id == requested.request_id and again.stop
    outcome = first.wait_savepoint(requested.request_id, WAIT_S)
    assert outcome.state is SavepointProgress.COMPLETED, (outcome, read_logs(tmp_path))
    assert first.wait(WAIT_S) is JobProcessStatus.FINISHED, read_logs(tmp_path)
    assert not first.stopping
    assert outcome.location is not None and first.final_savepoint == outcome.location
    assert outcome.location.startswith(f"{savepoints}/savepoint-first-")
    stopped_at = _committed(tmp_path / "out")
    assert 0 < len(stopped_at) < n, "the stop happened mid-stream and committed what the savepoint holds"
    assert len(open_storage(savepoints, env).list_dir("")) == 1, "one savepoint for the repeated request"
    stats = first.checkpoint_stats()
    assert stats[-1]["is_savepoint"] and stats[-1]["external_path"] == outcome.location
    completed = [s for s in stats[:-1] if s["status"] == "COMPLETED"]
    assert completed and all(s["external_path"].startswith(f"{checkpoints}/first/chk-") for s in completed)
    metadata = CheckpointMetadata.from_bytes(open_storage(outcome.location, env).read("_metadata"))
    assert metadata.is_savepoint and metadata.parallelism == 2

    second = _supervisor(
        tmp_path, "second", checkpoints, env, parallelism=3, backend=backend, restore=outcome.location
    )
    second.start()
    assert second.wait(WAIT_S) is JobProcessStatus.FINISHED, read_logs(tmp_path)
    assert _committed(tmp_path / "out") == _expected(n)


def test_intermediate_savepoint_commits_nothing_and_restores_exactly(tmp_path: Path) -> None:
    n = 3000
    env = {"N": str(n), "RATE": "1500", "CHECKPOINT_MS": "0"}  # no checkpoints: only the savepoint
    out = tmp_path / "out"
    first = _supervisor(tmp_path, "running", str(tmp_path / "checkpoints"), env, parallelism=2)
    first.start()
    wait_until(first.processing.is_set, WAIT_S, "the job to process records")
    outcome = first.wait_savepoint(first.trigger_savepoint(str(tmp_path / "sp")).request_id, WAIT_S)
    assert outcome.state is SavepointProgress.COMPLETED and not outcome.stop, outcome
    assert first.status is JobProcessStatus.RUNNING  # the job keeps running
    pending = [name for name in os.listdir(out) if name.endswith(".pending")]
    assert pending, "the savepoint pre-committed the sink's transactions"
    assert read_committed_lines(str(out)) == {}, "a savepoint commits no side effects"
    assert first.cancel(WAIT_S) is JobProcessStatus.CANCELED
    assert read_committed_lines(str(out)) == {}

    assert outcome.location is not None
    second = _supervisor(
        tmp_path, "restored", str(tmp_path / "checkpoints"), env, parallelism=2, restore=outcome.location
    )
    second.start()
    assert second.wait(WAIT_S) is JobProcessStatus.FINISHED, read_logs(tmp_path)
    assert _committed(out) == _expected(n)


def test_requests_are_idempotent_and_refused_when_not_running(tmp_path: Path) -> None:
    env = {"N": "200", "RATE": "100000"}
    supervisor = _supervisor(tmp_path, "short", str(tmp_path / "checkpoints"), env, parallelism=1)
    refused = supervisor.trigger_savepoint(request_id="early")
    assert refused.state is SavepointProgress.FAILED and "not running" in (refused.error or "")
    supervisor.start()
    assert supervisor.wait(WAIT_S) is JobProcessStatus.FINISHED, read_logs(tmp_path)
    late = supervisor.stop_with_savepoint(request_id="late")
    assert late.state is SavepointProgress.FAILED and "FINISHED" in (late.error or "")
    assert supervisor.stop_with_savepoint(request_id="late") == late
    assert supervisor.savepoint("unknown") is None


@pytest.mark.parametrize("storage", ["local", "s3"])
def test_crash_while_writing_a_savepoint_never_leaves_a_complete_looking_one(
    tmp_path: Path, storage: str, request: pytest.FixtureRequest
) -> None:
    # checkpointing off, so the savepoint gets id 1; the process dies after its data, before its _metadata
    env = {"N": "3000", "RATE": "1500", "CHECKPOINT_MS": "0", FAULT_ENV: "before_metadata@1"}
    if storage == "s3":
        env.update(request.getfixturevalue("s3_env"))
        target = f"s3://{request.getfixturevalue('s3_bucket')}/savepoints"
    else:
        target = str(tmp_path / "savepoints")
    supervisor = _supervisor(tmp_path, "crashing", str(tmp_path / "checkpoints"), env, parallelism=2)
    supervisor.start()
    wait_until(supervisor.processing.is_set, WAIT_S, "the job to process records")
    outcome = supervisor.wait_savepoint(supervisor.stop_with_savepoint(target).request_id, WAIT_S)
    assert outcome.state is SavepointProgress.FAILED
    assert (
        outcome.error
        == "The job process ended before the savepoint completed (Job process exited with code 137.)"
    )
    assert supervisor.wait(WAIT_S) is JobProcessStatus.FAILED  # no restart strategy: the failure ends the job
    assert supervisor.final_savepoint is None
    storage_root = open_storage(target, env)
    (folder,) = storage_root.list_dir("")
    files = storage_root.list_dir(folder)
    assert files and "_metadata" not in files, "data objects were written, the commit record never was"
    assert read_committed_lines(str(tmp_path / "out")) == {}, "nothing was committed"
