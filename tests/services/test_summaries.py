"""Caseload summaries (``services.summaries``) on the demo database, checked against
independent counts.

Each test works on a copy of the session's demo database (1000 cases, seed 7, as at Thursday
26 Nov 2026). The expected figures come from the database file read with raw ``sqlite3`` and
from the CLI's own read commands (``caseload queue --json``, ``caseload caseloads --json``); the
expected timescales are worked out here from the stored dates, counting working days one day
at a time against the ``holidays`` calendar, not with the app's own date functions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import holidays
import pytest

from caseload_desktop import cli
from caseload_desktop.domain.due import DueStatus
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.domain.queues import Queue
from caseload_desktop.errors import Cancelled, NotFound
from caseload_desktop.services import settings as settings_service
from caseload_desktop.services.summaries import (
    ServiceSummary,
    TeamSummary,
    Totals,
    service_summary,
    team_summary,
)
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.store.engine import Database
from tests.conftest import raw_sqlite

TODAY = dt.date(2026, 11, 26)
MANAGER_ROLES = {"team_manager", "service_manager"}
DUE_SOON = 5


# --- Independent figures ---------------------------------------------------------------------


@functools.cache
def _calendar() -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG")


@functools.cache
def is_working(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in _calendar()


def nth_working_day(start: dt.date, n: int) -> dt.date:
    day = start
    while n > 0:
        day += dt.timedelta(days=1)
        n -= is_working(day)
    return day


def working_days_after(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (``end`` not before start)."""
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        count += is_working(day)
    return count


def _date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)


@dataclasses.dataclass(frozen=True)
class RawCase:
    case_ref: str
    child: str
    team_id: int
    category: str
    queue: str
    worker: str | None
    assessment_started_on: dt.date | None
    last_visit_on: dt.date | None
    next_visit_due: dt.date | None
    next_review_due: dt.date | None


def raw_open_cases(path: Path, team_id: int | None = None) -> list[RawCase]:
    """Open cases on TODAY with the worker of the allocation in force, read with sqlite3."""
    sql = """
        SELECT c.case_ref, ch.name, c.team_id, c.category, c.assessment_started_on,
               c.last_visit_on, c.next_visit_due, c.next_review_due,
               a.worker_id, w.name, w.role, w.status, w.end_date
        FROM cases c
        JOIN children ch ON ch.id = c.child_id
        LEFT JOIN allocations a ON a.case_id = c.id AND a.started_on <= :today
             AND (a.ended_on IS NULL OR a.ended_on > :today)
        LEFT JOIN workers w ON w.id = a.worker_id
        WHERE c.opened_on <= :today AND (c.closed_on IS NULL OR c.closed_on > :today)
    """
    with raw_sqlite(path) as connection:
        rows = connection.execute(sql, {"today": TODAY.isoformat()}).fetchall()
    found = []
    for (ref, child, team, category, started, last, next_visit, review, worker_id, worker, role,
         status, end) in rows:  # fmt: skip
        if worker_id is None:
            queue = "unallocated"
        elif status != "active" or (end is not None and _date(end) < TODAY):
            queue = "orphaned"
        elif role in MANAGER_ROLES:
            queue = "held_by_manager"
        else:
            queue = "allocated"
        if team_id is None or team == team_id:
            found.append(
                RawCase(
                    ref,
                    child,
                    team,
                    category,
                    queue,
                    worker,
                    _date(started),
                    _date(last),
                    _date(next_visit),
                    _date(review),
                )
            )
    return found


def raw_teams(path: Path) -> dict[str, int]:
    with raw_sqlite(path) as connection:
        return dict(connection.execute("SELECT name, id FROM teams ORDER BY name"))


DueKey = tuple[str, str, dt.date, str, int, str | None]


def expected_due(cases: list[RawCase], rules: PracticeRules) -> Counter[DueKey]:
    """(case ref, kind, due, status, working days, worker) of every timescale at risk."""
    found: Counter[DueKey] = Counter()
    for c in cases:
        dates: list[tuple[str, dt.date]] = []
        if c.category == "assessment" and c.assessment_started_on is not None:
            due = nth_working_day(c.assessment_started_on, rules.assessment_working_days)
            dates.append(("assessment", due))
        if c.category in ("cp", "cin", "cla"):
            visit = c.next_visit_due
            if c.last_visit_on is not None and c.category == "cp":
                visit = nth_working_day(c.last_visit_on, rules.cp_visit_working_days)
            elif c.last_visit_on is not None and c.category == "cin":
                visit = nth_working_day(c.last_visit_on, rules.cin_visit_working_days)
            elif c.last_visit_on is not None:
                visit = c.last_visit_on + dt.timedelta(weeks=rules.cla_visit_weeks)
            if visit is not None:
                dates.append((f"{c.category}_visit", visit))
        if c.category in ("cp", "cla") and c.next_review_due is not None:
            dates.append((f"{c.category}_review", c.next_review_due))
        worker = None if c.queue == "unallocated" else c.worker
        for kind, due in dates:
            if due < TODAY:
                key = (c.case_ref, kind, due, "overdue", working_days_after(due, TODAY), worker)
                found[key] += 1
            elif (ahead := working_days_after(TODAY, due)) <= DUE_SOON:
                found[(c.case_ref, kind, due, "due_soon", ahead, worker)] += 1
    return found


def due_keys(summary: TeamSummary) -> Counter[DueKey]:
    return Counter(
        (
            d.case_ref,
            d.due.kind.value,
            d.due.due,
            d.due.status.value,
            d.due.working_days,
            d.worker,
        )
        for d in summary.due
    )


# --- The CLI's read commands ------------------------------------------------------------------


@pytest.fixture
def caseload_json(capsys: pytest.CaptureFixture[str], demo_db_path: Path) -> Any:
    def run(*argv: str) -> Any:
        out = io.StringIO()
        status = cli.main([*argv, "--json", "--db", str(demo_db_path)], out=out)
        assert status == 0, capsys.readouterr().err
        return json.loads(out.getvalue())

    return run


def rules_of(db: Database) -> PracticeRules:
    return settings_service.load_settings(db).rules


def summary_of(db: Database, team: str) -> TeamSummary:
    return team_summary(db, raw_teams(db.path)[team], today=TODAY, rules=rules_of(db))


# --- One team ---------------------------------------------------------------------------------


def test_every_teams_counts_match_the_database_and_the_queue_command(
    demo_db: Database, demo_db_path: Path, caseload_json: Any
) -> None:
    teams = raw_teams(demo_db_path)
    assert len(teams) >= 5
    for name, team_id in teams.items():
        summary = team_summary(demo_db, team_id, today=TODAY, rules=rules_of(demo_db))
        raw = Counter(c.queue for c in raw_open_cases(demo_db_path, team_id))
        queue = caseload_json("queue", "--team", name)
        t = summary.totals
        assert (summary.team, summary.team_id, summary.as_at) == (name, team_id, TODAY)
        assert t.open_cases == sum(raw.values())
        assert t.allocated == raw["allocated"]
        assert (t.orphaned, t.unallocated, t.held_by_manager) == (
            raw["orphaned"],
            raw["unallocated"],
            raw["held_by_manager"],
        )
        assert (t.orphaned, t.unallocated, t.held_by_manager) == (
            len(queue["orphaned"]),
            len(queue["unallocated"]),
            len(queue["held_by_manager"]),
        )
        # The same cases, in the same order as the queue command lists them.
        for attribute in ("orphaned", "unallocated", "held_by_manager"):
            listed = [r.case_ref for r in getattr(summary.queues, attribute)]
            assert listed == [r["case_ref"] for r in queue[attribute]], (name, attribute)


def test_a_teams_workers_are_those_of_the_caseloads_command(
    demo_db: Database, demo_db_path: Path, caseload_json: Any
) -> None:
    for name in raw_teams(demo_db_path):
        summary = summary_of(demo_db, name)
        listed = caseload_json("caseloads", "--team", name)
        assert [(w.worker, w.staff_id) for w in summary.workers] == [
            (w["worker"], w["staff_id"]) for w in listed
        ]
        assert [(w.cases, float(w.weighted), float(w.capacity)) for w in summary.workers] == [
            (w["cases"], w["weighted"], w["capacity"]) for w in listed
        ]
        practitioners = [
            w for w in listed if w["status"] == "active" and w["role"] not in MANAGER_ROLES
        ]
        t = summary.totals
        assert t.workers == len(practitioners)
        assert t.agency == sum(1 for w in practitioners if w["employment"] != "permanent")
        assert float(t.fte) == pytest.approx(sum(w["fte"] for w in practitioners))
        assert float(t.capacity) == pytest.approx(sum(w["capacity"] for w in practitioners))


def test_a_teams_timescales_are_every_overdue_and_due_soon_date_of_its_cases(
    demo_db: Database, demo_db_path: Path
) -> None:
    rules = rules_of(demo_db)
    for name, team_id in raw_teams(demo_db_path).items():
        summary = summary_of(demo_db, name)
        expected = expected_due(raw_open_cases(demo_db_path, team_id), rules)
        assert due_keys(summary) == expected, name
        assert summary.totals.overdue == sum(
            n for key, n in expected.items() if key[3] == "overdue"
        )


def test_timescales_list_the_longest_overdue_first_then_the_soonest_due(
    demo_db: Database,
) -> None:
    due = summary_of(demo_db, INSPECTION_TEAM).due
    statuses = [d.due.status for d in due]
    overdue = statuses.count(DueStatus.OVERDUE)
    assert 0 < overdue < len(due)
    assert statuses == [DueStatus.OVERDUE] * overdue + [DueStatus.DUE_SOON] * (len(due) - overdue)
    late = [d.due.working_days for d in due[:overdue]]
    soon = [d.due.working_days for d in due[overdue:]]
    assert late == sorted(late, reverse=True)
    assert soon == sorted(soon)


def test_the_inspection_team_has_orphaned_unallocated_held_and_overdue_cases(
    demo_db: Database,
) -> None:
    summary = summary_of(demo_db, INSPECTION_TEAM)
    t = summary.totals
    assert t.orphaned > 100  # most cases still with workers who left
    assert t.unallocated > 0
    assert t.held_by_manager > 30  # the manager holds more than 30 cases
    assert t.overdue > 100
    assert t.oldest_waiting_days is not None and t.oldest_waiting_days > 0
    queued = {r.case_ref for r in summary.queues.unallocated}
    assert t.oldest_waiting_case in queued
    waits = {r.case_ref: r.days_waiting for r in summary.queues.unallocated}
    assert t.oldest_waiting_days == max(waits.values())
    assert waits[t.oldest_waiting_case] == t.oldest_waiting_days
    # Children on orphaned cases have visits overdue: nobody is visiting them.
    orphaned_overdue = [
        d for d in summary.due if d.queue is Queue.ORPHANED and d.due.status is DueStatus.OVERDUE
    ]
    assert orphaned_overdue
    left = {w.worker for w in summary.workers if w.status == "left"}
    assert {d.worker for d in orphaned_overdue} <= left
    unallocated = [d for d in summary.due if d.queue is Queue.UNALLOCATED]
    assert unallocated and all(d.worker is None for d in unallocated)


def test_a_case_held_for_another_team_counts_in_its_workers_load_and_stays_in_its_team(
    demo_db: Database, demo_db_path: Path, caseload_json: Any
) -> None:
    teams = list(raw_teams(demo_db_path))
    home, other = teams[0], teams[-1]
    before = {name: summary_of(demo_db, name) for name in (home, other)}
    worker = next(
        w for w in before[home].workers if w.status == "active" and w.role.value == "social_worker"
    )
    case = next(
        c
        for c in raw_open_cases(demo_db_path, raw_teams(demo_db_path)[other])
        if c.queue == "unallocated" and c.category in ("referral", "cin", "assessment")
    )
    moved = caseload_json("reassign", case.case_ref, "--to", worker.staff_id, "--reason", "MANAGE")
    assert [m["case_ref"] for m in moved["moved"]] == [case.case_ref]

    after = {name: summary_of(demo_db, name) for name in (home, other)}
    mine = next(w for w in after[home].workers if w.staff_id == worker.staff_id)
    assert mine.cases == worker.cases + 1
    listed = caseload_json("caseloads", "--team", home)
    assert next(w["cases"] for w in listed if w["staff_id"] == worker.staff_id) == mine.cases
    # The case is still the other team's: allocated there, not counted in the home team.
    assert after[home].totals.open_cases == before[home].totals.open_cases
    assert after[other].totals.open_cases == before[other].totals.open_cases
    assert after[other].totals.allocated == before[other].totals.allocated + 1
    assert after[other].totals.unallocated == before[other].totals.unallocated - 1
    assert case.case_ref not in {d.case_ref for d in after[home].due}


def test_an_unknown_team_id_is_not_found(demo_db: Database) -> None:
    with pytest.raises(NotFound):
        team_summary(demo_db, 999_999, today=TODAY, rules=rules_of(demo_db))


# --- Settings change what is due ------------------------------------------------------------------


def test_a_longer_cp_visit_interval_changes_the_due_list(
    demo_db: Database, demo_db_path: Path
) -> None:
    before = summary_of(demo_db, INSPECTION_TEAM)
    settings_service.set_text(demo_db, "visits.cp_working_days", "20", actor="test")
    rules = rules_of(demo_db)
    assert rules.cp_visit_working_days == 20
    after = summary_of(demo_db, INSPECTION_TEAM)

    team_id = raw_teams(demo_db_path)[INSPECTION_TEAM]
    assert due_keys(after) == expected_due(raw_open_cases(demo_db_path, team_id), rules)

    def cp_visits_overdue(summary: TeamSummary) -> int:
        return sum(
            1
            for d in summary.due
            if d.due.kind.value == "cp_visit" and d.due.status is DueStatus.OVERDUE
        )

    assert cp_visits_overdue(after) < cp_visits_overdue(before)
    assert after.totals.overdue < before.totals.overdue
    # Nothing but CP visits moved.
    others = [k for k in due_keys(before).elements() if k[1] != "cp_visit"]
    assert Counter(others) == Counter(k for k in due_keys(after).elements() if k[1] != "cp_visit")


def test_a_shorter_assessment_timescale_makes_more_assessments_overdue(
    demo_db: Database, demo_db_path: Path
) -> None:
    before = summary_of(demo_db, INSPECTION_TEAM)
    settings_service.set_text(demo_db, "assessment.working_days", "20", actor="test")
    after = summary_of(demo_db, INSPECTION_TEAM)

    team_id = raw_teams(demo_db_path)[INSPECTION_TEAM]
    assert due_keys(after) == expected_due(raw_open_cases(demo_db_path, team_id), rules_of(demo_db))

    def assessments_overdue(summary: TeamSummary) -> int:
        return sum(
            1
            for d in summary.due
            if d.due.kind.value == "assessment" and d.due.status is DueStatus.OVERDUE
        )

    assert assessments_overdue(after) > assessments_overdue(before)


def test_the_escalation_setting_is_carried_for_the_report(demo_db: Database) -> None:
    assert summary_of(demo_db, INSPECTION_TEAM).escalation_days == 14
    settings_service.set_text(demo_db, "escalation.days", "21", actor="test")
    assert summary_of(demo_db, INSPECTION_TEAM).escalation_days == 21


# --- The service ----------------------------------------------------------------------------------


def _fields(totals: Totals) -> dict[str, Any]:
    return dataclasses.asdict(totals)


def test_the_service_is_every_team_and_its_totals_are_their_sums(
    demo_db: Database, demo_db_path: Path
) -> None:
    rules = rules_of(demo_db)
    service = service_summary(demo_db, today=TODAY, rules=rules)
    teams = raw_teams(demo_db_path)
    assert isinstance(service, ServiceSummary)
    assert service.as_at == TODAY
    assert [(t.team, t.team_id) for t in service.teams] == list(teams.items())

    total = service.totals
    parts = [t.totals for t in service.teams]
    for field in (
        "open_cases",
        "allocated",
        "orphaned",
        "unallocated",
        "held_by_manager",
        "workers",
        "agency",
        "fte",
        "weighted",
        "capacity",
        "overdue",
    ):
        assert getattr(total, field) == sum(
            (getattr(p, field) for p in parts), Decimal(0) if field == "fte" else 0
        ), field
    assert total.open_cases == len(raw_open_cases(demo_db_path)) == 1000
    oldest = max(
        (p for p in parts if p.oldest_waiting_days is not None),
        key=lambda p: p.oldest_waiting_days or 0,
    )
    assert (total.oldest_waiting_days, total.oldest_waiting_case) == (
        oldest.oldest_waiting_days,
        oldest.oldest_waiting_case,
    )
    assert total.percent is not None and total.capacity > 0

    # Each team's part is what the team's own summary says.
    for part in service.teams:
        assert part.team_id is not None
        alone = team_summary(demo_db, part.team_id, today=TODAY, rules=rules)
        assert _fields(part.totals) == _fields(alone.totals), part.team
        assert due_keys(part) == due_keys(alone), part.team
        assert [w.staff_id for w in part.workers] == [w.staff_id for w in alone.workers]
        assert [r.case_ref for r in part.queues.orphaned] == [
            r.case_ref for r in alone.queues.orphaned
        ]


def test_the_service_totals_match_the_queue_and_caseloads_commands(
    demo_db: Database, caseload_json: Any
) -> None:
    service = service_summary(demo_db, today=TODAY, rules=rules_of(demo_db))
    queue = caseload_json("queue")
    assert (
        service.totals.orphaned,
        service.totals.unallocated,
        service.totals.held_by_manager,
    ) == (len(queue["orphaned"]), len(queue["unallocated"]), len(queue["held_by_manager"]))
    listed = caseload_json("caseloads")
    assert sorted(w.staff_id for t in service.teams for w in t.workers) == sorted(
        w["staff_id"] for w in listed
    )


def test_progress_is_reported_after_each_team(demo_db: Database, demo_db_path: Path) -> None:
    calls: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> bool:
        calls.append((done, total))
        return True

    service = service_summary(demo_db, today=TODAY, rules=rules_of(demo_db), progress=progress)
    n = len(raw_teams(demo_db_path))
    assert len(service.teams) == n
    assert calls == [(i, n) for i in range(1, n + 1)]


def test_cancelling_through_progress_raises_cancelled_and_stops(demo_db: Database) -> None:
    calls: list[int] = []

    def progress(done: int, total: int) -> bool:
        calls.append(done)
        return done < 2

    with pytest.raises(Cancelled):
        service_summary(demo_db, today=TODAY, rules=rules_of(demo_db), progress=progress)
    assert calls == [1, 2]
