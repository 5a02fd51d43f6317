"""The rule set and the committee's composition (招标投标法 Art.37, 87号令 Art.47)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qinqing.bidding.projects.rules import CONSTRUCTION, PROCUREMENT, RuleSet, committee_is_valid
from qinqing.bidding.rules import RuleError


def test_ruleset_rejects_unknown_settings():
    with pytest.raises(RuleError):
        RuleSet(name="x", kind="works")
    with pytest.raises(RuleError):
        RuleSet(name="x", kind="construction", deviation_basis="sum")
    with pytest.raises(RuleError):
        RuleSet(name="x", kind="construction", deviation_mean_of="median")


@pytest.mark.parametrize(
    ("total", "experts", "valid"),
    [
        (5, 4, True),  # 4/5 >= 2/3
        (5, 5, True),
        (9, 6, True),  # exactly two thirds
        (9, 5, False),  # 5/9 < 2/3
        (5, 3, False),  # 3/5 < 2/3
        (3, 3, False),  # fewer than 5
        (6, 6, False),  # even
        (7, 5, True),
        (5, 6, False),  # more experts than members
    ],
)
def test_committee_construction(total, experts, valid):
    assert (committee_is_valid(total, experts, CONSTRUCTION, None) == []) is valid


def test_committee_problems_are_all_listed():
    problems = committee_is_valid(4, 2, CONSTRUCTION, None)
    assert len(problems) == 3  # too small, even, too few experts
    assert problems[0] == "评标委员会成员应不少于 5 人，现为 4 人"


@pytest.mark.parametrize(
    ("budget", "total", "valid"),
    [
        (Decimal("10000000"), 5, False),  # 10,000,000 yuan or more: at least 7
        (Decimal("10000000"), 7, True),
        (Decimal("9999999.99"), 5, True),
        (None, 5, False),  # the budget must be known
    ],
)
def test_committee_procurement_budget(budget, total, valid):
    assert (committee_is_valid(total, total, PROCUREMENT, budget) == []) is valid


def test_construction_ignores_the_budget():
    assert committee_is_valid(5, 5, CONSTRUCTION, Decimal("50000000")) == []
