"""``msf-local flink-cluster start|stop|status``: the local Flink cluster on its own, for users who want it.

``start`` leaves the JobManager and TaskManager running after the command returns (their pids are
recorded in ``<data-dir>/flink/cluster.json``); ``serve --flink-rest-url http://127.0.0.1:<port>`` then
uses it, and ``stop`` ends it. Started by root, the cluster runs as ``--job-user`` in the sandbox
:mod:`runtime_adapter.flink.cluster_sandbox` describes (docs/security.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

from app.settings import Settings
from runtime_adapter.flink.cluster import ClusterError, LocalFlinkCluster
from runtime_adapter.flink.config import ClusterConfig
from runtime_adapter.flink.distribution import FlinkNotInstalled

if TYPE_CHECKING:
    from runtime_adapter.flink.cluster_sandbox import ClusterSandbox


def _cluster(data_dir: Path, rest_port: int, rpc_port: int) -> LocalFlinkCluster:
    try:
        return LocalFlinkCluster(
            ClusterConfig(data_dir=data_dir / "flink", rest_port=rest_port, rpc_port=rpc_port)
        )
    except FlinkNotInstalled as error:
        raise click.ClickException(str(error)) from None


def _sandbox(data_dir: Path, job_user: str | None) -> ClusterSandbox:
    """The sandbox ``serve`` would give the cluster (``MSF_*`` settings: database, credentials file)."""
    from app.control.plane import sandbox_settings
    from runtime_adapter.flink.cluster_sandbox import ClusterSandbox

    try:
        settings = Settings(data_dir=data_dir)
        if job_user is not None:
            settings = settings.model_copy(update={"job_user": job_user})
    except ValidationError as error:
        raise click.ClickException(f"invalid settings: {error}") from None
    return ClusterSandbox.from_settings(sandbox_settings(settings), data_dir)


_options = [
    click.option("--data-dir", type=click.Path(path_type=Path), default=Path("data"), envvar="MSF_DATA_DIR"),
    click.option("--rest-port", type=click.IntRange(1, 65535), default=8081, envvar="MSF_FLINK_REST_PORT"),
    click.option("--rpc-port", type=click.IntRange(1, 65535), default=6123, envvar="MSF_FLINK_RPC_PORT"),
]


def _with_options(func: Any) -> Any:
    for option in reversed(_options):
        func = option(func)
    return func


@click.group("flink-cluster")
def flink_cluster() -> None:
    """Start, stop or inspect the local 127.0.0.1-only Flink cluster (msf-local[flink])."""


@flink_cluster.command()
@_with_options
@click.option(
    "--job-user",
    envvar="MSF_JOB_USER",
    show_envvar=True,
    help="When run as root, the cluster runs as this user (name or uid); '' keeps root [default: nobody].",
)
def start(data_dir: Path, rest_port: int, rpc_port: int, job_user: str | None) -> None:
    """Start a JobManager and a TaskManager; returns once the TaskManager is registered."""
    cluster = _cluster(data_dir, rest_port, rpc_port)
    cluster.sandbox, cluster.standalone = _sandbox(data_dir, job_user), True
    try:
        cluster.start(watch=False)
    except ClusterError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Flink REST API: {cluster.rest_url} (serve --flink-rest-url {cluster.rest_url})")


@flink_cluster.command()
@_with_options
def stop(data_dir: Path, rest_port: int, rpc_port: int) -> None:
    """Stop the cluster ``start`` left running."""
    cluster = _cluster(data_dir, rest_port, rpc_port)
    cluster.stop()
    click.echo("stopped")


@flink_cluster.command()
@_with_options
def status(data_dir: Path, rest_port: int, rpc_port: int) -> None:
    """Print the cluster's processes and REST overview as JSON."""
    cluster = _cluster(data_dir, rest_port, rpc_port)
    report = cluster.status()
    click.echo(
        json.dumps(
            {
                "rest_url": report.rest_url,
                "running": report.running,
                "processes": report.processes,
                "overview": report.overview,
            },
            indent=2,
        )
    )
