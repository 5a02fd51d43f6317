"""Tests of the pure bankruptcy rules: the fast track."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.rules import HUBEI_FAST_TRACK, FastTrackFacts, FastTrackProfile, RuleError
from qinqing.bankruptcy.tests.rules_support import D, next_working_day


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
