"""What the app's small read-only tables share: fixed columns with headers (and header tips
for tooltips and screen readers), rows that select but do not edit."""

from __future__ import annotations

from typing import Any

from PySide6 import QtCore

AnyIndex = QtCore.QModelIndex | QtCore.QPersistentModelIndex
ROOT = QtCore.QModelIndex()


class ReadOnlyTable(QtCore.QAbstractTableModel):
    """A table model with the columns ``HEADERS`` (``HEADER_TIPS``, if given, say more of
    each). Subclasses give ``rowCount`` and ``data``, and may name a column differently by
    overriding ``header_text``."""

    HEADERS: tuple[str, ...] = ()
    HEADER_TIPS: tuple[str, ...] = ()

    def columnCount(self, parent: AnyIndex = ROOT) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def header_text(self, section: int) -> str:
        return self.HEADERS[section]

    def headerData(
        self,
        section: int,
        orientation: QtCore.Qt.Orientation,
        role: int = QtCore.Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != QtCore.Qt.Orientation.Horizontal or not 0 <= section < len(self.HEADERS):
            return None
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self.header_text(section)
        if self.HEADER_TIPS and role in (
            QtCore.Qt.ItemDataRole.ToolTipRole,
            QtCore.Qt.ItemDataRole.AccessibleTextRole,
        ):
            return self.HEADER_TIPS[section]
        return None

    def flags(self, index: AnyIndex) -> QtCore.Qt.ItemFlag:
        if not index.isValid():
            return QtCore.Qt.ItemFlag.NoItemFlags
        return QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsSelectable
