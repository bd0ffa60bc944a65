"""``caseload-desktop``: the GUI entry point.

``caseload-desktop [--db PATH] [--demo]`` opens the main window on a team database: the one
named, the demo service, or (with neither) the default database if it exists.
``caseload-desktop --self-test`` checks that this build works on this machine, offscreen
(``caseload_desktop.selftest``), and exits 0 or 1.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import sys
import types
from collections.abc import Sequence
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from caseload_desktop import APP_NAME, ORG_NAME, __version__, locations, logs
from caseload_desktop.errors import CaseloadError
from caseload_desktop.ui.app_icon import app_icon
from caseload_desktop.ui.garbage import GuiThreadCollector
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
    source.add_argument(
        "--self-test",
        action="store_true",
        help="check that this installation works (offscreen, in a temporary folder), then exit",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    # For ``caseload bench``: show this team ("all": every team), quit once the board is
    # painted, and print the peak memory. Not for users, so not in --help.
    parser.add_argument("--bench-board", metavar="TEAM", help=argparse.SUPPRESS)
    return parser


def _bench_board(app: QtWidgets.QApplication, window: MainWindow, team: str) -> None:
    """Once the window has a board, show ``team`` ("all": every team); when that is loaded,
    paint the window once, print the peak memory and quit."""
    import resource

    def painted() -> None:
        board = window.board
        assert board is not None and board.data is not None
        if (board.data.team_id is None) != (team == "all"):
            return  # the board first loaded the team it opens with: wait for ours
        window.repaint()  # synchronous: the first painted board
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sys.stdout.write(f"peak_rss_kib={peak_kib}\n")
        sys.stdout.flush()
        app.quit()

    def wait_for_board() -> None:
        board = window.board
        if board is None:
            return
        timer.stop()
        board.loaded.connect(painted)
        board.select_team(None if team == "all" else team)

    timer = QtCore.QTimer(app)
    timer.setInterval(5)
    timer.timeout.connect(wait_for_board)
    timer.start()


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


def _enable_faulthandler() -> None:
    """Dump Python stacks on a hard crash: to stderr, or to a file when there is no console
    (a Windows gui-script has ``sys.stderr`` None, and faulthandler refuses None)."""
    if sys.stderr is not None:
        faulthandler.enable()
        return
    folder = locations.data_dir() / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # A bare descriptor, open for the life of the process: faulthandler writes to it when
        # Python itself is failing, and no file object can be collected underneath it.
        descriptor = os.open(folder / "faults.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        faulthandler.enable(descriptor)
    except OSError:
        pass  # no log folder: run without fault dumps rather than not at all


def open_at_start(window: MainWindow, args: argparse.Namespace) -> None:
    """Open what the command line asked for (off the GUI thread, like the File menu does):
    the demo, the named database, or the default database if there is one."""
    if args.demo:
        window.open_demo()
    elif args.db is not None:
        window.open_path(args.db.expanduser())
    elif locations.default_database_path().exists():
        window.open_path(locations.default_database_path())


def run_self_test() -> int:
    """``--self-test``: the report goes to standard output, or, for a program without a
    console (a windowed Windows build), to ``logs/self-test.log`` in the data folder."""
    from caseload_desktop import selftest

    if sys.stdout is not None and sys.stderr is not None:
        return selftest.run()
    folder = locations.data_dir() / "logs"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "self-test.log").open("w", encoding="utf-8") as report:
        return selftest.run(report, report)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _enable_faulthandler()
    if args.self_test:
        return run_self_test()
    app = QtWidgets.QApplication(sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    # Wayland and the desktop's task bar match the window to caseload-desktop.desktop.
    app.setDesktopFileName("caseload-desktop")
    sys.excepthook = _excepthook
    collector = GuiThreadCollector(app)  # Qt objects must not be collected on pool threads

    window = MainWindow()
    window.show()
    QtCore.QTimer.singleShot(0, lambda: open_at_start(window, args))
    if args.bench_board:
        _bench_board(app, window, args.bench_board)
    try:
        return app.exec()
    finally:
        collector.stop()


if __name__ == "__main__":
    sys.exit(main())
