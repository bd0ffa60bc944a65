"""How values are shown to people: UK dates, weights, FTE. Shared by the CLI, views and reports."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal


def uk_date(value: dt.date | None) -> str:
    """``26 Nov 2026``; an empty string for no date."""
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


UK_TIME = zoneinfo.ZoneInfo("Europe/London")


def uk_datetime(value: dt.datetime | None) -> str:
    """``26 Nov 2026 14:05`` in UK time (GMT or BST), whatever the computer's own zone: a
    record shows the same time, and so the same bytes, wherever it is rendered. A time
    without a zone is taken as UTC (the store keeps UTC)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(UK_TIME)
    return f"{uk_date(local.date())} {local:%H:%M}"


def points(value: Decimal) -> str:
    """Weighted points with one decimal place: ``17.5``."""
    return f"{value:.1f}"


def fte(value: Decimal) -> str:
    """FTE as councils write it: ``1.0``, ``0.8``, ``0.75``."""
    text = f"{value:.2f}"
    return text[:-1] if text.endswith("0") else text
