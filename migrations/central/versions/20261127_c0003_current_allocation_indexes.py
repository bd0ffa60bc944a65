"""Central records: index what central looks up, and no more.

Every read of ``allocations`` in central concerns current allocations (a pull brings back the
current allocations changed after its cursor; a push decides each change against the case's
current allocation; the baseline and the import compare current ones). Yet ending an
allocation, which every applied reassignment does, renumbers the row and so added an entry to
each of its indexes, and a push of 10,000 reassignments spent a third of its time on them:

- ``ix_allocations_seq`` becomes ``ix_allocations_seq_current``, partial on ``ended_on IS
  NULL``: a pull's ``seq > cursor AND ended_on IS NULL`` reads it as before; an ended row
  adds nothing to it;
- ``ix_allocations_worker_id`` goes: no query looks allocations up by worker (the pull's
  holders come from the changed current rows; workers are never deleted);
- ``ix_received_events_desktop_id`` goes: nothing looks events up by desktop.

``ix_allocations_case_id`` (a case's whole history) and the one-current constraint stay.

Revision ID: c0003
Revises: c0002
Create Date: 2026-11-27 11:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0003"
down_revision: str | None = "c0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_allocations_seq_current",
        "allocations",
        ["seq"],
        postgresql_where=sa.text("ended_on IS NULL"),
    )
    op.drop_index("ix_allocations_seq", table_name="allocations")
    op.drop_index("ix_allocations_worker_id", table_name="allocations")
    op.drop_index("ix_received_events_desktop_id", table_name="received_events")


def downgrade() -> None:
    op.create_index("ix_received_events_desktop_id", "received_events", ["desktop_id"])
    op.create_index("ix_allocations_worker_id", "allocations", ["worker_id"])
    op.create_index("ix_allocations_seq", "allocations", ["seq"])
    op.drop_index("ix_allocations_seq_current", table_name="allocations")
