"""The short confirm dialog of a reassignment: reason, effective date, and the warnings.

``ReassignDialog.ask`` is the seam tests replace. It previews the request through the service
(reading only) and shows what the rules say before anything is written: refusals, a capacity
warning with the numbers (to accept with a tick), and siblings held elsewhere (moved too by
default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from PySide6 import QtCore, QtWidgets

from caseload_desktop.context import AppContext
from caseload_desktop.domain.reasons import COMMON_REASONS, ChangeReason, reason_choices
from caseload_desktop.errors import CaseloadError
from caseload_desktop.services import reassignment

WARNING_STYLE = "color: #8a4b00;"
REFUSAL_STYLE = "color: #b3261e;"


class ReassignDialog(QtWidgets.QDialog):
    """Confirm moving cases to a worker (or the queue)."""

    def __init__(
        self,
        context: AppContext,
        case_versions: Mapping[int, int],
        target_id: int | None,
        target_name: str,
        *,
        default_reason: ChangeReason = ChangeReason.MANAGE,
        parent: QtWidgets.QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.case_versions = dict(case_versions)
        self.target_id = target_id
        self.setWindowTitle("Reassign cases")
        self.setAccessibleName("Reassign cases")
        self.setMinimumWidth(520)
        self.destination = target_name if target_id is not None else "the unallocated queue"
        self.heading = QtWidgets.QLabel()
        self.cases_label = QtWidgets.QLabel()
        self.cases_label.setWordWrap(True)

        self.reason = QtWidgets.QComboBox()
        self.reason.setAccessibleName("Reason for the change of worker")
        self._choices = reason_choices()
        for number, choice in enumerate(self._choices):
            if number == len(COMMON_REASONS):
                self.reason.insertSeparator(self.reason.count())
            self.reason.addItem(choice.label, number)
        self.reason.setCurrentIndex(self._first_choice_for(default_reason))
        self.reason_text = QtWidgets.QLineEdit()
        self.reason_text.setAccessibleName("Reason in words")
        self.reason_text.setPlaceholderText("Add words (needed for 'Other')")
        self.effective = QtWidgets.QDateEdit()
        self.effective.setAccessibleName("Effective date")
        self.effective.setDisplayFormat("d MMM yyyy")
        self.effective.setCalendarPopup(True)
        today = context.today()
        self.effective.setDate(QtCore.QDate(today.year, today.month, today.day))
        self.effective.setMaximumDate(QtCore.QDate(today.year, today.month, today.day))

        self.siblings = QtWidgets.QCheckBox()
        self.siblings.setAccessibleName("Also move siblings held by others")
        self.siblings.setChecked(True)
        self.siblings.hide()
        self.over_capacity = QtWidgets.QCheckBox("Move anyway, over capacity")
        self.over_capacity.setAccessibleName("Move anyway, over capacity")
        self.over_capacity.hide()
        self.warning = QtWidgets.QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.warning.hide()
        self.refusal = QtWidgets.QLabel()
        self.refusal.setWordWrap(True)
        self.refusal.setStyleSheet(REFUSAL_STYLE)
        self.refusal.hide()

        form = QtWidgets.QFormLayout()
        form.addRow("&Reason:", self.reason)
        form.addRow("In &words:", self.reason_text)
        form.addRow("&Effective:", self.effective)
        self.buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.StandardButton.Ok
            | QtWidgets.QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QtWidgets.QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Move")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.cases_label)
        layout.addLayout(form)
        layout.addWidget(self.siblings)
        layout.addWidget(self.warning)
        layout.addWidget(self.over_capacity)
        layout.addWidget(self.refusal)
        layout.addWidget(self.buttons)

        for signal in (
            self.reason.currentIndexChanged,
            self.reason_text.textChanged,
            self.effective.dateChanged,
            self.siblings.toggled,
            self.over_capacity.toggled,
        ):
            signal.connect(self._update)
        self._preview: reassignment.Preview | None = None
        self._update()

    def _first_choice_for(self, code: ChangeReason) -> int:
        number = next(n for n, choice in enumerate(self._choices) if choice.code == code)
        return self.reason.findData(number)

    def request(self) -> reassignment.Request:
        qdate = self.effective.date()
        choice = self._choices[int(self.reason.currentData())]
        return reassignment.Request(
            case_ids=tuple(self.case_versions),
            to_worker_id=self.target_id,
            reason=choice.code,
            reason_text=self.reason_text.text().strip() or choice.words,
            effective=dt.date(qdate.year(), qdate.month(), qdate.day()),
            accept_over_capacity=self.over_capacity.isChecked(),
            with_siblings=not self.siblings.isHidden() and self.siblings.isChecked(),
            expected_versions=self.case_versions,
        )

    @QtCore.Slot()
    def _update(self) -> None:
        request = self.request()
        try:
            preview = reassignment.preview(
                self.context.db, request, rules=self.context.rules, today=self.context.today()
            )
        except CaseloadError as exc:
            self._show_refusal(str(exc))
            return
        self._preview = preview
        if preview.siblings_left and self.siblings.isHidden():
            # First sight of siblings elsewhere: offer them (ticked) and preview again with
            # them, so the case list and the capacity figures include them.
            names = ", ".join(f"{s.child} ({s.case_ref})" for s in preview.siblings_left)
            self.siblings.setText(f"Also move their siblings held by others: {names}")
            self.siblings.show()
            self._update()
            return
        count = len(preview.moving)
        self.heading.setText(
            f"<b>Move {count} case{'s' if count != 1 else ''} to {self.destination}</b>"
        )
        self.cases_label.setText(", ".join(preview.moving) or "Nothing to move.")
        warnings = list(preview.notes)
        if preview.over_capacity is not None:
            warnings.append(preview.over_capacity.message)
            self.over_capacity.show()
        else:
            self.over_capacity.hide()
            self.over_capacity.setChecked(False)
        self.warning.setText(" ".join(warnings))
        self.warning.setVisible(bool(warnings))
        problems = list(preview.refusals)
        if request.reason.needs_text and not request.reason_text:
            problems.append("Say what the reason is.")
        if problems:
            self._show_refusal(" ".join(problems))
            return
        self.refusal.hide()
        blocked = not preview.moving or (
            preview.over_capacity is not None and not self.over_capacity.isChecked()
        )
        self.ok_button.setEnabled(not blocked)

    def _show_refusal(self, message: str) -> None:
        self.refusal.setText(message)
        self.refusal.show()
        self.ok_button.setEnabled(False)

    @classmethod
    def ask(
        cls,
        parent: QtWidgets.QWidget | None,
        context: AppContext,
        case_versions: Mapping[int, int],
        target_id: int | None,
        target_name: str,
        default_reason: ChangeReason = ChangeReason.MANAGE,
    ) -> reassignment.Request | None:
        """Show the dialog; the request to run, or None when the manager cancels."""
        dialog = cls(
            context,
            case_versions,
            target_id,
            target_name,
            default_reason=default_reason,
            parent=parent,
        )
        if dialog.exec() != QtWidgets.QDialog.DialogCode.Accepted:
            return None
        return dialog.request()
