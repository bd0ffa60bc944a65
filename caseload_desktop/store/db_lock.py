"""One writer per team database: a ``QLockFile`` at ``<database>.lock`` beside it.

The desktop app takes the lock before it opens a database and keeps it until the database is
closed (``AppContext.close`` releases it). A second copy of the app that finds it taken is told
who holds it (``LockHolder``) and may open the database read-only. The command line takes it
only for the commands that replace or rewrite the whole file (``caseload encrypt``,
``passphrase change``, ``restore``: ``exclusive``); its other commands write in SQLite
transactions beside a running app, as scripts do all day.

Stale locks: a copy of the app that crashed leaves its lock file behind. ``QLockFile`` reads
the process id, program name and host written in it, and takes the lock over when that process
is no longer running on this computer (or the id now belongs to another program). The age rule
is switched off (``setStaleLockTime(0)``): the app holds its lock for a whole working day, so a
lock older than any limit may well be alive.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from PySide6 import QtCore

from caseload_desktop import APP_NAME
from caseload_desktop.errors import CaseloadError, DatabaseBusy

log = logging.getLogger("caseload.store")

LOCK_SUFFIX = ".lock"
NEVER_STALE_BY_AGE = 0  # QLockFile: 0 ms switches the age rule off (see the module docstring)


def lock_path(database: Path) -> Path:
    """Where the lock of ``database`` lives: ``team.db.lock`` beside ``team.db``."""
    return database.with_name(database.name + LOCK_SUFFIX)


@dataclasses.dataclass(frozen=True)
class LockHolder:
    """Who holds a database's lock, as its lock file says.

    Attributes:
        pid: the process id of the copy of the app holding it.
        hostname: the computer it runs on.
        app: the program's name ("caseload-desktop"; "python3.11" when run from source).
        user: who owns the lock file (the user signed in to that copy), or "" where the
            system does not say (Windows).
    """

    pid: int
    hostname: str
    app: str
    user: str = ""

    @property
    def on_this_computer(self) -> bool:
        return not self.hostname or self.hostname == QtCore.QSysInfo.machineHostName()

    def describe(self) -> str:
        """ "process 4242 (caseload-desktop) of sam on this computer (LAPTOP-17)"."""
        text = f"process {self.pid}"
        if self.app:
            text += f" ({self.app})"
        if self.user:
            text += f" of {self.user}"
        if self.on_this_computer:
            text += " on this computer"
            if self.hostname:
                text += f" ({self.hostname})"
        else:
            text += f" on the computer {self.hostname}"
        return text


class DatabaseLock:
    """The lock of one database (a ``QLockFile``).

    Each object is a lock of its own: a second ``DatabaseLock`` on the same database, even in
    the same process, does not get it while the first holds it.

    Attributes:
        database: the database file.
        path: the lock file.
    """

    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = lock_path(database)
        self._file = QtCore.QLockFile(str(self.path))
        self._file.setStaleLockTime(NEVER_STALE_BY_AGE)

    @property
    def held(self) -> bool:
        return self._file.isLocked()

    def try_acquire(self) -> bool:
        """Take the lock without waiting: True when taken (a stale one taken over), False when
        another copy of the app holds it. ``CaseloadError`` when no lock file can be made."""
        if self._file.tryLock(0):
            log.info("locked %s", self.database)
            return True
        error = self._file.error()
        if error == QtCore.QLockFile.LockError.LockFailedError:
            return False
        why = (
            "you may not create files in its folder"
            if error == QtCore.QLockFile.LockError.PermissionError
            else "the folder is missing or cannot be written to"
        )
        raise CaseloadError(
            f"Cannot open {self.database}: the app could not create its lock file {self.path} "
            f"({why}). Keep the database in a folder you can write to, on this computer's own "
            "disk."
        )

    def holder(self) -> LockHolder | None:
        """Who holds the lock, or None when the lock file cannot be read (it was just
        released, or it is not Qt's)."""
        try:
            pid, hostname, app = self._file.getLockInfo()
        except (TypeError, ValueError):  # pragma: no cover - an unreadable lock file
            return None
        if not pid:
            return None
        return LockHolder(pid=int(pid), hostname=hostname, app=app, user=_owner(self.path))

    def release(self) -> None:
        """Let the lock go (nothing happens when it is not held)."""
        if self._file.isLocked():
            self._file.unlock()
            log.info("unlocked %s", self.database)


@contextlib.contextmanager
def exclusive(database: Path) -> Iterator[None]:
    """Hold ``database``'s lock while a command replaces or rewrites the file: a copy of the app
    with it open would go on writing to the file replaced, or with the old passphrase.
    ``DatabaseBusy`` (naming who holds it) when a copy of the app has it open."""
    if not database.exists():
        yield  # no copy of the app can have it open (``restore`` may make it)
        return
    lock = DatabaseLock(database)
    if not lock.try_acquire():
        holder = lock.holder()
        who = "" if holder is None else f" ({holder.describe()})"
        raise DatabaseBusy(
            f"{database} is in use by {APP_NAME}{who}: the app has it open, or another command "
            "is rewriting it. Close it there, or let that command finish, first; nothing was "
            "changed."
        )
    try:
        yield
    finally:
        lock.release()


def _owner(path: Path) -> str:
    """The user owning ``path`` (who created the lock file), where the system says."""
    if os.name != "posix":
        return ""  # pathlib cannot tell on Windows before Python 3.13
    try:
        return path.owner()
    except (OSError, KeyError):  # gone meanwhile, or a user id with no name here
        return ""
