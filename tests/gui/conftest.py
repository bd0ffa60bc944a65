"""GUI fixtures: personal preferences (QSettings) go to a temporary folder, never the user's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6 import QtCore, QtWidgets

from caseload_desktop.context import open_context
from caseload_desktop.ui.garbage import GuiThreadCollector
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.main_window import MainWindow
from caseload_desktop.ui.preferences import Preferences


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path) -> None:
    QtCore.QSettings.setPath(
        QtCore.QSettings.Format.IniFormat,
        QtCore.QSettings.Scope.UserScope,
        str(tmp_path / "settings"),
    )


@pytest.fixture(autouse=True)
def _collect_on_the_gui_thread(qapp: QtWidgets.QApplication) -> Iterator[None]:
    """As in the app: cyclic garbage is collected on the GUI thread, never on a pool thread
    (which crashes when it holds a Qt object)."""
    collector = GuiThreadCollector()
    yield
    collector.stop()
    collector.deleteLater()


@pytest.fixture
def preferences(tmp_path: Path) -> Preferences:
    return Preferences(
        QtCore.QSettings(str(tmp_path / "preferences.ini"), QtCore.QSettings.Format.IniFormat)
    )


@pytest.fixture
def wait_for_checks(qtbot: QtBot) -> Callable[[MainWindow], None]:
    """Waits until a window's checks of the database it opened (the quick check, then the
    day's backup: ``ui.open_checks``) have finished and their result was handled."""

    def wait(window: MainWindow) -> None:
        qtbot.waitUntil(lambda: not window.open_checks.is_running, timeout=20_000)

    return wait


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Error messages shown (title, message), instead of blocking message boxes."""
    shown: list[tuple[str, str]] = []

    def record(cls: type, parent: object, title: str, text: str) -> None:
        shown.append((title, text))

    monkeypatch.setattr(Interaction, "show_error", classmethod(record))
    return shown


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Files the desktop was asked to open (never opened for real in tests)."""
    paths: list[Path] = []

    def open_file(cls: type, path: Path) -> bool:
        paths.append(path)
        return True

    monkeypatch.setattr(Interaction, "open_file", classmethod(open_file))
    return paths


def show_window(
    qtbot: QtBot, path: Path, preferences: Preferences, team: str | None = None
) -> MainWindow:
    """The app on the database at ``path`` (opened as a script opens it: checked at once),
    shown at 1366x768 with its board filled, on ``team`` when one is named."""
    window = MainWindow(open_context(path), preferences)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    assert window.board is not None
    window.board.wait_until_loaded()
    if team is not None:
        with qtbot.waitSignal(window.board.loaded, timeout=10_000):
            window.board.select_team(team)
    return window
