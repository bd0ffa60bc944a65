"""Encryption at rest with SQLCipher: real files on disk, read back byte by byte."""

from __future__ import annotations

import io
import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from caseload_desktop import cli
from caseload_desktop.errors import BadInput, CaseloadError
from caseload_desktop.store.db_lock import DatabaseLock, lock_path
from caseload_desktop.store.encryption import change_passphrase, encrypt_in_place
from caseload_desktop.store.engine import (
    SQLITE_HEADER,
    Encrypted,
    Passphrase,
    WrongPassphrase,
    backup_database,
    backups_dir,
    create_database,
    open_database,
)
from caseload_desktop.store.models import Child

# Quotes, a semicolon and SQL in a passphrase must be taken as its characters, nothing more.
TRICKY = 'it\'s "quoted"; DROP TABLE cases; --'


def _children(path: Path, key: Passphrase | None) -> list[str]:
    db, _ = open_database(path, key=key)
    try:
        with db.read() as session:
            return sorted(session.execute(sa.select(Child.name)).scalars())
    finally:
        db.close()


def _file_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    for side in ("-wal", "-shm"):
        extra = path.with_name(path.name + side)
        if extra.exists():
            data += extra.read_bytes()
    return data


@pytest.fixture
def encrypted_demo(demo_db_path: Path) -> tuple[Path, list[str]]:
    names = _children(demo_db_path, None)
    encrypt_in_place(demo_db_path, Passphrase(TRICKY))
    return demo_db_path, names


def test_an_encrypted_database_holds_no_plaintext_and_no_sqlite_header(
    encrypted_demo: tuple[Path, list[str]],
) -> None:
    path, names = encrypted_demo
    data = _file_bytes(path)
    assert not data.startswith(SQLITE_HEADER)
    for name in names[:50]:
        assert name.encode("utf-8") not in data
    assert _children(path, Passphrase(TRICKY)) == names


def test_a_new_encrypted_database_is_encrypted_from_the_first_byte(tmp_path: Path) -> None:
    db = create_database(tmp_path / "new.db", Passphrase(TRICKY))
    assert db.encrypted
    db.close()
    assert not (tmp_path / "new.db").read_bytes().startswith(SQLITE_HEADER)
    db, _ = open_database(tmp_path / "new.db", key=Passphrase(TRICKY))
    db.close()


def test_missing_and_wrong_passphrases_are_clear_and_change_nothing(
    encrypted_demo: tuple[Path, list[str]],
) -> None:
    path, _names = encrypted_demo
    before = path.read_bytes()
    with pytest.raises(Encrypted, match="passphrase"):
        open_database(path)
    with pytest.raises(WrongPassphrase, match="wrong"):
        open_database(path, key=Passphrase("not it"))
    with pytest.raises(WrongPassphrase):  # never a new database over the file
        open_database(path, key=Passphrase("not it"), create=True)
    assert path.read_bytes() == before


def test_the_passphrase_stays_out_of_reprs_urls_and_logs(
    encrypted_demo: tuple[Path, list[str]], caplog: pytest.LogCaptureFixture
) -> None:
    path, _names = encrypted_demo
    caplog.set_level(logging.DEBUG)
    key = Passphrase(TRICKY)
    db, _ = open_database(path, key=key)
    try:
        shown = " ".join([repr(db), str(db), repr(db.engine), str(db.engine.url), repr(key)])
        assert TRICKY not in shown and "quoted" not in shown
        with pytest.raises(WrongPassphrase) as raised:
            open_database(path, key=Passphrase("quoted secret"))
        assert "quoted secret" not in str(raised.value)
    finally:
        db.close()
    assert "quoted" not in caplog.text


def test_changing_the_passphrase_stops_the_old_one(encrypted_demo: tuple[Path, list[str]]) -> None:
    path, names = encrypted_demo
    change_passphrase(path, Passphrase(TRICKY), Passphrase("a new one"))
    with pytest.raises(WrongPassphrase):
        open_database(path, key=Passphrase(TRICKY))
    assert _children(path, Passphrase("a new one")) == names
    with pytest.raises(WrongPassphrase):
        change_passphrase(path, Passphrase(TRICKY), Passphrase("third"))
    with pytest.raises(BadInput, match="same"):
        change_passphrase(path, Passphrase("a new one"), Passphrase("a new one"))


def test_encrypting_in_place_keeps_an_encrypted_backup_and_every_row(
    demo_db_path: Path, tmp_path: Path
) -> None:
    names = _children(demo_db_path, None)
    backup = encrypt_in_place(demo_db_path, Passphrase("k"))
    assert backup.exists() and not backup.read_bytes().startswith(SQLITE_HEADER)
    assert _children(backup, Passphrase("k")) == names
    assert not list(demo_db_path.parent.glob("*.encrypting*"))
    with pytest.raises(Encrypted):  # already encrypted
        encrypt_in_place(demo_db_path, Passphrase("k"))


def test_a_file_that_cannot_be_replaced_is_left_plain_with_a_message(
    demo_db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows another program holding the database open makes the final swap fail: the
    encryption stops with a message, and the plain database and its backups are as they were."""
    names = _children(demo_db_path, None)
    real_replace = os.replace

    def held_open(source: Any, target: Any) -> None:
        if Path(target) == demo_db_path:
            raise PermissionError(13, "The process cannot access the file")
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", held_open)
    with pytest.raises(CaseloadError, match=r"Could not encrypt .*nothing was changed"):
        encrypt_in_place(demo_db_path, Passphrase("k"))
    monkeypatch.undo()
    assert _children(demo_db_path, None) == names  # still plain, every row
    assert not list(demo_db_path.parent.glob("*.encrypting*"))
    assert not list(backups_dir(demo_db_path).glob("*-encrypted-*"))


def test_an_online_backup_of_an_encrypted_database_is_encrypted(
    encrypted_demo: tuple[Path, list[str]], tmp_path: Path
) -> None:
    path, names = encrypted_demo
    target = backup_database(path, tmp_path / "copy.db", Passphrase(TRICKY))
    assert not target.read_bytes().startswith(SQLITE_HEADER)
    assert _children(target, Passphrase(TRICKY)) == names


def test_empty_and_nul_passphrases_are_refused() -> None:
    with pytest.raises(BadInput, match="empty"):
        Passphrase("")
    with pytest.raises(BadInput, match="NUL"):
        Passphrase("a\x00b")


# --- The command line ------------------------------------------------------------------------


def _run(*argv: str, db: Path) -> tuple[int, str]:
    out = io.StringIO()
    return cli.main([*argv, "--db", str(db)], out=out), out.getvalue()


def test_cli_demo_encrypt_then_read_with_the_environment_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "enc.db"
    monkeypatch.setenv("CASELOAD_PASSPHRASE", TRICKY)
    status, text = _run("demo", "--encrypt", "--cases", "120", "--team-size", "40", db=path)
    assert status == 0, capsys.readouterr().err
    assert not path.read_bytes().startswith(SQLITE_HEADER)
    status, text = _run("queue", "--json", db=path)
    assert status == 0 and json.loads(text)["orphaned"] is not None

    monkeypatch.delenv("CASELOAD_PASSPHRASE")
    status, _text = _run("queue", db=path)  # no terminal here: an error, never a hang
    err = capsys.readouterr().err
    assert status == 2 and "CASELOAD_PASSPHRASE" in err and "Traceback" not in err

    monkeypatch.setenv("CASELOAD_PASSPHRASE", "wrong")
    status, _text = _run("queue", db=path)
    err = capsys.readouterr().err
    assert status == 2 and "wrong" in err


def test_cli_encrypt_and_change_passphrase(
    demo_db_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _status, plain_queue = _run("queue", "--json", db=demo_db_path)
    monkeypatch.setenv("CASELOAD_PASSPHRASE", "first")
    status, text = _run("encrypt", db=demo_db_path)
    assert status == 0, capsys.readouterr().err
    assert "Encrypted" in text
    assert _run("queue", "--json", db=demo_db_path) == (0, plain_queue)
    status, _text = _run("encrypt", db=demo_db_path)
    assert status == 2 and "already encrypted" in capsys.readouterr().err

    monkeypatch.setenv("CASELOAD_NEW_PASSPHRASE", "second")
    status, text = _run("passphrase", "change", db=demo_db_path)
    assert status == 0, capsys.readouterr().err
    assert _run("queue", db=demo_db_path)[0] == 2  # "first" no longer opens it
    monkeypatch.setenv("CASELOAD_PASSPHRASE", "second")
    assert _run("queue", "--json", db=demo_db_path) == (0, plain_queue)


def test_commands_that_replace_the_file_wait_for_the_app_to_let_it_go(
    demo_db_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    backup = tmp_path / "backup.db"
    assert _run("backup", "--out", str(backup), db=demo_db_path)[0] == 0
    monkeypatch.setenv("CASELOAD_PASSPHRASE", "first")
    monkeypatch.setenv("CASELOAD_NEW_PASSPHRASE", "second")
    before = _file_bytes(demo_db_path)
    app = DatabaseLock(demo_db_path)  # the desktop app has it open
    assert app.try_acquire()
    try:
        for argv in (("encrypt",), ("restore", str(backup))):
            status, _text = _run(*argv, db=demo_db_path)
            err = capsys.readouterr().err
            assert status == 1, err
            assert f"is in use by Caseload Desktop (process {os.getpid()}" in err
            assert "nothing was changed" in err and "Traceback" not in err
        assert _file_bytes(demo_db_path) == before
    finally:
        app.release()
    assert _run("encrypt", db=demo_db_path)[0] == 0, capsys.readouterr().err
    assert not lock_path(demo_db_path).exists()  # the command let it go
    assert app.try_acquire()
    try:
        status, _text = _run("passphrase", "change", db=demo_db_path)
        assert status == 1 and "is in use by Caseload Desktop" in capsys.readouterr().err
        assert _children(demo_db_path, Passphrase("first"))  # still the first passphrase
    finally:
        app.release()


def test_cli_init_encrypt_without_a_passphrase_or_terminal_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CASELOAD_PASSPHRASE", raising=False)
    status, _text = _run("init", "--encrypt", db=tmp_path / "x.db")
    assert status == 2 and "CASELOAD_PASSPHRASE" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()
    assert list(tmp_path.iterdir()) == []
