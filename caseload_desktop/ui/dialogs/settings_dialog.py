"""Edit > Settings…: the council's settings, and this desktop's own preferences.

The Caseload, Timescales and Records pages hold the council's settings (``domain.settings``):
they live in the team database, shared by every manager who opens it, and each change is
audited and sent to central records (``services.settings.change``). The pages are built from
the catalogue, so a new setting needs no code here. Sync and Display are this desktop's own
(``ui.preferences``). The central password goes to the platform's password store (``keyring``)
and nowhere else: with no store, it is not saved and the page says so.

Values are checked as they are typed (``Setting.parse_text``, then ``check_together``): a bad
one is explained in red under its field, and OK and Apply wait until it is fixed.
``SettingsDialog.ask`` is the seam tests replace.
"""

from __future__ import annotations

import collections
import itertools
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import keyring
import keyring.errors

from PySide6 import QtCore, QtGui, QtSvg, QtWidgets

from caseload_desktop.context import AppContext
from caseload_desktop.domain.categories import Category
from caseload_desktop.domain.settings import (
    BY_KEY,
    DEFAULT_SETTINGS,
    SETTINGS,
    BadSetting,
    CategoriesSetting,
    Logo,
    LogoSetting,
    Page,
    Setting,
    TextSetting,
    WholeNumberSetting,
    check_together,
    logo_from_bytes,
)
from caseload_desktop.errors import BadInput, CaseloadError, StaleData
from caseload_desktop.services import settings as settings_service
from caseload_desktop.sync.central import parse_address
from caseload_desktop.ui import preferences as prefs
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.preferences import Preferences

log = logging.getLogger(__name__)

ERROR_STYLE = "color: #b3261e;"
WARNING_STYLE = "color: #8a4b00;"
NOTE_STYLE = "color: palette(placeholder-text);"
PAGE_LIST_PADDING = 32  # around a page's name in the list: icon gap, spacing, frame
DIALOG_CHARS, DIALOG_LINES = 150, 46  # the dialog's size in the text's own measure
PAGE_ICON = QtCore.QSize(16, 16)
LOGO_PREVIEW = QtCore.QSize(220, 90)
NUMBER_CHARS = 8  # a number field is this many digits wide
PASSWORD_SERVICE = prefs.PASSWORD_SERVICE  # keyring's "service"; the user is the address
ADDRESS_EXAMPLE = "postgresql://caseload@records.example.gov.uk/central?sslmode=verify-full"
LOGO_FILTER = "Logo images (*.png *.svg);;All files (*)"

SYNC = "Sync"
DISPLAY = "Display"
COUNCIL_PAGES = (Page.CASELOAD, Page.TIMESCALES, Page.RECORDS)
PAGE_HEADINGS = {
    Page.CASELOAD: "How cases are weighed against capacity",
    Page.TIMESCALES: "Visits, assessments and escalation",
    Page.RECORDS: "What every PDF record carries",
    SYNC: "Central records",
    DISPLAY: "How the app looks and opens",
}
# Settings sit in groups by the first part of their key ("weights.cp" -> "weights").
GROUP_TITLES = {
    "weights": "Case weights (points per case)",
    "capacity": "Capacity (points at 1.0 FTE)",
    "rag": "Load colours",
    "limits": "Categories a role may not hold",
    "visits": "Visits",
    "assessment": "Assessments",
    "escalation": "Unallocated cases",
    "records": "On every record",
}
TEXT_SIZE_LABELS = {100: "Standard", 115: "Larger", 130: "Large", 150: "Largest"}
NO_PASSWORD_STORE = (
    "No password store is available on this computer, so the password was not saved. "
    "It is never written to a file; ask IT to set up the system's password store."
)


def in_words(message: str, key: str | None = None) -> str:
    """A ``BadSetting`` message for the dialog: without the field's own key in front (it
    shows under the field), and other keys named by their labels."""
    if key is not None:
        message = message.removeprefix(f"{key}: ")
    for other in sorted(BY_KEY, key=len, reverse=True):
        # "Amber from (% of capacity)" -> "Amber from": the message gives the value in brackets.
        label = re.sub(r"\s*\(.*\)$", "", BY_KEY[other].label)
        message = message.replace(other, f'"{label}"')
    return message[:1].upper() + message[1:]


def logo_pixmap(logo: Logo, size: QtCore.QSize) -> QtGui.QPixmap | None:
    """The logo scaled to fit ``size``, or None if Qt cannot draw it."""
    if logo.format == "svg":
        renderer = QtSvg.QSvgRenderer(QtCore.QByteArray(logo.data))
        if not renderer.isValid():
            return None
        natural = renderer.defaultSize()
        target = natural.scaled(size, QtCore.Qt.AspectRatioMode.KeepAspectRatio)
        if target.isEmpty():
            target = size
        image = QtGui.QImage(target, QtGui.QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(QtCore.Qt.GlobalColor.transparent)
        painter = QtGui.QPainter(image)
        renderer.render(painter)
        painter.end()
        return QtGui.QPixmap.fromImage(image)
    image = QtGui.QImage.fromData(logo.data)
    if image.isNull():
        return None
    if image.width() > size.width() or image.height() > size.height():
        image = image.scaled(
            size,
            QtCore.Qt.AspectRatioMode.KeepAspectRatio,
            QtCore.Qt.TransformationMode.SmoothTransformation,
        )
    return QtGui.QPixmap.fromImage(image)


def _error_label(name: str) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel()
    label.setAccessibleName(name)
    label.setWordWrap(True)
    label.setStyleSheet(ERROR_STYLE)
    label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    label.hide()
    return label


def _note(text: str, name: str) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    label.setAccessibleName(name)
    label.setWordWrap(True)
    label.setStyleSheet(NOTE_STYLE)
    return label


def _shared_help(settings: list[Setting]) -> str:
    """The help most of a group's settings share (said once for the group), or ""."""
    text, count = collections.Counter(s.help for s in settings).most_common(1)[0]
    return text if count > 1 else ""


# --- Fields of the council's settings ------------------------------------------------------


class SettingField:
    """The editor of one council setting: its widgets, and its value read through the setting.

    Attributes:
        setting: the catalogue's ``Setting``.
        widget: what sits beside the label (the editor and, under it, the error).
        error: the red line saying what is wrong (hidden while the value is good).
    """

    def __init__(self, setting: Setting, on_edit: Callable[[], None], hint: str = "") -> None:
        self.setting = setting
        self.on_edit = on_edit
        self.error = _error_label(f"Problem with {setting.label}")
        self.error.setObjectName(f"error:{setting.key}")
        self.widget = QtWidgets.QWidget()
        self.widget.setObjectName(f"field:{setting.key}")
        # The help, on screen where it says something its group does not already say.
        self.hint = _note(hint, f"{setting.label}: help") if hint else None

    def _describe(self, widget: QtWidgets.QWidget) -> None:
        tip = f"{self.setting.help}\nAllowed: {self.setting.allowed()}."
        widget.setToolTip(tip.strip())
        widget.setAccessibleDescription(tip.strip())

    def _stack(self, row: QtWidgets.QWidget | QtWidgets.QLayout) -> QtWidgets.QVBoxLayout:
        """The field's widget: ``row``, and the error under it."""
        layout = QtWidgets.QVBoxLayout(self.widget)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        if isinstance(row, QtWidgets.QLayout):
            layout.addLayout(row)
        else:
            layout.addWidget(row)
        layout.addWidget(self.error)
        return layout

    @property
    def focus_widget(self) -> QtWidgets.QWidget:
        """The widget a label's mnemonic moves to."""
        return self.widget

    def value(self) -> Any:
        """The typed value shown; raises ``BadSetting`` when it is not allowed."""
        raise NotImplementedError

    def set_value(self, value: Any) -> None:
        raise NotImplementedError

    def set_read_only(self, read_only: bool) -> None:
        raise NotImplementedError

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))


class LineField(SettingField):
    """A number, a whole number or one line of text, typed; read by ``parse_text``."""

    def __init__(self, setting: Setting, on_edit: Callable[[], None], hint: str = "") -> None:
        super().__init__(setting, on_edit, hint)
        self.editor = QtWidgets.QLineEdit()
        self.editor.setObjectName(setting.key)
        self.editor.setAccessibleName(setting.label)
        self._describe(self.editor)
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.editor)
        if isinstance(setting, TextSetting):
            self.editor.setMaxLength(setting.max_length)
        else:
            width = self.editor.fontMetrics().horizontalAdvance("0" * NUMBER_CHARS)
            self.editor.setFixedWidth(width + 16)
            if isinstance(setting, WholeNumberSetting) and setting.unit:
                unit = QtWidgets.QLabel(setting.unit)
                unit.setAccessibleName(f"{setting.label}: unit")
                row.addWidget(unit)
            row.addStretch(1)
        stack = self._stack(row)
        if self.hint is not None:  # under the field: beside it, large text squeezes it
            stack.addWidget(self.hint)
        self.editor.textChanged.connect(lambda _text: on_edit())

    @property
    def focus_widget(self) -> QtWidgets.QWidget:
        return self.editor

    def value(self) -> Any:
        return self.setting.parse_text(self.editor.text())

    def set_value(self, value: Any) -> None:
        self.editor.setText(self.setting.to_text(value))

    def set_read_only(self, read_only: bool) -> None:
        self.editor.setReadOnly(read_only)


class CategoriesField(SettingField):
    """A set of case categories: one tick box each."""

    def __init__(self, setting: Setting, on_edit: Callable[[], None]) -> None:
        super().__init__(setting, on_edit)
        self.boxes: dict[Category, QtWidgets.QCheckBox] = {}
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for category in Category:
            box = QtWidgets.QCheckBox(category.short)
            box.setObjectName(f"{setting.key}:{category.value}")
            box.setAccessibleName(f"{setting.label} {category.label}")
            self._describe(box)
            box.toggled.connect(lambda _on: on_edit())
            self.boxes[category] = box
            row.addWidget(box)
        row.addStretch(1)
        self._stack(row)

    @property
    def focus_widget(self) -> QtWidgets.QWidget:
        return self.boxes[next(iter(Category))]

    def value(self) -> Any:
        chosen = frozenset(c for c, box in self.boxes.items() if box.isChecked())
        return self.setting.check(chosen)

    def set_value(self, value: Any) -> None:
        for category, box in self.boxes.items():
            box.setChecked(category in value)

    def set_read_only(self, read_only: bool) -> None:
        for box in self.boxes.values():
            box.setEnabled(not read_only)


class LogoField(SettingField):
    """The council's logo: a preview, what it is, and Choose… / Remove."""

    def __init__(
        self,
        setting: Setting,
        on_edit: Callable[[], None],
        choose_file: Callable[[], Path | None],
        refuse: Callable[[str], None],
        hint: str = "",
    ) -> None:
        super().__init__(setting, on_edit, hint)
        self._logo: Logo | None = None
        self._choose_file = choose_file
        self._refuse = refuse
        self.preview = QtWidgets.QLabel()
        self.preview.setObjectName("logo_preview")
        self.preview.setAccessibleName("Logo preview")
        self.preview.setFixedSize(LOGO_PREVIEW + QtCore.QSize(12, 12))
        self.preview.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.preview.setFrameShape(QtWidgets.QFrame.Shape.StyledPanel)
        self.preview.setStyleSheet("background: white;")
        self.description = QtWidgets.QLabel()
        self.description.setAccessibleName("Logo")
        self.choose_button = QtWidgets.QPushButton("C&hoose…")
        self.choose_button.setAccessibleName("Choose a logo image")
        self._describe(self.choose_button)
        self.remove_button = QtWidgets.QPushButton("Re&move")
        self.remove_button.setAccessibleName("Remove the logo")
        buttons = QtWidgets.QVBoxLayout()
        buttons.addWidget(self.description)
        buttons.addWidget(self.choose_button)
        buttons.addWidget(self.remove_button)
        if self.hint is not None:
            buttons.addWidget(self.hint)
        buttons.addStretch(1)
        row = QtWidgets.QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.preview)
        row.addLayout(buttons)
        row.addStretch(1)
        self._stack(row)
        self.choose_button.clicked.connect(self.choose)
        self.remove_button.clicked.connect(self.remove)
        self._read_only = False

    @property
    def focus_widget(self) -> QtWidgets.QWidget:
        return self.choose_button

    def value(self) -> Any:
        return self.setting.check(self._logo)

    def set_value(self, value: Any) -> None:
        self._logo = value
        self.description.setText("No logo" if value is None else self.setting.to_text(value))
        pixmap = None if value is None else logo_pixmap(value, LOGO_PREVIEW)
        if pixmap is None:
            self.preview.clear()
            self.preview.setText("(no logo)" if value is None else "(cannot show this image)")
        else:
            self.preview.setPixmap(pixmap)
        self._update_buttons()

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.choose_button.setEnabled(not self._read_only)
        self.remove_button.setEnabled(not self._read_only and self._logo is not None)

    @QtCore.Slot()
    def choose(self) -> None:
        path = self._choose_file()
        if path is None:
            return
        try:
            logo = logo_from_bytes(path.read_bytes(), self.setting.key)
        except BadSetting as exc:
            self._refuse(f"{path.name}: {in_words(str(exc), self.setting.key)}")
            return
        except OSError as exc:
            self._refuse(f"Cannot read {path}: {exc.strerror or exc}.")
            return
        self.set_value(logo)
        self.on_edit()

    @QtCore.Slot()
    def remove(self) -> None:
        self.set_value(None)
        self.on_edit()


def _groups(page: Page) -> list[tuple[str, list[Setting]]]:
    """The page's settings, grouped by the first part of their key, in catalogue order."""
    on_page = [s for s in SETTINGS if s.page is page]
    return [
        (prefix, list(members))
        for prefix, members in itertools.groupby(on_page, key=lambda s: s.key.split(".")[0])
    ]


# --- The dialog ----------------------------------------------------------------------------


class SettingsDialog(QtWidgets.QDialog):
    """The settings: the council's on three pages, this desktop's on two.

    Signals:
        preferences_applied: this desktop's preferences were saved (the window applies them).

    Attributes:
        fields: the council's settings' editors by key.
        stored: the council's settings as last read, with the version of each key.
        may_edit_rules: False shows the council's pages read-only (roles, a later issue).
        ok_button, apply_button: the dialog's buttons (disabled while a value is wrong).
    """

    preferences_applied = QtCore.Signal()

    def __init__(
        self,
        context: AppContext | None,
        preferences: Preferences,
        parent: QtWidgets.QWidget | None = None,
        *,
        may_edit_rules: bool = True,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.preferences = preferences
        self.may_edit_rules = may_edit_rules and context is not None
        self.stored = (
            settings_service.load(context.db)
            if context is not None
            else settings_service.Stored(DEFAULT_SETTINGS, {})
        )
        self.fields: dict[str, SettingField] = {}
        self._filling = False
        self._page_items: dict[str, QtWidgets.QListWidgetItem] = {}
        self._restore_buttons: dict[str, QtWidgets.QPushButton] = {}
        self.setWindowTitle("Settings")
        self.setAccessibleName("Settings")
        self.setObjectName("settings_dialog")
        self._fit_to_text()

        self.page_list = QtWidgets.QListWidget()
        self.page_list.setObjectName("settings_pages")
        self.page_list.setAccessibleName("Settings pages")
        self.page_list.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.page_list.setSpacing(3)
        self.page_list.setIconSize(PAGE_ICON)
        self._warning_icon = self.style().standardIcon(
            QtWidgets.QStyle.StandardPixmap.SP_MessageBoxWarning
        )
        blank = QtGui.QPixmap(PAGE_ICON)
        blank.fill(QtCore.Qt.GlobalColor.transparent)
        self._blank_icon = QtGui.QIcon(blank)  # keeps every page's row the same height
        self.stack = QtWidgets.QStackedWidget()
        self.stack.setObjectName("settings_stack")
        for page in COUNCIL_PAGES:
            self._add_page(page.value, self._council_page(page))
        self._add_page(SYNC, self._sync_page())
        self._add_page(DISPLAY, self._display_page())
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.page_list.setCurrentRow(0)
        widest = max(self.fontMetrics().horizontalAdvance(name) for name in self._page_items)
        self.page_list.setFixedWidth(widest + PAGE_ICON.width() + PAGE_LIST_PADDING)

        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Apply
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        self.apply_button = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Apply)
        self.ok_button.setAccessibleName("OK: save and close")
        self.apply_button.setAccessibleName("Apply: save and keep the settings open")
        self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Cancel).setAccessibleName(
            "Cancel: close without saving"
        )
        self.ok_button.clicked.connect(self._ok)
        self.apply_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        self.problem = _error_label("Problem with the settings")
        self.problem.setObjectName("settings_problem")

        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.page_list)
        top.addWidget(self.stack, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)

        self._fill()
        self.check()

    # --- Building ----------------------------------------------------------------------

    def _fit_to_text(self) -> None:
        """A size in lines and characters (so larger text gets a larger dialog), within the
        screen."""
        metrics = self.fontMetrics()
        size = QtCore.QSize(
            metrics.averageCharWidth() * DIALOG_CHARS, metrics.lineSpacing() * DIALOG_LINES
        )
        screen = self.screen().availableGeometry().size() if self.screen() else size
        self.resize(size.boundedTo(screen))

    def _add_page(self, name: str, widget: QtWidgets.QWidget) -> None:
        widget.setObjectName(f"page:{name}")
        widget.setAccessibleName(f"{name} settings")
        self.stack.addWidget(widget)
        item = QtWidgets.QListWidgetItem(name)
        self.page_list.addItem(item)
        self._page_items[name] = item

    def _page(
        self,
        name: str,
        body: QtWidgets.QWidget,
        notes: Iterable[QtWidgets.QLabel],
        *,
        restorable: bool = True,
    ) -> QtWidgets.QWidget:
        """A page: its heading and notes, the body (scrolling when long), Restore defaults."""
        page = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(page)
        layout.setContentsMargins(4, 0, 0, 0)
        heading = QtWidgets.QLabel(f"<h3>{PAGE_HEADINGS[name]}</h3>")
        heading.setAccessibleName(f"{name} settings")
        layout.addWidget(heading)
        for note in notes:
            layout.addWidget(note)
        scroll = QtWidgets.QScrollArea()
        scroll.setAccessibleName(f"{name} settings")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        layout.addWidget(scroll, 1)
        if not restorable:
            return page
        restore = QtWidgets.QPushButton("Restore &defaults")
        restore.setObjectName(f"restore:{name}")
        restore.setAccessibleName(f"Restore the defaults of the {name} page")
        restore.setToolTip("Put the defaults in this page's fields (saved with OK or Apply)")
        restore.clicked.connect(lambda: self.restore_defaults(name))
        self._restore_buttons[name] = restore
        row = QtWidgets.QHBoxLayout()
        row.addStretch(1)
        row.addWidget(restore)
        layout.addLayout(row)
        return page

    def _council_page(self, page: Page) -> QtWidgets.QWidget:
        body = QtWidgets.QWidget()
        column = QtWidgets.QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        labels: list[QtWidgets.QLabel] = []
        for prefix, settings in _groups(page):
            box = QtWidgets.QGroupBox(GROUP_TITLES.get(prefix, prefix.capitalize()))
            box.setAccessibleName(GROUP_TITLES.get(prefix, prefix.capitalize()))
            shared = _shared_help(settings)
            if all(isinstance(s, CategoriesSetting) for s in settings):
                self._category_grid(box, settings, shared)
            else:
                form = QtWidgets.QFormLayout(box)
                form.setFieldGrowthPolicy(
                    QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow
                )
                if shared:
                    form.addRow(_note(shared, f"About {box.title()}"))
                for setting in settings:
                    field = self._field(setting, "" if setting.help == shared else setting.help)
                    label = QtWidgets.QLabel(f"{setting.label}:")
                    label.setToolTip(setting.help)
                    label.setBuddy(field.focus_widget)
                    form.addRow(label, field.widget)
                    labels.append(label)
            column.addWidget(box)
        column.addStretch(1)
        # One label column for the whole page, though each group has its own form.
        width = max((label.sizeHint().width() for label in labels), default=0)
        for label in labels:
            label.setMinimumWidth(width)
        if self.context is None:
            note = (
                "No team database is open: these are the defaults. Open a database to see "
                "and change its settings."
            )
        elif not self.may_edit_rules:
            note = "You can read these settings here; changing them needs a manager who may."
        else:
            note = (
                f"These are the council's settings in {self.context.db.path.name}: everyone "
                "who opens it uses them, and each change is recorded and sent to central records."
            )
        return self._page(page.value, body, [_note(note, f"About the {page.value} page")])

    def _category_grid(
        self, box: QtWidgets.QGroupBox, settings: list[Setting], shared: str
    ) -> None:
        """Roles down, categories across: one tick box where a role may not hold a category."""
        grid = QtWidgets.QGridLayout(box)
        grid.setHorizontalSpacing(6)
        if shared:
            grid.addWidget(_note(shared, f"About {box.title()}"), 0, 0, 1, len(Category) + 2)
        for column, category in enumerate(Category, start=1):
            header = QtWidgets.QLabel(category.short)
            header.setWordWrap(True)  # "Care leaver" in two lines when space is short
            header.setToolTip(category.label)
            header.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
            grid.addWidget(header, 1, column)
        for row, setting in enumerate(settings, start=2):
            field = self._field(setting)
            assert isinstance(field, CategoriesField)
            label = QtWidgets.QLabel(setting.label.removesuffix(" may not hold"))
            label.setToolTip(setting.help)
            grid.addWidget(label, row, 0)
            for column, box_ in enumerate(field.boxes.values(), start=1):
                box_.setText("")
                grid.addWidget(box_, row, column, QtCore.Qt.AlignmentFlag.AlignCenter)
        grid.setColumnStretch(len(Category) + 1, 1)

    def _field(self, setting: Setting, hint: str = "") -> SettingField:
        field: SettingField
        if isinstance(setting, CategoriesSetting):
            field = CategoriesField(setting, self._edited)
        elif isinstance(setting, LogoSetting):
            field = LogoField(setting, self._edited, self._choose_logo, self._refuse_logo, hint)
        else:
            field = LineField(setting, self._edited, hint)
        self.fields[setting.key] = field
        return field

    def _sync_page(self) -> QtWidgets.QWidget:
        body = QtWidgets.QWidget()
        form = QtWidgets.QFormLayout(body)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.central_address = QtWidgets.QLineEdit()
        self.central_address.setObjectName("central_address")
        self.central_address.setAccessibleName("Central server address")
        self.central_address.setPlaceholderText(ADDRESS_EXAMPLE)
        self.central_address.setToolTip(
            "A PostgreSQL address: postgresql://user@host/database, with TLS options after ?"
        )
        self.central_address_error = _error_label("Problem with the central server address")
        self.password = QtWidgets.QLineEdit()
        self.password.setObjectName("central_password")
        self.password.setAccessibleName("Central server password")
        self.password.setEchoMode(QtWidgets.QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Type a password to save it")
        self.password_error = _error_label("Problem with the central server password")
        self.password_note = QtWidgets.QLabel()
        self.password_note.setObjectName("password_note")
        self.password_note.setAccessibleName("Central server password: what happened")
        self.password_note.setWordWrap(True)
        self.password_note.hide()
        password_box = QtWidgets.QWidget()
        password_layout = QtWidgets.QVBoxLayout(password_box)
        password_layout.setContentsMargins(0, 0, 0, 0)
        password_layout.setSpacing(2)
        for widget in (self.password, self.password_error, self.password_note):
            password_layout.addWidget(widget)
        self.sync_folder = QtWidgets.QLineEdit()
        self.sync_folder.setObjectName("sync_folder")
        self.sync_folder.setAccessibleName("Sync folder")
        self.sync_folder.setPlaceholderText("A folder shared with central records")
        browse = QtWidgets.QPushButton("&Browse…")
        browse.setAccessibleName("Choose the sync folder")
        browse.clicked.connect(self._browse_folder)
        self.sync_folder_warning = QtWidgets.QLabel()
        self.sync_folder_warning.setAccessibleName("Sync folder: warning")
        self.sync_folder_warning.setStyleSheet(WARNING_STYLE)
        self.sync_folder_warning.setWordWrap(True)
        self.sync_folder_warning.hide()

        address_label = QtWidgets.QLabel("Central &server:")
        address_label.setBuddy(self.central_address)
        form.addRow(address_label, self._stacked(self.central_address, self.central_address_error))
        password_label = QtWidgets.QLabel("&Password:")
        password_label.setBuddy(self.password)
        form.addRow(password_label, password_box)
        folder_row = QtWidgets.QHBoxLayout()
        folder_row.setContentsMargins(0, 0, 0, 0)
        folder_row.addWidget(self.sync_folder, 1)
        folder_row.addWidget(browse)
        folder = QtWidgets.QWidget()
        folder.setLayout(folder_row)
        folder_label = QtWidgets.QLabel("Sync &folder:")
        folder_label.setBuddy(self.sync_folder)
        form.addRow(folder_label, self._stacked(folder, self.sync_folder_warning))
        self.sync_interval = QtWidgets.QComboBox()
        self.sync_interval.setObjectName("sync_interval")
        self.sync_interval.setAccessibleName("Sync every")
        for minutes in prefs.SYNC_INTERVALS:
            self.sync_interval.addItem(f"{minutes} minute{'' if minutes == 1 else 's'}", minutes)
        self.sync_interval.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToContents
        )
        interval_label = QtWidgets.QLabel("Sync &every:")
        interval_label.setBuddy(self.sync_interval)
        interval_row = QtWidgets.QHBoxLayout()
        interval_row.setContentsMargins(0, 0, 0, 0)
        interval_row.addWidget(self.sync_interval)
        interval_row.addStretch(1)
        form.addRow(interval_label, interval_row)
        for editor in (self.central_address, self.password, self.sync_folder):
            editor.textChanged.connect(lambda _text: self._edited())
        self.sync_interval.currentIndexChanged.connect(lambda _index: self._edited())
        self.password.textChanged.connect(lambda _text: self.password_note.hide())
        note = _note(
            "<p>These are yours, on this computer only.</p>"
            "<p>The central server is a PostgreSQL address, "
            "<i>postgresql://user@host/database</i>, with its options after a ? and an &amp; "
            "between them:</p><ul>"
            "<li><b>sslmode=verify-full</b> encrypts and checks the server's certificate and "
            "name: use it always outside a test network (<b>require</b> encrypts without "
            "checking who answers);</li>"
            "<li><b>sslrootcert=PATH</b> names the council's CA certificate, when this computer "
            "does not know it;</li>"
            "<li><b>sslcert=PATH</b> and <b>sslkey=PATH</b> give this computer's own "
            "certificate, where the server asks for one.</li></ul>"
            "<p>The password is kept in the computer's password store, never in a file or in "
            "the address. Where there is no server, a folder shared with central records "
            "receives each export (a PDF and a JSON file describing it); with both, the server "
            "is used. Sync runs in the background, and at once with Sync &gt; Sync now (F9).</p>",
            "About the Sync page",
        )
        return self._page(SYNC, body, [note], restorable=False)

    def _display_page(self) -> QtWidgets.QWidget:
        body = QtWidgets.QWidget()
        form = QtWidgets.QFormLayout(body)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.text_size = QtWidgets.QComboBox()
        self.text_size.setObjectName("text_size")
        self.text_size.setAccessibleName("Text size")
        for percent in prefs.TEXT_SIZES:
            self.text_size.addItem(f"{TEXT_SIZE_LABELS.get(percent, '')} ({percent}%)", percent)
        self.open_last_team = QtWidgets.QCheckBox("Open the &team I looked at last")
        self.open_last_team.setObjectName("open_last_team")
        self.open_last_team.setAccessibleName("Open the team I looked at last")
        self.open_last_team.setToolTip("Otherwise the board opens on the first team")
        size_label = QtWidgets.QLabel("Te&xt size:")
        size_label.setBuddy(self.text_size)
        form.addRow(size_label, self.text_size)
        form.addRow("", self.open_last_team)
        self.text_size.currentIndexChanged.connect(lambda _index: self._edited())
        self.open_last_team.toggled.connect(lambda _on: self._edited())
        note = _note("These are yours, on this computer only.", "About the Display page")
        return self._page(DISPLAY, body, [note])

    @staticmethod
    def _stacked(top: QtWidgets.QWidget, below: QtWidgets.QWidget) -> QtWidgets.QWidget:
        holder = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(top)
        layout.addWidget(below)
        return holder

    def _fill(self) -> None:
        """Show what is stored: the council's settings and this desktop's preferences."""
        self._filling = True
        try:
            values = self.stored.settings.values
            for key, field in self.fields.items():
                field.set_value(values[key])
                field.set_read_only(not self.may_edit_rules)
            for page in COUNCIL_PAGES:
                self._restore_buttons[page.value].setEnabled(self.may_edit_rules)
            self.central_address.setText(self.preferences.get(prefs.CENTRAL_ADDRESS))
            self.sync_folder.setText(self.preferences.get(prefs.SYNC_FOLDER))
            self.sync_interval.setCurrentIndex(
                max(0, self.sync_interval.findData(self.preferences.get(prefs.SYNC_INTERVAL)))
            )
            self._show_display(
                self.preferences.get(prefs.TEXT_SIZE), self.preferences.get(prefs.OPEN_LAST_TEAM)
            )
        finally:
            self._filling = False

    def _show_display(self, text_size: int, open_last_team: bool) -> None:
        self.text_size.setCurrentIndex(max(0, self.text_size.findData(text_size)))
        self.open_last_team.setChecked(open_last_team)

    # --- Checking ------------------------------------------------------------------------

    def _edited(self) -> None:
        if not self._filling:
            self.check()

    def _typed_values(self) -> tuple[dict[str, Any], dict[str, str]]:
        """The council's values as typed, and what is wrong with those that are not allowed."""
        values: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for key, field in self.fields.items():
            try:
                values[key] = field.value()
            except BadSetting as exc:
                problems[key] = str(exc)
        try:
            check_together({**self.stored.settings.values, **values})
        except BadSetting as exc:
            # Shown under the first field it names that is not wrong on its own already.
            named = [k for k in self.fields if k in str(exc) and k not in problems]
            problems[named[0] if named else ""] = str(exc)
        return values, problems

    def _personal_problems(self) -> dict[QtWidgets.QLabel, str]:
        problems: dict[QtWidgets.QLabel, str] = {}
        address = self.central_address.text().strip()
        if address:
            try:
                url = parse_address(address)
            except BadInput as exc:
                problems[self.central_address_error] = str(exc)
            else:
                if url.password:
                    problems[self.central_address_error] = (
                        "Take the password out of the address and type it under Password: it "
                        "is kept in the password store, never in a settings file."
                    )
        if self.password.text() and not address:
            problems[self.password_error] = (
                "Give the central server's address first: the password is kept for it."
            )
        return problems

    def check(self) -> bool:
        """Show what is wrong under each field; OK and Apply only while nothing is.
        True when every value is allowed."""
        _values, problems = self._typed_values()
        for key, field in self.fields.items():
            field.show_error(in_words(problems[key], key) if key in problems else None)
        self.problem.setText(in_words(problems.get("", "")))
        self.problem.setVisible("" in problems)
        personal = self._personal_problems()
        for label in (self.central_address_error, self.password_error):
            label.setText(personal.get(label, ""))
            label.setVisible(label in personal)
        folder = self.sync_folder.text().strip()
        self.sync_folder_warning.setText(
            "There is no folder there on this computer now." if folder else ""
        )
        self.sync_folder_warning.setVisible(bool(folder) and not Path(folder).is_dir())
        pages_wrong = {self.fields[k].setting.page.value for k in problems if k}
        if personal:
            pages_wrong.add(SYNC)
        for name, item in self._page_items.items():
            item.setIcon(self._warning_icon if name in pages_wrong else self._blank_icon)
            item.setToolTip("Something on this page needs fixing" if name in pages_wrong else "")
        good = not problems and not personal
        self.ok_button.setEnabled(good)
        self.apply_button.setEnabled(good and self.has_changes())
        return good

    def changed_values(self) -> dict[str, Any]:
        """The council's settings whose value differs from the stored one (typed)."""
        values, _problems = self._typed_values()
        stored = self.stored.settings.values
        return {key: value for key, value in values.items() if value != stored[key]}

    def changed_preferences(self) -> dict[prefs.Option[Any], Any]:
        """This desktop's preferences whose shown value differs from the stored one."""
        shown: dict[prefs.Option[Any], Any] = {
            prefs.CENTRAL_ADDRESS: self.central_address.text().strip(),
            prefs.SYNC_FOLDER: self.sync_folder.text().strip(),
            prefs.SYNC_INTERVAL: int(self.sync_interval.currentData()),
            prefs.OPEN_LAST_TEAM: self.open_last_team.isChecked(),
            prefs.TEXT_SIZE: int(self.text_size.currentData()),
        }
        return {o: v for o, v in shown.items() if self.preferences.get(o) != v}

    def has_changes(self) -> bool:
        return bool(
            (self.may_edit_rules and self.changed_values())
            or self.changed_preferences()
            or self.password.text()
        )

    # --- Restoring and saving ------------------------------------------------------------

    def restore_defaults(self, page: str) -> None:
        """Put the defaults in ``page``'s fields; like any edit, saved with OK or Apply."""
        if page == DISPLAY:
            self._show_display(prefs.TEXT_SIZE.default, prefs.OPEN_LAST_TEAM.default)
        elif self.may_edit_rules:
            self._filling = True
            try:
                for field in self.fields.values():
                    if field.setting.page.value == page:
                        field.set_value(field.setting.default)
            finally:
                self._filling = False
        self.check()

    @QtCore.Slot()
    def apply(self) -> bool:
        """Save what changed: the council's settings in one transaction, then this desktop's.
        False when something was not saved (the dialog then says what)."""
        if not self.check():
            return False
        if self.context is not None and self.may_edit_rules:
            changed = self.changed_values()
            if changed:
                try:
                    settings_service.change(
                        self.context.db,
                        changed,
                        expected_versions=self.stored.versions,
                        announcer=self.context.changes,
                    )
                except CaseloadError as exc:
                    Interaction.show_error(self, "Cannot save the settings", str(exc))
                    if isinstance(exc, StaleData):
                        self._read_again()
                    return False
                self.stored = settings_service.load(self.context.db)
        self._save_preferences()
        saved = self._save_password()
        self.check()
        return saved

    @QtCore.Slot()
    def _ok(self) -> None:
        if self.apply():
            self.accept()

    def _read_again(self) -> None:
        """After someone else changed a setting: show their values, keeping this manager's
        edits of the settings nobody else touched."""
        assert self.context is not None
        fresh = settings_service.load(self.context.db)
        old = self.stored
        self._filling = True
        try:
            for key, field in self.fields.items():
                try:
                    edited = field.value() != old.settings.values[key]
                except BadSetting:
                    edited = True
                if not edited or fresh.versions.get(key) != old.versions.get(key):
                    field.set_value(fresh.settings.values[key])
        finally:
            self._filling = False
        self.stored = fresh
        self.check()

    def _save_preferences(self) -> None:
        changed = self.changed_preferences()
        for option, value in changed.items():
            self.preferences.set(option, value)
        if changed:
            self.preferences.sync()
            self.preferences_applied.emit()

    def _save_password(self) -> bool:
        """The central password to the password store; never to a file. With no store it is
        not saved (fail closed), the field is emptied and the page says so."""
        password = self.password.text()
        if not password:
            return True
        address = self.central_address.text().strip()
        self.password.clear()
        try:
            keyring.set_password(PASSWORD_SERVICE, address, password)
        except keyring.errors.KeyringError as exc:
            log.warning("The central password was not saved: %s", type(exc).__name__)
            self._show_password_note(NO_PASSWORD_STORE, ERROR_STYLE)
            self.show_page(SYNC)
            return False
        self._show_password_note(
            f"The password for {address} is saved in this computer's password store.", ""
        )
        return True

    def _show_password_note(self, text: str, style: str) -> None:
        self.password_note.setText(text)
        self.password_note.setStyleSheet(style)
        self.password_note.show()

    # --- Seams -----------------------------------------------------------------------------

    def _choose_logo(self) -> Path | None:
        name, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Choose the council's logo", "", LOGO_FILTER
        )
        return Path(name) if name else None

    def _refuse_logo(self, message: str) -> None:
        Interaction.show_error(self, "Cannot use this logo", message)

    @QtCore.Slot()
    def _browse_folder(self) -> None:
        name = QtWidgets.QFileDialog.getExistingDirectory(
            self, "Choose the sync folder", self.sync_folder.text()
        )
        if name:
            self.sync_folder.setText(name)
            self._edited()

    def show_page(self, name: str) -> None:
        self.page_list.setCurrentItem(self._page_items[name])

    def ask(self) -> bool:
        """Show the dialog until OK or Cancel; True for OK. The seam tests replace."""
        return self.exec() == QtWidgets.QDialog.DialogCode.Accepted
