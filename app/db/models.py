"""Database rows of the control plane (SQLAlchemy 2, typed). Rows are not wire shapes.

Every application is keyed by (account_id, region, application_name); its versions, tags,
operations and snapshots hang off it and disappear with it. Timestamps are stored at whole
seconds in UTC (AWS reports whole seconds, and DeleteApplication compares them that way).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Dialect,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime stored without a zone (portable across SQLite and PostgreSQL)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not accepted; use UTC-aware values")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stored: datetime = value
        return stored.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    """Declarative base of every table; carries the constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ApplicationRow(Base):
    """One application: identity, live status and the pointer to its current version."""

    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("account_id", "region", "application_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    application_name: Mapped[str] = mapped_column(String(128))
    application_arn: Mapped[str] = mapped_column(String(2048))
    status: Mapped[str] = mapped_column(String(32))
    current_version_id: Mapped[int] = mapped_column(BigInteger)
    runtime_environment: Mapped[str] = mapped_column(String(32))
    application_mode: Mapped[str] = mapped_column(String(16))
    create_timestamp: Mapped[datetime] = mapped_column(UtcDateTime())
    last_update_timestamp: Mapped[datetime] = mapped_column(UtcDateTime())
    maintenance_window_start: Mapped[str] = mapped_column(String(5))
    maintenance_window_end: Mapped[str] = mapped_column(String(5))


class ApplicationVersionRow(Base):
    """One immutable configuration version of an application (the description shapes as JSON)."""

    __tablename__ = "application_versions"
    __table_args__ = (UniqueConstraint("application_id", "version_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(32))
    conditional_token: Mapped[str] = mapped_column(String(512))
    create_timestamp: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_from: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rolled_back_from: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    rolled_back_to: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    configuration: Mapped[dict[str, Any]] = mapped_column(JSON)


class TagRow(Base):
    """One user tag on an application."""

    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("application_id", "tag_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    tag_key: Mapped[str] = mapped_column(String(128))
    tag_value: Mapped[str] = mapped_column(String(256))


class OperationRow(Base):
    """One application operation (UpdateApplication, StartApplication, ...) and its outcome."""

    __tablename__ = "operations"
    __table_args__ = (UniqueConstraint("application_id", "operation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    operation_id: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    start_time: Mapped[datetime] = mapped_column(UtcDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    version_updated_from: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    version_updated_to: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    error_string: Mapped[str | None] = mapped_column(Text, nullable=True)
    rollback_operation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class SnapshotRow(Base):
    """One legacy application snapshot (savepoint) of an application."""

    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("application_id", "snapshot_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    snapshot_name: Mapped[str] = mapped_column(String(256))
    status: Mapped[str] = mapped_column(String(16))
    application_version_id: Mapped[int] = mapped_column(BigInteger)
    creation_timestamp: Mapped[datetime] = mapped_column(UtcDateTime())
    runtime_environment: Mapped[str] = mapped_column(String(32))
    savepoint_location: Mapped[str | None] = mapped_column(Text, nullable=True)


class EnhancedSnapshotRow(Base):
    """One enhanced snapshot: an account-and-Region-scoped savepoint that outlives its application.

    The source application is remembered by name, creation time and version (no foreign key: the
    snapshot survives the application's deletion); imports remember their S3 source instead.
    """

    __tablename__ = "enhanced_snapshots"
    __table_args__ = (UniqueConstraint("account_id", "region", "snapshot_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    snapshot_name: Mapped[str] = mapped_column(String(100))
    snapshot_arn: Mapped[str] = mapped_column(String(2048))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    creation_timestamp: Mapped[datetime] = mapped_column(UtcDateTime())
    runtime_environment: Mapped[str | None] = mapped_column(String(32), nullable=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    initiator: Mapped[str] = mapped_column(String(8))
    initiator_operation: Mapped[str] = mapped_column(String(32))
    source_application_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    source_application_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    source_application_created: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    source_application_version_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    source_bucket_arn: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    source_key_prefix: Mapped[str | None] = mapped_column(String(200), nullable=True)
    encryption: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    tags: Mapped[dict[str, str]] = mapped_column(JSON)
    savepoint_location: Mapped[str | None] = mapped_column(Text, nullable=True)


class SnapshotOperationRow(Base):
    """One operation on an enhanced snapshot (create, system create, import, export, delete).

    Keyed by the snapshot's name within its scope and by ``snapshot_id`` (no foreign key), so the
    operations of a deleted snapshot stay describable until its name is taken again.
    """

    __tablename__ = "snapshot_operations"
    __table_args__ = (UniqueConstraint("account_id", "region", "operation_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    snapshot_id: Mapped[int] = mapped_column(Integer, index=True)
    snapshot_name: Mapped[str] = mapped_column(String(100))
    snapshot_arn: Mapped[str] = mapped_column(String(2048))
    operation_id: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    start_time: Mapped[datetime] = mapped_column(UtcDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UtcDateTime(), nullable=True)
    error_code: Mapped[str | None] = mapped_column(String(128), nullable=True)
    error_string: Mapped[str | None] = mapped_column(Text, nullable=True)
    application_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    application_operation_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    bucket_arn: Mapped[str | None] = mapped_column(String(2048), nullable=True)
    key_prefix: Mapped[str | None] = mapped_column(String(200), nullable=True)
    exported_prefix: Mapped[str | None] = mapped_column(String(300), nullable=True)
    source_encryption: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    destination_encryption: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
