"""A supervision record, as plain data (DOMAIN.md, "A supervision record").

A team manager's supervision session with one worker: who attended, the worker's wellbeing and
workload, the caseload as it stood that day, each case discussed (current position, the
child's lived experience and risk, the decision and why), actions (what, who, by when), the
cases reassigned in the session, the next supervision date and the sign-off. Once finalised
it is not edited; a later addendum can be added.

The store keeps sessions in tables; ``services.supervision`` turns one into a
``SupervisionRecord`` for the PDF (``reports.supervision_record``), which needs nothing else.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"
    FINAL = "final"


class ActionStatus(enum.StrEnum):
    OPEN = "open"
    DONE = "done"


@dataclasses.dataclass(frozen=True)
class SnapshotCase:
    """One open case the worker held on the day of the session."""

    case_ref: str
    child: str
    category: str  # the category's short label ("CP", "Assessment", ...)
    allocated_since: dt.date | None
    next_visit_due: dt.date | None
    status: str  # what is overdue or due soon ("CP visit 3 working days overdue"), or ""


@dataclasses.dataclass(frozen=True)
class CaseDiscussion:
    """One case discussed in the session."""

    case_ref: str
    child: str
    category: str
    current_position: str = ""
    lived_experience: str = ""  # the child's lived experience and risk
    decision: str = ""
    rationale: str = ""


@dataclasses.dataclass(frozen=True)
class ActionItem:
    action: str
    owner: str  # a worker's name
    due: dt.date | None
    case_ref: str | None = None
    status: ActionStatus = ActionStatus.OPEN


@dataclasses.dataclass(frozen=True)
class ReassignmentItem:
    """A case moved to or from the worker on the day of the session (from the audit)."""

    case_ref: str
    child: str
    from_worker: str | None  # None: from the queue
    to_worker: str | None  # None: to the queue
    reason: str
    when: dt.datetime


@dataclasses.dataclass(frozen=True)
class Addendum:
    text: str
    added_at: dt.datetime
    added_by: str


@dataclasses.dataclass(frozen=True)
class SupervisionRecord:
    """Everything a supervision record PDF shows."""

    record_id: str  # "SUP-000042"
    worker: str
    worker_role: str
    team: str
    manager: str
    held_on: dt.date
    attendees: tuple[str, ...]
    wellbeing: str
    workload: str
    snapshot: tuple[SnapshotCase, ...]
    discussions: tuple[CaseDiscussion, ...]
    actions: tuple[ActionItem, ...]
    reassignments: tuple[ReassignmentItem, ...]
    next_supervision: dt.date | None
    status: SessionStatus
    finalised_at: dt.datetime | None
    finalised_by: str | None
    worker_signed: str | None  # the worker's name as they signed, or None
    addenda: tuple[Addendum, ...] = ()

    @property
    def is_final(self) -> bool:
        return self.status is SessionStatus.FINAL


def record_id(session_id: int) -> str:
    """The record's ID as printed and quoted: ``SUP-`` and the session number."""
    return f"SUP-{session_id:06d}"
