"""Which queue an open case is in: allocated, orphaned, unallocated or held by a manager.

The definitions are DOMAIN.md's:

- orphaned: the current allocation names a worker who has left (end date passed) or is inactive;
- unallocated: no current worker (awaiting allocation), counted in days waiting;
- held by manager: the current worker is a (team or service) manager who is still in post;
- allocated: the current worker is an active practitioner.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from caseload_desktop.domain.categories import Category, Role, WorkerStatus


class Queue(enum.StrEnum):
    ALLOCATED = "allocated"
    ORPHANED = "orphaned"
    UNALLOCATED = "unallocated"
    HELD_BY_MANAGER = "held_by_manager"

    @property
    def label(self) -> str:
        return {
            Queue.ALLOCATED: "Allocated",
            Queue.ORPHANED: "Orphaned",
            Queue.UNALLOCATED: "Unallocated",
            Queue.HELD_BY_MANAGER: "Held by manager",
        }[self]


@dataclasses.dataclass(frozen=True)
class WorkerState:
    """What the queue rules need to know of a worker."""

    role: Role
    status: WorkerStatus
    end_date: dt.date | None


def has_left(end_date: dt.date | None, today: dt.date) -> bool:
    """A leaver is a worker whose end date has passed (their last day is still a working day)."""
    return end_date is not None and end_date < today


def can_hold_cases(worker: WorkerState, today: dt.date) -> bool:
    return worker.status == WorkerStatus.ACTIVE and not has_left(worker.end_date, today)


def worker_status_label(worker: WorkerState, today: dt.date) -> str:
    """``active``, ``left`` or ``inactive``, as the CLI and views show it."""
    if has_left(worker.end_date, today):
        return "left"
    return worker.status.value


def classify(worker: WorkerState | None, today: dt.date) -> Queue:
    """The queue of an open case whose current worker is ``worker`` (None: no worker)."""
    if worker is None:
        return Queue.UNALLOCATED
    if not can_hold_cases(worker, today):
        return Queue.ORPHANED
    if worker.role.is_manager:
        return Queue.HELD_BY_MANAGER
    return Queue.ALLOCATED


def days_between(start: dt.date, today: dt.date) -> int:
    """Whole calendar days from ``start`` to ``today`` (never negative)."""
    return max(0, (today - start).days)


def is_escalated(days_waiting: int, escalation_days: int) -> bool:
    """An unallocated case waiting ``escalation_days`` or more goes to the service manager."""
    return days_waiting >= escalation_days


def queue_priority(category: Category, days_waiting: int) -> tuple[int, int]:
    """Sort key for any queue: cases that must be allocated (CP, CLA) first, then oldest first."""
    return (0 if category.must_be_allocated else 1, -days_waiting)
