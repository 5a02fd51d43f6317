import logging
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.core.calendar import (
    add_working_days,
    is_working_day,
    next_working_day,
    working_days_between,
)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # National Day 2024: 1–7 October off; Sunday 29 September and Saturday 12 October worked.
        (date(2024, 9, 27), 1, date(2024, 9, 29)),
        (date(2024, 9, 29), 1, date(2024, 9, 30)),
        (date(2024, 9, 30), 1, date(2024, 10, 8)),
        (date(2024, 9, 27), 3, date(2024, 10, 8)),
        (date(2024, 10, 11), 1, date(2024, 10, 12)),
        (date(2024, 10, 12), 1, date(2024, 10, 14)),
        # Spring Festival 2025: 28 January – 4 February off; Sunday 26 January and
        # Saturday 8 February worked.
        (date(2025, 1, 24), 1, date(2025, 1, 26)),
        (date(2025, 1, 27), 1, date(2025, 2, 5)),
        (date(2025, 2, 7), 1, date(2025, 2, 8)),
        # An ordinary fortnight: 10 working days after a Monday is the Monday two weeks on.
        (date(2024, 7, 1), 10, date(2024, 7, 15)),
        # Dragon Boat Festival, Monday 10 June 2024, pushes the same count by one day.
        (date(2024, 6, 3), 10, date(2024, 6, 18)),
    ],
)
def test_add_working_days_real_cases(start, n, expected):
    assert add_working_days(start, n) == expected


def test_make_up_days_are_working_days():
    assert is_working_day(date(2024, 9, 29))  # Sunday
    assert is_working_day(date(2024, 10, 12))  # Saturday
    assert not is_working_day(date(2024, 10, 1))  # Tuesday, National Day
    assert not is_working_day(date(2024, 10, 7))  # Monday, National Day


@pytest.mark.parametrize("n", [0, -1])
def test_n_must_be_positive(n):
    with pytest.raises(ValueError):
        add_working_days(date(2024, 1, 2), n)


def test_uncovered_year_falls_back_to_weekdays_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="qinqing.calendar"):
        # 2099-01-02 is a Friday: the next working day is Monday 5 January.
        assert add_working_days(date(2099, 1, 2), 1) == date(2099, 1, 5)
    assert "2099" in caplog.text
    assert "Monday-Friday" in caplog.text


def test_next_working_day_and_between():
    assert next_working_day(date(2024, 10, 1)) == date(2024, 10, 8)
    assert next_working_day(date(2024, 9, 30)) == date(2024, 9, 30)
    assert working_days_between(date(2024, 9, 30), date(2024, 10, 8)) == 1
    assert working_days_between(date(2024, 10, 8), date(2024, 9, 30)) == 0


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2025, 10, 1)), st.integers(1, 40))
def test_result_is_the_nth_working_day(start, n):
    result = add_working_days(start, n)
    assert is_working_day(result)
    assert working_days_between(start, result) == n
    assert working_days_between(start, result - timedelta(days=1)) == n - 1
