"""GUI fixtures: personal preferences (QSettings) go to a temporary folder, never the user's."""

from __future__ import annotations

from pathlib import Path

import pytest

from PySide6 import QtCore

from caseload_desktop.ui.preferences import Preferences


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path) -> None:
    QtCore.QSettings.setPath(
        QtCore.QSettings.Format.IniFormat,
        QtCore.QSettings.Scope.UserScope,
        str(tmp_path / "settings"),
    )


@pytest.fixture
def preferences(tmp_path: Path) -> Preferences:
    return Preferences(
        QtCore.QSettings(str(tmp_path / "preferences.ini"), QtCore.QSettings.Format.IniFormat)
    )
