"""AppContext: the one object passed to windows, models and commands (no module globals).

It holds the open database, the council's settings in force (practice rules, record style)
and the clock. When the settings change, ``reload_settings`` reads them again; views re-read
``context.rules`` on the change announcement, so nothing needs a restart.

The desktop app also gives it the database's one-writer lock (``store.db_lock``), released when
the context closes, or marks it read-only when another copy of the app holds that lock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from caseload_desktop import APP_NAME, clock, locations
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.domain.settings import DEFAULT_SETTINGS, RecordsStyle, ServiceSettings
from caseload_desktop.errors import BadInput
from caseload_desktop.services import settings as settings_service
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.store import demo
from caseload_desktop.store.engine import (
    Database,
    Passphrase,
    cipher_module,
    create_database,
    ensure_sound,
    open_database,
)


class HeldLock(Protocol):
    """A lock on the database that the context releases when it closes."""

    def release(self) -> None: ...


@dataclasses.dataclass
class AppContext:
    """Everything a use case or a view needs to reach, passed explicitly.

    Attributes:
        db: the open team database.
        settings: the council's settings, as stored in the database (``services.settings``).
        today: returns today's date as the app sees it (honours ``CASELOAD_TODAY``).
        changes: where use cases announce what they changed, and views listen.
        read_only: another copy of the app holds the database: this one only reads it.
        lock: the database's one-writer lock while this context holds it (released on close).
        unchecked: the open left SQLite's quick check and the day's backup for later
            (``open_context(check_now=False)``); whoever shows it runs them
            (``store.backups.check_then_back_up``) and clears this.
    """

    db: Database
    settings: ServiceSettings = DEFAULT_SETTINGS
    today: Callable[[], dt.date] = clock.today
    changes: ChangeAnnouncer = dataclasses.field(default_factory=ChangeAnnouncer)
    read_only: bool = False
    lock: HeldLock | None = dataclasses.field(default=None, repr=False, compare=False)
    unchecked: bool = False

    def __post_init__(self) -> None:
        # Announced settings changes (from this desktop, or a pull) are read back first, so
        # every other subscriber sees the new rules.
        self._unsubscribe = self.changes.subscribe(self._on_change)

    @property
    def rules(self) -> PracticeRules:
        """The council's practice rules in force."""
        return self.settings.rules

    @property
    def records(self) -> RecordsStyle:
        """What the council's PDF records carry (name, logo, protective marking)."""
        return self.settings.records

    def reload_settings(self) -> None:
        self.settings = settings_service.load_settings(self.db)

    def _on_change(self, change: Change) -> None:
        if change.what == "settings":
            self.reload_settings()

    def close(self) -> None:
        self._unsubscribe()
        try:
            self.db.close()
        finally:
            lock, self.lock = self.lock, None
            if lock is not None:
                lock.release()  # after the database has closed: the next writer may start


def open_context(
    path: Path,
    *,
    create: bool = False,
    key: Passphrase | None = None,
    read_only: bool = False,
    check_now: bool = True,
) -> AppContext:
    """Open (or create) the team database at ``path`` and wrap it in a context.

    ``key`` opens an encrypted database, or encrypts a new one (``store.engine``: a wrong one
    is ``WrongPassphrase``, a missing one ``Encrypted``; neither writes to the file).
    ``read_only``: another copy of the app holds the database, so this one neither migrates it
    nor makes the day's backup, the context says it may only read, and the database refuses
    writes (``Database.query_only``).

    With ``check_now`` (scripts, the benchmark's own opens) the file passes SQLite's quick
    check first and a writable open makes the day's backup. Without it the caller runs both
    later (``store.backups.check_then_back_up``; the desktop app does, off the GUI thread, once
    the board is up: the check reads every page, 0.3 s of a service's database and 1 s
    encrypted). A file the open itself finds damaged is checked at once and is ``Damaged``.
    """
    if create:
        created = create_database(path, key)
        return AppContext(db=created, settings=settings_service.load_settings(created))
    # The desktop app is what a manager opens every day: its open makes the day's backup.
    daily_backup = check_now and not read_only
    db: Database | None = None
    try:
        db = open_database(
            path, key=key, check=check_now, daily_backup=daily_backup, query_only=read_only
        )[0]
        settings = settings_service.load_settings(db)
    except Exception as exc:
        if db is not None:
            db.close()
        if not check_now and _reads_as_damaged(exc, key):
            ensure_sound(Path(path).expanduser(), key)  # Damaged, with the check's finding
        raise
    return AppContext(db=db, settings=settings, read_only=read_only, unchecked=not check_now)


def _reads_as_damaged(exc: BaseException, key: Passphrase | None) -> bool:
    """An error reading the file that its damage would explain (SQLite's, not ours)."""
    if isinstance(exc, sa.exc.DatabaseError | sqlite3.DatabaseError):
        return True
    return key is not None and isinstance(exc, cipher_module().DatabaseError)


def open_demo_context(
    seed: int = 1,
    cases: int = demo.DEFAULT_CASES,
    progress: Callable[[int, int], bool] | None = None,
    *,
    key: Passphrase | None = None,
    read_only: bool = False,
    check_now: bool = True,
) -> AppContext:
    """The demo service in the data folder, created on first use (``progress`` as for
    ``demo.generate_demo``); ``key``, ``read_only`` and ``check_now`` as for ``open_context``
    (read-only, it is never created)."""
    path = locations.demo_database_path()
    if not path.exists():
        if read_only:
            raise BadInput(
                f"Another copy of {APP_NAME} is creating the demo service. Try again when it "
                "has opened it."
            )
        demo.create_demo_database(
            path, seed=seed, cases=cases, today=clock.today(), progress=progress
        )
    return open_context(path, key=key, read_only=read_only, check_now=check_now)
