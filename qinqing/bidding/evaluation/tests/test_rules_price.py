"""Issue 21 items 1, 2 and 6, the pure rules: abnormally low bids (暂行规定 Art.21, 87号令
Art.60), the price formulas (K drawn at the opening, deviation slopes, lowest evaluated
price), the SME deduction (财库〔2020〕46号 Art.9 as amended) and the procurement tie order
(87号令 Art.65/68). Expected values are worked out by hand in the comments."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.bidding.draw.rules import qq_draw_1
from qinqing.bidding.evaluation.rules import (
    SME_DEDUCTION_RANGES,
    Lot,
    LowBidRule,
    RankEntry,
    TieError,
    abnormally_low,
    deviation_scores,
    k_draw,
    k_factor_scores,
    k_values,
    low_bid_decision,
    low_price_scores,
    mean_benchmark,
    rank_comprehensive,
    rank_lowest_price,
    sme_evaluated_prices,
    sme_rate_problems,
)
from qinqing.bidding.projects.rules import PROCUREMENT, committee_is_valid
from qinqing.bidding.rules import RuleError

LOT = Lot(draw_id="QQK-20261207-00001", server_nonce=bytes(range(32)), witness_entropy="3-5")

# The issue's example: 1.00M, 0.98M, 0.95M and 0.60M.
ISSUE = {"A": D("1000000"), "B": D("980000"), "C": D("950000"), "D": D("600000")}


# ---- abnormally low bids --------------------------------------------------------------------


def test_the_issue_example_flags_the_060m_bid_with_its_figure():
    (flag,) = abnormally_low(ISSUE, rule=LowBidRule())
    # others' mean = (1.00 + 0.98 + 0.95) / 3 = 976,666.67; × 0.80 = 781,333.33
    assert flag.bidder == "D" and flag.price == D("600000")
    (trip,) = flag.trips
    assert (trip.test, trip.mean, trip.threshold) == ("share", D("976666.67"), D("781333.33"))


def test_the_issue_example_once_rejected_price_scores_are_over_the_remaining_bids():
    with_low = low_price_scores(ISSUE, D("30"))
    # the 0.60M bid drags the others to 18.00, 18.37, 18.95 of 30
    assert [with_low[b] for b in "ABCD"] == [D("18.00"), D("18.37"), D("18.95"), D("30.00")]
    remaining = {b: p for b, p in ISSUE.items() if b != "D"}
    # benchmark 950,000: 30 × 0.95 = 28.50; 30 × 950/980 = 29.0816… → 29.08; 30
    assert low_price_scores(remaining, D("30")) == {
        "A": D("28.50"),
        "B": D("29.08"),
        "C": D("30.00"),
    }


@pytest.mark.parametrize(
    ("low", "flagged"),
    [
        (D("80"), False),  # exactly 0.80 × the others' mean of 100: not flagged
        (D("79.99"), True),  # one cent below
        (D("80.01"), False),
    ],
)
def test_share_threshold_boundary_against_the_others_mean(low, flagged):
    bids = {"A": D("90"), "B": D("110"), "L": low}
    flags = abnormally_low(bids, rule=LowBidRule(share=D("0.80")))
    assert [f.bidder for f in flags] == (["L"] if flagged else [])


@pytest.mark.parametrize(("low", "flagged"), [(D("80"), False), (D("79.99"), True)])
def test_share_threshold_boundary_against_the_mean_of_all(low, flagged):
    # the mean of all includes the bid: 0.8 × (110 + 110 + 80) / 3 = 80 exactly; with 79.99
    # the threshold is 0.8 × 299.99 / 3 = 79.997…, and 79.99 is below it.
    bids = {"A": D("110"), "B": D("110"), "L": low}
    flags = abnormally_low(bids, rule=LowBidRule(share=D("0.80"), basis="all"))
    assert [f.bidder for f in flags] == (["L"] if flagged else [])


@pytest.mark.parametrize(
    ("price", "flagged"), [(D("500000.00"), False), (D("499999.99"), True), (D("500000.01"), False)]
)
def test_cost_line_boundary(price, flagged):
    bids = {"A": D("520000"), "B": D("510000"), "L": price}
    flags = abnormally_low(bids, rule=LowBidRule(share=None, cost_line=D("500000")))
    assert [f.bidder for f in flags] == (["L"] if flagged else [])
    if flagged:
        assert flags[0].trips[0].test == "cost_line"
        assert flags[0].trips[0].threshold == D("500000")


def test_both_tests_are_reported_when_both_trip():
    (flag,) = abnormally_low(ISSUE, rule=LowBidRule(cost_line=D("700000")))
    assert [t.test for t in flag.trips] == ["share", "cost_line"]


def test_no_test_no_flag_and_a_single_bid_has_no_others():
    assert abnormally_low(ISSUE, rule=LowBidRule(share=None)) == []
    assert abnormally_low({"A": D("1")}, rule=LowBidRule()) == []


@pytest.mark.parametrize(
    "kwargs",
    [
        {"share": D("0")},
        {"share": D("1.01")},
        {"basis": "median"},
        {"cost_line": D("0")},
        {"cost_line": D("-1")},
    ],
)
def test_invalid_rules_are_refused(kwargs):
    with pytest.raises(RuleError):
        LowBidRule(**kwargs)


def test_share_of_one_is_allowed_and_flags_only_below_the_mean():
    flags = abnormally_low({"A": D("100"), "B": D("100"), "C": D("99.99")}, rule=LowBidRule(D("1")))
    assert [f.bidder for f in flags] == ["C"]


prices = st.dictionaries(
    st.text(alphabet="ABCDEFGH", min_size=1, max_size=3),
    st.decimals(min_value=D("0.01"), max_value=D("100000000"), places=2),
    min_size=1,
    max_size=8,
)
rules_st = st.builds(
    LowBidRule,
    share=st.one_of(st.none(), st.decimals(min_value=D("0.01"), max_value=D("1"), places=2)),
    basis=st.sampled_from(["others", "all"]),
)


@settings(max_examples=200, deadline=None)
@given(prices, rules_st, st.randoms())
def test_flagging_is_invariant_to_bid_order(bids, rule, rnd):
    items = list(bids.items())
    rnd.shuffle(items)
    assert abnormally_low(dict(items), rule=rule) == abnormally_low(bids, rule=rule)


@settings(max_examples=200, deadline=None)
@given(prices, rules_st)
def test_a_bid_at_or_above_the_mean_is_never_flagged(bids, rule):
    mean = sum(bids.values()) / len(bids)
    flagged = {f.bidder for f in abnormally_low(bids, rule=rule)}
    assert not {b for b, p in bids.items() if p >= mean} & flagged


@settings(max_examples=200, deadline=None)
@given(prices, rules_st)
def test_a_flagged_bid_is_strictly_below_its_threshold(bids, rule):
    for flag in abnormally_low(bids, rule=rule):
        assert flag.trips
        assert all(flag.price <= trip.threshold for trip in flag.trips)


@pytest.mark.parametrize(
    ("accept", "reject", "members", "expected"),
    [
        (3, 0, 5, True),  # 3 of 5: a majority of the members
        (2, 2, 5, None),  # 2 of 5 each: no conclusion yet
        (2, 3, 5, False),
        (0, 3, 5, False),
        (3, 3, 7, None),
        (4, 3, 7, True),
        (2, 0, 3, True),
        (1, 1, 3, None),
    ],
)
def test_the_committee_decides_by_a_majority_of_its_members(accept, reject, members, expected):
    votes = {f"a{i}": True for i in range(accept)} | {f"r{i}": False for i in range(reject)}
    assert low_bid_decision(votes, members) is expected


def test_more_votes_than_members_is_refused():
    with pytest.raises(RuleError):
        low_bid_decision({"a": True, "b": True}, 1)


# ---- price formulas ---------------------------------------------------------------------------

SLOPES = {"deduct_above": D("1"), "deduct_below": D("0.5")}


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (D("1000000.00"), D("30.00")),  # exactly at the benchmark: full marks
        # one cent above: 30 − 1 × 0.000001 % → 29.999999 → 30.00 (rounded once, half up)
        (D("1000000.01"), D("30.00")),
        (D("999999.99"), D("30.00")),
        (D("1010000.00"), D("29.00")),  # 1 % above: −1
        (D("990000.00"), D("29.50")),  # 1 % below: −0.5
        (D("1300000.00"), D("0.00")),  # 30 % above: floor at 0
        (D("1400000.00"), D("0.00")),  # beyond: still 0
    ],
)
def test_deviation_slopes_around_the_benchmark(price, expected):
    scores = deviation_scores({"X": price}, D("30"), benchmark=D("1000000"), **SLOPES)
    assert scores["X"] == expected


def test_one_cent_from_the_benchmark_is_a_deduction_when_it_shows():
    # benchmark 100.00: one cent above = 0.01 % → 10 − 100 × 0.01 = 9.00; below 10 − 50 × 0.01
    steep = {"deduct_above": D("100"), "deduct_below": D("50")}
    scores = deviation_scores(
        {"A": D("100.00"), "B": D("100.01"), "C": D("99.99")},
        D("10"),
        benchmark=D("100"),
        **steep,
    )
    assert scores == {"A": D("10.00"), "B": D("9.00"), "C": D("9.50")}


def test_mean_benchmark_times_k_and_without_the_extremes():
    bids = {"A": D("100"), "B": D("110"), "C": D("90"), "D": D("150"), "E": D("85")}
    assert mean_benchmark(bids, D("0.95")) == D("0.95") * D("535") / 5  # 101.65
    # without 150 and 85: (100 + 110 + 90) / 3 = 100, × 0.95 = 95
    assert mean_benchmark(bids, D("0.95"), drop_extremes_from=5) == 95
    assert k_factor_scores(bids, D("30"), k=D("0.95"), drop_extremes_from=5, **SLOPES)["C"] == (
        # 90 is 5.263…% below 95: 30 − 0.5 × 5.263… = 27.368… → 27.37
        D("27.37")
    )


def test_k_values_of_a_published_range():
    assert k_values(D("0.95"), D("1.05"), D("0.01")) == [
        D("0.95") + D("0.01") * n for n in range(11)
    ]
    assert [str(v) for v in k_values(D("0.9500"), D("0.9700"), D("0.0100"))] == [
        "0.95",
        "0.96",
        "0.97",
    ]
    assert [str(v) for v in k_values(D("0.9"), D("0.91"), D("0.005"))] == [
        "0.900",
        "0.905",
        "0.910",
    ]
    assert k_values(D("1"), D("1"), D("0.01")) == [D("1.00")]


@pytest.mark.parametrize(
    "args",
    [
        (D("1.05"), D("0.95"), D("0.01")),  # reversed
        (D("0.95"), D("1.05"), D("0")),
        (D("0.95"), D("1.05"), D("0.03")),  # 0.10 is not a whole number of 0.03 steps
        (D("0"), D("1"), D("0.5")),
        (D("0.5"), D("20"), D("0.0001")),  # too many values
    ],
)
def test_invalid_k_ranges(args):
    with pytest.raises(RuleError):
        k_values(*args)


def test_k_draw_is_qq_draw_1_over_the_range_and_reproducible():
    k = k_draw(D("0.95"), D("1.05"), D("0.01"), LOT)
    pool = [str(v) for v in k_values(D("0.95"), D("1.05"), D("0.01"))]
    expected = qq_draw_1(
        pool,
        server_nonce=LOT.server_nonce,
        witness_entropy=LOT.witness_entropy,
        draw_id=LOT.draw_id,
        quota=1,
        backups=0,
    )
    assert str(k) == expected[0] and k in k_values(D("0.95"), D("1.05"), D("0.01"))
    assert k_draw(D("0.95"), D("1.05"), D("0.01"), LOT) == k
    other = Lot(LOT.draw_id, LOT.server_nonce, "another witness")
    draws = {
        k_draw(D("0.90"), D("1.10"), D("0.01"), Lot(LOT.draw_id, LOT.server_nonce, str(i)))
        for i in range(40)
    }
    assert len(draws) > 1  # the witness's entropy changes the outcome
    assert k_draw(D("1.00"), D("1.00"), D("0.01"), other) == D("1.00")


def test_lowest_evaluated_price_ranks_by_price_without_points_one_cent_apart():
    review = {b: {"F1": True} for b in ("A", "B", "C")}
    evaluated = {"A": D("100.01"), "B": D("100.00"), "C": D("99.99")}
    assert rank_lowest_price(evaluated, review) == ["C", "B", "A"]
    review["C"] = {"F1": False}
    assert rank_lowest_price(evaluated, review) == ["B", "A"]


# ---- the SME deduction ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("category", "rate", "ok"),
    [
        ("goods", D("0.10"), True),
        ("goods", D("0.20"), True),
        ("goods", D("0.09"), False),
        ("goods", D("0.21"), False),
        ("services", D("0.10"), True),
        ("services", D("0.0999"), False),
        ("works", D("0.03"), True),
        ("works", D("0.05"), True),
        ("works", D("0.06"), False),
        ("works", D("0.02"), False),
        ("consulting", D("0.10"), False),
    ],
)
def test_sme_rate_range_per_category(category, rate, ok):
    assert (sme_rate_problems(rate, category) == []) is ok


def test_sme_ranges_are_those_of_the_2022_amendment():
    assert {
        "goods": (D("0.10"), D("0.20")),
        "services": (D("0.10"), D("0.20")),
        "works": (D("0.03"), D("0.05")),
    } == SME_DEDUCTION_RANGES


def test_sme_deduction_only_for_small_and_micro_and_only_for_evaluation():
    quoted = {"L": D("1000000"), "M": D("1000000"), "S": D("1000000"), "U": D("1000000")}
    sizes = {"L": "large", "M": "medium", "S": "small", "U": "micro"}
    evaluated = sme_evaluated_prices(quoted, sizes, D("0.10"))
    assert evaluated == {"L": D("1000000"), "M": D("1000000"), "S": D("900000"), "U": D("900000")}
    assert quoted["S"] == D("1000000")  # the quoted (contract) price is untouched
    assert sme_evaluated_prices(quoted, sizes, None) == quoted
    # the deducted price takes part in scoring: S's 900,000 becomes the low-price benchmark
    scores = low_price_scores(evaluated, D("30"))
    assert (scores["S"], scores["L"]) == (D("30.00"), D("27.00"))


# ---- ties -------------------------------------------------------------------------------------


def _tied(technical_a=D("40"), technical_b=D("45")):
    return [
        RankEntry("A", D("90"), D("1000"), technical_a),
        RankEntry("B", D("90"), D("1000"), technical_b),
        RankEntry("C", D("90"), D("999.99"), D("10")),
    ]


def test_procurement_equal_totals_go_to_the_lower_quoted_price_first():
    # C's price is one cent lower: first whatever its technical score (87号令 Art.65)
    for method in ("technical", "lot"):
        ranking = rank_comprehensive(_tied(), LOT, procedure="procurement", tie_method=method)
        assert ranking[0] == "C"


def test_procurement_then_the_documents_method_technical_then_lot():
    ranking = rank_comprehensive(_tied(), procedure="procurement", tie_method="technical")
    assert ranking == ["C", "B", "A"]
    with pytest.raises(TieError) as excinfo:
        rank_comprehensive(_tied(D("45"), D("45")), procedure="procurement", tie_method="technical")
    assert excinfo.value.groups == [["A", "B"]]


def test_procurement_documents_silent_the_lot_decides_not_the_technical_score():
    with pytest.raises(TieError) as excinfo:
        rank_comprehensive(_tied(), procedure="procurement", tie_method="lot")
    assert excinfo.value.groups == [["A", "B"]]
    ranking = rank_comprehensive(_tied(), LOT, procedure="procurement", tie_method="lot")
    drawn = qq_draw_1(
        ["A", "B"],
        server_nonce=LOT.server_nonce,
        witness_entropy=LOT.witness_entropy,
        draw_id=f"{LOT.draw_id}#1",
        quota=2,
        backups=0,
    )
    assert ranking == ["C", *drawn]


def test_construction_order_is_unchanged_total_price_technical_lot():
    assert rank_comprehensive(_tied()) == ["C", "B", "A"]
    assert rank_comprehensive(_tied(), tie_method="lot") == ["C", "B", "A"]


def test_unknown_procedure_or_tie_method_is_refused():
    with pytest.raises(RuleError):
        rank_comprehensive(_tied(), procedure="other")
    with pytest.raises(RuleError):
        rank_comprehensive(_tied(), procedure="procurement", tie_method="coin")


# ---- the 7-member rule (87号令 Art.47) ------------------------------------------------------


@pytest.mark.parametrize(
    ("budget", "complex_project", "members", "valid"),
    [
        (D("9999999.99"), False, 5, True),
        (D("10000000.00"), False, 5, False),  # 1000 万元以上 includes the amount
        (D("10000000.00"), False, 7, True),
        (D("1000000"), True, 5, False),  # complex or significant: 7 whatever the budget
        (D("1000000"), True, 7, True),
        (D("1000000"), True, 8, False),  # and odd
    ],
)
def test_procurement_committee_of_seven(budget, complex_project, members, valid):
    problems = committee_is_valid(
        members, members, PROCUREMENT, budget, complex_project=complex_project
    )
    assert (problems == []) is valid
    if not valid and members < 7:
        assert "第四十七条" in problems[0]


money = st.decimals(min_value=D("1000.00"), max_value=D("100000000.00"), places=2)
slope = st.decimals(min_value=D("0"), max_value=D("5"), places=2)


@settings(max_examples=200, deadline=None)
@given(money, money, money, slope, slope)
def test_deviation_scores_are_bounded_and_fall_away_from_the_benchmark(b, p, q, up, down):
    scores = deviation_scores(
        {"p": p, "q": q}, D("30"), benchmark=b, deduct_above=up, deduct_below=down
    )
    assert all(D(0) <= s <= D("30") for s in scores.values())
    # on the same side of the benchmark, the farther bid never scores more
    if (p - b) * (q - b) >= 0 and abs(p - b) <= abs(q - b):
        assert scores["p"] >= scores["q"]


@settings(max_examples=100, deadline=None)
@given(
    st.integers(min_value=80, max_value=120),
    st.integers(min_value=0, max_value=40),
    st.text(max_size=20),
)
def test_a_drawn_k_is_always_one_of_the_published_values(low, width, entropy):
    k_min, k_max = D(low) / 100, D(min(low + width, 120)) / 100
    k = k_draw(k_min, k_max, D("0.01"), Lot(LOT.draw_id, LOT.server_nonce, entropy))
    assert k in k_values(k_min, k_max, D("0.01"))
