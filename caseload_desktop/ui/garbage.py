"""Python's cycle collector, run on the GUI thread only.

Left to itself the collector runs in whichever thread happens to allocate, and may then
destroy Qt objects (a model, a QObject in a cycle) on a worker thread, which crashes the
process ("Garbage-collecting" in the fault handler's trace). As qutebrowser does, automatic
collection is turned off and a timer on the GUI thread collects when the counts say so.
"""

from __future__ import annotations

import gc

from PySide6 import QtCore

INTERVAL_MS = 1000


class GuiThreadCollector(QtCore.QObject):
    """While it lives, cyclic garbage is collected on the GUI thread (its thread)."""

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect_if_due)
        self._timer.start()

    @QtCore.Slot()
    def collect_if_due(self) -> None:
        """Collect the generations whose counts passed their thresholds, as gc would."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        """Back to Python's own collection (for tests and shutdown)."""
        self._timer.stop()
        gc.collect()
        gc.enable()
