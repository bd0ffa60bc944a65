"""The local team database, as SQLAlchemy 2 typed declarative models.

Every change to this file ships with an Alembic revision in ``migrations/versions/`` (a test
compares the two). Allocation history and audit events are append-only: the migrations add
triggers that refuse deletes, and refuse updates other than ending a current allocation.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from caseload_desktop.domain.categories import (
    Category,
    Employment,
    Risk,
    Role,
    WorkerStatus,
)
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.domain.supervision import ActionStatus, SessionStatus
from caseload_desktop.store.column_types import Hundredths, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def _enum(enum_class: type[enum.StrEnum], name: str) -> sa.Enum:
    """A portable enum column: stored as its value string, checked by a named constraint."""
    return sa.Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    service: Mapped[str | None] = mapped_column(sa.String(120))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Worker(Base):
    """A member of staff who can hold cases (or could, before they left)."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    role: Mapped[Role] = mapped_column(_enum(Role, "worker_role"))
    employment: Mapped[Employment] = mapped_column(_enum(Employment, "worker_employment"))
    fte: Mapped[Decimal] = mapped_column(Hundredths())
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    status: Mapped[WorkerStatus] = mapped_column(
        _enum(WorkerStatus, "worker_status"), default=WorkerStatus.ACTIVE
    )
    version: Mapped[int] = mapped_column(default=1)

    team: Mapped[Team] = relationship()

    __table_args__ = (
        sa.CheckConstraint("fte > 0 AND fte <= 100", name="fte_range"),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates_in_order"),
    )
    __mapper_args__ = {"version_id_col": version}


class FamilyGroup(Base):
    """Children in one household; siblings are normally allocated to the same worker."""

    __tablename__ = "family_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))


class Child(Base):
    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    date_of_birth: Mapped[dt.date | None]
    family_group_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("family_groups.id"), index=True
    )


class Case(Base):
    """One child's involvement with the service: open until ``closed_on``."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_ref: Mapped[str] = mapped_column(sa.String(40), unique=True)
    child_id: Mapped[int] = mapped_column(sa.ForeignKey("children.id"), index=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id"), index=True)
    category: Mapped[Category] = mapped_column(_enum(Category, "case_category"))
    opened_on: Mapped[dt.date]
    closed_on: Mapped[dt.date | None]
    risk: Mapped[Risk] = mapped_column(_enum(Risk, "case_risk"), default=Risk.MEDIUM)
    court_proceedings: Mapped[bool] = mapped_column(default=False)
    assessment_started_on: Mapped[dt.date | None]
    last_visit_on: Mapped[dt.date | None]
    next_visit_due: Mapped[dt.date | None]
    next_review_due: Mapped[dt.date | None]
    version: Mapped[int] = mapped_column(default=1)

    child: Mapped[Child] = relationship()
    team: Mapped[Team] = relationship()

    __table_args__ = (
        sa.CheckConstraint("closed_on IS NULL OR closed_on >= opened_on", name="dates_in_order"),
    )
    __mapper_args__ = {"version_id_col": version}


class Allocation(Base):
    """One row of allocation history: the case was with ``worker`` (None: in the queue) from
    ``started_on`` until ``ended_on``. The current allocation has no end; the database allows at
    most one per case. Rows are never deleted; the only update allowed is ending a current one.
    """

    __tablename__ = "allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    started_on: Mapped[dt.date]
    ended_on: Mapped[dt.date | None]
    reason_code: Mapped[ChangeReason | None] = mapped_column(
        _enum(ChangeReason, "allocation_reason")
    )
    reason_text: Mapped[str] = mapped_column(sa.String(1000), default="")
    created_by: Mapped[str] = mapped_column(sa.String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())

    __table_args__ = (
        sa.Index(
            "uq_allocations_one_current_per_case",
            "case_id",
            unique=True,
            sqlite_where=sa.text("ended_on IS NULL"),
            postgresql_where=sa.text("ended_on IS NULL"),
        ),
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="dates_in_order"),
    )


class AuditEvent(Base):
    """Append-only record of who did what, when and why. Never updated or deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), index=True)
    actor: Mapped[str] = mapped_column(sa.String(120))
    action: Mapped[str] = mapped_column(sa.String(60))
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    from_worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workers.id"))
    to_worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workers.id"))
    reason: Mapped[str] = mapped_column(sa.String(1000), default="")
    detail: Mapped[dict[str, object] | None] = mapped_column(sa.JSON)


class OutboxEvent(Base):
    """An event for central records, written in the same transaction as the change it reports.

    ``uuid`` is the idempotency key: central applies each event once however often it is sent.
    ``sent_at`` is set only after central has committed it.
    """

    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(sa.String(36), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(60))
    schema_version: Mapped[int] = mapped_column(default=1)
    payload: Mapped[dict[str, object]] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(1000))
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = (
        # A sent event keeps an error only when central received it and did not apply it
        # (``services.sync.not_applied``): a few rows among every event ever sent.
        sa.Index(
            "ix_outbox_events_not_applied",
            "id",
            sqlite_where=sa.text("sent_at IS NOT NULL AND last_error IS NOT NULL"),
        ),
    )


class SettingValue(Base):
    """One council setting that differs from (or was set over) its default, as JSON.

    Keys and types are declared in ``domain/settings.py``; a key missing here takes its
    default. Every change writes an audit event (old and new value) and an outbox event.
    """

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(sa.String(80), primary_key=True)
    value: Mapped[object] = mapped_column(sa.JSON, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(sa.String(120))
    version: Mapped[int] = mapped_column(default=1)


class SupervisionSession(Base):
    """A supervision session of a manager with one worker. A draft is edited freely; once
    final the database refuses any change to it (an addendum is a new row)."""

    __tablename__ = "supervision_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    manager: Mapped[str] = mapped_column(sa.String(120))
    held_on: Mapped[dt.date]
    attendees: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    wellbeing: Mapped[str] = mapped_column(sa.Text, default="")
    workload: Mapped[str] = mapped_column(sa.Text, default="")
    next_supervision: Mapped[dt.date | None]
    status: Mapped[SessionStatus] = mapped_column(
        _enum(SessionStatus, "supervision_status"), default=SessionStatus.DRAFT
    )
    # At finalisation: the caseload and the reassignments of the day, as the record shows them.
    snapshot: Mapped[dict[str, object] | None] = mapped_column(sa.JSON)
    worker_signed: Mapped[str | None] = mapped_column(sa.String(200))
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(sa.String(120))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    finalised_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finalised_by: Mapped[str | None] = mapped_column(sa.String(120))
    version: Mapped[int] = mapped_column(default=1)


class SupervisionCase(Base):
    """One case discussed in a session."""

    __tablename__ = "supervision_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("supervision_sessions.id"), index=True)
    position: Mapped[int]
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    current_position: Mapped[str] = mapped_column(sa.Text, default="")
    lived_experience: Mapped[str] = mapped_column(sa.Text, default="")
    decision: Mapped[str] = mapped_column(sa.Text, default="")
    rationale: Mapped[str] = mapped_column(sa.Text, default="")


class SupervisionAction(Base):
    """An action agreed in a session: what, who, by when. Its status moves on after the
    session is final (open, then done); nothing else about it changes."""

    __tablename__ = "supervision_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("supervision_sessions.id"), index=True)
    position: Mapped[int]
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"))
    action: Mapped[str] = mapped_column(sa.Text)
    owner_worker_id: Mapped[int] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    due: Mapped[dt.date | None]
    status: Mapped[ActionStatus] = mapped_column(
        _enum(ActionStatus, "supervision_action_status"), default=ActionStatus.OPEN
    )
    done_on: Mapped[dt.date | None]
    version: Mapped[int] = mapped_column(default=1)


class SupervisionAddendum(Base):
    """Added to a final record later; never changed or removed."""

    __tablename__ = "supervision_addenda"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("supervision_sessions.id"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    added_by: Mapped[str] = mapped_column(sa.String(120))
    pdf_sha256: Mapped[str | None] = mapped_column(sa.String(64))  # the record with it


class SyncPeer(Base):
    """What this database knows of one central records store it syncs with.

    ``central_id`` is the store's own id (read from it), so pointing the desktop at another store
    starts afresh there; ``desktop_id`` is how that store knows this database. ``cursor`` is the
    store's change sequence up to which changes have been pulled; ``baseline_at`` is when this
    database's existing data was first published to it.
    """

    __tablename__ = "sync_peers"

    central_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    desktop_id: Mapped[str] = mapped_column(sa.String(36))
    cursor: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    baseline_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class SyncConflict(Base):
    """A change of this desktop's that central records did not apply, because central's state
    was not the one the change expected to replace. The manager keeps central's state or applies
    theirs again; until then the case is left as this desktop has it.

    ``central_state`` is refreshed on every pull while the conflict is open.
    """

    __tablename__ = "sync_conflicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    central_id: Mapped[str] = mapped_column(sa.String(36))
    central_conflict_id: Mapped[int]
    event_uuid: Mapped[str | None] = mapped_column(sa.String(36))
    case_ref: Mapped[str] = mapped_column(sa.String(40), index=True)
    my_change: Mapped[dict[str, object]] = mapped_column(sa.JSON)
    central_state: Mapped[dict[str, object]] = mapped_column(sa.JSON)
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    resolution: Mapped[str | None] = mapped_column(sa.String(40))
    resolved_by: Mapped[str | None] = mapped_column(sa.String(120))

    __table_args__ = (sa.UniqueConstraint("central_id", "central_conflict_id"),)


class FolderDelivery(Base):
    """An export written to a shared folder (the folder target), so it is written only once."""

    __tablename__ = "folder_deliveries"

    event_uuid: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    folder: Mapped[str] = mapped_column(sa.String(1000), primary_key=True)
    written_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class UserAccess(Base):
    """Who may do what: a signed-in operating-system user, mapped by an admin to their roles
    and (for a team manager) the worker record that gives their own team.

    With no row at all, the database is a single person's and every user may do everything;
    once one mapping exists, users without one may only read.
    """

    __tablename__ = "user_access"

    os_user: Mapped[str] = mapped_column(sa.String(120), primary_key=True)  # lower case
    roles: Mapped[list[str]] = mapped_column(sa.JSON)
    worker_id: Mapped[int | None] = mapped_column(sa.ForeignKey("workers.id"))
    team_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)  # besides the worker's
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(sa.String(120))
