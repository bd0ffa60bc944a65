"""AppContext: the one object passed to windows, models and commands (no module globals).

It holds the open database, the practice rules in force and the clock. The GUI adds what only
it needs (the undo stack, personal settings) when those arrive.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from caseload_desktop import clock
from caseload_desktop.domain.practice import DEFAULT_RULES, PracticeRules
from caseload_desktop.store.engine import Database


@dataclasses.dataclass
class AppContext:
    """Everything a use case or a view needs to reach, passed explicitly.

    Attributes:
        db: the open team database.
        rules: the council's practice rules (defaults until the settings store lands).
        today: returns today's date as the app sees it (honours ``CASELOAD_TODAY``).
    """

    db: Database
    rules: PracticeRules = DEFAULT_RULES
    today: Callable[[], dt.date] = clock.today
