"""Every blocking prompt the main window shows, behind one seam that tests replace.

Widgets call ``Interaction`` instead of ``QFileDialog``/``QMessageBox`` directly, so a test can
swap in answers (git-cola's ``cola/interaction.py``; pytest-qt's "note on dialogs").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6 import QtCore, QtGui, QtPrintSupport, QtWidgets

DATABASE_FILTER = "Caseload databases (*.db *.sqlite);;All files (*)"
IMPORT_FILTER = (
    "Extracts (*.csv *.xlsx *.xlsm *.txt *.tsv);;CSV files (*.csv *.txt *.tsv);;"
    "Excel workbooks (*.xlsx *.xlsm);;All files (*)"
)


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
    def choose_file_to_import(cls, parent: QtWidgets.QWidget, start: Path) -> Path | None:
        """A CSV or Excel extract to import (File > Import), starting in ``start``."""
        name, _ = QtWidgets.QFileDialog.getOpenFileName(
            parent, "Import from an extract", str(start), IMPORT_FILTER
        )
        return Path(name) if name else None

    @classmethod
    def choose_export_path(
        cls,
        parent: QtWidgets.QWidget,
        title: str,
        suggested: Path,
        file_filter: str,
        suffix: str,
    ) -> Path | None:
        """A file to write (an export), starting at ``suggested``; the dialog adds ``suffix``
        ("pdf") to a name without one, before it asks whether to replace a file."""
        dialog = QtWidgets.QFileDialog(parent, title, str(suggested.parent), file_filter)
        dialog.setAcceptMode(QtWidgets.QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QtWidgets.QFileDialog.FileMode.AnyFile)
        dialog.setDefaultSuffix(suffix)
        dialog.selectFile(suggested.name)
        try:
            if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                return None
            files = dialog.selectedFiles()
        finally:
            dialog.deleteLater()
        return Path(files[0]) if files else None

    @classmethod
    def ask_print(
        cls, parent: QtWidgets.QWidget, printer: QtPrintSupport.QPrinter, pages: int
    ) -> bool:
        """The system's print dialog for a document of ``pages`` pages; True to print (the
        dialog has set up ``printer``: which printer, pages, copies)."""
        dialog = QtPrintSupport.QPrintDialog(printer, parent)
        dialog.setMinMax(1, max(pages, 1))
        try:
            return dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()

    @classmethod
    def ask_page_setup(cls, parent: QtWidgets.QWidget, printer: QtPrintSupport.QPrinter) -> bool:
        """The page setup dialog (paper, orientation, margins); True when the user changed
        ``printer``'s page layout with OK."""
        dialog = QtPrintSupport.QPageSetupDialog(printer, parent)
        try:
            return dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()

    @classmethod
    def show_print_preview(
        cls,
        parent: QtWidgets.QWidget,
        printer: QtPrintSupport.QPrinter,
        title: str,
        paint: Callable[[QtPrintSupport.QPrinter], None],
    ) -> None:
        """Qt's print preview of what ``paint`` draws on ``printer`` (called again whenever
        the preview's page setup changes, and to print from the preview)."""
        dialog = QtPrintSupport.QPrintPreviewDialog(printer, parent)
        dialog.setWindowTitle(title)
        dialog.setAccessibleName(title)
        dialog.paintRequested.connect(paint)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()

    @classmethod
    def open_file(cls, path: Path) -> bool:
        """Open ``path`` in the program the desktop uses for it (a PDF viewer, a
        spreadsheet)."""
        return QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(path)))

    @classmethod
    def show_error(cls, parent: QtWidgets.QWidget | None, title: str, message: str) -> None:
        QtWidgets.QMessageBox.warning(parent, title, message)

    @classmethod
    def confirm(
        cls, parent: QtWidgets.QWidget | None, title: str, message: str, action: str
    ) -> bool:
        """Ask before doing something that cannot be taken back; True when the button named
        ``action`` ("Finalise") was pressed. Cancel is the default, so Enter does nothing
        rash."""
        return cls.ask_choice(parent, title, message, [action]) == 0

    @classmethod
    def ask_choice(
        cls,
        parent: QtWidgets.QWidget | None,
        title: str,
        message: str,
        choices: Sequence[str],
    ) -> int | None:
        """A question with a button for each of ``choices`` and Cancel; the index of the
        choice pressed, or None for Cancel (or Escape)."""
        box = QtWidgets.QMessageBox(
            QtWidgets.QMessageBox.Icon.Question,
            title,
            message,
            QtWidgets.QMessageBox.StandardButton.Cancel,
            parent,
        )
        box.setAccessibleName(title)
        buttons = [
            box.addButton(choice, QtWidgets.QMessageBox.ButtonRole.AcceptRole) for choice in choices
        ]
        box.setDefaultButton(QtWidgets.QMessageBox.StandardButton.Cancel)
        box.setEscapeButton(QtWidgets.QMessageBox.StandardButton.Cancel)
        try:
            box.exec()
            clicked = box.clickedButton()
        finally:
            box.deleteLater()
        for number, button in enumerate(buttons):
            if clicked is button:
                return number
        return None

    @classmethod
    def show_about(cls, parent: QtWidgets.QWidget, title: str, text: str) -> None:
        QtWidgets.QMessageBox.about(parent, title, text)
