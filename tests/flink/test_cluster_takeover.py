"""A local cluster left running by an msf-local that was killed is taken over by the next one over the same
data directory (its jobs run on), and stopped with it: no second JobManager, no extra TaskManager, and
nothing left behind."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from runtime_adapter.flink.cluster import LocalFlinkCluster
from runtime_adapter.flink.config import ClusterConfig
from tests.conftest import free_port

pytestmark = [pytest.mark.flink_jvm, pytest.mark.timeout(600)]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def left_running(data_dir: Path, rest_port: int, rpc_port: int) -> list[int]:
    """Start a cluster from another process that is gone by now, as after a kill -9 of msf-local; its
    JobManager's and TaskManager's pids."""
    msf_local = [sys.executable, "-c", "from app.cli import main; main()"]  # the interpreter of this test
    command = [*msf_local, "flink-cluster", "start", "--data-dir", str(data_dir)]
    command += ["--rest-port", str(rest_port), "--rpc-port", str(rpc_port), "--job-user", ""]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    config = ClusterConfig(data_dir=data_dir / "flink", rest_port=rest_port, rpc_port=rpc_port)
    pids = sorted(int(p["pid"]) for p in LocalFlinkCluster(config).status().processes)
    assert len(pids) == 2
    return pids


def test_a_cluster_left_running_is_taken_over_and_stopped_with_its_new_owner(tmp_path: Path) -> None:
    rest_port, rpc_port = free_port(), free_port()
    left = left_running(tmp_path, rest_port, rpc_port)
    cluster = LocalFlinkCluster(
        ClusterConfig(data_dir=tmp_path / "flink", rest_port=rest_port, rpc_port=rpc_port)
    )
    try:
        cluster.start(timeout_s=300)

        assert sorted(int(p["pid"]) for p in cluster.status().processes) == left
        overview = cluster.overview()
        assert overview is not None and overview["taskmanagers"] == 1
    finally:
        cluster.stop()
        shutil.rmtree(tmp_path / "flink", ignore_errors=True)

    assert not any(alive(pid) for pid in left)


def test_a_cluster_left_running_with_another_configuration_is_replaced(tmp_path: Path) -> None:
    rest_port, rpc_port = free_port(), free_port()
    left = left_running(tmp_path, rest_port, rpc_port)  # 2 slots per TaskManager
    config = ClusterConfig(
        data_dir=tmp_path / "flink", rest_port=rest_port, rpc_port=rpc_port, slots_per_task_manager=3
    )
    cluster = LocalFlinkCluster(config)
    try:
        cluster.start(timeout_s=300)

        assert not any(alive(pid) for pid in left)
        overview = cluster.overview()
        assert overview is not None and (overview["taskmanagers"], overview["slots-total"]) == (1, 3)
    finally:
        cluster.stop()
        shutil.rmtree(tmp_path / "flink", ignore_errors=True)
