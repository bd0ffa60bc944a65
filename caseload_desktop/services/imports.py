"""Importing the staff list and the cases from CSV and Excel extracts: checked, then all or
nothing, in one transaction.

``preview`` reads a file for the import dialog: its first rows, how the mapping reads its
columns, and the problems (with a database, also what would change). ``import_file`` checks
every row (``domain.imports``) and then, only if nothing is wrong, writes in one transaction:

- rows upserted by their external IDs (staff ID, case reference, child ID, family group
  reference); rows missing from the file are left as they are, and a field whose column the
  file does not have keeps its value. A row that says what the database already holds changes
  nothing, so importing the same file twice writes nothing the second time;
- teams a staff list names are created; a worker with an end date is a leaver (their cases
  show as orphaned);
- a case whose worker differs from the extract's ends its current allocation and starts a new
  one (reason "other: imported"), exactly as a reassignment does; the case's ``version`` goes
  up, so a board that read it before refuses to move it until it has read it again;
- an audit event per changed row (what changed, from which line) and one for the import;
- outbox events for central records: the rows as imported (``import.workers`` /
  ``import.cases``, in parts of ``OUTBOX_PART_ROWS`` rows), each allocation change as the
  ``allocation.changed`` event ``services.reassignment`` writes (central applies it when its
  allocation is the one replaced), and each new leave date as ``worker.leaving``.

100,000 rows import in about as long as it takes to read them with ``csv`` and write them with
``executemany`` (``caseload bench import``): every existing key is read once into a dict; the
rows are checked and planned a column at a time (each distinct date, team or worker read
once); new rows, their audit events and outbox rows are made by ``zip`` and ``map`` rather
than row by row; and they are written many rows a statement on the driver's cursor, with
Python's cyclic garbage collector paused meanwhile. ``progress(done, total)`` is called about
every 1000 rows; returning False cancels: ``Cancelled`` is raised and nothing is written.
``preview`` reports progress and cancels the same way.

Users' own column mappings are JSON files in the data folder (``import-mappings/NAME.json``):
a mapping describes how a council's extracts are laid out, which is the same for every team
database the manager opens, so it belongs to the user's folder rather than to one database;
as a file it can be read, copied to a colleague and checked into a council's own notes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import gc
import hashlib
import itertools
import json
import operator
import os
import re
import tempfile
import uuid
import warnings
import zipfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple, ParamSpec, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from caseload_desktop import clock, locations
from caseload_desktop.domain.categories import Category, Employment, Risk, Role, WorkerStatus
from caseload_desktop.domain.imports import (
    BUILT_IN,
    FIELDS,
    TEMPLATE,
    UNLISTED_PREFIX,
    Cell,
    ColumnMapping,
    Kind,
    Known,
    NotText,
    Problem,
    Record,
    Sheet,
    UnlistedWorker,
    Validated,
    csv_sheet,
    decode_text,
    find_header,
    unlisted_staff_id,
    validate,
)
from caseload_desktop.domain.names import fold_name
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.errors import BadInput, Cancelled, NotFound
from caseload_desktop.services import access
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.services.identity import current_user
from caseload_desktop.services.reassignment import OUTBOX_KIND as ALLOCATION_KIND
from caseload_desktop.services.reassignment import OUTBOX_SCHEMA_VERSION as ALLOCATION_SCHEMA
from caseload_desktop.store.column_types import Hundredths, UTCDateTime
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import (
    Allocation,
    AuditEvent,
    Base,
    Case,
    Child,
    FamilyGroup,
    OutboxEvent,
    Team,
    Worker,
)

Progress = Callable[[int, int], bool]  # (done, total) -> go on?
_P = ParamSpec("_P")
_T = TypeVar("_T")

OUTBOX_KINDS = {Kind.WORKERS: "import.workers", Kind.CASES: "import.cases"}
OUTBOX_SCHEMA_VERSION = 1
OUTBOX_PART_ROWS = 1000
LEAVING_KIND = "worker.leaving"  # as services.reassignment records a leave date
IMPORT_REASON = ChangeReason.OTHERS
IMPORT_REASON_TEXT = "imported"
PREVIEW_ROWS = 20
MAPPINGS_FOLDER = "import-mappings"
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_WRITE_CHUNK = 5000  # rows written between progress reports
_MAX_VARIABLES = 999  # bound values in one statement: SQLite's lowest limit (before 3.32)
PROGRESS_ROWS = 1000  # rows checked or planned between progress reports
_MAPPING_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,59}$")


# --- Results ------------------------------------------------------------------------------------


class RowChange(NamedTuple):
    """One row the import adds or changes.

    A named tuple rather than a frozen dataclass: an import of 100,000 new rows makes as
    many, and ``tuple.__new__`` makes them in a tenth of the time (``_make_row_change``).

    Attributes:
        key: the staff ID or case reference.
        line: its line in the file.
        status: ``new`` or ``updated``.
        fields: the fields that change (empty for a new row).
        sheet: the workbook sheet (None for CSV).
    """

    key: str
    line: int
    status: str
    fields: tuple[str, ...] = ()
    sheet: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "key": self.key,
            "line": self.line,
            "sheet": self.sheet,
            "status": self.status,
            "fields": list(self.fields),
        }


_make_row_change = functools.partial(tuple.__new__, RowChange)  # from (key, line, ...) tuples


@dataclasses.dataclass(frozen=True)
class ImportResult:
    """What an import did (or with ``dry_run``, would do).

    Attributes:
        kind: workers or cases.
        file: the file read.
        mapping: the mapping's name.
        rows: data rows read.
        new, updated, unchanged: rows by what happens to them.
        errors: every problem; when there is one, nothing was written.
        notes: what the manager should know that is not a problem.
        dry_run: nothing was written, by request.
        batch: the id in the import's audit and outbox events (None: nothing written).
        teams_created: teams the staff list named that did not exist.
        allocations_changed: cases whose worker changed (existing cases).
        leavers: workers given a leave date they did not have.
        unlisted_workers: workers named but not on the staff list, recorded as inactive.
        changes: the new and updated rows.
        sha256: of the file's bytes.
    """

    kind: Kind
    file: Path
    mapping: str
    rows: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    dry_run: bool = False
    batch: str | None = None
    teams_created: tuple[str, ...] = ()
    allocations_changed: int = 0
    leavers: int = 0
    unlisted_workers: tuple[str, ...] = ()
    changes: tuple[RowChange, ...] = ()
    sha256: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def written(self) -> bool:
        return self.batch is not None

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "file": str(self.file),
            "sha256": self.sha256,
            "mapping": self.mapping,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "written": self.written,
            "batch": self.batch,
            "rows": self.rows,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "teams_created": list(self.teams_created),
            "allocations_changed": self.allocations_changed,
            "leavers": self.leavers,
            "unlisted_workers": list(self.unlisted_workers),
            "errors": [p.as_json() for p in self.errors],
            "notes": list(self.notes),
            "changes": [c.as_json() for c in self.changes],
        }


@dataclasses.dataclass(frozen=True)
class SheetPreview:
    """The first rows of one sheet (a CSV file is one) and how its columns are read.

    Attributes:
        name: the sheet (None: CSV).
        header_line: the header's line (None: no header was found).
        header: the header's cells.
        rows: (line, cells as text) of the first data rows.
        fields: (field, what gives it: a header, "(copy of ...)", or None) for every field.
        ignored: headers no field reads.
    """

    name: str | None
    header_line: int | None
    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    fields: tuple[tuple[str, str | None], ...]
    ignored: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Preview:
    """A file as the import dialog shows it before importing.

    Attributes:
        path: the file.
        kind: workers or cases.
        mapping: the mapping applied.
        source: what the file is (``CSV, UTF-8``, ``Excel workbook``).
        sheets: the sheets the mapping reads, each with its first rows.
        rows: data rows in them.
        problems: the validation report (with a database: checked against it too).
        notes: what is worth knowing that is not a problem.
        result: with a database, what importing would do (a dry run); else None.
    """

    path: Path
    kind: Kind
    mapping: ColumnMapping
    source: str
    sheets: tuple[SheetPreview, ...]
    rows: int
    problems: tuple[Problem, ...]
    notes: tuple[str, ...]
    result: ImportResult | None = None


# --- Mappings -----------------------------------------------------------------------------------


def mappings_dir() -> Path:
    """Where users' own column mappings are kept (``import-mappings`` in the data folder)."""
    return locations.data_dir() / MAPPINGS_FOLDER


def mapping_names() -> list[str]:
    """The built-in mappings, then the user's saved ones."""
    saved = sorted(p.stem for p in mappings_dir().glob("*.json")) if mappings_dir().is_dir() else []
    return [*BUILT_IN, *(n for n in saved if n not in BUILT_IN)]


def load_mapping(name: str | Path | ColumnMapping | None, kind: Kind) -> ColumnMapping:
    """A mapping by name (built-in or saved), from a JSON file, or as given; None: the template.

    Raises ``NotFound`` naming the mappings there are, or ``BadInput`` for a mapping that does
    not read ``kind`` files or a file that is not a mapping.
    """
    if isinstance(name, ColumnMapping):
        mapping = name
    elif name is None:
        mapping = TEMPLATE
    elif str(name) in BUILT_IN:
        mapping = BUILT_IN[str(name)]
    else:
        path = Path(name)
        saved = mappings_dir() / f"{name}.json"
        if _MAPPING_NAME.match(str(name)) and saved.is_file():
            path = saved
        elif not (path.suffix.lower() == ".json" and path.is_file()):
            raise NotFound(
                f"No column mapping called {str(name)!r}. Mappings: "
                + ", ".join(mapping_names())
                + " (or name a mapping's JSON file)."
            )
        mapping = _read_mapping(path)
    if mapping.kind is not None and mapping.kind is not kind:
        raise BadInput(
            f"The {mapping.name!r} mapping reads {mapping.kind.value} files, not {kind.value}."
        )
    return mapping


def _read_mapping(path: Path) -> ColumnMapping:
    try:
        return ColumnMapping.from_json(json.loads(path.read_text(encoding="utf-8")))
    except OSError as exc:
        raise BadInput(f"Cannot read the mapping {path}: {exc.strerror or exc}.") from None
    except (UnicodeDecodeError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        raise BadInput(f"{path} is not a column mapping: {exc}.") from None


def save_mapping(mapping: ColumnMapping, name: str) -> Path:
    """Keep ``mapping`` as the user's mapping ``name``; returns the file written.

    Written whole or not at all (a temporary file, then renamed). Built-in names are refused.
    """
    name = name.strip()
    if not _MAPPING_NAME.match(name):
        raise BadInput(
            f"{name!r} cannot name a mapping: use letters, digits, spaces, '-', '_' or '.' "
            "(up to 60), starting with a letter or digit."
        )
    if name in BUILT_IN:
        raise BadInput(f"{name!r} is a built-in mapping; save yours under another name.")
    folder = mappings_dir()
    target = folder / f"{name}.json"
    data = json.dumps(
        dataclasses.replace(mapping, name=name).as_json(), ensure_ascii=False, indent=2
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, partial = tempfile.mkstemp(prefix=f".{name}.", suffix=".partial", dir=folder)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(data + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise BadInput(f"Cannot save the mapping in {folder}: {exc.strerror or exc}.") from None
    return target


# --- Reading files ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SourceFile:
    """A file read into sheets of cells.

    Attributes:
        path: the file.
        source: what it is, for people (``CSV, UTF-8``).
        sheets: its sheets (one for CSV).
        sha256: of its bytes.
    """

    path: Path
    source: str
    sheets: tuple[Sheet, ...]
    sha256: str

    @property
    def rows(self) -> int:
        """Its non-blank rows, headers and all (what progress counts)."""
        return sum(len(s.rows) for s in self.sheets)


def read_file(path: Path | str) -> SourceFile:
    """Read a CSV or Excel (.xlsx) file. A file that cannot be opened at all raises
    ``BadInput``; what is wrong inside it is reported as the sheets' problems."""
    path = Path(path).expanduser()
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise BadInput(f"{path} is a folder, not a file.") from None
    except OSError as exc:
        raise BadInput(f"{path} cannot be read: {exc.strerror or exc}.") from None
    digest = hashlib.sha256(data).hexdigest()
    suffix = path.suffix.lower()
    if suffix == ".xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise BadInput(
            f"{path.name} is in the old Excel format (.xls): save it as .xlsx or CSV first."
        )
    if suffix in EXCEL_SUFFIXES or data.startswith(b"PK\x03\x04"):
        return SourceFile(path, "Excel workbook", tuple(_excel_sheets(path)), digest)
    try:
        text, encoding = decode_text(data)
    except NotText as exc:
        sheet = Sheet(None, (), (Problem(exc.line, None, "", str(exc)),))
        return SourceFile(path, "not text", (sheet,), digest)
    return SourceFile(path, f"CSV, {_ENCODING_NAMES[encoding]}", (csv_sheet(text),), digest)


_ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 with BOM",
    "utf-16": "UTF-16",
    "windows-1252": "Windows-1252",
}


def _excel_sheets(path: Path) -> list[Sheet]:
    """Every worksheet's non-blank rows, read with openpyxl's read-only mode (cached values of
    formulas, as Excel last calculated them)."""
    # Imported here: only an Excel import pays for loading openpyxl.
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    sheets = []
    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it does not read (data validation,
            # conditional formats, a missing default style): nothing the import uses.
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
            try:
                for worksheet in workbook.worksheets:
                    rows: list[tuple[int, Sequence[Cell]]] = []
                    for line, values in enumerate(worksheet.iter_rows(values_only=True), 1):
                        cells = [_excel_cell(v) for v in values]
                        if any(c != "" for c in cells):
                            rows.append((line, cells))
                    sheets.append(Sheet(worksheet.title, rows))
            finally:
                workbook.close()
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, TypeError) as exc:
        raise BadInput(
            f"{path.name} is not an Excel workbook that can be read ({exc}). Save it again as "
            ".xlsx or as CSV."
        ) from None
    except OSError as exc:
        raise BadInput(f"{path} cannot be read: {exc.strerror or exc}.") from None
    return sheets


def _excel_cell(value: object) -> Cell:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    return str(value)


# --- The use cases ------------------------------------------------------------------------------


def _collection_paused(work: Callable[_P, _T]) -> Callable[_P, _T]:
    """``work`` with Python's cyclic garbage collector paused while it runs.

    A 100,000-row import makes a few million objects that all live until it ends, none of
    them in a reference cycle; each collection walks them all again for nothing, and with the
    collector running the import took a quarter longer. The collector is enabled again
    once ``work`` has returned, when its objects are gone (enabled while they lived, its first
    collection would walk them all once more). It is process-wide, so it is left as it was
    found: disabled by someone else stays disabled; it is enabled again only by the import
    that disabled it.
    """

    @functools.wraps(work)
    def paused(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        if not gc.isenabled():
            return work(*args, **kwargs)
        gc.disable()
        try:
            return work(*args, **kwargs)
        finally:
            gc.enable()

    return paused


def preview(
    path: Path | str,
    kind: Kind | str,
    mapping: str | Path | ColumnMapping | None = None,
    *,
    db: Database | None = None,
    rows: int = PREVIEW_ROWS,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> Preview:
    """The file's first ``rows`` rows with the mapping applied, and the validation report.

    Without ``db`` the rows are checked on their own (dates, categories, duplicates, required
    values); with it, against the database too, and ``result`` says what would change.
    ``progress(done, total)`` is called about every 1000 rows (checking them, then with
    ``db`` working out what would change); returning False raises ``Cancelled``.
    """
    kind = Kind(kind)
    chosen = load_mapping(mapping, kind)
    return _preview(path, kind, chosen, db, rows, today or clock.today(), progress)


@_collection_paused
def _preview(
    path: Path | str,
    kind: Kind,
    mapping: ColumnMapping,
    db: Database | None,
    rows: int,
    today: dt.date,
    progress: Progress | None,
) -> Preview:
    source = read_file(path)
    result = None
    if db is None:
        steps = _Steps(progress, source.rows, parts=1, cancelled=PREVIEW_CANCELLED)
        validated = validate(
            source.sheets, kind, mapping, Known(checked=False), today=today, progress=steps.checked
        )
        steps.report(steps.total)
        problems, notes = validated.problems, validated.notes
    else:
        run = _run(
            db,
            source,
            kind,
            mapping,
            dry_run=True,
            progress=progress,
            today=today,
            cancelled=PREVIEW_CANCELLED,
        )
        validated, result = run.validated, run.result
        problems, notes = list(result.errors), list(result.notes)
    return Preview(
        path=source.path,
        kind=kind,
        mapping=mapping,
        source=source.source,
        sheets=_sheet_previews(source, validated, kind, mapping, rows),
        rows=validated.rows,
        problems=tuple(problems),
        notes=tuple(notes),
        result=result,
    )


def _sheet_previews(
    source: SourceFile, validated: Validated, kind: Kind, mapping: ColumnMapping, rows: int
) -> tuple[SheetPreview, ...]:
    previews = []
    used = dict(validated.columns)
    for sheet in source.sheets:
        if used and sheet.name not in used:
            continue
        columns = used.get(sheet.name)
        if columns is None:
            columns, _ = find_header(sheet, mapping, kind)
        header_line = columns.header_line if columns is not None else None
        after = [
            (line, tuple(_shown_cell(c) for c in cells))
            for line, cells in sheet.rows
            if header_line is None or line > header_line
        ]
        header = (
            columns.header
            if columns is not None
            else tuple(_shown_cell(c) for c in (sheet.rows[0][1] if sheet.rows else ()))
        )
        previews.append(
            SheetPreview(
                name=sheet.name,
                header_line=header_line,
                header=header,
                rows=tuple(after[:rows]),
                fields=tuple(
                    (f.key, None if columns is None else columns.source(f.key))
                    for f in FIELDS[kind]
                ),
                ignored=() if columns is None else columns.ignored,
            )
        )
        if not used:
            break
    return tuple(previews)


def _shown_cell(cell: Cell) -> str:
    return cell.isoformat() if isinstance(cell, dt.date) else cell


def import_file(
    db: Database,
    path: Path | str,
    kind: Kind | str,
    mapping: str | Path | ColumnMapping | None = None,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    actor: str | None = None,
    announcer: ChangeAnnouncer | None = None,
    today: dt.date | None = None,
) -> ImportResult:
    """Import the workers or cases of ``path`` into ``db``, all or nothing.

    Returns what was done; when ``result.errors`` is not empty nothing was written (and with
    ``dry_run`` nothing ever is). Raises ``BadInput`` for a file that cannot be read at all or
    an unknown mapping, and ``Cancelled`` (after rolling back) when ``progress`` says stop.
    """
    kind = Kind(kind)
    chosen = load_mapping(mapping, kind)
    result, change = _import(
        db, path, kind, chosen, dry_run, progress, actor or current_user(), today
    )
    if change is not None and announcer is not None:
        announcer.announce(change)
    return result


@_collection_paused
def _import(
    db: Database,
    path: Path | str,
    kind: Kind,
    mapping: ColumnMapping,
    dry_run: bool,
    progress: Progress | None,
    actor: str,
    today: dt.date | None,
) -> tuple[ImportResult, Change | None]:
    """``import_file``'s work, and what it changed (None: nothing)."""
    source = read_file(path)
    run = _run(
        db,
        source,
        kind,
        mapping,
        dry_run=dry_run,
        progress=progress,
        actor=actor,
        today=today,
        parts=3,
    )
    if not run.result.written:
        return run.result, None
    change = Change.of(
        "import", run.case_ids, run.worker_ids, teams_changed=bool(run.result.teams_created)
    )
    return run.result, change


@dataclasses.dataclass
class _Run:
    validated: Validated
    result: ImportResult
    case_ids: set[int] = dataclasses.field(default_factory=set)
    worker_ids: set[int] = dataclasses.field(default_factory=set)


IMPORT_CANCELLED = "The import was cancelled; nothing was imported."
PREVIEW_CANCELLED = "Reading the file was cancelled; nothing was read."


class _Steps:
    """Progress over the parts of an import: checking the rows, working out what changes,
    writing it (a preview stops after the first one or two). Each part counts the file's rows
    (``total`` is ``parts`` times them)."""

    def __init__(
        self,
        progress: Progress | None,
        rows: int,
        *,
        parts: int = 3,
        cancelled: str = IMPORT_CANCELLED,
    ) -> None:
        self.progress = progress
        self.rows = max(rows, 1)
        self.total = parts * self.rows
        self.cancelled = cancelled
        self.to_write = 1
        self.written = 0

    def report(self, done: int) -> None:
        if self.progress is not None and not self.progress(min(done, self.total), self.total):
            raise Cancelled(self.cancelled)

    def checked(self, rows: int) -> None:
        self.report(rows)

    def planned(self, rows: int) -> None:
        if rows % PROGRESS_ROWS == 0:
            self.report(self.rows + rows)

    def wrote(self, rows: int) -> None:
        self.written += rows
        self.report(2 * self.rows + self.rows * self.written // self.to_write)


def _run(
    db: Database,
    source: SourceFile,
    kind: Kind,
    mapping: ColumnMapping,
    *,
    dry_run: bool,
    progress: Progress | None = None,
    actor: str = "",
    today: dt.date | None = None,
    parts: int = 2,
    cancelled: str = IMPORT_CANCELLED,
) -> _Run:
    """Check ``source`` and work out what changes, then (unless ``dry_run``) write it.
    Progress counts ``parts`` of the file's rows: checking, planning (and writing)."""
    today = today or clock.today()
    steps = _Steps(progress, source.rows, parts=parts, cancelled=cancelled)
    batch = str(uuid.uuid4())
    # Importing is an admin's (services.access); a dry run only reads, as any user may.
    with contextlib.ExitStack() as stack:
        if dry_run:
            session = stack.enter_context(db.read())
        else:
            stack.enter_context(access.denials_recorded(db, actor, f"import {kind.value}"))
            session = stack.enter_context(db.write())
            access.require(session, actor, access.Action.IMPORT)
        context = _Context(
            batch=batch,
            actor=actor,
            today=today,
            stamp=_stored_instant(clock.now_utc()),
            file=source.path.name,
            sha256=source.sha256,
            mapping=mapping.name,
            kind=kind,
        )
        known = _known(session)
        validated = validate(
            source.sheets, kind, mapping, known, today=today, progress=steps.checked
        )
        base = ImportResult(
            kind=kind,
            file=source.path,
            mapping=mapping.name,
            rows=validated.rows,
            notes=tuple(validated.notes),
            dry_run=dry_run,
            sha256=source.sha256,
        )
        if validated.problems:
            return _Run(validated, dataclasses.replace(base, errors=tuple(validated.problems)))
        planner = _plan_workers if kind is Kind.WORKERS else _plan_cases
        plan = planner(session, validated, context, steps.planned)
        if plan.problems:
            return _Run(validated, dataclasses.replace(base, errors=tuple(plan.problems)))
        result = dataclasses.replace(
            base,
            new=sum(1 for c in plan.changes if c.status == "new"),
            updated=sum(1 for c in plan.changes if c.status == "updated"),
            unchanged=plan.unchanged,
            teams_created=tuple(plan.teams_created),
            allocations_changed=plan.allocations_changed,
            leavers=plan.leavers,
            unlisted_workers=tuple(plan.unlisted),
            changes=tuple(plan.changes),
        )
        if dry_run or not plan.changes:
            steps.report(steps.total)
            return _Run(validated, result)
        plan.finish(context, result)
        _write(session, plan, steps)
    return _Run(validated, dataclasses.replace(result, batch=batch), plan.case_ids, plan.worker_ids)


def _known(session: Session) -> Known:
    """The teams and workers rows are checked against, each read once."""
    teams = {
        fold_name(name): team_id for team_id, name in session.execute(sa.select(Team.id, Team.name))
    }
    staff: dict[str, int] = {}
    staff_ids: dict[int, str] = {}
    listed: dict[str, list[int]] = {}
    unlisted: dict[str, list[int]] = {}
    for worker_id, staff_id, name in session.execute(
        sa.select(Worker.id, Worker.staff_id, Worker.name)
    ):
        staff[staff_id.upper()] = worker_id
        staff_ids[worker_id] = staff_id
        names = unlisted if staff_id.startswith(UNLISTED_PREFIX) else listed
        names.setdefault(fold_name(name), []).append(worker_id)
    # A name on the staff list wins over an unlisted record of the same name.
    by_name = {k: tuple(v) for k, v in unlisted.items()}
    by_name.update((k, tuple(v)) for k, v in listed.items())
    return Known(teams=teams, staff=staff, names=by_name, staff_ids=staff_ids)


# --- Planning: what changes, as rows to write -------------------------------------------------
#
# Existing rows are read and new rows written in the form SQLite stores them (the models'
# column types' own storage: ISO dates, enum values, 0/1, FTE in hundredths, JSON text), so a
# 100,000-row import spends its time in SQLite rather than in converting each value twice
# (SQLAlchemy's per-row parameter processing alone took longer than the inserts). Reads use
# SQLAlchemy selects without result processing, as ``store.queries`` does for the board;
# writes are driver-level executemany over SQL built from the tables' metadata.


def _plain(column: Any) -> Any:
    """``column`` selected as stored (no result processing)."""
    return sa.type_coerce(column, sa.String())


def _iso(value: dt.date | None) -> str | None:
    return None if value is None else value.isoformat()


_SQLITE = sqlite.dialect()
_HUNDREDTHS = Hundredths()


def _hundredths(value: Decimal) -> object:
    return _HUNDREDTHS.process_bind_param(value, _SQLITE)


def _stored_instant(value: dt.datetime) -> object:
    processor = UTCDateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE)
    assert processor is not None
    return processor(value)


def _fte_text(stored: object) -> str:
    assert isinstance(stored, int)
    return str(Decimal(stored) / 100)


# An enum member's stored value (``_value_`` is a plain attribute; ``value`` a Python property).
_member_value = operator.attrgetter("_value_")

# How each field's value (as the domain reads it) is stored.
_STORED: dict[str, Callable[[Any], Any]] = {
    "role": _member_value,
    "employment": _member_value,
    "status": _member_value,
    "category": _member_value,
    "risk": _member_value,
    "fte": _hundredths,
    "court_proceedings": int,
    "start_date": _iso,
    "end_date": _iso,
    "opened_on": _iso,
    "next_visit_due": _iso,
    "closed_on": _iso,
}


class _Memo(dict[Any, object]):
    """A conversion that remembers its answers (a service's rows share few distinct dates)."""

    def __init__(self, convert: Callable[[Any], object]) -> None:
        super().__init__()
        self.convert = convert

    def __missing__(self, key: Any) -> object:
        value = self[key] = self.convert(key)
        return value


@dataclasses.dataclass(frozen=True)
class _Insert:
    """An INSERT of rows that give ``columns``, with ``shared`` columns' values the same for
    every row.

    SQLite's time for a row grows with the values bound for it, so a value many rows share
    is bound once a statement: the ``shared`` ones always, and a column whose value is the
    same in every row of one statement (a new case's risk, an unallocated queue's worker)
    there.

    Attributes:
        table: the table's name.
        columns: the columns each row gives, in order.
        shared: column -> its value in every row.
    """

    table: str
    columns: tuple[str, ...]
    shared: dict[str, object]

    @property
    def rows_per_statement(self) -> int:
        return max(1, (_MAX_VARIABLES - len(self.shared)) // max(1, len(self.columns)))

    def statement(self, rows: Sequence[tuple[object, ...]]) -> tuple[str, list[object]]:
        """The SQL inserting ``rows``, and its parameters."""
        columns = list(zip(*rows, strict=True))
        # Equal values store alike (bool as int; import rows hold no floats).
        same = tuple(i for i, values in enumerate(columns) if values.count(values[0]) == len(rows))
        sql = _insert_sql(self.table, self.columns, tuple(self.shared), same, len(rows))
        parameters = [*self.shared.values(), *(columns[i][0] for i in same)]
        for i, values in enumerate(columns):
            if i not in same:
                parameters += values
        return sql, parameters


@functools.lru_cache(maxsize=256)
def _insert_sql(
    table: str, columns: tuple[str, ...], shared: tuple[str, ...], same: tuple[int, ...], rows: int
) -> str:
    """An INSERT of ``rows`` rows giving ``columns``: parameters 1.. are the ``shared``
    columns' values, then those of the columns at ``same``, then the other columns' values
    a column at a time (bound as ``zip`` transposed them, with no per-row copying)."""
    varying = [c for i, c in enumerate(columns) if i not in same]
    names = [*shared, *(columns[i] for i in same), *varying]
    fixed = [f"?{n}" for n in range(1, len(shared) + len(same) + 1)]
    first = len(fixed) + 1
    by_row = (
        [*fixed, *(f"?{first + j * rows + row}" for j in range(len(varying)))]
        for row in range(rows)
    )
    values = ", ".join(f"({', '.join(marks)})" for marks in by_row)
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES {values}"


def _insert(
    model: type[Base], columns: Sequence[str], shared: dict[str, object] | None = None
) -> _Insert:
    table = model.__table__
    assert isinstance(table, sa.Table)
    # KeyError for a column the table lacks
    names = tuple(table.c[c].name for c in columns)
    return _Insert(table.name, names, {table.c[c].name: v for c, v in (shared or {}).items()})


def _update(model: type[Base], columns: Sequence[str], extra: str = "") -> str:
    """UPDATE of ``columns`` (then any ``extra`` SET items) by id, with the version bumped
    when the table has one."""
    table = model.__table__
    assert isinstance(table, sa.Table)
    sets = [f"{table.c[c].name} = ?" for c in columns]
    if extra:
        sets.append(extra)
    if "version" in table.c:
        sets.append("version = version + 1")
    return f"UPDATE {table.name} SET {', '.join(sets)} WHERE id = ?"


# An audit event's columns (its time and actor are the import's, shared by every row).
_AUDIT_COLUMNS = ("action", "case_id", "from_worker_id", "to_worker_id", "reason", "detail")
_OUTBOX_COLUMNS = ("uuid", "kind", "schema_version", "payload")
# An allocation's columns (the rest are the import's: shared by every row).
_ALLOCATION_COLUMNS = ("case_id", "worker_id", "started_on")


@dataclasses.dataclass(frozen=True)
class _Context:
    """What every row of one import is written with."""

    batch: str
    actor: str
    today: dt.date
    stamp: object  # now, as the store keeps an instant
    file: str
    sha256: str
    mapping: str
    kind: Kind

    def audit(
        self,
        action: str,
        reason: str,
        case_id: int | None = None,
        from_worker_id: int | None = None,
        to_worker_id: int | None = None,
        *,
        details: dict[str, object] | None = None,
        **detail: object,
    ) -> tuple[object, ...]:
        """An audit event's row (``_AUDIT_COLUMNS``)."""
        detail.update(details or {})
        text = json.dumps({"import": self.batch, **detail}, ensure_ascii=False)
        return (action, case_id, from_worker_id, to_worker_id, reason[:1000], text)

    def outbox(self, kind: str, payload: dict[str, Any], schema: int = 1) -> tuple[object, ...]:
        """An outbox event's row (``_OUTBOX_COLUMNS``)."""
        text = json.dumps(payload, ensure_ascii=False, check_circular=False)  # a tree we built
        return (str(uuid.uuid4()), kind, schema, text)

    def audit_statement(self) -> _Insert:
        return _insert(AuditEvent, _AUDIT_COLUMNS, {"occurred_at": self.stamp, "actor": self.actor})

    def outbox_statement(self) -> _Insert:
        return _insert(
            OutboxEvent,
            _OUTBOX_COLUMNS,
            {"created_at": self.stamp, "attempts": 0, "last_error": None, "sent_at": None},
        )

    def allocation_statement(self) -> _Insert:
        """New allocations: ``_ALLOCATION_COLUMNS``, current, for the import's reason."""
        return _insert(
            Allocation,
            _ALLOCATION_COLUMNS,
            {
                "ended_on": None,
                "reason_code": IMPORT_REASON.value,
                "reason_text": IMPORT_REASON_TEXT,
                "created_by": self.actor,
                "created_at": self.stamp,
            },
        )


@dataclasses.dataclass
class _Plan:
    """An import's rows to write, in order, and what it amounts to."""

    problems: list[Problem] = dataclasses.field(default_factory=list)
    changes: list[RowChange] = dataclasses.field(default_factory=list)
    unchanged: int = 0
    statements: list[tuple[_Insert | str, list[tuple[object, ...]]]] = dataclasses.field(
        default_factory=list
    )
    audit: list[tuple[object, ...]] = dataclasses.field(default_factory=list)
    outbox: list[tuple[object, ...]] = dataclasses.field(default_factory=list)
    imported: list[Sequence[object]] = dataclasses.field(default_factory=list)
    imported_columns: tuple[str, ...] = ()
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    case_ids: set[int] = dataclasses.field(default_factory=set)
    worker_ids: set[int] = dataclasses.field(default_factory=set)
    teams_created: list[str] = dataclasses.field(default_factory=list)
    allocations_changed: int = 0
    leavers: int = 0
    unlisted: list[str] = dataclasses.field(default_factory=list)

    def add(self, statement: _Insert | str, rows: list[tuple[object, ...]]) -> None:
        """Rows for ``statement``: an ``_Insert``, or SQL run once for each row."""
        if rows:
            self.statements.append((statement, rows))

    def problem(self, record: Record, column: str, value: object, message: str) -> None:
        self.problems.append(Problem(record.line, column, str(value), message, record.sheet))

    def finish(self, context: _Context, result: ImportResult) -> None:
        """The import's own audit event, and its outbox events: the rows as imported (in
        parts) first, then the rows' own events (central receives a row before its moves)."""
        self.audit.append(
            context.audit(
                f"import.{context.kind.value}",
                f"Imported {context.file}: {result.new} new, {result.updated} updated, "
                f"{result.unchanged} unchanged",
                file=context.file,
                sha256=context.sha256,
                mapping=context.mapping,
                rows=result.rows,
                new=result.new,
                updated=result.updated,
                unchanged=result.unchanged,
                teams_created=list(result.teams_created),
                unlisted_workers=list(result.unlisted_workers),
            )
        )
        parts = max(1, -(-len(self.imported) // OUTBOX_PART_ROWS))
        row_events = [
            context.outbox(
                OUTBOX_KINDS[context.kind],
                {
                    "batch": context.batch,
                    "file": context.file,
                    "sha256": context.sha256,
                    "mapping": context.mapping,
                    "actor": context.actor,
                    "part": part + 1,
                    "parts": parts,
                    **(self.extra if part == 0 else {}),
                    "columns": list(self.imported_columns),
                    "rows": self.imported[part * OUTBOX_PART_ROWS : (part + 1) * OUTBOX_PART_ROWS],
                },
                OUTBOX_SCHEMA_VERSION,
            )
            for part in range(parts)
        ]
        self.add(context.audit_statement(), self.audit)
        self.add(context.outbox_statement(), row_events + self.outbox)


def _write(session: Session, plan: _Plan, steps: _Steps) -> None:
    """Run the plan's statements on the driver's cursor. An INSERT writes many rows a
    statement (``VALUES (...), (...), ...``): SQLite then checks constraints and keeps its
    statement journal once per statement rather than once per row, which with the values
    every row shares bound once writes 100,000 rows in about half the time of executemany
    of one-row INSERTs."""
    cursor = session.connection().connection.cursor()
    steps.to_write = max(1, sum(len(rows) for _, rows in plan.statements))
    try:
        for statement, rows in plan.statements:
            if isinstance(statement, str):
                for start in range(0, len(rows), _WRITE_CHUNK):
                    chunk = rows[start : start + _WRITE_CHUNK]
                    cursor.executemany(statement, chunk)
                    steps.wrote(len(chunk))
                continue
            per_statement = statement.rows_per_statement
            done = 0
            for start in range(0, len(rows), per_statement):
                chunk = rows[start : start + per_statement]
                cursor.execute(*statement.statement(chunk))
                done += len(chunk)
                if done >= _WRITE_CHUNK or start + per_statement >= len(rows):
                    steps.wrote(done)
                    done = 0
    finally:
        cursor.close()


def _next_id(session: Session, column: Any) -> int:
    """The next free id (the import holds the write lock, so nobody else takes it)."""
    found = session.execute(sa.select(sa.func.coalesce(sa.func.max(column), 0))).scalar_one()
    return int(found) + 1


def _changes(
    before: Sequence[object], after: Sequence[object], keys: Sequence[str]
) -> dict[str, list[object]]:
    """``{field: [old, new]}`` of the fields that differ (stored values: ISO dates...)."""
    return {k: [b, a] for k, b, a in zip(keys, before, after, strict=True) if b != a}


# --- Workers ----------------------------------------------------------------------------------

_WORKER_FIELDS = ("name", "team", "role", "employment", "fte", "start_date", "end_date", "status")
_WORKER_COLUMNS = tuple("team_id" if f == "team" else f for f in _WORKER_FIELDS)
_WORKER_NEW = {  # stored values of a new worker's fields the file does not give
    "employment": Employment.PERMANENT.value,
    "fte": 100,
    "end_date": None,
    "status": WorkerStatus.ACTIVE.value,
}


def _plan_workers(
    session: Session, validated: Validated, context: _Context, planned: Callable[[int], None]
) -> _Plan:
    plan = _Plan(imported_columns=("staff_id", "change", *_WORKER_FIELDS))
    existing = {
        row[1].upper(): row
        for row in session.connection().execute(
            sa.select(
                Worker.id,
                Worker.staff_id,
                *(_plain(getattr(Worker, c)) for c in _WORKER_COLUMNS),
            )
        )
    }
    team_names = dict(session.execute(sa.select(Team.id, Team.name)).all())
    team_ids: dict[str, int] = {}
    new_teams: list[tuple[object, ...]] = []
    next_team = _next_id(session, Team.id)
    for folded, name in validated.new_teams.items():
        team_ids[folded] = next_team
        team_names[next_team] = name
        new_teams.append((next_team, name, None, 1))
        plan.teams_created.append(name)
        plan.audit.append(
            context.audit("team.created", f"Team {name} created by importing {context.file}")
        )
        next_team += 1
    next_worker = _next_id(session, Worker.id)
    inserts: list[tuple[object, ...]] = []
    updates: list[tuple[object, ...]] = []
    for number, record in enumerate(validated.records, 1):
        planned(number)
        staff_id = str(record.values["staff_id"])
        row = existing.get(staff_id.upper())
        # A new worker takes the mapping's defaults for the fields the file does not give.
        values = record.values
        if row is None and record.defaults:
            values = {**record.defaults, **values}
        team = values["team"]
        given = {
            "team_id": team if isinstance(team, int) else team_ids[team],
            **{k: _STORED[k](values[k]) for k in _WORKER_FIELDS[2:] if k in values},
            "name": values["name"],
        }
        if row is None:
            worker_id = next_worker
            next_worker += 1
            after = [given.get(c, _WORKER_NEW.get(c)) for c in _WORKER_COLUMNS]
            inserts.append((worker_id, staff_id, *after, 1))
            plan.changes.append(RowChange(staff_id, record.line, "new", sheet=record.sheet))
            plan.audit.append(
                context.audit(
                    "worker.imported",
                    f"{values['name']} added from {context.file}",
                    to_worker_id=worker_id,
                    line=record.line,
                )
            )
        else:
            worker_id, staff_id, before = row[0], row[1], row[2:]
            after = [given.get(c, b) for c, b in zip(_WORKER_COLUMNS, before, strict=True)]
            changes = _changes(before, after, _WORKER_FIELDS)
            if not changes:
                plan.unchanged += 1
                continue
            start, end = after[5], after[6]
            if end is not None and end < start:
                plan.problem(
                    record, "end_date", end, f"the end date is before the start date ({start})"
                )
                continue
            updates.append((*after, worker_id))
            plan.changes.append(
                RowChange(staff_id, record.line, "updated", tuple(changes), record.sheet)
            )
            plan.audit.append(
                context.audit(
                    "worker.updated",
                    f"{values['name']} updated from {context.file}: " + ", ".join(changes),
                    to_worker_id=worker_id,
                    line=record.line,
                    changes=changes,
                )
            )
            if "end_date" in changes and end is not None:
                plan.leavers += 1
                plan.outbox.append(
                    context.outbox(
                        LEAVING_KIND,
                        {
                            "batch": context.batch,
                            "staff_id": staff_id,
                            "leave_date": end,
                            "previous_end_date": before[6],
                            "actor": context.actor,
                        },
                    )
                )
        plan.worker_ids.add(worker_id)
        team_name = team_names[after[1]]
        plan.imported.append(
            [
                staff_id,
                "new" if row is None else "updated",
                after[0],
                team_name,
                *after[2:4],
                _fte_text(after[4]),
                *after[5:],
            ]
        )
    plan.add(_insert(Team, ("id", "name", "service", "version")), new_teams)
    plan.add(_insert(Worker, ("id", "staff_id", *_WORKER_COLUMNS, "version")), inserts)
    plan.add(_update(Worker, _WORKER_COLUMNS), updates)
    plan.extra = {"teams_created": plan.teams_created}
    return plan


# --- Cases ------------------------------------------------------------------------------------

# A case's own fields, as the file gives them (child_id and team are resolved to ids).
_CASE_FIELDS = (
    "child_id",
    "team",
    "category",
    "opened_on",
    "next_visit_due",
    "closed_on",
    "risk",
    "court_proceedings",
)
_CASE_COLUMNS = tuple("team_id" if f == "team" else f for f in _CASE_FIELDS)
_CASE_NEW: dict[str, object] = {  # stored values of a new case's fields the file does not give
    "next_visit_due": None,
    "closed_on": None,
    "risk": Risk.MEDIUM.value,
    "court_proceedings": 0,
}
_CHILD_COLUMNS = ("name", "date_of_birth", "family_group_id")
_CHILD_FIELDS = ("child_name", "date_of_birth", "family_group")
_ASSESSMENT = Category.ASSESSMENT.value


@dataclasses.dataclass(slots=True)
class _Child:
    """A child as stored (``values``: name, date of birth, family group id)."""

    id: int
    external_id: str
    values: list[object]
    written: bool = False  # inserted or updated by this import already


def _plan_cases(
    session: Session, validated: Validated, context: _Context, planned: Callable[[int], None]
) -> _Plan:
    plan = _Plan(
        imported_columns=(
            "case_ref",
            "change",
            "child_id",
            *_CHILD_FIELDS,
            *_CASE_FIELDS[1:],
            "staff_id",
            "allocated_on",
        )
    )
    connection = session.connection()
    today = context.today.isoformat()
    team_names = dict(session.execute(sa.select(Team.id, Team.name)).all())
    staff_of: dict[int | None, str | None] = {None: None}
    staff_of.update(session.execute(sa.select(Worker.id, Worker.staff_id)).all())
    groups: dict[str, int] = {}
    group_refs: dict[object, str | None] = {None: None}
    for known_group, ref in session.execute(sa.select(FamilyGroup.id, FamilyGroup.ref)):
        groups[ref.upper()] = known_group
        group_refs[known_group] = ref
    children: dict[str, _Child] = {}
    child_refs: dict[int, str] = {}
    for child_id, external_id, *child_values in connection.execute(
        sa.select(Child.id, Child.external_id, *(_plain(getattr(Child, c)) for c in _CHILD_COLUMNS))
    ).all():
        children[external_id.upper()] = _Child(child_id, external_id, child_values)
        child_refs[child_id] = external_id
    current = sa.and_(Allocation.case_id == Case.id, Allocation.ended_on.is_(None))
    cases = {
        row[1].upper(): row
        for row in connection.execute(
            sa.select(
                Case.id,
                Case.case_ref,
                Case.version,
                Allocation.id,
                Allocation.worker_id,
                _plain(Allocation.started_on),
                *(_plain(getattr(Case, c)) for c in _CASE_COLUMNS),
            ).outerjoin(Allocation, current)
        ).all()
    }
    worker_of = _unlisted_workers(session, validated, context, plan, staff_of, team_names)

    next_group = _next_id(session, FamilyGroup.id)
    next_child = _next_id(session, Child.id)
    next_case = _next_id(session, Case.id)
    new_groups: list[tuple[object, ...]] = []
    new_children: list[tuple[object, ...]] = []
    child_updates: list[tuple[object, ...]] = []
    new_cases: list[tuple[object, ...]] = []
    case_updates: list[tuple[object, ...]] = []
    endings: list[tuple[object, ...]] = []
    allocations: list[tuple[object, ...]] = []
    moves: list[tuple[object, ...]] = []
    records = validated.records
    # The rows' fields a column at a time; each distinct value converted once to its stored
    # form (``_NOT_GIVEN`` for a field the row's sheet has no column for).
    fields = list(map(_values_of, records))
    refs = list(map(str, map(operator.itemgetter("case_ref"), fields)))
    rows = list(map(cases.get, map(str.upper, refs)))
    # A new case takes the mapping's defaults for the fields the file does not give.
    if any(map(_defaults_of, records)):
        fields = [
            {**record.defaults, **values} if row is None and record.defaults else values
            for record, values, row in zip(records, fields, rows, strict=True)
        ]

    def column(key: str, convert: Callable[[Any], object] | None = None) -> list[Any]:
        try:
            values = list(map(operator.itemgetter(key), fields))
        except KeyError:  # a row whose sheet has no column for it
            values = [row_fields.get(key, _NOT_GIVEN) for row_fields in fields]
        if convert is None:
            return values
        memo = _Memo(convert)
        memo[_NOT_GIVEN] = _NOT_GIVEN
        return list(map(memo.__getitem__, values))

    # The family groups, by their references (created when new, in file order).
    group_of: dict[object, object] = {_NOT_GIVEN: _NOT_GIVEN, None: None}
    given_groups = column("family_group")
    for ref in dict.fromkeys(given_groups):
        if ref in group_of:
            continue
        group_id = groups.get(ref.upper())
        if group_id is None:
            group_id = groups[ref.upper()] = next_group
            group_refs[group_id] = ref
            new_groups.append((group_id, ref, ref))
            next_group += 1
        group_of[ref] = group_id

    # The children, by their IDs (created when new): a child on several rows is created or
    # changed by the first of them. Each row keeps its child's id, ID and values (name, date
    # of birth, family group) as they were after it.
    externals = list(map(str, map(operator.itemgetter("child_id"), fields)))
    child_keys = list(map(str.upper, externals))
    names = column("child_name")
    births = column("date_of_birth", _iso)
    group_ids = list(map(group_of.__getitem__, given_groups))
    children_of = _RowChildren()
    if not any(map(children.get, child_keys)) and len(set(child_keys)) == len(child_keys):
        # Each row a new child of its own (a first import): made a column at a time.
        ids = range(next_child, next_child + len(child_keys))
        next_child += len(child_keys)
        births = [None if b is _NOT_GIVEN else b for b in births]
        group_ids = [None if g is _NOT_GIVEN else g for g in group_ids]
        new_children.extend(zip(ids, externals, names, births, group_ids, strict=True))
        children_of = _RowChildren(list(ids), externals, names, births, group_ids)
    else:
        for index, (external, key, name, birth, group) in enumerate(
            zip(externals, child_keys, names, births, group_ids, strict=True)
        ):
            child = children.get(key)
            if child is None:
                child_values = [
                    name,
                    None if birth is _NOT_GIVEN else birth,
                    None if group is _NOT_GIVEN else group,
                ]
                child = children[key] = _Child(next_child, external, child_values, True)
                new_children.append((next_child, external, *child_values))
                next_child += 1
            elif not child.written:
                after = [
                    b if a is _NOT_GIVEN else a
                    for a, b in zip((name, birth, group), child.values, strict=True)
                ]
                if after != child.values:
                    child_changes = _changes(child.values, after, _CHILD_FIELDS)
                    if "family_group" in child_changes:
                        child_changes["family_group"] = [
                            group_refs[g] for g in child_changes["family_group"]
                        ]
                    children_of.changes[index] = child_changes
                    child.values, child.written = after, True
                    child_updates.append((*after, child.id))
            children_of.add(child)

    # The cases' own fields (team to court proceedings), a column each.
    case_columns = [column(key, _STORED.get(key)) for key in _CASE_FIELDS[1:]]
    # A new case takes its fields' defaults for what the file does not give.
    new_columns = [
        [
            _CASE_NEW[key] if v is _NOT_GIVEN and row is None else v
            for v, row in zip(values, rows, strict=True)
        ]
        if _NOT_GIVEN in values
        else values
        for key, values in zip(_CASE_COLUMNS[1:], case_columns, strict=True)
    ]
    worker_ids = [
        worker_of[w] if isinstance(w, UnlistedWorker) else w for w in column("allocated_worker")
    ]
    allocated = [None if a is _NOT_GIVEN else a for a in column("allocated_on", _iso)]
    lines = list(map(operator.attrgetter("line"), records))
    sheets = list(map(operator.attrgetter("sheet"), records))
    new_rows = _NewCases(
        plan=plan,
        context=context,
        records=records,
        refs=refs,
        lines=lines,
        sheets=sheets,
        children=children_of,
        columns=new_columns,
        worker_ids=worker_ids,
        allocated=allocated,
        group_refs=group_refs,
        team_names=team_names,
        staff_of=staff_of,
        next_case=next_case,
        new_cases=new_cases,
        allocations=allocations,
    )
    case_values = list(zip(*case_columns, strict=True))
    worker_ids_seen = plan.worker_ids
    audit, changes, imported = plan.audit, plan.changes, plan.imported
    actor, batch = context.actor, context.batch
    reason, reason_text = IMPORT_REASON.value, IMPORT_REASON_TEXT
    # The cases, a part of the file at a time, in runs of new cases (planned a column at a
    # time) and of cases the database has (row by row).
    for part in range(0, len(records), PROGRESS_ROWS):
        end = min(part + PROGRESS_ROWS, len(records))
        start = part
        while start < end:
            new = rows[start] is None
            stop = start + 1
            while stop < end and (rows[stop] is None) is new:
                stop += 1
            if new:
                new_rows.plan_rows(start, stop)
                start = stop
                continue
            for index in range(start, stop):
                record, row, child_id = records[index], rows[index], children_of.ids[index]
                assert row is not None
                worker_id, allocated_on = worker_ids[index], allocated[index]
                case_id, case_ref, version, allocation_id, held_by, held_since = row[:6]
                before = tuple(row[6:])
                after = [
                    b if a is _NOT_GIVEN else a
                    for a, b in zip((child_id, *case_values[index]), before, strict=True)
                ]
                row_changes = (
                    {} if before == tuple(after) else _changes(before, after, _CASE_FIELDS)
                )
                if "child_id" in row_changes:
                    row_changes["child_id"] = [child_refs[before[0]], externals[index]]
                if "team" in row_changes:
                    row_changes["team"] = [team_names[t] for t in row_changes["team"]]  # type: ignore[index]
                row_changes.update(children_of.changes.get(index, {}))
                moved = worker_id != held_by
                if not row_changes and not moved:
                    plan.unchanged += 1
                    continue
                if not _in_order(after[3], after[5], record, plan):
                    continue
                assessment = after[3] if after[2] == _ASSESSMENT else None
                case_updates.append((*after, assessment, case_id))
                changed = tuple(row_changes) + (("allocated_worker",) if moved else ())
                changes.append(RowChange(case_ref, record.line, "updated", changed, record.sheet))
                details: dict[str, object] = {"line": record.line, "version": version + 1}
                if row_changes:
                    details["changes"] = row_changes
                if moved:
                    # History cannot end before it began: a move dated before the current
                    # allocation's start takes effect on that start.
                    effective = max(allocated_on or today, held_since or "")
                    if allocation_id is not None:
                        endings.append((effective, allocation_id))
                    allocations.append((case_id, worker_id, effective))
                    plan.allocations_changed += 1
                    moves.append(
                        context.outbox(
                            ALLOCATION_KIND,
                            {
                                "batch": batch,
                                "case_ref": case_ref,
                                "expected": {
                                    "staff_id": staff_of[held_by],
                                    "started_on": held_since,
                                },
                                "to_staff_id": staff_of[worker_id],
                                "effective": effective,
                                "reason_code": reason,
                                "reason_text": reason_text,
                                "actor": actor,
                            },
                            ALLOCATION_SCHEMA,
                        )
                    )
                    audit.append(
                        context.audit(
                            "allocation.changed" if worker_id is not None else "allocation.ended",
                            f"{IMPORT_REASON.meaning}: {IMPORT_REASON_TEXT}",
                            case_id,
                            held_by,
                            worker_id,
                            effective=effective,
                            details=details,
                        )
                    )
                    worker_ids_seen.update(w for w in (held_by, worker_id) if w is not None)
                else:
                    audit.append(
                        context.audit(
                            "case.updated",
                            f"Updated from {context.file}: " + ", ".join(row_changes),
                            case_id,
                            to_worker_id=worker_id,
                            details=details,
                        )
                    )
                plan.case_ids.add(case_id)
                imported.append(
                    (
                        case_ref,
                        "updated",
                        children_of.externals[index],
                        children_of.names[index],
                        children_of.births[index],
                        group_refs[children_of.groups[index]],
                        team_names[after[1]],  # type: ignore[index]
                        *after[2:],
                        staff_of[worker_id],
                        allocated_on,
                    )
                )
            start = stop
        if end % PROGRESS_ROWS == 0:
            planned(end)
    plan.outbox.extend(moves)
    plan.add(_insert(FamilyGroup, ("id", "ref", "name")), new_groups)
    plan.add(_insert(Child, ("id", "external_id", *_CHILD_COLUMNS)), new_children)
    plan.add(_update(Child, _CHILD_COLUMNS), child_updates)
    plan.add(
        _insert(
            Case,
            ("id", "case_ref", *_CASE_COLUMNS, "assessment_started_on"),
            {"last_visit_on": None, "next_review_due": None, "version": 1},
        ),
        new_cases,
    )
    plan.add(
        _update(
            Case,
            _CASE_COLUMNS,
            "assessment_started_on = coalesce(assessment_started_on, ?)",
        ),
        case_updates,
    )
    table = Allocation.__table__
    plan.add(
        f"UPDATE {table.name} SET ended_on = ? WHERE id = ? AND ended_on IS NULL",  # type: ignore[attr-defined]
        endings,
    )
    plan.add(context.allocation_statement(), allocations)
    return plan


@dataclasses.dataclass
class _RowChildren:
    """Each row's child, a column each: its id, its ID and its values after the row (name,
    date of birth, family group id), and the changes the row made to a child the database
    had (by row)."""

    ids: list[int] = dataclasses.field(default_factory=list)
    externals: list[str] = dataclasses.field(default_factory=list)
    names: list[object] = dataclasses.field(default_factory=list)
    births: list[object] = dataclasses.field(default_factory=list)
    groups: list[object] = dataclasses.field(default_factory=list)
    changes: dict[int, dict[str, list[object]]] = dataclasses.field(default_factory=dict)

    def add(self, child: _Child) -> None:
        self.ids.append(child.id)
        self.externals.append(child.external_id)
        name, birth, group = child.values
        self.names.append(name)
        self.births.append(birth)
        self.groups.append(group)


@dataclasses.dataclass
class _NewCases:
    """Plans runs of new cases a column at a time: the rows, their allocations, audit events,
    changes and outbox rows are made by ``zip`` and ``map`` over the columns' slices rather
    than row by row (most of a first import's 100,000 rows are new cases).

    Attributes:
        columns: the new cases' fields, a column each (``_CASE_FIELDS[1:]``: team to court
            proceedings, as stored, defaults in place).
        next_case: the id the next new case takes.
        the rest: the rows' columns and look-ups, and where the planned rows go.
    """

    plan: _Plan
    context: _Context
    records: list[Record]
    refs: list[str]
    lines: list[int]
    sheets: list[str | None]
    children: _RowChildren
    columns: list[list[Any]]
    worker_ids: list[int | None]
    allocated: list[str | None]
    group_refs: dict[object, str | None]
    team_names: dict[int, str]
    staff_of: dict[int | None, str | None]
    next_case: int
    new_cases: list[tuple[object, ...]]
    allocations: list[tuple[object, ...]]

    def plan_rows(self, start: int, stop: int) -> None:
        """Plan rows ``start`` to ``stop`` (all new cases), in order."""
        plan = self.plan
        opened_at = _CASE_FIELDS.index("opened_on") - 1
        closed_at = _CASE_FIELDS.index("closed_on") - 1
        # A case must not close before it opens (the file's dates were checked against each
        # other; a default opening date was not).
        late = {
            index
            for index, opened, closed in zip(
                range(start, stop),
                self.columns[opened_at][start:stop],
                self.columns[closed_at][start:stop],
                strict=True,
            )
            if closed is not None and not _in_order(opened, closed, self.records[index], plan)
        }
        kept = [index for index in range(start, stop) if index not in late] if late else []

        def take(values: list[_T]) -> list[_T]:
            return [values[index] for index in kept] if late else values[start:stop]

        refs, lines, sheets = take(self.refs), take(self.lines), take(self.sheets)
        child_ids, externals = take(self.children.ids), take(self.children.externals)
        names, births = take(self.children.names), take(self.children.births)
        groups = take(self.children.groups)
        workers, allocated = take(self.worker_ids), take(self.allocated)
        team, category, opened, next_visit, closed, risk, court = map(take, self.columns)
        ids = range(self.next_case, self.next_case + len(refs))
        self.next_case += len(refs)
        assessments = [
            o if c == _ASSESSMENT else None for c, o in zip(category, opened, strict=True)
        ]
        self.new_cases.extend(
            zip(
                ids,
                refs,
                child_ids,
                team,
                category,
                opened,
                next_visit,
                closed,
                risk,
                court,
                assessments,
                strict=True,
            )
        )
        self.allocations.extend(
            zip(ids, workers, [a or o for a, o in zip(allocated, opened, strict=True)], strict=True)
        )
        plan.changes.extend(
            map(
                _make_row_change,
                zip(refs, lines, itertools.repeat("new"), itertools.repeat(()), sheets),
            )
        )
        # As ``context.audit`` writes them, without json.dumps (an import writes as many).
        prefix = f'{{"import": "{self.context.batch}", "line": '
        added = f"Added from {self.context.file}"[:1000]
        plan.audit.extend(
            zip(
                itertools.repeat("case.imported"),
                ids,
                itertools.repeat(None),
                workers,
                itertools.repeat(added),
                [f"{prefix}{line:d}}}" for line in lines],
            )
        )
        plan.worker_ids.update(w for w in workers if w is not None)
        plan.case_ids.update(ids)
        plan.imported.extend(
            zip(
                refs,
                itertools.repeat("new"),
                externals,
                names,
                births,
                map(self.group_refs.__getitem__, groups),
                map(self.team_names.__getitem__, team),
                category,
                opened,
                next_visit,
                closed,
                risk,
                court,
                map(self.staff_of.__getitem__, workers),
                allocated,
            )
        )


_values_of = operator.attrgetter("values")  # of a Record
_defaults_of = operator.attrgetter("defaults")


class _NotGiven:
    """A field the file has no column for (the stored value stays)."""


_NOT_GIVEN: Any = _NotGiven()


def _in_order(opened: object, closed: object, record: Record, plan: _Plan) -> bool:
    """A case must not close before it opens (with what the database holds for the dates the
    file does not give). Stored dates are ISO text, which sorts as dates do."""
    if isinstance(opened, str) and isinstance(closed, str) and closed < opened:
        plan.problem(record, "closed_on", closed, f"the case closes before it opens ({opened})")
        return False
    return True


def _unlisted_workers(
    session: Session,
    validated: Validated,
    context: _Context,
    plan: _Plan,
    staff_of: dict[int | None, str | None],
    team_names: dict[int, str],
) -> dict[UnlistedWorker, int]:
    """Workers the file names who are not on the staff list, recorded as inactive (so their
    cases show as orphaned) in the team of the first case naming them, from the day the
    earliest of their cases opened."""
    if not validated.unlisted:  # every worker the file names is on the staff list
        return {}
    first: dict[UnlistedWorker, Record] = {}
    started: dict[UnlistedWorker, dt.date] = {}
    for record in validated.records:
        worker = record.values.get("allocated_worker")
        if isinstance(worker, UnlistedWorker):
            first.setdefault(worker, record)
            opened = record.values.get("opened_on") or context.today
            started[worker] = min(started.get(worker, opened), opened)
    if not first:
        return {}
    by_staff = {staff: known for known, staff in staff_of.items() if staff and known}
    next_worker = _next_id(session, Worker.id)
    ids: dict[UnlistedWorker, int] = {}
    rows: list[tuple[object, ...]] = []
    for worker, record in first.items():
        staff_id = unlisted_staff_id(worker.name)
        if staff_id in by_staff:
            ids[worker] = by_staff[staff_id]
            continue
        worker_id = ids[worker] = next_worker
        next_worker += 1
        staff_of[worker_id] = staff_id
        team_id = record.values["team"]
        rows.append(
            (
                worker_id,
                staff_id,
                worker.name,
                team_id,
                Role.SOCIAL_WORKER.value,
                Employment.PERMANENT.value,
                100,
                started[worker].isoformat(),
                None,
                WorkerStatus.INACTIVE.value,
                1,
            )
        )
        plan.unlisted.append(worker.name)
        plan.worker_ids.add(worker_id)
        plan.audit.append(
            context.audit(
                "worker.imported",
                f"{worker.name} is named in {context.file} but not on the staff list: "
                "recorded as inactive",
                to_worker_id=worker_id,
                line=record.line,
                unlisted=True,
            )
        )
        plan.extra.setdefault("unlisted_workers", []).append(
            {"staff_id": staff_id, "name": worker.name, "team": team_names[team_id]}
        )
    plan.add(_insert(Worker, ("id", "staff_id", *_WORKER_COLUMNS, "version")), rows)
    return ids
