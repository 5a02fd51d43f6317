"""The law of sealed bids: the deadline, resubmission and withdrawal, the receipt's number.
Pure functions, no Django (the QQ-SEAL-1 format itself is in seal.py).

招标投标法 Art.28: bids arrive before the deadline; one arriving after it is refused.
招标投标法 Art.29: before the deadline a bidder may supplement, amend or withdraw its bid.
电子招标投标办法 Art.25: the transmission completes before the deadline, a bid arriving after it
is refused by the platform; Art.26: a receipt (确认回执) is issued at once on receipt.
"""

from __future__ import annotations

from datetime import datetime

from qinqing.bidding.rules import RuleError


def _when(moment: datetime) -> str:
    return f"{moment:%Y年%m月%d日 %H:%M}"


def check_open(*, now: datetime, deadline: datetime | None, action: str = "递交") -> None:
    """Accept a submission or a withdrawal only strictly before the bid deadline (招标投标法
    Art.28, Art.29; 电子招标投标办法 Art.25): at the deadline itself nothing is accepted.
    `deadline` is given in the time zone the message should show."""
    if deadline is None:
        raise RuleError("本标段尚未设定投标截止时间，暂不接受投标文件")
    if now >= deadline:
        raise RuleError(
            f"投标截止时间（{_when(deadline)}）已过，不能再{action}投标文件"
            "（招标投标法第二十八条、第二十九条）"
        )


def receipt_number(*, issued_at: datetime, section_id: int, bid_id: int, withdrawal: bool) -> str:
    """The receipt's number: date, section, the bid's serial and ``C`` for a withdrawal, e.g.
    ``HZ20261207-12-000345`` and ``HZ20261209-12-000345-C`` (电子招标投标办法 Art.26: a receipt
    for every submission; one submission and at most one withdrawal per bid, so it is unique)."""
    if bid_id <= 0 or section_id <= 0:
        raise RuleError("投标文件序号和标段编号须为正整数")
    return f"HZ{issued_at:%Y%m%d}-{section_id}-{bid_id:06d}" + ("-C" if withdrawal else "")
