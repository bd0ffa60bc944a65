"""Initial schema: teams, workers, family groups, children, cases, allocations, audit.

FTE is stored as integer hundredths and instants as naive UTC (see store/column_types.py).

Revision ID: 0001
Revises:
Create Date: 2026-11-26 23:04:52.959742
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "family_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_groups")),
        sa.UniqueConstraint("ref", name=op.f("uq_family_groups_ref")),
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("service", sa.String(length=120), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_table(
        "children",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("family_group_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["family_group_id"],
            ["family_groups.id"],
            name=op.f("fk_children_family_group_id_family_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_children")),
        sa.UniqueConstraint("external_id", name=op.f("uq_children_external_id")),
    )
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_children_family_group_id"), ["family_group_id"], unique=False
        )

    op.create_table(
        "workers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "social_worker",
                "senior_practitioner",
                "advanced_practitioner",
                "asye",
                "student",
                "family_support_worker",
                "team_manager",
                "service_manager",
                name="worker_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "employment",
            sa.Enum(
                "permanent",
                "agency",
                "locum",
                name="worker_employment",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("fte", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "inactive",
                name="worker_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_workers_dates_in_order"),
        ),
        sa.CheckConstraint("fte > 0 AND fte <= 100", name=op.f("ck_workers_fte_range")),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_workers_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
        sa.UniqueConstraint("staff_id", name=op.f("uq_workers_staff_id")),
    )
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workers_team_id"), ["team_id"], unique=False
        )

    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=40), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "referral",
                "assessment",
                "cin",
                "cp",
                "cla",
                "care_leaver",
                name="case_category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column(
            "risk",
            sa.Enum(
                "low",
                "medium",
                "high",
                name="case_risk",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("court_proceedings", sa.Boolean(), nullable=False),
        sa.Column("assessment_started_on", sa.Date(), nullable=True),
        sa.Column("last_visit_on", sa.Date(), nullable=True),
        sa.Column("next_visit_due", sa.Date(), nullable=True),
        sa.Column("next_review_due", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "closed_on IS NULL OR closed_on >= opened_on",
            name=op.f("ck_cases_dates_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_cases_child_id_children")
        ),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_cases_team_id_teams")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_ref", name=op.f("uq_cases_case_ref")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cases_child_id"), ["child_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cases_team_id"), ["team_id"], unique=False)

    op.create_table(
        "allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column(
            "reason_code",
            sa.Enum(
                "MANAGE",
                "FCONTA",
                "LEFTRL",
                "ORGRST",
                "TSPROC",
                "ABSENC",
                "CHCHAN",
                "PCCHAN",
                "SWDIED",
                "OTHERS",
                name="allocation_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("reason_text", sa.String(length=1000), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "ended_on IS NULL OR ended_on >= started_on",
            name=op.f("ck_allocations_dates_in_order"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_allocations_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_allocations_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
    )
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_allocations_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_allocations_worker_id"), ["worker_id"], unique=False
        )
        batch_op.create_index(
            "uq_allocations_one_current_per_case",
            ["case_id"],
            unique=True,
            sqlite_where=sa.text("ended_on IS NULL"),
            postgresql_where=sa.text("ended_on IS NULL"),
        )

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("from_worker_id", sa.Integer(), nullable=True),
        sa.Column("to_worker_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_audit_events_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["from_worker_id"],
            ["workers.id"],
            name=op.f("fk_audit_events_from_worker_id_workers"),
        ),
        sa.ForeignKeyConstraint(
            ["to_worker_id"],
            ["workers.id"],
            name=op.f("fk_audit_events_to_worker_id_workers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_events_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_events_occurred_at"), ["occurred_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_audit_events_case_id"))

    op.drop_table("audit_events")
    with op.batch_alter_table("allocations", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_allocations_one_current_per_case",
            sqlite_where=sa.text("ended_on IS NULL"),
            postgresql_where=sa.text("ended_on IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_allocations_worker_id"))
        batch_op.drop_index(batch_op.f("ix_allocations_case_id"))

    op.drop_table("allocations")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_team_id"))
        batch_op.drop_index(batch_op.f("ix_cases_child_id"))

    op.drop_table("cases")
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workers_team_id"))

    op.drop_table("workers")
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_children_family_group_id"))

    op.drop_table("children")
    op.drop_table("teams")
    op.drop_table("family_groups")
