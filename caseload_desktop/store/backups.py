"""Backups, restore and integrity checks of a team database.

- A backup is SQLite's online backup API (safe while the database is open), encrypted with the
  database's own key when it is encrypted, written whole or not at all (``backup_database``).
  The app makes one before every migration and one a day on open (``daily_backup``), keeping
  the newest ``backups.keep`` daily and manual backups (a setting, 14 by default).
- ``restore`` puts a backup back: it checks the backup first, keeps the file it replaces in
  ``backups/``, then swaps the backup in with one atomic rename.
- ``verify`` runs SQLite's full ``integrity_check`` (and SQLCipher's ``cipher_integrity_check``
  on an encrypted database), and checks the SHA-256 of every document the database holds (the
  PDFs and exports waiting in the outbox): integrity_check does not read blob contents.
- ``quick_check`` is the cheap check the app runs on open (``check_then_back_up``: first the
  check, and only a sound file gets the day's backup).
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from caseload_desktop.errors import BadInput, CaseloadError, NotADatabase
from caseload_desktop.store.engine import (
    Database,
    Passphrase,
    backup_database,
    backups_dir,
    connect_raw,
    ensure_sound,
    inspect_file,
    read_only_uri,
    run_quick_check,
)

log = logging.getLogger("caseload.store")

DEFAULT_KEEP = 14
_STAMP = "%Y%m%dT%H%M%S%fZ"
ROTATED_KINDS = ("daily", "manual")


def _stamp() -> str:
    return dt.datetime.now(dt.UTC).strftime(_STAMP)


def _backup_name(path: Path, kind: str, day: dt.date | None = None) -> Path:
    day_part = "" if day is None else f"{day.isoformat()}-"
    return backups_dir(path) / f"{path.stem}-{kind}-{day_part}{_stamp()}{path.suffix}"


def list_backups(path: Path) -> list[Path]:
    """The backups of the database at ``path``, newest first."""
    folder = backups_dir(path)
    if not folder.is_dir():
        return []
    found = [
        p
        for p in folder.glob(f"{path.stem}-*{path.suffix}")
        if p.is_file() and not p.name.endswith(".partial")
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def backup_now(db: Database, target: Path | None = None) -> Path:
    """A backup of ``db`` now (``caseload backup``): to ``target``, or into ``backups/``."""
    if target is None:
        target = _backup_name(db.path, "manual")
    elif target.exists():
        raise BadInput(f"{target} already exists; choose another name for the backup.")
    elif not target.parent.is_dir():
        raise BadInput(f"The folder {target.parent} does not exist.")
    return backup_database(db.path, target, db.key)


def daily_backup(db: Database, today: dt.date, keep: int = DEFAULT_KEEP) -> Path | None:
    """Today's backup, if there is none yet; then keep only the newest ``keep`` daily and
    manual backups. Returns the new backup, or None."""
    folder = backups_dir(db.path)
    prefix = f"{db.path.stem}-daily-{today.isoformat()}-"
    made = None
    if not folder.is_dir() or not any(folder.glob(prefix + "*" + db.path.suffix)):
        made = backup_database(db.path, _backup_name(db.path, "daily", today), db.key)
        log.info("daily backup of %s: %s", db.path, made)
    rotate(db.path, keep)
    return made


def check_then_back_up(db: Database, today: dt.date | None) -> Path | None:
    """The checks of an open that left them for later (the desktop app runs these on a pool
    thread once the board is up): SQLite's quick check of ``db``'s file (``Damaged`` when it
    fails: a damaged file is never backed up over a good backup), then, with ``today``, the
    day's backup (``daily_backup``). Returns the new backup, or None."""
    ensure_sound(db.path, db.key)
    return None if today is None else daily_backup(db, today, stored_keep(db))


def rotate(path: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` daily and manual backups; returns those deleted.
    Backups made before a migration or an encryption are kept: they are rare and each is the
    only copy of a version."""
    rotated = [
        p
        for p in list_backups(path)
        if any(p.name.startswith(f"{path.stem}-{kind}-") for kind in ROTATED_KINDS)
    ]
    removed = rotated[max(keep, 1) :]
    for old in removed:
        old.unlink(missing_ok=True)
    return removed


def stored_keep(db: Database) -> int:
    """The ``backups.keep`` setting as stored (the default when unset or unreadable)."""
    import sqlalchemy as sa

    from caseload_desktop.store.models import SettingValue

    with db.read() as session:
        raw = session.execute(
            sa.select(SettingValue.value).where(SettingValue.key == "backups.keep")
        ).scalar_one_or_none()
    try:
        keep = int(json.loads(raw) if isinstance(raw, str) else raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return DEFAULT_KEEP
    return keep if keep >= 1 else DEFAULT_KEEP


@dataclasses.dataclass(frozen=True)
class VerifyReport:
    """What ``verify`` found. ``ok`` only when every check passed."""

    path: Path
    integrity: list[str]
    cipher: list[str] | None  # None: not encrypted
    documents_checked: int
    documents_damaged: list[str]

    @property
    def ok(self) -> bool:
        return self.integrity == ["ok"] and not self.cipher and not self.documents_damaged

    def as_json(self) -> dict[str, Any]:
        return {
            "database": str(self.path),
            "ok": self.ok,
            "integrity_check": self.integrity,
            "cipher_integrity_check": self.cipher,
            "documents_checked": self.documents_checked,
            "documents_damaged": self.documents_damaged,
        }


_DOCUMENTS = {"supervision.finalised": "pdf", "summary.exported": "content"}


def verify(path: Path, key: Passphrase | None) -> VerifyReport:
    """The full checks of ``caseload verify``. Reads only."""
    inspect_file(path, key)
    conn = connect_raw(read_only_uri(path), key, uri=True, file=path)
    try:
        integrity = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
        cipher = None
        if key is not None:
            cipher = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
        checked, damaged = 0, []
        rows = conn.execute(
            "SELECT uuid, kind, payload FROM outbox_events WHERE kind IN (?, ?)",
            tuple(_DOCUMENTS),
        )
        for event_uuid, kind, raw in rows:
            checked += 1
            try:
                payload = json.loads(raw)
                data = base64.b64decode(payload[_DOCUMENTS[kind]], validate=True)
                good = hashlib.sha256(data).hexdigest() == payload.get("sha256")
            except (ValueError, KeyError, TypeError, binascii.Error):
                good = False
            if not good:
                what = payload.get("record_id") or payload.get("file_name") or kind
                damaged.append(f"{what} (event {event_uuid})")
    except Exception as exc:
        if "not a database" in str(exc).lower() or "malformed" in str(exc).lower():
            return VerifyReport(path, [str(exc)], None, 0, [])
        raise
    finally:
        conn.close()
    return VerifyReport(path, integrity, cipher, checked, damaged)


def restore(path: Path, backup: Path, key: Passphrase | None) -> Path:
    """Put ``backup`` back as the database at ``path``; returns where the replaced file was
    kept. The backup is checked first (it must open with ``key`` when it is encrypted, and
    pass the quick check); nothing changes if it does not."""
    path = Path(path).expanduser()
    backup = Path(backup).expanduser()
    if not backup.is_file():
        raise BadInput(f"No backup at {backup}.")
    if backup.resolve() == path.resolve():
        raise BadInput(f"{backup} is the database itself, not a backup of it.")
    state = inspect_file(backup, key)
    backup_key = key if state.encrypted else None
    result = run_quick_check(backup, backup_key)
    if result != "ok":
        raise NotADatabase(f"The backup {backup} is damaged ({result}); nothing was changed.")
    folder = backups_dir(path)
    folder.mkdir(parents=True, exist_ok=True)
    kept = None
    if path.exists():
        # The file being replaced may be damaged: copy its bytes (and its WAL) as they are.
        kept = folder / f"{path.stem}-replaced-{_stamp()}{path.suffix}"
        shutil.copyfile(path, kept)
        for side in ("-wal", "-shm"):
            extra = path.with_name(path.name + side)
            if extra.exists():
                shutil.copyfile(extra, kept.with_name(kept.name + side))
    incoming = path.with_name(path.name + ".restoring")
    try:
        shutil.copyfile(backup, incoming)
        with incoming.open("rb+") as handle:
            os.fsync(handle.fileno())
        for side in ("-wal", "-shm"):  # they belong to the file being replaced
            path.with_name(path.name + side).unlink(missing_ok=True)
        os.replace(incoming, path)
    except OSError as exc:
        incoming.unlink(missing_ok=True)
        raise CaseloadError(
            f"Could not restore {backup} to {path}: {exc.strerror or exc}."
        ) from None
    log.info("restored %s from %s (replaced file kept at %s)", path, backup, kept)
    return kept if kept is not None else backup
