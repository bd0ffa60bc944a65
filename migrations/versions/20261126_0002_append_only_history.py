"""Append-only allocation history and audit, enforced by the database.

Allocation history is never edited or deleted: the only update allowed is ending the current
allocation (setting ``ended_on`` once). Audit events can be neither updated nor deleted. The
triggers hold for every writer, not only this app's services.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 23:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = {
    "allocations_no_delete": """
        CREATE TRIGGER allocations_no_delete BEFORE DELETE ON allocations
        BEGIN
            SELECT RAISE(ABORT, 'allocation history is append-only: rows cannot be deleted');
        END
    """,
    "allocations_only_end": """
        CREATE TRIGGER allocations_only_end BEFORE UPDATE ON allocations
        WHEN OLD.ended_on IS NOT NULL
          OR NEW.ended_on IS NULL
          OR NEW.id IS NOT OLD.id
          OR NEW.case_id IS NOT OLD.case_id
          OR NEW.worker_id IS NOT OLD.worker_id
          OR NEW.started_on IS NOT OLD.started_on
          OR NEW.reason_code IS NOT OLD.reason_code
          OR NEW.reason_text IS NOT OLD.reason_text
          OR NEW.created_by IS NOT OLD.created_by
          OR NEW.created_at IS NOT OLD.created_at
        BEGIN
            SELECT RAISE(ABORT, 'allocation history is append-only: only ending a current allocation is allowed');
        END
    """,
    "audit_events_no_update": """
        CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
        BEGIN
            SELECT RAISE(ABORT, 'the audit trail is append-only: events cannot be changed');
        END
    """,
    "audit_events_no_delete": """
        CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
        BEGIN
            SELECT RAISE(ABORT, 'the audit trail is append-only: events cannot be deleted');
        END
    """,
}


def upgrade() -> None:
    for sql in TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
