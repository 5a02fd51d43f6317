"""The bases: one place that says what each total counts (issue 22, "totals that disagree")."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from qinqing.bankruptcy.models import AgendaItem, Case, Claim
from qinqing.bankruptcy.selectors.claims import _senior_split, latest_assessment, senior_excess
from qinqing.bankruptcy.selectors.common import REVIEWED, SUBORDINATED_NATURES, ZERO
from qinqing.bankruptcy.selectors.meetings import (
    _CLAIM_ROW_FIELDS,
    _claim_row,
    _uncovered,
    item_result,
)


@dataclass(frozen=True)
class BasisLine:
    key: str
    label: str
    amount: Decimal
    note: str = ""


@dataclass(frozen=True)
class CaseBases:
    """Every total a page of the case shows, each labelled with what it counts.

    ``lines``: totals of the claims register (``case_bases``); ``items``: per agenda item of the
    case's meetings, the vote's bases (``rules.VotingBases`` as a dict, from ``item_result``).
    """

    lines: tuple[BasisLine, ...]
    items: tuple[tuple[AgendaItem, dict], ...]

    def amount(self, key: str) -> Decimal:
        return next(line.amount for line in self.lines if line.key == key)

    def item(self, item: AgendaItem) -> dict | None:
        return next((b for i, b in self.items if i.pk == item.pk), None)


def _register_totals(case: Case) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    assessment = latest_assessment(case)
    for db_claim in case.claims.filter(rank=Claim.Rank.EMPLOYEE, status__in=REVIEWED):
        amount = db_claim.admitted_amount or ZERO
        split = _senior_split(db_claim, amount, assessment)
        employee, excess = split if split is not None else (amount, ZERO)
        totals["employee"] += employee
        # the part above the average is an ordinary, unsecured claim (Art.113 para.3): it is
        # counted with the other unsecured claims of its status, and shown on its own line
        totals["senior_excess"] += excess
        totals[db_claim.status] += excess
        if db_claim.status != Claim.Status.CONFIRMED and db_claim.provisional_amount is not None:
            totals["provisional"] += senior_excess(
                db_claim, assessment, db_claim.provisional_amount
            )
    for row in case.claims.values_list("rank", "nature", *_CLAIM_ROW_FIELDS):
        rank, nature, values = row[0], row[1], row[2:]
        claim = _claim_row(tuple(values))
        if rank == Claim.Rank.EMPLOYEE:
            continue
        if rank == Claim.Rank.TAX_SOCIAL and nature != Claim.Nature.TAX_LATE_FEE:
            if claim.status in REVIEWED:
                totals["tax"] += claim.admitted_amount or ZERO
            continue
        if nature in SUBORDINATED_NATURES:
            if claim.status in REVIEWED:
                totals["subordinated"] += claim.admitted_amount or ZERO
            elif claim.status == Claim.Status.FILED:
                totals["subordinated"] += claim.declared
            continue
        if claim.status == Claim.Status.FILED:
            totals["filed"] += _uncovered(claim, claim.declared)
            continue
        if claim.status == Claim.Status.REJECTED:
            if claim.provisional_amount is not None:
                totals["provisional"] += _uncovered(claim, claim.provisional_amount)
            continue
        admitted = claim.admitted_amount or ZERO
        totals[claim.status] += _uncovered(claim, admitted)
        if claim.secured and not claim.waived_priority:
            totals["secured"] += admitted
            totals["secured_covered"] += admitted - _uncovered(claim, admitted)
        if claim.status != Claim.Status.CONFIRMED and claim.provisional_amount is not None:
            totals["provisional"] += _uncovered(claim, claim.provisional_amount)
    return totals


def case_bases(case: Case) -> CaseBases:
    """The one source of the totals shown on the tally (meeting) page, the agreement page, the
    assessment and the API (Art.57-59, 64, 97, 100, 110, 113): the claims register's totals,
    each labelled, and the bases of each agenda item's vote (``item_result``).

    The agreement's basis (what the terms pay a rate on) and the vote's U differ where a claim
    is disputed: the agreement counts the administrator's reviewed amount (the creditor is paid
    on it once the suit confirms it), the vote counts the court's provisional amount (Art.59
    para.2). Both are listed so a reader sees why.
    """
    t = _register_totals(case)
    confirmed, admitted, disputed = (
        t[Claim.Status.CONFIRMED],
        t[Claim.Status.ADMITTED],
        t[Claim.Status.DISPUTED],
    )
    inside = case.priority_claims == "inside"
    priority_total = t["employee"] + t["tax"] if inside else ZERO
    agreement_basis = confirmed + admitted + disputed + priority_total
    lines = (
        BasisLine("confirmed", _("法院裁定确认的无财产担保债权"), confirmed),
        BasisLine("admitted", _("管理人审查确认、尚待法院裁定的无财产担保债权"), admitted),
        BasisLine(
            "disputed",
            _("有异议的债权（管理人审查额，待诉讼确定）"),
            disputed,
            _("表决时按法院临时确定的表决额计（第59条第2款）"),
        ),
        BasisLine(
            "senior_excess",
            _("其中：董事、监事和高级管理人员工资超出职工平均工资的部分"),
            t["senior_excess"],
            _("普通债权（第113条第3款）：已计入上列无财产担保债权，参加表决，按协议清偿率受偿"),
        ),
        BasisLine(
            "priority_in_agreement",
            _("列入和解协议全额清偿的职工债权和税款债权"),
            priority_total,
            _("本案设置：列入和解协议") if inside else _("本案设置：协议外全额清偿，认可前须付清"),
        ),
        BasisLine(
            "agreement_basis",
            _("和解协议清偿基数（前三项与列入协议的职工债权、税款之和）"),
            agreement_basis,
            _("协议条款的“确认债权”之和；名义清偿率的分母"),
        ),
        BasisLine("provisional", _("法院临时确定的表决额（未确认债权）"), t["provisional"]),
        BasisLine("filed", _("已申报、尚未审查的无财产担保债权（按申报额）"), t["filed"]),
        BasisLine(
            "liquidation_ordinary",
            _("模拟清算中的普通债权"),
            agreement_basis - priority_total + t["filed"],
            _("和解协议清偿基数（不含职工债权和税款）与尚未审查的申报额之和（第113条第1款第3项）"),
        ),
        BasisLine(
            "secured",
            _("有财产担保、未放弃优先受偿权的债权（审查额）"),
            t["secured"],
            _("其不足清偿部分已计入上列无财产担保债权（第110条）"),
        ),
        BasisLine(
            "secured_covered",
            _("其中担保物可清偿部分（不计入无财产担保债权总额）"),
            t["secured_covered"],
        ),
        BasisLine(
            "employee", _("职工债权（不参加和解协议表决；第113条第1款第1项）"), t["employee"]
        ),
        BasisLine("tax", _("社会保险费用和税款（不参加和解协议表决）"), t["tax"]),
        BasisLine(
            "subordinated",
            _("劣后债权（罚款、罚金等，普通债权之后清偿）"),
            t["subordinated"],
        ),
    )
    items = tuple(
        (item, item_result(item).get("bases") or {})
        for item in AgendaItem.objects.filter(meeting__case=case)
        .select_related("meeting__case")
        .order_by("meeting__date", "pk")
    )
    return CaseBases(lines=lines, items=items)
