"""Building the Flink runtime msf-local was asked for: a local cluster it starts, or an existing one."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from urllib.parse import urlsplit

from runtime_adapter.base import JobSpec, StartOutcome
from runtime_adapter.flink.adapter import FlinkRuntimeAdapter
from runtime_adapter.flink.cluster import LocalFlinkCluster
from runtime_adapter.flink.cluster_sandbox import ClusterSandbox
from runtime_adapter.flink.config import JSON_LOG_SUFFIX, ClusterConfig
from runtime_adapter.flink.distribution import flink_home, flink_installed, python_jar
from runtime_adapter.flink.launcher import Launcher
from runtime_adapter.flink.properties import AWS_PATH, PropertiesPublisher


class LocalFlinkRuntime(FlinkRuntimeAdapter):
    """The Flink adapter over a local cluster it started; closing it stops the cluster."""

    def __init__(self, cluster: LocalFlinkCluster, state_dir: Path) -> None:
        home = cluster.home
        super().__init__(
            cluster.rest_url,
            state_dir,
            python_jar=python_jar(home),
            launcher=Launcher(home, state_dir / "launcher"),
            slots=cluster.ensure_slots,
            properties=PropertiesPublisher((AWS_PATH, cluster.config.application_properties)),
        )
        self.cluster = cluster

    def job_log_files(self, job_id: str) -> tuple[Path, ...]:
        """The JobManager's and TaskManagers' JSON log files (every job's lines, tagged with the job id)."""
        return tuple(sorted(self.cluster.config.log_dir.glob(f"*.log{JSON_LOG_SUFFIX}")))

    def start(self, spec: JobSpec) -> StartOutcome:
        if self.cluster.sandbox is not None:  # the cluster's user writes the job's checkpoints and savepoints
            self.cluster.sandbox.hand_over([spec.checkpoint_dir, *spec.savepoint_dirs])
        return super().start(spec)

    def close(self) -> None:
        super().close()
        self.cluster.stop()


def local_flink(
    data_dir: Path,
    *,
    rest_port: int = 8081,
    rpc_port: int = 6123,
    slots_per_task_manager: int = 2,
    max_task_managers: int = 4,
    sandbox: ClusterSandbox | None = None,
) -> LocalFlinkRuntime:
    """Start a 127.0.0.1-only cluster under ``<data_dir>/flink`` (confined by ``sandbox``; one TaskManager
    of ``slots_per_task_manager`` slots, up to ``max_task_managers`` as jobs need slots) and an adapter
    over it."""
    config = ClusterConfig(
        data_dir=data_dir / "flink",
        rest_port=rest_port,
        rpc_port=rpc_port,
        slots_per_task_manager=slots_per_task_manager,
        max_task_managers=max_task_managers,
    )
    cluster = LocalFlinkCluster(config, sandbox=sandbox)
    cluster.start()
    return LocalFlinkRuntime(cluster, data_dir / "flink-adapter")


def remote_flink(rest_url: str, data_dir: Path) -> FlinkRuntimeAdapter:
    """An adapter over an existing cluster (savepoint/checkpoint directories must be shared with it)."""
    home = flink_home() if flink_installed() else None
    return FlinkRuntimeAdapter(
        rest_url,
        data_dir / "flink-adapter",
        python_jar=python_jar(home) if home else None,
        launcher=Launcher(home, data_dir / "flink-adapter" / "launcher") if home else None,
        properties=remote_properties(rest_url, data_dir),
    )


def remote_properties(rest_url: str, data_dir: Path) -> PropertiesPublisher | None:
    """Where the jobs of an existing cluster find their properties: on this machine (a loopback REST address)
    the AWS path, and the ``MSF_APPLICATION_PROPERTIES`` file of a cluster ``msf-local flink-cluster start``
    runs over the same data directory (recorded in its ``cluster.json`` with this REST port)."""
    if not is_loopback(rest_url):
        return None
    config = ClusterConfig(data_dir=data_dir / "flink")
    try:
        recorded = str(json.loads((config.data_dir / "cluster.json").read_text())["rest_url"])
    except (OSError, ValueError, KeyError, TypeError):
        return PropertiesPublisher((AWS_PATH,))
    same = urlsplit(recorded).port == urlsplit(rest_url).port and is_loopback(recorded)
    return PropertiesPublisher((AWS_PATH, config.application_properties) if same else (AWS_PATH,))


def is_loopback(rest_url: str) -> bool:
    """Whether ``rest_url`` names this machine (``localhost``, ``127.0.0.0/8``, ``::1``)."""
    host = urlsplit(rest_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
