"""Sync with central records, and the conflicts it brings back to the manager.

``sync_central`` is one sync: publish the baseline on first contact, push the outbox, pull the
changes to this desktop's teams and apply them here in one transaction (with audit events; no
outbox events, since central already has them). ``keep_central`` and ``apply_mine_again``
settle a conflict: the first takes central's allocation here, the second sends this desktop's
allocation to central again as a new reassignment that expects central's current state. Either
way the choice is audited and reported to central, and nothing is overwritten unasked.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from caseload_desktop.clock import now_utc, today
from caseload_desktop.display import uk_date
from caseload_desktop.domain import settings as catalogue
from caseload_desktop.domain.categories import (
    Category,
    Employment,
    Risk,
    Role,
    WorkerStatus,
)
from caseload_desktop.domain.queues import WorkerState, can_hold_cases
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.errors import BadInput, NotFound, RuleViolation
from caseload_desktop.services import access
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.services.identity import current_user
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import (
    Allocation,
    AuditEvent,
    Case,
    Child,
    FamilyGroup,
    OutboxEvent,
    SettingValue,
    SyncConflict,
    SyncPeer,
    Team,
    Worker,
)
from caseload_desktop.store.queries import among
from caseload_desktop.sync import central as central_store
from caseload_desktop.sync import push as push_mod
from caseload_desktop.sync.pull import CentralAllocation, Changes, fetch_changes

log = logging.getLogger("caseload.sync")

KEPT_CENTRAL = "kept_central"
APPLIED_MINE = "applied_mine"


@dataclasses.dataclass(frozen=True)
class SyncResult:
    """What one sync did. ``conflicts`` is how many conflicts wait for the manager after it.

    The CLI prints ``pushed``, ``pulled`` and ``conflicts`` (a public interface) and the rest.
    """

    pushed: int
    pulled: int
    conflicts: int
    already: int = 0
    rejected: int = 0
    baseline: int = 0
    new_conflicts: int = 0
    synced_at: dt.datetime | None = None
    not_applied: tuple[push_mod.NotApplied, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "pushed": self.pushed,
            "pulled": self.pulled,
            "conflicts": self.conflicts,
            "already": self.already,
            "rejected": self.rejected,
            "baseline": self.baseline,
            "new_conflicts": self.new_conflicts,
            "synced_at": None if self.synced_at is None else self.synced_at.isoformat(),
            "not_applied": [n.as_json() for n in self.not_applied],
        }


@dataclasses.dataclass(frozen=True)
class SyncStatus:
    """What the status bar shows between syncs."""

    waiting: int
    conflicts: int
    last_sync_at: dt.datetime | None


def status(db: Database) -> SyncStatus:
    with db.read() as session:
        waiting = session.execute(
            sa.select(sa.func.count()).where(OutboxEvent.sent_at.is_(None))
        ).scalar_one()
        conflicts = session.execute(
            sa.select(sa.func.count()).where(SyncConflict.resolved_at.is_(None))
        ).scalar_one()
        last = session.execute(sa.select(sa.func.max(SyncPeer.last_sync_at))).scalar_one()
    return SyncStatus(int(waiting), int(conflicts), last)


def init_central(address: str, password: str | None = None) -> tuple[str | None, str]:
    """``caseload central init``: create or upgrade the central schema."""
    url = central_store.parse_address(address, password)
    engine = central_store.make_central_engine(url)
    try:
        return central_store.init_central(engine)
    finally:
        engine.dispose()


def sync_central(
    db: Database,
    address: str,
    *,
    password: str | None = None,
    teams: Sequence[str] = (),
    announcer: ChangeAnnouncer | None = None,
    fault: push_mod.FaultHook | None = None,
    batch_size: int = push_mod.BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> SyncResult:
    """Push this desktop's waiting changes to central records, then pull the changes to its
    teams (and ``teams``, which an empty desktop names to receive them).

    Raises BadInput for a bad address or team, CentralUnavailable when central cannot be
    reached (the outbox is kept), CentralNotReady when central has no schema yet.
    """
    url = central_store.parse_address(address, password)
    wanted = [name.strip() for name in teams if name.strip()]
    user = current_user()
    with access.denials_recorded(db, user, "sync"), db.read() as session:
        access.require(session, user, access.Action.SYNC)
    engine = central_store.make_central_engine(url)
    try:
        with central_store.translate_errors(url), engine.connect() as conn:
            central_id = central_store.central_id(conn)
        peer = push_mod.peer_for(db, central_id)
        before = _open_conflict_ids(db)
        pushed = push_mod.push(
            db,
            engine,
            central_id,
            batch_size=batch_size,
            fault=fault,
            progress=progress,
            cancelled=cancelled,
        )
        with db.read() as session:
            local_teams = list(session.execute(sa.select(Team.name)).scalars())
            cursor = session.get(SyncPeer, central_id)
            assert cursor is not None
            from_cursor = cursor.cursor
        names = sorted(set(local_teams) | set(wanted))
        if not names:
            raise BadInput(
                "This database holds no team yet: name the team to receive with --team NAME."
            )
        changes = fetch_changes(engine, peer.desktop_id, names, from_cursor)
        pulled, change = apply_changes(db, central_id, changes)
        if announcer is not None and change is not None:
            announcer.announce(change)
            if change.what == "sync" and changes.settings:
                # The context reads its settings again on this announcement (as after Edit >
                # Settings), so pulled rules take effect at once.
                announcer.announce(Change.of("settings"))
        after = _open_conflict_ids(db)
        synced = now_utc()
        with db.write() as session:
            session.execute(
                sa.update(SyncPeer)
                .where(SyncPeer.central_id == central_id)
                .values(last_sync_at=synced)
            )
    finally:
        engine.dispose()
    return SyncResult(
        pushed=pushed.pushed,
        pulled=pulled,
        conflicts=len(after),
        already=pushed.already,
        rejected=pushed.rejected,
        baseline=pushed.baseline,
        new_conflicts=len(after - before),
        synced_at=synced,
        not_applied=pushed.not_applied,
    )


def _open_conflict_ids(db: Database) -> set[int]:
    with db.read() as session:
        return set(
            session.execute(
                sa.select(SyncConflict.id).where(SyncConflict.resolved_at.is_(None))
            ).scalars()
        )


# --- Applying a pull ----------------------------------------------------------------------------


def apply_changes(
    db: Database, central_id: str, changes: Changes, *, actor: str | None = None
) -> tuple[int, Change | None]:
    """Apply pulled changes in one local transaction and move the cursor; returns how many
    rows changed here and the change to announce (None if nothing changed)."""
    actor = actor or current_user()
    now = now_utc()
    with db.write() as session:
        applier = _Applier(session, central_id, actor, now)
        if not changes.empty:
            applier.teams(changes.teams)
            applier.workers(changes.workers)
            applier.family_groups(changes.family_groups)
            applier.children(changes.children)
            applier.cases(changes.cases)
            applier.conflicts(changes.conflicts)
            applier.allocations(changes.allocations)
            applier.settings(changes.settings)
            applier.audit_summary()
        session.execute(
            sa.update(SyncPeer).where(SyncPeer.central_id == central_id).values(cursor=changes.high)
        )
    if not applier.count:
        return 0, None
    return applier.count, Change.of(
        "sync",
        applier.case_ids,
        applier.worker_ids,
        teams_changed=applier.teams_changed,
    )


def _differs(current: sa.RowMapping, wanted: Mapping[str, Any]) -> bool:
    return any(current.get(k) != v for k, v in wanted.items())


class _Applier:
    """The local writes of one pull, keeping count of what changed."""

    def __init__(self, session: Session, central_id: str, actor: str, now: dt.datetime) -> None:
        self.session = session
        self.central_id = central_id
        self.actor = actor
        self.now = now
        self.count = 0
        self.counts: dict[str, int] = {}
        self.case_ids: set[int] = set()
        self.worker_ids: set[int] = set()
        self.teams_changed = False
        self._teams: dict[str, int] | None = None

    def _counted(self, what: str, n: int = 1) -> None:
        self.count += n
        self.counts[what] = self.counts.get(what, 0) + n

    def _upsert(
        self,
        model: type[Worker] | type[Case],
        key: str,
        value: str,
        existing: Mapping[str, Any],
        values: Mapping[str, Any],
    ) -> int | None:
        """Insert the row keyed ``key`` = ``value``, or update it (its version goes up) when a
        value differs; returns its id, or None when it was already so."""
        mine = existing.get(value)
        if mine is None:
            return int(
                self.session.execute(
                    sa.insert(model)
                    .values({key: value, "version": 1, **values})
                    .returning(model.id)
                ).scalar_one()
            )
        if not _differs(mine._mapping, values):
            return None
        self.session.execute(
            sa.update(model).where(model.id == mine.id).values(version=model.version + 1, **values)
        )
        return int(mine.id)

    def _team_ids(self) -> dict[str, int]:
        """Team ids by name, read once per pull and kept up to date as teams are added (a
        pull of a service's workers asks for a team per worker)."""
        if self._teams is None:
            self._teams = dict(self.session.execute(sa.select(Team.name, Team.id)).all())
        return self._teams

    def _ensure_team(self, name: str, service: str | None) -> int:
        ids = self._team_ids()
        if name in ids:
            return ids[name]
        team_id = self.session.execute(
            sa.insert(Team).values(name=name, service=service, version=1).returning(Team.id)
        ).scalar_one()
        ids[name] = int(team_id)
        self.teams_changed = True
        self._counted("teams")
        return int(team_id)

    def teams(self, rows: Iterable[Mapping[str, Any]]) -> None:
        ids = self._team_ids()
        for row in rows:
            if row["name"] not in ids:
                self._ensure_team(row["name"], row["service"])
                continue
            changed: sa.CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
                sa.update(Team)
                .where(Team.name == row["name"], Team.service.is_distinct_from(row["service"]))
                .values(service=row["service"], version=Team.version + 1)
            )
            if changed.rowcount:
                self.teams_changed = True
                self._counted("teams")

    def workers(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        existing = {
            r.staff_id: r
            for r in self.session.execute(
                sa.select(
                    Worker.id,
                    Worker.staff_id,
                    Worker.name,
                    Worker.team_id,
                    Worker.role,
                    Worker.employment,
                    Worker.fte,
                    Worker.start_date,
                    Worker.end_date,
                    Worker.status,
                ).where(among(Worker.staff_id, (row["staff_id"] for row in rows)))
            )
        }
        for row in rows:
            values = {
                "name": row["name"],
                "team_id": self._ensure_team(row["team"], row.get("service")),
                "role": Role(row["role"]),
                "employment": Employment(row["employment"]),
                "fte": Decimal(row["fte"]),
                "start_date": row["start_date"],
                "end_date": row["end_date"],
                "status": WorkerStatus(row["status"]),
            }
            worker_id = self._upsert(Worker, "staff_id", row["staff_id"], existing, values)
            if worker_id is not None:
                self.worker_ids.add(worker_id)
                self._counted("workers")

    def family_groups(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        existing = dict(
            self.session.execute(
                sa.select(FamilyGroup.ref, FamilyGroup.name).where(
                    among(FamilyGroup.ref, (row["ref"] for row in rows))
                )
            ).all()
        )
        for row in rows:
            if row["ref"] not in existing:
                self.session.execute(
                    sa.insert(FamilyGroup).values(ref=row["ref"], name=row["name"])
                )
            elif existing[row["ref"]] != row["name"]:
                self.session.execute(
                    sa.update(FamilyGroup)
                    .where(FamilyGroup.ref == row["ref"])
                    .values(name=row["name"])
                )
            else:
                continue
            self._counted("family_groups")

    def children(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        refs = {row["family_group"] for row in rows if row["family_group"] is not None}
        groups = dict(
            self.session.execute(
                sa.select(FamilyGroup.ref, FamilyGroup.id).where(among(FamilyGroup.ref, refs))
            ).all()
        )
        existing = {
            r.external_id: r
            for r in self.session.execute(
                sa.select(
                    Child.id,
                    Child.external_id,
                    Child.name,
                    Child.date_of_birth,
                    Child.family_group_id,
                ).where(among(Child.external_id, (row["external_id"] for row in rows)))
            )
        }
        for row in rows:
            values = {
                "name": row["name"],
                "date_of_birth": row["date_of_birth"],
                "family_group_id": None
                if row["family_group"] is None
                else groups[row["family_group"]],
            }
            mine = existing.get(row["external_id"])
            if mine is None:
                self.session.execute(
                    sa.insert(Child).values(external_id=row["external_id"], **values)
                )
            elif _differs(mine._mapping, values):
                self.session.execute(sa.update(Child).where(Child.id == mine.id).values(**values))
            else:
                continue
            self._counted("children")

    def cases(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if not rows:
            return
        children = dict(
            self.session.execute(
                sa.select(Child.external_id, Child.id).where(
                    among(Child.external_id, (row["child"] for row in rows))
                )
            ).all()
        )
        teams = self._team_ids()
        columns = (
            Case.id,
            Case.case_ref,
            Case.child_id,
            Case.team_id,
            Case.category,
            Case.opened_on,
            Case.closed_on,
            Case.risk,
            Case.court_proceedings,
            Case.assessment_started_on,
            Case.last_visit_on,
            Case.next_visit_due,
            Case.next_review_due,
        )
        existing = {
            r.case_ref: r
            for r in self.session.execute(
                sa.select(*columns).where(among(Case.case_ref, (row["case_ref"] for row in rows)))
            )
        }
        for row in rows:
            values = {
                "child_id": children[row["child"]],
                "team_id": teams[row["team"]],
                "category": Category(row["category"]),
                "opened_on": row["opened_on"],
                "closed_on": row["closed_on"],
                "risk": Risk(row["risk"]),
                "court_proceedings": bool(row["court_proceedings"]),
                "assessment_started_on": row["assessment_started_on"],
                "last_visit_on": row["last_visit_on"],
                "next_visit_due": row["next_visit_due"],
                "next_review_due": row["next_review_due"],
            }
            case_id = self._upsert(Case, "case_ref", row["case_ref"], existing, values)
            if case_id is not None:
                self.case_ids.add(case_id)
                self._counted("cases")

    def conflicts(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            known = self.session.execute(
                sa.select(SyncConflict.id, SyncConflict.resolved_at).where(
                    SyncConflict.central_id == self.central_id,
                    SyncConflict.central_conflict_id == row["id"],
                )
            ).first()
            if known is None:
                self.session.execute(
                    sa.insert(SyncConflict).values(
                        central_id=self.central_id,
                        central_conflict_id=row["id"],
                        event_uuid=row["event_uuid"],
                        case_ref=row["case_ref"],
                        my_change=row["my_change"],
                        central_state=row["central_state"],
                        detected_at=row["created_at"],
                        resolved_at=row["resolved_at"],
                        resolution=row["resolution"],
                        resolved_by=row["resolved_by"],
                    )
                )
                self._counted("conflicts")
            elif known.resolved_at is None and row["resolved_at"] is not None:
                self.session.execute(
                    sa.update(SyncConflict)
                    .where(SyncConflict.id == known.id)
                    .values(
                        resolved_at=row["resolved_at"],
                        resolution=row["resolution"],
                        resolved_by=row["resolved_by"],
                    )
                )
                self._counted("conflicts")

    def allocations(self, rows: Sequence[CentralAllocation]) -> None:
        if not rows:
            return
        refs = [r.case_ref for r in rows]
        local = {
            r.case_ref: r
            for r in self.session.execute(
                sa.select(
                    Case.id,
                    Case.case_ref,
                    Allocation.id.label("allocation_id"),
                    Allocation.started_on,
                    Worker.staff_id,
                    Worker.id.label("worker_id"),
                )
                .select_from(Case)
                .outerjoin(
                    Allocation,
                    sa.and_(Allocation.case_id == Case.id, Allocation.ended_on.is_(None)),
                )
                .outerjoin(Worker, Worker.id == Allocation.worker_id)
                .where(among(Case.case_ref, refs))
            )
        }
        open_conflicts = set(
            self.session.execute(
                sa.select(SyncConflict.case_ref).where(SyncConflict.resolved_at.is_(None))
            ).scalars()
        )
        waiting = {
            str(payload["case_ref"])
            for payload in self.session.execute(
                sa.select(OutboxEvent.payload).where(
                    OutboxEvent.sent_at.is_(None), OutboxEvent.kind == push_mod.ALLOCATION_KIND
                )
            ).scalars()
        }
        staff = dict(
            self.session.execute(
                sa.select(Worker.staff_id, Worker.id).where(
                    among(Worker.staff_id, {r.staff_id for r in rows if r.staff_id is not None})
                )
            ).all()
        )
        for theirs in rows:
            mine = local.get(theirs.case_ref)
            if mine is None:
                continue
            if (mine.staff_id, mine.started_on) == (theirs.staff_id, theirs.started_on):
                continue
            if theirs.case_ref in open_conflicts:
                # The manager has not chosen yet: keep the case as it is here, and show the
                # latest of central's state in the conflict.
                self.session.execute(
                    sa.update(SyncConflict)
                    .where(
                        SyncConflict.case_ref == theirs.case_ref,
                        SyncConflict.resolved_at.is_(None),
                    )
                    .values(central_state=theirs.state())
                )
                continue
            if theirs.case_ref in waiting:
                continue  # this desktop's own change goes first; central answers on the next push
            to_worker = None if theirs.staff_id is None else staff[theirs.staff_id]
            _set_current(
                self.session,
                case_id=mine.id,
                current_id=mine.allocation_id,
                current_started=mine.started_on,
                worker_id=to_worker,
                started_on=theirs.started_on,
                reason_code=_reason(theirs.reason_code),
                reason_text=theirs.reason_text,
                created_by=theirs.created_by,
                created_at=theirs.created_at,
            )
            self.session.execute(
                sa.insert(AuditEvent).values(
                    occurred_at=self.now,
                    actor=self.actor,
                    action="allocation.pulled",
                    case_id=mine.id,
                    from_worker_id=mine.worker_id,
                    to_worker_id=to_worker,
                    reason=f"From central records: changed by {theirs.created_by}"[:1000],
                    detail={
                        "central_id": self.central_id,
                        "started_on": theirs.started_on.isoformat(),
                        "by": theirs.created_by,
                        "at": theirs.created_at.isoformat(),
                    },
                )
            )
            self.case_ids.add(mine.id)
            if mine.worker_id is not None:
                self.worker_ids.add(mine.worker_id)
            if to_worker is not None:
                self.worker_ids.add(to_worker)
            self._counted("allocations")

    def settings(self, rows: Iterable[Mapping[str, Any]]) -> None:
        known = {s.key for s in catalogue.SETTINGS}
        stored = {
            key: value
            for key, value in self.session.execute(
                sa.select(SettingValue.key, SettingValue.value)
            ).all()
        }
        for row in rows:
            key, value = row["key"], row["value"]
            if key not in known:
                log.info("ignoring the central setting %s, which this version does not know", key)
                continue
            try:
                catalogue.setting(key).from_json(value)
            except (catalogue.BadSetting, ValueError) as exc:
                log.warning("ignoring central's value of %s: %s", key, exc)
                continue
            if key in stored and _same_json(stored[key], value):
                continue
            if key in stored:
                self.session.execute(
                    sa.update(SettingValue)
                    .where(SettingValue.key == key)
                    .values(
                        value=value,
                        updated_at=row["updated_at"],
                        updated_by=row["updated_by"],
                        version=SettingValue.version + 1,
                    )
                )
            else:
                self.session.execute(
                    sa.insert(SettingValue).values(
                        key=key,
                        value=value,
                        updated_at=row["updated_at"],
                        updated_by=row["updated_by"],
                        version=1,
                    )
                )
            self.session.execute(
                sa.insert(AuditEvent).values(
                    occurred_at=self.now,
                    actor=self.actor,
                    action="setting.pulled",
                    case_id=None,
                    from_worker_id=None,
                    to_worker_id=None,
                    reason=f"{key} from central records, set by {row['updated_by']}"[:1000],
                    detail={"key": key, "old": stored.get(key), "new": value},
                )
            )
            self._counted("settings")

    def audit_summary(self) -> None:
        if not self.count:
            return
        self.session.execute(
            sa.insert(AuditEvent).values(
                occurred_at=self.now,
                actor=self.actor,
                action="sync.pulled",
                case_id=None,
                from_worker_id=None,
                to_worker_id=None,
                reason=", ".join(f"{n} {what}" for what, n in sorted(self.counts.items())),
                detail={"central_id": self.central_id, **self.counts},
            )
        )


def _same_json(a: object, b: object) -> bool:
    def norm(value: object) -> object:
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    return norm(a) == norm(b)


def _reason(code: str | None) -> ChangeReason | None:
    try:
        return None if code is None else ChangeReason(code)
    except ValueError:
        return ChangeReason.OTHERS


def _set_current(
    session: Session,
    *,
    case_id: int,
    current_id: int | None,
    current_started: dt.date | None,
    worker_id: int | None,
    started_on: dt.date,
    reason_code: ChangeReason | None,
    reason_text: str,
    created_by: str,
    created_at: dt.datetime,
) -> None:
    """End a case's current allocation here and start the given one (the history stays
    append-only: the old row is ended, never changed otherwise)."""
    if current_id is not None:
        ended = started_on if current_started is None else max(current_started, started_on)
        session.execute(
            sa.update(Allocation)
            .where(Allocation.id == current_id, Allocation.ended_on.is_(None))
            .values(ended_on=ended)
        )
    session.execute(
        sa.insert(Allocation).values(
            case_id=case_id,
            worker_id=worker_id,
            started_on=started_on,
            ended_on=None,
            reason_code=reason_code,
            reason_text=reason_text[:1000],
            created_by=created_by,
            created_at=created_at,
        )
    )
    session.execute(sa.update(Case).where(Case.id == case_id).values(version=Case.version + 1))


# --- Conflicts ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ConflictRow:
    """A conflict as the Conflicts panel and ``caseload conflicts`` show it."""

    id: int
    case_ref: str
    child: str
    my_worker: str  # who this desktop allocated the case to
    my_effective: str
    my_by: str
    central_worker: str  # who central records have
    central_since: str
    central_by: str
    central_at: str
    detected_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            **dataclasses.asdict(self),
            "detected_at": self.detected_at.isoformat(),
            "resolved_at": None if self.resolved_at is None else self.resolved_at.isoformat(),
        }


def conflicts(db: Database, *, include_resolved: bool = False) -> list[ConflictRow]:
    with db.read() as session:
        query = sa.select(SyncConflict).order_by(SyncConflict.detected_at, SyncConflict.id)
        if not include_resolved:
            query = query.where(SyncConflict.resolved_at.is_(None))
        rows = session.execute(query).scalars().all()
        names = dict(session.execute(sa.select(Worker.staff_id, Worker.name)).all())
        children = dict(
            session.execute(
                sa.select(Case.case_ref, Child.name).join(Child, Child.id == Case.child_id)
            ).all()
        )

    def worker(staff_id: object) -> str:
        if staff_id is None:
            return "Nobody (unallocated)"
        return f"{names.get(str(staff_id), 'unknown worker')} ({staff_id})"

    result = []
    for row in rows:
        mine, theirs = row.my_change, row.central_state
        result.append(
            ConflictRow(
                id=row.id,
                case_ref=row.case_ref,
                child=children.get(row.case_ref, ""),
                my_worker=worker(mine.get("to_staff_id")),
                my_effective=str(mine.get("effective") or ""),
                my_by=str(mine.get("actor") or ""),
                central_worker=worker(theirs.get("staff_id")),
                central_since=str(theirs.get("started_on") or ""),
                central_by=str(theirs.get("by") or ""),
                central_at=str(theirs.get("at") or ""),
                detected_at=row.detected_at,
                resolved_at=row.resolved_at,
                resolution=row.resolution,
            )
        )
    return result


@dataclasses.dataclass(frozen=True)
class NotAppliedRow:
    """A change this desktop sent that central records received and did not apply (a worker or
    case central does not know, a leave date central holds otherwise), as the Conflicts panel
    lists it. Not a conflict to settle here: it was sent, and is not sent again.

    Attributes:
        uuid: the outbox event's.
        kind: the event's kind ("allocation.changed", "worker.leaving", ...).
        change: the change in words ("C-100003 to Sam Reid (S10005)").
        why: what central records said.
        made_at, sent_at: when the change was made here, and sent (UTC).
    """

    uuid: str
    kind: str
    change: str
    why: str
    made_at: dt.datetime
    sent_at: dt.datetime


NOT_APPLIED_SHOWN = 200  # the newest; every one stays on its outbox row


def not_applied(db: Database, *, limit: int = NOT_APPLIED_SHOWN) -> list[NotAppliedRow]:
    """The newest changes central records received from this desktop and did not apply."""
    with db.read() as session:
        rows = session.execute(
            sa.select(
                OutboxEvent.uuid,
                OutboxEvent.kind,
                OutboxEvent.payload,
                OutboxEvent.created_at,
                OutboxEvent.sent_at,
                OutboxEvent.last_error,
            )
            .where(
                # As ix_outbox_events_not_applied's condition, so SQLite reads that index.
                OutboxEvent.sent_at.is_not(None),
                OutboxEvent.last_error.is_not(None),
                OutboxEvent.last_error.startswith(push_mod.NOT_APPLIED_NOTE, autoescape=True),
            )
            .order_by(OutboxEvent.id.desc())
            .limit(limit)
        ).all()
        staff = {
            str(row.payload.get(key))
            for row in rows
            if isinstance(row.payload, dict)
            for key in ("to_staff_id", "staff_id")
            if row.payload.get(key) is not None
        }
        names = (
            dict(
                session.execute(
                    sa.select(Worker.staff_id, Worker.name).where(Worker.staff_id.in_(staff))
                ).all()
            )
            if staff
            else {}
        )

    def worker(staff_id: object) -> str:
        if staff_id is None:
            return "nobody (unallocated)"
        return f"{names.get(str(staff_id), 'unknown worker')} ({staff_id})"

    def change(kind: str, payload: Mapping[str, Any]) -> str:
        if kind == push_mod.ALLOCATION_KIND:
            return f"{payload.get('case_ref')} to {worker(payload.get('to_staff_id'))}"
        if kind == "worker.leaving":
            leave = str(payload.get("leave_date") or "")
            with contextlib.suppress(ValueError):  # else as sent
                leave = uk_date(dt.date.fromisoformat(leave))
            return f"{worker(payload.get('staff_id'))} leaving on {leave}"
        return kind

    return [
        NotAppliedRow(
            uuid=row.uuid,
            kind=row.kind,
            change=change(row.kind, row.payload or {}),
            why=(row.last_error or "").removeprefix(push_mod.NOT_APPLIED_NOTE),
            made_at=row.created_at,
            sent_at=row.sent_at,
        )
        for row in rows
    ]


def _open_conflict(session: Session, conflict_id: int) -> SyncConflict:
    row = session.get(SyncConflict, conflict_id)
    if row is None:
        raise NotFound(f"There is no sync conflict {conflict_id}.")
    if row.resolved_at is not None:
        raise RuleViolation(
            f"Conflict {conflict_id} over {row.case_ref} was already settled "
            f"({(row.resolution or '').replace('_', ' ')}); nothing was changed."
        )
    return row


def _current(session: Session, case_ref: str) -> Any:
    row = session.execute(
        sa.select(
            Case.id,
            Allocation.id.label("allocation_id"),
            Allocation.started_on,
            Worker.id.label("worker_id"),
            Worker.staff_id,
        )
        .select_from(Case)
        .outerjoin(
            Allocation, sa.and_(Allocation.case_id == Case.id, Allocation.ended_on.is_(None))
        )
        .outerjoin(Worker, Worker.id == Allocation.worker_id)
        .where(Case.case_ref == case_ref)
    ).first()
    if row is None:
        raise NotFound(f"The case {case_ref} is not in this database.")
    return row


def _resolved(
    session: Session, row: SyncConflict, resolution: str, actor: str, now: dt.datetime
) -> None:
    row.resolved_at = now
    row.resolution = resolution
    row.resolved_by = actor
    session.execute(
        sa.insert(OutboxEvent).values(
            uuid=str(uuid.uuid4()),
            kind="conflict.resolved",
            schema_version=1,
            payload={
                "central_conflict_id": row.central_conflict_id,
                "case_ref": row.case_ref,
                "resolution": resolution,
                "resolved_at": now.isoformat(),
                "actor": actor,
            },
            created_at=now,
            attempts=0,
        )
    )


def keep_central(
    db: Database,
    conflict_id: int,
    *,
    actor: str | None = None,
    announcer: ChangeAnnouncer | None = None,
) -> None:
    """Settle a conflict by taking central's allocation of the case here."""
    actor = actor or current_user()
    now = now_utc()
    with access.denials_recorded(db, actor, "settle a sync conflict"), db.write() as session:
        row = _open_conflict(session, conflict_id)
        theirs = row.central_state
        current = _current(session, row.case_ref)
        access.require(
            session,
            actor,
            access.Action.REASSIGN,
            access.team_ids_of_cases(session, [current.id]),
        )
        staff_id = theirs.get("staff_id")
        worker_id = None
        if staff_id is not None:
            worker_id = session.execute(
                sa.select(Worker.id).where(Worker.staff_id == staff_id)
            ).scalar_one_or_none()
            if worker_id is None:
                raise NotFound(
                    f"Central records give {row.case_ref} to staff ID {staff_id}, who is not in "
                    "this database yet; sync again, then settle the conflict."
                )
        started = dt.date.fromisoformat(str(theirs["started_on"]))
        if (current.staff_id, current.started_on) != (staff_id, started):
            _set_current(
                session,
                case_id=current.id,
                current_id=current.allocation_id,
                current_started=current.started_on,
                worker_id=worker_id,
                started_on=started,
                reason_code=ChangeReason.OTHERS,
                reason_text="Sync conflict: central records' allocation kept",
                created_by=str(theirs.get("by") or actor),
                created_at=now,
            )
        session.execute(
            sa.insert(AuditEvent).values(
                occurred_at=now,
                actor=actor,
                action="conflict.resolved",
                case_id=current.id,
                from_worker_id=current.worker_id,
                to_worker_id=worker_id,
                reason=f"Kept central records' allocation of {row.case_ref}",
                detail={"conflict": row.id, "resolution": KEPT_CENTRAL, "central": theirs},
            )
        )
        _resolved(session, row, KEPT_CENTRAL, actor, now)
        case_id, workers = current.id, {current.worker_id, worker_id} - {None}
    if announcer is not None:
        announcer.announce(Change.of("sync", [case_id], [w for w in workers if w is not None]))


def apply_mine_again(
    db: Database,
    conflict_id: int,
    *,
    actor: str | None = None,
    announcer: ChangeAnnouncer | None = None,
    on: dt.date | None = None,
) -> None:
    """Settle a conflict by sending this desktop's allocation of the case to central again, as
    a new reassignment (from ``on``, default today) that expects central's current state. If
    central has moved on again meanwhile, that is a new conflict."""
    actor = actor or current_user()
    now = now_utc()
    effective = on or today()
    with access.denials_recorded(db, actor, "settle a sync conflict"), db.write() as session:
        row = _open_conflict(session, conflict_id)
        theirs = row.central_state
        current = _current(session, row.case_ref)
        access.require(
            session,
            actor,
            access.Action.REASSIGN,
            access.team_ids_of_cases(session, [current.id]),
        )
        if current.worker_id is not None:
            worker = session.get(Worker, current.worker_id)
            assert worker is not None
            if not can_hold_cases(
                WorkerState(worker.role, worker.status, worker.end_date), effective
            ):
                raise RuleViolation(
                    f"{worker.name} can no longer hold cases; keep central records' allocation "
                    f"of {row.case_ref} or move it to someone else."
                )
        # Restart this desktop's allocation from today so both sides agree on what the next
        # change replaces.
        _set_current(
            session,
            case_id=current.id,
            current_id=current.allocation_id,
            current_started=current.started_on,
            worker_id=current.worker_id,
            started_on=effective,
            reason_code=ChangeReason.OTHERS,
            reason_text="Sync conflict: this desktop's allocation applied again",
            created_by=actor,
            created_at=now,
        )
        session.execute(
            sa.insert(AuditEvent).values(
                occurred_at=now,
                actor=actor,
                action="conflict.resolved",
                case_id=current.id,
                from_worker_id=None,
                to_worker_id=current.worker_id,
                reason=f"Applied this desktop's allocation of {row.case_ref} again",
                detail={"conflict": row.id, "resolution": APPLIED_MINE, "central": theirs},
            )
        )
        _resolved(session, row, APPLIED_MINE, actor, now)
        session.execute(
            sa.insert(OutboxEvent).values(
                uuid=str(uuid.uuid4()),
                kind=push_mod.ALLOCATION_KIND,
                schema_version=1,
                payload={
                    "batch": str(uuid.uuid4()),
                    "case_ref": row.case_ref,
                    "expected": {
                        "staff_id": theirs.get("staff_id"),
                        "started_on": theirs.get("started_on"),
                    },
                    "to_staff_id": current.staff_id,
                    "effective": effective.isoformat(),
                    "reason_code": ChangeReason.OTHERS.value,
                    "reason_text": "Sync conflict: this desktop's allocation applied again",
                    "actor": actor,
                },
                created_at=now,
                attempts=0,
            )
        )
        case_id, worker_id = current.id, current.worker_id
    if announcer is not None:
        announcer.announce(Change.of("sync", [case_id], [] if worker_id is None else [worker_id]))
