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


def k_factor_scores(
    prices: Mapping[str, Decimal],
    weight: Decimal,
    *,
    k: Decimal,
    deduct_above: Decimal,
    deduct_below: Decimal,
    drop_extremes_from: int | None = None,
) -> dict[str, Decimal]:
    """Price scores against a K-factor benchmark (configurable per project; no statute).

    ``benchmark = k * mean(prices)``; when ``drop_extremes_from`` is set and there are at
    least that many bids, one highest and one lowest price are left out of the mean (those
    bidders are still scored). ``deviation = (price - benchmark) / benchmark * 100`` (percent,
    not rounded); ``score = weight - deduct_above * deviation`` above the benchmark,
    ``weight - deduct_below * |deviation|`` below it, never below 0; rounded half up to 2
    places.
    """
    _check_prices(prices)
    if drop_extremes_from is not None and drop_extremes_from < 3:
        raise RuleError("去掉最高价和最低价的最少投标数应不少于 3")
    basis = sorted(_exact(p) for p in prices.values())
    if drop_extremes_from is not None and len(basis) >= drop_extremes_from:
        basis = basis[1:-1]
    benchmark = _exact(k) * sum(basis) / len(basis)
    scores = {}
    for bidder, price in prices.items():
        deviation = (_exact(price) - benchmark) / benchmark * 100
        rate = deduct_above if deviation > 0 else deduct_below
        score = max(_exact(weight) - _exact(rate) * abs(deviation), Fraction(0))
        scores[bidder] = round_half_up(score)
    return scores


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


def rank_comprehensive(entries: Sequence[RankEntry], lot: Lot | None = None) -> list[str]:
    """Ranking by the comprehensive method (综合评估法, 招标投标法 Art.41(1)).

    Higher total first; ties by lower price, then higher technical score, then the verifiable
    lot ``lot`` (QQ-DRAW-1). Raises ``TieError`` naming the tied groups when a lot is needed
    and ``lot`` is None, so the caller can commit a nonce and ask the witness first.
    """
    if len({e.bidder for e in entries}) != len(entries):
        raise RuleError("投标人重复")
    return _order((((-e.total, e.price, -e.technical), e.bidder) for e in entries), lot)


def rank_lowest_price(
    evaluated_prices: Mapping[str, Decimal],
    review: Mapping[str, Mapping[str, bool]],
    lot: Lot | None = None,
) -> list[str]:
    """Ranking by the lowest evaluated price method (经评审的最低投标价法, 招标投标法 Art.41(2)).

    Only bids passing every review item (``review``: bidder -> item -> passed) are ranked, by
    evaluated price ascending; equal prices are ordered by the verifiable lot as in
    ``rank_comprehensive``.
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
