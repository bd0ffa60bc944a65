"""ConflictsModel: the sync conflicts waiting for the manager, one row each.

A conflict is a case this desktop changed while central records changed it too: the row shows
the case, the child, this desktop's change (to whom, from when, by whom) and what central
records have (who, since when, who made it and when). ``set_rows`` takes the conflicts read
again and maps them onto row removals, insertions and ``dataChanged``, never a reset, so the
selection stays on the conflict it was on.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from typing import Any

from PySide6 import QtCore

from caseload_desktop.display import uk_date, uk_datetime
from caseload_desktop.services.sync import ConflictRow
from caseload_desktop.ui.models.table import ROOT as _ROOT
from caseload_desktop.ui.models.table import AnyIndex, ReadOnlyTable


class Role(enum.IntEnum):
    CONFLICT_ID = QtCore.Qt.ItemDataRole.UserRole
    SORT = QtCore.Qt.ItemDataRole.UserRole + 1


def _date(text: str) -> dt.date | None:
    """An ISO date from a conflict's JSON ("2026-11-26"), None if it is not one."""
    try:
        return dt.date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _instant(text: str) -> dt.datetime | None:
    """An ISO instant from a conflict's JSON, UTC when it has no zone; None if it is not one."""
    try:
        value = dt.datetime.fromisoformat(text) if text else None
    except ValueError:
        return None
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def describe(row: ConflictRow) -> str:
    """The conflict in a sentence or two, for the panel's detail line and tooltips."""
    mine_from = _date(row.my_effective)
    theirs_since = _date(row.central_since)
    theirs_at = _instant(row.central_at)
    mine = f"This desktop moved {row.case_ref}"
    if row.child:
        mine += f" ({row.child})"
    mine += f" to {row.my_worker}"
    if mine_from is not None:
        mine += f" from {uk_date(mine_from)}"
    if row.my_by:
        mine += f", by {row.my_by}"
    theirs = f"Central records have it with {row.central_worker}"
    if theirs_since is not None:
        theirs += f" since {uk_date(theirs_since)}"
    if row.central_by:
        theirs += f", by {row.central_by}"
    if theirs_at is not None:
        theirs += f" on {uk_datetime(theirs_at)}"
    return f"{mine}. {theirs}."


class ConflictsModel(ReadOnlyTable):
    """The open sync conflicts (``services.sync.conflicts``), oldest first."""

    (
        COL_CASE,
        COL_CHILD,
        COL_MINE,
        COL_MINE_FROM,
        COL_MINE_BY,
        COL_CENTRAL,
        COL_CENTRAL_SINCE,
        COL_CENTRAL_BY,
        COL_CENTRAL_AT,
        COL_FOUND,
    ) = range(10)
    HEADERS = (
        "Case",
        "Child",
        "Moved here to",
        "From",
        "Moved by",
        "Central records: with",
        "Since",
        "Set by",
        "Set there on",
        "Found",
    )
    HEADER_TIPS = (
        "The case",
        "The child",
        "Who this desktop allocated the case to",
        "The date this desktop's allocation took effect",
        "Who made this desktop's change",
        "Who central records have the case with",
        "The date central records' allocation took effect",
        "Who made central records' allocation",
        "When central records' allocation was made",
        "When the sync found the conflict",
    )

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ConflictRow] = []

    # --- Reading -----------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: AnyIndex, role: int = QtCore.Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Role.SORT:
            return self._sort_value(row, column)
        if role == Role.CONFLICT_ID:
            return row.id
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return describe(row)
        return None

    def _display(self, row: ConflictRow, column: int) -> str:
        if column == self.COL_CASE:
            return row.case_ref
        if column == self.COL_CHILD:
            return row.child
        if column == self.COL_MINE:
            return row.my_worker
        if column == self.COL_MINE_FROM:
            return uk_date(_date(row.my_effective)) or row.my_effective
        if column == self.COL_MINE_BY:
            return row.my_by
        if column == self.COL_CENTRAL:
            return row.central_worker
        if column == self.COL_CENTRAL_SINCE:
            return uk_date(_date(row.central_since)) or row.central_since
        if column == self.COL_CENTRAL_BY:
            return row.central_by
        if column == self.COL_CENTRAL_AT:
            return uk_datetime(_instant(row.central_at)) or row.central_at
        if column == self.COL_FOUND:
            return uk_datetime(row.detected_at)
        return ""

    def _sort_value(self, row: ConflictRow, column: int) -> Any:
        """Native values (dates, instants) for sorting; text for the rest."""
        if column == self.COL_MINE_FROM:
            return _date(row.my_effective) or dt.date.min
        if column == self.COL_CENTRAL_SINCE:
            return _date(row.central_since) or dt.date.min
        if column == self.COL_CENTRAL_AT:
            return _instant(row.central_at) or dt.datetime.min.replace(tzinfo=dt.UTC)
        if column == self.COL_FOUND:
            return row.detected_at
        return self._display(row, column)

    def row_at(self, row: int) -> ConflictRow:
        return self._rows[row]

    def row_of(self, conflict_id: int) -> int | None:
        for number, row in enumerate(self._rows):
            if row.id == conflict_id:
                return number
        return None

    def rows(self) -> list[ConflictRow]:
        return list(self._rows)

    # --- Changing ----------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[ConflictRow]) -> None:
        """Show ``rows`` (the open conflicts read again, oldest first): the settled ones are
        removed, new ones inserted where they belong, changed ones updated in place."""
        wanted = {row.id for row in rows}
        kept = [row.id for row in self._rows if row.id in wanted]
        kept_ids = set(kept)
        if kept != [row.id for row in rows if row.id in kept_ids]:
            # The conflicts came back in another order (not the service's): read them afresh.
            self.beginResetModel()
            self._rows = list(rows)
            self.endResetModel()
            return
        # Removals, bottom up so the row numbers above stay right.
        for number in range(len(self._rows) - 1, -1, -1):
            if self._rows[number].id not in wanted:
                self.beginRemoveRows(_ROOT, number, number)
                del self._rows[number]
                self.endRemoveRows()
        # What is left is in the new order already: insert the new ones at their places, and
        # update the rest.
        last_column = len(self.HEADERS) - 1
        for number, row in enumerate(rows):
            if number < len(self._rows) and self._rows[number].id == row.id:
                if self._rows[number] != row:
                    self._rows[number] = row
                    self.dataChanged.emit(self.index(number, 0), self.index(number, last_column))
                continue
            self.beginInsertRows(_ROOT, number, number)
            self._rows.insert(number, row)
            self.endInsertRows()
