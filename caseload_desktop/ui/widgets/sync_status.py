"""The status bar's sync corner: online or not, changes waiting, the last sync, conflicts.

It shows what ``SyncRunner`` says of the sync itself, and the local counts of
``services.sync.status`` (cheap), read again after every sync and after every change announced
(coalesced: a burst of changes reads them once). A button runs Sync now; the conflicts count is
a button that opens the Conflicts panel, shown only while there are conflicts to settle.
"""

from __future__ import annotations

import datetime as dt

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop.context import AppContext
from caseload_desktop.display import UK_TIME, uk_date, uk_datetime
from caseload_desktop.errors import CaseloadError
from caseload_desktop.services import sync as sync_service
from caseload_desktop.services.changes import Change
from caseload_desktop.ui.sync_actions import SYNC_NOW_SHORTCUT
from caseload_desktop.ui.sync_runner import SyncOutcome, SyncRunner, SyncState

SPACING = 10
DOT_SIZE = 10
COUNTS_DELAY_MS = 150  # a burst of announced changes reads the counts once
STATE_COLOURS = {
    SyncState.NOT_SET_UP: QtGui.QColor("#7a7a7a"),
    SyncState.READY: QtGui.QColor("#7a7a7a"),
    SyncState.SYNCING: QtGui.QColor("#1f5fa8"),
    SyncState.ONLINE: QtGui.QColor("#2e7d32"),
    SyncState.OFFLINE: QtGui.QColor("#b3261e"),
    SyncState.FAILED: QtGui.QColor("#8a4b00"),
}
CONFLICT_STYLE = "QToolButton { color: #b3261e; font-weight: bold; }"


def _dot(colour: QtGui.QColor, device_ratio: float) -> QtGui.QPixmap:
    """A filled circle, the state's colour at a glance (the word beside it says the same)."""
    pixmap = QtGui.QPixmap(round(DOT_SIZE * device_ratio), round(DOT_SIZE * device_ratio))
    pixmap.setDevicePixelRatio(device_ratio)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    painter.drawEllipse(QtCore.QRectF(0.5, 0.5, DOT_SIZE - 1, DOT_SIZE - 1))
    painter.end()
    return pixmap


def _when(value: dt.datetime, today: dt.date) -> str:
    """A sync time, short: "14:32" today, "25 Nov 14:32" before, in UK time."""
    local = value.astimezone(UK_TIME)
    if local.date() == today:
        return f"{local:%H:%M}"
    if local.year == today.year:
        return f"{local.day} {local:%b %H:%M}"
    return f"{uk_date(local.date())} {local:%H:%M}"


class SyncStatusBar(QtWidgets.QWidget):
    """The sync state, the changes waiting, the last sync and the conflicts, side by side.

    Signals:
        conflicts_requested: the conflicts count was clicked (open the Conflicts panel).

    Attributes:
        state_label, waiting_label, last_sync_label: what they say.
        conflicts_button: "2 conflicts", hidden while there are none.
        sync_now_button: runs the Sync now action.
        counts: the last local counts read (``services.sync.SyncStatus``), or None.
    """

    conflicts_requested = QtCore.Signal()
    _data_changed = QtCore.Signal(object)  # a Change, relayed to the GUI thread

    def __init__(
        self,
        runner: SyncRunner,
        sync_now: QtGui.QAction,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sync_status")
        self.runner = runner
        self.context: AppContext | None = None
        self.counts: sync_service.SyncStatus | None = None
        self._unsubscribe = [lambda: None]

        self.state_dot = QtWidgets.QLabel()
        self.state_dot.setObjectName("sync_state_dot")
        self.state_label = QtWidgets.QLabel()
        self.state_label.setObjectName("sync_state")
        self.state_label.setAccessibleName("Sync status")
        self.waiting_label = QtWidgets.QLabel()
        self.waiting_label.setObjectName("sync_waiting")
        self.waiting_label.setAccessibleName("Changes waiting to be sent")
        self.last_sync_label = QtWidgets.QLabel()
        self.last_sync_label.setObjectName("last_sync")
        self.last_sync_label.setAccessibleName("Last sync")
        self.conflicts_button = QtWidgets.QToolButton()
        self.conflicts_button.setObjectName("sync_conflicts")
        self.conflicts_button.setAccessibleName("Sync conflicts")
        self.conflicts_button.setAutoRaise(True)
        self.conflicts_button.setStyleSheet(CONFLICT_STYLE)
        self.conflicts_button.setToolTip("Open the conflicts to settle them")
        self.conflicts_button.setCursor(QtCore.Qt.CursorShape.PointingHandCursor)
        self.conflicts_button.clicked.connect(self.conflicts_requested)
        self.conflicts_button.hide()
        self.sync_now_button = QtWidgets.QToolButton()
        self.sync_now_button.setObjectName("sync_now_button")
        self.sync_now_button.setDefaultAction(sync_now)
        self.sync_now_button.setAccessibleName("Sync now")
        self.sync_now_button.setAutoRaise(True)
        self.sync_now_button.setToolButtonStyle(QtCore.Qt.ToolButtonStyle.ToolButtonIconOnly)

        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(SPACING)
        layout.addStretch(1)  # room to spare goes to the left: the items stay side by side
        state = QtWidgets.QHBoxLayout()
        state.setSpacing(4)
        state.addWidget(self.state_dot)
        state.addWidget(self.state_label)
        layout.addLayout(state)
        for widget in (
            self.waiting_label,
            self.last_sync_label,
            self.conflicts_button,
            self.sync_now_button,
        ):
            layout.addWidget(widget)

        self._counts_timer = QtCore.QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(COUNTS_DELAY_MS)
        self._counts_timer.timeout.connect(self.refresh_counts)
        self._data_changed.connect(self._on_data_changed)
        # The subscription's stop function in a list the closure can read without holding the
        # widget (it runs while the widget is destroyed), as the board does.
        unsubscribe = self._unsubscribe
        self.destroyed.connect(lambda: unsubscribe[0]())
        runner.state_changed.connect(self._show_state)
        runner.progressed.connect(self._show_progress)
        runner.finished.connect(self._after_sync)
        self._show_state()

    def set_context(self, context: AppContext | None) -> None:
        """Follow ``context``'s database (None: nothing open, nothing shown)."""
        self._unsubscribe[0]()
        self._unsubscribe[0] = lambda: None
        self._counts_timer.stop()
        self.context = context
        self.counts = None
        if context is not None:
            self._unsubscribe[0] = context.changes.subscribe(self._data_changed.emit)
        self.setVisible(context is not None)
        self.refresh_counts()

    # --- What it shows -----------------------------------------------------------------------

    @QtCore.Slot(object)
    def _on_data_changed(self, _change: Change) -> None:
        self._counts_timer.start()

    @QtCore.Slot(object)
    def _after_sync(self, _outcome: SyncOutcome) -> None:
        self.refresh_counts()

    @QtCore.Slot()
    def refresh_counts(self) -> None:
        """Read the waiting, conflicts and last sync counts again (on the GUI thread: three
        counts on indexed columns)."""
        self._counts_timer.stop()
        if self.context is not None:
            try:
                self.counts = sync_service.status(self.context.db)
            except CaseloadError:
                self.counts = None  # the database is busy: the next change or sync reads again
        self._show_state()

    def _show_counts(self) -> None:
        counts = self.counts
        target = self.runner.target
        # Waiting counts changes not yet committed by central records: with a folder only (or
        # no sync), nothing ever is, so the count would only grow.
        self.waiting_label.setVisible(
            counts is not None and target.is_set_up and not target.uses_folder
        )
        if counts is not None:
            if counts.waiting:
                self.waiting_label.setText(f"{counts.waiting} waiting")
                self.waiting_label.setToolTip(
                    f"{counts.waiting} change{'' if counts.waiting == 1 else 's'} made here "
                    "wait to be sent to central records"
                )
            else:
                self.waiting_label.setText("Nothing waiting")
                self.waiting_label.setToolTip("Every change made here has reached central records")
            self.waiting_label.setAccessibleDescription(self.waiting_label.toolTip())
        conflicts = counts.conflicts if counts is not None else 0
        self.conflicts_button.setVisible(conflicts > 0)
        self.conflicts_button.setText(f"{conflicts} conflict{'' if conflicts == 1 else 's'}")
        self.conflicts_button.setAccessibleDescription(
            f"{self.conflicts_button.text()} to settle: open them"
        )
        last = self.last_sync_at()
        self.last_sync_label.setVisible(target.is_set_up)
        if last is None:
            self.last_sync_label.setText("Never synced")
            self.last_sync_label.setToolTip("This database has not synced with central records")
        else:
            today = dt.datetime.now(UK_TIME).date()
            self.last_sync_label.setText(f"Synced {_when(last, today)}")
            self.last_sync_label.setToolTip(f"Last synced {uk_datetime(last)} (UK time)")
        self.last_sync_label.setAccessibleDescription(self.last_sync_label.toolTip())

    def last_sync_at(self) -> dt.datetime | None:
        """The last successful sync: central's record of it in the database, or this session's
        last delivery to the folder."""
        recorded = None if self.counts is None else self.counts.last_sync_at
        times = [t for t in (recorded, self.runner.last_success_at) if t is not None]
        return max(times, default=None)

    @QtCore.Slot()
    def _show_state(self) -> None:
        runner = self.runner
        state = runner.state
        self.state_label.setText(state.value)
        self.state_dot.setPixmap(_dot(STATE_COLOURS[state], self.devicePixelRatioF()))
        self.state_label.setToolTip(self._state_tip(state))
        self.state_label.setAccessibleDescription(self.state_label.toolTip())
        self.state_dot.setToolTip(self.state_label.toolTip())
        self._show_counts()

    def _state_tip(self, state: SyncState) -> str:
        runner = self.runner
        where = runner.target.describe()
        if state is SyncState.NOT_SET_UP and runner.target.off_because:
            return runner.target.off_because
        if state is SyncState.NOT_SET_UP:
            return (
                "Sync with central records is not set up: give the central server or a shared "
                "folder in Sync > Sync settings."
            )
        if state is SyncState.SYNCING:
            return f"Syncing with {where}…"
        if state is SyncState.READY:
            return f"Syncs with {where} in a moment."
        if state is SyncState.ONLINE:
            tip = f"Syncing with {where}."
        else:
            # The error names the address or the folder itself.
            error = runner.last_outcome.error if runner.last_outcome is not None else ""
            kind = "the folder" if runner.target.uses_folder else "central records"
            lead = (
                f"The last sync could not reach {kind}"
                if state is SyncState.OFFLINE
                else "The last sync failed"
            )
            tip = f"{lead}:\n{error}\nChanges made here are kept and sent once a sync succeeds."
        if runner.next_attempt_at is not None:
            at = _when(runner.next_attempt_at, dt.datetime.now(UK_TIME).date())
            tip += f"\nNext sync at {at}; Sync now ({SYNC_NOW_SHORTCUT}) syncs at once."
        return tip

    @QtCore.Slot(int, int)
    def _show_progress(self, done: int, total: int) -> None:
        if self.runner.state is SyncState.SYNCING and total:
            self.state_label.setText(f"Syncing… {done} of {total}")
