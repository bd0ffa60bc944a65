"""Supervision sessions: draft, finalise, add an addendum, export the record as PDF.

A draft holds what the manager types (attendees, wellbeing, workload, each case discussed,
actions, next date) and may be saved any number of times. Finalising takes the worker's
caseload as it stood on the day and the reassignments of that day (from the audit), renders
the record, keeps its SHA-256, and fixes the record: the database refuses any change after
that except an addendum (a new row) and an action's status. Each step is one transaction
with its audit event and outbox event; the finalised record's outbox event carries the PDF.

``create_from_json`` builds a finalised session from a JSON document (the CLI's
``supervision create``); every field is checked before anything is written, and a bad one is
named ("cases[2].actions[0].owner: ...").
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseload_desktop.clock import now_utc
from caseload_desktop.display import UK_TIME, uk_date
from caseload_desktop.domain.categories import Category
from caseload_desktop.domain.dates import parse_date
from caseload_desktop.domain.due import case_due
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.domain.settings import RecordsStyle
from caseload_desktop.domain.supervision import (
    ActionItem,
    ActionStatus,
    Addendum,
    CaseDiscussion,
    ReassignmentItem,
    SessionStatus,
    SnapshotCase,
    SupervisionRecord,
    record_id,
)
from caseload_desktop.errors import BadInput, NotFound, RuleViolation, StaleData
from caseload_desktop.services import access
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.store import queries
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import (
    AuditEvent,
    Case,
    Child,
    OutboxEvent,
    SupervisionAction,
    SupervisionAddendum,
    SupervisionCase,
    SupervisionSession,
    Team,
    Worker,
)

OUTBOX_SCHEMA_VERSION = 1
MAX_TEXT = 20_000  # characters in one free-text field: several pages of a record


# --- What a draft holds ------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DiscussionInput:
    case_id: int
    current_position: str = ""
    lived_experience: str = ""
    decision: str = ""
    rationale: str = ""


@dataclasses.dataclass(frozen=True)
class ActionInput:
    action: str
    owner_worker_id: int
    due: dt.date | None = None
    case_id: int | None = None
    where: str = ""  # how a message names it ("cases[0].actions[1]"); default actions[N]


@dataclasses.dataclass(frozen=True)
class DraftInput:
    """Everything the manager types into a session."""

    held_on: dt.date
    attendees: tuple[str, ...] = ()
    wellbeing: str = ""
    workload: str = ""
    next_supervision: dt.date | None = None
    discussions: tuple[DiscussionInput, ...] = ()
    actions: tuple[ActionInput, ...] = ()
    worker_signed: str | None = None


@dataclasses.dataclass(frozen=True)
class SessionRow:
    id: int
    record_id: str
    worker_id: int
    worker: str
    held_on: dt.date
    status: SessionStatus
    version: int
    pdf_sha256: str | None


# --- Checks ---------------------------------------------------------------------------------


def _check_text(field: str, text: str) -> str:
    if len(text) > MAX_TEXT:
        raise BadInput(f"{field}: {len(text):,} characters; at most {MAX_TEXT:,} fit a record.")
    return text


def _check_draft(session: Session, worker_id: int, draft: DraftInput, today: dt.date) -> None:
    """Every field of ``draft`` against the database; the first problem is raised, named."""
    if draft.held_on > today:
        raise BadInput(f"held_on: {uk_date(draft.held_on)} is in the future.")
    if draft.next_supervision is not None and draft.next_supervision < draft.held_on:
        raise BadInput(
            f"next_supervision: {uk_date(draft.next_supervision)} is before the session "
            f"({uk_date(draft.held_on)})."
        )
    for name, text in (("wellbeing", draft.wellbeing), ("workload", draft.workload)):
        _check_text(name, text)
    held = _held_case_ids(session, worker_id, draft.held_on)
    seen: set[int] = set()
    for number, item in enumerate(draft.discussions):
        where = f"cases[{number}]"
        ref = _case_ref(session, item.case_id, where)
        if item.case_id not in held:
            raise RuleViolation(
                f"{where}.case_ref: {ref} was not held by this worker on "
                f"{uk_date(draft.held_on)}; a supervision record discusses the worker's cases."
            )
        if item.case_id in seen:
            raise BadInput(f"{where}.case_ref: {ref} is discussed twice; put it in once.")
        seen.add(item.case_id)
        for field in ("current_position", "lived_experience", "decision", "rationale"):
            _check_text(f"{where}.{field}", getattr(item, field))
    for number, action in enumerate(draft.actions):
        where = action.where or f"actions[{number}]"
        if not action.action.strip():
            raise BadInput(f"{where}.action: say what is to be done.")
        _check_text(f"{where}.action", action.action)
        _check_owner(session, action.owner_worker_id, draft.held_on, f"{where}.owner")
        if action.due is not None and action.due < draft.held_on:
            raise BadInput(
                f"{where}.due: {uk_date(action.due)} is before the session "
                f"({uk_date(draft.held_on)})."
            )
        if action.case_id is not None:
            _case_ref(session, action.case_id, f"{where}.case_ref")


def _case_ref(session: Session, case_id: int, where: str) -> str:
    ref = session.execute(sa.select(Case.case_ref).where(Case.id == case_id)).scalar()
    if ref is None:
        raise NotFound(f"{where}: there is no case with the id {case_id}.")
    return ref


def _check_owner(session: Session, worker_id: int, held_on: dt.date, where: str) -> None:
    row = session.execute(
        sa.select(Worker.name, Worker.end_date, Worker.status).where(Worker.id == worker_id)
    ).one_or_none()
    if row is None:
        raise NotFound(f"{where}: there is no worker with the id {worker_id}.")
    name, end_date, status = row
    if end_date is not None and end_date < held_on:  # their last day is still in post
        raise RuleViolation(
            f"{where}: {name} left on {uk_date(end_date)}; an action needs an owner in post."
        )
    if str(status) == "inactive":
        raise RuleViolation(f"{where}: {name} is inactive; an action needs an owner in post.")


def _held_case_ids(session: Session, worker_id: int, on: dt.date) -> set[int]:
    table = queries.case_table(session, on, worker_id=worker_id)
    return {row[queries.C_CASE_ID] for row in table.rows}


# --- Writing ----------------------------------------------------------------------------------


def _audit(
    session: Session, now: dt.datetime, actor: str, action: str, reason: str, detail: dict[str, Any]
) -> None:
    session.execute(
        sa.insert(AuditEvent).values(
            occurred_at=now,
            actor=actor,
            action=action,
            case_id=None,
            from_worker_id=None,
            to_worker_id=detail.get("worker_id"),
            reason=reason[:1000],
            detail=detail,
        )
    )


def _may_supervise(session: Session, actor: str, worker_id: int) -> None:
    """Supervision is a manager's: in their own teams, or any team for a service manager."""
    access.require(
        session, actor, access.Action.SUPERVISE, access.team_of_worker(session, worker_id)
    )


def _outbox(session: Session, now: dt.datetime, kind: str, payload: dict[str, Any]) -> None:
    session.execute(
        sa.insert(OutboxEvent).values(
            uuid=str(uuid.uuid4()),
            kind=kind,
            schema_version=OUTBOX_SCHEMA_VERSION,
            payload=payload,
            created_at=now,
            attempts=0,
        )
    )


def _write_parts(session: Session, session_id: int, draft: DraftInput) -> None:
    session.execute(sa.delete(SupervisionCase).where(SupervisionCase.session_id == session_id))
    session.execute(sa.delete(SupervisionAction).where(SupervisionAction.session_id == session_id))
    if draft.discussions:
        session.execute(
            sa.insert(SupervisionCase),
            [
                {
                    "session_id": session_id,
                    "position": number,
                    "case_id": item.case_id,
                    "current_position": item.current_position,
                    "lived_experience": item.lived_experience,
                    "decision": item.decision,
                    "rationale": item.rationale,
                }
                for number, item in enumerate(draft.discussions)
            ],
        )
    if draft.actions:
        session.execute(
            sa.insert(SupervisionAction),
            [
                {
                    "session_id": session_id,
                    "position": number,
                    "case_id": action.case_id,
                    "action": action.action.strip(),
                    "owner_worker_id": action.owner_worker_id,
                    "due": action.due,
                    "status": ActionStatus.OPEN,
                    "done_on": None,
                    "version": 1,
                }
                for number, action in enumerate(draft.actions)
            ],
        )


def create_draft(
    db: Database,
    worker_id: int,
    draft: DraftInput,
    *,
    actor: str,
    today: dt.date,
    announcer: ChangeAnnouncer | None = None,
) -> int:
    """Start a session with ``worker_id``; returns its id."""
    with access.denials_recorded(db, actor, "start supervision"), db.write() as session:
        _may_supervise(session, actor, worker_id)
        session_id = _insert_draft(session, worker_id, draft, actor=actor, today=today)
    _announce(announcer, worker_id)
    return session_id


def _insert_draft(
    session: Session, worker_id: int, draft: DraftInput, *, actor: str, today: dt.date
) -> int:
    now = now_utc()
    _worker_exists(session, worker_id)
    _check_draft(session, worker_id, draft, today)
    session_id = session.execute(
        sa.insert(SupervisionSession)
        .values(
            id=_next_session_id(session),
            worker_id=worker_id,
            manager=actor,
            held_on=draft.held_on,
            attendees=list(draft.attendees),
            wellbeing=draft.wellbeing,
            workload=draft.workload,
            next_supervision=draft.next_supervision,
            status=SessionStatus.DRAFT,
            worker_signed=draft.worker_signed,
            created_at=now,
            created_by=actor,
            updated_at=now,
            version=1,
        )
        .returning(SupervisionSession.id)
    ).scalar_one()
    _write_parts(session, session_id, draft)
    _audit(
        session,
        now,
        actor,
        "supervision.started",
        f"Supervision {record_id(session_id)} started",
        {"session_id": session_id, "worker_id": worker_id},
    )
    return session_id


def _next_session_id(session: Session) -> int:
    """A number no session has had: SQLite would give a discarded draft's number to the next
    session, and the audit trail would then name two sessions by one record ID. The write
    transaction (BEGIN IMMEDIATE) keeps two desktops from taking the same number."""
    highest_row = session.execute(sa.select(sa.func.max(SupervisionSession.id))).scalar()
    highest_audited = session.execute(
        sa.select(sa.func.max(AuditEvent.detail["session_id"].as_integer())).where(
            AuditEvent.action.like("supervision.%")
        )
    ).scalar()
    return max(highest_row or 0, highest_audited or 0) + 1


def save_draft(
    db: Database,
    session_id: int,
    draft: DraftInput,
    *,
    expected_version: int,
    actor: str,
    today: dt.date,
    announcer: ChangeAnnouncer | None = None,
) -> int:
    """Replace a draft's content (autosave); returns its new version. Drafts are not sent to
    central records and their saves are not audited one by one: the final record is."""
    now = now_utc()
    with access.denials_recorded(db, actor, "save supervision"), db.write() as session:
        row = _session_row(session, session_id)
        _may_supervise(session, actor, row.worker_id)
        if row.status is SessionStatus.FINAL:
            raise RuleViolation(
                f"{row.record_id} is final and cannot be edited; add an addendum instead."
            )
        if row.version != expected_version:
            raise StaleData(
                f"{row.record_id} was changed elsewhere since it was opened; nothing was saved. "
                "Open it again to see the other changes."
            )
        _check_draft(session, row.worker_id, draft, today)
        session.execute(
            sa.update(SupervisionSession)
            .where(SupervisionSession.id == session_id)
            .values(
                held_on=draft.held_on,
                attendees=list(draft.attendees),
                wellbeing=draft.wellbeing,
                workload=draft.workload,
                next_supervision=draft.next_supervision,
                worker_signed=draft.worker_signed,
                updated_at=now,
                version=row.version + 1,
            )
        )
        _write_parts(session, session_id, draft)
    _announce(announcer, row.worker_id)
    return row.version + 1


def finalise(
    db: Database,
    session_id: int,
    *,
    expected_version: int,
    actor: str,
    rules: PracticeRules,
    style: RecordsStyle,
    announcer: ChangeAnnouncer | None = None,
) -> str:
    """Fix the record: take the caseload and the day's reassignments, render the PDF, keep
    its SHA-256, and send it to central records. Returns the SHA-256."""
    with access.denials_recorded(db, actor, "finalise supervision"), db.write() as session:
        _may_supervise(session, actor, _session_row(session, session_id).worker_id)
        digest, worker_id = _finalise_in(
            session,
            session_id,
            expected_version=expected_version,
            actor=actor,
            rules=rules,
            style=style,
        )
    _announce(announcer, worker_id)
    return digest


def _finalise_in(
    session: Session,
    session_id: int,
    *,
    expected_version: int,
    actor: str,
    rules: PracticeRules,
    style: RecordsStyle,
) -> tuple[str, int]:
    from caseload_desktop.reports.supervision_record import supervision_record_pdf

    now = now_utc()
    row = _session_row(session, session_id)
    if row.status is SessionStatus.FINAL:
        raise RuleViolation(f"{row.record_id} is already final.")
    if row.version != expected_version:
        raise StaleData(
            f"{row.record_id} was changed elsewhere since it was opened; it was not "
            "finalised. Open it again to see the other changes."
        )
    snapshot = _snapshot(session, row.worker_id, row.held_on, rules)
    # The record shows each action as agreed: marking one done later is tracked on the action
    # (and audited), and leaves the record and its SHA-256 as they were.
    snapshot["action_status"] = [
        str(state)
        for state in session.execute(
            sa.select(SupervisionAction.status)
            .where(SupervisionAction.session_id == session_id)
            .order_by(SupervisionAction.position)
        ).scalars()
    ]
    # The record is rendered as it will stand, then fixed in one write: once the row is
    # final the database refuses any further change to it.
    record = _record(session, session_id, rules, final=(snapshot, now, actor))
    pdf = supervision_record_pdf(record, style)
    digest = _sha256(pdf)
    session.execute(
        sa.update(SupervisionSession)
        .where(SupervisionSession.id == session_id)
        .values(
            snapshot=snapshot,
            status=SessionStatus.FINAL,
            finalised_at=now,
            finalised_by=actor,
            pdf_sha256=digest,
            updated_at=now,
            version=row.version + 1,
        )
    )
    _audit(
        session,
        now,
        actor,
        "supervision.finalised",
        f"Supervision record {row.record_id} with {row.worker} finalised",
        {"session_id": session_id, "worker_id": row.worker_id, "sha256": digest},
    )
    _outbox(
        session,
        now,
        "supervision.finalised",
        {
            "record_id": row.record_id,
            "staff_id": _staff_id(session, row.worker_id),
            "held_on": row.held_on.isoformat(),
            "finalised_at": now.isoformat(),
            "actor": actor,
            "sha256": digest,
            "pdf": base64.b64encode(pdf).decode("ascii"),
        },
    )
    return digest, row.worker_id


def add_addendum(
    db: Database,
    session_id: int,
    text: str,
    *,
    actor: str,
    rules: PracticeRules,
    style: RecordsStyle,
    announcer: ChangeAnnouncer | None = None,
) -> str:
    """Add an addendum to a final record; returns the SHA-256 of the record with it."""
    from caseload_desktop.reports.supervision_record import supervision_record_pdf

    text = _check_text("addendum", text.strip())
    if not text:
        raise BadInput("addendum: write what is added to the record.")
    now = now_utc()
    with access.denials_recorded(db, actor, "add an addendum"), db.write() as session:
        row = _session_row(session, session_id)
        _may_supervise(session, actor, row.worker_id)
        if row.status is not SessionStatus.FINAL:
            raise RuleViolation(
                f"{row.record_id} is a draft: edit it; addenda are for final records."
            )
        record = _record(session, session_id, rules)
        with_it = dataclasses.replace(record, addenda=(*record.addenda, Addendum(text, now, actor)))
        digest = _sha256(supervision_record_pdf(with_it, style))
        session.execute(
            sa.insert(SupervisionAddendum).values(
                session_id=session_id, text=text, added_at=now, added_by=actor, pdf_sha256=digest
            )
        )
        _audit(
            session,
            now,
            actor,
            "supervision.addendum",
            f"Addendum to supervision record {row.record_id}",
            {"session_id": session_id, "worker_id": row.worker_id, "sha256": digest},
        )
        _outbox(
            session,
            now,
            "supervision.addendum",
            {
                "record_id": row.record_id,
                "text": text,
                "added_at": now.isoformat(),
                "actor": actor,
                "sha256": digest,
            },
        )
    _announce(announcer, row.worker_id)
    return digest


def set_action_status(
    db: Database,
    action_id: int,
    status: ActionStatus,
    *,
    actor: str,
    today: dt.date,
    announcer: ChangeAnnouncer | None = None,
) -> None:
    """Mark an action done (or open again), audited and sent."""
    now = now_utc()
    with access.denials_recorded(db, actor, "update an action"), db.write() as session:
        found = session.execute(
            sa.select(
                SupervisionAction.session_id,
                SupervisionAction.owner_worker_id,
                SupervisionAction.status,
                SupervisionAction.action,
                SupervisionSession.status,
            )
            .join(SupervisionSession, SupervisionSession.id == SupervisionAction.session_id)
            .where(SupervisionAction.id == action_id)
        ).one_or_none()
        if found is None:
            raise NotFound(f"There is no action with the id {action_id}.")
        session_id, owner_id, current, text, session_status = found
        _may_supervise(session, actor, _session_row(session, session_id).worker_id)
        if session_status != SessionStatus.FINAL:
            # A draft is not sent to central records, and its next save rewrites its actions.
            raise RuleViolation(
                f"{record_id(session_id)} is a draft: an action's status is kept once the "
                "record is final."
            )
        if current == status:
            return
        session.execute(
            sa.update(SupervisionAction)
            .where(SupervisionAction.id == action_id)
            .values(
                status=status,
                done_on=today if status is ActionStatus.DONE else None,
                version=SupervisionAction.version + 1,
            )
        )
        _audit(
            session,
            now,
            actor,
            "supervision.action",
            f"Action {status.value}: {text}",
            {"session_id": session_id, "action_id": action_id, "worker_id": owner_id},
        )
        _outbox(
            session,
            now,
            "supervision.action",
            {
                "record_id": record_id(session_id),
                "action_id": action_id,
                "status": status.value,
                "on": today.isoformat(),
                "actor": actor,
            },
        )
    _announce(announcer, owner_id)


def discard_draft(
    db: Database, session_id: int, *, actor: str, announcer: ChangeAnnouncer | None = None
) -> None:
    """Throw a draft away (a final record cannot be)."""
    now = now_utc()
    with access.denials_recorded(db, actor, "discard supervision"), db.write() as session:
        row = _session_row(session, session_id)
        _may_supervise(session, actor, row.worker_id)
        if row.status is SessionStatus.FINAL:
            raise RuleViolation(f"{row.record_id} is final and is kept.")
        _write_parts(session, session_id, DraftInput(held_on=row.held_on))
        session.execute(sa.delete(SupervisionSession).where(SupervisionSession.id == session_id))
        _audit(
            session,
            now,
            actor,
            "supervision.discarded",
            f"Draft supervision {row.record_id} discarded",
            {"session_id": session_id, "worker_id": row.worker_id},
        )
    _announce(announcer, row.worker_id)


# --- Reading ------------------------------------------------------------------------------------


def _session_row(session: Session, session_id: int) -> SessionRow:
    found = session.execute(
        sa.select(
            SupervisionSession.id,
            SupervisionSession.worker_id,
            Worker.name,
            SupervisionSession.held_on,
            SupervisionSession.status,
            SupervisionSession.version,
            SupervisionSession.pdf_sha256,
        )
        .join(Worker, Worker.id == SupervisionSession.worker_id)
        .where(SupervisionSession.id == session_id)
    ).one_or_none()
    if found is None:
        raise NotFound(f"There is no supervision session {record_id(session_id)}.")
    sid, worker_id, worker, held_on, status, version, digest = found
    return SessionRow(sid, record_id(sid), worker_id, worker, held_on, status, version, digest)


def session_row(db: Database, session_id: int) -> SessionRow:
    with db.read() as session:
        return _session_row(session, session_id)


def list_sessions(db: Database, worker_id: int | None = None) -> list[SessionRow]:
    """Sessions (of one worker, or all), newest first."""
    stmt = sa.select(SupervisionSession.id).order_by(
        SupervisionSession.held_on.desc(), SupervisionSession.id.desc()
    )
    if worker_id is not None:
        stmt = stmt.where(SupervisionSession.worker_id == worker_id)
    with db.read() as session:
        return [_session_row(session, i) for i in session.execute(stmt).scalars().all()]


def _worker_exists(session: Session, worker_id: int) -> None:
    if session.get(Worker, worker_id) is None:
        raise NotFound(f"There is no worker with the id {worker_id}.")


def _staff_id(session: Session, worker_id: int) -> str:
    return session.execute(sa.select(Worker.staff_id).where(Worker.id == worker_id)).scalar_one()


def _sha256(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def _announce(announcer: ChangeAnnouncer | None, worker_id: int) -> None:
    if announcer is not None:
        announcer.announce(Change.of("supervision", worker_ids=[worker_id]))


def _status_text(
    category: Category, table: queries.CaseTable, i: int, on: dt.date, rules: PracticeRules
) -> str:
    items = case_due(
        category,
        today=on,
        rules=rules,
        assessment_started_on=table.date(i, queries.C_ASSESSMENT_STARTED_ON),
        visit_due=table.visit_due(i, rules),
        review_due=table.date(i, queries.C_NEXT_REVIEW_DUE),
    )
    return "; ".join(f"{item.kind.label}: {item.describe()}" for item in items)


def _snapshot(
    session: Session, worker_id: int, held_on: dt.date, rules: PracticeRules
) -> dict[str, Any]:
    """The worker's open cases on the day, and the day's reassignments to or from them."""
    table = queries.case_table(session, held_on, worker_id=worker_id)
    cases = []
    for i, row in enumerate(table.rows):
        category = Category(row[queries.C_CATEGORY])
        due = table.visit_due(i, rules)
        since = table.date(i, queries.C_ALLOCATED_ON)
        cases.append(
            {
                "case_ref": row[queries.C_CASE_REF],
                "child": row[queries.C_CHILD],
                "category": category.short,
                "allocated_since": since.isoformat() if since else None,
                "next_visit_due": due.isoformat() if due else None,
                "status": _status_text(category, table, i, held_on, rules),
            }
        )
    # A move belongs to the session's day when it took effect that day (the service records
    # the effective date) or, for a move recorded without one, when it was made that day in
    # UK time.
    start = dt.datetime(held_on.year, held_on.month, held_on.day, tzinfo=UK_TIME)
    end = start + dt.timedelta(days=1)
    effective = AuditEvent.detail["effective"].as_string()
    moved = session.execute(
        sa.select(
            Case.case_ref,
            Child.name,
            AuditEvent.from_worker_id,
            AuditEvent.to_worker_id,
            AuditEvent.reason,
            AuditEvent.occurred_at,
        )
        .join(Case, Case.id == AuditEvent.case_id)
        .join(Child, Child.id == Case.child_id)
        .where(
            AuditEvent.action.in_(("allocation.changed", "allocation.ended")),
            sa.or_(AuditEvent.from_worker_id == worker_id, AuditEvent.to_worker_id == worker_id),
            sa.or_(
                effective == held_on.isoformat(),
                sa.and_(
                    effective.is_(None),
                    AuditEvent.occurred_at >= start.astimezone(dt.UTC),
                    AuditEvent.occurred_at < end.astimezone(dt.UTC),
                ),
            ),
        )
        .order_by(AuditEvent.id)
    ).all()
    names = _names(session, {w for r in moved for w in (r[2], r[3]) if w is not None})
    return {
        "cases": cases,
        "reassignments": [
            {
                "case_ref": ref,
                "child": child,
                "from_worker": names.get(from_id) if from_id else None,
                "to_worker": names.get(to_id) if to_id else None,
                "reason": reason,
                "when": when.isoformat(),
            }
            for ref, child, from_id, to_id, reason, when in moved
        ],
    }


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(sa.select(Worker.id, Worker.name).where(Worker.id.in_(ids))).all())


def _record(
    session: Session,
    session_id: int,
    rules: PracticeRules,
    *,
    final: tuple[dict[str, Any], dt.datetime, str] | None = None,
) -> SupervisionRecord:
    """The record as the PDF shows it. A draft's caseload is worked out live; ``final``
    (snapshot, when, who) renders a draft as it is about to be fixed."""
    s = session.execute(
        sa.select(SupervisionSession, Worker.name, Worker.role, Team.name)
        .join(Worker, Worker.id == SupervisionSession.worker_id)
        .join(Team, Team.id == Worker.team_id)
        .where(SupervisionSession.id == session_id)
    ).one()
    stored, worker, role, team = s
    snapshot: dict[str, Any] | None = stored.snapshot
    status, finalised_at, finalised_by = stored.status, stored.finalised_at, stored.finalised_by
    if final is not None:
        snapshot, finalised_at, finalised_by = final
        status = SessionStatus.FINAL
    if snapshot is None:
        snapshot = _snapshot(session, stored.worker_id, stored.held_on, rules)
    discussions = session.execute(
        sa.select(
            Case.case_ref,
            Child.name,
            Case.category,
            SupervisionCase.current_position,
            SupervisionCase.lived_experience,
            SupervisionCase.decision,
            SupervisionCase.rationale,
        )
        .join(Case, Case.id == SupervisionCase.case_id)
        .join(Child, Child.id == Case.child_id)
        .where(SupervisionCase.session_id == session_id)
        .order_by(SupervisionCase.position)
    ).all()
    actions = session.execute(
        sa.select(
            SupervisionAction.action,
            Worker.name,
            SupervisionAction.due,
            Case.case_ref,
            SupervisionAction.status,
        )
        .join(Worker, Worker.id == SupervisionAction.owner_worker_id)
        .outerjoin(Case, Case.id == SupervisionAction.case_id)
        .where(SupervisionAction.session_id == session_id)
        .order_by(SupervisionAction.position)
    ).all()
    addenda = session.execute(
        sa.select(
            SupervisionAddendum.text, SupervisionAddendum.added_at, SupervisionAddendum.added_by
        )
        .where(SupervisionAddendum.session_id == session_id)
        .order_by(SupervisionAddendum.id)
    ).all()
    return SupervisionRecord(
        record_id=record_id(session_id),
        worker=worker,
        worker_role=role.label,
        team=team,
        manager=stored.manager,
        held_on=stored.held_on,
        attendees=tuple(stored.attendees),
        wellbeing=stored.wellbeing,
        workload=stored.workload,
        snapshot=tuple(
            SnapshotCase(
                case_ref=c["case_ref"],
                child=c["child"],
                category=c["category"],
                allocated_since=_date(c["allocated_since"]),
                next_visit_due=_date(c["next_visit_due"]),
                status=c["status"],
            )
            for c in snapshot["cases"]
        ),
        discussions=tuple(
            CaseDiscussion(ref, child, Category(category).short, pos, lived, decision, why)
            for ref, child, category, pos, lived, decision, why in discussions
        ),
        actions=tuple(
            ActionItem(text, owner, due, ref, ActionStatus(state))
            for text, owner, due, ref, state in _as_recorded(actions, snapshot)
        ),
        reassignments=tuple(
            ReassignmentItem(
                r["case_ref"],
                r["child"],
                r["from_worker"],
                r["to_worker"],
                r["reason"],
                dt.datetime.fromisoformat(r["when"]),
            )
            for r in snapshot["reassignments"]
        ),
        next_supervision=stored.next_supervision,
        status=status,
        finalised_at=finalised_at,
        finalised_by=finalised_by,
        worker_signed=stored.worker_signed,
        addenda=tuple(Addendum(text, when, who) for text, when, who in addenda),
    )


def _as_recorded(actions: Sequence[Any], snapshot: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Actions with the status they had when the record was finalised (a final record), or
    their status now (a draft)."""
    recorded = snapshot.get("action_status")
    if recorded is None or len(recorded) != len(actions):
        return [tuple(a) for a in actions]
    return [(*tuple(a)[:4], state) for a, state in zip(actions, recorded, strict=True)]


def _date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


def load_record(db: Database, session_id: int, rules: PracticeRules) -> SupervisionRecord:
    with db.read() as session:
        _session_row(session, session_id)  # a clear NotFound first
        return _record(session, session_id, rules)


def export_pdf(
    db: Database, session_id: int, path: Path, *, rules: PracticeRules, style: RecordsStyle
) -> str:
    """Write the record's PDF to ``path`` (atomically); returns its SHA-256. A final record
    without addenda gives the bytes whose SHA-256 was kept when it was finalised."""
    from caseload_desktop.reports.styles import write_pdf
    from caseload_desktop.reports.supervision_record import supervision_record_pdf

    record = load_record(db, session_id, rules)
    return write_pdf(supervision_record_pdf(record, style), path)


# --- From a JSON document ---------------------------------------------------------------------


def draft_from_json(
    db: Database, worker_id: int, document: object, *, today: dt.date
) -> DraftInput:
    """The draft a JSON document describes (the README documents the shape), every field
    checked and named when wrong."""
    if not isinstance(document, Mapping):
        raise BadInput('The record must be a JSON object: {"held_on": "YYYY-MM-DD", ...}.')
    known = {
        "held_on",
        "attendees",
        "wellbeing",
        "workload",
        "next_supervision",
        "cases",
        "worker_signed",
    }
    unknown = sorted(set(map(str, document)) - known)
    if unknown:
        raise BadInput(
            f"{unknown[0]}: not a field of a supervision record ({', '.join(sorted(known))})."
        )
    if "held_on" not in document:
        raise BadInput("held_on: the date the session was held is required (YYYY-MM-DD).")
    held_on = _json_date(document["held_on"], "held_on")
    next_date = (
        None
        if document.get("next_supervision") in (None, "")
        else _json_date(document["next_supervision"], "next_supervision")
    )
    attendees = document.get("attendees", [])
    if not isinstance(attendees, list) or not all(isinstance(a, str) for a in attendees):
        raise BadInput('attendees: a list of names, such as ["Sam Reid", "Ama Osei"].')
    cases = document.get("cases", [])
    if not isinstance(cases, list):
        raise BadInput("cases: a list of the cases discussed.")
    discussions: list[DiscussionInput] = []
    actions: list[ActionInput] = []
    with db.read() as session:
        for number, item in enumerate(cases):
            where = f"cases[{number}]"
            if not isinstance(item, Mapping):
                raise BadInput(f"{where}: an object with case_ref, discussion, decision, actions.")
            allowed = {
                "case_ref",
                "discussion",
                "lived_experience",
                "decision",
                "rationale",
                "actions",
            }
            extra = sorted(set(map(str, item)) - allowed)
            if extra:
                raise BadInput(f"{where}.{extra[0]}: not a field of a case discussed.")
            ref = _json_text(item.get("case_ref"), f"{where}.case_ref", required=True)
            try:
                case_id = queries.find_case_id(session, ref)
            except NotFound:
                raise NotFound(f"{where}.case_ref: there is no case {ref!r}.") from None
            discussions.append(
                DiscussionInput(
                    case_id=case_id,
                    current_position=_json_text(item.get("discussion"), f"{where}.discussion"),
                    lived_experience=_json_text(
                        item.get("lived_experience"), f"{where}.lived_experience"
                    ),
                    decision=_json_text(item.get("decision"), f"{where}.decision"),
                    rationale=_json_text(item.get("rationale"), f"{where}.rationale"),
                )
            )
            todo = item.get("actions", [])
            if not isinstance(todo, list):
                raise BadInput(f"{where}.actions: a list of actions.")
            for index, action in enumerate(todo):
                at = f"{where}.actions[{index}]"
                if not isinstance(action, Mapping):
                    raise BadInput(f"{at}: an object with action, owner and due.")
                text = _json_text(action.get("action"), f"{at}.action", required=True)
                owner = _json_text(action.get("owner"), f"{at}.owner", required=True)
                try:
                    owner_id = queries.find_worker(session, owner, today).id
                except NotFound as exc:
                    raise NotFound(f"{at}.owner: {exc}") from None
                due = (
                    None
                    if action.get("due") in (None, "")
                    else _json_date(action["due"], f"{at}.due")
                )
                actions.append(ActionInput(text, owner_id, due, case_id, where=at))
    return DraftInput(
        held_on=held_on,
        attendees=tuple(a.strip() for a in attendees if a.strip()),
        wellbeing=_json_text(document.get("wellbeing"), "wellbeing"),
        workload=_json_text(document.get("workload"), "workload"),
        next_supervision=next_date,
        discussions=tuple(discussions),
        actions=tuple(actions),
        worker_signed=_json_text(document.get("worker_signed"), "worker_signed") or None,
    )


def _json_text(value: object, field: str, *, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise BadInput(f"{field}: text is needed, not {json_type(value)}.")
    if required and not value.strip():
        raise BadInput(f"{field}: this is required.")
    return value.strip()


def _json_date(value: object, field: str) -> dt.date:
    if not isinstance(value, str):
        raise BadInput(f"{field}: a date is needed as text (YYYY-MM-DD), not {json_type(value)}.")
    try:
        return parse_date(value)
    except (BadInput, ValueError) as exc:
        raise BadInput(f"{field}: {exc}") from None


def json_type(value: object) -> str:
    return {
        bool: "true/false",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)


def create_from_json(
    db: Database,
    worker_id: int,
    document: object,
    *,
    actor: str,
    today: dt.date,
    rules: PracticeRules,
    style: RecordsStyle,
    announcer: ChangeAnnouncer | None = None,
) -> int:
    """A finalised session from ``document``, all or nothing (one transaction: a failure
    while finalising leaves no draft, audit event or outbox event behind); returns its id."""
    draft = draft_from_json(db, worker_id, document, today=today)
    with access.denials_recorded(db, actor, "create supervision"), db.write() as session:
        _may_supervise(session, actor, worker_id)
        session_id = _insert_draft(session, worker_id, draft, actor=actor, today=today)
        _finalise_in(session, session_id, expected_version=1, actor=actor, rules=rules, style=style)
    _announce(announcer, worker_id)
    return session_id
