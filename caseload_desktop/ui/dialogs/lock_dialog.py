"""Another copy of the app holds the database: say who, and offer to open it read-only.

Only one copy of Caseload Desktop changes a team database at a time (``store.db_lock``). The
second is told which process, program, user and computer hold it, and may open it read-only
(the board and printing, no changes) or cancel.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from caseload_desktop import APP_NAME
from caseload_desktop.store.db_lock import LockHolder

TEXT_WIDTH_CHARS = 64


class LockDialog(QtWidgets.QDialog):
    """The database is in use by another copy of the app: Open read-only, or Cancel.

    Attributes:
        path: the database.
        holder: who holds its lock (None when the lock file could not be read).
        read_only_button: "Open read-only".
    """

    def __init__(
        self,
        path: Path,
        holder: LockHolder | None,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.path = path
        self.holder = holder
        self.setObjectName("lock_dialog")
        self.setWindowTitle(f"{path.name} is in use")
        self.setAccessibleName(f"{path.name} is in use")

        icon = QtWidgets.QLabel()
        icon.setPixmap(
            self.style()
            .standardIcon(QtWidgets.QStyle.StandardPixmap.SP_MessageBoxInformation)
            .pixmap(40, 40)
        )
        icon.setAccessibleName("Information")
        who = (
            holder.describe()
            if holder is not None
            else "a copy that did not say which (its lock file could not be read)"
        )
        text = QtWidgets.QLabel(
            f"<b>{html.escape(path.name)} is open in another copy of {APP_NAME}.</b>"
            f"<p>It is held by {html.escape(who)}.</p>"
            f"<p>Only one copy can change a database at a time. Open it read-only to look at "
            "the board and print; reassigning cases, changing settings, supervision, exports "
            "and sync stay with the copy that holds it. Or close that copy and open the "
            "database again here.</p>"
        )
        text.setObjectName("lock_message")
        text.setAccessibleName("Who holds the database")
        text.setWordWrap(True)
        text.setTextFormat(QtCore.Qt.TextFormat.RichText)
        text.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        text.setMinimumWidth(self.fontMetrics().averageCharWidth() * TEXT_WIDTH_CHARS)
        where = QtWidgets.QLabel(str(path))
        where.setObjectName("database_path")
        where.setAccessibleName("Database file")
        where.setWordWrap(True)
        where.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)

        self.buttons = QtWidgets.QDialogButtonBox()
        self.read_only_button = self.buttons.addButton(
            "Open &read-only", QtWidgets.QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.read_only_button.setObjectName("open_read_only")
        self.read_only_button.setAccessibleName(f"Open {path.name} read-only")
        cancel = self.buttons.addButton(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        cancel.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        top = QtWidgets.QHBoxLayout()
        top.addWidget(icon, 0, QtCore.Qt.AlignmentFlag.AlignTop)
        top.addSpacing(8)
        column = QtWidgets.QVBoxLayout()
        column.addWidget(text)
        column.addWidget(where)
        top.addLayout(column, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

    @classmethod
    def ask(cls, parent: QtWidgets.QWidget | None, path: Path, holder: LockHolder | None) -> bool:
        """True to open ``path`` read-only, False to cancel."""
        dialog = cls(path, holder, parent)
        try:
            return dialog.exec() == QtWidgets.QDialog.DialogCode.Accepted
        finally:
            dialog.deleteLater()
