"""The Sync menu's actions, defined once with text, shortcut and status tip.

The menu, the status bar's Sync now button and its conflicts count reuse these objects (as
``ui.actions`` does for the rest of the window).
"""

from __future__ import annotations

import dataclasses

from PySide6 import QtGui, QtWidgets

SYNC_NOW_SHORTCUT = "F9"  # as mail and feed readers fetch: one key, no modifier
CONFLICTS_SHORTCUT = "Ctrl+Shift+K"


@dataclasses.dataclass(frozen=True)
class SyncActions:
    sync_now: QtGui.QAction
    conflicts: QtGui.QAction
    sync_settings: QtGui.QAction


def create_sync_actions(parent: QtWidgets.QWidget) -> SyncActions:
    sync_now = QtGui.QAction("Sync &now", parent)
    sync_now.setStatusTip(
        "Send the changes made here to central records and bring theirs back, now"
    )
    sync_now.setToolTip(f"Sync now ({SYNC_NOW_SHORTCUT})")
    sync_now.setShortcut(QtGui.QKeySequence(SYNC_NOW_SHORTCUT))
    sync_now.setIcon(parent.style().standardIcon(QtWidgets.QStyle.StandardPixmap.SP_BrowserReload))
    conflicts = QtGui.QAction("&Conflicts…", parent)
    conflicts.setStatusTip(
        "Cases changed here and in central records at once: keep central's allocation or "
        "apply yours again"
    )
    conflicts.setToolTip(conflicts.statusTip())
    conflicts.setShortcut(QtGui.QKeySequence(CONFLICTS_SHORTCUT))
    sync_settings = QtGui.QAction("Sync &settings…", parent)
    sync_settings.setStatusTip("The central server, its password, the shared folder, how often")
    sync_settings.setToolTip(sync_settings.statusTip())
    return SyncActions(sync_now=sync_now, conflicts=conflicts, sync_settings=sync_settings)
