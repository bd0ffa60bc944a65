"""The import dialog's two tables: a file's first rows as a mapping reads them, and the
validation report.

``PreviewModel`` shows one sheet of ``services.imports.preview``: a column per field of the
kind of file, each filled from the file's column that gives it (the header says which), with
the cells a problem names marked. When the mapping found no header, the sheet's rows are
shown as they are, their columns lettered as a spreadsheet letters them.

``ProblemsModel`` holds every problem (sheet, line, column, value, problem) and sorts itself
on native values (lines as numbers), keeping the selection on the problem it was on.

``ChangesModel`` lists what a clean file's import would do: each row it adds or updates, with
the fields that change.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from PySide6 import QtCore, QtGui

from caseload_desktop.domain.imports import ColumnMapping, Problem, header_key
from caseload_desktop.services.imports import RowChange, SheetPreview
from caseload_desktop.ui.models.table import ROOT as _ROOT
from caseload_desktop.ui.models.table import AnyIndex, ReadOnlyTable

# Translucent, so the mark reads on light and dark palettes alike.
PROBLEM_BACKGROUND = QtGui.QColor(196, 43, 28, 70)
NOT_IN_FILE = "(not in the file)"
NEW_ROW = "(a new row: every field the file gives)"


class Role(enum.IntEnum):
    """The models' own roles."""

    LINE = QtCore.Qt.ItemDataRole.UserRole  # the row's line in the file (int or None)
    SORT = QtCore.Qt.ItemDataRole.UserRole + 1  # native sort value
    PROBLEM = QtCore.Qt.ItemDataRole.UserRole + 2  # a cell's problems, in words (or None)


def column_letters(number: int) -> str:
    """A spreadsheet's name for the column at ``number`` (0: ``A``, 26: ``AA``)."""
    letters = ""
    number += 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _list_category(sheet: SheetPreview, mapping: ColumnMapping) -> str | None:
    """The category every row of a list has (Annex A's lists are known by a column only
    each has), as ``domain.imports.resolve_columns`` finds it."""
    keys = {header_key(text) for text in sheet.header}
    for text, category in mapping.category_by_column.items():
        if header_key(text) in keys:
            return category.short
    return None


class PreviewModel(QtCore.QAbstractTableModel):
    """One sheet's first rows as the mapping reads them.

    Column 0 is the line in the file; then one column per field (``fields``), in the order of
    the template. A field the file has no column for is shown empty, headed by what gives it
    instead (a copy of another field, the list's category, a default) or "(not in the file)".

    Attributes:
        sheet: the sheet shown (None: nothing yet).
        raw: the mapping found no header: the rows are shown as they are.
    """

    COL_LINE = 0

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.sheet: SheetPreview | None = None
        self.raw = False
        self._headers: list[tuple[str, str]] = []  # (title, where it comes from)
        self._tips: list[str] = []
        self._at: list[int | None] = []  # the file's column index for each shown column
        self._constant: dict[int, str] = {}  # shown column -> what every row reads there
        self._marks: dict[tuple[int, int], list[str]] = {}  # (row, column) -> problems
        self._rows: list[tuple[int, tuple[str, ...]]] = []

    # --- Filling ---------------------------------------------------------------------------

    def set_sheet(
        self,
        sheet: SheetPreview | None,
        mapping: ColumnMapping | None = None,
        problems: Sequence[Problem] = (),
    ) -> None:
        """Show ``sheet`` (a new file, or another sheet of it: the whole table changes)."""
        self.beginResetModel()
        self.sheet = sheet
        self._headers, self._tips, self._at, self._marks, self._rows = [], [], [], {}, []
        self._constant = {}
        self.raw = sheet is not None and sheet.header_line is None
        if sheet is not None:
            self._rows = list(sheet.rows)
            if self.raw:
                self._raw_columns(sheet)
            else:
                self._field_columns(sheet, mapping)
            self._mark(sheet, problems)
        self.endResetModel()

    def _raw_columns(self, sheet: SheetPreview) -> None:
        width = max((len(cells) for _line, cells in sheet.rows), default=0)
        for number in range(width):
            letter = column_letters(number)
            self._headers.append((letter, ""))
            self._tips.append(f"Column {letter} of the file")
            self._at.append(number)

    def _field_columns(self, sheet: SheetPreview, mapping: ColumnMapping | None) -> None:
        position: dict[str, int] = {}
        for number, text in enumerate(sheet.header):
            position.setdefault(text, number)
        sources = dict(sheet.fields)
        copies = mapping.copies if mapping is not None else {}
        for key, source in sheet.fields:
            if source is not None and source in position:
                self._headers.append((key, source))
                self._tips.append(f"{key} is read from the file's column {source!r}.")
                self._at.append(position[source])
                continue
            copied = sources.get(copies.get(key, ""))
            at = position.get(copied) if copied is not None else None
            if source is None:
                self._headers.append((key, NOT_IN_FILE))
                self._tips.append(
                    f"The file has no column for {key}: rows already in the database keep "
                    "theirs, and new rows take the default."
                )
            else:
                self._headers.append((key, source))
                self._tips.append(f"{key}: {source.strip('()')}.")
                if key == "category" and mapping is not None:
                    listed = _list_category(sheet, mapping)
                    if listed is not None:
                        self._constant[len(self._headers)] = listed
            self._at.append(at)

    def _mark(self, sheet: SheetPreview, problems: Sequence[Problem]) -> None:
        """Note each problem on the cell it names (the line's first cell when it names no
        column of the table)."""
        row_of = {line: row for row, (line, _cells) in enumerate(self._rows)}
        column_of: dict[str, int] = {}
        for column, (key, source) in enumerate(self._headers, 1):
            column_of.setdefault(source, column)
            column_of.setdefault(key, column)
        for problem in problems:
            if problem.sheet != sheet.name or problem.line not in row_of:
                continue
            row = row_of[problem.line]
            column = column_of.get(problem.column or "", self.COL_LINE) if not self.raw else 0
            self._marks.setdefault((row, column), []).append(problem.message)

    # --- Reading ---------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        if parent.isValid() or self.sheet is None:
            return 0
        return 1 + len(self._headers)

    def headerData(
        self,
        section: int,
        orientation: QtCore.Qt.Orientation,
        role: int = QtCore.Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if orientation != QtCore.Qt.Orientation.Horizontal:
            return None
        if section == self.COL_LINE and self.sheet is not None:
            if role == QtCore.Qt.ItemDataRole.DisplayRole:
                return "Line"
            if role in (
                QtCore.Qt.ItemDataRole.ToolTipRole,
                QtCore.Qt.ItemDataRole.AccessibleTextRole,
            ):
                return "The row's line in the file (the header is line 1)"
            return None
        if not 1 <= section <= len(self._headers):
            return None
        title, source = self._headers[section - 1]
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            if self.raw:
                return title
            return f"{title}\n{source}" if source.startswith("(") else f"{title}\n← {source}"
        if role in (QtCore.Qt.ItemDataRole.ToolTipRole, QtCore.Qt.ItemDataRole.AccessibleTextRole):
            return self._tips[section - 1]
        if role == QtCore.Qt.ItemDataRole.FontRole and source == NOT_IN_FILE:
            font = QtGui.QFont()
            font.setItalic(True)
            return font
        return None

    def flags(self, index: AnyIndex) -> QtCore.Qt.ItemFlag:
        if not index.isValid():
            return QtCore.Qt.ItemFlag.NoItemFlags
        return QtCore.Qt.ItemFlag.ItemIsEnabled | QtCore.Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = QtCore.Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        line, cells = self._rows[index.row()]
        column = index.column()
        if role == Role.LINE:
            return line
        marks = self._marks.get((index.row(), column))
        if role in (QtCore.Qt.ItemDataRole.DisplayRole, Role.SORT):
            return line if column == self.COL_LINE else self._cell(cells, column)
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole and column == self.COL_LINE:
            return QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
        if role == QtCore.Qt.ItemDataRole.BackgroundRole and marks:
            return QtGui.QBrush(PROBLEM_BACKGROUND)
        if role in (QtCore.Qt.ItemDataRole.ToolTipRole, Role.PROBLEM) and marks:
            return "\n".join(marks)
        if role == QtCore.Qt.ItemDataRole.AccessibleTextRole:
            text = str(line) if column == self.COL_LINE else self._cell(cells, column)
            return f"{text} (problem: {'; '.join(marks)})" if marks else text
        return None

    def _cell(self, cells: tuple[str, ...], column: int) -> str:
        if not 1 <= column <= len(self._at):
            return ""
        if column in self._constant:
            return self._constant[column]
        at = self._at[column - 1]
        return cells[at] if at is not None and at < len(cells) else ""

    def source_of(self, key: str) -> str | None:
        """What gives the field ``key`` (a header or a description); None if not shown."""
        for title, source in self._headers:
            if title == key and not self.raw:
                return source
        return None


class ProblemsModel(ReadOnlyTable):
    """Every problem of a file, sortable on each column (lines as numbers)."""

    COL_SHEET, COL_LINE, COL_COLUMN, COL_VALUE, COL_PROBLEM = range(5)
    HEADERS = ("Sheet", "Line", "Column", "Value", "Problem")
    HEADER_TIPS = (
        "The workbook's sheet",
        "The line in the file (the header is line 1)",
        "The column, as the file heads it (a missing column: the field)",
        "The value as the file has it",
        "What is wrong",
    )

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._problems: list[Problem] = []
        self._order: list[int] = []  # row -> index in _problems
        self._sort: tuple[int, QtCore.Qt.SortOrder] | None = None

    def set_problems(self, problems: Sequence[Problem]) -> None:
        """Show ``problems`` (a new report: the whole table changes), in the sort chosen."""
        self.beginResetModel()
        self._problems = list(problems)
        self._order = self._sorted()
        self.endResetModel()

    def problems(self) -> list[Problem]:
        """The problems in the order shown."""
        return [self._problems[i] for i in self._order]

    def problem_at(self, row: int) -> Problem:
        return self._problems[self._order[row]]

    def has_sheets(self) -> bool:
        return any(p.sheet for p in self._problems)

    # --- Reading ---------------------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._order)

    def data(self, index: AnyIndex, role: int = QtCore.Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._order):
            return None
        problem = self._problems[self._order[index.row()]]
        column = index.column()
        if role == QtCore.Qt.ItemDataRole.DisplayRole:
            return self._display(problem, column)
        if role == Role.SORT:
            return self._sort_value(problem, column)
        if role == Role.LINE:
            return problem.line
        if role == QtCore.Qt.ItemDataRole.ToolTipRole:
            return str(problem)
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole and column == self.COL_LINE:
            return QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
        return None

    def _display(self, problem: Problem, column: int) -> str:
        if column == self.COL_SHEET:
            return problem.sheet or ""
        if column == self.COL_LINE:
            return "" if problem.line is None else str(problem.line)
        if column == self.COL_COLUMN:
            return problem.column or ""
        if column == self.COL_VALUE:
            return problem.value
        if column == self.COL_PROBLEM:
            return problem.message
        return ""

    def _sort_value(self, problem: Problem, column: int) -> Any:
        """Native values: lines as numbers (the file as a whole first), text ignoring case."""
        if column == self.COL_LINE:
            return -1 if problem.line is None else problem.line
        return self._display(problem, column).casefold()

    # --- Sorting ---------------------------------------------------------------------------

    def sort(
        self, column: int, order: QtCore.Qt.SortOrder = QtCore.Qt.SortOrder.AscendingOrder
    ) -> None:
        """Sort on ``column``'s native values (-1: back to the file's order), keeping the
        selection on its problems. Equal values keep the file's order."""
        self._sort = (column, order) if 0 <= column < len(self.HEADERS) else None
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        held = [self._order[index.row()] for index in persistent]
        self._order = self._sorted()
        position = {problem: row for row, problem in enumerate(self._order)}
        self.changePersistentIndexList(
            persistent,
            [
                self.index(position[problem], index.column())
                for problem, index in zip(held, persistent, strict=True)
            ],
        )
        self.layoutChanged.emit()

    def _sorted(self) -> list[int]:
        order = list(range(len(self._problems)))
        if self._sort is None:
            return order
        column, direction = self._sort
        keys = [self._sort_value(p, column) for p in self._problems]
        # Descending keeps equal values in the file's order too (a stable sort, reversed twice).
        if direction == QtCore.Qt.SortOrder.DescendingOrder:
            order.sort(key=lambda i: (keys[i], -i), reverse=True)
        else:
            order.sort(key=lambda i: keys[i])
        return order


class ChangesModel(ReadOnlyTable):
    """What an import would add or change, a row each (``ImportResult.changes``)."""

    COL_SHEET, COL_LINE, COL_KEY, COL_CHANGE, COL_FIELDS = range(5)
    HEADERS = ("Sheet", "Line", "Row", "Change", "What changes")

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._changes: list[RowChange] = []
        self._key_label = self.HEADERS[self.COL_KEY]

    def set_changes(self, changes: Sequence[RowChange], key_label: str) -> None:
        """Show ``changes`` (a new check: the whole table changes); ``key_label`` heads the
        rows' IDs ("Staff ID", "Case")."""
        self.beginResetModel()
        self._changes = list(changes)
        self._key_label = key_label
        self.endResetModel()
        self.headerDataChanged.emit(QtCore.Qt.Orientation.Horizontal, 0, len(self.HEADERS) - 1)

    def has_sheets(self) -> bool:
        return any(c.sheet for c in self._changes)

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._changes)

    def header_text(self, section: int) -> str:
        return self._key_label if section == self.COL_KEY else self.HEADERS[section]

    def data(self, index: AnyIndex, role: int = QtCore.Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._changes):
            return None
        change = self._changes[index.row()]
        column = index.column()
        if role == Role.LINE:
            return change.line
        if role == Role.SORT and column == self.COL_LINE:
            return change.line
        if role in (QtCore.Qt.ItemDataRole.DisplayRole, Role.SORT):
            if column == self.COL_SHEET:
                return change.sheet or ""
            if column == self.COL_LINE:
                return str(change.line)
            if column == self.COL_KEY:
                return change.key
            if column == self.COL_CHANGE:
                return "New" if change.status == "new" else "Updated"
            if column == self.COL_FIELDS:
                return ", ".join(change.fields) if change.fields else NEW_ROW
            return None
        if role == QtCore.Qt.ItemDataRole.TextAlignmentRole and column == self.COL_LINE:
            return QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
        return None
