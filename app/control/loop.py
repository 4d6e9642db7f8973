"""The control loop: every ``tick()`` observes and then reconciles each application that needs it.

Tests call ``tick()`` directly with an injected clock and a fake runtime; ``msf-local serve`` runs
``run_control_loop`` from the FastAPI lifespan, one tick every ``settings.control_interval`` seconds
in a worker thread — at once after an API call that may have asked for a change, and every
``TRANSIT_INTERVAL_S`` while an application is on its way from one status to another, so a start or an
update begins when asked and ends as soon as its job is there, not a whole interval later. A failure
while handling one application is logged, reported by ``tick()`` and retried on the next tick; it never
stops the loop or the other applications. A tick also reclaims application code nothing uses any more
(``reclaim``, at most once a minute).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI

from api_models.models import ApplicationStatus
from app.control.enhanced_snapshots import EnhancedSnapshotWorker
from app.control.jobs import JobPlanner
from app.control.lifecycle import LifecycleReconciler
from app.control.observer import Observer
from app.control.reclaim import CodeReclaimer
from app.control.retention import OperationRetention
from app.control.snapshots import SnapshotReconciler
from app.control.steps import Transaction
from app.db.control_repository import ControlRepository
from app.db.deployments import Phase
from app.db.models import ApplicationRow
from app.db.repositories import lock_for_write
from app.db.session import Database
from app.services.context import utc_now
from app.settings import RuntimeKind, Settings
from runtime_adapter.base import RuntimeAdapter

if TYPE_CHECKING:
    from runtime_adapter.embedded_sandbox import SandboxSettings

logger = logging.getLogger("msf_local.control")

DEFAULT_START_TIMEOUT = timedelta(minutes=5)
DEFAULT_STOP_TIMEOUT = timedelta(minutes=5)
TRANSIT_INTERVAL_S = 0.05
_AT_REST = frozenset({ApplicationStatus.READY.value, ApplicationStatus.RUNNING.value})


@dataclass
class TickReport:
    """What one tick did: the applications handled, those whose step raised (retried next tick), and
    how many operations aged out of the history; ``in_transit``: an application is between two statuses."""

    handled: list[int] = field(default_factory=list)
    errors: dict[int, BaseException] = field(default_factory=dict)
    snapshot_errors: dict[str, BaseException] = field(default_factory=dict)
    pruned_operations: int = 0
    reclaimed: list[str] = field(default_factory=list)
    in_transit: bool = False


class ControlLoop:
    """Observe → reconcile (lifecycle, then snapshots) for every application with something to do."""

    def __init__(
        self,
        database: Database,
        adapter: RuntimeAdapter,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        planner: JobPlanner | None = None,
        start_timeout: timedelta = DEFAULT_START_TIMEOUT,
        stop_timeout: timedelta = DEFAULT_STOP_TIMEOUT,
    ) -> None:
        self.database = database
        self.adapter = adapter
        self.clock = clock
        self.observer = Observer(adapter)
        planner = planner or JobPlanner(settings)
        self.lifecycle = LifecycleReconciler(
            adapter, planner, clock, start_timeout=start_timeout, stop_timeout=stop_timeout
        )
        self.snapshots = SnapshotReconciler(adapter, planner, clock)
        self.enhanced_snapshots = EnhancedSnapshotWorker(database, adapter, settings, clock)
        self.retention = OperationRetention(database, clock)
        self.code_reclaimer = CodeReclaimer(database, planner, clock)

    def tick(self) -> TickReport:
        """One pass over every application that is not at rest, and every job left behind."""
        report = TickReport()
        with self.database.session() as session:
            pending = ControlRepository(session).pending_application_ids()
        for application_id in pending:
            try:
                report.in_transit = self.step(application_id) or report.in_transit
            except Exception as error:  # one application's problem must not stop the others
                logger.exception("control loop step failed for application %s", application_id)
                report.errors[application_id] = error
            report.handled.append(application_id)
        report.snapshot_errors = self.enhanced_snapshots.tick()
        try:
            report.pruned_operations = self.retention.tick()
        except Exception:  # the history is pruned again on a later tick
            logger.exception("pruning the operation history failed")
        try:
            report.reclaimed = self.code_reclaimer.tick()
        except Exception:  # e.g. a file it cannot remove: logged, tried again on a later tick
            logger.exception("reclaiming unused application code failed")
        return report

    def step(self, application_id: int) -> bool:
        """Observe, then reconcile the lifecycle and the snapshots of, one application; whether it is
        still between two statuses (or its job between two phases)."""
        with self.database.session() as session:
            repository = ControlRepository(session)
            deployment = repository.deployment(application_id, self._now())
            if deployment is None:
                return False
            observation = self.observer.observe(deployment, repository.pending_snapshots(application_id))
        with self.database.session_factory() as session:
            lock_for_write(session)
            application = session.get(ApplicationRow, application_id, with_for_update=True)
            tx = Transaction(session)
            deployment = tx.repository.deployment(application_id, self._now())
            if deployment is None:
                return False
            self.lifecycle.reconcile(tx, application, deployment)
            if application is not None:
                self.snapshots.reconcile(tx, application, deployment, observation)
            session.commit()
            return application is not None and (
                application.status not in _AT_REST or deployment.phase != Phase.IDLE.value
            )

    def _now(self) -> datetime:
        return self.clock().replace(microsecond=0)


def make_adapter(settings: Settings) -> RuntimeAdapter:
    """The runtime adapter ``settings.runtime`` names."""
    if settings.runtime is RuntimeKind.FAKE:
        from runtime_adapter.fake import FakeRuntimeAdapter

        return FakeRuntimeAdapter()
    from runtime_adapter.embedded import EmbeddedRuntimeAdapter
    from runtime_adapter.routing import RoutingRuntimeAdapter

    embedded = EmbeddedRuntimeAdapter(settings.data_dir / "runtime", sandbox=sandbox_settings(settings))
    return RoutingRuntimeAdapter(embedded, make_flink_adapter(settings), settings.data_dir / "runtime")


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
        sandbox=sandbox,
    )


@asynccontextmanager
async def run_control_loop(app: FastAPI) -> AsyncIterator[ControlLoop]:
    """Run the loop for ``app`` (its settings and database) until the block exits."""
    settings: Settings = app.state.settings
    adapter = make_adapter(settings)
    loop = ControlLoop(app.state.database, adapter, settings)
    app.state.runtime_adapter = adapter
    app.state.control_loop = loop
    stopping = False
    wake = asyncio.Event()  # set by the API after a call that may have asked for a change, and at stop
    app.state.wake_control_loop = wake.set

    async def run() -> None:
        while not stopping:
            wake.clear()
            interval = settings.control_interval
            try:
                report = await asyncio.to_thread(loop.tick)
                if report.in_transit:
                    interval = min(interval, TRANSIT_INTERVAL_S)
            except Exception:  # e.g. the database is unreachable: keep going, try again next interval
                logger.exception("control loop tick failed")
            try:
                await asyncio.wait_for(wake.wait(), timeout=interval)
            except TimeoutError:
                continue

    task = asyncio.create_task(run(), name="msf-local control loop")
    try:
        yield loop
    finally:
        stopping = True
        wake.set()
        await task
        await asyncio.to_thread(adapter.close)
