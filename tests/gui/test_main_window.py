"""The main window: the open database in the status bar, the team overview, open and create."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6 import QtCore, QtWidgets

from caseload_desktop import app, locations
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.store.engine import Passphrase
from caseload_desktop.ui.dialogs.about_dialog import AboutDialog
from caseload_desktop.ui.dialogs.passphrase_dialog import NewPassphrase, NewPassphraseDialog
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.main_window import MainWindow
from caseload_desktop.ui.preferences import Preferences
from tests.gui.conftest import show_window

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def window(qtbot: QtBot, demo_db_path: Path, preferences: Preferences) -> MainWindow:
    return show_window(qtbot, demo_db_path, preferences)


def test_the_status_bar_names_the_open_database_and_today(
    window: MainWindow, demo_db_path: Path
) -> None:
    assert str(demo_db_path) in window.database_label.text()
    assert window.database_label.accessibleName() == "Open database"
    assert "26 Nov 2026" in window.today_label.text()
    assert "CASELOAD_TODAY" in window.today_label.text()
    assert demo_db_path.name in window.windowTitle()


def test_the_board_opens_on_the_first_team_and_says_when_it_is_busy(window: MainWindow) -> None:
    assert window.board is not None
    window.board.wait_until_loaded()
    assert window.board.team_picker.currentIndex() == 1  # the first team, not "all teams"
    assert window.board.workers_model.rowCount() > 0
    assert window.busy_indicator.isHidden()


def test_a_screenshot_of_the_main_window_reads_at_1366x768(window: MainWindow) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    assert window.board is not None
    window.board.select_team(INSPECTION_TEAM)
    window.board.wait_until_loaded()
    image = window.grab()
    assert image.width() == 1366 and image.height() == 768
    assert image.save(str(ARTIFACTS / "main_window.png"))


def test_with_no_database_the_start_page_offers_create_open_and_demo(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(None)
    qtbot.addWidget(win)
    assert win.pages.currentWidget() is win.start_page
    assert win.database_label.text() == "No database open"
    names = {b.accessibleName() for b in win.start_page.findChildren(QtWidgets.QPushButton)}
    assert names == {"New database", "Open database", "Open the demo service"}


def test_file_open_opens_the_chosen_database(
    qtbot,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    win = MainWindow(None)
    qtbot.addWidget(win)
    monkeypatch.setattr(
        Interaction, "choose_database_to_open", classmethod(lambda cls, parent, start: demo_db_path)
    )
    with qtbot.waitSignal(win.database_changed) as signal:
        win.main_actions.open_database.trigger()
    assert signal.args == [str(demo_db_path)]
    assert win.board is not None and win.pages.currentWidget() is win.board
    win.board.wait_until_loaded()
    assert win.board.team_picker.count() >= 6  # "All teams" and each team


def test_opening_a_file_that_is_not_a_database_shows_why_and_keeps_the_open_one(
    window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, errors: list
) -> None:
    bad = tmp_path / "notes.db"
    bad.write_text("not a database", encoding="utf-8")
    monkeypatch.setattr(
        Interaction, "choose_database_to_open", classmethod(lambda cls, parent, start: bad)
    )
    before = window.context
    window.main_actions.open_database.trigger()
    assert len(errors) == 1 and "not a Caseload Desktop database" in errors[0][1]
    assert window.context is before
    assert bad.read_text(encoding="utf-8") == "not a database"


def test_file_new_creates_an_empty_database_and_opens_it(
    qtbot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    target = tmp_path / "new-team.db"
    win = MainWindow(None)
    qtbot.addWidget(win)
    monkeypatch.setattr(
        Interaction, "choose_new_database", classmethod(lambda cls, parent, start: target)
    )
    # The passphrase asked next (tests/gui/test_security_gui.py tests that dialog itself).
    answer = NewPassphrase(Passphrase("a new team's passphrase"), remember=False)
    monkeypatch.setattr(NewPassphraseDialog, "ask", classmethod(lambda cls, *a, **k: answer))
    win.main_actions.new_database.trigger()
    assert target.exists()
    assert str(target) in win.database_label.text()
    assert win.board is not None
    win.board.wait_until_loaded()
    assert win.board.team_picker.count() == 1  # only "All teams": nothing imported yet
    assert win.board.workers_model.rowCount() == 0


def test_open_the_demo_creates_it_in_the_data_folder_once(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(None)
    qtbot.addWidget(win)
    win.main_actions.open_demo.trigger()
    assert win.context is not None and win.context.db.path.name == "demo.db"
    assert win.board is not None and win.board.team_picker.count() >= 7


@pytest.fixture
def empty_window(qtbot, preferences) -> MainWindow:  # type: ignore[no-untyped-def]
    win = MainWindow(None, preferences)
    qtbot.addWidget(win)
    return win


def test_the_gui_entry_refuses_a_missing_database_without_creating_it(
    empty_window: MainWindow, tmp_path: Path, errors: list[tuple[str, str]]
) -> None:
    app.open_at_start(empty_window, argparse.Namespace(demo=False, db=tmp_path / "missing.db"))
    assert len(errors) == 1 and "No database at" in errors[0][1]
    assert empty_window.context is None
    assert not (tmp_path / "missing.db").exists()


def test_the_gui_entry_opens_the_named_database(
    empty_window: MainWindow, demo_db_path: Path
) -> None:
    app.open_at_start(empty_window, argparse.Namespace(demo=False, db=demo_db_path))
    assert empty_window.context is not None and empty_window.context.db.path == demo_db_path


def test_the_gui_entry_with_no_arguments_opens_nothing_without_a_default_database(
    empty_window: MainWindow,
) -> None:
    app.open_at_start(empty_window, argparse.Namespace(demo=False, db=None))
    assert empty_window.context is None


def test_the_gui_entry_opens_the_default_database_when_there_is_one(
    empty_window: MainWindow, demo_db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CASELOAD_DB", str(demo_db_path))
    app.open_at_start(empty_window, argparse.Namespace(demo=False, db=None))
    assert empty_window.context is not None and empty_window.context.db.path == demo_db_path


def test_the_gui_entry_reports_a_bad_file(
    empty_window: MainWindow, tmp_path: Path, errors: list[tuple[str, str]]
) -> None:
    bad = tmp_path / "x.db"
    bad.write_bytes(b"\x00" * 100)
    app.open_at_start(empty_window, argparse.Namespace(demo=False, db=bad))
    assert len(errors) == 1 and "not a Caseload Desktop database" in errors[0][1]
    assert bad.read_bytes() == b"\x00" * 100


def test_cancelling_the_demo_while_it_is_built_keeps_nothing(
    empty_window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caseload_desktop.ui import background

    real = background.run_with_progress

    def cancel_at_once(parent, title, label, work, *, cancellable=True):  # type: ignore[no-untyped-def]
        assert cancellable
        return real(parent, title, label, lambda progress: work(lambda done, total: False))

    monkeypatch.setattr("caseload_desktop.ui.main_window.run_with_progress", cancel_at_once)
    empty_window.main_actions.open_demo.trigger()
    assert empty_window.context is None
    assert not locations.demo_database_path().exists()


def test_about_names_version_schema_and_data_folder(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[object] = []
    monkeypatch.setattr(AboutDialog, "exec", lambda self: shown.append(self.facts) or 0)
    window.main_actions.about.trigger()
    assert window.context is not None
    facts = shown[0]
    assert getattr(facts, "revision", None) == window.context.db.revision
    assert getattr(facts, "data_folder", None) == locations.data_dir()


def test_quit_closes_the_window_and_the_database(window: MainWindow) -> None:
    window.main_actions.quit.trigger()
    assert window.context is None
    assert not window.isVisible()
    QtCore.QCoreApplication.processEvents()
