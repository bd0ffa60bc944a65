"""How central applies pushed allocation changes: each decided against central's current
allocation as the runs and rounds of the outbox order leave it (applied, already there, a
conflict, rejected), and written exactly once even when part of a batch was received before.

The events are written straight into a desktop's outbox, as the services write them, so each
outcome can be set up exactly; central is a real PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from caseload_desktop.clock import now_utc
from caseload_desktop.errors import Cancelled
from caseload_desktop.store.engine import Database
from caseload_desktop.store.models import OutboxEvent
from caseload_desktop.sync import central as central_store
from caseload_desktop.sync import push as push_mod
from tests.conftest import TODAY

pytestmark = pytest.mark.filterwarnings("ignore::platformdirs.api.RuntimeDirWarning")

ACTOR = "test.manager"


@pytest.fixture
def central(central_url: str) -> Iterator[tuple[sa.Engine, str]]:
    engine = central_store.make_central_engine(central_store.parse_address(central_url))
    with engine.connect() as conn:
        central_id = central_store.central_id(conn)
    yield engine, central_id
    engine.dispose()


def _rows(url: str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()


def _current(url: str, limit: int) -> list[tuple[Any, ...]]:
    """Open cases held by a worker in central: case ref, staff ID, since, by, at, team id."""
    return _rows(
        url,
        "SELECT c.case_ref, w.staff_id, a.started_on, a.created_by, a.created_at, c.team_id "
        "FROM allocations a JOIN cases c ON c.id = a.case_id JOIN workers w ON w.id = "
        "a.worker_id WHERE a.ended_on IS NULL AND c.closed_on IS NULL ORDER BY c.case_ref "
        "LIMIT %s",
        limit,
    )


def _move(
    case_ref: str,
    expected: tuple[str | None, dt.date | None],
    to_staff: str | None,
    effective: dt.date,
) -> dict[str, Any]:
    """An allocation.changed event as services.reassignment writes it."""
    staff, started = expected
    return {
        "kind": push_mod.ALLOCATION_KIND,
        "payload": {
            "batch": str(uuid.uuid4()),
            "case_ref": case_ref,
            "expected": {
                "staff_id": staff,
                "started_on": None if started is None else started.isoformat(),
            },
            "to_staff_id": to_staff,
            "effective": effective.isoformat(),
            "reason_code": "MANAGE",
            "reason_text": f"moved to {to_staff}",
            "actor": ACTOR,
        },
    }


def _write(db: Database, events: list[dict[str, Any]]) -> list[str]:
    """Put the events in the outbox in this order; their UUIDs."""
    rows = [
        OutboxEvent(
            uuid=str(uuid.uuid4()),
            kind=e["kind"],
            schema_version=1,
            payload=e["payload"],
            created_at=now_utc(),
            attempts=0,
        )
        for e in events
    ]
    with db.write() as session:
        session.add_all(rows)
    return [r.uuid for r in rows]


def _set_sent(db: Database, uuids: list[str], sent: bool) -> None:
    with db.write() as session:
        session.execute(
            sa.update(OutboxEvent)
            .where(OutboxEvent.uuid.in_(uuids))
            .values(sent_at=now_utc() if sent else None)
        )


def test_allocation_changes_apply_in_outbox_order_and_each_gets_its_outcome(
    central_url: str, central: tuple[sa.Engine, str], demo_db: Database
) -> None:
    engine, central_id = central
    push_mod.push(demo_db, engine, central_id)  # the baseline
    (c1, s1, d1, *_), (c2, s2, d2, by2, at2, team2), (c3, s3, d3, *_), (c4, s4, d4, *_) = _current(
        central_url, 4
    )
    others = [s for s in (r[1] for r in _current(central_url, 50)) if s not in (s1, s2, s3, s4)]
    sx, sy = others[0], next(s for s in others if s != others[0])
    e1, e2 = TODAY, TODAY + dt.timedelta(days=1)
    events = [
        _move(c1, (s1, d1), sx, e1),  # applied
        _move(c2, (sx, d2), sy, e1),  # a conflict: central's is s2's
        _move(c1, (sx, e1), None, e1),  # applied, after the first (the second round)
        _move(c3, ("S-OTHER", dt.date(2020, 1, 1)), s3, d3),  # already so in central
        {"kind": "settings.changed", "payload": {"settings": {"t.k": 1}, "actor": ACTOR}},
        _move(c1, (None, e1), sy, e2),  # applied: a new run, after the settings change
        _move("C-NOPE", (s1, d1), sx, e1),  # rejected: no such case
        _move(c4, (s4, d4), "S-NOPE", e1),  # rejected: no such worker
    ]
    uuids = _write(demo_db, events)
    faults: list[int] = []

    result = push_mod.push(demo_db, engine, central_id, fault=faults.append)

    assert (result.pushed, result.already, result.conflicts, result.rejected) == (8, 0, 1, 2)
    # After each round of the first run (three cases, then c1 again), the settings change, and
    # the second run's one round.
    assert faults == [3, 4, 5, 8]
    outcomes = dict(
        (
            (u, (o, d))
            for u, o, d in _rows(
                central_url,
                "SELECT uuid, outcome, detail FROM received_events WHERE uuid = ANY(%s)",
                uuids,
            )
        )
    )
    assert [outcomes[u] for u in uuids] == [
        ("applied", ""),
        ("conflict", f"central's allocation of {c2} was not the one this change replaces"),
        ("applied", ""),
        ("already", "central already had this allocation"),
        ("applied", ""),
        ("applied", ""),
        ("rejected", "central records have no case C-NOPE"),
        ("rejected", "central records have no worker with staff ID S-NOPE"),
    ]
    history = _rows(
        central_url,
        "SELECT w.staff_id, a.started_on, a.ended_on, a.event_uuid, a.reason_code, "
        "a.reason_text, a.created_by FROM allocations a JOIN cases c ON c.id = a.case_id "
        "LEFT JOIN workers w ON w.id = a.worker_id WHERE c.case_ref = %s ORDER BY a.id",
        c1,
    )
    assert [(s, start, end) for s, start, end, *_ in history[-4:]] == [
        (s1, d1, e1),
        (sx, e1, e1),
        (None, e1, e2),
        (sy, e2, None),
    ]
    assert history[-1][3:] == (uuids[5], "MANAGE", f"moved to {sy}", ACTOR)
    # The other cases keep central's allocations.
    assert [r[:3] for r in _current(central_url, 4)[1:]] == [
        (c2, s2, d2),
        (c3, s3, d3),
        (c4, s4, d4),
    ]
    [(event_uuid, case_ref, team_id, my_change, state)] = _rows(
        central_url,
        "SELECT event_uuid, case_ref, team_id, my_change, central_state FROM conflicts",
    )
    assert (event_uuid, case_ref, team_id) == (uuids[1], c2, team2)
    assert my_change == events[1]["payload"]
    # As push.allocation_state writes it.
    assert state == {"staff_id": s2, "started_on": d2.isoformat(), "by": by2, "at": at2.isoformat()}


def test_a_batch_partly_received_before_applies_only_the_rest(
    central_url: str, central: tuple[sa.Engine, str], demo_db: Database
) -> None:
    engine, central_id = central
    push_mod.push(demo_db, engine, central_id)  # the baseline
    held = _current(central_url, 4)
    uuids = _write(demo_db, [_move(ref, (s, d), None, TODAY) for ref, s, d, *_ in held])
    # Central receives the first and third (as if the reply to an earlier push was lost) ...
    _set_sent(demo_db, uuids[1::2], sent=True)
    first = push_mod.push(demo_db, engine, central_id)
    assert (first.pushed, first.already) == (2, 0)
    # ... then the whole batch comes again: the two it holds are skipped, the others applied.
    _set_sent(demo_db, uuids, sent=False)
    again = push_mod.push(demo_db, engine, central_id)
    assert (again.pushed, again.already, again.conflicts, again.rejected) == (2, 2, 0, 0)
    assert _rows(
        central_url,
        "SELECT event_uuid, count(*) FROM allocations WHERE event_uuid = ANY(%s) "
        "GROUP BY event_uuid ORDER BY event_uuid",
        uuids,
    ) == sorted((u, 1) for u in uuids)
    assert {o for (o,) in _rows(central_url, "SELECT outcome FROM received_events")} == {"applied"}
    assert push_mod.waiting_count(demo_db) == 0


def test_a_change_not_applied_is_told_even_when_the_push_that_sent_it_was_cut(
    central_url: str, central: tuple[sa.Engine, str], demo_db: Database
) -> None:
    """Central commits a batch holding a change it could not apply, and the push stops before
    the outbox is marked (the app killed, the disk full): the next push finds the batch
    received already, and still tells which change central did not apply, and why."""
    engine, central_id = central
    push_mod.push(demo_db, engine, central_id)  # the baseline
    (c1, s1, d1, *_), (c2, s2, d2, *_) = _current(central_url, 2)
    uuids = _write(
        demo_db,
        [_move(c1, (s1, d1), None, TODAY), _move(c2, (s2, d2), "S-NOPE", TODAY)],  # 2nd: rejected
    )
    first = push_mod.push(demo_db, engine, central_id)
    assert first.rejected == 1 and [n.uuid for n in first.not_applied] == [uuids[1]]
    # As if that push had stopped after central's commit: nothing marked sent, nothing told.
    with demo_db.write() as session:
        session.execute(
            sa.update(OutboxEvent)
            .where(OutboxEvent.uuid.in_(uuids))
            .values(sent_at=None, last_error=None)
        )
    again = push_mod.push(demo_db, engine, central_id)
    assert (again.pushed, again.already, again.rejected) == (0, 2, 0)  # nothing applied twice
    [told] = again.not_applied
    assert (told.uuid, told.outcome) == (uuids[1], "rejected")
    assert told.detail == "central records have no worker with staff ID S-NOPE"
    with demo_db.read() as session:
        errors = dict(
            session.execute(
                sa.select(OutboxEvent.uuid, OutboxEvent.last_error).where(
                    OutboxEvent.uuid.in_(uuids)
                )
            ).all()
        )
    assert errors == {uuids[0]: None, uuids[1]: push_mod.NOT_APPLIED_NOTE + told.detail}
    assert push_mod.waiting_count(demo_db) == 0


def test_a_push_stopped_between_batches_keeps_what_was_sent_and_nothing_more(
    central_url: str, central: tuple[sa.Engine, str], demo_db: Database
) -> None:
    engine, central_id = central
    push_mod.push(demo_db, engine, central_id)  # the baseline
    uuids = _write(
        demo_db, [_move(ref, (s, d), None, TODAY) for ref, s, d, *_ in _current(central_url, 6)]
    )
    sent: list[int] = []
    with pytest.raises(Cancelled, match="after sending 2 of 6"):
        push_mod.push(
            demo_db,
            engine,
            central_id,
            batch_size=2,
            progress=lambda done, _total: sent.append(done),
            cancelled=lambda: bool(sent),
        )
    # The first batch is in central and marked sent here; the next one, received while the
    # first was applied, was rolled back with the stop.
    received = {u for (u,) in _rows(central_url, "SELECT uuid FROM received_events")}
    assert received & set(uuids) == set(uuids[:2])
    assert push_mod.waiting_count(demo_db) == 4
    rest = push_mod.push(demo_db, engine, central_id, batch_size=2)
    assert (rest.pushed, rest.already) == (4, 0)
    assert _rows(
        central_url, "SELECT count(*) FROM allocations WHERE event_uuid = ANY(%s)", uuids
    ) == [(6,)]
