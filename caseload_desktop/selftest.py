"""``caseload-desktop --self-test``: does this build of the app work on this machine?

It runs offscreen (``QT_QPA_PLATFORM=offscreen`` unless a platform is already set), in a
temporary folder that is also the data folder, in a few seconds, and checks in turn that the
app:

1. knows its version and finds its resources and both sets of migrations (the local team
   database's and the central records');
2. creates a demo database (the fictional demo service) at the current schema;
3. opens the main window on it and fills the board with the inspection team;
4. reassigns an unallocated case through the reassignment service (allocation, audit and
   outbox rows in one transaction), and sees the board re-read with the case moved;
5. records a supervision session with that worker, finalises it and exports its PDF, which
   Qt's PDF reader opens, and whose SHA-256 is the one stored when it was finalised;
6. shows the About dialog with the version, schema revision and data folder;
7. creates and reopens an encrypted (SQLCipher) database that plain SQLite cannot read;
8. loads what only some paths reach: the PostgreSQL driver for central records (with its own
   libpq), England and Wales bank holidays, Excel reading, and the keyring.

Each check prints a line as it passes. The first failure stops it with a message that names
the check, and ``run`` returns 1 (a traceback follows an unexpected error). Nothing outside
the temporary folder is touched: not the user's databases, preferences (an INI file in the
folder is used) or passwords (the keyring is only asked which backend it would use).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import os
import platform
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

import sqlalchemy as sa

from PySide6 import QtCore, QtPdf, QtWidgets

from caseload_desktop import APP_NAME, __version__, clock, locations
from caseload_desktop.context import AppContext, open_context
from caseload_desktop.domain.categories import Role
from caseload_desktop.errors import CaseloadError
from caseload_desktop.services import reassignment, supervision
from caseload_desktop.services.supervision import DiscussionInput, DraftInput
from caseload_desktop.store import demo, encryption, queries
from caseload_desktop.store.engine import (
    Passphrase,
    connect_raw,
    create_database,
    head_revision,
    open_database,
)
from caseload_desktop.store.models import AuditEvent, OutboxEvent
from caseload_desktop.ui.dialogs.about_dialog import AboutDialog, AboutFacts
from caseload_desktop.ui.garbage import GuiThreadCollector
from caseload_desktop.ui.main_window import MainWindow
from caseload_desktop.ui.preferences import Preferences
from caseload_desktop.ui.widgets.caseload_board import CaseloadBoard

DEMO_SEED = 1
DEMO_CASES = 240  # a few teams, the inspection team among them; created in about a second
WAIT_SECONDS = 15.0  # for the board to fill (it reads on a worker thread)
ACTOR = "self-test"
PASSPHRASE = "self-test passphrase, not a secret"  # for a throwaway file in the temp folder
# Files the app cannot work without, under resources/ and migrations/.
REQUIRED_FILES = (
    "resources/fonts/DejaVuSans.ttf",
    "resources/fonts/DejaVuSans-Bold.ttf",
    "resources/fonts/DejaVuSans-Oblique.ttf",
    "resources/images/default-logo.svg",
    "resources/icons/caseload-desktop.svg",
    "resources/icons/caseload-desktop-256.png",
    "migrations/env.py",
    "migrations/central/env.py",
)
# Qt's offscreen platform says this whenever a window is shown; it means nothing here.
QUIET_QT_MESSAGES = ("This plugin does not support propagateSizeHints",)
# The platform's keyring backend: where the central server's password is kept.
KEYRING_BACKENDS = {
    "linux": "keyring.backends.SecretService",
    "win32": "keyring.backends.Windows",
    "darwin": "keyring.backends.macOS",
}


class SelfTestFailed(Exception):
    """A check found this build broken; the message says what, for the person running it."""


@dataclasses.dataclass(frozen=True)
class Check:
    """One check: its name, and what runs it (returns a line saying what it found)."""

    name: str
    run: Callable[[], str]


@contextlib.contextmanager
def _environment(data_folder: Path) -> Iterator[None]:
    """The data folder in the temporary folder (logs, backups); no default database."""
    saved = {name: os.environ.get(name) for name in (locations.DATA_DIR_VARIABLE, "CASELOAD_DB")}
    os.environ[locations.DATA_DIR_VARIABLE] = str(data_folder)
    os.environ.pop("CASELOAD_DB", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _quiet_qt() -> Iterator[None]:
    """Drop Qt's known offscreen noise; pass every other message on as before."""
    previous: Callable[..., None] | None = None

    def handler(kind: QtCore.QtMsgType, where: QtCore.QMessageLogContext, message: str) -> None:
        if message.startswith(QUIET_QT_MESSAGES):
            return
        if previous is not None:
            previous(kind, where, message)
        else:
            sys.stderr.write(message + "\n")

    previous = QtCore.qInstallMessageHandler(handler)
    try:
        yield
    finally:
        QtCore.qInstallMessageHandler(previous)


def _count(context: AppContext, table: type[AuditEvent] | type[OutboxEvent]) -> int:
    with context.db.read() as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


class SelfTest:
    """The checks, in order, and what they share (the folder, the demo, the window).

    Attributes:
        folder: the temporary folder everything is written to.
        app: the running QApplication.
        context: the demo database, once created.
        window: the main window, once open.
        moved_case: (case id, case ref) of the case reassigned.
        target: (worker id, name) of the worker it went to.
    """

    def __init__(self, folder: Path, app: QtWidgets.QApplication) -> None:
        self.folder = folder
        self.app = app
        self.context: AppContext | None = None
        self.window: MainWindow | None = None
        self.moved_case: tuple[int, str] | None = None
        self.target: tuple[int, str] | None = None

    def checks(self) -> list[Check]:
        return [
            Check("version", self.check_version),
            Check("app files", self.check_files),
            Check("demo database", self.check_demo_database),
            Check("main window and board", self.check_board),
            Check("reassignment", self.check_reassignment),
            Check("supervision PDF", self.check_supervision_pdf),
            Check("About", self.check_about),
            Check("encrypted database", self.check_encrypted_database),
            Check("central records driver", self.check_central_driver),
            Check("bank holidays", self.check_bank_holidays),
            Check("Excel files", self.check_excel),
            Check("keyring", self.check_keyring),
        ]

    # --- Helpers ---------------------------------------------------------------------------

    def _wait_until(self, condition: Callable[[], bool], what: str) -> float:
        """Run the event loop until ``condition`` holds; the seconds it took."""
        start = time.monotonic()
        while not condition():
            if time.monotonic() - start > WAIT_SECONDS:
                raise SelfTestFailed(f"{what} did not happen within {WAIT_SECONDS:g} s.")
            self.app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 20)
            QtCore.QThread.msleep(5)  # the board reads on a worker thread: let it run
        return time.monotonic() - start

    def _board(self) -> CaseloadBoard:
        if self.window is None or self.window.board is None:
            raise SelfTestFailed("the main window shows no board.")
        return self.window.board

    def _context(self) -> AppContext:
        if self.context is None:
            raise SelfTestFailed("no database is open (an earlier check failed).")
        return self.context

    # --- Checks ----------------------------------------------------------------------------

    def check_version(self) -> str:
        if not __version__ or "unknown" in __version__:
            raise SelfTestFailed(
                f"the app does not know its version ({__version__!r}): the package metadata "
                "is missing from this build."
            )
        return (
            f"{APP_NAME} {__version__} on Python {platform.python_version()}, "
            f"Qt {QtCore.qVersion()}, {platform.system()} {platform.machine()} "
            f"({QtWidgets.QApplication.platformName()} display)"
        )

    def check_files(self) -> str:
        resources, migrations = locations.resources_dir(), locations.migrations_dir()
        found = {
            name
            for name in REQUIRED_FILES
            for folder in (resources, migrations)
            if name.startswith(folder.name + "/") and (folder.parent / name).is_file()
        }
        missing = [name for name in REQUIRED_FILES if name not in found]
        if missing:
            raise SelfTestFailed("missing from this build: " + ", ".join(missing))
        bundled = getattr(sys, "_MEIPASS", None)
        if bundled is not None:
            outside = [
                str(folder)
                for folder in (resources, migrations)
                if not folder.is_relative_to(bundled)
            ]
            if outside:
                raise SelfTestFailed(
                    "the bundle uses files from outside itself: " + ", ".join(outside)
                )
        from caseload_desktop.sync import central

        local, central_head = head_revision(), central.head_revision()
        return (
            f"resources in {resources}, migrations in {migrations}; schema heads: "
            f"local {local}, central {central_head}"
        )

    def check_demo_database(self) -> str:
        path = self.folder / "demo.db"
        summary = demo.create_demo_database(
            path, seed=DEMO_SEED, cases=DEMO_CASES, today=clock.today()
        )
        self.context = open_context(path)
        revision = self.context.db.revision
        if revision != head_revision():
            raise SelfTestFailed(f"the new database is at {revision}, not {head_revision()}.")
        return (
            f"{summary.cases} cases, {summary.workers} workers in {summary.teams} teams; "
            f"schema {revision}"
        )

    def check_board(self) -> str:
        context = self._context()
        preferences = Preferences(
            QtCore.QSettings(
                str(self.folder / "preferences.ini"), QtCore.QSettings.Format.IniFormat
            )
        )
        self.window = MainWindow(context, preferences)
        self.window.show()
        board = self._board()
        board.select_team(demo.INSPECTION_TEAM)
        took = self._wait_until(
            lambda: (
                board.data is not None
                and board.data.team_id is not None
                and board.data.team_id == board.team_id
                and board.workers_model.rowCount() > 0
            ),
            f"filling the board with {demo.INSPECTION_TEAM}",
        )
        waiting = board.unallocated_model.total()
        if waiting == 0:
            raise SelfTestFailed(f"the board shows no unallocated case in {demo.INSPECTION_TEAM}.")
        shot = self.window.grab()
        if shot.isNull():
            raise SelfTestFailed("the main window could not be drawn.")
        return (
            f"{demo.INSPECTION_TEAM}: {board.workers_model.rowCount()} workers, "
            f"{board.orphaned_model.total()} orphaned, {waiting} unallocated; filled in "
            f"{took:.2f} s, drawn at {shot.width()}x{shot.height()}"
        )

    def check_reassignment(self) -> str:
        context, board = self._context(), self._board()
        assert board.data is not None
        table = board.data.cases
        case_id = board.unallocated_model.case_id(0)
        row = next(r for r in table.rows if r[queries.C_CASE_ID] == case_id)
        worker = next(
            (
                w
                for w in board.data.workers
                if w.status == "active" and w.role is Role.SOCIAL_WORKER
            ),
            None,
        )
        if worker is None:
            raise SelfTestFailed(f"no social worker in post in {demo.INSPECTION_TEAM}.")
        waiting_before = board.unallocated_model.total()
        audit_before, outbox_before = _count(context, AuditEvent), _count(context, OutboxEvent)
        result = reassignment.reassign(
            context.db,
            reassignment.Request(
                case_ids=(case_id,),
                to_worker_id=worker.worker_id,
                expected_versions={case_id: row[queries.C_VERSION]},
                accept_over_capacity=True,
            ),
            rules=context.rules,
            today=context.today(),
            actor=ACTOR,
            announcer=context.changes,
        )
        if case_id not in {m.case_id for m in result.moved}:
            raise SelfTestFailed(f"the service did not move {row[queries.C_CASE_REF]}.")
        if _count(context, AuditEvent) <= audit_before:
            raise SelfTestFailed("the reassignment wrote no audit event.")
        if _count(context, OutboxEvent) <= outbox_before:
            raise SelfTestFailed("the reassignment wrote no outbox event for central records.")

        def moved_on_board() -> bool:
            data = board.data
            return data is not None and any(
                r[queries.C_CASE_ID] == case_id and r[queries.C_WORKER_ID] == worker.worker_id
                for r in data.cases.rows
            )

        took = self._wait_until(moved_on_board, "the board re-reading after the reassignment")
        waiting = board.unallocated_model.total()
        if waiting >= waiting_before:
            raise SelfTestFailed(
                f"the board still shows {waiting} unallocated cases (was {waiting_before})."
            )
        self.moved_case = (case_id, str(row[queries.C_CASE_REF]))
        self.target = (worker.worker_id, worker.worker)
        return (
            f"{self.moved_case[1]} to {worker.worker} with audit and outbox events; the board "
            f"re-read in {took:.2f} s ({waiting} unallocated, was {waiting_before})"
        )

    def check_supervision_pdf(self) -> str:
        context = self._context()
        if self.moved_case is None or self.target is None:
            raise SelfTestFailed("no case was reassigned (an earlier check failed).")
        (case_id, case_ref), (worker_id, worker) = self.moved_case, self.target
        today = context.today()
        session_id = supervision.create_draft(
            context.db,
            worker_id,
            DraftInput(
                held_on=today,
                attendees=(worker, ACTOR),
                wellbeing="Recorded by the self-test of the installed app.",
                discussions=(
                    DiscussionInput(case_id, current_position="Allocated by the self-test."),
                ),
            ),
            actor=ACTOR,
            today=today,
        )
        stored = supervision.finalise(
            context.db,
            session_id,
            expected_version=1,
            actor=ACTOR,
            rules=context.rules,
            style=context.records,
        )
        path = self.folder / "supervision.pdf"
        exported = supervision.export_pdf(
            context.db, session_id, path, rules=context.rules, style=context.records
        )
        data = path.read_bytes()
        if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-64:]:
            raise SelfTestFailed(f"{path.name} is not a whole PDF file.")
        actual = hashlib.sha256(data).hexdigest()
        row = supervision.session_row(context.db, session_id)
        if not actual == exported == stored == row.pdf_sha256:
            raise SelfTestFailed(
                f"the PDF's SHA-256 {actual} is not the one stored when it was finalised "
                f"({row.pdf_sha256})."
            )
        record = supervision.load_record(context.db, session_id, context.rules)
        if case_ref not in {r.case_ref for r in record.reassignments}:
            raise SelfTestFailed(f"the record does not list the day's move of {case_ref}.")
        pages, text = _read_pdf(path)
        if row.record_id not in text or case_ref not in text:
            raise SelfTestFailed(f"the PDF does not show {row.record_id} and {case_ref}.")
        return (
            f"{row.record_id}, {pages} page{'s' if pages != 1 else ''}, {len(data):,} bytes, "
            f"read back by Qt PDF; SHA-256 {actual[:12]}… as stored"
        )

    def check_about(self) -> str:
        context = self._context()
        facts = AboutFacts.gather(context)
        dialog = AboutDialog(facts, self.window)
        try:
            shown = {label: widget.text() for label, widget in dialog.values.items()}
        finally:
            dialog.deleteLater()
        expected = {
            "Version": __version__,
            "Schema revision": context.db.revision,
            "Data folder": str(locations.data_dir()),
        }
        wrong = [label for label, value in expected.items() if shown.get(label) != value]
        if wrong:
            raise SelfTestFailed("About shows the wrong " + ", ".join(wrong).lower() + ".")
        return (
            f"shows version {shown['Version']}, schema revision {shown['Schema revision']} "
            "and the data folder"
        )

    def check_encrypted_database(self) -> str:
        path, key = self.folder / "encrypted.db", Passphrase(PASSPHRASE)
        create_database(path, key).close()
        if not encryption.is_encrypted(path):
            raise SelfTestFailed("a database created with a passphrase is not encrypted.")
        db, _ = open_database(path, key=key, daily_backup=False)
        try:
            revision = db.revision
        finally:
            db.close()
        connection = connect_raw(path, key)
        try:
            cipher = connection.execute("PRAGMA cipher_version").fetchone()[0]
        finally:
            connection.close()
        plain = sqlite3.connect(path)
        try:
            plain.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError:
            pass
        else:
            raise SelfTestFailed("plain SQLite reads the encrypted database.")
        finally:
            plain.close()
        return f"SQLCipher {cipher}: created, reopened at {revision}, unreadable without the key"

    def check_central_driver(self) -> str:
        import psycopg

        implementation = psycopg.pq.__impl__
        if implementation not in ("binary", "c"):
            raise SelfTestFailed(
                f"the PostgreSQL driver uses the {implementation} implementation: its own "
                "libpq is missing from this build."
            )
        # Builds the dialect and loads the driver; connects to nothing.
        engine = sa.create_engine("postgresql+psycopg://self-test@localhost/self-test")
        try:
            driver = f"{engine.dialect.name}+{engine.dialect.driver}"
        finally:
            engine.dispose()
        libpq = psycopg.pq.version()
        return f"{driver}, psycopg {psycopg.__version__} ({implementation}, libpq {libpq})"

    def check_bank_holidays(self) -> str:
        from caseload_desktop.domain import timescales

        christmas_eve = dt.date(2026, 12, 24)
        after = timescales.add_working_days(christmas_eve, 1)
        # Christmas Day is a Friday, Boxing Day a Saturday: its substitute is Monday 28th.
        if after != dt.date(2026, 12, 29):
            raise SelfTestFailed(
                f"the working day after 24 Dec 2026 came out as {after}, not 29 Dec 2026: the "
                "bank holidays of England and Wales are missing."
            )
        return "the working day after 24 Dec 2026 is Tue 29 Dec (England and Wales)"

    def check_excel(self) -> str:
        import openpyxl

        path = self.folder / "extract.xlsx"
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["case_ref", "child"])
        sheet.append(["C-000001", "Zoë Łukasz"])
        book.save(path)
        read = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            rows = [tuple(r) for r in read.worksheets[0].iter_rows(values_only=True)]
        finally:
            read.close()
        if rows != [("case_ref", "child"), ("C-000001", "Zoë Łukasz")]:
            raise SelfTestFailed(f"an Excel file read back wrong: {rows}")
        return f"openpyxl {openpyxl.__version__}: wrote and read back an .xlsx"

    def check_keyring(self) -> str:
        import importlib

        import keyring

        module = KEYRING_BACKENDS.get(sys.platform)
        if module is not None:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                raise SelfTestFailed(f"the keyring backend {module} is missing: {exc}") from exc
        backend = keyring.get_keyring()
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        if name.startswith("keyring.backends.fail"):
            return (
                f"{module} is in this build; no password store answers here (a desktop "
                "session provides one)"
            )
        return f"uses {name}"

    # --- Running ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the window (which closes its database) or the database."""
        if self.window is not None:
            self.window.close()
            self.window.deleteLater()
            self.window = None
        elif self.context is not None:
            self.context.close()
        self.context = None
        self.app.processEvents()


def _read_pdf(path: Path) -> tuple[int, str]:
    """Open ``path`` with Qt's PDF reader (PDFium): its page count and first page's text."""
    document = QtPdf.QPdfDocument()
    try:
        error = document.load(str(path))
        if error != QtPdf.QPdfDocument.Error.None_:
            raise SelfTestFailed(f"Qt's PDF reader cannot open {path.name}: {error.name}.")
        pages = document.pageCount()
        if pages < 1:
            raise SelfTestFailed(f"{path.name} has no pages.")
        image = document.render(0, QtCore.QSize(298, 421))
        if image.isNull():
            raise SelfTestFailed(f"Qt's PDF reader cannot draw {path.name}.")
        return pages, document.getAllText(0).text()
    finally:
        document.close()


def run(out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run every check, printing each as it passes; 0 when all pass, 1 at the first failure."""
    out = sys.stdout if out is None else out
    err = sys.stderr if err is None else err
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    existing = QtWidgets.QApplication.instance()
    if existing is not None and not isinstance(existing, QtWidgets.QApplication):
        err.write("Self-test FAILED: a QCoreApplication is running; it needs a QApplication.\n")
        return 1
    app = existing or QtWidgets.QApplication(sys.argv[:1])
    collector = GuiThreadCollector(app)  # as in the app: Qt objects die on the GUI thread
    where = "standalone bundle" if getattr(sys, "frozen", False) else "Python environment"
    out.write(f"{APP_NAME} self-test ({__version__}, {where})\n")
    out.flush()
    started = time.monotonic()
    passed = 0
    with (
        tempfile.TemporaryDirectory(
            prefix="caseload-self-test-", ignore_cleanup_errors=True
        ) as tmp,
        _environment(Path(tmp) / "data"),
        _quiet_qt(),
    ):
        test = SelfTest(Path(tmp), app)
        try:
            for check in test.checks():
                check_started = time.monotonic()
                try:
                    found = check.run()
                except (SelfTestFailed, CaseloadError) as exc:
                    return _failed(out, err, check.name, str(exc), passed)
                except Exception as exc:
                    detail = "".join(traceback.format_exception(exc))
                    return _failed(
                        out,
                        err,
                        check.name,
                        f"unexpected {type(exc).__name__}: {exc}",
                        passed,
                        detail,
                    )
                passed += 1
                took = time.monotonic() - check_started
                out.write(f"  ok  {check.name}: {found} ({took:.2f} s)\n")
                out.flush()
        finally:
            test.close()
            collector.stop()
            collector.deleteLater()
    out.write(f"Self-test passed: {passed} checks in {time.monotonic() - started:.1f} s.\n")
    out.flush()
    return 0


def _failed(
    out: TextIO, err: TextIO, name: str, message: str, passed: int, detail: str = ""
) -> int:
    out.flush()
    err.write(f"  FAILED  {name}: {message}\n")
    if detail:
        err.write(detail)
    err.write(f"Self-test FAILED at {name!r} ({passed} checks passed before it).\n")
    err.flush()
    return 1
