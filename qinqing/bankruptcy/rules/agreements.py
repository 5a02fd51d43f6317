"""Reconciliation agreements: repayment rates, a draft's offers (Art.95), when claims are closed
(Art.98, 100, 105), termination (Art.104) and out-of-court settlement (Art.105)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from qinqing.bankruptcy.rules.common import (
    CENT,
    HUNDRED,
    ZERO,
    RuleError,
    _allocate_cents,
    _money,
    _money_map,
    _rate,
    _total,
    ratio,
)
from qinqing.bankruptcy.rules.liquidation import (
    EMPLOYEE,
    ORDINARY_CLAIMS,
    SOCIAL_INSURANCE_TAX,
    SUBORDINATED,
)


@dataclass(frozen=True)
class RepaymentLine:
    """One creditor under an approved agreement: confirmed unsecured claim, agreed, paid so far.

    ``tier`` names the agreement's class for this creditor (e.g. "5万元以下"), if it has tiers.
    """

    creditor_id: str
    confirmed_unsecured: Decimal
    agreed: Decimal
    paid: Decimal
    tier: str | None = None


@dataclass(frozen=True)
class RepaymentRates:
    """Totals and rates: nominal = agreed / confirmed, realised = paid / confirmed (4 places)."""

    confirmed_total: Decimal
    agreed_total: Decimal
    paid_total: Decimal
    nominal: Decimal | None
    realised: Decimal | None


def _validated_line(line: RepaymentLine) -> RepaymentLine:
    confirmed = _money(line.confirmed_unsecured, f"确认的无财产担保债权额（{line.creditor_id}）")
    agreed = _money(line.agreed, f"和解协议清偿额（{line.creditor_id}）")
    paid = _money(line.paid, f"已清偿额（{line.creditor_id}）")
    if agreed > confirmed:
        raise RuleError(f"和解协议清偿额 {agreed} 超过确认债权额 {confirmed}（{line.creditor_id}）")
    if paid > agreed:
        raise RuleError(f"已清偿额 {paid} 超过和解协议清偿额 {agreed}（{line.creditor_id}）")
    return line


def repayment_rates(lines: Iterable[RepaymentLine]) -> RepaymentRates:
    """Nominal and realised repayment rates over the given lines (债权清偿率).

    Basis (design "Formulas"; 企业破产法 Art.100 binds all unsecured claims): nominal =
    Σ agreed / Σ confirmed unsecured claims; realised = Σ paid / Σ confirmed unsecured claims;
    each a ``Decimal`` rounded half-up to 4 places, ``None`` when nothing is confirmed. Pass one
    line for a creditor's own rates.
    """
    checked = [_validated_line(line) for line in lines]
    confirmed = _total(line.confirmed_unsecured for line in checked)
    agreed = _total(line.agreed for line in checked)
    paid = _total(line.paid for line in checked)
    return RepaymentRates(confirmed, agreed, paid, ratio(agreed, confirmed), ratio(paid, confirmed))


def repayment_rates_by_tier(lines: Iterable[RepaymentLine]) -> dict[str | None, RepaymentRates]:
    """``repayment_rates`` per agreement tier (key ``None`` for lines without a tier): the
    rates of each class of terms of one agreement (企业破产法 Art.100: every unsecured claim is
    bound at the agreement's terms, so each tier's rate is over its confirmed claims)."""
    groups: dict[str | None, list[RepaymentLine]] = defaultdict(list)
    for line in lines:
        groups[line.tier].append(line)
    return {tier: repayment_rates(group) for tier, group in groups.items()}


@dataclass(frozen=True)
class OfferPlan:
    """How a draft agreement pays the confirmed unsecured claims.

    ``rate``: the percentage paid (0–100). ``paid_in_full_up_to``: a small-claims tier — a claim
    up to this amount is paid in full; ``None``: no such tier. ``progressive`` (with the tier):
    every larger claim also gets its first ``paid_in_full_up_to`` in full and ``rate`` on the
    rest, so no claim just above the line gets less than one on it; otherwise a larger claim
    gets ``rate`` on the whole of it.
    """

    rate: Decimal
    paid_in_full_up_to: Decimal | None = None
    progressive: bool = True


@dataclass(frozen=True)
class Offer:
    amount: Decimal
    tier: str


def _plan_checked(plan: OfferPlan) -> OfferPlan:
    rate = plan.rate
    if isinstance(rate, bool) or not isinstance(rate, Decimal) or not rate.is_finite():
        raise RuleError(f"清偿比例必须是有限的 Decimal：{rate!r}")
    if not ZERO <= rate <= HUNDRED:
        raise RuleError(f"清偿比例应在 0 至 100 之间：{rate}")
    if plan.paid_in_full_up_to is not None:
        if _money(plan.paid_in_full_up_to, "小额债权全额清偿上限") == 0:
            raise RuleError("小额债权全额清偿上限必须大于零")
        if rate == HUNDRED:
            raise RuleError("统一全额清偿时无需设置小额债权档")
    return plan


def _yuan(amount: Decimal) -> str:
    return f"{amount.normalize():f}"


def offer_tiers(plan: OfferPlan) -> tuple[str, str]:
    """The tier labels of a plan: (small claims, the others); equal without a small tier
    (企业破产法 Art.95: the draft states how the claims are paid; each term records its tier)."""
    rate = _yuan(_plan_checked(plan).rate)
    line = plan.paid_in_full_up_to
    if line is None:
        return (f"统一清偿{rate}%",) * 2
    small = f"小额债权全额清偿（{_yuan(line)}元以下）"
    if plan.progressive:
        return small, f"{_yuan(line)}元以下部分全额、超出部分按{rate}%清偿"
    return small, f"超过{_yuan(line)}元的债权按{rate}%清偿"


def draft_offers(claims: Mapping[str, Decimal], plan: OfferPlan) -> dict[str, Offer]:
    """What a draft agreement offers each creditor on its confirmed unsecured claim.

    企业破产法 Art.95 (the debtor's draft) and Art.100 (an approved agreement binds every
    unsecured creditor, so each one with a confirmed unsecured claim gets a term; a zero claim
    gets none). Amounts are rounded down to the cent, so the draft never promises more than the
    plan says; a claim up to the small-claims line is paid in full exactly (see ``OfferPlan``).
    """
    _plan_checked(plan)
    small_label, other_label = offer_tiers(plan)
    line = plan.paid_in_full_up_to
    share = plan.rate / HUNDRED
    offers = {}
    for key, claim in _money_map(claims, "确认的无财产担保债权额").items():
        if claim == 0:
            continue
        if line is not None and claim <= line:
            offers[key] = Offer(claim, small_label)
            continue
        base = line if (line is not None and plan.progressive) else ZERO
        exact = base + (claim - base) * share
        offers[key] = Offer(exact.quantize(CENT, rounding=ROUND_DOWN), other_label)
    return offers


# `models.Agreement.Status` values of an agreement the court has approved and that is in force.
AGREEMENT_IN_FORCE = frozenset({"approved", "completed"})


def claims_closed_by(agreements: Iterable[tuple[str, str]]) -> str | None:
    """The kind ("court" or "self_settlement") of the agreement that ended the filing of
    claims in the case, or None while claims are still filed; ``agreements`` are (kind,
    status) pairs.

    企业破产法 Art.98: approving a reconciliation agreement, the court terminates the
    reconciliation procedure; Art.105: approving an out-of-court settlement, it ends the
    case. Either way nothing more is filed in it: under Art.100(3) a reconciliation creditor
    who did not file may not exercise its rights while the agreement is performed and, once it
    is, may claim on the agreement's terms from the debtor. An agreement terminated (Art.104)
    or ruled void (Art.103) sends the case to liquidation, where claims are filed again
    (late ones, Art.56), so it ends nothing.
    """
    for kind, status in agreements:
        if status in AGREEMENT_IN_FORCE:
            return kind
    return None


def _percentage(received: Decimal, claim: Decimal) -> Fraction:
    return Fraction(received) / Fraction(claim)


def _water_level(
    claims: Mapping[str, Decimal], received: Mapping[str, Decimal], amount: Fraction
) -> Fraction:
    """The common percentage of the original claim that ``amount`` tops everyone up to (max 1).

    Creditors are taken from the lowest percentage up; at each step the group is raised towards
    the next creditor's percentage until the amount runs out.
    """
    order = sorted(claims, key=lambda key: _percentage(received[key], claims[key]))
    claim_sum = got_sum = Fraction(0)
    for index, key in enumerate(order):
        claim_sum += Fraction(claims[key])
        got_sum += Fraction(received[key])
        following = order[index + 1 : index + 2]
        ceiling = _percentage(received[following[0]], claims[following[0]]) if following else 1
        if claim_sum * ceiling - got_sum >= amount:
            return (amount + got_sum) / claim_sum
    return Fraction(1)


def _claims_and_received(
    original_claims: Mapping[str, Decimal], received: Mapping[str, Decimal]
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    """Validated inputs of the Art.103 and Art.104 settlements: positive claims in cents, and
    what each creditor received (0 when absent), never more than its claim."""
    claims = _money_map(original_claims, "原确认债权额")
    for creditor_id, claim in claims.items():
        if claim == 0:
            raise RuleError(f"原确认债权额须为正数（{creditor_id}）")
    unknown = set(received) - set(claims)
    if unknown:
        raise RuleError(f"已受偿债权人不在债权名单中：{', '.join(sorted(unknown))}")
    got = {key: _money(received.get(key, ZERO), f"已受偿额（{key}）") for key in claims}
    for creditor_id, amount in got.items():
        if amount > claims[creditor_id]:
            raise RuleError(f"已受偿额 {amount} 超过原确认债权额（{creditor_id}）")
    return claims, got


def art104_equalise(
    original_claims: Mapping[str, Decimal],
    received: Mapping[str, Decimal],
    distributable: Decimal,
) -> dict[str, Decimal]:
    """Share one class's distribution after a reconciliation agreement is terminated.

    企业破产法 Art.104 para.2–3: on termination the concessions lapse, payments received under
    the agreement stay, and the unpaid rest (original confirmed claim minus received) is a
    bankruptcy claim; a creditor that was paid shares further only once the others of the
    class have reached the same percentage. So ``distributable`` (the amount for this class)
    first tops up the creditors with the lowest percentage of their original claim until all
    are level, then all rise together, i.e. pro rata to the original claims, up to 100%
    (water-filling). A creditor of the liquidation that took nothing under the agreement
    (a new creditor, or one that did not file in time) is simply one with 0 received.

    Returns each creditor's share in cents (largest-remainder rounding), adding up to
    ``distributable``, or to the total unpaid rest when that is smaller. ``received`` may omit
    creditors that received nothing.
    """
    claims, got = _claims_and_received(original_claims, received)
    level = _water_level(claims, got, Fraction(_money(distributable, "可分配金额")))
    exact = {
        key: max(Fraction(0), level * Fraction(claims[key]) - Fraction(got[key])) for key in claims
    }
    return _allocate_cents(exact)


# The Art.113 classes that follow costs and common-benefit debts, in the order they are paid;
# subordinated claims last (法〔2018〕53号 §28).
ART104_CLASSES = (EMPLOYEE, SOCIAL_INSURANCE_TAX, ORDINARY_CLAIMS, SUBORDINATED)


@dataclass(frozen=True)
class Art104Claim:
    """A creditor's claim of one class in the liquidation after termination: the original
    amount (the agreement's concessions lapsed, Art.104 para.2) and what it received under the
    agreement towards it (0 for a creditor that had no term: a new creditor of the
    liquidation)."""

    creditor: str
    rank: str
    amount: Decimal
    received: Decimal = ZERO


@dataclass(frozen=True)
class Art104Distribution:
    """Per class: each creditor's share and the common percentage the class reached (received
    and shared together, ROUND_HALF_UP to 4 places); per creditor the total share; what is left
    once every class is paid in full."""

    by_class: dict[str, dict[str, Decimal]]
    levels: dict[str, Decimal]
    shares: dict[str, Decimal]
    left_over: Decimal


def art104_distribution(
    claims: Sequence[Art104Claim], distributable: Decimal
) -> Art104Distribution:
    """Distribute the estate after an agreement is terminated, class by class.

    企业破产法 Art.104 para.2–3 within the Art.113 order: ``distributable`` (what remains for
    claims after secured claims on their collateral, costs and common-benefit debts) goes to
    the employee class first, then social insurance and taxes, then ordinary claims, then
    subordinated claims (法〔2018〕53号 §28); a class is paid in full before the next gets
    anything, and within a class ``art104_equalise`` applies: what a reconciliation creditor
    received under the agreement is kept, and it shares further only once the other creditors
    of the class — the new creditors of the liquidation included, who received nothing — have
    reached the same percentage. One creditor may hold claims in several classes; its receipts
    are given per class by the caller (payments under an agreement go first to the employee
    and tax claims it pays in full, Art.113).
    """
    available = _money(distributable, "可分配金额")
    grouped: dict[str, dict[str, Decimal]] = {rank: {} for rank in ART104_CLASSES}
    got: dict[str, dict[str, Decimal]] = {rank: {} for rank in ART104_CLASSES}
    for claim in claims:
        if claim.rank not in grouped:
            raise RuleError(f"未知的清偿顺序：{claim.rank}")
        if claim.creditor in grouped[claim.rank]:
            raise RuleError(f"同一债权人在同一顺序中重复列示：{claim.creditor}")
        grouped[claim.rank][claim.creditor] = claim.amount
        got[claim.rank][claim.creditor] = claim.received
    by_class: dict[str, dict[str, Decimal]] = {}
    levels: dict[str, Decimal] = {}
    shares: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for rank in ART104_CLASSES:
        if not grouped[rank]:
            continue
        amounts, received = _claims_and_received(grouped[rank], got[rank])
        unpaid = _total(amounts.values()) - _total(received.values())
        share = art104_equalise(amounts, received, min(available, unpaid))
        available -= _total(share.values())
        by_class[rank] = share
        final = _total(received.values()) + _total(share.values())
        levels[rank] = _rate(Fraction(final) / Fraction(_total(amounts.values())))
        for creditor, amount in share.items():
            shares[creditor] += amount
    return Art104Distribution(
        by_class=by_class, levels=levels, shares=dict(shares), left_over=available
    )


@dataclass(frozen=True)
class Art103Settlement:
    """What each creditor ends with when an agreement is void: ``level`` (the common
    percentage of the original claims, ROUND_HALF_UP to 4 places), and per creditor the amount
    still ``to_pay`` from the distribution or ``to_return`` to the estate (one of them is 0)."""

    level: Decimal
    to_pay: dict[str, Decimal]
    to_return: dict[str, Decimal]


def art103_settlement(
    original_claims: Mapping[str, Decimal],
    received: Mapping[str, Decimal],
    distributable: Decimal,
) -> Art103Settlement:
    """Settle the creditors of a reconciliation agreement the court rules void.

    企业破产法 Art.103: an agreement reached by the debtor's fraud or other unlawful act is
    void and the debtor is declared bankrupt; what a creditor received under it is not returned
    **within the percentage the other creditors receive**. So, unlike Art.104 (where a creditor
    paid ahead keeps everything), the excess over the common percentage goes back to the
    estate: the pool is ``distributable`` plus everything received, shared pro rata to the
    original claims (at most 100%); each creditor is topped up to its share or returns what it
    holds above it. Shares are rounded to cents by the largest remainder, so the payments and
    returns balance exactly: Σ to_pay − Σ to_return = ``distributable`` (or the unpaid total
    when every claim is paid in full).
    """
    claims, got = _claims_and_received(original_claims, received)
    pool = Fraction(_money(distributable, "可分配金额")) + Fraction(_total(got.values()))
    level = min(Fraction(1), pool / Fraction(_total(claims.values())))
    final = _allocate_cents({key: level * Fraction(claims[key]) for key in claims})
    return Art103Settlement(
        level=_rate(level),
        to_pay={key: max(ZERO, final[key] - got[key]) for key in claims},
        to_return={key: max(ZERO, got[key] - final[key]) for key in claims},
    )


def self_settlement_valid(all_creditor_ids: Iterable[str], consenting_ids: Iterable[str]) -> bool:
    """Whether an out-of-court settlement has every creditor's consent (企业破产法 Art.105).

    Raises ``RuleError`` when there are no creditors or a consenting id is not a creditor.
    """
    creditors = set(all_creditor_ids)
    consenting = set(consenting_ids)
    if not creditors:
        raise RuleError("债权人名单为空")
    strangers = consenting - creditors
    if strangers:
        raise RuleError(f"同意的一方不在债权人名单中：{', '.join(sorted(strangers))}")
    return consenting == creditors
