"""ExportSnapshot and ImportSnapshot: enhanced snapshots to and from S3 (spec §5.3).

An export copies a READY snapshot's savepoint to ``s3://<bucket>/<KeyPrefix><operation id>/`` (the
``ExportedPrefix`` of its operation); an import creates a CREATING snapshot from the savepoint under
``s3://<bucket>/<KeyPrefix>``. Both are answered at once with an IN_PROGRESS operation; the control
loop does the copy through the configured S3 endpoint (the embedded S3 by default) in the caller's
account. Neither needs an application, and neither can be cancelled.
"""

from __future__ import annotations

import re

from sqlalchemy import select

from api_models import errors
from api_models.models import (
    ExportSnapshotRequest,
    ExportSnapshotResponse,
    ImportSnapshotRequest,
    ImportSnapshotResponse,
    S3PrefixLocation,
    SnapshotEncryptionConfiguration,
    SnapshotInitiator,
    SnapshotInitiatorOperation,
    SnapshotOperation,
    SnapshotOperationStatus,
    SnapshotStatus,
)
from app.db.models import EnhancedSnapshotRow, SnapshotOperationRow
from app.db.repositories import lock_for_write
from app.services.common import now
from app.services.context import RequestContext
from app.services.enhanced_snapshots import (
    DEFAULT_ENCRYPTION,
    check_new_name,
    check_tags,
    get_snapshot,
    insert_snapshot,
    snapshot_arn,
)
from app.services.snapshot_operations import record_snapshot_operation

_BUCKET_ARN = re.compile(r"^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$")


def bucket_name(bucket_arn: str) -> str:
    """The bucket of an S3 bucket ARN (``arn:aws:s3:::<bucket>``)."""
    match = _BUCKET_ARN.match(bucket_arn)
    if match is None:
        raise errors.InvalidArgumentException(
            f"BucketARN {bucket_arn} is not the ARN of an S3 bucket (arn:aws:s3:::<bucket name>)"
        )
    return match[1]


def export_snapshot(ctx: RequestContext, request: ExportSnapshotRequest) -> ExportSnapshotResponse:
    """Start copying a READY snapshot to S3; one export at a time per snapshot."""
    destination = request.export_destination_configuration
    _check_location(destination.destination_s3_prefix_location)
    row = get_snapshot(ctx, request.snapshot_name, for_change=True)
    if row.status != SnapshotStatus.READY.value:
        raise errors.ResourceInUseException(
            f"Snapshot {row.snapshot_name} is in {row.status} status; only READY snapshots can be exported"
        )
    running = ctx.session.scalar(
        select(SnapshotOperationRow.operation_id).where(
            SnapshotOperationRow.snapshot_id == row.id,
            SnapshotOperationRow.operation == SnapshotOperation.EXPORTSNAPSHOT.value,
            SnapshotOperationRow.status == SnapshotOperationStatus.IN_PROGRESS.value,
        )
    )
    if running is not None:
        raise errors.LimitExceededException(
            f"Export {running} of snapshot {row.snapshot_name} is in progress; a snapshot allows one export "
            "at a time"
        )
    location = destination.destination_s3_prefix_location
    operation = record_snapshot_operation(
        ctx.session,
        row,
        SnapshotOperation.EXPORTSNAPSHOT,
        now(ctx),
        bucket_arn=location.bucket_arn,
        key_prefix=location.key_prefix,
        destination_encryption=_encryption(destination.destination_encryption_configuration),
    )
    return ExportSnapshotResponse(
        snapshot_operation_id=operation.operation_id,
        snapshot_operation_status=SnapshotOperationStatus.IN_PROGRESS,
    )


def import_snapshot(ctx: RequestContext, request: ImportSnapshotRequest) -> ImportSnapshotResponse:
    """A CREATING snapshot whose savepoint the control loop copies from S3 and verifies."""
    source = request.import_source_configuration
    _check_location(source.source_s3_prefix_location)
    lock_for_write(ctx.session)
    check_new_name(ctx, request.snapshot_name)
    tags = check_tags(request.tags)
    location = source.source_s3_prefix_location
    encryption = _encryption(request.destination_encryption_configuration)
    row = EnhancedSnapshotRow(
        account_id=ctx.scope.account_id,
        region=ctx.scope.region,
        snapshot_name=request.snapshot_name,
        snapshot_arn=snapshot_arn(ctx.scope, request.snapshot_name),
        description=request.snapshot_description,
        status=SnapshotStatus.CREATING.value,
        creation_timestamp=now(ctx),
        size_bytes=0,
        initiator=SnapshotInitiator.USER.value,
        initiator_operation=SnapshotInitiatorOperation.IMPORTSNAPSHOT.value,
        source_bucket_arn=location.bucket_arn,
        source_key_prefix=location.key_prefix,
        encryption=encryption,
        tags=tags,
    )
    insert_snapshot(ctx, row)
    operation = record_snapshot_operation(
        ctx.session,
        row,
        SnapshotOperation.IMPORTSNAPSHOT,
        now(ctx),
        bucket_arn=location.bucket_arn,
        key_prefix=location.key_prefix,
        source_encryption=_encryption(source.source_encryption_configuration),
        destination_encryption=encryption,
    )
    return ImportSnapshotResponse(
        snapshot_arn=row.snapshot_arn,
        snapshot_status=SnapshotStatus.CREATING,
        snapshot_operation_id=operation.operation_id,
        snapshot_operation_status=SnapshotOperationStatus.IN_PROGRESS,
    )


def _check_location(location: S3PrefixLocation) -> None:
    bucket_name(location.bucket_arn)
    if location.key_prefix.startswith("/"):
        raise errors.InvalidArgumentException(f"KeyPrefix {location.key_prefix} must not start with '/'")


def _encryption(given: SnapshotEncryptionConfiguration | None) -> dict[str, str]:
    """The encryption configuration as described: the one given, else an AWS owned key."""
    if given is None:
        return dict(DEFAULT_ENCRYPTION)
    if given.key_type.value == "CUSTOMER_MANAGED_KEY" and not given.key_id:
        raise errors.InvalidArgumentException("KeyType CUSTOMER_MANAGED_KEY requires KeyId (the key's ARN)")
    described: dict[str, str] = given.model_dump(mode="json", by_alias=True, exclude_none=True)
    return described
