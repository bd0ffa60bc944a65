"""Passphrases of encrypted team databases: asking for one, choosing a new one, remembering one.

- ``PassphraseDialog``: an encrypted database is being opened. The passphrase typed is tried
  by the caller's ``attempt`` (the open itself, off the GUI thread); a wrong one is refused
  with the tries left, and after ``MAX_TRIES`` wrong ones in a row OK stays disabled for
  ``PAUSE_SECONDS`` (``PassphraseTries`` counts them per database, so closing the dialog does
  not skip the pause). The file is never written to on a wrong passphrase (``store.engine``).
- ``NewPassphraseDialog``: a new passphrase, typed twice with a strength hint, for a new
  database (encrypted unless the manager unticks "Encrypt (recommended)"), for encrypting a
  plain one, or in place of the current one.
- "Remember on this computer" keeps the passphrase in the platform's password store
  (``keyring``: service ``KEYRING_SERVICE``, user the database's full path), never in a file.
  A password store that is missing or fails is the same as nothing remembered: the app asks
  (RELIABILITY.md, fault 10).
"""

from __future__ import annotations

import dataclasses
import enum
import html
import logging
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import keyring
import keyring.errors

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop import APP_NAME
from caseload_desktop.errors import BadInput
from caseload_desktop.store.engine import Passphrase, WrongPassphrase

log = logging.getLogger("caseload.ui")

T = TypeVar("T")

MAX_TRIES = 3
PAUSE_SECONDS = 30  # after MAX_TRIES wrong passphrases in a row (tests shorten it)
MIN_LENGTH = 8
KEYRING_SERVICE = f"{APP_NAME} database"
TEXT_WIDTH_CHARS = 60
ICON_SIZE = 32
ERROR_RED = "#b00020"  # readable on light and dark grey alike


# --- The password store ------------------------------------------------------------------


def keyring_user(database: Path) -> str:
    """The password store's "user" for ``database``: its full path."""
    return str(database.expanduser().resolve())


def remembered_passphrase(database: Path) -> Passphrase | None:
    """The passphrase remembered for ``database``, or None (none, or no password store)."""
    try:
        value = keyring.get_password(KEYRING_SERVICE, keyring_user(database))
    except keyring.errors.KeyringError as exc:
        log.warning("the password store could not be read: %s", type(exc).__name__)
        return None
    if not value:
        return None
    try:
        return Passphrase(value)
    except BadInput:
        return None


def remember_passphrase(database: Path, key: Passphrase) -> str:
    """Keep ``key`` for ``database`` in the password store; "" when kept, else why not."""
    try:
        keyring.set_password(KEYRING_SERVICE, keyring_user(database), key.reveal())
    except keyring.errors.KeyringError as exc:
        log.warning("the password store refused the passphrase: %s", type(exc).__name__)
        return (
            "This computer's password store did not keep the passphrase "
            f"({type(exc).__name__}): you will be asked for it next time."
        )
    return ""


def forget_passphrase(database: Path) -> None:
    """Remove any passphrase remembered for ``database`` (nothing happens when none is)."""
    try:
        keyring.delete_password(KEYRING_SERVICE, keyring_user(database))
    except keyring.errors.PasswordDeleteError:
        pass  # none was remembered
    except keyring.errors.KeyringError as exc:
        log.warning("the password store could not forget a passphrase: %s", type(exc).__name__)


# --- A padlock, drawn (no icon file needed) ------------------------------------------------


def padlock_pixmap(
    locked: bool, size: int, color: QtGui.QColor, ratio: float = 1.0
) -> QtGui.QPixmap:
    """A padlock of ``size`` × ``size`` (logical pixels), closed or open, in ``color``."""
    pixmap = QtGui.QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(pixmap)
    painter.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
    s = float(size)
    pen = QtGui.QPen(color, max(1.5, s / 9))
    pen.setCapStyle(QtCore.Qt.PenCapStyle.FlatCap)
    painter.setPen(pen)
    painter.setBrush(QtCore.Qt.BrushStyle.NoBrush)
    # The shackle: a half ring above the body; open, it is lifted and swung to the right.
    left, width, top = s * 0.28, s * 0.44, s * 0.08
    path = QtGui.QPainterPath()
    lift = 0.0 if locked else s * 0.12
    shift = 0.0 if locked else s * 0.16
    path.moveTo(left + shift, s * 0.48 - lift)
    path.lineTo(left + shift, top + width / 2 - lift)
    path.arcTo(QtCore.QRectF(left + shift, top - lift, width, width), 180, -180)
    path.lineTo(left + shift + width, s * (0.48 if locked else 0.36) - lift)
    painter.drawPath(path)
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawRoundedRect(QtCore.QRectF(s * 0.16, s * 0.44, s * 0.68, s * 0.5), s / 12, s / 12)
    painter.end()
    return pixmap


def _error_label(name: str) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel()
    label.setWordWrap(True)
    label.setAccessibleName(name)
    label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    palette = label.palette()
    red = QtGui.QColor(ERROR_RED)
    palette.setColor(QtGui.QPalette.ColorRole.WindowText, red)
    label.setPalette(palette)
    label.hide()
    return label


def _header(
    dialog: QtWidgets.QDialog, locked: bool, title: str, body: str, path: Path
) -> QtWidgets.QLayout:
    """A padlock, then the title, the explanation and the database's path in one column."""
    icon = QtWidgets.QLabel()
    icon.setPixmap(
        padlock_pixmap(
            locked,
            ICON_SIZE,
            dialog.palette().color(QtGui.QPalette.ColorRole.WindowText),
            dialog.devicePixelRatioF(),
        )
    )
    icon.setAlignment(QtCore.Qt.AlignmentFlag.AlignTop)
    icon.setAccessibleName("Encrypted database" if locked else "Database encryption")
    text = QtWidgets.QLabel(f"<b>{html.escape(title)}</b><p>{body}</p>")  # body: rich text
    text.setWordWrap(True)
    text.setTextFormat(QtCore.Qt.TextFormat.RichText)
    width = dialog.fontMetrics().averageCharWidth() * TEXT_WIDTH_CHARS
    text.setMinimumWidth(width)
    column = QtWidgets.QVBoxLayout()
    column.addWidget(text)
    column.addWidget(_path_label(path))
    row = QtWidgets.QHBoxLayout()
    row.addWidget(icon, 0, QtCore.Qt.AlignmentFlag.AlignTop)
    row.addSpacing(8)
    row.addLayout(column, 1)
    return row


def _path_label(path: Path) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(str(path))
    label.setObjectName("database_path")
    label.setAccessibleName("Database file")
    label.setWordWrap(True)
    label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setForegroundRole(QtGui.QPalette.ColorRole.PlaceholderText)
    return label


def _masked(name: str) -> QtWidgets.QLineEdit:
    edit = QtWidgets.QLineEdit()
    edit.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
    edit.setAccessibleName(name)
    edit.setObjectName(name.lower().replace(" ", "_"))
    # No input method (it could keep what is typed) and no context-menu copying of it.
    edit.setAttribute(QtCore.Qt.WidgetAttribute.WA_InputMethodEnabled, False)
    edit.setContextMenuPolicy(QtCore.Qt.ContextMenuPolicy.NoContextMenu)
    return edit


class _ShowButton(QtWidgets.QToolButton):
    """Show / Hide the passphrase typed in ``edits``."""

    def __init__(self, edits: list[QtWidgets.QLineEdit], what: str = "passphrase") -> None:
        super().__init__()
        self._edits = edits
        self._what = what
        self.setCheckable(True)
        self.setObjectName("show_passphrase")
        self.toggled.connect(self._show)
        self._show(False)

    @QtCore.Slot(bool)
    def _show(self, shown: bool) -> None:
        mode = (
            QtWidgets.QLineEdit.EchoMode.Normal if shown else QtWidgets.QLineEdit.EchoMode.Password
        )
        for edit in self._edits:
            edit.setEchoMode(mode)
        self.setText("Hide" if shown else "Show")
        self.setAccessibleName(f"{'Hide' if shown else 'Show'} the {self._what}")
        self.setToolTip(f"{'Hide' if shown else 'Show'} the {self._what} as you type it")


class _ShowBox(QtWidgets.QCheckBox):
    """ "Show the passphrases" typed in ``edits``."""

    def __init__(self, edits: list[QtWidgets.QLineEdit]) -> None:
        super().__init__("S&how the passphrases")
        self._edits = edits
        self.setObjectName("show_passphrase")
        self.setAccessibleName("Show the passphrases as you type them")
        self.toggled.connect(self._show)

    @QtCore.Slot(bool)
    def _show(self, shown: bool) -> None:
        mode = (
            QtWidgets.QLineEdit.EchoMode.Normal if shown else QtWidgets.QLineEdit.EchoMode.Password
        )
        for edit in self._edits:
            edit.setEchoMode(mode)


def _remember_box(checked: bool) -> QtWidgets.QCheckBox:
    box = QtWidgets.QCheckBox("&Remember on this computer")
    box.setObjectName("remember_passphrase")
    box.setAccessibleName("Remember the passphrase on this computer")
    box.setToolTip(
        "Keep the passphrase in this computer's password store, so the database opens without "
        "asking. Anyone who can sign in to this computer as you can then open it."
    )
    box.setChecked(checked)
    return box


# --- Asking for the passphrase -------------------------------------------------------------


@dataclasses.dataclass
class PassphraseTries:
    """Wrong passphrases typed for one database, and the pause they lead to.

    Attributes:
        failures: wrong passphrases in a row since the last pause.
        paused_until: ``time.monotonic()`` when the pause ends (0: no pause).
    """

    failures: int = 0
    paused_until: float = 0.0

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= MAX_TRIES:
            self.failures = 0
            self.paused_until = time.monotonic() + PAUSE_SECONDS

    def succeeded(self) -> None:
        self.failures = 0
        self.paused_until = 0.0

    def seconds_left(self) -> int:
        """Whole seconds left of the pause (0: none)."""
        return max(0, math.ceil(self.paused_until - time.monotonic()))

    @property
    def tries_left(self) -> int:
        return MAX_TRIES - self.failures


@dataclasses.dataclass(frozen=True)
class Unlocked(Generic[T]):
    """What the passphrase opened.

    Attributes:
        value: what ``attempt`` returned (the open database's context).
        key: the passphrase that opened it.
        remember: whether to keep it on this computer.
    """

    value: T
    key: Passphrase
    remember: bool


def _seconds(n: int) -> str:
    return f"{n} second" if n == 1 else f"{n} seconds"


class PassphraseDialog(QtWidgets.QDialog, Generic[T]):
    """Asks for the passphrase of an encrypted database, and tries each one typed.

    Attributes:
        path: the database file.
        tries: the wrong tries so far (shared by every dialog for the same database).
        passphrase: the masked field; show_button shows what it holds.
        remember: "Remember on this computer".
        problem: why the last passphrase was refused; pause_label: the pause's countdown.
        ok_button: Open (disabled while a pause lasts).
        outcome: what the right passphrase opened, once accepted.
        error: an error other than a wrong passphrase that ended the dialog (``ask`` raises it).
    """

    def __init__(
        self,
        path: Path,
        attempt: Callable[[Passphrase, QtWidgets.QWidget], T],
        tries: PassphraseTries,
        *,
        note: str = "",
        remember: bool = False,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.path = path
        self.tries = tries
        self._attempt = attempt
        self.outcome: Unlocked[T] | None = None
        self.error: BaseException | None = None
        self.setObjectName("passphrase_dialog")
        self.setWindowTitle(f"Open {path.name}")
        self.setAccessibleName(f"Passphrase for {path.name}")

        header = _header(
            self,
            True,
            f"{path.name} is encrypted",
            "Type its passphrase to open it. Nothing is written to the file until it opens.",
            path,
        )
        self.note = QtWidgets.QLabel(note)
        self.note.setObjectName("passphrase_note")
        self.note.setAccessibleName("Note")
        self.note.setWordWrap(True)
        self.note.setVisible(bool(note))

        self.passphrase = _masked("Passphrase")
        self.show_button = _ShowButton([self.passphrase])
        field = QtWidgets.QHBoxLayout()
        field.addWidget(self.passphrase, 1)
        field.addWidget(self.show_button)
        label = QtWidgets.QLabel("&Passphrase:")
        label.setBuddy(self.passphrase)
        form = QtWidgets.QFormLayout()
        form.addRow(label, field)
        self.remember = _remember_box(remember)
        form.addRow("", self.remember)

        self.problem = _error_label("Problem with the passphrase")
        self.problem.setObjectName("passphrase_problem")
        self.pause_label = QtWidgets.QLabel()
        self.pause_label.setObjectName("passphrase_pause")
        self.pause_label.setAccessibleName("Pause before the next try")
        self.pause_label.setWordWrap(True)
        self.pause_label.hide()

        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Open")
        self.ok_button.setAccessibleName(f"Open {path.name}")
        self.ok_button.clicked.connect(self.try_passphrase)
        self.buttons.rejected.connect(self.reject)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.note)
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.pause_label)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        self._timer = QtCore.QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._tick)
        self.passphrase.setFocus()
        self._tick()

    @QtCore.Slot()
    def try_passphrase(self) -> None:
        """Open: try the passphrase typed; stay open with the reason when it is refused."""
        if self.tries.seconds_left():
            return
        text = self.passphrase.text()
        try:
            key = Passphrase(text)
        except BadInput as exc:
            self._refuse(str(exc) if text else "Type the passphrase first.")
            return
        self.setEnabled(False)  # no second try while this one runs
        try:
            value = self._attempt(key, self)
        except WrongPassphrase:
            self.setEnabled(True)
            self._wrong()
            return
        except BaseException as exc:  # handed to ``ask``, which raises it for the caller
            self.setEnabled(True)
            self.error = exc
            self.reject()
            return
        self.setEnabled(True)
        self.tries.succeeded()
        self.passphrase.clear()  # not kept in the field once it has done its work
        self.outcome = Unlocked(value, key, self.remember.isChecked())
        self.accept()

    def _wrong(self) -> None:
        self.tries.failed()
        if self.tries.seconds_left():
            self._refuse(
                f"That passphrase did not open {self.path.name} either. After {MAX_TRIES} "
                f"wrong passphrases, wait {_seconds(PAUSE_SECONDS)} before the next try."
            )
            return
        left = self.tries.tries_left
        self._refuse(
            f"That passphrase did not open {self.path.name}; the file has not been changed. "
            f"{left} {'try' if left == 1 else 'tries'} left before a "
            f"{_seconds(PAUSE_SECONDS)} pause."
        )

    def _refuse(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.show()
        self.passphrase.selectAll()
        self.passphrase.setFocus()
        self._tick()

    @QtCore.Slot()
    def _tick(self) -> None:
        left = self.tries.seconds_left()
        self.ok_button.setEnabled(left == 0)
        self.pause_label.setVisible(left > 0)
        if left:
            self.pause_label.setText(f"You can try again in {_seconds(left)}.")
            if not self._timer.isActive():
                self._timer.start()
        else:
            self._timer.stop()
            self.ok_button.setDefault(True)

    @classmethod
    def ask(
        cls,
        parent: QtWidgets.QWidget | None,
        path: Path,
        attempt: Callable[[Passphrase, QtWidgets.QWidget], T],
        tries: PassphraseTries,
        *,
        note: str = "",
        remember: bool = False,
    ) -> Unlocked[T] | None:
        """Ask until a passphrase opens ``path`` (``attempt(key, parent)`` returns) or the
        manager cancels (None). An error other than a wrong passphrase is raised."""
        dialog: PassphraseDialog[T] = cls(
            path, attempt, tries, note=note, remember=remember, parent=parent
        )
        try:
            dialog.exec()
            if dialog.error is not None:
                raise dialog.error
            return dialog.outcome
        finally:
            dialog.deleteLater()


# --- Choosing a new passphrase -------------------------------------------------------------


class NewPassphraseMode(enum.Enum):
    NEW = "new"  # File > New database
    ENCRYPT = "encrypt"  # Edit > Encrypt this database…
    CHANGE = "change"  # Edit > Change database passphrase…


@dataclasses.dataclass(frozen=True)
class NewPassphrase:
    """The answer of ``NewPassphraseDialog``.

    Attributes:
        key: the new passphrase; None for a new database left unencrypted.
        remember: whether to keep it on this computer.
    """

    key: Passphrase | None
    remember: bool


_CLASSES = (
    ("abcdefghijklmnopqrstuvwxyz", 26),
    ("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 26),
    ("0123456789", 10),
)


def passphrase_strength(text: str) -> tuple[str, str]:
    """A rough guide to how hard ``text`` is to guess: ("weak" | "fair" | "strong" |
    "too short", a sentence for the manager). Long passphrases of several words do best."""
    if len(text) < MIN_LENGTH:
        return "too short", (
            f"Too short: use at least {MIN_LENGTH} characters. Four or more unrelated words "
            "are strong and easy to remember."
        )
    pool = sum(size for letters, size in _CLASSES if any(c in letters for c in text))
    if any(not c.isascii() or not c.isalnum() for c in text):
        pool += 33
    bits = len(text) * math.log2(max(pool, 2))
    if len(set(text)) < 5:  # "aaaaaaaa", "abababab"
        bits = min(bits, 20.0)
    if len(text.split()) >= 4 and len(text) >= 20:
        bits = max(bits, 80.0)
    if bits < 50:
        return "weak", (
            "Weak: easy to guess. Make it longer; four or more unrelated words are strong and "
            "easy to remember."
        )
    if bits < 75:
        return "fair", "Fair: a few more characters, or another word, would make it strong."
    return "strong", "Strong."


class NewPassphraseDialog(QtWidgets.QDialog):
    """A new passphrase, typed twice, with a strength hint.

    For a new database it has "Encrypt (recommended)", ticked; for a change it asks for the
    current passphrase first.

    Attributes:
        mode: what the passphrase is for (``NewPassphraseMode``).
        encrypt: "Encrypt (recommended)" (new databases only, else None).
        current: the current passphrase's field (changes only, else None).
        passphrase, again: the new passphrase, twice; show_button shows them.
        strength: the strength hint; hint: what is still missing before OK.
        remember: "Remember on this computer".
        ok_button: Create / Encrypt / Change passphrase.
    """

    def __init__(
        self,
        mode: NewPassphraseMode,
        path: Path,
        *,
        current: Passphrase | None = None,
        remember: bool = False,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.mode = mode
        self.path = path
        self._current_key = current
        self.setObjectName("new_passphrase_dialog")
        name = path.name
        if mode is NewPassphraseMode.NEW:
            self.setWindowTitle(f"New database {name}")
            title = f"Protect {name} with a passphrase"
            body = (
                "A team database holds children's names and risk details. Encrypted, it cannot "
                "be read without its passphrase, even if the laptop or the file goes astray."
                "</p><p>Keep the passphrase safe: without it nobody can open the database, not "
                "even IT."
            )
            ok_text = "&Create"
        elif mode is NewPassphraseMode.ENCRYPT:
            self.setWindowTitle(f"Encrypt {name}")
            title = f"Encrypt {name}"
            body = (
                f"The app makes an encrypted copy of {html.escape(name)}, checks it, keeps an "
                "encrypted backup of it, then puts it in place of the plain file. The board closes "
                "while this happens and opens again after.</p><p>Keep the passphrase safe: "
                "without it nobody can open the database, not even IT. The backups made "
                "before stay unencrypted; you will be told where they are, to delete them."
            )
            ok_text = "&Encrypt"
        else:
            self.setWindowTitle(f"Change the passphrase of {name}")
            title = f"Change the passphrase of {name}"
            body = (
                "The new passphrase works at once and the current one stops working. Backups "
                "made before keep the passphrase they were made with."
            )
            ok_text = "&Change passphrase"
        self.setAccessibleName(self.windowTitle())

        self.encrypt: QtWidgets.QCheckBox | None = None
        self.current: QtWidgets.QLineEdit | None = None
        self.passphrase = _masked("New passphrase")
        self.again = _masked("New passphrase again")
        edits = [self.passphrase, self.again]
        form = QtWidgets.QFormLayout()
        if mode is NewPassphraseMode.NEW:
            self.encrypt = QtWidgets.QCheckBox("&Encrypt (recommended)")
            self.encrypt.setObjectName("encrypt_database")
            self.encrypt.setAccessibleName("Encrypt the database (recommended)")
            self.encrypt.setChecked(True)
            self.encrypt.toggled.connect(self._check)
            form.addRow("", self.encrypt)
        if mode is NewPassphraseMode.CHANGE:
            self.current = _masked("Current passphrase")
            edits.insert(0, self.current)
            self._row(form, "C&urrent passphrase:", self.current)
        self._row(form, "&New passphrase:" if self.current else "&Passphrase:", self.passphrase)
        self._row(form, "Type it &again:", self.again)
        # A box under the fields (not a button beside one), so that the fields line up.
        self.show_button = _ShowBox(edits)
        form.addRow("", self.show_button)
        self.strength = QtWidgets.QLabel()
        self.strength.setObjectName("passphrase_strength")
        self.strength.setAccessibleName("Passphrase strength")
        self.strength.setWordWrap(True)
        form.addRow("Strength:", self.strength)
        self.remember = _remember_box(remember)
        form.addRow("", self.remember)
        self.hint = QtWidgets.QLabel()
        self.hint.setObjectName("passphrase_hint")
        self.hint.setAccessibleName("What the passphrase still needs")
        self.hint.setWordWrap(True)

        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(ok_text)
        self.ok_button.setAccessibleName(ok_text.replace("&", ""))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(_header(self, True, title, body, path))
        layout.addSpacing(6)
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addStretch(1)
        layout.addWidget(self.buttons)

        for edit in edits:
            edit.textChanged.connect(self._check)
        (self.current or self.passphrase).setFocus()
        self._check()

    @staticmethod
    def _row(form: QtWidgets.QFormLayout, text: str, edit: QtWidgets.QLineEdit) -> None:
        label = QtWidgets.QLabel(text)
        label.setBuddy(edit)
        form.addRow(label, edit)

    @property
    def encrypting(self) -> bool:
        return self.encrypt is None or self.encrypt.isChecked()

    def missing(self) -> str:
        """What the answer still needs before OK, in a sentence ("" when it is complete)."""
        if not self.encrypting:
            return (
                "Not encrypted: anyone who gets the file can read it. You can encrypt it later "
                "with Edit > Encrypt this database…"
            )
        text = self.passphrase.text()
        if self.current is not None:
            if not self.current.text():
                return "Type the current passphrase."
            if self._current_key is None or self.current.text() != self._current_key.reveal():
                return "The current passphrase is not right."
        if len(text) < MIN_LENGTH:
            return f"The passphrase needs at least {MIN_LENGTH} characters."
        if "\x00" in text:
            return "A passphrase cannot contain a NUL character."
        if self.again.text() != text:
            return "Type the same passphrase again, in the second field."
        if self._current_key is not None and text == self._current_key.reveal():
            return "The new passphrase is the same as the current one."
        return ""

    @QtCore.Slot()
    def _check(self) -> None:
        encrypting = self.encrypting
        for widget in (self.passphrase, self.again, self.show_button, self.remember):
            widget.setEnabled(encrypting)
        level, sentence = passphrase_strength(self.passphrase.text())
        self.strength.setText(sentence if self.passphrase.text() else "")
        self.strength.setAccessibleDescription(level)
        missing = self.missing()
        self.hint.setText(missing)
        self.hint.setVisible(bool(missing))
        self.ok_button.setEnabled(not missing or not encrypting)

    def answer(self) -> NewPassphrase:
        if not self.encrypting:
            return NewPassphrase(None, False)
        return NewPassphrase(Passphrase(self.passphrase.text()), self.remember.isChecked())

    @classmethod
    def ask(
        cls,
        parent: QtWidgets.QWidget | None,
        mode: NewPassphraseMode,
        path: Path,
        *,
        current: Passphrase | None = None,
        remember: bool = False,
    ) -> NewPassphrase | None:
        """Show the dialog; the new passphrase (or, for a new database, None for "not
        encrypted"), or None when the manager cancels."""
        dialog = cls(mode, path, current=current, remember=remember, parent=parent)
        try:
            if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                return None
            return dialog.answer()
        finally:
            dialog.deleteLater()
