"""RollbackApplication and system rollback: back to the previous version's code and configuration.

A rollback creates version N+1 holding the configuration of the version N was updated from, with
``ApplicationVersionRolledBackFrom`` N and ``…RolledBackTo`` that version; version N is ROLLED_BACK.
The application goes ROLLING_BACK and the control loop does what it does for an update: it stops
the running job with a savepoint (system snapshot) and starts version N+1 restoring from the latest
snapshot, ending RUNNING (or READY if that start fails). A rollback needs a previous version and a
snapshot to restore; it is refused otherwise, and for SQL applications.

System rollback (``ApplicationSystemRollbackConfiguration.RollbackEnabled``): when an update's new
version fails to start, the control loop calls ``roll_back`` itself; the failed operation's
``OperationFailureDetails.RollbackOperationId`` names the rollback's operation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api_models import errors
from api_models.models import (
    ApplicationRestoreType,
    ApplicationStatus,
    OperationStatus,
    RollbackApplicationRequest,
    RollbackApplicationResponse,
    SnapshotStatus,
)
from app.db.deployments import DeploymentRow
from app.db.models import (
    ApplicationRow,
    ApplicationVersionRow,
    EnhancedSnapshotRow,
    OperationRow,
    SnapshotRow,
)
from app.services import state_machine
from app.services.common import check_condition, get_for_change, new_operation_id, new_token
from app.services.configuration.flink import DEFAULT_RUN_CONFIGURATION
from app.services.configuration.wire import APP_CONFIG, RESTORE, RUN, is_sql
from app.services.context import RequestContext
from app.services.details import application_detail


@dataclass(frozen=True)
class Rollback:
    """A rollback under way: the version it created and the operation that records it."""

    version: ApplicationVersionRow
    operation_id: str


def rollback_application(
    ctx: RequestContext, request: RollbackApplicationRequest
) -> RollbackApplicationResponse:
    """RUNNING, UPDATING or AUTOSCALING → ROLLING_BACK to the previous version (see the module doc)."""
    application, current = get_for_change(ctx, request.application_name)
    if is_sql(application.runtime_environment):
        raise errors.UnsupportedOperationException(
            "RollbackApplication is supported only for Managed Service for Apache Flink applications"
        )
    state_machine.require(application, state_machine.Action.ROLLBACK)
    check_condition(application, current, request.current_application_version_id, None, required=True)
    rollback = roll_back(ctx.session, application, current, ctx.clock)
    return RollbackApplicationResponse(
        application_detail=application_detail(application, rollback.version),
        operation_id=rollback.operation_id,
    )


def roll_back(
    session: Session,
    application: ApplicationRow,
    current: ApplicationVersionRow,
    clock: Callable[[], datetime],
) -> Rollback:
    """Create the rollback version and operation and hand them to the control loop (ROLLING_BACK).

    ``InvalidRequestException`` without a previous version or a READY snapshot of the application to
    restore (an application snapshot, or an enhanced snapshot taken of it).
    """
    name = application.application_name
    if current.updated_from is None:
        raise errors.InvalidRequestException(f"Application {name} has no previous version to roll back to")
    previous = session.scalars(
        select(ApplicationVersionRow).where(
            ApplicationVersionRow.application_id == application.id,
            ApplicationVersionRow.version_id == current.updated_from,
        )
    ).one()
    snapshots = session.scalar(
        select(func.count())
        .select_from(SnapshotRow)
        .where(SnapshotRow.application_id == application.id, SnapshotRow.status == SnapshotStatus.READY.value)
    ) or session.scalar(
        select(func.count())
        .select_from(EnhancedSnapshotRow)
        .where(
            EnhancedSnapshotRow.source_application_id == application.id,
            EnhancedSnapshotRow.status == SnapshotStatus.READY.value,
        )
    )
    if not snapshots:
        raise errors.InvalidRequestException(f"Application {name} has no snapshot to roll back to")
    now = clock().replace(microsecond=0)
    configuration = copy.deepcopy(previous.configuration)
    run = copy.deepcopy(DEFAULT_RUN_CONFIGURATION)
    run[RESTORE] = {"ApplicationRestoreType": ApplicationRestoreType.RESTORE_FROM_LATEST_SNAPSHOT.value}
    configuration.setdefault(APP_CONFIG, {})[RUN] = run
    version = ApplicationVersionRow(
        application_id=application.id,
        version_id=application.current_version_id + 1,
        status=ApplicationStatus.ROLLING_BACK.value,
        conditional_token=new_token(),
        create_timestamp=now,
        updated_from=None,
        rolled_back_from=current.version_id,
        rolled_back_to=previous.version_id,
        configuration=configuration,
    )
    session.add(version)
    current.status = ApplicationStatus.ROLLED_BACK.value
    operation_id = new_operation_id()
    for superseded in session.scalars(
        select(OperationRow).where(
            OperationRow.application_id == application.id,
            OperationRow.status == OperationStatus.IN_PROGRESS.value,
        )
    ):
        superseded.status = OperationStatus.FAILED.value
        superseded.end_time = now
        superseded.error_string = superseded.error_string or f"Rolled back to version {previous.version_id}"
        superseded.rollback_operation_id = operation_id
    session.add(
        OperationRow(
            application_id=application.id,
            operation_id=operation_id,
            operation="RollbackApplication",
            status=OperationStatus.IN_PROGRESS.value,
            start_time=now,
            version_updated_from=current.version_id,
            version_updated_to=version.version_id,
        )
    )
    state_machine.transition(application, ApplicationStatus.ROLLING_BACK)
    application.current_version_id = version.version_id
    application.last_update_timestamp = now
    application.runtime_environment = configuration["RuntimeEnvironment"]
    deployment = session.scalars(
        select(DeploymentRow).where(DeploymentRow.application_id == application.id)
    ).one_or_none()
    if deployment is not None:
        deployment.operation_id = operation_id  # a step in flight now ends the rollback's operation
    session.flush()
    return Rollback(version=version, operation_id=operation_id)
