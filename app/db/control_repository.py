"""The control loop's queries, by application row id (the loop acts in every scope), never inline in the loop.

``ControlRepository`` reads and writes what the loop needs besides the application row it has locked:
deployments, versions, in-progress operations and snapshot rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, tuple_
from sqlalchemy.orm import Session

from api_models.models import ApplicationStatus, OperationStatus, SnapshotStatus
from app.db.deployments import DeploymentRow, Phase, ensure_deployment
from app.db.models import (
    ApplicationRow,
    ApplicationVersionRow,
    EnhancedSnapshotRow,
    OperationRow,
    SnapshotRow,
)

PENDING_SNAPSHOT_STATUSES = (SnapshotStatus.CREATING.value, SnapshotStatus.DELETING.value)


@dataclass(frozen=True)
class CodeHolders:
    """What still uses application code: the jobs the loop knows of (an application's, or one a
    deleted application left behind) and the configurations of the versions that may still start."""

    live_jobs: frozenset[str]
    configurations: list[dict[str, Any]]


class ControlRepository:
    """Data access of the control loop within one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def pending_application_ids(self) -> list[int]:
        """Applications handed to the loop that are not at rest, jobs left behind, snapshot requests."""
        deployed = (
            select(DeploymentRow.application_id)
            .outerjoin(ApplicationRow, ApplicationRow.id == DeploymentRow.application_id)
            .where(
                or_(
                    ApplicationRow.id.is_(None),  # deleted, maybe with a job left behind
                    ApplicationRow.status != ApplicationStatus.READY.value,
                    DeploymentRow.job_id.is_not(None),
                    DeploymentRow.phase != Phase.IDLE.value,
                )
            )
        )
        snapshots = select(SnapshotRow.application_id).where(
            SnapshotRow.status.in_(PENDING_SNAPSHOT_STATUSES)
        )
        return sorted(set(self.session.scalars(deployed)) | set(self.session.scalars(snapshots)))

    def deployment(self, application_id: int, now: datetime) -> DeploymentRow | None:
        """The deployment of an application (created for snapshot requests); None once both are gone."""
        deployment = self.session.scalars(
            select(DeploymentRow).where(DeploymentRow.application_id == application_id)
        ).one_or_none()
        if deployment is not None:
            return deployment
        application = self.session.get(ApplicationRow, application_id)
        if application is None:
            return None
        return ensure_deployment(self.session, application, now)

    def version(self, application: ApplicationRow, version_id: int | None = None) -> ApplicationVersionRow:
        """Version ``version_id`` of the application (default: its current version)."""
        wanted = version_id or application.current_version_id
        return self.session.scalars(
            select(ApplicationVersionRow).where(
                ApplicationVersionRow.application_id == application.id,
                ApplicationVersionRow.version_id == wanted,
            )
        ).one()

    def in_progress_operations(self, application: ApplicationRow) -> list[OperationRow]:
        """The application's IN_PROGRESS operations, newest first."""
        return list(
            self.session.scalars(
                select(OperationRow)
                .where(
                    OperationRow.application_id == application.id,
                    OperationRow.status == OperationStatus.IN_PROGRESS.value,
                )
                .order_by(OperationRow.id.desc())
            )
        )

    def operation(self, application: ApplicationRow, operation_id: str) -> OperationRow | None:
        """One operation of the application."""
        return self.session.scalars(
            select(OperationRow).where(
                OperationRow.application_id == application.id, OperationRow.operation_id == operation_id
            )
        ).one_or_none()

    def pending_snapshots(self, application_id: int) -> Sequence[SnapshotRow]:
        """Snapshot rows the API left CREATING or DELETING, oldest first."""
        return self.session.scalars(
            select(SnapshotRow)
            .where(
                SnapshotRow.application_id == application_id,
                SnapshotRow.status.in_(PENDING_SNAPSHOT_STATUSES),
            )
            .order_by(SnapshotRow.id)
        ).all()

    def snapshot(self, application: ApplicationRow, name: str) -> SnapshotRow | None:
        """The application's snapshot named ``name``, whatever its status."""
        return self.session.scalars(
            select(SnapshotRow).where(
                SnapshotRow.application_id == application.id, SnapshotRow.snapshot_name == name
            )
        ).first()

    def snapshot_names(self, application: ApplicationRow) -> set[str]:
        """Every snapshot name the application uses: its application snapshots (legacy) and the enhanced
        snapshots taken of it."""
        legacy = self.session.scalars(
            select(SnapshotRow.snapshot_name).where(SnapshotRow.application_id == application.id)
        )
        enhanced = self.session.scalars(
            select(EnhancedSnapshotRow.snapshot_name).where(
                EnhancedSnapshotRow.source_application_id == application.id
            )
        )
        return {*legacy, *enhanced}

    def restorable_snapshot(self, application: ApplicationRow, name: str | None = None) -> SnapshotRow | None:
        """The READY snapshot ``name`` with a savepoint, or (no name) the newest such snapshot."""
        query = select(SnapshotRow).where(
            SnapshotRow.application_id == application.id,
            SnapshotRow.status == SnapshotStatus.READY.value,
            SnapshotRow.savepoint_location.is_not(None),
        )
        if name is not None:
            return self.session.scalars(query.where(SnapshotRow.snapshot_name == name)).first()
        return self.session.scalars(
            query.order_by(SnapshotRow.creation_timestamp.desc(), SnapshotRow.id.desc())
        ).first()

    def code_holders(self) -> CodeHolders:
        """Live jobs, and every application's current version, the version its job runs and the version
        a rollback would return to (``updated_from`` of the current one)."""
        deployments = self.session.execute(
            select(DeploymentRow.application_id, DeploymentRow.job_id, DeploymentRow.version_id)
        ).all()
        current = self.session.scalars(
            select(ApplicationVersionRow).join(
                ApplicationRow,
                and_(
                    ApplicationRow.id == ApplicationVersionRow.application_id,
                    ApplicationRow.current_version_id == ApplicationVersionRow.version_id,
                ),
            )
        ).all()
        have = {(version.application_id, version.version_id) for version in current}
        wanted = {(v.application_id, v.updated_from) for v in current if v.updated_from is not None}
        wanted |= {(d.application_id, d.version_id) for d in deployments if d.version_id is not None}
        wanted -= have
        others = (
            self.session.scalars(
                select(ApplicationVersionRow).where(
                    tuple_(ApplicationVersionRow.application_id, ApplicationVersionRow.version_id).in_(wanted)
                )
            ).all()
            if wanted
            else []
        )
        return CodeHolders(
            live_jobs=frozenset(d.job_id for d in deployments if d.job_id is not None),
            configurations=[version.configuration for version in [*current, *others]],
        )

    def enhanced_savepoint_locations(self, account_id: str, region: str) -> set[str]:
        """Savepoints that enhanced snapshots of the account and Region reference (they outlive their
        application)."""
        return set(
            self.session.scalars(
                select(EnhancedSnapshotRow.savepoint_location).where(
                    EnhancedSnapshotRow.account_id == account_id,
                    EnhancedSnapshotRow.region == region,
                    EnhancedSnapshotRow.savepoint_location.is_not(None),
                )
            )
        )
