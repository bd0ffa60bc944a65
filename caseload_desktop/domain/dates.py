"""Dates as people and extracts write them: ISO (2026-11-26) or UK day first (26/11/2026).

Never month first: 03/04/2026 is 3 April. An impossible date (31/02/2026) is refused.
"""

from __future__ import annotations

import datetime as dt
import re

_UK = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def parse_date(text: str) -> dt.date:
    """Read ``text`` as an ISO or UK date; ``ValueError`` says what was wrong."""
    value = text.strip()
    uk, iso = _UK.match(value), _ISO.match(value)
    try:
        if uk:
            day, month, year = (int(part) for part in uk.groups())
            return dt.date(year, month, day)
        if iso:  # 2026-1-5 as well as 2026-01-05
            year, month, day = (int(part) for part in iso.groups())
            return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a real date") from None
    raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD or DD/MM/YYYY")
