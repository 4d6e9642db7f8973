"""Reconcile snapshots: take or dispose of the savepoints behind snapshot rows; name and record system ones.

The API only writes rows: one left ``CREATING`` gets a savepoint of the running job (the observer
records its outcome: READY with the location, or FAILED), one left ``DELETING`` has its savepoint
disposed of and disappears. The row is the intent: its trigger id ``snapshot-<row id>`` is derived
from it, and both ``trigger_savepoint`` and ``dispose_savepoint`` are idempotent.

System snapshots are the savepoints of a stop or update: ``SYSTEMSNAPSHOT-<epoch ms>``, named once
with the stop's intent and recorded as a READY row when the savepoint completed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from api_models.models import SnapshotStatus
from app.control.jobs import JobPlanner
from app.control.observer import Observation, snapshot_trigger_id
from app.control.steps import Transaction, job_state
from app.control.system_snapshots import end_system_snapshot, system_snapshot_ready
from app.db.deployments import DeploymentRow
from app.db.models import ApplicationRow, SnapshotRow
from runtime_adapter.base import DisposeResult, JobState, RuntimeAdapter, SavepointRequest, TriggerResult

logger = logging.getLogger("msf_local.control")

SYSTEM_SNAPSHOT_PREFIX = "SYSTEMSNAPSHOT-"


def system_snapshot_name(tx: Transaction, application: ApplicationRow, now: datetime) -> str:
    """``SYSTEMSNAPSHOT-<epoch ms>``, unique within the application (decided once, with the intent) and
    apart from the enhanced snapshots taken of it, so the stop's savepoint ends the right one."""
    taken = tx.repository.snapshot_names(application)
    millis = int(now.timestamp() * 1000)
    while f"{SYSTEM_SNAPSHOT_PREFIX}{millis}" in taken:
        millis += 1
    return f"{SYSTEM_SNAPSHOT_PREFIX}{millis}"


def record_system_snapshot(
    tx: Transaction, application: ApplicationRow, deployment: DeploymentRow, now: datetime
) -> None:
    """The stop's completed savepoint as a READY snapshot row named as decided (once)."""
    name = deployment.snapshot_name
    if name is None or deployment.observed_savepoint_location is None:
        return
    if end_system_snapshot(tx.session, application, name, now, deployment.observed_savepoint_location):
        return  # an enhanced snapshot (SnapshotMode ENHANCED_SNAPSHOTS)
    if tx.repository.snapshot(application, name) is None:
        tx.session.add(
            SnapshotRow(
                application_id=application.id,
                snapshot_name=name,
                status=SnapshotStatus.READY.value,
                application_version_id=deployment.version_id or application.current_version_id,
                creation_timestamp=now,
                runtime_environment=application.runtime_environment,
                savepoint_location=deployment.observed_savepoint_location,
            )
        )
        tx.session.flush()


def system_snapshot_recorded(tx: Transaction, application: ApplicationRow, name: str | None) -> bool:
    """Whether the stop's snapshot ``name`` was already recorded READY (its savepoint completed)."""
    if name is None:
        return False
    row = tx.repository.snapshot(application, name)
    return (row is not None and row.status == SnapshotStatus.READY.value) or system_snapshot_ready(
        tx.session, application, name
    )


class SnapshotReconciler:
    """Acts on the snapshot rows the API left CREATING or DELETING."""

    def __init__(self, adapter: RuntimeAdapter, planner: JobPlanner, clock: Callable[[], datetime]) -> None:
        self.adapter = adapter
        self.planner = planner
        self.clock = clock

    def reconcile(
        self,
        tx: Transaction,
        application: ApplicationRow,
        deployment: DeploymentRow,
        observation: Observation,
    ) -> None:
        """One step for each pending snapshot row of ``application``."""
        for row in tx.repository.pending_snapshots(application.id):
            if row.status == SnapshotStatus.CREATING:
                self._take(application, deployment, row, observation)
            else:
                self._delete(tx, row)

    def _take(
        self,
        application: ApplicationRow,
        deployment: DeploymentRow,
        row: SnapshotRow,
        observation: Observation,
    ) -> None:
        state = job_state(deployment)
        if deployment.job_id is None or state is None or state.is_terminal or state is JobState.NOT_FOUND:
            logger.info(
                "snapshot %s of %s failed: no job runs", row.snapshot_name, application.application_name
            )
            row.status = SnapshotStatus.FAILED.value
            return
        if row.id not in observation.untriggered_snapshots or state is not JobState.RUNNING:
            return  # in progress, or starting/restarting/stopping: asked once it runs again
        request = SavepointRequest(snapshot_trigger_id(row), self.planner.savepoint_dir(application.id))
        outcome = self.adapter.trigger_savepoint(deployment.job_id, request)
        if outcome.result is not TriggerResult.ACCEPTED:
            logger.info("snapshot %s refused: %s", row.snapshot_name, outcome.error or outcome.result.value)
            row.status = SnapshotStatus.FAILED.value

    def _delete(self, tx: Transaction, row: SnapshotRow) -> None:
        if row.savepoint_location is not None:
            outcome = self.adapter.dispose_savepoint(row.savepoint_location)
            if outcome.result is DisposeResult.FAILED:
                logger.warning(
                    "savepoint %s not disposed (retrying): %s", row.savepoint_location, outcome.error
                )
                return
        tx.session.delete(row)
