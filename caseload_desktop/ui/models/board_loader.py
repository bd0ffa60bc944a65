"""BoardLoader: reads a team's board data on a worker thread and hands it to the GUI thread.

Each request gets a generation number; a result that arrives after a newer request is dropped,
so switching teams quickly never shows the wrong team.
"""

from __future__ import annotations

import datetime as dt
import logging

from PySide6 import QtCore

from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.errors import CaseloadError
from caseload_desktop.store import queries
from caseload_desktop.store.engine import Database

log = logging.getLogger("caseload.ui")


class _Signals(QtCore.QObject):
    done = QtCore.Signal(int, object)
    failed = QtCore.Signal(int, str)


class _LoadTask(QtCore.QRunnable):
    def __init__(
        self,
        signals: _Signals,
        generation: int,
        db: Database,
        today: dt.date,
        rules: PracticeRules,
        team_id: int | None,
    ) -> None:
        super().__init__()
        self.signals = signals
        self.generation = generation
        self.db = db
        self.today = today
        self.rules = rules
        self.team_id = team_id

    def run(self) -> None:  # on a pool thread: its own session, no widgets
        try:
            with self.db.read() as session:
                data = queries.board_data(session, self.today, self.rules, team_id=self.team_id)
        except CaseloadError as exc:
            self.signals.failed.emit(self.generation, str(exc))
            return
        except Exception as exc:  # a bug: logged with its traceback, reported to the GUI
            log.exception("loading the board failed")
            self.signals.failed.emit(self.generation, f"Unexpected error: {exc}")
            return
        self.signals.done.emit(self.generation, data)


class BoardLoader(QtCore.QObject):
    """Loads ``BoardData`` off the GUI thread.

    Signals:
        loaded: the newest request's data (``queries.BoardData``).
        failed: the newest request failed (a message for the user).
        busy: True while a request is outstanding.
    """

    loaded = QtCore.Signal(object)
    failed = QtCore.Signal(str)
    busy = QtCore.Signal(bool)

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._generation = 0
        # The pool is created first so that it is destroyed first: its destructor waits for a
        # running task, which must still find its relay alive. The relay has no Qt parent;
        # each task holds a reference to it, so it outlives every task.
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._signals = _Signals()
        self._signals.done.connect(self._on_done)
        self._signals.failed.connect(self._on_failed)

    def request(
        self, db: Database, today: dt.date, rules: PracticeRules, team_id: int | None
    ) -> int:
        self._generation += 1
        self.busy.emit(True)
        self.pool.start(_LoadTask(self._signals, self._generation, db, today, rules, team_id))
        return self._generation

    def wait(self) -> None:
        """Block until outstanding loads finish (closing a database, tests)."""
        self.pool.waitForDone()

    @QtCore.Slot(int, object)
    def _on_done(self, generation: int, data: object) -> None:
        if generation != self._generation:
            return
        self.busy.emit(False)
        self.loaded.emit(data)

    @QtCore.Slot(int, str)
    def _on_failed(self, generation: int, message: str) -> None:
        if generation != self._generation:
            return
        self.busy.emit(False)
        self.failed.emit(message)
