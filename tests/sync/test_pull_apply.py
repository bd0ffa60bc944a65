"""Applying a pull locally: only the rows it brought back are compared, however many."""

from __future__ import annotations

import sqlalchemy as sa

from caseload_desktop.clock import now_utc
from caseload_desktop.services import sync as sync_service
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import Allocation, Case, Worker
from caseload_desktop.sync.pull import CentralAllocation, Changes
from tests.conftest import TODAY

SQLITE_DEFAULT_MAX_VARIABLES = 32_766  # SQLite's default limit on one statement's variables


def _current(db: Database, case_ref: str) -> str | None:
    with db.read() as session:
        return session.execute(
            sa.select(Worker.staff_id)
            .select_from(Case)
            .join(Allocation, sa.and_(Allocation.case_id == Case.id, Allocation.ended_on.is_(None)))
            .outerjoin(Worker, Worker.id == Allocation.worker_id)
            .where(Case.case_ref == case_ref)
        ).scalar_one()


def test_a_pull_of_a_whole_services_allocations_applies_the_one_held_here(
    demo_db: Database,
) -> None:
    with demo_db.read() as session:
        case_ref, holder = session.execute(
            sa.select(Case.case_ref, Worker.staff_id)
            .join(Allocation, sa.and_(Allocation.case_id == Case.id, Allocation.ended_on.is_(None)))
            .join(Worker, Worker.id == Allocation.worker_id)
            .where(Case.closed_on.is_(None), Worker.end_date.is_(None))
            .order_by(Case.id)
            .limit(1)
        ).one()
        other = session.execute(
            sa.select(Worker.staff_id)
            .where(Worker.staff_id != holder, Worker.end_date.is_(None))
            .order_by(Worker.id)
            .limit(1)
        ).scalar_one()

    def moved(ref: str, staff_id: str) -> CentralAllocation:
        return CentralAllocation(
            case_ref=ref,
            staff_id=staff_id,
            started_on=TODAY,
            reason_code=None,
            reason_text="",
            created_by="another.manager",
            created_at=now_utc(),
        )

    # Central's current allocations of a whole service, of which this desktop holds one case.
    many = SQLITE_DEFAULT_MAX_VARIABLES + 1000
    elsewhere = [moved(f"C-ELSEWHERE-{n}", other) for n in range(many)]
    changes = Changes(
        high=1,
        teams=[],
        workers=[],
        family_groups=[],
        children=[],
        cases=[],
        allocations=[*elsewhere, moved(case_ref, other)],
        conflicts=[],
        settings=[],
    )
    count, change = sync_service.apply_changes(demo_db, "central-test", changes, actor="t")
    assert count == 1 and change is not None and len(change.case_ids) == 1
    assert _current(demo_db, case_ref) == other
