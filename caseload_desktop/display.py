"""How values are shown to people: UK dates, weights, FTE. Shared by the CLI, views and reports."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal


def uk_date(value: dt.date | None) -> str:
    """``26 Nov 2026``; an empty string for no date."""
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


def uk_datetime(value: dt.datetime | None) -> str:
    """``26 Nov 2026 14:05`` in local time."""
    if value is None:
        return ""
    local = value.astimezone()
    return f"{uk_date(local.date())} {local:%H:%M}"


def points(value: Decimal) -> str:
    """Weighted points with one decimal place: ``17.5``."""
    return f"{value:.1f}"


def fte(value: Decimal) -> str:
    """FTE as councils write it: ``1.0``, ``0.8``, ``0.75``."""
    text = f"{value:.2f}"
    return text[:-1] if text.endswith("0") else text
