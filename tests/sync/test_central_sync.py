"""Sync with a real central PostgreSQL: two desktops sharing a team, conflicts both ways,
exactly-once push through server crashes, pull, the baseline, the CLI.

Every desktop is a real SQLite file; central is a real PostgreSQL server (see conftest.py).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from caseload_desktop import cli
from caseload_desktop.domain.categories import Role
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.errors import BadInput, NotFound
from caseload_desktop.services import reassignment, settings, supervision
from caseload_desktop.services import sync as sync_service
from caseload_desktop.services.supervision import DraftInput
from caseload_desktop.store import queries
from caseload_desktop.store.engine import Database, create_database, open_database
from caseload_desktop.store.models import (
    Allocation,
    AuditEvent,
    Case,
    OutboxEvent,
    Team,
    Worker,
)
from caseload_desktop.sync.central import CentralNotReady, CentralUnavailable
from tests.conftest import TODAY, record_leave_date

pytestmark = pytest.mark.filterwarnings("ignore::platformdirs.api.RuntimeDirWarning")

# --- Helpers ----------------------------------------------------------------------------------


def _rules(db: Database) -> Any:
    return settings.load_settings(db).rules


def _open(path: Path) -> Database:
    db, _ = open_database(path)
    return db


@pytest.fixture
def desktop_a(demo_db_path: Path) -> Iterator[Database]:
    """A desktop holding the demo service (its data is published as the baseline)."""
    db = _open(demo_db_path)
    yield db
    db.close()


@pytest.fixture
def desktop_b(tmp_path: Path) -> Iterator[Database]:
    """An empty desktop (``caseload init``): it receives a team from central."""
    db = create_database(tmp_path / "b.db")
    yield db
    db.close()


def _team(db: Database) -> str:
    """The demo team with the most open cases."""
    with db.read() as session:
        return str(
            session.execute(
                sa.select(Team.name)
                .join(Case, Case.team_id == Team.id)
                .where(Case.closed_on.is_(None))
                .group_by(Team.id)
                .order_by(sa.func.count().desc(), Team.name)
                .limit(1)
            ).scalar_one()
        )


def _board(db: Database, team: str) -> tuple[Any, ...]:
    """What a manager sees of a team: every open case with its worker, and every caseload."""
    with db.read() as session:
        team_id = queries.find_team(session, team).id
        # Every field but the local ids and versions, which each database numbers itself.
        cases = sorted(
            tuple(
                (k, v)
                for k, v in dataclasses.asdict(r).items()
                if not k.endswith("_id") and k != "version"
            )
            for r in queries.open_cases(session, TODAY, team_id=team_id)
        )
    caseloads = _cli_json(db, "caseloads", "--team", team)
    return tuple(cases), json.dumps(caseloads, sort_keys=True)


def _cli(db: Database | Path, *argv: str) -> tuple[int, str]:
    path = db.path if isinstance(db, Database) else db
    out = io.StringIO()
    status = cli.main([*argv, "--db", str(path)], out=out)
    return status, out.getvalue()


def _cli_json(db: Database, *argv: str) -> Any:
    status, text = _cli(db, *argv, "--json")
    assert status == 0, text
    return json.loads(text)


def _worker_id(db: Database, team: str, *, role: Role | None = None, skip: int = 0) -> int:
    """An active worker of the team who can hold any case (a manager or senior)."""
    with db.read() as session:
        query = (
            sa.select(Worker.id)
            .join(Team, Team.id == Worker.team_id)
            .where(Team.name == team, Worker.end_date.is_(None))
            .order_by(Worker.staff_id)
        )
        if role is not None:
            query = query.where(Worker.role == role)
        ids = list(session.execute(query).scalars())
    return ids[skip]


def _open_cases(db: Database, team: str) -> list[tuple[int, str]]:
    with db.read() as session:
        return [
            (r.id, r.case_ref)
            for r in session.execute(
                sa.select(Case.id, Case.case_ref)
                .join(Team, Team.id == Case.team_id)
                .where(Team.name == team, Case.closed_on.is_(None))
                .order_by(Case.case_ref)
            )
        ]


def _move(db: Database, case_refs: list[str], worker_id: int | None) -> reassignment.Result:
    return reassignment.reassign(
        db,
        reassignment.Request(
            case_refs=case_refs,
            to_worker_id=worker_id,
            reason=ChangeReason.MANAGE,
            accept_over_capacity=True,
        ),
        rules=_rules(db),
        today=TODAY,
        actor="test.manager",
    )


def _holder(db: Database, case_ref: str) -> str | None:
    with db.read() as session:
        return session.execute(
            sa.select(Worker.staff_id)
            .select_from(Allocation)
            .join(Case, Case.id == Allocation.case_id)
            .outerjoin(Worker, Worker.id == Allocation.worker_id)
            .where(Case.case_ref == case_ref, Allocation.ended_on.is_(None))
        ).scalar_one_or_none()


def _staff_id(db: Database, worker_id: int) -> str:
    with db.read() as session:
        return str(
            session.execute(sa.select(Worker.staff_id).where(Worker.id == worker_id)).scalar_one()
        )


def _waiting(db: Database) -> int:
    return sync_service.status(db).waiting


def _central(url: str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _central_holders(url: str, team: str) -> dict[str, str | None]:
    rows = _central(
        url,
        "SELECT c.case_ref, w.staff_id FROM allocations a JOIN cases c ON c.id = a.case_id "
        "JOIN teams t ON t.id = c.team_id LEFT JOIN workers w ON w.id = a.worker_id "
        "WHERE a.ended_on IS NULL AND t.name = %s",
        team,
    )
    return {str(ref): staff for ref, staff in rows}


def _local_holders(db: Database, team: str) -> dict[str, str | None]:
    with db.read() as session:
        return dict(
            session.execute(
                sa.select(Case.case_ref, Worker.staff_id)
                .select_from(Allocation)
                .join(Case, Case.id == Allocation.case_id)
                .join(Team, Team.id == Case.team_id)
                .outerjoin(Worker, Worker.id == Allocation.worker_id)
                .where(Allocation.ended_on.is_(None), Team.name == team)
            ).all()
        )


# --- Central schema -----------------------------------------------------------------------------


def test_central_init_creates_then_finds_it_up_to_date(pg_server: Any) -> None:
    name = pg_server.create_database()
    try:
        url = pg_server.url_of(name)
        before, after = sync_service.init_central(url)
        assert before is None and after
        assert sync_service.init_central(url) == (after, after)
        tables = {
            r[0]
            for r in _central(url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        assert {
            "cases",
            "allocations",
            "received_events",
            "conflicts",
            "supervision_records",
        } <= tables
    finally:
        pg_server.drop_database(name)


def test_a_newer_central_schema_is_refused_and_left_alone(central_url: str) -> None:
    with psycopg.connect(central_url) as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'c9999'")
    with pytest.raises(CentralNotReady, match="newer than this version"):
        sync_service.init_central(central_url)
    assert _central(central_url, "SELECT version_num FROM alembic_version") == [("c9999",)]


def test_sync_with_a_server_without_the_schema_says_to_init_it(
    pg_server: Any, desktop_a: Database
) -> None:
    name = pg_server.create_database()
    try:
        with pytest.raises(CentralNotReady, match="central init"):
            sync_service.sync_central(desktop_a, pg_server.url_of(name))
    finally:
        pg_server.drop_database(name)


def test_one_current_allocation_per_case_holds_in_central_too(
    central_url: str, desktop_a: Database
) -> None:
    sync_service.sync_central(desktop_a, central_url)
    with pytest.raises(psycopg.errors.UniqueViolation):
        _central(
            central_url,
            "INSERT INTO allocations (case_id, worker_id, started_on, reason_text, created_by, "
            "created_at) SELECT case_id, worker_id, started_on, '', 'x', now() FROM allocations "
            "WHERE ended_on IS NULL LIMIT 1",
        )


# --- Two desktops share a team ------------------------------------------------------------------


def test_a_reassignment_on_one_desktop_reaches_the_other(
    central_url: str, desktop_a: Database, desktop_b: Database
) -> None:
    team = _team(desktop_a)
    first = sync_service.sync_central(desktop_a, central_url)
    assert first.baseline > 0 and first.conflicts == 0

    received = sync_service.sync_central(desktop_b, central_url, teams=[team])
    assert received.pulled > 0
    assert _board(desktop_b, team) == _board(desktop_a, team)

    _case_id, case_ref = _open_cases(desktop_a, team)[0]
    target = _worker_id(desktop_a, team, role=Role.TEAM_MANAGER)
    _move(desktop_a, [case_ref], target)
    sent = sync_service.sync_central(desktop_a, central_url)
    assert (sent.pushed, sent.conflicts) == (1, 0)

    pulled = sync_service.sync_central(desktop_b, central_url)
    assert pulled.pulled == 1
    assert _holder(desktop_b, case_ref) == _staff_id(desktop_a, target)
    assert _board(desktop_b, team) == _board(desktop_a, team)
    with desktop_b.read() as session:
        actions = list(session.execute(sa.select(AuditEvent.action)).scalars())
    assert "allocation.pulled" in actions


def test_re_running_sync_sends_and_applies_nothing_twice(
    central_url: str, desktop_a: Database
) -> None:
    team = _team(desktop_a)
    sync_service.sync_central(desktop_a, central_url)
    refs = [ref for _id, ref in _open_cases(desktop_a, team)[:8]]
    moved = len(_move(desktop_a, refs, _worker_id(desktop_a, team, role=Role.TEAM_MANAGER)).moved)
    assert moved > 0
    assert sync_service.sync_central(desktop_a, central_url).pushed == moved
    again = sync_service.sync_central(desktop_a, central_url)
    assert (again.pushed, again.pulled, again.conflicts, again.baseline) == (0, 0, 0, 0)
    # Even when the desktop lost its record of sending (a crash after central committed).
    with desktop_a.write() as session:
        session.execute(sa.update(OutboxEvent).values(sent_at=None))
    resent = sync_service.sync_central(desktop_a, central_url)
    assert resent.pushed == 0 and resent.already > 0
    counts = _central(
        central_url,
        "SELECT count(*), count(DISTINCT event_uuid) FROM allocations WHERE event_uuid IS NOT NULL",
    )
    assert counts == [(moved, moved)]
    assert _waiting(desktop_a) == 0


def test_an_empty_desktop_must_name_its_team(central_url: str, desktop_b: Database) -> None:
    with pytest.raises(BadInput, match="--team"):
        sync_service.sync_central(desktop_b, central_url)
    with pytest.raises(NotFound, match="no team named Nowhere"):
        sync_service.sync_central(desktop_b, central_url, teams=["Nowhere"])


def test_changes_waiting_before_the_first_sync_replay_on_the_baseline(
    central_url: str, desktop_a: Database, desktop_b: Database
) -> None:
    """A desktop that worked offline before it ever synced: central gets the allocation as it
    stood, then the waiting change on top, with no conflict."""
    team = _team(desktop_a)
    _id, ref = _open_cases(desktop_a, team)[0]
    before = _holder(desktop_a, ref)
    target = _worker_id(desktop_a, team, role=Role.TEAM_MANAGER)
    _move(desktop_a, [ref], target)
    result = sync_service.sync_central(desktop_a, central_url)
    assert (result.pushed, result.conflicts) == (1, 0)
    history = _central(
        central_url,
        "SELECT w.staff_id, a.ended_on IS NULL FROM allocations a JOIN cases c ON c.id = a.case_id "
        "LEFT JOIN workers w ON w.id = a.worker_id WHERE c.case_ref = %s ORDER BY a.id",
        ref,
    )
    assert history == [(before, False), (_staff_id(desktop_a, target), True)]
    sync_service.sync_central(desktop_b, central_url, teams=[team])
    assert _board(desktop_b, team) == _board(desktop_a, team)


# --- Conflicts ----------------------------------------------------------------------------------


@pytest.fixture
def conflict(
    central_url: str, desktop_a: Database, desktop_b: Database
) -> tuple[str, str, int, int]:
    """Both desktops move the same case while apart; A syncs first. Returns the team, the
    case, A's worker and B's worker."""
    team = _team(desktop_a)
    sync_service.sync_central(desktop_a, central_url)
    sync_service.sync_central(desktop_b, central_url, teams=[team])
    _id, ref = _open_cases(desktop_a, team)[0]
    a_worker = _worker_id(desktop_a, team, role=Role.TEAM_MANAGER)
    b_worker = _worker_id(desktop_b, team, role=Role.SENIOR_PRACTITIONER)
    _move(desktop_a, [ref], a_worker)
    _move(desktop_b, [ref], b_worker)
    assert sync_service.sync_central(desktop_a, central_url).conflicts == 0
    second = sync_service.sync_central(desktop_b, central_url)
    assert (second.pushed, second.conflicts, second.new_conflicts) == (1, 1, 1)
    return team, ref, a_worker, b_worker


def test_the_second_to_sync_gets_a_conflict_and_central_keeps_the_first(
    conflict: tuple[str, str, int, int], central_url: str, desktop_a: Database, desktop_b: Database
) -> None:
    team, ref, a_worker, b_worker = conflict
    a_staff = _staff_id(desktop_a, a_worker)
    assert _central_holders(central_url, team)[ref] == a_staff
    # Nothing is overwritten on B either: it still shows its own change until the manager
    # chooses.
    assert _holder(desktop_b, ref) == _staff_id(desktop_b, b_worker)
    [row] = sync_service.conflicts(desktop_b)
    assert row.case_ref == ref
    assert _staff_id(desktop_b, b_worker) in row.my_worker
    assert a_staff in row.central_worker
    assert row.central_by == "test.manager" and row.my_by == "test.manager"
    assert row.central_at and row.my_effective == TODAY.isoformat()
    # Syncing again changes nothing while it waits.
    again = sync_service.sync_central(desktop_b, central_url)
    assert (again.pushed, again.pulled, again.conflicts) == (0, 0, 1)
    assert _holder(desktop_b, ref) == _staff_id(desktop_b, b_worker)


def test_keeping_centrals_state_settles_it_everywhere(
    conflict: tuple[str, str, int, int], central_url: str, desktop_a: Database, desktop_b: Database
) -> None:
    team, ref, a_worker, _b_worker = conflict
    [row] = sync_service.conflicts(desktop_b)
    sync_service.keep_central(desktop_b, row.id, actor="test.manager")
    assert _holder(desktop_b, ref) == _staff_id(desktop_a, a_worker)
    assert sync_service.conflicts(desktop_b) == []
    sync_service.sync_central(desktop_b, central_url)
    assert _central(
        central_url, "SELECT resolution, resolved_by FROM conflicts WHERE case_ref = %s", ref
    ) == [("kept_central", "test.manager")]
    sync_service.sync_central(desktop_a, central_url)
    assert _board(desktop_b, team) == _board(desktop_a, team)
    with pytest.raises(BadInput, match="already settled"):
        sync_service.keep_central(desktop_b, row.id)


def test_applying_mine_again_wins_as_a_new_reassignment(
    conflict: tuple[str, str, int, int], central_url: str, desktop_a: Database, desktop_b: Database
) -> None:
    team, ref, _a_worker, b_worker = conflict
    [row] = sync_service.conflicts(desktop_b)
    sync_service.apply_mine_again(desktop_b, row.id, actor="test.manager")
    result = sync_service.sync_central(desktop_b, central_url)
    assert (result.pushed, result.conflicts) == (2, 0)  # the resolution and the reassignment
    b_staff = _staff_id(desktop_b, b_worker)
    assert _central_holders(central_url, team)[ref] == b_staff
    sync_service.sync_central(desktop_a, central_url)
    assert _holder(desktop_a, ref) == b_staff
    assert _board(desktop_b, team) == _board(desktop_a, team)
    with desktop_b.read() as session:
        resolved = session.execute(
            sa.select(AuditEvent.detail).where(AuditEvent.action == "conflict.resolved")
        ).scalar_one()
    assert resolved is not None and resolved["resolution"] == "applied_mine"


def test_a_conflict_shows_centrals_latest_state(
    conflict: tuple[str, str, int, int], central_url: str, desktop_a: Database, desktop_b: Database
) -> None:
    _team_name, ref, _a_worker, _b_worker = conflict
    _move(desktop_a, [ref], None)
    sync_service.sync_central(desktop_a, central_url)
    sync_service.sync_central(desktop_b, central_url)
    [row] = sync_service.conflicts(desktop_b)
    assert row.central_worker.startswith("Nobody")
    sync_service.keep_central(desktop_b, row.id)
    assert _holder(desktop_b, ref) is None


# --- Faults: the server dies mid-push -----------------------------------------------------------


def _many_events(db: Database, team: str, rounds: int) -> int:
    """Move the team's open cases to the queue and back to the manager, ``rounds`` times:
    two outbox events per case per round."""
    refs = [ref for _id, ref in _open_cases(db, team)]
    manager = _worker_id(db, team, role=Role.TEAM_MANAGER)
    for _ in range(rounds):
        _move(db, refs, None)
        _move(db, refs, manager)
    return _waiting(db)


@pytest.mark.parametrize("where", ["between batches", "inside a batch", "an error inside a batch"])
def test_a_push_cut_anywhere_applies_every_event_exactly_once(
    where: str, stoppable_server: Any, demo_db_path: Path
) -> None:
    url = stoppable_server.url_of(stoppable_server.create_database())
    sync_service.init_central(url)
    db = _open(demo_db_path)
    team = _team(db)
    sync_service.sync_central(db, url)  # the baseline
    cases = len(_open_cases(db, team))
    total = _many_events(db, team, rounds=max(1, 5000 // (2 * cases)))
    assert total >= 5000 - 2 * cases

    def stop_between_batches(done: int, _total: int) -> None:
        if done == 1500:
            stoppable_server.stop()

    # The fault hook is called inside a batch's central transaction after each round of
    # writes, with how many of the batch's events are applied so far: cut the fourth batch
    # (three have committed) once some of its rows are written.
    batches = {"seen": 0, "last": 0}

    def in_fourth_batch(applied: int) -> bool:
        if applied <= batches["last"]:
            batches["seen"] += 1
        batches["last"] = applied
        return batches["seen"] == 3

    def stop_inside(applied: int) -> None:
        if in_fourth_batch(applied):
            stoppable_server.stop()

    def fail_inside(applied: int) -> None:
        if in_fourth_batch(applied):
            raise RuntimeError(f"a fault injected after {applied} rows of a batch")

    cuts: dict[str, dict[str, Any]] = {
        "between batches": {"progress": stop_between_batches},
        "inside a batch": {"fault": stop_inside},
        "an error inside a batch": {"fault": fail_inside},
    }
    cut = cuts[where]
    expected_error = RuntimeError if where == "an error inside a batch" else CentralUnavailable
    with pytest.raises(expected_error):
        sync_service.sync_central(db, url, batch_size=500, **cut)
    left = _waiting(db)
    assert left == total - 1500  # three batches committed and were marked sent

    # Offline meanwhile: the desktop keeps working, and its change waits in the outbox.
    if where != "an error inside a batch":
        with pytest.raises(CentralUnavailable):
            sync_service.sync_central(db, url)
        _id, ref = _open_cases(db, team)[0]
        _move(db, [ref], None)
        total += 1
        stoppable_server.start()

    result = sync_service.sync_central(db, url)
    assert _waiting(db) == 0
    with db.read() as session:
        uuids = set(
            session.execute(
                sa.select(OutboxEvent.uuid).where(OutboxEvent.kind == "allocation.changed")
            ).scalars()
        )
    received = _central(url, "SELECT uuid, outcome FROM received_events")
    assert {u for u, _o in received} == uuids
    assert {o for _u, o in received} == {"applied"}
    applied = _central(
        url,
        "SELECT count(*), count(DISTINCT event_uuid) FROM allocations WHERE event_uuid IS NOT NULL",
    )
    assert applied == [(len(uuids), len(uuids))]
    assert _central_holders(url, team) == _local_holders(db, team)
    assert result.conflicts == 0
    db.close()


# --- Documents and settings ------------------------------------------------------------------


def test_a_final_supervision_record_reaches_central_with_its_pdf(
    central_url: str, desktop_a: Database
) -> None:
    team = _team(desktop_a)
    worker = _worker_id(desktop_a, team, role=Role.SOCIAL_WORKER)
    draft = DraftInput(held_on=TODAY, wellbeing="Well; planning leave.", workload="Manageable.")
    session_id = supervision.create_draft(
        desktop_a, worker, draft, actor="test.manager", today=TODAY
    )
    stored = settings.load_settings(desktop_a)
    supervision.finalise(
        desktop_a,
        session_id,
        expected_version=1,
        actor="test.manager",
        rules=stored.rules,
        style=stored.records,
    )
    with desktop_a.read() as session:
        payload = session.execute(
            sa.select(OutboxEvent.payload).where(OutboxEvent.kind == "supervision.finalised")
        ).scalar_one()
    sync_service.sync_central(desktop_a, central_url)
    [(record_id, sha, pdf)] = _central(
        central_url, "SELECT record_id, sha256, pdf FROM supervision_records"
    )
    assert record_id == payload["record_id"]
    assert hashlib.sha256(bytes(pdf)).hexdigest() == sha == payload["sha256"]
    assert bytes(pdf) == base64.b64decode(str(payload["pdf"]))
    assert bytes(pdf).startswith(b"%PDF")


def test_a_settings_change_reaches_another_desktop(
    central_url: str, desktop_a: Database, desktop_b: Database
) -> None:
    team = _team(desktop_a)
    sync_service.sync_central(desktop_a, central_url)
    sync_service.sync_central(desktop_b, central_url, teams=[team])
    settings.change(desktop_a, {"records.council_name": "Fictional Borough Council"}, actor="admin")
    sync_service.sync_central(desktop_a, central_url)
    result = sync_service.sync_central(desktop_b, central_url)
    assert result.pulled == 1
    assert (
        settings.load_settings(desktop_b).values["records.council_name"]
        == "Fictional Borough Council"
    )


# --- The CLI ------------------------------------------------------------------------------------


def test_cli_sync_prints_the_documented_json(central_url: str, desktop_a: Database) -> None:
    status, text = _cli(desktop_a, "sync", "--central", central_url, "--json")
    assert status == 0
    data = json.loads(text)
    assert {"pushed", "pulled", "conflicts"} <= set(data)
    assert data["baseline"] > 0


def test_cli_sync_to_an_unreachable_server_is_exit_1_and_keeps_the_outbox(
    desktop_a: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    team = _team(desktop_a)
    _move(desktop_a, [_open_cases(desktop_a, team)[0][1]], None)
    waiting = _waiting(desktop_a)
    nowhere = f"postgresql://nobody@/central?host={tmp_path}/no-server&connect_timeout=2"
    status, _text = _cli(desktop_a, "sync", "--central", nowhere)
    err = capsys.readouterr().err
    assert status == 1
    assert "Central records at" in err and "Traceback" not in err
    assert _waiting(desktop_a) == waiting


@pytest.mark.parametrize(
    "argv",
    [
        ["sync"],
        ["sync", "--central", "https://records.example.gov.uk"],
        ["sync", "--central", "not a url"],
        ["sync", "--central", "postgresql://x@/y", "--folder", "/tmp"],
        ["conflicts", "--keep-central", "99"],
        ["conflicts", "--apply-mine", "0"],
        ["central", "init", "--central", "mysql://x/y"],
    ],
)
def test_cli_sync_mistakes_are_exit_2_and_change_nothing(
    argv: list[str], desktop_a: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    before = desktop_a.path.read_bytes()
    status, _text = _cli(desktop_a, *argv)
    err = capsys.readouterr().err
    assert status == 2, err
    assert "Traceback" not in err
    assert desktop_a.path.read_bytes() == before


def test_cli_conflicts_lists_and_settles(
    conflict: tuple[str, str, int, int], desktop_b: Database
) -> None:
    _team_name, ref, _a, _b = conflict
    status, text = _cli(desktop_b, "conflicts")
    assert status == 0 and ref in text and "central:" in text
    [row] = _cli_json(desktop_b, "conflicts")
    status, text = _cli(desktop_b, "conflicts", "--keep-central", str(row["id"]))
    assert status == 0 and "kept" in text
    assert _cli_json(desktop_b, "conflicts") == []
    assert len(_cli_json(desktop_b, "conflicts", "--all")) == 1


def test_cli_central_init(pg_server: Any) -> None:
    name = pg_server.create_database()
    try:
        out = io.StringIO()
        assert cli.main(["central", "init", "--central", pg_server.url_of(name)], out=out) == 0
        assert "Created central records" in out.getvalue()
        out = io.StringIO()
        assert cli.main(["central", "init", "--central", pg_server.url_of(name)], out=out) == 0
        assert "up to date" in out.getvalue()
    finally:
        pg_server.drop_database(name)


# --- Imports reach central --------------------------------------------------------------------


def test_workers_and_cases_imported_after_the_first_sync_reach_another_desktop(
    central_url: str, desktop_a: Database, desktop_b: Database
) -> None:
    from caseload_desktop.services import imports
    from caseload_desktop.store import queries as q

    sync_service.sync_central(desktop_a, central_url)  # the baseline, before the import
    templates = Path(__file__).resolve().parents[2] / "resources" / "templates"
    imports.import_file(desktop_a, templates / "workers.csv", "workers", actor="test.admin")
    imports.import_file(desktop_a, templates / "cases.csv", "cases", actor="test.admin")
    result = sync_service.sync_central(desktop_a, central_url)
    assert result.rejected == 0 and result.conflicts == 0
    with desktop_a.read() as session:
        team = q.find_team(session, "Assessment and Intervention").name
    sync_service.sync_central(desktop_b, central_url, teams=[team])
    assert _board(desktop_b, team) == _board(desktop_a, team)


def test_a_leave_date_central_did_not_take_is_told_with_why_not_counted_silently(
    central_url: str, desktop_a: Database, desktop_b: Database
) -> None:
    """Both desktops record a different leave date for the same worker while apart. Central
    keeps the first; the second desktop is told which change was not applied and why (no
    Conflicts panel row: it is not a case), in the result, the CLI's JSON and the outbox."""
    team = _team(desktop_a)
    sync_service.sync_central(desktop_a, central_url)
    sync_service.sync_central(desktop_b, central_url, teams=[team])
    staff = _staff_id(desktop_a, _worker_id(desktop_a, team, skip=1))

    def leaves(db: Database, on: dt.date) -> None:
        with db.read() as session:
            worker = session.execute(sa.select(Worker.id).where(Worker.staff_id == staff))
            worker_id = worker.scalar_one()
        record_leave_date(db, worker_id, on)

    leaves(desktop_a, TODAY + dt.timedelta(days=30))
    leaves(desktop_b, TODAY + dt.timedelta(days=60))
    assert sync_service.sync_central(desktop_a, central_url).not_applied == ()
    second = sync_service.sync_central(desktop_b, central_url)
    [told] = second.not_applied
    assert (told.kind, told.outcome) == ("worker.leaving", "conflict")
    assert staff in told.detail and "kept" in told.detail
    assert second.conflicts == 0  # nothing for the Conflicts panel to settle
    with desktop_b.read() as session:
        last_error = session.execute(
            sa.select(OutboxEvent.last_error).where(OutboxEvent.uuid == told.uuid)
        ).scalar_one()
    assert last_error is not None and last_error.startswith("central did not apply it: ")
    [listed] = sync_service.not_applied(desktop_b)  # as the Conflicts panel lists it
    assert (listed.uuid, listed.kind, listed.why) == (told.uuid, "worker.leaving", told.detail)
    assert f"({staff}) leaving on " in listed.change and listed.sent_at >= listed.made_at
    assert sync_service.not_applied(desktop_a) == []
    [scripted] = _cli_json(desktop_b, "conflicts", "--not-applied")  # and for scripts
    assert (scripted["uuid"], scripted["why"], scripted["change"]) == (
        told.uuid,
        told.detail,
        listed.change,
    )
    assert scripted["sent_at"].endswith("+00:00")
    assert _cli_json(desktop_a, "conflicts", "--not-applied") == []
    status, text = _cli(desktop_b, "conflicts", "--not-applied")
    assert status == 0 and f"{listed.change}\n    central: {told.detail}\n" in text
    # Told once: the next sync sends nothing again and reports nothing new.
    again = _cli_json(desktop_b, "sync", "--central", central_url)
    assert again["pushed"] == 0 and again["not_applied"] == []
