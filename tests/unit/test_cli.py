"""``msf-local serve --workers``: the option, its environment variable and which server it starts."""

from __future__ import annotations

import gc
import logging
import socket
from typing import Any

import pytest
from click.testing import CliRunner

from app import cli
from app.settings import Settings
from tests.conftest import free_port


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Record what ``serve`` would start instead of starting it (the control plane, the server on its
    bound socket, the worker supervisor)."""
    calls: dict[str, Any] = {}

    def fake_plane(settings: Settings) -> Any:
        calls["plane"] = settings
        calls["collecting at start-up"] = gc.isenabled()
        return None

    def fake_run(config: Any, listener: socket.socket) -> bool:
        calls["uvicorn"] = (config.app, {"host": config.host, "port": config.port})
        calls["listening on"] = listener.getsockname()[1]
        return True

    def fake_serve_workers(settings: Settings) -> None:
        calls["workers"] = settings

    import app.workers
    from app.control.plane import ControlPlane

    monkeypatch.setattr(ControlPlane, "start", staticmethod(fake_plane))
    monkeypatch.setattr(cli, "_run", fake_run)
    monkeypatch.setattr(app.workers, "serve_workers", fake_serve_workers)
    for name in ("MSF_WORKERS", "MSF_PORT"):
        monkeypatch.delenv(name, raising=False)
    return calls


def test_help_explains_workers_and_its_environment_variable() -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--workers" in result.output
    assert "MSF_WORKERS" in result.output


def test_one_worker_by_default_serves_in_this_process(started: dict[str, Any], tmp_path: Any) -> None:
    port = free_port()
    result = CliRunner().invoke(cli.main, ["serve", "--data-dir", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 0, result.output
    assert "workers" not in started
    app, options = started["uvicorn"]
    assert app.state.settings.workers == 1
    assert started["plane"].workers == 1  # the control plane started before the server
    assert options["port"] == port and started["listening on"] == port
    assert started["collecting at start-up"] is False and gc.isenabled()  # collecting again afterwards


def test_a_port_in_use_ends_serve_before_anything_starts(started: dict[str, Any], tmp_path: Any) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli.main, ["serve", "--data-dir", str(tmp_path), "--port", str(port)])
    assert result.exit_code == 1
    assert f"Error: cannot listen on 127.0.0.1:{port}: Address already in use" in result.output
    assert started == {}  # neither the control plane nor the server


def test_a_flink_port_in_use_ends_serve_with_the_reason_and_no_stack_trace(
    tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Another cluster's REST port would answer for the local one: serve names the port and the option
    instead (the JobManager is never started)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        arguments = ["serve", "--data-dir", str(tmp_path), "--port", str(free_port()), "--flink", "local"]
        with caplog.at_level(logging.ERROR, logger="msf_local"):
            result = CliRunner().invoke(cli.main, [*arguments, "--flink-rest-port", str(busy)])
    assert result.exit_code == cli.STARTUP_FAILURE
    (record,) = [r for r in caplog.records if "cannot start" in r.getMessage()]
    assert f"REST port {busy} on 127.0.0.1 already in use" in record.getMessage()
    assert "--flink-rest-port" in record.getMessage() and record.exc_info is None
    assert not (tmp_path / "flink" / "cluster.json").exists()  # no JobManager or TaskManager was started


def test_workers_option_starts_the_worker_supervisor(started: dict[str, Any], tmp_path: Any) -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--data-dir", str(tmp_path), "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert "uvicorn" not in started
    assert started["workers"].workers == 3
    assert started["workers"].controller_url is None


def test_workers_from_the_environment(started: dict[str, Any], tmp_path: Any) -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--data-dir", str(tmp_path)], env={"MSF_WORKERS": "2"})
    assert result.exit_code == 0, result.output
    assert started["workers"].workers == 2


@pytest.mark.parametrize("value", ["0", "-1", "two"])
def test_workers_must_be_a_positive_number(started: dict[str, Any], tmp_path: Any, value: str) -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--data-dir", str(tmp_path), "--workers", value])
    assert result.exit_code == 2
    assert "--workers" in result.output
    assert started == {}


def test_invalid_settings_end_with_a_usage_error_not_a_traceback(
    started: dict[str, Any], tmp_path: Any
) -> None:
    credentials = tmp_path / "credentials.json"
    credentials.write_text("{not json")
    result = CliRunner().invoke(
        cli.main,
        ["serve", "--auth", "strict", "--credentials-file", str(credentials), "--data-dir", str(tmp_path)],
    )
    assert result.exit_code == 2
    assert "Error: invalid settings:" in result.output
    assert "credentials.json" in result.output
    assert "Expecting property name" in result.output
    assert "Traceback" not in result.output
    assert started == {}


def test_an_out_of_range_port_is_named(started: dict[str, Any], tmp_path: Any) -> None:
    result = CliRunner().invoke(cli.main, ["serve", "--port", "99999", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "invalid settings: port: Input should be less than or equal to 65535" in result.output
    assert started == {}


def test_the_local_flink_clusters_size_goes_from_serve_to_the_cluster(
    started: dict[str, Any], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--flink-slots`` and ``--flink-task-managers`` (named by the cluster's "Not enough task slots"
    error) and the cluster's two ports reach the local cluster's configuration; the cluster itself is not
    started here."""
    from app.control.plane import make_flink_adapter
    from runtime_adapter.flink.cluster import LocalFlinkCluster

    monkeypatch.setattr(LocalFlinkCluster, "start", lambda self, timeout_s=0: None)
    arguments = ["serve", "--data-dir", str(tmp_path), "--flink", "local", "--flink-slots", "3"]
    arguments += ["--flink-rest-port", "18081"]
    environment = {"MSF_FLINK_TASK_MANAGERS": "2", "MSF_FLINK_RPC_PORT": "16123"}
    result = CliRunner().invoke(cli.main, arguments, env=environment)
    assert result.exit_code == 0, result.output
    settings = started["plane"]
    assert (settings.flink_slots, settings.flink_task_managers) == (3, 2)
    runtime: Any = make_flink_adapter(settings)
    try:
        config = runtime.cluster.config
        assert (config.slots_per_task_manager, config.max_task_managers, config.task_managers) == (3, 2, 1)
        assert (config.rest_port, config.rpc_port, runtime.rest.url) == (
            18081,
            16123,
            "http://127.0.0.1:18081",
        )
    finally:
        runtime.close()
    for option in ("--flink-slots", "--flink-rest-port"):
        result = CliRunner().invoke(cli.main, ["serve", "--data-dir", str(tmp_path), option, "0"])
        assert result.exit_code == 2 and option in result.output
