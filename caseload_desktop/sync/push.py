"""Push: outbox events to central records, each applied exactly once.

Per batch, one central transaction: the events go into ``received_events`` with
``ON CONFLICT (uuid) DO NOTHING``, only the ones central had not seen are applied, and the
local rows are marked sent only after central has committed. A cut anywhere (the server stops,
the network drops, the laptop sleeps) means central rolled back or committed the whole batch;
either way the next push sends the batch again and the events central already holds are
skipped. Nothing is lost and nothing happens twice.

The events travel as the outbox holds them (JSON text, by COPY) and central decides and applies
a batch's reassignments with a few set-wide statements. Neighbouring batches overlap where that
is safe: while central applies one batch, the next is read from the outbox and received by
central in a transaction of its own, and the one before is marked sent. A batch is applied only
once the one before has committed (it waits for the change sequence's lock first), and is
rolled back if that one failed.

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
import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from caseload_desktop.clock import now_utc
from caseload_desktop.errors import Cancelled
from caseload_desktop.store.engine import Database, driver_connection
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
from caseload_desktop.store.queries import among
from caseload_desktop.sync import central_schema as cs
from caseload_desktop.sync.central import CentralUnavailable, describe_failure, translate_errors

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("caseload.sync")

BATCH_SIZE = 2000
ALLOCATION_KIND = "allocation.changed"  # services.reassignment.OUTBOX_KIND
# How an outbox row that central received and did not apply begins its ``last_error``; the
# row is sent, and never sent again (``services.sync.not_applied`` lists them).
NOT_APPLIED_NOTE = "central did not apply it: "
# Payload keys holding document bytes (base64): kept in their own tables, not in the event log.
_DOCUMENT_KEYS = ("pdf", "content")

# Outcomes recorded in received_events.
APPLIED = "applied"
ALREADY = "already"  # the change was already there (another desktop made the same one)
CONFLICT = "conflict"
RECORDED = "recorded"  # kept in the event log; nothing to apply (a draft started, ...)
REJECTED = "rejected"  # could not be applied (bad checksum, unknown worker); kept, with why

FaultHook = Callable[[int], None]
"""Called inside the central transaction after each event, or round of reassignments, is
applied, with how many events of the batch have been applied so far. Tests use it to cut the
connection mid-batch."""


@dataclasses.dataclass(frozen=True)
class NotApplied:
    """A change central received but did not apply, that no conflict brings back to the
    manager: an event it rejected (no such case or worker, a damaged document), or a change
    other than a reassignment that met a different state in central (a leave date), which
    central kept. The outbox row says so too (``last_error``)."""

    uuid: str
    kind: str
    outcome: str  # REJECTED or CONFLICT
    detail: str

    def as_json(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class PushResult:
    """What one push did.

    Attributes:
        pushed: events central received for the first time.
        already: events central already held (sent again after a cut); marked sent here.
        conflicts: of the pushed, the changes central kept its own state for.
        rejected: of the pushed, events central could not apply (kept in its log, with why).
        baseline: cases published as this desktop's baseline (first sync only).
        not_applied: the rejected, and the conflicts no Conflicts panel shows, with why.
    """

    pushed: int = 0
    already: int = 0
    conflicts: int = 0
    rejected: int = 0
    baseline: int = 0
    not_applied: tuple[NotApplied, ...] = ()


@dataclasses.dataclass  # not frozen: a frozen dataclass is slower to make, by the thousand
class _Event:
    """An outbox event as the local database keeps it: the payload as its JSON text and the
    instant as SQLite's text of it (naive UTC). Both are decoded only when a handler here looks
    at them; central reads an allocation change straight from the JSON."""

    id: int
    uuid: str
    kind: str
    schema_version: int
    payload_json: str
    created_text: str

    @functools.cached_property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.payload_json)
        return value

    @property
    def created_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.created_text).replace(tzinfo=dt.UTC)

    def central_payload(self) -> str:
        """The payload as central's event log keeps it: without any document bytes."""
        text = self.payload_json
        if '"pdf"' in text or '"content"' in text:  # _DOCUMENT_KEYS, as JSON writes them
            return json.dumps(_without_documents(self.payload))
        return text


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
    not_applied: list[NotApplied] = []
    # Two helpers overlap the work of neighbouring batches. The outbox's thread reads the next
    # batch and marks the last committed one sent (one thread: in the order asked) while central
    # applies the current one; and central receives the next batch, in a transaction of its
    # own, while it applies the current one. A batch is applied only after the one before has
    # committed (it waits for the change sequence's lock), and is rolled back if that one fails.
    with (
        concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="caseload-outbox") as outbox,
        concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="caseload-central") as ahead,
    ):
        marks: list[concurrent.futures.Future[None]] = []

        def failed(batch: Sequence[_Event], exc: BaseException) -> None:
            # After the marks still pending: the batches committed before stay sent.
            outbox.submit(_record_failure, db, batch, exc).result()
            for mark in marks:
                if mark.exception() is not None:
                    log.error("could not mark a batch sent", exc_info=mark.exception())

        def read_after(events: Sequence[_Event]) -> concurrent.futures.Future[list[_Event]]:
            return outbox.submit(_next_batch, db, events[-1].id, batch_size)

        batch = _next_batch(db, 0, batch_size)
        receiving = None if not batch else ahead.submit(_Received, engine, peer.desktop_id, batch)
        # The batch after the one being received is read as soon as that one is known: the
        # read then never waits behind the marking of a batch central has just committed.
        upcoming = None if not batch else read_after(batch)
        try:
            while receiving is not None and upcoming is not None:
                if cancelled is not None and cancelled():
                    _settle(marks)
                    raise Cancelled(f"Sync stopped after sending {done} of {total} changes.")
                try:
                    with _translated(engine.url):
                        received = receiving.result()
                except Exception as exc:
                    receiving = None
                    failed(batch, exc)
                    raise
                receiving = None
                try:
                    following = upcoming.result()
                except BaseException:
                    received.discard()
                    raise
                if following:
                    upcoming = read_after(following)
                    receiving = ahead.submit(_Received, engine, peer.desktop_id, following)
                try:
                    with _translated(engine.url):
                        counts = received.apply(peer.desktop_id, fault)
                except Exception as exc:
                    failed(batch, exc)
                    raise
                marks.append(outbox.submit(_mark_sent, db, batch, received.not_applied))
                not_applied += received.not_applied
                totals.update(counts)
                done += len(batch)
                if progress is not None:
                    progress(done, total)
                marks = _settle(marks, wait=False)
                batch = following
            _settle(marks)
        finally:
            if receiving is not None:
                _discard(receiving)
    return PushResult(
        pushed=totals["new"],
        already=totals["already_received"],
        conflicts=totals[CONFLICT],
        rejected=totals[REJECTED],
        baseline=baseline,
        not_applied=tuple(not_applied),
    )


def _settle(
    marks: list[concurrent.futures.Future[None]], *, wait: bool = True
) -> list[concurrent.futures.Future[None]]:
    """Raise the error of a batch that could not be marked sent (waiting for them all, or
    looking only at those done); returns those still pending."""
    for mark in marks:
        if wait or mark.done():
            mark.result()
    return [mark for mark in marks if not mark.done()]


def _next_batch(db: Database, after_id: int, size: int) -> list[_Event]:
    """The next waiting events, read with the driver's own cursor: the payloads stay the JSON
    text the outbox holds (central takes that text as it is)."""
    with db.read() as session:
        cursor = driver_connection(session).cursor()
        try:
            cursor.execute(
                "SELECT id, uuid, kind, schema_version, payload, created_at FROM outbox_events "
                "WHERE sent_at IS NULL AND id > ? ORDER BY id LIMIT ?",
                (after_id, size),
            )
            rows = cursor.fetchall()
        finally:
            cursor.close()
    return [_Event(*row) for row in rows]


def _mark_sent(
    db: Database, batch: Sequence[_Event], not_applied: Sequence[NotApplied] = ()
) -> None:
    outbox = OutboxEvent.__table__
    assert isinstance(outbox, sa.Table)
    with db.write() as session:
        # On the session's connection: a plain UPDATE, without the ORM's bookkeeping; the ids
        # as one JSON array (any batch size fits in one parameter).
        session.connection().execute(
            sa.update(outbox)
            .where(among(outbox.c.id, [e.id for e in batch]))
            .values(sent_at=now_utc(), attempts=outbox.c.attempts + 1, last_error=None)
        )
        if not_applied:
            # Sent, and not to be sent again; but what central made of it stays with it.
            session.connection().execute(
                sa.update(outbox)
                .where(outbox.c.uuid == sa.bindparam("event_uuid"))
                .values(last_error=sa.bindparam("why")),
                [
                    {"event_uuid": n.uuid, "why": f"{NOT_APPLIED_NOTE}{n.detail}"[:1000]}
                    for n in not_applied
                ],
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


class _Received:
    """A batch central has received, in a transaction still open, and not yet applied.

    The events arrive by COPY into a temporary table (numbered in outbox order) and move into
    ``received_events`` with one ``INSERT ... SELECT ... ON CONFLICT (uuid) DO NOTHING
    RETURNING uuid``: the new ones are exactly those it returns; the same statement drops the
    others from the temporary table, which then holds just the events to apply. Their
    reassignments are prepared for deciding (``_PREPARE_SQL``) before the lock is taken.
    """

    def __init__(self, engine: sa.Engine, desktop_id: str, batch: Sequence[_Event]) -> None:
        self.now = now_utc()
        self.conn = engine.connect()
        try:
            self.transaction = self.conn.begin()
            cursor = _raw(self.conn).cursor()
            cursor.execute(_WORK_TABLES)
            with cursor.copy(
                "COPY incoming_events (ord, uuid, kind, schema_version, payload, created_at) "
                "FROM STDIN"
            ) as copy:
                for ord_, e in enumerate(batch):
                    copy.write_row(
                        # SQLite's text of the instant is naive UTC.
                        (
                            ord_,
                            e.uuid,
                            e.kind,
                            e.schema_version,
                            e.central_payload(),
                            e.created_text + "+00",
                        )
                    )
            cursor.execute(
                _RECEIVE_SQL, {"desktop_id": desktop_id, "now": self.now, "applied": APPLIED}
            )
            seen = {row[0] for row in cursor.fetchall()}
            self.new = [(ord_, e) for ord_, e in enumerate(batch) if ord_ not in seen]
            self.already = len(seen)
            # Central may have received some before and not applied them, with this desktop
            # never told: the push that sent them stopped between central's commit and the
            # outbox's mark. They are told now, with the batch's own.
            self.not_applied_before = (
                _not_applied_before(cursor, [batch[ord_].uuid for ord_ in sorted(seen)])
                if seen
                else []
            )
            self.not_applied: list[NotApplied] = []
            self.rounds: dict[int, int] = {}
            if any(e.kind == ALLOCATION_KIND for _ord, e in self.new):
                cursor.execute(_PREPARE_SQL)
                self.rounds = dict(cursor.fetchall())
        except BaseException:
            self.discard()
            raise

    def apply(self, desktop_id: str, fault: FaultHook | None) -> collections.Counter[str]:
        """Apply the new events and commit (or roll back); how many had each outcome."""
        try:
            # Central's writers take this lock (their statement trigger does too), so the
            # change sequence is handed out in commit order and a pull never misses a row. It
            # comes before the first look at what the events apply to: each statement after it
            # sees every batch committed before (READ COMMITTED).
            _raw(self.conn).execute(f"SELECT pg_advisory_xact_lock({cs.SEQ_LOCK_KEY})")
            counts = collections.Counter(new=len(self.new), already_received=self.already)
            counts.update(_apply(self, desktop_id, fault))
            self.not_applied = self.not_applied_before + (
                _not_applied(self.conn) if counts[REJECTED] or counts[CONFLICT] else []
            )
            self.transaction.commit()
        except BaseException:
            self.discard()
            raise
        self.conn.close()
        return counts

    def discard(self) -> None:
        """Roll back (a server gone has rolled back already: nothing to say)."""
        try:
            self.conn.close()
        except sa.exc.DBAPIError:
            log.debug("rolling back a batch on a lost connection", exc_info=True)


@contextlib.contextmanager
def _translated(url: sa.URL) -> Iterator[None]:
    """translate_errors, for the driver's own errors too (the hot path uses its cursors)."""
    import psycopg

    with translate_errors(url):
        try:
            yield
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise CentralUnavailable(describe_failure(exc, url)) from exc


def _discard(receiving: concurrent.futures.Future[_Received]) -> None:
    """Roll back a batch received ahead, once its receiving is over."""
    try:
        received = receiving.result()
    except Exception:
        return  # nothing was kept
    received.discard()


# The batch's work tables: its events as sent, its allocation changes prepared and decided
# (below). Temporary, kept by the connection (a pooled one makes them once) and emptied at
# every commit.
_WORK_TABLES = """
    CREATE TEMPORARY TABLE IF NOT EXISTS incoming_events (
        ord int, uuid varchar(36), kind varchar(60), schema_version int, payload jsonb,
        created_at timestamptz
    ) ON COMMIT DELETE ROWS;
    CREATE TEMPORARY TABLE IF NOT EXISTS pending_changes (
        ord int, uuid varchar(36), run int, round int, case_ref text, case_id int,
        to_staff text, to_worker_id int, expected_staff text, expected_worker_id int,
        expected_start date, effective date, reason_code text, reason_text text, actor text,
        created_at timestamptz
    ) ON COMMIT DELETE ROWS;
    CREATE TEMPORARY TABLE IF NOT EXISTS decided_changes (
        step int, ord int, case_id int, worker_id int, allocation_id bigint, outcome text
    ) ON COMMIT DELETE ROWS
"""

# Returns the places of the events central had already received.
_RECEIVE_SQL = """
    WITH received AS (
        INSERT INTO received_events (uuid, desktop_id, kind, schema_version, payload,
                                     created_at, received_at, outcome)
        SELECT uuid, %(desktop_id)s, kind, schema_version, payload, created_at, %(now)s,
               %(applied)s
        FROM incoming_events
        ON CONFLICT (uuid) DO NOTHING
        RETURNING uuid
    )
    DELETE FROM incoming_events i
    WHERE NOT EXISTS (SELECT FROM received r WHERE r.uuid = i.uuid)
    RETURNING i.ord
"""


# The batch's events central did not apply and no conflict row brings back (incoming_events
# holds the batch's new events by now).
_NOT_APPLIED_SQL = f"""
    SELECT r.uuid, r.kind, r.outcome, coalesce(r.detail, '')
    FROM received_events r JOIN incoming_events i ON i.uuid = r.uuid
    WHERE r.outcome IN ('{REJECTED}', '{CONFLICT}')
          AND NOT EXISTS (SELECT FROM conflicts c WHERE c.event_uuid = r.uuid)
    ORDER BY i.ord
"""


def _not_applied(conn: sa.Connection) -> list[NotApplied]:
    cursor = _raw(conn).cursor()
    cursor.execute(_NOT_APPLIED_SQL)
    return [NotApplied(*row) for row in cursor.fetchall()]


# The same, of events central had received before (by their uuids).
_NOT_APPLIED_BEFORE_SQL = f"""
    SELECT r.uuid, r.kind, r.outcome, coalesce(r.detail, '')
    FROM received_events r
    WHERE r.uuid = ANY(%s) AND r.outcome IN ('{REJECTED}', '{CONFLICT}')
          AND NOT EXISTS (SELECT FROM conflicts c WHERE c.event_uuid = r.uuid)
"""


def _not_applied_before(cursor: psycopg.Cursor[Any], uuids: list[str]) -> list[NotApplied]:
    """Which of ``uuids`` (received before, in outbox order) central did not apply."""
    cursor.execute(_NOT_APPLIED_BEFORE_SQL, (uuids,))
    found = {row[0]: NotApplied(*row) for row in cursor.fetchall()}
    return [found[u] for u in uuids if u in found]


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
    received: _Received, desktop_id: str, fault: FaultHook | None
) -> collections.Counter[str]:
    """Apply a batch's new events in outbox order; returns how many had each outcome. Runs of
    allocation changes (between two events of other kinds) are applied by central a round at a
    time (each case at most once per round), each round with a few set-wide statements."""
    conn = received.conn
    counts = collections.Counter[str]()
    exceptions: list[tuple[str, str, str]] = []
    allocations = _AllocationChanges(_raw(conn).cursor(), desktop_id, received)
    applied = 0
    run = 0  # how many events of other kinds came before (as _PREPARE_SQL numbers runs)
    in_run = False

    def flush_run() -> None:
        nonlocal applied, in_run
        if not in_run:
            return
        for size in allocations.apply(run):
            applied += size
            if fault is not None:
                fault(applied)
        in_run = False

    for _ord, event in received.new:
        if event.kind == ALLOCATION_KIND:
            in_run = True
            continue
        flush_run()
        run += 1
        handler = _HANDLERS.get(event.kind)
        outcome = (
            _Outcome(RECORDED)
            if handler is None
            else handler(conn, desktop_id, event, received.now)
        )
        counts[outcome.outcome] += 1
        if outcome.outcome != APPLIED or outcome.detail:
            exceptions.append((outcome.outcome, outcome.detail[:1000], event.uuid))
        applied += 1
        if fault is not None:
            fault(applied)
    flush_run()
    counts.update(allocations.finish())
    if exceptions:
        _raw(conn).cursor().executemany(
            "UPDATE received_events SET outcome = %s, detail = %s WHERE uuid = %s", exceptions
        )
    return counts


def _date(value: object) -> dt.date | None:
    return None if value in (None, "") else dt.date.fromisoformat(str(value))


# Allocation changes are decided by central in SQL. While the batch before is applied, the
# changes are prepared from the events' JSON (``pending_changes``): runs and rounds numbered,
# and central's ids for their case and workers looked up (ids never change; a key not found
# then is looked for again when deciding, as a batch before may have added it). Under the
# lock, each round is decided against central's current allocations into ``decided_changes``,
# and the writes are set-wide statements over it. No FOR UPDATE: the batch holds the change
# sequence's exclusive advisory lock from before its first look at them, and every writer of
# these tables takes it (their statement trigger does), so nothing else changes an allocation
# until this batch commits.

# Returns each run's number of rounds (the most changes of one case in it).
_PREPARE_SQL = f"""
    WITH prepared AS (
        INSERT INTO pending_changes (ord, uuid, run, round, case_ref, case_id, to_staff,
                                     to_worker_id, expected_staff, expected_worker_id,
                                     expected_start, effective, reason_code, reason_text, actor,
                                     created_at)
        SELECT e.ord, e.uuid, e.run,
               row_number() OVER (PARTITION BY e.run, e.case_ref ORDER BY e.ord),
               e.case_ref, c.id, e.to_staff, tw.id, e.expected_staff, ew.id, e.expected_start,
               e.effective, e.reason_code, e.reason_text, e.actor, e.created_at
        FROM (
            SELECT ord, uuid, kind, created_at,
                   payload->>'case_ref' AS case_ref,
                   payload->>'to_staff_id' AS to_staff,
                   NULLIF(payload->>'effective', '')::date AS effective,
                   payload->'expected'->>'staff_id' AS expected_staff,
                   NULLIF(payload->'expected'->>'started_on', '')::date AS expected_start,
                   payload->>'reason_code' AS reason_code,
                   coalesce(payload->>'reason_text', '') AS reason_text,
                   coalesce(payload->>'actor', '') AS actor,
                   count(*) FILTER (WHERE kind <> '{ALLOCATION_KIND}') OVER (ORDER BY ord)
                       AS run
            FROM incoming_events
        ) AS e
        LEFT JOIN cases c ON c.case_ref = e.case_ref
        LEFT JOIN workers tw ON tw.staff_id = NULLIF(e.to_staff, '')
        LEFT JOIN workers ew ON ew.staff_id = e.expected_staff
        WHERE e.kind = '{ALLOCATION_KIND}'
        RETURNING run, round
    )
    SELECT run, max(round) FROM prepared GROUP BY run
"""

# One round of a run. A change applies when central's current allocation is the one it
# expects to replace (the same worker, or nobody, since the same day); it was already there
# when central's is the one it makes; otherwise it is a conflict. A case without a current
# allocation holds (nobody, no day). Returns how many had each outcome.
_DECIDE_SQL = f"""
    WITH decided AS (
        INSERT INTO decided_changes (step, ord, case_id, worker_id, allocation_id, outcome)
        SELECT %(step)s, p.ord, p.case_id, p.to_worker_id, a.id,
               CASE
                   WHEN p.case_id IS NULL THEN '{REJECTED}'
                   WHEN p.to_staff IS NOT NULL AND p.to_worker_id IS NULL THEN '{REJECTED}'
                   WHEN CASE WHEN p.expected_staff IS NULL THEN a.worker_id IS NULL
                             ELSE a.worker_id = p.expected_worker_id END
                        AND a.started_on IS NOT DISTINCT FROM p.expected_start
                       THEN '{APPLIED}'
                   WHEN CASE WHEN p.to_staff IS NULL THEN a.worker_id IS NULL
                             ELSE a.worker_id = p.to_worker_id END
                        AND a.started_on IS NOT DISTINCT FROM p.effective
                       THEN '{ALREADY}'
                   ELSE '{CONFLICT}'
               END
        FROM (
            SELECT q.ord, q.to_staff, q.expected_staff, q.expected_start, q.effective,
                   coalesce(q.case_id,
                            (SELECT id FROM cases WHERE case_ref = q.case_ref)) AS case_id,
                   coalesce(q.to_worker_id,
                            (SELECT id FROM workers WHERE staff_id = NULLIF(q.to_staff, '')))
                       AS to_worker_id,
                   coalesce(q.expected_worker_id,
                            (SELECT id FROM workers WHERE staff_id = q.expected_staff))
                       AS expected_worker_id
            FROM pending_changes q
            WHERE q.run = %(run)s AND q.round = %(round)s
        ) AS p
        LEFT JOIN allocations a ON a.case_id = p.case_id AND a.ended_on IS NULL
        RETURNING outcome
    )
    SELECT outcome, count(*) FROM decided GROUP BY outcome
"""

# The applied changes end the allocations they replace (numbering them themselves, which
# leaves the change trigger nothing to number again)...
_END_SQL = f"""
    UPDATE allocations a SET ended_on = p.effective, seq = nextval('{cs.CHANGE_SEQUENCE}')
    FROM decided_changes d JOIN pending_changes p ON p.ord = d.ord
    WHERE d.step = %s AND d.outcome = '{APPLIED}' AND a.id = d.allocation_id
          AND a.ended_on IS NULL
"""

# ... and start the new ones (``seq`` from the column's default).
_START_SQL = f"""
    INSERT INTO allocations (case_id, worker_id, started_on, reason_code, reason_text,
                             created_by, created_at, event_uuid)
    SELECT d.case_id, d.worker_id, p.effective, p.reason_code, p.reason_text, p.actor,
           p.created_at, p.uuid
    FROM decided_changes d JOIN pending_changes p ON p.ord = d.ord
    WHERE d.step = %s AND d.outcome = '{APPLIED}'
    ORDER BY d.ord
"""

# An instant as Python's isoformat() writes it (as allocation_state does).
_ISO_AT = """
    to_char(a.created_at, 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN to_char(a.created_at, 'US') = '000000' THEN ''
            ELSE to_char(a.created_at, '.US') END
    || to_char(a.created_at, 'TZH:TZM')
"""

# A conflict keeps central's allocation (unchanged by the round: its case is the conflict's)
# in the shape of allocation_state(), and the change as sent.
_CONFLICT_SQL = f"""
    INSERT INTO conflicts (event_uuid, desktop_id, case_ref, team_id, my_change,
                           central_state, created_at)
    SELECT p.uuid, %(desktop_id)s, p.case_ref, c.team_id, i.payload,
           jsonb_build_object('staff_id', w.staff_id, 'started_on', a.started_on,
                              'by', a.created_by, 'at', {_ISO_AT}),
           %(now)s
    FROM decided_changes d
    JOIN pending_changes p ON p.ord = d.ord
    JOIN incoming_events i ON i.ord = d.ord
    JOIN cases c ON c.id = d.case_id
    LEFT JOIN allocations a ON a.id = d.allocation_id
    LEFT JOIN workers w ON w.id = a.worker_id
    WHERE d.step = %(step)s AND d.outcome = '{CONFLICT}'
    ORDER BY d.ord
"""

# The events' log entries say what became of the changes that did not apply as sent.
_OUTCOMES_SQL = f"""
    UPDATE received_events r SET outcome = d.outcome, detail = left(
        CASE
            WHEN d.outcome = '{REJECTED}' AND d.case_id IS NULL
                THEN format('central records have no case %%s', p.case_ref)
            WHEN d.outcome = '{REJECTED}'
                THEN format('central records have no worker with staff ID %%s', p.to_staff)
            WHEN d.outcome = '{ALREADY}' THEN 'central already had this allocation'
            ELSE format('central''s allocation of %%s was not the one this change replaces',
                        p.case_ref)
        END, 1000)
    FROM decided_changes d JOIN pending_changes p ON p.ord = d.ord
    WHERE r.uuid = p.uuid AND d.outcome <> %(applied)s
"""


class _AllocationChanges:
    """Applies a batch's runs of allocation changes, a round at a time, in central."""

    def __init__(self, cursor: psycopg.Cursor[Any], desktop_id: str, received: _Received) -> None:
        self.cursor = cursor
        self.desktop_id = desktop_id
        self.now = received.now
        self.rounds = received.rounds  # by run
        self.steps = 0  # rounds decided so far in this batch
        self.counts = collections.Counter[str]()

    def apply(self, run: int) -> Iterator[int]:
        """Apply one run of changes, a round at a time; yields each round's size once it is
        written."""
        cursor = self.cursor
        for round_ in range(1, self.rounds.get(run, 0) + 1):
            self.steps += 1
            step = self.steps
            cursor.execute(_DECIDE_SQL, {"run": run, "round": round_, "step": step})
            decided: dict[str, int] = dict(cursor.fetchall())
            if decided.get(APPLIED):
                cursor.execute(_END_SQL, (step,))
                cursor.execute(_START_SQL, (step,))
            if decided.get(CONFLICT):
                cursor.execute(
                    _CONFLICT_SQL, {"desktop_id": self.desktop_id, "now": self.now, "step": step}
                )
            self.counts.update(decided)
            yield sum(decided.values())

    def finish(self) -> collections.Counter[str]:
        """Record the outcomes other than applied in the event log; how many of each."""
        if sum(n for outcome, n in self.counts.items() if outcome != APPLIED):
            self.cursor.execute(_OUTCOMES_SQL, {"applied": APPLIED})
        return self.counts


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
