"""Help > About: the app's version, the open database's schema revision and the data folder.

What IT support asks for first, in one place: the version (from the package metadata, whose one
source is ``pyproject.toml``), the database open and its schema revision beside the one this
version migrates to, the data folder (logs, backups, the demo), and how the app is installed.
"Copy details" puts the same as plain text on the clipboard for a support ticket.
"""

from __future__ import annotations

import dataclasses
import platform
import sys
from pathlib import Path

import PySide6
from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop import APP_NAME, __version__, locations
from caseload_desktop.context import AppContext
from caseload_desktop.errors import CaseloadError
from caseload_desktop.store.engine import head_revision
from caseload_desktop.ui.app_icon import app_icon
from caseload_desktop.ui.interaction import Interaction

ICON_SIZE = 64
SPACING = 12


def how_installed() -> str:
    """ "standalone bundle" (PyInstaller) or the Python environment the app runs from."""
    if getattr(sys, "frozen", False):
        return f"standalone bundle ({Path(sys.executable).parent})"
    return f"Python environment ({sys.prefix})"


@dataclasses.dataclass(frozen=True)
class AboutFacts:
    """What the About dialog shows.

    Attributes:
        version: the app's version.
        database: the open database's file, or None.
        revision: its schema revision, or None.
        head: the schema revision this version migrates databases to ("" if unknown).
        encrypted: whether the open database is encrypted at rest.
        data_folder: the user's data folder.
        platform: Python, Qt and the operating system.
        installed: how the app is installed (``how_installed``).
    """

    version: str
    database: Path | None
    revision: str | None
    head: str
    encrypted: bool
    data_folder: Path
    platform: str
    installed: str

    @classmethod
    def gather(cls, context: AppContext | None) -> AboutFacts:
        db = None if context is None else context.db
        try:
            head = head_revision()
        except (CaseloadError, AssertionError):  # migrations missing: say so, don't fail
            head = ""
        return cls(
            version=__version__,
            database=None if db is None else db.path,
            revision=None if db is None else db.revision,
            head=head,
            encrypted=db is not None and db.encrypted,
            data_folder=locations.data_dir(),
            platform=(
                f"Python {platform.python_version()}, Qt {QtCore.qVersion()} "
                f"(PySide6 {PySide6.__version__}), {platform.system()} {platform.machine()}"
            ),
            installed=how_installed(),
        )

    @property
    def schema(self) -> str:
        if self.revision is None:
            return "—"
        if not self.head or self.revision == self.head:
            return self.revision
        return f"{self.revision} (this version's is {self.head})"

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) in the order shown."""
        database = "none open" if self.database is None else str(self.database)
        if self.database is not None and self.encrypted:
            database += " (encrypted)"
        return [
            ("Version", self.version),
            ("Database", database),
            ("Schema revision", self.schema),
            ("Data folder", str(self.data_folder)),
            ("Installed as", self.installed),
            ("Running on", self.platform),
        ]

    def as_text(self) -> str:
        """Plain text for a support ticket."""
        return "\n".join([APP_NAME, *(f"{label}: {value}" for label, value in self.rows())]) + "\n"


class AboutDialog(QtWidgets.QDialog):
    """Help > About.

    Attributes:
        facts: what it shows.
        values: the label showing each row's value, by the row's label ("Schema revision").
    """

    def __init__(self, facts: AboutFacts, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.facts = facts
        self.setObjectName("about_dialog")
        self.setWindowTitle(f"About {APP_NAME}")
        self.setAccessibleName(f"About {APP_NAME}")

        icon = QtWidgets.QLabel()
        icon.setPixmap(app_icon().pixmap(ICON_SIZE, ICON_SIZE))
        icon.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
        heading = QtWidgets.QLabel(
            f"<h3>{APP_NAME} {facts.version}</h3>"
            "<p>Allocated, orphaned and unallocated cases at a glance, for team managers in "
            "children's social care.</p>"
        )
        heading.setWordWrap(True)
        top = QtWidgets.QHBoxLayout()
        top.setSpacing(SPACING)
        top.addWidget(icon)
        top.addWidget(heading, 1)

        form = QtWidgets.QFormLayout()
        self.values: dict[str, QtWidgets.QLabel] = {}
        for label, value in facts.rows():
            shown = QtWidgets.QLabel(value)
            shown.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
            shown.setWordWrap(True)
            shown.setAccessibleName(label)
            form.addRow(f"{label}:", shown)
            self.values[label] = shown

        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton(
            "&Copy details", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole
        )
        self.copy_button.setToolTip("Copy these details, to paste into a support request")
        self.open_folder_button = buttons.addButton(
            "Open &data folder", QtWidgets.QDialogButtonBox.ButtonRole.ActionRole
        )
        self.open_folder_button.setToolTip(f"Open {facts.data_folder}")
        self.open_folder_button.setEnabled(facts.data_folder.is_dir())
        buttons.rejected.connect(self.reject)
        self.copy_button.clicked.connect(self.copy_details)
        self.open_folder_button.clicked.connect(self.open_data_folder)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setSpacing(SPACING)
        layout.addLayout(top)
        layout.addLayout(form)
        layout.addWidget(buttons)

    @QtCore.Slot()
    def copy_details(self) -> None:
        QtGui.QGuiApplication.clipboard().setText(self.facts.as_text())

    @QtCore.Slot()
    def open_data_folder(self) -> None:
        if not Interaction.open_file(self.facts.data_folder):
            Interaction.show_error(
                self, "Cannot open the folder", f"Nothing opens {self.facts.data_folder} here."
            )

    @classmethod
    def ask(cls, parent: QtWidgets.QWidget | None, context: AppContext | None) -> None:
        """Show the dialog for ``context``'s database (None: none open) until it is closed.
        The seam tests replace."""
        dialog = cls(AboutFacts.gather(context), parent)
        try:
            dialog.exec()
        finally:
            dialog.deleteLater()
