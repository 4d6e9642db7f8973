"""Reconcile: move each application toward what its status asks for, one idempotent step per tick.

Status (phase) → what the loop does:

- READY, a job still live: a job left behind by a timed-out stop is force-stopped.
- STARTING (IDLE): resolve the restore point, plan the job, save its id, submit it.
- STARTING (STARTING_JOB): RUNNING → app RUNNING, operation SUCCESSFUL; the job ended, was refused
  or did not reach RUNNING in time → operation FAILED with the runtime's error, app READY.
- RUNNING (IDLE): the job ended → app READY; the runtime lost it → resubmit from its latest checkpoint.
- STOPPING (IDLE): save the stop (stop-with-savepoint if snapshots are enabled), ask the runtime.
- STOPPING (STOPPING_JOB): savepoint done → system snapshot; job ended → app READY, operation
  SUCCESSFUL; savepoint failed or stop refused → operation FAILED, app RUNNING (the job runs on).
- FORCE_STOPPING: force-stop the job; once gone → app READY, operation SUCCESSFUL, every other
  in-progress operation CANCELLED; never a snapshot.
- UPDATING (IDLE → STOPPING_JOB → STARTING_JOB): stop with a savepoint (system snapshot), then start
  the new version restoring per its run configuration; success → RUNNING, failure → READY.
- (application deleted): force-stop the job it left behind, then forget it.

Every step saves its intent (job id, stop mode, savepoint trigger id) before calling the runtime, and
every runtime call is idempotent for those ids, so a crash between any two lines is resumed by the
next tick. Expected runtime problems are outcomes that end the operation as FAILED with the runtime's
error string: the application is never left in a transient status.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api_models.models import ApplicationRestoreType, ApplicationStatus, OperationStatus, SnapshotStatus
from app.control.jobs import JobPlanner
from app.db.deployments import DeploymentRow, Phase
from app.db.models import ApplicationRow, ApplicationVersionRow, OperationRow, SnapshotRow
from app.db.repositories import lock_for_write
from app.services import state_machine
from app.services.configuration.view import VersionView
from runtime_adapter.base import (
    DisposeResult,
    JobState,
    RestorePoint,
    RuntimeAdapter,
    SavepointRequest,
    SavepointState,
    StartResult,
    StopMode,
    StopResult,
    TriggerResult,
)

logger = logging.getLogger("msf_local.control")

S = ApplicationStatus
MAX_ERROR_STRING = 512
SYSTEM_SNAPSHOT_PREFIX = "SYSTEMSNAPSHOT-"


class _StopProgress(Enum):
    WAITING = "WAITING"
    STOPPED = "STOPPED"
    SAVEPOINT_FAILED = "SAVEPOINT_FAILED"
    TIMED_OUT = "TIMED_OUT"


def _error_string(error: str) -> str:
    """An ``ErrorString`` (1 to 512 characters)."""
    error = error.strip() or "Unknown error"
    return error if len(error) <= MAX_ERROR_STRING else error[: MAX_ERROR_STRING - 3] + "..."


class Transaction:
    """The session of one reconcile pass: ``save`` commits the intent, ``relock`` re-reads after acting."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self) -> None:
        """Commit what has been decided so far (the intent), before the runtime is asked to act."""
        self.session.commit()

    def relock(self, application_id: int) -> ApplicationRow | None:
        """The application, locked again after acting (None if it was deleted meanwhile)."""
        lock_for_write(self.session)
        return self.session.get(ApplicationRow, application_id, with_for_update=True, populate_existing=True)


class Reconciler:
    """Decides and performs the next step for one application (see the table in the module doc)."""

    def __init__(
        self,
        adapter: RuntimeAdapter,
        planner: JobPlanner,
        clock: Callable[[], datetime],
        *,
        start_timeout: timedelta,
        stop_timeout: timedelta,
    ) -> None:
        self.adapter = adapter
        self.planner = planner
        self.clock = clock
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout

    def now(self) -> datetime:
        """The injected clock at whole seconds (how timestamps are stored)."""
        return self.clock().replace(microsecond=0)

    # ---- entry -------------------------------------------------------------------------------

    def reconcile(
        self, tx: Transaction, application: ApplicationRow | None, deployment: DeploymentRow
    ) -> None:
        """One step for one application (``None``: it was deleted and left ``deployment`` behind)."""
        if application is None:
            self._orphaned(tx, deployment)
            return
        handlers = {
            S.READY: self._ready,
            S.STARTING: self._starting,
            S.RUNNING: self._running,
            S.STOPPING: self._stopping,
            S.FORCE_STOPPING: self._force_stopping,
            S.UPDATING: self._updating,
        }
        handler = handlers.get(S(application.status))
        if handler is not None:
            handler(tx, application, deployment)
        self._snapshots(tx.session, application, deployment)

    # ---- per status --------------------------------------------------------------------------

    def _ready(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        if self._job_gone(deployment):
            if deployment.job_id is not None:
                self._clear(deployment)
            return
        self._force_stop(tx, deployment)

    def _starting(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        if Phase(deployment.phase) is Phase.STARTING_JOB:
            self._await_start(tx, application, deployment)
            return
        deployment.operation_id = self._in_progress_operation_id(tx.session, application)
        self._begin_start(tx, application, deployment)

    def _running(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        phase = Phase(deployment.phase)
        if phase is Phase.STARTING_JOB:
            self._await_start(tx, application, deployment)
            return
        if deployment.job_id is None:  # nothing runs for it (e.g. a database older than its deployment)
            state_machine.transition(application, S.READY)
            return
        state = self._job_state(deployment)
        if state is JobState.NOT_FOUND:
            retained = self.adapter.checkpoint_stats(deployment.job_id).latest_completed
            restore_from = (
                retained.location if retained else deployment.latest_checkpoint or deployment.restore_location
            )
            logger.warning(
                "job %s of %s is unknown to the runtime; resubmitting from %s",
                deployment.job_id,
                application.application_name,
                restore_from or "an empty state",
            )
            deployment.operation_id = None
            restore = (
                RestorePoint(restore_from, deployment.allow_non_restored_state) if restore_from else None
            )
            self._submit_new_job(tx, application, deployment, self._version(tx.session, application), restore)
        elif state is not None and state.is_terminal:
            deployment.last_error = deployment.observed_error or f"The job ended {state.value}"
            state_machine.transition(application, S.READY)
            self._clear(deployment)

    def _stopping(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        if Phase(deployment.phase) is not Phase.STOPPING_JOB:
            deployment.operation_id = self._in_progress_operation_id(tx.session, application)
            if self._job_gone(deployment):
                self._finish(tx.session, application, deployment, OperationStatus.SUCCESSFUL)
                state_machine.transition(application, S.READY)
                self._clear(deployment)
                return
            self._begin_stop(tx, application, deployment)
            return
        progress = self._await_stop(tx, application, deployment)
        if progress is _StopProgress.STOPPED:
            self._finish(tx.session, application, deployment, OperationStatus.SUCCESSFUL)
            state_machine.transition(application, S.READY)
            self._clear(deployment)
        elif progress is _StopProgress.SAVEPOINT_FAILED:
            self._savepoint_failed(tx.session, application, deployment)
        elif progress is _StopProgress.TIMED_OUT:
            self._stop_timed_out(tx.session, application, deployment)

    def _force_stopping(
        self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow
    ) -> None:
        if not self._job_gone(deployment):
            self._force_stop(tx, deployment)
            return
        force_operation = self._in_progress_operation_id(tx.session, application)
        for operation in self._in_progress_operations(tx.session, application):
            if operation.operation_id != force_operation:
                operation.status = OperationStatus.CANCELLED.value
                operation.end_time = self.now()
        deployment.operation_id = force_operation
        self._finish(tx.session, application, deployment, OperationStatus.SUCCESSFUL)
        state_machine.transition(application, S.READY)
        self._clear(deployment)

    def _updating(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        phase = Phase(deployment.phase)
        if phase is Phase.STARTING_JOB:
            self._await_start(tx, application, deployment)
            return
        if phase is Phase.IDLE:
            deployment.operation_id = self._in_progress_operation_id(tx.session, application)
            if self._job_gone(deployment):
                self._begin_start(tx, application, deployment)
            else:
                self._begin_stop(tx, application, deployment)
            return
        progress = self._await_stop(tx, application, deployment)
        if progress is _StopProgress.STOPPED:
            operation_id = deployment.operation_id
            self._clear(deployment)
            deployment.operation_id = operation_id
            self._begin_start(tx, application, deployment)
        elif progress is _StopProgress.SAVEPOINT_FAILED:
            self._savepoint_failed(tx.session, application, deployment)
        elif progress is _StopProgress.TIMED_OUT:
            self._stop_timed_out(tx.session, application, deployment)

    def _orphaned(self, tx: Transaction, deployment: DeploymentRow) -> None:
        if self._job_gone(deployment):
            self.planner.discard_state(deployment.application_id)  # its checkpoints and snapshots
            tx.session.delete(deployment)
            return
        self._force_stop(tx, deployment)

    # ---- starting ----------------------------------------------------------------------------

    def _begin_start(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        version = self._version(tx.session, application)
        restore, error = self._restore_point(tx.session, application, version.configuration)
        if error is not None:
            self._start_failed(tx.session, application, deployment, error)
            return
        self._submit_new_job(tx, application, deployment, version, restore)

    def _submit_new_job(
        self,
        tx: Transaction,
        application: ApplicationRow,
        deployment: DeploymentRow,
        version: ApplicationVersionRow,
        restore: RestorePoint | None,
    ) -> None:
        job_id = uuid.uuid4().hex
        before = (application.status, application.current_version_id)
        version_id = version.version_id
        tx.save()  # nobody waits on the database lock while code is fetched from S3 and unpacked
        plan = self.planner.plan(application, version.configuration, job_id, restore)
        relocked = tx.relock(application.id)
        if relocked is None or (relocked.status, relocked.current_version_id) != before:
            return  # the application changed meanwhile: decide again on the next tick
        application = relocked
        if plan.spec is None:
            self._start_failed(
                tx.session, application, deployment, plan.error or "The job could not be planned"
            )
            return
        deployment.job_id = job_id
        deployment.version_id = version_id
        deployment.restore_location = restore.location if restore else None
        deployment.allow_non_restored_state = restore.allow_non_restored_state if restore else False
        deployment.observed_job_state = JobState.NOT_FOUND.value
        deployment.observed_error = None
        deployment.latest_checkpoint = None
        self._enter(deployment, Phase.STARTING_JOB)
        tx.save()
        outcome = self.adapter.start(plan.spec)
        application_after = tx.relock(application.id)
        if outcome.result is StartResult.REJECTED and application_after is not None:
            self._start_failed(
                tx.session, application_after, deployment, outcome.error or "The runtime refused the job"
            )

    def _resubmit(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        """The runtime does not know the saved job id (a crash before submission, or a restarted
        runtime): submit it again, from its own newest checkpoint if it got as far as taking one."""
        assert deployment.job_id is not None
        version = self._version(tx.session, application, deployment.version_id)
        retained = self.adapter.checkpoint_stats(deployment.job_id).latest_completed  # it ran before
        restore_from = retained.location if retained else deployment.restore_location
        restore = RestorePoint(restore_from, deployment.allow_non_restored_state) if restore_from else None
        plan = self.planner.plan(application, version.configuration, deployment.job_id, restore)
        if plan.spec is None:
            self._start_failed(
                tx.session, application, deployment, plan.error or "The job could not be planned"
            )
            return
        outcome = self.adapter.start(plan.spec)
        if outcome.result is StartResult.REJECTED:
            self._start_failed(
                tx.session, application, deployment, outcome.error or "The runtime refused the job"
            )

    def _await_start(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        state = self._job_state(deployment)
        if state is JobState.RUNNING:
            self._finish(tx.session, application, deployment, OperationStatus.SUCCESSFUL)
            if S(application.status) is not S.RUNNING:
                state_machine.transition(application, S.RUNNING)
            deployment.operation_id = None
            self._enter(deployment, Phase.IDLE)
        elif state is None or state is JobState.NOT_FOUND:
            self._resubmit(tx, application, deployment)
        elif state.is_terminal:
            error = deployment.observed_error or f"The job ended {state.value} before it was running"
            self._start_failed(tx.session, application, deployment, error)
        elif self._overdue(deployment, self.start_timeout):
            assert deployment.job_id is not None
            self.adapter.stop(deployment.job_id, StopMode.FORCE)
            error = f"The job did not reach RUNNING within {int(self.start_timeout.total_seconds())} seconds"
            self._start_failed(tx.session, application, deployment, error, keep_job=True)

    def _start_failed(
        self,
        session: Session,
        application: ApplicationRow,
        deployment: DeploymentRow,
        error: str,
        *,
        keep_job: bool = False,
    ) -> None:
        """The job could not be started: the operation FAILED with ``error``, the application READY."""
        logger.info("start of %s failed: %s", application.application_name, error)
        deployment.last_error = error
        self._finish(session, application, deployment, OperationStatus.FAILED, error)
        if S(application.status) in (S.STARTING, S.UPDATING, S.RUNNING):
            state_machine.transition(application, S.READY)
        if keep_job:
            deployment.operation_id = None
            deployment.stop_mode = StopMode.FORCE.value
            self._enter(deployment, Phase.STOPPING_JOB)
        else:
            self._clear(deployment)

    def _restore_point(
        self, session: Session, application: ApplicationRow, configuration: dict[str, Any]
    ) -> tuple[RestorePoint | None, str | None]:
        """Where the new job restores from, per ``RunConfigurationDescription`` (or why it cannot)."""
        restore = VersionView(configuration).restore()
        allow = restore.allow_non_restored_state
        if restore.restore_type is ApplicationRestoreType.SKIP_RESTORE_FROM_SNAPSHOT:
            return None, None
        query = select(SnapshotRow).where(
            SnapshotRow.application_id == application.id,
            SnapshotRow.status == SnapshotStatus.READY.value,
            SnapshotRow.savepoint_location.is_not(None),
        )
        if restore.restore_type is ApplicationRestoreType.RESTORE_FROM_CUSTOM_SNAPSHOT:
            name = restore.snapshot_name
            snapshot = session.scalars(query.where(SnapshotRow.snapshot_name == name)).first()
            if snapshot is None or snapshot.savepoint_location is None:
                return None, f"Snapshot {name} of application {application.application_name} is not available"
            return RestorePoint(snapshot.savepoint_location, allow), None
        latest = session.scalars(
            query.order_by(SnapshotRow.creation_timestamp.desc(), SnapshotRow.id.desc())
        ).first()
        if latest is None or latest.savepoint_location is None:
            return None, None
        return RestorePoint(latest.savepoint_location, allow), None

    # ---- stopping ----------------------------------------------------------------------------

    def _begin_stop(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        assert deployment.job_id is not None
        running_version = self._version(tx.session, application, deployment.version_id)
        savepoint: SavepointRequest | None = None
        if VersionView(running_version.configuration).snapshots_enabled():
            deployment.stop_mode = StopMode.SAVEPOINT.value
            deployment.trigger_id = uuid.uuid4().hex
            deployment.snapshot_name = self._system_snapshot_name(tx.session, application)
            savepoint = SavepointRequest(deployment.trigger_id, self.planner.savepoint_dir(application.id))
        else:
            deployment.stop_mode = StopMode.CANCEL.value
        self._enter(deployment, Phase.STOPPING_JOB)
        tx.save()
        outcome = self.adapter.stop(deployment.job_id, StopMode(deployment.stop_mode), savepoint)
        application_after = tx.relock(application.id)
        if outcome.result is StopResult.REJECTED and application_after is not None:
            self._stop_refused(
                tx.session, application_after, deployment, outcome.error or "The stop was refused"
            )

    def _await_stop(
        self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow
    ) -> _StopProgress:
        assert deployment.job_id is not None
        if deployment.stop_mode == StopMode.SAVEPOINT.value:
            savepoint = SavepointState(deployment.observed_savepoint_state or SavepointState.UNKNOWN.value)
            if savepoint is SavepointState.FAILED:
                return _StopProgress.SAVEPOINT_FAILED
            if savepoint is SavepointState.COMPLETED:
                self._record_system_snapshot(tx.session, application, deployment)
            elif savepoint is SavepointState.UNKNOWN and self._job_state(deployment) is JobState.RUNNING:
                assert deployment.trigger_id is not None
                request = SavepointRequest(deployment.trigger_id, self.planner.savepoint_dir(application.id))
                outcome = self.adapter.stop(deployment.job_id, StopMode.SAVEPOINT, request)
                if outcome.result is StopResult.REJECTED:
                    self._stop_refused(
                        tx.session, application, deployment, outcome.error or "The stop was refused"
                    )
                return _StopProgress.WAITING
        if self._job_gone(deployment):
            return _StopProgress.STOPPED
        if self._overdue(deployment, self.stop_timeout):
            self.adapter.stop(deployment.job_id, StopMode.FORCE)
            return _StopProgress.TIMED_OUT
        return _StopProgress.WAITING

    def _system_snapshot_name(self, session: Session, application: ApplicationRow) -> str:
        """``SYSTEMSNAPSHOT-<epoch ms>``, unique within the application (decided once, with the intent)."""
        taken = set(
            session.scalars(
                select(SnapshotRow.snapshot_name).where(SnapshotRow.application_id == application.id)
            )
        )
        millis = int(self.clock().timestamp() * 1000)
        while f"{SYSTEM_SNAPSHOT_PREFIX}{millis}" in taken:
            millis += 1
        return f"{SYSTEM_SNAPSHOT_PREFIX}{millis}"

    def _record_system_snapshot(
        self, session: Session, application: ApplicationRow, deployment: DeploymentRow
    ) -> None:
        name = deployment.snapshot_name
        if name is None or deployment.observed_savepoint_location is None:
            return
        exists = session.scalars(
            select(SnapshotRow).where(
                SnapshotRow.application_id == application.id, SnapshotRow.snapshot_name == name
            )
        ).first()
        if exists is None:
            session.add(
                SnapshotRow(
                    application_id=application.id,
                    snapshot_name=name,
                    status=SnapshotStatus.READY.value,
                    application_version_id=deployment.version_id or application.current_version_id,
                    creation_timestamp=self.now(),
                    runtime_environment=application.runtime_environment,
                    savepoint_location=deployment.observed_savepoint_location,
                )
            )
            session.flush()

    def _stop_refused(
        self, session: Session, application: ApplicationRow, deployment: DeploymentRow, error: str
    ) -> None:
        """The runtime refused to stop: the operation fails and the job keeps running."""
        self._finish(session, application, deployment, OperationStatus.FAILED, error)
        if S(application.status) in (S.STOPPING, S.UPDATING):
            state_machine.transition(application, S.RUNNING)
        self._end_stop(deployment)

    def _savepoint_failed(
        self, session: Session, application: ApplicationRow, deployment: DeploymentRow
    ) -> None:
        error = (
            f"The snapshot could not be taken: {deployment.observed_savepoint_error or 'savepoint failed'}"
        )
        if self._job_gone(deployment):
            self._finish(session, application, deployment, OperationStatus.FAILED, error)
            state_machine.transition(application, S.READY)
            self._clear(deployment)
            return
        self._stop_refused(session, application, deployment, error)

    def _stop_timed_out(
        self, session: Session, application: ApplicationRow, deployment: DeploymentRow
    ) -> None:
        error = (
            f"The job did not stop within {int(self.stop_timeout.total_seconds())} seconds and was terminated"
        )
        self._finish(session, application, deployment, OperationStatus.FAILED, error)
        state_machine.transition(application, S.READY)
        deployment.operation_id = None
        deployment.stop_mode = StopMode.FORCE.value
        deployment.trigger_id = None
        self._enter(deployment, Phase.STOPPING_JOB)

    def _force_stop(self, tx: Transaction, deployment: DeploymentRow) -> None:
        """Terminate the job; asked again on later ticks only while the runtime does not show it stopping."""
        assert deployment.job_id is not None
        if deployment.stop_mode != StopMode.FORCE.value or Phase(deployment.phase) is not Phase.STOPPING_JOB:
            deployment.stop_mode = StopMode.FORCE.value
            deployment.trigger_id = None
            self._enter(deployment, Phase.STOPPING_JOB)
            tx.save()
        elif self._job_state(deployment) is JobState.STOPPING:
            return
        outcome = self.adapter.stop(deployment.job_id, StopMode.FORCE)
        if outcome.result is StopResult.REJECTED:
            deployment.last_error = outcome.error

    def _end_stop(self, deployment: DeploymentRow) -> None:
        deployment.stop_mode = None
        deployment.trigger_id = None
        deployment.snapshot_name = None
        deployment.operation_id = None
        self._enter(deployment, Phase.IDLE)

    # ---- application snapshots -------------------------------------------------------------

    def _snapshots(self, session: Session, application: ApplicationRow, deployment: DeploymentRow) -> None:
        """Snapshot rows the API left CREATING or DELETING: take or dispose of their savepoints.

        The row is the intent: its trigger id ``snapshot-<row id>`` is derived from it, and both
        ``trigger_savepoint`` and ``dispose_savepoint`` are idempotent, so no other state is needed.
        """
        rows = session.scalars(
            select(SnapshotRow)
            .where(
                SnapshotRow.application_id == application.id,
                SnapshotRow.status.in_((SnapshotStatus.CREATING.value, SnapshotStatus.DELETING.value)),
            )
            .order_by(SnapshotRow.id)
        )
        for row in rows:
            if row.status == SnapshotStatus.CREATING:
                self._take_snapshot(application, deployment, row)
            else:
                self._delete_snapshot(session, row)

    def _take_snapshot(
        self, application: ApplicationRow, deployment: DeploymentRow, row: SnapshotRow
    ) -> None:
        trigger = f"snapshot-{row.id}"
        state = self._job_state(deployment)
        if deployment.job_id is None or state is None or state.is_terminal or state is JobState.NOT_FOUND:
            logger.info(
                "snapshot %s of %s failed: no job runs", row.snapshot_name, application.application_name
            )
            row.status = SnapshotStatus.FAILED.value
            return
        savepoint = self.adapter.savepoint_status(deployment.job_id, trigger)
        if savepoint.state is SavepointState.UNKNOWN:
            if state is not JobState.RUNNING:
                return  # starting, restarting or stopping: ask once it runs again
            request = SavepointRequest(trigger, self.planner.savepoint_dir(application.id))
            outcome = self.adapter.trigger_savepoint(deployment.job_id, request)
            if outcome.result is not TriggerResult.ACCEPTED:
                logger.info(
                    "snapshot %s refused: %s", row.snapshot_name, outcome.error or outcome.result.value
                )
                row.status = SnapshotStatus.FAILED.value
        elif savepoint.state is SavepointState.COMPLETED:
            row.savepoint_location = savepoint.location
            row.status = SnapshotStatus.READY.value
        elif savepoint.state is SavepointState.FAILED:
            logger.info("snapshot %s failed: %s", row.snapshot_name, savepoint.error)
            row.status = SnapshotStatus.FAILED.value

    def _delete_snapshot(self, session: Session, row: SnapshotRow) -> None:
        if row.savepoint_location is not None:
            outcome = self.adapter.dispose_savepoint(row.savepoint_location)
            if outcome.result is DisposeResult.FAILED:
                logger.warning(
                    "savepoint %s not disposed (retrying): %s", row.savepoint_location, outcome.error
                )
                return
        session.delete(row)

    # ---- helpers -----------------------------------------------------------------------------

    def _enter(self, deployment: DeploymentRow, phase: Phase) -> None:
        deployment.phase = phase.value
        deployment.phase_since = self.now()

    def _clear(self, deployment: DeploymentRow) -> None:
        """Forget the job: nothing in flight, nothing running."""
        self._end_stop(deployment)
        deployment.job_id = None
        deployment.version_id = None
        deployment.restore_location = None
        deployment.allow_non_restored_state = False
        deployment.observed_job_state = None

    def _overdue(self, deployment: DeploymentRow, limit: timedelta) -> bool:
        return self.now() - deployment.phase_since > limit

    @staticmethod
    def _job_state(deployment: DeploymentRow) -> JobState | None:
        return JobState(deployment.observed_job_state) if deployment.observed_job_state else None

    def _job_gone(self, deployment: DeploymentRow) -> bool:
        state = self._job_state(deployment)
        return deployment.job_id is None or state is None or state is JobState.NOT_FOUND or state.is_terminal

    @staticmethod
    def _version(
        session: Session, application: ApplicationRow, version_id: int | None = None
    ) -> ApplicationVersionRow:
        wanted = version_id or application.current_version_id
        version = session.scalars(
            select(ApplicationVersionRow).where(
                ApplicationVersionRow.application_id == application.id,
                ApplicationVersionRow.version_id == wanted,
            )
        ).one()
        return version

    @staticmethod
    def _in_progress_operations(session: Session, application: ApplicationRow) -> list[OperationRow]:
        return list(
            session.scalars(
                select(OperationRow)
                .where(
                    OperationRow.application_id == application.id,
                    OperationRow.status == OperationStatus.IN_PROGRESS.value,
                )
                .order_by(OperationRow.id.desc())
            )
        )

    def _in_progress_operation_id(self, session: Session, application: ApplicationRow) -> str | None:
        operations = self._in_progress_operations(session, application)
        return operations[0].operation_id if operations else None

    def _finish(
        self,
        session: Session,
        application: ApplicationRow,
        deployment: DeploymentRow,
        status: OperationStatus,
        error: str | None = None,
    ) -> None:
        if deployment.operation_id is None:
            return
        operation = session.scalars(
            select(OperationRow).where(
                OperationRow.application_id == application.id,
                OperationRow.operation_id == deployment.operation_id,
            )
        ).one_or_none()
        if operation is None or operation.status != OperationStatus.IN_PROGRESS.value:
            return
        operation.status = status.value
        operation.end_time = self.now()
        if error is not None:
            operation.error_string = _error_string(error)
