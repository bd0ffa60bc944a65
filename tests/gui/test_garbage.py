"""Cyclic garbage is collected on the GUI thread while the collector lives."""

from __future__ import annotations

import gc

from pytestqt.qtbot import QtBot

from caseload_desktop.ui.garbage import GuiThreadCollector


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_the_collector_turns_automatic_collection_off_and_collects_itself(qtbot: QtBot) -> None:
    outer = GuiThreadCollector()  # the fixture's collector is already running
    assert not gc.isenabled()
    threshold = gc.get_threshold()[0]
    for _ in range(threshold * 3):
        _Cycle()
    assert gc.get_count()[0] > threshold  # nothing collected them behind our back
    outer.collect_if_due()
    assert gc.get_count()[0] < threshold
    outer.stop()
    assert gc.isenabled()
    gc.disable()  # the fixture's collector is still running until the test ends
