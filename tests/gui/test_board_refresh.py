"""The board follows announced changes: it re-reads, and keeps the selection and the scroll."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseload_desktop.context import AppContext, open_context
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.store.models import Allocation
from caseload_desktop.ui.widgets.caseload_board import TAB_UNALLOCATED, CaseloadBoard

TODAY = dt.date(2026, 11, 26)
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def context(demo_db_path: Path):  # type: ignore[no-untyped-def]
    ctx = open_context(demo_db_path)
    yield ctx
    ctx.close()


@pytest.fixture
def board(qtbot, context: AppContext, preferences) -> CaseloadBoard:  # type: ignore[no-untyped-def]
    widget = CaseloadBoard(context, preferences)
    qtbot.addWidget(widget)
    widget.resize(1366, 700)
    widget.show()
    with qtbot.waitSignal(widget.loaded):
        widget.select_team(INSPECTION_TEAM)
    return widget


def _allocate(context: AppContext, case_id: int, worker_id: int) -> None:
    """What a reassignment service will do: end the current allocation, start a new one."""
    with context.db.write() as session:
        session.execute(
            sa.update(Allocation)
            .where(Allocation.case_id == case_id, Allocation.ended_on.is_(None))
            .values(ended_on=TODAY)
        )
        session.execute(
            sa.insert(Allocation.__table__).values(
                case_id=case_id,
                worker_id=worker_id,
                started_on=TODAY,
                reason_code="MANAGE",
                reason_text="",
                created_by="test",
                created_at=NOW,
            )
        )


def test_an_announced_change_refreshes_the_board_keeping_worker_and_scroll(
    qtbot,
    board: CaseloadBoard,
    context: AppContext,  # type: ignore[no-untyped-def]
) -> None:
    workers = board.workers_model
    target_row = next(
        r for r in range(workers.rowCount()) if workers.row_at(r).status == "active" and r > 0
    )
    target = workers.row_at(target_row)
    board.workers_view.setCurrentIndex(workers.index(target_row, 0))
    board.tabs.setCurrentIndex(TAB_UNALLOCATED)
    view, model = board.unallocated_view, board.unallocated_model
    before = model.total()
    view.verticalScrollBar().setValue(view.verticalScrollBar().maximum() // 2)
    scrolled = view.verticalScrollBar().value()
    assert scrolled > 0
    case_id = model.case_id(model.total() - 1)

    _allocate(context, case_id, target.worker_id)
    with qtbot.waitSignal(board.loaded):
        context.changes.announce(Change.of("reassignment", [case_id], [target.worker_id]))

    assert model.total() == before - 1
    assert board.selected_worker_id() == target.worker_id
    assert case_id in {
        board.worker_cases_model.case_id(r) for r in range(board.worker_cases_model.rowCount())
    }
    assert view.verticalScrollBar().value() == scrolled


def test_changes_from_another_thread_reach_the_board_on_the_gui_thread(
    qtbot,
    board: CaseloadBoard,
    context: AppContext,  # type: ignore[no-untyped-def]
) -> None:
    import threading

    with qtbot.waitSignal(board.loaded):
        worker = threading.Thread(target=context.changes.announce, args=(Change.of("sync"),))
        worker.start()
        worker.join()


def test_a_closed_board_stops_listening(qtbot, context: AppContext, preferences) -> None:  # type: ignore[no-untyped-def]
    listening_before = len(context.changes._subscribers)  # the context itself listens too
    widget = CaseloadBoard(context, preferences)
    assert len(context.changes._subscribers) == listening_before + 1
    widget.deleteLater()
    qtbot.waitUntil(lambda: len(context.changes._subscribers) == listening_before)


def test_the_announcer_calls_each_subscriber_until_it_unsubscribes() -> None:
    announcer = ChangeAnnouncer()
    heard: list[Change] = []
    stop = announcer.subscribe(heard.append)
    first = Change.of("a", [1])
    announcer.announce(first)
    stop()
    announcer.announce(Change.of("b"))
    assert heard == [first]
