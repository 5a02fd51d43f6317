"""The administrator's fee (最高人民法院《关于审理企业破产案件确定管理人报酬的规定》Art.2):
bracketed upper limits at every bracket's edge, the court's rate within them, and the fee as a
cost of both paths in the assessment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.bankruptcy import rules, selectors, services
from qinqing.bankruptcy.rules import RuleError, administrator_fee, administrator_fee_cap

D = Decimal


@pytest.mark.parametrize(
    ("base", "cap"),
    [
        ("0.00", "0.00"),
        ("1000000.00", "120000.00"),  # ≤ 1M (inclusive): 12 %
        ("1000000.10", "120000.01"),  # the part above 1M at 10 %
        ("1000000.01", "120000.00"),  # 0.001 yuan: rounded down
        ("5000000.00", "520000.00"),  # + 4M × 10 %
        ("5000000.50", "520000.04"),  # the part above 5M at 8 %
        ("10000000.00", "920000.00"),  # + 5M × 8 %
        ("50000000.00", "3320000.00"),  # + 40M × 6 %
        ("100000000.00", "4820000.00"),  # + 50M × 3 %
        ("500000000.00", "8820000.00"),  # + 400M × 1 %
        ("600000000.00", "9320000.00"),  # + 100M × 0.5 %
    ],
)
def test_cap_by_brackets(base, cap) -> None:
    assert administrator_fee_cap(D(base)) == D(cap)


def test_a_high_court_may_float_the_limits_by_30_percent_at_most() -> None:
    assert administrator_fee_cap(D("1000000.00"), local_float=Fraction(3, 10)) == D("156000.00")
    assert administrator_fee_cap(D("1000000.00"), local_float=Fraction(-3, 10)) == D("84000.00")
    for beyond in (Fraction(31, 100), Fraction(-31, 100)):
        with pytest.raises(RuleError, match="30%"):
            administrator_fee_cap(D("1.00"), local_float=beyond)


def test_the_courts_rate_may_reach_the_cap_but_not_pass_it() -> None:
    # 2M: cap 120,000 + 100,000 = 220,000 = 11 % of 2M
    at_cap = administrator_fee(D("2000000.00"), D("11"))
    assert (at_cap.fee, at_cap.cap, at_cap.rate) == (D("220000.00"), D("220000.00"), D("0.1100"))
    with pytest.raises(RuleError, match="上限"):
        administrator_fee(D("2000000.00"), D("11.001"))
    lower = administrator_fee(D("2000000.00"), D("6"))
    assert lower.fee == D("120000.00") and lower.court_rate == D("6")
    assert administrator_fee(D("2000000.00")).fee == D("220000.00")  # no rate: the cap
    for bad in (D("-1"), D("100.01"), 5):
        with pytest.raises(RuleError):
            administrator_fee(D("1.00"), bad)
    with pytest.raises(RuleError):
        administrator_fee_cap(D("-0.01"))


cents = st.integers(min_value=0, max_value=10**12).map(lambda n: D(n).scaleb(-2))


@settings(derandomize=True, max_examples=200, deadline=None)
@given(cents, cents)
def test_the_cap_grows_with_the_value_and_never_passes_12_percent(a, b) -> None:
    low, high = sorted((a, b))
    assert administrator_fee_cap(low) <= administrator_fee_cap(high)
    assert administrator_fee_cap(high) <= high * D("0.12")
    # the added cap of one more yuan never exceeds the bracket's rate
    step = administrator_fee_cap(high + 1) - administrator_fee_cap(high)
    assert D(0) <= step <= D("0.13")


def test_the_assessment_shows_the_fee_of_both_paths(meeting_case, world, client) -> None:
    case, c = meeting_case
    admin, judge = world["users"]["administrator"], world["users"]["judge"]
    services.assessment_record(
        actor=admin, case=case, assessed_on=date(2024, 4, 12), assets_liquidation="450"
    )
    services.agreement_draft(actor=admin, case=case, offers=[(c["A"], "320", "")])
    report = selectors.assessment_report(case)
    # estate 450 + surplus 200 = 650 → 78; the agreement pays 320 → 38.40
    assert report.liquidation_fee.fee == D("78.00")
    assert report.reconciliation_fee.fee == D("38.40")
    costs = next(r for r in report.liquidation.ranks if r.rank == rules.COSTS)
    assert costs.claims == D("78.00")
    services.case_settings_update(actor=judge, case=case, administrator_fee_rate="10")
    case.refresh_from_db()
    report = selectors.assessment_report(case)
    assert (report.liquidation_fee.fee, report.reconciliation_fee.fee) == (D("65.00"), D("32.00"))
    client.force_login(judge)
    page = client.get(f"/bankruptcy/cases/{case.pk}/assessment/").content.decode()
    assert 'data-fee="liquidation"' in page and 'data-fee="reconciliation"' in page
    assert "65.00" in page and "管理人报酬规定" not in page and "第2条" in page
