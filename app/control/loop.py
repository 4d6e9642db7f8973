"""The control loop: every ``tick()`` observes and then reconciles each application that needs it.

Tests call ``tick()`` directly with an injected clock and a fake runtime; ``msf-local serve`` runs
``run_control_loop`` from the FastAPI lifespan, one tick every ``settings.control_interval`` seconds
in a worker thread. A failure while handling one application is logged, reported by ``tick()`` and
retried on the next tick; it never stops the loop or the other applications.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fastapi import FastAPI
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api_models.models import ApplicationStatus, SnapshotStatus
from app.control.jobs import JobPlanner
from app.control.observer import Observer
from app.control.reconciler import Reconciler, Transaction
from app.db.deployments import DeploymentRow, Phase, ensure_deployment
from app.db.models import ApplicationRow, SnapshotRow
from app.db.repositories import lock_for_write
from app.db.session import Database
from app.services.context import utc_now
from app.settings import RuntimeKind, Settings
from runtime_adapter.base import RuntimeAdapter

logger = logging.getLogger("msf_local.control")

DEFAULT_START_TIMEOUT = timedelta(minutes=5)
DEFAULT_STOP_TIMEOUT = timedelta(minutes=5)


@dataclass
class TickReport:
    """What one tick did: the applications handled and those whose step raised (retried next tick)."""

    handled: list[int] = field(default_factory=list)
    errors: dict[int, BaseException] = field(default_factory=dict)


class ControlLoop:
    """Observe → reconcile for every application with something to do."""

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
        self.reconciler = Reconciler(
            adapter,
            planner or JobPlanner(settings),
            clock,
            start_timeout=start_timeout,
            stop_timeout=stop_timeout,
        )

    def tick(self) -> TickReport:
        """One pass over every application that is not at rest, and every job left behind."""
        report = TickReport()
        for application_id in self._pending():
            try:
                self.step(application_id)
            except Exception as error:  # one application's problem must not stop the others
                logger.exception("control loop step failed for application %s", application_id)
                report.errors[application_id] = error
            report.handled.append(application_id)
        return report

    def step(self, application_id: int) -> None:
        """Observe, then reconcile, one application."""
        with self.database.session() as session:
            deployment = self._deployment(session, application_id)
            if deployment is None:
                return
            self.observer.observe(deployment)
        with self.database.session_factory() as session:
            lock_for_write(session)
            application = session.get(ApplicationRow, application_id, with_for_update=True)
            deployment = self._deployment(session, application_id)
            if deployment is None:
                return
            self.reconciler.reconcile(Transaction(session), application, deployment)
            session.commit()

    def _pending(self) -> list[int]:
        """Applications handed to the loop that are not at rest, jobs left behind, snapshot requests."""
        with self.database.session() as session:
            deployed = (
                select(DeploymentRow.application_id)
                .outerjoin(ApplicationRow, ApplicationRow.id == DeploymentRow.application_id)
                .where(
                    or_(
                        ApplicationRow.id.is_(None),  # deleted, maybe with a job left behind
                        ApplicationRow.status != ApplicationStatus.READY.value,
                        DeploymentRow.job_id.is_not(None),
                        DeploymentRow.phase != Phase.IDLE.value,
                    )
                )
            )
            snapshots = select(SnapshotRow.application_id).where(
                SnapshotRow.status.in_((SnapshotStatus.CREATING.value, SnapshotStatus.DELETING.value))
            )
            return sorted(set(session.scalars(deployed)) | set(session.scalars(snapshots)))

    def _deployment(self, session: Session, application_id: int) -> DeploymentRow | None:
        """The deployment of an application (created for snapshot requests); None once both are gone."""
        deployment = session.scalars(
            select(DeploymentRow).where(DeploymentRow.application_id == application_id)
        ).one_or_none()
        if deployment is not None:
            return deployment
        application = session.get(ApplicationRow, application_id)
        if application is None:
            return None
        return ensure_deployment(session, application, self.clock().replace(microsecond=0))


def make_adapter(settings: Settings) -> RuntimeAdapter:
    """The runtime adapter ``settings.runtime`` names."""
    if settings.runtime is RuntimeKind.FAKE:
        from runtime_adapter.fake import FakeRuntimeAdapter

        return FakeRuntimeAdapter()
    from runtime_adapter.embedded import EmbeddedRuntimeAdapter

    return EmbeddedRuntimeAdapter(settings.data_dir / "runtime")


@asynccontextmanager
async def run_control_loop(app: FastAPI) -> AsyncIterator[ControlLoop]:
    """Run the loop for ``app`` (its settings and database) until the block exits."""
    settings: Settings = app.state.settings
    adapter = make_adapter(settings)
    loop = ControlLoop(app.state.database, adapter, settings)
    app.state.runtime_adapter = adapter
    app.state.control_loop = loop
    stop = asyncio.Event()

    async def run() -> None:
        while not stop.is_set():
            try:
                await asyncio.to_thread(loop.tick)
            except Exception:  # e.g. the database is unreachable: keep going, try again next interval
                logger.exception("control loop tick failed")
            try:
                await asyncio.wait_for(stop.wait(), timeout=settings.control_interval)
            except TimeoutError:
                continue

    task = asyncio.create_task(run(), name="msf-local control loop")
    try:
        yield loop
    finally:
        stop.set()
        await task
        await asyncio.to_thread(adapter.close)
