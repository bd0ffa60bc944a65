"""Supervision on the board: a worker's overdue supervision actions show in their tooltip and
go when the action is done."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pytestqt.qtbot import QtBot

from PySide6 import QtCore

from caseload_desktop.context import open_context
from caseload_desktop.domain.supervision import ActionStatus, record_id
from caseload_desktop.services import supervision
from caseload_desktop.store import queries
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.store.models import SupervisionAction
from caseload_desktop.ui.preferences import Preferences
from caseload_desktop.ui.widgets.caseload_board import CaseloadBoard

TODAY = dt.date(2026, 11, 26)
TOOLTIP = QtCore.Qt.ItemDataRole.ToolTipRole


def test_overdue_supervision_actions_show_in_the_workers_tooltip_until_done(
    qtbot: QtBot, demo_db_path: Path, preferences: Preferences
) -> None:
    context = open_context(demo_db_path)
    with context.db.read() as session:
        team = queries.find_team(session, INSPECTION_TEAM)
        workers = queries.worker_caseloads(session, TODAY, context.rules, team_id=team.id)
        worker = next(w for w in workers if w.status == "active" and w.cases > 0)
        case_ref = queries.case_table(session, dt.date(2026, 11, 2), worker_id=worker.worker_id)
        held_ref = case_ref.rows[0][queries.C_CASE_REF]
    document = {
        "held_on": "2026-11-02",
        "cases": [
            {
                "case_ref": held_ref,
                "discussion": "Visits behind.",
                "decision": "Catch up visits.",
                "actions": [
                    {
                        "action": "Visit <the child> & family",
                        "owner": worker.staff_id,
                        "due": "2026-11-13",
                    },
                    {"action": "Not due yet", "owner": worker.staff_id, "due": "2026-12-20"},
                ],
            }
        ],
    }
    session_id = supervision.create_from_json(
        context.db,
        worker.worker_id,
        document,
        actor="test",
        today=TODAY,
        rules=context.rules,
        style=context.records,
    )
    board = CaseloadBoard(context, preferences)
    qtbot.addWidget(board)
    with qtbot.waitSignal(board.loaded, timeout=5000):
        board.select_team(INSPECTION_TEAM)
    model = board.workers_model
    row = next(r for r in range(model.rowCount()) if model.row_at(r).worker_id == worker.worker_id)

    tooltip = model.data(model.index(row, 0), TOOLTIP)
    assert "Supervision actions overdue: 1" in tooltip
    assert "Visit &lt;the child&gt; &amp; family" in tooltip  # escaped, not markup
    assert "due 13 Nov 2026" in tooltip and record_id(session_id) in tooltip
    assert "Not due yet" not in tooltip

    with context.db.read() as session:
        action_id = (
            session.query(SupervisionAction.id)
            .filter(SupervisionAction.session_id == session_id, SupervisionAction.due < TODAY)
            .scalar()
        )
    with qtbot.waitSignal(board.loaded, timeout=5000):
        supervision.set_action_status(
            context.db,
            action_id,
            ActionStatus.DONE,
            actor="test",
            today=TODAY,
            announcer=context.changes,
        )
    row = next(r for r in range(model.rowCount()) if model.row_at(r).worker_id == worker.worker_id)
    assert "Supervision actions overdue" not in model.data(model.index(row, 0), TOOLTIP)
    board.deleteLater()
    context.close()
