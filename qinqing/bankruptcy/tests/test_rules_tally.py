"""Tests of the pure bankruptcy rules: the creditors' meeting tallies (Art.59, 61, 64, 97)."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.rules import RuleError, Voter, tally
from qinqing.bankruptcy.tests.rules_support import INVARIANTS, D, next_working_day, voter


def test_reconciliation_yes_share_of_exactly_two_thirds_passes() -> None:
    result = tally(
        "reconciliation",
        [voter("A", "100.00"), voter("B", "100.00"), voter("C", "100.00", "no")],
        D("300.00"),
    )
    assert result.passed
    assert (result.present_voters, result.yes_voters) == (3, 2)
    assert (result.heads_required, result.heads_margin) == (2, 0)
    assert result.yes_amount == D("200.00")
    assert result.required_amount == Fraction(200)
    assert result.required_share == Fraction(2, 3)
    assert result.amount_margin == 0
    assert result.required_amount_display == D("200.00")
    assert result.amount_margin_display == 0
    assert result.excluded == ()


def test_reconciliation_one_cent_below_two_thirds_fails() -> None:
    result = tally(
        "reconciliation",
        [voter("A", "99.99"), voter("B", "100.00"), voter("C", "100.01", "no")],
        D("300.00"),
    )
    assert result.heads_passed
    assert not result.amount_passed
    assert not result.passed
    assert result.amount_margin == Fraction(-1, 100)
    assert result.amount_margin_display == D("-0.01")


def test_exactly_half_of_the_heads_fails_and_half_plus_one_passes() -> None:
    big_yes = [voter("A", "400.00"), voter("B", "400.00")]
    small = [voter("C", "10.00", "no"), voter("D", "10.00", "no")]
    half = tally("reconciliation", big_yes + small, D("820.00"))
    assert half.amount_passed
    assert (half.present_voters, half.yes_voters, half.heads_required) == (4, 2, 3)
    assert half.heads_margin == -1
    assert not half.heads_passed
    assert not half.passed

    half_plus_one = [*big_yes, voter("C", "10.00"), voter("D", "10.00", "no")]
    result = tally("reconciliation", half_plus_one, D("820.00"))
    assert (result.yes_voters, result.heads_margin) == (3, 0)
    assert result.passed


def test_absentees_are_not_heads_but_count_against_on_amount() -> None:
    voters = [voter("A", "100.00"), voter("B", "100.00", None, present=False)]
    result = tally("reconciliation", voters, D("200.00"))
    assert (result.present_voters, result.yes_voters) == (1, 1)
    assert result.heads_passed
    assert result.required_amount == Fraction(400, 3)
    assert not result.amount_passed
    assert not result.passed


def test_abstentions_and_missing_ballots_count_as_present_but_not_yes() -> None:
    voters = [voter("A", "900.00"), voter("B", "50.00", "abstain"), voter("C", "50.00", None)]
    result = tally("reconciliation", voters, D("1000.00"))
    assert (result.present_voters, result.yes_voters, result.heads_required) == (3, 1, 2)
    assert result.amount_passed
    assert not result.passed

    without_them = tally("reconciliation", voters[:1], D("1000.00"))
    assert without_them.passed


def test_unconfirmed_claim_votes_with_its_provisional_amount() -> None:
    voters = [
        voter("A", "500.00", confirmed=False, provisional="50.00"),
        voter("B", "100.00", "no"),
        voter("C", "100.00"),
    ]
    result = tally("reconciliation", voters, D("250.00"))
    assert result.yes_amount == D("150.00")
    assert result.present_voters == 3
    assert not result.passed  # 150 < 2/3 x 250
    confirmed = tally("reconciliation", [dataclasses.replace(voters[0], confirmed=True)], D("500"))
    assert confirmed.yes_amount == D("500.00")  # the provisional amount no longer matters


def test_unconfirmed_claim_without_provisional_amount_has_no_vote() -> None:
    voters = [
        voter("A", "100.00"),
        voter("B", "900.00", "no", confirmed=False),
        voter("C", "100.00", "no"),
    ]
    result = tally("ordinary", voters, D("200.00"))
    assert result.excluded == (("B", rules.UNCONFIRMED_NO_PROVISIONAL),)
    assert (result.present_voters, result.yes_voters, result.heads_required) == (2, 1, 2)
    assert not result.passed


def test_secured_creditor_not_waiving_is_out_of_the_reconciliation_vote_only() -> None:
    voters = [voter("A", "100.00"), voter("S", "1000.00", "no", secured=True)]
    reconciliation = tally("reconciliation", voters, D("100.00"))
    assert reconciliation.excluded == (("S", rules.SECURED_NOT_WAIVED),)
    assert (reconciliation.present_voters, reconciliation.yes_voters) == (1, 1)
    assert reconciliation.passed

    ordinary = tally("ordinary", voters, D("100.00"))
    assert ordinary.excluded == ()
    assert (ordinary.present_voters, ordinary.yes_voters, ordinary.heads_required) == (2, 1, 2)
    assert not ordinary.passed

    # on an ordinary item it counts in the heads, but only its uncovered part weighs on the
    # amount (U is the unsecured total): covered by its collateral, it adds nothing
    secured_yes = tally("ordinary", [voter("S", "1000.00", secured=True)], D("100.00"))
    assert (secured_yes.present_voters, secured_yes.yes_voters) == (1, 1)
    assert secured_yes.yes_amount == D("0.00") and secured_yes.yes_share == 0


def test_secured_creditor_that_waived_priority_votes_on_reconciliation() -> None:
    voters = [voter("A", "100.00", "no"), voter("S", "1000.00", secured=True, waived=True)]
    with pytest.raises(RuleError):  # its claim is now unsecured and must be in U
        tally("reconciliation", voters, D("100.00"))
    result = tally("reconciliation", voters, D("1100.00"))
    assert result.excluded == ()
    assert (result.present_voters, result.yes_voters) == (2, 1)
    assert not result.heads_passed
    assert result.amount_passed


def test_ordinary_resolution_exactly_half_of_the_amount_passes() -> None:
    result = tally(
        "ordinary",
        [voter("A", "100.00"), voter("B", "100.00", present=False, vote=None)],
        D("200.00"),
    )
    assert result.passed
    assert result.required_amount == Fraction(100)
    one_cent_less = tally("ordinary", [voter("A", "99.99")], D("200.00"))
    assert one_cent_less.heads_passed
    assert not one_cent_less.passed


def test_required_amount_display_is_the_smallest_passing_cent_amount() -> None:
    result = tally("reconciliation", [voter("A", "66.67")], D("100.01"))
    assert result.required_amount == Fraction(10001, 150)
    assert result.required_amount_display == D("66.68")  # half-up would show a failing 66.67
    assert not result.passed
    assert result.amount_margin_display == D("-0.01")
    assert tally("reconciliation", [voter("A", "66.68")], D("100.01")).passed


def test_no_one_present_fails() -> None:
    result = tally("ordinary", [voter("A", "10.00", None, present=False)], D("10.00"))
    assert (result.present_voters, result.heads_required, result.passed) == (0, 1, False)


@pytest.mark.parametrize(
    ("item", "voters", "total"),
    [
        ("liquidation", [voter("A", "1.00")], "1.00"),
        ("ordinary", [voter("A", "-1.00")], "1.00"),
        ("ordinary", [voter("A", "1.00", confirmed=False, provisional="-0.01")], "1.00"),
        ("ordinary", [voter("A", "1.00"), voter("A", "1.00")], "2.00"),
        ("ordinary", [voter("A", "1.00", "maybe")], "1.00"),
        ("ordinary", [voter("A", "1.00", "no", present=False)], "1.00"),
        ("ordinary", [voter("A", "1.001")], "2.00"),
        ("ordinary", [voter("A", "1.00")], "-1.00"),
        ("ordinary", [voter("A", "1.00"), voter("B", "1.00")], "1.99"),
    ],
)
def test_tally_rejects_invalid_input(item: str, voters: list[Voter], total: str) -> None:
    with pytest.raises(RuleError):
        tally(item, voters, D(total))


def test_tally_rejects_float_amounts() -> None:
    with pytest.raises(RuleError, match="Decimal"):
        tally("ordinary", [dataclasses.replace(voter("A", "1"), amount=1.0)], D("1"))


def test_results_due_three_days_after_the_meeting() -> None:
    assert rules.results_due(date(2024, 9, 30)) == date(2024, 10, 3)
    shifted = rules.results_due(date(2024, 9, 30), next_working_day=next_working_day)
    assert shifted == date(2024, 10, 8)


def test_meeting_request_needs_a_quarter_of_all_claims() -> None:
    assert rules.meeting_request_sufficient(D("25.00"), D("100.00"))
    assert not rules.meeting_request_sufficient(D("24.99"), D("100.00"))
    assert not rules.meeting_request_sufficient(D("0.00"), D("0.00"))
    with pytest.raises(RuleError):
        rules.meeting_request_sufficient(D("101.00"), D("100.00"))


VOTE_CHOICES = st.sampled_from(["yes", "no", "abstain", None])


@st.composite
def meetings(draw: st.DrawFn) -> tuple[str, list[Voter], Decimal]:
    count = draw(st.integers(min_value=0, max_value=8))
    voters = []
    for index in range(count):
        present = draw(st.booleans())
        confirmed = draw(st.booleans())
        provisional = draw(st.none() | st.integers(min_value=0, max_value=10**6))
        voters.append(
            Voter(
                creditor_id=f"C{index}",
                amount=Decimal(draw(st.integers(min_value=0, max_value=10**6))).scaleb(-2),
                secured=draw(st.booleans()),
                waived_priority=draw(st.booleans()),
                confirmed=confirmed,
                provisional_amount=None if provisional is None else Decimal(provisional).scaleb(-2),
                present=present,
                vote=draw(VOTE_CHOICES) if present else None,
            )
        )
    unsecured = sum(
        (
            amount
            for v in voters
            if (not v.secured or v.waived_priority)
            and (amount := rules.voting_amount(v)) is not None
        ),
        Decimal(0),
    )
    extra = Decimal(draw(st.integers(min_value=0, max_value=10**6))).scaleb(-2)
    return draw(st.sampled_from(["reconciliation", "ordinary"])), voters, unsecured + extra


@INVARIANTS
@given(meetings(), st.data())
def test_turning_a_vote_into_yes_never_makes_a_passing_vote_fail(
    meeting: tuple[str, list[Voter], Decimal], data: st.DataObject
) -> None:
    item, voters, total = meeting
    switchable = [i for i, v in enumerate(voters) if v.present and v.vote != "yes"]
    if not switchable:
        return
    index = data.draw(st.sampled_from(switchable))
    changed = list(voters)
    changed[index] = dataclasses.replace(voters[index], vote="yes")
    before, after = tally(item, voters, total), tally(item, changed, total)
    assert after.yes_amount >= before.yes_amount
    assert after.yes_voters >= before.yes_voters
    assert not before.passed or after.passed


@INVARIANTS
@given(meetings())
def test_tally_figures_are_consistent(meeting: tuple[str, list[Voter], Decimal]) -> None:
    item, voters, total = meeting
    result = tally(item, voters, total)
    assert result.passed == (result.heads_passed and result.amount_passed)
    assert result.heads_passed == (result.heads_margin >= 0)
    assert result.amount_passed == (result.amount_margin >= 0)
    assert result.amount_passed == (result.amount_margin_display >= 0)
    assert 2 * result.heads_required > result.present_voters >= 2 * (result.heads_required - 1)
    rounding_up = Fraction(result.required_amount_display) - result.required_amount
    assert 0 <= rounding_up < Fraction(1, 100)
    reversed_result = tally(item, voters[::-1], total)
    assert dataclasses.replace(reversed_result, excluded=result.excluded) == result
