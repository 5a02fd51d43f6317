"""Fast track and the economic-impact assessment report."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models import Agreement, Assessment, Case, Claim
from qinqing.bankruptcy.selectors.bases import CaseBases, case_bases
from qinqing.bankruptcy.selectors.claims import (
    _senior_split,
    claim_basis,
    latest_assessment,
    priority_parts,
)
from qinqing.bankruptcy.selectors.common import ZERO
from qinqing.core import calendar


def fast_track_result(case: Case) -> rules.FastTrackResult | None:
    assessment = latest_assessment(case)
    if assessment is None or case.fast_track_profile is None:
        return None
    claims = [c for c in case.claims.all() if claim_basis(c) is not None]
    return rules.fast_track_assessment(
        case.fast_track_profile.as_rule(),
        rules.FastTrackFacts(
            acceptance_date=case.acceptance_date,
            creditor_count=len({c.creditor_id for c in claims}),
            claims_total=sum((claim_basis(c) for c in claims), ZERO),
            assets_total=assessment.assets_appraised,
            pending_proceedings=case.pending_proceedings,
            books_taken_over=case.books_taken_over,
            assets_liquidation=assessment.assets_liquidation,
            costs_estimate=assessment.costs_estimate,
            enforcement_transfer=case.enforcement_transfer,
            licence_revoked=case.licence_revoked,
            forced_liquidation_done=case.forced_liquidation_done,
            parties_agree=case.parties_agree,
            assets_hard_to_realise=case.assets_hard_to_realise,
            special_debtor=case.special_debtor,
            stability_risk=case.stability_risk,
        ),
        next_working_day=calendar.next_working_day,
    )


@dataclass(frozen=True)
class AssessmentReport:
    assessment: Assessment
    fast_track: rules.FastTrackResult | None
    liquidation: rules.Liquidation
    names: dict[str, str]
    comparison: tuple[rules.ComparisonRow, ...]
    agreement: Agreement | None
    bases: CaseBases
    split_notes: tuple[str, ...] = ()
    liquidation_fee: rules.AdministratorFee | None = None
    reconciliation_fee: rules.AdministratorFee | None = None
    fee_notes: tuple[str, ...] = ()


def assessment_report(case: Case) -> AssessmentReport | None:
    """Fast-track eligibility with reasons, the Art.113 simulated liquidation, and each
    creditor's outcome under the draft agreement against liquidation ("better off?")."""
    assessment = latest_assessment(case)
    if assessment is None:
        return None
    names: dict[str, str] = {"costs": "破产费用（预计）", "common": "共益债务（预计）"}
    secured: list[rules.SecuredClaim] = []
    classes: dict[str, dict[str, Decimal]] = defaultdict(dict)
    split_notes: list[str] = []
    for claim in case.claims.select_related("creditor"):
        amount = claim_basis(claim)
        if amount is None or amount == 0:
            continue
        key = str(claim.creditor_id)
        names[key] = claim.creditor.name
        if claim.secured and not claim.waived_priority:
            secured.append(rules.SecuredClaim(key, amount, claim.collateral_value))
            continue
        target = rules.liquidation_class(claim.rank, claim.nature)
        parts = [(target, amount)]
        split = _senior_split(claim, amount, assessment)
        if split is not None:
            employee, excess = split
            parts = [(rules.EMPLOYEE, employee), (rules.ORDINARY_CLAIMS, excess)]
            if excess:
                split_notes.append(
                    _(
                        "%(name)s：按职工月平均工资计入职工债权 %(employee)s 元，其余 %(excess)s 元"
                        "列为普通债权（第113条第3款）"
                    )
                    % {"name": claim.creditor.name, "employee": employee, "excess": excess}
                )
        elif claim.rank == Claim.Rank.EMPLOYEE and claim.senior_manager:
            split_notes.append(
                _(
                    "%(name)s：董事、监事或高级管理人员的工资，尚缺欠薪月数或职工月平均工资，暂全额列入职工债权"
                )
                % {"name": claim.creditor.name}
            )
        for target, part in parts:
            if part:
                classes[target][key] = classes[target].get(key, ZERO) + part
    costs = {"costs": assessment.costs_estimate} if assessment.costs_estimate else {}
    common = (
        {"common": assessment.common_benefit_estimate} if assessment.common_benefit_estimate else {}
    )
    data = rules.LiquidationInput(
        free_assets=assessment.assets_liquidation,
        secured=secured,
        costs=costs,
        common_benefit_debts=common,
        employee_claims=classes[rules.EMPLOYEE],
        social_insurance_and_taxes=classes[rules.SOCIAL_INSURANCE_TAX],
        ordinary_claims=classes[rules.ORDINARY_CLAIMS],
        subordinated_claims=classes[rules.SUBORDINATED],
    )
    # The administrator's fee is a bankruptcy cost of the liquidation (Art.41(3)), on the value
    # the estate distributes (collateral paid to its secured creditor left out, SPC 管理人报酬
    # 规定 Art.2 para.2); in reconciliation it is on what the debtor pays its creditors.
    fee_notes: list[str] = []
    liquidation_fee = _fee(
        rules.simulate_liquidation(data).estate, case.administrator_fee_rate, fee_notes
    )
    if liquidation_fee.fee:
        names["administrator_fee"] = "管理人报酬（预计）"
        data = dataclasses.replace(data, costs={**costs, "administrator_fee": liquidation_fee.fee})
    liquidation = rules.simulate_liquidation(data)
    agreement = case.agreements.exclude(status__in=Agreement.ENDED).first()
    reconciliation_fee = None
    if agreement is not None:
        paid = sum((t.agreed_amount for t in agreement.terms.all()), ZERO)
        priority = sum(classes[rules.EMPLOYEE].values(), ZERO) + sum(
            classes[rules.SOCIAL_INSURANCE_TAX].values(), ZERO
        )
        reconciliation_fee = _fee(paid + priority, case.administrator_fee_rate, fee_notes)
    comparison: tuple[rules.ComparisonRow, ...] = ()
    if agreement is not None:
        # employee and tax claims paid in full outside the agreement (the case's default
        # setting, checked at approval) are part of what the reconciliation path pays
        outside: dict[str, Decimal] = defaultdict(lambda: ZERO)
        if case.priority_claims != "inside":
            for claim, part in priority_parts(case):  # a senior manager: up to the average
                outside[str(claim.creditor_id)] += part
        offers = {}
        for term in agreement.terms.all():
            key = str(term.creditor_id)
            if key in liquidation.creditors:
                # under the agreement a secured creditor also keeps its collateral recovery
                offers[key] = min(
                    term.agreed_amount
                    + liquidation.creditors[key].from_collateral
                    + outside.pop(key, ZERO),
                    liquidation.creditors[key].claim,
                )
        for key, amount in outside.items():  # employees and the tax office without a term
            if key in liquidation.creditors:
                offers[key] = min(amount, liquidation.creditors[key].claim)
        try:
            comparison = rules.compare_with_agreement(liquidation, offers)
        except rules.RuleError:
            comparison = ()
    return AssessmentReport(
        assessment=assessment,
        fast_track=fast_track_result(case),
        liquidation=liquidation,
        names=names,
        comparison=comparison,
        agreement=agreement,
        bases=case_bases(case),
        split_notes=tuple(split_notes),
        liquidation_fee=liquidation_fee,
        reconciliation_fee=reconciliation_fee,
        fee_notes=tuple(dict.fromkeys(fee_notes)),
    )


def _fee(base: Decimal, court_rate: Decimal | None, notes: list[str]) -> rules.AdministratorFee:
    """The administrator's fee on ``base`` at the court's rate, or at the upper limits when the
    rate is not set or above them (with a note saying so)."""
    try:
        return rules.administrator_fee(base, court_rate)
    except rules.RuleError as exc:
        notes.append(_("法院确定的报酬比例不适用：%(why)s；按上限计") % {"why": exc})
        return rules.administrator_fee(base)
