"""The ``msf-local`` command line: ``serve``, ``migrate`` and ``flink-cluster``."""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import socket
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from pydantic import ValidationError

from app.settings import AuthMode, RuntimeKind, Settings

if TYPE_CHECKING:
    from app.db.ownership import Ownership

logger = logging.getLogger("msf_local")


def _settings(**options: Any) -> Settings:
    """Settings from the CLI options given; anything not given comes from ``MSF_*`` or the default.

    Invalid settings (a bad credentials file, an out-of-range port, ...) end the command with a short
    usage error naming each problem, not a traceback.
    """
    try:
        return Settings(**{k: v for k, v in options.items() if v is not None})
    except ValidationError as exc:
        problems = "; ".join(
            ".".join(str(part) for part in error["loc"]) + ": " + error["msg"]
            if error["loc"]
            else error["msg"]
            for error in exc.errors()
        )
        raise click.UsageError(f"invalid settings: {problems}") from None


_common = [
    click.option(
        "--data-dir",
        type=click.Path(path_type=Path),
        envvar="MSF_DATA_DIR",
        show_envvar=True,
        help="Directory for the SQLite database, application code and checkpoints [default: ./data].",
    ),
    click.option(
        "--database-url",
        envvar="MSF_DATABASE_URL",
        show_envvar=True,
        help="SQLAlchemy database URL [default: sqlite:///<data-dir>/msf-local.db]; "
        "PostgreSQL: postgresql+psycopg://user:password@host:port/db.",
    ),
]


def _with_common(func: Any) -> Any:
    for option in reversed(_common):
        func = option(func)
    return func


class _Commands(click.Group):
    """The command group; ``flink-cluster`` is loaded only when it is asked for (its modules take a while
    to import, and ``serve`` should not wait for them)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "flink-cluster"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "flink-cluster":
            from app.flink_cli import flink_cluster

            return flink_cluster
        return super().get_command(ctx, cmd_name)


def _flink_port(kind: str, what: str, default: int) -> Any:
    """``--flink-<kind>-port`` (``MSF_FLINK_<KIND>_PORT``): a port of the ``--flink local`` cluster."""
    return click.option(
        f"--flink-{kind}-port",
        type=click.IntRange(1, 65535),
        envvar=f"MSF_FLINK_{kind.upper()}_PORT",
        show_envvar=True,
        help=f"{what} of the --flink local cluster, on 127.0.0.1 [default: {default}].",
    )


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """msf-local: a local, AWS-compatible Managed Service for Apache Flink (kinesisanalyticsv2)."""


@main.command()
@click.option(
    "--host", envvar="MSF_HOST", show_envvar=True, help="Address to listen on [default: 127.0.0.1]."
)
@click.option(
    "--port", type=int, envvar="MSF_PORT", show_envvar=True, help="Port to listen on [default: 4590]."
)
@_with_common
@click.option(
    "--auth",
    type=click.Choice([m.value for m in AuthMode]),
    envvar="MSF_AUTH",
    show_envvar=True,
    help="SigV4 handling: 'accept' takes any signature (the account and region still come from it); "
    "'strict' verifies it against --credentials-file [default: accept].",
)
@click.option(
    "--credentials-file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    envvar="MSF_CREDENTIALS_FILE",
    show_envvar=True,
    help='For --auth strict: JSON {"<access key id>": {"secret_access_key": ..., "account_id": ...}}.',
)
@click.option(
    "--default-account-id",
    envvar="MSF_DEFAULT_ACCOUNT_ID",
    show_envvar=True,
    help="Account for access keys that are not a 12-digit account id [default: 123456789012].",
)
@click.option(
    "--default-region",
    envvar="MSF_DEFAULT_REGION",
    show_envvar=True,
    help="Region for unsigned requests [default: us-east-1].",
)
@click.option(
    "--runtime",
    type=click.Choice([m.value for m in RuntimeKind]),
    envvar="MSF_RUNTIME",
    show_envvar=True,
    help="Runtime adapter that runs applications [default: embedded].",
)
@click.option(
    "--aws-endpoint",
    envvar="MSF_AWS_ENDPOINT",
    show_envvar=True,
    help="Endpoint for S3, Kinesis and CloudWatch Logs [default: the embedded moto on this port].",
)
@click.option(
    "--flink",
    type=click.Choice(["local"]),
    envvar="MSF_FLINK",
    show_envvar=True,
    help="Run Flink applications (JARs, PyFlink) on a 127.0.0.1-only Flink cluster msf-local starts and "
    "supervises (needs pip install 'msf-local[flink]' and Java 17).",
)
@click.option(
    "--flink-rest-url",
    envvar="MSF_FLINK_REST_URL",
    show_envvar=True,
    help="Run Flink applications on the existing Flink 2.3 cluster at this REST URL instead.",
)
@_flink_port("rest", "REST port (and web UI)", 8081)
@_flink_port("rpc", "JobManager RPC port", 6123)
@click.option(
    "--flink-slots",
    type=click.IntRange(1, 64),
    envvar="MSF_FLINK_SLOTS",
    show_envvar=True,
    help="Task slots per TaskManager of --flink local [default: 2].",
)
@click.option(
    "--flink-task-managers",
    type=click.IntRange(1, 32),
    envvar="MSF_FLINK_TASK_MANAGERS",
    show_envvar=True,
    help="Most TaskManagers --flink local runs: it starts one and adds more while a job needs slots; a "
    "start that needs more fails naming the shortage [default: 4].",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    envvar="MSF_WORKERS",
    show_envvar=True,
    help="HTTP worker processes [default: 1]. With more than one, this process migrates the database, "
    "runs the control loop (and so the applications' jobs) and hosts the embedded S3/Kinesis/Logs, "
    "while the workers serve the API from the shared database.",
)
@click.option(
    "--metrics-period",
    type=click.FloatRange(min=0, min_open=True),
    envvar="MSF_METRICS_PERIOD",
    show_envvar=True,
    help="Seconds between publications of the AWS/KinesisAnalytics metrics [default: 60].",
)
@click.option(
    "--job-user",
    envvar="MSF_JOB_USER",
    show_envvar=True,
    help="When msf-local runs as root, applications' jobs run as this user (name or uid); '' runs them as "
    "msf-local's own user [default: nobody]. See docs/security.md, Job sandbox.",
)
def serve(**options: Any) -> None:
    """Serve the kinesisanalyticsv2 API (and the embedded S3/Kinesis/Logs) over HTTP."""
    settings = _settings(**options)
    # Start-up creates some 200,000 objects that live as long as the process (modules, classes, the API
    # models); the garbage collector only costs time while they are made. It runs again, with them frozen
    # out of its way, once the server listens (``_run``), or when ``serve`` returns.
    gc.disable()
    try:
        _own_and_serve(settings)
    finally:
        gc.enable()


def _own_and_serve(settings: Settings) -> None:
    """Take the locks, then serve (in this process, or with HTTP worker processes)."""
    from app.db.ownership import Ownership, OwnershipError
    from app.observability.lifecycle import log_to_console

    log_to_console()
    ownership = Ownership(settings.data_dir, settings.effective_database_url, settings.port)
    try:
        ownership.acquire()  # before anything is migrated, started or touched
    except OwnershipError as error:
        raise click.ClickException(str(error)) from None
    if settings.workers > 1:
        from app.workers import serve_workers

        ownership.release()  # checked: the controlling application takes it again in this process
        gc.enable()  # the workers, forked from here, and the controller collect as usual
        serve_workers(settings)
        return
    try:
        _serve(settings, ownership)
    finally:
        ownership.release()


def _expected(error: Exception) -> bool:
    """Whether a start-up failure is a problem its message explains (no stack trace is logged)."""
    cluster = sys.modules.get("runtime_adapter.flink.cluster")  # imported only for --flink local
    return cluster is not None and isinstance(error, cluster.ClusterError)


STARTUP_FAILURE = 3
"""Exit code when the server could not start (as uvicorn's)."""
LISTEN_BACKLOG = 2048
"""Connections the kernel queues until the server accepts them (uvicorn's default)."""


def _listen(host: str, port: int) -> socket.socket:
    """The server's listening socket, bound before anything starts: a job or client that connects while
    the server is still starting waits in its backlog rather than being refused."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        listener = socket.socket(family, kind, proto)
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error}") from None
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(address)
        listener.listen(LISTEN_BACKLOG)
    except OSError as error:
        listener.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    return listener


def _serve(settings: Settings, ownership: Ownership) -> None:
    """Listen, start the control plane (so the jobs of running applications come back at once), then load
    the HTTP side and serve on the bound socket until a signal stops it."""
    listener = _listen(settings.host, settings.port)
    try:
        from app.control.plane import ControlPlane

        try:
            plane = ControlPlane.start(settings)
        except Exception as error:
            if _expected(error):
                logger.error("msf-local cannot start: %s", error)
            else:
                logger.exception("msf-local cannot start")
            raise SystemExit(STARTUP_FAILURE) from None
        try:
            import uvicorn

            from app.main import create_app

            application = create_app(settings, ownership, plane)
            config = uvicorn.Config(
                application,
                host=settings.host,
                port=settings.port,
                log_level="info",
                access_log=False,
                proxy_headers=False,
                server_header=False,
            )
        except BaseException:
            plane.stop()
            raise
        embedded = application.state.embedded_state
        if not _run(config, listener) or (embedded is not None and embedded.failure is not None):
            raise SystemExit(STARTUP_FAILURE)
    finally:
        listener.close()


@main.command()
@_with_common
def migrate(**options: Any) -> None:
    """Apply the database migrations and exit."""
    from app.db.migrate import upgrade

    settings = _settings(**options)
    upgrade(settings.effective_database_url)
    click.echo(f"database at head: {settings.effective_database_url}")


def _precompile_server() -> threading.Thread:
    """Byte-compile msf-local's packages in the background (as pip does for a regular installation), so the
    next start, after a crash above all, imports them from bytecode even where imports write none
    (``PYTHONDONTWRITEBYTECODE``, an editable install): some 0.15 s of CPU of every start."""
    import api_models
    import app
    import runtime_adapter
    from stream_runtime.process.bytecode import RUNTIME_PACKAGE, precompile

    packages = (app, api_models, runtime_adapter)
    return precompile(*(os.path.dirname(str(package.__file__)) for package in packages), RUNTIME_PACKAGE)


def _run(config: Any, listener: socket.socket) -> bool:
    """Serve ``config``'s application on ``listener`` until a signal stops it; whether it had started."""
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server on a socket bound beforehand; it says where it listens as uvicorn does for the
        sockets it binds itself (``Uvicorn running on http://host:port``)."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                gc.freeze()  # what start-up made stays: later collections need not look at it
                gc.enable()
                _precompile_server()
                logging.getLogger("uvicorn.error").info(
                    "Uvicorn running on http://%s:%d (Press CTRL+C to quit)",
                    self.config.host,
                    self.config.port,
                )

    server = Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[listener])
    return server.started
