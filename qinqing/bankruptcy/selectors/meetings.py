"""Reads of creditors' meetings: the voters, the tallies and results of an item, and what a
creditor sees at a meeting."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Q

from qinqing.bankruptcy import rules
from qinqing.bankruptcy.models import (
    AgendaItem,
    Agreement,
    AgreementTerm,
    Assessment,
    Attendance,
    Ballot,
    Case,
    Claim,
    Creditor,
    Meeting,
)
from qinqing.bankruptcy.selectors.common import REVIEWED, SUBORDINATED_NATURES, ZERO


class _ClaimRow(NamedTuple):
    status: str
    secured: bool
    waived_priority: bool
    admitted_amount: Decimal | None
    provisional_amount: Decimal | None
    declared: Decimal
    collateral_value: Decimal


_CLAIM_ROW_FIELDS = (
    "status",
    "secured",
    "waived_priority",
    "admitted_amount",
    "provisional_amount",
    "principal",
    "interest",
    "other",
    "collateral_value",
)


def _claim_row(values: tuple) -> _ClaimRow:
    status, secured, waived, admitted, provisional, principal, interest, other, collateral = values
    return _ClaimRow(
        status, secured, waived, admitted, provisional, principal + interest + other, collateral
    )


def _uncovered(claim: _ClaimRow, amount: Decimal) -> Decimal:
    """The part of ``amount`` that is unsecured: all of it, or for a secured claim whose
    priority is not waived what the collateral will not cover (Art.110)."""
    if claim.secured and not claim.waived_priority:
        return max(ZERO, amount - claim.collateral_value)
    return amount


def _voter(
    creditor_id: int, claims: list[_ClaimRow], *, present: bool, vote: str | None
) -> rules.Voter | None:
    """One creditor's ``Voter`` from its ordinary-rank claims (pure; see ``voter_for``)."""
    claims = [
        c for c in claims if c.status != Claim.Status.REJECTED or c.provisional_amount is not None
    ]
    if not claims:
        return None
    confirmed = [c for c in claims if c.status == Claim.Status.CONFIRMED]
    provisional = [
        c for c in claims if c.status != Claim.Status.CONFIRMED and c.provisional_amount is not None
    ]
    amount = sum((c.admitted_amount or ZERO for c in confirmed), ZERO) + sum(
        (c.provisional_amount for c in provisional), ZERO
    )
    unsecured_part = sum((_uncovered(c, c.admitted_amount or ZERO) for c in confirmed), ZERO) + sum(
        (_uncovered(c, c.provisional_amount) for c in provisional), ZERO
    )
    if not confirmed and not provisional:  # no vote (Art.59); the amount is informative only
        amount = sum(
            ((c.admitted_amount if c.status in REVIEWED else c.declared) or ZERO for c in claims),
            ZERO,
        )
        unsecured_part = ZERO
    secured = [c for c in claims if c.secured]
    is_confirmed = not provisional and bool(confirmed)
    return rules.Voter(
        creditor_id=str(creditor_id),
        amount=amount,
        secured=bool(secured),
        waived_priority=bool(secured) and all(c.waived_priority for c in secured),
        confirmed=is_confirmed,
        provisional_amount=None if is_confirmed or not provisional else amount,
        present=present,
        vote=vote if present else None,
        unsecured_part=unsecured_part,
    )


def voter_for(creditor: Creditor, *, present: bool, vote: str | None) -> rules.Voter | None:
    """The creditor's ``Voter`` (ordinary-rank claims; employee and tax claims are not
    reconciliation claims). Confirmed claims vote with their amount, unconfirmed ones with the
    court's provisional amount (Art.59); ``None`` when it has no ordinary claim."""
    rows = (
        Claim.objects.filter(_VOTING_CLAIMS, creditor=creditor)
        .exclude(nature__in=SUBORDINATED_NATURES)
        .values_list("rank", "wage_months", *_CLAIM_ROW_FIELDS)
    )
    assessment = _Lazy(
        lambda: (
            Assessment.objects.filter(case_id=creditor.case_id)
            .order_by("-assessed_on", "-pk")
            .first()
        )
    )
    claims = [row for r in rows if (row := _voting_row(r, assessment)) is not None]
    return _voter(creditor.pk, claims, present=present, vote=vote)


# The claims that vote: ordinary-rank claims, and directors', supervisors' and senior
# managers' wage claims for their part above the firm's average wage (Art.113 para.3).
_VOTING_CLAIMS = Q(rank=Claim.Rank.ORDINARY) | Q(rank=Claim.Rank.EMPLOYEE, senior_manager=True)


class _Lazy:
    """A value computed at most once, when first asked for (the assessment, only when a
    senior manager's claim needs it)."""

    def __init__(self, compute):
        self._compute, self._done, self._value = compute, False, None

    def __call__(self):
        if not self._done:
            self._value, self._done = self._compute(), True
        return self._value


def _voting_row(values: tuple, assessment: _Lazy) -> _ClaimRow | None:
    """A claim as the vote sees it, from ``("rank", "wage_months", *_CLAIM_ROW_FIELDS)``: an
    ordinary claim as it is; a senior manager's wage claim as its part above the average
    (admitted, provisional and declared amounts each split, Art.113 para.3), or None when
    nothing is above it (or the average or the months are not recorded)."""
    rank, months, *rest = values
    row = _claim_row(tuple(rest))
    if rank == Claim.Rank.ORDINARY:
        return row
    average = getattr(assessment(), "average_monthly_wage", None)
    if not months or not average or average <= 0:
        return None

    def excess(amount: Decimal | None) -> Decimal | None:
        if amount is None:
            return None
        return rules.senior_manager_wage_split(amount, average, months)[1]

    part = row._replace(
        secured=False,
        waived_priority=False,
        admitted_amount=excess(row.admitted_amount),
        provisional_amount=excess(row.provisional_amount),
        declared=excess(row.declared),
        collateral_value=ZERO,
    )
    basis = part.admitted_amount if row.status in REVIEWED else part.declared
    if not basis and not part.provisional_amount:
        return None
    return part


def _shortfall_votes(item: AgendaItem) -> bool:
    """The case's setting: does the uncovered part of a secured claim vote (Art.110 reading)?"""
    return item.meeting.case.secured_shortfall_votes


def item_voters(item: AgendaItem) -> tuple[list[rules.Voter], Decimal]:
    """Every creditor of the case as a ``Voter`` on ``item``, and U, the unsecured total
    (``rules.voting_bases``, under the case's setting for secured creditors)."""
    voters = _item_voters(item)
    bases = rules.voting_bases(item.kind, voters, secured_votes_shortfall=_shortfall_votes(item))
    return voters, bases.unsecured_total


def _item_voters(item: AgendaItem) -> list[rules.Voter]:
    """Three queries whatever the number of creditors (claims as plain rows, attendances,
    ballots), a fourth (the assessment's average wage) only when a senior manager's wage
    claim is listed."""
    case_id = item.meeting.case_id
    assessment = _Lazy(
        lambda: Assessment.objects.filter(case_id=case_id).order_by("-assessed_on", "-pk").first()
    )
    claims: dict[int, list[_ClaimRow]] = defaultdict(list)
    for creditor_id, *values in (
        Claim.objects.filter(_VOTING_CLAIMS, case_id=case_id)
        .exclude(nature__in=SUBORDINATED_NATURES)
        .order_by("creditor_id", "pk")
        .values_list("creditor_id", "rank", "wage_months", *_CLAIM_ROW_FIELDS)
    ):
        row = _voting_row(tuple(values), assessment)
        if row is not None:
            claims[creditor_id].append(row)
    present = set(
        Attendance.objects.filter(meeting=item.meeting).values_list("creditor_id", flat=True)
    )
    votes = dict(Ballot.objects.filter(item=item).values_list("creditor_id", "vote"))
    voters = []
    for creditor_id, rows in claims.items():
        voter = _voter(
            creditor_id, rows, present=creditor_id in present, vote=votes.get(creditor_id)
        )
        if voter is not None:
            voters.append(voter)
    return voters


def item_tally(item: AgendaItem) -> rules.Tally:
    """The live tally of ``item`` (Art.64 or Art.97) under the case's settings; its
    ``bases`` are the ones every page shows (see ``case_bases``)."""
    return rules.tally(
        item.kind, _item_voters(item), secured_votes_shortfall=_shortfall_votes(item)
    )


def bases_as_dict(b: rules.VotingBases | None) -> dict | None:
    if b is None:
        return None
    return {
        "item": b.item,
        "unsecured_total": str(b.unsecured_total),
        "confirmed_part": str(b.confirmed_part),
        "provisional_part": str(b.provisional_part),
        "present_total": str(b.present_total),
        "secured_shortfall_part": str(b.secured_shortfall_part),
        "secured_covered_excluded": str(b.secured_covered_excluded),
        "unconfirmed_excluded": str(b.unconfirmed_excluded),
        "voters_with_vote": b.voters_with_vote,
        "voters_present": b.voters_present,
    }


def tally_as_dict(t: rules.Tally) -> dict:
    return {
        "item": t.item,
        "passed": t.passed,
        "present_voters": t.present_voters,
        "yes_voters": t.yes_voters,
        "heads_required": t.heads_required,
        "heads_margin": t.heads_margin,
        "heads_passed": t.heads_passed,
        "yes_amount": str(t.yes_amount),
        "unsecured_total": str(t.unsecured_total),
        "required_share": f"{t.required_share.numerator}/{t.required_share.denominator}",
        "required_amount_display": str(t.required_amount_display),
        "amount_margin_display": str(t.amount_margin_display),
        "amount_passed": t.amount_passed,
        "excluded": [list(e) for e in t.excluded],
        "yes_share": f"{t.yes_share.numerator}/{t.yes_share.denominator}",
        "bases": bases_as_dict(t.bases),
    }


def item_result(item: AgendaItem) -> dict:
    """The tally of ``item`` as every page and the API show it: the stored result once the
    vote is closed, the live one while it is open (``tally_as_dict``, with its ``bases``)."""
    if item.is_open or not item.result:
        return tally_as_dict(item_tally(item))
    return item.result


def agreement_under_vote(case: Case) -> Agreement | None:
    """The draft agreement the creditors vote on (Art.97): the newest draft of the case."""
    return case.agreements.filter(status=Agreement.Status.DRAFT).order_by("-pk").first()


def ballot_sheets(meeting: Meeting, creditors: list[Creditor]) -> list[dict]:
    """For each of `creditors` (the reader's own): signed in or not, and per agenda item its
    ballot (vote, time, the vote it replaced); with the Art.97 vote, the draft agreement and the
    creditor's own term in it (confirmed amount, offer, rate, schedule) to read before voting."""
    items = list(meeting.items.all())
    signed = set(
        meeting.attendances.filter(creditor__in=creditors).values_list("creditor_id", flat=True)
    )
    ballots = {
        (b.item_id, b.creditor_id): b
        for b in Ballot.objects.filter(item__meeting=meeting, creditor__in=creditors)
    }
    agreement = None
    terms: dict[int, AgreementTerm] = {}
    if any(item.kind == AgendaItem.Kind.RECONCILIATION for item in items):
        agreement = agreement_under_vote(meeting.case)
        if agreement is not None:
            terms = {
                t.creditor_id: t
                for t in agreement.terms.filter(creditor__in=creditors).prefetch_related(
                    "installments"
                )
            }
    sheets = []
    for creditor in creditors:
        term = terms.get(creditor.pk)
        sheets.append(
            {
                "creditor": creditor,
                "signed": creditor.pk in signed,
                "items": [
                    {
                        "item": item,
                        "ballot": ballots.get((item.pk, creditor.pk)),
                        "agreement": agreement
                        if item.kind == AgendaItem.Kind.RECONCILIATION
                        else None,
                    }
                    for item in items
                ],
                "agreement": agreement,
                "term": term,
                "rate": term.agreed_amount / term.confirmed_amount
                if term is not None and term.confirmed_amount
                else None,
            }
        )
    return sheets
