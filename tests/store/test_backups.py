"""Backups, restore, integrity: real files, real corruption, a real SIGKILL."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseload_desktop import cli
from caseload_desktop.context import open_context
from caseload_desktop.store import backups, engine
from caseload_desktop.store.engine import (
    Damaged,
    Passphrase,
    backups_dir,
    open_database,
)
from caseload_desktop.store.models import Allocation, Case, OutboxEvent
from tests.conftest import TODAY


def _run(*argv: str, db: Path) -> tuple[int, str]:
    out = io.StringIO()
    return cli.main([*argv, "--db", str(db)], out=out), out.getvalue()


def _corrupt(path: Path, pages: range) -> None:
    """Scramble whole pages in the middle of the file (the header page stays)."""
    data = bytearray(path.read_bytes())
    for page in pages:
        start = page * 4096
        for offset in range(start, min(start + 4096, len(data))):
            data[offset] = (data[offset] * 7 + 13) % 256
    path.write_bytes(bytes(data))


def _open_cases(path: Path) -> int:
    db, _ = open_database(path)
    try:
        with db.read() as session:
            return int(
                session.execute(
                    sa.select(sa.func.count()).where(Case.closed_on.is_(None))
                ).scalar_one()
            )
    finally:
        db.close()


def test_a_damaged_file_is_detected_left_alone_and_restore_brings_back_the_backup(
    demo_db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("backup", db=demo_db_path)[0] == 0
    [backup] = backups.list_backups(demo_db_path)
    expected = _run("queue", "--json", db=demo_db_path)
    _corrupt(demo_db_path, range(3, 6))
    damaged = demo_db_path.read_bytes()

    with pytest.raises(Damaged, match="caseload restore"):
        open_database(demo_db_path)
    status, _text = _run("queue", db=demo_db_path)
    err = capsys.readouterr().err
    assert status == 2 and "damaged" in err and str(backup) in err
    status, text = _run("verify", db=demo_db_path)
    assert status == 1 and "FAILED" in text
    assert demo_db_path.read_bytes() == damaged  # never overwritten

    status, text = _run("restore", str(backup), db=demo_db_path)
    assert status == 0, capsys.readouterr().err
    assert _run("queue", "--json", db=demo_db_path) == expected
    kept = [p for p in backups.list_backups(demo_db_path) if "-replaced-" in p.name]
    assert len(kept) == 1 and kept[0].read_bytes() == damaged
    status, text = _run("verify", "--json", db=demo_db_path)
    assert status == 0 and json.loads(text)["ok"] is True


def test_restore_refuses_a_damaged_or_missing_backup_and_changes_nothing(
    demo_db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("backup", "--out", str(tmp_path / "copy.db"), db=demo_db_path)[0] == 0
    _corrupt(tmp_path / "copy.db", range(2, 4))
    before = demo_db_path.read_bytes()
    assert _run("restore", str(tmp_path / "copy.db"), db=demo_db_path)[0] == 2
    assert "damaged" in capsys.readouterr().err
    assert _run("restore", str(tmp_path / "nothing.db"), db=demo_db_path)[0] == 2
    assert "No backup" in capsys.readouterr().err
    assert demo_db_path.read_bytes() == before


def test_verify_notices_a_damaged_stored_pdf(
    demo_db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = open_database(demo_db_path)
    with db.write() as session:
        session.execute(
            sa.insert(OutboxEvent).values(
                uuid="00000000-0000-4000-8000-000000000001",
                kind="supervision.finalised",
                schema_version=1,
                payload={"record_id": "SUP-000009", "sha256": "0" * 64, "pdf": "JVBERi0="},
                created_at=sa.func.now(),
                attempts=0,
            )
        )
    db.close()
    status, text = _run("verify", "--json", db=demo_db_path)
    report = json.loads(text)
    assert status == 1 and report["integrity_check"] == ["ok"]
    assert report["documents_checked"] == 1
    assert report["documents_damaged"][0].startswith("SUP-000009")


def test_the_desktop_apps_open_makes_one_backup_a_day_and_rotates(demo_db_path: Path) -> None:
    folder = backups_dir(demo_db_path)
    for _ in range(2):
        open_context(demo_db_path).close()
    daily = [p for p in backups.list_backups(demo_db_path) if "-daily-" in p.name]
    assert len(daily) == 1 and TODAY.isoformat() in daily[0].name
    for n in range(5):
        (folder / f"{demo_db_path.stem}-manual-2026010{n}T000000000000Z.db").write_bytes(b"x")
    db, _ = open_database(demo_db_path)
    removed = backups.rotate(demo_db_path, 3)
    db.close()
    assert len(removed) == 3
    assert len([p for p in backups.list_backups(demo_db_path)]) == 3


def test_a_read_command_of_the_cli_makes_no_backup(demo_db_path: Path) -> None:
    assert _run("queue", db=demo_db_path)[0] == 0
    assert not backups_dir(demo_db_path).exists()


def test_an_encrypted_database_backs_up_encrypted_and_restores_with_its_passphrase(
    demo_db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caseload_desktop.store.encryption import encrypt_in_place

    encrypt_in_place(demo_db_path, Passphrase("k'ey"))
    monkeypatch.setenv("CASELOAD_PASSPHRASE", "k'ey")
    expected = _run("queue", "--json", db=demo_db_path)
    assert _run("backup", db=demo_db_path)[0] == 0
    backup = next(p for p in backups.list_backups(demo_db_path) if "-manual-" in p.name)
    assert not backup.read_bytes().startswith(b"SQLite format 3")
    _corrupt(demo_db_path, range(4, 6))
    assert _run("restore", str(backup), db=demo_db_path)[0] == 0
    assert _run("queue", "--json", db=demo_db_path) == expected
    status, text = _run("verify", "--json", db=demo_db_path)
    report = json.loads(text)
    assert status == 0 and report["cipher_integrity_check"] == []


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import caseload_desktop.services.reassignment as r
    from caseload_desktop.services import settings
    from caseload_desktop.store.engine import open_database
    from caseload_desktop.domain.reasons import ChangeReason
    import datetime as dt

    original = r._write_moves

    def write_then_wait(*args, **kwargs):
        moved = original(*args, **kwargs)
        print("WRITTEN", flush=True)  # every row is written; the transaction is still open
        sys.stdin.readline()  # the parent kills us here
        return moved

    r._write_moves = write_then_wait
    db, _ = open_database(Path(sys.argv[1]))
    refs = sys.argv[2].split(",")
    r.reassign(
        db,
        r.Request(case_refs=refs, to_worker_id=None, reason=ChangeReason.MANAGE),
        rules=settings.load_settings(db).rules,
        today=dt.date(2026, 11, 26),
        actor="killed",
    )
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_in_the_middle_of_a_500_case_reassignment_leaves_none_applied(
    demo_db_path: Path,
) -> None:
    db, _ = open_database(demo_db_path)
    with db.read() as session:
        refs = list(
            session.execute(
                sa.select(Case.case_ref)
                .join(Allocation, Allocation.case_id == Case.id)
                .where(
                    Allocation.ended_on.is_(None),
                    Allocation.worker_id.is_not(None),
                    Case.closed_on.is_(None),
                )
                .order_by(Case.case_ref)
                .limit(500)
            ).scalars()
        )
        before = session.execute(sa.select(sa.func.count()).select_from(Allocation)).scalar_one()
    db.close()
    assert len(refs) == 500
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, str(demo_db_path), ",".join(refs)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "CASELOAD_TODAY": TODAY.isoformat()},
        text=True,
    ) as child:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "WRITTEN"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL

    assert backups.verify(demo_db_path, None).ok
    db, _ = open_database(demo_db_path)
    with db.read() as session:
        after = session.execute(sa.select(sa.func.count()).select_from(Allocation)).scalar_one()
        killed = session.execute(
            sa.select(sa.func.count()).where(Allocation.created_by == "killed")
        ).scalar_one()
    db.close()
    assert (after, killed) == (before, 0)  # none applied
    assert _open_cases(demo_db_path) > 0


# --- The desktop app's open: the check after the board -----------------------------------------


def _root_page(path: Path, table: str) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(
            conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[
                0
            ]
        )
    finally:
        conn.close()


def test_an_open_that_leaves_the_check_for_later_still_refuses_a_file_it_cannot_read(
    demo_db_path: Path,
) -> None:
    """The settings an open reads sit on a damaged page: the open checks the file at once and
    says it is damaged, as an open that checks first does."""
    page = _root_page(demo_db_path, "settings")
    _corrupt(demo_db_path, range(page - 1, page))  # _corrupt counts pages from 0
    damaged = demo_db_path.read_bytes()
    with pytest.raises(Damaged, match=r"is damaged .*It has not been changed"):
        open_context(demo_db_path, check_now=False)
    assert demo_db_path.read_bytes() == damaged
    assert not backups.list_backups(demo_db_path)


def test_the_check_after_the_open_finds_damage_the_open_did_not_read_and_backs_up_only_a_sound_file(
    demo_db_path: Path,
) -> None:
    context = open_context(demo_db_path, check_now=False)
    try:
        assert context.unchecked and not backups.list_backups(demo_db_path)  # nothing yet
        made = backups.check_then_back_up(context.db, TODAY)
        assert made is not None and backups.list_backups(demo_db_path) == [made]
        assert backups.check_then_back_up(context.db, TODAY) is None  # one a day
    finally:
        context.close()

    page = _root_page(demo_db_path, "allocations")
    _corrupt(demo_db_path, range(page - 1, page))
    damaged = demo_db_path.read_bytes()
    context = open_context(demo_db_path, check_now=False)  # the open reads no allocation
    try:
        with pytest.raises(Damaged, match="is damaged"):
            backups.check_then_back_up(context.db, TODAY + dt.timedelta(days=1))
    finally:
        context.close()
    assert backups.list_backups(demo_db_path) == [made]  # no backup of the damaged file
    assert demo_db_path.read_bytes() == damaged


def test_a_file_about_to_be_migrated_is_checked_first_even_when_the_open_leaves_it_for_later(
    demo_db_path: Path,
) -> None:
    """A migration writes to the file: it never starts on a damaged one."""
    previous = engine._revisions()[engine.head_revision()]
    assert isinstance(previous, str)
    conn = sqlite3.connect(demo_db_path)
    with conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (previous,))
    conn.close()
    page = _root_page(demo_db_path, "allocations")
    _corrupt(demo_db_path, range(page - 1, page))
    damaged = demo_db_path.read_bytes()
    with pytest.raises(Damaged, match="is damaged"):
        open_context(demo_db_path, check_now=False)
    assert demo_db_path.read_bytes() == damaged
    assert not backups.list_backups(demo_db_path)  # not even the backup before migrating
