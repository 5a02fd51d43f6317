"""Working days in mainland China: statutory holidays and make-up working days (调休).

The calendar is data: the State Council's notice for each year, entered by a platform
administrator or loaded from a file (`HolidayNotice`, `CalendarDay`), read first; the years the
`chinese-calendar` package knows second (the table is seeded from it); Monday–Friday last. A
date that rests on a year neither knows is an estimate: `is_estimated` says so and every page,
notice, export and API field that shows such a deadline marks it (`ESTIMATE_LABEL`).

Each process keeps the table in memory and looks at the notices' last change at most every
`REFRESH_SECONDS`; the service that changes a notice refreshes its own process at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import chinese_calendar

from qinqing.core.calendar_rules import HOLIDAY, WORKDAY, SpecialDay, WorkCalendar

logger = logging.getLogger("qinqing.calendar")

ESTIMATE_LABEL = "按周一至周五估算"
ESTIMATE_HELP = "该年度的国务院节假日安排尚未录入平台，期限暂按周一至周五计算，录入后将自动重算"
REFRESH_SECONDS = 30.0

# The package names holidays in English; the notice calls them so.
PACKAGE_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
PACKAGE_YEARS = frozenset(d.year for d in chinese_calendar.holidays)


def package_answer(day: date) -> bool | None:
    """The package's answer, or None for a year it does not know."""
    if day.year not in PACKAGE_YEARS:
        return None
    return chinese_calendar.is_workday(day)


def package_days(year: int) -> list[SpecialDay]:
    """The special days the package holds for `year` (by date: a notice's December days of the
    year before count in that year)."""
    out = [
        SpecialDay(d, HOLIDAY, PACKAGE_NAMES.get(name, name))
        for d, name in chinese_calendar.holidays.items()
        if d.year == year
    ]
    out += [
        SpecialDay(d, WORKDAY, PACKAGE_NAMES.get(name, name))
        for d, name in chinese_calendar.workdays.items()
        if d.year == year
    ]
    return sorted(out, key=lambda s: s.day)


def package_calendar() -> WorkCalendar:
    """The calendar of the package alone (what the table holds once seeded)."""
    return WorkCalendar({}, (), package_answer, PACKAGE_YEARS)


# --- the process's copy of the table ----------------------------------------------------------


_lock = threading.Lock()
_shared: dict = {"calendar": None, "stamp": None, "checked": 0.0}
_override = threading.local()


def _stamp() -> tuple:
    from django.db.models import Count, Max

    from qinqing.core.models import HolidayNotice

    found = HolidayNotice.objects.aggregate(n=Count("pk"), last=Max("updated_at"))
    return found["n"], found["last"]


def load() -> WorkCalendar:
    """The calendar as the database holds it now (no process copy involved)."""
    from qinqing.core.models import CalendarDay, HolidayNotice

    days = {day: kind == WORKDAY for day, kind in CalendarDay.objects.values_list("date", "kind")}
    years = HolidayNotice.objects.values_list("year", flat=True)
    return WorkCalendar(days, years, package_answer, PACKAGE_YEARS)


def current() -> WorkCalendar:
    """The calendar in force, from this process's copy of the table (refreshed when stale)."""
    forced = getattr(_override, "calendar", None)
    if forced is not None:
        return forced
    now = time.monotonic()
    cal = _shared["calendar"]
    if cal is not None and now - _shared["checked"] < REFRESH_SECONDS:
        return cal
    stamp = _stamp()
    with _lock:
        if cal is None or stamp != _shared["stamp"]:
            cal = load()
            _shared.update(calendar=cal, stamp=stamp)
        _shared["checked"] = now
    return cal


def invalidate() -> None:
    """Forget this process's copy: the next question reads the table again."""
    with _lock:
        _shared.update(calendar=None, stamp=None, checked=0.0)


@contextmanager
def override(cal: WorkCalendar) -> Iterator[WorkCalendar]:
    """Answer from `cal` in this thread (tests without a database; a before/after comparison)."""
    previous = getattr(_override, "calendar", None)
    _override.calendar = cal
    try:
        yield cal
    finally:
        _override.calendar = previous


@lru_cache(maxsize=64)
def _warn_uncovered(year: int) -> None:
    logger.warning(
        "no holiday notice for %s is entered and chinese-calendar does not know it; counting "
        "Monday-Friday as working days and marking the dates computed as estimates",
        year,
    )


# --- the questions the modules ask ----------------------------------------------------------


def is_working_day(day: date) -> bool:
    cal = current()
    if not cal.covers(day.year):
        _warn_uncovered(day.year)
    return cal.is_working_day(day)


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after `start` (`start` itself not counted), n >= 1."""
    cal = current()
    result = cal.add_working_days(start, n)
    if cal.is_estimated(result, since=start):
        _warn_uncovered(result.year)
    return result


def next_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the first working day after it."""
    return current().next_working_day(day)


def working_days_between(start: date, end: date) -> int:
    """Working days in (start, end]: how many working days `end` lies after `start`."""
    return current().working_days_between(start, end)


def is_estimated(day: date | None, since: date | None = None) -> bool:
    """True when a deadline computed up to `day` counted a year whose notice is not known."""
    return day is not None and current().is_estimated(day, since=since)


def estimate_note(day: date | None) -> str:
    """ "（按周一至周五估算）" after a computed deadline in a message, or nothing."""
    return f"（{ESTIMATE_LABEL}）" if is_estimated(day) else ""


def missing_years(today: date | None = None) -> list[int]:
    from django.utils import timezone

    from qinqing.core.calendar_rules import missing_years as missing

    return missing(current(), today or timezone.localdate())


# --- deadlines computed before a notice was entered -----------------------------------------


@dataclass(frozen=True)
class CalendarChange:
    """What a saved notice changed: the calendars before and after, the days whose working
    status differs (sorted, at least one), who saved it and the notice's title."""

    old: WorkCalendar
    new: WorkCalendar
    days: tuple[date, ...]
    actor: object
    notice: str

    @property
    def first(self) -> date:
        return self.days[0]

    @property
    def last(self) -> date:
        return self.days[-1]


# A module's recomputer moves the deadlines it computed from an event (never a date a person
# fixed) that `change` affects, audits each move, tells the people concerned and returns how
# many it moved. It runs inside the transaction that saves the notice.
Recomputer = Callable[[CalendarChange], int]
_RECOMPUTERS: dict[str, tuple[str, Recomputer]] = {}


def register_recomputer(name: str, label: str, recompute: Recomputer) -> None:
    _RECOMPUTERS[name] = (label, recompute)


def recomputers() -> dict[str, tuple[str, Recomputer]]:
    return dict(_RECOMPUTERS)
