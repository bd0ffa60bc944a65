"""The central schema the migrations build is the one the code describes, and a pull still
finds its rows by the indexes it was given."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from caseload_desktop.sync import central_schema as cs
from caseload_desktop.sync.central import parse_address

pytestmark = pytest.mark.filterwarnings("ignore::platformdirs.api.RuntimeDirWarning")


def test_the_migrated_schema_is_the_one_central_schema_describes(central_url: str) -> None:
    engine = sa.create_engine(parse_address(central_url))
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, cs.metadata)
    finally:
        engine.dispose()
    # alembic_version is Alembic's own.
    assert [d for d in differences if "alembic_version" not in repr(d)] == []


def _indexes(conn: psycopg.Connection[Any], table: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", (table,)
    ).fetchall()
    return {name: definition for name, definition in rows}


def test_allocations_index_the_current_rows_a_pull_and_a_push_look_up(central_url: str) -> None:
    with psycopg.connect(central_url) as conn:
        allocations = _indexes(conn, "allocations")
        assert set(allocations) == {
            "pk_allocations",
            "ix_allocations_case_id",
            "uq_allocations_one_current",
            "ix_allocations_seq_current",
        }
        assert "WHERE (ended_on IS NULL)" in allocations["ix_allocations_seq_current"]
        assert set(_indexes(conn, "received_events")) == {"pk_received_events"}
        # A pull's look for the current allocations changed after its cursor reads that index
        # (the planner told to avoid a sequential scan, as on a table of a real size).
        conn.execute("SET enable_seqscan = off")
        plan = "\n".join(
            row[0]
            for row in conn.execute(
                "EXPLAIN SELECT case_id FROM allocations WHERE ended_on IS NULL AND seq > 5"
            ).fetchall()
        )
        assert "ix_allocations_seq_current" in plan
