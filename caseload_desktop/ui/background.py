"""Long work off the GUI thread, with a progress dialog and (where the work allows) Cancel.

``run_with_progress`` runs a function on a pool thread and waits in a local event loop, so the
window keeps painting; the function's result comes back, or its exception is raised again on
the GUI thread. Work that can stop cleanly takes a ``progress(done, total) -> bool`` callback:
False means the user pressed Cancel, and the work rolls back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from PySide6 import QtCore, QtWidgets

T = TypeVar("T")
Progress = Callable[[int, int], bool]
SHOW_AFTER_MS = 250


class _Relay(QtCore.QObject):
    progressed = QtCore.Signal(int, int)
    finished = QtCore.Signal()


class _Task(QtCore.QRunnable):
    def __init__(self, work: Callable[[Progress], object], relay: _Relay) -> None:
        super().__init__()
        self.work = work
        self.relay = relay
        self.cancel = threading.Event()
        self.result: object = None
        self.error: BaseException | None = None

    def _progress(self, done: int, total: int) -> bool:
        self.relay.progressed.emit(done, total)
        return not self.cancel.is_set()

    def run(self) -> None:
        try:
            self.result = self.work(self._progress)
        except BaseException as exc:  # handed back to the GUI thread, raised there
            self.error = exc
        finally:
            self.relay.finished.emit()


def run_with_progress(
    parent: QtWidgets.QWidget | None,
    title: str,
    label: str,
    work: Callable[[Progress], T],
    *,
    cancellable: bool = True,
) -> T:
    """Run ``work(progress)`` on a pool thread behind a modal progress dialog; return its
    result or raise its exception. Without ``cancellable`` the dialog has no Cancel button
    (for work that must finish once started, such as a migration in one transaction)."""
    relay = _Relay()
    task = _Task(work, relay)
    task.setAutoDelete(False)
    dialog = QtWidgets.QProgressDialog(label, "Cancel", 0, 0, parent)
    dialog.setWindowTitle(title)
    dialog.setAccessibleName(title)
    dialog.setWindowModality(QtCore.Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(SHOW_AFTER_MS)
    # The dialog's show timer started at construction with Qt's default (4 s); it restarts
    # with SHOW_AFTER_MS only when the first value is set. Without this, work that reports no
    # progress (or blocks before its first report) showed nothing for 4 s.
    dialog.setValue(0)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    if not cancellable:
        dialog.setCancelButton(None)
    dialog.canceled.connect(task.cancel.set)

    def show_progress(done: int, total: int) -> None:
        dialog.setMaximum(total)
        dialog.setValue(done)

    loop = QtCore.QEventLoop()
    relay.progressed.connect(show_progress)
    relay.finished.connect(loop.quit)
    pool = QtCore.QThreadPool.globalInstance()
    pool.start(task)
    loop.exec()
    dialog.close()
    dialog.deleteLater()
    if task.error is not None:
        raise task.error
    return task.result  # type: ignore[return-value]
