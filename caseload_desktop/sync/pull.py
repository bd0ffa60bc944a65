"""Pull: what changed in central records for this desktop's teams since its cursor.

One read transaction (REPEATABLE READ, one snapshot) under the shared side of the change
sequence's advisory lock: central's writers hold the exclusive side from their first stamped
row to their commit, so every sequence number up to the sequence's last value is committed and
visible here, and the cursor can move to it without skipping a row committed later. The
changes come back as plain rows keyed by natural keys; ``services.sync`` applies them to the
local database in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from caseload_desktop.errors import NotFound
from caseload_desktop.sync import central_schema as cs
from caseload_desktop.sync.central import translate_errors


@dataclasses.dataclass(frozen=True)
class CentralAllocation:
    """A case's current allocation in central records."""

    case_ref: str
    staff_id: str | None
    started_on: dt.date
    reason_code: str | None
    reason_text: str
    created_by: str
    created_at: dt.datetime

    def state(self) -> dict[str, Any]:
        """As a conflict shows central's state."""
        return {
            "staff_id": self.staff_id,
            "started_on": self.started_on.isoformat(),
            "by": self.created_by,
            "at": self.created_at.isoformat(),
        }


@dataclasses.dataclass(frozen=True)
class Changes:
    """Rows changed in central since a cursor, for a set of teams.

    ``high`` is the cursor to keep once these are applied.
    """

    high: int
    teams: list[dict[str, Any]]
    workers: list[dict[str, Any]]
    family_groups: list[dict[str, Any]]
    children: list[dict[str, Any]]
    cases: list[dict[str, Any]]
    allocations: list[CentralAllocation]
    conflicts: list[dict[str, Any]]
    settings: list[dict[str, Any]]

    @property
    def empty(self) -> bool:
        return not (
            self.teams
            or self.workers
            or self.family_groups
            or self.children
            or self.cases
            or self.allocations
            or self.conflicts
            or self.settings
        )


def fetch_changes(
    engine: sa.Engine, desktop_id: str, team_names: Sequence[str], cursor: int
) -> Changes:
    """The changes after ``cursor`` to the named teams (NotFound if central has none of a
    name), this desktop's conflicts, and the service-wide settings."""
    t, w, c = cs.teams, cs.workers, cs.cases
    ch, fg, a = cs.children, cs.family_groups, cs.allocations
    with (
        translate_errors(engine.url),
        engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn,
        conn.begin(),
    ):
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock_shared(cs.SEQ_LOCK_KEY)))
        last_value, is_called = conn.execute(
            sa.text(f"SELECT last_value, is_called FROM {cs.CHANGE_SEQUENCE}")
        ).one()
        high = int(last_value) if is_called else 0
        team_rows = conn.execute(
            sa.select(t.c.id, t.c.name, t.c.service, t.c.seq).where(t.c.name.in_(team_names))
        ).all()
        missing = set(team_names) - {r.name for r in team_rows}
        if missing:
            raise NotFound(
                "Central records have no team named "
                + ", ".join(sorted(missing))
                + ". Nothing was synced from them."
            )
        team_ids = [r.id for r in team_rows]
        teams = [{"name": r.name, "service": r.service} for r in team_rows if r.seq > cursor]
        changed_current = sa.and_(
            a.c.ended_on.is_(None), a.c.seq > cursor, c.c.team_id.in_(team_ids)
        )
        # The team's workers, and anyone from another team who holds one of its cases.
        holders = (
            sa.select(a.c.worker_id)
            .join(c, c.c.id == a.c.case_id)
            .where(changed_current, a.c.worker_id.is_not(None))
        )
        workers = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(
                    w.c.staff_id,
                    w.c.name,
                    t.c.name.label("team"),
                    t.c.service,
                    w.c.role,
                    w.c.employment,
                    w.c.fte,
                    w.c.start_date,
                    w.c.end_date,
                    w.c.status,
                )
                .join(t, t.c.id == w.c.team_id)
                .where(
                    sa.or_(
                        sa.and_(w.c.team_id.in_(team_ids), w.c.seq > cursor),
                        w.c.id.in_(holders),
                    )
                )
            )
        ]
        case_rows = conn.execute(
            sa.select(
                c.c.case_ref,
                t.c.name.label("team"),
                c.c.category,
                c.c.opened_on,
                c.c.closed_on,
                c.c.risk,
                c.c.court_proceedings,
                c.c.assessment_started_on,
                c.c.last_visit_on,
                c.c.next_visit_due,
                c.c.next_review_due,
                ch.c.external_id,
                ch.c.name.label("child_name"),
                ch.c.date_of_birth,
                fg.c.ref.label("family_ref"),
                fg.c.name.label("family_name"),
            )
            .select_from(
                c.join(ch, ch.c.id == c.c.child_id)
                .join(t, t.c.id == c.c.team_id)
                .outerjoin(fg, fg.c.id == ch.c.family_group_id)
            )
            .where(
                c.c.team_id.in_(team_ids),
                sa.or_(
                    c.c.seq > cursor,
                    ch.c.seq > cursor,
                    sa.func.coalesce(fg.c.seq, 0) > cursor,
                ),
            )
        ).all()
        groups = {
            r.family_ref: {"ref": r.family_ref, "name": r.family_name}
            for r in case_rows
            if r.family_ref is not None
        }
        children = {
            r.external_id: {
                "external_id": r.external_id,
                "name": r.child_name,
                "date_of_birth": r.date_of_birth,
                "family_group": r.family_ref,
            }
            for r in case_rows
        }
        cases = [
            {
                "case_ref": r.case_ref,
                "team": r.team,
                "child": r.external_id,
                "category": r.category,
                "opened_on": r.opened_on,
                "closed_on": r.closed_on,
                "risk": r.risk,
                "court_proceedings": r.court_proceedings,
                "assessment_started_on": r.assessment_started_on,
                "last_visit_on": r.last_visit_on,
                "next_visit_due": r.next_visit_due,
                "next_review_due": r.next_review_due,
            }
            for r in case_rows
        ]
        allocations = [
            CentralAllocation(*row)
            for row in conn.execute(
                sa.select(
                    c.c.case_ref,
                    w.c.staff_id,
                    a.c.started_on,
                    a.c.reason_code,
                    a.c.reason_text,
                    a.c.created_by,
                    a.c.created_at,
                )
                .select_from(a.join(c, c.c.id == a.c.case_id).outerjoin(w, w.c.id == a.c.worker_id))
                .where(changed_current)
            )
        ]
        k = cs.conflicts
        conflicts = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(
                    k.c.id,
                    k.c.event_uuid,
                    k.c.case_ref,
                    k.c.my_change,
                    k.c.central_state,
                    k.c.created_at,
                    k.c.resolved_at,
                    k.c.resolution,
                    k.c.resolved_by,
                )
                .where(k.c.desktop_id == desktop_id, k.c.seq > cursor)
                .order_by(k.c.id)
            )
        ]
        s = cs.settings
        settings = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(s.c.key, s.c.value, s.c.updated_at, s.c.updated_by).where(
                    s.c.seq > cursor
                )
            )
        ]
    return Changes(
        high=high,
        teams=teams,
        workers=workers,
        family_groups=list(groups.values()),
        children=list(children.values()),
        cases=cases,
        allocations=allocations,
        conflicts=conflicts,
        settings=settings,
    )
