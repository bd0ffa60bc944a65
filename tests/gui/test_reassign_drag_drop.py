"""Reassignment in the GUI: real drops on the workers view, the confirm dialog, undo and redo.

Drops are delivered as QDragEnterEvent -> QDragMoveEvent -> QDropEvent at the target row's
centre on the view's viewport, with the source model's own mime data (RELIABILITY.md); QDrag's
exec() cannot be driven in tests (pytest-qt issue #260).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.services import reassignment
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.ui.dialogs.reassign_dialog import ReassignDialog
from caseload_desktop.ui.dialogs.worker_picker import WorkerPickerDialog
from caseload_desktop.ui.main_window import MainWindow
from caseload_desktop.ui.models.cases import CasesModel
from caseload_desktop.ui.preferences import Preferences
from caseload_desktop.ui.widgets.caseload_board import (
    TAB_ORPHANED,
    TAB_UNALLOCATED,
    CaseloadBoard,
)
from tests.conftest import raw_sqlite
from tests.gui.conftest import show_window

TODAY = dt.date(2026, 11, 26)
Dialogs = list[reassignment.Request]  # what each dialog would have asked for


@pytest.fixture
def window(qtbot: QtBot, demo_db_path: Path, preferences: Preferences) -> MainWindow:
    return show_window(qtbot, demo_db_path, preferences, INSPECTION_TEAM)


def answer_dialog(
    monkeypatch: pytest.MonkeyPatch, decide: Callable[[ReassignDialog], bool] | None = None
) -> Dialogs:
    """Replace the blocking dialog: build the real one, let ``decide`` look at it and tick
    boxes, then accept (True) or cancel (False)."""
    seen: Dialogs = []

    def ask(
        cls: type,
        parent: Any,
        context: Any,
        versions: Any,
        target_id: Any,
        name: str,
        default_reason: ChangeReason = ChangeReason.MANAGE,
    ) -> reassignment.Request | None:
        dialog = ReassignDialog(
            context, versions, target_id, name, default_reason=default_reason, parent=parent
        )
        seen.append(dialog.request())
        accept = True if decide is None else decide(dialog)
        request = dialog.request() if accept and dialog.ok_button.isEnabled() else None
        dialog.deleteLater()
        return request

    monkeypatch.setattr(ReassignDialog, "ask", classmethod(ask))
    return seen


def drop(
    source: QtWidgets.QTableView,
    rows: list[int],
    target: QtWidgets.QAbstractItemView,
    target_index: QtCore.QModelIndex | None,
) -> bool:
    """Drag ``rows`` of ``source`` onto ``target_index`` (None: the view's empty area)."""
    model = source.model()
    data = model.mimeData([model.index(row, 0) for row in rows])
    viewport = target.viewport()
    if target_index is None:
        point = QtCore.QPointF(viewport.rect().center().x(), viewport.rect().bottom() - 3)
    else:
        point = QtCore.QPointF(target.visualRect(target_index).center())
    actions = QtCore.Qt.DropAction.MoveAction
    buttons = QtCore.Qt.MouseButton.LeftButton
    modifiers = QtCore.Qt.KeyboardModifier.NoModifier
    enter = QtGui.QDragEnterEvent(point, actions, data, buttons, modifiers)
    QtWidgets.QApplication.sendEvent(viewport, enter)
    move = QtGui.QDragMoveEvent(point, actions, data, buttons, modifiers)
    QtWidgets.QApplication.sendEvent(viewport, move)
    accepted = move.isAccepted()
    dropped = QtGui.QDropEvent(point, actions, data, buttons, modifiers)
    QtWidgets.QApplication.sendEvent(viewport, dropped)
    return accepted and dropped.isAccepted()


def counts(path: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(path)
    try:
        return tuple(  # type: ignore[return-value]
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("allocations", "audit_events", "outbox_events")
        )
    finally:
        conn.close()


def current_worker(path: Path, case_id: int) -> int | None:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT worker_id FROM allocations WHERE case_id = ? AND ended_on IS NULL", (case_id,)
        ).fetchone()
        return None if row is None else row[0]
    finally:
        conn.close()


def worker_row(board: CaseloadBoard, *, active: bool, spare: bool = True) -> int:
    model = board.workers_model
    for row in range(model.rowCount()):
        worker = model.row_at(row)
        practitioner = worker.status == "active" and worker.role.value != "team_manager"
        if active and practitioner and (not spare or worker.weighted + 3 < worker.capacity):
            return row
        if not active and worker.status == "left":
            return row
    raise AssertionError("no such worker on the board")


def plain_rows(model: CasesModel, how_many: int) -> list[int]:
    """Rows of cases with no siblings elsewhere (so no sibling prompt gets in the way)."""
    return [row for row in range(model.rowCount()) if model.record(row).family_group_id is None][
        :how_many
    ]


def test_dropping_orphaned_cases_on_a_worker_moves_them_audited_and_undoably(
    qtbot,
    window: MainWindow,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    board = window.board
    assert board is not None
    board.tabs.setCurrentIndex(TAB_ORPHANED)
    model = board.orphaned_model
    rows = plain_rows(model, 2)
    case_ids = [model.case_id(r) for r in rows]
    before_orphaned = model.total()
    target_row = worker_row(board, active=True, spare=False)
    target = board.workers_model.row_at(target_row)
    seen = answer_dialog(monkeypatch, lambda d: d.over_capacity.setChecked(True) or True)
    before = counts(demo_db_path)

    with qtbot.waitSignal(board.loaded, timeout=5000):
        assert drop(
            board.orphaned_view,
            rows,
            board.workers_view,
            board.workers_model.index(target_row, 0),
        )
    # The dialog offered "previous worker left" for orphaned cases.
    assert seen[0].reason is ChangeReason.LEFTRL
    assert all(current_worker(demo_db_path, c) == target.worker_id for c in case_ids)
    assert counts(demo_db_path) == (before[0] + 2, before[1] + 2, before[2] + 2)
    assert board.orphaned_model.total() == before_orphaned - 2
    assert window.undo_stack.count() == 1 and window.undo_action.isEnabled()

    with qtbot.waitSignal(board.loaded, timeout=5000):
        window.undo_action.trigger()
    assert board.orphaned_model.total() == before_orphaned
    assert all(current_worker(demo_db_path, c) != target.worker_id for c in case_ids)
    # Undo writes history; it deletes none.
    assert counts(demo_db_path)[0] == before[0] + 4

    with qtbot.waitSignal(board.loaded, timeout=5000):
        window.redo_action.trigger()
    assert all(current_worker(demo_db_path, c) == target.worker_id for c in case_ids)
    assert board.orphaned_model.total() == before_orphaned - 2


def test_a_leaver_row_refuses_the_drop_and_nothing_changes(
    qtbot,
    window: MainWindow,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    board = window.board
    assert board is not None
    board.tabs.setCurrentIndex(TAB_UNALLOCATED)
    seen = answer_dialog(monkeypatch)
    before = counts(demo_db_path)
    leaver = worker_row(board, active=False)
    assert not drop(
        board.unallocated_view, [0], board.workers_view, board.workers_model.index(leaver, 0)
    )
    qtbot.wait(50)  # any deferred drop handling would have run by now
    assert seen == [] and counts(demo_db_path) == before


def test_the_dialog_warns_over_capacity_with_the_numbers_and_needs_a_tick(
    qtbot,
    window: MainWindow,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    board = window.board
    assert board is not None
    board.tabs.setCurrentIndex(TAB_UNALLOCATED)
    full = next(
        r
        for r in range(board.workers_model.rowCount())
        if board.workers_model.row_at(r).status == "active"
        and board.workers_model.row_at(r).weighted >= board.workers_model.row_at(r).capacity > 0
    )

    def look(dialog: ReassignDialog) -> bool:
        assert dialog.warning.isVisibleTo(dialog) and "capacity of" in dialog.warning.text()
        assert not dialog.ok_button.isEnabled()
        return False  # the manager thinks again

    seen = answer_dialog(monkeypatch, look)
    before = counts(demo_db_path)
    drop(board.unallocated_view, [0], board.workers_view, board.workers_model.index(full, 0))
    qtbot.waitUntil(lambda: len(seen) == 1)
    assert counts(demo_db_path) == before


def test_moving_one_sibling_offers_the_whole_family_and_moves_it(
    qtbot,
    window: MainWindow,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    board = window.board
    assert board is not None
    board.tabs.setCurrentIndex(TAB_UNALLOCATED)
    model = board.unallocated_model
    row = next(r for r in range(model.rowCount()) if model.record(r).family_group_id is not None)
    group = model.record(row).family_group_id
    conn = sqlite3.connect(demo_db_path)
    family = [
        c
        for (c,) in conn.execute(
            "SELECT cases.id FROM cases JOIN children ON children.id = cases.child_id "
            "WHERE children.family_group_id = ?",
            (group,),
        )
    ]
    conn.close()
    assert len(family) >= 2
    target_row = worker_row(board, active=True, spare=False)
    target = board.workers_model.row_at(target_row)

    def look(dialog: ReassignDialog) -> bool:
        assert dialog.siblings.isVisibleTo(dialog) and dialog.siblings.isChecked()
        dialog.over_capacity.setChecked(True)
        return True

    answer_dialog(monkeypatch, look)
    with qtbot.waitSignal(board.loaded, timeout=5000):
        drop(
            board.unallocated_view,
            [row],
            board.workers_view,
            board.workers_model.index(target_row, 0),
        )
    assert all(current_worker(demo_db_path, c) == target.worker_id for c in family)


def test_dropping_a_workers_case_on_the_unallocated_queue_deallocates_it(
    qtbot,
    window: MainWindow,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    board = window.board
    assert board is not None
    active = worker_row(board, active=True, spare=False)
    board.workers_view.setCurrentIndex(board.workers_model.index(active, 0))
    model = board.worker_cases_model
    rows = plain_rows(model, 1)
    case_id = model.case_id(rows[0])
    before = board.unallocated_model.total()
    answer_dialog(monkeypatch)
    with qtbot.waitSignal(board.loaded, timeout=5000):
        assert drop(board.worker_cases_view, rows, board.unallocated_view, None)
    assert current_worker(demo_db_path, case_id) is None
    assert board.unallocated_model.total() == before + 1


def test_ctrl_r_picks_a_worker_from_the_keyboard(
    qtbot,
    window: MainWindow,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    board = window.board
    assert board is not None
    board.tabs.setCurrentIndex(TAB_UNALLOCATED)
    rows = plain_rows(board.unallocated_model, 1)
    board.unallocated_view.selectRow(rows[0])
    case_id = board.unallocated_model.case_id(rows[0])
    target = board.workers_model.row_at(worker_row(board, active=True, spare=False))
    offered: list[list[str]] = []

    def pick(cls: type, parent: Any, workers: Any) -> tuple[int | None, str]:
        picker = WorkerPickerDialog(workers, parent)
        offered.append([picker.items.item(r).text() for r in range(picker.items.rowCount())])
        picker.search.setText(target.worker)
        chosen = picker.chosen()
        picker.deleteLater()
        assert chosen is not None
        return chosen

    monkeypatch.setattr(WorkerPickerDialog, "ask", classmethod(pick))
    answer_dialog(monkeypatch, lambda d: d.over_capacity.setChecked(True) or True)
    assert window.main_actions.reassign.shortcut().toString() == "Ctrl+R"
    with qtbot.waitSignal(board.loaded, timeout=5000):
        window.main_actions.reassign.trigger()
    assert current_worker(demo_db_path, case_id) == target.worker_id
    # Leavers are never offered; the queue always is.
    assert offered[0][0].startswith("Unallocated queue")
    assert not any("left" in text for text in offered[0])


def test_a_case_moved_elsewhere_meanwhile_is_not_overwritten(
    qtbot,
    window: MainWindow,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list,  # type: ignore[no-untyped-def]
) -> None:
    board = window.board
    context = window.context
    assert board is not None and context is not None
    board.tabs.setCurrentIndex(TAB_UNALLOCATED)
    rows = plain_rows(board.unallocated_model, 1)
    case_ref = board.unallocated_model.record(rows[0]).case_ref
    target_row = worker_row(board, active=True, spare=False)
    target_id = board.workers_model.row_at(target_row).worker_id
    other = next(
        w.worker_id
        for w in board.workers_model.all_rows()
        if w.status == "active" and w.worker_id != target_id
    )

    def someone_else_moves_it_first(dialog: ReassignDialog) -> bool:
        dialog.over_capacity.setChecked(True)
        # While the dialog is open, another window (or the CLI, or a sync) moves the case.
        reassignment.reassign(
            context.db,
            reassignment.Request(
                case_refs=[case_ref],
                to_worker_id=other,
                effective=TODAY,
                accept_over_capacity=True,
            ),
            rules=context.rules,
            today=TODAY,
            actor="someone else",
        )
        return True

    answer_dialog(monkeypatch, someone_else_moves_it_first)
    drop(board.unallocated_view, rows, board.workers_view, board.workers_model.index(target_row, 0))
    qtbot.waitUntil(lambda: bool(errors))
    assert case_ref in errors[0][1] and "changed since" in errors[0][1]
    conn = sqlite3.connect(demo_db_path)
    by_test = conn.execute(
        "SELECT count(*) FROM audit_events WHERE actor != 'demo' AND actor != 'someone else'"
    ).fetchone()[0]
    conn.close()
    assert by_test == 0  # the manager's move wrote nothing
    assert window.undo_stack.count() == 0


def test_the_dialog_says_when_the_cases_changed_before_it_opened(
    qtbot,
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    board = window.board
    context = window.context
    assert board is not None and context is not None
    model = board.unallocated_model
    versions = {model.case_id(0): model.version(0) - 1}  # an old read
    dialog = ReassignDialog(context, versions, None, "the unallocated queue")
    qtbot.addWidget(dialog)
    assert dialog.refusal.isVisibleTo(dialog) and "changed since" in dialog.refusal.text()
    assert not dialog.ok_button.isEnabled()


def test_an_undo_after_the_case_moved_on_says_so_and_leaves_the_stack_honest(
    qtbot,
    window: MainWindow,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list,  # type: ignore[no-untyped-def]
) -> None:
    board = window.board
    context = window.context
    assert board is not None and context is not None
    board.tabs.setCurrentIndex(TAB_UNALLOCATED)
    rows = plain_rows(board.unallocated_model, 1)
    case_ref = board.unallocated_model.record(rows[0]).case_ref
    target_row = worker_row(board, active=True, spare=False)
    answer_dialog(monkeypatch, lambda d: d.over_capacity.setChecked(True) or True)
    with qtbot.waitSignal(board.loaded, timeout=5000):
        drop(
            board.unallocated_view,
            rows,
            board.workers_view,
            board.workers_model.index(target_row, 0),
        )
    assert window.undo_stack.count() == 1
    reassignment.reassign(
        context.db,
        reassignment.Request(case_refs=[case_ref], to_worker_id=None, effective=TODAY),
        rules=context.rules,
        today=TODAY,
        actor="someone else",
    )
    window.undo_action.trigger()
    assert errors and "cannot be undone" in errors[0][1]
    qtbot.waitUntil(lambda: window.undo_stack.count() == 0)


def test_the_reason_list_starts_with_the_managers_words_and_records_them(
    qtbot,
    window: MainWindow,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    board = window.board
    assert board is not None
    active = worker_row(board, active=True, spare=False)
    board.workers_view.setCurrentIndex(board.workers_model.index(active, 0))
    model = board.worker_cases_model
    rows = plain_rows(model, 1)
    case_id = model.case_id(rows[0])
    offered: list[str] = []

    def pick_skills_match(dialog: ReassignDialog) -> bool:
        offered.extend(dialog.reason.itemText(i) for i in range(5))
        dialog.reason.setCurrentIndex(dialog.reason.findText("Skills match"))
        return True

    answer_dialog(monkeypatch, pick_skills_match)
    with qtbot.waitSignal(board.loaded, timeout=5000):
        assert drop(board.worker_cases_view, rows, board.unallocated_view, None)

    assert offered == [
        "Worker left",
        "Caseload balance",
        "Skills match",
        "Continuity",
        "Other (say why)",
    ]
    with raw_sqlite(demo_db_path) as connection:
        recorded = connection.execute(
            "SELECT reason_code, reason_text FROM allocations WHERE case_id = ? "
            "ORDER BY id DESC LIMIT 1",
            (case_id,),
        ).fetchone()
    assert recorded == ("MANAGE", "Skills match")
