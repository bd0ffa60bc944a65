"""Reassigning cases: one transaction per batch, with its audit and outbox events, or nothing.

The rules are ``domain.rules``'s; this module reads the rows they need, checks the versions the
caller read (so a case changed elsewhere is never overwritten), writes the new allocation
history, the audit events and the outbox events for central records, commits, and announces
the change so views refresh.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Collection, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseload_desktop.clock import now_utc
from caseload_desktop.display import uk_date
from caseload_desktop.domain.caseload import Caseload, caseload_from_counts
from caseload_desktop.domain.categories import Category
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.domain.queues import WorkerState, can_hold_cases
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.domain.rules import (
    CapacityWarning,
    CaseToMove,
    Decision,
    Target,
    decide,
    siblings_left_behind,
)
from caseload_desktop.errors import BadInput, NotFound, RuleViolation, StaleData
from caseload_desktop.services import access
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import (
    Allocation,
    AuditEvent,
    Base,
    Case,
    Child,
    OutboxEvent,
    Worker,
)

CaseRow = Any  # a row of _case_rows' select (attribute access by column name)

OUTBOX_KIND = "allocation.changed"
OUTBOX_SCHEMA_VERSION = 1


class OverCapacity(RuleViolation):
    """The target would go over capacity and the manager has not accepted that."""

    def __init__(self, warning: CapacityWarning) -> None:
        super().__init__(f"{warning.message} Nothing was moved.")
        self.warning = warning


@dataclasses.dataclass(frozen=True)
class Moved:
    case_id: int
    case_ref: str
    child: str
    from_worker: str | None
    to_worker: str | None


@dataclasses.dataclass(frozen=True)
class SiblingLeft:
    case_ref: str
    child: str
    worker: str | None


@dataclasses.dataclass(frozen=True)
class Result:
    """What a reassignment did.

    Attributes:
        batch: the id shared by the batch's audit and outbox events.
        moved: the cases that moved.
        unchanged: case refs already with the target (nothing to do).
        siblings_left: siblings of moved cases that stayed with someone else.
        target_load: the target's caseload afterwards (None: moved to the queue).
    """

    batch: str
    moved: tuple[Moved, ...]
    unchanged: tuple[str, ...]
    siblings_left: tuple[SiblingLeft, ...]
    target_load: Caseload | None
    target: str | None
    notes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Request:
    """A reassignment as the manager asked for it.

    ``expected_versions`` maps case ids to the version the caller read (the board's rows); a
    case whose version differs has changed since, and nothing is applied.
    """

    case_refs: Sequence[str] = ()
    case_ids: Sequence[int] = ()
    to_worker_id: int | None = None
    reason: ChangeReason = ChangeReason.MANAGE
    reason_text: str = ""
    effective: dt.date | None = None
    accept_over_capacity: bool = False
    with_siblings: bool = False
    expected_versions: Mapping[int, int] = dataclasses.field(default_factory=dict)


def _case_rows(session: Session, where: sa.ColumnElement[bool]) -> list[CaseRow]:
    stmt = (
        sa.select(
            Case.id,
            Case.case_ref,
            Case.category,
            Case.court_proceedings,
            Case.closed_on,
            Case.version,
            Child.name,
            Child.family_group_id,
            Allocation.id.label("allocation_id"),
            Allocation.worker_id,
            Allocation.started_on,
            Worker.name.label("worker_name"),
            Worker.staff_id,
        )
        .join(Child, Child.id == Case.child_id)
        .outerjoin(
            Allocation, sa.and_(Allocation.case_id == Case.id, Allocation.ended_on.is_(None))
        )
        .outerjoin(Worker, Worker.id == Allocation.worker_id)
        .where(where)
        .order_by(Case.case_ref)
    )
    return list(session.execute(stmt).all())


def _to_move(row: CaseRow) -> CaseToMove:
    return CaseToMove(
        case_id=row.id,
        case_ref=row.case_ref,
        category=row.category,
        court=row.court_proceedings,
        closed_on=row.closed_on,
        current_worker_id=row.worker_id,
        current_since=row.started_on,
        family_group_id=row.family_group_id,
    )


def _target(session: Session, worker_id: int, today: dt.date, rules: PracticeRules) -> Target:
    worker = session.execute(
        sa.select(
            Worker.id,
            Worker.name,
            Worker.role,
            Worker.status,
            Worker.end_date,
            Worker.fte,
            Worker.start_date,
        ).where(Worker.id == worker_id)
    ).one_or_none()
    if worker is None:
        raise NotFound(f"No worker with the id {worker_id}.")
    weighted = caseload_from_counts(
        worker.role, worker.fte, _counts(session, worker_id, today), rules
    ).weighted
    return Target(
        worker_id=worker.id,
        name=worker.name,
        role=worker.role,
        status=worker.status,
        end_date=worker.end_date,
        fte=worker.fte,
        weighted=weighted,
        start_date=worker.start_date,
    )


def _counts(session: Session, worker_id: int, today: dt.date) -> dict[tuple[Category, bool], int]:
    rows = session.execute(
        sa.select(Case.category, Case.court_proceedings, sa.func.count())
        .join(Allocation, Allocation.case_id == Case.id)
        .where(
            Allocation.worker_id == worker_id,
            Allocation.ended_on.is_(None),
            sa.or_(Case.closed_on.is_(None), Case.closed_on > today),
        )
        .group_by(Case.category, Case.court_proceedings)
    )
    return {(category, court): count for category, court, count in rows}


@dataclasses.dataclass(frozen=True)
class _Plan:
    rows: list[CaseRow]
    family: list[CaseRow]
    target: Target | None
    left_behind: list[CaseToMove]
    decision: Decision
    effective: dt.date


def _plan(session: Session, request: Request, rules: PracticeRules, today: dt.date) -> _Plan:
    """Read what the request touches and ask the rules; writes nothing."""
    if request.reason.needs_text and not request.reason_text.strip():
        raise BadInput("The reason is 'other': say what it is.")
    if not request.case_refs and not request.case_ids:
        raise BadInput("Name at least one case to move.")
    effective = request.effective or today
    rows = _requested_rows(session, request.case_refs, request.case_ids)
    _check_versions(rows, request.expected_versions)
    target = (
        None
        if request.to_worker_id is None
        else _target(session, request.to_worker_id, today, rules)
    )
    family = _family_rows(session, rows)
    left_behind = siblings_left_behind(
        [_to_move(r) for r in rows], [_to_move(r) for r in family], request.to_worker_id
    )
    if request.with_siblings and left_behind:
        wanted = {c.case_id for c in left_behind}
        rows = sorted([*rows, *(r for r in family if r.id in wanted)], key=lambda r: r.case_ref)
        left_behind = []
    decision = decide([_to_move(r) for r in rows], target, effective, today, rules)
    return _Plan(rows, family, target, left_behind, decision, effective)


def _siblings(plan: _Plan) -> tuple[SiblingLeft, ...]:
    by_id = {r.id: r for r in plan.family}
    return tuple(
        SiblingLeft(c.case_ref, by_id[c.case_id].name, by_id[c.case_id].worker_name)
        for c in plan.left_behind
    )


@dataclasses.dataclass(frozen=True)
class Preview:
    """What a request would do, for the confirm dialog: nothing is written.

    Attributes:
        moving: case refs that would move (with siblings, when asked for).
        unchanged: case refs already with the target.
        refusals: why it may not happen (empty when it may).
        over_capacity: the warning to show, with the numbers (None when within capacity).
        siblings_left: siblings held elsewhere that would stay.
    """

    moving: tuple[str, ...]
    unchanged: tuple[str, ...]
    refusals: tuple[str, ...]
    over_capacity: CapacityWarning | None
    siblings_left: tuple[SiblingLeft, ...]
    notes: tuple[str, ...] = ()


def preview(db: Database, request: Request, *, rules: PracticeRules, today: dt.date) -> Preview:
    """Check ``request`` without writing; raises as ``reassign`` does for unknown cases,
    stale versions and bad input."""
    with db.read() as session:
        plan = _plan(session, request, rules, today)
    return Preview(
        moving=tuple(c.case_ref for c in plan.decision.moves),
        unchanged=tuple(c.case_ref for c in plan.decision.unchanged),
        refusals=plan.decision.refusals,
        over_capacity=plan.decision.over_capacity,
        siblings_left=_siblings(plan),
        notes=plan.decision.notes,
    )


def reassign(
    db: Database,
    request: Request,
    *,
    rules: PracticeRules,
    today: dt.date,
    actor: str,
    announcer: ChangeAnnouncer | None = None,
) -> Result:
    """Move the requested cases to ``request.to_worker_id`` (None: the unallocated queue).

    Raises ``NotFound`` (a case or worker), ``RuleViolation`` (a leaver, a closed case, a
    category the role may not hold, a date), ``OverCapacity`` (not accepted) or ``StaleData``
    (a case changed since it was read); in every case nothing is written.
    """
    batch = str(uuid.uuid4())
    with access.denials_recorded(db, actor, "reassign"), db.write() as session:
        plan = _plan(session, request, rules, today)
        _may_reassign(session, actor, [r.id for r in plan.rows], [request.to_worker_id])
        decision, target = plan.decision, plan.target
        if decision.refusals:
            raise RuleViolation(" ".join(decision.refusals) + " Nothing was moved.")
        if decision.over_capacity is not None and not request.accept_over_capacity:
            raise OverCapacity(decision.over_capacity)
        by_id = {r.id: r for r in plan.rows}
        moves = [
            _Move(by_id[c.case_id], target, request.reason, request.reason_text.strip())
            for c in decision.moves
        ]
        moved = _write_moves(session, moves, plan.effective, actor, batch, undoes=None)
        target_load = None if target is None else _caseload(session, target, rules, today)
    result = Result(
        batch=batch,
        moved=moved,
        unchanged=tuple(c.case_ref for c in decision.unchanged),
        siblings_left=_siblings(plan),
        target_load=target_load,
        target=None if target is None else target.name,
        notes=decision.notes,
    )
    _announce(announcer, moves)
    return result


def undo(
    db: Database,
    batch: str,
    *,
    rules: PracticeRules,
    today: dt.date,
    actor: str,
    announcer: ChangeAnnouncer | None = None,
) -> Result:
    """Reverse the batch ``batch``: each case goes back to the worker (or queue) it came from.

    History is never deleted: the reversal is new allocation rows and new audit events. It
    restores the state before, even where that was a leaver (the manager asked for it). Raises
    ``NotFound`` for an unknown batch and ``StaleData`` when a case has moved since.
    """
    new_batch = str(uuid.uuid4())
    with access.denials_recorded(db, actor, "undo a reassignment"), db.write() as session:
        events = session.execute(
            sa.select(
                AuditEvent.case_id,
                AuditEvent.from_worker_id,
                AuditEvent.to_worker_id,
                AuditEvent.reason,
                AuditEvent.detail,
            )
            .where(AuditEvent.detail["batch"].as_string() == batch)
            .order_by(AuditEvent.id)
        ).all()
        if not events:
            raise NotFound("There is no such change to undo.")
        rows = {r.id: r for r in _case_rows(session, Case.id.in_([e.case_id for e in events]))}
        _may_reassign(
            session,
            actor,
            list(rows),
            [w for e in events for w in (e.from_worker_id, e.to_worker_id)],
        )
        moved_on = [
            rows[e.case_id].case_ref
            for e in events
            if rows[e.case_id].worker_id != e.to_worker_id
            or rows[e.case_id].version != (e.detail or {}).get("version")
        ]
        if moved_on:
            raise StaleData(
                f"{', '.join(moved_on)} changed after that change, so it cannot be undone. "
                "Nothing was moved."
            )
        closed = [r.case_ref for r in rows.values() if r.closed_on is not None]
        if closed:
            raise RuleViolation(f"{', '.join(closed)} has been closed since. Nothing was moved.")
        moves = []
        for event in events:
            previous = (
                None
                if event.from_worker_id is None
                else _target(session, event.from_worker_id, today, rules)
            )
            moves.append(
                _Move(
                    rows[event.case_id],
                    previous,
                    ChangeReason.OTHERS,
                    f"Undoing an earlier change ({event.reason})",
                )
            )
        effective = max([today, *(r.started_on for r in rows.values() if r.started_on)])
        moved = _write_moves(session, moves, effective, actor, new_batch, undoes=batch)
    _announce(announcer, moves)
    return Result(
        batch=new_batch,
        moved=moved,
        unchanged=(),
        siblings_left=(),
        target_load=None,
        target=None,
    )


def reassign_many(
    db: Database,
    placements: Mapping[int, int | None],
    *,
    expected_versions: Mapping[int, int],
    reason: ChangeReason,
    reason_text: str = "",
    rules: PracticeRules,
    today: dt.date,
    actor: str,
    announcer: ChangeAnnouncer | None = None,
    accept_over_capacity: bool = False,
    effective: dt.date | None = None,
    leaver: tuple[int, dt.date] | None = None,
) -> Result:
    """Apply a whole plan in one transaction: each case to its own worker (None: the queue).

    Every target is checked by the same rules as ``reassign`` (with everything it receives
    counted against its capacity). With ``leaver`` (worker id, leave date), the worker's end
    date is recorded in the same transaction, with its audit and outbox events. Raises as
    ``reassign`` does; nothing is written unless everything is.
    """
    if reason.needs_text and not reason_text.strip():
        raise BadInput("The reason is 'other': say what it is.")
    if not placements and leaver is None:
        raise BadInput("The plan moves no case.")
    when = effective or today
    batch = str(uuid.uuid4())
    with access.denials_recorded(db, actor, "reassign"), db.write() as session:
        rows = _requested_rows(session, (), list(placements))
        _may_reassign(
            session,
            actor,
            [r.id for r in rows],
            [*placements.values(), None if leaver is None else leaver[0]],
        )
        _check_versions(rows, expected_versions)
        by_target: dict[int | None, list[CaseRow]] = {}
        for row in rows:
            by_target.setdefault(placements[row.id], []).append(row)
        moves: list[_Move] = []
        refusals: list[str] = []
        warnings: list[CapacityWarning] = []
        for target_id, target_rows in by_target.items():
            target = None if target_id is None else _target(session, target_id, today, rules)
            decision = decide([_to_move(r) for r in target_rows], target, when, today, rules)
            refusals.extend(decision.refusals)
            if decision.over_capacity is not None:
                warnings.append(decision.over_capacity)
            by_id = {r.id: r for r in target_rows}
            moves.extend(
                _Move(by_id[c.case_id], target, reason, reason_text.strip()) for c in decision.moves
            )
        if refusals:
            raise RuleViolation(" ".join(refusals) + " Nothing was moved.")
        if warnings and not accept_over_capacity:
            raise OverCapacity(warnings[0])
        if leaver is not None:
            _record_leaver(session, leaver[0], leaver[1], actor, batch)
        moved = _write_moves(session, moves, when, actor, batch, undoes=None)
    _announce(announcer, moves)
    return Result(
        batch=batch,
        moved=moved,
        unchanged=tuple(r.case_ref for r in rows if r.id not in {m.row.id for m in moves}),
        siblings_left=(),
        target_load=None,
        target=None,
    )


def _record_leaver(
    session: Session, worker_id: int, leave_date: dt.date, actor: str, batch: str
) -> None:
    worker = session.execute(
        sa.select(Worker.name, Worker.staff_id, Worker.start_date, Worker.end_date).where(
            Worker.id == worker_id
        )
    ).one_or_none()
    if worker is None:
        raise NotFound(f"No worker with the id {worker_id}.")
    if leave_date < worker.start_date:
        raise RuleViolation(
            f"{worker.name} started on {uk_date(worker.start_date)}; the leave date cannot be "
            "earlier. Nothing was changed."
        )
    session.execute(
        sa.update(Worker)
        .where(Worker.id == worker_id)
        .values(end_date=leave_date, version=Worker.version + 1)
    )
    now = now_utc()
    session.execute(
        sa.insert(AuditEvent).values(
            occurred_at=now,
            actor=actor,
            action="worker.leaving",
            case_id=None,
            from_worker_id=worker_id,
            to_worker_id=None,
            reason=f"{worker.name} leaves on {uk_date(leave_date)}",
            detail={"batch": batch, "leave_date": leave_date.isoformat()},
        )
    )
    session.execute(
        sa.insert(OutboxEvent).values(
            uuid=str(uuid.uuid4()),
            kind="worker.leaving",
            schema_version=1,
            payload={
                "batch": batch,
                "staff_id": worker.staff_id,
                "leave_date": leave_date.isoformat(),
                "previous_end_date": None
                if worker.end_date is None
                else worker.end_date.isoformat(),
                "actor": actor,
            },
            created_at=now,
            attempts=0,
        )
    )


@dataclasses.dataclass(frozen=True)
class _Move:
    row: CaseRow
    target: Target | None
    reason: ChangeReason
    reason_text: str


def _write_moves(
    session: Session,
    moves: Sequence[_Move],
    effective: dt.date,
    actor: str,
    batch: str,
    undoes: str | None,
) -> tuple[Moved, ...]:
    """Write a batch's rows, a few executemany statements for the whole batch: the versions,
    the ended allocations, the new allocations, the audit events and the outbox events."""
    if not moves:
        return ()
    now = now_utc()
    moves = sorted(moves, key=lambda m: m.row.case_ref)
    staff_ids = dict(
        session.execute(
            sa.select(Worker.id, Worker.staff_id).where(
                Worker.id.in_({m.target.worker_id for m in moves if m.target is not None})
            )
        ).all()
    )
    connection = session.connection()
    bumped = connection.execute(
        sa.update(Case)
        .where(Case.id == sa.bindparam("b_id"), Case.version == sa.bindparam("b_version"))
        .values(version=Case.version + 1),
        [{"b_id": m.row.id, "b_version": m.row.version} for m in moves],
    )
    if bumped.rowcount != len(moves):  # one changed between our read and this write
        raise StaleData("A case changed while it was being moved; nothing was moved.")
    ending = [m.row.allocation_id for m in moves if m.row.allocation_id is not None]
    if ending:
        connection.execute(
            sa.update(Allocation)
            .where(Allocation.id == sa.bindparam("b_id"), Allocation.ended_on.is_(None))
            .values(ended_on=effective),
            [{"b_id": allocation_id} for allocation_id in ending],
        )
    tables = Base.metadata.tables
    allocations, audits, outbox = [], [], []
    for move in moves:
        row, target = move.row, move.target
        to_worker_id = None if target is None else target.worker_id
        allocations.append(
            {
                "case_id": row.id,
                "worker_id": to_worker_id,
                "started_on": effective,
                "ended_on": None,
                "reason_code": move.reason.value,
                "reason_text": move.reason_text,
                "created_by": actor,
                "created_at": now,
            }
        )
        detail: dict[str, object] = {
            "batch": batch,
            "effective": effective.isoformat(),
            "version": row.version + 1,  # the case's version after this change (undo checks it)
        }
        if undoes is not None:
            detail["undoes"] = undoes
        audits.append(
            {
                "occurred_at": now,
                "actor": actor,
                "action": "allocation.changed" if target is not None else "allocation.ended",
                "case_id": row.id,
                "from_worker_id": row.worker_id,
                "to_worker_id": to_worker_id,
                "reason": move.reason.meaning
                + (f": {move.reason_text}" if move.reason_text else ""),
                "detail": detail,
            }
        )
        outbox.append(
            {
                "uuid": str(uuid.uuid4()),
                "kind": OUTBOX_KIND,
                "schema_version": OUTBOX_SCHEMA_VERSION,
                "payload": {
                    "batch": batch,
                    "case_ref": row.case_ref,
                    # The allocation this change replaces: central applies it only if it still
                    # holds there, and records a conflict otherwise.
                    "expected": {
                        "staff_id": row.staff_id,
                        "started_on": None
                        if row.started_on is None
                        else row.started_on.isoformat(),
                    },
                    "to_staff_id": None if target is None else staff_ids[target.worker_id],
                    "effective": effective.isoformat(),
                    "reason_code": move.reason.value,
                    "reason_text": move.reason_text,
                    "actor": actor,
                },
                "created_at": now,
                "attempts": 0,
                "last_error": None,
                "sent_at": None,
            }
        )
    connection.execute(sa.insert(tables[Allocation.__tablename__]), allocations)
    connection.execute(sa.insert(tables[AuditEvent.__tablename__]), audits)
    connection.execute(sa.insert(tables[OutboxEvent.__tablename__]), outbox)
    return tuple(
        Moved(
            case_id=m.row.id,
            case_ref=m.row.case_ref,
            child=m.row.name,
            from_worker=m.row.worker_name,
            to_worker=None if m.target is None else m.target.name,
        )
        for m in moves
    )


def _may_reassign(
    session: Session, actor: str, case_ids: Sequence[int], worker_ids: Sequence[int | None]
) -> None:
    """Reassigning is a manager's: in their own teams (the cases' and the workers'), or any
    team for a service manager."""
    teams = access.team_ids_of_cases(session, case_ids)
    for worker_id in worker_ids:
        teams |= access.team_of_worker(session, worker_id)
    access.require(session, actor, access.Action.REASSIGN, teams)


def _caseload(session: Session, target: Target, rules: PracticeRules, today: dt.date) -> Caseload:
    state = WorkerState(target.role, target.status, target.end_date)
    return caseload_from_counts(
        target.role,
        target.fte,
        _counts(session, target.worker_id, today),
        rules,
        can_hold_cases=can_hold_cases(state, today),
    )


def _announce(announcer: ChangeAnnouncer | None, moves: Sequence[_Move]) -> None:
    if announcer is None or not moves:
        return
    workers = {m.row.worker_id for m in moves if m.row.worker_id is not None}
    workers |= {m.target.worker_id for m in moves if m.target is not None}
    announcer.announce(Change.of("reassignment", {m.row.id for m in moves}, workers))


def _requested_rows(
    session: Session, case_refs: Sequence[str], case_ids: Collection[int]
) -> list[CaseRow]:
    rows: dict[int, CaseRow] = {}
    if case_refs:
        wanted = {ref.strip().upper(): ref for ref in case_refs}
        found = _case_rows(session, sa.func.upper(Case.case_ref).in_(wanted))
        missing = set(wanted) - {r.case_ref.upper() for r in found}
        if missing:
            names = ", ".join(wanted[m] for m in sorted(missing))
            raise NotFound(f"No case with the reference {names}. Nothing was moved.")
        rows.update((r.id, r) for r in found)
    if case_ids:
        found = _case_rows(session, Case.id.in_(list(case_ids)))
        missing_ids = set(case_ids) - {r.id for r in found}
        if missing_ids:
            raise NotFound(f"{len(missing_ids)} of the cases no longer exist; nothing was moved.")
        rows.update((r.id, r) for r in found)
    return sorted(rows.values(), key=lambda r: r.case_ref)


def _check_versions(rows: Sequence[CaseRow], expected: Mapping[int, int]) -> None:
    changed = [r.case_ref for r in rows if r.id in expected and expected[r.id] != r.version]
    if changed:
        raise StaleData(
            f"{', '.join(changed)} changed since the board read "
            f"{'it' if len(changed) == 1 else 'them'} (someone else moved or edited "
            f"{'it' if len(changed) == 1 else 'them'}). Nothing was moved; the board has been "
            "read again."
        )


def _family_rows(session: Session, rows: Sequence[CaseRow]) -> list[CaseRow]:
    groups = {r.family_group_id for r in rows if r.family_group_id is not None}
    if not groups:
        return []
    return _case_rows(session, sa.and_(Child.family_group_id.in_(groups), Case.closed_on.is_(None)))
