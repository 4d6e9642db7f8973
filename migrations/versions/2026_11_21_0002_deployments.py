"""Control loop: one deployment row per application (its job, the step in progress, observations).

Revision ID: 20261121_0002
Revises: 20261121_0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261121_0002"
down_revision = "20261121_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.String(12), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("application_name", sa.String(128), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("phase_since", sa.DateTime(), nullable=False),
        sa.Column("operation_id", sa.String(64), nullable=True),
        sa.Column("job_id", sa.String(64), nullable=True),
        sa.Column("version_id", sa.BigInteger(), nullable=True),
        sa.Column("restore_location", sa.Text(), nullable=True),
        sa.Column("allow_non_restored_state", sa.Boolean(), nullable=False),
        sa.Column("stop_mode", sa.String(16), nullable=True),
        sa.Column("trigger_id", sa.String(64), nullable=True),
        sa.Column("snapshot_name", sa.String(256), nullable=True),
        sa.Column("observed_job_state", sa.String(16), nullable=True),
        sa.Column("observed_error", sa.Text(), nullable=True),
        sa.Column("observed_savepoint_state", sa.String(16), nullable=True),
        sa.Column("observed_savepoint_location", sa.Text(), nullable=True),
        sa.Column("observed_savepoint_error", sa.Text(), nullable=True),
        sa.Column("latest_checkpoint", sa.Text(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        sa.UniqueConstraint("application_id", name=op.f("uq_deployments_application_id")),
    )


def downgrade() -> None:
    op.drop_table("deployments")
