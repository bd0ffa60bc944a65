"""Working days and statutory timescales (DOMAIN.md, "Statutory and practice timescales").

Known dates are checked by hand against the published England and Wales bank holidays, so a
wrong holiday calendar (wrong country or region, or a hand-kept list) shows up here.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload_desktop.domain.practice import DEFAULT_RULES
from caseload_desktop.domain.timescales import (
    CLA_FIRST_REVIEW_WORKING_DAYS,
    INITIAL_CP_CONFERENCE_WORKING_DAYS,
    add_working_days,
    assessment_due,
    cin_visit_due,
    cla_review_due,
    cla_visit_due,
    cp_review_due,
    cp_visit_due,
    initial_cp_conference_due,
    is_working_day,
    working_days_between,
    working_days_overdue,
)

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, database=None)
dates_2020_2035 = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


def _brute_force_working_days(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``, one day at a time."""
    count = 0
    day = start + timedelta(days=1)
    while day <= end:
        count += is_working_day(day)
        day += timedelta(days=1)
    return count


# --- which days are working days ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "holiday"),
    [
        (date(2026, 12, 25), "Christmas Day 2026 (Friday)"),
        (date(2026, 12, 28), "Boxing Day 2026, observed on Monday 28 Dec"),
        (date(2027, 1, 1), "New Year's Day 2027 (Friday)"),
        (date(2027, 3, 26), "Good Friday 2027"),
        (date(2027, 3, 29), "Easter Monday 2027"),
        (date(2026, 5, 4), "Early May bank holiday 2026"),
        (date(2027, 5, 3), "Early May bank holiday 2027"),
        (date(2026, 5, 25), "Spring bank holiday 2026"),
        (date(2026, 8, 31), "Summer bank holiday 2026 (England and Wales)"),
        (date(2020, 5, 8), "Early May bank holiday 2020, moved to Friday for VE Day"),
        (date(2022, 9, 19), "State funeral of Queen Elizabeth II"),
        (date(2023, 5, 8), "Coronation of King Charles III"),
    ],
)
def test_england_and_wales_bank_holidays_are_not_working_days(day: date, holiday: str) -> None:
    assert day.weekday() < 5, f"{holiday} should fall on a weekday for this test"
    assert not is_working_day(day), holiday


@pytest.mark.parametrize(
    ("day", "why"),
    [
        (date(2020, 5, 4), "the 2020 early May holiday moved to Friday 8 May"),
        (date(2026, 1, 2), "2 January is a bank holiday in Scotland only"),
        (date(2026, 3, 17), "St Patrick's Day is a bank holiday in Northern Ireland only"),
        (date(2026, 7, 13), "Battle of the Boyne (observed) is in Northern Ireland only"),
        (date(2026, 11, 30), "St Andrew's Day is a bank holiday in Scotland only"),
        (date(2026, 12, 24), "Christmas Eve is an ordinary working day"),
        (date(2026, 12, 29), "the day after Boxing Day observed"),
    ],
)
def test_holidays_of_other_nations_and_ordinary_weekdays_are_working_days(
    day: date, why: str
) -> None:
    assert is_working_day(day), why


def test_saturdays_and_sundays_are_not_working_days() -> None:
    assert not is_working_day(date(2026, 11, 28))  # Saturday
    assert not is_working_day(date(2026, 11, 29))  # Sunday
    assert is_working_day(date(2026, 11, 27))  # Friday


# --- add_working_days ----------------------------------------------------------------------------


def test_adding_working_days_skips_christmas_and_boxing_day_observed() -> None:
    # Thu 24 (1), Fri 25 Christmas, weekend, Mon 28 Boxing Day observed, Tue 29 (2), Wed 30 (3).
    assert add_working_days(date(2026, 12, 23), 3) == date(2026, 12, 30)


def test_adding_one_working_day_on_christmas_eve_lands_after_boxing_day_observed() -> None:
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 29)


def test_adding_working_days_skips_new_years_day_and_the_weekend() -> None:
    assert add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 4)


def test_adding_working_days_skips_good_friday_and_easter_monday() -> None:
    assert add_working_days(date(2027, 3, 25), 1) == date(2027, 3, 30)
    assert add_working_days(date(2027, 3, 24), 2) == date(2027, 3, 30)


def test_adding_working_days_skips_the_early_may_bank_holiday() -> None:
    assert add_working_days(date(2027, 4, 30), 1) == date(2027, 5, 4)
    assert add_working_days(date(2026, 5, 1), 1) == date(2026, 5, 5)


def test_adding_working_days_skips_a_moved_bank_holiday() -> None:
    # 2020's early May bank holiday was Friday 8 May (VE Day), not Monday 4 May.
    assert add_working_days(date(2020, 5, 1), 1) == date(2020, 5, 4)
    assert add_working_days(date(2020, 5, 7), 1) == date(2020, 5, 11)


def test_adding_working_days_skips_weekends() -> None:
    assert add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri -> Mon
    assert add_working_days(date(2026, 11, 23), 5) == date(2026, 11, 30)  # Mon -> next Mon


def test_adding_working_days_from_a_weekend_counts_from_the_next_working_day() -> None:
    assert add_working_days(date(2026, 11, 28), 1) == date(2026, 11, 30)  # Sat -> Mon
    assert add_working_days(date(2026, 11, 29), 1) == date(2026, 11, 30)  # Sun -> Mon


def test_adding_zero_working_days_returns_the_start_even_on_a_holiday() -> None:
    assert add_working_days(date(2026, 12, 25), 0) == date(2026, 12, 25)
    assert add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 28)


def test_adding_negative_working_days_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        add_working_days(date(2026, 11, 26), -1)


@PROPERTY_SETTINGS
@given(start=dates_2020_2035, n=st.integers(min_value=1, max_value=300))
def test_adding_working_days_always_lands_on_a_working_day_after_the_start(
    start: date, n: int
) -> None:
    due = add_working_days(start, n)
    assert due > start
    assert is_working_day(due)
    assert _brute_force_working_days(start, due) == n


@PROPERTY_SETTINGS
@given(start=dates_2020_2035, n=st.integers(min_value=0, max_value=299))
def test_one_more_working_day_is_always_later(start: date, n: int) -> None:
    assert add_working_days(start, n + 1) > add_working_days(start, n)


# --- working_days_between ------------------------------------------------------------------------


def test_working_days_between_counts_days_after_the_start_up_to_and_including_the_end() -> None:
    assert working_days_between(date(2026, 12, 23), date(2026, 12, 30)) == 3
    assert working_days_between(date(2027, 3, 25), date(2027, 3, 30)) == 1
    assert working_days_between(date(2026, 11, 23), date(2026, 11, 30)) == 5


def test_working_days_between_a_day_and_itself_is_zero() -> None:
    assert working_days_between(date(2026, 11, 26), date(2026, 11, 26)) == 0
    assert working_days_between(date(2026, 12, 25), date(2026, 12, 25)) == 0


def test_working_days_between_across_only_non_working_days_is_zero() -> None:
    # Christmas Eve (Thu) to Boxing Day observed (Mon): Fri 25, Sat, Sun, Mon 28 are all off.
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 28)) == 0


def test_working_days_between_is_negative_when_the_end_is_earlier() -> None:
    assert working_days_between(date(2026, 12, 30), date(2026, 12, 23)) == -3


@PROPERTY_SETTINGS
@given(start=dates_2020_2035, n=st.integers(min_value=0, max_value=300))
def test_working_days_between_is_the_inverse_of_add_working_days(start: date, n: int) -> None:
    assert working_days_between(start, add_working_days(start, n)) == n


@PROPERTY_SETTINGS
@given(start=dates_2020_2035, offset=st.integers(min_value=0, max_value=400))
def test_adding_the_working_days_between_two_dates_reaches_the_later_working_day(
    start: date, offset: int
) -> None:
    end = start + timedelta(days=offset)
    # Step back to a working day: add_working_days only ever lands on one.
    while end > start and not is_working_day(end):
        end -= timedelta(days=1)
    assert add_working_days(start, working_days_between(start, end)) == end


@PROPERTY_SETTINGS
@given(a=dates_2020_2035, offset=st.integers(min_value=-400, max_value=400))
def test_working_days_between_is_antisymmetric(a: date, offset: int) -> None:
    b = a + timedelta(days=offset)
    assert working_days_between(a, b) == -working_days_between(b, a)


@PROPERTY_SETTINGS
@given(start=dates_2020_2035, offset=st.integers(min_value=0, max_value=400))
def test_working_days_between_matches_counting_day_by_day(start: date, offset: int) -> None:
    end = start + timedelta(days=offset)
    assert working_days_between(start, end) == _brute_force_working_days(start, end)


# --- working_days_overdue ------------------------------------------------------------------------


def test_a_due_date_in_the_future_is_not_overdue() -> None:
    assert working_days_overdue(date(2026, 12, 30), date(2026, 12, 23)) == 0


def test_a_due_date_of_today_is_not_overdue() -> None:
    assert working_days_overdue(date(2026, 11, 26), date(2026, 11, 26)) == 0


def test_overdue_counts_working_days_since_the_due_date() -> None:
    assert working_days_overdue(date(2026, 12, 23), date(2026, 12, 30)) == 3
    assert working_days_overdue(date(2026, 11, 26), date(2026, 11, 27)) == 1


def test_a_due_date_passed_only_by_a_weekend_is_not_yet_a_working_day_overdue() -> None:
    friday, saturday, monday = date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 30)
    assert working_days_overdue(friday, saturday) == 0
    assert working_days_overdue(friday, monday) == 1


@PROPERTY_SETTINGS
@given(due=dates_2020_2035, offset=st.integers(min_value=-400, max_value=400))
def test_overdue_is_never_negative_and_is_zero_until_the_due_date_passes(
    due: date, offset: int
) -> None:
    today = due + timedelta(days=offset)
    overdue = working_days_overdue(due, today)
    assert overdue >= 0
    if today <= due:
        assert overdue == 0
    else:
        assert overdue == working_days_between(due, today)


# --- assessment, initial conference, visits ------------------------------------------------------


def test_an_assessment_is_due_45_working_days_after_referral_skipping_christmas() -> None:
    # Mon 2 Nov 2026 + 45 working days, skipping 25 Dec, 28 Dec and 1 Jan: Thu 7 Jan 2027.
    assert assessment_due(date(2026, 11, 2)) == date(2027, 1, 7)


def test_an_assessment_timescale_is_45_working_days_by_default() -> None:
    assert DEFAULT_RULES.assessment_working_days == 45
    start = date(2026, 9, 14)
    assert working_days_between(start, assessment_due(start)) == 45


def test_an_assessment_follows_a_councils_own_timescale() -> None:
    rules = dataclasses.replace(DEFAULT_RULES, assessment_working_days=35)
    start = date(2026, 11, 2)
    assert assessment_due(start, rules) == add_working_days(start, 35)


def test_an_initial_cp_conference_is_due_15_working_days_after_the_strategy_discussion() -> None:
    assert INITIAL_CP_CONFERENCE_WORKING_DAYS == 15
    # Thu 18 Mar 2027 + 15 working days, skipping Good Friday and Easter Monday: Mon 12 Apr.
    assert initial_cp_conference_due(date(2027, 3, 18)) == date(2027, 4, 12)


def test_an_initial_cp_conference_in_an_ordinary_fortnight_is_three_weeks_later() -> None:
    assert initial_cp_conference_due(date(2026, 10, 5)) == date(2026, 10, 26)


def test_a_cp_visit_is_due_10_working_days_after_the_last_one() -> None:
    assert cp_visit_due(date(2026, 12, 21)) == date(2027, 1, 7)
    assert cp_visit_due(date(2026, 11, 2)) == date(2026, 11, 16)


def test_a_cin_visit_is_due_20_working_days_after_the_last_one() -> None:
    assert cin_visit_due(date(2026, 11, 2)) == date(2026, 11, 30)


def test_visit_frequencies_follow_the_councils_rules() -> None:
    rules = dataclasses.replace(DEFAULT_RULES, cp_visit_working_days=20, cin_visit_working_days=30)
    assert cp_visit_due(date(2026, 11, 2), rules) == date(2026, 11, 30)
    assert cin_visit_due(date(2026, 11, 2), rules) == add_working_days(date(2026, 11, 2), 30)


# --- CP review conferences -----------------------------------------------------------------------


def test_the_first_cp_review_is_due_3_months_after_the_initial_conference() -> None:
    assert cp_review_due(date(2026, 11, 26), first_review=True) == date(2027, 2, 26)


def test_later_cp_reviews_are_due_6_months_after_the_last_conference() -> None:
    assert cp_review_due(date(2026, 11, 26), first_review=False) == date(2027, 5, 26)


def test_a_cp_review_from_a_month_end_is_clipped_to_the_shorter_month_never_later() -> None:
    assert cp_review_due(date(2026, 11, 30), first_review=True) == date(2027, 2, 28)
    assert cp_review_due(date(2027, 11, 30), first_review=True) == date(2028, 2, 29)
    assert cp_review_due(date(2026, 8, 31), first_review=False) == date(2027, 2, 28)


# --- CLA visits (Care Planning, Placement and Case Review Regulations 2010, reg. 28) --------------


def test_the_first_cla_visit_is_due_within_a_week_of_the_placement_starting() -> None:
    assert cla_visit_due(date(2026, 11, 2), None) == date(2026, 11, 9)


def test_a_visit_before_the_current_placement_does_not_count_for_it() -> None:
    # The last visit was to the previous placement: the new one still needs its first-week visit.
    assert cla_visit_due(date(2026, 11, 2), date(2026, 10, 20)) == date(2026, 11, 9)


def test_a_visit_on_the_day_the_placement_starts_counts_as_its_first_visit() -> None:
    assert cla_visit_due(date(2026, 11, 2), date(2026, 11, 2)) == date(2026, 12, 14)


def test_cla_visits_in_the_first_year_are_at_most_six_weeks_apart() -> None:
    start = date(2026, 11, 2)
    assert cla_visit_due(start, date(2026, 11, 6)) == date(2026, 12, 18)
    assert cla_visit_due(start, date(2027, 10, 1), placement_until_eighteen=True) == date(
        2027, 11, 12
    )


def test_after_the_first_year_a_placement_until_eighteen_is_visited_every_three_months() -> None:
    start = date(2025, 6, 2)
    assert cla_visit_due(start, date(2026, 11, 26), placement_until_eighteen=True) == date(
        2027, 2, 26
    )


def test_after_the_first_year_other_placements_are_still_visited_every_six_weeks() -> None:
    start = date(2025, 6, 2)
    assert cla_visit_due(start, date(2026, 11, 26), placement_until_eighteen=False) == date(
        2027, 1, 7
    )


def test_a_visit_on_the_first_anniversary_of_the_placement_starts_the_second_year() -> None:
    start = date(2025, 11, 26)
    assert cla_visit_due(start, date(2026, 11, 25), placement_until_eighteen=True) == date(
        2027, 1, 6
    )
    assert cla_visit_due(start, date(2026, 11, 26), placement_until_eighteen=True) == date(
        2027, 2, 26
    )


@PROPERTY_SETTINGS
@given(
    start=dates_2020_2035,
    visit_offset=st.integers(min_value=0, max_value=3 * 365),
    until_eighteen=st.booleans(),
)
def test_the_next_cla_visit_is_always_after_the_last_and_never_more_than_three_months_away(
    start: date, visit_offset: int, until_eighteen: bool
) -> None:
    last_visit = start + timedelta(days=visit_offset)
    due = cla_visit_due(start, last_visit, placement_until_eighteen=until_eighteen)
    assert last_visit < due <= last_visit + timedelta(days=92)
    if not until_eighteen or visit_offset < 365:
        assert due == last_visit + timedelta(weeks=6)


# --- CLA reviews (same regulations) --------------------------------------------------------------


def test_the_first_cla_review_is_due_20_working_days_after_becoming_looked_after() -> None:
    assert CLA_FIRST_REVIEW_WORKING_DAYS == 20
    assert cla_review_due(date(2026, 11, 2), None, 0) == date(2026, 11, 30)


def test_the_first_cla_review_skips_bank_holidays() -> None:
    # Mon 14 Dec 2026 + 20 working days, skipping 25 Dec, 28 Dec and 1 Jan: Thu 14 Jan 2027.
    assert cla_review_due(date(2026, 12, 14), None, 0) == date(2027, 1, 14)


def test_the_second_cla_review_is_due_3_months_after_the_first() -> None:
    assert cla_review_due(date(2026, 11, 2), date(2026, 11, 26), 1) == date(2027, 2, 26)


def test_later_cla_reviews_are_due_every_6_months() -> None:
    assert cla_review_due(date(2026, 1, 5), date(2026, 11, 26), 2) == date(2027, 5, 26)
    assert cla_review_due(date(2020, 1, 6), date(2026, 11, 26), 9) == date(2027, 5, 26)


def test_without_a_recorded_review_the_first_review_rule_applies() -> None:
    assert cla_review_due(date(2026, 11, 2), None, 3) == date(2026, 11, 30)
    assert cla_review_due(date(2026, 11, 2), date(2026, 11, 20), 0) == date(2026, 11, 30)
