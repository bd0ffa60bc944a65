"""The demo service: deterministic, varied, and one team in the state the inspection found."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseload_desktop.domain.categories import Category, Employment, Role
from caseload_desktop.domain.practice import DEFAULT_RULES
from caseload_desktop.errors import BadInput
from caseload_desktop.store import queries
from caseload_desktop.store.demo import INSPECTION_TEAM, create_demo_database, plan_teams
from caseload_desktop.store.engine import Database, open_database
from caseload_desktop.store.models import Child, Worker

TODAY = dt.date(2026, 11, 26)


def _dump(path: Path) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        rows: list[tuple[object, ...]] = []
        for table in ("teams", "workers", "children", "cases"):
            rows += conn.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
        # created_at is the moment the demo was written, the one thing a seed cannot fix.
        rows += conn.execute(
            "SELECT case_id, worker_id, started_on, ended_on, reason_code, reason_text"
            " FROM allocations ORDER BY id"
        ).fetchall()
        rows += conn.execute(
            "SELECT action, case_id, from_worker_id, to_worker_id, reason FROM audit_events"
            " ORDER BY id"
        ).fetchall()
        return rows
    finally:
        conn.close()


def test_the_same_seed_gives_the_same_service(tmp_path: Path) -> None:
    for name in ("a.db", "b.db"):
        create_demo_database(tmp_path / name, seed=11, cases=300, today=TODAY)
    create_demo_database(tmp_path / "c.db", seed=12, cases=300, today=TODAY)
    assert _dump(tmp_path / "a.db") == _dump(tmp_path / "b.db")
    assert _dump(tmp_path / "a.db") != _dump(tmp_path / "c.db")


def test_the_inspection_team_has_230_plus_waiting_and_a_manager_holding_30_plus(
    demo_db: Database,
) -> None:
    with demo_db.read() as session:
        team = queries.find_team(session, INSPECTION_TEAM)
        q = queries.queues(session, TODAY, team_id=team.id)
        loads = queries.worker_caseloads(session, TODAY, DEFAULT_RULES, team_id=team.id)
    assert len(q.orphaned) + len(q.unallocated) >= 230
    managers = [r for r in loads if r.role is Role.TEAM_MANAGER and r.status == "active"]
    assert len(managers) == 1 and managers[0].cases >= 30
    assert len(q.held_by_manager) == managers[0].cases
    # Most of its cases are still with workers who have left (the inspection's finding).
    assert len(q.orphaned) > len(q.unallocated)
    assert all(r.worker_left_on is not None for r in q.orphaned)


def test_the_service_has_the_variety_a_manager_meets(demo_db: Database) -> None:
    with demo_db.read() as session:
        teams = queries.list_teams(session)
        workers = session.execute(sa.select(Worker.role, Worker.employment, Worker.end_date)).all()
        cases = queries.open_cases(session, TODAY)
        group_sizes = Counter(
            session.scalars(
                sa.select(Child.family_group_id).where(Child.family_group_id.is_not(None))
            )
        )
    assert len(teams) >= 5
    assert len(workers) >= 40
    employment = Counter(w.employment for w in workers)
    assert employment[Employment.PERMANENT] > employment[Employment.AGENCY] > 0
    roles = Counter(w.role for w in workers)
    assert roles[Role.ASYE] > 0 and roles[Role.STUDENT] > 0 and roles[Role.TEAM_MANAGER] >= 5
    assert sum(1 for w in workers if w.end_date is not None and w.end_date < TODAY) >= 5
    assert {c.category for c in cases} == set(Category)
    assert group_sizes and min(group_sizes.values()) >= 2
    names = [c.child for c in cases]
    assert any("'" in n for n in names) and any(not n.isascii() for n in names)


def test_allocation_history_is_consistent(demo_db_path: Path) -> None:
    conn = sqlite3.connect(demo_db_path)
    try:
        checks = {
            "starts before the case opened": """
                SELECT count(*) FROM allocations a JOIN cases c ON c.id = a.case_id
                WHERE a.started_on < c.opened_on""",
            "starts after its worker left": """
                SELECT count(*) FROM allocations a JOIN workers w ON w.id = a.worker_id
                WHERE w.end_date IS NOT NULL AND a.started_on > w.end_date""",
            "ends before it starts": """
                SELECT count(*) FROM allocations WHERE ended_on < started_on""",
            "open case without a current allocation": """
                SELECT count(*) FROM cases c WHERE c.closed_on IS NULL AND NOT EXISTS (
                    SELECT 1 FROM allocations a WHERE a.case_id = c.id AND a.ended_on IS NULL)""",
            "gap or overlap in a case's history": """
                SELECT count(*) FROM allocations a WHERE a.ended_on IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM allocations b
                    WHERE b.case_id = a.case_id AND b.started_on = a.ended_on AND b.id > a.id)""",
        }
        found = {name: conn.execute(sql).fetchone()[0] for name, sql in checks.items()}
    finally:
        conn.close()
    assert found == dict.fromkeys(checks, 0)


def test_a_demo_too_small_for_five_teams_is_refused_and_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="at least"):
        create_demo_database(tmp_path / "tiny.db", seed=1, cases=10, today=TODAY)
    assert list(tmp_path.iterdir()) == []


def test_a_demo_needs_a_new_file(demo_db_path: Path) -> None:
    before = demo_db_path.read_bytes()
    with pytest.raises(BadInput, match="already exists"):
        create_demo_database(demo_db_path, seed=1, cases=100, today=TODAY)
    assert demo_db_path.read_bytes() == before


def test_team_sizes_add_up_to_the_cases_asked_for() -> None:
    for cases in (60, 1000, 100_000):
        plans = plan_teams(cases)
        assert sum(p.cases for p in plans) == cases
        assert len(plans) >= 6 and len({p.name for p in plans}) == len(plans)


@pytest.mark.slow
def test_a_service_scale_demo_of_100000_cases_builds(tmp_path: Path) -> None:
    path = tmp_path / "service.db"
    summary = create_demo_database(path, seed=1, cases=100_000, today=TODAY)
    assert summary.cases == 100_000
    db, _ = open_database(path)
    with db.read() as session:
        table = queries.case_table(session, TODAY)
    db.close()
    assert len(table) == 100_000


def test_workers_staffs_the_service_with_about_that_many_workers(tmp_path: Path) -> None:
    """``caseload bench --workers N``: the demo's teams share N workers (practitioners carry
    the cases between them) instead of being staffed to their caseload."""
    import sqlalchemy as sa

    from caseload_desktop.store.engine import open_database
    from caseload_desktop.store.models import Worker

    counts = {}
    for workers in (None, 200):
        path = tmp_path / f"demo-{workers}.db"
        create_demo_database(path, seed=3, cases=600, today=TODAY, team_size=60, workers=workers)
        db, _ = open_database(path)
        with db.read() as session:
            counts[workers] = session.execute(
                sa.select(sa.func.count()).select_from(Worker)
            ).scalar_one()
        db.close()
    assert abs(counts[200] - 200) <= 200 * 0.2, counts
    assert counts[None] < 100  # staffed to caseload: about one worker per 11 cases
