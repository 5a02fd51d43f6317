"""The number and date filters people read: pure functions, Decimal in, string out."""

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest
from django.template import Context, Template
from django.utils import translation

from qinqing.core.templatetags import numbers


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("30550000.00"), "30,550,000.00 元"),
        (Decimal("0"), "0.00 元"),
        (Decimal("999.995"), "1,000.00 元"),  # half up, carried into the thousands
        (Decimal("0.005"), "0.01 元"),
        (Decimal("-0.001"), "0.00 元"),  # never "-0.00"
        (Decimal("-1234567.5"), "-1,234,567.50 元"),
        (1500, "1,500.00 元"),
        ("87500.50", "87,500.50 元"),
        ("1,234.5", "1,234.50 元"),
        (None, "—"),
        ("", "—"),
        ("待定", "待定"),
        (Decimal("NaN"), "NaN"),
    ],
)
def test_money(value, expected):
    assert numbers.money(value) == expected


def test_amount_is_money_without_the_unit_and_takes_places():
    assert numbers.amount(Decimal("30550000")) == "30,550,000.00"
    assert numbers.amount(Decimal("12.345"), 1) == "12.3"
    assert numbers.amount(Decimal("12.35"), "1") == "12.4"
    assert numbers.amount(None) == "—"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("30550000.00"), "3,055 万元"),
        (Decimal("30555000"), "3,055.5 万元"),
        (Decimal("12345678"), "1,234.57 万元"),
        (Decimal("12345"), "1.23 万元"),
        (Decimal("49"), "0 万元"),
        (Decimal("50"), "0.01 万元"),
        (Decimal("-200000"), "-20 万元"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_wan(value, expected):
    assert numbers.wan(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("0.8513"), "85.13%"),
        (Decimal("1"), "100.00%"),
        (Decimal("0"), "0.00%"),
        (Decimal("0.66665"), "66.67%"),
        (Fraction(2, 3), "66.67%"),
        (Fraction(1, 2), "50.00%"),
        ("0.5", "50.00%"),
        (0.25, "25.00%"),
        (None, "—"),
        ("", "—"),
    ],
)
def test_percent(value, expected):
    assert numbers.percent(value) == expected


def test_percent_places():
    assert numbers.percent(Decimal("0.8513"), 0) == "85%"
    assert numbers.percent(Decimal("0.85135"), 3) == "85.135%"


def test_grouped_counts():
    assert numbers.grouped(12345) == "12,345"
    assert numbers.grouped(Decimal("12345.00")) == "12,345"
    assert numbers.grouped(Decimal("1234.5")) == "1,234.5"
    assert numbers.grouped(0) == "0"
    assert numbers.grouped(None) == "—"
    assert numbers.grouped(True) == "True"


def test_cndate():
    assert numbers.cndate(date(2026, 12, 7)) == "2026年12月7日"
    assert numbers.cndate(date(2027, 1, 1)) == "2027年1月1日"
    assert numbers.cndate("2026-12-07") == "2026年12月7日"
    # 2026-12-06 20:00 UTC is already the 7th in Wuhan
    assert numbers.cndate(datetime(2026, 12, 6, 20, 0, tzinfo=UTC)) == "2026年12月7日"
    assert numbers.cndate(None) == "—"
    assert numbers.cndate("") == "—"
    assert numbers.cndate("明天") == "明天"
    assert numbers.cndate("2026-02-30") == "2026-02-30"


def test_cndatetime_in_local_time():
    assert numbers.cndatetime(datetime(2026, 12, 7, 6, 30, tzinfo=UTC)) == "2026年12月7日 14:30"
    assert numbers.cndatetime(date(2026, 12, 7)) == "2026年12月7日"
    assert numbers.cndatetime(None) == "—"


def test_the_filters_in_a_template():
    out = Template(
        "{% load numbers %}{{ a|money }}|{{ a|wan }}|{{ r|percent }}|{{ d|cndate }}|{{ n|money }}"
    ).render(
        Context(
            {"a": Decimal("30550000.00"), "r": Decimal("0.8513"), "d": date(2026, 12, 7), "n": None}
        )
    )
    assert out == "30,550,000.00 元|3,055 万元|85.13%|2026年12月7日|—"


def test_figure_by_unit():
    assert numbers.figure(Decimal("30550000.00"), "元") == "30,550,000.00"
    assert numbers.figure(12345, "件") == "12,345"
    assert numbers.figure(Decimal("85.13"), "%") == "85.13"
    assert numbers.figure(None, "元") == "—"
