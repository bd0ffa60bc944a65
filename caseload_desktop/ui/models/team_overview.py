"""TeamOverviewModel: one row per team with its open cases in each queue."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from PySide6 import QtCore, QtGui

from caseload_desktop.store.queries import TeamOverviewRow

AnyIndex = QtCore.QModelIndex | QtCore.QPersistentModelIndex
_ROOT = QtCore.QModelIndex()


class Role(enum.IntEnum):
    """Custom data roles of this model."""

    TEAM_ID = QtCore.Qt.ItemDataRole.UserRole
    SORT = QtCore.Qt.ItemDataRole.UserRole + 1


class TeamOverviewModel(QtCore.QAbstractTableModel):
    """Teams with open, allocated, orphaned, unallocated and held-by-manager counts.

    Read-only; ``set_rows`` replaces the contents (a handful of teams: a reset is cheap).
    """

    COL_TEAM = 0
    COL_OPEN = 1
    COL_ALLOCATED = 2
    COL_ORPHANED = 3
    COL_UNALLOCATED = 4
    COL_HELD = 5
    COL_WORKERS = 6

    HEADERS = (
        "Team",
        "Open cases",
        "Allocated",
        "Orphaned",
        "Unallocated",
        "Held by manager",
        "Active workers",
    )
    _FIELDS = (
        "team",
        "open_cases",
        "allocated",
        "orphaned",
        "unallocated",
        "held_by_manager",
        "workers",
    )
    _PROBLEM_COLUMNS = frozenset((COL_ORPHANED, COL_UNALLOCATED, COL_HELD))

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[TeamOverviewRow] = []
        self._problem_brush = QtGui.QBrush(QtGui.QColor("#b3261e"))

    def set_rows(self, rows: Sequence[TeamOverviewRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> TeamOverviewRow:
        return self._rows[row]

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self,
        section: int,
        orientation: QtCore.Qt.Orientation,
        role: int = QtCore.Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            role == QtCore.Qt.ItemDataRole.DisplayRole
            and orientation == QtCore.Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def data(
        self,
        index: AnyIndex,
        role: int = QtCore.Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role in (QtCore.Qt.ItemDataRole.DisplayRole, Role.SORT):
            value = getattr(row, self._FIELDS[column])
            return value if role == Role.SORT or column == self.COL_TEAM else str(value)
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole and column != self.COL_TEAM:
            return int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)
        if role == QtCore.Qt.ItemDataRole.ForegroundRole and column in self._PROBLEM_COLUMNS:
            return self._problem_brush if getattr(row, self._FIELDS[column]) else None
        if role == Role.TEAM_ID:
            return row.team_id
        return None
