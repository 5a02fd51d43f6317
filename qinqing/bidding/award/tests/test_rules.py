"""The award's law at its boundaries (实施条例 Art.54, 55, 60-62)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinqing.bidding.award import rules
from qinqing.bidding.rules import RuleError

SH = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=0, mm=0, ss=0):
    return datetime(y, m, d, hh, mm, ss, tzinfo=SH)


def test_publish_within_three_days_of_the_report():
    received = date(2026, 12, 7)
    assert rules.publication_deadline(received) == date(2026, 12, 10)
    assert not rules.publication_late(received_on=received, published_on=date(2026, 12, 10))
    assert rules.publication_late(received_on=received, published_on=date(2026, 12, 11))
    assert not rules.publication_late(received_on=received, published_on=received)
    with pytest.raises(RuleError):
        rules.publication_late(received_on=received, published_on=date(2026, 12, 6))


def test_the_period_is_at_least_three_days():
    with pytest.raises(RuleError, match="不得少于 3 日"):
        rules.check_period(2)
    assert rules.check_period(3) == 3
    assert rules.check_period(30) == 30
    for bad in (31, 0, -1, True, "3", 3.0):
        with pytest.raises(RuleError):
            rules.check_period(bad)


def test_the_publication_ends_at_midnight_after_its_last_day():
    # published Monday 14:30 → days Tue, Wed, Thu → ends at Friday 00:00
    ends = rules.publication_ends(at(2026, 12, 7, 14, 30), 3)
    assert ends == at(2026, 12, 11)
    # published at 23:59:59 still counts from the next day
    assert rules.publication_ends(at(2026, 12, 7, 23, 59, 59), 3) == at(2026, 12, 11)
    assert rules.publication_ends(at(2026, 12, 8, 0, 0), 3) == at(2026, 12, 12)
    assert rules.publication_running(now=ends - timedelta(microseconds=1), ends_at=ends)
    assert not rules.publication_running(now=ends, ends_at=ends)


@given(
    start=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31)),
    days=st.integers(min_value=3, max_value=30),
)
def test_the_publication_always_lasts_at_least_its_full_days(start, days):
    start = start.replace(tzinfo=SH)
    ends = rules.publication_ends(start, days)
    assert ends - start > timedelta(days=days)
    assert ends - start <= timedelta(days=days + 1)
    assert ends.time() == datetime.min.time()


def test_objection_only_during_the_publication():
    start, ends = at(2026, 12, 7, 10), at(2026, 12, 11)
    rules.check_may_object(now=start, published_at=start, ends_at=ends)
    rules.check_may_object(now=ends - timedelta(seconds=1), published_at=start, ends_at=ends)
    with pytest.raises(RuleError, match="公示期已结束"):
        rules.check_may_object(now=ends, published_at=start, ends_at=ends)
    with pytest.raises(RuleError):
        rules.check_may_object(now=start - timedelta(seconds=1), published_at=start, ends_at=ends)


def test_answer_within_three_days_of_receiving():
    due = rules.answer_due(at(2026, 12, 7, 16, 0))
    assert due == at(2026, 12, 11)
    assert not rules.answer_overdue(now=due - timedelta(seconds=1), due=due, answered=False)
    assert rules.answer_overdue(now=due, due=due, answered=False)
    assert not rules.answer_overdue(now=due + timedelta(days=9), due=due, answered=True)


def test_complaint_within_ten_days_after_the_objection():
    knew = date(2026, 12, 1)
    assert rules.complaint_deadline(knew) == date(2026, 12, 11)
    # not about the result: 10 days from knowing
    assert (
        rules.check_may_complain(
            today=date(2026, 12, 11), knew_on=knew, objection_first=False, objection_settled_on=None
        )
        == knew
    )
    with pytest.raises(RuleError, match="投诉期已过"):
        rules.check_may_complain(
            today=date(2026, 12, 12), knew_on=knew, objection_first=False, objection_settled_on=None
        )
    # about the result: the objection first (Art.60 para.2)
    with pytest.raises(RuleError, match="先向招标人提出异议"):
        rules.check_may_complain(
            today=date(2026, 12, 2), knew_on=knew, objection_first=True, objection_settled_on=None
        )
    # the answer period is not counted: 10 days from the answer
    settled = date(2026, 12, 4)
    assert (
        rules.check_may_complain(
            today=date(2026, 12, 14),
            knew_on=knew,
            objection_first=True,
            objection_settled_on=settled,
        )
        == settled
    )
    with pytest.raises(RuleError):
        rules.check_may_complain(
            today=date(2026, 12, 15),
            knew_on=knew,
            objection_first=True,
            objection_settled_on=settled,
        )
    with pytest.raises(RuleError, match="不能晚于今天"):
        rules.check_may_complain(
            today=knew,
            knew_on=knew + timedelta(days=1),
            objection_first=False,
            objection_settled_on=None,
        )


def test_the_department_counts_working_days():
    def add(start, n):  # a calendar with weekends only
        day = start
        while n:
            day += timedelta(days=1)
            if day.weekday() < 5:
                n -= 1
        return day

    assert rules.accept_due(date(2026, 12, 4), add) == date(2026, 12, 9)  # Fri → Wed
    assert rules.decision_due(date(2026, 12, 7), add) == date(2027, 1, 18)


def _c(rank, uscc="9142"):
    return rules.Candidate(rank, f"候选人{rank}", f"{uscc}{rank}", Decimal("80"), None, None)


def test_candidates_one_to_three_ranked_from_one():
    assert [c.rank for c in rules.check_candidates([_c(2), _c(1)])] == [1, 2]
    assert rules.winner([_c(3), _c(1), _c(2)]).rank == 1
    with pytest.raises(RuleError):
        rules.check_candidates([])
    with pytest.raises(RuleError, match="不得超过 3 名"):
        rules.check_candidates([_c(1), _c(2), _c(3), _c(4)])
    with pytest.raises(RuleError):
        rules.check_candidates([_c(1), _c(3)])


def test_award_problems_name_each_blocker():
    assert rules.award_problems(rules.Blockers(False, 0, False)) == []
    problems = rules.award_problems(rules.Blockers(True, 2, True))
    assert len(problems) == 3
    assert "第五十四条" in problems[0] and "2 件异议" in problems[1] and "第六十二条" in problems[2]


def test_text_bounds():
    assert rules.check_text("  异议  ", "异议") == "异议"
    with pytest.raises(RuleError):
        rules.check_text("   ", "异议")
    rules.check_text("字" * 2000, "异议")
    with pytest.raises(RuleError):
        rules.check_text("字" * 2001, "异议")


# --- the contract (招标投标法 Art.46; 实施条例 Art.57) ----------------------------------------


def test_contract_within_thirty_days_of_the_notice():
    issued = date(2026, 1, 31)
    assert rules.contract_deadline(issued) == date(2026, 3, 2)  # the 30th day after
    assert not rules.contract_late(issued_on=issued, signed_on=issued)
    assert not rules.contract_late(issued_on=issued, signed_on=date(2026, 3, 2))
    assert rules.contract_late(issued_on=issued, signed_on=date(2026, 3, 3))
    with pytest.raises(RuleError, match="第四十六条"):
        rules.contract_late(issued_on=issued, signed_on=date(2026, 1, 30))


@given(st.dates(max_value=date(9000, 1, 1)), st.integers(min_value=0, max_value=400))
def test_contract_late_exactly_after_the_thirtieth_day(issued, days):
    signed = issued + timedelta(days=days)
    assert rules.contract_late(issued_on=issued, signed_on=signed) == (days > 30)


def test_contract_price_equals_the_winning_bid_and_other_bounds():
    ok = {"signed_on": date(2026, 2, 1), "today": date(2026, 2, 1), "awarded": Decimal("950000")}
    assert rules.check_contract(number=" HT-1 ", amount=Decimal("950000.00"), **ok) == (
        "HT-1",
        Decimal("950000.00"),
    )
    with pytest.raises(RuleError, match="第五十七条"):
        rules.check_contract(number="HT-1", amount=Decimal("949999.99"), **ok)
    with pytest.raises(RuleError, match="第五十七条"):
        rules.check_contract(number="HT-1", amount=Decimal("950000.01"), **ok)
    for bad in (Decimal("0"), Decimal("-1"), Decimal("NaN"), 950000):
        with pytest.raises(RuleError, match="正数"):
            rules.check_contract(number="HT-1", amount=bad, **ok)
    with pytest.raises(RuleError, match="编号"):
        rules.check_contract(number="  ", amount=Decimal("950000"), **ok)
    rules.check_contract(number="H" * 60, amount=Decimal("950000"), **ok)
    with pytest.raises(RuleError, match="编号"):
        rules.check_contract(number="H" * 61, amount=Decimal("950000"), **ok)
    with pytest.raises(RuleError, match="晚于今天"):
        rules.check_contract(
            number="HT-1",
            amount=Decimal("950000"),
            signed_on=date(2026, 2, 2),
            today=date(2026, 2, 1),
            awarded=Decimal("950000"),
        )


# --- the winner falls away (实施条例 Art.55, Art.74) -----------------------------------------


def test_the_next_candidate_in_rank_order_or_a_new_tender():
    three = [_c(3), _c(1), _c(2)]
    none: frozenset[str] = frozenset()
    assert rules.current_winner(three, none).rank == 1
    nxt = rules.succession(three, fallen=none, leaving="91421", reason="gave_up", decision="next")
    assert nxt.rank == 2
    nxt = rules.succession(
        three, fallen=frozenset({"91421"}), leaving="91422", reason="not_signed", decision="next"
    )
    assert nxt.rank == 3
    assert (
        rules.succession(three, fallen=none, leaving="91421", reason="no_bond", decision="retender")
        is None
    )
    # the last candidate falls away: no one left, only a new tender
    last = frozenset({"91421", "91422"})
    with pytest.raises(RuleError, match="重新招标"):
        rules.succession(three, fallen=last, leaving="91423", reason="unlawful", decision="next")
    assert (
        rules.succession(
            three, fallen=last, leaving="91423", reason="unlawful", decision="retender"
        )
        is None
    )
    assert rules.current_winner(three, last | {"91423"}) is None


def test_only_the_current_winner_falls_away_and_for_a_reason_of_the_law():
    three = [_c(1), _c(2), _c(3)]
    none: frozenset[str] = frozenset()
    with pytest.raises(RuleError, match="当前的中标人"):
        rules.succession(three, fallen=none, leaving="91422", reason="gave_up", decision="next")
    with pytest.raises(RuleError, match="第五十五条"):
        rules.succession(three, fallen=none, leaving="91421", reason="bored", decision="next")
    with pytest.raises(RuleError, match="重新招标"):
        rules.succession(three, fallen=none, leaving="91421", reason="gave_up", decision="pick")
    assert all("第五十五条" in t or "第七十四条" in t for t in rules.FALLS_AWAY.values())


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"number": " "}, "number"),
        ({"signed_on": date(2026, 12, 9)}, "signed_on"),
        ({"amount": Decimal("0")}, "amount"),
        ({"amount": Decimal("949999.99")}, "amount"),
    ],
)
def test_a_refused_contract_names_the_field_at_fault(changes, field):
    given_ = {
        "number": "HT-1",
        "signed_on": date(2026, 12, 7),
        "today": date(2026, 12, 8),
        "amount": Decimal("950000.00"),
        "awarded": Decimal("950000.00"),
    }
    with pytest.raises(RuleError) as refused:
        rules.check_contract(**(given_ | changes))
    assert refused.value.field == field
