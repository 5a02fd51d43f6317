"""Bounds of what the platform takes: dates the calendar can place, counts and text that fit
their columns. Each check raises a `DomainError` on the field at fault, naming the bound.

Dates: nothing the platform records predates 2000, and nothing is planned beyond the end of
next year — the State Council publishes a year's statutory holidays late in the year before,
so further ahead no working-day deadline can be computed (core.calendar). A date outside is a
typing error (0001-01-01 and 9999-12-31 overflowed the date arithmetic of the figures: 500).
"""

from __future__ import annotations

from datetime import date

from django.db import models
from django.utils import timezone

from qinqing.core.errors import DomainError

EARLIEST_DATE = date(2000, 1, 1)
# A PositiveIntegerField is a 32-bit integer on PostgreSQL: a larger value is not refused but
# wraps around (99,999,999,999 was stored as 1,215,752,191).
INTEGER_COLUMN_MAX = 2_147_483_647


def latest_date(today: date | None = None) -> date:
    """The last day of next year: the furthest the calendar and any plan here reach."""
    return date((today or timezone.localdate()).year + 1, 12, 31)


def check_date(value: date, *, field: str, label: str, latest: date | None = None) -> None:
    """`value` lies between 2000-01-01 and `latest` (by default the end of next year)."""
    latest = latest or latest_date()
    if value < EARLIEST_DATE:
        raise DomainError(f"{label}不能早于 {EARLIEST_DATE:%Y-%m-%d}", field=field)
    if value > latest:
        raise DomainError(f"{label}不能晚于 {latest:%Y-%m-%d}", field=field)


def check_period(start: date, end: date, *, fields: tuple[str, str] = ("start", "end")) -> None:
    """A statistics period: both days within the calendar's reach, the end not before the
    start."""
    check_date(start, field=fields[0], label="起始日期")
    check_date(end, field=fields[1], label="结束日期")
    if end < start:
        raise DomainError("结束日期不能早于起始日期", field=fields[1])


def check_count(value: int, *, field: str, label: str, maximum: int, unit: str = "") -> None:
    """A whole number between 0 and `maximum` (at most what its column holds)."""
    if value < 0:
        raise DomainError(f"{label}不能为负数", field=field)
    if value > min(maximum, INTEGER_COLUMN_MAX):
        raise DomainError(f"{label}不能超过 {maximum}{unit}", field=field)


def check_text(model: type[models.Model], **values: str) -> None:
    """Each value fits the model's column of that name (CharField.max_length): a longer one
    was a 500 on PostgreSQL (and silently kept on SQLite)."""
    for name, value in values.items():
        field = model._meta.get_field(name)
        if field.max_length is not None and len(value or "") > field.max_length:
            raise DomainError(f"{field.verbose_name}不能超过 {field.max_length} 个字符", field=name)
