"""Pure rules: routing, the state machine, working-day deadlines, escalation, ratings, commons."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.core import calendar
from qinqing.needs import rules
from qinqing.needs.tests.labelled_needs import LABELLED


def test_labelled_set_is_large_and_covers_every_category():
    assert len(LABELLED) >= 100
    assert {c for _, c in LABELLED} == set(rules.CATEGORY_CODES)


def test_routing_accuracy_on_the_labelled_set():
    """Measured: 108/112 (96.4%) overall; 80 of the 82 routed automatically are right."""
    results = [(rules.classify(text), expected) for text, expected in LABELLED]
    correct = sum(r.category == expected for r, expected in results)
    auto = [(r, e) for r, e in results if not rules.needs_dispatcher(r)]
    auto_correct = sum(r.category == e for r, e in auto)
    assert correct / len(results) >= 0.95
    assert auto_correct / len(auto) >= 0.97
    assert len(auto) >= 0.6 * len(results)  # most orders need no dispatcher


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("数电票开票额度怎么调整", "tax"),
        ("营业执照经营范围变更", "approval"),
        ("申请创业担保贷款贴息", "finance"),
        ("客户拖欠货款想起诉", "court"),
    ],
)
def test_classify_names_the_category(text, code):
    result = rules.classify(text)
    assert result.category == code
    assert Decimal("0") < result.confidence <= Decimal("1")


def test_no_keyword_is_other_with_zero_confidence_and_goes_to_the_dispatcher():
    result = rules.classify("园区门口的路灯坏了")
    assert result == rules.Classification("other", Decimal("0.00"))
    assert rules.needs_dispatcher(result)


def test_a_keyword_inside_a_longer_one_is_not_counted_twice():
    # "税" (1) is inside "退税" (3): the score is 3, not 4 → confidence 3/3 * 3/4 = 0.75
    assert rules.classify("退税").confidence == Decimal("0.75")


def test_confidence_falls_when_categories_compete():
    alone = rules.classify("申请银行贷款")
    mixed = rules.classify("申请银行贷款交社保")
    assert alone.category == mixed.category == "finance"
    assert mixed.confidence < alone.confidence


# --- state machine ----------------------------------------------------------------------------

ALLOWED = {
    ("pending_dispatch", "dispatch"): "pending_sign",
    ("pending_sign", "sign"): "in_progress",
    ("pending_sign", "return"): "pending_dispatch",
    ("in_progress", "return"): "pending_dispatch",
    ("in_progress", "request_extension"): "in_progress",
    ("in_progress", "decide_extension"): "in_progress",
    ("in_progress", "reply"): "replied",
    ("replied", "callback"): "replied",
    ("replied", "close"): "closed",
    ("replied", "reopen"): "in_progress",
    ("closed", "reopen"): "in_progress",
}


@pytest.mark.parametrize("state", rules.STATES)
@pytest.mark.parametrize("action", list(rules.TRANSITIONS))
def test_every_state_action_pair(state, action):
    if (state, action) in ALLOWED:
        assert rules.next_state(state, action) == ALLOWED[(state, action)]
    else:
        with pytest.raises(rules.RuleError, match="不能"):
            rules.next_state(state, action)


def test_unknown_action_is_refused():
    with pytest.raises(rules.RuleError, match="未知"):
        rules.next_state("pending_dispatch", "teleport")


# --- deadlines over holidays and make-up days -------------------------------------------------


def test_deadline_across_national_day_2024():
    # 2024-09-29 (Sunday) and 2024-10-12 (Saturday) are make-up working days; 10-01..10-07 off.
    assert rules.due_date(date(2024, 9, 27), 3, calendar.add_working_days) == date(2024, 10, 8)
    assert rules.due_date(date(2024, 9, 28), 1, calendar.add_working_days) == date(2024, 9, 29)
    # 10-08..11, 10-12 (Sat, make-up), 10-14..18, 10-21..25: the 15th is 10-25
    assert rules.due_date(date(2024, 9, 30), 15, calendar.add_working_days) == date(2024, 10, 25)


def test_deadline_over_spring_festival_2024():
    # 2024-02-10..17 off; 02-04 (Sun) and 02-18 (Sun) are make-up working days.
    assert rules.due_date(date(2024, 2, 8), 3, calendar.add_working_days) == date(2024, 2, 19)


def test_deadline_needs_at_least_one_day():
    with pytest.raises(rules.RuleError):
        rules.due_date(date(2024, 9, 27), 0, calendar.add_working_days)


def _step(due, today, level=0, reminded=False):
    return rules.escalation_step(
        due=due,
        today=today,
        level=level,
        reminded=reminded,
        add_working_days=calendar.add_working_days,
        working_days_between=calendar.working_days_between,
    )


def test_reminder_one_working_day_before_the_deadline_across_the_holiday():
    due = date(2024, 10, 8)
    assert _step(due, date(2024, 9, 27)) is None  # three working days before (27→29→30→8)
    assert _step(due, date(2024, 9, 30)) == rules.EscalationStep("remind", 0)
    assert _step(due, date(2024, 9, 30), reminded=True) is None


def test_urge_on_the_first_working_day_after_the_deadline():
    due = date(2024, 9, 30)
    assert _step(due, date(2024, 10, 7)) is None or _step(due, date(2024, 10, 7)).action != "urge"
    assert _step(due, date(2024, 10, 8)) == rules.EscalationStep("urge", 1)


def test_supervise_five_working_days_after_the_urge():
    due = date(2024, 9, 30)  # urge on 10-08; five working days later: 9, 10, 11, 12 (Sat), 14
    assert _step(due, date(2024, 10, 12), level=1) is None
    assert _step(due, date(2024, 10, 14), level=1) == rules.EscalationStep("supervise", 2)
    assert _step(due, date(2024, 10, 30), level=2) is None


def test_on_time_is_on_or_before_the_deadline():
    assert rules.is_on_time(date(2024, 10, 8), date(2024, 10, 8))
    assert not rules.is_on_time(date(2024, 10, 9), date(2024, 10, 8))


# --- ratings and commons ----------------------------------------------------------------------


def test_bad_ratings_are_the_lowest_two_levels():
    assert [rules.is_bad_rating(level) for level in (1, 2, 3, 4, 5)] == [
        True,
        True,
        False,
        False,
        False,
    ]
    with pytest.raises(rules.RuleError):
        rules.is_bad_rating(6)


def test_satisfaction_rate_counts_very_satisfied_and_satisfied():
    assert rules.satisfaction_rate([5, 4, 3]) == Decimal("66.7")
    assert rules.satisfaction_rate([]) is None


def _fact(key, firm, cat, days_ago, text="x", today=date(2024, 9, 30)):
    return rules.NeedFact(key, firm, cat, today - timedelta(days=days_ago), text)


def test_common_need_needs_three_distinct_firms_in_thirty_days():
    today = date(2024, 9, 30)
    facts = [
        _fact(1, "A", "tax", 0),
        _fact(2, "A", "tax", 1),
        _fact(3, "B", "tax", 29),
        _fact(4, "C", "tax", 30),  # outside the window (today counts as day 1)
        _fact(5, "D", "hr", 2),
    ]
    assert rules.common_categories(facts, today=today) == {}
    facts.append(_fact(6, "E", "tax", 5))
    assert rules.common_categories(facts, today=today) == {"tax": [1, 2, 3, 6]}


def test_near_duplicates_are_grouped():
    facts = [
        rules.NeedFact(1, "A", "tax", date(2024, 9, 1), "数电票开票额度不够用，怎么申请提额？"),
        rules.NeedFact(2, "B", "tax", date(2024, 9, 2), "数电票开票额度不够，如何申请提额"),
        rules.NeedFact(3, "C", "hr", date(2024, 9, 3), "稳岗返还今年还有吗"),
    ]
    assert rules.near_duplicate_groups(facts) == [[1, 2]]


# Texts over a few characters, so that near-duplicates, exact repeats, one-character and
# punctuation-only texts (whose bigram set is a single odd token) all occur.
_TEXTS = st.text(alphabet="数电票额度申请提高企业，。 ", max_size=12)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_TEXTS, max_size=30),
    st.sampled_from([Decimal("0.35"), Decimal("0.5"), Decimal("0.8"), Decimal("1.00")]),
)
def test_the_indexed_grouping_finds_exactly_the_pairwise_groups(texts, threshold):
    facts = [rules.NeedFact(k, "A", "tax", date(2024, 9, 1), t) for k, t in enumerate(texts)]
    pairs = ((f.key, f.text) for f in facts)  # a stream, read once
    assert rules.similar_groups(pairs, min_similarity=threshold) == rules.near_duplicate_groups(
        facts, min_similarity=threshold
    )


def test_the_indexed_grouping_joins_a_pair_at_the_threshold_and_not_below():
    # 7 shared bigrams of 20 distinct: 0.35, grouped; 7 of 21: 0.33, not.
    base = "甲乙丙丁戊己庚辛"  # 7 bigrams
    at = [(1, base + "子丑寅卯午未"), (2, base + "申酉戌亥天地玄")]
    jaccard = rules.similarity(at[0][1], at[1][1])
    assert jaccard >= Decimal("0.35")
    assert rules.similar_groups(at) == [[1, 2]]
    below = [(1, base + "子丑寅卯午未"), (2, base + "申酉戌亥天地玄黄")]
    assert rules.similarity(below[0][1], below[1][1]) < Decimal("0.35")
    assert rules.similar_groups(below) == []


# --- properties over the real calendar --------------------------------------------------------

DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2025, 12, 31))


@settings(max_examples=200, deadline=None)
@given(start=DAYS, days=st.sampled_from(sorted(rules.SLA_DAYS.values())))
def test_a_deadline_is_a_working_day_exactly_n_working_days_later(start, days):
    due = rules.due_date(start, days, calendar.add_working_days)
    assert calendar.is_working_day(due)
    assert calendar.working_days_between(start, due) == days


@settings(max_examples=200, deadline=None)
@given(due=DAYS, offset=st.integers(min_value=-10, max_value=40))
def test_escalation_only_ever_goes_up_and_never_before_the_deadline(due, offset):
    due = calendar.next_working_day(due)
    today = due + timedelta(days=offset)
    level, reminded = 0, False
    for _ in range(3):
        step = _step(due, today, level=level, reminded=reminded)
        if step is None:
            break
        assert step.level >= level
        if step.action in {"urge", "supervise"}:
            assert today > due
        level, reminded = step.level, reminded or step.action == "remind"
    assert level <= 2
