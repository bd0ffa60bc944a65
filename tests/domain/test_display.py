"""How dates and times are shown: UK formats, UK time whatever the computer's zone."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from caseload_desktop.display import uk_date, uk_datetime


def test_a_date_is_day_month_year() -> None:
    assert uk_date(dt.date(2026, 11, 6)) == "6 Nov 2026"
    assert uk_date(None) == ""


@pytest.mark.parametrize(
    ("utc", "shown"),
    [
        (dt.datetime(2026, 11, 26, 14, 5, tzinfo=dt.UTC), "26 Nov 2026 14:05"),  # GMT
        (dt.datetime(2026, 7, 1, 23, 30, tzinfo=dt.UTC), "2 Jul 2026 00:30"),  # BST
        (dt.datetime(2026, 3, 29, 0, 59, tzinfo=dt.UTC), "29 Mar 2026 00:59"),  # before the change
        (dt.datetime(2026, 3, 29, 1, 0, tzinfo=dt.UTC), "29 Mar 2026 02:00"),  # after it
        (dt.datetime(2026, 7, 1, 12, 0), "1 Jul 2026 13:00"),  # no zone: UTC, as stored
    ],
)
def test_a_time_is_shown_in_uk_time_whatever_the_computers_zone(
    monkeypatch: pytest.MonkeyPatch, utc: dt.datetime, shown: str
) -> None:
    for zone in ("America/New_York", "Asia/Kolkata", "UTC"):
        monkeypatch.setenv("TZ", zone)
        time.tzset()
        assert uk_datetime(utc) == shown, zone
    monkeypatch.delenv("TZ")
    time.tzset()
    assert os.environ.get("TZ") is None
