"""Reassignment rules: what may move to whom, and what the manager must be told first.

Pure functions over plain values. ``services.reassignment`` reads the rows, asks here, and
writes only what this allows; the CLI and the GUI get the same answers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

from caseload_desktop.domain.caseload import capacity, load_percent
from caseload_desktop.domain.categories import Category, Role, WorkerStatus
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.domain.queues import WorkerState, has_left


def _uk(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


@dataclasses.dataclass(frozen=True)
class CaseToMove:
    case_id: int
    case_ref: str
    category: Category
    court: bool
    closed_on: dt.date | None
    current_worker_id: int | None
    current_since: dt.date | None  # start of the allocation in force
    family_group_id: int | None


@dataclasses.dataclass(frozen=True)
class Target:
    """The worker receiving cases, with the caseload they hold now."""

    worker_id: int
    name: str
    role: Role
    status: WorkerStatus
    end_date: dt.date | None
    fte: Decimal
    weighted: Decimal  # current weighted load
    start_date: dt.date | None = None

    def capacity(self, rules: PracticeRules) -> Decimal:
        return capacity(self.role, self.fte, rules)


@dataclasses.dataclass(frozen=True)
class CapacityWarning:
    worker: str
    weighted_after: Decimal
    capacity: Decimal

    @property
    def message(self) -> str:
        percent = load_percent(self.weighted_after, self.capacity)
        share = f" ({percent}% of capacity)" if percent is not None else ""
        return (
            f"{self.worker} would carry {self.weighted_after:.1f} weighted points against a "
            f"capacity of {self.capacity:.1f}{share}."
        )


@dataclasses.dataclass(frozen=True)
class Decision:
    """What a reassignment may do.

    Attributes:
        moves: cases that will move.
        unchanged: cases already with the target (a move onto the current worker does nothing).
        refusals: reasons nothing may move (any refusal stops the whole batch).
        over_capacity: set when the target would go over capacity (needs the manager's say-so).
        notes: warnings that do not stop the move (a CP or CLA case sent back to the queue).
    """

    moves: tuple[CaseToMove, ...]
    unchanged: tuple[CaseToMove, ...]
    refusals: tuple[str, ...]
    over_capacity: CapacityWarning | None
    notes: tuple[str, ...] = ()  # things to tell the manager that do not stop the move


def decide(
    cases: Sequence[CaseToMove],
    target: Target | None,
    effective: dt.date,
    today: dt.date,
    rules: PracticeRules,
) -> Decision:
    """Check moving ``cases`` to ``target`` (None: back to the unallocated queue) on
    ``effective``."""
    refusals: list[str] = []
    if effective > today:
        refusals.append(f"The effective date {_uk(effective)} is in the future.")
    cannot_hold = None  # why the target can hold no case at all
    if target is not None:
        first = target.name.split()[0]
        state = WorkerState(target.role, target.status, target.end_date)
        if has_left(target.end_date, today):
            assert target.end_date is not None
            cannot_hold = f"{first} left on {_uk(target.end_date)}."
        elif state.status != WorkerStatus.ACTIVE:
            cannot_hold = f"{first} is inactive."
        elif target.start_date is not None and effective < target.start_date:
            cannot_hold = (
                f"{first} started on {_uk(target.start_date)}, after the effective date "
                f"{_uk(effective)}."
            )
    target_id = None if target is None else target.worker_id
    moves: list[CaseToMove] = []
    unchanged: list[CaseToMove] = []
    for case in cases:
        if case.closed_on is not None and case.closed_on <= today:
            refusals.append(f"{case.case_ref} was closed on {_uk(case.closed_on)}: it cannot move.")
            continue
        if case.current_worker_id == target_id:
            unchanged.append(case)
            continue
        if target is not None and not rules.may_hold(target.role, case.category):
            refusals.append(
                f"Cannot allocate {case.case_ref} to {target.name}: a "
                f"{target.role.label.lower()} may not hold a {case.category.label.lower()} case."
            )
        if case.current_since is not None and effective < case.current_since:
            refusals.append(
                f"{case.case_ref} has been with its current allocation since "
                f"{_uk(case.current_since)}; the effective date cannot be earlier."
            )
        moves.append(case)
    if cannot_hold is not None and target is not None:
        refs = ", ".join(c.case_ref for c in (moves or cases))
        what = f"{refs} " if refs else ""
        refusals.insert(0, f"Cannot allocate {what}to {target.name}: {cannot_hold}")
    notes = tuple(
        f"{case.case_ref} is a {case.category.label.lower()} case: it must always have a worker."
        for case in moves
        if target is None and case.category.must_be_allocated
    )
    warning = None
    if target is not None and moves and not refusals:
        added = sum((rules.weight_of(c.category, c.court) for c in moves), Decimal(0))
        after = target.weighted + added
        cap = target.capacity(rules)
        if after > cap:
            warning = CapacityWarning(target.name, after, cap)
    return Decision(tuple(moves), tuple(unchanged), tuple(refusals), warning, notes)


def siblings_left_behind(
    moving: Iterable[CaseToMove], family: Iterable[CaseToMove], target_id: int | None
) -> list[CaseToMove]:
    """Open cases of the moving cases' family groups that would stay with someone else."""
    moving_ids = {case.case_id for case in moving}
    groups = {case.family_group_id for case in moving if case.family_group_id is not None}
    return [
        case
        for case in family
        if case.family_group_id in groups
        and case.case_id not in moving_ids
        and case.current_worker_id != target_id
        and case.closed_on is None
    ]
