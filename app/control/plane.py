"""The control plane of the process that owns the data directory: the database at the newest schema, the
runtime adapter, and the control loop (``app.control.loop``) ticking on a thread of its own.

``msf-local serve`` starts it right after taking the locks and binding its port, before it loads the HTTP
side: it migrates if the schema is behind, asks the runtime about every job a deployment names (so the
embedded runtime, restarted over the same data, takes each job over and its process is back while the
rest of the server still loads; a job's calls to this port wait in the listen backlog), then starts the
loop, whose first tick runs at once. Everything heavier is imported after that. Without ``serve`` (tests,
the controller of ``serve --workers N``) the application's lifespan starts it (:func:`run_control_loop`).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.db.session import Database
from app.settings import RuntimeKind, Settings

if TYPE_CHECKING:
    from fastapi import FastAPI

    from app.control.loop import ControlLoop
    from runtime_adapter.base import RuntimeAdapter
    from runtime_adapter.embedded_sandbox import SandboxSettings

logger = logging.getLogger("msf_local.control")

TRANSIT_INTERVAL_S = 0.05
"""Seconds between ticks while an application is between two statuses (or its job between two phases)."""


class LoopThread:
    """Runs ``loop.tick()`` on a thread of its own: the first tick at once, then every ``interval`` seconds,
    at once after :meth:`wake`, and every ``TRANSIT_INTERVAL_S`` while an application is in transit. A
    failing tick is logged and the loop goes on."""

    def __init__(self, loop: ControlLoop, interval: float) -> None:
        self.loop = loop
        self.interval = interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="msf-local control loop", daemon=True)

    def start(self) -> None:
        """Begin ticking (the first tick starts now)."""
        self._thread.start()

    def wake(self) -> None:
        """Tick now rather than at the end of the interval (from any thread: the API calls it)."""
        self._wake.set()

    def stop(self) -> None:
        """Let the tick in progress finish, then end the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            interval = self.interval
            try:
                if self.loop.tick().in_transit:
                    interval = min(interval, TRANSIT_INTERVAL_S)
            except Exception:  # e.g. the database is unreachable: keep going, try again next interval
                logger.exception("control loop tick failed")
            self._wake.wait(interval)


@dataclass
class ControlPlane:
    """The started control plane: database, runtime adapter, control loop and the thread that ticks it."""

    database: Database
    adapter: RuntimeAdapter
    loop: ControlLoop
    thread: LoopThread

    @classmethod
    def start(cls, settings: Settings) -> ControlPlane:
        """Migrate (if the schema is behind), connect, take the deployments' jobs over, start the loop."""
        from app.db.migrate import upgrade

        upgrade(settings.effective_database_url)
        database = Database(settings.effective_database_url)
        adapter: RuntimeAdapter | None = None
        try:
            adapter = make_adapter(settings)
            take_over_jobs(database, adapter)
            from app.control.loop import ControlLoop

            loop = ControlLoop(database, adapter, settings)
        except BaseException:
            if adapter is not None:
                adapter.close()
            database.dispose()
            raise
        plane = cls(database, adapter, loop, LoopThread(loop, settings.control_interval))
        plane.thread.start()
        return plane

    def stop(self) -> None:
        """Stop the loop, close the runtime adapter (its jobs are cancelled), dispose of the database."""
        try:
            self.thread.stop()
            self.adapter.close()
        finally:
            self.database.dispose()


def take_over_jobs(database: Database, adapter: RuntimeAdapter) -> None:
    """Ask the runtime about every job a deployment names, as the first tick's observer will: a runtime that
    outlived its previous owner's crash (the embedded one, over the same data) takes the job over now and
    restarts it from its latest checkpoint. The answers are not kept; the loop observes for itself."""
    from sqlalchemy import select

    from app.db.deployments import DeploymentRow

    with database.session() as session:
        job_ids = list(session.scalars(select(DeploymentRow.job_id).where(DeploymentRow.job_id.is_not(None))))
    for job_id in job_ids:
        assert job_id is not None
        try:
            adapter.status(job_id)
        except Exception:  # the loop's observer asks again and reports it
            logger.exception("taking over job %s failed", job_id)


@asynccontextmanager
async def run_control_loop(app: FastAPI, plane: ControlPlane | None = None) -> AsyncIterator[ControlLoop]:
    """Run the control plane for ``app`` (a started ``plane``, or one started now from its settings) until
    the block exits; ``app.state`` gets its database, runtime adapter, loop and wake-up call."""
    if plane is None:
        plane = await asyncio.to_thread(ControlPlane.start, app.state.settings)
    app.state.database = plane.database
    app.state.runtime_adapter = plane.adapter
    app.state.control_loop = plane.loop
    app.state.wake_control_loop = plane.thread.wake
    try:
        yield plane.loop
    finally:
        await asyncio.to_thread(plane.stop)


def make_adapter(settings: Settings) -> RuntimeAdapter:
    """The runtime adapter ``settings.runtime`` names."""
    if settings.runtime is RuntimeKind.FAKE:
        from runtime_adapter.fake import FakeRuntimeAdapter

        return FakeRuntimeAdapter()
    from runtime_adapter.embedded import EmbeddedRuntimeAdapter
    from runtime_adapter.routing import RoutingRuntimeAdapter

    embedded = EmbeddedRuntimeAdapter(settings.data_dir / "runtime", sandbox=sandbox_settings(settings))
    try:
        flink = make_flink_adapter(settings)
    except BaseException:  # e.g. the local cluster's ports are taken
        embedded.close()
        raise
    return RoutingRuntimeAdapter(embedded, flink, settings.data_dir / "runtime")


def sandbox_settings(settings: Settings) -> SandboxSettings:
    """Who jobs run as and what they must never see: the data directory (closed to everyone but msf-local's
    user), the SQLite database (readable by msf-local's user only) and the credentials file wherever they
    are."""
    from runtime_adapter.embedded_sandbox import SandboxSettings

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.data_dir.chmod(0o700)
    hidden = [settings.data_dir]
    if settings.effective_database_url.startswith("sqlite:///"):
        database = Path(settings.effective_database_url.removeprefix("sqlite:///"))
        if database.is_file():
            database.chmod(0o600)  # SQLite gives its -wal and -shm files the same mode
        hidden += [database, *(database.with_name(database.name + end) for end in ("-wal", "-shm"))]
    if settings.credentials_file is not None:
        hidden.append(settings.credentials_file)
    return SandboxSettings(
        user=settings.job_user or None, hidden=tuple(hidden), storage_per_kpu=settings.storage_per_kpu
    )


def make_flink_adapter(settings: Settings) -> RuntimeAdapter | None:
    """The Flink runtime ``--flink local`` / ``--flink-rest-url`` asks for (None: embedded only)."""
    if settings.flink_rest_url:
        from runtime_adapter.flink.service import remote_flink

        return remote_flink(settings.flink_rest_url, settings.data_dir)
    if settings.flink is None:
        return None
    from runtime_adapter.flink.cluster_sandbox import ClusterSandbox
    from runtime_adapter.flink.service import local_flink

    sandbox = ClusterSandbox.from_settings(sandbox_settings(settings), settings.data_dir)
    return local_flink(
        settings.data_dir,
        rest_port=settings.flink_rest_port,
        rpc_port=settings.flink_rpc_port,
        slots_per_task_manager=settings.flink_slots,
        max_task_managers=settings.flink_task_managers,
        sandbox=sandbox,
    )
