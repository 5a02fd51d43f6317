"""Tests of the pure bankruptcy rules: Art.104 equalisation, Art.103 and Art.105, a draft's offers
(Art.95) and when claims close."""

from __future__ import annotations

import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.rules import RuleError
from qinqing.bankruptcy.tests.rules_support import INVARIANTS, D, money

ART104_CLAIMS = {"A": D("1000.00"), "B": D("1000.00"), "C": D("2000.00")}
ART104_RECEIVED = {"A": D("500.00")}


@pytest.mark.parametrize(
    ("distributable", "expected"),
    [
        # Only B and C (at 0%) are topped up, to 1/3 each: 333.33... and 666.66...
        ("1000.00", {"A": "0.00", "B": "333.33", "C": "666.67"}),
        # 1500 brings B and C to A's 50%; the next 500 lifts all three to 62.5%.
        ("2000.00", {"A": "125.00", "B": "625.00", "C": "1250.00"}),
        ("1500.00", {"A": "0.00", "B": "500.00", "C": "1000.00"}),
        # More than the unpaid rest (3500): everyone is paid in full.
        ("5000.00", {"A": "500.00", "B": "1000.00", "C": "2000.00"}),
        ("0.00", {"A": "0.00", "B": "0.00", "C": "0.00"}),
        ("500.00", {"A": "0.00", "B": "166.67", "C": "333.33"}),
    ],
)
def test_art104_tops_up_lower_percentages_first(distributable: str, expected: dict) -> None:
    shares = rules.art104_equalise(ART104_CLAIMS, ART104_RECEIVED, D(distributable))
    assert shares == {key: D(value) for key, value in expected.items()}


@pytest.mark.parametrize(
    ("claims", "received"),
    [
        ({"A": D("0.00")}, {}),
        ({"A": D("10.00")}, {"B": D("1.00")}),
        ({"A": D("10.00")}, {"A": D("10.01")}),
        ({"A": D("10.00")}, {"A": D("-1.00")}),
    ],
)
def test_art104_validation(claims: dict[str, Decimal], received: dict[str, Decimal]) -> None:
    with pytest.raises(RuleError):
        rules.art104_equalise(claims, received, D("1.00"))


@st.composite
def art104_cases(draw: st.DrawFn) -> tuple[dict[str, Decimal], dict[str, Decimal], Decimal]:
    ids = draw(st.lists(st.sampled_from("ABCDEF"), min_size=1, max_size=6, unique=True))
    claims, received = {}, {}
    for key in ids:
        claim = draw(st.integers(min_value=1, max_value=10**7))
        claims[key] = Decimal(claim).scaleb(-2)
        received[key] = Decimal(draw(st.integers(min_value=0, max_value=claim))).scaleb(-2)
    return claims, received, draw(money)


@INVARIANTS
@given(art104_cases())
def test_art104_invariants(case: tuple[dict[str, Decimal], dict[str, Decimal], Decimal]) -> None:
    claims, received, distributable = case
    shares = rules.art104_equalise(claims, received, distributable)
    unpaid = sum((claims[k] - received[k] for k in claims), Decimal(0))
    assert sum(shares.values(), Decimal(0)) == min(distributable, unpaid)
    final = {k: Fraction(received[k] + shares[k]) for k in claims}
    cent = Fraction(1, 100)
    for key in claims:
        assert 0 <= shares[key] <= claims[key] - received[key]
        if shares[key] > 0:  # topped up: not above anyone else's level beyond rounding
            for other in claims:
                level = (final[key] - cent) / Fraction(claims[key])
                assert level <= (final[other] + cent) / Fraction(claims[other])


# Art.104 within the Art.113 order, with the liquidation's new creditors ---------------------

A104 = rules.Art104Claim


def test_art104_pays_the_classes_in_the_art113_order() -> None:
    claims = [
        A104("W", rules.EMPLOYEE, D("300.00")),
        A104("T", rules.SOCIAL_INSURANCE_TAX, D("200.00")),
        A104("A", rules.ORDINARY_CLAIMS, D("1000.00"), D("500.00")),
        A104("N", rules.ORDINARY_CLAIMS, D("1000.00")),  # a new creditor of the liquidation
        A104("F", rules.SUBORDINATED, D("50.00")),
    ]
    # 300 + 200 pay the employees and the taxes in full; 400 is left for the ordinary class:
    # N (0 %) is raised towards A's 50 % and reaches 40 %; A, already at 50 %, gets nothing;
    # the subordinated fine gets nothing.
    result = rules.art104_distribution(claims, D("900.00"))
    assert result.by_class[rules.EMPLOYEE] == {"W": D("300.00")}
    assert result.by_class[rules.SOCIAL_INSURANCE_TAX] == {"T": D("200.00")}
    assert result.by_class[rules.ORDINARY_CLAIMS] == {"A": D("0.00"), "N": D("400.00")}
    assert result.by_class[rules.SUBORDINATED] == {"F": D("0.00")}
    assert result.levels[rules.ORDINARY_CLAIMS] == D("0.4500")  # (500 + 400) / 2000
    assert result.left_over == D("0.00")
    # 1,550: N reaches A's 50 % with 500; the next 550 lifts both to 77.5 %; nothing for F.
    more = rules.art104_distribution(claims, D("1550.00"))
    assert more.by_class[rules.ORDINARY_CLAIMS] == {"A": D("275.00"), "N": D("775.00")}
    assert more.by_class[rules.SUBORDINATED] == {"F": D("0.00")}
    # Enough for everything: ordinary in full, then the fine, and 10 left over.
    full = rules.art104_distribution(claims, D("2060.00"))
    assert full.by_class[rules.SUBORDINATED] == {"F": D("50.00")}
    assert full.left_over == D("10.00") and full.shares["A"] == D("500.00")


def test_art104_new_creditor_shares_only_above_the_reconciliation_creditors_level() -> None:
    """Art.104 para.3 at the boundary: a creditor paid 30 % under the agreement gets nothing
    until the new creditor of the same class has 30 % too, and shares from the next cent on."""
    claims = [
        A104("R", rules.ORDINARY_CLAIMS, D("1000.00"), D("300.00")),
        A104("N", rules.ORDINARY_CLAIMS, D("1000.00")),
    ]
    level = rules.art104_distribution(claims, D("300.00"))
    assert level.shares == {"R": D("0.00"), "N": D("300.00")}
    above = rules.art104_distribution(claims, D("300.02"))
    assert above.shares == {"R": D("0.01"), "N": D("300.01")}


def test_art104_priority_received_under_the_agreement_counts_in_its_class() -> None:
    claims = [
        A104("W1", rules.EMPLOYEE, D("100.00"), D("100.00")),  # paid in full inside the agreement
        A104("W2", rules.EMPLOYEE, D("100.00")),  # listed after termination
        A104("A", rules.ORDINARY_CLAIMS, D("100.00")),
    ]
    result = rules.art104_distribution(claims, D("150.00"))
    assert result.by_class[rules.EMPLOYEE] == {"W1": D("0.00"), "W2": D("100.00")}
    assert result.by_class[rules.ORDINARY_CLAIMS] == {"A": D("50.00")}


@pytest.mark.parametrize(
    "claims",
    [
        [A104("A", "costs", D("1.00"))],
        [A104("A", rules.ORDINARY_CLAIMS, D("1.00")), A104("A", rules.ORDINARY_CLAIMS, D("2.00"))],
        [A104("A", rules.ORDINARY_CLAIMS, D("1.00"), D("1.01"))],
        [A104("A", rules.ORDINARY_CLAIMS, D("0.00"))],
    ],
)
def test_art104_distribution_validation(claims) -> None:
    with pytest.raises(RuleError):
        rules.art104_distribution(claims, D("1.00"))


@st.composite
def art104_class_cases(draw: st.DrawFn) -> tuple[list[rules.Art104Claim], Decimal]:
    rows = []
    for rank in rules.ART104_CLASSES:
        for key in draw(st.lists(st.sampled_from("ABCDE"), max_size=4, unique=True)):
            amount = draw(st.integers(min_value=1, max_value=10**6))
            got = draw(st.integers(min_value=0, max_value=amount) | st.just(0))
            rows.append(A104(key, rank, Decimal(amount).scaleb(-2), Decimal(got).scaleb(-2)))
    return rows, draw(
        st.integers(min_value=0, max_value=5 * 10**6).map(lambda c: Decimal(c).scaleb(-2))
    )


@INVARIANTS
@given(art104_class_cases())
def test_art104_distribution_invariants(case) -> None:
    claims, distributable = case
    result = rules.art104_distribution(claims, distributable)
    unpaid = {
        rank: sum((c.amount - c.received for c in claims if c.rank == rank), Decimal(0))
        for rank in rules.ART104_CLASSES
    }
    paid = {rank: sum(result.by_class.get(rank, {}).values(), Decimal(0)) for rank in unpaid}
    # Everything is distributed or every claim is paid; nothing is invented.
    assert sum(paid.values(), Decimal(0)) + result.left_over == distributable
    assert result.left_over == 0 or all(paid[r] == unpaid[r] for r in unpaid)
    # Art.113 order: a class gets something only when every earlier class is paid in full.
    order = rules.ART104_CLASSES
    for index, rank in enumerate(order):
        if paid[rank] > 0:
            assert all(paid[r] == unpaid[r] for r in order[:index])
    # Within a class (Art.104 para.3): no one is topped up beyond another's final level.
    cent = Fraction(1, 100)
    for rank in order:
        rows = [c for c in claims if c.rank == rank]
        final = {c.creditor: Fraction(c.received + result.by_class[rank][c.creditor]) for c in rows}
        for row in rows:
            share = result.by_class[rank][row.creditor]
            assert 0 <= share <= row.amount - row.received
            if share > 0:
                for other in rows:
                    mine = (final[row.creditor] - cent) / Fraction(row.amount)
                    assert mine <= (final[other.creditor] + cent) / Fraction(other.amount)
    # Per creditor, the total is the sum of its classes.
    for key, total in result.shares.items():
        assert total == sum(
            (part.get(key, Decimal(0)) for part in result.by_class.values()), Decimal(0)
        )


# Art.103: void agreement, the excess over the common percentage goes back ------------------


@pytest.mark.parametrize(
    ("distributable", "level", "to_pay", "to_return"),
    [
        # pool 1000 + 500 received = 1500 of 4000 claimed: 37.5% each; A held 500 > 375
        ("1000.00", "0.3750", {"A": "0", "B": "375.00", "C": "750.00"}, {"A": "125.00"}),
        # nothing to distribute: A keeps only 12.5% (125) and returns 375 to B and C's pool
        ("0.00", "0.1250", {"A": "0", "B": "125.00", "C": "250.00"}, {"A": "375.00"}),
        # A is below the common 62.5%: topped up like the others, returns nothing
        ("2000.00", "0.6250", {"A": "125.00", "B": "625.00", "C": "1250.00"}, {}),
        # more than enough: everyone in full
        ("5000.00", "1.0000", {"A": "500.00", "B": "1000.00", "C": "2000.00"}, {}),
    ],
)
def test_art103_returns_what_exceeds_the_common_percentage(
    distributable: str, level: str, to_pay: dict, to_return: dict
) -> None:
    settled = rules.art103_settlement(ART104_CLAIMS, ART104_RECEIVED, D(distributable))
    assert settled.level == D(level)
    assert settled.to_pay == {k: D(to_pay.get(k, "0")) for k in ART104_CLAIMS}
    assert settled.to_return == {k: D(to_return.get(k, "0")) for k in ART104_CLAIMS}


def test_art103_rounds_to_cents_by_the_largest_remainder() -> None:
    claims = {"A": D("100.00"), "B": D("100.00"), "C": D("100.00")}
    settled = rules.art103_settlement(claims, {}, D("100.00"))
    assert settled.level == D("0.3333")
    assert settled.to_pay == {"A": D("33.34"), "B": D("33.33"), "C": D("33.33")}


def test_art103_validation() -> None:
    with pytest.raises(RuleError):
        rules.art103_settlement({"A": D("10.00")}, {"A": D("10.01")}, D("0.00"))
    with pytest.raises(RuleError):
        rules.art103_settlement({"A": D("10.00")}, {"B": D("1.00")}, D("0.00"))
    with pytest.raises(RuleError):
        rules.art103_settlement({"A": D("10.00")}, {}, D("0.001"))


@INVARIANTS
@given(art104_cases())
def test_art103_invariants(case: tuple[dict[str, Decimal], dict[str, Decimal], Decimal]) -> None:
    claims, received, distributable = case
    settled = rules.art103_settlement(claims, received, distributable)
    unpaid = sum((claims[k] - received[k] for k in claims), Decimal(0))
    paid_out = sum(settled.to_pay.values(), Decimal(0))
    returned = sum(settled.to_return.values(), Decimal(0))
    assert paid_out - returned == min(distributable, unpaid)
    total = sum(claims.values(), Decimal(0))
    exact_level = min(
        Fraction(1), Fraction(distributable + sum(received.values())) / Fraction(total)
    )
    for key in claims:
        assert settled.to_pay[key] == 0 or settled.to_return[key] == 0
        final = received[key] + settled.to_pay[key] - settled.to_return[key]
        assert 0 <= final <= claims[key]
        assert abs(Fraction(final) - exact_level * Fraction(claims[key])) < Fraction(1, 100)


def test_art105_needs_every_creditor() -> None:
    assert rules.self_settlement_valid(["A", "B", "C"], ["C", "B", "A"])
    assert not rules.self_settlement_valid(["A", "B", "C"], ["A", "B"])
    with pytest.raises(RuleError):
        rules.self_settlement_valid(["A"], ["A", "X"])
    with pytest.raises(RuleError):
        rules.self_settlement_valid([], [])


# Art.95: a draft's offers, uniform or with a small-claims tier ------------------------------


def test_uniform_offers_round_down_and_skip_zero_claims() -> None:
    offers = rules.draft_offers(
        {"A": D("333.33"), "B": D("1000.00"), "Z": D("0.00")}, rules.OfferPlan(D("33.3"))
    )
    # 333.33 × 33.3% = 110.998 89 → 110.99 (never rounded up); 1000 × 33.3% = 333.00 exactly
    assert offers == {
        "A": rules.Offer(D("110.99"), "统一清偿33.3%"),
        "B": rules.Offer(D("333.00"), "统一清偿33.3%"),
    }
    assert rules.draft_offers({"A": D("400.00")}, rules.OfferPlan(D("80.00")))["A"].tier == (
        "统一清偿80%"
    )


@pytest.mark.parametrize(
    ("progressive", "expected"),
    [
        # the first 50,000 of every claim in full, 30% above it
        (True, {"at": "50000.00", "just_above": "50000.00", "big": "80000.00", "small": "12.34"}),
        # a claim above the line is paid 30% of the whole: a cliff at the line
        (False, {"at": "50000.00", "just_above": "15000.00", "big": "45000.00", "small": "12.34"}),
    ],
)
def test_small_claims_tier_at_its_line(progressive: bool, expected: dict[str, str]) -> None:
    claims = {"at": D("50000.00"), "just_above": D("50000.01"), "big": D("150000.00")}
    claims["small"] = D("12.34")
    plan = rules.OfferPlan(D("30"), paid_in_full_up_to=D("50000"), progressive=progressive)
    offers = rules.draft_offers(claims, plan)
    assert {key: offer.amount for key, offer in offers.items()} == {
        key: D(value) for key, value in expected.items()
    }
    small, other = rules.offer_tiers(plan)
    assert small == "小额债权全额清偿（50000元以下）"  # 以下 includes the line itself
    assert offers["at"].tier == offers["small"].tier == small
    assert offers["just_above"].tier == offers["big"].tier == other
    assert other == (
        "50000元以下部分全额、超出部分按30%清偿" if progressive else "超过50000元的债权按30%清偿"
    )


@pytest.mark.parametrize(
    "plan",
    [
        rules.OfferPlan(D("100.01")),
        rules.OfferPlan(D("-1")),
        rules.OfferPlan(D("NaN")),
        rules.OfferPlan(D("100"), paid_in_full_up_to=D("1000")),
        rules.OfferPlan(D("50"), paid_in_full_up_to=D("0")),
        rules.OfferPlan(D("50"), paid_in_full_up_to=D("0.001")),
    ],
)
def test_offer_plan_validation(plan: rules.OfferPlan) -> None:
    with pytest.raises(RuleError):
        rules.draft_offers({"A": D("100.00")}, plan)


@INVARIANTS
@given(
    st.dictionaries(st.sampled_from("ABCDEF"), money, min_size=1),
    st.integers(min_value=0, max_value=10000).map(lambda n: Decimal(n).scaleb(-2)),
    st.one_of(st.none(), money.filter(lambda m: m > 0)),
    st.booleans(),
)
def test_offers_never_exceed_the_claim_and_grow_with_it(claims, rate, line, progressive) -> None:
    assume(line is None or rate < 100)  # a small-claims tier beside 100 % is refused
    plan = rules.OfferPlan(rate, paid_in_full_up_to=line, progressive=progressive)
    offers = rules.draft_offers(claims, plan)
    assert set(offers) == {key for key, claim in claims.items() if claim > 0}
    for key, offer in offers.items():
        assert 0 <= offer.amount <= claims[key] and offer.amount % Decimal("0.01") == 0
        assert offer.amount >= (claims[key] * rate / 100).quantize(Decimal("0.01")) - Decimal(
            "0.01"
        )
    if progressive or line is None:  # no cliff: a larger claim never gets less
        ranked = sorted(offers, key=lambda k: claims[k])
        for low, high in itertools.pairwise(ranked):
            assert offers[low].amount <= offers[high].amount


@pytest.mark.parametrize(
    ("agreements", "closed_by"),
    [
        ([], None),
        ([("court", "draft")], None),
        ([("court", "approved")], "court"),  # Art.98: the procedure is terminated
        ([("court", "completed")], "court"),  # performed: Art.100(3), outside the case
        ([("self_settlement", "approved")], "self_settlement"),  # Art.105
        ([("court", "terminated")], None),  # Art.104: liquidation takes claims again
        ([("court", "void"), ("court", "draft")], None),  # Art.103, then a new draft
    ],
)
def test_claims_close_once_an_agreement_is_in_force(agreements, closed_by) -> None:
    assert rules.claims_closed_by(agreements) == closed_by
