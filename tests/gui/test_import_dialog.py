"""File > Import: choose, preview, check, import; all or nothing, off the GUI thread.

Each test drives the wizard over a real SQLite file: an empty database (``create_database``,
through ``open_context(create=True)``) filled from ``resources/templates/``, or a copy of the
session's demo database. "Nothing was written" is checked on every table's rows, read with
plain sqlite3 beside the open engine.
"""

from __future__ import annotations

import contextlib
import csv
import io
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop import locations
from caseload_desktop.context import AppContext, open_context
from caseload_desktop.domain.imports import Kind, Problem
from caseload_desktop.reports.import_report import HEADER
from caseload_desktop.services import access, imports
from caseload_desktop.services.changes import Change
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.ui.dialogs.import_dialog import ImportDialog, run_import
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.main_window import MainWindow
from caseload_desktop.ui.models.imports import (
    NOT_IN_FILE,
    ChangesModel,
    PreviewModel,
    ProblemsModel,
    Role,
    column_letters,
)

TEMPLATES = locations.resources_dir() / "templates"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCREEN = QtCore.QSize(1366, 768)
Wizard = QtWidgets.QWizard.WizardButton


# --- Helpers ------------------------------------------------------------------------------------


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in rowid order (read-only, beside the open engine)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


def count(path: Path, table: str) -> int:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def many_cases(path: Path, rows: int) -> Path:
    """``rows`` new cases in the template's team, all with the template's senior practitioner."""
    header = read_rows(TEMPLATES / "cases.csv")[0]
    team = "Assessment and Intervention"
    body = [
        [f"B-{i}", f"Q-{i}", f"Child {i}", "", "", team, "CIN", "2026-01-01", "T1003", "", ""]
        for i in range(rows)
    ]
    return write_rows(path, [header, *body])


@pytest.fixture
def empty_context(tmp_path: Path) -> Iterator[AppContext]:
    context = open_context(tmp_path / "team.db", create=True)
    yield context
    context.close()


@pytest.fixture
def template_context(empty_context: AppContext) -> AppContext:
    """A database holding the template's staff list (imported by the service)."""
    result = imports.import_file(empty_context.db, TEMPLATES / "workers.csv", Kind.WORKERS)
    assert result.written
    return empty_context


def wizard(
    qtbot: Any, context: AppContext, parent: QtWidgets.QWidget | None = None
) -> ImportDialog:
    dialog = ImportDialog(context, parent)
    if parent is None:
        qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def press(dialog: ImportDialog, which: QtWidgets.QWizard.WizardButton) -> None:
    button = dialog.button(which)
    assert button.isVisible() and button.isEnabled(), f"{button.text()} cannot be pressed"
    button.click()


def to_check(dialog: ImportDialog, path: Path, kind: Kind, mapping: str | None = None) -> None:
    """Choose ``path``, then Next twice: the Check page."""
    dialog.choose_page.set_file(path, kind, mapping)
    press(dialog, Wizard.NextButton)
    assert dialog.currentPage() is dialog.preview_page
    press(dialog, Wizard.NextButton)
    assert dialog.currentPage() is dialog.report_page


def render(dialog: ImportDialog, name: str) -> Path:
    """The dialog as a manager sees it on a 1366x768 screen (the taskbar and title bar
    take the rest)."""
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / name
    size = dialog.size()
    dialog.resize(SCREEN.width(), SCREEN.height() - 60)
    QtWidgets.QApplication.processEvents()
    assert dialog.grab().save(str(target))
    dialog.resize(size)
    QtWidgets.QApplication.processEvents()
    return target


# --- The models ---------------------------------------------------------------------------------


def test_the_preview_model_reads_each_field_from_its_column_and_marks_problems(
    qtmodeltester: Any, tmp_path: Path
) -> None:
    rows = read_rows(TEMPLATES / "cases.csv")
    rows[0].append("Notes")
    for row in rows[1:]:
        row.append("")
    rows[2][6] = "CINN"  # line 3: an unknown category
    path = write_rows(tmp_path / "cases.csv", rows)
    preview = imports.preview(path, Kind.CASES, rows=5)
    [sheet] = preview.sheets
    model = PreviewModel()
    qtmodeltester.check(model)
    model.set_sheet(sheet, preview.mapping, preview.problems)
    qtmodeltester.check(model)

    assert model.rowCount() == 5 and model.columnCount() == 1 + 14
    assert [model.index(r, PreviewModel.COL_LINE).data() for r in range(5)] == [2, 3, 4, 5, 6]
    horizontal = QtCore.Qt.Orientation.Horizontal
    assert model.headerData(1, horizontal) == "case_ref\n← case_ref"
    assert model.headerData(12, horizontal) == f"closed_on\n{NOT_IN_FILE}"
    category = 7
    assert model.index(1, category).data() == "CINN"
    assert model.index(1, category).data(Role.PROBLEM)
    assert model.index(1, category).data(QtCore.Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(0, category).data(Role.PROBLEM) is None
    assert model.index(0, 12).data() == ""  # closed_on: not in the file
    assert sheet.ignored == ("Notes",)

    # Annex A: a workbook of lists; a case reference copies the child's ID.
    annex = imports.preview(TEMPLATES / "annex-a-example.xlsx", Kind.CASES, "annex-a", rows=3)
    model.set_sheet(annex.sheets[0], annex.mapping, annex.problems)
    qtmodeltester.check(model)
    assert model.source_of("case_ref") == "(copy of child_id)"
    assert model.index(0, 1).data() == model.index(0, 2).data() == "7100001"

    # No header the mapping knows: the rows as they are, columns lettered.
    raw = imports.preview(path, Kind.WORKERS, rows=3)
    model.set_sheet(raw.sheets[0], raw.mapping, raw.problems)
    qtmodeltester.check(model)
    assert model.raw and model.headerData(1, horizontal) == "A"
    assert model.index(0, 1).data() == "case_ref"
    assert [column_letters(n) for n in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_the_problems_model_sorts_on_native_values_and_keeps_the_selection(
    qtmodeltester: Any,
) -> None:
    problems = [
        Problem(10, "team", "Nowhere", "no such team"),
        Problem(9, "category", "CINN", "an unknown category"),
        Problem(None, "staff_id", "", "the required column staff_id is missing"),
        Problem(100, "opened_on", "31/02/2026", "no such date"),
    ]
    model = ProblemsModel()
    qtmodeltester.check(model)
    model.set_problems(problems)
    qtmodeltester.check(model)
    held = QtCore.QPersistentModelIndex(model.index(1, ProblemsModel.COL_VALUE))  # line 9

    def lines() -> list[Any]:
        return [model.index(r, ProblemsModel.COL_LINE).data() for r in range(model.rowCount())]

    assert lines() == ["10", "9", "", "100"]  # the file's order
    model.sort(ProblemsModel.COL_LINE)
    assert lines() == ["", "9", "10", "100"]  # numbers, not text ("100" after "10")
    assert model.index(1, ProblemsModel.COL_LINE).data(Role.SORT) == 9
    assert held.row() == 1 and held.data() == "CINN"
    model.sort(ProblemsModel.COL_LINE, QtCore.Qt.SortOrder.DescendingOrder)
    assert lines() == ["100", "10", "9", ""]
    assert held.row() == 2
    model.sort(ProblemsModel.COL_PROBLEM)
    assert model.problems()[0].message == "an unknown category"
    model.sort(-1)
    assert model.problems() == problems
    qtmodeltester.check(model)
    assert not model.has_sheets()


def test_the_changes_model_lists_what_would_change(
    qtmodeltester: Any, template_context: AppContext, tmp_path: Path
) -> None:
    rows = read_rows(TEMPLATES / "workers.csv")
    rows[3][4] = "0.5"  # T1003's FTE, line 4
    path = write_rows(tmp_path / "workers.csv", rows)
    result = imports.import_file(template_context.db, path, Kind.WORKERS, dry_run=True)
    model = ChangesModel()
    qtmodeltester.check(model)
    model.set_changes(result.changes, "Staff ID")
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    row = [model.index(0, c).data() for c in range(model.columnCount())]
    assert row == ["", "4", "T1003", "Updated", "fte"]


# --- The wizard ---------------------------------------------------------------------------------


def test_the_templates_import_into_an_empty_database_through_the_dialog(
    qtbot: Any, empty_context: AppContext, errors: list[tuple[str, str]]
) -> None:
    path = empty_context.db.path
    announced: list[Change] = []
    empty_context.changes.subscribe(announced.append)
    dialog = wizard(qtbot, empty_context)
    assert dialog.size().width() <= SCREEN.width() and dialog.size().height() <= SCREEN.height()

    # The keyboard path: type the file's name, Enter for Next (the kind follows the name).
    page = dialog.choose_page
    assert not dialog.button(Wizard.NextButton).isEnabled()  # no file yet
    qtbot.keyClicks(page.path_edit, str(TEMPLATES / "workers.csv"))
    assert page.kind() is Kind.WORKERS and page.mapping_name() == "template"
    assert [page.mapping_combo.itemText(i) for i in range(page.mapping_combo.count())] == [
        "template"  # Annex A reads cases only
    ]
    render(dialog, "import_dialog_file.png")
    qtbot.keyClick(page.path_edit, QtCore.Qt.Key.Key_Return)
    assert dialog.currentPage() is dialog.preview_page
    preview = dialog.preview_page.model
    assert preview.rowCount() == 11 and preview.index(0, 1).data() == "T1001"
    assert "Every column of the file is read." in dialog.preview_page.ignored_label.text()
    render(dialog, "import_dialog_preview.png")
    qtbot.keyClick(dialog.preview_page.view, QtCore.Qt.Key.Key_Return)  # Enter: Next again
    report = dialog.report_page
    assert dialog.currentPage() is report
    assert not report.view.isVisible()  # no problems
    assert "Importing would add <b>11</b> new" in report.summary_label.text()
    teams = "Teams it would create: Assessment and Intervention, Children in Care."
    assert teams in report.summary_label.text()
    changes = report.changes_model
    assert changes.rowCount() == 11 and report.changes_view.isVisible()
    assert changes.headerData(ChangesModel.COL_KEY, QtCore.Qt.Orientation.Horizontal) == "Staff ID"
    assert changes.index(0, ChangesModel.COL_CHANGE).data() == "New"
    assert count(path, "workers") == 0  # the check wrote nothing
    render(dialog, "import_dialog_check.png")

    with qtbot.waitSignal(dialog.currentIdChanged, timeout=10000):
        press(dialog, Wizard.CommitButton)
    assert dialog.currentPage() is dialog.done_page
    assert dialog.imported is not None and dialog.imported.new == 11
    assert "Imported workers.csv: <b>11</b> new" in dialog.done_page.summary_label.text()
    render(dialog, "import_dialog_done.png")
    assert count(path, "workers") == 11
    assert announced[-1].what == "import" and announced[-1].teams_changed

    # The cases, with the same wizard from its start.
    dialog.restart()
    to_check(dialog, TEMPLATES / "cases.csv", Kind.CASES)
    assert "Importing would add <b>10</b> new" in report.summary_label.text()
    press(dialog, Wizard.CommitButton)
    assert dialog.currentPage() is dialog.done_page
    assert count(path, "cases") == 10
    assert len(announced[-1].case_ids) == 10
    press(dialog, Wizard.FinishButton)
    assert not dialog.isVisible() and errors == []

    # The same file again: nothing to import, and Import says so by staying disabled.
    again = wizard(qtbot, empty_context)
    to_check(again, TEMPLATES / "cases.csv", Kind.CASES)
    assert "Nothing to import" in again.report_page.summary_label.text()
    assert not again.button(Wizard.CommitButton).isEnabled()


def test_a_bad_row_is_reported_with_its_line_blocks_the_import_and_exports_as_csv(
    qtbot: Any,
    template_context: AppContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    rows = read_rows(TEMPLATES / "cases.csv")
    rows[2][6] = "CINN"  # line 3: an unknown category
    rows[5][7] = "31/02/2026"  # line 6: an impossible date
    rows[7][2] = '=HYPERLINK("http://x")'  # line 8: a formula instead of a name
    path = write_rows(tmp_path / "cases.csv", rows)
    before = snapshot(template_context.db.path)
    dialog = wizard(qtbot, template_context)
    dialog.choose_page.set_file(path, Kind.CASES)
    press(dialog, Wizard.NextButton)
    preview = dialog.preview_page
    assert "3 problems" in preview.problems_label.text()
    assert preview.model.index(1, 7).data(Role.PROBLEM)  # line 3's category is marked
    render(dialog, "import_dialog_preview_problems.png")
    press(dialog, Wizard.NextButton)

    report = dialog.report_page
    assert report.view.isVisible() and report.model.rowCount() == 3
    assert [(p.line, p.column) for p in report.model.problems()] == [
        (3, "category"),
        (6, "opened_on"),
        (8, "child_name"),
    ]
    assert report.view.isColumnHidden(ProblemsModel.COL_SHEET)  # a CSV file has no sheets
    assert "nothing can be imported" in report.summary_label.text()
    assert not dialog.button(Wizard.CommitButton).isEnabled()
    render(dialog, "import_dialog_report.png")

    # Sorted from the keyboard, then exported in that order.
    report.sort_combo.setCurrentIndex(report.sort_combo.findText("Problem"))
    assert report.view.horizontalHeader().sortIndicatorSection() == ProblemsModel.COL_PROBLEM
    shown = report.model.problems()
    target = tmp_path / "problems.csv"
    asked: list[Path] = []

    def choose(cls: type, parent: Any, title: str, suggested: Path, *_: Any) -> Path:
        asked.append(suggested)
        return target

    monkeypatch.setattr(Interaction, "choose_export_path", classmethod(choose))
    report.export_button.click()
    assert asked == [tmp_path / "cases problems.csv"]
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads it right
    exported = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert exported[0] == list(HEADER)
    assert [row[1] for row in exported[1:]] == [str(p.line) for p in shown]
    [formula] = [row for row in exported if row[1] == "8"]
    assert formula[3].startswith("'=")  # defused: a spreadsheet shows it, never runs it
    assert str(target) in report.status_label.text()
    assert errors == []
    assert snapshot(template_context.db.path) == before

    # Fixed in the file, read again: Import is allowed.
    write_rows(path, read_rows(TEMPLATES / "cases.csv"))
    report.reread_button.click()
    assert report.model.rowCount() == 0 and not report.view.isVisible()
    assert dialog.button(Wizard.CommitButton).isEnabled()


def test_cancelling_the_import_rolls_everything_back(
    qtbot: Any,
    template_context: AppContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    path = many_cases(tmp_path / "cases.csv", 300)
    before = snapshot(template_context.db.path)
    real = imports.import_file
    writing, pressed = threading.Event(), threading.Event()

    def wait_for_cancel(*args: Any, progress: Any, **options: Any) -> Any:
        def hook(done: int, total: int) -> bool:
            if done > 2 * total // 3 and not writing.is_set():
                writing.set()  # rows are being written: the manager presses Cancel now
                assert pressed.wait(10)
            return bool(progress(done, total))

        return real(*args, progress=hook, **options)

    monkeypatch.setattr(imports, "import_file", wait_for_cancel)
    dialog = wizard(qtbot, template_context)
    to_check(dialog, path, Kind.CASES)
    cancelled: list[QtWidgets.QProgressDialog] = []

    def press_cancel() -> None:
        bars = [d for d in dialog.findChildren(QtWidgets.QProgressDialog) if d.isVisible()]
        if not writing.is_set() or not bars:
            return
        timer.stop()
        cancel = bars[0].findChild(QtWidgets.QPushButton)
        assert cancel is not None and cancel.text() == "Cancel"
        cancel.click()
        cancelled.append(bars[0])
        pressed.set()

    timer = QtCore.QTimer()
    timer.setInterval(10)
    timer.timeout.connect(press_cancel)
    timer.start()  # runs inside the progress dialog's own event loop
    press(dialog, Wizard.CommitButton)
    timer.stop()

    assert cancelled and dialog.currentPage() is dialog.report_page
    assert "cancelled: nothing was imported" in dialog.report_page.status_label.text()
    assert snapshot(template_context.db.path) == before
    assert dialog.imported is None and errors == []

    # Pressed again, and left to run, it imports every row.
    monkeypatch.setattr(imports, "import_file", real)
    press(dialog, Wizard.CommitButton)
    assert dialog.currentPage() is dialog.done_page
    assert count(template_context.db.path, "cases") == 300


def cancel_when_shown(
    dialog: ImportDialog, started: threading.Event, picture: str | None = None
) -> QtCore.QTimer:
    """A timer that presses the progress dialog's Cancel once the work has ``started`` and
    the bar shows how far it has gone (it runs inside the progress dialog's own event loop);
    ``pressed`` is set on the timer after the click, ``bars`` holds the bar's (value, maximum)
    then; with ``picture``, the window and its bar are rendered there just before."""
    timer = QtCore.QTimer()
    timer.setInterval(10)
    timer.pressed = threading.Event()  # type: ignore[attr-defined]
    timer.bars = []  # type: ignore[attr-defined]

    def press_cancel() -> None:
        bars = [d for d in dialog.findChildren(QtWidgets.QProgressDialog) if d.isVisible()]
        if not started.is_set() or not bars or bars[0].maximum() == 0:
            return
        timer.stop()
        cancel = bars[0].findChild(QtWidgets.QPushButton)
        assert cancel is not None and cancel.text() == "Cancel"
        timer.bars.append((bars[0].value(), bars[0].maximum()))  # type: ignore[attr-defined]
        if picture is not None:
            ARTIFACTS.mkdir(exist_ok=True)
            window = dialog.grab()
            painter = QtGui.QPainter(window)
            bar = bars[0].grab()
            painter.drawPixmap((window.width() - bar.width()) // 2, window.height() // 3, bar)
            painter.end()
            assert window.save(str(ARTIFACTS / picture))
        cancel.click()
        timer.pressed.set()  # type: ignore[attr-defined]

    timer.timeout.connect(press_cancel)
    timer.start()
    return timer


def test_cancelling_the_read_leaves_the_wizard_where_it_was_with_nothing_read(
    qtbot: Any,
    template_context: AppContext,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    path = many_cases(tmp_path / "cases.csv", 2500)
    real = imports.preview
    reading = threading.Event()
    timers: list[QtCore.QTimer] = []

    def wait_for_cancel(*args: Any, progress: Any, **options: Any) -> Any:
        def hook(done: int, total: int) -> bool:
            going_on = progress(done, total)
            if not reading.is_set():
                reading.set()  # rows are being read: the manager presses Cancel now
                assert timers[-1].pressed.wait(10)  # type: ignore[attr-defined]
                going_on = progress(done, total)
            return bool(going_on)

        return real(*args, progress=hook, **options)

    monkeypatch.setattr(imports, "preview", wait_for_cancel)
    dialog = wizard(qtbot, template_context)
    page = dialog.choose_page
    page.set_file(path, Kind.CASES)
    timers.append(cancel_when_shown(dialog, reading, "import-reading.png"))
    press(dialog, Wizard.NextButton)
    timers[-1].stop()

    # The bar counted the rows (checking, then working out what would change)...
    assert timers[-1].bars == [(1000, 2 * 2501)]  # type: ignore[attr-defined]
    # ...and the wizard is still choosing the file, saying what happened; nothing was read.
    assert dialog.currentPage() is page
    assert page.status_label.isVisible()
    assert page.status_label.text() == (
        "Reading cases.csv was cancelled: nothing was read. Press Next to read it."
    )
    assert dialog.preview is None and errors == []
    render(dialog, "import-read-cancelled.png")

    # Next again, left to run: every row read and checked; the note has gone.
    monkeypatch.setattr(imports, "preview", real)
    press(dialog, Wizard.NextButton)
    assert dialog.currentPage() is dialog.preview_page
    assert dialog.preview is not None and dialog.preview.rows == 2500
    assert page.status_label.text() == "" and page.status_label.isHidden()
    press(dialog, Wizard.NextButton)
    report = dialog.report_page
    assert dialog.currentPage() is report
    checked = dialog.preview

    # Read the file again, cancelled: the Check page stays, with the last check.
    reading.clear()
    monkeypatch.setattr(imports, "preview", wait_for_cancel)
    timers.append(cancel_when_shown(dialog, reading))
    report.reread_button.click()
    timers[-1].stop()
    assert timers[-1].bars and dialog.currentPage() is report  # type: ignore[attr-defined]
    assert report.status_label.text().startswith(
        "Reading cases.csv again was cancelled: nothing was read."
    )
    assert dialog.preview is checked and errors == []
    assert dialog.button(Wizard.CommitButton).isEnabled()  # the last check still holds


def test_files_that_cannot_be_read_and_refusals_are_messages(
    qtbot: Any, demo_db_path: Path, tmp_path: Path, errors: list[tuple[str, str]]
) -> None:
    context = open_context(demo_db_path)
    try:
        dialog = wizard(qtbot, context)
        page = dialog.choose_page
        page.set_file(tmp_path / "nowhere.csv", Kind.CASES)
        press(dialog, Wizard.NextButton)
        assert dialog.currentPage() is page
        assert errors[-1] == ("Cannot read the file", f"{tmp_path / 'nowhere.csv'} does not exist.")
        (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
        page.set_file(tmp_path / "old.xls")
        press(dialog, Wizard.NextButton)
        assert "old Excel format (.xls)" in errors[-1][1]

        # Only an admin imports (once users are mapped); anyone may check a file.
        access.set_mapping(context.db, "someone.else", ["admin"], actor="someone.else")
        before = snapshot(demo_db_path)
        to_check(dialog, TEMPLATES / "workers.csv", Kind.WORKERS)
        press(dialog, Wizard.CommitButton)
        title, message = errors[-1]
        assert title == "Cannot import" and "may not import extracts" in message
        assert "Traceback" not in message
        assert dialog.currentPage() is dialog.report_page and dialog.imported is None
        after = snapshot(demo_db_path)
        assert after["workers"] == before["workers"] and after["teams"] == before["teams"]
    finally:
        context.close()


def test_a_read_only_database_can_be_checked_but_not_imported_into(
    qtbot: Any, demo_db_path: Path, errors: list[tuple[str, str]]
) -> None:
    context = open_context(demo_db_path, read_only=True)
    try:
        dialog = wizard(qtbot, context)
        to_check(dialog, TEMPLATES / "workers.csv", Kind.WORKERS)
        assert "Importing would add <b>11</b> new" in dialog.report_page.summary_label.text()
        assert "read-only" in dialog.report_page.status_label.text()
        assert not dialog.button(Wizard.CommitButton).isEnabled()
    finally:
        context.close()


def test_annex_a_workbooks_preview_sheet_by_sheet(
    qtbot: Any,
    template_context: AppContext,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    mine = imports.load_mapping(None, Kind.CASES).with_columns({"team": "Locality"}, Kind.CASES)
    imports.save_mapping(mine, "Mosaic cases")
    dialog = wizard(qtbot, template_context)
    page = dialog.choose_page

    def mappings() -> list[str]:
        return [page.mapping_combo.itemData(i) for i in range(page.mapping_combo.count())]

    assert mappings() == ["template", "annex-a", "Mosaic cases"]
    page.kind_buttons[Kind.WORKERS].click()
    assert mappings() == ["template"]  # the other two read cases files only
    page.kind_buttons[Kind.CASES].click()
    page.mapping_combo.setCurrentIndex(2)
    assert "Mosaic cases.json" in page.mapping_note.text()

    asked: list[Path] = []

    def choose(cls: type, parent: Any, start: Path) -> Path:
        asked.append(start)
        return TEMPLATES / "annex-a-example.xlsx"

    monkeypatch.setattr(Interaction, "choose_file_to_import", classmethod(choose))
    page.browse_button.click()
    assert asked == [Path.home()]
    assert page.path() == TEMPLATES / "annex-a-example.xlsx"
    assert page.kind() is Kind.CASES
    page.mapping_combo.setCurrentIndex(page.mapping_combo.findData("annex-a"))
    assert "Ofsted Annex A" in page.mapping_note.text()
    press(dialog, Wizard.NextButton)
    preview = dialog.preview_page
    assert preview.sheet_combo.isVisible()
    sheets = [preview.sheet_combo.itemText(i) for i in range(preview.sheet_combo.count())]
    assert sheets == ["List 3", "List 6", "List 7", "List 8", "List 9"]
    preview.sheet_combo.setCurrentIndex(4)
    assert preview.model.source_of("opened_on") == "(new rows: the day of the import)"
    assert preview.model.source_of("category") == "(Care leaver: the list's category)"
    assert "Ignored columns" in preview.ignored_label.text()
    render(dialog, "import_dialog_annex_a.png")
    press(dialog, Wizard.NextButton)
    # The template's staff list is not Annex A's: its teams are unknown here.
    assert dialog.report_page.model.has_sheets()
    assert not dialog.report_page.view.isColumnHidden(ProblemsModel.COL_SHEET)


def tab_chain(start: QtWidgets.QWidget, stop: QtWidgets.QWidget, length: int) -> list[Any]:
    """The widgets Tab visits from ``start`` (within ``stop``'s page), ``length`` of them."""
    chain: list[QtWidgets.QWidget] = [start]
    widget = start
    while len(chain) < length:
        widget = widget.nextInFocusChain()
        tabbable = widget.focusPolicy() & QtCore.Qt.FocusPolicy.TabFocus
        if tabbable and widget.isVisible() and stop.isAncestorOf(widget):
            chain.append(widget)
    return chain


def test_every_control_has_an_accessible_name_and_the_tab_order_follows_the_page(
    qtbot: Any, template_context: AppContext, tmp_path: Path, errors: list[tuple[str, str]]
) -> None:
    rows = read_rows(TEMPLATES / "cases.csv")
    rows[2][6] = "CINN"
    dialog = wizard(qtbot, template_context)
    to_check(dialog, write_rows(tmp_path / "cases.csv", rows), Kind.CASES)
    controls = (
        QtWidgets.QAbstractButton,
        QtWidgets.QComboBox,
        QtWidgets.QLineEdit,
        QtWidgets.QAbstractItemView,
    )
    for page in (dialog.choose_page, dialog.preview_page, dialog.report_page):
        for widget in page.findChildren(QtWidgets.QWidget):
            inner = widget.window() is not dialog  # a combo's own popup list
            tabbable = widget.focusPolicy() & QtCore.Qt.FocusPolicy.TabFocus
            if isinstance(widget, controls) and tabbable and not inner:
                assert widget.accessibleName(), (type(widget).__name__, widget.objectName())
    for which in (Wizard.BackButton, Wizard.NextButton, Wizard.CommitButton, Wizard.CancelButton):
        assert dialog.button(which).accessibleName()

    report = dialog.report_page
    assert tab_chain(report.view, report, 4) == [
        report.view,
        report.sort_combo,
        report.export_button,
        report.reread_button,
    ]
    press(dialog, Wizard.BackButton)
    press(dialog, Wizard.BackButton)
    page = dialog.choose_page
    assert QtWidgets.QApplication.focusWidget() in (page.path_edit, None)
    assert tab_chain(page.path_edit, page, 5) == [
        page.path_edit,
        page.browse_button,
        page.kind_buttons[Kind.WORKERS],
        page.kind_buttons[Kind.CASES],
        page.mapping_combo,
    ]


def test_the_window_board_follows_an_import(
    qtbot: Any,
    demo_db_path: Path,
    preferences: Any,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    window = MainWindow(open_context(demo_db_path), preferences)
    qtbot.addWidget(window)
    window.resize(SCREEN)
    window.show()
    board, context = window.board, window.context
    assert board is not None and context is not None
    with qtbot.waitSignal(board.loaded, timeout=10000):
        board.select_team(INSPECTION_TEAM)
    teams = board.team_picker.count()

    def run(cls: type, parent: Any, ctx: AppContext) -> Any:
        dialog = cls(ctx, parent)
        dialog.show()
        to_check(dialog, TEMPLATES / "workers.csv", Kind.WORKERS)
        press(dialog, Wizard.CommitButton)
        result = dialog.imported
        dialog.close()
        dialog.deleteLater()
        return result

    monkeypatch.setattr(ImportDialog, "ask", classmethod(run))
    with qtbot.waitSignal(board.loaded, timeout=10000):
        result = run_import(window, context)
    assert result is not None and result.written
    assert board.team_picker.count() == teams + 2  # the new teams are on the board's picker
    assert board.team_picker.findText("Assessment and Intervention") >= 0
    assert errors == []
