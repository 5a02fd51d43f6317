"""The law from the evaluation report to the award. Pure functions, no Django.

招标投标法实施条例 Art.54: the tenderer publishes the candidates within 3 days of receiving the
report, for at least 3 days; an objection to the evaluation result is raised during the
publication, the tenderer answers within 3 days of receiving it, and pauses the procedure
until it has answered.
招标投标法实施条例 Art.55: for a project the State funds or controls, the first-ranked candidate
is the winner.
招标投标法实施条例 Art.60: a complaint to the supervising department within 10 days of the day
the complainant knew or should have known; on the matters of Art.22, 44 and 54 an objection to
the tenderer comes first, and the time the answer takes is not counted in the 10 days.
招标投标法实施条例 Art.61: the department decides within 3 working days whether to accept the
complaint and decides it within 30 working days of accepting it.
招标投标法实施条例 Art.62: the department may order the procedure suspended while it handles the
complaint.
招标投标法 Art.45: the award notice to the winner, the result notices to the other bidders.
招标投标法 Art.46: the tenderer and the winner sign the written contract within 30 days of the
award notice, on the tender documents and the winning bid, and make no other agreement departing
from its substance; 实施条例 Art.57: the contract's subject, price, quality and term agree with
them.

Days are counted as 民法典 Art.201 says: a period in days starts the day after the event, and
ends at the end of its last day (here: the local midnight after it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from qinqing.bidding.rules import RuleError

PUBLISH_WITHIN_DAYS = 3
MIN_PUBLICATION_DAYS = 3
MAX_PUBLICATION_DAYS = 30
ANSWER_WITHIN_DAYS = 3
COMPLAINT_WITHIN_DAYS = 10
ACCEPT_WITHIN_WORKING_DAYS = 3
DECIDE_WITHIN_WORKING_DAYS = 30
MAX_CANDIDATES = 3
MAX_TEXT = 2000
CONTRACT_WITHIN_DAYS = 30
MAX_CONTRACT_NUMBER = 60


@dataclass(frozen=True)
class Candidate:
    """One candidate as the sealed report has it (no expert data)."""

    rank: int
    bidder: str
    uscc: str
    total: Decimal | None
    evaluated_price: Decimal | None
    bid_price: Decimal | None


def _end_of(day: date, tz) -> datetime:
    """The end of `day`: the local midnight after it."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def publication_deadline(received_on: date) -> date:
    """The last day to publish the candidates: 3 days after the day the report was received
    (实施条例 Art.54 para.1; the count starts the next day)."""
    return received_on + timedelta(days=PUBLISH_WITHIN_DAYS)


def publication_late(*, received_on: date, published_on: date) -> bool:
    """Published after the last day (实施条例 Art.54 para.1)? Late publication is still made
    (the candidates must be published) but recorded as late."""
    if published_on < received_on:
        raise RuleError("公示日期不能早于收到评标报告的日期")
    return published_on > publication_deadline(received_on)


def check_period(days) -> int:
    """The publication period in calendar days: at least 3 (实施条例 Art.54 para.1), at most 30
    (a bound of this platform, not of law)."""
    if not isinstance(days, int) or isinstance(days, bool):
        raise RuleError("公示期须为整数日")
    if days < MIN_PUBLICATION_DAYS:
        raise RuleError(f"公示期不得少于 {MIN_PUBLICATION_DAYS} 日（招标投标法实施条例第五十四条）")
    if days > MAX_PUBLICATION_DAYS:
        raise RuleError(f"公示期不超过 {MAX_PUBLICATION_DAYS} 日")
    return days


def publication_ends(published_at: datetime, days: int) -> datetime:
    """When the publication ends: the end of the `days`-th day after the day it starts
    (实施条例 Art.54 para.1: at least 3 days; the day of publication is not counted).
    `published_at` aware, in the time zone the days are counted in."""
    check_period(days)
    return _end_of(published_at.date() + timedelta(days=days), published_at.tzinfo)


def publication_running(*, now: datetime, ends_at: datetime) -> bool:
    """The publication runs until its end; at the end instant itself it is over."""
    return now < ends_at


def check_candidates(candidates: list[Candidate]) -> list[Candidate]:
    """The candidates to publish: the report's, ranked, 1 to 3 of them (实施条例 Art.53-54)."""
    if not candidates:
        raise RuleError("评标报告没有推荐中标候选人，无需公示（应依法重新招标）")
    if len(candidates) > MAX_CANDIDATES:
        raise RuleError("中标候选人不得超过 3 名（招标投标法实施条例第五十三条）")
    ranked = sorted(candidates, key=lambda c: c.rank)
    if [c.rank for c in ranked] != list(range(1, len(ranked) + 1)):
        raise RuleError("中标候选人的排序须从 1 开始连续")
    return ranked


def check_may_object(*, now: datetime, published_at: datetime, ends_at: datetime) -> None:
    """An objection to the evaluation result is raised during the publication (实施条例
    Art.54 para.2)."""
    if now < published_at:
        raise RuleError("公示尚未开始")
    if not publication_running(now=now, ends_at=ends_at):
        raise RuleError(
            "公示期已结束，对评标结果的异议应在公示期间提出（招标投标法实施条例第五十四条）"
        )


def answer_due(raised_at: datetime) -> datetime:
    """The tenderer answers within 3 days of the day it received the objection: until the end
    of the 3rd day after it (实施条例 Art.54 para.2)."""
    return _end_of(raised_at.date() + timedelta(days=ANSWER_WITHIN_DAYS), raised_at.tzinfo)


def answer_overdue(*, now: datetime, due: datetime, answered: bool) -> bool:
    """Not answered and the answer period is over (实施条例 Art.54 para.2)."""
    return not answered and now >= due


def check_text(text, label: str) -> str:
    """An objection, answer, complaint or decision: not empty, at most 2000 characters."""
    if not isinstance(text, str) or not text.strip():
        raise RuleError(f"请填写{label}")
    text = text.strip()
    if len(text) > MAX_TEXT:
        raise RuleError(f"{label}不能超过 {MAX_TEXT} 个字符")
    return text


def complaint_deadline(knew_on: date) -> date:
    """The last day to complain: 10 days after the day the complainant knew or should have known
    (实施条例 Art.60 para.1). For a matter that needs an objection first (Art.22, 44, 54) the
    caller passes the day the answer was received (or the answer period ran out): the answer
    period is not counted (Art.60 para.2)."""
    return knew_on + timedelta(days=COMPLAINT_WITHIN_DAYS)


def check_may_complain(
    *,
    today: date,
    knew_on: date,
    objection_first: bool,
    objection_settled_on: date | None,
) -> date:
    """May a complaint be lodged today? Returns the day the 10 days count from.

    `objection_first`: the complaint is about a matter of 实施条例 Art.22, 44 or 54 (here: the
    evaluation result, Art.54), which must first go to the tenderer as an objection (Art.60
    para.2); `objection_settled_on` is the day it was answered or its answer period ran out,
    None while it is pending or when none was raised."""
    if knew_on > today:
        raise RuleError("知道或者应当知道的日期不能晚于今天")
    start = knew_on
    if objection_first:
        if objection_settled_on is None:
            raise RuleError(
                "对评标结果投诉的，应当先向招标人提出异议，并在招标人答复（或答复期满）后投诉"
                "（招标投标法实施条例第六十条第二款）"
            )
        start = max(knew_on, objection_settled_on)
    if today > complaint_deadline(start):
        raise RuleError(
            f"投诉期已过：应自知道或者应当知道之日起 {COMPLAINT_WITHIN_DAYS} 日内投诉"
            f"（最迟 {complaint_deadline(start):%Y年%m月%d日}，招标投标法实施条例第六十条）"
        )
    return start


def accept_due(lodged_on: date, add_working_days: Callable[[date, int], date]) -> date:
    """The department decides whether to accept within 3 working days of receiving the
    complaint (实施条例 Art.61 para.1). `add_working_days` is the platform's calendar."""
    return add_working_days(lodged_on, ACCEPT_WITHIN_WORKING_DAYS)


def decision_due(accepted_on: date, add_working_days: Callable[[date, int], date]) -> date:
    """The written decision within 30 working days of accepting (实施条例 Art.61 para.2)."""
    return add_working_days(accepted_on, DECIDE_WITHIN_WORKING_DAYS)


@dataclass(frozen=True)
class Blockers:
    """What stands between the publication and the award notice."""

    running: bool  # the publication period is not over
    open_objections: int  # objections not answered (Art.54 para.2: paused)
    suspended: bool  # a complaint with an order to suspend, not decided (Art.62)


def award_problems(blockers: Blockers) -> list[str]:
    """Why the award notice cannot be issued yet (招标投标法 Art.45; 实施条例 Art.54, 62)."""
    problems = []
    if blockers.running:
        problems.append("中标候选人公示期尚未结束（招标投标法实施条例第五十四条）")
    if blockers.open_objections:
        problems.append(
            f"尚有 {blockers.open_objections} 件异议未答复，答复前暂停招标投标活动"
            "（招标投标法实施条例第五十四条）"
        )
    if blockers.suspended:
        problems.append(
            "行政监督部门已责令暂停招标投标活动，投诉尚未处理完毕（招标投标法实施条例第六十二条）"
        )
    return problems


def winner(candidates: list[Candidate]) -> Candidate:
    """The first-ranked candidate (实施条例 Art.55)."""
    return check_candidates(candidates)[0]


# --- the contract (招标投标法 Art.46; 实施条例 Art.57) ---------------------------------------


def contract_deadline(issued_on: date) -> date:
    """The last day to sign the contract: the 30th day after the day the award notice was
    issued (招标投标法 Art.46 para.1; 民法典 Art.201: the count starts the next day)."""
    return issued_on + timedelta(days=CONTRACT_WITHIN_DAYS)


def contract_late(*, issued_on: date, signed_on: date) -> bool:
    """Signed after the last day (招标投标法 Art.46 para.1)? A late contract is still recorded
    (it exists), and flagged."""
    if signed_on < issued_on:
        raise RuleError(
            "合同签订日期不能早于中标通知书发出日期（招标投标法第四十六条）", field="signed_on"
        )
    return signed_on > contract_deadline(issued_on)


def check_contract(*, number, signed_on: date, today: date, amount, awarded: Decimal) -> tuple:
    """The contract as recorded: its number, a signing day not in the future, and a price equal
    to the winning bid's (招标投标法 Art.46 para.1: no agreement departing from the substance of
    the tender and the bid; 实施条例 Art.57: the price agrees with the bid). Returns
    (number, amount)."""
    if not isinstance(number, str) or not number.strip():
        raise RuleError("请填写合同编号", field="number")
    number = number.strip()
    if len(number) > MAX_CONTRACT_NUMBER:
        raise RuleError(f"合同编号不超过 {MAX_CONTRACT_NUMBER} 个字符", field="number")
    if signed_on > today:
        raise RuleError("合同签订日期不能晚于今天", field="signed_on")
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise RuleError("合同金额应为正数", field="amount")
    if amount != awarded:
        raise RuleError(
            f"合同金额 {amount:,.2f} 元与中标价 {awarded:,.2f} 元不一致：合同价款应当与中标人的"
            "投标文件一致，不得订立背离合同实质性内容的协议（招标投标法第四十六条、"
            "实施条例第五十七条）",
            field="amount",
        )
    return number, amount


# --- the winner falls away (实施条例 Art.55, Art.74) -----------------------------------------

# Why the winner no longer stands: Art.55's cases, and Art.74's refusal to sign the contract
# (the same consequence: the tenderer may turn to the next candidate).
FALLS_AWAY = {
    "gave_up": "放弃中标（招标投标法实施条例第五十五条）",
    "force_majeure": "因不可抗力不能履行合同（招标投标法实施条例第五十五条）",
    "no_bond": "不按照招标文件要求提交履约保证金（招标投标法实施条例第五十五条）",
    "unlawful": "被查实存在影响中标结果的违法行为（招标投标法实施条例第五十五条）",
    "not_signed": "无正当理由不与招标人订立合同（招标投标法实施条例第七十四条）",
}
NEXT_CANDIDATE, RETENDER = "next", "retender"


def current_winner(candidates: list[Candidate], fallen: frozenset[str]) -> Candidate | None:
    """The winner once the bidders in `fallen` (USCCs) fell away: the best-ranked candidate
    left, in the committee's order (实施条例 Art.55); None when none is left."""
    return next((c for c in check_candidates(candidates) if c.uscc not in fallen), None)


def succession(
    candidates: list[Candidate],
    *,
    fallen: frozenset[str],
    leaving: str,
    reason: str,
    decision: str,
) -> Candidate | None:
    """The tenderer's decision when the winner `leaving` (USCC) falls away (实施条例 Art.55):
    award to the next candidate in the committee's order (returned), or re-tender (None).
    Only the current winner can fall away, for one of Art.55's (or Art.74's) reasons; with no
    candidate left the only way is to re-tender."""
    if reason not in FALLS_AWAY:
        raise RuleError(
            "请选择中标人不再中标的法定情形（招标投标法实施条例第五十五条）", field="reason"
        )
    if decision not in (NEXT_CANDIDATE, RETENDER):
        raise RuleError("请选择依次确定其他中标候选人为中标人，或者重新招标", field="decision")
    winner_now = current_winner(candidates, fallen)
    if winner_now is None or winner_now.uscc != leaving:
        raise RuleError("只有当前的中标人才能放弃中标或被取消中标资格", field="reason")
    if decision == RETENDER:
        return None
    following = current_winner(candidates, fallen | {leaving})
    if following is None:
        raise RuleError(
            "已没有其他中标候选人，应当依法重新招标（招标投标法实施条例第五十五条）",
            field="decision",
        )
    return following
