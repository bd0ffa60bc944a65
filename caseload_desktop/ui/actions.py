"""The main window's actions, defined once with text, shortcut and status tip.

Menus, toolbars and context menus reuse these objects; shortcuts are the standard keys where Qt
has one, so each platform gets its own convention.
"""

from __future__ import annotations

import dataclasses

from PySide6 import QtGui, QtWidgets


@dataclasses.dataclass(frozen=True)
class Actions:
    new_database: QtGui.QAction
    open_database: QtGui.QAction
    open_demo: QtGui.QAction
    change_passphrase: QtGui.QAction
    encrypt_database: QtGui.QAction
    export_summary: QtGui.QAction
    export_summary_csv: QtGui.QAction
    page_setup: QtGui.QAction
    print_preview: QtGui.QAction
    print_summary: QtGui.QAction
    refresh: QtGui.QAction
    reassign: QtGui.QAction
    worker_leaving: QtGui.QAction
    allocate_queue: QtGui.QAction
    start_supervision: QtGui.QAction
    supervision_records: QtGui.QAction
    undo_history: QtGui.QAction
    settings: QtGui.QAction
    quit: QtGui.QAction
    about: QtGui.QAction


def _action(
    parent: QtWidgets.QWidget,
    text: str,
    tip: str,
    shortcut: QtGui.QKeySequence.StandardKey | None = None,
) -> QtGui.QAction:
    action = QtGui.QAction(text, parent)
    action.setStatusTip(tip)
    action.setToolTip(tip)
    if shortcut is not None:
        action.setShortcut(QtGui.QKeySequence(shortcut))
    return action


REASSIGN_SHORTCUT = "Ctrl+R"


def _reassign_action(parent: QtWidgets.QWidget) -> QtGui.QAction:
    action = _action(
        parent, "&Reassign to…", "Move the selected cases to a worker or back to the queue"
    )
    action.setShortcut(QtGui.QKeySequence(REASSIGN_SHORTCUT))
    return action


SUPERVISION_SHORTCUT = "Ctrl+Shift+S"  # S for supervision; the app has no "Save as"


def _start_supervision_action(parent: QtWidgets.QWidget) -> QtGui.QAction:
    action = _action(
        parent,
        "&Start supervision…",
        "Start a supervision session with the worker selected on the board",
    )
    action.setShortcut(QtGui.QKeySequence(SUPERVISION_SHORTCUT))
    return action


SETTINGS_SHORTCUT = "Ctrl+,"  # where the platform has no Preferences key (Windows, Linux)


def _settings_action(parent: QtWidgets.QWidget) -> QtGui.QAction:
    action = _action(
        parent, "&Settings…", "The council's rules and record style, and your own preferences"
    )
    # macOS moves it to the application menu as Preferences…, with its standard key.
    action.setMenuRole(QtGui.QAction.MenuRole.PreferencesRole)
    standard = QtGui.QKeySequence.keyBindings(QtGui.QKeySequence.StandardKey.Preferences)
    action.setShortcuts(standard or [QtGui.QKeySequence(SETTINGS_SHORTCUT)])
    return action


def _checkable(action: QtGui.QAction) -> QtGui.QAction:
    action.setCheckable(True)
    return action


def create_actions(parent: QtWidgets.QWidget) -> Actions:
    keys = QtGui.QKeySequence.StandardKey
    about = _action(parent, "&About Caseload Desktop", "Version, database and data folder")
    about.setMenuRole(QtGui.QAction.MenuRole.AboutRole)
    quit_ = _action(parent, "&Quit", "Close Caseload Desktop", keys.Quit)
    quit_.setMenuRole(QtGui.QAction.MenuRole.QuitRole)
    return Actions(
        new_database=_action(parent, "&New database…", "Create an empty team database", keys.New),
        open_database=_action(parent, "&Open database…", "Open a team database file", keys.Open),
        open_demo=_action(
            parent, "Open the &demo service", "Open (or create) the fictional demo database"
        ),
        change_passphrase=_action(
            parent,
            "C&hange database passphrase…",
            "Give the open database a new passphrase; the current one stops working",
        ),
        encrypt_database=_action(
            parent,
            "Encr&ypt this database…",
            "Encrypt the open database, so that it cannot be read without a passphrase",
        ),
        export_summary=_action(
            parent,
            "&Export caseload summary…",
            "Write the caseload summary of the team on the board (of the service for all "
            "teams) as a PDF",
        ),
        export_summary_csv=_action(
            parent,
            "Export caseload summary as &CSV…",
            "Write the tables of the caseload summary as CSV files, for a spreadsheet",
        ),
        page_setup=_action(
            parent, "Page set&up…", "The paper, orientation and margins of everything you print"
        ),
        print_preview=_action(
            parent,
            "Print pre&view…",
            "See the caseload summary of the team on the board (of the service for all "
            "teams) as it will print",
        ),
        print_summary=_action(
            parent,
            "&Print caseload summary…",
            "Print the caseload summary of the team on the board (of the service for all teams)",
            keys.Print,
        ),
        refresh=_action(parent, "&Refresh", "Read the board again", keys.Refresh),
        reassign=_reassign_action(parent),
        worker_leaving=_action(
            parent, "Worker &leaving…", "Plan where a leaving worker's cases go, then apply it"
        ),
        allocate_queue=_action(
            parent,
            "&Allocate the queue…",
            "Propose workers for the team's orphaned and unallocated cases, within capacity",
        ),
        start_supervision=_start_supervision_action(parent),
        supervision_records=_action(
            parent,
            "Supervision &records…",
            "The supervision records of the worker selected on the board: carry on a draft, "
            "or read, export or print a final record",
        ),
        undo_history=_checkable(
            _action(parent, "Undo &history", "Show the changes you can undo and redo")
        ),
        settings=_settings_action(parent),
        quit=quit_,
        about=about,
    )
