"""AppContext: the one object passed to windows, models and commands (no module globals).

It holds the open database, the practice rules in force and the clock. The GUI adds what only
it needs (the undo stack, personal settings) when those arrive.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

from caseload_desktop import clock, locations
from caseload_desktop.domain.practice import DEFAULT_RULES, PracticeRules
from caseload_desktop.services.changes import ChangeAnnouncer
from caseload_desktop.store import demo
from caseload_desktop.store.engine import Database, create_database, open_database


@dataclasses.dataclass
class AppContext:
    """Everything a use case or a view needs to reach, passed explicitly.

    Attributes:
        db: the open team database.
        rules: the council's practice rules (defaults until the settings store lands).
        today: returns today's date as the app sees it (honours ``CASELOAD_TODAY``).
        changes: where use cases announce what they changed, and views listen.
    """

    db: Database
    rules: PracticeRules = DEFAULT_RULES
    today: Callable[[], dt.date] = clock.today
    changes: ChangeAnnouncer = dataclasses.field(default_factory=ChangeAnnouncer)

    def close(self) -> None:
        self.db.close()


def open_context(path: Path, *, create: bool = False) -> AppContext:
    """Open (or create) the team database at ``path`` and wrap it in a context."""
    db = create_database(path) if create else open_database(path)[0]
    return AppContext(db=db)


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
