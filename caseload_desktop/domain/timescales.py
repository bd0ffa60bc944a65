"""Statutory and practice timescales, in working days where the rule says so.

Working days exclude Saturdays, Sundays and the bank holidays of England and Wales, taken from
the ``holidays`` package (England and Wales share one set of bank holidays). Month-based rules
(CP reviews, CLA visits and reviews) use calendar arithmetic from ``dateutil``.
"""

from __future__ import annotations

import datetime as dt
import functools

import holidays
from dateutil.relativedelta import relativedelta

from caseload_desktop.domain.categories import Category
from caseload_desktop.domain.practice import DEFAULT_RULES, PracticeRules

INITIAL_CP_CONFERENCE_WORKING_DAYS = 15
CLA_FIRST_REVIEW_WORKING_DAYS = 20


@functools.cache
def _bank_holidays() -> holidays.HolidayBase:
    # England and Wales; the object fills in each year the first time a date in it is asked about.
    return holidays.country_holidays("GB", subdiv="ENG")


def is_working_day(day: dt.date) -> bool:
    return _bank_holidays().is_working_day(day)


# A service's dates repeat (a few hundred distinct visit and start dates among 100,000 cases),
# and the ``holidays`` calendar walks day by day: remembering answers makes summaries fast.
@functools.lru_cache(maxsize=1 << 16)
def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself when ``days`` is 0).

    A timescale of "within 45 working days of referral" is ``add_working_days(referral, 45)``.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    if days == 0:
        return start
    return _bank_holidays().get_nth_working_day(start, days)


@functools.lru_cache(maxsize=1 << 16)
def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end``; negative when ``end`` is earlier.

    The inverse of ``add_working_days``: ``working_days_between(d, add_working_days(d, n)) == n``.
    """
    if end == start:
        return 0
    calendar = _bank_holidays()
    if end > start:
        return calendar.get_working_days_count(start + dt.timedelta(days=1), end)
    return -calendar.get_working_days_count(end + dt.timedelta(days=1), start)


def working_days_overdue(due: dt.date, today: dt.date) -> int:
    """Working days a due date has passed by (0 when it is today or later)."""
    return max(0, working_days_between(due, today))


def assessment_due(started_on: dt.date, rules: PracticeRules = DEFAULT_RULES) -> dt.date:
    """A Children and Families assessment completes within 45 working days of referral."""
    return add_working_days(started_on, rules.assessment_working_days)


def initial_cp_conference_due(strategy_discussion_on: dt.date) -> dt.date:
    """The initial child protection conference: within 15 working days of the strategy
    discussion."""
    return add_working_days(strategy_discussion_on, INITIAL_CP_CONFERENCE_WORKING_DAYS)


def cp_review_due(last_conference_on: dt.date, first_review: bool) -> dt.date:
    """First review within 3 months of the initial conference, then at most every 6 months."""
    return last_conference_on + relativedelta(months=3 if first_review else 6)


def cp_visit_due(last_visit_on: dt.date, rules: PracticeRules = DEFAULT_RULES) -> dt.date:
    """Child protection home visits are due every ``cp_visit_working_days`` (default 10)."""
    return add_working_days(last_visit_on, rules.cp_visit_working_days)


def cin_visit_due(last_visit_on: dt.date, rules: PracticeRules = DEFAULT_RULES) -> dt.date:
    """Child in need visits are due every ``cin_visit_working_days`` (default 20)."""
    return add_working_days(last_visit_on, rules.cin_visit_working_days)


def cla_visit_due(
    placement_started_on: dt.date,
    last_visit_on: dt.date | None,
    placement_until_eighteen: bool = False,
    rules: PracticeRules = DEFAULT_RULES,
) -> dt.date:
    """Next statutory visit to a looked-after child (Care Planning Regulations 2010, reg. 28).

    Within one week of the placement starting; then at most every six weeks for the first year;
    after that at most every three months if the placement is meant to last until 18,
    otherwise every six weeks. The council may visit more often (``cla_visit_weeks``,
    ``cla_long_term_visit_months``).
    """
    if last_visit_on is None or last_visit_on < placement_started_on:
        return placement_started_on + dt.timedelta(weeks=1)
    first_year_ends = placement_started_on + relativedelta(years=1)
    if last_visit_on < first_year_ends or not placement_until_eighteen:
        return last_visit_on + dt.timedelta(weeks=rules.cla_visit_weeks)
    return last_visit_on + relativedelta(months=rules.cla_long_term_visit_months)


def visit_due(
    category: Category,
    last_visit_on: dt.date | None,
    rules: PracticeRules = DEFAULT_RULES,
    recorded_due: dt.date | None = None,
) -> dt.date | None:
    """When the next visit is due under the council's rules.

    From the last visit: child protection and child in need every so many working days,
    looked-after children every ``cla_visit_weeks`` (placement dates are not held, so the
    first-week and long-term rules of ``cla_visit_due`` cannot apply here). With no last visit
    on record, the due date the case record gives (``recorded_due``); categories without a
    visiting rule have none.
    """
    if last_visit_on is None:
        return recorded_due
    if category is Category.CP:
        return add_working_days(last_visit_on, rules.cp_visit_working_days)
    if category is Category.CIN:
        return add_working_days(last_visit_on, rules.cin_visit_working_days)
    if category is Category.CLA:
        return last_visit_on + dt.timedelta(weeks=rules.cla_visit_weeks)
    return recorded_due


def cla_review_due(
    looked_after_on: dt.date, last_review_on: dt.date | None, reviews_held: int
) -> dt.date:
    """Next looked-after review: within 20 working days of becoming looked after, then within
    3 months of the first review, then every 6 months (same regulations)."""
    if reviews_held <= 0 or last_review_on is None:
        return add_working_days(looked_after_on, CLA_FIRST_REVIEW_WORKING_DAYS)
    return last_review_on + relativedelta(months=3 if reviews_held == 1 else 6)
