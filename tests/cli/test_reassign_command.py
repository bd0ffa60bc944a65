"""``caseload reassign``: what it prints, how it refuses, and that a refusal changes nothing.

Each test runs ``cli.main(argv, out=...)`` in-process on a copy of the session's demo database
(1000 cases, seed 7, as at 26 Nov 2026). The cases and workers a test needs are found through
the CLI's own read commands (``caseloads``, ``cases``, ``queue``) and, for family groups, the
database file; nothing is hard-coded. Also here: ``parse_date``, which reads ``--effective``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import uuid
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from caseload_desktop.domain.caseload import rag as rag_of
from caseload_desktop.domain.categories import Category
from caseload_desktop.domain.dates import parse_date
from caseload_desktop.domain.practice import DEFAULT_RULES
from caseload_desktop.store.demo import INSPECTION_TEAM
from tests.conftest import raw_sqlite

TODAY = dt.date(2026, 11, 26)
PROPERTY_SETTINGS = settings(max_examples=100, deadline=None, database=None)


# --- Running the command -------------------------------------------------------------------


Caseload = Callable[..., Any]  # the ``caseload`` fixture of conftest.py: a Run
CaseloadJson = Callable[..., Any]


@pytest.fixture
def caseload_json(caseload: Caseload) -> CaseloadJson:
    def run(*argv: object) -> Any:
        result = caseload(*argv, "--json")
        assert result.status == 0, result.err
        return json.loads(result.out)

    return run


def written(path: Path) -> dict[str, Any]:
    """What a reassignment writes, counted: history rows, audit and outbox events, versions."""
    with raw_sqlite(path) as connection:
        return {
            table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("allocations", "audit_events", "outbox_events")
        } | {"versions": connection.execute("SELECT sum(version) FROM cases").fetchone()[0]}


@dataclasses.dataclass(frozen=True)
class Facts:
    """What the read commands do not show: a case's family group, its size, court flag."""

    family_group: int | None
    family_size: int
    court: bool


def case_facts(path: Path) -> dict[str, Facts]:
    with raw_sqlite(path) as connection:
        rows = connection.execute(
            "SELECT c.case_ref, ch.family_group_id, c.court_proceedings FROM cases c "
            "JOIN children ch ON ch.id = c.child_id WHERE c.closed_on IS NULL"
        ).fetchall()
    sizes: dict[int | None, int] = defaultdict(int)
    for _, group, _ in rows:
        sizes[group] += 1
    return {
        ref: Facts(group, 1 if group is None else sizes[group], bool(court))
        for ref, group, court in rows
    }


# --- The demo, as the read commands show it ------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Demo:
    workers: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    facts: dict[str, Facts]

    def weight(self, case: dict[str, Any]) -> Decimal:
        court = self.facts[case["case_ref"]].court
        return DEFAULT_RULES.weight_of(Category(case["category"]), court)

    def roomiest(self) -> dict[str, Any]:
        """The active social worker with the most spare capacity."""
        return max(
            (w for w in self.workers if w["status"] == "active" and w["role"] == "social_worker"),
            key=lambda w: (w["capacity"] - w["weighted"], w["staff_id"]),
        )

    def leaver(self) -> dict[str, Any]:
        return next(w for w in self.workers if w["status"] == "left")

    def solo_cases(self, *, queue: str, not_with: str) -> list[dict[str, Any]]:
        """Open cases in ``queue`` with no open sibling, not held by ``not_with``."""
        return [
            c
            for c in self.cases
            if c["queue"] == queue
            and c["staff_id"] != not_with
            and self.facts[c["case_ref"]].family_size == 1
            and c["category"] in ("cin", "referral", "assessment")
        ]


@pytest.fixture
def demo(caseload_json: CaseloadJson, demo_db_path: Path) -> Demo:
    return Demo(caseload_json("caseloads"), caseload_json("cases"), case_facts(demo_db_path))


# --- Moving cases --------------------------------------------------------------------------


def test_reassign_prints_a_line_per_moved_case_and_the_workers_new_load(
    caseload: Caseload, demo: Demo, demo_db_path: Path
) -> None:
    target = demo.roomiest()
    case = demo.solo_cases(queue="orphaned", not_with=target["staff_id"])[0]
    before = written(demo_db_path)

    run = caseload("reassign", case["case_ref"], "--to", target["staff_id"], "--reason", "LEFTRL")

    assert (run.status, run.err) == (0, "")
    weighted = Decimal(str(target["weighted"])) + demo.weight(case)
    capacity = Decimal(str(target["capacity"]))
    rag = rag_of(weighted, capacity).value.upper()
    assert run.out.splitlines() == [
        f"Moved {case['case_ref']} ({case['child']}) from {case['worker']} to {target['worker']}.",
        f"{target['worker']} now holds {target['cases'] + 1} cases, {weighted:.1f} of "
        f"{target['capacity']:.1f} weighted points ({rag}).",
    ]
    after = written(demo_db_path)
    assert after == {
        "allocations": before["allocations"] + 1,
        "audit_events": before["audit_events"] + 1,
        "outbox_events": before["outbox_events"] + 1,
        "versions": before["versions"] + 1,
    }
    with raw_sqlite(demo_db_path) as connection:
        code, text = connection.execute(
            "SELECT reason_code, reason_text FROM allocations ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert (code, text) == ("LEFTRL", "")


def test_reassign_json_gives_the_batch_the_moves_and_the_targets_load(
    caseload_json: CaseloadJson, demo: Demo, demo_db_path: Path
) -> None:
    target = demo.roomiest()
    first, second = demo.solo_cases(queue="orphaned", not_with=target["staff_id"])[:2]

    data = caseload_json(
        "reassign",
        first["case_ref"],
        second["case_ref"],
        "--to",
        target["worker"],
        "--reason",
        "manage",
    )

    assert set(data) == {
        "batch",
        "moved",
        "unchanged",
        "siblings_left",
        "notes",
        "target",
        "target_load",
    }
    assert uuid.UUID(data["batch"])
    assert data["moved"] == [
        {
            "case_id": data["moved"][i]["case_id"],
            "case_ref": case["case_ref"],
            "child": case["child"],
            "from_worker": case["worker"],
            "to_worker": target["worker"],
        }
        for i, case in enumerate(sorted([first, second], key=lambda c: c["case_ref"]))
    ]
    assert (data["unchanged"], data["siblings_left"], data["target"]) == ([], [], target["worker"])
    weighted = Decimal(str(target["weighted"])) + demo.weight(first) + demo.weight(second)
    assert data["target_load"] == {
        "cases": target["cases"] + 2,
        "weighted": float(weighted),
        "capacity": target["capacity"],
        "rag": data["target_load"]["rag"],
    }
    assert data["target_load"]["rag"] in {"green", "amber"}
    with raw_sqlite(demo_db_path) as connection:
        batches = connection.execute(
            "SELECT json_extract(detail, '$.batch'), reason FROM audit_events "
            "ORDER BY id DESC LIMIT 2"
        ).fetchall()
    assert batches == [(data["batch"], "Managing caseloads")] * 2


def test_reassign_keeps_a_reason_in_words_as_other_with_the_words(
    caseload: Caseload, demo: Demo, demo_db_path: Path
) -> None:
    target = demo.roomiest()
    case = demo.solo_cases(queue="allocated", not_with=target["staff_id"])[0]

    run = caseload(
        "reassign", case["case_ref"], "--to", target["staff_id"], "--reason", "Worker on leave"
    )

    assert run.status == 0, run.err
    with raw_sqlite(demo_db_path) as connection:
        allocation = connection.execute(
            "SELECT reason_code, reason_text FROM allocations ORDER BY id DESC LIMIT 1"
        ).fetchone()
        audit = connection.execute(
            "SELECT reason FROM audit_events ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert allocation == ("OTHERS", "Worker on leave")
    assert audit == ("Other reason: Worker on leave",)


def test_reassign_takes_a_uk_effective_date(
    caseload: Caseload, demo: Demo, demo_db_path: Path
) -> None:
    target = demo.roomiest()
    case = next(
        c
        for c in demo.solo_cases(queue="orphaned", not_with=target["staff_id"])
        if c["allocated_on"] is None or c["allocated_on"] < "2026-11-20"
    )

    run = caseload(
        "reassign",
        case["case_ref"],
        "--to",
        target["staff_id"],
        "--reason",
        "LEFTRL",
        "--effective",
        "20/11/2026",
    )

    assert run.status == 0, run.err
    with raw_sqlite(demo_db_path) as connection:
        history = connection.execute(
            "SELECT w.staff_id, a.started_on, a.ended_on FROM allocations a "
            "JOIN cases c ON c.id = a.case_id LEFT JOIN workers w ON w.id = a.worker_id "
            "WHERE c.case_ref = ? ORDER BY a.id DESC LIMIT 2",
            (case["case_ref"],),
        ).fetchall()
    assert history == [
        (target["staff_id"], "2026-11-20", None),
        (case["staff_id"], history[1][1], "2026-11-20"),
    ]


def test_reassign_to_the_queue_leaves_the_case_unallocated(
    caseload: Caseload, caseload_json: CaseloadJson, demo: Demo
) -> None:
    case = next(c for c in demo.cases if c["queue"] == "allocated" and c["category"] == "cin")

    run = caseload("reassign", case["case_ref"], "--to-queue", "--reason", "MANAGE")

    assert run.status == 0, run.err
    assert run.out.splitlines()[0] == (
        f"Moved {case['case_ref']} ({case['child']}) from {case['worker']} to the unallocated "
        "queue."
    )
    assert "now holds" not in run.out
    now = next(c for c in caseload_json("cases") if c["case_ref"] == case["case_ref"])
    assert (now["queue"], now["worker"]) == ("unallocated", None)
    queued = caseload_json("queue")["unallocated"]
    assert next(c for c in queued if c["case_ref"] == case["case_ref"])["days_waiting"] == 0
    last = caseload_json("audit", "--case", case["case_ref"])[-1]
    assert (last["what"], last["from_worker"], last["to_worker"]) == (
        "allocation.ended",
        case["worker"],
        None,
    )


def test_reassign_onto_the_current_worker_says_there_is_nothing_to_do(
    caseload: Caseload, demo: Demo, demo_db_path: Path
) -> None:
    case = next(c for c in demo.cases if c["queue"] == "allocated")
    before = written(demo_db_path)

    run = caseload("reassign", case["case_ref"], "--to", case["staff_id"], "--reason", "MANAGE")

    assert run.status == 0, run.err
    assert f"{case['case_ref']} is already with {case['worker']}: nothing to do." in run.out
    assert "Moved" not in run.out
    assert written(demo_db_path) == before


def split_family(demo: Demo) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The roomiest social worker and a family group whose children are with different workers."""
    target = demo.roomiest()
    groups: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for case in demo.cases:
        group = demo.facts[case["case_ref"]].family_group
        if group is not None:
            groups[group].append(case)
    for _, family in sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])):
        holders = {c["staff_id"] for c in family}
        if len(holders) >= 2 and target["staff_id"] not in holders:
            return target, sorted(family, key=lambda c: c["case_ref"])
    raise AssertionError("the demo has no family split between workers")


def test_reassign_notes_the_siblings_who_stay_with_someone_else(
    caseload: Caseload, caseload_json: CaseloadJson, demo: Demo, demo_db_path: Path
) -> None:
    target, (named, *siblings) = split_family(demo)

    run = caseload(
        "reassign",
        named["case_ref"],
        "--to",
        target["staff_id"],
        "--reason",
        "MANAGE",
        "--accept-over-capacity",
    )

    assert run.status == 0, run.err
    notes = [line for line in run.out.splitlines() if line.startswith("Note:")]
    assert notes == [
        f"Note: {s['child']}'s case {s['case_ref']} (a sibling) stays with "
        f"{s['worker'] or 'the unallocated queue'}; "
        "add --with-siblings to move it too."
        for s in siblings
    ]
    now = {c["case_ref"]: c["staff_id"] for c in caseload_json("cases")}
    assert now[named["case_ref"]] == target["staff_id"]
    assert all(now[s["case_ref"]] == s["staff_id"] for s in siblings)


def test_reassign_with_siblings_moves_the_whole_family(
    caseload_json: CaseloadJson, demo: Demo, demo_db_path: Path
) -> None:
    target, family = split_family(demo)

    data = caseload_json(
        "reassign",
        family[0]["case_ref"],
        "--to",
        target["staff_id"],
        "--reason",
        "MANAGE",
        "--with-siblings",
        "--accept-over-capacity",
    )

    assert [m["case_ref"] for m in data["moved"]] == [c["case_ref"] for c in family]
    assert data["siblings_left"] == []
    now = {c["case_ref"]: c["staff_id"] for c in caseload_json("cases")}
    assert {now[c["case_ref"]] for c in family} == {target["staff_id"]}


# --- The inspection team -------------------------------------------------------------------


def test_moving_ten_orphaned_cases_clears_them_from_the_inspection_teams_queue(
    caseload: Caseload, caseload_json: CaseloadJson
) -> None:
    before = caseload_json("queue", "--team", INSPECTION_TEAM)
    workers = caseload_json("caseloads", "--team", INSPECTION_TEAM)
    target = next(w for w in workers if w["status"] == "active" and w["role"] == "social_worker")
    ten = before["orphaned"][:10]
    refs = [c["case_ref"] for c in ten]

    refused = caseload("reassign", *refs, "--to", target["worker"], "--reason", "LEFTRL")
    assert refused.status == 2
    assert "--accept-over-capacity" in refused.err
    run = caseload(
        "reassign",
        *refs,
        "--to",
        target["worker"],
        "--reason",
        "LEFTRL",
        "--accept-over-capacity",
    )

    assert run.status == 0, run.err
    assert sum(line.startswith("Moved ") for line in run.out.splitlines()) == 10
    after = caseload_json("queue", "--team", INSPECTION_TEAM)
    assert len(after["orphaned"]) == len(before["orphaned"]) - 10
    assert not set(refs) & {c["case_ref"] for c in after["orphaned"]}
    for case in ten:
        events = caseload_json("audit", "--case", case["case_ref"])
        assert len(events) >= 2
        last = events[-1]
        assert {k: last[k] for k in ("what", "case_ref", "from_worker", "to_worker", "reason")} == {
            "what": "allocation.changed",
            "case_ref": case["case_ref"],
            "from_worker": case["worker"],
            "to_worker": target["worker"],
            "reason": "Previous social worker left role",
        }


# --- Refusals: exit 2, one line on stderr, nothing changed ---------------------------------


def refused_requests(demo: Demo) -> dict[str, tuple[list[str], str]]:
    target = demo.roomiest()
    case = demo.solo_cases(queue="orphaned", not_with=target["staff_id"])[0]
    ref, to = case["case_ref"], target["staff_id"]
    leaver = demo.leaver()
    room = Decimal(str(target["capacity"])) - Decimal(str(target["weighted"]))
    heavy: list[str] = []
    carried = Decimal(0)
    for c in demo.cases:
        if carried > room:
            break
        if c["staff_id"] != to:
            heavy.append(c["case_ref"])
            carried += demo.weight(c)
    return {
        "unknown case": (["reassign", "C-999999", "--to", to, "--reason", "MANAGE"], "C-999999"),
        "unknown worker": (
            ["reassign", ref, "--to", "Nobody Known", "--reason", "MANAGE"],
            "No worker with the name or staff ID 'Nobody Known'",
        ),
        "leaver target": (
            ["reassign", ref, "--to", leaver["staff_id"], "--reason", "MANAGE"],
            f"to {leaver['worker']}: {leaver['worker'].split()[0]} left on ",
        ),
        "over capacity": (
            ["reassign", *heavy, "--to", to, "--reason", "MANAGE"],
            "Add --accept-over-capacity to move them anyway.",
        ),
        "impossible date": (
            ["reassign", ref, "--to", to, "--reason", "MANAGE", "--effective", "31/02/2026"],
            "--effective: '31/02/2026' is not a real date.",
        ),
        "month 13": (
            ["reassign", ref, "--to", to, "--reason", "MANAGE", "--effective", "2026-13-01"],
            "--effective: '2026-13-01' is not a real date.",
        ),
        "words for a date": (
            ["reassign", ref, "--to", to, "--reason", "MANAGE", "--effective", "tomorrow"],
            "--effective: 'tomorrow' is not a date; write it as YYYY-MM-DD or DD/MM/YYYY.",
        ),
        "future date": (
            ["reassign", ref, "--to", to, "--reason", "MANAGE", "--effective", "27/11/2026"],
            "The effective date 27 Nov 2026 is in the future.",
        ),
        "no reason": (
            ["reassign", ref, "--to", to],
            "the following arguments are required: --reason",
        ),
        "other without words": (
            ["reassign", ref, "--to", to, "--reason", "OTHERS"],
            "The reason is 'other': say what it is.",
        ),
        "both targets": (
            ["reassign", ref, "--to", to, "--to-queue", "--reason", "MANAGE"],
            "not allowed with argument",
        ),
        "no target": (
            ["reassign", ref, "--reason", "MANAGE"],
            "one of the arguments --to --to-queue is required",
        ),
    }


REFUSALS = [
    "unknown case",
    "unknown worker",
    "leaver target",
    "over capacity",
    "impossible date",
    "month 13",
    "words for a date",
    "future date",
    "no reason",
    "other without words",
    "both targets",
    "no target",
]


@pytest.mark.parametrize("refusal", REFUSALS)
def test_reassign_refuses_with_exit_2_one_line_on_stderr_and_changes_nothing(
    caseload: Caseload, demo: Demo, demo_db_path: Path, refusal: str
) -> None:
    argv, says = refused_requests(demo)[refusal]
    before = written(demo_db_path)

    run = caseload(*argv)

    assert run.status == 2
    assert run.out == ""
    assert run.err.count("\n") == 1
    assert run.err.startswith("caseload: error: ")
    assert says in run.err
    assert written(demo_db_path) == before


def test_the_refusal_of_an_over_capacity_move_gives_the_numbers(
    caseload: Caseload, demo: Demo
) -> None:
    argv, _ = refused_requests(demo)["over capacity"]
    run = caseload(*argv)
    target = demo.roomiest()
    assert re.search(
        rf"{target['worker']} would carry \d+\.\d weighted points against a capacity of "
        rf"{target['capacity']:.1f} \(\d+% of capacity\)\. Nothing was moved\.",
        run.err,
    )


# --- parse_date, behind --effective --------------------------------------------------------


@PROPERTY_SETTINGS
@given(day=st.dates())
def test_any_date_reads_back_from_iso_and_uk_forms(day: dt.date) -> None:
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.day:02d}/{day.month:02d}/{day.year:04d}") == day
    assert parse_date(f" {day.day}/{day.month}/{day.year:04d} ") == day


def test_a_slashed_date_is_day_first_never_month_first() -> None:
    assert parse_date("03/04/2026") == dt.date(2026, 4, 3)
    with pytest.raises(ValueError, match="not a real date"):
        parse_date("12/25/2026")


@PROPERTY_SETTINGS
@given(
    year=st.integers(min_value=1900, max_value=2100), day=st.integers(min_value=30, max_value=31)
)
def test_the_thirtieth_and_thirty_first_of_february_are_refused(year: int, day: int) -> None:
    with pytest.raises(ValueError, match="is not a real date"):
        parse_date(f"{day}/02/{year}")


def test_an_unpadded_iso_date_is_not_called_unreal() -> None:
    try:
        assert parse_date("2026-1-5") == dt.date(2026, 1, 5)
    except ValueError as error:
        assert "not a real date" not in str(error)


def test_reassign_takes_a_common_reason_in_the_managers_words(
    caseload: Caseload, demo: Demo, demo_db_path: Path
) -> None:
    target = demo.roomiest()
    case = demo.solo_cases(queue="allocated", not_with=target["staff_id"])[0]

    run = caseload(
        "reassign", case["case_ref"], "--to", target["staff_id"], "--reason", "skills match"
    )

    assert run.status == 0, run.err
    with raw_sqlite(demo_db_path) as connection:
        allocation = connection.execute(
            "SELECT reason_code, reason_text FROM allocations ORDER BY id DESC LIMIT 1"
        ).fetchone()
    assert allocation == ("MANAGE", "Skills match")
