"""Numbers and dates as people read them: `{% load numbers %}`.

- ``{{ amount|money }}``   30550000 → "30,550,000.00 元" (grouped thousands, two decimals)
- ``{{ amount|amount }}``  the same without the unit, for a column whose heading names it
- ``{{ amount|wan }}``     30550000 → "3,055 万元" (a summary: up to two decimals, rounded half up)
- ``{{ ratio|percent }}``  Decimal("0.8513") → "85.13%" (a ratio, not a number of percent)
- ``{{ day|cndate }}``     2026-12-07 → "2026年12月7日"; ``cndatetime`` adds "14:30" (local time)
- ``{{ n|grouped }}``      12345 → "12,345" (a count)

Each is a pure function (Decimal, int, str, Fraction, date in; a string out). An empty value
(None or "") reads "—"; something that is not a number or a date is shown as it is. Rounding
is half up, as people round money; the exact values stay in the database and the API.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

register = template.Library()

EMPTY = "—"


def _decimal(value) -> Decimal | None:
    """The value as a Decimal, or None when it is not a number (bools are not numbers)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    if isinstance(value, int | float):
        value = str(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _fixed(number: Decimal, places: int) -> str:
    """Grouped thousands with exactly `places` decimals, rounded half up; never "-0.00"."""
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)
    return f"{rounded:,.{places}f}"


def _places(arg, default: int) -> int:
    try:
        return max(0, min(int(arg), 6))
    except (TypeError, ValueError):
        return default


@register.filter
def amount(value, places=2) -> str:
    """30550000 → "30,550,000.00"."""
    if value is None or value == "":
        return EMPTY
    number = _decimal(value)
    if number is None:
        return str(value)
    return _fixed(number, _places(places, 2))


@register.filter
def money(value, places=2) -> str:
    """30550000 → "30,550,000.00 元"."""
    if value is None or value == "":
        return EMPTY
    number = _decimal(value)
    if number is None:
        return str(value)
    return f"{_fixed(number, _places(places, 2))} {_('元')}"


@register.filter
def wan(value, places=2) -> str:
    """Yuan in 万元 for a summary: 30550000 → "3,055 万元", 12345678 → "1,234.57 万元"."""
    if value is None or value == "":
        return EMPTY
    number = _decimal(value)
    if number is None:
        return str(value)
    text = _fixed(number / 10000, _places(places, 2))
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text} {_('万元')}"


@register.filter
def percent(value, places=2) -> str:
    """A ratio as a percentage: Decimal("0.8513") → "85.13%", Fraction(2, 3) → "66.67%"."""
    if value is None or value == "":
        return EMPTY
    number = _decimal(value)
    if number is None:
        return str(value)
    return f"{_fixed(number * 100, _places(places, 2))}%"


@register.filter
def grouped(value) -> str:
    """A count with grouped thousands: 12345 → "12,345" (decimals kept as they are)."""
    if value is None or value == "":
        return EMPTY
    number = _decimal(value)
    if number is None:
        return str(value)
    places = max(0, -number.as_tuple().exponent) if number != number.to_integral() else 0
    return _fixed(number, places)


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        if parsed is not None:
            return _as_date(parsed)
        try:
            return parse_date(value.strip())
        except ValueError:
            return None
    return None


@register.filter
def cndate(value) -> str:
    """2026-12-07 → "2026年12月7日" (a datetime: its local date)."""
    if value is None or value == "":
        return EMPTY
    day = _as_date(value)
    if day is None:
        return str(value)
    return _("%(year)d年%(month)d月%(day)d日") % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
    }


@register.filter
def cndatetime(value) -> str:
    """2026-12-07 14:30 → "2026年12月7日 14:30" (local time); a date alone reads as cndate."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, str):
        parsed = parse_datetime(value.strip())
        value = parsed if parsed is not None else value
    if not isinstance(value, datetime):
        return cndate(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{cndate(value.date())} {value:%H:%M}"


@register.filter
def figure(value, unit="") -> str:
    """A figure's value by its unit: yuan as an amount ("30,550,000.00"), anything else grouped
    ("12,345", "85.13" for a figure already in percent). The unit is shown beside it."""
    if str(unit) == _("元") or str(unit) == "元":
        return amount(value)
    return grouped(value)
