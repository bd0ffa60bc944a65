"""WorkersModel: one row per worker of the team with their caseload against capacity."""

from __future__ import annotations

import enum
import html
from collections.abc import Collection, Mapping, Sequence
from decimal import Decimal
from typing import Any

from PySide6 import QtCore, QtGui

from caseload_desktop.display import fte, points, uk_date
from caseload_desktop.domain.categories import Category, Employment
from caseload_desktop.domain.practice import DEFAULT_RULES, PracticeRules
from caseload_desktop.store.queries import OverdueAction, WorkerCaseloadRow
from caseload_desktop.ui.models.cases import MIME_TYPE, decode_case_versions

AnyIndex = QtCore.QModelIndex | QtCore.QPersistentModelIndex
_ROOT = QtCore.QModelIndex()
_DISPLAY = QtCore.Qt.ItemDataRole.DisplayRole
_RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)

LEAVER_GREY = QtGui.QColor("#7a7a7a")
BADGE_COLOUR = QtGui.QColor("#8a5a00")
TOOLTIP_ACTIONS = 3  # overdue supervision actions named in a worker's tooltip


class Role(enum.IntEnum):
    """Custom data roles of this model."""

    WORKER_ID = QtCore.Qt.ItemDataRole.UserRole
    SORT = QtCore.Qt.ItemDataRole.UserRole + 1
    LOAD = QtCore.Qt.ItemDataRole.UserRole + 2  # (weighted, capacity, Rag) for the bar
    IS_LEAVER = QtCore.Qt.ItemDataRole.UserRole + 3


class WorkersModel(QtCore.QAbstractTableModel):
    """The team's workers: active ones, and leavers while they still hold cases (greyed).

    Cases dragged from the board drop onto a worker who can hold cases (never a leaver).

    Signals:
        cases_dropped: (case versions, worker id) when cases are dropped onto a worker.
    """

    cases_dropped = QtCore.Signal(object, object)

    COL_WORKER = 0
    COL_ROLE = 1
    COL_EMPLOYMENT = 2
    COL_FTE = 3
    COL_CASES = 4
    COL_LOAD = 5
    HEADERS = ("Worker", "Role", "Employment", "FTE", "Cases", "Weighted load")

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[WorkerCaseloadRow] = []
        self._rows: list[WorkerCaseloadRow] = []  # after the filter, in order
        self._filter_text = ""
        self._filter_also: frozenset[int] = frozenset()
        self.rules: PracticeRules = DEFAULT_RULES
        self._grey = QtGui.QBrush(LEAVER_GREY)
        self._badge = QtGui.QBrush(BADGE_COLOUR)
        self._bold = QtGui.QFont()
        self._bold.setBold(True)
        self._italic = QtGui.QFont()
        self._italic.setItalic(True)
        self._sort: tuple[int, QtCore.Qt.SortOrder] | None = None
        self._overdue_actions: dict[int, Sequence[OverdueAction]] = {}

    def set_rows(
        self,
        rows: Sequence[WorkerCaseloadRow],
        rules: PracticeRules,
        overdue_actions: Mapping[int, Sequence[OverdueAction]] | None = None,
    ) -> None:
        self.beginResetModel()
        self.rules = rules
        self._overdue_actions = dict(overdue_actions or {})
        self._all = list(rows)
        self._rows = self._filtered()
        self._order()
        self.endResetModel()

    def set_filter(self, text: str, also: Collection[int] = ()) -> None:
        """Keep workers whose name contains ``text``, and those in ``also`` (workers holding a
        case that matches the search)."""
        text = text.strip().casefold()
        also = frozenset(also)
        if (text, also) == (self._filter_text, self._filter_also):
            return
        self.beginResetModel()
        self._filter_text, self._filter_also = text, also
        self._rows = self._filtered()
        self._order()
        self.endResetModel()

    def _filtered(self) -> list[WorkerCaseloadRow]:
        if not self._filter_text:
            return list(self._all)
        return [
            row
            for row in self._all
            if self._filter_text in row.worker.casefold() or row.worker_id in self._filter_also
        ]

    def row_at(self, row: int) -> WorkerCaseloadRow:
        return self._rows[row]

    def row_of_worker(self, worker_id: int) -> int | None:
        for position, row in enumerate(self._rows):
            if row.worker_id == worker_id:
                return position
        return None

    def all_rows(self) -> list[WorkerCaseloadRow]:
        """Every worker of the board, whatever the filter."""
        return list(self._all)

    # --- Qt model interface ----------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: QtCore.Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        horizontal = orientation == QtCore.Qt.Orientation.Horizontal
        if horizontal and role == _DISPLAY and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def flags(self, index: AnyIndex) -> QtCore.Qt.ItemFlag:
        if not index.isValid():
            return QtCore.Qt.ItemFlag.NoItemFlags
        flags = QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsSelectable
        if self._rows[index.row()].status == "active":
            flags |= QtCore.Qt.ItemFlag.ItemIsDropEnabled
        return flags

    # --- Dropping cases onto a worker ------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def supportedDropActions(self) -> QtCore.Qt.DropAction:
        return QtCore.Qt.DropAction.MoveAction

    def _drop_target(self, row: int, parent: AnyIndex) -> WorkerCaseloadRow | None:
        # Onto a worker (Qt gives the item as parent), never between rows.
        if not parent.isValid() or row != -1:
            return None
        target = self._rows[parent.row()]
        return target if target.status == "active" else None

    def canDropMimeData(
        self,
        data: QtCore.QMimeData,
        action: QtCore.Qt.DropAction,
        row: int,
        column: int,
        parent: AnyIndex,
    ) -> bool:
        return bool(decode_case_versions(data)) and self._drop_target(row, parent) is not None

    def dropMimeData(
        self,
        data: QtCore.QMimeData,
        action: QtCore.Qt.DropAction,
        row: int,
        column: int,
        parent: AnyIndex,
    ) -> bool:
        target = self._drop_target(row, parent)
        versions = decode_case_versions(data)
        if target is None or not versions:
            return False
        # Return at once; the confirm dialog opens after the drag has finished.
        worker_id = target.worker_id
        QtCore.QTimer.singleShot(0, lambda: self.cases_dropped.emit(versions, worker_id))
        return True

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        left = row.status == "left"
        if role == _DISPLAY:
            return self._display(row, column)
        if role == QtCore.Qt.ItemDataRole.ForegroundRole:
            if left or row.status == "inactive":
                return self._grey
            if column == self.COL_EMPLOYMENT and row.employment is not Employment.PERMANENT:
                return self._badge
            return None
        if role == QtCore.Qt.ItemDataRole.FontRole:
            if column == self.COL_EMPLOYMENT and row.employment is not Employment.PERMANENT:
                return self._bold
            if left and column == self.COL_WORKER:
                return self._italic
            return None
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole:
            return _RIGHT if column in (self.COL_FTE, self.COL_CASES) else None
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row)
        if role == Role.WORKER_ID:
            return row.worker_id
        if role == Role.LOAD:
            return (row.weighted, row.capacity, row.rag)
        if role == Role.IS_LEAVER:
            return left
        if role == Role.SORT:
            return self._sort_key(row, column)
        if role == QtCore.Qt.ItemDataRole.AccessibleTextRole and column == self.COL_LOAD:
            return self._load_text(row)
        return None

    def _display(self, row: WorkerCaseloadRow, column: int) -> str:
        if column == self.COL_WORKER:
            if row.status == "left":
                return f"{row.worker} (left {uk_date(row.end_date)})"
            if row.status == "inactive":
                return f"{row.worker} (inactive)"
            return row.worker
        if column == self.COL_ROLE:
            return row.role.label
        if column == self.COL_EMPLOYMENT:
            return (
                row.employment.label.upper()
                if row.employment is not Employment.PERMANENT
                else "Permanent"
            )
        if column == self.COL_FTE:
            return fte(row.fte)
        if column == self.COL_CASES:
            return str(row.cases)
        return self._load_text(row)

    @staticmethod
    def _load_text(row: WorkerCaseloadRow) -> str:
        if row.status != "active":
            return f"{points(row.weighted)} points, orphaned ({row.status})"
        if row.capacity <= 0:
            return f"{points(row.weighted)} points (no caseload target)"
        percent = row.weighted * 100 / row.capacity
        return f"{points(row.weighted)} of {points(row.capacity)} ({percent:.0f}%)"

    def _sort_key(self, row: WorkerCaseloadRow, column: int) -> Any:
        if column == self.COL_WORKER:
            return row.worker.casefold()
        if column == self.COL_ROLE:
            return row.role.label
        if column == self.COL_EMPLOYMENT:
            return row.employment.value
        if column == self.COL_FTE:
            return row.fte
        if column == self.COL_CASES:
            return row.cases
        return row.weighted / row.capacity if row.capacity > 0 else Decimal(10**6) + row.weighted

    def _tooltip(self, row: WorkerCaseloadRow) -> str:
        lines = [f"<b>{row.worker}</b> ({row.staff_id}), {row.role.label}, {row.employment.label}"]
        if row.status == "left":
            lines.append(f"Left on {uk_date(row.end_date)}: these cases are orphaned.")
        for category in Category:
            count = row.by_category.get(category, 0)
            if count:
                weight = self.rules.weights[category]
                lines.append(
                    f"{category.label}: {count} × {points(weight)} = {points(weight * count)}"
                )
        lines.append(f"Weighted load {self._load_text(row)}; RAG {row.rag.value.upper()}")
        overdue = self._overdue_actions.get(row.worker_id, ())
        if overdue:
            lines.append(f"<b>Supervision actions overdue: {len(overdue)}</b>")
            for action in overdue[:TOOLTIP_ACTIONS]:
                lines.append(
                    f"• {html.escape(action.action)} (due {uk_date(action.due)}, "
                    f"{action.record_id})"
                )
            if len(overdue) > TOOLTIP_ACTIONS:
                lines.append(f"… and {len(overdue) - TOOLTIP_ACTIONS} more")
        return "<br>".join(lines)

    def overdue_actions(self, worker_id: int) -> Sequence[OverdueAction]:
        return self._overdue_actions.get(worker_id, ())

    def sort(
        self, column: int, order: QtCore.Qt.SortOrder = QtCore.Qt.SortOrder.AscendingOrder
    ) -> None:
        self._sort = (column, order) if 0 <= column < len(self.HEADERS) else None
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        ids = [self._rows[index.row()].worker_id for index in persistent]
        self._order()
        position = {row.worker_id: i for i, row in enumerate(self._rows)}
        self.changePersistentIndexList(
            persistent,
            [
                self.index(position[w], index.column())
                for w, index in zip(ids, persistent, strict=True)
            ],
        )
        self.layoutChanged.emit()

    def _order(self) -> None:
        if self._sort is None:
            # Active workers by name, then leavers (greyed) at the bottom.
            self._rows.sort(key=lambda r: (r.status == "left", r.worker.casefold()))
            return
        column, order = self._sort
        self._rows.sort(
            key=lambda r: self._sort_key(r, column),
            reverse=order == QtCore.Qt.SortOrder.DescendingOrder,
        )
