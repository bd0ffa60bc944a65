"""The council's practice rules, with the defaults of DOMAIN.md.

One frozen object carries every local rule (weights, capacity, RAG thresholds, visit
frequencies, escalation). Nothing else in the app hard-codes these numbers: callers take a
``PracticeRules`` (the settings layer builds one from what the council stored) and pass it down.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import TypeVar

from caseload_desktop.domain.categories import Category, Role

_K = TypeVar("_K")
_V = TypeVar("_V")


def _frozen(mapping: Mapping[_K, _V]) -> Mapping[_K, _V]:
    return MappingProxyType(dict(mapping))


DEFAULT_WEIGHTS: Mapping[Category, Decimal] = _frozen(
    {
        Category.REFERRAL: Decimal("0.5"),
        Category.ASSESSMENT: Decimal("1.0"),
        Category.CIN: Decimal("1.0"),
        Category.CP: Decimal("1.5"),
        Category.CLA: Decimal("1.0"),
        Category.CARE_LEAVER: Decimal("0.5"),
    }
)

# Weighted points a worker can carry at 1.0 FTE. Roles not listed use ``capacity_per_fte``.
DEFAULT_ROLE_CAPACITY: Mapping[Role, Decimal] = _frozen(
    {
        Role.ASYE: Decimal("14"),
        Role.STUDENT: Decimal("5"),
        Role.TEAM_MANAGER: Decimal("0"),
        Role.SERVICE_MANAGER: Decimal("0"),
    }
)


# Categories each role may not hold (local practice; a setting). Unqualified family support
# workers hold no child protection or looked-after case; students hold no child protection case.
DEFAULT_CATEGORY_LIMITS: Mapping[Role, frozenset[Category]] = _frozen(
    {
        Role.FAMILY_SUPPORT_WORKER: frozenset({Category.CP, Category.CLA}),
        Role.STUDENT: frozenset({Category.CP}),
    }
)


@dataclasses.dataclass(frozen=True)
class PracticeRules:
    """Local practice rules (settings with the defaults of DOMAIN.md).

    Attributes:
        weights: weighted points per case category.
        court_weight: points added to a case in court proceedings (PLO / care proceedings).
        capacity_per_fte: weighted points at 1.0 FTE for roles without their own figure.
        role_capacity: weighted points at 1.0 FTE by role (ASYE, student, managers).
        amber_from_percent: load at or above this percentage of capacity is amber.
        red_above_percent: load above this percentage of capacity is red.
        cp_visit_working_days: child protection home visits are due this often.
        cin_visit_working_days: child in need visits are due this often.
        cla_visit_weeks: looked-after children are visited at least this often (weeks).
        cla_long_term_visit_months: after a long-term placement's first year, this often.
        escalation_days: an unallocated case waiting this many days is escalated.
        assessment_working_days: an assessment is due this many working days after it starts.
        category_limits: categories a role may not hold.
    """

    weights: Mapping[Category, Decimal] = dataclasses.field(
        default_factory=lambda: DEFAULT_WEIGHTS, hash=False
    )
    court_weight: Decimal = Decimal("1.0")
    capacity_per_fte: Decimal = Decimal("18")
    role_capacity: Mapping[Role, Decimal] = dataclasses.field(
        default_factory=lambda: DEFAULT_ROLE_CAPACITY, hash=False
    )
    amber_from_percent: Decimal = Decimal("85")
    red_above_percent: Decimal = Decimal("100")
    cp_visit_working_days: int = 10
    cin_visit_working_days: int = 20
    cla_visit_weeks: int = 6
    cla_long_term_visit_months: int = 3
    escalation_days: int = 14
    assessment_working_days: int = 45
    category_limits: Mapping[Role, frozenset[Category]] = dataclasses.field(
        default_factory=lambda: DEFAULT_CATEGORY_LIMITS, hash=False
    )

    def weight_of(self, category: Category, court: bool = False) -> Decimal:
        return self.weights[category] + (self.court_weight if court else Decimal(0))

    def capacity_at_full_time(self, role: Role) -> Decimal:
        return self.role_capacity.get(role, self.capacity_per_fte)

    def may_hold(self, role: Role, category: Category) -> bool:
        return category not in self.category_limits.get(role, frozenset())


DEFAULT_RULES = PracticeRules()
