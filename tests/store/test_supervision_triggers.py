"""A final supervision record is fixed by the database itself (migration 0005's triggers).

A copy of the demo database is given, once per module, a final record (two cases discussed,
two actions, an addendum) and a draft (one case, one action) through ``services.supervision``;
each test then works on its own copy of that file with plain ``sqlite3``, as any other program
could. Every change the record forbids is refused with ``sqlite3.IntegrityError`` and leaves
the supervision tables exactly as they were; what stays allowed (an action's status, a new
addendum, anything on a draft) goes through.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from caseload_desktop.services import settings as settings_service
from caseload_desktop.services import supervision as service
from caseload_desktop.services.supervision import ActionInput, DiscussionInput, DraftInput
from caseload_desktop.store import queries
from caseload_desktop.store.engine import open_database

TODAY = dt.date(2026, 11, 26)
ACTOR = "tm.tester"
TABLES = (
    "supervision_sessions",
    "supervision_cases",
    "supervision_actions",
    "supervision_addenda",
)


@dataclasses.dataclass(frozen=True)
class Records:
    template: Path
    final: int  # the final session's id
    draft: int
    final_cases: tuple[int, ...]  # supervision_cases ids of the final record
    final_actions: tuple[int, ...]
    addendum: int
    draft_case: int
    draft_action: int
    spare_case: int  # a case of the worker not discussed in either session
    other_worker: int

    def ids(self) -> dict[str, int]:
        return {
            "final": self.final,
            "draft": self.draft,
            "final_case": self.final_cases[0],
            "final_action": self.final_actions[0],
            "addendum": self.addendum,
            "draft_case": self.draft_case,
            "draft_action": self.draft_action,
            "spare_case": self.spare_case,
            "other_worker": self.other_worker,
        }


def rows(connection: sqlite3.Connection, sql: str, *params: object) -> list[tuple[Any, ...]]:
    return connection.execute(sql, params).fetchall()


@pytest.fixture(scope="module")
def records(demo_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Records:
    """The template: a copy of the demo with a final record and a draft of one worker."""
    path = tmp_path_factory.mktemp("supervision") / "records.db"
    shutil.copyfile(demo_template, path)
    with pytest.MonkeyPatch.context() as patch:  # the per-test environment is not set up yet
        patch.setenv("CASELOAD_TODAY", TODAY.isoformat())
        patch.setenv("CASELOAD_DATA_DIR", str(tmp_path_factory.mktemp("data")))
        return _make_records(path)


def _make_records(path: Path) -> Records:
    db, _ = open_database(path)
    try:
        settings = settings_service.load_settings(db)
        with db.read() as session:
            worker, other = (
                row[0]
                for row in session.execute(
                    sa.text(
                        "SELECT id FROM workers WHERE status = 'active' AND end_date IS NULL "
                        "AND role = 'social_worker' ORDER BY staff_id"
                    )
                ).all()[:2]
            )
            held = [
                r[queries.C_CASE_ID]
                for r in queries.case_table(session, TODAY, worker_id=worker).rows
            ]
        assert len(held) >= 4
        final = service.create_draft(
            db,
            worker,
            DraftInput(
                held_on=TODAY,
                wellbeing="Coping.",
                discussions=(
                    DiscussionInput(held[0], "Visits on track.", decision="Step down"),
                    DiscussionInput(held[1], "Assessment late.", decision="Extend by a week"),
                ),
                actions=(
                    ActionInput("Arrange the step-down meeting", worker, TODAY, held[0]),
                    ActionInput("Chase the school", other, TODAY + dt.timedelta(days=7)),
                ),
            ),
            actor=ACTOR,
            today=TODAY,
        )
        service.finalise(
            db,
            final,
            expected_version=1,
            actor=ACTOR,
            rules=settings.rules,
            style=settings.records,
        )
        service.add_addendum(
            db,
            final,
            "Meeting held on 27 Nov.",
            actor=ACTOR,
            rules=settings.rules,
            style=settings.records,
        )
        draft = service.create_draft(
            db,
            worker,
            DraftInput(
                held_on=TODAY,
                discussions=(DiscussionInput(held[2], "Still a draft."),),
                actions=(ActionInput("Draft action", worker, TODAY),),
            ),
            actor=ACTOR,
            today=TODAY,
        )
    finally:
        db.close()
    with contextlib.closing(sqlite3.connect(path)) as connection:

        def ids(table: str, session_id: int) -> tuple[int, ...]:
            found = rows(
                connection, f"SELECT id FROM {table} WHERE session_id = ? ORDER BY id", session_id
            )
            return tuple(r[0] for r in found)

        assert rows(connection, "SELECT status FROM supervision_sessions ORDER BY id") == [
            ("final",),
            ("draft",),
        ]
        return Records(
            template=path,
            final=final,
            draft=draft,
            final_cases=ids("supervision_cases", final),
            final_actions=ids("supervision_actions", final),
            addendum=ids("supervision_addenda", final)[0],
            draft_case=ids("supervision_cases", draft)[0],
            draft_action=ids("supervision_actions", draft)[0],
            spare_case=held[3],
            other_worker=other,
        )


@pytest.fixture
def connection(records: Records, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection to this test's own copy of the records (foreign keys off, as a
    plain ``sqlite3`` session has them: only the triggers stand in the way)."""
    path = tmp_path / "records.db"
    shutil.copyfile(records.template, path)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as opened:
        yield opened


def snapshot(connection: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {table: rows(connection, f"SELECT * FROM {table} ORDER BY id") for table in TABLES}


CASE_COLUMNS = (
    "session_id, position, case_id, current_position, lived_experience, decision, rationale"
)
ACTION_COLUMNS = (
    "session_id, position, case_id, action, owner_worker_id, due, status, done_on, version"
)

REFUSED: dict[str, tuple[str, str]] = {
    # The session row.
    "session text": (
        "UPDATE supervision_sessions SET wellbeing = 'Rewritten' WHERE id = :final",
        "cannot be changed",
    ),
    "session back to draft": (
        "UPDATE supervision_sessions SET status = 'draft' WHERE id = :final",
        "cannot be changed",
    ),
    "session sha": (
        "UPDATE supervision_sessions SET pdf_sha256 = 'x' WHERE id = :final",
        "cannot be changed",
    ),
    "session snapshot": (
        "UPDATE supervision_sessions SET snapshot = '{}' WHERE id = :final",
        "cannot be changed",
    ),
    "session version only": (
        "UPDATE supervision_sessions SET version = version + 1 WHERE id = :final",
        "cannot be changed",
    ),
    "session delete": (
        "DELETE FROM supervision_sessions WHERE id = :final",
        "cannot be deleted",
    ),
    # Its cases discussed.
    "case insert": (
        f"INSERT INTO supervision_cases ({CASE_COLUMNS}) "
        "VALUES (:final, 9, :spare_case, 'Added later', '', '', '')",
        "cases of a final supervision record",
    ),
    "case update": (
        "UPDATE supervision_cases SET decision = 'Changed' WHERE id = :final_case",
        "cases of a final supervision record",
    ),
    "case moved to another case": (
        "UPDATE supervision_cases SET case_id = :spare_case WHERE id = :final_case",
        "cases of a final supervision record",
    ),
    "case moved out to the draft": (
        "UPDATE supervision_cases SET session_id = :draft WHERE id = :final_case",
        "cases of a final supervision record",
    ),
    "case delete": (
        "DELETE FROM supervision_cases WHERE session_id = :final",
        "cases of a final supervision record",
    ),
    # Its actions: only status, done_on and version may change.
    "action text": (
        "UPDATE supervision_actions SET action = 'Something else' WHERE id = :final_action",
        "only the status",
    ),
    "action owner": (
        "UPDATE supervision_actions SET owner_worker_id = :other_worker WHERE id = :final_action",
        "only the status",
    ),
    "action due": (
        "UPDATE supervision_actions SET due = '2027-01-31' WHERE id = :final_action",
        "only the status",
    ),
    "action due cleared": (
        "UPDATE supervision_actions SET due = NULL WHERE id = :final_action",
        "only the status",
    ),
    "action case cleared": (
        "UPDATE supervision_actions SET case_id = NULL WHERE id = :final_action",
        "only the status",
    ),
    "action position": (
        "UPDATE supervision_actions SET position = 7 WHERE id = :final_action",
        "only the status",
    ),
    "action moved out to the draft": (
        "UPDATE supervision_actions SET session_id = :draft WHERE id = :final_action",
        "only the status",
    ),
    "action text with status": (
        "UPDATE supervision_actions SET status = 'done', action = 'Done, differently' "
        "WHERE id = :final_action",
        "only the status",
    ),
    "action delete": (
        "DELETE FROM supervision_actions WHERE id = :final_action",
        "cannot be added or removed",
    ),
    "action insert": (
        f"INSERT INTO supervision_actions ({ACTION_COLUMNS}) "
        "VALUES (:final, 9, NULL, 'Added later', :other_worker, NULL, 'open', NULL, 1)",
        "cannot be added or removed",
    ),
    # Its addenda: insert-only.
    "addendum text": (
        "UPDATE supervision_addenda SET text = 'Rewritten' WHERE id = :addendum",
        "addendum cannot be changed",
    ),
    "addendum sha": (
        "UPDATE supervision_addenda SET pdf_sha256 = NULL WHERE id = :addendum",
        "addendum cannot be changed",
    ),
    "addendum delete": (
        "DELETE FROM supervision_addenda WHERE id = :addendum",
        "addendum cannot be removed",
    ),
    "addendum on a draft": (
        "INSERT INTO supervision_addenda (session_id, text, added_at, added_by, pdf_sha256) "
        "VALUES (:draft, 'Too early', '2026-11-26 10:00:00.000000', 'tm.tester', NULL)",
        "addendum is added to a final record",
    ),
    # Rows moved into a final record from a draft are cases and actions added to it.
    "draft case moved into the final record": (
        "UPDATE supervision_cases SET session_id = :final WHERE id = :draft_case",
        "final supervision record",
    ),
    "draft action moved into the final record": (
        "UPDATE supervision_actions SET session_id = :final WHERE id = :draft_action",
        "final",
    ),
}


@pytest.mark.parametrize("change", list(REFUSED))
def test_a_change_to_a_final_record_is_refused_and_changes_nothing(
    records: Records, connection: sqlite3.Connection, change: str
) -> None:
    sql, message = REFUSED[change]
    before = snapshot(connection)

    with pytest.raises(sqlite3.IntegrityError, match=message):
        connection.execute(sql, records.ids())

    assert snapshot(connection) == before


def test_an_actions_status_can_still_change(
    records: Records, connection: sqlite3.Connection
) -> None:
    action = records.final_actions[1]
    before = snapshot(connection)

    connection.execute(
        "UPDATE supervision_actions SET status = 'done', done_on = '2026-11-27', "
        "version = version + 1 WHERE id = ?",
        (action,),
    )

    after = snapshot(connection)
    assert rows(
        connection, "SELECT status, done_on, version FROM supervision_actions WHERE id = ?", action
    ) == [("done", "2026-11-27", 2)]
    changed = [table for table in TABLES if after[table] != before[table]]  # nothing else moved
    assert changed == ["supervision_actions"]
    other = [r for r in after["supervision_actions"] if r[0] != action]
    assert other == [r for r in before["supervision_actions"] if r[0] != action]


def test_an_addendum_can_be_added_to_a_final_record(
    records: Records, connection: sqlite3.Connection
) -> None:
    connection.execute(
        "INSERT INTO supervision_addenda (session_id, text, added_at, added_by, pdf_sha256) "
        "VALUES (?, 'Second addendum', '2026-11-28 10:00:00.000000', 'tm.tester', NULL)",
        (records.final,),
    )
    assert rows(
        connection,
        "SELECT text FROM supervision_addenda WHERE session_id = ? ORDER BY id",
        records.final,
    ) == [("Meeting held on 27 Nov.",), ("Second addendum",)]


def test_a_draft_is_edited_finalised_or_deleted_freely(
    records: Records, connection: sqlite3.Connection
) -> None:
    ids = records.ids()
    connection.execute(
        "UPDATE supervision_sessions SET wellbeing = 'Edited' WHERE id = :draft", ids
    )
    connection.execute(
        "UPDATE supervision_cases SET decision = 'Decided' WHERE id = :draft_case", ids
    )
    connection.execute(
        "UPDATE supervision_actions SET action = 'Reworded', due = NULL WHERE id = :draft_action",
        ids,
    )
    connection.execute(
        f"INSERT INTO supervision_cases ({CASE_COLUMNS}) "
        "VALUES (:draft, 1, :spare_case, 'Added', '', '', '')",
        ids,
    )
    connection.execute("DELETE FROM supervision_actions WHERE session_id = :draft", ids)
    connection.execute("DELETE FROM supervision_cases WHERE session_id = :draft", ids)
    connection.execute("DELETE FROM supervision_sessions WHERE id = :draft", ids)
    assert rows(connection, "SELECT id FROM supervision_sessions") == [(records.final,)]


def test_a_draft_becomes_final_and_is_then_fixed(
    records: Records, connection: sqlite3.Connection
) -> None:
    ids = records.ids()
    connection.execute(
        "UPDATE supervision_sessions SET status = 'final', pdf_sha256 = 'abc' WHERE id = :draft",
        ids,
    )
    with pytest.raises(sqlite3.IntegrityError):
        connection.execute(
            "UPDATE supervision_cases SET decision = 'Late' WHERE id = :draft_case", ids
        )
    with pytest.raises(sqlite3.IntegrityError):
        connection.execute(
            "UPDATE supervision_sessions SET status = 'draft' WHERE id = :draft", ids
        )
