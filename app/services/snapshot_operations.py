"""Operations on enhanced snapshots: DescribeSnapshotOperation, ListSnapshotOperations (spec §5.3).

Every enhanced-snapshot call that starts work (CreateSnapshot, DeleteSnapshot, ExportSnapshot,
ImportSnapshot, and the system snapshots the control loop takes) records one operation here,
IN_PROGRESS until the control loop ends it SUCCESSFUL or FAILED with an ``ErrorInfo``. Operations are
found by the snapshot's name: those of the current snapshot of that name, or, once it has been
deleted, those of the last snapshot that had it (so a DeleteSnapshot stays describable).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api_models import errors
from api_models.models import (
    DescribeSnapshotOperationRequest,
    DescribeSnapshotOperationResponse,
    ListSnapshotOperationsRequest,
    ListSnapshotOperationsResponse,
    SnapshotOperation,
    SnapshotOperationInfo,
    SnapshotOperationInfoDetails,
    SnapshotOperationStatus,
)
from app.db.models import EnhancedSnapshotRow, SnapshotOperationRow
from app.services.common import DEFAULT_PAGE_SIZE, new_operation_id, next_page_token, parse_int_token
from app.services.context import RequestContext, Scope


def record_snapshot_operation(
    session: Session,
    snapshot: EnhancedSnapshotRow,
    operation: SnapshotOperation,
    started: datetime,
    **details: Any,
) -> SnapshotOperationRow:
    """Insert an IN_PROGRESS operation on ``snapshot`` (visible once the transaction commits)."""
    row = SnapshotOperationRow(
        account_id=snapshot.account_id,
        region=snapshot.region,
        snapshot_id=snapshot.id,
        snapshot_name=snapshot.snapshot_name,
        snapshot_arn=snapshot.snapshot_arn,
        operation_id=new_operation_id(),
        operation=operation.value,
        status=SnapshotOperationStatus.IN_PROGRESS.value,
        start_time=started,
        **details,
    )
    session.add(row)
    session.flush()
    return row


def finish_snapshot_operation(
    row: SnapshotOperationRow,
    ended: datetime,
    *,
    error_code: str | None = None,
    error: str | None = None,
) -> None:
    """End an operation: SUCCESSFUL, or FAILED with ``error_code`` and ``error`` as its ErrorInfo."""
    row.status = (
        SnapshotOperationStatus.FAILED if error is not None else SnapshotOperationStatus.SUCCESSFUL
    ).value
    row.end_time = ended
    row.error_code = error_code if error is not None else None
    row.error_string = error


def describe_snapshot_operation(
    ctx: RequestContext, request: DescribeSnapshotOperationRequest
) -> DescribeSnapshotOperationResponse:
    """One operation of the named snapshot; ResourceNotFoundException for an unknown one."""
    snapshot_id = _snapshot_id(ctx.session, ctx.scope, request.snapshot_name)
    row = ctx.session.scalars(
        select(SnapshotOperationRow).where(
            SnapshotOperationRow.snapshot_id == snapshot_id,
            SnapshotOperationRow.operation_id == request.snapshot_operation_id,
        )
    ).one_or_none()
    if row is None:
        raise errors.ResourceNotFoundException(
            f"Snapshot operation {request.snapshot_operation_id} of snapshot {request.snapshot_name} "
            "does not exist"
        )
    return DescribeSnapshotOperationResponse(snapshot_operation_info_details=_details(row))


def list_snapshot_operations(
    ctx: RequestContext, request: ListSnapshotOperationsRequest
) -> ListSnapshotOperationsResponse:
    """Operations of the named snapshot, newest first, filtered by type or by status (not both)."""
    if request.snapshot_operation is not None and request.snapshot_operation_status is not None:
        raise errors.InvalidArgumentException(
            "Specify at most one of SnapshotOperation and SnapshotOperationStatus"
        )
    snapshot_id = _snapshot_id(ctx.session, ctx.scope, request.snapshot_name)
    query = select(SnapshotOperationRow).where(SnapshotOperationRow.snapshot_id == snapshot_id)
    if request.snapshot_operation is not None:
        query = query.where(SnapshotOperationRow.operation == request.snapshot_operation.value)
    if request.snapshot_operation_status is not None:
        query = query.where(SnapshotOperationRow.status == request.snapshot_operation_status.value)
    after = parse_int_token(request.next_token)
    if after is not None:
        query = query.where(SnapshotOperationRow.id < after)
    limit = request.limit or DEFAULT_PAGE_SIZE
    rows = ctx.session.scalars(query.order_by(SnapshotOperationRow.id.desc()).limit(limit + 1)).all()
    infos = [
        SnapshotOperationInfo.model_validate(
            _without_none(
                {
                    "SnapshotOperationId": row.operation_id,
                    "SnapshotOperation": row.operation,
                    "SnapshotOperationStatus": row.status,
                    "StartTime": row.start_time,
                    "EndTime": row.end_time,
                }
            )
        )
        for row in rows[:limit]
    ]
    return ListSnapshotOperationsResponse(
        snapshot_operation_info_list=infos, next_token=next_page_token(rows, limit, lambda row: row.id)
    )


def _snapshot_id(session: Session, scope: Scope, name: str) -> int:
    """The id of the snapshot named ``name``, or of the last deleted one that had operations."""
    current = session.scalar(
        select(EnhancedSnapshotRow.id).where(
            EnhancedSnapshotRow.account_id == scope.account_id,
            EnhancedSnapshotRow.region == scope.region,
            EnhancedSnapshotRow.snapshot_name == name,
        )
    )
    if current is not None:
        return int(current)
    previous = session.scalar(
        select(func.max(SnapshotOperationRow.snapshot_id)).where(
            SnapshotOperationRow.account_id == scope.account_id,
            SnapshotOperationRow.region == scope.region,
            SnapshotOperationRow.snapshot_name == name,
        )
    )
    if previous is None:
        raise errors.ResourceNotFoundException(f"Snapshot {name} does not exist")
    return int(previous)


def _details(row: SnapshotOperationRow) -> SnapshotOperationInfoDetails:
    values: dict[str, Any] = {
        "SnapshotOperationId": row.operation_id,
        "SnapshotOperation": row.operation,
        "SnapshotOperationStatus": row.status,
        "SnapshotArn": row.snapshot_arn,
        "StartTime": row.start_time,
        "EndTime": row.end_time,
    }
    if row.application_operation_id is not None:
        values["ApplicationOperationDescription"] = {
            "ApplicationOperationId": row.application_operation_id,
            "ApplicationName": row.application_name,
        }
    location = (
        {"BucketARN": row.bucket_arn, "KeyPrefix": row.key_prefix}
        if row.bucket_arn and row.key_prefix
        else None
    )
    if location is not None and row.operation == SnapshotOperation.IMPORTSNAPSHOT.value:
        values["SnapshotSourceLocationDescription"] = {"LocationType": "S3", "S3PrefixLocation": location}
    if (
        location is not None
        and row.operation == SnapshotOperation.EXPORTSNAPSHOT.value
        and row.exported_prefix is not None
    ):
        values["SnapshotDestinationLocationDescription"] = {
            "LocationType": "S3",
            "S3PrefixLocation": {**location, "ExportedPrefix": row.exported_prefix},
        }
    if row.source_encryption is not None:
        values["SourceEncryptionConfigurationDescription"] = row.source_encryption
    if row.destination_encryption is not None:
        values["DestinationEncryptionConfigurationDescription"] = row.destination_encryption
    if row.status == SnapshotOperationStatus.FAILED.value:
        values["SnapshotOperationFailureDetails"] = {
            "ErrorInfo": _without_none({"ErrorCode": row.error_code, "ErrorString": row.error_string})
        }
    return SnapshotOperationInfoDetails.model_validate(_without_none(values))


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}
