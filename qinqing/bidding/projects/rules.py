"""The rule set of a kind of tender, and what it bounds before an evaluation may start: enough
bidders and a valid committee (pure: no Django; conventions in `qinqing.bidding.rules`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from qinqing.bidding.rules import RuleError

# --------------------------------------------------------------------------------------------
# Rule sets
# --------------------------------------------------------------------------------------------


RuleSetKind = Literal["construction", "procurement"]
DeviationBasis = Literal["item", "total"]
MeanOf = Literal["others", "all"]


@dataclass(frozen=True)
class RuleSet:
    """The configurable numbers of one kind of tender; defaults follow the design.

    - ``max_age``: an expert is excluded when their age in whole years on the evaluation date
      exceeds it [unverified default 70].
    - ``frequency_count`` / ``frequency_days``: excluded when drawn at least that many times in
      the last ``frequency_days`` days; ``per_tenderer_count``: excluded when drawn at least
      that many times for the same tenderer in the same window (default 2).
    - ``past_relation_years``: look-back of employment/director/shareholder relations.
    - committee: at least ``committee_min_size`` members, odd if ``committee_odd``, experts at
      least ``expert_share`` of members (招标投标法 Art.37); for procurement at least
      ``large_budget_min_size`` members when the budget is >= ``large_budget`` yuan.
    - score deviation: ``deviation_threshold`` (ratio), ``deviation_basis`` ("item" or
      "total"), ``deviation_mean_of`` ("others" or "all") [unverified defaults].
    """

    name: str
    kind: RuleSetKind
    max_age: int = 70
    frequency_count: int = 4
    frequency_days: int = 30
    per_tenderer_count: int = 2
    past_relation_years: int = 3
    committee_min_size: int = 5
    committee_odd: bool = True
    expert_share: Fraction = Fraction(2, 3)
    large_budget: Decimal = Decimal("10000000")
    large_budget_min_size: int = 7
    deviation_threshold: Decimal = Decimal("0.30")
    deviation_basis: DeviationBasis = "item"
    deviation_mean_of: MeanOf = "others"

    def __post_init__(self) -> None:
        if self.kind not in ("construction", "procurement"):
            raise RuleError(f"规则集类型无效：{self.kind}")
        if self.deviation_basis not in ("item", "total"):
            raise RuleError(f"偏离度计算口径无效：{self.deviation_basis}")
        if self.deviation_mean_of not in ("others", "all"):
            raise RuleError(f"偏离度均值口径无效：{self.deviation_mean_of}")


CONSTRUCTION = RuleSet(name="工程建设项目招标", kind="construction")
PROCUREMENT = RuleSet(name="政府采购", kind="procurement")


# --------------------------------------------------------------------------------------------
# Committee composition
# --------------------------------------------------------------------------------------------


def committee_is_valid(
    total_members: int,
    expert_members: int,
    ruleset: RuleSet,
    budget: Decimal | None,
    *,
    complex_project: bool = False,
) -> list[str]:
    """Problems with a committee's composition (empty = valid).

    招标投标法 Art.37: five or more members, an odd number, experts at least two thirds.
    87号令 Art.47 (procurement rule set): seven or more when the budget is 10,000,000 yuan or
    more (以上 includes the amount itself), or when the project is technically complex or of
    great social impact (``complex_project``, the project's own flag, whatever its budget);
    the budget is required for that rule set. Numbers come from ``ruleset``.
    """
    problems = []
    if not 0 <= expert_members <= total_members:
        problems.append(f"专家人数 {expert_members} 与成员总数 {total_members} 不符")
    min_size = ruleset.committee_min_size
    if ruleset.kind == "procurement":
        if budget is None:
            problems.append("政府采购项目须提供采购预算金额")
        elif budget >= ruleset.large_budget:
            min_size = max(min_size, ruleset.large_budget_min_size)
        if complex_project:
            min_size = max(min_size, ruleset.large_budget_min_size)
    if total_members < min_size:
        reason = ""
        if min_size > ruleset.committee_min_size:
            reason = "（政府采购货物和服务招标投标管理办法第四十七条：预算金额 1000 万元以上、技术复杂或社会影响较大）"
        problems.append(f"评标委员会成员应不少于 {min_size} 人，现为 {total_members} 人{reason}")
    if ruleset.committee_odd and total_members % 2 == 0:
        problems.append(f"评标委员会成员人数应为单数，现为 {total_members} 人")
    if expert_members < ruleset.expert_share * total_members:
        problems.append(
            f"技术、经济等方面的专家应不少于成员总数的 {ruleset.expert_share}，"
            f"现为 {expert_members}/{total_members}"
        )
    return problems


def representatives_max(committee_size: int, ruleset: RuleSet) -> int:
    """The most tenderer's representatives a committee of `committee_size` may hold.

    招标投标法 Art.37 para.2: "评标委员会由招标人的代表和有关技术、经济等方面的专家组成，成员人数
    为五人以上单数，其中技术、经济等方面的专家不得少于成员总数的三分之二" — so the
    representatives are at most the members beyond the experts' share: the largest r with
    committee_size − r ≥ share × committee_size (a third, rounded down, for 2/3: 1 of 5, 2 of 7,
    3 of 9). 87号令 Art.47 says the same of the purchaser's representatives (采购人代表) in
    government procurement, and Art.48 adds that they may not sit as evaluation experts.
    """
    if committee_size < 0:
        raise RuleError("评标委员会成员人数不能为负数")
    share = ruleset.expert_share
    return math.floor(committee_size * (1 - share))


def expert_seats(committee_size: int, representatives: int, ruleset: RuleSet) -> int:
    """The experts to draw for a committee of `committee_size` with `representatives` of the
    tenderer: the draw fills only the expert seats (实施条例 Art.46: experts are drawn at
    random; the representatives are named by the tenderer, 招标投标法 Art.37 para.2).
    Too many representatives for the size is a RuleError naming the article."""
    if representatives < 0:
        raise RuleError("招标人代表人数不能为负数")
    allowed = representatives_max(committee_size, ruleset)
    if representatives > allowed:
        raise RuleError(
            f"招标人代表 {representatives} 人超过成员总数 {committee_size} 人时的上限 {allowed} 人："
            f"技术、经济等方面的专家不得少于成员总数的 {ruleset.expert_share}"
            "（招标投标法第三十七条第二款）"
        )
    return committee_size - representatives


MIN_BIDDERS = 3


def bidders_sufficient(bidder_count: int) -> list[str]:
    """Problems with the number of bidders before evaluation starts (empty = enough).

    招标投标法实施条例 Art.44: with fewer than 3 bidders the bids are not opened and the
    tenderer re-tenders; so an evaluation session cannot start with fewer than 3.
    """
    if bidder_count < MIN_BIDDERS:
        return [
            f"投标人少于 {MIN_BIDDERS} 个（现为 {bidder_count} 个），不得开标评标，"
            "招标人应当依法重新招标（招标投标法实施条例第四十四条）"
        ]
    return []
