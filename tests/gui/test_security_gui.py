"""Security in the desktop app: the passphrase dialog, remembered passphrases, new databases
encrypted by default, changing the passphrase, encrypting a plain database, a damaged file and
its backup, and one writer per database (the lock, read-only mode).

Real files throughout (copies of the demo, encrypted with SQLCipher where a test needs it).
Blocking dialogs are the real ones: either driven while they run modally (``on_modal``), or
built and driven by a stand-in for their ``ask`` seam, as a manager would.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import keyring
import keyring.backend
import keyring.backends.fail
import keyring.errors
import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from PySide6 import QtCore, QtWidgets

from caseload_desktop.context import open_context
from caseload_desktop.errors import ReadOnly
from caseload_desktop.store import backups
from caseload_desktop.store.db_lock import DatabaseLock, lock_path
from caseload_desktop.store.encryption import encrypt_in_place, is_encrypted
from caseload_desktop.store.engine import (
    SQLITE_HEADER,
    Passphrase,
    WrongPassphrase,
    open_database,
)
from caseload_desktop.ui import background
from caseload_desktop.ui.dialogs import passphrase_dialog
from caseload_desktop.ui.dialogs.damaged_dialog import DamagedDialog, restorable_backups
from caseload_desktop.ui.dialogs.lock_dialog import LockDialog
from caseload_desktop.ui.dialogs.passphrase_dialog import (
    KEYRING_SERVICE,
    NewPassphrase,
    NewPassphraseDialog,
    NewPassphraseMode,
    PassphraseDialog,
    PassphraseTries,
    Unlocked,
    keyring_user,
)
from caseload_desktop.ui.dialogs.reassign_dialog import ReassignDialog
from caseload_desktop.ui.dialogs.settings_dialog import SettingsDialog
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.main_window import READ_ONLY_SYNC, MainWindow
from caseload_desktop.ui.preferences import Preferences

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
KEY = Passphrase("Tide 'n' Ferry; seven gulls")  # a quote and a semicolon: passed safely
NEW_KEY = Passphrase("lantern orchard quietly 42 moss")
W = TypeVar("W", bound=QtWidgets.QWidget)


# --- Fixtures -------------------------------------------------------------------------------


class MemoryKeyring(keyring.backend.KeyringBackend):
    """A password store in memory, standing in for the platform's."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.saved:
            raise keyring.errors.PasswordDeleteError(username)
        del self.saved[(service, username)]


@pytest.fixture(autouse=True)
def no_password_store() -> Iterator[None]:
    """Never the machine's own password store: none at all, unless a test gives one."""
    before = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(before)


@pytest.fixture
def password_store() -> MemoryKeyring:
    store = MemoryKeyring()
    keyring.set_keyring(store)
    return store


@pytest.fixture
def told(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """What the window told the manager in a message box (``MainWindow.tell``)."""
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(MainWindow, "tell", lambda self, title, text: shown.append((title, text)))
    return shown


@pytest.fixture
def encrypted_db(demo_db_path: Path) -> Path:
    """A copy of the demo, encrypted with ``KEY`` (its encrypted backup moved out of the way:
    the damaged-file tests make their own)."""
    made = encrypt_in_place(demo_db_path, KEY)
    made.unlink()
    return demo_db_path


def make_window(qtbot: QtBot, preferences: Preferences) -> MainWindow:
    window = MainWindow(None, preferences)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    return window


@pytest.fixture
def window(qtbot: QtBot, preferences: Preferences) -> MainWindow:
    return make_window(qtbot, preferences)


def on_modal(kind: type[W], act: Callable[[W], None], *, within_ms: int = 20_000) -> list[W]:
    """Run ``act`` on the next ``kind`` dialog shown modally (``exec``), while it runs."""
    seen: list[W] = []
    deadline = QtCore.QDeadlineTimer(within_ms)

    def poll() -> None:
        widget = QtWidgets.QApplication.activeModalWidget()
        if isinstance(widget, kind) and widget.isVisible():
            seen.append(widget)
            act(widget)
        elif not deadline.hasExpired():
            QtCore.QTimer.singleShot(10, poll)

    QtCore.QTimer.singleShot(0, poll)
    return seen


def fingerprint(path: Path) -> tuple[str, list[str]]:
    """The file's SHA-256 and the names in its folder: what "not written to" means."""
    return hashlib.sha256(path.read_bytes()).hexdigest(), sorted(os.listdir(path.parent))


def save(widget: QtWidgets.QWidget, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    widget.adjustSize()
    assert widget.grab().save(str(ARTIFACTS / name))


def type_into(qtbot: QtBot, edit: QtWidgets.QLineEdit, text: str) -> None:
    edit.clear()
    qtbot.keyClicks(edit, text)


def a_child_name(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("SELECT name FROM children ORDER BY id LIMIT 1").fetchone()[0])
    finally:
        conn.close()


# --- Asking for the passphrase ----------------------------------------------------------------


def test_wrong_passphrases_are_refused_three_times_then_open_waits_out_a_pause(
    qtbot: QtBot, encrypted_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(passphrase_dialog, "PAUSE_SECONDS", 2)
    before = fingerprint(encrypted_db)
    opened = []

    def attempt(key: Passphrase, parent: QtWidgets.QWidget) -> Any:
        context = background.run_with_progress(
            parent,
            "Open",
            "Opening…",
            lambda _progress: open_context(encrypted_db, key=key),
            cancellable=False,
        )
        opened.append(context)
        return context

    tries = PassphraseTries()
    dialog = PassphraseDialog(encrypted_db, attempt, tries)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    path_label = dialog.findChild(QtWidgets.QLabel, "database_path")
    assert path_label is not None and path_label.text() == str(encrypted_db)
    assert encrypted_db.name in dialog.windowTitle()
    field = dialog.passphrase
    assert field.echoMode() == QtWidgets.QLineEdit.EchoMode.Password
    assert field.accessibleName() == "Passphrase"
    assert dialog.remember.accessibleName() and not dialog.remember.isChecked()
    qtbot.mouseClick(dialog.show_button, QtCore.Qt.MouseButton.LeftButton)
    assert field.echoMode() == QtWidgets.QLineEdit.EchoMode.Normal
    assert dialog.show_button.accessibleName() == "Hide the passphrase"
    qtbot.mouseClick(dialog.show_button, QtCore.Qt.MouseButton.LeftButton)
    assert field.echoMode() == QtWidgets.QLineEdit.EchoMode.Password

    for number, left in ((1, "2 tries left"), (2, "1 try left")):
        type_into(qtbot, field, f"not it {number}")
        qtbot.mouseClick(dialog.ok_button, QtCore.Qt.MouseButton.LeftButton)
        assert dialog.isVisible() and dialog.problem.isVisible()
        assert left in dialog.problem.text() and "has not been changed" in dialog.problem.text()
        assert dialog.ok_button.isEnabled() and not dialog.pause_label.isVisible()
    type_into(qtbot, field, "not it 3")
    qtbot.mouseClick(dialog.ok_button, QtCore.Qt.MouseButton.LeftButton)
    assert "wait 2 seconds" in dialog.problem.text()
    assert not dialog.ok_button.isEnabled()
    assert dialog.pause_label.isVisible() and "try again in 2 seconds" in dialog.pause_label.text()
    save(dialog, "passphrase_dialog.png")
    type_into(qtbot, field, KEY.reveal())
    qtbot.keyClick(field, QtCore.Qt.Key.Key_Return)  # OK is disabled: Enter does nothing
    assert dialog.isVisible() and not opened
    # Closing the dialog does not skip the pause: the next one for this database waits too.
    again = PassphraseDialog(encrypted_db, attempt, tries)
    qtbot.addWidget(again)
    assert not again.ok_button.isEnabled() and not again.pause_label.isHidden()
    assert fingerprint(encrypted_db) == before  # nothing written, nothing created beside it

    qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=5000)
    assert not dialog.pause_label.isVisible()
    qtbot.mouseClick(dialog.ok_button, QtCore.Qt.MouseButton.LeftButton)
    assert dialog.result() == QtWidgets.QDialog.DialogCode.Accepted
    assert isinstance(dialog.outcome, Unlocked) and dialog.outcome.key == KEY
    assert dialog.outcome.value is opened[0] and opened[0].db.encrypted
    assert tries.failures == 0 and tries.seconds_left() == 0
    opened[0].close()


def test_opening_an_encrypted_database_asks_its_passphrase_and_remembers_it_if_asked(
    qtbot: QtBot,
    encrypted_db: Path,
    preferences: Preferences,
    password_store: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = make_window(qtbot, preferences)

    def answer(dialog: PassphraseDialog[Any]) -> None:
        type_into(qtbot, dialog.passphrase, KEY.reveal())
        dialog.remember.setChecked(True)
        qtbot.mouseClick(dialog.ok_button, QtCore.Qt.MouseButton.LeftButton)

    asked = on_modal(PassphraseDialog, answer)
    window.open_path(encrypted_db)  # the real dialog, run modally
    assert len(asked) == 1
    assert window.context is not None and window.context.db.encrypted
    assert password_store.saved == {(KEYRING_SERVICE, str(encrypted_db.resolve())): KEY.reveal()}
    assert window.encryption_label.text() == "Encrypted"
    assert window.encryption_label.accessibleName() == "Database encryption: encrypted"
    assert window.encryption_status.isVisible()
    assert window.main_actions.change_passphrase.isEnabled()
    assert not window.main_actions.encrypt_database.isEnabled()
    window.close()

    # Next time the remembered passphrase opens it without asking.
    def never(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the passphrase was asked for")

    monkeypatch.setattr(PassphraseDialog, "ask", classmethod(never))
    again = make_window(qtbot, preferences)
    again.open_path(encrypted_db)
    assert again.context is not None and again.context.db.key == KEY


def test_a_remembered_passphrase_that_no_longer_opens_it_falls_back_to_asking(
    qtbot: QtBot,
    window: MainWindow,
    encrypted_db: Path,
    password_store: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    user = keyring_user(encrypted_db)
    password_store.saved[(KEYRING_SERVICE, user)] = "an old passphrase"
    seen: list[PassphraseDialog[Any]] = []

    def ask(cls: type, /, parent: Any, path: Path, attempt: Any, tries: Any, **kwargs: Any) -> Any:
        dialog = PassphraseDialog(path, attempt, tries, parent=parent, **kwargs)
        seen.append(dialog)
        assert dialog.note.text().startswith("The passphrase remembered on this computer")
        assert dialog.remember.isChecked()  # they chose it before
        type_into(qtbot, dialog.passphrase, KEY.reveal())
        dialog.try_passphrase()
        return dialog.outcome

    monkeypatch.setattr(PassphraseDialog, "ask", classmethod(ask))
    window.open_path(encrypted_db)
    assert len(seen) == 1 and window.context is not None
    assert password_store.saved[(KEYRING_SERVICE, user)] == KEY.reveal()  # the right one now


def test_with_no_password_store_the_passphrase_is_asked_and_kept_nowhere(
    qtbot: QtBot, window: MainWindow, encrypted_db: Path, tmp_path: Path
) -> None:
    def answer(dialog: PassphraseDialog[Any]) -> None:
        type_into(qtbot, dialog.passphrase, KEY.reveal())
        dialog.remember.setChecked(True)
        qtbot.mouseClick(dialog.ok_button, QtCore.Qt.MouseButton.LeftButton)

    messages: list[str] = []
    window.statusBar().messageChanged.connect(messages.append)
    on_modal(PassphraseDialog, answer)
    window.open_path(encrypted_db)
    assert window.context is not None  # fails closed: asked, opened, not kept
    assert any("did not keep the passphrase" in m for m in messages)
    secret = KEY.reveal().encode()
    assert not [p for p in tmp_path.rglob("*") if p.is_file() and secret in p.read_bytes()]


# --- New databases --------------------------------------------------------------------------


def test_file_new_makes_an_encrypted_database_by_default(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "north-team.db"
    monkeypatch.setattr(
        Interaction, "choose_new_database", classmethod(lambda cls, parent, start: target)
    )

    def answer(dialog: NewPassphraseDialog) -> None:
        assert dialog.encrypt is not None and dialog.encrypt.isChecked()
        type_into(qtbot, dialog.passphrase, "short")
        assert dialog.strength.text().startswith("Too short")
        assert not dialog.ok_button.isEnabled() and "at least 8" in dialog.hint.text()
        type_into(qtbot, dialog.passphrase, NEW_KEY.reveal())
        assert dialog.strength.text() == "Strong."
        type_into(qtbot, dialog.again, NEW_KEY.reveal()[:-1])
        assert not dialog.ok_button.isEnabled() and "same passphrase" in dialog.hint.text()
        qtbot.keyClick(dialog.again, QtCore.Qt.Key.Key_S)
        assert dialog.ok_button.isEnabled() and not dialog.hint.isVisible()
        save(dialog, "new_passphrase_dialog.png")
        qtbot.mouseClick(dialog.ok_button, QtCore.Qt.MouseButton.LeftButton)

    asked = on_modal(NewPassphraseDialog, answer)
    window.main_actions.new_database.trigger()
    assert len(asked) == 1
    assert target.read_bytes()[: len(SQLITE_HEADER)] != SQLITE_HEADER
    assert not target.read_bytes().startswith(b"SQLite format 3")
    assert window.context is not None and window.context.db.key == NEW_KEY
    assert window.encryption_label.text() == "Encrypted"
    window.close()
    with pytest.raises(WrongPassphrase):
        open_database(target, key=KEY)
    db, _ = open_database(target, key=NEW_KEY)
    db.close()


def test_a_new_database_is_plain_only_when_encrypt_is_unticked(
    qtbot: QtBot, tmp_path: Path
) -> None:
    dialog = NewPassphraseDialog(NewPassphraseMode.NEW, tmp_path / "plain.db")
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()  # no passphrase yet
    assert dialog.encrypt is not None
    dialog.encrypt.setChecked(False)
    assert dialog.ok_button.isEnabled() and not dialog.passphrase.isEnabled()
    assert "anyone who gets the file can read it" in dialog.hint.text()
    assert dialog.answer() == NewPassphrase(None, False)


# --- Changing the passphrase, encrypting a plain database -----------------------------------


def test_change_passphrase_reencrypts_and_the_old_one_stops_working(
    qtbot: QtBot,
    window: MainWindow,
    encrypted_db: Path,
    password_store: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    told: list[tuple[str, str]],
) -> None:
    user = keyring_user(encrypted_db)
    password_store.saved[(KEYRING_SERVICE, user)] = KEY.reveal()
    window.open_path(encrypted_db)  # the remembered passphrase: not asked
    assert window.context is not None and window.context.db.key == KEY
    assert window.board is not None
    window.board.wait_until_loaded()

    def ask(cls: type, /, parent: Any, mode: NewPassphraseMode, path: Path, **kwargs: Any) -> Any:
        dialog = NewPassphraseDialog(mode, path, parent=parent, **kwargs)
        assert mode is NewPassphraseMode.CHANGE and dialog.current is not None
        assert dialog.remember.isChecked()  # it was remembered
        type_into(qtbot, dialog.current, "not the current one")
        type_into(qtbot, dialog.passphrase, NEW_KEY.reveal())
        type_into(qtbot, dialog.again, NEW_KEY.reveal())
        assert not dialog.ok_button.isEnabled() and "not right" in dialog.hint.text()
        type_into(qtbot, dialog.current, KEY.reveal())
        assert dialog.ok_button.isEnabled()
        save(dialog, "change_passphrase_dialog.png")
        return dialog.answer()

    monkeypatch.setattr(NewPassphraseDialog, "ask", classmethod(ask))
    window.main_actions.change_passphrase.trigger()
    assert window.context is not None and window.context.db.key == NEW_KEY
    assert told and told[-1][0] == "Passphrase changed"
    assert password_store.saved[(KEYRING_SERVICE, user)] == NEW_KEY.reveal()
    assert not DatabaseLock(encrypted_db).try_acquire()  # still this window's, throughout
    with pytest.raises(WrongPassphrase):
        open_database(encrypted_db, key=KEY)
    db, _ = open_database(encrypted_db, key=NEW_KEY)
    db.close()
    assert window.board is not None
    window.board.wait_until_loaded()
    assert window.board.workers_model.rowCount() > 0


def test_encrypt_this_database_converts_a_plain_one_and_says_where_the_backups_are(
    qtbot: QtBot,
    window: MainWindow,
    wait_for_checks: Callable[[MainWindow], None],
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    told: list[tuple[str, str]],
) -> None:
    child = a_child_name(demo_db_path)
    window.open_path(demo_db_path)  # makes the day's (plain) backup
    wait_for_checks(window)
    assert window.context is not None and not window.context.db.encrypted
    assert window.encryption_label.text() == "Not encrypted"
    assert window.encryption_label.accessibleName() == "Database encryption: not encrypted"
    edit = next(m for m in window.menuBar().findChildren(QtWidgets.QMenu) if m.title() == "&Edit")
    assert window.main_actions.encrypt_database in edit.actions()
    assert window.main_actions.change_passphrase in edit.actions()
    assert window.main_actions.encrypt_database.isEnabled()
    assert not window.main_actions.change_passphrase.isEnabled()
    plain_backups = backups.list_backups(demo_db_path)
    assert plain_backups

    def ask(cls: type, /, parent: Any, mode: NewPassphraseMode, path: Path, **kwargs: Any) -> Any:
        assert mode is NewPassphraseMode.ENCRYPT and path == demo_db_path
        dialog = NewPassphraseDialog(mode, path, parent=parent, **kwargs)
        type_into(qtbot, dialog.passphrase, KEY.reveal())
        type_into(qtbot, dialog.again, KEY.reveal())
        save(dialog, "encrypt_database_dialog.png")
        return dialog.answer()

    monkeypatch.setattr(NewPassphraseDialog, "ask", classmethod(ask))
    window.main_actions.encrypt_database.trigger()
    assert window.context is not None and window.context.db.key == KEY
    assert is_encrypted(demo_db_path)
    assert child.encode() not in demo_db_path.read_bytes()
    assert window.encryption_label.text() == "Encrypted"
    window.statusBar().clearMessage()
    save(window.statusBar(), "status_bar_encrypted.png")
    [(title, text)] = told
    assert title == "Database encrypted"
    [encrypted_backup] = [b for b in backups.list_backups(demo_db_path) if is_encrypted(b)]
    assert str(encrypted_backup) in text
    assert f"The {len(plain_backups)} older backups" in text and "not encrypted" in text
    assert window.board is not None
    window.board.wait_until_loaded()
    assert window.board.workers_model.rowCount() > 0


# --- A damaged file ---------------------------------------------------------------------------


def damage(path: Path, pages: range) -> None:
    """Scramble whole pages (numbered from 1) of an SQLite file."""
    data = bytearray(path.read_bytes())
    size = int.from_bytes(data[16:18], "big")
    size = 65536 if size == 1 else size
    for page in pages:
        start = (page - 1) * size
        for offset in range(start, min(start + size, len(data))):
            data[offset] = (data[offset] * 7 + 13) % 256
    path.write_bytes(bytes(data))


@pytest.fixture
def damaged_db(demo_db_path: Path) -> tuple[Path, Path, bytes]:
    """A demo copy with a backup made first, then pages 3 to 5 scrambled: (database, its
    backup, the damaged bytes)."""
    db, _ = open_database(demo_db_path)
    backup = backups.backup_now(db)
    db.close()
    damage(demo_db_path, range(3, 6))
    return demo_db_path, backup, demo_db_path.read_bytes()


def test_a_damaged_database_offers_its_latest_backup_and_restoring_opens_it(
    window: MainWindow,
    wait_for_checks: Callable[[MainWindow], None],
    damaged_db: tuple[Path, Path, bytes],
    monkeypatch: pytest.MonkeyPatch,
    told: list[tuple[str, str]],
    errors: list[tuple[str, str]],
) -> None:
    path, backup, damaged = damaged_db
    shown: list[DamagedDialog] = []

    def ask(cls: type, /, parent: Any, database: Path, problem: str, **kwargs: Any) -> Path | None:
        dialog = DamagedDialog(database, problem, restorable_backups(database), parent=parent)
        shown.append(dialog)
        message = dialog.findChild(QtWidgets.QLabel, "damaged_message")
        assert message is not None
        assert "is damaged" in message.text() and "has not been changed" in message.text()
        assert "caseload restore" not in message.text()  # the command line's advice, not here
        assert dialog.backup_list.topLevelItemCount() == 1
        assert dialog.backup_list.topLevelItem(0).text(2) == backup.name  # type: ignore[union-attr]
        assert dialog.restore_button is not None
        assert dialog.restore_button.text() == "&Restore the latest backup"
        save(dialog, "damaged_dialog.png")
        assert path.read_bytes() == damaged  # nothing written while it asks
        return dialog.chosen()

    monkeypatch.setattr(DamagedDialog, "ask", classmethod(ask))
    window.open_path(path)
    # The board shows first; the check after it finds the damage, closes the database (its
    # board with it) and offers the backup; the restored file opens, and is checked again.
    wait_for_checks(window)
    wait_for_checks(window)
    assert not errors and len(shown) == 1
    assert window.context is not None and window.context.db.path == path
    [(title, text)] = told
    assert title == "Backup restored" and backup.name in text
    [kept] = [p for p in backups.list_backups(path) if "-replaced-" in p.name]
    assert str(kept) in text and kept.read_bytes() == damaged  # kept as it was
    assert window.board is not None
    window.board.wait_until_loaded()
    assert window.board.workers_model.rowCount() > 0


def test_cancelling_the_damaged_file_dialog_changes_nothing(
    window: MainWindow,
    wait_for_checks: Callable[[MainWindow], None],
    damaged_db: tuple[Path, Path, bytes],
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    path, _backup, damaged = damaged_db
    before = fingerprint(path)
    monkeypatch.setattr(DamagedDialog, "ask", classmethod(lambda cls, *a, **k: None))
    window.open_path(path)
    wait_for_checks(window)
    assert window.context is None and not errors
    assert fingerprint(path) == before and path.read_bytes() == damaged
    assert not lock_path(path).exists()  # the lock went with the open that did not happen


# --- One writer -----------------------------------------------------------------------------


def test_two_locks_on_one_database_in_one_process_exclude_each_other(tmp_path: Path) -> None:
    database = tmp_path / "team.db"
    first, second = DatabaseLock(database), DatabaseLock(database)
    assert first.try_acquire()
    assert lock_path(database).exists()
    assert not second.try_acquire()
    holder = second.holder()
    assert holder is not None and holder.pid == os.getpid() and holder.on_this_computer
    assert str(os.getpid()) in holder.describe()
    first.release()
    assert not lock_path(database).exists()
    assert second.try_acquire()
    second.release()


def test_a_lock_held_by_another_process_is_reported_and_taken_over_once_it_has_died(
    tmp_path: Path,
) -> None:
    database = tmp_path / "team.db"
    holder_script = textwrap.dedent(
        """
        import sys
        from PySide6 import QtCore
        lock = QtCore.QLockFile(sys.argv[1])
        lock.setStaleLockTime(0)
        assert lock.tryLock(0)
        print("locked", flush=True)
        sys.stdin.read()
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", holder_script, str(lock_path(database))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "locked"
            lock = DatabaseLock(database)
            assert not lock.try_acquire()
            holder = lock.holder()
            assert holder is not None and holder.pid == process.pid
            assert holder.app.startswith("python")
            if os.name == "posix":
                assert holder.user == getpass.getuser()
        finally:
            process.kill()  # a crash: the lock file stays behind
            process.wait()
    assert lock_path(database).exists()
    assert lock.try_acquire()  # stale (its process is gone): taken over
    lock.release()


def test_a_second_copy_is_told_who_holds_the_database_and_may_open_it_read_only(
    qtbot: QtBot,
    preferences: Preferences,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = make_window(qtbot, preferences)
    first.open_path(demo_db_path)
    assert first.context is not None and not first.context.read_only
    assert first.main_actions.reassign.isEnabled()

    shown: list[LockDialog] = []

    def ask(cls: type, /, parent: Any, path: Path, holder: Any) -> bool:
        dialog = LockDialog(path, holder, parent)
        shown.append(dialog)
        assert holder is not None and holder.pid == os.getpid()
        message = dialog.findChild(QtWidgets.QLabel, "lock_message")
        assert message is not None and f"process {os.getpid()}" in message.text()
        assert "this computer" in message.text()
        save(dialog, "lock_dialog.png")
        return True  # Open read-only

    monkeypatch.setattr(LockDialog, "ask", classmethod(ask))
    second = make_window(qtbot, preferences)
    second.open_path(demo_db_path)
    assert len(shown) == 1
    context = second.context
    assert context is not None and context.read_only and context.lock is None
    assert "read-only" in second.statusBar().currentMessage()
    second.statusBar().clearMessage()  # a message hides the status bar's left-hand widgets
    assert "(read-only)" in second.windowTitle() and second.read_only_label.isVisible()
    assert second.encryption_label.text() == "Not encrypted"
    for action in (
        second.main_actions.reassign,
        second.main_actions.worker_leaving,
        second.main_actions.allocate_queue,
        second.main_actions.export_summary,
        second.main_actions.export_summary_csv,
        second.main_actions.change_passphrase,
        second.main_actions.encrypt_database,
        second.sync_actions.sync_now,
        second.sync_actions.conflicts,
    ):
        assert not action.isEnabled(), action.text()
    assert second.main_actions.print_summary.isEnabled()  # reading and printing stay
    assert second.sync_runner.target.off_because == READ_ONLY_SYNC
    board = second.board
    assert board is not None
    board.wait_until_loaded()
    board.workers_view.setCurrentIndex(board.workers_model.index(0, 0))
    assert not second.main_actions.start_supervision.isEnabled()
    assert not second.main_actions.supervision_records.isEnabled()

    # A drop reaches the window's reassign: refused before any dialog.
    monkeypatch.setattr(ReassignDialog, "ask", classmethod(lambda cls, *a, **k: 1 / 0))
    second.reassign({1: 1}, None)
    assert "read-only" in second.statusBar().currentMessage()
    # Beneath the window, the database itself refuses: a write transaction with a message,
    # and SQLite any write on a reading connection.
    with (
        pytest.raises(ReadOnly, match="another copy of Caseload Desktop has it open"),
        context.db.write(),
    ):
        pass
    with context.db.read() as session, pytest.raises(sa.exc.OperationalError, match="readonly"):
        session.execute(sa.text("UPDATE workers SET name = 'Changed' WHERE id = 1"))

    settings_asked: list[bool] = []

    def settings_ask(dialog: SettingsDialog) -> bool:
        settings_asked.append(dialog.may_edit_rules)
        return False

    monkeypatch.setattr(SettingsDialog, "ask", settings_ask)
    second.main_actions.settings.trigger()
    assert settings_asked == [False]

    # When the first copy lets go, opening it again here may change it.
    first.close()
    second.open_path(demo_db_path)
    assert second.context is not None and not second.context.read_only
    assert second.main_actions.reassign.isEnabled() and not second.read_only_label.isVisible()
    assert not DatabaseLock(demo_db_path).try_acquire()


def test_opening_the_open_database_again_keeps_its_lock(
    window: MainWindow, demo_db_path: Path, errors: list[tuple[str, str]]
) -> None:
    window.open_path(demo_db_path)
    first = window.context
    assert first is not None and first.lock is not None
    window.open_path(demo_db_path)
    assert not errors
    assert window.context is not None and window.context is not first
    assert not window.context.read_only and window.context.lock is not None
    assert not DatabaseLock(demo_db_path).try_acquire()
    window.close()
    assert DatabaseLock(demo_db_path).try_acquire()  # released with the window
