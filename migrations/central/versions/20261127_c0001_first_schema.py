"""Central records: the first schema.

Tables keyed by the desktops' natural keys; a change sequence stamped on every row a pull can
bring back, by a trigger that first takes an exclusive transaction-level advisory lock so the
numbers become visible in the order they were given (see sync/central_schema.py); the store's
own id in ``central_info``.

Revision ID: c0001
Revises:
Create Date: 2026-11-27 05:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

SEQ_LOCK_KEY = 7_461_301  # sync/central_schema.py's; frozen here as this revision's
SEQUENCED = (
    "teams",
    "workers",
    "family_groups",
    "children",
    "cases",
    "allocations",
    "settings",
    "conflicts",
)

revision: str = "c0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE SEQUENCE change_seq AS bigint")
    op.execute(
        f"""
        CREATE FUNCTION stamp_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({SEQ_LOCK_KEY});
            NEW.seq := nextval('change_seq');
            RETURN NEW;
        END
        $$
        """
    )
    op.create_table(
        "central_info",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("central_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_central_info_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_central_info")),
    )
    op.create_table(
        "desktops",
        sa.Column("desktop_id", sa.String(length=36), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("label", sa.String(length=200), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("desktop_id", name=op.f("pk_desktops")),
    )
    op.create_table(
        "exports",
        sa.Column("event_uuid", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("team", sa.String(length=120), nullable=True),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("event_uuid", name=op.f("pk_exports")),
    )
    op.create_table(
        "family_groups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_groups")),
        sa.UniqueConstraint("ref", name=op.f("uq_family_groups_ref")),
    )
    op.create_index(op.f("ix_family_groups_seq"), "family_groups", ["seq"], unique=False)
    op.create_table(
        "received_events",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("desktop_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("detail", sa.String(length=1000), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("uuid", name=op.f("pk_received_events")),
    )
    op.create_index(
        op.f("ix_received_events_desktop_id"), "received_events", ["desktop_id"], unique=False
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_settings")),
    )
    op.create_index(op.f("ix_settings_seq"), "settings", ["seq"], unique=False)
    op.create_table(
        "supervision_addenda",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("desktop_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by", sa.String(length=120), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("event_uuid", sa.String(length=36), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_addenda")),
        sa.UniqueConstraint("event_uuid", name=op.f("uq_supervision_addenda_event_uuid")),
    )
    op.create_index(
        op.f("ix_supervision_addenda_desktop_id_record_id"),
        "supervision_addenda",
        ["desktop_id", "record_id"],
        unique=False,
    )
    op.create_table(
        "supervision_records",
        sa.Column("event_uuid", sa.String(length=36), nullable=False),
        sa.Column("desktop_id", sa.String(length=36), nullable=False),
        sa.Column("record_id", sa.String(length=40), nullable=False),
        sa.Column("staff_id", sa.String(length=40), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finalised_by", sa.String(length=120), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("event_uuid", name=op.f("pk_supervision_records")),
        sa.UniqueConstraint(
            "desktop_id", "record_id", name=op.f("uq_supervision_records_desktop_id_record_id")
        ),
    )
    op.create_index(
        op.f("ix_supervision_records_staff_id"), "supervision_records", ["staff_id"], unique=False
    )
    op.create_table(
        "teams",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("service", sa.String(length=120), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams")),
        sa.UniqueConstraint("name", name=op.f("uq_teams_name")),
    )
    op.create_index(op.f("ix_teams_seq"), "teams", ["seq"], unique=False)
    op.create_table(
        "children",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=60), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("family_group_id", sa.Integer(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_group_id"],
            ["family_groups.id"],
            name=op.f("fk_children_family_group_id_family_groups"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_children")),
        sa.UniqueConstraint("external_id", name=op.f("uq_children_external_id")),
    )
    op.create_index(
        op.f("ix_children_family_group_id"), "children", ["family_group_id"], unique=False
    )
    op.create_index(op.f("ix_children_seq"), "children", ["seq"], unique=False)
    op.create_table(
        "conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_uuid", sa.String(length=36), nullable=True),
        sa.Column("desktop_id", sa.String(length=36), nullable=False),
        sa.Column("case_ref", sa.String(length=40), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("my_change", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("central_state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution", sa.String(length=40), nullable=True),
        sa.Column("resolved_by", sa.String(length=120), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_conflicts_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflicts")),
    )
    op.create_index(op.f("ix_conflicts_desktop_id"), "conflicts", ["desktop_id"], unique=False)
    op.create_index(op.f("ix_conflicts_seq"), "conflicts", ["seq"], unique=False)
    op.create_index(op.f("ix_conflicts_team_id"), "conflicts", ["team_id"], unique=False)
    op.create_table(
        "workers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("employment", sa.String(length=32), nullable=False),
        sa.Column("fte", sa.Numeric(precision=4, scale=2), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_workers_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
        sa.UniqueConstraint("staff_id", name=op.f("uq_workers_staff_id")),
    )
    op.create_index(op.f("ix_workers_seq"), "workers", ["seq"], unique=False)
    op.create_index(op.f("ix_workers_team_id"), "workers", ["team_id"], unique=False)
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=40), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("risk", sa.String(length=32), nullable=False),
        sa.Column("court_proceedings", sa.Boolean(), nullable=False),
        sa.Column("assessment_started_on", sa.Date(), nullable=True),
        sa.Column("last_visit_on", sa.Date(), nullable=True),
        sa.Column("next_visit_due", sa.Date(), nullable=True),
        sa.Column("next_review_due", sa.Date(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name=op.f("fk_cases_child_id_children")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_cases_team_id_teams")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("case_ref", name=op.f("uq_cases_case_ref")),
    )
    op.create_index(op.f("ix_cases_child_id"), "cases", ["child_id"], unique=False)
    op.create_index(op.f("ix_cases_seq"), "cases", ["seq"], unique=False)
    op.create_index(op.f("ix_cases_team_id"), "cases", ["team_id"], unique=False)
    op.create_table(
        "allocations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("worker_id", sa.Integer(), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("reason_code", sa.String(length=32), nullable=True),
        sa.Column("reason_text", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event_uuid", sa.String(length=36), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_allocations_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["worker_id"], ["workers.id"], name=op.f("fk_allocations_worker_id_workers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allocations")),
    )
    op.create_index(op.f("ix_allocations_case_id"), "allocations", ["case_id"], unique=False)
    op.create_index(op.f("ix_allocations_seq"), "allocations", ["seq"], unique=False)
    op.create_index(op.f("ix_allocations_worker_id"), "allocations", ["worker_id"], unique=False)
    op.create_index(
        "uq_allocations_one_current",
        "allocations",
        ["case_id"],
        unique=True,
        postgresql_where=sa.text("ended_on IS NULL"),
    )
    for table in SEQUENCED:
        op.execute(
            f"CREATE TRIGGER {table}_seq BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION stamp_change_seq()"
        )
    op.execute(
        "INSERT INTO central_info (id, central_id, created_at) "
        "VALUES (1, gen_random_uuid()::text, now())"
    )


def downgrade() -> None:
    op.drop_index(
        "uq_allocations_one_current",
        table_name="allocations",
        postgresql_where=sa.text("ended_on IS NULL"),
    )
    op.drop_index(op.f("ix_allocations_worker_id"), table_name="allocations")
    op.drop_index(op.f("ix_allocations_seq"), table_name="allocations")
    op.drop_index(op.f("ix_allocations_case_id"), table_name="allocations")
    op.drop_table("allocations")
    op.drop_index(op.f("ix_cases_team_id"), table_name="cases")
    op.drop_index(op.f("ix_cases_seq"), table_name="cases")
    op.drop_index(op.f("ix_cases_child_id"), table_name="cases")
    op.drop_table("cases")
    op.drop_index(op.f("ix_workers_team_id"), table_name="workers")
    op.drop_index(op.f("ix_workers_seq"), table_name="workers")
    op.drop_table("workers")
    op.drop_index(op.f("ix_conflicts_team_id"), table_name="conflicts")
    op.drop_index(op.f("ix_conflicts_seq"), table_name="conflicts")
    op.drop_index(op.f("ix_conflicts_desktop_id"), table_name="conflicts")
    op.drop_table("conflicts")
    op.drop_index(op.f("ix_children_seq"), table_name="children")
    op.drop_index(op.f("ix_children_family_group_id"), table_name="children")
    op.drop_table("children")
    op.drop_index(op.f("ix_teams_seq"), table_name="teams")
    op.drop_table("teams")
    op.drop_index(op.f("ix_supervision_records_staff_id"), table_name="supervision_records")
    op.drop_table("supervision_records")
    op.drop_index(
        op.f("ix_supervision_addenda_desktop_id_record_id"), table_name="supervision_addenda"
    )
    op.drop_table("supervision_addenda")
    op.drop_index(op.f("ix_settings_seq"), table_name="settings")
    op.drop_table("settings")
    op.drop_index(op.f("ix_received_events_desktop_id"), table_name="received_events")
    op.drop_table("received_events")
    op.drop_index(op.f("ix_family_groups_seq"), table_name="family_groups")
    op.drop_table("family_groups")
    op.drop_table("exports")
    op.drop_table("desktops")
    op.drop_table("central_info")
    op.execute("DROP FUNCTION stamp_change_seq()")
    op.execute("DROP SEQUENCE change_seq")
