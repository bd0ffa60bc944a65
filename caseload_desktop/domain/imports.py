"""Reading case-management and HR extracts: the rules, with no I/O.

An extract is one or more sheets of rows (a CSV file is one sheet; a workbook has several).
A ``ColumnMapping`` says which of the file's columns holds each field; headers match ignoring
case, spaces, underscores and punctuation ("Date of Birth" is ``date_of_birth``). Every cell
is checked, and every problem is named with its line (the header is line 1 in a file whose
header is its first line), its column and its value, so a manager can fix the file and try
again. ``validate`` returns the records and the problems; the import writes nothing
unless there are no problems.

What the cells may say:

- dates: ISO (``2026-11-26``) or day first (``26/11/2026``), never month first; a spreadsheet's
  own date cells as they are; years outside 1900-2100 are refused as impossible;
- categories: the spellings councils use (``CIN``, ``Child in Need``, ``CP``, ``CPP``, ``CLA``,
  ``LAC``, ``Looked After``, Annex A's ``c) Child in need plan``...);
- roles and employment: ``Social Worker``, ``SW``, ``NQSW``/``ASYE``, ``TM``...; ``permanent``,
  ``agency``, ``locum``/``interim``;
- a worker (cases): a staff ID, or with a mapping that allows it, a name; empty or
  ``Unallocated`` is an unallocated case;
- a spreadsheet error (``#N/A``) or a formula (``=H2+5``) instead of a value is refused; a
  value an export defused with an apostrophe (``'=x``, ``'-x``) is read without it.

A field whose column the file does not have is left as it is on existing rows (an import
never blanks what it was not given); new rows take the field's default.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import datetime as dt
import enum
import hashlib
import io
import itertools
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar

from caseload_desktop.domain.categories import (
    Category,
    Employment,
    Risk,
    Role,
    WorkerStatus,
    parse_category,
)
from caseload_desktop.domain.dates import parse_date
from caseload_desktop.domain.names import fold_name

Cell = str | dt.date
"""A value as read: text, or a date from a spreadsheet's date cell."""

HEADER_SEARCH_ROWS = 20  # a title or notes above the header are skipped, up to this many rows
MAX_PROBLEMS = 10_000  # a hopeless file stops being checked after this many problems
_SHOWN_VALUE = 80  # characters of a value a problem quotes


class Kind(enum.StrEnum):
    """What a file holds: the staff list or the cases."""

    WORKERS = "workers"
    CASES = "cases"

    @property
    def noun(self) -> str:
        return "worker" if self is Kind.WORKERS else "case"


# --- Problems ---------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a file.

    Attributes:
        line: the line of the file (the row of a sheet); None for the file as a whole.
        column: the column's header as the file writes it (a missing column: the field).
        value: the value as read ("" when there is none).
        message: what is wrong, in the manager's words.
        sheet: the workbook sheet (None for CSV).
    """

    line: int | None
    column: str | None
    value: str
    message: str
    sheet: str | None = None

    @property
    def where(self) -> str:
        parts = []
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column:
            parts.append(f"column {self.column!r}")
        return ", ".join(parts)

    def __str__(self) -> str:
        value = f" (value {self.value!r})" if self.value else ""
        where = self.where
        return f"{where}: {self.message}{value}" if where else f"{self.message}{value}"

    def as_json(self) -> dict[str, object]:
        return {
            "sheet": self.sheet,
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "problem": self.message,
        }


def shown(value: str) -> str:
    """A value as a problem quotes it (long ones cut short)."""
    return value if len(value) <= _SHOWN_VALUE else value[: _SHOWN_VALUE - 1] + "…"


# --- Normalising what people type ------------------------------------------------------------


_NOT_ALNUM = re.compile(r"[\W_]+")


def header_key(text: str) -> str:
    """A header (or a coded value) as matched: case, spaces, underscores, punctuation ignored."""
    return _NOT_ALNUM.sub("", unicodedata.normalize("NFKC", text).casefold())


_CODED_PREFIX = re.compile(r"^\s*[a-z]\)\s*", re.IGNORECASE)


def _vocabulary_key(text: str) -> str:
    """A coded value as matched: Annex A's letter prefix ("a) Male") dropped, then as headers."""
    return header_key(_CODED_PREFIX.sub("", text))


# --- Vocabularies -----------------------------------------------------------------------------


_E = TypeVar("_E", bound=enum.StrEnum)


def _aliases(
    members: Iterable[_E], label: Callable[[_E], str], extra: dict[str, _E]
) -> dict[str, _E]:
    table: dict[str, _E] = {}
    for member in members:
        table[header_key(member.value)] = member
        table[header_key(label(member))] = member
    table.update({header_key(k): v for k, v in extra.items()})
    return table


_ROLES = _aliases(
    Role,
    lambda r: r.label,
    {
        "SW": Role.SOCIAL_WORKER,
        "qualified social worker": Role.SOCIAL_WORKER,
        "senior social worker": Role.SENIOR_PRACTITIONER,
        "senior SW": Role.SENIOR_PRACTITIONER,
        "SSW": Role.SENIOR_PRACTITIONER,
        "SP": Role.SENIOR_PRACTITIONER,
        "AP": Role.ADVANCED_PRACTITIONER,
        "advanced social worker": Role.ADVANCED_PRACTITIONER,
        "newly qualified": Role.ASYE,
        "newly qualified social worker": Role.ASYE,
        "NQSW": Role.ASYE,
        "ASYE social worker": Role.ASYE,
        "student social worker": Role.STUDENT,
        "social work student": Role.STUDENT,
        "FSW": Role.FAMILY_SUPPORT_WORKER,
        "family support": Role.FAMILY_SUPPORT_WORKER,
        "TM": Role.TEAM_MANAGER,
        "SM": Role.SERVICE_MANAGER,
    },
)
_EMPLOYMENTS = _aliases(
    Employment,
    lambda e: e.label,
    {
        "perm": Employment.PERMANENT,
        "employed": Employment.PERMANENT,
        "substantive": Employment.PERMANENT,
        "staff": Employment.PERMANENT,
        "agency worker": Employment.AGENCY,
        "agency staff": Employment.AGENCY,
        "interim": Employment.LOCUM,
        "locum/interim": Employment.LOCUM,
        "interim/locum": Employment.LOCUM,
    },
)
_STATUSES = _aliases(
    WorkerStatus,
    lambda s: s.value,
    {
        "current": WorkerStatus.ACTIVE,
        "in post": WorkerStatus.ACTIVE,
        "suspended": WorkerStatus.INACTIVE,
        "absent": WorkerStatus.INACTIVE,
        "long-term absence": WorkerStatus.INACTIVE,
        "long term absence": WorkerStatus.INACTIVE,
    },
)
_RISKS = _aliases(Risk, lambda r: r.value, {"med": Risk.MEDIUM, "moderate": Risk.MEDIUM})
_YES = frozenset(header_key(w) for w in ("yes", "y", "true", "1", "in proceedings"))
_NO = frozenset(header_key(w) for w in ("no", "n", "false", "0", "none"))
UNALLOCATED_WORDS = frozenset(
    header_key(w) for w in ("unallocated", "not allocated", "awaiting allocation")
)


def parse_role(text: str) -> Role:
    try:
        return _ROLES[_vocabulary_key(text)]
    except KeyError:
        accepted = ", ".join(r.label for r in Role)
        raise ValueError(f"unknown role; expected one of {accepted}") from None


def parse_employment(text: str) -> Employment:
    try:
        return _EMPLOYMENTS[_vocabulary_key(text)]
    except KeyError:
        raise ValueError("unknown employment; expected permanent, agency or locum") from None


def parse_status(text: str) -> WorkerStatus:
    try:
        return _STATUSES[_vocabulary_key(text)]
    except KeyError:
        raise ValueError(
            "unknown status; expected active, or inactive (long-term absence, suspended)"
        ) from None


def parse_risk(text: str) -> Risk:
    try:
        return _RISKS[_vocabulary_key(text)]
    except KeyError:
        raise ValueError("unknown risk; expected low, medium or high") from None


def parse_yes_no(text: str) -> bool:
    key = _vocabulary_key(text)
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise ValueError("expected yes or no")


_FTE_STEP = Decimal("0.01")


def parse_fte(text: str) -> Decimal:
    """``1``, ``0.8``, ``0.75`` or ``80%``: more than 0, at most 1, in hundredths."""
    value = text.strip()
    percent = value.endswith("%")
    try:
        number = Decimal(value.rstrip("%").strip())
    except InvalidOperation:
        raise ValueError("not a number; write the FTE as 1.0, 0.8 or 80%") from None
    if percent:
        number /= 100
    if not number.is_finite() or not Decimal(0) < number <= Decimal(1):
        raise ValueError("FTE must be more than 0 and at most 1.0 (or 100%)")
    if number != number.quantize(_FTE_STEP):
        raise ValueError("FTE has at most two decimal places (0.75)")
    return number.quantize(_FTE_STEP)


_DATE_SHAPE = re.compile(r"^\s*\d{1,4}[/.-]\d{1,2}[/.-]\d{1,4}\s*$")
_SHORT_YEAR = re.compile(r"^\s*\d{1,2}[/.-]\d{1,2}[/.-]\d{2}\s*$")
_ISO_WITH_TIME = re.compile(r"^\s*(\d{4}-\d{1,2}-\d{1,2})[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*$")
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100


def parse_date_cell(cell: Cell) -> dt.date:
    """A date cell or text: ISO or day first (never month first); a time part of midnight
    exports (``2026-11-26 00:00:00``) is dropped. Impossible dates are refused."""
    if isinstance(cell, dt.datetime):
        day = cell.date()
    elif isinstance(cell, dt.date):
        day = cell
    else:
        with_time = _ISO_WITH_TIME.match(cell)
        text = with_time.group(1) if with_time else cell
        try:
            day = parse_date(text)
        except ValueError:
            if _SHORT_YEAR.match(text):
                raise ValueError("write the year in full (DD/MM/YYYY)") from None
            if _DATE_SHAPE.match(text):
                hint = "" if "-" in text else " (dates are day first: DD/MM/YYYY)"
                raise ValueError(f"not a real date{hint}") from None
            raise ValueError("not a date; write it as YYYY-MM-DD or DD/MM/YYYY") from None
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise ValueError(f"an impossible date (the year must be {EARLIEST_YEAR}-{LATEST_YEAR})")
    return day


# --- Fields -------------------------------------------------------------------------------------


class Parse(enum.Enum):
    """How a field's cells are read."""

    TEXT = "text"
    DATE = "date"
    ROLE = "role"
    EMPLOYMENT = "employment"
    FTE = "fte"
    STATUS = "status"
    CATEGORY = "category"
    RISK = "risk"
    YES_NO = "yes_no"
    TEAM = "team"
    WORKER = "worker"


@dataclasses.dataclass(frozen=True)
class Field:
    """One field of a kind of file.

    Attributes:
        key: the template's column name (``staff_id``).
        parse: how its cells are read.
        required: a row must give a value (blank is a problem).
        needs_column: a file without a column for it is refused (unless the mapping gives
            the field another way: a copy of another field, a default, the sheet's category).
        max_length: longest text the store keeps.
    """

    key: str
    parse: Parse
    required: bool = False
    needs_column: bool = False
    max_length: int | None = None


WORKER_FIELDS: tuple[Field, ...] = (
    Field("staff_id", Parse.TEXT, required=True, needs_column=True, max_length=40),
    Field("name", Parse.TEXT, required=True, needs_column=True, max_length=200),
    Field("role", Parse.ROLE, required=True, needs_column=True),
    Field("employment", Parse.EMPLOYMENT),
    Field("fte", Parse.FTE),
    Field("team", Parse.TEAM, required=True, needs_column=True, max_length=120),
    Field("start_date", Parse.DATE, required=True, needs_column=True),
    Field("end_date", Parse.DATE),
    Field("status", Parse.STATUS),
)
CASE_FIELDS: tuple[Field, ...] = (
    Field("case_ref", Parse.TEXT, required=True, needs_column=True, max_length=40),
    Field("child_id", Parse.TEXT, required=True, needs_column=True, max_length=60),
    Field("child_name", Parse.TEXT, required=True, needs_column=True, max_length=200),
    Field("date_of_birth", Parse.DATE),
    Field("family_group", Parse.TEXT, max_length=40),
    Field("team", Parse.TEAM, required=True, needs_column=True, max_length=120),
    Field("category", Parse.CATEGORY, required=True, needs_column=True),
    Field("opened_on", Parse.DATE, required=True, needs_column=True),
    Field("allocated_worker", Parse.WORKER, needs_column=True, max_length=200),
    Field("allocated_on", Parse.DATE),
    Field("next_visit_due", Parse.DATE),
    Field("closed_on", Parse.DATE),
    Field("risk", Parse.RISK),
    Field("court_proceedings", Parse.YES_NO),
)
FIELDS: dict[Kind, tuple[Field, ...]] = {Kind.WORKERS: WORKER_FIELDS, Kind.CASES: CASE_FIELDS}
KEY_FIELD = {Kind.WORKERS: "staff_id", Kind.CASES: "case_ref"}

# What a blank cell means where the field is optional (the template's documented defaults).
BLANK_MEANS: dict[str, object] = {
    "employment": Employment.PERMANENT,
    "fte": Decimal("1.00"),
    "status": WorkerStatus.ACTIVE,
    "risk": Risk.MEDIUM,
    "court_proceedings": False,
}


def field_of(kind: Kind, key: str) -> Field:
    for f in FIELDS[kind]:
        if f.key == key:
            return f
    raise KeyError(f"{kind.value} files have no field {key!r}")


# --- Mappings -----------------------------------------------------------------------------------

WorkersBy = Literal["staff_id", "staff_id_or_name"]
UnknownWorkers = Literal["error", "orphaned"]
SheetChoice = Literal["first", "all"]
TODAY_DEFAULT = "today"


@dataclasses.dataclass(frozen=True)
class ColumnMapping:
    """Which of a file's columns holds each field, and how the layout's quirks are read.

    Attributes:
        name: the mapping's name (``template``, ``annex-a`` or a user's).
        kind: the kind of file it reads (None: either, as the template).
        columns: field -> the headers that may hold it, best first.
        copies: field -> the field it copies when the file has no column for it (Annex A has
            no case reference: the child's ID is the case's).
        defaults: field -> the value new rows take when the file has no column for it
            (``"today"`` for a date: the day of the import).
        category_by_column: header -> the category of every row of a sheet that has that
            column and no category column (Annex A's lists are known by their columns).
        workers_by: how a case's worker is named: staff IDs only, or staff ID or name.
        unknown_workers: a worker named who is not on the staff list: a problem, or (Annex A,
            where a name missing from the staff list is a worker who has left) recorded as an
            inactive worker, so the case shows as orphaned.
        sheets: a workbook's first sheet with the columns, or every sheet that has them (a
            child on several lists is one case: the row of the later list counts, an open one
            before a closed one).
        description: one line for the manager.
    """

    name: str
    kind: Kind | None
    columns: dict[str, tuple[str, ...]]
    copies: dict[str, str] = dataclasses.field(default_factory=dict)
    defaults: dict[str, str] = dataclasses.field(default_factory=dict)
    category_by_column: dict[str, Category] = dataclasses.field(default_factory=dict)
    workers_by: WorkersBy = "staff_id"
    unknown_workers: UnknownWorkers = "error"
    sheets: SheetChoice = "first"
    description: str = ""

    def with_columns(self, overrides: dict[str, str], kind: Kind) -> ColumnMapping:
        """This mapping for ``kind`` files, with ``field -> header`` put first for each field
        named."""
        fields = {f.key for f in FIELDS[kind]}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ValueError(
                f"{kind.value} files have no field {', '.join(unknown)}; the fields are "
                + ", ".join(f.key for f in FIELDS[kind])
            )
        columns = {k: v for k, v in self.columns.items() if k in fields}
        for key, header in overrides.items():
            columns[key] = (header, *(h for h in columns.get(key, ()) if h != header))
        return dataclasses.replace(self, columns=columns, kind=kind)

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": None if self.kind is None else self.kind.value,
            "description": self.description,
            "columns": {k: list(v) for k, v in self.columns.items()},
            "copies": dict(self.copies),
            "defaults": dict(self.defaults),
            "category_by_column": {k: v.value for k, v in self.category_by_column.items()},
            "workers_by": self.workers_by,
            "unknown_workers": self.unknown_workers,
            "sheets": self.sheets,
        }

    @classmethod
    def from_json(cls, data: object) -> ColumnMapping:
        """A mapping from its JSON form; ``ValueError`` names what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("a mapping is a JSON object")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ValueError("the mapping has no name")
        kind_text = data.get("kind")
        try:
            kind = None if kind_text is None else Kind(kind_text)
        except ValueError:
            raise ValueError("kind must be 'workers' or 'cases'") from None
        columns = _json_dict(data, "columns")
        fields = {f.key for k in Kind for f in FIELDS[k] if kind in (None, k)}
        parsed_columns: dict[str, tuple[str, ...]] = {}
        for key, headers in columns.items():
            if key not in fields:
                raise ValueError(f"columns: no field {key!r}")
            if isinstance(headers, str):
                headers = [headers]
            if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
                raise ValueError(f"columns.{key}: a header or a list of headers")
            parsed_columns[key] = tuple(headers)
        copies = {str(k): str(v) for k, v in _json_dict(data, "copies").items()}
        for key, source in copies.items():
            if key not in fields or source not in fields:
                raise ValueError(f"copies: {key!r} from {source!r} names an unknown field")
        defaults = {str(k): str(v) for k, v in _json_dict(data, "defaults").items()}
        for key in defaults:
            if key not in fields:
                raise ValueError(f"defaults: no field {key!r}")
        try:
            by_column = {
                str(k): Category(v) for k, v in _json_dict(data, "category_by_column").items()
            }
        except ValueError:
            raise ValueError(
                "category_by_column: categories are " + ", ".join(c.value for c in Category)
            ) from None
        workers_by = data.get("workers_by", "staff_id")
        if workers_by not in ("staff_id", "staff_id_or_name"):
            raise ValueError("workers_by must be 'staff_id' or 'staff_id_or_name'")
        unknown_workers = data.get("unknown_workers", "error")
        if unknown_workers not in ("error", "orphaned"):
            raise ValueError("unknown_workers must be 'error' or 'orphaned'")
        sheets = data.get("sheets", "first")
        if sheets not in ("first", "all"):
            raise ValueError("sheets must be 'first' or 'all'")
        description = data.get("description", "")
        return cls(
            name=name.strip(),
            kind=kind,
            columns=parsed_columns,
            copies=copies,
            defaults=defaults,
            category_by_column=by_column,
            workers_by=workers_by,
            unknown_workers=unknown_workers,
            sheets=sheets,
            description=str(description or ""),
        )


def _json_dict(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ValueError(f"{key} must be a JSON object")
    return value


TEMPLATE = ColumnMapping(
    name="template",
    kind=None,
    description="The documented template (resources/templates/workers.csv and cases.csv).",
    columns={
        "staff_id": ("staff_id", "staff number", "employee id", "employee number"),
        "name": ("name", "worker name", "full name", "staff name"),
        "role": ("role", "job title"),
        "employment": ("employment", "employment type", "contract type"),
        "fte": ("fte", "full time equivalent"),
        "team": ("team", "team name", "allocated team"),
        "start_date": ("start_date", "started on"),
        "end_date": ("end_date", "leave date", "leaving date", "left on"),
        "status": ("status",),
        "case_ref": ("case_ref", "case reference", "case number"),
        "child_id": ("child_id", "child unique id", "person id"),
        "child_name": ("child_name", "child"),
        "date_of_birth": ("date_of_birth", "dob"),
        "family_group": ("family_group", "family identifier", "family id"),
        "category": ("category", "case category"),
        "opened_on": ("opened_on", "open date", "case start date"),
        "allocated_worker": ("allocated_worker", "allocated staff id"),
        "allocated_on": ("allocated_on", "allocation date", "allocated since"),
        "next_visit_due": ("next_visit_due", "next visit"),
        "closed_on": ("closed_on", "closure date", "close date"),
        "risk": ("risk", "risk level"),
        "court_proceedings": ("court_proceedings", "court", "care proceedings"),
    },
)

# Ofsted's Annex A lists 3-9 (the lists that carry Allocated Team and Allocated Worker), as the
# sample in ../shared/data/annex-a-sample.xlsx lays them out. Each list is known by a column
# only it has, which is also the date its involvement started (the care leavers' list has none).
_ANNEX_A_LISTS: tuple[tuple[str, Category], ...] = (
    ("Date of Referral", Category.REFERRAL),  # list 3
    ("Continuous Assessment Start Date", Category.ASSESSMENT),  # list 4
    ("Strategy discussion initiating Section 47 Enquiry Start Date", Category.ASSESSMENT),  # 5
    ("CIN Start Date", Category.CIN),  # list 6
    ("Child Protection Plan Start Date", Category.CP),  # list 7
    ("Date Started to be Looked After", Category.CLA),  # list 8
    ("Eligibility Category", Category.CARE_LEAVER),  # list 9
)

ANNEX_A = ColumnMapping(
    name="annex-a",
    kind=Kind.CASES,
    description=(
        "Ofsted Annex A lists 3-9 (a workbook of lists, or one list as CSV): the child, the "
        "allocated team and worker (by name); a worker not on the staff list is a leaver."
    ),
    columns={
        "child_id": ("Child Unique ID", "Child ID", "Child Unique Identifier", "Unique ID"),
        "case_ref": ("Case Reference", "Case Ref", "Case Number"),
        "child_name": ("Child Name", "Name"),
        "date_of_birth": ("Date of Birth", "DOB"),
        "family_group": ("Family identifier", "Family ID"),
        "team": ("Allocated Team", "Team"),
        "category": ("Category", "Case Category"),
        "opened_on": tuple(h for h, _ in _ANNEX_A_LISTS[:-1]),
        "allocated_worker": ("Allocated Worker", "Allocated Social Worker", "Social Worker"),
        "closed_on": (
            "CIN Closure Date",
            "Child Protection Plan End Date",
            "Date Ceased to be Looked After",
        ),
    },
    copies={"case_ref": "child_id", "child_name": "child_id"},
    defaults={"opened_on": TODAY_DEFAULT},
    category_by_column=dict(_ANNEX_A_LISTS),
    workers_by="staff_id_or_name",
    unknown_workers="orphaned",
    sheets="all",
)

BUILT_IN: dict[str, ColumnMapping] = {m.name: m for m in (TEMPLATE, ANNEX_A)}


# --- Reading text files -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sheet:
    """Rows of a file or of one sheet of a workbook, blank rows left out.

    Attributes:
        name: the sheet's name (None: a CSV file).
        rows: (line, cells) of every non-blank row, the header among them.
        problems: what made the rest unreadable (the rows before it are kept).
    """

    name: str | None
    rows: Sequence[tuple[int, Sequence[Cell]]]
    problems: tuple[Problem, ...] = ()


class NotText(ValueError):
    """The bytes are not text in an encoding the import reads."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: UTF-8 (with or without a byte-order
    mark, as Excel's "CSV UTF-8" writes it), UTF-16 with its mark, else Windows-1252 (Excel's
    plain "CSV" on a UK Windows PC). ``NotText`` gives the line of the first unreadable byte."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError as exc:
                raise NotText(
                    f"the file says it is {encoding.upper()} but is not",
                    data.count(b"\n", 0, exc.start) + 1,
                ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "windows-1252"
    except UnicodeDecodeError as exc:
        raise NotText(
            "the file is not text (neither UTF-8 nor Windows-1252): save it as CSV or .xlsx",
            data.count(b"\n", 0, exc.start) + 1,
        ) from None


_DELIMITER_SEARCH = 65_536  # characters searched for the first line before the whole text


def _delimiter(text: str) -> str:
    """The separator of the header line: comma, or the semicolon or tab some exports use."""
    # The first line is near the start: split only the start of a big file into lines (the
    # last of them may be cut short, so it counts only when the start is the whole text).
    start = text[:_DELIMITER_SEARCH]
    lines = start.splitlines()
    if len(start) < len(text):
        del lines[-1:]
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def csv_sheet(text: str) -> Sheet:
    """The rows of CSV text with the line each starts on (a quoted value may span lines)."""
    nul = text.find("\x00")
    nul_line = 0
    if nul >= 0:  # csv refuses NUL: read up to its line, and say where it is
        nul_line = text.count("\n", 0, nul) + 1
        text = text[: text.rfind("\n", 0, nul) + 1]
    delimiter = _delimiter(text)
    rows: list[tuple[int, Sequence[Cell]]] = []
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        every: list[list[str]] | None = list(reader)
    except csv.Error:
        every = None
    if every is not None and reader.line_num == len(every):
        # Each row on a line of its own (no quoted value spans lines): row n is line n. A row
        # is blank when no cell holds more than spaces (``map``: no per-row bytecode).
        numbered = zip(itertools.count(1), every)
        if all(map(str.strip, map("".join, every))):
            rows = list(numbered)
        else:
            filled = map(str.strip, map("".join, every))
            rows = [row for row, keep in zip(numbered, filled, strict=True) if keep]
    else:  # read again, row by row, for the line each starts on (or where it cannot be read)
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        start = 1
        try:
            for cells in reader:
                if "".join(cells).strip():  # not blank: a cell holds more than spaces
                    rows.append((start, cells))
                start = reader.line_num + 1
        except csv.Error as exc:
            problems.append(
                Problem(start, None, "", f"the file cannot be read as CSV here ({exc})")
            )
    if nul >= 0:
        problems.append(
            Problem(
                nul_line,
                None,
                "",
                "the line holds a NUL character: the file is not text (save it as CSV)",
            )
        )
    return Sheet(None, rows, tuple(problems))


# --- Columns ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Columns:
    """How one sheet's columns give each field.

    Attributes:
        header_line: the header's line.
        header: the header's cells as written.
        at: field -> the column index holding it.
        copies: field -> the field it copies.
        category: the sheet's category (a list known by its columns), if any.
        ignored: headers no field reads.
        defaults: field -> what new rows take when the sheet has no column for it.
    """

    header_line: int
    header: tuple[str, ...]
    at: dict[str, int]
    copies: dict[str, str]
    category: Category | None
    ignored: tuple[str, ...]
    defaults: dict[str, str] = dataclasses.field(default_factory=dict)

    def source(self, key: str) -> str | None:
        """What gives ``key``, as the preview shows it."""
        if key in self.at:
            return self.header[self.at[key]]
        if key in self.copies:
            return f"(copy of {self.copies[key]})"
        if key == "category" and self.category is not None:
            return f"({self.category.short}: the list's category)"
        if key in self.defaults:
            default = self.defaults[key]
            return (
                "(new rows: the day of the import)"
                if default == TODAY_DEFAULT
                else f"(new rows: {default})"
            )
        return None


def resolve_columns(
    header: Sequence[Cell], line: int, mapping: ColumnMapping, kind: Kind, sheet: str | None
) -> tuple[Columns, list[Problem]]:
    """Match a header row against ``mapping``; problems for missing or doubled columns."""
    texts = tuple((c.isoformat() if isinstance(c, dt.date) else str(c)).strip() for c in header)
    keys = [header_key(t) for t in texts]
    problems: list[Problem] = []
    at: dict[str, int] = {}
    for f in FIELDS[kind]:
        for wanted in mapping.columns.get(f.key, ()):
            wanted_key = header_key(wanted)
            found = [i for i, k in enumerate(keys) if k and k == wanted_key]
            if not found:
                continue
            if len(found) > 1:
                problems.append(
                    Problem(
                        line,
                        texts[found[1]],
                        "",
                        f"two columns are called {texts[found[0]]!r}: keep one",
                        sheet,
                    )
                )
            if found[0] in at.values():
                continue  # already read as another field (listed first in the mapping)
            at[f.key] = found[0]
            break
    category = None
    if "category" not in at:
        for header_text, listed in mapping.category_by_column.items():
            if header_key(header_text) in keys:
                category = listed
                break
    copies = {k: v for k, v in mapping.copies.items() if k not in at and v in at}
    for f in FIELDS[kind]:
        given = (
            f.key in at
            or f.key in copies
            or f.key in mapping.defaults
            or (f.key == "category" and category is not None)
        )
        if f.needs_column and not given:
            headers = mapping.columns.get(f.key, ())
            hint = f" (headed {' or '.join(repr(h) for h in headers[:3])})" if headers else ""
            problems.append(
                Problem(line, f.key, "", f"the required column {f.key}{hint} is missing", sheet)
            )
    used = set(at.values())
    ignored = tuple(t for i, t in enumerate(texts) if i not in used and t)
    defaults = {k: v for k, v in mapping.defaults.items() if k not in at}
    return Columns(line, texts, at, copies, category, ignored, defaults), problems


def find_header(
    sheet: Sheet, mapping: ColumnMapping, kind: Kind
) -> tuple[Columns | None, list[Problem]]:
    """The sheet's header: the first of its first rows whose columns satisfy the mapping (a
    title above the header is skipped); otherwise the problems of its first row."""
    if not sheet.rows:
        return None, [Problem(None, None, "", "the file holds no rows", sheet.name)]
    first: tuple[Columns, list[Problem]] | None = None
    for line, cells in sheet.rows[:HEADER_SEARCH_ROWS]:
        columns, problems = resolve_columns(cells, line, mapping, kind, sheet.name)
        if not problems:
            return columns, []
        if first is None:
            first = (columns, problems)
    assert first is not None
    return None, first[1]


# --- Validating rows ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, slots=True)
class UnlistedWorker:
    """A worker a file names who is not on the staff list (recorded as inactive)."""

    name: str


UNLISTED_PREFIX = "UNLISTED-"


def unlisted_staff_id(name: str) -> str:
    """The staff ID given to a worker named in an extract but not on the staff list: the same
    for the same name in any database, so importing the list again finds them."""
    digest = hashlib.sha256(fold_name(name).encode("utf-8")).hexdigest()[:10].upper()
    return UNLISTED_PREFIX + digest


@dataclasses.dataclass(frozen=True)
class Known:
    """What the database already holds that rows are checked against.

    Attributes:
        teams: folded team name -> team id.
        staff: upper-cased staff ID -> worker id.
        names: folded worker name -> ids of the workers so called (staff-list workers
            only, unless none is on it).
        staff_ids: worker id -> staff ID (to name them in a problem).
        checked: False to read a file without a database (a preview): teams and workers are
            then not looked up, and a cases file's team or worker is never a problem.
    """

    teams: dict[str, int] = dataclasses.field(default_factory=dict)
    staff: dict[str, int] = dataclasses.field(default_factory=dict)
    names: dict[str, tuple[int, ...]] = dataclasses.field(default_factory=dict)
    staff_ids: dict[int, str] = dataclasses.field(default_factory=dict)
    checked: bool = True


@dataclasses.dataclass(slots=True)
class Record:
    """A row of the file: its line and the fields it gives (a field whose column the file does
    not have is absent from ``values``; ``defaults`` are what a new row takes for such fields,
    from the mapping). ``ok`` is False for a row with a problem (kept only so its reference
    still counts in the duplicate check)."""

    line: int
    sheet: str | None
    values: dict[str, Any]
    ok: bool = True
    defaults: dict[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def closed(self) -> bool:
        return self.values.get("closed_on") is not None


@dataclasses.dataclass
class Validated:
    """The rows of a file, checked.

    Attributes:
        kind: workers or cases.
        records: the rows that read cleanly (all of them only when ``problems`` is empty).
        problems: everything wrong, in file order.
        rows: data rows read.
        columns: the sheets used, with how their columns were read.
        notes: what the manager should know that is not a problem.
        new_teams: (workers) teams the file names that do not exist: folded -> as written.
        unlisted: (cases) workers named but not on the staff list: folded -> as written.
    """

    kind: Kind
    records: list[Record]
    problems: list[Problem]
    rows: int
    columns: list[tuple[str | None, Columns]]
    notes: list[str] = dataclasses.field(default_factory=list)
    new_teams: dict[str, str] = dataclasses.field(default_factory=dict)
    unlisted: dict[str, str] = dataclasses.field(default_factory=dict)


class _Bad(Exception):
    """A cell that cannot be used (the message says why)."""


_ERROR_VALUES = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#NAME?", "#DIV/0!", "#NULL!", "#NUM!", "#SPILL!", "#CALC!"}
)
_DEFUSED = ("'=", "'+", "'-", "'@")
_SPECIAL_STARTS = frozenset("#='")


def _unspecial(text: str) -> str:
    """A trimmed text starting ``#``, ``=`` or ``'``: spreadsheet errors and formulas refused,
    an export's defusing apostrophe dropped."""
    if text.upper() in _ERROR_VALUES:
        raise _Bad(
            f"a spreadsheet error ({text}) where a value should be: the formula or look-up "
            "that filled this cell failed"
        )
    if text.startswith(_DEFUSED):
        return text[1:]
    if text[0] == "=":
        raise _Bad("a spreadsheet formula, not its value: save the file with values")
    return text


class _Reader:
    """Turns cells into field values; each field remembers each distinct text's answer."""

    def __init__(self, kind: Kind, mapping: ColumnMapping, known: Known) -> None:
        self.kind = kind
        self.mapping = mapping
        self.known = known
        self.new_teams: dict[str, str] = {}
        self.unlisted: dict[str, str] = {}
        self.parsers: dict[Parse, Callable[[Cell], object] | None] = {
            Parse.TEXT: None,  # the text itself
            Parse.DATE: parse_date_cell,
            Parse.ROLE: lambda c: parse_role(_text(c)),
            Parse.EMPLOYMENT: lambda c: parse_employment(_text(c)),
            Parse.FTE: lambda c: parse_fte(_text(c)),
            Parse.STATUS: lambda c: parse_status(_text(c)),
            Parse.CATEGORY: lambda c: parse_category(_text(c)),
            Parse.RISK: lambda c: parse_risk(_text(c)),
            Parse.YES_NO: lambda c: parse_yes_no(_text(c)),
            Parse.TEAM: self._team,
            Parse.WORKER: self._worker,
        }

    def _team(self, cell: Cell) -> object:
        name = _text(cell)
        folded = fold_name(name)
        team_id = self.known.teams.get(folded)
        if team_id is not None:
            return team_id
        if self.kind is Kind.WORKERS or not self.known.checked:
            self.new_teams.setdefault(folded, " ".join(name.split()))
            return folded
        raise ValueError(
            "no such team in this database (import the staff list first: it creates the "
            "teams it names)"
        )

    def _worker(self, cell: Cell) -> object:
        text = _text(cell)
        if header_key(text) in UNALLOCATED_WORDS:
            return None
        if not self.known.checked:
            return text
        found = self.known.staff.get(text.upper())
        if found is not None:
            return found
        by_name = self.mapping.workers_by == "staff_id_or_name"
        folded = fold_name(text)
        ids = self.known.names.get(folded, ()) if by_name else ()
        if len(ids) == 1:
            return ids[0]
        if len(ids) > 1:
            raise ValueError(
                "more than one worker has this name: use the staff ID ("
                + ", ".join(sorted(self.known.staff_ids[i] for i in ids))
                + ")"
            )
        if self.mapping.unknown_workers == "orphaned":
            return UnlistedWorker(self.unlisted.setdefault(folded, " ".join(text.split())))
        if by_name:
            raise ValueError("no worker with this name or staff ID on the staff list")
        raise ValueError("no worker with this staff ID (import the staff list first)")


def validate(
    sheets: Sequence[Sheet],
    kind: Kind,
    mapping: ColumnMapping,
    known: Known,
    *,
    today: dt.date,
    progress: Callable[[int], None] | None = None,
) -> Validated:
    """Check every row of ``sheets`` against ``mapping`` and what the database holds
    (``known``); ``today`` is the day of the import (a ``"today"`` default).
    ``progress(rows_done)`` is called every 1000 rows."""
    if mapping.kind is not None and mapping.kind is not kind:
        raise ValueError(f"the {mapping.name!r} mapping reads {mapping.kind.value} files")
    result = Validated(kind, [], [], 0, [])
    reader = _Reader(kind, mapping, known)
    used: list[tuple[Sheet, Columns]] = []
    skipped: list[str] = []
    first_failure: list[Problem] = []
    for sheet in sheets:
        columns, problems = find_header(sheet, mapping, kind)
        if columns is None:
            first_failure = first_failure or problems
            skipped += [] if sheet.name is None else [sheet.name]
            continue
        used.append((sheet, columns))
        if mapping.sheets == "first":
            break
    if not used:
        result.problems += first_failure
        result.problems += [p for s in sheets for p in s.problems]
        return result
    if skipped:
        result.notes.append(
            "Sheets without the columns this mapping reads were left out: " + ", ".join(skipped)
        )
    result.columns = [(sheet.name, columns) for sheet, columns in used]
    for sheet, columns in used:
        if columns.ignored and mapping.sheets == "first":
            result.notes.append(
                ("Columns" if sheet.name is None else f"Sheet {sheet.name!r}: columns")
                + " that no field reads were left out: "
                + ", ".join(columns.ignored)
            )
        defaults = _defaults(columns, reader, kind, today, sheet.name, result.problems)
        _validate_sheet(sheet, columns, reader, result, progress, defaults)
        result.problems += sheet.problems
    if len(result.problems) >= MAX_PROBLEMS:
        result.notes.append(f"Checking stopped after {MAX_PROBLEMS} problems.")
    _check_across_rows(result, mapping)
    result.new_teams = reader.new_teams
    result.unlisted = reader.unlisted
    if reader.unlisted:
        names = sorted(reader.unlisted.values())
        result.notes.append(
            f"{len(names)} worker(s) named in the file are not on the staff list: they are "
            "recorded as inactive, so their cases show as orphaned ("
            + ", ".join(names[:10])
            + (", ..." if len(names) > 10 else "")
            + ")"
        )
    return result


def _defaults(
    columns: Columns,
    reader: _Reader,
    kind: Kind,
    today: dt.date,
    sheet: str | None,
    problems: list[Problem],
) -> dict[str, Any]:
    """The mapping's defaults for the fields this sheet has no column for, read as cells are
    (a default the field cannot take is a problem of the header line)."""
    values: dict[str, Any] = {}
    for key, text in columns.defaults.items():
        f = field_of(kind, key)
        parse = reader.parsers[f.parse]
        try:
            if text == TODAY_DEFAULT and f.parse is Parse.DATE:
                values[key] = today
            else:
                values[key] = text if parse is None else parse(text)
        except ValueError as exc:
            problems.append(
                Problem(columns.header_line, key, text, f"the mapping's default: {exc}", sheet)
            )
    return values


class _Error:
    """What a cell's answer is when the cell cannot be used."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


_REQUIRED = "a value is required here"


def _answer(
    cell: Cell,
    parse: Callable[[Cell], object] | None,
    required: bool,
    max_length: int | None,
    blank: object,
) -> object:
    """What one cell says for its field (the value as the field reads it), or an ``_Error``."""
    try:
        if isinstance(cell, str):
            text = cell.strip()
            if not text:
                return _Error(_REQUIRED) if required else blank
            if text[0] in _SPECIAL_STARTS:
                text = _unspecial(text)
            if max_length is not None and len(text) > max_length:
                return _Error(f"longer than {max_length} characters")
            return text if parse is None else parse(text)
        return _text(cell) if parse is None else parse(cell)
    except (_Bad, ValueError) as exc:
        return _Error(str(exc))


_CHUNK_ROWS = 1000  # rows checked between progress reports


def _validate_sheet(
    sheet: Sheet,
    columns: Columns,
    reader: _Reader,
    result: Validated,
    progress: Callable[[int], None] | None,
    defaults: dict[str, Any],
) -> None:
    """Check a sheet's rows a column at a time, a chunk of rows at a time: a column's distinct
    values are read once (a service's 100,000 cases share a few hundred dates, teams and
    workers), and the rows' values come together with C-speed comprehensions."""
    kind = result.kind
    key_field = KEY_FIELD[kind]
    width = len(columns.header)
    # Per field: its key, column, parser (None: the text itself), answers so far and the cells
    # among them that are wrong, whether a value is required, the longest text, what a blank
    # means, its header.
    plan = [
        (
            f.key,
            columns.at[f.key],
            reader.parsers[f.parse],
            dict[Cell, object](),
            set[Cell](),
            f.required,
            f.max_length,
            BLANK_MEANS.get(f.key),
            columns.header[columns.at[f.key]],
        )
        for f in FIELDS[kind]
        if f.key in columns.at
    ]
    keys = [key for key, *_ in plan]
    pick = _picker([index for _, index, *_ in plan])
    copies = list(columns.copies.items())
    category = columns.category
    # Dates that must come in order, as (earlier's column, later's column, message, header).
    pairs = [
        (keys.index(earlier), keys.index(later), message, columns.source(later) or later)
        for earlier, later, message in _IN_ORDER
        if earlier in keys and later in keys
    ]
    problems = result.problems
    name = sheet.name
    records = result.records
    header_at = next(i for i, (line, _) in enumerate(sheet.rows) if line == columns.header_line)
    data = sheet.rows[header_at + 1 :]
    # A field read the same whatever came before (all but teams and workers, whose reading
    # remembers what it met) has its distinct cells read once for the whole sheet: a chunk
    # then only looks its cells up.
    every_row = list(map(_cells_of, data))
    for f, (_key, index, parse, answers, wrongs, required, max_length, blank, _) in zip(
        (f for f in FIELDS[kind] if f.key in columns.at), plan, strict=True
    ):
        if parse is None or f.parse in _REMEMBERING:
            continue
        try:
            cells = list(map(operator.itemgetter(index), every_row))
        except IndexError:  # a short row (its chunk pads it): read a chunk at a time
            continue
        for cell in [c for c in dict.fromkeys(cells) if c not in answers]:
            answer = answers[cell] = _answer(cell, parse, required, max_length, blank)
            if isinstance(answer, _Error):
                wrongs.add(cell)
    for start in range(0, len(data), _CHUNK_ROWS):
        if len(problems) >= MAX_PROBLEMS:
            result.rows += len(data) - start
            break
        chunk = data[start : start + _CHUNK_ROWS]
        lines = list(map(_line_of, chunk))
        rows = list(map(_cells_of, chunk))
        bad: set[int] = set()
        if max(map(len, rows)) > width:
            for i, cells in enumerate(rows):
                if len(cells) > width and any(_text(c).strip() for c in cells[width:]):
                    problems.append(
                        Problem(
                            lines[i],
                            None,
                            "",
                            f"the row has {len(cells)} values but the header has {width} "
                            "columns (a value with a comma in it needs quotes)",
                            name,
                        )
                    )
                    bad.add(i)
        if min(map(len, rows)) < width:  # short rows padded: a missing cell is an empty one
            rows = [c if len(c) >= width else [*c, *[""] * (width - len(c))] for c in rows]
        picked = list(zip(*map(pick, rows), strict=True))
        read_columns = []
        for field, column in zip(plan, picked, strict=True):
            _key, _index, parse, answers, wrongs, required, max_length, blank, header = field
            read: list[Any]
            suspects: Sequence[int]
            if parse is None:  # text: most cells need only trimming
                try:
                    read = list(map(str.strip, column))
                except TypeError:  # a spreadsheet's date cell among the text
                    read = [c.strip() if isinstance(c, str) else _text(c) for c in column]
                # Blank, special or too long: checked cell by cell only when a cell may be.
                if (
                    "" in read
                    or any(map(str.startswith, read, itertools.repeat(_SPECIAL_PREFIXES)))
                    or (max_length is not None and max(map(len, read)) > max_length)
                ):
                    suspects = [
                        i
                        for i, text in enumerate(read)
                        if not text
                        or text[0] in _SPECIAL_STARTS
                        or (max_length is not None and len(text) > max_length)
                    ]
                    # A blank cell (often most of an optional column) needs no more reading.
                    blank_answer = _Error(_REQUIRED) if required else blank
                    for i in suspects:
                        read[i] = (
                            _answer(column[i], None, required, max_length, blank)
                            if read[i]
                            else blank_answer
                        )
                else:
                    suspects = ()
            else:
                try:  # most chunks hold only cells read before
                    read = list(map(answers.__getitem__, column))
                except KeyError:  # each new distinct cell read once, in file order
                    for cell in [c for c in dict.fromkeys(column) if c not in answers]:
                        answer = answers[cell] = _answer(cell, parse, required, max_length, blank)
                        if isinstance(answer, _Error):
                            wrongs.add(cell)
                    read = list(map(answers.__getitem__, column))
                wrong = wrongs.intersection(column) if wrongs else ()
                suspects = [i for i, c in enumerate(column) if c in wrong] if wrong else ()
            for i in suspects:
                answer = read[i]
                if isinstance(answer, _Error):
                    cell = column[i]
                    problems.append(
                        Problem(lines[i], header, shown(_text(cell)), answer.message, name)
                    )
                    bad.add(i)
            read_columns.append(read)
        # Dates out of order, a column pair at a time (rows with a bad cell are not compared).
        rejected = set(bad)
        for earlier, later, message, column_name in pairs:
            firsts, seconds = read_columns[earlier], read_columns[later]
            for i in [
                i
                for i, first, second in zip(range(len(rows)), firsts, seconds, strict=True)
                if first is not None and second is not None and i not in bad and second < first
            ]:
                problems.append(
                    Problem(lines[i], column_name, seconds[i].isoformat(), message, name)
                )
                rejected.add(i)
        # Each row's values as a dict, built in C (zip and dict over the columns).
        by_row = zip(*read_columns, strict=True)
        row_values = list(map(dict, map(zip, itertools.repeat(keys), by_row)))
        if copies or category is not None:
            for values in row_values:
                for key, source in copies:
                    values[key] = values[source]
                if category is not None:
                    values["category"] = category
        if not rejected:
            records += map(
                Record,
                lines,
                itertools.repeat(name),
                row_values,
                itertools.repeat(True),
                itertools.repeat(defaults),
            )
        else:
            for i, values in enumerate(row_values):
                if i not in rejected:
                    records.append(Record(lines[i], name, values, defaults=defaults))
                elif not isinstance(values.get(key_field, _NO_KEY), _Error | _NoKey):
                    # Kept (not ok) so its reference still counts in the duplicate check.
                    records.append(Record(lines[i], name, {key_field: values[key_field]}, ok=False))
        result.rows += len(chunk)
        if progress is not None:
            progress(result.rows)


_line_of = operator.itemgetter(0)  # of a sheet's (line, cells)
_cells_of = operator.itemgetter(1)
_SPECIAL_PREFIXES = tuple(_SPECIAL_STARTS)  # a text starting so is looked at closely
_REMEMBERING = frozenset({Parse.TEAM, Parse.WORKER})  # reading these remembers what it met


def _picker(indexes: Sequence[int]) -> Callable[[Sequence[Cell]], tuple[Cell, ...]]:
    """A row's cells at ``indexes``, as a tuple (itemgetter gives a bare value for one)."""
    getter = operator.itemgetter(*indexes)
    if len(indexes) == 1:
        return lambda cells: (getter(cells),)
    return getter


class _NoKey:
    """A row without its key field."""


_NO_KEY = _NoKey()


def _text(cell: Cell) -> str:
    return cell.isoformat() if isinstance(cell, dt.date) else cell


_IN_ORDER = (
    ("start_date", "end_date", "the end date is before the start date"),
    ("opened_on", "closed_on", "the case closes before it opens"),
    ("opened_on", "allocated_on", "allocated before the case opened"),
)


def _check_across_rows(result: Validated, mapping: ColumnMapping) -> None:
    """Duplicate references (a child on several Annex A lists is one case: the later list's
    row counts, an open one before a closed one), then children whose rows disagree."""
    kind = result.kind
    key_field = KEY_FIELD[kind]
    keys = _upper_texts(result.records, key_field)
    kept: dict[str, Record] = {}
    merged = 0
    if len(set(keys)) == len(keys):  # every reference once, as in most files
        kept = dict(zip(keys, result.records, strict=True))
    else:
        for key, record in zip(keys, result.records, strict=True):
            before = kept.get(key)
            if before is None:
                kept[key] = record
            elif mapping.sheets == "all" and before.sheet != record.sheet:
                merged += 1
                if not (record.closed and not before.closed):
                    kept[key] = record
            else:
                where = f"line {before.line}" + (
                    f" of sheet {before.sheet!r}" if before.sheet != record.sheet else ""
                )
                result.problems.append(
                    Problem(
                        record.line,
                        _column_of(result, record.sheet, key_field),
                        shown(str(record.values[key_field])),
                        f"this {key_field} is also on {where}: each {kind.noun} once",
                        record.sheet,
                    )
                )
    if merged:
        result.notes.append(
            f"{merged} row(s) name a child already on an earlier list: the later list's row "
            "is used (an open one before a closed one)"
        )
    result.records = [r for r in kept.values() if r.ok]
    if kind is Kind.CASES:
        _check_children(result)
    result.problems.sort(key=lambda p: (_sheet_order(result, p.sheet), p.line or 0))


def _upper_texts(records: Sequence[Record], key: str) -> list[str]:
    """Each record's ``key`` as upper-case text (``map``: no per-row bytecode)."""
    values = map(operator.itemgetter(key), map(operator.attrgetter("values"), records))
    return list(map(str.upper, map(str, values)))


def _sheet_order(result: Validated, sheet: str | None) -> int:
    for index, (name, _) in enumerate(result.columns):
        if name == sheet:
            return index
    return -1


def _column_of(result: Validated, sheet: str | None, key: str) -> str:
    for name, columns in result.columns:
        if name == sheet:
            return columns.source(key) or key
    return key


_CHILD_FIELDS = ("child_name", "date_of_birth", "family_group")


def _check_children(result: Validated) -> None:
    """A child on two rows (two cases of one child) must be the same child on both."""
    ids = _upper_texts(result.records, "child_id")
    if len(set(ids)) == len(ids):  # every child on one row
        return
    children: dict[str, Record] = {}
    for record in result.records:
        before = children.setdefault(str(record.values["child_id"]).upper(), record)
        if before is record:
            continue
        for key in _CHILD_FIELDS:
            if key not in record.values or key not in before.values:
                continue
            value = record.values[key]
            if value != before.values[key]:
                result.problems.append(
                    Problem(
                        record.line,
                        _column_of(result, record.sheet, key),
                        "" if value is None else shown(str(value)),
                        f"child {record.values['child_id']} is on line {before.line} "
                        f"with another {key.replace('_', ' ')}",
                        record.sheet,
                    )
                )
