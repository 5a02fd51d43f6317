"""Statutory deadlines: counting periods (民法典 Art.201-203) and the law's time limits."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from qinqing.bankruptcy.rules.common import NextWorkingDay, RuleError


def last_day(day: date, next_working_day: NextWorkingDay | None = None) -> date:
    """Move the last day of a period off a statutory holiday (民法典 Art.203; 民事诉讼法 Art.85).

    With ``next_working_day`` ``None`` the day is returned unchanged.
    """
    if next_working_day is None:
        return day
    shifted = next_working_day(day)
    if shifted < day:
        raise RuleError(f"工作日函数把 {day} 提前到了 {shifted}")
    return shifted


def period_end(start: date, days: int, *, next_working_day: NextWorkingDay | None = None) -> date:
    """Last day of a period of ``days`` days from ``start``.

    民法典 Art.201, 203; 民事诉讼法 Art.85. The start day is not counted, so the period ends
    on ``start + days``, shifted off a holiday.
    """
    if days < 1:
        raise RuleError(f"期间天数须为正整数：{days}")
    return last_day(start + timedelta(days=days), next_working_day)


def add_months(start: date, months: int) -> date:
    """Same day-of-month ``months`` later, clamped to the month's end (民法典 Art.202).

    Nov 30 + 3 months = Feb 28 (Feb 29 in a leap year); Jan 31 + 1 month = Feb 28/29.
    """
    if months < 0:
        raise RuleError(f"月数不能为负数：{months}")
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def month_period_end(
    start: date, months: int, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """Last day of a period of ``months`` months from ``start`` (民法典 Art.201-203)."""
    if months < 1:
        raise RuleError(f"期间月数须为正整数：{months}")
    return last_day(add_months(start, months), next_working_day)


def working_days_after(
    start: date, count: int, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """The ``count``-th working day after ``start`` (the start day is not counted).

    Without a calendar (``next_working_day`` ``None``) every day counts as a working day, which
    gives an earlier, i.e. conservative, deadline.
    """
    if count < 1:
        raise RuleError(f"工作日数须为正整数：{count}")
    day = start
    for _ in range(count):
        day = last_day(day + timedelta(days=1), next_working_day)
    return day


ACCEPTANCE_EXTENSION_DAYS = 15


def debtor_notice_due(
    petition_received: date, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """Creditor's petition: the court notifies the debtor within 5 days of receiving it.

    企业破产法 Art.10 para.1.
    """
    return period_end(petition_received, 5, next_working_day=next_working_day)


def objection_period_end(
    debtor_notified: date, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """Creditor's petition: the debtor may object within 7 days of receiving the court's notice.

    企业破产法 Art.10 para.1.
    """
    return period_end(debtor_notified, 7, next_working_day=next_working_day)


def acceptance_ruling_due_creditor_petition(
    objection_end: date,
    *,
    extended: bool = False,
    next_working_day: NextWorkingDay | None = None,
) -> date:
    """Creditor's petition: ruling on acceptance within 10 days after the objection period ends.

    企业破产法 Art.10 para.1; ``extended``: +15 days approved by the higher court (Art.10 para.3).
    Pass the actual last day of the objection period (``objection_period_end``).
    """
    days = 10 + (ACCEPTANCE_EXTENSION_DAYS if extended else 0)
    return period_end(objection_end, days, next_working_day=next_working_day)


def acceptance_ruling_due_debtor_petition(
    petition_received: date,
    *,
    extended: bool = False,
    next_working_day: NextWorkingDay | None = None,
) -> date:
    """Any other petition (the debtor's own, a liquidation group's): ruling within 15 days.

    企业破产法 Art.10 para.2; ``extended``: +15 days approved by the higher court (Art.10 para.3).
    """
    days = 15 + (ACCEPTANCE_EXTENSION_DAYS if extended else 0)
    return period_end(petition_received, days, next_working_day=next_working_day)


def creditor_notification_due(
    acceptance: date, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """Notify known creditors and announce within 25 days of the acceptance ruling.

    企业破产法 Art.14 para.1.
    """
    return period_end(acceptance, 25, next_working_day=next_working_day)


def declaration_period_bounds(announcement: date) -> tuple[date, date]:
    """Earliest and latest allowed last day of the claim declaration period.

    企业破产法 Art.45: counted from the announcement of acceptance, at least 30 days and at most
    3 months: ``(announcement + 30 days, announcement + 3 calendar months)``, both inclusive. No
    holiday shift is applied to the bounds; the court picks a day between them.
    """
    return announcement + timedelta(days=30), add_months(announcement, 3)


def validate_declaration_period_end(announcement: date, chosen_end: date) -> None:
    """Raise ``RuleError`` unless ``chosen_end`` lies within the bounds of 企业破产法 Art.45."""
    earliest, latest = declaration_period_bounds(announcement)
    if not earliest <= chosen_end <= latest:
        raise RuleError(
            f"债权申报期限须自公告之日起不少于三十日、不超过三个月："
            f"应在 {earliest} 至 {latest} 之间，实为 {chosen_end}"
        )


def first_meeting_due(
    declaration_end: date, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """The first creditors' meeting is held within 15 days after the declaration period ends.

    企业破产法 Art.62 para.1. Pass the actual last day of the declaration period (after any
    holiday shift, see ``last_day``).
    """
    return period_end(declaration_end, 15, next_working_day=next_working_day)


MEETING_NOTICE_DAYS = 15


def latest_meeting_notice_date(meeting_date: date) -> date:
    """Last day to notify known creditors of a meeting: 15 days before it (企业破产法 Art.63).

    Counted back from the meeting day (not counted), so a notice on ``meeting - 15 days`` is in
    time. No holiday shift: moving a backward period later would shorten the notice.
    """
    return meeting_date - timedelta(days=MEETING_NOTICE_DAYS)


def meeting_notice_sufficient(notice_date: date, meeting_date: date) -> bool:
    """Whether a notice sent on ``notice_date`` gives 15 days' notice (企业破产法 Art.63)."""
    return notice_date <= latest_meeting_notice_date(meeting_date)


def resolution_challenge_due(
    resolution_date: date, *, next_working_day: NextWorkingDay | None = None
) -> date:
    """A creditor may ask the court to set a resolution aside within 15 days of it.

    企业破产法 Art.64 para.2.
    """
    return period_end(resolution_date, 15, next_working_day=next_working_day)
