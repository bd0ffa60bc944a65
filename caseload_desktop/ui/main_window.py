"""The main window: menus, the caseload board of the open database, and the status bar.

With no database open it shows a start page offering to create, open or try the demo.
File > Export and Print make the caseload summary of the team on the board (of the service
when it shows all teams) off the GUI thread, with progress and Cancel. Supervision > Start
supervision (also on the workers' context menu) opens the supervision editor for the worker
selected on the board; Supervision records… lists theirs. Each session opens in a window of
its own, beside the board. Sync > Sync now (F9, and the status bar's button) syncs with central
records at once; a ``SyncRunner`` also syncs on a timer, off the GUI thread, and the status bar
shows whether the last sync reached central records, the changes waiting, the last sync and the
conflicts to settle (Sync > Conflicts).

Opening a database takes its one-writer lock first (``store.db_lock``): when another copy of the
app holds it, the manager is told who and may open it read-only, and then every action that
writes is disabled. An encrypted database asks for its passphrase (or uses the one remembered
on this computer); a damaged one offers its latest backup. The status bar says whether the
open database is encrypted. Edit > Change database passphrase… and Encrypt this database…
close the database, rewrite the file off the GUI thread, and open it again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop import APP_NAME, clock, locations
from caseload_desktop.context import AppContext, HeldLock, open_context, open_demo_context
from caseload_desktop.display import uk_date
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.domain.settings import RecordsStyle
from caseload_desktop.domain.supervision import SessionStatus
from caseload_desktop.errors import Cancelled, CaseloadError
from caseload_desktop.services import allocation_planning, exports, summaries, supervision
from caseload_desktop.services import sync as sync_service
from caseload_desktop.services.identity import current_user
from caseload_desktop.services.supervision import DraftInput
from caseload_desktop.store import encryption
from caseload_desktop.store.backups import list_backups, restore
from caseload_desktop.store.db_lock import DatabaseLock
from caseload_desktop.store.engine import (
    Damaged,
    Database,
    Encrypted,
    Passphrase,
    WrongPassphrase,
    backups_dir,
)
from caseload_desktop.store.queries import WorkerCaseloadRow
from caseload_desktop.ui import printing
from caseload_desktop.ui.actions import create_actions
from caseload_desktop.ui.background import Progress, run_with_progress
from caseload_desktop.ui.commands import ReassignCommand
from caseload_desktop.ui.dialogs.about_dialog import AboutDialog
from caseload_desktop.ui.dialogs.damaged_dialog import DamagedDialog
from caseload_desktop.ui.dialogs.lock_dialog import LockDialog
from caseload_desktop.ui.dialogs.passphrase_dialog import (
    NewPassphraseDialog,
    NewPassphraseMode,
    PassphraseDialog,
    PassphraseTries,
    forget_passphrase,
    keyring_user,
    padlock_pixmap,
    remember_passphrase,
    remembered_passphrase,
)
from caseload_desktop.ui.dialogs.plan_dialog import LeaverDialog, PlanDialog
from caseload_desktop.ui.dialogs.reassign_dialog import ReassignDialog
from caseload_desktop.ui.dialogs.worker_picker import WorkerPickerDialog
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.open_checks import OpenChecks
from caseload_desktop.ui.preferences import SYNC_INTERVAL, TEXT_SIZE, Preferences
from caseload_desktop.ui.sync_actions import create_sync_actions
from caseload_desktop.ui.sync_runner import SyncOutcome, SyncRunner, SyncTarget
from caseload_desktop.ui.widgets.caseload_board import ROW_PADDING, CaseloadBoard
from caseload_desktop.ui.widgets.sync_status import SyncStatusBar

if TYPE_CHECKING:
    # The dialogs a manager opens now and then are imported when first opened: together with
    # what they import (ReportLab, openpyxl's readers, QtSvg) they cost the start 0.5 s.
    from caseload_desktop.ui.dialogs.conflicts_dialog import ConflictsDialog
    from caseload_desktop.ui.dialogs.supervision_editor import SupervisionEditor

STATUS_SPACING = 12
STATUS_MESSAGE_MS = 6000
EXPORT_MESSAGE_MS = 20000  # long enough to reach the Open button beside it
STATUS_ICON_SIZE = 16
PDF_FILTER = "PDF documents (*.pdf)"
CSV_FILTER = "CSV files (*.csv)"
_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')  # Windows refuses these

T = TypeVar("T")
Summary = summaries.TeamSummary | summaries.ServiceSummary
# Opens a database: (passphrase or None, read-only, progress) -> its context.
Opener = Callable[[Passphrase | None, bool, Progress], AppContext]
READ_ONLY_SYNC = "This database is open read-only here: the copy of the app that holds it syncs it."


@dataclasses.dataclass(frozen=True)
class SummaryRequest:
    """A caseload summary to make: what it needs is read on the GUI thread, and the summary
    is built on a worker thread (``build``).

    Attributes:
        db: the open team database.
        team_id: the team's id, or None for the service summary (all teams).
        team: the team's name, or None for the service summary.
        today: the day the summary is "as at".
        rules: the council's practice rules in force.
        records: what the council's PDF records carry (name, logo, marking).
    """

    db: Database
    team_id: int | None
    team: str | None
    today: dt.date
    rules: PracticeRules
    records: RecordsStyle

    @property
    def title(self) -> str:
        """The document's name: "Caseload summary of North Team"."""
        return (
            "Service caseload summary" if self.team is None else f"Caseload summary of {self.team}"
        )

    @property
    def named(self) -> str:
        """The document named in a sentence: "the caseload summary of North Team"."""
        if self.team is None:
            return "the service caseload summary"
        return f"the caseload summary of {self.team}"

    @property
    def scope(self) -> str:
        return "the service" if self.team is None else self.team

    def file_name(self, suffix: str) -> str:
        name = f"Caseload summary - {self.team or 'service'} - {self.today.isoformat()}"
        return _NOT_IN_FILE_NAMES.sub(" ", name).strip() + suffix

    def build(self, progress: Progress) -> tuple[Summary, bytes]:
        """The summary and its PDF. ``progress`` counts a service's teams, then the PDF; it
        is last called once the PDF is made, so Cancel pressed until then stops the work
        before anything is written or printed (``Cancelled``)."""
        # ReportLab is imported when a summary is first made, not as the app starts (0.25 s).
        from caseload_desktop.reports import caseload_summary

        if self.team_id is None:
            teams = 0

            def count_teams(done: int, total: int) -> bool:
                nonlocal teams
                teams = total
                return progress(done, total + 1)  # one step more: the PDF

            service = summaries.service_summary(
                self.db, today=self.today, rules=self.rules, progress=count_teams
            )
            data = caseload_summary.service_summary_pdf(service, self.records)
            _go_on(progress, teams + 1, teams + 1)
            return service, data
        team = summaries.team_summary(self.db, self.team_id, today=self.today, rules=self.rules)
        _go_on(progress, 1, 2)
        data = caseload_summary.team_summary_pdf(team, self.records)
        _go_on(progress, 2, 2)
        return team, data


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.expanduser().resolve() == b.expanduser().resolve()
    except OSError:
        return False


def _go_on(progress: Progress, done: int, total: int) -> None:
    if not progress(done, total):
        raise Cancelled("The caseload summary was cancelled.")


class MainWindow(QtWidgets.QMainWindow):
    """The application's main window.

    Signals:
        database_changed: a database was opened or closed (argument: its path, or "" for none).

    Attributes:
        context: the open database's ``AppContext``, or None on the start page.
        main_actions: the window's actions (menus reuse them; ``actions()`` is QWidget's).
        sync_actions: the Sync menu's actions (``ui.sync_actions``).
        sync_runner: syncs the open database with central records (``SyncRunner``).
        sync_status: the status bar's sync corner (``SyncStatusBar``).
        conflicts_dialog: the Conflicts panel while it is open, else None.
        exported: the file the last export wrote (the status bar's Open button opens it).
        supervision_editors: the supervision editors open, by session id.
        encryption_label, read_only_label: the status bar's "Encrypted" / "Not encrypted"
            and "Read-only", beside the database's name.
    """

    database_changed = QtCore.Signal(str)

    def __init__(
        self, context: AppContext | None = None, preferences: Preferences | None = None
    ) -> None:
        super().__init__()
        self.context: AppContext | None = None
        self.exported: Path | None = None
        self.supervision_editors: dict[int, SupervisionEditor] = {}
        self._export_message = ""
        self._export_folder: Path | None = None  # where the last export went, this session
        # Wrong passphrases by database, kept while the window lives: closing the passphrase
        # dialog does not skip the pause after three of them.
        self._passphrase_tries: dict[str, PassphraseTries] = {}
        self.setObjectName("main_window")
        self.preferences = preferences or Preferences()
        self.apply_display_preferences()
        self.resize(1280, 760)
        geometry = self.preferences.state("main_window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        self.main_actions = create_actions(self)
        self.sync_actions = create_sync_actions(self)
        self.sync_runner = SyncRunner(self)
        # An opened database's quick check and daily backup, run once the board is up.
        self.open_checks = OpenChecks(self)
        self.open_checks.finished.connect(self._open_checks_finished)
        self._held_board_errors: list[str] = []
        self.conflicts_dialog: ConflictsDialog | None = None
        self.undo_stack = QtGui.QUndoStack(self)
        self.undo_action = self.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcut(QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Undo))
        self.redo_action = self.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts(
            [
                QtGui.QKeySequence("Ctrl+Shift+Z"),
                QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Redo),
            ]
        )
        self._build_menus()
        self._build_central()
        self._build_status_bar()
        self._connect()
        self.set_context(context)

    # --- Construction ----------------------------------------------------------------------

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.main_actions.new_database)
        file_menu.addAction(self.main_actions.open_database)
        file_menu.addAction(self.main_actions.open_demo)
        file_menu.addSeparator()
        # File > Import: the staff list or cases from an extract (a read-only database may
        # still check a file; the wizard keeps Import itself disabled there).
        self.import_action = file_menu.addAction("&Import workers or cases…")
        self.import_action.setObjectName("import_extract")
        self.import_action.setStatusTip(
            "Import the staff list or cases from a CSV or Excel extract"
        )
        self.import_action.triggered.connect(self.import_extract)
        file_menu.addSeparator()
        file_menu.addAction(self.main_actions.export_summary)
        file_menu.addAction(self.main_actions.export_summary_csv)
        file_menu.addSeparator()
        file_menu.addAction(self.main_actions.page_setup)
        file_menu.addAction(self.main_actions.print_preview)
        file_menu.addAction(self.main_actions.print_summary)
        file_menu.addSeparator()
        file_menu.addAction(self.main_actions.quit)
        self.file_menu = file_menu
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.main_actions.reassign)
        edit_menu.addSeparator()
        edit_menu.addAction(self.main_actions.change_passphrase)
        edit_menu.addAction(self.main_actions.encrypt_database)
        edit_menu.addSeparator()
        edit_menu.addAction(self.main_actions.settings)
        team_menu = bar.addMenu("&Team")
        team_menu.addAction(self.main_actions.worker_leaving)
        team_menu.addAction(self.main_actions.allocate_queue)
        supervision_menu = bar.addMenu("&Supervision")
        supervision_menu.addAction(self.main_actions.start_supervision)
        supervision_menu.addAction(self.main_actions.supervision_records)
        self.supervision_menu = supervision_menu
        sync_menu = bar.addMenu("S&ync")
        sync_menu.addAction(self.sync_actions.sync_now)
        sync_menu.addAction(self.sync_actions.conflicts)
        sync_menu.addSeparator()
        sync_menu.addAction(self.sync_actions.sync_settings)
        self.sync_menu = sync_menu
        view_menu = bar.addMenu("&View")
        view_menu.addAction(self.main_actions.refresh)
        view_menu.addAction(self.main_actions.undo_history)
        self.undo_dock = QtWidgets.QDockWidget("Undo history", self)
        self.undo_dock.setObjectName("undo_history")
        self.undo_view = QtWidgets.QUndoView(self.undo_stack)
        self.undo_view.setAccessibleName("Undo history")
        self.undo_view.setEmptyLabel("The database as opened")
        self.undo_dock.setWidget(self.undo_view)
        self.addDockWidget(QtCore.Qt.DockWidgetArea.RightDockWidgetArea, self.undo_dock)
        self.undo_dock.hide()
        self.main_actions.undo_history.toggled.connect(self.undo_dock.setVisible)
        self.undo_dock.visibilityChanged.connect(self.main_actions.undo_history.setChecked)
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.main_actions.about)

    def _build_central(self) -> None:
        self.pages = QtWidgets.QStackedWidget()

        # Start page: nothing open yet.
        start = QtWidgets.QWidget()
        start_layout = QtWidgets.QVBoxLayout(start)
        start_layout.addStretch(1)
        welcome = QtWidgets.QLabel(
            "<h2>No team database is open</h2>"
            "<p>Create a new database, open one you already have, or look around the fictional "
            "demo service.</p>"
        )
        welcome.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        welcome.setWordWrap(True)
        start_layout.addWidget(welcome)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        for action in (
            self.main_actions.new_database,
            self.main_actions.open_database,
            self.main_actions.open_demo,
        ):
            button = QtWidgets.QPushButton(action.text().replace("&", ""))
            button.setAccessibleName(action.text().replace("&", "").rstrip("…"))
            button.clicked.connect(action.trigger)
            buttons.addWidget(button)
        buttons.addStretch(1)
        start_layout.addLayout(buttons)
        start_layout.addStretch(2)
        self.start_page = start

        self.pages.addWidget(self.start_page)
        self.board: CaseloadBoard | None = None
        self.setCentralWidget(self.pages)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        self.database_label = QtWidgets.QLabel()
        self.database_label.setObjectName("database_label")
        self.database_label.setAccessibleName("Open database")
        self.database_label.setTextInteractionFlags(
            QtCore.Qt.TextInteractionFlag.TextSelectableByMouse
        )
        self.today_label = QtWidgets.QLabel()
        self.today_label.setObjectName("today_label")
        self.today_label.setAccessibleName("Today's date")
        self.busy_indicator = QtWidgets.QProgressBar()
        self.busy_indicator.setObjectName("busy_indicator")
        self.busy_indicator.setAccessibleName("Reading the database")
        self.busy_indicator.setRange(0, 0)  # indeterminate
        self.busy_indicator.setMaximumWidth(120)
        self.busy_indicator.setTextVisible(False)
        self.busy_indicator.hide()
        self.open_export_button = QtWidgets.QPushButton("Open")
        self.open_export_button.setObjectName("open_export_button")
        self.open_export_button.setAccessibleName("Open the exported file")
        self.open_export_button.setFlat(True)
        self.open_export_button.hide()  # shown beside the message of an export
        self.sync_status = SyncStatusBar(self.sync_runner, self.sync_actions.sync_now)
        self.sync_status.hide()  # shown while a database is open
        self.encryption_icon = QtWidgets.QLabel()
        self.encryption_icon.setObjectName("encryption_icon")
        self.encryption_icon.setAccessibleName("Padlock")
        self.encryption_label = QtWidgets.QLabel()
        self.encryption_label.setObjectName("encryption_label")
        self.encryption_label.setAccessibleName("Database encryption")
        self.encryption_status = QtWidgets.QWidget()
        self.encryption_status.setObjectName("encryption_status")
        encryption_row = QtWidgets.QHBoxLayout(self.encryption_status)
        encryption_row.setContentsMargins(0, 0, STATUS_SPACING, 0)
        encryption_row.setSpacing(4)
        encryption_row.addWidget(self.encryption_icon)
        encryption_row.addWidget(self.encryption_label)
        self.encryption_status.hide()  # shown while a database is open
        # Bold by markup, not by font: the label follows the app's text size setting.
        self.read_only_label = QtWidgets.QLabel("<b>Read-only</b>")
        self.read_only_label.setObjectName("read_only_label")
        self.read_only_label.setAccessibleName("Read-only: another copy of the app holds it")
        self.read_only_label.setToolTip(
            "Another copy of Caseload Desktop had this database open when you opened it, so "
            "you can look and print but not change anything. Close that copy, then open the "
            "database again here to change it."
        )
        self.read_only_label.setContentsMargins(0, 0, STATUS_SPACING, 0)
        self.read_only_label.hide()
        status.addWidget(self.encryption_status)
        status.addWidget(self.read_only_label)
        status.addWidget(self.database_label, 1)
        status.addPermanentWidget(self.open_export_button)
        status.addPermanentWidget(self.busy_indicator)
        status.addPermanentWidget(self.sync_status)
        status.addPermanentWidget(self.today_label)

    def _connect(self) -> None:
        self.main_actions.new_database.triggered.connect(self.new_database)
        self.main_actions.open_database.triggered.connect(self.open_database)
        self.main_actions.open_demo.triggered.connect(self.open_demo)
        self.main_actions.change_passphrase.triggered.connect(self.change_passphrase)
        self.main_actions.encrypt_database.triggered.connect(self.encrypt_database)
        self.main_actions.quit.triggered.connect(self.close)
        self.main_actions.refresh.triggered.connect(self.refresh)
        self.main_actions.reassign.triggered.connect(self.reassign_selected)
        self.main_actions.worker_leaving.triggered.connect(self.plan_worker_leaving)
        self.main_actions.allocate_queue.triggered.connect(self.plan_queue)
        self.main_actions.start_supervision.triggered.connect(self.start_supervision)
        self.main_actions.supervision_records.triggered.connect(self.show_supervision_records)
        self.main_actions.about.triggered.connect(self.show_about)
        self.main_actions.settings.triggered.connect(self.show_settings)
        self.main_actions.export_summary.triggered.connect(self.export_summary)
        self.main_actions.export_summary_csv.triggered.connect(self.export_summary_csv)
        self.main_actions.page_setup.triggered.connect(self.page_setup)
        self.main_actions.print_preview.triggered.connect(self.print_preview)
        self.main_actions.print_summary.triggered.connect(self.print_summary)
        self.statusBar().messageChanged.connect(self._status_message_changed)
        self.open_export_button.clicked.connect(self.open_exported)
        self.sync_actions.sync_now.triggered.connect(self.sync_now)
        self.sync_actions.conflicts.triggered.connect(self.show_conflicts)
        self.sync_actions.sync_settings.triggered.connect(self.show_sync_settings)
        self.sync_status.conflicts_requested.connect(self.show_conflicts)
        self.sync_runner.finished.connect(self._sync_finished)

    # --- State -----------------------------------------------------------------------------

    def set_context(self, context: AppContext | None) -> None:
        """Show ``context``'s database on the board (closing the one open before), or the
        start page."""
        if context is not self.context:
            # Callers ask the editors first (``close_supervision_editors``); any left now go
            # with the database they write to.
            self.close_supervision_editors()
        if self.board is not None:
            self.board.save_layout()
            self.board.wait_until_loaded()
        if context is not self.context:
            self.open_checks.wait()  # they read the file about to close, or be rewritten
        previous, self.context = self.context, context
        if previous is not context:
            self.undo_stack.clear()  # commands belong to the database they changed
            self._held_board_errors.clear()  # and so do the board's errors held for its check
        writable = context is not None and not context.read_only
        for action in (
            self.main_actions.refresh,
            self.main_actions.print_preview,
            self.main_actions.print_summary,
            self.import_action,
        ):
            action.setEnabled(context is not None)
        for action in self.writing_actions():
            action.setEnabled(writable)
        encrypted = context is not None and context.db.encrypted
        self.main_actions.change_passphrase.setEnabled(writable and encrypted)
        self.main_actions.encrypt_database.setEnabled(writable and not encrypted)
        if previous is not context and self.conflicts_dialog is not None:
            # The conflicts belong to the database they were read from.
            self.conflicts_dialog.close()  # forgotten at once (``_conflicts_dialog_closed``)
        self.sync_status.set_context(context)
        self._configure_sync()
        self._show_protection(context)
        if context is None:
            self.setWindowTitle(APP_NAME)
            self.database_label.setText("No database open")
            self.database_label.setToolTip("")
            self.pages.setCurrentWidget(self.start_page)
            if self.board is not None:
                # The board goes with the database it shows (it cannot show none), and so
                # does what it still had to say about it (a load that failed meanwhile).
                self.board.failed.disconnect(self._show_board_error)
                self.pages.removeWidget(self.board)
                self.board.deleteLater()
                self.board = None
        else:
            read_only = " (read-only)" if context.read_only else ""
            self.setWindowTitle(f"{context.db.path.name}{read_only} — {APP_NAME}")
            self.database_label.setText(f"Database: {context.db.path}")
            self.database_label.setToolTip(str(context.db.path))
            if self.board is None:
                self.board = CaseloadBoard(context, self.preferences)
                self.board.busy.connect(self.busy_indicator.setVisible)
                # A bound method, not a lambda holding the window: a lambda would make the
                # board own the window's last reference and delete it during its own deletion.
                self.board.failed.connect(self._show_board_error)
                self.board.reassign_requested.connect(self.reassign)
                # Supervision from the worker's row: its context menu (right click, the Menu
                # key) and Ctrl+Shift+S, for the worker selected.
                workers_view = self.board.workers_view
                workers_view.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.ActionsContextMenu)
                workers_view.addAction(self.main_actions.start_supervision)
                workers_view.addAction(self.main_actions.supervision_records)
                workers_view.selectionModel().currentRowChanged.connect(
                    self._update_supervision_actions
                )
                self.board.workers_model.modelReset.connect(self._update_supervision_actions)
                self.board.loaded.connect(self._update_supervision_actions)
                self.pages.addWidget(self.board)
                self.board.refresh(keep_selection=False)
            else:
                # One board while databases come and go: opening another keeps its layout.
                self.board.set_context(context)
            self.pages.setCurrentWidget(self.board)
        if previous is not None and previous is not context:
            self.sync_runner.close_when_idle(previous)  # after its sync, if one is running
        self._update_supervision_actions()
        self._show_today()
        self.database_changed.emit("" if context is None else str(context.db.path))
        if context is not None and context is not previous and context.unchecked:
            self.open_checks.start(context)

    @QtCore.Slot()
    def import_extract(self) -> None:
        """File > Import workers or cases…: the import wizard for the open database."""
        if self.context is not None:
            from caseload_desktop.ui.dialogs.import_dialog import run_import

            run_import(self, self.context)

    def writing_actions(self) -> list[QtGui.QAction]:
        """The actions that change the database: disabled while it is open read-only (another
        copy of the app holds it). Supervision's two follow the selected worker as well
        (``_update_supervision_actions``)."""
        return [
            self.main_actions.reassign,
            self.main_actions.worker_leaving,
            self.main_actions.allocate_queue,
            # An export is recorded in the database (audit and outbox): a change too.
            self.main_actions.export_summary,
            self.main_actions.export_summary_csv,
            self.sync_actions.sync_now,
            self.sync_actions.conflicts,
        ]

    @property
    def read_only(self) -> bool:
        """The open database is read-only here (another copy of the app holds it)."""
        return self.context is not None and self.context.read_only

    def _show_protection(self, context: AppContext | None) -> None:
        """The status bar's "Encrypted" / "Not encrypted" and "Read-only"."""
        self.encryption_status.setVisible(context is not None)
        self.read_only_label.setVisible(context is not None and context.read_only)
        if context is None:
            return
        encrypted = context.db.encrypted
        self.encryption_icon.setPixmap(
            padlock_pixmap(
                encrypted,
                STATUS_ICON_SIZE,
                self.palette().color(QtGui.QPalette.ColorRole.WindowText),
                self.devicePixelRatioF(),
            )
        )
        self.encryption_label.setText("Encrypted" if encrypted else "Not encrypted")
        self.encryption_label.setAccessibleName(
            "Database encryption: " + ("encrypted" if encrypted else "not encrypted")
        )
        tip = (
            "The database file is encrypted: it cannot be read without its passphrase."
            if encrypted
            else "The database file is not encrypted: anyone who gets the file can read it. "
            "Edit > Encrypt this database… protects it."
        )
        self.encryption_status.setToolTip(tip)
        self.encryption_label.setAccessibleDescription(tip)

    def tell(self, title: str, message: str) -> None:
        """A message for the manager to read and close (a seam that tests replace)."""
        QtWidgets.QMessageBox.information(self, title, message)

    @QtCore.Slot(str)
    def _show_board_error(self, message: str) -> None:
        if self.context is not None and self.context.unchecked:
            # The file's check has not passed yet: if the file is damaged, that explains this
            # error, and the damaged-file dialog says so instead (``_open_checks_finished``).
            self._held_board_errors.append(message)
            return
        Interaction.show_error(self, "Cannot read the board", message)

    @QtCore.Slot(object, str, str)
    def _open_checks_finished(self, context: AppContext, damaged: str, trouble: str) -> None:
        """The quick check (and the day's backup) of an opened database are done."""
        if context is not self.context:
            return  # another database is open by now: this result is of one since closed
        held, self._held_board_errors = self._held_board_errors, []
        if damaged:
            self._damaged_after_open(context, damaged)
            # What its board could not read meanwhile, the damage explains: not said twice.
            self._held_board_errors.clear()
            return
        context.unchecked = False
        self.sync_runner.checked(context)  # a sync held back for the check
        for message in held:
            Interaction.show_error(self, "Cannot read the board", message)
        if trouble:
            Interaction.show_error(self, "The day's backup was not made", trouble)

    def _damaged_after_open(self, context: AppContext, problem: str) -> None:
        """The check after opening found the file damaged: close it and offer its latest
        backup (as an open that found the damage itself does), then open the restored file."""
        path, key, read_only = context.db.path, context.db.key, context.read_only
        detached = self._detach_for_rewrite()
        if detached is None:  # a supervision editor the manager kept open holds it
            Interaction.show_error(self, "The database is damaged", problem)
            return
        _path, lock = detached
        try:
            restored = self._restore_damaged(path, key, problem, read_only)
        finally:
            if lock is not None:
                lock.release()  # before opening it again, which takes it afresh
        if restored:
            self.open_path(path)

    def _show_today(self) -> None:
        try:
            today = clock.today()
        except CaseloadError as exc:
            self.today_label.setText("Today: (invalid date)")
            self.today_label.setToolTip(str(exc))
            return
        text = f"Today: {uk_date(today)}"
        if clock.is_overridden():
            text += " (fixed by CASELOAD_TODAY)"
        self.today_label.setText(text)

    @QtCore.Slot()
    def refresh(self) -> None:
        """Read the board again from the database."""
        if self.board is not None:
            self.board.refresh()

    # --- Commands --------------------------------------------------------------------------

    def _open(
        self,
        path: Path,
        opener: Opener,
        what: str,
        label: str,
        *,
        key: Passphrase | None = None,
        cancellable: bool = False,
        creating: bool = False,
    ) -> AppContext | None:
        """Open the database at ``path`` with ``opener``, off the GUI thread (it may be
        checked, backed up, migrated or generated first), and show it.

        Its lock first: when another copy of the app holds it, the manager may open it
        read-only. Then ``key``, or, for an encrypted file, the passphrase remembered or asked
        for; a damaged file offers its latest backup. None when nothing was opened (the
        reason shown, or the manager cancelled).
        """
        if not self.close_supervision_editors():
            return None
        locked = self._lock_for(path, creating=creating)
        if locked is None:
            return None
        lock, read_only = locked
        current = self.context
        handed_over = current is not None and lock is not None and lock is current.lock
        try:
            context = self._open_with_key(path, opener, what, label, key, read_only, cancellable)
        except BaseException:
            if lock is not None and not handed_over:
                lock.release()
            raise
        if context is None:
            if lock is not None and not handed_over:
                lock.release()
            return None
        if handed_over and current is not None:
            current.lock = None  # the database opened again keeps the lock
        context.lock = lock
        self.set_context(context)
        if read_only:
            self.statusBar().showMessage(
                f"Opened {path.name} read-only: another copy of {APP_NAME} holds it.",
                STATUS_MESSAGE_MS,
            )
        return context

    def _lock_for(self, path: Path, *, creating: bool) -> tuple[HeldLock | None, bool] | None:
        """The one-writer lock of ``path`` and whether to open it read-only: (lock, False),
        or (None, True) when another copy holds it and the manager chose read-only; None
        when the manager cancelled or no lock could be made (said why)."""
        current = self.context
        if current is not None and current.lock is not None and _same_file(current.db.path, path):
            return current.lock, False  # this window holds it already
        lock = DatabaseLock(path)
        try:
            if lock.try_acquire():
                return lock, False
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot open the database", str(exc))
            return None
        holder = lock.holder()
        if creating:
            who = holder.describe() if holder is not None else "another program"
            Interaction.show_error(
                self,
                "Cannot create the database",
                f"Another copy of {APP_NAME} is using {path} ({who}). Choose another name.",
            )
            return None
        if not LockDialog.ask(self, path, holder):
            return None
        return None, True

    def _open_with_key(
        self,
        path: Path,
        opener: Opener,
        what: str,
        label: str,
        key: Passphrase | None,
        read_only: bool,
        cancellable: bool,
    ) -> AppContext | None:
        """Open with ``key``; an encrypted file asks for its passphrase (``_unlock``), a
        damaged one offers a backup, then opens again."""
        used: list[Passphrase | None] = [key]  # the passphrase of the last try

        def attempt(k: Passphrase | None, parent: QtWidgets.QWidget) -> AppContext:
            used[0] = k
            return run_with_progress(
                parent,
                APP_NAME,
                label,
                lambda progress: opener(k, read_only, progress),
                cancellable=cancellable,
            )

        while True:
            try:
                try:
                    return attempt(key, self)
                except Encrypted:
                    if key is not None:
                        raise
                    return self._unlock(path, attempt)
            except Cancelled:
                return None
            except Damaged as exc:
                if not self._restore_damaged(path, used[0], str(exc), read_only):
                    return None
                key = used[0]  # the restored backup opens with the same passphrase
            except CaseloadError as exc:
                Interaction.show_error(self, f"Cannot {what}", str(exc))
                return None

    def _unlock(
        self, path: Path, attempt: Callable[[Passphrase, QtWidgets.QWidget], AppContext]
    ) -> AppContext | None:
        """An encrypted database: the passphrase remembered on this computer, else the one
        the manager types (``PassphraseDialog``); None when they cancel."""
        note = ""
        remembered = remembered_passphrase(path)
        if remembered is not None:
            try:
                return attempt(remembered, self)
            except WrongPassphrase:
                note = (
                    "The passphrase remembered on this computer did not open it: it may have "
                    "been changed. Type the passphrase it has now."
                )
        tries = self._passphrase_tries.setdefault(keyring_user(path), PassphraseTries())
        unlocked = PassphraseDialog.ask(
            self, path, attempt, tries, note=note, remember=remembered is not None
        )
        if unlocked is None:
            return None
        self._keep_passphrase(
            path, unlocked.key if unlocked.remember else None, forget=remembered is not None
        )
        return unlocked.value

    def _keep_passphrase(self, path: Path, key: Passphrase | None, *, forget: bool) -> None:
        """Remember ``key`` for ``path`` on this computer; with None, forget the one
        remembered (when ``forget``)."""
        if key is not None:
            problem = remember_passphrase(path, key)
            if problem:
                self.statusBar().showMessage(problem, STATUS_MESSAGE_MS)
        elif forget:
            forget_passphrase(path)

    def _restore_damaged(
        self, path: Path, key: Passphrase | None, problem: str, read_only: bool
    ) -> bool:
        """The damaged-file dialog; True when a backup was restored in its place."""
        backup = DamagedDialog.ask(self, path, problem, may_restore=not read_only)
        if backup is None:
            return False
        try:
            kept = run_with_progress(
                self,
                APP_NAME,
                f"Restoring {path.name} from {backup.name}…",
                lambda _progress: restore(path, backup, key),
                cancellable=False,
            )
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot restore the backup", str(exc))
            return False
        self.tell(
            "Backup restored",
            f"{path.name} was restored from the backup {backup.name}; changes made after "
            f"that backup are not in it. The damaged file was kept, unchanged, at {kept}.",
        )
        return True

    @QtCore.Slot()
    def new_database(self) -> None:
        """File > New database…: a file name, then a passphrase (encrypted unless the
        manager chooses otherwise)."""
        path = Interaction.choose_new_database(self, locations.data_dir())
        if path is None:
            return
        if path.exists():  # said before the passphrase is asked for, not after
            Interaction.show_error(
                self,
                "Cannot create the database",
                f"{path} already exists; choose another name, or open it instead.",
            )
            return
        answer = NewPassphraseDialog.ask(self, NewPassphraseMode.NEW, path)
        if answer is None:
            return
        context = self._open(
            path,
            lambda key, _read_only, _progress: open_context(path, create=True, key=key),
            "create the database",
            f"Creating {path.name}…",
            key=answer.key,
            creating=True,
        )
        if context is not None and answer.key is not None and answer.remember:
            self._keep_passphrase(path, answer.key, forget=False)

    @QtCore.Slot()
    def open_database(self) -> None:
        start = self.context.db.path.parent if self.context else locations.data_dir()
        path = Interaction.choose_database_to_open(self, start)
        if path is not None:
            self.open_path(path)

    def open_path(self, path: Path) -> None:
        # Not cancellable: an older database is backed up and migrated in one transaction.
        self._open(
            path,
            # The quick check and the day's backup wait until the board is up (``OpenChecks``).
            lambda key, read_only, _progress: open_context(
                path, key=key, read_only=read_only, check_now=False
            ),
            "open the database",
            f"Opening {path.name}…",
        )

    @QtCore.Slot()
    def open_demo(self) -> None:
        path = locations.demo_database_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)  # its lock file goes beside it
        except OSError as exc:
            Interaction.show_error(
                self, "Cannot open the demo", f"Cannot create {path.parent}: {exc.strerror}."
            )
            return
        self._open(
            path,
            lambda key, read_only, progress: open_demo_context(
                progress=progress, key=key, read_only=read_only, check_now=False
            ),
            "open the demo",
            "Opening the demo service (created the first time)…",
            cancellable=True,
        )

    # --- Passphrase and encryption ---------------------------------------------------------

    def _detach_for_rewrite(self) -> tuple[Path, HeldLock | None] | None:
        """Close the open database so that its file can be rewritten, keeping its lock: the
        board and any sync let go of it first. None when a supervision editor stays open."""
        context = self.context
        if context is None or not self.close_supervision_editors():
            return None
        lock, context.lock = context.lock, None
        self.set_context(None)  # closes it, or has the running sync close it when it stops
        if self.sync_runner.is_running:
            # The sync was told to stop; it closes the database as it does (``_on_done``,
            # delivered before this wait's own end).
            pool = self.sync_runner.pool
            run_with_progress(
                self,
                APP_NAME,
                "Waiting for the sync to stop…",
                lambda _progress: pool.waitForDone(),
                cancellable=False,
            )
        return context.db.path, lock

    def _rewrite(
        self,
        path: Path,
        lock: HeldLock | None,
        label: str,
        title: str,
        work: Callable[[], T],
        *,
        before: Passphrase | None,
        after: Passphrase | None,
    ) -> tuple[T] | None:
        """``work`` on the closed database at ``path`` off the GUI thread, then open it again
        with ``after`` (with ``before`` if ``work`` failed); ``(result,)``, or None when it
        failed (said why)."""

        def rewrite(_progress: Progress) -> tuple[T, AppContext]:
            done = work()
            return done, open_context(path, key=after, check_now=False)

        try:
            done, context = run_with_progress(self, APP_NAME, label, rewrite, cancellable=False)
        except BaseException as exc:
            self._reopen(path, lock, [before, after])
            if isinstance(exc, CaseloadError):
                Interaction.show_error(self, title, str(exc))
                return None
            raise
        context.lock = lock
        self.set_context(context)
        return (done,)

    def _reopen(self, path: Path, lock: HeldLock | None, keys: list[Passphrase | None]) -> None:
        """After a failed rewrite: open the database again with the first of ``keys`` that
        opens it (the file is whole either way); else leave it closed and say why."""
        problem = ""
        for key in keys:

            def reopen(_progress: Progress, key: Passphrase | None = key) -> AppContext:
                return open_context(path, key=key, check_now=False)

            try:
                context = run_with_progress(
                    self, APP_NAME, f"Opening {path.name} again…", reopen, cancellable=False
                )
            except (WrongPassphrase, Encrypted):
                continue
            except CaseloadError as exc:
                problem = str(exc)
                break
            context.lock = lock
            self.set_context(context)
            return
        if lock is not None:
            lock.release()
        Interaction.show_error(
            self, "Cannot open the database again", problem or f"{path} did not open."
        )

    @QtCore.Slot()
    def change_passphrase(self) -> None:
        """Edit > Change database passphrase…: the current passphrase, then the new one twice;
        the database closes, is re-encrypted, and opens again under the new one."""
        context = self.context
        if context is None or context.read_only or context.db.key is None:
            return
        path, old = context.db.path, context.db.key
        had = remembered_passphrase(path) is not None
        answer = NewPassphraseDialog.ask(
            self, NewPassphraseMode.CHANGE, path, current=old, remember=had
        )
        if answer is None or answer.key is None:
            return
        new = answer.key
        detached = self._detach_for_rewrite()
        if detached is None:
            return
        path, lock = detached
        done = self._rewrite(
            path,
            lock,
            f"Changing the passphrase of {path.name}…",
            "Cannot change the passphrase",
            lambda: encryption.change_passphrase(path, old, new),
            before=old,
            after=new,
        )
        if done is None:
            return
        self._keep_passphrase(path, new if answer.remember else None, forget=had)
        self.tell(
            "Passphrase changed",
            f"{path.name} now opens with the new passphrase only; the old one no longer "
            "opens it. Backups made before keep the passphrase they were made with.",
        )

    @QtCore.Slot()
    def encrypt_database(self) -> None:
        """Edit > Encrypt this database…: a passphrase twice; the database closes, is
        encrypted off the GUI thread (a new file swapped in, with an encrypted backup), and
        opens again."""
        context = self.context
        if context is None or context.read_only or context.db.encrypted:
            return
        answer = NewPassphraseDialog.ask(self, NewPassphraseMode.ENCRYPT, context.db.path)
        if answer is None or answer.key is None:
            return
        key = answer.key
        detached = self._detach_for_rewrite()
        if detached is None:
            return
        path, lock = detached

        def encrypt() -> tuple[Path, list[Path]]:
            backup = encryption.encrypt_in_place(path, key)
            plain = [b for b in list_backups(path) if not encryption.is_encrypted(b)]
            return backup, plain

        done = self._rewrite(
            path,
            lock,
            f"Encrypting {path.name}…",
            "Cannot encrypt the database",
            encrypt,
            before=None,
            after=key,
        )
        if done is None:
            return
        ((backup, plain),) = done
        if answer.remember:
            self._keep_passphrase(path, key, forget=False)
        older = (
            f" The {len(plain)} older backups in {backups_dir(path)} are not encrypted: "
            "anyone who gets them can read them. Delete them once you have checked that the "
            "encrypted database opens with your passphrase."
            if plain
            else ""
        )
        self.tell(
            "Database encrypted",
            f"{path.name} is now encrypted: it opens only with its passphrase. An encrypted "
            f"backup of it is at {backup}.{older}",
        )

    # --- Reassignment ----------------------------------------------------------------------

    @QtCore.Slot(object, object)
    def reassign(self, case_versions: dict[int, int], worker_id: int | None) -> None:
        """Confirm, then move ``case_versions`` to ``worker_id`` (None: the queue), undoably.

        The path of a drop and of Ctrl+R alike.
        """
        if self.context is None or self.board is None or not case_versions:
            return
        if self.context.read_only:
            self.statusBar().showMessage(
                "This database is open read-only here: move cases in the copy of the app "
                "that holds it.",
                STATUS_MESSAGE_MS,
            )
            return
        name = "the unallocated queue" if worker_id is None else self.board.worker_name(worker_id)
        from_leavers = self.board.cases_with_leavers(set(case_versions))
        request = ReassignDialog.ask(
            self,
            self.context,
            case_versions,
            worker_id,
            name,
            ChangeReason.LEFTRL if from_leavers else ChangeReason.MANAGE,
        )
        if request is None:
            return
        try:
            command = ReassignCommand.run(self.context, request, self._show_undo_error)
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot move the cases", str(exc))
            self.board.refresh()  # show what changed meanwhile
            return
        self.undo_stack.push(command)
        self.statusBar().showMessage(command.text(), STATUS_MESSAGE_MS)

    @QtCore.Slot()
    def reassign_selected(self) -> None:
        """Ctrl+R: the keyboard path of a drag."""
        if self.board is None:
            return
        versions = self.board.selected_case_versions()
        if not versions:
            Interaction.show_error(
                self, "Reassign to…", "Select one or more cases first (in any tab below)."
            )
            return
        choice = WorkerPickerDialog.ask(self, self.board.workers_model.all_rows())
        if choice is not None:
            self.reassign(versions, choice[0])

    @QtCore.Slot()
    def plan_worker_leaving(self) -> None:
        if self.context is None or self.board is None:
            return
        context = self.context
        chosen = LeaverDialog.ask(self, self.board.workers_model.all_rows(), context.today())
        if chosen is None:
            return
        worker_id, leave_date = chosen
        self._plan_and_apply(
            lambda: allocation_planning.plan_for_leaver(
                context.db, worker_id, leave_date, rules=context.rules, today=context.today()
            )
        )

    @QtCore.Slot()
    def plan_queue(self) -> None:
        if self.context is None or self.board is None:
            return
        context, team_id = self.context, self.board.team_id
        if team_id is None:
            Interaction.show_error(
                self, "Allocate the queue", "Pick one team first: a plan is for one team."
            )
            return
        self._plan_and_apply(
            lambda: allocation_planning.plan_for_queue(
                context.db, team_id, rules=context.rules, today=context.today()
            )
        )

    def _plan_and_apply(self, make_plan: Callable[[], allocation_planning.Plan]) -> None:
        assert self.context is not None
        context = self.context
        try:
            plan = make_plan()
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot make a plan", str(exc))
            return
        answer = PlanDialog.ask(self, plan, context.rules)
        if answer is None:
            return
        choices, accept_over = answer
        try:
            result = allocation_planning.apply(
                context.db,
                plan,
                choices,
                rules=context.rules,
                today=context.today(),
                actor=current_user(),
                announcer=context.changes,
                accept_over_capacity=accept_over,
            )
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot apply the plan", str(exc))
            if self.board is not None:
                self.board.refresh()
            return
        if result.moved:
            self.undo_stack.push(ReassignCommand(context, result, self._show_undo_error))
        self.statusBar().showMessage(
            f"{plan.title}: {len(result.moved)} cases moved.", STATUS_MESSAGE_MS
        )

    def _show_undo_error(self, title: str, message: str) -> None:
        Interaction.show_error(self, title, message)
        if self.board is not None:
            self.board.refresh()

    # --- Caseload summary: export and print ------------------------------------------------

    def _summary_request(self) -> SummaryRequest | None:
        """The summary of the team on the board, or of the service when it shows all teams."""
        if self.context is None or self.board is None:
            return None
        team_id = self.board.team_id
        try:
            today = self.context.today()
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot make the caseload summary", str(exc))
            return None
        return SummaryRequest(
            db=self.context.db,
            team_id=team_id,
            team=None if team_id is None else self.board.team_picker.currentText(),
            today=today,
            rules=self.context.rules,
            records=self.context.records,
        )

    def _run_summary(
        self, request: SummaryRequest, label: str, work: Callable[[Progress], T]
    ) -> T | None:
        """``work`` off the GUI thread behind a progress dialog; None when it was cancelled
        or failed (the failure shown)."""
        try:
            return run_with_progress(self, request.title, label, work)
        except Cancelled:
            self.statusBar().showMessage(f"{request.title}: cancelled.", STATUS_MESSAGE_MS)
            return None
        except CaseloadError as exc:
            Interaction.show_error(self, f"Cannot make {request.named}", str(exc))
            return None

    def _choose_export_path(
        self, request: SummaryRequest, title: str, suffix: str, file_filter: str
    ) -> Path | None:
        folder = self._export_folder or Path(
            QtCore.QStandardPaths.writableLocation(
                QtCore.QStandardPaths.StandardLocation.DocumentsLocation
            )
            or Path.home()
        )
        suggested = folder / request.file_name(f".{suffix}")
        path = Interaction.choose_export_path(self, title, suggested, file_filter, suffix)
        if path is not None:
            self._export_folder = path.parent
        return path

    @QtCore.Slot()
    def export_summary(self) -> None:
        """File > Export caseload summary…: the summary as a PDF, written whole or not at
        all."""
        request = self._summary_request()
        if request is None:
            return
        path = self._choose_export_path(request, "Export caseload summary", "pdf", PDF_FILTER)
        if path is None:
            return

        def work(progress: Progress) -> list[Path]:
            from caseload_desktop.reports import styles

            _summary, data = request.build(progress)
            styles.write_pdf(data, path)
            exports.record_summary_export(
                request.db,
                scope=exports.scope_of(request.team),
                team=request.team,
                as_at=request.today,
                files=[exports.ExportedFile(path, data, "pdf")],
            )
            return [path]

        written = self._run_summary(request, f"Writing {request.named}…", work)
        if written is not None:
            self._show_exported(request, written)

    @QtCore.Slot()
    def export_summary_csv(self) -> None:
        """File > Export caseload summary as CSV…: the summary's tables, one CSV file each
        beside the chosen name, all written or none."""
        request = self._summary_request()
        if request is None:
            return
        path = self._choose_export_path(
            request, "Export caseload summary as CSV", "csv", CSV_FILTER
        )
        if path is None:
            return

        def work(progress: Progress) -> list[Path]:
            from caseload_desktop.reports import csv_export

            summary, _data = request.build(progress)
            written = csv_export.write_summary_csv(summary, path)
            exports.record_summary_export(
                request.db,
                scope=exports.scope_of(request.team),
                team=request.team,
                as_at=request.today,
                files=exports.ExportedFile.read(written, "csv"),
            )
            return written

        written = self._run_summary(request, f"Writing {request.named}…", work)
        if written is not None:
            self._show_exported(request, written)

    def _show_exported(self, request: SummaryRequest, written: list[Path]) -> None:
        self.exported = written[0]
        more = len(written) - 1
        also = f" (and {more} more CSV files beside it)" if more else ""
        self._export_message = (
            f"Wrote the caseload summary of {request.scope} as at {uk_date(request.today)} "
            f"to {written[0]}{also}."
        )
        self.open_export_button.setToolTip(f"Open {written[0]}")
        self.statusBar().showMessage(self._export_message, EXPORT_MESSAGE_MS)

    @QtCore.Slot(str)
    def _status_message_changed(self, message: str) -> None:
        # The Open button belongs to the export's message, and goes with it.
        self.open_export_button.setVisible(bool(message) and message == self._export_message)

    @QtCore.Slot()
    def open_exported(self) -> None:
        """The status bar's Open: the exported file in the desktop's program for it."""
        if self.exported is not None and not Interaction.open_file(self.exported):
            Interaction.show_error(
                self, "Cannot open the file", f"No program on this computer opens {self.exported}."
            )

    def _summary_print_job(self) -> printing.PrintJob | None:
        request = self._summary_request()
        if request is None:
            return None
        data = self._run_summary(
            request,
            f"Making {request.named}…",
            lambda progress: request.build(progress)[1],
        )
        if data is None:
            return None
        return printing.PrintJob(self, self.preferences, data, request.title)

    @QtCore.Slot()
    def print_summary(self) -> None:
        """File > Print caseload summary… (Ctrl+P)."""
        job = self._summary_print_job()
        if job is not None and job.print_document():
            self.statusBar().showMessage(f"Printed: {job.title}.", STATUS_MESSAGE_MS)

    @QtCore.Slot()
    def print_preview(self) -> None:
        """File > Print preview…: the caseload summary as it will print."""
        job = self._summary_print_job()
        if job is not None:
            job.preview()

    @QtCore.Slot()
    def page_setup(self) -> None:
        """File > Page setup…: paper, orientation and margins, remembered for every print."""
        setup = printing.page_setup(self, self.preferences)
        if setup is not None:
            self.statusBar().showMessage(
                f"Page setup for printing: {printing.describe_page_setup(setup)}.",
                STATUS_MESSAGE_MS,
            )

    # --- Supervision -----------------------------------------------------------------------

    def selected_worker(self) -> WorkerCaseloadRow | None:
        """The worker selected on the board, if any."""
        if self.context is None or self.board is None:
            return None
        index = self.board.workers_view.currentIndex()
        if not index.isValid():
            return None
        return self.board.workers_model.row_at(index.row())

    @QtCore.Slot()
    def _update_supervision_actions(self) -> None:
        """Start supervision needs a worker in post selected; their records, any worker."""
        worker = self.selected_worker()
        start = self.main_actions.start_supervision
        records = self.main_actions.supervision_records
        writable = not self.read_only  # a draft opened saves itself: a change
        start.setEnabled(writable and worker is not None and worker.status == "active")
        records.setEnabled(writable and worker is not None)
        if worker is None:
            start.setText("&Start supervision…")
            start.setStatusTip("Start a supervision session with the worker selected on the board")
            records.setText("Supervision &records…")
            return
        name = worker.worker.replace("&", "&&")
        records.setText(f"Supervision &records of {name}…")
        if worker.status == "active":
            start.setText(f"&Start supervision with {name}…")
            start.setStatusTip(f"Start a supervision session with {worker.worker}")
        else:
            start.setText("&Start supervision…")
            start.setStatusTip(
                f"{worker.worker} is not in post ({worker.status}): supervision is with "
                "workers in post"
            )
        start.setToolTip(start.statusTip())

    @QtCore.Slot()
    def start_supervision(self) -> None:
        """Supervision > Start supervision (Ctrl+Shift+S): a new session with the worker
        selected, held today, or their draft carried on."""
        worker = self.selected_worker()
        if self.context is None or worker is None:
            return
        if worker.status != "active":
            Interaction.show_error(
                self,
                "Start supervision",
                f"{worker.worker} is not in post ({worker.status}): supervision is with "
                "workers in post.",
            )
            return
        context = self.context
        try:
            today = context.today()
            drafts = [
                row
                for row in supervision.list_sessions(context.db, worker.worker_id)
                if row.status is SessionStatus.DRAFT
            ]
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot start supervision", str(exc))
            return
        if drafts:
            draft = drafts[0]
            choice = Interaction.ask_choice(
                self,
                "Start supervision",
                f"{worker.worker} has a draft supervision, {draft.record_id} of "
                f"{uk_date(draft.held_on)}, not finalised yet.",
                ["Carry on with the draft", "Start a new session"],
            )
            if choice is None:
                return
            if choice == 0:
                self.open_supervision(draft.id)
                return
        actor = current_user()
        try:
            session_id = supervision.create_draft(
                context.db,
                worker.worker_id,
                DraftInput(held_on=today, attendees=(worker.worker, actor)),
                actor=actor,
                today=today,
            )
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot start supervision", str(exc))
            return
        self.open_supervision(session_id, created_here=True)

    @QtCore.Slot()
    def show_supervision_records(self) -> None:
        """Supervision > Supervision records…: the selected worker's sessions, to open one."""
        worker = self.selected_worker()
        if self.context is None or worker is None:
            return
        try:
            sessions = supervision.list_sessions(self.context.db, worker.worker_id)
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot read the supervision records", str(exc))
            return
        from caseload_desktop.ui.dialogs.supervision_editor import SupervisionRecordsDialog

        chosen = SupervisionRecordsDialog.ask(self, sessions, worker.worker)
        if chosen is not None:
            self.open_supervision(chosen)

    def open_supervision(
        self, session_id: int, *, created_here: bool = False
    ) -> SupervisionEditor | None:
        """Show session ``session_id`` in its editor (the one already open, if it is)."""
        if self.context is None:
            return None
        editor = self.supervision_editors.get(session_id)
        if editor is None:
            from caseload_desktop.ui.dialogs.supervision_editor import SupervisionEditor

            editor = SupervisionEditor.open_session(
                self, self.context, self.preferences, session_id, created_here=created_here
            )
            if editor is None:
                return None
            self.supervision_editors[session_id] = editor
            editor.finished.connect(self._supervision_editor_closed)
            editor.show()  # a new window comes up in front
        else:
            editor.raise_()  # the one already open, brought to the front
        editor.activateWindow()
        return editor

    @QtCore.Slot()
    def _supervision_editor_closed(self) -> None:
        editor = self.sender()
        for session_id, open_editor in list(self.supervision_editors.items()):
            if open_editor is editor:
                del self.supervision_editors[session_id]
                open_editor.deleteLater()

    def close_supervision_editors(self) -> bool:
        """Close every supervision editor (each saves its draft first); False when one stays
        open (its changes cannot be saved, and the manager chose to keep them)."""
        return all(editor.close() for editor in list(self.supervision_editors.values()))

    # --- Settings --------------------------------------------------------------------------

    @QtCore.Slot()
    def show_settings(self) -> None:
        """Edit > Settings…: the council's settings (of the open database) and this desktop's
        preferences. The board follows a settings change by itself (the change is announced);
        sync follows its own preferences at once."""
        self.open_settings(None)

    def open_settings(self, page: str | None) -> None:
        """The settings dialog, on ``page`` (a page's name) if given."""
        from caseload_desktop.ui.dialogs.settings_dialog import SettingsDialog

        # Read-only: the council's settings can be read, this desktop's preferences changed.
        dialog = SettingsDialog(
            self.context, self.preferences, self, may_edit_rules=not self.read_only
        )
        dialog.preferences_applied.connect(self.apply_display_preferences)
        dialog.preferences_applied.connect(self._configure_sync)
        if page is not None:
            dialog.show_page(page)
        try:
            dialog.ask()
        finally:
            dialog.deleteLater()

    @QtCore.Slot()
    def apply_display_preferences(self) -> None:
        """The Display page's text size, for the whole app at once: a share of the system's
        own size, so 100% is exactly what the platform gives."""
        font = QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.SystemFont.GeneralFont)
        scale = self.preferences.get(TEXT_SIZE) / 100
        if scale != 1:
            if font.pointSizeF() > 0:
                font.setPointSizeF(font.pointSizeF() * scale)
            else:
                font.setPixelSize(round(font.pixelSize() * scale))
        if QtWidgets.QApplication.font() == font:
            return
        QtWidgets.QApplication.setFont(font)  # widgets follow when the event loop runs
        # Table rows have a fixed height (no measuring on big models): fit it to the new text.
        row_height = QtGui.QFontMetrics(font).height() + ROW_PADDING
        for view in self.findChildren(QtWidgets.QTableView):
            view.verticalHeader().setDefaultSectionSize(row_height)

    @QtCore.Slot()
    def show_about(self) -> None:
        """Help > About: the version, the database's schema revision and the data folder."""
        AboutDialog.ask(self, self.context)

    # --- Sync ------------------------------------------------------------------------------

    @QtCore.Slot()
    def _configure_sync(self) -> None:
        """Sync the open database with the target the preferences name (none: not set up)."""
        database = None if self.context is None else self.context.db.path
        target = SyncTarget.from_preferences(self.preferences, database)
        if self.read_only and not target.off_because:
            target = dataclasses.replace(target, off_because=READ_ONLY_SYNC)
        self.sync_runner.configure(self.context, target, self.preferences.get(SYNC_INTERVAL))

    @QtCore.Slot()
    def sync_now(self) -> None:
        """Sync > Sync now (F9): sync at once, off the GUI thread; with nothing set up, the
        Sync settings instead."""
        if self.context is None:
            return
        off_because = self.sync_runner.target.off_because
        if off_because:
            self.statusBar().showMessage(off_because, STATUS_MESSAGE_MS)
            return
        if not self.sync_runner.sync_now():
            self.statusBar().showMessage(
                "Sync is not set up: give the central server or a shared folder.",
                STATUS_MESSAGE_MS,
            )
            self.show_sync_settings()

    @QtCore.Slot()
    def show_sync_settings(self) -> None:
        """Sync > Sync settings…: the settings dialog on its Sync page."""
        from caseload_desktop.ui.dialogs.settings_dialog import SYNC

        self.open_settings(SYNC)

    @QtCore.Slot(object)
    def _sync_finished(self, outcome: SyncOutcome) -> None:
        """Say what a sync did when the manager asked for it, or when it brought something
        back; a background sync that failed shows in the status bar's sync state only."""
        result = outcome.result
        brought = isinstance(result, sync_service.SyncResult) and (
            result.pulled > 0 or result.new_conflicts > 0
        )
        if outcome.manual or brought:
            self.statusBar().showMessage(outcome.summary(), STATUS_MESSAGE_MS)

    @QtCore.Slot()
    def show_conflicts(self) -> ConflictsDialog | None:
        """Sync > Conflicts… (and the status bar's count): the Conflicts panel, beside the
        board; the one already open comes to the front."""
        if self.context is None or self.context.read_only:
            return None
        dialog = self.conflicts_dialog
        if dialog is None:
            from caseload_desktop.ui.dialogs.conflicts_dialog import ConflictsDialog

            dialog = ConflictsDialog(self.context, self)
            dialog.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.finished.connect(self._conflicts_dialog_closed)
            dialog.addAction(self.sync_actions.sync_now)  # F9 sends a settlement from there too
            self.sync_runner.finished.connect(dialog.reload)
            self.conflicts_dialog = dialog
            dialog.show()
        else:
            dialog.raise_()
        dialog.activateWindow()
        return dialog

    @QtCore.Slot()
    def _conflicts_dialog_closed(self) -> None:
        # Closing deletes it later (WA_DeleteOnClose); from now on the next one is a new panel.
        if self.sender() is self.conflicts_dialog:
            self.conflicts_dialog = None

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if not self.close_supervision_editors():
            event.ignore()  # the manager chose to keep a draft that cannot be saved open
            return
        self.preferences.set_state("main_window/geometry", self.saveGeometry())
        self.set_context(None)
        self.sync_runner.shutdown()  # waits for a running sync to stop: the window is closing
        self.preferences.sync()
        super().closeEvent(event)
