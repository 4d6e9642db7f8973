"""PyFlink jobs in the shape of the AWS Python samples on the real cluster, through the adapter: they read
their properties from ``/etc/flink/application_properties.json`` (answered per job), their code's own
checkpoint interval is overridden, and state continues exactly across stop-with-savepoint and a restore
(at parallelism 2 for the DataStream job; the Table job restores at 1: its datagen ``sequence`` splits
the id range per subtask, so windows of a rescaled job are not contiguous id ranges).
"""

from __future__ import annotations

import csv
import itertools
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from runtime_adapter.base import (
    CheckpointSettings,
    JobCode,
    JobSpec,
    JobState,
    PropertyGroup,
    RestorePoint,
    SavepointRequest,
    SavepointState,
    StartResult,
    StopMode,
)
from runtime_adapter.flink.adapter import FlinkRuntimeAdapter
from runtime_adapter.flink.cluster import LocalFlinkCluster
from runtime_adapter.flink.distribution import flink_home, python_jar
from runtime_adapter.flink.launcher import Launcher
from tests.flink.test_adapter_contract import eventually
from tests.flink.test_java_job import cancel, lines, per_key, wait_running

pytestmark = [pytest.mark.flink_jvm, pytest.mark.timeout(900)]  # a real cluster on a loaded 2-core machine
JOBS = Path(__file__).parent / "jobs"


@pytest.fixture
def flink(
    flink_cluster: LocalFlinkCluster, flink_launcher: Launcher, tmp_path: Path
) -> Iterator[FlinkRuntimeAdapter]:
    adapter = FlinkRuntimeAdapter(
        flink_cluster.rest_url,
        tmp_path / "state",
        python_jar=python_jar(flink_home()),
        launcher=flink_launcher,
        slots=flink_cluster.ensure_slots,
    )
    yield adapter
    adapter.close()


def python_spec(
    tmp_path: Path, job: str, group: str, properties: dict[str, str], **changes: object
) -> JobSpec:
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    shutil.copy(JOBS / job, code / "main.py")
    values: dict[str, object] = {
        "job_id": uuid.uuid4().hex,
        "name": job,
        "code": JobCode(root=code),
        "checkpoints": CheckpointSettings(enabled=True, interval_ms=500, min_pause_ms=0),
        "checkpoint_dir": str(tmp_path / "checkpoints"),
        "property_groups": (PropertyGroup(group, properties),),
    }
    values.update(changes)
    return JobSpec(**values)  # type: ignore[arg-type]


def stop_with_savepoint(flink: FlinkRuntimeAdapter, job_id: str, directory: Path) -> str:
    trigger = uuid.uuid4().hex
    flink.stop(job_id, StopMode.SAVEPOINT, SavepointRequest(trigger, str(directory)))
    savepoint = eventually(
        lambda: flink.savepoint_status(job_id, trigger), lambda s: s.state is not SavepointState.IN_PROGRESS
    )
    assert savepoint.state is SavepointState.COMPLETED and savepoint.location, savepoint
    assert eventually(lambda: flink.status(job_id), lambda s: s.state.is_terminal).state is JobState.FINISHED
    return savepoint.location


def test_pyflink_datastream_keyed_state_continues_exactly_at_a_new_parallelism(
    flink: FlinkRuntimeAdapter, flink_cluster: LocalFlinkCluster, tmp_path: Path
) -> None:
    settings = {"keys": "5", "every": "10"}
    first = python_spec(
        tmp_path, "pyflink_datastream.py", "JobConfig", {**settings, "output": str(tmp_path / "run-1")}
    )
    assert flink.start(first).result is StartResult.STARTED, flink.status(first.job_id)
    wait_running(flink, first.job_id)
    config = httpx.get(f"{flink_cluster.rest_url}/jobs/{first.job_id}/checkpoints/config").json()
    assert config["interval"] == 500  # the code's env.enable_checkpointing(1 h) did not win
    eventually(
        lambda: per_key(lines(tmp_path / "run-1"), "last"), lambda v: len(v) == 5 and min(v.values()) >= 20
    )

    location = stop_with_savepoint(flink, first.job_id, tmp_path / "savepoints")
    before = per_key(lines(tmp_path / "run-1"), "last")
    second = python_spec(
        tmp_path,
        "pyflink_datastream.py",
        "JobConfig",
        {**settings, "output": str(tmp_path / "run-2")},
        parallelism=2,
        restore=RestorePoint(location),
    )
    assert flink.start(second).result is StartResult.STARTED
    wait_running(flink, second.job_id)

    after = eventually(lambda: per_key(lines(tmp_path / "run-2"), "first"), lambda v: len(v) == 5)
    assert after == {key: count + 10 for key, count in before.items()}
    cancel(flink, second.job_id)


def windows(directory: Path) -> list[tuple[int, int, int]]:
    """(records, first id, last id) of every committed window row."""
    rows = []
    for part in directory.rglob("*") if directory.is_dir() else []:
        if part.is_file() and not part.name.startswith("."):
            for row in csv.reader(part.read_text().splitlines()):
                rows.append((int(row[1]), int(row[2]), int(row[3])))
    return sorted(rows, key=lambda row: row[1])


def test_pyflink_table_windows_continue_without_gap_or_duplicate_across_a_restore(
    flink: FlinkRuntimeAdapter, tmp_path: Path
) -> None:
    first = python_spec(tmp_path, "pyflink_table.py", "SinkConfig", {"output": str(tmp_path / "run-1")})
    assert flink.start(first).result is StartResult.STARTED
    wait_running(flink, first.job_id)
    eventually(lambda: windows(tmp_path / "run-1"), lambda rows: len(rows) >= 2)

    location = stop_with_savepoint(flink, first.job_id, tmp_path / "savepoints")
    second = python_spec(
        tmp_path,
        "pyflink_table.py",
        "SinkConfig",
        {"output": str(tmp_path / "run-2")},
        restore=RestorePoint(location),
    )
    assert flink.start(second).result is StartResult.STARTED
    wait_running(flink, second.job_id)
    eventually(lambda: windows(tmp_path / "run-2"), lambda rows: len(rows) >= 2)
    cancel(flink, second.job_id)

    rows = windows(tmp_path / "run-1") + windows(tmp_path / "run-2")
    rows.sort(key=lambda row: row[1])
    assert rows[0][1] == 0 and rows[0][0] == rows[0][2] + 1
    for (_, _, last), (records, first_id, last_id) in itertools.pairwise(rows):
        assert first_id == last + 1  # no gap, no duplicate across the stop and the restore
        assert records == last_id - first_id + 1
