"""Roles, enforced here in the services, not just hidden in the UI.

Identity is the signed-in operating-system user (``services.identity.current_user``), the same
name every audit event and export records. An admin maps users to roles:

- **team manager**: reads and reassigns (and holds supervision) in their own teams: the team of
  the worker record they are mapped to, and any teams added to the mapping;
- **service manager**: the same in every team;
- **read-only**: views and prints; changes nothing;
- **admin**: imports, settings, and the mapping of users. (A person can hold several roles.)

A database with no mapping at all belongs to one person, who may do everything (as before roles
existed). Once one user is mapped, a user without a mapping may only read. A refusal is
``PermissionDenied`` with a message that says what and why, and is written to the audit trail
(in its own transaction, since the refused change rolls back).
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
from collections.abc import Collection, Iterator, Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseload_desktop.clock import now_utc
from caseload_desktop.errors import BadInput, NotFound
from caseload_desktop.services.identity import current_user
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import AuditEvent, Team, UserAccess, Worker


class PermissionDenied(BadInput):
    """The signed-in user's role does not allow this. Nothing was changed."""


class AccessRole(enum.StrEnum):
    TEAM_MANAGER = "team_manager"
    SERVICE_MANAGER = "service_manager"
    READ_ONLY = "read_only"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class Action(enum.StrEnum):
    REASSIGN = "reassign cases"
    SUPERVISE = "write supervision records"
    SETTINGS = "change the council's settings"
    IMPORT = "import extracts"
    ADMINISTER = "change who may do what"
    SYNC = "sync with central records"


# Which roles allow which actions; REASSIGN and SUPERVISE are further limited to a team
# manager's own teams.
_ALLOWED: dict[AccessRole, frozenset[Action]] = {
    AccessRole.TEAM_MANAGER: frozenset({Action.REASSIGN, Action.SUPERVISE, Action.SYNC}),
    AccessRole.SERVICE_MANAGER: frozenset({Action.REASSIGN, Action.SUPERVISE, Action.SYNC}),
    AccessRole.READ_ONLY: frozenset(),
    AccessRole.ADMIN: frozenset({Action.SETTINGS, Action.IMPORT, Action.ADMINISTER, Action.SYNC}),
}
_TEAM_SCOPED = frozenset({Action.REASSIGN, Action.SUPERVISE})


@dataclasses.dataclass(frozen=True)
class Principal:
    """A user as the rules see them.

    Attributes:
        user: the operating-system user name.
        roles: their roles (every role when the database has no mapping at all).
        team_ids: their own teams (team manager); None means every team.
        mapped: False when the database has no mapping (one person's database).
    """

    user: str
    roles: frozenset[AccessRole]
    team_ids: frozenset[int] | None
    mapped: bool

    def may(self, action: Action, team_ids: Collection[int] = ()) -> bool:
        allowed = [r for r in self.roles if action in _ALLOWED[r]]
        if not allowed:
            return False
        if action not in _TEAM_SCOPED or AccessRole.SERVICE_MANAGER in allowed:
            return True
        if self.team_ids is None:
            return True
        return set(team_ids) <= self.team_ids

    @property
    def read_only(self) -> bool:
        return not any(_ALLOWED[r] for r in self.roles)

    @property
    def readable_teams(self) -> frozenset[int] | None:
        """The teams this user may see (None: every team, and "All teams"). A team manager
        sees their own teams; a service manager, an admin and a read-only user see all."""
        if not self.mapped or self.roles & {
            AccessRole.SERVICE_MANAGER,
            AccessRole.ADMIN,
            AccessRole.READ_ONLY,
        }:
            return None
        return self.team_ids or frozenset()


def _key(user: str) -> str:
    return user.strip().lower()


def principal(session: Session, user: str | None = None) -> Principal:
    """Who ``user`` (default: the signed-in user) is in this database."""
    user = user or current_user()
    any_mapping = session.execute(sa.select(UserAccess.os_user).limit(1)).first() is not None
    if not any_mapping:
        everything = frozenset(AccessRole) - {AccessRole.READ_ONLY}
        return Principal(user, everything, None, mapped=False)
    row = session.get(UserAccess, _key(user))
    if row is None:
        return Principal(user, frozenset({AccessRole.READ_ONLY}), frozenset(), mapped=True)
    roles = frozenset(AccessRole(r) for r in row.roles if r in AccessRole._value2member_map_)
    teams = set(row.team_ids or ())
    if row.worker_id is not None:
        team = session.execute(
            sa.select(Worker.team_id).where(Worker.id == row.worker_id)
        ).scalar_one_or_none()
        if team is not None:
            teams.add(team)
    return Principal(user, roles, frozenset(teams), mapped=True)


def principal_of(db: Database, user: str | None = None) -> Principal:
    with db.read() as session:
        return principal(session, user)


def require(
    session: Session, user: str, action: Action, team_ids: Collection[int] = ()
) -> Principal:
    """Raise PermissionDenied unless ``user`` may do ``action`` (in ``team_ids``)."""
    who = principal(session, user)
    if who.may(action, team_ids):
        return who
    if action in _TEAM_SCOPED and any(_ALLOWED[r] & {action} for r in who.roles):
        names = sorted(
            session.execute(
                sa.select(Team.name).where(Team.id.in_(set(team_ids) - (who.team_ids or set())))
            ).scalars()
        )
        raise PermissionDenied(
            f"{who.user} may {action.value} only in their own teams, not in "
            f"{', '.join(names) or 'that team'}. Nothing was changed."
        )
    roles = ", ".join(sorted(r.label for r in who.roles)) or "no role"
    raise PermissionDenied(
        f"{who.user} ({roles}) may not {action.value}. Nothing was changed; an admin can "
        "change who may do what (caseload users)."
    )


@contextlib.contextmanager
def denials_recorded(db: Database, user: str, what: str) -> Iterator[None]:
    """Write a refused attempt to the audit trail (after its own transaction rolled back)."""
    try:
        yield
    except PermissionDenied as denied:
        with db.write() as session:
            session.execute(
                sa.insert(AuditEvent).values(
                    occurred_at=now_utc(),
                    actor=user,
                    action="permission.denied",
                    case_id=None,
                    from_worker_id=None,
                    to_worker_id=None,
                    reason=str(denied)[:1000],
                    detail={"attempted": what},
                )
            )
        raise


def team_ids_of_cases(session: Session, case_ids: Collection[int]) -> set[int]:
    from caseload_desktop.store.models import Case

    if not case_ids:
        return set()
    return set(
        session.execute(sa.select(Case.team_id).where(Case.id.in_(list(case_ids)))).scalars()
    )


def team_of_worker(session: Session, worker_id: int | None) -> set[int]:
    if worker_id is None:
        return set()
    team = session.execute(
        sa.select(Worker.team_id).where(Worker.id == worker_id)
    ).scalar_one_or_none()
    return set() if team is None else {team}


# --- The mapping (admin) --------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Mapping:
    os_user: str
    roles: tuple[str, ...]
    staff_id: str | None
    teams: tuple[str, ...]
    updated_by: str


def mappings(db: Database) -> list[Mapping]:
    with db.read() as session:
        team_names = dict(session.execute(sa.select(Team.id, Team.name)).all())
        rows = session.execute(
            sa.select(UserAccess, Worker.staff_id)
            .outerjoin(Worker, Worker.id == UserAccess.worker_id)
            .order_by(UserAccess.os_user)
        ).all()
        return [
            Mapping(
                row.os_user,
                tuple(row.roles),
                staff_id,
                tuple(team_names.get(t, str(t)) for t in row.team_ids or ()),
                row.updated_by,
            )
            for row, staff_id in rows
        ]


def set_mapping(
    db: Database,
    os_user: str,
    roles: Sequence[str],
    *,
    staff_id: str | None = None,
    teams: Sequence[str] = (),
    actor: str | None = None,
) -> None:
    """Map ``os_user`` to ``roles`` (and a worker record, and extra teams). Only an admin may,
    except for the first mapping of a database, which must include an admin (so nobody is
    locked out)."""
    actor = actor or current_user()
    key = _key(os_user)
    if not key:
        raise BadInput("Name the operating-system user to map.")
    try:
        parsed = sorted(
            {AccessRole(r.strip().lower().replace(" ", "_").replace("-", "_")) for r in roles}
        )
    except ValueError:
        raise BadInput(
            f"Unknown role in {', '.join(roles)}; roles are: "
            + ", ".join(r.value for r in AccessRole)
            + "."
        ) from None
    if not parsed:
        raise BadInput("Give at least one role.")
    with denials_recorded(db, actor, "map users"), db.write() as session:
        first = session.execute(sa.select(UserAccess.os_user).limit(1)).first() is None
        if first:
            if AccessRole.ADMIN not in parsed or key != _key(actor):
                raise BadInput(
                    "The first mapping must make you an admin (map yourself first, with the "
                    "admin role), so that someone can still change the mapping."
                )
        else:
            require(session, actor, Action.ADMINISTER)
        worker_id = None
        if staff_id:
            worker_id = session.execute(
                sa.select(Worker.id).where(Worker.staff_id == staff_id.strip())
            ).scalar_one_or_none()
            if worker_id is None:
                raise NotFound(f"No worker with the staff ID {staff_id}.")
        team_ids = []
        for name in teams:
            team_id = session.execute(
                sa.select(Team.id).where(sa.func.lower(Team.name) == name.strip().lower())
            ).scalar_one_or_none()
            if team_id is None:
                raise NotFound(f"No team named {name}.")
            team_ids.append(team_id)
        if AccessRole.TEAM_MANAGER in parsed and worker_id is None and not team_ids:
            raise BadInput("A team manager needs their worker record (--worker) or a --team.")
        now = now_utc()
        values = {
            "roles": [r.value for r in parsed],
            "worker_id": worker_id,
            "team_ids": team_ids,
            "updated_at": now,
            "updated_by": actor,
        }
        before = session.get(UserAccess, key)
        old = None if before is None else list(before.roles)
        if before is None:
            session.add(UserAccess(os_user=key, **values))
        else:
            for name, value in values.items():
                setattr(before, name, value)
        session.execute(
            sa.insert(AuditEvent).values(
                occurred_at=now,
                actor=actor,
                action="access.changed",
                case_id=None,
                from_worker_id=None,
                to_worker_id=worker_id,
                reason=f"{key}: {', '.join(r.label for r in parsed)}",
                detail={"user": key, "old_roles": old, "roles": values["roles"], "teams": team_ids},
            )
        )


def remove_mapping(db: Database, os_user: str, *, actor: str | None = None) -> None:
    actor = actor or current_user()
    key = _key(os_user)
    with denials_recorded(db, actor, "map users"), db.write() as session:
        require(session, actor, Action.ADMINISTER)
        row = session.get(UserAccess, key)
        if row is None:
            raise NotFound(f"{os_user} has no mapping.")
        admins = [
            r.os_user
            for r in session.execute(sa.select(UserAccess)).scalars()
            if AccessRole.ADMIN.value in r.roles
        ]
        if admins == [key]:
            raise BadInput(f"{key} is the only admin; map another admin first.")
        session.delete(row)
        session.execute(
            sa.insert(AuditEvent).values(
                occurred_at=now_utc(),
                actor=actor,
                action="access.removed",
                case_id=None,
                from_worker_id=None,
                to_worker_id=None,
                reason=f"{key}: mapping removed (now read-only)",
                detail={"user": key, "old_roles": list(row.roles)},
            )
        )
