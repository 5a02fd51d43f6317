"""Tests of the pure bankruptcy rules: statutory deadlines."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.rules import RuleError
from qinqing.bankruptcy.tests.rules_support import INVARIANTS, is_working_day, next_working_day


def test_start_day_is_not_counted() -> None:
    assert rules.period_end(date(2024, 3, 1), 5) == date(2024, 3, 6)
    assert rules.period_end(date(2024, 2, 28), 1) == date(2024, 2, 29)
    with pytest.raises(RuleError):
        rules.period_end(date(2024, 3, 1), 0)


def test_holiday_shift_is_optional() -> None:
    saturday = date(2024, 6, 1)
    assert rules.last_day(saturday) == saturday
    assert rules.last_day(saturday, next_working_day) == date(2024, 6, 3)
    assert rules.last_day(date(2024, 9, 29), next_working_day) == date(2024, 9, 29)  # makeup day
    with pytest.raises(RuleError):
        rules.last_day(saturday, lambda day: day - timedelta(days=1))


def test_real_chinese_calendar_can_be_injected() -> None:
    chinese_calendar = pytest.importorskip("chinese_calendar")

    def find(day: date) -> date:
        return chinese_calendar.find_workday(0, day)

    assert rules.creditor_notification_due(date(2024, 9, 10), next_working_day=find) == date(
        2024, 10, 8
    )


def test_article_10_petition_deadlines() -> None:
    received = date(2024, 5, 6)
    assert rules.debtor_notice_due(received) == date(2024, 5, 11)
    assert rules.debtor_notice_due(received, next_working_day=next_working_day) == date(2024, 5, 13)
    objection_end = rules.objection_period_end(date(2024, 5, 9))
    assert objection_end == date(2024, 5, 16)
    assert rules.acceptance_ruling_due_creditor_petition(objection_end) == date(2024, 5, 26)
    assert rules.acceptance_ruling_due_creditor_petition(objection_end, extended=True) == date(
        2024, 6, 10
    )
    assert rules.acceptance_ruling_due_debtor_petition(received) == date(2024, 5, 21)
    assert rules.acceptance_ruling_due_debtor_petition(received, extended=True) == date(2024, 6, 5)


def test_article_14_and_62_and_64_deadlines() -> None:
    assert rules.creditor_notification_due(date(2024, 9, 10)) == date(2024, 10, 5)
    assert rules.creditor_notification_due(
        date(2024, 9, 10), next_working_day=next_working_day
    ) == date(2024, 10, 8)
    assert rules.first_meeting_due(date(2024, 12, 30)) == date(2025, 1, 14)
    assert rules.resolution_challenge_due(date(2024, 9, 20)) == date(2024, 10, 5)
    assert rules.resolution_challenge_due(
        date(2024, 9, 20), next_working_day=next_working_day
    ) == date(2024, 10, 8)


@pytest.mark.parametrize(
    ("announcement", "earliest", "latest"),
    [
        (date(2024, 11, 30), date(2024, 12, 30), date(2025, 2, 28)),
        (date(2023, 11, 30), date(2023, 12, 30), date(2024, 2, 29)),
        (date(2024, 1, 31), date(2024, 3, 1), date(2024, 4, 30)),
        (date(2024, 10, 15), date(2024, 11, 14), date(2025, 1, 15)),
    ],
)
def test_article_45_declaration_period_bounds(
    announcement: date, earliest: date, latest: date
) -> None:
    assert rules.declaration_period_bounds(announcement) == (earliest, latest)
    rules.validate_declaration_period_end(announcement, earliest)
    rules.validate_declaration_period_end(announcement, latest)
    for outside in (earliest - timedelta(days=1), latest + timedelta(days=1)):
        with pytest.raises(RuleError, match="三十日"):
            rules.validate_declaration_period_end(announcement, outside)


def test_add_months_clamps_to_month_end() -> None:
    assert rules.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert rules.add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert rules.add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert rules.add_months(date(2024, 12, 15), 3) == date(2025, 3, 15)
    assert rules.add_months(date(2024, 5, 31), 12) == date(2025, 5, 31)
    with pytest.raises(RuleError):
        rules.add_months(date(2024, 5, 31), -1)


def test_article_63_fifteen_days_notice() -> None:
    meeting = date(2024, 6, 30)
    assert rules.latest_meeting_notice_date(meeting) == date(2024, 6, 15)
    assert rules.meeting_notice_sufficient(date(2024, 6, 15), meeting)
    assert not rules.meeting_notice_sufficient(date(2024, 6, 16), meeting)


@INVARIANTS
@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(min_value=1, max_value=400),
)
def test_period_end_lands_on_a_working_day_not_before_the_plain_end(start: date, days: int) -> None:
    plain = rules.period_end(start, days)
    assert plain - start == timedelta(days=days)
    shifted = rules.period_end(start, days, next_working_day=next_working_day)
    assert shifted >= plain
    assert is_working_day(shifted)
    assert all(not is_working_day(plain + timedelta(days=n)) for n in range((shifted - plain).days))


@INVARIANTS
@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(min_value=0, max_value=60),
)
def test_add_months_keeps_the_day_or_takes_the_month_end(start: date, months: int) -> None:
    result = rules.add_months(start, months)
    assert (result.year - start.year) * 12 + result.month - start.month == months
    month_end = (result.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    assert result.day == start.day or (result.day < start.day and result == month_end)
