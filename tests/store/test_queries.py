"""Read queries: the board's shortcuts give the same answers as the plain queries."""

from __future__ import annotations

import datetime as dt

import pytest

from caseload_desktop.domain.practice import DEFAULT_RULES
from caseload_desktop.store import queries
from caseload_desktop.store.engine import Database

TODAY = dt.date(2026, 11, 26)


@pytest.mark.parametrize("past", [False, True])
def test_caseloads_counted_from_the_board_rows_equal_the_counting_query(
    demo_db: Database, past: bool
) -> None:
    today = dt.date(2026, 5, 1) if past else TODAY
    with demo_db.read() as session:
        teams = [None, *(t.id for t in queries.list_teams(session))]
        for team_id in teams:
            table = queries.case_table(
                session, today, team_id=team_id, with_team_workers_cases=True
            )
            counted = queries.worker_caseloads(
                session, today, DEFAULT_RULES, team_id=team_id, cases=table
            )
            queried = queries.worker_caseloads(session, today, DEFAULT_RULES, team_id=team_id)
            assert counted == queried


def test_a_teams_table_holds_its_cases_and_every_case_its_workers_hold(demo_db: Database) -> None:
    with demo_db.read() as session:
        team = queries.list_teams(session)[0]
        table = queries.case_table(session, TODAY, team_id=team.id, with_team_workers_cases=True)
        everything = queries.case_table(session, TODAY)
        loads = queries.worker_caseloads(session, TODAY, DEFAULT_RULES, team_id=team.id)
    ids = {row[queries.C_CASE_ID] for row in table.rows}
    worker_ids = {w.worker_id for w in loads}
    expected = {
        row[queries.C_CASE_ID]
        for row in everything.rows
        if row[queries.C_TEAM_ID] == team.id or row[queries.C_WORKER_ID] in worker_ids
    }
    assert ids == expected
