"""Roles: who may do what, by signed-in operating-system user.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 06:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_access",
        sa.Column("os_user", sa.String(length=120), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("team_ids", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_user_access_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("os_user", name=op.f("pk_user_access")),
    )


def downgrade() -> None:
    op.drop_table("user_access")
