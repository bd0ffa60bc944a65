"""Supervision sessions (``services.supervision``) on a copy of the demo database.

Each test gets a fresh copy of the session's demo database (1000 cases, seed 7, as at 26 Nov
2026). The worker supervised, a colleague, a leaver and an inactive worker are found through
the CLI's own read commands (``caseloads``, ``cases``), never hard-coded. What a step writes is
read back from the file with ``sqlite3``, so "nothing is written" means the supervision tables,
the audit trail and the outbox are exactly as they were. PDFs are read with pypdf.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import hashlib
import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdf
import pytest

from caseload_desktop import cli
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.domain.settings import ServiceSettings
from caseload_desktop.domain.supervision import ActionStatus, SessionStatus, record_id
from caseload_desktop.errors import BadInput, NotFound, RuleViolation, StaleData
from caseload_desktop.services import reassignment
from caseload_desktop.services import settings as settings_service
from caseload_desktop.services import supervision as service
from caseload_desktop.services.supervision import ActionInput, DiscussionInput, DraftInput
from caseload_desktop.store.engine import Database

TODAY = dt.date(2026, 11, 26)
ACTOR = "tm.tester"
OTHER_ACTOR = "tm.elsewhere"
SUPERVISION_TABLES = (
    "supervision_sessions",
    "supervision_cases",
    "supervision_actions",
    "supervision_addenda",
)
TABLES = (*SUPERVISION_TABLES, "audit_events", "outbox_events")


# --- The demo, as the read commands show it --------------------------------------------------


def cli_json(path: Path, *argv: str) -> Any:
    out = io.StringIO()
    status = cli.main([*argv, "--db", str(path), "--json"], out=out)
    assert status == 0, argv
    return json.loads(out.getvalue())


def query(path: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        return connection.execute(sql, params).fetchall()


@dataclasses.dataclass(frozen=True)
class Person:
    id: int
    name: str
    staff_id: str


@dataclasses.dataclass(frozen=True)
class Demo:
    path: Path
    worker: Person  # the worker supervised: an active social worker with several cases
    cases: dict[str, int]  # the worker's open cases today: case ref -> id
    colleague: Person  # another active social worker
    colleague_cases: dict[str, int]
    leaver: Person
    inactive: Person

    @property
    def refs(self) -> list[str]:
        return sorted(self.cases)


def person(path: Path, row: dict[str, Any]) -> Person:
    [(worker_id,)] = query(path, "SELECT id FROM workers WHERE staff_id = ?", row["staff_id"])
    return Person(worker_id, row["worker"], row["staff_id"])


def open_cases(path: Path, staff_id: str) -> dict[str, int]:
    refs = [c["case_ref"] for c in cli_json(path, "cases", "--worker", staff_id)]
    return {ref: query(path, "SELECT id FROM cases WHERE case_ref = ?", ref)[0][0] for ref in refs}


@pytest.fixture
def demo(demo_db_path: Path) -> Demo:
    workers = sorted(cli_json(demo_db_path, "caseloads"), key=lambda w: w["staff_id"])
    in_post = [
        w
        for w in workers
        if w["status"] == "active" and w["role"] == "social_worker" and w["cases"] >= 5
    ]
    worker, colleague = person(demo_db_path, in_post[0]), person(demo_db_path, in_post[1])
    return Demo(
        path=demo_db_path,
        worker=worker,
        cases=open_cases(demo_db_path, worker.staff_id),
        colleague=colleague,
        colleague_cases=open_cases(demo_db_path, colleague.staff_id),
        leaver=person(demo_db_path, next(w for w in workers if w["status"] == "left")),
        inactive=person(demo_db_path, next(w for w in workers if w["status"] == "inactive")),
    )


@pytest.fixture
def settings(demo_db: Database) -> ServiceSettings:
    return settings_service.load_settings(demo_db)


# --- What is written -------------------------------------------------------------------------


def counts(path: Path) -> dict[str, int]:
    return {table: query(path, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES}


def state(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row a supervision step may write or change."""
    return {table: query(path, f"SELECT * FROM {table} ORDER BY id") for table in TABLES}


def new_rows(path: Path, table: str, before: dict[str, int]) -> list[dict[str, Any]]:
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(
            f"SELECT * FROM {table} ORDER BY id LIMIT -1 OFFSET ?", (before[table],)
        ).fetchall()
    return [dict(r) for r in rows]


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- Sessions --------------------------------------------------------------------------------


def draft_for(demo: Demo, **changes: Any) -> DraftInput:
    """A complete draft: one case of the worker's discussed, two actions."""
    first = demo.cases[demo.refs[0]]
    draft = DraftInput(
        held_on=TODAY,
        attendees=(demo.worker.name, "Sam Reid"),
        wellbeing="Tired after a run of late visits; taking Friday off.",
        workload="Two court reports due next week.",
        next_supervision=TODAY + dt.timedelta(days=21),
        discussions=(
            DiscussionInput(
                case_id=first,
                current_position="Visits on track; school attendance up.",
                lived_experience="Says home feels calmer.",
                decision="Step down to early help",
                rationale="Needs are met without a plan.",
            ),
        ),
        actions=(
            ActionInput("Arrange the step-down meeting", demo.worker.id, TODAY + dt.timedelta(7)),
            ActionInput(
                "Book the family group conference",
                demo.colleague.id,
                TODAY + dt.timedelta(14),
                first,
            ),
        ),
    )
    return dataclasses.replace(draft, **changes)


def new_draft(db: Database, demo: Demo, draft: DraftInput | None = None) -> int:
    return service.create_draft(
        db, demo.worker.id, draft or draft_for(demo), actor=ACTOR, today=TODAY
    )


def finalise(db: Database, session_id: int, settings: ServiceSettings, version: int = 1) -> str:
    return service.finalise(
        db,
        session_id,
        expected_version=version,
        actor=ACTOR,
        rules=settings.rules,
        style=settings.records,
    )


def final_record(
    db: Database, demo: Demo, settings: ServiceSettings, draft: DraftInput | None = None
) -> tuple[int, str]:
    session_id = new_draft(db, demo, draft)
    return session_id, finalise(db, session_id, settings)


def export(db: Database, session_id: int, path: Path, settings: ServiceSettings) -> str:
    return service.export_pdf(db, session_id, path, rules=settings.rules, style=settings.records)


def action_ids(path: Path, session_id: int) -> list[int]:
    rows = query(
        path,
        "SELECT id FROM supervision_actions WHERE session_id = ? ORDER BY position",
        session_id,
    )
    return [r[0] for r in rows]


# --- Draft, save, finalise -------------------------------------------------------------------


def test_a_draft_is_created_saved_and_finalised_and_reads_back_as_written(
    demo_db: Database, demo: Demo, settings: ServiceSettings
) -> None:
    before = counts(demo.path)
    session_id = new_draft(demo_db, demo)

    row = service.session_row(demo_db, session_id)
    assert (row.status, row.version, row.worker, row.pdf_sha256) == (
        SessionStatus.DRAFT,
        1,
        demo.worker.name,
        None,
    )
    [started] = new_rows(demo.path, "audit_events", before)
    assert (started["action"], json.loads(started["detail"])) == (
        "supervision.started",
        {"session_id": session_id, "worker_id": demo.worker.id},
    )
    assert counts(demo.path)["outbox_events"] == before["outbox_events"]  # drafts are not sent

    second, third = demo.cases[demo.refs[1]], demo.cases[demo.refs[2]]
    saved = draft_for(
        demo,
        wellbeing="Better after a day off.",
        discussions=(
            DiscussionInput(second, "Assessment half done.", "Worried about the new partner."),
            DiscussionInput(third, decision="Convene a strategy discussion", rationale="New risk"),
        ),
        actions=(
            ActionInput("Visit with the police", demo.colleague.id, TODAY, third),
            ActionInput("Chase the school report", demo.worker.id, None, second),
            ActionInput("Update the chronology", demo.worker.id, TODAY + dt.timedelta(3)),
        ),
    )
    version = service.save_draft(
        demo_db, session_id, saved, expected_version=1, actor=ACTOR, today=TODAY
    )
    assert version == 2

    draft_record = service.load_record(demo_db, session_id, settings.rules)
    assert draft_record.status is SessionStatus.DRAFT and not draft_record.is_final
    assert draft_record.wellbeing == "Better after a day off."
    assert [(d.case_ref, d.current_position, d.decision) for d in draft_record.discussions] == [
        (demo.refs[1], "Assessment half done.", ""),
        (demo.refs[2], "", "Convene a strategy discussion"),
    ]
    assert [(a.action, a.owner, a.due, a.case_ref) for a in draft_record.actions] == [
        ("Visit with the police", demo.colleague.name, TODAY, demo.refs[2]),
        ("Chase the school report", demo.worker.name, None, demo.refs[1]),
        ("Update the chronology", demo.worker.name, TODAY + dt.timedelta(3), None),
    ]

    digest = finalise(demo_db, session_id, settings, version=2)

    row = service.session_row(demo_db, session_id)
    assert (row.status, row.version, row.pdf_sha256) == (SessionStatus.FINAL, 3, digest)
    record = service.load_record(demo_db, session_id, settings.rules)
    assert record.is_final and record.finalised_by == ACTOR
    assert record.finalised_at is not None
    assert record.record_id == record_id(session_id) == f"SUP-{session_id:06d}"
    assert (record.worker, record.held_on, record.attendees) == (
        demo.worker.name,
        TODAY,
        (demo.worker.name, "Sam Reid"),
    )
    assert (record.wellbeing, record.workload, record.next_supervision) == (
        "Better after a day off.",
        "Two court reports due next week.",
        TODAY + dt.timedelta(days=21),
    )
    assert record.discussions == draft_record.discussions
    assert record.actions == draft_record.actions
    assert all(a.status is ActionStatus.OPEN for a in record.actions)
    assert counts(demo.path)["supervision_cases"] == before["supervision_cases"] + 2
    assert counts(demo.path)["supervision_actions"] == before["supervision_actions"] + 3


def test_saving_with_an_old_version_is_stale_and_changes_nothing(
    demo_db: Database, demo: Demo
) -> None:
    session_id = new_draft(demo_db, demo)
    assert (
        service.save_draft(
            demo_db,
            session_id,
            draft_for(demo, wellbeing="Saved on the laptop."),
            expected_version=1,
            actor=ACTOR,
            today=TODAY,
        )
        == 2
    )
    before = state(demo.path)

    with pytest.raises(StaleData, match="changed elsewhere"):
        service.save_draft(
            demo_db,
            session_id,
            draft_for(demo, wellbeing="Saved on the desktop.", actions=()),
            expected_version=1,
            actor=OTHER_ACTOR,
            today=TODAY,
        )

    assert state(demo.path) == before
    assert service.session_row(demo_db, session_id).version == 2
    assert query(
        demo.path, "SELECT wellbeing FROM supervision_sessions WHERE id = ?", session_id
    ) == [("Saved on the laptop.",)]


def test_finalising_with_an_old_version_is_stale_and_leaves_the_draft(
    demo_db: Database, demo: Demo, settings: ServiceSettings
) -> None:
    session_id = new_draft(demo_db, demo)
    service.save_draft(
        demo_db, session_id, draft_for(demo), expected_version=1, actor=OTHER_ACTOR, today=TODAY
    )
    before = state(demo.path)

    with pytest.raises(StaleData, match="not finalised"):
        finalise(demo_db, session_id, settings, version=1)

    assert state(demo.path) == before
    row = service.session_row(demo_db, session_id)
    assert (row.status, row.version, row.pdf_sha256) == (SessionStatus.DRAFT, 2, None)


def test_a_final_record_is_not_saved_or_finalised_again(
    demo_db: Database, demo: Demo, settings: ServiceSettings
) -> None:
    session_id, _ = final_record(demo_db, demo, settings)
    before = state(demo.path)

    with pytest.raises(RuleViolation, match="final and cannot be edited"):
        service.save_draft(
            demo_db,
            session_id,
            draft_for(demo, wellbeing="Edited afterwards."),
            expected_version=2,
            actor=ACTOR,
            today=TODAY,
        )
    with pytest.raises(RuleViolation, match="already final"):
        finalise(demo_db, session_id, settings, version=2)

    assert state(demo.path) == before


def test_load_record_and_finalise_of_an_unknown_session_are_not_found(
    demo_db: Database, settings: ServiceSettings
) -> None:
    with pytest.raises(NotFound, match="SUP-009999"):
        service.load_record(demo_db, 9999, settings.rules)
    with pytest.raises(NotFound, match="SUP-009999"):
        finalise(demo_db, 9999, settings)


# --- The caseload and the day's reassignments --------------------------------------------------


def test_the_snapshot_is_every_open_case_the_worker_holds_on_the_day(
    demo_db: Database, demo: Demo, settings: ServiceSettings
) -> None:
    """Only one case is discussed; the caseload lists all of them, as ``caseload cases
    --worker`` does on the same day."""
    session_id, _ = final_record(demo_db, demo, settings)

    listed = cli_json(demo.path, "cases", "--worker", demo.worker.staff_id)
    record = service.load_record(demo_db, session_id, settings.rules)
    assert len(record.discussions) == 1 < len(listed)
    assert [(c.case_ref, c.child) for c in record.snapshot] == [
        (c["case_ref"], c["child"]) for c in listed
    ]
    for case, shown in zip(record.snapshot, listed, strict=True):
        assert case.allocated_since == dt.date.fromisoformat(shown["allocated_on"])
        due = shown["next_visit_due"]
        assert case.next_visit_due == (None if due is None else dt.date.fromisoformat(due))
    # The snapshot is kept with the record: later moves do not change it.
    [(stored,)] = query(
        demo.path, "SELECT snapshot FROM supervision_sessions WHERE id = ?", session_id
    )
    assert [c["case_ref"] for c in json.loads(stored)["cases"]] == [c["case_ref"] for c in listed]
    reassignment.reassign(
        demo_db,
        reassignment.Request(
            case_refs=[demo.refs[-1]], to_worker_id=demo.colleague.id, accept_over_capacity=True
        ),
        rules=settings.rules,
        today=TODAY,
        actor=ACTOR,
    )
    again = service.load_record(demo_db, session_id, settings.rules)
    assert again.snapshot == record.snapshot


def test_a_past_session_shows_the_caseload_as_it_stood_that_day(
    demo_db: Database, demo: Demo, settings: ServiceSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A case moved away today is in yesterday's caseload (as ``caseload cases --worker`` shows
    it with ``CASELOAD_TODAY`` set to yesterday) and not in today's."""
    moved = demo.refs[-1]
    reassignment.reassign(
        demo_db,
        reassignment.Request(
            case_refs=[moved], to_worker_id=demo.colleague.id, accept_over_capacity=True
        ),
        rules=settings.rules,
        today=TODAY,
        actor=ACTOR,
    )
    yesterday = TODAY - dt.timedelta(days=1)
    past = draft_for(
        demo,
        held_on=yesterday,
        discussions=(DiscussionInput(demo.cases[moved], "Held yesterday, moved today."),),
        actions=(),
    )
    past_id, _ = final_record(demo_db, demo, settings, past)
    today_id, _ = final_record(demo_db, demo, settings, draft_for(demo, actions=()))

    then = [c.case_ref for c in service.load_record(demo_db, past_id, settings.rules).snapshot]
    now = [c.case_ref for c in service.load_record(demo_db, today_id, settings.rules).snapshot]
    held_now = [
        c["case_ref"] for c in cli_json(demo.path, "cases", "--worker", demo.worker.staff_id)
    ]
    monkeypatch.setenv("CASELOAD_TODAY", yesterday.isoformat())
    held_then = [
        c["case_ref"] for c in cli_json(demo.path, "cases", "--worker", demo.worker.staff_id)
    ]
    assert moved in then == held_then
    assert moved not in now
    assert now == held_now == [r for r in demo.refs if r != moved]


def test_a_reassignment_made_on_the_day_of_the_session_is_in_the_record(
    demo_db: Database, demo: Demo, settings: ServiceSettings
) -> None:
    """The worker's case moved to a colleague in the session (``reassign``, effective on the
    session day) is listed under the cases reassigned, with who from, who to and why."""
    moved = demo.refs[-1]
    reassignment.reassign(
        demo_db,
        reassignment.Request(
            case_refs=[moved],
            to_worker_id=demo.colleague.id,
            reason=ChangeReason.OTHERS,
            reason_text="agreed in supervision",
            accept_over_capacity=True,
        ),
        rules=settings.rules,
        today=TODAY,
        actor=ACTOR,
    )

    session_id, _ = final_record(demo_db, demo, settings, draft_for(demo, actions=()))

    record = service.load_record(demo_db, session_id, settings.rules)
    ours = [r for r in record.reassignments if r.case_ref == moved]
    assert [(r.from_worker, r.to_worker) for r in ours] == [
        (demo.worker.name, demo.colleague.name)
    ], record.reassignments
    assert "agreed in supervision" in ours[0].reason
    assert moved not in [c.case_ref for c in record.snapshot]


def test_the_days_moves_in_the_audit_trail_are_the_records_reassignments(
    demo_db: Database, demo_db_path: Path, settings: ServiceSettings
) -> None:
    """The demo's audit trail has cases allocated on 26 Nov 2026: a worker's session that day
    lists exactly those moved to or from them, and none of another day."""
    [(worker_id, name)] = query(
        demo_db_path,
        "SELECT w.id, w.name FROM audit_events a JOIN workers w "
        "ON w.id = a.to_worker_id WHERE a.action = 'allocation.changed' "
        "AND date(a.occurred_at) = ? AND w.status = 'active' AND w.end_date IS NULL "
        "GROUP BY w.id ORDER BY count(*) DESC, w.staff_id LIMIT 1",
        TODAY.isoformat(),
    )
    expected = query(
        demo_db_path,
        "SELECT c.case_ref FROM audit_events a JOIN cases c ON c.id = a.case_id "
        "WHERE a.action IN ('allocation.changed', 'allocation.ended') AND date(a.occurred_at) = ? "
        "AND (a.to_worker_id = ? OR a.from_worker_id = ?) ORDER BY a.id",
        TODAY.isoformat(),
        worker_id,
        worker_id,
    )
    assert expected
    session_id = service.create_draft(
        demo_db, worker_id, DraftInput(held_on=TODAY), actor=ACTOR, today=TODAY
    )
    finalise(demo_db, session_id, settings)

    record = service.load_record(demo_db, session_id, settings.rules)
    assert [r.case_ref for r in record.reassignments] == [ref for (ref,) in expected]
    assert all(r.to_worker == name and r.when.date() == TODAY for r in record.reassignments)


# --- The PDF, the audit trail and the outbox ------------------------------------------------


def test_export_of_a_final_record_has_the_stored_sha_and_the_same_bytes_every_time(
    demo_db: Database, demo: Demo, settings: ServiceSettings, tmp_path: Path
) -> None:
    session_id, digest = final_record(demo_db, demo, settings)
    folder = tmp_path / "records"
    folder.mkdir()

    first, second = folder / "first.pdf", folder / "second.pdf"
    assert export(demo_db, session_id, first, settings) == digest
    assert export(demo_db, session_id, second, settings) == digest
    assert first.read_bytes() == second.read_bytes()
    assert (
        sha256(first.read_bytes()) == digest == service.session_row(demo_db, session_id).pdf_sha256
    )
    assert sorted(p.name for p in folder.iterdir()) == ["first.pdf", "second.pdf"]

    text = pdf_text(first.read_bytes())
    assert record_id(session_id) in text and demo.worker.name in text
    for ref in demo.refs:
        assert ref in text
    assert "Arrange the step-down meeting" in text
    assert "Book the family group conference" in text


def test_finalising_is_audited_and_sends_the_record_with_its_pdf(
    demo_db: Database, demo: Demo, settings: ServiceSettings, tmp_path: Path
) -> None:
    session_id = new_draft(demo_db, demo)
    before = counts(demo.path)

    digest = finalise(demo_db, session_id, settings)

    after = counts(demo.path)
    assert after == before | {
        "audit_events": before["audit_events"] + 1,
        "outbox_events": before["outbox_events"] + 1,
    }
    [audit] = new_rows(demo.path, "audit_events", before)
    assert (audit["action"], audit["actor"]) == ("supervision.finalised", ACTOR)
    assert json.loads(audit["detail"]) == {
        "session_id": session_id,
        "worker_id": demo.worker.id,
        "sha256": digest,
    }
    assert record_id(session_id) in audit["reason"]
    [sent] = new_rows(demo.path, "outbox_events", before)
    assert (sent["kind"], sent["schema_version"], sent["sent_at"]) == (
        "supervision.finalised",
        service.OUTBOX_SCHEMA_VERSION,
        None,
    )
    payload = json.loads(sent["payload"])
    assert {k: payload[k] for k in ("record_id", "staff_id", "held_on", "actor", "sha256")} == {
        "record_id": record_id(session_id),
        "staff_id": demo.worker.staff_id,
        "held_on": TODAY.isoformat(),
        "actor": ACTOR,
        "sha256": digest,
    }
    pdf = base64.b64decode(payload["pdf"], validate=True)
    assert sha256(pdf) == digest
    exported = tmp_path / "record.pdf"
    export(demo_db, session_id, exported, settings)
    assert exported.read_bytes() == pdf


def test_an_addendum_is_kept_with_the_sha_of_the_record_with_it_audited_and_sent(
    demo_db: Database, demo: Demo, settings: ServiceSettings, tmp_path: Path
) -> None:
    session_id, digest = final_record(demo_db, demo, settings)
    before = counts(demo.path)

    added = service.add_addendum(
        demo_db,
        session_id,
        "  Police check came back clear on 27 Nov; strategy discussion stood down.  ",
        actor=OTHER_ACTOR,
        rules=settings.rules,
        style=settings.records,
    )

    text = "Police check came back clear on 27 Nov; strategy discussion stood down."
    assert added != digest
    [row] = new_rows(demo.path, "supervision_addenda", before)
    assert (row["session_id"], row["text"], row["added_by"], row["pdf_sha256"]) == (
        session_id,
        text,
        OTHER_ACTOR,
        added,
    )
    assert service.session_row(demo_db, session_id).pdf_sha256 == digest  # the record's own
    [audit] = new_rows(demo.path, "audit_events", before)
    assert (audit["action"], audit["actor"], json.loads(audit["detail"])) == (
        "supervision.addendum",
        OTHER_ACTOR,
        {"session_id": session_id, "worker_id": demo.worker.id, "sha256": added},
    )
    [sent] = new_rows(demo.path, "outbox_events", before)
    payload = json.loads(sent["payload"])
    assert sent["kind"] == "supervision.addendum"
    assert {k: payload[k] for k in ("record_id", "text", "actor", "sha256")} == {
        "record_id": record_id(session_id),
        "text": text,
        "actor": OTHER_ACTOR,
        "sha256": added,
    }
    assert counts(demo.path) == before | {
        "supervision_addenda": before["supervision_addenda"] + 1,
        "audit_events": before["audit_events"] + 1,
        "outbox_events": before["outbox_events"] + 1,
    }

    # The record exported now is the one whose SHA-256 was kept with the addendum.
    path = tmp_path / "with-addendum.pdf"
    assert export(demo_db, session_id, path, settings) == added
    assert sha256(path.read_bytes()) == added
    assert "stood down" in pdf_text(path.read_bytes())

    later = service.add_addendum(
        demo_db,
        session_id,
        "Step-down meeting held.",
        actor=ACTOR,
        rules=settings.rules,
        style=settings.records,
    )
    assert export(demo_db, session_id, path, settings) == later != added
    record = service.load_record(demo_db, session_id, settings.rules)
    assert [(a.text, a.added_by) for a in record.addenda] == [
        (text, OTHER_ACTOR),
        ("Step-down meeting held.", ACTOR),
    ]


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("   ", BadInput, "addendum: write what is added"),
        ("x" * (service.MAX_TEXT + 1), BadInput, "addendum: 20,001 characters"),
    ],
)
def test_an_empty_or_overlong_addendum_is_refused(
    demo_db: Database,
    demo: Demo,
    settings: ServiceSettings,
    text: str,
    error: type[Exception],
    message: str,
) -> None:
    session_id, _ = final_record(demo_db, demo, settings)
    before = state(demo.path)

    with pytest.raises(error, match=message):
        service.add_addendum(
            demo_db, session_id, text, actor=ACTOR, rules=settings.rules, style=settings.records
        )

    assert state(demo.path) == before


def test_an_addendum_is_refused_on_a_draft(
    demo_db: Database, demo: Demo, settings: ServiceSettings
) -> None:
    session_id = new_draft(demo_db, demo)
    before = state(demo.path)

    with pytest.raises(RuleViolation, match="is a draft"):
        service.add_addendum(
            demo_db,
            session_id,
            "Too early.",
            actor=ACTOR,
            rules=settings.rules,
            style=settings.records,
        )

    assert state(demo.path) == before


# --- Actions ---------------------------------------------------------------------------------


def test_an_actions_status_moves_on_after_finalising_audited_and_sent(
    demo_db: Database, demo: Demo, settings: ServiceSettings
) -> None:
    session_id, _ = final_record(demo_db, demo, settings)
    first, second = action_ids(demo.path, session_id)
    before = counts(demo.path)

    service.set_action_status(demo_db, second, ActionStatus.DONE, actor=ACTOR, today=TODAY)

    assert query(
        demo.path,
        "SELECT id, status, done_on, version FROM supervision_actions WHERE id IN (?, ?)"
        " ORDER BY id",
        first,
        second,
    ) == [(first, "open", None, 1), (second, "done", TODAY.isoformat(), 2)]
    [audit] = new_rows(demo.path, "audit_events", before)
    assert (audit["action"], audit["actor"]) == ("supervision.action", ACTOR)
    assert json.loads(audit["detail"]) == {
        "session_id": session_id,
        "action_id": second,
        "worker_id": demo.colleague.id,
    }
    assert "Book the family group conference" in audit["reason"]
    [sent] = new_rows(demo.path, "outbox_events", before)
    assert (sent["kind"], json.loads(sent["payload"])) == (
        "supervision.action",
        {
            "record_id": record_id(session_id),
            "action_id": second,
            "status": "done",
            "on": TODAY.isoformat(),
            "actor": ACTOR,
        },
    )
    # The record shows the actions as agreed: tracking one leaves the record (and its SHA-256)
    # as finalised.
    record = service.load_record(demo_db, session_id, settings.rules)
    assert [a.status for a in record.actions] == [ActionStatus.OPEN, ActionStatus.OPEN]
    stored = query(
        demo.path, "SELECT pdf_sha256 FROM supervision_sessions WHERE id = ?", session_id
    )
    exported = service.export_pdf(
        demo_db,
        session_id,
        demo.path.parent / "after.pdf",
        rules=settings.rules,
        style=settings.records,
    )
    assert [(exported,)] == stored

    # Done again: nothing to do, nothing written. Open again: done_on is cleared.
    unchanged = counts(demo.path)
    service.set_action_status(demo_db, second, ActionStatus.DONE, actor=ACTOR, today=TODAY)
    assert counts(demo.path) == unchanged
    service.set_action_status(demo_db, second, ActionStatus.OPEN, actor=ACTOR, today=TODAY)
    assert query(
        demo.path, "SELECT status, done_on, version FROM supervision_actions WHERE id = ?", second
    ) == [("open", None, 3)]
    assert counts(demo.path)["audit_events"] == unchanged["audit_events"] + 1


def test_an_unknown_action_is_not_found(demo_db: Database, demo: Demo) -> None:
    before = state(demo.path)
    with pytest.raises(NotFound, match="no action with the id 999999"):
        service.set_action_status(demo_db, 999999, ActionStatus.DONE, actor=ACTOR, today=TODAY)
    assert state(demo.path) == before


def test_an_action_of_a_draft_is_not_marked_done(demo_db: Database, demo: Demo) -> None:
    """A draft is not sent to central records and its next autosave rewrites its actions (as
    open): marking one done would send central an event about a record it never had, and be
    lost on the next save. It is refused, and nothing is written."""
    session_id = new_draft(demo_db, demo)
    [first, _] = action_ids(demo.path, session_id)
    before = state(demo.path)

    with pytest.raises(RuleViolation):
        service.set_action_status(demo_db, first, ActionStatus.DONE, actor=ACTOR, today=TODAY)

    assert state(demo.path) == before


# --- Discarding ------------------------------------------------------------------------------


def test_discarding_a_draft_removes_it_and_is_audited(demo_db: Database, demo: Demo) -> None:
    before = counts(demo.path)
    session_id = new_draft(demo_db, demo)
    assert counts(demo.path)["supervision_actions"] == before["supervision_actions"] + 2

    service.discard_draft(demo_db, session_id, actor=ACTOR)

    after = counts(demo.path)
    assert {t: after[t] for t in SUPERVISION_TABLES} == {t: before[t] for t in SUPERVISION_TABLES}
    assert after["outbox_events"] == before["outbox_events"]
    actions = [r["action"] for r in new_rows(demo.path, "audit_events", before)]
    assert actions == ["supervision.started", "supervision.discarded"]
    with pytest.raises(NotFound):
        service.session_row(demo_db, session_id)
    with pytest.raises(NotFound):
        service.discard_draft(demo_db, session_id, actor=ACTOR)


def test_a_final_record_is_not_discarded(
    demo_db: Database, demo: Demo, settings: ServiceSettings
) -> None:
    session_id, _ = final_record(demo_db, demo, settings)
    before = state(demo.path)

    with pytest.raises(RuleViolation, match="final and is kept"):
        service.discard_draft(demo_db, session_id, actor=ACTOR)

    assert state(demo.path) == before


# --- Listing ---------------------------------------------------------------------------------


def test_sessions_are_listed_newest_first_and_by_worker(
    demo_db: Database, demo: Demo, settings: ServiceSettings
) -> None:
    older = new_draft(demo_db, demo, DraftInput(held_on=TODAY - dt.timedelta(days=28)))
    final, _ = final_record(demo_db, demo, settings, DraftInput(held_on=TODAY))
    theirs = service.create_draft(
        demo_db, demo.colleague.id, DraftInput(held_on=TODAY), actor=ACTOR, today=TODAY
    )

    everyone = service.list_sessions(demo_db)
    assert [(r.id, r.status) for r in everyone] == [
        (theirs, SessionStatus.DRAFT),
        (final, SessionStatus.FINAL),
        (older, SessionStatus.DRAFT),
    ]
    assert [r.id for r in service.list_sessions(demo_db, demo.worker.id)] == [final, older]
    assert [r.worker for r in service.list_sessions(demo_db, demo.colleague.id)] == [
        demo.colleague.name
    ]


# --- Bad input -------------------------------------------------------------------------------

Bad = Callable[[Demo], DraftInput]


def _owner(draft: DraftInput, owner_id: int) -> DraftInput:
    first = draft.actions[0]
    return dataclasses.replace(
        draft, actions=(dataclasses.replace(first, owner_worker_id=owner_id), *draft.actions[1:])
    )


def _discussed(demo: Demo, *case_ids: int) -> DraftInput:
    return draft_for(demo, discussions=tuple(DiscussionInput(i, "Discussed.") for i in case_ids))


TOO_LONG = "x" * (service.MAX_TEXT + 1)
BAD_DRAFTS: dict[str, tuple[Bad, type[Exception], str]] = {
    "future session": (
        lambda d: draft_for(d, held_on=TODAY + dt.timedelta(days=1)),
        BadInput,
        "held_on: 27 Nov 2026 is in the future",
    ),
    "next before held": (
        lambda d: draft_for(d, next_supervision=TODAY - dt.timedelta(days=1)),
        BadInput,
        "next_supervision: 25 Nov 2026 is before the session",
    ),
    "case not held": (
        lambda d: _discussed(d, d.cases[d.refs[0]], next(iter(d.colleague_cases.values()))),
        RuleViolation,
        r"cases\[1\]\.case_ref: C-\d+ was not held by this worker on 26 Nov 2026",
    ),
    "unknown case": (
        lambda d: _discussed(d, d.cases[d.refs[0]], 10_000_000),
        NotFound,
        r"cases\[1\]\S*: there is no case with the id 10000000",
    ),
    "duplicate case": (
        lambda d: _discussed(d, d.cases[d.refs[1]], d.cases[d.refs[0]], d.cases[d.refs[1]]),
        BadInput,
        r"cases\[2\]\.case_ref: C-\d+ is discussed twice",
    ),
    "owner who has left": (
        lambda d: _owner(draft_for(d), d.leaver.id),
        RuleViolation,
        r"actions\[0\]\.owner: .+ left on",
    ),
    "owner inactive": (
        lambda d: _owner(draft_for(d), d.inactive.id),
        RuleViolation,
        r"actions\[0\]\.owner: .+ is inactive",
    ),
    "owner unknown": (
        lambda d: _owner(draft_for(d), 10_000_000),
        NotFound,
        r"actions\[0\]\.owner: there is no worker with the id 10000000",
    ),
    "due before held": (
        lambda d: draft_for(
            d, actions=(ActionInput("Visit", d.worker.id, TODAY - dt.timedelta(days=1)),)
        ),
        BadInput,
        r"actions\[0\]\.due: 25 Nov 2026 is before the session",
    ),
    "empty action": (
        lambda d: draft_for(
            d, actions=(*draft_for(d).actions, ActionInput(" \n ", d.worker.id, TODAY))
        ),
        BadInput,
        r"actions\[2\]\.action: say what is to be done",
    ),
    "wellbeing too long": (
        lambda d: draft_for(d, wellbeing=TOO_LONG),
        BadInput,
        "wellbeing: 20,001 characters; at most 20,000",
    ),
    "workload too long": (
        lambda d: draft_for(d, workload=TOO_LONG),
        BadInput,
        "workload: 20,001 characters",
    ),
    "rationale too long": (
        lambda d: draft_for(
            d, discussions=(DiscussionInput(d.cases[d.refs[0]], rationale=TOO_LONG),)
        ),
        BadInput,
        r"cases\[0\]\.rationale: 20,001 characters",
    ),
    "action too long": (
        lambda d: draft_for(d, actions=(ActionInput(TOO_LONG, d.worker.id, TODAY),)),
        BadInput,
        r"actions\[0\]\.action: 20,001 characters",
    ),
}


@pytest.mark.parametrize("case", list(BAD_DRAFTS))
def test_a_bad_draft_is_refused_naming_the_field_and_nothing_is_written(
    demo_db: Database, demo: Demo, case: str
) -> None:
    make, error, message = BAD_DRAFTS[case]
    before = state(demo.path)

    with pytest.raises(error, match=f"^{message}") as raised:
        new_draft(demo_db, demo, make(demo))

    assert "\n" not in str(raised.value)
    assert state(demo.path) == before


@pytest.mark.parametrize(
    "case", ["future session", "case not held", "owner who has left", "duplicate case"]
)
def test_a_bad_save_is_refused_and_the_draft_is_as_it_was(
    demo_db: Database, demo: Demo, case: str
) -> None:
    make, error, message = BAD_DRAFTS[case]
    session_id = new_draft(demo_db, demo)
    before = state(demo.path)

    with pytest.raises(error, match=f"^{message}"):
        service.save_draft(
            demo_db, session_id, make(demo), expected_version=1, actor=ACTOR, today=TODAY
        )

    assert state(demo.path) == before


def test_a_session_with_an_unknown_worker_is_refused(demo_db: Database, demo: Demo) -> None:
    before = state(demo.path)
    with pytest.raises(NotFound, match="no worker with the id 10000000"):
        service.create_draft(
            demo_db, 10_000_000, DraftInput(held_on=TODAY), actor=ACTOR, today=TODAY
        )
    assert state(demo.path) == before


def test_an_owner_in_post_on_the_day_of_a_past_session_is_accepted(
    demo_db: Database, demo: Demo
) -> None:
    [(end,)] = query(demo.path, "SELECT end_date FROM workers WHERE id = ?", demo.leaver.id)
    held_on = dt.date.fromisoformat(end) - dt.timedelta(days=7)
    draft = DraftInput(
        held_on=held_on, actions=(ActionInput("Hand over the court bundle", demo.leaver.id),)
    )
    session_id = new_draft(demo_db, demo, draft)
    assert service.session_row(demo_db, session_id).held_on == held_on


# --- From JSON -------------------------------------------------------------------------------


def json_record(demo: Demo) -> dict[str, Any]:
    first, second = demo.refs[:2]
    return {
        "held_on": TODAY.isoformat(),
        "attendees": [demo.worker.name, " Sam Reid "],
        "wellbeing": "Coping.",
        "workload": "Heavy.",
        "next_supervision": (TODAY + dt.timedelta(days=28)).isoformat(),
        "cases": [
            {
                "case_ref": first.lower(),
                "discussion": "Visits on track.",
                "lived_experience": "Settled.",
                "decision": "Close to early help",
                "rationale": "Needs met.",
                "actions": [
                    {"action": "Write the closing summary", "owner": demo.worker.staff_id},
                    {
                        "action": "Tell the school",
                        "owner": demo.colleague.name,
                        "due": (TODAY + dt.timedelta(days=5)).isoformat(),
                    },
                ],
            },
            {"case_ref": second, "decision": "Carry on"},
        ],
    }


def from_json(db: Database, demo: Demo, document: object, settings: ServiceSettings) -> int:
    return service.create_from_json(
        db,
        demo.worker.id,
        document,
        actor=ACTOR,
        today=TODAY,
        rules=settings.rules,
        style=settings.records,
    )


def test_a_json_record_becomes_a_final_record(
    demo_db: Database, demo: Demo, settings: ServiceSettings
) -> None:
    before = counts(demo.path)

    session_id = from_json(demo_db, demo, json_record(demo), settings)

    row = service.session_row(demo_db, session_id)
    assert row.status is SessionStatus.FINAL and row.pdf_sha256 is not None
    record = service.load_record(demo_db, session_id, settings.rules)
    assert record.attendees == (demo.worker.name, "Sam Reid")
    assert [(d.case_ref, d.current_position, d.decision) for d in record.discussions] == [
        (demo.refs[0], "Visits on track.", "Close to early help"),
        (demo.refs[1], "", "Carry on"),
    ]
    assert [(a.action, a.owner, a.due, a.case_ref) for a in record.actions] == [
        ("Write the closing summary", demo.worker.name, None, demo.refs[0]),
        ("Tell the school", demo.colleague.name, TODAY + dt.timedelta(days=5), demo.refs[0]),
    ]
    assert [c.case_ref for c in record.snapshot] == demo.refs
    after = counts(demo.path)
    assert after["supervision_sessions"] == before["supervision_sessions"] + 1
    assert after["outbox_events"] == before["outbox_events"] + 1
    kinds = [r["action"] for r in new_rows(demo.path, "audit_events", before)]
    assert kinds[-1] == "supervision.finalised" and "supervision.discarded" not in kinds


def _with_case(demo: Demo, **changes: Any) -> dict[str, Any]:
    document = json_record(demo)
    document["cases"][0] = document["cases"][0] | changes
    return document


def _with_action(demo: Demo, index: int, **changes: Any) -> dict[str, Any]:
    document = json_record(demo)
    actions = document["cases"][0]["actions"]
    actions[index] = actions[index] | changes
    return document


BAD_JSON: dict[str, tuple[Callable[[Demo], object], type[Exception], str]] = {
    "a list": (lambda d: [json_record(d)], BadInput, "The record must be a JSON object"),
    "held_on missing": (lambda d: {"wellbeing": "Fine."}, BadInput, "held_on: .*required"),
    "unknown field": (
        lambda d: json_record(d) | {"mood": "fine"},
        BadInput,
        "mood: not a field of a supervision record",
    ),
    "impossible date": (
        lambda d: json_record(d) | {"held_on": "2026-02-30"},
        BadInput,
        "held_on: '2026-02-30' is not a real date",
    ),
    "held_on a number": (
        lambda d: json_record(d) | {"held_on": 20261126},
        BadInput,
        "held_on: a date is needed as text",
    ),
    "future": (
        lambda d: json_record(d) | {"held_on": "2026-11-27"},
        BadInput,
        "held_on: 27 Nov 2026 is in the future",
    ),
    "next not a date": (
        lambda d: json_record(d) | {"next_supervision": "soon"},
        BadInput,
        "next_supervision: 'soon' is not a date",
    ),
    "attendees not a list": (
        lambda d: json_record(d) | {"attendees": "Sam Reid"},
        BadInput,
        "attendees: a list of names",
    ),
    "cases not a list": (
        lambda d: json_record(d) | {"cases": {"case_ref": d.refs[0]}},
        BadInput,
        "cases: a list",
    ),
    "unknown case": (
        lambda d: json_record(d) | {"cases": [{"case_ref": d.refs[0]}, {"case_ref": "C-999999"}]},
        NotFound,
        r"cases\[1\]\.case_ref: there is no case 'C-999999'",
    ),
    "case ref missing": (
        lambda d: json_record(d) | {"cases": [{"decision": "Close"}]},
        BadInput,
        r"cases\[0\]\.case_ref: this is required",
    ),
    "case not held": (
        lambda d: json_record(d) | {"cases": [{"case_ref": next(iter(d.colleague_cases))}]},
        RuleViolation,
        r"cases\[0\]\.case_ref: C-\d+ was not held by this worker",
    ),
    "duplicate case": (
        lambda d: json_record(d) | {"cases": [{"case_ref": d.refs[0]}, {"case_ref": d.refs[0]}]},
        BadInput,
        r"cases\[1\]\.case_ref: C-\d+ is discussed twice",
    ),
    "unknown case field": (
        lambda d: _with_case(d, outcome="x"),
        BadInput,
        r"cases\[0\]\.outcome: not a field",
    ),
    "discussion not text": (
        lambda d: _with_case(d, discussion=["a", "b"]),
        BadInput,
        r"cases\[0\]\.discussion: text is needed, not a list",
    ),
    "discussion too long": (
        lambda d: _with_case(d, discussion=TOO_LONG),
        BadInput,
        r"cases\[0\]\.current_position: 20,001 characters",
    ),
    "owner who has left": (
        lambda d: _with_action(d, 1, owner=d.leaver.name),
        RuleViolation,
        r"cases\[0\]\.actions\[1\]\.owner: .+ left on",
    ),
    "owner inactive": (
        lambda d: _with_action(d, 1, owner=d.inactive.staff_id),
        RuleViolation,
        r"cases\[0\]\.actions\[1\]\.owner: .+ is inactive",
    ),
    "owner unknown": (
        lambda d: _with_action(d, 0, owner="Nobody Atall"),
        NotFound,
        r"cases\[0\]\.actions\[0\]\.owner: No worker with the name or staff ID 'Nobody Atall'",
    ),
    "owner missing": (
        lambda d: _with_action(d, 1, owner=""),
        BadInput,
        r"cases\[0\]\.actions\[1\]\.owner: this is required",
    ),
    "empty action": (
        lambda d: _with_action(d, 1, action="  "),
        BadInput,
        r"cases\[0\]\.actions\[1\]\.action: this is required",
    ),
    "impossible due": (
        lambda d: _with_action(d, 1, due="2026-12-32"),
        BadInput,
        r"cases\[0\]\.actions\[1\]\.due: '2026-12-32' is not a real date",
    ),
    "due before held": (
        lambda d: _with_action(d, 1, due="2026-11-25"),
        BadInput,
        r"cases\[0\]\.actions\[1\]\.due: 25 Nov 2026 is before the session",
    ),
    "action not an object": (
        lambda d: _with_case(d, actions=["Write it up"]),
        BadInput,
        r"cases\[0\]\.actions\[0\]: an object",
    ),
}


@pytest.mark.parametrize("case", list(BAD_JSON))
def test_a_bad_json_record_is_refused_naming_the_field_and_nothing_is_written(
    demo_db: Database, demo: Demo, settings: ServiceSettings, case: str
) -> None:
    make, error, message = BAD_JSON[case]
    before = state(demo.path)

    with pytest.raises(error, match=f"^{message}") as raised:
        from_json(demo_db, demo, make(demo), settings)

    assert "\n" not in str(raised.value)
    assert state(demo.path) == before


def test_a_json_record_is_all_or_nothing_when_finalising_fails(
    demo_db: Database, demo: Demo, settings: ServiceSettings
) -> None:
    """The outbox refuses the finalised record (a trigger added to this copy of the database
    stands in for any failure while finalising): no session, no audit event, no outbox event
    is left behind, not even a started-and-discarded draft."""
    with contextlib.closing(sqlite3.connect(demo.path)) as connection:
        connection.execute(
            "CREATE TRIGGER refuse_records BEFORE INSERT ON outbox_events "
            "WHEN NEW.kind = 'supervision.finalised' "
            "BEGIN SELECT RAISE(ABORT, 'central records are refusing'); END"
        )
        connection.commit()
    before, counted = state(demo.path), counts(demo.path)

    with pytest.raises(Exception, match="central records are refusing"):
        from_json(demo_db, demo, json_record(demo), settings)

    assert [r["action"] for r in new_rows(demo.path, "audit_events", counted)] == []
    assert state(demo.path) == before


def test_a_discarded_drafts_record_id_is_never_given_to_another_session(
    demo_db: Database, demo: Demo
) -> None:
    draft = service.DraftInput(held_on=TODAY)
    first = service.create_draft(demo_db, demo.worker.id, draft, actor=ACTOR, today=TODAY)
    service.discard_draft(demo_db, first, actor=ACTOR)
    second = service.create_draft(demo_db, demo.worker.id, draft, actor=ACTOR, today=TODAY)
    assert second == first + 1
    assert record_id(second) != record_id(first)
