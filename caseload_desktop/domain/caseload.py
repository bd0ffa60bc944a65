"""Weighted caseload, capacity and RAG rating.

Load is the sum of case weights; capacity is the role's points at full time scaled by FTE.
Decimal throughout: weights like 0.5 and 1.5 must add up exactly.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal

from caseload_desktop.domain.categories import Category, Role
from caseload_desktop.domain.practice import DEFAULT_RULES, PracticeRules

_HUNDRED = Decimal(100)


class Rag(enum.StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"


def capacity(role: Role, fte: Decimal, rules: PracticeRules = DEFAULT_RULES) -> Decimal:
    """Weighted points this worker can carry: the role's full-time figure times FTE."""
    if not Decimal(0) <= fte <= Decimal(1):
        raise ValueError(f"FTE must be between 0 and 1, not {fte}")
    return (rules.capacity_at_full_time(role) * fte).quantize(Decimal("0.1"), ROUND_HALF_UP)


def weighted_load(
    cases: Iterable[tuple[Category, bool]], rules: PracticeRules = DEFAULT_RULES
) -> Decimal:
    """Sum of weights of ``(category, in_court_proceedings)`` pairs."""
    return sum((rules.weight_of(category, court) for category, court in cases), Decimal(0))


def load_percent(load: Decimal, cap: Decimal) -> Decimal | None:
    """Load as a percentage of capacity, or None when capacity is zero (a manager's target)."""
    if cap <= 0:
        return None
    return (load * _HUNDRED / cap).quantize(Decimal("1"), ROUND_HALF_UP)


def rag(load: Decimal, cap: Decimal, rules: PracticeRules = DEFAULT_RULES) -> Rag:
    """Green below the amber threshold, amber up to the red threshold, red above it.

    With zero capacity (a team manager's target) any load at all is red.
    """
    if cap <= 0:
        return Rag.GREEN if load <= 0 else Rag.RED
    percent = load * _HUNDRED / cap
    if percent > rules.red_above_percent:
        return Rag.RED
    if percent >= rules.amber_from_percent:
        return Rag.AMBER
    return Rag.GREEN


@dataclasses.dataclass(frozen=True)
class Caseload:
    """One worker's caseload against capacity."""

    cases: int
    weighted: Decimal
    capacity: Decimal
    rag: Rag

    @property
    def percent(self) -> Decimal | None:
        return load_percent(self.weighted, self.capacity)

    @property
    def spare(self) -> Decimal:
        return self.capacity - self.weighted


def caseload_of(
    role: Role,
    fte: Decimal,
    cases: Iterable[tuple[Category, bool]],
    rules: PracticeRules = DEFAULT_RULES,
) -> Caseload:
    held = list(cases)
    load = weighted_load(held, rules)
    cap = capacity(role, fte, rules)
    return Caseload(cases=len(held), weighted=load, capacity=cap, rag=rag(load, cap, rules))


def caseload_from_counts(
    role: Role,
    fte: Decimal,
    counts: Mapping[tuple[Category, bool], int],
    rules: PracticeRules = DEFAULT_RULES,
    *,
    can_hold_cases: bool = True,
) -> Caseload:
    """``caseload_of`` for cases counted by ``(category, in_court_proceedings)``.

    A worker who cannot hold cases (a leaver, an inactive worker) has no capacity: any case
    still with them makes their rating red.
    """
    load = sum(
        (rules.weight_of(category, court) * count for (category, court), count in counts.items()),
        Decimal(0),
    )
    cap = capacity(role, fte, rules) if can_hold_cases else Decimal(0)
    return Caseload(
        cases=sum(counts.values()), weighted=load, capacity=cap, rag=rag(load, cap, rules)
    )
