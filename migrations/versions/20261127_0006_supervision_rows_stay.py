"""A draft's discussed case or action cannot be moved into a final record.

0005's triggers look at the session a row belongs to before a change; an UPDATE that moved a
draft's row to a final session slipped through. These look at where the row would go too.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 04:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FINAL = "(SELECT status FROM supervision_sessions WHERE id = {row}.session_id) = 'final'"

TRIGGERS = {
    "supervision_cases_into_final": f"""
        CREATE TRIGGER supervision_cases_into_final BEFORE UPDATE ON supervision_cases
        WHEN {_FINAL.format(row="NEW")}
        BEGIN
            SELECT RAISE(ABORT, 'the cases of a final supervision record cannot be changed');
        END
    """,
    "supervision_actions_into_final": f"""
        CREATE TRIGGER supervision_actions_into_final BEFORE UPDATE ON supervision_actions
        WHEN NEW.session_id IS NOT OLD.session_id AND {_FINAL.format(row="NEW")}
        BEGIN
            SELECT RAISE(ABORT, 'an action cannot be moved into a final supervision record');
        END
    """,
}


def upgrade() -> None:
    for sql in TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
