"""Sync with central records: the peers synced with, conflicts, folder deliveries.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 05:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_peers",
        sa.Column("central_id", sa.String(length=36), nullable=False),
        sa.Column("desktop_id", sa.String(length=36), nullable=False),
        sa.Column("cursor", sa.BigInteger(), nullable=False),
        sa.Column("baseline_at", sa.DateTime(), nullable=True),
        sa.Column("last_sync_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("central_id", name=op.f("pk_sync_peers")),
    )
    op.create_table(
        "sync_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("central_id", sa.String(length=36), nullable=False),
        sa.Column("central_conflict_id", sa.Integer(), nullable=False),
        sa.Column("event_uuid", sa.String(length=36), nullable=True),
        sa.Column("case_ref", sa.String(length=40), nullable=False),
        sa.Column("my_change", sa.JSON(), nullable=False),
        sa.Column("central_state", sa.JSON(), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolution", sa.String(length=40), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_conflicts")),
        sa.UniqueConstraint(
            "central_id",
            "central_conflict_id",
            name=op.f("uq_sync_conflicts_central_id_central_conflict_id"),
        ),
    )
    with op.batch_alter_table("sync_conflicts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sync_conflicts_case_ref"), ["case_ref"], unique=False)
    op.create_table(
        "folder_deliveries",
        sa.Column("event_uuid", sa.String(length=36), nullable=False),
        sa.Column("folder", sa.String(length=1000), nullable=False),
        sa.Column("written_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("event_uuid", "folder", name=op.f("pk_folder_deliveries")),
    )


def downgrade() -> None:
    op.drop_table("folder_deliveries")
    with op.batch_alter_table("sync_conflicts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_conflicts_case_ref"))
    op.drop_table("sync_conflicts")
    op.drop_table("sync_peers")
