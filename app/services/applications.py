"""Application lifecycle on the control plane: create, describe, list, update, delete, maintenance window."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from api_models import errors
from api_models.models import (
    ApplicationMaintenanceConfigurationDescription,
    ApplicationRestoreType,
    ApplicationStatus,
    ApplicationSummary,
    CreateApplicationRequest,
    CreateApplicationResponse,
    DeleteApplicationRequest,
    DeleteApplicationResponse,
    DescribeApplicationRequest,
    DescribeApplicationResponse,
    ListApplicationsRequest,
    ListApplicationsResponse,
    UpdateApplicationMaintenanceConfigurationRequest,
    UpdateApplicationMaintenanceConfigurationResponse,
    UpdateApplicationRequest,
    UpdateApplicationResponse,
)
from app.db.models import ApplicationRow, ApplicationVersionRow
from app.db.repositories import lock_for_write
from app.services import state_machine
from app.services.common import (
    DEFAULT_PAGE_SIZE,
    change_configuration,
    check_condition,
    code_store,
    get_for_change,
    new_token,
    next_page_token,
    not_found,
    now,
    repository,
)
from app.services.configuration.create import initial_configuration
from app.services.configuration.update import apply_update
from app.services.configuration.view import VersionView
from app.services.configuration.wire import is_sql
from app.services.context import RequestContext
from app.services.details import DetailKey, application_detail
from app.services.enhanced_snapshots import check_restore_target
from app.services.job_plans import JobPlanStore, with_job_plan
from app.services.lifecycle import require_ready_snapshot
from app.services.tags import MAX_USER_TAGS, too_many_tags, unique_tags

MAX_APPLICATIONS_PER_REGION = 100
"""AWS's default quota of applications per account and Region (limits page)."""

DEFAULT_MAINTENANCE_WINDOW_START = "22:00"
MAINTENANCE_WINDOW_HOURS = 8
_WINDOW_START = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")

WITH_JOB = frozenset({"RUNNING", "UPDATING", "AUTOSCALING"})
"""Statuses in which an application has a job whose plan IncludeAdditionalDetails describes."""


def create_application(ctx: RequestContext, request: CreateApplicationRequest) -> CreateApplicationResponse:
    """A new application: READY at version 1, with AWS's defaults."""
    tags = unique_tags(request.tags or [])
    if len(tags) > MAX_USER_TAGS:
        raise too_many_tags()
    lock_for_write(ctx.session)
    repo = repository(ctx)
    name = request.application_name
    if repo.find(name) is not None:
        raise errors.ResourceInUseException(f"Application {name} already exists")
    if repo.count() >= MAX_APPLICATIONS_PER_REGION:
        raise errors.LimitExceededException(
            f"The number of applications in {ctx.scope.region} has reached the limit of "
            f"{MAX_APPLICATIONS_PER_REGION}"
        )
    intake = code_store(ctx)
    configuration = initial_configuration(request, intake)
    intake.save()
    timestamp = now(ctx)
    application = ApplicationRow(
        account_id=ctx.scope.account_id,
        region=ctx.scope.region,
        application_name=name,
        application_arn=ctx.scope.application_arn(name),
        status=state_machine.INITIAL_STATUS.value,
        current_version_id=1,
        runtime_environment=configuration["RuntimeEnvironment"],
        application_mode=configuration["ApplicationMode"],
        create_timestamp=timestamp,
        last_update_timestamp=timestamp,
        maintenance_window_start=DEFAULT_MAINTENANCE_WINDOW_START,
        maintenance_window_end=_window_end(DEFAULT_MAINTENANCE_WINDOW_START),
    )
    try:
        repo.add(application)
    except IntegrityError:
        raise errors.ResourceInUseException(f"Application {name} already exists") from None
    version = ApplicationVersionRow(
        application_id=application.id,
        version_id=1,
        status=application.status,
        conditional_token=new_token(),
        create_timestamp=timestamp,
        configuration=configuration,
    )
    repo.add_version(version)
    repo.put_tags(application, tags)
    return CreateApplicationResponse(application_detail=application_detail(application, version))


def describe_application(
    ctx: RequestContext, request: DescribeApplicationRequest
) -> DescribeApplicationResponse:
    """The current version of an application (one query). ``IncludeAdditionalDetails`` adds the
    job plan once a runtime reports one; without a running job there is nothing more to add."""
    repo = repository(ctx)
    found = repo.current_version(request.application_name)
    if found is None:
        raise not_found(request.application_name)
    detail = ctx.details.get(DetailKey.of_current(found), lambda: repo.configuration(found.version_pk))
    if request.include_additional_details and found.status in WITH_JOB:
        plan = JobPlanStore(ctx.settings.data_dir).read(found.application_arn)
        if plan is not None:
            detail = with_job_plan(detail, plan)
    return DescribeApplicationResponse(application_detail=detail)


def list_applications(ctx: RequestContext, request: ListApplicationsRequest) -> ListApplicationsResponse:
    """Applications of the caller's scope by name; NextToken is the last name returned."""
    limit = request.limit or DEFAULT_PAGE_SIZE
    rows = repository(ctx).page(after_name=request.next_token, limit=limit + 1)
    summaries = [
        ApplicationSummary.model_validate(
            {
                "ApplicationName": row.application_name,
                "ApplicationARN": row.application_arn,
                "ApplicationStatus": row.status,
                "ApplicationVersionId": row.current_version_id,
                "RuntimeEnvironment": row.runtime_environment,
                "ApplicationMode": row.application_mode,
            }
        )
        for row in rows[:limit]
    ]
    next_token = next_page_token(rows, limit, lambda row: row.application_name)
    return ListApplicationsResponse(application_summaries=summaries, next_token=next_token)


def update_application(ctx: RequestContext, request: UpdateApplicationRequest) -> UpdateApplicationResponse:
    """A new version with the requested changes merged into the current configuration.

    Neither CurrentApplicationVersionId nor ConditionalToken is an unconditional update: the AWS
    documentation's own UpdateApplication examples send neither (see docs/coverage.md).
    """
    application, current = get_for_change(ctx, request.application_name)
    state_machine.require(application, state_machine.Action.CONFIGURE)
    check_condition(
        application,
        current,
        request.current_application_version_id,
        request.conditional_token,
        required=False,
    )
    _check_restore_snapshot(ctx, application, current, request)
    intake = code_store(ctx)
    configuration = apply_update(
        current.configuration,
        configuration_update=request.application_configuration_update,
        service_execution_role=request.service_execution_role_update,
        runtime_update=request.runtime_environment_update,
        run_configuration_update=request.run_configuration_update,
        logging_option_updates=request.cloud_watch_logging_option_updates,
        code_store=intake,
    )
    intake.save()
    change = change_configuration(ctx, application, current, configuration, "UpdateApplication")
    return UpdateApplicationResponse(
        application_detail=application_detail(application, change.version), operation_id=change.operation_id
    )


def _check_restore_snapshot(
    ctx: RequestContext,
    application: ApplicationRow,
    current: ApplicationVersionRow,
    request: UpdateApplicationRequest,
) -> None:
    """The snapshot a custom restore names, checked before anything changes.

    In enhanced snapshot mode, ``SnapshotArn`` must name a READY enhanced snapshot the updated runtime can
    restore, whatever the application's status; in legacy mode, a RUNNING application restarts at once
    from ``SnapshotName``, which must be a READY snapshot of the application.
    """
    update = request.run_configuration_update
    restore = update.application_restore_configuration if update is not None else None
    if (
        restore is None
        or restore.application_restore_type is not ApplicationRestoreType.RESTORE_FROM_CUSTOM_SNAPSHOT
    ):
        return
    if VersionView(current.configuration).enhanced_snapshots():
        runtime = request.runtime_environment_update or application.runtime_environment
        check_restore_target(ctx, str(runtime), True, restore.snapshot_name, restore.snapshot_arn)
    elif application.status == ApplicationStatus.RUNNING.value and restore.snapshot_name:
        require_ready_snapshot(ctx, application, restore.snapshot_name)


def delete_application(ctx: RequestContext, request: DeleteApplicationRequest) -> DeleteApplicationResponse:
    """Remove the application with its versions, tags, operations and snapshots.

    ``CreateTimestamp`` must name the application's creation second (compared at whole seconds,
    as Terraform sends RFC 3339 truncated to seconds)."""
    application, _current = get_for_change(ctx, request.application_name)
    if _whole_seconds(request.create_timestamp) != _whole_seconds(application.create_timestamp):
        raise errors.InvalidArgumentException(
            f"CreateTimestamp {request.create_timestamp.isoformat()} does not match the creation time of "
            f"application {application.application_name}"
        )
    state_machine.require(application, state_machine.Action.DELETE)
    state_machine.transition(application, state_machine.S.DELETING)
    repository(ctx).delete(application)
    return DeleteApplicationResponse()


def _whole_seconds(moment: datetime) -> int:
    return int(moment.timestamp() // 1)


def update_application_maintenance_configuration(
    ctx: RequestContext, request: UpdateApplicationMaintenanceConfigurationRequest
) -> UpdateApplicationMaintenanceConfigurationResponse:
    """Move the 8-hour maintenance window; the version does not change."""
    application, _current = get_for_change(ctx, request.application_name)
    if is_sql(application.runtime_environment):
        raise errors.UnsupportedOperationException(
            "UpdateApplicationMaintenanceConfiguration is supported only for "
            "Managed Service for Apache Flink applications"
        )
    state_machine.require(application, state_machine.Action.MAINTENANCE_CONFIGURATION)
    start = (
        request.application_maintenance_configuration_update.application_maintenance_window_start_time_update
    )
    if not _WINDOW_START.fullmatch(start):
        raise errors.InvalidArgumentException(
            f"ApplicationMaintenanceWindowStartTimeUpdate {start} is not HH:MM"
        )
    application.maintenance_window_start = start
    application.maintenance_window_end = _window_end(start)
    return UpdateApplicationMaintenanceConfigurationResponse(
        application_arn=application.application_arn,
        application_maintenance_configuration_description=ApplicationMaintenanceConfigurationDescription(
            application_maintenance_window_start_time=application.maintenance_window_start,
            application_maintenance_window_end_time=application.maintenance_window_end,
        ),
    )


def _window_end(start: str) -> str:
    moment = datetime.strptime(start, "%H:%M") + timedelta(hours=MAINTENANCE_WINDOW_HOURS)
    return moment.strftime("%H:%M")
