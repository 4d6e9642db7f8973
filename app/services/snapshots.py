"""Legacy application snapshots: Create / Describe / List / DeleteApplicationSnapshot (spec §5.1).

The API only writes ``snapshots`` rows; the control loop (``app.control``) does the work on its next
tick: a row left ``CREATING`` becomes a real savepoint of the running job (``READY``) or ``FAILED``; a
row left ``DELETING`` has its savepoint disposed of and disappears. Deleting the application removes
its rows at once (foreign key cascade) and the loop deletes their savepoints with the application's
state. System snapshots (``SYSTEMSNAPSHOT-<epoch ms>``, taken on stop and update) are rows like any
other: listed, described and deletable, and counted against the per-application quota.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from api_models import errors
from api_models.models import (
    ApplicationRestoreType,
    ApplicationStatus,
    CreateApplicationSnapshotRequest,
    CreateApplicationSnapshotResponse,
    DeleteApplicationSnapshotRequest,
    DeleteApplicationSnapshotResponse,
    DescribeApplicationSnapshotRequest,
    DescribeApplicationSnapshotResponse,
    ListApplicationSnapshotsRequest,
    ListApplicationSnapshotsResponse,
    SnapshotDetails,
    SnapshotStatus,
)
from app.db.models import ApplicationRow, ApplicationVersionRow, SnapshotRow
from app.services import state_machine
from app.services.common import (
    DEFAULT_PAGE_SIZE,
    get_for_change,
    next_page_token,
    now,
    parse_int_token,
    repository,
    require_flink,
)
from app.services.configuration.view import VersionView
from app.services.context import RequestContext

RESERVED_PREFIX = "SYSTEMSNAPSHOT"
"""Names starting with this (in any case) are the service's own snapshots (spec §5)."""

_IN_FLIGHT = (SnapshotStatus.CREATING, SnapshotStatus.DELETING)


def create_application_snapshot(
    ctx: RequestContext, request: CreateApplicationSnapshotRequest
) -> CreateApplicationSnapshotResponse:
    """Record a snapshot ``CREATING`` of a RUNNING application; the control loop takes the savepoint."""
    application, version = get_for_change(ctx, request.application_name)
    _require_legacy_snapshots(application, version, "CreateApplicationSnapshot")
    name = request.snapshot_name
    if name.upper().startswith(RESERVED_PREFIX):
        raise errors.InvalidArgumentException(
            f"Snapshot name {name} is not allowed: names starting with {RESERVED_PREFIX} are reserved"
        )
    state_machine.require(application, state_machine.Action.CREATE_SNAPSHOT)
    if not VersionView(version.configuration).snapshots_enabled():
        raise errors.InvalidApplicationConfigurationException(
            f"Snapshots are disabled for application {application.application_name} "
            "(ApplicationSnapshotConfiguration.SnapshotsEnabled is false)"
        )
    if _find(ctx, application, name) is not None:
        raise errors.InvalidArgumentException(
            f"Snapshot {name} already exists for application {application.application_name}"
        )
    quota = ctx.settings.max_snapshots_per_application
    if _count(ctx, application) >= quota:
        raise errors.LimitExceededException(
            f"Application {application.application_name} has reached the limit of {quota} snapshots; "
            "delete snapshots before creating more"
        )
    row = SnapshotRow(
        application_id=application.id,
        snapshot_name=name,
        status=SnapshotStatus.CREATING.value,
        application_version_id=application.current_version_id,
        creation_timestamp=now(ctx),
        runtime_environment=application.runtime_environment,
    )
    ctx.session.add(row)
    try:
        ctx.session.flush()
    except IntegrityError:
        raise errors.InvalidArgumentException(
            f"Snapshot {name} already exists for application {application.application_name}"
        ) from None
    return CreateApplicationSnapshotResponse()


def describe_application_snapshot(
    ctx: RequestContext, request: DescribeApplicationSnapshotRequest
) -> DescribeApplicationSnapshotResponse:
    """One snapshot; ``ResourceNotFoundException`` ("does not exist") for an unknown name."""
    application = repository(ctx).find(request.application_name)
    if application is None:
        raise errors.ResourceNotFoundException(f"Application {request.application_name} does not exist")
    require_flink(application, "DescribeApplicationSnapshot")
    row = _find(ctx, application, request.snapshot_name)
    if row is None:
        raise _snapshot_not_found(application, request.snapshot_name)
    return DescribeApplicationSnapshotResponse(snapshot_details=_details(row))


def list_application_snapshots(
    ctx: RequestContext, request: ListApplicationSnapshotsRequest
) -> ListApplicationSnapshotsResponse:
    """Snapshots in creation order (oldest first), system snapshots included; NextToken is opaque.

    The model lists no ``ResourceNotFoundException`` for this call: an unknown application is an
    ``InvalidArgumentException``.
    """
    application = repository(ctx).find(request.application_name)
    if application is None:
        raise errors.InvalidArgumentException(f"Application {request.application_name} does not exist")
    require_flink(application, "ListApplicationSnapshots")
    limit = request.limit or DEFAULT_PAGE_SIZE
    query = select(SnapshotRow).where(SnapshotRow.application_id == application.id)
    after = parse_int_token(request.next_token)
    if after is not None:
        query = query.where(SnapshotRow.id > after)
    rows = ctx.session.scalars(query.order_by(SnapshotRow.id).limit(limit + 1)).all()
    next_token = next_page_token(rows, limit, lambda row: row.id)
    return ListApplicationSnapshotsResponse(
        snapshot_summaries=[_details(row) for row in rows[:limit]], next_token=next_token
    )


def delete_application_snapshot(
    ctx: RequestContext, request: DeleteApplicationSnapshotRequest
) -> DeleteApplicationSnapshotResponse:
    """READY or FAILED → DELETING; the control loop disposes of the savepoint and removes the row.

    ``SnapshotCreationTimestamp`` must name the snapshot's creation second (Terraform sends RFC 3339
    truncated to seconds, botocore a fractional epoch).
    """
    application, version = get_for_change(ctx, request.application_name)
    require_flink(application, "DeleteApplicationSnapshot")
    name = request.snapshot_name
    row = _find(ctx, application, name)
    if row is None:
        raise _snapshot_not_found(application, name)
    if _whole_seconds(request.snapshot_creation_timestamp) != _whole_seconds(row.creation_timestamp):
        raise errors.InvalidArgumentException(
            f"SnapshotCreationTimestamp {request.snapshot_creation_timestamp.isoformat()} does not match "
            f"the creation time of snapshot {name}"
        )
    if row.status in _IN_FLIGHT:
        raise errors.ResourceInUseException(
            f"Snapshot {name} is in {row.status} status and cannot be deleted now"
        )
    if _restores_from(application, version, name):
        raise errors.ResourceInUseException(
            f"Application {application.application_name} is {application.status} from snapshot {name}"
        )
    row.status = SnapshotStatus.DELETING.value
    return DeleteApplicationSnapshotResponse()


def _require_legacy_snapshots(
    application: ApplicationRow, version: ApplicationVersionRow, operation: str
) -> None:
    require_flink(application, operation)
    if VersionView(version.configuration).enhanced_snapshots():
        raise errors.InvalidApplicationConfigurationException(
            f"Application {application.application_name} uses SnapshotMode ENHANCED_SNAPSHOTS; "
            "use CreateSnapshot"
        )


def _restores_from(application: ApplicationRow, version: ApplicationVersionRow, name: str) -> bool:
    """Whether a start or update in progress is about to restore from snapshot ``name``."""
    if ApplicationStatus(application.status) not in (ApplicationStatus.STARTING, ApplicationStatus.UPDATING):
        return False
    restore = VersionView(version.configuration).restore()
    return (
        restore.restore_type is ApplicationRestoreType.RESTORE_FROM_CUSTOM_SNAPSHOT
        and restore.snapshot_name == name
    )


def _find(ctx: RequestContext, application: ApplicationRow, name: str) -> SnapshotRow | None:
    return ctx.session.scalars(
        select(SnapshotRow).where(
            SnapshotRow.application_id == application.id, SnapshotRow.snapshot_name == name
        )
    ).one_or_none()


def _count(ctx: RequestContext, application: ApplicationRow) -> int:
    query = select(func.count()).select_from(SnapshotRow).where(SnapshotRow.application_id == application.id)
    return int(ctx.session.scalar(query) or 0)


def _snapshot_not_found(application: ApplicationRow, name: str) -> errors.ResourceNotFoundException:
    return errors.ResourceNotFoundException(
        f"Snapshot {name} does not exist for application {application.application_name}"
    )


def _details(row: SnapshotRow) -> SnapshotDetails:
    return SnapshotDetails.model_validate(
        {
            "SnapshotName": row.snapshot_name,
            "SnapshotStatus": row.status,
            "ApplicationVersionId": row.application_version_id,
            "SnapshotCreationTimestamp": row.creation_timestamp,
            "RuntimeEnvironment": row.runtime_environment,
        }
    )


def _whole_seconds(moment: datetime) -> int:
    return int(moment.timestamp() // 1)
