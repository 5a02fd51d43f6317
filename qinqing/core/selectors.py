"""Reads of the core, restricted to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qinqing.core import calendar, calendar_rules
from qinqing.core.calendar_rules import WorkCalendar
from qinqing.core.models import (
    ApiToken,
    AuditEntry,
    CalendarDay,
    HolidayNotice,
    Notification,
    RoleGrant,
)
from qinqing.core.permissions import visible


def audit_entries(*, user, action_prefix: str = "", object_type: str = "") -> QuerySet:
    qs = AuditEntry.objects.select_related("organisation").order_by("-seq")
    if action_prefix:
        qs = qs.filter(action__startswith=action_prefix)
    if object_type:
        qs = qs.filter(object_type=object_type)
    return visible(user, "core.view_audit", qs)


def audit_seq_after(day: date) -> int | None:
    """The chain position where `day` ends: the sequence number of the first entry recorded
    after it (None when there is none: every entry is from that day or before). The log is in
    chain order; entries written with a back-dated time (the demo's) may sit a little off."""
    boundary = timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))
    return (
        AuditEntry.objects.filter(at__gte=boundary)
        .order_by("at")
        .values_list("seq", flat=True)
        .first()
    )


def notifications(*, user) -> QuerySet:
    return visible(user, "core.view_notification", Notification.objects.order_by("-created_at"))


def role_grants(*, user) -> QuerySet:
    return RoleGrant.objects.filter(user=user).select_related("organisation").order_by("role")


def api_tokens(*, user, owner=None, username: str = "") -> QuerySet:
    """API tokens `user` may see (their own; a platform administrator's, everyone's), newest
    first; only `owner`'s, or those of usernames containing `username`, when given."""
    qs = ApiToken.objects.select_related("user", "revoked_by").order_by("-created_at", "-pk")
    if owner is not None:
        qs = qs.filter(user=owner)
    if username:
        qs = qs.filter(user__username__icontains=username)
    return visible(user, "core.view_token", qs)


# --- the working-day calendar (public: the State Council's notices are public) ---------------


@dataclass(frozen=True)
class CalendarYear:
    year: int
    notice: HolidayNotice | None
    covered: bool
    holidays: int  # weekdays off
    workdays: int  # weekends worked
    working_days: int
    missing: bool  # needed now and not known (`calendar.missing_years`)

    @property
    def source_label(self) -> str:
        if self.notice is not None:
            return self.notice.get_source_display()
        return str(_("chinese-calendar 数据包")) if self.covered else str(_("未录入"))


def calendar_years(today: date | None = None) -> list[CalendarYear]:
    """Every year from the first known to next year, newest first."""
    today = today or timezone.localdate()
    cal = calendar.current()
    notices = {n.year: n for n in HolidayNotice.objects.all()}
    missing = set(calendar.missing_years(today))
    known = set(notices) | set(calendar.PACKAGE_YEARS)
    rows = []
    for year in range(today.year + 1, min(known | {today.year}) - 1, -1):
        days = [date(year, 1, 1) + timedelta(days=i) for i in range(366)]
        days = [d for d in days if d.year == year]
        rows.append(
            CalendarYear(
                year=year,
                notice=notices.get(year),
                covered=cal.covers(year),
                holidays=sum(not cal.is_working_day(d) and d.weekday() < 5 for d in days),
                workdays=sum(cal.is_working_day(d) and d.weekday() >= 5 for d in days),
                working_days=sum(cal.is_working_day(d) for d in days),
                missing=year in missing,
            )
        )
    return rows


@dataclass(frozen=True)
class CalendarCell:
    day: date | None
    css: str = ""
    label: str = ""
    name: str = ""


def calendar_months(cal: WorkCalendar, year: int, names: dict[date, str] | None = None) -> list:
    """Twelve months of `year` as weeks of cells (Monday first) for the calendar grid; a day
    named in `names` (the notice's holidays) is shown off even on a weekend."""
    names = names or {}
    today = timezone.localdate()
    months = []
    for month in range(1, 13):
        weeks = []
        for week in calendar_rules.month_grid(cal, year, month):
            cells = []
            for day in week:
                if day is None:
                    cells.append(CalendarCell(None))
                    continue
                working, weekend = cal.is_working_day(day), day.weekday() >= 5
                if not working and (not weekend or day in names):
                    css, label = "hol", str(_("休"))
                elif working and weekend:
                    css, label = "work", str(_("班"))
                else:
                    css, label = ("off" if weekend else ""), ""
                if day == today:
                    css += " today"
                cells.append(CalendarCell(day, css.strip(), label, names.get(day, "")))
            weeks.append(cells)
        months.append({"month": month, "weeks": weeks})
    return months


def calendar_names(year: int) -> dict[date, str]:
    return dict(
        CalendarDay.objects.filter(date__year=year, kind=CalendarDay.Kind.HOLIDAY).values_list(
            "date", "name"
        )
    )
