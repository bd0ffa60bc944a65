"""Personal preferences on this desktop (window layout, last team, sync, display, page setup),
in QSettings.

Each option is declared once below (``Option``: where it is stored, its type, its default).
``VERSION`` numbers the shape of what is stored; ``upgrade`` moves older shapes forward one
step at a time (Picard's ``options.py`` and ``config_upgrade.py``). The council's practice rules
are not preferences: they live in the team database (``services.settings``). Passwords are not
preferences either: they go to the platform's password store (the settings dialog), never here.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6 import QtCore

from caseload_desktop import APP_NAME, ORG_NAME

VERSION = 2

PASSWORD_SERVICE = APP_NAME  # as sync/central.py reads it
"""The password store's (``keyring``'s) service name for the central server's password; the
user name is the server's address as stored in ``CENTRAL_ADDRESS``."""

T = TypeVar("T", str, bool, int)


@dataclasses.dataclass(frozen=True)
class Option(Generic[T]):
    """One personal preference.

    Attributes:
        key: where QSettings keeps it ("group/name").
        kind: its type (str, bool or int); a stored value of another shape reads as the default.
        default: the value before anyone chose one.
        choices: when not empty, the only values allowed (others read as the default).
    """

    key: str
    kind: type[T]
    default: T
    choices: tuple[T, ...] = ()

    def read(self, raw: object) -> T:
        """The typed value of what QSettings returned (INI files give back strings)."""
        value = _CONVERT[self.kind](raw)
        if value is None or (self.choices and value not in self.choices):
            return self.default
        assert isinstance(value, self.kind)
        return value


def _to_str(raw: object) -> str | None:
    return raw if isinstance(raw, str) else None


def _to_bool(raw: object) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return None


def _to_int(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            return None
    return None


_CONVERT: dict[type, Callable[[object], object]] = {str: _to_str, bool: _to_bool, int: _to_int}

# --- The options ---------------------------------------------------------------------------

LAST_TEAM = Option("start/last_team", str, "")
"""The team the board showed last, as the team picker names it ("" for none yet)."""
OPEN_LAST_TEAM = Option("start/open_last_team", bool, True)
"""Open the board on the team looked at last (else on the first team)."""
TEXT_SIZES = (100, 115, 130, 150)
TEXT_SIZE = Option("display/text_size_percent", int, 100, choices=TEXT_SIZES)
"""The app's text size, as a percentage of the system's."""
CENTRAL_ADDRESS = Option("sync/central_address", str, "")
"""The central records server, a PostgreSQL URL without its password
(``postgresql://user@host/database?sslmode=verify-full``); the password is in the password
store, under ``PASSWORD_SERVICE`` with this address as the user name."""
SYNC_FOLDER = Option("sync/folder", str, "")
"""The folder central records are exchanged through, where there is no server (with a server
set, the server is used)."""
SYNC_INTERVALS = (1, 5, 15, 30, 60)
SYNC_INTERVAL = Option("sync/interval_minutes", int, 5, choices=SYNC_INTERVALS)
"""Minutes between background syncs (after a failure, the waits grow instead)."""
PAGE_SIZE = Option("print/page_size", str, "")
"""The paper printed on (``PageSetup.page_size``); "" for the printer's own default."""
PAGE_ORIENTATIONS = ("portrait", "landscape")
PAGE_ORIENTATION = Option("print/orientation", str, "portrait", choices=PAGE_ORIENTATIONS)
"""Which way up the paper is printed on."""
PAGE_MARGINS = Option("print/margins_mm", str, "0 0 0 0")
"""The margins around what is printed: left, top, right and bottom in millimetres, with
spaces between (INI files would read commas as a list). None by default: every record carries
its own margins on the page, and the printer keeps the edges it cannot reach all the same."""

OPTIONS: tuple[Option[Any], ...] = (
    LAST_TEAM,
    OPEN_LAST_TEAM,
    TEXT_SIZE,
    CENTRAL_ADDRESS,
    SYNC_FOLDER,
    SYNC_INTERVAL,
    PAGE_SIZE,
    PAGE_ORIENTATION,
    PAGE_MARGINS,
)

MAX_MARGIN_MM = 100.0  # more than this on any side leaves too little of A5 to print on
Margins = tuple[float, float, float, float]  # left, top, right, bottom, in millimetres


@dataclasses.dataclass(frozen=True)
class PageSetup:
    """How printed pages are laid out (File > Page setup), as remembered; every new printer
    starts from it (``ui.printing.new_printer``).

    Attributes:
        page_size: the name of a Qt page size (``QPageSize.PageSizeId``: "A4", "A5",
            "Letter"), or "Custom:WxH" in millimetres ("Custom:200x250"), or "" for the
            printer's own default.
        landscape: printed landscape (else portrait).
        margins_mm: left, top, right and bottom margins in millimetres.
    """

    page_size: str = ""
    landscape: bool = False
    margins_mm: Margins = (0.0, 0.0, 0.0, 0.0)


def _parse_margins(text: str) -> Margins | None:
    """The four margins of ``PAGE_MARGINS``' text, or None when it is not four sensible
    numbers (a file edited by hand)."""
    parts = text.split()
    if len(parts) != 4:
        return None
    try:
        values = [float(part) for part in parts]
    except ValueError:
        return None
    if not all(math.isfinite(v) and 0 <= v <= MAX_MARGIN_MM for v in values):
        return None
    return (values[0], values[1], values[2], values[3])


def _format_mm(value: float) -> str:
    """A length in millimetres to a hundredth, without trailing zeros ("6.35", "10")."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


# --- Upgrade steps -------------------------------------------------------------------------


def _upgrade_to_2(settings: QtCore.QSettings) -> None:
    """Version 1 kept the last team as ``board/last_team``; it now sits in ``start/`` beside
    "open the team I looked at last", the option that decides whether it is used."""
    old = "board/last_team"
    if settings.contains(old):
        if not settings.contains(LAST_TEAM.key):
            settings.setValue(LAST_TEAM.key, settings.value(old))
        settings.remove(old)


# Step n moves a version n-1 file to version n.
_UPGRADES: dict[int, Callable[[QtCore.QSettings], None]] = {2: _upgrade_to_2}


class Preferences:
    """Typed access to this desktop's QSettings (INI format, the user's scope)."""

    def __init__(self, settings: QtCore.QSettings | None = None) -> None:
        self.settings = settings or QtCore.QSettings(
            QtCore.QSettings.Format.IniFormat,
            QtCore.QSettings.Scope.UserScope,
            ORG_NAME,
            APP_NAME,
        )
        self.upgrade()

    def upgrade(self) -> None:
        """Bring what is stored up to ``VERSION``. A file from a newer version is left alone
        (its options read as far as this version knows them)."""
        stored = _to_int(self.settings.value("preferences/version")) or 0
        if stored >= VERSION:
            return
        for version in range(stored + 1, VERSION + 1):
            if version in _UPGRADES:
                _UPGRADES[version](self.settings)
        self.settings.setValue("preferences/version", VERSION)

    # --- Options -------------------------------------------------------------------------

    def get(self, option: Option[T]) -> T:
        return option.read(self.settings.value(option.key))

    def set(self, option: Option[T], value: T) -> None:
        if not isinstance(value, option.kind) or (option.choices and value not in option.choices):
            raise ValueError(f"{option.key} cannot be {value!r}")
        self.settings.setValue(option.key, value)

    # --- Layout (opaque Qt state) --------------------------------------------------------

    def state(self, key: str) -> QtCore.QByteArray | None:
        value = self.settings.value(f"layout/{key}")
        return value if isinstance(value, QtCore.QByteArray) and not value.isEmpty() else None

    def set_state(self, key: str, value: QtCore.QByteArray) -> None:
        self.settings.setValue(f"layout/{key}", value)

    # --- The board ---------------------------------------------------------------------------

    @property
    def last_team(self) -> str:
        """The team the board showed last, as the team picker names it ("" for none yet)."""
        return self.get(LAST_TEAM)

    @last_team.setter
    def last_team(self, name: str) -> None:
        self.set(LAST_TEAM, name)

    @property
    def start_team(self) -> str:
        """The team the board opens on: the last one shown, if the Display preference says so
        ("" for the first team)."""
        return self.last_team if self.get(OPEN_LAST_TEAM) else ""

    # --- Printing ------------------------------------------------------------------------

    @property
    def page_setup(self) -> PageSetup:
        """The page setup every new printer starts from (what makes no sense reads as the
        default)."""
        margins = _parse_margins(self.get(PAGE_MARGINS))
        if margins is None:
            margins = _parse_margins(PAGE_MARGINS.default)
            assert margins is not None
        return PageSetup(
            page_size=self.get(PAGE_SIZE).strip(),
            landscape=self.get(PAGE_ORIENTATION) == "landscape",
            margins_mm=margins,
        )

    @page_setup.setter
    def page_setup(self, setup: PageSetup) -> None:
        margins = " ".join(_format_mm(value) for value in setup.margins_mm)
        if _parse_margins(margins) is None:
            raise ValueError(f"{PAGE_MARGINS.key} cannot be {setup.margins_mm!r}")
        self.set(PAGE_SIZE, setup.page_size)
        self.set(PAGE_ORIENTATION, "landscape" if setup.landscape else "portrait")
        self.set(PAGE_MARGINS, margins)

    def sync(self) -> None:
        self.settings.sync()
