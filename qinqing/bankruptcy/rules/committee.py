"""Creditors' committee (债权人委员会, Art.67–69; Interp. III Art.13–15)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from qinqing.bankruptcy.rules.common import RuleError

COMMITTEE_MAX_MEMBERS = 9
COMMITTEE_CREDITOR = "creditor"
COMMITTEE_EMPLOYEE = "employee"  # 债务人的职工代表
COMMITTEE_UNION = "union"  # 工会代表
COMMITTEE_STAFF_KINDS = frozenset({COMMITTEE_EMPLOYEE, COMMITTEE_UNION})
REMOVED_BY_MEETING = "meeting"  # 债权人会议更换 (Art.61 para.1(8))
REMOVED_BY_COURT = "court"  # 人民法院撤销认可 (Art.67 para.2)


def committee_composition_problems(kinds: Sequence[str], *, complete: bool) -> list[str]:
    """What is wrong with a committee of members of these kinds (empty list: nothing).

    企业破产法 Art.67 para.1: the committee consists of the creditors' representatives chosen by
    the creditors' meeting and **one** representative of the debtor's employees or trade
    union; it has **no more than nine** members in all (the employee representative included).
    While the membership is being recorded (``complete=False``) only the limits are checked;
    for the court's approval (Art.67 para.2, ``complete=True``) there must also be at least one
    creditors' representative and exactly one employee or union representative.
    """
    unknown = set(kinds) - {COMMITTEE_CREDITOR} - COMMITTEE_STAFF_KINDS
    if unknown:
        raise RuleError(f"未知的委员类别：{', '.join(sorted(unknown))}")
    creditors = sum(1 for kind in kinds if kind == COMMITTEE_CREDITOR)
    staff = len(kinds) - creditors
    problems = []
    if len(kinds) > COMMITTEE_MAX_MEMBERS:
        problems.append(
            f"债权人委员会成员不得超过{COMMITTEE_MAX_MEMBERS}人（第67条第1款），现为{len(kinds)}人"
        )
    if staff > 1:
        problems.append("职工代表或者工会代表只能有一名（第67条第1款）")
    if complete and staff == 0:
        problems.append("债权人委员会须有一名债务人的职工代表或者工会代表（第67条第1款）")
    if complete and creditors == 0:
        problems.append("债权人委员会须有债权人会议选任的债权人代表（第67条第1款）")
    return problems


@dataclass(frozen=True)
class CommitteeChange:
    """The effect of removing (and perhaps replacing) a member: whether the court's approval
    stands for the membership that remains, and what is wrong with it (empty: nothing)."""

    approval_stands: bool
    problems: tuple[str, ...]


def committee_change(
    kinds: Sequence[str], removed: str, added: str | None, *, removed_by: str
) -> CommitteeChange:
    """Remove a member of kind ``removed`` from a committee of ``kinds`` (and, for a
    replacement, add one of kind ``added``).

    企业破产法 Art.61 para.1(8): the creditors' meeting chooses **and replaces** the committee's
    members (``REMOVED_BY_MEETING``); Art.67 para.2: the members serve with the court's written
    approval, which the court may withdraw for a member (``REMOVED_BY_COURT``; the court does
    not choose a replacement — the meeting does, and the court approves it). The committee must
    stay within Art.67 para.1: no more than nine members, **one** employee or union
    representative (``committee_composition_problems``).

    The approval stands only when no one is added and what remains is still a complete
    committee (at least one creditors' representative and the employee or union
    representative); a new member needs the court's approval (Art.67 para.2), and a committee
    left without its employee representative or without creditors' representatives is not in
    office until it is completed and approved again (Art.69 reports then go to the court).
    ``RuleError`` when a kind is unknown, ``removed`` is not among ``kinds``, or a court tries
    to name a replacement.
    """
    if removed_by not in (REMOVED_BY_MEETING, REMOVED_BY_COURT):
        raise RuleError(f"未知的决定机关：{removed_by!r}")
    if added is not None and removed_by == REMOVED_BY_COURT:
        raise RuleError("接替的委员由债权人会议选任（第61条第1款第8项），法院只作认可")
    remaining = list(kinds)
    if removed not in remaining:
        raise RuleError(f"委员会中没有该类别的委员：{removed!r}")
    remaining.remove(removed)
    if added is not None:
        remaining.append(added)
    limits = committee_composition_problems(remaining, complete=False)
    complete = committee_composition_problems(remaining, complete=True)
    return CommitteeChange(
        approval_stands=added is None and not complete,
        problems=tuple(limits),
    )


@dataclass(frozen=True)
class CommitteeTally:
    """A committee decision's count: members in office, yes, no, abstentions (or absent),
    the votes needed and whether it passed."""

    members: int
    yes: int
    no: int
    abstain: int
    needed: int
    passed: bool


def committee_decision(members: int, votes: Sequence[str]) -> CommitteeTally:
    """Whether the committee has decided a matter.

    最高人民法院《关于适用〈企业破产法〉若干问题的规定（三）》Art.14 para.1: the committee
    decides by a majority of **all** its members (全体成员过半数通过), not of those present —
    with 5 members 3 votes pass and 2 do not; with 4 members 3 pass and 2 (exactly half) do
    not. Members who did not vote count against. ``votes`` are "yes", "no" or "abstain", one per
    voting member.
    """
    if members < 1:
        raise RuleError("债权人委员会没有成员，不能表决")
    if len(votes) > members:
        raise RuleError(f"表决票数 {len(votes)} 多于委员人数 {members}")
    unknown = set(votes) - {"yes", "no", "abstain"}
    if unknown:
        raise RuleError(f"未知的表决意见：{', '.join(sorted(unknown))}")
    yes, no = votes.count("yes"), votes.count("no")
    needed = members // 2 + 1
    return CommitteeTally(
        members=members,
        yes=yes,
        no=no,
        abstain=len(votes) - yes - no,
        needed=needed,
        passed=yes >= needed,
    )


# Art.69 para.1 (1)–(10): the administrator's acts that must be reported in time.
ART69_ACTS: dict[str, str] = {
    "real_property": "涉及土地、房屋等不动产权益的转让",
    "mining_ip": "探矿权、采矿权、知识产权等财产权的转让",
    "inventory_business": "全部库存或者营业的转让",
    "borrowing": "借款",
    "security": "设定财产担保",
    "claims_securities": "债权和有价证券的转让",
    "contracts": "履行债务人和对方当事人均未履行完毕的合同",
    "waiver": "放弃权利",
    "collateral_recovery": "担保物的取回",
    "other_major": "对债权人利益有重大影响的其他财产处分行为",
}
ART69_REPORT_DAYS = 10
REPORT_TO_COMMITTEE = "committee"
REPORT_TO_COURT = "court"


def art69_reported_to(committee_in_office: bool) -> str:
    """To whom the administrator reports an Art.69 act.

    企业破产法 Art.69 para.1: to the creditors' committee; para.2: where no committee has been
    set up, to the court. A committee is in office once the court has approved its membership
    (Art.67 para.2); until then the court receives the reports.
    """
    return REPORT_TO_COMMITTEE if committee_in_office else REPORT_TO_COURT


def art69_report_late(act: str, act_date: date, reported_on: date) -> bool:
    """Whether the report of an Art.69 act came later than the rule allows.

    企业破产法 Art.69 requires the report "in time" (及时); Interp. III Art.15 para.1: the
    administrator reports in writing **ten days before** disposing of the property (提前十日书面报告).
    So a report made on ``act_date`` − 10 days or earlier is in time; nine days before is late.
    ``act`` must be one of ``ART69_ACTS``.
    """
    if act not in ART69_ACTS:
        raise RuleError(f"不是第69条规定的行为：{act}")
    return reported_on > act_date - timedelta(days=ART69_REPORT_DAYS)
