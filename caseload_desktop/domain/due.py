"""What is overdue or due soon on a case: assessments, visits and reviews, in working days.

A manager's summary lists, for each open case, the statutory and practice timescales that have
passed (overdue, by how many working days) or fall within the next few working days (due
soon). The dates come from ``timescales`` under the council's ``PracticeRules``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

from caseload_desktop.domain.categories import Category
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.domain.timescales import add_working_days, working_days_between

#: "Due soon" means within this many working days from today (a week of work).
DUE_SOON_WORKING_DAYS = 5


class DueKind(enum.StrEnum):
    ASSESSMENT = "assessment"
    CP_VISIT = "cp_visit"
    CIN_VISIT = "cin_visit"
    CLA_VISIT = "cla_visit"
    CP_REVIEW = "cp_review"
    CLA_REVIEW = "cla_review"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    DueKind.ASSESSMENT: "Assessment",
    DueKind.CP_VISIT: "CP visit",
    DueKind.CIN_VISIT: "CIN visit",
    DueKind.CLA_VISIT: "CLA visit",
    DueKind.CP_REVIEW: "CP review",
    DueKind.CLA_REVIEW: "CLA review",
}

_VISIT_KIND = {
    Category.CP: DueKind.CP_VISIT,
    Category.CIN: DueKind.CIN_VISIT,
    Category.CLA: DueKind.CLA_VISIT,
}
_REVIEW_KIND = {Category.CP: DueKind.CP_REVIEW, Category.CLA: DueKind.CLA_REVIEW}


class DueStatus(enum.StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"


@dataclasses.dataclass(frozen=True, slots=True)
class Due:
    """One timescale of a case that is overdue or due soon.

    ``working_days`` counts working days overdue (for ``OVERDUE``) or left until the due date
    (for ``DUE_SOON``; 0 when it is due today).
    """

    kind: DueKind
    due: dt.date
    status: DueStatus
    working_days: int

    def describe(self) -> str:
        days = self.working_days
        plural = "s" if days != 1 else ""
        if self.status is DueStatus.OVERDUE:
            if days == 0:  # due on the last working day; no working day has passed since
                return f"overdue since {self.due.day} {self.due:%b}"
            return f"{days} working day{plural} overdue"
        if days == 0:
            return "due today"
        return f"due in {days} working day{plural}"


def status_of(
    due: dt.date, today: dt.date, soon: int = DUE_SOON_WORKING_DAYS
) -> tuple[DueStatus, int] | None:
    """Overdue (due before today) or due soon (within ``soon`` working days), else None."""
    if due < today:
        return DueStatus.OVERDUE, working_days_between(due, today)
    ahead = working_days_between(today, due)
    if ahead <= soon:
        return DueStatus.DUE_SOON, ahead
    return None


def case_due(
    category: Category,
    *,
    today: dt.date,
    rules: PracticeRules,
    assessment_started_on: dt.date | None = None,
    visit_due: dt.date | None = None,
    review_due: dt.date | None = None,
    soon: int = DUE_SOON_WORKING_DAYS,
) -> list[Due]:
    """The overdue and due-soon timescales of one open case, most overdue first.

    ``visit_due`` is the case's next visit under the rules (``timescales.visit_due``);
    ``review_due`` its next CP or CLA review.
    """
    dates: list[tuple[DueKind, dt.date]] = []
    if category is Category.ASSESSMENT and assessment_started_on is not None:
        dates.append(
            (
                DueKind.ASSESSMENT,
                add_working_days(assessment_started_on, rules.assessment_working_days),
            )
        )
    if visit_due is not None and category in _VISIT_KIND:
        dates.append((_VISIT_KIND[category], visit_due))
    if review_due is not None and category in _REVIEW_KIND:
        dates.append((_REVIEW_KIND[category], review_due))
    found = []
    for kind, due in dates:
        status = status_of(due, today, soon)
        if status is not None:
            found.append(Due(kind, due, status[0], status[1]))
    return sorted(found, key=lambda d: d.due)
