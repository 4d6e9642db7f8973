"""Enhanced snapshots: account-scoped snapshots and their operations.

Revision ID: 20261204_0003
Revises: 20261121_0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261204_0003"
down_revision = "20261121_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "enhanced_snapshots",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("snapshot_name", sa.String(100), nullable=False),
        sa.Column("snapshot_arn", sa.String(2048), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("creation_timestamp", sa.DateTime(), nullable=False),
        sa.Column("runtime_environment", sa.String(32), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("initiator", sa.String(8), nullable=False),
        sa.Column("initiator_operation", sa.String(32), nullable=False),
        sa.Column("source_application_id", sa.Integer(), nullable=True),
        sa.Column("source_application_name", sa.String(128), nullable=True),
        sa.Column("source_application_created", sa.DateTime(), nullable=True),
        sa.Column("source_application_version_id", sa.BigInteger(), nullable=True),
        sa.Column("source_bucket_arn", sa.String(2048), nullable=True),
        sa.Column("source_key_prefix", sa.String(200), nullable=True),
        sa.Column("encryption", sa.JSON(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("savepoint_location", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enhanced_snapshots")),
        sa.UniqueConstraint(
            "account_id",
            "region",
            "snapshot_name",
            name=op.f("uq_enhanced_snapshots_account_id_region_snapshot_name"),
        ),
    )
    op.create_index(
        op.f("ix_enhanced_snapshots_source_application_id"), "enhanced_snapshots", ["source_application_id"]
    )
    op.create_table(
        "snapshot_operations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("snapshot_id", sa.Integer(), nullable=False),
        sa.Column("snapshot_name", sa.String(100), nullable=False),
        sa.Column("snapshot_arn", sa.String(2048), nullable=False),
        sa.Column("operation_id", sa.String(64), nullable=False),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time", sa.DateTime(), nullable=False),
        sa.Column("end_time", sa.DateTime(), nullable=True),
        sa.Column("error_code", sa.String(128), nullable=True),
        sa.Column("error_string", sa.Text(), nullable=True),
        sa.Column("application_name", sa.String(128), nullable=True),
        sa.Column("application_operation_id", sa.String(64), nullable=True),
        sa.Column("bucket_arn", sa.String(2048), nullable=True),
        sa.Column("key_prefix", sa.String(200), nullable=True),
        sa.Column("exported_prefix", sa.String(300), nullable=True),
        sa.Column("source_encryption", sa.JSON(), nullable=True),
        sa.Column("destination_encryption", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshot_operations")),
        sa.UniqueConstraint(
            "account_id",
            "region",
            "operation_id",
            name=op.f("uq_snapshot_operations_account_id_region_operation_id"),
        ),
    )
    op.create_index(op.f("ix_snapshot_operations_snapshot_id"), "snapshot_operations", ["snapshot_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_snapshot_operations_snapshot_id"), table_name="snapshot_operations")
    op.drop_table("snapshot_operations")
    op.drop_index(op.f("ix_enhanced_snapshots_source_application_id"), table_name="enhanced_snapshots")
    op.drop_table("enhanced_snapshots")
