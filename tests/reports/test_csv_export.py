"""The caseload summary's CSV files (``reports.csv_export``), read back with the csv module.

Summaries come from copies of the session's demo database (1000 cases, seed 7, as at Thursday
26 Nov 2026); what the files must hold is taken from the CLI's read commands (``caseloads``,
``cases``) and the database file. Hostile names are put in with raw SQL, as an import from a
case management system could bring them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from caseload_desktop import cli
from caseload_desktop.domain.categories import Category
from caseload_desktop.errors import BadInput
from caseload_desktop.reports.csv_export import (
    safe_cell,
    sibling_path,
    summary_files,
    write_summary_csv,
)
from caseload_desktop.services import settings as settings_service
from caseload_desktop.services.summaries import (
    ServiceSummary,
    TeamSummary,
    service_summary,
    team_summary,
)
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.store.engine import open_database
from tests.conftest import raw_sqlite

TODAY = dt.date(2026, 11, 26)
BOM = b"\xef\xbb\xbf"
HOSTILE = '=HYPERLINK("http://x")'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER = re.compile(r"\d+(\.\d+)?")
TEAM_FILES = ["", ".orphaned", ".unallocated", ".held_by_manager", ".timescales"]


# --- Helpers -------------------------------------------------------------------------------------


def team_ids(path: Path) -> dict[str, int]:
    with raw_sqlite(path) as connection:
        return dict(connection.execute("SELECT name, id FROM teams ORDER BY name"))


def summary_of(path: Path, team: str | None) -> TeamSummary | ServiceSummary:
    db, _ = open_database(path)
    try:
        rules = settings_service.load_settings(db).rules
        if team is None:
            return service_summary(db, today=TODAY, rules=rules)
        return team_summary(db, team_ids(path)[team], today=TODAY, rules=rules)
    finally:
        db.close()


def read_table(path: Path) -> list[dict[str, str]]:
    """A CSV file as dicts, header first, decoded as Excel would (UTF-8 with a BOM)."""
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def raw_fields(path: Path) -> list[list[str]]:
    """The fields as written, quotes kept (for files without quoted commas or line breaks)."""
    text = path.read_bytes().decode("utf-8-sig")
    return [line.split(",") for line in text.split("\r\n") if line]


def all_cells(paths: list[Path]) -> list[str]:
    cells = []
    for path in paths:
        text = path.read_bytes().decode("utf-8-sig")
        for row in csv.reader(io.StringIO(text, newline="")):
            cells.extend(row)
    return cells


@pytest.fixture
def caseload_json(capsys: pytest.CaptureFixture[str], demo_db_path: Path) -> Callable[..., Any]:
    def run(*argv: str) -> Any:
        out = io.StringIO()
        status = cli.main([*argv, "--json", "--db", str(demo_db_path)], out=out)
        assert status == 0, capsys.readouterr().err
        return json.loads(out.getvalue())

    return run


# --- A team's files ------------------------------------------------------------------------------


def test_a_team_gives_five_files_beside_each_other(demo_db_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "north.csv"
    written = write_summary_csv(summary_of(demo_db_path, INSPECTION_TEAM), target)
    assert written == [sibling_path(target, suffix) for suffix in TEAM_FILES]
    assert [p.name for p in written] == [
        "north.csv",
        "north.orphaned.csv",
        "north.unallocated.csv",
        "north.held_by_manager.csv",
        "north.timescales.csv",
    ]
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in written)


def test_the_workers_file_has_one_row_per_worker_of_the_caseloads_command(
    demo_db_path: Path, tmp_path: Path, caseload_json: Callable[..., Any]
) -> None:
    for team in (INSPECTION_TEAM, "Children in Care South"):
        path = tmp_path / f"{team}.csv"
        write_summary_csv(summary_of(demo_db_path, team), path)
        rows = read_table(path)
        listed = caseload_json("caseloads", "--team", team)
        assert [(r["team"], r["worker"], r["staff_id"]) for r in rows] == [
            (w["team"], w["worker"], w["staff_id"]) for w in listed
        ]
        for row, w in zip(rows, listed, strict=True):
            assert (row["role"], row["employment"], row["status"]) == (
                w["role"],
                w["employment"],
                w["status"],
            )
            assert row["left_on"] == (w["left_on"] or "")
            assert int(row["cases"]) == w["cases"]
            assert sum(int(row[f"cases_{c.value}"]) for c in Category) == w["cases"]
            for c in Category:
                assert int(row[f"cases_{c.value}"]) == w["by_category"].get(c.value, 0)
            assert Decimal(row["weighted"]) == Decimal(str(w["weighted"]))
            assert Decimal(row["capacity"]) == Decimal(str(w["capacity"]))
            assert Decimal(row["fte"]) == Decimal(str(w["fte"]))
            percent = w["percent"]
            assert row["percent"] == ("" if percent is None else str(round(percent)))
            assert row["rag"] == w["rag"]


def test_the_queue_files_hold_the_teams_waiting_cases(
    demo_db_path: Path, tmp_path: Path, caseload_json: Callable[..., Any]
) -> None:
    path = tmp_path / "north.csv"
    write_summary_csv(summary_of(demo_db_path, INSPECTION_TEAM), path)
    queue = caseload_json("queue", "--team", INSPECTION_TEAM)
    orphaned = read_table(sibling_path(path, ".orphaned"))
    assert [(r["case_ref"], r["child"], r["category"], r["worker"]) for r in orphaned] == [
        (q["case_ref"], q["child"], q["category"], q["worker"]) for q in queue["orphaned"]
    ]
    assert [(r["worker_left_on"], int(r["days"])) for r in orphaned] == [
        (q["worker_left_on"], q["days_since_left"]) for q in queue["orphaned"]
    ]
    unallocated = read_table(sibling_path(path, ".unallocated"))
    assert [(r["case_ref"], r["since"], int(r["days"]), r["worker"]) for r in unallocated] == [
        (q["case_ref"], q["waiting_since"], q["days_waiting"], "") for q in queue["unallocated"]
    ]
    held = read_table(sibling_path(path, ".held_by_manager"))
    assert [(r["case_ref"], r["worker"], r["since"]) for r in held] == [
        (q["case_ref"], q["worker"], q["since"]) for q in queue["held_by_manager"]
    ]
    assert {r["team"] for r in orphaned + unallocated + held} == {INSPECTION_TEAM}


def test_the_timescales_file_holds_every_item_of_the_summary(
    demo_db_path: Path, tmp_path: Path
) -> None:
    summary = summary_of(demo_db_path, INSPECTION_TEAM)
    assert isinstance(summary, TeamSummary)
    path = tmp_path / "north.csv"
    write_summary_csv(summary, path)
    rows = read_table(sibling_path(path, ".timescales"))
    assert [
        (r["case_ref"], r["what"], r["due"], r["status"], int(r["working_days"]), r["queue"])
        for r in rows
    ] == [
        (
            d.case_ref,
            d.due.kind.value,
            d.due.due.isoformat(),
            d.due.status.value,
            d.due.working_days,
            d.queue.value,
        )
        for d in summary.due
    ]
    assert sum(1 for r in rows if r["status"] == "overdue") == summary.totals.overdue
    assert all(r["worker"] == "" for r in rows if r["queue"] == "unallocated")


def test_every_file_names_categories_by_the_same_codes(demo_db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "north.csv"
    written = write_summary_csv(summary_of(demo_db_path, INSPECTION_TEAM), path)
    codes = {c.value for c in Category}
    for file in written[1:]:
        used = {r["category"] for r in read_table(file)}
        assert used and used <= codes, (file.name, used - codes)


# --- The format a spreadsheet opens cleanly -------------------------------------------------------


def test_each_file_starts_with_one_byte_order_mark_and_ends_lines_with_crlf(
    demo_db_path: Path, tmp_path: Path
) -> None:
    for path in write_summary_csv(
        summary_of(demo_db_path, INSPECTION_TEAM), tmp_path / "north.csv"
    ):
        data = path.read_bytes()
        assert data.startswith(BOM)
        assert not data[len(BOM) :].startswith(BOM)
        assert data.endswith(b"\r\n")
        assert data.count(b"\n") == data.count(b"\r\n")
        data.decode("utf-8")  # valid UTF-8 throughout


def test_names_with_diacritics_survive_in_utf8(demo_db_path: Path, tmp_path: Path) -> None:
    with raw_sqlite(demo_db_path) as connection:
        staff_id = connection.execute(
            "SELECT w.staff_id FROM workers w JOIN teams t ON t.id = w.team_id "
            "WHERE t.name = ? AND w.role = 'team_manager'",
            (INSPECTION_TEAM,),
        ).fetchone()[0]
        connection.execute(
            "UPDATE workers SET name = ? WHERE staff_id = ?", ("Siân O'Neill-Łukasz", staff_id)
        )
    path = tmp_path / "north.csv"
    write_summary_csv(summary_of(demo_db_path, INSPECTION_TEAM), path)
    assert "Siân O'Neill-Łukasz" in [r["worker"] for r in read_table(path)]
    assert "Siân O'Neill-Łukasz".encode() in path.read_bytes()
    held = read_table(sibling_path(path, ".held_by_manager"))
    assert held and {r["worker"] for r in held} == {"Siân O'Neill-Łukasz"}


def test_dates_are_iso_and_numbers_are_not_quoted(demo_db_path: Path, tmp_path: Path) -> None:
    path = tmp_path / "north.csv"
    written = write_summary_csv(summary_of(demo_db_path, INSPECTION_TEAM), path)
    date_columns = {"left_on", "worker_left_on", "since", "due"}
    number_columns = {
        "fte",
        "cases",
        *(f"cases_{c.value}" for c in Category),
        "weighted",
        "capacity",
        "percent",
        "days",
        "working_days",
    }
    seen_dates = seen_numbers = 0
    for file in written:
        header, *lines = raw_fields(file)
        for line in lines:
            assert len(line) == len(header), (file.name, line)  # no quoted commas in the demo
            for column, field in zip(header, line, strict=True):
                if column in date_columns and field:
                    assert ISO_DATE.fullmatch(field), (file.name, column, field)
                    seen_dates += 1
                if column in number_columns and field:
                    assert NUMBER.fullmatch(field), (file.name, column, field)
                    seen_numbers += 1
    assert seen_dates > 100 and seen_numbers > 100


# --- Formula injection ----------------------------------------------------------------------------


def _rename_worker(path: Path, staff_id: str, name: str) -> None:
    with raw_sqlite(path) as connection:
        connection.execute("UPDATE workers SET name = ? WHERE staff_id = ?", (name, staff_id))


def test_a_hostile_worker_name_is_written_as_text_in_every_file(
    demo_db_path: Path, tmp_path: Path
) -> None:
    before = summary_of(demo_db_path, INSPECTION_TEAM)
    assert isinstance(before, TeamSummary)
    # A leaver whose orphaned cases have timescales overdue: the name is in three files.
    leaver = next(
        d.worker for d in before.due if d.queue.value == "orphaned" and d.worker is not None
    )
    staff_id = next(w.staff_id for w in before.workers if w.worker == leaver)
    _rename_worker(demo_db_path, staff_id, HOSTILE)

    path = tmp_path / "north.csv"
    written = write_summary_csv(summary_of(demo_db_path, INSPECTION_TEAM), path)
    escaped = "'" + HOSTILE
    assert [r["worker"] for r in read_table(path) if r["staff_id"] == staff_id] == [escaped]
    for suffix in (".orphaned", ".timescales"):
        names = {r["worker"] for r in read_table(sibling_path(path, suffix))}
        assert escaped in names and HOSTILE not in names, suffix
    raw = path.read_bytes().decode("utf-8-sig")
    assert '"\'=HYPERLINK(""http://x"")"' in raw
    for cell in all_cells(written):
        assert not cell.startswith(FORMULA_STARTS), cell


@pytest.mark.parametrize(
    "name",
    [
        '=HYPERLINK("http://x")',
        "+44 7700 900123",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+2",
        "\r=1+2",
    ],
)
def test_every_formula_start_is_escaped(demo_db_path: Path, tmp_path: Path, name: str) -> None:
    before = summary_of(demo_db_path, INSPECTION_TEAM)
    assert isinstance(before, TeamSummary)
    worker = next(w for w in before.workers if w.status == "active" and w.cases)
    _rename_worker(demo_db_path, worker.staff_id, name)
    with raw_sqlite(demo_db_path) as connection:
        connection.execute(
            "UPDATE children SET name = ? WHERE id = (SELECT child_id FROM cases WHERE "
            "case_ref = ?)",
            (name, before.queues.unallocated[0].case_ref),
        )
    path = tmp_path / "north.csv"
    written = write_summary_csv(summary_of(demo_db_path, INSPECTION_TEAM), path)
    rows = read_table(path)
    assert [r["worker"] for r in rows if r["staff_id"] == worker.staff_id] == ["'" + name]
    children = {r["child"] for r in read_table(sibling_path(path, ".unallocated"))}
    assert "'" + name in children
    cells = all_cells(written)
    assert cells.count("'" + name) >= 2
    for cell in cells:
        assert not cell.startswith(FORMULA_STARTS), repr(cell)


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (dt.date(2026, 11, 26), "2026-11-26"),
        (7, 7),
        (Decimal("17.5"), Decimal("17.5")),
        ("Zoë O'Brien", "Zoë O'Brien"),
        ("a=b", "a=b"),
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("", ""),
    ],
)
def test_safe_cell(value: Any, cell: Any) -> None:
    assert safe_cell(value) == cell


# --- The service ----------------------------------------------------------------------------------


def test_the_service_adds_a_teams_file_with_one_row_per_team(
    demo_db_path: Path, tmp_path: Path, caseload_json: Callable[..., Any]
) -> None:
    summary = summary_of(demo_db_path, None)
    assert isinstance(summary, ServiceSummary)
    path = tmp_path / "service.csv"
    written = write_summary_csv(summary, path)
    assert [p.name for p in written] == [
        "service.csv",
        "service.orphaned.csv",
        "service.unallocated.csv",
        "service.held_by_manager.csv",
        "service.timescales.csv",
        "service.teams.csv",
    ]
    teams = read_table(sibling_path(path, ".teams"))
    assert [r["team"] for r in teams] == list(team_ids(demo_db_path))
    cases = caseload_json("cases")
    for row in teams:
        mine = Counter(c["queue"] for c in cases if c["team"] == row["team"])
        assert int(row["open_cases"]) == sum(mine.values())
        assert (
            int(row["allocated"]),
            int(row["orphaned"]),
            int(row["unallocated"]),
            int(row["held_by_manager"]),
        ) == (mine["allocated"], mine["orphaned"], mine["unallocated"], mine["held_by_manager"])
    for team, row in zip(summary.teams, teams, strict=True):
        assert int(row["overdue"]) == team.totals.overdue
        assert int(row["workers"]) == team.totals.workers
        assert Decimal(row["weighted"]) == team.totals.weighted
    listed = caseload_json("caseloads")
    assert [(r["team"], r["staff_id"]) for r in read_table(path)] == [
        (w["team"], w["staff_id"]) for w in listed
    ]
    assert len(read_table(sibling_path(path, ".orphaned"))) == summary.totals.orphaned
    timescales = read_table(sibling_path(path, ".timescales"))
    assert sum(1 for r in timescales if r["status"] == "overdue") == summary.totals.overdue


def test_a_hostile_team_name_is_escaped_in_the_teams_file(
    demo_db_path: Path, tmp_path: Path
) -> None:
    with raw_sqlite(demo_db_path) as connection:
        connection.execute("UPDATE teams SET name = ? WHERE name = ?", ("@Team", INSPECTION_TEAM))
    files = summary_files(summary_of(demo_db_path, None))
    teams = list(csv.DictReader(io.StringIO(files[".teams"], newline="")))
    assert "'@Team" in [r["team"] for r in teams]
    for text in files.values():
        for row in csv.reader(io.StringIO(text, newline="")):
            assert "@Team" not in row


# --- Writing safely -------------------------------------------------------------------------------


def test_a_folder_or_a_missing_folder_is_refused_and_nothing_is_written(
    demo_db_path: Path, tmp_path: Path
) -> None:
    summary = summary_of(demo_db_path, "Care Leavers South")
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(BadInput, match="is a folder"):
        write_summary_csv(summary, folder)
    with pytest.raises(BadInput, match="does not exist"):
        write_summary_csv(summary, tmp_path / "missing" / "team.csv")
    assert list(folder.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo.db", "out"]


def test_writing_again_replaces_the_files_and_leaves_no_partial_file(
    demo_db_path: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    path = folder / "team.csv"
    path.write_text("old", encoding="utf-8")
    summary = summary_of(demo_db_path, "Care Leavers South")
    first = write_summary_csv(summary, path)
    contents = [p.read_bytes() for p in first]
    second = write_summary_csv(summary, path)
    assert first == second
    assert [p.read_bytes() for p in second] == contents
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in first)


@pytest.mark.parametrize(
    ("name", "suffix", "expected"),
    [
        ("team.csv", "", "team.csv"),
        ("team.csv", ".orphaned", "team.orphaned.csv"),
        ("TEAM.CSV", ".teams", "TEAM.teams.csv"),
        ("north.2026-11.csv", ".timescales", "north.2026-11.timescales.csv"),
        ("team", ".unallocated", "team.unallocated.csv"),
    ],
)
def test_sibling_file_names(name: str, suffix: str, expected: str, tmp_path: Path) -> None:
    assert sibling_path(tmp_path / name, suffix) == tmp_path / expected
