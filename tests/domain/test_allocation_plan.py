"""Proposals for a leaver's caseload or the queues: capacity, families, limits and order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from caseload_desktop.domain.allocation_plan import (
    PlanCase,
    PlanWorker,
    group_priority,
    propose,
)
from caseload_desktop.domain.categories import Category, Risk, Role
from caseload_desktop.domain.practice import DEFAULT_RULES

DAY = dt.date(2026, 11, 26)


def case(
    case_id: int,
    category: Category = Category.CIN,
    *,
    group: int | None = None,
    risk: Risk = Risk.MEDIUM,
    days: int = 10,
    court: bool = False,
) -> PlanCase:
    return PlanCase(
        case_id=case_id,
        case_ref=f"C-{case_id:04d}",
        category=category,
        court=court,
        risk=risk,
        waiting_since=DAY - dt.timedelta(days=days),
        family_group_id=group,
    )


def worker(
    worker_id: int, weighted: str = "0", capacity: str = "18", role: Role = Role.SOCIAL_WORKER
) -> PlanWorker:
    return PlanWorker(worker_id, f"Worker {worker_id}", role, Decimal(weighted), Decimal(capacity))


def test_cases_go_to_the_worker_with_the_most_spare_capacity() -> None:
    proposal = propose([case(1)], [worker(1, "15"), worker(2, "4"), worker(3, "10")], DEFAULT_RULES)
    assert proposal.placements == {1: 2}
    assert proposal.loads_after[2] == Decimal("5.0")


def test_siblings_stay_together_even_when_that_means_another_worker() -> None:
    siblings = [case(1, group=7), case(2, group=7), case(3, group=7)]
    # Worker 1 has the most room but not room for three; worker 2 has room for all three.
    proposal = propose(siblings, [worker(1, "14.5"), worker(2, "14", capacity="18")], DEFAULT_RULES)
    assert set(proposal.placements.values()) == {2}


def test_what_does_not_fit_stays_and_the_shortfall_is_given_in_fte() -> None:
    cases = [case(i, Category.CP) for i in range(1, 31)]  # 30 x 1.5 = 45 points
    proposal = propose(cases, [worker(1, "0", "18")], DEFAULT_RULES)
    assert len(proposal.placements) == 12  # 18 points
    assert proposal.shortfall_points == Decimal("27.0")
    assert proposal.shortfall_fte == Decimal("1.5")  # 27 / 18 per FTE


def test_a_role_never_receives_a_category_it_may_not_hold() -> None:
    fsw = worker(1, role=Role.FAMILY_SUPPORT_WORKER)
    proposal = propose([case(1, Category.CP), case(2, Category.CIN)], [fsw], DEFAULT_RULES)
    assert proposal.placements == {2: 1}
    assert proposal.unplaced == (1,)


def test_protection_and_high_risk_and_oldest_cases_are_placed_first() -> None:
    cin_old = case(1, Category.CIN, days=90)
    cin_new_high = case(2, Category.CIN, days=5, risk=Risk.HIGH)
    cla_new = case(3, Category.CLA, days=1)
    cin_new = case(4, Category.CIN, days=5)
    proposal = propose(
        [cin_old, cin_new_high, cla_new, cin_new], [worker(1, "16", "18")], DEFAULT_RULES
    )
    # Room for two one-point cases: the looked-after child, then the high-risk one.
    assert set(proposal.placements) == {3, 2}
    assert proposal.unplaced == (1, 4)


categories = st.sampled_from(list(Category))
cases_strategy = st.lists(
    st.tuples(
        categories,
        st.booleans(),
        st.sampled_from(list(Risk)),
        st.integers(0, 400),
        st.one_of(st.none(), st.integers(1, 6)),
    ),
    max_size=40,
)
workers_strategy = st.lists(
    st.tuples(
        st.sampled_from([Role.SOCIAL_WORKER, Role.ASYE, Role.STUDENT, Role.FAMILY_SUPPORT_WORKER]),
        st.integers(0, 40),  # load in half points
        st.integers(0, 40),  # capacity in half points
    ),
    max_size=8,
)


def _build(raw_cases, raw_workers):  # type: ignore[no-untyped-def]
    cases = [
        case(i + 1, cat, court=court, risk=risk, days=days, group=group)
        for i, (cat, court, risk, days, group) in enumerate(raw_cases)
    ]
    workers = [
        worker(i + 1, str(Decimal(load) / 2), str(Decimal(cap) / 2), role)
        for i, (role, load, cap) in enumerate(raw_workers)
    ]
    return cases, workers


@settings(max_examples=150, deadline=None)
@given(cases_strategy, workers_strategy)
def test_no_one_goes_over_capacity_and_no_family_is_split(raw_cases, raw_workers) -> None:  # type: ignore[no-untyped-def]
    cases, workers = _build(raw_cases, raw_workers)
    proposal = propose(cases, workers, DEFAULT_RULES)
    by_id = {w.worker_id: w for w in workers}
    # Everyone is placed once or left once.
    assert sorted([*proposal.placements, *proposal.unplaced]) == [c.case_id for c in cases]
    for worker_id, load in proposal.loads_after.items():
        start = by_id[worker_id].weighted
        assert load == start or load <= by_id[worker_id].capacity
    groups: dict[int, set[object]] = {}
    for c in cases:
        if c.family_group_id is not None:
            groups.setdefault(c.family_group_id, set()).add(proposal.placements.get(c.case_id))
    assert all(len(holders) == 1 for holders in groups.values())
    for case_id, worker_id in proposal.placements.items():
        placed = next(c for c in cases if c.case_id == case_id)
        assert DEFAULT_RULES.may_hold(by_id[worker_id].role, placed.category)
    unplaced_weight = sum(
        (
            DEFAULT_RULES.weight_of(c.category, c.court)
            for c in cases
            if c.case_id in proposal.unplaced
        ),
        Decimal(0),
    )
    assert proposal.shortfall_points == unplaced_weight


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(list(Risk)), st.integers(0, 300), st.booleans()),
        min_size=1,
        max_size=25,
    ),
    st.integers(0, 10),
)
def test_with_room_for_n_equal_cases_the_first_n_by_priority_are_placed(raw, room) -> None:  # type: ignore[no-untyped-def]
    # Equal weights (CIN, 1.0 point): CP/CLA-first does not apply, risk then age decides.
    cases = [case(i + 1, Category.CIN, risk=r, days=d) for i, (r, d, _) in enumerate(raw)]
    proposal = propose(cases, [worker(1, "0", str(room))], DEFAULT_RULES)
    ordered = sorted(cases, key=lambda c: group_priority([c]))
    assert set(proposal.placements) == {c.case_id for c in ordered[:room]}
