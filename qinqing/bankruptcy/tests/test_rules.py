"""Tests of the pure bankruptcy rules: tallies, deadlines, fast track, waterfalls, Art.104."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.rules import (
    HUBEI_FAST_TRACK,
    FastTrackFacts,
    FastTrackProfile,
    LiquidationInput,
    RepaymentLine,
    RuleError,
    SecuredClaim,
    Voter,
    tally,
)

INVARIANTS = settings(derandomize=True, max_examples=120, deadline=None)


def D(value: str) -> Decimal:
    return Decimal(value)


def voter(
    creditor_id: str,
    amount: str,
    vote: str | None = "yes",
    *,
    secured: bool = False,
    waived: bool = False,
    confirmed: bool = True,
    provisional: str | None = None,
    present: bool = True,
) -> Voter:
    return Voter(
        creditor_id=creditor_id,
        amount=D(amount),
        secured=secured,
        waived_priority=waived,
        confirmed=confirmed,
        provisional_amount=None if provisional is None else D(provisional),
        present=present,
        vote=vote,
    )


# A test calendar shaped like China's 2024 autumn: Mid-Autumn (Sep 15-17, Sat Sep 14 worked) and
# National Day (Oct 1-7, Sun Sep 29 and Sat Oct 12 worked).
HOLIDAYS = {date(2024, 9, 16), date(2024, 9, 17)} | {date(2024, 10, d) for d in range(1, 8)}
MAKEUP_WORKDAYS = {date(2024, 9, 14), date(2024, 9, 29), date(2024, 10, 12)}


def is_working_day(day: date) -> bool:
    if day in HOLIDAYS:
        return False
    return day.weekday() < 5 or day in MAKEUP_WORKDAYS


def next_working_day(day: date) -> date:
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


# ------------------------------------------------------------------------------------------
# Tally: reconciliation agreement (Art.97)
# ------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------
# Deadlines
# ------------------------------------------------------------------------------------------


def test_start_day_is_not_counted() -> None:
    assert rules.period_end(date(2024, 3, 1), 5) == date(2024, 3, 6)
    assert rules.period_end(date(2024, 2, 28), 1) == date(2024, 2, 29)
    with pytest.raises(RuleError):
        rules.period_end(date(2024, 3, 1), 0)


def test_holiday_shift_is_optional() -> None:
    saturday = date(2024, 6, 1)
    assert rules.last_day(saturday) == saturday
    assert rules.last_day(saturday, next_working_day) == date(2024, 6, 3)
    assert rules.last_day(date(2024, 9, 29), next_working_day) == date(2024, 9, 29)  # makeup day
    with pytest.raises(RuleError):
        rules.last_day(saturday, lambda day: day - timedelta(days=1))


def test_real_chinese_calendar_can_be_injected() -> None:
    chinese_calendar = pytest.importorskip("chinese_calendar")

    def find(day: date) -> date:
        return chinese_calendar.find_workday(0, day)

    assert rules.creditor_notification_due(date(2024, 9, 10), next_working_day=find) == date(
        2024, 10, 8
    )


def test_article_10_petition_deadlines() -> None:
    received = date(2024, 5, 6)
    assert rules.debtor_notice_due(received) == date(2024, 5, 11)
    assert rules.debtor_notice_due(received, next_working_day=next_working_day) == date(2024, 5, 13)
    objection_end = rules.objection_period_end(date(2024, 5, 9))
    assert objection_end == date(2024, 5, 16)
    assert rules.acceptance_ruling_due_creditor_petition(objection_end) == date(2024, 5, 26)
    assert rules.acceptance_ruling_due_creditor_petition(objection_end, extended=True) == date(
        2024, 6, 10
    )
    assert rules.acceptance_ruling_due_debtor_petition(received) == date(2024, 5, 21)
    assert rules.acceptance_ruling_due_debtor_petition(received, extended=True) == date(2024, 6, 5)


def test_article_14_and_62_and_64_deadlines() -> None:
    assert rules.creditor_notification_due(date(2024, 9, 10)) == date(2024, 10, 5)
    assert rules.creditor_notification_due(
        date(2024, 9, 10), next_working_day=next_working_day
    ) == date(2024, 10, 8)
    assert rules.first_meeting_due(date(2024, 12, 30)) == date(2025, 1, 14)
    assert rules.resolution_challenge_due(date(2024, 9, 20)) == date(2024, 10, 5)
    assert rules.resolution_challenge_due(
        date(2024, 9, 20), next_working_day=next_working_day
    ) == date(2024, 10, 8)


@pytest.mark.parametrize(
    ("announcement", "earliest", "latest"),
    [
        (date(2024, 11, 30), date(2024, 12, 30), date(2025, 2, 28)),
        (date(2023, 11, 30), date(2023, 12, 30), date(2024, 2, 29)),
        (date(2024, 1, 31), date(2024, 3, 1), date(2024, 4, 30)),
        (date(2024, 10, 15), date(2024, 11, 14), date(2025, 1, 15)),
    ],
)
def test_article_45_declaration_period_bounds(
    announcement: date, earliest: date, latest: date
) -> None:
    assert rules.declaration_period_bounds(announcement) == (earliest, latest)
    rules.validate_declaration_period_end(announcement, earliest)
    rules.validate_declaration_period_end(announcement, latest)
    for outside in (earliest - timedelta(days=1), latest + timedelta(days=1)):
        with pytest.raises(RuleError, match="三十日"):
            rules.validate_declaration_period_end(announcement, outside)


def test_add_months_clamps_to_month_end() -> None:
    assert rules.add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert rules.add_months(date(2023, 1, 31), 1) == date(2023, 2, 28)
    assert rules.add_months(date(2024, 8, 31), 6) == date(2025, 2, 28)
    assert rules.add_months(date(2024, 12, 15), 3) == date(2025, 3, 15)
    assert rules.add_months(date(2024, 5, 31), 12) == date(2025, 5, 31)
    with pytest.raises(RuleError):
        rules.add_months(date(2024, 5, 31), -1)


def test_article_63_fifteen_days_notice() -> None:
    meeting = date(2024, 6, 30)
    assert rules.latest_meeting_notice_date(meeting) == date(2024, 6, 15)
    assert rules.meeting_notice_sufficient(date(2024, 6, 15), meeting)
    assert not rules.meeting_notice_sufficient(date(2024, 6, 16), meeting)


@INVARIANTS
@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(min_value=1, max_value=400),
)
def test_period_end_lands_on_a_working_day_not_before_the_plain_end(start: date, days: int) -> None:
    plain = rules.period_end(start, days)
    assert plain - start == timedelta(days=days)
    shifted = rules.period_end(start, days, next_working_day=next_working_day)
    assert shifted >= plain
    assert is_working_day(shifted)
    assert all(not is_working_day(plain + timedelta(days=n)) for n in range((shifted - plain).days))


@INVARIANTS
@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(min_value=0, max_value=60),
)
def test_add_months_keeps_the_day_or_takes_the_month_end(start: date, months: int) -> None:
    result = rules.add_months(start, months)
    assert (result.year - start.year) * 12 + result.month - start.month == months
    month_end = (result.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    assert result.day == start.day or (result.day < start.day and result == month_end)


# ------------------------------------------------------------------------------------------
# Fast track
# ------------------------------------------------------------------------------------------


def facts(**changes: object) -> FastTrackFacts:
    base = FastTrackFacts(
        acceptance_date=date(2024, 8, 31),
        creditor_count=19,
        claims_total=D("4999999.99"),
        assets_total=D("6000000.00"),
        pending_proceedings=False,
        books_taken_over=True,
    )
    return dataclasses.replace(base, **changes)


def test_hubei_fast_track_nineteen_creditors_is_eligible() -> None:
    result = rules.fast_track_assessment(HUBEI_FAST_TRACK, facts())
    assert result.eligible
    assert [c.key for c in result.triggers if c.applies] == ["few_and_small"]
    assert "少于 20 人" in result.reasons[0]
    assert len(result.triggers) == 6 and len(result.exclusions) == 5
    assert not any(c.applies for c in result.exclusions)
    assert result.deadline == date(2025, 2, 28)


def test_hubei_fast_track_twenty_creditors_is_not_eligible() -> None:
    result = rules.fast_track_assessment(HUBEI_FAST_TRACK, facts(creditor_count=20))
    assert not result.eligible
    assert not any(c.applies for c in result.triggers)
    assert result.reasons[0].startswith("债权人 20 人，不少于 20 人")
    assert len(result.reasons) == 6  # every trigger's negative finding


def test_hubei_fast_track_amount_of_exactly_five_million_is_not_eligible() -> None:
    five_million = D("5000000.00")
    result = rules.fast_track_assessment(
        HUBEI_FAST_TRACK, facts(claims_total=five_million, assets_total=five_million)
    )
    assert not result.eligible
    assert "均不低于" in result.reasons[0]
    either = rules.fast_track_assessment(
        HUBEI_FAST_TRACK, facts(claims_total=five_million, assets_total=D("4999999.99"))
    )
    assert either.eligible


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"pending_proceedings": True}, "存在未决诉讼或仲裁"),
        ({"books_taken_over": False}, "未能接管债务人账册"),
        ({"assets_hard_to_realise": True}, "财产管理、变价、分配期限长或困难较大"),
        ({"special_debtor": True}, "上市公司、金融机构或关联企业合并破产"),
        ({"stability_risk": True}, "职工安置等可能影响社会稳定"),
    ],
)
def test_hubei_fast_track_exclusions(change: dict[str, object], reason: str) -> None:
    result = rules.fast_track_assessment(HUBEI_FAST_TRACK, facts(**change))
    assert not result.eligible
    assert result.reasons == (reason,)  # a trigger applied: only the exclusion is the reason
    assert [c.finding for c in result.exclusions if c.applies] == [reason]


def test_profile_without_exclusions_ignores_them() -> None:
    lenient = FastTrackProfile(name="宽松", exclusions=frozenset({"books_not_taken_over"}))
    assert rules.fast_track_assessment(lenient, facts(pending_proceedings=True)).eligible


MANY = {"creditor_count": 40, "claims_total": D("9000000.00"), "assets_total": D("8000000.00")}


@pytest.mark.parametrize(
    "trigger",
    ["enforcement_transfer", "licence_revoked", "forced_liquidation_done", "parties_agree"],
)
def test_each_other_trigger_alone_puts_a_large_case_on_the_fast_track(trigger: str) -> None:
    assert not rules.fast_track_assessment(HUBEI_FAST_TRACK, facts(**MANY)).eligible
    result = rules.fast_track_assessment(HUBEI_FAST_TRACK, facts(**MANY, **{trigger: True}))
    assert result.eligible
    assert [c.key for c in result.triggers if c.applies] == [trigger]
    off = FastTrackProfile(
        name="本院未采用", triggers=frozenset(rules.FAST_TRACK_TRIGGERS) - {trigger}
    )
    assert not rules.fast_track_assessment(off, facts(**MANY, **{trigger: True})).eligible


@pytest.mark.parametrize(
    ("free", "costs", "applies"),
    [("99999.99", "100000.00", True), ("100000.00", "100000.00", False)],
)
def test_assets_insufficient_for_the_costs_at_the_boundary(
    free: str, costs: str, applies: bool
) -> None:
    result = rules.fast_track_assessment(
        HUBEI_FAST_TRACK, facts(**MANY, assets_liquidation=D(free), costs_estimate=D(costs))
    )
    assert result.eligible is applies
    check = next(c for c in result.triggers if c.key == "no_assets")
    assert check.applies is applies and costs in check.finding


def test_no_assets_at_all_is_a_trigger_but_an_unassessed_estate_is_not() -> None:
    nothing = rules.fast_track_assessment(
        HUBEI_FAST_TRACK, facts(creditor_count=40, assets_total=D("0.00"))
    )
    assert nothing.eligible and "无财产" in nothing.reasons[0]
    unknown = rules.fast_track_assessment(HUBEI_FAST_TRACK, facts(**MANY))
    assert "未评估清算价值与破产费用" in unknown.reasons


def test_an_exclusion_outweighs_any_number_of_triggers() -> None:
    every = {k: True for k in ("enforcement_transfer", "licence_revoked", "parties_agree")}
    result = rules.fast_track_assessment(HUBEI_FAST_TRACK, facts(**every, pending_proceedings=True))
    assert not result.eligible and result.reasons == ("存在未决诉讼或仲裁",)


def test_profile_needs_a_known_trigger() -> None:
    with pytest.raises(RuleError):
        FastTrackProfile(name="空", triggers=frozenset())
    with pytest.raises(RuleError):
        FastTrackProfile(name="未知", triggers=frozenset({"weather"}))
    with pytest.raises(RuleError):
        FastTrackProfile(name="未知", exclusions=frozenset({"weather"}))


def test_fast_track_time_limit_cannot_be_extended_on_the_hubei_profile() -> None:
    with pytest.raises(RuleError, match="不得延长"):
        rules.fast_track_deadline(HUBEI_FAST_TRACK, date(2024, 8, 31), extension_months=1)
    flexible = FastTrackProfile(name="可延长", extension_allowed=True)
    assert rules.fast_track_deadline(flexible, date(2024, 8, 31), extension_months=1) == date(
        2025, 3, 31
    )


def test_fast_track_ruling_within_five_working_days() -> None:
    friday = date(2024, 9, 27)
    assert rules.fast_track_ruling_due(HUBEI_FAST_TRACK, friday) == date(2024, 10, 2)
    # Sun 9/29 (makeup), Mon 9/30, then after National Day Tue 10/8, Wed 10/9, Thu 10/10.
    with_calendar = rules.fast_track_ruling_due(
        HUBEI_FAST_TRACK, friday, next_working_day=next_working_day
    )
    assert with_calendar == date(2024, 10, 10)


@pytest.mark.parametrize(
    "change",
    [
        {"max_creditors": 0},
        {"max_amount": D("0")},
        {"max_amount": D("-1")},
        {"time_limit_months": 0},
    ],
)
def test_profile_validation(change: dict[str, object]) -> None:
    with pytest.raises(RuleError):
        dataclasses.replace(HUBEI_FAST_TRACK, **change)


def test_negative_creditor_count_is_rejected() -> None:
    with pytest.raises(RuleError):
        rules.fast_track_assessment(HUBEI_FAST_TRACK, facts(creditor_count=-1))


# ------------------------------------------------------------------------------------------
# Simulated liquidation (Art.43, 109, 110, 113) and the agreement comparison
# ------------------------------------------------------------------------------------------


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


money = st.integers(min_value=0, max_value=10**7).map(lambda cents: Decimal(cents).scaleb(-2))
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


# ------------------------------------------------------------------------------------------
# Repayment rates
# ------------------------------------------------------------------------------------------


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


# ------------------------------------------------------------------------------------------
# Art.104 equalisation and Art.105 self-settlement
# ------------------------------------------------------------------------------------------

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
