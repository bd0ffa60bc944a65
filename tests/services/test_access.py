"""Roles enforced in the services: real databases, the same calls the GUI and CLI make."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseload_desktop import cli
from caseload_desktop.domain.categories import Role
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.errors import BadInput
from caseload_desktop.services import access, reassignment, settings
from caseload_desktop.services.access import PermissionDenied
from caseload_desktop.services.supervision import DraftInput, create_draft
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import (
    Allocation,
    AuditEvent,
    Case,
    Team,
    Worker,
)
from tests.conftest import TODAY

ADMIN = "ada.admin"


def _teams(db: Database) -> list[tuple[int, str]]:
    with db.read() as session:
        return [
            (r[0], r[1]) for r in session.execute(sa.select(Team.id, Team.name).order_by(Team.name))
        ]


def _manager_of(db: Database, team_id: int) -> tuple[int, str]:
    with db.read() as session:
        row = session.execute(
            sa.select(Worker.id, Worker.staff_id).where(
                Worker.team_id == team_id, Worker.role == Role.TEAM_MANAGER
            )
        ).first()
    assert row is not None
    return row[0], row[1]


def _allocated_case(db: Database, team_id: int) -> str:
    with db.read() as session:
        return str(
            session.execute(
                sa.select(Case.case_ref)
                .join(Allocation, Allocation.case_id == Case.id)
                .where(
                    Case.team_id == team_id,
                    Case.closed_on.is_(None),
                    Allocation.ended_on.is_(None),
                    Allocation.worker_id.is_not(None),
                )
                .order_by(Case.case_ref)
                .limit(1)
            ).scalar_one()
        )


def _to_queue(db: Database, ref: str, actor: str) -> reassignment.Result:
    return reassignment.reassign(
        db,
        reassignment.Request(case_refs=[ref], to_worker_id=None, reason=ChangeReason.MANAGE),
        rules=settings.load_settings(db).rules,
        today=TODAY,
        actor=actor,
    )


def _denials(db: Database) -> list[str]:
    with db.read() as session:
        return list(
            session.execute(
                sa.select(AuditEvent.actor).where(AuditEvent.action == "permission.denied")
            ).scalars()
        )


@pytest.fixture
def mapped(demo_db: Database) -> tuple[Database, list[tuple[int, str]]]:
    """An admin, a team manager of the first team, a service manager and a read-only user."""
    teams = _teams(demo_db)
    _manager_id, staff = _manager_of(demo_db, teams[0][0])
    access.set_mapping(demo_db, ADMIN, ["admin"], actor=ADMIN)
    access.set_mapping(demo_db, "tina.tm", ["team_manager"], staff_id=staff, actor=ADMIN)
    access.set_mapping(demo_db, "sam.sm", ["service manager"], actor=ADMIN)
    access.set_mapping(demo_db, "rita.ro", ["read-only"], actor=ADMIN)
    return demo_db, teams


def test_a_database_without_mappings_lets_its_one_user_do_everything(demo_db: Database) -> None:
    ref = _allocated_case(demo_db, _teams(demo_db)[0][0])
    assert _to_queue(demo_db, ref, "anyone").moved
    who = access.principal_of(demo_db, "anyone")
    assert not who.mapped and all(who.may(a) for a in access.Action)


def test_a_read_only_user_cannot_reassign_and_the_refusal_is_audited(
    mapped: tuple[Database, list[tuple[int, str]]],
) -> None:
    db, teams = mapped
    ref = _allocated_case(db, teams[0][0])
    with pytest.raises(PermissionDenied, match=r"rita.ro .*read only.* may not reassign"):
        _to_queue(db, ref, "rita.ro")
    with pytest.raises(PermissionDenied):
        _to_queue(db, ref, "someone.unmapped")  # unmapped, once anyone is mapped: read only
    assert _denials(db) == ["rita.ro", "someone.unmapped"]
    with db.read() as session:
        assert (
            session.execute(
                sa.select(sa.func.count()).where(Allocation.created_by.in_(["rita.ro"]))
            ).scalar_one()
            == 0
        )


def test_a_team_manager_reassigns_in_their_own_team_only(
    mapped: tuple[Database, list[tuple[int, str]]],
) -> None:
    db, teams = mapped
    own, other = teams[0], teams[1]
    assert _to_queue(db, _allocated_case(db, own[0]), "tina.tm").moved
    with pytest.raises(PermissionDenied, match=f"only in their own teams, not in {other[1]}"):
        _to_queue(db, _allocated_case(db, other[0]), "tina.tm")
    assert _to_queue(db, _allocated_case(db, other[0]), "sam.sm").moved  # any team


def test_supervision_and_settings_follow_the_roles(
    mapped: tuple[Database, list[tuple[int, str]]],
) -> None:
    db, teams = mapped
    worker_other_team, _staff = _manager_of(db, teams[1][0])
    draft = DraftInput(held_on=TODAY)
    with pytest.raises(PermissionDenied):
        create_draft(db, worker_other_team, draft, actor="tina.tm", today=TODAY)
    assert create_draft(db, worker_other_team, draft, actor="sam.sm", today=TODAY) > 0
    with pytest.raises(PermissionDenied, match="may not change the council's settings"):
        settings.change(db, {"escalation.days": 20}, actor="sam.sm")
    settings.change(db, {"escalation.days": 20}, actor=ADMIN)
    assert settings.load_settings(db).rules.escalation_days == 20


def test_only_an_admin_changes_the_mapping_and_the_last_admin_stays(
    mapped: tuple[Database, list[tuple[int, str]]],
) -> None:
    db, _ = mapped
    with pytest.raises(PermissionDenied):
        access.set_mapping(db, "rita.ro", ["admin"], actor="sam.sm")
    with pytest.raises(BadInput, match="only admin"):
        access.remove_mapping(db, ADMIN, actor=ADMIN)
    access.remove_mapping(db, "sam.sm", actor=ADMIN)
    assert not access.principal_of(db, "sam.sm").may(access.Action.REASSIGN)


def test_the_first_mapping_must_be_an_admin_mapping_of_yourself(demo_db: Database) -> None:
    with pytest.raises(BadInput, match="first mapping"):
        access.set_mapping(demo_db, "someone.else", ["admin"], actor=ADMIN)
    with pytest.raises(BadInput, match="first mapping"):
        access.set_mapping(demo_db, ADMIN, ["team_manager"], actor=ADMIN)
    with pytest.raises(BadInput, match="Unknown role"):
        access.set_mapping(demo_db, ADMIN, ["boss"], actor=ADMIN)


def test_cli_users_and_a_refused_reassign(
    demo_db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        return cli.main([*argv, "--db", str(demo_db_path)], out=out), out.getvalue()

    monkeypatch.setattr("getpass.getuser", lambda: "ada.admin")
    assert run("users", "set", "ada.admin", "--role", "admin")[0] == 0
    assert run("users", "set", "rita.ro", "--role", "read_only")[0] == 0
    status, text = run("users", "list", "--json")
    assert status == 0 and {r["os_user"] for r in json.loads(text)} == {"ada.admin", "rita.ro"}

    monkeypatch.setattr("getpass.getuser", lambda: "rita.ro")
    status, text = run("whoami", "--json")
    assert json.loads(text)["roles"] == ["read_only"] and json.loads(text)["may"] == []
    status, _text = run("reassign", "C-100001", "--to-queue", "--reason", "MANAGE")
    err = capsys.readouterr().err
    assert status == 2 and "may not reassign" in err and "Traceback" not in err
    assert run("queue")[0] == 0  # reading is allowed


def test_cli_reads_are_limited_to_a_team_managers_own_team(
    mapped: tuple[Database, list[tuple[int, str]]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, teams = mapped

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        return cli.main([*argv, "--db", str(db.path)], out=out), out.getvalue()

    monkeypatch.setattr("getpass.getuser", lambda: "tina.tm")
    status, text = run("queue", "--json")
    assert status == 0 and json.loads(text)["team"] == teams[0][1]
    status, _text = run("cases", "--team", teams[1][1])
    assert status == 2 and "not one of your teams" in capsys.readouterr().err
    monkeypatch.setattr("getpass.getuser", lambda: "rita.ro")
    status, text = run("queue", "--json")
    assert status == 0 and json.loads(text)["team"] is None  # read-only reads every team
