"""Reassigning cases: the rules that decide what may move, and the service's one transaction.

The rules (``domain.rules``, ``domain.practice``) are pure and tested on plain values, with
hypothesis for the invariants. The service is tested on a copy of the session's demo database
(1000 cases, seed 7, as at 26 Nov 2026): the cases and workers each test needs are found by
querying the demo, never by hard-coded references, and every refusal is checked to leave the
allocation history, the audit trail, the outbox and the cases exactly as they were.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload_desktop.domain.categories import Category, Role, WorkerStatus
from caseload_desktop.domain.practice import DEFAULT_RULES, PracticeRules
from caseload_desktop.domain.queues import Queue
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.domain.rules import (
    CapacityWarning,
    CaseToMove,
    Target,
    decide,
    siblings_left_behind,
)
from caseload_desktop.errors import BadInput, NotFound, RuleViolation, StaleData
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.services.reassignment import (
    OUTBOX_KIND,
    OverCapacity,
    Request,
    Result,
    preview,
    reassign,
)
from caseload_desktop.store import queries
from caseload_desktop.store.engine import Database, open_database
from caseload_desktop.store.models import Allocation, AuditEvent, Case, OutboxEvent, Worker

TODAY = dt.date(2026, 11, 26)
ACTOR = "tm.tester"
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, database=None)


def uk(day: dt.date) -> str:
    """A date as the messages write it: ``26 Nov 2026``."""
    return f"{day.day} {day:%b %Y}"


def weight(case: queries.OpenCaseRow) -> Decimal:
    return DEFAULT_RULES.weight_of(case.category, case.court_proceedings)


# --- Reading the demo ----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Board:
    """The demo as the board shows it today: open cases and every worker's caseload."""

    cases: list[queries.OpenCaseRow]
    workers: list[queries.WorkerCaseloadRow]

    def case(self, ref: str) -> queries.OpenCaseRow:
        return next(c for c in self.cases if c.case_ref == ref)

    def worker(self, worker_id: int) -> queries.WorkerCaseloadRow:
        return next(w for w in self.workers if w.worker_id == worker_id)

    @functools.cached_property
    def families(self) -> dict[int, list[queries.OpenCaseRow]]:
        groups: dict[int, list[queries.OpenCaseRow]] = defaultdict(list)
        for case in self.cases:
            if case.family_group_id is not None:
                groups[case.family_group_id].append(case)
        return dict(groups)

    def solo(self, case: queries.OpenCaseRow) -> bool:
        """No open sibling: moving it alone leaves no one behind."""
        return case.family_group_id is None or len(self.families[case.family_group_id]) == 1


def read_board(db: Database) -> Board:
    with db.read() as session:
        return Board(
            queries.open_cases(session, TODAY),
            queries.worker_caseloads(session, TODAY, DEFAULT_RULES, include_idle_leavers=True),
        )


def active(board: Board, role: Role) -> list[queries.WorkerCaseloadRow]:
    return [w for w in board.workers if w.status == "active" and w.role == role]


def roomiest(board: Board, role: Role = Role.SOCIAL_WORKER) -> queries.WorkerCaseloadRow:
    """The active worker of ``role`` with the most spare capacity."""
    return max(active(board, role), key=lambda w: (w.capacity - w.weighted, -w.worker_id))


def leaver(board: Board) -> queries.WorkerCaseloadRow:
    return next(w for w in board.workers if w.status == "left")


def inactive(board: Board) -> queries.WorkerCaseloadRow:
    return next(w for w in board.workers if w.status == "inactive")


def held_elsewhere(
    board: Board,
    target_id: int | None,
    *,
    queue: Queue | None = None,
    categories: Iterable[Category] | None = None,
    solo: bool = True,
    started_before: dt.date | None = None,
) -> list[queries.OpenCaseRow]:
    """Open cases not with ``target_id``, optionally in one queue, of some categories, with no
    open sibling, whose current allocation started before a date."""
    wanted = set(Category if categories is None else categories)
    return [
        c
        for c in board.cases
        if c.worker_id != target_id
        and (queue is None or c.queue is queue)
        and c.category in wanted
        and (not solo or board.solo(c))
        and (
            started_before is None
            or (c.allocated_on is not None and c.allocated_on < started_before)
        )
    ]


def cases_within(
    cases: Sequence[queries.OpenCaseRow], room: Decimal, n: int
) -> list[queries.OpenCaseRow]:
    """``n`` of ``cases`` whose weights add up to no more than ``room``."""
    chosen: list[queries.OpenCaseRow] = []
    for case in sorted(cases, key=lambda c: (weight(c), c.case_ref)):
        if len(chosen) == n:
            break
        if sum((weight(c) for c in chosen), weight(case)) <= room:
            chosen.append(case)
    assert len(chosen) == n, "the demo has no such cases"
    return chosen


# --- What the database holds ---------------------------------------------------------------

TABLES = (Allocation.__table__, AuditEvent.__table__, OutboxEvent.__table__, Case.__table__)
Snapshot = dict[str, list[dict[str, Any]]]


def snapshot(db: Database) -> Snapshot:
    """Every row of the tables a reassignment writes to, by id."""
    with db.read() as session:
        return {
            table.name: [
                dict(row._mapping) for row in session.execute(sa.select(table).order_by(table.c.id))
            ]
            for table in TABLES
        }


def added(before: Snapshot, after: Snapshot, table: str) -> list[dict[str, Any]]:
    old_ids = {row["id"] for row in before[table]}
    return [row for row in after[table] if row["id"] not in old_ids]


def move(db: Database, request: Request, announcer: ChangeAnnouncer | None = None) -> Result:
    return reassign(db, request, rules=DEFAULT_RULES, today=TODAY, actor=ACTOR, announcer=announcer)


def assert_refused(db: Database, request: Request, error: type[Exception], *says: str) -> str:
    """``request`` raises ``error`` with a message saying each of ``says``, and writes nothing."""
    before = snapshot(db)
    announcer = ChangeAnnouncer()
    heard: list[Change] = []
    announcer.subscribe(heard.append)
    with pytest.raises(error) as raised:
        move(db, request, announcer)
    message = str(raised.value)
    for text in says:
        assert text in message
    assert "\n" not in message
    assert snapshot(db) == before
    assert heard == []
    return message


# --- Practice rules ------------------------------------------------------------------------

NOT_HELD = {
    Role.FAMILY_SUPPORT_WORKER: {Category.CP, Category.CLA},
    Role.STUDENT: {Category.CP},
}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("category", list(Category))
def test_family_support_workers_hold_no_cp_or_cla_case_and_students_no_cp_case(
    role: Role, category: Category
) -> None:
    assert DEFAULT_RULES.may_hold(role, category) is (category not in NOT_HELD.get(role, set()))


def test_the_default_category_limits_are_the_documented_ones() -> None:
    assert {role: set(limits) for role, limits in DEFAULT_RULES.category_limits.items()} == NOT_HELD


def test_a_council_can_set_its_own_category_limits() -> None:
    rules = PracticeRules(category_limits={Role.ASYE: frozenset({Category.CP})})
    assert not rules.may_hold(Role.ASYE, Category.CP)
    assert rules.may_hold(Role.FAMILY_SUPPORT_WORKER, Category.CP)


# --- decide() on plain values --------------------------------------------------------------


def a_case(
    ref: str = "C-1",
    *,
    case_id: int | None = None,
    category: Category = Category.CIN,
    court: bool = False,
    closed_on: dt.date | None = None,
    worker: int | None = 1,
    since: dt.date | None = dt.date(2026, 1, 5),
    family: int | None = None,
) -> CaseToMove:
    return CaseToMove(
        case_id=case_id if case_id is not None else int(ref.split("-")[1]),
        case_ref=ref,
        category=category,
        court=court,
        closed_on=closed_on,
        current_worker_id=worker,
        current_since=since,
        family_group_id=family,
    )


def a_target(
    *,
    worker_id: int = 9,
    name: str = "Sam Reid",
    role: Role = Role.SOCIAL_WORKER,
    status: WorkerStatus = WorkerStatus.ACTIVE,
    end_date: dt.date | None = None,
    fte: Decimal = Decimal("1.0"),
    weighted: Decimal = Decimal("0"),
) -> Target:
    return Target(worker_id, name, role, status, end_date, fte, weighted)


def test_cases_with_another_worker_move_and_those_with_the_target_are_unchanged() -> None:
    mine, theirs, queued = (
        a_case("C-1", worker=9),
        a_case("C-2", worker=1),
        a_case("C-3", worker=None),
    )
    decision = decide([mine, theirs, queued], a_target(), TODAY, TODAY, DEFAULT_RULES)
    assert decision.moves == (theirs, queued)
    assert decision.unchanged == (mine,)
    assert decision.refusals == ()
    assert decision.over_capacity is None


def test_moving_to_the_queue_leaves_queued_cases_unchanged_and_has_no_capacity_check() -> None:
    queued, held = a_case("C-1", worker=None), a_case("C-2", worker=1, category=Category.CP)
    decision = decide([queued, held], None, TODAY, TODAY, DEFAULT_RULES)
    assert decision.moves == (held,)
    assert decision.unchanged == (queued,)
    assert decision.refusals == ()
    assert decision.over_capacity is None


def test_a_leaver_target_is_refused_with_the_day_they_left() -> None:
    target = a_target(end_date=dt.date(2026, 10, 31))
    decision = decide([a_case()], target, TODAY, TODAY, DEFAULT_RULES)
    assert decision.refusals == ("Cannot allocate C-1 to Sam Reid: Sam left on 31 Oct 2026.",)


def test_a_worker_whose_last_day_is_today_has_not_left() -> None:
    decision = decide([a_case()], a_target(end_date=TODAY), TODAY, TODAY, DEFAULT_RULES)
    assert decision.refusals == ()


def test_an_inactive_target_is_refused() -> None:
    target = a_target(status=WorkerStatus.INACTIVE)
    decision = decide([a_case()], target, TODAY, TODAY, DEFAULT_RULES)
    assert decision.refusals == ("Cannot allocate C-1 to Sam Reid: Sam is inactive.",)


def test_a_future_effective_date_is_refused_and_today_is_allowed() -> None:
    tomorrow = TODAY + dt.timedelta(days=1)
    assert decide([a_case()], a_target(), tomorrow, TODAY, DEFAULT_RULES).refusals == (
        "The effective date 27 Nov 2026 is in the future.",
    )
    assert decide([a_case()], a_target(), TODAY, TODAY, DEFAULT_RULES).refusals == ()


def test_an_effective_date_before_the_current_allocation_started_is_refused() -> None:
    case = a_case("C-7", since=dt.date(2026, 11, 2))
    refused = decide([case], a_target(), dt.date(2026, 11, 1), TODAY, DEFAULT_RULES)
    assert refused.refusals == (
        "C-7 has been with its current allocation since 2 Nov 2026; the effective date cannot "
        "be earlier.",
    )
    same_day = decide([case], a_target(), dt.date(2026, 11, 2), TODAY, DEFAULT_RULES)
    assert same_day.refusals == ()


def test_a_closed_case_is_refused_even_when_it_is_already_with_the_target() -> None:
    closed = a_case("C-4", worker=9, closed_on=dt.date(2026, 11, 20))
    decision = decide([closed], a_target(), TODAY, TODAY, DEFAULT_RULES)
    assert decision.refusals == ("C-4 was closed on 20 Nov 2026: it cannot move.",)
    assert decision.moves == decision.unchanged == ()


@pytest.mark.parametrize(
    ("role", "category", "says"),
    [
        (
            Role.FAMILY_SUPPORT_WORKER,
            Category.CP,
            "a family support worker may not hold a child protection case",
        ),
        (
            Role.FAMILY_SUPPORT_WORKER,
            Category.CLA,
            "a family support worker may not hold a child looked after case",
        ),
        (Role.STUDENT, Category.CP, "a student may not hold a child protection case"),
    ],
)
def test_a_category_the_role_may_not_hold_is_refused_naming_case_and_worker(
    role: Role, category: Category, says: str
) -> None:
    decision = decide(
        [a_case("C-5", category=category)], a_target(role=role), TODAY, TODAY, DEFAULT_RULES
    )
    assert decision.refusals == (f"Cannot allocate C-5 to Sam Reid: {says}.",)


def test_going_over_capacity_is_a_warning_with_the_numbers_and_reaching_it_is_not() -> None:
    target = a_target(weighted=Decimal("16.5"))  # capacity 18.0
    cp = a_case("C-1", category=Category.CP)  # 1.5
    assert decide([cp], target, TODAY, TODAY, DEFAULT_RULES).over_capacity is None
    in_court = a_case("C-1", category=Category.CP, court=True)  # 2.5
    warning = decide([in_court], target, TODAY, TODAY, DEFAULT_RULES).over_capacity
    assert warning == CapacityWarning("Sam Reid", Decimal("19.0"), Decimal("18.0"))
    assert warning.message == (
        "Sam Reid would carry 19.0 weighted points against a capacity of 18.0 (106% of capacity)."
    )


def test_capacity_scales_with_fte_and_role() -> None:
    part_time = a_target(fte=Decimal("0.5"), weighted=Decimal("8.5"))  # capacity 9.0
    warning = decide([a_case()], part_time, TODAY, TODAY, DEFAULT_RULES).over_capacity
    assert warning is not None
    assert (warning.weighted_after, warning.capacity) == (Decimal("9.5"), Decimal("9.0"))
    asye = a_target(role=Role.ASYE, weighted=Decimal("13.5"))  # capacity 14.0
    assert decide([a_case()], asye, TODAY, TODAY, DEFAULT_RULES).over_capacity is not None


def test_a_team_managers_zero_capacity_warning_has_no_percentage() -> None:
    manager = a_target(role=Role.TEAM_MANAGER)
    warning = decide([a_case()], manager, TODAY, TODAY, DEFAULT_RULES).over_capacity
    assert warning is not None
    assert warning.message == "Sam Reid would carry 1.0 weighted points against a capacity of 0.0."


def test_unchanged_cases_do_not_count_towards_the_capacity_check() -> None:
    target = a_target(weighted=Decimal("17.0"))
    already = a_case("C-1", worker=9, category=Category.CP, court=True)
    assert (
        decide([already, a_case("C-2")], target, TODAY, TODAY, DEFAULT_RULES).over_capacity is None
    )


def test_no_capacity_warning_is_given_for_a_batch_that_is_refused_anyway() -> None:
    full = a_target(weighted=Decimal("18.0"), end_date=dt.date(2026, 1, 1))
    decision = decide([a_case()], full, TODAY, TODAY, DEFAULT_RULES)
    assert decision.refusals
    assert decision.over_capacity is None


# Hypothesis: whatever else is in the batch, a closed case and a leaver target are refused.

days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2027, 12, 31))


@st.composite
def batches(draw: st.DrawFn) -> list[CaseToMove]:
    n = draw(st.integers(min_value=0, max_value=6))
    return [
        CaseToMove(
            case_id=i,
            case_ref=f"C-{100 + i}",
            category=draw(st.sampled_from(Category)),
            court=draw(st.booleans()),
            closed_on=draw(st.none() | days),
            current_worker_id=draw(st.sampled_from([None, 1, 2, 9])),
            current_since=draw(st.none() | days),
            family_group_id=draw(st.sampled_from([None, 1, 2])),
        )
        for i in range(n)
    ]


targets = st.builds(
    Target,
    worker_id=st.sampled_from([1, 2, 9]),
    name=st.just("Sam Reid"),
    role=st.sampled_from(Role),
    status=st.sampled_from(WorkerStatus),
    end_date=st.none() | days,
    fte=st.sampled_from([Decimal("0.5"), Decimal("0.8"), Decimal("1")]),
    weighted=st.decimals(min_value=0, max_value=30, places=1),
)


@PROPERTY_SETTINGS
@given(cases=batches(), target=st.none() | targets, effective=days)
def test_every_closed_case_and_a_leaver_target_are_refused_whatever_else_is_in_the_batch(
    cases: list[CaseToMove], target: Target | None, effective: dt.date
) -> None:
    decision = decide(cases, target, effective, TODAY, DEFAULT_RULES)
    refusals = " ".join(decision.refusals)
    for case in cases:
        if case.closed_on is not None and case.closed_on <= TODAY:
            assert f"{case.case_ref} was closed on {uk(case.closed_on)}" in refusals
    if target is not None and target.end_date is not None and target.end_date < TODAY:
        assert f"to Sam Reid: Sam left on {uk(target.end_date)}" in refusals
    if effective > TODAY:
        assert "in the future" in refusals


@PROPERTY_SETTINGS
@given(cases=batches(), target=st.none() | targets, effective=days)
def test_each_open_case_either_moves_or_is_unchanged_and_refusals_bring_no_warning(
    cases: list[CaseToMove], target: Target | None, effective: dt.date
) -> None:
    decision = decide(cases, target, effective, TODAY, DEFAULT_RULES)
    still_open = [c for c in cases if c.closed_on is None or c.closed_on > TODAY]
    assert sorted([*decision.moves, *decision.unchanged], key=lambda c: c.case_id) == still_open
    target_id = None if target is None else target.worker_id
    assert all(c.current_worker_id == target_id for c in decision.unchanged)
    assert all(c.current_worker_id != target_id for c in decision.moves)
    if decision.refusals or target is None or not decision.moves:
        assert decision.over_capacity is None


@PROPERTY_SETTINGS
@given(cases=batches(), target=targets)
def test_the_capacity_warning_is_given_exactly_when_the_moves_take_the_target_over(
    cases: list[CaseToMove], target: Target
) -> None:
    decision = decide(cases, target, TODAY, TODAY, DEFAULT_RULES)
    if decision.refusals:
        return
    after = target.weighted + sum(
        (DEFAULT_RULES.weight_of(c.category, c.court) for c in decision.moves), Decimal(0)
    )
    over = bool(decision.moves) and after > target.capacity(DEFAULT_RULES)
    assert (decision.over_capacity is not None) is over
    if decision.over_capacity is not None:
        assert decision.over_capacity.weighted_after == after


# --- siblings_left_behind() ----------------------------------------------------------------


def test_siblings_with_someone_else_are_left_behind_and_those_with_the_target_are_not() -> None:
    moving = a_case("C-1", worker=1, family=5)
    with_other = a_case("C-2", worker=2, family=5)
    queued = a_case("C-3", worker=None, family=5)
    with_target = a_case("C-4", worker=9, family=5)
    closed = a_case("C-5", worker=2, family=5, closed_on=dt.date(2026, 11, 1))
    stranger = a_case("C-6", worker=2, family=6)
    family = [moving, with_other, queued, with_target, closed, stranger]
    assert siblings_left_behind([moving], family, 9) == [with_other, queued]
    assert siblings_left_behind([moving], family, None) == [with_other, with_target]


def test_a_case_without_a_family_group_leaves_no_sibling_behind() -> None:
    alone = a_case("C-1", family=None)
    assert siblings_left_behind([alone], [alone, a_case("C-2", family=None)], 9) == []


def test_siblings_moving_together_are_not_left_behind() -> None:
    first, second = a_case("C-1", family=5), a_case("C-2", family=5)
    assert siblings_left_behind([first, second], [first, second], 9) == []


# --- The service: what one move writes -----------------------------------------------------


def test_each_moved_case_gets_one_ended_and_one_new_allocation_a_version_an_audit_and_outbox_event(
    demo_db: Database,
) -> None:
    board = read_board(demo_db)
    target = roomiest(board)
    cases = cases_within(
        held_elsewhere(board, target.worker_id, queue=Queue.ORPHANED),
        target.capacity - target.weighted,
        2,
    )
    ids = {c.case_id for c in cases}
    before = snapshot(demo_db)

    result = move(
        demo_db,
        Request(
            case_refs=[c.case_ref for c in cases],
            to_worker_id=target.worker_id,
            reason=ChangeReason.LEFTRL,
        ),
    )

    after = snapshot(demo_db)
    assert [m.case_ref for m in result.moved] == sorted(c.case_ref for c in cases)
    assert {(m.case_id, m.from_worker, m.to_worker) for m in result.moved} == {
        (c.case_id, c.worker, target.worker) for c in cases
    }
    assert result.unchanged == ()
    assert result.target == target.worker

    # Allocation history: every old row is kept as it was, except that the moved cases'
    # current rows are ended on the effective date; one new current row per case.
    old = {row["id"]: row for row in before["allocations"]}
    new_rows = added(before, after, "allocations")
    ended = []
    for row in after["allocations"]:
        if row["id"] not in old:
            continue
        was = old[row["id"]]
        if row != was:
            assert {k: v for k, v in row.items() if k != "ended_on"} == {
                k: v for k, v in was.items() if k != "ended_on"
            }
            assert (was["ended_on"], row["ended_on"]) == (None, TODAY)
            ended.append(row)
    assert len(after["allocations"]) == len(before["allocations"]) + len(cases)
    assert sorted(r["case_id"] for r in ended) == sorted(ids)
    assert all(
        r["worker_id"] == c.worker_id for r in ended for c in cases if c.case_id == r["case_id"]
    )
    assert sorted(r["case_id"] for r in new_rows) == sorted(ids)
    for row in new_rows:
        assert row["worker_id"] == target.worker_id
        assert (row["started_on"], row["ended_on"]) == (TODAY, None)
        assert row["reason_code"] == ChangeReason.LEFTRL
        assert row["created_by"] == ACTOR
    current = Counter(r["case_id"] for r in after["allocations"] if r["ended_on"] is None)
    assert max(current.values()) == 1

    # Cases: only the moved ones' version changed, by one.
    old_cases = {row["id"]: row for row in before["cases"]}
    for row in after["cases"]:
        expected = dict(old_cases[row["id"]])
        if row["id"] in ids:
            expected["version"] += 1
        assert row == expected

    # One audit and one outbox event per moved case, all in the result's batch.
    audit = added(before, after, "audit_events")
    assert sorted(e["case_id"] for e in audit) == sorted(ids)
    for event in audit:
        case = next(c for c in cases if c.case_id == event["case_id"])
        assert event["action"] == "allocation.changed"
        assert event["actor"] == ACTOR
        assert (event["from_worker_id"], event["to_worker_id"]) == (
            case.worker_id,
            target.worker_id,
        )
        assert event["reason"] == "Previous social worker left role"
        assert event["detail"]["batch"] == result.batch
        assert event["detail"]["effective"] == TODAY.isoformat()
    outbox = added(before, after, "outbox_events")
    assert sorted(e["payload"]["case_ref"] for e in outbox) == sorted(c.case_ref for c in cases)
    assert len({e["uuid"] for e in outbox}) == len(outbox)
    for event in outbox:
        case = next(c for c in cases if c.case_ref == event["payload"]["case_ref"])
        assert event["kind"] == OUTBOX_KIND == "allocation.changed"
        assert event["sent_at"] is None
        assert event["payload"] == {
            "batch": result.batch,
            "case_ref": case.case_ref,
            "expected": {
                "staff_id": case.worker_staff_id,
                "started_on": case.allocated_on.isoformat() if case.allocated_on else None,
            },
            "to_staff_id": target.staff_id,
            "effective": TODAY.isoformat(),
            "reason_code": "LEFTRL",
            "reason_text": "",
            "actor": ACTOR,
        }


def test_after_a_move_the_board_shows_the_case_with_its_new_worker_and_their_load_grown(
    demo_db: Database,
) -> None:
    board = read_board(demo_db)
    target = roomiest(board)
    (case,) = cases_within(
        held_elsewhere(board, target.worker_id, queue=Queue.ORPHANED),
        target.capacity - target.weighted,
        1,
    )

    result = move(demo_db, Request(case_refs=[case.case_ref], to_worker_id=target.worker_id))

    now = read_board(demo_db)
    moved = now.case(case.case_ref)
    assert (moved.worker_id, moved.worker, moved.queue) == (
        target.worker_id,
        target.worker,
        Queue.ALLOCATED,
    )
    assert moved.allocated_on == TODAY
    assert moved.version == case.version + 1
    with demo_db.read() as session:
        q = queries.queues(session, TODAY)
        theirs = queries.open_cases(session, TODAY, worker_id=target.worker_id)
    assert case.case_ref not in {c.case_ref for c in q.orphaned}
    assert case.case_ref in {c.case_ref for c in theirs}
    grown = now.worker(target.worker_id)
    assert (grown.cases, grown.weighted) == (target.cases + 1, target.weighted + weight(case))
    assert result.target_load is not None
    assert (result.target_load.cases, result.target_load.weighted, result.target_load.capacity) == (
        grown.cases,
        grown.weighted,
        grown.capacity,
    )
    assert result.target_load.rag == grown.rag
    assert case.worker_id is not None
    was, shrunk = board.worker(case.worker_id), now.worker(case.worker_id)
    assert (shrunk.cases, shrunk.weighted) == (was.cases - 1, was.weighted - weight(case))


def test_case_references_are_matched_whatever_their_case_and_spacing(demo_db: Database) -> None:
    board = read_board(demo_db)
    target = roomiest(board)
    (case,) = cases_within(
        held_elsewhere(board, target.worker_id), target.capacity - target.weighted, 1
    )
    result = move(
        demo_db, Request(case_refs=[f"  {case.case_ref.lower()} "], to_worker_id=target.worker_id)
    )
    assert [m.case_ref for m in result.moved] == [case.case_ref]


def test_free_text_is_kept_with_the_other_reason(demo_db: Database) -> None:
    board = read_board(demo_db)
    target = roomiest(board)
    (case,) = cases_within(
        held_elsewhere(board, target.worker_id), target.capacity - target.weighted, 1
    )
    before = snapshot(demo_db)
    move(
        demo_db,
        Request(
            case_refs=[case.case_ref],
            to_worker_id=target.worker_id,
            reason=ChangeReason.OTHERS,
            reason_text="  Cover during a court hearing  ",
        ),
    )
    after = snapshot(demo_db)
    (allocation,) = added(before, after, "allocations")
    assert (allocation["reason_code"], allocation["reason_text"]) == (
        ChangeReason.OTHERS,
        "Cover during a court hearing",
    )
    (event,) = added(before, after, "audit_events")
    assert event["reason"] == "Other reason: Cover during a court hearing"
    (outbox,) = added(before, after, "outbox_events")
    assert outbox["payload"]["reason_code"] == "OTHERS"
    assert outbox["payload"]["reason_text"] == "Cover during a court hearing"


# --- All or nothing ------------------------------------------------------------------------


def close_case(db: Database, case_id: int, on: dt.date) -> None:
    with db.write() as session:
        session.execute(
            sa.text("UPDATE cases SET closed_on = :on WHERE id = :id"),
            {"on": on.isoformat(), "id": case_id},
        )


@pytest.mark.parametrize("bad", ["unknown case", "closed case", "category the target may not hold"])
def test_a_batch_with_one_bad_case_changes_nothing_at_all(demo_db: Database, bad: str) -> None:
    board = read_board(demo_db)
    if bad == "category the target may not hold":
        target = roomiest(board, Role.FAMILY_SUPPORT_WORKER)
        good = held_elsewhere(
            board, target.worker_id, categories=[Category.CIN, Category.REFERRAL]
        )[:2]
        (bad_case,) = held_elsewhere(board, target.worker_id, categories=[Category.CP])[:1]
        refs = [good[0].case_ref, bad_case.case_ref, good[1].case_ref]
        error, says = RuleViolation, [bad_case.case_ref, target.worker, "child protection"]
    else:
        target = roomiest(board)
        good = held_elsewhere(board, target.worker_id)[:3]
        if bad == "unknown case":
            refs = [good[0].case_ref, "C-999999", good[1].case_ref]
            error, says = NotFound, ["C-999999"]
        else:
            closed_on = TODAY - dt.timedelta(days=1)
            close_case(demo_db, good[2].case_id, closed_on)
            refs = [good[0].case_ref, good[2].case_ref, good[1].case_ref]
            error, says = RuleViolation, [good[2].case_ref, f"closed on {uk(closed_on)}"]
    message = assert_refused(
        demo_db,
        Request(case_refs=refs, to_worker_id=target.worker_id, accept_over_capacity=True),
        error,
        *says,
    )
    assert "Nothing was moved" in message


# --- Refusals ------------------------------------------------------------------------------


def test_reassigning_to_a_leaver_is_refused_with_the_day_they_left_and_changes_nothing(
    demo_db: Database,
) -> None:
    board = read_board(demo_db)
    gone = leaver(board)
    assert gone.end_date is not None
    case = held_elsewhere(board, gone.worker_id)[0]
    assert_refused(
        demo_db,
        Request(case_refs=[case.case_ref], to_worker_id=gone.worker_id),
        RuleViolation,
        f"Cannot allocate {case.case_ref} to {gone.worker}",
        f"left on {uk(gone.end_date)}",
        "Nothing was moved.",
    )


@pytest.mark.parametrize("who", ["leaver", "inactive"])
def test_refusing_a_worker_who_cannot_hold_cases_names_the_case_too(
    demo_db: Database, who: str
) -> None:
    board = read_board(demo_db)
    worker = leaver(board) if who == "leaver" else inactive(board)
    case = held_elsewhere(board, worker.worker_id)[0]
    assert_refused(
        demo_db,
        Request(case_refs=[case.case_ref], to_worker_id=worker.worker_id),
        RuleViolation,
        f"Cannot allocate {case.case_ref} to {worker.worker}",
    )


def test_reassigning_to_an_inactive_worker_is_refused_and_changes_nothing(
    demo_db: Database,
) -> None:
    board = read_board(demo_db)
    away = inactive(board)
    case = held_elsewhere(board, away.worker_id)[0]
    assert_refused(
        demo_db,
        Request(case_refs=[case.case_ref], to_worker_id=away.worker_id),
        RuleViolation,
        f"Cannot allocate {case.case_ref} to {away.worker}: {away.worker.split()[0]} is inactive.",
    )


def test_an_effective_date_before_the_target_started_work_is_refused(demo_db: Database) -> None:
    board = read_board(demo_db)
    with demo_db.read() as session:
        newest = session.execute(
            sa.select(Worker.id, Worker.name, Worker.start_date)
            .where(Worker.status == WorkerStatus.ACTIVE, Worker.end_date.is_(None))
            .order_by(Worker.start_date.desc(), Worker.id)
            .limit(1)
        ).one()
    effective = newest.start_date - dt.timedelta(days=1)
    case = next(
        c
        for c in held_elsewhere(board, newest.id, started_before=effective)
        if DEFAULT_RULES.may_hold(board.worker(newest.id).role, c.category)
    )
    assert_refused(
        demo_db,
        Request(
            case_refs=[case.case_ref],
            to_worker_id=newest.id,
            effective=effective,
            accept_over_capacity=True,
        ),
        RuleViolation,
        newest.name,
    )


def test_an_unknown_worker_is_not_found(demo_db: Database) -> None:
    board = read_board(demo_db)
    assert_refused(
        demo_db,
        Request(case_refs=[board.cases[0].case_ref], to_worker_id=99_999),
        NotFound,
        "No worker with the id 99999.",
    )


def test_a_future_effective_date_is_refused_and_changes_nothing(demo_db: Database) -> None:
    board = read_board(demo_db)
    target = roomiest(board)
    case = held_elsewhere(board, target.worker_id)[0]
    assert_refused(
        demo_db,
        Request(
            case_refs=[case.case_ref],
            to_worker_id=target.worker_id,
            effective=TODAY + dt.timedelta(days=1),
        ),
        RuleViolation,
        "The effective date 27 Nov 2026 is in the future.",
    )


def test_an_effective_date_before_the_current_allocation_started_is_refused_naming_the_case(
    demo_db: Database,
) -> None:
    board = read_board(demo_db)
    target = roomiest(board)
    case = held_elsewhere(board, target.worker_id, started_before=TODAY)[0]
    assert case.allocated_on is not None
    assert_refused(
        demo_db,
        Request(
            case_refs=[case.case_ref],
            to_worker_id=target.worker_id,
            effective=case.allocated_on - dt.timedelta(days=1),
        ),
        RuleViolation,
        f"{case.case_ref} has been with its current allocation since {uk(case.allocated_on)}",
    )


@pytest.mark.parametrize("text", ["", "   "])
def test_other_reason_without_words_is_refused(demo_db: Database, text: str) -> None:
    board = read_board(demo_db)
    target = roomiest(board)
    case = held_elsewhere(board, target.worker_id)[0]
    assert_refused(
        demo_db,
        Request(
            case_refs=[case.case_ref],
            to_worker_id=target.worker_id,
            reason=ChangeReason.OTHERS,
            reason_text=text,
        ),
        BadInput,
        "The reason is 'other': say what it is.",
    )


def test_a_case_id_that_no_longer_exists_is_not_found(demo_db: Database) -> None:
    board = read_board(demo_db)
    target = roomiest(board)
    case = held_elsewhere(board, target.worker_id)[0]
    assert_refused(
        demo_db,
        Request(case_ids=[case.case_id, 99_999], to_worker_id=target.worker_id),
        NotFound,
        "1 of the cases no longer exist",
    )


def test_a_request_naming_no_case_is_refused(demo_db: Database) -> None:
    target = roomiest(read_board(demo_db))
    assert_refused(
        demo_db, Request(to_worker_id=target.worker_id), BadInput, "Name at least one case"
    )


# --- A move onto the current worker --------------------------------------------------------


def test_moving_a_case_onto_its_current_worker_writes_nothing_and_lists_it_unchanged(
    demo_db: Database,
) -> None:
    board = read_board(demo_db)
    case = next(c for c in board.cases if c.queue is Queue.ALLOCATED and board.solo(c))
    assert case.worker_id is not None
    before = snapshot(demo_db)
    announcer = ChangeAnnouncer()
    heard: list[Change] = []
    announcer.subscribe(heard.append)

    result = move(
        demo_db, Request(case_refs=[case.case_ref], to_worker_id=case.worker_id), announcer
    )

    assert (result.moved, result.unchanged) == ((), (case.case_ref,))
    assert snapshot(demo_db) == before
    assert heard == []
    holder = board.worker(case.worker_id)
    assert result.target_load is not None
    assert (result.target_load.cases, result.target_load.weighted) == (
        holder.cases,
        holder.weighted,
    )


def test_the_preview_says_what_the_move_would_do_and_writes_nothing(demo_db: Database) -> None:
    board = read_board(demo_db)
    target, cases = over_capacity_batch(board)
    request = Request(case_refs=[c.case_ref for c in cases], to_worker_id=target.worker_id)
    before = snapshot(demo_db)

    shown = preview(demo_db, request, rules=DEFAULT_RULES, today=TODAY)

    assert snapshot(demo_db) == before
    assert shown.moving == tuple(sorted(c.case_ref for c in cases))
    assert (shown.unchanged, shown.refusals, shown.siblings_left) == ((), (), ())
    assert shown.over_capacity is not None
    with pytest.raises(OverCapacity) as raised:
        move(demo_db, request)
    assert raised.value.warning == shown.over_capacity


# --- Capacity ------------------------------------------------------------------------------


def over_capacity_batch(
    board: Board,
) -> tuple[queries.WorkerCaseloadRow, list[queries.OpenCaseRow]]:
    """An active social worker and orphaned cases that would take them just over capacity."""
    target = roomiest(board)
    chosen: list[queries.OpenCaseRow] = []
    for case in held_elsewhere(board, target.worker_id, queue=Queue.ORPHANED):
        chosen.append(case)
        if target.weighted + sum(weight(c) for c in chosen) > target.capacity:
            return target, chosen
    raise AssertionError("the demo has too few orphaned cases")


def test_going_over_capacity_without_the_managers_say_so_is_refused_with_the_numbers(
    demo_db: Database,
) -> None:
    board = read_board(demo_db)
    target, cases = over_capacity_batch(board)
    after = target.weighted + sum(weight(c) for c in cases)
    percent = (after * 100 / target.capacity).quantize(Decimal(1), ROUND_HALF_UP)
    before = snapshot(demo_db)
    with pytest.raises(OverCapacity) as raised:
        move(demo_db, Request(case_refs=[c.case_ref for c in cases], to_worker_id=target.worker_id))
    assert isinstance(raised.value, RuleViolation)
    assert raised.value.warning == CapacityWarning(target.worker, after, target.capacity)
    assert str(raised.value) == (
        f"{target.worker} would carry {after:.1f} weighted points against a capacity of "
        f"{target.capacity:.1f} ({percent}% of capacity). Nothing was moved."
    )
    assert snapshot(demo_db) == before


def test_going_over_capacity_with_the_managers_say_so_moves_the_cases(demo_db: Database) -> None:
    board = read_board(demo_db)
    target, cases = over_capacity_batch(board)
    result = move(
        demo_db,
        Request(
            case_refs=[c.case_ref for c in cases],
            to_worker_id=target.worker_id,
            accept_over_capacity=True,
        ),
    )
    assert {m.case_ref for m in result.moved} == {c.case_ref for c in cases}
    assert result.target_load is not None
    assert result.target_load.weighted == target.weighted + sum(weight(c) for c in cases)
    assert result.target_load.weighted > result.target_load.capacity
    assert result.target_load.rag.value == "red"


# --- Stale data ----------------------------------------------------------------------------


def test_a_case_changed_since_it_was_read_is_refused_naming_it(demo_db: Database) -> None:
    board = read_board(demo_db)
    target = roomiest(board)
    fresh, old = held_elsewhere(board, target.worker_id)[:2]
    assert_refused(
        demo_db,
        Request(
            case_refs=[fresh.case_ref, old.case_ref],
            to_worker_id=target.worker_id,
            expected_versions={fresh.case_id: fresh.version, old.case_id: old.version - 1},
        ),
        StaleData,
        f"{old.case_ref} changed since the board read it",
        "Nothing was moved",
    )


def test_a_move_made_elsewhere_after_the_board_was_read_makes_the_first_request_stale(
    demo_db: Database, demo_db_path: Path
) -> None:
    board = read_board(demo_db)  # the manager's board, with each case's version
    first, second = sorted(
        active(board, Role.SOCIAL_WORKER), key=lambda w: w.weighted - w.capacity
    )[:2]
    (case,) = cases_within(
        held_elsewhere(board, first.worker_id), first.capacity - first.weighted, 1
    )
    read_versions = {case.case_id: case.version}

    other, _ = open_database(demo_db_path)  # another manager's app on the same file
    try:
        elsewhere = reassign(
            other,
            Request(
                case_refs=[case.case_ref],
                to_worker_id=second.worker_id,
                expected_versions=read_versions,
                accept_over_capacity=True,
            ),
            rules=DEFAULT_RULES,
            today=TODAY,
            actor="another.manager",
        )
    finally:
        other.close()
    assert [m.case_ref for m in elsewhere.moved] == [case.case_ref]

    assert_refused(
        demo_db,
        Request(
            case_refs=[case.case_ref],
            to_worker_id=first.worker_id,
            expected_versions=read_versions,
        ),
        StaleData,
        case.case_ref,
    )
    assert read_board(demo_db).case(case.case_ref).worker_id == second.worker_id


# --- Siblings ------------------------------------------------------------------------------


def split_family(board: Board) -> tuple[queries.WorkerCaseloadRow, list[queries.OpenCaseRow]]:
    """A roomy social worker, and the largest open family group held by two or more other
    workers."""
    target = roomiest(board)
    for _, family in sorted(board.families.items(), key=lambda item: (-len(item[1]), item[0])):
        holders = {c.worker_id for c in family}
        if len(family) >= 2 and len(holders) >= 2 and target.worker_id not in holders:
            return target, sorted(family, key=lambda c: c.case_ref)
    raise AssertionError("the demo has no family split between workers")


def test_moving_one_child_alone_lists_the_siblings_who_stay_with_others(demo_db: Database) -> None:
    board = read_board(demo_db)
    target, family = split_family(board)
    named, *siblings = family

    result = move(
        demo_db,
        Request(
            case_refs=[named.case_ref], to_worker_id=target.worker_id, accept_over_capacity=True
        ),
    )

    assert [m.case_ref for m in result.moved] == [named.case_ref]
    assert [(s.case_ref, s.child, s.worker) for s in result.siblings_left] == [
        (s.case_ref, s.child, s.worker) for s in siblings
    ]
    now = read_board(demo_db)
    assert now.case(named.case_ref).worker_id == target.worker_id
    for sibling in siblings:
        assert now.case(sibling.case_ref).worker_id == sibling.worker_id
        assert now.case(sibling.case_ref).version == sibling.version


def test_moving_one_child_with_siblings_moves_the_whole_family_in_one_batch(
    demo_db: Database,
) -> None:
    board = read_board(demo_db)
    target, family = split_family(board)
    before = snapshot(demo_db)

    result = move(
        demo_db,
        Request(
            case_refs=[family[0].case_ref],
            to_worker_id=target.worker_id,
            with_siblings=True,
            accept_over_capacity=True,
        ),
    )

    moving = [c for c in family if c.worker_id != target.worker_id]
    assert [m.case_ref for m in result.moved] == [c.case_ref for c in moving]
    assert result.siblings_left == ()
    now = read_board(demo_db)
    assert {now.case(c.case_ref).worker_id for c in family} == {target.worker_id}
    after = snapshot(demo_db)
    audit = added(before, after, "audit_events")
    outbox = added(before, after, "outbox_events")
    assert len(audit) == len(outbox) == len(moving)
    assert (
        {e["detail"]["batch"] for e in audit}
        == {e["payload"]["batch"] for e in outbox}
        == {result.batch}
    )


# --- To the queue --------------------------------------------------------------------------


def test_moving_a_case_to_the_queue_leaves_it_unallocated_from_today(demo_db: Database) -> None:
    board = read_board(demo_db)
    case = next(c for c in board.cases if c.queue is Queue.ALLOCATED and board.solo(c))
    assert case.worker_id is not None
    holder = board.worker(case.worker_id)
    before = snapshot(demo_db)

    result = move(demo_db, Request(case_refs=[case.case_ref], to_worker_id=None))

    assert (result.target, result.target_load) == (None, None)
    assert [(m.case_ref, m.from_worker, m.to_worker) for m in result.moved] == [
        (case.case_ref, holder.worker, None)
    ]
    now = read_board(demo_db)
    queued = now.case(case.case_ref)
    assert (queued.queue, queued.worker_id, queued.days_waiting) == (Queue.UNALLOCATED, None, 0)
    with demo_db.read() as session:
        unallocated = queries.queues(session, TODAY).unallocated
    assert case.case_ref in {c.case_ref for c in unallocated}
    assert now.worker(holder.worker_id).weighted == holder.weighted - weight(case)
    after = snapshot(demo_db)
    (allocation,) = added(before, after, "allocations")
    assert (allocation["worker_id"], allocation["started_on"], allocation["ended_on"]) == (
        None,
        TODAY,
        None,
    )
    (event,) = added(before, after, "audit_events")
    assert event["action"] == "allocation.ended"
    assert (event["from_worker_id"], event["to_worker_id"]) == (holder.worker_id, None)
    (outbox,) = added(before, after, "outbox_events")
    assert outbox["payload"]["to_staff_id"] is None
    assert outbox["payload"]["expected"]["staff_id"] == holder.staff_id


# --- Announcing ----------------------------------------------------------------------------


def test_the_change_is_announced_once_after_commit_with_the_cases_and_workers_involved(
    demo_db: Database, demo_db_path: Path
) -> None:
    board = read_board(demo_db)
    target = roomiest(board)
    cases = cases_within(
        held_elsewhere(board, target.worker_id, queue=Queue.ORPHANED),
        target.capacity - target.weighted,
        2,
    )
    announcer = ChangeAnnouncer()
    heard: list[Change] = []
    seen_from_outside: list[set[int | None]] = []

    def listener(change: Change) -> None:
        heard.append(change)
        # Another connection sees the new workers only once the transaction has committed.
        other, _ = open_database(demo_db_path)
        try:
            with other.read() as session:
                rows = queries.open_cases(session, TODAY, worker_id=target.worker_id)
        finally:
            other.close()
        seen_from_outside.append({r.case_id for r in rows} & change.case_ids)

    announcer.subscribe(listener)
    move(
        demo_db,
        Request(case_refs=[c.case_ref for c in cases], to_worker_id=target.worker_id),
        announcer,
    )

    ids = frozenset(c.case_id for c in cases)
    assert heard == [
        Change("reassignment", ids, frozenset({target.worker_id, *(c.worker_id for c in cases)}))
    ]
    assert seen_from_outside == [set(ids)]


def test_nothing_is_announced_when_a_request_is_refused(demo_db: Database) -> None:
    board = read_board(demo_db)
    gone = leaver(board)
    case = held_elsewhere(board, gone.worker_id)[0]
    announcer = ChangeAnnouncer()
    heard: list[Change] = []
    announcer.subscribe(heard.append)
    with pytest.raises(RuleViolation):
        move(demo_db, Request(case_refs=[case.case_ref], to_worker_id=gone.worker_id), announcer)
    assert heard == []


# --- Effective dates -----------------------------------------------------------------------


def test_a_past_effective_date_ends_the_old_allocation_and_starts_the_new_one_on_that_day(
    demo_db: Database,
) -> None:
    board = read_board(demo_db)
    target = roomiest(board)
    effective = TODAY - dt.timedelta(days=6)
    (case,) = cases_within(
        held_elsewhere(board, target.worker_id, started_before=effective),
        target.capacity - target.weighted,
        1,
    )
    before = snapshot(demo_db)

    move(
        demo_db,
        Request(case_refs=[case.case_ref], to_worker_id=target.worker_id, effective=effective),
    )

    after = snapshot(demo_db)
    history = sorted(
        (r for r in after["allocations"] if r["case_id"] == case.case_id), key=lambda r: r["id"]
    )
    previous, new = history[-2:]
    assert (previous["worker_id"], previous["started_on"], previous["ended_on"]) == (
        case.worker_id,
        case.allocated_on,
        effective,
    )
    assert (new["worker_id"], new["started_on"], new["ended_on"]) == (
        target.worker_id,
        effective,
        None,
    )
    (event,) = added(before, after, "audit_events")
    assert event["detail"]["effective"] == effective.isoformat()
    (outbox,) = added(before, after, "outbox_events")
    assert outbox["payload"]["effective"] == effective.isoformat()
    assert read_board(demo_db).case(case.case_ref).allocated_on == effective
    # As the board showed it on a day between, the case was already with its new worker.
    with demo_db.read() as session:
        then = queries.open_cases(
            session, effective + dt.timedelta(days=1), worker_id=target.worker_id
        )
    assert case.case_id in {r.case_id for r in then}
