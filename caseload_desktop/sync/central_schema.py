"""The central records store (PostgreSQL): the tables every desktop syncs with.

Rows are keyed by the natural keys the desktops share (team name, staff ID, child ID, case ref,
record ID); the integer ids are central's own. Every row that a pull can bring back carries
``seq`` from one change sequence, handed out under an exclusive transaction-level advisory lock
held to the commit, so sequence numbers become visible in the order they were given: a pull that
reads up to the sequence's last value under the shared lock never misses a row committed later
with a smaller number. Triggers per statement keep that for every writer (revision c0002): one
takes the lock before the statement touches a row; an inserted row takes its number from the
column's default (an UPDATE may set ``seq = nextval('change_seq')`` itself); one after the
statement numbers again any row it wrote that holds no number given by it (an update that left
``seq`` alone, a value given explicitly). Migrations live in ``migrations/central``
(``caseload central init`` applies them).

Reference data (teams, workers, children, cases) takes central's copy as the record; an
allocation is changed only by an event that names the allocation it expects to replace, and a
mismatch becomes a row in ``conflicts``, never an overwrite.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

CHANGE_SEQUENCE = "change_seq"
# The advisory lock that orders sequence numbers with commits (an arbitrary constant, the
# same in the lock trigger and in pulls).
SEQ_LOCK_KEY = 7_461_301


def _seq(*, index: bool = True) -> sa.Column[int]:
    return sa.Column(
        "seq",
        sa.BigInteger,
        nullable=False,
        index=index,
        server_default=sa.text(f"nextval('{CHANGE_SEQUENCE}'::regclass)"),
    )


central_info = sa.Table(
    "central_info",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("central_id", sa.String(36), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("id = 1", name="one_row"),
)

desktops = sa.Table(
    "desktops",
    metadata,
    sa.Column("desktop_id", sa.String(36), primary_key=True),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("label", sa.String(200), nullable=False, server_default=""),
)

teams = sa.Table(
    "teams",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(120), nullable=False, unique=True),
    sa.Column("service", sa.String(120)),
    _seq(),
)

workers = sa.Table(
    "workers",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("staff_id", sa.String(40), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("team_id", sa.ForeignKey("teams.id"), nullable=False, index=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("employment", sa.String(32), nullable=False),
    sa.Column("fte", sa.Numeric(4, 2), nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date),
    sa.Column("status", sa.String(32), nullable=False),
    _seq(),
)

family_groups = sa.Table(
    "family_groups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("ref", sa.String(40), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    _seq(),
)

children = sa.Table(
    "children",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("external_id", sa.String(60), nullable=False, unique=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("date_of_birth", sa.Date),
    sa.Column("family_group_id", sa.ForeignKey("family_groups.id"), index=True),
    _seq(),
)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("case_ref", sa.String(40), nullable=False, unique=True),
    sa.Column("child_id", sa.ForeignKey("children.id"), nullable=False, index=True),
    sa.Column("team_id", sa.ForeignKey("teams.id"), nullable=False, index=True),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("closed_on", sa.Date),
    sa.Column("risk", sa.String(32), nullable=False),
    sa.Column("court_proceedings", sa.Boolean, nullable=False),
    sa.Column("assessment_started_on", sa.Date),
    sa.Column("last_visit_on", sa.Date),
    sa.Column("next_visit_due", sa.Date),
    sa.Column("next_review_due", sa.Date),
    _seq(),
)

allocations = sa.Table(
    "allocations",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("case_id", sa.ForeignKey("cases.id"), nullable=False, index=True),
    sa.Column("worker_id", sa.ForeignKey("workers.id")),
    sa.Column("started_on", sa.Date, nullable=False),
    sa.Column("ended_on", sa.Date),
    sa.Column("reason_code", sa.String(32)),
    sa.Column("reason_text", sa.String(1000), nullable=False, server_default=""),
    sa.Column("created_by", sa.String(120), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("event_uuid", sa.String(36)),
    _seq(index=False),
    # One current allocation per case, as in the local database.
    sa.Index(
        "uq_allocations_one_current",
        "case_id",
        unique=True,
        postgresql_where=sa.text("ended_on IS NULL"),
    ),
    # Central looks allocations up only while they are current (a pull brings back the current
    # allocations changed after its cursor; a push decides against the current one): the
    # change sequence's index holds just those, so ending an allocation, which renumbers it,
    # adds no entry to it (revision c0003). History by case keeps ix_allocations_case_id.
    sa.Index(
        "ix_allocations_seq_current",
        "seq",
        postgresql_where=sa.text("ended_on IS NULL"),
    ),
)

settings = sa.Table(
    "settings",
    metadata,
    sa.Column("key", sa.String(80), primary_key=True),
    sa.Column("value", pg.JSONB),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_by", sa.String(120), nullable=False),
    _seq(),
)

# Record IDs are numbered by each desktop's database (SUP-000001 on every one of them): central
# knows a record by the desktop it came from and its ID.
supervision_records = sa.Table(
    "supervision_records",
    metadata,
    sa.Column("event_uuid", sa.String(36), primary_key=True),
    sa.Column("desktop_id", sa.String(36), nullable=False),
    sa.Column("record_id", sa.String(40), nullable=False),
    sa.Column("staff_id", sa.String(40), nullable=False, index=True),
    sa.Column("held_on", sa.Date, nullable=False),
    sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finalised_by", sa.String(120), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("pdf", sa.LargeBinary, nullable=False),
    sa.UniqueConstraint("desktop_id", "record_id"),
)

supervision_addenda = sa.Table(
    "supervision_addenda",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("desktop_id", sa.String(36), nullable=False),
    sa.Column("record_id", sa.String(40), nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("added_by", sa.String(120), nullable=False),
    sa.Column("sha256", sa.String(64)),
    sa.Column("event_uuid", sa.String(36), nullable=False, unique=True),
    sa.Index(None, "desktop_id", "record_id"),
)

exports = sa.Table(
    "exports",
    metadata,
    sa.Column("event_uuid", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("format", sa.String(10), nullable=False),
    sa.Column("team", sa.String(120)),
    sa.Column("file_name", sa.String(300), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("generated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.String(120), nullable=False),
)

received_events = sa.Table(
    "received_events",
    metadata,
    sa.Column("uuid", sa.String(36), primary_key=True),
    # Not indexed: nothing looks events up by desktop, and every push writes thousands.
    sa.Column("desktop_id", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(60), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False),
    # The payload without the document bytes (those are in their own table).
    sa.Column("payload", pg.JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    # applied | already (the change was already there) | conflict | recorded | rejected
    sa.Column("outcome", sa.String(20), nullable=False, server_default="pending"),
    sa.Column("detail", sa.String(1000), nullable=False, server_default=""),
)

conflicts = sa.Table(
    "conflicts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_uuid", sa.String(36)),
    sa.Column("desktop_id", sa.String(36), nullable=False, index=True),
    sa.Column("case_ref", sa.String(40), nullable=False),
    sa.Column("team_id", sa.ForeignKey("teams.id"), index=True),
    sa.Column("my_change", pg.JSONB, nullable=False),
    sa.Column("central_state", pg.JSONB, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Column("resolution", sa.String(40)),
    sa.Column("resolved_by", sa.String(120)),
    _seq(),
)

# The tables whose rows carry ``seq`` (its default and the change triggers number them).
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
