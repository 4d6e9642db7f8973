"""Enhanced snapshots: CreateSnapshot, DescribeSnapshot, ListSnapshots, DeleteSnapshot (spec §5.2, §5.3).

An enhanced snapshot is a savepoint kept as a resource of the account and Region, not of the
application: its ARN is ``arn:aws:kinesisanalytics:<region>:<account>:snapshot/<name>``, its name is
unique in the scope and stays reserved in every status (FAILED included) until it is deleted, and it
outlives the application it was taken from. Names starting with ``SYSTEMSNAPSHOT`` (any case) are the
service's own. The API writes rows and operations; the control loop (``app.control.enhanced_snapshots``)
takes the savepoint of a CREATING snapshot, copies imports and exports, and disposes of DELETING ones.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api_models import errors
from api_models.models import (
    ApplicationStatus,
    CreateSnapshotRequest,
    CreateSnapshotResponse,
    DeleteSnapshotRequest,
    DeleteSnapshotResponse,
    DescribeSnapshotRequest,
    DescribeSnapshotResponse,
    ListSnapshotsRequest,
    ListSnapshotsResponse,
    SnapshotInfo,
    SnapshotInfoDetails,
    SnapshotInitiator,
    SnapshotInitiatorOperation,
    SnapshotOperation,
    SnapshotOperationStatus,
    SnapshotStatus,
    Tag,
)
from app.db.models import ApplicationRow, ApplicationVersionRow, EnhancedSnapshotRow
from app.db.repositories import lock_for_write
from app.services.common import (
    DEFAULT_PAGE_SIZE,
    next_page_token,
    now,
    parse_int_token,
    repository,
)
from app.services.configuration.flink import check_custom_restore
from app.services.configuration.view import VersionView
from app.services.configuration.wire import APP_CONFIG, is_sql, is_zeppelin, supports_enhanced_snapshots
from app.services.context import RequestContext, Scope
from app.services.snapshot_operations import record_snapshot_operation
from app.services.tags import MAX_USER_TAGS, too_many_tags, unique_tags

RESERVED_PREFIX = "SYSTEMSNAPSHOT"
"""Enhanced snapshot names starting with this (in any case) are reserved for system snapshots."""

ENHANCED = "ENHANCED_SNAPSHOTS"
DEFAULT_ENCRYPTION = {"KeyType": "AWS_OWNED_KEY"}


def snapshot_arn(scope: Scope, name: str) -> str:
    """``arn:aws:kinesisanalytics:<region>:<account>:snapshot/<name>`` (no application in it)."""
    return f"arn:aws:kinesisanalytics:{scope.region}:{scope.account_id}:snapshot/{name}"


def require_flink(application: ApplicationRow, operation: str) -> None:
    """UnsupportedOperationException where enhanced snapshots are not offered: SQL and Studio applications."""
    runtime = application.runtime_environment
    if is_sql(runtime) or is_zeppelin(runtime):
        raise errors.UnsupportedOperationException(
            f"{operation} is not supported for {runtime} applications; enhanced snapshots need Apache Flink"
        )


def require_enhanced_mode(
    application: ApplicationRow, version: ApplicationVersionRow, operation: str
) -> None:
    """InvalidApplicationConfigurationException for Flink before 1.20 or an application in legacy mode."""
    runtime = application.runtime_environment
    if not supports_enhanced_snapshots(runtime):
        raise errors.InvalidApplicationConfigurationException(
            f"{operation} requires Apache Flink 1.20 or later; application {application.application_name} "
            f"runs {runtime}"
        )
    if not VersionView(version.configuration).enhanced_snapshots():
        raise errors.InvalidApplicationConfigurationException(
            f"Application {application.application_name} does not use SnapshotMode {ENHANCED}; "
            "use CreateApplicationSnapshot, or upgrade it with UpdateApplication (SnapshotModeUpdate)"
        )


def check_restore_target(
    ctx: RequestContext, runtime: str, enhanced: bool, name: str | None, arn: str | None
) -> None:
    """RESTORE_FROM_CUSTOM_SNAPSHOT of a start or update: the rules of ``check_custom_restore``, and in
    enhanced mode ``SnapshotArn`` names a READY enhanced snapshot this application can restore."""
    check_custom_restore(enhanced, name, arn)
    if enhanced and arn:
        check_restore_arn(ctx, runtime, arn)


_SNAPSHOT_ARN = re.compile(
    r"^arn:aws[a-z-]*:kinesisanalytics:([a-z0-9-]+):(\d{12}):snapshot/([a-zA-Z0-9_.-]+)$"
)


def check_restore_arn(ctx: RequestContext, runtime: str, arn: str) -> EnhancedSnapshotRow:
    """The enhanced snapshot an application running ``runtime`` restores from by ``SnapshotArn``.

    InvalidArgumentException for an ARN that is not an enhanced snapshot's, one of another account or
    Region, a snapshot that is not READY or was taken by a newer Apache Flink; ResourceNotFoundException
    for a snapshot that does not exist.
    """
    match = _SNAPSHOT_ARN.match(arn)
    if match is None:
        raise errors.InvalidArgumentException(
            f"SnapshotArn {arn} is not the ARN of an enhanced snapshot "
            "(arn:aws:kinesisanalytics:<region>:<account>:snapshot/<name>)"
        )
    region, account, name = match.groups()
    if (account, region) != (ctx.scope.account_id, ctx.scope.region):
        raise errors.InvalidArgumentException(
            f"Snapshot {arn} is not in account {ctx.scope.account_id} and Region {ctx.scope.region}: "
            "an application restores only enhanced snapshots of its own account and Region"
        )
    row = find_snapshot(ctx.session, ctx.scope, name)
    if row is None:
        raise errors.ResourceNotFoundException(f"Snapshot {arn} does not exist")
    if row.status != SnapshotStatus.READY.value:
        raise errors.InvalidArgumentException(
            f"Snapshot {arn} is in {row.status} status; an application restores only READY snapshots"
        )
    taken_by = row.runtime_environment
    if taken_by is not None and _flink_version(taken_by) > _flink_version(runtime):
        raise errors.InvalidArgumentException(
            f"Snapshot {arn} was taken by {taken_by}; an application on {runtime} cannot restore it"
        )
    return row


def _flink_version(runtime: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", runtime))


def check_new_name(ctx: RequestContext, name: str) -> None:
    """A user-chosen name: not reserved for system snapshots, not taken in this account and Region."""
    if name.upper().startswith(RESERVED_PREFIX):
        raise errors.InvalidArgumentException(
            f"Snapshot name {name} is not allowed: names starting with {RESERVED_PREFIX} are reserved "
            "for system snapshots"
        )
    if find_snapshot(ctx.session, ctx.scope, name) is not None:
        raise name_taken(name)


def check_tags(tags: list[Tag] | None) -> dict[str, str]:
    """The tags as a dict; TooManyTagsException beyond 50 user tags."""
    wanted = unique_tags(tags or [])
    if len(wanted) > MAX_USER_TAGS:
        raise too_many_tags()
    return wanted


def name_taken(name: str) -> errors.ResourceInUseException:
    return errors.ResourceInUseException(
        f"Snapshot name {name} is in use: names stay reserved until the snapshot is deleted"
    )


def insert_snapshot(ctx: RequestContext, row: EnhancedSnapshotRow) -> None:
    """Add a new snapshot row; a name taken concurrently is a ResourceInUseException."""
    ctx.session.add(row)
    try:
        ctx.session.flush()
    except IntegrityError:
        raise name_taken(row.snapshot_name) from None


def find_snapshot(
    session: Session, scope: Scope, name: str, *, for_update: bool = False
) -> EnhancedSnapshotRow | None:
    query = select(EnhancedSnapshotRow).where(
        EnhancedSnapshotRow.account_id == scope.account_id,
        EnhancedSnapshotRow.region == scope.region,
        EnhancedSnapshotRow.snapshot_name == name,
    )
    if for_update:
        query = query.with_for_update()
    return session.scalars(query).one_or_none()


def get_snapshot(ctx: RequestContext, name: str, *, for_change: bool = False) -> EnhancedSnapshotRow:
    """The named snapshot (locked for a change); ResourceNotFoundException if there is none."""
    if for_change:
        lock_for_write(ctx.session)
    row = find_snapshot(ctx.session, ctx.scope, name, for_update=for_change)
    if row is None:
        raise errors.ResourceNotFoundException(f"Snapshot {name} does not exist")
    return row


def create_snapshot(ctx: RequestContext, request: CreateSnapshotRequest) -> CreateSnapshotResponse:
    """A CREATING snapshot of a RUNNING enhanced-mode application; the control loop takes the savepoint.

    The model lists no ResourceNotFoundException here: an unknown application is an invalid argument.
    ``SnapshotsEnabled`` does not matter (it governs only system snapshots).
    """
    lock_for_write(ctx.session)
    repo = repository(ctx)
    application = repo.find(request.application_name, for_update=True)
    if application is None:
        raise errors.InvalidArgumentException(f"Application {request.application_name} does not exist")
    version = repo.version(application, application.current_version_id)
    assert version is not None
    require_flink(application, "CreateSnapshot")
    if ApplicationStatus(application.status) is not ApplicationStatus.RUNNING:
        raise errors.ResourceInUseException(
            f"Application {application.application_name} is in {application.status} status; "
            "CreateSnapshot is allowed only in RUNNING status"
        )
    require_enhanced_mode(application, version, "CreateSnapshot")
    check_new_name(ctx, request.snapshot_name)
    tags = check_tags(request.tags)
    creating = ctx.session.scalar(
        select(EnhancedSnapshotRow.snapshot_name).where(
            EnhancedSnapshotRow.source_application_id == application.id,
            EnhancedSnapshotRow.status == SnapshotStatus.CREATING.value,
        )
    )
    if creating is not None:
        raise errors.LimitExceededException(
            f"Snapshot {creating} of application {application.application_name} is being created; "
            "an application allows one snapshot creation at a time"
        )
    row = new_application_snapshot(
        ctx.scope,
        application,
        version,
        request.snapshot_name,
        now(ctx),
        initiator=SnapshotInitiator.USER,
        description=request.snapshot_description,
        tags=tags,
    )
    insert_snapshot(ctx, row)
    operation = record_snapshot_operation(ctx.session, row, SnapshotOperation.CREATESNAPSHOT, now(ctx))
    return CreateSnapshotResponse(
        snapshot_arn=row.snapshot_arn,
        snapshot_status=SnapshotStatus.CREATING,
        snapshot_operation_id=operation.operation_id,
        snapshot_operation_status=SnapshotOperationStatus.IN_PROGRESS,
    )


def new_application_snapshot(
    scope: Scope,
    application: ApplicationRow,
    version: ApplicationVersionRow,
    name: str,
    created: datetime,
    *,
    initiator: SnapshotInitiator,
    description: str | None = None,
    tags: dict[str, str] | None = None,
) -> EnhancedSnapshotRow:
    """A CREATING snapshot row of ``application`` as of ``version`` (user or system initiated)."""
    encryption = version.configuration.get(APP_CONFIG, {}).get(
        "ApplicationEncryptionConfigurationDescription"
    )
    return EnhancedSnapshotRow(
        account_id=scope.account_id,
        region=scope.region,
        snapshot_name=name,
        snapshot_arn=snapshot_arn(scope, name),
        description=description,
        status=SnapshotStatus.CREATING.value,
        creation_timestamp=created,
        runtime_environment=application.runtime_environment,
        size_bytes=0,
        initiator=initiator.value,
        initiator_operation=(
            SnapshotInitiatorOperation.CREATESNAPSHOT
            if initiator is SnapshotInitiator.USER
            else SnapshotInitiatorOperation.SYSTEMCREATESNAPSHOT
        ).value,
        source_application_id=application.id,
        source_application_name=application.application_name,
        source_application_created=application.create_timestamp,
        source_application_version_id=version.version_id,
        encryption=dict(encryption) if encryption else dict(DEFAULT_ENCRYPTION),
        tags=tags or {},
    )


def describe_snapshot(ctx: RequestContext, request: DescribeSnapshotRequest) -> DescribeSnapshotResponse:
    """One snapshot; ResourceNotFoundException for an unknown name."""
    return DescribeSnapshotResponse(
        snapshot_info_details=snapshot_details(get_snapshot(ctx, request.snapshot_name))
    )


def list_snapshots(ctx: RequestContext, request: ListSnapshotsRequest) -> ListSnapshotsResponse:
    """Snapshots of the account and Region, newest first, with at most one filter."""
    filters = {
        EnhancedSnapshotRow.source_application_name: request.source_application_name,
        EnhancedSnapshotRow.initiator: request.snapshot_initiator,
        EnhancedSnapshotRow.initiator_operation: request.snapshot_initiator_operation,
        EnhancedSnapshotRow.status: request.snapshot_status,
    }
    given = {column: value for column, value in filters.items() if value is not None}
    if len(given) > 1:
        raise errors.InvalidArgumentException(
            "Specify at most one of SourceApplicationName, SnapshotInitiator, SnapshotInitiatorOperation "
            "and SnapshotStatus"
        )
    query = select(EnhancedSnapshotRow).where(
        EnhancedSnapshotRow.account_id == ctx.scope.account_id, EnhancedSnapshotRow.region == ctx.scope.region
    )
    for column, value in given.items():
        query = query.where(column == str(value))
    after = parse_int_token(request.next_token)
    if after is not None:
        query = query.where(EnhancedSnapshotRow.id < after)
    limit = request.limit or DEFAULT_PAGE_SIZE
    # Rows are numbered in creation order, so id order is creation-time order.
    rows = ctx.session.scalars(query.order_by(EnhancedSnapshotRow.id.desc()).limit(limit + 1)).all()
    return ListSnapshotsResponse(
        snapshot_info_list=[_info(row) for row in rows[:limit]],
        next_token=next_page_token(rows, limit, lambda row: row.id),
    )


def delete_snapshot(ctx: RequestContext, request: DeleteSnapshotRequest) -> DeleteSnapshotResponse:
    """READY or FAILED → DELETING; the control loop waits for running exports, then disposes of it."""
    row = get_snapshot(ctx, request.snapshot_name, for_change=True)
    if _whole_seconds(request.snapshot_creation_timestamp) != _whole_seconds(row.creation_timestamp):
        raise errors.InvalidArgumentException(
            f"SnapshotCreationTimestamp {request.snapshot_creation_timestamp.isoformat()} does not match "
            f"the creation time of snapshot {row.snapshot_name}"
        )
    if row.status not in (SnapshotStatus.READY.value, SnapshotStatus.FAILED.value):
        raise errors.ResourceInUseException(
            f"Snapshot {row.snapshot_name} is in {row.status} status; only READY or FAILED snapshots "
            "can be deleted"
        )
    row.status = SnapshotStatus.DELETING.value
    operation = record_snapshot_operation(ctx.session, row, SnapshotOperation.DELETESNAPSHOT, now(ctx))
    return DeleteSnapshotResponse(
        snapshot_arn=row.snapshot_arn,
        snapshot_status=SnapshotStatus.DELETING,
        snapshot_operation_id=operation.operation_id,
        snapshot_operation_status=SnapshotOperationStatus.IN_PROGRESS,
    )


def snapshot_details(row: EnhancedSnapshotRow) -> SnapshotInfoDetails:
    source: dict[str, Any]
    if row.source_bucket_arn is not None:
        source = {
            "S3PrefixLocation": {"BucketARN": row.source_bucket_arn, "KeyPrefix": row.source_key_prefix}
        }
    else:
        source = {
            "SourceApplicationDescription": {
                "ApplicationName": row.source_application_name,
                "ApplicationCreationTimestamp": row.source_application_created,
                "ApplicationVersionId": row.source_application_version_id,
            }
        }
    values: dict[str, Any] = {
        "SnapshotName": row.snapshot_name,
        "SnapshotArn": row.snapshot_arn,
        "SnapshotDescription": row.description,
        "SnapshotStatus": row.status,
        "SnapshotCreationTimestamp": row.creation_timestamp,
        "RuntimeEnvironment": row.runtime_environment,
        "SnapshotSizeInBytes": row.size_bytes,
        "SnapshotEncryptionConfigurationDescription": row.encryption,
        "SnapshotInitiator": row.initiator,
        "SnapshotInitiatorOperation": row.initiator_operation,
        "SnapshotSourceDescription": source,
        "SnapshotFormat": "CANONICAL",
    }
    return SnapshotInfoDetails.model_validate(
        {key: value for key, value in values.items() if value is not None}
    )


def _info(row: EnhancedSnapshotRow) -> SnapshotInfo:
    values: dict[str, Any] = {
        "SnapshotName": row.snapshot_name,
        "SnapshotArn": row.snapshot_arn,
        "SnapshotStatus": row.status,
        "SnapshotCreationTimestamp": row.creation_timestamp,
        "SnapshotInitiator": row.initiator,
        "SnapshotInitiatorOperation": row.initiator_operation,
        "SourceApplicationName": row.source_application_name,
        "SnapshotFormat": "CANONICAL",
    }
    return SnapshotInfo.model_validate({key: value for key, value in values.items() if value is not None})


def _whole_seconds(moment: datetime) -> int:
    return int(moment.timestamp() // 1)
