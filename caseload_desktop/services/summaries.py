"""Caseload summaries: what a manager takes to their service manager, performance meetings
and inspectors, as plain data for the PDF and CSV reports.

A team summary holds each worker's load against capacity, the team's orphaned, unallocated
and held-by-manager cases with their ages, and the timescales overdue or due soon (working
days). A service summary holds one team summary per team and the service's totals. Both are
worked out "as at" one day (``CASELOAD_TODAY`` in tests and scripted runs) under the council's
rules, from one read of the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal

from caseload_desktop.domain.caseload import load_percent
from caseload_desktop.domain.categories import Category, Employment
from caseload_desktop.domain.due import Due, DueStatus, case_due
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.domain.queues import Queue, days_between
from caseload_desktop.errors import Cancelled, NotFound
from caseload_desktop.store import queries
from caseload_desktop.store.engine import Database


@dataclasses.dataclass(frozen=True, slots=True)
class DueRow:
    """A timescale overdue or due soon, on one case."""

    case_ref: str
    child: str
    category: str  # the category's short label
    worker: str | None  # None: nobody holds the case
    queue: Queue
    due: Due


@dataclasses.dataclass(frozen=True)
class Totals:
    """A team's (or the service's) figures in one line."""

    open_cases: int
    allocated: int
    orphaned: int
    unallocated: int
    held_by_manager: int
    workers: int  # active workers who can hold cases (managers not counted)
    agency: int  # of those, agency or locum
    fte: Decimal
    weighted: Decimal
    capacity: Decimal
    overdue: int  # timescales overdue
    oldest_waiting_days: int | None
    oldest_waiting_case: str | None

    @property
    def percent(self) -> Decimal | None:
        return load_percent(self.weighted, self.capacity)

    @property
    def agency_percent(self) -> Decimal | None:
        return load_percent(Decimal(self.agency), Decimal(self.workers))


@dataclasses.dataclass(frozen=True)
class TeamSummary:
    team: str
    team_id: int | None  # None: a summary of several teams together
    as_at: dt.date
    workers: list[queries.WorkerCaseloadRow]
    queues: queries.Queues
    due: list[DueRow]
    totals: Totals
    escalation_days: int  # an unallocated case waiting this long goes to the service manager


@dataclasses.dataclass(frozen=True)
class ServiceSummary:
    as_at: dt.date
    teams: list[TeamSummary]
    totals: Totals


Progress = Callable[[int, int], bool]  # (done, total) -> go on?


def team_summary(
    db: Database, team_id: int, *, today: dt.date, rules: PracticeRules
) -> TeamSummary:
    """The summary of one team as at ``today``."""
    with db.read() as session:
        team = next((t for t in queries.list_teams(session) if t.id == team_id), None)
        if team is None:
            raise NotFound(f"No team with the id {team_id}.")
        table = queries.case_table(session, today, team_id=team_id, with_team_workers_cases=True)
        workers = queries.worker_caseloads(session, today, rules, team_id=team_id, cases=table)
    indexes = [i for i, row in enumerate(table.rows) if row[queries.C_TEAM_ID] == team_id]
    return _summary(team.name, team_id, today, rules, workers, table, indexes)


def service_summary(
    db: Database,
    *,
    today: dt.date,
    rules: PracticeRules,
    progress: Progress | None = None,
) -> ServiceSummary:
    """One summary per team, and the service's totals, from one read of the database."""
    with db.read() as session:
        teams = queries.list_teams(session)
        table = queries.case_table(session, today)
        workers = queries.worker_caseloads(session, today, rules, cases=table)
    rows_by_team: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(table.rows):
        rows_by_team[row[queries.C_TEAM_ID]].append(i)
    workers_by_team: dict[str, list[queries.WorkerCaseloadRow]] = defaultdict(list)
    for worker in workers:
        workers_by_team[worker.team].append(worker)
    summaries = []
    for number, team in enumerate(teams, start=1):
        summaries.append(
            _summary(
                team.name,
                team.id,
                today,
                rules,
                workers_by_team[team.name],
                table,
                rows_by_team[team.id],
            )
        )
        if progress is not None and not progress(number, len(teams)):
            raise Cancelled("The service summary was cancelled.")
    return ServiceSummary(today, summaries, _add_up([s.totals for s in summaries]))


def _summary(
    name: str,
    team_id: int | None,
    today: dt.date,
    rules: PracticeRules,
    workers: list[queries.WorkerCaseloadRow],
    table: queries.CaseTable,
    indexes: Sequence[int],
) -> TeamSummary:
    """The summary of the cases at ``indexes`` of ``table`` (typed rows are built only for
    the cases a summary lists: at service scale most cases are simply counted)."""
    queued = [i for i in indexes if table.queue(i) is not Queue.ALLOCATED]
    queues = queries.queues_of((table.record(i, rules) for i in queued), today)
    due = _due_rows(table, indexes, today, rules)
    allocated = len(indexes) - len(queued)
    return TeamSummary(
        team=name,
        team_id=team_id,
        as_at=today,
        workers=workers,
        queues=queues,
        due=due,
        totals=_totals(len(indexes), allocated, workers, queues, due, today),
        escalation_days=rules.escalation_days,
    )


def _due_rows(
    table: queries.CaseTable, indexes: Iterable[int], today: dt.date, rules: PracticeRules
) -> list[DueRow]:
    found = []
    rows = table.rows
    for i in indexes:
        row = rows[i]
        category = Category(row[queries.C_CATEGORY])
        items = case_due(
            category,
            today=today,
            rules=rules,
            assessment_started_on=table.date(i, queries.C_ASSESSMENT_STARTED_ON),
            visit_due=table.visit_due(i, rules),
            review_due=table.date(i, queries.C_NEXT_REVIEW_DUE),
        )
        if not items:
            continue
        queue = table.queue(i)
        for item in items:
            found.append(
                DueRow(
                    case_ref=row[queries.C_CASE_REF],
                    child=row[queries.C_CHILD],
                    category=category.short,
                    worker=None if queue is Queue.UNALLOCATED else row[queries.C_WORKER],
                    queue=queue,
                    due=item,
                )
            )
    # Overdue first, the longest overdue at the top; then due soon, the soonest first.
    return sorted(
        found,
        key=lambda d: (
            d.due.status is not DueStatus.OVERDUE,
            -d.due.working_days if d.due.status is DueStatus.OVERDUE else d.due.working_days,
            d.case_ref,
        ),
    )


def _totals(
    open_cases: int,
    allocated: int,
    workers: Sequence[queries.WorkerCaseloadRow],
    queues: queries.Queues,
    due: Sequence[DueRow],
    today: dt.date,
) -> Totals:
    practitioners = [w for w in workers if w.status == "active" and w.capacity > 0]
    waiting = [
        (r.days_waiting if r.days_waiting is not None else days_between(r.opened_on, today), r)
        for r in queues.unallocated
    ]
    oldest = max(waiting, key=lambda pair: (pair[0], pair[1].case_ref), default=None)
    return Totals(
        open_cases=open_cases,
        allocated=allocated,
        orphaned=len(queues.orphaned),
        unallocated=len(queues.unallocated),
        held_by_manager=len(queues.held_by_manager),
        workers=len(practitioners),
        agency=sum(1 for w in practitioners if w.employment is not Employment.PERMANENT),
        fte=sum((w.fte for w in practitioners), Decimal(0)),
        weighted=sum((w.weighted for w in workers if w.status == "active"), Decimal(0)),
        capacity=sum((w.capacity for w in practitioners), Decimal(0)),
        overdue=sum(1 for d in due if d.due.status is DueStatus.OVERDUE),
        oldest_waiting_days=None if oldest is None else oldest[0],
        oldest_waiting_case=None if oldest is None else oldest[1].case_ref,
    )


def _add_up(parts: Sequence[Totals]) -> Totals:
    oldest = max(
        (t for t in parts if t.oldest_waiting_days is not None),
        key=lambda t: (t.oldest_waiting_days or 0, t.oldest_waiting_case or ""),
        default=None,
    )
    return Totals(
        open_cases=sum(t.open_cases for t in parts),
        allocated=sum(t.allocated for t in parts),
        orphaned=sum(t.orphaned for t in parts),
        unallocated=sum(t.unallocated for t in parts),
        held_by_manager=sum(t.held_by_manager for t in parts),
        workers=sum(t.workers for t in parts),
        agency=sum(t.agency for t in parts),
        fte=sum((t.fte for t in parts), Decimal(0)),
        weighted=sum((t.weighted for t in parts), Decimal(0)),
        capacity=sum((t.capacity for t in parts), Decimal(0)),
        overdue=sum(t.overdue for t in parts),
        oldest_waiting_days=None if oldest is None else oldest.oldest_waiting_days,
        oldest_waiting_case=None if oldest is None else oldest.oldest_waiting_case,
    )
