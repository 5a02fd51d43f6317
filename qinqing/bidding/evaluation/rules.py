"""The law and maths of the evaluation (pure: no Django; conventions in `qinqing.bidding.rules`):
scoring and ranking, and the time limits of failures during a remote evaluation."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Literal

from qinqing.bidding.draw.rules import qq_draw_1
from qinqing.bidding.projects.rules import DeviationBasis, MeanOf
from qinqing.bidding.rules import RuleError

# --------------------------------------------------------------------------------------------
# Scoring and ranking
# --------------------------------------------------------------------------------------------


DROP_EXTREMES_MIN_EXPERTS = 7
MAX_CANDIDATES = 3


def _exact(value: Decimal | Fraction | int) -> Fraction:
    """The exact value of a score or amount; floats and non-finite Decimals are refused."""
    if isinstance(value, float) or (isinstance(value, Decimal) and not value.is_finite()):
        raise RuleError(f"分值和金额须为有限的 Decimal，不能为浮点数：{value!r}")
    return Fraction(value)


def round_half_up(value: Decimal | Fraction, places: int = 2) -> Decimal:
    """Round an exact value half up (away from zero on a tie) to ``places`` decimal places."""
    exact = _exact(value) * 10**places
    magnitude = math.floor(abs(exact) + Fraction(1, 2))
    return Decimal(magnitude if exact >= 0 else -magnitude).scaleb(-places)


def _check_prices(prices: Mapping[str, Decimal]) -> None:
    if not prices:
        raise RuleError("没有有效投标报价")
    for bidder, price in prices.items():
        if _exact(price) <= 0:
            raise RuleError(f"投标报价必须大于零：{bidder}")


def low_price_scores(prices: Mapping[str, Decimal], weight: Decimal) -> dict[str, Decimal]:
    """Price scores by the low-price benchmark (低价优先法, 87号令 Art.55).

    ``benchmark = the lowest valid price``; ``score = weight * benchmark / price``, exact, then
    rounded half up to 2 places. ``prices`` holds the valid bids only.
    """
    _check_prices(prices)
    benchmark = min(prices.values())
    return {
        bidder: round_half_up(_exact(weight) * _exact(benchmark) / _exact(price))
        for bidder, price in prices.items()
    }


def mean_benchmark(
    prices: Mapping[str, Decimal], k: Decimal, *, drop_extremes_from: int | None = None
) -> Fraction:
    """The benchmark price ``k * mean(prices)`` of the compliant bids (基准价), exact.

    When ``drop_extremes_from`` is set and there are at least that many bids, one highest and
    one lowest price are left out of the mean. The tender documents set ``k`` (or its range,
    see ``k_draw``); no statute fixes it (暂行规定 Art.17: the committee scores by the
    standards and method of the tender documents only).
    """
    _check_prices(prices)
    if _exact(k) <= 0:
        raise RuleError("K 值须大于零")
    if drop_extremes_from is not None and drop_extremes_from < 3:
        raise RuleError("去掉最高价和最低价的最少投标数应不少于 3")
    basis = sorted(_exact(p) for p in prices.values())
    if drop_extremes_from is not None and len(basis) >= drop_extremes_from:
        basis = basis[1:-1]
    return _exact(k) * sum(basis) / len(basis)


def deviation_scores(
    prices: Mapping[str, Decimal],
    weight: Decimal,
    *,
    benchmark: Decimal | Fraction,
    deduct_above: Decimal,
    deduct_below: Decimal,
) -> dict[str, Decimal]:
    """Price scores by deviation from a benchmark, with one slope above and one below it
    (偏差率扣分法; the formula and its slopes are those of the tender documents, 暂行规定 Art.17).

    ``deviation = (price - benchmark) / benchmark * 100`` (percent, exact, not rounded);
    ``score = weight - deduct_above * deviation`` above the benchmark, ``weight - deduct_below
    * |deviation|`` below it, never below 0; a bid exactly at the benchmark gets ``weight``.
    Rounded half up to 2 places once, at the end.
    """
    _check_prices(prices)
    base = _exact(benchmark)
    if base <= 0:
        raise RuleError("基准价须大于零")
    if _exact(deduct_above) < 0 or _exact(deduct_below) < 0:
        raise RuleError("偏离扣分不能为负数")
    scores = {}
    for bidder, price in prices.items():
        deviation = (_exact(price) - base) / base * 100
        rate = deduct_above if deviation > 0 else deduct_below
        score = max(_exact(weight) - _exact(rate) * abs(deviation), Fraction(0))
        scores[bidder] = round_half_up(score)
    return scores


def k_factor_scores(
    prices: Mapping[str, Decimal],
    weight: Decimal,
    *,
    k: Decimal,
    deduct_above: Decimal,
    deduct_below: Decimal,
    drop_extremes_from: int | None = None,
) -> dict[str, Decimal]:
    """Price scores against a K-factor benchmark (the tender documents' formula, 暂行规定
    Art.17; no statute fixes K).

    ``benchmark = k * mean(prices)`` (``mean_benchmark``), then ``deviation_scores`` with the
    two slopes. The same formula serves a fixed K and a K drawn at the opening (``k_draw``).
    """
    benchmark = mean_benchmark(prices, k, drop_extremes_from=drop_extremes_from)
    return deviation_scores(
        prices, weight, benchmark=benchmark, deduct_above=deduct_above, deduct_below=deduct_below
    )


MAX_K_VALUES = 1000


def k_values(k_min: Decimal, k_max: Decimal, step: Decimal) -> list[Decimal]:
    """The K values a published range allows: ``k_min, k_min + step, ..., k_max``.

    The tender documents publish the range and the step (暂行规定 Art.17); ``k_max - k_min``
    must be a whole number of steps, at most 1000 values. Each value is written with the
    places the range and step need, at least two (0.95, 0.96, ... 1.05 for 0.9500–1.0500 by
    0.0100): these texts are the draw's pool.
    """
    lo, hi, st = _exact(k_min), _exact(k_max), _exact(step)
    if lo <= 0 or hi < lo:
        raise RuleError("K 值区间无效：下限须大于零且不大于上限")
    if st <= 0:
        raise RuleError("K 值步长须大于零")
    count = (hi - lo) / st
    if count.denominator != 1:
        raise RuleError("K 值区间的上下限之差须为步长的整数倍")
    if count + 1 > MAX_K_VALUES:
        raise RuleError(f"K 值区间内的取值不能超过 {MAX_K_VALUES} 个")
    exponents = (
        Decimal(k_min).normalize().as_tuple().exponent,
        Decimal(step).normalize().as_tuple().exponent,
    )
    places = max(2, -min(exponents))
    quantum = Decimal(1).scaleb(-places)
    return [(Decimal(k_min) + Decimal(step) * n).quantize(quantum) for n in range(int(count) + 1)]


def k_draw(k_min: Decimal, k_max: Decimal, step: Decimal, lot: Lot) -> Decimal:
    """The K coefficient drawn at the opening from the published range (暂行规定 Art.17: the
    documents' method), by the verifiable lot QQ-DRAW-1: the pool is the range's values as
    text (``k_values``), one drawn, ``draw_id`` = ``lot.draw_id``. Anyone can recompute it from
    the published nonce and witness entropy.
    """
    pool = [str(v) for v in k_values(k_min, k_max, step)]
    (drawn,) = qq_draw_1(
        pool,
        server_nonce=lot.server_nonce,
        witness_entropy=lot.witness_entropy,
        draw_id=lot.draw_id,
        quota=1,
        backups=0,
    )
    return Decimal(drawn)


# --------------------------------------------------------------------------------------------
# Abnormally low bids (评标委员会和评标方法暂行规定 Art.21; 87号令 Art.60)
# --------------------------------------------------------------------------------------------

LowBidBasis = Literal["others", "all"]
DEFAULT_LOW_BID_SHARE = Decimal("0.80")


@dataclass(frozen=True)
class LowBidRule:
    """When a bid counts as abnormally low, as the tender documents set it.

    - ``share``: flagged when the price is strictly below ``share`` × the mean of the compliant
      bids (None: no such test). Default 0.80 [practice, not law: the statutes say only
      "明显低于"; the documents fix the share].
    - ``basis``: "others" (default) takes the mean of the *other* compliant bids, as both
      statutes word it (暂行规定 Art.21 "明显低于其他投标报价"; 87号令 Art.60 "明显低于其他通过
      符合性审查投标人的报价"); "all" includes the bid itself.
    - ``cost_line``: flagged when the price is strictly below this amount, the cost line (or
      a share of the 标底) the documents give (None: no such test).

    A price exactly at a threshold is not flagged.
    """

    share: Decimal | None = DEFAULT_LOW_BID_SHARE
    basis: LowBidBasis = "others"
    cost_line: Decimal | None = None

    def __post_init__(self) -> None:
        if self.share is not None and not 0 < _exact(self.share) <= 1:
            raise RuleError("异常低价比例须大于 0 且不大于 1")
        if self.basis not in ("others", "all"):
            raise RuleError(f"异常低价平均价口径无效：{self.basis}")
        if self.cost_line is not None and _exact(self.cost_line) <= 0:
            raise RuleError("成本警戒线须大于零")


@dataclass(frozen=True)
class LowBidTrip:
    """One test a bid failed: ``test`` "share" (``threshold`` = share × mean, rounded half up
    to the cent, ``mean`` the mean it was taken of) or "cost_line" (``threshold`` = the line)."""

    test: Literal["share", "cost_line"]
    threshold: Decimal
    mean: Decimal | None = None


@dataclass(frozen=True)
class LowBidFlag:
    """A bid the committee must ask to explain in writing before price scoring."""

    bidder: str
    price: Decimal
    trips: tuple[LowBidTrip, ...]


def abnormally_low(bids: Mapping[str, Decimal], *, rule: LowBidRule) -> list[LowBidFlag]:
    """The compliant bids whose price is abnormally low under ``rule``, each with the figure
    that tripped it (评标委员会和评标方法暂行规定 Art.21; 87号令 Art.60).

    ``bids``: bidder -> quoted price of the bids that passed the preliminary (compliance)
    review. A bid is flagged when its price is strictly below ``rule.share`` × the mean (of
    the other bids, or of all, per ``rule.basis``) or strictly below ``rule.cost_line``;
    comparisons are exact, so a price exactly at a threshold is not flagged. With "others"
    and a single bid there is nothing to compare with. The result is ordered by price, then
    bidder, whatever the order of ``bids``. The flag only opens the procedure: the bidder
    explains in writing and the committee decides (``low_bid_decision``).
    """
    _check_prices(bids)
    exact = {bidder: _exact(price) for bidder, price in bids.items()}
    total = sum(exact.values())
    flags = []
    for bidder, price in sorted(exact.items(), key=lambda pair: (pair[1], pair[0])):
        trips = []
        if rule.share is not None:
            if rule.basis == "others":
                mean = (total - price) / (len(exact) - 1) if len(exact) > 1 else None
            else:
                mean = total / len(exact)
            if mean is not None and price < _exact(rule.share) * mean:
                trips.append(
                    LowBidTrip(
                        "share", round_half_up(_exact(rule.share) * mean), round_half_up(mean)
                    )
                )
        if rule.cost_line is not None and price < _exact(rule.cost_line):
            trips.append(LowBidTrip("cost_line", Decimal(rule.cost_line)))
        if trips:
            flags.append(LowBidFlag(bidder, bids[bidder], tuple(trips)))
    return flags


def low_bid_decision(votes: Mapping[str, bool], members: int) -> bool | None:
    """The committee's conclusion on a flagged bid's written explanation: True (accepted: the
    bid stays), False (rejected: the bid is refused as priced below cost, 暂行规定 Art.21; an
    invalid bid, 87号令 Art.60), None while neither side holds a majority.

    ``votes``: member -> accepts; ``members``: the committee's current members. A side wins
    with strictly more than half of the members (not of the votes cast), so a committee of
    5 decides with 3 equal votes and never by a minority.
    """
    if members < 1:
        raise RuleError("评标委员会成员人数无效")
    if len(votes) > members:
        raise RuleError("表决人数多于评标委员会成员人数")
    accept = sum(1 for v in votes.values() if v)
    reject = len(votes) - accept
    if 2 * accept > members:
        return True
    if 2 * reject > members:
        return False
    return None


# --------------------------------------------------------------------------------------------
# Government procurement: the SME price deduction (财库〔2020〕46号 Art.9, as amended by
# 财库〔2022〕19号)
# --------------------------------------------------------------------------------------------

ProcurementCategory = Literal["goods", "services", "works"]
SMALL_SIZES = frozenset({"small", "micro"})
# Art.9 of 财库〔2020〕46号 as raised by 财库〔2022〕19号 (from 2022-07-01): goods and services
# 10 %–20 % (was 6 %–10 %), works 3 %–5 %. Settings override them (QINQING_SME_DEDUCTION).
SME_DEDUCTION_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "goods": (Decimal("0.10"), Decimal("0.20")),
    "services": (Decimal("0.10"), Decimal("0.20")),
    "works": (Decimal("0.03"), Decimal("0.05")),
}


def sme_rate_problems(
    rate: Decimal,
    category: str,
    ranges: Mapping[str, tuple[Decimal, Decimal]] = SME_DEDUCTION_RANGES,
) -> list[str]:
    """Problems with the deduction rate the tender documents give (empty = within the range
    for the category, bounds included; 财库〔2020〕46号 Art.9 as amended by 财库〔2022〕19号)."""
    if category not in ranges:
        return [f"采购项目类别无效：{category}"]
    lo, hi = ranges[category]
    if not _exact(lo) <= _exact(rate) <= _exact(hi):
        return [
            f"小微企业价格扣除比例须在 {round_half_up(_exact(lo) * 100)}% 至 "
            f"{round_half_up(_exact(hi) * 100)}% 之间（财库〔2020〕46号第九条，"
            "财库〔2022〕19号调整）"
        ]
    return []


def sme_evaluated_prices(
    prices: Mapping[str, Decimal], sizes: Mapping[str, str], rate: Decimal | None
) -> dict[str, Decimal]:
    """The prices used for evaluation after the SME deduction (财库〔2020〕46号 Art.9: a small
    or micro enterprise's price is reduced by ``rate`` and the reduced price takes part in the
    evaluation). Exact: ``price * (1 - rate)`` for a bidder whose declared size (``sizes``,
    中小企业声明函) is "small" or "micro"; every other price unchanged; ``rate`` None = no
    deduction (e.g. a lot reserved for SMEs). Only for scoring and ranking: the contract price
    remains the quoted one.
    """
    _check_prices(prices)
    if rate is None:
        return dict(prices)
    if not 0 <= _exact(rate) < 1:
        raise RuleError("价格扣除比例须不小于 0 且小于 1")
    return {
        bidder: (price * (1 - Decimal(rate)) if sizes.get(bidder) in SMALL_SIZES else price)
        for bidder, price in prices.items()
    }


@dataclass(frozen=True)
class DeviationWarning:
    """An expert's score outside the allowed deviation from the reference mean.

    ``item`` is None for the "total" basis; ``mean`` is rounded to 2 places and ``ratio`` =
    |score - mean| / mean to 4 places (``Decimal("Infinity")`` when the mean is 0).
    """

    expert: str
    item: str | None
    score: Decimal
    mean: Decimal
    ratio: Decimal


def deviation_warnings(
    scores: Mapping[str, Mapping[str, Decimal]],
    threshold: Decimal,
    basis: DeviationBasis,
    mean_of: MeanOf,
) -> list[DeviationWarning]:
    """Scores outside ±threshold of the mean, which need a written explanation (design rule).

    ``scores``: expert -> item -> score; every expert must score the same items. ``basis``
    "item" compares each item, "total" each expert's sum. ``mean_of`` "others" takes the mean
    of the other experts, "all" includes the expert. A score is flagged only when
    ``|score - mean| / mean > threshold`` strictly, compared exactly: a deviation of exactly
    the threshold is not a warning. With fewer than two experts there is nothing to compare.
    Warnings come in item order (first expert's order), then expert order.
    """
    experts = list(scores)
    if len(experts) < 2:
        return []
    items = list(scores[experts[0]])
    if any(set(scores[e]) != set(items) for e in experts):
        raise RuleError("各专家的评分项不一致")
    if basis == "item":
        columns = [(item, {e: scores[e][item] for e in experts}) for item in items]
    else:
        columns = [(None, {e: sum(scores[e].values(), Decimal(0)) for e in experts})]
    limit = _exact(threshold)
    warnings = []
    for item, column in columns:
        total = sum(_exact(v) for v in column.values())
        for expert, score in column.items():
            if mean_of == "others":
                mean = (total - _exact(score)) / (len(experts) - 1)
            else:
                mean = total / len(experts)
            gap = abs(_exact(score) - mean)
            if gap > limit * mean:
                ratio = round_half_up(gap / mean, 4) if mean else Decimal("Infinity")
                warnings.append(DeviationWarning(expert, item, score, round_half_up(mean), ratio))
    return warnings


def review_outcomes(
    votes: Mapping[str, Mapping[str, Mapping[str, bool]]],
    *,
    fail_share: Fraction = Fraction(1, 2),
) -> dict[str, dict[str, bool]]:
    """Pass/fail of each bidder on each preliminary-review item (初步评审).

    ``votes``: bidder -> item -> expert -> passed. A bidder fails an item when the number of
    experts failing it is strictly greater than ``fail_share`` of the votes (default: a strict
    majority, so a tie passes). Returns bidder -> item -> passed.
    """
    outcomes: dict[str, dict[str, bool]] = {}
    for bidder, items in votes.items():
        outcomes[bidder] = {}
        for item, by_expert in items.items():
            if not by_expert:
                raise RuleError(f"{bidder} 的评审项 {item} 没有专家意见")
            fails = sum(not passed for passed in by_expert.values())
            outcomes[bidder][item] = not fails > fail_share * len(by_expert)
    return outcomes


def subjective_means(
    sheets: Mapping[str, Mapping[str, Decimal]], *, drop_extremes: bool
) -> dict[str, Decimal]:
    """Mean over experts of each bidder's subjective total, rounded half up to 2 places.

    ``sheets``: expert -> bidder -> total. With ``drop_extremes`` and at least
    ``DROP_EXTREMES_MIN_EXPERTS`` (7) experts, one highest and one lowest total per bidder are
    left out of the mean.
    """
    if not sheets:
        raise RuleError("没有专家评分")
    bidders = list(next(iter(sheets.values())))
    if any(set(sheet) != set(bidders) for sheet in sheets.values()):
        raise RuleError("各专家评分的投标人不一致")
    means = {}
    for bidder in bidders:
        values = sorted(_exact(sheet[bidder]) for sheet in sheets.values())
        if drop_extremes and len(values) >= DROP_EXTREMES_MIN_EXPERTS:
            values = values[1:-1]
        means[bidder] = round_half_up(sum(values) / len(values))
    return means


def final_scores(
    sheets: Mapping[str, Mapping[str, Decimal]],
    objective: Mapping[str, Decimal],
    *,
    drop_extremes: bool = False,
) -> dict[str, Decimal]:
    """Final score per bidder (综合评估法, 招标投标法 Art.41(1)).

    The rounded mean of subjective totals (``subjective_means``) plus the objective score
    (price and other computed items) rounded half up to 2 places; the total is their exact sum,
    so a report's columns add up.
    """
    means = subjective_means(sheets, drop_extremes=drop_extremes)
    if set(objective) != set(means):
        raise RuleError("客观分与主观分的投标人不一致")
    return {bidder: mean + round_half_up(objective[bidder]) for bidder, mean in means.items()}


@dataclass(frozen=True)
class RankEntry:
    """One valid bid in the comprehensive method: final total, price and technical score."""

    bidder: str
    total: Decimal
    price: Decimal
    technical: Decimal


@dataclass(frozen=True)
class Lot:
    """QQ-DRAW-1 parameters of the verifiable lot that orders tied bidders.

    The g-th tied group in rank order (g = 1, 2, ...) is ordered by ``qq_draw_1`` over its
    bidder ids with ``draw_id = f"{draw_id}#{g}"``, ``quota`` = group size and no backups.
    """

    draw_id: str
    server_nonce: bytes
    witness_entropy: str


class TieError(RuleError):
    """Bidders remain tied after every rule; ``groups`` lists them, each in code-point order."""

    def __init__(self, groups: list[list[str]]):
        names = "；".join("、".join(group) for group in groups)
        super().__init__(f"以下投标人排名并列，须以可验证抽签确定顺序：{names}")
        self.groups = groups


def _order(keyed: Iterable[tuple[tuple, str]], lot: Lot | None) -> list[str]:
    """Bidders sorted by key; each group of equal keys ordered by the lot (see ``Lot``)."""
    groups = [
        [bidder for _, bidder in group]
        for _, group in itertools.groupby(sorted(keyed), key=lambda pair: pair[0])
    ]
    ties = [group for group in groups if len(group) > 1]
    if lot is None:
        if ties:
            raise TieError(ties)
        return [bidder for group in groups for bidder in group]
    ranking: list[str] = []
    tie_number = 0
    for group in groups:
        if len(group) == 1:
            ranking.extend(group)
            continue
        tie_number += 1
        lot_id = f"{lot.draw_id}#{tie_number}"
        ranking.extend(
            qq_draw_1(
                group,
                server_nonce=lot.server_nonce,
                witness_entropy=lot.witness_entropy,
                draw_id=lot_id,
                quota=len(group),
                backups=0,
            )
        )
    return ranking


Procedure = Literal["construction", "procurement"]
TieMethod = Literal["technical", "lot"]


def rank_comprehensive(
    entries: Sequence[RankEntry],
    lot: Lot | None = None,
    *,
    procedure: Procedure = "construction",
    tie_method: TieMethod = "technical",
) -> list[str]:
    """Ranking by the comprehensive method; the tie order depends on the procedure.

    - ``construction`` (招标投标法 Art.41(1); the standard tender documents): higher total
      first; ties by lower price, then higher technical score (practice), then the verifiable
      lot ``lot`` (QQ-DRAW-1). ``tie_method`` is not used.
    - ``procurement`` (87号令 Art.65): higher total first, equal totals by lower quoted price;
      equal in both, the bids are tied and 87号令 Art.68 applies: the method of the tender
      documents, ``tie_method`` "technical" (higher technical score first, then the lot) or
      "lot" (the random draw Art.68 prescribes when the documents give none).

    Raises ``TieError`` naming the tied groups when a lot is needed and ``lot`` is None, so
    the caller can commit a nonce and ask the witness first.
    """
    if len({e.bidder for e in entries}) != len(entries):
        raise RuleError("投标人重复")
    if procedure not in ("construction", "procurement"):
        raise RuleError(f"招标采购程序类型无效：{procedure}")
    if tie_method not in ("technical", "lot"):
        raise RuleError(f"并列处理方式无效：{tie_method}")
    if procedure == "procurement" and tie_method == "lot":
        return _order((((-e.total, e.price), e.bidder) for e in entries), lot)
    return _order((((-e.total, e.price, -e.technical), e.bidder) for e in entries), lot)


def rank_lowest_price(
    evaluated_prices: Mapping[str, Decimal],
    review: Mapping[str, Mapping[str, bool]],
    lot: Lot | None = None,
) -> list[str]:
    """Ranking by the lowest evaluated price method (经评审的最低投标价法, 招标投标法 Art.41(2);
    in procurement 最低评标价法, 87号令 Art.56).

    No price points: only bids passing every review item (``review``: bidder -> item ->
    passed) are ranked, by evaluated price ascending (in procurement the price after the SME
    deduction, ``sme_evaluated_prices``); equal prices are tied (87号令 Art.56) and ordered by
    the verifiable lot as in ``rank_comprehensive`` (87号令 Art.68: the random draw).
    """
    if set(review) != set(evaluated_prices):
        raise RuleError("评审结论与评审价格的投标人不一致")
    passing = [bidder for bidder, items in review.items() if all(items.values())]
    return _order((((evaluated_prices[b],), b) for b in passing), lot)


def candidates(ranking: Sequence[str], count: int = MAX_CANDIDATES) -> list[str]:
    """The ranked winning candidates: at most 3 (实施条例 Art.53)."""
    if not 1 <= count <= MAX_CANDIDATES:
        raise RuleError(f"中标候选人应为 1 至 {MAX_CANDIDATES} 个")
    return list(ranking[:count])


# --------------------------------------------------------------------------------------------
# Remote-evaluation practice: failures during a session
# --------------------------------------------------------------------------------------------
#
# The time limits for failures during a remote evaluation (pure functions, no Django).
#
# Remote cross-site evaluation practice (发改办法规〔2025〕807号 and the city's rules on
# 远程异地评标, as the design summarises them: ../shared/design/bidding.md, "Remote evaluation
# practice"):
#
# - a failure (network, power, device) **before the evaluation starts** that is not fixed within
#   **2 hours** → the tenderer decides whether to postpone the evaluation;
# - a failure **during the evaluation** fixed within **4 hours** → the evaluation continues;
#   otherwise the evaluation materials are sealed and a new committee is formed.
#
# The limits are inclusive: a failure fixed after exactly 2 h (4 h) is still within the limit;
# one second more is beyond it. The software only warns; the decisions are the people's.

BEFORE_START_LIMIT = timedelta(hours=2)
DURING_EVALUATION_LIMIT = timedelta(hours=4)

WARN_BEFORE_START_OPEN = "开标前故障已超过 2 小时仍未排除：由招标人决定是否推迟评标"
WARN_BEFORE_START_LATE = "开标前故障历时超过 2 小时才排除：应已由招标人决定是否推迟评标"
WARN_DURING_OPEN = "评标过程中故障已超过 4 小时仍未排除：应封存评标资料，重新组建评标委员会评标"
WARN_DURING_LATE = "评标过程中故障历时超过 4 小时才排除：应封存评标资料，重新组建评标委员会评标"


def incident_limit(during_evaluation: bool) -> timedelta:
    """2 h before the start, 4 h during the evaluation."""
    return DURING_EVALUATION_LIMIT if during_evaluation else BEFORE_START_LIMIT


def incident_elapsed(
    started_at: datetime, resolved_at: datetime | None, now: datetime
) -> timedelta:
    """How long the failure lasted (until it was fixed) or has lasted so far."""
    end = resolved_at if resolved_at is not None else now
    if end < started_at:
        raise ValueError("the end of an incident cannot precede its start")
    return end - started_at


def incident_warnings(
    started_at: datetime,
    resolved_at: datetime | None,
    now: datetime,
    during_evaluation: bool,
) -> list[str]:
    """The warnings the 2 h / 4 h rules give for one incident (empty while within the limit;
    exactly the limit is still within it)."""
    if incident_elapsed(started_at, resolved_at, now) <= incident_limit(during_evaluation):
        return []
    if during_evaluation:
        return [WARN_DURING_OPEN if resolved_at is None else WARN_DURING_LATE]
    return [WARN_BEFORE_START_OPEN if resolved_at is None else WARN_BEFORE_START_LATE]


def incident_remaining(
    started_at: datetime, resolved_at: datetime | None, now: datetime, during_evaluation: bool
) -> timedelta | None:
    """Time left before the limit for an open incident (zero once beyond); None when fixed."""
    if resolved_at is not None:
        return None
    left = incident_limit(during_evaluation) - incident_elapsed(started_at, None, now)
    return max(left, timedelta(0))


def is_idle(last_seen_at: datetime | None, now: datetime, idle_minutes: int) -> bool:
    """A workstation is idle too long when its last sign of life is strictly older than
    `idle_minutes` (exactly that many minutes is not yet idle); no sign of life → not idle."""
    if last_seen_at is None:
        return False
    return now - last_seen_at > timedelta(minutes=idle_minutes)


# --------------------------------------------------------------------------------------------
# Time extension (实施条例 Art.48 para.1)
# --------------------------------------------------------------------------------------------


def time_extension_required(requests: int, members: int) -> bool:
    """Must the tenderer extend the evaluation time?

    招标投标法实施条例 Art.48 para.1: "超过三分之一的评标委员会成员认为评标时间不够的，招标人
    应当适当延长" — strictly more than one third of the members: 3 of 9 is not enough, 4 of 9
    is; 2 of 5 is; 1 of 3 is not, 2 of 3 is. `requests` counts the members (not requests)
    who currently declare the time too short; the comparison is exact (3·requests > members).
    """
    if members < 1:
        raise RuleError("评标委员会成员人数应为正数")
    if not 0 <= requests <= members:
        raise RuleError(f"认为评标时间不够的成员人数 {requests} 与成员总数 {members} 不符")
    return 3 * requests > members
