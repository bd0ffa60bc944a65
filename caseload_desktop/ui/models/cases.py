"""CasesModel: a table of open cases (a worker's caseload or one queue), fast at service scale.

The model keeps the plain rows of a ``CaseTable`` and the indexes of the rows it shows, and
converts a value only when a view asks for it. Sorting and filtering happen here, on native
keys, not in a ``QSortFilterProxyModel`` (RELIABILITY.md: 12 s to sort 100,000 rows through a
proxy against 30 ms for a Python sort). Rows arrive in batches through ``fetchMore``, so a
view of 100,000 cases opens at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
from collections.abc import Callable, Sequence
from typing import Any

from PySide6 import QtCore, QtGui

from caseload_desktop.display import uk_date
from caseload_desktop.domain.categories import Category, Risk
from caseload_desktop.domain.practice import DEFAULT_RULES, PracticeRules
from caseload_desktop.domain.queues import days_between, queue_priority
from caseload_desktop.domain.timescales import add_working_days
from caseload_desktop.store import queries as q

AnyIndex = QtCore.QModelIndex | QtCore.QPersistentModelIndex
_ROOT = QtCore.QModelIndex()
_DISPLAY = QtCore.Qt.ItemDataRole.DisplayRole
_FOREGROUND = QtCore.Qt.ItemDataRole.ForegroundRole
_TOOLTIP = QtCore.Qt.ItemDataRole.ToolTipRole
_ALIGN = QtCore.Qt.ItemDataRole.TextAlignmentRole
_FONT = QtCore.Qt.ItemDataRole.FontRole
_RIGHT = int(QtCore.Qt.AlignmentFlag.AlignRight | QtCore.Qt.AlignmentFlag.AlignVCenter)

ALERT = QtGui.QColor("#b3261e")
MIME_TYPE = "application/x-caseload-case-ids"  # JSON: [{"id": case id, "version": n}, ...]
BATCH = 2000  # rows handed to the view per fetchMore

_CATEGORY_BY_VALUE = {c.value: c for c in Category}
_RISK_BY_VALUE = {r.value: r for r in Risk}
_CATEGORY_ORDER = {c.value: i for i, c in enumerate(Category)}
_MUST_BE_ALLOCATED_FIRST = {
    c.value: queue_priority(c, 0)[0] for c in Category
}  # 0 for CP and CLA: they lead every queue
_RISK_ORDER = {r.value: r.rank for r in Risk}


def case_versions_mime(versions: dict[int, int], refs: Sequence[str]) -> QtCore.QMimeData:
    """Drag data for cases: their ids with the versions they were read at (and refs as text)."""
    data = QtCore.QMimeData()
    payload = [{"id": case_id, "version": version} for case_id, version in versions.items()]
    data.setData(MIME_TYPE, QtCore.QByteArray(json.dumps(payload).encode("utf-8")))
    data.setText(" ".join(refs))
    return data


def decode_case_versions(data: QtCore.QMimeData) -> dict[int, int]:
    """The case ids and read versions in drag data (empty when it carries none)."""
    if not data.hasFormat(MIME_TYPE):
        return {}
    try:
        payload = json.loads(bytes(data.data(MIME_TYPE).data()).decode("utf-8"))
        return {int(item["id"]): int(item["version"]) for item in payload}
    except (ValueError, KeyError, TypeError):
        return {}  # not ours after all: a drop of it does nothing


class Role(enum.IntEnum):
    """Custom data roles of this model."""

    CASE_ID = QtCore.Qt.ItemDataRole.UserRole
    SORT = QtCore.Qt.ItemDataRole.UserRole + 1
    ALERT = QtCore.Qt.ItemDataRole.UserRole + 2


@dataclasses.dataclass(frozen=True)
class CaseColumn:
    """One column: how to show, sort and flag a value of a ``CaseTable`` row.

    Each function takes the model (for ``table``, ``today`` and ``rules``) and a table index.
    """

    key: str
    header: str
    display: Callable[[CasesModel, int], str]
    sort_key: Callable[[CasesModel, int], Any]
    right_aligned: bool = False
    alert: Callable[[CasesModel, int], bool] | None = None
    tooltip: Callable[[CasesModel, int], str | None] | None = None


# --- Column values ---------------------------------------------------------------------------


def _cell(column: int) -> Callable[[CasesModel, int], Any]:
    return lambda model, i: model.table.rows[i][column]


def _text(column: int) -> Callable[[CasesModel, int], str]:
    return lambda model, i: model.table.rows[i][column] or ""


def _iso_key(column: int) -> Callable[[CasesModel, int], Any]:
    # ISO text sorts as dates do; missing dates sort last.
    return lambda model, i: model.table.rows[i][column] or "9999"


def _date_text(column: int) -> Callable[[CasesModel, int], str]:
    return lambda model, i: uk_date(model.table.date(i, column))


def _age(model: CasesModel, i: int) -> int | None:
    born = model.table.date(i, q.C_DOB)
    if born is None:
        return None
    today = model.today
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _age_text(model: CasesModel, i: int) -> str:
    age = _age(model, i)
    return "" if age is None else str(age)


def _category_text(model: CasesModel, i: int) -> str:
    category = _CATEGORY_BY_VALUE[model.table.rows[i][q.C_CATEGORY]]
    return category.short + (" (court)" if model.table.rows[i][q.C_COURT] else "")


def _category_alert(model: CasesModel, i: int) -> bool:
    """In a queue, cases that must always be allocated (CP, CLA) show in red."""
    return (
        model.queue_view and _CATEGORY_BY_VALUE[model.table.rows[i][q.C_CATEGORY]].must_be_allocated
    )


def _visit_overdue_days(model: CasesModel, i: int) -> int:
    due = model.table.visit_due(i, model.rules)
    return 0 if due is None or due >= model.today else (model.today - due).days


def _visit_key(model: CasesModel, i: int) -> Any:
    due = model.table.visit_due(i, model.rules)
    return due.isoformat() if due else "9999"


def _visit_text(model: CasesModel, i: int) -> str:
    due = model.table.visit_due(i, model.rules)
    if due is None:
        return ""
    late = _visit_overdue_days(model, i)
    return uk_date(due) + (f" ({late} day{'s' if late != 1 else ''} overdue)" if late else "")


def _assessment_due(model: CasesModel, i: int) -> dt.date | None:
    row = model.table.rows[i]
    if row[q.C_CATEGORY] != Category.ASSESSMENT.value:
        return None
    started = model.table.date(i, q.C_ASSESSMENT_STARTED_ON)
    if started is None:
        return None
    return add_working_days(started, model.rules.assessment_working_days)


def _assessment_text(model: CasesModel, i: int) -> str:
    due = _assessment_due(model, i)
    if due is None:
        return ""
    if due < model.today:
        late = (model.today - due).days
        return f"{uk_date(due)} ({late} day{'s' if late != 1 else ''} overdue)"
    return uk_date(due)


def _assessment_key(model: CasesModel, i: int) -> Any:
    due = _assessment_due(model, i)
    return due.isoformat() if due else "9999"


def _assessment_alert(model: CasesModel, i: int) -> bool:
    due = _assessment_due(model, i)
    return due is not None and due < model.today


def _risk_text(model: CasesModel, i: int) -> str:
    return _RISK_BY_VALUE[model.table.rows[i][q.C_RISK]].value.capitalize()


def _worker_text(model: CasesModel, i: int) -> str:
    return model.table.rows[i][q.C_WORKER] or ""


def _left_on_text(model: CasesModel, i: int) -> str:
    left = model.table.holder(i).left_on
    return uk_date(left) if left else "(inactive)"


def _days_since_left(model: CasesModel, i: int) -> int:
    return model.table.holder(i).days_since_left or 0


def _days_waiting(model: CasesModel, i: int) -> int:
    return model.table.days_waiting(i) or 0


def _waiting_since(model: CasesModel, i: int) -> dt.date | None:
    row = model.table.rows[i]
    return model.table.date(i, q.C_ALLOCATED_ON if row[q.C_ALLOCATED_ON] else q.C_OPENED_ON)


def _days_held(model: CasesModel, i: int) -> int:
    since = model.table.date(i, q.C_ALLOCATED_ON)
    return 0 if since is None else days_between(since, model.today)


def _escalated(model: CasesModel, i: int) -> bool:
    return _days_waiting(model, i) >= model.rules.escalation_days


CASE_REF = CaseColumn("case_ref", "Case", _text(q.C_CASE_REF), _cell(q.C_CASE_REF))
CHILD = CaseColumn(
    "child", "Child", _text(q.C_CHILD), lambda m, i: m.table.rows[i][q.C_CHILD].casefold()
)
AGE = CaseColumn("age", "Age", _age_text, lambda m, i: _age(m, i) or -1, right_aligned=True)
CATEGORY = CaseColumn(
    "category",
    "Category",
    _category_text,
    lambda m, i: (_CATEGORY_ORDER[m.table.rows[i][q.C_CATEGORY]], m.table.rows[i][q.C_COURT]),
    alert=_category_alert,
    tooltip=lambda m, i: _CATEGORY_BY_VALUE[m.table.rows[i][q.C_CATEGORY]].label,
)
TEAM = CaseColumn("team", "Team", _text(q.C_TEAM), _text(q.C_TEAM))
ALLOCATED_SINCE = CaseColumn(
    "allocated_since", "Allocated since", _date_text(q.C_ALLOCATED_ON), _iso_key(q.C_ALLOCATED_ON)
)
NEXT_VISIT = CaseColumn(
    "next_visit_due",
    "Next visit due",
    _visit_text,
    _visit_key,
    alert=lambda m, i: _visit_overdue_days(m, i) > 0,
)
ASSESSMENT_DUE = CaseColumn(
    "assessment_due",
    "Assessment due",
    _assessment_text,
    _assessment_key,
    alert=_assessment_alert,
    tooltip=lambda m, i: (
        f"{m.rules.assessment_working_days} working days from the start of the assessment"
        if _assessment_due(m, i)
        else None
    ),
)
RISK = CaseColumn(
    "risk",
    "Risk",
    _risk_text,
    lambda m, i: _RISK_ORDER[m.table.rows[i][q.C_RISK]],
    alert=lambda m, i: m.table.rows[i][q.C_RISK] == Risk.HIGH.value,
)
FAMILY_GROUP = CaseColumn(
    "family_group", "Family group", _text(q.C_FAMILY_GROUP), _text(q.C_FAMILY_GROUP)
)
WORKER = CaseColumn("worker", "Worker", _worker_text, lambda m, i: _worker_text(m, i).casefold())
LEFT_ON = CaseColumn(
    "left_on",
    "Left on",
    _left_on_text,
    lambda m, i: (m.table.holder(i).left_on or dt.date.max).isoformat(),
)
DAYS_SINCE_LEFT = CaseColumn(
    "days_since_left",
    "Days since",
    lambda m, i: str(_days_since_left(m, i)) if m.table.holder(i).left_on else "",
    _days_since_left,
    right_aligned=True,
)
WAITING_SINCE = CaseColumn(
    "waiting_since",
    "Waiting since",
    lambda m, i: uk_date(_waiting_since(m, i)),
    lambda m, i: (_waiting_since(m, i) or dt.date.max).isoformat(),
)
DAYS_WAITING = CaseColumn(
    "days_waiting",
    "Days waiting",
    lambda m, i: str(_days_waiting(m, i)),
    _days_waiting,
    right_aligned=True,
    alert=_escalated,
    tooltip=lambda m, i: (
        f"Waiting {m.rules.escalation_days} days or more: escalate to the service manager"
        if _escalated(m, i)
        else None
    ),
)
HELD_SINCE = CaseColumn(
    "held_since", "Held since", _date_text(q.C_ALLOCATED_ON), _iso_key(q.C_ALLOCATED_ON)
)
DAYS_HELD = CaseColumn(
    "days_held", "Days held", lambda m, i: str(_days_held(m, i)), _days_held, right_aligned=True
)

WORKER_CASES_COLUMNS = (
    CASE_REF,
    CHILD,
    AGE,
    CATEGORY,
    ALLOCATED_SINCE,
    NEXT_VISIT,
    ASSESSMENT_DUE,
    RISK,
    FAMILY_GROUP,
)
ORPHANED_COLUMNS = (
    CASE_REF,
    CHILD,
    AGE,
    CATEGORY,
    WORKER,
    LEFT_ON,
    DAYS_SINCE_LEFT,
    NEXT_VISIT,
    RISK,
    FAMILY_GROUP,
)
UNALLOCATED_COLUMNS = (
    CASE_REF,
    CHILD,
    AGE,
    CATEGORY,
    WAITING_SINCE,
    DAYS_WAITING,
    NEXT_VISIT,
    RISK,
    FAMILY_GROUP,
)
HELD_COLUMNS = (
    CASE_REF,
    CHILD,
    AGE,
    CATEGORY,
    WORKER,
    HELD_SINCE,
    DAYS_HELD,
    NEXT_VISIT,
    RISK,
    FAMILY_GROUP,
)


def with_team(columns: Sequence[CaseColumn]) -> tuple[CaseColumn, ...]:
    """The same columns with the team after the child (for "all teams")."""
    return (*columns[:2], TEAM, *columns[2:])


# --- The model -------------------------------------------------------------------------------


class CasesModel(QtCore.QAbstractTableModel):
    """Open cases from a ``CaseTable``: a worker's cases or one queue.

    Rows drag as ``MIME_TYPE`` (ids and read versions). A model made with ``accepts_drops``
    (the unallocated queue) takes dropped cases back into the queue.

    Signals:
        cases_dropped: (case versions, None) when cases are dropped here (the queue).

    Attributes:
        table: the rows (shared by every model of the board).
        today, rules: what due dates and escalation are worked out against.
        queue_view: True for a queue tab (priority order; CP and CLA in red).
    """

    cases_dropped = QtCore.Signal(object, object)

    def __init__(
        self,
        columns: Sequence[CaseColumn],
        *,
        queue_view: bool = False,
        accepts_drops: bool = False,
        parent: QtCore.QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns: tuple[CaseColumn, ...] = tuple(columns)
        self.queue_view = queue_view
        self.accepts_drops = accepts_drops
        self.table: q.CaseTable = q.CaseTable.empty(dt.date.min)
        self.today: dt.date = self.table.today
        self.rules: PracticeRules = DEFAULT_RULES
        self._base: list[int] = []  # table indexes this model is about
        self._visible: list[int] = []  # after the filter, in sort order
        self._loaded = 0  # how many of _visible the view has been given
        self._filter_text = ""
        self._filter_category: Category | None = None
        # The sort by column key, not number: "All teams" inserts a Team column.
        self._sort: tuple[str, QtCore.Qt.SortOrder] | None = None
        self._alert_brush = QtGui.QBrush(ALERT)

    # --- Contents ------------------------------------------------------------------------

    def set_rows(
        self,
        table: q.CaseTable,
        indexes: Sequence[int],
        rules: PracticeRules,
        columns: Sequence[CaseColumn] | None = None,
    ) -> None:
        """Show ``indexes`` of ``table`` (a new team or a reload): a reset, then the filter."""
        self.beginResetModel()
        if columns is not None:
            self.columns = tuple(columns)
        self.table = table
        self.today = table.today
        self.rules = rules
        self._base = list(indexes)
        self._apply_filter_and_sort()
        self.endResetModel()

    def set_filter(self, text: str, category: Category | str | None) -> None:
        """Keep rows whose child, case ref or worker contains ``text`` (any case) and, with a
        ``category`` (a Category or its value), only that category."""
        text = text.strip().casefold()
        category = None if category is None else Category(category)  # raises before any reset
        if (text, category) == (self._filter_text, self._filter_category):
            return
        self.beginResetModel()
        self._filter_text, self._filter_category = text, category
        self._apply_filter_and_sort()
        self.endResetModel()

    def _apply_filter_and_sort(self) -> None:
        rows = self.table.rows
        visible = self._base
        if self._filter_category is not None:
            value = self._filter_category.value
            visible = [i for i in visible if rows[i][q.C_CATEGORY] == value]
        if self._filter_text:
            needle = self._filter_text
            visible = [
                i
                for i in visible
                if needle in rows[i][q.C_CHILD].casefold()
                or needle in rows[i][q.C_CASE_REF].casefold()
                or needle in (rows[i][q.C_WORKER] or "").casefold()
            ]
        self._visible = list(visible)
        self._order_visible()
        self._loaded = min(len(self._visible), BATCH)

    def sort_state(self) -> tuple[int, QtCore.Qt.SortOrder]:
        """The sorted column's number in the current columns (-1: the model's own order)."""
        if self._sort is None:
            return -1, QtCore.Qt.SortOrder.AscendingOrder
        key, order = self._sort
        for number, column in enumerate(self.columns):
            if column.key == key:
                return number, order
        return -1, QtCore.Qt.SortOrder.AscendingOrder

    def _order_visible(self) -> None:
        column, order = self.sort_state()
        if column >= 0:
            key = self.columns[column].sort_key
            self._visible.sort(
                key=lambda i: key(self, i),
                reverse=order == QtCore.Qt.SortOrder.DescendingOrder,
            )
        elif self.queue_view:
            # domain.queues.queue_priority's order (must-be-allocated first, then the longest
            # in the queue), keyed on the ISO date the case entered the queue: the earlier
            # that date, the more days. Cheaper than working out days for every row.
            rows, holders = self.table.rows, self.table.holders
            first = _MUST_BE_ALLOCATED_FIRST

            def since(i: int) -> str:
                row = rows[i]
                if holders[row[q.C_WORKER_ID]].left_on is not None:
                    return str(row[q.C_END_DATE])
                return str(row[q.C_ALLOCATED_ON] or row[q.C_OPENED_ON])

            self._visible.sort(
                key=lambda i: (first[rows[i][q.C_CATEGORY]], since(i), rows[i][q.C_CASE_REF])
            )

    def case_id(self, row: int) -> int:
        return int(self.table.rows[self._visible[row]][q.C_CASE_ID])

    def record(self, row: int) -> q.OpenCaseRow:
        return self.table.record(self._visible[row], self.rules)

    def total(self) -> int:
        """Rows after the filter, including those not yet fetched by the view."""
        return len(self._visible)

    def unfiltered_total(self) -> int:
        return len(self._base)

    def row_of_case(self, case_id: int) -> int | None:
        rows = self.table.rows
        for position, i in enumerate(self._visible):
            if rows[i][q.C_CASE_ID] == case_id:
                return position
        return None

    # --- Qt model interface ----------------------------------------------------------------

    def rowCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else self._loaded

    def columnCount(self, parent: AnyIndex = _ROOT) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def canFetchMore(self, parent: AnyIndex = _ROOT) -> bool:
        return not parent.isValid() and self._loaded < len(self._visible)

    def fetchMore(self, parent: AnyIndex = _ROOT) -> None:
        if parent.isValid():
            return
        more = min(BATCH, len(self._visible) - self._loaded)
        if more <= 0:
            return
        self.beginInsertRows(_ROOT, self._loaded, self._loaded + more - 1)
        self._loaded += more
        self.endInsertRows()

    def headerData(
        self, section: int, orientation: QtCore.Qt.Orientation, role: int = _DISPLAY
    ) -> Any:
        if orientation != QtCore.Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == _DISPLAY:
            return self.columns[section].header
        if role == _ALIGN and self.columns[section].right_aligned:
            return _RIGHT
        return None

    def flags(self, index: AnyIndex) -> QtCore.Qt.ItemFlag:
        drop = (
            QtCore.Qt.ItemFlag.ItemIsDropEnabled
            if self.accepts_drops
            else QtCore.Qt.ItemFlag.NoItemFlags
        )
        if not index.isValid():
            return drop  # a drop on the empty part of the view
        return (
            QtCore.Qt.ItemFlag.ItemIsEnabled
            | QtCore.Qt.ItemFlag.ItemIsSelectable
            | QtCore.Qt.ItemFlag.ItemIsDragEnabled
            | drop
        )

    # --- Drag and drop (Qt's "Using Drag and Drop with Item Views") ------------------------

    def version(self, row: int) -> int:
        return int(self.table.rows[self._visible[row]][q.C_VERSION])

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def supportedDragActions(self) -> QtCore.Qt.DropAction:
        return QtCore.Qt.DropAction.MoveAction

    def supportedDropActions(self) -> QtCore.Qt.DropAction:
        if self.accepts_drops:
            return QtCore.Qt.DropAction.MoveAction
        return QtCore.Qt.DropAction.IgnoreAction

    def mimeData(self, indexes: Sequence[QtCore.QModelIndex]) -> QtCore.QMimeData:
        rows = sorted({index.row() for index in indexes if index.isValid()})
        versions = {self.case_id(row): self.version(row) for row in rows}
        refs = [self.table.rows[self._visible[row]][q.C_CASE_REF] for row in rows]
        return case_versions_mime(versions, refs)

    def canDropMimeData(
        self,
        data: QtCore.QMimeData,
        action: QtCore.Qt.DropAction,
        row: int,
        column: int,
        parent: AnyIndex,
    ) -> bool:
        if not self.accepts_drops or not decode_case_versions(data):
            return False
        # Cases already in this queue have nowhere to go.
        queued = {self.case_id(r) for r in range(len(self._visible))}
        return not set(decode_case_versions(data)) <= queued

    def dropMimeData(
        self,
        data: QtCore.QMimeData,
        action: QtCore.Qt.DropAction,
        row: int,
        column: int,
        parent: AnyIndex,
    ) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        versions = decode_case_versions(data)
        # Return at once; the confirm dialog opens after the drag has finished.
        QtCore.QTimer.singleShot(0, lambda: self.cases_dropped.emit(versions, None))
        return True

    def data(self, index: AnyIndex, role: int = _DISPLAY) -> Any:
        # Cheapest exits first: a repaint asks ~1.5k times (RELIABILITY.md).
        if not index.isValid():
            return None
        if role == _DISPLAY:
            return self.columns[index.column()].display(self, self._visible[index.row()])
        if role == _FOREGROUND or role == Role.ALERT:
            alert = self.columns[index.column()].alert
            flagged = alert is not None and alert(self, self._visible[index.row()])
            if role == Role.ALERT:
                return flagged
            return self._alert_brush if flagged else None
        if role == _ALIGN:
            return _RIGHT if self.columns[index.column()].right_aligned else None
        if role == Role.CASE_ID:
            return self.case_id(index.row())
        if role == Role.SORT:
            return self.columns[index.column()].sort_key(self, self._visible[index.row()])
        if role == _TOOLTIP:
            tooltip = self.columns[index.column()].tooltip
            return None if tooltip is None else tooltip(self, self._visible[index.row()])
        return None

    def sort(
        self, column: int, order: QtCore.Qt.SortOrder = QtCore.Qt.SortOrder.AscendingOrder
    ) -> None:
        """Sort on the column's native key, keeping the selection (persistent indexes)."""
        if not 0 <= column < len(self.columns):
            self._sort = None  # -1: back to the model's own order
        else:
            self._sort = (self.columns[column].key, order)
        self.layoutAboutToBeChanged.emit()
        old = list(self._visible)
        persistent = self.persistentIndexList()
        self._order_visible()
        if persistent:
            position = {table_index: row for row, table_index in enumerate(self._visible)}
            new_indexes = []
            for index in persistent:
                row = position[old[index.row()]]
                if row >= self._loaded:
                    self._loaded = row + 1
                new_indexes.append(self.index(row, index.column()))
            self.changePersistentIndexList(persistent, new_indexes)
        self.layoutChanged.emit()
