"""The main window: menus, the open database, and an overview of its teams.

With no database open it shows a start page offering to create, open or try the demo. The
caseload board (its own issue) replaces the overview as the central view.
"""

from __future__ import annotations

from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop import APP_NAME, __version__, clock, locations
from caseload_desktop.context import AppContext, open_context, open_demo_context
from caseload_desktop.display import uk_date
from caseload_desktop.errors import CaseloadError
from caseload_desktop.store import queries
from caseload_desktop.ui.actions import create_actions
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.models.team_overview import TeamOverviewModel

STATUS_SPACING = 12


class MainWindow(QtWidgets.QMainWindow):
    """The application's main window.

    Signals:
        database_changed: a database was opened or closed (argument: its path, or "" for none).

    Attributes:
        context: the open database's ``AppContext``, or None on the start page.
        main_actions: the window's actions (menus reuse them; ``actions()`` is QWidget's).
    """

    database_changed = QtCore.Signal(str)

    def __init__(self, context: AppContext | None = None) -> None:
        super().__init__()
        self.context: AppContext | None = None
        self.setObjectName("main_window")
        self.resize(1200, 760)
        self.main_actions = create_actions(self)
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
        file_menu.addAction(self.main_actions.quit)
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

        # Overview page: one row per team.
        overview = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(overview)
        self.overview_heading = QtWidgets.QLabel()
        self.overview_heading.setTextFormat(QtCore.Qt.TextFormat.RichText)
        layout.addWidget(self.overview_heading)
        self.overview_model = TeamOverviewModel(self)
        self.overview_view = QtWidgets.QTableView()
        self.overview_view.setObjectName("team_overview")
        self.overview_view.setAccessibleName("Teams overview")
        self.overview_view.setModel(self.overview_model)
        self.overview_view.setSelectionBehavior(
            QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows
        )
        self.overview_view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.overview_view.setAlternatingRowColors(True)
        self.overview_view.verticalHeader().hide()
        header = self.overview_view.horizontalHeader()
        header.setSectionResizeMode(
            TeamOverviewModel.COL_TEAM, QtWidgets.QHeaderView.ResizeMode.Stretch
        )
        header.setDefaultSectionSize(120)
        layout.addWidget(self.overview_view)
        self.overview_page = overview

        self.pages.addWidget(self.start_page)
        self.pages.addWidget(self.overview_page)
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
        status.addWidget(self.database_label, 1)
        status.addPermanentWidget(self.today_label)

    def _connect(self) -> None:
        self.main_actions.new_database.triggered.connect(self.new_database)
        self.main_actions.open_database.triggered.connect(self.open_database)
        self.main_actions.open_demo.triggered.connect(self.open_demo)
        self.main_actions.quit.triggered.connect(self.close)
        self.main_actions.about.triggered.connect(self.show_about)

    # --- State -----------------------------------------------------------------------------

    def set_context(self, context: AppContext | None) -> None:
        """Show ``context``'s database (closing the one open before), or the start page."""
        if self.context is not None and self.context is not context:
            self.context.close()
        self.context = context
        if context is None:
            self.setWindowTitle(APP_NAME)
            self.database_label.setText("No database open")
            self.pages.setCurrentWidget(self.start_page)
            self.overview_model.set_rows([])
        else:
            self.setWindowTitle(f"{context.db.path.name} — {APP_NAME}")
            self.database_label.setText(f"Database: {context.db.path}")
            self.database_label.setToolTip(str(context.db.path))
            self.refresh()
            self.pages.setCurrentWidget(self.overview_page)
        self._show_today()
        self.database_changed.emit("" if context is None else str(context.db.path))

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
        """Re-read the overview from the database."""
        if self.context is None:
            return
        context = self.context
        with context.db.read() as session:
            rows = queries.team_overview(session, context.today())
        self.overview_model.set_rows(rows)
        totals = (
            sum(r.open_cases for r in rows),
            sum(r.orphaned for r in rows),
            sum(r.unallocated for r in rows),
            sum(r.held_by_manager for r in rows),
        )
        self.overview_heading.setText(
            f"<h2>{len(rows)} teams</h2><p>{totals[0]} open cases: <b>{totals[1]} orphaned</b>, "
            f"<b>{totals[2]} unallocated</b>, <b>{totals[3]} held by a manager</b>.</p>"
        )

    # --- Commands --------------------------------------------------------------------------

    def _try_open(self, opener: object, what: str) -> None:
        assert callable(opener)
        try:
            context = opener()
        except CaseloadError as exc:
            Interaction.show_error(self, f"Cannot {what}", str(exc))
            return
        self.set_context(context)

    @QtCore.Slot()
    def new_database(self) -> None:
        path = Interaction.choose_new_database(self, locations.data_dir())
        if path is not None:
            self._try_open(lambda: open_context(path, create=True), "create the database")

    @QtCore.Slot()
    def open_database(self) -> None:
        start = self.context.db.path.parent if self.context else locations.data_dir()
        path = Interaction.choose_database_to_open(self, start)
        if path is not None:
            self.open_path(path)

    def open_path(self, path: Path) -> None:
        self._try_open(lambda: open_context(path), "open the database")

    @QtCore.Slot()
    def open_demo(self) -> None:
        QtWidgets.QApplication.setOverrideCursor(QtCore.Qt.CursorShape.WaitCursor)
        try:
            self._try_open(open_demo_context, "open the demo")
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()

    @QtCore.Slot()
    def show_about(self) -> None:
        db = self.context.db if self.context else None
        lines = [
            f"<h3>{APP_NAME} {__version__}</h3>",
            "<p>Allocated, orphaned and unallocated cases at a glance, for team managers in "
            "children's social care.</p>",
            f"<p>Database: {db.path if db else 'none open'}<br>",
            f"Schema revision: {db.revision if db else '—'}<br>",
            f"Data folder: {locations.data_dir()}</p>",
        ]
        Interaction.show_about(self, f"About {APP_NAME}", "".join(lines))

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        if self.context is not None:
            self.context.close()
            self.context = None
        super().closeEvent(event)
