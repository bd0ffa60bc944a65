"""The worker-leaving wizard and "Allocate the queue": review a plan, adjust it, apply it.

``LeaverDialog.ask`` picks the worker and the leave date; ``PlanDialog.ask`` shows the
proposal (each case with a picker for its worker), the loads afterwards and the shortfall in
FTE, and returns the manager's choices. Both are seams tests replace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from PySide6 import QtCore, QtWidgets

from caseload_desktop.display import points
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.services.allocation_planning import Plan
from caseload_desktop.store.queries import WorkerCaseloadRow
from caseload_desktop.ui.models.plan import STAY, WORKER_ID_ROLE, PlanModel

ALERT_STYLE = "color: #b3261e;"


class WorkerChoiceDelegate(QtWidgets.QStyledItemDelegate):
    """The "To" column's editor: a list of the plan's workers and "Stays in the queue"."""

    def __init__(self, plan: Plan, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.plan = plan

    def createEditor(
        self,
        parent: QtWidgets.QWidget,
        option: QtWidgets.QStyleOptionViewItem,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
    ) -> QtWidgets.QWidget:
        editor = QtWidgets.QComboBox(parent)
        editor.setAccessibleName("Worker for this case")
        editor.addItem(STAY, None)
        for worker in self.plan.workers:
            editor.addItem(
                f"{worker.name} ({points(worker.weighted)} of {points(worker.capacity)} now)",
                worker.worker_id,
            )
        return editor

    def setEditorData(
        self,
        editor: QtWidgets.QWidget,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
    ) -> None:
        assert isinstance(editor, QtWidgets.QComboBox)
        editor.setCurrentIndex(max(0, editor.findData(index.data(WORKER_ID_ROLE))))

    def setModelData(
        self,
        editor: QtWidgets.QWidget,
        model: QtCore.QAbstractItemModel,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
    ) -> None:
        assert isinstance(editor, QtWidgets.QComboBox)
        model.setData(index, editor.currentData(), WORKER_ID_ROLE)


class PlanDialog(QtWidgets.QDialog):
    """Review and adjust a plan; Apply returns the choices."""

    def __init__(
        self, plan: Plan, rules: PracticeRules, parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.plan = plan
        self.setWindowTitle(plan.title)
        self.setAccessibleName(plan.title)
        self.resize(860, 620)
        self.model = PlanModel(plan, rules, self)
        self.view = QtWidgets.QTableView()
        self.view.setAccessibleName("Proposed moves")
        self.view.setModel(self.model)
        self.view.setItemDelegateForColumn(PlanModel.COL_TO, WorkerChoiceDelegate(plan, self))
        self.view.setEditTriggers(
            QtWidgets.QAbstractItemView.EditTrigger.DoubleClicked
            | QtWidgets.QAbstractItemView.EditTrigger.EditKeyPressed
            | QtWidgets.QAbstractItemView.EditTrigger.SelectedClicked
        )
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        for column, width in ((0, 90), (1, 170), (2, 110), (3, 170)):
            self.view.setColumnWidth(column, width)
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.loads = QtWidgets.QLabel()
        self.loads.setWordWrap(True)
        self.loads.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.over_capacity = QtWidgets.QCheckBox("Apply anyway, over capacity")
        self.over_capacity.setAccessibleName("Apply anyway, over capacity")
        self.over_capacity.hide()
        hint = QtWidgets.QLabel("Press F2 or double-click a worker to change where a case goes.")
        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Apply
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        self.apply_button = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Apply)
        self.apply_button.clicked.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addWidget(hint)
        layout.addWidget(self.loads)
        layout.addWidget(self.over_capacity)
        layout.addWidget(self.buttons)
        self.model.choices_changed.connect(self._update)
        self.over_capacity.toggled.connect(self._update)
        self._update()

    @QtCore.Slot()
    def _update(self) -> None:
        total = len(self.plan.cases)
        staying = self.model.staying()
        text = f"{total - staying} of {total} cases have a worker."
        if self.plan.shortfall_points:
            left = sum(1 for c in self.plan.cases if c.proposed_worker_id is None)
            text += (
                f" The proposal leaves {left} in the queue: "
                f"{points(self.plan.shortfall_points)} weighted points do not fit, "
                f"about {self.plan.shortfall_fte} FTE more than the team has."
            )
        self.summary.setText(text)
        loads = self.model.loads_after()
        lines = []
        for worker in self.plan.workers:
            after = loads[worker.worker_id]
            line = (
                f"{worker.name}: {points(worker.weighted)} → {points(after)} "
                f"of {points(worker.capacity)}"
            )
            lines.append(
                f'<span style="{ALERT_STYLE}">{line}</span>' if after > worker.capacity else line
            )
        self.loads.setText("<b>Loads afterwards</b><br>" + "<br>".join(lines))
        over = self.model.over_capacity()
        self.over_capacity.setVisible(bool(over))
        if over:
            self.over_capacity.setText(f"Apply anyway, over capacity: {', '.join(over)}")
        changes = total - staying
        self.apply_button.setEnabled(
            (changes > 0 or self.plan.leaver is not None)
            and (not over or self.over_capacity.isChecked())
        )

    @classmethod
    def ask(
        cls, parent: QtWidgets.QWidget | None, plan: Plan, rules: PracticeRules
    ) -> tuple[Mapping[int, int | None], bool] | None:
        """(choices, accept over capacity), or None when cancelled."""
        dialog = cls(plan, rules, parent)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return None
        return dialog.model.choices_copy(), dialog.over_capacity.isChecked()


class LeaverDialog(QtWidgets.QDialog):
    """Worker leaving: who, and their last day."""

    def __init__(
        self,
        workers: Sequence[WorkerCaseloadRow],
        today: dt.date,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Worker leaving")
        self.setAccessibleName("Worker leaving")
        self.worker = QtWidgets.QComboBox()
        self.worker.setAccessibleName("Worker who is leaving")
        for row in workers:
            if row.status == "active":
                self.worker.addItem(f"{row.worker} ({row.cases} cases)", row.worker_id)
        self.leave_date = QtWidgets.QDateEdit()
        self.leave_date.setAccessibleName("Leave date")
        self.leave_date.setDisplayFormat("d MMM yyyy")
        self.leave_date.setCalendarPopup(True)
        self.leave_date.setDate(QtCore.QDate(today.year, today.month, today.day))
        form = QtWidgets.QFormLayout(self)
        form.addRow("&Worker:", self.worker)
        form.addRow("&Last day:", self.leave_date)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok).setText("&Plan")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def chosen(self) -> tuple[int, dt.date] | None:
        if self.worker.currentIndex() < 0:
            return None
        qdate = self.leave_date.date()
        return int(self.worker.currentData()), dt.date(qdate.year(), qdate.month(), qdate.day())

    @classmethod
    def ask(
        cls,
        parent: QtWidgets.QWidget | None,
        workers: Sequence[WorkerCaseloadRow],
        today: dt.date,
    ) -> tuple[int, dt.date] | None:
        dialog = cls(workers, today, parent)
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return None
        return dialog.chosen()
