"""A database's staff list and cases written in the import template's columns.

The other way round from ``services.imports``: what it reads, this writes, so the demo goes
out through the template and back in. The benchmark's import figure imports the service this
way, and the tests round-trip the demo through it (the same queues come back).
"""

from __future__ import annotations

import csv
from pathlib import Path

import sqlalchemy as sa

from caseload_desktop.domain.imports import FIELDS, Kind
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import Allocation, Case, Child, FamilyGroup, Team, Worker

# The template's columns in order, the optional ones last: the selects below match them.
WORKER_COLUMNS = tuple(f.key for f in FIELDS[Kind.WORKERS])
CASE_COLUMNS = tuple(f.key for f in FIELDS[Kind.CASES])


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(getattr(value, "value", value))


def write_template(
    db: Database, folder: Path, *, open_cases_only: bool = False
) -> tuple[Path, Path, int]:
    """``workers.csv`` and ``cases.csv`` in ``folder``: every worker, and every case (only the
    open ones with ``open_cases_only``) with its current worker. Returns both paths and how
    many cases were written."""
    with db.read() as session:
        workers = session.execute(
            sa.select(
                Worker.staff_id,
                Worker.name,
                Worker.role,
                Worker.employment,
                Worker.fte,
                Team.name,
                Worker.start_date,
                Worker.end_date,
                Worker.status,
            )
            .join(Team, Team.id == Worker.team_id)
            .order_by(Worker.staff_id)
        ).all()
        current = sa.and_(Allocation.case_id == Case.id, Allocation.ended_on.is_(None))
        query = (
            sa.select(
                Case.case_ref,
                Child.external_id,
                Child.name,
                Child.date_of_birth,
                FamilyGroup.ref,
                Team.name,
                Case.category,
                Case.opened_on,
                Worker.staff_id,
                Allocation.started_on,
                Case.next_visit_due,
                Case.closed_on,
                Case.risk,
                Case.court_proceedings,
            )
            .join(Child, Child.id == Case.child_id)
            .join(Team, Team.id == Case.team_id)
            .outerjoin(FamilyGroup, FamilyGroup.id == Child.family_group_id)
            .outerjoin(Allocation, current)
            .outerjoin(Worker, Worker.id == Allocation.worker_id)
            .order_by(Case.case_ref)
        )
        if open_cases_only:
            query = query.where(Case.closed_on.is_(None))
        cases = session.execute(query).all()
    workers_csv, cases_csv = folder / "workers.csv", folder / "cases.csv"
    for path, header, rows in (
        (workers_csv, WORKER_COLUMNS, workers),
        (cases_csv, CASE_COLUMNS, cases),
    ):
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(header)
            writer.writerows([_cell(v) for v in row] for row in rows)
    return workers_csv, cases_csv, len(cases)
