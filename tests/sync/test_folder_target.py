"""The folder target (``sync.folder_target``): exports written to a shared folder as a file and
a JSON sidecar, whole, once, and never over somebody else's file.

Every test uses a real team database created under ``tmp_path`` and real files in a folder
beside it. Outbox events are inserted as the services insert them (one row each, the document
base64 in the payload); the expected sidecars are built here from the inserted values, and the
expected checksums with ``hashlib`` on the bytes inserted, not with the module's own helpers.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import signal
import stat
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from caseload_desktop.errors import BadInput, Cancelled
from caseload_desktop.store.engine import Database, create_database
from caseload_desktop.store.models import FolderDelivery, OutboxEvent
from caseload_desktop.sync.folder_target import FolderResult, deliver_to_folder

CREATED = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)
ACTOR = "Siân Ó Briain"  # not ASCII: the sidecar is UTF-8, not \\u escapes

RECORD_PDF = b"%PDF-1.7\n% supervision record SUP-000042\n%%EOF\n"
SUMMARY_PDF = b"%PDF-1.7\n% caseload summary of North Team\n%%EOF\n"
SUMMARY_CSV = "Worker,Cases\nSam Reid,14\nSiân Ó Briain,9\n".encode()


# --- Fixtures and helpers --------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = create_database(tmp_path / "team.db")
    yield database
    database.close()


@pytest.fixture
def share(tmp_path: Path) -> Path:
    folder = tmp_path / "share"
    folder.mkdir()
    return folder


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def supervision_payload(data: bytes, record_id: str = "SUP-000042") -> dict[str, Any]:
    return {
        "record_id": record_id,
        "staff_id": "S-0007",
        "held_on": "2026-11-20",
        "finalised_at": "2026-11-26T09:30:00+00:00",
        "actor": ACTOR,
        "sha256": sha(data),
        "pdf": b64(data),
    }


def summary_payload(data: bytes, fmt: str) -> dict[str, Any]:
    return {
        "scope": "team",
        "team": "North Team",
        "format": fmt,
        "file_name": f"Caseload summary - North Team - 2026-11-26.{fmt}",
        "as_at": "2026-11-26",
        "generated_at": "2026-11-26T09:31:00+00:00",
        "actor": ACTOR,
        "sha256": sha(data),
        "content": b64(data),
    }


def add_event(
    db: Database,
    kind: str,
    payload: dict[str, Any],
    *,
    sent_at: dt.datetime | None = None,
    event_uuid: str | None = None,
) -> str:
    event_uuid = event_uuid or str(uuid.uuid4())
    with db.write() as session:
        session.add(
            OutboxEvent(
                uuid=event_uuid,
                kind=kind,
                schema_version=1,
                payload=payload,
                created_at=CREATED,
                attempts=0,
                sent_at=sent_at,
            )
        )
    return event_uuid


def add_three_exports(db: Database) -> tuple[str, str, str]:
    """A supervision record, an ignored event between, a PDF summary and a CSV summary."""
    record = add_event(db, "supervision.finalised", supervision_payload(RECORD_PDF))
    add_event(db, "allocation.changed", {"case_ref": "C-1042", "to_staff_id": "S-0007"})
    pdf = add_event(db, "summary.exported", summary_payload(SUMMARY_PDF, "pdf"))
    csv = add_event(db, "summary.exported", summary_payload(SUMMARY_CSV, "csv"))
    return record, pdf, csv


def names(folder: Path) -> set[str]:
    return {path.name for path in folder.iterdir()}


def partials(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.name.endswith(".partial")]


def deliveries(db: Database) -> set[tuple[str, str]]:
    with db.read() as session:
        rows = session.execute(sa.select(FolderDelivery.event_uuid, FolderDelivery.folder)).all()
    return {(row.event_uuid, row.folder) for row in rows}


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Each file's bytes and modification time (ns): what "nothing rewritten" compares."""
    return {path.name: (path.read_bytes(), path.stat().st_mtime_ns) for path in folder.iterdir()}


# --- Writing ---------------------------------------------------------------------------------


def test_each_export_lands_as_its_file_and_a_sidecar_and_other_kinds_are_ignored(
    db: Database, share: Path
) -> None:
    record, pdf, csv = add_three_exports(db)

    result = deliver_to_folder(db, share)

    assert result == FolderResult(written=3, already=0)
    assert names(share) == {
        f"{record}.pdf",
        f"{record}.json",
        f"{pdf}.pdf",
        f"{pdf}.json",
        f"{csv}.csv",
        f"{csv}.json",
    }
    assert (share / f"{record}.pdf").read_bytes() == RECORD_PDF
    assert (share / f"{pdf}.pdf").read_bytes() == SUMMARY_PDF
    assert (share / f"{csv}.csv").read_bytes() == SUMMARY_CSV
    assert partials(share) == []


def test_the_sidecar_describes_the_file_with_every_payload_key_but_the_content(
    db: Database, share: Path
) -> None:
    record = add_event(db, "supervision.finalised", supervision_payload(RECORD_PDF))
    summary = add_event(db, "summary.exported", summary_payload(SUMMARY_CSV, "csv"))

    deliver_to_folder(db, share)

    raw = (share / f"{record}.json").read_bytes()
    assert ACTOR.encode("utf-8") in raw  # UTF-8 text, not ASCII escapes
    sidecar = json.loads(raw.decode("utf-8"))
    assert sidecar == {
        "uuid": record,
        "kind": "supervision.finalised",
        "schema_version": 1,
        "created_at": "2026-11-26T09:30:00+00:00",
        "file": f"{record}.pdf",
        "sha256": sha(RECORD_PDF),
        "size": len(RECORD_PDF),
        "record_id": "SUP-000042",
        "staff_id": "S-0007",
        "held_on": "2026-11-20",
        "finalised_at": "2026-11-26T09:30:00+00:00",
        "actor": ACTOR,
    }
    assert list(sidecar) == sorted(sidecar)  # keys written sorted
    assert raw.decode("utf-8").splitlines()[1].startswith('  "')  # indented by two

    summary_sidecar = json.loads((share / f"{summary}.json").read_text(encoding="utf-8"))
    assert summary_sidecar["file"] == f"{summary}.csv"
    assert summary_sidecar["sha256"] == sha((share / f"{summary}.csv").read_bytes())
    assert summary_sidecar["size"] == len(SUMMARY_CSV)
    assert summary_sidecar["format"] == "csv"
    assert summary_sidecar["team"] == "North Team"
    assert summary_sidecar["file_name"] == "Caseload summary - North Team - 2026-11-26.csv"
    assert "content" not in summary_sidecar


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")
def test_both_files_are_readable_and_writable_by_their_owner_only(
    db: Database, share: Path
) -> None:
    record = add_event(db, "supervision.finalised", supervision_payload(RECORD_PDF))
    deliver_to_folder(db, share)
    for name in (f"{record}.pdf", f"{record}.json"):
        assert stat.S_IMODE((share / name).stat().st_mode) == 0o600, name


def test_progress_counts_the_exports_to_write(db: Database, share: Path) -> None:
    add_three_exports(db)
    calls: list[tuple[int, int]] = []
    deliver_to_folder(db, share, progress=lambda done, total: calls.append((done, total)))
    assert calls == [(1, 3), (2, 3), (3, 3)]


def test_each_delivery_is_recorded_for_the_resolved_folder_and_sent_at_is_left_alone(
    db: Database, share: Path, tmp_path: Path
) -> None:
    pushed_at = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    record = add_event(db, "supervision.finalised", supervision_payload(RECORD_PDF))
    summary = add_event(
        db, "summary.exported", summary_payload(SUMMARY_PDF, "pdf"), sent_at=pushed_at
    )
    with db.read() as session:
        before = session.execute(
            sa.select(OutboxEvent.uuid, OutboxEvent.sent_at, OutboxEvent.attempts)
        ).all()

    # Named through "..": what is stored is the folder itself.
    deliver_to_folder(db, tmp_path / "share" / ".." / "share")

    with db.read() as session:
        after = session.execute(
            sa.select(OutboxEvent.uuid, OutboxEvent.sent_at, OutboxEvent.attempts)
        ).all()
    assert after == before
    assert {row.uuid: row.sent_at for row in after} == {record: None, summary: pushed_at}
    assert deliveries(db) == {(record, str(share.resolve())), (summary, str(share.resolve()))}


# --- Once only -------------------------------------------------------------------------------


def test_a_second_run_writes_nothing(db: Database, share: Path) -> None:
    add_three_exports(db)
    deliver_to_folder(db, share)
    first = snapshot(share)

    result = deliver_to_folder(db, share)

    assert result == FolderResult(written=0, already=3)
    assert snapshot(share) == first
    assert partials(share) == []


def test_a_new_export_is_written_on_the_next_run_and_only_it(db: Database, share: Path) -> None:
    add_three_exports(db)
    deliver_to_folder(db, share)
    first = snapshot(share)
    later = add_event(db, "supervision.finalised", supervision_payload(b"%PDF-later", "SUP-43"))

    result = deliver_to_folder(db, share)

    assert result == FolderResult(written=1, already=3)
    now = snapshot(share)
    assert set(now) - set(first) == {f"{later}.pdf", f"{later}.json"}
    assert {name: now[name] for name in first} == first


def test_another_folder_gets_every_export_too(db: Database, share: Path, tmp_path: Path) -> None:
    add_three_exports(db)
    deliver_to_folder(db, share)
    other = tmp_path / "other share"
    other.mkdir()

    assert deliver_to_folder(db, other) == FolderResult(written=3, already=0)
    assert names(other) == names(share)


@pytest.mark.skipif(sys.platform == "win32", reason="symbolic links need privileges on Windows")
def test_the_same_folder_reached_through_a_link_is_not_written_twice(
    db: Database, share: Path, tmp_path: Path
) -> None:
    add_three_exports(db)
    deliver_to_folder(db, share)
    link = tmp_path / "link-to-share"
    link.symlink_to(share, target_is_directory=True)
    first = snapshot(share)

    assert deliver_to_folder(db, link) == FolderResult(written=0, already=3)
    assert snapshot(share) == first


def test_files_that_landed_before_a_cut_are_recorded_without_being_written_again(
    db: Database, share: Path
) -> None:
    record, pdf, csv = add_three_exports(db)
    deliver_to_folder(db, share)
    first = snapshot(share)
    # The cut: every file renamed into place, no delivery recorded.
    with db.write() as session:
        session.execute(sa.delete(FolderDelivery))

    result = deliver_to_folder(db, share)

    assert result == FolderResult(written=0, already=3)
    assert snapshot(share) == first
    folder = str(share.resolve())
    assert deliveries(db) == {(record, folder), (pdf, folder), (csv, folder)}


def test_a_cut_between_the_two_renames_gets_its_sidecar_and_keeps_its_file(
    db: Database, share: Path
) -> None:
    record = add_event(db, "supervision.finalised", supervision_payload(RECORD_PDF))
    deliver_to_folder(db, share)
    first = snapshot(share)
    (share / f"{record}.json").unlink()
    with db.write() as session:
        session.execute(sa.delete(FolderDelivery))

    result = deliver_to_folder(db, share)

    assert result == FolderResult(written=1, already=0)
    now = snapshot(share)
    assert now[f"{record}.pdf"] == first[f"{record}.pdf"]  # same bytes, same mtime
    assert now[f"{record}.json"][0] == first[f"{record}.json"][0]
    assert len(deliveries(db)) == 1


def test_a_pair_the_records_system_took_away_is_not_written_again(
    db: Database, share: Path
) -> None:
    add_three_exports(db)
    deliver_to_folder(db, share)
    for path in share.iterdir():
        path.unlink()

    assert deliver_to_folder(db, share) == FolderResult(written=0, already=3)
    assert names(share) == set()


# --- Refusals --------------------------------------------------------------------------------


@pytest.mark.parametrize("problem", ["checksum", "base64"])
def test_damaged_content_is_refused_and_nothing_is_written_for_it(
    db: Database, share: Path, problem: str
) -> None:
    good = add_event(db, "supervision.finalised", supervision_payload(RECORD_PDF))
    damaged = supervision_payload(RECORD_PDF, record_id="SUP-000043")
    if problem == "checksum":
        damaged["sha256"] = sha(b"the record as it was finalised")
    else:
        damaged["pdf"] = "not base64 at all!"
    bad = add_event(db, "supervision.finalised", damaged)
    after = add_event(db, "summary.exported", summary_payload(SUMMARY_PDF, "pdf"))

    with pytest.raises(BadInput) as refused:
        deliver_to_folder(db, share)

    message = str(refused.value)
    assert bad in message
    assert "SUP-000043" in message
    assert "damaged" in message
    # The export before it stays delivered; nothing for it or after it.
    assert names(share) == {f"{good}.pdf", f"{good}.json"}
    assert deliveries(db) == {(good, str(share.resolve()))}
    assert after not in {event for event, _ in deliveries(db)}
    assert partials(share) == []


def test_an_event_id_that_is_not_a_uuid_never_becomes_a_path(
    db: Database, share: Path, tmp_path: Path
) -> None:
    add_event(db, "supervision.finalised", supervision_payload(RECORD_PDF), event_uuid="../escaped")
    with pytest.raises(BadInput, match="not a UUID"):
        deliver_to_folder(db, share)
    assert names(share) == set()
    assert not (tmp_path / "escaped.pdf").exists()


@pytest.mark.parametrize("what", ["missing", "a file"])
def test_a_folder_that_is_missing_or_a_file_is_refused_and_nothing_is_written(
    db: Database, tmp_path: Path, what: str
) -> None:
    add_three_exports(db)
    folder = tmp_path / "share"
    if what == "a file":
        folder.write_bytes(b"")
    with pytest.raises(BadInput) as refused:
        deliver_to_folder(db, folder)
    assert str(folder) in str(refused.value)
    assert ("does not exist" if what == "missing" else "not a folder") in str(refused.value)
    assert deliveries(db) == set()


def test_a_read_only_folder_is_refused_and_nothing_is_written(db: Database, share: Path) -> None:
    if sys.platform == "win32" or os.geteuid() == 0:
        pytest.skip("root (and Windows) can write into a folder without write permission")
    add_three_exports(db)
    share.chmod(0o500)
    try:
        with pytest.raises(BadInput) as refused:
            deliver_to_folder(db, share)
        assert str(share) in str(refused.value)
        assert names(share) == set()
        assert deliveries(db) == set()
    finally:
        share.chmod(0o700)


@pytest.mark.parametrize("which", ["file", "sidecar"])
def test_a_different_file_at_the_name_is_refused_and_left_byte_for_byte(
    db: Database, share: Path, which: str
) -> None:
    record = add_event(db, "supervision.finalised", supervision_payload(RECORD_PDF))
    if which == "file":
        theirs = share / f"{record}.pdf"
        theirs.write_bytes(b"%PDF- somebody else's document")
    else:
        theirs = share / f"{record}.json"
        theirs.write_text(json.dumps({"uuid": record, "sha256": sha(b"another document")}))
    before = snapshot(share)

    with pytest.raises(BadInput) as refused:
        deliver_to_folder(db, share)

    assert theirs.name in str(refused.value)
    assert "different content" in str(refused.value)
    assert snapshot(share) == before  # nothing replaced, nothing added
    assert deliveries(db) == set()


def test_a_write_that_fails_names_the_file_and_leaves_no_partial_file(
    db: Database, share: Path
) -> None:
    # A real failure from the OS even as root: a file-size limit (EFBIG) on this process.
    resource = pytest.importorskip("resource")
    if not hasattr(signal, "SIGXFSZ"):
        pytest.skip("no SIGXFSZ here")
    small = add_event(db, "supervision.finalised", supervision_payload(RECORD_PDF))
    big_pdf = b"%PDF-" + os.urandom(2 * 1024 * 1024)
    big = add_event(db, "supervision.finalised", supervision_payload(big_pdf, "SUP-000099"))
    # Start the WAL afresh, so recording a delivery writes near its start, under the limit.
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of a kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, limits[1]))
    try:
        with pytest.raises(BadInput) as refused:
            deliver_to_folder(db, share)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, handler)

    assert str(share.resolve() / f"{big}.pdf") in str(refused.value)
    assert "too large" in str(refused.value).lower()
    assert partials(share) == []
    assert names(share) == {f"{small}.pdf", f"{small}.json"}
    assert {event for event, _ in deliveries(db)} == {small}


# --- Cancelling ------------------------------------------------------------------------------


def test_cancelling_stops_between_exports_and_keeps_what_was_written(
    db: Database, share: Path
) -> None:
    record, _, _ = add_three_exports(db)
    calls: list[tuple[int, int]] = []

    with pytest.raises(Cancelled):
        deliver_to_folder(
            db,
            share,
            progress=lambda done, total: calls.append((done, total)),
            cancelled=lambda: len(calls) == 1,
        )

    assert calls == [(1, 3)]
    assert names(share) == {f"{record}.pdf", f"{record}.json"}
    assert deliveries(db) == {(record, str(share.resolve()))}
    assert partials(share) == []
    # The next run carries on from there.
    assert deliver_to_folder(db, share) == FolderResult(written=2, already=1)
    assert len(names(share)) == 6
