"""GUI fixtures: personal preferences (QSettings) go to a temporary folder, never the user's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from PySide6 import QtCore, QtWidgets

from caseload_desktop.ui.garbage import GuiThreadCollector
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
