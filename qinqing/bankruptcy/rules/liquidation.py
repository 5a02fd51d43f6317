"""Simulated liquidation (企业破产法 Art.43, 109, 110, 113), the administrator's fee (法释〔2007〕9号)
and the comparison with a reconciliation agreement."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from qinqing.bankruptcy.rules.common import (
    CENT,
    HUNDRED,
    ZERO,
    RuleError,
    _cents,
    _money,
    _money_map,
    _total,
    pro_rata,
    ratio,
)

SECURED = "secured"
COSTS = "costs"
COMMON_BENEFIT = "common_benefit"
EMPLOYEE = "employee"
SOCIAL_INSURANCE_TAX = "social_insurance_tax"
ORDINARY_CLAIMS = "ordinary"
SUBORDINATED = "subordinated"
RANK_LABELS = {
    SECURED: "有财产担保债权（就担保物）",
    COSTS: "破产费用",
    COMMON_BENEFIT: "共益债务",
    EMPLOYEE: "职工债权",
    SOCIAL_INSURANCE_TAX: "社会保险费用和税款",
    ORDINARY_CLAIMS: "普通债权",
    SUBORDINATED: "劣后债权",
}


# A claim's nature (`models.Claim.Nature`) as the liquidation order sees it.
TAX_LATE_FEE = "tax_late_fee"
PENALTY = "penalty"
COURT_SUBORDINATED = "court_subordinated"
CLAIM_RANKS = ("ordinary", "employee", "tax_social")


def liquidation_class(rank: str, nature: str = "") -> str:
    """The Art.113 class a claim is paid in, from its rank and nature.

    - Tax late fees (税款滞纳金) are ordinary claims, not with the tax (最高人民法院《关于税务
      机关就破产企业欠缴税款产生的滞纳金提起的债权确认之诉应否受理问题的批复》法释〔2012〕9号;
      法〔2018〕53号 §28), whatever rank they were filed under.
    - Fines, penalties and claims the court orders subordinated are paid after the ordinary
      claims (劣后债权, 法〔2018〕53号 §28: 破产财产依照企业破产法第一百一十三条规定的顺序清偿后
      仍有剩余的，可依次用于清偿……行政罚款、刑事罚金等惩罚性债权).
    - Otherwise employee claims (Art.113 para.1 item 1), social insurance and taxes (item 2),
      ordinary claims (item 3).
    """
    if rank not in CLAIM_RANKS:
        raise RuleError(f"未知的债权性质：{rank!r}")
    if nature == TAX_LATE_FEE:
        return ORDINARY_CLAIMS
    if nature in (PENALTY, COURT_SUBORDINATED):
        return SUBORDINATED
    if nature:
        raise RuleError(f"未知的债权细分：{nature!r}")
    return {"ordinary": ORDINARY_CLAIMS, "employee": EMPLOYEE, "tax_social": SOCIAL_INSURANCE_TAX}[
        rank
    ]


def senior_manager_wage_split(
    amount: Decimal, average_monthly_wage: Decimal, months: Decimal
) -> tuple[Decimal, Decimal]:
    """Split a director's, supervisor's or senior manager's wage claim: (employee class,
    ordinary) (企业破产法 Art.113 para.3: 破产企业的董事、监事和高级管理人员的工资按照该企业
    职工的平均工资计算).

    The employee-class part is the wage for the months owed at the firm's average monthly wage
    (rounded down to the cent), at most the claim; the rest is an ordinary claim. A claim at or
    below the average is wholly in the employee class; one cent above it, that cent is ordinary.
    """
    claim = _money(amount, "董事、监事和高级管理人员的工资债权")
    average = _money(average_monthly_wage, "职工月平均工资")
    if isinstance(months, bool) or not isinstance(months, Decimal) or not months.is_finite():
        raise RuleError(f"欠薪月数必须是有限的 Decimal：{months!r}")
    if months <= 0:
        raise RuleError(f"欠薪月数须为正数：{months}")
    cap = (average * months).quantize(CENT, rounding=ROUND_DOWN)
    employee = min(claim, cap)
    return employee, claim - employee


@dataclass(frozen=True)
class SecuredClaim:
    """A secured claim and the net liquidation value of its own collateral.

    Several charges on one asset are entered with the value available to each after prior ones.
    """

    creditor_id: str
    amount: Decimal
    collateral_value: Decimal


@dataclass(frozen=True)
class LiquidationInput:
    """What the estate would realise in a liquidation, and the claims on it, in cents.

    ``free_assets`` is the liquidation value of the unencumbered assets. Each mapping goes from
    claimant id to amount; the same id in several ranks is the same claimant.
    """

    free_assets: Decimal
    secured: Sequence[SecuredClaim] = ()
    costs: Mapping[str, Decimal] = field(default_factory=dict)
    common_benefit_debts: Mapping[str, Decimal] = field(default_factory=dict)
    employee_claims: Mapping[str, Decimal] = field(default_factory=dict)
    social_insurance_and_taxes: Mapping[str, Decimal] = field(default_factory=dict)
    ordinary_claims: Mapping[str, Decimal] = field(default_factory=dict)
    subordinated_claims: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True)
class RankOutcome:
    """Totals of one rank: claims, amount paid, rate (4 places, ``None`` with no claims)."""

    rank: str
    label: str
    claims: Decimal
    paid: Decimal
    rate: Decimal | None


@dataclass(frozen=True)
class CreditorOutcome:
    """One claimant's total claim (all ranks), what it recovers and from where, and its rate."""

    creditor_id: str
    claim: Decimal
    from_collateral: Decimal
    from_estate: Decimal
    recovery: Decimal
    rate: Decimal | None


@dataclass(frozen=True)
class Liquidation:
    """Result of the simulated liquidation.

    ``estate`` = free assets + collateral surplus; ``leftover`` is what remains after every rank
    is paid in full (returned to the shareholders, 0 when any claim is short).
    """

    estate: Decimal
    collateral_surplus: Decimal
    ranks: tuple[RankOutcome, ...]
    creditors: Mapping[str, CreditorOutcome]
    leftover: Decimal


def _realise_collateral(
    secured: Sequence[SecuredClaim],
) -> tuple[list[tuple[str, Decimal]], dict[str, Decimal], Decimal]:
    """Pay each secured claim from its collateral (Art.109); return payments, deficiencies, surplus.

    The unpaid part of a secured claim becomes an ordinary claim (Art.110); collateral value above
    the claim joins the general estate.
    """
    payments: list[tuple[str, Decimal]] = []
    deficiencies: dict[str, Decimal] = {}
    surplus = ZERO
    for claim in secured:
        amount = _money(claim.amount, f"有财产担保债权额（{claim.creditor_id}）")
        value = _money(claim.collateral_value, f"担保物清算价值（{claim.creditor_id}）")
        paid = min(amount, value)
        payments.append((claim.creditor_id, paid))
        surplus += value - paid
        if amount > paid:
            deficiencies[claim.creditor_id] = (
                deficiencies.get(claim.creditor_id, ZERO) + amount - paid
            )
    return payments, deficiencies, surplus


def _merge(claims: Mapping[str, Decimal], extra: Mapping[str, Decimal]) -> dict[str, Decimal]:
    merged = dict(claims)
    for key, amount in extra.items():
        merged[key] = merged.get(key, ZERO) + amount
    return merged


def _rank_outcome(rank: str, claims: Iterable[Decimal], paid: Iterable[Decimal]) -> RankOutcome:
    claimed, paid_total = _total(claims), _total(paid)
    return RankOutcome(rank, RANK_LABELS[rank], claimed, paid_total, ratio(paid_total, claimed))


def simulate_liquidation(data: LiquidationInput) -> Liquidation:
    """Distribute a liquidation by the statutory order (企业破产法 Art.43, 109, 110, 113).

    1. Secured claims are paid from their own collateral (Art.109); an unpaid remainder becomes an
       ordinary claim of the same creditor (Art.110); surplus collateral value joins the estate.
    2. The estate pays, in order: bankruptcy costs, then common-benefit debts (Art.43 paras.1-2:
       costs first when both cannot be paid), employee claims (Art.113 para.1 item 1), other
       social insurance contributions and taxes (item 2), ordinary claims (item 3), then
       subordinated claims (劣后债权: fines, penalties and claims the court orders subordinated,
       全国法院破产审判工作会议纪要 法〔2018〕53号 §28), which get something only once every
       ordinary claim is paid in full. See ``liquidation_class`` for where a claim goes.
    3. A rank that cannot be paid in full is paid pro rata (Art.43 para.3, Art.113 para.2) and
       later ranks get nothing; cents by the largest-remainder method (see ``pro_rata``).
    """
    free_assets = _money(data.free_assets, "无担保财产清算价值")
    collateral_payments, deficiencies, surplus = _realise_collateral(data.secured)
    ranks = [
        (COSTS, _money_map(data.costs, "破产费用")),
        (COMMON_BENEFIT, _money_map(data.common_benefit_debts, "共益债务")),
        (EMPLOYEE, _money_map(data.employee_claims, "职工债权")),
        (SOCIAL_INSURANCE_TAX, _money_map(data.social_insurance_and_taxes, "社会保险费用和税款")),
        (ORDINARY_CLAIMS, _merge(_money_map(data.ordinary_claims, "普通债权"), deficiencies)),
    ]
    if data.subordinated_claims:  # the rank is listed only when there are such claims
        ranks.append((SUBORDINATED, _money_map(data.subordinated_claims, "劣后债权")))
    estate = free_assets + surplus
    remaining = estate
    distributed: list[tuple[str, dict[str, Decimal], dict[str, Decimal]]] = []
    for rank, claims in ranks:
        paid = pro_rata(claims, remaining)
        remaining -= _total(paid.values())
        distributed.append((rank, claims, paid))
    secured_rank = _rank_outcome(
        SECURED,
        (claim.amount for claim in data.secured),
        (paid for _, paid in collateral_payments),
    )
    estate_ranks = (
        _rank_outcome(rank, claims.values(), paid.values()) for rank, claims, paid in distributed
    )
    return Liquidation(
        estate=estate,
        collateral_surplus=surplus,
        ranks=(secured_rank, *estate_ranks),
        creditors=_creditor_outcomes(collateral_payments, distributed),
        leftover=remaining,
    )


def _creditor_outcomes(
    collateral_payments: Sequence[tuple[str, Decimal]],
    distributed: Sequence[tuple[str, Mapping[str, Decimal], Mapping[str, Decimal]]],
) -> dict[str, CreditorOutcome]:
    """Per claimant totals; a secured claim counts once (covered part + ordinary deficiency)."""
    claim: dict[str, Decimal] = defaultdict(lambda: ZERO)
    from_collateral: dict[str, Decimal] = defaultdict(lambda: ZERO)
    from_estate: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for creditor_id, paid in collateral_payments:
        claim[creditor_id] += paid
        from_collateral[creditor_id] += paid
    for _, claims, paid in distributed:
        for creditor_id, amount in claims.items():
            claim[creditor_id] += amount
            from_estate[creditor_id] += paid[creditor_id]
    return {
        creditor_id: CreditorOutcome(
            creditor_id=creditor_id,
            claim=total,
            from_collateral=from_collateral[creditor_id],
            from_estate=from_estate[creditor_id],
            recovery=from_collateral[creditor_id] + from_estate[creditor_id],
            rate=ratio(from_collateral[creditor_id] + from_estate[creditor_id], total),
        )
        for creditor_id, total in claim.items()
    }


# Art.2 para.1: (upper end of the bracket in yuan, inclusive; None = no end), upper limit of
# the rate on the part of the value within the bracket.
ADMINISTRATOR_FEE_BRACKETS: tuple[tuple[Decimal | None, Decimal], ...] = (
    (Decimal("1000000"), Decimal("0.12")),
    (Decimal("5000000"), Decimal("0.10")),
    (Decimal("10000000"), Decimal("0.08")),
    (Decimal("50000000"), Decimal("0.06")),
    (Decimal("100000000"), Decimal("0.03")),
    (Decimal("500000000"), Decimal("0.01")),
    (None, Decimal("0.005")),
)
LOCAL_FLOAT_LIMIT = Fraction(3, 10)


@dataclass(frozen=True)
class AdministratorFee:
    """The fee on ``base`` (the value finally distributed): ``cap`` is the sum of each
    bracket's part at its upper-limit rate (the most the court may award), ``fee`` the fee at
    the court's rate (the cap when none is set), ``rate`` = fee ÷ base (4 places, None on 0)."""

    base: Decimal
    cap: Decimal
    fee: Decimal
    rate: Decimal | None
    court_rate: Decimal | None


def administrator_fee_cap(base: Decimal, *, local_float: Fraction = Fraction(0)) -> Decimal:
    """The most the court may award the administrator on a distributed value of ``base``.

    SPC《关于审理企业破产案件确定管理人报酬的规定》Art.2 para.1: by brackets of the value of
    the debtor's property finally used to pay creditors — up to 1 million (inclusive) at most
    12 %, the part above 1 up to 5 million at most 10 %, 5–10 million 8 %, 10–50 million 6 %,
    50–100 million 3 %, 100–500 million 1 %, above 500 million 0.5 %. Para.2: the value of
    collateral paid to its secured creditor is not part of ``base`` (the caller leaves it out).
    Para.3: a high people's court may float the limits by up to 30 % (``local_float`` between
    -3/10 and 3/10). Rounded down to the cent (never above the limit).
    """
    value = _money(base, "管理人报酬计酬基数")
    if not -LOCAL_FLOAT_LIMIT <= Fraction(local_float) <= LOCAL_FLOAT_LIMIT:
        raise RuleError("高级人民法院调整报酬比例限制的浮动范围不得超过30%（第2条第3款）")
    total = Fraction(0)
    lower = Decimal(0)
    for upper, rate in ADMINISTRATOR_FEE_BRACKETS:
        top = value if upper is None else min(value, upper)
        if top > lower:
            total += Fraction(top - lower) * Fraction(rate)
        if upper is None or value <= upper:
            break
        lower = upper
    total *= 1 + Fraction(local_float)
    return _cents(math.floor(total * 100))


def administrator_fee(
    base: Decimal, court_rate: Decimal | None = None, *, local_float: Fraction = Fraction(0)
) -> AdministratorFee:
    """The administrator's fee as a cost of a path (SPC 管理人报酬规定 Art.2; Art.9 lets the court
    fix and adjust it within the limits). ``court_rate`` is the percentage of ``base`` the court
    fixed (0–100); the fee may not exceed ``administrator_fee_cap`` (RuleError). Without a rate
    the fee is the cap, the highest cost the path can bear. Rounded down to the cent."""
    cap = administrator_fee_cap(base, local_float=local_float)
    if court_rate is None:
        fee = cap
    else:
        if (
            isinstance(court_rate, bool)
            or not isinstance(court_rate, Decimal)
            or not court_rate.is_finite()
            or not ZERO <= court_rate <= HUNDRED
        ):
            raise RuleError(f"管理人报酬比例应在 0 至 100 之间：{court_rate!r}")
        fee = (base * court_rate / HUNDRED).quantize(CENT, rounding=ROUND_DOWN)
        if fee > cap:
            raise RuleError(
                f"按 {court_rate}% 计算的管理人报酬 {fee} 元超过规定第2条的上限 {cap} 元"
            )
    return AdministratorFee(
        base=base, cap=cap, fee=fee, rate=ratio(fee, base), court_rate=court_rate
    )


@dataclass(frozen=True)
class ComparisonRow:
    """One creditor under the draft agreement versus the simulated liquidation.

    ``better_off`` is True only when the agreement pays strictly more; ``difference`` is
    agreement minus liquidation (negative: the creditor would lose by agreeing).
    """

    creditor_id: str
    claim: Decimal
    liquidation_recovery: Decimal
    agreement_recovery: Decimal
    better_off: bool
    difference: Decimal


def compare_with_agreement(
    liquidation: Liquidation, agreement_offers: Mapping[str, Decimal]
) -> tuple[ComparisonRow, ...]:
    """Creditor-by-creditor "better off?" table of a draft agreement (企业破产法 Art.97, 113).

    The economic-impact assessment's comparison: each offered creditor's total recovery in the
    simulated liquidation (Art.113) against the nominal, undiscounted total it would receive
    under the draft agreement (including anything from its own collateral). Rows follow the order
    of ``agreement_offers``. An offer to an unknown creditor or above its claim raises
    ``RuleError``.
    """
    rows = []
    for creditor_id, offer in agreement_offers.items():
        outcome = liquidation.creditors.get(creditor_id)
        if outcome is None:
            raise RuleError(f"模拟清算中没有该债权人：{creditor_id}")
        offered = _money(offer, f"和解协议清偿额（{creditor_id}）")
        if offered > outcome.claim:
            raise RuleError(f"和解协议清偿额 {offered} 超过债权额 {outcome.claim}（{creditor_id}）")
        rows.append(
            ComparisonRow(
                creditor_id=creditor_id,
                claim=outcome.claim,
                liquidation_recovery=outcome.recovery,
                agreement_recovery=offered,
                better_off=offered > outcome.recovery,
                difference=offered - outcome.recovery,
            )
        )
    return tuple(rows)
