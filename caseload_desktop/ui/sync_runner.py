"""Sync with central records in the background: on a timer, and when the manager asks.

``SyncRunner`` runs one sync at a time on a thread of its own pool, never on the GUI thread:
``services.sync.sync_central`` when a central server is set, else
``sync.folder_target.deliver_to_folder`` when only a shared folder is. The result comes back
through a queued signal. A sync that fails is tried again after a wait that doubles each time
(30 s, 1, 2, 4, 8 minutes, then every 15 minutes); one that succeeds goes back to the usual
interval. With neither a server nor a folder, sync is "not set up" and nothing is tried.

A database the runner is syncing is never closed under it: ``close_when_idle`` closes a
context at once, or when the sync using it has stopped. Nor is one synced before its check
after opening has passed (``AppContext.unchecked``): a damaged file sends nothing, and the
day's backup is not made under a sync's writes. The timer's sync, or Sync now pressed
meanwhile, waits for ``checked``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
import threading
from pathlib import Path

from PySide6 import QtCore

from caseload_desktop import locations, logs
from caseload_desktop.clock import now_utc
from caseload_desktop.context import AppContext
from caseload_desktop.errors import Cancelled, CaseloadError
from caseload_desktop.services import sync as sync_service
from caseload_desktop.sync import folder_target
from caseload_desktop.sync.central import CentralUnavailable, central_password, shown
from caseload_desktop.ui import preferences as prefs
from caseload_desktop.ui.preferences import Preferences

log = logging.getLogger("caseload.ui")

MINUTE_MS = 60_000
FIRST_SYNC_DELAY_MS = 2_000  # after a database opens: its board is read first
BACKOFF_FIRST_MS = 30_000
BACKOFF_MAX_MS = 15 * MINUTE_MS


def backoff_ms(
    failures: int, first_ms: int = BACKOFF_FIRST_MS, most_ms: int = BACKOFF_MAX_MS
) -> int:
    """How long to wait after ``failures`` failed syncs in a row: ``first_ms``, then twice as
    long each time, never more than ``most_ms``."""
    return min(first_ms * 2 ** min(max(failures, 1) - 1, 16), most_ms)


@dataclasses.dataclass(frozen=True)
class SyncTarget:
    """Where this desktop syncs to: a central server, else a shared folder, else nowhere.

    Attributes:
        address: the central records server (a PostgreSQL URL, no password), or "".
        folder: a folder shared with central records, or "".
        off_because: why this database never syncs, whatever the preferences say ("" when it
            may), in a sentence for the status bar.
    """

    address: str = ""
    folder: str = ""
    off_because: str = ""

    @classmethod
    def from_preferences(cls, preferences: Preferences, database: Path | None = None) -> SyncTarget:
        """The target the preferences name, for the database at ``database``: never the
        fictional demo service's, which must not reach central records."""
        off = ""
        if database is not None and _same_file(database, locations.demo_database_path()):
            off = "The fictional demo service never syncs with central records."
        return cls(
            address=preferences.get(prefs.CENTRAL_ADDRESS).strip(),
            folder=preferences.get(prefs.SYNC_FOLDER).strip(),
            off_because=off,
        )

    @property
    def is_set_up(self) -> bool:
        return bool(self.address or self.folder) and not self.off_because

    @property
    def uses_folder(self) -> bool:
        """Only a folder is set: exports are written there and nothing comes back."""
        return not self.address and bool(self.folder)

    def describe(self) -> str:
        """Where it syncs, in a sentence: "central records at postgresql://…"."""
        if self.address:
            return f"central records at {shown(self.address)}"
        if self.folder:
            return f"the folder {self.folder}"
        return "nowhere (sync is not set up)"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


class SyncState(enum.Enum):
    """What the status bar says about sync."""

    NOT_SET_UP = "Not set up"
    READY = "Not synced yet"  # set up; the first sync has not run yet
    SYNCING = "Syncing…"
    ONLINE = "Online"
    OFFLINE = "Offline"  # central (or the folder) could not be reached
    FAILED = "Sync problem"  # reached, but the sync was refused or went wrong


@dataclasses.dataclass(frozen=True)
class SyncOutcome:
    """What one sync did.

    Attributes:
        target: where it synced.
        manual: the manager asked for it (Sync now), rather than the timer.
        result: the central sync's ``SyncResult``, or the folder's ``FolderResult``; None when
            it failed or was cancelled.
        error: what went wrong, in the manager's words ("" when nothing did).
        offline: the failure was central (or the folder) not being reachable.
        cancelled: the sync was stopped (the database was closed); nothing to report.
        finished_at: when it ended (UTC).
    """

    target: SyncTarget
    manual: bool
    result: sync_service.SyncResult | folder_target.FolderResult | None = None
    error: str = ""
    offline: bool = False
    cancelled: bool = False
    finished_at: dt.datetime = dataclasses.field(default_factory=now_utc)

    @property
    def ok(self) -> bool:
        return self.result is not None

    def summary(self) -> str:
        """One sentence for the status bar's message line."""
        result = self.result
        if isinstance(result, sync_service.SyncResult):
            text = f"Synced: sent {result.pushed}, brought back {result.pulled}"
            if result.new_conflicts:
                text += f"; {_count(result.new_conflicts, 'new conflict')} to settle"
            if result.not_applied:
                # Not a conflict to settle here: central kept its own (or could not apply it).
                count = _count(len(result.not_applied), "change")
                text += f"; central records did not apply {count}: {result.not_applied[0].detail}"
                more = len(result.not_applied) - 1
                text += f" ({f'and {more} more; ' if more else ''}Sync > Conflicts lists them)"
            return text + "."
        if isinstance(result, folder_target.FolderResult):
            return f"Wrote {_count(result.written, 'export')} to {self.target.folder}."
        if self.cancelled:
            return "Sync stopped."
        return f"Cannot sync: {self.error}"


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'' if n == 1 else 's'}"


class _Relay(QtCore.QObject):
    progressed = QtCore.Signal(int, int, int)  # generation, done, total
    done = QtCore.Signal(int, object)  # generation, SyncOutcome


class _SyncTask(QtCore.QRunnable):
    """One sync, on a pool thread: its own sessions (``Database.read``/``write``), no widgets."""

    def __init__(
        self,
        relay: _Relay,
        generation: int,
        context: AppContext,
        target: SyncTarget,
        *,
        manual: bool,
    ) -> None:
        super().__init__()
        self.relay = relay
        self.generation = generation
        self.context = context
        self.target = target
        self.manual = manual
        self.cancel = threading.Event()

    def _progress(self, done: int, total: int) -> None:
        self.relay.progressed.emit(self.generation, done, total)

    def _work(self) -> sync_service.SyncResult | folder_target.FolderResult:
        if self.target.address:
            return sync_service.sync_central(
                self.context.db,
                self.target.address,
                password=central_password(self.target.address),
                announcer=self.context.changes,
                progress=self._progress,
                cancelled=self.cancel.is_set,
            )
        return folder_target.deliver_to_folder(
            self.context.db,
            Path(self.target.folder),
            progress=self._progress,
            cancelled=self.cancel.is_set,
        )

    def run(self) -> None:
        target, manual = self.target, self.manual
        try:
            outcome = SyncOutcome(target, manual, result=self._work())
        except Cancelled:
            outcome = SyncOutcome(target, manual, cancelled=True)
        except CentralUnavailable as exc:
            outcome = SyncOutcome(target, manual, error=str(exc), offline=True)
        except CaseloadError as exc:
            # A folder that has gone (a share off the network) is offline too; a refusal from
            # central (no schema, an unknown team) or a damaged export is a problem to fix.
            offline = target.uses_folder and not Path(target.folder).is_dir()
            outcome = SyncOutcome(target, manual, error=str(exc), offline=offline)
        except Exception as exc:  # a bug: written down with its traceback, the app goes on
            log.exception("sync failed unexpectedly")
            report = logs.write_crash_report(exc)
            where = f" Details were written to {report}." if report else ""
            outcome = SyncOutcome(target, manual, error=f"Unexpected error: {exc}.{where}")
        self.relay.done.emit(self.generation, outcome)


class SyncRunner(QtCore.QObject):
    """Runs sync off the GUI thread, on a timer and on demand, one at a time.

    Signals:
        state_changed: the state changed (a ``SyncState``).
        progressed: a running sync sent ``done`` of ``total`` changes.
        finished: a sync ended (a ``SyncOutcome``), on the GUI thread; not for a sync that was
            stopped because the database or the target changed.

    Attributes:
        state: the current ``SyncState``.
        target: where it syncs (``SyncTarget``).
        last_outcome: the last sync's ``SyncOutcome`` (None before the first).
        last_success_at: when a sync last succeeded in this session (UTC), or None.
        failures: syncs failed in a row since the last success.
        next_attempt_at: when the timer tries next (UTC), or None when it is not waiting.
        interval_ms, first_delay_ms, backoff_first_ms, backoff_max_ms: the timings.
    """

    state_changed = QtCore.Signal(object)
    progressed = QtCore.Signal(int, int)
    finished = QtCore.Signal(object)

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.state = SyncState.NOT_SET_UP
        self.target = SyncTarget()
        self.context: AppContext | None = None
        self.last_outcome: SyncOutcome | None = None
        self.last_success_at: dt.datetime | None = None
        self.failures = 0
        self.next_attempt_at: dt.datetime | None = None
        self.interval_ms = prefs.SYNC_INTERVAL.default * MINUTE_MS
        self.first_delay_ms = FIRST_SYNC_DELAY_MS
        self.backoff_first_ms = BACKOFF_FIRST_MS
        self.backoff_max_ms = BACKOFF_MAX_MS
        self._generation = 0
        self._running: _SyncTask | None = None
        self._again = False  # Sync now was pressed during a sync: run once more after it
        self._due = False  # the timer fired while the database's check had not passed yet
        self._close_after: list[AppContext] = []
        # As in BoardLoader: the pool first, so that it is destroyed first and waits for a
        # running task while the relay (no Qt parent, held by each task) is still alive.
        self.pool = QtCore.QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self._relay = _Relay()
        self._relay.done.connect(self._on_done)
        self._relay.progressed.connect(self._on_progress)
        self._timer = QtCore.QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timer)

    # --- Configuration ---------------------------------------------------------------------

    def configure(
        self, context: AppContext | None, target: SyncTarget, interval_minutes: int | None = None
    ) -> None:
        """Sync ``context``'s database with ``target`` from now on (a database opened or
        closed, the Sync settings changed). A sync of what was configured before is stopped;
        the first sync of the new one runs soon."""
        if interval_minutes is not None and interval_minutes * MINUTE_MS != self.interval_ms:
            self.interval_ms = interval_minutes * MINUTE_MS
            if self.state is SyncState.ONLINE and self._timer.isActive():
                self._schedule(self.interval_ms)  # the new interval from now, not after the next
        if context is self.context and target == self.target:
            return
        self._generation += 1
        if self._running is not None:
            self._running.cancel.set()
        self._again = self._due = False
        self.context, self.target = context, target
        self.failures = 0
        self.last_outcome = None
        self.last_success_at = None
        if context is None or not target.is_set_up:
            self._stop_timer()
            self._set_state(SyncState.NOT_SET_UP, always=True)  # the target is news too
            return
        if self._running is None:
            self._schedule(self.first_delay_ms)
        # else: started as soon as the stopped sync has finished (``_on_done``)
        self._set_state(SyncState.READY, always=True)

    @property
    def is_running(self) -> bool:
        return self._running is not None

    @property
    def is_set_up(self) -> bool:
        return self.context is not None and self.target.is_set_up

    @property
    def is_held(self) -> bool:
        """The open database's check (``AppContext.unchecked``) has not passed yet: no sync
        reads the file, or sends what is in it, before then (``checked`` lets them go)."""
        return self.context is not None and self.context.unchecked

    # --- Running ---------------------------------------------------------------------------

    @QtCore.Slot()
    def sync_now(self) -> bool:
        """Sync at once (Sync now); during a sync, once more when it ends, so that every change
        made before the manager asked is included. False when sync is not set up."""
        if not self.is_set_up:
            return False
        if self._running is not None or self.is_held:
            self._again = True  # after it (``_on_done``), or once the check passes (``checked``)
            return True
        self._start(manual=True)
        return True

    def checked(self, context: AppContext) -> None:
        """``context``'s database passed its check: a sync held back for it starts now."""
        if context is not self.context or self._running is not None or not self.is_set_up:
            return
        if self._again or self._due:
            manual = self._again
            self._again = self._due = False
            self._start(manual=manual)

    @QtCore.Slot()
    def _on_timer(self) -> None:
        if self.is_set_up and self._running is None:
            if self.is_held:
                self._due = True  # started by ``checked``
                return
            self._start(manual=False)

    def _start(self, *, manual: bool) -> None:
        assert self.context is not None and self._running is None
        self._due = False
        self._stop_timer()
        task = _SyncTask(self._relay, self._generation, self.context, self.target, manual=manual)
        task.setAutoDelete(False)  # read after it has run (``_on_done``); Python frees it
        self._running = task
        self._set_state(SyncState.SYNCING)
        self.pool.start(task)

    @QtCore.Slot(int, int, int)
    def _on_progress(self, generation: int, done: int, total: int) -> None:
        if generation == self._generation:
            self.progressed.emit(done, total)

    @QtCore.Slot(int, object)
    def _on_done(self, generation: int, outcome: SyncOutcome) -> None:
        task, self._running = self._running, None
        if task is not None:
            self._close_released(task.context)
        if generation != self._generation or outcome.cancelled:
            # Stopped because the database or the target changed: start on the new one (at
            # once if Sync now was pressed meanwhile).
            if self.is_set_up:
                if self._again and not self.is_held:
                    self._again = False
                    self._start(manual=True)
                else:
                    self._set_state(SyncState.READY)
                    self._schedule(self.first_delay_ms)
            return
        self.last_outcome = outcome
        if outcome.ok:
            self.failures = 0
            self.last_success_at = outcome.finished_at
            self._set_state(SyncState.ONLINE)
            self._schedule(self.interval_ms)
        else:
            self.failures += 1
            self._set_state(SyncState.OFFLINE if outcome.offline else SyncState.FAILED)
            self._schedule(backoff_ms(self.failures, self.backoff_first_ms, self.backoff_max_ms))
        self.finished.emit(outcome)
        if self._again and self._running is None and self.is_set_up and not self.is_held:
            self._again = False
            self._start(manual=True)

    def _schedule(self, delay_ms: int) -> None:
        self.next_attempt_at = now_utc() + dt.timedelta(milliseconds=delay_ms)
        self._timer.start(delay_ms)

    def _stop_timer(self) -> None:
        self._timer.stop()
        self.next_attempt_at = None

    def next_delay_ms(self) -> int | None:
        """Milliseconds until the timer tries next, or None when it is not waiting."""
        return self._timer.remainingTime() if self._timer.isActive() else None

    def _set_state(self, state: SyncState, *, always: bool = False) -> None:
        if always or state is not self.state:
            self.state = state
            self.state_changed.emit(state)

    # --- Closing ---------------------------------------------------------------------------

    def close_when_idle(self, context: AppContext) -> None:
        """Close ``context`` now, or, while a sync is using it, as soon as that sync stops
        (it is asked to stop at once). The GUI thread never waits for the network."""
        task = self._running
        if task is not None and task.context is context:
            task.cancel.set()
            self._close_after.append(context)
        else:
            context.close()

    def _close_released(self, context: AppContext) -> None:
        # By identity: contexts are dataclasses, and two may compare equal.
        if any(waiting is context for waiting in self._close_after):
            self._close_after = [c for c in self._close_after if c is not context]
            context.close()

    def shutdown(self) -> None:
        """Stop syncing: the running sync is asked to stop and waited for (quitting), and every
        database left to close is closed."""
        self._generation += 1
        self._stop_timer()
        self._again = False
        if self._running is not None:
            self._running.cancel.set()
        self.pool.waitForDone()
        self._running = None
        for context in self._close_after:
            context.close()
        self._close_after.clear()
        self.context = None
        self._set_state(SyncState.NOT_SET_UP)
