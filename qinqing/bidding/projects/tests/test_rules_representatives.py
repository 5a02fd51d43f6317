"""Issue 21 item 4, the law part: the tenderer's representatives on the committee (招标投标法
Art.37 para.2; 87号令 Art.47) — how many may sit and how many experts are drawn, checked for
every committee size 5..25 and every number of representatives against the statute's formula."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinqing.bidding.projects.rules import (
    CONSTRUCTION,
    PROCUREMENT,
    committee_is_valid,
    expert_seats,
    representatives_max,
)
from qinqing.bidding.rules import RuleError

SMALL_BUDGET = Decimal("1000000")


def _statute(size: int, representatives: int, min_size: int = 5) -> bool:
    """Art.37 para.2 in its own words: five or more, an odd number, experts (the members who
    are not the tenderer's representatives) not fewer than two thirds of the total."""
    experts = size - representatives
    return size >= min_size and size % 2 == 1 and Fraction(experts, size) >= Fraction(2, 3)


@pytest.mark.parametrize(
    ("size", "most"),
    [(5, 1), (6, 2), (7, 2), (9, 3), (11, 3), (13, 4), (15, 5), (25, 8), (0, 0)],
)
def test_at_most_a_third_rounded_down(size, most):
    assert representatives_max(size, CONSTRUCTION) == most
    assert representatives_max(size, PROCUREMENT) == most


@pytest.mark.parametrize(
    ("size", "representatives", "experts"),
    [(5, 0, 5), (5, 1, 4), (7, 2, 5), (9, 3, 6)],
)
def test_the_draw_fills_only_the_expert_seats(size, representatives, experts):
    assert expert_seats(size, representatives, CONSTRUCTION) == experts


@pytest.mark.parametrize(("size", "representatives"), [(5, 2), (7, 3), (9, 4), (5, -1)])
def test_one_representative_too_many_is_refused(size, representatives):
    with pytest.raises(RuleError):
        expert_seats(size, representatives, CONSTRUCTION)


@given(st.integers(min_value=5, max_value=25), st.data())
def test_validity_matches_the_statute_for_every_size_and_count(size, data):
    representatives = data.draw(st.integers(min_value=0, max_value=size))
    expected = _statute(size, representatives)
    experts = size - representatives
    for ruleset in (CONSTRUCTION, PROCUREMENT):
        valid = committee_is_valid(size, experts, ruleset, SMALL_BUDGET) == []
        assert valid is expected, (ruleset.kind, size, representatives)
        # the limit and the draw agree with the validity check
        within = representatives <= representatives_max(size, ruleset)
        assert within is (Fraction(experts, size) >= Fraction(2, 3))
        if within:
            assert expert_seats(size, representatives, ruleset) == experts
        else:
            with pytest.raises(RuleError):
                expert_seats(size, representatives, ruleset)


@given(st.integers(min_value=5, max_value=25), st.data())
def test_procurement_seven_members_count_the_representatives(size, data):
    """87号令 Art.47: seven or more with a budget of 10,000,000 yuan or more; the purchaser's
    representatives count as members, the experts' two thirds still hold."""
    representatives = data.draw(st.integers(min_value=0, max_value=size))
    valid = committee_is_valid(size, size - representatives, PROCUREMENT, Decimal("10000000")) == []
    assert valid is _statute(size, representatives, min_size=7)


def test_every_size_5_to_25_and_every_count_exhaustively():
    for size in range(5, 26):
        for representatives in range(size + 1):
            valid = committee_is_valid(size, size - representatives, CONSTRUCTION, None) == []
            assert valid is _statute(size, representatives), (size, representatives)
