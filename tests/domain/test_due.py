"""What is overdue or due soon on a case (``domain.due``), in working days.

Dates are checked by hand against the England and Wales bank holidays: Christmas Day 2026 is a
Friday, Boxing Day a Saturday with its substitute day on Monday 28 December; New Year's Day
2027 is a Friday; Easter 2027 has Good Friday on 26 March and Easter Monday on 29 March.
"Due soon" means within 5 working days, today counting as 0.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from caseload_desktop.domain.categories import Category
from caseload_desktop.domain.due import (
    DUE_SOON_WORKING_DAYS,
    Due,
    DueKind,
    DueStatus,
    case_due,
    status_of,
)
from caseload_desktop.domain.practice import DEFAULT_RULES
from caseload_desktop.domain.timescales import visit_due

THU_26_NOV_2026 = date(2026, 11, 26)  # the tests' CASELOAD_TODAY
OVERDUE, SOON = DueStatus.OVERDUE, DueStatus.DUE_SOON


def due_of(category: Category, today: date, **dates: date | None) -> list[tuple[str, date, str]]:
    """``case_due`` under the default rules, as (kind, due date, description)."""
    return [
        (d.kind.value, d.due, d.describe())
        for d in case_due(category, today=today, rules=DEFAULT_RULES, **dates)
    ]


# --- status_of: overdue, due soon or nothing ---------------------------------------------------


def test_due_soon_is_five_working_days() -> None:
    assert DUE_SOON_WORKING_DAYS == 5


@pytest.mark.parametrize(
    ("due", "today", "expected"),
    [
        # an ordinary week
        (date(2026, 11, 25), THU_26_NOV_2026, (OVERDUE, 1)),
        (date(2026, 11, 26), THU_26_NOV_2026, (SOON, 0)),
        (date(2026, 11, 27), THU_26_NOV_2026, (SOON, 1)),
        # over a weekend: Thu 3 Dec is the fifth working day after Thu 26 Nov, Fri 4 Dec the sixth
        (date(2026, 11, 30), THU_26_NOV_2026, (SOON, 2)),
        (date(2026, 12, 3), THU_26_NOV_2026, (SOON, 5)),
        (date(2026, 12, 4), THU_26_NOV_2026, None),
        (date(2026, 11, 20), date(2026, 11, 23), (OVERDUE, 1)),  # due Fri, today Mon
        (date(2026, 11, 19), date(2026, 11, 23), (OVERDUE, 2)),
        # over Christmas: 25 Dec, 28 Dec (Boxing Day's substitute) and 1 Jan are not working days
        (date(2026, 12, 30), date(2026, 12, 23), (SOON, 3)),
        (date(2027, 1, 4), date(2026, 12, 23), (SOON, 5)),  # 12 calendar days: still soon
        (date(2027, 1, 5), date(2026, 12, 23), None),
        (date(2026, 12, 24), date(2026, 12, 29), (OVERDUE, 1)),
        (date(2026, 12, 23), date(2027, 1, 4), (OVERDUE, 5)),
        # over Easter 2027: Good Friday 26 Mar and Easter Monday 29 Mar
        (date(2027, 4, 1), date(2027, 3, 25), (SOON, 3)),
        (date(2027, 4, 6), date(2027, 3, 25), None),
        (date(2027, 3, 25), date(2027, 3, 30), (OVERDUE, 1)),
        (date(2027, 3, 24), date(2027, 4, 1), (OVERDUE, 4)),
    ],
)
def test_status_counts_working_days_over_weekends_and_bank_holidays(
    due: date, today: date, expected: tuple[DueStatus, int] | None
) -> None:
    assert status_of(due, today) == expected


def test_a_due_date_on_a_bank_holiday_counts_as_due_on_the_holiday() -> None:
    christmas, tuesday_29th = date(2026, 12, 25), date(2026, 12, 29)
    assert status_of(christmas, date(2026, 12, 24)) == (SOON, 0)  # nothing to work before it
    assert status_of(christmas, tuesday_29th) == (OVERDUE, 1)
    good_friday = date(2027, 3, 26)
    assert status_of(good_friday, date(2027, 3, 30)) == (OVERDUE, 1)


def test_the_due_soon_window_can_be_narrowed() -> None:
    assert status_of(THU_26_NOV_2026, THU_26_NOV_2026, soon=0) == (SOON, 0)
    assert status_of(date(2026, 11, 27), THU_26_NOV_2026, soon=0) is None
    assert status_of(date(2026, 11, 30), THU_26_NOV_2026, soon=2) == (SOON, 2)
    assert status_of(date(2026, 12, 1), THU_26_NOV_2026, soon=2) is None


def test_anything_far_ahead_is_neither_overdue_nor_due_soon() -> None:
    for days in range(8, 120):
        assert status_of(THU_26_NOV_2026 + timedelta(days=days), THU_26_NOV_2026) is None


# --- assessments: 45 working days from the start ------------------------------------------------


def test_an_assessment_started_on_2_november_is_due_on_7_january_over_christmas() -> None:
    # Mon 2 Nov 2026 + 45 working days: 20 in November after the 2nd, 21 in December (not
    # 25 or 28 Dec), then Mon 4 to Thu 7 Jan (not Fri 1 Jan).
    start = date(2026, 11, 2)
    assert due_of(Category.ASSESSMENT, date(2027, 1, 7), assessment_started_on=start) == [
        ("assessment", date(2027, 1, 7), "due today")
    ]
    assert due_of(Category.ASSESSMENT, date(2027, 1, 8), assessment_started_on=start) == [
        ("assessment", date(2027, 1, 7), "1 working day overdue")
    ]
    assert due_of(Category.ASSESSMENT, date(2026, 12, 31), assessment_started_on=start) == [
        ("assessment", date(2027, 1, 7), "due in 4 working days")
    ]
    # Seven working days ahead on Christmas Eve: not yet due soon.
    assert due_of(Category.ASSESSMENT, date(2026, 12, 24), assessment_started_on=start) == []


def test_an_assessment_follows_the_councils_own_timescale() -> None:
    start = date(2026, 11, 2)
    rules = dataclasses.replace(DEFAULT_RULES, assessment_working_days=20)
    found = case_due(
        Category.ASSESSMENT, today=THU_26_NOV_2026, rules=rules, assessment_started_on=start
    )
    # The 20th working day after Mon 2 Nov is Mon 30 Nov: two working days from Thu 26 Nov.
    assert found == [Due(DueKind.ASSESSMENT, date(2026, 11, 30), SOON, 2)]
    assert (
        case_due(
            Category.ASSESSMENT,
            today=THU_26_NOV_2026,
            rules=DEFAULT_RULES,
            assessment_started_on=start,
        )
        == []
    )


def test_an_assessment_without_a_start_date_has_no_timescale() -> None:
    assert due_of(Category.ASSESSMENT, THU_26_NOV_2026) == []


@pytest.mark.parametrize("category", [c for c in Category if c is not Category.ASSESSMENT])
def test_only_an_assessment_case_has_an_assessment_timescale(category: Category) -> None:
    long_ago = date(2025, 1, 6)
    assert due_of(category, THU_26_NOV_2026, assessment_started_on=long_ago) == []


# --- visits and reviews ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "kind"),
    [(Category.CP, "cp_visit"), (Category.CIN, "cin_visit"), (Category.CLA, "cla_visit")],
)
def test_cp_cin_and_cla_cases_have_visits(category: Category, kind: str) -> None:
    assert due_of(category, THU_26_NOV_2026, visit_due=date(2026, 11, 19)) == [
        (kind, date(2026, 11, 19), "5 working days overdue")
    ]
    assert due_of(category, THU_26_NOV_2026, visit_due=date(2026, 12, 1)) == [
        (kind, date(2026, 12, 1), "due in 3 working days")
    ]
    assert due_of(category, THU_26_NOV_2026, visit_due=date(2026, 12, 10)) == []


@pytest.mark.parametrize(
    ("category", "kind"), [(Category.CP, "cp_review"), (Category.CLA, "cla_review")]
)
def test_cp_and_cla_cases_have_reviews(category: Category, kind: str) -> None:
    assert due_of(category, THU_26_NOV_2026, review_due=date(2026, 11, 2)) == [
        (kind, date(2026, 11, 2), "18 working days overdue")
    ]
    assert due_of(category, THU_26_NOV_2026, review_due=date(2026, 11, 26)) == [
        (kind, date(2026, 11, 26), "due today")
    ]


@pytest.mark.parametrize(
    "category", [Category.REFERRAL, Category.ASSESSMENT, Category.CARE_LEAVER, Category.CIN]
)
def test_categories_without_a_review_rule_have_no_review(category: Category) -> None:
    assert due_of(category, THU_26_NOV_2026, review_due=date(2026, 11, 2)) == []


@pytest.mark.parametrize("category", [Category.REFERRAL, Category.ASSESSMENT, Category.CARE_LEAVER])
def test_categories_without_a_visiting_rule_have_no_visit(category: Category) -> None:
    assert due_of(category, THU_26_NOV_2026, visit_due=date(2026, 11, 2)) == []


def test_a_cp_visit_ten_working_days_after_the_last_skips_christmas() -> None:
    # Fri 18 Dec 2026 + 10 working days: 21-24 Dec, 29-31 Dec, then 4-6 Jan (not 25, 28 Dec or
    # 1 Jan): Wed 6 Jan 2027.
    due = visit_due(Category.CP, date(2026, 12, 18), DEFAULT_RULES)
    assert due == date(2027, 1, 6)
    assert due_of(Category.CP, date(2027, 1, 7), visit_due=due) == [
        ("cp_visit", date(2027, 1, 6), "1 working day overdue")
    ]
    assert due_of(Category.CP, date(2026, 12, 29), visit_due=due) == [
        ("cp_visit", date(2027, 1, 6), "due in 5 working days")
    ]


def test_a_cin_visit_twenty_working_days_after_the_last_skips_easter() -> None:
    # Mon 15 Mar 2027 + 20 working days, not Good Friday or Easter Monday: Wed 14 Apr 2027.
    due = visit_due(Category.CIN, date(2027, 3, 15), DEFAULT_RULES)
    assert due == date(2027, 4, 14)
    assert due_of(Category.CIN, date(2027, 4, 15), visit_due=due) == [
        ("cin_visit", date(2027, 4, 14), "1 working day overdue")
    ]


def test_a_councils_visit_frequency_moves_the_visit_out_of_overdue() -> None:
    last = date(2026, 11, 6)  # Fri: + 10 working days is Fri 20 Nov, + 20 is Fri 4 Dec
    default = visit_due(Category.CP, last, DEFAULT_RULES)
    relaxed = visit_due(
        Category.CP, last, dataclasses.replace(DEFAULT_RULES, cp_visit_working_days=20)
    )
    assert (default, relaxed) == (date(2026, 11, 20), date(2026, 12, 4))
    assert due_of(Category.CP, THU_26_NOV_2026, visit_due=default) == [
        ("cp_visit", date(2026, 11, 20), "4 working days overdue")
    ]
    assert due_of(Category.CP, THU_26_NOV_2026, visit_due=relaxed) == []


def test_a_cla_visit_is_due_six_calendar_weeks_after_the_last() -> None:
    due = visit_due(Category.CLA, date(2026, 10, 15), DEFAULT_RULES)
    assert due == date(2026, 11, 26)
    assert due_of(Category.CLA, THU_26_NOV_2026, visit_due=due) == [
        ("cla_visit", date(2026, 11, 26), "due today")
    ]


# --- several timescales on one case: most overdue first -------------------------------------------


def test_a_case_lists_each_timescale_in_date_order_most_overdue_first() -> None:
    found = case_due(
        Category.CP,
        today=THU_26_NOV_2026,
        rules=DEFAULT_RULES,
        visit_due=date(2026, 11, 30),
        review_due=date(2026, 11, 16),
    )
    assert [(d.kind, d.status, d.working_days) for d in found] == [
        (DueKind.CP_REVIEW, OVERDUE, 8),
        (DueKind.CP_VISIT, SOON, 2),
    ]
    found = case_due(
        Category.CLA,
        today=THU_26_NOV_2026,
        rules=DEFAULT_RULES,
        visit_due=date(2026, 11, 10),
        review_due=date(2026, 11, 27),
    )
    assert [(d.kind, d.status, d.working_days) for d in found] == [
        (DueKind.CLA_VISIT, OVERDUE, 12),
        (DueKind.CLA_REVIEW, SOON, 1),
    ]


def test_only_the_timescales_at_risk_are_listed() -> None:
    found = case_due(
        Category.CP,
        today=THU_26_NOV_2026,
        rules=DEFAULT_RULES,
        visit_due=date(2026, 11, 25),
        review_due=date(2027, 2, 1),
    )
    assert found == [Due(DueKind.CP_VISIT, date(2026, 11, 25), OVERDUE, 1)]


def test_a_case_with_nothing_recorded_has_nothing_due() -> None:
    for category in Category:
        assert case_due(category, today=THU_26_NOV_2026, rules=DEFAULT_RULES) == []


# --- describe() -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "days", "text"),
    [
        (OVERDUE, 1, "1 working day overdue"),
        (OVERDUE, 2, "2 working days overdue"),
        (OVERDUE, 45, "45 working days overdue"),
        (SOON, 0, "due today"),
        (SOON, 1, "due in 1 working day"),
        (SOON, 5, "due in 5 working days"),
    ],
)
def test_describe_says_how_far_overdue_or_how_soon(status: DueStatus, days: int, text: str) -> None:
    assert Due(DueKind.CP_VISIT, THU_26_NOV_2026, status, days).describe() == text


def test_each_kind_has_a_label_for_people() -> None:
    assert {k: k.label for k in DueKind} == {
        DueKind.ASSESSMENT: "Assessment",
        DueKind.CP_VISIT: "CP visit",
        DueKind.CIN_VISIT: "CIN visit",
        DueKind.CLA_VISIT: "CLA visit",
        DueKind.CP_REVIEW: "CP review",
        DueKind.CLA_REVIEW: "CLA review",
    }


def test_overdue_with_no_working_day_since_says_since_when_not_zero_days() -> None:
    # Due Friday 27 Nov 2026, looked at on Saturday: overdue, but no working day has passed.
    friday = date(2026, 11, 27)
    found = status_of(friday, friday + timedelta(days=1))
    assert found == (DueStatus.OVERDUE, 0)
    assert Due(DueKind.CP_VISIT, friday, DueStatus.OVERDUE, 0).describe() == "overdue since 27 Nov"
