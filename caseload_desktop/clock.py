"""Today's date as the app sees it.

``CASELOAD_TODAY=YYYY-MM-DD`` in the environment replaces the real date everywhere, so tests are
reproducible and a past report can be produced again. Nothing else in the app calls
``date.today()``.
"""

from __future__ import annotations

import datetime as dt
import os

from caseload_desktop.errors import BadInput

TODAY_VARIABLE = "CASELOAD_TODAY"


def today() -> dt.date:
    """Return ``CASELOAD_TODAY`` when it is set, otherwise the local date."""
    value = os.environ.get(TODAY_VARIABLE, "").strip()
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadInput(
            f"{TODAY_VARIABLE} must be a date written YYYY-MM-DD, not {value!r}."
        ) from None


def now_utc() -> dt.datetime:
    """The current instant in UTC (audit timestamps). Not affected by ``CASELOAD_TODAY``."""
    return dt.datetime.now(dt.UTC)


def is_overridden() -> bool:
    """True when ``CASELOAD_TODAY`` fixes the date (the status bar says so)."""
    return bool(os.environ.get(TODAY_VARIABLE, "").strip())
