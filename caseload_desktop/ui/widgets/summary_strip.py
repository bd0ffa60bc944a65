"""SummaryStrip: the team's numbers in one line above the board."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from PySide6 import QtWidgets

from caseload_desktop.display import points

ALERT_STYLE = "color: #b3261e;"


@dataclasses.dataclass(frozen=True)
class Summary:
    open_cases: int
    allocated: int
    orphaned: int
    unallocated: int
    held_by_manager: int
    team_load: Decimal
    team_capacity: Decimal


class SummaryStrip(QtWidgets.QFrame):
    """Open cases, allocated, orphaned, unallocated, held by manager, team load vs capacity.

    Each figure is a label with its own accessible name, so a screen reader reads
    "Orphaned: 176".
    """

    FIELDS = (
        ("open_cases", "Open cases"),
        ("allocated", "Allocated"),
        ("orphaned", "Orphaned"),
        ("unallocated", "Unallocated"),
        ("held_by_manager", "Held by manager"),
        ("team_load", "Team load"),
    )
    ALERT_FIELDS = frozenset(("orphaned", "unallocated", "held_by_manager"))

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("summary_strip")
        self.setAccessibleName("Team summary")
        self.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 6)
        layout.setSpacing(28)
        self.values: dict[str, QtWidgets.QLabel] = {}
        for key, title in self.FIELDS:
            box = QtWidgets.QVBoxLayout()
            box.setSpacing(0)
            value = QtWidgets.QLabel("–")
            value.setObjectName(f"summary_{key}")
            font = value.font()
            font.setPointSizeF(font.pointSizeF() * 1.6)
            font.setBold(True)
            value.setFont(font)
            caption = QtWidgets.QLabel(title)
            caption.setBuddy(value)
            box.addWidget(value)
            box.addWidget(caption)
            layout.addLayout(box)
            self.values[key] = value
        layout.addStretch(1)

    def show_summary(self, summary: Summary) -> None:
        for key, title in self.FIELDS:
            label = self.values[key]
            if key == "team_load":
                text = f"{points(summary.team_load)} / {points(summary.team_capacity)}"
                if summary.team_capacity > 0:
                    text += f" ({summary.team_load * 100 / summary.team_capacity:.0f}%)"
                over = summary.team_load > summary.team_capacity
                label.setStyleSheet(ALERT_STYLE if over else "")
            else:
                count = getattr(summary, key)
                text = str(count)
                label.setStyleSheet(ALERT_STYLE if key in self.ALERT_FIELDS and count else "")
            label.setText(text)
            label.setAccessibleName(f"{title}: {text}")
        layout = self.layout()
        if layout is not None:
            layout.activate()  # size the figures now, not at the next event loop pass

    def text_of(self, key: str) -> str:
        return self.values[key].text()
