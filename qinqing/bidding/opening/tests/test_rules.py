"""The opening's rules at their boundaries: the deadline (招标投标法 Art.34), three bids
(实施条例 Art.44), the window (电子招标投标办法 Art.31), the content key, the texts."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qinqing.bidding.opening import rules
from qinqing.bidding.rules import RuleError

T = datetime(2026, 12, 7, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_the_hall_opens_at_the_deadline_not_before():
    rules.check_may_open(now=T, deadline=T)
    rules.check_may_open(now=T + timedelta(seconds=1), deadline=T)
    with pytest.raises(RuleError, match="第三十四条"):
        rules.check_may_open(now=T - timedelta(microseconds=1), deadline=T)
    with pytest.raises(RuleError, match="尚未设定"):
        rules.check_may_open(now=T, deadline=None)


def test_three_bids_open_two_do_not():
    assert rules.opening_problems(3) == []
    assert rules.opening_problems(10) == []
    (problem,) = rules.opening_problems(2)
    assert "第四十四条" in problem and "现为 2 个" in problem
    assert rules.after_window(0) and not rules.after_window(3)


@pytest.mark.parametrize("minutes", [1, 30, 240])
def test_window_bounds_accepted(minutes):
    assert rules.decrypt_until(T, minutes) == T + timedelta(minutes=minutes)


@pytest.mark.parametrize("minutes", [0, 241, -5, True, 30.0])
def test_window_bounds_refused(minutes):
    with pytest.raises(RuleError, match="解密时限"):
        rules.check_window(minutes)


def test_a_key_at_the_closing_instant_is_late():
    until = rules.decrypt_until(T, 30)
    assert rules.window_open(now=until - timedelta(microseconds=1), until=until)
    assert not rules.window_open(now=until, until=until)


def test_late_reason_follows_the_tender_documents():
    assert "视为撤回" in rules.late_reason("withdrawn", T)
    assert "投标无效" in rules.late_reason("rejected", T)
    assert "2026年12月07日 09:30" in rules.late_reason("withdrawn", T)


def test_content_key_is_32_bytes_of_base64():
    assert rules.content_key(base64.b64encode(b"k" * 32).decode()) == b"k" * 32
    for bad in (base64.b64encode(b"k" * 31).decode(), base64.b64encode(b"k" * 33).decode()):
        with pytest.raises(RuleError, match="32 字节"):
            rules.content_key(bad)
    for bad in ("%%%", None, 12, "A" * 65):
        with pytest.raises(RuleError):
            rules.content_key(bad)


@given(st.binary(min_size=0, max_size=64))
def test_content_key_accepts_exactly_the_32_byte_keys(raw):
    text = base64.b64encode(raw).decode()
    if len(raw) == 32:
        assert rules.content_key(text) == raw
    else:
        with pytest.raises(RuleError):
            rules.content_key(text)


def test_objection_text_bounds():
    assert rules.check_text("  异议  ", "异议内容") == "异议"
    assert len(rules.check_text("议" * 2000, "异议内容")) == 2000
    with pytest.raises(RuleError, match="2000"):
        rules.check_text("议" * 2001, "异议内容")
    with pytest.raises(RuleError, match="请填写"):
        rules.check_text(" \n", "异议内容")
