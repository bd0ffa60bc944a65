"""The supervision editor: a session started from the board, filled in, saved by itself,
finalised, exported, printed and added to; and what it says when the service refuses.

Each test runs on a fresh copy of the demo database (1000 cases, seed 7, as at 26 Nov 2026).
The worker supervised is found on the board of the inspection-state team (an active social
worker with the most cases), never hard-coded. Prompts go through ``Interaction`` and the
dialogs' ``ask`` seams; printers are Qt's PDF printer writing a file ("Print to file"); PDFs
are read with pypdf and the database with ``services.supervision`` or ``sqlite3``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from pytestqt.qtbot import QtBot

from PySide6 import QtCore, QtGui, QtPrintSupport, QtWidgets

from caseload_desktop.context import AppContext
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.domain.supervision import SessionStatus
from caseload_desktop.services import reassignment, supervision
from caseload_desktop.services.identity import current_user
from caseload_desktop.services.supervision import DraftInput
from caseload_desktop.store import queries
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.store.engine import open_database
from caseload_desktop.store.queries import WorkerCaseloadRow
from caseload_desktop.ui.dialogs import supervision_editor as editor_module
from caseload_desktop.ui.dialogs.supervision_editor import (
    TAB_ACTIONS,
    TAB_ADDENDA,
    TAB_CASELOAD,
    TAB_SESSION,
    AddendumDialog,
    SupervisionEditor,
    SupervisionRecordsDialog,
)
from caseload_desktop.ui.interaction import Interaction
from caseload_desktop.ui.main_window import MainWindow
from caseload_desktop.ui.preferences import Preferences
from tests.gui.conftest import show_window

QPrinter = QtPrintSupport.QPrinter
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
TODAY = dt.date(2026, 11, 26)
WELLBEING = "Managing well; asked for protected time for recording on Fridays."
DECISIONS = ("Continue the plan; review at the next core group.", "Step down to early help.")
ACTION = "Book the core group with health"
SAVED_MS = 6000  # the autosave runs 2 s after the last edit


# --- Fixtures and helpers ------------------------------------------------------------------


@pytest.fixture
def questions(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every confirm question, answered with its action (Finalise, Discard draft, ...)."""
    asked: list[tuple[str, str]] = []

    def confirm(cls: type, parent: Any, title: str, message: str, action: str) -> bool:
        asked.append((title, message))
        return True

    monkeypatch.setattr(Interaction, "confirm", classmethod(confirm))
    return asked


def choose_export_path(monkeypatch: pytest.MonkeyPatch, path: Path) -> list[Path]:
    """Answer the save dialog with ``path``; returns the names it suggested."""
    suggested: list[Path] = []

    def choose(
        cls: type, parent: Any, title: str, start: Path, file_filter: str, suffix: str
    ) -> Path | None:
        suggested.append(start)
        return path

    monkeypatch.setattr(Interaction, "choose_export_path", classmethod(choose))
    return suggested


@pytest.fixture
def window(qtbot: QtBot, demo_db_path: Path, preferences: Preferences) -> Iterator[MainWindow]:
    win = show_window(qtbot, demo_db_path, preferences, INSPECTION_TEAM)
    yield win
    for editor in list(win.supervision_editors.values()):
        editor.close()


def context_of(window: MainWindow) -> AppContext:
    assert window.context is not None
    return window.context


def select_worker(window: MainWindow, *, active: bool = True) -> WorkerCaseloadRow:
    """Select, on the board, the active social worker with the most cases (or a leaver)."""
    assert window.board is not None
    model = window.board.workers_model
    rows = [model.row_at(r) for r in range(model.rowCount())]
    if active:
        social_workers = [
            w for w in rows if w.status == "active" and w.role.value == "social_worker"
        ]
        worker = max(social_workers, key=lambda w: w.cases)
    else:
        worker = next(w for w in rows if w.status == "left")
    row = model.row_of_worker(worker.worker_id)
    assert row is not None
    window.board.workers_view.setCurrentIndex(model.index(row, 0))
    return worker


def start(window: MainWindow) -> SupervisionEditor:
    """Supervision > Start supervision, for the worker selected; the editor it opens."""
    before = set(window.supervision_editors)
    window.main_actions.start_supervision.trigger()
    [session_id] = set(window.supervision_editors) - before
    editor = window.supervision_editors[session_id]
    assert editor.isVisible()
    return editor


def record_of(editor: SupervisionEditor) -> Any:
    return supervision.load_record(editor.context.db, editor.session_id, editor.context.rules)


def version_in_db(editor: SupervisionEditor) -> int:
    return supervision.session_row(editor.context.db, editor.session_id).version


def pdf_text(path: Path) -> str:
    """The PDF's text with its line breaks and spacing folded (table cells wrap)."""
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)
    return " ".join(text.split())


def page_count(data: bytes) -> int:
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fill_session(qtbot: QtBot, editor: SupervisionEditor) -> list[str]:
    """Wellbeing, two cases discussed with decisions (one ticked with Space in the list, one
    with its page's box), and an action for the first owned by a colleague; returns the two
    cases' refs."""
    qtbot.keyClicks(editor.wellbeing, WELLBEING)
    refs = editor.case_refs()[:2]
    editor.tabs.setCurrentIndex(TAB_CASELOAD)
    editor.choose_case(refs[0])
    qtbot.keyClick(editor.caseload_view, QtCore.Qt.Key.Key_Space)
    editor.choose_case(refs[1])
    qtbot.mouseClick(editor.page(refs[1]).discussed, QtCore.Qt.MouseButton.LeftButton)
    for ref, decision in zip(refs, DECISIONS, strict=True):
        page = editor.page(ref)
        assert page.is_discussed()
        page.current_position.setPlainText(f"Visits to {ref} are up to date.")
        page.lived_experience.setPlainText("Says home feels calmer.")
        qtbot.keyClicks(page.decision, decision)
        page.rationale.setPlainText("No new concerns at two core groups.")
    editor.page(refs[0]).add_action.click()
    assert editor.tabs.currentIndex() == TAB_ACTIONS
    [row] = editor.action_rows()
    qtbot.keyClicks(row.text, ACTION)
    colleague = next(
        i for i in range(row.owner.count()) if row.owner.itemData(i) != editor.loaded.row.worker_id
    )
    row.owner.setCurrentIndex(colleague)
    row.due.setDate(QtCore.QDate(2026, 12, 4))
    editor.next_booked.setChecked(True)
    editor.worker_signed.setChecked(True)
    return refs


def final_session(window: MainWindow) -> int:
    """A final record of the selected worker, made through the service (as the CLI makes
    one)."""
    worker = select_worker(window)
    context = context_of(window)
    with context.db.read() as session:
        table = queries.case_table(session, TODAY, worker_id=worker.worker_id)
        ref = table.rows[0][queries.C_CASE_REF]
    document = {
        "held_on": TODAY.isoformat(),
        "attendees": [worker.worker, "Team manager"],
        "wellbeing": WELLBEING,
        "cases": [
            {
                "case_ref": ref,
                "discussion": "Visits up to date.",
                "decision": DECISIONS[0],
                "actions": [{"action": ACTION, "owner": worker.staff_id, "due": "2026-12-04"}],
            }
        ],
    }
    return supervision.create_from_json(
        context.db,
        worker.worker_id,
        document,
        actor="tm.tester",
        today=TODAY,
        rules=context.rules,
        style=context.records,
    )


# --- The whole session -----------------------------------------------------------------------


def test_a_session_filled_in_the_editor_saves_itself_is_finalised_and_exports_its_record(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
    questions: list[tuple[str, str]],
    opened: list[Path],
) -> None:
    worker = select_worker(window)
    editor = start(window)
    context = editor.context
    # A new session: held today, the worker and the manager attending, nothing else yet.
    assert editor.held_on.date() == QtCore.QDate(2026, 11, 26)
    assert editor.held_on.maximumDate() == QtCore.QDate(2026, 11, 26)  # not in the future
    assert editor.attendees.text() == f"{worker.worker}, {current_user()}"
    assert version_in_db(editor) == 1
    # The caseload is every open case the worker holds today, overdue items flagged.
    record = record_of(editor)
    assert editor.case_refs() == [c.case_ref for c in record.snapshot]
    assert len(editor.case_refs()) == worker.cases
    overdue = [c for c in record.snapshot if "overdue" in c.status]
    assert overdue, "the demo worker has something overdue"
    model = editor.caseload_model
    row = editor.case_refs().index(overdue[0].case_ref)
    assert model.item(row, editor_module.COL_STATUS).text() == overdue[0].status

    refs = fill_session(qtbot, editor)
    assert editor.has_unsaved_changes()
    # The autosave runs by itself once typing pauses, with the version it read.
    qtbot.waitUntil(
        lambda: version_in_db(editor) > 1 and not editor.has_unsaved_changes(), timeout=SAVED_MS
    )
    assert editor.version == version_in_db(editor)
    saved = record_of(editor)
    assert saved.wellbeing == WELLBEING
    assert [d.case_ref for d in saved.discussions] == refs
    assert [d.decision for d in saved.discussions] == list(DECISIONS)
    [action] = saved.actions
    assert action.action == ACTION and action.due == dt.date(2026, 12, 4)
    assert action.case_ref == refs[0] and action.owner != worker.worker
    assert saved.next_supervision == dt.date(2026, 12, 24)
    assert saved.worker_signed == worker.worker
    assert "Draft" in editor.state_label.text() and "saved at" in editor.state_label.text()

    editor.finalise_button.click()
    assert errors == []
    [(_title, question)] = questions
    assert "Once finalised the record cannot be changed; an addendum can be added." in question
    assert "does not say yet" not in question  # everything is there
    row_after = supervision.session_row(context.db, editor.session_id)
    assert row_after.status is SessionStatus.FINAL and row_after.pdf_sha256

    # Read-only now, offering Export, Print and Add addendum.
    assert editor.wellbeing.isReadOnly() and editor.held_on.isReadOnly()
    assert editor.page(refs[0]).decision.isReadOnly()
    assert not editor.worker_signed.isEnabled()
    assert not editor.finalise_button.isVisible() and not editor.discard_button.isVisible()
    assert editor.export_button.isVisible() and editor.print_button.isVisible()
    assert editor.addendum_button.isVisible()
    assert not editor.add_action_button.isVisible() and editor.actions_view.isVisible()
    assert "Final" in editor.state_label.text()
    qtbot.keyClicks(editor.wellbeing, " more")
    qtbot.keyClick(editor.caseload_view, QtCore.Qt.Key.Key_Space)
    assert editor.wellbeing.toPlainText() == WELLBEING
    assert not editor.has_unsaved_changes()

    out = tmp_path / "exports" / "record.pdf"
    out.parent.mkdir()
    suggested = choose_export_path(monkeypatch, out)
    editor.export_button.click()
    assert errors == []
    assert suggested[0].name == (
        f"Supervision record {row_after.record_id} - {worker.worker} - 2026-11-26.pdf"
    )
    assert [p.name for p in out.parent.iterdir()] == ["record.pdf"]  # no partial file left
    text = pdf_text(out)
    assert worker.worker in text
    for decision in DECISIONS:
        assert decision in text
    assert ACTION in text
    for case in record.snapshot:
        assert case.case_ref in text
    # The export of a final record without addenda is the record kept when it was finalised.
    assert sha256(out) == row_after.pdf_sha256
    assert editor.status_bar.currentMessage() == (
        f"Wrote the supervision record {row_after.record_id} to {out}."
    )
    assert editor.open_export_button.isVisible()
    editor.open_export_button.click()
    assert opened == [out]


def test_an_addendum_shows_in_the_editor_and_in_a_new_export(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    session_id = final_session(window)
    editor = window.open_supervision(session_id)
    assert editor is not None
    assert editor.tabs.isTabVisible(TAB_ADDENDA)
    assert "Addenda (0)" in editor.tabs.tabText(TAB_ADDENDA)
    first = tmp_path / "first.pdf"
    choose_export_path(monkeypatch, first)
    editor.export_button.click()
    asked: list[tuple[str, str]] = []
    note = "The worker asked for the date of the core group to be corrected to 5 Dec."

    def ask(cls: type, parent: Any, record_name: str, text: str = "") -> str | None:
        asked.append((record_name, text))
        return note

    monkeypatch.setattr(AddendumDialog, "ask", classmethod(ask))
    editor.addendum_button.click()
    assert errors == []
    assert asked == [(editor.loaded.row.record_id, "")]
    assert editor.tabs.currentIndex() == TAB_ADDENDA and editor.tabs.isTabVisible(TAB_ADDENDA)
    assert note in editor.addenda_view.toPlainText()
    assert "Addenda (1)" in editor.tabs.tabText(TAB_ADDENDA)

    second = tmp_path / "second.pdf"
    choose_export_path(monkeypatch, second)
    editor.export_button.click()
    assert note in pdf_text(second) and note not in pdf_text(first)
    row = supervision.session_row(editor.context.db, session_id)
    assert sha256(first) == row.pdf_sha256  # the record as finalised
    with contextlib.closing(sqlite3.connect(editor.context.db.path)) as db:
        [(with_addendum,)] = db.execute(
            "SELECT pdf_sha256 FROM supervision_addenda WHERE session_id = ?", (session_id,)
        ).fetchall()
    assert sha256(second) == with_addendum != row.pdf_sha256


def test_an_addendum_refused_is_asked_again_with_its_text(
    window: MainWindow, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    editor = window.open_supervision(final_session(window))
    assert editor is not None
    answers = iter(["x" * (supervision.MAX_TEXT + 1), None])
    asked: list[str] = []

    def ask(cls: type, parent: Any, record_name: str, text: str = "") -> str | None:
        asked.append(text)
        return next(answers)

    monkeypatch.setattr(AddendumDialog, "ask", classmethod(ask))
    editor.addendum_button.click()
    assert [title for title, _ in errors] == [
        f"Cannot add the addendum to {editor.loaded.row.record_id}"
    ]
    assert "at most 20,000 fit a record" in errors[0][1]
    assert asked == ["", "x" * (supervision.MAX_TEXT + 1)]  # nothing typed is lost
    assert record_of(editor).addenda == ()


def test_printing_the_record_on_a_pdf_printer_gives_as_many_pages_as_its_export(
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    errors: list[tuple[str, str]],
) -> None:
    editor = window.open_supervision(final_session(window))
    assert editor is not None
    exported = tmp_path / "record.pdf"
    choose_export_path(monkeypatch, exported)
    editor.export_button.click()
    printed = tmp_path / "printed.pdf"
    asked: list[int] = []

    def ask_print(cls: type, parent: Any, printer: QPrinter, pages: int) -> bool:
        asked.append(pages)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)  # "Print to file"
        printer.setOutputFileName(str(printed))
        return True

    monkeypatch.setattr(Interaction, "ask_print", classmethod(ask_print))
    editor.print_button.click()
    assert errors == []
    pages = page_count(exported.read_bytes())
    assert asked == [pages]
    assert page_count(printed.read_bytes()) == pages
    record_name = editor.loaded.row.record_id
    assert editor.status_bar.currentMessage() == f"Printed: Supervision record {record_name}."


# --- Saving: elsewhere, refusals, closing ---------------------------------------------------


def test_a_draft_saved_on_another_desktop_meanwhile_is_reported_and_read_again(
    qtbot: QtBot,
    window: MainWindow,
    demo_db_path: Path,
    errors: list[tuple[str, str]],
) -> None:
    select_worker(window)
    editor = start(window)
    qtbot.keyClicks(editor.workload, "Two new assessments.")
    assert editor.save_now()
    other_desktop, _ = open_database(demo_db_path)
    try:
        draft = DraftInput(
            held_on=TODAY, attendees=("Someone else",), wellbeing="Written on the other desktop."
        )
        supervision.save_draft(
            other_desktop,
            editor.session_id,
            draft,
            expected_version=editor.version,
            actor="tm.elsewhere",
            today=TODAY,
        )
    finally:
        other_desktop.close()
    elsewhere = version_in_db(editor)
    qtbot.keyClicks(editor.workload, " And a court report.")
    qtbot.waitUntil(lambda: bool(errors), timeout=SAVED_MS)  # the autosave met the change
    [(title, message)] = errors
    assert title == "Changed elsewhere"
    assert "was changed elsewhere since it was opened; nothing was saved" in message
    # Read again: the other desktop's draft, and its version to save on from.
    assert editor.wellbeing.toPlainText() == "Written on the other desktop."
    assert editor.attendees.text() == "Someone else"
    assert editor.workload.toPlainText() == ""
    assert editor.version == elsewhere and not editor.has_unsaved_changes()
    qtbot.keyClicks(editor.workload, "Caught up.")
    assert editor.save_now()
    assert record_of(editor).workload == "Caught up."


def test_a_refusal_names_its_field_in_words_keeps_the_text_and_shows_the_field(
    qtbot: QtBot, window: MainWindow, errors: list[tuple[str, str]]
) -> None:
    select_worker(window)
    editor = start(window)
    too_long = "w" * (supervision.MAX_TEXT + 1)
    editor.wellbeing.setPlainText(too_long)
    editor.tabs.setCurrentIndex(TAB_ACTIONS)
    assert not editor.save_now()
    assert editor.problem() == (
        "Not saved. Wellbeing: 20,001 characters; at most 20,000 fit a record."
    )
    assert editor.wellbeing.toPlainText() == too_long and editor.has_unsaved_changes()
    assert "not saved" in editor.state_label.text()
    editor.problem_label.linkActivated.emit("#problem")  # "Show me"
    assert editor.tabs.currentIndex() == TAB_SESSION
    editor.wellbeing.setPlainText("Fine.")
    assert editor.save_now() and editor.problem() == ""

    # A discussion's field is named by its case; a blank action stops Finalise.
    ref = editor.case_refs()[1]
    editor.choose_case(ref)
    editor.page(ref).discussed.setChecked(True)
    editor.page(ref).rationale.setPlainText(too_long)
    assert not editor.save_now()
    assert editor.problem().startswith(f"Not saved. {ref}, rationale: 20,001 characters")
    editor.problem_label.linkActivated.emit("#problem")
    assert editor.tabs.currentIndex() == TAB_CASELOAD
    editor.page(ref).rationale.setPlainText("Because.")
    editor.add_action()
    assert editor.save_now()  # an action still being typed is not saved, nor refused
    assert record_of(editor).actions == ()
    assert not editor.finalise()
    assert (
        editor.problem()
        == "Not saved. Action 1, what is to be done: say what is to be done, or remove it."
    )
    assert editor.tabs.currentIndex() == TAB_ACTIONS
    assert supervision.session_row(editor.context.db, editor.session_id).status is (
        SessionStatus.DRAFT
    )
    assert errors == []


def test_closing_saves_the_draft_and_a_session_closed_untouched_leaves_nothing(
    qtbot: QtBot, window: MainWindow, errors: list[tuple[str, str]]
) -> None:
    worker = select_worker(window)
    editor = start(window)
    editor.close()
    assert window.supervision_editors == {}
    assert supervision.list_sessions(context_of(window).db, worker.worker_id) == []

    editor = start(window)
    qtbot.keyClicks(editor.workload, "Typed just before closing.")
    editor.close()  # before the autosave
    [row] = supervision.list_sessions(context_of(window).db, worker.worker_id)
    assert row.status is SessionStatus.DRAFT
    assert supervision.load_record(
        context_of(window).db, row.id, context_of(window).rules
    ).workload == ("Typed just before closing.")
    assert errors == []


def test_a_draft_that_cannot_be_saved_is_kept_open_unless_the_manager_lets_it_go(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, errors: list[tuple[str, str]]
) -> None:
    select_worker(window)
    editor = start(window)
    editor.workload.setPlainText("w" * (supervision.MAX_TEXT + 1))
    answers = iter([False, True])
    asked: list[str] = []

    def confirm(cls: type, parent: Any, title: str, message: str, action: str) -> bool:
        asked.append(message)
        return next(answers)

    monkeypatch.setattr(Interaction, "confirm", classmethod(confirm))
    assert not editor.close()
    assert editor.isVisible() and "Workload: 20,001 characters" in asked[0]
    assert editor.close()
    assert window.supervision_editors == {}


def test_discard_draft_asks_then_throws_the_draft_away(
    qtbot: QtBot,
    window: MainWindow,
    questions: list[tuple[str, str]],
    errors: list[tuple[str, str]],
) -> None:
    worker = select_worker(window)
    editor = start(window)
    qtbot.keyClicks(editor.wellbeing, WELLBEING)
    assert editor.save_now()
    editor.discard_button.click()
    assert questions and questions[0][0] == "Discard the draft"
    assert window.supervision_editors == {}
    assert supervision.list_sessions(context_of(window).db, worker.worker_id) == []


# --- The caseload: live while a draft, cases moved in the session ------------------------


def test_a_case_moved_to_the_worker_during_the_session_joins_the_caseload_and_the_record(
    qtbot: QtBot, window: MainWindow, errors: list[tuple[str, str]]
) -> None:
    worker = select_worker(window)
    editor = start(window)
    context = editor.context
    assert window.board is not None
    board = window.board
    before = editor.case_refs()
    row = next(
        r
        for r in range(board.unallocated_model.rowCount())
        if board.unallocated_model.record(r).family_group_id is None
    )
    moving = board.unallocated_model.record(row)
    with qtbot.waitSignal(editor.caseload_model.rowsInserted, timeout=5000):
        reassignment.reassign(
            context.db,
            reassignment.Request(
                case_ids=(moving.case_id,),
                to_worker_id=worker.worker_id,
                reason=ChangeReason.MANAGE,
                reason_text="Managing caseloads",
                accept_over_capacity=True,
            ),
            rules=context.rules,
            today=TODAY,
            actor="tm.tester",
            announcer=context.changes,
        )
    qtbot.waitUntil(lambda: moving.case_ref in editor.case_refs())
    assert sorted(editor.case_refs()) == sorted([*before, moving.case_ref])
    shown = [
        editor.reassigned_model.item(r).text() for r in range(editor.reassigned_model.rowCount())
    ]
    assert any(line.startswith(f"{moving.case_ref} ") for line in shown)
    assert f"to {worker.worker}" in next(line for line in shown if moving.case_ref in line)
    assert errors == []


# --- Entry points on the main window ---------------------------------------------------------


def test_start_supervision_needs_a_worker_in_post_selected(
    qtbot: QtBot, window: MainWindow, errors: list[tuple[str, str]]
) -> None:
    actions = window.main_actions
    assert actions.start_supervision.shortcut() == QtGui.QKeySequence("Ctrl+Shift+S")
    menu = [a.text() for a in window.supervision_menu.actions()]
    assert menu[0].startswith("&Start supervision") and menu[1].startswith("Supervision &records")
    assert window.board is not None
    view = window.board.workers_view
    assert view.contextMenuPolicy() == QtCore.Qt.ContextMenuPolicy.ActionsContextMenu
    assert view.actions() == [actions.start_supervision, actions.supervision_records]

    leaver = select_worker(window, active=False)
    assert not actions.start_supervision.isEnabled()
    assert leaver.worker in actions.start_supervision.statusTip()
    assert actions.supervision_records.isEnabled()  # a leaver's records can still be read
    window.start_supervision()  # even called directly: nothing is started
    assert window.supervision_editors == {}
    assert "is not in post" in errors[0][1]

    worker = select_worker(window)
    assert actions.start_supervision.isEnabled()
    assert actions.start_supervision.text() == f"&Start supervision with {worker.worker}…"
    view.setFocus()
    qtbot.keyClick(
        view,
        QtCore.Qt.Key.Key_S,
        QtCore.Qt.KeyboardModifier.ControlModifier | QtCore.Qt.KeyboardModifier.ShiftModifier,
    )
    qtbot.waitUntil(lambda: bool(window.supervision_editors))

    window.set_context(None)
    assert not actions.start_supervision.isEnabled()
    assert not actions.supervision_records.isEnabled()
    assert window.supervision_editors == {}


def test_start_supervision_offers_to_carry_on_with_a_draft(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    worker = select_worker(window)
    editor = start(window)
    qtbot.keyClicks(editor.wellbeing, WELLBEING)
    editor.close()
    [draft] = supervision.list_sessions(context_of(window).db, worker.worker_id)
    answers = iter([0, 1])
    asked: list[tuple[str, list[str]]] = []

    def ask_choice(cls: type, parent: Any, title: str, message: str, choices: Any) -> int:
        asked.append((message, list(choices)))
        return next(answers)

    monkeypatch.setattr(Interaction, "ask_choice", classmethod(ask_choice))
    window.main_actions.start_supervision.trigger()
    assert draft.record_id in asked[0][0]
    assert asked[0][1] == ["Carry on with the draft", "Start a new session"]
    assert list(window.supervision_editors) == [draft.id]
    assert window.supervision_editors[draft.id].wellbeing.toPlainText() == WELLBEING
    editor = start(window)  # "Start a new session"
    assert editor.session_id != draft.id


# Opening a record already open raises its window; the offscreen platform cannot, and says so.
@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_supervision_records_lists_the_workers_sessions_and_opens_the_one_chosen(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = final_session(window)
    worker = select_worker(window)
    editor = start(window)
    qtbot.keyClicks(editor.workload, "A draft too.")
    editor.close()
    seen: list[list[str]] = []

    def ask(cls: type, parent: Any, sessions: Any, name: str) -> int | None:
        dialog = SupervisionRecordsDialog(sessions, name, parent)
        model = dialog.model
        seen.append(
            [
                " ".join(model.item(r, c).text() for c in range(model.columnCount()))
                for r in range(model.rowCount())
            ]
        )
        assert dialog.windowTitle() == f"Supervision records of {worker.worker}"
        chosen = dialog.chosen()  # the newest, selected
        dialog.deleteLater()
        return chosen

    monkeypatch.setattr(SupervisionRecordsDialog, "ask", classmethod(ask))
    window.main_actions.supervision_records.trigger()
    [rows] = seen
    assert len(rows) == 2
    assert rows[0].endswith("26 Nov 2026 Draft") and rows[1].endswith("26 Nov 2026 Final")
    [opened_id] = window.supervision_editors
    assert opened_id != session_id  # the newest: the draft
    window.supervision_editors[opened_id].close()
    window.open_supervision(session_id)
    window.open_supervision(session_id)  # the same window, raised
    assert list(window.supervision_editors) == [session_id]
    assert window.supervision_editors[session_id].wellbeing.isReadOnly()  # final: to read


# --- Keyboard, names, and how it looks -------------------------------------------------------


INPUTS = (
    QtWidgets.QLineEdit,
    QtWidgets.QPlainTextEdit,
    QtWidgets.QTextEdit,
    QtWidgets.QComboBox,
    QtWidgets.QAbstractSpinBox,
    QtWidgets.QAbstractButton,
    QtWidgets.QAbstractItemView,
    QtWidgets.QTabWidget,
)


def unnamed_widgets(root: QtWidgets.QWidget) -> list[str]:
    """Widgets a keyboard or screen reader reaches that have no accessible name (a combo
    box's or date edit's own line edit, a tab bar's scroll arrows, a table's headers and
    corner button are parts of a named widget)."""
    parts = (
        QtWidgets.QAbstractSpinBox,
        QtWidgets.QComboBox,
        QtWidgets.QTabBar,
        QtWidgets.QAbstractItemView,
    )

    def inside_another(widget: QtWidgets.QWidget) -> bool:
        parent = widget.parentWidget()
        while parent is not None and parent is not root:
            if isinstance(parent, parts):
                return True
            parent = parent.parentWidget()
        return False

    missing = []
    for widget in root.findChildren(QtWidgets.QWidget):
        if (
            not isinstance(widget, INPUTS)
            or isinstance(widget, QtWidgets.QHeaderView)
            or inside_another(widget)
        ):
            continue
        if not widget.accessibleName():
            missing.append(f"{type(widget).__name__} {widget.objectName()!r}")
    return missing


def test_every_part_of_the_editor_has_a_name_and_tab_reaches_it(
    qtbot: QtBot, window: MainWindow
) -> None:
    select_worker(window)
    editor = start(window)
    fill_session(qtbot, editor)
    for tab in range(editor.tabs.count()):
        editor.tabs.setCurrentIndex(tab)
    assert unnamed_widgets(editor) == []
    named = {w.accessibleName() for w in editor.findChildren(QtWidgets.QWidget)}
    for line_edit in editor.findChildren(QtWidgets.QPlainTextEdit):
        assert line_edit.tabChangesFocus()  # Tab moves on; it types no tab

    editor.activateWindow()
    qtbot.waitUntil(editor.isActiveWindow)
    reached: dict[int, set[str]] = {}
    for tab in (TAB_SESSION, TAB_CASELOAD, TAB_ACTIONS):
        editor.tabs.setCurrentIndex(tab)
        editor.tabs.tabBar().setFocus()
        names: set[str] = set()
        for _press in range(40):
            focus = QtWidgets.QApplication.focusWidget()
            assert focus is not None
            names.add(focus.accessibleName())
            qtbot.keyClick(focus, QtCore.Qt.Key.Key_Tab)
        reached[tab] = names
    ref = editor.case_refs()[1]  # the case in view
    assert {"Date held", "Attendees", "Next supervision booked", "Wellbeing", "Workload"} <= (
        reached[TAB_SESSION]
    )
    assert {"Caseload on the day", f"Discussed {ref} in this session", f"{ref}: decision"} <= (
        reached[TAB_CASELOAD]
    )
    assert {"Action 1: what is to be done", "Action 1: owner", "Action 1: due date"} <= (
        reached[TAB_ACTIONS]
    )
    for names in reached.values():
        assert {"The worker has read and agreed the record", "Finalise", "Close"} <= names
        assert names <= named | {"QTabBar"}, "everything Tab reaches has a name"


def test_screenshots_of_a_draft_and_a_final_record_at_1366x768(
    qtbot: QtBot, window: MainWindow, questions: list[tuple[str, str]]
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    select_worker(window)
    editor = start(window)
    refs = fill_session(qtbot, editor)
    editor.resize(1366, 768)
    editor.choose_case(refs[1])

    def grab(name: str) -> QtGui.QPixmap:
        qtbot.wait(20)  # the layouts follow the texts just set
        image = editor.grab()
        assert image.save(str(ARTIFACTS / name))
        return image

    image = grab("supervision_editor_draft.png")
    assert (image.width(), image.height()) == (1366, 768)
    editor.tabs.setCurrentIndex(TAB_ACTIONS)
    grab("supervision_editor_actions.png")
    assert editor.finalise()
    editor.tabs.setCurrentIndex(TAB_CASELOAD)
    editor.choose_case(refs[0])
    grab("supervision_editor_final.png")
    # The whole status fits beside the title.
    state = editor.state_label
    assert state.width() >= state.sizeHint().width()
    editor.tabs.setCurrentIndex(TAB_SESSION)
    grab("supervision_editor_final_session.png")


@pytest.mark.parametrize(("press", "expected"), [("Finalise", True), ("Cancel", False)])
def test_confirm_is_true_only_when_its_action_is_pressed(
    qtbot: QtBot, press: str, expected: bool
) -> None:
    parent = QtWidgets.QWidget()
    qtbot.addWidget(parent)
    seen: list[str] = []

    def answer() -> None:
        box = QtWidgets.QApplication.activeModalWidget()
        assert isinstance(box, QtWidgets.QMessageBox)
        seen.append(box.defaultButton().text())
        button = next(b for b in box.buttons() if b.text().replace("&", "") == press)
        button.click()

    QtCore.QTimer.singleShot(0, answer)
    assert Interaction.confirm(parent, "Finalise", "Sure?", "Finalise") is expected
    assert [text.replace("&", "") for text in seen] == ["Cancel"]  # Enter does nothing rash
