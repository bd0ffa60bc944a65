"""LoadBarDelegate: a worker's weighted load drawn as a bar against capacity, coloured by RAG."""

from __future__ import annotations

from decimal import Decimal

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop.domain.caseload import Rag
from caseload_desktop.ui.models.workers import Role

RAG_COLOURS = {
    Rag.GREEN: QtGui.QColor("#2e7d32"),
    Rag.AMBER: QtGui.QColor("#e6a100"),
    Rag.RED: QtGui.QColor("#c62828"),
}
TRACK = QtGui.QColor("#e4e4e4")
CAPACITY_MARK = QtGui.QColor("#404040")
OVERFLOW = Decimal("1.5")  # the bar's full width is 150% of capacity
MARGIN = 3


class LoadBarDelegate(QtWidgets.QStyledItemDelegate):
    """Paints ``Role.LOAD`` (weighted, capacity, Rag) as a bar with the numbers beside it.

    The track spans 0-150% of capacity with a mark at 100%, so over-capacity shows at once.
    The text (also the accessible text) says "17.5 of 18.0 (97%)".
    """

    def paint(
        self,
        painter: QtGui.QPainter,
        option: QtWidgets.QStyleOptionViewItem,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
    ) -> None:
        load = index.data(Role.LOAD)
        if load is None:
            super().paint(painter, option, index)
            return
        weighted, capacity, rag = load
        style = option.widget.style() if option.widget else QtWidgets.QApplication.style()
        background = QtWidgets.QStyleOptionViewItem(option)
        self.initStyleOption(background, index)
        background.text = ""
        style.drawControl(
            QtWidgets.QStyle.ControlElement.CE_ItemViewItem, background, painter, option.widget
        )

        rect = option.rect.adjusted(MARGIN, MARGIN + 2, -MARGIN, -MARGIN - 2)
        bar_width = min(rect.width() // 2, 160)
        track = QtCore.QRect(rect.left(), rect.top(), bar_width, rect.height())
        fraction = (
            min(weighted / capacity, OVERFLOW) / OVERFLOW
            if capacity > 0
            else (Decimal(1) if weighted > 0 else Decimal(0))
        )
        painter.save()
        painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        painter.setPen(QtCore.Qt.PenStyle.NoPen)
        painter.setBrush(TRACK)
        painter.drawRoundedRect(track, 3, 3)
        filled = QtCore.QRect(track)
        filled.setWidth(int(track.width() * float(fraction)))
        painter.setBrush(RAG_COLOURS[rag])
        if filled.width() > 0:
            painter.drawRoundedRect(filled, 3, 3)
        if capacity > 0:
            mark_x = track.left() + int(track.width() / float(OVERFLOW))
            painter.setPen(QtGui.QPen(CAPACITY_MARK, 1))
            painter.drawLine(mark_x, track.top() - 2, mark_x, track.bottom() + 2)
        text_rect = QtCore.QRect(
            track.right() + 8, rect.top(), rect.width() - bar_width - 8, rect.height()
        )
        selected = bool(option.state & QtWidgets.QStyle.StateFlag.State_Selected)
        role = (
            QtGui.QPalette.ColorRole.HighlightedText if selected else QtGui.QPalette.ColorRole.Text
        )
        painter.setPen(option.palette.color(role))
        painter.drawText(
            text_rect,
            int(QtCore.Qt.AlignmentFlag.AlignVCenter | QtCore.Qt.AlignmentFlag.AlignLeft),
            index.data(QtCore.Qt.ItemDataRole.DisplayRole),
        )
        painter.restore()

    def sizeHint(
        self,
        option: QtWidgets.QStyleOptionViewItem,
        index: QtCore.QModelIndex | QtCore.QPersistentModelIndex,
    ) -> QtCore.QSize:
        hint = super().sizeHint(option, index)
        return QtCore.QSize(max(hint.width() + 170, 300), hint.height())
