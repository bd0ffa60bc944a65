"""Read queries that feed views and the CLI.

Each selects columns (Core ``select`` of plain values) and returns frozen dataclasses; none
builds ORM object graphs (RELIABILITY.md: ~500k rows/s for column selects against ~85k ORM
objects/s). Rules (queues, load, RAG) are applied by ``domain/``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import InstrumentedAttribute, Session

from caseload_desktop.domain.caseload import Rag, caseload_from_counts
from caseload_desktop.domain.categories import (
    Category,
    Employment,
    Risk,
    Role,
    WorkerStatus,
)
from caseload_desktop.domain.names import fold_name
from caseload_desktop.domain.practice import DEFAULT_RULES, PracticeRules
from caseload_desktop.domain.queues import (
    Queue,
    WorkerState,
    can_hold_cases,
    classify,
    days_between,
    has_left,
    queue_priority,
    worker_status_label,
)
from caseload_desktop.domain.supervision import ActionStatus, SessionStatus, record_id
from caseload_desktop.domain.timescales import visit_due
from caseload_desktop.errors import BadInput, NotFound
from caseload_desktop.store.engine import driver_connection
from caseload_desktop.store.models import (
    Allocation,
    AuditEvent,
    Case,
    Child,
    FamilyGroup,
    SupervisionAction,
    SupervisionSession,
    Team,
    Worker,
)

# --- Rows ----------------------------------------------------------------------------------


class TeamRow(NamedTuple):
    # A named tuple, not a frozen dataclass: a service lists ~900 teams each time a database
    # opens (the team picker), and a frozen dataclass's __init__ cost 4 ms of them.
    id: int
    name: str
    service: str | None


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerRef:
    id: int
    staff_id: str
    name: str
    team: str
    role: Role
    status: str  # active / left / inactive, as of today
    end_date: dt.date | None


@dataclasses.dataclass(slots=True)
class OpenCaseRow:
    """One open case with its current allocation, classified into its queue.

    Read-only by convention: not ``frozen``, because a frozen dataclass takes about eight
    times as long to build, and the board builds one per open case of the service.
    """

    case_id: int
    case_ref: str
    child: str
    date_of_birth: dt.date | None
    family_group_id: int | None
    family_group: str | None
    team_id: int
    team: str
    category: Category
    court_proceedings: bool
    risk: Risk
    opened_on: dt.date
    next_visit_due: dt.date | None
    assessment_started_on: dt.date | None
    version: int
    queue: Queue
    worker_id: int | None
    worker: str | None
    worker_staff_id: str | None
    worker_left_on: dt.date | None
    allocated_on: dt.date | None  # start of the current allocation (with a worker or in the queue)
    days_waiting: int | None  # unallocated: calendar days in the queue; otherwise None
    days_since_left: int | None  # orphaned on a leaver: calendar days since they left
    last_visit_on: dt.date | None = None
    next_review_due: dt.date | None = None  # the next CP or CLA review


@dataclasses.dataclass(frozen=True, slots=True)
class Queues:
    orphaned: list[OpenCaseRow]
    unallocated: list[OpenCaseRow]
    held_by_manager: list[OpenCaseRow]


@dataclasses.dataclass(frozen=True, slots=True)
class WorkerCaseloadRow:
    worker_id: int
    worker: str
    staff_id: str
    team: str
    role: Role
    employment: Employment
    fte: Decimal
    status: str
    end_date: dt.date | None
    cases: int
    weighted: Decimal
    capacity: Decimal
    rag: Rag
    by_category: dict[Category, int]


@dataclasses.dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    when: dt.datetime
    who: str
    what: str
    case_ref: str | None
    from_worker: str | None
    to_worker: str | None
    reason: str
    detail: dict[str, object] | None


# --- Keys by the thousand ------------------------------------------------------------------


def among(
    column: sa.ColumnElement[Any] | InstrumentedAttribute[Any], keys: Iterable[str | int]
) -> sa.ColumnElement[bool]:
    """``column`` is one of ``keys``, given to SQLite as one JSON array: any number of keys
    fits in one parameter (an IN list binds one variable per key, and SQLite's default limit
    is 32,766). A pull compares only the local rows it brought back this way, and a push marks
    a batch of outbox rows sent."""
    values = sa.select(sa.column("value", column.type)).select_from(
        sa.func.json_each(sa.literal(json.dumps(sorted(set(keys)))))
    )
    return column.in_(values.scalar_subquery())


# --- Look-ups by what a user types ---------------------------------------------------------


def list_teams(session: Session) -> list[TeamRow]:
    # On the driver's own cursor: a service has ~900 teams, listed each time a database opens
    # (the team picker), and SQLAlchemy's rows cost more than the query.
    rows = driver_connection(session).execute(_TEAMS_SQL).fetchall()
    return list(map(TeamRow._make, rows))


_TEAMS_SQL = str(
    sa.select(Team.id, Team.name, Team.service)
    .order_by(Team.name)
    .compile(dialect=sqlite_dialect.dialect())
)


def find_team(session: Session, name: str) -> TeamRow:
    """The team called ``name`` (case and spacing ignored); NotFound lists the teams there are."""
    teams = list_teams(session)
    wanted = fold_name(name)
    for team in teams:
        if fold_name(team.name) == wanted:
            return team
    known = ", ".join(t.name for t in teams) or "none yet"
    raise NotFound(f"No team called {name!r}. Teams in this database: {known}.")


def _worker_refs(
    session: Session, where: sa.ColumnElement[bool], today: dt.date
) -> list[WorkerRef]:
    rows = session.execute(
        sa.select(
            Worker.id,
            Worker.staff_id,
            Worker.name,
            Team.name,
            Worker.role,
            Worker.status,
            Worker.end_date,
        )
        .join(Team, Team.id == Worker.team_id)
        .where(where)
        .order_by(Worker.name)
    )
    return [
        WorkerRef(
            id=id_,
            staff_id=staff_id,
            name=name,
            team=team,
            role=role,
            status=worker_status_label(WorkerState(role, status, end_date), today),
            end_date=end_date,
        )
        for id_, staff_id, name, team, role, status, end_date in rows
    ]


def find_worker(session: Session, name_or_staff_id: str, today: dt.date) -> WorkerRef:
    """A worker by staff ID (exact, any case) or by full name; an ambiguous name is refused."""
    text = name_or_staff_id.strip()
    if not text:
        raise BadInput("A worker's name or staff ID is needed.")
    by_id = _worker_refs(session, sa.func.lower(Worker.staff_id) == text.lower(), today)
    if by_id:
        return by_id[0]
    wanted = fold_name(text)
    # Names are few (a service has hundreds of staff): fold them in Python, where NFC and
    # non-breaking spaces are handled the same way as in the query text.
    candidates = [w for w in _worker_refs(session, sa.true(), today) if fold_name(w.name) == wanted]
    if not candidates:
        raise NotFound(f"No worker with the name or staff ID {text!r}.")
    if len(candidates) > 1:
        ids = ", ".join(f"{w.staff_id} ({w.team})" for w in candidates)
        raise BadInput(f"More than one worker is called {text!r}: use a staff ID ({ids}).")
    return candidates[0]


def find_case_id(session: Session, case_ref: str) -> int:
    case_id = session.execute(
        sa.select(Case.id).where(sa.func.upper(Case.case_ref) == case_ref.strip().upper())
    ).scalar_one_or_none()
    if case_id is None:
        raise NotFound(f"No case with the reference {case_ref!r}.")
    return case_id


# --- Open cases and queues -----------------------------------------------------------------


# Big reads select dates, enums and flags as SQLite stores them and convert later: SQLAlchemy's
# per-value result processors cost more than the query itself (measured on 100,000 cases:
# 1.5 s typed against 0.75 s plain, with 0.5 s for raw sqlite3), and the board must fill
# within 3x of raw sqlite3. ISO date text sorts as dates do, and converts with
# date.fromisoformat (~0.3 us) only for the rows a view shows.
_CATEGORIES = {member.value: member for member in Category}
_RISKS = {member.value: member for member in Risk}
_ROLES = {member.value: member for member in Role}
_STATUSES = {member.value: member for member in WorkerStatus}


def _plain(column: Any) -> sa.ColumnElement[Any]:
    """``column`` selected without result processing (SQLite only: dates are ISO text)."""
    return sa.type_coerce(column, sa.String())


class _Dates(dict[str | None, dt.date | None]):
    """ISO text to dates, each distinct value parsed once (a hit is a plain dict lookup)."""

    def __missing__(self, key: str | None) -> dt.date | None:
        value = self[key] = None if key is None else dt.date.fromisoformat(key)
        return value


def _open_on(today: dt.date) -> sa.ColumnElement[bool]:
    return sa.and_(
        Case.opened_on <= today, sa.or_(Case.closed_on.is_(None), Case.closed_on > today)
    )


def _allocated_on(today: dt.date) -> sa.ColumnElement[bool]:
    """The allocation in force on ``today``: the current one, or on a past ``CASELOAD_TODAY``
    the one that was current then (history rows run from ``started_on`` until ``ended_on``)."""
    return sa.and_(
        Allocation.started_on <= today,
        sa.or_(Allocation.ended_on.is_(None), Allocation.ended_on > today),
    )


# Positions in a ``CaseTable`` row (plain ints: attribute access on an IntEnum is slow in the
# loops that fill views).
C_CASE_ID = 0
C_CASE_REF = 1
C_CHILD = 2
C_DOB = 3  # ISO text
C_FAMILY_GROUP_ID = 4
C_FAMILY_GROUP = 5
C_TEAM_ID = 6
C_TEAM = 7
C_CATEGORY = 8  # Category value
C_COURT = 9  # 0 / 1
C_RISK = 10  # Risk value
C_OPENED_ON = 11  # ISO text
C_NEXT_VISIT_DUE = 12  # ISO text
C_ASSESSMENT_STARTED_ON = 13  # ISO text
C_VERSION = 14
C_WORKER_ID = 15
C_ALLOCATED_ON = 16  # ISO text: start of the current allocation (with a worker or queued)
C_WORKER = 17
C_STAFF_ID = 18
C_ROLE = 19
C_STATUS = 20
C_END_DATE = 21  # ISO text
C_LAST_VISIT_ON = 22  # ISO text
C_NEXT_REVIEW_DUE = 23  # ISO text: the next CP or CLA review


@dataclasses.dataclass(frozen=True, slots=True)
class Holder:
    """What a case's current worker means for its queue (worked out once per worker)."""

    queue: Queue
    left_on: dt.date | None
    days_since_left: int | None


_NO_HOLDER = Holder(Queue.UNALLOCATED, None, None)


class CaseTable:
    """Open cases as plain rows straight from SQLite, with each row's queue.

    Views keep these rows and convert a value only when it is shown; ``record(i)`` gives the
    typed ``OpenCaseRow`` for callers that want one.

    Attributes:
        today: the date the queues were worked out for.
        rows: one tuple per open case (positions ``C_*``), by case ref.
        holders: the ``Holder`` of each worker id (None: no worker) in ``rows``.
    """

    __slots__ = ("_dates", "_visit_rules", "_visits", "holders", "rows", "today")

    def __init__(self, today: dt.date, rows: list[Any], holders: dict[int | None, Holder]) -> None:
        self.today = today
        self.rows = rows
        self.holders = holders
        self._dates = _Dates()
        self._visit_rules: PracticeRules | None = None
        self._visits: dict[tuple[str, str | None, str | None], dt.date | None] = {}

    @classmethod
    def empty(cls, today: dt.date) -> CaseTable:
        return cls(today, [], {None: _NO_HOLDER})

    def __len__(self) -> int:
        return len(self.rows)

    def holder(self, index: int) -> Holder:
        return self.holders[self.rows[index][C_WORKER_ID]]

    def queue(self, index: int) -> Queue:
        return self.holders[self.rows[index][C_WORKER_ID]].queue

    def date(self, index: int, column: int) -> dt.date | None:
        return self._dates[self.rows[index][column]]

    def visit_due(self, index: int, rules: PracticeRules) -> dt.date | None:
        """When the case's next visit is due under ``rules`` (``timescales.visit_due``).

        Worked out once per category, last visit and recorded due date: a service's cases
        share a few hundred of those, so sorting 100,000 rows by it stays quick.
        """
        if rules is not self._visit_rules:
            self._visit_rules, self._visits = rules, {}
        row = self.rows[index]
        key = (row[C_CATEGORY], row[C_LAST_VISIT_ON], row[C_NEXT_VISIT_DUE])
        try:
            return self._visits[key]
        except KeyError:
            dates = self._dates
            due = visit_due(_CATEGORIES[key[0]], dates[key[1]], rules, dates[key[2]])
            self._visits[key] = due
            return due

    def days_waiting(self, index: int) -> int | None:
        """Calendar days an unallocated case has waited (None in other queues)."""
        row = self.rows[index]
        if self.holders[row[C_WORKER_ID]].queue is not Queue.UNALLOCATED:
            return None
        since = self._dates[row[C_ALLOCATED_ON] or row[C_OPENED_ON]]
        assert since is not None
        return days_between(since, self.today)

    def record(self, index: int, rules: PracticeRules = DEFAULT_RULES) -> OpenCaseRow:
        row = self.rows[index]
        holder = self.holders[row[C_WORKER_ID]]
        dates = self._dates
        opened = dates[row[C_OPENED_ON]]
        assert opened is not None
        return OpenCaseRow(
            case_id=row[C_CASE_ID],
            case_ref=row[C_CASE_REF],
            child=row[C_CHILD],
            date_of_birth=dates[row[C_DOB]],
            family_group_id=row[C_FAMILY_GROUP_ID],
            family_group=row[C_FAMILY_GROUP],
            team_id=row[C_TEAM_ID],
            team=row[C_TEAM],
            category=_CATEGORIES[row[C_CATEGORY]],
            court_proceedings=bool(row[C_COURT]),
            risk=_RISKS[row[C_RISK]],
            opened_on=opened,
            next_visit_due=self.visit_due(index, rules),
            assessment_started_on=dates[row[C_ASSESSMENT_STARTED_ON]],
            version=row[C_VERSION],
            queue=holder.queue,
            worker_id=row[C_WORKER_ID],
            worker=row[C_WORKER],
            worker_staff_id=row[C_STAFF_ID],
            worker_left_on=holder.left_on,
            allocated_on=dates[row[C_ALLOCATED_ON]],
            days_waiting=self.days_waiting(index),
            days_since_left=holder.days_since_left,
            last_visit_on=dates[row[C_LAST_VISIT_ON]],
            next_review_due=dates[row[C_NEXT_REVIEW_DUE]],
        )


@functools.lru_cache(maxsize=64)
def case_table_statement(
    today: dt.date,
    *,
    team_id: int | None = None,
    worker_id: int | None = None,
    with_team_workers_cases: bool = False,
) -> sa.Select[Any]:
    """The select behind ``case_table`` (the benchmark runs it through raw sqlite3 too).

    Kept for the same arguments (a statement never changes once built): building it took a
    millisecond of each board fill, as long as running it for a small team."""
    current = sa.and_(Allocation.case_id == Case.id, _allocated_on(today))
    stmt = (
        sa.select(
            Case.id,
            Case.case_ref,
            Child.name,
            _plain(Child.date_of_birth),
            Child.family_group_id,
            FamilyGroup.name,
            Case.team_id,
            Team.name,
            _plain(Case.category),
            _plain(Case.court_proceedings),
            _plain(Case.risk),
            _plain(Case.opened_on),
            _plain(Case.next_visit_due),
            _plain(Case.assessment_started_on),
            Case.version,
            Allocation.worker_id,
            _plain(Allocation.started_on),
            Worker.name,
            Worker.staff_id,
            _plain(Worker.role),
            _plain(Worker.status),
            _plain(Worker.end_date),
            _plain(Case.last_visit_on),
            _plain(Case.next_review_due),
        )
        .join(Child, Child.id == Case.child_id)
        .join(Team, Team.id == Case.team_id)
        .outerjoin(FamilyGroup, FamilyGroup.id == Child.family_group_id)
        .outerjoin(Allocation, current)
        .outerjoin(Worker, Worker.id == Allocation.worker_id)
        .where(_open_on(today))
        .order_by(Case.case_ref)
    )
    if team_id is not None and with_team_workers_cases:
        # As an IN over the team's workers' current allocations, so SQLite can use indexes
        # for both halves (an OR on the joined worker's team scans every case: 0.3 s at 100k).
        held_by_team = (
            sa.select(Allocation.case_id)
            .join(Worker, Worker.id == Allocation.worker_id)
            .where(_allocated_on(today), Worker.team_id == team_id)
        )
        stmt = stmt.where(sa.or_(Case.team_id == team_id, Case.id.in_(held_by_team)))
    elif team_id is not None:
        stmt = stmt.where(Case.team_id == team_id)
    if worker_id is not None:
        stmt = stmt.where(Allocation.worker_id == worker_id)
    return stmt


def case_table(
    session: Session,
    today: dt.date,
    *,
    team_id: int | None = None,
    worker_id: int | None = None,
    with_team_workers_cases: bool = False,
) -> CaseTable:
    """Open cases (optionally of one team or one current worker), by case ref.

    With ``with_team_workers_cases``, a team's selection also takes the cases its workers hold
    for other teams (the board shows a worker's whole caseload).
    """
    stmt = case_table_statement(
        today,
        team_id=team_id,
        worker_id=worker_id,
        with_team_workers_cases=with_team_workers_cases,
    )
    # Row objects index like tuples; copying them into tuples would cost a tenth of the query.
    rows: list[Any] = list(session.connection().execute(stmt).all())
    holders: dict[int | None, Holder] = {None: _NO_HOLDER}
    dates = _Dates()
    for row in rows:
        holder_id = row[C_WORKER_ID]
        if holder_id in holders:
            continue
        state = WorkerState(_ROLES[row[C_ROLE]], _STATUSES[row[C_STATUS]], dates[row[C_END_DATE]])
        left_on = state.end_date if has_left(state.end_date, today) else None
        holders[holder_id] = Holder(
            classify(state, today),
            left_on,
            None if left_on is None else days_between(left_on, today),
        )
    return CaseTable(today, rows, holders)


def open_cases(
    session: Session,
    today: dt.date,
    *,
    team_id: int | None = None,
    worker_id: int | None = None,
    queue: Queue | None = None,
    rules: PracticeRules = DEFAULT_RULES,
) -> list[OpenCaseRow]:
    """Open cases as typed rows (optionally of one team, one current worker, one queue), their
    visit due dates worked out under ``rules``."""
    table = case_table(session, today, team_id=team_id, worker_id=worker_id)
    return [
        table.record(i, rules)
        for i in range(len(table))
        if queue is None or table.queue(i) is queue
    ]


def queues(
    session: Session,
    today: dt.date,
    *,
    team_id: int | None = None,
    rules: PracticeRules = DEFAULT_RULES,
) -> Queues:
    """The orphaned, unallocated and held-by-manager lists.

    Each list puts cases that must be allocated (CP, CLA) first, then the longest waiting.
    Only the queued rows become typed records: in a service most cases are allocated, and
    building a record for each of them tripled the time.
    """
    table = case_table(session, today, team_id=team_id)
    queued = (
        table.record(i, rules) for i in range(len(table)) if table.queue(i) is not Queue.ALLOCATED
    )
    return queues_of(queued, today)


def queues_of(rows: Iterable[OpenCaseRow], today: dt.date) -> Queues:
    """``rows`` sorted into their queues, each in the order of ``queues``."""
    by_queue: dict[Queue, list[OpenCaseRow]] = defaultdict(list)
    for row in rows:
        by_queue[row.queue].append(row)

    def waited(row: OpenCaseRow) -> int:
        if row.days_waiting is not None:
            return row.days_waiting
        if row.days_since_left is not None:
            return row.days_since_left
        return days_between(row.allocated_on or row.opened_on, today)

    def ordered(rows: Iterable[OpenCaseRow]) -> list[OpenCaseRow]:
        return sorted(rows, key=lambda r: (queue_priority(r.category, waited(r)), r.case_ref))

    return Queues(
        orphaned=ordered(by_queue[Queue.ORPHANED]),
        unallocated=ordered(by_queue[Queue.UNALLOCATED]),
        held_by_manager=ordered(by_queue[Queue.HELD_BY_MANAGER]),
    )


# --- Caseloads -----------------------------------------------------------------------------


HeldCounts = dict[int, dict[tuple[Category, bool], int]]


def worker_caseloads(
    session: Session,
    today: dt.date,
    rules: PracticeRules,
    *,
    team_id: int | None = None,
    include_idle_leavers: bool = False,
    cases: CaseTable | None = None,
) -> list[WorkerCaseloadRow]:
    """One row per worker of the team (or of all teams): cases, weighted load, capacity, RAG.

    Leavers appear only while they still hold cases (they are the problem), unless
    ``include_idle_leavers``. ``cases``, when given, must hold every open case the workers
    hold (``case_table(..., with_team_workers_cases=True)``): their caseloads are counted from
    it rather than by a second query.
    """
    held = _held_counts(session, today, team_id) if cases is None else _held_in_table(cases)
    rows = []
    for (
        worker_id,
        name,
        staff_id,
        team,
        role,
        employment,
        fte,
        status,
        end_date,
    ) in session.connection().execute(_workers_statement(team_id)):
        counts = held.get(worker_id, {})
        state = WorkerState(role, status, end_date)
        if has_left(end_date, today) and not counts and not include_idle_leavers:
            continue
        load = caseload_from_counts(
            role, fte, counts, rules, can_hold_cases=can_hold_cases(state, today)
        )
        by_category: dict[Category, int] = defaultdict(int)
        for (category, _court), count in counts.items():
            by_category[category] += count
        rows.append(
            WorkerCaseloadRow(
                worker_id=worker_id,
                worker=name,
                staff_id=staff_id,
                team=team,
                role=role,
                employment=employment,
                fte=fte,
                status=worker_status_label(state, today),
                end_date=end_date,
                cases=load.cases,
                weighted=load.weighted,
                capacity=load.capacity,
                rag=load.rag,
                by_category=dict(by_category),
            )
        )
    return rows


@functools.lru_cache(maxsize=64)
def _workers_statement(
    team_id: int | None,
) -> sa.Select[int, str, str, str, Role, Employment, Decimal, WorkerStatus, dt.date | None]:
    """The workers of the team (or of all teams), by team and name; kept once built."""
    workers_stmt = (
        sa.select(
            Worker.id,
            Worker.name,
            Worker.staff_id,
            Team.name,
            Worker.role,
            Worker.employment,
            Worker.fte,
            Worker.status,
            Worker.end_date,
        )
        .join(Team, Team.id == Worker.team_id)
        .order_by(Team.name, Worker.name)
    )
    if team_id is not None:
        workers_stmt = workers_stmt.where(Worker.team_id == team_id)
    return workers_stmt


def _held_counts(session: Session, today: dt.date, team_id: int | None) -> HeldCounts:
    """Open cases per worker in force on ``today``, counted by (category, court)."""
    held_stmt = (
        sa.select(Allocation.worker_id, Case.category, Case.court_proceedings, sa.func.count())
        .join(Case, Case.id == Allocation.case_id)
        .where(_allocated_on(today), Allocation.worker_id.is_not(None), _open_on(today))
        .group_by(Allocation.worker_id, Case.category, Case.court_proceedings)
    )
    if team_id is not None:
        held_stmt = held_stmt.join(Worker, Worker.id == Allocation.worker_id).where(
            Worker.team_id == team_id
        )
    held: HeldCounts = defaultdict(dict)
    for holder_id, category, court, count in session.connection().execute(held_stmt):
        assert holder_id is not None  # the query keeps only allocations with a worker
        held[holder_id][(category, court)] = count
    return held


def _held_in_table(table: CaseTable) -> HeldCounts:
    """The same counts as ``_held_counts``, from rows already read."""
    counted: dict[tuple[int, str, int], int] = defaultdict(int)
    for row in table.rows:
        holder_id = row[C_WORKER_ID]
        if holder_id is not None:
            counted[(holder_id, row[C_CATEGORY], row[C_COURT])] += 1
    held: HeldCounts = defaultdict(dict)
    for (holder_id, category, court), count in counted.items():
        held[holder_id][(_CATEGORIES[category], bool(court))] = count
    return held


# --- Audit ---------------------------------------------------------------------------------


def audit_events(session: Session, *, case_id: int | None = None) -> list[AuditRow]:
    """Audit events, oldest first, with case refs and worker names resolved."""
    from_worker = sa.orm.aliased(Worker)
    to_worker = sa.orm.aliased(Worker)
    stmt = (
        sa.select(
            AuditEvent.id,
            AuditEvent.occurred_at,
            AuditEvent.actor,
            AuditEvent.action,
            Case.case_ref,
            from_worker.name,
            to_worker.name,
            AuditEvent.reason,
            AuditEvent.detail,
        )
        .outerjoin(Case, Case.id == AuditEvent.case_id)
        .outerjoin(from_worker, from_worker.id == AuditEvent.from_worker_id)
        .outerjoin(to_worker, to_worker.id == AuditEvent.to_worker_id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    )
    if case_id is not None:
        stmt = stmt.where(AuditEvent.case_id == case_id)
    return [AuditRow(*row) for row in session.execute(stmt)]


# --- The board -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class OverdueAction:
    """An action from a final supervision record, still open after its due date."""

    action: str
    due: dt.date
    record_id: str


def overdue_actions(
    session: Session, today: dt.date, *, team_id: int | None = None
) -> dict[int, list[OverdueAction]]:
    """Open supervision actions past their due date, by owner (oldest first)."""
    found: dict[int, list[OverdueAction]] = defaultdict(list)
    for owner, action, due, session_id in session.execute(_overdue_statement(today, team_id)):
        assert due is not None  # the query keeps actions with a due date
        found[owner].append(OverdueAction(action, due, record_id(session_id)))
    return dict(found)


@functools.lru_cache(maxsize=64)
def _overdue_statement(
    today: dt.date, team_id: int | None
) -> sa.Select[int, str, dt.date | None, int]:
    """The open actions of final records past their due date; kept once built."""
    stmt = (
        sa.select(
            SupervisionAction.owner_worker_id,
            SupervisionAction.action,
            SupervisionAction.due,
            SupervisionAction.session_id,
        )
        .join(SupervisionSession, SupervisionSession.id == SupervisionAction.session_id)
        .where(
            SupervisionAction.status == ActionStatus.OPEN,
            SupervisionAction.due < today,
            SupervisionSession.status == SessionStatus.FINAL,
        )
        .order_by(SupervisionAction.due, SupervisionAction.id)
    )
    if team_id is not None:
        stmt = stmt.join(Worker, Worker.id == SupervisionAction.owner_worker_id).where(
            Worker.team_id == team_id
        )
    return stmt


@dataclasses.dataclass(frozen=True)
class BoardData:
    """Everything the caseload board shows for one team (or all teams, ``team_id`` None).

    Attributes:
        cases: the team's open cases and those its workers hold for other teams.
        workers: the team's workers with their caseloads (leavers while they hold cases).
    """

    team_id: int | None
    today: dt.date
    cases: CaseTable
    workers: list[WorkerCaseloadRow]
    overdue_actions: dict[int, list[OverdueAction]] = dataclasses.field(default_factory=dict)


def board_data(
    session: Session, today: dt.date, rules: PracticeRules, *, team_id: int | None
) -> BoardData:
    cases = case_table(session, today, team_id=team_id, with_team_workers_cases=True)
    workers = worker_caseloads(session, today, rules, team_id=team_id, cases=cases)
    actions = overdue_actions(session, today, team_id=team_id)
    return BoardData(
        team_id=team_id, today=today, cases=cases, workers=workers, overdue_actions=actions
    )
