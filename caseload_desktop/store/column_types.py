"""Column types that keep the domain's Python types exact on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa


class Hundredths(sa.types.TypeDecorator[Decimal]):
    """A Decimal with two places stored as an integer count of hundredths (FTE 0.75 -> 75).

    SQLite has no exact decimal type; integers keep sums exact and raw SQL simple.
    """

    impl = sa.Integer
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: sa.Dialect) -> int | None:
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value())

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)) / 100


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """An aware UTC instant, stored naive in UTC (SQLite keeps no zone)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> dt.datetime | None:
        if value is None:
            return None
        instant: dt.datetime = value.replace(tzinfo=dt.UTC)
        return instant
