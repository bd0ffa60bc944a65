"""The ``caseload`` command line: what each command prints, and how it refuses bad input.

Most tests call ``cli.main(argv, out=...)`` in-process on a copy of the session's demo database
(1000 cases, seed 7, as at 26 Nov 2026); a few run the installed console script to show what a
user sees in a terminal. New demos are generated only where generation is what is tested.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import io
import json
import random
import re
import sqlite3
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command

from caseload_desktop import cli
from caseload_desktop.domain.categories import Category, Employment, Role
from caseload_desktop.domain.practice import DEFAULT_WEIGHTS
from caseload_desktop.errors import DatabaseBusy
from caseload_desktop.store import engine as store_engine
from caseload_desktop.store.engine import (
    Database,
    MigrationReport,
    alembic_config,
    head_revision,
    make_engine,
)

TODAY = dt.date(2026, 11, 26)
INSPECTION_TEAM = "Assessment and Intervention North"
CATEGORIES = {c.value for c in Category}
CASE_REF = re.compile(r"C-\d+")
CONSOLE_SCRIPT = Path(sys.executable).with_name("caseload")


# --- Helpers -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Run:
    status: int
    out: str
    err: str


Caseload = Callable[..., Run]
CaseloadJson = Callable[..., Any]


@pytest.fixture
def caseload(capsys: pytest.CaptureFixture[str]) -> Caseload:
    """Run ``caseload ARGS...`` in-process; returns its exit status, stdout and stderr."""

    def run(*argv: object) -> Run:
        capsys.readouterr()
        out = io.StringIO()
        status = cli.main([str(a) for a in argv], out=out)
        return Run(status, out.getvalue(), capsys.readouterr().err)

    return run


@pytest.fixture
def caseload_json(caseload: Caseload) -> CaseloadJson:
    """Run ``caseload ARGS... --json``, check it succeeded and return the parsed output."""

    def run(*argv: object) -> Any:
        result = caseload(*argv, "--json")
        assert result.status == 0, result.err
        assert result.err == ""
        return json.loads(result.out)

    return run


def assert_refused(result: Run, *words: str, status: int = 2) -> None:
    """One ``caseload: error:`` line on stderr naming the problem, nothing on stdout."""
    assert result.status == status, result
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("caseload: error: ")
    for word in words:
        assert word in lines[0]
    assert "Traceback" not in result.err


def assert_usage_error(result: Run, *words: str) -> None:
    """argparse mistakes: one error line that points at the command's --help."""
    assert result.status == 2, result
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("caseload: error: ")
    for word in (*words, "--help"):
        assert word in lines[0]
    assert "Traceback" not in result.err


def files_under(*folders: Path) -> dict[Path, bytes]:
    """Every file under ``folders`` with its bytes: compare before and after a command."""
    return {
        path: path.read_bytes()
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def user_files(folder: Path) -> dict[Path, bytes]:
    """``files_under(folder)`` without SQLite's ``-wal``/``-shm`` files.

    In-process, a read command leaves these beside the database (it never closes it; see
    ``test_a_read_command_closes_the_database_before_returning``); what matters here is that
    the database itself and the rest of the folder are unchanged.
    """
    return {
        path: data
        for path, data in files_under(folder).items()
        if not path.name.endswith(("-wal", "-shm"))
    }


def data_dir() -> Path:
    from caseload_desktop import locations

    return locations.data_dir()


def revision_of(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        return str(conn.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def set_revision(path: Path, revision: str) -> None:
    """Stamp a revision with sqlite3, checkpointed so the main file holds everything."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        conn.commit()
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def downgrade_to_0001(path: Path) -> None:
    """Take a head database back to revision 0001 the way Alembic would."""
    config = alembic_config()
    engine = make_engine(path)
    try:
        with engine.execution_options(sqlite_begin="IMMEDIATE").connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
            connection.commit()
    finally:
        engine.dispose()
    assert revision_of(path) == "0001"


@contextlib.contextmanager
def write_lock_held(path: Path) -> Iterator[None]:
    """Another program holding the write lock (``BEGIN IMMEDIATE``) until the block ends."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()


def parse_table(lines: list[str]) -> list[dict[str, str]]:
    """Read a table printed by the CLI, checking that it is aligned on its dashes line.

    Each column is a run of dashes; columns are two spaces apart; every header and cell starts
    at its column and fits inside it.
    """
    header, dashes, *rows = lines
    assert re.fullmatch(r"-+(  -+)*", dashes), dashes
    spans = [m.span() for m in re.finditer(r"-+", dashes)]
    names = [header[start:end].strip() for start, end in spans]
    assert all(names), header
    parsed = []
    for line in [header, *rows]:
        assert len(line) <= len(dashes), line
        for start, _end in spans[1:]:
            if len(line) > start:
                assert line[start - 2 : start] == "  ", (line, start)
        parsed.append({n: line[s:e].strip() for n, (s, e) in zip(names, spans, strict=True)})
    assert parsed[0] == dict(zip(names, names, strict=True))
    return parsed[1:]


def base_weight(categories: list[str]) -> Decimal:
    return sum((DEFAULT_WEIGHTS[Category(c)] for c in categories), Decimal(0))


# --- init ----------------------------------------------------------------------------------


def test_init_creates_an_empty_database_at_head(
    caseload: Caseload, caseload_json: CaseloadJson, tmp_path: Path
) -> None:
    path = tmp_path / "team.db"

    result = caseload("init", "--db", path)

    assert result.status == 0, result.err
    assert result.err == ""
    assert str(path) in result.out
    assert f"schema revision {head_revision()}" in result.out
    assert revision_of(path) == head_revision()
    assert caseload_json("queue", "--db", path) == {
        "team": None,
        "as_at": TODAY.isoformat(),
        "orphaned": [],
        "unallocated": [],
        "held_by_manager": [],
    }
    assert caseload_json("cases", "--db", path) == []


def test_init_on_an_existing_file_is_refused_and_leaves_it_byte_for_byte_unchanged(
    caseload: Caseload, demo_db_path: Path
) -> None:
    before = user_files(demo_db_path.parent)

    result = caseload("init", "--db", demo_db_path)

    assert_refused(result, str(demo_db_path), "already exists")
    assert user_files(demo_db_path.parent) == before


# --- migrate -------------------------------------------------------------------------------


def test_migrate_says_a_head_database_is_up_to_date_and_makes_no_backup(
    caseload: Caseload, demo_db_path: Path
) -> None:
    before = demo_db_path.read_bytes()

    result = caseload("migrate", "--db", demo_db_path)

    assert result.status == 0, result.err
    assert "up to date" in result.out
    assert head_revision() in result.out
    assert not (demo_db_path.parent / "backups").exists()
    assert demo_db_path.read_bytes() == before


def test_migrate_upgrades_a_0001_database_to_head_keeping_its_cases_and_a_backup(
    caseload: Caseload, caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    cases_before = caseload_json("cases", "--db", demo_db_path)
    downgrade_to_0001(demo_db_path)

    result = caseload("migrate", "--db", demo_db_path)

    assert result.status == 0, result.err
    assert result.err == ""
    assert "0001" in result.out
    assert head_revision() in result.out
    backup_line = next(line for line in result.out.splitlines() if line.startswith("Backup"))
    backup = Path(backup_line.split(": ", 1)[1])
    assert backup.is_file()
    assert backup.parent == demo_db_path.parent / "backups"
    assert revision_of(backup) == "0001"
    assert revision_of(demo_db_path) == head_revision()
    assert caseload_json("cases", "--db", demo_db_path) == cases_before


def test_migrate_of_a_missing_database_is_refused_and_creates_nothing(
    caseload: Caseload, tmp_path: Path
) -> None:
    path = tmp_path / "missing.db"

    result = caseload("migrate", "--db", path)

    assert_refused(result, "No database at", str(path), "caseload init")
    assert files_under(tmp_path, data_dir()) == {}


# --- demo ----------------------------------------------------------------------------------


def test_demo_reports_what_it_generated(caseload: Caseload, tmp_path: Path) -> None:
    path = tmp_path / "demo.db"

    result = caseload("demo", "--db", path, "--seed", 3, "--cases", 200)

    assert result.status == 0, result.err
    summary = re.search(
        r"(\d+) teams, (\d+) workers \((\d+) leavers\), (\d+) cases, (\d+) family groups "
        r"\(seed 3, as at 26 Nov 2026\)",
        result.out,
    )
    assert summary is not None, result.out
    teams, workers, leavers, cases, family_groups = map(int, summary.groups())
    assert teams >= 5
    assert workers >= 30
    assert 0 < leavers < workers
    assert cases == 200
    assert family_groups > 0
    # 200 cases are too few for the full inspection state, and the output says so.
    assert "inspection found" not in result.out
    assert "needs --cases 990 or more" in result.out
    assert revision_of(path) == head_revision()


def test_demo_is_deterministic_for_a_seed_and_differs_between_seeds(
    caseload: Caseload, tmp_path: Path
) -> None:
    def generate(name: str, seed: int) -> tuple[str, str]:
        path = tmp_path / name
        assert caseload("demo", "--db", path, "--seed", seed, "--cases", 200).status == 0
        cases = caseload("cases", "--db", path, "--json")
        caseloads = caseload("caseloads", "--db", path, "--json")
        assert cases.status == caseloads.status == 0
        return cases.out, caseloads.out

    first = generate("first.db", 11)
    again = generate("again.db", 11)
    other = generate("other.db", 12)

    assert first == again
    assert first[0] != other[0]
    assert first[1] != other[1]


def test_demo_service_has_teams_staff_of_every_kind_leavers_and_all_six_categories(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    workers = caseload_json("caseloads", "--db", demo_db_path)
    cases = caseload_json("cases", "--db", demo_db_path)

    assert len({w["team"] for w in workers}) >= 5
    assert len(workers) >= 40
    assert {Employment.AGENCY.value, Employment.PERMANENT.value} <= {
        w["employment"] for w in workers
    }
    assert {Role.ASYE.value, Role.STUDENT.value, Role.TEAM_MANAGER.value} <= {
        w["role"] for w in workers
    }
    assert "left" in {w["status"] for w in workers}
    assert {c["category"] for c in cases} == CATEGORIES


def test_demo_service_has_sibling_groups(demo_db_path: Path) -> None:
    with contextlib.closing(sqlite3.connect(demo_db_path)) as conn:
        sizes = [
            n
            for (n,) in conn.execute(
                "SELECT count(*) FROM children WHERE family_group_id IS NOT NULL"
                " GROUP BY family_group_id"
            )
        ]
    assert len(sizes) >= 10
    assert min(sizes) >= 2


def test_demo_with_fewer_than_60_cases_is_refused_and_creates_nothing(
    caseload: Caseload, tmp_path: Path
) -> None:
    result = caseload("demo", "--db", tmp_path / "demo.db", "--cases", 59)

    assert_refused(result, "--cases", "60", "59")
    assert files_under(tmp_path, data_dir()) == {}


def test_demo_over_an_existing_database_is_refused_and_leaves_it_unchanged(
    caseload: Caseload, demo_db_path: Path
) -> None:
    before = user_files(demo_db_path.parent)

    result = caseload("demo", "--db", demo_db_path, "--cases", 200)

    assert_refused(result, str(demo_db_path), "already exists")
    assert user_files(demo_db_path.parent) == before


# --- The inspection-state team -------------------------------------------------------------


def test_queue_json_for_the_inspection_team_has_230_plus_orphaned_or_unallocated(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    queue = caseload_json("queue", "--db", demo_db_path, "--team", INSPECTION_TEAM)

    assert queue["team"] == INSPECTION_TEAM
    assert len(queue["orphaned"]) + len(queue["unallocated"]) >= 230
    rows = queue["orphaned"] + queue["unallocated"] + queue["held_by_manager"]
    assert {r["team"] for r in rows} == {INSPECTION_TEAM}


def test_inspection_team_manager_holds_30_plus_cases(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    held = caseload_json("queue", "--db", demo_db_path, "--team", INSPECTION_TEAM)[
        "held_by_manager"
    ]
    workers = caseload_json("caseloads", "--db", demo_db_path, "--team", INSPECTION_TEAM)

    assert len(held) >= 30
    (manager_name,) = {r["worker"] for r in held}
    (manager,) = [w for w in workers if w["worker"] == manager_name]
    assert manager["role"] == Role.TEAM_MANAGER.value
    assert manager["cases"] >= 30
    assert manager["cases"] == len(held)
    assert manager["rag"] == "red"  # a manager's capacity is zero: any held case is red


# --- JSON shapes ---------------------------------------------------------------------------


def _is_date(value: object) -> bool:
    return isinstance(value, str) and dt.date.fromisoformat(value).isoformat() == value


def _check_case_row(row: dict[str, Any]) -> None:
    assert CASE_REF.fullmatch(row["case_ref"])
    assert isinstance(row["child"], str)
    assert row["child"]
    assert isinstance(row["team"], str)
    assert row["team"]
    assert row["category"] in CATEGORIES


def test_queue_json_has_the_documented_shape(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    queue = caseload_json("queue", "--db", demo_db_path)

    assert isinstance(queue, dict)
    assert {"orphaned", "unallocated", "held_by_manager"} <= queue.keys()
    assert all(queue[key] for key in ("orphaned", "unallocated", "held_by_manager"))
    for row in queue["orphaned"]:
        _check_case_row(row)
        assert isinstance(row["worker"], str)
        assert row["worker_left_on"] is None or _is_date(row["worker_left_on"])
    for row in queue["unallocated"]:
        _check_case_row(row)
        assert type(row["days_waiting"]) is int
        assert row["days_waiting"] >= 0
    for row in queue["held_by_manager"]:
        _check_case_row(row)
        assert isinstance(row["worker"], str)


def test_caseloads_json_has_the_documented_shape(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    workers = caseload_json("caseloads", "--db", demo_db_path)

    assert isinstance(workers, list)
    assert workers
    roles = {r.value for r in Role}
    employments = {e.value for e in Employment}
    for row in workers:
        assert isinstance(row["worker"], str)
        assert re.fullmatch(r"S\d+", row["staff_id"])
        assert isinstance(row["team"], str)
        assert row["role"] in roles
        assert row["employment"] in employments
        assert 0 < row["fte"] <= 1
        assert row["status"] in {"active", "left", "inactive"}
        assert type(row["cases"]) is int
        assert row["cases"] >= 0
        assert row["weighted"] >= 0
        assert row["capacity"] >= 0
        assert row["rag"] in {"green", "amber", "red"}


def test_cases_json_has_the_documented_shape(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    cases = caseload_json("cases", "--db", demo_db_path)

    assert isinstance(cases, list)
    assert len(cases) == 1000
    assert len({c["case_ref"] for c in cases}) == len(cases)
    for row in cases:
        _check_case_row(row)
        assert row["worker"] is None or isinstance(row["worker"], str)
        # An allocation date belongs to a worker: none while the case waits in the queue.
        assert (row["allocated_on"] is None) == (row["worker"] is None)
        assert row["allocated_on"] is None or _is_date(row["allocated_on"])
        assert row["next_visit_due"] is None or _is_date(row["next_visit_due"])
    assert any(row["worker"] is None for row in cases)


def test_audit_json_lists_events_oldest_first_with_the_documented_fields(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    events = caseload_json("audit", "--db", demo_db_path)

    assert events
    for event in events:
        assert {
            "when",
            "who",
            "what",
            "case_ref",
            "from_worker",
            "to_worker",
            "reason",
        } <= event.keys()
        assert isinstance(event["who"], str)
        assert isinstance(event["what"], str)
        assert isinstance(event["reason"], str)
        for key in ("case_ref", "from_worker", "to_worker"):
            assert event[key] is None or isinstance(event[key], str)
    instants = [dt.datetime.fromisoformat(e["when"]) for e in events]
    assert all(when.tzinfo is not None for when in instants)
    assert instants == sorted(instants)


def test_audit_for_one_case_lists_only_that_case_whatever_the_letter_case(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    everything = caseload_json("audit", "--db", demo_db_path)
    ref = next(e["case_ref"] for e in everything if e["case_ref"])
    expected = [e for e in everything if e["case_ref"] == ref]

    assert caseload_json("audit", "--db", demo_db_path, "--case", ref) == expected
    assert caseload_json("audit", "--db", demo_db_path, "--case", ref.lower()) == expected


# --- Consistency between commands ----------------------------------------------------------


def test_queues_of_every_team_add_up_to_the_queue_of_all_teams(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    everything = caseload_json("queue", "--db", demo_db_path)
    teams = {c["team"] for c in caseload_json("cases", "--db", demo_db_path)}
    assert len(teams) >= 5

    by_team: dict[str, set[str]] = defaultdict(set)
    for team in teams:
        queue = caseload_json("queue", "--db", demo_db_path, "--team", team)
        for key in ("orphaned", "unallocated", "held_by_manager"):
            by_team[key] |= {r["case_ref"] for r in queue[key]}
            assert {r["team"] for r in queue[key]} <= {team}

    for key in ("orphaned", "unallocated", "held_by_manager"):
        assert by_team[key] == {r["case_ref"] for r in everything[key]}
        assert len(everything[key]) == len(by_team[key])


def test_cases_for_a_staff_id_are_all_that_workers_and_match_their_caseload(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    workers = caseload_json("caseloads", "--db", demo_db_path)
    worker = max(workers, key=lambda w: w["cases"])

    cases = caseload_json("cases", "--db", demo_db_path, "--worker", worker["staff_id"])

    assert len(cases) == worker["cases"] > 0
    assert {c["worker"] for c in cases} == {worker["worker"]}
    assert {c["staff_id"] for c in cases} == {worker["staff_id"]}


def test_cases_for_a_worker_by_full_name_match_cases_by_staff_id(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    workers = caseload_json("caseloads", "--db", demo_db_path)
    worker = next(w for w in workers if w["status"] == "left")
    by_id = caseload_json("cases", "--db", demo_db_path, "--worker", worker["staff_id"])

    # A manager types the name as it comes: any letter case, stray spaces.
    typed = "  " + worker["worker"].upper().replace(" ", "   ") + " "
    by_name = caseload_json("cases", "--db", demo_db_path, "--worker", typed)
    by_lower_id = caseload_json(
        "cases", "--db", demo_db_path, "--worker", worker["staff_id"].lower()
    )

    assert by_id
    assert by_name == by_id
    assert by_lower_id == by_id


def test_orphaned_cases_name_a_leaver_who_left_before_today_or_an_inactive_worker(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    orphaned = caseload_json("queue", "--db", demo_db_path)["orphaned"]
    status = {w["staff_id"]: w for w in caseload_json("caseloads", "--db", demo_db_path)}

    assert orphaned
    for row in orphaned:
        worker = status[row["staff_id"]]
        if row["worker_left_on"] is None:
            assert worker["status"] == "inactive"
        else:
            assert dt.date.fromisoformat(row["worker_left_on"]) < TODAY
            assert worker["status"] == "left"
            assert worker["left_on"] == row["worker_left_on"]


def test_weighted_load_is_the_sum_of_case_weights_plus_whole_points_for_court(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    categories: dict[str, list[str]] = defaultdict(list)
    for case in caseload_json("cases", "--db", demo_db_path):
        if case["staff_id"] is not None:
            categories[case["staff_id"]].append(case["category"])
    workers = caseload_json("caseloads", "--db", demo_db_path)

    court_points = Decimal(0)
    for worker in workers:
        held = categories.get(worker["staff_id"], [])
        weighted = Decimal(str(worker["weighted"]))
        base = base_weight(held)
        assert worker["cases"] == len(held)
        assert weighted >= base
        assert (weighted - base) == (weighted - base).to_integral_value()
        court_points += weighted - base
    assert court_points > 0  # some demo cases are in court proceedings


# --- Tables --------------------------------------------------------------------------------


def test_caseloads_table_is_aligned_and_matches_the_json(
    caseload: Caseload, caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    workers = caseload_json("caseloads", "--db", demo_db_path, "--team", INSPECTION_TEAM)

    result = caseload("caseloads", "--db", demo_db_path, "--team", INSPECTION_TEAM)

    assert result.status == 0, result.err
    rows = parse_table(result.out.splitlines())
    assert [r["Worker"] for r in rows] == [w["worker"] for w in workers]
    assert [r["Staff ID"] for r in rows] == [w["staff_id"] for w in workers]
    assert {r["Team"] for r in rows} == {INSPECTION_TEAM}
    assert [int(r["Cases"]) for r in rows] == [w["cases"] for w in workers]
    assert [r["RAG"] for r in rows] == [w["rag"].upper() for w in workers]


def test_cases_table_is_aligned_and_names_team_and_worker(
    caseload: Caseload, caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    cases = caseload_json("cases", "--db", demo_db_path, "--team", INSPECTION_TEAM)

    result = caseload("cases", "--db", demo_db_path, "--team", INSPECTION_TEAM)

    assert result.status == 0, result.err
    rows = parse_table(result.out.splitlines())
    assert [r["Case"] for r in rows] == [c["case_ref"] for c in cases]
    assert {r["Team"] for r in rows} == {INSPECTION_TEAM}
    for row, case in zip(rows, cases, strict=True):
        assert row["Child"] == case["child"]
        assert row["Worker"] == (case["worker"] or "(unallocated)")


def test_queue_table_counts_match_the_json_and_each_section_is_aligned(
    caseload: Caseload, caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    queue = caseload_json("queue", "--db", demo_db_path, "--team", INSPECTION_TEAM)

    result = caseload("queue", "--db", demo_db_path, "--team", INSPECTION_TEAM)

    assert result.status == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == (
        f"Queues for {INSPECTION_TEAM} as at 26 Nov 2026: {len(queue['orphaned'])} orphaned, "
        f"{len(queue['unallocated'])} unallocated, "
        f"{len(queue['held_by_manager'])} held by manager."
    )
    sections = result.out.split("\n\n")[1:]
    assert len(sections) == 3
    for section, key in zip(sections, ("orphaned", "unallocated", "held_by_manager"), strict=True):
        title, *table = section.splitlines()
        assert title.endswith(f": {len(queue[key])}")
        rows = parse_table(table)
        assert [r["Case"] for r in rows] == [r["case_ref"] for r in queue[key]]
        assert {r["Team"] for r in rows} == {INSPECTION_TEAM}
    held_names = {r["worker"] for r in queue["held_by_manager"]}
    assert all(name in sections[2] for name in held_names)


# --- Where the database is -----------------------------------------------------------------


def test_db_option_works_before_and_after_the_command(
    caseload: Caseload, demo_db_path: Path
) -> None:
    before = caseload("--db", demo_db_path, "queue", "--json")
    after = caseload("queue", "--db", demo_db_path, "--json")

    assert before.status == after.status == 0
    assert before.out == after.out
    assert json.loads(before.out)["orphaned"]


def test_caseload_db_variable_is_used_when_no_db_option_is_given(
    caseload: Caseload, demo_db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = caseload("cases", "--db", demo_db_path, "--json").out
    monkeypatch.setenv("CASELOAD_DB", str(demo_db_path))

    result = caseload("cases", "--json")

    assert result.status == 0, result.err
    assert result.out == expected


def test_db_option_wins_over_the_caseload_db_variable(
    caseload: Caseload, demo_db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASELOAD_DB", str(tmp_path / "elsewhere.db"))

    result = caseload("queue", "--db", demo_db_path, "--json")

    assert result.status == 0, result.err
    assert not (tmp_path / "elsewhere.db").exists()


def test_without_db_option_or_variable_the_data_folder_team_db_is_used(
    caseload: Caseload,
) -> None:
    result = caseload("queue")

    assert_refused(result, "No database at", str(data_dir() / "team.db"))
    assert files_under(data_dir()) == {}


# --- Bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("command_name", ["queue", "caseloads", "cases", "audit"])
def test_a_read_command_on_a_missing_database_is_refused_and_creates_nothing(
    caseload: Caseload, tmp_path: Path, command_name: str
) -> None:
    path = tmp_path / "no-such.db"

    result = caseload(command_name, "--db", path)

    assert_refused(result, "No database at", str(path))
    assert files_under(tmp_path, data_dir()) == {}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        pytest.param(random.Random(1).randbytes(8192), ["not an SQLite file"], id="random-bytes"),
        pytest.param(
            b"case_ref,child,worker\nC-1,Ada Marsh,Sam Reid\n",
            ["not an SQLite file"],
            id="csv-text",
        ),
        pytest.param(b"", ["empty (0 bytes)"], id="zero-length"),
        pytest.param(
            b"SQLite format 3\x00" + random.Random(2).randbytes(8176),
            ["damaged or not a database"],
            id="sqlite-header-then-garbage",
        ),
    ],
)
@pytest.mark.parametrize("command_name", ["queue", "migrate"])
def test_a_file_that_is_not_a_database_is_refused_and_left_byte_for_byte_unchanged(
    caseload: Caseload, tmp_path: Path, content: bytes, words: list[str], command_name: str
) -> None:
    path = tmp_path / "team.db"
    path.write_bytes(content)

    result = caseload(command_name, "--db", path)

    assert_refused(result, str(path), *words)
    assert files_under(tmp_path, data_dir()) == {path: content}


def test_a_folder_given_as_the_database_is_refused(caseload: Caseload, tmp_path: Path) -> None:
    result = caseload("cases", "--db", tmp_path)

    assert_refused(result, str(tmp_path), "folder")
    assert files_under(tmp_path, data_dir()) == {}


@pytest.mark.parametrize("command_name", ["queue", "caseloads", "cases"])
def test_an_unknown_team_is_refused_naming_it_and_the_teams_there_are(
    caseload: Caseload, demo_db_path: Path, command_name: str
) -> None:
    before = user_files(demo_db_path.parent)

    result = caseload(command_name, "--db", demo_db_path, "--team", "No Such Team")

    assert_refused(result, "'No Such Team'", INSPECTION_TEAM)
    assert user_files(demo_db_path.parent) == before


def test_an_unknown_worker_is_refused_naming_them(caseload: Caseload, demo_db_path: Path) -> None:
    before = user_files(demo_db_path.parent)

    result = caseload("cases", "--db", demo_db_path, "--worker", "nobody")

    assert_refused(result, "'nobody'")
    assert user_files(demo_db_path.parent) == before


def test_an_unknown_case_is_refused_by_audit_naming_it(
    caseload: Caseload, demo_db_path: Path
) -> None:
    before = user_files(demo_db_path.parent)

    result = caseload("audit", "--db", demo_db_path, "--case", "C-0")

    assert_refused(result, "'C-0'")
    assert user_files(demo_db_path.parent) == before


def test_an_unknown_command_is_a_usage_error(caseload: Caseload, tmp_path: Path) -> None:
    result = caseload("--db", tmp_path / "team.db", "reasign")

    assert_usage_error(result, "invalid choice", "'reasign'")
    assert files_under(tmp_path, data_dir()) == {}


def test_no_command_at_all_is_a_usage_error(caseload: Caseload) -> None:
    assert_usage_error(caseload(), "COMMAND")


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--cases", "abc", ["--cases", "whole number", "'abc'"]),
        ("--seed", "-1", ["--seed", "0 or more", "-1"]),
    ],
)
def test_a_demo_number_that_is_not_a_whole_number_is_a_usage_error_and_creates_nothing(
    caseload: Caseload, tmp_path: Path, option: str, value: str, words: list[str]
) -> None:
    result = caseload("demo", "--db", tmp_path / "demo.db", option, value)

    assert_usage_error(result, *words)
    assert files_under(tmp_path, data_dir()) == {}


def test_a_caseload_today_not_written_yyyy_mm_dd_is_refused_and_changes_nothing(
    caseload: Caseload, demo_db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASELOAD_TODAY", "31/12/2026")
    before = user_files(demo_db_path.parent)

    for argv in (["queue"], ["caseloads"], ["cases"]):
        assert_refused(caseload(*argv, "--db", demo_db_path), "CASELOAD_TODAY", "'31/12/2026'")
    assert user_files(demo_db_path.parent) == before

    assert_refused(caseload("demo", "--db", demo_db_path.parent / "new.db"), "CASELOAD_TODAY")
    assert user_files(demo_db_path.parent) == before


def test_a_database_from_a_newer_version_is_refused_and_left_byte_for_byte_unchanged(
    caseload: Caseload, tmp_path: Path
) -> None:
    path = tmp_path / "team.db"
    assert caseload("init", "--db", path).status == 0
    set_revision(path, "9999")
    before = path.read_bytes()

    for command_name in ("queue", "migrate"):
        result = caseload(command_name, "--db", path)
        assert_refused(result, str(path), "newer", "9999")

    assert path.read_bytes() == before
    assert revision_of(path) == "9999"


def test_refusing_a_database_from_a_newer_version_creates_no_files_beside_it(
    caseload: Caseload, tmp_path: Path
) -> None:
    path = tmp_path / "team.db"
    assert caseload("init", "--db", path).status == 0
    set_revision(path, "9999")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["team.db"]

    assert caseload("queue", "--db", path).status == 2

    assert sorted(p.name for p in tmp_path.iterdir()) == ["team.db"]


def test_console_script_migrate_of_an_up_to_date_database_creates_no_files_beside_it(
    demo_db_path: Path,
) -> None:
    assert sorted(p.name for p in demo_db_path.parent.iterdir()) == [demo_db_path.name]

    result = _run_script("migrate", "--db", demo_db_path)

    assert result.status == 0, result.err
    assert sorted(p.name for p in demo_db_path.parent.iterdir()) == [demo_db_path.name]


@pytest.fixture
def opened_databases(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Database]]:
    """Every Database the CLI opens, kept alive so what it left open can be checked."""
    opened: list[Database] = []

    def recording_open(*args: Any, **kwargs: Any) -> tuple[Database, MigrationReport]:
        db, report = store_engine.open_database(*args, **kwargs)
        opened.append(db)
        return db, report

    monkeypatch.setattr(cli, "open_database", recording_open)
    yield opened
    for db in opened:
        db.close()


@pytest.mark.parametrize("command_name", ["queue", "caseloads", "cases", "audit"])
def test_a_read_command_closes_the_database_before_returning(
    caseload: Caseload,
    demo_db_path: Path,
    opened_databases: list[Database],
    command_name: str,
) -> None:
    assert caseload(command_name, "--db", demo_db_path).status == 0

    assert len(opened_databases) == 1
    assert opened_databases[0].engine.pool.checkedin() == 0
    assert sorted(p.name for p in demo_db_path.parent.iterdir()) == [demo_db_path.name]


def test_migrate_closes_the_database_before_returning(
    caseload: Caseload, demo_db_path: Path, opened_databases: list[Database]
) -> None:
    assert caseload("migrate", "--db", demo_db_path).status == 0

    assert len(opened_databases) == 1
    assert opened_databases[0].engine.pool.checkedin() == 0


# --- A busy database -----------------------------------------------------------------------


@pytest.fixture
def db_at_0001(demo_db_path: Path) -> Path:
    downgrade_to_0001(demo_db_path)
    return demo_db_path


def test_migrate_while_another_program_writes_says_busy_exits_1_and_stays_at_0001(
    caseload: Caseload, db_at_0001: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # open_database binds DEFAULT_BUSY_TIMEOUT as its default when it is defined, so patching
    # the module constant does not shorten the wait; give the CLI a shorter timeout instead.
    monkeypatch.setattr(
        cli, "open_database", functools.partial(store_engine.open_database, busy_timeout=0.3)
    )

    with write_lock_held(db_at_0001):
        result = caseload("migrate", "--db", db_at_0001)

    assert_refused(result, str(db_at_0001), "busy", status=1)
    assert revision_of(db_at_0001) == "0001"
    (backup,) = (db_at_0001.parent / "backups").iterdir()
    assert revision_of(backup) == "0001"
    # Once the other program is done, the same command succeeds.
    retry = caseload("migrate", "--db", db_at_0001)
    assert retry.status == 0, retry.err
    assert revision_of(db_at_0001) == head_revision()


def test_open_database_with_a_short_busy_timeout_raises_database_busy(
    db_at_0001: Path,
) -> None:
    with (
        write_lock_held(db_at_0001),
        pytest.raises(DatabaseBusy, match="is busy: another program is writing"),
    ):
        store_engine.open_database(db_at_0001, busy_timeout=0.3)

    assert revision_of(db_at_0001) == "0001"


def test_read_commands_work_while_another_program_holds_the_write_lock(
    caseload_json: CaseloadJson, demo_db_path: Path
) -> None:
    with write_lock_held(demo_db_path):
        queue = caseload_json("queue", "--db", demo_db_path, "--team", INSPECTION_TEAM)

    assert queue["held_by_manager"]


# --- The installed console script ----------------------------------------------------------


def _run_script(*argv: object) -> Run:
    completed = subprocess.run(
        [str(CONSOLE_SCRIPT), *map(str, argv)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


def test_console_script_on_a_missing_database_prints_one_line_and_exits_2(
    tmp_path: Path,
) -> None:
    path = tmp_path / "missing.db"

    result = _run_script("queue", "--db", path)

    assert_refused(result, "No database at", str(path))
    assert files_under(tmp_path, data_dir()) == {}


def test_console_script_with_an_unknown_team_prints_one_line_and_exits_2(
    demo_db_path: Path,
) -> None:
    before = files_under(demo_db_path.parent)

    result = _run_script("caseloads", "--db", demo_db_path, "--team", "No Such Team")

    assert_refused(result, "'No Such Team'")
    assert files_under(demo_db_path.parent) == before


def test_python_m_with_a_bad_caseload_today_prints_one_line_and_exits_2(
    demo_db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASELOAD_TODAY", "31/12/2026")
    completed = subprocess.run(
        [sys.executable, "-m", "caseload_desktop", "queue", "--db", str(demo_db_path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )

    assert_refused(Run(completed.returncode, completed.stdout, completed.stderr), "CASELOAD_TODAY")
