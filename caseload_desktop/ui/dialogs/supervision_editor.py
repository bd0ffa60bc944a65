"""The supervision editor: one session of a team manager with one worker, from draft to record.

``SupervisionEditor`` is a window of its own (a dialog that is not modal), so the board stays
usable during the session: cases reassigned to or from the worker that day join the record by
themselves, and the editor shows them. Its tabs follow the record (DOMAIN.md, "A supervision
record"):

1. Session: the date held, who attended, the next supervision, the worker's wellbeing and
   workload.
2. Caseload: every open case the worker holds that day, what is overdue, a Discuss box each;
   beside it the discussion of the case chosen (current position, the child's lived
   experience and risk, the decision and why); below, the cases reassigned that day.
3. Actions: what, who (the team's workers in post), by when, and the case if it is about one.
4. Addenda, on a final record.

A draft saves itself ``AUTOSAVE_MS`` after the last edit, and when the editor closes, through
``services.supervision.save_draft`` with the version it was read at; a save made elsewhere
meanwhile is reported and the draft read again. Finalise asks first, then fixes the record:
the editor turns read-only and offers Export PDF…, Print… and Add addendum…, each off the GUI
thread. A refusal from the service names its field ("actions[1].owner: ..."): the editor says
which field in the manager's words, keeps everything typed, and takes the manager to it.

``SupervisionRecordsDialog.ask`` (a worker's records, to open one) and ``AddendumDialog.ask``
are seams tests replace; every other prompt goes through ``Interaction``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import html
import re
from collections.abc import Sequence
from pathlib import Path

from PySide6 import QtCore, QtGui, QtWidgets

from caseload_desktop.clock import now_utc
from caseload_desktop.context import AppContext
from caseload_desktop.display import UK_TIME, uk_date, uk_datetime
from caseload_desktop.domain.supervision import (
    ActionItem,
    CaseDiscussion,
    ReassignmentItem,
    SessionStatus,
    SupervisionRecord,
)
from caseload_desktop.errors import BadInput, CaseloadError, NotFound, StaleData
from caseload_desktop.reports.supervision_record import supervision_record_pdf
from caseload_desktop.services import supervision
from caseload_desktop.services.changes import Change
from caseload_desktop.services.identity import current_user
from caseload_desktop.services.supervision import (
    ActionInput,
    DiscussionInput,
    DraftInput,
    SessionRow,
)
from caseload_desktop.store import queries
from caseload_desktop.ui import printing
from caseload_desktop.ui.background import run_with_progress
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.preferences import Preferences

AUTOSAVE_MS = 2000  # after the last keystroke: a pause in typing, not every word
STATUS_MESSAGE_MS = 6000
EXPORT_MESSAGE_MS = 20000  # long enough to reach the Open button beside it
PDF_FILTER = "PDF documents (*.pdf)"
FINALISE_WARNING = "Once finalised the record cannot be changed; an addendum can be added."
ACTION_DUE_DAYS = 14  # a new action's due date, from the session
NEXT_SUPERVISION_DAYS = 28  # the next supervision offered when it is booked
DATE_FORMAT = "d MMM yyyy"
SPACING = 8
TEXT_MIN_HEIGHT = 72  # about three lines of a discussion field
ERROR_STYLE = "color: #b3261e;"
NOTE_STYLE = "color: #5f6368;"
OVERDUE_COLOUR = QtGui.QColor("#b3261e")
NOT_HELD_COLOUR = QtGui.QColor("#7a7a7a")
# Widths of the columns of an action row (its header uses the same ones).
NUMBER_WIDTH = 28
OWNER_WIDTH = 230
DUE_WIDTH = 190
CASE_WIDTH = 250
_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')  # Windows refuses these
# A service message names its field first: "actions[1].owner: Sam Reid left on ...".
_FIELD = re.compile(
    r"^(?P<section>[a-z_]+)(?:\[(?P<index>\d+)\])?(?:\.(?P<field>[a-z_]+))?: (?P<rest>.+)$",
    re.DOTALL,
)
_SECTION_WORDS = {
    "held_on": "Date held",
    "attendees": "Attendees",
    "wellbeing": "Wellbeing",
    "workload": "Workload",
    "next_supervision": "Next supervision",
    "worker_signed": "The worker's sign-off",
}
_FIELD_WORDS = {
    "case_ref": "the case",
    "current_position": "current position",
    "lived_experience": "the child's lived experience and risk",
    "decision": "decision",
    "rationale": "rationale",
    "action": "what is to be done",
    "owner": "owner",
    "due": "due date",
}

TAB_SESSION, TAB_CASELOAD, TAB_ACTIONS, TAB_ADDENDA = range(4)
# Columns of the caseload list.
COL_DISCUSS, COL_CASE, COL_CHILD, COL_CATEGORY, COL_STATUS, COL_DECISION = range(6)
CASELOAD_WIDTHS = {
    COL_DISCUSS: 62,
    COL_CASE: 76,
    COL_CHILD: 130,
    COL_CATEGORY: 84,
    COL_DECISION: 82,
}  # the status takes the rest
ROW_PADDING = 8  # as the board's tables
NOT_RECORDED = "Not recorded."
_PROMPT = "caseload_prompt"  # a text field's property: its placeholder while it is edited
DECIDED = "Written"
NOT_DECIDED = "Not yet"
CASE_ID_ROLE = QtCore.Qt.ItemDataRole.UserRole


def _qdate(value: dt.date) -> QtCore.QDate:
    return QtCore.QDate(value.year, value.month, value.day)


def _date(value: QtCore.QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def _date_edit(name: str) -> QtWidgets.QDateEdit:
    edit = QtWidgets.QDateEdit()
    edit.setAccessibleName(name)
    edit.setDisplayFormat(DATE_FORMAT)
    edit.setCalendarPopup(True)
    return edit


def _button(text: str, name: str, tip: str = "") -> QtWidgets.QPushButton:
    """A push button Enter never presses by surprise (Enter in a line edit presses a dialog's
    default button: never Finalise)."""
    button = QtWidgets.QPushButton(text)
    button.setAccessibleName(name)
    button.setAutoDefault(False)
    button.setDefault(False)
    if tip:
        button.setToolTip(tip)
        button.setStatusTip(tip)
    return button


def _text_edit(name: str, placeholder: str) -> QtWidgets.QPlainTextEdit:
    edit = QtWidgets.QPlainTextEdit()
    edit.setAccessibleName(name)
    edit.setPlaceholderText(placeholder)
    edit.setProperty(_PROMPT, placeholder)
    edit.setTabChangesFocus(True)  # Tab moves on, as in every other field
    edit.setMinimumHeight(TEXT_MIN_HEIGHT)
    return edit


def _set_text_read_only(edit: QtWidgets.QPlainTextEdit, read_only: bool) -> None:
    """Read-only text says "Not recorded." when empty, not what to write."""
    edit.setReadOnly(read_only)
    edit.setPlaceholderText(NOT_RECORDED if read_only else str(edit.property(_PROMPT) or ""))


def _label(text: str, buddy: QtWidgets.QWidget | None = None) -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    if buddy is not None:
        label.setBuddy(buddy)
    return label


def _note(text: str = "") -> QtWidgets.QLabel:
    label = QtWidgets.QLabel(text)
    label.setWordWrap(True)
    label.setStyleSheet(NOTE_STYLE)
    return label


def file_name(record: SupervisionRecord) -> str:
    """The name an export suggests: "Supervision record SUP-000012 - Sam Reid - 2026-11-26.pdf"."""
    name = f"Supervision record {record.record_id} - {record.worker} - {record.held_on.isoformat()}"
    return _NOT_IN_FILE_NAMES.sub(" ", name).strip() + ".pdf"


def queue_or(name: str | None) -> str:
    return name if name is not None else "the unallocated queue"


def describe_reassignment(item: ReassignmentItem) -> str:
    """One line of the list of cases reassigned on the day."""
    return (
        f"{item.case_ref} {item.child}: from {queue_or(item.from_worker)} to "
        f"{queue_or(item.to_worker)} ({item.reason}, {uk_datetime(item.when)})"
    )


# --- The session as the editor reads it ----------------------------------------------------


@dataclasses.dataclass(frozen=True)
class CaseEntry:
    """One row of the caseload list: a case the worker holds on the day of the session, or
    (``held`` False) a case discussed in the draft that they do not hold that day."""

    case_id: int
    case_ref: str
    child: str
    category: str
    status: str  # what is overdue or due soon, from the record's caseload
    held: bool = True

    @property
    def label(self) -> str:
        return f"{self.case_ref} {self.child}"

    @property
    def overdue(self) -> bool:
        return "overdue" in self.status


@dataclasses.dataclass(frozen=True)
class Owner:
    """A worker who may own an action."""

    worker_id: int
    name: str
    role: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name


@dataclasses.dataclass(frozen=True)
class LoadedAction:
    item: ActionItem
    owner_id: int | None  # None: the owner's name matches no worker any more
    case_id: int | None


@dataclasses.dataclass(frozen=True)
class Loaded:
    """A session read in one go, with the ids the editor writes back.

    Attributes:
        row: the session's row (status, version).
        record: the record as the PDF shows it (a draft's caseload worked out live).
        cases: the caseload list: the record's caseload, then any case discussed in the draft
            that the worker does not hold on the day.
        discussions: the cases discussed, by case id.
        actions: the actions, with their owner's and case's ids.
        owners: the workers an action may be given to: the team's workers in post (and any
            other owner the draft already names).
    """

    row: SessionRow
    record: SupervisionRecord
    cases: tuple[CaseEntry, ...]
    discussions: dict[int, CaseDiscussion]
    actions: tuple[LoadedAction, ...]
    owners: tuple[Owner, ...]


def read_session(context: AppContext, session_id: int) -> Loaded:
    """Read session ``session_id`` for the editor.

    The record gives names and case references; the draft is written back with ids, so they
    are looked up here: cases among the worker's caseload on the day (or by reference),
    owners among the team's workers (or by name).
    """
    row = supervision.session_row(context.db, session_id)
    record = supervision.load_record(context.db, session_id, context.rules)
    today = context.today()
    with context.db.read() as session:
        table = queries.case_table(session, record.held_on, worker_id=row.worker_id)
        ids = {r[queries.C_CASE_REF]: r[queries.C_CASE_ID] for r in table.rows}

        def case_id(ref: str) -> int:
            if ref not in ids:
                ids[ref] = queries.find_case_id(session, ref)
            return ids[ref]

        team = queries.find_team(session, record.team)
        owners = [
            Owner(w.worker_id, w.worker, w.role.label)
            for w in queries.worker_caseloads(session, today, context.rules, team_id=team.id)
            if w.status == "active"
        ]
        by_name: dict[str, int] = {}
        for owner in owners:
            by_name.setdefault(owner.name, owner.worker_id)
        actions = []
        for item in record.actions:
            owner_id = by_name.get(item.owner)
            if owner_id is None:
                try:
                    found = queries.find_worker(session, item.owner, today)
                except CaseloadError:  # renamed, or two workers of that name
                    pass
                else:
                    owner_id = found.id
                    owners.append(Owner(found.id, found.name, f"{found.team}, {found.status}"))
                    by_name[found.name] = found.id
            ref_id = None if item.case_ref is None else case_id(item.case_ref)
            actions.append(LoadedAction(item, owner_id, ref_id))
        cases = [
            CaseEntry(case_id(c.case_ref), c.case_ref, c.child, c.category, c.status)
            for c in record.snapshot
        ]
        shown = {c.case_ref for c in cases}
        not_held = f"Not held by {record.worker} on {uk_date(record.held_on)}"
        for discussion in record.discussions:
            if discussion.case_ref not in shown:
                cases.append(
                    CaseEntry(
                        case_id(discussion.case_ref),
                        discussion.case_ref,
                        discussion.child,
                        discussion.category,
                        not_held,
                        held=False,
                    )
                )
        discussions = {case_id(d.case_ref): d for d in record.discussions}
    return Loaded(row, record, tuple(cases), discussions, tuple(actions), tuple(owners))


# --- One case's discussion -----------------------------------------------------------------


class DiscussionPage(QtWidgets.QWidget):
    """The discussion of one case: "Discussed in this session", then its current position,
    the child's lived experience and risk, the decision and its rationale.

    Signals:
        edited: a text or the tick changed.
        discuss_toggled: (case id, ticked) from the page's own box.
        decision_changed: (case id, decision) for the caseload list's Decision column.
        add_action_requested: (case id) from "Add an action for this case".

    Attributes:
        entry: the case.
        fields: the four texts, in the record's order.
    """

    edited = QtCore.Signal()
    discuss_toggled = QtCore.Signal(int, bool)
    decision_changed = QtCore.Signal(int, str)
    add_action_requested = QtCore.Signal(int)

    def __init__(self, entry: CaseEntry, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self._read_only = False
        self.heading = QtWidgets.QLabel()
        self.heading.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        self.discussed = QtWidgets.QCheckBox("Discussed in this &session")
        self.hint = _note()
        self.current_position = _text_edit(
            "", "What is happening now: visits, the plan, progress, what has changed"
        )
        self.lived_experience = _text_edit(
            "", "What life is like for the child; the risks, and what keeps them safe"
        )
        self.decision = _text_edit("", "What was decided")
        self.rationale = _text_edit("", "Why: the reasons for the decision")
        self.fields = (self.current_position, self.lived_experience, self.decision, self.rationale)
        self.add_action = _button(
            "Add an act&ion for this case", "", "A new action on the Actions tab, for this case"
        )

        grid = QtWidgets.QGridLayout()
        grid.setHorizontalSpacing(2 * SPACING)
        titles = (
            "&Current position",
            "The child's lived e&xperience and risk",
            "Decisio&n",
            "&Rationale",
        )
        self.field_labels = []
        for number, (title, field) in enumerate(zip(titles, self.fields, strict=True)):
            row, column = divmod(number, 2)
            label = _label(title, field)
            self.field_labels.append(label)
            grid.addWidget(label, 2 * row, column)
            grid.addWidget(field, 2 * row + 1, column)
        grid.setRowStretch(1, 1)
        grid.setRowStretch(3, 1)
        top = QtWidgets.QHBoxLayout()
        top.addWidget(self.discussed)
        top.addStretch(1)
        top.addWidget(self.add_action)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(SPACING, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.status)
        layout.addLayout(top)
        layout.addWidget(self.hint)
        layout.addLayout(grid, 1)

        self.discussed.toggled.connect(self._toggled)
        for field in self.fields:
            field.textChanged.connect(self._text_changed)
        self.decision.textChanged.connect(self._decision_changed)
        self.add_action.clicked.connect(self._add_action)
        self.set_entry(entry)
        self._show_state()

    def set_entry(self, entry: CaseEntry) -> None:
        """Show ``entry`` (the same case, read again)."""
        self.entry = entry
        ref = entry.case_ref
        self.heading.setText(
            f"<b>{html.escape(ref)} · {html.escape(entry.child)}</b> · "
            f"{html.escape(entry.category)}"
        )
        self.status.setText(entry.status or "Nothing overdue or due in the next few days.")
        overdue = entry.overdue or not entry.held
        self.status.setStyleSheet(ERROR_STYLE if overdue else NOTE_STYLE)
        self.discussed.setAccessibleName(f"Discussed {ref} in this session")
        names = (
            "current position",
            "the child's lived experience and risk",
            "decision",
            "rationale",
        )
        for field, name in zip(self.fields, names, strict=True):
            field.setAccessibleName(f"{ref}: {name}")
        self.add_action.setAccessibleName(f"Add an action for {ref}")

    def is_discussed(self) -> bool:
        return self.discussed.isChecked()

    def set_discussed(self, on: bool) -> None:
        """Tick or untick without telling anyone (the caseload list did it)."""
        self.discussed.blockSignals(True)
        self.discussed.setChecked(on)
        self.discussed.blockSignals(False)
        self._show_state()

    def texts(self) -> tuple[str, str, str, str]:
        cp, lived, decision, why = (field.toPlainText() for field in self.fields)
        return cp, lived, decision, why

    def set_texts(self, discussion: CaseDiscussion) -> None:
        values = (
            discussion.current_position,
            discussion.lived_experience,
            discussion.decision,
            discussion.rationale,
        )
        for field, value in zip(self.fields, values, strict=True):
            if field.toPlainText() != value:
                field.setPlainText(value)

    def set_read_only(self, read_only: bool) -> None:
        self._read_only = read_only
        self.discussed.setEnabled(not read_only)
        for field in self.fields:
            _set_text_read_only(field, read_only)
        self.add_action.setVisible(not read_only)
        self._show_state()

    def _show_state(self) -> None:
        on = self.discussed.isChecked()
        has_text = any(field.toPlainText().strip() for field in self.fields)
        # A final record shows only what it holds; a draft keeps unticked text in view.
        visible = on or not self._read_only
        for field, label in zip(self.fields, self.field_labels, strict=True):
            field.setVisible(visible)
            label.setVisible(visible)
            field.setEnabled(on or self._read_only)
        self.add_action.setEnabled(on)
        if self._read_only:
            self.hint.setText("" if on else "Not discussed in this session.")
        elif on:
            self.hint.setText("")
        elif has_text:
            self.hint.setText(
                "Not in the record while unticked: the text is kept until the editor closes."
            )
        else:
            self.hint.setText(
                "Tick the box (or press Space on the case in the list) to record its discussion."
            )
        self.hint.setVisible(bool(self.hint.text()))

    @QtCore.Slot(bool)
    def _toggled(self, on: bool) -> None:
        self._show_state()
        self.discuss_toggled.emit(self.entry.case_id, on)
        if on:
            self.current_position.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

    @QtCore.Slot()
    def _text_changed(self) -> None:
        self.edited.emit()

    @QtCore.Slot()
    def _decision_changed(self) -> None:
        self.decision_changed.emit(self.entry.case_id, self.decision.toPlainText())

    @QtCore.Slot()
    def _add_action(self) -> None:
        self.add_action_requested.emit(self.entry.case_id)


# --- One action ------------------------------------------------------------------------------


class ActionRow(QtWidgets.QWidget):
    """One action being agreed: what, who, by when, and the case it is about, if any.

    Signals:
        edited: anything in the row changed.
        remove_requested: the row's Remove button (argument: the row).
    """

    edited = QtCore.Signal()
    remove_requested = QtCore.Signal(object)

    def __init__(
        self,
        owners: Sequence[Owner],
        cases: Sequence[CaseEntry],
        held_on: dt.date,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.number = QtWidgets.QLabel()
        self.number.setFixedWidth(NUMBER_WIDTH)
        self.text = QtWidgets.QLineEdit()
        self.text.setPlaceholderText("What is to be done")
        self.text.setMaxLength(supervision.MAX_TEXT)
        self.owner = QtWidgets.QComboBox()
        self.owner.setFixedWidth(OWNER_WIDTH)
        for owner in owners:
            self.owner.addItem(owner.label, owner.worker_id)
        self.has_due = QtWidgets.QCheckBox("By")
        self.has_due.setChecked(True)
        self.due = _date_edit("")
        self.due.setMinimumDate(_qdate(held_on))
        self.due.setDate(_qdate(held_on + dt.timedelta(days=ACTION_DUE_DAYS)))
        due_box = QtWidgets.QWidget()
        due_box.setFixedWidth(DUE_WIDTH)
        due_layout = QtWidgets.QHBoxLayout(due_box)
        due_layout.setContentsMargins(0, 0, 0, 0)
        due_layout.addWidget(self.has_due)
        due_layout.addWidget(self.due, 1)
        self.case = QtWidgets.QComboBox()
        self.case.setFixedWidth(CASE_WIDTH)
        self.set_cases(cases)
        self.remove = _button("Remove", "")
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.number)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.owner)
        layout.addWidget(due_box)
        layout.addWidget(self.case)
        layout.addWidget(self.remove)
        self.set_number(1)

        self.text.textChanged.connect(self._changed)
        self.owner.currentIndexChanged.connect(self._changed)
        self.has_due.toggled.connect(self.due.setEnabled)
        self.has_due.toggled.connect(self._changed)
        self.due.dateChanged.connect(self._changed)
        self.case.currentIndexChanged.connect(self._changed)
        self.remove.clicked.connect(self._remove)

    def set_number(self, number: int) -> None:
        """Number the row (from 1) and name its widgets after it."""
        self.number.setText(f"{number}.")
        self.text.setAccessibleName(f"Action {number}: what is to be done")
        self.owner.setAccessibleName(f"Action {number}: owner")
        self.has_due.setAccessibleName(f"Action {number}: has a due date")
        self.due.setAccessibleName(f"Action {number}: due date")
        self.case.setAccessibleName(f"Action {number}: case")
        self.remove.setAccessibleName(f"Remove action {number}")

    def set_cases(self, cases: Sequence[CaseEntry]) -> None:
        """The cases an action may be about, keeping the one chosen."""
        chosen = self.case.currentData()
        self.case.blockSignals(True)
        self.case.clear()
        self.case.addItem("No particular case", None)
        for entry in cases:
            self.case.addItem(entry.label, entry.case_id)
        self.case.setCurrentIndex(max(self.case.findData(chosen), 0))
        self.case.blockSignals(False)

    def set_held_on(self, held_on: dt.date) -> None:
        self.due.setMinimumDate(_qdate(held_on))

    def set_value(self, action: LoadedAction) -> None:
        self.text.setText(action.item.action)
        index = self.owner.findData(action.owner_id)
        self.owner.setCurrentIndex(index)  # -1 (none) when the owner was not found
        self.has_due.setChecked(action.item.due is not None)
        self.due.setEnabled(action.item.due is not None)
        if action.item.due is not None:
            self.due.setDate(_qdate(action.item.due))
        self.case.setCurrentIndex(max(self.case.findData(action.case_id), 0))

    def is_blank(self) -> bool:
        return not self.text.text().strip()

    def value(self, where: str) -> ActionInput:
        """The action as the service takes it; ``where`` names it in a refusal."""
        owner = self.owner.currentData()
        if owner is None:
            raise BadInput(f"{where}.owner: choose who will do it.")
        case_id = self.case.currentData()
        return ActionInput(
            action=self.text.text(),
            owner_worker_id=int(owner),
            due=_date(self.due.date()) if self.has_due.isChecked() else None,
            case_id=None if case_id is None else int(case_id),
            where=where,
        )

    @QtCore.Slot()
    def _changed(self) -> None:
        self.edited.emit()

    @QtCore.Slot()
    def _remove(self) -> None:
        self.remove_requested.emit(self)


# --- The editor ------------------------------------------------------------------------------


class SupervisionEditor(QtWidgets.QDialog):
    """One supervision session: a draft to write, or a final record to read, export, print
    and add to.

    Signals:
        saved: the draft was saved (its new version).
        finalised: the record was finalised (its SHA-256).

    Attributes:
        context: the open database's context.
        session_id: the session shown.
        loaded: the session as last read in full.
        version: the draft's version as last saved or read (what a save expects).
        exported: the file the last export wrote (the Open button opens it).
        created_here: the session was started with this editor: closed untouched, it goes.
        autosave_timer: runs ``AUTOSAVE_MS`` after the last edit of a draft.
    """

    saved = QtCore.Signal(int)
    finalised = QtCore.Signal(str)
    _data_changed = QtCore.Signal(object)  # a Change, relayed to the GUI thread

    def __init__(
        self,
        context: AppContext,
        preferences: Preferences,
        loaded: Loaded,
        *,
        created_here: bool = False,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("supervision_editor")
        self.setWindowFlag(QtCore.Qt.WindowType.WindowMaximizeButtonHint, True)
        self.setSizeGripEnabled(True)
        self.context = context
        self.preferences = preferences
        self.loaded = loaded
        self.session_id = loaded.row.id
        self.version = loaded.row.version
        self.created_here = created_here
        self.exported: Path | None = None
        self._cases: list[CaseEntry] = []
        self._pages: dict[int, DiscussionPage] = {}
        self._action_rows: list[ActionRow] = []
        self._discussion_ids: list[int] = []  # case ids, in the order of the last draft built
        self._dirty = False
        self._user_edited = False
        self._loading = False
        self._syncing = False
        self._closed = False
        self._discarded = False
        self._problem_path: tuple[str, int | None, str | None] | None = None
        self._export_message = ""
        self._export_folder: Path | None = None
        self._saved_at = ""

        self.autosave_timer = QtCore.QTimer(self)
        self.autosave_timer.setSingleShot(True)
        self.autosave_timer.setInterval(AUTOSAVE_MS)
        self.autosave_timer.timeout.connect(self._autosave)
        self._refresh_timer = QtCore.QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh_caseload)

        self._build()
        self._restore_geometry()
        self._fill(loaded)
        self._data_changed.connect(self._on_data_changed)
        unsubscribe = context.changes.subscribe(self._data_changed.emit)
        self._unsubscribe = unsubscribe
        self.destroyed.connect(lambda *_args: unsubscribe())

    @classmethod
    def open_session(
        cls,
        parent: QtWidgets.QWidget | None,
        context: AppContext,
        preferences: Preferences,
        session_id: int,
        *,
        created_here: bool = False,
    ) -> SupervisionEditor | None:
        """An editor on session ``session_id`` (not yet shown), or None when it cannot be read
        (the reason shown)."""
        try:
            loaded = read_session(context, session_id)
        except CaseloadError as exc:
            Interaction.show_error(parent, "Cannot open the supervision record", str(exc))
            return None
        return cls(context, preferences, loaded, created_here=created_here, parent=parent)

    # --- Construction --------------------------------------------------------------------------

    def _build(self) -> None:
        self.setAccessibleName("Supervision record")
        self.resize(1240, 720)
        self.title_label = QtWidgets.QLabel()
        self.title_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.subtitle_label = _note()
        self.state_label = QtWidgets.QLabel()
        self.state_label.setObjectName("state_label")
        self.state_label.setAccessibleName("Record status")
        self.state_label.setAlignment(
            QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter
        )
        header = QtWidgets.QGridLayout()
        header.setVerticalSpacing(0)
        header.addWidget(self.title_label, 0, 0)
        header.addWidget(self.subtitle_label, 1, 0)
        header.addWidget(self.state_label, 0, 1, 2, 1)
        header.setColumnStretch(0, 1)

        self.tabs = QtWidgets.QTabWidget()
        self.tabs.setObjectName("supervision_tabs")
        self.tabs.setAccessibleName("Parts of the record")
        self.tabs.addTab(self._build_session_tab(), "&1 Session")
        self.tabs.addTab(self._build_caseload_tab(), "&2 Caseload")
        self.tabs.addTab(self._build_actions_tab(), "&3 Actions")
        self.tabs.addTab(self._build_addenda_tab(), "&4 Addenda")

        self.problem_label = QtWidgets.QLabel()
        self.problem_label.setObjectName("problem_label")
        self.problem_label.setAccessibleName("Problem with the record")
        self.problem_label.setWordWrap(True)
        self.problem_label.setStyleSheet(ERROR_STYLE)
        self.problem_label.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.problem_label.linkActivated.connect(self._go_to_problem)
        self.problem_label.hide()

        self.worker_signed = QtWidgets.QCheckBox("The &worker has read and agreed the record")
        self.worker_signed.setAccessibleName("The worker has read and agreed the record")
        self.discard_button = _button(
            "&Discard draft…", "Discard draft", "Throw this draft away (a final record is kept)"
        )
        self.finalise_button = _button(
            "&Finalise…", "Finalise", "Fix the record: it cannot be changed afterwards"
        )
        self.addendum_button = _button(
            "Add &addendum…", "Add addendum", "Add a note to the end of the final record"
        )
        self.export_button = _button("&Export PDF…", "Export PDF", "Write the record as a PDF")
        self.print_button = _button("&Print…", "Print", "Print the record")
        self.close_button = _button("Close", "Close", "Close the editor (a draft is saved)")
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.worker_signed)
        buttons.addStretch(1)
        for button in (
            self.discard_button,
            self.addendum_button,
            self.export_button,
            self.print_button,
            self.finalise_button,
            self.close_button,
        ):
            buttons.addWidget(button)

        self.status_bar = QtWidgets.QStatusBar()
        self.status_bar.setSizeGripEnabled(False)
        self.status_bar.setAccessibleName("Messages")
        self.open_export_button = _button("Open", "Open the exported file")
        self.open_export_button.setFlat(True)
        self.open_export_button.hide()
        self.status_bar.addPermanentWidget(self.open_export_button)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(SPACING + 4, SPACING, SPACING + 4, 0)
        layout.addLayout(header)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problem_label)
        layout.addLayout(buttons)
        layout.addWidget(self.status_bar)

        self.worker_signed.toggled.connect(self._edited)
        self.discard_button.clicked.connect(self.discard)
        self.finalise_button.clicked.connect(self.finalise)
        self.addendum_button.clicked.connect(self.add_addendum)
        self.export_button.clicked.connect(self.export_pdf)
        self.print_button.clicked.connect(self.print_record)
        self.close_button.clicked.connect(self.close)
        self.open_export_button.clicked.connect(self.open_exported)
        self.status_bar.messageChanged.connect(self._status_message_changed)

    def _build_session_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        self.held_on = _date_edit("Date held")
        self.held_on.setToolTip("The day of the session; the caseload is the worker's that day")
        self.attendees = QtWidgets.QLineEdit()
        self.attendees.setAccessibleName("Attendees")
        self.attendees.setPlaceholderText("Names, separated by commas")
        self.attendees.setMinimumWidth(460)
        self.next_booked = QtWidgets.QCheckBox("Booked for")
        self.next_booked.setAccessibleName("Next supervision booked")
        self.next_date = _date_edit("Next supervision date")
        next_row = QtWidgets.QHBoxLayout()
        next_row.addWidget(self.next_booked)
        next_row.addWidget(self.next_date)
        next_row.addStretch(1)
        form = QtWidgets.QFormLayout()
        form.setFieldGrowthPolicy(QtWidgets.QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        form.addRow(_label("Date &held:", self.held_on), self.held_on)
        form.addRow(_label("A&ttendees:", self.attendees), self.attendees)
        form.addRow(_label("&Next supervision:", self.next_booked), next_row)

        self.wellbeing = _text_edit(
            "Wellbeing",
            "How the worker is: their wellbeing, the support they need, anything affecting "
            "their practice",
        )
        self.workload = _text_edit(
            "Workload",
            "Their workload and capacity: new work, what is heavy, leave, protected time",
        )
        texts = QtWidgets.QGridLayout()
        texts.setHorizontalSpacing(2 * SPACING)
        texts.addWidget(_label("Wellbein&g", self.wellbeing), 0, 0)
        texts.addWidget(_label("W&orkload", self.workload), 0, 1)
        texts.addWidget(self.wellbeing, 1, 0)
        texts.addWidget(self.workload, 1, 1)
        texts.setRowStretch(1, 1)

        layout = QtWidgets.QVBoxLayout(page)
        layout.addLayout(form)
        layout.addSpacing(SPACING)
        layout.addLayout(texts, 1)

        self.held_on.dateChanged.connect(self._held_on_changed)
        self.attendees.textChanged.connect(self._edited)
        self.next_booked.toggled.connect(self.next_date.setEnabled)
        self.next_booked.toggled.connect(self._edited)
        self.next_date.dateChanged.connect(self._edited)
        self.wellbeing.textChanged.connect(self._edited)
        self.workload.textChanged.connect(self._edited)
        return page

    def _build_caseload_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        self.caseload_model = QtGui.QStandardItemModel(self)  # one worker's cases: a few dozen
        self.caseload_model.setHorizontalHeaderLabels(
            ["Discuss", "Case", "Child", "Category", "Overdue or due soon", "Decision"]
        )
        self.caseload_model.horizontalHeaderItem(COL_DECISION).setToolTip(
            "Whether a decision is written for a case discussed"
        )
        self.caseload_view = QtWidgets.QTableView()
        self.caseload_view.setObjectName("caseload_view")
        self.caseload_view.setAccessibleName("Caseload on the day")
        self.caseload_view.setModel(self.caseload_model)
        self.caseload_view.setSelectionBehavior(
            QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows
        )
        self.caseload_view.setSelectionMode(
            QtWidgets.QAbstractItemView.SelectionMode.SingleSelection
        )
        self.caseload_view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.caseload_view.setTabKeyNavigation(False)  # Tab leaves the list; arrows move in it
        self.caseload_view.setAlternatingRowColors(True)
        self.caseload_view.setWordWrap(False)
        vertical = self.caseload_view.verticalHeader()
        vertical.hide()
        vertical.setSectionResizeMode(QtWidgets.QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.caseload_view.fontMetrics().height() + ROW_PADDING)
        header = self.caseload_view.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(COL_STATUS, QtWidgets.QHeaderView.ResizeMode.Stretch)
        for column, width in CASELOAD_WIDTHS.items():
            self.caseload_view.setColumnWidth(column, width)
        self.caseload_view.installEventFilter(self)
        self.caseload_title = _label("", self.caseload_view)
        self.caseload_title.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.caseload_hint = _note()
        self.reassigned_model = QtGui.QStandardItemModel(self)
        self.reassigned_view = QtWidgets.QListView()
        self.reassigned_view.setObjectName("reassigned_view")
        self.reassigned_view.setAccessibleName("Cases reassigned on the day")
        self.reassigned_view.setModel(self.reassigned_model)
        self.reassigned_view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.reassigned_view.setWordWrap(True)
        self.reassigned_view.setMaximumHeight(96)
        self.reassigned_title = _label("", self.reassigned_view)
        self.reassigned_title.setWordWrap(True)
        self.reassigned_title.setTextFormat(QtCore.Qt.TextFormat.RichText)

        left = QtWidgets.QWidget()
        left_layout = QtWidgets.QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, SPACING, 0)
        left_layout.addWidget(self.caseload_title)
        left_layout.addWidget(self.caseload_hint)
        left_layout.addWidget(self.caseload_view, 1)
        left_layout.addWidget(self.reassigned_title)
        left_layout.addWidget(self.reassigned_view)

        self.discussion_stack = QtWidgets.QStackedWidget()
        self.discussion_stack.setObjectName("discussion_stack")
        self.discussion_stack.setAccessibleName("Discussion of the case")
        self.no_case_page = _note("Choose a case in the list to record its discussion.")
        self.no_case_page.setAlignment(QtCore.Qt.AlignmentFlag.AlignCenter)
        self.discussion_stack.addWidget(self.no_case_page)

        self.caseload_splitter = QtWidgets.QSplitter(QtCore.Qt.Orientation.Horizontal)
        self.caseload_splitter.setObjectName("caseload_splitter")
        self.caseload_splitter.setChildrenCollapsible(False)
        self.caseload_splitter.addWidget(left)
        self.caseload_splitter.addWidget(self.discussion_stack)
        self.caseload_splitter.setStretchFactor(0, 1)
        self.caseload_splitter.setStretchFactor(1, 1)
        self.caseload_splitter.setSizes([700, 620])
        layout = QtWidgets.QVBoxLayout(page)
        layout.addWidget(self.caseload_splitter)

        self.caseload_model.itemChanged.connect(self._caseload_item_changed)
        self.caseload_view.selectionModel().currentRowChanged.connect(self._case_chosen)
        return page

    def _build_actions_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        intro = _note(
            "What is to be done, who will do it and by when. An owner is one of the team's "
            "workers in post; an action may be about one case."
        )
        header = QtWidgets.QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        for text, width in (
            ("", NUMBER_WIDTH),
            ("Action", 0),
            ("Owner", OWNER_WIDTH),
            ("Due", DUE_WIDTH),
            ("Case", CASE_WIDTH),
        ):
            label = QtWidgets.QLabel(f"<b>{text}</b>" if text else "")
            if width:
                label.setFixedWidth(width)
                header.addWidget(label)
            else:
                header.addWidget(label, 1)
        # The Remove buttons' column.
        header.addSpacing(_button("Remove", "").sizeHint().width())
        self.actions_header = QtWidgets.QWidget()
        self.actions_header.setLayout(header)
        self.no_actions = _note("No actions yet.")
        self.add_action_button = _button("&Add action", "Add action", "Add an action")
        add_row = QtWidgets.QHBoxLayout()
        add_row.addWidget(self.add_action_button)
        add_row.addWidget(self.no_actions)
        add_row.addStretch(1)
        self.actions_box = QtWidgets.QWidget()
        self.actions_layout = QtWidgets.QVBoxLayout(self.actions_box)
        self.actions_layout.setContentsMargins(0, 0, 0, 0)
        self.actions_layout.addLayout(add_row)  # the rows go above it
        self.actions_layout.addStretch(1)
        self.actions_scroll = QtWidgets.QScrollArea()
        self.actions_scroll.setAccessibleName("Actions")
        self.actions_scroll.setWidgetResizable(True)
        self.actions_scroll.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self.actions_scroll.setWidget(self.actions_box)

        # A final record's actions, to read.
        self.actions_model = QtGui.QStandardItemModel(self)
        self.actions_model.setHorizontalHeaderLabels(["Action", "Owner", "Due", "Case", "Status"])
        self.actions_view = QtWidgets.QTableView()
        self.actions_view.setObjectName("actions_view")
        self.actions_view.setAccessibleName("Actions agreed")
        self.actions_view.setModel(self.actions_model)
        self.actions_view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.actions_view.setSelectionBehavior(
            QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows
        )
        self.actions_view.setTabKeyNavigation(False)
        self.actions_view.setWordWrap(True)
        self.actions_view.verticalHeader().hide()
        self.actions_view.horizontalHeader().setStretchLastSection(True)
        for column, width in enumerate((520, 200, 110, 120)):
            self.actions_view.setColumnWidth(column, width)

        layout = QtWidgets.QVBoxLayout(page)
        layout.addWidget(intro)
        layout.addWidget(self.actions_header)
        layout.addWidget(self.actions_scroll, 1)
        layout.addWidget(self.actions_view, 1)
        self.add_action_button.clicked.connect(self.add_action)
        return page

    def _build_addenda_tab(self) -> QtWidgets.QWidget:
        page = QtWidgets.QWidget()
        self.addenda_view = QtWidgets.QTextBrowser()
        self.addenda_view.setObjectName("addenda_view")
        self.addenda_view.setAccessibleName("Addenda")
        self.addenda_view.setOpenLinks(False)
        layout = QtWidgets.QVBoxLayout(page)
        layout.addWidget(
            _note(
                "Notes added to the record after it was finalised, each with who added it "
                "and when. The record itself stays as it was finalised."
            )
        )
        layout.addWidget(self.addenda_view, 1)
        return page

    # --- Geometry ------------------------------------------------------------------------------

    def _restore_geometry(self) -> None:
        geometry = self.preferences.state("supervision_editor/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = self.preferences.state("supervision_editor/caseload_splitter")
        if splitter is not None:
            self.caseload_splitter.restoreState(splitter)

    def _save_geometry(self) -> None:
        self.preferences.set_state("supervision_editor/geometry", self.saveGeometry())
        self.preferences.set_state(
            "supervision_editor/caseload_splitter", self.caseload_splitter.saveState()
        )

    # --- Showing a session ---------------------------------------------------------------------

    @property
    def record(self) -> SupervisionRecord:
        return self.loaded.record

    def is_draft(self) -> bool:
        return self.loaded.row.status is SessionStatus.DRAFT and not self._discarded

    def _fill(self, loaded: Loaded) -> None:
        """Show ``loaded`` in every widget (nothing counts as an edit)."""
        self._loading = True
        try:
            self._fill_widgets(loaded)
        finally:
            self._loading = False
        self.loaded = loaded
        self.version = loaded.row.version
        self._dirty = False
        self.autosave_timer.stop()
        self._clear_problem()
        self._apply_mode()
        self._show_state()

    def _fill_widgets(self, loaded: Loaded) -> None:
        record = loaded.record
        self.loaded = loaded
        self.setWindowTitle(f"Supervision with {record.worker} — {record.record_id}")
        self.title_label.setText(
            f"<span style='font-size: large'><b>Supervision with "
            f"{html.escape(record.worker)}</b></span>"
        )
        self.subtitle_label.setText(
            f"{record.worker_role}, {record.team} · manager {record.manager}"
        )
        today = self.context.today()
        self.held_on.setMaximumDate(_qdate(max(today, record.held_on)))  # never in the future
        self.held_on.setDate(_qdate(record.held_on))
        self.attendees.setText(", ".join(record.attendees))
        self.wellbeing.setPlainText(record.wellbeing)
        self.workload.setPlainText(record.workload)
        self.next_date.setMinimumDate(_qdate(record.held_on))
        booked = record.next_supervision
        self.next_booked.setChecked(booked is not None)
        self.next_date.setEnabled(booked is not None)
        self.next_date.setDate(
            _qdate(booked or record.held_on + dt.timedelta(days=NEXT_SUPERVISION_DAYS))
        )
        self.worker_signed.setChecked(record.worker_signed is not None)

        for page in self._pages.values():
            self.discussion_stack.removeWidget(page)
            page.deleteLater()
        self._pages = {}
        self._fill_caseload(loaded.cases, set(loaded.discussions))
        for case_id, discussion in loaded.discussions.items():
            self._page_for(case_id).set_texts(discussion)
            self._show_decision(case_id)
        self._fill_reassignments(record)

        for row in list(self._action_rows):
            self._drop_action_row(row)
        for action in loaded.actions:
            self._new_action_row().set_value(action)
        self._fill_actions_table(record)
        self._fill_addenda(record)
        self._number_actions()
        self._update_tab_titles()

    def _fill_caseload(self, cases: Sequence[CaseEntry], discussed: set[int]) -> None:
        """The caseload list: ``cases``, those in ``discussed`` ticked; the case chosen stays
        chosen."""
        current = self._current_case_id()
        model = self.caseload_model
        self._syncing = True
        try:
            model.removeRows(0, model.rowCount())
            self._cases = list(cases)
            for entry in self._cases:
                model.appendRow(self._case_items(entry, entry.case_id in discussed))
        finally:
            self._syncing = False
        for entry in self._cases:
            page = self._pages.get(entry.case_id)
            if page is not None:
                page.set_entry(entry)
                page.set_discussed(entry.case_id in discussed)
            self._show_decision(entry.case_id)
        for action_row in self._action_rows:
            action_row.set_cases(self._cases)
        overdue = sum(1 for c in self._cases if c.held and c.overdue)
        held = sum(1 for c in self._cases if c.held)
        record = self.loaded.record
        title = (
            f"<b>Case&load of {html.escape(record.worker)} on {uk_date(record.held_on)}</b>: "
            f"{held} open case{'s' if held != 1 else ''}"
        )
        if overdue:
            title += f", <span style='{ERROR_STYLE}'>{overdue} with something overdue</span>"
        self.caseload_title.setText(title)
        row = self._row_of(current) if current is not None else None
        if row is None and self._cases:
            row = 0
        if row is not None:
            self.caseload_view.setCurrentIndex(model.index(row, COL_CASE))
        else:
            self.discussion_stack.setCurrentWidget(self.no_case_page)

    def _case_items(self, entry: CaseEntry, discussed: bool) -> list[QtGui.QStandardItem]:
        check = QtGui.QStandardItem()
        check.setEditable(False)
        check.setCheckable(self.is_draft())
        check.setCheckState(
            QtCore.Qt.CheckState.Checked if discussed else QtCore.Qt.CheckState.Unchecked
        )
        check.setData(entry.case_id, CASE_ID_ROLE)
        check.setData(f"Discuss {entry.case_ref}", QtCore.Qt.ItemDataRole.AccessibleTextRole)
        texts = (entry.case_ref, entry.child, entry.category, entry.status, "")
        items = [check]
        for text in texts:
            item = QtGui.QStandardItem(text)
            item.setEditable(False)
            items.append(item)
        status = items[COL_STATUS]
        status.setToolTip(entry.status)
        if entry.overdue or not entry.held:
            status.setForeground(QtGui.QBrush(OVERDUE_COLOUR))
        if not entry.held:
            for item in items[COL_CASE:COL_STATUS]:
                item.setForeground(QtGui.QBrush(NOT_HELD_COLOUR))
        return items

    def _fill_reassignments(self, record: SupervisionRecord) -> None:
        self.reassigned_model.clear()
        for item in record.reassignments:
            row = QtGui.QStandardItem(describe_reassignment(item))
            row.setEditable(False)
            row.setToolTip(describe_reassignment(item))
            self.reassigned_model.appendRow(row)
        count = len(record.reassignments)
        day = uk_date(record.held_on)
        if count:
            self.reassigned_title.setText(
                f"<b>Reassigned on {day}</b> (to or from {html.escape(record.worker)}): {count}, "
                "added to the record"
            )
        else:
            self.reassigned_title.setText(
                f"<b>Reassigned on {day}</b>: none. Cases you move to or from "
                f"{html.escape(record.worker)} on the board that day are added to the record."
            )
        self.reassigned_view.setVisible(bool(count))

    def _fill_actions_table(self, record: SupervisionRecord) -> None:
        model = self.actions_model
        model.removeRows(0, model.rowCount())
        for action in record.actions:
            texts = (
                action.action,
                action.owner,
                uk_date(action.due) or "No date",
                action.case_ref or "",
                str(action.status).capitalize(),
            )
            row = [QtGui.QStandardItem(text) for text in texts]
            for item in row:
                item.setEditable(False)
            row[0].setToolTip(action.action)
            model.appendRow(row)
        self.actions_view.resizeRowsToContents()

    def _fill_addenda(self, record: SupervisionRecord) -> None:
        parts = [
            f"<p><b>Added {uk_datetime(a.added_at)} by {html.escape(a.added_by)}</b><br>"
            f"{html.escape(a.text).replace(chr(10), '<br>')}</p>"
            for a in record.addenda
        ]
        self.addenda_view.setHtml("".join(parts) or "<p>No addenda.</p>")

    def _apply_mode(self) -> None:
        """A draft is edited; a final record (or a discarded draft) is read."""
        draft = self.is_draft()
        final = self.loaded.row.status is SessionStatus.FINAL
        self.held_on.setReadOnly(not draft)
        self.attendees.setReadOnly(not draft)
        _set_text_read_only(self.wellbeing, not draft)
        _set_text_read_only(self.workload, not draft)
        self.caseload_hint.setText(
            "Tick Discuss (or press Space) for each case discussed, then write about it on "
            "the right."
            if draft
            else "The caseload as it stood on the day; the cases ticked were discussed."
        )
        self.next_booked.setEnabled(draft)
        self.next_date.setReadOnly(not draft)
        self.next_date.setEnabled(not draft or self.next_booked.isChecked())
        # A final record without a next date shows none (not a greyed date nobody chose).
        self.next_date.setVisible(draft or self.next_booked.isChecked())
        self.worker_signed.setEnabled(draft)
        for page in self._pages.values():
            page.set_read_only(not draft)
        for row in range(self.caseload_model.rowCount()):
            item = self.caseload_model.item(row, COL_DISCUSS)
            if item is not None:
                item.setCheckable(draft)
        self.actions_header.setVisible(draft)
        self.actions_scroll.setVisible(draft)
        self.add_action_button.setVisible(draft)
        self.no_actions.setVisible(draft and not self._action_rows)
        self.actions_view.setVisible(not draft)
        self.tabs.setTabVisible(TAB_ADDENDA, final)
        self.discard_button.setVisible(draft)
        self.finalise_button.setVisible(draft)
        self.addendum_button.setVisible(final)
        self.export_button.setVisible(final)
        self.print_button.setVisible(final)

    def _show_state(self, saving: str = "") -> None:
        row, record = self.loaded.row, self.loaded.record
        if self._discarded:
            text = f"{row.record_id} · discarded"
        elif record.is_final:
            text = (
                f"{row.record_id} · <b>Final</b> · finalised "
                f"{uk_datetime(record.finalised_at)} by {html.escape(record.finalised_by or '')}"
            )
        else:
            state = saving or (f"saved at {self._saved_at}" if self._saved_at else "saved")
            text = f"{row.record_id} · <b>Draft</b> · {state}"
        self.state_label.setText(text)

    def _update_tab_titles(self) -> None:
        held = sum(1 for c in self._cases if c.held)
        discussed = len(self.discussed_case_ids())
        self.tabs.setTabText(TAB_CASELOAD, f"&2 Caseload ({held} cases, {discussed} discussed)")
        count = len(self._action_rows) if self.is_draft() else len(self.record.actions)
        self.tabs.setTabText(TAB_ACTIONS, f"&3 Actions ({count})")
        self.tabs.setTabText(TAB_ADDENDA, f"&4 Addenda ({len(self.record.addenda)})")

    # --- The caseload and the discussions ---------------------------------------------------

    def _row_of(self, case_id: int | None) -> int | None:
        for row, entry in enumerate(self._cases):
            if entry.case_id == case_id:
                return row
        return None

    def _current_case_id(self) -> int | None:
        index = self.caseload_view.currentIndex()
        if not index.isValid() or index.row() >= len(self._cases):
            return None
        return self._cases[index.row()].case_id

    def _entry(self, case_id: int) -> CaseEntry:
        row = self._row_of(case_id)
        if row is None:
            raise KeyError(case_id)
        return self._cases[row]

    def _page_for(self, case_id: int) -> DiscussionPage:
        """The discussion page of a case on the list (made when first needed)."""
        page = self._pages.get(case_id)
        if page is None:
            entry = self._entry(case_id)
            page = DiscussionPage(entry)
            page.set_discussed(self.is_discussed(case_id))
            page.set_read_only(not self.is_draft())
            page.edited.connect(self._edited)
            page.discuss_toggled.connect(self._page_toggled)
            page.decision_changed.connect(self._show_decision)
            page.add_action_requested.connect(self.add_action_for_case)
            self._pages[case_id] = page
            self.discussion_stack.addWidget(page)
        return page

    def page(self, case_ref: str) -> DiscussionPage:
        """The discussion page of the case ``case_ref`` (tests and screenshots use it)."""
        for entry in self._cases:
            if entry.case_ref == case_ref:
                return self._page_for(entry.case_id)
        raise KeyError(case_ref)

    def case_refs(self) -> list[str]:
        """The caseload list's case references, in order."""
        return [entry.case_ref for entry in self._cases]

    def is_discussed(self, case_id: int) -> bool:
        row = self._row_of(case_id)
        if row is None:
            return False
        item = self.caseload_model.item(row, COL_DISCUSS)
        return item is not None and item.checkState() == QtCore.Qt.CheckState.Checked

    def discussed_case_ids(self) -> list[int]:
        """The cases ticked, in the list's order."""
        return [entry.case_id for entry in self._cases if self.is_discussed(entry.case_id)]

    def choose_case(self, case_ref: str) -> None:
        """Show ``case_ref`` in the list and its discussion beside it."""
        row = next(r for r, entry in enumerate(self._cases) if entry.case_ref == case_ref)
        self.tabs.setCurrentIndex(TAB_CASELOAD)
        self.caseload_view.setCurrentIndex(self.caseload_model.index(row, COL_CASE))

    def set_discussed(self, case_id: int, on: bool) -> None:
        """Tick (or untick) a case as discussed: the list and its page together."""
        row = self._row_of(case_id)
        if row is None or not self.is_draft():
            return
        item = self.caseload_model.item(row, COL_DISCUSS)
        self._syncing = True
        try:
            if item is not None:
                item.setCheckState(
                    QtCore.Qt.CheckState.Checked if on else QtCore.Qt.CheckState.Unchecked
                )
        finally:
            self._syncing = False
        self._page_for(case_id).set_discussed(on)
        self._show_decision(case_id)
        self._update_tab_titles()
        self._edited()

    @QtCore.Slot(QtCore.QModelIndex, QtCore.QModelIndex)
    def _case_chosen(self, current: QtCore.QModelIndex, _previous: QtCore.QModelIndex) -> None:
        if not current.isValid() or current.row() >= len(self._cases):
            self.discussion_stack.setCurrentWidget(self.no_case_page)
            return
        self.discussion_stack.setCurrentWidget(self._page_for(self._cases[current.row()].case_id))

    @QtCore.Slot(QtGui.QStandardItem)
    def _caseload_item_changed(self, item: QtGui.QStandardItem) -> None:
        if self._syncing or item.column() != COL_DISCUSS:
            return
        case_id = int(item.data(CASE_ID_ROLE))
        on = item.checkState() == QtCore.Qt.CheckState.Checked
        self._page_for(case_id).set_discussed(on)
        self._show_decision(case_id)
        self.caseload_view.setCurrentIndex(self.caseload_model.index(item.row(), COL_CASE))
        self._update_tab_titles()
        self._edited()

    @QtCore.Slot(int, bool)
    def _page_toggled(self, case_id: int, on: bool) -> None:
        self.set_discussed(case_id, on)

    @QtCore.Slot(int, str)
    def _show_decision(self, case_id: int, _decision: str = "") -> None:
        """The Decision column of a case: written or not yet (for a case discussed)."""
        row = self._row_of(case_id)
        item = None if row is None else self.caseload_model.item(row, COL_DECISION)
        if row is None or item is None:
            return
        page = self._pages.get(case_id)
        text = ""
        if page is not None and self.is_discussed(case_id):
            text = DECIDED if page.texts()[2].strip() else NOT_DECIDED
        if item.text() == text:
            return
        self._syncing = True
        try:
            item.setText(text)
            item.setForeground(
                QtGui.QBrush(OVERDUE_COLOUR if text == NOT_DECIDED else QtGui.QColor("#1e6b34"))
            )
            item.setToolTip(page.texts()[2].strip() if page is not None and text else "")
        finally:
            self._syncing = False

    def eventFilter(self, watched: QtCore.QObject, event: QtCore.QEvent) -> bool:
        # Space ticks the case the list is on, whichever column the cursor is in.
        if (
            watched is self.caseload_view
            and event.type() == QtCore.QEvent.Type.KeyPress
            and isinstance(event, QtGui.QKeyEvent)
            and event.key() == QtCore.Qt.Key.Key_Space
            and event.modifiers() == QtCore.Qt.KeyboardModifier.NoModifier
        ):
            case_id = self._current_case_id()
            if case_id is not None and self.is_draft():
                self.set_discussed(case_id, not self.is_discussed(case_id))
            return True
        return super().eventFilter(watched, event)

    @QtCore.Slot()
    def refresh_caseload(self) -> None:
        """Read the draft's caseload and the day's reassignments again (a case moved on the
        board, or the date changed); ticks, texts and actions stay as they are."""
        if not self.is_draft() or self._closed:
            return
        try:
            fresh = read_session(self.context, self.session_id)
        except CaseloadError:
            return  # the next save says what is wrong
        discussed = set(self.discussed_case_ids())
        cases = list(fresh.cases)
        # A case ticked here but not yet saved, and not held that day: it stays on the list.
        shown = {c.case_id for c in cases}
        not_held = f"Not held by {fresh.record.worker} on {uk_date(fresh.record.held_on)}"
        for entry in self._cases:
            if entry.case_id in discussed and entry.case_id not in shown:
                cases.append(dataclasses.replace(entry, status=not_held, held=False))
        self._loading = True
        try:
            self.loaded = dataclasses.replace(
                self.loaded, record=fresh.record, cases=tuple(cases), owners=fresh.owners
            )
            self._fill_caseload(cases, discussed)
            self._fill_reassignments(fresh.record)
        finally:
            self._loading = False
        self._update_tab_titles()

    @QtCore.Slot(object)
    def _on_data_changed(self, change: Change) -> None:
        if change.what == "supervision" or self._closed:
            return
        shown = {entry.case_id for entry in self._cases}
        if self.loaded.row.worker_id in change.worker_ids or shown & change.case_ids:
            self._refresh_timer.start()

    # --- Actions ---------------------------------------------------------------------------------

    def action_rows(self) -> list[ActionRow]:
        return list(self._action_rows)

    def _new_action_row(self) -> ActionRow:
        row = ActionRow(self.loaded.owners, self._cases, _date(self.held_on.date()))
        row.owner.setCurrentIndex(max(row.owner.findData(self.loaded.row.worker_id), 0))
        row.edited.connect(self._edited)
        row.remove_requested.connect(self._remove_action_row)
        self.actions_layout.insertWidget(len(self._action_rows), row)
        self._action_rows.append(row)
        return row

    def _drop_action_row(self, row: ActionRow) -> None:
        self._action_rows.remove(row)
        self.actions_layout.removeWidget(row)
        row.hide()
        row.deleteLater()

    def _number_actions(self) -> None:
        for number, row in enumerate(self._action_rows, start=1):
            row.set_number(number)
            if number > 1:
                QtWidgets.QWidget.setTabOrder(self._action_rows[number - 2].remove, row.text)
        if self._action_rows:
            QtWidgets.QWidget.setTabOrder(self._action_rows[-1].remove, self.add_action_button)
        self.no_actions.setVisible(self.is_draft() and not self._action_rows)
        self._update_tab_titles()

    @QtCore.Slot()
    def add_action(self) -> ActionRow:
        """A new, empty action (owned by the worker, due in two weeks), ready to type."""
        row = self._new_action_row()
        self._number_actions()
        self.tabs.setCurrentIndex(TAB_ACTIONS)
        row.text.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)
        QtCore.QTimer.singleShot(0, lambda: self.actions_scroll.ensureWidgetVisible(row))
        self._edited()
        return row

    @QtCore.Slot(int)
    def add_action_for_case(self, case_id: int) -> None:
        row = self.add_action()
        row.case.setCurrentIndex(max(row.case.findData(case_id), 0))

    @QtCore.Slot(object)
    def _remove_action_row(self, row: ActionRow) -> None:
        number = self._action_rows.index(row)
        self._drop_action_row(row)
        self._number_actions()
        if self._action_rows:
            after = self._action_rows[min(number, len(self._action_rows) - 1)]
            after.text.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)
        else:
            self.add_action_button.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)
        self._edited()

    # --- Saving -----------------------------------------------------------------------------------

    def draft_input(self, *, strict: bool = False) -> DraftInput:
        """What the editor holds, as the service takes it. An action not yet written is left
        out (it is being typed); with ``strict`` (finalising) it is refused instead."""
        discussions = []
        self._discussion_ids = []
        for case_id in self.discussed_case_ids():
            current_position, lived, decision, rationale = self._page_for(case_id).texts()
            discussions.append(
                DiscussionInput(case_id, current_position, lived, decision, rationale)
            )
            self._discussion_ids.append(case_id)
        actions = []
        for number, row in enumerate(self._action_rows):
            where = f"actions[{number}]"
            if row.is_blank():
                if strict:
                    raise BadInput(f"{where}.action: say what is to be done, or remove it.")
                continue
            actions.append(row.value(where))
        attendees = tuple(name.strip() for name in self.attendees.text().split(","))
        return DraftInput(
            held_on=_date(self.held_on.date()),
            attendees=tuple(name for name in attendees if name),
            wellbeing=self.wellbeing.toPlainText(),
            workload=self.workload.toPlainText(),
            next_supervision=(
                _date(self.next_date.date()) if self.next_booked.isChecked() else None
            ),
            discussions=tuple(discussions),
            actions=tuple(actions),
            worker_signed=self.record.worker if self.worker_signed.isChecked() else None,
        )

    @QtCore.Slot()
    def _edited(self) -> None:
        if self._loading or not self.is_draft():
            return
        self._dirty = True
        self._user_edited = True
        self.autosave_timer.start()
        self._show_state("changes not saved yet")

    @QtCore.Slot(QtCore.QDate)
    def _held_on_changed(self, value: QtCore.QDate) -> None:
        if self._loading:
            return
        held_on = _date(value)
        self.next_date.setMinimumDate(value)
        for row in self._action_rows:
            row.set_held_on(held_on)
        self._edited()

    @QtCore.Slot()
    def _autosave(self) -> None:
        self.save_now()

    def has_unsaved_changes(self) -> bool:
        return self._dirty

    def save_now(self, *, focus_problem: bool = False) -> bool:
        """Save the draft if it changed; True when nothing is left unsaved. A refusal is shown
        beside the buttons (and, with ``focus_problem``, the field it names is shown)."""
        self.autosave_timer.stop()
        if not self.is_draft() or not self._dirty:
            return True
        held_before = self.record.held_on
        try:
            draft = self.draft_input()
            version = supervision.save_draft(
                self.context.db,
                self.session_id,
                draft,
                expected_version=self.version,
                actor=current_user(),
                today=self.context.today(),
                # Drafts change nothing the board shows (only final records' actions do), so
                # their saves are not announced: the board is not read again at every pause.
                announcer=None,
            )
        except StaleData as exc:
            self._dirty = False
            Interaction.show_error(
                self,
                "Changed elsewhere",
                f"{exc}\n\nThe editor now shows the draft as it was saved there; what you "
                "typed since your last save here is not in it.",
            )
            self.reload()
            return False
        except CaseloadError as exc:
            if not self._changed_elsewhere():
                self._show_problem(str(exc), focus=focus_problem)
            return False
        self.version = version
        self._dirty = False
        self._saved_at = f"{now_utc().astimezone(UK_TIME):%H:%M:%S}"
        self.loaded = dataclasses.replace(
            self.loaded,
            row=dataclasses.replace(self.loaded.row, version=version, held_on=draft.held_on),
            record=dataclasses.replace(self.record, held_on=draft.held_on),
        )
        self._clear_problem()
        self._show_state()
        self.saved.emit(version)
        if draft.held_on != held_before:
            self.refresh_caseload()  # the caseload of the new day
        return True

    def _changed_elsewhere(self) -> bool:
        """After a refused save: whether the session was finalised or discarded elsewhere (then
        said, and shown)."""
        try:
            row = supervision.session_row(self.context.db, self.session_id)
        except NotFound:
            self._dirty = False
            self._discarded = True
            Interaction.show_error(
                self,
                "The draft is gone",
                f"{self.loaded.row.record_id} was discarded elsewhere; nothing more can be "
                "saved to it.",
            )
            self._apply_mode()
            self._show_state()
            return True
        except CaseloadError:
            return False
        if row.status is SessionStatus.FINAL:
            self._dirty = False
            Interaction.show_error(
                self,
                "Finalised elsewhere",
                f"{row.record_id} was finalised elsewhere and cannot be changed; the editor now "
                "shows the final record. An addendum can be added.",
            )
            self.reload()
            return True
        return False

    def reload(self) -> None:
        """Read the session again, keeping the tab and the case in view."""
        tab, case_id = self.tabs.currentIndex(), self._current_case_id()
        try:
            loaded = read_session(self.context, self.session_id)
        except CaseloadError as exc:
            Interaction.show_error(self, "Cannot read the supervision record", str(exc))
            return
        self._fill(loaded)
        self.tabs.setCurrentIndex(tab)
        row = self._row_of(case_id)
        if row is not None:
            self.caseload_view.setCurrentIndex(self.caseload_model.index(row, COL_CASE))

    # --- Problems named by the service ---------------------------------------------------------

    def _describe_problem(self, message: str) -> str:
        """``message`` with its field ("actions[1].owner") in words ("Action 2, owner")."""
        found = _FIELD.match(message)
        if found is None:
            self._problem_path = None
            return message
        section, index, field = found["section"], found["index"], found["field"]
        number = None if index is None else int(index)
        self._problem_path = (section, number, field)
        rest = found["rest"]
        if section == "actions" and number is not None:
            where = f"Action {number + 1}"
        elif section == "cases" and number is not None:
            where = self._discussed_ref(number) or f"Case discussed {number + 1}"
        else:
            where = _SECTION_WORDS.get(section, section)
        if field is not None and field != "case_ref":
            where += f", {_FIELD_WORDS.get(field, field)}"
        return f"{where}: {rest}"

    def _discussed_ref(self, number: int) -> str | None:
        if 0 <= number < len(self._discussion_ids):
            case_id = self._discussion_ids[number]
            row = self._row_of(case_id)
            if row is not None:
                return self._cases[row].case_ref
        return None

    def _show_problem(self, message: str, *, focus: bool) -> None:
        words = self._describe_problem(message)
        text = f"<b>Not saved.</b> {html.escape(words)}"
        if self._problem_path is not None:
            text += " &nbsp;<a href='#problem'>Show me</a>"
        self.problem_label.setText(text)
        self.problem_label.setToolTip(message)
        self.problem_label.show()
        self._show_state("not saved")
        if focus:
            self._go_to_problem()

    def problem(self) -> str:
        """The problem shown beside the buttons, as plain text ("" when none)."""
        if self.problem_label.isHidden():
            return ""
        document = QtGui.QTextDocument()
        document.setHtml(self.problem_label.text())
        return document.toPlainText().replace("\xa0", " ").removesuffix(" Show me").strip()

    def _clear_problem(self) -> None:
        self.problem_label.hide()
        self.problem_label.clear()
        self._problem_path = None

    @QtCore.Slot()
    def _go_to_problem(self) -> None:
        """Show the field the last refusal named, and put the cursor in it."""
        if self._problem_path is None:
            return
        section, number, field = self._problem_path
        target: QtWidgets.QWidget | None = None
        if section == "actions" and number is not None and number < len(self._action_rows):
            row = self._action_rows[number]
            self.tabs.setCurrentIndex(TAB_ACTIONS)
            self.actions_scroll.ensureWidgetVisible(row)
            target = {"owner": row.owner, "due": row.due, "case_ref": row.case}.get(
                field or "", row.text
            )
        elif section == "cases" and number is not None and number < len(self._discussion_ids):
            case_id = self._discussion_ids[number]
            row_number = self._row_of(case_id)
            self.tabs.setCurrentIndex(TAB_CASELOAD)
            if row_number is not None:
                self.caseload_view.setCurrentIndex(self.caseload_model.index(row_number, COL_CASE))
            page = self._page_for(case_id)
            fields = dict(
                zip(
                    ("current_position", "lived_experience", "decision", "rationale"),
                    page.fields,
                    strict=True,
                )
            )
            target = fields.get(field or "", self.caseload_view)
        else:
            target = {
                "held_on": self.held_on,
                "attendees": self.attendees,
                "wellbeing": self.wellbeing,
                "workload": self.workload,
                "next_supervision": self.next_date,
            }.get(section)
            if target is not None:
                self.tabs.setCurrentIndex(TAB_SESSION)
        if target is not None:
            target.setFocus(QtCore.Qt.FocusReason.OtherFocusReason)

    # --- Finalise, discard ------------------------------------------------------------------------

    def gaps(self) -> list[str]:
        """What the record does not say yet (the Finalise question lists it)."""
        found = []
        if not self.wellbeing.toPlainText().strip():
            found.append("the worker's wellbeing")
        discussed = self.discussed_case_ids()
        if not discussed:
            found.append("any case discussed")
        no_decision = [
            self._entry(case_id).case_ref
            for case_id in discussed
            if not self._page_for(case_id).texts()[2].strip()
        ]
        if no_decision:
            found.append(f"a decision for {', '.join(no_decision)}")
        undated = [
            str(number)
            for number, row in enumerate(self._action_rows, start=1)
            if not row.is_blank() and not row.has_due.isChecked()
        ]
        if undated:
            found.append(f"a due date for action {', '.join(undated)}")
        if not self.next_booked.isChecked():
            found.append("the next supervision date")
        if not self.worker_signed.isChecked():
            found.append("the worker's agreement")
        return found

    @QtCore.Slot()
    def finalise(self) -> bool:
        """Save, ask, then fix the record; True when it was finalised."""
        if not self.is_draft():
            return False
        self._dirty = True  # saved once more, strictly: nothing half typed is left out
        try:
            self.draft_input(strict=True)
        except CaseloadError as exc:
            self._show_problem(str(exc), focus=True)
            return False
        if not self.save_now(focus_problem=True):
            return False
        record_name = self.loaded.row.record_id
        question = (
            f"Finalise the supervision record {record_name} with {self.record.worker} of "
            f"{uk_date(self.record.held_on)}?\n\n{FINALISE_WARNING}"
        )
        gaps = self.gaps()
        if gaps:
            question += "\n\nThe record does not say yet:\n" + "\n".join(f"• {g}" for g in gaps)
        if not Interaction.confirm(self, "Finalise the supervision record", question, "Finalise"):
            return False
        context, session_id, version = self.context, self.session_id, self.version
        try:
            digest = run_with_progress(
                self,
                "Finalise",
                f"Finalising {record_name}…",
                lambda _progress: supervision.finalise(
                    context.db,
                    session_id,
                    expected_version=version,
                    actor=current_user(),
                    rules=context.rules,
                    style=context.records,
                    announcer=context.changes,
                ),
                cancellable=False,
            )
        except StaleData as exc:
            Interaction.show_error(self, "Changed elsewhere", f"{exc}")
            self.reload()
            return False
        except CaseloadError as exc:
            if not self._changed_elsewhere():
                self._show_problem(str(exc), focus=True)
            return False
        self.reload()
        self.status_bar.showMessage(
            f"Finalised {record_name}. It cannot be changed now; an addendum can be added.",
            STATUS_MESSAGE_MS,
        )
        self.finalised.emit(digest)
        return True

    @QtCore.Slot()
    def discard(self) -> None:
        """Throw the draft away, after asking."""
        if not self.is_draft():
            return
        record_name = self.loaded.row.record_id
        question = (
            f"Discard the draft supervision {record_name} with {self.record.worker}? "
            "Everything written in it goes, and this cannot be undone."
        )
        if not Interaction.confirm(self, "Discard the draft", question, "Discard draft"):
            return
        self.autosave_timer.stop()
        try:
            supervision.discard_draft(
                self.context.db,
                self.session_id,
                actor=current_user(),
                announcer=self.context.changes,
            )
        except CaseloadError as exc:
            Interaction.show_error(self, f"Cannot discard {record_name}", str(exc))
            return
        self._dirty = False
        self._discarded = True
        self.close()

    # --- Export, print, addendum ------------------------------------------------------------

    def _export_start(self) -> Path:
        if self._export_folder is not None:
            return self._export_folder
        documents = QtCore.QStandardPaths.writableLocation(
            QtCore.QStandardPaths.StandardLocation.DocumentsLocation
        )
        return Path(documents) if documents else Path.home()

    @QtCore.Slot()
    def export_pdf(self) -> Path | None:
        """Export PDF…: the record as a PDF file, written whole or not at all."""
        if not self.save_now(focus_problem=True):
            return None
        record_name = self.loaded.row.record_id
        path = Interaction.choose_export_path(
            self,
            "Export supervision record",
            self._export_start() / file_name(self.record),
            PDF_FILTER,
            "pdf",
        )
        if path is None:
            return None
        self._export_folder = path.parent
        context, session_id = self.context, self.session_id
        try:
            run_with_progress(
                self,
                "Export supervision record",
                f"Writing {record_name}…",
                lambda _progress: supervision.export_pdf(
                    context.db, session_id, path, rules=context.rules, style=context.records
                ),
                cancellable=False,
            )
        except CaseloadError as exc:
            Interaction.show_error(self, f"Cannot export {record_name}", str(exc))
            return None
        self.exported = path
        self._export_message = f"Wrote the supervision record {record_name} to {path}."
        self.open_export_button.setToolTip(f"Open {path}")
        self.status_bar.showMessage(self._export_message, EXPORT_MESSAGE_MS)
        return path

    @QtCore.Slot(str)
    def _status_message_changed(self, message: str) -> None:
        # The Open button belongs to the export's message, and goes with it.
        self.open_export_button.setVisible(bool(message) and message == self._export_message)

    @QtCore.Slot()
    def open_exported(self) -> None:
        if self.exported is not None and not Interaction.open_file(self.exported):
            Interaction.show_error(
                self, "Cannot open the file", f"No program on this computer opens {self.exported}."
            )

    def record_pdf(self) -> bytes | None:
        """The record's PDF, made off the GUI thread; None when it cannot be (said)."""
        context, session_id = self.context, self.session_id
        record_name = self.loaded.row.record_id
        try:
            return run_with_progress(
                self,
                "Supervision record",
                f"Making {record_name}…",
                lambda _progress: supervision_record_pdf(
                    supervision.load_record(context.db, session_id, context.rules),
                    context.records,
                ),
                cancellable=False,
            )
        except CaseloadError as exc:
            Interaction.show_error(self, f"Cannot make {record_name}", str(exc))
            return None

    @QtCore.Slot()
    def print_record(self) -> bool:
        """Print…: the record's PDF through the system's print dialog."""
        if not self.save_now(focus_problem=True):
            return False
        data = self.record_pdf()
        if data is None:
            return False
        job = printing.PrintJob(
            self, self.preferences, data, f"Supervision record {self.loaded.row.record_id}"
        )
        if not job.print_document():
            return False
        self.status_bar.showMessage(f"Printed: {job.title}.", STATUS_MESSAGE_MS)
        return True

    @QtCore.Slot()
    def add_addendum(self) -> bool:
        """Add addendum…: a note at the end of the final record, with who and when."""
        if self.loaded.row.status is not SessionStatus.FINAL:
            return False
        record_name = self.loaded.row.record_id
        text: str | None = ""
        while text is not None:
            text = AddendumDialog.ask(self, record_name, text)
            if text is not None and self._add_addendum_text(text):
                break
        if text is None:
            return False
        self.reload()
        self.tabs.setCurrentIndex(TAB_ADDENDA)
        self.status_bar.showMessage(f"Added an addendum to {record_name}.", STATUS_MESSAGE_MS)
        return True

    def _add_addendum_text(self, text: str) -> bool:
        """Add ``text`` to the record off the GUI thread; False when refused (said: the
        manager is asked again with the text as written, so nothing typed is lost)."""
        context, session_id = self.context, self.session_id
        record_name = self.loaded.row.record_id
        try:
            run_with_progress(
                self,
                "Add addendum",
                f"Adding the addendum to {record_name}…",
                lambda _progress: supervision.add_addendum(
                    context.db,
                    session_id,
                    text,
                    actor=current_user(),
                    rules=context.rules,
                    style=context.records,
                    announcer=context.changes,
                ),
                cancellable=False,
            )
        except CaseloadError as exc:
            Interaction.show_error(self, f"Cannot add the addendum to {record_name}", str(exc))
            return False
        return True

    # --- Closing ---------------------------------------------------------------------------

    def _ready_to_close(self) -> bool:
        """Save what is unsaved; when it cannot be, ask before losing it."""
        if self.save_now():
            return True
        if not self._dirty:
            return False  # read again after a change elsewhere: look before closing
        question = (
            f"The last changes to {self.loaded.row.record_id} cannot be saved:\n\n"
            f"{self._describe_problem(self.problem_label.toolTip())}\n\n"
            "Close anyway, and lose them?"
        )
        return Interaction.confirm(
            self, "Close the supervision record", question, "Close without saving"
        )

    def reject(self) -> None:
        """Close (the window's close button, Escape, Close): a draft is saved first."""
        if self._closed:
            super().reject()
            return
        if not self._discarded and not self._ready_to_close():
            return
        if self.created_here and not self._user_edited and self.is_draft():
            # Started and closed without a word written: no empty draft is left behind.
            with contextlib.suppress(CaseloadError):
                supervision.discard_draft(self.context.db, self.session_id, actor=current_user())
        self._closed = True
        self.autosave_timer.stop()
        self._refresh_timer.stop()
        self._unsubscribe()
        self._save_geometry()
        super().reject()


# --- A worker's records, and an addendum ---------------------------------------------------


class SupervisionRecordsDialog(QtWidgets.QDialog):
    """A worker's supervision sessions, newest first, to open one (a draft to carry on, a
    final record to read, export or print)."""

    def __init__(
        self,
        sessions: Sequence[SessionRow],
        worker: str,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.sessions = list(sessions)
        title = f"Supervision records of {worker}"
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.resize(520, 380)
        self.model = QtGui.QStandardItemModel(self)  # a few sessions a year
        self.model.setHorizontalHeaderLabels(["Record", "Held on", "Status"])
        for row in self.sessions:
            status = "Final" if row.status is SessionStatus.FINAL else "Draft"
            items = [
                QtGui.QStandardItem(row.record_id),
                QtGui.QStandardItem(uk_date(row.held_on)),
                QtGui.QStandardItem(status),
            ]
            for item in items:
                item.setEditable(False)
            items[0].setData(row.id, CASE_ID_ROLE)
            self.model.appendRow(items)
        self.view = QtWidgets.QTableView()
        self.view.setAccessibleName("Supervision records")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QtWidgets.QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setTabKeyNavigation(False)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setColumnWidth(0, 130)
        self.view.setColumnWidth(1, 130)
        empty = _note(
            f"No supervision records of {worker} yet. Start one with Supervision > Start "
            "supervision (Ctrl+Shift+S)."
        )
        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Open
            | QtWidgets.QDialogButtonBox.StandardButton.Close
        )
        self.open_button = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Open)
        self.open_button.setAccessibleName("Open the record")
        close = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Close)
        close.setAccessibleName("Close")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.view.activated.connect(self._activated)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(empty)
        layout.addWidget(self.view, 1)
        if not self.sessions:
            layout.addStretch(1)
        layout.addWidget(self.buttons)
        empty.setVisible(not self.sessions)
        self.view.setVisible(bool(self.sessions))
        self.open_button.setEnabled(bool(self.sessions))
        if self.sessions:
            self.view.setCurrentIndex(self.model.index(0, 0))
            self.view.setFocus()

    @QtCore.Slot(QtCore.QModelIndex)
    def _activated(self, _index: QtCore.QModelIndex) -> None:
        self.accept()

    def chosen(self) -> int | None:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        return self.sessions[index.row()].id

    @classmethod
    def ask(
        cls, parent: QtWidgets.QWidget | None, sessions: Sequence[SessionRow], worker: str
    ) -> int | None:
        """The session to open, or None."""
        dialog = cls(sessions, worker, parent)
        try:
            if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                return None
            return dialog.chosen()
        finally:
            dialog.deleteLater()


class AddendumDialog(QtWidgets.QDialog):
    """Add addendum…: the text of a note added to the end of a final record."""

    def __init__(
        self, record_name: str, text: str = "", parent: QtWidgets.QWidget | None = None
    ) -> None:
        super().__init__(parent)
        title = f"Add an addendum to {record_name}"
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self.resize(560, 320)
        explanation = _note(
            "The addendum is added to the end of the record with your name and the time. The "
            "record itself stays as it was finalised."
        )
        self.text = _text_edit("Addendum", "What is added to the record, and why")
        self.text.setPlainText(text)
        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Add addendum")
        self.ok_button.setAccessibleName("Add addendum")
        cancel = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addWidget(_label("&Addendum:", self.text))
        layout.addWidget(self.text, 1)
        layout.addWidget(self.buttons)
        self.text.textChanged.connect(self._update)
        self._update()

    @QtCore.Slot()
    def _update(self) -> None:
        self.ok_button.setEnabled(bool(self.text.toPlainText().strip()))

    @classmethod
    def ask(cls, parent: QtWidgets.QWidget | None, record_name: str, text: str = "") -> str | None:
        """The addendum's text, or None when cancelled."""
        dialog = cls(record_name, text, parent)
        try:
            if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
                return None
            return dialog.text.toPlainText().strip()
        finally:
            dialog.deleteLater()
