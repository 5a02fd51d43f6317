"""Reads of agreements and payments, the rescued agreements figure, and the Art.104 liquidation
after a terminated agreement."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models import (
    AgendaItem,
    Agreement,
    AgreementTerm,
    Creditor,
    Meeting,
    Payment,
)
from qinqing.bankruptcy.selectors.cases import own_creditors
from qinqing.bankruptcy.selectors.claims import _senior_split, latest_assessment
from qinqing.bankruptcy.selectors.common import REVIEWED, ZERO
from qinqing.core.permissions import visible


def term_paid(term: AgreementTerm) -> Decimal:
    return (term.payments.aggregate(s=Sum("amount"))["s"] or ZERO).quantize(ZERO)


def term_position(term: AgreementTerm, today: date | None = None) -> dict:
    today = today or timezone.localdate()
    installments = list(term.installments.all())
    paid = term_paid(term)

    def due_by(day: date) -> Decimal:
        return sum((i.amount for i in installments if i.due_date <= day), ZERO)

    due_now = due_by(today)
    return {
        "paid": paid,
        "due_now": due_now,
        "overdue": max(ZERO, due_now - paid),
        "remaining": term.agreed_amount - paid,
        "due_cumulative_by": due_by,
    }


def agreement_rates(agreement: Agreement) -> rules.RepaymentRates:
    return rules.repayment_rates(
        rules.RepaymentLine(
            creditor_id=str(t.creditor_id),
            confirmed_unsecured=t.confirmed_amount,
            agreed=t.agreed_amount,
            paid=term_paid(t),
            tier=t.tier or None,
        )
        for t in agreement.terms.all()
    )


def terms_for(*, user, agreement: Agreement) -> QuerySet:
    qs = agreement.terms.select_related("creditor").prefetch_related("installments", "payments")
    return visible(user, "bankruptcy.view_term", qs)


def creditor_overview(*, user) -> list[dict]:
    """The creditor's own page: per case its claims, ballots, terms and payments."""
    return [
        creditor_row(creditor)
        for creditor in own_creditors(user=user).order_by("-case__acceptance_date")
    ]


def creditor_row(creditor: Creditor) -> dict:
    """One creditor's claims, ballots, agreement terms (with instalments and payments) and the
    items open for voting in its case; the caller has established whose it is (an account, or
    a verified phone for `phone_creditors`)."""
    return {
        "creditor": creditor,
        "case": creditor.case,
        "claims": list(creditor.claims.prefetch_related("evidence")),
        "ballots": list(creditor.ballots.select_related("item__meeting")),
        "terms": list(
            creditor.terms.select_related("agreement").prefetch_related("installments", "payments")
        ),
        "open_items": list(
            AgendaItem.objects.filter(
                meeting__case=creditor.case,
                meeting__status=Meeting.Status.OPEN,
                is_open=True,
            ).select_related("meeting")
        ),
    }


def payments_for(*, user) -> QuerySet:
    qs = Payment.objects.select_related("term__creditor", "term__agreement__case")
    return visible(user, "bankruptcy.view_payment", qs)


def rescued_agreements(start: date, end: date, organisation=None) -> QuerySet:
    """Agreements (Art.97 or Art.105) approved by the court within [start, end] and not
    terminated since (挽救企业)."""
    qs = Agreement.objects.filter(
        approved_on__gte=start,
        approved_on__lte=end,
        status__in=(Agreement.Status.APPROVED, Agreement.Status.COMPLETED),
    )
    if organisation is not None:
        qs = qs.filter(
            Q(case__court=organisation)
            | Q(case__administrator=organisation)
            | Q(case__debtor=organisation)
        )
    return qs


def art104_claims(agreement: Agreement) -> tuple[list[rules.Art104Claim], dict[str, str]]:
    """The claims that share the distribution after ``agreement`` is terminated (Art.104), by
    Art.113 class, with what each creditor received under the agreement, and creditor id →
    name.

    - Reconciliation creditors: their original confirmed unsecured claim (the term's, the
      concessions lapsed, Art.104 para.2) in the ordinary class; received = what they were paid
      beyond the employee and tax claims the term paid in full (those are paid first).
    - Employee and tax claims: in their classes; received = the term's payments up to them
      (employee first), or the whole claim when recorded paid in full outside the agreement.
    - Every other reviewed claim of the case — creditors without a term, claims filed late in
      the liquidation (Art.56; a reconciliation creditor's too, added to its claim of the
      class), subordinated claims — with nothing received: the new creditors the Art.104
      para.3 equalisation waits for.
    Secured claims not waived count only for the part their collateral will not cover.
    """
    case = agreement.case
    assessment = latest_assessment(case)
    terms = {t.creditor_id: t for t in agreement.terms.all()}
    amounts: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    received: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
    names: dict[str, str] = {}
    claims = case.claims.filter(status__in=REVIEWED).select_related("creditor").order_by("pk")
    for claim in claims:
        amount = claim.admitted_amount or ZERO
        if claim.secured and not claim.waived_priority:
            amount = max(ZERO, amount - claim.collateral_value)
        if amount == 0:
            continue
        key = str(claim.creditor_id)
        names[key] = claim.creditor.name
        target = rules.liquidation_class(claim.rank, claim.nature)
        split = _senior_split(claim, amount, assessment)
        parts = (
            [(target, amount)]
            if split is None
            else [
                (rules.EMPLOYEE, split[0]),
                (rules.ORDINARY_CLAIMS, split[1]),
            ]
        )
        after = agreement.terminated_on is not None and claim.filed_on >= agreement.terminated_on
        for rank, part in parts:
            if rank == rules.ORDINARY_CLAIMS and claim.creditor_id in terms and not after:
                continue  # the term's confirmed amount stands for the reconciliation claim
            amounts[(key, rank)] += part
            if claim.paid_in_full_on is not None and rank in (
                rules.EMPLOYEE,
                rules.SOCIAL_INSURANCE_TAX,
            ):
                received[(key, rank)] += part
    for creditor_id, term in terms.items():
        key = str(creditor_id)
        names[key] = term.creditor.name
        ordinary = term.confirmed_amount - term.priority_amount
        if ordinary > 0:
            amounts[(key, rules.ORDINARY_CLAIMS)] += ordinary
        # A term's payments go to its employee and tax claims first (employees first), then to
        # the reconciliation claim (as in the court's figures).
        towards_priority = min(term.paid_amount, term.priority_amount)
        for rank in (rules.EMPLOYEE, rules.SOCIAL_INSURANCE_TAX):
            room = amounts.get((key, rank), ZERO) - received[(key, rank)]
            take = max(ZERO, min(towards_priority, room))
            received[(key, rank)] += take
            towards_priority -= take
        if ordinary > 0:
            beyond = max(ZERO, term.paid_amount - term.priority_amount)
            received[(key, rules.ORDINARY_CLAIMS)] += min(beyond, ordinary)
    rows = [
        rules.Art104Claim(creditor=key, rank=rank, amount=amount, received=received[(key, rank)])
        for (key, rank), amount in sorted(amounts.items())
        if amount > 0
    ]
    return rows, names


ART104_CLASS_LABELS = {
    rules.EMPLOYEE: _("职工债权"),
    rules.SOCIAL_INSURANCE_TAX: _("社会保险费用和税款"),
    rules.ORDINARY_CLAIMS: _("普通债权"),
    rules.SUBORDINATED: _("劣后债权"),
}


@dataclass(frozen=True)
class Art104Line:
    label: str
    creditor: str
    amount: Decimal
    received: Decimal
    share: Decimal
    new_creditor: bool


@dataclass(frozen=True)
class Art104Preview:
    distributable: Decimal
    lines: tuple[Art104Line, ...]
    levels: tuple[tuple[str, Decimal], ...]
    left_over: Decimal


def art104_preview(agreement: Agreement, distributable: Decimal) -> Art104Preview:
    """The Art.104 distribution of ``distributable`` over the claims as they stand now (the
    liquidation's late-filed claims included), class by class; raises ``rules.RuleError``."""
    rows, names = art104_claims(agreement)
    result = rules.art104_distribution(rows, distributable)
    in_agreement = {str(pk) for pk in agreement.terms.values_list("creditor_id", flat=True)}
    lines = tuple(
        Art104Line(
            label=ART104_CLASS_LABELS[row.rank],
            creditor=names[row.creditor],
            amount=row.amount,
            received=row.received,
            share=result.by_class[row.rank][row.creditor],
            new_creditor=row.creditor not in in_agreement,
        )
        for rank in rules.ART104_CLASSES
        for row in rows
        if row.rank == rank
    )
    return Art104Preview(
        distributable=distributable,
        lines=lines,
        levels=tuple((ART104_CLASS_LABELS[k], v) for k, v in result.levels.items()),
        left_over=result.left_over,
    )
