"""``caseload-desktop``: the GUI entry point.

``caseload-desktop [--db PATH] [--demo]`` opens the main window on a team database: the one
named, the demo service, or (with neither) the default database if it exists.
"""

from __future__ import annotations

import argparse
import faulthandler
import sys
import types
from collections.abc import Sequence
from pathlib import Path

from PySide6 import QtWidgets

from caseload_desktop import APP_NAME, ORG_NAME, __version__, locations, logs
from caseload_desktop.context import AppContext, open_context, open_demo_context
from caseload_desktop.errors import CaseloadError
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.main_window import MainWindow


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="caseload-desktop", description=f"{APP_NAME}: open the main window."
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--db", type=Path, metavar="PATH", help="team database to open")
    source.add_argument(
        "--demo", action="store_true", help="open the fictional demo service (created on first use)"
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def _excepthook(
    kind: type[BaseException], exc: BaseException, tb: types.TracebackType | None
) -> None:
    """Unexpected errors in slots: write the traceback down and tell the user where."""
    if issubclass(kind, CaseloadError):
        Interaction.show_error(QtWidgets.QApplication.activeWindow(), APP_NAME, str(exc))
        return
    report = logs.write_crash_report(exc.with_traceback(tb))
    sys.__excepthook__(kind, exc, tb)
    where = f"\n\nDetails were written to {report}." if report else ""
    Interaction.show_error(
        QtWidgets.QApplication.activeWindow(),
        f"{APP_NAME}: unexpected error",
        f"Something went wrong that should not have: {exc}{where}",
    )


def initial_context(args: argparse.Namespace) -> AppContext | None:
    """The database to open at start: raises ``CaseloadError`` when it cannot be opened."""
    if args.demo:
        return open_demo_context()
    if args.db is not None:
        return open_context(args.db.expanduser())
    default = locations.default_database_path()
    return open_context(default) if default.exists() else None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    faulthandler.enable()
    app = QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationVersion(__version__)
    sys.excepthook = _excepthook

    window = MainWindow()
    window.show()
    try:
        window.set_context(initial_context(args))
    except CaseloadError as exc:
        Interaction.show_error(window, f"Cannot open the database - {APP_NAME}", str(exc))
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
