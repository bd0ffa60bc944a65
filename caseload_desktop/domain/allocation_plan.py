"""Proposals for many cases at once: a leaver's caseload, or the orphaned and unallocated queues.

A proposal places whole family groups (siblings are never split) on active workers by spare
capacity, never pushing anyone over capacity and never giving a role a category it may not
hold. Groups that must be allocated (child protection, looked after) go first, then the
highest risk, then the longest waiting. What does not fit stays in the queue, and the
proposal says how much capacity is missing, in weighted points and in full-time workers: the
figure a manager takes to their service manager.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_CEILING, Decimal

from caseload_desktop.domain.categories import Category, Risk, Role
from caseload_desktop.domain.practice import PracticeRules


@dataclasses.dataclass(frozen=True)
class PlanCase:
    case_id: int
    case_ref: str
    category: Category
    court: bool
    risk: Risk
    waiting_since: dt.date  # when it entered the queue, or when its worker left
    family_group_id: int | None


@dataclasses.dataclass(frozen=True)
class PlanWorker:
    worker_id: int
    name: str
    role: Role
    weighted: Decimal  # the load they carry now
    capacity: Decimal


@dataclasses.dataclass(frozen=True)
class Proposal:
    """Attributes:
    placements: case id -> worker id.
    unplaced: case ids that fit nowhere, in the order they were considered.
    loads_after: worker id -> weighted load if the proposal is applied.
    shortfall_points: weighted points of the unplaced cases.
    shortfall_fte: the full-time workers it would take to carry them (rounded up to 0.1).
    """

    placements: dict[int, int]
    unplaced: tuple[int, ...]
    loads_after: dict[int, Decimal]
    shortfall_points: Decimal
    shortfall_fte: Decimal


def _groups(cases: Sequence[PlanCase]) -> list[list[PlanCase]]:
    by_group: dict[object, list[PlanCase]] = defaultdict(list)
    for case in cases:
        key: object = (
            ("case", case.case_id) if case.family_group_id is None else case.family_group_id
        )
        by_group[key].append(case)
    return list(by_group.values())


def group_priority(group: Sequence[PlanCase]) -> tuple[int, int, dt.date, str]:
    """Sort key: must-be-allocated groups first, then the highest risk, then the oldest."""
    must = any(case.category.must_be_allocated for case in group)
    risk = max(case.risk.rank for case in group)
    oldest = min(case.waiting_since for case in group)
    first_ref = min(case.case_ref for case in group)
    return (0 if must else 1, -risk, oldest, first_ref)


def propose(
    cases: Sequence[PlanCase], workers: Sequence[PlanWorker], rules: PracticeRules
) -> Proposal:
    """Place ``cases`` on ``workers`` (all of whom can hold cases) as the module describes."""
    loads = {worker.worker_id: worker.weighted for worker in workers}
    placements: dict[int, int] = {}
    unplaced: list[int] = []
    shortfall = Decimal(0)
    for group in sorted(_groups(cases), key=group_priority):
        weight = sum((rules.weight_of(c.category, c.court) for c in group), Decimal(0))
        eligible = [
            worker
            for worker in workers
            if all(rules.may_hold(worker.role, case.category) for case in group)
            and loads[worker.worker_id] + weight <= worker.capacity
        ]
        if not eligible:
            unplaced.extend(case.case_id for case in group)
            shortfall += weight
            continue
        # The most spare capacity takes it (ties: the lower share of capacity used, then name).
        chosen = max(
            eligible,
            key=lambda w: (
                w.capacity - loads[w.worker_id],
                -(loads[w.worker_id] / w.capacity) if w.capacity else Decimal(0),
                w.name,
            ),
        )
        loads[chosen.worker_id] += weight
        for case in group:
            placements[case.case_id] = chosen.worker_id
    per_fte = rules.capacity_per_fte
    fte = (shortfall / per_fte).quantize(Decimal("0.1"), ROUND_CEILING) if per_fte else Decimal(0)
    return Proposal(
        placements=placements,
        unplaced=tuple(unplaced),
        loads_after=loads,
        shortfall_points=shortfall,
        shortfall_fte=fte,
    )
