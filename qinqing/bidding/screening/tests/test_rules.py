"""The screening's rules at their boundaries (pure, no database): the price pattern (constant
differences or ratios of at least three bids, within the tolerances), the same tool close in
time, the template text, the similarity decision, the names looked for, a broken PDF."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qinqing.bidding.screening import rules, text
from qinqing.bidding.screening.rules import BidFacts, FileFacts, Kind

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

prices = st.decimals(min_value=Decimal("100000"), max_value=Decimal("50000000"), places=2)
steps = st.decimals(min_value=Decimal("1000"), max_value=Decimal("2000000"), places=2)


@given(start=prices, step=steps, n=st.integers(min_value=3, max_value=6))
@settings(max_examples=60, deadline=None)
def test_constant_differences_are_found(start, step, n):
    bids = {f"b{i}": start + i * step for i in range(n)}
    found = rules.price_patterns(bids)
    assert [(p.kind, set(p.bidders)) for p in found] == [("difference", set(bids))]
    assert found[0].step == step


@given(
    start=prices,
    step=steps,
    noise=st.decimals(min_value=Decimal("0.00"), max_value=Decimal("1.00"), places=2),
)
@settings(max_examples=60, deadline=None)
def test_differences_within_the_tolerance_still_count(start, step, noise):
    bids = {"a": start, "b": start + step, "c": start + 2 * step + noise}
    assert {p.kind for p in rules.price_patterns(bids)} >= {"difference"}


@given(
    start=prices,
    step=steps,
    extra=st.decimals(min_value=Decimal("1.01"), max_value=Decimal("500"), places=2),
)
@settings(max_examples=60, deadline=None)
def test_beyond_the_tolerance_is_no_pattern(start, step, extra):
    bids = {"a": start, "b": start + step, "c": start + 2 * step + extra}
    assert not [p for p in rules.price_patterns(bids) if p.kind == "difference"]


def test_constant_ratios_are_found_and_bids_need_not_be_adjacent():
    bids = {
        "a": Decimal("10000000.00"),
        "b": Decimal("10200000.00"),
        "c": Decimal("10404000.00"),
        "honest": Decimal("10300000.00"),  # between them, not in the pattern
    }
    (ratio,) = rules.price_patterns(bids)
    assert ratio.kind == "ratio" and ratio.step == Decimal("1.020000")
    assert ratio.bidders == ("a", "b", "c")


def test_two_prices_are_no_pattern_but_equal_prices_are_signalled():
    assert rules.price_patterns({"a": Decimal("1.00"), "b": Decimal("2.00")}) == []
    (same,) = rules.price_patterns({"a": Decimal("5.00"), "b": Decimal("5.00"), "c": Decimal("9")})
    assert same.kind == "equal" and set(same.bidders) == {"a", "b"}


def test_irregular_prices_are_no_pattern():
    bids = {
        "a": Decimal("12345678.90"),
        "b": Decimal("11800000.00"),
        "c": Decimal("12990000.50"),
        "d": Decimal("13100000.00"),
    }
    assert rules.price_patterns(bids) == []


def _file(bidder, **kw):
    return FileFacts(bidder=bidder, name=f"{bidder}.pdf", sha256=bidder, readable=True, **kw)


def _bid(bidder, *files, **kw):
    return BidFacts(bidder=bidder, name=bidder, price=None, files=files, **kw)


def test_same_tool_within_the_window_only():
    tool = {"creator": "Microsoft Word", "producer": "Microsoft: Print To PDF"}
    window = rules.SAME_TOOL_WINDOW
    at_edge = [
        _bid("a", _file("a", created=T0, **tool)),
        _bid("b", _file("b", created=T0 + window, **tool)),
    ]
    (signal,) = rules.same_tool_close_in_time(at_edge)
    assert signal.kind == Kind.SAME_TOOL_TIME and signal.evidence["seconds_apart"] == 600
    beyond = [
        _bid("a", _file("a", created=T0, **tool)),
        _bid("b", _file("b", created=T0 + window + timedelta(seconds=1), **tool)),
    ]
    assert rules.same_tool_close_in_time(beyond) == []
    other_tool = [
        _bid("a", _file("a", created=T0, **tool)),
        _bid("b", _file("b", created=T0, creator="WPS", producer=tool["producer"])),
    ]
    assert rules.same_tool_close_in_time(other_tool) == []


def test_empty_metadata_is_never_evidence():
    bids = [_bid("a", _file("a")), _bid("b", _file("b"))]
    assert rules.same_author(bids) == []
    assert rules.same_upload_origin(bids) == []
    assert rules.same_manager(bids) == []
    assert rules.same_tool_close_in_time(bids) == []


def test_a_tools_user_agent_identifies_no_device():
    tool = [_bid(x, _file(x), user_agent="qinqing bid_seal") for x in "ab"]
    assert rules.same_upload_origin(tool) == []
    browser = [_bid(x, _file(x), user_agent="Mozilla/5.0 (X11) Same") for x in "ab"]
    (signal,) = rules.same_upload_origin(browser)
    assert signal.kind == rules.Kind.SAME_DEVICE
    assert rules.browser_of(" python-requests/2.32 ") == ""


def test_one_bidder_alone_is_never_a_signal():
    bids = [_bid("a", _file("a", author="张三"), project_manager="李四", client_ip="1.2.3.4")]
    assert rules.screen_metadata(bids) == []


def test_template_shingles():
    assert rules.is_template_shingle(3, 4) and rules.is_template_shingle(3, 6)
    assert not rules.is_template_shingle(2, 3)  # two of three: copying, not the template
    assert not rules.is_template_shingle(3, 7)  # fewer than half
    assert rules.is_template_shingle(10, 20)


def test_similarity_decision_at_its_thresholds():
    limit, passage = rules.SIMILAR_JACCARD, rules.MIN_PASSAGE_CHARS
    assert rules.text_alike(jaccard_value=limit, longest_passage=passage)
    assert not rules.text_alike(jaccard_value=limit - Decimal("0.0001"), longest_passage=passage)
    # alike by Jaccard but no passage to show: stock phrases, not a copy
    assert not rules.text_alike(jaccard_value=Decimal(1), longest_passage=passage - 1)
    assert rules.text_alike(jaccard_value=Decimal(0), longest_passage=rules.LONG_PASSAGE_CHARS)
    assert not rules.text_alike(
        jaccard_value=Decimal(0), longest_passage=rules.LONG_PASSAGE_CHARS - 1
    )
    assert rules.jaccard(0, 0) == Decimal("0.0000")
    assert rules.jaccard(1, 3) == Decimal("0.3333")


def test_names_looked_for():
    assert rules.name_needles("武汉 示例建设有限公司", "91420100MA4KXXXX1X") == [
        "91420100ma4kxxxx1x",
        "武汉示例建设有限公司",
    ]
    assert rules.name_needles("甲乙", "") == []  # too short: ordinary words


def test_normalised_text_ignores_layout_and_punctuation():
    assert rules.normalise_text("第一章　总则，\n ABC-12") == "第一章总则abc12"


def test_unreadable_files_come_back_with_the_reason():
    assert not text.read_pdf(b"PK\x03\x04 not a pdf").readable
    broken = text.read_pdf(b"%PDF-1.7\n1 0 obj<<>>\n%%EOF")
    assert not broken.readable and broken.reason


def test_copied_text_is_found_across_page_and_layout_differences():
    base = "".join(chr(0x4E00 + (i * 7919) % 6000) for i in range(400))
    a = text.BidderText.build("a", [("a.pdf", [base[:200], base[200:]])])
    b = text.BidderText.build(
        "b", [("b.pdf", ["，".join(base[i : i + 50] for i in range(0, 400, 50))])]
    )
    c = text.BidderText.build(
        "c", [("c.pdf", ["".join(chr(0x6000 + i % 3000) for i in range(400))])]
    )
    (pair,) = text.compare([a, b, c])
    assert {pair.a, pair.b} == {"a", "b"} and pair.jaccard > Decimal("0.9")
    assert pair.passages[0].chars == 400 and pair.passages[0].a_pages == (1, 2)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("D:20240826210107+08'00'", "2024-08-26T21:01:07+08:00"),
        ("D:20240826210107+08'00", "2024-08-26T21:01:07+08:00"),
        ("D:20240826130107Z", "2024-08-26T13:01:07+00:00"),
        ("D:20240826210107-05'30'", "2024-08-26T21:01:07-05:30"),
        ("D:2024", "2024-01-01T00:00:00+08:00"),  # no offset: Asia/Shanghai
        ("D:20241332000000", None),  # month 13
        ("2024-08-26", None),
        ("", None),
    ],
)
def test_pdf_dates(raw, expected):
    moment = text.pdf_date(raw)
    assert (moment.isoformat() if moment else None) == expected
