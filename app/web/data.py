"""What the console and the dashboard read from the database: always within one account.

Every query here takes the account (and for one application its Region and name) and filters by it,
so a page can only ever show data of the account its session belongs to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.deployments import DeploymentRow
from app.db.models import ApplicationRow, ApplicationVersionRow, OperationRow, SnapshotRow
from app.observability.monitoring import MonitoringSettings


@dataclass(frozen=True)
class ApplicationView:
    """One application with everything its console page shows."""

    application: ApplicationRow
    current: ApplicationVersionRow | None
    versions: Sequence[ApplicationVersionRow]
    operations: Sequence[OperationRow]
    snapshots: Sequence[SnapshotRow]
    job_id: str | None

    @property
    def monitoring(self) -> MonitoringSettings:
        """Parallelism, KPUs and monitoring levels of the current version."""
        return MonitoringSettings.of(self.current.configuration if self.current else {})


def applications(session: Session, account_id: str) -> list[tuple[ApplicationRow, MonitoringSettings]]:
    """Every application of the account, by Region and name, with its current version's settings."""
    rows = session.execute(
        select(ApplicationRow, ApplicationVersionRow)
        .outerjoin(
            ApplicationVersionRow,
            (ApplicationVersionRow.application_id == ApplicationRow.id)
            & (ApplicationVersionRow.version_id == ApplicationRow.current_version_id),
        )
        .where(ApplicationRow.account_id == account_id)
        .order_by(ApplicationRow.region, ApplicationRow.application_name)
    ).all()
    return [
        (application, MonitoringSettings.of(version.configuration if version else {}))
        for application, version in rows
    ]


def find_application(session: Session, account_id: str, region: str, name: str) -> ApplicationRow | None:
    """The application ``name`` of the account in ``region``."""
    return session.scalars(
        select(ApplicationRow).where(
            ApplicationRow.account_id == account_id,
            ApplicationRow.region == region,
            ApplicationRow.application_name == name,
        )
    ).one_or_none()


def find_by_arn(session: Session, arn: str) -> ApplicationRow | None:
    """The application with this ARN (the ARN names its account and Region)."""
    return session.scalars(select(ApplicationRow).where(ApplicationRow.application_arn == arn)).one_or_none()


def application_view(session: Session, application: ApplicationRow) -> ApplicationView:
    """Versions (newest first), operations (newest first), snapshots and job of an application."""
    versions = session.scalars(
        select(ApplicationVersionRow)
        .where(ApplicationVersionRow.application_id == application.id)
        .order_by(ApplicationVersionRow.version_id.desc())
    ).all()
    current = next((row for row in versions if row.version_id == application.current_version_id), None)
    operations = session.scalars(
        select(OperationRow)
        .where(OperationRow.application_id == application.id)
        .order_by(OperationRow.id.desc())
    ).all()
    snapshots = session.scalars(
        select(SnapshotRow)
        .where(SnapshotRow.application_id == application.id)
        .order_by(SnapshotRow.creation_timestamp.desc())
    ).all()
    job_id = session.scalars(
        select(DeploymentRow.job_id).where(DeploymentRow.application_id == application.id)
    ).one_or_none()
    return ApplicationView(application, current, versions, operations, snapshots, job_id)
