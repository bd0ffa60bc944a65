"""Encrypting a plain database, and changing an encrypted one's passphrase (SQLCipher).

Both work on a closed database (the app closes it first) and keep the rule every change keeps:
the file is whole before and after, never half-converted.

- ``encrypt_in_place`` exports the plain database into a new encrypted file beside it
  (``sqlcipher_export``), checks the copy (quick check, the same rows in every table), keeps an
  encrypted backup of it in ``backups/``, then swaps it in with one atomic rename. The plain
  file's old bytes are gone from the file, though not necessarily from the disk's free space:
  the README says so, and says to encrypt before data is loaded where possible.
- ``change_passphrase`` is SQLCipher's ``PRAGMA rekey``, which re-encrypts every page in one
  transaction; the old passphrase stops working. Backups made before keep the old passphrase.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path
from typing import Any

from caseload_desktop.errors import BadInput, CaseloadError
from caseload_desktop.store.engine import (
    SQLITE_HEADER,
    Passphrase,
    backups_dir,
    cipher_module,
    connect_raw,
    inspect_file,
    open_database,
)

log = logging.getLogger("caseload.store")


def _tables(conn: Any) -> dict[str, int]:
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    return {name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _fsync(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def is_encrypted(path: Path) -> bool:
    """Whether ``path`` is not a plain SQLite file (an SQLCipher database, or not a database)."""
    with path.open("rb") as handle:
        return handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER


def encrypt_in_place(path: Path, key: Passphrase) -> Path:
    """Encrypt the plain database at ``path`` with ``key``; returns the encrypted backup made
    on the way. The database is migrated to head first (after its own backup)."""
    path = Path(path).expanduser()
    state = inspect_file(path)  # NotFound, NotADatabase, Encrypted (already encrypted), ...
    if state.encrypted:  # pragma: no cover - inspect_file raises Encrypted without a key
        raise BadInput(f"{path} is already encrypted.")
    db, _report = open_database(path)  # migrate (after a backup) and checkpoint on close
    db.close()
    partial = path.with_name(path.name + ".encrypting")
    for leftover in (partial, partial.with_name(partial.name + "-journal")):
        leftover.unlink(missing_ok=True)
    plain = connect_raw(path, None)
    try:
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = _tables(plain)
    finally:
        plain.close()
    exporter = cipher_module().connect(str(path))  # SQLCipher, no key: the main file is plain
    try:
        exporter.execute("ATTACH DATABASE ? AS encrypted KEY ?", (str(partial), key.reveal()))
        exporter.execute("SELECT sqlcipher_export('encrypted')")
        exporter.execute("DETACH DATABASE encrypted")
    except Exception as exc:
        exporter.close()
        partial.unlink(missing_ok=True)
        raise CaseloadError(f"Could not encrypt {path} ({exc}); nothing was changed.") from None
    exporter.close()
    check = connect_raw(partial, key)
    try:
        quick = check.execute("PRAGMA quick_check").fetchone()[0]
        copied = _tables(check)
        check.execute("PRAGMA journal_mode = WAL")
    finally:
        check.close()
    if quick != "ok" or copied != counts:
        partial.unlink(missing_ok=True)
        raise CaseloadError(
            f"The encrypted copy of {path} did not check out ({quick}); nothing was changed."
        )
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    backup = backups_dir(path) / f"{path.stem}-encrypted-{stamp}{path.suffix}"
    backup_partial = backup.with_name(backup.name + ".partial")
    try:
        backup.parent.mkdir(parents=True, exist_ok=True)
        backup_partial.write_bytes(partial.read_bytes())
        _fsync(backup_partial)
        os.replace(backup_partial, backup)
        _fsync(partial)
        for side in ("-wal", "-shm"):  # the plain database's, checkpointed and empty
            path.with_name(path.name + side).unlink(missing_ok=True)
        os.replace(partial, path)
    except OSError as exc:
        # A full disk, or (on Windows) another program holding the file open: the plain
        # database is as it was (its WAL was checkpointed and empty).
        for leftover in (partial, backup_partial, backup):
            leftover.unlink(missing_ok=True)
        raise CaseloadError(
            f"Could not encrypt {path}: {exc.strerror or exc}. Close any program that has it "
            "open (another copy of the app, a backup tool) and try again; nothing was changed."
        ) from None
    log.info("encrypted %s (encrypted backup %s)", path, backup)
    return backup


def change_passphrase(path: Path, old: Passphrase, new: Passphrase) -> None:
    """Re-encrypt the database at ``path`` under ``new``. WrongPassphrase if ``old`` is not
    its passphrase; the database is unchanged then."""
    path = Path(path).expanduser()
    state = inspect_file(path, old)
    if not state.encrypted:
        raise BadInput(f"{path} is not encrypted; encrypt it first (caseload encrypt).")
    if new == old:
        raise BadInput("The new passphrase is the same as the old one; nothing was changed.")
    conn = connect_raw(path, old)
    try:
        conn.execute("PRAGMA busy_timeout = 5000")
        conn.execute(new.pragma("rekey"))
    except Exception as exc:
        raise CaseloadError(f"Could not change the passphrase of {path} ({exc}).") from None
    finally:
        conn.close()
    inspect_file(path, new)  # the new passphrase opens it
    log.info("changed the passphrase of %s", path)
