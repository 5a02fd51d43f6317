"""The law of the remote opening (不见面开标). Pure functions, no Django.

招标投标法 Art.34: the opening is held in public at the bid deadline.
招标投标法 Art.36: the bids are opened and the bidders' names, prices and the other main contents
are read out (唱标), and the opening is recorded.
招标投标法实施条例 Art.44: fewer than three bidders, no opening; a bidder's objection to the
opening is raised at the opening and answered on the spot, and recorded.
电子招标投标办法 Art.29-31: the electronic opening takes place online at the deadline; each
bidder decrypts its own bid; a bid that cannot be decrypted within the time the tender
documents set is handled as they say.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta

from qinqing.bidding.projects.rules import bidders_sufficient
from qinqing.bidding.rules import RuleError

KEY_BYTES = 32
MIN_WINDOW = 1
MAX_WINDOW = 240
MAX_TEXT = 2000


def _when(moment: datetime) -> str:
    return f"{moment:%Y年%m月%d日 %H:%M}"


def check_may_open(*, now: datetime, deadline: datetime | None) -> None:
    """The hall opens at the bid deadline, not before (招标投标法 Art.34; 电子招标投标办法
    Art.29). `deadline` in the time zone the message should show."""
    if deadline is None:
        raise RuleError("本标段尚未设定投标截止时间，不能开标")
    if now < deadline:
        raise RuleError(f"投标截止时间（{_when(deadline)}）未到，不能开标（招标投标法第三十四条）")


def opening_problems(valid_bids: int) -> list[str]:
    """Fewer than three valid bids (not withdrawn, not replaced): no opening (实施条例 Art.44,
    the rule `projects.rules.bidders_sufficient`)."""
    return bidders_sufficient(valid_bids)


def check_window(minutes: int) -> int:
    """The decryption window the tender documents set, in minutes, 1–240 (电子招标投标办法
    Art.31: the bidder decrypts within the time the tender documents set)."""
    if not isinstance(minutes, int) or isinstance(minutes, bool):
        raise RuleError("解密时限须为整数分钟")
    if not MIN_WINDOW <= minutes <= MAX_WINDOW:
        raise RuleError(f"解密时限须在 {MIN_WINDOW} 至 {MAX_WINDOW} 分钟之间")
    return minutes


def decrypt_until(started_at: datetime, minutes: int) -> datetime:
    """When the window closes (电子招标投标办法 Art.31)."""
    return started_at + timedelta(minutes=check_window(minutes))


def window_open(*, now: datetime, until: datetime) -> bool:
    """A key arriving at the closing instant itself is late (电子招标投标办法 Art.31)."""
    return now < until


def late_reason(treatment: str, until: datetime) -> str:
    """What is recorded of a bid not decrypted in the window (电子招标投标办法 Art.31: as the
    tender documents say; by default it is deemed withdrawn)."""
    if treatment == "rejected":
        outcome = "按招标文件规定视为投标无效"
    else:
        outcome = "按招标文件规定视为撤回投标文件"
    return f"未在解密时限（{_when(until)}）内解密，{outcome}（电子招标投标办法第三十一条）"


def after_window(decrypted: int) -> list[str]:
    """After the window: fewer than three decrypted bids leave fewer than three bids to open
    (实施条例 Art.44)."""
    return opening_problems(decrypted)


def content_key(text) -> bytes:
    """The content key the bidder's browser unwrapped: 32 bytes in standard Base64 (QQ-SEAL-1
    §2; 电子招标投标办法 Art.30: the bidder decrypts its own bid — never its passphrase)."""
    if not isinstance(text, str) or len(text) > 64:
        raise RuleError("解密密钥应为 Base64 文本")
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise RuleError("解密密钥不是有效的 Base64") from None
    if len(key) != KEY_BYTES:
        raise RuleError(f"解密密钥应为 {KEY_BYTES} 字节，实为 {len(key)} 字节")
    return key


def check_text(text, label: str) -> str:
    """An objection or an answer: not empty, at most 2000 characters (实施条例 Art.44)."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError(f"请填写{label}")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise RuleError(f"{label}不能超过 {MAX_TEXT} 个字符")
    return text
