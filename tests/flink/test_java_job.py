"""A Java DataStream job on the real cluster through the adapter: keyed state continues exactly across
stop-with-savepoint and a restore at a new parallelism, and a TaskManager killed with SIGKILL is
replaced while the job recovers from its latest checkpoint. Also shows exactly what happens to the
checkpoint configuration when the job's code sets its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runtime_adapter.base import (
    CheckpointSettings,
    CodeLanguage,
    JobCode,
    JobSpec,
    JobState,
    RestorePoint,
    SavepointRequest,
    SavepointState,
    StartResult,
    StopMode,
)
from runtime_adapter.flink.adapter import FlinkRuntimeAdapter
from runtime_adapter.flink.cluster import LocalFlinkCluster
from runtime_adapter.flink.launcher import Launcher
from tests.flink.test_adapter_contract import eventually

pytestmark = [pytest.mark.flink_jvm, pytest.mark.timeout(900)]  # a real cluster on a loaded 2-core machine
EVERY = 20  # a line per key every 20 records; 200 records/s over 10 keys = one line per key per second
KEYS = 10


@pytest.fixture
def flink(
    flink_cluster: LocalFlinkCluster, flink_launcher: Launcher, tmp_path: Path
) -> Iterator[FlinkRuntimeAdapter]:
    adapter = FlinkRuntimeAdapter(
        flink_cluster.rest_url, tmp_path / "state", launcher=flink_launcher, slots=flink_cluster.ensure_slots
    )
    yield adapter
    adapter.close()


def spec(jar: Path, tmp_path: Path, out: str, **changes: object) -> JobSpec:
    (tmp_path / "code").mkdir(exist_ok=True)
    shutil.copy(jar, tmp_path / "code" / "job.jar")
    values: dict[str, object] = {
        "job_id": uuid.uuid4().hex,
        "name": "counting",
        "code": JobCode(root=tmp_path / "code", entry="job.jar", language=CodeLanguage.JAR),
        "checkpoints": CheckpointSettings(enabled=True, interval_ms=300, min_pause_ms=0),
        "checkpoint_dir": str(tmp_path / "checkpoints"),
        "program_args": ("200", str(KEYS), str(EVERY), str(tmp_path / out)),
    }
    values.update(changes)
    return JobSpec(**values)  # type: ignore[arg-type]


def lines(directory: Path, only: set[Path] | None = None) -> list[tuple[int, int]]:
    """(key, count) pairs in the order each sink file has them."""
    pairs: list[tuple[int, int]] = []
    for part in sorted(directory.glob("part-*")) if directory.is_dir() else []:
        if only is None or part in only:
            for line in part.read_text().splitlines():
                if line.count(",") == 1:
                    key, count = line.split(",")
                    pairs.append((int(key), int(count)))
    return pairs


def per_key(pairs: list[tuple[int, int]], pick: str) -> dict[int, int]:
    values: dict[int, int] = {}
    for key, count in pairs:
        values[key] = max(values.get(key, 0), count) if pick == "last" else values.get(key, count)
    return values


def cancel(flink: FlinkRuntimeAdapter, job_id: str) -> None:
    """Cancel a job and wait until it ended, so its slots are free for the next test."""
    flink.stop(job_id, StopMode.CANCEL)
    assert eventually(lambda: flink.status(job_id), lambda s: s.state.is_terminal).state is JobState.CANCELED


def wait_running(flink: FlinkRuntimeAdapter, job_id: str) -> None:
    status = eventually(lambda: flink.status(job_id), lambda s: s.state is JobState.RUNNING)
    assert status.state is JobState.RUNNING, status


def test_state_continues_exactly_across_stop_with_savepoint_rescale_and_a_killed_task_manager(
    flink: FlinkRuntimeAdapter, flink_cluster: LocalFlinkCluster, counting_jar: Path, tmp_path: Path
) -> None:
    first = spec(counting_jar, tmp_path, "run-1")
    assert flink.start(first).result is StartResult.STARTED
    wait_running(flink, first.job_id)
    eventually(
        lambda: per_key(lines(tmp_path / "run-1"), "last"),
        lambda v: len(v) == KEYS and min(v.values()) >= 2 * EVERY,
    )

    flink.stop(first.job_id, StopMode.SAVEPOINT, SavepointRequest("stop-1", str(tmp_path / "savepoints")))
    savepoint = eventually(
        lambda: flink.savepoint_status(first.job_id, "stop-1"),
        lambda s: s.state is not SavepointState.IN_PROGRESS,
    )
    assert savepoint.state is SavepointState.COMPLETED and savepoint.location
    final = eventually(lambda: flink.status(first.job_id), lambda s: s.state.is_terminal)
    assert final.state is JobState.FINISHED
    before = per_key(lines(tmp_path / "run-1"), "last")

    second = spec(counting_jar, tmp_path, "run-2", parallelism=2, restore=RestorePoint(savepoint.location))
    assert flink.start(second).result is StartResult.STARTED
    try:
        wait_running(flink, second.job_id)
        assert flink.status(second.job_id).restored_from == savepoint.location
        after = eventually(lambda: per_key(lines(tmp_path / "run-2"), "first"), lambda v: len(v) == KEYS)
        assert after == {key: count + EVERY for key, count in before.items()}

        eventually(lambda: flink.checkpoint_stats(second.job_id), lambda s: s.latest_completed is not None)
        existing = set((tmp_path / "run-2").glob("part-*"))
        at_kill = per_key(lines(tmp_path / "run-2"), "last")
        for pid in flink_cluster.task_manager_pids():
            os.kill(pid, signal.SIGKILL)

        eventually(lambda: flink.status(second.job_id), lambda s: s.state is not JobState.RUNNING, 60)
        wait_running(flink, second.job_id)
        # numRestarts is a metric, read through the JobManager's metric fetcher (refreshed every second here)
        recovered = eventually(lambda: flink.status(second.job_id), lambda s: s.restarts >= 1, 30)
        assert recovered.restarts >= 1
        assert recovered.restored_from is not None and "/chk-" in recovered.restored_from

        def new_lines() -> dict[int, int]:
            fresh = set((tmp_path / "run-2").glob("part-*")) - existing
            return per_key(lines(tmp_path / "run-2", fresh), "first")

        resumed = eventually(new_lines, lambda v: len(v) == KEYS)
        for key, count in resumed.items():
            # from a checkpoint (taken after the savepoint's state, perhaps right after it), not from zero
            assert before[key] + EVERY <= count <= at_kill[key] + EVERY
    finally:  # a failure must not leave the job holding the shared cluster's slots
        cancel(flink, second.job_id)


def checkpoint_config(
    adapter: FlinkRuntimeAdapter, cluster: LocalFlinkCluster, job: JobSpec
) -> tuple[int, int]:
    """(interval, min pause) in ms of the running job, as its JobManager reports them."""
    assert adapter.start(job).result is StartResult.STARTED
    wait_running(adapter, job.job_id)
    config = httpx.get(f"{cluster.rest_url}/jobs/{job.job_id}/checkpoints/config").json()
    cancel(adapter, job.job_id)
    return int(config["interval"]), int(config["min_pause"])


def test_the_submitted_checkpoint_configuration_wins_over_the_code(
    flink: FlinkRuntimeAdapter, flink_cluster: LocalFlinkCluster, counting_jar: Path, tmp_path: Path
) -> None:
    default = CheckpointSettings(enabled=True, interval_ms=60_000, min_pause_ms=5_000)
    code_sets_one_hour = ("200", "10", "20", str(tmp_path / "own"), "3600000")

    plain = checkpoint_config(
        flink, flink_cluster, spec(counting_jar, tmp_path, "plain", checkpoints=default)
    )
    own = spec(counting_jar, tmp_path, "own", checkpoints=default, program_args=code_sets_one_hour)

    assert plain == (60_000, 5_000)
    assert checkpoint_config(flink, flink_cluster, own) == (60_000, 5_000)


def test_without_the_launcher_flink_lets_the_code_win(
    flink_cluster: LocalFlinkCluster, counting_jar: Path, tmp_path: Path
) -> None:
    bare = FlinkRuntimeAdapter(flink_cluster.rest_url, tmp_path / "state", slots=flink_cluster.ensure_slots)
    default = CheckpointSettings(enabled=True, interval_ms=60_000, min_pause_ms=5_000)
    own = spec(
        counting_jar,
        tmp_path,
        "own",
        checkpoints=default,
        program_args=("200", "10", "20", str(tmp_path / "out"), "3600000"),
    )

    assert checkpoint_config(bare, flink_cluster, own) == (3_600_000, 5_000)
    bare.close()
