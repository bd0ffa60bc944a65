"""The team picker offers what the signed-in user may see (services/access.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from pytestqt.qtbot import QtBot

from caseload_desktop.context import open_context
from caseload_desktop.domain.categories import Role
from caseload_desktop.services import access
from caseload_desktop.store.engine import open_database
from caseload_desktop.store.models import Team, Worker
from caseload_desktop.ui.preferences import Preferences
from caseload_desktop.ui.widgets.caseload_board import ALL_TEAMS, CaseloadBoard


def _picker_items(board: CaseloadBoard) -> list[str]:
    return [board.team_picker.itemText(i) for i in range(board.team_picker.count())]


@pytest.mark.parametrize("who", ["team manager", "service manager", "nobody mapped"])
def test_a_team_manager_picks_among_their_own_teams_only(
    qtbot: QtBot,
    demo_db_path: Path,
    preferences: Preferences,
    monkeypatch: pytest.MonkeyPatch,
    who: str,
) -> None:
    db, _ = open_database(demo_db_path)
    with db.read() as session:
        team_id, team, staff = session.execute(
            sa.select(Team.id, Team.name, Worker.staff_id)
            .join(Worker, Worker.team_id == Team.id)
            .where(Worker.role == Role.TEAM_MANAGER)
            .order_by(Team.name)
            .limit(1)
        ).one()
        every_team = sorted(session.execute(sa.select(Team.name)).scalars())
    monkeypatch.setattr("getpass.getuser", lambda: "the.user")
    if who != "nobody mapped":
        access.set_mapping(db, "ada.admin", ["admin"], actor="ada.admin")
        roles = ["team_manager"] if who == "team manager" else ["service_manager"]
        access.set_mapping(db, "the.user", roles, staff_id=staff, actor="ada.admin")
    db.close()

    context = open_context(demo_db_path)
    board = CaseloadBoard(context, preferences)
    qtbot.addWidget(board)
    try:
        if who == "team manager":
            assert _picker_items(board) == [team]
            assert board.team_id == team_id
        else:
            assert _picker_items(board) == [ALL_TEAMS, *every_team]
    finally:
        board.deleteLater()
        context.close()
