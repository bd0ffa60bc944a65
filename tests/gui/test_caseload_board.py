"""The caseload board: its models, queue counts against the CLI, selection, search, flags, order,
leavers, lazy loading, keyboard use, layout persistence and screenshots.

The CLI (``caseload queue/cases/caseloads --json``) is the independent reference: the board and
the CLI read the same database through different paths, so they must agree.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop import cli
from caseload_desktop.context import AppContext, open_context
from caseload_desktop.display import uk_date
from caseload_desktop.domain.categories import Category
from caseload_desktop.domain.categories import Role as StaffRole
from caseload_desktop.domain.queues import days_between
from caseload_desktop.domain.timescales import add_working_days
from caseload_desktop.store import queries
from caseload_desktop.store.demo import INSPECTION_TEAM, create_demo_database
from caseload_desktop.ui.main_window import MainWindow
from caseload_desktop.ui.models import cases as case_models
from caseload_desktop.ui.models.cases import BATCH, CasesModel
from caseload_desktop.ui.models.cases import Role as CaseRole
from caseload_desktop.ui.models.workers import Role as WorkerRole
from caseload_desktop.ui.models.workers import WorkersModel
from caseload_desktop.ui.preferences import Preferences
from caseload_desktop.ui.widgets.caseload_board import (
    ALL_TEAMS,
    TAB_HELD,
    TAB_ORPHANED,
    TAB_UNALLOCATED,
    TAB_WORKER,
    CaseloadBoard,
)

TODAY = dt.date(2026, 11, 26)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# An ordinary team of the seed-7 demo; it has an inactive (not left) worker holding cases.
ORDINARY_TEAM = "Assessment and Intervention South"
ROOT = QtCore.QModelIndex()
DISPLAY = QtCore.Qt.ItemDataRole.DisplayRole
FOREGROUND = QtCore.Qt.ItemDataRole.ForegroundRole
TOOLTIP = QtCore.Qt.ItemDataRole.ToolTipRole
QUEUE_TABS = {
    "orphaned": TAB_ORPHANED,
    "unallocated": TAB_UNALLOCATED,
    "held_by_manager": TAB_HELD,
}


# --- Helpers ---------------------------------------------------------------------------------


def run_cli(db_path: Path, command: str, *args: str) -> Any:
    """``caseload COMMAND --db PATH ARGS --json``, parsed."""
    out = io.StringIO()
    assert cli.main([command, "--db", str(db_path), *args, "--json"], out=out) == 0
    return json.loads(out.getvalue())


def team_args(team: str | None) -> list[str]:
    return [] if team is None else ["--team", team]


def show_team(board: CaseloadBoard, team: str | None) -> None:
    """Select ``team`` (None: all teams) and wait for its data."""
    board.select_team(team)
    board.wait_until_loaded()
    assert board.data is not None


def fetch_all(model: CasesModel) -> None:
    while model.canFetchMore(ROOT):
        model.fetchMore(ROOT)
    assert model.rowCount() == model.total()


def records(model: CasesModel) -> list[queries.OpenCaseRow]:
    fetch_all(model)
    return [model.record(row) for row in range(model.rowCount())]


def case_refs(model: CasesModel) -> list[str]:
    return [record.case_ref for record in records(model)]


def column_of(model: CasesModel, key: str) -> int:
    return next(i for i, column in enumerate(model.columns) if column.key == key)


def queue_models(board: CaseloadBoard) -> dict[str, CasesModel]:
    return {
        "orphaned": board.orphaned_model,
        "unallocated": board.unallocated_model,
        "held_by_manager": board.held_model,
    }


def case_models_of(board: CaseloadBoard) -> list[CasesModel]:
    return [board.worker_cases_model, *queue_models(board).values()]


def tab_count(board: CaseloadBoard, tab: int) -> str:
    """What the tab title says in brackets: "12" or "3 of 12"."""
    match = re.search(r"\(([^()]*)\)$", board.tabs.tabText(tab))
    assert match, board.tabs.tabText(tab)
    return match.group(1)


def select_worker(board: CaseloadBoard, row: int) -> queries.WorkerCaseloadRow:
    board.workers_view.selectRow(row)
    assert board.workers_view.currentIndex().row() == row
    return board.workers_model.row_at(row)


def worker_rows(model: WorkersModel) -> list[queries.WorkerCaseloadRow]:
    return [model.row_at(row) for row in range(model.rowCount())]


def is_red(brush: Any) -> bool:
    if not isinstance(brush, QtGui.QBrush | QtGui.QColor):
        return False
    colour = brush.color() if isinstance(brush, QtGui.QBrush) else brush
    return colour.red() > 2 * colour.green() and colour.red() > 2 * colour.blue()


def overdue_text(days: int) -> str:
    return f"({days} day{'s' if days != 1 else ''} overdue)"


def days_in_queue(record: queries.OpenCaseRow) -> int:
    if record.days_waiting is not None:
        return record.days_waiting
    if record.days_since_left is not None:
        return record.days_since_left
    return days_between(record.allocated_on or record.opened_on, TODAY)


# --- Fixtures --------------------------------------------------------------------------------


@pytest.fixture
def context(demo_db_path: Path) -> Iterator[AppContext]:
    ctx = open_context(demo_db_path)
    yield ctx
    ctx.close()


@pytest.fixture
def new_board(
    qtbot: QtBot, context: AppContext, preferences: Preferences
) -> Iterator[Callable[..., CaseloadBoard]]:
    """Makes boards on the test's database; each is closed before the database is."""
    boards: list[CaseloadBoard] = []

    def make(prefs: Preferences | None = None, ctx: AppContext | None = None) -> CaseloadBoard:
        board = CaseloadBoard(ctx or context, prefs or preferences)
        qtbot.addWidget(board)
        boards.append(board)
        return board

    yield make
    for board in boards:
        board.wait_until_loaded()
        board.close()


@pytest.fixture
def board(new_board: Callable[..., CaseloadBoard]) -> CaseloadBoard:
    """A board showing the team in the state the inspection found."""
    board = new_board()
    show_team(board, INSPECTION_TEAM)
    return board


def show_on_screen(qtbot: QtBot, widget: QtWidgets.QWidget, width: int = 1366) -> None:
    widget.resize(width, 768)
    widget.show()
    qtbot.waitExposed(widget)


# --- 1. The models -------------------------------------------------------------------------


def test_every_board_model_passes_the_model_tester_before_and_after_loading(
    qtmodeltester: ModelTester, new_board: Callable[..., CaseloadBoard]
) -> None:
    board = new_board()
    models = [board.workers_model, *case_models_of(board)]
    for model in models:
        assert model.rowCount() == 0
        qtmodeltester.check(model)
        qtmodeltester.check(model, force_py=True)

    show_team(board, INSPECTION_TEAM)

    for model in models:
        assert model.rowCount() > 0
        qtmodeltester.check(model)
        qtmodeltester.check(model, force_py=True)


def test_case_models_give_no_data_for_an_invalid_index(
    new_board: Callable[..., CaseloadBoard],
) -> None:
    board = new_board()
    show_team(board, INSPECTION_TEAM)
    roles = [DISPLAY, FOREGROUND, TOOLTIP, CaseRole.CASE_ID, CaseRole.SORT, CaseRole.ALERT]
    for model in case_models_of(board):
        assert [model.data(ROOT, role) for role in roles] == [None] * len(roles)
    assert [board.workers_model.data(ROOT, role) for role in roles] == [None] * len(roles)
    empty = CasesModel(case_models.WORKER_CASES_COLUMNS)
    assert [empty.data(ROOT, role) for role in roles] == [None] * len(roles)


# --- 2. Counts against the CLI ---------------------------------------------------------------


@pytest.mark.parametrize("team", [INSPECTION_TEAM, ORDINARY_TEAM, None])
def test_queue_tabs_and_summary_count_what_the_cli_counts(
    board: CaseloadBoard, demo_db_path: Path, team: str | None
) -> None:
    show_team(board, team)
    expected = run_cli(demo_db_path, "queue", *team_args(team))
    open_cases = run_cli(demo_db_path, "cases", *team_args(team))

    assert board.team_picker.currentText() == (team or ALL_TEAMS)
    for queue, model in queue_models(board).items():
        wanted = len(expected[queue])
        assert model.total() == model.unfiltered_total() == wanted, queue
        assert tab_count(board, QUEUE_TABS[queue]) == str(wanted), queue
        assert sorted(case_refs(model)) == sorted(row["case_ref"] for row in expected[queue])
        assert board.summary.text_of(queue) == str(wanted), queue
    assert board.summary.text_of("open_cases") == str(len(open_cases))
    allocated = sum(1 for row in open_cases if row["queue"] == "allocated")
    assert board.summary.text_of("allocated") == str(allocated)
    if team == INSPECTION_TEAM:  # the backlog the inspection found is visible at a glance
        assert len(expected["orphaned"]) + len(expected["unallocated"]) > 230
        assert len(expected["held_by_manager"]) > 30


# --- 3. Selecting a worker -------------------------------------------------------------------


@pytest.mark.parametrize("who", ["active worker", "leaver", "team manager"])
def test_selecting_a_worker_shows_exactly_their_cases(
    board: CaseloadBoard, demo_db_path: Path, who: str
) -> None:
    model = board.workers_model

    def wanted(row: int) -> bool:
        worker = model.row_at(row)
        if who == "leaver":
            return bool(model.data(model.index(row, 0), WorkerRole.IS_LEAVER))
        if who == "team manager":
            return worker.role is StaffRole.TEAM_MANAGER
        return worker.status == "active" and not worker.role.is_manager

    # The last match, so the selection really moves away from the first row.
    row = [r for r in range(model.rowCount()) if wanted(r)][-1]
    assert row != 0
    worker = select_worker(board, row)

    expected = {c["case_ref"] for c in run_cli(demo_db_path, "cases", "--worker", worker.staff_id)}
    refs = case_refs(board.worker_cases_model)
    assert expected
    assert len(refs) == len(set(refs))
    assert set(refs) == expected
    assert worker.cases == len(expected)
    assert model.data(model.index(row, WorkersModel.COL_CASES)) == str(len(expected))
    assert board.tabs.tabText(TAB_WORKER) == f"Cases of {worker.worker} ({len(expected)})"
    assert board.selected_worker_id() == worker.worker_id


# --- 4. Search and category filter -----------------------------------------------------------


def _matches(record: queries.OpenCaseRow, needle: str) -> bool:
    return any(
        needle in (text or "").casefold() for text in (record.child, record.case_ref, record.worker)
    )


def _check_search(
    board: CaseloadBoard, unfiltered: list[list[queries.OpenCaseRow]], db_path: Path, needle: str
) -> None:
    """Every pane shows the matching rows only, all of them; titles say "n of m"."""
    folded = needle.casefold()
    for model, before in zip(case_models_of(board), unfiltered, strict=True):
        shown = records(model)
        assert all(_matches(record, folded) for record in shown)
        assert [r.case_ref for r in shown] == [r.case_ref for r in before if _matches(r, folded)]
    for tab, model in enumerate(case_models_of(board)):
        total = model.unfiltered_total()
        count = tab_count(board, tab)
        assert count == (str(total) if model.total() == total else f"{model.total()} of {total}")

    # Workers: those named by the search, and those holding a case whose child or ref matches.
    all_cases = run_cli(db_path, "cases")
    holders = {
        c["staff_id"]
        for c in all_cases
        if c["staff_id"] and (folded in c["child"].casefold() or folded in c["case_ref"].casefold())
    }
    every_worker = board.workers_model.all_rows()
    expected = {
        w.staff_id for w in every_worker if folded in w.worker.casefold() or w.staff_id in holders
    }
    assert {w.staff_id for w in worker_rows(board.workers_model)} == expected


def every_pane(board: CaseloadBoard) -> list[list[queries.OpenCaseRow]]:
    """The rows of each case pane, worker's cases first, before a search."""
    return [records(model) for model in case_models_of(board)]


def test_typing_part_of_a_childs_name_filters_every_pane_and_clearing_restores_them(
    qtbot: QtBot, board: CaseloadBoard, demo_db_path: Path
) -> None:
    unfiltered = every_pane(board)
    totals = [model.total() for model in case_models_of(board)]
    workers = board.workers_model.rowCount()
    # A surname of a child on the orphaned list, typed in capitals: search ignores case.
    surname = board.orphaned_model.record(0).child.split()[-1]
    needle = surname[:-1].upper()

    qtbot.keyClicks(board.search, needle)
    qtbot.waitUntil(lambda: " of " in tab_count(board, TAB_ORPHANED))  # the 200 ms timer

    _check_search(board, unfiltered, demo_db_path, needle)
    assert board.orphaned_model.total() >= 1
    assert board.workers_model.rowCount() < workers

    board.search.clear()
    qtbot.waitUntil(lambda: " of " not in tab_count(board, TAB_ORPHANED))
    assert [model.total() for model in case_models_of(board)] == totals
    assert all(" of " not in tab_count(board, tab) for tab in range(board.tabs.count()))
    assert board.workers_model.rowCount() == workers


def test_clearing_a_search_brings_back_the_selected_worker(board: CaseloadBoard) -> None:
    worker = select_worker(board, 1)
    other = next(w for w in board.workers_model.all_rows() if w.status == "left")
    board.search.setText(other.worker)
    board.apply_filter()
    assert board.workers_model.row_of_worker(worker.worker_id) is None

    board.search.clear()
    board.apply_filter()

    assert board.tabs.tabText(TAB_WORKER) == f"Cases of {worker.worker} ({worker.cases})"
    assert board.selected_worker_id() == worker.worker_id
    assert [i.row() for i in board.workers_view.selectionModel().selectedRows()] == [1]


def test_searching_by_case_ref_finds_that_case_and_its_holder(
    qtbot: QtBot, board: CaseloadBoard, demo_db_path: Path
) -> None:
    unfiltered = every_pane(board)
    held = board.held_model.record(3)
    qtbot.keyClicks(board.search, held.case_ref.lower())
    board.apply_filter()

    _check_search(board, unfiltered, demo_db_path, held.case_ref)
    assert case_refs(board.held_model) == [held.case_ref]
    assert tab_count(board, TAB_HELD) == f"1 of {board.held_model.unfiltered_total()}"
    assert held.worker_id is not None
    assert board.workers_model.row_of_worker(held.worker_id) is not None


def test_searching_by_worker_name_keeps_that_workers_cases(
    qtbot: QtBot, board: CaseloadBoard, demo_db_path: Path
) -> None:
    unfiltered = every_pane(board)
    leaver = next(w for w in board.workers_model.all_rows() if w.status == "left")
    qtbot.keyClicks(board.search, leaver.worker.lower())
    board.apply_filter()

    _check_search(board, unfiltered, demo_db_path, leaver.worker)
    orphaned = records(board.orphaned_model)
    assert orphaned and {r.worker_id for r in orphaned} == {leaver.worker_id}
    assert board.workers_model.row_of_worker(leaver.worker_id) is not None


# The AttributeError is raised in a slot; without capturing it the test fails once, on the
# unfiltered rows, instead of again at teardown.
@pytest.mark.qt_no_exception_capture
def test_the_category_filter_keeps_only_child_protection_cases(
    board: CaseloadBoard, demo_db_path: Path
) -> None:
    index = board.category_filter.findText("Child protection")
    board.category_filter.setCurrentIndex(index)  # applies at once, no timer

    queue = run_cli(demo_db_path, "queue", "--team", INSPECTION_TEAM)
    for name, model in queue_models(board).items():
        shown = records(model)
        assert all(record.category is Category.CP for record in shown)
        cp = [row for row in queue[name] if row["category"] == "cp"]
        assert [r.case_ref for r in shown] == [row["case_ref"] for row in cp], name
        assert tab_count(board, QUEUE_TABS[name]) == f"{len(cp)} of {len(queue[name])}", name
    assert all(r.category is Category.CP for r in records(board.worker_cases_model))

    board.category_filter.setCurrentIndex(0)  # all categories again
    for name, model in queue_models(board).items():
        assert model.total() == len(queue[name])
        assert tab_count(board, QUEUE_TABS[name]) == str(len(queue[name]))


# --- 5. Overdue flags ------------------------------------------------------------------------


def every_case_row(board: CaseloadBoard) -> Iterator[tuple[CasesModel, int, queries.OpenCaseRow]]:
    """Each row of each queue, then of each worker's cases (selecting each worker in turn)."""
    for model in queue_models(board).values():
        for row, record in enumerate(records(model)):
            yield model, row, record
    for worker_row in range(board.workers_model.rowCount()):
        select_worker(board, worker_row)
        for row, record in enumerate(records(board.worker_cases_model)):
            yield board.worker_cases_model, row, record


def test_an_overdue_visit_says_by_how_many_days_and_is_red(board: CaseloadBoard) -> None:
    overdue = future = 0
    for model, row, record in every_case_row(board):
        due = record.next_visit_due
        if due is None:
            continue
        index = model.index(row, column_of(model, "next_visit_due"))
        text = model.data(index, DISPLAY)
        if due < TODAY:
            overdue += 1
            assert text == f"{uk_date(due)} {overdue_text((TODAY - due).days)}"
            assert model.data(index, CaseRole.ALERT) is True
            assert is_red(model.data(index, FOREGROUND))
        else:
            future += 1
            assert text == uk_date(due)
            assert model.data(index, CaseRole.ALERT) is False
            assert model.data(index, FOREGROUND) is None
    assert overdue and future


def test_an_overdue_assessment_is_45_working_days_from_its_start_and_is_red(
    board: CaseloadBoard,
) -> None:
    model = board.worker_cases_model
    overdue = on_time = other = 0
    for worker_row in range(board.workers_model.rowCount()):
        select_worker(board, worker_row)
        column = column_of(model, "assessment_due")
        for row, record in enumerate(records(model)):
            index = model.index(row, column)
            text = model.data(index, DISPLAY)
            if record.category is not Category.ASSESSMENT:
                other += 1
                assert text == ""
                assert model.data(index, CaseRole.ALERT) is False
                continue
            assert record.assessment_started_on is not None
            due = add_working_days(record.assessment_started_on, 45)
            if due < TODAY:
                overdue += 1
                assert text == f"{uk_date(due)} {overdue_text((TODAY - due).days)}"
                assert model.data(index, CaseRole.ALERT) is True
                assert is_red(model.data(index, FOREGROUND))
            else:
                on_time += 1
                assert text == uk_date(due)
                assert model.data(index, CaseRole.ALERT) is False
                assert model.data(index, FOREGROUND) is None
    assert overdue and on_time and other


# --- 6. Queue order and sorting ----------------------------------------------------------------


@pytest.mark.parametrize("queue", ["unallocated", "orphaned", "held_by_manager"])
def test_queues_put_cp_and_cla_first_then_the_longest_waiting(
    board: CaseloadBoard, demo_db_path: Path, queue: str
) -> None:
    shown = records(queue_models(board)[queue])
    must = [record.category.must_be_allocated for record in shown]
    assert must == sorted(must, reverse=True)  # every CP/CLA case before any other
    assert any(must) and not all(must)
    for group in (True, False):
        waits = [days_in_queue(r) for r in shown if r.category.must_be_allocated is group]
        assert waits == sorted(waits, reverse=True)
    # The same order the CLI prints.
    cli_order = [
        row["case_ref"] for row in run_cli(demo_db_path, "queue", "--team", INSPECTION_TEAM)[queue]
    ]
    assert [r.case_ref for r in shown] == cli_order


def test_clicking_a_header_sorts_by_the_columns_value_and_keeps_the_selected_case(
    qtbot: QtBot, board: CaseloadBoard
) -> None:
    show_on_screen(qtbot, board)
    board.tabs.setCurrentIndex(TAB_UNALLOCATED)
    view, model = board.unallocated_view, board.unallocated_model
    column = column_of(model, "days_waiting")
    view.selectRow(5)
    selected = model.case_id(5)

    header = view.horizontalHeader()
    position = QtCore.QPoint(
        header.sectionViewportPosition(column) + header.sectionSize(column) // 2,
        header.height() // 2,
    )
    for _click in range(2):  # once, then again for the other direction
        qtbot.mouseClick(header.viewport(), QtCore.Qt.MouseButton.LeftButton, pos=position)
        assert header.sortIndicatorSection() == column
        fetch_all(model)
        values = [
            model.data(model.index(r, column), CaseRole.SORT) for r in range(model.rowCount())
        ]
        assert all(isinstance(v, int) for v in values)  # native values, not display text
        descending = header.sortIndicatorOrder() == QtCore.Qt.SortOrder.DescendingOrder
        assert values == sorted(values, reverse=descending)
        assert values != sorted(values, reverse=not descending)
        rows = view.selectionModel().selectedRows()
        assert [index.data(CaseRole.CASE_ID) for index in rows] == [selected]
        assert view.currentIndex().data(CaseRole.CASE_ID) == selected

    # sortByColumn on a date column sorts by date, not by its "26 Nov 2026" text.
    due = column_of(model, "waiting_since")
    view.sortByColumn(due, QtCore.Qt.SortOrder.AscendingOrder)
    keys = [model.data(model.index(r, due), CaseRole.SORT) for r in range(model.rowCount())]
    assert keys == sorted(keys)
    dates = [r.allocated_on or r.opened_on for r in records(model)]
    assert dates == sorted(dates)
    assert [i.data(CaseRole.CASE_ID) for i in view.selectionModel().selectedRows()] == [selected]


def test_a_sort_chosen_on_a_team_still_applies_to_all_teams(board: CaseloadBoard) -> None:
    view, model = board.unallocated_view, board.unallocated_model
    view.sortByColumn(column_of(model, "days_waiting"), QtCore.Qt.SortOrder.AscendingOrder)
    waits = [r.days_waiting for r in records(model)]
    assert waits == sorted(waits)  # type: ignore[type-var]

    show_team(board, None)

    header = view.horizontalHeader()
    assert model.columns[header.sortIndicatorSection()].key == "days_waiting"
    waits = [r.days_waiting for r in records(model)]
    assert waits == sorted(waits)  # type: ignore[type-var]


# --- 7. Leavers ------------------------------------------------------------------------------


def test_leavers_appear_only_while_they_hold_cases_greyed_and_dated(
    board: CaseloadBoard, context: AppContext, demo_db_path: Path
) -> None:
    show_team(board, None)
    model = board.workers_model
    with context.db.read() as session:
        everyone = queries.worker_caseloads(
            session, TODAY, context.rules, include_idle_leavers=True
        )
    idle = {w.worker_id for w in everyone if w.status == "left" and w.cases == 0}
    holding = {w.worker_id for w in everyone if w.status == "left" and w.cases > 0}
    assert idle and holding  # the demo has both kinds

    shown = {model.row_at(r).worker_id: r for r in range(model.rowCount())}
    leavers = {w for w, r in shown.items() if model.data(model.index(r, 0), WorkerRole.IS_LEAVER)}
    assert leavers == holding
    assert not idle & shown.keys()

    palette_text = board.workers_view.palette().color(QtGui.QPalette.ColorRole.Text)
    active_row = next(r for r in shown.values() if model.row_at(r).status == "active")
    active_brush = model.data(model.index(active_row, WorkersModel.COL_WORKER), FOREGROUND)
    active_colour = palette_text if active_brush is None else active_brush.color()
    for worker_id in leavers:
        row = shown[worker_id]
        worker = model.row_at(row)
        name = model.data(model.index(row, WorkersModel.COL_WORKER), DISPLAY)
        assert name == f"{worker.worker} (left {uk_date(worker.end_date)})"
        assert re.fullmatch(r".+ \(left \d{1,2} [A-Z][a-z]{2} \d{4}\)", name)
        for column in range(model.columnCount()):
            brush = model.data(model.index(row, column), FOREGROUND)
            assert isinstance(brush, QtGui.QBrush)
            assert brush.color() != active_colour
    inactive = [r for r in shown.values() if model.row_at(r).status == "inactive"]
    assert inactive
    for row in inactive:
        assert model.data(model.index(row, 0), DISPLAY).endswith("(inactive)")
        assert model.data(model.index(row, 0), WorkerRole.IS_LEAVER) is False
        assert model.data(model.index(row, 0), FOREGROUND).color() != active_colour

    # Tooltips break each caseload down by category, as `caseload caseloads` does.
    by_staff = {w["staff_id"]: w for w in run_cli(demo_db_path, "caseloads")}
    for row in shown.values():
        worker = model.row_at(row)
        tip = model.data(model.index(row, WorkersModel.COL_LOAD), TOOLTIP)
        cli_row = by_staff[worker.staff_id]
        assert worker.cases == cli_row["cases"]
        for category in Category:
            count = cli_row["by_category"].get(category.value, 0)
            if count:
                assert f"{category.label}: {count} ×" in tip
            else:
                assert f"{category.label}:" not in tip
        if worker.worker_id in leavers:
            assert f"Left on {uk_date(worker.end_date)}" in tip


# --- 8. Lazy loading at service scale ----------------------------------------------------------


@pytest.fixture(scope="module")
def big_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big-demo") / "big.db"
    create_demo_database(path, seed=3, cases=6000, today=TODAY)
    return path


def test_big_models_hand_rows_over_in_batches_and_still_count_what_the_cli_counts(
    qtbot: QtBot,
    qtmodeltester: ModelTester,
    new_board: Callable[..., CaseloadBoard],
    big_demo: Path,
) -> None:
    context = open_context(big_demo)
    try:
        board = new_board(ctx=context)
        show_team(board, None)
        queue = run_cli(big_demo, "queue")
        every_case = run_cli(big_demo, "cases")
        assert board.summary.text_of("open_cases") == str(len(every_case))
        for name, model in queue_models(board).items():
            assert model.total() == len(queue[name]), name
            assert model.rowCount() == min(model.total(), BATCH)
            assert model.canFetchMore(ROOT) == (model.total() > BATCH)
            assert tab_count(board, QUEUE_TABS[name]) == str(len(queue[name]))

        # Every open case of the service in one model: more than a batch.
        assert board.data is not None
        table = board.data.cases
        model = CasesModel(case_models.with_team(case_models.WORKER_CASES_COLUMNS))
        model.set_rows(table, range(len(table)), context.rules)
        assert model.total() == len(every_case) > 2 * BATCH
        assert model.rowCount() == BATCH and model.canFetchMore(ROOT)

        view = QtWidgets.QTableView()
        qtbot.addWidget(view)
        view.setModel(model)
        view.resize(800, 400)
        view.show()
        qtbot.waitExposed(view)
        view.scrollToBottom()
        qtbot.waitUntil(lambda: model.rowCount() > BATCH)
        assert model.rowCount() == 2 * BATCH

        # A selected row past what the view has fetched stays selected through a sort.
        view.selectRow(10)
        chosen = model.case_id(10)
        view.sortByColumn(column_of(model, "case_ref"), QtCore.Qt.SortOrder.DescendingOrder)
        assert view.currentIndex().data(CaseRole.CASE_ID) == chosen
        assert view.currentIndex().row() == model.total() - 11

        fetch_all(model)
        assert model.rowCount() == len(every_case)
        refs = [model.record(r).case_ref for r in range(model.rowCount())]
        assert refs == sorted((c["case_ref"] for c in every_case), reverse=True)
        qtmodeltester.check(model)
        view.close()
        board.wait_until_loaded()
        board.close()
    finally:
        context.close()


# --- 9. Keyboard and accessibility -------------------------------------------------------------


def _activate(qtbot: QtBot, board: CaseloadBoard) -> None:
    show_on_screen(qtbot, board)
    board.activateWindow()
    qtbot.waitUntil(lambda: QtWidgets.QApplication.activeWindow() is board)


def test_ctrl_f_puts_the_cursor_in_the_search_box(qtbot: QtBot, board: CaseloadBoard) -> None:
    _activate(qtbot, board)
    board.workers_view.setFocus()
    qtbot.waitUntil(board.workers_view.hasFocus)
    board.find_action.trigger()
    qtbot.waitUntil(board.search.hasFocus)

    board.workers_view.setFocus()
    qtbot.waitUntil(board.workers_view.hasFocus)
    qtbot.keyClick(board, QtCore.Qt.Key.Key_F, QtCore.Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(board.search.hasFocus)
    assert board.find_action.shortcut() == QtGui.QKeySequence("Ctrl+F")


def test_every_control_on_the_board_has_an_accessible_name(board: CaseloadBoard) -> None:
    kinds = (
        QtWidgets.QAbstractItemView,
        QtWidgets.QComboBox,
        QtWidgets.QLineEdit,
        QtWidgets.QTabWidget,
    )
    controls = [w for kind in kinds for w in board.findChildren(kind)]

    def part_of_another_control(widget: QtWidgets.QWidget) -> bool:
        # A combo box's popup list and a table's header views are parts that Qt's
        # accessibility presents through their owner (the combo box, the table's cells).
        parent = widget.parentWidget()
        while parent is not None and parent is not board:
            if isinstance(parent, QtWidgets.QComboBox | QtWidgets.QAbstractItemView):
                return True
            parent = parent.parentWidget()
        return False

    controls = [w for w in controls if not part_of_another_control(w)]
    assert len(controls) >= 9  # picker, search, category, tabs, workers and four case views
    unnamed = [w.objectName() or type(w).__name__ for w in controls if not w.accessibleName()]
    assert unnamed == []


def test_tab_goes_from_team_to_search_to_category_to_workers(
    qtbot: QtBot, board: CaseloadBoard
) -> None:
    _activate(qtbot, board)
    board.team_picker.setFocus()
    qtbot.waitUntil(board.team_picker.hasFocus)
    visited = [QtWidgets.QApplication.focusWidget()]
    for _step in range(3):
        qtbot.keyClick(QtWidgets.QApplication.focusWidget(), QtCore.Qt.Key.Key_Tab)
        visited.append(QtWidgets.QApplication.focusWidget())
    assert visited == [board.team_picker, board.search, board.category_filter, board.workers_view]

    # The same order in the focus chain itself (widgets that take Tab focus only).
    chain: list[QtWidgets.QWidget] = []
    widget = board.team_picker
    while len(chain) < 4:
        if widget.focusPolicy() & QtCore.Qt.FocusPolicy.TabFocus and widget.isVisible():
            chain.append(widget)
        widget = widget.nextInFocusChain()
    assert chain == visited


def test_arrow_down_in_the_workers_list_selects_the_next_worker_and_shows_their_cases(
    qtbot: QtBot, board: CaseloadBoard, demo_db_path: Path
) -> None:
    _activate(qtbot, board)
    view = board.workers_view
    assert view.currentIndex().row() == 0
    view.setFocus()
    qtbot.waitUntil(view.hasFocus)

    qtbot.keyClick(view, QtCore.Qt.Key.Key_Down)

    assert view.currentIndex().row() == 1
    assert [i.row() for i in view.selectionModel().selectedRows()] == [1]
    worker = board.workers_model.row_at(1)
    assert board.selected_worker_id() == worker.worker_id
    expected = {c["case_ref"] for c in run_cli(demo_db_path, "cases", "--worker", worker.staff_id)}
    assert set(case_refs(board.worker_cases_model)) == expected
    assert board.tabs.tabText(TAB_WORKER) == f"Cases of {worker.worker} ({len(expected)})"


# --- 10. Layout persistence --------------------------------------------------------------------


def test_splitter_sort_order_and_team_come_back_in_a_new_board(
    qtbot: QtBot,
    board: CaseloadBoard,
    new_board: Callable[..., CaseloadBoard],
    preferences: Preferences,
) -> None:
    show_on_screen(qtbot, board)
    board.splitter.setSizes([420, 220])
    sizes = board.splitter.sizes()
    assert sizes[0] > sizes[1]
    days = column_of(board.unallocated_model, "days_waiting")
    board.unallocated_view.sortByColumn(days, QtCore.Qt.SortOrder.AscendingOrder)
    board.workers_view.sortByColumn(WorkersModel.COL_CASES, QtCore.Qt.SortOrder.DescendingOrder)
    board.save_layout()

    again = new_board(preferences)
    assert again.team_picker.currentText() == INSPECTION_TEAM
    show_on_screen(qtbot, again)
    assert again.splitter.sizes() == sizes
    unallocated = again.unallocated_view.horizontalHeader()
    assert unallocated.sortIndicatorSection() == days
    assert unallocated.sortIndicatorOrder() == QtCore.Qt.SortOrder.AscendingOrder
    workers = again.workers_view.horizontalHeader()
    assert workers.sortIndicatorSection() == WorkersModel.COL_CASES
    assert workers.sortIndicatorOrder() == QtCore.Qt.SortOrder.DescendingOrder

    # The restored order is the data's order, not just an arrow on the header.
    again.refresh(keep_selection=False)
    again.wait_until_loaded()
    waits = [r.days_waiting for r in records(again.unallocated_model)]
    assert waits == sorted(waits)  # type: ignore[type-var]
    loads = [w.cases for w in worker_rows(again.workers_model)]
    assert loads == sorted(loads, reverse=True)


def test_a_board_left_on_all_teams_reopens_on_all_teams(
    board: CaseloadBoard,
    new_board: Callable[..., CaseloadBoard],
    preferences: Preferences,
) -> None:
    show_team(board, None)
    board.save_layout()
    again = new_board(preferences)
    assert again.team_picker.currentText() == ALL_TEAMS


# --- 11. Screenshots ---------------------------------------------------------------------------


def test_screenshots_of_the_inspection_team_at_1366x768(
    qtbot: QtBot, demo_db_path: Path, preferences: Preferences
) -> None:
    window = MainWindow(open_context(demo_db_path), preferences)
    qtbot.addWidget(window)
    show_on_screen(qtbot, window)
    board = window.board
    assert board is not None
    show_team(board, INSPECTION_TEAM)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    shots = {"board_inspection_team.png": TAB_WORKER, "board_unallocated.png": TAB_UNALLOCATED}
    for name, tab in shots.items():
        board.tabs.setCurrentIndex(tab)
        image = window.grab()
        assert (image.width(), image.height()) == (1366, 768)
        assert image.save(str(ARTIFACTS / name))
        saved = QtGui.QImage(str(ARTIFACTS / name))
        assert (saved.width(), saved.height()) == (1366, 768)
    assert board.tabs.currentWidget() is board.unallocated_view
    # qtbot closes the window (and with it the database) at teardown; the next test shows why
    # this test does not close and drop it itself.


CLOSE_THEN_LET_GO = """
import sys
from pathlib import Path
from PySide6 import QtCore, QtWidgets
from caseload_desktop.context import open_context
from caseload_desktop.ui.main_window import MainWindow
from caseload_desktop.ui.preferences import Preferences

app = QtWidgets.QApplication([])

def open_and_close():
    settings = QtCore.QSettings(sys.argv[2], QtCore.QSettings.Format.IniFormat)
    window = MainWindow(open_context(Path(sys.argv[1])), Preferences(settings))
    window.show()
    window.board.wait_until_loaded()
    window.close()

open_and_close()
app.processEvents()
print("done")
"""


def test_a_closed_main_window_can_be_let_go_before_the_event_loop_runs(
    demo_db_path: Path, tmp_path: Path
) -> None:
    # In a child process: the crash would take the test run down with it.
    done = subprocess.run(
        [sys.executable, "-c", CLOSE_THEN_LET_GO, str(demo_db_path), str(tmp_path / "p.ini")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "shared QObject was deleted directly" not in done.stderr
    assert (done.returncode, done.stdout.strip()) == (0, "done"), done.stderr[-2000:]


# --- 12. Refresh -------------------------------------------------------------------------------


def test_refresh_keeps_the_selected_worker(qtbot: QtBot, board: CaseloadBoard) -> None:
    worker = select_worker(board, 2)
    title = board.tabs.tabText(TAB_WORKER)

    with qtbot.waitSignal(board.loaded, timeout=5000):
        board.refresh()

    assert board.selected_worker_id() == worker.worker_id
    assert board.workers_view.currentIndex().row() == 2
    assert [i.row() for i in board.workers_view.selectionModel().selectedRows()] == [2]
    assert board.tabs.tabText(TAB_WORKER) == title


def test_switching_teams_quickly_shows_the_last_team_chosen(
    board: CaseloadBoard, demo_db_path: Path
) -> None:
    board.select_team(None)
    board.select_team(ORDINARY_TEAM)
    with_loaded = []
    board.loaded.connect(lambda: with_loaded.append(board.team_picker.currentText()))
    board.wait_until_loaded()

    assert with_loaded == [ORDINARY_TEAM]  # the older requests' results are dropped
    expected = run_cli(demo_db_path, "queue", "--team", ORDINARY_TEAM)
    for queue, model in queue_models(board).items():
        assert sorted(case_refs(model)) == sorted(r["case_ref"] for r in expected[queue])
