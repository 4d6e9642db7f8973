"""StartApplication and StopApplication: check, record the intent and the operation; the control loop acts.

Both calls return with the transient status already set (STARTING, STOPPING or FORCE_STOPPING) and an
IN_PROGRESS operation that is visible at once; ``app.control`` drives the runtime and ends the
operation SUCCESSFUL or FAILED (spec §2, §6). Both hand the application to the control loop (its
deployment row), so even a stop of an application the loop never started is completed by it.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select

from api_models import errors
from api_models.models import (
    ApplicationRestoreType,
    ApplicationStatus,
    OperationStatus,
    RunConfiguration,
    SnapshotStatus,
    StartApplicationRequest,
    StartApplicationResponse,
    StopApplicationRequest,
    StopApplicationResponse,
)
from app.db.deployments import ensure_deployment
from app.db.models import ApplicationRow, ApplicationVersionRow, SnapshotRow
from app.services import state_machine
from app.services.common import get_for_change, new_token, record_operation
from app.services.configuration.view import VersionView
from app.services.configuration.wire import APP_CONFIG, FLINK_RUN, RESTORE, RUN, is_sql, is_zeppelin
from app.services.context import RequestContext
from app.services.enhanced_snapshots import check_restore_target


def start_application(ctx: RequestContext, request: StartApplicationRequest) -> StartApplicationResponse:
    """READY → STARTING; the run configuration in force is recorded as ``RunConfigurationDescription``."""
    application, version = get_for_change(ctx, request.application_name)
    runtime = application.runtime_environment
    if is_sql(runtime) or is_zeppelin(runtime):
        raise errors.UnsupportedOperationException(
            f"msf-local runs Apache Flink applications; {runtime} applications cannot be started"
        )
    state_machine.require(application, state_machine.Action.START)
    view = VersionView(version.configuration)
    if view.code() is None:
        raise errors.InvalidApplicationConfigurationException(
            f"Application {application.application_name} has no application code configuration"
        )
    run = _run_configuration(
        ctx, application, view.start_run_configuration(), request.run_configuration, view.enhanced_snapshots()
    )
    _record_run_configuration(version, run)
    state_machine.transition(application, ApplicationStatus.STARTING)
    ensure_deployment(ctx.session, application, ctx.clock().replace(microsecond=0))
    operation_id = record_operation(ctx, application, "StartApplication", OperationStatus.IN_PROGRESS)
    return StartApplicationResponse(operation_id=operation_id)


def stop_application(ctx: RequestContext, request: StopApplicationRequest) -> StopApplicationResponse:
    """RUNNING → STOPPING (with a system snapshot if enabled); ``Force`` → FORCE_STOPPING, no snapshot."""
    application, _version = get_for_change(ctx, request.application_name)
    force = bool(request.force)
    if force and is_sql(application.runtime_environment):
        raise errors.InvalidArgumentException("Force is not supported for SQL applications")
    action = state_machine.Action.FORCE_STOP if force else state_machine.Action.STOP
    state_machine.require(application, action)
    target = ApplicationStatus.FORCE_STOPPING if force else ApplicationStatus.STOPPING
    state_machine.transition(application, target)
    ensure_deployment(ctx.session, application, ctx.clock().replace(microsecond=0))
    operation_id = record_operation(ctx, application, "StopApplication", OperationStatus.IN_PROGRESS)
    return StopApplicationResponse(operation_id=operation_id)


def _run_configuration(
    ctx: RequestContext,
    application: ApplicationRow,
    current: dict[str, Any],
    requested: RunConfiguration | None,
    enhanced: bool,
) -> dict[str, Any]:
    """The RunConfigurationDescription for this start: each member given wins, else the one in force."""
    run = copy.deepcopy(current)
    if requested is not None:
        if requested.sql_run_configurations:
            raise errors.InvalidArgumentException("SqlRunConfigurations apply only to SQL applications")
        restore = requested.application_restore_configuration
        if restore is not None:
            run[RESTORE] = restore.model_dump(mode="json", by_alias=True, exclude_none=True)
        flink = requested.flink_run_configuration
        if flink is not None:
            run[FLINK_RUN] = {"AllowNonRestoredState": bool(flink.allow_non_restored_state)}
    in_force = run.get(RESTORE, {})
    if in_force.get("ApplicationRestoreType") == ApplicationRestoreType.RESTORE_FROM_CUSTOM_SNAPSHOT.value:
        name, arn = in_force.get("SnapshotName"), in_force.get("SnapshotArn")
        check_restore_target(ctx, application.runtime_environment, enhanced, name, arn)
        if not enhanced:
            require_ready_snapshot(ctx, application, str(name))
    return run


def require_ready_snapshot(ctx: RequestContext, application: ApplicationRow, name: str) -> None:
    """``InvalidArgumentException`` unless ``name`` is a READY snapshot of ``application``."""
    snapshot = ctx.session.scalars(
        select(SnapshotRow).where(
            SnapshotRow.application_id == application.id, SnapshotRow.snapshot_name == name
        )
    ).one_or_none()
    if snapshot is None or snapshot.status != SnapshotStatus.READY:
        raise errors.InvalidArgumentException(
            f"Snapshot {name} does not exist for application {application.application_name} or is not READY"
        )


def _record_run_configuration(version: ApplicationVersionRow, run: dict[str, Any]) -> None:
    """Start does not create a version: the run configuration is recorded on the current one.

    When it changes, so does the version's ConditionalToken: the token names the configuration a
    caller saw (and keys the DescribeApplication cache, whose entries must never go stale).
    """
    if version.configuration.get(APP_CONFIG, {}).get(RUN) == run:
        return
    configuration = copy.deepcopy(version.configuration)
    configuration.setdefault(APP_CONFIG, {})[RUN] = run
    version.configuration = configuration
    version.conditional_token = new_token()
