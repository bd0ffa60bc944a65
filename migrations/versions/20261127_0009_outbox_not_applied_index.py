"""The outbox's changes central did not apply, found without reading every event ever sent.

The Conflicts panel lists them (``services.sync.not_applied``) each time it reads the
conflicts again; they are the sent events that keep an error. A partial index holds just those.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_events_not_applied",
        "outbox_events",
        ["id"],
        sqlite_where=sa.text("sent_at IS NOT NULL AND last_error IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_events_not_applied", table_name="outbox_events")
