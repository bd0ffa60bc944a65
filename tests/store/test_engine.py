"""Opening team databases: the settings every connection gets, and bad files left untouched."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from caseload_desktop.errors import BadInput, DatabaseBusy, NewerSchema, NotADatabase, NotFound
from caseload_desktop.store.engine import (
    backups_dir,
    create_database,
    head_revision,
    inspect_file,
    open_database,
)
from caseload_desktop.store.models import Team


def _raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None, timeout=0)


def test_every_connection_uses_wal_full_sync_and_foreign_keys(tmp_path: Path) -> None:
    db = create_database(tmp_path / "team.db")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    db.close()


def test_a_write_session_takes_the_write_lock_at_begin(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    db = create_database(path)
    other = _raw(path)
    with db.write() as session:
        session.execute(sa.select(1))  # nothing written yet, but BEGIN IMMEDIATE holds the lock
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")  # released at commit
    other.execute("ROLLBACK")
    other.close()
    db.close()


def test_a_read_session_does_not_block_writers(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    db = create_database(path)
    other = _raw(path)
    with db.read() as session:
        session.execute(sa.select(sa.func.count()).select_from(Team)).scalar_one()
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO teams (name, version) VALUES ('Other', 1)")
        other.execute("COMMIT")
    other.close()
    db.close()


def test_savepoints_roll_back_only_their_part(tmp_path: Path) -> None:
    db = create_database(tmp_path / "team.db")
    with db.write() as session:
        session.add(Team(name="Kept"))
        session.flush()
        nested = session.begin_nested()
        session.add(Team(name="Dropped"))
        session.flush()
        nested.rollback()
    with db.read() as session:
        assert session.scalars(sa.select(Team.name)).all() == ["Kept"]
    db.close()


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    db = create_database(tmp_path / "team.db")
    with pytest.raises(RuntimeError), db.write() as session:
        session.add(Team(name="Half"))
        session.flush()
        raise RuntimeError("boom")
    with db.read() as session:
        assert session.scalars(sa.select(Team.name)).all() == []
    db.close()


def test_opening_a_missing_database_is_refused_and_creates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(NotFound, match="No database at"):
        open_database(path)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="is a folder"):
        open_database(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"case_ref,child\nC-1,Ada\n", "not an SQLite file"),
        (bytes(range(256)) * 64, "not an SQLite file"),
        (b"SQLite format 3\x00" + b"\xff" * 4000, "damaged or not a database"),
    ],
    ids=["zero-length", "csv", "random-bytes", "sqlite-header-then-garbage"],
)
def test_a_file_that_is_not_a_database_is_refused_and_left_unchanged(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "team.db"
    path.write_bytes(content)
    with pytest.raises(NotADatabase, match=message):
        open_database(path)
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team.db"]


def test_another_programs_sqlite_database_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NotADatabase, match="not a Caseload Desktop one"):
        open_database(path)
    assert path.read_bytes() == before


def _set_revision(path: Path, revision: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def test_a_database_from_a_newer_version_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    create_database(path).close()
    _set_revision(path, "9999_from_the_future")
    before = path.read_bytes()
    with pytest.raises(NewerSchema, match="newer version") as raised:
        open_database(path)
    assert "9999_from_the_future" in str(raised.value)
    assert path.read_bytes() == before
    assert not backups_dir(path).exists()


def test_a_busy_database_waits_briefly_then_says_so(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    create_database(path).close()
    db, _ = open_database(path, busy_timeout=0.2)
    holder = _raw(path)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with (
            pytest.raises(DatabaseBusy, match="busy: another program is writing"),
            db.write() as session,
        ):
            session.add(Team(name="Blocked"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with db.read() as session:
        assert session.scalars(sa.select(Team.name)).all() == []
    db.close()


def test_creating_over_an_existing_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    path.write_bytes(b"precious")
    with pytest.raises(BadInput, match="already exists"):
        create_database(path)
    assert path.read_bytes() == b"precious"


def test_a_new_database_is_at_head_and_inspects_clean(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "folder" / "team.db"
    db = create_database(path)
    assert db.revision == head_revision()
    db.close()
    assert inspect_file(path).revision == head_revision()


def test_every_engine_of_the_process_shares_the_queries_compiled(tmp_path: Path) -> None:
    """A database opened after another reuses the statements SQLAlchemy compiled for the first
    (its cache is per engine, keyed by dialect: ours are equal for one driver and version)."""
    from caseload_desktop.store import queries
    from caseload_desktop.store.engine import Passphrase, make_engine

    first = create_database(tmp_path / "first.db")
    second = create_database(tmp_path / "second.db")
    statement = queries.case_table_statement(dt.date(2026, 11, 27), team_id=4242)
    hits: list[bool] = []

    @sa.event.listens_for(second.engine, "after_cursor_execute")
    def noted(*args: Any) -> None:
        context = args[4]
        if context.compiled is not None and "cases.case_ref" in args[2]:
            hits.append(context.cache_hit == context.dialect.CACHE_HIT)

    try:
        with first.read() as session:
            session.execute(statement).all()
        with second.read() as session:
            session.execute(statement).all()
        assert hits == [True]
        assert first.engine.dialect == second.engine.dialect
        # SQLCipher is another driver (and SQLite build): its engines compile for themselves.
        encrypted = make_engine(tmp_path / "secret.db", key=Passphrase("not a secret"))
        assert encrypted.dialect != first.engine.dialect
        encrypted.dispose()
    finally:
        first.close()
        second.close()
