"""Recording a caseload summary export (``services.exports``) on real database files.

Most tests use a new, empty team database made by the app's own ``create_database`` (an export
needs no cases); the CSV test exports the demo service's real summary. What a recording writes
is read back from the file with ``sqlite3``: the audit trail and the outbox, so "writes nothing"
means the file holds what it held before.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.reports import csv_export
from caseload_desktop.services import exports, summaries
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.store import queries
from caseload_desktop.store.demo import INSPECTION_TEAM
from caseload_desktop.store.engine import Database, create_database, open_database
from caseload_desktop.sync import folder_target
from tests.conftest import raw_sqlite

ACTOR = "tm.tester"
AS_AT = dt.date(2026, 11, 26)
PDF = b"%PDF-1.4\n a caseload summary \x00\xff\n%%EOF\n"
PAYLOAD_KEYS = {
    "scope",
    "team",
    "format",
    "file_name",
    "as_at",
    "generated_at",
    "actor",
    "sha256",
    "content",
}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "team.db"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    database = create_database(db_path)
    yield database
    database.close()


@pytest.fixture
def exported(tmp_path: Path) -> Path:
    """A summary PDF as an export leaves it: written, then recorded."""
    path = tmp_path / "exports" / "Caseload summary - North Team - 2026-11-26.pdf"
    path.parent.mkdir()
    path.write_bytes(PDF)
    return path


def audit_events(path: Path) -> list[dict[str, Any]]:
    with raw_sqlite(path) as connection:
        rows = connection.execute(
            "SELECT occurred_at, actor, action, case_id, reason, detail FROM audit_events "
            "ORDER BY id"
        ).fetchall()
    keys = ("occurred_at", "actor", "action", "case_id", "reason", "detail")
    return [dict(zip(keys, (*row[:5], json.loads(row[5])), strict=True)) for row in rows]


def outbox_events(path: Path) -> list[dict[str, Any]]:
    with raw_sqlite(path) as connection:
        rows = connection.execute(
            "SELECT uuid, kind, schema_version, payload, created_at, attempts, sent_at "
            "FROM outbox_events ORDER BY id"
        ).fetchall()
    keys = ("uuid", "kind", "schema_version", "payload", "created_at", "attempts", "sent_at")
    return [dict(zip(keys, (*row[:3], json.loads(row[3]), *row[4:]), strict=True)) for row in rows]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record(db: Database, files: Any, **kwargs: Any) -> list[str]:
    arguments: dict[str, Any] = {
        "scope": "team",
        "team": "North Team",
        "as_at": AS_AT,
        "actor": ACTOR,
    }
    return exports.record_summary_export(db, files=files, **(arguments | kwargs))


# --- What a recording writes ---------------------------------------------------------------


def test_a_pdf_export_writes_an_audit_event_and_an_outbox_event_carrying_the_file(
    db: Database, db_path: Path, exported: Path
) -> None:
    before = dt.datetime.now(dt.UTC)
    events = record(db, [exports.ExportedFile(exported, PDF, "pdf")])
    after = dt.datetime.now(dt.UTC)

    (event,) = outbox_events(db_path)
    assert events == [event["uuid"]]
    assert str(uuid.UUID(event["uuid"])) == event["uuid"]
    assert (event["kind"], event["schema_version"]) == ("summary.exported", 1)
    assert (event["attempts"], event["sent_at"]) == (0, None)
    payload = event["payload"]
    assert set(payload) == PAYLOAD_KEYS
    assert {k: v for k, v in payload.items() if k not in ("generated_at", "content")} == {
        "scope": "team",
        "team": "North Team",
        "format": "pdf",
        "file_name": "Caseload summary - North Team - 2026-11-26.pdf",  # the name, not the path
        "as_at": "2026-11-26",
        "actor": ACTOR,
        "sha256": sha256(PDF),
    }
    assert base64.b64decode(payload["content"], validate=True) == PDF
    generated = dt.datetime.fromisoformat(payload["generated_at"])
    assert generated.utcoffset() == dt.timedelta(0)
    assert before <= generated <= after

    (audit,) = audit_events(db_path)
    assert (audit["actor"], audit["action"], audit["case_id"]) == (
        ACTOR,
        "summary.exported",
        None,
    )
    assert audit["reason"] == (
        "Exported the caseload summary of North Team as at 26 Nov 2026: "
        "Caseload summary - North Team - 2026-11-26.pdf"
    )
    assert audit["detail"] == {
        "scope": "team",
        "team": "North Team",
        "as_at": "2026-11-26",
        "files": [
            {
                "file_name": exported.name,
                "path": str(exported),
                "format": "pdf",
                "size": len(PDF),
                "sha256": sha256(PDF),
                "event_uuid": event["uuid"],
            }
        ],
    }
    # Audit keeps the fingerprint, not the document: that travels in the outbox only.
    assert "content" not in json.dumps(audit["detail"])


def test_a_csv_export_gives_one_outbox_event_per_file_and_one_audit_event_naming_them_all(
    demo_db: Database, demo_db_path: Path, tmp_path: Path
) -> None:
    with demo_db.read() as session:
        team_id = next(t.id for t in queries.list_teams(session) if t.name == INSPECTION_TEAM)
    summary = summaries.team_summary(demo_db, team_id, today=AS_AT, rules=PracticeRules())
    written = csv_export.write_summary_csv(summary, tmp_path / "north.csv")
    assert len(written) == 5
    audited = len(audit_events(demo_db_path))
    sent = len(outbox_events(demo_db_path))

    events = exports.record_summary_export(
        demo_db,
        scope="team",
        team=INSPECTION_TEAM,
        as_at=AS_AT,
        files=exports.ExportedFile.read(written, "csv"),
        actor=ACTOR,
    )

    added = outbox_events(demo_db_path)[sent:]
    assert [e["uuid"] for e in added] == events
    assert len(set(events)) == len(written)
    for path, event in zip(written, added, strict=True):
        payload = event["payload"]
        data = path.read_bytes()
        assert (payload["format"], payload["file_name"]) == ("csv", path.name)
        assert base64.b64decode(payload["content"]) == data
        assert payload["sha256"] == sha256(data)
        assert payload["team"] == INSPECTION_TEAM
    assert len({e["payload"]["generated_at"] for e in added}) == 1  # one export, one moment
    (audit,) = audit_events(demo_db_path)[audited:]
    assert audit["reason"].endswith(": " + ", ".join(p.name for p in written))
    assert [f["sha256"] for f in audit["detail"]["files"]] == [
        e["payload"]["sha256"] for e in added
    ]


def test_a_service_summary_has_no_team(db: Database, db_path: Path, exported: Path) -> None:
    record(db, [(exported, PDF)], scope="service", team=None)
    (event,) = outbox_events(db_path)
    assert (event["payload"]["scope"], event["payload"]["team"]) == ("service", None)
    assert audit_events(db_path)[0]["reason"].startswith(
        "Exported the caseload summary of the service as at 26 Nov 2026: "
    )


def test_a_file_given_as_path_and_bytes_takes_its_format_from_its_name(
    db: Database, db_path: Path, tmp_path: Path
) -> None:
    files = [(tmp_path / "A.PDF", PDF), (tmp_path / "a.Csv", b"team,worker\r\n")]
    record(db, files)
    assert [e["payload"]["format"] for e in outbox_events(db_path)] == ["pdf", "csv"]


def test_the_actor_defaults_to_the_signed_in_user(
    db: Database, db_path: Path, exported: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "current_user", lambda: "os.user")
    exports.record_summary_export(
        db, scope="team", team="North Team", as_at=AS_AT, files=[(exported, PDF)]
    )
    assert outbox_events(db_path)[0]["payload"]["actor"] == "os.user"
    assert audit_events(db_path)[0]["actor"] == "os.user"


def test_the_change_is_announced_after_the_commit(
    db: Database, db_path: Path, exported: Path
) -> None:
    announcer = ChangeAnnouncer()
    seen: list[tuple[Change, int]] = []
    announcer.subscribe(lambda change: seen.append((change, len(outbox_events(db_path)))))
    record(db, [(exported, PDF)], announcer=announcer)
    assert seen == [(Change.of("export"), 1)]


def test_what_is_recorded_is_what_the_folder_target_delivers(
    db: Database, exported: Path, tmp_path: Path
) -> None:
    (event,) = record(db, [(exported, PDF)])
    share = tmp_path / "share"
    share.mkdir()
    assert folder_target.deliver_to_folder(db, share).written == 1
    assert (share / f"{event}.pdf").read_bytes() == PDF
    sidecar = json.loads((share / f"{event}.json").read_text(encoding="utf-8"))
    assert sidecar["file_name"] == exported.name
    assert sidecar["sha256"] == sha256(PDF)


# --- All or nothing ------------------------------------------------------------------------


def test_a_failure_midway_leaves_neither_audit_nor_outbox_and_says_the_file_stays(
    db: Database, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every event gets the same uuid: the audit event and the first outbox event are written,
    # then the second outbox event breaks the uuid's uniqueness, inside the one transaction.
    same = uuid.uuid4()
    monkeypatch.setattr(exports.uuid, "uuid4", lambda: same)
    files = [(tmp_path / "a.csv", b"one"), (tmp_path / "a.orphaned.csv", b"two")]
    with pytest.raises(Exception, match="UNIQUE") as raised:
        record(db, files)
    assert any("a.csv, a.orphaned.csv" in note for note in raised.value.__notes__)
    assert "not recorded" in raised.value.__notes__[-1]
    assert audit_events(db_path) == []
    assert outbox_events(db_path) == []


def test_a_busy_database_records_nothing_and_the_error_says_the_file_was_written(
    db_path: Path, exported: Path
) -> None:
    create_database(db_path).close()
    db, _ = open_database(db_path, busy_timeout=0.1)
    holder = sqlite3.connect(db_path)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another program holds the write lock
        with pytest.raises(exports.ExportNotRecorded) as raised:
            record(db, [(exported, PDF)])
        holder.rollback()
    finally:
        holder.close()
        db.close()
    message = str(raised.value)
    assert message.startswith(f"Wrote {exported}, but could not record the export: ")
    assert "busy" in message
    assert "will not be sent to central records" in message
    assert "Export again" in message
    assert exported.read_bytes() == PDF  # the file stays
    assert audit_events(db_path) == []
    assert outbox_events(db_path) == []


def test_a_file_that_cannot_be_read_back_is_named(tmp_path: Path) -> None:
    gone = tmp_path / "gone.csv"
    with pytest.raises(exports.ExportNotRecorded, match=r"Wrote .*gone\.csv, but could not read"):
        exports.ExportedFile.read([gone], "csv")


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"scope": "team", "team": None}, "a team summary takes a team name"),
        ({"scope": "service", "team": "North Team"}, "a service summary takes no team name"),
        ({"scope": "region"}, "scope must be one of"),
        ({"files": []}, "at least one file"),
        ({"files": [(Path("summary"), PDF)]}, "name the format"),
    ],
)
def test_a_call_that_makes_no_sense_is_refused_before_anything_is_written(
    db: Database, db_path: Path, exported: Path, kwargs: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        record(db, kwargs.pop("files", [(exported, PDF)]), **kwargs)
    assert audit_events(db_path) == []
    assert outbox_events(db_path) == []
