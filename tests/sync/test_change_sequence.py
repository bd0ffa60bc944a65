"""The central change sequence: every insert and update of a table a pull reads takes a new
number, under the exclusive advisory lock held to the commit, so numbers become visible in the
order they were given and a pull (``seq > cursor`` under the shared lock) never misses a row.

Each writer is a plain SQL statement here: the guarantee is the schema's, whoever writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic import command

from caseload_desktop.services import sync as sync_service
from caseload_desktop.sync import central_schema as cs
from caseload_desktop.sync.central import alembic_config, head_revision, parse_address

pytestmark = pytest.mark.filterwarnings("ignore::platformdirs.api.RuntimeDirWarning")

# One row for each table a pull reads, in an order that satisfies their foreign keys; and an
# update of it that leaves ``seq`` alone.
ROWS = {
    "teams": (
        "INSERT INTO teams (name) VALUES ('Seq team')",
        "UPDATE teams SET service = 'North' WHERE name = 'Seq team'",
    ),
    "workers": (
        "INSERT INTO workers (staff_id, name, team_id, role, employment, fte, start_date, "
        "status) SELECT 'S-SEQ', 'Sam Seq', id, 'social_worker', 'permanent', 1, "
        "'2026-01-05', 'active' FROM teams WHERE name = 'Seq team'",
        "UPDATE workers SET end_date = '2026-12-31' WHERE staff_id = 'S-SEQ'",
    ),
    "family_groups": (
        "INSERT INTO family_groups (ref, name) VALUES ('FG-SEQ', 'Seq family')",
        "UPDATE family_groups SET name = 'Seq household' WHERE ref = 'FG-SEQ'",
    ),
    "children": (
        "INSERT INTO children (external_id, name, family_group_id) "
        "SELECT 'CH-SEQ', 'Ada Seq', id FROM family_groups WHERE ref = 'FG-SEQ'",
        "UPDATE children SET date_of_birth = '2019-03-01' WHERE external_id = 'CH-SEQ'",
    ),
    "cases": (
        "INSERT INTO cases (case_ref, child_id, team_id, category, opened_on, risk, "
        "court_proceedings) SELECT 'C-SEQ', c.id, t.id, 'child_in_need', '2026-02-01', "
        "'medium', false FROM children c, teams t "
        "WHERE c.external_id = 'CH-SEQ' AND t.name = 'Seq team'",
        "UPDATE cases SET risk = 'high' WHERE case_ref = 'C-SEQ'",
    ),
    "allocations": (
        "INSERT INTO allocations (case_id, worker_id, started_on, created_by, created_at) "
        "SELECT c.id, w.id, '2026-02-01', 'test', now() FROM cases c, workers w "
        "WHERE c.case_ref = 'C-SEQ' AND w.staff_id = 'S-SEQ'",
        "UPDATE allocations SET ended_on = '2026-03-01' WHERE case_id = "
        "(SELECT id FROM cases WHERE case_ref = 'C-SEQ')",
    ),
    "settings": (
        "INSERT INTO settings (key, value, updated_at, updated_by) "
        "VALUES ('seq.test', '1', now(), 'test')",
        "UPDATE settings SET value = '2' WHERE key = 'seq.test'",
    ),
    "conflicts": (
        "INSERT INTO conflicts (desktop_id, case_ref, my_change, central_state, created_at) "
        "VALUES ('d', 'C-SEQ', '{}', '{}', now())",
        "UPDATE conflicts SET resolution = 'kept_central' WHERE case_ref = 'C-SEQ'",
    ),
}
KEYS = {
    "teams": "name = 'Seq team'",
    "workers": "staff_id = 'S-SEQ'",
    "family_groups": "ref = 'FG-SEQ'",
    "children": "external_id = 'CH-SEQ'",
    "cases": "case_ref = 'C-SEQ'",
    "allocations": "case_id = (SELECT id FROM cases WHERE case_ref = 'C-SEQ')",
    "settings": "key = 'seq.test'",
    "conflicts": "case_ref = 'C-SEQ'",
}


def test_every_sequenced_table_is_covered() -> None:
    assert set(ROWS) == set(cs.SEQUENCED)


@pytest.fixture
def writer(central_url: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(central_url) as conn:
        yield conn


def _seq(conn: psycopg.Connection[Any], table: str) -> int:
    row = conn.execute(f"SELECT seq FROM {table} WHERE {KEYS[table]}").fetchone()
    assert row is not None
    return int(row[0])


def _last_value(conn: psycopg.Connection[Any]) -> int:
    """The last number given (0 before the first), as a pull reads it."""
    row = conn.execute(f"SELECT last_value, is_called FROM {cs.CHANGE_SEQUENCE}").fetchone()
    assert row is not None
    return int(row[0]) if row[1] else 0


def _pull_may_read(url: str) -> bool:
    """Whether a pull could take the shared side of the lock now."""
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_try_advisory_xact_lock_shared(%s)", (cs.SEQ_LOCK_KEY,))
        return bool(row.fetchone()[0])  # type: ignore[index]


def _insert_all(conn: psycopg.Connection[Any], upto: str | None = None) -> None:
    for table, (insert, _update) in ROWS.items():
        if table == upto:
            break
        conn.execute(insert)
    conn.commit()


@pytest.mark.parametrize("table", cs.SEQUENCED)
def test_an_insert_takes_a_new_number_and_holds_the_lock_to_its_commit(
    table: str, central_url: str, writer: psycopg.Connection[Any]
) -> None:
    _insert_all(writer, upto=table)
    before = _last_value(writer)
    assert _pull_may_read(central_url)
    writer.execute(ROWS[table][0])
    assert not _pull_may_read(central_url)  # a pull waits for this commit
    assert _seq(writer, table) == _last_value(writer) > before
    writer.commit()
    assert _pull_may_read(central_url)


@pytest.mark.parametrize("table", cs.SEQUENCED)
def test_an_update_takes_a_new_number_and_holds_the_lock_to_its_commit(
    table: str, central_url: str, writer: psycopg.Connection[Any]
) -> None:
    _insert_all(writer)
    stamped = _seq(writer, table)
    writer.execute(ROWS[table][1])
    assert not _pull_may_read(central_url)
    assert _seq(writer, table) == _last_value(writer) > stamped
    writer.commit()
    assert _pull_may_read(central_url)


def test_an_update_that_stamps_its_rows_itself_keeps_its_numbers(
    central_url: str, writer: psycopg.Connection[Any]
) -> None:
    _insert_all(writer)
    before = _last_value(writer)
    row = writer.execute(
        f"UPDATE cases SET risk = 'low', seq = nextval('{cs.CHANGE_SEQUENCE}') "
        "WHERE case_ref = 'C-SEQ' RETURNING seq"
    ).fetchone()
    assert not _pull_may_read(central_url)
    # One new number, not two: the change trigger leaves a row the statement numbered itself.
    assert row is not None and row[0] == _seq(writer, "cases") == _last_value(writer) == before + 1
    writer.commit()


@pytest.mark.parametrize("given", ["1", "seq", "seq + 1000000"])
def test_a_number_given_explicitly_is_replaced_by_a_new_one(
    given: str, writer: psycopg.Connection[Any]
) -> None:
    _insert_all(writer)
    before = _last_value(writer)
    writer.execute(f"UPDATE workers SET name = 'Sam Seq-Jones', seq = {given}")
    writer.execute(f"INSERT INTO teams (name, seq) VALUES ('Given', {given.replace('seq', '5')})")
    assert before < _seq(writer, "workers") < _last_value(writer)
    row = writer.execute("SELECT seq FROM teams WHERE name = 'Given'").fetchone()
    assert row is not None and row[0] == _last_value(writer)


def test_an_upsert_numbers_the_rows_it_updates_and_the_ones_it_inserts(
    writer: psycopg.Connection[Any],
) -> None:
    _insert_all(writer)
    stamped = _seq(writer, "settings")
    writer.execute(
        "INSERT INTO settings (key, value, updated_at, updated_by) VALUES "
        "('seq.test', '3', now(), 'test'), ('seq.other', '4', now(), 'test') "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
    numbers = [seq for (seq,) in writer.execute("SELECT seq FROM settings").fetchall()]
    assert len(set(numbers)) == 2
    assert all(stamped < seq <= _last_value(writer) for seq in numbers)


def test_a_statement_that_writes_nothing_still_orders_itself(
    central_url: str, writer: psycopg.Connection[Any]
) -> None:
    """The lock is taken before any row is looked at, so a writer never numbers a row ahead
    of another one's commit."""
    writer.execute("UPDATE teams SET service = 'x' WHERE false")
    assert not _pull_may_read(central_url)
    writer.rollback()
    assert _pull_may_read(central_url)


def test_a_first_schema_store_upgrades_and_keeps_numbering(pg_server: Any) -> None:
    name = pg_server.create_database()
    url = pg_server.url_of(name)
    engine = sa.create_engine(parse_address(url))
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "c0001")
        with psycopg.connect(url) as conn:
            conn.execute(ROWS["teams"][0])
            conn.commit()
            first = _seq(conn, "teams")
        assert sync_service.init_central(url) == ("c0001", head_revision())
        with psycopg.connect(url) as conn:
            conn.execute(ROWS["teams"][1])
            assert _seq(conn, "teams") == _last_value(conn) > first
            conn.execute("INSERT INTO teams (name) VALUES ('Another')")
            row = conn.execute("SELECT seq FROM teams WHERE name = 'Another'").fetchone()
            assert row is not None and row[0] == _last_value(conn)
            conn.commit()
        # And back: the first schema's row trigger numbers every write again.
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "c0001")
        with psycopg.connect(url) as conn:
            conn.execute("INSERT INTO teams (name, seq) VALUES ('Third', 0)")
            row = conn.execute("SELECT seq FROM teams WHERE name = 'Third'").fetchone()
            assert row is not None and row[0] == _last_value(conn)
            conn.rollback()
    finally:
        engine.dispose()
        pg_server.drop_database(name)
