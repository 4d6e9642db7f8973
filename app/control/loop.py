"""The control loop: every ``tick()`` observes and then reconciles each application that needs it.

Tests call ``tick()`` directly with an injected clock and a fake runtime; ``msf-local serve`` ticks it on
a thread of its own (``app.control.plane``): at once when the server starts, then every
``settings.control_interval`` seconds — at once after an API call that may have asked for a change, and
every ``TRANSIT_INTERVAL_S`` while an application is on its way from one status to another, so a start or
an update begins when asked and ends as soon as its job is there, not a whole interval later. A failure
while handling one application is logged, reported by ``tick()`` and retried on the next tick; it never
stops the loop or the other applications. A tick also reclaims application code nothing uses any more
(``reclaim``, at most once a minute).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

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
from app.settings import Settings
from runtime_adapter.base import RuntimeAdapter

logger = logging.getLogger("msf_local.control")

DEFAULT_START_TIMEOUT = timedelta(minutes=5)
DEFAULT_STOP_TIMEOUT = timedelta(minutes=5)
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
