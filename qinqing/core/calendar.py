"""Working days in mainland China: statutory holidays and make-up working days (调休).

chinese-calendar covers the years the State Council has published; for any other year we fall
back to Monday–Friday and log a warning, so deadlines never silently use a missing year.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

logger = logging.getLogger("qinqing.calendar")


@lru_cache(maxsize=64)
def _warn_uncovered(year: int) -> None:
    logger.warning(
        "chinese-calendar has no holiday data for %s; counting Monday-Friday as working days",
        year,
    )


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        _warn_uncovered(day.year)
        return day.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (`start` itself not counted), n >= 1."""
    if n < 1:
        raise ValueError("n must be >= 1")
    day, remaining = start, n
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def next_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    return day if is_working_day(day) else add_working_days(day, 1)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start`."""
    if end <= start:
        return 0
    return sum(is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))
