"""Tests of the pure bankruptcy rules: the simulated liquidation (Art.43, 109, 110, 113), the
agreement comparison and repayment rates."""

from __future__ import annotations

import dataclasses
import itertools
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.rules import LiquidationInput, RepaymentLine, RuleError, SecuredClaim
from qinqing.bankruptcy.tests.rules_support import INVARIANTS, D, money


def example_liquidation() -> rules.Liquidation:
    return rules.simulate_liquidation(
        LiquidationInput(
            free_assets=D("1000000.00"),
            secured=(
                SecuredClaim("S1", D("300000.00"), D("200000.00")),
                SecuredClaim("S2", D("100000.00"), D("150000.00")),
            ),
            costs={"court": D("50000.00")},
            common_benefit_debts={"supplier": D("20000.00")},
            employee_claims={"E1": D("60000.00"), "E2": D("40000.00")},
            social_insurance_and_taxes={"tax": D("30000.00")},
            ordinary_claims={"A": D("600000.00"), "B": D("300000.00")},
        )
    )


def test_liquidation_waterfall_with_secured_deficiency_and_surplus() -> None:
    result = example_liquidation()
    assert result.collateral_surplus == D("50000.00")
    assert result.estate == D("1050000.00")
    ordinary = result.ranks[-1]
    assert (ordinary.rank, ordinary.claims, ordinary.paid) == (
        "ordinary",
        D("1000000.00"),
        D("850000.00"),
    )
    assert ordinary.rate == D("0.8500")
    assert [rank.rate for rank in result.ranks[:-1]] == [D("0.7500"), *[D("1.0000")] * 4]
    s1 = result.creditors["S1"]
    assert (s1.claim, s1.from_collateral, s1.from_estate) == (
        D("300000.00"),
        D("200000.00"),
        D("85000.00"),
    )
    assert (s1.recovery, s1.rate) == (D("285000.00"), D("0.9500"))
    assert result.creditors["S2"].recovery == D("100000.00")
    assert result.creditors["A"].recovery == D("510000.00")
    assert result.creditors["B"].recovery == D("255000.00")
    assert result.creditors["E1"].rate == D("1.0000")
    assert result.leftover == 0


def test_liquidation_shortfall_inside_the_employee_rank() -> None:
    result = rules.simulate_liquidation(
        LiquidationInput(
            free_assets=D("100000.00"),
            costs={"court": D("30000.00")},
            common_benefit_debts={"utility": D("10000.00")},
            employee_claims={"E1": D("40000.00"), "E2": D("20000.00"), "E3": D("30000.00")},
            social_insurance_and_taxes={"tax": D("5000.00")},
            ordinary_claims={"A": D("1000.00")},
        )
    )
    recoveries = {cid: outcome.recovery for cid, outcome in result.creditors.items()}
    assert recoveries["E1"] == D("26666.67")  # exact 26666.666..., gets the spare cent
    assert recoveries["E2"] == D("13333.33")
    assert recoveries["E3"] == D("20000.00")
    assert recoveries["tax"] == recoveries["A"] == 0
    employee = result.ranks[3]
    assert (employee.rank, employee.paid, employee.rate) == ("employee", D("60000.00"), D("0.6667"))
    assert [rank.rate for rank in result.ranks[4:]] == [D("0.0000"), D("0.0000")]
    assert result.ranks[0].rate is None  # no secured claims
    assert result.leftover == 0


def test_costs_are_paid_before_common_benefit_debts() -> None:
    result = rules.simulate_liquidation(
        LiquidationInput(
            free_assets=D("100.00"),
            costs={"fee": D("80.00")},
            common_benefit_debts={"x": D("40.00"), "y": D("20.00")},
        )
    )
    recoveries = {cid: outcome.recovery for cid, outcome in result.creditors.items()}
    assert recoveries == {"fee": D("80.00"), "x": D("13.33"), "y": D("6.67")}


def test_surplus_is_left_over() -> None:
    result = rules.simulate_liquidation(
        LiquidationInput(free_assets=D("500.00"), ordinary_claims={"A": D("100.00")})
    )
    assert result.leftover == D("400.00")
    assert result.creditors["A"].rate == D("1.0000")


def test_pro_rata_ties_go_to_the_smallest_id_whatever_the_order() -> None:
    claims = {"C": D("100.00"), "B": D("100.00"), "A": D("100.00")}
    assert rules.pro_rata(claims, D("100.00")) == {
        "C": D("33.33"),
        "B": D("33.33"),
        "A": D("33.34"),
    }


def test_liquidation_rejects_bad_money() -> None:
    with pytest.raises(RuleError):
        rules.simulate_liquidation(LiquidationInput(free_assets=D("-1.00")))
    with pytest.raises(RuleError):
        rules.simulate_liquidation(
            LiquidationInput(free_assets=D("1"), ordinary_claims={"A": D("0.005")})
        )


def test_compare_with_agreement() -> None:
    rows = rules.compare_with_agreement(
        example_liquidation(), {"A": D("540000.00"), "B": D("255000.00"), "S1": D("280000.00")}
    )
    assert [(r.creditor_id, r.better_off, r.difference) for r in rows] == [
        ("A", True, D("30000.00")),
        ("B", False, D("0.00")),
        ("S1", False, D("-5000.00")),
    ]
    assert (rows[0].claim, rows[0].liquidation_recovery, rows[0].agreement_recovery) == (
        D("600000.00"),
        D("510000.00"),
        D("540000.00"),
    )
    with pytest.raises(RuleError, match="没有该债权人"):
        rules.compare_with_agreement(example_liquidation(), {"Z": D("1.00")})
    with pytest.raises(RuleError, match="超过债权额"):
        rules.compare_with_agreement(example_liquidation(), {"A": D("600000.01")})


claim_maps = st.dictionaries(st.sampled_from("ABCDEFG"), money, max_size=5)


@INVARIANTS
@given(claim_maps, money)
def test_pro_rata_is_exact_and_within_a_cent(
    claims: dict[str, Decimal], available: Decimal
) -> None:
    shares = rules.pro_rata(claims, available)
    total = sum(claims.values(), Decimal(0))
    paid = min(total, available)
    assert sum(shares.values(), Decimal(0)) == paid
    half_up = {}
    for key, claim in claims.items():
        assert 0 <= shares[key] <= claim
        exact = Fraction(claim) * Fraction(paid) / Fraction(total) if total else Fraction(0)
        assert abs(Fraction(shares[key]) - exact) < Fraction(1, 100)
        half_up[key] = (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
    if sum(half_up.values(), Decimal(0)) == paid:
        assert shares == half_up


@INVARIANTS
@given(
    money,
    st.lists(st.tuples(st.sampled_from("ST"), money, money), max_size=3),
    claim_maps,
    claim_maps,
    claim_maps,
    claim_maps,
    claim_maps,
)
def test_liquidation_invariants(
    free: Decimal,
    secured: list[tuple[str, Decimal, Decimal]],
    costs: dict[str, Decimal],
    common: dict[str, Decimal],
    employees: dict[str, Decimal],
    taxes: dict[str, Decimal],
    ordinary: dict[str, Decimal],
) -> None:
    result = rules.simulate_liquidation(
        LiquidationInput(
            free_assets=free,
            secured=[SecuredClaim(*claim) for claim in secured],
            costs=costs,
            common_benefit_debts=common,
            employee_claims=employees,
            social_insurance_and_taxes=taxes,
            ordinary_claims=ordinary,
        )
    )
    collateral = sum((value for _, _, value in secured), Decimal(0))
    paid = sum((c.recovery for c in result.creditors.values()), Decimal(0))
    assert paid + result.leftover == free + collateral
    assert all(0 <= c.recovery <= c.claim for c in result.creditors.values())
    # Each secured deficiency is in the secured and the ordinary rank, but counts once per creditor.
    deficiencies = result.ranks[0].claims - result.ranks[0].paid
    rank_claims = sum((r.claims for r in result.ranks), Decimal(0))
    assert (
        sum((c.claim for c in result.creditors.values()), Decimal(0)) == rank_claims - deficiencies
    )
    estate_ranks = result.ranks[1:]
    for earlier, later in itertools.pairwise(estate_ranks):
        if earlier.paid < earlier.claims:
            assert later.paid == 0
    assert result.leftover == 0 or all(r.paid == r.claims for r in estate_ranks)


def test_nominal_and_realised_repayment_rates() -> None:
    lines = [
        RepaymentLine("A", D("100000.00"), D("80000.00"), D("40000.00"), tier="5万元以上"),
        RepaymentLine("B", D("50000.00"), D("50000.00"), D("50000.00"), tier="5万元以下"),
    ]
    total = rules.repayment_rates(lines)
    assert (total.confirmed_total, total.agreed_total, total.paid_total) == (
        D("150000.00"),
        D("130000.00"),
        D("90000.00"),
    )
    assert (total.nominal, total.realised) == (D("0.8667"), D("0.6000"))
    by_tier = rules.repayment_rates_by_tier(lines)
    assert by_tier["5万元以上"].nominal == D("0.8000")
    assert by_tier["5万元以上"].realised == D("0.4000")
    assert by_tier["5万元以下"].realised == D("1.0000")
    assert rules.repayment_rates_by_tier([lines[0], dataclasses.replace(lines[1], tier=None)])[
        None
    ].nominal == D("1.0000")


def test_repayment_rates_with_nothing_confirmed_are_none() -> None:
    empty = rules.repayment_rates([])
    assert (empty.nominal, empty.realised) == (None, None)


@pytest.mark.parametrize(
    ("agreed", "paid"), [("100.01", "0.00"), ("50.00", "50.01"), ("-1.00", "0.00")]
)
def test_repayment_line_validation(agreed: str, paid: str) -> None:
    with pytest.raises(RuleError):
        rules.repayment_rates([RepaymentLine("A", D("100.00"), D(agreed), D(paid))])
