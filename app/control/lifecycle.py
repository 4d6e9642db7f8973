"""Reconcile the lifecycle: move each application toward what its status asks for, one step per tick.

Status (phase) → what the loop does:

- READY, a job still live: a job left behind by a timed-out stop is force-stopped.
- STARTING (IDLE): resolve the restore point, plan the job, save its id, submit it.
- STARTING (STARTING_JOB): RUNNING → app RUNNING, operation SUCCESSFUL; a bounded job that already
  FINISHED → operation SUCCESSFUL, app READY; the job failed, was refused or did not reach RUNNING in
  time → operation FAILED with the runtime's error, app READY.
- RUNNING (IDLE): the job ended → app READY; the runtime lost it → resubmit from its newest state.
- STOPPING (IDLE): save the stop (stop-with-savepoint if snapshots are enabled), ask the runtime; a
  job between restarts is asked for its savepoint once it runs again (else the stop times out).
- STOPPING (STOPPING_JOB): savepoint done → system snapshot; job ended → app READY, operation
  SUCCESSFUL; savepoint failed or stop refused → operation FAILED, app RUNNING (the job runs on); the
  runtime lost the job and its savepoint (e.g. its job registry) → operation FAILED without a snapshot,
  app RUNNING, the job submitted again from its newest known state (never an older snapshot).
- FORCE_STOPPING: force-stop the job; once gone → app READY, operation SUCCESSFUL, every other
  in-progress operation CANCELLED; never a snapshot.
- UPDATING (IDLE → STOPPING_JOB → STARTING_JOB): stop with a savepoint (system snapshot), then start
  the new version restoring per its run configuration; success → RUNNING, failure → READY. An update
  accepted while the previous version was being resubmitted waits for that job, then does the same.
  A new version that fails to start with RollbackEnabled → system rollback (``services.rollback``).
- ROLLING_BACK: the steps of UPDATING towards the rollback's version; failure → READY.
- (application deleted): force-stop the job it left behind, dispose of the data of every job it ran
  (``disposal``; retried while the runtime cannot yet, up to the stop timeout), then forget it.

It acts only on what the observer recorded (it never reads the runtime), and where a job restores
from is ``restore``'s rule. Expected runtime problems are outcomes that end the operation as FAILED
with the runtime's error string: the application is never left in a transient status.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import Enum

from api_models.errors import AwsError
from api_models.models import ApplicationStatus, OperationStatus
from app.control.disposal import dispose_application
from app.control.jobs import JobPlanner
from app.control.restore import restore_for_resubmission, restore_for_start
from app.control.snapshots import record_system_snapshot, system_snapshot_name, system_snapshot_recorded
from app.control.steps import Bookkeeping, Transaction, error_string, job_gone, job_state
from app.control.system_snapshots import begin_system_snapshot, system_snapshot_dir
from app.db.deployments import DeploymentRow, Phase
from app.db.models import ApplicationRow, ApplicationVersionRow
from app.services import state_machine
from app.services.configuration.view import VersionView
from app.services.rollback import roll_back
from runtime_adapter.base import (
    JobState,
    RestorePoint,
    RuntimeAdapter,
    SavepointRequest,
    SavepointState,
    StartResult,
    StopMode,
    StopResult,
)

logger = logging.getLogger("msf_local.control")

S = ApplicationStatus
SAVEPOINT_UNKNOWN = (
    "The snapshot could not be taken: the runtime no longer knows job {job}, so whether its savepoint "
    "completed is unknown; the job is submitted again from its latest checkpoint"
)


class _StopProgress(Enum):
    WAITING = "WAITING"
    STOPPED = "STOPPED"
    SAVEPOINT_FAILED = "SAVEPOINT_FAILED"
    SAVEPOINT_UNKNOWN = "SAVEPOINT_UNKNOWN"  # the runtime lost the job and its savepoint's outcome
    TIMED_OUT = "TIMED_OUT"


class LifecycleReconciler(Bookkeeping):
    """Decides and performs the next lifecycle step for one application (see the module doc)."""

    def __init__(
        self,
        adapter: RuntimeAdapter,
        planner: JobPlanner,
        clock: Callable[[], datetime],
        *,
        start_timeout: timedelta,
        stop_timeout: timedelta,
    ) -> None:
        super().__init__(clock)
        self.adapter = adapter
        self.planner = planner
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout

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
            S.ROLLING_BACK: self._updating,  # the same steps, towards the rollback's version
        }
        handler = handlers.get(S(application.status))
        if handler is not None:
            handler(tx, application, deployment)

    # ---- per status --------------------------------------------------------------------------

    def _ready(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        if job_gone(deployment):
            if deployment.job_id is not None:
                self.clear(deployment)
            return
        self._force_stop(tx, deployment)

    def _starting(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        if Phase(deployment.phase) is Phase.STARTING_JOB:
            self._await_start(tx, application, deployment)
            return
        deployment.operation_id = self.in_progress_operation_id(tx, application)
        self._begin_start(tx, application, deployment)

    def _running(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        if Phase(deployment.phase) is Phase.STARTING_JOB:
            self._await_start(tx, application, deployment)
            return
        if deployment.job_id is None:  # nothing runs for it (e.g. a database older than its deployment)
            state_machine.transition(application, S.READY)
            return
        state = job_state(deployment)
        if state is JobState.NOT_FOUND:
            restore = restore_for_resubmission(deployment)
            logger.warning(
                "job %s of %s is unknown to the runtime; resubmitting from %s",
                deployment.job_id,
                application.application_name,
                restore.location if restore else "an empty state",
            )
            deployment.operation_id = None
            self._submit_new_job(tx, application, deployment, tx.repository.version(application), restore)
        elif state is not None and state.is_terminal:
            deployment.last_error = deployment.observed_error or f"The job ended {state.value}"
            state_machine.transition(application, S.READY)
            self.clear(deployment)

    def _stopping(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        if Phase(deployment.phase) is not Phase.STOPPING_JOB:
            deployment.operation_id = self.in_progress_operation_id(tx, application)
            if job_gone(deployment):
                self.finish(tx, application, deployment, OperationStatus.SUCCESSFUL)
                state_machine.transition(application, S.READY)
                self.clear(deployment)
                return
            self._begin_stop(tx, application, deployment)
            return
        progress = self._await_stop(tx, application, deployment)
        if progress is _StopProgress.STOPPED:
            self.finish(tx, application, deployment, OperationStatus.SUCCESSFUL)
            state_machine.transition(application, S.READY)
            self.clear(deployment)
        else:
            self._stop_not_done(tx, application, deployment, progress)

    def _force_stopping(
        self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow
    ) -> None:
        if not job_gone(deployment):
            self._force_stop(tx, deployment)
            return
        force_operation = self.in_progress_operation_id(tx, application)
        for operation in tx.repository.in_progress_operations(application):
            if operation.operation_id != force_operation:
                operation.status = OperationStatus.CANCELLED.value
                operation.end_time = self.now()
        deployment.operation_id = force_operation
        self.finish(tx, application, deployment, OperationStatus.SUCCESSFUL)
        state_machine.transition(application, S.READY)
        self.clear(deployment)

    def _updating(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        phase = Phase(deployment.phase)
        if phase is Phase.STARTING_JOB:
            self._await_start(tx, application, deployment)
            return
        if phase is Phase.IDLE:
            deployment.operation_id = self.in_progress_operation_id(tx, application)
            if job_gone(deployment):
                self._begin_start(tx, application, deployment)
            else:
                self._begin_stop(tx, application, deployment)
            return
        progress = self._await_stop(tx, application, deployment)
        if progress is _StopProgress.STOPPED:
            operation_id = deployment.operation_id
            self.clear(deployment)
            deployment.operation_id = operation_id
            self._begin_start(tx, application, deployment)
        else:
            self._stop_not_done(tx, application, deployment, progress)

    def _orphaned(self, tx: Transaction, deployment: DeploymentRow) -> None:
        if not job_gone(deployment):
            self._force_stop(tx, deployment)
            return
        if Phase(deployment.phase) is not Phase.DISPOSING:
            self.enter(deployment, Phase.DISPOSING)
        if dispose_application(tx.repository, self.adapter, self.planner, deployment):
            tx.session.delete(deployment)
        elif self.overdue(deployment, self.stop_timeout):
            logger.warning("data of deleted application %s left on disk", deployment.application_name)
            tx.session.delete(deployment)

    # ---- starting ----------------------------------------------------------------------------

    def _begin_start(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        version = tx.repository.version(application)
        decision = restore_for_start(tx.repository, application, VersionView(version.configuration))
        if decision.error is not None:
            self._start_failed(tx, application, deployment, decision.error)
            return
        self._submit_new_job(tx, application, deployment, version, decision.point)

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
            self._start_failed(tx, application, deployment, plan.error or "The job could not be planned")
            return
        deployment.job_id = job_id
        deployment.version_id = version_id
        deployment.restore_location = restore.location if restore else None
        deployment.allow_non_restored_state = restore.allow_non_restored_state if restore else False
        deployment.observed_job_state = JobState.NOT_FOUND.value
        deployment.observed_error = None
        deployment.latest_checkpoint = None
        self.enter(deployment, Phase.STARTING_JOB)
        tx.save()
        outcome = self.adapter.start(plan.spec)
        application_after = tx.relock(application.id)
        if outcome.result is StartResult.REJECTED and application_after is not None:
            self._start_failed(
                tx, application_after, deployment, outcome.error or "The runtime refused the job"
            )

    def _resubmit(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        """The runtime does not know the saved job id (a crash before submission, or a restarted
        runtime): submit it again under the same id, from the newest state of the deployment."""
        assert deployment.job_id is not None
        version = tx.repository.version(application, deployment.version_id)
        restore = restore_for_resubmission(deployment)
        plan = self.planner.plan(application, version.configuration, deployment.job_id, restore)
        if plan.spec is None:
            self._start_failed(tx, application, deployment, plan.error or "The job could not be planned")
            return
        outcome = self.adapter.start(plan.spec)
        if outcome.result is StartResult.REJECTED:
            self._start_failed(tx, application, deployment, outcome.error or "The runtime refused the job")

    def _await_start(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        state = job_state(deployment)
        changing = S(application.status) in (S.UPDATING, S.ROLLING_BACK)
        if changing and deployment.version_id != application.current_version_id:
            self._superseded_start(deployment, state)
            return
        if state is JobState.FINISHED:  # a bounded job that completed: it started, and it is done
            self.finish(tx, application, deployment, OperationStatus.SUCCESSFUL)
            state_machine.transition(application, S.READY)
            self.clear(deployment)
            return
        if state is JobState.RUNNING:
            self.finish(tx, application, deployment, OperationStatus.SUCCESSFUL)
            if S(application.status) is not S.RUNNING:
                state_machine.transition(application, S.RUNNING)
            deployment.operation_id = None
            self.enter(deployment, Phase.IDLE)
        elif state is None or state is JobState.NOT_FOUND:
            self._resubmit(tx, application, deployment)
        elif state.is_terminal:
            error = deployment.observed_error or f"The job ended {state.value} before it was running"
            self._start_failed(tx, application, deployment, error)
        elif self.overdue(deployment, self.start_timeout):
            assert deployment.job_id is not None
            self.adapter.stop(deployment.job_id, StopMode.FORCE)
            error = f"The job did not reach RUNNING within {int(self.start_timeout.total_seconds())} seconds"
            self._start_failed(tx, application, deployment, error, keep_job=True)

    def _system_rollback(
        self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow, error: str
    ) -> bool:
        """With RollbackEnabled, a failed update rolls back to the previous version (and its state)."""
        current = tx.repository.version(application)
        if not VersionView(current.configuration).rollback_enabled():
            return False
        failed = deployment.operation_id
        try:
            rollback = roll_back(tx.session, application, current, self.clock)
        except AwsError as refusal:
            logger.info("system rollback of %s refused: %s", application.application_name, refusal.message)
            return False
        if failed is not None:
            operation = tx.repository.operation(application, failed)
            if operation is not None:
                operation.error_string = error_string(error)
        self.clear(deployment)
        deployment.operation_id = rollback.operation_id
        return True

    def _superseded_start(self, deployment: DeploymentRow, state: JobState | None) -> None:
        """An update was accepted while the previous version was being (re)submitted: that job is
        stopped like any running job (or forgotten if it is gone) and the new version started."""
        if state is JobState.RUNNING:
            deployment.operation_id = None
            self.enter(deployment, Phase.IDLE)
        elif state is None or state is JobState.NOT_FOUND or state.is_terminal:
            self.clear(deployment)

    def _start_failed(
        self,
        tx: Transaction,
        application: ApplicationRow,
        deployment: DeploymentRow,
        error: str,
        *,
        keep_job: bool = False,
    ) -> None:
        """The job could not be started: the operation FAILED with ``error``, the application READY."""
        logger.info("start of %s failed: %s", application.application_name, error)
        deployment.last_error = error
        if (
            not keep_job
            and S(application.status) is S.UPDATING
            and self._system_rollback(tx, application, deployment, error)
        ):
            return
        self.finish(tx, application, deployment, OperationStatus.FAILED, error)
        if S(application.status) in (S.STARTING, S.UPDATING, S.RUNNING, S.ROLLING_BACK):
            state_machine.transition(application, S.READY)
        if keep_job:
            deployment.operation_id = None
            deployment.stop_mode = StopMode.FORCE.value
            self.enter(deployment, Phase.STOPPING_JOB)
        else:
            self.clear(deployment)

    # ---- stopping ----------------------------------------------------------------------------

    def _begin_stop(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> None:
        assert deployment.job_id is not None
        running_version = tx.repository.version(application, deployment.version_id)
        savepoint: SavepointRequest | None = None
        if VersionView(running_version.configuration).snapshots_enabled():
            deployment.stop_mode = StopMode.SAVEPOINT.value
            deployment.trigger_id = uuid.uuid4().hex
            # The kind of snapshot the version that starts next restores: an update to enhanced mode
            # takes an enhanced one, a rollback to legacy mode an application snapshot (legacy).
            next_version = tx.repository.version(application)
            if VersionView(next_version.configuration).enhanced_snapshots():
                snapshot = begin_system_snapshot(
                    tx.session, application, running_version, deployment.operation_id, self.now()
                )
                deployment.snapshot_name = snapshot.snapshot_name
            else:
                deployment.snapshot_name = system_snapshot_name(tx, application, self.clock())
            savepoint = SavepointRequest(
                deployment.trigger_id, self._savepoint_dir(tx, application, deployment)
            )
        else:
            deployment.stop_mode = StopMode.CANCEL.value
        self.enter(deployment, Phase.STOPPING_JOB)
        tx.save()
        if savepoint is not None and job_state(deployment) is not JobState.RUNNING:
            return  # restarting or still starting: the savepoint is asked for once it runs (_await_stop)
        outcome = self.adapter.stop(deployment.job_id, StopMode(deployment.stop_mode), savepoint)
        application_after = tx.relock(application.id)
        if outcome.result is StopResult.REJECTED and application_after is not None:
            self._stop_refused(tx, application_after, deployment, outcome.error or "The stop was refused")

    def _savepoint_dir(self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow) -> str:
        """Where a stop's savepoint goes: an enhanced system snapshot's own folder, else the application's."""
        folder = system_snapshot_dir(
            tx.session, application, deployment.snapshot_name, self.planner.settings.data_dir
        )
        return str(folder) if folder is not None else self.planner.savepoint_dir(application.id)

    def _await_stop(
        self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow
    ) -> _StopProgress:
        assert deployment.job_id is not None
        if deployment.stop_mode == StopMode.SAVEPOINT.value:
            savepoint = SavepointState(deployment.observed_savepoint_state or SavepointState.UNKNOWN.value)
            if savepoint is SavepointState.FAILED:
                return _StopProgress.SAVEPOINT_FAILED
            if savepoint is SavepointState.COMPLETED:
                record_system_snapshot(tx, application, deployment, self.now())
            elif savepoint is SavepointState.UNKNOWN and job_state(deployment) is JobState.NOT_FOUND:
                if not system_snapshot_recorded(tx, application, deployment.snapshot_name):
                    return _StopProgress.SAVEPOINT_UNKNOWN  # never a stop "with" a snapshot nobody took
            elif savepoint is SavepointState.UNKNOWN and job_state(deployment) is JobState.RUNNING:
                assert deployment.trigger_id is not None
                request = SavepointRequest(
                    deployment.trigger_id, self._savepoint_dir(tx, application, deployment)
                )
                outcome = self.adapter.stop(deployment.job_id, StopMode.SAVEPOINT, request)
                if outcome.result is StopResult.REJECTED:
                    self._stop_refused(tx, application, deployment, outcome.error or "The stop was refused")
                return _StopProgress.WAITING
        if job_gone(deployment):
            return _StopProgress.STOPPED
        if self.overdue(deployment, self.stop_timeout):
            self.adapter.stop(deployment.job_id, StopMode.FORCE)
            return _StopProgress.TIMED_OUT
        return _StopProgress.WAITING

    def _stop_not_done(
        self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow, progress: _StopProgress
    ) -> None:
        if progress is _StopProgress.SAVEPOINT_FAILED:
            self._savepoint_failed(tx, application, deployment)
        elif progress is _StopProgress.SAVEPOINT_UNKNOWN:  # RUNNING again: resubmitted from its newest state
            self._stop_refused(tx, application, deployment, SAVEPOINT_UNKNOWN.format(job=deployment.job_id))
        elif progress is _StopProgress.TIMED_OUT:
            self._stop_timed_out(tx, application, deployment)

    def _stop_refused(
        self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow, error: str
    ) -> None:
        """The runtime refused to stop: the operation fails and the job keeps running."""
        self.finish(tx, application, deployment, OperationStatus.FAILED, error)
        if S(application.status) in (S.STOPPING, S.UPDATING, S.ROLLING_BACK):
            state_machine.transition(application, S.RUNNING)
        self.end_stop(deployment)

    def _savepoint_failed(
        self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow
    ) -> None:
        error = (
            f"The snapshot could not be taken: {deployment.observed_savepoint_error or 'savepoint failed'}"
        )
        if job_gone(deployment):
            self.finish(tx, application, deployment, OperationStatus.FAILED, error)
            state_machine.transition(application, S.READY)
            self.clear(deployment)
            return
        self._stop_refused(tx, application, deployment, error)

    def _stop_timed_out(
        self, tx: Transaction, application: ApplicationRow, deployment: DeploymentRow
    ) -> None:
        error = (
            f"The job did not stop within {int(self.stop_timeout.total_seconds())} seconds and was terminated"
        )
        self.finish(tx, application, deployment, OperationStatus.FAILED, error)
        state_machine.transition(application, S.READY)
        deployment.operation_id = None
        deployment.stop_mode = StopMode.FORCE.value
        deployment.trigger_id = None
        self.enter(deployment, Phase.STOPPING_JOB)

    def _force_stop(self, tx: Transaction, deployment: DeploymentRow) -> None:
        """Terminate the job; asked again on later ticks only while the runtime does not show it stopping."""
        assert deployment.job_id is not None
        if deployment.stop_mode != StopMode.FORCE.value or Phase(deployment.phase) is not Phase.STOPPING_JOB:
            deployment.stop_mode = StopMode.FORCE.value
            deployment.trigger_id = None
            self.enter(deployment, Phase.STOPPING_JOB)
            tx.save()
        elif job_state(deployment) is JobState.STOPPING:
            return
        outcome = self.adapter.stop(deployment.job_id, StopMode.FORCE)
        if outcome.result is StopResult.REJECTED:
            deployment.last_error = outcome.error
