"""Every blocking prompt the main window shows, behind one seam that tests replace.

Widgets call ``Interaction`` instead of ``QFileDialog``/``QMessageBox`` directly, so a test can
swap in answers (git-cola's ``cola/interaction.py``; pytest-qt's "note on dialogs").
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtWidgets

DATABASE_FILTER = "Caseload databases (*.db *.sqlite);;All files (*)"


class Interaction:
    """Blocking prompts. Tests monkeypatch these classmethods."""

    @classmethod
    def choose_database_to_open(cls, parent: QtWidgets.QWidget, start: Path) -> Path | None:
        name, _ = QtWidgets.QFileDialog.getOpenFileName(
            parent, "Open team database", str(start), DATABASE_FILTER
        )
        return Path(name) if name else None

    @classmethod
    def choose_new_database(cls, parent: QtWidgets.QWidget, start: Path) -> Path | None:
        name, _ = QtWidgets.QFileDialog.getSaveFileName(
            parent, "New team database", str(start / "team.db"), DATABASE_FILTER
        )
        return Path(name) if name else None

    @classmethod
    def show_error(cls, parent: QtWidgets.QWidget | None, title: str, message: str) -> None:
        QtWidgets.QMessageBox.warning(parent, title, message)

    @classmethod
    def show_about(cls, parent: QtWidgets.QWidget, title: str, text: str) -> None:
        QtWidgets.QMessageBox.about(parent, title, text)
