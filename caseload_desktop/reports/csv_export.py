"""The caseload summary's tables as CSV files a spreadsheet opens cleanly.

UTF-8 with a byte-order mark (Excel then reads names like Zoë correctly), ISO dates, numbers
as numbers, and any text cell that a spreadsheet would run as a formula (starting with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return) prefixed with an apostrophe (OWASP's advice
against CSV injection): a child's or worker's name comes from outside and is never trusted.

One summary writes several files beside each other: ``NAME.csv`` holds the workers (one row a
worker) and ``NAME.orphaned.csv``, ``NAME.unallocated.csv``, ``NAME.held_by_manager.csv``,
``NAME.timescales.csv`` (and, for the service, ``NAME.teams.csv``) hold the other tables.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path

from caseload_desktop.domain.caseload import load_percent
from caseload_desktop.domain.categories import Category
from caseload_desktop.errors import BadInput
from caseload_desktop.reports.styles import check_destination
from caseload_desktop.services.summaries import ServiceSummary, TeamSummary
from caseload_desktop.store.queries import OpenCaseRow, WorkerCaseloadRow

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A timescale row carries its category's short label; every file names categories by code.
_CATEGORY_CODE = {c.short: c.value for c in Category}

Cell = str | int | Decimal | dt.date | None


def safe_cell(value: Cell) -> str | int | Decimal:
    """A value as a CSV cell: dates ISO, None empty, formula-like text defused."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | Decimal):
        return value
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue()


def _worker_rows(
    workers: Iterable[WorkerCaseloadRow],
) -> tuple[list[str], list[list[Cell]]]:
    header = [
        "team",
        "worker",
        "staff_id",
        "role",
        "employment",
        "fte",
        "status",
        "left_on",
        "cases",
        *(f"cases_{c.value}" for c in Category),
        "weighted",
        "capacity",
        "percent",
        "rag",
    ]
    rows: list[list[Cell]] = [
        [
            w.team,
            w.worker,
            w.staff_id,
            w.role.value,
            w.employment.value,
            w.fte,
            w.status,
            w.end_date,
            w.cases,
            *(w.by_category.get(c, 0) for c in Category),
            w.weighted,
            w.capacity,
            load_percent(w.weighted, w.capacity),
            w.rag.value,
        ]
        for w in workers
    ]
    return header, rows


def _queue_rows(team: str, rows: Iterable[OpenCaseRow]) -> list[list[Cell]]:
    return [
        [
            team,
            r.case_ref,
            r.child,
            r.category.value,
            r.worker,
            r.worker_staff_id,
            r.worker_left_on,
            r.allocated_on or r.opened_on,
            r.days_waiting if r.days_waiting is not None else r.days_since_left,
        ]
        for r in rows
    ]


_QUEUE_HEADER = [
    "team",
    "case_ref",
    "child",
    "category",
    "worker",
    "staff_id",
    "worker_left_on",
    "since",
    "days",
]
_DUE_HEADER = [
    "team",
    "case_ref",
    "child",
    "category",
    "worker",
    "queue",
    "what",
    "due",
    "status",
    "working_days",
]


def summary_files(summary: TeamSummary | ServiceSummary) -> dict[str, str]:
    """Each CSV's suffix ("" for the workers) and its text."""
    teams = summary.teams if isinstance(summary, ServiceSummary) else [summary]
    workers = [w for team in teams for w in team.workers]
    header, rows = _worker_rows(workers)
    files = {"": csv_text(header, rows)}
    for suffix, queue in (
        (".orphaned", "orphaned"),
        (".unallocated", "unallocated"),
        (".held_by_manager", "held_by_manager"),
    ):
        files[suffix] = csv_text(
            _QUEUE_HEADER,
            [row for t in teams for row in _queue_rows(t.team, getattr(t.queues, queue))],
        )
    files[".timescales"] = csv_text(
        _DUE_HEADER,
        [
            [
                t.team,
                d.case_ref,
                d.child,
                _CATEGORY_CODE[d.category],
                d.worker,
                d.queue.value,
                d.due.kind.value,
                d.due.due,
                d.due.status.value,
                d.due.working_days,
            ]
            for t in teams
            for d in t.due
        ],
    )
    if isinstance(summary, ServiceSummary):
        files[".teams"] = csv_text(
            [
                "team",
                "open_cases",
                "allocated",
                "orphaned",
                "unallocated",
                "held_by_manager",
                "workers",
                "agency",
                "fte",
                "weighted",
                "capacity",
                "percent",
                "overdue",
                "oldest_waiting_days",
                "oldest_waiting_case",
            ],
            [
                [
                    t.team,
                    t.totals.open_cases,
                    t.totals.allocated,
                    t.totals.orphaned,
                    t.totals.unallocated,
                    t.totals.held_by_manager,
                    t.totals.workers,
                    t.totals.agency,
                    t.totals.fte,
                    t.totals.weighted,
                    t.totals.capacity,
                    t.totals.percent,
                    t.totals.overdue,
                    t.totals.oldest_waiting_days,
                    t.totals.oldest_waiting_case,
                ]
                for t in teams
            ],
        )
    return files


def sibling_path(path: Path, suffix: str) -> Path:
    """``team.csv`` with suffix ``.orphaned`` is ``team.orphaned.csv``."""
    if not suffix:
        return path
    stem = path.name[: -len(path.suffix)] if path.suffix.lower() == ".csv" else path.name
    return path.with_name(f"{stem}{suffix}.csv")


def write_summary_csv(summary: TeamSummary | ServiceSummary, path: Path) -> list[Path]:
    """Write the summary's CSV files next to ``path``: each is written to a temporary file
    first and all are renamed into place once every one is written, so a failure while
    writing (a full disk) leaves no partial file and replaces none."""
    path = path.expanduser()
    check_destination(path, "CSV")
    files = summary_files(summary)
    staged: list[tuple[str, Path]] = []
    try:
        for suffix, text in files.items():
            handle, partial = tempfile.mkstemp(
                prefix=f".{path.name}.", suffix=".partial", dir=path.parent
            )
            staged.append((partial, sibling_path(path, suffix)))
            with os.fdopen(handle, "w", encoding="utf-8-sig", newline="") as out:
                out.write(text)
        for partial, target in staged:
            os.replace(partial, target)
    except OSError as exc:
        for partial, _target in staged:
            Path(partial).unlink(missing_ok=True)
        message = f"Cannot write {path}: {exc.strerror or exc}. No file was written."
        raise BadInput(message) from None
    return [target for _partial, target in staged]
