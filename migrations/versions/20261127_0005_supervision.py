"""Supervision sessions: the record, its cases discussed, its actions and addenda.

A final session is fixed by the database itself: its row, its cases and its actions' content
cannot change (an action's status can), and addenda can be added but never changed.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 04:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FINAL = "(SELECT status FROM supervision_sessions WHERE id = {row}.session_id) = 'final'"

TRIGGERS = {
    "supervision_sessions_final_fixed": """
        CREATE TRIGGER supervision_sessions_final_fixed BEFORE UPDATE ON supervision_sessions
        WHEN OLD.status = 'final'
        BEGIN
            SELECT RAISE(ABORT, 'a final supervision record cannot be changed; add an addendum');
        END
    """,
    "supervision_sessions_final_kept": """
        CREATE TRIGGER supervision_sessions_final_kept BEFORE DELETE ON supervision_sessions
        WHEN OLD.status = 'final'
        BEGIN
            SELECT RAISE(ABORT, 'a final supervision record cannot be deleted');
        END
    """,
    **{
        f"supervision_cases_final_{event.lower()}": f"""
        CREATE TRIGGER supervision_cases_final_{event.lower()} BEFORE {event} ON supervision_cases
        WHEN {_FINAL.format(row="NEW" if event == "INSERT" else "OLD")}
        BEGIN
            SELECT RAISE(ABORT, 'the cases of a final supervision record cannot be changed');
        END
    """
        for event in ("INSERT", "UPDATE", "DELETE")
    },
    **{
        f"supervision_actions_final_{event.lower()}": f"""
        CREATE TRIGGER supervision_actions_final_{event.lower()} BEFORE {event}
        ON supervision_actions
        WHEN {_FINAL.format(row="NEW" if event == "INSERT" else "OLD")}
        BEGIN
            SELECT RAISE(ABORT, 'the actions of a final supervision record cannot be added or removed');
        END
    """
        for event in ("INSERT", "DELETE")
    },
    "supervision_actions_final_update": f"""
        CREATE TRIGGER supervision_actions_final_update BEFORE UPDATE ON supervision_actions
        WHEN {_FINAL.format(row="OLD")}
          AND (NEW.id IS NOT OLD.id
            OR NEW.session_id IS NOT OLD.session_id
            OR NEW.position IS NOT OLD.position
            OR NEW.case_id IS NOT OLD.case_id
            OR NEW.action IS NOT OLD.action
            OR NEW.owner_worker_id IS NOT OLD.owner_worker_id
            OR NEW.due IS NOT OLD.due)
        BEGIN
            SELECT RAISE(ABORT, 'only the status of a final record''s action can change');
        END
    """,
    "supervision_addenda_only_final": f"""
        CREATE TRIGGER supervision_addenda_only_final BEFORE INSERT ON supervision_addenda
        WHEN NOT {_FINAL.format(row="NEW")}
        BEGIN
            SELECT RAISE(ABORT, 'an addendum is added to a final record; edit the draft instead');
        END
    """,
    "supervision_addenda_no_update": """
        CREATE TRIGGER supervision_addenda_no_update BEFORE UPDATE ON supervision_addenda
        BEGIN
            SELECT RAISE(ABORT, 'an addendum cannot be changed once added');
        END
    """,
    "supervision_addenda_no_delete": """
        CREATE TRIGGER supervision_addenda_no_delete BEFORE DELETE ON supervision_addenda
        BEGIN
            SELECT RAISE(ABORT, 'an addendum cannot be removed');
        END
    """,
}


def upgrade() -> None:
    op.create_table(
        "supervision_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=False),
        sa.Column("manager", sa.String(length=120), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("wellbeing", sa.Text(), nullable=False),
        sa.Column("workload", sa.Text(), nullable=False),
        sa.Column("next_supervision", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("draft", "final", name="supervision_status", native_enum=False, length=32,
                    create_constraint=True),
            nullable=False,
        ),
        sa.Column("snapshot", sa.JSON(), nullable=True),
        sa.Column("worker_signed", sa.String(length=200), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("finalised_at", sa.DateTime(), nullable=True),
        sa.Column("finalised_by", sa.String(length=120), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_supervision_sessions_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_sessions")),
    )
    op.create_index(
        op.f("ix_supervision_sessions_worker_id"), "supervision_sessions", ["worker_id"]
    )
    op.create_table(
        "supervision_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("current_position", sa.Text(), nullable=False),
        sa.Column("lived_experience", sa.Text(), nullable=False),
        sa.Column("decision", sa.Text(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervision_sessions.id"],
            name=op.f("fk_supervision_cases_session_id_supervision_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_supervision_cases_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_cases")),
    )
    op.create_index(op.f("ix_supervision_cases_session_id"), "supervision_cases", ["session_id"])
    op.create_index(op.f("ix_supervision_cases_case_id"), "supervision_cases", ["case_id"])
    op.create_table(
        "supervision_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("owner_worker_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("open", "done", name="supervision_action_status", native_enum=False,
                    length=32, create_constraint=True),
            nullable=False,
        ),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervision_sessions.id"],
            name=op.f("fk_supervision_actions_session_id_supervision_sessions"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_supervision_actions_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["owner_worker_id"],
            ["workers.id"],
            name=op.f("fk_supervision_actions_owner_worker_id_workers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_actions")),
    )
    op.create_index(
        op.f("ix_supervision_actions_session_id"), "supervision_actions", ["session_id"]
    )
    op.create_index(
        op.f("ix_supervision_actions_owner_worker_id"), "supervision_actions", ["owner_worker_id"]
    )
    op.create_table(
        "supervision_addenda",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("added_by", sa.String(length=120), nullable=False),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["supervision_sessions.id"],
            name=op.f("fk_supervision_addenda_session_id_supervision_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_addenda")),
    )
    op.create_index(
        op.f("ix_supervision_addenda_session_id"), "supervision_addenda", ["session_id"]
    )
    for sql in TRIGGERS.values():
        op.execute(sql)


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("supervision_addenda")
    op.drop_table("supervision_actions")
    op.drop_table("supervision_cases")
    op.drop_table("supervision_sessions")
