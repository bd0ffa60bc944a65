"""Central records: the change sequence stamped per statement, not per row.

c0001 stamps ``seq`` with a row-level BEFORE trigger that takes the advisory lock and calls
``nextval`` for every row: a function call per row, and on UPDATE a lock of every old row
before it is written, which double the cost of a bulk write. The same guarantee, per statement:

- a statement-level BEFORE INSERT OR UPDATE trigger takes the exclusive transaction-level
  advisory lock (held to the commit) before the statement evaluates any row, and notes the
  sequence's last value then (``caseload.change_seq_floor``, transaction-local);
- an inserted row takes ``seq`` from the column's default, ``nextval('change_seq')``; an UPDATE
  may set ``seq = nextval('change_seq')`` itself;
- a statement-level AFTER INSERT and AFTER UPDATE trigger looks at the rows written (a
  transition table) and numbers again, with one UPDATE, every row whose ``seq`` was not given
  by this statement: not above the noted value, or above the sequence's last value (an update
  that left ``seq`` alone, a value given explicitly).

So every row written ends its statement with a number handed out under the exclusive lock, whoever
wrote it and however: numbers still become visible in the order they were given, and a pull under
the shared lock never misses a row (central_schema.py, pull.py).

Revision ID: c0002
Revises: c0001
Create Date: 2026-11-27 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

SEQ_LOCK_KEY = 7_461_301  # c0001's, frozen here as this revision's
# Each table a pull reads, with its primary key (the re-numbering UPDATE finds rows by it).
SEQUENCED = {
    "teams": "id",
    "workers": "id",
    "family_groups": "id",
    "children": "id",
    "cases": "id",
    "allocations": "id",
    "settings": "key",
    "conflicts": "id",
}

revision: str = "c0002"
down_revision: str | None = "c0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        f"""
        CREATE FUNCTION lock_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({SEQ_LOCK_KEY});
            PERFORM set_config(
                'caseload.change_seq_floor',
                (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM change_seq)::text,
                true
            );
            RETURN NULL;
        END
        $$
        """
    )
    # Called with the table's primary key column; ``stamped`` is the statement's rows.
    op.execute(
        """
        CREATE FUNCTION restamp_change_seq() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            noted bigint := NULLIF(current_setting('caseload.change_seq_floor', true), '');
            given bigint;
            stale boolean;
        BEGIN
            SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO given FROM change_seq;
            IF noted IS NULL THEN
                noted := given;  -- the statement trigger did not run: number every row again
            END IF;
            EXECUTE 'SELECT EXISTS (SELECT FROM stamped WHERE seq <= $1 OR seq > $2)'
                INTO stale USING noted, given;
            IF stale THEN
                EXECUTE format(
                    'UPDATE %I SET seq = nextval(''change_seq'') WHERE %I IN '
                    '(SELECT %I FROM stamped WHERE seq <= $1 OR seq > $2)',
                    TG_TABLE_NAME, TG_ARGV[0], TG_ARGV[0]
                ) USING noted, given;
            END IF;
            RETURN NULL;
        END
        $$
        """
    )
    for table, key in SEQUENCED.items():
        op.execute(f"DROP TRIGGER {table}_seq ON {table}")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN seq SET DEFAULT nextval('change_seq')")
        op.execute(
            f"CREATE TRIGGER {table}_seq_lock BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION lock_change_seq()"
        )
        for event in ("INSERT", "UPDATE"):
            op.execute(
                f"CREATE TRIGGER {table}_seq_{event.lower()} AFTER {event} ON {table} "
                "REFERENCING NEW TABLE AS stamped FOR EACH STATEMENT "
                f"EXECUTE FUNCTION restamp_change_seq('{key}')"
            )


def downgrade() -> None:
    for table in SEQUENCED:
        op.execute(f"DROP TRIGGER {table}_seq_update ON {table}")
        op.execute(f"DROP TRIGGER {table}_seq_insert ON {table}")
        op.execute(f"DROP TRIGGER {table}_seq_lock ON {table}")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN seq DROP DEFAULT")
        op.execute(
            f"CREATE TRIGGER {table}_seq BEFORE INSERT OR UPDATE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION stamp_change_seq()"
        )
    op.execute("DROP FUNCTION restamp_change_seq()")
    op.execute("DROP FUNCTION lock_change_seq()")
