"""The worker-leaving wizard and "Allocate the queue": within capacity, families kept, audited."""

from __future__ import annotations

import datetime as dt
import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from caseload_desktop.context import open_context
from caseload_desktop.domain.practice import DEFAULT_RULES
from caseload_desktop.services import allocation_planning
from caseload_desktop.store import queries
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.ui.dialogs.plan_dialog import LeaverDialog, PlanDialog
from caseload_desktop.ui.main_window import MainWindow
from caseload_desktop.ui.models.plan import WORKER_ID_ROLE, PlanModel
from caseload_desktop.ui.preferences import Preferences
from tests.gui.conftest import show_window

TODAY = dt.date(2026, 11, 26)
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


@pytest.fixture
def window(qtbot: QtBot, demo_db_path: Path, preferences: Preferences) -> MainWindow:
    return show_window(qtbot, demo_db_path, preferences, INSPECTION_TEAM)


def accept_plan(monkeypatch: pytest.MonkeyPatch, seen: list[PlanDialog]) -> None:
    def ask(cls: type, parent: Any, plan: Any, rules: Any) -> Any:
        dialog = PlanDialog(plan, rules, parent)
        seen.append(dialog)
        dialog.show()
        ARTIFACTS.mkdir(exist_ok=True)
        dialog.grab().save(str(ARTIFACTS / "plan_dialog.png"))
        return dialog.model.choices_copy(), False

    monkeypatch.setattr(PlanDialog, "ask", classmethod(ask))


def audit_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM audit_events").fetchone()[0])
    finally:
        conn.close()


def test_allocating_the_inspection_teams_queue_goes_as_far_as_capacity_allows(
    qtbot,
    window: MainWindow,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    board, context = window.board, window.context
    assert board is not None and context is not None
    with context.db.read() as session:
        team = queries.find_team(session, INSPECTION_TEAM)
        before_q = queries.queues(session, TODAY, team_id=team.id)
        before_loads = {
            w.worker_id: w
            for w in queries.worker_caseloads(session, TODAY, DEFAULT_RULES, team_id=team.id)
        }
    waiting_before = len(before_q.orphaned) + len(before_q.unallocated)
    audits_before = audit_count(demo_db_path)
    seen: list[PlanDialog] = []
    accept_plan(monkeypatch, seen)

    with qtbot.waitSignal(board.loaded, timeout=10000):
        window.main_actions.allocate_queue.trigger()

    plan = seen[0].plan
    placed = sum(1 for c in plan.cases if c.proposed_worker_id is not None)
    assert "FTE" in seen[0].summary.text() and plan.shortfall_fte > 0
    with context.db.read() as session:
        after_q = queries.queues(session, TODAY, team_id=team.id)
        after_loads = queries.worker_caseloads(session, TODAY, DEFAULT_RULES, team_id=team.id)
    assert len(after_q.orphaned) + len(after_q.unallocated) == waiting_before - placed
    for worker in after_loads:
        if worker.status != "active" or worker.role.is_manager:
            continue
        start = before_loads[worker.worker_id].weighted
        assert worker.weighted == start or worker.weighted <= worker.capacity
    assert audit_count(demo_db_path) == audits_before + placed
    assert window.undo_stack.count() == 1


def test_a_leaver_plan_records_the_leave_date_and_moves_every_case(
    qtbot,
    window: MainWindow,
    demo_db_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    board, context = window.board, window.context
    assert board is not None and context is not None
    leaver = next(
        w
        for w in board.workers_model.all_rows()
        if w.status == "active" and not w.role.is_manager and w.cases
    )
    monkeypatch.setattr(
        LeaverDialog,
        "ask",
        classmethod(lambda cls, parent, workers, today: (leaver.worker_id, TODAY)),
    )
    seen: list[PlanDialog] = []
    accept_plan(monkeypatch, seen)
    with qtbot.waitSignal(board.loaded, timeout=10000):
        window.main_actions.worker_leaving.trigger()
    conn = sqlite3.connect(demo_db_path)
    end_date = conn.execute(
        "SELECT end_date FROM workers WHERE id = ?", (leaver.worker_id,)
    ).fetchone()[0]
    still_held = conn.execute(
        "SELECT count(*) FROM allocations WHERE worker_id = ? AND ended_on IS NULL",
        (leaver.worker_id,),
    ).fetchone()[0]
    events = conn.execute(
        "SELECT count(*) FROM audit_events WHERE action = 'worker.leaving' AND from_worker_id = ?",
        (leaver.worker_id,),
    ).fetchone()[0]
    outbox = conn.execute(
        "SELECT count(*) FROM outbox_events WHERE kind = 'worker.leaving'"
    ).fetchone()[0]
    conn.close()
    assert end_date == TODAY.isoformat()
    assert still_held == 0  # placed with colleagues, or back in the queue: never on a leaver
    assert events == 1 and outbox == 1


def test_the_plan_model_lets_the_manager_change_a_worker_and_warns_over_capacity(
    qtbot,
    demo_db_path: Path,
    qtmodeltester,  # type: ignore[no-untyped-def]
) -> None:
    context = open_context(demo_db_path)
    with context.db.read() as session:
        team = queries.find_team(session, INSPECTION_TEAM)
    plan = allocation_planning.plan_for_queue(context.db, team.id, rules=DEFAULT_RULES, today=TODAY)
    dialog = PlanDialog(plan, DEFAULT_RULES)
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.model)
    model = dialog.model
    row = next(r for r, c in enumerate(plan.cases) if c.proposed_worker_id is None)
    target = plan.workers[0]
    index = model.index(row, PlanModel.COL_TO)
    assert model.setData(index, target.worker_id, WORKER_ID_ROLE)
    assert model.loads_after()[target.worker_id] > target.weighted
    # Everyone was full already: the change puts the worker over capacity.
    assert dialog.over_capacity.isVisibleTo(dialog)
    assert not dialog.apply_button.isEnabled()
    dialog.over_capacity.setChecked(True)
    assert dialog.apply_button.isEnabled()
    assert not model.setData(index, 999_999, WORKER_ID_ROLE)  # not one of the plan's workers
    assert model.setData(index, None, WORKER_ID_ROLE)
    assert model.loads_after()[target.worker_id] == target.weighted + sum(
        (
            DEFAULT_RULES.weight_of(c.category, c.court)
            for c in plan.cases
            if c.proposed_worker_id == target.worker_id
        ),
        Decimal(0),
    )
    context.close()
