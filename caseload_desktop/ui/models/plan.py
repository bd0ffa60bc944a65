"""PlanModel: a plan's cases with the worker proposed for each, which the manager can change."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from PySide6 import QtCore, QtGui

from caseload_desktop.display import points
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.services.allocation_planning import Plan

AnyIndex = QtCore.QModelIndex | QtCore.QPersistentModelIndex
_ROOT = QtCore.QModelIndex()
STAY = "Stays in the queue"
WORKER_ID_ROLE = QtCore.Qt.ItemDataRole.UserRole


class PlanModel(QtCore.QAbstractTableModel):
    """The rows of a plan; the "To" column is editable (a worker id, or None to leave it).

    Signals:
        choices_changed: the manager changed a proposed worker.
    """

    COL_CASE, COL_CHILD, COL_CATEGORY, COL_FROM, COL_TO = range(5)
    HEADERS = ("Case", "Child", "Category", "Now with", "To")
    choices_changed = QtCore.Signal()

    def __init__(
        self, plan: Plan, rules: PracticeRules, parent: QtCore.QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.plan = plan
        self.rules = rules
        self.choices: dict[int, int | None] = {c.case_id: c.proposed_worker_id for c in plan.cases}
        self._stay_brush = QtGui.QBrush(QtGui.QColor("#8a4b00"))

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.plan.cases)

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self,
        section: int,
        orientation: QtCore.Qt.Orientation,
        role: int = QtCore.Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            orientation == QtCore.Qt.Orientation.Horizontal
            and role == QtCore.Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def flags(self, index: AnyIndex) -> QtCore.Qt.ItemFlag:
        if not index.isValid():
            return QtCore.Qt.ItemFlag.NoItemFlags
        flags = QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.COL_TO:
            flags |= QtCore.Qt.ItemFlag.ItemIsEditable
        return flags

    def data(self, index: AnyIndex, role: int = QtCore.Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        case = self.plan.cases[index.row()]
        column = index.column()
        choice = self.choices[case.case_id]
        if role in (QtCore.Qt.ItemDataRole.DisplayRole, QtCore.Qt.ItemDataRole.EditRole):
            if column == self.COL_CASE:
                return case.case_ref
            if column == self.COL_CHILD:
                return case.child
            if column == self.COL_CATEGORY:
                return case.category.short + (" (court)" if case.court else "")
            if column == self.COL_FROM:
                return case.current_worker or "(queue)"
            if choice is None:
                # A leaver cannot keep cases: theirs go back to the queue instead.
                return STAY if self.plan.leaver is None else "Back to the queue"
            return self.plan.worker_name(choice)
        if role == WORKER_ID_ROLE and column == self.COL_TO:
            return choice
        if role == QtCore.Qt.ItemDataRole.ForegroundRole and column == self.COL_TO:
            return self._stay_brush if choice is None else None
        return None

    def setData(
        self, index: AnyIndex, value: Any, role: int = QtCore.Qt.ItemDataRole.EditRole
    ) -> bool:
        if not index.isValid() or index.column() != self.COL_TO or role != WORKER_ID_ROLE:
            return False
        worker_id = None if value is None else int(value)
        if worker_id is not None and worker_id not in {w.worker_id for w in self.plan.workers}:
            return False
        self.choices[self.plan.cases[index.row()].case_id] = worker_id
        self.dataChanged.emit(index, index)
        self.choices_changed.emit()
        return True

    def loads_after(self) -> dict[int, Decimal]:
        return self.plan.loads_after(self.choices, self.rules)

    def over_capacity(self) -> list[str]:
        """Workers the current choices would put over capacity (who were not already)."""
        loads = self.loads_after()
        return [
            f"{w.name} ({points(loads[w.worker_id])} of {points(w.capacity)})"
            for w in self.plan.workers
            if loads[w.worker_id] > w.capacity and loads[w.worker_id] != w.weighted
        ]

    def staying(self) -> int:
        return sum(1 for choice in self.choices.values() if choice is None)

    def choices_copy(self) -> Mapping[int, int | None]:
        return dict(self.choices)
