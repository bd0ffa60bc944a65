"""The keyboard path of a drag: pick the worker (or the queue) to move the selected cases to.

A search box over the team's active workers, each with their load against capacity; Enter
picks the highlighted one. ``WorkerPickerDialog.ask`` is the seam tests replace.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop.display import points
from caseload_desktop.store.queries import WorkerCaseloadRow

QUEUE_ID = -1  # the list's stand-in for "no worker": the unallocated queue


class WorkerPickerDialog(QtWidgets.QDialog):
    """Reassign to…: a filterable list of workers who can hold cases."""

    def __init__(
        self, workers: Sequence[WorkerCaseloadRow], parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Reassign to…")
        self.setAccessibleName("Reassign to")
        self.resize(460, 420)
        self.search = QtWidgets.QLineEdit()
        self.search.setAccessibleName("Search workers")
        self.search.setPlaceholderText("Type part of a name")
        # A handful of rows that do not change while the dialog is open.
        self.items = QtGui.QStandardItemModel(self)
        queue = QtGui.QStandardItem("Unallocated queue (no worker)")
        queue.setData(QUEUE_ID, QtCore.Qt.ItemDataRole.UserRole)
        self.items.appendRow(queue)
        for worker in workers:
            if worker.status != "active":
                continue
            load = (
                f"{points(worker.weighted)} of {points(worker.capacity)}"
                if worker.capacity > 0
                else f"{points(worker.weighted)} points"
            )
            item = QtGui.QStandardItem(f"{worker.worker} — {worker.role.label}, {load}")
            item.setData(worker.worker_id, QtCore.Qt.ItemDataRole.UserRole)
            item.setData(worker.worker, QtCore.Qt.ItemDataRole.UserRole + 1)
            self.items.appendRow(item)
        self.filter = QtCore.QSortFilterProxyModel(self)  # a few dozen rows: a proxy is fine
        self.filter.setSourceModel(self.items)
        self.filter.setFilterCaseSensitivity(QtCore.Qt.CaseSensitivity.CaseInsensitive)
        self.list = QtWidgets.QListView()
        self.list.setAccessibleName("Workers")
        self.list.setModel(self.filter)
        self.list.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setCurrentIndex(self.filter.index(0, 0))
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self.accept)
        self.list.activated.connect(lambda _index: self.accept())
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        layout.addWidget(buttons)

    @QtCore.Slot(str)
    def _filter(self, text: str) -> None:
        self.filter.setFilterFixedString(text)
        if self.filter.rowCount():
            self.list.setCurrentIndex(self.filter.index(0, 0))

    def chosen(self) -> tuple[int | None, str] | None:
        index = self.list.currentIndex()
        if not index.isValid():
            return None
        worker_id = int(index.data(QtCore.Qt.ItemDataRole.UserRole))
        if worker_id == QUEUE_ID:
            return None, "the unallocated queue"
        return worker_id, str(index.data(QtCore.Qt.ItemDataRole.UserRole + 1))

    @classmethod
    def ask(
        cls, parent: QtWidgets.QWidget | None, workers: Sequence[WorkerCaseloadRow]
    ) -> tuple[int | None, str] | None:
        """(worker id or None for the queue, name), or None when cancelled."""
        dialog = cls(workers, parent)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return None
        return dialog.chosen()
