"""The checks an open leaves for later, run on a pool thread once the board is up.

SQLite's quick check reads every page of the file: 0.3 s of a service's 66 MB database, over a
second encrypted. Run before the board, it was most of the wait for the board; run after, the
manager reads the board while it runs. A file whose damage the open itself ran into is caught
there (``context.open_context``); damage elsewhere is found here, and the window offers the
latest backup (``MainWindow._damaged_after_open``). Only a sound file gets the day's backup, so
a damaged file never pushes a good backup out of the rotation.
"""

from __future__ import annotations

import datetime as dt
import logging

from PySide6 import QtCore

from caseload_desktop import clock
from caseload_desktop.context import AppContext
from caseload_desktop.errors import CaseloadError
from caseload_desktop.store.backups import check_then_back_up
from caseload_desktop.store.engine import Damaged

log = logging.getLogger("caseload.ui")


class _Signals(QtCore.QObject):
    done = QtCore.Signal(object, str, str)


class _CheckTask(QtCore.QRunnable):
    def __init__(self, signals: _Signals, context: AppContext, today: dt.date | None) -> None:
        super().__init__()
        self.signals = signals
        self.context = context
        self.today = today

    def run(self) -> None:
        damaged = trouble = ""
        try:
            check_then_back_up(self.context.db, self.today)
        except Damaged as exc:
            damaged = str(exc)
        except CaseloadError as exc:
            trouble = str(exc)
        except Exception as exc:  # a pool thread must not die silently: say what failed
            log.exception("the checks after opening %s failed", self.context.db.path)
            trouble = f"{type(exc).__name__}: {exc}"
        self.signals.done.emit(self.context, damaged, trouble)


class OpenChecks(QtCore.QObject):
    """Runs ``store.backups.check_then_back_up`` for an opened context off the GUI thread.

    ``finished(context, damaged, trouble)`` arrives on the GUI thread: ``damaged`` is the
    check's message when the file is damaged, ``trouble`` why the day's backup could not be
    made; both empty when all is well. ``running`` is the context being checked until then.
    """

    finished = QtCore.Signal(object, str, str)

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        # As in ``BoardLoader``: the pool first, so that it is destroyed first (its destructor
        # waits for a running task); the relay has no Qt parent and every task holds it.
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.running: AppContext | None = None
        self._signals = _Signals()
        self._signals.done.connect(self._on_done)

    def start(self, context: AppContext) -> None:
        """Check ``context``'s file, then make the day's backup if it is writable."""
        self.wait()
        today: dt.date | None = None
        if not context.read_only:  # another copy of the app holds it: that one backs it up
            try:
                today = clock.today()
            except CaseloadError as exc:  # a bad CASELOAD_TODAY: checked, not backed up
                log.warning("no daily backup: %s", exc)
        self.running = context
        self.pool.start(_CheckTask(self._signals, context, today))

    def wait(self) -> None:
        """Block until a running check has finished (before its database closes). Its result
        still arrives later, through the event loop: the window ignores a result for a
        database it no longer shows."""
        self.pool.waitForDone()

    @property
    def is_running(self) -> bool:
        return self.running is not None

    @QtCore.Slot(object, str, str)
    def _on_done(self, context: AppContext, damaged: str, trouble: str) -> None:
        if context is self.running:
            self.running = None
        self.finished.emit(context, damaged, trouble)
