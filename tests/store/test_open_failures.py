"""Opening and creating databases where the user's environment is the problem: clear messages,
nothing changed, and no child's details in any error text."""

from __future__ import annotations

import datetime as dt
import sqlite3
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseload_desktop import app
from caseload_desktop.domain.practice import DEFAULT_RULES
from caseload_desktop.errors import BadInput, DatabaseBusy, NotADatabase
from caseload_desktop.store import queries
from caseload_desktop.store.engine import Database, create_database, open_database
from caseload_desktop.store.models import Child

TODAY = dt.date(2026, 11, 26)


def test_an_empty_sqlite_file_is_not_adopted_and_stays_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NotADatabase, match="empty SQLite database"):
        open_database(path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_a_database_locked_exclusively_is_busy_not_damaged(demo_db_path: Path) -> None:
    holder = sqlite3.connect(demo_db_path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseBusy, match="busy"):
            open_database(demo_db_path, busy_timeout=0.2)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_path_through_a_file_is_refused_clearly(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    with pytest.raises(BadInput, match="Cannot create a database"):
        create_database(tmp_path / "notes.txt" / "team.db")


def test_a_name_too_long_for_the_file_system_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="Cannot use"):
        create_database(tmp_path / ("x" * 300 + ".db"))


def test_a_device_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not a regular file"):
        open_database(Path("/dev/null"))


def test_errors_never_quote_the_values_being_written(demo_db: Database) -> None:
    secret = "Canary Zebedee-Quill"
    with pytest.raises(sa.exc.IntegrityError) as raised, demo_db.write() as session:
        session.execute(sa.insert(Child.__table__).values(id=1, external_id="dup", name=secret))
    assert secret not in str(raised.value)


def test_a_leaver_still_holding_cases_is_rated_red(demo_db: Database) -> None:
    with demo_db.read() as session:
        rows = queries.worker_caseloads(session, TODAY, DEFAULT_RULES)
    leavers = [r for r in rows if r.status != "active"]
    assert leavers and all(r.cases > 0 for r in leavers if r.status == "left")
    assert all(r.rag.value == "red" and r.capacity == 0 for r in leavers if r.cases)


def test_a_past_today_shows_the_allocations_in_force_then(demo_db: Database) -> None:
    past = dt.date(2026, 6, 1)
    with demo_db.read() as session:
        rows = queries.open_cases(session, past)
    assert rows
    for row in rows:
        assert row.opened_on <= past
        assert row.allocated_on is None or row.allocated_on <= past
        if row.days_waiting is not None:
            assert row.days_waiting == (past - (row.allocated_on or row.opened_on)).days


def test_the_gui_starts_without_a_console(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "stderr", None)
    app._enable_faulthandler()  # a Windows gui-script has no stderr; this must not raise
    import faulthandler

    assert faulthandler.is_enabled()
    faulthandler.disable()
