"""Dates as people and extracts write them: ISO (2026-11-26) or UK day first (26/11/2026).

Never month first: 03/04/2026 is 3 April. An impossible date (31/02/2026) is refused.
"""

from __future__ import annotations

import datetime as dt
import re

_UK = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")


def parse_date(text: str) -> dt.date:
    """Read ``text`` as an ISO or UK date; ``ValueError`` says what was wrong."""
    value = text.strip()
    match = _UK.match(value)
    try:
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    if match or re.match(r"^\d{4}-\d{1,2}-\d{1,2}$", value):
        raise ValueError(f"{text!r} is not a real date")
    raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD or DD/MM/YYYY")
