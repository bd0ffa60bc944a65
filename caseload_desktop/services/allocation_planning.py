"""Planning many moves at once: a worker's leaving, or allocating a team's queues.

``plan_for_leaver`` and ``plan_for_queue`` read the cases and the team's active workers and
ask ``domain.allocation_plan.propose`` for a distribution; nothing is written. The manager may
change any proposed worker, then ``apply`` writes the whole plan through
``reassignment.reassign_many`` in one transaction (with the leaver's end date, for a leaver).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal

from caseload_desktop.domain.allocation_plan import PlanCase, PlanWorker, propose
from caseload_desktop.domain.categories import Category, Role
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.domain.queues import Queue
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.errors import BadInput, RuleViolation
from caseload_desktop.services import reassignment
from caseload_desktop.services.changes import ChangeAnnouncer
from caseload_desktop.store import queries
from caseload_desktop.store.engine import Database


@dataclasses.dataclass(frozen=True)
class PlannedCase:
    case_id: int
    case_ref: str
    child: str
    category: Category
    court: bool
    version: int
    current_worker: str | None
    proposed_worker_id: int | None  # None: stays in the queue (no room for it)


@dataclasses.dataclass(frozen=True)
class Plan:
    """A proposal the manager can adjust and apply.

    Attributes:
        title: what it is for ("Sam Reid leaving on 31 Dec 2026", "Queues of ...").
        cases: every case, with its proposed worker.
        workers: the workers who can receive cases, with their load before the plan.
        shortfall_points / shortfall_fte: what does not fit, in points and full-time workers.
        leaver: (worker id, leave date) for a leaver's plan.
        reason: the change reason the plan's moves carry.
    """

    title: str
    cases: tuple[PlannedCase, ...]
    workers: tuple[PlanWorker, ...]
    shortfall_points: Decimal
    shortfall_fte: Decimal
    leaver: tuple[int, dt.date] | None
    reason: ChangeReason

    def worker_name(self, worker_id: int | None) -> str:
        for worker in self.workers:
            if worker.worker_id == worker_id:
                return worker.name
        return "stays in the queue"

    def loads_after(
        self, choices: Mapping[int, int | None], rules: PracticeRules
    ) -> dict[int, Decimal]:
        """Each worker's load if ``choices`` (case id -> worker id) are applied."""
        loads = {w.worker_id: w.weighted for w in self.workers}
        weights = {c.case_id: rules.weight_of(c.category, c.court) for c in self.cases}
        for case_id, worker_id in choices.items():
            if worker_id is not None and worker_id in loads:
                loads[worker_id] += weights[case_id]
        return loads


def _receivers(
    db: Database, today: dt.date, rules: PracticeRules, team_id: int, leaving: int | None
) -> list[PlanWorker]:
    with db.read() as session:
        rows = queries.worker_caseloads(session, today, rules, team_id=team_id)
    return [
        PlanWorker(r.worker_id, r.worker, r.role, r.weighted, r.capacity)
        for r in rows
        if r.status == "active" and r.worker_id != leaving and not r.role.is_manager
    ]


def _plan(
    title: str,
    table: queries.CaseTable,
    indexes: Sequence[int],
    waiting_since: Mapping[int, dt.date],
    workers: list[PlanWorker],
    rules: PracticeRules,
    leaver: tuple[int, dt.date] | None,
    reason: ChangeReason,
) -> Plan:
    records = [table.record(i) for i in indexes]
    proposal = propose(
        [
            PlanCase(
                case_id=r.case_id,
                case_ref=r.case_ref,
                category=r.category,
                court=r.court_proceedings,
                risk=r.risk,
                waiting_since=waiting_since[r.case_id],
                family_group_id=r.family_group_id,
            )
            for r in records
        ],
        workers,
        rules,
    )
    cases = tuple(
        PlannedCase(
            case_id=r.case_id,
            case_ref=r.case_ref,
            child=r.child,
            category=r.category,
            court=r.court_proceedings,
            version=r.version,
            current_worker=r.worker,
            proposed_worker_id=proposal.placements.get(r.case_id),
        )
        for r in records
    )
    return Plan(
        title=title,
        cases=cases,
        workers=tuple(workers),
        shortfall_points=proposal.shortfall_points,
        shortfall_fte=proposal.shortfall_fte,
        leaver=leaver,
        reason=reason,
    )


def plan_for_leaver(
    db: Database, worker_id: int, leave_date: dt.date, *, rules: PracticeRules, today: dt.date
) -> Plan:
    """Spread ``worker_id``'s open cases over the other active workers of their team."""
    with db.read() as session:
        worker = next(
            (
                w
                for w in queries.worker_caseloads(session, today, rules, include_idle_leavers=True)
                if w.worker_id == worker_id
            ),
            None,
        )
        if worker is None:
            raise BadInput(f"No worker with the id {worker_id}.")
        team = queries.find_team(session, worker.team)
        table = queries.case_table(session, today, worker_id=worker_id)
    if worker.role is Role.TEAM_MANAGER and not len(table):
        raise RuleViolation(f"{worker.worker} holds no case: there is nothing to plan.")
    workers = _receivers(db, today, rules, team.id, leaving=worker_id)
    indexes = list(range(len(table)))
    since = {table.rows[i][queries.C_CASE_ID]: leave_date for i in indexes}
    title = f"{worker.worker} leaving on {leave_date.day} {leave_date:%b %Y}"
    return _plan(
        title,
        table,
        indexes,
        since,
        workers,
        rules,
        (worker_id, leave_date),
        ChangeReason.LEFTRL,
    )


def plan_for_queue(db: Database, team_id: int, *, rules: PracticeRules, today: dt.date) -> Plan:
    """Allocate the team's orphaned and unallocated cases as far as capacity allows."""
    with db.read() as session:
        team = next(t for t in queries.list_teams(session) if t.id == team_id)
        table = queries.case_table(session, today, team_id=team_id)
    indexes = [
        i for i in range(len(table)) if table.queue(i) in (Queue.ORPHANED, Queue.UNALLOCATED)
    ]
    since: dict[int, dt.date] = {}
    for i in indexes:
        holder = table.holder(i)
        started = table.date(i, queries.C_ALLOCATED_ON) or table.date(i, queries.C_OPENED_ON)
        assert started is not None
        since[table.rows[i][queries.C_CASE_ID]] = holder.left_on or started
    workers = _receivers(db, today, rules, team_id, leaving=None)
    return _plan(
        f"Queues of {team.name}",
        table,
        indexes,
        since,
        workers,
        rules,
        None,
        ChangeReason.MANAGE,
    )


def apply(
    db: Database,
    plan: Plan,
    choices: Mapping[int, int | None],
    *,
    rules: PracticeRules,
    today: dt.date,
    actor: str,
    announcer: ChangeAnnouncer | None = None,
    accept_over_capacity: bool = False,
) -> reassignment.Result:
    """Write the plan with the manager's ``choices`` (case id -> worker id; None: leave it)."""
    versions = {c.case_id: c.version for c in plan.cases}
    placements: dict[int, int | None] = {
        case_id: worker for case_id, worker in choices.items() if worker is not None
    }
    if plan.leaver is not None:
        leaver_id, leave_date = plan.leaver
        # Cases left without a worker go back to the queue rather than stay on a leaver.
        placements.update({c.case_id: None for c in plan.cases if choices.get(c.case_id) is None})
        effective = min(leave_date, today)
        leaver: tuple[int, dt.date] | None = (leaver_id, leave_date)
    else:
        effective = today
        leaver = None
    if not placements and leaver is None:
        raise BadInput("The plan places no case: there is nothing to apply.")
    return reassignment.reassign_many(
        db,
        placements,
        expected_versions={k: v for k, v in versions.items() if k in placements},
        reason=plan.reason,
        rules=rules,
        today=today,
        actor=actor,
        announcer=announcer,
        accept_over_capacity=accept_over_capacity,
        effective=effective,
        leaver=leaver,
    )
