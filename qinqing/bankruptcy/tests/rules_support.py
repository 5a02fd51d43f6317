"""Helpers shared by the tests of the pure bankruptcy rules: money, voters, a test calendar."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import settings
from hypothesis import strategies as st

from qinqing.bankruptcy.rules import Voter

INVARIANTS = settings(derandomize=True, max_examples=120, deadline=None)


def D(value: str) -> Decimal:
    return Decimal(value)


def voter(
    creditor_id: str,
    amount: str,
    vote: str | None = "yes",
    *,
    secured: bool = False,
    waived: bool = False,
    confirmed: bool = True,
    provisional: str | None = None,
    present: bool = True,
) -> Voter:
    return Voter(
        creditor_id=creditor_id,
        amount=D(amount),
        secured=secured,
        waived_priority=waived,
        confirmed=confirmed,
        provisional_amount=None if provisional is None else D(provisional),
        present=present,
        vote=vote,
    )


# A test calendar shaped like China's 2024 autumn: Mid-Autumn (Sep 15-17, Sat Sep 14 worked) and
# National Day (Oct 1-7, Sun Sep 29 and Sat Oct 12 worked).
HOLIDAYS = {date(2024, 9, 16), date(2024, 9, 17)} | {date(2024, 10, d) for d in range(1, 8)}
MAKEUP_WORKDAYS = {date(2024, 9, 14), date(2024, 9, 29), date(2024, 10, 12)}


def is_working_day(day: date) -> bool:
    if day in HOLIDAYS:
        return False
    return day.weekday() < 5 or day in MAKEUP_WORKDAYS


def next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


money = st.integers(min_value=0, max_value=10**7).map(lambda cents: Decimal(cents).scaleb(-2))
