"""Which queue an open case is in, how queues are ordered, and when a wait is escalated.

DOMAIN.md: allocated (an active worker), orphaned (a worker who has left or is inactive),
unallocated (no worker), held by manager (a team manager); CP and CLA cases come first in any
queue; an unallocated case is escalated after 14 days (a setting).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload_desktop.domain.categories import Category, Role, WorkerStatus
from caseload_desktop.domain.practice import DEFAULT_RULES
from caseload_desktop.domain.queues import (
    Queue,
    WorkerState,
    can_hold_cases,
    classify,
    days_between,
    has_left,
    is_escalated,
    queue_priority,
    worker_status_label,
)

PROPERTY_SETTINGS = settings(max_examples=200, deadline=None, database=None)

TODAY = date(2026, 11, 26)
YESTERDAY = TODAY - timedelta(days=1)
TOMORROW = TODAY + timedelta(days=1)

PRACTITIONER_ROLES = [role for role in Role if not role.is_manager]
MANAGER_ROLES = [Role.TEAM_MANAGER, Role.SERVICE_MANAGER]

workers = st.builds(
    WorkerState,
    role=st.sampled_from(Role),
    status=st.sampled_from(WorkerStatus),
    end_date=st.none() | st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
)
todays = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


def _worker(
    role: Role = Role.SOCIAL_WORKER,
    status: WorkerStatus = WorkerStatus.ACTIVE,
    end_date: date | None = None,
) -> WorkerState:
    return WorkerState(role=role, status=status, end_date=end_date)


# --- classify ------------------------------------------------------------------------------------


def test_a_case_with_no_worker_is_unallocated() -> None:
    assert classify(None, TODAY) is Queue.UNALLOCATED


@pytest.mark.parametrize("role", PRACTITIONER_ROLES)
def test_a_case_with_an_active_practitioner_is_allocated(role: Role) -> None:
    assert classify(_worker(role), TODAY) is Queue.ALLOCATED


def test_a_case_with_a_worker_leaving_in_future_is_allocated() -> None:
    assert classify(_worker(end_date=TOMORROW), TODAY) is Queue.ALLOCATED


def test_a_case_with_a_leaver_as_worker_is_orphaned() -> None:
    assert classify(_worker(end_date=YESTERDAY), TODAY) is Queue.ORPHANED


def test_a_case_with_a_worker_long_gone_is_orphaned() -> None:
    assert classify(_worker(Role.SOCIAL_WORKER, end_date=date(2025, 3, 31)), TODAY) is (
        Queue.ORPHANED
    )


def test_a_worker_on_their_last_day_still_holds_their_cases() -> None:
    assert classify(_worker(end_date=TODAY), TODAY) is Queue.ALLOCATED


def test_a_case_with_an_inactive_worker_is_orphaned() -> None:
    assert classify(_worker(status=WorkerStatus.INACTIVE), TODAY) is Queue.ORPHANED


def test_a_case_with_an_inactive_worker_not_yet_leaving_is_orphaned() -> None:
    worker = _worker(status=WorkerStatus.INACTIVE, end_date=TOMORROW)
    assert classify(worker, TODAY) is Queue.ORPHANED


@pytest.mark.parametrize("role", MANAGER_ROLES)
def test_a_case_with_a_manager_in_post_is_held_by_manager(role: Role) -> None:
    assert classify(_worker(role), TODAY) is Queue.HELD_BY_MANAGER
    assert classify(_worker(role, end_date=TODAY), TODAY) is Queue.HELD_BY_MANAGER


@pytest.mark.parametrize("role", MANAGER_ROLES)
def test_a_case_with_a_manager_who_has_left_is_orphaned(role: Role) -> None:
    assert classify(_worker(role, end_date=YESTERDAY), TODAY) is Queue.ORPHANED


@pytest.mark.parametrize("role", MANAGER_ROLES)
def test_a_case_with_an_inactive_manager_is_orphaned(role: Role) -> None:
    assert classify(_worker(role, status=WorkerStatus.INACTIVE), TODAY) is Queue.ORPHANED


@PROPERTY_SETTINGS
@given(worker=workers, today=todays)
def test_a_case_with_a_worker_is_never_unallocated_and_its_queue_follows_the_rules(
    worker: WorkerState, today: date
) -> None:
    queue = classify(worker, today)
    left = worker.end_date is not None and worker.end_date < today
    if left or worker.status is WorkerStatus.INACTIVE:
        assert queue is Queue.ORPHANED
    elif worker.role in MANAGER_ROLES:
        assert queue is Queue.HELD_BY_MANAGER
    else:
        assert queue is Queue.ALLOCATED


@PROPERTY_SETTINGS
@given(worker=workers, today=todays)
def test_only_a_worker_who_can_hold_cases_keeps_them_out_of_the_orphaned_queue(
    worker: WorkerState, today: date
) -> None:
    assert (classify(worker, today) is Queue.ORPHANED) is not can_hold_cases(worker, today)


# --- leavers and status labels -------------------------------------------------------------------


def test_a_worker_without_an_end_date_has_not_left() -> None:
    assert not has_left(None, TODAY)


def test_a_worker_has_left_only_once_their_end_date_has_passed() -> None:
    assert has_left(YESTERDAY, TODAY)
    assert not has_left(TODAY, TODAY)
    assert not has_left(TOMORROW, TODAY)


def test_an_active_worker_in_post_can_hold_cases() -> None:
    assert can_hold_cases(_worker(), TODAY)
    assert can_hold_cases(_worker(end_date=TODAY), TODAY)


def test_leavers_and_inactive_workers_cannot_hold_cases() -> None:
    assert not can_hold_cases(_worker(end_date=YESTERDAY), TODAY)
    assert not can_hold_cases(_worker(status=WorkerStatus.INACTIVE), TODAY)


def test_an_active_worker_is_labelled_active() -> None:
    assert worker_status_label(_worker(), TODAY) == "active"
    assert worker_status_label(_worker(end_date=TODAY), TODAY) == "active"


def test_an_inactive_worker_is_labelled_inactive() -> None:
    assert worker_status_label(_worker(status=WorkerStatus.INACTIVE), TODAY) == "inactive"


def test_a_leaver_is_labelled_left_whatever_their_stored_status() -> None:
    assert worker_status_label(_worker(end_date=YESTERDAY), TODAY) == "left"
    leaver = _worker(status=WorkerStatus.INACTIVE, end_date=YESTERDAY)
    assert worker_status_label(leaver, TODAY) == "left"


@PROPERTY_SETTINGS
@given(worker=workers, today=todays)
def test_a_worker_is_labelled_active_exactly_when_they_can_hold_cases(
    worker: WorkerState, today: date
) -> None:
    label = worker_status_label(worker, today)
    assert label in {"active", "inactive", "left"}
    assert (label == "active") is can_hold_cases(worker, today)


# --- waiting, escalation and priority ------------------------------------------------------------


def test_days_between_counts_calendar_days() -> None:
    assert days_between(date(2026, 11, 12), TODAY) == 14
    assert days_between(date(2025, 11, 26), TODAY) == 365
    assert days_between(TODAY, TODAY) == 0


def test_days_between_a_future_start_and_today_is_zero_not_negative() -> None:
    assert days_between(TOMORROW, TODAY) == 0


@pytest.mark.parametrize(
    ("days_waiting", "escalated"), [(0, False), (13, False), (14, True), (15, True), (60, True)]
)
def test_an_unallocated_case_is_escalated_from_14_days_waiting(
    days_waiting: int, escalated: bool
) -> None:
    assert DEFAULT_RULES.escalation_days == 14
    assert is_escalated(days_waiting, DEFAULT_RULES.escalation_days) is escalated


def test_escalation_follows_the_councils_setting() -> None:
    assert not is_escalated(20, 28)
    assert is_escalated(28, 28)


def test_a_case_unallocated_for_two_weeks_is_escalated() -> None:
    waited = days_between(date(2026, 11, 12), TODAY)
    assert is_escalated(waited, DEFAULT_RULES.escalation_days)


def test_cp_and_cla_cases_come_first_in_a_queue_then_the_oldest_first() -> None:
    queue = [
        ("new CIN", Category.CIN, 2),
        ("old referral", Category.REFERRAL, 40),
        ("new CP", Category.CP, 1),
        ("old CLA", Category.CLA, 30),
        ("care leaver", Category.CARE_LEAVER, 20),
        ("assessment", Category.ASSESSMENT, 20),
    ]
    ordered = sorted(queue, key=lambda case: queue_priority(case[1], case[2]))
    assert [name for name, _, _ in ordered] == [
        "old CLA",
        "new CP",
        "old referral",
        "care leaver",
        "assessment",
        "new CIN",
    ]


def test_a_cp_case_waiting_a_day_comes_before_a_cin_case_waiting_a_year() -> None:
    assert queue_priority(Category.CP, 1) < queue_priority(Category.CIN, 365)


def test_within_the_same_urgency_the_longer_wait_comes_first() -> None:
    assert queue_priority(Category.CP, 10) < queue_priority(Category.CLA, 3)
    assert queue_priority(Category.REFERRAL, 10) < queue_priority(Category.CARE_LEAVER, 3)


@PROPERTY_SETTINGS
@given(
    cases=st.lists(
        st.tuples(st.sampled_from(Category), st.integers(min_value=0, max_value=1000)),
        max_size=30,
    )
)
def test_a_sorted_queue_has_every_must_allocate_case_before_the_rest_oldest_first(
    cases: list[tuple[Category, int]],
) -> None:
    ordered = sorted(cases, key=lambda case: queue_priority(*case))
    urgent = [case for case in ordered if case[0] in (Category.CP, Category.CLA)]
    assert ordered[: len(urgent)] == urgent
    rest = ordered[len(urgent) :]
    assert [days for _, days in urgent] == sorted((days for _, days in urgent), reverse=True)
    assert [days for _, days in rest] == sorted((days for _, days in rest), reverse=True)


# --- queue labels --------------------------------------------------------------------------------


def test_every_queue_has_a_label_for_the_manager() -> None:
    assert {queue: queue.label for queue in Queue} == {
        Queue.ALLOCATED: "Allocated",
        Queue.ORPHANED: "Orphaned",
        Queue.UNALLOCATED: "Unallocated",
        Queue.HELD_BY_MANAGER: "Held by manager",
    }


def test_stored_queue_values_are_unchanged() -> None:
    assert [queue.value for queue in Queue] == [
        "allocated",
        "orphaned",
        "unallocated",
        "held_by_manager",
    ]
