"""What the reconcilers share: the transaction of one pass and the deployment bookkeeping of a step.

Every step saves its intent (job id, stop mode, savepoint trigger id) before calling the runtime,
and every runtime call is idempotent for those ids, so a crash between any two lines is resumed by
the next tick.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from api_models.models import OperationStatus
from app.db.control_repository import ControlRepository
from app.db.deployments import DeploymentRow, Phase
from app.db.models import ApplicationRow
from app.db.repositories import lock_for_write
from runtime_adapter.base import JobState

MAX_ERROR_STRING = 512


_DIRECTORIES = re.compile(r"(?:/[^/\s\"':,()]+)+/(?=[^/\s\"':,()])")


def error_string(error: str) -> str:
    """An ``ErrorString`` (1 to 512 characters) that ends with the cause and shows no server paths.

    Directories are dropped from every absolute path (a file keeps its name); a text too long loses
    its head, so a traceback keeps its last line: the exception type and message.
    """
    error = _DIRECTORIES.sub("", error).strip() or "Unknown error"
    return error if len(error) <= MAX_ERROR_STRING else "..." + error[-(MAX_ERROR_STRING - 3) :]


def job_state(deployment: DeploymentRow) -> JobState | None:
    """The job state the observer recorded (None: nothing observed)."""
    return JobState(deployment.observed_job_state) if deployment.observed_job_state else None


def job_gone(deployment: DeploymentRow) -> bool:
    """Whether no job runs for the deployment (none, unknown to the runtime, or ended)."""
    state = job_state(deployment)
    return deployment.job_id is None or state is None or state is JobState.NOT_FOUND or state.is_terminal


class Transaction:
    """The session of one reconcile pass: ``save`` commits the intent, ``relock`` re-reads after acting."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.repository = ControlRepository(session)

    def save(self) -> None:
        """Commit what has been decided so far (the intent), before the runtime is asked to act."""
        self.session.commit()

    def relock(self, application_id: int) -> ApplicationRow | None:
        """The application, locked again after acting (None if it was deleted meanwhile)."""
        lock_for_write(self.session)
        return self.session.get(ApplicationRow, application_id, with_for_update=True, populate_existing=True)


class Bookkeeping:
    """The deployment's phase and job fields, and the operation a step ends, at the injected clock."""

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self.clock = clock

    def now(self) -> datetime:
        """The injected clock at whole seconds (how timestamps are stored)."""
        return self.clock().replace(microsecond=0)

    def enter(self, deployment: DeploymentRow, phase: Phase) -> None:
        """Move the deployment to ``phase`` from now on."""
        deployment.phase = phase.value
        deployment.phase_since = self.now()

    def overdue(self, deployment: DeploymentRow, limit: timedelta) -> bool:
        """Whether the deployment has been in its phase longer than ``limit``."""
        return self.now() - deployment.phase_since > limit

    def end_stop(self, deployment: DeploymentRow) -> None:
        """Nothing in flight any more (the job, if any, runs on)."""
        deployment.stop_mode = None
        deployment.trigger_id = None
        deployment.snapshot_name = None
        deployment.operation_id = None
        self.enter(deployment, Phase.IDLE)

    def clear(self, deployment: DeploymentRow) -> None:
        """Forget the job: nothing in flight, nothing running."""
        self.end_stop(deployment)
        deployment.job_id = None
        deployment.version_id = None
        deployment.restore_location = None
        deployment.allow_non_restored_state = False
        deployment.observed_job_state = None

    def in_progress_operation_id(self, tx: Transaction, application: ApplicationRow) -> str | None:
        """The newest IN_PROGRESS operation of the application (the one a step ends)."""
        operations = tx.repository.in_progress_operations(application)
        return operations[0].operation_id if operations else None

    def finish(
        self,
        tx: Transaction,
        application: ApplicationRow,
        deployment: DeploymentRow,
        status: OperationStatus,
        error: str | None = None,
    ) -> None:
        """End the deployment's operation (if still IN_PROGRESS) with ``status``."""
        if deployment.operation_id is None:
            return
        operation = tx.repository.operation(application, deployment.operation_id)
        if operation is None or operation.status != OperationStatus.IN_PROGRESS.value:
            return
        operation.status = status.value
        operation.end_time = self.now()
        if error is not None:
            operation.error_string = error_string(error)
