"""File > Import: the staff list or the cases from a CSV or Excel extract, checked first.

A wizard of four pages over ``services.imports``:

1. **File**: the extract, what it holds (the staff list or cases) and the column mapping
   (the template, Annex A, or one of the user's own, from ``import-mappings`` in the data
   folder). Next reads the file and checks every row against the database (a dry run, which
   only reads: anyone may make one), off the GUI thread behind a progress bar with Cancel
   (a cancelled read leaves the wizard where it was, with nothing read).
2. **Preview**: the first rows as the mapping reads them, a column a field, each headed by
   the file's column that gives it; the columns no field reads; the cells a problem names
   marked.
3. **Check**: the validation report (every problem, sortable, exportable as CSV) or what
   importing would do (new, updated, unchanged). Import stays disabled while there is a
   problem: one bad row and nothing is written. Import runs off the GUI thread with a
   progress bar and Cancel; Cancel rolls everything back (the service raises ``Cancelled``).
4. **Imported**: what the import did. The board follows by itself: the service announces
   the change through the context's ``changes``.

Expected failures (a file that cannot be read, a mapping that does not fit, an import the
user's role does not allow) are shown as a message; nothing here shows a traceback.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from PySide6 import QtCore, QtWidgets

from caseload_desktop.context import AppContext
from caseload_desktop.domain.imports import BUILT_IN, Kind, Problem
from caseload_desktop.errors import Cancelled, CaseloadError
from caseload_desktop.reports.import_report import write_problems_csv
from caseload_desktop.services import imports
from caseload_desktop.services.imports import ImportResult, Preview
from caseload_desktop.ui.background import Progress, run_with_progress
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.models.imports import ChangesModel, PreviewModel, ProblemsModel
from caseload_desktop.ui.widgets.caseload_board import ROW_PADDING

TITLE = "Import"
PREVIEW_ROWS = imports.PREVIEW_ROWS
DIALOG_CHARS, DIALOG_LINES = 170, 44  # the wizard's size in the text's own measure
MAPPING_CHARS = 24  # the mapping picker's width (a saved mapping's name is up to 60)
MAX_COLUMN_CHARS = 32  # a preview column is no wider than this (its tooltip has the rest)
CSV_FILTER = "CSV files (*.csv);;All files (*)"
ALERT_STYLE = "color: #b3261e;"
NOTE_STYLE = "color: palette(placeholder-text);"
KIND_LABELS = {Kind.WORKERS: "&Staff list (workers)", Kind.CASES: "&Cases"}
KIND_NAMES = {Kind.WORKERS: "the staff list", Kind.CASES: "cases"}
KEY_LABELS = {Kind.WORKERS: "Staff ID", Kind.CASES: "Case"}
# Words in a file's name that say what it holds (the manager can always choose otherwise).
KIND_HINTS = {Kind.WORKERS: ("worker", "staff"), Kind.CASES: ("case", "annex")}
SORT_CHOICES = (
    ("File order", -1),
    ("Line", ProblemsModel.COL_LINE),
    ("Column", ProblemsModel.COL_COLUMN),
    ("Value", ProblemsModel.COL_VALUE),
    ("Problem", ProblemsModel.COL_PROBLEM),
    ("Sheet", ProblemsModel.COL_SHEET),
)


def _plural(count: int, noun: str, nouns: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else nouns or noun + 's'}"


def _mapping_fits(name: str, kind: Kind) -> bool:
    """``name`` can read ``kind`` files; a mapping that cannot be read at all is listed too,
    so that choosing it says what is wrong with it."""
    try:
        imports.load_mapping(name, kind)
        return True
    except CaseloadError:
        other = Kind.CASES if kind is Kind.WORKERS else Kind.WORKERS
        try:
            imports.load_mapping(name, other)
        except CaseloadError:
            return True
        return False  # a mapping of the other kind of file


def _table(name: str, model: QtCore.QAbstractItemModel) -> QtWidgets.QTableView:
    view = QtWidgets.QTableView()
    view.setAccessibleName(name)
    view.setModel(model)
    view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setTabKeyNavigation(False)  # Tab leaves the table, as in every other dialog
    view.verticalHeader().hide()
    view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + ROW_PADDING)
    header = view.horizontalHeader()
    header.setHighlightSections(False)
    header.setDefaultAlignment(QtCore.Qt.AlignmentFlag.AlignLeft | QtCore.Qt.AlignmentFlag.AlignTop)
    return view


def _fit_columns(view: QtWidgets.QTableView, columns: range | Sequence[int]) -> None:
    """Each column as wide as its header and its shown cells, but a long cell no wider than
    ``MAX_COLUMN_CHARS`` (its tooltip has the rest)."""
    header = view.horizontalHeader()
    widest = view.fontMetrics().averageCharWidth() * MAX_COLUMN_CHARS
    for column in columns:
        title = header.sectionSizeFromContents(column).width()
        view.setColumnWidth(column, max(title, min(view.sizeHintForColumn(column), widest)))


def _note(name: str, *, rich: bool = False) -> QtWidgets.QLabel:
    """A label for what the dialog says. Plain text unless ``rich`` (whose callers escape
    what comes from the file): a file or mapping named ``<b>...`` shows as it is named."""
    label = QtWidgets.QLabel()
    label.setAccessibleName(name)
    label.setTextFormat(QtCore.Qt.TextFormat.RichText if rich else QtCore.Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(QtCore.Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


# --- Page 1: the file -----------------------------------------------------------------------


class ChoosePage(QtWidgets.QWizardPage):
    """The file, what it holds and the mapping.

    Attributes:
        path_edit: the file's path (typed, pasted or chosen with Browse).
        browse_button: the system's file dialog (``Interaction.choose_file_to_import``).
        kind_buttons: a radio button per kind of file.
        mapping_combo: the mappings that read the kind chosen.
        mapping_note: what the mapping chosen reads.
        status_label: what the last Next did when it did not go on (a cancelled read).
    """

    def __init__(self, dialog: ImportDialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.setTitle("Choose the extract")
        self.setSubTitle(
            "A CSV or Excel (.xlsx) file from the case management system or HR. Nothing is "
            "written until you have seen what the import would do."
        )
        self._kind_chosen = False  # the manager picked a kind: the file's name no longer does

        self.path_edit = QtWidgets.QLineEdit()
        self.path_edit.setObjectName("import_path")
        self.path_edit.setAccessibleName("File to import")
        self.path_edit.setPlaceholderText("A .csv or .xlsx file")
        self.path_edit.setClearButtonEnabled(True)
        self.browse_button = QtWidgets.QPushButton("&Browse…")
        self.browse_button.setObjectName("import_browse")
        self.browse_button.setAccessibleName("Browse for the file to import")
        self.browse_button.setAutoDefault(False)
        file_row = QtWidgets.QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)

        self.kind_group = QtWidgets.QButtonGroup(self)
        self.kind_buttons: dict[Kind, QtWidgets.QRadioButton] = {}
        kind_column = QtWidgets.QVBoxLayout()
        for kind in (Kind.WORKERS, Kind.CASES):
            button = QtWidgets.QRadioButton(KIND_LABELS[kind])
            button.setObjectName(f"import_kind_{kind.value}")
            button.setAccessibleName(KIND_LABELS[kind].replace("&", ""))
            self.kind_group.addButton(button)
            self.kind_buttons[kind] = button
            kind_column.addWidget(button)
        self.kind_buttons[Kind.CASES].setChecked(True)
        kind_hint = QtWidgets.QLabel("Import the staff list first: it creates the teams it names.")
        kind_hint.setStyleSheet(NOTE_STYLE)
        kind_column.addWidget(kind_hint)

        self.mapping_combo = QtWidgets.QComboBox()
        self.mapping_combo.setObjectName("import_mapping")
        self.mapping_combo.setAccessibleName("Column mapping")
        self.mapping_combo.setMinimumContentsLength(MAPPING_CHARS)
        self.mapping_combo.setSizeAdjustPolicy(
            QtWidgets.QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.mapping_note = _note("What the mapping reads")
        self.mapping_note.setStyleSheet(NOTE_STYLE)
        self.status_label = _note("What was done")
        self.status_label.setObjectName("import_choose_status")
        self.status_label.hide()

        form = QtWidgets.QFormLayout(self)
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        file_label = QtWidgets.QLabel("&File:")
        file_label.setBuddy(self.path_edit)
        form.addRow(file_label, file_row)
        form.addRow("It holds:", kind_column)
        mapping_label = QtWidgets.QLabel("Column &mapping:")
        mapping_label.setBuddy(self.mapping_combo)
        mapping_row = QtWidgets.QHBoxLayout()
        mapping_row.addWidget(self.mapping_combo)
        mapping_row.addStretch(1)
        mapping_column = QtWidgets.QVBoxLayout()
        mapping_column.addLayout(mapping_row)
        mapping_column.addWidget(self.mapping_note)
        form.addRow(mapping_label, mapping_column)
        form.addRow("", self.status_label)

        self.setTabOrder(self.path_edit, self.browse_button)
        self.setTabOrder(self.browse_button, self.kind_buttons[Kind.WORKERS])
        self.setTabOrder(self.kind_buttons[Kind.WORKERS], self.kind_buttons[Kind.CASES])
        self.setTabOrder(self.kind_buttons[Kind.CASES], self.mapping_combo)

        self.path_edit.textChanged.connect(self._path_changed)
        self.browse_button.clicked.connect(self.browse)
        self.kind_group.buttonClicked.connect(self._kind_clicked)
        self.mapping_combo.currentIndexChanged.connect(self._describe_mapping)
        self.fill_mappings()

    # --- What was chosen -----------------------------------------------------------------

    def path(self) -> Path:
        return Path(self.path_edit.text().strip().strip('"')).expanduser()

    def kind(self) -> Kind:
        for kind, button in self.kind_buttons.items():
            if button.isChecked():
                return kind
        return Kind.CASES

    def mapping_name(self) -> str:
        return str(self.mapping_combo.currentData() or "template")

    def set_file(self, path: Path, kind: Kind | None = None, mapping: str | None = None) -> None:
        """Choose ``path`` (and ``kind`` and ``mapping`` when given), as the manager would."""
        self.path_edit.setText(str(path))
        if kind is not None:
            self.kind_buttons[kind].setChecked(True)
            self._kind_chosen = True
            self.fill_mappings()
        if mapping is not None:
            self.mapping_combo.setCurrentIndex(self.mapping_combo.findData(mapping))

    # --- Reacting ------------------------------------------------------------------------

    @QtCore.Slot()
    def browse(self) -> None:
        typed = self.path_edit.text().strip()
        start = self.path().parent if typed and self.path().parent.is_dir() else Path.home()
        chosen = Interaction.choose_file_to_import(self, start)
        if chosen is not None:
            self.path_edit.setText(str(chosen))
            self.path_edit.setFocus()

    def set_status(self, text: str) -> None:
        """Say what the last Next did when it did not go on ("" says nothing)."""
        self.status_label.setText(text)
        self.status_label.setVisible(bool(text))

    @QtCore.Slot(str)
    def _path_changed(self, text: str) -> None:
        self.set_status("")
        if not self._kind_chosen:
            name = Path(text.strip()).name.casefold()
            for kind, words in KIND_HINTS.items():
                if any(word in name for word in words):
                    self.kind_buttons[kind].setChecked(True)
                    self.fill_mappings()
                    break
        self.completeChanged.emit()

    @QtCore.Slot(QtWidgets.QAbstractButton)
    def _kind_clicked(self, _button: QtWidgets.QAbstractButton) -> None:
        self._kind_chosen = True
        self.fill_mappings()

    def fill_mappings(self) -> None:
        """The mappings that read the kind chosen: the built-in ones, then the user's."""
        kind = self.kind()
        current = self.mapping_combo.currentData()
        self.mapping_combo.blockSignals(True)
        try:
            self.mapping_combo.clear()
            for name in imports.mapping_names():
                if _mapping_fits(name, kind):
                    self.mapping_combo.addItem(name, name)
            found = self.mapping_combo.findData(current) if current else -1
            self.mapping_combo.setCurrentIndex(max(found, 0))
        finally:
            self.mapping_combo.blockSignals(False)
        self._describe_mapping()

    @QtCore.Slot()
    def _describe_mapping(self) -> None:
        name = self.mapping_name()
        try:
            mapping = imports.load_mapping(name, self.kind())
        except CaseloadError as exc:
            self.mapping_note.setText(str(exc))
            return
        text = mapping.description
        if name not in BUILT_IN:
            folder = imports.mappings_dir()
            text = text or "Your own mapping"
            text += f" (saved in {folder / (name + '.json')})"
        self.mapping_note.setText(text)
        self.mapping_combo.setToolTip(text)

    # --- The wizard's questions ----------------------------------------------------------

    def isComplete(self) -> bool:
        return bool(self.path_edit.text().strip())

    def validatePage(self) -> bool:
        return self.dialog.read_file()


# --- Page 2: the preview --------------------------------------------------------------------


class PreviewPage(QtWidgets.QWizardPage):
    """The first rows as the mapping reads them.

    Attributes:
        model: the rows (``PreviewModel``).
        view: the table.
        sheet_combo: the sheet shown (a workbook with several the mapping reads).
        source_label: what the file is and how many rows it has.
        ignored_label: the columns no field reads.
        missing_label: the fields the file has no column for.
        problems_label: how many problems there are.
    """

    def __init__(self, dialog: ImportDialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.setTitle("Preview")
        self.preview: Preview | None = None

        self.source_label = _note("The file")
        self.sheet_combo = QtWidgets.QComboBox()
        self.sheet_combo.setObjectName("import_sheet")
        self.sheet_combo.setAccessibleName("Sheet shown")
        self.sheet_label = QtWidgets.QLabel("S&heet:")
        self.sheet_label.setBuddy(self.sheet_combo)
        self.model = PreviewModel(self)
        self.view = _table("The file's first rows, a column for each field", self.model)
        self.view.setObjectName("import_preview")
        self.ignored_label = _note("Columns no field reads", rich=True)
        self.missing_label = _note("Fields the file has no column for")
        self.missing_label.setStyleSheet(NOTE_STYLE)
        self.problems_label = _note("Problems found", rich=True)

        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.source_label, 1)
        top.addWidget(self.sheet_label)
        top.addWidget(self.sheet_combo)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.ignored_label)
        layout.addWidget(self.missing_label)
        layout.addWidget(self.problems_label)
        self.setTabOrder(self.sheet_combo, self.view)

        self.sheet_combo.currentIndexChanged.connect(self._show_sheet)

    def show_preview(self, preview: Preview) -> None:
        self.preview = preview
        name = preview.path.name
        self.setSubTitle(
            f"The first rows of {name} as the {preview.mapping.name} mapping reads them: a "
            "column for each field, headed by the file's column that gives it."
        )
        shown = max((len(s.rows) for s in preview.sheets), default=0)
        text = f"{name}: {preview.source}, {_plural(preview.rows, 'row')}"
        if preview.rows > shown:
            text += (
                f" (the first {shown} of each sheet shown)"
                if len(preview.sheets) > 1
                else f" (the first {shown} shown)"
            )
        self.source_label.setText(text + ".")
        self.sheet_combo.blockSignals(True)
        try:
            self.sheet_combo.clear()
            for sheet in preview.sheets:
                self.sheet_combo.addItem(sheet.name or name)
            self.sheet_combo.setCurrentIndex(0)
        finally:
            self.sheet_combo.blockSignals(False)
        several = len(preview.sheets) > 1
        self.sheet_combo.setVisible(several)
        self.sheet_label.setVisible(several)
        count = len(preview.problems)
        if count:
            self.problems_label.setText(
                f'<span style="{ALERT_STYLE}"><b>{_plural(count, "problem")}</b></span> '
                "in the file: the cells marked here (each says what is wrong in its tooltip), "
                "and every one with its line and column on the next page."
            )
        else:
            self.problems_label.setText("No problems found.")
        self._show_sheet()

    @QtCore.Slot()
    def _show_sheet(self) -> None:
        preview = self.preview
        number = self.sheet_combo.currentIndex()
        if preview is None or not 0 <= number < len(preview.sheets):
            self.model.set_sheet(None)
            return
        sheet = preview.sheets[number]
        self.model.set_sheet(sheet, preview.mapping, preview.problems)
        _fit_columns(self.view, range(self.model.columnCount()))
        if self.model.raw:
            self.ignored_label.setText(
                "The mapping found no header in this sheet's first rows, so its rows are "
                "shown as they are. The next page says which columns are missing."
            )
            self.missing_label.hide()
            return
        ignored = ", ".join(sheet.ignored)
        self.ignored_label.setText(
            f"<b>Ignored columns</b> (no field reads them): {html.escape(ignored)}"
            if ignored
            else "Every column of the file is read."
        )
        missing = [key for key, source in sheet.fields if source is None]
        self.missing_label.setText(
            f"Not in the file: {', '.join(missing)}. Rows already in the database keep theirs; "
            "new rows take the defaults."
            if missing
            else ""
        )
        self.missing_label.setVisible(bool(missing))

    def initializePage(self) -> None:
        self.view.setFocus()


# --- Page 3: the check ----------------------------------------------------------------------


class ReportPage(QtWidgets.QWizardPage):
    """The validation report, or what importing would do; Import (the commit button).

    Attributes:
        model: the problems (``ProblemsModel``).
        view: the sortable table of them.
        changes_model: what a clean file's import would add or update (``ChangesModel``).
        changes_view: the table of those.
        summary_label: the counts (new, updated, unchanged) or how many problems.
        notes_label: what is worth knowing that is not a problem.
        sort_combo: sorts the table from the keyboard (the header does it with the mouse).
        export_button: writes the report as CSV.
        reread_button: reads the file and checks it again (after fixing it).
        status_label: what the last action did (an export, a cancelled import).
    """

    def __init__(self, dialog: ImportDialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.setTitle("Check")
        self.setCommitPage(True)
        self.result: ImportResult | None = None
        self.problems: tuple[Problem, ...] = ()

        self.summary_label = _note("What the import would do", rich=True)
        self.summary_label.setObjectName("import_summary")
        self.notes_label = _note("Notes about the file", rich=True)
        self.notes_label.setStyleSheet(NOTE_STYLE)
        self.model = ProblemsModel(self)
        self.view = _table("Problems in the file", self.model)
        self.view.setObjectName("import_problems")
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, QtCore.Qt.SortOrder.AscendingOrder)  # the file's order
        self.view.horizontalHeader().setSortIndicatorClearable(True)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.changes_model = ChangesModel(self)
        self.changes_view = _table("Rows the import would add or update", self.changes_model)
        self.changes_view.setObjectName("import_changes")
        self.changes_view.horizontalHeader().setStretchLastSection(True)

        self.sort_combo = QtWidgets.QComboBox()
        self.sort_combo.setObjectName("import_sort")
        self.sort_combo.setAccessibleName("Sort the problems by")
        for text, column in SORT_CHOICES:
            self.sort_combo.addItem(text, column)
        self.sort_label = QtWidgets.QLabel("S&ort by:")
        self.sort_label.setBuddy(self.sort_combo)
        self.export_button = QtWidgets.QPushButton("&Export report as CSV…")
        self.export_button.setObjectName("import_export_report")
        self.export_button.setAccessibleName("Export the problems as a CSV file")
        self.export_button.setAutoDefault(False)
        self.reread_button = QtWidgets.QPushButton("&Read the file again")
        self.reread_button.setObjectName("import_reread")
        self.reread_button.setAccessibleName("Read the file and check it again")
        self.reread_button.setToolTip("After fixing the file: read it and check every row again")
        self.reread_button.setAutoDefault(False)
        self.status_label = _note("What was done")
        self.status_label.setObjectName("import_status")

        tools = QtWidgets.QHBoxLayout()
        tools.addWidget(self.sort_label)
        tools.addWidget(self.sort_combo)
        tools.addStretch(1)
        tools.addWidget(self.export_button)
        tools.addWidget(self.reread_button)
        self.problem_widgets: list[QtWidgets.QWidget] = [
            self.view,
            self.sort_label,
            self.sort_combo,
            self.export_button,
        ]
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.changes_view, 1)
        layout.addLayout(tools)
        layout.addWidget(self.notes_label)
        layout.addStretch(0)
        layout.addWidget(self.status_label)
        self.setTabOrder(self.view, self.changes_view)
        self.setTabOrder(self.changes_view, self.sort_combo)
        self.setTabOrder(self.sort_combo, self.export_button)
        self.setTabOrder(self.export_button, self.reread_button)

        self.sort_combo.currentIndexChanged.connect(self._sort_chosen)
        self.view.horizontalHeader().sortIndicatorChanged.connect(self._sorted_by_header)
        self.export_button.clicked.connect(self.export_report)
        self.reread_button.clicked.connect(self.dialog.read_again)

    def show_check(
        self,
        result: ImportResult | None,
        problems: Sequence[Problem],
        notes: Sequence[str],
        file_name: str,
    ) -> None:
        """Show a dry run's (or a refused import's) result and problems."""
        self.result = result
        self.problems = tuple(problems)
        self.model.set_problems(problems)
        has_problems = bool(problems)
        for widget in self.problem_widgets:
            widget.setVisible(has_problems)
        self.view.setColumnHidden(ProblemsModel.COL_SHEET, not self.model.has_sheets())
        if has_problems:
            _fit_columns(self.view, range(ProblemsModel.COL_PROBLEM))
            self.view.setCurrentIndex(self.model.index(0, 0))
        changes = () if result is None or has_problems else result.changes
        self.changes_model.set_changes(changes, KEY_LABELS[result.kind] if result else "Row")
        self.changes_view.setVisible(bool(changes))
        self.changes_view.setColumnHidden(
            ChangesModel.COL_SHEET, not self.changes_model.has_sheets()
        )
        if changes:
            _fit_columns(self.changes_view, range(ChangesModel.COL_FIELDS))
        self.setSubTitle(
            f"Every row of {file_name} checked against this database. Nothing has been written yet."
        )
        self.summary_label.setText(self._summary(result, problems))
        self.notes_label.setText("<br>".join(f"• {html.escape(n)}" for n in notes) if notes else "")
        self.notes_label.setVisible(bool(notes))
        self.status_label.setText(self._read_only_note())
        self.completeChanged.emit()

    def _summary(self, result: ImportResult | None, problems: Sequence[Problem]) -> str:
        if problems:
            return (
                f'<span style="{ALERT_STYLE}"><b>{_plural(len(problems), "problem")}</b>: '
                "nothing can be imported until the file is fixed.</span> Fix them in the file "
                "(the report names each line and column; Export gives it as a spreadsheet), "
                "then read the file again."
            )
        if result is None:
            return ""
        lines = [
            f"Importing would add <b>{result.new:,}</b> new, update "
            f"<b>{result.updated:,}</b> and leave <b>{result.unchanged:,}</b> unchanged "
            f"(of {_plural(result.rows, 'row')})."
        ]
        lines += _details(result, would=True)
        if not result.new and not result.updated:
            lines.append(
                "<b>Nothing to import</b>: the database already holds every row as the file says."
            )
        return "<br>".join(lines)

    def _read_only_note(self) -> str:
        if self.dialog.context.read_only:
            return (
                "This database is open read-only (another copy of the app has it open): you "
                "can check a file here, not import it."
            )
        return ""

    def set_status(self, text: str) -> None:
        self.status_label.setText(text)

    # --- Sorting and exporting -----------------------------------------------------------

    @QtCore.Slot(int)
    def _sort_chosen(self, number: int) -> None:
        column = int(self.sort_combo.itemData(number))
        self.view.sortByColumn(column, QtCore.Qt.SortOrder.AscendingOrder)

    @QtCore.Slot(int, QtCore.Qt.SortOrder)
    def _sorted_by_header(self, column: int, _order: QtCore.Qt.SortOrder) -> None:
        found = self.sort_combo.findData(column)
        self.sort_combo.blockSignals(True)
        try:
            self.sort_combo.setCurrentIndex(max(found, 0))
        finally:
            self.sort_combo.blockSignals(False)

    @QtCore.Slot()
    def export_report(self) -> None:
        """Write the problems, in the order shown, as a CSV file the manager chooses."""
        source = self.dialog.choose_page.path()
        suggested = source.with_name(f"{source.stem} problems.csv")
        target = Interaction.choose_export_path(
            self, "Export the problems as CSV", suggested, CSV_FILTER, "csv"
        )
        if target is None:
            return
        try:
            written = write_problems_csv(self.model.problems(), target)
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot export the report", str(exc))
            return
        self.set_status(
            f"Wrote the report ({_plural(self.model.rowCount(), 'problem')}) to {written}."
        )

    # --- The wizard's questions ----------------------------------------------------------

    def isComplete(self) -> bool:
        result = self.result
        return (
            result is not None
            and not self.problems
            and bool(result.new or result.updated)
            and not self.dialog.context.read_only
        )

    def initializePage(self) -> None:
        if self.problems:
            self.view.setFocus()
        elif self.changes_model.rowCount():
            self.changes_view.setFocus()

    def validatePage(self) -> bool:
        return self.dialog.run_the_import()


def _details(result: ImportResult, *, would: bool) -> list[str]:
    """The import's side effects in words (``would``: a dry run's)."""
    lines = []
    if result.teams_created:
        verb = "would create" if would else "created"
        lines.append(f"Teams it {verb}: {html.escape(', '.join(result.teams_created))}.")
    if result.allocations_changed:
        lines.append(
            f"{_plural(result.allocations_changed, 'case')} "
            f"{'would move' if would else 'moved'} to another worker (as reassignments, "
            "reason “imported”)."
        )
    if result.leavers:
        lines.append(
            f"{_plural(result.leavers, 'worker')} "
            f"{'would get' if would else 'got'} a leave date: their cases show as orphaned "
            "once it has passed."
        )
    if result.unlisted_workers:
        names = html.escape(", ".join(result.unlisted_workers))
        lines.append(
            f"Named but not on the staff list (recorded as inactive, so their cases show as "
            f"orphaned): {names}."
        )
    return lines


# --- Page 4: done ---------------------------------------------------------------------------


class DonePage(QtWidgets.QWizardPage):
    """What the import did."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Imported")
        self.summary_label = _note("What the import did", rich=True)
        self.summary_label.setObjectName("import_done")
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addStretch(1)

    def show_result(self, result: ImportResult) -> None:
        name = html.escape(result.file.name)
        self.setSubTitle(f"{result.file.name} is imported, all of it, in one transaction.")
        if result.written:
            lines = [
                f"Imported {name}: <b>{result.new:,}</b> new, <b>{result.updated:,}</b> "
                f"updated, <b>{result.unchanged:,}</b> unchanged.",
                *_details(result, would=False),
                "Each change is in the audit trail, and goes to central records at the next "
                "sync. The board shows the changes.",
            ]
        else:
            lines = [
                f"Nothing changed: the database already held every row of {name} as the file says."
            ]
        self.summary_label.setText("<br>".join(lines))


# --- The wizard -----------------------------------------------------------------------------


class ImportDialog(QtWidgets.QWizard):
    """File > Import: choose, preview, check, import.

    Attributes:
        context: the open database and its announcer.
        preview: the file as last read and checked (None before).
        imported: what the import did, once it has run (None before, or if it never did).
        choose_page, preview_page, report_page, done_page: the pages, in order.
    """

    def __init__(self, context: AppContext, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.preview: Preview | None = None
        self.imported: ImportResult | None = None
        self.setObjectName("import_dialog")
        self.setWindowTitle(TITLE)
        self.setAccessibleName("Import the staff list or cases")
        self.setTitleFormat(QtCore.Qt.TextFormat.PlainText)
        self.setSubTitleFormat(QtCore.Qt.TextFormat.PlainText)  # they name the file
        self.setOptions(
            QtWidgets.QWizard.WizardOption.NoBackButtonOnStartPage
            | QtWidgets.QWizard.WizardOption.NoBackButtonOnLastPage
            | QtWidgets.QWizard.WizardOption.NoCancelButtonOnLastPage
        )
        metrics = self.fontMetrics()
        self.resize(metrics.averageCharWidth() * DIALOG_CHARS, metrics.lineSpacing() * DIALOG_LINES)

        self.choose_page = ChoosePage(self)
        self.preview_page = PreviewPage(self)
        self.report_page = ReportPage(self)
        self.done_page = DonePage()
        for page in (self.choose_page, self.preview_page, self.report_page, self.done_page):
            self.addPage(page)

        buttons = QtWidgets.QWizard.WizardButton
        for which, text, name in (
            (buttons.BackButton, "< &Back", "Back"),
            (buttons.NextButton, "&Next >", "Next"),
            (buttons.CommitButton, "&Import", "Import"),
            (buttons.FinishButton, "&Close", "Close"),
            (buttons.CancelButton, "Cancel", "Cancel"),
        ):
            self.setButtonText(which, text)
            self.button(which).setAccessibleName(name)
        self.button(buttons.CommitButton).setObjectName("import_commit")
        self.currentIdChanged.connect(self._page_shown)

    # --- Reading and checking the file ----------------------------------------------------

    def read_file(self) -> bool:
        """Read the chosen file and check it against the database (a dry run, off the GUI
        thread, behind a progress bar with Cancel); False, after saying why, when it cannot
        be read or the manager cancelled (nothing read: the wizard stays where it was, and
        what it showed before stays as it was)."""
        page = self.choose_page
        path, kind, mapping = page.path(), page.kind(), page.mapping_name()
        db = self.context.db
        try:
            today = self.context.today()  # CASELOAD_TODAY may be wrong: a message too

            def work(progress: Progress) -> Preview:
                return imports.preview(
                    path, kind, mapping, db=db, rows=PREVIEW_ROWS, today=today, progress=progress
                )

            preview = run_with_progress(self, TITLE, f"Reading and checking {path.name}…", work)
        except Cancelled:
            self._reading_cancelled(path.name)
            return False
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot read the file", str(exc))
            return False
        page.set_status("")
        self.preview = preview
        self.preview_page.show_preview(preview)
        self.report_page.show_check(
            preview.result, preview.problems, preview.notes, preview.path.name
        )
        return True

    def _reading_cancelled(self, name: str) -> None:
        if self.currentPage() is self.report_page:
            self.report_page.set_status(
                f"Reading {name} again was cancelled: nothing was read. The check shown is "
                "from the last time the file was read."
            )
        else:
            self.choose_page.set_status(
                f"Reading {name} was cancelled: nothing was read. Press Next to read it."
            )

    @QtCore.Slot()
    def read_again(self) -> None:
        """The Check page's "Read the file again": after the manager fixed the file."""
        if self.read_file():
            self.report_page.set_status("Read the file again and checked every row.")
            self.report_page.initializePage()

    # --- Importing ------------------------------------------------------------------------

    def run_the_import(self) -> bool:
        """Import the file, all or nothing, behind a progress bar with Cancel; True once it
        is imported (the Imported page then says what it did)."""
        page = self.choose_page
        path, kind, mapping = page.path(), page.kind(), page.mapping_name()
        context = self.context
        try:
            today = context.today()

            def work(progress: Progress) -> ImportResult:
                return imports.import_file(
                    context.db,
                    path,
                    kind,
                    mapping,
                    progress=progress,
                    announcer=context.changes,
                    today=today,
                )

            result = run_with_progress(
                self, TITLE, f"Importing {KIND_NAMES[kind]} from {path.name}…", work
            )
        except Cancelled:
            self.report_page.set_status(
                "The import was cancelled: nothing was imported, the database is as it was."
            )
            return False
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot import", str(exc))
            return False
        if not result.ok:
            # The file or the database changed since the check: nothing was written.
            self.report_page.show_check(result, result.errors, result.notes, path.name)
            self.report_page.set_status(
                "The file or the database changed since the check, and now the file has "
                "problems: nothing was imported."
            )
            self.report_page.initializePage()
            return False
        self.imported = result
        self.done_page.show_result(result)
        return True

    @QtCore.Slot(int)
    def _page_shown(self, page_id: int) -> None:
        page = self.page(page_id)
        if page is self.choose_page:
            self.choose_page.path_edit.setFocus()
        elif page is self.done_page:
            self.button(QtWidgets.QWizard.WizardButton.FinishButton).setFocus()

    @classmethod
    def ask(cls, parent: QtWidgets.QWidget | None, context: AppContext) -> ImportResult | None:
        """Run the wizard; what the import did, or None when it never ran (cancelled,
        refused, or the wizard closed before Import)."""
        dialog = cls(context, parent)
        try:
            dialog.exec()
            return dialog.imported
        finally:
            dialog.deleteLater()


def run_import(parent: QtWidgets.QWidget, context: AppContext) -> ImportResult | None:
    """File > Import…: the import wizard over ``context``'s database; what the import did,
    or None when it never ran (cancelled, refused, or the wizard closed before Import)."""
    return ImportDialog.ask(parent, context)
