"""Sync > Conflicts: the cases changed here and in central records at once, to settle.

Nothing was overwritten: until the manager chooses, each case stays as this desktop has it.
"Keep central's" takes central records' allocation here (``services.sync.keep_central``);
"Apply mine again" sends this desktop's allocation to central records again, as a new change
that expects central's current one (``services.sync.apply_mine_again``), sent at the next sync.
Both are audited. The panel is not modal: it stays open beside the board and reads the conflicts
again after every change announced (a sync, a settlement) and every sync.

Below them, when there are any, the changes central records received and did not apply (a
worker or case central does not know, a leave date it holds otherwise:
``services.sync.not_applied``): nothing to settle here, but the manager sees every one, not only
the first that the status line names.
"""

from __future__ import annotations

from typing import Protocol

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop.context import AppContext
from caseload_desktop.display import uk_datetime
from caseload_desktop.errors import CaseloadError
from caseload_desktop.services import sync as sync_service
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.services.identity import current_user
from caseload_desktop.store.engine import Database
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.models.conflicts import ConflictsModel, describe
from caseload_desktop.ui.sync_actions import SYNC_NOW_SHORTCUT
from caseload_desktop.ui.widgets.caseload_board import ROW_PADDING

NOTE_STYLE = "color: palette(placeholder-text);"
NOT_APPLIED_COLUMNS = ("Sent", "Change", "Central records said")
DIALOG_CHARS, DIALOG_LINES = 190, 26  # the panel's size in the text's own measure
RELOAD_DELAY_MS = 0  # coalesce a burst of announced changes into one read


def _as_list(view: QtWidgets.QTableView) -> None:
    """A read-only table of whole rows, one selected at a time, columns fitted to their text."""
    view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + ROW_PADDING)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)


class _Settle(Protocol):
    """``services.sync.keep_central`` or ``apply_mine_again``."""

    def __call__(
        self,
        db: Database,
        conflict_id: int,
        *,
        actor: str | None = None,
        announcer: ChangeAnnouncer | None = None,
    ) -> None: ...


class ConflictsDialog(QtWidgets.QDialog):
    """The open sync conflicts, with Keep central's and Apply mine again.

    Signals:
        settled: a conflict was settled (its id); the change waits for the next sync.

    Attributes:
        model: the conflicts shown (``ConflictsModel``).
        view: the table.
        keep_button, apply_button: settle the selected conflict one way or the other.
        detail: the selected conflict in words.
        settled_note: what the last settlement did.
        not_applied_view: the changes central records did not apply, newest first (hidden when
            there are none, with its heading ``not_applied_title``).
    """

    settled = QtCore.Signal(int)
    _data_changed = QtCore.Signal(object)  # a Change, relayed to the GUI thread

    def __init__(self, context: AppContext, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName("conflicts_dialog")
        self.setWindowTitle("Sync conflicts")
        self.setAccessibleName("Sync conflicts")
        metrics = self.fontMetrics()
        self.resize(metrics.averageCharWidth() * DIALOG_CHARS, metrics.lineSpacing() * DIALOG_LINES)

        intro = QtWidgets.QLabel(
            "These cases were changed here and in central records at the same time. Nothing "
            "was overwritten: each stays as this desktop has it until you choose. "
            "<b>Keep central's</b> takes central records' allocation here; <b>Apply mine "
            "again</b> sends yours to central records again."
        )
        intro.setWordWrap(True)
        intro.setAccessibleName("About sync conflicts")

        self.model = ConflictsModel(self)
        self.view = QtWidgets.QTableView()
        self.view.setObjectName("conflicts_view")
        self.view.setAccessibleName("Conflicts to settle")
        self.view.setModel(self.model)
        _as_list(self.view)

        self.empty = QtWidgets.QLabel("No conflicts wait for you.")
        self.empty.setObjectName("no_conflicts")
        self.empty.setAccessibleName("No conflicts")
        self.empty.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.detail = QtWidgets.QLabel()
        self.detail.setObjectName("conflict_detail")
        self.detail.setAccessibleName("The conflict selected")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
        self.settled_note = QtWidgets.QLabel()
        self.settled_note.setObjectName("conflict_result")
        self.settled_note.setAccessibleName("What was done")
        self.settled_note.setWordWrap(True)
        self.settled_note.setStyleSheet(NOTE_STYLE)

        self.not_applied_title = QtWidgets.QLabel()
        self.not_applied_title.setObjectName("not_applied_title")
        self.not_applied_title.setWordWrap(True)
        self.not_applied_view = QtWidgets.QTableWidget(0, len(NOT_APPLIED_COLUMNS))
        self.not_applied_view.setObjectName("not_applied_view")
        self.not_applied_view.setAccessibleName("Changes central records did not apply")
        self.not_applied_view.setHorizontalHeaderLabels(list(NOT_APPLIED_COLUMNS))
        _as_list(self.not_applied_view)

        self.keep_button = QtWidgets.QPushButton("&Keep central's")
        self.keep_button.setObjectName("keep_central")
        self.keep_button.setAccessibleName("Keep central records' allocation")
        self.keep_button.setToolTip("Take central records' allocation of the case here")
        self.apply_button = QtWidgets.QPushButton("&Apply mine again")
        self.apply_button.setObjectName("apply_mine_again")
        self.apply_button.setAccessibleName("Apply my allocation again")
        self.apply_button.setToolTip(
            "Send this desktop's allocation of the case to central records again, from today"
        )
        buttons = QtWidgets.QDialogButtonBox(QtWidgets.QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        for button in (self.keep_button, self.apply_button):
            button.setAutoDefault(False)  # Enter must never settle a conflict by accident
            buttons.addButton(button, QtWidgets.QDialogButtonBox.ButtonRole.ActionRole)
        close = buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.setAutoDefault(False)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.view, 2)
        layout.addWidget(self.empty, 2)
        layout.addWidget(self.detail)
        layout.addWidget(self.settled_note)
        layout.addWidget(self.not_applied_title)
        layout.addWidget(self.not_applied_view, 1)
        layout.addWidget(buttons)

        self.keep_button.clicked.connect(self.keep_central)
        self.apply_button.clicked.connect(self.apply_mine_again)
        self.view.selectionModel().currentRowChanged.connect(self._show_selected)
        self.model.rowsRemoved.connect(self._show_selected)
        self.model.rowsInserted.connect(self._show_selected)

        self._reload_timer = QtCore.QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)
        self._data_changed.connect(self._on_data_changed)
        unsubscribe = context.changes.subscribe(self._data_changed.emit)
        self.destroyed.connect(lambda: unsubscribe())
        self.view.setFocus()

    # --- Reading -------------------------------------------------------------------------------

    @QtCore.Slot(object)
    def _on_data_changed(self, _change: Change) -> None:
        self._reload_timer.start()

    @QtCore.Slot()
    def reload(self) -> None:
        """Read the open conflicts again; the selection stays on its conflict (or moves to the
        next one when that was settled). Not while the panel is closed: its database may be
        closing too."""
        self._reload_timer.stop()
        if not self.isVisible():
            return
        try:
            rows = sync_service.conflicts(self.context.db)
            # One more than shown: whether there are more than the panel shows.
            not_applied = sync_service.not_applied(
                self.context.db, limit=sync_service.NOT_APPLIED_SHOWN + 1
            )
        except CaseloadError as exc:
            self.settled_note.setText(f"Cannot read the conflicts: {exc}")
            return
        self._show_not_applied(not_applied)
        self.model.set_rows(rows)
        if not self.view.currentIndex().isValid() and self.model.rowCount():
            self.view.setCurrentIndex(self.model.index(0, 0))
        self._show_selected()

    def _show_not_applied(self, rows: list[sync_service.NotAppliedRow]) -> None:
        more = len(rows) > sync_service.NOT_APPLIED_SHOWN
        rows = rows[: sync_service.NOT_APPLIED_SHOWN]
        view = self.not_applied_view
        view.setRowCount(len(rows))
        for i, row in enumerate(rows):
            cells = (uk_datetime(row.sent_at), row.change, row.why)
            for column, text in enumerate(cells):
                item = QtWidgets.QTableWidgetItem(text)
                item.setToolTip(text)
                view.setItem(i, column, item)
        shown = "the newest " if more else ""
        self.not_applied_title.setText(
            f"<b>Changes central records did not apply</b> ({shown}{len(rows)}): central "
            "records kept what they had. Nothing to settle here."
        )
        self.not_applied_title.setToolTip(
            "Each was sent and is not sent again. Whoever looks after central records can add "
            "what they lack (a worker, a case); then make the change again."
        )
        self.not_applied_title.setAccessibleName(
            f"{len(rows)} changes central records did not apply"
        )
        self.not_applied_title.setVisible(bool(rows))
        view.setVisible(bool(rows))

    def showEvent(self, event: QtGui.QShowEvent) -> None:
        super().showEvent(event)
        self.reload()  # read when shown, and only while shown

    def selected_id(self) -> int | None:
        index = self.view.currentIndex()
        return self.model.row_at(index.row()).id if index.isValid() else None

    @QtCore.Slot()
    def _show_selected(self) -> None:
        has_rows = self.model.rowCount() > 0
        self.view.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        index = self.view.currentIndex()
        if has_rows and not index.isValid():
            self.view.setCurrentIndex(self.model.index(0, 0))
            index = self.view.currentIndex()
        if index.isValid():
            self.view.selectRow(index.row())
        selected = index.isValid()
        self.detail.setText(describe(self.model.row_at(index.row())) if selected else "")
        self.detail.setVisible(selected)
        self.keep_button.setEnabled(selected)
        self.apply_button.setEnabled(selected)

    # --- Settling ------------------------------------------------------------------------------

    @QtCore.Slot()
    def keep_central(self) -> None:
        """Take central records' allocation of the selected case here."""
        self._settle(
            sync_service.keep_central,
            "Kept central records' allocation of {case}; the choice goes to central records "
            f"at the next sync ({SYNC_NOW_SHORTCUT} sends it now).",
        )

    @QtCore.Slot()
    def apply_mine_again(self) -> None:
        """Send this desktop's allocation of the selected case to central records again."""
        self._settle(
            sync_service.apply_mine_again,
            "Applied your allocation of {case} again; it goes to central records at the next "
            f"sync ({SYNC_NOW_SHORTCUT} sends it now).",
        )

    def _settle(self, settle: _Settle, done: str) -> None:
        conflict_id = self.selected_id()
        if conflict_id is None:
            return
        row = self.model.row_at(self.view.currentIndex().row())
        try:
            settle(
                self.context.db,
                conflict_id,
                actor=current_user(),
                announcer=self.context.changes,
            )
        except CaseloadError as exc:
            Interaction.show_error(
                self, f"Cannot settle the conflict over {row.case_ref}", str(exc)
            )
            self.reload()
            return
        self.settled_note.setText(done.format(case=row.case_ref))
        self.reload()
        self.view.setFocus()
        self.settled.emit(conflict_id)

    def keyPressEvent(self, event: QtGui.QKeyEvent) -> None:
        # Enter in the table must not close the panel (QDialog's default button behaviour).
        if event.key() in (QtCore.Qt.Key.Key_Return, QtCore.Qt.Key.Key_Enter):
            event.accept()
            return
        super().keyPressEvent(event)
