"""Conventions shared by the bankruptcy rules: ``RuleError``, money in whole 分 and shares rounded
by the largest remainder (pro rata)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

CENT = Decimal("0.01")
RATE_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")

NextWorkingDay = Callable[[date], date]


class RuleError(ValueError):
    """A rule of bankruptcy law or of this module's input contract was violated."""


def _money(value: Decimal, what: str) -> Decimal:
    """Validate a money amount: a finite, non-negative ``Decimal`` in whole cents."""
    if isinstance(value, bool) or not isinstance(value, Decimal) or not value.is_finite():
        raise RuleError(f"{what}必须是有限的 Decimal 金额：{value!r}")
    if value < 0:
        raise RuleError(f"{what}不能为负数：{value}")
    if value % CENT != 0:
        raise RuleError(f"{what}须精确到分：{value}")
    return value


def _money_map(values: Mapping[str, Decimal], what: str) -> dict[str, Decimal]:
    return {key: _money(amount, f"{what}（{key}）") for key, amount in values.items()}


def _total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)


def ratio(numerator: Decimal, denominator: Decimal) -> Decimal | None:
    """Ratio rounded ROUND_HALF_UP to 4 decimal places (0.8000 = 80%); ``None`` if denominator 0.

    Used for every repayment and recovery rate (企业破产法 Art.113 recovery rates; the court's
    creditor repayment rate 债权清偿率).
    """
    if denominator == 0:
        return None
    return _rate(Fraction(numerator) / Fraction(denominator))


def _rate(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        RATE_PLACES, rounding=ROUND_HALF_UP
    )


def _cents(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2)


def _allocate_cents(exact: Mapping[str, Fraction]) -> dict[str, Decimal]:
    """Round exact shares (whose sum is a whole number of cents) to cents, keeping the sum.

    Largest-remainder method, ties broken by ascending key, so the result does not depend on the
    order of the mapping.
    """
    in_cents = {key: share * 100 for key, share in exact.items()}
    floors = {key: math.floor(share) for key, share in in_cents.items()}
    spare = sum(in_cents.values(), Fraction(0)) - sum(floors.values())
    if spare.denominator != 1:
        raise RuleError("待分配金额须精确到分")
    by_remainder = sorted(in_cents, key=lambda key: (floors[key] - in_cents[key], key))
    for key in by_remainder[: int(spare)]:
        floors[key] += 1
    return {key: _cents(floors[key]) for key in exact}


def pro_rata(claims: Mapping[str, Decimal], available: Decimal) -> dict[str, Decimal]:
    """Pay claims of one rank in full, or pro rata to cents when ``available`` is short.

    企业破产法 Art.113 para.2 (破产财产不足以清偿同一顺序的清偿要求的，按照比例分配) and Art.43
    para.3. The shares always add up to ``min(available, total claims)`` exactly.
    """
    amounts = _money_map(claims, "债权额")
    budget = _money(available, "可分配金额")
    total = _total(amounts.values())
    if budget >= total:
        return amounts
    exact = {
        key: Fraction(budget) * Fraction(amount) / Fraction(total)
        for key, amount in amounts.items()
    }
    return _allocate_cents(exact)


HUNDRED = Decimal(100)
