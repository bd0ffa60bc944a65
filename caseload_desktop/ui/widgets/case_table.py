"""CaseTableView: a table of cases that drags its selection with a pixmap saying how many."""

from __future__ import annotations

from PySide6 import QtCore, QtGui, QtWidgets

BADGE_FILL = QtGui.QColor("#1f5fa8")


def drag_pixmap(count: int, font: QtGui.QFont) -> QtGui.QPixmap:
    """A rounded label "3 cases" to show under the pointer while dragging."""
    text = f"{count} case{'s' if count != 1 else ''}"
    metrics = QtGui.QFontMetrics(font)
    size = QtCore.QSize(metrics.horizontalAdvance(text) + 24, metrics.height() + 12)
    pixmap = QtGui.QPixmap(size)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    painter.setBrush(BADGE_FILL)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.drawRoundedRect(pixmap.rect(), 8, 8)
    painter.setPen(QtGui.QColor("white"))
    painter.setFont(font)
    painter.drawText(pixmap.rect(), int(QtCore.Qt.AlignmentFlag.AlignCenter), text)
    painter.end()
    return pixmap


class CaseTableView(QtWidgets.QTableView):
    """A case list whose drag carries the selected rows (ids and versions) and their count."""

    def startDrag(self, supported_actions: QtCore.Qt.DropAction) -> None:
        model = self.model()
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        if model is None or not rows:
            return
        data = model.mimeData([model.index(row, 0) for row in rows])
        drag = QtGui.QDrag(self)
        drag.setMimeData(data)
        drag.setPixmap(drag_pixmap(len(rows), self.font()))
        drag.exec(supported_actions, QtCore.Qt.DropAction.MoveAction)
