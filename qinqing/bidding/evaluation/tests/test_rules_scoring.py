"""Scoring: price formulas, deviation warnings, pass/fail, aggregation, ranking, signatures.

Expected values are worked out by hand in the comments.
"""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest

from qinqing.bidding.draw.rules import qq_draw_1
from qinqing.bidding.evaluation.rules import (
    Lot,
    RankEntry,
    TieError,
    candidates,
    deviation_warnings,
    final_scores,
    k_factor_scores,
    low_price_scores,
    rank_comprehensive,
    rank_lowest_price,
    review_outcomes,
    round_half_up,
    subjective_means,
)
from qinqing.bidding.rules import RuleError

LOT = Lot(draw_id="2024-HS-0001/lot", server_nonce=bytes(range(32)), witness_entropy="5")


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [
        (D("2.345"), 2, D("2.35")),  # a tie goes up (half-even would give 2.34)
        (D("2.344999"), 2, D("2.34")),
        (D("-2.345"), 2, D("-2.35")),  # away from zero, like ROUND_HALF_UP
        (Fraction(2, 3), 2, D("0.67")),
        (Fraction(1, 3), 4, D("0.3333")),
        (D("7"), 2, D("7.00")),
    ],
)
def test_round_half_up(value, places, expected):
    result = round_half_up(value, places)
    assert result == expected and str(result) == str(expected)


# ---- price ----------------------------------------------------------------------------------


def test_low_price_benchmark():
    prices = {"A": D("1000000"), "B": D("1250000"), "C": D("800000")}
    # benchmark = 800,000: A = 30 * 800000 / 1000000 = 24; B = 30 * 0.64 = 19.2; C = 30
    assert low_price_scores(prices, D("30")) == {"A": D("24.00"), "B": D("19.20"), "C": D("30.00")}


def test_low_price_rounds_half_up_once():
    # 10 * 1 / 80 = 0.125 -> 0.13; 10 * 1 / 3 = 3.333... -> 3.33
    assert low_price_scores({"A": D("1"), "B": D("80"), "C": D("3")}, D("10")) == {
        "A": D("10.00"),
        "B": D("0.13"),
        "C": D("3.33"),
    }


@pytest.mark.parametrize(
    "prices",
    [{}, {"A": D("0")}, {"A": D("100"), "B": D("-1")}, {"A": 100.5}, {"A": D("NaN")}],
)
def test_low_price_rejects_invalid_prices(prices):
    with pytest.raises(RuleError):
        low_price_scores(prices, D("30"))


K_PRICES = {"A": D("100"), "B": D("110"), "C": D("90"), "D": D("150"), "E": D("85")}
K_ARGS = {"deduct_above": D("1"), "deduct_below": D("0.5")}


def test_k_factor_mean_of_all_bids():
    # benchmark = 1 * 535 / 5 = 107; deviation = (p - 107) / 107 * 100
    # A: -6.5421% -> 40 - 0.5 * 6.5421 = 36.7290  -> 36.73
    # B: +2.8037% -> 40 - 2.8037       = 37.1963  -> 37.20
    # C: -15.8879% -> 40 - 7.9439      = 32.0561  -> 32.06
    # D: +40.1869% -> 40 - 40.1869 < 0           -> 0.00
    # E: -20.5607% -> 40 - 10.2804     = 29.7196  -> 29.72
    assert k_factor_scores(K_PRICES, D("40"), k=D("1"), **K_ARGS) == {
        "A": D("36.73"),
        "B": D("37.20"),
        "C": D("32.06"),
        "D": D("0.00"),
        "E": D("29.72"),
    }


def test_k_factor_dropping_extremes():
    # 5 bids >= 5: drop 150 and 85, mean of 90, 100, 110 = 100; K = 0.95 -> benchmark 95
    # A: +5.2632% -> 34.7368 -> 34.74     B: +15.7895% -> 24.2105 -> 24.21
    # C: -5.2632% -> 40 - 2.6316 = 37.37  D: +57.8947% -> 0.00
    # E: -10.5263% -> 40 - 5.2632 = 34.7368 -> 34.74 (dropped from the mean, still scored)
    assert k_factor_scores(K_PRICES, D("40"), k=D("0.95"), drop_extremes_from=5, **K_ARGS) == {
        "A": D("34.74"),
        "B": D("24.21"),
        "C": D("37.37"),
        "D": D("0.00"),
        "E": D("34.74"),
    }


def test_k_factor_keeps_extremes_below_the_threshold():
    with_six = k_factor_scores(K_PRICES, D("40"), k=D("1"), drop_extremes_from=6, **K_ARGS)
    assert with_six == k_factor_scores(K_PRICES, D("40"), k=D("1"), **K_ARGS)
    with pytest.raises(RuleError):
        k_factor_scores(K_PRICES, D("40"), k=D("1"), drop_extremes_from=2, **K_ARGS)


# ---- deviation warnings ---------------------------------------------------------------------


def sheets(last: str, others: str = "10", n_others: int = 4) -> dict[str, dict[str, D]]:
    scores = {f"e{i}": {"tech": D(others)} for i in range(1, n_others + 1)}
    scores["e5"] = {"tech": D(last)}
    return scores


ITEM_OTHERS = {"threshold": D("0.30"), "basis": "item", "mean_of": "others"}


@pytest.mark.parametrize("last", ["13", "7", "13.00"])
def test_exactly_thirty_percent_is_not_a_warning(last):
    # mean of the others = 10; |13 - 10| / 10 = 0.30, not > 0.30
    assert deviation_warnings(sheets(last), **ITEM_OTHERS) == []


def test_just_outside_thirty_percent_is_a_warning():
    # |13.01 - 10| / 10 = 0.301; for e1 the others' mean is 43.01 / 4 = 10.7525: 7% only
    (warning,) = deviation_warnings(sheets("13.01"), **ITEM_OTHERS)
    assert (warning.expert, warning.item, warning.score) == ("e5", "tech", D("13.01"))
    assert (warning.mean, warning.ratio) == (D("10.00"), D("0.3010"))
    (below,) = deviation_warnings(sheets("6.99"), **ITEM_OTHERS)  # 3.01 / 10
    assert (below.expert, below.ratio) == ("e5", D("0.3010"))


def test_mean_of_all_includes_the_expert():
    two = {"a": {"tech": D("13")}, "b": {"tech": D("7")}}
    # mean of all = 10, |13 - 10| / 10 = 0.30 exactly: no warning for either
    assert deviation_warnings(two, threshold=D("0.30"), basis="item", mean_of="all") == []
    # against the other's score: a: |13 - 7| / 7 = 0.857142..., b: |7 - 13| / 13 = 0.461538...
    others = deviation_warnings(two, **ITEM_OTHERS)
    assert [(w.expert, w.ratio) for w in others] == [("a", D("0.8571")), ("b", D("0.4615"))]
    slightly_more = {"a": {"tech": D("13.01")}, "b": {"tech": D("7")}}
    # mean 10.005; 3.005 / 10.005 = 0.30035 for both
    found = deviation_warnings(slightly_more, threshold=D("0.30"), basis="item", mean_of="all")
    assert [(w.expert, w.mean, w.ratio) for w in found] == [
        ("a", D("10.01"), D("0.3003")),
        ("b", D("10.01"), D("0.3003")),
    ]


def test_total_basis_compares_sums():
    scores = {f"e{i}": {"tech": D("5"), "biz": D("5")} for i in range(1, 5)}
    scores["e5"] = {"tech": D("8"), "biz": D("5")}
    # totals 10, 10, 10, 10, 13: exactly 30% -> nothing; per item tech 8 vs 5 is 60%
    assert deviation_warnings(scores, threshold=D("0.30"), basis="total", mean_of="others") == []
    (per_item,) = deviation_warnings(scores, **ITEM_OTHERS)
    assert (per_item.item, per_item.ratio) == ("tech", D("0.6000"))
    scores["e5"]["biz"] = D("5.5")  # total 13.5: 35%
    (total,) = deviation_warnings(scores, threshold=D("0.30"), basis="total", mean_of="others")
    assert (total.expert, total.item, total.score, total.ratio) == (
        "e5",
        None,
        D("13.5"),
        D("0.35"),
    )


def test_zero_mean():
    assert deviation_warnings(sheets("0", others="0"), **ITEM_OTHERS) == []
    # e5 = 1 against a mean of 0: infinitely far; e1..e4 = 0 against 1/4: |0 - 0.25| / 0.25 = 1
    found = deviation_warnings(sheets("1", others="0"), **ITEM_OTHERS)
    assert [(w.expert, w.ratio) for w in found] == [
        ("e1", D("1.0000")),
        ("e2", D("1.0000")),
        ("e3", D("1.0000")),
        ("e4", D("1.0000")),
        ("e5", D("Infinity")),
    ]


def test_deviation_input_rules():
    assert deviation_warnings({"e1": {"tech": D("1")}}, **ITEM_OTHERS) == []
    with pytest.raises(RuleError):
        deviation_warnings({"e1": {"tech": D("1")}, "e2": {"biz": D("1")}}, **ITEM_OTHERS)


# ---- preliminary review ---------------------------------------------------------------------


def votes(fails: int, total: int) -> dict[str, bool]:
    return {f"e{i}": i >= fails for i in range(total)}


@pytest.mark.parametrize(
    ("fails", "total", "passed"),
    [(3, 5, False), (2, 5, True), (2, 4, True), (3, 4, False), (0, 5, True), (5, 5, False)],
)
def test_strict_majority_fails_an_item(fails, total, passed):
    outcome = review_outcomes({"A": {"资格": votes(fails, total)}})
    assert outcome == {"A": {"资格": passed}}


def test_fail_share_configurable():
    # one third: 2 of 5 fail, 2 > 5/3 -> fails; 1 of 5 does not
    assert review_outcomes({"A": {"x": votes(2, 5)}}, fail_share=Fraction(1, 3)) == {
        "A": {"x": False}
    }
    assert review_outcomes({"A": {"x": votes(1, 5)}}, fail_share=Fraction(1, 3)) == {
        "A": {"x": True}
    }
    with pytest.raises(RuleError):
        review_outcomes({"A": {"x": {}}})


# ---- aggregation ----------------------------------------------------------------------------

FIVE = {
    "e1": {"X": D("80"), "Y": D("70")},
    "e2": {"X": D("82"), "Y": D("75")},
    "e3": {"X": D("85"), "Y": D("72")},
    "e4": {"X": D("90"), "Y": D("74")},
    "e5": {"X": D("71"), "Y": D("73")},
}
SEVEN = {**FIVE, "e6": {"X": D("88"), "Y": D("71")}, "e7": {"X": D("79"), "Y": D("90")}}


def test_final_score_is_mean_plus_objective():
    # X: 408 / 5 = 81.60, + 24.00 = 105.60;  Y: 364 / 5 = 72.80, + 30.00 = 102.80
    objective = {"X": D("24.00"), "Y": D("30.00")}
    assert final_scores(FIVE, objective) == {"X": D("105.60"), "Y": D("102.80")}


def test_drop_extremes_only_from_seven_experts():
    # five experts: nothing dropped even when asked
    assert subjective_means(FIVE, drop_extremes=True) == {"X": D("81.60"), "Y": D("72.80")}
    # X: 71 79 80 82 85 88 90: all 575 / 7 = 82.142857 -> 82.14; without 71 and 90: 414 / 5
    # Y: 70 71 72 73 74 75 90: all 525 / 7 = 75.00;     without 70 and 90: 365 / 5 = 73.00
    assert subjective_means(SEVEN, drop_extremes=False) == {"X": D("82.14"), "Y": D("75.00")}
    assert subjective_means(SEVEN, drop_extremes=True) == {"X": D("82.80"), "Y": D("73.00")}


def test_mean_rounds_half_up():
    # (80.00 + 80.01) / 2 = 80.005 -> 80.01
    assert subjective_means(
        {"a": {"X": D("80.00")}, "b": {"X": D("80.01")}}, drop_extremes=False
    ) == {"X": D("80.01")}


def test_aggregation_input_rules():
    with pytest.raises(RuleError):
        subjective_means({}, drop_extremes=False)
    with pytest.raises(RuleError):
        subjective_means({"a": {"X": D("1")}, "b": {"Y": D("1")}}, drop_extremes=False)
    with pytest.raises(RuleError):
        final_scores(FIVE, {"X": D("1")})


# ---- ranking --------------------------------------------------------------------------------


def test_ranking_tie_breaks_in_order():
    entries = [
        RankEntry("A", total=D("90.00"), price=D("100"), technical=D("50")),
        RankEntry("B", total=D("92.00"), price=D("120"), technical=D("40")),
        RankEntry("C", total=D("90.00"), price=D("95"), technical=D("45")),  # cheaper than A, D
        RankEntry("D", total=D("90.00"), price=D("100"), technical=D("55")),  # more technical
    ]
    assert rank_comprehensive(entries) == ["B", "C", "D", "A"]


TIED = [
    RankEntry(bidder, total=D(total), price=D("100"), technical=D("50"))
    for bidder, total in [
        ("H", "80"),
        ("F", "88"),
        ("E", "88"),
        ("J", "88"),
        ("G", "80"),
        ("K", "85"),
        ("I", "88"),
        ("L", "80"),
    ]
]


def test_full_tie_needs_a_lot():
    with pytest.raises(TieError) as caught:
        rank_comprehensive(TIED)
    assert caught.value.groups == [["E", "F", "I", "J"], ["G", "H", "L"]]
    assert "E、F、I、J；G、H、L" in str(caught.value)


def test_lot_orders_each_tied_group_verifiably():
    def lot(group, number):
        return qq_draw_1(
            group,
            server_nonce=LOT.server_nonce,
            witness_entropy=LOT.witness_entropy,
            draw_id=f"2024-HS-0001/lot#{number}",
            quota=len(group),
            backups=0,
        )

    expected = [*lot(["E", "F", "I", "J"], 1), "K", *lot(["G", "H", "L"], 2)]
    assert rank_comprehensive(TIED, LOT) == expected
    assert rank_comprehensive(list(reversed(TIED)), LOT) == expected


def test_duplicate_bidder_rejected():
    with pytest.raises(RuleError):
        rank_comprehensive([TIED[0], TIED[0]])


REVIEW = {
    "A": {"资格": True, "响应性": True},
    "B": {"资格": True, "响应性": True},
    "C": {"资格": True, "响应性": False},  # fails one item: not ranked however cheap
    "D": {"资格": True, "响应性": True},
}


def test_lowest_evaluated_price():
    prices = {"A": D("900"), "B": D("850"), "C": D("800"), "D": D("870")}
    assert rank_lowest_price(prices, REVIEW) == ["B", "D", "A"]


def test_lowest_evaluated_price_ties_by_lot():
    prices = {"A": D("900"), "B": D("850"), "C": D("800"), "D": D("850.00")}
    with pytest.raises(TieError):
        rank_lowest_price(prices, REVIEW)
    tied = qq_draw_1(
        ["B", "D"],
        server_nonce=LOT.server_nonce,
        witness_entropy=LOT.witness_entropy,
        draw_id="2024-HS-0001/lot#1",
        quota=2,
        backups=0,
    )
    assert rank_lowest_price(prices, REVIEW, LOT) == [*tied, "A"]


def test_lowest_evaluated_price_needs_matching_inputs():
    with pytest.raises(RuleError):
        rank_lowest_price({"A": D("1")}, REVIEW)


def test_at_most_three_candidates():
    assert candidates(["B", "D", "A", "E"]) == ["B", "D", "A"]
    assert candidates(["B", "D"]) == ["B", "D"]
    assert candidates(["B", "D", "A"], count=1) == ["B"]
    with pytest.raises(RuleError):
        candidates(["B", "D", "A", "E"], count=4)
