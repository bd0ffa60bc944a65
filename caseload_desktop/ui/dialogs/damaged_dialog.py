"""A damaged database: say so, say the file has not been changed, offer the latest backup.

Opening runs SQLite's quick check first (``store.engine``); a file that fails it raises
``Damaged`` and is left exactly as it was. This dialog lists the database's backups (newest
first, with when each was made) and offers to restore the latest one, or one the manager
picks. Restoring (``store.backups.restore``) keeps the damaged file in ``backups/``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import re
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from caseload_desktop.display import uk_datetime
from caseload_desktop.store.backups import list_backups
from caseload_desktop.store.engine import backups_dir

SHOWN_BACKUPS = 12
LIST_ROWS = 6  # rows shown before the list scrolls
TEXT_WIDTH_CHARS = 70
_FOUND = re.compile(r"SQLite's check found: (?P<problem>.*)\)\. It has not been changed")
# The kinds of file in backups/, by the word after the database's name (store.backups).
_KINDS = {
    "daily": "Daily backup",
    "manual": "Backup made on request",
    "before-migration": "Before an update",
    "encrypted": "When it was encrypted",
}
REPLACED = "replaced"  # a file a restore replaced: kept, but not a backup to restore


@dataclasses.dataclass(frozen=True)
class Backup:
    """A backup of the database, as listed.

    Attributes:
        path: the backup file.
        made: when it was written (the file's modification time, UTC).
        kind: what made it, in words ("Daily backup").
    """

    path: Path
    made: dt.datetime
    kind: str


def restorable_backups(database: Path) -> list[Backup]:
    """The backups of ``database`` that can be restored, newest first (files kept by an
    earlier restore are not among them: they may be the damaged ones)."""
    found = []
    for path in list_backups(database):
        rest = path.name[len(database.stem) + 1 :]
        if rest.startswith(REPLACED + "-"):
            continue
        kind = next(
            (words for prefix, words in _KINDS.items() if rest.startswith(prefix + "-")),
            "Backup",
        )
        try:
            made = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
        except OSError:
            continue  # removed meanwhile
        found.append(Backup(path, made, kind))
    return found


def what_was_found(message: str) -> str:
    """SQLite's finding, out of a ``Damaged`` error's message (all of it if it has none)."""
    match = _FOUND.search(message)
    return match.group("problem") if match else message


class DamagedDialog(QtWidgets.QDialog):
    """The database is damaged: restore a backup, or cancel.

    Attributes:
        path: the damaged database.
        backups: its restorable backups, newest first.
        backup_list: the list of them (the latest selected).
        restore_button: "Restore the latest backup" (or "... the selected backup"); None when
            there is nothing to restore or restoring is not allowed here.
    """

    def __init__(
        self,
        path: Path,
        problem: str,
        backups: list[Backup],
        *,
        may_restore: bool = True,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.path = path
        self.backups = backups[:SHOWN_BACKUPS]
        self.setObjectName("damaged_dialog")
        self.setWindowTitle(f"{path.name} is damaged")
        self.setAccessibleName(f"{path.name} is damaged")

        icon = QtWidgets.QLabel()
        icon.setPixmap(
            self.style()
            .standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MessageBoxWarning)
            .pixmap(40, 40)
        )
        icon.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        icon.setAccessibleName("Warning")
        if not self.backups:
            advice = (
                f"There is no backup of it in {backups_dir(path)}. Keep the damaged file: your "
                "IT service may be able to recover some of it."
            )
        elif not may_restore:
            advice = (
                "Another copy of the app has it open, so it cannot be restored from here. "
                "Close that copy, then open the database again here to restore a backup."
            )
        else:
            advice = (
                "Restoring puts the latest backup in its place; changes made after that backup "
                "are lost. The damaged file is kept in the backups folder, never overwritten."
            )
        text = QtWidgets.QLabel(
            f"<b>{html.escape(path.name)} is damaged and cannot be opened.</b>"
            "<p>The file has not been changed. SQLite's check found: "
            f"{html.escape(what_was_found(problem))}.</p><p>{html.escape(advice)}</p>"
        )
        text.setObjectName("damaged_message")
        text.setAccessibleName("What is wrong")
        text.setWordWrap(True)
        text.setTextFormat(QtCore.Qt.TextFormat.RichText)
        text.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        text.setMinimumWidth(self.fontMetrics().averageCharWidth() * TEXT_WIDTH_CHARS)
        where = QtWidgets.QLabel(str(path))
        where.setObjectName("database_path")
        where.setAccessibleName("Database file")
        where.setWordWrap(True)
        where.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(icon, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        top.addSpacing(8)
        column = QtWidgets.QVBoxLayout()
        column.addWidget(text)
        column.addWidget(where)
        top.addLayout(column, 1)

        self.backup_list = QtWidgets.QTreeWidget()
        self.backup_list.setObjectName("backup_list")
        self.backup_list.setAccessibleName("Backups, newest first")
        self.backup_list.setHeaderLabels(["Made", "What made it", "File"])
        self.backup_list.setRootIsDecorated(False)
        self.backup_list.setUniformRowHeights(True)
        self.backup_list.setAlternatingRowColors(True)
        for backup in self.backups:
            item = QtWidgets.QTreeWidgetItem(
                [uk_datetime(backup.made), backup.kind, backup.path.name]
            )
            item.setToolTip(2, str(backup.path))
            self.backup_list.addTopLevelItem(item)
        self._fit_list()
        heading = QtWidgets.QLabel("&Backups of this database, newest first:")
        heading.setBuddy(self.backup_list)
        heading.setVisible(bool(self.backups))
        self.backup_list.setVisible(bool(self.backups))

        self.buttons = QtWidgets.QDialogButtonBox()
        self.restore_button: QtWidgets.QPushButton | None = None
        if self.backups and may_restore:
            self.restore_button = self.buttons.addButton(
                "&Restore the latest backup", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
            )
            self.restore_button.setObjectName("restore_button")
            self.restore_button.setDefault(True)
            self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
            self.buttons.accepted.connect(self.accept)
            self.backup_list.itemSelectionChanged.connect(self._selection_changed)
            self.backup_list.itemDoubleClicked.connect(self._double_clicked)
        else:
            self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        latest = self.backup_list.topLevelItem(0)
        if latest is not None:
            self.backup_list.setCurrentItem(latest)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addSpacing(6)
        layout.addWidget(heading)
        layout.addWidget(self.backup_list, 1)
        layout.addWidget(self.buttons)
        self._selection_changed()

    def _fit_list(self) -> None:
        """Every column in full, and as many rows as there are backups (up to
        ``LIST_ROWS``; more scroll)."""
        tree = self.backup_list
        header = tree.header()
        for column_number in range(tree.columnCount()):
            tree.resizeColumnToContents(column_number)
        frame = 2 * tree.frameWidth()
        scroll = tree.verticalScrollBar().sizeHint().width()
        tree.setMinimumWidth(header.length() + frame + scroll)
        rows = min(len(self.backups), LIST_ROWS)
        row_height = tree.sizeHintForRow(0) if self.backups else self.fontMetrics().height()
        height = header.sizeHint().height() + max(rows, 1) * row_height + frame
        if len(self.backups) <= LIST_ROWS:
            tree.setFixedHeight(height)
        else:
            tree.setMinimumHeight(height)

    def chosen(self) -> Path | None:
        """The backup selected (the latest unless the manager picked another)."""
        item = self.backup_list.currentItem()
        if item is None or not self.backups:
            return None
        return self.backups[self.backup_list.indexOfTopLevelItem(item)].path

    @QtCore.Slot(QtWidgets.QTreeWidgetItem, int)
    def _double_clicked(self, _item: QtWidgets.QTreeWidgetItem, _column: int) -> None:
        self.accept()

    @QtCore.Slot()
    def _selection_changed(self) -> None:
        if self.restore_button is None:
            return
        item = self.backup_list.currentItem()
        latest = item is None or self.backup_list.indexOfTopLevelItem(item) == 0
        text = "the latest backup" if latest else "the selected backup"
        self.restore_button.setText(f"&Restore {text}")
        self.restore_button.setAccessibleName(f"Restore {text}")
        self.restore_button.setEnabled(item is not None)

    @classmethod
    def ask(
        cls,
        parent: QtWidgets.QWidget | None,
        path: Path,
        problem: str,
        *,
        may_restore: bool = True,
    ) -> Path | None:
        """Show the dialog for the damaged ``path``; the backup to restore, or None."""
        dialog = cls(
            path, problem, restorable_backups(path), may_restore=may_restore, parent=parent
        )
        try:
            if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                return None
            return dialog.chosen()
        finally:
            dialog.deleteLater()
