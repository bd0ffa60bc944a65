"""Importing extracts into a team database: all or nothing, upserted by external IDs.

Each test uses a real SQLite file: an empty database (``create_database``) filled from the
templates in ``resources/templates/``, or a copy of the session's demo database. "Nothing
changed" is checked on every table's rows, read with plain sqlite3.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from caseload_desktop import locations
from caseload_desktop.domain.dates import parse_date
from caseload_desktop.domain.imports import FIELDS, Kind, unlisted_staff_id
from caseload_desktop.domain.practice import DEFAULT_RULES
from caseload_desktop.domain.queues import Queue
from caseload_desktop.domain.reasons import ChangeReason
from caseload_desktop.errors import BadInput, Cancelled, NotFound
from caseload_desktop.services import access, imports, reassignment
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.store import queries
from caseload_desktop.store.engine import Database, create_database
from caseload_desktop.store.models import Allocation, AuditEvent, Case, OutboxEvent, Worker

TODAY = dt.date(2026, 11, 26)
ACTOR = "tm.tester"
TEMPLATES = locations.resources_dir() / "templates"
PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- Helpers ------------------------------------------------------------------------------------


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in rowid order (read-only, beside the open engine)."""
    uri = f"file:{path}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        tables = [
            name
            for (name,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}


def write_csv(path: Path, rows: list[list[str]], encoding: str = "utf-8") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


def import_ok(db: Database, path: Path, kind: str, **options: Any) -> imports.ImportResult:
    result = imports.import_file(db, path, kind, actor=ACTOR, **options)
    assert result.errors == (), [str(p) for p in result.errors]
    return result


@pytest.fixture
def empty_db(tmp_path: Path) -> Iterator[Database]:
    db = create_database(tmp_path / "team.db")
    yield db
    db.close()


@pytest.fixture
def template_db(empty_db: Database) -> Database:
    """A database holding the templates' example workers and cases."""
    import_ok(empty_db, TEMPLATES / "workers.csv", "workers")
    import_ok(empty_db, TEMPLATES / "cases.csv", "cases")
    return empty_db


def queue_refs(db: Database) -> dict[Queue, list[str]]:
    with db.read() as session:
        found = queries.queues(session, TODAY)
    return {
        Queue.ORPHANED: sorted(r.case_ref for r in found.orphaned),
        Queue.UNALLOCATED: sorted(r.case_ref for r in found.unallocated),
        Queue.HELD_BY_MANAGER: sorted(r.case_ref for r in found.held_by_manager),
    }


def outbox(db: Database, kind: str | None = None) -> list[dict[str, Any]]:
    with db.read() as session:
        stmt = sa.select(OutboxEvent.kind, OutboxEvent.payload).order_by(OutboxEvent.id)
        return [{"kind": k, **p} for k, p in session.execute(stmt) if kind is None or k == kind]


def current(db: Database, case_ref: str) -> Any:
    with db.read() as session:
        return session.execute(
            sa.select(
                Case.id,
                Case.version,
                Case.category,
                Worker.staff_id,
                Allocation.started_on,
                Allocation.reason_code,
                Allocation.reason_text,
            )
            .join(Allocation, sa.and_(Allocation.case_id == Case.id, Allocation.ended_on.is_(None)))
            .outerjoin(Worker, Worker.id == Allocation.worker_id)
            .where(Case.case_ref == case_ref)
        ).one()


def edited(source: Path, target: Path, key: str, column: str, value: str) -> Path:
    rows = read_csv(source)
    at = rows[0].index(column)
    for row in rows[1:]:
        if row[0] == key:
            row[at] = value
    return write_csv(target, rows)


# --- The templates ------------------------------------------------------------------------------


def test_the_templates_import_into_an_empty_database(template_db: Database) -> None:
    assert queue_refs(template_db) == {
        Queue.ORPHANED: ["K-20004", "K-20010"],  # a leaver's, an inactive worker's
        Queue.UNALLOCATED: ["K-20003", "K-20009"],
        Queue.HELD_BY_MANAGER: ["K-20005"],  # a team manager's staff ID
    }
    row = current(template_db, "K-20006")
    assert (row.staff_id, row.started_on) == ("T1004", dt.date(2026, 11, 21))  # dd/mm/yyyy
    assert (row.reason_code, row.reason_text) == (ChangeReason.OTHERS, "imported")
    assert current(template_db, "K-20003").started_on == dt.date(2026, 11, 2)  # waiting since
    with template_db.read() as session:
        actions = [a for (a,) in session.execute(sa.select(AuditEvent.action))]
    assert actions.count("case.imported") == 10
    assert actions.count("worker.imported") == 11
    assert actions.count("team.created") == 2
    assert actions.count("import.cases") == actions.count("import.workers") == 1
    kinds = [e["kind"] for e in outbox(template_db)]
    assert kinds == ["import.workers", "import.cases"]
    event = outbox(template_db, "import.cases")[0]
    rows = [dict(zip(event["columns"], r, strict=True)) for r in event["rows"]]
    first = next(r for r in rows if r["case_ref"] == "K-20001")
    assert first["staff_id"] == "T1003"
    assert first["team"] == "Assessment and Intervention"
    assert first["family_group"] == "F-901"
    assert first["change"] == "new"


def test_the_same_file_twice_changes_nothing(template_db: Database) -> None:
    before = snapshot(template_db.path)
    for kind, name in (("workers", "workers.csv"), ("cases", "cases.csv")):
        result = import_ok(template_db, TEMPLATES / name, kind)
        assert (result.new, result.updated) == (0, 0)
        assert result.unchanged == result.rows
        assert result.batch is None
    assert snapshot(template_db.path) == before


def test_a_changed_worker_in_the_extract_moves_the_case_as_a_reassignment_does(
    template_db: Database, tmp_path: Path
) -> None:
    before = current(template_db, "K-20001")
    path = edited(
        TEMPLATES / "cases.csv", tmp_path / "a.csv", "K-20001", "allocated_worker", "T1005"
    )
    path = edited(path, tmp_path / "b.csv", "K-20001", "allocated_on", "20/11/2026")
    announcer = ChangeAnnouncer()
    heard: list[Change] = []
    announcer.subscribe(heard.append)
    result = import_ok(template_db, path, "cases", announcer=announcer)
    assert (result.new, result.updated, result.unchanged) == (0, 1, 9)
    assert result.allocations_changed == 1
    assert result.changes[0].fields == ("allocated_worker",)
    after = current(template_db, "K-20001")
    assert (after.staff_id, after.started_on, after.reason_text) == (
        "T1005",
        dt.date(2026, 11, 20),
        "imported",
    )
    assert after.version == before.version + 1
    with template_db.read() as session:
        ended = session.execute(
            sa.select(Allocation.ended_on).where(
                Allocation.case_id == before.id, Allocation.started_on == before.started_on
            )
        ).scalar_one()
        audit = session.execute(
            sa.select(AuditEvent.action, AuditEvent.from_worker_id, AuditEvent.to_worker_id)
            .where(AuditEvent.case_id == before.id)
            .order_by(AuditEvent.id.desc())
        ).first()
        staff = dict(session.execute(sa.select(Worker.staff_id, Worker.id)).all())
    assert ended == dt.date(2026, 11, 20)
    assert audit == ("allocation.changed", staff["T1003"], staff["T1005"])
    assert heard == [Change.of("import", {before.id}, {staff["T1003"], staff["T1005"]})]

    # Central applies it as it applies a reassignment: the same payload, field for field.
    moved = outbox(template_db, reassignment.OUTBOX_KIND)[-1]
    assert moved["case_ref"] == "K-20001"
    assert moved["expected"] == {"staff_id": "T1003", "started_on": "2026-08-04"}
    assert (moved["to_staff_id"], moved["effective"]) == ("T1005", "2026-11-20")
    assert (moved["reason_code"], moved["reason_text"]) == ("OTHERS", "imported")
    reassignment.reassign(
        template_db,
        reassignment.Request(case_refs=["K-20002"], to_worker_id=staff["T1005"]),
        rules=DEFAULT_RULES,
        today=TODAY,
        actor=ACTOR,
    )
    by_hand = outbox(template_db, reassignment.OUTBOX_KIND)[-1]
    assert set(by_hand) == set(moved)
    assert set(by_hand["expected"]) == set(moved["expected"])


def test_changed_fields_update_the_case_and_say_what_changed(
    template_db: Database, tmp_path: Path
) -> None:
    path = edited(TEMPLATES / "cases.csv", tmp_path / "a.csv", "K-20006", "category", "Assessment")
    path = edited(path, tmp_path / "b.csv", "K-20006", "child_name", "Barty Quince")
    before = current(template_db, "K-20006")
    result = import_ok(template_db, path, "cases")
    assert [(c.key, c.fields) for c in result.changes] == [("K-20006", ("category", "child_name"))]
    after = current(template_db, "K-20006")
    assert after.version == before.version + 1
    assert after.started_on == before.started_on  # same worker: history untouched
    with template_db.read() as session:
        event = session.execute(
            sa.select(AuditEvent.action, AuditEvent.detail)
            .where(AuditEvent.case_id == before.id)
            .order_by(AuditEvent.id.desc())
        ).first()
        started = session.execute(
            sa.select(Case.assessment_started_on).where(Case.id == before.id)
        ).scalar_one()
    assert event is not None
    assert event.action == "case.updated"
    assert event.detail["changes"] == {
        "category": ["referral", "assessment"],
        "child_name": ["Bartholomew Quince", "Barty Quince"],
    }
    assert event.detail["line"] == 7
    assert started == dt.date(2026, 11, 20)


def test_a_leave_date_makes_a_leaver_whose_cases_show_as_orphaned(
    template_db: Database, tmp_path: Path
) -> None:
    path = edited(TEMPLATES / "workers.csv", tmp_path / "w.csv", "T1003", "end_date", "20/11/2026")
    result = import_ok(template_db, path, "workers")
    assert (result.updated, result.leavers) == (1, 1)
    assert result.changes[0].fields == ("end_date",)
    assert queue_refs(template_db)[Queue.ORPHANED] == ["K-20001", "K-20002", "K-20004", "K-20010"]
    leaving = outbox(template_db, "worker.leaving")
    assert [(e["staff_id"], e["leave_date"], e["previous_end_date"]) for e in leaving] == [
        ("T1003", "2026-11-20", None)
    ]


def test_an_unknown_team_or_staff_id_in_a_cases_file_imports_nothing(
    template_db: Database, tmp_path: Path
) -> None:
    before = snapshot(template_db.path)
    rows = read_csv(TEMPLATES / "cases.csv")
    rows.append(
        ["K-3", "P-3", "Ann Lee", "", "", "Nowhere Team", "CIN", "2026-01-01", "T1003", "", ""]
    )
    rows.append(
        ["K-4", "P-4", "Bo Lee", "", "", "Children in Care", "CIN", "2026-01-01", "Z999", "", ""]
    )
    result = imports.import_file(template_db, write_csv(tmp_path / "bad.csv", rows), "cases")
    assert [(p.line, p.column, p.value) for p in result.errors] == [
        (12, "team", "Nowhere Team"),
        (13, "allocated_worker", "Z999"),
    ]
    assert not result.written
    assert snapshot(template_db.path) == before


def test_a_file_with_one_bad_row_imports_nothing(empty_db: Database, tmp_path: Path) -> None:
    import_ok(empty_db, TEMPLATES / "workers.csv", "workers")
    before = snapshot(empty_db.path)
    rows = read_csv(TEMPLATES / "cases.csv")
    rows[5][7] = "31/02/2026"  # line 6: an impossible date
    result = imports.import_file(empty_db, write_csv(tmp_path / "c.csv", rows), "cases")
    assert [(p.line, p.column, p.value) for p in result.errors] == [(6, "opened_on", "31/02/2026")]
    assert (result.new, result.updated, result.batch) == (0, 0, None)
    assert snapshot(empty_db.path) == before


def test_a_missing_required_column_is_refused(empty_db: Database, tmp_path: Path) -> None:
    rows = [r[:5] + r[6:] for r in read_csv(TEMPLATES / "workers.csv")]  # no team column
    before = snapshot(empty_db.path)
    result = imports.import_file(empty_db, write_csv(tmp_path / "w.csv", rows), "workers")
    [problem] = result.errors
    assert (problem.line, problem.column) == (1, "team")
    assert "required column" in problem.message
    assert snapshot(empty_db.path) == before


def test_a_case_allocated_to_a_leaver_imports_as_orphaned(template_db: Database) -> None:
    # K-20004's worker left on 31 Oct: not a problem, exactly what the board must show.
    assert "K-20004" in queue_refs(template_db)[Queue.ORPHANED]


# --- Files --------------------------------------------------------------------------------------


def test_excel_files_import_with_their_date_cells(empty_db: Database, tmp_path: Path) -> None:
    import_ok(empty_db, TEMPLATES / "workers.csv", "workers")
    rows = read_csv(TEMPLATES / "cases.csv")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Cases at 26 November 2026"])  # a title above the header
    sheet.append(rows[0])
    for row in rows[1:]:
        cells: list[Any] = list(row)
        cells[7] = dt.datetime.combine(parse_date(row[7]), dt.time())  # a date cell
        sheet.append(cells)
    workbook.save(tmp_path / "cases.xlsx")
    result = import_ok(empty_db, tmp_path / "cases.xlsx", "cases")
    assert result.new == 10
    assert current(empty_db, "K-20006").started_on == dt.date(2026, 11, 21)
    preview = imports.preview(tmp_path / "cases.xlsx", "cases", rows=2)
    assert preview.source == "Excel workbook"
    assert preview.sheets[0].header_line == 2
    assert preview.sheets[0].rows[0][1][7] == "2026-08-04"


@pytest.mark.parametrize("encoding", ["cp1252", "utf-8-sig", "utf-8"])
def test_windows_1252_and_utf8_files_keep_their_names(
    template_db: Database, tmp_path: Path, encoding: str
) -> None:
    rows = read_csv(TEMPLATES / "cases.csv")
    rows[1][2] = "Zoë Brontë-O’Neill"
    path = write_csv(tmp_path / "c.csv", rows, encoding)
    result = import_ok(template_db, path, "cases")
    assert result.changes[0].fields == ("child_name",)
    with template_db.read() as session:
        assert "Zoë Brontë-O’Neill" in {r.child for r in queries.open_cases(session, TODAY)}


def test_a_file_that_cannot_be_read_is_refused(empty_db: Database, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="does not exist"):
        imports.import_file(empty_db, tmp_path / "none.csv", "cases")
    with pytest.raises(BadInput, match="is a folder"):
        imports.import_file(empty_db, tmp_path, "cases")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0" + bytes(100))
    with pytest.raises(BadInput, match="old Excel format"):
        imports.import_file(empty_db, tmp_path / "old.xls", "cases")
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(BadInput, match="not an Excel workbook"):
        imports.import_file(empty_db, tmp_path / "broken.xlsx", "cases")
    (tmp_path / "empty.csv").write_bytes(b"")
    result = imports.import_file(empty_db, tmp_path / "empty.csv", "cases")
    assert [p.message for p in result.errors] == ["the file holds no rows"]


# --- All or nothing -----------------------------------------------------------------------------


def big_cases_file(path: Path, rows: int) -> Path:
    header = read_csv(TEMPLATES / "cases.csv")[0]
    body = [
        [
            f"B-{i}",
            f"Q-{i}",
            f"Child {i}",
            "",
            "",
            "Children in Care",
            "CLA",
            "2026-01-01",
            "T2002",
            "",
            "",
        ]
        for i in range(rows)
    ]
    return write_csv(path, [header, *body])


def test_progress_is_reported_and_cancelling_rolls_back(
    template_db: Database, tmp_path: Path
) -> None:
    path = big_cases_file(tmp_path / "big.csv", 2500)
    before = snapshot(template_db.path)
    calls: list[tuple[int, int]] = []

    def stop_while_writing(done: int, total: int) -> bool:
        calls.append((done, total))
        return done <= 2 * total // 3  # stop at the first report of the writing third

    with pytest.raises(Cancelled, match="nothing was imported"):
        imports.import_file(template_db, path, "cases", progress=stop_while_writing)
    assert snapshot(template_db.path) == before
    total = calls[0][1]
    assert total == 3 * 2501  # checking, planning, writing: each counts the file's rows
    assert calls[:2] == [(1000, total), (2000, total)]
    assert calls[-1][0] > 2 * total // 3

    seen: list[int] = []
    result = import_ok(template_db, path, "cases", progress=lambda d, t: seen.append(d) or True)
    assert result.new == 2500
    assert seen == sorted(seen)
    assert seen[-1] == calls[0][1]


def test_a_preview_reports_progress_and_cancelling_it_reads_nothing(
    template_db: Database, tmp_path: Path
) -> None:
    path = big_cases_file(tmp_path / "big.csv", 2500)
    before = snapshot(template_db.path)
    calls: list[tuple[int, int]] = []

    def stop_while_planning(done: int, total: int) -> bool:
        calls.append((done, total))
        return done <= total // 2  # stop at the first report of working out what changes

    with pytest.raises(Cancelled, match="nothing was read"):
        imports.preview(path, "cases", db=template_db, progress=stop_while_planning)
    total = calls[0][1]
    assert total == 2 * 2501  # checking, then working out what would change: the file's rows
    assert calls[:3] == [(1000, total), (2000, total), (2500, total)]
    assert calls[-1][0] > total // 2
    assert snapshot(template_db.path) == before

    # Left to run, it reaches the end; without a database there is only the checking.
    seen: list[tuple[int, int]] = []
    preview = imports.preview(
        path, "cases", db=template_db, progress=lambda d, t: seen.append((d, t)) or True
    )
    assert preview.rows == 2500 and preview.result is not None and preview.result.new == 2500
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert seen[-1] == (total, total)
    seen.clear()
    preview = imports.preview(path, "cases", progress=lambda d, t: seen.append((d, t)) or True)
    assert preview.rows == 2500 and preview.result is None
    assert seen == [(1000, 2501), (2000, 2501), (2500, 2501), (2501, 2501)]
    with pytest.raises(Cancelled, match="Reading the file was cancelled; nothing was read"):
        imports.preview(path, "cases", progress=lambda d, t: False)


def test_a_failure_while_writing_leaves_nothing_behind(
    template_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_cases_file(tmp_path / "big.csv", 50)
    before = snapshot(template_db.path)
    real = imports._write

    def fail_half_way(session: Any, plan: Any, steps: Any) -> None:
        plan.statements = plan.statements[:2]  # children and cases written, then:
        real(session, plan, steps)
        raise OSError("disk unplugged")

    monkeypatch.setattr(imports, "_write", fail_half_way)
    with pytest.raises(OSError, match="disk unplugged"):
        imports.import_file(template_db, path, "cases")
    assert snapshot(template_db.path) == before


def test_only_an_admin_may_import_and_a_refusal_is_audited(
    template_db: Database, tmp_path: Path
) -> None:
    access.set_mapping(template_db, "boss", ["admin"], actor="boss")
    access.set_mapping(template_db, "tina", ["team manager"], staff_id="T1001", actor="boss")
    path = edited(
        TEMPLATES / "cases.csv", tmp_path / "c.csv", "K-20003", "allocated_worker", "T1004"
    )
    before = snapshot(template_db.path)
    with pytest.raises(access.PermissionDenied, match="may not import extracts"):
        imports.import_file(template_db, path, "cases", actor="tina")
    after = snapshot(template_db.path)
    assert {t: rows for t, rows in after.items() if t != "audit_events"} == {
        t: rows for t, rows in before.items() if t != "audit_events"
    }
    [denied] = after["audit_events"][len(before["audit_events"]) :]
    assert "permission.denied" in denied
    looked = imports.import_file(template_db, path, "cases", actor="tina", dry_run=True)
    assert (looked.updated, looked.written) == (1, False)  # looking is reading: anyone may
    assert imports.import_file(template_db, path, "cases", actor="boss").updated == 1


def test_a_dry_run_says_what_would_change_and_writes_nothing(
    template_db: Database, tmp_path: Path
) -> None:
    path = edited(
        TEMPLATES / "cases.csv", tmp_path / "c.csv", "K-20003", "allocated_worker", "T1004"
    )
    rows = read_csv(path)
    rows.append(
        ["K-9", "P-9", "Ivo Stone", "", "", "Children in Care", "CLA", "2026-01-01", "", "", ""]
    )
    before = snapshot(template_db.path)
    result = imports.import_file(template_db, write_csv(path, rows), "cases", dry_run=True)
    assert (result.new, result.updated, result.unchanged, result.allocations_changed) == (
        1,
        1,
        9,
        1,
    )
    assert result.dry_run and not result.written
    assert snapshot(template_db.path) == before


_ODD_CELLS = [
    "",
    "Nowhere",
    "catastrophe",
    "Z9",
    "31/02/2026",
    "12/31/2026",
    "#N/A",
    "=1+1",
    "'=1+1",
    'a "quoted", value',
    "two\nlines",
    "x" * 300,
]
_PLAUSIBLE: dict[str, st.SearchStrategy[str]] = {
    "case_ref": st.one_of(
        st.sampled_from(["K-20001", "K-20003", "k-20009"]),
        st.integers(1, 60).map(lambda n: f"K-{n}"),
    ),
    "child_id": st.one_of(
        st.sampled_from(["P-50001", "P-50003"]), st.integers(1, 60).map(lambda n: f"P-{n}")
    ),
    "child_name": st.sampled_from(["Ottilie Marsh-Quayle", "Zuleika Brandt", "Zoë Ní Bhriain"]),
    "date_of_birth": st.sampled_from(["", "2015-03-09", "09/03/2015"]),
    "family_group": st.sampled_from(["", "F-901", "F-2"]),
    "team": st.sampled_from(["Children in Care", "assessment and  intervention"]),
    "category": st.sampled_from(["CIN", "cp", "Looked after", "LAC", "Care leaver", "CPP"]),
    "opened_on": st.sampled_from(["2026-01-01", "01/02/2026", "2026-11-26"]),
    "allocated_worker": st.sampled_from(["", "T1003", "t1001", "T1002", "Unallocated"]),
    "allocated_on": st.sampled_from(["", "2026-03-01", "2026-11-20"]),
    "next_visit_due": st.sampled_from(["", "2026-12-01"]),
    "closed_on": st.sampled_from(["", "2026-06-01", "2025-01-01"]),
    "risk": st.sampled_from(["", "high", "Low"]),
    "court_proceedings": st.sampled_from(["", "yes", "N"]),
}
_HEADERS = [*read_csv(TEMPLATES / "cases.csv")[0], "risk", "court_proceedings", "closed_on", "junk"]
_REQUIRED = [f.key for f in FIELDS[Kind.CASES] if f.needs_column]


@st.composite
def cases_files(draw: st.DrawFn) -> list[list[str]]:
    """A cases CSV's rows: mostly the template's columns (shuffled, some missing, some extra)
    with plausible values, sometimes odd ones."""
    optional = [h for h in _HEADERS if h not in _REQUIRED]
    extra = draw(st.lists(st.sampled_from(optional), unique=True))
    missing = draw(st.lists(st.sampled_from(_REQUIRED), max_size=1)) if draw(st.booleans()) else []
    header = draw(st.permutations([h for h in _REQUIRED if h not in missing] + extra))
    rows = []
    for _ in range(draw(st.integers(min_value=0, max_value=6))):
        row = [
            draw(
                st.one_of(st.sampled_from(_ODD_CELLS), st.text(max_size=6))
                if draw(st.integers(0, 40)) == 0
                else _PLAUSIBLE.get(column, st.text(max_size=6))
            )
            for column in header
        ]
        rows.append(row[: len(row) + draw(st.integers(-1, 1))] or row)
    return [header, *rows]


@PROPERTY_SETTINGS
@given(
    rows=cases_files(),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    garbage=st.one_of(st.none(), st.none(), st.none(), st.binary(max_size=40)),
)
def test_random_csv_files_never_crash_and_never_half_import(
    template_db: Database,
    tmp_path: Path,
    rows: list[list[str]],
    encoding: str,
    garbage: bytes | None,
) -> None:
    path = tmp_path / "random.csv"
    if garbage is not None:
        path.write_bytes(garbage)
    else:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))
    before = snapshot(template_db.path)
    try:
        result = imports.import_file(template_db, path, "cases", actor=ACTOR)
    except BadInput:  # a file that is no file of ours at all (b"PK..." read as a workbook)
        event("unreadable")
        assert snapshot(template_db.path) == before
        return
    event("refused" if result.errors else "imported")  # --hypothesis-show-statistics
    if result.errors:
        assert not result.written
        assert snapshot(template_db.path) == before
    else:  # what imported is what the database now says: the same file again changes nothing
        again = imports.import_file(template_db, path, "cases", actor=ACTOR)
        assert (again.errors, again.new, again.updated) == ((), 0, 0)


# --- Annex A ------------------------------------------------------------------------------------


def test_the_annex_a_example_imports_with_its_leavers_orphaned(empty_db: Database) -> None:
    import_ok(empty_db, TEMPLATES / "annex-a-workers.csv", "workers")
    result = import_ok(empty_db, TEMPLATES / "annex-a-example.xlsx", "cases", mapping="annex-a")
    assert (result.rows, result.new) == (10, 9)  # one child is on two lists
    assert result.unlisted_workers == ("Wilhelmina Strand",)
    with empty_db.read() as session:
        rows = {r.case_ref: r for r in queries.open_cases(session, TODAY)}
    assert rows["7100003"].category.value == "cp"  # List 7 after List 3
    assert rows["7100003"].queue is Queue.ORPHANED  # Ottoline Marchbank left in September
    assert rows["7100005"].queue is Queue.ORPHANED  # not on the staff list
    assert rows["7100005"].worker_staff_id == unlisted_staff_id("Wilhelmina Strand")
    assert rows["7100005"].opened_on == dt.date(2026, 9, 5)  # a dd/mm/yyyy text cell
    assert rows["7100001"].worker == "Ravi Castellano"  # a non-breaking space in the file
    assert rows["7100002"].queue is Queue.UNALLOCATED
    assert rows["7100006"].queue is Queue.HELD_BY_MANAGER
    assert rows["7100009"].opened_on == TODAY  # care leavers: no start date on the list
    assert "7100008" not in rows  # ceased to be looked after on 1 Oct
    again = import_ok(empty_db, TEMPLATES / "annex-a-example.xlsx", "cases", mapping="annex-a")
    assert (again.new, again.updated, again.unchanged) == (0, 0, 9)


def test_a_worker_later_on_the_staff_list_takes_over_from_their_unlisted_record(
    empty_db: Database, tmp_path: Path
) -> None:
    import_ok(empty_db, TEMPLATES / "annex-a-workers.csv", "workers")
    import_ok(empty_db, TEMPLATES / "annex-a-example.xlsx", "cases", mapping="annex-a")
    rows = read_csv(TEMPLATES / "annex-a-workers.csv")
    rows.append(
        ["A3009", "Wilhelmina Strand", "SW", "agency", "1", "Locality 1 Unit 2", "2026-05-01", ""]
    )
    import_ok(empty_db, write_csv(tmp_path / "w.csv", rows), "workers")
    result = import_ok(empty_db, TEMPLATES / "annex-a-example.xlsx", "cases", mapping="annex-a")
    assert result.allocations_changed == 1
    assert current(empty_db, "7100005").staff_id == "A3009"


def test_the_council_sample_workbook_is_refused_with_every_problem_named(
    empty_db: Database,
) -> None:
    sample = Path(__file__).resolve().parents[3] / "shared" / "data" / "annex-a-sample.xlsx"
    if not sample.is_file():
        pytest.skip("the shared sample workbook is not beside this checkout")
    before = snapshot(empty_db.path)
    result = imports.import_file(empty_db, sample, "cases", mapping="annex-a")
    assert not result.written
    assert snapshot(empty_db.path) == before
    na = [p for p in result.errors if p.value == "#N/A"]
    assert {(p.sheet, p.column) for p in na} == {
        ("List 6", "Allocated Team"),
        ("List 6", "Allocated Worker"),
    }
    assert {p.line for p in na} == {2, 3, 4, 5, 6}
    assert any(p.sheet == "List 3" and "no such team" in p.message for p in result.errors)
    assert any("List 1" in note for note in result.notes)


# --- Preview and mappings -----------------------------------------------------------------------


def test_preview_shows_the_first_rows_the_mapping_and_the_report(
    template_db: Database, tmp_path: Path
) -> None:
    path = edited(TEMPLATES / "cases.csv", tmp_path / "c.csv", "K-20002", "category", "CINN")
    alone = imports.preview(path, "cases", rows=3)
    assert alone.result is None
    assert [(p.line, p.column) for p in alone.problems] == [(3, "category")]
    [sheet] = alone.sheets
    assert [line for line, _ in sheet.rows] == [2, 3, 4]
    assert dict(sheet.fields)["allocated_worker"] == "allocated_worker"
    assert dict(sheet.fields)["closed_on"] is None
    checked = imports.preview(TEMPLATES / "cases.csv", "cases", db=template_db)
    assert checked.result is not None
    assert checked.result.unchanged == 10
    annex = imports.preview(TEMPLATES / "annex-a-example.xlsx", "cases", "annex-a", rows=1)
    assert [s.name for s in annex.sheets] == ["List 3", "List 6", "List 7", "List 8", "List 9"]
    fields = dict(annex.sheets[-1].fields)
    assert fields["opened_on"] == "(new rows: the day of the import)"
    assert fields["category"] == "(Care leaver: the list's category)"


def test_users_save_their_own_mappings_in_the_data_folder(
    template_db: Database, tmp_path: Path
) -> None:
    rows = read_csv(TEMPLATES / "cases.csv")
    rows[0][0], rows[0][5] = "Case Number", "Locality"
    path = write_csv(tmp_path / "c.csv", rows)
    assert [p.column for p in imports.import_file(template_db, path, "cases").errors] == ["team"]
    mine = imports.load_mapping(None, Kind.CASES).with_columns(
        {"case_ref": "Case Number", "team": "Locality"}, Kind.CASES
    )
    saved = imports.save_mapping(mine, "Mosaic cases")
    assert saved == locations.data_dir() / "import-mappings" / "Mosaic cases.json"
    assert json.loads(saved.read_text(encoding="utf-8"))["name"] == "Mosaic cases"
    assert "Mosaic cases" in imports.mapping_names()
    result = import_ok(template_db, path, "cases", mapping="Mosaic cases")
    assert result.unchanged == 10
    assert import_ok(template_db, path, "cases", mapping=saved).unchanged == 10
    with pytest.raises(BadInput, match="built-in"):
        imports.save_mapping(mine, "annex-a")
    with pytest.raises(BadInput, match="cannot name a mapping"):
        imports.save_mapping(mine, "../escape")
    with pytest.raises(NotFound, match="template, annex-a, Mosaic cases"):
        imports.load_mapping("nonesuch", Kind.CASES)
    with pytest.raises(BadInput, match="reads cases files"):
        imports.load_mapping("annex-a", Kind.WORKERS)
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(BadInput, match="not a column mapping"):
        imports.load_mapping(tmp_path / "broken.json", Kind.CASES)


def test_results_are_plain_json(template_db: Database) -> None:
    result = import_ok(template_db, TEMPLATES / "cases.csv", "cases", dry_run=True)
    data = json.loads(json.dumps(result.as_json()))
    assert (data["unchanged"], data["errors"], data["dry_run"], data["written"]) == (
        10,
        [],
        True,
        False,
    )
