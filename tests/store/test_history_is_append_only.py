"""Allocation history and audit are append-only, enforced by the database itself."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import Allocation, AuditEvent

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def _current_allocation(db: Database) -> tuple[int, int]:
    with db.read() as session:
        row = session.execute(
            sa.select(Allocation.id, Allocation.case_id)
            .where(Allocation.ended_on.is_(None), Allocation.worker_id.is_not(None))
            .limit(1)
        ).one()
    return row.id, row.case_id


def test_allocation_rows_cannot_be_deleted(demo_db: Database) -> None:
    allocation_id, _ = _current_allocation(demo_db)
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), demo_db.write() as session:
        session.execute(sa.delete(Allocation).where(Allocation.id == allocation_id))


def test_an_allocation_cannot_be_given_another_worker(demo_db: Database) -> None:
    allocation_id, _ = _current_allocation(demo_db)
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), demo_db.write() as session:
        session.execute(
            sa.update(Allocation).where(Allocation.id == allocation_id).values(worker_id=None)
        )


def test_a_current_allocation_can_be_ended_once(demo_db: Database) -> None:
    allocation_id, _ = _current_allocation(demo_db)
    end = dt.date(2026, 11, 26)
    with demo_db.write() as session:
        session.execute(
            sa.update(Allocation).where(Allocation.id == allocation_id).values(ended_on=end)
        )
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), demo_db.write() as session:
        session.execute(
            sa.update(Allocation)
            .where(Allocation.id == allocation_id)
            .values(ended_on=end + dt.timedelta(days=1))
        )


def test_a_case_cannot_have_two_current_allocations(demo_db: Database) -> None:
    _, case_id = _current_allocation(demo_db)
    with pytest.raises(sa.exc.IntegrityError, match="UNIQUE"), demo_db.write() as session:
        session.execute(
            sa.insert(Allocation.__table__).values(
                case_id=case_id,
                worker_id=None,
                started_on=dt.date(2026, 11, 26),
                ended_on=None,
                reason_code=None,
                reason_text="",
                created_by="test",
                created_at=NOW,
            )
        )


def test_audit_events_cannot_be_changed_or_deleted(demo_db: Database) -> None:
    with demo_db.read() as session:
        event_id = session.execute(sa.select(sa.func.min(AuditEvent.id))).scalar_one()
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), demo_db.write() as session:
        session.execute(sa.update(AuditEvent).where(AuditEvent.id == event_id).values(actor="x"))
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), demo_db.write() as session:
        session.execute(sa.delete(AuditEvent).where(AuditEvent.id == event_id))
