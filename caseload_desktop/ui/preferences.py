"""Personal preferences on this desktop (window layout, last team), kept with QSettings.

Declared once here with their types and defaults. ``VERSION`` numbers the shape of what is
stored; ``upgrade`` moves older shapes forward (Picard's ``config_upgrade.py``). The council's
practice rules are not preferences: they live in the database (the settings issue).
"""

from __future__ import annotations

from PySide6 import QtCore

from caseload_desktop import APP_NAME, ORG_NAME

VERSION = 1


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
        stored = int(self.settings.value("preferences/version", 0, type=int))  # type: ignore[call-overload]
        if stored < VERSION:
            # Version 1 is the first shape: nothing to move yet.
            self.settings.setValue("preferences/version", VERSION)

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
        return str(self.settings.value("board/last_team", "", type=str))

    @last_team.setter
    def last_team(self, name: str) -> None:
        self.settings.setValue("board/last_team", name)

    def sync(self) -> None:
        self.settings.sync()
