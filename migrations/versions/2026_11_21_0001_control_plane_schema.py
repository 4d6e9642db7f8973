"""Control-plane schema: applications, versions, tags, operations, snapshots.

Revision ID: 20261121_0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261121_0001"
down_revision = None
branch_labels = None
depends_on = None


def _application_fk(table: str) -> sa.Column[int]:
    return sa.Column(
        "application_id",
        sa.Integer(),
        sa.ForeignKey("applications.id", name=f"fk_{table}_application_id_applications", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("application_name", sa.String(128), nullable=False),
        sa.Column("application_arn", sa.String(2048), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("current_version_id", sa.BigInteger(), nullable=False),
        sa.Column("runtime_environment", sa.String(32), nullable=False),
        sa.Column("application_mode", sa.String(16), nullable=False),
        sa.Column("create_timestamp", sa.DateTime(), nullable=False),
        sa.Column("last_update_timestamp", sa.DateTime(), nullable=False),
        sa.Column("maintenance_window_start", sa.String(5), nullable=False),
        sa.Column("maintenance_window_end", sa.String(5), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint(
            "account_id",
            "region",
            "application_name",
            name=op.f("uq_applications_account_id_region_application_name"),
        ),
    )
    op.create_table(
        "application_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _application_fk("application_versions"),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("conditional_token", sa.String(512), nullable=False),
        sa.Column("create_timestamp", sa.DateTime(), nullable=False),
        sa.Column("updated_from", sa.BigInteger(), nullable=True),
        sa.Column("rolled_back_from", sa.BigInteger(), nullable=True),
        sa.Column("rolled_back_to", sa.BigInteger(), nullable=True),
        sa.Column("configuration", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_application_versions")),
        sa.UniqueConstraint(
            "application_id", "version_id", name=op.f("uq_application_versions_application_id_version_id")
        ),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _application_fk("tags"),
        sa.Column("tag_key", sa.String(128), nullable=False),
        sa.Column("tag_value", sa.String(256), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("application_id", "tag_key", name=op.f("uq_tags_application_id_tag_key")),
    )
    op.create_table(
        "operations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _application_fk("operations"),
        sa.Column("operation_id", sa.String(64), nullable=False),
        sa.Column("operation", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time", sa.DateTime(), nullable=False),
        sa.Column("end_time", sa.DateTime(), nullable=True),
        sa.Column("version_updated_from", sa.BigInteger(), nullable=True),
        sa.Column("version_updated_to", sa.BigInteger(), nullable=True),
        sa.Column("error_string", sa.Text(), nullable=True),
        sa.Column("rollback_operation_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operations")),
        sa.UniqueConstraint(
            "application_id", "operation_id", name=op.f("uq_operations_application_id_operation_id")
        ),
    )
    op.create_table(
        "snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _application_fk("snapshots"),
        sa.Column("snapshot_name", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("application_version_id", sa.BigInteger(), nullable=False),
        sa.Column("creation_timestamp", sa.DateTime(), nullable=False),
        sa.Column("runtime_environment", sa.String(32), nullable=False),
        sa.Column("savepoint_location", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshots")),
        sa.UniqueConstraint(
            "application_id", "snapshot_name", name=op.f("uq_snapshots_application_id_snapshot_name")
        ),
    )
    for table in ("application_versions", "tags", "operations", "snapshots"):
        op.create_index(op.f(f"ix_{table}_application_id"), table, ["application_id"])


def downgrade() -> None:
    for table in ("snapshots", "operations", "tags", "application_versions"):
        op.drop_index(op.f(f"ix_{table}_application_id"), table_name=table)
        op.drop_table(table)
    op.drop_table("applications")
