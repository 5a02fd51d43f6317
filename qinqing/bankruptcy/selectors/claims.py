"""Reads of the claims register: the basis of a claim, priority and senior managers' parts, the
amount a creditor's claim counts in an agreement."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import QuerySet

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models import Assessment, Case, Claim, Creditor
from qinqing.bankruptcy.selectors.common import REVIEWED, SUBORDINATED_NATURES, ZERO


def claim_basis(claim: Claim) -> Decimal | None:
    """The amount a claim counts for in reports: reviewed amount, else declared; rejected none."""
    if claim.status in REVIEWED:
        return claim.admitted_amount
    if claim.status == Claim.Status.FILED:
        return claim.declared_amount
    return None


def unsecured_confirmed(creditor: Creditor) -> Decimal:
    """A creditor's reviewed unsecured ordinary claim (secured, not waived: the shortfall),
    with the part of a director's, supervisor's or senior manager's wage above the firm's
    average (an ordinary claim, Art.113 para.3: it votes and is offered the agreement's rate)."""
    total = ZERO
    assessment = _senior_assessment(creditor)
    for claim in creditor.claims.all():  # .all(): a prefetch of the claims serves a list
        if claim.rank == Claim.Rank.EMPLOYEE and claim.status in REVIEWED:
            total += senior_excess(claim, assessment)
            continue
        if claim.rank != Claim.Rank.ORDINARY or claim.status not in REVIEWED:
            continue
        if claim.nature in SUBORDINATED_NATURES:
            continue
        amount = claim.admitted_amount or ZERO
        if claim.secured and not claim.waived_priority:
            amount = max(ZERO, amount - claim.collateral_value)
        total += amount
    return total


PRIORITY_RANKS = (Claim.Rank.EMPLOYEE, Claim.Rank.TAX_SOCIAL)


def priority_claims(case: Case) -> QuerySet:
    """The case's reviewed employee claims and social insurance and tax claims (Art.113 para.1
    items 1-2; a tax late fee is ordinary): not reconciliation claims, paid in full outside the
    agreement or inside it (the case's ``priority_claims`` setting)."""
    return (
        case.claims.filter(rank__in=PRIORITY_RANKS, status__in=REVIEWED)
        .exclude(nature=Claim.Nature.TAX_LATE_FEE)
        .exclude(admitted_amount=None)
        .exclude(admitted_amount=0)
        .select_related("creditor")
        .order_by("creditor__name", "pk")
    )


def priority_part(claim: Claim, assessment: Assessment | None) -> Decimal:
    """The part of a reviewed employee or tax claim that is in the priority classes (Art.113
    para.1 items 1-2): the whole admitted amount, except a director's, supervisor's or senior
    manager's wage, of which only the wage at the firm's average is (Art.113 para.3; the rest
    is an ordinary claim, ``senior_excess``)."""
    amount = claim.admitted_amount or ZERO
    split = _senior_split(claim, amount, assessment)
    return amount if split is None else split[0]


def senior_excess(claim: Claim, assessment: Assessment | None, amount: Decimal | None = None):
    """The ordinary part of a director's, supervisor's or senior manager's wage claim (Art.113
    para.3): what ``amount`` (the admitted amount by default) exceeds the firm's average wage
    for the months owed; 0 for any other claim or while the average or months are missing."""
    if amount is None:
        amount = claim.admitted_amount or ZERO
    split = _senior_split(claim, amount, assessment)
    return ZERO if split is None else split[1]


def with_senior_splits(case: Case, claims: Iterable[Claim]) -> list[Claim]:
    """``claims`` as a list, each director's, supervisor's or senior manager's wage claim with
    ``art113_split`` = (employee class, ordinary) of its reviewed amount (Art.113 para.3), for
    the claims register to show; None where it does not apply or the figures are missing."""
    rows = list(claims)
    assessment = None
    if any(c.senior_manager for c in rows):
        assessment = latest_assessment(case)
    for claim in rows:
        amount = claim_basis(claim)
        claim.art113_split = (
            _senior_split(claim, amount, assessment) if amount is not None else None
        )
    return rows


def senior_excess_by_creditor(case: Case) -> dict[int, Decimal]:
    """Creditor id → the ordinary part of its reviewed senior manager's wage claims (Art.113
    para.3), for the creditors that have one: the agreement page says it is in the term."""
    claims = list(
        case.claims.filter(rank=Claim.Rank.EMPLOYEE, senior_manager=True, status__in=REVIEWED)
    )
    if not claims:
        return {}
    assessment = latest_assessment(case)
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for claim in claims:
        excess = senior_excess(claim, assessment)
        if excess:
            out[claim.creditor_id] += excess
    return dict(out)


def priority_parts(case: Case) -> list[tuple[Claim, Decimal]]:
    """Each of ``priority_claims(case)`` with its part in the priority classes (``priority_part``):
    what must be paid in full outside the agreement, or inside it, before approval."""
    assessment = latest_assessment(case)
    return [(claim, priority_part(claim, assessment)) for claim in priority_claims(case)]


def _senior_assessment(creditor: Creditor) -> Assessment | None:
    """The case's latest assessment when the creditor has a senior manager's wage claim (only
    then is it needed: one query saved per creditor otherwise)."""
    if any(c.senior_manager and c.rank == Claim.Rank.EMPLOYEE for c in creditor.claims.all()):
        return latest_assessment(creditor.case)
    return None


def priority_amount(creditor: Creditor) -> Decimal:
    """A creditor's reviewed employee and tax claims in their priority classes (see
    ``priority_claims``; a senior manager's wage only up to the average, ``priority_part``)."""
    assessment = _senior_assessment(creditor)
    return sum(
        (
            priority_part(c, assessment)
            for c in creditor.claims.all()
            if c.rank in PRIORITY_RANKS
            and c.status in REVIEWED
            and c.nature != Claim.Nature.TAX_LATE_FEE
        ),
        ZERO,
    )


def agreement_claim(creditor: Creditor) -> Decimal:
    """What a creditor's term in the agreement is measured against: its reviewed unsecured
    claim, plus its employee and tax claims when the case includes them in the agreement."""
    amount = unsecured_confirmed(creditor)
    if creditor.case.priority_claims == "inside":
        amount += priority_amount(creditor)
    return amount


def latest_assessment(case: Case) -> Assessment | None:
    return case.assessments.order_by("-assessed_on", "-pk").first()


def _senior_split(claim, amount: Decimal, assessment: Assessment | None):
    """(employee class, ordinary) of a director's, supervisor's or senior manager's wage claim
    (Art.113 para.3, ``rules.senior_manager_wage_split``), or None when it does not apply or
    the months owed or the average wage are not recorded."""
    if claim.rank != Claim.Rank.EMPLOYEE or not claim.senior_manager or not claim.wage_months:
        return None
    if assessment is None or assessment.average_monthly_wage <= 0:
        return None
    return rules.senior_manager_wage_split(
        amount, assessment.average_monthly_wage, claim.wage_months
    )
