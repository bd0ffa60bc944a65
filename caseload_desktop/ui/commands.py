"""User-visible changes as undoable commands (git-cola's ``cmds.py``; Qt's QUndoCommand).

A command does its work through a service the moment it is made (``ReassignCommand.run``),
so a refused change never reaches the undo stack; the stack's first ``redo`` is then a no-op.
Undo and redo write new history through ``services.reassignment.undo``: nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6 import QtGui

from caseload_desktop.context import AppContext
from caseload_desktop.errors import CaseloadError
from caseload_desktop.services import reassignment
from caseload_desktop.services.identity import current_user


def _describe(result: reassignment.Result) -> str:
    count = len(result.moved)
    cases = result.moved[0].case_ref if count == 1 else f"{count} cases"
    destination = result.target or "the unallocated queue"
    return f"Move {cases} to {destination}"


class ReassignCommand(QtGui.QUndoCommand):
    """One reassignment batch on the undo stack.

    Attributes:
        batch: the batch in force now (the original, or the latest redo of it).
    """

    def __init__(
        self,
        context: AppContext,
        result: reassignment.Result,
        on_error: Callable[[str, str], None],
    ) -> None:
        super().__init__(_describe(result))
        self.context = context
        self.batch = result.batch
        self.result = result
        self._undone_by: str | None = None
        self._first_redo = True
        self._on_error = on_error

    @classmethod
    def run(
        cls,
        context: AppContext,
        request: reassignment.Request,
        on_error: Callable[[str, str], None],
    ) -> ReassignCommand:
        """Reassign now; raises ``CaseloadError`` (nothing written, nothing to push)."""
        result = reassignment.reassign(
            context.db,
            request,
            rules=context.rules,
            today=context.today(),
            actor=current_user(),
            announcer=context.changes,
        )
        return cls(context, result, on_error)

    def _reverse(self, batch: str) -> str | None:
        try:
            result = reassignment.undo(
                self.context.db,
                batch,
                rules=self.context.rules,
                today=self.context.today(),
                actor=current_user(),
                announcer=self.context.changes,
            )
        except CaseloadError as exc:
            # The cases moved on since: this step can no longer be reversed. Drop it from the
            # stack rather than let the stack claim a state the database is not in.
            self.setObsolete(True)
            self._on_error(f"Cannot {self.text().lower()}", str(exc))
            return None
        return result.batch

    def undo(self) -> None:
        undone = self._reverse(self.batch)
        if undone is not None:
            self._undone_by = undone

    def redo(self) -> None:
        if self._first_redo:  # done already, by run()
            self._first_redo = False
            return
        if self._undone_by is None:
            return
        redone = self._reverse(self._undone_by)
        if redone is not None:
            self.batch = redone
            self._undone_by = None
