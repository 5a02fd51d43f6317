"""Court figures of the reconciliation practice, each a documented query over recorded facts.

Working definitions (court usage, not official; design "Working definitions"). The population is
the same for all but the last: reconciliation agreements (企业破产法 Art.97, or an out-of-court
settlement, Art.105) approved by the court (Art.98) within the period and not terminated since
(Art.104), i.e. being performed or performed.
With an organisation: cases of that court, administrator or debtor.
"""

from __future__ import annotations

import statistics
from datetime import date
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models import Agreement, AgreementTerm, Assessment, Payment
from qinqing.bankruptcy.selectors import rescued_agreements
from qinqing.core import figures

ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def _percent(rate: Decimal | None) -> Decimal | None:
    return None if rate is None else (rate * HUNDRED).quantize(Decimal("0.01"))


def _terms(start: date, end: date, organisation=None):
    return AgreementTerm.objects.filter(agreement__in=rescued_agreements(start, end, organisation))


@figures.register(
    name="assets_revitalised",
    label=_("盘活资产"),
    unit=_("元"),
    definition=_(
        "统计区间内经法院裁定认可且未被终止的和解协议（含第105条自行和解）所涉债务人，"
        "其最近一次涉企经济影响评估（不晚于认可日）记录的资产评估价值之和"
        "（第97、98条；法院工作口径）。"
    ),
)
def assets_revitalised(start: date, end: date, organisation=None) -> Decimal:
    total = ZERO
    for agreement in rescued_agreements(start, end, organisation).select_related("case"):
        assessment = (
            Assessment.objects.filter(case=agreement.case, assessed_on__lte=agreement.approved_on)
            .order_by("-assessed_on", "-pk")
            .first()
        )
        if assessment is not None:
            total += assessment.assets_appraised
    return total


@figures.register(
    name="debts_resolved",
    label=_("化解债务"),
    unit=_("元"),
    definition=_(
        "统计区间内经法院裁定认可且未被终止的和解协议所约束的确认无财产担保债权面值之和"
        "（第100条；法院工作口径）。"
    ),
)
def debts_resolved(start: date, end: date, organisation=None) -> Decimal:
    sums = _terms(start, end, organisation).aggregate(
        s=Sum("confirmed_amount"), p=Sum("priority_amount")
    )
    return ((sums["s"] or ZERO) - (sums["p"] or ZERO)).quantize(ZERO)


@figures.register(
    name="repayment_rate_nominal",
    label=_("债权清偿率（协议）"),
    unit=_("%"),
    definition=_(
        "同一范围内：和解协议约定清偿额之和 ÷ 确认的无财产担保债权之和 × 100，"
        "四舍五入到 0.01 个百分点；无确认债权时为空。"
    ),
)
def repayment_rate_nominal(start: date, end: date, organisation=None) -> Decimal | None:
    sums = _terms(start, end, organisation).aggregate(
        c=Sum("confirmed_amount"), a=Sum("agreed_amount"), p=Sum("priority_amount")
    )
    priority = sums["p"] or ZERO
    return _percent(rules.ratio((sums["a"] or ZERO) - priority, (sums["c"] or ZERO) - priority))


@figures.register(
    name="repayment_rate_realised",
    label=_("债权清偿率（实付）"),
    unit=_("%"),
    definition=_(
        "同一范围内：截至统计区间末日已按协议实际支付的清偿款之和 ÷ 确认的无财产担保债权之和"
        " × 100，四舍五入到 0.01 个百分点；无确认债权时为空。"
    ),
)
def repayment_rate_realised(start: date, end: date, organisation=None) -> Decimal | None:
    terms = _terms(start, end, organisation)
    sums = terms.aggregate(c=Sum("confirmed_amount"), p=Sum("priority_amount"))
    confirmed = (sums["c"] or ZERO) - (sums["p"] or ZERO)
    paid_by_term = dict(
        Payment.objects.filter(term__in=terms, paid_on__lte=end)
        .values("term")
        .annotate(s=Sum("amount"))
        .values_list("term", "s")
    )
    # employee and tax claims inside an agreement are paid first (Art.113 order): a payment
    # counts towards the unsecured claims only beyond them
    paid = sum(
        (
            max(ZERO, paid_by_term.get(pk, ZERO) - priority)
            for pk, priority in terms.values_list("pk", "priority_amount")
        ),
        ZERO,
    )
    return _percent(rules.ratio(paid, confirmed))


@figures.register(
    name="firms_rescued",
    label=_("挽救企业"),
    unit=_("家"),
    definition=_("统计区间内和解协议经法院裁定认可且未被终止的债务人企业数（同一企业只计一次）。"),
)
def firms_rescued(start: date, end: date, organisation=None) -> int:
    return rescued_agreements(start, end, organisation).values("case__debtor").distinct().count()


@figures.register(
    name="median_days_to_approval",
    label=_("受理至认可和解协议用时（中位数）"),
    unit=_("天"),
    definition=_(
        "统计区间内法院裁定认可的全部和解协议（含其后终止的），自受理日至认可裁定日的自然日数"
        "的中位数；无案件时为空。"
    ),
)
def median_days_to_approval(start: date, end: date, organisation=None) -> Decimal | None:
    qs = Agreement.objects.filter(approved_on__gte=start, approved_on__lte=end).select_related(
        "case"
    )
    if organisation is not None:
        qs = qs.filter(case__court=organisation)
    days = [(a.approved_on - a.case.acceptance_date).days for a in qs]
    if not days:
        return None
    return Decimal(str(statistics.median(days)))


def series(years: list[int]) -> list[dict]:
    """Per year: debts resolved and assets revitalised (for the dashboard chart)."""
    out = []
    for year in years:
        start, end = date(year, 1, 1), date(year, 12, 31)
        out.append(
            {
                "year": year,
                "assets": assets_revitalised(start, end),
                "debts": debts_resolved(start, end),
                "firms": firms_rescued(start, end),
            }
        )
    return out
