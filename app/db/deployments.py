"""What the control loop remembers per application: its job, the step in progress, what it observed.

A ``DeploymentRow`` is keyed by the application's row id but has no foreign key: when an application
is deleted its deployment outlives it until the loop has stopped the job it left behind.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.db.models import ApplicationRow, Base, UtcDateTime


class Phase(StrEnum):
    """The step the loop is in for one application; saved before the runtime is asked to act."""

    IDLE = "IDLE"  # nothing in flight (a job may be running normally)
    STARTING_JOB = "STARTING_JOB"  # job id chosen and saved; submit it (again, if the runtime lost it)
    STOPPING_JOB = "STOPPING_JOB"  # stop mode (and savepoint trigger) saved; wait for the job to end
    DISPOSING = "DISPOSING"  # the application was deleted and its job ended: its data is being deleted


class DeploymentRow(Base):
    """The control loop's record of one application's job (intent and last observation)."""

    __tablename__ = "deployments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(Integer, unique=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    application_name: Mapped[str] = mapped_column(String(128))
    phase: Mapped[str] = mapped_column(String(16), default=Phase.IDLE.value)
    phase_since: Mapped[datetime] = mapped_column(UtcDateTime())
    operation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    job_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    version_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    restore_location: Mapped[str | None] = mapped_column(Text, nullable=True)
    allow_non_restored_state: Mapped[bool] = mapped_column(Boolean, default=False)
    stop_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    trigger_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    snapshot_name: Mapped[str | None] = mapped_column(String(256), nullable=True)
    observed_job_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    observed_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    observed_savepoint_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    observed_savepoint_location: Mapped[str | None] = mapped_column(Text, nullable=True)
    observed_savepoint_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    latest_checkpoint: Mapped[str | None] = mapped_column(Text, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


def ensure_deployment(session: Session, application: ApplicationRow, now: datetime) -> DeploymentRow:
    """The application's deployment, created when StartApplication first hands it to the loop.

    The loop drives only applications that have one, so a status set by other means is left alone.
    """
    deployment = session.scalars(
        select(DeploymentRow).where(DeploymentRow.application_id == application.id)
    ).one_or_none()
    if deployment is None:
        deployment = DeploymentRow(
            application_id=application.id,
            account_id=application.account_id,
            region=application.region,
            application_name=application.application_name,
            phase=Phase.IDLE.value,
            phase_since=now,
            allow_non_restored_state=False,
        )
        session.add(deployment)
        session.flush()
    return deployment
