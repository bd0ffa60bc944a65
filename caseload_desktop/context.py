"""AppContext: the one object passed to windows, models and commands (no module globals).

It holds the open database, the council's settings in force (practice rules, record style)
and the clock. When the settings change, ``reload_settings`` reads them again; views re-read
``context.rules`` on the change announcement, so nothing needs a restart.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from caseload_desktop import clock, locations
from caseload_desktop.domain.practice import PracticeRules
from caseload_desktop.domain.settings import DEFAULT_SETTINGS, RecordsStyle, ServiceSettings
from caseload_desktop.services import settings as settings_service
from caseload_desktop.services.changes import Change, ChangeAnnouncer
from caseload_desktop.store import demo
from caseload_desktop.store.engine import Database, create_database, open_database


@dataclasses.dataclass
class AppContext:
    """Everything a use case or a view needs to reach, passed explicitly.

    Attributes:
        db: the open team database.
        settings: the council's settings, as stored in the database (``services.settings``).
        today: returns today's date as the app sees it (honours ``CASELOAD_TODAY``).
        changes: where use cases announce what they changed, and views listen.
    """

    db: Database
    settings: ServiceSettings = DEFAULT_SETTINGS
    today: Callable[[], dt.date] = clock.today
    changes: ChangeAnnouncer = dataclasses.field(default_factory=ChangeAnnouncer)

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
        self.db.close()


def open_context(path: Path, *, create: bool = False) -> AppContext:
    """Open (or create) the team database at ``path`` and wrap it in a context."""
    # The desktop app is what a manager opens every day: its open makes the day's backup.
    db = create_database(path) if create else open_database(path, daily_backup=True)[0]
    return AppContext(db=db, settings=settings_service.load_settings(db))


def open_demo_context(
    seed: int = 1,
    cases: int = demo.DEFAULT_CASES,
    progress: Callable[[int, int], bool] | None = None,
) -> AppContext:
    """The demo service in the data folder, created on first use (``progress`` as for
    ``demo.generate_demo``)."""
    path = locations.demo_database_path()
    if not path.exists():
        demo.create_demo_database(
            path, seed=seed, cases=cases, today=clock.today(), progress=progress
        )
    return open_context(path)
