"""CaseloadBoard: a team's workers, their cases and the queues, at a glance.

Layout: a bar with the team picker, search and category filter; the summary strip; then the
workers pane (load bars) beside tabs for the selected worker's cases and the three queues, each
tab titled with its count. Data is read off the GUI thread by ``BoardLoader``.
"""

from __future__ import annotations

from decimal import Decimal

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop.context import AppContext
from caseload_desktop.domain.categories import Category
from caseload_desktop.domain.queues import Queue
from caseload_desktop.services import access
from caseload_desktop.services.changes import Change
from caseload_desktop.store import queries
from caseload_desktop.ui.models import cases as case_models
from caseload_desktop.ui.models.board_loader import BoardLoader
from caseload_desktop.ui.models.cases import CasesModel
from caseload_desktop.ui.models.workers import WorkersModel
from caseload_desktop.ui.preferences import Preferences
from caseload_desktop.ui.widgets.case_table import CaseTableView
from caseload_desktop.ui.widgets.load_bar import LoadBarDelegate
from caseload_desktop.ui.widgets.summary_strip import Summary, SummaryStrip

ALL_TEAMS = "All teams"
ROW_PADDING = 8
SEARCH_DELAY_MS = 200

# Tabs of the right-hand pane, in order.
TAB_WORKER, TAB_ORPHANED, TAB_UNALLOCATED, TAB_HELD = range(4)


def _make_table(
    name: str, accessible: str, view: QtWidgets.QTableView | None = None
) -> QtWidgets.QTableView:
    """A read-only table with fixed row heights (no measuring of rows on big models)."""
    view = view if view is not None else QtWidgets.QTableView()
    view.setObjectName(name)
    view.setAccessibleName(accessible)
    view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setSortingEnabled(True)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside it
    vertical = view.verticalHeader()
    vertical.hide()
    vertical.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(view.fontMetrics().height() + ROW_PADDING)
    header = view.horizontalHeader()
    header.setSortIndicatorShown(True)
    header.setSortIndicator(-1, QtCore.Qt.SortOrder.AscendingOrder)
    header.setHighlightSections(False)
    header.setStretchLastSection(True)
    return view


class CaseloadBoard(QtWidgets.QWidget):
    """The board for one team or all teams.

    Signals:
        loaded: the board shows fresh data (after a team change or a refresh).
        busy: True while data is being read.
        failed: reading failed (message).

    Attributes:
        workers_model, worker_cases_model, orphaned_model, unallocated_model, held_model:
            the board's item models.
    """

    loaded = QtCore.Signal()
    busy = QtCore.Signal(bool)
    failed = QtCore.Signal(str)
    reassign_requested = QtCore.Signal(object, object)  # {case id: version}, worker id or None
    _data_changed = QtCore.Signal(object)  # a Change, relayed to the GUI thread

    def __init__(
        self,
        context: AppContext,
        preferences: Preferences,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("caseload_board")
        self.context = context
        self.preferences = preferences
        self.data: queries.BoardData | None = None
        self._restore_worker: int | None = None
        self._worker_title = "Cases"
        self._teams_changed = False
        self.loader = BoardLoader(self)
        self.loader.loaded.connect(self._show)
        self.loader.failed.connect(self.failed)
        self.loader.busy.connect(self.busy)

        self.workers_model = WorkersModel(self)
        self.worker_cases_model = CasesModel(case_models.WORKER_CASES_COLUMNS, parent=self)
        self.orphaned_model = CasesModel(case_models.ORPHANED_COLUMNS, queue_view=True, parent=self)
        self.unallocated_model = CasesModel(
            case_models.UNALLOCATED_COLUMNS, queue_view=True, accepts_drops=True, parent=self
        )
        self.held_model = CasesModel(case_models.HELD_COLUMNS, queue_view=True, parent=self)

        self._build()
        self._search_timer = QtCore.QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.apply_filter)
        self._scroll: dict[str, int] = {}
        self._team_ids: list[int | None] = []  # the team picker's, by index (None: all teams)
        self._connect()
        self._fill_team_picker()
        self._restore_layout()
        # Use cases announce what they changed; re-read then (coalesced, on the GUI thread).
        self._refresh_timer = QtCore.QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self._refresh_after_change)
        self._data_changed.connect(self._on_data_changed)
        # The current subscription's stop function, in a list the closure below can read
        # without holding the board (the slot runs while the board is being destroyed).
        subscription = [context.changes.subscribe(self._data_changed.emit)]
        self._subscription = subscription
        self.destroyed.connect(lambda: subscription[0]())

    def set_context(self, context: AppContext) -> None:
        """Show another database on this board: the widgets and their layout stay, the team
        is kept when the new database has one of the same name."""
        self.loader.wait()  # a read of the old database ends before it is closed
        self._refresh_timer.stop()
        self._subscription[0]()
        self.context = context
        self._subscription[0] = context.changes.subscribe(self._data_changed.emit)
        self.data = None
        self._restore_worker = None
        self._scroll = {}
        self._fill_team_picker(keep=self.team_picker.currentText() or None)
        self.refresh(keep_selection=False)

    # --- Construction ----------------------------------------------------------------------

    def _build(self) -> None:
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 4)

        bar = QtWidgets.QHBoxLayout()
        self.team_picker = QtWidgets.QComboBox()
        self.team_picker.setObjectName("team_picker")
        self.team_picker.setAccessibleName("Team")
        self.team_picker.setMinimumContentsLength(28)
        self.team_picker.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        team_label = QtWidgets.QLabel("&Team:")
        team_label.setBuddy(self.team_picker)
        self.search = QtWidgets.QLineEdit()
        self.search.setObjectName("search")
        self.search.setAccessibleName("Search children, case references and workers")
        self.search.setPlaceholderText("Search child, case ref or worker (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(280)
        self.category_filter = QtWidgets.QComboBox()
        self.category_filter.setObjectName("category_filter")
        self.category_filter.setAccessibleName("Category filter")
        self.category_filter.addItem("All categories", None)
        for category in Category:
            # Qt keeps a StrEnum as its plain string value; apply_filter turns it back.
            self.category_filter.addItem(category.label, category.value)
        category_label = QtWidgets.QLabel("C&ategory:")
        category_label.setBuddy(self.category_filter)
        bar.addWidget(team_label)
        bar.addWidget(self.team_picker)
        bar.addSpacing(16)
        bar.addWidget(self.search, 1)
        bar.addSpacing(16)
        bar.addWidget(category_label)
        bar.addWidget(self.category_filter)
        layout.addLayout(bar)

        self.summary = SummaryStrip()
        layout.addWidget(self.summary)

        # Workers above, their cases and the queues below: both get the window's full width,
        # so the load bars and the case columns fit at 1366x768.
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Vertical)
        self.splitter.setObjectName("board_splitter")
        self.splitter.setChildrenCollapsible(False)

        workers_box = QtWidgets.QWidget()
        workers_layout = QtWidgets.QVBoxLayout(workers_box)
        workers_layout.setContentsMargins(0, 0, 0, 0)
        self.workers_title = QtWidgets.QLabel("<b>Workers</b>")
        workers_layout.addWidget(self.workers_title)
        self.workers_view = _make_table("workers_view", "Workers")
        self.workers_view.setModel(self.workers_model)
        self.workers_view.setSelectionMode(
            QtWidgets.QAbstractItemView.SelectionMode.SingleSelection
        )
        self.workers_view.setItemDelegateForColumn(
            WorkersModel.COL_LOAD, LoadBarDelegate(self.workers_view)
        )
        widths = {
            WorkersModel.COL_WORKER: 290,
            WorkersModel.COL_ROLE: 190,
            WorkersModel.COL_EMPLOYMENT: 90,
            WorkersModel.COL_FTE: 44,
            WorkersModel.COL_CASES: 52,
        }
        for column, width in widths.items():
            self.workers_view.setColumnWidth(column, width)
        workers_layout.addWidget(self.workers_view)
        self.splitter.addWidget(workers_box)

        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setObjectName("board_tabs")
        self.tabs.setAccessibleName("Cases and queues")
        self.worker_cases_view = _make_table(
            "worker_cases_view", "Selected worker's cases", CaseTableView()
        )
        self.orphaned_view = _make_table("orphaned_view", "Orphaned cases", CaseTableView())
        self.unallocated_view = _make_table(
            "unallocated_view", "Unallocated cases", CaseTableView()
        )
        self.held_view = _make_table("held_view", "Cases held by a manager", CaseTableView())
        for view, model in self._case_views():
            view.setModel(model)
            view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.ExtendedSelection)
            view.setDragEnabled(True)
            view.setDragDropMode(QtWidgets.QAbstractItemView.DragDropMode.DragOnly)
            view.setDefaultDropAction(QtCore.Qt.DropAction.MoveAction)
            self._size_case_columns(view)
        # Cases drop onto a worker, or back into the unallocated queue.
        self.unallocated_view.setDragDropMode(QtWidgets.QAbstractItemView.DragDropMode.DragDrop)
        self.unallocated_view.setAcceptDrops(True)
        self.unallocated_view.setDropIndicatorShown(True)
        self.workers_view.setAcceptDrops(True)
        self.workers_view.setDragDropMode(QtWidgets.QAbstractItemView.DragDropMode.DropOnly)
        self.workers_view.setDropIndicatorShown(True)
        self.workers_view.setDefaultDropAction(QtCore.Qt.DropAction.MoveAction)
        self.tabs.addTab(self.worker_cases_view, "Cases")
        self.tabs.addTab(self.orphaned_view, "Orphaned")
        self.tabs.addTab(self.unallocated_view, "Unallocated")
        self.tabs.addTab(self.held_view, "Held by manager")
        self.tabs.tabBar().setChangeCurrentOnDrag(True)  # hover a tab while dragging to open it
        self.tabs.tabBar().setAcceptDrops(True)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([240, 360])
        layout.addWidget(self.splitter, 1)

        self.find_action = QtGui.QAction("&Find", self)
        self.find_action.setShortcut(QtGui.QKeySequence(QtGui.QKeySequence.StandardKey.Find))
        self.find_action.setStatusTip("Search children, case references and workers")
        self.find_action.triggered.connect(self.focus_search)
        self.addAction(self.find_action)

        QtWidgets.QWidget.setTabOrder(self.team_picker, self.search)
        QtWidgets.QWidget.setTabOrder(self.search, self.category_filter)
        QtWidgets.QWidget.setTabOrder(self.category_filter, self.workers_view)
        QtWidgets.QWidget.setTabOrder(self.workers_view, self.tabs)
        QtWidgets.QWidget.setTabOrder(self.tabs, self.worker_cases_view)

    def _case_views(self) -> list[tuple[QtWidgets.QTableView, CasesModel]]:
        return [
            (self.worker_cases_view, self.worker_cases_model),
            (self.orphaned_view, self.orphaned_model),
            (self.unallocated_view, self.unallocated_model),
            (self.held_view, self.held_model),
        ]

    @staticmethod
    def _size_case_columns(view: QtWidgets.QTableView) -> None:
        # Fixed widths from the column kind: measuring contents would read every row.
        model = view.model()
        assert isinstance(model, CasesModel)
        widths = {
            "case_ref": 80,
            "child": 160,
            "team": 190,
            "age": 40,
            "category": 110,
            "worker": 150,
            "next_visit_due": 205,
            "assessment_due": 205,
            "risk": 60,
            "days_since_left": 76,
            "days_waiting": 90,
            "days_held": 76,
        }
        for column, spec in enumerate(model.columns):
            view.setColumnWidth(column, widths.get(spec.key, 110))

    def _connect(self) -> None:
        self.team_picker.currentIndexChanged.connect(self._team_changed)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.search.returnPressed.connect(self.apply_filter)
        self.category_filter.currentIndexChanged.connect(lambda _index: self.apply_filter())
        self.workers_view.selectionModel().currentRowChanged.connect(self._worker_changed)
        self.workers_model.cases_dropped.connect(self.reassign_requested)
        self.unallocated_model.cases_dropped.connect(self.reassign_requested)

    def _fill_team_picker(self, keep: str | None = None) -> None:
        """The teams this user may see: a team manager their own, others every team and
        "All teams" (services/access.py)."""
        with self.context.db.read() as session:
            teams = queries.list_teams(session)
            readable = access.principal(session).readable_teams
        if readable is not None:
            teams = [t for t in teams if t.id in readable]
        self.team_picker.blockSignals(True)
        self.team_picker.clear()
        # One call for the names (a service has ~900 teams: an addItem each cost 3 ms); the
        # ids are kept beside them, in the same order (``team_id``).
        self._team_ids = ([None] if readable is None else []) + [t.id for t in teams]
        self.team_picker.addItems(
            ([ALL_TEAMS] if readable is None else []) + [t.name for t in teams]
        )
        last = keep or self.preferences.start_team
        index = self.team_picker.findText(last) if last else -1
        if index < 0:
            # The first team; "All teams" once it has been chosen.
            index = 1 if teams and readable is None else 0
        self.team_picker.setCurrentIndex(index)
        self.team_picker.blockSignals(False)

    # --- Layout persistence ----------------------------------------------------------------

    def _layout_targets(self) -> dict[str, QtWidgets.QHeaderView | QtWidgets.QSplitter]:
        targets: dict[str, QtWidgets.QHeaderView | QtWidgets.QSplitter] = {
            "board/splitter": self.splitter,
            "board/workers_header": self.workers_view.horizontalHeader(),
        }
        for view, _model in self._case_views():
            targets[f"board/{view.objectName()}_header"] = view.horizontalHeader()
        return targets

    def _restore_layout(self) -> None:
        for key, target in self._layout_targets().items():
            state = self.preferences.state(key)
            if state is not None:
                target.restoreState(state)

    def save_layout(self) -> None:
        for key, target in self._layout_targets().items():
            self.preferences.set_state(key, target.saveState())
        self.preferences.last_team = self.team_picker.currentText()

    # --- Loading ---------------------------------------------------------------------------

    @property
    def team_id(self) -> int | None:
        index = self.team_picker.currentIndex()
        return self._team_ids[index] if 0 <= index < len(self._team_ids) else None

    def select_team(self, name: str | None) -> None:
        """Show the team called ``name`` (None: all teams)."""
        index = self.team_picker.findText(name or ALL_TEAMS)
        if index < 0:
            raise ValueError(f"no team called {name!r} on the board")
        if index == self.team_picker.currentIndex():
            self.refresh()
        else:
            self.team_picker.setCurrentIndex(index)

    @QtCore.Slot(int)
    def _team_changed(self, _index: int) -> None:
        self._restore_worker = None
        self.refresh(keep_selection=False)

    @QtCore.Slot()
    def refresh(self, keep_selection: bool = True) -> None:
        """Read the board again (after a change), keeping the selected worker."""
        if keep_selection:
            current = self.selected_worker_id()
            if current is not None:
                self._restore_worker = current
            self._scroll = {
                view.objectName(): view.verticalScrollBar().value()
                for view, _model in [(self.workers_view, None), *self._case_views()]
            }
        else:
            self._scroll = {}
        self.loader.request(self.context.db, self.context.today(), self.context.rules, self.team_id)

    @QtCore.Slot(object)
    def _on_data_changed(self, change: Change) -> None:
        if change.teams_changed:
            self._teams_changed = True
        self._refresh_timer.start()

    @QtCore.Slot()
    def _refresh_after_change(self) -> None:
        if self._teams_changed:
            self._teams_changed = False
            self._fill_team_picker(keep=self.team_picker.currentText())
        self.refresh()

    def wait_until_loaded(self) -> None:
        """Block until the last request has been read (closing, tests)."""
        self.loader.wait()
        QtCore.QCoreApplication.sendPostedEvents()

    @QtCore.Slot(object)
    def _show(self, data: queries.BoardData) -> None:
        self.data = data
        rules = self.context.rules
        table = data.cases
        all_teams = data.team_id is None
        in_team = [
            i
            for i, row in enumerate(table.rows)
            if all_teams or row[queries.C_TEAM_ID] == data.team_id
        ]
        by_queue: dict[Queue, list[int]] = {queue: [] for queue in Queue}
        queue_of = {worker_id: holder.queue for worker_id, holder in table.holders.items()}
        rows, holder_column = table.rows, queries.C_WORKER_ID
        for i in in_team:
            by_queue[queue_of[rows[i][holder_column]]].append(i)

        def columns(base: tuple[case_models.CaseColumn, ...]) -> tuple[case_models.CaseColumn, ...]:
            return case_models.with_team(base) if all_teams else base

        self.workers_model.set_rows(data.workers, rules, data.overdue_actions)
        self.orphaned_model.set_rows(
            table, by_queue[Queue.ORPHANED], rules, columns(case_models.ORPHANED_COLUMNS)
        )
        self.unallocated_model.set_rows(
            table, by_queue[Queue.UNALLOCATED], rules, columns(case_models.UNALLOCATED_COLUMNS)
        )
        self.held_model.set_rows(
            table, by_queue[Queue.HELD_BY_MANAGER], rules, columns(case_models.HELD_COLUMNS)
        )
        self.worker_cases_model.set_rows(
            table, [], rules, columns(case_models.WORKER_CASES_COLUMNS)
        )
        for view, model in self._case_views():
            self._size_case_columns(view)
            # Columns may have moved (the Team column): point the arrow at the sorted one.
            view.horizontalHeader().setSortIndicator(*model.sort_state())

        active = [w for w in data.workers if w.status == "active"]
        self.summary.show_summary(
            Summary(
                open_cases=len(in_team),
                allocated=len(by_queue[Queue.ALLOCATED]),
                orphaned=len(by_queue[Queue.ORPHANED]),
                unallocated=len(by_queue[Queue.UNALLOCATED]),
                held_by_manager=len(by_queue[Queue.HELD_BY_MANAGER]),
                team_load=sum((w.weighted for w in active), Decimal(0)),
                team_capacity=sum((w.capacity for w in active), Decimal(0)),
            )
        )
        self.apply_filter()
        self._reselect_worker()
        self._restore_scroll()
        self.loaded.emit()

    def _restore_scroll(self) -> None:
        """Put each view back where the manager was reading (after a refresh, not a new team)."""
        for view, model in [(self.workers_view, None), *self._case_views()]:
            value = self._scroll.get(view.objectName())
            if value is None:
                continue
            if isinstance(model, CasesModel):
                while model.canFetchMore() and view.verticalScrollBar().maximum() < value:
                    model.fetchMore()  # the rows that were on screen, fetched again
            view.verticalScrollBar().setValue(value)
        self._scroll = {}

    def _reselect_worker(self) -> None:
        row = None
        if self._restore_worker is not None:
            row = self.workers_model.row_of_worker(self._restore_worker)
        if row is None and self.workers_model.rowCount() > 0:
            row = 0
        if row is not None:
            self.workers_view.selectRow(row)
            self.workers_view.setCurrentIndex(self.workers_model.index(row, 0))
        else:
            self._worker_changed(QtCore.QModelIndex(), QtCore.QModelIndex())

    # --- Selection and filters ---------------------------------------------------------------

    def current_case_view(self) -> tuple[QtWidgets.QTableView, CasesModel]:
        return self._case_views()[self.tabs.currentIndex()]

    def selected_case_versions(self) -> dict[int, int]:
        """The cases selected in the current tab, with the versions they were read at."""
        view, model = self.current_case_view()
        rows = sorted({index.row() for index in view.selectionModel().selectedRows()})
        return {model.case_id(row): model.version(row) for row in rows}

    def worker_name(self, worker_id: int) -> str:
        for row in self.workers_model.all_rows():
            if row.worker_id == worker_id:
                return row.worker
        return "the worker"

    def cases_with_leavers(self, case_ids: set[int]) -> bool:
        """Whether any of the cases is orphaned (its worker has left or is inactive)."""
        if self.data is None:
            return False
        table = self.data.cases
        return any(
            table.queue(i) is Queue.ORPHANED
            for i, row in enumerate(table.rows)
            if row[queries.C_CASE_ID] in case_ids
        )

    def selected_worker_id(self) -> int | None:
        index = self.workers_view.currentIndex()
        if not index.isValid():
            return None
        return self.workers_model.row_at(index.row()).worker_id

    @QtCore.Slot(QtCore.QModelIndex, QtCore.QModelIndex)
    def _worker_changed(self, current: QtCore.QModelIndex, _previous: QtCore.QModelIndex) -> None:
        if self.data is None:
            return
        table = self.data.cases
        if not current.isValid() and self._restore_worker is not None:
            return  # the worker is only hidden by the search: keep showing their cases
        if current.isValid():
            worker = self.workers_model.row_at(current.row())
            indexes = [
                i
                for i, row in enumerate(table.rows)
                if row[queries.C_WORKER_ID] == worker.worker_id
            ]
            title = f"Cases of {worker.worker}"
            self._restore_worker = worker.worker_id
        else:
            indexes, title = [], "Cases"
        self.worker_cases_model.set_rows(table, indexes, self.context.rules)
        self.worker_cases_view.setAccessibleName(title)
        self._update_tab_titles(title)

    def _update_tab_titles(self, worker_title: str | None = None) -> None:
        if worker_title is not None:
            self._worker_title = worker_title
        counts = [
            (TAB_WORKER, self._worker_title, self.worker_cases_model),
            (TAB_ORPHANED, "Orphaned", self.orphaned_model),
            (TAB_UNALLOCATED, "Unallocated", self.unallocated_model),
            (TAB_HELD, "Held by manager", self.held_model),
        ]
        for tab, title, model in counts:
            shown, total = model.total(), model.unfiltered_total()
            count = f"{shown} of {total}" if shown != total else str(total)
            self.tabs.setTabText(tab, f"{title} ({count})")

    @QtCore.Slot()
    def focus_search(self) -> None:
        self.search.setFocus(QtCore.Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    @QtCore.Slot()
    def apply_filter(self) -> None:
        """Filter every pane by the search text and the category."""
        self._search_timer.stop()
        text = self.search.text()
        category = self.category_filter.currentData()
        for _view, model in self._case_views():
            model.set_filter(text, category)
        also: set[int] = set()
        needle = text.strip().casefold()
        if needle and self.data is not None:
            for row in self.data.cases.rows:
                worker_id = row[queries.C_WORKER_ID]
                if worker_id is not None and (
                    needle in row[queries.C_CHILD].casefold()
                    or needle in row[queries.C_CASE_REF].casefold()
                ):
                    also.add(worker_id)
        self.workers_model.set_filter(text, also)
        # The worker chosen before the search, selected again whenever the filter shows them.
        if self._restore_worker is not None:
            row = self.workers_model.row_of_worker(self._restore_worker)
            if row is not None:
                self.workers_view.setCurrentIndex(self.workers_model.index(row, 0))
                self.workers_view.selectRow(row)
        self._update_tab_titles()

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:
        self.loader.wait()
        super().closeEvent(event)
