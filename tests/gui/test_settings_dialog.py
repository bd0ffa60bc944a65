"""Edit > Settings…: the council's settings change the board at once and are audited; bad
values are explained and saved nowhere; the logo; the password never reaches a file; display.

The dialog is the real one, opened from the real menu action: only its blocking ``ask`` is
replaced by a function that edits it and presses its buttons, as a manager would.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import pytest
from pytestqt.qtbot import QtBot

from PySide6 import QtCore, QtGui, QtTest, QtWidgets

from caseload_desktop.context import open_context
from caseload_desktop.domain.categories import Category
from caseload_desktop.domain.settings import BY_KEY, Page
from caseload_desktop.services import settings as settings_service
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.ui import preferences as prefs
from caseload_desktop.ui.dialogs.settings_dialog import (
    DISPLAY,
    NO_PASSWORD_STORE,
    SYNC,
    LineField,
    LogoField,
    SettingsDialog,
)
from caseload_desktop.ui.main_window import MainWindow
from caseload_desktop.ui.models.workers import WorkersModel
from caseload_desktop.ui.preferences import Preferences
from caseload_desktop.ui.widgets.caseload_board import CaseloadBoard
from tests.conftest import raw_sqlite
from tests.gui.conftest import show_window

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
PASSWORD = "Correct-Horse-7731"
ADDRESS = "postgresql://caseload@records.example.invalid/central?sslmode=verify-full"


@pytest.fixture(autouse=True)
def _app_font_restored(qapp: QtWidgets.QApplication) -> Iterator[None]:
    """The text size changes the application's font: put it back for the next test."""
    font = QtWidgets.QApplication.font()
    yield
    QtWidgets.QApplication.setFont(font)


@pytest.fixture
def window(qtbot: QtBot, demo_db_path: Path, preferences: Preferences) -> MainWindow:
    return show_window(qtbot, demo_db_path, preferences, INSPECTION_TEAM)


def board_of(window: MainWindow) -> CaseloadBoard:
    assert window.board is not None
    return window.board


Act = Callable[[SettingsDialog], None]


def open_settings(window: MainWindow, monkeypatch: pytest.MonkeyPatch, act: Act) -> bool:
    """Edit > Settings…, with ``act`` doing what the manager does in the dialog; True when
    the dialog was closed with OK (the window deletes it afterwards)."""
    closed_with_ok: list[bool] = []

    def ask(dialog: SettingsDialog) -> bool:
        dialog.show()
        act(dialog)
        closed_with_ok.append(dialog.result() == QtWidgets.QDialog.DialogCode.Accepted)
        return closed_with_ok[-1]

    monkeypatch.setattr(SettingsDialog, "ask", ask)
    window.main_actions.settings.trigger()
    assert len(closed_with_ok) == 1
    return closed_with_ok[0]


def type_into(dialog: SettingsDialog, key: str, text: str) -> None:
    """Select the field's text and type over it, key by key."""
    field = dialog.fields[key]
    assert isinstance(field, LineField)
    field.editor.selectAll()
    QtTest.QTest.keyClicks(field.editor, text)
    assert field.editor.text() == text


def shown(widget: QtWidgets.QWidget) -> bool:
    """Shown on its page, whichever page is in front."""
    return not widget.isHidden()


def restore_button(dialog: SettingsDialog, page: str) -> QtWidgets.QPushButton:
    button = dialog.findChild(QtWidgets.QPushButton, f"restore:{page}")
    assert isinstance(button, QtWidgets.QPushButton)
    return button


def stored_values(path: Path) -> dict[str, object]:
    with raw_sqlite(path) as conn:
        rows = conn.execute("SELECT key, value FROM settings").fetchall()
    # SQLite's JSON column keeps a whole number as an integer.
    return {key: json.loads(value) if isinstance(value, str) else value for key, value in rows}


def audit_of_settings(path: Path) -> list[dict[str, object]]:
    with raw_sqlite(path) as conn:
        rows = conn.execute(
            "SELECT detail FROM audit_events WHERE action = 'setting.changed' ORDER BY id"
        ).fetchall()
    return [json.loads(detail) for (detail,) in rows]


def overdue_cases(board: CaseloadBoard, category: Category) -> set[str]:
    """Case references the board shows as overdue for a visit, in every queue tab."""
    found: set[str] = set()
    for model in (board.orphaned_model, board.unallocated_model, board.held_model):
        while model.canFetchMore():
            model.fetchMore()
        keys = [column.key for column in model.columns]
        ref, visit = keys.index("case_ref"), keys.index("next_visit_due")
        kind = keys.index("category")
        for row in range(model.rowCount()):
            if model.index(row, kind).data().removesuffix(" (court)") != category.short:
                continue
            if "overdue" in model.index(row, visit).data():
                found.add(model.index(row, ref).data())
    return found


# --- The action -----------------------------------------------------------------------------


def test_settings_sits_in_the_edit_menu_as_the_platforms_preferences(window: MainWindow) -> None:
    action = window.main_actions.settings
    edit = next(m for m in window.menuBar().findChildren(QtWidgets.QMenu) if m.title() == "&Edit")
    assert action in edit.actions()
    assert action.menuRole() is QtGui.QAction.MenuRole.PreferencesRole
    assert not action.shortcut().isEmpty()  # Ctrl+, where the platform has no standard key


# --- The council's settings change the board ------------------------------------------------


def test_a_weight_changed_in_the_dialog_reweighs_the_board_and_is_audited(
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
    demo_db_path: Path,
) -> None:
    board = board_of(window)
    before = {row.worker_id: row for row in board.workers_model.all_rows()}
    with_cp = [row for row in before.values() if row.by_category.get(Category.CP)]
    assert with_cp, "the inspection team has workers holding child protection cases"

    def act(dialog: SettingsDialog) -> None:
        assert dialog.fields["weights.cp"].value() == Decimal("1.5")
        type_into(dialog, "weights.cp", "3")
        assert dialog.apply_button.isEnabled()
        dialog.ok_button.click()

    with qtbot.waitSignal(board.loaded, timeout=10_000):
        assert open_settings(window, monkeypatch, act)

    after = {row.worker_id: row for row in board.workers_model.all_rows()}
    for row in with_cp:
        extra = Decimal("1.5") * row.by_category[Category.CP]
        assert after[row.worker_id].weighted == row.weighted + extra
    one = board.workers_model.row_of_worker(with_cp[0].worker_id)
    assert one is not None
    shown = board.workers_model.index(one, WorkersModel.COL_LOAD).data()
    assert f"{after[with_cp[0].worker_id].weighted:f}".rstrip("0").rstrip(".") in shown
    assert window.context is not None and window.context.rules.weights[Category.CP] == 3

    assert audit_of_settings(demo_db_path) == [{"key": "weights.cp", "old": "1.5", "new": "3"}]
    assert stored_values(demo_db_path) == {"weights.cp": "3"}


def test_a_visit_frequency_changed_in_the_dialog_changes_which_cases_are_overdue(
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
) -> None:
    board = board_of(window)
    overdue_at_10 = overdue_cases(board, Category.CP)
    assert overdue_at_10, "the inspection team has child protection visits overdue"

    def act(dialog: SettingsDialog) -> None:
        dialog.show_page(Page.TIMESCALES.value)
        type_into(dialog, "visits.cp_working_days", "60")
        dialog.apply_button.click()  # Apply: saved, the dialog stays open
        assert dialog.isVisible() and not dialog.apply_button.isEnabled()
        dialog.reject()

    with qtbot.waitSignal(board.loaded, timeout=10_000):
        open_settings(window, monkeypatch, act)
    overdue_at_60 = overdue_cases(board, Category.CP)
    assert overdue_at_60 < overdue_at_10  # some are no longer overdue, none became overdue


# --- Bad values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("-1", "-1 is not allowed; a number more than 0 up to 100."),
        ("abc", "'abc' is not allowed; a number more than 0 up to 100."),
        ("0", "0 is not allowed; a number more than 0 up to 100."),
    ],
)
def test_a_bad_weight_is_explained_beside_it_and_nothing_can_be_saved(
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    demo_db_path: Path,
    errors: list[tuple[str, str]],
    text: str,
    said: str,
) -> None:
    def act(dialog: SettingsDialog) -> None:
        type_into(dialog, "weights.cla", "2")  # a good edit too: it must not be saved either
        type_into(dialog, "weights.cp", text)
        error = dialog.fields["weights.cp"].error
        assert shown(error) and error.text() == said
        assert not dialog.ok_button.isEnabled() and not dialog.apply_button.isEnabled()
        assert not dialog.apply()
        dialog.ok_button.click()  # disabled: nothing happens
        assert dialog.isVisible()
        type_into(dialog, "weights.cp", "2.5")
        assert not shown(error) and dialog.ok_button.isEnabled()
        dialog.reject()  # Cancel: nothing saved

    open_settings(window, monkeypatch, act)
    assert stored_values(demo_db_path) == {}
    assert audit_of_settings(demo_db_path) == []
    assert errors == []


def test_amber_above_red_is_explained_and_nothing_can_be_saved(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, demo_db_path: Path
) -> None:
    def act(dialog: SettingsDialog) -> None:
        type_into(dialog, "rag.amber_from_percent", "120")
        error = dialog.fields["rag.amber_from_percent"].error
        assert shown(error)
        assert error.text() == (
            '"Amber from" (120) must not be above "Red above" (100): a load turns amber '
            "before it turns red."
        )
        assert not shown(dialog.fields["rag.red_above_percent"].error)
        assert not dialog.ok_button.isEnabled()
        assert not dialog.apply()
        assert not dialog._page_items[Page.CASELOAD.value].icon().isNull()
        type_into(dialog, "rag.red_above_percent", "130")  # fixed from the other field
        assert not shown(error) and dialog.ok_button.isEnabled()
        dialog.reject()

    open_settings(window, monkeypatch, act)
    assert stored_values(demo_db_path) == {}


# --- Restore defaults, staleness, read-only -------------------------------------------------


def test_restore_defaults_fills_in_that_page_only_and_saves_on_ok(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, demo_db_path: Path
) -> None:
    assert window.context is not None
    settings_service.change(
        window.context.db,
        {"weights.cp": Decimal(3), "capacity.per_fte": Decimal(20), "visits.cp_working_days": 15},
        announcer=window.context.changes,
    )

    def act(dialog: SettingsDialog) -> None:
        assert dialog.fields["weights.cp"].value() == 3
        restore_button(dialog, Page.CASELOAD.value).click()
        assert dialog.fields["weights.cp"].value() == Decimal("1.5")
        assert dialog.fields["capacity.per_fte"].value() == 18
        assert dialog.fields["visits.cp_working_days"].value() == 15  # another page
        dialog.ok_button.click()

    open_settings(window, monkeypatch, act)
    assert stored_values(demo_db_path) == {
        "weights.cp": "1.5",
        "capacity.per_fte": "18",
        "visits.cp_working_days": 15,
    }
    assert window.context.rules.weights[Category.CP] == Decimal("1.5")
    assert window.context.rules.cp_visit_working_days == 15


def test_a_setting_changed_elsewhere_meanwhile_is_refused_and_shown(
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    demo_db_path: Path,
    errors: list[tuple[str, str]],
) -> None:
    assert window.context is not None
    context = window.context

    def act(dialog: SettingsDialog) -> None:
        type_into(dialog, "weights.cp", "3")
        type_into(dialog, "weights.cin", "1.5")
        # Another desktop (or the command line) changes the CP weight meanwhile.
        settings_service.change(context.db, {"weights.cp": Decimal(2)})
        dialog.ok_button.click()
        assert dialog.isVisible()
        assert dialog.fields["weights.cp"].value() == 2  # their value, to look at
        assert dialog.fields["weights.cin"].value() == Decimal("1.5")  # this edit kept

    open_settings(window, monkeypatch, act)
    assert len(errors) == 1 and "weights.cp was changed by someone else" in errors[0][1]
    assert stored_values(demo_db_path) == {"weights.cp": "2"}


def test_without_leave_to_edit_rules_the_councils_pages_are_read_only(
    qtbot: QtBot,
    demo_db_path: Path,
    preferences: Preferences,
) -> None:
    context = open_context(demo_db_path)
    dialog = SettingsDialog(context, preferences, may_edit_rules=False)
    qtbot.addWidget(dialog)
    cp = dialog.fields["weights.cp"]
    assert isinstance(cp, LineField) and cp.editor.isReadOnly()
    logo = dialog.fields["records.logo"]
    assert isinstance(logo, LogoField) and not logo.choose_button.isEnabled()
    for page in (Page.CASELOAD, Page.TIMESCALES, Page.RECORDS):
        assert not restore_button(dialog, page.value).isEnabled()
    assert dialog.text_size.isEnabled() and not dialog.central_address.isReadOnly()
    dialog.text_size.setCurrentIndex(dialog.text_size.findData(115))
    assert dialog.apply()
    assert preferences.get(prefs.TEXT_SIZE) == 115
    context.close()


# --- The logo -------------------------------------------------------------------------------


def choose_file(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(
        QtWidgets.QFileDialog,
        "getOpenFileName",
        staticmethod(lambda *args, **kwargs: (str(path), "")),
    )


def test_a_png_logo_is_previewed_and_saved(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    image = QtGui.QImage(300, 100, QtGui.QImage.Format.Format_RGB32)
    image.fill(QtGui.QColor("#1f5fa8"))
    png = tmp_path / "northshire.png"
    assert image.save(str(png))
    choose_file(monkeypatch, png)

    def act(dialog: SettingsDialog) -> None:
        dialog.show_page(Page.RECORDS.value)
        logo = dialog.fields["records.logo"]
        assert isinstance(logo, LogoField)
        assert logo.preview.pixmap().isNull() and not logo.remove_button.isEnabled()
        logo.choose_button.click()
        shown = logo.preview.pixmap()
        assert not shown.isNull() and shown.width() <= 220 and shown.height() <= 90
        assert shown.toImage().pixelColor(5, 5) == QtGui.QColor("#1f5fa8")
        assert logo.description.text().startswith("PNG image")
        assert logo.remove_button.isEnabled()
        dialog.ok_button.click()

    open_settings(window, monkeypatch, act)
    assert window.context is not None
    saved = window.context.records.logo
    assert saved is not None and saved.format == "png" and saved.data == png.read_bytes()


def test_an_svg_logo_is_drawn_in_the_preview(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    svg = tmp_path / "crest.svg"
    svg.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100">'
        '<rect width="200" height="100" fill="#b3261e"/></svg>',
        encoding="utf-8",
    )
    choose_file(monkeypatch, svg)

    def act(dialog: SettingsDialog) -> None:
        logo = dialog.fields["records.logo"]
        assert isinstance(logo, LogoField)
        logo.choose_button.click()
        shown = logo.preview.pixmap().toImage()
        assert (shown.width(), shown.height()) == (180, 90)  # the SVG's shape, fitted
        assert shown.pixelColor(90, 45) == QtGui.QColor("#b3261e")
        dialog.reject()

    open_settings(window, monkeypatch, act)


def test_a_file_that_is_not_an_image_is_refused_with_a_message(
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    demo_db_path: Path,
    errors: list[tuple[str, str]],
) -> None:
    notes = tmp_path / "logo.png"
    notes.write_text("minutes of the team meeting", encoding="utf-8")
    choose_file(monkeypatch, notes)

    def act(dialog: SettingsDialog) -> None:
        logo = dialog.fields["records.logo"]
        assert isinstance(logo, LogoField)
        logo.choose_button.click()
        assert logo.value() is None and logo.preview.pixmap().isNull()
        assert not dialog.apply_button.isEnabled()  # nothing changed
        dialog.ok_button.click()

    open_settings(window, monkeypatch, act)
    assert errors == [
        (
            "Cannot use this logo",
            "logo.png: The logo must be a PNG or SVG image; this file is neither.",
        )
    ]
    assert stored_values(demo_db_path) == {}


# --- Sync: the password never reaches a file ------------------------------------------------


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A password store in memory, standing in for the platform's."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.saved[(service, username)]


@pytest.fixture
def password_store() -> Iterator[Callable[[keyring.backend.KeyringBackend], None]]:
    """Use a given keyring backend for the test, never the machine's own."""
    before = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(before)


def files_containing(folder: Path, secret: str) -> list[Path]:
    return [
        path
        for path in folder.rglob("*")
        if path.is_file() and secret.encode() in path.read_bytes()
    ]


def test_with_no_password_store_the_password_is_not_saved_and_the_page_says_so(
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    preferences: Preferences,
    password_store: Callable[[keyring.backend.KeyringBackend], None],
) -> None:
    password_store(keyring.backends.fail.Keyring())

    def act(dialog: SettingsDialog) -> None:
        dialog.show_page(SYNC)
        dialog.central_address.insert(ADDRESS)
        dialog.password.insert(PASSWORD)
        dialog.ok_button.click()
        assert dialog.isVisible()  # not closed: the manager must see it was not saved
        assert shown(dialog.password_note)
        assert dialog.password_note.text() == NO_PASSWORD_STORE
        assert dialog.password.text() == ""
        dialog.ok_button.click()  # nothing left unsaved: OK closes now

    assert open_settings(window, monkeypatch, act)
    preferences.sync()
    ini = Path(preferences.settings.fileName())
    assert ini.is_file() and ADDRESS in ini.read_text(encoding="utf-8")
    assert preferences.get(prefs.CENTRAL_ADDRESS) == ADDRESS
    assert files_containing(tmp_path, PASSWORD) == []


def test_with_a_password_store_the_password_goes_there_and_nowhere_else(
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    preferences: Preferences,
    password_store: Callable[[keyring.backend.KeyringBackend], None],
) -> None:
    store = MemoryKeyring()
    password_store(store)

    def act(dialog: SettingsDialog) -> None:
        dialog.central_address.insert(ADDRESS)
        dialog.password.insert(PASSWORD)
        dialog.ok_button.click()

    assert open_settings(window, monkeypatch, act)
    assert store.saved == {("Caseload Desktop", ADDRESS): PASSWORD}
    preferences.sync()
    assert files_containing(tmp_path, PASSWORD) == []


@pytest.mark.parametrize(
    ("address", "password", "wrong"),
    [
        ("https://records.example.gov.uk", "", "central_address"),
        ("records.example.gov.uk", "", "central_address"),
        ("postgresql://caseload:secret@records.example.gov.uk/central", "", "central_address"),
        ("", PASSWORD, "password"),
    ],
)
def test_a_server_address_must_be_postgresql_without_a_password_and_come_before_one(
    qtbot: QtBot,
    preferences: Preferences,
    address: str,
    password: str,
    wrong: str,
) -> None:
    dialog = SettingsDialog(None, preferences)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.central_address.insert(address)
    dialog.password.insert(password)
    error = dialog.central_address_error if wrong == "central_address" else dialog.password_error
    assert shown(error) and "address" in error.text()
    assert not dialog.ok_button.isEnabled()
    assert not dialog._page_items[SYNC].icon().isNull()
    assert preferences.get(prefs.CENTRAL_ADDRESS) == ""


# --- Display ------------------------------------------------------------------------------


def test_the_text_size_applies_to_the_app_at_once_and_at_the_next_start(
    window: MainWindow,
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
    preferences: Preferences,
    demo_db_path: Path,
) -> None:
    system = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.GeneralFont)
    board = board_of(window)
    row_height = board.workers_view.verticalHeader().defaultSectionSize()

    def act(dialog: SettingsDialog) -> None:
        dialog.show_page(DISPLAY)
        dialog.text_size.setCurrentIndex(dialog.text_size.findData(130))
        dialog.apply_button.click()
        assert QtWidgets.QApplication.font().pointSizeF() == pytest.approx(
            system.pointSizeF() * 1.3
        )
        QtCore.QCoreApplication.processEvents()  # widgets take the font from the event loop
        assert dialog.font().pointSizeF() == pytest.approx(system.pointSizeF() * 1.3)
        dialog.accept()

    open_settings(window, monkeypatch, act)
    assert board.workers_view.verticalHeader().defaultSectionSize() > row_height
    assert board.workers_view.font().pointSizeF() == pytest.approx(system.pointSizeF() * 1.3)
    assert preferences.get(prefs.TEXT_SIZE) == 130

    QtWidgets.QApplication.setFont(system)
    again = MainWindow(None, preferences)
    qtbot.addWidget(again)
    assert QtWidgets.QApplication.font().pointSizeF() == pytest.approx(system.pointSizeF() * 1.3)


@pytest.mark.parametrize("open_last", [True, False])
def test_the_board_opens_on_the_last_team_only_when_asked_to(
    qtbot: QtBot,
    demo_db_path: Path,
    preferences: Preferences,
    open_last: bool,
) -> None:
    first = MainWindow(open_context(demo_db_path), preferences)
    qtbot.addWidget(first)
    board = board_of(first)
    board.wait_until_loaded()
    last_team = board.team_picker.itemText(board.team_picker.count() - 1)
    assert board.team_picker.currentIndex() == 1 and last_team != board.team_picker.currentText()
    with qtbot.waitSignal(board.loaded):
        board.select_team(last_team)
    dialog = SettingsDialog(first.context, preferences, first)
    dialog.open_last_team.setChecked(open_last)
    assert dialog.apply() is True
    first.close()  # keeps the team shown

    again = MainWindow(open_context(demo_db_path), preferences)
    qtbot.addWidget(again)
    shown = board_of(again).team_picker.currentText()
    assert shown == (last_team if open_last else board_of(again).team_picker.itemText(1))
    again.close()


# --- How it looks ---------------------------------------------------------------------------


@pytest.mark.parametrize("percent", [100, 150])
def test_every_page_reads_without_clipping_at_every_text_size(
    qtbot: QtBot,
    demo_db_path: Path,
    preferences: Preferences,
    percent: int,
) -> None:
    font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.GeneralFont)
    font.setPointSizeF(font.pointSizeF() * percent / 100)
    QtWidgets.QApplication.setFont(font)
    context = open_context(demo_db_path)
    dialog = SettingsDialog(context, preferences)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert set(dialog.fields) == set(BY_KEY)  # every setting of the catalogue has a field
    for widget in dialog.findChildren(QtWidgets.QWidget):
        if isinstance(widget, (QtWidgets.QLineEdit, QtWidgets.QAbstractButton)):
            assert widget.accessibleName(), widget.objectName() or type(widget).__name__
        if isinstance(widget, QtWidgets.QComboBox):
            assert widget.accessibleName()
    pages = dialog.page_list
    assert pages.sizeHintForColumn(0) <= pages.viewport().width()  # every name in full
    for row in range(dialog.page_list.count()):
        dialog.page_list.setCurrentRow(row)
        QtCore.QCoreApplication.processEvents()
        page = dialog.stack.currentWidget()
        assert page is not None
        scroll = page.findChild(QtWidgets.QScrollArea)
        assert isinstance(scroll, QtWidgets.QScrollArea)
        assert scroll.horizontalScrollBar().maximum() == 0, dialog.page_list.item(row).text()
    if percent == 100:
        ARTIFACTS.mkdir(exist_ok=True)
        dialog.show_page(Page.CASELOAD.value)
        assert dialog.grab().save(str(ARTIFACTS / "settings_dialog.png"))
    context.close()
