"""Where the application lifecycle meets enhanced snapshots: restore points and system snapshots.

For an application in ``ENHANCED_SNAPSHOTS`` mode the snapshot reconciler asks here:

- where a start or update restores from: ``RESTORE_FROM_CUSTOM_SNAPSHOT`` with a ``SnapshotArn`` names a
  READY enhanced snapshot of the account and Region, whichever application it came from (or an import);
  ``RESTORE_FROM_LATEST_SNAPSHOT`` is the newest READY enhanced snapshot taken of this application;
- how a stop, update or scale records its savepoint: a ``SYSTEMSNAPSHOT-<epoch ms>`` snapshot, CREATING
  with a ``SystemCreateSnapshot`` operation that names the application operation causing it, written in
  the snapshot's own folder (it outlives the application), then READY or FAILED with the savepoint.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from api_models.models import (
    ApplicationRestoreType,
    SnapshotInitiator,
    SnapshotOperation,
    SnapshotOperationStatus,
    SnapshotStatus,
)
from app.db.models import ApplicationRow, ApplicationVersionRow, EnhancedSnapshotRow, SnapshotOperationRow
from app.services.configuration.view import RestoreRequest
from app.services.context import Scope
from app.services.enhanced_snapshots import RESERVED_PREFIX, new_application_snapshot
from app.services.snapshot_operations import finish_snapshot_operation, record_snapshot_operation
from runtime_adapter.base import RestorePoint

SYSTEM_SNAPSHOT_PREFIX = f"{RESERVED_PREFIX}-"
FILE_SCHEME = "file://"


def snapshot_dir(data_dir: Path, snapshot: EnhancedSnapshotRow) -> Path:
    """The snapshot's own folder, outside any application's state."""
    return data_dir / "enhanced-snapshots" / snapshot.account_id / snapshot.region / str(snapshot.id)


def savepoint_size(location: str) -> int:
    """Bytes in the files of a savepoint folder (0 where the runtime keeps nothing on this disk)."""
    directory = Path(location.removeprefix(FILE_SCHEME))
    if not directory.is_dir():
        return 0
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def enhanced_restore_point(
    session: Session, application: ApplicationRow, restore: RestoreRequest
) -> tuple[RestorePoint | None, str | None]:
    """The restore point of a start or update in enhanced mode, or why there is none to use."""
    allow_non_restored_state = restore.allow_non_restored_state
    query = select(EnhancedSnapshotRow).where(
        EnhancedSnapshotRow.account_id == application.account_id,
        EnhancedSnapshotRow.region == application.region,
        EnhancedSnapshotRow.status == SnapshotStatus.READY.value,
        EnhancedSnapshotRow.savepoint_location.is_not(None),
    )
    if restore.restore_type is ApplicationRestoreType.RESTORE_FROM_CUSTOM_SNAPSHOT:
        arn = restore.snapshot_arn
        chosen = session.scalars(query.where(EnhancedSnapshotRow.snapshot_arn == arn)).first()
        if chosen is None or chosen.savepoint_location is None:
            return None, f"Snapshot {arn} does not exist or is not READY"
        return RestorePoint(chosen.savepoint_location, allow_non_restored_state), None
    latest = session.scalars(
        query.where(EnhancedSnapshotRow.source_application_id == application.id).order_by(
            EnhancedSnapshotRow.id.desc()
        )
    ).first()
    if latest is None or latest.savepoint_location is None:
        return None, None
    return RestorePoint(latest.savepoint_location, allow_non_restored_state), None


def begin_system_snapshot(
    session: Session,
    application: ApplicationRow,
    version: ApplicationVersionRow,
    application_operation_id: str | None,
    now: datetime,
) -> EnhancedSnapshotRow:
    """A CREATING system snapshot of ``application`` and its IN_PROGRESS SystemCreateSnapshot operation."""
    scope = Scope(application.account_id, application.region)
    millis = int(now.timestamp() * 1000)
    taken = set(
        session.scalars(
            select(EnhancedSnapshotRow.snapshot_name).where(
                EnhancedSnapshotRow.account_id == scope.account_id,
                EnhancedSnapshotRow.region == scope.region,
                EnhancedSnapshotRow.snapshot_name.startswith(SYSTEM_SNAPSHOT_PREFIX),
            )
        )
    )
    while f"{SYSTEM_SNAPSHOT_PREFIX}{millis}" in taken:
        millis += 1
    row = new_application_snapshot(
        scope,
        application,
        version,
        f"{SYSTEM_SNAPSHOT_PREFIX}{millis}",
        now,
        initiator=SnapshotInitiator.SYSTEM,
    )
    session.add(row)
    session.flush()
    record_snapshot_operation(
        session,
        row,
        SnapshotOperation.SYSTEMCREATESNAPSHOT,
        now,
        application_name=application.application_name,
        application_operation_id=application_operation_id,
    )
    return row


def system_snapshot_dir(
    session: Session, application: ApplicationRow, name: str | None, data_dir: Path
) -> Path | None:
    """The folder of the enhanced system snapshot ``name`` of ``application`` (None if it is not one)."""
    row = _system_snapshot(session, application, name) if name is not None else None
    return snapshot_dir(data_dir, row) if row is not None else None


def end_system_snapshot(
    session: Session, application: ApplicationRow, name: str, now: datetime, location: str
) -> bool:
    """The enhanced system snapshot ``name`` is READY at ``location`` (idempotent); False if it is not one."""
    row = _system_snapshot(session, application, name)
    if row is None:
        return False
    if row.status == SnapshotStatus.CREATING.value:
        row.status = SnapshotStatus.READY.value
        row.savepoint_location = location
        row.size_bytes = savepoint_size(location)
        operation = session.scalars(
            select(SnapshotOperationRow).where(
                SnapshotOperationRow.snapshot_id == row.id,
                SnapshotOperationRow.status == SnapshotOperationStatus.IN_PROGRESS.value,
            )
        ).first()
        if operation is not None:
            finish_snapshot_operation(operation, now)
    return True


def system_snapshot_ready(session: Session, application: ApplicationRow, name: str) -> bool:
    """Whether ``name`` is an enhanced system snapshot of ``application`` that is READY."""
    row = _system_snapshot(session, application, name)
    return row is not None and row.status == SnapshotStatus.READY.value


def _system_snapshot(session: Session, application: ApplicationRow, name: str) -> EnhancedSnapshotRow | None:
    return session.scalars(
        select(EnhancedSnapshotRow).where(
            EnhancedSnapshotRow.account_id == application.account_id,
            EnhancedSnapshotRow.region == application.region,
            EnhancedSnapshotRow.snapshot_name == name,
            EnhancedSnapshotRow.source_application_id == application.id,
        )
    ).one_or_none()
