"""Push: outbox events to central records, each applied exactly once.

Per batch, one central transaction: the events go into ``received_events`` with
``ON CONFLICT (uuid) DO NOTHING``, only the ones central had not seen are applied, and the
local rows are marked sent only after central has committed. A cut anywhere (the server stops,
the network drops, the laptop sleeps) means central rolled back or committed the whole batch;
either way the next push sends the batch again and the events central already holds are
skipped. Nothing is lost and nothing happens twice.

A reassignment names the allocation it expects to replace. Central applies it only when its
current allocation is that one; otherwise it keeps its own, records a conflict for the desktop,
and the next pull brings the conflict back to the manager.

The first sync of a desktop that already holds data publishes it as a baseline: teams, workers,
children and cases central does not have, and each case's allocation as it stood before the
changes still waiting in the outbox (those then replay on top of it).
"""

from __future__ import annotations

import base64
import binascii
import collections
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from caseload_desktop.clock import now_utc
from caseload_desktop.errors import Cancelled
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import (
    Allocation,
    Case,
    Child,
    FamilyGroup,
    OutboxEvent,
    SyncPeer,
    Team,
    Worker,
)
from caseload_desktop.sync import central_schema as cs
from caseload_desktop.sync.central import translate_errors

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("caseload.sync")

BATCH_SIZE = 2000
ALLOCATION_KIND = "allocation.changed"  # services.reassignment.OUTBOX_KIND
# Payload keys holding document bytes (base64): kept in their own tables, not in the event log.
_DOCUMENT_KEYS = ("pdf", "content")

# Outcomes recorded in received_events.
APPLIED = "applied"
ALREADY = "already"  # the change was already there (another desktop made the same one)
CONFLICT = "conflict"
RECORDED = "recorded"  # kept in the event log; nothing to apply (a draft started, ...)
REJECTED = "rejected"  # could not be applied (bad checksum, unknown worker); kept, with why

FaultHook = Callable[[int], None]
"""Called inside the central transaction after each event is applied, with how many events of
the batch have been applied so far. Tests use it to cut the connection mid-batch."""


@dataclasses.dataclass(frozen=True)
class PushResult:
    """What one push did.

    Attributes:
        pushed: events central received for the first time.
        already: events central already held (sent again after a cut); marked sent here.
        conflicts: of the pushed, the changes central kept its own state for.
        rejected: of the pushed, events central could not apply (kept in its log, with why).
        baseline: cases published as this desktop's baseline (first sync only).
    """

    pushed: int = 0
    already: int = 0
    conflicts: int = 0
    rejected: int = 0
    baseline: int = 0


@dataclasses.dataclass(frozen=True)
class _Event:
    id: int
    uuid: str
    kind: str
    schema_version: int
    payload: dict[str, Any]
    created_at: dt.datetime


@dataclasses.dataclass
class _Outcome:
    outcome: str = APPLIED
    detail: str = ""


# --- The desktop's identity at a central store ----------------------------------------------------


def peer_for(db: Database, central_id: str) -> SyncPeer:
    """This database's record of the central store ``central_id``, made on first contact."""
    with db.read() as session:
        peer = session.get(SyncPeer, central_id)
        if peer is not None:
            return peer
    with db.write() as session:
        peer = session.get(SyncPeer, central_id)
        if peer is None:
            peer = SyncPeer(central_id=central_id, desktop_id=str(uuid.uuid4()), cursor=0)
            session.add(peer)
        return peer


def waiting_count(db: Database) -> int:
    """Outbox events not yet committed by central records."""
    with db.read() as session:
        return int(
            session.execute(
                sa.select(sa.func.count()).where(OutboxEvent.sent_at.is_(None))
            ).scalar_one()
        )


# --- Push -----------------------------------------------------------------------------------------


def push(
    db: Database,
    engine: sa.Engine,
    central_id: str,
    *,
    batch_size: int = BATCH_SIZE,
    fault: FaultHook | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> PushResult:
    """Send every waiting outbox event to central records, in batches.

    Raises CentralUnavailable if central cannot be reached or drops the connection: the
    batches committed before stay marked sent, the rest wait (with the attempt and the error
    recorded on them) for the next push. Cancelled between batches likewise keeps what was sent.
    """
    peer = peer_for(db, central_id)
    totals = collections.Counter[str]()
    baseline = 0
    with translate_errors(engine.url):
        _touch_desktop(engine, peer.desktop_id)
        if peer.baseline_at is None:
            baseline = publish_baseline(db, engine, peer.desktop_id)
            with db.write() as session:
                session.execute(
                    sa.update(SyncPeer)
                    .where(SyncPeer.central_id == central_id)
                    .values(baseline_at=now_utc())
                )
    total = waiting_count(db)
    done = 0
    after_id = 0
    while True:
        if cancelled is not None and cancelled():
            raise Cancelled(f"Sync stopped after sending {done} of {total} changes.")
        batch = _next_batch(db, after_id, batch_size)
        if not batch:
            break
        try:
            with translate_errors(engine.url):
                counts = _push_batch(engine, peer.desktop_id, batch, fault)
        except Exception as exc:
            _record_failure(db, batch, exc)
            raise
        _mark_sent(db, batch)
        totals.update(counts)
        done += len(batch)
        after_id = batch[-1].id
        if progress is not None:
            progress(done, total)
    return PushResult(
        pushed=totals["new"],
        already=totals["already_received"],
        conflicts=totals[CONFLICT],
        rejected=totals[REJECTED],
        baseline=baseline,
    )


def _next_batch(db: Database, after_id: int, size: int) -> list[_Event]:
    with db.read() as session:
        rows = session.execute(
            sa.select(
                OutboxEvent.id,
                OutboxEvent.uuid,
                OutboxEvent.kind,
                OutboxEvent.schema_version,
                OutboxEvent.payload,
                OutboxEvent.created_at,
            )
            .where(OutboxEvent.sent_at.is_(None), OutboxEvent.id > after_id)
            .order_by(OutboxEvent.id)
            .limit(size)
        ).all()
    return [_Event(*row) for row in rows]


def _mark_sent(db: Database, batch: Sequence[_Event]) -> None:
    now = now_utc()
    with db.write() as session:
        session.execute(
            sa.update(OutboxEvent)
            .where(OutboxEvent.id.in_([e.id for e in batch]))
            .values(sent_at=now, attempts=OutboxEvent.attempts + 1, last_error=None)
        )


def _record_failure(db: Database, batch: Sequence[_Event], exc: BaseException) -> None:
    """Note the failed attempt on the batch's events (best effort: the push already failed)."""
    try:
        with db.write() as session:
            session.execute(
                sa.update(OutboxEvent)
                .where(OutboxEvent.id.in_([e.id for e in batch]))
                .values(attempts=OutboxEvent.attempts + 1, last_error=str(exc)[:1000])
            )
    except Exception:  # the local database being busy must not hide the real error
        log.exception("could not record the failed push on the outbox")


def _touch_desktop(engine: sa.Engine, desktop_id: str) -> None:
    now = now_utc()
    with engine.begin() as conn:
        conn.execute(
            pg_insert(cs.desktops)
            .values(desktop_id=desktop_id, first_seen=now, last_seen=now)
            .on_conflict_do_update(index_elements=["desktop_id"], set_={"last_seen": now})
        )


def _push_batch(
    engine: sa.Engine, desktop_id: str, batch: Sequence[_Event], fault: FaultHook | None
) -> collections.Counter[str]:
    """One central transaction: record the batch's events, apply the new ones, commit.

    The events arrive by COPY into a temporary table and move into ``received_events`` with
    one ``INSERT ... SELECT ... ON CONFLICT (uuid) DO NOTHING RETURNING uuid``: the new ones
    are exactly those it returns."""
    now = now_utc()
    counts = collections.Counter[str]()
    with engine.begin() as conn:
        # Central's writers take this lock (its trigger does too), so the change sequence is
        # handed out in commit order and a pull never misses a row.
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(cs.SEQ_LOCK_KEY)))
        cursor = _raw(conn).cursor()
        cursor.execute(
            "CREATE TEMPORARY TABLE incoming_events (uuid varchar(36), kind varchar(60), "
            "schema_version int, payload jsonb, created_at timestamptz) ON COMMIT DROP"
        )
        with cursor.copy(
            "COPY incoming_events (uuid, kind, schema_version, payload, created_at) FROM STDIN"
        ) as copy:
            for e in batch:
                copy.write_row(
                    (
                        e.uuid,
                        e.kind,
                        e.schema_version,
                        json.dumps(_without_documents(e.payload)),
                        e.created_at,
                    )
                )
        cursor.execute(
            "INSERT INTO received_events (uuid, desktop_id, kind, schema_version, payload, "
            "created_at, received_at, outcome) SELECT uuid, %s, kind, schema_version, payload, "
            "created_at, %s, %s FROM incoming_events ON CONFLICT (uuid) DO NOTHING "
            "RETURNING uuid",
            (desktop_id, now, APPLIED),
        )
        new_uuids = {row[0] for row in cursor.fetchall()}
        new = [e for e in batch if e.uuid in new_uuids]
        counts["new"] = len(new)
        counts["already_received"] = len(batch) - len(new)
        outcomes = _apply(conn, desktop_id, new, now, fault)
        exceptions = [
            (o.outcome, o.detail[:1000], event_uuid)
            for event_uuid, o in outcomes.items()
            if o.outcome != APPLIED or o.detail
        ]
        if exceptions:
            cursor.executemany(
                "UPDATE received_events SET outcome = %s, detail = %s WHERE uuid = %s",
                exceptions,
            )
        counts.update(o.outcome for o in outcomes.values())
    return counts


def _raw(conn: sa.Connection) -> psycopg.Connection[Any]:
    """The psycopg connection under a SQLAlchemy one (same transaction), for COPY and
    array parameters on the hot path."""
    import psycopg  # here, not at the top: the desktop app starts without it

    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver


def _without_documents(payload: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in _DOCUMENT_KEYS}


def _apply(
    conn: sa.Connection,
    desktop_id: str,
    events: Sequence[_Event],
    now: dt.datetime,
    fault: FaultHook | None,
) -> dict[str, _Outcome]:
    """Apply the batch's new events in outbox order. Runs of allocation changes are applied a
    round at a time (each case at most once per round) with a few set-wide statements."""
    outcomes: dict[str, _Outcome] = {}
    applied = 0
    run: list[_Event] = []

    def flush_run() -> None:
        nonlocal applied
        for round_ in _rounds(run):
            outcomes.update(_apply_allocations(conn, desktop_id, round_, now))
            applied += len(round_)
            if fault is not None:
                fault(applied)
        run.clear()

    for event in events:
        if event.kind == ALLOCATION_KIND:
            run.append(event)
            continue
        flush_run()
        handler = _HANDLERS.get(event.kind)
        outcomes[event.uuid] = (
            _Outcome(RECORDED) if handler is None else handler(conn, desktop_id, event, now)
        )
        applied += 1
        if fault is not None:
            fault(applied)
    flush_run()
    return outcomes


def _rounds(events: Sequence[_Event]) -> Iterable[list[_Event]]:
    """Split a run of allocation changes so no case appears twice in one round (a case moved
    and moved back in one batch is applied in that order)."""
    rounds: list[list[_Event]] = []
    seen: collections.Counter[str] = collections.Counter()
    for event in events:
        ref = str(event.payload["case_ref"])
        index = seen[ref]
        seen[ref] += 1
        if index == len(rounds):
            rounds.append([])
        rounds[index].append(event)
    return rounds


def _date(value: object) -> dt.date | None:
    return None if value in (None, "") else dt.date.fromisoformat(str(value))


_CURRENT_SQL = """
    SELECT c.case_ref, c.id, c.team_id, a.id, w.staff_id, a.started_on, a.created_by,
           a.created_at
    FROM cases c
    LEFT JOIN allocations a ON a.case_id = c.id AND a.ended_on IS NULL
    LEFT JOIN workers w ON w.id = a.worker_id
    WHERE c.case_ref = ANY(%s::varchar[])
"""
# No FOR UPDATE: the batch holds the change sequence's exclusive advisory lock from its first
# statement, and every writer of these tables takes it (their trigger does), so nothing else
# changes an allocation until this batch commits.


@dataclasses.dataclass(frozen=True, slots=True)
class _Current:
    case_ref: str
    case_id: int
    team_id: int
    allocation_id: int | None
    staff_id: str | None
    started_on: dt.date | None
    created_by: str | None
    created_at: dt.datetime | None


def _apply_allocations(
    conn: sa.Connection, desktop_id: str, events: Sequence[_Event], now: dt.datetime
) -> dict[str, _Outcome]:
    """One round of allocation changes (distinct cases): read every case's current allocation,
    decide each, then end the replaced allocations with one UPDATE over
    arrays, and COPY the new allocations and the conflicts in."""
    cursor = _raw(conn).cursor()
    refs = [str(e.payload["case_ref"]) for e in events]
    cursor.execute(_CURRENT_SQL, (refs,))
    current = {row[0]: _Current(*row) for row in cursor.fetchall()}
    wanted_staff = list(
        {str(e.payload["to_staff_id"]) for e in events if e.payload.get("to_staff_id")}
    )
    cursor.execute(
        "SELECT staff_id, id FROM workers WHERE staff_id = ANY(%s::varchar[])", (wanted_staff,)
    )
    worker_ids: dict[str, int] = dict(cursor.fetchall())
    outcomes: dict[str, _Outcome] = {}
    ended_ids: list[int] = []
    ended_on: list[dt.date | None] = []
    starts: list[tuple[Any, ...]] = []
    conflict_rows: list[tuple[Any, ...]] = []
    for event in events:
        p = event.payload
        ref = str(p["case_ref"])
        row = current.get(ref)
        if row is None:
            outcomes[event.uuid] = _Outcome(REJECTED, f"central records have no case {ref}")
            continue
        to_staff = p.get("to_staff_id")
        if to_staff is not None and to_staff not in worker_ids:
            outcomes[event.uuid] = _Outcome(
                REJECTED, f"central records have no worker with staff ID {to_staff}"
            )
            continue
        expected = p.get("expected") or {}
        effective = _date(p["effective"])
        holds = (row.staff_id, row.started_on)
        if holds == (expected.get("staff_id"), _date(expected.get("started_on"))):
            if row.allocation_id is not None:
                ended_ids.append(row.allocation_id)
                ended_on.append(effective)
            starts.append(
                (
                    row.case_id,
                    None if to_staff is None else worker_ids[to_staff],
                    effective,
                    p.get("reason_code"),
                    str(p.get("reason_text") or ""),
                    str(p.get("actor") or ""),
                    event.created_at,
                    event.uuid,
                )
            )
            outcomes[event.uuid] = _Outcome(APPLIED)
        elif holds == (to_staff, effective):
            outcomes[event.uuid] = _Outcome(ALREADY, "central already had this allocation")
        else:
            conflict_rows.append(
                (
                    event.uuid,
                    desktop_id,
                    ref,
                    row.team_id,
                    json.dumps(_without_documents(p)),
                    json.dumps(allocation_state(row)),
                    now,
                )
            )
            outcomes[event.uuid] = _Outcome(
                CONFLICT, f"central's allocation of {ref} was not the one this change replaces"
            )
    if ended_ids:
        cursor.execute(
            "UPDATE allocations SET ended_on = v.ended_on "
            "FROM unnest(%s::bigint[], %s::date[]) AS v(id, ended_on) "
            "WHERE allocations.id = v.id AND allocations.ended_on IS NULL",
            (ended_ids, ended_on),
        )
    if starts:
        with cursor.copy(
            "COPY allocations (case_id, worker_id, started_on, reason_code, reason_text, "
            "created_by, created_at, event_uuid) FROM STDIN"
        ) as copy:
            for start in starts:
                copy.write_row(start)
    if conflict_rows:
        with cursor.copy(
            "COPY conflicts (event_uuid, desktop_id, case_ref, team_id, my_change, "
            "central_state, created_at) FROM STDIN"
        ) as copy:
            for conflict_row in conflict_rows:
                copy.write_row(conflict_row)
    return outcomes


def allocation_state(row: Any) -> dict[str, Any]:
    """Central's current allocation of a case as a conflict shows it (who holds it, since
    when, who made it and when)."""
    return {
        "staff_id": row.staff_id,
        "started_on": None if row.started_on is None else row.started_on.isoformat(),
        "by": row.created_by,
        "at": None if row.created_at is None else row.created_at.isoformat(),
    }


# --- Other kinds ------------------------------------------------------------------------------


def _decode(event: _Event, key: str) -> bytes | _Outcome:
    """The document bytes of an event, checked against its SHA-256."""
    try:
        data = base64.b64decode(str(event.payload[key]), validate=True)
    except (KeyError, binascii.Error):
        return _Outcome(REJECTED, "the document's bytes are missing or damaged")
    if hashlib.sha256(data).hexdigest() != event.payload.get("sha256"):
        return _Outcome(REJECTED, "the document's SHA-256 does not match its bytes")
    return data


def _supervision_finalised(
    conn: sa.Connection, desktop_id: str, event: _Event, now: dt.datetime
) -> _Outcome:
    data = _decode(event, "pdf")
    if isinstance(data, _Outcome):
        return data
    p = event.payload
    result = conn.execute(
        pg_insert(cs.supervision_records)
        .values(
            event_uuid=event.uuid,
            desktop_id=desktop_id,
            record_id=p["record_id"],
            staff_id=p["staff_id"],
            held_on=_date(p["held_on"]),
            finalised_at=dt.datetime.fromisoformat(str(p["finalised_at"])),
            finalised_by=p["actor"],
            sha256=p["sha256"],
            pdf=data,
        )
        .on_conflict_do_nothing(index_elements=["desktop_id", "record_id"])
    )
    if result.rowcount == 0:
        return _Outcome(REJECTED, f"central already holds a final {p['record_id']} from here")
    return _Outcome(APPLIED)


def _supervision_addendum(
    conn: sa.Connection, desktop_id: str, event: _Event, now: dt.datetime
) -> _Outcome:
    p = event.payload
    conn.execute(
        sa.insert(cs.supervision_addenda).values(
            desktop_id=desktop_id,
            record_id=p["record_id"],
            text=p["text"],
            added_at=dt.datetime.fromisoformat(str(p["added_at"])),
            added_by=p["actor"],
            sha256=p.get("sha256"),
            event_uuid=event.uuid,
        )
    )
    return _Outcome(APPLIED)


def _summary_exported(
    conn: sa.Connection, desktop_id: str, event: _Event, now: dt.datetime
) -> _Outcome:
    data = _decode(event, "content")
    if isinstance(data, _Outcome):
        return data
    p = event.payload
    conn.execute(
        sa.insert(cs.exports).values(
            event_uuid=event.uuid,
            kind=event.kind,
            format=p["format"],
            team=p.get("team"),
            file_name=p["file_name"],
            sha256=p["sha256"],
            content=data,
            generated_at=dt.datetime.fromisoformat(str(p["generated_at"])),
            actor=p["actor"],
        )
    )
    return _Outcome(APPLIED)


def _settings_changed(
    conn: sa.Connection, desktop_id: str, event: _Event, now: dt.datetime
) -> _Outcome:
    values = event.payload.get("settings") or {}
    actor = str(event.payload.get("actor") or "")
    rows = [
        {"key": key, "value": value, "updated_at": event.created_at, "updated_by": actor}
        for key, value in dict(values).items()
    ]
    if rows:
        statement = pg_insert(cs.settings).values(rows)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=["key"],
                set_={
                    "value": statement.excluded.value,
                    "updated_at": statement.excluded.updated_at,
                    "updated_by": statement.excluded.updated_by,
                },
                # An older change arriving late does not undo a newer one.
                where=cs.settings.c.updated_at <= statement.excluded.updated_at,
            )
        )
    return _Outcome(APPLIED)


def _worker_leaving(
    conn: sa.Connection, desktop_id: str, event: _Event, now: dt.datetime
) -> _Outcome:
    p = event.payload
    w = cs.workers
    row = conn.execute(
        sa.select(w.c.id, w.c.end_date).where(w.c.staff_id == p["staff_id"]).with_for_update()
    ).first()
    if row is None:
        return _Outcome(REJECTED, f"central records have no worker {p['staff_id']}")
    leave = _date(p["leave_date"])
    if row.end_date == leave:
        return _Outcome(ALREADY)
    if row.end_date != _date(p.get("previous_end_date")):
        return _Outcome(
            CONFLICT,
            f"central has {row.end_date} as {p['staff_id']}'s leave date; kept",
        )
    conn.execute(sa.update(w).where(w.c.id == row.id).values(end_date=leave))
    return _Outcome(APPLIED)


def _conflict_resolved(
    conn: sa.Connection, desktop_id: str, event: _Event, now: dt.datetime
) -> _Outcome:
    p = event.payload
    k = cs.conflicts
    result = conn.execute(
        sa.update(k)
        .where(
            k.c.id == int(p["central_conflict_id"]),
            k.c.desktop_id == desktop_id,
            k.c.resolved_at.is_(None),
        )
        .values(
            resolved_at=dt.datetime.fromisoformat(str(p["resolved_at"])),
            resolution=p["resolution"],
            resolved_by=p["actor"],
        )
    )
    return _Outcome(APPLIED if result.rowcount else ALREADY)


def _team_id(conn: sa.Connection, name: str) -> int:
    t = cs.teams
    conn.execute(pg_insert(t).values(name=name).on_conflict_do_nothing(index_elements=["name"]))
    return int(conn.execute(sa.select(t.c.id).where(t.c.name == name)).scalar_one())


def _rows(event: _Event) -> list[dict[str, Any]]:
    columns = [str(c) for c in event.payload.get("columns") or ()]
    return [dict(zip(columns, row, strict=False)) for row in event.payload.get("rows") or ()]


def _import_workers(
    conn: sa.Connection, desktop_id: str, event: _Event, now: dt.datetime
) -> _Outcome:
    """An imported staff list: the extract is the record for its workers, so they are added
    or updated here too (by staff ID), with the teams they name."""
    w = cs.workers
    for row in _rows(event):
        values = {
            "name": row["name"],
            "team_id": _team_id(conn, str(row["team"])),
            "role": row["role"],
            "employment": row["employment"],
            "fte": row["fte"],
            "start_date": _date(row["start_date"]),
            "end_date": _date(row.get("end_date")),
            "status": row["status"],
        }
        statement = pg_insert(w).values(staff_id=row["staff_id"], **values)
        conn.execute(statement.on_conflict_do_update(index_elements=["staff_id"], set_=values))
    return _Outcome(APPLIED)


def _import_cases(
    conn: sa.Connection, desktop_id: str, event: _Event, now: dt.datetime
) -> _Outcome:
    """An imported case list: children and cases added or updated (by child ID and case ref).
    A case new to central takes the extract's allocation; a case central already has keeps
    its own, and a different worker in the extract becomes a conflict (the extract's
    allocation changes of cases this desktop already had arrive as allocation.changed)."""
    ch, c, fg, a, w = cs.children, cs.cases, cs.family_groups, cs.allocations, cs.workers
    for unlisted in event.payload.get("unlisted_workers") or ():
        conn.execute(
            pg_insert(w)
            .values(
                staff_id=unlisted["staff_id"],
                name=unlisted["name"],
                team_id=_team_id(conn, str(unlisted["team"])),
                role="social_worker",
                employment="permanent",
                fte=1,
                start_date=event.created_at.date(),
                end_date=None,
                status="inactive",
            )
            .on_conflict_do_nothing(index_elements=["staff_id"])
        )
    conflicts = 0
    for row in _rows(event):
        group_id = None
        if row.get("family_group"):
            ref = str(row["family_group"])
            conn.execute(
                pg_insert(fg)
                .values(ref=ref, name=ref)
                .on_conflict_do_nothing(index_elements=["ref"])
            )
            group_id = conn.execute(sa.select(fg.c.id).where(fg.c.ref == ref)).scalar_one()
        child = {
            "name": row["child_name"],
            "date_of_birth": _date(row.get("date_of_birth")),
            "family_group_id": group_id,
        }
        statement = pg_insert(ch).values(external_id=row["child_id"], **child)
        child_id = conn.execute(
            statement.on_conflict_do_update(index_elements=["external_id"], set_=child).returning(
                ch.c.id
            )
        ).scalar_one()
        values = {
            "child_id": child_id,
            "team_id": _team_id(conn, str(row["team"])),
            "category": row["category"],
            "opened_on": _date(row["opened_on"]),
            "next_visit_due": _date(row.get("next_visit_due")),
            "closed_on": _date(row.get("closed_on")),
            "risk": row.get("risk") or "medium",
            "court_proceedings": bool(row.get("court_proceedings")),
        }
        statement = pg_insert(c).values(case_ref=row["case_ref"], **values)
        case_id = conn.execute(
            statement.on_conflict_do_update(index_elements=["case_ref"], set_=values).returning(
                c.c.id
            )
        ).scalar_one()
        staff = row.get("staff_id")
        worker_id = None
        if staff:
            worker_id = conn.execute(
                sa.select(w.c.id).where(w.c.staff_id == staff)
            ).scalar_one_or_none()
        current = conn.execute(
            sa.select(a.c.id, w.c.staff_id, a.c.started_on, a.c.created_by, a.c.created_at)
            .select_from(a.outerjoin(w, w.c.id == a.c.worker_id))
            .where(a.c.case_id == case_id, a.c.ended_on.is_(None))
        ).first()
        started = _date(row.get("allocated_on")) or values["opened_on"]
        if current is None:
            conn.execute(
                sa.insert(a).values(
                    case_id=case_id,
                    worker_id=worker_id,
                    started_on=started,
                    reason_code="OTHERS",
                    reason_text="imported",
                    created_by=str(event.payload.get("actor") or ""),
                    created_at=event.created_at,
                    event_uuid=event.uuid,
                )
            )
        elif row.get("change") == "new" and current.staff_id != (staff or None):
            conflicts += 1
            conn.execute(
                sa.insert(cs.conflicts).values(
                    event_uuid=event.uuid,
                    desktop_id=desktop_id,
                    case_ref=row["case_ref"],
                    team_id=values["team_id"],
                    my_change={
                        "imported": True,
                        "case_ref": row["case_ref"],
                        "to_staff_id": staff or None,
                        "effective": None if started is None else started.isoformat(),
                        "actor": event.payload.get("actor"),
                    },
                    central_state=allocation_state(current),
                    created_at=now,
                )
            )
    if conflicts:
        return _Outcome(APPLIED, f"{conflicts} imported allocation(s) differ from central's")
    return _Outcome(APPLIED)


_Handler = Callable[[sa.Connection, str, _Event, dt.datetime], _Outcome]
_HANDLERS: dict[str, _Handler] = {
    "supervision.finalised": _supervision_finalised,
    "supervision.addendum": _supervision_addendum,
    "summary.exported": _summary_exported,
    "settings.changed": _settings_changed,
    "worker.leaving": _worker_leaving,
    "conflict.resolved": _conflict_resolved,
    "import.workers": _import_workers,
    "import.cases": _import_cases,
}


# --- Baseline -----------------------------------------------------------------------------------


def publish_baseline(db: Database, engine: sa.Engine, desktop_id: str) -> int:
    """Publish this desktop's data to central (first sync only), in one central transaction.

    Rows central already has are left as central has them (central's copy is the record);
    a case whose current allocation differs from this desktop's becomes a conflict. Returns the
    number of cases published.
    """
    data = _read_baseline(db)
    if not data["cases"] and not data["workers"] and not data["teams"]:
        return 0
    now = now_utc()
    with engine.begin() as conn:
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(cs.SEQ_LOCK_KEY)))
        team_ids = _insert_missing(conn, cs.teams, "name", data["teams"])
        for row in data["workers"]:
            row["team_id"] = team_ids[row.pop("team")]
        worker_ids = _insert_missing(conn, cs.workers, "staff_id", data["workers"])
        group_ids = _insert_missing(conn, cs.family_groups, "ref", data["family_groups"])
        for row in data["children"]:
            group = row.pop("family_group")
            row["family_group_id"] = None if group is None else group_ids[group]
        child_ids = _insert_missing(conn, cs.children, "external_id", data["children"])
        for row in data["cases"]:
            row["child_id"] = child_ids[row.pop("child")]
            row["team_id"] = team_ids[row.pop("team")]
        case_ids = _insert_missing(conn, cs.cases, "case_ref", data["cases"])
        _baseline_allocations(conn, desktop_id, data["allocations"], case_ids, worker_ids, now)
    return len(data["cases"])


def _insert_missing(
    conn: sa.Connection, table: sa.Table, key: str, rows: list[dict[str, Any]]
) -> dict[str, int]:
    """Insert the rows central does not have (by ``key``); returns key -> central id for all."""
    if rows:
        for start in range(0, len(rows), 2000):
            conn.execute(
                pg_insert(table)
                .values(rows[start : start + 2000])
                .on_conflict_do_nothing(index_elements=[key])
            )
    keys = [r[key] for r in rows]
    found: dict[str, int] = {}
    for start in range(0, len(keys), 10000):
        found.update(
            conn.execute(
                sa.select(table.c[key], table.c.id).where(
                    table.c[key].in_(keys[start : start + 10000])
                )
            ).all()
        )
    return found


def _baseline_allocations(
    conn: sa.Connection,
    desktop_id: str,
    allocations: list[dict[str, Any]],
    case_ids: Mapping[str, int],
    worker_ids: Mapping[str, int],
    now: dt.datetime,
) -> None:
    a, w, c = cs.allocations, cs.workers, cs.cases
    current: dict[int, Any] = {}
    ids = list(case_ids.values())
    for start in range(0, len(ids), 10000):
        for row in conn.execute(
            sa.select(
                a.c.case_id,
                w.c.staff_id,
                a.c.started_on,
                a.c.created_by,
                a.c.created_at,
                c.c.team_id,
            )
            .select_from(a.join(c, c.c.id == a.c.case_id).outerjoin(w, w.c.id == a.c.worker_id))
            .where(a.c.ended_on.is_(None), a.c.case_id.in_(ids[start : start + 10000]))
        ):
            current[row.case_id] = row
    starts, conflict_rows = [], []
    for mine in allocations:
        case_id = case_ids[mine["case_ref"]]
        theirs = current.get(case_id)
        if theirs is None:
            staff = mine["staff_id"]
            starts.append(
                {
                    "case_id": case_id,
                    "worker_id": None if staff is None else worker_ids[staff],
                    "started_on": mine["started_on"],
                    "ended_on": None,
                    "reason_code": mine["reason_code"],
                    "reason_text": mine["reason_text"],
                    "created_by": mine["created_by"],
                    "created_at": mine["created_at"],
                    "event_uuid": None,
                }
            )
        elif (theirs.staff_id, theirs.started_on) != (mine["staff_id"], mine["started_on"]):
            conflict_rows.append(
                {
                    "event_uuid": None,
                    "desktop_id": desktop_id,
                    "case_ref": mine["case_ref"],
                    "team_id": theirs.team_id,
                    "my_change": {
                        "baseline": True,
                        "case_ref": mine["case_ref"],
                        "to_staff_id": mine["staff_id"],
                        "effective": mine["started_on"].isoformat(),
                        "actor": mine["created_by"],
                    },
                    "central_state": allocation_state(theirs),
                    "created_at": now,
                }
            )
    for start in range(0, len(starts), 2000):
        conn.execute(sa.insert(a), starts[start : start + 2000])
    if conflict_rows:
        conn.execute(sa.insert(cs.conflicts), conflict_rows)


def _read_baseline(db: Database) -> dict[str, list[dict[str, Any]]]:
    """The local data as central rows (natural keys in place of local ids), with each case's
    allocation as it stood before the changes waiting in the outbox."""
    with db.read() as session:
        teams = [
            {"name": name, "service": service}
            for name, service in session.execute(sa.select(Team.name, Team.service))
        ]
        workers = [
            {
                "staff_id": r.staff_id,
                "name": r.name,
                "team": r.team,
                "role": r.role.value,
                "employment": r.employment.value,
                "fte": r.fte,
                "start_date": r.start_date,
                "end_date": r.end_date,
                "status": r.status.value,
            }
            for r in session.execute(
                sa.select(
                    Worker.staff_id,
                    Worker.name,
                    Team.name.label("team"),
                    Worker.role,
                    Worker.employment,
                    Worker.fte,
                    Worker.start_date,
                    Worker.end_date,
                    Worker.status,
                ).join(Team, Team.id == Worker.team_id)
            )
        ]
        groups = [
            {"ref": ref, "name": name}
            for ref, name in session.execute(sa.select(FamilyGroup.ref, FamilyGroup.name))
        ]
        children = [
            {
                "external_id": r.external_id,
                "name": r.name,
                "date_of_birth": r.date_of_birth,
                "family_group": r.ref,
            }
            for r in session.execute(
                sa.select(Child.external_id, Child.name, Child.date_of_birth, FamilyGroup.ref)
                .select_from(Child)
                .outerjoin(FamilyGroup, FamilyGroup.id == Child.family_group_id)
            )
        ]
        cases = [
            {
                "case_ref": r.case_ref,
                "child": r.external_id,
                "team": r.team,
                "category": r.category.value,
                "opened_on": r.opened_on,
                "closed_on": r.closed_on,
                "risk": r.risk.value,
                "court_proceedings": r.court_proceedings,
                "assessment_started_on": r.assessment_started_on,
                "last_visit_on": r.last_visit_on,
                "next_visit_due": r.next_visit_due,
                "next_review_due": r.next_review_due,
            }
            for r in session.execute(
                sa.select(
                    Case.case_ref,
                    Child.external_id,
                    Team.name.label("team"),
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
                .join(Child, Child.id == Case.child_id)
                .join(Team, Team.id == Case.team_id)
            )
        ]
        allocations = {
            r.case_ref: {
                "case_ref": r.case_ref,
                "staff_id": r.staff_id,
                "started_on": r.started_on,
                "reason_code": None if r.reason_code is None else r.reason_code.value,
                "reason_text": r.reason_text,
                "created_by": r.created_by,
                "created_at": r.created_at,
            }
            for r in session.execute(
                sa.select(
                    Case.case_ref,
                    Worker.staff_id,
                    Allocation.started_on,
                    Allocation.reason_code,
                    Allocation.reason_text,
                    Allocation.created_by,
                    Allocation.created_at,
                )
                .join(Case, Case.id == Allocation.case_id)
                .outerjoin(Worker, Worker.id == Allocation.worker_id)
                .where(Allocation.ended_on.is_(None))
            )
        }
        # The changes still waiting replay on top of the baseline: publish each case as the
        # first waiting change found it.
        for payload in session.execute(
            sa.select(OutboxEvent.payload)
            .where(OutboxEvent.sent_at.is_(None), OutboxEvent.kind == ALLOCATION_KIND)
            .order_by(OutboxEvent.id.desc())
        ).scalars():
            ref = str(payload["case_ref"])
            expected: dict[str, Any] = dict(payload.get("expected") or {})  # type: ignore[call-overload]
            before = allocations.get(ref)
            started = _date(expected.get("started_on"))
            if before is None or started is None:
                allocations.pop(ref, None)
                continue
            allocations[ref] = {
                **before,
                "staff_id": expected.get("staff_id"),
                "started_on": started,
                "reason_code": None,
                "reason_text": "",
            }
    return {
        "teams": teams,
        "workers": workers,
        "family_groups": groups,
        "children": children,
        "cases": cases,
        "allocations": list(allocations.values()),
    }
