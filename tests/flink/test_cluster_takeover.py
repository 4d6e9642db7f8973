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


def test_a_cluster_left_running_is_taken_over_and_stopped_with_its_new_owner(tmp_path: Path) -> None:
    rest_port, rpc_port = free_port(), free_port()
    # started by another process that is gone by now, as after a kill -9 of msf-local
    msf_local = str(Path(sys.executable).parent / "msf-local")
    command = [msf_local, "flink-cluster", "start", "--data-dir", str(tmp_path)]
    command += ["--rest-port", str(rest_port), "--rpc-port", str(rpc_port), "--job-user", ""]
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    config = ClusterConfig(data_dir=tmp_path / "flink", rest_port=rest_port, rpc_port=rpc_port)
    left = sorted(int(p["pid"]) for p in LocalFlinkCluster(config).status().processes)
    cluster = LocalFlinkCluster(config)
    try:
        cluster.start(timeout_s=300)

        assert sorted(int(p["pid"]) for p in cluster.status().processes) == left
        overview = cluster.overview()
        assert overview is not None and overview["taskmanagers"] == 1
    finally:
        cluster.stop()
        shutil.rmtree(tmp_path / "flink", ignore_errors=True)

    assert len(left) == 2 and not any(alive(pid) for pid in left)
