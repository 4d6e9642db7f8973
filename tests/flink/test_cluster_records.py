"""``<data dir>/flink/cluster.json`` names processes by pid: a pid that another process got meanwhile is
neither taken over nor stopped (no JVM is started here)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from runtime_adapter.flink.cluster import LocalFlinkCluster
from runtime_adapter.flink.config import ClusterConfig
from tests.conftest import free_port


def test_a_recorded_pid_that_is_another_process_now_is_left_alone(tmp_path: Path) -> None:
    config = ClusterConfig(data_dir=tmp_path / "flink", rest_port=free_port(), rpc_port=free_port())
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        config.data_dir.mkdir(parents=True)
        record = {"processes": [{"role": "jobmanager", "ident": "msf-jobmanager-1-1", "pid": stranger.pid}]}
        (config.data_dir / "cluster.json").write_text(json.dumps(record))
        cluster = LocalFlinkCluster(config)

        assert cluster._adopt() is False
        cluster.stop()  # what ``msf-local flink-cluster stop`` does with a recorded cluster

        assert stranger.poll() is None
    finally:
        stranger.kill()
        stranger.wait()
